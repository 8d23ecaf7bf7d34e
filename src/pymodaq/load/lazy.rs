//! Lazy loading ([`DataLoader::lazy`]): data, background and error arrays become
//! [`NdArray`]s that read their dataset (or the hyperslab of [`DataLoader::at`]) on first
//! touch, so `load_all` of a scan of any size reads metadata only. Everything that can be
//! checked without the array's bytes is checked when loading (element type, extent, the
//! read caps of [`crate::Limits`]); what is left for the first touch is reading the chunks.

use std::ops::Range;

use crate::error::{Error, Result};
use crate::hdf5::read::{Dataset, Datatype};
use crate::pymodaq::backend::read::array_dtype;
use crate::pymodaq::backend::{LoadResult, PmdNode};
use crate::pymodaq::model::lazy::ArraySource;
use crate::pymodaq::model::{DType, NdArray};

use super::DataLoader;

/// A hyperslab of a dataset, read as little-endian bytes.
#[derive(Debug)]
struct DatasetBlock {
    ds: Dataset,
    /// The hyperslab, absolute.
    sel: Vec<Range<u64>>,
    shape: Vec<u64>,
}

impl ArraySource for DatasetBlock {
    fn shape(&self) -> &[u64] {
        &self.shape
    }

    fn read(&self, sel: &[Range<u64>]) -> Result<Vec<u8>> {
        if sel.len() != self.sel.len() {
            return Err(Error::Usage("slab rank differs from the array's".into()));
        }
        let abs: Vec<Range<u64>> = self
            .sel
            .iter()
            .zip(sel)
            .map(|(base, r)| {
                let a = base.start.checked_add(r.start)?;
                let b = base.start.checked_add(r.end)?;
                (r.start <= r.end && b <= base.end).then_some(a..b)
            })
            .collect::<Option<_>>()
            .ok_or_else(|| Error::Usage("slab outside the array".into()))?;
        let mut raw = self.ds.read_raw_selection(&abs)?;
        crate::hdf5::read::value::to_little_endian(&self.ds.datatype, &mut raw);
        Ok(raw)
    }
}

impl DataLoader {
    /// This loader, giving arrays that read their bytes on first touch (see the module).
    /// The loaded objects are those of the eager loader; an I/O or decoding error of an
    /// array surfaces at its first touch ([`NdArray::try_le_bytes`], or
    /// [`crate::pymodaq::model::lazy::read_all`] for many at once) instead of in `load_all`.
    pub fn lazy(mut self) -> DataLoader {
        self.lazy = true;
        self
    }

    /// [`crate::pymodaq::backend::H5Backend::read_slab`] (the whole dataset when `sel` is
    /// `None`), as a lazy array.
    pub(super) fn lazy_part(
        &self,
        node: &PmdNode,
        sel: Option<&[Range<u64>]>,
    ) -> LoadResult<NdArray> {
        let ds = node.dataset()?;
        let sel = match sel {
            Some(s) if s.len() == ds.shape().len() => s.to_vec(),
            _ => ds.full_selection(),
        };
        let mut dtype = array_dtype(ds)?;
        if self.backend.is_tables() && matches!(ds.datatype, Datatype::Bitfield { size: 1, .. }) {
            dtype = DType::Bool;
        }
        for (r, &d) in sel.iter().zip(ds.shape()) {
            if r.start > r.end || r.end > d {
                return Err(
                    Error::Usage(format!("selection {r:?} outside dimension of size {d}")).into(),
                );
            }
        }
        let shape: Vec<u64> = sel.iter().map(|r| r.end - r.start).collect();
        let total = shape
            .iter()
            .try_fold(dtype.size() as u64, |a, &n| a.checked_mul(n))
            .ok_or_else(|| Error::Usage(format!("dataset {} too large", ds.path())))?;
        // The caps the eager read applies, applied now: a touch never fails on them.
        let limits = self.backend.file().limits();
        let cap = limits.max_alloc.min(limits.max_read_total);
        if total > cap {
            let name = if limits.max_alloc < limits.max_read_total {
                "max_alloc"
            } else {
                "max_read_total"
            };
            return Err(Error::limit(name, cap, total, Some(ds.object().address())).into());
        }
        let ushape = shape
            .iter()
            .map(|&n| usize::try_from(n))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| Error::Usage(format!("dataset {} too large", ds.path())))?;
        let block = DatasetBlock {
            ds: ds.clone(),
            sel,
            shape,
        };
        Ok(NdArray::lazy(dtype, ushape, Box::new(block))?)
    }
}
