//! Write coalescing: consecutive mid-sized writes that continue each other (chunks stored
//! one after another, the W2 scan's 16 KiB spectra) are gathered into one buffer and handed
//! to the inner storage as one write of up to [`CAP`] bytes.
//!
//! Why: a positional write costs the kernel a fixed price per call plus a zeroed partial
//! page at each end of an unaligned range; 10,000 writes of 16 KiB cost about twice what
//! 160 writes of 1 MiB cost. Small writes (one page or less: headers, slots, index nodes)
//! and large ones (a camera frame) go straight through, as before.
//!
//! Order is what crash safety rests on, and it is kept: a write that does not continue the
//! buffer, every read, `len`, `set_len`, `sync` and [`WriteStorage::flush`] first hand the
//! buffer to the inner storage. The inner storage thus sees the same writes in the same
//! order, some consecutive ones merged, so every state it can be left in by a kill is a
//! state the unbuffered sequence passes through too (`tests` below checks this on random
//! sequences). The commit writes of the writer (slots: at most one page) are never merged.

use std::cell::RefCell;
use std::io;

use super::WriteStorage;

/// Writes larger than this (one page) are candidates for merging.
pub const MIN: usize = 4096;
/// Writes of this size or more go straight through (a copy would cost more than the call).
pub const MAX: usize = 128 << 10;
/// The buffer is handed on when it would pass this size.
pub const CAP: usize = 1 << 20;

struct Pending<S> {
    inner: S,
    at: u64,
    buf: Vec<u8>,
}

impl<S: WriteStorage> Pending<S> {
    fn drain(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        // Cleared before the write: an error is returned once, the bytes are not retried
        // (the writer stops at its first storage error).
        let r = self.inner.write_at(self.at, &self.buf);
        self.buf.clear();
        r
    }
}

/// A [`WriteStorage`] merging consecutive mid-sized writes (see the module text).
pub struct Coalesce<S: WriteStorage> {
    p: RefCell<Pending<S>>,
    min: usize,
    max: usize,
    cap: usize,
}

impl<S: WriteStorage> Coalesce<S> {
    /// Merge writes of `MIN < len < MAX` bytes into buffers of up to `CAP`.
    pub fn new(inner: S) -> Self {
        Self::with_sizes(inner, MIN, MAX, CAP)
    }

    /// Merge writes of `min < len < max` bytes into buffers of up to `cap` (tests).
    pub fn with_sizes(inner: S, min: usize, max: usize, cap: usize) -> Self {
        Coalesce {
            p: RefCell::new(Pending {
                inner,
                at: 0,
                buf: Vec::new(),
            }),
            min,
            max,
            cap,
        }
    }

    /// The buffer handed on, then `f` on the inner storage (interior mutability: reads take
    /// `&self`; the borrow cannot be held twice, nothing here re-enters).
    fn drained<T>(&self, f: impl FnOnce(&mut S) -> io::Result<T>) -> io::Result<T> {
        let mut p = self
            .p
            .try_borrow_mut()
            .map_err(|_| io::Error::other("write buffer re-entered"))?;
        p.drain()?;
        f(&mut p.inner)
    }
}

impl<S: WriteStorage> WriteStorage for Coalesce<S> {
    fn len(&self) -> io::Result<u64> {
        self.drained(|s| s.len())
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.drained(|s| s.read_at(offset, buf))
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        let (min, max, cap) = (self.min, self.max, self.cap);
        let p = self.p.get_mut();
        let mergeable = data.len() > min && data.len() < max;
        if mergeable && !p.buf.is_empty() {
            let continues = p.at.checked_add(p.buf.len() as u64) == Some(offset);
            if continues && p.buf.len() + data.len() <= cap {
                p.buf.extend_from_slice(data);
                return Ok(());
            }
        }
        p.drain()?;
        if mergeable {
            if p.buf.capacity() < cap {
                p.buf.reserve_exact(cap);
            }
            p.at = offset;
            p.buf.extend_from_slice(data);
            return Ok(());
        }
        p.inner.write_at(offset, data)
    }

    fn set_len(&mut self, n: u64) -> io::Result<()> {
        let p = self.p.get_mut();
        p.drain()?;
        p.inner.set_len(n)
    }

    fn sync(&mut self) -> io::Result<()> {
        let p = self.p.get_mut();
        p.drain()?;
        p.inner.sync()
    }

    fn flush(&mut self) -> io::Result<()> {
        let p = self.p.get_mut();
        p.drain()?;
        p.inner.flush()
    }
}

impl<S: WriteStorage> Drop for Coalesce<S> {
    fn drop(&mut self) {
        // Best effort: the writer flushes (and reports errors) before it drops its storage;
        // bytes still here belong to a writer that failed or was never flushed.
        let _ = self.p.get_mut().drain();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemWriteStorage;
    use std::sync::{Arc, Mutex};

    type Writes = Arc<Mutex<Vec<(u64, Vec<u8>)>>>;

    /// Records every write reaching it, over memory.
    #[derive(Clone, Default)]
    struct Recorder(Writes, MemWriteStorage);

    impl WriteStorage for Recorder {
        fn len(&self) -> io::Result<u64> {
            self.1.len()
        }
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
            self.1.read_at(offset, buf)
        }
        fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
            self.0.lock().unwrap().push((offset, data.to_vec()));
            self.1.write_at(offset, data)
        }
        fn set_len(&mut self, n: u64) -> io::Result<()> {
            self.1.set_len(n)
        }
        fn sync(&mut self) -> io::Result<()> {
            self.1.sync()
        }
    }

    fn apply(state: &mut Vec<u8>, at: u64, d: &[u8]) {
        let end = at as usize + d.len();
        if state.len() < end {
            state.resize(end, 0);
        }
        state[at as usize..end].copy_from_slice(d);
    }

    /// Random write sequences (contiguous runs, rewrites, gaps; sizes around the
    /// thresholds): what reaches the inner storage, replayed write by write, passes only
    /// through states the original sequence passes through, in the same order, and ends
    /// equal to it.
    #[test]
    fn every_state_the_inner_storage_sees_is_a_prefix_state() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..200 {
            let rec = Recorder::default();
            let mut c = Coalesce::with_sizes(rec.clone(), 8, 64, 160);
            let mut ops = Vec::new();
            let mut next = 0u64;
            for i in 0..40u8 {
                let len = [1, 8, 9, 30, 63, 64, 100][rnd(7) as usize];
                let at = match rnd(4) {
                    0 => rnd(next + 1),
                    1 => next + rnd(20),
                    _ => next,
                };
                let d = vec![i.wrapping_add(1); len];
                ops.push((at, d.clone()));
                c.write_at(at, &d).unwrap();
                next = next.max(at + len as u64);
                if rnd(10) == 0 {
                    let mut b = [0u8; 4];
                    let _ = c.read_at(rnd(next), &mut b);
                }
            }
            c.flush().unwrap();
            let mut states = vec![Vec::new()];
            let mut s = Vec::new();
            for (at, d) in &ops {
                apply(&mut s, *at, d);
                states.push(s.clone());
            }
            let mut seen = 0;
            let mut t = Vec::new();
            for (at, d) in rec.0.lock().unwrap().iter() {
                apply(&mut t, *at, d);
                let k = (seen..states.len()).find(|&k| states[k] == t);
                seen = k.expect("a state the unbuffered writes never pass through");
            }
            assert_eq!(t, s);
            assert_eq!(rec.1.bytes(), s);
        }
    }

    #[test]
    fn merges_runs_and_passes_small_and_large_writes_through() {
        let rec = Recorder::default();
        let mut c = Coalesce::with_sizes(rec.clone(), 8, 64, 160);
        for i in 0..5u64 {
            c.write_at(100 + i * 40, &[7; 40]).unwrap();
        }
        c.write_at(0, b"tiny").unwrap(); // small: the run first, then itself
        c.write_at(500, &[1; 64]).unwrap(); // large: straight through
        let mut b = [0u8; 4];
        c.write_at(600, &[2; 20]).unwrap();
        c.read_at(600, &mut b).unwrap(); // a read sees it (handed on first)
        assert_eq!(b, [2; 4]);
        let sizes: Vec<_> = rec
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|w| (w.0, w.1.len()))
            .collect();
        assert_eq!(sizes, [(100, 160), (260, 40), (0, 4), (500, 64), (600, 20)]);
    }
}
