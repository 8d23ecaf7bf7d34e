//! The writing half of PyMoDAQ's `H5Backend` on our HDF5 writer: groups, JSON attributes,
//! CARRAY/EARRAY/VLARRAY creation and appends, in either library's flavour.
//!
//! The backend keeps a model of the tree (node classes, children, decoded attributes) so the
//! savers can count and find nodes the way PyMoDAQ walks them without reading the file back.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Flavour, NodeClass};
use crate::error::{Error, Result};
use crate::hdf5::write::pytables;
use crate::hdf5::write::{
    AttrValue, DatasetBuilder, DatasetId, Dtype, Durability, Profile, PyTablesClass, WriteOptions,
    Writer,
};
use crate::pymodaq::attrs::envelope;
use crate::pymodaq::attrs::pickle;
use crate::pymodaq::attrs::pyliteral::PyValue;
use crate::pymodaq::model::{DType, NdArray};

use crate::pymodaq::save::chunking;

pub use super::node::NodeRec;

/// A PyMoDAQ array node to create: `where_/name`, its class, TITLE, shape and dtype (`None`
/// for string VLARRAYs, rows of uint8).
struct ArrayNode<'a> {
    where_: &'a str,
    name: &'a str,
    class: NodeClass,
    title: &'a str,
    shape: Vec<u64>,
    dtype: Option<DType>,
}

/// Joins a group path and a child name.
pub fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

fn usage(m: impl Into<String>) -> Error {
    Error::Usage(m.into())
}

/// A PyMoDAQ file open for writing.
pub struct SaveBackend {
    w: Writer,
    flavour: Flavour,
    compression: Option<u32>,
    nodes: BTreeMap<String, NodeRec>,
}

impl std::fmt::Debug for SaveBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaveBackend")
            .field("flavour", &self.flavour)
            .field("compression", &self.compression)
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

impl SaveBackend {
    /// Create (truncate) `path` as `open_file(path, 'w', title)` does.
    pub fn create(path: impl AsRef<Path>, flavour: Flavour, title: &str) -> Result<SaveBackend> {
        Self::create_with_profile(path, flavour, title, Profile::PyTables)
    }

    /// [`SaveBackend::create`] with a write profile (`Profile::Hdf5V110`: the layout h5py
    /// writes with `libver='latest'`, what PyMoDAQ's SWMR mode uses).
    pub fn create_with_profile(
        path: impl AsRef<Path>,
        flavour: Flavour,
        title: &str,
        profile: Profile,
    ) -> Result<SaveBackend> {
        Self::create_durable(path, flavour, title, profile, Durability::default())
    }

    /// [`SaveBackend::create_with_profile`] with what `close` makes the file survive.
    pub fn create_durable(
        path: impl AsRef<Path>,
        flavour: Flavour,
        title: &str,
        profile: Profile,
        durability: Durability,
    ) -> Result<SaveBackend> {
        let opts = WriteOptions {
            pytables: flavour == Flavour::Tables,
            root_title: title.to_string(),
            profile,
            durability,
            ..WriteOptions::default()
        };
        let w = Writer::create(path, opts)?;
        Self::from_writer(w, flavour, title)
    }

    /// Like [`SaveBackend::create`] on any storage (tests, fault injection).
    pub fn with_writer(w: Writer, flavour: Flavour, title: &str) -> Result<SaveBackend> {
        Self::from_writer(w, flavour, title)
    }

    fn from_writer(w: Writer, flavour: Flavour, title: &str) -> Result<SaveBackend> {
        let mut b = SaveBackend {
            w,
            flavour,
            compression: None,
            nodes: BTreeMap::new(),
        };
        let mut root = NodeRec::new(NodeClass::Group);
        match flavour {
            Flavour::Tables => {
                tables_group_attrs(&mut root, title);
                root.put_attr(
                    "PYTABLES_FORMAT_VERSION",
                    PyValue::Float(version_number(pytables::FORMAT_VERSION)),
                );
                b.nodes.insert("/".into(), root);
            }
            Flavour::H5py => {
                b.nodes.insert("/".into(), root);
                // h5py: PyMoDAQ writes the root TITLE through the JSON wrapper, and
                // `get_node` adds a raw CLASS the first time the root is looked up.
                b.set_attr("/", "TITLE", &PyValue::Str(title.into()))?;
                b.set_raw_str("/", "CLASS", pytables::GROUP_CLASS)?;
            }
        }
        Ok(b)
    }

    /// Open an existing PyMoDAQ file (written by us, PyTables or h5py) to add to it. The
    /// flavour follows the file: PyTables when the root has `PYTABLES_FORMAT_VERSION`.
    pub fn open(path: impl AsRef<Path>) -> Result<SaveBackend> {
        let path = path.as_ref();
        let file = crate::hdf5::read::File::open(path)?;
        let rb = crate::pymodaq::backend::H5Backend::new(&file);
        let lerr = |e: crate::pymodaq::backend::LoadError| usage(e.to_string());
        let root = rb.get_node("/").map_err(lerr)?;
        let mut nodes = BTreeMap::new();
        let mut flavour = Flavour::H5py;
        for n in rb.walk_nodes(&root).map_err(lerr)? {
            let mut rec = NodeRec::new(n.class);
            for (name, v) in rb.attrs(&n).map_err(lerr)? {
                if n.path == "/" && name == "PYTABLES_FORMAT_VERSION" {
                    flavour = Flavour::Tables;
                }
                rec.attrs.push((name, v.to_py()));
            }
            if let Ok(ds) = n.dataset() {
                rec.shape = ds.dataspace.dims.clone();
                rec.dtype = crate::pymodaq::backend::read::dtype_of(&ds.datatype);
            }
            if n.class == NodeClass::Group {
                rec.children = rb
                    .children(&n)
                    .map_err(lerr)?
                    .into_iter()
                    .map(|c| c.name)
                    .collect();
            }
            nodes.insert(n.path.clone(), rec);
        }
        drop(file);
        let opts = WriteOptions {
            pytables: flavour == Flavour::Tables,
            ..WriteOptions::default()
        };
        let w = Writer::open(path, opts)?;
        Ok(SaveBackend {
            w,
            flavour,
            compression: None,
            nodes,
        })
    }

    /// The flavour.
    pub fn flavour(&self) -> Flavour {
        self.flavour
    }

    /// `define_compression('zlib', level)`: PyTables adds shuffle before deflate, h5py uses
    /// deflate alone. Applies to arrays created afterwards; `None` turns it off.
    pub fn define_compression(&mut self, level: Option<u32>) {
        self.compression = level.map(|l| l.min(9));
    }

    /// The node at `path`.
    pub fn node(&self, path: &str) -> Option<&NodeRec> {
        self.nodes.get(path)
    }

    fn node_req(&self, path: &str) -> Result<&NodeRec> {
        self.nodes
            .get(path)
            .ok_or_else(|| usage(format!("NodeError: node {path} does not exist")))
    }

    /// Child names of a group (creation order).
    pub fn children(&self, path: &str) -> Result<Vec<String>> {
        Ok(self.node_req(path)?.children.clone())
    }

    /// Whether `where` has a child `name`.
    pub fn has_child(&self, where_: &str, name: &str) -> bool {
        self.nodes
            .get(where_)
            .is_some_and(|n| n.children.iter().any(|c| c == name))
    }

    /// `where` and every node below it, depth first.
    pub fn walk_nodes(&self, where_: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![where_.to_string()];
        // The tree model is acyclic by construction (paths are keys); no visited set needed.
        while let Some(p) = stack.pop() {
            if let Some(n) = self.nodes.get(&p) {
                for c in n.children.iter().rev() {
                    stack.push(join(&p, c));
                }
                out.push(p);
            }
        }
        out
    }

    /// `get_set_group(where, name, title, **kw)`: an existing child is returned unchanged; a
    /// new group gets CLASS/TITLE and the raw keyword attributes (`origin`).
    pub fn get_set_group(
        &mut self,
        where_: &str,
        name: &str,
        title: &str,
        raw_kw: &[(&str, &str)],
    ) -> Result<String> {
        let path = join(where_, name);
        if self.has_child(where_, name) {
            return Ok(path);
        }
        self.node_req(where_)?;
        check_name(name)?;
        self.w.create_group_titled(&path, title)?;
        let mut rec = NodeRec::new(NodeClass::Group);
        match self.flavour {
            Flavour::Tables => {
                tables_group_attrs(&mut rec, title);
                self.insert(where_, name, rec);
            }
            Flavour::H5py => {
                self.insert(where_, name, rec);
                self.set_raw_strs(&path, &[("TITLE", title), ("CLASS", pytables::GROUP_CLASS)])?;
            }
        }
        if !raw_kw.is_empty() {
            self.set_raw_strs(&path, raw_kw)?;
        }
        Ok(path)
    }

    fn insert(&mut self, where_: &str, name: &str, rec: NodeRec) {
        if let Some(p) = self.nodes.get_mut(where_) {
            p.children.push(name.to_string());
        }
        self.nodes.insert(join(where_, name), rec);
    }

    fn str_attr(&self, s: &str) -> AttrValue {
        match self.flavour {
            Flavour::Tables => AttrValue::Str(s.to_string()),
            Flavour::H5py => AttrValue::VlenStr(s.to_string()),
        }
    }

    /// `set_attr(node, name, value)`: the JSON envelope PyMoDAQ's `object2json` writes.
    pub fn set_attr(&mut self, path: &str, name: &str, v: &PyValue) -> Result<()> {
        self.set_attrs(path, &[(name.to_string(), v.clone())])
    }

    /// Several JSON attributes at once (one header rewrite).
    pub fn set_attrs(&mut self, path: &str, attrs: &[(String, PyValue)]) -> Result<()> {
        // Untrusted types come back as the envelope dict, nan/inf as the raw text: the model
        // keeps what a loader would see.
        let stored = attrs.iter().map(|(n, v)| {
            let text = envelope::stored_json(v);
            (n.as_str(), text, envelope::decoded_view(v))
        });
        self.store_strs(path, stored.collect())
    }

    /// A raw (non-JSON) string attribute, stored as the library stores a Python str.
    pub fn set_raw_str(&mut self, path: &str, name: &str, v: &str) -> Result<()> {
        self.set_raw_strs(path, &[(name, v)])
    }

    fn set_raw_strs(&mut self, path: &str, attrs: &[(&str, &str)]) -> Result<()> {
        let stored = attrs
            .iter()
            .map(|(n, v)| (*n, v.to_string(), PyValue::Str(v.to_string())));
        self.store_strs(path, stored.collect())
    }

    /// Writes string attributes `(name, stored text, value the model keeps)` in one header
    /// rewrite.
    fn store_strs(&mut self, path: &str, attrs: Vec<(&str, String, PyValue)>) -> Result<()> {
        self.node_req(path)?;
        let encoded: Vec<(&str, AttrValue)> = attrs
            .iter()
            .map(|(n, t, _)| (*n, self.str_attr(t)))
            .collect();
        self.w.set_attrs(path, &encoded)?;
        let rec = self
            .nodes
            .get_mut(path)
            .ok_or_else(|| usage("node vanished"))?;
        for (n, _, v) in attrs {
            rec.put_attr(n, v);
        }
        Ok(())
    }

    fn dtype_of(&self, d: DType) -> Dtype {
        match d {
            DType::Bool => match self.flavour {
                Flavour::Tables => Dtype::Bool,
                Flavour::H5py => Dtype::BoolEnum,
            },
            DType::Int8 => Dtype::I8,
            DType::Int16 => Dtype::I16,
            DType::Int32 => Dtype::I32,
            DType::Int64 => Dtype::I64,
            DType::UInt8 => Dtype::U8,
            DType::UInt16 => Dtype::U16,
            DType::UInt32 => Dtype::U32,
            DType::UInt64 => Dtype::U64,
            DType::Float16 => Dtype::F16,
            DType::Float32 => Dtype::F32,
            DType::Float64 => Dtype::F64,
            DType::Complex64 => Dtype::complex(Dtype::F32),
            DType::Complex128 => Dtype::complex(Dtype::F64),
        }
    }

    fn filters(&self, mut b: DatasetBuilder) -> DatasetBuilder {
        match (self.flavour, self.compression) {
            (_, None) | (Flavour::Tables, Some(0)) => b,
            (Flavour::Tables, Some(l)) => {
                b = b.shuffle();
                b.deflate(l)
            }
            (Flavour::H5py, Some(l)) => b.deflate(l),
        }
    }

    /// Creates node `where_/name` as the dataset `b` (written with `data` when given), then
    /// its PyMoDAQ array attributes (`shape`, `dtype`, `subdtype`, `backend`) and `extra`.
    fn create_array(
        &mut self,
        node: ArrayNode<'_>,
        b: DatasetBuilder,
        data: Option<&[u8]>,
        extra: Vec<(String, PyValue)>,
    ) -> Result<String> {
        let ArrayNode {
            where_,
            name,
            class,
            title,
            shape,
            dtype,
        } = node;
        let path = join(where_, name);
        self.node_req(where_)?;
        check_name(name)?;
        let ds = self.w.create_dataset(&path, b)?;
        if let Some(bytes) = data {
            let all: Vec<std::ops::Range<u64>> = shape.iter().map(|&d| 0..d).collect();
            self.w.write_slice_raw(&ds, &all, bytes)?;
        }
        let (dtype_name, subdtype) = match dtype {
            Some(d) => (d.name(), ""),
            None => ("uint8", "string"),
        };
        let mut json = Self::array_attrs(&shape, dtype_name, subdtype, self.flavour.name());
        json.extend(extra);
        let mut rec = NodeRec::new(class);
        rec.ds = Some(ds);
        rec.shape = shape;
        rec.dtype = dtype;
        match self.flavour {
            Flavour::Tables => {
                let tables_class = match class {
                    NodeClass::EArray => PyTablesClass::EArray,
                    NodeClass::VLArray => PyTablesClass::VLArray,
                    _ => PyTablesClass::CArray,
                };
                let (_, version) = tables_class.class_version();
                let extdim = tables_class.has_extdim();
                rec.put_attr("CLASS", PyValue::Str(class.as_str().into()));
                rec.put_attr("TITLE", PyValue::Str(title.into()));
                rec.put_attr("VERSION", PyValue::Float(version_number(version)));
                if extdim {
                    rec.put_attr("EXTDIM", PyValue::Int(0));
                }
                self.insert(where_, name, rec);
            }
            Flavour::H5py => {
                self.insert(where_, name, rec);
                self.set_raw_strs(&path, &[("TITLE", title), ("CLASS", class.as_str())])?;
                if class != NodeClass::CArray {
                    self.w.set_attr(&path, "EXTDIM", AttrValue::I64(0))?;
                    if let Some(r) = self.nodes.get_mut(&path) {
                        r.put_attr("EXTDIM", PyValue::Int(0));
                    }
                }
            }
        }
        self.set_attrs(&path, &json)?;
        Ok(path)
    }

    fn array_attrs(
        shape: &[u64],
        dtype: &str,
        subdtype: &str,
        backend: &str,
    ) -> Vec<(String, PyValue)> {
        vec![
            ("shape".into(), shape_tuple(shape)),
            ("dtype".into(), PyValue::Str(dtype.into())),
            ("subdtype".into(), PyValue::Str(subdtype.into())),
            ("backend".into(), PyValue::Str(backend.into())),
        ]
    }

    /// `create_carray(where, name, obj, title)` followed by `extra` JSON attributes.
    pub fn create_carray(
        &mut self,
        where_: &str,
        name: &str,
        obj: &NdArray,
        title: &str,
        extra: Vec<(String, PyValue)>,
    ) -> Result<String> {
        let shape: Vec<u64> = obj.shape.iter().map(|&d| d as u64).collect();
        let data = Some(obj.le_bytes());
        self.new_carray(where_, name, obj.dtype, &shape, None, data, title, extra)
    }

    /// A CARRAY of `shape` whose every element reads as `fill` until written (the extended
    /// savers' pre-filled scan arrays): chunked with the fill value, no chunk allocated up
    /// front, in both flavours.
    #[allow(clippy::too_many_arguments)]
    pub fn create_carray_filled(
        &mut self,
        where_: &str,
        name: &str,
        dtype: DType,
        shape: &[u64],
        scan_rank: usize,
        fill: &[u8],
        title: &str,
        extra: Vec<(String, PyValue)>,
    ) -> Result<String> {
        let scan = Some((fill, scan_rank));
        self.new_carray(where_, name, dtype, shape, scan, None, title, extra)
    }

    /// A CARRAY node: chunked and pre-filled for `scan`, written with `data` when given.
    #[allow(clippy::too_many_arguments)]
    fn new_carray(
        &mut self,
        where_: &str,
        name: &str,
        dtype: DType,
        shape: &[u64],
        scan: Option<(&[u8], usize)>,
        data: Option<&[u8]>,
        title: &str,
        extra: Vec<(String, PyValue)>,
    ) -> Result<String> {
        let (b, _) = self.carray_builder(dtype, shape, title, scan)?;
        let node = ArrayNode {
            where_,
            name,
            class: NodeClass::CArray,
            title,
            shape: shape.to_vec(),
            dtype: Some(dtype),
        };
        self.create_array(node, b, data, extra)
    }

    fn carray_builder(
        &self,
        dtype: DType,
        shape: &[u64],
        title: &str,
        scan: Option<(&[u8], usize)>,
    ) -> Result<(DatasetBuilder, Vec<u64>)> {
        let fill = scan.map(|(f, _)| f);
        if shape.contains(&0) {
            return Err(usage(
                "ValueError: shape parameter cannot have zero-dimensions.",
            ));
        }
        let item = dtype.size() as u64;
        let mut b = DatasetBuilder::new(self.dtype_of(dtype)).shape(shape);
        let chunks = match self.flavour {
            Flavour::Tables => {
                let rows = shape.first().copied().unwrap_or(1);
                let c = chunking::pytables_chunkshape(shape, rows, item);
                // PyTables declares max dims = max(dims, chunk dims).
                let max: Vec<Option<u64>> = shape
                    .iter()
                    .zip(&c)
                    .map(|(&d, &k)| Some(d.max(k)))
                    .collect();
                b = b
                    .pytables_class(PyTablesClass::CArray)
                    .title(title)
                    .max_shape(&max);
                c
            }
            Flavour::H5py => match scan {
                // Compressed, h5py chunks as h5py does (PyMoDAQ's arrays are chunked then too).
                _ if self.compression.is_some() => chunking::h5py_guess_chunk(shape, item),
                // Uncompressed, PyMoDAQ's h5py scan arrays are contiguous, written in full at
                // creation; ours are chunked by scan point so nothing is written before the
                // points are.
                Some((_, rank)) => chunking::scan_point_chunks(shape, rank, item),
                None => Vec::new(),
            },
        };
        if !chunks.is_empty() {
            b = b.chunks(&chunks);
            b = self.filters(b);
        }
        if let Some(f) = fill {
            b = b.fill_value(f);
        }
        Ok((b, chunks))
    }

    /// `create_earray(where, name, dtype, data_shape, title)` (rows along dimension 0) followed
    /// by `extra` JSON attributes.
    pub fn create_earray(
        &mut self,
        where_: &str,
        name: &str,
        dtype: DType,
        data_shape: &[u64],
        title: &str,
        extra: Vec<(String, PyValue)>,
    ) -> Result<String> {
        let mut shape = vec![0u64];
        shape.extend_from_slice(data_shape);
        let item = dtype.size() as u64;
        let mut max = vec![None];
        max.extend(data_shape.iter().map(|&d| Some(d)));
        let mut b = DatasetBuilder::new(self.dtype_of(dtype))
            .shape(&shape)
            .max_shape(&max);
        let chunks = match self.flavour {
            Flavour::Tables => {
                b = b.pytables_class(PyTablesClass::EArray).title(title);
                chunking::pytables_chunkshape(&shape, 1000, item)
            }
            Flavour::H5py => chunking::h5py_guess_chunk(&shape, item),
        };
        b = self.filters(b.chunks(&chunks));
        self.create_array(
            ArrayNode {
                where_,
                name,
                class: NodeClass::EArray,
                title,
                shape,
                dtype: Some(dtype),
            },
            b,
            None,
            extra,
        )
    }

    /// `create_vlarray(where, name, dtype='string', title)`: rows of bytes (vlen uint8).
    pub fn create_string_vlarray(
        &mut self,
        where_: &str,
        name: &str,
        title: &str,
        extra: Vec<(String, PyValue)>,
    ) -> Result<String> {
        let mut b = DatasetBuilder::new(Dtype::Vlen(Box::new(Dtype::U8)))
            .shape(&[0])
            .max_shape(&[None])
            // PyTables would pick 65536 rows (1 MiB of row descriptors padded on disk); a
            // Logger holds few rows, so both flavours use h5py's 1024.
            .chunks(&[1024]);
        if self.flavour == Flavour::Tables {
            b = b.pytables_class(PyTablesClass::VLArray).title(title);
        }
        b = self.filters(b);
        self.create_array(
            ArrayNode {
                where_,
                name,
                class: NodeClass::VLArray,
                title,
                shape: vec![0],
                dtype: None,
            },
            b,
            None,
            extra,
        )
    }

    fn dataset_of(&mut self, path: &str) -> Result<DatasetId> {
        let rec = self.node_req(path)?;
        if let Some(ds) = rec.ds {
            return Ok(ds);
        }
        let ds = self.w.open_dataset(path)?;
        if let Some(r) = self.nodes.get_mut(path) {
            r.ds = Some(ds);
        }
        Ok(ds)
    }

    /// `EARRAY.append(data)`: one row when `data` has the row shape, else `data.shape[0]`
    /// rows. The `shape` attribute follows (written at the next flush).
    pub fn append(&mut self, path: &str, data: &NdArray) -> Result<()> {
        let rec = self.node_req(path)?;
        if rec.class != NodeClass::EArray {
            return Err(usage(format!("{path} is not an EARRAY")));
        }
        let row: Vec<u64> = rec.shape.iter().skip(1).copied().collect();
        let dshape: Vec<u64> = data.shape.iter().map(|&d| d as u64).collect();
        let want = rec.dtype;
        let rows = if dshape == row {
            1
        } else if dshape.len() == row.len() + 1 && dshape[1..] == row[..] {
            dshape[0]
        } else if row.iter().product::<u64>() == dshape.iter().product::<u64>() {
            // PyMoDAQ expands 1-D data to (n, 1) for (N, 1) arrays: same element count.
            1
        } else {
            return Err(usage(format!(
                "ValueError: cannot append data of shape {dshape:?} to {path} with rows of shape {row:?}"
            )));
        };
        if want != Some(data.dtype) {
            return Err(usage(format!(
                "TypeError: {path} holds {} but the data are {}",
                want.map_or("?", |d| d.name()),
                data.dtype.name()
            )));
        }
        let ds = self.dataset_of(path)?;
        self.w.append_raw(&ds, data.le_bytes())?;
        if let Some(r) = self.nodes.get_mut(path) {
            if let Some(n) = r.shape.first_mut() {
                *n += rows;
            }
            r.shape_dirty = true;
        }
        Ok(())
    }

    /// Cut an EARRAY back to its first `rows` rows (a torn recording continued at the rows
    /// all its channels hold).
    pub fn truncate_rows(&mut self, path: &str, rows: u64) -> Result<()> {
        let rec = self.node_req(path)?;
        if rec.class != NodeClass::EArray {
            return Err(usage(format!("{path} is not an EARRAY")));
        }
        let ds = self.dataset_of(path)?;
        self.w.truncate_rows(&ds, rows)?;
        if let Some(r) = self.nodes.get_mut(path) {
            if let Some(n) = r.shape.first_mut() {
                *n = (*n).min(rows);
            }
            r.shape_dirty = true;
        }
        Ok(())
    }

    /// `StringARRAY.append(msg)`: one row holding `pickle.dumps(msg)` (protocol 4).
    pub fn append_string(&mut self, path: &str, msg: &str) -> Result<()> {
        let rec = self.node_req(path)?;
        if rec.class != NodeClass::VLArray {
            return Err(usage(format!("{path} is not a VLARRAY")));
        }
        let bytes = pickle::dumps_str(msg, 4)?;
        let ds = self.dataset_of(path)?;
        self.w.append_vlen(&ds, &[&bytes])?;
        if let Some(r) = self.nodes.get_mut(path) {
            if let Some(n) = r.shape.first_mut() {
                *n += 1;
            }
            r.shape_dirty = true;
        }
        Ok(())
    }

    /// `array[indexes] = data` on a CARRAY: the leading dimensions are fixed by `indexes`,
    /// `data` fills the rest.
    pub fn write_point(&mut self, path: &str, indexes: &[u64], data: &NdArray) -> Result<()> {
        let rec = self.node_req(path)?;
        let shape = rec.shape.clone();
        if indexes.len() > shape.len() {
            return Err(usage(format!("IndexError: too many indices for {path}")));
        }
        for (i, (&ix, &n)) in indexes.iter().zip(&shape).enumerate() {
            if ix >= n {
                return Err(usage(format!(
                    "IndexError: index {ix} is out of bounds for axis {i} with size {n}"
                )));
            }
        }
        if rec.dtype != Some(data.dtype) {
            return Err(usage(format!(
                "TypeError: {path}: dtype mismatch ({})",
                data.dtype.name()
            )));
        }
        let rest = &shape[indexes.len()..];
        let n_rest: u64 = rest.iter().product();
        if n_rest != data.len() as u64 {
            return Err(usage(format!(
                "ValueError: could not broadcast data of shape {:?} into {rest:?}",
                data.shape
            )));
        }
        let mut sel: Vec<std::ops::Range<u64>> = indexes.iter().map(|&i| i..i + 1).collect();
        sel.extend(rest.iter().map(|&d| 0..d));
        let ds = self.dataset_of(path)?;
        self.w.write_slice_raw(&ds, &sel, data.le_bytes())
    }

    /// Add `delta` to an integer JSON attribute (the enlargeable axes' `size`). Like the
    /// `shape` of appended arrays, the attribute is written at the next flush, not per call.
    pub fn bump_int_attr(&mut self, path: &str, name: &str, delta: i128) -> Result<()> {
        let rec = self
            .nodes
            .get_mut(path)
            .ok_or_else(|| usage(format!("NodeError: node {path} does not exist")))?;
        let cur = match rec.attr(name) {
            Some(PyValue::Int(i)) => *i,
            _ => 0,
        };
        rec.put_attr(name, PyValue::Int(cur + delta));
        if !rec.deferred.iter().any(|d| d == name) {
            rec.deferred.push(name.to_string());
        }
        Ok(())
    }

    fn write_dirty_shapes(&mut self) -> Result<()> {
        let dirty: Vec<(String, Vec<(String, PyValue)>)> = self
            .nodes
            .iter()
            .filter(|(_, r)| r.shape_dirty || !r.deferred.is_empty())
            .map(|(p, r)| {
                let mut attrs: Vec<(String, PyValue)> = r
                    .deferred
                    .iter()
                    .filter_map(|n| r.attr(n).map(|v| (n.clone(), v.clone())))
                    .collect();
                if r.shape_dirty {
                    attrs.push(("shape".into(), shape_tuple(&r.shape)));
                }
                (p.clone(), attrs)
            })
            .collect();
        for (p, attrs) in dirty {
            self.set_attrs(&p, &attrs)?;
            if let Some(r) = self.nodes.get_mut(&p) {
                r.shape_dirty = false;
                r.deferred.clear();
            }
        }
        Ok(())
    }

    /// The next `datasets` arrays created form one acquisition: committed by one write when
    /// they fit in a commit page ([`Writer::begin_acquisition`]).
    pub fn begin_acquisition(&mut self, datasets: usize) {
        self.w.begin_acquisition(datasets);
    }

    /// Rank-1 appended arrays one flush commits with one write ([`Writer::acquisition_capacity`]).
    pub fn acquisition_capacity(&self) -> usize {
        self.w.acquisition_capacity()
    }

    /// Commit everything written so far (kill-safe; see `spec/hdf5-write.md`), including the
    /// `shape` attributes of appended arrays.
    pub fn flush(&mut self) -> Result<()> {
        self.w.flush()?;
        self.write_dirty_shapes()?;
        self.w.flush()
    }

    /// Flush and fsync.
    pub fn sync(&mut self) -> Result<()> {
        self.flush()?;
        self.w.sync()
    }

    /// Flush, fsync and close.
    pub fn close(mut self) -> Result<()> {
        self.flush()?;
        self.w.close()
    }

    /// The underlying writer.
    pub fn writer(&mut self) -> &mut Writer {
        &mut self.w
    }
}

/// `tuple(shape)` as a Python value.
pub fn shape_tuple(shape: &[u64]) -> PyValue {
    PyValue::Tuple(shape.iter().map(|&d| PyValue::Int(i128::from(d))).collect())
}

/// A PyTables version string (`"1.1"`) as the float PyTables reads it back as.
fn version_number(v: &str) -> f64 {
    v.parse().unwrap_or(0.0)
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains('/') || name == "." {
        return Err(usage(format!("invalid node name {name:?}")));
    }
    Ok(())
}

impl crate::pymodaq::backend::Backend for SaveBackend {
    fn node_class(&self, path: &str) -> Option<NodeClass> {
        self.node(path).map(|n| n.class)
    }
    fn child_names(&self, path: &str) -> Vec<String> {
        let mut c = self.children(path).unwrap_or_default();
        // Both libraries list the members of these groups by name.
        c.sort();
        c
    }
    fn attribute_names(&self, path: &str) -> Vec<String> {
        self.node(path)
            .map(|n| n.attrs.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default()
    }
    fn attribute(&self, path: &str, name: &str) -> Option<PyValue> {
        self.node(path).and_then(|n| n.attr(name).cloned())
    }
}

/// The attributes PyTables gives a group: CLASS, TITLE, VERSION.
fn tables_group_attrs(rec: &mut NodeRec, title: &str) {
    rec.put_attr("CLASS", PyValue::Str(pytables::GROUP_CLASS.into()));
    rec.put_attr("TITLE", PyValue::Str(title.into()));
    rec.put_attr(
        "VERSION",
        PyValue::Float(version_number(pytables::GROUP_VERSION)),
    );
}
