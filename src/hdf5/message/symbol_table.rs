//! Symbol Table message (0x11), spec IV.A.2.r.
//!
//! Layout: v1 B-tree address, local heap address (both "size of offsets" wide).
//! Refused: undefined addresses.

use super::{bad, named};
use crate::error::Result;
use crate::hdf5::cursor::{Cursor, UNDEFINED_ADDRESS};
use crate::hdf5::encoder::{Encoder, Sizes};
use crate::limits::Limits;

/// An old-style group's v1 B-tree and local heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolTableMessage {
    /// Address of the v1 B-tree (node type 0).
    pub btree_address: u64,
    /// Address of the local heap holding the link names.
    pub local_heap_address: u64,
}

impl SymbolTableMessage {
    /// Decode a Symbol Table message.
    pub fn parse(c: &mut Cursor<'_>, _limits: &Limits) -> Result<Self> {
        named(c, "symbol table message", |c| {
            let btree_address = c.offset()?;
            let local_heap_address = c.offset()?;
            if btree_address == UNDEFINED_ADDRESS || local_heap_address == UNDEFINED_ADDRESS {
                return Err(bad(c, "undefined B-tree or local heap address"));
            }
            Ok(SymbolTableMessage {
                btree_address,
                local_heap_address,
            })
        })
    }
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// Encode a Symbol Table message body.
pub fn encode_symbol_table(s: Sizes, btree: u64, heap: u64) -> Vec<u8> {
    Encoder::sized(s).offset(btree).offset(heap).take()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::message::test_util::*;

    /// The message of a PyTables root group (real bytes).
    #[rustfmt::skip]
    const PYTABLES_ROOT: [u8; 16] = [
        0x88, 0, 0, 0, 0, 0, 0, 0,    // v1 B-tree at 136
        0xa8, 0x02, 0, 0, 0, 0, 0, 0, // local heap at 680
    ];

    #[test]
    fn accepts_and_rejects() {
        let b = PYTABLES_ROOT;
        let s = decode::<SymbolTableMessage>(&b).unwrap();
        assert_eq!((s.btree_address, s.local_heap_address), (136, 680));
        let mut undef = b;
        undef[8..].fill(0xff);
        let e = decode::<SymbolTableMessage>(&undef);
        assert_eq!(format_at(e).0, "symbol table message");
        assert!(decode::<SymbolTableMessage>(&b[..12]).is_err());
        // The writer encodes the same value to the same bytes.
        assert_eq!(encode_symbol_table(Sizes::default(), 136, 680), b);
    }
}
