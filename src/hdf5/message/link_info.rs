//! Link Info message (0x2), spec IV.A.2.c, and the layout it shares with the Attribute
//! Info message (0x15, IV.A.2.v, `attribute_info.rs`). Version 0.
//!
//! Layout: version 0, flags (bit 0 creation order tracked, bit 1 indexed), maximum
//! creation index (bit 0; u64 in Link Info, u16 in Attribute Info), fractal heap address,
//! name B-tree address, creation-order B-tree address (bit 1). Refused: other versions,
//! unknown flag bits.

use super::{known_flags, named, version};
use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
use crate::hdf5::encoder::{Encoder, Sizes, UNDEF};
use crate::limits::Limits;

/// Where an object's dense links ([`LinkInfo`]) or attributes
/// ([`AttributeInfo`](super::attribute_info::AttributeInfo)) live: the two messages differ
/// only in the width of the maximum creation index, `I`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexInfo<I> {
    /// Whether creation order is tracked.
    pub creation_order_tracked: bool,
    /// Whether creation order is indexed.
    pub creation_order_indexed: bool,
    /// Maximum creation index, when tracked.
    pub max_creation_index: Option<I>,
    /// Fractal heap address (undefined while compact).
    pub fractal_heap_address: u64,
    /// v2 B-tree on names (type 5 for links, 8 for attributes).
    pub name_btree_address: u64,
    /// v2 B-tree on creation order (type 6 for links, 9 for attributes), when indexed.
    pub creation_order_btree_address: Option<u64>,
}

/// Where a new-style group's links live.
pub type LinkInfo = IndexInfo<u64>;

/// The maximum creation index of one of the two messages: its width and the message's
/// name (in errors).
pub trait CreationIndex: Copy + Into<u64> + TryFrom<u64> {
    /// Bytes of the field.
    const WIDTH: usize;
    /// The message, as errors name it.
    const MESSAGE: &'static str;
}

impl CreationIndex for u64 {
    const WIDTH: usize = 8;
    const MESSAGE: &'static str = "link info message";
}

impl<I: CreationIndex> IndexInfo<I> {
    /// Compact storage (no heap, no B-tree), creation order not tracked: what the writer
    /// gives a new object.
    pub fn compact() -> Self {
        IndexInfo {
            creation_order_tracked: false,
            creation_order_indexed: false,
            max_creation_index: None,
            fractal_heap_address: UNDEF,
            name_btree_address: UNDEF,
            creation_order_btree_address: None,
        }
    }

    /// Decode the message.
    pub fn parse(c: &mut Cursor<'_>, _limits: &Limits) -> Result<Self> {
        named(c, I::MESSAGE, |c| {
            version(c, &[0])?;
            let at = c.addr();
            let flags = known_flags(c, 3, I::MESSAGE)?;
            let tracked = flags & 1 != 0;
            let indexed = flags & 2 != 0;
            let max_creation_index = if tracked {
                let m = c.uint(I::WIDTH)?;
                // Read from `WIDTH` bytes: always fits.
                Some(I::try_from(m).map_err(|_| Error::format(I::MESSAGE, at, "index"))?)
            } else {
                None
            };
            Ok(IndexInfo {
                creation_order_tracked: tracked,
                creation_order_indexed: indexed,
                max_creation_index,
                fractal_heap_address: c.offset()?,
                name_btree_address: c.offset()?,
                creation_order_btree_address: if indexed { Some(c.offset()?) } else { None },
            })
        })
    }

    /// Encode the message body (unpadded).
    pub fn encode(&self, s: Sizes) -> Vec<u8> {
        let mut e = Encoder::sized(s);
        e.u8(0)
            .u8(u8::from(self.creation_order_tracked) | u8::from(self.creation_order_indexed) << 1);
        if self.creation_order_tracked {
            let m = self.max_creation_index.map_or(0, Into::into);
            e.uint(m, I::WIDTH);
        }
        e.offset(self.fractal_heap_address)
            .offset(self.name_btree_address);
        if self.creation_order_indexed {
            e.offset(self.creation_order_btree_address.unwrap_or(UNDEF));
        }
        e.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::cursor::UNDEFINED_ADDRESS;
    use crate::hdf5::message::attribute_info::AttributeInfo;
    use crate::hdf5::message::test_util::*;

    fn parse<I: CreationIndex>(b: &[u8]) -> Result<IndexInfo<I>> {
        IndexInfo::parse(&mut cur(b), &Limits::default())
    }

    /// Dense storage at 256 (heap), 512 (names), 768 (creation order), order tracked.
    fn dense<I>(max: I) -> IndexInfo<I> {
        IndexInfo {
            creation_order_tracked: true,
            creation_order_indexed: true,
            max_creation_index: Some(max),
            fractal_heap_address: 256,
            name_btree_address: 512,
            creation_order_btree_address: Some(768),
        }
    }

    /// Real bytes of both messages: h5py libver='latest' roots (compact), then dense
    /// storage with creation order tracked and indexed.
    #[test]
    #[rustfmt::skip]
    fn compact_and_tracked() {
        let compact = [
            0x00,                   // version 0
            0x00,                   // flags
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // fractal heap: undefined
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // name B-tree: undefined
        ];
        assert_eq!(parse::<u64>(&compact).unwrap(), LinkInfo::compact());
        assert_eq!(parse::<u16>(&compact).unwrap(), AttributeInfo::compact());
        assert_eq!(LinkInfo::compact().fractal_heap_address, UNDEFINED_ADDRESS);
        let tail = [
            0x00, 0x01, 0, 0, 0, 0, 0, 0, // fractal heap 256
            0x00, 0x02, 0, 0, 0, 0, 0, 0, // name B-tree 512
            0x00, 0x03, 0, 0, 0, 0, 0, 0, // creation-order B-tree 768
        ];
        let links = [&[
            0x00,                   // version 0
            0x03,                   // flags: tracked, indexed
            9, 0, 0, 0, 0, 0, 0, 0, // max creation index 9 (u64)
        ][..], &tail].concat();
        let attrs = [&[
            0x00,                   // version 0
            0x03,                   // flags: tracked, indexed
            12, 0,                  // max creation index 12 (u16)
        ][..], &tail].concat();
        assert_eq!(parse::<u64>(&links).unwrap(), dense(9));
        assert_eq!(parse::<u16>(&attrs).unwrap(), dense(12u16));
    }

    #[test]
    fn rejects() {
        assert_eq!(
            format_at(parse::<u64>(&[0x01, 0x00])),
            ("link info message", BASE)
        );
        assert_eq!(
            format_at(parse::<u16>(&[0x02, 0x00])),
            ("attribute info message", BASE)
        );
        assert_eq!(format_at(parse::<u64>(&[0x00, 0x04])).1, BASE + 1);
        assert_eq!(format_at(parse::<u16>(&[0x00, 0x08])).1, BASE + 1);
        assert!(parse::<u64>(&[0x00, 0x00, 0xff, 0xff]).is_err());
        assert!(parse::<u16>(&[0x00, 0x01, 0x00]).is_err());
    }

    /// Encode, then parse with the reader's decoder: the same value comes back, at the
    /// message's width.
    fn round_trip<I: CreationIndex + std::fmt::Debug + Eq>(max: I) {
        let b = IndexInfo::<I>::compact().encode(Sizes::default());
        assert_eq!(parse::<I>(&b).unwrap(), IndexInfo::compact());
        let tracked = dense(max);
        let b = tracked.encode(Sizes::default());
        assert_eq!(b.len(), 2 + I::WIDTH + 24);
        assert_eq!(parse::<I>(&b).unwrap(), tracked);
    }

    #[test]
    fn both_messages_encode_then_parse() {
        round_trip(1u64 << 40);
        round_trip(12u16);
    }
}
