//! Single Chunk index (spec VII.A) and Implicit index (spec VII.B), layout v4/v5.
//!
//! Single chunk: the layout's index address is the chunk itself; its filtered size and
//! mask are in the layout message when flag bit 1 is set (quirk 9), otherwise the chunk
//! is stored unfiltered at full size. Implicit: every chunk of the grid (computed from
//! the maximum dimensions) is stored unfiltered, consecutively in row-major chunk order
//! from the index address. Refused: an implicit region running past the end of the file.

use super::{check_count, grid_count, row_major_coords, ChunkInfo, Geometry};
use crate::error::{Error, Result};
use crate::hdf5::io::{Budget, FileIo};

/// The one chunk of a single-chunk dataset.
pub fn single_chunk(
    address: u64,
    filtered: Option<(u64, u32)>,
    g: &Geometry,
) -> Result<Vec<ChunkInfo>> {
    let (size, mask) = filtered.unwrap_or((g.chunk_bytes, 0));
    let zeros = vec![0u64; g.rank()];
    Ok(g.info(&zeros, address, size, mask).into_iter().collect())
}

/// The chunks of an implicitly indexed dataset.
pub fn implicit(
    io: &FileIo,
    address: u64,
    g: &Geometry,
    budget: &mut Budget,
) -> Result<Vec<ChunkInfo>> {
    const S: &str = "implicit chunk index";
    let grid = g.grid(&g.max_dims);
    if grid.contains(&u64::MAX) {
        return Err(Error::format(
            S,
            address,
            "implicit index with an unlimited dimension",
        ));
    }
    let n = grid_count(&grid).ok_or_else(|| Error::format(S, address, "chunk count overflows"))?;
    let total = n
        .checked_mul(g.chunk_bytes)
        .ok_or_else(|| Error::format(S, address, "index region size overflows"))?;
    // The whole region must exist: this also bounds the chunk count by the file size.
    io.check_window(address, total, S)?;
    budget.visit(address, S)?;
    budget.charge(n, address)?;
    let cap = check_count(n, &io.limits, S, address)?;
    let mut out = Vec::with_capacity(cap);
    for i in 0..n {
        let scaled = row_major_coords(i, &grid);
        // i * chunk_bytes <= total, which did not overflow.
        let addr = address + i * g.chunk_bytes;
        if let Some(info) = g.info(&scaled, addr, g.chunk_bytes, 0) {
            out.push(info);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;
    use crate::hdf5::message::layout::ChunkIndexing;
    use crate::limits::Limits;

    #[test]
    fn single() {
        let lay = layout(
            &[3, 4],
            4,
            ChunkIndexing::SingleChunk { filtered: None },
            2048,
        );
        let g = Geometry::new(&lay, &[3, 4], &[3, 4], &Limits::default()).unwrap();
        let c = single_chunk(2048, None, &g).unwrap();
        assert_eq!(
            c,
            vec![ChunkInfo {
                offset: vec![0, 0],
                address: 2048,
                size: 48,
                filter_mask: 0
            }]
        );
        let c = single_chunk(2048, Some((27, 4)), &g).unwrap();
        assert_eq!((c[0].size, c[0].filter_mask), (27, 4));
    }

    #[test]
    fn implicit_accept_and_truncated() {
        let lay = layout(&[2, 2], 1, ChunkIndexing::Implicit, 8);
        // 3x3 dataset -> 2x2 grid of 4-byte chunks at 8, 12, 16, 20.
        let g = Geometry::new(&lay, &[3, 3], &[3, 3], &Limits::default()).unwrap();
        let io = io(vec![0u8; 24]);
        let mut b = Budget::new(&io.limits);
        let c = implicit(&io, 8, &g, &mut b).unwrap();
        let got: Vec<_> = c.iter().map(|c| (c.offset.clone(), c.address)).collect();
        assert_eq!(
            got,
            vec![
                (vec![0, 0], 8),
                (vec![0, 2], 12),
                (vec![2, 0], 16),
                (vec![2, 2], 20)
            ]
        );
        // One byte short.
        let io = super::super::test_util::io(vec![0u8; 23]);
        let mut b = Budget::new(&io.limits);
        assert!(implicit(&io, 8, &g, &mut b).is_err());
    }
}
