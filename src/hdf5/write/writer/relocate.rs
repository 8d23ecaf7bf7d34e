//! Moving the dataspace and layout messages of a dataset other libraries wrote (PyTables,
//! h5py, PyMoDAQ) into a commit slot, before its first commit of new rows, so that a
//! continued acquisition (`record --append`, `Writer::open`) is committed by one write per
//! page from its first flush on, like the datasets this writer creates (module `commit`).
//!
//! The relocation changes no row count, so a kill during it cannot tear an acquisition:
//! 1. the slot (a continuation block in a commit area: the two messages copied as found,
//!    in the header's version, room after it for an array header) is written at new space;
//! 2. the superblock EOF;
//! 3. header chunk 0 in place, only the bytes that change (v1: message count in the
//!    prefix, the dataspace message becoming a continuation message to the slot plus NIL
//!    space, the layout message's type becoming NIL; v2: the same, through the chunk's
//!    checksum), one positional write within one page (the unit a kill cannot split). A
//!    v1 header whose changed bytes would cross a page keeps the per-dataset commit (its
//!    dims patched in chunk 0); a v2 one is relocated all the same (that commit would
//!    rewrite its chunk 0, checksum included, at every flush).
//!
//! The header address does not change: hard links and object references still reach it.
//! An array index whose dims may change (1.10 files) gets the smaller slot: the dataspace
//! alone, then a header below which the array as committed in the file is copied (its
//! blocks point back at their header) in step 1; its layout message stays, naming that
//! header from step 3 on. Other array indexes keep their header where it is until the
//! first commit, which writes every block anew below a header placed in the slot.

use super::commit::{Holds, Slot, PAGE};
use super::open_header;
use super::*;
use crate::hdf5::io::Budget;
use crate::hdf5::message::layout::DataLayout;
use crate::hdf5::object_header::edit::{EditableHeader, HeaderChunk, HeaderMessage};
use crate::hdf5::read::dataset::Dataset as RDataset;
use crate::hdf5::read::file::Object;

/// A planned relocation (see [`Writer::relocation_plan`]).
struct Plan {
    slot: Slot,
    /// The array header to write in the slot with it (the smaller slot: the layout
    /// message names it from now on), and the blocks written below it.
    header: Option<super::chunk_index::ArrayBlocks>,
    /// The header after it (slot chunk last).
    model: EditableHeader,
    slot_bytes: Vec<u8>,
    /// Changed bytes of prefix + chunk 0: offset from the header address, bytes.
    lo: usize,
    bytes: Vec<u8>,
}

impl Writer {
    /// Give every dataset of an opened file that has rows to commit a slot (see the module
    /// documentation); datasets that cannot have one are left as they are.
    pub(super) fn relocate_pending(&mut self) -> Result<()> {
        for i in 0..self.objs.len() {
            let pending = matches!(
                &self.objs[i].kind,
                Kind::Dataset(d) if matches!(&d.store, Store::Chunked(c)
                    if c.pending_dims.is_some() || c.tail.is_some())
            );
            if pending {
                self.relocate_to_slot(i)?;
            }
        }
        Ok(())
    }

    /// Move the dataspace and layout messages of dataset `idx` of an opened file into a
    /// slot (nothing when it has one, or cannot have one).
    pub(super) fn relocate_to_slot(&mut self, idx: usize) -> Result<()> {
        let Some(p) = self.relocation_plan(idx)? else {
            return Ok(());
        };
        // 1-2: the slot at new space (its area is ours), then the EOF.
        self.put(p.slot.addr, &p.slot_bytes)?;
        if let Some((h, _)) = &p.header {
            self.put(p.slot.hdr, h)?;
        }
        self.publish_eof()?;
        // 3: chunk 0, the changed bytes only (within one page).
        let addr = self.objs[idx].addr;
        self.put(addr + p.lo as u64, &p.bytes)?;
        self.objs[idx].ext = Some(p.model);
        self.commit.slots.insert(idx, p.slot);
        if let Some((_, cache)) = p.header {
            // The layout names the slot's header from now on; the copied blocks are the
            // live ones (the next commit reuses those that do not change).
            if let Store::Chunked(c) = &mut self.ds_mut(DatasetId(idx))?.store {
                c.root = p.slot.hdr;
                c.cache = cache;
            }
        }
        Ok(())
    }

    /// What a relocation of `idx` writes: the slot, the header model after it, the slot
    /// bytes, and the changed bytes of prefix + chunk 0 (offset from the header address,
    /// bytes). Continuation blocks holding the dataspace or layout message are rewritten at
    /// new space here (their parent repointed, up to chunk 0). `None` when the dataset is
    /// not to be relocated.
    fn relocation_plan(&mut self, idx: usize) -> Result<Option<Plan>> {
        if self.commit.slots.contains_key(&idx) {
            return Ok(None);
        }
        let o = &self.objs[idx];
        let (Some(h), Kind::Dataset(d)) = (&o.ext, &o.kind) else {
            return Ok(None);
        };
        let Store::Chunked(c) = &d.store else {
            return Ok(None);
        };
        // PyTables Tables keep their row count in an attribute of chunk 0 too.
        if d.refuse.is_some() || h.has_attribute("NROWS") || d.dims.is_empty() {
            return Ok(None);
        }
        let array = match c.kind {
            ChunkIdx::BTreeV1 => false,
            ChunkIdx::Extensible(_) | ChunkIdx::Fixed => true,
            _ => return Ok(None),
        };
        // An array header with no chunk yet is created by the first commit: it is placed
        // in the slot then, which the slot check at the next open requires.
        if array && (c.root == UNDEF || c.index.is_empty()) {
            return Ok(None);
        }
        // Headers tracking creation order (6-byte message headers) keep the per-dataset
        // commit; so do headers with edits not yet committed.
        if h.chunks.iter().any(|ch| ch.dirty) || h.fh() == 6 {
            return Ok(None);
        }
        let h = h.clone();
        let fh = h.fh();
        // The one dataspace and the one layout message, in whatever chunk they are.
        let locate = |t: u16| -> Option<(usize, usize)> {
            let mut at = h.chunks.iter().enumerate().flat_map(|(ci, ch)| {
                ch.msgs
                    .iter()
                    .enumerate()
                    .filter(move |(_, m)| m.mtype == t)
                    .map(move |(mi, _)| (ci, mi))
            });
            let first = at.next()?;
            at.next().is_none().then_some(first)
        };
        let (Some(ds), Some(ly)) = (locate(kind::DATASPACE), locate(kind::LAYOUT)) else {
            return Ok(None);
        };
        let msg = |(ci, mi): (usize, usize)| h.chunks.get(ci).and_then(|ch| ch.msgs.get(mi));
        let (Some(ds_msg), Some(ly_msg)) = (msg(ds).cloned(), msg(ly).cloned()) else {
            return Ok(None);
        };
        // The continuation message to the slot takes the place of the dataspace or the
        // layout message: the same size, or with room for a NIL message after it.
        let cont_body = h.continuation(0, 0).len();
        let fits = |m: &HeaderMessage| m.body.len() == cont_body || m.body.len() >= cont_body + fh;
        let (host, other) = if fits(&ds_msg) {
            (ds, ly)
        } else if fits(&ly_msg) {
            (ly, ds)
        } else {
            return Ok(None);
        };
        let hv = if h.v2_prefix.is_some() {
            HeaderVersion::V2
        } else {
            HeaderVersion::V1
        };
        // The smaller slot (module `commit`, `Holds::Space`): an array index whose dims
        // may change, the dataspace hosting the continuation; the layout message stays,
        // naming the header in the slot, and the committed index (as found in the file)
        // is copied below that header, so the header never moves again.
        let fixed = c.kind == ChunkIdx::Fixed && d.dims == d.max;
        let at = self.objs[idx].addr;
        let space = array
            && !fixed
            && host == ds
            && open_header::layout_with_index_at(&ly_msg.body, 0, at, self.sizes, &self.limits)
                .is_some();
        let slot_msgs = if space {
            vec![ds_msg]
        } else {
            vec![ds_msg, ly_msg.clone()]
        };
        let mut area = Vec::new();
        for m in &slot_msgs {
            hv.push(&mut area, m.mtype, &m.body)?;
        }
        let slot_bytes = hv.continuation_block(&area).into_owned();
        let len = slot_bytes.len();
        let hlen = if array { self.array_header_len(idx) } else { 0 };
        let (limits, sizes) = (self.limits, self.sizes);
        let edit = |addr: u64, hdr: u64| -> EditableHeader {
            let mut model = h.clone();
            if let Some(ch) = model.chunks.get_mut(other.0) {
                if let Some(m) = ch.msgs.get_mut(other.1) {
                    match space
                        .then(|| {
                            open_header::layout_with_index_at(&m.body, hdr, at, sizes, &limits)
                        })
                        .flatten()
                    {
                        Some(b) => m.body = b,
                        // Only the type changes (NIL bodies are not read): fewer bytes
                        // change.
                        None => m.mtype = kind::NIL,
                    }
                }
                ch.dirty = true;
            }
            if let Some(ch) = model.chunks.get_mut(host.0) {
                let rest = ch.msgs.get(host.1).map_or(0, |m| m.body.len() - cont_body);
                let body = h.continuation(addr, len as u64);
                if let Some(m) = ch.msgs.get_mut(host.1) {
                    *m = HeaderMessage {
                        mtype: kind::CONTINUATION,
                        flags: 0,
                        body,
                        corder: 0,
                    };
                }
                if rest > 0 {
                    ch.msgs.insert(
                        host.1 + 1,
                        HeaderMessage {
                            mtype: kind::NIL,
                            flags: 0,
                            body: vec![0; rest - fh],
                            corder: 0,
                        },
                    );
                }
                ch.dirty = true;
            }
            if let Some(c0) = model.chunks.first_mut() {
                // Chunk 0 is rewritten in any case (the continuation chain ends there).
                c0.dirty = true;
            }
            model.chunks.push(HeaderChunk {
                addr,
                msgs: slot_msgs.clone(),
                dirty: false,
                fh,
                gap: 0,
            });
            model
        };
        let old = self.header_prefix_chunk0(idx)?;
        // A v1 header whose changed bytes cross a page keeps the per-dataset commit (a
        // kill could split the write). A v2 chunk 0 crossing a page is relocated anyway:
        // the per-dataset commit would rewrite it whole (checksum) at every flush instead.
        let v1 = h.v2_prefix.is_none();
        let within_page = |r: Option<(usize, usize)>| {
            r.filter(|(lo, hi)| !v1 || (at + *lo as u64) / PAGE == (at + *hi as u64 - 1) / PAGE)
        };
        // A dry run (placeholder addresses) decides before anything is written.
        let (mut k, top) = (0u64, self.sizes.max_address());
        let probe = edit(top, top - 1).serialize(&mut |_| {
            k += 1;
            Ok(top - 1 - k)
        })?;
        if within_page(changed_range(&old, &probe)).is_none() {
            return Ok(None);
        }
        let addr = self.alloc_in_area((pad8(len) + hlen) as u64)?;
        let hdr = addr + pad8(len) as u64;
        let header = if space {
            let index = self.committed_index(idx)?;
            let elems = self.array_elems(DatasetId(idx), &index)?;
            Some(self.write_array_blocks(DatasetId(idx), hdr, &elems, &HashMap::new())?)
        } else {
            None
        };
        let mut model = edit(addr, hdr);
        let new = model.serialize(&mut |b| self.alloc_write(b))?;
        let Some((lo, hi)) = within_page(changed_range(&old, &new)) else {
            // Unreferenced blocks written for nothing: the header keeps its commit.
            return Ok(None);
        };
        let slot = Slot {
            addr,
            len,
            hdr: if array { hdr } else { UNDEF },
            holds: if space { Holds::Space } else { Holds::Both },
        };
        Ok(Some(Plan {
            slot,
            header,
            model,
            slot_bytes,
            lo,
            bytes: new[lo..hi].to_vec(),
        }))
    }

    /// The chunk records of `idx` as committed in the file (chunks written since are not).
    fn committed_index(&self, idx: usize) -> Result<BTreeMap<Vec<u64>, ChunkRec>> {
        let file = self.reader()?;
        let o = &self.objs[idx];
        let rd = RDataset::from_object(Object::open(&file, o.addr, o.path.clone())?)?;
        let (DataLayout::Chunked(l), Kind::Dataset(d)) = (&rd.layout, &o.kind) else {
            return Err(usage("internal: not a chunked dataset"));
        };
        let mut budget = Budget::new(&self.limits);
        let infos = crate::hdf5::chunk_index::chunk_infos(
            &file.inner.io,
            l,
            &rd.dataspace.dims,
            &d.max,
            d.pipeline.is_some(),
            &mut budget,
        )?;
        let mut index = BTreeMap::new();
        for i in infos {
            let rec = ChunkRec::found(&i, "chunk index")?;
            index.insert(i.offset, rec);
        }
        Ok(index)
    }

    /// The bytes of the prefix and chunk 0 of an opened header as they are in the file.
    fn header_prefix_chunk0(&self, idx: usize) -> Result<Vec<u8>> {
        let o = &self.objs[idx];
        let Some(h) = &o.ext else {
            return Err(usage("internal: not an opened object"));
        };
        let c0 = h
            .chunks
            .first()
            .ok_or_else(|| usage("internal: header without chunk 0"))?;
        let n = match &h.v2_prefix {
            Some(p) => p.len() + c0.size() + 4,
            None => 16 + c0.size(),
        };
        self.read(o.addr, n)
    }
}

/// The range `lo..hi` of bytes that differ between `a` and `b` (same length), if any.
fn changed_range(a: &[u8], b: &[u8]) -> Option<(usize, usize)> {
    if a.len() != b.len() {
        return None;
    }
    let lo = a.iter().zip(b).position(|(x, y)| x != y)?;
    let hi = a.len()
        - a.iter()
            .rev()
            .zip(b.iter().rev())
            .position(|(x, y)| x != y)?;
    Some((lo, hi))
}
