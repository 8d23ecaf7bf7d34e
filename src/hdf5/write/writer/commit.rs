//! Commit pages: one flush switches every chunked dataset to its new extent with one write.
//!
//! What a commit changes in each chunked dataset we create lives in a small place of its
//! own (its "slot"), not in header chunk 0: the dataspace and layout messages in a
//! continuation block (v1 B-tree index, whose root moves); in the 1.10 profile the
//! dataspace alone followed by the array header (`EAHD`/`FAHD`) the layout message in
//! chunk 0 names, or the `FAHD` alone when the dims cannot change. Slots are allocated in
//! commit areas of one 4 KiB page, so datasets created together (the channels and axes of
//! one acquisition) share one page. A commit writes chunks, index
//! nodes and array blocks to unreferenced space first, then the superblock EOF, then the
//! changed slots of a page in one positional write of at most 4096 bytes within that page.
//! The kernel copies such a write into the page cache whole before a fatal signal is
//! acted on, so a killed process leaves every dataset of the page at its old extent or
//! every one at its new one. `Writer::flush` gathers the slot writes of all datasets
//! before writing them.

use super::*;
use crate::hdf5::chunk_index::extensible_array::EaStats;

/// The unit a kill cannot split (one page of the page cache).
pub(super) const PAGE: u64 = 4096;
/// The unit a power loss cannot split (a disk sector): no slot crosses one, and the
/// datasets created between two commits (one acquisition) start on a fresh one, so an
/// acquisition whose slots fit in a sector is committed by one sector write.
pub(super) const SECTOR: u64 = 512;

/// The most bytes a slot of a dataset of rank 1 to 4 takes in either profile (an extensible
/// array's of rank 4: a 72-byte `EAHD` after the `OCHK` of a dataspace of 4 dims and maximum
/// dims, 88 bytes), so three fit in a sector: what [`Writer::begin_acquisition`] counts.
pub(super) const SLOT_BOUND: u64 = 170;

/// Where a dataset's commit-time messages (and array header) live.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot {
    /// Continuation block address (the array header's when there is no block).
    pub addr: u64,
    /// Continuation block length (v1: messages; v2: `OCHK` with signature and checksum);
    /// 0 when the slot is the array header alone.
    pub len: usize,
    /// Array header address inside the slot (1.10 array indexes), else `UNDEF`.
    pub hdr: u64,
    /// The messages in the block.
    pub holds: Holds,
}

/// The messages a slot's continuation block holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Holds {
    /// Dataspace and layout: a v1 B-tree index, whose root moves at every commit (and
    /// slots of array indexes made before the layout stayed in chunk 0).
    Both,
    /// The dataspace only: an array index, whose layout message names the header in the
    /// slot, which never moves; the layout stays in chunk 0.
    Space,
    /// No block: a fixed array whose dims equal its maximum dims (they never change);
    /// the slot is its `FAHD` alone.
    Header,
}

/// Commit bookkeeping of a [`Writer`].
#[derive(Debug, Default)]
pub(super) struct CommitState {
    /// Slots by object index.
    pub slots: HashMap<usize, Slot>,
    /// The current commit area: next free byte, end (same page).
    area: Option<(u64, u64)>,
    /// Within `flush`: slot writes are gathered here, then written page by page.
    deferring: bool,
    pending: BTreeMap<u64, Vec<u8>>,
    /// Addresses handed out by `cached_write` while recording (live index nodes).
    pub touched: Option<Vec<u64>>,
    /// Set while appended rows are stored: they lie past the committed extent, so their
    /// chunk may be rewritten in place (its committed rows are rewritten unchanged).
    pub appending: bool,
    /// Something was written since the writer was created or opened (a writer that
    /// only looked, e.g. to validate, leaves the file byte-identical).
    pub wrote: bool,
    /// Closing: partial chunks are filtered like full ones.
    pub finalizing: bool,
    /// A slot was allocated since the last commit (the acquisition being created).
    creating: bool,
    /// Tests: slots of array indexes laid out as before the layout stayed in chunk 0
    /// (dataspace and layout in the block), as files already written have them.
    #[cfg(test)]
    pub legacy_layout: bool,
}

impl Writer {
    /// Whether a stored unfiltered chunk of `idx` may be rewritten in place. A slotted
    /// dataset's other chunk changes (point writes, slices) go to new space, so they
    /// appear with its slot, never before.
    pub(super) fn in_place_ok(&self, idx: usize) -> bool {
        self.commit.appending || !self.commit.slots.contains_key(&idx)
    }

    /// Whether object `idx` gets a slot: chunked datasets we create.
    pub(super) fn wants_slot(&self, idx: usize) -> bool {
        let o = &self.objs[idx];
        o.ext.is_none()
            && matches!(&o.kind, Kind::Dataset(d) if matches!(d.store, Store::Chunked(_)))
    }

    pub(super) fn array_header_len(&self, idx: usize) -> usize {
        match &self.objs[idx].kind {
            Kind::Dataset(d) => match &d.store {
                Store::Chunked(c) => match c.kind {
                    ChunkIdx::Extensible(_) => {
                        extensible_array::header_len(self.sizes.offsets, self.sizes.lengths)
                            as usize
                    }
                    ChunkIdx::Fixed => {
                        fixed_array::header_len(self.sizes.offsets, self.sizes.lengths) as usize
                    }
                    _ => 0,
                },
                _ => 0,
            },
            _ => 0,
        }
    }

    /// What the slot of a dataset we create holds: everything a commit changes and no
    /// more. A v1 B-tree's root moves at every commit (dataspace and layout); an array
    /// header has its fixed place in the slot, named by a layout message that never
    /// changes (dataspace only, or nothing when the dims cannot change either).
    pub(super) fn slot_holds(&self, idx: usize) -> Holds {
        #[cfg(test)]
        if self.commit.legacy_layout {
            return Holds::Both;
        }
        match &self.objs[idx].kind {
            Kind::Dataset(d) => match &d.store {
                Store::Chunked(c) => match c.kind {
                    ChunkIdx::Fixed if d.dims == d.max => Holds::Header,
                    ChunkIdx::Fixed | ChunkIdx::Extensible(_) => Holds::Space,
                    _ => Holds::Both,
                },
                _ => Holds::Both,
            },
            _ => Holds::Both,
        }
    }

    /// The slot's continuation block: the messages it holds (empty for `Holds::Header`).
    pub(super) fn slot_block(&self, idx: usize, holds: Holds) -> Result<Vec<u8>> {
        if holds == Holds::Header {
            return Ok(Vec::new());
        }
        let ess = self.essentials(idx)?;
        // v2 messages in an `OCHK` for a v2 header (1.10, or dense attributes).
        let hv = self.header_version(idx);
        let mut out = Vec::new();
        for (t, b) in ess
            .iter()
            .filter(|(t, _)| *t == kind::DATASPACE || (*t == kind::LAYOUT && holds == Holds::Both))
        {
            hv.push(&mut out, *t, b)?;
        }
        Ok(hv.continuation_block(&out).into_owned())
    }

    /// An array header naming no block (no chunk yet), as libhdf5 creates one.
    pub(super) fn empty_array_header(&self, idx: usize) -> Result<Vec<u8>> {
        let d = self.ds(DatasetId(idx))?;
        let Store::Chunked(c) = &d.store else {
            return Err(usage("internal: array header of an unchunked dataset"));
        };
        let fmt = self.elem_fmt(d, c)?;
        Ok(match c.kind {
            ChunkIdx::Extensible(_) => encode_eahd(fmt, &EaStats::default(), UNDEF),
            ChunkIdx::Fixed => {
                let n = d
                    .max
                    .iter()
                    .zip(&c.chunk)
                    .try_fold(1u64, |a, (m, c)| a.checked_mul(m.div_ceil(*c)))
                    .ok_or_else(|| usage("chunk index overflows"))?;
                encode_fahd(fmt, n, UNDEF)
            }
            _ => return Err(usage("internal: not an array index")),
        })
    }

    /// Reserve `n` bytes that do not cross a page boundary, next to the other slots.
    pub(super) fn alloc_in_area(&mut self, n: u64) -> Result<u64> {
        if n > PAGE {
            return Err(usage("dataset header slot larger than a page"));
        }
        if let Some((next, end)) = self.commit.area {
            let mut at = next;
            // A new acquisition starts on a fresh sector; no slot crosses a sector.
            if (!self.commit.creating || at / SECTOR != (at + n - 1) / SECTOR) && n <= SECTOR {
                at = at.div_ceil(SECTOR) * SECTOR;
            }
            if at + n <= end {
                self.commit.area = Some((at + n, end));
                self.commit.creating = true;
                return Ok(at);
            }
        }
        self.commit.creating = true;
        // A whole page: the datasets created next share it up to its capacity (less than
        // 4 KiB of padding per area, once per 48 to 144 datasets).
        let start = self.eof.div_ceil(PAGE) * PAGE;
        let end = start + PAGE;
        // The whole area is ours: nothing else is allocated in it (a paged file: nor in the
        // rest of its page, the end of file staying a page multiple).
        self.eof = if self.fs_page > 0 {
            end.checked_next_multiple_of(self.fs_page)
                .ok_or_else(|| usage("end of file address overflow"))?
        } else {
            end
        };
        self.commit.area = Some((start + n, end));
        Ok(start)
    }

    /// Announce an acquisition: the next `datasets` chunked datasets created (its channels,
    /// error bars, backgrounds and navigation axes) belong together. Their slots go to one
    /// commit page when they fit in one: a fresh page when the current one has too little
    /// room left (which would otherwise split them over two pages, each committed by its own
    /// write, so a kill between the two could tear the acquisition). The room is counted
    /// with [`SLOT_BOUND`]: an over-count costs at most the rest of a page. Without it,
    /// datasets created between two commits share the current page while it has room.
    pub fn begin_acquisition(&mut self, datasets: usize) {
        // The first slot of an acquisition starts on a fresh sector (power loss).
        self.commit.creating = false;
        if let Some((next, end)) = self.commit.area {
            let sectors = end.saturating_sub(next.div_ceil(SECTOR) * SECTOR) / SECTOR;
            let room = sectors.saturating_mul(SECTOR / SLOT_BOUND);
            if u64::try_from(datasets).unwrap_or(u64::MAX) > room {
                self.commit.area = None;
            }
        }
    }

    /// How many rank-1 datasets with appended rows (0D channels, time axes) one commit page
    /// holds in this writer's profile: a flush commits an acquisition of at most this many
    /// with one write; a larger one page by page (`datasets_per_commit_page` measures it).
    pub fn acquisition_capacity(&self) -> usize {
        match self.profile {
            Profile::PyTables => 64,
            Profile::Hdf5V110 => 32,
        }
    }

    /// Give a new chunked dataset its slot and write the slot's first content (before its
    /// header chunk 0, which points at it, is written).
    pub(super) fn alloc_slot(&mut self, idx: usize) -> Result<()> {
        let holds = self.slot_holds(idx);
        let block = self.slot_block(idx, holds)?;
        let hlen = self.array_header_len(idx);
        let blen = pad8(block.len());
        let addr = self.alloc_in_area((blen + hlen) as u64)?;
        let hdr = if hlen > 0 { addr + blen as u64 } else { UNDEF };
        self.commit.slots.insert(
            idx,
            Slot {
                addr,
                len: block.len(),
                hdr,
                holds,
            },
        );
        if !block.is_empty() {
            self.put(addr, &block)?;
        }
        if holds != Holds::Both && hdr != UNDEF {
            // The layout message in chunk 0 names the header from the start: an empty
            // one until the first chunk is committed.
            let h = self.empty_array_header(idx)?;
            self.put(hdr, &h)?;
            if let Store::Chunked(c) = &mut self.ds_mut(DatasetId(idx))?.store {
                c.root = hdr;
            }
        }
        Ok(())
    }

    /// Move the dataspace and layout messages of a slotted object out of `ess`, putting
    /// the continuation message to its slot first. Returns the messages in the slot.
    pub(super) fn slot_split(&self, idx: usize, ess: &mut Vec<(u16, Vec<u8>)>) -> usize {
        let Some(s) = self.commit.slots.get(&idx) else {
            return 0;
        };
        if s.holds == Holds::Header {
            return 0;
        }
        let before = ess.len();
        ess.retain(|(t, _)| {
            *t != kind::DATASPACE && (*t != kind::LAYOUT || s.holds != Holds::Both)
        });
        let moved = before - ess.len();
        ess.insert(
            0,
            (
                kind::CONTINUATION,
                encode_continuation(self.sizes, s.addr, s.len as u64),
            ),
        );
        moved
    }

    /// The array header address of a slotted 1.10 dataset.
    pub(super) fn slot_array_header(&self, idx: usize) -> Option<u64> {
        self.commit
            .slots
            .get(&idx)
            .map(|s| s.hdr)
            .filter(|h| *h != UNDEF)
    }

    /// Commit a slotted dataset whose index is written: its slot (and array header) go
    /// to the file now, or at the end of the running `flush` together with the others.
    pub(super) fn commit_slot(&mut self, idx: usize, array_header: Option<Vec<u8>>) -> Result<()> {
        let s = *self
            .commit
            .slots
            .get(&idx)
            .ok_or_else(|| usage("internal: dataset without a slot"))?;
        if s.holds == Holds::Header {
            // Nothing outside the slot may change: the dims are fixed.
            let d = self.ds(DatasetId(idx))?;
            if d.dims != d.max {
                return Err(usage("internal: fixed dims changed"));
            }
        } else {
            let block = if self.objs[idx].ext.is_some() {
                self.ext_slot_block(idx, s)?
            } else {
                self.slot_block(idx, s.holds)?
            };
            if block.len() != s.len {
                return Err(usage("internal: dataset slot changed size"));
            }
            self.commit.pending.insert(s.addr, block);
        }
        if let Some(h) = array_header {
            if s.hdr == UNDEF {
                return Err(usage("internal: array header without a place"));
            }
            self.commit.pending.insert(s.hdr, h);
        }
        self.free.stage(idx);
        if self.commit.deferring {
            return Ok(());
        }
        self.write_pending()
    }

    /// The EOF, then the gathered slot writes: one positional write per page touched.
    fn write_pending(&mut self) -> Result<()> {
        self.publish_eof()?;
        let pending = std::mem::take(&mut self.commit.pending);
        let mut pages: BTreeMap<u64, Vec<(u64, Vec<u8>)>> = BTreeMap::new();
        for (a, b) in pending {
            pages.entry(a / PAGE).or_default().push((a, b));
        }
        for (_, writes) in pages {
            let lo = writes.iter().map(|(a, _)| *a).min().unwrap_or(0);
            let hi = writes
                .iter()
                .map(|(a, b)| a + b.len() as u64)
                .max()
                .unwrap_or(lo);
            // Bytes between the changed slots are the current ones (other slots).
            let mut buf = self.read(lo, to_usize(hi - lo)?)?;
            for (a, b) in &writes {
                let at = to_usize(a - lo)?;
                buf.get_mut(at..at + b.len())
                    .ok_or_else(|| usage("internal: slot outside its page"))?
                    .copy_from_slice(b);
            }
            self.put(lo, &buf)?;
        }
        self.commit.creating = false;
        self.after_commit();
        Ok(())
    }

    /// Gather slot writes until [`Writer::end_batch`].
    pub(super) fn begin_batch(&mut self) {
        self.commit.deferring = true;
    }

    /// Write the slot writes gathered since [`Writer::begin_batch`].
    pub(super) fn end_batch(&mut self, ok: bool) -> Result<()> {
        self.commit.deferring = false;
        if !ok {
            self.commit.pending.clear();
            return Ok(());
        }
        if self.commit.pending.is_empty() {
            if !self.commit.wrote {
                return Ok(());
            }
            return self.publish_eof();
        }
        self.write_pending()
    }
}

impl Writer {
    /// Cut a dataset with an unlimited first dimension back to its first `rows` rows
    /// (committed now): chunks wholly past the new end are dropped from the index and
    /// their space freed; rows past the end in the last chunk stay on disk, hidden.
    pub fn truncate_rows(&mut self, ds: &DatasetId, rows: u64) -> Result<()> {
        self.check()?;
        self.flush_tail(*ds)?;
        let idx = ds.0;
        let d = self.ds(*ds)?;
        if d.max.first() != Some(&UNDEF) {
            return Err(usage("truncate needs an unlimited first dimension"));
        }
        let Store::Chunked(c) = &d.store else {
            return Err(usage("truncate needs a chunked dataset"));
        };
        let mut dims = d.cur_dims();
        let Some(cur) = dims.first().copied() else {
            return Err(usage("truncate needs rank >= 1"));
        };
        if rows >= cur {
            return Ok(());
        }
        let c0 = c.chunk[0];
        let keep = rows.div_ceil(c0).saturating_mul(c0);
        let dead: Vec<(Vec<u64>, ChunkRec)> = c
            .index
            .iter()
            .filter(|(o, _)| o.first().is_some_and(|x| *x >= keep))
            .map(|(o, r)| (o.clone(), *r))
            .collect();
        for (o, r) in &dead {
            self.free.release(idx, r.addr, u64::from(r.size));
            if let Store::Chunked(c) = &mut self.ds_mut(*ds)?.store {
                c.index.remove(o);
            }
        }
        if let Store::Chunked(c) = &mut self.ds_mut(*ds)?.store {
            // The tail is reloaded from the file at the next append.
            c.tail = None;
            c.logical = rows;
            c.tail_start = rows / c0 * c0;
            c.pending_dims = None;
        }
        if let Some(x) = dims.first_mut() {
            *x = rows;
        }
        self.commit_chunked(*ds, dims)
    }
}

impl Writer {
    /// Whether the partial last chunk of `idx` is stored unfiltered between flushes.
    pub(super) fn raw_partials(&self, idx: usize) -> bool {
        !self.commit.finalizing && self.commit.slots.contains_key(&idx)
    }

    /// Store the partial last chunk of a filtered dataset unfiltered (every filter marked
    /// skipped in the chunk's filter mask, which HDF5 honours on reading), at a place of its
    /// own rewritten in place at each flush: its committed rows are rewritten unchanged, the
    /// new ones lie past the committed extent. Flushing often then neither leaves a
    /// superseded compressed version per flush nor changes the index; the chunk is
    /// compressed once, when it is full (or at close).
    pub(super) fn store_raw_partial(&mut self, ds: DatasetId, c: ChunkWrite<'_>) -> Result<()> {
        let ChunkWrite {
            origin,
            bytes: buf,
            existing,
        } = c;
        let nf = match &self.ds(ds)?.pipeline {
            Some(p) => p.filters.len().min(32),
            None => 0,
        };
        let all = if nf >= 32 { u32::MAX } else { (1u32 << nf) - 1 };
        let size = u32::try_from(buf.len()).map_err(|_| usage("chunk too big"))?;
        let rec = match existing {
            Some(r) if r.mask == all && r.size == size => {
                // Only the rows past the committed extent change: the committed ones are on
                // disk already (a flush per line then writes a line, not the whole chunk).
                let d = self.ds(ds)?;
                let committed = d.dims.first().copied().unwrap_or(0);
                let row = match &d.store {
                    Store::Chunked(c) => product(c.chunk.get(1..).unwrap_or(&[]))?,
                    _ => 0,
                };
                let skip = committed
                    .checked_sub(origin.first().copied().unwrap_or(0))
                    .and_then(|n| n.checked_mul(row))
                    .and_then(|n| n.checked_mul(d.elem as u64))
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|n| *n < buf.len())
                    .unwrap_or(0);
                self.put(r.addr + skip as u64, &buf[skip..])?;
                r
            }
            _ => {
                // A block this dataset's earlier partial chunks used, else any free block.
                self.free.note_raw(ds.0, buf.len() as u64);
                let addr = match self.free.take_raw(ds.0, buf.len() as u64) {
                    Some(a) => {
                        self.put(a, buf)?;
                        a
                    }
                    None => self.alloc_write(buf)?,
                };
                if let Some(old) = existing {
                    self.free.release(ds.0, old.addr, u64::from(old.size));
                }
                ChunkRec {
                    addr,
                    size,
                    mask: all,
                }
            }
        };
        if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
            c.index.insert(origin.to_vec(), rec);
        }
        Ok(())
    }
}

impl Writer {
    /// At close: the partial chunks stored unfiltered are filtered and stored anew like
    /// the full ones (committed by the flush that follows).
    pub(super) fn compress_raw_partials(&mut self) -> Result<()> {
        // Buffered rows are committed here too: all datasets in one batch, like a flush
        // (committing them one by one let a kill during close tear the last acquisition).
        self.begin_batch();
        let r = self.compress_raw_partials_inner();
        self.end_batch(r.is_ok())?;
        r
    }

    fn compress_raw_partials_inner(&mut self) -> Result<()> {
        let ids: Vec<usize> = self.commit.slots.keys().copied().collect();
        for idx in ids {
            let ds = DatasetId(idx);
            self.flush_tail(ds)?;
            let d = self.ds(ds)?;
            let Some(p) = &d.pipeline else {
                continue;
            };
            let nf = p.filters.len().min(32);
            let all = if nf >= 32 { u32::MAX } else { (1u32 << nf) - 1 };
            let Store::Chunked(c) = &d.store else {
                continue;
            };
            let cbytes = to_usize(product(&c.chunk)?)? * d.elem;
            let raw: Vec<(Vec<u64>, ChunkRec)> = c
                .index
                .iter()
                .filter(|(_, r)| r.mask == all && all != 0)
                .map(|(o, r)| (o.clone(), *r))
                .collect();
            let dims = d.dims.clone();
            for (o, r) in raw {
                let buf = self.read_chunk(self.ds(ds)?, &r, cbytes)?;
                let c = ChunkWrite {
                    origin: &o,
                    bytes: &buf,
                    existing: Some(r),
                };
                self.store_chunk(ds, c)?;
                if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
                    c.pending_dims.get_or_insert(dims.clone());
                }
            }
        }
        Ok(())
    }
}

impl Writer {
    /// A chunked dataset of an opened file whose dataspace and layout messages are alone in
    /// a continuation block within one page (with its array header right after it in the
    /// 1.10 profile), as this writer makes them, commits through that block like the
    /// datasets it creates: a continued recording (`record --append`) is committed by one
    /// write per page too. Adopted only when re-encoding the block reproduces its bytes.
    pub(super) fn adopt_slot(&mut self, idx: usize) {
        if let Some(s) = self.found_slot(idx) {
            let same = if s.holds == Holds::Header {
                self.found_fahd_is_ours(idx, s.hdr)
            } else {
                self.ext_slot_block(idx, s).ok().as_deref()
                    == self.read(s.addr, s.len).ok().as_deref()
            };
            if same {
                self.commit.slots.insert(idx, s);
            }
        }
    }

    /// Whether the `FAHD` at `at` is the one this writer would write for `idx` (with the
    /// data block address found in it).
    fn found_fahd_is_ours(&self, idx: usize, at: u64) -> bool {
        let s = self.sizes;
        let len = fixed_array::header_len(s.offsets, s.lengths) as usize;
        let (Ok(found), Ok(empty)) = (self.read(at, len), self.empty_array_header(idx)) else {
            return false;
        };
        // Signature to the number of elements, then the data block address.
        let head_len = 8 + s.l();
        let (Some(db), Some(head)) = (found.get(head_len..head_len + s.o()), empty.get(..head_len))
        else {
            return false;
        };
        let mut ours = head.to_vec();
        ours.extend_from_slice(db);
        crate::hdf5::encoder::seal(ours) == found
    }

    fn found_slot(&self, idx: usize) -> Option<Slot> {
        let o = self.objs.get(idx)?;
        let (Some(h), Kind::Dataset(d)) = (&o.ext, &o.kind) else {
            return None;
        };
        let Store::Chunked(c) = &d.store else {
            return None;
        };
        // PyTables Tables also keep their row count in an attribute of chunk 0.
        if d.refuse.is_some() || h.has_attribute("NROWS") {
            return None;
        }
        let hv = if h.v2_prefix.is_some() {
            HeaderVersion::V2
        } else {
            HeaderVersion::V1
        };
        let array = matches!(c.kind, ChunkIdx::Extensible(_) | ChunkIdx::Fixed);
        if !array && c.kind != ChunkIdx::BTreeV1 {
            return None;
        }
        // A fixed array whose dims cannot change: its header alone, within one sector
        // (a power loss cannot tear it either).
        if c.kind == ChunkIdx::Fixed && d.dims == d.max && c.root != UNDEF {
            let end = c.root.checked_add(self.array_header_len(idx) as u64)?;
            if c.root / SECTOR == (end - 1) / SECTOR {
                return Some(Slot {
                    addr: c.root,
                    len: 0,
                    hdr: c.root,
                    holds: Holds::Header,
                });
            }
        }
        // The dataspace and layout messages alone in a continuation block (what this
        // writer made before the layout of array indexes stayed in chunk 0), or the
        // dataspace alone followed by the array header the layout names.
        let (ch, holds) = h.chunks.iter().skip(1).find_map(|ch| {
            let types: Vec<u16> = ch.msgs.iter().map(|m| m.mtype).collect();
            if types == [kind::DATASPACE, kind::LAYOUT] {
                Some((ch, Holds::Both))
            } else if array && types == [kind::DATASPACE] {
                Some((ch, Holds::Space))
            } else {
                None
            }
        })?;
        let len = to_usize(hv.continuation_len(ch.size())).ok()?;
        let (hdr, hlen) = if array {
            let at = ch.addr.checked_add(pad8(len) as u64)?;
            if c.root != at {
                return None;
            }
            (at, self.array_header_len(idx))
        } else {
            (UNDEF, 0)
        };
        let end = ch.addr.checked_add((pad8(len) + hlen) as u64)?;
        if ch.addr / PAGE != (end - 1) / PAGE {
            return None;
        }
        Some(Slot {
            addr: ch.addr,
            len,
            hdr,
            holds,
        })
    }

    /// The slot block of an adopted dataset: its messages with the current dims and index.
    pub(super) fn ext_slot_block(&self, idx: usize, s: Slot) -> Result<Vec<u8>> {
        let o = &self.objs[idx];
        let (Some(h), Kind::Dataset(d)) = (&o.ext, &o.kind) else {
            return Err(usage("internal: not an opened dataset"));
        };
        let hv = if h.v2_prefix.is_some() {
            HeaderVersion::V2
        } else {
            HeaderVersion::V1
        };
        let ch = h
            .chunks
            .iter()
            .find(|c| c.addr == s.addr)
            .ok_or_else(|| usage("internal: slot block not in the header"))?;
        let mut out = Vec::new();
        for m in &ch.msgs {
            let mut b = match m.mtype {
                kind::DATASPACE => open_header::edited_dataspace(
                    &m.body,
                    &d.dims,
                    o.addr,
                    self.sizes,
                    &self.limits,
                )?,
                kind::LAYOUT => {
                    open_header::edited_layout(&m.body, &d.store, o.addr, self.sizes, &self.limits)?
                        .unwrap_or_else(|| m.body.clone())
                }
                _ => m.body.clone(),
            };
            if b.len() > m.body.len() {
                return Err(usage("internal: slot message grew"));
            }
            b.resize(m.body.len(), 0);
            hv.push(&mut out, m.mtype, &b)?;
        }
        Ok(hv.continuation_block(&out).into_owned())
    }
}

#[cfg(test)]
mod tests;
