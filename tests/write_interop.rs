//! Interop of what we write, in both profiles, checked by h5py, PyTables, `h5dump` (exit 0)
//! and our own reader:
//! - a fixed file of the node kinds PyMoDAQ and PyTables use (EArray, CArray, Array, compact,
//!   fill value, VLArray, attributes of every kind past a continuation block, 300 groups),
//!   written in each profile (tests/py/check_written.py);
//! - random trees in the HDF5 1.10 profile (seeded; the seed is printed) of groups and
//!   datasets of random types, layouts (contiguous, compact, fixed array, extensible array on
//!   the first or the last dimension, filters), appends with flushes, and attributes, plus the
//!   PyTables-tagged nodes PyMoDAQ writes, checked value by value by h5py (normal and
//!   `swmr=True` read mode) and PyTables (tests/py/check_written_v110.py, against an
//!   expectations JSON).
//!
//! Python comes from `PYMODAQ_H5_PYTHON`, else `.venv/bin/python`; without either the Python
//! checks are skipped unless `CI` is set.

mod common;

use common::{write_opts, Rng, PROFILES};

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;
use serde_json::{json, Map, Value as J};
use std::path::Path;

/// `/RawData/EArray`: f64 rows of 4 (chunks 8x4, shuffle, deflate 5) appended 12 values at a
/// time with a flush after each, holding 0..n; returns the values.
fn write_earray(w: &mut Writer, n: i32) -> Vec<f64> {
    let ea = w
        .create_dataset(
            "/RawData/EArray",
            DatasetBuilder::new(Dtype::F64)
                .shape(&[0, 4])
                .max_shape(&[None, Some(4)])
                .chunks(&[8, 4])
                .shuffle()
                .deflate(5)
                .pytables_class(PyTablesClass::EArray),
        )
        .unwrap();
    let vals: Vec<f64> = (0..n).map(f64::from).collect();
    for rows in vals.chunks(12) {
        w.append(&ea, rows).unwrap();
        w.flush().unwrap();
    }
    vals
}

/// `/RawData/CArray`: 10x10 i32 (chunks 4x4, Fletcher-32) with 0..30 written at rows 2..7,
/// columns 3..9.
fn write_carray(w: &mut Writer) -> DatasetId {
    let ca = w
        .create_dataset(
            "/RawData/CArray",
            DatasetBuilder::new(Dtype::I32)
                .shape(&[10, 10])
                .chunks(&[4, 4])
                .fletcher32()
                .pytables_class(PyTablesClass::CArray),
        )
        .unwrap();
    let block: Vec<i32> = (0..30).collect();
    w.write_slice(&ca, &[2..7, 3..9], &block).unwrap();
    ca
}

/// The PyMoDAQ/PyTables-shaped file `tests/py/check_written.py` checks, in `profile`.
fn write_file(path: &Path, profile: Profile) {
    let mut w = Writer::create(path, write_opts(profile)).unwrap();
    w.create_group_titled("/RawData", "raw data").unwrap();
    write_earray(&mut w, 200);
    let ca = write_carray(&mut w);
    w.write_slice(&ca, &[9..10, 0..10], &[-1i32; 10]).unwrap();
    let ar = w
        .create_dataset(
            "/Array",
            DatasetBuilder::new(Dtype::U16)
                .shape(&[5])
                .pytables_class(PyTablesClass::Array),
        )
        .unwrap();
    w.write(&ar, &[0u16, 3, 6, 9, 12]).unwrap();
    let c = w
        .create_dataset(
            "/Compact",
            DatasetBuilder::new(Dtype::I8).shape(&[3]).compact(),
        )
        .unwrap();
    w.write(&c, &[1i8, -2, 3]).unwrap();
    w.create_dataset(
        "/Fill",
        DatasetBuilder::new(Dtype::F64)
            .shape(&[3, 3])
            .chunks(&[2, 2])
            .fill_value(&7.5f64.to_le_bytes()),
    )
    .unwrap();
    let log = w
        .create_dataset(
            "/Log",
            DatasetBuilder::new(Dtype::Vlen(Box::new(Dtype::U8)))
                .shape(&[0])
                .max_shape(&[None])
                .chunks(&[1024])
                .pytables_class(PyTablesClass::VLArray),
        )
        .unwrap();
    let big = b"hello".repeat(100);
    w.append_vlen(&log, &[b"", b"abc", &big]).unwrap();
    w.set_attr("/RawData", "s", AttrValue::Str("héllo".into()))
        .unwrap();
    w.set_attr("/RawData", "empty", AttrValue::Str(String::new()))
        .unwrap();
    w.set_attr("/RawData", "vs", AttrValue::VlenStr("vlen str".into()))
        .unwrap();
    w.set_attr("/RawData", "i", 42i64).unwrap();
    w.set_attr("/RawData", "f", 1.5f64).unwrap();
    w.set_attr("/RawData", "ia", AttrValue::I64s(vec![1, 2, 3]))
        .unwrap();
    w.set_attr("/RawData", "fa", AttrValue::F64s(vec![0.5, 1.5]))
        .unwrap();
    w.set_attr("/RawData", "over", AttrValue::Ascii("first".into()))
        .unwrap();
    w.set_attr("/RawData", "over", AttrValue::Ascii("second".into()))
        .unwrap();
    // Enough attributes to need a continuation block.
    for i in 0..40 {
        w.set_attr(
            "/RawData",
            &format!("pad{i}"),
            AttrValue::Str("x".repeat(50)),
        )
        .unwrap();
    }
    w.create_group("/Many").unwrap();
    // Reverse order exercises sorted insertion and SNOD/B-tree splits.
    for i in (0..300).rev() {
        w.create_group(&format!("/Many/g{i:03}")).unwrap();
    }
    w.set_attr("/Many/g123", "k", 123i64).unwrap();
    w.close().unwrap();
}

#[test]
fn interop_h5py_pytables_h5dump() {
    let dir = common::temp_dir("interop");
    let py = common::python();
    for profile in PROFILES {
        let path = dir.join(format!("interop_{profile:?}.h5"));
        write_file(&path, profile);
        // Our own reader first.
        let f = File::open(&path).unwrap();
        pymodaq_h5::dump::dump_file(&f, "interop.h5").unwrap();
        common::h5dump_ok(&path, &format!("{profile:?}"));
        if let Some(py) = &py {
            common::run_py(py, "tests/py/check_written.py", [&path]);
        }
    }
}

struct Expect {
    groups: Vec<String>,
    datasets: Map<String, J>,
    attrs: Map<String, J>,
}

impl Expect {
    fn attr(&mut self, path: &str, name: &str, kind: &str, value: J) {
        let e = self
            .attrs
            .entry(path.to_string())
            .or_insert_with(|| json!({}));
        e[name] = json!({"kind": kind, "value": value});
    }
}

/// Values of numpy type `np` (`<i1` ...) for `n` elements, as raw little-endian bytes and
/// JSON numbers.
fn values(rng: &mut Rng, np: &str, n: usize) -> (Vec<u8>, Vec<J>) {
    let mut raw = Vec::new();
    let mut js = Vec::new();
    // One element: its little-endian bytes and its JSON number.
    macro_rules! push {
        ($v:expr) => {{
            let v = $v;
            raw.extend_from_slice(&v.to_le_bytes());
            js.push(json!(v));
        }};
    }
    for _ in 0..n {
        let r = rng.next();
        match np {
            "<i1" => push!(r as i8),
            "<i2" => push!(r as i16),
            "<i4" => push!(r as i32),
            "<i8" => push!(r as i64),
            "|u1" => push!(r as u8),
            "<u2" => push!(r as u16),
            "<u4" => push!(r as u32),
            "<u8" => push!(r >> 12), // exact in JSON doubles too
            "<f4" => push!((r % 100_000) as f32 / 8.0 - 5000.0),
            _ => push!((r % 1_000_000_007) as f64 / 1024.0 - 400_000.0),
        }
    }
    (raw, js)
}

const TYPES: [(&str, Dtype); 10] = [
    ("<i1", Dtype::I8),
    ("<i2", Dtype::I16),
    ("<i4", Dtype::I32),
    ("<i8", Dtype::I64),
    ("|u1", Dtype::U8),
    ("<u2", Dtype::U16),
    ("<u4", Dtype::U32),
    ("<u8", Dtype::U64),
    ("<f4", Dtype::F32),
    ("<f8", Dtype::F64),
];

fn write_random_tree(path: &Path, seed: u64) -> Expect {
    let mut rng = Rng(seed | 1);
    let opts = WriteOptions {
        profile: Profile::Hdf5V110,
        ..WriteOptions::default()
    };
    let mut w = Writer::create(path, opts).unwrap();
    let mut ex = Expect {
        groups: vec!["/".into()],
        datasets: Map::new(),
        attrs: Map::new(),
    };
    let ngroups = 3 + rng.below(12);
    for i in 0..ngroups {
        let parent = ex.groups[rng.below(ex.groups.len() as u64) as usize].clone();
        let name = if i % 5 == 4 {
            format!("grüppe{i}")
        } else {
            format!("g{i}")
        };
        let p = format!("{}/{name}", parent.trim_end_matches('/'));
        w.create_group(&p).unwrap();
        ex.groups.push(p);
    }
    let nds = 5 + rng.below(20);
    for i in 0..nds {
        let parent = ex.groups[rng.below(ex.groups.len() as u64) as usize].clone();
        let p = format!("{}/d{i}", parent.trim_end_matches('/'));
        let (np, dt) = TYPES[rng.below(10) as usize].clone();
        let rank = 1 + rng.below(3) as usize;
        let shape: Vec<u64> = (0..rank).map(|_| 1 + rng.below(9)).collect();
        let chunks: Vec<u64> = shape.iter().map(|d| 1 + rng.below(*d)).collect();
        let n: u64 = shape.iter().product();
        let layout = rng.below(6);
        let mut b = DatasetBuilder::new(dt).shape(&shape);
        let filt = |mut b: DatasetBuilder, rng: &mut Rng| {
            let f = rng.below(8);
            if f & 1 != 0 {
                b = b.shuffle();
            }
            if f & 2 != 0 {
                b = b.deflate(rng.below(10) as u32);
            }
            if f & 4 != 0 {
                b = b.fletcher32();
            }
            b
        };
        let mut max: Vec<Option<u64>> = shape.iter().map(|d| Some(*d)).collect();
        let chunked = layout >= 2;
        b = match layout {
            0 => b,
            1 => b.compact(),
            2 => filt(b.chunks(&chunks), &mut rng),
            3 | 4 => {
                max[0] = None;
                filt(b.chunks(&chunks).max_shape(&max), &mut rng)
            }
            _ => {
                max[rank - 1] = None;
                filt(b.chunks(&chunks).max_shape(&max), &mut rng)
            }
        };
        let d = w.create_dataset(&p, b).unwrap();
        let (raw, mut js) = values(&mut rng, np, n as usize);
        let sel: Vec<_> = shape.iter().map(|x| 0..*x).collect();
        w.write_slice_raw(&d, &sel, &raw).unwrap();
        let mut shape = shape;
        if layout == 3 || layout == 4 {
            // Appends along the unlimited first dimension, flushed now and then.
            let row: u64 = shape[1..].iter().product();
            for _ in 0..rng.below(6) {
                let k = rng.below(30);
                let (raw, more) = values(&mut rng, np, (k * row) as usize);
                w.append_raw(&d, &raw).unwrap();
                js.extend(more);
                shape[0] += k;
                if rng.below(2) == 0 {
                    w.flush().unwrap();
                }
            }
        }
        if layout == 5 {
            // Grow the last (unlimited) dimension by a hyperslab write past the extent.
            let old = shape.clone();
            let k = 1 + rng.below(12);
            let mut sel: Vec<_> = shape.iter().map(|x| 0..*x).collect();
            sel[rank - 1] = old[rank - 1]..old[rank - 1] + k;
            let cnt: u64 = sel.iter().map(|r| r.end - r.start).product();
            let (raw, more) = values(&mut rng, np, cnt as usize);
            w.write_slice_raw(&d, &sel, &raw).unwrap();
            shape[rank - 1] += k;
            // Merge: rows of the old last dim then the new columns, row-major.
            let outer = (cnt / k) as usize;
            let (on, kn) = (old[rank - 1] as usize, k as usize);
            let mut merged = Vec::with_capacity(js.len() + more.len());
            for r in 0..outer {
                merged.extend_from_slice(&js[r * on..(r + 1) * on]);
                merged.extend_from_slice(&more[r * kn..(r + 1) * kn]);
            }
            js = merged;
        }
        let mut e = json!({"dtype": np, "shape": shape, "values": js});
        if chunked {
            e["chunks"] = json!(chunks);
        }
        ex.datasets.insert(p.clone(), e);
        for k in 0..rng.below(12) {
            let name = format!("a{k}");
            match k % 5 {
                0 => {
                    let v = rng.next() as i64;
                    w.set_attr(&p, &name, AttrValue::I64(v)).unwrap();
                    ex.attr(&p, &name, "i64", json!(v));
                }
                1 => {
                    let v = (rng.below(1000) as f64) / 4.0;
                    w.set_attr(&p, &name, AttrValue::F64(v)).unwrap();
                    ex.attr(&p, &name, "f64", json!(v));
                }
                2 => {
                    let v = format!("välue {}", rng.below(1000));
                    w.set_attr(&p, &name, AttrValue::Str(v.clone())).unwrap();
                    ex.attr(&p, &name, "str", json!(v));
                }
                3 => {
                    let v = format!("vlen {}", rng.below(1000));
                    w.set_attr(&p, &name, AttrValue::VlenStr(v.clone()))
                        .unwrap();
                    ex.attr(&p, &name, "vlenstr", json!(v));
                }
                _ => {
                    let v: Vec<i64> = (0..rng.below(20)).map(|x| x as i64 - 3).collect();
                    w.set_attr(&p, &name, AttrValue::I64s(v.clone())).unwrap();
                    ex.attr(&p, &name, "array", json!(v));
                }
            }
        }
    }
    // The shape of a PyMoDAQ file: PyTables-tagged EArray/CArray/Array/VLArray, a
    // channel group with more members than HDF5's default compact-link limit (8) and
    // many attributes.
    w.create_group_titled("/RawData", "raw data").unwrap();
    ex.groups.push("/RawData".into());
    let vals = write_earray(&mut w, 2000);
    ex.datasets.insert(
        "/RawData/EArray".into(),
        json!({"dtype": "<f8", "shape": [500, 4], "values": vals, "class": "EArray"}),
    );
    write_carray(&mut w);
    let mut want = vec![0i32; 100];
    for r in 0..5 {
        for c in 0..6 {
            want[(r + 2) * 10 + c + 3] = (r * 6 + c) as i32;
        }
    }
    ex.datasets.insert(
        "/RawData/CArray".into(),
        json!({"dtype": "<i4", "shape": [10, 10], "values": want, "class": "CArray"}),
    );
    let ar = w
        .create_dataset(
            "/RawData/Array",
            DatasetBuilder::new(Dtype::U16)
                .shape(&[5])
                .pytables_class(PyTablesClass::Array),
        )
        .unwrap();
    w.write(&ar, &[0u16, 3, 6, 9, 12]).unwrap();
    ex.datasets.insert(
        "/RawData/Array".into(),
        json!({"dtype": "<u2", "shape": [5], "values": [0, 3, 6, 9, 12], "class": "Array"}),
    );
    let log = w
        .create_dataset(
            "/RawData/Log",
            DatasetBuilder::new(Dtype::Vlen(Box::new(Dtype::U8)))
                .shape(&[0])
                .max_shape(&[None])
                .chunks(&[64])
                .pytables_class(PyTablesClass::VLArray),
        )
        .unwrap();
    let big = b"hello".repeat(100);
    w.append_vlen(&log, &[b"", b"abc", &big]).unwrap();
    ex.datasets.insert(
        "/RawData/Log".into(),
        json!({"dtype": "vlen_u8", "shape": [3], "values": [b"".to_vec(), b"abc".to_vec(), big]}),
    );
    w.create_group("/RawData/CH00").unwrap();
    ex.groups.push("/RawData/CH00".into());
    for i in 0..24 {
        let p = format!("/RawData/CH00/Data{i:02}");
        let d = w
            .create_dataset(&p, DatasetBuilder::new(Dtype::F64).shape(&[3]))
            .unwrap();
        w.write(&d, &[i as f64, 1.0, 2.0]).unwrap();
        ex.datasets.insert(
            p,
            json!({"dtype": "<f8", "shape": [3], "values": [i as f64, 1.0, 2.0]}),
        );
    }
    for i in 0..30 {
        let v = "x".repeat(i + 1);
        w.set_attr(
            "/RawData/CH00",
            &format!("pad{i:02}"),
            AttrValue::Str(v.clone()),
        )
        .unwrap();
        ex.attr("/RawData/CH00", &format!("pad{i:02}"), "str", json!(v));
    }
    w.set_attr("/RawData", "f", AttrValue::F64s(vec![0.5, 1.5]))
        .unwrap();
    ex.attr("/RawData", "f", "array", json!([0.5, 1.5]));
    w.close().unwrap();
    ex
}

fn check_ours(path: &Path, ex: &Expect) {
    let f = File::open(path).unwrap();
    assert_eq!(f.superblock().version, 3);
    for (p, d) in &ex.datasets {
        let Node::Dataset(ds) = f.get(p).unwrap() else {
            panic!("{p} not a dataset")
        };
        let shape: Vec<u64> = serde_json::from_value(d["shape"].clone()).unwrap();
        assert_eq!(ds.shape(), &shape[..], "{p}");
        if d["dtype"] == "vlen_u8" {
            continue;
        }
        let got = ds.read::<f64>().unwrap();
        let want: Vec<f64> = d["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        if d["dtype"] == "<i8" || d["dtype"] == "<u8" {
            assert_eq!(got.len(), want.len(), "{p}");
        } else {
            assert_eq!(got, want, "{p}");
        }
    }
}

#[test]
fn v110_interop_h5py_swmr_pytables_h5dump() {
    let dir = std::env::temp_dir().join(format!("pymodaq_h5_v110_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let py = common::python();
    for k in 0..4u64 {
        let seed = base.wrapping_add(k.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        eprintln!("v110 interop seed {seed}");
        let path = dir.join(format!("v110_{k}.h5"));
        let ex = write_random_tree(&path, seed);
        check_ours(&path, &ex);
        common::h5dump_ok(&path, &format!("seed {seed}"));
        let Some(py) = &py else { continue };
        let exp = dir.join(format!("v110_{k}.json"));
        let doc = json!({"groups": ex.groups, "datasets": ex.datasets, "attrs": ex.attrs});
        std::fs::write(&exp, serde_json::to_vec(&doc).unwrap()).unwrap();
        common::run_py(py, "tests/py/check_written_v110.py", [&path, &exp]);
    }
    if std::env::var_os("PYMODAQ_H5_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
