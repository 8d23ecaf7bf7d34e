//! Extensible Array chunk index (spec VII.D; structures `EAHD`, `EAIB`, `EASB`, `EADB` of
//! the "Extensible Array" section), layout v4/v5 datasets with exactly one unlimited
//! dimension. Version 0 of every block.
//!
//! Elements (chunk entries, encoded as for the fixed array) live first in the index
//! block, then in data blocks grouped in "super blocks": super block `s` has
//! 2^(s/2) data blocks of 2^((s+1)/2) × (data block min elements) elements. The data
//! blocks of the first 2·log2(min pointers) super blocks are addressed from the index
//! block; later ones through secondary blocks. Data blocks larger than
//! 2^(page bits) elements are paged: each page carries its own checksum, and a page is
//! only stored when its bit in the secondary block's page-init bitmap is set.
//! Element `i` is the chunk at linear index `i` over the chunk grid with the unlimited
//! dimension moved to the slowest position (quirk 10); the other dimensions use the
//! maximum dimensions. Refused: bad signatures, versions, checksums, client IDs,
//! back-pointers or block offsets, parameters that are not powers of two, paged data
//! blocks addressed directly from the index block, and cycles.

use super::{array_element, array_header, bit_set, block_prefix, read_checked, IndexWalk};
use super::{row_major_coords, ChunkInfo, Element};
use crate::error::{Error, Result};
use crate::hdf5::chunk_index::{Elem, ElemFmt};
use crate::hdf5::cursor::{Cursor, UNDEFINED_ADDRESS};
use crate::hdf5::encoder::UNDEF;
use crate::hdf5::io::{Budget, FileIo};

const SH: &str = "extensible array header";
const SI: &str = "extensible array index block";
const SS: &str = "extensible array secondary block";
const SD: &str = "extensible array data block";
const SP: &str = "extensible array data block page";

/// A decoded `EAHD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensibleArrayHeader {
    /// Client ID: 0 unfiltered chunks, 1 filtered chunks.
    pub client_id: u8,
    /// Bytes per element.
    pub element_size: u8,
    /// log2 of the maximum number of elements.
    pub max_nelmts_bits: u8,
    /// Elements stored in the index block.
    pub index_block_elements: u8,
    /// Elements of the smallest data block (a power of two).
    pub data_block_min_elements: u8,
    /// Data block pointers of the smallest secondary block (a power of two).
    pub secondary_block_min_pointers: u8,
    /// log2 of the elements per data block page.
    pub page_bits: u8,
    /// One more than the largest element index ever set.
    pub max_index_set: u64,
    /// Address of the index block (undefined when empty).
    pub index_block: u64,
}

/// Bytes of an `EAHD` for the given sizes.
pub fn header_len(offsets: u8, lengths: u8) -> u64 {
    4 + 1 + 1 + 6 + 6 * u64::from(lengths) + u64::from(offsets) + 4
}

/// Decode an `EAHD` (checksum verified by the caller) and check its parameters.
pub fn parse_header(c: &mut Cursor) -> Result<ExtensibleArrayHeader> {
    c.signature(b"EAHD")?;
    c.version(0)?;
    let client_id = c.u8()?;
    let element_size = c.u8()?;
    let max_nelmts_bits = c.u8()?;
    let index_block_elements = c.u8()?;
    let data_block_min_elements = c.u8()?;
    let secondary_block_min_pointers = c.u8()?;
    let page_bits = c.u8()?;
    for _ in 0..4 {
        c.length()?; // statistics: super/data block counts and sizes (informational)
    }
    let max_index_set = c.length()?;
    c.length()?; // number of elements realized
    let index_block = c.offset()?;
    let pow2 = |v: u8| v != 0 && v.is_power_of_two();
    if !pow2(data_block_min_elements) || !pow2(secondary_block_min_pointers) {
        return Err(c
            .err("data block min elements and secondary block min pointers must be powers of 2")
            .into());
    }
    if max_nelmts_bits > 64 || u32::from(max_nelmts_bits) < data_block_min_elements.trailing_zeros()
    {
        return Err(c
            .err(format!("max elements bits {max_nelmts_bits} out of range"))
            .into());
    }
    if page_bits >= 64 {
        return Err(c.err(format!("page bits {page_bits} too large")).into());
    }
    Ok(ExtensibleArrayHeader {
        client_id,
        element_size,
        max_nelmts_bits,
        index_block_elements,
        data_block_min_elements,
        secondary_block_min_pointers,
        page_bits,
        max_index_set,
        index_block,
    })
}

/// One super block of the layout (`H5EA__hdr_init`'s table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuperBlockInfo {
    /// Data blocks in this super block.
    pub data_blocks: u64,
    /// Elements per data block.
    pub data_block_elements: u64,
    /// Index (after the index-block elements) of the first element.
    pub start_index: u64,
    /// Global number of the first data block.
    pub start_data_block: u64,
}

/// The super block table for a header, up to and including the super block holding
/// element `limit - 1` (fewer when the array is smaller).
pub fn super_blocks(h: &ExtensibleArrayHeader, limit: u64) -> Vec<SuperBlockInfo> {
    let nsblks = 1 + u32::from(h.max_nelmts_bits) - h.data_block_min_elements.trailing_zeros();
    let min = u64::from(h.data_block_min_elements);
    let mut out = Vec::new();
    let (mut start_index, mut start_data_block) = (0u64, 0u64);
    for s in 0..nsblks {
        if start_index >= limit {
            break;
        }
        let data_blocks = 1u64 << (s / 2);
        let Some(data_block_elements) = 1u64
            .checked_shl(s.div_ceil(2))
            .and_then(|p| p.checked_mul(min))
        else {
            break;
        };
        out.push(SuperBlockInfo {
            data_blocks,
            data_block_elements,
            start_index,
            start_data_block,
        });
        match data_blocks
            .checked_mul(data_block_elements)
            .and_then(|n| n.checked_add(start_index))
        {
            Some(n) => start_index = n,
            None => break,
        }
        start_data_block += data_blocks;
    }
    out
}

/// Bytes of the block offset field: enough for `max_nelmts_bits` bits.
fn block_offset_len(h: &ExtensibleArrayHeader) -> usize {
    usize::from(h.max_nelmts_bits).div_ceil(8)
}

/// Walker state for one array.
struct Walk<'a> {
    io: &'a FileIo,
    h: ExtensibleArrayHeader,
    hdr_addr: u64,
    filtered: bool,
    /// Defined elements found: (element index, (address, size, mask)).
    out: Vec<(u64, Element)>,
}

impl Walk<'_> {
    fn elements(&mut self, c: &mut Cursor, first: u64, count: u64) -> Result<()> {
        for i in 0..count {
            if let Some(e) = array_element(c, self.filtered, self.h.element_size)? {
                self.out.push((first + i, e));
            }
        }
        Ok(())
    }

    /// Read one data block of `n` elements whose first element has index `first`
    /// (counting index-block elements); `pages` gives the page-init bits when paged.
    /// `alt_off` is a second accepted stored block offset (see [`iblock_quirk_offset`]).
    fn data_block(
        &mut self,
        at: u64,
        n: u64,
        (block_off, alt_off): (u64, u64),
        pages: Option<(&[u8], u64)>,
        budget: &mut Budget,
    ) -> Result<()> {
        budget.visit(at, SD)?;
        budget.charge(n, at)?;
        let esz = u64::from(self.h.element_size);
        let page_n = 1u64 << self.h.page_bits;
        let paged = n > page_n;
        let off_len = block_offset_len(&self.h);
        let head = 4 + 1 + 1 + u64::from(self.io.sizes.offsets) + off_len as u64;
        let body = if paged {
            0
        } else {
            n.checked_mul(esz)
                .ok_or_else(|| Error::format(SD, at, "size overflows"))?
        };
        let len = head + body + 4;
        let buf = read_checked(self.io, at, len, SD, Some(b"EADB"))?;
        let mut c = self.io.cursor(&buf, at, SD);
        block_prefix(&mut c, b"EADB", self.filtered, self.hdr_addr, None)?;
        let off_at = c.addr();
        let off = c.uint(off_len)?;
        if off != block_off && off != alt_off {
            return Err(c
                .err_at(off_at, format!("block offset {off}, expected {block_off}"))
                .into());
        }
        let first = u64::from(self.h.index_block_elements) + block_off;
        if !paged {
            return self.elements(&mut c, first, n);
        }
        let Some((bitmap, bit0)) = pages else {
            return Err(Error::unsupported(
                "paged extensible array data block in the index block",
                Some(at),
            ));
        };
        let page_bytes = page_n
            .checked_mul(esz)
            .and_then(|b| b.checked_add(4))
            .ok_or_else(|| Error::format(SD, at, "page size overflows"))?;
        for p in 0..n / page_n {
            if !bit_set(bitmap, bit0 + p) {
                continue;
            }
            let page_at = p
                .checked_mul(page_bytes)
                .and_then(|o| o.checked_add(at + len))
                .ok_or_else(|| Error::format(SD, at, "page address overflows"))?;
            let pbuf = read_checked(self.io, page_at, page_bytes, SP, None)?;
            let mut pc = self.io.cursor(&pbuf, page_at, SP);
            self.elements(
                &mut pc,
                first.saturating_add(p.saturating_mul(page_n)),
                page_n,
            )?;
        }
        Ok(())
    }
}

/// The block offset HDF5 stores in a data block addressed from the index block: it
/// multiplies the *global* data block number (not the one within the super block) by
/// the block size (`H5EA__set`), e.g. 48 instead of 16 for the second data block with
/// 16 min elements. The value is informational, so both it and the logical offset are
/// accepted. Saturates on overflow (then only the logical value can match).
pub fn iblock_quirk_offset(sb: &SuperBlockInfo, k: u64) -> u64 {
    sb.start_data_block
        .saturating_add(k)
        .saturating_mul(sb.data_block_elements)
        .saturating_add(sb.start_index)
}

/// Every chunk of an extensible-array-indexed dataset whose header is at `addr`.
pub fn chunks(w: &IndexWalk, budget: &mut Budget) -> Result<Vec<ChunkInfo>> {
    let (io, addr, g, filtered) = (w.io, w.addr, w.g, w.filtered);
    let unlim: Vec<usize> = (0..g.rank())
        .filter(|&d| g.max_dims.get(d) == Some(&u64::MAX))
        .collect();
    let &[ud] = unlim.as_slice() else {
        return Err(Error::format(
            SH,
            addr,
            format!("{} unlimited dimensions, expected 1", unlim.len()),
        ));
    };
    let len = header_len(io.sizes.offsets, io.sizes.lengths);
    let h = array_header(w, budget, (SH, b"EAHD", len), parse_header, |h| {
        (h.client_id, h.element_size)
    })?;
    if h.index_block == UNDEFINED_ADDRESS {
        return Ok(Vec::new());
    }
    let mut w = Walk {
        io,
        h: h.clone(),
        hdr_addr: addr,
        filtered,
        out: Vec::new(),
    };
    let limit = h.max_index_set;
    let nsblks =
        1 + u64::from(h.max_nelmts_bits) - u64::from(h.data_block_min_elements.trailing_zeros());
    let iblock_sblks = 2 * u64::from(h.secondary_block_min_pointers.trailing_zeros());
    let ndblk_addrs = 2 * (u64::from(h.secondary_block_min_pointers) - 1);
    let nsblk_addrs = nsblks.saturating_sub(iblock_sblks);
    let offs = u64::from(io.sizes.offsets);
    let esz = u64::from(h.element_size);

    // Index block.
    let ib = h.index_block;
    budget.visit(ib, SI)?;
    let ib_len = 4
        + 1
        + 1
        + offs
        + u64::from(h.index_block_elements) * esz
        + (ndblk_addrs + nsblk_addrs) * offs
        + 4;
    let ibuf = read_checked(io, ib, ib_len, SI, Some(b"EAIB"))?;
    let mut c = io.cursor(&ibuf, ib, SI);
    block_prefix(&mut c, b"EAIB", filtered, addr, None)?;
    w.elements(&mut c, 0, u64::from(h.index_block_elements))?;
    let mut dblk_addrs = Vec::with_capacity(usize::try_from(ndblk_addrs).unwrap_or(0));
    for _ in 0..ndblk_addrs {
        dblk_addrs.push(c.offset()?);
    }
    let mut sblk_addrs = Vec::with_capacity(usize::try_from(nsblk_addrs).unwrap_or(0));
    for _ in 0..nsblk_addrs {
        sblk_addrs.push(c.offset()?);
    }

    let data_limit = limit.saturating_sub(u64::from(h.index_block_elements));
    for (s, sb) in super_blocks(&h, data_limit).into_iter().enumerate() {
        let s = s as u64;
        if s < iblock_sblks {
            for k in 0..sb.data_blocks {
                let a = usize::try_from(sb.start_data_block + k)
                    .ok()
                    .and_then(|i| dblk_addrs.get(i))
                    .copied();
                let a = a.ok_or_else(|| Error::format(SI, ib, "data block table too short"))?;
                if a != UNDEFINED_ADDRESS {
                    let off = sb
                        .start_index
                        .saturating_add(k.saturating_mul(sb.data_block_elements));
                    let alt = iblock_quirk_offset(&sb, k);
                    w.data_block(a, sb.data_block_elements, (off, alt), None, budget)?;
                }
            }
            continue;
        }
        let sa = usize::try_from(s - iblock_sblks)
            .ok()
            .and_then(|i| sblk_addrs.get(i))
            .copied();
        let sa = sa.ok_or_else(|| Error::format(SI, ib, "secondary block table too short"))?;
        if sa == UNDEFINED_ADDRESS {
            continue;
        }
        // Secondary block.
        budget.visit(sa, SS)?;
        let page_n = 1u64 << h.page_bits;
        let npages = if sb.data_block_elements > page_n {
            sb.data_block_elements / page_n
        } else {
            0
        };
        let overflow = || Error::format(SS, sa, "secondary block size overflows");
        let bitmap_len = sb
            .data_blocks
            .checked_mul(npages.div_ceil(8))
            .ok_or_else(overflow)?;
        let off_len = block_offset_len(&h);
        let sb_len = sb
            .data_blocks
            .checked_mul(offs)
            .and_then(|a| a.checked_add(bitmap_len))
            .and_then(|a| a.checked_add(4 + 1 + 1 + offs + off_len as u64 + 4))
            .ok_or_else(overflow)?;
        let sbuf = read_checked(io, sa, sb_len, SS, Some(b"EASB"))?;
        let mut c = io.cursor(&sbuf, sa, SS);
        block_prefix(&mut c, b"EASB", filtered, addr, None)?;
        let off_at = c.addr();
        let off = c.uint(off_len)?;
        if off != sb.start_index {
            return Err(c
                .err_at(
                    off_at,
                    format!("block offset {off}, expected {}", sb.start_index),
                )
                .into());
        }
        let bitmap =
            c.bytes(usize::try_from(bitmap_len).map_err(|_| c.err("bitmap too large"))?)?;
        for k in 0..sb.data_blocks {
            let a = c.offset()?;
            if a != UNDEFINED_ADDRESS {
                let off = sb
                    .start_index
                    .saturating_add(k.saturating_mul(sb.data_block_elements));
                let pages = (npages > 0).then_some((bitmap, k * npages));
                w.data_block(a, sb.data_block_elements, (off, off), pages, budget)?;
            }
        }
    }

    // Element index -> chunk coordinates over the swizzled grid (unlimited dim slowest).
    let grid = g.grid(&g.max_dims);
    let mut sgrid = Vec::with_capacity(grid.len());
    sgrid.push(u64::MAX);
    sgrid.extend(
        grid.iter()
            .enumerate()
            .filter(|&(d, _)| d != ud)
            .map(|(_, &n)| n),
    );
    let mut out = Vec::with_capacity(w.out.len());
    for (i, (a, size, mask)) in w.out {
        let sw = row_major_coords(i, &sgrid);
        let mut scaled = Vec::with_capacity(sw.len());
        scaled.extend(sw.iter().skip(1).take(ud).copied());
        scaled.push(sw.first().copied().unwrap_or(0));
        scaled.extend(sw.iter().skip(1 + ud).copied());
        let size = if filtered { size } else { g.chunk_bytes };
        if let Some(info) = g.info(&scaled, a, size, mask) {
            out.push(info);
        }
    }
    Ok(out)
}

// ---- Encoding (the writer's half) -----------------------------------------------------

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

/// Extensible array header `EAHD` ([`header_len`] bytes).
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
        // Statistics libhdf5 does not check: capped where lengths are narrow (2 bytes).
        let cap = fmt.sizes.max_length();
        out.extend_from_slice(&fmt.encoder().length(v.min(cap)).take());
    }
    out.extend_from_slice(&fmt.encoder().offset(iblock).take());
    crate::hdf5::encoder::seal(out)
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
    out.extend_from_slice(&fmt.encoder().offset(hdr).take());
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
    elems: &std::collections::BTreeMap<u64, Elem>,
) -> Result<Vec<u8>> {
    let mut out = ea_prefix(b"EADB", fmt, hdr);
    out.extend_from_slice(&off.to_le_bytes()[..EA_OFF_LEN]);
    let page_n = 1u64 << EA_PAGE_BITS;
    if n <= page_n {
        for i in first..first + n {
            fmt.push(elems.get(&i), &mut out)?;
        }
        return Ok(crate::hdf5::encoder::seal(out));
    }
    let mut out = crate::hdf5::encoder::seal(out);
    for p in 0..n / page_n {
        let mut page = Vec::new();
        let s = first + p * page_n;
        for i in s..s + page_n {
            fmt.push(elems.get(&i), &mut page)?;
        }
        out.extend_from_slice(&crate::hdf5::encoder::seal(page));
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
    elems: &std::collections::BTreeMap<u64, Elem>,
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
            b.extend_from_slice(&fmt.encoder().offset(*a).take());
        }
        let b = crate::hdf5::encoder::seal(b);
        st.nsuper_blks += 1;
        st.super_blk_size += b.len() as u64;
        sblk_addrs.push(write(b)?);
    }
    let mut ib = ea_prefix(b"EAIB", fmt, hdr);
    for i in 0..idx0 {
        fmt.push(elems.get(&i), &mut ib)?;
    }
    for a in dblk_addrs.iter().chain(&sblk_addrs) {
        ib.extend_from_slice(&fmt.encoder().offset(*a).take());
    }
    let iblock = write(crate::hdf5::encoder::seal(ib))?;
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

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;
    use crate::hdf5::chunk_index::Geometry;
    use crate::hdf5::message::layout::ChunkIndexing;
    use crate::limits::Limits;

    const IB: u64 = 100;
    const DB: u64 = 500;

    #[rustfmt::skip]
    fn header(iblock: u64) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"EAHD");                // signature
        b.push(0);                                    // version
        b.push(0);                                    // client ID: unfiltered chunks
        b.push(8);                                    // element size
        b.push(32);                                   // max nelmts bits
        b.push(2);                                    // index block elements
        b.push(4);                                    // data block min elements
        b.push(4);                                    // secondary block min data pointers
        b.push(10);                                   // max data block page nelmts bits
        for v in [0u64, 0, 1, 50, 6, 6] {             // stats: nsblks, sblk size, ndblks, dblk size,
            b.extend_from_slice(&v.to_le_bytes());    //   max index set, nelmts
        }
        b.extend_from_slice(&iblock.to_le_bytes());   // index block address
        seal(b)                                       // + checksum
    }

    /// The prefix every block shares: signature, version 0, client ID 0, header address.
    fn block_prefix(sig: &[u8; 4], hdr: u64) -> Vec<u8> {
        [sig.as_slice(), &[0, 0], &hdr.to_le_bytes()].concat()
    }

    #[rustfmt::skip]
    fn index_block(hdr: u64, dblk0: u64) -> Vec<u8> {
        let mut b = block_prefix(b"EAIB", hdr);
        b.extend_from_slice(&1000u64.to_le_bytes());  // element 0: chunk address
        b.extend_from_slice(&u64::MAX.to_le_bytes()); // element 1: never written
        b.extend_from_slice(&dblk0.to_le_bytes());    // data block 0 address
        for _ in 0..5 {
            b.extend_from_slice(&u64::MAX.to_le_bytes()); // data blocks 1-5: none
        }
        for _ in 0..27 {
            b.extend_from_slice(&u64::MAX.to_le_bytes()); // secondary blocks 4..30: none
        }
        seal(b)                                       // + checksum
    }

    #[rustfmt::skip]
    fn data_block(hdr: u64, block_off: u32) -> Vec<u8> {
        let mut b = block_prefix(b"EADB", hdr);
        b.extend_from_slice(&block_off.to_le_bytes()); // block offset (4 bytes for 32 bits)
        for a in [2000u64, 2001, u64::MAX, 2003] {
            b.extend_from_slice(&a.to_le_bytes());    // elements 2..5
        }
        seal(b)                                       // + checksum
    }

    fn file(h: Vec<u8>, ib: Vec<u8>, db: Vec<u8>) -> FileIo {
        let mut f = vec![0u8; 1024];
        f[..h.len()].copy_from_slice(&h);
        f[IB as usize..IB as usize + ib.len()].copy_from_slice(&ib);
        f[DB as usize..DB as usize + db.len()].copy_from_slice(&db);
        io(f)
    }

    fn run(io: &FileIo) -> Result<Vec<ChunkInfo>> {
        let idx = ChunkIndexing::ExtensibleArray {
            max_bits: 32,
            index_elements: 2,
            min_pointers: 4,
            min_elements: 4,
            page_bits: 10,
        };
        let lay = layout(&[1], 1, idx, 0);
        let g = Geometry::new(&lay, &[6], &[u64::MAX], &Limits::default()).unwrap();
        unfiltered_chunks(chunks, io, &g)
    }

    #[test]
    fn accept() {
        let c = run(&file(header(IB), index_block(0, DB), data_block(0, 0))).unwrap();
        let got: Vec<_> = c.iter().map(|c| (c.offset[0], c.address)).collect();
        assert_eq!(got, vec![(0, 1000), (2, 2000), (3, 2001), (5, 2003)]);
    }

    #[test]
    fn super_block_table() {
        let h = parse_header(&mut Cursor::new(&header(IB), 0, SH, Default::default())).unwrap();
        let t = super_blocks(&h, 100);
        let got: Vec<_> = t
            .iter()
            .map(|s| (s.data_blocks, s.data_block_elements, s.start_index))
            .collect();
        assert_eq!(
            got,
            vec![(1, 4, 0), (1, 8, 4), (2, 8, 12), (2, 16, 28), (4, 16, 60)]
        );
        assert_eq!(iblock_quirk_offset(&t[1], 0), 4 + 8);
    }

    #[test]
    fn rejects() {
        // Header checksum.
        let mut h = header(IB);
        h[20] ^= 1;
        assert!(run(&file(h, index_block(0, DB), data_block(0, 0))).is_err());
        // Bad index block signature, reported at the block.
        let mut ib = index_block(0, DB);
        ib[1] = b'X';
        assert_eq!(
            run(&file(header(IB), ib, data_block(0, 0)))
                .unwrap_err()
                .offset(),
            Some(IB)
        );
        // Data block pointing at another header; wrong block offset.
        assert!(run(&file(header(IB), index_block(0, DB), data_block(8, 0))).is_err());
        assert!(run(&file(header(IB), index_block(0, DB), data_block(0, 3))).is_err());
        // Index block pointing back at another header.
        assert!(run(&file(header(IB), index_block(7, DB), data_block(0, 0))).is_err());
        // Cycle: the data block address is the index block.
        let e = run(&file(header(IB), index_block(0, IB), data_block(0, 0))).unwrap_err();
        assert!(e.to_string().contains("cycle"), "{e}");
        // Truncated: index block past the end of the file.
        assert!(run(&file(header(1000), index_block(0, DB), data_block(0, 0))).is_err());
        // Min elements not a power of two.
        let mut h = header(IB);
        h[9] = 3;
        let h = seal(h[..h.len() - 4].to_vec());
        assert!(run(&file(h, index_block(0, DB), data_block(0, 0))).is_err());
    }
}
