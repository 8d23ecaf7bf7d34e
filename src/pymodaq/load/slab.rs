//! Loading one navigation position of a scan ([`DataLoader::at`]): every data, background
//! and error array is read through a hyperslab that fixes each navigation dimension, so
//! `show`/`plot --at` on a scan of any size read only the chunks holding that position.
//!
//! The loaded DataWithAxes is the one [`DataLoader::load_data`] gives, sliced: each navigation
//! dimension keeps size 1 (PyMoDAQ never squeezes navigation dimensions) and each navigation
//! axis (from `NavAxes`, or an axis of the group on a navigation dimension) holds the one
//! value at that position.

use std::ops::Range;

use crate::pymodaq::backend::{LoadError, LoadResult, PmdNode};
use crate::pymodaq::model::{Axis, NdArray};

use super::{index_list, DataLoader};

/// A caller's mistake (a position the data does not have), not something PyMoDAQ raises.
fn usage(m: String) -> LoadError {
    LoadError::Hdf5(crate::Error::Usage(m))
}

impl DataLoader {
    /// This loader, reading only the navigation position `at`: one index per navigation
    /// dimension of the data (its `nav_indexes`), in increasing dimension order.
    pub fn at(mut self, at: Vec<usize>) -> DataLoader {
        self.nav_at = Some(at);
        self
    }

    /// The navigation dimensions of `nav_indexes` that exist in `ndim` dimensions, sorted.
    fn nav_dims(nav_indexes: &[usize], ndim: usize) -> Vec<usize> {
        let mut d: Vec<usize> = nav_indexes.iter().copied().filter(|&i| i < ndim).collect();
        d.sort_unstable();
        d.dedup();
        d
    }

    /// The hyperslab of `node` at the navigation position, or `None` (read it all).
    pub(super) fn slab_selection(&self, node: &PmdNode) -> LoadResult<Option<Vec<Range<u64>>>> {
        let Some(at) = &self.nav_at else {
            return Ok(None);
        };
        let ds = node.dataset()?;
        let shape = ds.shape().to_vec();
        let nav = index_list(&self.backend.attr_req(node, "nav_indexes")?.to_py());
        let dims = Self::nav_dims(&nav, shape.len());
        if dims.len() != at.len() {
            return Err(usage(format!(
                "--at: {} index(es) given, the data has {} navigation axis(es)",
                at.len(),
                dims.len()
            )));
        }
        let mut sel: Vec<Range<u64>> = shape.iter().map(|&n| 0..n).collect();
        for (k, (&dim, &i)) in dims.iter().zip(at).enumerate() {
            let n = shape.get(dim).copied().unwrap_or(0);
            let i = i as u64;
            if i >= n {
                return Err(usage(format!(
                    "--at: index {i} is out of range for navigation axis {k} ({n} points)"
                )));
            }
            if let Some(r) = sel.get_mut(dim) {
                *r = i..i + 1;
            }
        }
        Ok(Some(sel))
    }

    /// `node` read whole, or its part `sel` when it has that many dimensions (a background
    /// of another rank is read whole, as without `at`).
    pub(super) fn read_part(
        &self,
        node: &PmdNode,
        sel: Option<&[Range<u64>]>,
    ) -> LoadResult<NdArray> {
        if self.lazy {
            return self.lazy_part(node, sel);
        }
        match sel {
            Some(sel) if node.dataset()?.shape().len() == sel.len() => {
                self.backend.read_slab(node, sel)
            }
            _ => self.backend.read(node),
        }
    }

    /// The position index for navigation dimension `dim`.
    fn at_of(&self, nav_indexes: &[usize], dim: usize) -> Option<usize> {
        let at = self.nav_at.as_ref()?;
        // Navigation dimensions are counted in the data's dimensions; any index past them
        // is not navigation.
        let dims = Self::nav_dims(nav_indexes, usize::MAX);
        let rank = dims.iter().position(|&d| d == dim)?;
        at.get(rank).copied()
    }

    /// The group's axes with those on a navigation dimension cut to the position.
    pub(super) fn slab_axes(
        &self,
        mut axes: Vec<Axis>,
        nav_indexes: &[usize],
    ) -> LoadResult<Vec<Axis>> {
        if self.nav_at.is_none() {
            return Ok(axes);
        }
        for ax in &mut axes {
            if let Some(i) = self.at_of(nav_indexes, ax.index) {
                let v = ax.get_data().get(i).copied().unwrap_or(f64::NAN);
                ax.set_data(vec![v])?;
            }
        }
        Ok(axes)
    }

    /// The value of a `NavAxes` axis (its `index` counts in `nav_indexes`) at the position.
    pub(super) fn slab_nav_value(&self, ax: &Axis, nav_indexes: &[usize]) -> Option<f64> {
        let dim = *nav_indexes.get(ax.index)?;
        let i = self.at_of(nav_indexes, dim)?;
        Some(ax.get_data().get(i).copied().unwrap_or(f64::NAN))
    }
}
