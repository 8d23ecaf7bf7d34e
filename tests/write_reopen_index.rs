//! `Writer::open` on every chunk index h5py `libver='latest'` writes (HDF5 2.0: layout v5),
//! normal and SWMR-written files (`tests/py/reopen_index.py gen`): v2 B-trees of datasets
//! with two unlimited dimensions (unfiltered, gzip + shuffle, fletcher32) grown along both,
//! single chunks (unfiltered and gzip) and an implicit index written within their fixed
//! maximum shape (and refused beyond it), a fletcher32 extensible array and a gzip fixed
//! array (filtered layout v5: 8-byte chunk sizes). Two sessions each; h5py (normal and
//! SWMR) and our reader then read every value.

mod common;

use std::path::Path;
use std::process::Command;

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;
use pymodaq_h5::Error;
use serde_json::{json, Value as J};

fn run_py(py: &Path, args: &[&std::ffi::OsStr]) -> String {
    let mut cmd = Command::new(py);
    cmd.arg(common::root().join("tests/py/reopen_index.py"))
        .args(args);
    common::run_stdout(&mut cmd, "reopen_index.py")
        .trim()
        .to_string()
}

fn sessions(h5: &Path) {
    // Session 1.
    let mut w = Writer::open(h5, WriteOptions::default()).unwrap();
    let bt2 = w.open_dataset("/i/bt2").unwrap();
    w.append(
        &bt2,
        &[100.0f64, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0, 107.0],
    )
    .unwrap();
    let cols: Vec<f64> = (0..10).map(|k| 200.0 + f64::from(k)).collect();
    w.write_slice(&bt2, &[0..5, 4..6], &cols).unwrap();
    let z = w.open_dataset("/i/bt2z").unwrap();
    w.append(&z, &(15..30).collect::<Vec<i32>>()).unwrap();
    let f = w.open_dataset("/i/bt2f").unwrap();
    w.append(&f, &[6.0f32, 7.0, 8.0, 9.0, 10.0, 11.0]).unwrap();
    let s = w.open_dataset("/i/single").unwrap();
    let rest: Vec<f64> = (8..24).map(f64::from).collect();
    w.write_slice(&s, &[2..6, 0..4], &rest).unwrap();
    // A fixed maximum shape is a limit.
    assert!(matches!(
        w.write_slice(&s, &[6..7, 0..4], &[0.0f64; 4]),
        Err(Error::Usage(_))
    ));
    let sz = w.open_dataset("/i/singlez").unwrap();
    w.write_slice(&sz, &[1..2, 0..3], &[-1i16, -2, -3]).unwrap();
    let im = w.open_dataset("/i/implicit").unwrap();
    w.write_slice(&im, std::slice::from_ref(&(5..8)), &[50i64, 60, 70])
        .unwrap();
    let ea = w.open_dataset("/i/eaf").unwrap();
    w.append(&ea, &[5.0f64, 6.0, 7.0, 8.0, 9.0, 10.0]).unwrap();
    let fa = w.open_dataset("/i/faz").unwrap();
    w.write_slice(&fa, std::slice::from_ref(&(0..2)), &[100i32, 101])
        .unwrap();
    w.close().unwrap();
    // Session 2: the structures written by session 1 are continued.
    let mut w = Writer::open(h5, WriteOptions::default()).unwrap();
    let bt2 = w.open_dataset("/i/bt2").unwrap();
    w.append(&bt2, &(300..306).map(f64::from).collect::<Vec<_>>())
        .unwrap();
    let z = w.open_dataset("/i/bt2z").unwrap();
    w.append(&z, &(30..35).collect::<Vec<i32>>()).unwrap();
    let ea = w.open_dataset("/i/eaf").unwrap();
    w.append(&ea, &[11.0f64, 12.0]).unwrap();
    let sz = w.open_dataset("/i/singlez").unwrap();
    w.write_slice(&sz, &[4..5, 2..3], &[-9i16]).unwrap();
    let im = w.open_dataset("/i/implicit").unwrap();
    w.write_slice(&im, std::slice::from_ref(&(9..10)), &[90i64])
        .unwrap();
    w.close().unwrap();
}

fn expected() -> J {
    let mut bt2 = Vec::new();
    for r in 0..6 {
        for c in 0..6 {
            bt2.push(match (r, c) {
                (5, c) => 300.0 + c as f64,
                (r, c) if c >= 4 => 200.0 + (r * 2 + c - 4) as f64,
                (r, c) if r < 3 => (r * 4 + c) as f64,
                (r, c) => 100.0 + ((r - 3) * 4 + c) as f64,
            });
        }
    }
    let bt2z: Vec<i64> = (0..35).collect();
    let bt2f: Vec<f64> = (0..12).map(f64::from).collect();
    let mut single: Vec<f64> = (0..24).map(f64::from).collect();
    single.truncate(24);
    let mut singlez: Vec<i64> = (0..15).collect();
    singlez[3..6].copy_from_slice(&[-1, -2, -3]);
    singlez[14] = -9;
    let implicit = [0i64, 1, 2, -1, -1, 50, 60, 70, -1, 90];
    let eaf: Vec<f64> = (0..13).map(f64::from).collect();
    let mut faz: Vec<i64> = (0..9).collect();
    faz[0] = 100;
    faz[1] = 101;
    json!({"datasets": {
        "/i/bt2": {"shape": [6, 6], "values": bt2},
        "/i/bt2z": {"shape": [7, 5], "values": bt2z},
        "/i/bt2f": {"shape": [4, 3], "values": bt2f},
        "/i/single": {"shape": [6, 4], "values": single},
        "/i/singlez": {"shape": [5, 3], "values": singlez},
        "/i/implicit": {"shape": [10], "values": implicit},
        "/i/eaf": {"shape": [13], "values": eaf},
        "/i/faz": {"shape": [9], "values": faz},
    }})
}

fn ours(h5: &Path, exp: &J) {
    let f = File::open(h5).unwrap();
    for (p, want) in exp["datasets"].as_object().unwrap() {
        let Node::Dataset(d) = f.get(p).unwrap() else {
            panic!("{p}")
        };
        let shape: Vec<u64> = serde_json::from_value(want["shape"].clone()).unwrap();
        assert_eq!(d.shape(), shape.as_slice(), "{p}");
        let want: Vec<f64> = serde_json::from_value(want["values"].clone()).unwrap();
        assert_eq!(d.read::<f64>().unwrap(), want, "{}: {p}", h5.display());
    }
}

#[test]
fn every_h5py_chunk_index_continued() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("reopen-index");
    run_py(&py, &["gen".as_ref(), dir.as_os_str()]);
    let exp = expected();
    for name in ["index.h5", "index_swmr.h5"] {
        let h5 = dir.join(name);
        sessions(&h5);
        let e = h5.with_extension("json");
        std::fs::write(&e, exp.to_string()).unwrap();
        assert_eq!(
            run_py(&py, &["check".as_ref(), h5.as_os_str(), e.as_os_str()]),
            "ok",
            "{name}"
        );
        ours(&h5, &exp);
    }
}
