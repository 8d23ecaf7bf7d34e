//! File-level access for the decoders: bounded block reads at HDF5 addresses, and the work
//! budget every walk charges.
//!
//! HDF5 addresses are relative to the superblock's base address; `FileIo` adds the base,
//! checks the window against the end of the storage and against [`Limits::max_alloc`]
//! before allocating, and reports failures with the structure name and offset.

use std::collections::HashSet;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::hdf5::cursor::{Cursor, Sizes, UNDEFINED_ADDRESS};
use crate::limits::Limits;
use crate::storage::Storage;

/// Shared, read-only view of an HDF5 file for decoders.
#[derive(Clone)]
pub struct FileIo {
    storage: Arc<dyn Storage>,
    /// Sizes of offsets and lengths (from the superblock).
    pub sizes: Sizes,
    /// Absolute position of HDF5 address 0 (the superblock's base address).
    pub base: u64,
    /// Length of the storage at open time.
    pub len: u64,
    /// Caps in force.
    pub limits: Limits,
    /// Metadata held only in a metadata cache image (HDF5 1.10): (address, bytes), sorted;
    /// reads overlapping them see these bytes (see `cache_image.rs`).
    pub(crate) overlay: Arc<Vec<(u64, Vec<u8>)>>,
}

impl std::fmt::Debug for FileIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileIo")
            .field("sizes", &self.sizes)
            .field("base", &self.base)
            .field("len", &self.len)
            .finish()
    }
}

impl FileIo {
    /// Wrap a storage; `sizes` and `base` are set once the superblock is known.
    pub fn new(storage: Arc<dyn Storage>, limits: Limits) -> Result<Self> {
        let len = storage.len()?;
        Ok(FileIo {
            storage,
            sizes: Sizes::default(),
            base: 0,
            len,
            limits,
            overlay: Arc::new(Vec::new()),
        })
    }

    /// Copy the overlay's bytes over `buf`, read from HDF5 address `addr`.
    fn patch(&self, addr: u64, buf: &mut [u8]) {
        let end = addr.saturating_add(buf.len() as u64);
        for (a, bytes) in self.overlay.iter() {
            let (a, b) = (*a, a.saturating_add(bytes.len() as u64));
            if b <= addr || a >= end {
                continue;
            }
            let lo = a.max(addr);
            let hi = b.min(end);
            let dst = &mut buf[(lo - addr) as usize..(hi - addr) as usize];
            dst.copy_from_slice(&bytes[(lo - a) as usize..(hi - a) as usize]);
        }
    }

    /// The underlying storage.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// Absolute position of HDF5 address `addr`, checked against the file end for `len` bytes.
    pub fn check_window(&self, addr: u64, len: u64, structure: &'static str) -> Result<u64> {
        if addr == UNDEFINED_ADDRESS {
            return Err(Error::format(structure, addr, "undefined address"));
        }
        let abs = self
            .base
            .checked_add(addr)
            .ok_or_else(|| Error::format(structure, addr, "address overflows"))?;
        let end = abs
            .checked_add(len)
            .ok_or_else(|| Error::format(structure, addr, "length overflows"))?;
        // The length is sampled at open; a live file (a writer appending) may have grown
        // since, and freshly committed structures point past the old end: look again.
        if end > self.len && end > self.storage.len()? {
            return Err(Error::format(
                structure,
                addr,
                format!(
                    "{len} bytes at address {addr} run past the end of the file ({} bytes)",
                    self.len
                ),
            ));
        }
        Ok(abs)
    }

    /// Read `len` bytes at HDF5 address `addr`.
    pub fn read(&self, addr: u64, len: u64, structure: &'static str) -> Result<Vec<u8>> {
        if len > self.limits.max_alloc {
            return Err(Error::limit(
                "max_alloc",
                self.limits.max_alloc,
                len,
                Some(addr),
            ));
        }
        let abs = self.check_window(addr, len, structure)?;
        let n = usize::try_from(len)
            .map_err(|_| Error::format(structure, addr, "length does not fit in memory"))?;
        let mut buf = vec![0u8; n];
        self.storage.read_at(abs, &mut buf)?;
        if !self.overlay.is_empty() {
            self.patch(addr, &mut buf);
        }
        Ok(buf)
    }

    /// Fill `buf` from HDF5 address `addr` (no allocation).
    pub fn read_into(&self, addr: u64, buf: &mut [u8], structure: &'static str) -> Result<()> {
        let abs = self.check_window(addr, buf.len() as u64, structure)?;
        self.storage.read_at(abs, buf)?;
        if !self.overlay.is_empty() {
            self.patch(addr, buf);
        }
        Ok(())
    }

    /// Read up to `max` bytes at `addr`, fewer if the file ends first (for structures whose
    /// size is only known after decoding a prefix).
    pub fn read_upto(&self, addr: u64, max: u64, structure: &'static str) -> Result<Vec<u8>> {
        let abs = self.check_window(addr, 0, structure)?;
        let avail = self.len.max(self.storage.len()?).saturating_sub(abs);
        self.read(addr, max.min(avail), structure)
    }

    /// A cursor over `buf`, which was read from HDF5 address `addr`.
    pub fn cursor<'a>(&self, buf: &'a [u8], addr: u64, structure: &'static str) -> Cursor<'a> {
        Cursor::new(buf, addr, structure, self.sizes)
    }
}

/// Work and cycle accounting for one walk (a group traversal, a B-tree descent, a chunk
/// lookup). Every visited structure is charged; revisiting an address is a cycle.
#[derive(Debug)]
pub struct Budget {
    remaining: u64,
    limit: u64,
    visited: HashSet<u64>,
}

impl Budget {
    /// A budget of `limits.max_work` units.
    pub fn new(limits: &Limits) -> Self {
        Budget {
            remaining: limits.max_work,
            limit: limits.max_work,
            visited: HashSet::new(),
        }
    }

    /// Charge `units` of work.
    pub fn charge(&mut self, units: u64, at: u64) -> Result<()> {
        if units > self.remaining {
            return Err(Error::limit(
                "max_work",
                self.limit,
                self.limit.saturating_add(units),
                Some(at),
            ));
        }
        self.remaining -= units;
        Ok(())
    }

    /// Record a visit of `addr` (a node, block or header); a second visit is a cycle error.
    pub fn visit(&mut self, addr: u64, structure: &'static str) -> Result<()> {
        self.charge(1, addr)?;
        if !self.visited.insert(addr) {
            return Err(Error::format(
                structure,
                addr,
                "cycle: structure reached twice in one walk",
            ));
        }
        Ok(())
    }
}
