//! Shared attribute messages of an opened file (spec III.H "Shared Object Header Message
//! Table", IV.A.2.p "Shared Message Table Message", IV.A.2 message flag bit 1 "shared").
//!
//! In a file with a shared message table whose index holds attribute messages (h5py files
//! made with `H5Pset_shared_mesg_index`), libhdf5 stores each attribute message once in the
//! index's fractal heap; object headers (compact, message flag 0x02) and dense name indexes
//! (record flag 0x02) hold its 8-byte heap ID, and the index (a `SMLI` list or a v2 B-tree of
//! type 7) counts the references to it.
//!
//! Sharing is optional per message, so attributes we write are never shared: a new one is an
//! ordinary message, and the shared ones left unchanged stay shared (their records keep the
//! heap ID and flag). Replacing or deleting a shared attribute drops one reference: once the
//! header no longer names it, the index is written anew at new space with the count
//! decremented, or without the record when it reaches zero (as libhdf5's `H5SM_delete`),
//! then the table is repointed in place (one write of under 100 bytes: index address and
//! message count together). A crash between the two leaves a count one too high, i.e. a
//! message kept in the heap longer than needed, never one removed while named. The
//! superseded index is freed by the table write (reused after the cool-down); the heap
//! object itself is left unreferenced (space not reused).

use super::*;
use crate::hdf5::encoder::seal;
use crate::hdf5::sohm;

/// Size of a list entry and of a type 7 record: location, hash, then (heap) reference
/// count and 8-byte heap ID, or (object header) 4 bytes and an address (libhdf5 sizes the
/// entry for the larger: 17 bytes with offsets of up to 8 bytes).
const ENTRY: usize = 1 + 4 + 12;
const S: &str = "shared message index";

/// Pseudo message type of a reference to a committed datatype in the lists of dropped
/// references (`Writer::part_refs`): not a message type HDF5 uses.
pub(super) const COMMITTED_DATATYPE: u16 = u16::MAX;

/// Owner of freed space that belongs to no object (`free_space::FreeSpace::release`): a
/// committed datatype's continuation block, a superseded shared-message index. Staged at
/// once after the write that unreferences it; no object index or complement is this.
const FILE_OWNER: usize = usize::MAX / 2;

/// Record of the entry `e` whose message lies in the heap at `id`: its reference count.
fn heap_entry_refcount(e: &[u8], id: &[u8]) -> Option<u32> {
    match e {
        [0, _, _, _, _, r0, r1, r2, r3, rest @ ..] if rest.get(..8) == Some(id) => {
            Some(u32::from_le_bytes([*r0, *r1, *r2, *r3]))
        }
        _ => None,
    }
}

impl Writer {
    /// The attribute message a shared encoding (version 3, type 1) of a header names, read
    /// from the shared-message heap; `at` locates the encoding for errors.
    pub(super) fn shared_attr_message(&self, encoding: &[u8], at: u64) -> Result<Vec<u8>> {
        let id = sohm::heap_id(encoding).ok_or_else(|| {
            Error::unsupported(
                "attribute message shared in another object header (not the shared-message heap)",
                Some(at),
            )
        })?;
        let file = self.reader()?;
        sohm::message(
            &file.inner.io,
            &file.inner.superblock,
            kind::ATTRIBUTE,
            id,
            at,
        )
    }

    /// Fill `shared_attrs` of the existing header of `idx` (names of its shared attribute
    /// messages), so that attributes are found by name whether shared or not.
    pub(super) fn resolve_shared_attrs(&self, hdr: &mut EditableHeader) -> Result<()> {
        let shared: Vec<(Vec<u8>, u64)> = hdr
            .chunks
            .iter()
            .flat_map(|c| c.msgs.iter().map(move |m| (m, c.addr)))
            .filter(|(m, _)| {
                m.mtype == kind::ATTRIBUTE
                    && m.flags & crate::hdf5::object_header::edit::FLAG_SHARED != 0
            })
            .map(|(m, at)| (m.body.clone(), at))
            .collect();
        for (enc, at) in shared {
            let msg = self.shared_attr_message(&enc, at)?;
            let name = crate::hdf5::message::attribute::attribute_name(&msg)
                .ok_or_else(|| Error::format("attribute message (shared)", at, "name"))?
                .to_vec();
            hdr.shared_attrs.push((enc, name, msg));
        }
        Ok(())
    }

    /// The references to the shared-message heap that the attribute messages `removed`
    /// (flags, body) held: a shared message's own, or the shared datatype and dataspace of
    /// an unshared one. As (message type, heap ID).
    pub(super) fn shared_refs(s: Sizes, removed: &[(u8, Vec<u8>)]) -> Vec<(u16, Vec<u8>)> {
        let mut out = Vec::new();
        for (flags, body) in removed {
            if flags & crate::hdf5::object_header::edit::FLAG_SHARED != 0 {
                out.extend(sohm::heap_id(body).map(|id| (kind::ATTRIBUTE, id.to_vec())));
            } else {
                out.extend(Self::part_refs(s, body));
            }
        }
        out
    }

    /// The shared datatype and dataspace of an attribute message: in the shared-message
    /// heap, or a committed (named) datatype, whose header counts the messages naming it
    /// (as `(COMMITTED_DATATYPE, header address)`).
    pub(super) fn part_refs(sizes: Sizes, body: &[u8]) -> Vec<(u16, Vec<u8>)> {
        crate::hdf5::message::attribute::shared_parts(body)
            .into_iter()
            .filter_map(|(t, enc)| match sohm::heap_id(enc) {
                Some(id) => Some((t, id.to_vec())),
                None if t == kind::DATATYPE => crate::hdf5::message::shared_address(enc, sizes, 0)
                    .ok()
                    .map(|a| (COMMITTED_DATATYPE, a.to_le_bytes().to_vec())),
                None => None,
            })
            .collect()
    }

    /// [`Writer::sohm_release`] (or [`Writer::committed_release`]) for each of `refs`.
    pub(super) fn sohm_release_all(&mut self, refs: &[(u16, Vec<u8>)]) -> Result<()> {
        for (t, id) in refs {
            if *t == COMMITTED_DATATYPE {
                let a = id
                    .as_slice()
                    .try_into()
                    .map(u64::from_le_bytes)
                    .map_err(|_| usage("internal: committed datatype reference"))?;
                self.committed_release(a)?;
            } else {
                self.sohm_release(*t, id)?;
            }
        }
        Ok(())
    }

    /// Drop one reference to the committed datatype whose header is at `addr`, once the
    /// header of the message that named it is written (as libhdf5's `H5O__shared_delete`
    /// lowers it): a v1 header's count (prefix), a v2 header's Reference Count message, in
    /// one in-place write of chunk 0 (a continuation block holding the message is written
    /// anew first, the old one freed by that write). Left as it is (one too high: kept
    /// longer, never removed while named) when it would reach 0 (libhdf5 would delete the
    /// object). A crash before the write leaves it one too high too.
    pub(super) fn committed_release(&mut self, addr: u64) -> Result<()> {
        let file = self.reader()?;
        let io = &file.inner.io;
        let mut h = EditableHeader::load(addr, io.sizes, &self.limits, &|a, l| {
            io.read(a, l, "committed datatype header")
        })?;
        if h.v2_prefix.is_none() {
            if h.refcount <= 1 {
                return Ok(());
            }
            h.refcount -= 1;
        } else {
            let Some(b) = h.body_mut(kind::REFCOUNT) else {
                return Ok(());
            };
            let n = match b.as_slice() {
                [0, r0, r1, r2, r3, ..] => u32::from_le_bytes([*r0, *r1, *r2, *r3]),
                _ => {
                    return Err(Error::format(
                        "reference count message",
                        addr,
                        "not version 0",
                    ))
                }
            };
            if n <= 1 {
                return Ok(());
            }
            if let Some(r) = b.get_mut(1..5) {
                r.copy_from_slice(&(n - 1).to_le_bytes());
            }
        }
        let bytes = h.serialize(&mut |b| self.alloc_write(b))?;
        self.publish_eof()?;
        self.put(addr, &bytes)?;
        self.free_unreferenced(h.superseded);
        Ok(())
    }

    /// Blocks no object owns that the write just made is no longer referencing: freed
    /// (reused after the cool-down).
    fn free_unreferenced(&mut self, blocks: Vec<(u64, u64)>) {
        if blocks.is_empty() {
            return;
        }
        for (a, l) in blocks {
            self.free.release(FILE_OWNER, a, l);
        }
        self.free.stage(FILE_OWNER);
        self.after_commit();
    }

    /// Drop one reference to the message of type `mtype` at heap ID `id` of the
    /// shared-message heap (see the module). Called once the header that named it is
    /// written. An attribute message removed for good drops the references its shared
    /// datatype and dataspace held, as libhdf5's attribute delete does.
    pub(super) fn sohm_release(&mut self, mtype: u16, id: &[u8]) -> Result<()> {
        let file = self.reader()?;
        let io = &file.inner.io;
        let table = sohm::table(io, &file.inner.superblock)?;
        let flag = sohm::type_flag(mtype).ok_or_else(|| {
            Error::format(
                S,
                table.addr,
                format!("message type {mtype:#x} is not shareable"),
            )
        })?;
        let ix = table
            .indexes
            .iter()
            .find(|i| i.types & flag != 0)
            .copied()
            .ok_or_else(|| {
                Error::format(S, table.addr, "no shared message index holds the message")
            })?;
        let missing = || {
            Error::format(
                S,
                ix.index_addr,
                "shared message not in its index (reference count)",
            )
        };
        // The entries, in the index's order, with the one for `id` changed or removed.
        let edit = |entries: Vec<Vec<u8>>| -> Result<(Vec<Vec<u8>>, bool)> {
            let mut out = Vec::with_capacity(entries.len());
            let mut found = false;
            let mut gone = false;
            for mut e in entries {
                match heap_entry_refcount(&e, id) {
                    Some(n) if !found => {
                        found = true;
                        let n = n.checked_sub(1).ok_or_else(missing)?;
                        if n > 0 {
                            if let Some(r) = e.get_mut(5..9) {
                                r.copy_from_slice(&n.to_le_bytes());
                            }
                            out.push(e);
                        } else {
                            gone = true;
                        }
                    }
                    _ => out.push(e),
                }
            }
            if found {
                Ok((out, gone))
            } else {
                Err(missing())
            }
        };
        let n = usize::from(ix.num_messages);
        // An attribute message removed for good: its own shared parts, read before it goes.
        let parts = if mtype == kind::ATTRIBUTE {
            let heap = crate::hdf5::fractal_heap::open(io, ix.heap)?;
            let msg = heap.get(io, id, &mut crate::hdf5::io::Budget::new(&self.limits))?;
            Self::part_refs(self.sizes, &msg)
        } else {
            Vec::new()
        };
        let (new_addr, count, gone, old_index) = match ix.index_type {
            0 => {
                // "SMLI", the entries, checksum; the block is sized for `list_max`
                // entries (libhdf5 reads that many bytes).
                let used = n
                    .checked_mul(ENTRY)
                    .and_then(|b| b.checked_add(8))
                    .ok_or_else(missing)?;
                let block = io.read(ix.index_addr, used as u64, S)?;
                let (body, sum) = block.split_at(used - 4);
                let sum: [u8; 4] = sum.try_into().map_err(|_| missing())?;
                crate::hdf5::checksum::verify(S, ix.index_addr, body, u32::from_le_bytes(sum))?;
                if body.get(..4) != Some(b"SMLI") {
                    return Err(Error::format(S, ix.index_addr, "signature is not SMLI"));
                }
                let entries: Vec<Vec<u8>> = body
                    .get(4..)
                    .unwrap_or(&[])
                    .chunks_exact(ENTRY)
                    .map(<[u8]>::to_vec)
                    .collect();
                let (kept, gone) = edit(entries)?;
                let mut list = b"SMLI".to_vec();
                for e in &kept {
                    list.extend_from_slice(e);
                }
                let mut list = seal(list);
                let size = usize::from(ix.list_max)
                    .max(n)
                    .checked_mul(ENTRY)
                    .and_then(|b| b.checked_add(8))
                    .ok_or_else(missing)?;
                list.resize(size, 0);
                // The old list has the same size: `list_max` entries (libhdf5's and ours).
                let old = vec![(ix.index_addr, size as u64)];
                (self.alloc_write(&list)?, kept.len(), gone, old)
            }
            1 => {
                let mut budget = crate::hdf5::io::Budget::new(&self.limits);
                let (h, records, old) =
                    crate::hdf5::btree_v2::records_and_extents(io, ix.index_addr, &mut budget)?;
                if h.record_type != 7 || usize::from(h.record_size) != ENTRY {
                    return Err(Error::format(S, ix.index_addr, "not a type 7 B-tree"));
                }
                let (kept, gone) = edit(records.into_iter().map(|r| r.bytes).collect())?;
                let sizes = self.sizes;
                let mut alloc = |b: &[u8]| self.alloc_write(b);
                let t = crate::hdf5::btree_v2::encode::write(
                    sizes,
                    7,
                    ENTRY as u16,
                    &kept,
                    &mut alloc,
                )?;
                (t, kept.len(), gone, old)
            }
            t => {
                return Err(Error::unsupported(
                    format!("shared message index type {t}"),
                    Some(ix.index_addr),
                ))
            }
        };
        let count = u16::try_from(count).map_err(|_| missing())?;
        let mut block = table.block;
        let at = ix.entry_at;
        let body_len = block.len().saturating_sub(4);
        block
            .get_mut(at + 12..at + 14)
            .ok_or_else(missing)?
            .copy_from_slice(&count.to_le_bytes());
        let addr = Encoder::sized(self.sizes).offset(new_addr).take();
        block
            .get_mut(at + 14..at + 14 + addr.len())
            .ok_or_else(missing)?
            .copy_from_slice(&addr);
        block.truncate(body_len);
        let block = seal(block);
        // The new index lies in new space: the EOF covers it before the table names it.
        self.publish_eof()?;
        self.put(table.addr, &block)?;
        // The superseded index is unreferenced once the table names the new one.
        self.free_unreferenced(old_index);
        if gone {
            self.sohm_release_all(&parts)?;
        }
        Ok(())
    }
}
