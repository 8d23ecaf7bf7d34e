//! Elements: the Rust numbers a dataset or attribute is read into and written from
//! ([`Element`], the one number trait of both directions; the writer names it `H5Num`),
//! the conversion of raw elements to them, and the short type names used in messages.

use crate::error::{Error, Result};
use crate::hdf5::message::datatype::{types, Datatype};

use super::value::{read_float, read_uint, sign_extend};

/// A Rust number a dataset or attribute is read into (converted from any integer or
/// float type, as `as` casts) and written from (as its own native type).
pub trait Element: Copy + Default + 'static {
    /// From a signed integer.
    fn from_i64(v: i64) -> Self;
    /// From an unsigned integer.
    fn from_u64(v: u64) -> Self;
    /// From a float.
    fn from_f64(v: f64) -> Self;
    /// The datatype this number is written as (little-endian).
    fn datatype() -> Datatype;
    /// Append the little-endian bytes of `v` to `out`.
    fn extend_le(v: &[Self], out: &mut Vec<u8>);
}

macro_rules! element {
    ($($t:ty => $dt:expr),*) => {$(
        impl Element for $t {
            fn from_i64(v: i64) -> Self { v as $t }
            fn from_u64(v: u64) -> Self { v as $t }
            fn from_f64(v: f64) -> Self { v as $t }
            fn datatype() -> Datatype { $dt }
            fn extend_le(v: &[Self], out: &mut Vec<u8>) {
                out.reserve(v.len() * std::mem::size_of::<$t>());
                for x in v {
                    out.extend_from_slice(&x.to_le_bytes());
                }
            }
        }
    )*};
}
element!(i8 => types::int(1, true), i16 => types::int(2, true), i32 => types::int(4, true),
         i64 => types::int(8, true), u8 => types::int(1, false), u16 => types::int(2, false),
         u32 => types::int(4, false), u64 => types::int(8, false), f32 => types::float(4),
         f64 => types::float(8));

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
    /// PyTables' bool: a 1-byte bitfield.
    fn datatype() -> Datatype {
        types::bitfield8()
    }
    fn extend_le(v: &[Self], out: &mut Vec<u8>) {
        out.extend(v.iter().map(|&b| u8::from(b)));
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

#[cfg(test)]
mod tests {
    //! The public grid on both sides: `file.dataset(path)`, `ds.attr(name)`,
    //! `read::<T>()`, `read_into(selection)`, one number trait for writing and reading.
    use crate::hdf5::read::File;
    use crate::hdf5::write::{DatasetBuilder, MemWriteStorage, WriteOptions, Writer};
    use crate::storage::WriteStorage;

    fn written<T: super::Element>(vals: &[T]) -> File {
        let m = MemWriteStorage::new();
        let st: Box<dyn WriteStorage> = Box::new(m.clone());
        let mut w = Writer::with_storage(st, WriteOptions::default()).unwrap();
        w.create_group("/g").unwrap();
        let b = DatasetBuilder::new(crate::hdf5::write::Dtype::Custom(T::datatype()))
            .shape(&[2, vals.len() as u64 / 2]);
        let d = w.create_dataset("/g/d", b).unwrap();
        w.write(&d, vals).unwrap();
        w.set_attr("/g/d", "n", 7i64).unwrap();
        w.set_attr("/g", "t", "x").unwrap();
        w.close().unwrap();
        File::from_bytes(m.bytes()).unwrap()
    }

    #[test]
    fn every_number_writes_and_reads_through_one_trait() {
        fn check<T: super::Element + PartialEq + std::fmt::Debug>(vals: &[T]) {
            let f = written(vals);
            let ds = f.dataset("/g/d").unwrap();
            assert_eq!(ds.read::<T>().unwrap(), vals);
            let mut row = vec![T::default(); vals.len() / 2];
            let cols = 0..vals.len() as u64 / 2;
            ds.read_into(&[1..2, cols.clone()], &mut row).unwrap();
            assert_eq!(row, vals[vals.len() / 2..]);
            assert!(ds.read_into(&[0..2, cols], &mut row).is_err());
            assert_eq!(ds.attr("n").unwrap().read::<i64>().unwrap(), vec![7]);
            assert!(ds.attr("missing").is_err());
            assert_eq!(
                f.group("/g")
                    .unwrap()
                    .attr("t")
                    .unwrap()
                    .as_string()
                    .unwrap(),
                "x"
            );
            assert!(f.dataset("/g").is_err() && f.group("/g/d").is_err());
        }
        check(&[1i8, -2, 3, -4]);
        check(&[1i16, -2, 3, -4]);
        check(&[1i32, -2, 3, -4]);
        check(&[1i64, -2, 3, i64::MIN]);
        check(&[1u8, 2, 3, 255]);
        check(&[1u16, 2, 3, u16::MAX]);
        check(&[1u32, 2, 3, u32::MAX]);
        check(&[1u64, 2, 3, u64::MAX]);
        check(&[1.5f32, -2.0, 3.25, f32::MAX]);
        check(&[1.5f64, -2.0, 3.25, f64::MIN_POSITIVE]);
        check(&[true, false, false, true]);
    }
}
