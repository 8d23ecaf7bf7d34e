//! PyMoDAQ's own SWMR file, as PyMoDAQ 5.3's GUI writes it (pymodaq_data's H5Saver, backend
//! 'h5py', swmr_mode=True: `tests/py/pymodaq_swmr_gui.py gen`), continued by our savers: a
//! session through `H5Saver::open_file` (log lines, a detector group with its settings,
//! attributes changed on nodes whose attributes libhdf5 stored densely: PyMoDAQ's nodes
//! carry more than 8), then `record --append` continuing its DAQ_Logger recording. h5py
//! (normal and `swmr=True`) reads every row, PyMoDAQ 5.x loads the file with every logged
//! row and log line.

mod common;

use std::path::Path;

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::pymodaq::attrs::PyValue;
use pymodaq_h5::pymodaq::save::H5Saver;
use serde_json::Value as J;

use common::record;

fn gui_py(py: &Path, cmd: &str, h5: &Path) -> String {
    let args = [std::ffi::OsStr::new(cmd), h5.as_os_str()];
    let out = common::run_py(py, "tests/py/pymodaq_swmr_gui.py", args);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const LOGGER: &str = "/RawData/Datalogger000/Detector000";

fn dense_attr_objects(h5: &Path) -> usize {
    // Objects whose Attribute Info names a fractal heap: more than 8 attributes in HDF5's
    // default v2 headers.
    let f = File::open(h5).unwrap();
    let mut n = 0;
    for p in [
        "/RawData",
        "/RawData/Datalogger000",
        LOGGER,
        "/RawData/Logger",
        "/RawData/Scan000",
    ] {
        let node = f.get(p).unwrap();
        let o = node.object();
        if let Ok(Some(pymodaq_h5::hdf5::message::Message::AttributeInfo(ai))) =
            o.first(pymodaq_h5::hdf5::message::kind::ATTRIBUTE_INFO)
        {
            if ai.fractal_heap_address != u64::MAX {
                n += 1;
            }
        }
    }
    n
}

fn channel(h5: &Path, p: &str) -> Vec<f64> {
    let f = File::open(h5).unwrap();
    let Node::Dataset(d) = f.get(p).unwrap() else {
        panic!("{p}")
    };
    d.read::<f64>().unwrap()
}

#[test]
fn pymodaq_gui_swmr_file_continued() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("reopen-pymodaq-gui-swmr");
    let h5 = dir.join("gui_swmr.h5");
    gui_py(&py, "gen", &h5);
    let dense_before = dense_attr_objects(&h5);
    assert!(
        dense_before > 0,
        "the fixture has no object with dense attributes"
    );
    // Session 1: the savers (H5Saver::open_file, as `pymodaq-h5` reopens a file).
    {
        let mut s = H5Saver::open_file(&h5, None).unwrap();
        s.add_log("continued by pymodaq-h5").unwrap();
        let settings = PyValue::Str(format!(
            "<All_settings>{}</All_settings>",
            "x".repeat(200_000)
        ));
        s.add_det_group("/RawData", "det after", &settings, &[])
            .unwrap();
        // Attribute changes on dense-attribute nodes: add, replace.
        s.backend()
            .set_attr(LOGGER, "note", &PyValue::Str("annotated".into()))
            .unwrap();
        s.backend()
            .set_attr(
                "/RawData/Scan000",
                "description",
                &PyValue::Str("replaced".into()),
            )
            .unwrap();
        // Past 8 attributes a v2 header's attributes go dense (libhdf5's default maximum of
        // compact attributes): its compact ones move into the new dense storage.
        let more: Vec<(String, PyValue)> = (0..5)
            .map(|i| (format!("extra{i}"), PyValue::Int(i)))
            .collect();
        s.backend().set_attrs("/RawData/Scan000", &more).unwrap();
        s.close_file().unwrap();
    }
    // Session 2: record --append continues the DAQ_Logger recording.
    let o = record(
        &h5,
        &["--append", "--quiet"],
        "400, 900\n401, 899\n402, 898\n",
    );
    assert!(
        o.status.success(),
        "record --append: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let ch0 = format!("{LOGGER}/Data0D/CH00/EnlData00");
    let ch1 = format!("{LOGGER}/Data0D/CH01/EnlData00");
    let want0 = [
        300.0, 301.0, 302.0, 303.0, 304.0, 305.0, 400.0, 401.0, 402.0,
    ];
    let want1 = [
        1000.0, 999.0, 998.0, 997.0, 996.0, 995.0, 900.0, 899.0, 898.0,
    ];
    assert_eq!(channel(&h5, &ch0), want0);
    assert_eq!(channel(&h5, &ch1), want1);
    // h5py, normal and SWMR (the same values both ways, else the script fails).
    let rows: J = serde_json::from_str(&gui_py(&py, "rows", &h5)).unwrap();
    assert_eq!(rows[&ch0], serde_json::json!(want0));
    assert_eq!(rows[&ch1], serde_json::json!(want1));
    // The attributes changed on nodes with dense attributes, and the ones they had.
    let logger_attrs = &rows[&format!("attrs:{LOGGER}")];
    assert!(logger_attrs["note"].as_str().unwrap().contains("annotated"));
    let scan_attrs = rows["attrs:/RawData/Scan000"].as_object().unwrap();
    assert_eq!(scan_attrs.len(), 10, "{scan_attrs:?}");
    assert!(scan_attrs["description"]
        .as_str()
        .unwrap()
        .contains("replaced"));
    assert!(scan_attrs["settings"].is_string());
    assert!(scan_attrs["extra4"].as_str().unwrap().contains("\"4\""));
    // The Logger (9 attributes: dense in the file PyMoDAQ wrote) took every log line.
    assert_eq!(rows["attrs:/RawData/Logger"].as_object().unwrap().len(), 9);
    assert_eq!(dense_attr_objects(&h5), dense_before + 1);
    assert_eq!(
        rows[&format!("{LOGGER}/NavAxes/Axis00")]
            .as_array()
            .map(Vec::len),
        Some(9)
    );
    // PyMoDAQ 5.x loads it: every logged row and every log line. (PyMoDAQ 4.4's HDF5 1.14
    // cannot read the layout-v5 datasets HDF5 2.0 wrote: it crashes on the file as
    // PyMoDAQ 5.3 left it, before we touch it.)
    for p in [&py] {
        let doc = common::pymodaq_load(p, &h5, None);
        let logs = doc["logs"].to_string();
        for want in [
            "GUI session done",
            "continued by pymodaq-h5",
            "recording continued",
        ] {
            assert!(logs.contains(want), "{}: logs {logs}", p.display());
        }
        let text = doc.to_string();
        for v in ["402.0", "898.0", "305.0"] {
            assert!(text.contains(v), "{}: no value {v}", p.display());
        }
        assert!(
            text.contains("det after"),
            "{}: no new detector",
            p.display()
        );
    }
}
