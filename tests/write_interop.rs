//! Interop: write a varied file, check it with h5py + PyTables (tests/py/check_written.py)
//! and h5dump when installed. Python comes from `PYMODAQ_H5_PYTHON`, else `.venv/bin/python`;
//! without either the test is skipped unless `CI` is set.

use pymodaq_h5::hdf5::write::*;
use std::path::PathBuf;
use std::process::Command;

fn python() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("PYMODAQ_H5_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    p.exists().then_some(p)
}

fn write_file(path: &std::path::Path) {
    let mut w = Writer::create(path, WriteOptions::default()).unwrap();
    w.create_group_titled("/RawData", "raw data").unwrap();
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
    let vals: Vec<f64> = (0..200).map(f64::from).collect();
    for rows in vals.chunks(12) {
        w.append(&ea, rows).unwrap();
        w.flush().unwrap();
    }
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
    let dir = std::env::temp_dir().join(format!("pymodaq_h5_interop_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("interop.h5");
    write_file(&path);
    // Our own reader first.
    let f = pymodaq_h5::hdf5::read::File::open(&path).unwrap();
    pymodaq_h5::dump::dump_file(&f, "interop.h5").unwrap();
    // h5dump (libhdf5's own tool) must read every header and every value.
    match Command::new("h5dump").arg(&path).output() {
        Ok(out) => assert!(
            out.status.success(),
            "h5dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("h5dump not installed (scripts/test.sh installs Debian's hdf5-tools)")
        }
        Err(_) => eprintln!("notice: h5dump not installed; h5dump check skipped"),
    }
    let Some(py) = python() else {
        if std::env::var_os("CI").is_some() {
            panic!("no Python with h5py/PyTables (set PYMODAQ_H5_PYTHON)");
        }
        eprintln!("notice: no Python found (PYMODAQ_H5_PYTHON / .venv); interop check skipped");
        return;
    };
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/py/check_written.py");
    let out = Command::new(py).arg(script).arg(&dir).output().unwrap();
    assert!(
        out.status.success(),
        "check_written.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
