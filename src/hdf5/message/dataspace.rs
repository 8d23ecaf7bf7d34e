//! Dataspace message (0x1), spec IV.A.2.b. Versions 1 and 2.
//!
//! Layout v1: version, rank, flags, 5 reserved bytes, dims, max dims (flag bit 0),
//! permutation indices (flag bit 1, skipped); rank 0 is a scalar. v2: version, rank, flags,
//! type (0 scalar, 1 simple, 2 null), dims, max dims. Dimensions are "size of lengths" wide;
//! all-ones maximum = [`UNLIMITED`].
//!
//! Refused: other versions, rank above `Limits::max_rank` (limit error), scalar/null with a
//! non-zero rank, v2 simple of rank 0, unknown flag bits, reserved types.

use super::{bad, named, version};
use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
use crate::limits::Limits;

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

impl Dataspace {
    /// Decode a dataspace message from exactly its data bytes.
    pub fn parse(c: &mut Cursor<'_>, limits: &Limits) -> Result<Self> {
        named(c, "dataspace message", |c| {
            let v = version(c, &[1, 2])?;
            let rank_at = c.addr();
            let rank = c.u8()?;
            let flags = c.u8()?;
            if u32::from(rank) > limits.max_rank {
                return Err(Error::limit(
                    "max_rank",
                    limits.max_rank.into(),
                    rank.into(),
                    Some(rank_at),
                ));
            }
            let allowed = if v == 1 { 0x03 } else { 0x01 };
            if flags & !allowed != 0 {
                return Err(Error::Format(c.err_at(
                    rank_at + 1,
                    format!("unknown dataspace flags {flags:#x}"),
                )));
            }
            let kind = if v == 1 {
                c.skip(5)?;
                if rank == 0 {
                    DataspaceKind::Scalar
                } else {
                    DataspaceKind::Simple
                }
            } else {
                let t = c.u8()?;
                match (t, rank) {
                    (0, 0) => DataspaceKind::Scalar,
                    (1, r) if r > 0 => DataspaceKind::Simple,
                    (2, 0) => DataspaceKind::Null,
                    _ => return Err(bad(c, format!("dataspace type {t} with rank {rank}"))),
                }
            };
            let n = rank as usize;
            let width = c.sizes().lengths as usize;
            // Checked before allocating: dims (+ max dims) must be in the message.
            let need = n
                .saturating_mul(width)
                .saturating_mul(if flags & 1 != 0 { 2 } else { 1 });
            if need > c.remaining() {
                return Err(bad(
                    c,
                    format!("rank {rank} needs {need} bytes, {} left", c.remaining()),
                ));
            }
            let mut dims = Vec::with_capacity(n);
            for _ in 0..n {
                dims.push(c.length()?);
            }
            let max_dims = if flags & 1 != 0 {
                let mut m = Vec::with_capacity(n);
                for _ in 0..n {
                    m.push(c.length()?); // all-ones already maps to u64::MAX == UNLIMITED
                }
                Some(m)
            } else {
                None
            };
            if flags & 2 != 0 {
                // Permutation indices were never implemented by HDF5; skip them.
                c.skip(n.saturating_mul(width))?;
            }
            Ok(Dataspace {
                kind,
                dims,
                max_dims,
            })
        })
    }
}
