//! The read side of PyMoDAQ's `H5Backend` (`pymodaq_data.h5modules.backends`, 5.3) with the
//! h5py backend (the 5.2+ default `DataLoader(path)` uses), on our HDF5 read engine.
//!
//! - node classes `GROUP`/`CARRAY`/`EARRAY`/`VLARRAY` (+ `StringARRAY` for string VLARRAYs)
//!   from the `CLASS` attribute, or `_infer_class` when it is missing (PyMoDAQ would store the
//!   inferred class; we only use it: the file is never written);
//! - attributes decoded as `get_attr` does with h5py: fixed-length strings are bytes (decoded
//!   to str first for `TITLE`/`CLASS`/`EXTDIM`), variable-length strings str, both through
//!   `JsonConverter.json2object`; numbers and numpy bools as they are; a NULL-dataspace
//!   attribute is `h5py.Empty` ([`AttrVal::Empty`]);
//! - `children` in h5py order, `walk_nodes` in h5py's order (the node, then the children of
//!   every group, groups visited by `walk_groups`' stack);
//! - array reads as numpy arrays, Logger rows unpickled with the allow-listed decoder.
//!
//! Soft links are followed; external and user-defined links are refused (`NodeError`).

use crate::error::Error;
use crate::hdf5::read::value::{complex_parts, is_bool_enum, to_little_endian};
use crate::hdf5::read::{Dataset, DataspaceKind, Datatype, File, Group, Node, Value, UNLIMITED};
use crate::pymodaq::attrs::{envelope, pickle, pickle_value, pyliteral, AttrValue, PyValue};
use crate::pymodaq::model::{DType, NdArray};

use super::{Backend, LoadError, LoadResult, NodeClass};

/// A decoded attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrVal {
    /// A Python value (JSON attributes decoded, raw strings, numbers, bools).
    Py(PyValue),
    /// A numpy array attribute (non-scalar dataspace).
    Array(NdArray),
    /// `h5py.Empty` (a NULL dataspace, PyTables' empty strings) read as PyTables reads it:
    /// the empty str.
    Empty,
    /// `h5py.Empty` read by h5py (PyMoDAQ's h5py/h5pyd backends keep the object): its repr,
    /// `Empty(dtype=dtype('S1'))`. Loaders use it as the empty str.
    H5pyEmpty(String),
    /// A numpy `S<width>` array attribute (fixed-length strings, non-scalar dataspace), as
    /// h5py and PyTables return it: `data` holds the elements as stored, `width` bytes each.
    Bytes {
        /// Array shape.
        shape: Vec<usize>,
        /// Bytes per element.
        width: usize,
        /// The elements, C order, padding included.
        data: Vec<u8>,
    },
}

impl AttrVal {
    /// The value as a str, when it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttrVal::Py(PyValue::Str(s)) => Some(s),
            AttrVal::Py(PyValue::Numpy(n)) => match &*n.value {
                PyValue::Str(s) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }

    /// The Python value (`Empty` as the empty str, arrays as lists of floats).
    pub fn to_py(&self) -> PyValue {
        match self {
            AttrVal::Py(v) => v.clone(),
            AttrVal::Empty | AttrVal::H5pyEmpty(_) => PyValue::Str(String::new()),
            AttrVal::Array(a) => {
                PyValue::List(a.to_f64().into_iter().map(PyValue::Float).collect())
            }
            AttrVal::Bytes { .. } => PyValue::List(
                self.bytes_items()
                    .into_iter()
                    .map(|b| PyValue::Bytes(b.to_vec()))
                    .collect(),
            ),
        }
    }

    /// For [`AttrVal::Bytes`]: each element as numpy gives it (`bytes(a[i])`: trailing NULs
    /// stripped); empty for other values.
    pub fn bytes_items(&self) -> Vec<&[u8]> {
        match self {
            AttrVal::Bytes { width, data, .. } if *width > 0 => data
                .chunks(*width)
                .map(|c| {
                    let end = c.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
                    c.get(..end).unwrap_or(c)
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// One node of a PyMoDAQ file.
#[derive(Debug, Clone)]
pub struct PmdNode {
    /// Absolute path.
    pub path: String,
    /// Last path component (`/` for the root).
    pub name: String,
    /// PyMoDAQ class.
    pub class: NodeClass,
    /// For a VLARRAY: whether `subdtype` is `string` (PyMoDAQ's `StringARRAY`).
    pub is_string_array: bool,
    /// The HDF5 object.
    pub node: Node,
}

impl PmdNode {
    /// The dataset, for array nodes.
    pub fn dataset(&self) -> LoadResult<&Dataset> {
        match &self.node {
            Node::Dataset(d) => Ok(d),
            _ => Err(LoadError::py(
                "AttributeError",
                format!("{} is not an array", self.path),
            )),
        }
    }

    /// The Python class name PyMoDAQ's `get_node` returns.
    pub fn class_name(&self) -> &'static str {
        if self.is_string_array {
            "StringARRAY"
        } else {
            self.class.as_str()
        }
    }
}

/// The backend over one open file.
#[derive(Debug, Clone)]
pub struct H5Backend {
    file: File,
    tables: bool,
    tolerant: bool,
}

impl H5Backend {
    /// A backend reading `file`.
    pub fn new(file: &File) -> H5Backend {
        // PyMoDAQ opens a file with the backend it is configured for; a file written by
        // PyTables (root `PYTABLES_FORMAT_VERSION`) is read as PyTables reads it, except an
        // HSDS domain, which PyMoDAQ reads through h5pyd.
        let tables = !file.is_h5py_only()
            && file
                .root()
                .and_then(|g| g.object().attribute("PYTABLES_FORMAT_VERSION"))
                .is_ok_and(|a| a.is_some());
        H5Backend {
            file: file.clone(),
            tables,
            tolerant: false,
        }
    }

    /// Infer the class of nodes missing `CLASS` (h5py's `_infer_class` rules) instead of
    /// failing as PyMoDAQ does on a read-only file (it tries to write the attribute back).
    pub fn tolerant(mut self) -> H5Backend {
        self.tolerant = true;
        self
    }

    /// A backend reading `file` as PyTables (`tables = true`) or h5py reads it.
    pub fn with_library(file: &File, tables: bool) -> H5Backend {
        H5Backend {
            file: file.clone(),
            tables,
            tolerant: false,
        }
    }

    /// Whether attributes and arrays are decoded as PyTables decodes them (fixed-length
    /// strings as str, bitfield bools as bool) rather than as h5py does.
    pub fn is_tables(&self) -> bool {
        self.tables
    }

    /// The underlying file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// `get_node(path)`; `NodeError` when there is no such node.
    pub fn get_node(&self, path: &str) -> LoadResult<PmdNode> {
        let node = self.file.get(path).map_err(|e| match e {
            Error::Usage(m) => LoadError::py("NodeError", m),
            other => LoadError::Hdf5(other),
        })?;
        let path = if path.is_empty() || path == "/" {
            "/".to_string()
        } else {
            node.object().path().to_string()
        };
        self.wrap(path, node)
    }

    fn wrap(&self, path: String, node: Node) -> LoadResult<PmdNode> {
        let name = match path.rsplit_once('/') {
            Some((_, n)) if !n.is_empty() => n.to_string(),
            _ => "/".to_string(),
        };
        let class = self.node_class(&node)?;
        let mut pn = PmdNode {
            path,
            name,
            class,
            is_string_array: false,
            node,
        };
        if class == NodeClass::VLArray {
            pn.is_string_array = self
                .attr(&pn, "subdtype")?
                .is_some_and(|v| v.as_str() == Some("string"));
        }
        Ok(pn)
    }

    /// The class from `CLASS` (any string without `ARRAY` is a GROUP) or `_infer_class`.
    fn node_class(&self, node: &Node) -> LoadResult<NodeClass> {
        let obj = node.object();
        match obj.attribute("CLASS")? {
            Some(a) => {
                let v = decode_attr(&self.file, &a, self.tables)?;
                let s = match &v {
                    AttrVal::Py(PyValue::Str(s)) => s.clone(),
                    _ => pyliteral::repr(&v.to_py()),
                };
                if !s.contains("ARRAY") {
                    return Ok(NodeClass::Group);
                }
                match s.as_str() {
                    "CARRAY" => Ok(NodeClass::CArray),
                    "EARRAY" => Ok(NodeClass::EArray),
                    "VLARRAY" => Ok(NodeClass::VLArray),
                    // PyTables' plain ARRAY (1.x files): PyMoDAQ has no class for it; read
                    // tolerantly, it is an array like any other.
                    _ if self.tolerant => Ok(infer_class(node)),
                    other => Err(LoadError::py(
                        "AttributeError",
                        format!(
                            "module 'pymodaq_data.h5modules.backends' has no attribute '{other}'"
                        ),
                    )),
                }
            }
            None if self.tolerant => Ok(infer_class(node)),
            // PyMoDAQ's get_node writes the inferred CLASS back, which a read-only file refuses.
            None if self.tables => Err(LoadError::py("FileModeError", "the file is not writable")),
            None => Err(LoadError::py(
                "OSError",
                "Unable to synchronously create attribute (no write intent on file)",
            )),
        }
    }

    /// Every attribute, decoded, in h5py's order.
    pub fn attrs(&self, node: &PmdNode) -> LoadResult<Vec<(String, AttrVal)>> {
        let mut out = Vec::new();
        for a in node.node.object().attributes()? {
            let v = decode_attr(&self.file, &a, self.tables)?;
            out.push((a.name.clone(), v));
        }
        Ok(out)
    }

    /// One attribute, decoded; `None` when absent.
    pub fn attr(&self, node: &PmdNode, name: &str) -> LoadResult<Option<AttrVal>> {
        match node.node.object().attribute(name)? {
            Some(a) => Ok(Some(decode_attr(&self.file, &a, self.tables)?)),
            None => Ok(None),
        }
    }

    /// `node.attrs[name]`: `KeyError` when absent.
    pub fn attr_req(&self, node: &PmdNode, name: &str) -> LoadResult<AttrVal> {
        self.attr(node, name)?
            .ok_or_else(|| LoadError::py("KeyError", format!("'{name}'")))
    }

    /// The node title (`TITLE`, `''` when absent).
    pub fn title(&self, node: &PmdNode) -> LoadResult<PyValue> {
        Ok(self
            .attr(node, "TITLE")?
            .map_or(PyValue::Str(String::new()), |v| v.to_py()))
    }

    /// `str(node)` as PyMoDAQ prints it: `/RawData/Axis00 (CARRAY) 'myaxis'`.
    pub fn node_str(&self, node: &PmdNode) -> LoadResult<String> {
        let title = self.title(node)?;
        Ok(format!(
            "{} ({}) {}",
            node.path,
            node.class_name(),
            pyliteral::repr(&title)
        ))
    }

    /// The parent group; `None` for the root.
    pub fn parent(&self, node: &PmdNode) -> LoadResult<Option<PmdNode>> {
        if node.path == "/" {
            return Ok(None);
        }
        let p = match node.path.rsplit_once('/') {
            Some(("", _)) | None => "/",
            Some((p, _)) => p,
        };
        if !self.tolerant {
            // `parent_node` reads the parent's CLASS directly: KeyError when absent.
            let obj = self.file.get(p).map_err(LoadError::Hdf5)?;
            self.class_or_key_error(&obj, p)?;
        }
        self.get_node(p).map(Some)
    }

    /// Code that reads `CLASS` directly (`parent_node`, `GROUP.children`) raises KeyError
    /// when it is absent.
    fn class_or_key_error(&self, node: &Node, path: &str) -> LoadResult<()> {
        if self.tolerant || node.object().attribute("CLASS")?.is_some() {
            return Ok(());
        }
        Err(LoadError::py(
            "KeyError",
            if self.tables {
                format!("\"Attribute ('CLASS') does not exist in node '{path}'\"")
            } else {
                "\"Unable to synchronously open attribute (can't locate attribute: 'CLASS')\""
                    .to_string()
            },
        ))
    }

    /// `children()`: the nodes hanging from a group, in h5py order (empty for arrays).
    pub fn children(&self, node: &PmdNode) -> LoadResult<Vec<PmdNode>> {
        let Node::Group(g) = &node.node else {
            return Ok(Vec::new());
        };
        self.group_children(g)
    }

    fn group_children(&self, g: &Group) -> LoadResult<Vec<PmdNode>> {
        let links = g.links()?;
        let mut out = Vec::with_capacity(links.len());
        for link in &links {
            let mut depth = 0;
            let child = self.file.follow(g, link, &mut depth).map_err(|e| match e {
                Error::Unsupported { .. } | Error::Usage(_) => {
                    LoadError::py("NodeError", e.to_string())
                }
                other => LoadError::Hdf5(other),
            })?;
            let path = crate::hdf5::read::file::join_path(g.path(), &link.name);
            self.class_or_key_error(&child, &path)?;
            out.push(self.wrap(path, child)?);
        }
        Ok(out)
    }

    /// `walk_nodes(where)`: `where`, then the children of every group `walk_groups` yields
    /// (where, its child groups, then depth-first from the last pushed group, as h5py's
    /// stack does). Groups already visited are skipped so hard-link cycles end.
    pub fn walk_nodes(&self, where_: &PmdNode) -> LoadResult<Vec<PmdNode>> {
        let mut out = vec![where_.clone()];
        if where_.class != NodeClass::Group {
            return Ok(out);
        }
        let limit = self.file.limits().max_work;
        let mut seen = std::collections::HashSet::new();
        let mut groups = vec![where_.clone()];
        let mut stack = vec![where_.clone()];
        seen.insert(where_.node.object().address());
        while let Some(g) = stack.pop() {
            for c in self.children(&g)? {
                if c.class == NodeClass::Group && seen.insert(c.node.object().address()) {
                    stack.push(c.clone());
                    groups.push(c);
                }
            }
            if u64::try_from(groups.len()).unwrap_or(u64::MAX) > limit {
                return Err(LoadError::Hdf5(Error::limit(
                    "max_work",
                    limit,
                    u64::try_from(groups.len()).unwrap_or(u64::MAX),
                    None,
                )));
            }
        }
        for g in &groups {
            out.extend(self.children(g)?);
        }
        Ok(out)
    }

    /// `is_node_in_group(where, name)`: case-insensitive.
    pub fn is_node_in_group(&self, node: &PmdNode, name: &str) -> LoadResult<bool> {
        let lname = name.to_lowercase();
        Ok(self
            .children(node)?
            .iter()
            .any(|c| c.name.to_lowercase() == lname))
    }

    /// `node.read()` of a CARRAY/EARRAY: the whole array.
    pub fn read(&self, node: &PmdNode) -> LoadResult<NdArray> {
        let ds = node.dataset()?;
        let mut a = read_array(ds)?;
        // PyTables reads its 1-byte bitfield bools as bool; h5py as uint8.
        if self.tables && matches!(ds.datatype, Datatype::Bitfield { size: 1, .. }) {
            a.dtype = DType::Bool;
        }
        Ok(a)
    }

    /// [`H5Backend::read`] of the part `sel` (one range per dimension) only: the chunks
    /// outside it are not read (`show`/`plot --at` on a scan of any size).
    pub fn read_slab(&self, node: &PmdNode, sel: &[std::ops::Range<u64>]) -> LoadResult<NdArray> {
        let ds = node.dataset()?;
        let mut a = read_array_slab(ds, sel)?;
        if self.tables && matches!(ds.datatype, Datatype::Bitfield { size: 1, .. }) {
            a.dtype = DType::Bool;
        }
        Ok(a)
    }

    /// The rows of a (non-string) VLARRAY, each a 1-D array of the base type.
    pub fn read_rows(&self, node: &PmdNode) -> LoadResult<Vec<NdArray>> {
        let ds = node.dataset()?;
        let Datatype::VarLenSequence { base, .. } = &ds.datatype else {
            return Err(LoadError::Hdf5(Error::unsupported(
                format!("{} is not a variable-length array", node.path),
                None,
            )));
        };
        let dtype = dtype_of(base).ok_or_else(|| {
            LoadError::Hdf5(Error::unsupported(
                format!("{}: non-numeric VLARRAY rows", node.path),
                None,
            ))
        })?;
        let mut rows = Vec::new();
        for v in ds.values()? {
            let Value::Sequence(items) = v else {
                continue;
            };
            let mut bytes = Vec::with_capacity(items.len().saturating_mul(dtype.size()));
            for it in &items {
                push_le(dtype, it, &mut bytes);
            }
            rows.push(NdArray::from_le_bytes(dtype, vec![items.len()], bytes)?);
        }
        Ok(rows)
    }

    /// The rows of a string VLARRAY (`StringARRAY.read()`): each row unpickled.
    pub fn read_strings(&self, node: &PmdNode) -> LoadResult<Vec<String>> {
        let limits = *self.file.limits();
        let mut out = Vec::new();
        for row in self.read_rows(node)? {
            let s = pickle::loads_str(row.le_bytes(), &limits).map_err(|e| match e {
                Error::Format(_) | Error::Unsupported { .. } => {
                    LoadError::py("UnpicklingError", e.to_string())
                }
                other => LoadError::Hdf5(other),
            })?;
            out.push(s);
        }
        Ok(out)
    }
}

/// `_infer_class` (h5py): object dtype → VLARRAY, unlimited first dimension → EARRAY, else
/// CARRAY; groups (and committed datatypes) → GROUP.
pub fn infer_class(node: &Node) -> NodeClass {
    match node {
        Node::Dataset(d) => {
            if matches!(
                d.datatype,
                Datatype::VarLenSequence { .. } | Datatype::VarLenString { .. }
            ) {
                NodeClass::VLArray
            } else if d
                .dataspace
                .max_dims
                .as_ref()
                .and_then(|m| m.first())
                .is_some_and(|&m| m == UNLIMITED)
            {
                NodeClass::EArray
            } else {
                NodeClass::CArray
            }
        }
        _ => NodeClass::Group,
    }
}

/// NumPy's name of an `h5py.Empty`'s dtype (what its repr shows).
fn empty_dtype(dt: &crate::hdf5::read::Datatype) -> String {
    use crate::hdf5::read::Datatype as D;
    match dt {
        D::String { size, .. } => format!("S{size}"),
        D::FixedPoint { size, signed, .. } => {
            format!("{}int{}", if *signed { "" } else { "u" }, size * 8)
        }
        D::FloatingPoint { size, .. } => format!("float{}", size * 8),
        D::Enum { size: 1, .. } => "bool".into(),
        _ => "O".into(),
    }
}

/// Decodes one attribute as PyMoDAQ's `get_attr` does with h5py.
pub fn decode_attr(
    file: &File,
    a: &crate::hdf5::read::Attribute,
    tables: bool,
) -> LoadResult<AttrVal> {
    let limits = file.limits();
    if a.dataspace.kind == DataspaceKind::Null {
        if tables {
            return Ok(AttrVal::Empty);
        }
        return Ok(AttrVal::H5pyEmpty(format!(
            "Empty(dtype=dtype('{}'))",
            empty_dtype(&a.datatype)
        )));
    }
    if a.dataspace.kind == DataspaceKind::Simple {
        // Saturated: a dimension past usize cannot describe bytes held in memory.
        let shape = || -> Vec<usize> {
            a.dataspace
                .dims
                .iter()
                .map(|&d| usize::try_from(d).unwrap_or(usize::MAX))
                .collect()
        };
        if let Some(dt) = dtype_of(&a.datatype) {
            let shape = shape();
            let mut raw = a.raw().to_vec();
            let n = usize::try_from(a.len()).unwrap_or(usize::MAX);
            raw.truncate(n.saturating_mul(dt.size()));
            crate::hdf5::read::value::to_little_endian(&a.datatype, &mut raw);
            return Ok(AttrVal::Array(NdArray::from_le_bytes(dt, shape, raw)?));
        }
        // Fixed-length string arrays: numpy `S` arrays in h5py and PyTables alike.
        if let crate::hdf5::read::Datatype::String { size, .. } = &a.datatype {
            let width = usize::try_from(*size).unwrap_or(usize::MAX);
            let n = usize::try_from(a.len()).unwrap_or(usize::MAX);
            let mut data = a.raw().to_vec();
            if data.len() == n.saturating_mul(width) {
                let shape = shape();
                data.truncate(n.saturating_mul(width));
                return Ok(AttrVal::Bytes { shape, width, data });
            }
        }
        // Other string arrays: a list of decoded elements.
        let vals = a.values()?;
        let mut items = Vec::with_capacity(vals.len());
        for v in vals {
            items.push(scalar_to_py(&a.name, v, limits, tables)?.to_py());
        }
        return Ok(AttrVal::Py(PyValue::List(items)));
    }
    let v = a.value()?;
    scalar_to_py(&a.name, v, limits, tables)
}

fn scalar_to_py(name: &str, v: Value, limits: &crate::Limits, tables: bool) -> LoadResult<AttrVal> {
    // PyTables returns every fixed-length string as str; h5py gives bytes, which PyMoDAQ
    // decodes only for its mandatory attributes.
    let mandatory = tables || matches!(name, "TITLE" | "CLASS" | "EXTDIM");
    let decoded = match v {
        // PyTables unpickles fixed-length strings that look pickled (non-numpy values it
        // stored, as in PyMoDAQ 1.x-2.x files); we parse the same protocol-0 pickles with a
        // closed grammar, and keep the string where PyTables' unpickling would fail too.
        Value::FixedString(b) if tables && pickle_value::maybe_pickled(&b) => {
            match pickle_value::loads_value(&b, limits) {
                Ok(v) => return Ok(AttrVal::Py(v)),
                Err(_) => envelope::json2object_str(&String::from_utf8_lossy(&b), limits)?,
            }
        }
        Value::FixedString(b) if mandatory => {
            envelope::json2object_str(&String::from_utf8_lossy(&b), limits)?
        }
        Value::FixedString(b) => envelope::json2object_bytes(&b, limits)?,
        Value::VarString(b) => envelope::json2object_str(&String::from_utf8_lossy(&b), limits)?,
        Value::Int(i) => return Ok(AttrVal::Py(PyValue::Int(i128::from(i)))),
        Value::UInt(u) | Value::Bitfield(u) => return Ok(AttrVal::Py(PyValue::Int(i128::from(u)))),
        Value::Float { v, .. } => return Ok(AttrVal::Py(PyValue::Float(v))),
        Value::Bool(b) => return Ok(AttrVal::Py(PyValue::Bool(b))),
        Value::Enum { value, .. } => return Ok(AttrVal::Py(PyValue::Int(i128::from(value)))),
        Value::Complex { re, im, .. } => {
            return Ok(AttrVal::Py(PyValue::Tuple(vec![
                PyValue::Float(re),
                PyValue::Float(im),
            ])))
        }
        other => {
            return Err(LoadError::Hdf5(Error::unsupported(
                format!("attribute {name}: value {other:?} has no PyMoDAQ meaning"),
                None,
            )))
        }
    };
    Ok(AttrVal::Py(match decoded {
        AttrValue::Raw(_) | AttrValue::Evaluated(_) | AttrValue::Dict(_) | AttrValue::Json(_) => {
            decoded.to_py()
        }
    }))
}

/// Appends one decoded element as little-endian bytes of `dtype`.
fn push_le(dtype: DType, v: &Value, out: &mut Vec<u8>) {
    let (i, f): (i128, f64) = match v {
        Value::Int(i) => (i128::from(*i), *i as f64),
        Value::UInt(u) | Value::Bitfield(u) => (i128::from(*u), *u as f64),
        Value::Bool(b) => (i128::from(*b), f64::from(u8::from(*b))),
        Value::Enum { value, .. } => (i128::from(*value), *value as f64),
        Value::Float { v, .. } => (0, *v),
        Value::Complex { re, im, .. } => {
            if dtype == DType::Complex64 {
                out.extend_from_slice(&(*re as f32).to_le_bytes());
                out.extend_from_slice(&(*im as f32).to_le_bytes());
            } else {
                out.extend_from_slice(&re.to_le_bytes());
                out.extend_from_slice(&im.to_le_bytes());
            }
            return;
        }
        _ => (0, 0.0),
    };
    let n = dtype.size();
    match dtype {
        DType::Float16 => {
            out.extend_from_slice(&crate::hdf5::read::value::f16_from_f64(f).to_le_bytes())
        }
        DType::Float32 => out.extend_from_slice(&(f as f32).to_le_bytes()),
        DType::Float64 => out.extend_from_slice(&f.to_le_bytes()),
        _ => {
            let b = i.to_le_bytes();
            out.extend_from_slice(b.get(..n).unwrap_or(&b));
        }
    }
}

impl Backend for H5Backend {
    fn node_class(&self, path: &str) -> Option<NodeClass> {
        self.get_node(path).ok().map(|n| n.class)
    }
    fn child_names(&self, path: &str) -> Vec<String> {
        self.get_node(path)
            .and_then(|n| self.children(&n))
            .map(|c| c.into_iter().map(|n| n.name).collect())
            .unwrap_or_default()
    }
    fn attribute_names(&self, path: &str) -> Vec<String> {
        self.get_node(path)
            .and_then(|n| self.attrs(&n))
            .map(|a| a.into_iter().map(|(k, _)| k).collect())
            .unwrap_or_default()
    }
    fn attribute(&self, path: &str, name: &str) -> Option<PyValue> {
        let n = self.get_node(path).ok()?;
        self.attr(&n, name).ok().flatten().map(|v| v.to_py())
    }
}

/// The dtype h5py gives an HDF5 datatype (bitfields read as unsigned ints, the
/// `{FALSE, TRUE}` enum as bool, `{r, i}` compounds as complex); `None` if not numeric.
pub fn dtype_of(dt: &Datatype) -> Option<DType> {
    if is_bool_enum(dt) {
        return Some(DType::Bool);
    }
    if let Some((part, _)) = complex_parts(dt) {
        return match part {
            4 => Some(DType::Complex64),
            8 => Some(DType::Complex128),
            _ => None,
        };
    }
    match dt {
        Datatype::FixedPoint { size, signed, .. } => int_dtype(*size, *signed),
        Datatype::Bitfield { size, .. } => int_dtype(*size, false),
        Datatype::Enum { base, .. } => dtype_of(base),
        Datatype::FloatingPoint { size: 2, .. } => Some(DType::Float16),
        Datatype::FloatingPoint { size: 4, .. } => Some(DType::Float32),
        Datatype::FloatingPoint { size: 8, .. } => Some(DType::Float64),
        Datatype::Complex { base, .. } => match base.size() {
            4 => Some(DType::Complex64),
            8 => Some(DType::Complex128),
            _ => None,
        },
        _ => None,
    }
}

fn int_dtype(size: u32, signed: bool) -> Option<DType> {
    Some(match (size, signed) {
        (1, true) => DType::Int8,
        (2, true) => DType::Int16,
        (4, true) => DType::Int32,
        (8, true) => DType::Int64,
        (1, false) => DType::UInt8,
        (2, false) => DType::UInt16,
        (4, false) => DType::UInt32,
        (8, false) => DType::UInt64,
        _ => return None,
    })
}

/// A whole dataset, as h5py's `ds[()]` returns it.
pub fn read_array(ds: &Dataset) -> crate::error::Result<NdArray> {
    read_array_slab(ds, &ds.full_selection())
}

/// The element type of a dataset read as an array: numeric and unpadded, else unsupported.
pub(crate) fn array_dtype(ds: &Dataset) -> crate::error::Result<DType> {
    let dtype = dtype_of(&ds.datatype).ok_or_else(|| {
        Error::unsupported(
            format!(
                "dataset {} has a non-numeric element type for PyMoDAQ",
                ds.path()
            ),
            None,
        )
    })?;
    if usize::try_from(ds.datatype.size()).ok() != Some(dtype.size()) {
        return Err(Error::unsupported(
            format!("dataset {}: padded element type", ds.path()),
            None,
        ));
    }
    Ok(dtype)
}

/// [`read_array`] of the selection `sel` (its shape is the ranges' lengths).
pub fn read_array_slab(
    ds: &Dataset,
    sel: &[std::ops::Range<u64>],
) -> crate::error::Result<NdArray> {
    let dtype = array_dtype(ds)?;
    let shape = sel
        .iter()
        .map(|r| usize::try_from(r.end.saturating_sub(r.start)))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| Error::Usage(format!("dataset {} too large", ds.path())))?;
    let mut raw = ds.read_raw_selection(sel)?;
    to_little_endian(&ds.datatype, &mut raw);
    NdArray::from_le_bytes(dtype, shape, raw)
}
