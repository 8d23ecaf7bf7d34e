//! Dense attribute and link storage (fractal heap + v2 B-tree name index), as libhdf5
//! lays it out when an attribute does not fit in a header message or a group passes
//! its compact limit.
//!
//! An object's dense storage is written whole at new space each time its header is
//! committed (unchanged huge attribute values are not rewritten), then the header,
//! holding the Attribute Info / Link Info message with the new addresses, is rewritten in
//! place: the writer's commit order, unchanged. In the PyTables profile an object going
//! dense gets a v2 header in the place of its v1 one (same address and size: the v2 prefix
//! and checksum take 2 bytes more than the v1 prefix, so chunk 0 shrinks by 2), as libhdf5
//! itself writes v2 headers in superblock-v0 files (h5py `track_order` objects): v1 headers
//! cannot hold dense attributes.

mod index;

use std::collections::HashMap;

use super::*;
use crate::hdf5::fractal_heap::encode::Space;
use crate::hdf5::message::attribute_info::AttributeInfo;
use crate::hdf5::object_header::edit::FLAG_SHARED;
use index::Records;

/// Groups of the 1.10 profile with more links than this store them densely (libhdf5's
/// default maximum of compact links).
pub(super) const MAX_COMPACT_LINKS: usize = 8;

/// Objects with v2 headers (1.10 profile) with more attributes than this store them
/// densely, and go back to compact under `MIN_DENSE_ATTRS` (libhdf5's defaults, stored in
/// their header prefix).
pub(super) const MAX_COMPACT_ATTRS: usize = 8;
pub(super) const MIN_DENSE_ATTRS: usize = 6;

/// Dense state of one object.
#[derive(Debug, Default, Clone)]
pub(super) struct Dense {
    /// The header is v2 (always in the 1.10 profile; in the PyTables profile once
    /// converted for dense attributes).
    pub v2: bool,
    /// Attribute heap and name B-tree, when the attributes are dense.
    pub attrs: Option<(u64, u64)>,
    /// Link heap and name B-tree, when the group's links are dense.
    pub links: Option<(u64, u64)>,
    /// Creation-order B-trees (type 6 links, type 9 attributes) when indexed, else UNDEF.
    pub links_corder: u64,
    pub attrs_corder: u64,
    /// Creation order of each attribute of an opened header tracking it.
    pub attr_corder: HashMap<String, u16>,
    /// Attributes of an opened file kept in its shared-message heap, by name: their heap
    /// ID there (`sohm`). Their records keep pointing at it while they are unchanged.
    pub shared: HashMap<String, Vec<u8>>,
    /// Where the value of each huge attribute lies (reused while the attribute is unchanged).
    pub huge: HashMap<String, u64>,
    /// Extents of the attribute storage last written (heap blocks, B-trees), its huge
    /// values, and a digest of the attributes it holds: unchanged attributes are not
    /// rewritten, superseded storage is freed once the header no longer names it.
    pub attrs_blocks: Vec<(u64, u64)>,
    pub huge_blocks: Vec<(u64, u64)>,
    pub attrs_sig: Option<u64>,
    /// The same for the link storage.
    pub links_blocks: Vec<(u64, u64)>,
    pub links_sig: Option<u64>,
}

/// The 8-byte-aligned part of each extent another library wrote: the free-space manager
/// rounds lengths up to 8 (our own blocks are aligned), and libhdf5 packs structures
/// without padding, so the bytes past an odd-sized one belong to its neighbour.
pub(super) fn aligned_within(extents: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    extents
        .into_iter()
        .filter_map(|(a, l)| {
            let start = a.checked_add(7)? & !7;
            let end = a.checked_add(l)? & !7;
            (end > start).then(|| (start, end - start))
        })
        .collect()
}

/// A compact attribute of an existing header moving into dense storage: name, message,
/// creation order, heap ID in the shared-message heap when shared.
type MovedAttr = (String, Vec<u8>, u16, Option<Vec<u8>>);

/// Digest of a list of named byte strings (what a dense storage holds).
fn digest<'a>(items: impl Iterator<Item = (&'a [u8], &'a [u8])>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for (a, b) in items {
        a.hash(&mut h);
        b.hash(&mut h);
    }
    h.finish()
}

impl Space for Writer {
    fn alloc(&mut self, n: usize) -> u64 {
        Writer::alloc(self, n)
    }
    fn put(&mut self, at: u64, b: &[u8]) -> Result<()> {
        Writer::put(self, at, b)
    }
    fn sizes(&self) -> Sizes {
        self.sizes
    }
}

/// Digest of an object's attributes: names, messages, and for the shared ones their heap
/// ID (an attribute turned from shared into unshared changes the storage).
fn attrs_digest(attrs: &[(String, Vec<u8>)], shared: &HashMap<String, Vec<u8>>) -> u64 {
    digest(attrs.iter().flat_map(|(n, b)| {
        let id = shared.get(n).map_or(&[][..], Vec::as_slice);
        [(n.as_bytes(), b.as_slice()), (&b"\0shared"[..], id)]
    }))
}

/// Digest of a group's links (`Writer::link_bodies`).
pub(super) fn link_digest(links: &[(Vec<u8>, Vec<u8>, u64)]) -> u64 {
    digest(links.iter().map(|(n, b, _)| (n.as_slice(), b.as_slice())))
}

/// Attribute Info of one of our objects (creation order not tracked): its heap and name
/// index, undefined while compact.
pub(super) fn attribute_info(dense: Option<(u64, u64)>) -> AttributeInfo {
    let (heap, bt) = dense.unwrap_or((UNDEF, UNDEF));
    AttributeInfo {
        fractal_heap_address: heap,
        name_btree_address: bt,
        ..AttributeInfo::compact()
    }
}

impl Writer {
    /// An attribute message fits in a header message only under 64 KiB (once a v1 header
    /// has padded it: the same bound for both header versions).
    pub(super) fn attr_is_big(body: &[u8]) -> bool {
        v1_body_len(body.len()) > MAX_MESSAGE
    }

    /// Before laying out the header of one of our objects: write its dense storage when it
    /// needs one (an attribute too big for a header message, attributes already dense, a
    /// 1.10 group of more than `MAX_COMPACT_LINKS` links).
    pub(super) fn prepare_dense(&mut self, idx: usize) -> Result<()> {
        let v2 = self.header_version(idx) == HeaderVersion::V2;
        let o = &self.objs[idx];
        let big = o.attrs.iter().any(|(_, b)| Self::attr_is_big(b));
        // libhdf5's phase change (v2 headers): dense past 8 attributes, compact again
        // under 6; an attribute message over 64 KiB needs dense storage in any header.
        let n = o.attrs.len();
        let was_dense = o.dense.attrs.is_some();
        let dense_attrs =
            big || (v2 && (n > MAX_COMPACT_ATTRS || (was_dense && n >= MIN_DENSE_ATTRS)));
        let dense_links = match &o.kind {
            Kind::Group(g) => {
                g.compact && (o.dense.links.is_some() || g.entries.len() > MAX_COMPACT_LINKS)
            }
            Kind::Dataset(_) => false,
        };
        if !dense_attrs && was_dense {
            // Back to compact: the dense storage is superseded by this commit.
            self.release_dense_attrs(idx, &[]);
            let d = &mut self.objs[idx].dense;
            d.attrs = None;
            d.attrs_sig = None;
            d.huge.clear();
        }
        if dense_attrs {
            if self.header_version(idx) == HeaderVersion::V1 {
                // v1 prefix (16) + area == v2 prefix (14) + area + checksum (4).
                let o = &mut self.objs[idx];
                o.cap0 = o
                    .cap0
                    .checked_sub(2)
                    .ok_or_else(|| usage("object header too small"))?;
                o.cont = None;
                o.dense.v2 = true;
                if self.commit.slots.contains_key(&idx) {
                    // The slot's messages become an `OCHK` block: a new slot.
                    self.alloc_slot(idx)?;
                }
            }
            self.write_dense_attrs(idx)?;
        }
        if dense_links {
            self.write_dense_links(idx)?;
        }
        Ok(())
    }

    fn write_dense_attrs(&mut self, idx: usize) -> Result<()> {
        let attrs = std::mem::take(&mut self.objs[idx].attrs);
        let r = self.write_dense_attrs_of(idx, &attrs);
        self.objs[idx].attrs = attrs;
        r
    }

    /// Free what the last attribute storage of `idx` used once its header commit is
    /// written (owner `!idx`, as superseded continuation blocks), but the huge values
    /// the new storage still uses.
    fn release_dense_attrs(&mut self, idx: usize, keep: &[Option<u64>]) {
        let d = &mut self.objs[idx].dense;
        let old: Vec<(u64, u64)> = std::mem::take(&mut d.attrs_blocks)
            .into_iter()
            .chain(
                std::mem::take(&mut d.huge_blocks)
                    .into_iter()
                    .filter(|(a, _)| !keep.contains(&Some(*a))),
            )
            .collect();
        for (a, l) in old {
            self.free.release(!idx, a, l);
        }
    }

    pub(super) fn write_dense_attrs_of(
        &mut self,
        idx: usize,
        attrs: &[(String, Vec<u8>)],
    ) -> Result<()> {
        let sig = attrs_digest(attrs, &self.objs[idx].dense.shared);
        let d = &self.objs[idx].dense;
        if d.attrs.is_some() && d.attrs_sig == Some(sig) {
            return Ok(());
        }
        let objs: Vec<&[u8]> = attrs.iter().map(|(_, b)| b.as_slice()).collect();
        let reuse: Vec<Option<u64>> = attrs
            .iter()
            .map(|(n, _)| self.objs[idx].dense.huge.get(n).copied())
            .collect();
        let names: Vec<&[u8]> = attrs.iter().map(|(n, _)| n.as_bytes()).collect();
        let corders: Vec<u64> = attrs
            .iter()
            .map(|(n, _)| {
                u64::from(
                    self.objs[idx]
                        .dense
                        .attr_corder
                        .get(n)
                        .copied()
                        .unwrap_or(0),
                )
            })
            .collect();
        let indexed = self
            .ext_ainfo(idx)
            .is_some_and(|a| a.creation_order_indexed);
        let shared_ids = self.objs[idx].dense.shared.clone();
        let shared: Vec<Option<&[u8]>> = attrs
            .iter()
            .map(|(n, _)| shared_ids.get(n).map(Vec::as_slice))
            .collect();
        let st = self.write_dense(
            Records::Attributes,
            &objs,
            &reuse,
            &names,
            &corders,
            &shared,
            indexed,
        )?;
        let w = &st.heap;
        self.release_dense_attrs(idx, &w.huge_at);
        let d = &mut self.objs[idx].dense;
        d.attrs = Some((w.header, st.names));
        d.attrs_corder = st.order;
        d.attrs_sig = Some(sig);
        d.attrs_blocks = st.blocks.clone();
        d.huge_blocks = attrs
            .iter()
            .zip(&w.huge_at)
            .filter_map(|((_, b), a)| a.map(|a| (a, b.len() as u64)))
            .collect();
        d.huge = attrs
            .iter()
            .zip(&w.huge_at)
            .filter_map(|((n, _), a)| a.map(|a| (n.clone(), a)))
            .collect();
        Ok(())
    }

    pub(super) fn write_dense_links(&mut self, idx: usize) -> Result<()> {
        let Kind::Group(g) = &self.objs[idx].kind else {
            return Ok(());
        };
        let indexed = g.order.indexed;
        let links = self.link_bodies(idx)?;
        let sig = link_digest(&links);
        let d = &self.objs[idx].dense;
        if d.links.is_some() && d.links_sig == Some(sig) {
            return Ok(());
        }
        let objs: Vec<&[u8]> = links.iter().map(|(_, b, _)| b.as_slice()).collect();
        let names: Vec<&[u8]> = links.iter().map(|(n, _, _)| n.as_slice()).collect();
        let corders: Vec<u64> = links.iter().map(|l| l.2).collect();
        let st = self.write_dense(Records::Links, &objs, &[], &names, &corders, &[], indexed)?;
        for (a, l) in std::mem::take(&mut self.objs[idx].dense.links_blocks) {
            self.free.release(!idx, a, l);
        }
        let d = &mut self.objs[idx].dense;
        d.links = Some((st.heap.header, st.names));
        d.links_corder = st.order;
        d.links_sig = Some(sig);
        d.links_blocks = st.blocks;
        Ok(())
    }
}

/// Attribute changes on objects of an opened file whose attributes are (or become) dense:
/// the whole attribute list lives in `Obj::attrs` (loaded once from the file's heap), is
/// edited there and written as new dense storage at the header commit, whose Attribute
/// Info message is patched with the new addresses (`ext_header_bytes`).
impl Writer {
    /// The Attribute Info message of an existing header.
    fn ext_ainfo(&self, idx: usize) -> Option<AttributeInfo> {
        self.ext_decode(idx, kind::ATTRIBUTE_INFO, AttributeInfo::parse)
    }

    /// Whether the existing object `idx` holds its attributes densely now.
    fn ext_is_dense(&self, idx: usize) -> bool {
        self.objs[idx].dense.attrs.is_some()
            || self
                .ext_ainfo(idx)
                .is_some_and(|a| a.fractal_heap_address != UNDEF)
    }

    /// libhdf5's maximum of compact attributes for an existing v2 header: stored in its
    /// prefix (flag 0x10), else the default 8.
    fn ext_max_compact(&self, idx: usize) -> usize {
        self.objs[idx]
            .ext
            .as_ref()
            .and_then(EditableHeader::max_compact_attributes)
            .map_or(usize::MAX, usize::from)
    }

    /// Whether setting `bodies` on the existing object `idx` goes to dense storage: it is
    /// dense already, an attribute does not fit in a header message, or (v2 headers) the
    /// attributes would pass the header's maximum of compact attributes, where libhdf5
    /// switches to dense storage. v1 headers cannot hold dense attributes: refused.
    pub(super) fn ext_wants_dense(&self, idx: usize, bodies: &[(&str, Vec<u8>)]) -> Result<bool> {
        let Some(h) = &self.objs[idx].ext else {
            return Ok(false);
        };
        if self.ext_is_dense(idx) {
            return Ok(true);
        }
        let big = bodies.iter().any(|(_, b)| Self::attr_is_big(b));
        if self.ext_ainfo(idx).is_none() {
            return Ok(big);
        }
        if big {
            return Ok(true);
        }
        let mut names: std::collections::BTreeSet<Vec<u8>> =
            h.attribute_names().into_iter().collect();
        names.extend(bodies.iter().map(|(n, _)| n.as_bytes().to_vec()));
        Ok(names.len() > self.ext_max_compact(idx))
    }

    /// Load the dense attributes of the existing object `idx` into `Obj::attrs` (once).
    fn ext_load_dense_attrs(&mut self, idx: usize) -> Result<()> {
        if self.objs[idx].dense.attrs.is_some() {
            return Ok(());
        }
        let Some(info) = self.ext_ainfo(idx) else {
            return Err(usage("no attribute info message"));
        };
        let heap = info.fractal_heap_address;
        let mut list = Vec::new();
        let mut corders = HashMap::new();
        let mut shared = HashMap::new();
        let mut corder_index = UNDEF;
        let mut found_blocks = Vec::new();
        let mut name_index = UNDEF;
        if heap != UNDEF {
            let bt = info.name_btree_address;
            name_index = bt;
            corder_index = info.creation_order_btree_address.unwrap_or(UNDEF);
            let file = self.reader()?;
            let io = &file.inner.io;
            let mut budget = crate::hdf5::io::Budget::new(&self.limits);
            let fheap = crate::hdf5::fractal_heap::open(io, heap)?;
            let (_, records, bt_extents) =
                crate::hdf5::btree_v2::records_and_extents(io, bt, &mut budget)?;
            // What the storage occupies, freed when a commit supersedes it.
            found_blocks = fheap.extents(io, &mut crate::hdf5::io::Budget::new(&self.limits))?;
            found_blocks.extend(bt_extents);
            if corder_index != UNDEF {
                let mut b = crate::hdf5::io::Budget::new(&self.limits);
                let (_, _, e) =
                    crate::hdf5::btree_v2::records_and_extents(io, corder_index, &mut b)?;
                found_blocks.extend(e);
            }
            for r in records {
                let rec = crate::hdf5::btree_v2::decode_heap_id_record(&r, 8)?;
                let is_shared = rec.flags.unwrap_or(0) & FLAG_SHARED != 0;
                // A shared attribute: the ID is one of the shared-message heap.
                let body = if is_shared {
                    let sb = &file.inner.superblock;
                    crate::hdf5::sohm::message(io, sb, kind::ATTRIBUTE, &rec.heap_id, r.at)?
                } else {
                    fheap.get(io, &rec.heap_id, &mut budget)?
                };
                let name = crate::hdf5::message::attribute::attribute_name(&body)
                    .and_then(|n| std::str::from_utf8(n).ok())
                    .ok_or_else(|| Error::format("attribute message (dense)", r.at, "name"))?
                    .to_string();
                // libhdf5 keeps attribute creation orders under 2^16.
                let corder = u16::try_from(rec.creation_order.unwrap_or(0))
                    .map_err(|_| Error::format("v2 B-tree attribute record", r.at, "order"))?;
                corders.insert(name.clone(), corder);
                if is_shared {
                    shared.insert(name.clone(), rec.heap_id.clone());
                }
                list.push((name, body));
            }
        }
        let o = &mut self.objs[idx];
        o.dense.attrs_sig = Some(attrs_digest(&list, &shared));
        o.dense.shared = shared;
        // The storage as found: kept (and pointed at again) when the attributes end up
        // unchanged, e.g. a value replaced by an equal one.
        o.dense.attrs = Some((heap, name_index));
        o.dense.attrs_blocks = aligned_within(found_blocks);
        o.dense.huge_blocks.clear();
        o.dense.attrs_corder = corder_index;
        o.dense.attr_corder = corders;
        o.attrs = list;
        Ok(())
    }

    /// Set `bodies` on the existing object `idx`, densely (see [`Writer::ext_wants_dense`]):
    /// compact attributes still in its header move into the dense storage, as libhdf5
    /// moves them when an object switches.
    pub(super) fn ext_set_dense_attrs(
        &mut self,
        idx: usize,
        bodies: Vec<(&str, Vec<u8>)>,
    ) -> Result<()> {
        let saved = (
            self.objs[idx].attrs.clone(),
            self.objs[idx].ext.clone(),
            self.objs[idx].dense.clone(),
        );
        match self.ext_set_dense_attrs_inner(idx, bodies) {
            // The replaced shared messages (SOHM) lose a reference once the header is
            // written.
            Ok(released) => self.sohm_release_all(&released),
            Err(e) => {
                let o = &mut self.objs[idx];
                (o.attrs, o.ext, o.dense) = saved;
                Err(e)
            }
        }
    }

    /// [`Writer::ext_set_dense_attrs`]; returns the references to the shared-message heap
    /// the replaced attributes held.
    fn ext_set_dense_attrs_inner(
        &mut self,
        idx: usize,
        bodies: Vec<(&str, Vec<u8>)>,
    ) -> Result<Vec<(u16, Vec<u8>)>> {
        self.ext_to_v2(idx)?;
        self.ext_load_dense_attrs(idx)?;
        let new_orders = self.ext_attr_corders(idx, bodies.len())?;
        let o = &mut self.objs[idx];
        if let Some(h) = &mut o.ext {
            // (name, message, creation order, heap ID when shared): a shared message moves
            // into the dense storage as a shared record, keeping its reference.
            let compact: Vec<MovedAttr> = h
                .chunks
                .iter()
                .flat_map(|c| &c.msgs)
                .filter(|m| m.mtype == kind::ATTRIBUTE)
                .filter_map(|m| {
                    let n = h.attribute_name_of(m)?;
                    let name = String::from_utf8_lossy(n).into_owned();
                    if m.flags & FLAG_SHARED == 0 {
                        return Some((name, m.body.clone(), m.corder, None));
                    }
                    let (_, _, msg) = h.shared_attrs.iter().find(|(e, _, _)| *e == m.body)?;
                    let id = crate::hdf5::sohm::heap_id(&m.body)?.to_vec();
                    Some((name, msg.clone(), m.corder, Some(id)))
                })
                .collect();
            for (name, body, corder, id) in compact {
                h.remove_attribute(&name);
                o.dense.attr_corder.insert(name.clone(), corder);
                if let Some(id) = id {
                    o.dense.shared.insert(name.clone(), id);
                }
                match o.attrs.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = body,
                    None => o.attrs.push((name, body)),
                }
            }
        }
        let mut released = Vec::new();
        for ((name, body), corder) in bodies.into_iter().zip(new_orders) {
            o.dense.huge.remove(name);
            let old = o
                .attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, b)| b.as_slice());
            let refs = Self::dense_refs(self.sizes, &mut o.dense, name, old);
            released.extend(refs);
            o.dense.attr_corder.insert(name.to_string(), corder);
            match o.attrs.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = body,
                None => o.attrs.push((name.to_string(), body)),
            }
        }
        // The v1 continuation blocks it replaces are freed by that commit
        // (`EditableHeader::superseded`, as for any rewritten continuation block).
        self.commit_header(idx)?;
        Ok(released)
    }

    /// The references to the shared-message heap the dense attribute `name` (message
    /// `old`) held, which replacing or deleting it drops: its own when shared (forgotten
    /// here), else those of its shared datatype and dataspace.
    fn dense_refs(s: Sizes, d: &mut Dense, name: &str, old: Option<&[u8]>) -> Vec<(u16, Vec<u8>)> {
        match d.shared.remove(name) {
            Some(id) => vec![(kind::ATTRIBUTE, id)],
            None => old.map(|b| Self::part_refs(s, b)).unwrap_or_default(),
        }
    }

    /// Before serialising an existing header: its dense attributes (when loaded) written if
    /// changed, and the Attribute Info message pointed at them.
    pub(super) fn ext_write_dense_attrs(&mut self, idx: usize) -> Result<()> {
        if self.objs[idx].ext.is_none() || self.objs[idx].dense.attrs.is_none() {
            return Ok(());
        }
        self.write_dense_attrs(idx)?;
        let (Some(mut info), Some((heap, bt))) = (self.ext_ainfo(idx), self.objs[idx].dense.attrs)
        else {
            return Err(usage("no attribute info message"));
        };
        info.fractal_heap_address = heap;
        info.name_btree_address = bt;
        if info.creation_order_indexed {
            info.creation_order_btree_address = Some(self.objs[idx].dense.attrs_corder);
        }
        self.ext_reencode(idx, kind::ATTRIBUTE_INFO, info.encode(self.sizes))
    }

    /// An existing v1 header taking dense attributes (an attribute over 64 KiB): rewritten
    /// as a v2 header in place (`EditableHeader::to_v2`) holding an Attribute Info message
    /// (compact until the commit writes the storage), as libhdf5 writes v2 headers in
    /// superblock-v0 files.
    fn ext_to_v2(&mut self, idx: usize) -> Result<()> {
        if self.ext_ainfo(idx).is_some() {
            return Ok(());
        }
        let Some(h) = self.objs[idx].ext.as_mut() else {
            return Ok(());
        };
        // Its old continuation blocks (returned) are rewritten as `OCHK` blocks by the
        // next serialisation, which reports them superseded: freed there, not twice.
        let _old = h.to_v2()?;
        h.add(
            kind::ATTRIBUTE_INFO,
            AttributeInfo::compact().encode(self.sizes),
        )?;
        Ok(())
    }

    /// Creation orders for `n` new attributes of the existing object `idx`: the Attribute
    /// Info maximum creation index onwards (bumped in the message), when the object tracks
    /// it; zeros otherwise.
    pub(super) fn ext_attr_corders(&mut self, idx: usize, n: usize) -> Result<Vec<u16>> {
        let addr = self.objs[idx].addr;
        let Some(mut info) = self.ext_ainfo(idx).filter(|a| a.creation_order_tracked) else {
            return Ok(vec![0; n]);
        };
        let max = info.max_creation_index.unwrap_or(0);
        let end = u16::try_from(usize::from(max) + n).map_err(|_| {
            Error::unsupported(
                "more than 65535 attributes created on one object (creation order)",
                Some(addr),
            )
        })?;
        info.max_creation_index = Some(end);
        self.ext_reencode(idx, kind::ATTRIBUTE_INFO, info.encode(self.sizes))?;
        Ok((max..end).collect())
    }

    /// Delete the attribute `name` of the object at `path` (an error when it has none).
    pub fn delete_attr(&mut self, path: &str, name: &str) -> Result<()> {
        self.check()?;
        let idx = self.resolve(path)?;
        let missing = || usage(format!("{path}: no attribute {name:?}"));
        if self.objs[idx].ext.is_some() && self.ext_is_dense(idx) {
            let saved = (self.objs[idx].attrs.clone(), self.objs[idx].dense.clone());
            self.ext_load_dense_attrs(idx)?;
            let o = &mut self.objs[idx];
            let before = o.attrs.len();
            let old_body = o
                .attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, b)| b.clone());
            o.attrs.retain(|(n, _)| n != name);
            let in_header = o.ext.as_ref().is_some_and(|h| h.has_attribute(name));
            if o.attrs.len() == before && !in_header {
                (o.attrs, o.dense) = saved;
                return Err(missing());
            }
            let mut released =
                Self::dense_refs(self.sizes, &mut o.dense, name, old_body.as_deref());
            if let Some(h) = &mut o.ext {
                released.extend(Self::shared_refs(self.sizes, &h.remove_attribute(name)));
            }
            o.dense.huge.remove(name);
            self.commit_header(idx)?;
            return self.sohm_release_all(&released);
        }
        let o = &mut self.objs[idx];
        if let Some(h) = &mut o.ext {
            if !h.has_attribute(name) {
                return Err(missing());
            }
            let released = Self::shared_refs(self.sizes, &h.remove_attribute(name));
            self.commit_header(idx)?;
            return self.sohm_release_all(&released);
        }
        let before = o.attrs.clone();
        o.attrs.retain(|(n, _)| n != name);
        if o.attrs.len() == before.len() {
            return Err(missing());
        }
        o.dense.huge.remove(name);
        let r = self.commit_header(idx);
        if r.is_err() {
            self.objs[idx].attrs = before;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::read::{File, Node};

    fn big(n: usize, k: u8) -> AttrValue {
        AttrValue::Str(String::from_utf8(vec![b'a' + k; n]).unwrap())
    }

    /// A dataset with a 1 MiB attribute (dense storage) that keeps growing, and a group
    /// of 20 links in the 1.10 profile: flushes that change neither rewrite nothing of the
    /// dense storage, and replacing the attribute frees the superseded storage for reuse.
    #[test]
    fn unchanged_dense_storage_is_not_rewritten_and_superseded_is_freed() {
        for profile in [Profile::PyTables, Profile::Hdf5V110] {
            let (m, mut w) = Writer::in_memory(profile);
            let names: Vec<String> = (0..20).map(|i| format!("/g{i:02}")).collect();
            w.create_groups(&names.iter().map(String::as_str).collect::<Vec<_>>())
                .unwrap();
            let d = w
                .create_dataset(
                    "/d",
                    DatasetBuilder::new(Dtype::F64)
                        .shape(&[0])
                        .max_shape(&[None])
                        .chunks(&[4]),
                )
                .unwrap();
            w.set_attr("/d", "settings", big(1 << 20, 0)).unwrap();
            w.flush().unwrap();
            let before = m.bytes().len();
            for i in 0..50 {
                w.append(&d, &[f64::from(i); 4]).unwrap();
                w.flush().unwrap();
            }
            // 50 chunks, index nodes and header updates, no 1 MiB heap copy.
            let grown = m.bytes().len() - before;
            assert!(grown < 512 << 10, "{profile:?}: grew {grown} bytes");
            // Each replacement supersedes the previous storage: the file does not grow by
            // one attribute per replacement.
            for k in 1..6u8 {
                w.set_attr("/d", "settings", big(1 << 20, k)).unwrap();
                std::thread::sleep(free_space::COOL);
                w.flush().unwrap();
            }
            let after = m.bytes().len();
            assert!(
                after < before + grown + 3 * (1 << 20),
                "{profile:?}: {before} -> {after}"
            );
            w.close().unwrap();
            let f = File::from_bytes(m.bytes()).unwrap();
            let Node::Dataset(ds) = f.get("/d").unwrap() else {
                panic!("/d")
            };
            assert_eq!(ds.read::<f64>().unwrap().len(), 200);
            let a = ds.object().attribute("settings").unwrap().unwrap();
            assert_eq!(
                a.as_string().unwrap(),
                String::from_utf8(vec![b'f'; 1 << 20]).unwrap()
            );
            assert_eq!(f.root().unwrap().links().unwrap().len(), 21);
        }
    }

    /// A reopened file's own dense storage (heap blocks, B-tree nodes, a huge value),
    /// superseded by a commit, is freed and reused: the session grows by the new storage,
    /// not by the old one as well.
    #[test]
    fn reopened_dense_storage_superseded_is_freed() {
        for profile in [Profile::PyTables, Profile::Hdf5V110] {
            let m = crate::storage::MemWriteStorage::new();
            let opts = WriteOptions {
                profile,
                ..Default::default()
            };
            let mut w = Writer::with_storage(Box::new(m.clone()), opts).unwrap();
            w.create_group("/g").unwrap();
            w.set_attr("/g", "big", big(200 << 10, 0)).unwrap();
            for i in 0..10 {
                w.set_attr("/g", &format!("s{i}"), i64::from(i)).unwrap();
            }
            let names: Vec<String> = (0..30).map(|i| format!("/g/m{i:02}")).collect();
            w.create_groups(&names.iter().map(String::as_str).collect::<Vec<_>>())
                .unwrap();
            w.close().unwrap();
            let before = m.bytes().len();
            let mut w =
                Writer::open_with_storage(Box::new(m.clone()), WriteOptions::default()).unwrap();
            // Rewrites the attribute storage (the 200 KiB value copied anew) and, in the
            // 1.10 profile, the dense links: the file's originals are superseded.
            w.set_attr("/g", "s0", 100i64).unwrap();
            w.create_group("/g/new").unwrap();
            std::thread::sleep(free_space::COOL);
            w.flush().unwrap();
            // Lands in the freed 200 KiB.
            w.create_group("/h").unwrap();
            w.set_attr("/h", "other", big(150 << 10, 1)).unwrap();
            w.close().unwrap();
            let grown = m.bytes().len() - before;
            assert!(grown < 300 << 10, "{profile:?}: grew {grown}");
            let f = File::from_bytes(m.bytes()).unwrap();
            let Node::Group(g) = f.get("/g").unwrap() else {
                panic!("/g")
            };
            let a = g.object().attribute("big").unwrap().unwrap();
            assert_eq!(a.as_string().unwrap().len(), 200 << 10);
            assert_eq!(g.links().unwrap().len(), 31);
            let h = f.get("/h").unwrap();
            let a = h.object().attribute("other").unwrap().unwrap();
            assert_eq!(
                a.as_string().unwrap(),
                String::from_utf8(vec![b'b'; 150 << 10]).unwrap()
            );
        }
    }

    /// Reopened files (both profiles) whose objects hold dense attributes: add, replace
    /// and delete, in two sessions; every attribute reads back, the deleted ones are gone.
    #[test]
    fn reopened_dense_attributes_changed() {
        for profile in [Profile::PyTables, Profile::Hdf5V110] {
            let (m, mut w) = Writer::in_memory(profile);
            w.create_group("/g").unwrap();
            w.set_attr("/g", "big", big(70 << 10, 0)).unwrap();
            w.set_attr("/g", "small", 1i64).unwrap();
            w.close().unwrap();
            for session in 0..2u8 {
                let mut w = Writer::open_with_storage(Box::new(m.clone()), WriteOptions::default())
                    .unwrap();
                w.set_attr("/g", "small", i64::from(session) + 2).unwrap();
                w.set_attr("/g", &format!("s{session}"), big(80 << 10, session + 1))
                    .unwrap();
                if session == 1 {
                    w.delete_attr("/g", "big").unwrap();
                    assert!(matches!(w.delete_attr("/g", "big"), Err(Error::Usage(_))));
                }
                w.close().unwrap();
            }
            let f = File::from_bytes(m.bytes()).unwrap();
            let Node::Group(g) = f.get("/g").unwrap() else {
                panic!("/g")
            };
            let attrs = g.object().attributes().unwrap();
            let names: Vec<&str> = attrs
                .iter()
                .map(|a| a.name.as_str())
                .filter(|n| !["CLASS", "TITLE", "VERSION"].contains(n))
                .collect();
            assert_eq!(names, ["s0", "s1", "small"], "{profile:?}");
            let small = g.object().attribute("small").unwrap().unwrap();
            assert!(matches!(
                small.value().unwrap(),
                crate::hdf5::read::value::Value::Int(3)
            ));
            let s1 = g.object().attribute("s1").unwrap().unwrap();
            assert_eq!(s1.as_string().unwrap().len(), 80 << 10);
        }
    }
}
