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
use crate::hdf5::cursor::{Cursor, UNDEFINED_ADDRESS};
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
        ChunkIndexing::FixedArray { .. } => {
            fixed_array::chunks(io, layout.index_address, &g, filtered, budget)
        }
        ChunkIndexing::ExtensibleArray { .. } => {
            extensible_array::chunks(io, layout.index_address, &g, filtered, budget)
        }
        ChunkIndexing::BTreeV2 { .. } => {
            btree_v2::chunks(io, layout.index_address, &g, filtered, budget)
        }
    }
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
        return Err(Error::format(
            structure,
            at,
            format!(
                "element size {elem} invalid for a {} dataset",
                if filtered { "filtered" } else { "unfiltered" }
            ),
        ));
    }
    Ok(())
}

/// Check an array's client ID (0 = unfiltered chunks, 1 = filtered chunks).
fn check_client(client: u8, filtered: bool, structure: &'static str, at: u64) -> Result<()> {
    if client != u8::from(filtered) {
        return Err(Error::format(
            structure,
            at,
            format!(
                "client ID {client} does not match a {} dataset",
                if filtered { "filtered" } else { "unfiltered" }
            ),
        ));
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
