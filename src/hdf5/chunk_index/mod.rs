//! Chunk indexes: where the chunks of a chunked dataset are stored (spec VII, Appendix C
//! "Types of Indexes for Dataset Chunks", and the v1 B-tree of III.A.1).
//!
//! [`chunk_infos`] lists every allocated chunk of a dataset, whatever the index type:
//! - layout v1-v3: v1 B-tree, node type 1 ([`btree_v1`]);
//! - layout v4/v5: single chunk and implicit ([`simple`]), fixed array ([`fixed_array`]),
//!   extensible array ([`extensible_array`]), v2 B-tree records type 10/11 ([`btree_v2`]).
//!
//! Chunks never written are absent; an undefined index address gives an empty list.
//! Chunks whose origin lies outside the current dataspace extent are dropped (they
//! cannot contribute data). Refused: rank mismatch between layout and dataspace, zero
//! chunk dimensions, more than one unlimited dimension for an extensible array, and
//! every structural defect of the index blocks (bad signature, version, checksum,
//! truncation, cycles).

pub mod btree_v1;
pub mod btree_v2;
pub mod extensible_array;
pub mod fixed_array;
pub mod simple;

use crate::error::{Error, Result};
use crate::hdf5::checksum;
use crate::hdf5::cursor::{Cursor, Sizes, UNDEFINED_ADDRESS};
use crate::hdf5::encoder::{usage, Encoder, UNDEF};
use crate::hdf5::io::{Budget, FileIo};
use crate::hdf5::message::layout::{ChunkIndexing, ChunkedLayout};
use crate::limits::Limits;

/// One allocated chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkInfo {
    /// Element coordinates of the chunk's origin, one per dataset dimension.
    pub offset: Vec<u64>,
    /// File address of the stored chunk.
    pub address: u64,
    /// Stored (filtered) size in bytes.
    pub size: u64,
    /// Filter mask: bit `i` set means filter `i` of the pipeline was not applied.
    pub filter_mask: u32,
}

/// Every allocated chunk of a dataset.
///
/// `dims` / `max_dims` are the dataspace's current and maximum dimensions
/// (`u64::MAX` = unlimited; pass `dims` again when there are no maximum dimensions);
/// `filtered` says whether the dataset has a filter pipeline.
pub fn chunk_infos(
    io: &FileIo,
    layout: &ChunkedLayout,
    dims: &[u64],
    max_dims: &[u64],
    filtered: bool,
    budget: &mut Budget,
) -> Result<Vec<ChunkInfo>> {
    let g = Geometry::new(layout, dims, max_dims, &io.limits)?;
    if layout.index_address == UNDEFINED_ADDRESS {
        return Ok(Vec::new());
    }
    let w = IndexWalk {
        io,
        addr: layout.index_address,
        g: &g,
        filtered,
    };
    match &layout.indexing {
        ChunkIndexing::BTreeV1 => btree_v1::chunks(io, layout.index_address, &g, budget),
        ChunkIndexing::SingleChunk { filtered: f } => {
            simple::single_chunk(layout.index_address, *f, &g)
        }
        ChunkIndexing::Implicit => {
            if filtered {
                return Err(Error::format(
                    "implicit chunk index",
                    layout.index_address,
                    "implicit index used with a filtered dataset",
                ));
            }
            simple::implicit(io, layout.index_address, &g, budget)
        }
        ChunkIndexing::FixedArray { .. } => fixed_array::chunks(&w, budget),
        ChunkIndexing::ExtensibleArray { .. } => extensible_array::chunks(&w, budget),
        ChunkIndexing::BTreeV2 { .. } => btree_v2::chunks(&w, budget),
    }
}

/// What a fixed array, extensible array or v2 B-tree index reader is given: the file, the
/// index's header address, the dataset's geometry and whether it has filters.
#[derive(Debug, Clone, Copy)]
pub struct IndexWalk<'a> {
    /// The file.
    pub io: &'a FileIo,
    /// Address of the index header.
    pub addr: u64,
    /// The dataset's chunk geometry.
    pub g: &'a Geometry,
    /// Whether the dataset has a filter pipeline (filtered chunk records).
    pub filtered: bool,
}

/// Validated shape information shared by the index decoders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Geometry {
    /// Chunk dimensions (elements), all non-zero.
    pub chunk_dims: Vec<u64>,
    /// Current dataspace dimensions.
    pub dims: Vec<u64>,
    /// Maximum dataspace dimensions (`u64::MAX` = unlimited), each ≥ the current one.
    pub max_dims: Vec<u64>,
    /// Bytes of one unfiltered chunk: product(chunk_dims) × element size.
    pub chunk_bytes: u64,
}

impl Geometry {
    /// Check a layout against a dataspace.
    pub fn new(
        layout: &ChunkedLayout,
        dims: &[u64],
        max_dims: &[u64],
        limits: &Limits,
    ) -> Result<Self> {
        let at = layout.index_address;
        let err = |reason: String| Error::format("chunked layout", at, reason);
        let rank = layout.chunk_dims.len();
        if rank == 0 || rank != dims.len() || rank != max_dims.len() {
            return Err(err(format!(
                "chunk rank {rank} does not match dataspace rank {} / {}",
                dims.len(),
                max_dims.len()
            )));
        }
        if rank as u64 > u64::from(limits.max_rank) {
            return Err(Error::limit(
                "max_rank",
                limits.max_rank.into(),
                rank as u64,
                Some(at),
            ));
        }
        if layout.chunk_dims.contains(&0) {
            return Err(err("zero chunk dimension".into()));
        }
        if layout.element_size == 0 {
            return Err(err("zero element size".into()));
        }
        let chunk_bytes = layout
            .chunk_dims
            .iter()
            .try_fold(layout.element_size, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| err("chunk size overflows".into()))?;
        // A maximum below the current size is nonsense; treat the current size as the bound.
        let max_dims = dims.iter().zip(max_dims).map(|(&d, &m)| m.max(d)).collect();
        Ok(Geometry {
            chunk_dims: layout.chunk_dims.clone(),
            dims: dims.to_vec(),
            max_dims,
            chunk_bytes,
        })
    }

    /// Rank of the dataset.
    pub fn rank(&self) -> usize {
        self.chunk_dims.len()
    }

    /// Chunks per dimension covering `extent` (ceil division; unlimited stays unlimited).
    pub fn grid(&self, extent: &[u64]) -> Vec<u64> {
        extent
            .iter()
            .zip(&self.chunk_dims)
            .map(|(&e, &c)| {
                if e == u64::MAX {
                    u64::MAX
                } else {
                    e.div_ceil(c)
                }
            })
            .collect()
    }

    /// The chunk with scaled (chunk-index) coordinates `scaled`, or `None` when its origin
    /// lies outside the current extent.
    pub fn info(
        &self,
        scaled: &[u64],
        address: u64,
        size: u64,
        filter_mask: u32,
    ) -> Option<ChunkInfo> {
        let mut offset = Vec::with_capacity(self.rank());
        for ((&s, &c), &d) in scaled.iter().zip(&self.chunk_dims).zip(&self.dims) {
            let o = s.checked_mul(c)?;
            if o >= d {
                return None;
            }
            offset.push(o);
        }
        Some(ChunkInfo {
            offset,
            address,
            size,
            filter_mask,
        })
    }
}

/// Product of a grid, `None` on overflow.
pub fn grid_count(grid: &[u64]) -> Option<u64> {
    grid.iter().try_fold(1u64, |acc, &g| acc.checked_mul(g))
}

/// Row-major decomposition of linear chunk index `idx` over `grid` (last dim fastest).
pub fn row_major_coords(mut idx: u64, grid: &[u64]) -> Vec<u64> {
    let mut out = vec![0u64; grid.len()];
    for (slot, &g) in out.iter_mut().zip(grid).rev() {
        if g == 0 {
            break;
        }
        *slot = idx % g;
        idx /= g;
    }
    out
}

/// Refuse result lists that would exceed the allocation cap before building them.
fn check_count(n: u64, limits: &Limits, structure: &'static str, at: u64) -> Result<usize> {
    let bytes = n.saturating_mul(std::mem::size_of::<ChunkInfo>() as u64 + 16);
    if bytes > limits.max_alloc {
        return Err(Error::limit("max_alloc", limits.max_alloc, bytes, Some(at)));
    }
    usize::try_from(n)
        .map_err(|_| Error::format(structure, at, "chunk count does not fit in memory"))
}

/// Read a whole checksummed block (`len` bytes, the last 4 a lookup3 checksum over the rest).
/// When `sig` is given it is checked first, so a misplaced block is reported as such.
fn read_checked(
    io: &FileIo,
    addr: u64,
    len: u64,
    structure: &'static str,
    sig: Option<&[u8; 4]>,
) -> Result<Vec<u8>> {
    let buf = io.read(addr, len, structure)?;
    if let Some(sig) = sig {
        io.cursor(&buf, addr, structure).signature(sig)?;
    }
    verify_tail(&buf, addr, structure)?;
    Ok(buf)
}

/// Verify that the last 4 bytes of `buf` are the lookup3 checksum of the others.
fn verify_tail(buf: &[u8], addr: u64, structure: &'static str) -> Result<()> {
    let body = buf
        .len()
        .checked_sub(4)
        .ok_or_else(|| Error::format(structure, addr, "block shorter than its checksum"))?;
    let (data, sum) = buf.split_at(body);
    let mut s = [0u8; 4];
    s.copy_from_slice(sum);
    checksum::verify(
        structure,
        addr.saturating_add(body as u64),
        data,
        u32::from_le_bytes(s),
    )
}

/// A decoded array element: (chunk address, stored size (0 when unfiltered), filter mask).
type Element = (u64, u64, u32);

/// One chunk element of a fixed or extensible array (spec VII.C/VII.D): the chunk
/// address, then for filtered datasets the stored size (element size − offsets − 4
/// bytes wide) and the filter mask. `None` for a never-written chunk.
fn array_element(c: &mut Cursor, filtered: bool, elem_size: u8) -> Result<Option<Element>> {
    let addr = c.offset()?;
    let (size, mask) = if filtered {
        let w = usize::from(elem_size)
            .checked_sub(usize::from(c.sizes().offsets) + 4)
            .ok_or_else(|| c.err("element too small for a filtered chunk"))?;
        (c.uint(w)?, c.u32()?)
    } else {
        (0, 0)
    };
    Ok(if addr == UNDEFINED_ADDRESS {
        None
    } else {
        Some((addr, size, mask))
    })
}

/// Check an array element size against the dataset kind: offsets for unfiltered;
/// offsets + 1..=8 + 4 for filtered.
fn check_element_size(
    elem: u8,
    filtered: bool,
    offsets: u8,
    structure: &'static str,
    at: u64,
) -> Result<()> {
    let (e, o) = (u32::from(elem), u32::from(offsets));
    let ok = if filtered {
        e > o + 4 && e <= o + 12
    } else {
        e == o
    };
    if !ok {
        let what = format!("element size {elem} invalid for");
        return Err(dataset_mismatch(structure, at, what, filtered));
    }
    Ok(())
}

/// "`what` a filtered (unfiltered) dataset", at `at`.
fn dataset_mismatch(structure: &'static str, at: u64, what: String, filtered: bool) -> Error {
    let kind = if filtered { "filtered" } else { "unfiltered" };
    Error::format(structure, at, format!("{what} a {kind} dataset"))
}

/// Read, verify and decode the header of a fixed or extensible array at `w.addr`
/// (`structure`, signature, length), and check that its client ID and element size
/// (`elements`) fit the dataset.
fn array_header<H>(
    w: &IndexWalk,
    budget: &mut Budget,
    (structure, sig, len): (&'static str, &[u8; 4], u64),
    parse: fn(&mut Cursor) -> Result<H>,
    elements: fn(&H) -> (u8, u8),
) -> Result<H> {
    budget.visit(w.addr, structure)?;
    let buf = read_checked(w.io, w.addr, len, structure, Some(sig))?;
    let h = parse(&mut w.io.cursor(&buf, w.addr, structure))?;
    let (client, elem) = elements(&h);
    check_client(client, w.filtered, structure, w.addr)?;
    check_element_size(elem, w.filtered, w.io.sizes.offsets, structure, w.addr)?;
    Ok(h)
}

/// Check an array's client ID (0 = unfiltered chunks, 1 = filtered chunks).
fn check_client(client: u8, filtered: bool, structure: &'static str, at: u64) -> Result<()> {
    if client != u8::from(filtered) {
        let what = format!("client ID {client} does not match");
        return Err(dataset_mismatch(structure, at, what, filtered));
    }
    Ok(())
}

/// The prefix of a fixed or extensible array block: signature, version 0, client ID (a
/// mismatch reported at `client_at`, else at the client ID byte), the address of the
/// array's header, which must be `hdr_addr`.
fn block_prefix(
    c: &mut Cursor,
    sig: &[u8; 4],
    filtered: bool,
    hdr_addr: u64,
    client_at: Option<u64>,
) -> Result<()> {
    c.signature(sig)?;
    c.version(0)?;
    let at = client_at.unwrap_or(c.addr());
    check_client(c.u8()?, filtered, c.structure(), at)?;
    let owner = c.offset()?;
    if owner != hdr_addr {
        return Err(c
            .err(format!(
                "header address {owner} does not point back to {hdr_addr}"
            ))
            .into());
    }
    Ok(())
}

/// Whether bit `i` of an HDF5 bitmap is set (most significant bit first, as `H5VM_bit_get`).
fn bit_set(bitmap: &[u8], i: u64) -> bool {
    let byte = usize::try_from(i / 8)
        .ok()
        .and_then(|b| bitmap.get(b))
        .copied()
        .unwrap_or(0);
    byte & (0x80u8 >> (i % 8)) != 0
}

// ---- Encoding (the writer's half) -----------------------------------------------------

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
    /// The file's sizes of offsets (chunk and block addresses) and lengths (header
    /// statistics).
    pub sizes: Sizes,
}

impl ElemFmt {
    /// Bytes per element: the chunk address, then for filtered chunks the stored size and
    /// the filter mask.
    pub fn size(&self) -> usize {
        let a = self.sizes.o();
        match self.filtered {
            Some(w) => a + w + 4,
            None => a,
        }
    }
    fn client(&self) -> u8 {
        u8::from(self.filtered.is_some())
    }
    /// An encoder at the file's sizes.
    fn encoder(&self) -> Encoder {
        Encoder::sized(self.sizes)
    }
    fn push(&self, e: Option<&Elem>, out: &mut Vec<u8>) -> Result<()> {
        let (a, s, m) = e.copied().unwrap_or((UNDEF, 0, 0));
        out.extend_from_slice(&self.encoder().offset(a).take());
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

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;
    use crate::hdf5::cursor::Sizes;
    use crate::storage::MemStorage;
    use std::sync::Arc;

    /// A FileIo over `bytes` with 8-byte offsets and lengths.
    pub fn io(bytes: Vec<u8>) -> FileIo {
        let mut io = FileIo::new(Arc::new(MemStorage::new(bytes)), Limits::default()).unwrap();
        io.sizes = Sizes::default();
        io
    }

    /// Every chunk of the unfiltered dataset `g` whose array index header is at 0 in `io`.
    pub fn unfiltered_chunks(
        chunks: fn(&IndexWalk, &mut Budget) -> Result<Vec<ChunkInfo>>,
        io: &FileIo,
        g: &Geometry,
    ) -> Result<Vec<ChunkInfo>> {
        let w = IndexWalk {
            io,
            addr: 0,
            g,
            filtered: false,
        };
        chunks(&w, &mut Budget::new(&io.limits))
    }

    /// Append a lookup3 checksum of `buf` to it.
    pub fn seal(mut buf: Vec<u8>) -> Vec<u8> {
        let s = checksum::lookup3(&buf);
        buf.extend_from_slice(&s.to_le_bytes());
        buf
    }

    /// A chunked layout for tests.
    pub fn layout(
        chunk_dims: &[u64],
        elem: u64,
        indexing: ChunkIndexing,
        addr: u64,
    ) -> ChunkedLayout {
        ChunkedLayout {
            version: 4,
            flags: 0,
            chunk_dims: chunk_dims.to_vec(),
            element_size: elem,
            indexing,
            index_address: addr,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use super::*;

    #[test]
    fn geometry_rejects() {
        let l = Limits::default();
        let lay = layout(&[2, 0], 4, ChunkIndexing::Implicit, 0);
        assert!(Geometry::new(&lay, &[4, 4], &[4, 4], &l).is_err());
        let lay = layout(&[2, 2], 4, ChunkIndexing::Implicit, 0);
        assert!(Geometry::new(&lay, &[4], &[4], &l).is_err());
        let lay = layout(&[u64::MAX, 2], 4, ChunkIndexing::Implicit, 0);
        assert!(Geometry::new(&lay, &[4, 4], &[4, 4], &l).is_err());
        let g = Geometry::new(
            &layout(&[2, 3], 4, ChunkIndexing::Implicit, 0),
            &[5, 7],
            &[5, 7],
            &l,
        )
        .unwrap();
        assert_eq!(g.chunk_bytes, 24);
        assert_eq!(g.grid(&g.dims), vec![3, 3]);
        assert_eq!(row_major_coords(7, &[3, 3]), vec![2, 1]);
        assert_eq!(g.info(&[2, 2], 1, 2, 3).unwrap().offset, vec![4, 6]);
        assert!(g.info(&[3, 0], 1, 2, 3).is_none());
    }

    #[test]
    fn bitmap_msb_first() {
        assert!(bit_set(&[0x80], 0));
        assert!(!bit_set(&[0x80], 1));
        assert!(bit_set(&[0x00, 0x01], 15));
        assert!(!bit_set(&[0x01], 100));
    }
}

#[cfg(test)]
mod encode_tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::hdf5::chunk_index::extensible_array::{ea_index, encode_eahd, write_earray};
    use crate::hdf5::chunk_index::fixed_array::{encode_fadb, encode_fahd, fa_index};
    use crate::hdf5::chunk_index::{chunk_infos, test_util::io};
    use crate::hdf5::encoder::UNDEF;
    use crate::hdf5::io::Budget;
    use crate::hdf5::message::layout::{ChunkIndexing, ChunkedLayout};

    #[test]
    fn chunk_size_widths() {
        assert_eq!(chunk_size_len(8), 2); // log2 3: 1 + 11/8
        assert_eq!(chunk_size_len(255), 2);
        assert_eq!(chunk_size_len(256), 3);
        assert_eq!(chunk_size_len(16384), 3);
        assert_eq!(chunk_size_len(1 << 40), 7);
        assert_eq!(chunk_size_len(u64::MAX), 8);
        assert_eq!(
            ElemFmt {
                filtered: Some(3),
                sizes: Sizes::default()
            }
            .size(),
            15
        );
        let mut v = Vec::new();
        assert!(ElemFmt {
            filtered: Some(1),
            sizes: Sizes::default()
        }
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
        index: ChunkIndexing,
        dims: &[u64],
        max: &[u64],
        chunk: &[u64],
        filtered: bool,
        elems: &BTreeMap<u64, Elem>,
    ) -> Vec<(Vec<u64>, u64, u64, u32)> {
        let fmt = ElemFmt {
            filtered: filtered.then(|| chunk_size_len(8 * chunk.iter().product::<u64>())),
            sizes: Sizes::default(),
        };
        let mut file = vec![0u8; 256];
        let hdr = 100u64;
        let mut write = |b: Vec<u8>| -> Result<u64> {
            let a = file.len() as u64;
            file.extend_from_slice(&b);
            Ok(a)
        };
        let hb = match index {
            ChunkIndexing::ExtensibleArray { .. } => {
                let (ib, st) = write_earray(fmt, hdr, elems, &mut write).unwrap();
                encode_eahd(fmt, &st, ib)
            }
            _ => {
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
            indexing: index,
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
            ChunkIndexing::WRITTEN_EXTENSIBLE_ARRAY,
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
            ChunkIndexing::WRITTEN_EXTENSIBLE_ARRAY,
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
        let got = read_back(
            ChunkIndexing::WRITTEN_FIXED_ARRAY,
            &[4, 6],
            &[4, 6],
            &[2, 2],
            false,
            &elems,
        );
        assert_eq!(
            got,
            vec![(vec![0, 0], 900, 32, 0), (vec![2, 4], 901, 32, 0)]
        );
        let elems: BTreeMap<u64, Elem> = [(3, (7, 9, 0)), (1500, (8, 10, 1)), (2999, (9, 11, 0))]
            .into_iter()
            .collect();
        let got = read_back(
            ChunkIndexing::WRITTEN_FIXED_ARRAY,
            &[3000],
            &[3000],
            &[1],
            true,
            &elems,
        );
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
