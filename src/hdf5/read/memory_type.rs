//! The in-memory layout HDF5 (and so h5py) reports for a file datatype.
//!
//! `H5Dget_type`/`H5Aget_type` hand back the type converted to its memory form: a
//! variable-length string becomes a `char *` (8 bytes), a variable-length sequence an
//! `hvl_t` (16), an old-style object reference 8 bytes, a region reference 12, a new-style
//! reference (HDF5 1.12+) an opaque 64-byte buffer. Compounds holding such members grow or
//! shrink: walking the members by offset, each member moves by the accumulated size change
//! of the members before it (HDF5's `H5T__set_loc`). Array types scale with their base.
//! `dump --json` prints these sizes and offsets, as h5py does; values are still decoded
//! from the on-disk layout.

use crate::hdf5::message::datatype::Datatype;

/// Size of one element of `dt` in memory, as HDF5 reports it.
pub fn memory_size(dt: &Datatype) -> u64 {
    match dt {
        Datatype::VarLenString { .. } => 8,
        Datatype::VarLenSequence { .. } => 16,
        Datatype::Reference { kind, .. } => match kind {
            0 => 8,
            1 => 12,
            _ => 64,
        },
        Datatype::Compound { members, .. } => compound_layout(dt, members).0,
        Datatype::Array { dims, base, .. } => dims
            .iter()
            .try_fold(memory_size(base), |a, &d| a.checked_mul(d))
            .unwrap_or(u64::MAX),
        other => other.size(),
    }
}

/// Memory size of a compound and its member offsets (in declaration order).
pub fn compound_layout(
    dt: &Datatype,
    members: &[crate::hdf5::message::datatype::CompoundMember],
) -> (u64, Vec<u64>) {
    let mut order: Vec<usize> = (0..members.len()).collect();
    // HDF5 walks the members sorted by offset (stable for equal offsets).
    order.sort_by_key(|&i| members[i].offset);
    let mut offsets = vec![0u64; members.len()];
    let mut accum: i128 = 0;
    for i in order {
        let m = &members[i];
        offsets[i] = clamp(i128::from(m.offset) + accum);
        let disk = i128::from(m.datatype.size());
        let mem = i128::from(memory_size(&m.datatype));
        accum += mem - disk;
    }
    (clamp(i128::from(dt.size()) + accum), offsets)
}

fn clamp(v: i128) -> u64 {
    u64::try_from(v.max(0)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::message::datatype::{ByteOrder, CharSet, CompoundMember, StringPadding};

    fn int(size: u32) -> Datatype {
        Datatype::FixedPoint {
            size,
            order: ByteOrder::LittleEndian,
            signed: true,
            bit_offset: 0,
            bit_precision: (size * 8) as u16,
        }
    }

    fn member(name: &str, offset: u64, datatype: Datatype) -> CompoundMember {
        CompoundMember {
            name: name.into(),
            offset,
            datatype,
        }
    }

    #[test]
    fn h5py_compound_with_vlen_and_references() {
        // h5py 3.16 / HDF5 2.0 reports {a i1 @0, s vlen str @1, v vlen i4 @9, r objref @25,
        // g regionref @33, x f8 @45}, size 53, for the on-disk compound below (size 61).
        let vs = Datatype::VarLenString {
            size: 16,
            padding: StringPadding::NullTerminate,
            charset: CharSet::Utf8,
        };
        let vi = Datatype::VarLenSequence {
            size: 16,
            base: Box::new(int(4)),
        };
        let dt = Datatype::Compound {
            size: 61,
            members: vec![
                member("a", 0, int(1)),
                member("s", 1, vs.clone()),
                member("v", 17, vi),
                member("r", 33, Datatype::Reference { size: 8, kind: 0 }),
                member("g", 41, Datatype::Reference { size: 12, kind: 1 }),
                member("x", 53, int(8)),
            ],
        };
        let Datatype::Compound { members, .. } = &dt else {
            unreachable!()
        };
        assert_eq!(
            compound_layout(&dt, members),
            (53, vec![0, 1, 9, 25, 33, 45])
        );
        // An array of three vlen strings inside a compound: 3 x 8.
        let arr = Datatype::Array {
            size: 48,
            dims: vec![3],
            base: Box::new(vs),
        };
        assert_eq!(memory_size(&arr), 24);
        let c = Datatype::Compound {
            size: 49,
            members: vec![member("a", 0, int(1)), member("arr", 1, arr)],
        };
        assert_eq!(memory_size(&c), 25);
    }
}
