//! When attributes go dense, as libhdf5 decides: (1) the 1.10 profile stores more than 8
//! attributes densely and goes back to compact under 6, exactly where h5py
//! (`libver='latest'`) does for the same sequence of changes; (2) an attribute over 64 KiB
//! added to an existing v1 header of a PyTables file (the header becomes v2 in place, as
//! libhdf5 writes them in superblock-v0 files), in two sessions, read back byte for byte
//! by h5py, PyTables, h5dump and our reader.

mod common;

use std::path::Path;

use pymodaq_h5::hdf5::message::{kind, Message};
use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::hdf5::write::*;
use serde_json::json;
use sha2::{Digest, Sha256};

/// Whether the object at `path` stores its attributes densely (Attribute Info heap set).
fn is_dense(f: &File, path: &str) -> bool {
    let node = f.get(path).unwrap();
    match node.object().first(kind::ATTRIBUTE_INFO).unwrap() {
        Some(Message::AttributeInfo(ai)) => ai.fractal_heap_address != u64::MAX,
        _ => false,
    }
}

/// The steps: (object, attributes set 0..n, attributes then deleted).
const STEPS: [(&str, usize, usize); 4] =
    [("/g8", 8, 0), ("/g9", 9, 0), ("/h", 9, 4), ("/k", 12, 6)];

#[test]
fn v110_goes_dense_past_8_and_back_under_6_like_h5py() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("write-dense-phase");
    let theirs = dir.join("h5py.h5");
    let code = r#"
import sys, h5py
steps = [("/g8", 8, 0), ("/g9", 9, 0), ("/h", 9, 4), ("/k", 12, 6)]
with h5py.File(sys.argv[1], "w", libver="latest") as f:
    for path, n, d in steps:
        g = f.create_group(path)
        for i in range(n):
            g.attrs[f"a{i}"] = i
        for i in range(d):
            del g.attrs[f"a{i}"]
"#;
    common::run_py_code(&py, code, [theirs.as_os_str()]);
    let ours = dir.join("ours.h5");
    {
        let opts = WriteOptions {
            profile: Profile::Hdf5V110,
            pytables: false,
            ..Default::default()
        };
        let mut w = Writer::create(&ours, opts).unwrap();
        for (path, n, d) in STEPS {
            w.create_group(path).unwrap();
            for i in 0..n {
                w.set_attr(path, &format!("a{i}"), AttrValue::I64(i as i64))
                    .unwrap();
            }
            for i in 0..d {
                w.delete_attr(path, &format!("a{i}")).unwrap();
            }
        }
        w.close().unwrap();
    }
    let (t, o) = (File::open(&theirs).unwrap(), File::open(&ours).unwrap());
    for (path, n, d) in STEPS {
        assert_eq!(is_dense(&o, path), is_dense(&t, path), "{path}");
        assert_eq!(is_dense(&o, path), n - d > 8 || (n > 8 && n - d >= 6));
    }
    // h5py reads every remaining attribute of ours.
    let code = r#"
import sys, h5py
steps = [("/g8", 8, 0), ("/g9", 9, 0), ("/h", 9, 4), ("/k", 12, 6)]
with h5py.File(sys.argv[1], "r") as f:
    for path, n, d in steps:
        got = {k: int(v) for k, v in f[path].attrs.items()}
        assert got == {f"a{i}": i for i in range(d, n)}, (path, got)
print("ok")
"#;
    common::run_py_code(&py, code, [ours.as_os_str()]);
    common::h5dump_ok(&ours, "ours");
}

fn text(n: usize, k: u8) -> String {
    (0..n)
        .map(|i| char::from(b'a' + ((i as u8).wrapping_add(k) % 26)))
        .collect()
}

fn sha(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn check(py: &Path, h5: &Path, attrs: &[(&str, &str, String)]) {
    let f = File::open(h5).unwrap();
    let mut exp = Vec::new();
    for (path, name, value) in attrs {
        let got = f
            .get(path)
            .unwrap()
            .object()
            .attribute(name)
            .unwrap()
            .unwrap()
            .as_string()
            .unwrap();
        assert!(got == *value, "our reader {path}@{name}");
        exp.push(json!({"path": path, "name": name, "kind": "text",
            "len": value.len(), "sha256": sha(value)}));
    }
    let e = h5.with_extension("json");
    std::fs::write(&e, json!({ "attrs": exp }).to_string()).unwrap();
    common::run_py(
        py,
        "tests/py/check_dense.py",
        [h5.as_os_str(), e.as_os_str()],
    );
    common::h5dump_ok(h5, "reopened");
}

#[test]
fn big_attribute_on_existing_v1_headers() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("write-dense-v1");
    let h5 = dir.join("pt.h5");
    let code = r#"
import sys, numpy as np, tables
with tables.open_file(sys.argv[1], "w", title="t") as f:
    g = f.create_group("/", "det", "Detector")
    f.create_array(g, "data", np.arange(10.0), "data")
    f.create_earray(g, "ea", tables.Float64Atom(), (0, 3), "ea").append(np.ones((4, 3)))
    for i in range(6):
        g._v_attrs[f"s{i}"] = "x" * (10 + i)
"#;
    common::run_py_code(&py, code, [h5.as_os_str()]);
    let s1 = text(100 << 10, 1);
    let s2 = text(300 << 10, 2);
    let s3 = text(70 << 10, 3);
    {
        let mut w = Writer::open(&h5, WriteOptions::default()).unwrap();
        w.set_attr("/det", "settings", AttrValue::Str(s1.clone()))
            .unwrap();
        w.set_attr("/det/data", "settings", AttrValue::Str(s2.clone()))
            .unwrap();
        w.set_attr("/", "note", AttrValue::Str("small".into()))
            .unwrap();
        let ea = w.open_dataset("/det/ea").unwrap();
        w.append(&ea, &[2.0f64; 6]).unwrap();
        w.close().unwrap();
    }
    let mut attrs = vec![
        ("/det", "settings", s1),
        ("/det", "s5", "x".repeat(15)),
        ("/det/data", "settings", s2.clone()),
        ("/", "note", "small".to_string()),
    ];
    check(&py, &h5, &attrs);
    {
        let mut w = Writer::open(&h5, WriteOptions::default()).unwrap();
        w.set_attr("/det", "settings", AttrValue::Str(s3.clone()))
            .unwrap();
        w.set_attr("/det/ea", "settings", AttrValue::Str(s2.clone()))
            .unwrap();
        w.set_attr("/det", "more", AttrValue::Str("m".into()))
            .unwrap();
        w.close().unwrap();
    }
    attrs[0].2 = s3;
    attrs.push(("/det/ea", "settings", s2));
    attrs.push(("/det", "more", "m".to_string()));
    check(&py, &h5, &attrs);
    // PyTables still sees the whole tree: the array's values and the EArray's rows.
    let code = r#"
import sys, numpy as np, tables
with tables.open_file(sys.argv[1]) as f:
    assert list(f.root.det.data[:]) == list(np.arange(10.0))
    assert f.root.det.ea.shape == (6, 3), f.root.det.ea.shape
    assert f.root.det._v_title == "Detector"
print("ok")
"#;
    common::run_py_code(&py, code, [h5.as_os_str()]);
}
