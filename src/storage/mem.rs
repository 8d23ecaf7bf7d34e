//! Bytes held in memory: read-only shared bytes ([`MemStorage`]) and a growable buffer a
//! test can inspect while the writer lives ([`MemWriteStorage`]).

use std::io;
use std::sync::{Arc, Mutex};

use super::{eof, Storage, WriteStorage};

/// Bytes held in memory.
#[derive(Clone)]
pub struct MemStorage(Arc<[u8]>);

impl MemStorage {
    /// Wrap owned bytes.
    pub fn new(bytes: impl Into<Arc<[u8]>>) -> Self {
        MemStorage(bytes.into())
    }
}

impl Storage for MemStorage {
    fn len(&self) -> io::Result<u64> {
        Ok(self.0.len() as u64)
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| eof())?;
        let end = start.checked_add(buf.len()).ok_or_else(eof)?;
        let src = self.0.get(start..end).ok_or_else(eof)?;
        buf.copy_from_slice(src);
        Ok(())
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
