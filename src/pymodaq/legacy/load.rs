//! The 1.x–3.x loaders, as their `H5Browser` showed a data node, mapped onto `DataWithAxes`.
//!
//! [`LegacyLoader::load_node`] returns what the generation's own loader returns
//! (`H5Browser.show_h5_data` 1.6, `H5BrowserUtil.get_h5_data` 2.3,
//! `h5utils.get_h5_data_from_node` 3.6): the array squeezed, the background (`Bkg` beside it)
//! subtracted, the signal axes `X_axis`/`Y_axis` beside it, the navigation axes (unique values,
//! doubled for back-and-forth scans) and their indexes. [`LegacyLoader::load_data`] turns that
//! into today's `DataWithAxes`; [`LegacyLoader::load_all`] loads every data node.
//!
//! Nodes without `CLASS`, PyTables' plain `ARRAY`s and h5py-written files load as they are
//! (read-only, nothing is written back).

use crate::hdf5::read::File;
use crate::pymodaq::attrs::PyValue;
use crate::pymodaq::backend::{AttrVal, H5Backend, LoadError, LoadResult, PmdNode};
use crate::pymodaq::model::{
    Axis, DataDistribution, DataSource, DataToExport, DataWithAxes, DwaArgs, NdArray,
};

use super::Generation;

/// One axis as the old loaders return it (`dict(data, units, label)`).
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyAxis {
    /// The values.
    pub data: Vec<f64>,
    /// `units` (`''` when absent).
    pub units: String,
    /// `label` (`''` when absent).
    pub label: String,
    /// For navigation axes, the data dimension they index.
    pub nav_index: Option<usize>,
}

/// A data node as the old loader returns it.
#[derive(Debug, Clone)]
pub struct LegacyNode {
    /// Node path.
    pub path: String,
    /// The data, squeezed (at least 1-D), background subtracted.
    pub data: NdArray,
    /// Axes by the old loader's key: `x_axis`, `y_axis`, `nav_x_axis`, `nav_00`, ...
    pub axes: Vec<(String, LegacyAxis)>,
    /// Navigation indexes.
    pub nav_axes: Vec<usize>,
    /// Adaptive scans (`scan_subtype` `Adaptive`): spread data.
    pub is_spread: bool,
}

/// Loads 1.x–3.x files.
#[derive(Debug, Clone)]
pub struct LegacyLoader {
    backend: H5Backend,
    generation: Generation,
}

impl LegacyLoader {
    /// A loader for `file` as written by `generation` (see [`super::detect`]).
    pub fn new(file: &File, generation: Generation) -> LegacyLoader {
        LegacyLoader {
            backend: H5Backend::new(file).tolerant(),
            generation,
        }
    }

    /// The backend (tolerant: classes inferred where `CLASS` is missing).
    pub fn backend(&self) -> &H5Backend {
        &self.backend
    }

    fn str_attr(&self, node: &PmdNode, name: &str) -> Option<String> {
        match self.backend.attr(node, name).ok().flatten()? {
            AttrVal::Empty | AttrVal::H5pyEmpty(_) => Some(String::new()),
            v => match v.to_py() {
                PyValue::Str(s) => Some(s),
                PyValue::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                PyValue::Numpy(n) => match *n.value {
                    PyValue::Str(s) => Some(s),
                    PyValue::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                    _ => None,
                },
                _ => None,
            },
        }
    }

    fn int_attr(&self, node: &PmdNode, name: &str) -> Option<i128> {
        match self.backend.attr(node, name).ok().flatten()?.to_py() {
            PyValue::Int(i) => Some(i),
            PyValue::Numpy(n) => match *n.value {
                PyValue::Int(i) => Some(i),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether the loaders treat the node as data: attribute `type` containing `data`, or
    /// `channel` in any case.
    pub fn is_data_node(&self, node: &PmdNode) -> bool {
        node.class.is_array()
            && self
                .str_attr(node, "type")
                .is_some_and(|t| t.contains("data") || t.to_lowercase().contains("channel"))
    }

    /// Every data node under the root, sorted by path.
    pub fn data_paths(&self) -> LoadResult<Vec<String>> {
        let root = self.backend.get_node("/")?;
        let mut out: Vec<String> = self
            .backend
            .walk_nodes(&root)?
            .into_iter()
            .filter(|n| self.is_data_node(n))
            .map(|n| n.path)
            .collect();
        out.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        out.dedup();
        Ok(out)
    }

    fn children_by_name(&self, group: &PmdNode) -> LoadResult<Vec<PmdNode>> {
        self.backend.children(group)
    }

    fn read_axis(&self, node: &PmdNode) -> LoadResult<LegacyAxis> {
        let a = self.backend.read(node)?;
        Ok(LegacyAxis {
            data: a.to_f64(),
            units: self.str_attr(node, "units").unwrap_or_default(),
            label: self.str_attr(node, "label").unwrap_or_default(),
            nav_index: None,
        })
    }

    /// The data node at `path` as the generation's own loader returns it.
    pub fn load_node(&self, path: &str) -> LoadResult<LegacyNode> {
        let node = self.backend.get_node(path)?;
        if !node.class.is_array() {
            return Err(LoadError::py(
                "TypeError",
                format!("{path} does not host a dataset"),
            ));
        }
        let mut data = self.backend.read(&node)?.squeeze_all();
        let parent = self
            .backend
            .parent(&node)?
            .ok_or_else(|| LoadError::py("AttributeError", "the root has no parent"))?;
        let siblings = self.children_by_name(&parent)?;
        let sibling = |name: &str| siblings.iter().find(|c| c.name == name);
        if node.name != "Bkg" {
            if let Some(bkg) = sibling("Bkg") {
                let b = self.backend.read(bkg)?.squeeze_all();
                // The loaders subtract when the shapes agree and keep the data otherwise.
                if let Ok(d) = data.sub(&b) {
                    data = d;
                }
            }
        }
        let mut out = LegacyNode {
            path: node.path.clone(),
            data,
            axes: Vec::new(),
            nav_axes: Vec::new(),
            is_spread: false,
        };
        if !self.is_data_node(&node) {
            return Ok(out);
        }
        let data_dim = self
            .str_attr(&node, "data_dimension")
            .or_else(|| self.str_attr(&node, "data_type"))
            .unwrap_or_default();
        out.is_spread = self
            .str_attr(&node, "scan_subtype")
            .is_some_and(|s| s.to_lowercase() == "adaptive");
        for (key, name) in [("x_axis", "X_axis"), ("y_axis", "Y_axis")] {
            if let Some(n) = sibling(name) {
                out.axes.push((key.to_string(), self.read_axis(n)?));
            }
        }
        let shape = out.data.shape.clone();
        if data_dim == "ND" {
            for (ind, ax) in [(0usize, "y_axis"), (1, "x_axis")] {
                if let Some(n) = sibling(&format!("Nav_{ax}")) {
                    out.nav_axes.push(ind);
                    let mut a = self.read_axis(n)?;
                    a.nav_index = Some(ind);
                    if !out.is_spread {
                        a.data = unique_fit(&a.data, shape.get(ind).copied());
                    }
                    out.axes.push((format!("nav_{ax}"), a));
                }
            }
        }
        let Some(scan_type) = self.str_attr(&node, "scan_type") else {
            return Ok(out);
        };
        let scan_type = scan_type.to_lowercase();
        if self.generation == Generation::V1 {
            if scan_type == "scan1d" || scan_type == "scan2d" {
                // 1.x: the scan group is four levels up (ScanNNN/DetectorNNN/DataND/ChNNN/Data).
                let mut scan = Some(node.clone());
                for _ in 0..4 {
                    scan = match scan {
                        Some(n) => self.backend.parent(&n)?,
                        None => None,
                    };
                }
                let Some(scan) = scan else {
                    return Ok(out);
                };
                let kids = self.children_by_name(&scan)?;
                out.nav_axes.clear();
                for (ind, ax) in [(0usize, "x_axis"), (1, "y_axis")] {
                    if let Some(n) = kids.iter().find(|c| c.name == format!("Scan_{ax}")) {
                        out.nav_axes.push(ind);
                        let mut a = self.read_axis(n)?;
                        a.nav_index = Some(ind);
                        a.data = unique_fit(&a.data, shape.get(ind).copied());
                        out.axes.push((format!("nav_{ax}"), a));
                    }
                }
            }
            return Ok(out);
        }
        let nav_children = self.find_scan_node(&node)?;
        out.nav_axes.clear();
        if scan_type == "tabular" || out.is_spread {
            let mut labels = Vec::new();
            let mut npts = 2usize;
            for n in &nav_children {
                if let Some(AttrVal::Py(PyValue::Tuple(t) | PyValue::List(t))) =
                    self.backend.attr(n, "shape")?
                {
                    if let Some(PyValue::Int(k)) = t.first() {
                        npts = usize::try_from(*k).unwrap_or(npts);
                    }
                }
                labels.push(self.str_attr(n, "label").unwrap_or_default());
            }
            out.nav_axes.push(0);
            let data = (0..npts).map(|i| i as f64).collect();
            out.axes.push((
                "nav_x_axis".to_string(),
                LegacyAxis {
                    data,
                    units: String::new(),
                    label: "Scan index".to_string(),
                    nav_index: Some(0),
                },
            ));
        } else {
            for n in &nav_children {
                let Some(idx) = self
                    .int_attr(n, "nav_index")
                    .and_then(|i| usize::try_from(i).ok())
                else {
                    return Err(LoadError::py("KeyError", "'nav_index'"));
                };
                out.nav_axes.push(idx);
                let mut a = self.read_axis(n)?;
                a.nav_index = Some(idx);
                a.data = unique_fit(&a.data, shape.get(idx).copied());
                // the same key twice: the last one wins, as in the loaders' dict
                let key = format!("nav_{idx:02}");
                out.axes.retain(|(k, _)| *k != key);
                out.axes.push((key, a));
            }
        }
        Ok(out)
    }

    /// `find_scan_node`: up from the node to the first group whose `type` is `scan`; the
    /// `navigation_axis` arrays among its children and its parent's children. None (no axes)
    /// when a node on the way has no `type`, as the loaders' `except` gives.
    fn find_scan_node(&self, node: &PmdNode) -> LoadResult<Vec<PmdNode>> {
        let mut cur = node.clone();
        let mut guard = 0usize;
        let scan = loop {
            guard += 1;
            if guard > 4096 {
                return Ok(Vec::new());
            }
            match self.str_attr(&cur, "type") {
                Some(t) if t == "scan" => break cur,
                Some(_) => match self.backend.parent(&cur)? {
                    Some(p) => cur = p,
                    None => return Ok(Vec::new()),
                },
                None => return Ok(Vec::new()),
            }
        };
        let mut all = self.children_by_name(&scan)?;
        if let Some(p) = self.backend.parent(&scan)? {
            all.extend(self.children_by_name(&p)?);
        }
        Ok(all
            .into_iter()
            .filter(|c| self.str_attr(c, "type").as_deref() == Some("navigation_axis"))
            .collect())
    }

    /// The data node at `path` as today's `DataWithAxes`: the data, its signal axes
    /// (`x_axis` on the last dimension, `y_axis` on the one before for 2-D signals), its
    /// navigation axes on their indexes (axes whose length does not match are left out, and
    /// `create_missing_axes` is not applied), name = channel group title, origin = detector
    /// title, `extra_attributes.path`.
    pub fn load_data(&self, path: &str) -> LoadResult<DataWithAxes> {
        let n = self.load_node(path)?;
        self.to_dwa(&n)
    }

    /// [`LegacyNode`] → `DataWithAxes`.
    pub fn to_dwa(&self, n: &LegacyNode) -> LoadResult<DataWithAxes> {
        let node = self.backend.get_node(&n.path)?;
        let channel = self.backend.parent(&node)?;
        let title = |p: &Option<PmdNode>| -> String {
            p.as_ref()
                .map(|g| {
                    let t = self.str_attr(g, "TITLE").unwrap_or_default();
                    if t.is_empty() {
                        g.name.clone()
                    } else {
                        t
                    }
                })
                .unwrap_or_default()
        };
        let name = title(&channel);
        let dim_group = match &channel {
            Some(c) => self.backend.parent(c)?,
            None => None,
        };
        let detector = match &dim_group {
            Some(g) => self.backend.parent(g)?,
            None => None,
        };
        let shape = n.data.shape.clone();
        let ndim = shape.len();
        let mut nav: Vec<usize> = Vec::new();
        for &i in &n.nav_axes {
            if i < ndim && !nav.contains(&i) {
                nav.push(i);
            }
        }
        let nsig = ndim.saturating_sub(nav.len());
        let mut axes = Vec::new();
        for (key, a) in &n.axes {
            let index = match (a.nav_index, key.as_str()) {
                (Some(i), _) if nav.contains(&i) => Some(i),
                (Some(_), _) => None,
                (None, "x_axis") if nsig >= 1 => ndim.checked_sub(1),
                (None, "y_axis") if nsig >= 2 => ndim.checked_sub(2),
                _ => None,
            };
            let Some(index) = index else { continue };
            if shape.get(index) != Some(&a.data.len()) {
                continue;
            }
            if let Ok(ax) = Axis::new(&a.label, &a.units, a.data.clone(), index, 0) {
                axes.push(ax);
            }
        }
        // 1.x Navigator exports: the image axes are `scan_x_axis_unique`/`scan_y_axis_unique`
        // beside the channel groups (the 1.x loader did not attach them; they are the axes).
        if self.generation == Generation::V1 && axes.is_empty() && ndim == 2 && nav.is_empty() {
            if let Some(scan) = &dim_group {
                let kids = self.children_by_name(scan)?;
                for (name, index) in [("scan_y_axis_unique", 0usize), ("scan_x_axis_unique", 1)] {
                    let Some(k) = kids.iter().find(|c| c.name == name && c.class.is_array()) else {
                        continue;
                    };
                    let a = self.read_axis(k)?;
                    if shape.get(index) == Some(&a.data.len()) {
                        if let Ok(ax) = Axis::new(&a.label, &a.units, a.data, index, 0) {
                            axes.push(ax);
                        }
                    }
                }
            }
        }
        let distribution = if n.is_spread {
            DataDistribution::Spread
        } else {
            DataDistribution::Uniform
        };
        let dwa = DataWithAxes::new(DwaArgs {
            name: name.clone(),
            source: DataSource::Raw,
            distribution,
            data: vec![n.data.clone()],
            labels: vec![name],
            units: String::new(),
            origin: PyValue::Str(title(&detector)),
            nav_indexes: nav,
            axes,
            errors: None,
            extra_attributes: vec![("path".to_string(), PyValue::Str(n.path.clone()))],
        })?;
        Ok(dwa)
    }

    /// Every data node loaded, in path order (no entry replaces another).
    pub fn load_all(&self) -> LoadResult<DataToExport> {
        let mut dte = DataToExport::new("Loaded data");
        for p in self.data_paths()? {
            dte.data.push(self.load_data(&p)?);
        }
        Ok(dte)
    }
}

/// `np.unique` (sorted, duplicates dropped), doubled when that does not match the data
/// dimension (back-and-forth scans visit every position twice).
fn unique_fit(values: &[f64], dim: Option<usize>) -> Vec<f64> {
    let mut u = values.to_vec();
    u.sort_by(f64::total_cmp);
    u.dedup_by(|a, b| a == b);
    if dim.is_some_and(|d| d != u.len()) {
        u.iter().flat_map(|&v| [v, v]).collect()
    } else {
        u
    }
}
