//! Encode-then-parse: any Dataspace, Datatype, Filter Pipeline or Data Layout message the reader
//! accepts is encoded by the writer's half of the same module (when the writer supports
//! it), parsed again, and must come back equal; the encoding of the re-parsed value must
//! be the same bytes (the encoders are deterministic and lose nothing they accept).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pymodaq_h5::hdf5::cursor::{Cursor, Sizes};
use pymodaq_h5::hdf5::message::dataspace::Dataspace;
use pymodaq_h5::hdf5::message::datatype::{encode_datatype, Datatype};
use pymodaq_h5::hdf5::message::filter_pipeline::{encode_pipeline, FilterPipeline};
use pymodaq_h5::hdf5::message::layout::DataLayout;
use pymodaq_h5::Limits;

fn cur(b: &[u8]) -> Cursor<'_> {
    Cursor::new(b, 0, "message", Sizes::default())
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let l = Limits::default();
    match sel % 4 {
        0 => {
            let Ok(d) = Dataspace::parse(&mut cur(rest), &l) else {
                return;
            };
            let Ok(b) = d.encode() else {
                return;
            };
            let back = Dataspace::parse(&mut cur(&b), &l).expect("our dataspace parses");
            // A rank-0 space may declare an empty maximum; nothing is lost by omitting it.
            let max = |s: &Dataspace| s.max_dims.clone().filter(|m| !m.is_empty());
            assert_eq!((back.kind, &back.dims, max(&back)), (d.kind, &d.dims, max(&d)));
        }
        1 => {
            let Ok(t) = Datatype::parse(&mut cur(rest), &l) else {
                return;
            };
            let Ok(b) = encode_datatype(&t) else {
                return;
            };
            let back = Datatype::parse(&mut cur(&b), &l).expect("our datatype parses");
            assert_eq!(encode_datatype(&back).ok(), Some(b));
        }
        3 => {
            // Versions 3-5 encode (1 and 2 are read only); what comes back is equal.
            let Ok(d) = DataLayout::parse(&mut cur(rest), &l) else {
                return;
            };
            let Ok(b) = d.encode() else {
                return;
            };
            let back = DataLayout::parse(&mut cur(&b), &l).expect("our layout parses");
            assert_eq!(back, d);
        }
        _ => {
            let Ok(p) = FilterPipeline::parse(&mut cur(rest), &l) else {
                return;
            };
            let Ok(b) = encode_pipeline(&p) else {
                return;
            };
            let back = FilterPipeline::parse(&mut cur(&b), &l).expect("our pipeline parses");
            // Names may be added (libhdf5's names for ids 1-3) or dropped (empty); the
            // filters themselves must survive.
            let key = |p: &FilterPipeline| -> Vec<(u16, u16, Vec<u32>)> {
                p.filters.iter().map(|f| (f.id, f.flags, f.client_data.clone())).collect()
            };
            assert_eq!(key(&back), key(&p));
        }
    }
});
