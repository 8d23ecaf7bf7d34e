//! Filter Pipeline message (0xB), spec IV.A.2.l. Versions 1 and 2.
//!
//! TYPES FIXED BY THE CORE; the parser is added below them.

/// One filter of the pipeline, in the order applied when writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterDescription {
    /// Filter identifier (1 deflate, 2 shuffle, 3 fletcher32, ...).
    pub id: u16,
    /// Name stored in the message, if any.
    pub name: Option<String>,
    /// Flags (bit 0: optional).
    pub flags: u16,
    /// Client data values.
    pub client_data: Vec<u32>,
}

/// A decoded filter pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilterPipeline {
    /// Message version.
    pub version: u8,
    /// Filters in write order.
    pub filters: Vec<FilterDescription>,
}
