//! Our PyMoDAQ loader against the real one: pymodaq_data 5.x writes files with its own
//! savers through both backends (`tests/py/pymodaq_check.py gen`), our `load_json` loads
//! them, and PyMoDAQ's `DataLoader`/`AxisSaverLoader` check every data node, background load,
//! axis node and `load_all` entry field by field (name, source, dim, distribution, shape,
//! nav/sig indexes, labels, units, axes with values, data and error digests, extra
//! attributes, PyMoDAQ's exception types). PyMoDAQ opens the files for appending here, where
//! it writes a missing `CLASS` back, so our loader runs in its matching tolerant mode.

mod common;

use std::process::Command;

#[test]
fn load_json_agrees_with_real_pymodaq() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("pmd-interop");
    let script = common::root().join("tests/py/pymodaq_check.py");
    common::run_py(
        &py,
        "tests/py/pymodaq_check.py",
        [std::ffi::OsStr::new("gen"), dir.as_os_str()],
    );
    let mut n = 0;
    for e in std::fs::read_dir(&*dir).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "h5") {
            let f = pymodaq_h5::hdf5::read::File::open(&p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let (doc, _had_errors) =
                pymodaq_h5::pymodaq::load_json::load_json_with(&f, &name, false, true).unwrap();
            std::fs::write(
                p.with_extension("ours.json"),
                serde_json::to_string(&doc).unwrap(),
            )
            .unwrap();
            n += 1;
        }
    }
    assert_eq!(n, 4, "expected 4 PyMoDAQ files (2 layouts x 2 backends)");
    let out = Command::new(&py)
        .arg(&script)
        .arg("compare")
        .arg(&*dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "our load differs from PyMoDAQ's:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{}", text.trim());
}
