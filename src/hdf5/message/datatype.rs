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

impl StringPadding {
    /// The spec's code (string class bits 0-3), which h5grove reports as `strpad`.
    pub fn code(self) -> u8 {
        match self {
            StringPadding::NullTerminate => 0,
            StringPadding::NullPad => 1,
            StringPadding::SpacePad => 2,
        }
    }
}

impl CharSet {
    /// The spec's code (string class bits 4-7), which h5grove reports as `cset`.
    pub fn code(self) -> u8 {
        match self {
            CharSet::Ascii => 0,
            CharSet::Utf8 => 1,
        }
    }
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

/// The bit fields of a floating-point element (class 1 properties): where the sign,
/// exponent and mantissa lie, and the exponent bias.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloatFields {
    /// Sign bit location.
    pub sign_location: u8,
    /// Exponent bit location.
    pub exponent_location: u8,
    /// Exponent size in bits.
    pub exponent_size: u8,
    /// Mantissa bit location.
    pub mantissa_location: u8,
    /// Mantissa size in bits.
    pub mantissa_size: u8,
    /// Exponent bias.
    pub exponent_bias: u32,
}

impl FloatFields {
    /// IEEE binary16/32/64, the fields of the standard floats of 2, 4 and 8 bytes.
    pub fn ieee(size: u32) -> Option<FloatFields> {
        match size {
            2 => Some(Self::layout(size, 5, 15)),
            4 => Some(Self::layout(size, 8, 127)),
            8 => Some(Self::layout(size, 11, 1023)),
            _ => None,
        }
    }

    /// IEEE's layout in `size` bytes with an exponent of `exponent_size` bits: sign on
    /// top, exponent below it, mantissa from bit 0.
    fn layout(size: u32, exponent_size: u8, exponent_bias: u32) -> FloatFields {
        let sign_location = size.saturating_mul(8).saturating_sub(1).min(255) as u8;
        let exponent_location = sign_location.saturating_sub(exponent_size);
        FloatFields {
            sign_location,
            exponent_location,
            exponent_size,
            mantissa_location: 0,
            mantissa_size: exponent_location,
            exponent_bias,
        }
    }
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
        /// Where sign, exponent and mantissa lie.
        fields: FloatFields,
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

    /// Whether this type or one inside it (compound member; array, enum, sequence or
    /// complex base, at any depth) satisfies `pred`.
    pub fn any(&self, pred: &dyn Fn(&Datatype) -> bool) -> bool {
        pred(self)
            || match self {
                Datatype::Compound { members, .. } => members.iter().any(|m| m.datatype.any(pred)),
                Datatype::Array { base, .. }
                | Datatype::Enum { base, .. }
                | Datatype::VarLenSequence { base, .. }
                | Datatype::Complex { base, .. } => base.any(pred),
                _ => false,
            }
    }

    /// Whether elements (or any member) are variable-length (stored in a global heap).
    pub fn is_variable_length(&self) -> bool {
        self.any(&|t| {
            matches!(
                t,
                Datatype::VarLenSequence { .. } | Datatype::VarLenString { .. }
            )
        })
    }

    /// Whether references (object or region) hide anywhere in the type.
    pub fn has_reference(&self) -> bool {
        self.any(&|t| matches!(t, Datatype::Reference { .. }))
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
/// The bit offset and precision of an integer, float or bitfield (`at`: its properties),
/// refused when they do not fit its `size` bytes.
fn bit_field(c: &mut Cursor<'_>, at: u64, size: u32) -> Result<(u16, u16)> {
    let offset = c.u16()?;
    let precision = c.u16()?;
    let end = u64::from(offset) + u64::from(precision);
    if precision == 0 || end > u64::from(size) * 8 {
        return Err(Error::Format(c.err_at(
            at,
            format!("bit offset {offset} + precision {precision} does not fit {size} bytes"),
        )));
    }
    Ok((offset, precision))
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
            let (bit_offset, bit_precision) = bit_field(c, props, size)?;
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
            let (bit_offset, bit_precision) = bit_field(c, props, size)?;
            let fields = FloatFields {
                sign_location: ((bits >> 8) & 0xFF) as u8,
                exponent_location: c.u8()?,
                exponent_size: c.u8()?,
                mantissa_location: c.u8()?,
                mantissa_size: c.u8()?,
                exponent_bias: c.u32()?,
            };
            // Every field must sit inside the bits in use (positions count from bit 0 of the
            // element, as HDF5's H5Tset_fields checks them), or decoding would shift out of range.
            let p = u32::from(bit_offset) + u32::from(bit_precision);
            let fits = |loc: u8, n: u8| u32::from(loc) + u32::from(n) <= p;
            let f = &fields;
            if u32::from(f.sign_location) >= p
                || f.exponent_size == 0
                || f.mantissa_size == 0
                || !fits(f.exponent_location, f.exponent_size)
                || !fits(f.mantissa_location, f.mantissa_size)
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
                fields,
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
            let (bit_offset, bit_precision) = bit_field(c, props, size)?;
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
mod tests;
