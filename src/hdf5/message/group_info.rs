//! Group Info message (0xA), spec IV.A.2.k. Version 0.
//!
//! TYPES FIXED BY THE CORE; the parser is added below them.

/// Group storage thresholds (informational when reading).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupInfo {
    /// Maximum compact links / minimum dense links, when stored.
    pub link_phase_change: Option<(u16, u16)>,
    /// Estimated number of entries / estimated name length, when stored.
    pub estimated: Option<(u16, u16)>,
}
