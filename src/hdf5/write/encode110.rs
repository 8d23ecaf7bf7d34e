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
pub fn encode_fadb(
    fmt: ElemFmt,
    hdr: u64,
    nelmts: u64,
    elems: &BTreeMap<u64, Elem>,
) -> Result<Vec<u8>> {
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
    let mut bitmap =
        vec![0u8; usize::try_from(npages.div_ceil(8)).map_err(|_| usage("too many pages"))?];
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
fn ea_dblock(
    fmt: ElemFmt,
    hdr: u64,
    off: u64,
    first: u64,
    n: u64,
    elems: &BTreeMap<u64, Elem>,
) -> Result<Vec<u8>> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::chunk_index::{chunk_infos, test_util::io};
    use crate::hdf5::io::Budget;
    use crate::hdf5::message::layout::{ChunkIndexing, ChunkedLayout, DataLayout};
    use crate::hdf5::message::link::{LinkMessage, LinkTarget};
    use crate::hdf5::message::test_util::cur;
    use crate::limits::Limits;

    const FF: [u8; 8] = [0xff; 8];

    #[test]
    #[rustfmt::skip]
    fn superblock_v3_bytes() {
        let b = encode_superblock_v3(0x1234, 48);
        let mut want = vec![
            0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n', // signature
            3,                              // superblock version 3
            8, 8,                           // sizes of offsets and lengths
            0,                              // file consistency flags: none
            0, 0, 0, 0, 0, 0, 0, 0,         // base address 0
        ];
        want.extend_from_slice(&FF);        // superblock extension: undefined
        want.extend_from_slice(&[0x34, 0x12, 0, 0, 0, 0, 0, 0]); // end-of-file address
        want.extend_from_slice(&[48, 0, 0, 0, 0, 0, 0, 0]);       // root object header
        let sum = lookup3(&want).to_le_bytes();
        want.extend_from_slice(&sum);       // lookup3 over the 44 bytes before
        assert_eq!(b, want);
        assert_eq!(b.len() as u64, SUPERBLOCK_V3_SIZE);
        let mut c = crate::hdf5::cursor::Cursor::new(&b, 0, "sb", Default::default());
        let sb = crate::hdf5::superblock::parse(&mut c).unwrap();
        assert_eq!((sb.version, sb.eof_address, sb.root_object_header), (3, 0x1234, 48));
    }

    #[test]
    #[rustfmt::skip]
    fn link_messages_bytes() {
        let b = encode_link(b"ab", 0x60).unwrap();
        assert_eq!(b, vec![
            1,                      // version 1
            0x00,                   // flags: 1-byte name length, hard link, ASCII
            2,                      // name length
            b'a', b'b',             // name (no NUL)
            0x60, 0, 0, 0, 0, 0, 0, 0, // object header address
        ]);
        let u = encode_link("é".as_bytes(), 8).unwrap();
        assert_eq!(u, vec![
            1,                      // version 1
            0x10,                   // flags: charset present
            1,                      // charset UTF-8
            2,                      // name length
            0xc3, 0xa9,             // "é"
            8, 0, 0, 0, 0, 0, 0, 0, // address
        ]);
        let l = LinkMessage::parse(&mut cur(&u), &Limits::default()).unwrap();
        assert_eq!((l.name.as_str(), l.target), ("é", LinkTarget::Hard(8)));
        let long = encode_link(&[b'x'; 300], 8).unwrap();
        assert_eq!(&long[..4], &[1, 0x01, 0x2c, 0x01]); // 2-byte length 300
        assert!(encode_link(b"", 8).is_err());
    }

    #[test]
    #[rustfmt::skip]
    fn info_messages_bytes() {
        let mut li = vec![
            0,                      // version 0
            0,                      // flags: no creation order
        ];
        li.extend_from_slice(&FF);  // fractal heap: undefined (compact links)
        li.extend_from_slice(&FF);  // name index v2 B-tree: undefined
        assert_eq!(encode_link_info(), li);
        assert_eq!(encode_attr_info(), li);
        assert_eq!(encode_group_info(), vec![
            0,                      // version 0
            1,                      // flags: link phase change stored
            0xff, 0xff,             // max compact links 65535
            6, 0,                   // min dense links 6
        ]);
        use crate::hdf5::message::group_info::GroupInfo;
        let g = GroupInfo::parse(&mut cur(&encode_group_info()), &Limits::default()).unwrap();
        assert_eq!(g.link_phase_change, Some((65535, 6)));
    }

    #[test]
    #[rustfmt::skip]
    fn layout_v4_bytes() {
        let b = encode_layout_v4(Index110::Extensible, 0x100, &[16, 300, 8]).unwrap();
        let mut want = vec![
            4,                      // version 4
            2,                      // class: chunked
            0,                      // flags
            3,                      // dimensionality (rank + 1)
            2,                      // dimension size width: 2 bytes (300 needs 2)
            16, 0, 0x2c, 1, 8, 0,   // chunk dims 16, 300, element size 8
            4,                      // index type: extensible array
            32, 4, 4, 16, 10,       // max bits, index elements, min pointers, min elements, page bits
        ];
        want.extend_from_slice(&0x100u64.to_le_bytes()); // EAHD address
        assert_eq!(b, want);
        let DataLayout::Chunked(c) = DataLayout::parse(&mut cur(&b), &Limits::default()).unwrap()
        else { panic!() };
        assert_eq!((c.chunk_dims, c.element_size), (vec![16, 300], 8));
        let f = encode_layout_v4(Index110::Fixed, UNDEF, &[4, 4]).unwrap();
        assert_eq!(&f[..9], &[
            4, 2, 0, 2, 1,          // version, chunked, flags, 2 dims, 1-byte width
            4, 4,                   // chunk dim 4, element size 4
            3, 10,                  // index type: fixed array, page bits 10
        ]);
        assert_eq!(&f[9..], &FF);   // no array yet
    }

    #[test]
    #[rustfmt::skip]
    fn ohdr_and_ochk_bytes() {
        let mut area = Vec::new();
        push_message_v2(&mut area, 0x15, &encode_attr_info()).unwrap();
        fill_nil_v2(&mut area, 30);
        assert_eq!(&area[..4], &[0x15, 18, 0, 0]); // type, size 18, flags
        assert_eq!(&area[22..], &[0, 4, 0, 0, 0, 0, 0, 0]); // NIL of 4 bytes
        let h = encode_ohdr(&area).unwrap();
        assert_eq!(&h[..14], &[
            b'O', b'H', b'D', b'R', // signature
            2,                      // version 2
            0x12,                   // flags: 4-byte chunk size, phase change stored
            0xff, 0xff, 6, 0,       // max compact 65535 / min dense 6 attributes
            30, 0, 0, 0,            // chunk 0 size
        ]);
        assert_eq!(h.len(), OHDR_PREFIX + 30 + 4);
        let sum = lookup3(&h[..h.len() - 4]).to_le_bytes();
        assert_eq!(&h[h.len() - 4..], &sum);
        // A gap under 4 bytes is left as zeros.
        let mut g = vec![1u8; 10];
        fill_nil_v2(&mut g, 13);
        assert_eq!(&g[10..], &[0, 0, 0]);
        let k = encode_ochk(&area[..22]);
        assert_eq!(&k[..4], b"OCHK");
        assert_eq!(k.len(), 4 + 22 + 4);
        // Parsed back by the reader: a header whose continuation leads to the OCHK.
        let mut file = vec![0u8; 256];
        let mut a0 = Vec::new();
        push_message_v2(&mut a0, 0x10, &super::super::encode::encode_continuation(200, k.len() as u64)).unwrap();
        fill_nil_v2(&mut a0, 40);
        let h = encode_ohdr(&a0).unwrap();
        file[..h.len()].copy_from_slice(&h);
        file[200..200 + k.len()].copy_from_slice(&k);
        let io = crate::hdf5::superblock::test_util::io_over(file);
        let oh = crate::hdf5::object_header::read(&io, 0).unwrap();
        assert_eq!(oh.version, 2);
        assert_eq!(oh.messages.len(), 1);
        assert_eq!(oh.messages[0].msg_type, 0x15);
    }

    #[test]
    fn chunk_size_widths() {
        assert_eq!(chunk_size_len(8), 2); // log2 3: 1 + 11/8
        assert_eq!(chunk_size_len(255), 2);
        assert_eq!(chunk_size_len(256), 3);
        assert_eq!(chunk_size_len(16384), 3);
        assert_eq!(chunk_size_len(1 << 40), 7);
        assert_eq!(chunk_size_len(u64::MAX), 8);
        assert_eq!(ElemFmt { filtered: Some(3) }.size(), 15);
        let mut v = Vec::new();
        assert!(ElemFmt { filtered: Some(1) }
            .push(Some(&(8, 256, 0)), &mut v)
            .is_err());
    }

    #[test]
    fn element_indexes() {
        // Unlimited dim 0 (grid entry ignored), then 3 x 2 chunks: row-major.
        assert_eq!(ea_index(&[2, 1, 1], 0, &[0, 3, 2]), Some(2 * 6 + 3));
        // Unlimited dim 1 moves to the slowest position.
        assert_eq!(ea_index(&[1, 5], 1, &[3, 0]), Some(5 * 3 + 1));
        assert_eq!(fa_index(&[1, 2], &[3, 4]), Some(6));
    }

    /// Write an array into a byte vector and read its chunks back with the reader.
    fn read_back(
        index: Index110,
        dims: &[u64],
        max: &[u64],
        chunk: &[u64],
        filtered: bool,
        elems: &BTreeMap<u64, Elem>,
    ) -> Vec<(Vec<u64>, u64, u64, u32)> {
        let fmt = ElemFmt {
            filtered: filtered.then(|| chunk_size_len(8 * chunk.iter().product::<u64>())),
        };
        let mut file = vec![0u8; 256];
        let hdr = 100u64;
        let mut write = |b: Vec<u8>| -> Result<u64> {
            let a = file.len() as u64;
            file.extend_from_slice(&b);
            Ok(a)
        };
        let hb = match index {
            Index110::Extensible => {
                let (ib, st) = write_earray(fmt, hdr, elems, &mut write).unwrap();
                encode_eahd(fmt, &st, ib)
            }
            Index110::Fixed => {
                let n: u64 = max.iter().zip(chunk).map(|(m, c)| m.div_ceil(*c)).product();
                let db = write(encode_fadb(fmt, hdr, n, elems).unwrap()).unwrap();
                encode_fahd(fmt, n, db)
            }
        };
        file[hdr as usize..hdr as usize + hb.len()].copy_from_slice(&hb);
        let layout = ChunkedLayout {
            version: 4,
            flags: 0,
            chunk_dims: chunk.to_vec(),
            element_size: 8,
            indexing: match index {
                Index110::Extensible => ChunkIndexing::ExtensibleArray {
                    max_bits: 32,
                    index_elements: 4,
                    min_pointers: 4,
                    min_elements: 16,
                    page_bits: 10,
                },
                Index110::Fixed => ChunkIndexing::FixedArray { page_bits: 10 },
            },
            index_address: hdr,
        };
        let io = io(file);
        let mut budget = Budget::new(&io.limits);
        let mut v: Vec<_> = chunk_infos(&io, &layout, dims, max, filtered, &mut budget)
            .unwrap()
            .into_iter()
            .map(|c| (c.offset, c.address, c.size, c.filter_mask))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn extensible_array_reads_back_with_pages() {
        // 1-D, chunk 1: elements in the index block, index-block data blocks, secondary
        // blocks, and paged data blocks (super block 13: elements from 131060).
        let picks = [
            0u64, 3, 4, 19, 20, 300, 5000, 131_059, 131_060, 132_000, 133_200, 200_000,
        ];
        let elems: BTreeMap<u64, Elem> = picks.iter().map(|&i| (i, (1000 + i, 0, 0))).collect();
        let got = read_back(
            Index110::Extensible,
            &[300_000],
            &[UNDEF],
            &[1],
            false,
            &elems,
        );
        let want: Vec<_> = picks.iter().map(|&i| (vec![i], 1000 + i, 8, 0)).collect();
        assert_eq!(got, want);
        // Filtered, 2-D with the unlimited dimension second.
        let elems: BTreeMap<u64, Elem> = [(0, (500, 17, 0)), (7, (600, 300, 2))]
            .into_iter()
            .collect();
        let got = read_back(
            Index110::Extensible,
            &[6, 40],
            &[6, UNDEF],
            &[2, 4],
            true,
            &elems,
        );
        // Element 7 = unlimited scaled 2 * grid 3 + scaled 1: chunk origin (2, 8).
        assert_eq!(
            got,
            vec![(vec![0, 0], 500, 17, 0), (vec![2, 8], 600, 300, 2)]
        );
    }

    #[test]
    fn fixed_array_reads_back_paged_and_not() {
        let elems: BTreeMap<u64, Elem> = [(0, (900, 0, 0)), (5, (901, 0, 0))].into_iter().collect();
        let got = read_back(Index110::Fixed, &[4, 6], &[4, 6], &[2, 2], false, &elems);
        assert_eq!(
            got,
            vec![(vec![0, 0], 900, 32, 0), (vec![2, 4], 901, 32, 0)]
        );
        let elems: BTreeMap<u64, Elem> = [(3, (7, 9, 0)), (1500, (8, 10, 1)), (2999, (9, 11, 0))]
            .into_iter()
            .collect();
        let got = read_back(Index110::Fixed, &[3000], &[3000], &[1], true, &elems);
        assert_eq!(
            got,
            vec![
                (vec![3], 7, 9, 0),
                (vec![1500], 8, 10, 1),
                (vec![2999], 9, 11, 0)
            ]
        );
    }
}
