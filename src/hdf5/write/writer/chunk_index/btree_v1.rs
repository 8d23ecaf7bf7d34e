//! The v1 B-tree chunk index (layout v3): committing a chunked dataset.

use super::super::*;

impl Writer {
    /// Commit a chunked dataset: B-tree nodes (new space), EOF, root in place (or the
    /// first root at new space), then the header with `dims`.
    pub(in crate::hdf5::write::writer) fn commit_chunked(
        &mut self,
        ds: DatasetId,
        dims: Vec<u64>,
    ) -> Result<()> {
        self.drain_queue(ds)?;
        if let Store::Chunked(c) = &self.ds(ds)?.store {
            match c.kind {
                ChunkIdx::BTreeV1 => {}
                ChunkIdx::Fixed | ChunkIdx::Extensible(_) => return self.commit_array(ds, dims),
                _ => return self.commit_reopened(ds, dims),
            }
        }
        let d = self.ds_mut(ds)?;
        let elem = d.elem as u64;
        let Store::Chunked(c) = &mut d.store else {
            return Err(usage("not chunked"));
        };
        let mut cache = std::mem::take(&mut c.cache);
        let slotted = self.commit.slots.contains_key(&ds.0);
        let Store::Chunked(c) = &self.ds(ds)?.store else {
            return Err(usage("not chunked"));
        };
        let chunk = c.chunk.clone();
        let recs: Vec<(Vec<u64>, ChunkRec)> =
            c.index.iter().map(|(k, v)| (k.clone(), *v)).collect();
        let root_addr = c.root;
        let key_size = 8 + 8 * (chunk.len() + 1);
        let mut level = Vec::with_capacity(recs.len());
        for (i, (off, rec)) in recs.iter().enumerate() {
            let mut o = off.clone();
            o.push(0);
            let lo = chunk_key(rec.size, rec.mask, &o);
            let hi = match recs.get(i + 1) {
                Some((n, r)) => {
                    let mut o = n.clone();
                    o.push(0);
                    chunk_key(r.size, r.mask, &o)
                }
                None => {
                    // Right key past the last chunk, as HDF5 writes it.
                    let mut o = off.clone();
                    for (x, cd) in o.iter_mut().zip(&chunk).skip(1) {
                        *x += cd;
                    }
                    o.push(elem);
                    chunk_key(0, 0, &o)
                }
            };
            level.push((lo, hi, rec.addr));
        }
        let mut inplace = Vec::new();
        self.commit.touched = Some(Vec::new());
        let built = if recs.is_empty() {
            Ok(None)
        } else {
            let k = self.k.chunk;
            self.build_tree(&mut cache, 1, level, key_size, k).map(Some)
        };
        let live = self.commit.touched.take().unwrap_or_default();
        let built = built?;
        if slotted {
            // A slotted dataset gets a new root each time: the slot points at it.
            let new_root = match built {
                Some(root) => Some(self.cached_write(&mut cache, root)?),
                None => None,
            };
            // Nodes of earlier commits this tree no longer uses are freed by this commit.
            let mut live: std::collections::HashSet<u64> = live.into_iter().collect();
            live.extend(new_root);
            let dead: Vec<(u64, usize)> = cache
                .iter()
                .filter(|(_, a)| !live.contains(a))
                .map(|(b, a)| (*a, b.len()))
                .collect();
            cache.retain(|_, a| live.contains(a));
            for (a, l) in dead {
                self.free.release(ds.0, a, l as u64);
            }
            self.indexed(ds, dims, Some(cache), new_root)?;
            return self.commit_slot(ds.0, None);
        }
        let new_root = match built {
            None => None,
            Some(root) if root_addr == UNDEF => Some(self.alloc_write(&root)?),
            Some(root) => {
                inplace.push((root_addr, root));
                None
            }
        };
        self.indexed(ds, dims, Some(cache), new_root)?;
        self.sync_nrows(ds.0)?;
        let (haddr, hbytes) = self.header_bytes(ds.0)?;
        self.publish_eof()?;
        for (a, b) in inplace {
            self.put(a, &b)?;
        }
        self.put(haddr, &hbytes)?;
        self.free.stage(ds.0);
        Ok(())
    }
}
