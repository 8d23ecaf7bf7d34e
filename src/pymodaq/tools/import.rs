//! JSON descriptions of PyMoDAQ objects (the `<dwa>`, `<axis>`, `<array>` and attribute
//! values of `load --json`) turned back into the data model, and `pymodaq-h5 import`.
//!
//! Every error names the JSON path of the problem (`data[2].axes[0].index: ...`).

use std::path::Path;

use serde_json::Value as J;

use crate::pymodaq::attrs::pyliteral::PyValue;
use crate::pymodaq::model::{
    Axis, DType, DataDistribution, DataSource, DataToExport, DataWithAxes, DwaArgs, NdArray,
};
use crate::pymodaq::save::{Flavour, H5Saver, InitOptions, SaveType};

/// A problem in a JSON description: the JSON path and the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonError {
    /// Where (`data[0].axes[1].index`).
    pub path: String,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{}: {}", self.path, self.reason)
        }
    }
}

impl std::error::Error for JsonError {}

type JResult<T> = std::result::Result<T, JsonError>;

fn err<T>(path: &str, reason: impl Into<String>) -> JResult<T> {
    Err(JsonError {
        path: path.to_string(),
        reason: reason.into(),
    })
}

fn sub(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn idx(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

fn get<'a>(v: &'a J, path: &str, key: &str) -> JResult<Option<&'a J>> {
    match v {
        J::Object(m) => Ok(m.get(key).filter(|x| !x.is_null())),
        _ => err(path, "expected an object"),
    }
}

fn req<'a>(v: &'a J, path: &str, key: &str) -> JResult<&'a J> {
    get(v, path, key)?.ok_or_else(|| JsonError {
        path: sub(path, key),
        reason: "required".into(),
    })
}

fn as_str<'a>(v: &'a J, path: &str) -> JResult<&'a str> {
    v.as_str().ok_or_else(|| JsonError {
        path: path.into(),
        reason: "expected a string".into(),
    })
}

fn opt_str(v: &J, path: &str, key: &str, default: &str) -> JResult<String> {
    match get(v, path, key)? {
        Some(x) => Ok(as_str(x, &sub(path, key))?.to_string()),
        None => Ok(default.to_string()),
    }
}

fn as_usize(v: &J, path: &str) -> JResult<usize> {
    v.as_u64()
        .and_then(|x| usize::try_from(x).ok())
        .ok_or_else(|| JsonError {
            path: path.into(),
            reason: format!("expected a non-negative integer, got {v}"),
        })
}

/// The list `key` of `v` (`None` when absent or null), each item converted by
/// `f(item, item's path)`.
fn opt_list<T>(
    v: &J,
    path: &str,
    key: &str,
    f: impl Fn(&J, &str) -> JResult<T>,
) -> JResult<Option<Vec<T>>> {
    let Some(x) = get(v, path, key)? else {
        return Ok(None);
    };
    let p = sub(path, key);
    as_list(x, &p)?
        .iter()
        .enumerate()
        .map(|(i, item)| f(item, &idx(&p, i)))
        .collect::<JResult<_>>()
        .map(Some)
}

fn as_list<'a>(v: &'a J, path: &str) -> JResult<&'a Vec<J>> {
    v.as_array().ok_or_else(|| JsonError {
        path: path.into(),
        reason: "expected a list".into(),
    })
}

/// A number as the documents write them (`"nan"`, `"inf"`, `"-inf"` for non-finite).
pub fn f64_from_json(v: &J, path: &str) -> JResult<f64> {
    match v {
        J::Number(n) => n.as_f64().ok_or_else(|| JsonError {
            path: path.into(),
            reason: "number out of range".into(),
        }),
        J::String(s) => match s.as_str() {
            "nan" => Ok(f64::NAN),
            "inf" => Ok(f64::INFINITY),
            "-inf" => Ok(f64::NEG_INFINITY),
            _ => err(path, format!("expected a number, got {s:?}")),
        },
        J::Bool(b) => Ok(f64::from(u8::from(*b))),
        other => err(path, format!("expected a number, got {other}")),
    }
}

/// An attribute value: JSON scalars/lists, `{"$tuple": [...]}`, `{"$bytes_b64": ...}`,
/// `{"$dict": {...}}`.
pub fn py_from_json(v: &J, path: &str) -> JResult<PyValue> {
    Ok(match v {
        J::Null => PyValue::None,
        J::Bool(b) => PyValue::Bool(*b),
        J::Number(n) => {
            if let Some(i) = n.as_i64() {
                PyValue::Int(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                PyValue::Int(i128::from(u))
            } else {
                PyValue::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        J::String(s) => PyValue::Str(s.clone()),
        J::Array(items) => PyValue::List(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| py_from_json(x, &idx(path, i)))
                .collect::<JResult<_>>()?,
        ),
        J::Object(m) => {
            if let Some(t) = m.get("$tuple") {
                let p = sub(path, "$tuple");
                PyValue::Tuple(
                    as_list(t, &p)?
                        .iter()
                        .enumerate()
                        .map(|(i, x)| py_from_json(x, &idx(&p, i)))
                        .collect::<JResult<_>>()?,
                )
            } else if let Some(b) = m.get("$bytes_b64") {
                let p = sub(path, "$bytes_b64");
                PyValue::Bytes(base64_decode(as_str(b, &p)?).ok_or_else(|| JsonError {
                    path: p,
                    reason: "invalid base64".into(),
                })?)
            } else if let Some(d) = m.get("$dict") {
                let p = sub(path, "$dict");
                let J::Object(dm) = d else {
                    return err(&p, "expected an object");
                };
                PyValue::Dict(
                    dm.iter()
                        .map(|(k, x)| Ok((PyValue::Str(k.clone()), py_from_json(x, &sub(&p, k))?)))
                        .collect::<JResult<_>>()?,
                )
            } else {
                return err(
                    path,
                    "objects must be {\"$tuple\": ..}, {\"$bytes_b64\": ..} or {\"$dict\": ..}",
                );
            }
        }
    })
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => continue,
            b'\n' | b'\r' | b' ' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn dtype_from_name(s: &str) -> Option<DType> {
    Some(match s {
        "bool" => DType::Bool,
        "int8" => DType::Int8,
        "int16" => DType::Int16,
        "int32" => DType::Int32,
        "int64" => DType::Int64,
        "uint8" => DType::UInt8,
        "uint16" => DType::UInt16,
        "uint32" => DType::UInt32,
        "uint64" => DType::UInt64,
        "float16" => DType::Float16,
        "float32" => DType::Float32,
        "float64" => DType::Float64,
        "complex64" => DType::Complex64,
        "complex128" => DType::Complex128,
        _ => return None,
    })
}

fn int_from_json(v: &J, path: &str, lo: i128, hi: i128) -> JResult<i128> {
    let x: i128 = if let Some(i) = v.as_i64() {
        i128::from(i)
    } else if let Some(u) = v.as_u64() {
        i128::from(u)
    } else if let J::Bool(b) = v {
        i128::from(*b)
    } else {
        return err(path, format!("expected an integer, got {v}"));
    };
    if x < lo || x > hi {
        return err(path, format!("{x} does not fit the array's dtype"));
    }
    Ok(x)
}

/// `<array>`: `{"shape", "dtype", "values"}` (full C-order values).
pub fn array_from_json(v: &J, path: &str) -> JResult<NdArray> {
    let shape: Vec<usize> = as_list(req(v, path, "shape")?, &sub(path, "shape"))?
        .iter()
        .enumerate()
        .map(|(i, x)| as_usize(x, &idx(&sub(path, "shape"), i)))
        .collect::<JResult<_>>()?;
    let dpath = sub(path, "dtype");
    let dname = as_str(req(v, path, "dtype")?, &dpath)?;
    let dtype = dtype_from_name(dname).ok_or_else(|| JsonError {
        path: dpath,
        reason: format!("unsupported dtype {dname:?}"),
    })?;
    let vpath = sub(path, "values");
    let values = match get(v, path, "values")? {
        Some(x) => as_list(x, &vpath)?,
        None => return err(&vpath, "required (full values; `head` is not enough)"),
    };
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| JsonError {
            path: sub(path, "shape"),
            reason: "too large".into(),
        })?;
    if values.len() != n {
        return err(
            &vpath,
            format!("{} values for shape {shape:?} ({n} expected)", values.len()),
        );
    }
    let mut bytes = Vec::with_capacity(n.saturating_mul(dtype.size()));
    for (i, x) in values.iter().enumerate() {
        let p = idx(&vpath, i);
        match dtype {
            DType::Bool => match x {
                J::Bool(b) => bytes.push(u8::from(*b)),
                _ => bytes.push(u8::from(int_from_json(x, &p, 0, 1)? != 0)),
            },
            DType::Int8 => bytes.extend(
                (int_from_json(x, &p, i8::MIN.into(), i8::MAX.into())? as i8).to_le_bytes(),
            ),
            DType::Int16 => bytes.extend(
                (int_from_json(x, &p, i16::MIN.into(), i16::MAX.into())? as i16).to_le_bytes(),
            ),
            DType::Int32 => bytes.extend(
                (int_from_json(x, &p, i32::MIN.into(), i32::MAX.into())? as i32).to_le_bytes(),
            ),
            DType::Int64 => bytes.extend(
                (int_from_json(x, &p, i64::MIN.into(), i64::MAX.into())? as i64).to_le_bytes(),
            ),
            DType::UInt8 => {
                bytes.extend((int_from_json(x, &p, 0, u8::MAX.into())? as u8).to_le_bytes())
            }
            DType::UInt16 => {
                bytes.extend((int_from_json(x, &p, 0, u16::MAX.into())? as u16).to_le_bytes())
            }
            DType::UInt32 => {
                bytes.extend((int_from_json(x, &p, 0, u32::MAX.into())? as u32).to_le_bytes())
            }
            DType::UInt64 => {
                bytes.extend((int_from_json(x, &p, 0, u64::MAX.into())? as u64).to_le_bytes())
            }
            DType::Float16 => bytes.extend(
                crate::hdf5::read::value::f16_from_f64(f64_from_json(x, &p)?).to_le_bytes(),
            ),
            DType::Float32 => bytes.extend((f64_from_json(x, &p)? as f32).to_le_bytes()),
            DType::Float64 => bytes.extend(f64_from_json(x, &p)?.to_le_bytes()),
            DType::Complex64 | DType::Complex128 => {
                let (re, im) = match x {
                    J::Array(ri) if ri.len() == 2 => {
                        (f64_from_json(&ri[0], &p)?, f64_from_json(&ri[1], &p)?)
                    }
                    _ => (f64_from_json(x, &p)?, 0.0),
                };
                if dtype == DType::Complex64 {
                    bytes.extend((re as f32).to_le_bytes());
                    bytes.extend((im as f32).to_le_bytes());
                } else {
                    bytes.extend(re.to_le_bytes());
                    bytes.extend(im.to_le_bytes());
                }
            }
        }
    }
    NdArray::from_le_bytes(dtype, shape, bytes).map_err(|e| JsonError {
        path: path.into(),
        reason: e.to_string(),
    })
}

/// `<axis>`: label, units, index, spread_order and the full `data.values`.
pub fn axis_from_json(v: &J, path: &str) -> JResult<Axis> {
    let label = opt_str(v, path, "label", "")?;
    let units = opt_str(v, path, "units", "")?;
    let index = match get(v, path, "index")? {
        Some(x) => as_usize(x, &sub(path, "index"))?,
        None => 0,
    };
    let spread_order = match get(v, path, "spread_order")? {
        Some(x) => x.as_i64().ok_or_else(|| JsonError {
            path: sub(path, "spread_order"),
            reason: "expected an integer".into(),
        })?,
        None => 0,
    };
    let dpath = sub(path, "data");
    let data = req(v, path, "data")?;
    let vpath = sub(&dpath, "values");
    let values = match get(data, &dpath, "values")? {
        Some(x) => as_list(x, &vpath)?,
        None => return err(&vpath, "required (full values)"),
    };
    let vals: Vec<f64> = values
        .iter()
        .enumerate()
        .map(|(i, x)| f64_from_json(x, &idx(&vpath, i)))
        .collect::<JResult<_>>()?;
    if vals.is_empty() {
        return err(&vpath, "an axis needs at least one value");
    }
    Axis::new(&label, &units, vals, index, spread_order).map_err(|e| JsonError {
        path: path.into(),
        reason: e.to_string(),
    })
}

/// `<dwa>` as input (see `contracts/import-json.md`); `now` is the default timestamp.
pub fn dwa_from_json(v: &J, path: &str, now: f64) -> JResult<DataWithAxes> {
    let name = as_str(req(v, path, "name")?, &sub(path, "name"))?.to_string();
    let dpath = sub(path, "data");
    let arrays = as_list(req(v, path, "data")?, &dpath)?;
    if arrays.is_empty() {
        return err(&dpath, "at least one array is required");
    }
    let data: Vec<NdArray> = arrays
        .iter()
        .enumerate()
        .map(|(i, a)| array_from_json(a, &idx(&dpath, i)))
        .collect::<JResult<_>>()?;
    // Same shape, as PyMoDAQ's DataWithAxes requires; the dtypes may differ (PyMoDAQ keeps
    // each array's own, and `load --json` prints such data).
    for (i, a) in data.iter().enumerate().skip(1) {
        if a.shape != data[0].shape {
            return err(
                &idx(&dpath, i),
                "every array must have the first one's shape",
            );
        }
    }
    let source =
        DataSource::from_name(&opt_str(v, path, "source", "raw")?).map_err(|e| JsonError {
            path: sub(path, "source"),
            reason: e.to_string(),
        })?;
    let distribution = DataDistribution::from_name(&opt_str(v, path, "distribution", "uniform")?)
        .map_err(|e| JsonError {
        path: sub(path, "distribution"),
        reason: e.to_string(),
    })?;
    let rank = data[0].shape.len();
    let nav_indexes: Vec<usize> = opt_list(v, path, "nav_indexes", |n, p| {
        let k = as_usize(n, p)?;
        if k >= rank {
            return err(p, format!("{k} is beyond the data's {rank} dimensions"));
        }
        Ok(k)
    })?
    .unwrap_or_default();
    let labels: Vec<String> =
        opt_list(v, path, "labels", |s, p| Ok(as_str(s, p)?.to_string()))?.unwrap_or_default();
    let axes: Vec<Axis> = opt_list(v, path, "axes", |a, p| {
        let ax = axis_from_json(a, p)?;
        if ax.index >= rank {
            return err(
                &sub(p, "index"),
                format!("{} is beyond the data's {rank} dimensions", ax.index),
            );
        }
        Ok(ax)
    })?
    .unwrap_or_default();
    let errors = opt_list(v, path, "errors", array_from_json)?;
    if let Some(e) = &errors {
        if e.len() != data.len() || e.iter().any(|a| a.shape != data[0].shape) {
            return err(
                &sub(path, "errors"),
                "one error array per data array, of the data's shape",
            );
        }
    }
    let origin = match get(v, path, "origin")? {
        Some(x) => py_from_json(x, &sub(path, "origin"))?,
        None => PyValue::Str(String::new()),
    };
    let timestamp = match get(v, path, "timestamp")? {
        Some(x) => f64_from_json(x, &sub(path, "timestamp"))?,
        None => now,
    };
    let mut extra = Vec::new();
    if let Some(x) = get(v, path, "extra_attributes")? {
        let p = sub(path, "extra_attributes");
        let J::Object(m) = x else {
            return err(&p, "expected an object");
        };
        for (k, val) in m {
            if k == "path" {
                continue;
            }
            extra.push((k.clone(), py_from_json(val, &sub(&p, k))?));
        }
    }
    let mut d = DataWithAxes::new(DwaArgs {
        name,
        source,
        distribution,
        data,
        labels,
        units: opt_str(v, path, "units", "")?,
        origin,
        nav_indexes,
        axes,
        errors,
        extra_attributes: extra,
    })
    .map_err(|e| JsonError {
        path: path.into(),
        reason: e.to_string(),
    })?;
    d.timestamp = PyValue::Float(timestamp);
    Ok(d)
}

/// `{"name", "timestamp", "data": [<dwa>...]}` (name and timestamp optional).
pub fn dte_from_json(v: &J, path: &str, now: f64) -> JResult<DataToExport> {
    let mut dte = DataToExport::new(&opt_str(v, path, "name", "data")?);
    if let Some(t) = get(v, path, "timestamp")? {
        dte.timestamp = f64_from_json(t, &sub(path, "timestamp"))?;
    } else {
        dte.timestamp = now;
    }
    let dpath = sub(path, "data");
    for (i, d) in as_list(req(v, path, "data")?, &dpath)?.iter().enumerate() {
        dte.data.push(dwa_from_json(d, &idx(&dpath, i), now)?);
    }
    dte.affect_name_to_origin_if_none();
    Ok(dte)
}

/// The metadata object of a description: `{name: <attr value>}` in document order.
pub fn metadata_from_json(v: Option<&J>, path: &str) -> JResult<Vec<(String, PyValue)>> {
    match v {
        None | Some(J::Null) => Ok(Vec::new()),
        Some(J::Object(m)) => m
            .iter()
            .map(|(k, x)| Ok((k.clone(), py_from_json(x, &sub(path, k))?)))
            .collect(),
        Some(_) => err(path, "expected an object"),
    }
}

fn now_epoch() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// A parsed `pymodaq-h5-import/1` document.
#[derive(Debug, Clone)]
pub struct ImportDoc {
    /// Flavour.
    pub flavour: Flavour,
    /// `/RawData` metadata.
    pub metadata: Vec<(String, PyValue)>,
    /// Module group type (`detector`, `actuator`, ...).
    pub module_type: String,
    /// Module group title.
    pub module_title: String,
    /// The data.
    pub dte: DataToExport,
    /// Add NeXus hints (`nexus_hints`, default true; `InitOptions::nexus_hints`).
    pub nexus_hints: bool,
}

/// Parse and check a whole import document (nothing is written).
pub fn parse_import(doc: &J) -> JResult<ImportDoc> {
    match get(doc, "", "format")? {
        Some(J::String(s)) if s == "pymodaq-h5-import/1" => {}
        Some(other) => {
            return err(
                "format",
                format!("expected \"pymodaq-h5-import/1\", got {other}"),
            )
        }
        None => return err("format", "required (\"pymodaq-h5-import/1\")"),
    }
    let fl = opt_str(doc, "", "backend_flavour", "tables")?;
    let flavour = Flavour::from_name(&fl).ok_or_else(|| JsonError {
        path: "backend_flavour".into(),
        reason: format!("expected \"tables\" or \"h5py\", got {fl:?}"),
    })?;
    let metadata = metadata_from_json(get(doc, "", "metadata")?, "metadata")?;
    let nexus_hints = match get(doc, "", "nexus_hints")? {
        None => true,
        Some(J::Bool(b)) => *b,
        Some(other) => {
            return err(
                "nexus_hints",
                format!("expected true or false, got {other}"),
            )
        }
    };
    let (module_type, module_title) = match get(doc, "", "module")? {
        Some(m) => {
            let t = opt_str(m, "module", "type", "detector")?.to_lowercase();
            if t.is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return err("module.type", format!("{t:?} is not a group type name"));
            }
            (t, opt_str(m, "module", "title", "Detector")?)
        }
        None => ("detector".to_string(), "Detector".to_string()),
    };
    let now = now_epoch();
    let mut dte = DataToExport::new("data");
    dte.timestamp = now;
    let dpath = "data";
    let list = as_list(req(doc, "", "data")?, dpath)?;
    if list.is_empty() {
        return err(dpath, "at least one DataWithAxes is required");
    }
    for (i, d) in list.iter().enumerate() {
        dte.data.push(dwa_from_json(d, &idx(dpath, i), now)?);
    }
    Ok(ImportDoc {
        flavour,
        metadata,
        module_type,
        module_title,
        dte,
        nexus_hints,
    })
}

/// Write `doc` as a new PyMoDAQ file at `out` (written under a temporary name next to it,
/// then renamed, so a failure leaves no partial file).
pub fn write_import(doc: &ImportDoc, out: &Path) -> crate::Result<()> {
    let dir = crate::storage::dir_of(out);
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.partial.h5", std::process::id()));
    let r = (|| {
        let save_type = SaveType::from_name(&doc.module_type).unwrap_or(SaveType::Custom);
        let opts = InitOptions {
            flavour: doc.flavour,
            save_type,
            metadata: doc.metadata.clone(),
            nexus_hints: doc.nexus_hints,
            ..InitOptions::default()
        };
        let mut h5 = H5Saver::init_file(&tmp, opts)?;
        // The root `file` attribute names the final file, not the temporary one.
        h5.backend()
            .set_attr("/", "file", &PyValue::Str(name.clone()))?;
        let raw = h5.raw_group().to_string();
        let g = h5.add_incremental_group(
            &doc.module_type,
            &raw,
            &doc.module_title,
            &PyValue::Str(String::new()),
            &[],
        )?;
        crate::pymodaq::save::DataToExportSaver::add_data(&mut h5, &g, &doc.dte, "", &[])?;
        h5.close_file()?;
        std::fs::rename(&tmp, out)?;
        Ok(())
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_name_the_json_path() {
        let doc = json!({"format": "pymodaq-h5-import/1", "data": [
            {"name": "a", "data": [{"shape": [2], "dtype": "float64", "values": [1.0, 2.0]}]},
            {"name": "b", "data": [{"shape": [2], "dtype": "float64", "values": [1.0, 2.0]}],
             "axes": [{"label": "x", "index": 3, "data": {"values": [0.0, 1.0]}}]}]});
        let e = parse_import(&doc).unwrap_err();
        assert_eq!(
            e.to_string(),
            "data[1].axes[0].index: 3 is beyond the data's 1 dimensions"
        );
        let doc = json!({"format": "pymodaq-h5-import/1", "data": [
            {"name": "a", "data": [{"shape": [3], "dtype": "float64", "head": [1.0]}]}]});
        assert!(parse_import(&doc)
            .unwrap_err()
            .to_string()
            .starts_with("data[0].data[0].values: required"));
        let doc = json!({"format": "pymodaq-h5-import/1", "data": []});
        assert_eq!(parse_import(&doc).unwrap_err().path, "data");
    }

    #[test]
    fn attribute_values_decode() {
        let v = py_from_json(&json!({"$tuple": [1, "a", {"$bytes_b64": "AAE="}]}), "").unwrap();
        assert_eq!(
            v,
            PyValue::Tuple(vec![
                PyValue::Int(1),
                PyValue::Str("a".into()),
                PyValue::Bytes(vec![0, 1])
            ])
        );
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
    }
}
