//! Link Info message (0x2), spec IV.A.2.c. Version 0.
//!
//! Layout: version 0, flags (bit 0 creation order tracked, bit 1 indexed), maximum
//! creation index u64 (bit 0), fractal heap address, name B-tree address, creation-order
//! B-tree address (bit 1). Refused: other versions, unknown flag bits.

use super::{named, version};
use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
use crate::hdf5::encoder::{Encoder, UNDEF};
use crate::limits::Limits;

/// Where a new-style group's links live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    /// Whether creation order is tracked.
    pub creation_order_tracked: bool,
    /// Whether creation order is indexed.
    pub creation_order_indexed: bool,
    /// Maximum creation index, when tracked.
    pub max_creation_index: Option<u64>,
    /// Fractal heap address (undefined when links are compact messages).
    pub fractal_heap_address: u64,
    /// v2 B-tree (type 5) on names.
    pub name_btree_address: u64,
    /// v2 B-tree (type 6) on creation order, when indexed.
    pub creation_order_btree_address: Option<u64>,
}

/// The layout Link Info and Attribute Info messages share: version 0, flags (bit 0
/// creation order tracked, bit 1 indexed), maximum creation index (`index_width` bytes,
/// when tracked), fractal heap address, name B-tree address, creation-order B-tree
/// address (when indexed). The two messages differ only in that width (8 vs 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct IndexInfo {
    pub tracked: bool,
    pub indexed: bool,
    pub max_creation_index: Option<u64>,
    pub heap: u64,
    pub names: u64,
    pub order: Option<u64>,
}

impl IndexInfo {
    /// Decode the fields after `named` set the structure; `what` names the message in
    /// the flags error.
    pub(super) fn parse(c: &mut Cursor<'_>, what: &str, index_width: usize) -> Result<Self> {
        version(c, &[0])?;
        let at = c.addr();
        let flags = c.u8()?;
        if flags & !3 != 0 {
            return Err(Error::Format(
                c.err_at(at, format!("unknown {what} flags {flags:#x}")),
            ));
        }
        let tracked = flags & 1 != 0;
        let indexed = flags & 2 != 0;
        let max_creation_index = if tracked {
            Some(c.uint(index_width)?)
        } else {
            None
        };
        let heap = c.offset()?;
        let names = c.offset()?;
        let order = if indexed { Some(c.offset()?) } else { None };
        Ok(IndexInfo {
            tracked,
            indexed,
            max_creation_index,
            heap,
            names,
            order,
        })
    }

    /// Encode the message body (unpadded).
    pub(super) fn encode(&self, index_width: usize) -> Vec<u8> {
        let mut e = Encoder::new();
        e.u8(0)
            .u8(u8::from(self.tracked) | u8::from(self.indexed) << 1);
        if self.tracked {
            e.uint(self.max_creation_index.unwrap_or(0), index_width);
        }
        e.offset(self.heap).offset(self.names);
        if self.indexed {
            e.offset(self.order.unwrap_or(UNDEF));
        }
        e.finish()
    }
}

impl LinkInfo {
    /// Decode a Link Info message.
    pub fn parse(c: &mut Cursor<'_>, _limits: &Limits) -> Result<Self> {
        named(c, "link info message", |c| {
            let i = IndexInfo::parse(c, "link info", 8)?;
            Ok(LinkInfo {
                creation_order_tracked: i.tracked,
                creation_order_indexed: i.indexed,
                max_creation_index: i.max_creation_index,
                fractal_heap_address: i.heap,
                name_btree_address: i.names,
                creation_order_btree_address: i.order,
            })
        })
    }

    /// Encode the message body (unpadded).
    pub fn encode(&self) -> Vec<u8> {
        IndexInfo {
            tracked: self.creation_order_tracked,
            indexed: self.creation_order_indexed,
            max_creation_index: self.max_creation_index,
            heap: self.fractal_heap_address,
            names: self.name_btree_address,
            order: self.creation_order_btree_address,
        }
        .encode(8)
    }
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// Link Info message body (version 0, no creation order, compact: no heap, no B-tree).
pub fn encode_link_info() -> Vec<u8> {
    IndexInfo {
        tracked: false,
        indexed: false,
        max_creation_index: None,
        heap: UNDEF,
        names: UNDEF,
        order: None,
    }
    .encode(8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::cursor::UNDEFINED_ADDRESS;
    use crate::hdf5::message::test_util::*;

    fn parse(b: &[u8]) -> Result<LinkInfo> {
        LinkInfo::parse(&mut cur(b), &Limits::default())
    }

    #[test]
    fn compact_and_tracked() {
        // h5py libver='latest' root group, compact links (real bytes).
        #[rustfmt::skip]
        let compact = [
            0x00,                   // version 0
            0x00,                   // flags
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // fractal heap: undefined
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // name B-tree: undefined
        ];
        let l = parse(&compact).unwrap();
        assert_eq!(
            (l.fractal_heap_address, l.max_creation_index),
            (UNDEFINED_ADDRESS, None)
        );
        #[rustfmt::skip]
        let tracked = [
            0x00,                   // version 0
            0x03,                   // flags: tracked, indexed
            9, 0, 0, 0, 0, 0, 0, 0, // max creation index 9
            0x00, 0x01, 0, 0, 0, 0, 0, 0, // fractal heap 256
            0x00, 0x02, 0, 0, 0, 0, 0, 0, // name B-tree 512
            0x00, 0x03, 0, 0, 0, 0, 0, 0, // creation-order B-tree 768
        ];
        let l = parse(&tracked).unwrap();
        assert_eq!(
            l,
            LinkInfo {
                creation_order_tracked: true,
                creation_order_indexed: true,
                max_creation_index: Some(9),
                fractal_heap_address: 256,
                name_btree_address: 512,
                creation_order_btree_address: Some(768),
            }
        );
    }

    #[test]
    fn rejects() {
        assert_eq!(format_at(parse(&[0x01, 0x00])), ("link info message", BASE));
        assert_eq!(format_at(parse(&[0x00, 0x04])).1, BASE + 1);
        assert!(parse(&[0x00, 0x00, 0xff, 0xff]).is_err());
    }
}

#[cfg(test)]
mod round_trip {
    //! Encode, then parse with the reader's decoder: the same value comes back.
    use super::*;
    use crate::hdf5::message::test_util::cur;

    use crate::hdf5::cursor::UNDEFINED_ADDRESS;

    #[test]
    fn link_info_encodes_then_parses() {
        let b = encode_link_info();
        let i = LinkInfo::parse(&mut cur(&b), &Limits::default()).unwrap();
        assert!(!i.creation_order_tracked && !i.creation_order_indexed);
        assert_eq!(i.fractal_heap_address, UNDEFINED_ADDRESS);
        assert_eq!(i.name_btree_address, UNDEFINED_ADDRESS);
        let tracked = LinkInfo {
            creation_order_tracked: true,
            creation_order_indexed: true,
            max_creation_index: Some(1 << 40),
            fractal_heap_address: 256,
            name_btree_address: 512,
            creation_order_btree_address: Some(768),
        };
        let b = tracked.encode();
        assert_eq!(b.len(), 2 + 8 + 24);
        assert_eq!(
            LinkInfo::parse(&mut cur(&b), &Limits::default()).unwrap(),
            tracked
        );
    }
}
