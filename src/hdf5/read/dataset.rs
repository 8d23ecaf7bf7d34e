//! Datasets: metadata, and reading the whole array or a hyperslab (one range per dimension),
//! raw or typed. Only the chunks a selection touches are read and decoded; never-written
//! chunks (and unallocated contiguous storage) read as the fill value.

use std::ops::Range;

use crate::error::{Error, Result};
use crate::hdf5::chunk_index;
use crate::hdf5::cursor::UNDEFINED_ADDRESS;
use crate::hdf5::filter;
use crate::hdf5::io::Budget;
use crate::hdf5::message::dataspace::{Dataspace, DataspaceKind};
use crate::hdf5::message::datatype::Datatype;
use crate::hdf5::message::fill_value::FillValue;
use crate::hdf5::message::filter_pipeline::FilterPipeline;
use crate::hdf5::message::layout::DataLayout;
use crate::hdf5::message::{kind, Message};

use super::attribute::decode_all;
use super::file::Object;
use super::value::Value;

// The element conversions live in `element.rs`; their old paths stay valid.
pub use super::element::{class_name, convert, type_summary, Element};

/// A dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    obj: Object,
    /// Shape.
    pub dataspace: Dataspace,
    /// Element type.
    pub datatype: Datatype,
    /// Storage layout.
    pub layout: DataLayout,
    /// Filters (empty when none).
    pub filters: FilterPipeline,
    /// Fill value (the new message preferred over the old one).
    pub fill_value: Option<FillValue>,
    /// A virtual dataset's mappings (layout class 3); `layout` is then an empty contiguous
    /// placeholder.
    pub virtual_layout: Option<super::virtual_ds::VirtualLayout>,
    /// A virtual dataset's source reads, resolved when it was opened.
    virtual_reads: Option<super::virtual_ds::Resolved>,
    /// The slots of a dataset stored in external files (message 0x7).
    pub external: Option<Vec<super::external::ExternalSlot>>,
}

/// A hyperslab: one half-open range per dimension.
pub type Selection = [Range<u64>];

impl Dataset {
    pub(crate) fn from_object(obj: Object) -> Result<Dataset> {
        let at = obj.address();
        // Data in other files (read from there, never as fill values).
        let external = match obj
            .raw_messages()
            .iter()
            .find(|m| m.msg_type == kind::EXTERNAL_FILES)
        {
            Some(raw) => Some(super::external::parse(raw, &obj.inner().io)?),
            None => None,
        };
        // The payload of the first message of a kind, `None` when there is none.
        macro_rules! first {
            ($kind:ident, $variant:ident) => {
                match obj.first(kind::$kind)? {
                    Some(Message::$variant(m)) => Some(m),
                    _ => None,
                }
            };
        }
        let missing =
            |what: &str| Error::format("dataset object header", at, format!("no {what} message"));
        let mut dataspace = first!(DATASPACE, Dataspace).ok_or_else(|| missing("dataspace"))?;
        let datatype = first!(DATATYPE, Datatype).ok_or_else(|| missing("datatype"))?;
        let virtual_layout = match obj
            .raw_messages()
            .iter()
            .find(|m| m.msg_type == kind::LAYOUT)
        {
            Some(raw) => super::virtual_ds::parse_layout(raw, &obj.inner().io)?,
            None => None,
        };
        let virtual_reads = match &virtual_layout {
            // Refused mappings are refused on the object; unlimited ones set the extent
            // from the sources (the stored one can be 0), as HDF5 does when opening.
            Some(v) => Some(super::virtual_ds::resolve(&obj, v, &mut dataspace.dims)?),
            None => None,
        };
        let layout = if virtual_layout.is_some() {
            // Not decoded: the message module refuses class 3.
            DataLayout::Contiguous {
                version: 4,
                address: UNDEFINED_ADDRESS,
                size: 0,
            }
        } else {
            first!(LAYOUT, Layout).ok_or_else(|| missing("data layout"))?
        };
        let filters = first!(FILTER_PIPELINE, FilterPipeline).unwrap_or_default();
        let fill_value = match first!(FILL_VALUE, FillValue) {
            Some(f) => Some(f),
            None => first!(FILL_VALUE_OLD, FillValueOld),
        };
        if let DataLayout::Chunked(c) = &layout {
            if dataspace.kind == DataspaceKind::Simple && c.chunk_dims.len() != dataspace.dims.len()
            {
                return Err(Error::format(
                    "data layout message",
                    at,
                    format!(
                        "chunk rank {} differs from dataspace rank {}",
                        c.chunk_dims.len(),
                        dataspace.dims.len()
                    ),
                ));
            }
        }
        Ok(Dataset {
            obj,
            dataspace,
            datatype,
            layout,
            filters,
            fill_value,
            virtual_layout,
            virtual_reads,
            external,
        })
    }

    /// The underlying object (attributes, address).
    pub fn object(&self) -> &Object {
        &self.obj
    }

    /// Path the dataset was reached by.
    pub fn path(&self) -> &str {
        self.obj.path()
    }

    /// Current dimensions (empty for scalar and null dataspaces).
    pub fn shape(&self) -> &[u64] {
        &self.dataspace.dims
    }

    /// Maximum dimensions (`u64::MAX` = unlimited).
    pub fn max_shape(&self) -> Vec<u64> {
        self.dataspace
            .max_dims
            .clone()
            .unwrap_or_else(|| self.dataspace.dims.clone())
    }

    /// Chunk dimensions, for chunked datasets.
    pub fn chunks(&self) -> Option<&[u64]> {
        match &self.layout {
            DataLayout::Chunked(c) => Some(&c.chunk_dims),
            _ => None,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> u64 {
        self.dataspace.num_elements().unwrap_or(0)
    }

    /// Whether the dataset has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether no storage was ever allocated (a chunked dataset without a chunk index, a
    /// contiguous one without an address): every element reads as the fill value.
    pub fn is_unallocated(&self) -> bool {
        self.virtual_layout.is_none()
            && self.external.is_none()
            && match &self.layout {
                DataLayout::Chunked(c) => c.index_address == UNDEFINED_ADDRESS,
                DataLayout::Contiguous { address, .. } => *address == UNDEFINED_ADDRESS,
                DataLayout::Compact { .. } => false,
            }
    }

    fn elem_size(&self) -> Result<usize> {
        let s = usize::try_from(self.datatype.size()).unwrap_or(usize::MAX);
        if s == 0 {
            return Err(Error::format(
                "datatype",
                self.obj.address(),
                "element size 0",
            ));
        }
        if s > (1 << 24) {
            // Legal (HDF5's h5diff_dset1.h5 has a 128 MiB array element) but not read.
            return Err(Error::unsupported(
                format!("elements of {s} bytes (above 16 MiB)"),
                Some(self.obj.address()),
            ));
        }
        Ok(s)
    }

    /// One element of the fill value, in file byte order.
    pub fn fill_bytes(&self) -> Result<Vec<u8>> {
        let size = self.elem_size()?;
        match self.fill_value.as_ref().and_then(|f| f.value.as_ref()) {
            Some(v) if v.len() == size => Ok(v.clone()),
            _ => Ok(vec![0u8; size]),
        }
    }

    /// The full selection (every element).
    pub fn full_selection(&self) -> Vec<Range<u64>> {
        self.dataspace.dims.iter().map(|&d| 0..d).collect()
    }

    /// Raw bytes of the whole dataset (C order, file byte order).
    pub fn read_raw(&self) -> Result<Vec<u8>> {
        self.read_raw_selection(&self.full_selection())
    }

    /// Raw bytes of a hyperslab (C order over the selection, file byte order).
    pub fn read_raw_selection(&self, sel: &Selection) -> Result<Vec<u8>> {
        let at = self.obj.address();
        let io = &self.obj.inner().io;
        let elem = self.elem_size()?;
        let dims: Vec<u64> = match self.dataspace.kind {
            DataspaceKind::Null => return Ok(Vec::new()),
            DataspaceKind::Scalar => Vec::new(),
            DataspaceKind::Simple => self.dataspace.dims.clone(),
        };
        if sel.len() != dims.len() {
            return Err(Error::Usage(format!(
                "selection has rank {}, dataset rank {}",
                sel.len(),
                dims.len()
            )));
        }
        for (r, &d) in sel.iter().zip(&dims) {
            if r.start > r.end || r.end > d {
                return Err(Error::Usage(format!(
                    "selection {r:?} outside dimension of size {d}"
                )));
            }
        }
        let counts: Vec<u64> = sel.iter().map(|r| r.end - r.start).collect();
        let n = counts.iter().try_fold(1u64, |a, &c| a.checked_mul(c));
        let total = n
            .and_then(|n| n.checked_mul(elem as u64))
            .ok_or_else(|| Error::format("dataspace", at, "selection size overflows"))?;
        // Name whichever cap is the smaller, so the error points at the right knob.
        let (name, cap) = if io.limits.max_alloc < io.limits.max_read_total {
            ("max_alloc", io.limits.max_alloc)
        } else {
            ("max_read_total", io.limits.max_read_total)
        };
        if total > cap {
            return Err(Error::limit(name, cap, total, Some(at)));
        }
        let fill = self.fill_bytes()?;
        // A chunked read whose chunks cover the whole selection never shows the fill value:
        // it is painted only when some chunk is missing (below), which spares a pass over
        // the output (and its page faults) for complete scans pre-filled with NaN.
        let deferred_fill = matches!(self.layout, DataLayout::Chunked(_));
        let mut out = if deferred_fill {
            vec![0u8; total as usize]
        } else {
            filled(total as usize, &fill)
        };
        if total == 0 {
            return Ok(out);
        }
        let starts: Vec<u64> = sel.iter().map(|r| r.start).collect();
        if let Some(v) = &self.virtual_reads {
            super::virtual_ds::read_selection_into(self, v, &starts, &counts, &mut out)?;
            return Ok(out);
        }
        if let Some(slots) = &self.external {
            // One read per run of the last dimension.
            let rank = dims.len();
            let run = counts.last().copied().unwrap_or(1) as usize * elem;
            let mut idx = vec![0u64; rank.saturating_sub(1)];
            let mut o = 0usize;
            loop {
                let mut lin = 0u64;
                for (d, &n) in dims.iter().enumerate() {
                    let x = starts[d] + idx.get(d).copied().unwrap_or(0);
                    lin = lin.saturating_mul(n).saturating_add(x);
                }
                let dst = out.get_mut(o..o + run).ok_or_else(|| {
                    Error::format("external data files", at, "selection overflows")
                })?;
                super::external::read_bytes(slots, lin.saturating_mul(elem as u64), dst, at)?;
                o += run;
                if !next_outer_index(&mut idx, &counts) {
                    break;
                }
            }
            return Ok(out);
        }
        match &self.layout {
            DataLayout::Compact { data, .. } => {
                let whole = checked_bytes(&dims, elem, at)?;
                let src = data.get(..whole).ok_or_else(|| {
                    Error::format(
                        "compact layout",
                        at,
                        "compact data shorter than the dataspace",
                    )
                })?;
                copy_region(
                    src,
                    &dims,
                    &starts,
                    &mut out,
                    &counts,
                    &vec![0; dims.len()],
                    &counts,
                    elem,
                );
            }
            DataLayout::Contiguous { address, size, .. } => {
                if *address == UNDEFINED_ADDRESS {
                    return Ok(out);
                }
                let whole = checked_bytes(&dims, elem, at)? as u64;
                if *size < whole {
                    return Err(Error::format(
                        "contiguous layout",
                        at,
                        format!(
                            "storage of {size} bytes is smaller than the dataspace ({whole} bytes)"
                        ),
                    ));
                }
                read_contiguous(io, *address, &dims, &starts, &counts, elem, &mut out)?;
            }
            DataLayout::Chunked(layout) => {
                if layout.index_address == UNDEFINED_ADDRESS {
                    return Ok(filled(total as usize, &fill));
                }
                let chunk_dims: Vec<u64> = if dims.is_empty() {
                    Vec::new()
                } else {
                    layout.chunk_dims.clone()
                };
                if chunk_dims.contains(&0) {
                    return Err(Error::format(
                        "data layout message",
                        at,
                        "chunk dimension of 0",
                    ));
                }
                let chunk_bytes = checked_bytes(&chunk_dims, elem, at)?;
                if chunk_bytes as u64 > io.limits.max_alloc {
                    return Err(Error::limit(
                        "max_alloc",
                        io.limits.max_alloc,
                        chunk_bytes as u64,
                        Some(at),
                    ));
                }
                let max_dims = self.max_shape();
                let mut budget = Budget::new(&io.limits);
                let filtered = !self.filters.filters.is_empty();
                let infos =
                    chunk_index::chunk_infos(io, layout, &dims, &max_dims, filtered, &mut budget)?;
                // The chunks the selection touches, with the part of each it needs.
                let mut touched = Vec::new();
                for info in infos {
                    if info.offset.len() != dims.len() {
                        return Err(Error::format(
                            "chunk index",
                            info.address,
                            "chunk offset rank mismatch",
                        ));
                    }
                    let mut lo = Vec::with_capacity(dims.len());
                    let mut cnt = Vec::with_capacity(dims.len());
                    for d in 0..dims.len() {
                        let c0 = info.offset[d];
                        let c1 = c0.saturating_add(chunk_dims[d]);
                        let s0 = sel[d].start.max(c0);
                        let s1 = sel[d].end.min(c1);
                        if s0 >= s1 {
                            break;
                        }
                        lo.push(s0);
                        cnt.push(s1 - s0);
                    }
                    if lo.len() == dims.len() {
                        touched.push((info, lo, cnt));
                    }
                }
                let mut offsets = std::collections::HashSet::new();
                let covered: u64 = touched
                    .iter()
                    .filter(|(info, _, _)| offsets.insert(info.offset.clone()))
                    .map(|(_, _, cnt)| cnt.iter().product::<u64>())
                    .sum();
                if covered < total / elem as u64 && fill.iter().any(|&b| b != 0) {
                    paint_fill(&mut out, &fill);
                }
                // Unfiltered chunks that land on one contiguous run of the output (whole
                // chunk, full trailing extents) are read straight into it: no copy.
                let direct = |lo: &[u64], cnt: &[u64], info: &chunk_index::ChunkInfo| {
                    !filtered
                        && info.size >= chunk_bytes as u64
                        && (0..dims.len())
                            .all(|d| lo[d] == info.offset[d] && cnt[d] == chunk_dims[d])
                        && is_contiguous_block(cnt, &counts)
                };
                let mut out_strides = vec![elem as u64; dims.len()];
                for d in (0..dims.len().saturating_sub(1)).rev() {
                    out_strides[d] = out_strides[d + 1] * counts[d + 1];
                }
                let mut rest = Vec::with_capacity(touched.len());
                let mut direct_reads = Vec::new();
                for (info, lo, cnt) in touched {
                    if direct(&lo, &cnt, &info) {
                        let start = (0..dims.len())
                            .map(|d| (lo[d] - sel[d].start) * out_strides[d])
                            .sum::<u64>() as usize;
                        direct_reads.push((start, info.address));
                    } else {
                        rest.push((info, lo, cnt));
                    }
                }
                read_direct(io, &mut out, direct_reads, chunk_bytes)?;
                let mut touched = rest;
                if layout.flags & 1 != 0 {
                    // "Don't filter partial edge chunks": chunks reaching past the current
                    // extent were stored unfiltered (HDF5 decides from the layout, not the
                    // chunk's filter mask).
                    for (info, _, _) in &mut touched {
                        if (0..dims.len())
                            .any(|d| info.offset[d].saturating_add(chunk_dims[d]) > dims[d])
                        {
                            info.filter_mask = u32::MAX;
                        }
                    }
                }
                let filters = if filtered { Some(&self.filters) } else { None };
                decode_in_bands(
                    io,
                    filters,
                    touched,
                    &mut out,
                    &chunk_dims,
                    &counts,
                    sel,
                    chunk_bytes,
                    elem,
                )?;
            }
        }
        Ok(out)
    }

    /// Every element decoded as a dynamic [`Value`], in C order.
    pub fn values(&self) -> Result<Vec<Value>> {
        let raw = self.read_raw()?;
        decode_all(
            &self.obj.file,
            &self.datatype,
            &raw,
            self.obj.address(),
            self.len(),
        )
    }

    /// The elements of a hyperslab decoded as [`Value`]s.
    pub fn values_selection(&self, sel: &Selection) -> Result<Vec<Value>> {
        let raw = self.read_raw_selection(sel)?;
        let n = sel.iter().map(|r| r.end - r.start).product();
        decode_all(&self.obj.file, &self.datatype, &raw, self.obj.address(), n)
    }

    /// The whole dataset converted to `T` (numeric classes and booleans).
    pub fn read<T: Element>(&self) -> Result<Vec<T>> {
        let raw = self.read_raw()?;
        convert(&self.datatype, &raw, self.obj.address())
    }

    /// A hyperslab converted to `T`.
    pub fn read_slice<T: Element>(&self, sel: &Selection) -> Result<Vec<T>> {
        let raw = self.read_raw_selection(sel)?;
        convert(&self.datatype, &raw, self.obj.address())
    }

    /// A hyperslab converted to `T` into `out`, which holds exactly the selection's
    /// elements (C order).
    pub fn read_into<T: Element>(&self, sel: &Selection, out: &mut [T]) -> Result<()> {
        let v = self.read_slice::<T>(sel)?;
        if v.len() != out.len() {
            return Err(Error::Usage(format!(
                "selection of {} elements read into {} slots",
                v.len(),
                out.len()
            )));
        }
        out.copy_from_slice(&v);
        Ok(())
    }

    /// The attribute called `name` (a usage error when absent).
    pub fn attr(&self, name: &str) -> Result<super::Attribute> {
        self.obj.attr(name)
    }

    /// The whole dataset as an `ndarray` array of its shape.
    #[cfg(feature = "ndarray")]
    pub fn read_ndarray<T: Element>(&self) -> Result<ndarray::ArrayD<T>> {
        let v = self.read::<T>()?;
        let shape: Vec<usize> = self.shape().iter().map(|&d| d as usize).collect();
        ndarray::ArrayD::from_shape_vec(shape, v).map_err(|e| Error::Usage(e.to_string()))
    }
}

/// One touched chunk: where it is, and the part of the selection it covers (start, count).
type Touched = (chunk_index::ChunkInfo, Vec<u64>, Vec<u64>);

/// Read, decode and place chunks. Chunks sharing a first-dimension offset fill one band of
/// output rows, which is a contiguous slice of `out`; bands are shared out among the cores,
/// each thread owning its slices and reusing its buffers chunk after chunk.
#[allow(clippy::too_many_arguments)]
fn decode_in_bands(
    io: &crate::hdf5::io::FileIo,
    filters: Option<&FilterPipeline>,
    mut touched: Vec<Touched>,
    out: &mut [u8],
    chunk_dims: &[u64],
    counts: &[u64],
    sel: &Selection,
    chunk_bytes: usize,
    elem: usize,
) -> Result<()> {
    let rank = counts.len();
    // Decode one chunk into `buf` (reused) and copy its part into `dst`, whose first row is
    // selection row `row0`.
    let place = |t: &Touched,
                 dst: &mut [u8],
                 row0: u64,
                 buf: &mut Vec<u8>,
                 spare: &mut Vec<u8>|
     -> Result<()> {
        let (info, lo, cnt) = t;
        let size = usize::try_from(info.size)
            .map_err(|_| Error::format("chunk", info.address, "chunk size overflows"))?;
        if info.size > io.limits.max_alloc {
            return Err(Error::limit(
                "max_alloc",
                io.limits.max_alloc,
                info.size,
                Some(info.address),
            ));
        }
        let mut stored = std::mem::take(buf);
        stored.clear();
        stored.resize(size, 0);
        io.read_into(info.address, &mut stored, "chunk")?;
        let chunk = match filters {
            Some(p) => filter::decode_chunk_reusing(
                p,
                info.filter_mask,
                stored,
                spare,
                chunk_bytes,
                &io.limits,
                info.address,
            )?,
            None => stored,
        };
        if chunk.len() < chunk_bytes {
            return Err(Error::format(
                "chunk",
                info.address,
                format!(
                    "chunk holds {} bytes, {} expected",
                    chunk.len(),
                    chunk_bytes
                ),
            ));
        }
        let src_start: Vec<u64> = (0..rank).map(|d| lo[d] - info.offset[d]).collect();
        let mut dst_start: Vec<u64> = (0..rank).map(|d| lo[d] - sel[d].start).collect();
        let mut dst_dims = counts.to_vec();
        if rank > 0 {
            dst_start[0] -= row0;
            dst_dims[0] =
                (dst.len() / (counts[1..].iter().product::<u64>() as usize * elem).max(1)) as u64;
        }
        copy_region(
            &chunk, chunk_dims, &src_start, dst, &dst_dims, &dst_start, cnt, elem,
        );
        *buf = chunk;
        Ok(())
    };
    let work: u64 = touched.iter().map(|t| t.0.size).sum();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if rank == 0 || threads <= 1 || touched.len() < 2 || work < (1 << 20) {
        let (mut buf, mut spare) = (Vec::new(), Vec::new());
        for t in &touched {
            place(t, out, 0, &mut buf, &mut spare)?;
        }
        return Ok(());
    }
    // Bands: runs of chunks with the same first selected row (chunk grids are aligned).
    touched.sort_by_key(|t| t.1[0]);
    let row_bytes = counts[1..].iter().product::<u64>() as usize * elem;
    let mut bands: Vec<(u64, u64, Vec<Touched>)> = Vec::new(); // (first row, rows, chunks)
    for t in touched {
        let (r0, rows) = (t.1[0] - sel[0].start, t.2[0]);
        match bands.last_mut() {
            Some(b) if b.0 == r0 => {
                if b.1 != rows {
                    return Err(Error::format(
                        "chunk index",
                        t.0.address,
                        "chunks of one row band differ in height",
                    ));
                }
                b.2.push(t);
            }
            Some(b) if b.0 + b.1 > r0 => {
                return Err(Error::format(
                    "chunk index",
                    t.0.address,
                    "overlapping chunks",
                ));
            }
            _ => bands.push((r0, rows, vec![t])),
        }
    }
    // Each band's rows of the output, cut in order (bands are sorted and disjoint).
    let mut jobs = Vec::with_capacity(bands.len());
    let mut rest: &mut [u8] = out;
    let mut consumed = 0usize;
    for (first, rows, chunks) in bands {
        let begin = first as usize * row_bytes;
        let end = (first + rows) as usize * row_bytes;
        if begin < consumed || end > consumed + rest.len() {
            return Err(Error::format(
                "chunk index",
                0,
                "chunk rows outside the selection",
            ));
        }
        let (_, tail) = std::mem::take(&mut rest).split_at_mut(begin - consumed);
        let (region, tail) = tail.split_at_mut(end - begin);
        rest = tail;
        consumed = end;
        jobs.push((region, (first, chunks)));
    }
    super::bands::run(jobs, threads, |(first, chunks), band, (buf, spare)| {
        for t in chunks {
            place(t, band, *first, buf, spare)?;
        }
        Ok(())
    })
}

/// Read whole unfiltered chunks straight into their places in `out` (`(offset in out, file
/// address)` each, non-overlapping), split over the cores in disjoint output regions.
fn read_direct(
    io: &crate::hdf5::io::FileIo,
    out: &mut [u8],
    mut reads: Vec<(usize, u64)>,
    chunk_bytes: usize,
) -> Result<()> {
    reads.sort_unstable_by_key(|r| r.0);
    if let Some(&(last, _)) = reads.last() {
        if last.checked_add(chunk_bytes).is_none_or(|e| e > out.len()) {
            return Err(Error::format("chunk", 0, "chunk outside the selection"));
        }
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(reads.len());
    if threads <= 1 || reads.len() * chunk_bytes < (4 << 20) {
        for (start, addr) in reads {
            io.read_into(addr, &mut out[start..start + chunk_bytes], "chunk")?;
        }
        return Ok(());
    }
    // Carve `out` into one region per group of consecutive reads.
    let per = reads.len().div_ceil(threads);
    let mut jobs = Vec::new();
    let mut rest: &mut [u8] = out;
    let mut consumed = 0usize;
    for group in reads.chunks(per) {
        let begin = group[0].0;
        let end = group[group.len() - 1].0 + chunk_bytes;
        let (_, tail) = std::mem::take(&mut rest).split_at_mut(begin - consumed);
        let (region, tail) = tail.split_at_mut(end - begin);
        rest = tail;
        consumed = end;
        jobs.push((begin, region, group));
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|(begin, region, group)| {
                s.spawn(move || -> Result<()> {
                    for &(start, addr) in group {
                        let o = start - begin;
                        io.read_into(addr, &mut region[o..o + chunk_bytes], "chunk")?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join()
                .unwrap_or_else(|_| Err(Error::Usage("chunk reader thread panicked".into())))?;
        }
        Ok(())
    })
}

/// Whether a block of shape `cnt` is one contiguous run inside a C-order array of shape
/// `dims`: full extents after the first partial dimension, ones before it.
fn is_contiguous_block(cnt: &[u64], dims: &[u64]) -> bool {
    let mut d = cnt.len();
    while d > 0 && cnt[d - 1] == dims[d - 1] {
        d -= 1;
    }
    d <= 1 || cnt[..d - 1].iter().all(|&c| c == 1)
}

/// Overwrite `out` with the fill element repeated.
fn paint_fill(out: &mut [u8], fill: &[u8]) {
    if fill.is_empty() {
        return;
    }
    let first = fill.len().min(out.len());
    out[..first].copy_from_slice(&fill[..first]);
    let mut done = first;
    while done < out.len() {
        let take = done.min(out.len() - done);
        out.copy_within(..take, done);
        done += take;
    }
}

/// `n` bytes holding the fill element repeated (zeros come from the allocator, untouched).
pub(crate) fn filled(n: usize, fill: &[u8]) -> Vec<u8> {
    if fill.iter().all(|&b| b == 0) || fill.is_empty() {
        return vec![0u8; n];
    }
    let mut out = Vec::with_capacity(n);
    out.extend_from_slice(&fill[..fill.len().min(n)]);
    while out.len() < n {
        let take = out.len().min(n - out.len());
        out.extend_from_within(..take);
    }
    out
}

fn checked_bytes(dims: &[u64], elem: usize, at: u64) -> Result<usize> {
    dims.iter()
        .try_fold(elem as u64, |a, &d| a.checked_mul(d))
        .and_then(|b| usize::try_from(b).ok())
        .ok_or_else(|| Error::format("dataspace", at, "size overflows"))
}

/// Copy a `count`-shaped block from `src` (shape `src_dims`, starting at `src_start`) into
/// `dst` (shape `dst_dims`, at `dst_start`). Callers guarantee the block fits both.
#[allow(clippy::too_many_arguments)]
pub(crate) fn copy_region(
    src: &[u8],
    src_dims: &[u64],
    src_start: &[u64],
    dst: &mut [u8],
    dst_dims: &[u64],
    dst_start: &[u64],
    count: &[u64],
    elem: usize,
) {
    let rank = count.len();
    if rank == 0 {
        if let (Some(s), Some(d)) = (src.get(..elem), dst.get_mut(..elem)) {
            d.copy_from_slice(s);
        }
        return;
    }
    let strides = |dims: &[u64]| {
        let mut s = vec![elem as u64; rank];
        for d in (0..rank.saturating_sub(1)).rev() {
            s[d] = s[d + 1] * dims[d + 1];
        }
        s
    };
    let ss = strides(src_dims);
    let ds = strides(dst_dims);
    let run = (count[rank - 1] as usize) * elem;
    let mut idx = vec![0u64; rank.saturating_sub(1)];
    loop {
        let mut so = src_start[rank - 1] * elem as u64;
        let mut doff = dst_start[rank - 1] * elem as u64;
        for d in 0..rank - 1 {
            so += (src_start[d] + idx[d]) * ss[d];
            doff += (dst_start[d] + idx[d]) * ds[d];
        }
        let (so, doff) = (so as usize, doff as usize);
        if let (Some(s), Some(d)) = (src.get(so..so + run), dst.get_mut(doff..doff + run)) {
            d.copy_from_slice(s);
        }
        if !next_outer_index(&mut idx, count) {
            return;
        }
    }
}

/// Advance `idx` (one counter per dimension but the last) like an odometer over `count`;
/// false once every combination has been visited.
fn next_outer_index(idx: &mut [u64], count: &[u64]) -> bool {
    for d in (0..idx.len()).rev() {
        idx[d] += 1;
        if idx[d] < count[d] {
            return true;
        }
        idx[d] = 0;
    }
    false
}

fn read_contiguous(
    io: &crate::hdf5::io::FileIo,
    address: u64,
    dims: &[u64],
    starts: &[u64],
    counts: &[u64],
    elem: usize,
    out: &mut [u8],
) -> Result<()> {
    let rank = dims.len();
    let whole: bool = starts.iter().all(|&s| s == 0) && counts == dims;
    if rank == 0 || whole {
        return io.read_into(address, out, "contiguous data");
    }
    // Row by row over the outer dimensions; each run is contiguous in the file.
    let mut strides = vec![elem as u64; rank];
    for d in (0..rank - 1).rev() {
        strides[d] = strides[d + 1] * dims[d + 1];
    }
    let run = counts[rank - 1] as usize * elem;
    let mut idx = vec![0u64; rank - 1];
    let mut o = 0usize;
    loop {
        let mut off = starts[rank - 1] * elem as u64;
        for d in 0..rank - 1 {
            off += (starts[d] + idx[d]) * strides[d];
        }
        let addr = address
            .checked_add(off)
            .ok_or_else(|| Error::format("contiguous data", address, "address overflows"))?;
        io.read_into(addr, &mut out[o..o + run], "contiguous data")?;
        o += run;
        if !next_outer_index(&mut idx, counts) {
            return Ok(());
        }
    }
}
