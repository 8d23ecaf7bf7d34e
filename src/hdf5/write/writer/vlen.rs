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
        let Some(bsize) = vlen_base_size(&d.dt) else {
            return Err(usage(
                "append_vlen needs a variable-length sequence or string dataset",
            ));
        };
        let bsize = to_usize(bsize)?;
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
            let Some(bsize) = vlen_base_size(&d.dt) else {
                return Ok(());
            };
            let bsize = to_usize(bsize)?;
            let Store::Chunked(c) = &mut d.store else {
                return Ok(());
            };
            c.vlen_pending_bytes = 0;
            (std::mem::take(&mut c.vlen_pending), bsize.max(1))
        };
        if rows.is_empty() {
            return Ok(());
        }
        let refs: Vec<&[u8]> = rows.iter().map(Vec::as_slice).collect();
        let desc = self.vlen_descriptors(&refs, bsize)?;
        self.append_raw(&ds, &desc)
    }

    /// One global heap collection for the non-empty `rows`, and their 16-byte vlen
    /// descriptors (element count, collection address, object index) in row order.
    fn vlen_descriptors(&mut self, rows: &[&[u8]], bsize: usize) -> Result<Vec<u8>> {
        let nonempty: Vec<&[u8]> = rows.iter().copied().filter(|r| !r.is_empty()).collect();
        let gaddr = if nonempty.is_empty() {
            0
        } else {
            self.alloc_write(&encode_global_heap(&nonempty))?
        };
        let mut desc = Vec::with_capacity(rows.len() * 16);
        let mut k = 0u32;
        for r in rows {
            let n = u32::try_from(r.len() / bsize.max(1))
                .map_err(|_| usage("vlen row of 2^32 elements or more"))?;
            desc.extend_from_slice(&n.to_le_bytes());
            if r.is_empty() {
                desc.extend_from_slice(&[0u8; 12]);
            } else {
                k += 1;
                desc.extend_from_slice(&gaddr.to_le_bytes());
                desc.extend_from_slice(&k.to_le_bytes());
            }
        }
        Ok(desc)
    }

    /// Write variable-length values (strings: their bytes; sequences: their base
    /// elements' raw bytes) into hyperslab `sel` of a dataset of any rank and layout, in C
    /// order, as one global heap collection: callers pass batches of a bounded size.
    pub fn write_vlen_slice(
        &mut self,
        ds: &DatasetId,
        sel: &[Range<u64>],
        rows: &[&[u8]],
    ) -> Result<()> {
        self.check()?;
        let Some(bsize) = vlen_base_size(&self.ds(*ds)?.dt) else {
            return Err(usage(
                "write_vlen_slice needs a variable-length sequence or string dataset",
            ));
        };
        let bsize = to_usize(bsize)?;
        self.materialize_vlen_if_pending(*ds)?;
        for r in rows {
            if bsize == 0 || r.len() % bsize != 0 {
                return Err(usage("vlen row is not a whole number of base elements"));
            }
        }
        let desc = self.vlen_descriptors(rows, bsize)?;
        self.write_slice_raw(ds, sel, &desc)
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

/// Bytes per element of a variable-length type's base (1 for strings).
fn vlen_base_size(dt: &Datatype) -> Option<u64> {
    match dt {
        Datatype::VarLenSequence { base, .. } => Some(base.size()),
        Datatype::VarLenString { .. } => Some(1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::read::{File, Node, Value};
    use crate::hdf5::write::MemWriteStorage;

    /// Variable-length string datasets: rank 2 chunked, scalar compact, extensible appended.
    #[test]
    fn vlen_string_datasets_read_back() {
        let m = MemWriteStorage::new();
        let mut w = Writer::with_storage(Box::new(m.clone()), WriteOptions::default()).unwrap();
        let vs = Dtype::Custom(types::vlen_str());
        let g = w
            .create_dataset(
                "/grid",
                DatasetBuilder::new(vs.clone())
                    .shape(&[2, 2])
                    .chunks(&[1, 2]),
            )
            .unwrap();
        let rows: [&[u8]; 4] = [b"a", b"bb", b"", "é".as_bytes()];
        w.write_vlen_slice(&g, &[0..2, 0..2], &rows).unwrap();
        let s = w
            .create_dataset("/one", DatasetBuilder::new(vs.clone()).shape(&[]).compact())
            .unwrap();
        w.write_vlen_slice(&s, &[], &[b"scalar"]).unwrap();
        let l = w
            .create_dataset(
                "/log",
                DatasetBuilder::new(vs)
                    .shape(&[0])
                    .max_shape(&[None])
                    .chunks(&[4]),
            )
            .unwrap();
        w.append_vlen(&l, &[b"first", b"second"]).unwrap();
        w.append_vlen(&l, &[b"third"]).unwrap();
        assert!(w
            .write_vlen_slice(&g, &[0..1, 0..1], &[b"a", b"b"])
            .is_err());
        w.close().unwrap();
        let f = File::from_bytes(m.bytes()).unwrap();
        let strs = |p: &str| -> Vec<String> {
            let Node::Dataset(d) = f.get(p).unwrap() else {
                panic!("{p}")
            };
            d.values()
                .unwrap()
                .into_iter()
                .map(|v| match v {
                    Value::VarString(s) => String::from_utf8(s).unwrap(),
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        assert_eq!(strs("/grid"), ["a", "bb", "", "é"]);
        assert_eq!(strs("/one"), ["scalar"]);
        assert_eq!(strs("/log"), ["first", "second", "third"]);
    }
}
