//! Pure encoders for the HDF5 1.10 write profile (no I/O), used when
//! [`super::WriteOptions::profile`] is [`super::Profile::Hdf5V110`].
//!
//! Spec (HDF5 File Format 3.0): superblock v3 (II.A), v2 object header prefix, messages and
//! continuation block `OCHK` (IV.A.1.b), Link Info (IV.A.2.c), Link (IV.A.2.g), Group
//! Info (IV.A.2.k), Attribute Info (IV.A.2.v), Data Layout v4 (IV.A.2.i), Fixed Array
//! `FAHD`/`FADB` and Extensible Array `EAHD`/`EAIB`/`EASB`/`EADB` (VII.C/VII.D).
//! Every checksum is Jenkins lookup3 over the bytes before it. Sizes of offsets and
//! lengths are always 8. The array parameters are HDF5's defaults for chunk indexes
//! (`H5D_FARRAY_*`, `H5D_EARRAY_*` in H5Dpkg.h), so h5py/HDF5 and our reader agree on
//! the element layout.

use std::collections::BTreeMap;

use super::encode::UNDEF;
use crate::error::{Error, Result};
use crate::hdf5::checksum::lookup3;

/// Size of superblock v3 with 8-byte offsets and lengths (checksum included).
pub const SUPERBLOCK_V3_SIZE: u64 = 48;
/// v2 object header prefix: `OHDR`, version, flags, phase-change values, chunk-0 size (u32).
pub const OHDR_PREFIX: usize = 4 + 1 + 1 + 4 + 4;
/// v2 header flags: chunk-0 size on 4 bytes (bits 0-1 = 2), attribute phase-change values
/// stored (bit 4).
pub const OHDR_FLAGS: u8 = 0x02 | 0x10;
/// Attribute phase change stored in every header: attributes stay compact up to 65535.
pub const ATTR_MAX_COMPACT: u16 = u16::MAX;
/// HDF5's default minimum number of dense attributes.
pub const ATTR_MIN_DENSE: u16 = 6;
/// Link phase change stored in every group's Group Info: links stay compact (messages in
/// the group's header) up to 65535, the largest value HDF5 accepts.
pub const LINK_MAX_COMPACT: u16 = u16::MAX;
/// HDF5's default minimum number of dense links.
pub const LINK_MIN_DENSE: u16 = 6;
/// v2 message header: type u8, size u16, flags u8.
pub const MSG_HEADER_V2: usize = 4;

/// Message type numbers added by this profile.
pub mod msg {
    /// Link Info.
    pub const LINK_INFO: u16 = 0x2;
    /// Link.
    pub const LINK: u16 = 0x6;
    /// Group Info.
    pub const GROUP_INFO: u16 = 0xA;
    /// Attribute Info.
    pub const ATTR_INFO: u16 = 0x15;
}

fn usage(m: impl Into<String>) -> Error {
    Error::Usage(m.into())
}

fn seal(mut v: Vec<u8>) -> Vec<u8> {
    let s = lookup3(&v);
    v.extend_from_slice(&s.to_le_bytes());
    v
}

/// Encode superblock v3 (48 bytes): sizes 8/8, file consistency flags 0 (a killed writer
/// must not leave a file HDF5 refuses to open), base 0, no extension, `eof`, root object
/// header address, checksum.
pub fn encode_superblock_v3(eof: u64, root: u64) -> Vec<u8> {
    let mut out = b"\x89HDF\r\n\x1a\n".to_vec();
    out.extend_from_slice(&[3, 8, 8, 0]);
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&UNDEF.to_le_bytes());
    out.extend_from_slice(&eof.to_le_bytes());
    out.extend_from_slice(&root.to_le_bytes());
    seal(out)
}

/// Append one v2 header message (type u8, size u16, flags u8, body).
pub fn push_message_v2(out: &mut Vec<u8>, ty: u16, body: &[u8]) -> Result<()> {
    let t = u8::try_from(ty).map_err(|_| usage("message type above 255"))?;
    let n = u16::try_from(body.len()).map_err(|_| usage("header message of 64 KiB or more"))?;
    out.push(t);
    out.extend_from_slice(&n.to_le_bytes());
    out.push(0);
    out.extend_from_slice(body);
    Ok(())
}

/// Fill `area` up to `cap` bytes: NIL messages, then (fewer than 4 bytes left) a gap.
pub fn fill_nil_v2(area: &mut Vec<u8>, cap: usize) {
    while cap.saturating_sub(area.len()) >= MSG_HEADER_V2 {
        let body = (cap - area.len() - MSG_HEADER_V2).min(usize::from(u16::MAX));
        area.push(0);
        area.extend_from_slice(&(body as u16).to_le_bytes());
        area.push(0);
        area.resize(area.len() + body, 0);
    }
    area.resize(cap.max(area.len()), 0);
}

/// Encode a v2 object header chunk 0 around its message area (messages and gap):
/// prefix, `area`, checksum. Total `OHDR_PREFIX + area.len() + 4` bytes.
pub fn encode_ohdr(area: &[u8]) -> Result<Vec<u8>> {
    let n = u32::try_from(area.len()).map_err(|_| usage("object header chunk over 4 GiB"))?;
    let mut out = Vec::with_capacity(OHDR_PREFIX + area.len() + 4);
    out.extend_from_slice(b"OHDR");
    out.push(2);
    out.push(OHDR_FLAGS);
    out.extend_from_slice(&ATTR_MAX_COMPACT.to_le_bytes());
    out.extend_from_slice(&ATTR_MIN_DENSE.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(area);
    Ok(seal(out))
}

/// Encode a v2 continuation block: `OCHK`, messages, checksum.
pub fn encode_ochk(msgs: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(msgs.len() + 8);
    out.extend_from_slice(b"OCHK");
    out.extend_from_slice(msgs);
    seal(out)
}

/// Link Info message body (version 0, no creation order, compact: no heap, no B-tree).
pub fn encode_link_info() -> Vec<u8> {
    let mut out = vec![0, 0];
    out.extend_from_slice(&UNDEF.to_le_bytes());
    out.extend_from_slice(&UNDEF.to_le_bytes());
    out
}

/// Attribute Info message body (version 0, no creation order, compact attributes).
pub fn encode_attr_info() -> Vec<u8> {
    encode_link_info()
}

/// Group Info message body: version 0, link phase change stored.
pub fn encode_group_info() -> Vec<u8> {
    let mut out = vec![0, 1];
    out.extend_from_slice(&LINK_MAX_COMPACT.to_le_bytes());
    out.extend_from_slice(&LINK_MIN_DENSE.to_le_bytes());
    out
}

/// Link message body (version 1) of a hard link `name` → object header `addr`. Names
/// that are not ASCII are marked UTF-8.
pub fn encode_link(name: &[u8], addr: u64) -> Result<Vec<u8>> {
    let nb = name;
    if nb.is_empty() {
        return Err(usage("empty link name"));
    }
    let utf8 = !name.is_ascii();
    let mut out = vec![1];
    let (width, code) = if nb.len() < 256 {
        (1, 0u8)
    } else if nb.len() < 65536 {
        (2, 1u8)
    } else {
        return Err(usage("link name of 64 KiB or more"));
    };
    out.push(code | if utf8 { 0x10 } else { 0 });
    if utf8 {
        out.push(1);
    }
    out.extend_from_slice(&(nb.len() as u64).to_le_bytes()[..width]);
    out.extend_from_slice(nb);
    out.extend_from_slice(&addr.to_le_bytes());
    Ok(out)
}

/// Chunk index of a layout v4 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index110 {
    /// Fixed array (type 3): no unlimited dimension.
    Fixed,
    /// Extensible array (type 4): exactly one unlimited dimension.
    Extensible,
}

/// Fixed array page bits (`H5D_FARRAY_MAX_DBLK_PAGE_NELMTS_BITS`).
pub const FA_PAGE_BITS: u8 = 10;
/// Extensible array parameters (`H5D_EARRAY_*`): max elements bits, index block elements,
/// secondary block min data pointers, data block min elements, page bits.
pub const EA_MAX_BITS: u8 = 32;
/// Elements in the index block.
pub const EA_IDX_ELMTS: u8 = 4;
/// Secondary block min data block pointers.
pub const EA_MIN_PTRS: u8 = 4;
/// Data block min elements.
pub const EA_MIN_ELMTS: u8 = 16;
/// log2 of the elements per data block page.
pub const EA_PAGE_BITS: u8 = 10;

/// Bytes needed for the largest of `dims` (at least 1).
fn dim_width(dims: &[u64]) -> usize {
    let m = dims.iter().copied().max().unwrap_or(1).max(1);
    (64 - m.leading_zeros() as usize).div_ceil(8).max(1)
}

/// Data Layout message v4, chunked class: `dims` are the chunk dims plus the element
/// size; `addr` the array header (undefined before the first chunk).
pub fn encode_layout_v4(index: Index110, addr: u64, dims: &[u64]) -> Result<Vec<u8>> {
    let nd = u8::try_from(dims.len()).map_err(|_| usage("rank too large"))?;
    let w = dim_width(dims);
    let mut out = vec![4, 2, 0, nd, w as u8];
    for d in dims {
        out.extend_from_slice(&d.to_le_bytes()[..w]);
    }
    match index {
        Index110::Fixed => out.extend_from_slice(&[3, FA_PAGE_BITS]),
        Index110::Extensible => out.extend_from_slice(&[
            4,
            EA_MAX_BITS,
            EA_IDX_ELMTS,
            EA_MIN_PTRS,
            EA_MIN_ELMTS,
            EA_PAGE_BITS,
        ]),
    }
    out.extend_from_slice(&addr.to_le_bytes());
    Ok(out)
}

/// One array element: chunk address, stored size, filter mask.
pub type Elem = (u64, u64, u32);

/// Width of the stored chunk size of a filtered element, as HDF5 computes it from the
/// unfiltered chunk size (`1 + (log2(size) + 8) / 8`, at most 8).
pub fn chunk_size_len(chunk_bytes: u64) -> usize {
    let log2 = 63 - chunk_bytes.max(1).leading_zeros() as usize;
    (1 + (log2 + 8) / 8).min(8)
}

/// How array elements are encoded for one dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElemFmt {
    /// `Some(width of the size field)` for filtered chunks.
    pub filtered: Option<usize>,
}

impl ElemFmt {
    /// Bytes per element.
    pub fn size(&self) -> usize {
        match self.filtered {
            Some(w) => 8 + w + 4,
            None => 8,
        }
    }
    fn client(&self) -> u8 {
        u8::from(self.filtered.is_some())
    }
    fn push(&self, e: Option<&Elem>, out: &mut Vec<u8>) -> Result<()> {
        let (a, s, m) = e.copied().unwrap_or((UNDEF, 0, 0));
        out.extend_from_slice(&a.to_le_bytes());
        if let Some(w) = self.filtered {
            if w < 8 && s >> (8 * w) != 0 {
                return Err(usage(format!(
                    "stored chunk of {s} bytes does not fit the {w}-byte size field of the \
                     chunk index"
                )));
            }
            out.extend_from_slice(&s.to_le_bytes()[..w]);
            out.extend_from_slice(&m.to_le_bytes());
        }
        Ok(())
    }
}

/// Fixed array header `FAHD` (28 bytes).
pub fn encode_fahd(fmt: ElemFmt, nelmts: u64, dblock: u64) -> Vec<u8> {
    let mut out = b"FAHD".to_vec();
    out.extend_from_slice(&[0, fmt.client(), fmt.size() as u8, FA_PAGE_BITS]);
    out.extend_from_slice(&nelmts.to_le_bytes());
    out.extend_from_slice(&dblock.to_le_bytes());
    seal(out)
}

/// Fixed array data block `FADB` of `nelmts` elements (header at `hdr`); paged (every
/// page stored, every page-init bit set) above 2^10 elements.
pub fn encode_fadb(fmt: ElemFmt, hdr: u64, nelmts: u64, elems: &BTreeMap<u64, Elem>) -> Result<Vec<u8>> {
    let mut out = b"FADB".to_vec();
    out.extend_from_slice(&[0, fmt.client()]);
    out.extend_from_slice(&hdr.to_le_bytes());
    let page_n = 1u64 << FA_PAGE_BITS;
    if nelmts <= page_n {
        for i in 0..nelmts {
            fmt.push(elems.get(&i), &mut out)?;
        }
        return Ok(seal(out));
    }
    let npages = nelmts.div_ceil(page_n);
    let mut bitmap = vec![0u8; usize::try_from(npages.div_ceil(8)).map_err(|_| usage("too many pages"))?];
    for p in 0..npages {
        bitmap[(p / 8) as usize] |= 0x80 >> (p % 8);
    }
    out.extend_from_slice(&bitmap);
    let mut out = seal(out);
    for p in 0..npages {
        let first = p * page_n;
        let mut page = Vec::new();
        for i in first..(first + page_n).min(nelmts) {
            fmt.push(elems.get(&i), &mut page)?;
        }
        out.extend_from_slice(&seal(page));
    }
    Ok(out)
}

/// Statistics stored in an `EAHD`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EaStats {
    /// Secondary blocks and their total size.
    pub nsuper_blks: u64,
    /// Total bytes of secondary blocks.
    pub super_blk_size: u64,
    /// Data blocks.
    pub ndata_blks: u64,
    /// Total bytes of data blocks.
    pub data_blk_size: u64,
    /// One more than the largest element index set.
    pub max_idx_set: u64,
    /// Elements realized (index block + data blocks).
    pub nelmts: u64,
}

/// Extensible array header `EAHD` (72 bytes).
pub fn encode_eahd(fmt: ElemFmt, st: &EaStats, iblock: u64) -> Vec<u8> {
    let mut out = b"EAHD".to_vec();
    out.extend_from_slice(&[
        0,
        fmt.client(),
        fmt.size() as u8,
        EA_MAX_BITS,
        EA_IDX_ELMTS,
        EA_MIN_ELMTS,
        EA_MIN_PTRS,
        EA_PAGE_BITS,
    ]);
    for v in [
        st.nsuper_blks,
        st.super_blk_size,
        st.ndata_blks,
        st.data_blk_size,
        st.max_idx_set,
        st.nelmts,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&iblock.to_le_bytes());
    seal(out)
}

/// Bytes of the block offset field of EA blocks (`max bits` rounded up to bytes).
const EA_OFF_LEN: usize = (EA_MAX_BITS as usize).div_ceil(8);

/// One super block of the extensible array: (data blocks, elements per data block,
/// first element index after the index-block elements).
fn ea_super_blocks() -> Vec<(u64, u64, u64)> {
    let nsblks = 1 + u32::from(EA_MAX_BITS) - u32::from(EA_MIN_ELMTS).trailing_zeros();
    let mut out = Vec::new();
    let mut start = 0u64;
    for s in 0..nsblks {
        let ndb = 1u64 << (s / 2);
        let n = (1u64 << s.div_ceil(2)) * u64::from(EA_MIN_ELMTS);
        out.push((ndb, n, start));
        start += ndb * n;
    }
    out
}

fn ea_prefix(sig: &[u8; 4], fmt: ElemFmt, hdr: u64) -> Vec<u8> {
    let mut out = sig.to_vec();
    out.extend_from_slice(&[0, fmt.client()]);
    out.extend_from_slice(&hdr.to_le_bytes());
    out
}

/// Encode one EA data block of `n` elements starting at global element `first` (block
/// offset `off`): unpaged, or (n > 2^page bits) a sealed prefix followed by sealed pages.
fn ea_dblock(fmt: ElemFmt, hdr: u64, off: u64, first: u64, n: u64, elems: &BTreeMap<u64, Elem>) -> Result<Vec<u8>> {
    let mut out = ea_prefix(b"EADB", fmt, hdr);
    out.extend_from_slice(&off.to_le_bytes()[..EA_OFF_LEN]);
    let page_n = 1u64 << EA_PAGE_BITS;
    if n <= page_n {
        for i in first..first + n {
            fmt.push(elems.get(&i), &mut out)?;
        }
        return Ok(seal(out));
    }
    let mut out = seal(out);
    for p in 0..n / page_n {
        let mut page = Vec::new();
        let s = first + p * page_n;
        for i in s..s + page_n {
            fmt.push(elems.get(&i), &mut page)?;
        }
        out.extend_from_slice(&seal(page));
    }
    Ok(out)
}

/// Write the blocks of an extensible array holding `elems` (element index → element)
/// whose header is at `hdr`: data blocks, secondary blocks, then the index block, each
/// through `write` (which returns the block's address). Returns the index block address
/// and the header statistics. Blocks holding no element are not written (undefined
/// address).
pub fn write_earray(
    fmt: ElemFmt,
    hdr: u64,
    elems: &BTreeMap<u64, Elem>,
    write: &mut dyn FnMut(Vec<u8>) -> Result<u64>,
) -> Result<(u64, EaStats)> {
    let mut st = EaStats {
        max_idx_set: elems.keys().next_back().map_or(0, |k| k + 1),
        nelmts: u64::from(EA_IDX_ELMTS),
        ..EaStats::default()
    };
    let any_in = |lo: u64, hi: u64| elems.range(lo..hi).next().is_some();
    let idx0 = u64::from(EA_IDX_ELMTS);
    let iblock_sblks = 2 * (EA_MIN_PTRS.trailing_zeros() as usize);
    let mut dblk_addrs = Vec::new();
    let mut sblk_addrs = Vec::new();
    let page_n = 1u64 << EA_PAGE_BITS;
    for (s, (ndb, n, start)) in ea_super_blocks().into_iter().enumerate() {
        let mut addrs = Vec::with_capacity(ndb as usize);
        let mut any = false;
        for k in 0..ndb {
            let off = start + k * n;
            let first = idx0 + off;
            if any_in(first, first.saturating_add(n)) {
                let b = ea_dblock(fmt, hdr, off, first, n, elems)?;
                st.ndata_blks += 1;
                st.data_blk_size += b.len() as u64;
                st.nelmts += n;
                addrs.push(write(b)?);
                any = true;
            } else {
                addrs.push(UNDEF);
            }
        }
        if s < iblock_sblks {
            dblk_addrs.extend(addrs);
            continue;
        }
        if !any {
            sblk_addrs.push(UNDEF);
            continue;
        }
        let mut b = ea_prefix(b"EASB", fmt, hdr);
        b.extend_from_slice(&start.to_le_bytes()[..EA_OFF_LEN]);
        if n > page_n {
            // Page-init bitmap: `ndb * ceil(npages / 8)` bytes, but one continuous bit
            // string where page `p` of data block `k` is bit `k * npages + p` (MSB first,
            // as `H5EA__lookup_elmt` reads it). Every page of a written data block is
            // stored.
            let npages = n / page_n;
            let mut bits = vec![0u8; addrs.len() * npages.div_ceil(8) as usize];
            for (k, a) in addrs.iter().enumerate() {
                if *a != UNDEF {
                    for p in 0..npages {
                        let i = (k as u64 * npages + p) as usize;
                        bits[i / 8] |= 0x80 >> (i % 8);
                    }
                }
            }
            b.extend_from_slice(&bits);
        }
        for a in &addrs {
            b.extend_from_slice(&a.to_le_bytes());
        }
        let b = seal(b);
        st.nsuper_blks += 1;
        st.super_blk_size += b.len() as u64;
        sblk_addrs.push(write(b)?);
    }
    let mut ib = ea_prefix(b"EAIB", fmt, hdr);
    for i in 0..idx0 {
        fmt.push(elems.get(&i), &mut ib)?;
    }
    for a in dblk_addrs.iter().chain(&sblk_addrs) {
        ib.extend_from_slice(&a.to_le_bytes());
    }
    let iblock = write(seal(ib))?;
    Ok((iblock, st))
}

/// Linear element index of the chunk with scaled coordinates `scaled` in an extensible
/// array: row-major over the grid of the maximum dimensions with the unlimited
/// dimension `ud` moved to the slowest position (`grid[ud]` is ignored).
pub fn ea_index(scaled: &[u64], ud: usize, grid: &[u64]) -> Option<u64> {
    let mut idx = scaled.get(ud).copied()?;
    for (d, (s, g)) in scaled.iter().zip(grid).enumerate() {
        if d != ud {
            idx = idx.checked_mul(*g)?.checked_add(*s)?;
        }
    }
    Some(idx)
}

/// Linear element index of a chunk in a fixed array: row-major over `grid`.
pub fn fa_index(scaled: &[u64], grid: &[u64]) -> Option<u64> {
    let mut idx = 0u64;
    for (s, g) in scaled.iter().zip(grid) {
        idx = idx.checked_mul(*g)?.checked_add(*s)?;
    }
    Some(idx)
}
