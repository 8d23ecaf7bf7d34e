//! Fixed-array and extensible-array chunk indexes (layout v4, 1.10 profile).

use super::super::*;

impl Writer {
    /// Commit the fixed or extensible array of a chunked dataset (1.10 profile): blocks
    /// below the header at new space (unchanged ones reused), EOF, the header in place
    /// (or, the first time, at new space), then the object header with `dims`.
    pub(in crate::hdf5::write::writer) fn commit_array(
        &mut self,
        ds: DatasetId,
        dims: Vec<u64>,
    ) -> Result<()> {
        let d = self.ds_mut(ds)?;
        let elem = d.elem as u64;
        let filtered = d.pipeline.is_some();
        let max = d.max.clone();
        let Store::Chunked(c) = &mut d.store else {
            return Err(usage("not chunked"));
        };
        let old_cache = std::mem::take(&mut c.cache);
        let chunk = c.chunk.clone();
        let kind = c.kind;
        let root = c.root;
        let cbytes = super::chunk_bytes(&chunk, elem)?;
        let fmt = ElemFmt {
            filtered: filtered.then(|| c.size_len.unwrap_or_else(|| chunk_size_len(cbytes))),
        };
        let grid: Vec<u64> = max
            .iter()
            .zip(&chunk)
            .map(|(m, c)| if *m == UNDEF { 0 } else { m.div_ceil(*c) })
            .collect();
        let mut elems = BTreeMap::new();
        for (off, rec) in &c.index {
            let scaled: Vec<u64> = off.iter().zip(&chunk).map(|(o, c)| o / c).collect();
            let i = match kind {
                ChunkIdx::Extensible(ud) => ea_index(&scaled, ud, &grid),
                _ => fa_index(&scaled, &grid),
            }
            .ok_or_else(|| usage("chunk index overflows"))?;
            elems.insert(i, (rec.addr, u64::from(rec.size), rec.mask));
        }
        let slot_hdr = self.slot_array_header(ds.0);
        if elems.is_empty() {
            let Some(h) = slot_hdr else {
                self.indexed(ds, dims, None, None)?;
                return self.commit_header(ds.0);
            };
            // The header in the slot names no block again (rows truncated away).
            for (b, a) in &old_cache {
                self.free.release(ds.0, *a, b.len() as u64);
            }
            let hbytes = self.empty_array_header(ds.0)?;
            self.indexed(ds, dims, Some(HashMap::new()), Some(h))?;
            return self.commit_slot(ds.0, Some(hbytes));
        }
        let hdr_len = match kind {
            ChunkIdx::Extensible(_) => 72,
            _ => 28,
        };
        let hdr = match slot_hdr {
            Some(h) => h,
            None if root == UNDEF => self.alloc(hdr_len),
            None => root,
        };
        // Blocks: reuse an identical block already in the file, else write it anew; the
        // cache keeps only the blocks of this commit (the live ones).
        let mut cache = HashMap::new();
        let hbytes = {
            let mut write = |b: Vec<u8>| -> Result<u64> {
                if let Some(a) = old_cache.get(&b).or_else(|| cache.get(&b)) {
                    let a = *a;
                    cache.insert(b, a);
                    return Ok(a);
                }
                let a = self.alloc_write(&b)?;
                cache.insert(b, a);
                Ok(a)
            };
            match kind {
                ChunkIdx::Extensible(_) => {
                    let (ib, st) = write_earray(fmt, hdr, &elems, &mut write)?;
                    encode_eahd(fmt, &st, ib)
                }
                _ => {
                    let n = grid.iter().product::<u64>();
                    let db = write(encode_fadb(fmt, hdr, n, &elems)?)?;
                    encode_fahd(fmt, n, db)
                }
            }
        };
        let live: std::collections::HashSet<u64> = cache.values().copied().collect();
        for (b, a) in &old_cache {
            if !live.contains(a) {
                self.free.release(ds.0, *a, b.len() as u64);
            }
        }
        if slot_hdr.is_some() {
            self.indexed(ds, dims, Some(cache), Some(hdr))?;
            return self.commit_slot(ds.0, Some(hbytes));
        }
        if root == UNDEF {
            self.put(hdr, &hbytes)?;
        }
        self.indexed(ds, dims, Some(cache), Some(hdr))?;
        let (haddr, obytes) = self.header_bytes(ds.0)?;
        self.publish_eof()?;
        if root != UNDEF {
            self.put(hdr, &hbytes)?;
        }
        self.put(haddr, &obytes)?;
        self.free.stage(ds.0);
        Ok(())
    }
}
