//! Byte-annotated decoder tests of the Datatype message.

use super::*;
use crate::hdf5::message::test_util::*;

/// IEEE f64 little-endian, v1 (real bytes, every producer).
#[rustfmt::skip]
const F64_LE: [u8; 20] = [
    0x11,             // class 1 (float), version 1
    0x20, 0x3f, 0x00, // bits: LE, sign at bit 63 (0x3f), mantissa normalization implied
    8, 0, 0, 0,       // size 8
    0, 0,             // bit offset 0
    64, 0,            // precision 64
    52,               // exponent location
    11,               // exponent size
    0,                // mantissa location
    52,               // mantissa size
    0xff, 0x03, 0, 0, // exponent bias 1023
];

#[test]
fn float_v1() {
    let mut c = cur(&F64_LE);
    let t = Datatype::parse(&mut c, &Limits::default()).unwrap();
    assert_eq!(c.remaining(), 0);
    assert_eq!(
        t,
        Datatype::FloatingPoint {
            size: 8,
            order: ByteOrder::LittleEndian,
            bit_offset: 0,
            bit_precision: 64,
            fields: FloatFields {
                sign_location: 63,
                exponent_location: 52,
                exponent_size: 11,
                mantissa_location: 0,
                mantissa_size: 52,
                exponent_bias: 1023,
            },
        }
    );
}

#[test]
fn float_vax_is_unsupported_and_bad_fields_rejected() {
    let mut vax = F64_LE;
    vax[1] |= 0x41; // byte order bits 0 and 6
    assert!(is_unsupported(&decode::<Datatype>(&vax)));
    let mut reserved = F64_LE;
    reserved[1] |= 0x40;
    assert_eq!(
        format_at(decode::<Datatype>(&reserved)),
        ("datatype message", BASE)
    );
    let mut mant = F64_LE;
    mant[14] = 20; // mantissa (20 + 52 bits) runs past the precision
    assert_eq!(format_at(decode::<Datatype>(&mant)).1, BASE + 8);
}

#[test]
fn fixed_point_bitfield_string_time_opaque_reference() {
    #[rustfmt::skip]
    let i32_le = [
        0x10,             // class 0, version 1
        0x08, 0x00, 0x00, // bits: LE, signed
        4, 0, 0, 0,       // size 4
        0, 0,             // bit offset
        32, 0,            // precision
    ];
    assert_eq!(
        decode::<Datatype>(&i32_le).unwrap(),
        Datatype::FixedPoint {
            size: 4,
            order: ByteOrder::LittleEndian,
            signed: true,
            bit_offset: 0,
            bit_precision: 32
        }
    );
    #[rustfmt::skip]
    let b8 = [
        0x14,             // class 4 (bitfield), version 1 (PyTables bool)
        0x00, 0x00, 0x00, // bits: LE
        1, 0, 0, 0,       // size 1
        0, 0,             // bit offset
        8, 0,             // precision
    ];
    assert!(matches!(
        decode::<Datatype>(&b8).unwrap(),
        Datatype::Bitfield {
            size: 1,
            bit_precision: 8,
            ..
        }
    ));
    #[rustfmt::skip]
    let s = [
        0x13,             // class 3 (string), version 1
        0x10, 0x00, 0x00, // bits: null-terminated, UTF-8
        5, 0, 0, 0,       // size 5
    ];
    assert_eq!(
        decode::<Datatype>(&s).unwrap(),
        Datatype::String {
            size: 5,
            padding: StringPadding::NullTerminate,
            charset: CharSet::Utf8
        }
    );
    #[rustfmt::skip]
    let time = [
        0x12,             // class 2 (time), version 1
        0x01, 0x00, 0x00, // bits: big-endian
        8, 0, 0, 0,       // size 8
        64, 0,            // precision
    ];
    assert_eq!(
        decode::<Datatype>(&time).unwrap(),
        Datatype::Time {
            size: 8,
            order: ByteOrder::BigEndian
        }
    );
    #[rustfmt::skip]
    let opaque = [
        0x15,             // class 5 (opaque), version 1
        0x08, 0x00, 0x00, // bits: tag length 8
        4, 0, 0, 0,       // size 4
        b'r', b'a', b'w', 0, 0, 0, 0, 0, // tag "raw", NUL-padded to 8
    ];
    assert_eq!(
        decode::<Datatype>(&opaque).unwrap(),
        Datatype::Opaque {
            size: 4,
            tag: "raw".into()
        }
    );
    #[rustfmt::skip]
    let reference = [
        0x17,             // class 7 (reference), version 1
        0x00, 0x00, 0x00, // bits: object reference
        8, 0, 0, 0,       // size 8
    ];
    assert_eq!(
        decode::<Datatype>(&reference).unwrap(),
        Datatype::Reference { size: 8, kind: 0 }
    );
    // Reserved padding / charset, precision past the size, size 0.
    assert!(decode::<Datatype>(&[0x13, 0x03, 0, 0, 5, 0, 0, 0]).is_err());
    assert!(decode::<Datatype>(&[0x13, 0x20, 0, 0, 5, 0, 0, 0]).is_err());
    assert!(decode::<Datatype>(&[0x10, 0, 0, 0, 4, 0, 0, 0, 0, 0, 33, 0]).is_err());
    assert_eq!(
        format_at(decode::<Datatype>(&[0x13, 0, 0, 0, 0, 0, 0, 0])).1,
        BASE
    );
}

/// PyTables Table row {a: i4, b: f8[2]}: compound v2 with an array member (real bytes).
#[rustfmt::skip]
const TABLE_V2: [u8; 84] = [
    0x26, 0x02, 0x00, 0x00, // class 6 (compound), version 2; 2 members
    20, 0, 0, 0,            // size 20
    b'a', 0, 0, 0, 0, 0, 0, 0, // name "a", padded to 8
    0, 0, 0, 0,             // offset 0
    0x10, 0x08, 0x00, 0x00, 4, 0, 0, 0, 0, 0, 32, 0, // i32 LE
    b'b', 0, 0, 0, 0, 0, 0, 0, // name "b", padded to 8
    4, 0, 0, 0,             // offset 4
    0x2a, 0x00, 0x00, 0x00, // class 10 (array), version 2
    16, 0, 0, 0,            // size 16
    1, 0, 0, 0,             // rank 1, 3 reserved
    2, 0, 0, 0,             // dim 0 = 2
    0, 0, 0, 0,             // permutation (skipped)
    0x11, 0x20, 0x3f, 0x00, 8, 0, 0, 0, 0, 0, 64, 0, 52, 11, 0, 52, 0xff, 0x03, 0, 0, // f64
];

#[test]
fn compound_v2_with_array_member() {
    let Datatype::Compound { size, members } = decode::<Datatype>(&TABLE_V2).unwrap() else {
        panic!()
    };
    assert_eq!((size, members.len()), (20, 2));
    assert_eq!((members[0].name.as_str(), members[0].offset), ("a", 0));
    assert_eq!((members[1].name.as_str(), members[1].offset), ("b", 4));
    match &members[1].datatype {
        Datatype::Array {
            size: 16,
            dims,
            base,
        } => {
            assert_eq!(dims, &vec![2]);
            assert_eq!(base.size(), 8);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn compound_rejects() {
    // Member count far beyond the bytes present.
    let mut many = TABLE_V2;
    many[1] = 0xff;
    many[2] = 0xff;
    assert_eq!(format_at(decode::<Datatype>(&many)).1, BASE + 8);
    // Member b overruns the compound size (size 12 < 4 + 16).
    let mut small = TABLE_V2;
    small[4] = 12;
    assert_eq!(format_at(decode::<Datatype>(&small)).1, BASE + 32);
    // Array size inconsistent with its dims.
    let mut arr = TABLE_V2;
    arr[48] = 3;
    assert!(decode::<Datatype>(&arr).is_err());
    // Truncated inside the last member.
    assert!(decode::<Datatype>(&TABLE_V2[..80]).is_err());
}

#[test]
fn compound_v1_with_old_style_array_member() {
    #[rustfmt::skip]
    let t = [
        0x16, 0x01, 0x00, 0x00, // class 6, version 1; 1 member
        24, 0, 0, 0,            // size 24
        b'v', b'e', b'c', 0, 0, 0, 0, 0, // name "vec", padded to 8
        0, 0, 0, 0,             // offset 0
        2,                      // dimensionality 2 (old-style array member)
        0, 0, 0,                // reserved
        0, 0, 0, 0,             // permutation
        0, 0, 0, 0,             // reserved
        3, 0, 0, 0,             // dim 0 = 3
        2, 0, 0, 0,             // dim 1 = 2
        0, 0, 0, 0,             // dim 2 (unused)
        0, 0, 0, 0,             // dim 3 (unused)
        0x10, 0x00, 0x00, 0x00, 4, 0, 0, 0, 0, 0, 32, 0, // u32 LE
    ];
    let Datatype::Compound { members, .. } = decode::<Datatype>(&t).unwrap() else {
        panic!()
    };
    match &members[0].datatype {
        Datatype::Array { size: 24, dims, .. } => assert_eq!(dims, &vec![3, 2]),
        other => panic!("{other:?}"),
    }
    let mut bad = t;
    bad[20] = 5; // dimensionality 5 > 4
    assert!(decode::<Datatype>(&bad).is_err());
}

#[test]
fn compound_v1_h5py_complex() {
    // h5py default complex128 = compound v1 {r: f8, i: f8} (real bytes).
    #[rustfmt::skip]
    let t = [
        0x16, 0x02, 0x00, 0x00, 16, 0, 0, 0, // compound v1, 2 members, size 16
        b'r', 0, 0, 0, 0, 0, 0, 0,           // name "r"
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // offset 0, dimensionality 0, reserved, perm, reserved
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 4 dim sizes
        0x11, 0x20, 0x3f, 0x00, 8, 0, 0, 0, 0, 0, 64, 0, 52, 11, 0, 52, 0xff, 0x03, 0, 0, // f64
        b'i', 0, 0, 0, 0, 0, 0, 0,           // name "i"
        8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // offset 8, ...
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 4 dim sizes
        0x11, 0x20, 0x3f, 0x00, 8, 0, 0, 0, 0, 0, 64, 0, 52, 11, 0, 52, 0xff, 0x03, 0, 0, // f64
    ];
    let Datatype::Compound { members, .. } = decode::<Datatype>(&t).unwrap() else {
        panic!()
    };
    assert_eq!(members[1].name, "i");
    assert_eq!(members[1].offset, 8);
    assert!(matches!(
        members[1].datatype,
        Datatype::FloatingPoint { size: 8, .. }
    ));
}

#[test]
fn compound_v3_packed_offsets() {
    #[rustfmt::skip]
    let t = [
        0x36, 0x02, 0x00, 0x00, 5, 0, 0, 0, // compound v3, 2 members, size 5
        b'x', 0,                 // name "x" (not padded)
        0,                       // offset, 1 byte since size < 256
        0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0, // u8
        b'y', b'y', 0,           // name "yy"
        1,                       // offset 1
        0x10, 0, 0, 0, 4, 0, 0, 0, 0, 0, 32, 0, // u32
    ];
    let Datatype::Compound { members, .. } = decode::<Datatype>(&t).unwrap() else {
        panic!()
    };
    assert_eq!((members[1].name.as_str(), members[1].offset), ("yy", 1));
    assert_eq!(offset_width(255), 1);
    assert_eq!(offset_width(256), 2);
    assert_eq!(offset_width(70_000), 3);
}

#[test]
fn enum_v1_and_v5() {
    // h5py bool: enum v1 {FALSE=0, TRUE=1} over int8 (real bytes).
    #[rustfmt::skip]
    let v1 = [
        0x18, 0x02, 0x00, 0x00, // class 8 (enum), version 1; 2 members
        1, 0, 0, 0,             // size 1
        0x10, 0x08, 0x00, 0x00, 1, 0, 0, 0, 0, 0, 8, 0, // base: i8
        b'F', b'A', b'L', b'S', b'E', 0, 0, 0, // "FALSE" padded to 8
        b'T', b'R', b'U', b'E', 0, 0, 0, 0,    // "TRUE" padded to 8
        0x00,                   // FALSE = 0
        0x01,                   // TRUE = 1
    ];
    // Same type as h5py libver='latest' writes it: version 5, names packed (real bytes).
    #[rustfmt::skip]
    let v5 = [
        0x58, 0x02, 0x00, 0x00, // class 8, version 5; 2 members
        1, 0, 0, 0,             // size 1
        0x10, 0x08, 0x00, 0x00, 1, 0, 0, 0, 0, 0, 8, 0, // base: i8
        b'F', b'A', b'L', b'S', b'E', 0, // "FALSE"
        b'T', b'R', b'U', b'E', 0,       // "TRUE"
        0x00,                   // FALSE = 0
        0x01,                   // TRUE = 1
    ];
    for b in [&v1[..], &v5[..]] {
        let Datatype::Enum {
            size,
            base,
            members,
        } = decode::<Datatype>(b).unwrap()
        else {
            panic!()
        };
        assert_eq!((size, base.size()), (1, 1));
        assert_eq!(
            members[1],
            EnumMember {
                name: "TRUE".into(),
                value: vec![1]
            }
        );
    }
    // Count larger than the data; base of another size.
    let mut many = v5;
    many[1] = 0x40;
    assert!(decode::<Datatype>(&many).is_err());
    let mut wide = v5;
    wide[4] = 2;
    assert!(decode::<Datatype>(&wide).is_err());
}

#[test]
fn vlen_string_and_sequence() {
    // h5py str attribute: vlen string, UTF-8 (real bytes).
    #[rustfmt::skip]
    let s = [
        0x19, 0x01, 0x01, 0x00, // class 9 (vlen), version 1; type string, null-term, UTF-8
        16, 0, 0, 0,            // size 16
        0x10, 0x00, 0x00, 0x00, 1, 0, 0, 0, 0, 0, 8, 0, // base: u8
    ];
    assert_eq!(
        decode::<Datatype>(&s).unwrap(),
        Datatype::VarLenString {
            size: 16,
            padding: StringPadding::NullTerminate,
            charset: CharSet::Utf8
        }
    );
    let mut seq = s;
    seq[1] = 0x00; // type sequence
    seq[2] = 0x00;
    let t = decode::<Datatype>(&seq).unwrap();
    assert!(matches!(&t, Datatype::VarLenSequence { size: 16, base } if base.size() == 1));
    assert!(t.is_variable_length());
    let mut bad = s;
    bad[1] = 0x02; // reserved vlen type
    assert!(decode::<Datatype>(&bad).is_err());
}

#[test]
fn array_v3_and_complex() {
    #[rustfmt::skip]
    let a = [
        0x3a, 0x00, 0x00, 0x00, // class 10 (array), version 3
        24, 0, 0, 0,            // size 24
        2,                      // rank 2 (no reserved bytes in v3)
        2, 0, 0, 0,             // dim 0
        3, 0, 0, 0,             // dim 1
        0x10, 0, 0, 0, 4, 0, 0, 0, 0, 0, 32, 0, // base: u32
    ];
    assert!(matches!(
        decode::<Datatype>(&a).unwrap(),
        Datatype::Array { size: 24, .. }
    ));
    // Version 1 (old PyTables): the v2 layout, 3 reserved bytes and permutations.
    #[rustfmt::skip]
    let v1 = [
        0x1a, 0x00, 0x00, 0x00, // class 10 (array), version 1
        24, 0, 0, 0,            // size 24
        2, 0, 0, 0,             // rank 2, reserved
        2, 0, 0, 0,             // dim 0
        3, 0, 0, 0,             // dim 1
        0, 0, 0, 0, 1, 0, 0, 0, // permutation (never used)
        0x10, 0, 0, 0, 4, 0, 0, 0, 0, 0, 32, 0, // base: u32
    ];
    match decode::<Datatype>(&v1).unwrap() {
        Datatype::Array { size: 24, dims, .. } => assert_eq!(dims, vec![2, 3]),
        other => panic!("{other:?}"),
    }
    let mut rank0 = a;
    rank0[8] = 0;
    assert!(decode::<Datatype>(&rank0).is_err());
    #[rustfmt::skip]
    let cplx = [
        0x5b, 0x01, 0x00, 0x00, // class 11 (complex), version 5; homogeneous, rectangular
        16, 0, 0, 0,            // size 16
        0x11, 0x20, 0x3f, 0x00, 8, 0, 0, 0, 0, 0, 64, 0, 52, 11, 0, 52, 0xff, 0x03, 0, 0, // f64
    ];
    assert!(matches!(
        decode::<Datatype>(&cplx).unwrap(),
        Datatype::Complex { size: 16, .. }
    ));
    let mut hetero = cplx;
    hetero[1] = 0;
    assert!(is_unsupported(&decode::<Datatype>(&hetero)));
}

#[test]
fn rejects_versions_classes_and_deep_nesting() {
    assert_eq!(
        format_at(decode::<Datatype>(&[0x01, 0, 0, 0, 4, 0, 0, 0])),
        ("datatype message", BASE)
    );
    assert!(decode::<Datatype>(&[0x61, 0, 0, 0, 4, 0, 0, 0]).is_err());
    assert!(decode::<Datatype>(&[0x1c, 0, 0, 0, 4, 0, 0, 0]).is_err());
    assert!(decode::<Datatype>(&F64_LE[..10]).is_err());
    // 40 nested vlen sequences: refused by depth, not by stack overflow.
    let mut deep = Vec::new();
    for _ in 0..40 {
        deep.extend_from_slice(&[0x19, 0, 0, 0, 16, 0, 0, 0]);
    }
    deep.extend_from_slice(&[0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0]);
    assert!(format_at(decode::<Datatype>(&deep)).1 > BASE);
}
