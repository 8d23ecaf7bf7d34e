//! Link Info message (0x2), spec IV.A.2.c. Version 0.
//!
//! TYPES FIXED BY THE CORE; the parser is added below them.

/// Where a new-style group's links live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    /// Whether creation order is tracked.
    pub creation_order_tracked: bool,
    /// Whether creation order is indexed.
    pub creation_order_indexed: bool,
    /// Maximum creation index, when tracked.
    pub max_creation_index: Option<u64>,
    /// Fractal heap address (undefined when links are compact messages).
    pub fractal_heap_address: u64,
    /// v2 B-tree (type 5) on names.
    pub name_btree_address: u64,
    /// v2 B-tree (type 6) on creation order, when indexed.
    pub creation_order_btree_address: Option<u64>,
}
