//! Link-message groups beyond hard links in name order: creation order (h5py's
//! `track_order`: Link Info flags and maximum creation index, a creation order in every
//! Link message, a v2 B-tree of type 6 beside the name index when dense) and the links of
//! opened groups kept as found (soft, external and user-defined links, creation orders),
//! so that a group rewritten densely keeps every link byte for byte.
//!
//! An opened compact group passing its maximum of compact links (Group Info, default 8)
//! goes dense as libhdf5 does: its Link messages leave the header for a fractal heap.

use super::*;
use crate::hdf5::message::group_info::GroupInfo;
use crate::hdf5::message::link::{encode_link_ordered, LinkMessage};
use crate::hdf5::message::link_info::LinkInfo;
use crate::hdf5::message::Message;

/// One member as [`Writer::link_bodies`] lists it (see there).
pub(super) type LinkBody = (Vec<u8>, Vec<u8>, u64);

/// Creation-order state and found links of a link-message group.
#[derive(Debug, Default, Clone)]
pub(super) struct LinkOrder {
    /// Creation order tracked (Link Info flag 0x01) and indexed (0x02).
    pub tracked: bool,
    pub indexed: bool,
    /// The Link Info maximum creation index: libhdf5 stores the next order to give.
    pub next: u64,
    /// Creation order of each member (tracked groups).
    pub corder: HashMap<Vec<u8>, u64>,
    /// Link message bodies of an opened group as found, by name: loaded when its links
    /// are first rewritten (dense storage, or a compact group going dense).
    pub found: Option<BTreeMap<Vec<u8>, Vec<u8>>>,
    /// An opened compact group whose links go dense at its next commit.
    pub to_dense: bool,
}

/// Link Info of a group: creation order tracked and indexed as `o` says (maximum
/// creation index = the next order, as libhdf5 stores it), dense storage addresses.
pub(super) fn link_info(o: &LinkOrder, dense: Option<(u64, u64)>, corder_bt: u64) -> LinkInfo {
    let (heap, bt) = dense.unwrap_or((UNDEF, UNDEF));
    LinkInfo {
        creation_order_tracked: o.tracked,
        creation_order_indexed: o.indexed,
        max_creation_index: o.tracked.then_some(o.next),
        fractal_heap_address: heap,
        name_btree_address: bt,
        creation_order_btree_address: o.indexed.then_some(if dense.is_some() {
            corder_bt
        } else {
            UNDEF
        }),
    }
}

/// [`link_info`] encoded.
pub(super) fn link_info_body(
    s: Sizes,
    o: &LinkOrder,
    dense: Option<(u64, u64)>,
    corder_bt: u64,
) -> Vec<u8> {
    link_info(o, dense, corder_bt).encode(s)
}

/// The creation-order state of a link-message group found in a file.
pub(super) fn order_of(
    obj: &crate::hdf5::read::file::Object,
    links: &[crate::hdf5::read::Link],
) -> Result<LinkOrder> {
    let mut o = LinkOrder::default();
    if let Some(Message::LinkInfo(li)) = obj.first(kind::LINK_INFO)? {
        o.tracked = li.creation_order_tracked;
        o.indexed = li.creation_order_indexed;
        o.next = li.max_creation_index.unwrap_or(0);
    }
    if o.tracked {
        for l in links {
            if let Some(c) = l.creation_order {
                o.corder.insert(l.name.as_bytes().to_vec(), c);
                // A file whose maximum lags behind its links must not get duplicates.
                o.next = o.next.max(c.saturating_add(1));
            }
        }
    }
    Ok(o)
}

impl Writer {
    fn order_mut(&mut self, gidx: usize) -> Result<&mut LinkOrder> {
        match &mut self.objs[gidx].kind {
            Kind::Group(g) => Ok(&mut g.order),
            Kind::Dataset(_) => Err(usage("not a group")),
        }
    }

    /// The Link message body, creation order and name of every member of the link-message
    /// group `gidx`, by name: as found in the file, or encoded (members we added).
    pub(super) fn link_bodies(&self, gidx: usize) -> Result<Vec<LinkBody>> {
        let Kind::Group(g) = &self.objs[gidx].kind else {
            return Err(usage("not a group"));
        };
        let o = &g.order;
        let mut out = Vec::with_capacity(g.entries.len());
        for (k, e) in &g.entries {
            let corder = o.corder.get(k).copied();
            let body = match o.found.as_ref().and_then(|f| f.get(k)) {
                Some(b) => b.clone(),
                None if e.header == UNDEF => {
                    return Err(Error::format(
                        "link message",
                        self.objs[gidx].addr,
                        "a link of the group was not found",
                    ))
                }
                None => encode_link_ordered(self.sizes, k, e.header, corder.filter(|_| o.tracked))?,
            };
            out.push((k.clone(), body, corder.unwrap_or(0)));
        }
        Ok(out)
    }

    /// A new member `key` of group `gidx`: its creation order (tracked groups), and for an
    /// opened group, a Link message in its header, or its links kept for a dense rewrite
    /// at commit (dense already, or passing the maximum of compact links).
    pub(super) fn ext_add_link(&mut self, gidx: usize, key: &[u8], header: u64) -> Result<()> {
        let count = match &self.objs[gidx].kind {
            Kind::Group(g) => g.entries.len() + 1,
            Kind::Dataset(_) => return Err(usage("not a group")),
        };
        let o = self.order_mut(gidx)?;
        let corder = if o.tracked {
            let c = o.next;
            o.next = c
                .checked_add(1)
                .ok_or_else(|| usage("creation order overflows"))?;
            o.corder.insert(key.to_vec(), c);
            Some(c)
        } else {
            None
        };
        if self.objs[gidx].ext.is_none() {
            return Ok(());
        }
        if self.ext_dense_links(gidx) {
            return self.ext_load_links(gidx);
        }
        if count > self.ext_max_compact_links(gidx) {
            self.ext_load_links(gidx)?;
            self.order_mut(gidx)?.to_dense = true;
            if let Some(h) = &mut self.objs[gidx].ext {
                h.remove_messages(kind::LINK);
            }
            return Ok(());
        }
        let body = encode_link_ordered(self.sizes, key, header, corder)?;
        match &mut self.objs[gidx].ext {
            Some(h) => h.add(kind::LINK, body),
            None => Ok(()),
        }
    }

    /// The maximum of compact links of an opened group (its Group Info message, else
    /// libhdf5's default).
    fn ext_max_compact_links(&self, gidx: usize) -> usize {
        let default = dense::MAX_COMPACT_LINKS as u16;
        let found = self
            .ext_decode(gidx, kind::GROUP_INFO, GroupInfo::parse)
            .and_then(|g| g.link_phase_change)
            .map(|(max_compact, _)| max_compact);
        usize::from(found.unwrap_or(default))
    }

    /// Load the Link messages of the opened group `gidx` as found (once): from its dense
    /// storage, whose addresses become the group's current ones (kept while no link
    /// changes), or from its header.
    pub(super) fn ext_load_links(&mut self, gidx: usize) -> Result<()> {
        if let Kind::Group(g) = &self.objs[gidx].kind {
            if g.order.found.is_some() {
                return Ok(());
            }
        }
        let addr = self.objs[gidx].addr;
        let Some(h) = self.objs[gidx].ext.as_ref() else {
            return Ok(());
        };
        let limits = self.limits;
        let mut bodies: Vec<Vec<u8>> = h
            .chunks
            .iter()
            .flat_map(|c| &c.msgs)
            .filter(|m| m.mtype == kind::LINK)
            .map(|m| m.body.clone())
            .collect();
        let li = h
            .find(kind::LINK_INFO)
            .and_then(|(ci, mi)| h.chunks.get(ci)?.msgs.get(mi))
            .map(|m| m.body.clone());
        let mut dense = None;
        let mut found_blocks = Vec::new();
        if let Some(li) = li {
            let file = self.reader()?;
            let io = &file.inner.io;
            let mut c = io.cursor(&li, addr, "link info message");
            let info = crate::hdf5::message::link_info::LinkInfo::parse(&mut c, &limits)?;
            if info.fractal_heap_address != UNDEF {
                let mut budget = crate::hdf5::io::Budget::new(&limits);
                let heap = crate::hdf5::fractal_heap::open(io, info.fractal_heap_address)?;
                let (_, records, mut extents) = crate::hdf5::btree_v2::records_and_extents(
                    io,
                    info.name_btree_address,
                    &mut budget,
                )?;
                // What the storage occupies, freed when a commit supersedes it.
                let mut b = crate::hdf5::io::Budget::new(&limits);
                extents.extend(heap.extents(io, &mut b)?);
                if let Some(c) = info.creation_order_btree_address.filter(|&c| c != UNDEF) {
                    let (_, _, e) = crate::hdf5::btree_v2::records_and_extents(io, c, &mut b)?;
                    extents.extend(e);
                }
                found_blocks = super::dense::aligned_within(extents);
                for r in records {
                    let rec = crate::hdf5::btree_v2::decode_heap_id_record(&r, 5)?;
                    bodies.push(heap.get(io, &rec.heap_id, &mut budget)?);
                }
                dense = Some((
                    info.fractal_heap_address,
                    info.name_btree_address,
                    info.creation_order_btree_address.unwrap_or(UNDEF),
                ));
            }
        }
        let mut found = BTreeMap::new();
        for b in bodies {
            let mut c = crate::hdf5::cursor::Cursor::new(&b, addr, "link message", self.sizes);
            let l = LinkMessage::parse(&mut c, &limits)?;
            found.insert(l.name.into_bytes(), b);
        }
        self.order_mut(gidx)?.found = Some(found);
        if let Some((heap, bt, cbt)) = dense {
            let sig = dense::link_digest(&self.link_bodies(gidx)?);
            let d = &mut self.objs[gidx].dense;
            d.links = Some((heap, bt));
            d.links_corder = cbt;
            d.links_sig = Some(sig);
            d.links_blocks = found_blocks;
        }
        Ok(())
    }

    /// Before serialising an opened group's header: its dense links written when changed
    /// and its Link Info message rebuilt (same size: the flags are the file's).
    pub(super) fn ext_write_links(&mut self, gidx: usize) -> Result<()> {
        let (tracked, to_dense) = match &self.objs[gidx].kind {
            Kind::Group(g) => (g.order.tracked, g.order.to_dense),
            Kind::Dataset(_) => return Ok(()),
        };
        let dense = to_dense || self.ext_dense_links(gidx);
        if !dense && !tracked {
            return Ok(());
        }
        if dense {
            self.ext_load_links(gidx)?;
            self.write_dense_links(gidx)?;
        }
        let addr = self.objs[gidx].addr;
        let info = match &self.objs[gidx].kind {
            Kind::Group(g) => link_info(
                &g.order,
                self.objs[gidx].dense.links.filter(|_| dense),
                self.objs[gidx].dense.links_corder,
            ),
            Kind::Dataset(_) => return Ok(()),
        };
        if let Some(b) = self.objs[gidx]
            .ext
            .as_mut()
            .and_then(|h| h.body_mut(kind::LINK_INFO))
        {
            // The flags are the file's (`order_of`): the same size (a v1 header's padding
            // kept).
            let found = LinkInfo::parse(
                &mut open_header::message_cursor(b, addr, self.sizes),
                &self.limits,
            )?;
            if (found.creation_order_tracked, found.creation_order_indexed)
                != (info.creation_order_tracked, info.creation_order_indexed)
            {
                return Err(Error::format("link info message", addr, "flags changed"));
            }
            open_header::replace_same_size(b, info.encode(self.sizes), "link info message", addr)?;
        }
        if let Kind::Group(g) = &mut self.objs[gidx].kind {
            g.order.to_dense = false;
        }
        Ok(())
    }
}
