//! The PyMoDAQ documentation's saving/loading walk-through (`examples/walkthrough.rs`) runs and
//! prints what PyMoDAQ prints for the same steps.

#[path = "../examples/walkthrough.rs"]
mod walkthrough;

mod common;

#[test]
fn walkthrough_runs_like_the_pymodaq_docs() {
    let dir = common::temp_dir("walkthrough");
    let out = walkthrough::run(&dir).unwrap();
    println!("{out}");
    for line in [
        "/RawData/Axis00 (CARRAY) 'myaxis'",
        "axis loaded back equal: true",
        "/RawData/MyData/Data00 (CARRAY) 'spectra'",
        "/RawData/MyData/Bkg00 (CARRAY) 'spectra'",
        "peak without background 1.000, with background subtracted 0.900",
        "/RawData/Detector000/Data1D/CH00/Axis00 (CARRAY) 'wavelength'",
        "/RawData/Detector000/Data2D/CH00/Data00 (CARRAY) 'camera'",
        "/RawData/Detector001/NavAxes/Axis00 (EARRAY) 'delay'",
        "/RawData/Detector001/Data0D/CH00/EnlData00 (EARRAY) 'power'",
        "/RawData/Scan000/NavAxes/Axis01 (CARRAY) 'y'",
        "load_all: power DataND shape [5] nav [0] axes [\"delay\"]",
        "load_all: signal DataND shape [3, 2] nav [0, 1] axes [\"x\", \"y\"]",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    // The file is a valid PyMoDAQ file for PyMoDAQ itself.
    if let Some(py) = common::python() {
        let o = common::run_py(
            &py,
            "fixtures/gen/pymodaq_load.py",
            [dir.join("walkthrough.h5")],
        );
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let names: Vec<&str> = doc["load_all"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"signal") && names.contains(&"camera"),
            "{names:?}"
        );
    }
}
