//! Faults from the environment: a storage that fails the k-th write, resize or sync with
//! "no space left on device". For every k in an append session (groups, filtered and raw
//! appends, attributes, flushes), the writer returns that I/O error (no panic), refuses
//! further calls, and the file left behind opens at its last committed state: every row
//! acknowledged by a successful `flush()` is there, no row is torn.

#![cfg(feature = "testing")] // FaultyStorage

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::{
    AttrValue, DatasetBuilder, Dtype, FaultyStorage, MemWriteStorage, PyTablesClass, WriteOptions,
    Writer,
};
use pymodaq_h5::Error;

const W: usize = 3;

fn row(i: usize) -> Vec<f64> {
    (0..W).map(|j| (i * W + j) as f64 * 0.5).collect()
}

/// The session; `acked` holds the rows acknowledged by the last successful flush.
fn session(w: &mut Writer, acked: &mut usize) -> pymodaq_h5::Result<()> {
    w.create_group("/RawData")?;
    w.set_attr("/RawData", "type", AttrValue::from("scan"))?;
    let mk = |zip: bool| {
        let b = DatasetBuilder::new(Dtype::F64)
            .shape(&[0, W as u64])
            .max_shape(&[None, Some(W as u64)])
            .chunks(&[4, W as u64])
            .pytables_class(PyTablesClass::EArray);
        if zip {
            b.shuffle().deflate(5).fletcher32()
        } else {
            b
        }
    };
    let raw = w.create_dataset("/RawData/raw", mk(false))?;
    let zip = w.create_dataset("/RawData/zip", mk(true))?;
    w.flush()?;
    let mut n = 0;
    for step in 0..12 {
        for _ in 0..(1 + step % 4) {
            w.append(&raw, &row(n))?;
            w.append(&zip, &row(n))?;
            n += 1;
        }
        if step % 5 == 2 {
            w.set_attr("/RawData/raw", "n", AttrValue::I64(n as i64))?;
        }
        w.flush()?;
        *acked = n;
    }
    w.flush()
}

fn rows(f: &File, path: &str) -> usize {
    let Node::Dataset(d) = f.get(path).unwrap() else {
        panic!("{path}")
    };
    let n = d.shape()[0] as usize;
    let v: Vec<f64> = d.read().unwrap();
    for i in 0..n {
        assert_eq!(v[i * W..(i + 1) * W], row(i)[..], "{path}: row {i} torn");
    }
    n
}

#[test]
fn every_failing_operation_leaves_the_last_committed_state() {
    let mut k = 0u64;
    let mut faults = 0;
    loop {
        let mem = MemWriteStorage::new();
        let st = FaultyStorage::new(mem.clone(), k);
        let mut acked = 0usize;
        let mut committed_once = false;
        let result = match Writer::with_storage(Box::new(st), WriteOptions::default()) {
            Ok(mut w) => {
                let r = session(&mut w, &mut acked);
                committed_once = acked > 0 || r.is_ok();
                if r.is_err() {
                    // After a storage error the writer refuses further work (no half state).
                    assert!(
                        w.flush().is_err(),
                        "fault at {k}: writer accepted work after an I/O error"
                    );
                }
                std::mem::forget(w); // like a killed process: no drop-time flush
                r
            }
            Err(e) => Err(e),
        };
        match &result {
            Ok(()) => break, // k is past the last operation
            Err(Error::Io(e)) => {
                faults += 1;
                let msg = e.to_string().to_lowercase();
                assert!(
                    msg.contains("space") || e.raw_os_error() == Some(28),
                    "fault at {k}: {e}"
                );
            }
            Err(other) => panic!("fault at {k}: expected the I/O error, got {other}"),
        }
        let bytes = mem.bytes();
        match File::from_bytes(bytes) {
            Ok(f) => {
                if let Ok(Node::Group(_)) = f.get("/RawData") {
                    if f.get("/RawData/zip").is_ok() {
                        let (r, z) = (rows(&f, "/RawData/raw"), rows(&f, "/RawData/zip"));
                        assert!(
                            r >= acked && z >= acked,
                            "fault at {k}: {r}/{z} rows, {acked} acknowledged"
                        );
                    }
                }
            }
            Err(e) => assert!(
                !committed_once,
                "fault at {k}: committed file does not open: {e}"
            ),
        }
        k += 1;
        assert!(k < 100_000, "session never completed");
    }
    assert!(faults > 50, "only {faults} fault points");
    eprintln!("{faults} fault points: each returned the I/O error and left a file at its last committed state");
}
