//! Freed space and readers (storage/readers.rs, writer/free_space.rs): a file the writer
//! created, on a local filesystem, reuses what a flush frees at once while nobody else has
//! it open, and keeps it untouched for the cool-down while a reader does (a reader that
//! opened before a commit may still follow the places it freed).

mod common;

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::{DatasetBuilder, Dtype, WriteOptions, Writer};
use pymodaq_h5::storage::ReaderWatch;

/// Bytes the file grows by over `n` flushes, each appending one chunk of noisy rows to a
/// deflated dataset (each flush supersedes the chunk index root). `reader`:
/// a handle kept open on the file meanwhile.
fn growth(path: &std::path::Path, n: usize, reader: bool) -> u64 {
    let mut w = Writer::create(path, WriteOptions::default()).unwrap();
    let b = DatasetBuilder::new(Dtype::F64)
        .shape(&[0])
        .max_shape(&[None])
        .chunks(&[16])
        .deflate(1);
    let ds = w.create_dataset("/v", b).unwrap();
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut rows = |k: usize| -> Vec<f64> {
        (0..k)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s % 1_000_000) as f64 * 1e-3
            })
            .collect()
    };
    w.append(&ds, &rows(160)).unwrap();
    w.flush().unwrap();
    let held = reader.then(|| std::fs::File::open(path).unwrap());
    let before = std::fs::metadata(path).unwrap().len();
    for _ in 0..n {
        w.append(&ds, &rows(16)).unwrap();
        w.flush().unwrap();
    }
    let after = std::fs::metadata(path).unwrap().len();
    drop(held);
    w.close().unwrap();
    let f = File::open(path).unwrap();
    let Node::Dataset(d) = f.get("/v").unwrap() else {
        panic!("/v")
    };
    assert_eq!(d.shape(), vec![160 + 16 * n as u64]);
    after - before
}

#[test]
fn freed_space_is_reused_at_once_unless_a_reader_has_the_file_open() {
    let dir = common::temp_dir("reader-watch");
    let probe = dir.join("probe");
    std::fs::write(&probe, b"").unwrap();
    if ReaderWatch::new(&probe).is_none() {
        eprintln!("readers cannot be watched on this filesystem: skipped");
        return;
    }
    let alone = growth(&dir.join("alone.h5"), 40, false);
    let watched = growth(&dir.join("watched.h5"), 40, true);
    eprintln!("alone {alone} bytes, with a reader {watched} bytes");
    // Alone: each flush lands in what the previous one freed (a few blocks of slack).
    // Watched: 40 flushes in well under the 200 ms cool-down, each at new space.
    assert!(
        watched > 4 * alone.max(8192),
        "alone {alone} bytes, with a reader {watched} bytes"
    );
}
