//! Attribute Info message (0x15), spec IV.A.2.v. Version 0.
//!
//! TYPES FIXED BY THE CORE; the parser is added below them.

/// Where an object's dense attributes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeInfo {
    /// Whether creation order is tracked.
    pub creation_order_tracked: bool,
    /// Whether creation order is indexed.
    pub creation_order_indexed: bool,
    /// Maximum creation index, when tracked.
    pub max_creation_index: Option<u16>,
    /// Fractal heap address (undefined when attributes are compact).
    pub fractal_heap_address: u64,
    /// v2 B-tree (type 8) on names.
    pub name_btree_address: u64,
    /// v2 B-tree (type 9) on creation order, when indexed.
    pub creation_order_btree_address: Option<u64>,
}
