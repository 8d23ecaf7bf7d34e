//! Object Header Continuation message (0x10), spec IV.A.2.q.
//!
//! Layout: offset ("size of offsets"), length ("size of lengths").
//! Refused: undefined offset, zero length.

use super::{bad, named};
use crate::error::Result;
use crate::hdf5::cursor::{Cursor, UNDEFINED_ADDRESS};
use crate::limits::Limits;

/// Where the next object header chunk lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Continuation {
    /// Address of the continuation block.
    pub offset: u64,
    /// Its length in bytes.
    pub length: u64,
}

impl Continuation {
    /// Decode a continuation message.
    pub fn parse(c: &mut Cursor<'_>, _limits: &Limits) -> Result<Self> {
        named(c, "continuation message", |c| {
            let offset = c.offset()?;
            let length = c.length()?;
            if offset == UNDEFINED_ADDRESS || length == 0 {
                return Err(bad(c, "continuation with undefined address or zero length"));
            }
            Ok(Continuation { offset, length })
        })
    }
}
