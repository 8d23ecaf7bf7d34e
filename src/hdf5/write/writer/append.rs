//! Appends along dimension 0: whole chunks written as they fill, the partial tail
//! chunk kept in memory and written at flush.

use super::*;

impl Writer {
    pub(super) fn row_bytes(d: &Ds) -> Result<usize> {
        Ok(to_usize(product(d.dims.get(1..).unwrap_or(&[]))?)? * d.elem)
    }

    /// The common logger append (a few values per call): whole rows of the type already
    /// matched, that fit in the buffered partial chunk without completing it, go straight
    /// into it (the same bytes and state [`Writer::append_raw`] would leave). Returns false
    /// when anything else applies (the general path then checks and reports).
    pub(super) fn append_buffered<T: H5Num>(&mut self, ds: DatasetId, data: &[T]) -> bool {
        if self.failed {
            return false;
        }
        let Some(Kind::Dataset(d)) = self.objs.get_mut(ds.0).map(|o| &mut o.kind) else {
            return false;
        };
        if d.refuse.is_some() || d.num_type != Some(std::any::TypeId::of::<T>()) {
            return false;
        }
        let Ok(row) = Self::row_bytes(d) else {
            return false;
        };
        let Store::Chunked(c) = &mut d.store else {
            return false;
        };
        let bytes = std::mem::size_of_val(data);
        let (Some(tail), None, true) = (c.tail.as_mut(), &c.hot, c.vlen_pending.is_empty()) else {
            return false;
        };
        // An empty tail may take the whole-chunk path instead.
        if tail.is_empty() || row == 0 || !bytes.is_multiple_of(row) {
            return false;
        }
        let rows = (bytes / row) as u64;
        let (Some(&c0), Some(used)) = (c.chunk.first(), c.logical.checked_sub(c.tail_start)) else {
            return false;
        };
        // Strictly less: a completed chunk is stored by the general path.
        if used.checked_add(rows).is_none_or(|n| n >= c0) {
            return false;
        }
        T::extend_le(data, tail);
        c.logical += rows;
        true
    }

    /// Append raw rows (file byte order) along dimension 0. Whole chunks are written and
    /// committed as they fill; a partial last chunk reaches the file at [`Writer::flush`].
    pub fn append_raw(&mut self, ds: &DatasetId, data: &[u8]) -> Result<()> {
        self.check()?;
        self.evict_hot(*ds)?;
        let d = self.ds(*ds)?;
        let Store::Chunked(c) = &d.store else {
            return Err(usage("append needs a chunked dataset"));
        };
        if d.max.first() != Some(&UNDEF) {
            return Err(usage("append needs an unlimited first dimension"));
        }
        let row = Self::row_bytes(d)?;
        if row == 0 || !data.len().is_multiple_of(row) {
            return Err(usage(format!(
                "{} bytes is not a whole number of {row}-byte rows",
                data.len()
            )));
        }
        let c0 = c.chunk[0];
        if c.tail.is_none() {
            self.load_tail(*ds)?;
        }
        let mut rest = data;
        while !rest.is_empty() {
            if let Some(n) = self.append_whole_chunk(*ds, rest, row)? {
                rest = &rest[n..];
                continue;
            }
            let d = self.ds_mut(*ds)?;
            let Store::Chunked(c) = &mut d.store else {
                return Err(usage("not chunked"));
            };
            let cap = to_usize(c0)? * row;
            let tail = c.tail.get_or_insert_with(|| Vec::with_capacity(cap));
            let room = to_usize(c0 - (c.logical - c.tail_start))? * row;
            let take = room.min(rest.len());
            tail.extend_from_slice(&rest[..take]);
            c.logical += (take / row) as u64;
            rest = &rest[take..];
            if c.logical - c.tail_start == c0 {
                // A full chunk goes to the file now; the index and row count are committed
                // at the next `flush()` (what acknowledges rows), not once per chunk.
                self.flush_tail_inner(*ds, false)?;
            }
        }
        Ok(())
    }

    /// When no rows are buffered, `data` holds a whole chunk and chunks span whole rows
    /// (chunk dims 1.. equal to the dataset's), the chunk's bytes are the first rows of
    /// `data`: store them from there (unfiltered) or queue them for compression, without
    /// the tail buffer. Returns the bytes consumed, or `None` when the buffered path applies.
    pub(super) fn append_whole_chunk(
        &mut self,
        ds: DatasetId,
        data: &[u8],
        row: usize,
    ) -> Result<Option<usize>> {
        let d = self.ds(ds)?;
        let Store::Chunked(c) = &d.store else {
            return Ok(None);
        };
        // Rows buffered (the usual small append): checked before anything allocates.
        if c.logical != c.tail_start
            || c.tail.as_ref().is_some_and(|t| !t.is_empty())
            || !c.vlen_pending.is_empty()
        {
            return Ok(None);
        }
        let n = to_usize(c.chunk[0])?.saturating_mul(row);
        if data.len() < n {
            return Ok(None);
        }
        let mut dims = d.cur_dims();
        if dims.get(1..) != c.chunk.get(1..) {
            return Ok(None);
        }
        let start = c.logical;
        let mut origin = vec![0u64; dims.len()];
        origin[0] = start;
        let existing = c.index.get(&origin).copied();
        let c0 = c.chunk[0];
        let filtered = d.pipeline.is_some();
        let bytes = &data[..n];
        if filtered && existing.is_none() {
            // A new full chunk: compressed on the encoder threads while appends go on.
            self.queue_chunk(ds, origin, bytes)?;
        } else {
            self.drain_queue(ds)?;
            self.commit.appending = true;
            let c = ChunkWrite {
                origin: &origin,
                bytes,
                existing,
            };
            let r = self.store_chunk(ds, c);
            self.commit.appending = false;
            r?;
        }
        let end = start + c0;
        dims[0] = end;
        // Stored, not committed: the index and row count are committed at `flush()`.
        if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
            c.logical = end;
            c.tail_start = end;
            c.pending_dims = Some(dims);
        }
        Ok(Some(n))
    }

    /// Read the on-disk rows of the partial last chunk row into the tail buffer.
    pub(super) fn load_tail(&mut self, ds: DatasetId) -> Result<()> {
        self.drain_queue(ds)?;
        let d = self.ds(ds)?;
        let Store::Chunked(c) = &d.store else {
            return Ok(());
        };
        let c0 = c.chunk[0];
        let cur = d.cur_dims();
        let rows = cur.first().copied().unwrap_or(0);
        let start = rows / c0 * c0;
        let row = Self::row_bytes(d)?;
        let mut tail = vec![0u8; to_usize(rows - start)? * row];
        if rows > start {
            let rank = cur.len();
            let cbytes = to_usize(product(&c.chunk)?)? * d.elem;
            let tbox: Vec<Range<u64>> = (0..rank)
                .map(|i| if i == 0 { start..rows } else { 0..cur[i] })
                .collect();
            for (origin, rec) in c.index.range(vec![start]..) {
                if origin.first() != Some(&start) {
                    continue;
                }
                let buf = self.read_chunk(d, rec, cbytes)?;
                let cbox = chunk_box(origin, &c.chunk);
                let region = intersect(&cbox, &tbox);
                copy_box(&buf, &cbox, &mut tail, &tbox, &region, d.elem)?;
            }
        }
        if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
            c.tail = Some(tail);
            c.tail_start = start;
            c.logical = rows;
        }
        Ok(())
    }

    /// Write the tail rows' chunks and commit the new row count.
    pub(super) fn flush_tail(&mut self, ds: DatasetId) -> Result<()> {
        self.flush_tail_inner(ds, true)
    }

    /// Write the tail rows' chunks; commit them (index, then header) when `commit`, else
    /// leave the dataset marked for the next commit.
    pub(super) fn flush_tail_inner(&mut self, ds: DatasetId, commit: bool) -> Result<()> {
        self.materialize_vlen_if_pending(ds)?;
        let d = self.ds(ds)?;
        let Store::Chunked(c) = &d.store else {
            return Ok(());
        };
        if c.tail.is_none() {
            return Ok(());
        }
        let cur = d.cur_dims();
        let rows_on_disk = cur.first().copied().unwrap_or(0);
        if c.logical == rows_on_disk {
            return Ok(());
        }
        // The tail's chunks are rebuilt from what is stored: store a hot chunk first.
        self.evict_hot(ds)?;
        let d = self.ds(ds)?;
        let cur = d.cur_dims();
        // The tail is taken out while its chunks are written (nothing below appends rows)
        // and put back after, emptied when its chunk is full, keeping its allocation.
        let tail = match &mut self.ds_mut(ds)?.store {
            Store::Chunked(c) => c.tail.take().unwrap_or_default(),
            _ => return Ok(()),
        };
        let r = self.write_tail(ds, &tail, cur, commit);
        if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
            let mut tail = tail;
            if r.is_ok() && c.logical - c.tail_start == c.chunk[0] {
                tail.clear();
                c.tail_start = c.logical;
            }
            c.tail = Some(tail);
        }
        r
    }

    /// Write the chunks holding the tail rows (dims `cur` before them); commit when `commit`.
    pub(super) fn write_tail(
        &mut self,
        ds: DatasetId,
        tail: &[u8],
        cur: Vec<u64>,
        commit: bool,
    ) -> Result<()> {
        let Store::Chunked(c) = &self.ds(ds)?.store else {
            return Ok(());
        };
        let (start, logical, chunk) = (c.tail_start, c.logical, c.chunk.clone());
        let rank = cur.len();
        let mut dims = cur;
        dims[0] = logical;
        let tbox: Vec<Range<u64>> = (0..rank)
            .map(|i| if i == 0 { start..logical } else { 0..dims[i] })
            .collect();
        // Chunks along dims 1.. covering the row range.
        let grid: Vec<Range<u64>> = (1..rank).map(|i| 0..dims[i].div_ceil(chunk[i])).collect();
        let mut ci = vec![0u64; rank - 1];
        if grid.iter().all(|g| g.end > 0) {
            loop {
                let mut origin = vec![start];
                origin.extend(ci.iter().zip(&chunk[1..]).map(|(i, c)| i * c));
                let cbox = chunk_box(&origin, &chunk);
                let region = intersect(&cbox, &tbox);
                let d = self.ds(ds)?;
                let Store::Chunked(c) = &d.store else {
                    return Ok(());
                };
                let cbytes = to_usize(product(&chunk)?)? * d.elem;
                let existing = c.index.get(&origin).copied();
                let filtered = d.pipeline.is_some();
                let buf: Vec<u8> = if region == tbox && cbox[1..] == tbox[1..] {
                    // Chunks span whole rows: the chunk is the tail, then fill.
                    let mut buf = Vec::with_capacity(cbytes);
                    buf.extend_from_slice(tail);
                    if d.fill.iter().all(|b| *b == 0) {
                        buf.resize(cbytes, 0);
                    }
                    while buf.len() < cbytes {
                        let k = d.fill.len().min(cbytes - buf.len());
                        buf.extend_from_slice(&d.fill[..k]);
                    }
                    buf
                } else {
                    let mut buf = crate::hdf5::read::dataset::filled(cbytes, &d.fill);
                    copy_box(tail, &tbox, &mut buf, &cbox, &region, d.elem)?;
                    buf
                };
                if !commit && filtered && existing.is_none() {
                    // A new full chunk: compressed on the encoder threads while appends go on.
                    self.queue_chunk_owned(ds, origin.clone(), buf)?;
                } else {
                    let c = ChunkWrite {
                        origin: &origin,
                        bytes: &buf,
                        existing,
                    };
                    let raw_partial =
                        filtered && logical - start < chunk[0] && self.raw_partials(ds.0);
                    self.drain_queue(ds)?;
                    if raw_partial {
                        self.store_raw_partial(ds, c)?;
                    } else {
                        self.commit.appending = true;
                        let r = self.store_chunk(ds, c);
                        self.commit.appending = false;
                        r?;
                    }
                }
                if !step(&mut ci, &grid) {
                    break;
                }
            }
        }
        if commit {
            self.commit_chunked(ds, dims)?;
        } else if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
            c.pending_dims = Some(dims);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::write::{DatasetBuilder, Dtype, PyTablesClass};

    /// (tail rows, first buffered row, rows appended, chunk origins stored) of `ds`.
    fn state(w: &Writer, ds: DatasetId) -> (Vec<u8>, u64, u64, Vec<Vec<u64>>) {
        let Ok(Ds {
            store: Store::Chunked(c),
            ..
        }) = w.ds(ds)
        else {
            panic!("not chunked")
        };
        let tail = c.tail.clone().unwrap_or_default();
        (
            tail,
            c.tail_start,
            c.logical,
            c.index.keys().cloned().collect(),
        )
    }

    /// Typed appends (which take the buffered fast path) leave the writer in the state the
    /// same rows appended raw leave, call by call, through chunk boundaries and flushes,
    /// and the file reads back every value.
    #[test]
    fn typed_appends_match_raw_appends() {
        for profile in [Profile::PyTables, Profile::Hdf5V110] {
            let mk = |c: u64| {
                DatasetBuilder::new(Dtype::F64)
                    .shape(&[0])
                    .max_shape(&[None])
                    .chunks(&[c])
                    .pytables_class(PyTablesClass::EArray)
            };
            let (m, mut typed) = Writer::in_memory(profile);
            let (_r, mut raw) = Writer::in_memory(profile);
            let mut ids = Vec::new();
            for (name, c) in [("/a", 7), ("/b", 16)] {
                let t = typed.create_dataset(name, mk(c)).unwrap();
                let r = raw.create_dataset(name, mk(c)).unwrap();
                ids.push((t, r));
            }
            let mut all = Vec::new();
            for i in 0..300usize {
                // 1 to 3 values per call: some calls fill or cross a chunk boundary.
                let vals: Vec<f64> = (0..1 + i % 3).map(|k| (all.len() + k) as f64).collect();
                all.extend_from_slice(&vals);
                let bytes: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
                for (t, r) in &ids {
                    typed.append(t, &vals).unwrap();
                    raw.append_raw(r, &bytes).unwrap();
                    assert_eq!(state(&typed, *t), state(&raw, *r), "{profile:?} call {i}");
                }
                if i % 37 == 36 {
                    typed.flush().unwrap();
                    raw.flush().unwrap();
                }
            }
            typed.close().unwrap();
            raw.close().unwrap();
            let f = crate::hdf5::read::File::from_bytes(m.bytes()).unwrap();
            for name in ["/a", "/b"] {
                let crate::hdf5::read::Node::Dataset(d) = f.get(name).unwrap() else {
                    panic!("{name}")
                };
                assert_eq!(d.read::<f64>().unwrap(), all, "{profile:?} {name}");
            }
        }
    }
}
