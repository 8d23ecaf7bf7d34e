//! Chunk indexes, one module per kind: v1 B-tree (`btree_v1`), fixed and extensible
//! arrays (`array`, 1.10 profile). The kind of a new dataset's index is chosen by its
//! profile (`Profile::chunk_index`).

mod array;
mod btree_v1;
mod reopened;

pub(super) use array::ArrayBlocks;
pub(super) use reopened::implicit_addr;

use super::*;

impl Writer {
    /// An index commit laid out: the dataset's dimensions become `dims`, its index node
    /// cache and root (when given) the new ones, no dimension change pending.
    fn indexed(
        &mut self,
        ds: DatasetId,
        dims: Vec<u64>,
        cache: Option<HashMap<Vec<u8>, u64>>,
        root: Option<u64>,
    ) -> Result<()> {
        let d = self.ds_mut(ds)?;
        d.dims = dims;
        if let Store::Chunked(c) = &mut d.store {
            if let Some(cache) = cache {
                c.cache = cache;
            }
            if let Some(r) = root {
                c.root = r;
            }
            c.pending_dims = None;
        }
        Ok(())
    }
}

/// Bytes of a whole chunk of `chunk` elements of `elem` bytes.
fn chunk_bytes(chunk: &[u64], elem: u64) -> Result<u64> {
    product(chunk)?
        .checked_mul(elem)
        .ok_or_else(|| usage("size overflows"))
}
