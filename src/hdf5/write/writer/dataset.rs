//! Datasets: the builder, creation (datatype, dataspace, fill value, layout, filter
//! pipeline messages), typed writes and appends.

use super::*;

/// Describes a dataset to create.
#[derive(Debug, Clone)]
pub struct DatasetBuilder {
    dtype: Datatype,
    shape: Vec<u64>,
    max: Option<Vec<Option<u64>>>,
    chunks: Option<Vec<u64>>,
    deflate: Option<u32>,
    shuffle: bool,
    fletcher32: bool,
    fill: Option<Vec<u8>>,
    compact: bool,
    class: Option<PyTablesClass>,
    title: String,
    pseudo_atom: Option<String>,
}

impl DatasetBuilder {
    /// A scalar dataset of `dtype` (set the shape with [`DatasetBuilder::shape`]).
    pub fn new(dtype: Dtype) -> Self {
        DatasetBuilder {
            dtype: dtype.datatype(),
            shape: Vec::new(),
            max: None,
            chunks: None,
            deflate: None,
            shuffle: false,
            fletcher32: false,
            fill: None,
            compact: false,
            class: None,
            title: String::new(),
            pseudo_atom: None,
        }
    }
    /// Current shape.
    pub fn shape(mut self, s: &[u64]) -> Self {
        self.shape = s.to_vec();
        self
    }
    /// Maximum shape; `None` = unlimited. Implies chunking.
    pub fn max_shape(mut self, m: &[Option<u64>]) -> Self {
        self.max = Some(m.to_vec());
        self
    }
    /// Chunk shape (implies the chunked layout).
    pub fn chunks(mut self, c: &[u64]) -> Self {
        self.chunks = Some(c.to_vec());
        self
    }
    /// Deflate (zlib) at `level` 0-9.
    pub fn deflate(mut self, level: u32) -> Self {
        self.deflate = Some(level.min(9));
        self
    }
    /// Shuffle before deflate.
    pub fn shuffle(mut self) -> Self {
        self.shuffle = true;
        self
    }
    /// Fletcher32 checksum (last filter).
    pub fn fletcher32(mut self) -> Self {
        self.fletcher32 = true;
        self
    }
    /// User fill value (raw bytes of one element, file byte order).
    pub fn fill_value(mut self, v: &[u8]) -> Self {
        self.fill = Some(v.to_vec());
        self
    }
    /// Store the data in the object header (must stay well under 64 KiB).
    pub fn compact(mut self) -> Self {
        self.compact = true;
        self
    }
    /// Tag the node with PyTables attributes of `class`.
    pub fn pytables_class(mut self, c: PyTablesClass) -> Self {
        self.class = Some(c);
        self
    }
    /// PyTables TITLE (only with [`DatasetBuilder::pytables_class`]).
    pub fn title(mut self, t: &str) -> Self {
        self.title = t.to_string();
        self
    }
    /// PyTables PSEUDOATOM of a VLArray (`vlstring`, `vlunicode`, `object`).
    pub fn pseudo_atom(mut self, a: &str) -> Self {
        self.pseudo_atom = Some(a.to_string());
        self
    }
}

/// Largest scratch buffer kept between typed calls.
const SCRATCH_KEEP: usize = 1 << 20;

impl Writer {
    /// Create a dataset at `path` (parent group must exist).
    pub fn create_dataset(&mut self, path: &str, b: DatasetBuilder) -> Result<DatasetId> {
        self.check()?;
        let (pidx, name, full) = self.new_member(path)?;
        let dt = self.file_datatype(b.dtype.clone())?;
        let elem = to_usize(dt.size())?;
        if elem == 0 {
            return Err(usage("element size 0"));
        }
        let dt_body = encode_datatype(&dt)?;
        let rank = b.shape.len();
        let max: Vec<u64> = match &b.max {
            Some(m) if m.len() != rank => return Err(usage("max_shape rank differs from shape")),
            Some(m) => m.iter().map(|x| x.unwrap_or(UNDEF)).collect(),
            None => b.shape.clone(),
        };
        for (d, m) in b.shape.iter().zip(&max) {
            if *m != UNDEF && d > m {
                return Err(usage("shape exceeds max_shape"));
            }
        }
        let fill = match &b.fill {
            Some(f) if f.len() != elem => return Err(usage("fill value size != element size")),
            Some(f) => f.clone(),
            None => vec![0u8; elem],
        };
        let mut filters = Vec::new();
        if b.shuffle {
            filters.push(FilterDescription {
                id: 2,
                name: None,
                flags: 1,
                client_data: vec![elem as u32],
            });
        }
        if let Some(l) = b.deflate {
            filters.push(FilterDescription {
                id: 1,
                name: None,
                flags: 1,
                client_data: vec![l],
            });
        }
        if b.fletcher32 {
            filters.push(FilterDescription {
                id: 3,
                name: None,
                flags: 0,
                client_data: vec![],
            });
        }
        let vlen = dt.is_variable_length();
        let want_chunked = b.chunks.is_some()
            || b.max.is_some()
            || !filters.is_empty()
            || matches!(
                b.class,
                Some(PyTablesClass::CArray | PyTablesClass::EArray | PyTablesClass::VLArray)
            );
        let total = product(&b.shape)?
            .checked_mul(elem as u64)
            .ok_or_else(|| usage("size overflows"))?;
        let store = if want_chunked {
            if rank == 0 {
                return Err(usage("a chunked dataset needs rank >= 1"));
            }
            let chunk = match &b.chunks {
                Some(c) if c.len() != rank || c.contains(&0) => {
                    return Err(usage("chunk shape must have the dataset's rank, no zeros"))
                }
                Some(c) => c.clone(),
                None => auto_chunks(&b.shape, &max, elem),
            };
            let cbytes = product(&chunk)?
                .checked_mul(elem as u64)
                .filter(|n| *n < (1 << 32))
                .ok_or_else(|| usage("chunk of 4 GiB or more"))?;
            let _ = cbytes;
            let kind = self.profile.chunk_index(&max, &chunk, self.sizes);
            Store::Chunked(Box::new(Chunked {
                chunk,
                kind,
                root: UNDEF,
                index: BTreeMap::new(),
                cache: HashMap::new(),
                tail: None,
                tail_start: 0,
                logical: b.shape.first().copied().unwrap_or(0),
                vlen_pending: Vec::new(),
                vlen_pending_bytes: 0,
                pending_dims: None,
                hot: None,
                size_len: None,
                index_blocks: Vec::new(),
            }))
        } else if b.compact {
            if total > 16 * 1024 {
                return Err(usage("compact data must stay under 16 KiB"));
            }
            let mut d = Vec::new();
            for _ in 0..total / elem as u64 {
                d.extend_from_slice(&fill);
            }
            Store::Compact(d)
        } else if vlen {
            return Err(usage("variable-length datasets must be chunked (VLArray)"));
        } else {
            let addr = if total == 0 {
                UNDEF
            } else {
                self.alloc_data(to_usize(total)?)
            };
            // Fresh space past the end of the file reads as zeros; reused space does not.
            if total > 0 && (fill.iter().any(|x| *x != 0) || addr < self.written_end) {
                let mut buf = Vec::with_capacity(to_usize(total)?);
                for _ in 0..total / elem as u64 {
                    buf.extend_from_slice(&fill);
                }
                self.put(addr, &buf)?;
            }
            Store::Contiguous { addr, size: total }
        };
        let ds = Ds {
            dt,
            dt_body,
            elem,
            dims: b.shape.clone(),
            has_max: b.max.is_some(),
            max,
            fill,
            user_fill: b.fill.is_some(),
            pipeline: (!filters.is_empty()).then_some(FilterPipeline {
                version: 1,
                filters,
            }),
            enc_mask: 0,
            refuse: None,
            num_type: None,
            store,
        };
        let mut attrs: Vec<(&str, AttrValue)> = Vec::new();
        if let Some(c) = b.class {
            let (cls, ver) = c.class_version();
            attrs.push(("CLASS", AttrValue::Ascii(cls.into())));
            attrs.push(("VERSION", AttrValue::Ascii(ver.into())));
            attrs.push(("TITLE", AttrValue::Str(b.title.clone())));
            if c.has_extdim() {
                let ext = ds.max.iter().position(|m| *m == UNDEF).unwrap_or(0);
                attrs.push(("EXTDIM", AttrValue::I32(ext as i32)));
            }
            if let Some(p) = &b.pseudo_atom {
                attrs.push(("PSEUDOATOM", AttrValue::Ascii(p.clone())));
            }
        }
        let idx = self.new_object(full, Kind::Dataset(Box::new(ds)), &attrs)?;
        self.link(pidx, &name, idx)?;
        Ok(DatasetId(idx))
    }

    /// The handle of the dataset created at `path`.
    pub fn dataset(&self, path: &str) -> Result<DatasetId> {
        match self.paths.get(path) {
            Some(&i) if matches!(self.objs[i].kind, Kind::Dataset(_)) => Ok(DatasetId(i)),
            _ => Err(usage(format!("{path}: no such dataset"))),
        }
    }

    /// Current shape of a dataset, including appended rows not yet flushed.
    pub fn shape(&self, ds: &DatasetId) -> Result<Vec<u64>> {
        let d = self.ds(*ds)?;
        let mut s = d.cur_dims();
        if let (Store::Chunked(c), Some(first)) = (&d.store, s.first_mut()) {
            *first = c.logical.max(*first);
        }
        Ok(s)
    }

    pub(super) fn ds(&self, id: DatasetId) -> Result<&Ds> {
        match self.objs.get(id.0).map(|o| &o.kind) {
            Some(Kind::Dataset(d)) => match &d.refuse {
                Some(why) => Err(Error::unsupported(why.clone(), None)),
                None => Ok(d),
            },
            _ => Err(usage("not a dataset of this writer")),
        }
    }

    pub(super) fn ds_mut(&mut self, id: DatasetId) -> Result<&mut Ds> {
        match self.objs.get_mut(id.0).map(|o| &mut o.kind) {
            Some(Kind::Dataset(d)) => match &d.refuse {
                Some(why) => Err(Error::unsupported(why.clone(), None)),
                None => Ok(d),
            },
            _ => Err(usage("not a dataset of this writer")),
        }
    }

    pub(super) fn check_type<T: H5Num>(&mut self, ds: &DatasetId) -> Result<()> {
        let d = self.ds_mut(*ds)?;
        let t = std::any::TypeId::of::<T>();
        if d.num_type == Some(t) {
            return Ok(());
        }
        if d.dt != T::datatype() {
            return Err(usage(format!(
                "dataset type differs from {}",
                std::any::type_name::<T>()
            )));
        }
        d.num_type = Some(t);
        Ok(())
    }

    /// Run `f` on the little-endian bytes of `data`, built in the reused scratch buffer.
    pub(super) fn with_le_bytes<T: H5Num>(
        &mut self,
        data: &[T],
        f: impl FnOnce(&mut Self, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut raw = std::mem::take(&mut self.scratch);
        raw.clear();
        T::extend_le(data, &mut raw);
        let r = f(self, &raw);
        // Keep a small buffer for the next call; do not pin a large one.
        if raw.capacity() <= SCRATCH_KEEP {
            self.scratch = raw;
        }
        r
    }

    /// Write a whole dataset from typed values (row-major).
    pub fn write<T: H5Num>(&mut self, ds: &DatasetId, data: &[T]) -> Result<()> {
        let sel: Vec<Range<u64>> = self.shape(ds)?.iter().map(|d| 0..*d).collect();
        self.write_slice(ds, &sel, data)
    }

    /// Write typed values into hyperslab `sel` (one range per dimension).
    pub fn write_slice<T: H5Num>(
        &mut self,
        ds: &DatasetId,
        sel: &[Range<u64>],
        data: &[T],
    ) -> Result<()> {
        self.check_type::<T>(ds)?;
        self.with_le_bytes(data, |w, raw| w.write_slice_raw(ds, sel, raw))
    }

    /// Append typed rows along dimension 0 (`data.len()` a multiple of the row size).
    pub fn append<T: H5Num>(&mut self, ds: &DatasetId, data: &[T]) -> Result<()> {
        if self.append_buffered(*ds, data) {
            return Ok(());
        }
        self.check_type::<T>(ds)?;
        self.with_le_bytes(data, |w, raw| w.append_raw(ds, raw))
    }
}

/// PyTables-like automatic chunk shape: about 16 KiB per chunk, whole trailing dims.
fn auto_chunks(shape: &[u64], max: &[u64], elem: usize) -> Vec<u64> {
    let target = (16 * 1024 / elem.max(1)) as u64;
    let mut c: Vec<u64> = shape.iter().map(|s| (*s).max(1)).collect();
    let mut i = 0;
    while product(&c).unwrap_or(u64::MAX) > target.max(1) && i < c.len() {
        while c[i] > 1 && product(&c).unwrap_or(u64::MAX) > target.max(1) {
            c[i] = c[i].div_ceil(2);
        }
        i += 1;
    }
    if let (Some(first), Some(m)) = (c.first_mut(), max.first()) {
        if *m == UNDEF && shape.first() == Some(&0) {
            let rest = product(&shape[1..]).unwrap_or(1).max(1);
            *first = (target / rest).max(1);
        }
    }
    c
}
