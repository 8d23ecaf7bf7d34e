//! Crash replay: an append session's exact sequence of storage operations is recorded, then
//! every prefix of it (the file as a crash after that operation would leave it) is opened.
//! Once the file has first been committed, every prefix must open in our reader and hold at
//! least the rows acknowledged by the last completed `flush()`, every row it holds equal to
//! what was written (no torn or invented row), attributes and groups intact. A sample of
//! prefixes is also opened by h5py.

mod common;

use std::sync::{Arc, Mutex};

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::{
    AttrValue, DatasetBuilder, Dtype, MemWriteStorage, PyTablesClass, WriteOptions, Writer,
};

use common::recording::{acknowledged, apply, Op, Recording};

const WIDTH: usize = 6;
const SCAN_ROWS: usize = 50;

fn row(i: usize) -> Vec<f64> {
    (0..WIDTH)
        .map(|j| i as f64 * 10.0 + j as f64 + 0.25)
        .collect()
}

/// Run the session; returns the op log and, per flush, (ops so far, rows acknowledged).
fn session() -> (Vec<Op>, Vec<(usize, usize)>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let st = Recording {
        inner: MemWriteStorage::new(),
        log: log.clone(),
    };
    let mut w = Writer::with_storage(Box::new(st), WriteOptions::default()).unwrap();
    let mut acked = Vec::new();
    w.create_group("/RawData").unwrap();
    w.set_attr("/RawData", "type", AttrValue::from("scan"))
        .unwrap();
    let mk = |filtered: bool| {
        let b = DatasetBuilder::new(Dtype::F64)
            .shape(&[0, WIDTH as u64])
            .max_shape(&[None, Some(WIDTH as u64)])
            .chunks(&[4, WIDTH as u64])
            .pytables_class(PyTablesClass::EArray);
        if filtered {
            b.shuffle().deflate(5)
        } else {
            b
        }
    };
    let raw = w.create_dataset("/RawData/raw", mk(false)).unwrap();
    let zip = w.create_dataset("/RawData/zipped", mk(true)).unwrap();
    // A pre-sized scan array written point by point (PyMoDAQ's extended saving).
    let scan = w
        .create_dataset(
            "/RawData/scan",
            DatasetBuilder::new(Dtype::F64)
                .shape(&[SCAN_ROWS as u64, WIDTH as u64])
                .chunks(&[2, WIDTH as u64])
                .shuffle()
                .deflate(1)
                .pytables_class(PyTablesClass::CArray),
        )
        .unwrap();
    w.flush().unwrap();
    acked.push((log.lock().unwrap().len(), 0));
    let mut n = 0;
    for step in 0..40 {
        // 1 to 3 rows per step; a flush every other step, sometimes an attribute.
        for _ in 0..(1 + step % 3) {
            w.append(&raw, &row(n)).unwrap();
            w.append(&zip, &row(n)).unwrap();
            if n < SCAN_ROWS {
                w.write_slice(&scan, &[n as u64..n as u64 + 1, 0..WIDTH as u64], &row(n))
                    .unwrap();
            }
            n += 1;
        }
        if step % 7 == 3 {
            w.set_attr("/RawData/raw", "rows_hint", AttrValue::I64(n as i64))
                .unwrap();
        }
        if step % 2 == 1 {
            w.flush().unwrap();
            acked.push((log.lock().unwrap().len(), n));
        }
    }
    w.close().unwrap();
    acked.push((log.lock().unwrap().len(), n));
    let ops = log.lock().unwrap().clone();
    (ops, acked)
}

/// Rows of `path` in the image, checked value by value.
fn check_rows(f: &File, path: &str) -> Result<usize, String> {
    let Node::Dataset(d) = f.get(path).map_err(|e| format!("{path}: {e}"))? else {
        return Err(format!("{path} is not a dataset"));
    };
    let rows = d.shape()[0] as usize;
    let v: Vec<f64> = d.read().map_err(|e| format!("{path}: read: {e}"))?;
    for i in 0..rows {
        if v[i * WIDTH..(i + 1) * WIDTH] != row(i)[..] {
            return Err(format!(
                "{path}: row {i} is torn or wrong: {:?}",
                &v[i * WIDTH..(i + 1) * WIDTH]
            ));
        }
    }
    Ok(rows)
}

#[test]
fn every_prefix_of_an_append_session_opens_with_no_silent_corruption() {
    let (ops, acked) = session();
    let first_commit = acked[0].0;
    let mut image = Vec::new();
    let mut checked = 0;
    let mut samples = Vec::new();
    for k in 0..=ops.len() {
        if k > 0 {
            apply(&mut image, &ops[k - 1]);
        }
        if k < first_commit {
            // Before the first commit the file may not open yet; it must not panic.
            if let Ok(f) = File::from_bytes(image.clone()) {
                let _ = pymodaq_h5::dump::dump_file(&f, "prefix.h5");
            }
            continue;
        }
        let must_have = acknowledged(&acked, k);
        let f = File::from_bytes(image.clone())
            .unwrap_or_else(|e| panic!("prefix {k}/{}: does not open: {e}", ops.len()));
        for path in ["/RawData/raw", "/RawData/zipped"] {
            let rows = check_rows(&f, path).unwrap_or_else(|e| panic!("prefix {k}: {e}"));
            assert!(
                rows >= must_have,
                "prefix {k}: {path} has {rows} rows, {must_have} were acknowledged"
            );
        }
        let Node::Group(g) = f.get("/RawData").unwrap() else {
            panic!()
        };
        assert_eq!(
            g.object()
                .attribute("type")
                .unwrap()
                .unwrap()
                .as_string()
                .unwrap(),
            "scan"
        );
        checked += 1;
        if k % 25 == 0 || k == ops.len() {
            samples.push((k, must_have, image.clone()));
        }
    }
    assert!(checked > 100, "only {checked} prefixes checked");
    eprintln!(
        "{checked} crash prefixes of {} operations open with every acknowledged row intact",
        ops.len()
    );

    // A sample through h5py.
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("replay");
    let mut list = String::new();
    for (k, must, img) in &samples {
        let p = dir.join(format!("prefix_{k}.h5"));
        std::fs::write(&p, img).unwrap();
        list += &format!("{}\t{must}\n", p.display());
    }
    let script = r#"
import sys, h5py, numpy as np
W = 6
bad = 0
for line in sys.stdin.read().splitlines():
    path, must = line.split('\t'); must = int(must)
    with h5py.File(path, 'r') as f:
        for name in ('/RawData/raw', '/RawData/zipped'):
            a = f[name][()]
            want = np.array([[i * 10.0 + j + 0.25 for j in range(W)] for i in range(a.shape[0])]).reshape(a.shape)
            if a.shape[0] < must or not (a == want).all():
                print('BAD', path, name, a.shape, must); bad += 1
print('checked', line.count('\n'))
sys.exit(1 if bad else 0)
"#;
    common::run_py_code_input(&py, script, &list, "h5py disagrees on a crash prefix");
    eprintln!(
        "h5py opened {} sampled prefixes with every acknowledged row",
        samples.len()
    );
}
