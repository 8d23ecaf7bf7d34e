//! Reuse of the space a commit frees: superseded filtered chunks, chunk B-tree nodes and
//! array index blocks.
//!
//! A block released while a dataset is being changed is still referenced by that
//! dataset's committed state, so it waits ("dying", per dataset) until the dataset's
//! commit is written, then cools down for [`COOL`] (a reader that opened the file just
//! before the commit may still follow the old pointers) and only then is handed out again
//! by `alloc`, best fit. At close every cooled block is reusable and free space at the end
//! of the file is cut off.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::*;

/// How long freed space stays untouched after the commit that freed it.
pub(super) const COOL: Duration = Duration::from_millis(200);

#[derive(Debug, Default)]
pub(super) struct FreeSpace {
    /// Reusable blocks: address -> length.
    free: BTreeMap<u64, u64>,
    by_size: BTreeSet<(u64, u64)>,
    /// Released, still referenced by the committed state of their dataset.
    dying: HashMap<usize, Vec<(u64, u64)>>,
    /// Unreferenced once the running commit is written.
    staged: Vec<(u64, u64)>,
    /// Unreferenced since the instant given.
    cooling: VecDeque<(Instant, Vec<(u64, u64)>)>,
}

impl FreeSpace {
    fn insert(&mut self, addr: u64, len: u64) {
        if len == 0 {
            return;
        }
        let (mut a, mut l) = (addr, len);
        // Merge with the neighbours.
        if let Some((&pa, &pl)) = self.free.range(..a).next_back() {
            if pa + pl == a {
                self.free.remove(&pa);
                self.by_size.remove(&(pl, pa));
                a = pa;
                l += pl;
            }
        }
        if let Some(&nl) = self.free.get(&(a + l)) {
            self.free.remove(&(a + l));
            self.by_size.remove(&(nl, a + l));
            l += nl;
        }
        self.free.insert(a, l);
        self.by_size.insert((l, a));
    }

    /// A reusable block of `n` bytes (best fit), if any.
    pub(super) fn take(&mut self, n: u64) -> Option<u64> {
        let &(l, a) = self.by_size.range((n, 0)..).next()?;
        self.by_size.remove(&(l, a));
        self.free.remove(&a);
        if l > n {
            self.free.insert(a + n, l - n);
            self.by_size.insert((l - n, a + n));
        }
        Some(a)
    }

    /// A reusable block of `n` bytes ending at or below `limit` (best fit), if any.
    fn take_below(&mut self, n: u64, limit: u64) -> Option<u64> {
        let &(l, a) = self
            .by_size
            .range((n, 0)..)
            .find(|(_, a)| a.saturating_add(n) <= limit)?;
        self.by_size.remove(&(l, a));
        self.free.remove(&a);
        if l > n {
            self.free.insert(a + n, l - n);
            self.by_size.insert((l - n, a + n));
        }
        Some(a)
    }

    /// Every cooling block reusable now (no reader is promised anything at close).
    fn cool_all(&mut self) {
        while let Some((_, v)) = self.cooling.pop_front() {
            for (a, l) in v {
                self.insert(a, l);
            }
        }
    }

    /// `addr..addr + len` (an allocation of object `owner`) is no longer needed once
    /// `owner` commits.
    pub(super) fn release(&mut self, owner: usize, addr: u64, len: u64) {
        if addr != UNDEF && len > 0 {
            self.dying
                .entry(owner)
                .or_default()
                .push((addr, pad8(len as usize) as u64));
        }
    }

    /// `owner`'s commit is written (or queued in the batch being written).
    pub(super) fn stage(&mut self, owner: usize) {
        if let Some(v) = self.dying.remove(&owner) {
            self.staged.extend(v);
        }
    }

    /// The staged blocks are unreferenced from now on; cooled ones become reusable.
    pub(super) fn committed(&mut self, now: Instant) {
        if !self.staged.is_empty() {
            let v = std::mem::take(&mut self.staged);
            self.cooling.push_back((now, v));
        }
        while let Some((t, _)) = self.cooling.front() {
            if now.duration_since(*t) < COOL {
                break;
            }
            if let Some((_, v)) = self.cooling.pop_front() {
                for (a, l) in v {
                    self.insert(a, l);
                }
            }
        }
    }

    /// Everything cooled (no commit follows but the last one) and the free block at the
    /// end of the file, if any, removed: returns the new end of file.
    pub(super) fn settle(&mut self, eof: u64) -> u64 {
        self.cool_all();
        match self.free.range(..eof).next_back() {
            Some((&a, &l)) if a + l >= eof => {
                self.free.remove(&a);
                self.by_size.remove(&(l, a));
                a
            }
            _ => eof,
        }
    }

    /// Bytes reusable now (for tests and reports).
    pub(super) fn free_bytes(&self) -> u64 {
        self.free.values().sum()
    }
}

impl Writer {
    /// Called after a commit's in-place write: frees what it unreferenced.
    pub(super) fn after_commit(&mut self) {
        self.free.committed(Instant::now());
    }

    /// At close, after the last commit: chunks lying in the last `free bytes` of the file
    /// are copied down into free blocks that fit, then committed (one more flush), so that
    /// the free space gathers at the end of the file, which `trim_end` cuts off.
    pub(super) fn compact_chunks(&mut self) -> Result<()> {
        self.free.cool_all();
        let total = self.free.free_bytes();
        if total == 0 {
            return Ok(());
        }
        let from = self.eof.saturating_sub(total);
        let mut movable: Vec<(u64, u32, usize, Vec<u64>)> = Vec::new();
        for (&idx, _) in self.commit.slots.iter() {
            if let Kind::Dataset(d) = &self.objs[idx].kind {
                if let Store::Chunked(c) = &d.store {
                    for (o, r) in &c.index {
                        if r.addr >= from && r.addr != UNDEF {
                            movable.push((r.addr, r.size, idx, o.clone()));
                        }
                    }
                }
            }
        }
        movable.sort_by_key(|m| std::cmp::Reverse(m.0));
        let mut moved = false;
        for (addr, size, idx, origin) in movable {
            let n = pad8(size as usize) as u64;
            let Some(to) = self.free.take_below(n, addr) else {
                continue;
            };
            let bytes = self.read(addr, size as usize)?;
            self.put(to, &bytes)?;
            self.free.release(idx, addr, u64::from(size));
            if let Kind::Dataset(d) = &mut self.objs[idx].kind {
                let dims = d.dims.clone();
                if let Store::Chunked(c) = &mut d.store {
                    if let Some(r) = c.index.get_mut(&origin) {
                        r.addr = to;
                    }
                    c.pending_dims.get_or_insert(dims);
                }
            }
            moved = true;
        }
        if moved {
            self.flush()?;
        }
        Ok(())
    }

    /// At close, after the last commit: cut free space off the end of the file.
    pub(super) fn trim_end(&mut self) -> Result<()> {
        let end = self.free.settle(self.eof);
        if end < self.eof && end >= self.committed_eof.min(end) {
            self.eof = end;
            // The superblock first (nothing refers past `end`), then the file length.
            self.publish_eof_any()?;
            if let Err(e) = self.st.set_len(end) {
                self.failed = true;
                return Err(e.into());
            }
            self.written_end = end;
        }
        Ok(())
    }

    /// Publish the EOF even when it shrinks.
    fn publish_eof_any(&mut self) -> Result<()> {
        self.write_eof()?;
        self.committed_eof = self.eof;
        Ok(())
    }

    /// Bytes freed and reusable now.
    #[doc(hidden)]
    pub fn free_bytes(&self) -> u64 {
        self.free.free_bytes()
    }
}
