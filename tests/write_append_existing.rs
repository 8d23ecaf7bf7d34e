//! Appending to existing files: copies of fixtures written by PyTables and h5py, and a file
//! of our own writer, are opened with `Writer::open` and extended (rows appended to
//! EArrays/VLArrays, slices written into CArrays, groups/datasets/attributes added). Then
//! (a) our reader dumps every untouched part exactly as the fixture's golden JSON and reads
//! the new content, (b) `tests/py/check_appended.py` checks new and old values with h5py and
//! PyTables, (c) `h5dump` reads each file.

#![allow(clippy::single_range_in_vec_init)] // hyperslabs of 1-D datasets

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use pymodaq_h5::error::Error;
use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;
use serde_json::Value as J;

fn fixture(name: &str) -> PathBuf {
    common::root().join("fixtures/hdf5").join(name)
}

fn copy(dir: &Path, name: &str) -> PathBuf {
    let dst = dir.join(name);
    std::fs::copy(fixture(name), &dst).unwrap();
    dst
}

/// Remove from `ours` what the golden lacks (new children and attributes), and blank the
/// nodes at `touched` paths (their data changed on purpose), then compare.
fn prune(ours: &mut J, golden: &mut J, path: &str, touched: &[&str]) {
    if touched.contains(&path) {
        for j in [&mut *ours, &mut *golden] {
            if let J::Object(m) = j {
                m.retain(|k, _| k == "attrs" || k == "children" || k == "kind");
            }
        }
    }
    for key in ["attrs", "children"] {
        let (Some(J::Object(a)), Some(J::Object(b))) =
            (ours.get_mut(key), golden.get_mut(key).map(|x| x as &mut J))
        else {
            continue;
        };
        a.retain(|k, _| b.contains_key(k));
        if key == "attrs" {
            for t in touched {
                if let Some(name) = t.strip_prefix(&format!("{path}@")) {
                    a.remove(name);
                    b.remove(name);
                }
            }
        }
        if key == "children" {
            for (k, bv) in b.iter_mut() {
                if let Some(av) = a.get_mut(k) {
                    let p = if path == "/" {
                        format!("/{k}")
                    } else {
                        format!("{path}/{k}")
                    };
                    prune(av, bv, &p, touched);
                }
            }
        }
    }
}

/// (a): every part of the fixture not in `touched` dumps as the golden says. `touched`
/// holds dataset paths (data changed) and `path@attr` (attribute overwritten).
fn check_old_content(h5: &Path, golden: &str, touched: &[&str]) {
    let text = std::fs::read_to_string(fixture(golden)).unwrap();
    let mut golden: J = serde_json::from_str(&text).unwrap();
    let file = File::open(h5).unwrap();
    let mut ours = pymodaq_h5::dump::dump_file(&file, "x.h5").unwrap().json;
    let (Some(o), Some(g)) = (ours.get_mut("root"), golden.get_mut("root")) else {
        panic!("no root");
    };
    prune(o, g, "/", touched);
    let (mut o, mut g) = (o.clone(), g.clone());
    common::normalise(&mut o, &mut g);
    let mut diffs = Vec::new();
    common::diff("", &o, &g, &mut diffs);
    assert!(
        diffs.is_empty(),
        "{}: {} differences:\n{}",
        h5.display(),
        diffs.len(),
        diffs[..diffs.len().min(15)].join("\n")
    );
}

fn read_f64(f: &File, p: &str) -> Vec<f64> {
    match f.get(p).unwrap() {
        Node::Dataset(d) => d.read::<f64>().unwrap(),
        _ => panic!("{p} not a dataset"),
    }
}

fn shape(f: &File, p: &str) -> Vec<u64> {
    match f.get(p).unwrap() {
        Node::Dataset(d) => d.shape().to_vec(),
        _ => panic!("{p} not a dataset"),
    }
}

const SCAN: &str = "/Raw_datas/Scan000";

/// PyTables CArray/EArray zoo: appends (2-level B-tree, 1-D, empty), slices into
/// filtered/unfiltered/never-written CArrays, a new group with datasets, attributes.
fn edit_carray_zoo(dir: &Path) -> PathBuf {
    let p = copy(dir, "pt_carray_zoo.h5");
    let mut w = Writer::open(&p, WriteOptions::default()).unwrap();
    let ea = w.open_dataset(&format!("{SCAN}/earray_rows")).unwrap();
    assert_eq!(w.shape(&ea).unwrap(), vec![200, 8]);
    // 25 rows of 8 in several appends, flushed in between: 200 -> 225 rows.
    let rows: Vec<f64> = (0..25 * 8).map(|i| 1000.0 + f64::from(i)).collect();
    for part in rows.chunks(5 * 8) {
        w.append(&ea, part).unwrap();
        w.flush().unwrap();
    }
    let e1 = w.open_dataset(&format!("{SCAN}/earray_1d_uint16")).unwrap();
    let v: Vec<u16> = (0..10).map(|i| 60000 + i).collect();
    w.append(&e1, &v).unwrap();
    let e0 = w.open_dataset(&format!("{SCAN}/earray_empty")).unwrap();
    let v: Vec<f64> = (0..15).map(|i| -f64::from(i)).collect();
    w.append(&e0, &v).unwrap();
    let cz = w
        .open_dataset(&format!("{SCAN}/carray_zlib5_shuffle"))
        .unwrap();
    w.write_slice(&cz, &[5..10, 3..20], &[7.25f64; 5 * 17])
        .unwrap();
    let cn = w.open_dataset(&format!("{SCAN}/carray_nofilter")).unwrap();
    w.write_slice(&cn, &[0..3, 5..9], &[-9i32; 12]).unwrap();
    let cw = w
        .open_dataset(&format!("{SCAN}/carray_never_written"))
        .unwrap();
    w.write_slice(&cw, &[2..4, 2..4], &[3.5f64; 4]).unwrap();
    // A PyTables Table: two copies of row 0 appended (NROWS follows the dataspace).
    let row0 = {
        let f = File::open(&p).unwrap();
        let Node::Dataset(t) = f.get(&format!("{SCAN}/table_small")).unwrap() else {
            panic!()
        };
        let raw = t.read_raw().unwrap();
        raw[..raw.len() / 3].to_vec()
    };
    let ts = w.open_dataset(&format!("{SCAN}/table_small")).unwrap();
    w.append_raw(&ts, &[row0.clone(), row0].concat()).unwrap();
    // New objects in an existing group.
    w.create_group_titled("/Raw_datas/Scan001", "appended scan")
        .unwrap();
    let nd = w
        .create_dataset(
            "/Raw_datas/Scan001/data",
            DatasetBuilder::new(Dtype::F64)
                .shape(&[0, 3])
                .max_shape(&[None, Some(3)])
                .chunks(&[4, 3])
                .shuffle()
                .deflate(5)
                .pytables_class(PyTablesClass::EArray),
        )
        .unwrap();
    w.append(&nd, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    let na = w
        .create_dataset(
            &format!("{SCAN}/new_array"),
            DatasetBuilder::new(Dtype::I64)
                .shape(&[4])
                .pytables_class(PyTablesClass::Array),
        )
        .unwrap();
    w.write(&na, &[1i64, 2, 3, 4]).unwrap();
    // Attributes: new ones, and an overwrite of an existing one.
    w.set_attr("/", "appended_by", "pymodaq-h5").unwrap();
    w.set_attr(&format!("{SCAN}/earray_rows"), "TITLE", "rows+")
        .unwrap();
    w.set_attr(&format!("{SCAN}/earray_rows"), "n_appended", 25i64)
        .unwrap();
    // Enough attributes to need a new continuation chunk on an existing header.
    for i in 0..30 {
        w.set_attr(
            SCAN,
            &format!("extra{i}"),
            AttrValue::F64s(vec![f64::from(i); 8]),
        )
        .unwrap();
    }
    w.close().unwrap();

    let f = File::open(&p).unwrap();
    assert_eq!(shape(&f, &format!("{SCAN}/earray_rows")), vec![225, 8]);
    let all = read_f64(&f, &format!("{SCAN}/earray_rows"));
    assert_eq!(&all[200 * 8..], &rows[..]);
    assert_eq!(shape(&f, &format!("{SCAN}/earray_empty")), vec![5, 3]);
    assert_eq!(shape(&f, "/Raw_datas/Scan001/data"), vec![2, 3]);
    check_old_content(
        &p,
        "pt_carray_zoo.json",
        &[
            "/Raw_datas/Scan000/earray_rows",
            "/Raw_datas/Scan000/earray_1d_uint16",
            "/Raw_datas/Scan000/earray_empty",
            "/Raw_datas/Scan000/carray_zlib5_shuffle",
            "/Raw_datas/Scan000/carray_nofilter",
            "/Raw_datas/Scan000/carray_never_written",
            "/Raw_datas/Scan000/earray_rows@TITLE",
            "/Raw_datas/Scan000/table_small",
            "/Raw_datas/Scan000/table_small@NROWS",
        ],
    );
    p
}

/// PyTables VLArrays: rows appended to the float64 and uint8 ones.
fn edit_vlarray(dir: &Path) -> PathBuf {
    let p = copy(dir, "pt_vlarray.h5");
    let mut w = Writer::open(&p, WriteOptions::default()).unwrap();
    let fl = w.open_dataset("/logger/float64_rows").unwrap();
    let r1: Vec<u8> = [1.5f64, 2.5].iter().flat_map(|x| x.to_le_bytes()).collect();
    w.append_vlen(&fl, &[&r1, &[]]).unwrap();
    let u8s = w.open_dataset("/logger/pickles_uint8").unwrap();
    w.append_vlen(&u8s, &[b"appended row"]).unwrap();
    let nw = w.open_dataset("/logger/never_written").unwrap();
    let r2: Vec<u8> = [9.0f64].iter().flat_map(|x| x.to_le_bytes()).collect();
    w.append_vlen(&nw, &[&r2]).unwrap();
    w.close().unwrap();
    check_old_content(
        &p,
        "pt_vlarray.json",
        &[
            "/logger/float64_rows",
            "/logger/pickles_uint8",
            "/logger/never_written",
        ],
    );
    p
}

/// PyTables 1000-member group: 100 new members (SNOD splits, heap growth).
fn edit_big_group(dir: &Path) -> PathBuf {
    let p = copy(dir, "pt_big_group.h5");
    let mut w = Writer::open(&p, WriteOptions::default()).unwrap();
    let f = File::open(&p).unwrap();
    let Node::Group(root) = f.get("/").unwrap() else {
        panic!()
    };
    assert!(root.links().unwrap().iter().any(|l| l.name == "big"));
    let big = "big";
    for i in 0..100 {
        w.create_group(&format!("/{big}/zz_new{i:03}")).unwrap();
    }
    w.create_group(&format!("/{big}/aaa_first")).unwrap();
    w.set_attr(&format!("/{big}/zz_new050"), "k", 50i64)
        .unwrap();
    w.close().unwrap();
    check_old_content(&p, "pt_big_group.json", &[]);
    std::fs::write(dir.join("big_group_name.txt"), big).unwrap();
    p
}

/// h5py default-profile layouts file: a new dataset at the root, a slice into a chunked
/// dataset, attributes.
fn edit_h5py_layouts(dir: &Path) -> PathBuf {
    let p = copy(dir, "h5py_default_layouts.h5");
    let mut w = Writer::open(
        &p,
        WriteOptions {
            pytables: false,
            ..Default::default()
        },
    )
    .unwrap();
    let d = w
        .create_dataset(
            "/appended",
            DatasetBuilder::new(Dtype::I32)
                .shape(&[0])
                .max_shape(&[None])
                .chunks(&[16]),
        )
        .unwrap();
    w.append(&d, &(0..40).collect::<Vec<i32>>()).unwrap();
    w.create_group("/new_group").unwrap();
    w.set_attr("/new_group", "note", AttrValue::VlenStr("hello".into()))
        .unwrap();
    w.set_attr("/", "added", 1.25f64).unwrap();
    // h5py's resizable datasets: appends (partial last chunk, 2 chunk columns).
    let g = w.open_dataset("/chunked/chunk_gt_dims").unwrap();
    w.append(&g, &[10i64, 11, 12, 13]).unwrap();
    let r = w.open_dataset("/chunked/resized").unwrap();
    w.append(&r, &[0.5f64, 1.5, 2.5, 3.5, 4.5, 5.5]).unwrap();
    // Slices: gzip+shuffle (new chunk versions), unfiltered (in place), compact (the
    // layout message patched in place), contiguous.
    let z = w.open_dataset("/chunked/gzip4_shuffle").unwrap();
    w.write_slice(&z, &[0..4, 0..4], &[-1i32; 16]).unwrap();
    let fi = w.open_dataset("/chunked/fill_int").unwrap();
    w.write_slice(&fi, &[10..12], &[99i32, 98]).unwrap();
    let c = w.open_dataset("/compact").unwrap();
    w.write_slice(&c, &[0..2], &[-5i16, -6]).unwrap();
    let ct = w.open_dataset("/contiguous").unwrap();
    w.write_slice(&ct, &[1..2, 0..20], &[7i32; 20]).unwrap();
    // Never-written contiguous (late allocation): allocated, filled, layout repointed.
    let nw = w.open_dataset("/contiguous_never_written").unwrap();
    w.write_slice(&nw, &[1..3], &[8.0f32, 9.0]).unwrap();
    w.close().unwrap();
    check_old_content(
        &p,
        "h5py_default_layouts.json",
        &[
            "/chunked/chunk_gt_dims",
            "/chunked/resized",
            "/chunked/gzip4_shuffle",
            "/chunked/fill_int",
            "/compact",
            "/contiguous",
            "/contiguous_never_written",
        ],
    );
    p
}

/// h5py default-profile type zoo: attributes on the root (13 attributes already, one of
/// them a 73 KB vlen string) and a new dataset.
fn edit_h5py_types(dir: &Path) -> PathBuf {
    let p = copy(dir, "h5py_default_types.h5");
    let mut w = Writer::open(
        &p,
        WriteOptions {
            pytables: false,
            ..Default::default()
        },
    )
    .unwrap();
    w.set_attr("/", "appended", AttrValue::I64s(vec![7, 8, 9]))
        .unwrap();
    let d = w
        .create_dataset("/new_f32", DatasetBuilder::new(Dtype::F32).shape(&[3]))
        .unwrap();
    w.write(&d, &[0.5f32, 1.5, 2.5]).unwrap();
    // A NULL-dataspace dataset: its data cannot be written, its attributes can.
    assert!(matches!(
        w.open_dataset("/types/empty_null"),
        Err(Error::Unsupported { .. })
    ));
    w.set_attr("/types/empty_null", "note", "still annotatable")
        .unwrap();
    w.close().unwrap();
    check_old_content(&p, "h5py_default_types.json", &[]);
    p
}

/// A file of our own writer, reopened.
fn edit_ours(dir: &Path) -> PathBuf {
    let p = dir.join("ours.h5");
    {
        let mut w = Writer::create(&p, WriteOptions::default()).unwrap();
        w.create_group("/g").unwrap();
        let ea = w
            .create_dataset(
                "/g/ea",
                DatasetBuilder::new(Dtype::F64)
                    .shape(&[0, 2])
                    .max_shape(&[None, Some(2)])
                    .chunks(&[3, 2])
                    .deflate(4)
                    .pytables_class(PyTablesClass::EArray),
            )
            .unwrap();
        w.append(&ea, &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
            .unwrap();
        w.close().unwrap();
    }
    let mut w = Writer::open(&p, WriteOptions::default()).unwrap();
    let ea = w.open_dataset("/g/ea").unwrap();
    w.append(&ea, &[8.0, 9.0, 10.0, 11.0]).unwrap();
    w.create_group("/g/sub").unwrap();
    w.set_attr("/g", "reopened", AttrValue::Bool(true)).unwrap();
    w.close().unwrap();
    let f = File::open(&p).unwrap();
    assert_eq!(
        read_f64(&f, "/g/ea"),
        (0..12).map(f64::from).collect::<Vec<_>>()
    );
    p
}

/// Superblock-v3 files open for writing (see `write_reopen_v110.rs`); link-message groups,
/// compact or dense, creation-ordered (h5py `track_order`) or not, gain members
/// (creation order: tests/write_track_order.rs).
#[test]
fn link_message_groups_extended_or_refused() {
    let dir = common::temp_dir("append-refuse");
    let p = copy(&dir, "h5py_latest_types.h5");
    let mut w = Writer::open(&p, WriteOptions::default()).unwrap();
    w.set_attr("/", "reopened", AttrValue::I64(1)).unwrap();
    w.close().unwrap();
    let f = File::open(&p).unwrap();
    assert!(f
        .root()
        .unwrap()
        .object()
        .attribute("reopened")
        .unwrap()
        .is_some());
    let p = copy(&dir, "h5py_default_links.h5");
    let mut w = Writer::open(&p, WriteOptions::default()).unwrap();
    let f = File::open(&p).unwrap();
    let Node::Group(root) = f.get("/").unwrap() else {
        panic!()
    };
    let (mut refused, mut added) = (Vec::new(), Vec::new());
    for l in root.links().unwrap() {
        let path = format!("/{}", l.name);
        if let Ok(Node::Group(g)) = f.get(&path) {
            if g.object().has(0x2) || g.object().has(0x6) {
                let before = std::fs::read(&p).unwrap();
                match w.create_group(&format!("{path}/x")) {
                    Err(Error::Unsupported { .. }) => {
                        assert_eq!(std::fs::read(&p).unwrap(), before, "refused {path} wrote");
                        refused.push(l.name.clone())
                    }
                    Ok(()) => added.push(path),
                    Err(e) => panic!("{path}: {e}"),
                }
            }
        }
    }
    assert!(refused.is_empty(), "{refused:?}");
    for g in ["/track_order_large", "/track_order_small"] {
        assert!(added.iter().any(|p| p == g), "{added:?}");
    }
    // A dense group (10 links, fractal heap) gains a member: its dense storage is rewritten.
    assert!(added.iter().any(|p| p == "/unicode_large"), "{added:?}");
    // (Compact link groups gaining members: tests/write_reopen_v110.rs.)
    w.close().unwrap();
    let f = File::open(&p).unwrap();
    for path in &added {
        let Node::Group(g) = f.get(path).unwrap() else {
            panic!("{path}")
        };
        assert!(g.link("x").unwrap().is_some(), "{path}/x missing");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn append_to_existing_files() {
    let dir = common::temp_dir("append-existing");
    let files = vec![
        edit_carray_zoo(&dir),
        edit_vlarray(&dir),
        edit_big_group(&dir),
        edit_h5py_layouts(&dir),
        edit_h5py_types(&dir),
        edit_ours(&dir),
    ];
    for p in &files {
        match Command::new("h5dump").arg(p).output() {
            Ok(out) => assert!(
                out.status.success(),
                "h5dump {} failed: {}",
                p.display(),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(_) if std::env::var_os("CI").is_some() => panic!("h5dump not installed"),
            Err(_) => eprintln!("notice: h5dump not installed; h5dump check skipped"),
        }
    }
    let Some(py) = common::python() else {
        return;
    };
    let script = common::root().join("tests/py/check_appended.py");
    let out = Command::new(py)
        .arg(script)
        .arg(&dir)
        .arg(common::root().join("fixtures/hdf5"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "check_appended.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
