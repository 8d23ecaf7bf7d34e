//! PyTables' system attributes on the nodes it writes (`CLASS`, `VERSION`, `TITLE`, `EXTDIM`,
//! the root's `PYTABLES_FORMAT_VERSION`): one table for the writer and the layers above it
//! (the PyMoDAQ save backend keeps a model of the same attributes).

use super::PyTablesClass;

/// The root's `PYTABLES_FORMAT_VERSION` (PyTables 3.x).
pub const FORMAT_VERSION: &str = "2.1";
/// A group's `CLASS`.
pub const GROUP_CLASS: &str = "GROUP";
/// A group's `VERSION`.
pub const GROUP_VERSION: &str = "1.0";

impl PyTablesClass {
    /// The array's `CLASS` and `VERSION`.
    pub fn class_version(self) -> (&'static str, &'static str) {
        match self {
            PyTablesClass::Array => ("ARRAY", "2.4"),
            PyTablesClass::CArray => ("CARRAY", "1.1"),
            PyTablesClass::EArray => ("EARRAY", "1.1"),
            PyTablesClass::VLArray => ("VLARRAY", "1.4"),
        }
    }

    /// Whether the array carries `EXTDIM` (its enlargeable dimension).
    pub fn has_extdim(self) -> bool {
        self == PyTablesClass::EArray
    }
}
