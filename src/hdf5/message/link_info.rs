//! Link Info message (0x2), spec IV.A.2.c. Version 0.
//!
//! Layout: version 0, flags (bit 0 creation order tracked, bit 1 indexed), maximum
//! creation index u64 (bit 0), fractal heap address, name B-tree address, creation-order
//! B-tree address (bit 1). Refused: other versions, unknown flag bits.

use super::{named, version};
use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
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

impl LinkInfo {
    /// Decode a Link Info message.
    pub fn parse(c: &mut Cursor<'_>, _limits: &Limits) -> Result<Self> {
        named(c, "link info message", |c| {
            version(c, &[0])?;
            let at = c.addr();
            let flags = c.u8()?;
            if flags & !3 != 0 {
                return Err(Error::Format(
                    c.err_at(at, format!("unknown link info flags {flags:#x}")),
                ));
            }
            let tracked = flags & 1 != 0;
            let indexed = flags & 2 != 0;
            let max_creation_index = if tracked { Some(c.u64()?) } else { None };
            let fractal_heap_address = c.offset()?;
            let name_btree_address = c.offset()?;
            let creation_order_btree_address = if indexed { Some(c.offset()?) } else { None };
            Ok(LinkInfo {
                creation_order_tracked: tracked,
                creation_order_indexed: indexed,
                max_creation_index,
                fractal_heap_address,
                name_btree_address,
                creation_order_btree_address,
            })
        })
    }
}
