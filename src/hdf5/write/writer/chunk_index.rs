//! Chunk indexes, one module per kind: v1 B-tree (`btree_v1`), fixed and extensible
//! arrays (`array`, 1.10 profile); here the choice of kind for a new dataset.

use super::*;

impl Writer {
    /// The chunk index of a new chunked dataset: v1 B-tree in the PyTables profile; in
    /// the 1.10 profile an extensible array for one unlimited dimension, a fixed array
    /// for none (up to 2^24 chunks), else a v1 B-tree (as HDF5 1.10 would use a v2 B-tree,
    /// which we do not write).
    pub(super) fn chunk_index_kind(&self, max: &[u64], chunk: &[u64]) -> ChunkIdx {
        if !self.v110 {
            return ChunkIdx::BTreeV1;
        }
        let unl: Vec<usize> = (0..max.len()).filter(|&d| max[d] == UNDEF).collect();
        match unl.as_slice() {
            [] => {
                let n = max
                    .iter()
                    .zip(chunk)
                    .try_fold(1u64, |a, (m, c)| a.checked_mul(m.div_ceil(*c)));
                match n {
                    Some(n) if n <= 1 << 24 => ChunkIdx::Fixed,
                    _ => ChunkIdx::BTreeV1,
                }
            }
            [ud] => ChunkIdx::Extensible(*ud),
            _ => ChunkIdx::BTreeV1,
        }
    }
}

mod array;
mod btree_v1;
