//! The metadata cache image (HDF5 1.10+, `H5Pset_mdc_image_config`): on close, HDF5 may
//! write the metadata cache as one block and leave the entries' home addresses unwritten;
//! the superblock extension's message 0x18 (version 0, block address, block length) points
//! to it. Without it such a file is unreadable (the root object header is zeros).
//!
//! Block (HDF5's `H5C__decode_cache_image_header/_entry`): "MDCI", version 0, flags (bit 0:
//! resize status, never written), image length (length), entry count (u32); per entry:
//! type, flags, ring, age (1 byte each), flush-dependency child count, dirty child count,
//! parent count (u16 each), LRU rank (i32), address (offset), size (length), the parents'
//! addresses, then the entry's bytes; a lookup3 checksum of the block ends it. The entries
//! become an overlay of the file: every read of those addresses sees their bytes.

use crate::error::{Error, Result};
use crate::hdf5::cursor::UNDEFINED_ADDRESS;
use crate::hdf5::io::FileIo;
use crate::hdf5::superblock::Superblock;

const STRUCTURE: &str = "metadata cache image";
/// Message type of the cache image message in the superblock extension.
const MDCI_MESSAGE: u16 = 0x18;

/// The entries of the file's metadata cache image, sorted by address (empty without one).
/// An unreadable superblock extension is ignored (it held nothing we read before); a cache
/// image that is referenced but damaged is an error.
pub(crate) fn load(io: &FileIo, sb: &Superblock) -> Result<Vec<(u64, Vec<u8>)>> {
    if sb.extension_address == UNDEFINED_ADDRESS {
        return Ok(Vec::new());
    }
    let Ok(ext) = crate::hdf5::object_header::read(io, sb.extension_address) else {
        return Ok(Vec::new());
    };
    let Some(msg) = ext.messages.iter().find(|m| m.msg_type == MDCI_MESSAGE) else {
        return Ok(Vec::new());
    };
    let mut c = io.cursor(&msg.data, msg.at, "cache image message");
    let v_at = c.addr();
    let version = c.u8()?;
    if version != 0 {
        return Err(Error::Format(
            c.err_at(v_at, format!("cache image message version {version}")),
        ));
    }
    let addr = c.offset()?;
    let len = c.length()?;
    let block = io.read(addr, len, STRUCTURE)?;
    parse_block(io, &block, addr)
}

fn parse_block(io: &FileIo, block: &[u8], at: u64) -> Result<Vec<(u64, Vec<u8>)>> {
    if block.len() < 4 {
        return Err(Error::format(
            STRUCTURE,
            at,
            "block shorter than its checksum",
        ));
    }
    let (body, sum) = block.split_at(block.len() - 4);
    let stored = u32::from_le_bytes([sum[0], sum[1], sum[2], sum[3]]);
    crate::hdf5::checksum::verify(STRUCTURE, at, body, stored)?;
    let mut c = io.cursor(body, at, STRUCTURE);
    c.signature(b"MDCI")?;
    let v_at = c.addr();
    let version = c.u8()?;
    let flags = c.u8()?;
    if version != 0 || flags != 0 {
        return Err(Error::Format(c.err_at(
            v_at,
            format!("version {version}, flags {flags:#x} (expected 0, 0)"),
        )));
    }
    let data_len = c.length()?;
    if data_len != block.len() as u64 {
        return Err(Error::Format(c.err(format!(
            "image length {data_len}, block of {} bytes",
            block.len()
        ))));
    }
    let n = c.u32()?;
    let mut entries = Vec::new();
    for _ in 0..n {
        c.skip(4)?; // type, flags, ring, age
        let _children = c.u16()?;
        let _dirty_children = c.u16()?;
        let parents = c.u16()?;
        c.skip(4)?; // LRU rank
        let e_at = c.addr();
        let addr = c.offset()?;
        let size = c.length()?;
        for _ in 0..parents {
            c.offset()?;
        }
        let size = usize::try_from(size)
            .ok()
            .filter(|&s| s > 0 && s <= c.remaining())
            .ok_or_else(|| Error::Format(c.err_at(e_at, format!("entry of {size} bytes"))))?;
        if addr == UNDEFINED_ADDRESS {
            return Err(Error::Format(
                c.err_at(e_at, "entry at an undefined address"),
            ));
        }
        entries.push((addr, c.bytes(size)?.to_vec()));
    }
    entries.sort_by_key(|e| e.0);
    Ok(entries)
}
