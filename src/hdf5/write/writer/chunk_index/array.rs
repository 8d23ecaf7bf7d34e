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
        let Store::Chunked(c) = &mut self.ds_mut(ds)?.store else {
            return Err(usage("not chunked"));
        };
        let old_cache = std::mem::take(&mut c.cache);
        let root = c.root;
        let Store::Chunked(c) = &self.ds(ds)?.store else {
            return Err(usage("not chunked"));
        };
        let elems = self.array_elems(ds, &c.index)?;
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
        let hdr_len = self.array_header_len(ds.0);
        let hdr = match slot_hdr {
            Some(h) => h,
            None if root == UNDEF => self.alloc(hdr_len),
            None => root,
        };
        let (hbytes, cache) = self.write_array_blocks(ds, hdr, &elems, &old_cache)?;
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

    /// The array elements (element number: address, stored size, filter mask) of the
    /// chunks of `index` in the array of `ds`.
    pub(in crate::hdf5::write::writer) fn array_elems(
        &self,
        ds: DatasetId,
        index: &BTreeMap<Vec<u64>, ChunkRec>,
    ) -> Result<BTreeMap<u64, (u64, u64, u32)>> {
        let d = self.ds(ds)?;
        let Store::Chunked(c) = &d.store else {
            return Err(usage("not chunked"));
        };
        let grid = array_grid(&d.max, &c.chunk);
        let mut elems = BTreeMap::new();
        for (off, rec) in index {
            let scaled: Vec<u64> = off.iter().zip(&c.chunk).map(|(o, c)| o / c).collect();
            let i = match c.kind {
                ChunkIdx::Extensible(ud) => ea_index(&scaled, ud, &grid),
                _ => fa_index(&scaled, &grid),
            }
            .ok_or_else(|| usage("chunk index overflows"))?;
            elems.insert(i, (rec.addr, u64::from(rec.size), rec.mask));
        }
        Ok(elems)
    }

    /// Write the blocks of the array of `ds` holding `elems` below a header at `hdr` (a
    /// block of `old` with the same bytes is reused): the header's bytes, and the blocks
    /// written or reused (the live ones).
    /// How the array elements of dataset `d` (chunked as `c`) are encoded in this file:
    /// address width, and the stored size width of filtered chunks.
    pub(in crate::hdf5::write::writer) fn elem_fmt(&self, d: &Ds, c: &Chunked) -> Result<ElemFmt> {
        let cbytes = super::chunk_bytes(&c.chunk, d.elem as u64)?;
        Ok(ElemFmt {
            filtered: d
                .pipeline
                .is_some()
                .then(|| c.size_len.unwrap_or_else(|| chunk_size_len(cbytes))),
            sizes: self.sizes,
        })
    }

    pub(in crate::hdf5::write::writer) fn write_array_blocks(
        &mut self,
        ds: DatasetId,
        hdr: u64,
        elems: &BTreeMap<u64, (u64, u64, u32)>,
        old: &HashMap<Vec<u8>, u64>,
    ) -> Result<ArrayBlocks> {
        let d = self.ds(ds)?;
        let Store::Chunked(c) = &d.store else {
            return Err(usage("not chunked"));
        };
        let fmt = self.elem_fmt(d, c)?;
        let kind = c.kind;
        let grid = array_grid(&d.max, &c.chunk);
        let mut cache = HashMap::new();
        let mut write = |b: Vec<u8>| -> Result<u64> {
            if let Some(a) = old.get(&b).or_else(|| cache.get(&b)) {
                let a = *a;
                cache.insert(b, a);
                return Ok(a);
            }
            let a = self.alloc_write(&b)?;
            cache.insert(b, a);
            Ok(a)
        };
        let hbytes = match kind {
            ChunkIdx::Extensible(_) => {
                let (ib, st) = write_earray(fmt, hdr, elems, &mut write)?;
                encode_eahd(fmt, &st, ib)
            }
            _ => {
                let n = grid.iter().product::<u64>();
                let db = write(encode_fadb(fmt, hdr, n, elems)?)?;
                encode_fahd(fmt, n, db)
            }
        };
        Ok((hbytes, cache))
    }
}

/// An array header's bytes and the blocks below it (bytes: address).
pub(in crate::hdf5::write::writer) type ArrayBlocks = (Vec<u8>, HashMap<Vec<u8>, u64>);

/// Chunks per dimension of an array index (0 for the unlimited one).
fn array_grid(max: &[u64], chunk: &[u64]) -> Vec<u64> {
    max.iter()
        .zip(chunk)
        .map(|(m, c)| if *m == UNDEF { 0 } else { m.div_ceil(*c) })
        .collect()
}
