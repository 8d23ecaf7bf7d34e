//! Attributes of 64 KiB, 1 MiB and 16 MiB (a PyMoDAQ settings XML tree and a list of floats
//! per detector group) written through the savers (PyTables flavour, whose fixed-length
//! strings live in the header; h5py's variable-length ones live in a global heap) in both
//! write profiles, stored densely
//! (fractal heap, huge objects, v2 B-tree name index), and read back equal byte for byte by
//! our reader, h5py (normal and SWMR), PyTables, h5dump, and PyMoDAQ 5.x and 4.4 (the
//! decoded values). Also a 16 MiB float64 array attribute written directly in both
//! profiles next to small ones, replaced, and read by h5py and PyTables.

mod common;

use std::path::Path;
use std::process::Command;

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;
use pymodaq_h5::pymodaq::attrs::PyValue;
use pymodaq_h5::pymodaq::save::{Flavour, H5Saver, InitOptions};
use serde_json::{json, Value as J};
use sha2::{Digest, Sha256};

const SIZES: [usize; 3] = [64 << 10, 1 << 20, 16 << 20];

/// A settings tree of exactly `n` bytes.
fn settings_xml(n: usize) -> String {
    let end = "</All_settings>";
    let mut s = String::from("<All_settings type=\"group\">");
    for i in 0.. {
        let p = format!("<p{i:07} type=\"float\" value=\"{i}.5\" title=\"é\" />");
        if s.len() + p.len() + end.len() > n {
            break;
        }
        s.push_str(&p);
    }
    while s.len() + end.len() < n {
        s.push(' ');
    }
    s.push_str(end);
    s
}

/// A list of floats of about `n` bytes of JSON, at most 64 KiB (PyMoDAQ decodes a list
/// float by float: 16 MiB of it takes a minute; the 16 MiB arrays are below).
fn floats(n: usize) -> Vec<f64> {
    (0..n.min(64 << 10) / 10)
        .map(|i| i as f64 * 0.25 - 7.0)
        .collect()
}

fn hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// h5py reads the attributes `attrs` describes on `h5` (`tests/py/check_dense.py`, the
/// description written to `exp`).
fn h5py_reads_attrs(py: &Path, h5: &Path, exp: &Path, attrs: J) {
    std::fs::write(exp, json!({ "attrs": attrs }).to_string()).unwrap();
    let out = common::run_py(py, "tests/py/check_dense.py", [h5, exp]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

fn run_ok(cmd: &mut Command, what: &str) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
            .chars()
            .take(2000)
            .collect::<String>(),
        String::from_utf8_lossy(&out.stderr)
            .chars()
            .take(4000)
            .collect::<String>()
    );
    out.stdout
}

/// h5dump's text of a scalar string attribute.
fn h5dump_text(h5: &Path, attr: &str) -> String {
    let out = run_ok(
        Command::new("h5dump").arg("-a").arg(attr).arg(h5),
        "h5dump -a",
    );
    let text = String::from_utf8(out).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("(0): \""))
        .unwrap_or_else(|| panic!("no data line for {attr}"));
    let q = line.trim_start().strip_prefix("(0): \"").unwrap();
    // h5dump prints the text as stored between the quotes, nothing escaped.
    q.strip_suffix('"').unwrap().to_string()
}

fn tree_attrs(doc: &J, path: &str) -> J {
    doc["tree"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in the tree"))["attrs"]
        .clone()
}

fn saver_file(dir: &Path, tag: &str, flavour: Flavour, swmr: bool) -> std::path::PathBuf {
    let path = dir.join(format!("{tag}.h5"));
    let mut h5 = H5Saver::init_file(
        &path,
        InitOptions {
            flavour,
            swmr,
            ..Default::default()
        },
    )
    .unwrap();
    for (k, &n) in SIZES.iter().enumerate() {
        let calib = PyValue::List(floats(n).into_iter().map(PyValue::Float).collect());
        h5.add_det_group(
            "/RawData",
            &format!("det{k}"),
            &PyValue::Str(settings_xml(n)),
            &[("calib".to_string(), calib)],
        )
        .unwrap();
    }
    h5.close_file().unwrap();
    path
}

#[test]
fn big_settings_through_the_savers() {
    let Some(py) = common::python() else { return };
    let py44 = common::python44();
    let dir = common::temp_dir("write-dense");
    for (tag, flavour, swmr) in [
        ("tables", Flavour::Tables, false),
        ("tables_v110", Flavour::Tables, true),
        ("h5py", Flavour::H5py, false),
        ("h5py_swmr", Flavour::H5py, true),
    ] {
        let h5 = saver_file(&dir, tag, flavour, swmr);
        // Our reader: the stored texts.
        let f = File::open(&h5).unwrap();
        let mut expect = Vec::new();
        for (k, size) in SIZES.iter().enumerate() {
            let p = format!("/RawData/Detector{k:03}");
            let node = f.get(&p).unwrap();
            let o = node.object();
            for name in ["settings", "calib"] {
                let text = o.attribute(name).unwrap().unwrap().as_string().unwrap();
                if name == "settings" {
                    assert!(text.len() > *size, "{tag} {p}@{name}: {}", text.len());
                }
                expect.push(json!({"path": p, "name": name, "kind": "text",
                    "len": text.len(), "sha256": hex(text.as_bytes())}));
                if name == "settings" {
                    assert_eq!(
                        h5dump_text(&h5, &format!("{p}/{name}")),
                        text,
                        "h5dump {tag}"
                    );
                }
            }
        }
        h5py_reads_attrs(&py, &h5, &dir.join(format!("{tag}.json")), json!(expect));
        // PyMoDAQ decodes the values we stored, 5.x and 4.4, and so does our loader.
        let name = h5.file_name().unwrap().to_string_lossy().into_owned();
        let mut docs = vec![(
            "ours",
            pymodaq_h5::pymodaq::load_json::load_json(&f, &name, true)
                .unwrap()
                .0,
        )];
        docs.push(("5.x", common::pymodaq_load(&py, &h5, None)));
        if let Some(p) = &py44 {
            docs.push(("4.4", common::pymodaq_load(p, &h5, None)));
        }
        for (ver, doc) in &docs {
            for (k, &n) in SIZES.iter().enumerate() {
                let path = format!("/RawData/Detector{k:03}");
                let attrs = tree_attrs(doc, &path);
                assert_eq!(
                    attrs["settings"].as_str().map(str::len),
                    Some(n),
                    "PyMoDAQ {ver} {tag} {path} settings"
                );
                assert!(
                    attrs["settings"] == J::String(settings_xml(n)),
                    "PyMoDAQ {ver} {tag} {path} settings differ"
                );
                let want: Vec<J> = floats(n).into_iter().map(|x| json!(x)).collect();
                assert!(
                    attrs["calib"] == J::Array(want),
                    "PyMoDAQ {ver} {tag} {path} calib differs"
                );
            }
        }
    }
}

/// A 16 MiB float64 array attribute and small ones on a group and a dataset, in both
/// profiles; the big one replaced by a 1 MiB one, then by a small one (still dense).
#[test]
fn big_array_attributes_written_directly() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("write-dense-raw");
    for profile in [Profile::PyTables, Profile::Hdf5V110] {
        let h5 = dir.join(format!("{profile:?}.h5"));
        let big: Vec<f64> = (0..(2 << 20)).map(|i| f64::from(i) * 0.5).collect();
        let mid: Vec<f64> = (0..(128 << 10)).map(|i| f64::from(i) - 3.0).collect();
        {
            let opts = WriteOptions {
                profile,
                ..Default::default()
            };
            let mut w = Writer::create(&h5, opts).unwrap();
            w.create_group("/g").unwrap();
            let ds = w
                .create_dataset("/g/d", DatasetBuilder::new(Dtype::F64).shape(&[3]))
                .unwrap();
            w.write(&ds, &[1.0, 2.0, 3.0]).unwrap();
            // A chunked dataset going dense between appends (its dims and layout live in
            // a commit slot of their own).
            let e = w
                .create_dataset(
                    "/g/e",
                    DatasetBuilder::new(Dtype::F64)
                        .shape(&[0])
                        .max_shape(&[None])
                        .chunks(&[4]),
                )
                .unwrap();
            w.append(&e, &[1.0, 2.0, 3.0]).unwrap();
            w.flush().unwrap();
            w.set_attr("/g/e", "big", AttrValue::F64s(mid.clone()))
                .unwrap();
            w.append(&e, &[4.0, 5.0]).unwrap();
            w.flush().unwrap();
            for p in ["/g", "/g/d", "/"] {
                w.set_attr(p, "small", AttrValue::I64(5)).unwrap();
                w.set_attr(p, "big", AttrValue::F64s(big.clone())).unwrap();
                w.set_attr(p, "text", AttrValue::Str("é".repeat(40_000)))
                    .unwrap();
            }
            w.set_attr("/g", "big", AttrValue::F64s(mid.clone()))
                .unwrap();
            w.set_attr("/g/d", "big", AttrValue::F64s(vec![1.5; 4]))
                .unwrap();
            w.close().unwrap();
        }
        let le = |v: &[f64]| -> (usize, String) {
            let b: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            (b.len(), hex(&b))
        };
        let mut attrs = Vec::new();
        attrs.push(json!({"path": "/g/e", "name": "big", "kind": "f64",
            "len": mid.len() * 8, "sha256": le(&mid).1}));
        for (p, v) in [("/", &big), ("/g", &mid), ("/g/d", &vec![1.5; 4])] {
            let (len, sha) = le(v);
            attrs.push(json!({"path": p, "name": "big", "kind": "f64", "len": len, "sha256": sha}));
            let t = "é".repeat(40_000);
            attrs.push(json!({"path": p, "name": "text", "kind": "text",
                "len": t.len(), "sha256": hex(t.as_bytes())}));
        }
        h5py_reads_attrs(
            &py,
            &h5,
            &dir.join(format!("{profile:?}.json")),
            json!(attrs),
        );
        run_ok(Command::new("h5dump").arg("-H").arg(&h5), "h5dump -H");
        // Our reader agrees, and the dataset's data is intact.
        let f = File::open(&h5).unwrap();
        let Node::Dataset(d) = f.get("/g/d").unwrap() else {
            panic!("/g/d not a dataset")
        };
        assert_eq!(d.read::<f64>().unwrap(), vec![1.0, 2.0, 3.0]);
        let Node::Dataset(e) = f.get("/g/e").unwrap() else {
            panic!("/g/e not a dataset")
        };
        assert_eq!(e.read::<f64>().unwrap(), vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        let node = f.get("/").unwrap();
        let o = node.object();
        assert_eq!(o.attribute("big").unwrap().unwrap().len(), big.len() as u64);
        let values = o.attribute("small").unwrap().unwrap().values().unwrap();
        assert_eq!(values.len(), 1);
    }
}
