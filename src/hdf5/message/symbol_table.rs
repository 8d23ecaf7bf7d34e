//! Symbol Table message (0x11), spec IV.A.2.r.
//!
//! Layout: v1 B-tree address, local heap address (both "size of offsets" wide).
//! Refused: undefined addresses.

use super::{bad, named};
use crate::error::Result;
use crate::hdf5::cursor::{Cursor, UNDEFINED_ADDRESS};
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
