//! Symbol Table message (0x11), spec IV.A.2.r.
//!
//! TYPES FIXED BY THE CORE; the parser is added below them.

/// An old-style group's v1 B-tree and local heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolTableMessage {
    /// Address of the v1 B-tree (node type 0).
    pub btree_address: u64,
    /// Address of the local heap holding the link names.
    pub local_heap_address: u64,
}
