//! Object Header Continuation message (0x10), spec IV.A.2.q.
//!
//! TYPES FIXED BY THE CORE; the parser is added below them.

/// Where the next object header chunk lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Continuation {
    /// Address of the continuation block.
    pub offset: u64,
    /// Its length in bytes.
    pub length: u64,
}
