//! Attribute message (0xC), spec IV.A.2.m. Versions 1-3.
//!
//! TYPES FIXED BY THE CORE; the parser is added below them.

use super::dataspace::Dataspace;
use super::datatype::{CharSet, Datatype};

/// A decoded attribute message: name, type, space and raw value bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeMessage {
    /// Message version.
    pub version: u8,
    /// Attribute name (decoded as UTF-8 whatever the charset says).
    pub name: String,
    /// Name character set (v3), ASCII otherwise.
    pub name_charset: CharSet,
    /// Element type.
    pub datatype: Datatype,
    /// Shape.
    pub dataspace: Dataspace,
    /// Raw value bytes (elements × type size; vlen elements are heap descriptors).
    pub data: Vec<u8>,
    /// Absolute file address of `data[0]` (for error offsets).
    pub data_at: u64,
}
