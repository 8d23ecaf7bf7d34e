//! Global heap collections and variable-length data: `parse_collection` over arbitrary
//! bytes, vlen descriptors and heap ids, and the cached reader through `FileIo`.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use pymodaq_h5::hdf5::cursor::{Cursor, Sizes};
use pymodaq_h5::hdf5::global_heap::{
    parse_collection, parse_heap_id, parse_vlen_descriptor, GlobalHeapCache,
};
use pymodaq_h5::hdf5::io::FileIo;
use pymodaq_h5::storage::MemStorage;
use pymodaq_h5::Limits;

fuzz_target!(|data: &[u8]| {
    let sizes = Sizes::default();
    let mut c = Cursor::new(data, 0, "global heap collection", sizes);
    if let Ok(coll) = parse_collection(&mut c) {
        for i in 0..coll.len().min(64) {
            let _ = coll.object(i as u16);
        }
    }
    let mut c = Cursor::new(data, 0, "vlen descriptor", sizes);
    let _ = parse_vlen_descriptor(&mut c);
    let mut c = Cursor::new(data, 0, "heap id", sizes);
    let _ = parse_heap_id(&mut c);

    // A vlen descriptor at the start pointing into the same image.
    let mut limits = Limits::default();
    limits.max_alloc = 16 << 20;
    limits.max_heap_object = 1 << 20;
    if let Ok(io) = FileIo::new(Arc::new(MemStorage::new(Arc::<[u8]>::from(data))), limits) {
        let mut c = Cursor::new(data, 0, "vlen descriptor", sizes);
        if let Ok(d) = parse_vlen_descriptor(&mut c) {
            let mut cache = GlobalHeapCache::new();
            let _ = cache.get(&io, d.collection, d.index);
            let _ = cache.get(&io, d.collection, d.index);
        }
    }
});
