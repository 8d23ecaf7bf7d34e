//! A writable storage shared with the read engine, so the writer loads existing objects
//! through the proven readers while it owns the file.

use std::io;
use std::sync::{Arc, Mutex};

use super::{Storage, WriteStorage};

/// The writer's storage shared with the read engine, so existing objects are loaded by
/// the proven readers while the writer owns the file.
#[derive(Clone)]
pub struct SharedStorage(pub Arc<Mutex<Box<dyn WriteStorage>>>);

impl SharedStorage {
    fn lock(&self) -> io::Result<std::sync::MutexGuard<'_, Box<dyn WriteStorage>>> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("storage lock poisoned"))
    }
}

impl WriteStorage for SharedStorage {
    fn len(&self) -> io::Result<u64> {
        self.lock()?.len()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.lock()?.read_at(offset, buf)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.lock()?.write_at(offset, data)
    }
    fn set_len(&mut self, n: u64) -> io::Result<()> {
        self.lock()?.set_len(n)
    }
    fn sync(&mut self) -> io::Result<()> {
        self.lock()?.sync()
    }
    fn flush(&mut self) -> io::Result<()> {
        self.lock()?.flush()
    }
}

impl Storage for SharedStorage {
    fn len(&self) -> io::Result<u64> {
        self.lock()?.len()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.lock()?.read_at(offset, buf)
    }
}
