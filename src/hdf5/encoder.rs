//! Helpers shared by the encoders (the writer's half of each structure module): padding,
//! checked narrowing, checksums, and [`Encoder`], the write twin of
//! [`Cursor`](crate::hdf5::cursor::Cursor).
//!
//! Each structure is encoded in the module that decodes it (`message/dataspace.rs` parses
//! and encodes the Dataspace message, `superblock.rs` both superblocks, and so on). Sizes
//! of offsets and lengths are always 8 when writing.

use crate::error::{Error, Result};
use crate::hdf5::checksum::lookup3;

/// The undefined address (all bits set), as the writer spells it.
pub const UNDEF: u64 = u64::MAX;

/// Round `n` up to a multiple of 8.
pub fn pad8(n: usize) -> usize {
    n.div_ceil(8).saturating_mul(8)
}

pub(crate) fn pad_vec(v: &mut Vec<u8>) {
    let n = pad8(v.len());
    v.resize(n, 0);
}

pub(crate) fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(msg.into())
}

pub(crate) fn u32_of(n: u64, what: &str) -> Result<u32> {
    u32::try_from(n).map_err(|_| usage(format!("{what} {n} does not fit in 32 bits")))
}

pub(crate) fn seal(mut v: Vec<u8>) -> Vec<u8> {
    let s = lookup3(&v);
    v.extend_from_slice(&s.to_le_bytes());
    v
}
