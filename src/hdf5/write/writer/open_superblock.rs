//! What an opened file's superblock and its extension ask of the writer (`Writer::open`): a
//! metadata cache image written home and dropped, the v1 B-tree K values nodes are written
//! with, the page size of paged aggregation, and the user block the storage starts after.

use super::*;
use crate::hdf5::message::kind;
use crate::hdf5::read::file::File;

fn unsupported(what: impl Into<String>, at: u64) -> Error {
    Error::unsupported(what, Some(at))
}

/// Message type of the metadata cache image message (superblock extension).
const CACHE_IMAGE_MESSAGE: u16 = 0x18;

/// A file closed with a metadata cache image (HDF5 1.10+, `H5Pset_mdc_image_config`) holds
/// some metadata only in the image: every entry is written to its home address, synced, then
/// the image message of the superblock extension becomes NIL space in one in-place write of
/// the extension header (the image block stays, unreferenced). A kill before that write
/// leaves the image in force (its entries and their homes now agree); after it, the homes.
pub(super) fn drop_cache_image(
    shared: &SharedStorage,
    file: &File,
    limits: &crate::Limits,
) -> Result<()> {
    let io = &file.inner.io;
    let ext = file.superblock().extension_address;
    let mut hdr = EditableHeader::load(ext, io.sizes, limits, &|a, l| {
        io.read(a, l, "superblock extension")
    })?;
    if hdr.find(CACHE_IMAGE_MESSAGE).is_none() {
        return Err(unsupported("metadata cache image without its message", ext));
    }
    let mut st = shared.clone();
    for (addr, bytes) in io.overlay.iter() {
        let at = io
            .base
            .checked_add(*addr)
            .ok_or_else(|| Error::format("metadata cache image", *addr, "address overflow"))?;
        st.write_at(at, bytes)?;
    }
    st.sync()?;
    hdr.remove_messages(CACHE_IMAGE_MESSAGE);
    let bytes = hdr.serialize(&mut |_| {
        Err(unsupported(
            "a metadata cache image message in a continuation block of the superblock extension",
            ext,
        ))
    })?;
    st.write_at(io.base.saturating_add(ext), &bytes)?;
    st.sync()?;
    Ok(())
}

/// The file's v1 B-tree K values: stored in superblocks v0/v1 (v0 has no chunk K: 32), in
/// the B-tree 'K' values message (0x13) of a v2/v3 superblock's extension, else HDF5's
/// defaults 4/16/32. A K of 0 (no node could hold an entry) is a format error.
pub(super) fn btree_k(file: &File) -> Result<BtreeK> {
    let sb = file.superblock();
    let mut k = BtreeK::default();
    if sb.version < 2 {
        k.leaf = usize::from(sb.group_leaf_k);
        k.internal = usize::from(sb.group_internal_k);
        k.chunk = usize::from(sb.indexed_storage_k);
    } else if sb.extension_address != UNDEF {
        let ext = crate::hdf5::object_header::read(&file.inner.io, sb.extension_address)?;
        if let Some(m) = ext.messages.iter().find(|m| m.msg_type == kind::BTREE_K) {
            // Version 0, then indexed storage K, group internal K, group leaf K (u16 each).
            let u = |i: usize| {
                m.data
                    .get(i..i + 2)
                    .and_then(|b| <[u8; 2]>::try_from(b).ok())
                    .map(|b| usize::from(u16::from_le_bytes(b)))
                    .ok_or_else(|| Error::format("B-tree K values message", m.at, "short"))
            };
            if m.data.first() != Some(&0) {
                return Err(unsupported(
                    "a B-tree 'K' values message of version other than 0",
                    m.at,
                ));
            }
            k.chunk = u(1)?;
            k.internal = u(3)?;
            k.leaf = u(5)?;
        }
    }
    if k.leaf == 0 || k.internal == 0 || k.chunk == 0 {
        return Err(Error::format("superblock", 16, "a B-tree K of 0"));
    }
    Ok(k)
}

/// Message type of the file space info message (superblock extension, HDF5 1.10+).
const FSINFO_MESSAGE: u16 = 0x17;

/// Strategy number of paged aggregation in the file space info message (version 1).
const STRATEGY_PAGE: u8 = 1;

/// The page size of a file using paged aggregation (file space info message version 1 in
/// the superblock extension, strategy `H5F_FSPACE_STRATEGY_PAGE`), else 0. Version 0
/// (HDF5 1.10.0) has no paging.
pub(super) fn fs_page_size(file: &File) -> Result<u64> {
    let sb = file.superblock();
    if sb.version < 2 || sb.extension_address == UNDEF {
        return Ok(0);
    }
    let ext = crate::hdf5::object_header::read(&file.inner.io, sb.extension_address)?;
    let Some(m) = ext.messages.iter().find(|m| m.msg_type == FSINFO_MESSAGE) else {
        return Ok(0);
    };
    // Version, strategy, persist, threshold (length), page size (length), ...
    let (Some(&version), Some(&strategy)) = (m.data.first(), m.data.get(1)) else {
        return Err(Error::format("file space info message", m.at, "short"));
    };
    if version == 0 || strategy != STRATEGY_PAGE {
        return Ok(0);
    }
    let mut c = file
        .inner
        .io
        .cursor(&m.data, m.at, "file space info message");
    let page = c
        .skip(3)
        .and_then(|_| c.length())
        .and_then(|_| c.length())
        .map_err(|_| Error::format("file space info message", m.at, "short"))?;
    if page == 0 {
        return Err(Error::format(
            "file space info message",
            m.at,
            "page size 0",
        ));
    }
    Ok(page)
}

/// The writer's storage over a file with a user block: offset 0 is the base address (the
/// superblock), so every address the file stores is an offset here; the user block is never
/// touched, and lengths exclude it.
pub(super) struct Based {
    pub(super) inner: SharedStorage,
    pub(super) base: u64,
}

impl Based {
    fn at(&self, offset: u64) -> std::io::Result<u64> {
        offset
            .checked_add(self.base)
            .ok_or_else(|| std::io::Error::other("address overflow past the user block"))
    }
}

impl WriteStorage for Based {
    fn len(&self) -> std::io::Result<u64> {
        Ok(WriteStorage::len(&self.inner)?.saturating_sub(self.base))
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        WriteStorage::read_at(&self.inner, self.at(offset)?, buf)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        let at = self.at(offset)?;
        self.inner.write_at(at, data)
    }
    fn set_len(&mut self, n: u64) -> std::io::Result<()> {
        let at = self.at(n)?;
        self.inner.set_len(at)
    }
    fn sync(&mut self) -> std::io::Result<()> {
        self.inner.sync()
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
