//! The JSON documents HSDS takes for local objects: a dataset's creation document, an
//! attribute's PUT body, the values of variable-length datasets (nested lists by shape).

use std::ops::Range;

use serde_json::{json, Value as J};

use super::super::error::HResult;
use super::super::http::Client;
use super::super::objects::DsetDoc;
use super::super::types;
use super::{local, unsupported};
use crate::hdf5::message::layout::DataLayout;
use crate::hdf5::read::attribute::Attribute;
use crate::hdf5::read::{Dataset, DataspaceKind, Datatype, Value, UNLIMITED};

/// Whether a dataset grows along dimension 0 only (unlimited first dimension, the others
/// fixed at their size): PyMoDAQ's EARRAYs and VLARRAYs.
pub(super) fn extensible(d: &Dataset) -> bool {
    let dims = d.shape();
    d.dataspace.kind == DataspaceKind::Simple
        && d.dataspace
            .max_dims
            .as_ref()
            .is_some_and(|m| m.first() == Some(&UNLIMITED) && m.get(1..) == dims.get(1..))
}

/// Variable-length datasets (sequences, strings) travel as JSON.
pub(super) fn is_vlen(dt: &Datatype) -> bool {
    matches!(
        dt,
        Datatype::VarLenSequence { .. } | Datatype::VarLenString { .. }
    )
}

/// The JSON value of selection `sel` of a variable-length dataset (nested lists by the
/// selection's shape; the bare value for a scalar).
pub(super) fn vlen_json(c: &Client, path: &str, d: &Dataset, sel: &[Range<u64>]) -> HResult<J> {
    let vals = if sel.is_empty() {
        d.values().map_err(|e| local(c, path, e))?
    } else {
        d.values_selection(sel).map_err(|e| local(c, path, e))?
    };
    let mut out = Vec::with_capacity(vals.len());
    for v in vals {
        out.push(match (&d.datatype, v) {
            (Datatype::VarLenSequence { base, .. }, Value::Sequence(items)) => {
                let mut row = Vec::with_capacity(items.len());
                for it in items {
                    row.push(value_json(c, path, base, &it)?);
                }
                J::Array(row)
            }
            (Datatype::VarLenString { .. }, Value::VarString(b)) => {
                J::String(String::from_utf8_lossy(&b).into_owned())
            }
            (_, other) => {
                return Err(unsupported(
                    c,
                    format!("{path}: variable-length value {other:?}"),
                ))
            }
        });
    }
    if sel.is_empty() {
        return Ok(out.into_iter().next().unwrap_or(J::Null));
    }
    let dims: Vec<u64> = sel.iter().map(|r| r.end - r.start).collect();
    Ok(nest(out, &dims))
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
pub(super) fn dset_doc(c: &Client, path: &str, d: &Dataset) -> HResult<DsetDoc> {
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
    // HSDS stores compounds packed (h5pyd drops a NumPy dtype's padding): the packed type,
    // values repacked (`for_each_slab`).
    let packed = types::packed(&d.datatype);
    let dt = packed.clone().unwrap_or_else(|| d.datatype.clone());
    let fill = match &d.datatype {
        Datatype::VarLenSequence { .. } | Datatype::VarLenString { .. } => None,
        local_dt => d
            .fill_value
            .as_ref()
            .and_then(|f| f.value.as_ref())
            .and_then(|v| {
                let mut p = Vec::new();
                types::repack(local_dt, v, &mut p).ok()?;
                types::raw_to_element(&dt, &p).ok()
            }),
    };
    let deflate = d
        .filters
        .filters
        .iter()
        .find(|f| f.id == 1)
        .map(|f| f.client_data.first().copied().unwrap_or(4).min(9));
    // A type with no HSDS form (references, bitfields wider than a byte...) is refused here,
    // naming the dataset.
    types::datatype_to_json(&dt).map_err(|e| unsupported(c, format!("{path}: {e}")))?;
    Ok(DsetDoc {
        datatype: dt,
        dims,
        maxdims,
        chunks,
        fill,
        deflate,
    })
}

/// The PUT body of one attribute: type, shape, and the value (base64 element bytes for
/// fixed-size types, the string for a variable-length string).
pub(super) fn attr_body(c: &Client, path: &str, a: &Attribute) -> HResult<J> {
    let packed = types::packed(&a.datatype);
    let ty = types::datatype_to_json(packed.as_ref().unwrap_or(&a.datatype))
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
        dt => match packed {
            Some(_) => {
                let mut raw = Vec::new();
                types::repack(dt, a.raw(), &mut raw)
                    .map_err(|e| unsupported(c, format!("{path} attribute {}: {e}", a.name)))?;
                Ok(json!({"type": ty, "shape": shape, "encoding": "base64",
                    "value": crate::pymodaq::load_json::base64(&raw)}))
            }
            None => Ok(json!({"type": ty, "shape": shape, "encoding": "base64",
                "value": crate::pymodaq::load_json::base64(a.raw())})),
        },
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
