//! Elements: the Rust numbers a dataset or attribute is read into ([`Element`]), the
//! conversion of raw elements to them, and the short type names used in messages.

use crate::error::{Error, Result};
use crate::hdf5::message::datatype::Datatype;

use super::value::{read_float, read_uint, sign_extend};

/// A Rust number a dataset can be read into.
pub trait Element: Copy + Default + 'static {
    /// From a signed integer.
    fn from_i64(v: i64) -> Self;
    /// From an unsigned integer.
    fn from_u64(v: u64) -> Self;
    /// From a float.
    fn from_f64(v: f64) -> Self;
}

macro_rules! element {
    ($($t:ty),*) => {$(
        impl Element for $t {
            fn from_i64(v: i64) -> Self { v as $t }
            fn from_u64(v: u64) -> Self { v as $t }
            fn from_f64(v: f64) -> Self { v as $t }
        }
    )*};
}
element!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl Element for bool {
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    fn from_u64(v: u64) -> Self {
        v != 0
    }
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
}

/// Convert raw elements of `dt` to `T` (numeric conversions as `as` casts).
pub fn convert<T: Element>(dt: &Datatype, raw: &[u8], at: u64) -> Result<Vec<T>> {
    let size = dt.size() as usize;
    if size == 0 {
        return Err(Error::format("datatype", at, "element size 0"));
    }
    let not_numeric = || Error::Usage(format!("cannot read a {} as numbers", class_name(dt)));
    let (is_float, order, signed) = match dt {
        Datatype::FixedPoint { order, signed, .. } => (false, *order, *signed),
        Datatype::Bitfield { order, .. } => (false, *order, false),
        Datatype::Enum { base, .. } => match **base {
            Datatype::FixedPoint { order, signed, .. } => (false, order, signed),
            _ => return Err(not_numeric()),
        },
        Datatype::FloatingPoint { order, .. } => (true, *order, false),
        _ => return Err(not_numeric()),
    };
    let mut out = Vec::with_capacity(raw.len() / size);
    for el in raw.chunks_exact(size) {
        if is_float {
            let v = read_float(el, order)
                .ok_or_else(|| Error::unsupported("float not 2, 4 or 8 bytes", Some(at)))?;
            out.push(T::from_f64(v));
        } else {
            let v = read_uint(el, order)
                .ok_or_else(|| Error::unsupported("integer wider than 8 bytes", Some(at)))?;
            out.push(if signed {
                T::from_i64(sign_extend(v, size))
            } else {
                T::from_u64(v)
            });
        }
    }
    Ok(out)
}

/// A short class name for messages.
pub fn class_name(dt: &Datatype) -> &'static str {
    match dt {
        Datatype::FixedPoint { .. } => "integer",
        Datatype::FloatingPoint { .. } => "float",
        Datatype::Time { .. } => "time",
        Datatype::String { .. } => "string",
        Datatype::Bitfield { .. } => "bitfield",
        Datatype::Opaque { .. } => "opaque",
        Datatype::Compound { .. } => "compound",
        Datatype::Reference { .. } => "reference",
        Datatype::Enum { .. } => "enum",
        Datatype::VarLenSequence { .. } => "vlen",
        Datatype::VarLenString { .. } => "vlen string",
        Datatype::Array { .. } => "array",
        Datatype::Complex { .. } => "complex",
    }
}

/// A short human-readable type name (`float64`, `uint8`, `str[12]`, `vlen str`, ...).
pub fn type_summary(dt: &Datatype) -> String {
    use crate::hdf5::message::datatype::ByteOrder;
    let be = |o: &ByteOrder| if *o == ByteOrder::BigEndian { ">" } else { "" };
    match dt {
        Datatype::FixedPoint {
            size,
            signed,
            order,
            ..
        } => {
            format!(
                "{}{}int{}",
                be(order),
                if *signed { "" } else { "u" },
                size * 8
            )
        }
        Datatype::FloatingPoint { size, order, .. } => format!("{}float{}", be(order), size * 8),
        Datatype::String { size, .. } => format!("str[{size}]"),
        Datatype::VarLenString { .. } => "vlen str".into(),
        Datatype::VarLenSequence { base, .. } => format!("vlen {}", type_summary(base)),
        Datatype::Enum { .. } if super::value::is_bool_enum(dt) => "bool".into(),
        Datatype::Bitfield { size, .. } => format!("bitfield{}", size * 8),
        Datatype::Array { dims, base, .. } => format!("{}{:?}", type_summary(base), dims),
        Datatype::Compound { members, .. } => {
            let m: Vec<String> = members
                .iter()
                .map(|m| format!("{}: {}", m.name, type_summary(&m.datatype)))
                .collect();
            format!("{{{}}}", m.join(", "))
        }
        other => class_name(other).into(),
    }
}
