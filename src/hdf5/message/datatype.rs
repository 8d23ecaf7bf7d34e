//! Datatype message (0x3), spec IV.A.2.d. Versions 1-5; classes 0-10 (and 11, complex).
//!
//! TYPES FIXED BY THE CORE; the parser is added below them.

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
