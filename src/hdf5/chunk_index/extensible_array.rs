//! (in progress)
use super::{ChunkInfo, Geometry};
use crate::error::{Error, Result};
use crate::hdf5::io::{Budget, FileIo};
/// stub
pub fn chunks(
    _io: &FileIo,
    addr: u64,
    _g: &Geometry,
    _f: bool,
    _b: &mut Budget,
) -> Result<Vec<ChunkInfo>> {
    Err(Error::unsupported("ea", Some(addr)))
}
