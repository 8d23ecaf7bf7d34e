//! `WriteOptions::durability`: `Sync` (the default) ends `close` with an fsync, `Flush` does
//! not; both leave the same complete file. Counted at the storage boundary.

use std::io;
use std::sync::{Arc, Mutex};

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;

/// Memory storage that counts `sync` calls.
struct Counting {
    mem: MemWriteStorage,
    syncs: Arc<Mutex<u32>>,
}

impl WriteStorage for Counting {
    fn len(&self) -> io::Result<u64> {
        self.mem.len()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.mem.read_at(offset, buf)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.mem.write_at(offset, data)
    }
    fn set_len(&mut self, n: u64) -> io::Result<()> {
        self.mem.set_len(n)
    }
    fn sync(&mut self) -> io::Result<()> {
        *self.syncs.lock().unwrap() += 1;
        self.mem.sync()
    }
}

/// Write a small chunked, compressed dataset with `durability`, flushing once mid-way;
/// returns (syncs before close, syncs in total, file bytes).
fn write(durability: Option<Durability>) -> (u32, u32, Vec<u8>) {
    let mem = MemWriteStorage::new();
    let syncs = Arc::new(Mutex::new(0));
    let st = Counting {
        mem: mem.clone(),
        syncs: syncs.clone(),
    };
    let mut opts = WriteOptions::default();
    if let Some(d) = durability {
        opts.durability = d;
    }
    let mut w = Writer::with_storage(Box::new(st), opts).unwrap();
    let ds = w
        .create_dataset(
            "/x",
            DatasetBuilder::new(Dtype::F64)
                .shape(&[0])
                .max_shape(&[None])
                .chunks(&[64])
                .shuffle()
                .deflate(4),
        )
        .unwrap();
    let vals: Vec<f64> = (0..1000).map(|i| i as f64 * 0.5).collect();
    w.append(&ds, &vals[..500]).unwrap();
    w.flush().unwrap();
    w.append(&ds, &vals[500..]).unwrap();
    let before = *syncs.lock().unwrap();
    w.close().unwrap();
    let total = *syncs.lock().unwrap();
    (before, total, mem.bytes())
}

fn values(bytes: Vec<u8>) -> Vec<f64> {
    let f = File::from_bytes(bytes).unwrap();
    let Node::Dataset(d) = f.get("/x").unwrap() else {
        panic!("/x is not a dataset")
    };
    d.read::<f64>().unwrap()
}

#[test]
fn sync_is_the_default_and_fsyncs_at_close() {
    let (before, total, bytes) = write(None);
    assert_eq!(before, 0, "flush() never fsyncs");
    assert!(total > before, "close() under the default Sync must fsync");
    let (b2, t2, bytes2) = write(Some(Durability::Sync));
    assert_eq!((b2, t2), (before, total));
    assert_eq!(bytes, bytes2);
    let expect: Vec<f64> = (0..1000).map(|i| i as f64 * 0.5).collect();
    assert_eq!(values(bytes), expect);
}

#[test]
fn flush_closes_without_fsync_and_writes_the_same_file() {
    let (before, total, bytes) = write(Some(Durability::Flush));
    assert_eq!(
        (before, total),
        (0, 0),
        "Durability::Flush must never fsync"
    );
    let (_, _, synced) = write(Some(Durability::Sync));
    assert_eq!(
        bytes, synced,
        "durability changes only the fsync, not the bytes"
    );
    let expect: Vec<f64> = (0..1000).map(|i| i as f64 * 0.5).collect();
    assert_eq!(values(bytes), expect);
}
