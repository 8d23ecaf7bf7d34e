//! Datatype message (0x3), spec IV.A.2.d. Versions 1-5; classes 0-10 (and 11, complex).
//!
//! Layout: class and version byte (class bits 0-3, version bits 4-7), 24 class bit-field
//! bits, size u32, class properties. Versions 1/2 pad compound/enum member names to 8 bytes
//! and v1 compound members carry an old-style array block; v3+ pack names and size member
//! offsets to the compound size. Versions 4 and 5 (HDF5 1.12 / 2.0) are encoded as v3.
//!
//! Refused: VAX float byte order (unsupported), reserved padding/charset/order values,
//! element size 0, nesting deeper than [`MAX_DEPTH`], members outside the compound,
//! array sizes inconsistent with their dims, non-homogeneous complex types (unsupported).

use super::{bad, cstring, named, pad8, text};
use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
use crate::limits::Limits;

mod encode;
pub use encode::{encode_datatype, types};

/// Deepest nesting of compound/enum/vlen/array/complex types accepted.
pub const MAX_DEPTH: u32 = 32;

/// Byte order of a numeric type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOrder {
    /// Little-endian.
    LittleEndian,
    /// Big-endian.
    BigEndian,
}

/// Padding of a fixed-length string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringPadding {
    /// Null terminated (no NUL stored when the string fills the field).
    NullTerminate,
    /// Padded with NULs.
    NullPad,
    /// Padded with spaces.
    SpacePad,
}

/// Character set of a string (metadata only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharSet {
    /// ASCII.
    Ascii,
    /// UTF-8.
    Utf8,
}

/// A member of a compound type.
#[derive(Debug, Clone, PartialEq)]
pub struct CompoundMember {
    /// Member name.
    pub name: String,
    /// Byte offset of the member in the compound element.
    pub offset: u64,
    /// Member type.
    pub datatype: Datatype,
}

/// A member of an enumeration.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumMember {
    /// Member name.
    pub name: String,
    /// Raw value bytes, `base.size()` long, in the base type's byte order.
    pub value: Vec<u8>,
}

/// A decoded datatype.
#[derive(Debug, Clone, PartialEq)]
pub enum Datatype {
    /// Class 0: integer.
    FixedPoint {
        /// Element size in bytes.
        size: u32,
        /// Byte order.
        order: ByteOrder,
        /// Two's complement signed.
        signed: bool,
        /// Bit offset of the value.
        bit_offset: u16,
        /// Bit precision.
        bit_precision: u16,
    },
    /// Class 1: IEEE-like float.
    FloatingPoint {
        /// Element size in bytes.
        size: u32,
        /// Byte order (VAX order is refused).
        order: ByteOrder,
        /// Bit offset.
        bit_offset: u16,
        /// Bit precision.
        bit_precision: u16,
        /// Sign bit location.
        sign_location: u8,
        /// Exponent bit location.
        exponent_location: u8,
        /// Exponent size in bits.
        exponent_size: u8,
        /// Mantissa bit location.
        mantissa_location: u8,
        /// Mantissa size in bits.
        mantissa_size: u8,
        /// Exponent bias.
        exponent_bias: u32,
    },
    /// Class 2: time (kept raw).
    Time {
        /// Element size.
        size: u32,
        /// Byte order.
        order: ByteOrder,
    },
    /// Class 3: fixed-length string.
    String {
        /// Field size in bytes.
        size: u32,
        /// Padding.
        padding: StringPadding,
        /// Character set.
        charset: CharSet,
    },
    /// Class 4: bitfield.
    Bitfield {
        /// Element size.
        size: u32,
        /// Byte order.
        order: ByteOrder,
        /// Bit offset.
        bit_offset: u16,
        /// Bit precision.
        bit_precision: u16,
    },
    /// Class 5: opaque.
    Opaque {
        /// Element size.
        size: u32,
        /// ASCII tag.
        tag: String,
    },
    /// Class 6: compound.
    Compound {
        /// Element size.
        size: u32,
        /// Members in declaration order.
        members: Vec<CompoundMember>,
    },
    /// Class 7: reference (kept raw).
    Reference {
        /// Element size.
        size: u32,
        /// Reference type bits (0 object, 1 region, ...).
        kind: u8,
    },
    /// Class 8: enumeration.
    Enum {
        /// Element size.
        size: u32,
        /// Base integer type.
        base: Box<Datatype>,
        /// Members in declaration order.
        members: Vec<EnumMember>,
    },
    /// Class 9, type sequence: variable-length sequence of `base`.
    VarLenSequence {
        /// Size of the on-disk element (4 + size of offsets + 4).
        size: u32,
        /// Base type.
        base: Box<Datatype>,
    },
    /// Class 9, type string: variable-length string.
    VarLenString {
        /// Size of the on-disk element (4 + size of offsets + 4).
        size: u32,
        /// Padding.
        padding: StringPadding,
        /// Character set.
        charset: CharSet,
    },
    /// Class 10: array.
    Array {
        /// Element size (product of dims × base size).
        size: u32,
        /// Dimensions.
        dims: Vec<u64>,
        /// Base type.
        base: Box<Datatype>,
    },
    /// Class 11 (HDF5 2.0): complex number of two `base` floats.
    Complex {
        /// Element size.
        size: u32,
        /// Base float type.
        base: Box<Datatype>,
    },
}

impl Datatype {
    /// Size in bytes of one element as stored in the file.
    pub fn size(&self) -> u64 {
        match self {
            Datatype::FixedPoint { size, .. }
            | Datatype::FloatingPoint { size, .. }
            | Datatype::Time { size, .. }
            | Datatype::String { size, .. }
            | Datatype::Bitfield { size, .. }
            | Datatype::Opaque { size, .. }
            | Datatype::Compound { size, .. }
            | Datatype::Reference { size, .. }
            | Datatype::Enum { size, .. }
            | Datatype::VarLenSequence { size, .. }
            | Datatype::VarLenString { size, .. }
            | Datatype::Array { size, .. }
            | Datatype::Complex { size, .. } => *size as u64,
        }
    }

    /// Whether elements (or any member) are variable-length (stored in a global heap).
    pub fn is_variable_length(&self) -> bool {
        match self {
            Datatype::VarLenSequence { .. } | Datatype::VarLenString { .. } => true,
            Datatype::Compound { members, .. } => {
                members.iter().any(|m| m.datatype.is_variable_length())
            }
            Datatype::Array { base, .. } | Datatype::Enum { base, .. } => base.is_variable_length(),
            _ => false,
        }
    }
}

impl Datatype {
    /// Decode a datatype message (or an embedded datatype) from `c`, which is left just after
    /// the type's properties.
    pub fn parse(c: &mut Cursor<'_>, limits: &Limits) -> Result<Self> {
        named(c, "datatype message", |c| parse_depth(c, limits, 0))
    }
}

fn byte_order(bits: u32) -> ByteOrder {
    if bits & 1 != 0 {
        ByteOrder::BigEndian
    } else {
        ByteOrder::LittleEndian
    }
}

fn padding(c: &Cursor<'_>, v: u32, at: u64) -> Result<StringPadding> {
    match v {
        0 => Ok(StringPadding::NullTerminate),
        1 => Ok(StringPadding::NullPad),
        2 => Ok(StringPadding::SpacePad),
        _ => Err(Error::Format(
            c.err_at(at, format!("reserved string padding {v}")),
        )),
    }
}

/// Character set code (0 ASCII, 1 UTF-8); shared with the link and attribute messages.
pub(crate) fn charset(c: &Cursor<'_>, v: u32, at: u64) -> Result<CharSet> {
    match v {
        0 => Ok(CharSet::Ascii),
        1 => Ok(CharSet::Utf8),
        _ => Err(Error::Format(
            c.err_at(at, format!("reserved character set {v}")),
        )),
    }
}

/// Check a bit field (offset, precision) lies inside an element of `size` bytes.
fn check_bits(c: &Cursor<'_>, at: u64, size: u32, offset: u16, precision: u16) -> Result<()> {
    let end = u64::from(offset) + u64::from(precision);
    if precision == 0 || end > u64::from(size) * 8 {
        return Err(Error::Format(c.err_at(
            at,
            format!("bit offset {offset} + precision {precision} does not fit {size} bytes"),
        )));
    }
    Ok(())
}

/// Bytes needed to encode values up to `size` (compound member offsets, v3+).
fn offset_width(size: u32) -> usize {
    match size {
        0..=0xFF => 1,
        0x100..=0xFFFF => 2,
        0x1_0000..=0xFF_FFFF => 3,
        _ => 4,
    }
}

/// A member/element name: NUL-terminated, padded to 8 bytes (from the name's start) before v3.
fn member_name(c: &mut Cursor<'_>, version: u8) -> Result<String> {
    let raw = cstring(c)?;
    if version < 3 {
        let used = raw.len().saturating_add(1);
        let padded = pad8(used).ok_or_else(|| bad(c, "name length overflow"))?;
        c.skip(padded - used)?;
    }
    Ok(text(raw))
}

fn parse_depth(c: &mut Cursor<'_>, limits: &Limits, depth: u32) -> Result<Datatype> {
    let start = c.addr();
    if depth > MAX_DEPTH {
        return Err(bad(
            c,
            format!("datatype nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    let cv = c.u8()?;
    let class = cv & 0x0F;
    let version = cv >> 4;
    if !(1..=5).contains(&version) {
        return Err(Error::Format(
            c.err_at(start, format!("unsupported datatype version {version}")),
        ));
    }
    let [b0, b1, b2] = c.array::<3>()?;
    let bits = u32::from(b0) | u32::from(b1) << 8 | u32::from(b2) << 16;
    let size = c.u32()?;
    if size == 0 {
        return Err(Error::Format(c.err_at(start, "datatype size 0")));
    }
    let props = c.addr();
    Ok(match class {
        0 => {
            let bit_offset = c.u16()?;
            let bit_precision = c.u16()?;
            check_bits(c, props, size, bit_offset, bit_precision)?;
            Datatype::FixedPoint {
                size,
                order: byte_order(bits),
                signed: bits & 0x08 != 0,
                bit_offset,
                bit_precision,
            }
        }
        1 => {
            let order = match (bits & 0x01 != 0, bits & 0x40 != 0) {
                (false, false) => ByteOrder::LittleEndian,
                (true, false) => ByteOrder::BigEndian,
                (true, true) => {
                    return Err(Error::unsupported(
                        "VAX floating-point byte order",
                        Some(start),
                    ));
                }
                (false, true) => {
                    return Err(Error::Format(c.err_at(start, "reserved float byte order")));
                }
            };
            let sign_location = ((bits >> 8) & 0xFF) as u8;
            let bit_offset = c.u16()?;
            let bit_precision = c.u16()?;
            let exponent_location = c.u8()?;
            let exponent_size = c.u8()?;
            let mantissa_location = c.u8()?;
            let mantissa_size = c.u8()?;
            let exponent_bias = c.u32()?;
            check_bits(c, props, size, bit_offset, bit_precision)?;
            // Every field must sit inside the bits in use (positions count from bit 0 of the
            // element, as HDF5's H5Tset_fields checks them), or decoding would shift out of range.
            let p = u32::from(bit_offset) + u32::from(bit_precision);
            let fits = |loc: u8, n: u8| u32::from(loc) + u32::from(n) <= p;
            if u32::from(sign_location) >= p
                || exponent_size == 0
                || mantissa_size == 0
                || !fits(exponent_location, exponent_size)
                || !fits(mantissa_location, mantissa_size)
            {
                return Err(Error::Format(c.err_at(
                    props,
                    "float sign/exponent/mantissa fields outside the precision",
                )));
            }
            Datatype::FloatingPoint {
                size,
                order,
                bit_offset,
                bit_precision,
                sign_location,
                exponent_location,
                exponent_size,
                mantissa_location,
                mantissa_size,
                exponent_bias,
            }
        }
        2 => {
            let _precision = c.u16()?;
            Datatype::Time {
                size,
                order: byte_order(bits),
            }
        }
        3 => Datatype::String {
            size,
            padding: padding(c, bits & 0x0F, start)?,
            charset: charset(c, (bits >> 4) & 0x0F, start)?,
        },
        4 => {
            let bit_offset = c.u16()?;
            let bit_precision = c.u16()?;
            check_bits(c, props, size, bit_offset, bit_precision)?;
            Datatype::Bitfield {
                size,
                order: byte_order(bits),
                bit_offset,
                bit_precision,
            }
        }
        5 => {
            let len = (bits & 0xFF) as usize;
            let tag = text(c.bytes(len)?);
            Datatype::Opaque { size, tag }
        }
        6 => parse_compound(c, limits, depth, version, bits, size)?,
        7 => Datatype::Reference {
            size,
            kind: (bits & 0x0F) as u8,
        },
        8 => {
            let count = (bits & 0xFFFF) as usize;
            let base = parse_depth(c, limits, depth + 1)?;
            if !matches!(base, Datatype::FixedPoint { .. }) || base.size() != u64::from(size) {
                return Err(Error::Format(
                    c.err_at(props, "enum base must be an integer of the enum's size"),
                ));
            }
            // Each member needs at least one name byte and `size` value bytes.
            if count.saturating_mul((size as usize).saturating_add(1)) > c.remaining() {
                return Err(bad(
                    c,
                    format!("{count} enum members do not fit the message"),
                ));
            }
            let mut names = Vec::with_capacity(count);
            for _ in 0..count {
                names.push(member_name(c, version)?);
            }
            let mut members = Vec::with_capacity(count);
            for name in names {
                let value = c.bytes(size as usize)?.to_vec();
                members.push(EnumMember { name, value });
            }
            Datatype::Enum {
                size,
                base: Box::new(base),
                members,
            }
        }
        9 => {
            let vtype = bits & 0x0F;
            let pad = padding(c, (bits >> 4) & 0x0F, start)?;
            let cs = charset(c, (bits >> 8) & 0x0F, start)?;
            let base = parse_depth(c, limits, depth + 1)?;
            match vtype {
                0 => Datatype::VarLenSequence {
                    size,
                    base: Box::new(base),
                },
                1 => Datatype::VarLenString {
                    size,
                    padding: pad,
                    charset: cs,
                },
                _ => {
                    return Err(Error::Format(
                        c.err_at(start, format!("reserved variable-length type {vtype}")),
                    ))
                }
            }
        }
        10 => {
            // Version 1 array types (old PyTables files) are laid out as version 2, as
            // HDF5 itself decodes them.
            let rank = c.u8()?;
            if u32::from(rank) > limits.max_rank {
                return Err(Error::limit(
                    "max_rank",
                    limits.max_rank.into(),
                    rank.into(),
                    Some(props),
                ));
            }
            if rank == 0 {
                return Err(Error::Format(c.err_at(props, "array datatype of rank 0")));
            }
            if version <= 2 {
                c.skip(3)?;
            }
            let mut dims = Vec::with_capacity(rank as usize);
            for _ in 0..rank {
                dims.push(u64::from(c.u32()?));
            }
            if version <= 2 {
                // Permutation indices: never implemented by HDF5, skipped.
                c.skip(4 * rank as usize)?;
            }
            let base = parse_depth(c, limits, depth + 1)?;
            array_of(c, props, dims, base, Some(size))?
        }
        11 => {
            if bits & 0x01 == 0 {
                return Err(Error::unsupported(
                    "non-homogeneous complex datatype",
                    Some(start),
                ));
            }
            let form = (bits >> 1) & 0x03;
            if form != 0 {
                return Err(Error::unsupported(
                    format!("complex number form {form} (only rectangular)"),
                    Some(start),
                ));
            }
            let base = parse_depth(c, limits, depth + 1)?;
            if !matches!(base, Datatype::FloatingPoint { .. })
                || base.size().checked_mul(2) != Some(u64::from(size))
            {
                return Err(Error::Format(
                    c.err_at(props, "complex base must be a float of half the size"),
                ));
            }
            Datatype::Complex {
                size,
                base: Box::new(base),
            }
        }
        _ => {
            return Err(Error::Format(
                c.err_at(start, format!("reserved datatype class {class}")),
            ))
        }
    })
}

/// An array type over `base`; its size must be product(dims) × base size (and equal
/// `declared` when given).
fn array_of(
    c: &Cursor<'_>,
    at: u64,
    dims: Vec<u64>,
    base: Datatype,
    declared: Option<u32>,
) -> Result<Datatype> {
    let total = dims
        .iter()
        .try_fold(base.size(), |a, &d| a.checked_mul(d))
        .and_then(|t| u32::try_from(t).ok());
    let size = match (total, declared) {
        (Some(t), Some(d)) if t == d => t,
        (Some(t), None) if t > 0 => t,
        _ => {
            return Err(Error::Format(c.err_at(
                at,
                format!("array size {total:?} does not match dims {dims:?} x base size"),
            )))
        }
    };
    Ok(Datatype::Array {
        size,
        dims,
        base: Box::new(base),
    })
}

fn parse_compound(
    c: &mut Cursor<'_>,
    limits: &Limits,
    depth: u32,
    version: u8,
    bits: u32,
    size: u32,
) -> Result<Datatype> {
    let count = (bits & 0xFFFF) as usize;
    if count == 0 {
        // HDF5 refuses such a type ("invalid number of members: 0").
        return Err(bad(c, "compound datatype with no members"));
    }
    // A member needs at least a NUL, one offset byte and an 8-byte type header.
    if count.saturating_mul(10) > c.remaining() {
        return Err(bad(
            c,
            format!("{count} compound members do not fit the message"),
        ));
    }
    let mut members = Vec::with_capacity(count);
    for _ in 0..count {
        let at = c.addr();
        let name = member_name(c, version)?;
        let offset;
        let mut old_dims = Vec::new();
        match version {
            1 => {
                offset = u64::from(c.u32()?);
                let ndims = c.u8()?;
                c.skip(3 + 4 + 4)?; // reserved, permutation, reserved
                if ndims > 4 {
                    return Err(bad(
                        c,
                        format!("old-style member array of rank {ndims} (max 4)"),
                    ));
                }
                for i in 0..4 {
                    let d = c.u32()?;
                    if i < ndims {
                        old_dims.push(u64::from(d));
                    }
                }
            }
            2 => offset = u64::from(c.u32()?),
            _ => offset = c.uint(offset_width(size))?,
        }
        let mut datatype = parse_depth(c, limits, depth + 1)?;
        if !old_dims.is_empty() {
            datatype = array_of(c, at, old_dims, datatype, None)?;
        }
        if offset
            .checked_add(datatype.size())
            .is_none_or(|e| e > u64::from(size))
        {
            return Err(Error::Format(c.err_at(
                at,
                format!("member {name:?} at offset {offset} overruns compound size {size}"),
            )));
        }
        members.push(CompoundMember {
            name,
            offset,
            datatype,
        });
    }
    Ok(Datatype::Compound { size, members })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::message::test_util::*;

    fn parse(b: &[u8]) -> Result<Datatype> {
        Datatype::parse(&mut cur(b), &Limits::default())
    }

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
                sign_location: 63,
                exponent_location: 52,
                exponent_size: 11,
                mantissa_location: 0,
                mantissa_size: 52,
                exponent_bias: 1023,
            }
        );
    }

    #[test]
    fn float_vax_is_unsupported_and_bad_fields_rejected() {
        let mut vax = F64_LE;
        vax[1] |= 0x41; // byte order bits 0 and 6
        assert!(is_unsupported(&parse(&vax)));
        let mut reserved = F64_LE;
        reserved[1] |= 0x40;
        assert_eq!(format_at(parse(&reserved)), ("datatype message", BASE));
        let mut mant = F64_LE;
        mant[14] = 20; // mantissa (20 + 52 bits) runs past the precision
        assert_eq!(format_at(parse(&mant)).1, BASE + 8);
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
            parse(&i32_le).unwrap(),
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
            parse(&b8).unwrap(),
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
            parse(&s).unwrap(),
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
            parse(&time).unwrap(),
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
            parse(&opaque).unwrap(),
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
            parse(&reference).unwrap(),
            Datatype::Reference { size: 8, kind: 0 }
        );
        // Reserved padding / charset, precision past the size, size 0.
        assert!(parse(&[0x13, 0x03, 0, 0, 5, 0, 0, 0]).is_err());
        assert!(parse(&[0x13, 0x20, 0, 0, 5, 0, 0, 0]).is_err());
        assert!(parse(&[0x10, 0, 0, 0, 4, 0, 0, 0, 0, 0, 33, 0]).is_err());
        assert_eq!(format_at(parse(&[0x13, 0, 0, 0, 0, 0, 0, 0])).1, BASE);
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
        let Datatype::Compound { size, members } = parse(&TABLE_V2).unwrap() else {
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
        assert_eq!(format_at(parse(&many)).1, BASE + 8);
        // Member b overruns the compound size (size 12 < 4 + 16).
        let mut small = TABLE_V2;
        small[4] = 12;
        assert_eq!(format_at(parse(&small)).1, BASE + 32);
        // Array size inconsistent with its dims.
        let mut arr = TABLE_V2;
        arr[48] = 3;
        assert!(parse(&arr).is_err());
        // Truncated inside the last member.
        assert!(parse(&TABLE_V2[..80]).is_err());
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
        let Datatype::Compound { members, .. } = parse(&t).unwrap() else {
            panic!()
        };
        match &members[0].datatype {
            Datatype::Array { size: 24, dims, .. } => assert_eq!(dims, &vec![3, 2]),
            other => panic!("{other:?}"),
        }
        let mut bad = t;
        bad[20] = 5; // dimensionality 5 > 4
        assert!(parse(&bad).is_err());
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
        let Datatype::Compound { members, .. } = parse(&t).unwrap() else {
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
        let Datatype::Compound { members, .. } = parse(&t).unwrap() else {
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
            } = parse(b).unwrap()
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
        assert!(parse(&many).is_err());
        let mut wide = v5;
        wide[4] = 2;
        assert!(parse(&wide).is_err());
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
            parse(&s).unwrap(),
            Datatype::VarLenString {
                size: 16,
                padding: StringPadding::NullTerminate,
                charset: CharSet::Utf8
            }
        );
        let mut seq = s;
        seq[1] = 0x00; // type sequence
        seq[2] = 0x00;
        let t = parse(&seq).unwrap();
        assert!(matches!(&t, Datatype::VarLenSequence { size: 16, base } if base.size() == 1));
        assert!(t.is_variable_length());
        let mut bad = s;
        bad[1] = 0x02; // reserved vlen type
        assert!(parse(&bad).is_err());
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
            parse(&a).unwrap(),
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
        match parse(&v1).unwrap() {
            Datatype::Array { size: 24, dims, .. } => assert_eq!(dims, vec![2, 3]),
            other => panic!("{other:?}"),
        }
        let mut rank0 = a;
        rank0[8] = 0;
        assert!(parse(&rank0).is_err());
        #[rustfmt::skip]
        let cplx = [
            0x5b, 0x01, 0x00, 0x00, // class 11 (complex), version 5; homogeneous, rectangular
            16, 0, 0, 0,            // size 16
            0x11, 0x20, 0x3f, 0x00, 8, 0, 0, 0, 0, 0, 64, 0, 52, 11, 0, 52, 0xff, 0x03, 0, 0, // f64
        ];
        assert!(matches!(
            parse(&cplx).unwrap(),
            Datatype::Complex { size: 16, .. }
        ));
        let mut hetero = cplx;
        hetero[1] = 0;
        assert!(is_unsupported(&parse(&hetero)));
    }

    #[test]
    fn rejects_versions_classes_and_deep_nesting() {
        assert_eq!(
            format_at(parse(&[0x01, 0, 0, 0, 4, 0, 0, 0])),
            ("datatype message", BASE)
        );
        assert!(parse(&[0x61, 0, 0, 0, 4, 0, 0, 0]).is_err());
        assert!(parse(&[0x1c, 0, 0, 0, 4, 0, 0, 0]).is_err());
        assert!(parse(&F64_LE[..10]).is_err());
        // 40 nested vlen sequences: refused by depth, not by stack overflow.
        let mut deep = Vec::new();
        for _ in 0..40 {
            deep.extend_from_slice(&[0x19, 0, 0, 0, 16, 0, 0, 0]);
        }
        deep.extend_from_slice(&[0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0]);
        assert!(format_at(parse(&deep)).1 > BASE);
    }
}
