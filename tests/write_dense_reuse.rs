//! Superseded dense storage of reopened files is freed and reused (issue 18): a 100 KB
//! settings-like attribute rewritten 12 times on an object of an h5py `libver='latest'` file
//! whose attributes libhdf5 stored densely, and on a PyTables file object (v1 header turned
//! v2, its 43 compact attributes moved into the dense storage). The file grows by at most
//! five copies (the live one, the ones cooling, fragments), not twelve; h5py (normal and SWMR),
//! PyTables and our reader read the last value, and every attribute the object had is
//! unchanged.

mod common;

use std::path::Path;
use std::time::Duration;

use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::hdf5::write::*;
use serde_json::json;
use sha2::{Digest, Sha256};

const BLOB: usize = 100_000;
const ROUNDS: usize = 12;

fn attrs(h5: &Path, p: &str) -> Vec<(String, Vec<u8>)> {
    let f = File::open(h5).unwrap();
    let n = f.get(p).unwrap();
    let mut v: Vec<(String, Vec<u8>)> = n
        .object()
        .attributes()
        .unwrap()
        .into_iter()
        .map(|a| (a.name.clone(), a.raw().to_vec()))
        .collect();
    v.sort();
    v
}

fn hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

#[test]
fn rewritten_dense_attributes_reuse_their_space() {
    let dir = common::temp_dir("dense-reuse");
    let fx = common::root().join("fixtures/hdf5");
    for (name, target) in [
        ("h5py_latest_dense.h5", "/dense_attrs"),
        ("pt_attrs.h5", "/zoo"),
    ] {
        let h5 = dir.join(name);
        std::fs::copy(fx.join(name), &h5).unwrap();
        let before = attrs(&h5, target);
        let size0 = std::fs::metadata(&h5).unwrap().len();
        let mut last = String::new();
        {
            let mut w = Writer::open(&h5, WriteOptions::default()).unwrap();
            for i in 0..ROUNDS {
                last = char::from(b'a' + i as u8).to_string().repeat(BLOB);
                w.set_attr(target, "blob", AttrValue::Str(last.clone()))
                    .unwrap();
                w.set_attr(target, "rev", AttrValue::I64(i as i64)).unwrap();
                // Freed blocks are reused once no reader that opened before can follow
                // them (200 ms).
                std::thread::sleep(Duration::from_millis(250));
                w.flush().unwrap();
            }
            w.close().unwrap();
        }
        let grown = std::fs::metadata(&h5).unwrap().len() - size0;
        assert!(
            grown < (5 * BLOB) as u64,
            "{name}: grew {grown} bytes for {ROUNDS} rewrites of {BLOB}"
        );
        // Our reader: every attribute the object had, unchanged, and the new ones.
        let after = attrs(&h5, target);
        for (n, raw) in &before {
            let got = after.iter().find(|(m, _)| m == n).map(|(_, r)| r);
            assert_eq!(got, Some(raw), "{name}: {target}@{n}");
        }
        assert_eq!(after.len(), before.len() + 2, "{name}");
        let f = File::open(&h5).unwrap();
        let node = f.get(target).unwrap();
        let blob = node.object().attribute("blob").unwrap().unwrap();
        assert_eq!(blob.as_string().unwrap(), last, "{name}");
        let Some(py) = common::python() else { continue };
        let rev = ((ROUNDS - 1) as f64).to_le_bytes();
        let exp = json!({"attrs": [
            {"path": target, "name": "blob", "kind": "text", "len": last.len(),
             "sha256": hex(last.as_bytes())},
            {"path": target, "name": "rev", "kind": "f64", "len": 8, "sha256": hex(&rev)},
        ]});
        let e = dir.join(format!("{name}.json"));
        std::fs::write(&e, exp.to_string()).unwrap();
        let out = common::run_py(
            &py,
            "tests/py/check_dense.py",
            [h5.as_os_str(), e.as_os_str()],
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok", "{name}");
        common::h5dump_ok(&h5, name);
    }
}
