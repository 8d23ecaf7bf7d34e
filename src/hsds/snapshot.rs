//! Read a whole domain into an HDF5 image (in memory, or a file for `export`) that the file
//! engine, the PyMoDAQ backend and every reading command use unchanged.
//!
//! The image is written by our own writer without PyTables tags (`pytables: false`) and read
//! as h5py reads (`File::read_as_h5py`), as PyMoDAQ reads any domain through h5pyd, even one
//! that carries PyTables' root attributes (a PyTables file imported). Values travel in HSDS's
//! binary format (fixed-size types, in slabs of at most [`SLAB_BYTES`]) or as JSON
//! (variable-length rows). The image's data bytes are capped by `Limits::max_alloc`, the
//! object count by `Limits::max_messages`, the depth by `Limits::max_group_depth`.

// A selection is one range per dimension: a one-range selection of a rank-1 dataset is meant.
#![allow(clippy::single_range_in_vec_init)]

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde_json::Value as J;

use super::error::{HResult, HsdsError};
use super::http::Client;
use super::objects::{AttrDoc, DsetDoc, LinkTarget};
use super::types;
use crate::hdf5::message::datatype::Datatype;
use crate::hdf5::read::File;
use crate::hdf5::write::{
    AttrValue, DatasetBuilder, Dtype, MemWriteStorage, Profile, WriteOptions, Writer,
};
use crate::Limits;

/// Largest binary read of one request.
pub const SLAB_BYTES: u64 = 16 << 20;

use super::upload::{protocol, unsupported};

fn local(c: &Client, path: &str, e: crate::Error) -> HsdsError {
    protocol(c, format!("{path}: {e}"))
}

/// The domain as an HDF5 file in memory.
pub fn snapshot(c: &Client, limits: &Limits) -> HResult<File> {
    let mem = MemWriteStorage::new();
    let w =
        Writer::with_storage(Box::new(mem.clone()), opts(limits)).map_err(|e| local(c, "/", e))?;
    copy_domain(c, w, limits, true)?;
    File::from_bytes_with_limits(mem.bytes(), *limits)
        .map(File::read_as_h5py)
        .map_err(|e| local(c, "/", e))
}

/// Write the domain to a new HDF5 file at `path` (`export`, `record --append`'s spool):
/// what h5pyd reads from the domain, h5py reads from the file (rows beyond a live
/// recording's commit included, which `record --append` repairs).
pub fn download(c: &Client, path: &Path, limits: &Limits) -> HResult<()> {
    let w = Writer::create(path, opts(limits)).map_err(|e| local(c, "/", e))?;
    copy_domain(c, w, limits, false)
}

fn opts(limits: &Limits) -> WriteOptions {
    WriteOptions {
        // Groups of Link messages: soft and external links exist only so.
        profile: Profile::Hdf5V110,
        pytables: false,
        limits: *limits,
        ..WriteOptions::default()
    }
}

struct Budget {
    bytes: u64,
    objects: u64,
}

/// What the walk learns for the end: object references are stored as header addresses,
/// known once every object of the domain is in the image.
#[derive(Default)]
struct Walk {
    /// Object id -> the image path it was first written at.
    seen: HashMap<String, String>,
    /// Reference datasets: image path, HSDS id, dims.
    ref_datasets: Vec<(String, String, Vec<u64>)>,
    /// Reference attributes: image path of their object, the attribute.
    ref_attrs: Vec<(String, AttrDoc)>,
    /// PyMoDAQ EARRAYs: image path, extent, rows committed (see [`cut_uncommitted`]).
    earrays: Vec<(String, u64, u64)>,
    /// Whether uncommitted rows are cut ([`cut_uncommitted`]): those arrays are read up to
    /// their committed rows only (a live recording's extent runs far ahead of its rows).
    cut: bool,
}

/// `committed`: keep only the committed rows of a live recording ([`cut_uncommitted`]).
fn copy_domain(c: &Client, mut w: Writer, limits: &Limits, committed: bool) -> HResult<()> {
    let root = c.root_id()?;
    let mut walk = Walk {
        cut: committed,
        ..Walk::default()
    };
    walk.seen.insert(root.clone(), "/".into());
    let mut budget = Budget {
        bytes: 0,
        objects: 0,
    };
    copy_attrs(c, &mut w, "groups", &root, "/", &mut walk, limits)?;
    copy_group(c, &mut w, &root, "/", 0, &mut walk, &mut budget, limits)?;
    if committed {
        cut_uncommitted(c, &mut w, &walk)?;
    }
    write_references(c, &mut w, &walk, &mut budget, limits)?;
    w.close().map_err(|e| local(c, "/", e))
}

/// The image address of the object a reference value names (`groups/g-...`,
/// `datasets/d-...` in dataset values, a bare id in attributes; empty: a null reference).
fn ref_address(c: &Client, w: &mut Writer, walk: &Walk, v: &J, at: &str) -> HResult<u64> {
    let s = v
        .as_str()
        .ok_or_else(|| protocol(c, format!("{at}: reference value {v} is not a string")))?;
    if s.is_empty() {
        return Ok(0);
    }
    let id = s.rsplit('/').next().unwrap_or(s);
    let path = walk.seen.get(id).ok_or_else(|| {
        unsupported(
            c,
            format!("{at}: a reference to {s}, an object not linked in the domain"),
        )
    })?;
    w.object_address(path).map_err(|e| local(c, at, e))
}

fn ref_values(
    c: &Client,
    w: &mut Writer,
    walk: &Walk,
    v: &J,
    dims: &[u64],
    at: &str,
    out: &mut Vec<u8>,
) -> HResult<()> {
    match dims.split_first() {
        None => {
            let a = ref_address(c, w, walk, v, at)?;
            out.extend_from_slice(&a.to_le_bytes());
            Ok(())
        }
        Some((&n, rest)) => {
            let a = v
                .as_array()
                .filter(|a| a.len() as u64 == n)
                .ok_or_else(|| protocol(c, format!("{at}: value is not a list of {n} items")))?;
            a.iter()
                .try_for_each(|x| ref_values(c, w, walk, x, rest, at, out))
        }
    }
}

/// Object reference datasets and attributes, once every object has its address.
fn write_references(
    c: &Client,
    w: &mut Writer,
    walk: &Walk,
    budget: &mut Budget,
    limits: &Limits,
) -> HResult<()> {
    for (path, id, dims) in &walk.ref_datasets {
        let ds = w.dataset(path).map_err(|e| local(c, path, e))?;
        if dims.contains(&0) {
            continue;
        }
        let Some((&n0, rest)) = dims.split_first() else {
            let v = c.read_json(id, &[])?;
            let mut raw = Vec::new();
            ref_values(c, w, walk, &v, &[], path, &mut raw)?;
            w.write_slice_raw(&ds, &[], &raw)
                .map_err(|e| local(c, path, e))?;
            continue;
        };
        let row: u64 = rest
            .iter()
            .try_fold(1u64, |a, &x| a.checked_mul(x))
            .unwrap_or(u64::MAX);
        charge(c, budget, row.saturating_mul(n0).saturating_mul(8), limits)?;
        let step = (JSON_ELEMENTS / row.max(1)).max(1);
        let mut start = 0;
        while start < n0 {
            let end = n0.min(start.saturating_add(step));
            let mut sel: Vec<Range<u64>> = vec![start..end];
            sel.extend(rest.iter().map(|&x| 0..x));
            let v = c.read_json(id, &sel)?;
            let mut d = vec![end - start];
            d.extend_from_slice(rest);
            let mut raw = Vec::new();
            ref_values(c, w, walk, &v, &d, path, &mut raw)?;
            w.write_slice_raw(&ds, &sel, &raw)
                .map_err(|e| local(c, path, e))?;
            start = end;
        }
    }
    for (path, a) in &walk.ref_attrs {
        let dims = a.dims.clone().unwrap_or_default();
        let mut data = Vec::new();
        ref_values(
            c,
            w,
            walk,
            &a.value,
            &dims,
            &format!("{path} attribute {}", a.name),
            &mut data,
        )?;
        let v = AttrValue::Raw {
            dtype: Dtype::Custom(a.datatype.clone()),
            shape: dims,
            data,
        };
        w.set_attrs(path, &[(a.name.as_str(), v)])
            .map_err(|e| local(c, path, e))?;
    }
    Ok(())
}

/// Elements per JSON value request (variable-length strings, references).
const JSON_ELEMENTS: u64 = 4096;

/// Whether a reference hides inside `dt` (a compound member, an array or vlen base): the
/// binary transfer gives HSDS's 48-byte id strings there, which the image cannot hold.
fn nested_reference(dt: &Datatype) -> bool {
    !matches!(dt, Datatype::Reference { .. }) && dt.has_reference()
}

#[allow(clippy::too_many_arguments)]
fn copy_group(
    c: &Client,
    w: &mut Writer,
    id: &str,
    path: &str,
    depth: u32,
    walk: &mut Walk,
    budget: &mut Budget,
    limits: &Limits,
) -> HResult<()> {
    if depth >= limits.max_group_depth {
        return Err(HsdsError::TooLarge {
            url: c.url().to_string(),
            what: format!("group nesting at {path}"),
            limit: u64::from(limits.max_group_depth),
        });
    }
    let max_objects = u64::from(limits.max_messages);
    let links = c.links(id, max_objects as usize)?;
    for l in links {
        let child = crate::hdf5::read::file::join_path(path, &l.name);
        if l.name.is_empty() || l.name.contains('/') || l.name == "." {
            return Err(unsupported(c, format!("link name {:?} in {path}", l.name)));
        }
        budget.objects += 1;
        if budget.objects > max_objects {
            return Err(HsdsError::TooLarge {
                url: c.url().to_string(),
                what: "the number of objects".into(),
                limit: max_objects,
            });
        }
        let (oid, collection) = match &l.target {
            LinkTarget::Hard { id, collection } => (id.clone(), collection.as_str()),
            LinkTarget::Soft(t) => {
                w.soft_link(&child, t).map_err(|e| local(c, &child, e))?;
                continue;
            }
            LinkTarget::External { domain, path } => {
                w.external_link(&child, domain, path)
                    .map_err(|e| local(c, &child, e))?;
                continue;
            }
        };
        if let Some(first) = walk.seen.get(&oid) {
            // A second link to an object (a cycle included): the same object in the image.
            w.hard_link(&child, first)
                .map_err(|e| local(c, &child, e))?;
            continue;
        }
        match collection {
            "groups" | "datasets" => {
                walk.seen.insert(oid.clone(), child.clone());
            }
            _ => {}
        }
        match collection {
            "groups" => {
                w.create_group(&child).map_err(|e| local(c, &child, e))?;
                copy_attrs(c, w, "groups", &oid, &child, walk, limits)?;
                copy_group(c, w, &oid, &child, depth + 1, walk, budget, limits)?;
            }
            "datasets" => {
                // The attributes before the values: PyMoDAQ's `shape` attribute, the rows a
                // growing recording has committed, must not count rows read after it.
                let attrs = c.attributes("datasets", &oid, limits.max_messages as usize)?;
                let committed = committed_rows(&attrs);
                let cap = committed.filter(|_| walk.cut);
                let extent = copy_dataset(c, w, &oid, &child, cap, walk, budget, limits)?;
                if let (Some(n), Some(e)) = (committed, extent) {
                    walk.earrays.push((child.clone(), e, n.min(e)));
                }
                set_attrs(c, w, &attrs, &child, walk)?;
            }
            other => return Err(unsupported(c, format!("{child}: a {other} object"))),
        }
    }
    Ok(())
}

/// An attribute document as our writer's value.
pub fn attr_value(a: &AttrDoc) -> Result<AttrValue, String> {
    let Some(dims) = &a.dims else {
        // h5py.Empty: the writer stores a NULL dataspace with a 1-byte string type, which
        // PyMoDAQ reads as it reads any Empty.
        return Ok(AttrValue::Str(String::new()));
    };
    match &a.datatype {
        Datatype::VarLenString { .. } if dims.is_empty() => match &a.value {
            J::String(s) => Ok(AttrValue::VlenStr(s.clone())),
            other => Err(format!("attribute {}: {other} is not a string", a.name)),
        },
        Datatype::VarLenString { .. } | Datatype::VarLenSequence { .. } => Err(format!(
            "attribute {}: arrays of variable-length values",
            a.name
        )),
        dt => {
            let mut data = Vec::new();
            types::flatten(dt, &a.value, dims, &mut data)
                .map_err(|e| format!("attribute {}: {e}", a.name))?;
            Ok(AttrValue::Raw {
                dtype: Dtype::Custom(dt.clone()),
                shape: dims.clone(),
                data,
            })
        }
    }
}

fn copy_attrs(
    c: &Client,
    w: &mut Writer,
    collection: &str,
    id: &str,
    path: &str,
    walk: &mut Walk,
    limits: &Limits,
) -> HResult<()> {
    let attrs = c.attributes(collection, id, limits.max_messages as usize)?;
    set_attrs(c, w, &attrs, path, walk)
}

/// The rows a PyMoDAQ EARRAY says it holds: its `CLASS` is `EARRAY` and its `shape`
/// attribute's first element (PyMoDAQ moves it after the rows it counts are written).
fn committed_rows(attrs: &[AttrDoc]) -> Option<u64> {
    let get = |n: &str| attrs.iter().find(|a| a.name == n).map(|a| &a.value);
    let class = match get("CLASS")? {
        J::String(s) => s.as_str(),
        J::Array(a) if a.len() == 1 => a.first()?.as_str()?,
        _ => return None,
    };
    if class != "EARRAY" {
        return None;
    }
    match get("shape")? {
        J::Array(a) => a.first()?.as_u64(),
        J::Number(n) => n.as_u64(),
        // PyMoDAQ 5's JSON envelope of a tuple: {"module": "builtins", "type": "tuple",
        // "data": "(5264, 1)"}.
        J::String(s) => {
            let env: J = serde_json::from_str(s).ok()?;
            if env.get("type").and_then(J::as_str) != Some("tuple") {
                return None;
            }
            let data = env.get("data")?.as_str()?.trim().strip_prefix('(')?;
            let first = data.split([',', ')']).next()?.trim();
            first.parse().ok()
        }
        _ => None,
    }
}

/// A reader of a growing recording reads one dataset after the other while the writer goes
/// on; each EARRAY's `shape` attribute, read before its values, counts rows that were whole
/// in every array of the recording when it was read (`record` moves them after writing
/// every array's rows). So the EARRAYs grown "extend first" (NaN fill value, as `record`
/// creates its channels and time axis) of one detector (the group holding a `NavAxes`
/// group, whose time axis they share) are cut to the smallest of their committed rows:
/// every channel and the time axis hold the same rows, each written whole. A domain at rest
/// (every EARRAY's extent and `shape` equal, as PyMoDAQ and `record` leave them) is not
/// changed (spec/hsds.md, "Crash semantics").
fn cut_uncommitted(c: &Client, w: &mut Writer, walk: &Walk) -> HResult<()> {
    let detector = |p: &str| -> Option<String> {
        let mut a = p;
        while let Some(i) = a.rfind('/') {
            a = &a[..i];
            let nav = format!("{a}/NavAxes/");
            if walk.earrays.iter().any(|(q, _, _)| q.starts_with(&nav)) {
                return Some(a.to_string());
            }
        }
        None
    };
    let mut least: HashMap<String, u64> = HashMap::new();
    let mut member = Vec::new();
    for (p, extent, committed) in &walk.earrays {
        if let Some(d) = detector(p) {
            let m = least.entry(d.clone()).or_insert(u64::MAX);
            *m = (*m).min(*committed);
            member.push((p, *extent, d));
        }
    }
    for (p, extent, d) in member {
        let Some(&rows) = least.get(&d) else { continue };
        if rows < extent {
            let ds = w.dataset(p).map_err(|e| local(c, p, e))?;
            w.truncate_rows(&ds, rows).map_err(|e| local(c, p, e))?;
        }
    }
    Ok(())
}

fn set_attrs(
    c: &Client,
    w: &mut Writer,
    attrs: &[AttrDoc],
    path: &str,
    walk: &mut Walk,
) -> HResult<()> {
    let mut vals = Vec::with_capacity(attrs.len());
    for a in attrs {
        if matches!(a.datatype, Datatype::Reference { .. }) && a.dims.is_some() {
            walk.ref_attrs.push((path.to_string(), a.clone()));
            continue;
        }
        let v = attr_value(a).map_err(|e| unsupported(c, format!("{path}: {e}")))?;
        vals.push((a.name.as_str(), v));
    }
    if vals.is_empty() {
        return Ok(());
    }
    w.set_attrs(path, &vals).map_err(|e| local(c, path, e))
}

fn clamp_chunks(d: &DsetDoc, dims: &[u64]) -> Option<Vec<u64>> {
    let max: Vec<Option<u64>> = d
        .maxdims
        .clone()
        .unwrap_or_else(|| dims.iter().map(|&x| Some(x)).collect());
    let guess = || -> Vec<u64> {
        dims.iter()
            .zip(&max)
            .map(|(&n, m)| match m {
                Some(m) => (*m).clamp(1, 1024),
                None => n.clamp(1, 1024),
            })
            .collect()
    };
    let chunks = match &d.chunks {
        Some(c) => c.clone(),
        None if d.maxdims.is_some() => guess(),
        None => return None,
    };
    Some(
        chunks
            .iter()
            .zip(&max)
            .map(|(&c, m)| match m {
                Some(m) => c.clamp(1, (*m).max(1)),
                None => c.max(1),
            })
            .collect(),
    )
}

/// Copy a dataset; returns its extent (in the image) when its first dimension is unlimited
/// and its fill value NaN. `cap`: the rows such an array has committed, the most it is read
/// up to.
#[allow(clippy::too_many_arguments)]
fn copy_dataset(
    c: &Client,
    w: &mut Writer,
    id: &str,
    path: &str,
    cap: Option<u64>,
    walk: &mut Walk,
    budget: &mut Budget,
    limits: &Limits,
) -> HResult<Option<u64>> {
    let mut d = c.dataset(id)?;
    // Only arrays grown "extend first" (a NaN fill value: rows extended but not yet written
    // read as NaN) can hold rows beyond their commit marker that are not whole.
    let grown =
        matches!(&d.maxdims, Some(m) if m.first() == Some(&None)) && super::upload::fill_is_nan(&d);
    let extent = match d.dims.as_mut().and_then(|x| x.first_mut()) {
        Some(n) if grown => {
            // Rows beyond the committed ones are cut anyway: not read.
            if let Some(k) = cap {
                *n = (*n).min(k);
            }
            Some(*n)
        }
        _ => None,
    };
    // What the shape claims is checked before the image's dataset is made.
    if let Some(dims) = &d.dims {
        let total = dims
            .iter()
            .try_fold(d.datatype.size(), |a, &x| a.checked_mul(x));
        if total.is_none_or(|t| budget.bytes.saturating_add(t) > limits.max_alloc) {
            return Err(HsdsError::TooLarge {
                url: c.url().to_string(),
                what: format!("{path}: the domain's data"),
                limit: limits.max_alloc,
            });
        }
    }
    copy_dataset_doc(c, w, id, path, d, walk, budget, limits)?;
    Ok(extent)
}

#[allow(clippy::too_many_arguments)]
fn copy_dataset_doc(
    c: &Client,
    w: &mut Writer,
    id: &str,
    path: &str,
    d: DsetDoc,
    walk: &mut Walk,
    budget: &mut Budget,
    limits: &Limits,
) -> HResult<()> {
    if nested_reference(&d.datatype) {
        return Err(unsupported(
            c,
            format!("{path}: references inside a compound, array or sequence"),
        ));
    }
    let Some(dims) = d.dims.clone() else {
        return Err(unsupported(
            c,
            format!("{path}: a dataset with a NULL dataspace"),
        ));
    };
    let rank = dims.len();
    let mut b = match &d.datatype {
        Datatype::VarLenSequence { .. } if rank == 1 => {
            // Rows are appended, so the image's dataset grows from 0.
            DatasetBuilder::new(Dtype::Custom(d.datatype.clone()))
                .shape(&[0])
                .max_shape(&[None])
                .chunks(&[d
                    .chunks
                    .as_ref()
                    .and_then(|c| c.first().copied())
                    .unwrap_or(1024)
                    .clamp(1, 1 << 16)])
        }
        Datatype::VarLenSequence { .. } | Datatype::VarLenString { .. } => {
            return copy_vlen_values(c, w, id, path, &d, &dims, budget, limits);
        }
        Datatype::Reference { .. } => {
            let mut b = DatasetBuilder::new(Dtype::Custom(d.datatype.clone())).shape(&dims);
            if let Some(m) = &d.maxdims {
                b = b.max_shape(m);
            }
            if let Some(ch) = clamp_chunks(&d, &dims) {
                b = b.chunks(&ch);
            }
            w.create_dataset(path, b).map_err(|e| local(c, path, e))?;
            walk.ref_datasets
                .push((path.to_string(), id.to_string(), dims.clone()));
            return Ok(());
        }
        dt => {
            let mut b = DatasetBuilder::new(Dtype::Custom(dt.clone())).shape(&dims);
            if let Some(m) = &d.maxdims {
                b = b.max_shape(m);
            }
            if let Some(ch) = clamp_chunks(&d, &dims) {
                b = b.chunks(&ch);
            }
            if let Some(f) = &d.fill {
                let mut raw = Vec::new();
                if types::element_to_raw(dt, f, &mut raw).is_ok() {
                    b = b.fill_value(&raw);
                }
            }
            b
        }
    };
    if let Some(l) = d.deflate {
        b = b.deflate(l);
    }
    let ds = w.create_dataset(path, b).map_err(|e| local(c, path, e))?;
    let n0 = dims.first().copied().unwrap_or(1);
    if matches!(d.datatype, Datatype::VarLenSequence { .. }) {
        let Datatype::VarLenSequence { base, .. } = &d.datatype else {
            return Ok(());
        };
        // JSON rows, a few thousand per request.
        let step = 4096u64;
        let mut start = 0;
        while start < n0 {
            let end = n0.min(start + step);
            let v = c.read_json(id, &[start..end])?;
            let rows = v
                .as_array()
                .filter(|a| a.len() as u64 == end - start)
                .ok_or_else(|| HsdsError::Protocol {
                    url: c.url().to_string(),
                    reason: format!("{path}: value is not a list of {} rows", end - start),
                })?;
            let mut raws = Vec::with_capacity(rows.len());
            for r in rows {
                let items = r.as_array().map(Vec::len).unwrap_or(0) as u64;
                let mut raw = Vec::new();
                types::flatten(base, r, &[items], &mut raw)
                    .map_err(|e| unsupported(c, format!("{path}: {e}")))?;
                charge(c, budget, raw.len() as u64, limits)?;
                raws.push(raw);
            }
            let refs: Vec<&[u8]> = raws.iter().map(Vec::as_slice).collect();
            w.append_vlen(&ds, &refs).map_err(|e| local(c, path, e))?;
            start = end;
        }
        return Ok(());
    }
    let elem = d.datatype.size();
    let row: u64 = dims
        .iter()
        .skip(1)
        .try_fold(elem, |a, &x| a.checked_mul(x))
        .ok_or_else(|| unsupported(c, format!("{path}: too large")))?;
    if dims.contains(&0) {
        return Ok(());
    }
    charge(c, budget, row.saturating_mul(n0), limits)?;
    if rank == 0 {
        let raw = c.read_binary(id, &[], elem)?;
        return w
            .write_slice_raw(&ds, &[], &raw)
            .map_err(|e| local(c, path, e));
    }
    let rows_per = (SLAB_BYTES / row.max(1)).max(1);
    if row > SLAB_BYTES {
        return Err(unsupported(
            c,
            format!("{path}: rows of {row} bytes (more than {SLAB_BYTES} per request)"),
        ));
    }
    let mut start = 0;
    while start < n0 {
        let end = n0.min(start.saturating_add(rows_per));
        let mut sel: Vec<Range<u64>> = vec![start..end];
        sel.extend(dims.iter().skip(1).map(|&x| 0..x));
        let raw = c.read_binary(id, &sel, row * (end - start))?;
        w.write_slice_raw(&ds, &sel, &raw)
            .map_err(|e| local(c, path, e))?;
        start = end;
    }
    Ok(())
}

fn charge(c: &Client, budget: &mut Budget, n: u64, limits: &Limits) -> HResult<()> {
    budget.bytes = budget.bytes.saturating_add(n);
    if budget.bytes > limits.max_alloc {
        return Err(HsdsError::TooLarge {
            url: c.url().to_string(),
            what: "the domain's data".into(),
            limit: limits.max_alloc,
        });
    }
    Ok(())
}

/// A variable-length string dataset (any rank) or a sequence dataset other than rank 1:
/// chunked in the image (compact when scalar), values as JSON in requests of at most
/// [`JSON_ELEMENTS`] elements, each batch one global heap collection.
#[allow(clippy::too_many_arguments)]
fn copy_vlen_values(
    c: &Client,
    w: &mut Writer,
    id: &str,
    path: &str,
    d: &DsetDoc,
    dims: &[u64],
    budget: &mut Budget,
    limits: &Limits,
) -> HResult<()> {
    let mut b = DatasetBuilder::new(Dtype::Custom(d.datatype.clone())).shape(dims);
    if let Some(m) = &d.maxdims {
        b = b.max_shape(m);
    }
    b = match (dims.is_empty(), clamp_chunks(d, dims)) {
        (true, _) => b.compact(),
        (false, Some(ch)) => b.chunks(&ch),
        (false, None) => {
            let ch: Vec<u64> = dims.iter().map(|&n| n.clamp(1, 1024)).collect();
            b.chunks(&ch)
        }
    };
    if let Some(l) = d.deflate {
        b = b.deflate(l);
    }
    let ds = w.create_dataset(path, b).map_err(|e| local(c, path, e))?;
    if dims.contains(&0) {
        return Ok(());
    }
    let (n0, rest) = match dims.split_first() {
        Some((&n0, rest)) => (n0, rest),
        None => (1, &[][..]),
    };
    let row: u64 = rest
        .iter()
        .try_fold(1u64, |a, &x| a.checked_mul(x))
        .ok_or_else(|| unsupported(c, format!("{path}: too large")))?;
    let step = (JSON_ELEMENTS / row.max(1)).max(1);
    let mut start = 0;
    while start < n0 {
        let end = n0.min(start.saturating_add(step));
        let mut sel: Vec<Range<u64>> = Vec::new();
        let mut shape = Vec::new();
        if !dims.is_empty() {
            sel.push(start..end);
            sel.extend(rest.iter().map(|&x| 0..x));
            shape.push(end - start);
            shape.extend_from_slice(rest);
        }
        let v = c.read_json(id, &sel)?;
        let mut items: Vec<Vec<u8>> = Vec::new();
        vlen_items(&d.datatype, &v, &shape, &mut items)
            .map_err(|e| unsupported(c, format!("{path}: {e}")))?;
        let bytes: u64 = items.iter().map(|i| i.len() as u64 + 16).sum();
        charge(c, budget, bytes, limits)?;
        let refs: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
        w.write_vlen_slice(&ds, &sel, &refs)
            .map_err(|e| local(c, path, e))?;
        start = end;
    }
    Ok(())
}

/// The elements of a JSON value of shape `dims` as vlen items: a string's UTF-8 bytes, a
/// sequence's base elements.
fn vlen_items(dt: &Datatype, v: &J, dims: &[u64], out: &mut Vec<Vec<u8>>) -> Result<(), String> {
    match dims.split_first() {
        None => {
            out.push(match dt {
                Datatype::VarLenString { .. } => match v {
                    J::String(s) => s.as_bytes().to_vec(),
                    J::Null => Vec::new(),
                    other => return Err(format!("{other} is not a string")),
                },
                Datatype::VarLenSequence { base, .. } => {
                    let n = v.as_array().map(Vec::len).unwrap_or(0) as u64;
                    let mut raw = Vec::new();
                    types::flatten(base, v, &[n], &mut raw)?;
                    raw
                }
                _ => return Err("not a variable-length type".into()),
            });
            Ok(())
        }
        Some((&n, rest)) => {
            let a = v
                .as_array()
                .filter(|a| a.len() as u64 == n)
                .ok_or_else(|| format!("value is not a list of {n} items"))?;
            a.iter().try_for_each(|x| vlen_items(dt, x, rest, out))
        }
    }
}
