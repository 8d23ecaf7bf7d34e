//! Files of every PyMoDAQ generation (`spec/pymodaq-legacy.md`): which generation wrote a file,
//! and the 1.x–3.x layouts loaded into today's model ([`load::LegacyLoader`]).
//!
//! - **1.x** (`pymodaq.daq_utils.h5saver`, up to 1.6): `Raw_datas/[ScanNNN/]DetectorNNN/DataND/
//!   ChNNN/Data` with `X_axis`/`Y_axis` beside the data and `Scan_x_axis`/`Scan_y_axis` in the
//!   scan group; attributes stored raw by PyTables (tuples as protocol-0 pickles); Navigator
//!   exports with top groups such as `Data2D` and `data_type` `'0D'`/`'1D'`, plain `ARRAY`s.
//! - **2.x/3.x** (`pymodaq.daq_utils.h5modules`): the same tree, attributes as JSON envelopes,
//!   navigation axes anywhere beside the scan group with `nav_index` (`Logger_time_axis`,
//!   `Scan_x_axis`, ...), and `scan_type`/`data_dimension` on every array; 3.x could write
//!   through h5py.
//! - **4.x/5.x**: `RawData/...` loaded by [`crate::pymodaq::load`].
//!
//! Everything here reads; nothing is ever written to the file.

pub mod load;

use crate::hdf5::read::File;
use crate::pymodaq::attrs::PyValue;
use crate::pymodaq::backend::{AttrVal, H5Backend};

pub use load::{LegacyLoader, LegacyNode};

/// The PyMoDAQ generation that wrote a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Generation {
    /// 1.x: `pymodaq.daq_utils.h5saver`, raw (pickled) attributes.
    V1,
    /// 2.x: `pymodaq.daq_utils.h5modules`, JSON-envelope attributes, `Raw_datas`.
    V2,
    /// 3.x: as 2.x, optionally written through h5py.
    V3,
    /// 4.x: `pymodaq.utils.h5modules`, `RawData`, `DataWithAxes` savers.
    V4,
    /// 5.x: `pymodaq_data.h5modules`.
    V5,
}

impl Generation {
    /// `"1.x"` ... `"5.x"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Generation::V1 => "1.x",
            Generation::V2 => "2.x",
            Generation::V3 => "3.x",
            Generation::V4 => "4.x",
            Generation::V5 => "5.x",
        }
    }

    /// Whether the file has a 1.x-3.x layout (loaded by [`LegacyLoader`]).
    pub fn is_legacy(self) -> bool {
        self <= Generation::V3
    }
}

/// How the generation was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// The generation.
    pub generation: Generation,
    /// The root `pymodaq_version` attribute, when there is one.
    pub version: Option<String>,
}

/// Why a file is not a PyMoDAQ file.
pub const NOT_PYMODAQ: &str = "not a PyMoDAQ file: no root pymodaq_version attribute and none of \
                               the RawData, Raw_datas, Data0D/Data1D/Data2D groups any PyMoDAQ \
                               generation writes";

/// The generation of an open file: 5.x when the root has `pymodaq_data_version`; else from
/// the root `pymodaq_version` attribute (its major number), else from the layout (`RawData` → 4.x/5.x, reported 5.x; `Raw_datas` → 2.x/3.x
/// when its attributes are JSON envelopes, else 1.x; top `Data0D`/`Data1D`/`Data2D` groups →
/// 1.x). `Err` with [`NOT_PYMODAQ`] for any other HDF5 file.
pub fn detect(file: &File) -> Result<Detected, String> {
    let backend = H5Backend::new(file).tolerant();
    let root = backend.get_node("/").map_err(|e| e.py_string())?;
    let version = match backend.attr(&root, "pymodaq_version") {
        Ok(Some(v)) => version_text(&v),
        _ => None,
    };
    // 5.x writes pymodaq_data's version too (and pymodaq_version 0.0.0 without pymodaq).
    if let Ok(Some(v)) = backend.attr(&root, "pymodaq_data_version") {
        return Ok(Detected {
            generation: Generation::V5,
            version: version_text(&v).or(version),
        });
    }
    if let Some(g) = version.as_deref().and_then(major) {
        return Ok(Detected {
            generation: g,
            version,
        });
    }
    let names: Vec<String> = backend
        .children(&root)
        .map(|c| c.into_iter().map(|n| n.name).collect())
        .unwrap_or_default();
    let has = |n: &str| names.iter().any(|x| x == n);
    let generation = if has("RawData") {
        Generation::V5
    } else if has("Raw_datas") {
        let enveloped = backend
            .get_node("/Raw_datas")
            .and_then(|g| backend.attr(&g, "type"))
            .ok()
            .flatten()
            .is_some_and(|_| raw_attr_is_envelope(file, "/Raw_datas", "type"));
        if enveloped {
            Generation::V3
        } else {
            Generation::V1
        }
    } else if has("Data0D") || has("Data1D") || has("Data2D") {
        Generation::V1
    } else {
        return Err(NOT_PYMODAQ.to_string());
    };
    Ok(Detected {
        generation,
        version,
    })
}

fn version_text(v: &AttrVal) -> Option<String> {
    match v.to_py() {
        PyValue::Str(s) => Some(s),
        PyValue::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        _ => None,
    }
}

/// The generation of a `pymodaq_version` string (`"3.6.13"`, `"4.4.7"`, `"5.0.0.dev0"`).
pub fn major(version: &str) -> Option<Generation> {
    let digits: String = version
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    match digits.parse::<u32>().ok()? {
        // 0.0.0: pymodaq_data saving without pymodaq installed; the layout decides
        0 => None,
        1 => Some(Generation::V1),
        2 => Some(Generation::V2),
        3 => Some(Generation::V3),
        4 => Some(Generation::V4),
        5.. => Some(Generation::V5),
    }
}

/// Whether the stored text of an attribute is a JSON envelope (2.x+) rather than a raw value.
fn raw_attr_is_envelope(file: &File, path: &str, name: &str) -> bool {
    let Ok(node) = file.get(path) else {
        return false;
    };
    let Ok(Some(a)) = node.object().attribute(name) else {
        return false;
    };
    match a.value() {
        Ok(crate::hdf5::read::Value::FixedString(b) | crate::hdf5::read::Value::VarString(b)) => {
            b.starts_with(b"{") && b.windows(8).any(|w| w == b"\"module\"")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majors() {
        assert_eq!(major("1.6.4"), Some(Generation::V1));
        assert_eq!(major("3.6.13"), Some(Generation::V3));
        assert_eq!(major("4.4.7"), Some(Generation::V4));
        assert_eq!(major("5.0.0.dev0"), Some(Generation::V5));
        assert_eq!(major("x"), None);
        assert!(Generation::V3.is_legacy());
        assert!(!Generation::V4.is_legacy());
    }
}
