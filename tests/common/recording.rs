//! A storage that records every mutating operation, for the crash-replay tests: every
//! prefix of the log, applied to an empty image, is a state a crash can leave on disk.

use std::io;
use std::sync::{Arc, Mutex};

use pymodaq_h5::hdf5::write::{MemWriteStorage, WriteStorage};

/// One mutating operation.
#[derive(Clone, Debug)]
pub enum Op {
    /// `write_at(offset, bytes)`.
    Write(u64, Vec<u8>),
    /// `set_len(n)`.
    SetLen(u64),
}

/// A storage that records every mutating operation, in order.
pub struct Recording {
    /// Where the bytes go.
    pub inner: MemWriteStorage,
    /// The operations so far.
    pub log: Arc<Mutex<Vec<Op>>>,
}

impl WriteStorage for Recording {
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.inner.read_at(offset, buf)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.log
            .lock()
            .unwrap()
            .push(Op::Write(offset, data.to_vec()));
        self.inner.write_at(offset, data)
    }
    fn set_len(&mut self, n: u64) -> io::Result<()> {
        self.log.lock().unwrap().push(Op::SetLen(n));
        self.inner.set_len(n)
    }
    fn sync(&mut self) -> io::Result<()> {
        self.inner.sync()
    }
}

/// Apply one recorded operation to a file image.
pub fn apply(image: &mut Vec<u8>, op: &Op) {
    match op {
        Op::Write(off, data) => {
            let end = *off as usize + data.len();
            if image.len() < end {
                image.resize(end, 0);
            }
            image[*off as usize..end].copy_from_slice(data);
        }
        Op::SetLen(n) => image.resize(*n as usize, 0),
    }
}

/// What a crash after the first `k` operations must keep: the largest count acknowledged
/// (`acked`: (operations so far, count) at each flush) by then.
pub fn acknowledged(acked: &[(usize, usize)], k: usize) -> usize {
    acked
        .iter()
        .filter(|(at, _)| *at <= k)
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
}
