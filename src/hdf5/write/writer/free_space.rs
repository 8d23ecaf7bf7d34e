//! Reuse of the space a commit frees: superseded filtered chunks, chunk B-tree nodes and
//! array index blocks.
//!
//! A block released while a dataset is being changed is still referenced by that
//! dataset's committed state, so it waits ("dying", per dataset) until the dataset's
//! commit is written, then cools down for [`COOL`] (a reader that opened the file just
//! before the commit may still follow the old pointers) and only then is handed out again
//! by `alloc`, best fit. At close, once the last batch has cooled too, every freed block is
//! reusable and free space at the end of the file is cut off; close's own compaction
//! commits cool down the same way before the places they free are reused or cut off.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::*;

/// How long freed space stays untouched after the commit that freed it.
pub(super) const COOL: Duration = Duration::from_millis(200);

/// A freed block: (owner dataset, address, length).
type Freed = (usize, u64, u64);

#[derive(Debug, Default)]
pub(super) struct FreeSpace {
    /// Reusable blocks: address -> length.
    free: BTreeMap<u64, u64>,
    by_size: BTreeSet<(u64, u64)>,
    /// Released, still referenced by the committed state of their dataset.
    dying: HashMap<usize, Vec<(u64, u64)>>,
    /// Unreferenced once the running commit is written: (owner, address, length).
    staged: Vec<Freed>,
    /// Unreferenced since the instant given.
    cooling: VecDeque<(Instant, Vec<Freed>)>,
    /// Size of the unfiltered partial chunk of a dataset, by dataset.
    raw_len: HashMap<usize, u64>,
    /// Cooled blocks of that size, kept for the dataset's next partial chunks: handing
    /// them to compressed chunks (smaller) left a remainder per chunk, fragmentation that
    /// grew the file by 10-30 %.
    raw_free: HashMap<usize, Vec<u64>>,
    /// Closing: allocations take the lowest block that fits.
    low_first: bool,
    /// Packing at close: allocations go to the end of the file, the free blocks are
    /// planned for the chunks being moved.
    frozen: bool,
    /// Blocks below this address were allocated by whoever wrote the opened file: they
    /// are packed tightly (a 33-byte chunk may be followed by a live block 33 bytes on),
    /// so their length is not rounded up to 8 as this writer's allocations are.
    pub foreign_below: u64,
    /// Nothing freed is ever reused (a paged file: a reused block could put metadata and
    /// raw data in one page, or metadata across a page boundary, see `Writer::fs_page`).
    pub leak: bool,
}

impl FreeSpace {
    /// The extent of a block of `len` bytes at `addr`: this writer's allocations are
    /// padded to 8 bytes, the opened file's blocks are exact.
    pub(super) fn extent(&self, addr: u64, len: u64) -> u64 {
        if addr < self.foreign_below {
            len
        } else {
            pad8(len as usize) as u64
        }
    }
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

    /// Space no state of the file ever referenced (the gap an aligned allocation skips):
    /// reusable at once. Refused while closing, when the free blocks are the packing plan.
    pub(super) fn add_fresh(&mut self, addr: u64, len: u64) -> bool {
        if self.frozen || self.low_first || self.leak {
            return false;
        }
        self.insert(addr, len);
        true
    }

    /// A reusable block of `n` bytes (best fit; at close the lowest that fits), if any.
    pub(super) fn take(&mut self, n: u64) -> Option<u64> {
        if self.frozen {
            return None;
        }
        if self.low_first {
            return self.take_below(n, u64::MAX);
        }
        let &(l, a) = self.by_size.range((n, 0)..).next()?;
        Some(self.carve(a, l, n))
    }

    /// Take the first `n` bytes of the free block `a` of `l` bytes; the rest stays free.
    fn carve(&mut self, a: u64, l: u64, n: u64) -> u64 {
        self.by_size.remove(&(l, a));
        self.free.remove(&a);
        if l > n {
            self.free.insert(a + n, l - n);
            self.by_size.insert((l - n, a + n));
        }
        a
    }

    /// The lowest reusable block of `n` bytes ending at or below `limit`, if any: at close
    /// everything moves as low as it can, so that the free space gathers at the end.
    fn take_below(&mut self, n: u64, limit: u64) -> Option<u64> {
        let (&a, &l) = self
            .free
            .iter()
            .take_while(|(a, _)| a.saturating_add(n) <= limit)
            .find(|(_, l)| **l >= n)?;
        Some(self.carve(a, l, n))
    }

    /// Take exactly `addr..addr + n` if it is free (within one free block).
    fn take_exact(&mut self, addr: u64, n: u64) -> bool {
        let Some((&a, &l)) = self.free.range(..=addr).next_back() else {
            return false;
        };
        let (Some(end), Some(want)) = (a.checked_add(l), addr.checked_add(n)) else {
            return false;
        };
        if want > end {
            return false;
        }
        self.free.remove(&a);
        self.by_size.remove(&(l, a));
        for (x, y) in [(a, addr), (want, end)] {
            if y > x {
                self.free.insert(x, y - x);
                self.by_size.insert((y - x, x));
            }
        }
        true
    }

    /// Whether a free block of `n` bytes ends at or below `limit`.
    pub(super) fn fits_below(&self, n: u64, limit: u64) -> bool {
        self.free
            .iter()
            .take_while(|(a, _)| a.saturating_add(n) <= limit)
            .any(|(_, l)| *l >= n)
    }

    /// Every cooling block reusable, once cooled: waits out the rest of [`COOL`] for the
    /// youngest batch (a reader that opened the file just before the last commit, even one
    /// of close's own compaction commits, still follows the old places), then hands out the
    /// kept partial-chunk blocks too (nothing appends after close).
    /// `quiet`: nobody else has the file open ([`crate::storage::ReaderWatch`]), so nobody
    /// follows old places and there is nothing to wait for.
    fn cool_all(&mut self, quiet: bool) {
        if let Some((t, _)) = self.cooling.back() {
            let age = t.elapsed();
            if age < COOL && !quiet {
                std::thread::sleep(COOL - age);
            }
        }
        while let Some((_, v)) = self.cooling.pop_front() {
            for (_, a, l) in v {
                self.insert(a, l);
            }
        }
        let kept: Vec<(usize, Vec<u64>)> = self.raw_free.drain().collect();
        for (o, v) in kept {
            let l = self.raw_len.get(&o).copied().unwrap_or(0);
            for a in v {
                self.insert(a, l);
            }
        }
    }

    /// A cooled block: kept for its owner's partial chunks when it has their size.
    fn ripe(&mut self, owner: usize, addr: u64, len: u64) {
        match self.raw_len.get(&owner) {
            Some(&l) if l == len => self.raw_free.entry(owner).or_default().push(addr),
            _ => self.insert(addr, len),
        }
    }

    /// `owner` stores partial chunks of `len` bytes unfiltered.
    pub(super) fn note_raw(&mut self, owner: usize, len: u64) {
        self.raw_len.insert(owner, pad8(len as usize) as u64);
    }

    /// A cooled block of `owner`'s partial-chunk size, if one is kept.
    pub(super) fn take_raw(&mut self, owner: usize, len: u64) -> Option<u64> {
        if self.raw_len.get(&owner) != Some(&(pad8(len as usize) as u64)) {
            return None;
        }
        self.raw_free.get_mut(&owner)?.pop()
    }

    /// `addr..addr + len` (an allocation of object `owner`) is no longer needed once
    /// `owner` commits.
    pub(super) fn release(&mut self, owner: usize, addr: u64, len: u64) {
        if addr != UNDEF && len > 0 && !self.leak {
            let l = self.extent(addr, len);
            self.dying.entry(owner).or_default().push((addr, l));
        }
    }

    /// `owner`'s commit is written (or queued in the batch being written).
    pub(super) fn stage(&mut self, owner: usize) {
        if let Some(v) = self.dying.remove(&owner) {
            self.staged
                .extend(v.into_iter().map(|(a, l)| (owner, a, l)));
        }
    }

    /// The staged blocks are unreferenced from now on; cooled ones become reusable (all of
    /// them when `quiet`: nobody else has the file open, so no reader follows old places).
    pub(super) fn committed(&mut self, now: Instant, quiet: bool) {
        if !self.staged.is_empty() {
            let v = std::mem::take(&mut self.staged);
            self.cooling.push_back((now, v));
        }
        while let Some((t, _)) = self.cooling.front() {
            if now.duration_since(*t) < COOL && !quiet {
                break;
            }
            if let Some((_, v)) = self.cooling.pop_front() {
                for (o, a, l) in v {
                    self.ripe(o, a, l);
                }
            }
        }
    }

    /// Everything cooled (no commit follows but the last one) and the free block at the
    /// end of the file, if any, removed: returns the new end of file.
    pub(super) fn settle(&mut self, eof: u64, quiet: bool) -> u64 {
        self.cool_all(quiet);
        self.settle_ripe(eof)
    }

    /// Bytes reusable now (for tests and reports).
    pub(super) fn free_bytes(&self) -> u64 {
        self.free.values().sum()
    }

    /// Every freed byte: reusable now, cooling, or kept for partial chunks.
    fn freed_bytes(&self) -> u64 {
        let cooling: u64 = self.cooling.iter().flat_map(|(_, v)| v).map(|b| b.2).sum();
        let kept: u64 = self
            .raw_free
            .iter()
            .map(|(o, v)| self.raw_len.get(o).copied().unwrap_or(0) * v.len() as u64)
            .sum();
        self.free_bytes() + cooling + kept
    }

    /// The reusable block at the end of the file, if any, removed: returns the new end of
    /// file. Cooling blocks stay where they are (no wait).
    fn settle_ripe(&mut self, eof: u64) -> u64 {
        match self.free.range(..eof).next_back() {
            Some((&a, &l)) if a + l >= eof => {
                self.free.remove(&a);
                self.by_size.remove(&(l, a));
                a
            }
            _ => eof,
        }
    }
}

impl Writer {
    /// Called after a commit's in-place write: frees what it unreferenced.
    pub(super) fn after_commit(&mut self) {
        let quiet = self.quiet();
        self.free.committed(Instant::now(), quiet);
    }

    /// Whether nobody else has the file open now (a file this writer created, on a local
    /// filesystem; `false` when unknown).
    fn quiet(&mut self) -> bool {
        if self.readers.is_none() {
            return false;
        }
        // The commit's bytes reach the OS before the opens are counted: a reader not counted
        // then must read the committed state (merged writes would still hold it back).
        if self.st.flush().is_err() {
            // The merged bytes are dropped with the error (it is reported once, here), so
            // the writer stops as after any storage error: the next call refuses.
            self.failed = true;
            return false;
        }
        self.readers.as_mut().is_some_and(ReaderWatch::quiet)
    }

    /// Every freed block reusable, once cooled (no wait when [`Writer::quiet`]).
    fn cool_free(&mut self) {
        let quiet = self.quiet();
        self.free.cool_all(quiet);
    }

    /// At close, after the last commit: rounds of [`Writer::compact_chunks`] and
    /// [`Writer::trim_end`] until nothing moves; new blocks (the index nodes the moves
    /// rebuild) take the lowest free block that fits.
    pub(super) fn compact_at_close(&mut self) -> Result<()> {
        // Compaction waits out the cool-down of each of its commits (a reader may have
        // opened the file just before it), so a close with little to win (freed space within
        // 1 % of the file) only cuts a cooled free block at the end, without waiting.
        if self.free.freed_bytes() <= self.eof / 100 {
            let end = self.free.settle_ripe(self.eof);
            return self.cut_to(end);
        }
        self.free.low_first = true;
        self.compact_rounds()?;
        // Holes the rounds could not fill (no chunk fits them whole) are worth a full
        // packing when they are more than 1 % of the file.
        self.cool_free();
        if self.free.free_bytes() > self.eof / 100 && self.pack_chunks()? {
            self.compact_rounds()?;
        }
        Ok(())
    }

    fn compact_rounds(&mut self) -> Result<()> {
        for _ in 0..8 {
            let before = self.eof;
            let moved = self.compact_chunks()?;
            self.trim_end()?;
            if !moved && self.eof >= before {
                break;
            }
        }
        Ok(())
    }

    /// Pack every chunk of our datasets down, in address order, first fit into the space
    /// that is free or held by chunks (index nodes, headers and slots stay where they
    /// are): each chunk lands at or below its place. Two commits, crash-safe like any
    /// other: a chunk whose planned place is free now is copied there, the others to new
    /// space at the end of the file; commit (their old places are unreferenced from now
    /// on); then those go from the end to their planned places (free now); commit. A kill
    /// leaves one of the three layouts, each committed whole. Returns whether a chunk
    /// moved.
    fn pack_chunks(&mut self) -> Result<bool> {
        self.cool_free();
        let mut blocks: Vec<(u64, u64, usize, Vec<u64>)> = Vec::new();
        for &idx in self.commit.slots.keys() {
            if let Kind::Dataset(d) = &self.objs[idx].kind {
                if let Store::Chunked(c) = &d.store {
                    for (o, r) in &c.index {
                        if r.addr != UNDEF && r.size > 0 {
                            let l = self.free.extent(r.addr, u64::from(r.size));
                            blocks.push((r.addr, l, idx, o.clone()));
                        }
                    }
                }
            }
        }
        blocks.sort_by_key(|b| b.0);
        // The space a chunk may go to: free blocks and chunks, merged.
        let mut space: Vec<(u64, u64)> = self
            .free
            .free
            .iter()
            .map(|(a, l)| (*a, *a + *l))
            .chain(blocks.iter().map(|b| (b.0, b.0 + b.1)))
            .collect();
        space.sort_unstable();
        let mut holes: Vec<(u64, u64)> = Vec::new();
        for (a, e) in space {
            match holes.last_mut() {
                Some(h) if h.1 >= a => h.1 = h.1.max(e),
                _ => holes.push((a, e)),
            }
        }
        // First fit, chunks in address order: a chunk never lands above its place (the
        // chunks before it in its hole filled at most the space they held).
        let mut plan: Vec<(u64, u64, u64, usize, Vec<u64>)> = Vec::new();
        let mut first = 0;
        for (addr, n, idx, origin) in blocks {
            let mut to = None;
            for h in holes.iter_mut().skip(first) {
                if h.0 > addr {
                    break;
                }
                if h.1 - h.0 >= n {
                    to = Some(h.0);
                    h.0 += n;
                    break;
                }
            }
            while holes.get(first).is_some_and(|h| h.1 - h.0 < 8) {
                first += 1;
            }
            match to {
                Some(t) if t < addr => plan.push((addr, n, t, idx, origin)),
                _ => {}
            }
        }
        if plan.is_empty() {
            return Ok(false);
        }
        self.free.frozen = true;
        let r = self.pack_moves(plan);
        self.free.frozen = false;
        r.map(|()| true)
    }

    fn pack_moves(&mut self, plan: Vec<(u64, u64, u64, usize, Vec<u64>)>) -> Result<()> {
        let mut later = Vec::new();
        for (addr, n, to, idx, origin) in plan {
            let to_now = if self.free.take_exact(to, n) {
                to
            } else {
                later.push((to, n, idx, origin.clone()));
                self.alloc(to_usize(n)?)
            };
            self.move_chunk(idx, &origin, addr, to_now)?;
        }
        self.flush()?;
        if later.is_empty() {
            return Ok(());
        }
        self.cool_free();
        for (to, n, idx, origin) in later {
            if !self.free.take_exact(to, n) {
                continue;
            }
            let from = match &self.objs[idx].kind {
                Kind::Dataset(d) => match &d.store {
                    Store::Chunked(c) => c.index.get(&origin).map(|r| r.addr),
                    _ => None,
                },
                _ => None,
            };
            if let Some(from) = from {
                self.move_chunk(idx, &origin, from, to)?;
            }
        }
        self.flush()
    }

    /// Copy a chunk of `idx` from `from` to `to` (free space) and repoint its index
    /// record; the old place is freed by the commit that follows.
    fn move_chunk(&mut self, idx: usize, origin: &[u64], from: u64, to: u64) -> Result<()> {
        let Kind::Dataset(d) = &self.objs[idx].kind else {
            return Ok(());
        };
        let Store::Chunked(c) = &d.store else {
            return Ok(());
        };
        let Some(r) = c.index.get(origin).copied() else {
            return Ok(());
        };
        let bytes = self.read(from, r.size as usize)?;
        self.put(to, &bytes)?;
        self.free.release(idx, from, u64::from(r.size));
        if let Kind::Dataset(d) = &mut self.objs[idx].kind {
            let dims = d.dims.clone();
            if let Store::Chunked(c) = &mut d.store {
                if let Some(r) = c.index.get_mut(origin) {
                    r.addr = to;
                }
                c.pending_dims.get_or_insert(dims);
            }
        }
        Ok(())
    }

    /// Chunks are copied down into the lowest free block below them that fits (highest
    /// chunks first), then committed (one more flush): the free space gathers at the end
    /// of the file, which `trim_end` cuts off. Each copy goes to space no committed state
    /// references, and the old place is freed only by the commit, so a kill leaves either
    /// layout. Returns whether a chunk moved.
    pub(super) fn compact_chunks(&mut self) -> Result<bool> {
        self.cool_free();
        if self.free.free_bytes() == 0 {
            return Ok(false);
        }
        let mut movable: Vec<(u64, u32, usize, Vec<u64>)> = Vec::new();
        for (&idx, _) in self.commit.slots.iter() {
            if let Kind::Dataset(d) = &self.objs[idx].kind {
                if let Store::Chunked(c) = &d.store {
                    for (o, r) in &c.index {
                        if r.addr != UNDEF {
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
        // Index nodes and array blocks (unchanged ones are kept where they are by the
        // rebuild) are written anew, low, when a free block below them fits.
        let ids: Vec<usize> = self.commit.slots.keys().copied().collect();
        for idx in ids {
            let Kind::Dataset(d) = &mut self.objs[idx].kind else {
                continue;
            };
            let dims = d.dims.clone();
            let Store::Chunked(c) = &mut d.store else {
                continue;
            };
            let high: Vec<(Vec<u8>, u64)> = c
                .cache
                .iter()
                .filter(|(b, a)| self.free.fits_below(pad8(b.len()) as u64, **a))
                .map(|(b, a)| (b.clone(), *a))
                .collect();
            if high.is_empty() {
                continue;
            }
            for (b, _) in &high {
                c.cache.remove(b);
            }
            c.pending_dims.get_or_insert(dims);
            for (b, a) in high {
                self.free.release(idx, a, b.len() as u64);
            }
            moved = true;
        }
        if moved {
            self.flush()?;
        }
        // Header continuation blocks (attributes written late, e.g. at the end of a
        // recording) are written anew, low, and their header repointed (one in-place
        // header write, as for any attribute change).
        for idx in 0..self.objs.len() {
            let o = &self.objs[idx];
            let Some((a, content)) = &o.cont else {
                continue;
            };
            if o.ext.is_some() {
                continue;
            }
            let len = self.header_version(idx).continuation_len(content.len());
            if !self.free.fits_below(pad8(len as usize) as u64, *a) {
                continue;
            }
            let a = *a;
            self.objs[idx].cont = None;
            self.free.release(!idx, a, len);
            self.commit_header(idx)?;
            moved = true;
        }
        Ok(moved)
    }

    /// At close, after the last commit: cut free space off the end of the file.
    pub(super) fn trim_end(&mut self) -> Result<()> {
        let quiet = self.quiet();
        let end = self.free.settle(self.eof, quiet);
        self.cut_to(end)
    }

    /// Make `end` (below which everything referenced lies) the end of the file.
    fn cut_to(&mut self, end: u64) -> Result<()> {
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
