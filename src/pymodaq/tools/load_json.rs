//! The `pymodaq-h5 load --json` document (`contracts/load-json.md`): what PyMoDAQ's loaders
//! return for a file — the decoded tree, Logger lines, every data node loaded alone (and with
//! its background), every axis node, and `load_all('/')` — computed by our PyMoDAQ layer.
//!
//! Node failures become `"error": "<ExceptionType>: <message>"` entries and set the
//! "had errors" flag; only a file whose root cannot be read is an `Err`.

use serde_json::{json, Map, Value as J};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::hdf5::read::File;
use crate::pymodaq::attrs::PyValue;
use crate::pymodaq::backend::{AttrVal, H5Backend, LoadResult, NodeClass, PmdNode};
use crate::pymodaq::load::DataLoader;
use crate::pymodaq::model::array::hex;
use crate::pymodaq::model::{Axis, DType, DataWithAxes, NdArray, Scalar};

/// Document format tag.
pub const FORMAT: &str = "pymodaq-holdout-description/1";
/// Arrays up to this many values are listed whole.
pub(crate) const MAX_LISTED: usize = 64;
/// Otherwise the first this many are given as `head`.
pub(crate) const HEAD: usize = 16;
/// Bytes read per slab of an array (a lazy array is never read whole).
pub(crate) const SLAB: u64 = 4 << 20;

/// A float as the document writes it: shortest round-trip; NaN/inf as strings.
pub fn float_json(v: f64) -> J {
    crate::dump::float_json_as(v, ["nan", "inf", "-inf"])
}

/// `v` rounded to 12 significant digits (axis values).
pub fn round12(v: f64) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    format!("{v:.11e}").parse().unwrap_or(v)
}

pub(crate) fn scalar_json(s: Scalar) -> J {
    match s {
        Scalar::Bool(b) => J::Bool(b),
        Scalar::Int(i) => J::from(i),
        Scalar::UInt(u) => J::from(u),
        Scalar::Float(f) => float_json(f),
        Scalar::Complex(re, im) => J::Array(vec![float_json(re), float_json(im)]),
    }
}

/// Whether values of `dtype` are written at single precision ([`elem_json`]).
pub(crate) fn is_single(dtype: DType) -> bool {
    matches!(dtype, DType::Float32 | DType::Complex64)
}

/// One array value; `single`: float32 values are written as numpy prints them, the shortest
/// decimal that round-trips at single precision (`float(str(np.float32(x)))`).
pub(crate) fn elem_json(single: bool, v: Scalar) -> J {
    let f32s = |x: f64| {
        if x.is_finite() {
            format!("{}", x as f32).parse().unwrap_or(x)
        } else {
            x
        }
    };
    match v {
        Scalar::Float(x) if single => scalar_json(Scalar::Float(f32s(x))),
        Scalar::Complex(re, im) if single => scalar_json(Scalar::Complex(f32s(re), f32s(im))),
        other => scalar_json(other),
    }
}

/// `<array>`: shape, dtype, sha256 and the values (all when `full` or at most 64, else
/// `head`), the bytes read slab by slab, nothing kept (a lazy array is never held whole): a
/// lazy array's read error is returned.
pub fn array_json(a: &NdArray, full: bool) -> Result<J> {
    let size = a.dtype.size().max(1);
    let n = a.len();
    let take = if full || n <= MAX_LISTED { n } else { HEAD };
    let single = is_single(a.dtype);
    let mut h = Sha256::new();
    let mut vals: Vec<J> = Vec::with_capacity(take);
    for piece in a.slabs(SLAB as usize) {
        let piece = piece?;
        if vals.len() < take {
            let k = (piece.len() / size).min(take - vals.len());
            let head = piece.get(..k * size).unwrap_or_default().to_vec();
            let head = NdArray::from_le_bytes(a.dtype, vec![k], head)?;
            vals.extend(
                (0..k)
                    .filter_map(|i| head.get(i))
                    .map(|v| elem_json(single, v)),
            );
        }
        h.update(&piece);
    }
    let dtype = J::String(a.dtype.name().into());
    Ok(array_doc(
        json!(a.shape),
        dtype,
        &h.finalize(),
        take == n,
        J::Array(vals),
    ))
}

/// An `<array>` from its parts: `vals` under `values` when they are `all` the values, else
/// under `head`.
pub(crate) fn array_doc(shape: J, dtype: J, sha256: &[u8], all: bool, vals: J) -> J {
    let mut m = Map::new();
    m.insert("shape".into(), shape);
    m.insert("dtype".into(), dtype);
    m.insert("sha256".into(), J::String(hex(sha256)));
    m.insert(if all { "values" } else { "head" }.into(), vals);
    J::Object(m)
}

/// `<array>`s of a list of arrays (a lazy array's read error is returned).
pub(crate) fn arrays_json(v: &[NdArray], full: bool) -> Result<J> {
    v.iter()
        .map(|a| array_json(a, full))
        .collect::<Result<Vec<J>>>()
        .map(J::Array)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                let idx = ((n >> (18 - 6 * k)) & 63) as usize;
                out.push(char::from(B64.get(idx).copied().unwrap_or(b'=')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An attribute value: JSON scalars and lists as they are, `$tuple`, `$bytes_b64`, `$dict`
/// (keys sorted), numpy scalars as their value.
pub fn py_json(v: &PyValue) -> J {
    match v {
        PyValue::None => J::Null,
        PyValue::Bool(b) => J::Bool(*b),
        PyValue::Int(i) => match i64::try_from(*i) {
            Ok(x) => J::from(x),
            Err(_) => match u64::try_from(*i) {
                Ok(x) => J::from(x),
                Err(_) => J::String(i.to_string()),
            },
        },
        PyValue::BigInt(s) => J::String(s.clone()),
        PyValue::Float(f) => float_json(*f),
        PyValue::Str(s) => J::String(s.clone()),
        PyValue::Bytes(b) => json!({ "$bytes_b64": base64(b) }),
        PyValue::Tuple(items) => json!({ "$tuple": items.iter().map(py_json).collect::<Vec<_>>() }),
        PyValue::List(items) => J::Array(items.iter().map(py_json).collect()),
        PyValue::Dict(entries) => {
            let mut kv: Vec<(String, J)> = entries
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        PyValue::Str(s) => s.clone(),
                        other => crate::pymodaq::attrs::repr(other),
                    };
                    (key, py_json(v))
                })
                .collect();
            kv.sort_by(|a, b| a.0.cmp(&b.0));
            let mut m = Map::new();
            for (k, v) in kv {
                m.insert(k, v);
            }
            json!({ "$dict": J::Object(m) })
        }
        PyValue::Numpy(n) => py_json(&n.value),
        // datetime / date / time (from the envelope or a pickled attribute): contract
        // `load-json` gives their repr.
        other => json!({ "$repr": crate::pymodaq::attrs::repr(other) }),
    }
}

pub(crate) fn attr_json(v: &AttrVal, full: bool) -> J {
    match v {
        AttrVal::Py(p) => py_json(p),
        AttrVal::Empty => J::String(String::new()),
        AttrVal::H5pyEmpty(repr) => json!({ "$repr": repr }),
        // Attribute arrays are in memory: no read to fail.
        AttrVal::Array(a) => match array_json(a, full) {
            Ok(j) => json!({ "$ndarray": j }),
            Err(e) => json!({ "$error": e.to_string() }),
        },
        AttrVal::Bytes { shape, width, data } => {
            use sha2::Digest;
            let items = v.bytes_items();
            let take = if full || items.len() <= MAX_LISTED {
                items.len()
            } else {
                HEAD
            };
            let vals: Vec<J> = items
                .iter()
                .take(take)
                .map(|b| json!({ "$bytes_b64": base64(b) }))
                .collect();
            let dtype = J::String(format!("bytes{}", width.saturating_mul(8)));
            let all = take == items.len();
            let sha = Sha256::digest(data);
            json!({ "$ndarray": array_doc(json!(shape), dtype, &sha, all, J::Array(vals)) })
        }
    }
}

/// `<axis>`.
pub fn axis_json(a: &Axis, full: bool) -> J {
    let data = a.get_data();
    let vals = |s: &[f64]| J::Array(s.iter().map(|&v| float_json(round12(v))).collect());
    let mut d = Map::new();
    d.insert("shape".into(), json!([data.len()]));
    if full || data.len() <= MAX_LISTED {
        d.insert("values".into(), vals(&data));
    } else {
        d.insert("head".into(), vals(data.get(..HEAD).unwrap_or(&data)));
        d.insert(
            "last".into(),
            data.last().map_or(J::Null, |&v| float_json(round12(v))),
        );
    }
    let linear = a.is_linear_kept();
    let opt = |v: Option<f64>| match (linear, v) {
        (true, Some(x)) if a.int_params && x.fract() == 0.0 && x.abs() < 9e15 => J::from(x as i64),
        (true, Some(x)) => float_json(round12(x)),
        _ => J::Null,
    };
    json!({
        "label": a.label,
        "units": a.units,
        "index": a.index,
        "spread_order": a.spread_order,
        "size": a.size,
        "linear": linear,
        "offset": opt(a.offset),
        "scaling": opt(a.scaling),
        "data": J::Object(d),
    })
}

/// `<dwa>`.
pub fn dwa_json(d: &DataWithAxes, full: bool) -> J {
    match dwa_json_with(d, full, &|v| arrays_json(v, full)) {
        Ok(j) => j,
        Err(_) => J::Null,
    }
}

/// `<dwa>` with its `data` and `errors` lists made by `arrays` (the streamed writer reads
/// lazy arrays slab by slab there, and fails on a read error).
pub(crate) fn dwa_json_with(
    d: &DataWithAxes,
    full: bool,
    arrays: &dyn Fn(&[NdArray]) -> Result<J>,
) -> Result<J> {
    let mut extra = Map::new();
    for (k, v) in &d.extra_attributes {
        extra.insert(k.clone(), py_json(v));
    }
    Ok(json!({
        "class": "DataWithAxes",
        "name": d.name,
        "source": d.source.as_str(),
        "dim": d.dim.as_str(),
        "distribution": d.distribution.as_str(),
        "shape": d.shape(),
        "length": d.length(),
        "nav_indexes": d.nav_indexes,
        "sig_indexes": d.sig_indexes(),
        "units": d.units,
        "labels": d.labels,
        "origin": py_json(&d.origin),
        "timestamp": py_json(&d.timestamp),
        "axes": d.axes.iter().map(|a| axis_json(a, full)).collect::<Vec<_>>(),
        "data": arrays(&d.data)?,
        "errors": match &d.errors {
            Some(e) => arrays(e)?,
            None => J::Null,
        },
        "extra_attributes": J::Object(extra),
    }))
}

pub(crate) struct Builder<'a> {
    pub(crate) loader: DataLoader,
    pub(crate) backend: &'a H5Backend,
    pub(crate) full: bool,
    pub(crate) had_errors: bool,
}

impl<'a> Builder<'a> {
    pub(crate) fn new(backend: &'a H5Backend, loader: DataLoader, full: bool) -> Builder<'a> {
        Builder {
            loader,
            backend,
            full,
            had_errors: false,
        }
    }

    /// `axis_nodes`: each node loaded as an axis, or its error.
    pub(crate) fn axis_nodes(&mut self, paths: &[&PmdNode]) -> J {
        let mut axis_nodes = Vec::with_capacity(paths.len());
        for n in paths {
            axis_nodes.push(match self.loader.load_axis(&n.path) {
                Ok(a) => json!({"path": n.path, "axis": axis_json(&a, self.full)}),
                Err(e) => {
                    self.had_errors = true;
                    json!({"path": n.path, "error": e.py_string()})
                }
            });
        }
        J::Array(axis_nodes)
    }

    pub(crate) fn tree_entry(&mut self, n: &PmdNode, logs: &mut Map<String, J>) -> J {
        let mut m = Map::new();
        m.insert("path".into(), J::String(n.path.clone()));
        // The kind is what PyMoDAQ's get_node makes of the node (it can fail); the
        // attributes are read from the library directly and are listed either way.
        let n = match self.backend.get_node(&n.path) {
            Ok(strict) => strict,
            Err(e) => {
                self.had_errors = true;
                if let Ok(attrs) = self.backend.attrs(n) {
                    let mut a = Map::new();
                    for (k, v) in attrs {
                        a.insert(k, attr_json(&v, self.full));
                    }
                    m.insert("attrs".into(), J::Object(a));
                }
                m.insert("error".into(), J::String(e.py_string()));
                return J::Object(m);
            }
        };
        let n = &n;
        m.insert("kind".into(), J::String(n.class.as_str().into()));
        let r: LoadResult<()> = (|| {
            let mut attrs = Map::new();
            for (k, v) in self.backend.attrs(n)? {
                attrs.insert(k, attr_json(&v, self.full));
            }
            m.insert("attrs".into(), J::Object(attrs));
            match n.class {
                NodeClass::Group => {}
                NodeClass::CArray | NodeClass::EArray => {
                    let a = self.backend.read(n)?;
                    m.insert("array".into(), array_json(&a, self.full)?);
                }
                NodeClass::VLArray if n.is_string_array => {
                    let lines = self.backend.read_strings(n)?;
                    let lines = J::Array(lines.into_iter().map(J::String).collect());
                    logs.insert(n.path.clone(), lines.clone());
                    m.insert("strings".into(), lines);
                }
                NodeClass::VLArray => {
                    let rows = self.backend.read_rows(n)?;
                    m.insert("rows".into(), arrays_json(&rows, self.full)?);
                }
            }
            Ok(())
        })();
        if let Err(e) = r {
            self.had_errors = true;
            m.insert("error".into(), J::String(e.py_string()));
        }
        J::Object(m)
    }
}

/// The `load --json` document for `file` (`name`: the file name written in it; `full`: list
/// every value). Returns the document and whether some node failed.
pub fn load_json(file: &File, name: &str, full: bool) -> Result<(J, bool)> {
    load_json_with(file, name, full, false)
}

/// The backend of `file` (`tolerant`: classes inferred, see [`load_json_with`]) and every
/// node, sorted by path, or the walk's error (the document's only entry); a root that cannot
/// be read is an `Err`.
pub(crate) fn backend_and_nodes(
    file: &File,
    tolerant: bool,
) -> Result<(H5Backend, LoadResult<Vec<PmdNode>>)> {
    let backend = if tolerant {
        H5Backend::new(file).tolerant()
    } else {
        H5Backend::new(file)
    };
    let root = backend.get_node("/").map_err(|e| match e {
        crate::pymodaq::backend::LoadError::Hdf5(e) => e,
        other => crate::error::Error::Usage(other.py_string()),
    })?;
    // Every node: walk_nodes from the root (cycle-safe, classes inferred where CLASS is
    // missing so no node is hidden), then sorted by path.
    let nodes = backend
        .clone()
        .tolerant()
        .walk_nodes(&root)
        .map(|mut nodes| {
            nodes.sort_by(|x, y| x.path.as_bytes().cmp(y.path.as_bytes()));
            nodes.dedup_by(|x, y| x.path == y.path);
            nodes
        });
    Ok((backend, nodes))
}

/// [`load_json`]; `tolerant`: nodes missing `CLASS` are classified as PyMoDAQ classifies them
/// when it opens a file for writing (and stores the class back), instead of failing as in
/// the read-only open `load --json` reproduces.
pub fn load_json_with(file: &File, name: &str, full: bool, tolerant: bool) -> Result<(J, bool)> {
    // 1.x-3.x files have their own layout and loaders (and PyMoDAQ 4.x/5.x loads nothing from
    // them): read tolerantly, data nodes and load_all from `legacy::LegacyLoader`.
    let legacy = crate::pymodaq::legacy::detect(file)
        .ok()
        .filter(|d| d.generation.is_legacy());
    let (backend, nodes) = backend_and_nodes(file, tolerant || legacy.is_some())?;
    let mut b = Builder::new(&backend, DataLoader::new(backend.clone()), full);
    let nodes = match nodes {
        Ok(n) => n,
        Err(e) => {
            return Ok((
                json!({"format": FORMAT, "file": name, "error": e.py_string()}),
                true,
            ));
        }
    };

    let mut logs = Map::new();
    let mut tree = Vec::with_capacity(nodes.len());
    let mut data_paths = Vec::new();
    let mut axis_paths = Vec::new();
    for n in &nodes {
        tree.push(b.tree_entry(n, &mut logs));
        match role(&backend, n) {
            Some(Role::Data) => data_paths.push(n),
            Some(Role::Axis) => axis_paths.push(n),
            None => {}
        }
    }

    if let Some(det) = legacy {
        let (data_nodes, load_all) = legacy_sections(file, det.generation, full, &mut b.had_errors);
        let doc = json!({
            "format": FORMAT,
            "file": name,
            "generation": det.generation.as_str(),
            "pymodaq_version": det.version,
            "tree": tree,
            "logs": J::Object(logs),
            "data_nodes": data_nodes,
            "axis_nodes": [],
            "load_all": load_all,
        });
        return Ok((doc, b.had_errors));
    }

    let mut data_nodes = Vec::with_capacity(data_paths.len());
    for n in data_paths {
        let mut m = Map::new();
        m.insert("path".into(), J::String(n.path.clone()));
        match b.loader.load_data(&n.path, false, false) {
            Ok(d) => {
                m.insert("dwa".into(), dwa_json(&d, full));
                let has_bkg = super::load_json_stream::has_bkg(&backend, n);
                if has_bkg {
                    match b.loader.load_data(&n.path, true, false) {
                        Ok(d) => {
                            m.insert("dwa_with_bkg".into(), dwa_json(&d, full));
                        }
                        Err(e) => {
                            b.had_errors = true;
                            m.insert("dwa_with_bkg_error".into(), J::String(e.py_string()));
                        }
                    }
                }
            }
            Err(e) => {
                b.had_errors = true;
                m.insert("error".into(), J::String(e.py_string()));
            }
        }
        data_nodes.push(J::Object(m));
    }

    let axis_nodes = b.axis_nodes(&axis_paths);

    let load_all = match b.loader.load_all("/", false) {
        Ok(dte) => J::Array(dte.data.iter().map(|d| dwa_json(d, full)).collect()),
        Err(e) => {
            b.had_errors = true;
            json!({"error": e.py_string()})
        }
    };

    let doc = json!({
        "format": FORMAT,
        "file": name,
        "tree": tree,
        "logs": J::Object(logs),
        "data_nodes": data_nodes,
        "axis_nodes": axis_nodes,
        "load_all": load_all,
    });
    Ok((doc, b.had_errors))
}

/// Which list of the document an array node is loaded in, by its `data_type`.
pub(crate) enum Role {
    /// `data_nodes`: data, data_enlargeable, bkg and error arrays.
    Data,
    /// `axis_nodes`.
    Axis,
}

/// The list an array node is loaded in (`None`: a group, or another `data_type`).
pub(crate) fn role(backend: &H5Backend, n: &PmdNode) -> Option<Role> {
    if !n.class.is_array() {
        return None;
    }
    let dt = backend.attr(n, "data_type").ok().flatten()?;
    match dt.as_str()? {
        "data" | "data_enlargeable" | "bkg" | "error" => Some(Role::Data),
        "axis" => Some(Role::Axis),
        _ => None,
    }
}

/// `data_nodes` and `load_all` of a 1.x-3.x file: every node the old loaders treat as data,
/// loaded by [`crate::pymodaq::legacy::LegacyLoader`] as today's `DataWithAxes`.
fn legacy_sections(
    file: &File,
    generation: crate::pymodaq::legacy::Generation,
    full: bool,
    had_errors: &mut bool,
) -> (Vec<J>, J) {
    let loader = crate::pymodaq::legacy::LegacyLoader::new(file, generation);
    let paths = match loader.data_paths() {
        Ok(p) => p,
        Err(e) => {
            *had_errors = true;
            return (Vec::new(), json!({"error": e.py_string()}));
        }
    };
    let mut nodes = Vec::with_capacity(paths.len());
    let mut all = Vec::with_capacity(paths.len());
    let mut all_error = None;
    for p in &paths {
        match loader.load_data(p) {
            Ok(d) => {
                let j = dwa_json(&d, full);
                nodes.push(json!({"path": p, "dwa": j.clone()}));
                all.push(j);
            }
            Err(e) => {
                *had_errors = true;
                nodes.push(json!({"path": p, "error": e.py_string()}));
                all_error.get_or_insert_with(|| e.py_string());
            }
        }
    }
    let load_all = match all_error {
        Some(e) => json!({ "error": e }),
        None => J::Array(all),
    };
    (nodes, load_all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b"a'\x00\xff"), "YScA/w==");
    }

    #[test]
    fn rounding_and_specials() {
        assert_eq!(round12(0.1 + 0.2), 0.3);
        assert_eq!(float_json(f64::NAN), J::String("nan".into()));
        assert_eq!(float_json(f64::NEG_INFINITY), J::String("-inf".into()));
    }

    #[test]
    fn attr_values() {
        let t = PyValue::Tuple(vec![PyValue::Int(1), PyValue::Str("a".into())]);
        assert_eq!(py_json(&t), json!({"$tuple": [1, "a"]}));
        let d = PyValue::Dict(vec![
            (PyValue::Str("type".into()), PyValue::Str("NoneType".into())),
            (PyValue::Str("data".into()), PyValue::Str("None".into())),
        ]);
        assert_eq!(
            serde_json::to_string(&py_json(&d)).unwrap(),
            r#"{"$dict":{"data":"None","type":"NoneType"}}"#
        );
    }

    #[test]
    fn arrays_head_and_values() {
        let a = NdArray::from_f64(vec![100], &vec![1.5; 100]).unwrap();
        let j = array_json(&a, false).unwrap();
        assert_eq!(j["head"].as_array().unwrap().len(), 16);
        assert!(j.get("values").is_none());
        let j = array_json(&a, true).unwrap();
        assert_eq!(j["values"].as_array().unwrap().len(), 100);
    }
}
