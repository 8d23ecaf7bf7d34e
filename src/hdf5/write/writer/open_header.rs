//! Committing the object header of an object found in an opened file: the messages the
//! writer changes (Dataspace dims, Data Layout address, size and mask of a filtered single
//! chunk, compact data, Link Info addresses of dense links) are parsed and encoded again
//! by their message modules, in the version the file holds and at the size it holds, so
//! chunk 0 is rewritten in place; the other messages stay as found (`object_header::edit`).

use super::*;
use crate::hdf5::cursor::{Cursor, Sizes};
use crate::hdf5::message::dataspace::Dataspace;
use crate::hdf5::message::kind;

fn unsupported(what: impl Into<String>, at: u64) -> Error {
    Error::unsupported(what, Some(at))
}

/// A cursor over a message body of the header at `at` (the writer opens only files with
/// 8-byte offsets and lengths).
pub(super) fn message_cursor(body: &[u8], at: u64, s: Sizes) -> Cursor<'_> {
    Cursor::new(body, at, "object header message", s)
}

/// Replace `body` by `new`, zero-padded to the same size: a message rewritten in place
/// must not grow (its neighbours stay where they are).
pub(super) fn replace_same_size(
    body: &mut Vec<u8>,
    mut new: Vec<u8>,
    what: &str,
    at: u64,
) -> Result<()> {
    if new.len() > body.len() {
        return Err(unsupported(
            format!(
                "{what} of {} bytes re-encoded in {} bytes",
                body.len(),
                new.len()
            ),
            at,
        ));
    }
    new.resize(body.len(), 0);
    if new != *body {
        *body = new;
    }
    Ok(())
}

/// The Dataspace message `body` with current dimensions `dims`, in its own version.
/// The chunked layout message `body` naming its index at `index` instead, the same size
/// (`None`: not a chunked layout, or its encoding would change size).
pub(super) fn layout_with_index_at(
    body: &[u8],
    index: u64,
    at: u64,
    s: Sizes,
    limits: &Limits,
) -> Option<Vec<u8>> {
    let mut layout = DataLayout::parse(&mut message_cursor(body, at, s), limits).ok()?;
    let DataLayout::Chunked(l) = &mut layout else {
        return None;
    };
    l.index_address = index;
    layout.encode(s).ok().filter(|b| b.len() == body.len())
}

pub(super) fn edited_dataspace(
    body: &[u8],
    dims: &[u64],
    at: u64,
    s: Sizes,
    limits: &Limits,
) -> Result<Vec<u8>> {
    let version = body.first().copied().unwrap_or(0);
    if !matches!(version, 1 | 2) {
        return Err(unsupported("dataspace message version", at));
    }
    let mut space = Dataspace::parse(&mut message_cursor(body, at, s), limits)?;
    if space.dims.len() != dims.len() {
        return Err(Error::format(
            "dataspace message",
            at,
            format!(
                "rank {} where the dataset has {}",
                space.dims.len(),
                dims.len()
            ),
        ));
    }
    space.dims = dims.to_vec();
    space.encode_version(version, s)
}

/// The Data Layout message `body` pointing at the storage the writer holds (`None`: a
/// contiguous dataset whose data was never allocated keeps its message). Version 3 for
/// every class; versions 4/5 for chunked storage only.
pub(super) fn edited_layout(
    body: &[u8],
    store: &Store,
    at: u64,
    s: Sizes,
    limits: &Limits,
) -> Result<Option<Vec<u8>>> {
    match (body.first(), store) {
        (Some(3), _) | (Some(4 | 5), Store::Chunked(_)) => {}
        _ => return Err(unsupported("layout message version other than 3", at)),
    }
    let mut layout = DataLayout::parse(&mut message_cursor(body, at, s), limits)?;
    let mismatch = || {
        Error::format(
            "data layout message",
            at,
            "layout class differs from the dataset's",
        )
    };
    match (&mut layout, store) {
        (DataLayout::Chunked(l), Store::Chunked(c)) => {
            l.index_address = c.root;
            // A filtered single chunk: its stored size and filter mask sit beside the
            // address (layout flag bit 1).
            if let ChunkIndexing::SingleChunk {
                filtered: Some(stored),
            } = &mut l.indexing
            {
                if c.kind == ChunkIdx::Single {
                    if let Some(rec) = c.index.get(&vec![0u64; c.chunk.len()]) {
                        *stored = (u64::from(rec.size), rec.mask);
                    }
                }
            }
        }
        (DataLayout::Compact { data, .. }, Store::Compact(new)) => data.clone_from(new),
        (DataLayout::Contiguous { address, .. }, Store::Contiguous { addr, .. }) => {
            if *addr == UNDEF {
                return Ok(None);
            }
            *address = *addr;
        }
        _ => return Err(mismatch()),
    }
    // Unpadded: the found size (padded in a v1 header, as found in a v2 one, e.g. h5py's
    // 18-byte contiguous layouts) holds it; `replace_same_size` pads.
    layout.encode(s).map(Some)
}

impl Writer {
    /// The first message of `mtype` in the opened header of `idx`, decoded by its message
    /// module's `parse` (`None`: no such message, or one that does not decode).
    pub(super) fn ext_decode<T>(
        &self,
        idx: usize,
        mtype: u16,
        parse: fn(&mut Cursor<'_>, &Limits) -> Result<T>,
    ) -> Option<T> {
        let o = self.objs.get(idx)?;
        let h = o.ext.as_ref()?;
        let (ci, mi) = h.find(mtype)?;
        let body = &h.chunks.get(ci)?.msgs.get(mi)?.body;
        parse(&mut message_cursor(body, o.addr, self.sizes), &self.limits).ok()
    }

    /// Put `new` (re-encoded by its message module) in the place of the first message of
    /// `mtype` in the opened header of `idx`, at the size found there.
    pub(super) fn ext_reencode(&mut self, idx: usize, mtype: u16, new: Vec<u8>) -> Result<()> {
        let addr = self.objs[idx].addr;
        let body = self.objs[idx]
            .ext
            .as_mut()
            .and_then(|h| h.body_mut(mtype))
            .ok_or_else(|| usage(format!("internal: no message {mtype:#x} to re-encode")))?;
        replace_same_size(body, new, "object header message", addr)
    }

    /// PyTables Tables keep their row count in an int64 NROWS attribute as well as in the
    /// dataspace: keep both equal when rows are appended to an existing Table.
    pub(super) fn sync_nrows(&mut self, idx: usize) -> Result<()> {
        let rows = match &self.objs[idx].kind {
            Kind::Dataset(d) if d.refuse.is_none() => d.dims.first().copied().unwrap_or(0),
            _ => return Ok(()),
        };
        let has = self.objs[idx]
            .ext
            .as_ref()
            .is_some_and(|h| h.has_attribute("NROWS"));
        if !has {
            return Ok(());
        }
        let n = i64::try_from(rows).map_err(|_| usage("row count overflows NROWS"))?;
        let body = self.attr_body("NROWS", &AttrValue::I64(n))?;
        if let Some(h) = &mut self.objs[idx].ext {
            let before = h.clone();
            h.remove_attribute("NROWS");
            if let Err(e) = h.add(kind::ATTRIBUTE, body) {
                *h = before;
                return Err(e);
            }
        }
        Ok(())
    }

    /// Commit bytes of an existing header: its Link Info, Dataspace and Data Layout
    /// messages re-encoded with the current addresses and dims (same sizes), changed
    /// continuation chunks to new space.
    pub(super) fn ext_header_bytes(&mut self, idx: usize) -> Result<(u64, Vec<u8>)> {
        if matches!(&self.objs[idx].kind, Kind::Group(g) if g.compact) {
            // Dense links rewritten when changed, Link Info re-encoded (`links`).
            self.ext_write_links(idx)?;
        }
        self.ext_write_dense_attrs(idx)?;
        let Some(mut h) = self.objs[idx].ext.take() else {
            return Err(usage("not an existing object"));
        };
        let r = self.patch_and_serialize(idx, &mut h);
        // Replaced continuation blocks: freed once chunk 0 is written (`commit_header`).
        for (a, l) in std::mem::take(&mut h.superseded) {
            self.free.release(!idx, a, l);
        }
        self.objs[idx].ext = Some(h);
        Ok((self.objs[idx].addr, r?))
    }

    fn patch_and_serialize(&mut self, idx: usize, h: &mut EditableHeader) -> Result<Vec<u8>> {
        let addr = self.objs[idx].addr;
        if let Kind::Dataset(d) = &self.objs[idx].kind {
            // An adopted slot (module `commit`) holds dims and layout, written in place.
            if d.refuse.is_some() || self.commit.slots.contains_key(&idx) {
                return h.serialize(&mut |b| self.alloc_write(b));
            }
            let shared = h
                .find(kind::DATASPACE)
                .and_then(|(c, m)| h.chunks.get(c)?.msgs.get(m))
                .is_some_and(|m| m.flags & 0x02 != 0);
            if shared {
                // A dataspace stored once in the shared-message heap (SOHM files): the
                // header holds a reference; it stays when the dims are those found.
                let file = self.reader()?;
                let found = crate::hdf5::read::dataset::Dataset::from_object(
                    crate::hdf5::read::file::Object::open(&file, addr, String::new())?,
                )?;
                if found.shape() != d.dims.as_slice() {
                    return Err(unsupported(
                        "growing a dataset whose dataspace is a shared message (SOHM)",
                        addr,
                    ));
                }
            } else if let Some(b) = h.body_mut(kind::DATASPACE) {
                let nb = edited_dataspace(b, &d.dims, addr, self.sizes, &self.limits)?;
                replace_same_size(b, nb, "dataspace message", addr)?;
            }
            if let Some(b) = h.body_mut(kind::LAYOUT) {
                if let Some(nb) = edited_layout(b, &d.store, addr, self.sizes, &self.limits)? {
                    replace_same_size(b, nb, "data layout message", addr)?;
                }
            }
        }
        h.serialize(&mut |b| self.alloc_write(b))
    }
}
