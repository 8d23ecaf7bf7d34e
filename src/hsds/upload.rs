//! Copy an HDF5 file to a domain: once (`import`, `export` to a URL, the savers), or again
//! and again as the file grows (`record`), sending only what changed.
//!
//! One [`Uploader::sync`] does, in this order:
//! 1. creates the groups and datasets the domain does not have yet (empty);
//! 2. sends data: first the datasets under a `NavAxes` group (axes), then the others
//!    (channels, logger rows); an extensible dataset that grew along its first dimension is
//!    resized and sent only its new rows; any other dataset is sent whole when its content
//!    changed;
//! 3. sets every attribute that changed, of all objects, in one request (HSDS applies one
//!    request's attributes together): PyMoDAQ's `shape` attributes, which record the rows
//!    an array holds, move in one step after the data they describe.
//!
//! Crash semantics (a writer killed mid-sync) are in `spec/hsds.md`.

// A selection is one range per dimension: a one-range selection of a rank-1 dataset is meant.
#![allow(clippy::single_range_in_vec_init)]

use std::collections::HashMap;
use std::ops::Range;

use serde_json::{json, Value as J};
use sha2::{Digest, Sha256};

use super::error::{HResult, HsdsError};
use super::http::Client;
use super::objects::DsetDoc;
use super::types;
use crate::hdf5::message::dataspace::{DataspaceKind, UNLIMITED};
use crate::hdf5::message::datatype::Datatype;
use crate::hdf5::message::layout::DataLayout;
use crate::hdf5::read::{Dataset, File, Group, LinkKind, Node, Value};

/// Largest binary write of one request.
pub const SLAB_BYTES: u64 = 16 << 20;

/// What exists in the domain.
#[derive(Debug, Clone)]
struct Remote {
    id: String,
    collection: &'static str,
    /// Dims sent (datasets).
    dims: Vec<u64>,
    /// Hash of the data sent (non-extensible datasets).
    digest: Option<[u8; 32]>,
    /// Attribute name -> hash of the body sent.
    attrs: HashMap<String, [u8; 32]>,
}

/// A domain kept equal to a local file.
#[derive(Debug)]
pub struct Uploader {
    c: Client,
    objs: HashMap<String, Remote>,
    /// Whether every sync re-sends datasets whose content changed (savers writing points);
    /// `record` only appends, so it skips the hashing.
    rehash: bool,
}

fn unsupported(c: &Client, what: impl Into<String>) -> HsdsError {
    HsdsError::Unsupported {
        url: c.url().to_string(),
        what: what.into(),
    }
}

fn local(c: &Client, path: &str, e: crate::Error) -> HsdsError {
    HsdsError::Protocol {
        url: c.url().to_string(),
        reason: format!("reading the local copy at {path}: {e}"),
    }
}

fn digest(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

/// How an existing domain is treated when a new one is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfExists {
    /// Refuse it (exit 1 in the CLI, as for an existing file).
    Refuse,
    /// Delete and create it again.
    Replace,
}

impl Uploader {
    /// Create the domain (refusing or replacing an existing one), empty.
    pub fn create(c: Client, if_exists: IfExists) -> HResult<Uploader> {
        if c.exists()? {
            match if_exists {
                IfExists::Refuse => {
                    return Err(HsdsError::Status {
                        url: c.url().to_string(),
                        status: 409,
                        message: "the domain exists (use --force to replace it)".into(),
                    })
                }
                IfExists::Replace => c.delete_domain()?,
            }
        }
        let root = c.create_domain()?;
        let mut objs = HashMap::new();
        objs.insert(
            "/".to_string(),
            Remote {
                id: root,
                collection: "groups",
                dims: Vec::new(),
                digest: None,
                attrs: HashMap::new(),
            },
        );
        Ok(Uploader {
            c,
            objs,
            rehash: true,
        })
    }

    /// Only append rows of extensible datasets after the first sync (a recording).
    pub fn append_only(mut self) -> Uploader {
        self.rehash = false;
        self
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.c
    }

    /// Bring the domain to the file's state (see the module doc for the order).
    pub fn sync(&mut self, f: &File) -> HResult<()> {
        let mut groups = Vec::new();
        let mut datasets = Vec::new();
        let root = f.root().map_err(|e| local(&self.c, "/", e))?;
        let root_node = Node::Group(root.clone());
        if self.objs.get("/").is_some_and(|r| r.attrs.is_empty()) {
            // The root's attributes first: the domain was created without them.
            let (map, sent) = self.attr_docs("/", &root_node)?;
            if let Some(r) = self.objs.get("/") {
                let batch = [(
                    r.collection.to_string(),
                    r.id.clone(),
                    map.into_iter().collect(),
                )];
                self.c.put_attributes(&batch)?;
            }
            if let Some(r) = self.objs.get_mut("/") {
                r.attrs = sent;
            }
        }
        groups.push(("/".to_string(), root_node));
        self.walk(f, &root, "/", 0, &mut groups, &mut datasets)?;
        // Data: axes first, then the rest.
        let (axes, rest): (Vec<_>, Vec<_>) = datasets
            .iter()
            .partition(|(p, _)| p.contains("/NavAxes/") || p.contains("/Axis"));
        for (path, d) in axes.into_iter().chain(rest) {
            self.send_data(path, d)?;
        }
        // Attributes of every object, one request.
        let mut batch = Vec::new();
        let mut sent = Vec::new();
        for (path, node) in groups.iter().chain(datasets.iter()) {
            let obj = node.object();
            let attrs = obj.attributes().map_err(|e| local(&self.c, path, e))?;
            let Some(r) = self.objs.get(path.as_str()) else {
                continue;
            };
            let mut changed = Vec::new();
            for a in &attrs {
                let body = attr_body(&self.c, path, a)?;
                let h = digest(body.to_string().as_bytes());
                if r.attrs.get(&a.name) != Some(&h) {
                    changed.push((a.name.clone(), body));
                    sent.push((path.clone(), a.name.clone(), h));
                }
            }
            if !changed.is_empty() {
                batch.push((r.collection.to_string(), r.id.clone(), changed));
            }
        }
        self.c.put_attributes(&batch)?;
        for (p, n, h) in sent {
            if let Some(r) = self.objs.get_mut(&p) {
                r.attrs.insert(n, h);
            }
        }
        Ok(())
    }

    fn walk(
        &mut self,
        f: &File,
        g: &Group,
        path: &str,
        depth: u32,
        groups: &mut Vec<(String, Node)>,
        datasets: &mut Vec<(String, Node)>,
    ) -> HResult<()> {
        if depth > 256 {
            return Err(unsupported(
                &self.c,
                format!("{path}: groups nested too deeply"),
            ));
        }
        let links = g.links().map_err(|e| local(&self.c, path, e))?;
        let parent = self
            .objs
            .get(path)
            .map(|r| r.id.clone())
            .ok_or_else(|| unsupported(&self.c, format!("{path}: parent not created")))?;
        for l in links {
            let child = crate::hdf5::read::file::join_path(path, &l.name);
            if !matches!(l.kind, LinkKind::Hard(_)) {
                return Err(unsupported(
                    &self.c,
                    format!("{child}: soft, external and user-defined links"),
                ));
            }
            let mut depth_ = 0;
            let node = f
                .follow(g, &l, &mut depth_)
                .map_err(|e| local(&self.c, &child, e))?;
            match &node {
                Node::Group(cg) => {
                    if !self.objs.contains_key(&child) {
                        // Created with its attributes in one request: a reader never sees
                        // a PyMoDAQ group without them.
                        let (map, sent) = self.attr_docs(&child, &node)?;
                        let id = self.c.create_group(&parent, &l.name, &map)?;
                        self.objs.insert(
                            child.clone(),
                            Remote {
                                id,
                                collection: "groups",
                                dims: Vec::new(),
                                digest: None,
                                attrs: sent,
                            },
                        );
                    }
                    groups.push((child.clone(), node.clone()));
                    self.walk(f, cg, &child, depth + 1, groups, datasets)?;
                }
                Node::Dataset(d) => {
                    if !self.objs.contains_key(&child) {
                        let mut doc = dset_doc(&self.c, &child, d)?;
                        if extensible(d) {
                            // Created empty: rows then arrive with their shape (append).
                            if let Some(n) = doc.dims.as_mut().and_then(|x| x.first_mut()) {
                                *n = 0;
                            }
                            // A recording killed mid-request can leave HSDS with rows whose
                            // shape was extended but whose data never came: they read as the
                            // fill value, so make that NaN, never a plausible number.
                            if !self.rehash && matches!(d.datatype, Datatype::FloatingPoint { .. })
                            {
                                doc.fill = Some(types::float_json(f64::NAN));
                            }
                        }
                        let (map, sent) = self.attr_docs(&child, &node)?;
                        let id = self.c.create_dataset(&parent, &l.name, &doc, &map)?;
                        self.objs.insert(
                            child.clone(),
                            Remote {
                                id,
                                collection: "datasets",
                                dims: doc.dims.clone().unwrap_or_default(),
                                digest: None,
                                attrs: sent,
                            },
                        );
                    }
                    datasets.push((child, node));
                }
                Node::Datatype(_) => {
                    return Err(unsupported(
                        &self.c,
                        format!("{child}: committed datatypes"),
                    ))
                }
            }
        }
        Ok(())
    }

    /// The attribute documents of a local object and their digests.
    fn attr_docs(
        &self,
        path: &str,
        node: &Node,
    ) -> HResult<(super::objects::AttrMap, HashMap<String, [u8; 32]>)> {
        let attrs = node
            .object()
            .attributes()
            .map_err(|e| local(&self.c, path, e))?;
        let mut map = serde_json::Map::new();
        let mut sent = HashMap::new();
        for a in &attrs {
            let body = attr_body(&self.c, path, a)?;
            sent.insert(a.name.clone(), digest(body.to_string().as_bytes()));
            map.insert(a.name.clone(), body);
        }
        Ok((map, sent))
    }

    fn send_data(&mut self, path: &str, node: &Node) -> HResult<()> {
        let Node::Dataset(d) = node else {
            return Ok(());
        };
        let Some(r) = self.objs.get(path).cloned() else {
            return Ok(());
        };
        let dims = d.shape().to_vec();
        if d.dataspace.kind == DataspaceKind::Null {
            return Ok(());
        }
        let first_time = r.digest.is_none();
        // An extensible dataset that only grew along dimension 0: append the new rows.
        if extensible(d)
            && r.dims.len() == dims.len()
            && r.dims.get(1..) == dims.get(1..)
            && r.dims.first() <= dims.first()
        {
            let from = r.dims.first().copied().unwrap_or(0);
            let n = dims.first().copied().unwrap_or(0);
            self.append_rows(path, &r.id, d, from..n)?;
            if let Some(x) = self.objs.get_mut(path) {
                x.dims = dims;
                x.digest = Some([0; 32]);
            }
            return Ok(());
        }
        // Whole dataset: on the first sync, and when it changed (savers).
        if !first_time && !self.rehash {
            return Ok(());
        }
        if r.dims != dims {
            self.c.resize(&r.id, &dims)?;
        }
        // The first copy is streamed in slabs without hashing (the content is unknown to
        // the domain anyway); later syncs hash to send only what changed.
        let h = if first_time {
            None
        } else if matches!(d.datatype, Datatype::VarLenSequence { .. }) {
            let v = vlen_rows(&self.c, path, d, 0..dims.first().copied().unwrap_or(0))?;
            Some(digest(v.to_string().as_bytes()))
        } else {
            let raw = d.read_raw().map_err(|e| local(&self.c, path, e))?;
            Some(digest(&raw))
        };
        if first_time || r.digest != h {
            let n = dims.first().copied().unwrap_or(1);
            if dims.is_empty() {
                let raw = d.read_raw().map_err(|e| local(&self.c, path, e))?;
                self.c.write_binary(&r.id, &[], &raw)?;
            } else {
                self.send_rows(path, &r.id, d, 0..n)?;
            }
        }
        let h = h.unwrap_or([0xff; 32]);
        if let Some(x) = self.objs.get_mut(path) {
            x.dims = dims;
            x.digest = Some(h);
        }
        Ok(())
    }

    /// Append rows `rows` (the domain holds `rows.start`), each request extending the shape
    /// together with its rows.
    fn append_rows(&self, path: &str, id: &str, d: &Dataset, rows: Range<u64>) -> HResult<()> {
        if rows.is_empty() || d.shape().iter().skip(1).any(|&x| x == 0) {
            return Ok(());
        }
        self.for_each_slab(
            path,
            d,
            rows,
            |r, v| self.c.append_json(id, r.end - r.start, v),
            |sel, raw| {
                let r = sel.first().cloned().unwrap_or(0..0);
                self.c.append_binary(id, r.end - r.start, raw)
            },
        )
    }

    fn send_rows(&self, path: &str, id: &str, d: &Dataset, rows: Range<u64>) -> HResult<()> {
        if rows.is_empty() || d.shape().contains(&0) {
            return Ok(());
        }
        self.for_each_slab(
            path,
            d,
            rows,
            |r, v| self.c.write_json(id, &[r], v),
            |sel, raw| self.c.write_binary(id, sel, raw),
        )
    }

    /// Rows `rows` of `d` in requests of at most [`SLAB_BYTES`] (4096 rows of a vlen
    /// dataset, as JSON; others as whole-row binary slabs whose selection starts with the rows).
    fn for_each_slab(
        &self,
        path: &str,
        d: &Dataset,
        rows: Range<u64>,
        mut json: impl FnMut(Range<u64>, &J) -> HResult<()>,
        mut binary: impl FnMut(&[Range<u64>], &[u8]) -> HResult<()>,
    ) -> HResult<()> {
        if matches!(d.datatype, Datatype::VarLenSequence { .. }) {
            let mut s = rows.start;
            while s < rows.end {
                let e = rows.end.min(s + 4096);
                let v = vlen_rows(&self.c, path, d, s..e)?;
                json(s..e, &v)?;
                s = e;
            }
            return Ok(());
        }
        let row = d
            .shape()
            .iter()
            .skip(1)
            .try_fold(d.datatype.size(), |a, &x| a.checked_mul(x))
            .ok_or_else(|| unsupported(&self.c, format!("{path}: too large")))?;
        if row > SLAB_BYTES {
            return Err(unsupported(
                &self.c,
                format!("{path}: rows of {row} bytes (more than {SLAB_BYTES} per request)"),
            ));
        }
        let per = (SLAB_BYTES / row.max(1)).max(1);
        let mut s = rows.start;
        while s < rows.end {
            let e = rows.end.min(s.saturating_add(per));
            let mut sel: Vec<Range<u64>> = vec![s..e];
            sel.extend(d.shape().iter().skip(1).map(|&x| 0..x));
            let raw = d
                .read_raw_selection(&sel)
                .map_err(|e| local(&self.c, path, e))?;
            binary(&sel, &raw)?;
            s = e;
        }
        Ok(())
    }
}

/// Whether a dataset grows along dimension 0 only (unlimited first dimension, the others
/// fixed at their size): PyMoDAQ's EARRAYs and VLARRAYs.
fn extensible(d: &Dataset) -> bool {
    let dims = d.shape();
    d.dataspace.kind == DataspaceKind::Simple
        && d.dataspace
            .max_dims
            .as_ref()
            .is_some_and(|m| m.first() == Some(&UNLIMITED) && m.get(1..) == dims.get(1..))
}

fn vlen_rows(c: &Client, path: &str, d: &Dataset, rows: Range<u64>) -> HResult<J> {
    let Datatype::VarLenSequence { base, .. } = &d.datatype else {
        return Ok(J::Null);
    };
    let vals = d.values_selection(&[rows]).map_err(|e| local(c, path, e))?;
    let mut out = Vec::with_capacity(vals.len());
    for v in vals {
        let Value::Sequence(items) = v else {
            return Err(unsupported(c, format!("{path}: not a sequence")));
        };
        let mut row = Vec::with_capacity(items.len());
        for it in items {
            row.push(value_json(c, path, base, &it)?);
        }
        out.push(J::Array(row));
    }
    Ok(J::Array(out))
}

fn value_json(c: &Client, path: &str, _dt: &Datatype, v: &Value) -> HResult<J> {
    Ok(match v {
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::Float { v, .. } => types::float_json(*v),
        Value::Bool(b) => json!(u8::from(*b)),
        Value::Bitfield(b) => json!(b),
        Value::Enum { value, .. } => json!(value),
        Value::FixedString(s) | Value::VarString(s) => {
            J::String(String::from_utf8_lossy(s).into_owned())
        }
        other => return Err(unsupported(c, format!("{path}: vlen rows of {other:?}"))),
    })
}

/// A local dataset's creation document for HSDS.
fn dset_doc(c: &Client, path: &str, d: &Dataset) -> HResult<DsetDoc> {
    let dims = match d.dataspace.kind {
        DataspaceKind::Null => None,
        DataspaceKind::Scalar => Some(Vec::new()),
        DataspaceKind::Simple => Some(d.shape().to_vec()),
    };
    let maxdims = d.dataspace.max_dims.as_ref().map(|m| {
        m.iter()
            .map(|&x| if x == UNLIMITED { None } else { Some(x) })
            .collect::<Vec<_>>()
    });
    let chunks = match &d.layout {
        DataLayout::Chunked(_) => d.chunks().map(<[u64]>::to_vec),
        _ => None,
    };
    let fill = match &d.datatype {
        Datatype::VarLenSequence { .. } | Datatype::VarLenString { .. } => None,
        dt => d
            .fill_value
            .as_ref()
            .and_then(|f| f.value.as_ref())
            .and_then(|v| types::raw_to_element(dt, v).ok()),
    };
    let deflate = d
        .filters
        .filters
        .iter()
        .find(|f| f.id == 1)
        .map(|f| f.client_data.first().copied().unwrap_or(4).min(9));
    if matches!(d.datatype, Datatype::VarLenString { .. }) {
        return Err(unsupported(
            c,
            format!("{path}: variable-length string datasets"),
        ));
    }
    Ok(DsetDoc {
        datatype: d.datatype.clone(),
        dims,
        maxdims,
        chunks,
        fill,
        deflate,
    })
}

/// The PUT body of one attribute: type, shape, and the value (base64 element bytes for
/// fixed-size types, the string for a variable-length string).
fn attr_body(c: &Client, path: &str, a: &crate::hdf5::read::attribute::Attribute) -> HResult<J> {
    let ty = types::datatype_to_json(&a.datatype)
        .map_err(|e| unsupported(c, format!("{path} attribute {}: {e}", a.name)))?;
    let shape = match a.dataspace.kind {
        DataspaceKind::Null => return Ok(json!({"type": ty, "shape": {"class": "H5S_NULL"}})),
        DataspaceKind::Scalar => json!({"class": "H5S_SCALAR"}),
        DataspaceKind::Simple => json!(a.dataspace.dims),
    };
    match &a.datatype {
        Datatype::VarLenString { .. } => {
            let vals = a.values().map_err(|e| local(c, path, e))?;
            let strs: Vec<J> = vals
                .iter()
                .map(|v| match v {
                    Value::VarString(s) => J::String(String::from_utf8_lossy(s).into_owned()),
                    _ => J::Null,
                })
                .collect();
            let value = if a.dataspace.kind == DataspaceKind::Scalar {
                strs.into_iter().next().unwrap_or(J::Null)
            } else {
                nest(strs, &a.dataspace.dims)
            };
            Ok(json!({"type": ty, "shape": shape, "value": value}))
        }
        Datatype::VarLenSequence { .. } => Err(unsupported(
            c,
            format!("{path} attribute {}: variable-length sequences", a.name),
        )),
        _ => Ok(json!({"type": ty, "shape": shape, "encoding": "base64",
            "value": crate::pymodaq::load_json::base64(a.raw())})),
    }
}

/// A flat list as nested lists of `dims`.
fn nest(flat: Vec<J>, dims: &[u64]) -> J {
    match dims {
        [] | [_] => J::Array(flat),
        [_, rest @ ..] => {
            let inner: usize = rest.iter().map(|&d| d as usize).product::<usize>().max(1);
            J::Array(flat.chunks(inner).map(|c| nest(c.to_vec(), rest)).collect())
        }
    }
}
