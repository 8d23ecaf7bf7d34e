//! Variable-length rows: global heap collections and the vlen references to them.

use super::*;

/// Vlen rows are gathered into one collection up to this many bytes (less in files with
/// 2-byte lengths, `Writer::vlen_batch_bytes`).
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
        // A collection holds a 16-byte header and object header per row and the free
        // space object; with 2-byte lengths it stays under 64 KiB.
        let batch = if self.sizes.lengths == 2 {
            VLEN_BATCH_BYTES / 4
        } else {
            VLEN_BATCH_BYTES
        };
        if let Store::Chunked(c) = &mut self.ds_mut(*ds)?.store {
            for r in rows {
                c.vlen_pending_bytes += r.len();
                c.vlen_pending.push(r.to_vec());
            }
            full = c.vlen_pending_bytes >= batch || c.vlen_pending.len() >= VLEN_BATCH_ROWS;
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

    /// One global heap collection for the non-empty `rows`, and their vlen descriptors
    /// (element count, collection address, object index: 16 bytes with 8-byte offsets)
    /// in row order.
    fn vlen_descriptors(&mut self, rows: &[&[u8]], bsize: usize) -> Result<Vec<u8>> {
        let nonempty: Vec<&[u8]> = rows.iter().copied().filter(|r| !r.is_empty()).collect();
        let gaddr = if nonempty.is_empty() {
            0
        } else {
            self.write_collection(&nonempty)?
        };
        let mut desc = Encoder::sized(self.sizes);
        let mut k = 0u32;
        for r in rows {
            let n = u32::try_from(r.len() / bsize.max(1))
                .map_err(|_| usage("vlen row of 2^32 elements or more"))?;
            desc.u32(n);
            if r.is_empty() {
                desc.offset(0).u32(0);
            } else {
                k += 1;
                desc.offset(gaddr).u32(k);
            }
        }
        Ok(desc.finish())
    }

    /// Write one global heap collection holding `objects`; its address. Refused when the
    /// collection's size does not fit in the file's lengths (2-byte lengths: 64 KiB).
    pub(super) fn write_collection(&mut self, objects: &[&[u8]]) -> Result<u64> {
        let gcol = encode_global_heap(self.sizes, objects);
        if !self.sizes.length_fits(gcol.len() as u64) {
            return Err(usage(format!(
                "a global heap collection of {} bytes does not fit in the file's {}-byte \
                 lengths",
                gcol.len(),
                self.sizes.lengths
            )));
        }
        self.alloc_write(&gcol)
    }

    /// `dt` as this file stores it: a variable-length element is a 4-byte count and a
    /// global heap ID (an address and a 4-byte index), 16 bytes with 8-byte offsets, 12
    /// with 4-byte ones. Variable-length or reference members of compound and array types
    /// are refused in files whose offsets are not 8 bytes (their layout would change).
    pub(super) fn file_datatype(&self, dt: Datatype) -> Result<Datatype> {
        if self.sizes.offsets == 8 {
            return Ok(dt);
        }
        let size = 8 + u32::from(self.sizes.offsets);
        Ok(match dt {
            Datatype::VarLenString {
                padding, charset, ..
            } => Datatype::VarLenString {
                size,
                padding,
                charset,
            },
            Datatype::VarLenSequence { base, .. } if !base.is_variable_length() => {
                Datatype::VarLenSequence { size, base }
            }
            dt if dt.is_variable_length() || dt.has_reference() => {
                return Err(usage(format!(
                    "a {dt:?} in a file with {}-byte offsets (nested variable-length types \
                     and references are written in files with 8-byte offsets only)",
                    self.sizes.offsets
                )))
            }
            dt => dt,
        })
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
