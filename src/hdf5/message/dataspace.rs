//! Dataspace message (0x1), spec IV.A.2.b. Versions 1 and 2.
//!
//! TYPES FIXED BY THE CORE; the parser is added below them.

/// Kind of dataspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataspaceKind {
    /// One element, rank 0.
    Scalar,
    /// An N-dimensional array (N may be 0 only for v1 scalars, reported as `Scalar`).
    Simple,
    /// No elements at all.
    Null,
}

/// Marker for an unlimited maximum dimension.
pub const UNLIMITED: u64 = u64::MAX;

/// A decoded dataspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataspace {
    /// Scalar, simple or null.
    pub kind: DataspaceKind,
    /// Current dimensions (empty for scalar and null).
    pub dims: Vec<u64>,
    /// Maximum dimensions when stored ([`UNLIMITED`] for unlimited), else `None` (= dims).
    pub max_dims: Option<Vec<u64>>,
}

impl Dataspace {
    /// Number of elements (1 for scalar, 0 for null); `None` on overflow.
    pub fn num_elements(&self) -> Option<u64> {
        match self.kind {
            DataspaceKind::Scalar => Some(1),
            DataspaceKind::Null => Some(0),
            DataspaceKind::Simple => self.dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d)),
        }
    }
}
