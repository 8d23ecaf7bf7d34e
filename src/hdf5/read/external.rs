//! Datasets whose raw data lives in external files (External Data Files message 0x7,
//! `H5Pset_external`): the dataset's bytes, in C order, are the concatenation of the
//! message's slots (a byte range of a named file each). Names are resolved as HDF5 does
//! without an external-file prefix: absolute as given, else relative to the working
//! directory (so `dump` reads what h5py reads from the same directory). A missing file or a
//! short one is an error on that dataset, as in HDF5; bytes past the slots read as the fill
//! value.

use std::io::{Read, Seek, SeekFrom};

use crate::error::{Error, Result};
use crate::hdf5::io::FileIo;
use crate::hdf5::message::RawMessage;

const STRUCTURE: &str = "external data files message";

/// One slot: a byte range of an external file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalSlot {
    /// File name, as stored.
    pub name: String,
    /// Offset in that file.
    pub offset: u64,
    /// Bytes this slot provides.
    pub size: u64,
}

/// Decode the message (version 1: reserved, allocated and used slot counts, local heap
/// address of the names, then name offset / file offset / size per slot).
pub(crate) fn parse(raw: &RawMessage, io: &FileIo) -> Result<Vec<ExternalSlot>> {
    let mut c = io.cursor(&raw.data, raw.at, STRUCTURE);
    let version = c.u8()?;
    if version != 1 {
        return Err(Error::format(
            STRUCTURE,
            raw.at,
            format!("version {version}"),
        ));
    }
    c.skip(3)?;
    let _allocated = c.u16()?;
    let used = c.u16()?;
    let heap_addr = c.offset()?;
    let heap = crate::hdf5::local_heap::read(io, heap_addr)?;
    let mut out = Vec::with_capacity(usize::from(used));
    for _ in 0..used {
        let name_off = c.length()?;
        let offset = c.length()?;
        let size = c.length()?;
        let name = String::from_utf8_lossy(heap.string_at(name_off)?).into_owned();
        out.push(ExternalSlot { name, offset, size });
    }
    Ok(out)
}

/// Bytes `[start, start + out.len())` of the dataset's logical byte stream into `out`.
/// An `H5F_UNLIMITED` size (all ones) means "to the end of the file".
pub(crate) fn read_bytes(
    slots: &[ExternalSlot],
    start: u64,
    out: &mut [u8],
    at: u64,
) -> Result<()> {
    let mut pos = 0u64; // logical start of the current slot
    let end = start.saturating_add(out.len() as u64);
    for s in slots {
        if pos >= end {
            break;
        }
        let slot_end = pos.saturating_add(s.size);
        let lo = start.max(pos);
        let hi = end.min(slot_end);
        if lo < hi {
            let mut f = std::fs::File::open(&s.name).map_err(|e| {
                Error::format(
                    STRUCTURE,
                    at,
                    format!("external data file {:?} cannot be opened: {e}", s.name),
                )
            })?;
            let in_file = s
                .offset
                .checked_add(lo - pos)
                .ok_or_else(|| Error::format(STRUCTURE, at, "file offset overflows"))?;
            f.seek(SeekFrom::Start(in_file))?;
            let a = usize::try_from(lo - start).unwrap_or(usize::MAX);
            let b = usize::try_from(hi - start).unwrap_or(usize::MAX);
            let dst = out
                .get_mut(a..b)
                .ok_or_else(|| Error::format(STRUCTURE, at, "slot outside the selection"))?;
            f.read_exact(dst).map_err(|e| {
                Error::format(
                    STRUCTURE,
                    at,
                    format!("external data file {:?} too short: {e}", s.name),
                )
            })?;
        }
        pos = slot_end;
    }
    Ok(())
}
