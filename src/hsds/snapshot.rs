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

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use serde_json::Value as J;

use super::error::{HResult, HsdsError};
use super::http::Client;
use super::objects::{AttrDoc, DsetDoc, LinkTarget};
use super::types;
use crate::hdf5::message::datatype::Datatype;
use crate::hdf5::read::File;
use crate::hdf5::write::{AttrValue, DatasetBuilder, Dtype, MemWriteStorage, WriteOptions, Writer};
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
    copy_domain(c, w, limits)?;
    File::from_bytes_with_limits(mem.bytes(), *limits)
        .map(File::read_as_h5py)
        .map_err(|e| local(c, "/", e))
}

/// Write the domain to a new HDF5 file at `path` (`export`): what h5pyd reads from the
/// domain, h5py reads from the file.
pub fn download(c: &Client, path: &Path, limits: &Limits) -> HResult<()> {
    let w = Writer::create(path, opts(limits)).map_err(|e| local(c, "/", e))?;
    copy_domain(c, w, limits)
}

fn opts(limits: &Limits) -> WriteOptions {
    WriteOptions {
        pytables: false,
        limits: *limits,
        ..WriteOptions::default()
    }
}

struct Budget {
    bytes: u64,
    objects: u64,
}

fn copy_domain(c: &Client, mut w: Writer, limits: &Limits) -> HResult<()> {
    let root = c.root_id()?;
    let mut seen = HashSet::new();
    seen.insert(root.clone());
    let mut budget = Budget {
        bytes: 0,
        objects: 0,
    };
    copy_attrs(c, &mut w, "groups", &root, "/", limits)?;
    copy_group(c, &mut w, &root, "/", 0, &mut seen, &mut budget, limits)?;
    w.close().map_err(|e| local(c, "/", e))
}

#[allow(clippy::too_many_arguments)]
fn copy_group(
    c: &Client,
    w: &mut Writer,
    id: &str,
    path: &str,
    depth: u32,
    seen: &mut HashSet<String>,
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
            LinkTarget::Soft(t) => return Err(unsupported(c, format!("soft link {child} -> {t}"))),
            LinkTarget::External { domain, path } => {
                return Err(unsupported(
                    c,
                    format!("external link {child} -> {domain}:{path}"),
                ))
            }
        };
        if !seen.insert(oid.clone()) {
            return Err(unsupported(
                c,
                format!("{child}: an object linked twice (or a cycle)"),
            ));
        }
        match collection {
            "groups" => {
                w.create_group(&child).map_err(|e| local(c, &child, e))?;
                copy_attrs(c, w, "groups", &oid, &child, limits)?;
                copy_group(c, w, &oid, &child, depth + 1, seen, budget, limits)?;
            }
            "datasets" => {
                copy_dataset(c, w, &oid, &child, budget, limits)?;
                copy_attrs(c, w, "datasets", &oid, &child, limits)?;
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
    limits: &Limits,
) -> HResult<()> {
    let attrs = c.attributes(collection, id, limits.max_messages as usize)?;
    let mut vals = Vec::with_capacity(attrs.len());
    for a in &attrs {
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

fn copy_dataset(
    c: &Client,
    w: &mut Writer,
    id: &str,
    path: &str,
    budget: &mut Budget,
    limits: &Limits,
) -> HResult<()> {
    let d = c.dataset(id)?;
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
            return Err(unsupported(
                c,
                format!("{path}: variable-length values other than rank-1 sequences"),
            ))
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
