//! Link message (0x6), spec IV.A.2.g. Version 1.
//!
//! TYPES FIXED BY THE CORE; the parser is added below them.

use super::datatype::CharSet;

/// Where a link points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// Object header address.
    Hard(u64),
    /// Path in the same file.
    Soft(String),
    /// Object in another file.
    External {
        /// File name.
        file: String,
        /// Object path in that file.
        path: String,
    },
    /// A user-defined link type (>= 64), kept raw.
    UserDefined {
        /// Link type.
        link_type: u8,
        /// Raw link information.
        data: Vec<u8>,
    },
}

/// A decoded link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkMessage {
    /// Link name (decoded as UTF-8).
    pub name: String,
    /// Name character set.
    pub charset: CharSet,
    /// Creation order, when stored.
    pub creation_order: Option<u64>,
    /// Target.
    pub target: LinkTarget,
}
