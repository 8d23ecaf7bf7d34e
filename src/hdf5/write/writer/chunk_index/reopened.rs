//! Chunk indexes found only in opened files (layout v4/v5, as HDF5 1.10+ and h5py
//! `libver='latest'` write them): single chunk (type 1), implicit (type 2) and v2 B-tree
//! (type 5, datasets with two or more unlimited dimensions).
//!
//! The commit order is the writer's: chunks and index structures at unreferenced space,
//! then the superblock EOF, then the object header in place, whose layout message
//! (`open::patch_and_serialize`) names the new chunk or tree. A single chunk is rewritten
//! in place when unfiltered (its size never changes), else written anew with its filtered
//! size and mask patched into the layout message. Implicit chunks are all allocated when
//! the dataset is created, so they are always written in place (no filters by
//! definition). A v2 B-tree is bulk-built whole from the chunk records with the tree's own
//! parameters (node size, split and merge percentages kept from the layout message); the
//! previous tree's nodes are freed once the header names the new one.

use super::super::*;
use crate::hdf5::btree_v2::encode as btree_v2;

impl Writer {
    /// Commit a dataset of an opened file indexed by a single chunk, an implicit index or a
    /// v2 B-tree.
    pub(in crate::hdf5::write::writer) fn commit_reopened(
        &mut self,
        ds: DatasetId,
        dims: Vec<u64>,
    ) -> Result<()> {
        let d = self.ds(ds)?;
        let elem = d.elem as u64;
        let filtered = d.pipeline.is_some();
        let Store::Chunked(c) = &d.store else {
            return Err(usage("not chunked"));
        };
        let cbytes = super::chunk_bytes(&c.chunk, elem)?;
        let new_root = match c.kind {
            ChunkIdx::Single => {
                let zero = vec![0u64; c.chunk.len()];
                match (c.index.len(), c.index.get(&zero)) {
                    (0, _) => c.root,
                    (1, Some(rec)) => rec.addr,
                    _ => return Err(usage("single-chunk dataset with a chunk off its origin")),
                }
            }
            ChunkIdx::Implicit => {
                let grid = chunk_grid(&d.max, &c.chunk);
                for (off, rec) in &c.index {
                    let at = implicit_addr(c.root, off, &c.chunk, &grid, cbytes)
                        .ok_or_else(|| usage("implicit chunk outside the grid"))?;
                    if rec.addr != at || u64::from(rec.size) != cbytes {
                        // Never happens: implicit chunks are all indexed at load, and
                        // unfiltered chunks of their full size are rewritten in place.
                        return Err(usage("implicit chunk moved"));
                    }
                }
                c.root
            }
            ChunkIdx::BTreeV2(params) => {
                let rank = c.chunk.len();
                let width = if filtered {
                    Some(c.size_len.unwrap_or_else(|| chunk_size_len(cbytes)))
                } else {
                    None
                };
                // Type 10: address, scaled offsets; type 11: address, stored size,
                // filter mask, scaled offsets. The map's order (offsets, dimension 0
                // first) is the tree's (`H5D__bt2_compare`).
                let mut recs = Vec::with_capacity(c.index.len());
                for (off, rec) in &c.index {
                    let mut r = Encoder::sized(self.sizes).offset(rec.addr).take();
                    if let Some(w) = width {
                        let size = u64::from(rec.size);
                        if w < 8 && size >> (8 * w) != 0 {
                            return Err(usage("filtered chunk too big for the index"));
                        }
                        r.extend_from_slice(&size.to_le_bytes()[..w]);
                        r.extend_from_slice(&rec.mask.to_le_bytes());
                    }
                    for (o, cd) in off.iter().zip(&c.chunk) {
                        r.extend_from_slice(&(o / cd).to_le_bytes());
                    }
                    recs.push(r);
                }
                let o = self.sizes.o();
                let (rtype, rsize) = match width {
                    Some(w) => (11, o + w + 4 + 8 * rank),
                    None => (10, o + 8 * rank),
                };
                let rsize = u16::try_from(rsize).map_err(|_| usage("chunk record size"))?;
                let ext = btree_v2::write_with(
                    self.sizes,
                    params,
                    rtype,
                    rsize,
                    &recs,
                    &mut |b: &[u8]| self.alloc_write(b),
                )?;
                let old = match &mut self.ds_mut(ds)?.store {
                    Store::Chunked(c) => std::mem::replace(&mut c.index_blocks, ext.blocks),
                    _ => Vec::new(),
                };
                // Unreferenced once the header names the new tree (`commit_header`).
                for (a, l) in old {
                    self.free.release(!ds.0, a, l);
                }
                ext.header
            }
            _ => return Err(usage("not an index of an opened file")),
        };
        self.indexed(ds, dims, None, Some(new_root))?;
        self.commit_header(ds.0)?;
        self.free.stage(ds.0);
        Ok(())
    }
}

/// Address of the implicit chunk at element offset `off`: `base` + its row-major number
/// in the chunk grid of the maximum dimensions × chunk bytes.
pub(in crate::hdf5::write::writer) fn implicit_addr(
    base: u64,
    off: &[u64],
    chunk: &[u64],
    grid: &[u64],
    cbytes: u64,
) -> Option<u64> {
    let mut n = 0u64;
    for ((o, c), g) in off.iter().zip(chunk).zip(grid) {
        let s = o / c;
        if s >= *g {
            return None;
        }
        n = n.checked_mul(*g)?.checked_add(s)?;
    }
    base.checked_add(n.checked_mul(cbytes)?)
}
