//! `Writer::open` on HDF5 1.10 files: h5py `libver='latest'` files, files h5py wrote in
//! SWMR mode, and our own 1.10 profile. Rows are appended to extensible-array datasets
//! (unfiltered and gzip + shuffle, from empty too), a fixed-array dataset is written into,
//! attributes are added and replaced, groups and datasets are created in existing
//! link-message groups (v2 headers edited in place, with their checksums); h5py (normal
//! and SWMR) and our reader then read every row.

mod common;

use std::path::Path;
use std::process::Command;

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;
use serde_json::{json, Value as J};

fn py_check(py: &Path, h5: &Path, exp: &J) {
    let e = h5.with_extension("json");
    std::fs::write(&e, exp.to_string()).unwrap();
    let out = Command::new(py)
        .arg(common::root().join("tests/py/reopen_v110.py"))
        .arg("check")
        .arg(h5)
        .arg(&e)
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
        "{}: {}{}",
        h5.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ours_f64(h5: &Path, p: &str) -> Vec<f64> {
    let f = File::open(h5).unwrap();
    let Node::Dataset(d) = f.get(p).unwrap() else {
        panic!("{p}")
    };
    d.read::<f64>().unwrap()
}

/// Append to the h5py-made datasets (see `reopen_v110.py gen`), in two sessions. Returns
/// the rows of `/g/zscan` then.
fn append_sessions(h5: &Path) -> i64 {
    for session in 0..2 {
        let mut w = Writer::open(h5, WriteOptions::default()).unwrap();
        let scan = w.open_dataset("/g/scan").unwrap();
        let base = 5 + session * 7;
        let rows: Vec<f64> = (3 * base..3 * (base + 7)).map(|x| x as f64).collect();
        w.append(&scan, &rows).unwrap();
        // Filtered extensible array (HDF5 2.0: layout v5, 8-byte chunk sizes).
        let z = w.open_dataset("/g/zscan").unwrap();
        let zb = 6 + session * 9;
        let zr: Vec<i32> = (zb..zb + 9).map(|x| x * 10).collect();
        w.append(&z, &zr).unwrap();
        let e = w.open_dataset("/g/empty").unwrap();
        w.append(&e, &[session as f64; 3]).unwrap();
        w.flush().unwrap();
        if session == 0 {
            let x = w.open_dataset("/g/fixed").unwrap();
            w.write_slice(
                &x,
                std::slice::from_ref(&(5..10)),
                &[5.0f32, 6.0, 7.0, 8.0, 9.0],
            )
            .unwrap();
            w.set_attr("/g", "a", AttrValue::I64(2)).unwrap();
            w.set_attr("/g", "note", AttrValue::Str("appended".into()))
                .unwrap();
            w.set_attr("/", "file", AttrValue::Str("x".repeat(3000)))
                .unwrap();
            w.create_group("/g/new").unwrap();
            let d = w
                .create_dataset(
                    "/g/new/d",
                    DatasetBuilder::new(Dtype::F64)
                        .shape(&[0])
                        .max_shape(&[None])
                        .chunks(&[8]),
                )
                .unwrap();
            w.append(&d, &[1.5, 2.5]).unwrap();
        }
        w.close().unwrap();
    }
    24
}

fn expect(zrows: i64) -> J {
    let scan: Vec<f64> = (0..3 * 19).map(|x| x as f64).collect();
    let z: Vec<i64> = (0..zrows).map(|x| x * 10).collect();
    let fixed: Vec<f64> = (0..10).map(|x| x as f64).collect();
    json!({
        "datasets": {
            "/g/scan": {"shape": [19, 3], "values": scan},
            "/g/zscan": {"shape": [zrows], "values": z},
            "/g/fixed": {"shape": [10], "values": fixed},
            "/g/empty": {"shape": [2, 3], "values": [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]},
            "/g/new/d": {"shape": [2], "values": [1.5, 2.5]},
        },
        "attrs": {"/g": {"a": 2, "note": "appended"}, "/": {"file": "x".repeat(3000)}},
        "groups": {"/g": ["empty", "fixed", "new", "scan", "zscan"], "/g/new": ["d"]},
    })
}

#[test]
fn h5py_latest_and_swmr_files_appended() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("reopen-v110");
    common::run_py(
        &py,
        "tests/py/reopen_v110.py",
        [std::ffi::OsStr::new("gen"), dir.as_os_str()],
    );
    for name in ["latest.h5", "swmr.h5", "paged.h5", "narrow.h5"] {
        let h5 = dir.join(name);
        let zrows = append_sessions(&h5);
        py_check(&py, &h5, &expect(zrows));
        let want: Vec<f64> = (0..3 * 19).map(|x| x as f64).collect();
        assert_eq!(ours_f64(&h5, "/g/scan"), want, "{name}");
    }
}

#[test]
fn our_v110_files_appended() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("reopen-ours-v110");
    let h5 = dir.join("ours.h5");
    {
        let opts = WriteOptions {
            profile: Profile::Hdf5V110,
            ..Default::default()
        };
        let mut w = Writer::create(&h5, opts).unwrap();
        w.create_group("/g").unwrap();
        let d = w
            .create_dataset(
                "/g/scan",
                DatasetBuilder::new(Dtype::F64)
                    .shape(&[0, 3])
                    .max_shape(&[None, Some(3)])
                    .chunks(&[4, 3]),
            )
            .unwrap();
        w.append(&d, &(0..15).map(f64::from).collect::<Vec<_>>())
            .unwrap();
        // 10 more members: /g stores its links densely.
        let m: Vec<String> = (0..10).map(|i| format!("/g/m{i}")).collect();
        w.create_groups(&m.iter().map(String::as_str).collect::<Vec<_>>())
            .unwrap();
        w.close().unwrap();
    }
    for session in 0..3 {
        let mut w = Writer::open(&h5, WriteOptions::default()).unwrap();
        let d = w.open_dataset("/g/scan").unwrap();
        let b = 15 + session * 9;
        w.append(&d, &(b..b + 9).map(f64::from).collect::<Vec<_>>())
            .unwrap();
        w.set_attr("/g/scan", "rows", AttrValue::I64(i64::from(b / 3 + 3)))
            .unwrap();
        w.create_group(&format!("/g/s{session}")).unwrap();
        w.close().unwrap();
    }
    let values: Vec<f64> = (0..42).map(f64::from).collect();
    py_check(
        &py,
        &h5,
        &json!({
            "datasets": {"/g/scan": {"shape": [14, 3], "values": values}},
            "attrs": {"/g/scan": {"rows": 14}},
            "groups": {"/g": ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9",
                "s0", "s1", "s2", "scan"]},
        }),
    );
    assert_eq!(ours_f64(&h5, "/g/scan"), values);
}

/// A PyMoDAQ file in the SWMR layout (our savers, h5py flavour, 1.10 profile) continued
/// after closing: `H5Saver::open_file` (`Writer::open`), more log lines and a detector
/// group; PyMoDAQ 5.x (and 4.4) load every log line and both detectors, h5py normal and
/// SWMR open it.
#[test]
fn pymodaq_swmr_file_continued() {
    use pymodaq_h5::pymodaq::attrs::PyValue;
    use pymodaq_h5::pymodaq::save::{Flavour, H5Saver, InitOptions};
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("reopen-pymodaq-swmr");
    let h5 = dir.join("swmr_pymodaq.h5");
    {
        let opts = InitOptions {
            flavour: Flavour::H5py,
            swmr: true,
            ..Default::default()
        };
        let mut s = H5Saver::init_file(&h5, opts).unwrap();
        s.add_log("first session").unwrap();
        s.add_det_group("/RawData", "det A", &PyValue::Str("<a/>".into()), &[])
            .unwrap();
        s.close_file().unwrap();
    }
    for session in 1..3 {
        let mut s = H5Saver::open_file(&h5, None).unwrap();
        s.add_log(&format!("session {session}")).unwrap();
        if session == 1 {
            s.add_det_group("/RawData", "det B", &PyValue::Str("<b/>".into()), &[])
                .unwrap();
        }
        s.close_file().unwrap();
    }
    let mut pys = vec![py.clone()];
    pys.extend(common::python44());
    for p in &pys {
        let doc = common::pymodaq_load(p, &h5, None);
        let logs = doc["logs"].to_string();
        for want in ["first session", "session 1", "session 2"] {
            assert!(logs.contains(want), "{}: logs {logs}", p.display());
        }
        let tree = doc["tree"].to_string();
        for det in ["/RawData/Detector000", "/RawData/Detector001"] {
            assert!(tree.contains(det), "{}: no {det}", p.display());
        }
    }
    py_check(
        &py,
        &h5,
        &json!({
            "datasets": {},
            "groups": {"/RawData": ["Detector000", "Detector001", "Logger"]},
        }),
    );
}
