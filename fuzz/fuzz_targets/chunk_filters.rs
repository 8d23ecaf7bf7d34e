//! Chunk decoding through the filter pipeline (`filter::decode_chunk`): shuffle, deflate,
//! fletcher32 in any order and mask, on raw bytes or on a validly encoded chunk with one
//! byte flipped (so the decoders past the first check get exercised too).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pymodaq_h5::hdf5::filter::{decode_chunk, encode_chunk, DEFLATE, FLETCHER32, SHUFFLE};
use pymodaq_h5::hdf5::message::filter_pipeline::{FilterDescription, FilterPipeline};
use pymodaq_h5::Limits;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (head, body) = data.split_at(8);
    let mut filters = Vec::new();
    // head[0]: which filters, head[1]: their order rotation.
    let pick = [
        (SHUFFLE, vec![u32::from(head[2] % 17)]),
        (DEFLATE, vec![u32::from(head[3] % 10)]),
        (FLETCHER32, vec![]),
    ];
    for (i, (id, cd)) in pick.iter().enumerate() {
        if head[0] & (1 << i) != 0 {
            filters.push(FilterDescription {
                id: *id,
                name: None,
                flags: 0,
                client_data: cd.clone(),
            });
        }
    }
    let n = filters.len().max(1);
    filters.rotate_left(usize::from(head[1]) % n);
    let pipeline = FilterPipeline {
        version: 2,
        filters,
    };
    let mask = u32::from(head[4] & 0x07) * u32::from(head[0] >> 7);
    let mut limits = Limits::default();
    limits.max_alloc = 4 << 20;
    limits.max_decompression_ratio = 1_000;
    if head[0] & 0x40 != 0 {
        // Encode the body validly, damage one byte, decode: must give the body back or an
        // error, never a panic.
        if let Ok(mut enc) = encode_chunk(&pipeline, body, 0) {
            if let Some(b) = enc.get_mut(usize::from(head[5]) % body.len().max(1)) {
                *b ^= head[6];
            }
            // Default caps here: a valid chunk of zeros may legitimately compress > 1000:1.
            let r = decode_chunk(&pipeline, 0, enc, body.len(), &Limits::default(), 0);
            if head[6] == 0 {
                assert_eq!(r.ok().as_deref(), Some(body), "round trip");
            }
        }
    } else {
        let expected = usize::from(u16::from_le_bytes([head[5], head[6]]));
        let _ = decode_chunk(&pipeline, mask, body.to_vec(), expected, &limits, 0);
    }
});
