//! PyMoDAQ's `H5Backend` (`pymodaq_data.h5modules.backends`): the node vocabulary both
//! halves share ([`NodeClass`], [`LoadError`], the [`Backend`] walk), the read half over our
//! read engine ([`read`]) and the write half over our writer ([`write`](mod@write)).

mod node;
pub mod read;
pub mod write;

pub use read::{decode_attr, infer_class, AttrVal, H5Backend, PmdNode};
pub use write::SaveBackend;

use crate::error::Error;
use crate::pymodaq::attrs::{pyliteral, PyValue};
use crate::pymodaq::model::PyError;

/// A failure while loading: a PyMoDAQ exception, or an HDF5 read error (which h5py would
/// raise as `OSError`).
#[derive(Debug)]
pub enum LoadError {
    /// What PyMoDAQ raises.
    Py(PyError),
    /// The file could not be read.
    Hdf5(Error),
}

impl LoadError {
    /// `"<ExceptionType>: <message>"`, as the `load --json` document writes errors.
    pub fn py_string(&self) -> String {
        match self {
            LoadError::Py(e) => e.to_string(),
            LoadError::Hdf5(e) => format!("OSError: {e}"),
        }
    }

    /// Shorthand for a PyMoDAQ exception.
    pub fn py(exception: &'static str, message: impl Into<String>) -> LoadError {
        LoadError::Py(PyError::new(exception, message))
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.py_string())
    }
}

impl std::error::Error for LoadError {}

/// A load failure as a crate [`Error`]: read errors as they are, PyMoDAQ exceptions as
/// `Usage("<Exception>: <message>")`, so `load_all(..)?` works in functions returning
/// [`crate::Result`].
impl From<LoadError> for Error {
    fn from(e: LoadError) -> Error {
        match e {
            LoadError::Hdf5(e) => e,
            LoadError::Py(p) => Error::Usage(p.to_string()),
        }
    }
}

impl From<Error> for LoadError {
    fn from(e: Error) -> LoadError {
        LoadError::Hdf5(e)
    }
}

impl From<PyError> for LoadError {
    fn from(e: PyError) -> LoadError {
        LoadError::Py(e)
    }
}

/// Result of the PyMoDAQ layer.
pub type LoadResult<T> = std::result::Result<T, LoadError>;

/// Which library's on-disk conventions a file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// PyTables: fixed-length string attributes (empty ones with a NULL dataspace), bitfield
    /// bools, CLASS/TITLE/VERSION system attributes, PyTables' chunk shapes.
    Tables,
    /// h5py: variable-length UTF-8 string attributes, enum bools, contiguous fixed arrays.
    H5py,
}

impl Flavour {
    /// The backend name PyMoDAQ stores in `backend` attributes.
    pub fn name(self) -> &'static str {
        match self {
            Flavour::Tables => "tables",
            Flavour::H5py => "h5py",
        }
    }

    /// `tables` or `h5py`.
    pub fn from_name(s: &str) -> Option<Flavour> {
        match s {
            "tables" => Some(Flavour::Tables),
            "h5py" => Some(Flavour::H5py),
            _ => None,
        }
    }
}

/// A PyMoDAQ node class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeClass {
    /// `GROUP`
    Group,
    /// `CARRAY` (fixed-size array)
    CArray,
    /// `EARRAY` (enlargeable along dimension 0)
    EArray,
    /// `VLARRAY` (rows of variable length)
    VLArray,
}

impl NodeClass {
    /// The `CLASS` attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeClass::Group => "GROUP",
            NodeClass::CArray => "CARRAY",
            NodeClass::EArray => "EARRAY",
            NodeClass::VLArray => "VLARRAY",
        }
    }

    /// Whether the class is an array class (`isinstance(node, CARRAY)`: EARRAY and VLARRAY
    /// derive from CARRAY).
    pub fn is_array(self) -> bool {
        self != NodeClass::Group
    }
}

/// The seam PyMoDAQ's `H5Backend` is: a tree of `GROUP`/`CARRAY`/`EARRAY`/`VLARRAY` nodes with
/// decoded attributes, addressed by path. [`H5Backend`] implements it over a file being read,
/// `save::SaveBackend` over a file being written, so the same walks and node listings work on
/// both.
pub trait Backend {
    /// The class of the node at `path`; `None` when there is no such node (or it cannot be
    /// classified).
    fn node_class(&self, path: &str) -> Option<NodeClass>;
    /// Child names of a group, in the library's iteration order.
    fn child_names(&self, path: &str) -> Vec<String>;
    /// Attribute names of a node.
    fn attribute_names(&self, path: &str) -> Vec<String>;
    /// One attribute, decoded as PyMoDAQ decodes it.
    fn attribute(&self, path: &str, name: &str) -> Option<PyValue>;

    /// `TITLE` (`''` when absent).
    fn node_title(&self, path: &str) -> PyValue {
        self.attribute(path, "TITLE")
            .unwrap_or(PyValue::Str(String::new()))
    }

    /// `walk_nodes(where)` as [`H5Backend::walk_nodes`] orders it: `where`, then the children
    /// of each group, groups taken depth first.
    fn walk_paths(&self, where_: &str) -> Vec<String> {
        let mut groups = vec![where_.to_string()];
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![where_.to_string()];
        seen.insert(where_.to_string());
        while let Some(g) = stack.pop() {
            for c in self.child_names(&g) {
                let p = crate::hdf5::read::file::join_path(&g, &c);
                if self.node_class(&p) == Some(NodeClass::Group) && seen.insert(p.clone()) {
                    stack.push(p.clone());
                    groups.push(p);
                }
            }
        }
        let mut out = vec![where_.to_string()];
        for g in &groups {
            out.extend(
                self.child_names(g)
                    .into_iter()
                    .map(|c| crate::hdf5::read::file::join_path(g, &c)),
            );
        }
        out
    }

    /// `str(node)`: `/RawData/Axis00 (CARRAY) 'myaxis'`.
    fn node_line(&self, path: &str) -> Option<String> {
        let class = self.node_class(path)?;
        let string_array = class == NodeClass::VLArray
            && self.attribute(path, "subdtype") == Some(PyValue::Str("string".into()));
        let kind = if string_array {
            "StringARRAY"
        } else {
            class.as_str()
        };
        Some(format!(
            "{path} ({kind}) {}",
            pyliteral::repr(&self.node_title(path))
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_error_strings() {
        assert_eq!(
            LoadError::py("KeyError", "'shape'").py_string(),
            "KeyError: 'shape'"
        );
    }

    #[test]
    fn class_names() {
        assert_eq!(NodeClass::EArray.as_str(), "EARRAY");
        assert!(NodeClass::VLArray.is_array());
        assert!(!NodeClass::Group.is_array());
    }
}
