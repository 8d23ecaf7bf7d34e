//! Chunked storage: selections written chunk by chunk, the point-write chunk kept hot,
//! full chunks compressed on all cores (module `pipeline`) and stored past EOF.

use super::*;

/// Largest chunk kept in memory by point writes.
const HOT_CHUNK_MAX: usize = 8 << 20;

impl Writer {
    pub(super) fn read_chunk(&self, d: &Ds, rec: &ChunkRec, cbytes: usize) -> Result<Vec<u8>> {
        let data = self.read(rec.addr, rec.size as usize)?;
        match &d.pipeline {
            Some(p) => filter::decode_chunk(p, rec.mask, data, cbytes, &self.limits, rec.addr),
            None => Ok(data),
        }
    }

    /// Write raw element bytes (file byte order) into hyperslab `sel`. Chunked datasets
    /// grow to cover `sel` when their max shape allows.
    pub fn write_slice_raw(
        &mut self,
        ds: &DatasetId,
        sel: &[Range<u64>],
        data: &[u8],
    ) -> Result<()> {
        self.check()?;
        // Buffered rows go to the file but are committed with the other datasets at the
        // next flush (committing this dataset alone let its rows appear before theirs).
        self.flush_tail_inner(*ds, false)?;
        if let Store::Chunked(c) = &mut self.ds_mut(*ds)?.store {
            // The slice may touch buffered rows: reload them from the file when needed.
            c.tail = None;
        }
        let d = self.ds(*ds)?;
        if sel.len() != d.dims.len() {
            return Err(usage("selection rank differs from dataset rank"));
        }
        if sel.iter().any(|r| r.start > r.end) {
            return Err(usage("reversed range in selection"));
        }
        let counts: Vec<u64> = sel.iter().map(|r| r.end - r.start).collect();
        let want = product(&counts)?.checked_mul(d.elem as u64);
        if want != Some(data.len() as u64) {
            return Err(usage(format!(
                "{} bytes given for a selection of {:?} elements of {} bytes",
                data.len(),
                counts,
                d.elem
            )));
        }
        let elem = d.elem;
        let mut new_dims = d.cur_dims();
        for (i, r) in sel.iter().enumerate() {
            if r.end > new_dims[i] {
                let chunked = matches!(d.store, Store::Chunked(_));
                if !chunked || (d.max[i] != UNDEF && r.end > d.max[i]) {
                    return Err(usage(format!(
                        "selection {sel:?} outside the dataset extent {:?}",
                        d.dims
                    )));
                }
                new_dims[i] = r.end;
            }
        }
        if counts.contains(&0) {
            return Ok(());
        }
        let idx = ds.0;
        match &d.store {
            Store::Compact(_) => {
                let dims = d.dims.clone();
                let full: Vec<Range<u64>> = dims.iter().map(|x| 0..*x).collect();
                if let Store::Compact(buf) = &mut self.ds_mut(*ds)?.store {
                    copy_box(data, sel, buf, &full, sel, elem)?;
                }
                self.commit_header(idx)
            }
            Store::Contiguous { addr, size } => {
                let (mut addr, size) = (*addr, *size);
                let dims = d.dims.clone();
                if addr == UNDEF {
                    // Never written (an opened file's late allocation): allocate and fill,
                    // then point the layout message at it (header commit below).
                    let fill = d.fill.clone();
                    let n = to_usize(size)?;
                    let buf: Vec<u8> = fill.iter().copied().cycle().take(n).collect();
                    addr = self.alloc_data_write(&buf)?;
                    if let Store::Contiguous { addr: a, .. } = &mut self.ds_mut(*ds)?.store {
                        *a = addr;
                    }
                    self.commit_header(idx)?;
                }
                let rank = dims.len();
                if rank == 0 {
                    return self.put(addr, data);
                }
                // One positional write per contiguous run of the last dimension.
                let mut strides = vec![1u64; rank];
                for i in (0..rank - 1).rev() {
                    strides[i] = strides[i + 1] * dims[i + 1];
                }
                let run = to_usize(counts[rank - 1])? * elem;
                let mut idxs: Vec<u64> = sel.iter().map(|r| r.start).collect();
                let mut src = 0usize;
                loop {
                    let lin: u64 = idxs.iter().zip(&strides).map(|(a, b)| a * b).sum();
                    let at = addr + lin * elem as u64;
                    let chunk = data
                        .get(src..src + run)
                        .ok_or_else(|| usage("short data"))?;
                    self.put(at, chunk)?;
                    src += run;
                    if !step(&mut idxs[..rank - 1], &sel[..rank - 1]) {
                        return Ok(());
                    }
                }
            }
            Store::Chunked(c) => {
                let chunk = c.chunk.clone();
                let grid: Vec<Range<u64>> = sel
                    .iter()
                    .zip(&chunk)
                    .map(|(r, c)| r.start / c..r.end.div_ceil(*c))
                    .collect();
                // Visit every chunk the selection touches.
                let mut ci: Vec<u64> = grid.iter().map(|g| g.start).collect();
                loop {
                    let origin: Vec<u64> = ci.iter().zip(&chunk).map(|(i, c)| i * c).collect();
                    let cbox = chunk_box(&origin, &chunk);
                    let region = intersect(sel, &cbox);
                    if region == cbox {
                        // The selection covers the whole chunk: nothing to read back or
                        // fill, and when it is exactly this chunk its bytes are `data`.
                        if region == sel {
                            self.store_whole_chunk(*ds, &origin, data)?;
                        } else {
                            let mut buf = vec![0u8; to_usize(product(&chunk)?)? * elem];
                            copy_box(data, sel, &mut buf, &cbox, &region, elem)?;
                            self.store_whole_chunk(*ds, &origin, &buf)?;
                        }
                    } else {
                        self.update_chunk(*ds, &origin, |buf| {
                            copy_box(data, sel, buf, &cbox, &region, elem)
                        })?;
                    }
                    if !step(&mut ci, &grid) {
                        break;
                    }
                }
                // The chunk bytes are in the file (past the committed end, or rewritten in
                // place); the index and header are committed at the next `flush()`, which is
                // what acknowledges writes. Rebuilding the index per point made a scan
                // quadratic in its number of chunks.
                if let Store::Chunked(c) = &mut self.ds_mut(*ds)?.store {
                    c.pending_dims = Some(new_dims);
                }
                Ok(())
            }
        }
    }

    /// Read-modify-write one chunk; writes new chunk bytes (in place only when unfiltered
    /// and already allocated: same size, so no pointer changes).
    pub(super) fn update_chunk(
        &mut self,
        ds: DatasetId,
        origin: &[u64],
        f: impl FnOnce(&mut [u8]) -> Result<()>,
    ) -> Result<()> {
        if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
            if let Some(h) = c.hot.as_mut().filter(|h| h.origin == origin) {
                return f(&mut h.bytes);
            }
        }
        self.drain_queue(ds)?;
        let d = self.ds(ds)?;
        let Store::Chunked(c) = &d.store else {
            return Err(usage("not chunked"));
        };
        let cbytes = to_usize(product(&c.chunk)?)? * d.elem;
        let existing = c.index.get(origin).copied();
        let mut buf = match &existing {
            Some(rec) => self.read_chunk(d, rec, cbytes)?,
            None => crate::hdf5::read::dataset::filled(cbytes, &d.fill),
        };
        f(&mut buf)?;
        if cbytes <= HOT_CHUNK_MAX {
            if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
                c.hot = Some(HotChunk {
                    origin: origin.to_vec(),
                    bytes: buf,
                    existing,
                });
            }
            return Ok(());
        }
        self.store_chunk(
            ds,
            ChunkWrite {
                origin,
                bytes: &buf,
                existing,
            },
        )
    }

    /// Store the chunk point writes were filling, if any.
    pub(super) fn evict_hot(&mut self, ds: DatasetId) -> Result<()> {
        let hot = match &mut self.ds_mut(ds)?.store {
            Store::Chunked(c) => c.hot.take(),
            _ => None,
        };
        match hot {
            Some(h) => self.store_chunk(
                ds,
                ChunkWrite {
                    origin: &h.origin,
                    bytes: &h.bytes,
                    existing: h.existing,
                },
            ),
            None => Ok(()),
        }
    }

    /// Store the complete bytes of one chunk (no read-modify-write).
    pub(super) fn store_whole_chunk(
        &mut self,
        ds: DatasetId,
        origin: &[u64],
        bytes: &[u8],
    ) -> Result<()> {
        self.drain_queue(ds)?;
        let existing = match &self.ds(ds)?.store {
            Store::Chunked(c) => c.index.get(origin).copied(),
            _ => return Err(usage("not chunked")),
        };
        self.store_chunk(
            ds,
            ChunkWrite {
                origin,
                bytes,
                existing,
            },
        )
    }

    /// Store the hot chunk of `ds`, then write every chunk still being compressed (module
    /// `pipeline`): past EOF in submission order, indexed (uncommitted until the next commit,
    /// like any stored chunk).
    pub(super) fn drain_queue(&mut self, ds: DatasetId) -> Result<()> {
        self.evict_hot(ds)?;
        self.drain_pool()
    }

    /// Store one chunk: unfiltered ones of the same size in place, others at new space (the
    /// place they replace freed), then indexed (uncommitted until the next commit).
    pub(super) fn store_chunk(&mut self, ds: DatasetId, c: ChunkWrite<'_>) -> Result<()> {
        let ChunkWrite {
            origin,
            bytes: buf,
            existing,
        } = c;
        let d = self.ds(ds)?;
        let rec = match (&d.pipeline, existing) {
            // In place only when the stored chunk has exactly the chunk's size (a chunk
            // of an opened file could claim less: never write past it).
            (None, Some(rec)) if rec.size as usize == buf.len() && self.in_place_ok(ds.0) => {
                self.put(rec.addr, buf)?;
                rec
            }
            (p, _) => {
                let mask = d.enc_mask;
                let stored = match p {
                    Some(p) if mask != 0 => {
                        Cow::Owned(filter::encode_chunk(&kept_filters(p, mask), buf, self.eof)?)
                    }
                    Some(p) => Cow::Owned(filter::encode_chunk(p, buf, self.eof)?),
                    // Unfiltered bytes go to the file straight from the caller's buffer.
                    None => Cow::Borrowed(buf),
                };
                let size = u32::try_from(stored.len()).map_err(|_| usage("chunk too big"))?;
                let addr = match stored {
                    Cow::Borrowed(raw) => self.alloc_data_write(raw)?,
                    Cow::Owned(_) => self.alloc_write(&stored)?,
                };
                if let Some(old) = existing {
                    self.free.release(ds.0, old.addr, u64::from(old.size));
                }
                ChunkRec { addr, size, mask }
            }
        };
        if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
            c.index.insert(origin.to_vec(), rec);
        }
        Ok(())
    }
}

/// The filters of `p` a chunk is encoded with: those whose bit is clear in `mask` (the
/// others are marked skipped in the chunk's filter mask, which HDF5 honours on reading).
pub(super) fn kept_filters(p: &FilterPipeline, mask: u32) -> FilterPipeline {
    FilterPipeline {
        version: p.version,
        filters: p
            .filters
            .iter()
            .enumerate()
            .filter(|(i, _)| *i >= 32 || mask & (1 << i) == 0)
            .map(|(_, f)| f.clone())
            .collect(),
    }
}
