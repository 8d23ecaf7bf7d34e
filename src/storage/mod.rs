//! Where file bytes live: a file on disk (positional I/O, no lock), memory, or a
//! fault-injecting wrapper for tests. Nothing HDF5-specific lives here: the read engine
//! only asks for `(offset, length)` windows ([`Storage`]); the writer also writes,
//! resizes and syncs ([`WriteStorage`]).
//!
//! | storage | reads | writes |
//! |---|---|---|
//! | file (`file.rs`) | [`FileStorage`] | [`FileWriteStorage`] |
//! | memory (`mem.rs`) | [`MemStorage`] | [`MemWriteStorage`] |
//! | shared with readers (`shared.rs`) | [`SharedStorage`] | [`SharedStorage`] |
//! | fault injection (`faulty.rs`, feature `testing`) | | `FaultyStorage` |
//! | write coalescing over another (`coalesce.rs`) | | [`Coalesce`] |
//!
//! Every storage passes the same conformance suite (`conformance.rs`).

use std::io;

mod coalesce;
mod file;
mod mem;
mod readers;
mod shared;

#[cfg(test)]
mod conformance;
#[cfg(any(test, feature = "testing"))]
mod faulty;

pub use coalesce::Coalesce;
#[cfg(any(test, feature = "testing"))]
pub use faulty::{FaultOp, FaultyStorage};
pub use file::dir_of;
pub(crate) use file::read_exact_at;
pub use file::{FileStorage, FileWriteStorage};
pub use mem::{MemStorage, MemWriteStorage};
pub use readers::ReaderWatch;
pub use shared::SharedStorage;

/// Random-access, read-only byte source.
pub trait Storage: Send + Sync {
    /// Current length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Fill `buf` from absolute `offset`; a short source is an `UnexpectedEof` error.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    /// Whether the source is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
}

/// Random-access, writable byte sink used by [`crate::hdf5::write::Writer`].
pub trait WriteStorage: Send {
    /// Current length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Fill `buf` from absolute `offset`; a short source is an `UnexpectedEof` error.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
    /// Write all of `data` at absolute `offset`, extending the storage if needed.
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()>;
    /// Truncate or extend (with zeros) to `n` bytes.
    fn set_len(&mut self, n: u64) -> io::Result<()>;
    /// Durability barrier: everything written so far reaches stable storage.
    fn sync(&mut self) -> io::Result<()>;
    /// Hand every buffered write to the operating system (other processes then read it;
    /// a killed process keeps it). A storage that buffers nothing has nothing to do.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// Whether the storage is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
}

fn eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "read past end of data")
}
