//! Basic writer scenarios, read back with our reader.

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("pymodaq_h5_write_{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn ds(f: &File, p: &str) -> pymodaq_h5::hdf5::read::Dataset {
    match f.get(p).unwrap() {
        Node::Dataset(d) => d,
        _ => panic!("{p} not a dataset"),
    }
}

#[test]
fn earray_append_and_attrs() {
    let path = tmp("basic.h5");
    {
        let mut w = Writer::create(&path, WriteOptions::default()).unwrap();
        w.create_group("/RawData").unwrap();
        w.set_attr("/RawData", "TITLE", AttrValue::Str("raw é".into()))
            .unwrap();
        let d = w
            .create_dataset(
                "/RawData/Data00",
                DatasetBuilder::new(Dtype::F64)
                    .shape(&[0, 4])
                    .max_shape(&[None, Some(4)])
                    .chunks(&[8, 4])
                    .deflate(5)
                    .shuffle()
                    .pytables_class(PyTablesClass::EArray),
            )
            .unwrap();
        let rows: Vec<f64> = (0..40).map(f64::from).collect();
        w.append(&d, &rows).unwrap();
        w.flush().unwrap();
        w.append(&d, &rows[..8]).unwrap();
        w.close().unwrap();
    }
    let f = File::open(&path).unwrap();
    let d = ds(&f, "/RawData/Data00");
    assert_eq!(d.shape(), &[12, 4]);
    let v: Vec<f64> = d.read().unwrap();
    let mut want: Vec<f64> = (0..40).map(f64::from).collect();
    want.extend((0..8).map(f64::from));
    assert_eq!(v, want);
}

/// An attribute too big for a header message goes to dense storage (the root header
/// becomes v2), never truncated; replacing it with a small one keeps it dense.
#[test]
fn big_attribute_stored_densely_not_truncated() {
    let st = MemWriteStorage::new();
    let mut w = Writer::with_storage(Box::new(st.clone()), WriteOptions::default()).unwrap();
    let big = "x".repeat(80_000);
    w.set_attr("/", "settings", AttrValue::Str(big.clone()))
        .unwrap();
    w.set_attr("/", "small", AttrValue::I64(7)).unwrap();
    let f = File::from_bytes(st.bytes()).unwrap();
    let root = f.root().unwrap();
    let a = root.object().attribute("settings").unwrap().unwrap();
    assert_eq!(a.as_string().unwrap(), big);
    w.set_attr("/", "settings", AttrValue::Str("x".repeat(60_000)))
        .unwrap();
    w.close().unwrap();
    let f = File::from_bytes(st.bytes()).unwrap();
    let root = f.root().unwrap();
    let a = root.object().attribute("settings").unwrap().unwrap();
    assert_eq!(a.as_string().unwrap().len(), 60_000);
    let n = root.object().attribute("small").unwrap().unwrap();
    assert!(matches!(
        n.value().unwrap(),
        pymodaq_h5::hdf5::read::value::Value::Int(7)
    ));
}

/// Appends that hold several whole chunks (stored from the caller's bytes), a partial chunk
/// before and after, and whole-chunk slice writes over stored chunks, filtered or not.
#[test]
fn whole_chunk_paths() {
    for filtered in [false, true] {
        let path = tmp(&format!("whole_{filtered}.h5"));
        let rows: Vec<u16> = (0..4 * 37).map(|i| (i * 7 % 1000) as u16).collect();
        {
            let mut w = Writer::create(&path, WriteOptions::default()).unwrap();
            let mut b = DatasetBuilder::new(Dtype::U16)
                .shape(&[0, 4])
                .max_shape(&[None, Some(4)])
                .chunks(&[5, 4]);
            if filtered {
                b = b.shuffle().deflate(1);
            }
            let d = w.create_dataset("/a", b).unwrap();
            w.append(&d, &rows[..4 * 3]).unwrap(); // partial chunk
            w.append(&d, &rows[4 * 3..4 * 25]).unwrap(); // completes it, 3 whole, partial
            w.flush().unwrap();
            w.append(&d, &rows[4 * 25..]).unwrap();
            assert_eq!(w.shape(&d).unwrap(), vec![37, 4]);
            // Whole chunk 1 (rows 5..10) rewritten from a slice, then chunk 7 (rows 35..40,
            // an edge chunk: read-modify-write).
            let new: Vec<u16> = (0..20).map(|i| 5000 + i).collect();
            w.write_slice(&d, &[5..10, 0..4], &new).unwrap();
            w.write_slice(&d, &[35..37, 0..4], &new[..8]).unwrap();
            w.close().unwrap();
        }
        let f = File::open(&path).unwrap();
        let got = ds(&f, "/a").read_raw().unwrap();
        let mut want = rows.clone();
        want[20..40].copy_from_slice(&(0..20).map(|i| 5000 + i).collect::<Vec<u16>>());
        want[140..148].copy_from_slice(&(0..8).map(|i| 5000 + i).collect::<Vec<u16>>());
        let want: Vec<u8> = want.iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(got, want, "filtered {filtered}");
    }
}
