//! Fill Value messages: old (0x4, IV.A.2.e) and new (0x5, versions 1-3, IV.A.2.f).
//!
//! TYPES FIXED BY THE CORE; the parser is added below them.

/// A decoded fill value (either message).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FillValue {
    /// Space allocation time (1 early, 2 late, 3 incremental; 0 when not stated).
    pub alloc_time: u8,
    /// Fill value write time (0 on allocation, 1 never, 2 if set).
    pub fill_time: u8,
    /// Whether a fill value is defined (a user value or the library default).
    pub defined: bool,
    /// The fill value bytes, when stored (`None` = undefined or default zeros).
    pub value: Option<Vec<u8>>,
}
