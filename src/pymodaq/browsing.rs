//! `H5BrowserUtil`: node attributes as the H5Browser shows them, the scans of a file, and the
//! export of one node (`.npy`, `.txt` as PyMoDAQ's exporters write them).

use crate::error::{Error, Result};
use crate::hdf5::read::File;
use crate::pymodaq::attrs::pyliteral::PyValue;
use crate::pymodaq::backend::{H5Backend, LoadError, NodeClass};
use crate::pymodaq::model::{DType, NdArray, Scalar};

fn lerr(e: LoadError) -> Error {
    match e {
        LoadError::Hdf5(e) => e,
        other => Error::Usage(other.py_string()),
    }
}

/// What `get_h5_attributes(node_path)` returns.
#[derive(Debug, Clone, PartialEq)]
pub struct H5Attributes {
    /// Every attribute, decoded.
    pub attrs: Vec<(String, PyValue)>,
    /// Every attribute whose name contains `settings` but not `scan_settings`.
    pub settings: Vec<PyValue>,
    /// `scan_settings` when present and not empty.
    pub scan_settings: Option<PyValue>,
    /// Every attribute whose name contains `pixmap`.
    pub pixmaps: Vec<PyValue>,
}

/// A scan listed by `get_h5file_scans`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanEntry {
    /// `<parent name>_<node name>`.
    pub scan_name: String,
    /// Node path.
    pub path: String,
    /// The `pixmap2D` attribute (the live-scan image).
    pub data: PyValue,
}

/// `H5BrowserUtil` over one open file.
#[derive(Debug, Clone)]
pub struct H5BrowserUtil {
    backend: H5Backend,
}

impl H5BrowserUtil {
    /// Browse `file`.
    pub fn new(file: &File) -> Self {
        H5BrowserUtil {
            backend: H5Backend::new(file),
        }
    }

    /// The backend (walk_nodes, get_node, children, attributes).
    pub fn backend(&self) -> &H5Backend {
        &self.backend
    }

    /// `get_h5_attributes(node_path)`.
    pub fn get_h5_attributes(&self, node_path: &str) -> Result<H5Attributes> {
        let node = self.backend.get_node(node_path).map_err(lerr)?;
        let attrs: Vec<(String, PyValue)> = self
            .backend
            .attrs(&node)
            .map_err(lerr)?
            .into_iter()
            .map(|(k, v)| (k, v.to_py()))
            .collect();
        let settings = attrs
            .iter()
            .filter(|(k, _)| k.contains("settings") && !k.contains("scan_settings"))
            .map(|(_, v)| v.clone())
            .collect();
        let scan_settings = attrs
            .iter()
            .find(|(k, v)| k == "scan_settings" && *v != PyValue::Str(String::new()))
            .map(|(_, v)| v.clone());
        let pixmaps = attrs
            .iter()
            .filter(|(k, _)| k.contains("pixmap"))
            .map(|(_, v)| v.clone())
            .collect();
        Ok(H5Attributes {
            attrs,
            settings,
            scan_settings,
            pixmaps,
        })
    }

    /// `get_h5file_scans(where)`: every node carrying a `pixmap2D` attribute.
    pub fn get_h5file_scans(&self, where_: &str) -> Result<Vec<ScanEntry>> {
        let start = self.backend.get_node(where_).map_err(lerr)?;
        let mut out = Vec::new();
        for n in self.backend.walk_nodes(&start).map_err(lerr)? {
            if let Some(v) = self.backend.attr(&n, "pixmap2D").map_err(lerr)? {
                let parent = match n.path.rsplit_once('/') {
                    Some(("", _)) => "/".to_string(),
                    Some((p, _)) => p.rsplit('/').next().unwrap_or("").to_string(),
                    None => String::new(),
                };
                out.push(ScanEntry {
                    scan_name: format!("{parent}_{}", n.name),
                    path: n.path.clone(),
                    data: v.to_py(),
                });
            }
        }
        Ok(out)
    }

    /// `export_data(node_path, filesavename)`: the exporter is chosen by the extension
    /// (`npy`: `np.save` of an array node; `txt`: `np.savetxt` of an array node, or of the 1-D
    /// arrays of a group as columns).
    pub fn export_data(&self, node_path: &str, out: &std::path::Path) -> Result<()> {
        let ext = out
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let node = self.backend.get_node(node_path).map_err(lerr)?;
        let bytes = match (ext.as_str(), node.class) {
            ("npy", NodeClass::CArray | NodeClass::EArray) => {
                crate::export::to_npy(node.dataset().map_err(lerr)?)?
            }
            ("txt", NodeClass::CArray | NodeClass::EArray) => {
                savetxt_array(&self.backend.read(&node).map_err(lerr)?)?.into_bytes()
            }
            ("txt", NodeClass::Group) => {
                let mut cols = Vec::new();
                for c in self.backend.children(&node).map_err(lerr)? {
                    if matches!(c.class, NodeClass::CArray | NodeClass::EArray) {
                        let a = self.backend.read(&c).map_err(lerr)?;
                        if a.shape.len() == 1 {
                            cols.push((c.name.clone(), a));
                        }
                    }
                }
                savetxt_columns(&cols)?.into_bytes()
            }
            ("npy", _) | ("txt", _) => {
                return Err(Error::Usage(format!(
                    "{node_path} ({}) has nothing to export as .{ext}",
                    node.class.as_str()
                )))
            }
            _ => {
                return Err(Error::Usage(format!(
                    "no exporter for .{ext} (PyMoDAQ's exporters here: npy, txt)"
                )))
            }
        };
        std::fs::write(out, bytes)?;
        Ok(())
    }
}

/// C's `%.6e` (`1.234560e+01`), as numpy's `savetxt` formats floats.
pub fn fmt_e6(x: f64) -> String {
    fmt_exp(x, 6)
}

/// C's `%.{prec}e` (at least two exponent digits, `nan`/`inf` as C prints them).
pub fn fmt_exp(x: f64, prec: usize) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let s = format!("{x:.prec$e}");
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

fn value_f64(s: Scalar) -> Result<f64> {
    match s {
        Scalar::Bool(b) => Ok(f64::from(u8::from(b))),
        Scalar::Int(i) => Ok(i as f64),
        Scalar::UInt(u) => Ok(u as f64),
        Scalar::Float(f) => Ok(f),
        Scalar::Complex(..) => Err(Error::Usage(
            "complex data cannot be exported as text".into(),
        )),
    }
}

/// `np.savetxt(f, data, '%.6e', '\t')` of a 0-, 1- or 2-D array.
pub fn savetxt_array(a: &NdArray) -> Result<String> {
    let mut out = String::new();
    let vals: Vec<f64> = (0..a.len())
        .map(|i| {
            a.get(i)
                .ok_or_else(|| Error::Usage("short array".into()))
                .and_then(value_f64)
        })
        .collect::<Result<_>>()?;
    match a.shape.len() {
        0 | 1 => {
            for v in vals {
                out.push_str(&fmt_e6(v));
                out.push('\n');
            }
        }
        2 => {
            let cols = a.shape[1].max(1);
            for row in vals.chunks(cols) {
                let line: Vec<String> = row.iter().map(|v| fmt_e6(*v)).collect();
                out.push_str(&line.join("\t"));
                out.push('\n');
            }
        }
        n => {
            return Err(Error::Usage(format!(
                "Expected 1D or 2D array, got {n}D array instead"
            )))
        }
    }
    Ok(out)
}

/// The group export: 1-D children as columns (`%d` for int64, `%.6f` otherwise), header
/// `# #name1\tname2`, rows up to the shortest column.
pub fn savetxt_columns(cols: &[(String, NdArray)]) -> Result<String> {
    let mut out = String::from("# #");
    out.push_str(
        &cols
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join("\t"),
    );
    out.push('\n');
    let rows = cols.iter().map(|(_, a)| a.len()).min().unwrap_or(0);
    for i in 0..rows {
        let mut line = Vec::with_capacity(cols.len());
        for (_, a) in cols {
            let s = a.get(i).ok_or_else(|| Error::Usage("short array".into()))?;
            line.push(match (a.dtype, s) {
                (DType::Int64, Scalar::Int(v)) => v.to_string(),
                (_, s) => format!("{:.6}", value_f64(s)?),
            });
        }
        out.push_str(&line.join("\t"));
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_e6_as_c() {
        assert_eq!(fmt_e6(12.3456), "1.234560e+01");
        assert_eq!(fmt_e6(-0.000123), "-1.230000e-04");
        assert_eq!(fmt_e6(0.0), "0.000000e+00");
        assert_eq!(fmt_e6(1e300), "1.000000e+300");
    }
}
