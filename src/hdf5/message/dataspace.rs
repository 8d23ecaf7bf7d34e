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
use crate::hdf5::encoder::{usage, Encoder, Sizes};
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
                    rank_at.saturating_add(1),
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

// ---- Encoding (the writer's half) -----------------------------------------------------

impl Dataspace {
    /// The NULL dataspace (no elements).
    pub fn null() -> Self {
        Dataspace {
            kind: DataspaceKind::Null,
            dims: Vec::new(),
            max_dims: None,
        }
    }

    /// The scalar dataspace (one element, rank 0).
    pub fn scalar() -> Self {
        Dataspace {
            kind: DataspaceKind::Scalar,
            ..Dataspace::null()
        }
    }

    /// A simple dataspace of `dims`, with maximum dimensions when they differ from `dims`
    /// ([`UNLIMITED`] for unlimited).
    pub fn simple(dims: Vec<u64>, max_dims: Option<Vec<u64>>) -> Self {
        Dataspace {
            kind: DataspaceKind::Simple,
            dims,
            max_dims,
        }
    }

    /// Encode the message body: version 1 (version 2 only for NULL, which v1 cannot
    /// express).
    pub fn encode(&self, s: Sizes) -> Result<Vec<u8>> {
        if self.kind == DataspaceKind::Null {
            self.encode_version(2, s)
        } else {
            self.encode_version(1, s)
        }
    }

    /// Encode the message body in `version`: 1 (NULL refused) or 2. Editing an existing
    /// file keeps the version of the message it rewrites. Unpadded: object headers pad.
    pub fn encode_version(&self, version: u8, s: Sizes) -> Result<Vec<u8>> {
        let rank = u8::try_from(self.dims.len()).map_err(|_| usage("rank too large"))?;
        let (rank, kind) = match self.kind {
            DataspaceKind::Scalar => (0, 0),
            DataspaceKind::Simple => (rank, 1),
            DataspaceKind::Null => (0, 2),
        };
        let has_max = self.kind == DataspaceKind::Simple && self.max_dims.is_some();
        let wide = self.dims.iter().chain(self.max_dims.iter().flatten());
        if let Some(d) = wide.copied().find(|&d| d != u64::MAX && !s.length_fits(d)) {
            return Err(usage(format!(
                "dimension {d} does not fit in this file's {}-byte lengths",
                s.lengths
            )));
        }
        let mut e = Encoder::sized(s);
        e.u8(version).u8(rank).u8(u8::from(has_max));
        match version {
            1 if self.kind != DataspaceKind::Null => e.zeros(5),
            2 => e.u8(kind),
            _ => {
                return Err(usage(format!(
                    "a {:?} dataspace in message version {version}",
                    self.kind
                )))
            }
        };
        if self.kind == DataspaceKind::Simple {
            for &d in &self.dims {
                e.length(d);
            }
            if let Some(m) = self.max_dims.as_ref().filter(|_| has_max) {
                if m.len() != self.dims.len() {
                    return Err(usage("max shape rank differs from shape rank"));
                }
                for &d in m {
                    e.length(d);
                }
            }
        }
        Ok(e.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::encoder::UNDEF;
    use crate::hdf5::message::test_util::*;

    /// PyTables EArray (2, 3) extendable along dim 0 (real bytes, pt.h5 /ea).
    #[rustfmt::skip]
    const EARRAY_V1: [u8; 40] = [
        0x01,                   // version 1
        0x02,                   // rank 2
        0x01,                   // flags: max dims present
        0x00,                   // reserved
        0x00, 0x00, 0x00, 0x00, // reserved
        2, 0, 0, 0, 0, 0, 0, 0, // dim 0 = 2
        3, 0, 0, 0, 0, 0, 0, 0, // dim 1 = 3
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // max 0 = unlimited
        3, 0, 0, 0, 0, 0, 0, 0, // max 1 = 3
    ];

    #[test]
    fn v1_simple_with_unlimited_max() {
        let d = decode::<Dataspace>(&EARRAY_V1).unwrap();
        assert_eq!(d.kind, DataspaceKind::Simple);
        assert_eq!(d.dims, vec![2, 3]);
        assert_eq!(d.max_dims, Some(vec![UNLIMITED, 3]));
        assert_eq!(d.num_elements(), Some(6));
    }

    #[test]
    fn v1_scalar_and_permutation_skipped() {
        #[rustfmt::skip]
        let scalar = [
            0x01,             // version 1
            0x00,             // rank 0 => scalar
            0x00,             // flags
            0, 0, 0, 0, 0,    // reserved
        ];
        let d = decode::<Dataspace>(&scalar).unwrap();
        assert_eq!((d.kind, d.num_elements()), (DataspaceKind::Scalar, Some(1)));
        #[rustfmt::skip]
        let perm = [
            0x01,                   // version 1
            0x01,                   // rank 1
            0x02,                   // flags: permutation present
            0, 0, 0, 0, 0,          // reserved
            5, 0, 0, 0, 0, 0, 0, 0, // dim 0 = 5
            0, 0, 0, 0, 0, 0, 0, 0, // permutation index (skipped)
        ];
        let mut c = cur(&perm);
        let d = Dataspace::parse(&mut c, &Limits::default()).unwrap();
        assert_eq!((d.dims, c.remaining()), (vec![5], 0));
    }

    /// h5py libver='latest' (10,) extendable dataset (real bytes, lt.h5 /ea).
    #[rustfmt::skip]
    const LATEST_V2: [u8; 20] = [
        0x02,                   // version 2
        0x01,                   // rank 1
        0x01,                   // flags: max dims present
        0x01,                   // type: simple
        10, 0, 0, 0, 0, 0, 0, 0, // dim 0 = 10
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // max 0 = unlimited
    ];

    #[test]
    fn v2_simple_and_null() {
        let d = decode::<Dataspace>(&LATEST_V2).unwrap();
        assert_eq!(
            (d.kind, d.dims, d.max_dims),
            (DataspaceKind::Simple, vec![10], Some(vec![UNLIMITED]))
        );
        // PyTables empty TITLE: v2 NULL inside a v1 file.
        let d = decode::<Dataspace>(&[0x02, 0x00, 0x00, 0x02]).unwrap();
        assert_eq!((d.kind, d.num_elements()), (DataspaceKind::Null, Some(0)));
        let d = decode::<Dataspace>(&[0x02, 0x00, 0x00, 0x00]).unwrap();
        assert_eq!(d.kind, DataspaceKind::Scalar);
    }

    #[test]
    fn rejects() {
        // Bad version, at the first byte.
        assert_eq!(
            format_at(decode::<Dataspace>(&[0x03, 0, 0, 0])),
            ("dataspace message", BASE)
        );
        // Truncated: max dim 1 cut short.
        assert_eq!(
            format_at(decode::<Dataspace>(&EARRAY_V1[..36])).0,
            "dataspace message"
        );
        // Rank over the limit.
        let mut big = EARRAY_V1;
        big[1] = 33;
        assert!(is_limit(&decode::<Dataspace>(&big), "max_rank"));
        // Rank larger than the bytes present (checked before allocating).
        let mut many = EARRAY_V1;
        many[1] = 20;
        assert_eq!(format_at(decode::<Dataspace>(&many)).1, BASE + 8);
        // v2 null with a rank, v2 reserved type, unknown flags.
        assert!(decode::<Dataspace>(&[0x02, 0x01, 0x00, 0x02, 1, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(decode::<Dataspace>(&[0x02, 0x00, 0x00, 0x03]).is_err());
        assert_eq!(
            format_at(decode::<Dataspace>(&[0x02, 0x00, 0x04, 0x00])).1,
            BASE + 2
        );
    }

    #[test]
    #[rustfmt::skip]
    fn dataspace_bytes() {
        let b = Dataspace::simple(vec![3], Some(vec![UNDEF])).encode(Sizes::default()).unwrap();
        assert_eq!(b, vec![
            1, 1, 1, 0, 0, 0, 0, 0,   // version 1, rank 1, max dims present, reserved
            3, 0, 0, 0, 0, 0, 0, 0,   // dim 0 = 3
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // max = unlimited
        ]);
        assert_eq!(Dataspace::null().encode(Sizes::default()).unwrap(), vec![
            2, 0, 0, 2,               // version 2, rank 0, flags 0, type NULL (unpadded)
        ]);
    }

    // Encode, then parse with the reader's decoder: the same value comes back.

    fn back(s: &Dataspace) -> Dataspace {
        let b = s.encode(Sizes::default()).unwrap();
        decode::<Dataspace>(&b).unwrap()
    }

    #[test]
    fn dataspace_encodes_then_parses() {
        let d = back(&Dataspace::simple(vec![3, 4], Some(vec![UNLIMITED, 4])));
        assert_eq!(d.kind, DataspaceKind::Simple);
        assert_eq!(d.dims, vec![3, 4]);
        assert_eq!(d.max_dims, Some(vec![UNLIMITED, 4]));
        let d = back(&Dataspace::simple(vec![7], None));
        assert_eq!(
            (d.kind, d.dims, d.max_dims),
            (DataspaceKind::Simple, vec![7], None)
        );
        assert_eq!(back(&Dataspace::scalar()), Dataspace::scalar());
        for d in [
            Dataspace::simple(vec![2, 5], Some(vec![UNLIMITED, 5])),
            Dataspace::simple(vec![9], None),
            Dataspace::scalar(),
            Dataspace::null(),
        ] {
            let b = d.encode_version(2, Sizes::default()).unwrap();
            assert_eq!(decode::<Dataspace>(&b).unwrap(), d);
        }
        assert!(Dataspace::null()
            .encode_version(1, Sizes::default())
            .is_err());
        assert_eq!(back(&Dataspace::null()), Dataspace::null());
    }
}
