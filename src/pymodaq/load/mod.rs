//! PyMoDAQ's loaders (`pymodaq_data.h5modules.data_saving`, 5.3): `AxisSaverLoader.load_axis`,
//! `DataSaverLoader.load_data` (single node or `load_all` of a group, background subtraction,
//! error bars), and `DataLoader.load_data` / `load_all` (navigation axes from the nearest
//! `NavAxes` group, missing axes created).
//!
//! Behaviour mirrors PyMoDAQ, including the exception it raises (`KeyError` for a missing
//! mandatory attribute, `IndexError` for an empty enlargeable axis, `NodeError`, ...), with two
//! deliberate differences: the array extent comes from the dataspace, not from the `shape`
//! attribute (stale in SWMR and enlargeable files), and nodes missing `CLASS` are classified by
//! `_infer_class` without writing to the file. Works for 4.x and 5.x layouts of both backends.

use crate::pymodaq::attrs::PyValue;
use crate::pymodaq::backend::{AttrVal, H5Backend, LoadError, LoadResult, NodeClass, PmdNode};
use crate::pymodaq::model::{
    Axis, DataDistribution, DataSource, DataToExport, DataType, DataWithAxes, DwaArgs, NdArray,
    PyError,
};

mod lazy;
mod slab;

/// Attributes that do not become extra attributes of a loaded DataWithAxes.
pub const NON_EXTRA_ATTRIBUTES: [&str; 18] = [
    "TITLE",
    "CLASS",
    "VERSION",
    "backend",
    "source",
    "data_dimension",
    "distribution",
    "label",
    "origin",
    "nav_indexes",
    "dtype",
    "data_type",
    "subdtype",
    "shape",
    "size",
    "EXTDIM",
    "path",
    "timestamp",
];

/// The group name holding navigation axes (`SPECIAL_GROUP_NAMES['nav_axes']`).
pub const NAV_AXES_GROUP: &str = "NavAxes";

/// Reads PyMoDAQ objects from a file through an [`H5Backend`].
#[derive(Debug, Clone)]
pub struct DataLoader {
    backend: H5Backend,
    /// One navigation position (see [`DataLoader::at`]).
    nav_at: Option<Vec<usize>>,
    /// Arrays read on first touch (see [`DataLoader::lazy`]).
    lazy: bool,
}

fn str_attr(v: &AttrVal, name: &str) -> LoadResult<String> {
    match v {
        AttrVal::Empty | AttrVal::H5pyEmpty(_) => Ok(String::new()),
        other => other.as_str().map(str::to_string).ok_or_else(|| {
            LoadError::py(
                "TypeError",
                format!("{name} should be a string, not {:?}", other.to_py()),
            )
        }),
    }
}

fn int_attr(v: &AttrVal, what: &str) -> LoadResult<i128> {
    match v.to_py() {
        PyValue::Int(i) => Ok(i),
        PyValue::Numpy(n) => match *n.value {
            PyValue::Int(i) => Ok(i),
            _ => Err(LoadError::py("TypeError", what.to_string())),
        },
        _ => Err(LoadError::py("TypeError", what.to_string())),
    }
}

/// `nav_indexes` as PyMoDAQ uses it: the ints of a tuple/list (anything else: none).
fn index_list(v: &PyValue) -> Vec<usize> {
    v.int_items::<usize>()
        .map(|items| items.flatten().collect())
        .unwrap_or_default()
}

impl DataLoader {
    /// A loader over `backend` (PyMoDAQ's `DataLoader(h5saver)`).
    pub fn new(backend: H5Backend) -> DataLoader {
        DataLoader {
            backend,
            nav_at: None,
            lazy: false,
        }
    }

    /// The backend.
    pub fn backend(&self) -> &H5Backend {
        &self.backend
    }

    fn data_type_of(&self, node: &PmdNode) -> LoadResult<Option<String>> {
        Ok(self
            .backend
            .attr(node, "data_type")?
            .and_then(|v| v.as_str().map(str::to_string)))
    }

    /// `_get_nodes_from_data_type(where)`: every node of `dt` hanging (recursively) from
    /// `where` if a group, else from its parent.
    fn nodes_of_type(&self, where_: &PmdNode, dt: DataType) -> LoadResult<Vec<PmdNode>> {
        let parent = if where_.class == NodeClass::Group {
            where_.clone()
        } else {
            self.parent_of(where_)?
        };
        let mut out = Vec::new();
        for n in self.backend.walk_nodes(&parent)? {
            if self.data_type_of(&n)?.as_deref() == Some(dt.name()) {
                out.push(n);
            }
        }
        Ok(out)
    }

    fn parent_of(&self, node: &PmdNode) -> LoadResult<PmdNode> {
        self.backend.parent(node)?.ok_or_else(|| {
            LoadError::py(
                "AttributeError",
                "'NoneType' object has no attribute 'node'",
            )
        })
    }

    /// `AxisSaverLoader.load_axis(path)`.
    pub fn load_axis(&self, path: &str) -> LoadResult<Axis> {
        let node = self.backend.get_node(path)?;
        self.load_axis_node(&node)
    }

    fn load_axis_node(&self, node: &PmdNode) -> LoadResult<Axis> {
        if self.data_type_of(node)?.as_deref() != Some("axis") {
            return Err(LoadError::py(
                "AxisError",
                format!(
                    "Could not create an Axis object from this node: {}",
                    self.backend.node_str(node)?
                ),
            ));
        }
        let b = &self.backend;
        let label = str_attr(&b.attr_req(node, "label")?, "label for the Axis class")?;
        let units = str_attr(&b.attr_req(node, "units")?, "units")?;
        let data = b.read(node)?.squeeze_all();
        let index = int_attr(
            &b.attr_req(node, "index")?,
            "index for the Axis class should be a positive integer",
        )?;
        let spread_order = int_attr(&b.attr_req(node, "spread_order")?, "spread_order")?;
        if data.shape.len() != 1 {
            return Err(LoadError::py(
                "ValueError",
                "data for the Axis class should be a 1D numpy array",
            ));
        }
        let index = usize::try_from(index).map_err(|_| {
            LoadError::py(
                "ValueError",
                "index for the Axis class should be a positive integer",
            )
        })?;
        let spread_order = i64::try_from(spread_order).unwrap_or(i64::MAX);
        Ok(Axis::new(
            &label,
            &units,
            data.to_f64(),
            index,
            spread_order,
        )?)
    }

    /// `get_axes(where)`: every axis node of the group (recursively), loaded.
    fn get_axes(&self, group: &PmdNode) -> LoadResult<Vec<Axis>> {
        self.nodes_of_type(group, DataType::Axis)?
            .iter()
            .map(|n| self.load_axis_node(n))
            .collect()
    }

    /// One array read and squeezed on its size-1 non-navigation dimensions (the dataspace
    /// gives the extent; `nav_indexes` is required as PyMoDAQ requires it), minus `bkg`.
    fn read_squeezed(&self, node: &PmdNode, bkg: Option<&PmdNode>) -> LoadResult<NdArray> {
        let sel = self.slab_selection(node)?;
        let mut arr = self.read_part(node, sel.as_deref())?;
        if let Some(bkg) = bkg {
            let b = self.read_part(bkg, sel.as_deref())?;
            arr = arr.sub(&b).map_err(|m| {
                // numpy raises TypeError for bool arrays, ValueError for shapes.
                let kind = if m.contains("boolean") {
                    "TypeError"
                } else {
                    "ValueError"
                };
                LoadError::py(kind, m)
            })?;
        }
        let nav = index_list(&self.backend.attr_req(node, "nav_indexes")?.to_py());
        let idx: Vec<usize> = (0..arr.shape.len())
            .filter(|i| !nav.contains(i) && arr.shape.get(*i) == Some(&1))
            .collect();
        arr.into_squeezed(&idx)
            .map_err(|m| LoadError::py("ValueError", m))
    }

    /// `get_data_arrays(node, with_bkg, load_all)` for a loader of type `dt`.
    fn data_arrays(
        &self,
        node: &PmdNode,
        dt: DataType,
        with_bkg: bool,
        load_all: bool,
    ) -> LoadResult<Vec<NdArray>> {
        let mut bkgs = Vec::new();
        if with_bkg {
            let parent = self.parent_of(node)?;
            for n in self.backend.walk_nodes(&parent)? {
                if self.data_type_of(&n)?.as_deref() == Some("bkg") {
                    bkgs.push(n);
                }
            }
        }
        let nodes = if load_all {
            self.nodes_of_type(node, dt)?
        } else {
            vec![node.clone()]
        };
        if bkgs.is_empty() {
            nodes.iter().map(|n| self.read_squeezed(n, None)).collect()
        } else {
            // zip: as many arrays as there are background nodes.
            nodes
                .iter()
                .zip(&bkgs)
                .map(|(n, b)| self.read_squeezed(n, Some(b)))
                .collect()
        }
    }

    /// `DataSaverLoader.load_data(where, with_bkg, load_all)` for the node's own data type.
    fn saver_load_data(
        &self,
        node: &PmdNode,
        dt: DataType,
        with_bkg: bool,
        load_all: bool,
    ) -> LoadResult<DataWithAxes> {
        let b = &self.backend;
        let parent = self.parent_of(node)?;
        let (data_node, data_nodes, error_node) = if load_all {
            let nodes = self.nodes_of_type(&parent, dt)?;
            let first = nodes
                .first()
                .cloned()
                .ok_or_else(|| LoadError::py("IndexError", "list index out of range"))?;
            let err = self
                .nodes_of_type(&parent, DataType::Error)?
                .into_iter()
                .next();
            (first, nodes, err)
        } else {
            if !node.class.is_array() {
                return Err(LoadError::py(
                    "AttributeError",
                    "'NoneType' object has no attribute 'axes'",
                ));
            }
            let mut err = None;
            // get_index_from_node_name: int(name.split(prefix)[1]); a non-int suffix raises.
            if let Some(suffix) = node.name.split(dt.prefix()).nth(1) {
                let idx: i128 = suffix.trim().parse().map_err(|_| {
                    LoadError::py(
                        "ValueError",
                        format!("invalid literal for int() with base 10: '{suffix}'"),
                    )
                })?;
                let name = format!("{}{:02}", DataType::Error.prefix(), idx);
                let path = crate::hdf5::read::file::join_path(&parent.path, &name);
                err = match b.get_node(&path) {
                    Ok(n) => Some(n),
                    Err(LoadError::Py(e)) if e.exception == "NodeError" => None,
                    Err(e) => return Err(e),
                };
            }
            (node.clone(), vec![node.clone()], err)
        };
        let ndarrays = self.data_arrays(&data_node, dt, with_bkg, load_all)?;
        let axes = self.get_axes(&parent)?;
        let errors = match &error_node {
            Some(en) if dt != DataType::Error => {
                let e = self.data_arrays(en, DataType::Error, false, load_all)?;
                (!e.is_empty()).then_some(e)
            }
            _ => None,
        };
        let attrs = b.attrs(&data_node)?;
        let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v);
        let req = |k: &str| get(k).ok_or_else(|| LoadError::py("KeyError", format!("'{k}'")));
        let mut extra: Vec<(String, PyValue)> = attrs
            .iter()
            .filter(|(n, _)| !NON_EXTRA_ATTRIBUTES.contains(&n.as_str()) && n != "units")
            .map(|(n, v)| (n.clone(), v.to_py()))
            .collect();
        let name = match get("TITLE") {
            Some(v) => match v.to_py() {
                PyValue::Str(s) => s,
                other => crate::pymodaq::attrs::repr(&other),
            },
            None => return Err(LoadError::py("KeyError", "'TITLE'")),
        };
        let source = match get("source") {
            Some(v) => DataSource::from_name(&str_attr(v, "source")?)?,
            None => DataSource::Raw,
        };
        // `dim` is checked (enum name) then recomputed from the data.
        crate::pymodaq::model::DataDim::from_name(&str_attr(req("data_dimension")?, "dim")?)?;
        let units = match get("units") {
            Some(v) => str_attr(v, "units")?,
            None => String::new(),
        };
        let distribution =
            DataDistribution::from_name(&str_attr(req("distribution")?, "distribution")?)?;
        let mut labels = Vec::with_capacity(data_nodes.len());
        for n in &data_nodes {
            labels.push(match b.attr_req(n, "label")?.to_py() {
                PyValue::Str(s) => s,
                other => crate::pymodaq::attrs::repr(&other),
            });
        }
        let origin = get("origin").map_or(PyValue::Str(String::new()), |v| v.to_py());
        let nav_indexes = get("nav_indexes").map_or(Vec::new(), |v| index_list(&v.to_py()));
        extra.push(("path".to_string(), PyValue::Str(data_node.path.clone())));
        let axes = self.slab_axes(axes, &nav_indexes)?;
        let mut dwa = DataWithAxes::new(DwaArgs {
            name,
            source,
            distribution,
            data: ndarrays,
            labels,
            units,
            origin,
            nav_indexes,
            axes,
            errors,
            extra_attributes: extra,
        })?;
        dwa.timestamp = req("timestamp")?.to_py();
        Ok(dwa)
    }

    /// `get_nav_group(where)`: the `NavAxes` child of the nearest group (the node itself if a
    /// group, then its ancestors) that has one (name compared case-insensitively, then
    /// fetched by its exact name, as PyMoDAQ does).
    pub fn get_nav_group(&self, node: &PmdNode) -> LoadResult<Option<PmdNode>> {
        let mut cur = Some(node.clone());
        let mut guard = 0u32;
        while let Some(n) = cur {
            guard += 1;
            if guard > 4096 {
                break;
            }
            if n.class == NodeClass::Group && self.backend.is_node_in_group(&n, NAV_AXES_GROUP)? {
                let path = crate::hdf5::read::file::join_path(&n.path, NAV_AXES_GROUP);
                return self.backend.get_node(&path).map(Some);
            }
            cur = self.backend.parent(&n)?;
        }
        Ok(None)
    }

    /// `DataLoader.load_data(path, with_bkg, load_all)`.
    pub fn load_data(
        &self,
        path: &str,
        with_bkg: bool,
        load_all: bool,
    ) -> LoadResult<DataWithAxes> {
        let node = self.backend.get_node(path)?;
        let dt_attr = self.backend.attr_req(&node, "data_type")?;
        let dt = DataType::from_name(&str_attr(&dt_attr, "data_type")?)?;
        if dt == DataType::Axis {
            return Err(LoadError::py(
                "NotImplementedError",
                "loading an axis node as data is not modelled",
            ));
        }
        let mut data = self.saver_load_data(&node, dt, with_bkg, load_all)?;
        if let Some(nav_group) = self.get_nav_group(&node)? {
            let mut nav_axes = self.get_axes(&nav_group)?;
            for ax in &mut nav_axes {
                let n = data
                    .nav_indexes
                    .get(ax.index)
                    .and_then(|&i| data.shape().get(i))
                    .copied()
                    .ok_or_else(|| LoadError::py("IndexError", "tuple index out of range"))?;
                if let Some(v) = self.slab_nav_value(ax, &data.nav_indexes) {
                    ax.set_data(vec![v])?;
                } else if ax.size > n {
                    let v: Vec<f64> = ax.get_data().into_iter().take(n).collect();
                    ax.set_data(v)?;
                }
            }
            let mut axes = data.axes.clone();
            axes.extend(nav_axes);
            data.set_axes(axes)?;
            data.dim_from_data_axes();
        }
        data.create_missing_axes()?;
        Ok(data)
    }

    /// `DataLoader.load_all(where, DataToExport)`: recursively, in each group the first array
    /// whose `data_type` contains `data` is loaded with `load_all=True` and the group's later
    /// children are skipped; entries replace those of the same (name, origin).
    pub fn load_all(&self, where_: &str, with_bkg: bool) -> LoadResult<DataToExport> {
        let mut dte = DataToExport::new("Loaded data");
        self.load_all_each(where_, with_bkg, &mut |_, d| {
            dte.append(d);
            Ok(())
        })?;
        Ok(dte)
    }

    /// [`DataLoader::load_all`] one DataWithAxes at a time, in order: `f(data node path, dwa)`
    /// for each one `load_all` appends (a later one of the same name and origin replaces an
    /// earlier one in `load_all`'s result; `f` sees both). Only one is in memory at a time.
    pub fn load_all_each(
        &self,
        where_: &str,
        with_bkg: bool,
        f: &mut dyn FnMut(&str, DataWithAxes) -> LoadResult<()>,
    ) -> LoadResult<()> {
        let node = self.backend.get_node(where_)?;
        self.load_all_into(&node, f, with_bkg, 0)
    }

    fn load_all_into(
        &self,
        node: &PmdNode,
        dte: &mut dyn FnMut(&str, DataWithAxes) -> LoadResult<()>,
        with_bkg: bool,
        depth: u32,
    ) -> LoadResult<()> {
        if depth > self.backend.file().limits().max_group_depth {
            return Err(LoadError::py(
                "RecursionError",
                "maximum recursion depth exceeded",
            ));
        }
        let children = if node.class == NodeClass::Group {
            self.backend.children(node)?
        } else {
            vec![node.clone()]
        };
        for child in children {
            if child.class == NodeClass::Group {
                self.load_all_into(&child, dte, with_bkg, depth + 1)?;
            } else if self
                .data_type_of(&child)?
                .is_some_and(|t| t.contains("data"))
            {
                let mut d = self.load_data(&child.path, with_bkg, true)?;
                // `DataToExport(name=where.name, data=...)` gives data without an origin
                // the group's name.
                if matches!(&d.origin, PyValue::None) || d.origin == PyValue::Str(String::new()) {
                    d.origin = PyValue::Str(node.name.clone());
                }
                dte(&child.path, d)?;
                break;
            }
        }
        Ok(())
    }
}

impl From<LoadError> for PyError {
    fn from(e: LoadError) -> PyError {
        match e {
            LoadError::Py(p) => p,
            LoadError::Hdf5(e) => PyError::new("OSError", e.to_string()),
        }
    }
}
