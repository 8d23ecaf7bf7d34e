//! Superblock: locate the signature (at 0, 512, 1024, ...) and decode superblock v0-v3 from
//! arbitrary bytes, then the root object header it points to.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use pymodaq_h5::hdf5::cursor::{Cursor, Sizes};
use pymodaq_h5::hdf5::superblock;
use pymodaq_h5::storage::MemStorage;
use pymodaq_h5::Limits;

fuzz_target!(|data: &[u8]| {
    let mut limits = Limits::default();
    limits.max_alloc = 16 << 20;
    limits.max_work = 100_000;
    // Direct parse of the bytes as a superblock at address 0.
    let mut c = Cursor::new(data, 0, "superblock", Sizes::default());
    let _ = superblock::parse(&mut c);
    // Signature search over the whole image.
    let storage = MemStorage::new(Arc::<[u8]>::from(data));
    let _ = superblock::locate(&storage, &limits);
});
