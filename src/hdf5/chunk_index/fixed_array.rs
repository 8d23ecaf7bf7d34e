//! Fixed Array chunk index (spec VII.C, with the `FAHD` header and `FADB` data block
//! of the spec's "Fixed Array" section), layout v4/v5 datasets without unlimited
//! dimensions. Version 0 of both blocks.
//!
//! Header: `FAHD`, version 0, client ID (0 unfiltered / 1 filtered chunks), element
//! size, page bits, max number of entries (length), data block address, checksum.
//! Data block: `FADB`, version 0, client ID, header address, a page-init bitmap when
//! paged (more than 2^page bits entries), the elements when not paged, checksum; when
//! paged, pages of 2^page bits elements follow, each with its own checksum, and pages
//! whose bitmap bit is clear are not stored. Entry `i` is chunk `i` in row-major order
//! over the chunk grid of the *maximum* dimensions. Refused: signature, version,
//! checksum, client ID or element size mismatches, an entry count other than the grid's.

use super::{
    array_element, array_header, bit_set, block_prefix, check_count, grid_count, read_checked,
    IndexWalk,
};
use super::{row_major_coords, ChunkInfo, Element};
use crate::error::{Error, Result};
use crate::hdf5::chunk_index::{Elem, ElemFmt};
use crate::hdf5::cursor::Cursor;
use crate::hdf5::encoder::usage;
use crate::hdf5::io::{Budget, FileIo};

const SH: &str = "fixed array header";
const SD: &str = "fixed array data block";
const SP: &str = "fixed array data block page";

/// A decoded `FAHD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedArrayHeader {
    /// Client ID: 0 unfiltered chunks, 1 filtered chunks.
    pub client_id: u8,
    /// Bytes per element.
    pub element_size: u8,
    /// log2 of the elements per data block page.
    pub page_bits: u8,
    /// Number of elements.
    pub entries: u64,
    /// Address of the data block (undefined when no chunk was written).
    pub data_block: u64,
}

/// Bytes of a `FAHD` for the given sizes.
pub fn header_len(offsets: u8, lengths: u8) -> u64 {
    4 + 1 + 1 + 1 + 1 + u64::from(lengths) + u64::from(offsets) + 4
}

/// Decode a `FAHD` (checksum already verified by the caller).
pub fn parse_header(c: &mut Cursor) -> Result<FixedArrayHeader> {
    c.signature(b"FAHD")?;
    c.version(0)?;
    let client_id = c.u8()?;
    let element_size = c.u8()?;
    let page_bits = c.u8()?;
    if page_bits >= 64 {
        return Err(c.err(format!("page bits {page_bits} too large")).into());
    }
    let entries = c.length()?;
    let data_block = c.offset()?;
    Ok(FixedArrayHeader {
        client_id,
        element_size,
        page_bits,
        entries,
        data_block,
    })
}

/// Every chunk of a fixed-array-indexed dataset whose header is at `addr`.
pub fn chunks(w: &IndexWalk, budget: &mut Budget) -> Result<Vec<ChunkInfo>> {
    let (io, addr, g, filtered) = (w.io, w.addr, w.g, w.filtered);
    let len = header_len(io.sizes.offsets, io.sizes.lengths);
    let h = array_header(w, budget, (SH, b"FAHD", len), parse_header, |h| {
        (h.client_id, h.element_size)
    })?;
    let grid = g.grid(&g.max_dims);
    let n = grid_count(&grid).filter(|_| !grid.contains(&u64::MAX));
    if n != Some(h.entries) {
        return Err(Error::format(
            SH,
            addr,
            format!(
                "{} entries, but the chunk grid {grid:?} has {n:?}",
                h.entries
            ),
        ));
    }
    if h.data_block == crate::hdf5::cursor::UNDEFINED_ADDRESS {
        return Ok(Vec::new());
    }
    let elems = read_data_block(io, addr, &h, filtered, budget)?;
    Ok(elems
        .into_iter()
        .filter_map(|(i, (a, size, mask))| {
            let size = if filtered { size } else { g.chunk_bytes };
            g.info(&row_major_coords(i, &grid), a, size, mask)
        })
        .collect())
}

/// The defined elements `(index, (address, size, mask))` of the data block.
fn read_data_block(
    io: &FileIo,
    hdr_addr: u64,
    h: &FixedArrayHeader,
    filtered: bool,
    budget: &mut Budget,
) -> Result<Vec<(u64, Element)>> {
    let at = h.data_block;
    budget.visit(at, SD)?;
    budget.charge(h.entries, at)?;
    let esz = u64::from(h.element_size);
    let page_n = 1u64 << h.page_bits;
    let paged = h.entries > page_n;
    let npages = if paged { h.entries.div_ceil(page_n) } else { 0 };
    let bitmap_len = npages.div_ceil(8);
    let prefix = 4 + 1 + 1 + u64::from(io.sizes.offsets);
    let body = if paged {
        bitmap_len
    } else {
        h.entries
            .checked_mul(esz)
            .ok_or_else(|| Error::format(SD, at, "data block size overflows"))?
    };
    let len = prefix + body + 4;
    let buf = read_checked(io, at, len, SD, Some(b"FADB"))?;
    let mut c = io.cursor(&buf, at, SD);
    block_prefix(&mut c, b"FADB", filtered, hdr_addr, Some(at))?;
    let mut out = Vec::new();
    if !paged {
        // Capacity: at most the number of entries, whose bytes were just read.
        out.reserve(usize::try_from(h.entries).unwrap_or(0));
        for i in 0..h.entries {
            if let Some(e) = array_element(&mut c, filtered, h.element_size)? {
                out.push((i, e));
            }
        }
        return Ok(out);
    }
    let bitmap = c.bytes(usize::try_from(bitmap_len).map_err(|_| c.err("bitmap too large"))?)?;
    let pages_at = at + len;
    let page_bytes = page_n
        .checked_mul(esz)
        .and_then(|b| b.checked_add(4))
        .ok_or_else(|| Error::format(SD, at, "page size overflows"))?;
    check_count(h.entries, &io.limits, SD, at)?;
    for p in 0..npages {
        if !bit_set(bitmap, p) {
            continue;
        }
        let first = p * page_n;
        let count = page_n.min(h.entries - first);
        let page_at = p
            .checked_mul(page_bytes)
            .and_then(|o| o.checked_add(pages_at))
            .ok_or_else(|| Error::format(SD, at, "page address overflows"))?;
        let pbuf = read_checked(io, page_at, count * esz + 4, SP, None)?;
        let mut pc = io.cursor(&pbuf, page_at, SP);
        for i in 0..count {
            if let Some(e) = array_element(&mut pc, filtered, h.element_size)? {
                out.push((first + i, e));
            }
        }
    }
    Ok(out)
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// Fixed array page bits (`H5D_FARRAY_MAX_DBLK_PAGE_NELMTS_BITS`).
pub const FA_PAGE_BITS: u8 = 10;

/// Fixed array header `FAHD` ([`header_len`] bytes).
pub fn encode_fahd(fmt: ElemFmt, nelmts: u64, dblock: u64) -> Vec<u8> {
    let mut out = b"FAHD".to_vec();
    out.extend_from_slice(&[0, fmt.client(), fmt.size() as u8, FA_PAGE_BITS]);
    out.extend_from_slice(&fmt.encoder().length(nelmts).offset(dblock).take());
    crate::hdf5::encoder::seal(out)
}

/// Fixed array data block `FADB` of `nelmts` elements (header at `hdr`); paged (every
/// page stored, every page-init bit set) above 2^10 elements.
pub fn encode_fadb(
    fmt: ElemFmt,
    hdr: u64,
    nelmts: u64,
    elems: &std::collections::BTreeMap<u64, Elem>,
) -> Result<Vec<u8>> {
    let mut out = b"FADB".to_vec();
    out.extend_from_slice(&[0, fmt.client()]);
    out.extend_from_slice(&fmt.encoder().offset(hdr).take());
    let page_n = 1u64 << FA_PAGE_BITS;
    if nelmts <= page_n {
        for i in 0..nelmts {
            fmt.push(elems.get(&i), &mut out)?;
        }
        return Ok(crate::hdf5::encoder::seal(out));
    }
    let npages = nelmts.div_ceil(page_n);
    let mut bitmap =
        vec![0u8; usize::try_from(npages.div_ceil(8)).map_err(|_| usage("too many pages"))?];
    for p in 0..npages {
        bitmap[(p / 8) as usize] |= 0x80 >> (p % 8);
    }
    out.extend_from_slice(&bitmap);
    let mut out = crate::hdf5::encoder::seal(out);
    for p in 0..npages {
        let first = p * page_n;
        let mut page = Vec::new();
        for i in first..(first + page_n).min(nelmts) {
            fmt.push(elems.get(&i), &mut page)?;
        }
        out.extend_from_slice(&crate::hdf5::encoder::seal(page));
    }
    Ok(out)
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
    use super::super::test_util::*;
    use super::*;
    use crate::hdf5::chunk_index::Geometry;
    use crate::hdf5::message::layout::ChunkIndexing;
    use crate::limits::Limits;

    #[rustfmt::skip]
    fn header(entries: u64, dblk: u64, client: u8, esz: u8) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"FAHD");                 // signature
        b.push(0);                                     // version
        b.push(client);                                // client ID
        b.push(esz);                                   // entry size
        b.push(10);                                    // page bits
        b.extend_from_slice(&entries.to_le_bytes());   // max number of entries
        b.extend_from_slice(&dblk.to_le_bytes());      // data block address
        seal(b)                                        // + checksum
    }

    #[rustfmt::skip]
    fn data_block(hdr: u64, elems: &[u64]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"FADB");                 // signature
        b.push(0);                                     // version
        b.push(0);                                     // client ID: unfiltered
        b.extend_from_slice(&hdr.to_le_bytes());       // header address
        for e in elems {
            b.extend_from_slice(&e.to_le_bytes());     // element: chunk address
        }
        seal(b)                                        // + checksum
    }

    fn setup(h: Vec<u8>, d: Vec<u8>) -> FileIo {
        let mut f = vec![0u8; 256];
        f[0..h.len()].copy_from_slice(&h);
        f[100..100 + d.len()].copy_from_slice(&d);
        io(f)
    }

    fn geom() -> Geometry {
        let lay = layout(&[2, 2], 1, ChunkIndexing::FixedArray { page_bits: 10 }, 0);
        Geometry::new(&lay, &[3, 4], &[3, 4], &Limits::default()).unwrap()
    }

    #[test]
    fn accept() {
        let io = setup(
            header(4, 100, 0, 8),
            data_block(0, &[1000, u64::MAX, 1008, 1012]),
        );
        let c = unfiltered_chunks(chunks, &io, &geom()).unwrap();
        let got: Vec<_> = c
            .iter()
            .map(|c| (c.offset.clone(), c.address, c.size))
            .collect();
        assert_eq!(
            got,
            vec![
                (vec![0, 0], 1000, 4),
                (vec![2, 0], 1008, 4),
                (vec![2, 2], 1012, 4)
            ]
        );
    }

    #[test]
    fn rejects() {
        let g = geom();
        let run = |io: FileIo| unfiltered_chunks(chunks, &io, &g);
        // Checksum mismatch in the header.
        let mut h = header(4, 100, 0, 8);
        h[10] ^= 1;
        assert!(run(setup(h, data_block(0, &[0; 4])))
            .unwrap_err()
            .to_string()
            .contains("checksum"));
        // Entry count different from the grid.
        assert!(run(setup(header(5, 100, 0, 8), data_block(0, &[0; 5]))).is_err());
        // Filtered client ID on an unfiltered dataset.
        assert!(run(setup(header(4, 100, 1, 8), data_block(0, &[0; 4]))).is_err());
        // Data block pointing at another header.
        assert!(run(setup(header(4, 100, 0, 8), data_block(8, &[0; 4]))).is_err());
        // Bad data block signature.
        let mut d = data_block(0, &[0; 4]);
        d[0] = b'X';
        let e = run(setup(header(4, 100, 0, 8), d)).unwrap_err();
        assert_eq!(e.offset(), Some(100));
        // Data block truncated by the end of the file.
        assert!(run(setup(header(4, 200, 0, 8), vec![])).is_err());
    }
}
