//! Object header messages: `message::decode` over an arbitrary RawMessage (type, flags and
//! sizes from the first bytes, the rest as message data), and the object header reader
//! (v1/v2 prefix, continuation chains) over the whole input as a file image.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use pymodaq_h5::hdf5::cursor::Sizes;
use pymodaq_h5::hdf5::io::FileIo;
use pymodaq_h5::hdf5::message::{decode, RawMessage};
use pymodaq_h5::hdf5::object_header;
use pymodaq_h5::storage::MemStorage;
use pymodaq_h5::Limits;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let mut limits = Limits::default();
    limits.max_alloc = 16 << 20;
    limits.max_work = 100_000;
    // Types 0..=0x18 cover every defined message; wrap larger values into that range
    // most of the time so the decoders, not the "unknown type" path, get the input.
    let t = u16::from(data[0]);
    let msg_type = if t < 0xE0 { t % 0x19 } else { t };
    let widths = [2u8, 4, 8];
    let sizes = Sizes {
        offsets: widths[usize::from(data[2] & 3) % 3],
        lengths: widths[usize::from((data[2] >> 2) & 3) % 3],
    };
    let raw = RawMessage {
        msg_type,
        flags: data[1],
        creation_order: None,
        at: 4,
        data: data[4..].to_vec(),
    };
    let _ = decode(&raw, sizes, &limits);

    // The same bytes as an object header at address 0 of a file image.
    if let Ok(mut io) = FileIo::new(Arc::new(MemStorage::new(Arc::<[u8]>::from(data))), limits) {
        io.sizes = sizes;
        let _ = object_header::read(&io, u64::from(data[3] & 0x0f));
    }
});
