//! Fault injection for tests (feature `testing`): a wrapper that fails from the k-th
//! mutating operation on, like a full disk.

use std::io;

use super::WriteStorage;

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
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemWriteStorage;

    #[test]
    fn faulty_fails_from_k() {
        let mut f = FaultyStorage::new(MemWriteStorage::new(), 2);
        f.write_at(0, b"a").unwrap();
        f.sync().unwrap();
        assert!(f.write_at(1, b"b").is_err());
        assert!(f.set_len(0).is_err());
        assert_eq!(f.failed, vec![FaultOp::Write, FaultOp::SetLen]);
        assert_eq!(f.inner.bytes(), b"a");
        assert_eq!(f.ops(), 4);
    }
}
