//! Variable-length rows: global heap collections and the vlen references to them.

use super::*;

/// Vlen rows are gathered into one collection up to this many bytes.
const VLEN_BATCH_BYTES: usize = 1 << 16;
const VLEN_BATCH_ROWS: usize = 4096;

impl Writer {
    /// Append variable-length rows to a rank-1 vlen-sequence dataset (VLArray); each row
    /// is the raw bytes of its base elements (file byte order). Rows are stored in global
    /// heap collections; an empty row is count 0 with a null heap ID.
    pub fn append_vlen(&mut self, ds: &DatasetId, rows: &[&[u8]]) -> Result<()> {
        self.check()?;
        let d = self.ds(*ds)?;
        let Datatype::VarLenSequence { base, .. } = &d.dt else {
            return Err(usage(
                "append_vlen needs a variable-length sequence dataset",
            ));
        };
        let bsize = to_usize(base.size())?;
        if d.dims.len() != 1 {
            return Err(usage("append_vlen needs a rank-1 dataset"));
        }
        for r in rows {
            if bsize == 0 || r.len() % bsize != 0 || r.len() > u32::MAX as usize {
                return Err(usage("vlen row is not a whole number of base elements"));
            }
        }
        let mut full = false;
        if let Store::Chunked(c) = &mut self.ds_mut(*ds)?.store {
            for r in rows {
                c.vlen_pending_bytes += r.len();
                c.vlen_pending.push(r.to_vec());
            }
            full =
                c.vlen_pending_bytes >= VLEN_BATCH_BYTES || c.vlen_pending.len() >= VLEN_BATCH_ROWS;
        }
        if full {
            self.materialize_vlen(*ds)?;
        }
        Ok(())
    }

    pub(super) fn materialize_vlen(&mut self, ds: DatasetId) -> Result<()> {
        let (rows, bsize) = {
            let d = self.ds_mut(ds)?;
            let bsize = match &d.dt {
                Datatype::VarLenSequence { base, .. } => base.size() as usize,
                _ => return Ok(()),
            };
            let Store::Chunked(c) = &mut d.store else {
                return Ok(());
            };
            c.vlen_pending_bytes = 0;
            (std::mem::take(&mut c.vlen_pending), bsize.max(1))
        };
        if rows.is_empty() {
            return Ok(());
        }
        let nonempty: Vec<&[u8]> = rows
            .iter()
            .filter(|r| !r.is_empty())
            .map(|r| r.as_slice())
            .collect();
        let gaddr = if nonempty.is_empty() {
            0
        } else {
            self.alloc_write(&encode_global_heap(&nonempty))?
        };
        let mut desc = Vec::with_capacity(rows.len() * 16);
        let mut k = 0u32;
        for r in &rows {
            desc.extend_from_slice(&((r.len() / bsize) as u32).to_le_bytes());
            if r.is_empty() {
                desc.extend_from_slice(&[0u8; 12]);
            } else {
                k += 1;
                desc.extend_from_slice(&gaddr.to_le_bytes());
                desc.extend_from_slice(&k.to_le_bytes());
            }
        }
        self.append_raw(&ds, &desc)
    }

    pub(super) fn materialize_vlen_if_pending(&mut self, ds: DatasetId) -> Result<()> {
        let pending = match &self.ds(ds)?.store {
            Store::Chunked(c) => !c.vlen_pending.is_empty(),
            _ => false,
        };
        if pending {
            self.materialize_vlen(ds)?;
        }
        Ok(())
    }
}
