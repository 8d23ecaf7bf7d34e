//! Where the writer puts bytes: a file (positional I/O, no lock), memory, or a
//! fault-injecting wrapper for crash/ENOSPC tests.
//!
//! Nothing HDF5-specific lives here. The writer only needs positional reads and writes,
//! truncation/extension and a durability barrier.

use std::io;
use std::sync::{Arc, Mutex};

/// Random-access, writable byte sink used by [`super::Writer`].
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
    /// Whether the storage is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
}

fn eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "read past end of data")
}

/// A file on disk written with positional I/O. Takes no lock, so readers (PyMoDAQ's
/// viewers, h5py) can open the file while we append.
pub struct FileWriteStorage {
    file: std::fs::File,
}

impl FileWriteStorage {
    /// Create (truncate) `path` for reading and writing.
    pub fn create(path: impl AsRef<std::path::Path>) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        Ok(FileWriteStorage { file })
    }

    /// Open an existing `path` for reading and writing.
    pub fn open(path: impl AsRef<std::path::Path>) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)?;
        Ok(FileWriteStorage { file })
    }
}

impl WriteStorage for FileWriteStorage {
    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        crate::storage::read_exact_at(&self.file, offset, buf)
    }
    #[cfg(unix)]
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        self.file.write_all_at(data, offset)
    }
    #[cfg(windows)]
    fn write_at(&mut self, mut offset: u64, mut data: &[u8]) -> io::Result<()> {
        use std::os::windows::fs::FileExt;
        while !data.is_empty() {
            let n = self.file.seek_write(data, offset)?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::WriteZero, "write returned 0"));
            }
            data = &data[n..];
            offset += n as u64;
        }
        Ok(())
    }
    fn set_len(&mut self, n: u64) -> io::Result<()> {
        self.file.set_len(n)
    }
    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }
}

/// Bytes held in memory, shared so a test can inspect them while the writer lives.
#[derive(Clone, Default)]
pub struct MemWriteStorage(Arc<Mutex<Vec<u8>>>);

impl MemWriteStorage {
    /// Empty storage.
    pub fn new() -> Self {
        Self::default()
    }
    /// A copy of the current bytes.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

fn poisoned() -> io::Error {
    io::Error::other("memory storage lock poisoned")
}

impl WriteStorage for MemWriteStorage {
    fn len(&self) -> io::Result<u64> {
        Ok(self.0.lock().map_err(|_| poisoned())?.len() as u64)
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let v = self.0.lock().map_err(|_| poisoned())?;
        let start = usize::try_from(offset).map_err(|_| eof())?;
        let end = start.checked_add(buf.len()).ok_or_else(eof)?;
        buf.copy_from_slice(v.get(start..end).ok_or_else(eof)?);
        Ok(())
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut v = self.0.lock().map_err(|_| poisoned())?;
        let too_big = || io::Error::new(io::ErrorKind::OutOfMemory, "offset too large");
        let start = usize::try_from(offset).map_err(|_| too_big())?;
        let end = start.checked_add(data.len()).ok_or_else(too_big)?;
        if v.len() < end {
            v.resize(end, 0);
        }
        if let Some(dst) = v.get_mut(start..end) {
            dst.copy_from_slice(data);
        }
        Ok(())
    }
    fn set_len(&mut self, n: u64) -> io::Result<()> {
        let mut v = self.0.lock().map_err(|_| poisoned())?;
        let n = usize::try_from(n)
            .map_err(|_| io::Error::new(io::ErrorKind::OutOfMemory, "length too large"))?;
        v.resize(n, 0);
        Ok(())
    }
    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Which operations a [`FaultyStorage`] counts towards its failure point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultOp {
    /// `write_at`.
    Write,
    /// `set_len`.
    SetLen,
    /// `sync`.
    Sync,
}

/// A wrapper that fails the `k`-th mutating operation (write, set_len or sync, counted
/// together from 0) and every one after it with a "no space left on device"-like error,
/// like a full disk. Reads keep working. Used by the fault-injection tests.
pub struct FaultyStorage<S: WriteStorage> {
    inner: S,
    fail_at: u64,
    count: u64,
    /// Operations that failed, in order.
    pub failed: Vec<FaultOp>,
}

impl<S: WriteStorage> FaultyStorage<S> {
    /// Wrap `inner`, failing from the `fail_at`-th mutating operation on.
    pub fn new(inner: S, fail_at: u64) -> Self {
        FaultyStorage {
            inner,
            fail_at,
            count: 0,
            failed: Vec::new(),
        }
    }
    /// Mutating operations attempted so far.
    pub fn ops(&self) -> u64 {
        self.count
    }
    fn gate(&mut self, op: FaultOp) -> io::Result<()> {
        let n = self.count;
        self.count = self.count.saturating_add(1);
        if n >= self.fail_at {
            self.failed.push(op);
            // ENOSPC where the OS has that number; a plain error elsewhere.
            #[cfg(unix)]
            return Err(io::Error::from_raw_os_error(28));
            #[cfg(not(unix))]
            return Err(io::Error::other("injected fault: no space left on device"));
        }
        Ok(())
    }
}

impl<S: WriteStorage> WriteStorage for FaultyStorage<S> {
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.inner.read_at(offset, buf)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.gate(FaultOp::Write)?;
        self.inner.write_at(offset, data)
    }
    fn set_len(&mut self, n: u64) -> io::Result<()> {
        self.gate(FaultOp::SetLen)?;
        self.inner.set_len(n)
    }
    fn sync(&mut self) -> io::Result<()> {
        self.gate(FaultOp::Sync)?;
        self.inner.sync()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_write_read_extend() {
        let mut m = MemWriteStorage::new();
        m.write_at(4, b"abcd").unwrap();
        assert_eq!(m.len().unwrap(), 8);
        let mut b = [0u8; 4];
        m.read_at(4, &mut b).unwrap();
        assert_eq!(&b, b"abcd");
        assert!(m.read_at(6, &mut b).is_err());
        m.set_len(2).unwrap();
        assert_eq!(m.bytes(), vec![0, 0]);
    }

    #[test]
    fn faulty_fails_from_k() {
        let mut f = FaultyStorage::new(MemWriteStorage::new(), 2);
        f.write_at(0, b"a").unwrap();
        f.sync().unwrap();
        assert!(f.write_at(1, b"b").is_err());
        assert!(f.set_len(0).is_err());
        assert_eq!(f.failed, vec![FaultOp::Write, FaultOp::SetLen]);
        assert_eq!(f.inner.bytes(), b"a");
    }
}
