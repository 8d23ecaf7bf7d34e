//! The conformance suite every storage passes (zarrs' `store_test` idea): the same reads,
//! writes, extensions, truncations and syncs against each implementation, so a new
//! storage (HTTP, cloud) is checked by adding one line.

use std::io;

use super::*;

/// A scratch file path, unique per test.
fn scratch(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("pymodaq_h5_storage_{}_{name}", std::process::id()))
}

/// What every [`Storage`] promises: `len`, exact reads anywhere inside, `UnexpectedEof`
/// for a read running past the end (also one starting past it), empty reads at the end.
fn readable(s: &dyn Storage, content: &[u8]) {
    assert_eq!(s.len().unwrap(), content.len() as u64);
    assert_eq!(s.is_empty().unwrap(), content.is_empty());
    let mut all = vec![0u8; content.len()];
    s.read_at(0, &mut all).unwrap();
    assert_eq!(all, content);
    let mut two = [0u8; 2];
    s.read_at(3, &mut two).unwrap();
    assert_eq!(two, content[3..5]);
    s.read_at(content.len() as u64, &mut []).unwrap();
    for at in [content.len() as u64 - 1, content.len() as u64 + 10] {
        let e = s.read_at(at, &mut two).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "read at {at}");
    }
    // Beyond any file size: an error (the OS may call it an invalid argument).
    assert!(s.read_at(u64::MAX, &mut two).is_err());
}

/// What every [`WriteStorage`] promises on an empty storage: writes past the end extend
/// with zeros, overwrites in place, `set_len` truncates and extends with zeros, `sync`
/// succeeds, reads behave as [`readable`]'s.
fn writable(s: &mut dyn WriteStorage) {
    assert_eq!(s.len().unwrap(), 0);
    assert!(s.is_empty().unwrap());
    s.write_at(4, b"abcd").unwrap();
    assert_eq!(s.len().unwrap(), 8);
    let mut b = [0u8; 8];
    s.read_at(0, &mut b).unwrap();
    assert_eq!(&b, b"\0\0\0\0abcd");
    s.write_at(2, b"XY").unwrap();
    s.write_at(7, b"ZW").unwrap();
    let mut b = [0u8; 9];
    s.read_at(0, &mut b).unwrap();
    assert_eq!(&b, b"\0\0XYabcZW");
    let e = s.read_at(6, &mut [0u8; 4]).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    s.sync().unwrap();
    s.set_len(3).unwrap();
    assert_eq!(s.len().unwrap(), 3);
    s.set_len(6).unwrap();
    let mut b = [0u8; 6];
    s.read_at(0, &mut b).unwrap();
    assert_eq!(&b, b"\0\0X\0\0\0");
    s.write_at(6, &[]).unwrap();
    assert_eq!(s.len().unwrap(), 6);
    s.sync().unwrap();
}

const CONTENT: &[u8] = b"0123456789abcdef";

#[test]
fn file_storage() {
    let p = scratch("read");
    std::fs::write(&p, CONTENT).unwrap();
    readable(&FileStorage::open(&p).unwrap(), CONTENT);
    let mut w = FileWriteStorage::create(&p).unwrap();
    writable(&mut w);
    let mut b = [0u8; 3];
    FileWriteStorage::open(&p)
        .unwrap()
        .read_at(0, &mut b)
        .unwrap();
    assert_eq!(&b, b"\0\0X");
    std::fs::remove_file(&p).unwrap();
}

#[test]
fn mem_storage() {
    readable(&MemStorage::new(CONTENT.to_vec()), CONTENT);
    let mut m = MemWriteStorage::new();
    writable(&mut m);
    assert_eq!(m.bytes(), b"\0\0X\0\0\0");
}

#[test]
fn shared_storage() {
    let m = MemWriteStorage::new();
    let mut s = SharedStorage(std::sync::Arc::new(std::sync::Mutex::new(Box::new(
        m.clone(),
    ))));
    writable(&mut s);
    s.write_at(0, CONTENT).unwrap();
    readable(&s, CONTENT);
    assert_eq!(m.bytes(), CONTENT);
}

#[test]
fn faulty_storage_without_fault() {
    let mut f = FaultyStorage::new(MemWriteStorage::new(), u64::MAX);
    writable(&mut f);
    assert!(f.failed.is_empty());
}

#[test]
fn coalescing_storage() {
    // Thresholds low enough that the suite's few-byte writes are merged.
    let m = MemWriteStorage::new();
    let mut c = Coalesce::with_sizes(m.clone(), 0, 64, 16);
    writable(&mut c);
    c.write_at(0, CONTENT).unwrap();
    c.flush().unwrap();
    assert_eq!(m.bytes(), CONTENT);
    let p = scratch("coalesce");
    let mut f = Coalesce::with_sizes(FileWriteStorage::create(&p).unwrap(), 0, 64, 16);
    writable(&mut f);
    drop(f);
    std::fs::remove_file(&p).unwrap();
}
