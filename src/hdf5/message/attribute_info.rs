//! Attribute Info message (0x15), spec IV.A.2.v. Version 0.
//!
//! Layout: version 0, flags (bit 0 creation order tracked, bit 1 indexed), maximum
//! creation index u16 (bit 0), fractal heap address, name B-tree address, creation-order
//! B-tree address (bit 1). Refused: other versions, unknown flag bits.

use super::link_info::IndexInfo;
use super::named;
use crate::error::Result;
use crate::hdf5::cursor::Cursor;
use crate::hdf5::message::link_info::encode_link_info;
use crate::limits::Limits;

/// Where an object's dense attributes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeInfo {
    /// Whether creation order is tracked.
    pub creation_order_tracked: bool,
    /// Whether creation order is indexed.
    pub creation_order_indexed: bool,
    /// Maximum creation index, when tracked.
    pub max_creation_index: Option<u16>,
    /// Fractal heap address (undefined when attributes are compact).
    pub fractal_heap_address: u64,
    /// v2 B-tree (type 8) on names.
    pub name_btree_address: u64,
    /// v2 B-tree (type 9) on creation order, when indexed.
    pub creation_order_btree_address: Option<u64>,
}

impl AttributeInfo {
    /// Decode an Attribute Info message.
    pub fn parse(c: &mut Cursor<'_>, _limits: &Limits) -> Result<Self> {
        named(c, "attribute info message", |c| {
            let i = IndexInfo::parse(c, "attribute info", 2)?;
            Ok(AttributeInfo {
                creation_order_tracked: i.tracked,
                creation_order_indexed: i.indexed,
                // Read from two bytes: always fits.
                max_creation_index: i.max_creation_index.map(|m| m as u16),
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
            max_creation_index: self.max_creation_index.map(u64::from),
            heap: self.fractal_heap_address,
            names: self.name_btree_address,
            order: self.creation_order_btree_address,
        }
        .encode(2)
    }
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// Attribute Info message body (version 0, no creation order, compact attributes).
pub fn encode_attr_info() -> Vec<u8> {
    encode_link_info()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::message::test_util::*;

    fn parse(b: &[u8]) -> Result<AttributeInfo> {
        AttributeInfo::parse(&mut cur(b), &Limits::default())
    }

    #[test]
    fn dense_with_creation_order() {
        #[rustfmt::skip]
        let b = [
            0x00,                   // version 0
            0x03,                   // flags: tracked, indexed
            12, 0,                  // max creation index 12 (u16)
            0x00, 0x01, 0, 0, 0, 0, 0, 0, // fractal heap 256
            0x00, 0x02, 0, 0, 0, 0, 0, 0, // name B-tree 512
            0x00, 0x03, 0, 0, 0, 0, 0, 0, // creation-order B-tree 768
        ];
        let a = parse(&b).unwrap();
        assert_eq!(
            (a.max_creation_index, a.creation_order_btree_address),
            (Some(12), Some(768))
        );
        // h5py libver='latest' root (real bytes): compact attributes.
        let mut compact = vec![0x00, 0x00];
        compact.extend_from_slice(&[0xff; 16]);
        assert!(!parse(&compact).unwrap().creation_order_tracked);
    }

    #[test]
    fn rejects() {
        assert_eq!(
            format_at(parse(&[0x02, 0x00])),
            ("attribute info message", BASE)
        );
        assert_eq!(format_at(parse(&[0x00, 0x08])).1, BASE + 1);
        assert!(parse(&[0x00, 0x01, 0x00]).is_err());
    }
}

#[cfg(test)]
mod round_trip {
    //! Encode, then parse with the reader's decoder: the same value comes back.
    use super::*;
    use crate::hdf5::message::test_util::cur;

    use crate::hdf5::cursor::UNDEFINED_ADDRESS;

    #[test]
    fn attribute_info_encodes_then_parses() {
        let b = encode_attr_info();
        let i = AttributeInfo::parse(&mut cur(&b), &Limits::default()).unwrap();
        assert!(!i.creation_order_tracked && !i.creation_order_indexed);
        assert_eq!(i.fractal_heap_address, UNDEFINED_ADDRESS);
        assert_eq!(i.name_btree_address, UNDEFINED_ADDRESS);
        let dense = AttributeInfo {
            creation_order_tracked: true,
            creation_order_indexed: true,
            max_creation_index: Some(12),
            fractal_heap_address: 256,
            name_btree_address: 512,
            creation_order_btree_address: Some(768),
        };
        let b = dense.encode();
        assert_eq!(b.len(), 2 + 2 + 24);
        assert_eq!(
            AttributeInfo::parse(&mut cur(&b), &Limits::default()).unwrap(),
            dense
        );
    }
}
