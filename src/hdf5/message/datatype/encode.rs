//! Datatype message encoding (spec IV.A.2.d): version 1, or 2 when an array class is
//! involved, and the standard little-endian types the writer uses.

use super::{ByteOrder, CharSet, Datatype, FloatFields, StringPadding};
use crate::error::{Error, Result};
use crate::hdf5::encoder::{pad8, usage, Encoder};

fn order_bit(o: ByteOrder) -> u8 {
    match o {
        ByteOrder::LittleEndian => 0,
        ByteOrder::BigEndian => 1,
    }
}

/// Array classes exist from datatype version 2 on.
fn needs_v2(dt: &Datatype) -> bool {
    dt.any(&|t| matches!(t, Datatype::Array { .. }))
}

/// Encode a datatype message body: version 1, or version 2 when an array class is
/// involved. Supported classes: fixed-point, floating-point, string, bitfield, opaque,
/// compound, enum, variable-length sequence and string, array. The result is not padded.
pub fn encode_datatype(dt: &Datatype) -> Result<Vec<u8>> {
    let mut e = Encoder::new();
    encode_dt_into(dt, if needs_v2(dt) { 2 } else { 1 }, &mut e)?;
    Ok(e.finish())
}

fn encode_dt_into(dt: &Datatype, ver: u8, e: &mut Encoder) -> Result<()> {
    // Class and version, 24 class bits, element size.
    let head = |e: &mut Encoder, class: u8, bits: [u8; 3], size: u32| {
        e.u8(class | (ver << 4)).bytes(&bits).u32(size);
    };
    match dt {
        Datatype::FixedPoint {
            size,
            order,
            signed,
            bit_offset,
            bit_precision,
        } => {
            let bits = order_bit(*order) | (u8::from(*signed) << 3);
            head(e, 0, [bits, 0, 0], *size);
            e.u16(*bit_offset).u16(*bit_precision);
        }
        Datatype::FloatingPoint {
            size,
            order,
            bit_offset,
            bit_precision,
            fields: f,
        } => {
            // Mantissa normalization 2 ("implied most significant bit").
            head(e, 1, [order_bit(*order) | 0x20, f.sign_location, 0], *size);
            e.u16(*bit_offset)
                .u16(*bit_precision)
                .u8(f.exponent_location)
                .u8(f.exponent_size)
                .u8(f.mantissa_location)
                .u8(f.mantissa_size)
                .u32(f.exponent_bias);
        }
        Datatype::String {
            size,
            padding,
            charset,
        } => head(e, 3, [padding.code() | (charset.code() << 4), 0, 0], *size),
        Datatype::Bitfield {
            size,
            order,
            bit_offset,
            bit_precision,
        } => {
            head(e, 4, [order_bit(*order), 0, 0], *size);
            e.u16(*bit_offset).u16(*bit_precision);
        }
        Datatype::Opaque { size, tag } => {
            let n = u8::try_from(pad8(tag.len() + 1)).map_err(|_| usage("opaque tag too long"))?;
            head(e, 5, [n, 0, 0], *size);
            e.name8(tag.as_bytes());
        }
        Datatype::Compound { size, members } => {
            let [lo, hi] = u16::try_from(members.len())
                .map_err(|_| usage("too many members"))?
                .to_le_bytes();
            head(e, 6, [lo, hi, 0], *size);
            for m in members {
                e.name8(m.name.as_bytes())
                    .u32_of(m.offset, "member offset")?;
                if ver == 1 {
                    // Old-style array block: dimensionality 0, reserved, permutation, dims.
                    e.zeros(28);
                }
                encode_dt_into(&m.datatype, ver, e)?;
            }
        }
        Datatype::Enum {
            size,
            base,
            members,
        } => {
            let [lo, hi] = u16::try_from(members.len())
                .map_err(|_| usage("too many members"))?
                .to_le_bytes();
            head(e, 8, [lo, hi, 0], *size);
            encode_dt_into(base, ver, e)?;
            for m in members {
                e.name8(m.name.as_bytes());
            }
            for m in members {
                if m.value.len() as u64 != base.size() {
                    return Err(usage(format!("enum member {} has a wrong size", m.name)));
                }
                e.bytes(&m.value);
            }
        }
        // A vlen element is a 4-byte count and a global heap ID: 16 bytes with 8-byte
        // offsets, the size the value carries otherwise (`Writer::file_datatype`).
        Datatype::VarLenSequence { base, size } => {
            head(e, 9, [0, 0, 0], *size);
            encode_dt_into(base, ver, e)?;
        }
        Datatype::VarLenString {
            padding,
            charset,
            size,
        } => {
            head(e, 9, [1 | (padding.code() << 4), charset.code(), 0], *size);
            // The base type of a vlen string is a 1-byte character (ASCII or UTF-8 string).
            let char_type = Datatype::String {
                size: 1,
                padding: StringPadding::NullTerminate,
                charset: *charset,
            };
            encode_dt_into(&char_type, ver, e)?;
        }
        Datatype::Reference { size, kind } => {
            // Class 7, bits 0-3 the reference type (0 object, 1 dataset region).
            head(e, 7, [kind & 0x0F, 0, 0], *size);
        }
        Datatype::Array { size, dims, base } => {
            let rank = u8::try_from(dims.len()).map_err(|_| usage("array rank too large"))?;
            head(e, 10, [0, 0, 0], *size);
            e.u8(rank).zeros(3);
            for d in dims {
                e.u32_of(*d, "array dimension")?;
            }
            // The permutation (always the identity).
            for i in 0..u32::from(rank) {
                e.u32(i);
            }
            encode_dt_into(base, ver, e)?;
        }
        other => {
            return Err(Error::unsupported(
                format!("writing datatype {other:?}"),
                None,
            ))
        }
    }
    Ok(())
}

/// Standard little-endian datatypes.
pub mod types {
    use super::*;

    /// Integer of `size` bytes, little-endian.
    pub fn int(size: u32, signed: bool) -> Datatype {
        Datatype::FixedPoint {
            size,
            order: ByteOrder::LittleEndian,
            signed,
            bit_offset: 0,
            bit_precision: (size * 8) as u16,
        }
    }
    /// IEEE float of 2, 4 or 8 bytes, little-endian.
    pub fn float(size: u32) -> Datatype {
        let fields = FloatFields::ieee(size).unwrap_or_else(|| FloatFields::layout(size, 11, 1023));
        Datatype::FloatingPoint {
            size,
            order: ByteOrder::LittleEndian,
            bit_offset: 0,
            bit_precision: size.saturating_mul(8) as u16,
            fields,
        }
    }
    /// Fixed-length string, NULLTERM (PyTables).
    pub fn fixed_str(size: u32, charset: CharSet) -> Datatype {
        Datatype::String {
            size,
            padding: StringPadding::NullTerminate,
            charset,
        }
    }
    /// Variable-length UTF-8 string.
    pub fn vlen_str() -> Datatype {
        Datatype::VarLenString {
            size: 16,
            padding: StringPadding::NullTerminate,
            charset: CharSet::Utf8,
        }
    }
    /// 1-byte bitfield (PyTables bool).
    pub fn bitfield8() -> Datatype {
        Datatype::Bitfield {
            size: 1,
            order: ByteOrder::LittleEndian,
            bit_offset: 0,
            bit_precision: 8,
        }
    }
    /// h5py bool: enum {FALSE: 0, TRUE: 1} over int8.
    pub fn bool_enum() -> Datatype {
        use crate::hdf5::message::datatype::EnumMember;
        Datatype::Enum {
            size: 1,
            base: Box::new(int(1, true)),
            members: vec![
                EnumMember {
                    name: "FALSE".into(),
                    value: vec![0],
                },
                EnumMember {
                    name: "TRUE".into(),
                    value: vec![1],
                },
            ],
        }
    }
}

#[cfg(test)]
mod encode_tests {
    use super::*;
    use crate::hdf5::message::test_util::*;

    #[test]
    #[rustfmt::skip]
    fn f64_datatype_bytes() {
        let b = encode_datatype(&types::float(8)).unwrap();
        assert_eq!(b, vec![
            0x11,             // class 1, version 1
            0x20, 63, 0,      // LE, implied mantissa bit, sign at bit 63
            8, 0, 0, 0,       // size 8
            0, 0, 64, 0,      // bit offset 0, precision 64
            52, 11, 0, 52,    // exponent at 52 (11 bits), mantissa at 0 (52 bits)
            0xff, 3, 0, 0,    // bias 1023
        ]);
    }

    #[test]
    fn datatypes_round_trip_through_reader() {
        use crate::hdf5::message::datatype::CompoundMember;
        let dts = vec![
            types::int(1, false),
            types::int(4, true),
            types::float(4),
            types::float(2),
            types::fixed_str(7, CharSet::Utf8),
            types::vlen_str(),
            types::bitfield8(),
            types::bool_enum(),
            Datatype::Reference { size: 8, kind: 0 },
            Datatype::VarLenSequence {
                size: 16,
                base: Box::new(types::int(1, false)),
            },
            Datatype::Array {
                size: 24,
                dims: vec![3],
                base: Box::new(types::float(8)),
            },
            Datatype::Compound {
                size: 16,
                members: vec![
                    CompoundMember {
                        name: "r".into(),
                        offset: 0,
                        datatype: types::float(8),
                    },
                    CompoundMember {
                        name: "i".into(),
                        offset: 8,
                        datatype: types::float(8),
                    },
                ],
            },
        ];
        for dt in dts {
            let b = encode_datatype(&dt).unwrap();
            let back = decode::<Datatype>(&b).unwrap();
            assert_eq!(back, dt, "{dt:?}");
        }
    }
}
