//! JSON as h5grove writes it: orjson's bytes for what h5py hands it.
//!
//! h5grove serialises h5py's return values with `orjson` (`OPT_SERIALIZE_NUMPY`). Two paths
//! matter: numeric NumPy arrays and scalars are written natively (float32 with float32's
//! shortest digits), everything else goes through `tolist()` first (every float becomes a
//! Python float, printed with float64's shortest digits). [`Ctx`] tells which applies.

use crate::hdf5::message::datatype::{ByteOrder, Datatype};
use crate::hdf5::read::value::{complex_parts, is_bool_enum, read_uint, sign_extend};
use crate::hdf5::read::Value;
use crate::pymodaq::attrs::pyliteral::{write_joined, write_map};

/// A JSON value keeping the float width orjson would print with.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    /// `null`.
    Null,
    /// `true`/`false`.
    Bool(bool),
    /// Signed integer.
    I(i64),
    /// Unsigned integer.
    U(u64),
    /// A float printed with float64's shortest digits (NaN/inf print `null`, as orjson).
    F64(f64),
    /// A float printed with float32's shortest digits.
    F32(f32),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<J>),
    /// An object, in insertion order.
    Obj(Vec<(String, J)>),
}

impl J {
    /// An object from pairs.
    pub fn obj(pairs: Vec<(&str, J)>) -> J {
        J::Obj(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// Compact bytes, as `orjson.dumps`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = String::new();
        self.write(&mut s);
        s.into_bytes()
    }

    fn write(&self, out: &mut String) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::I(i) => out.push_str(&i.to_string()),
            J::U(u) => out.push_str(&u.to_string()),
            J::F64(v) => out.push_str(&fmt_f64(*v)),
            J::F32(v) => out.push_str(&fmt_f32(*v)),
            J::Str(s) => write_str(s, out),
            J::Arr(items) => {
                out.push('[');
                write_joined(out, items, ",", |v, out| v.write(out));
                out.push(']');
            }
            J::Obj(pairs) => {
                write_map(out, pairs, (",", ":"), |k, out| write_str(k, out), J::write)
            }
        }
    }
}

fn write_str(s: &str, out: &mut String) {
    crate::pymodaq::attrs::envelope::json_string(s, false, out)
}

/// Shortest digits (ties to even, as ryu) and decimal exponent of a finite non-zero float
/// printed by ryu (`"1.5e-7"`, `"123.45"`, `"0.001"`).
fn digits_exp(text: &str) -> (bool, String, i32) {
    let (mant, exp) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let neg = mant.starts_with('-');
    let mant = mant.trim_start_matches('-');
    let (int_part, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let all: String = format!("{int_part}{frac}");
    let lead = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let e = exp.parse::<i32>().unwrap_or(0) + int_part.len() as i32 - 1 - lead as i32;
    (neg, digits.to_string(), e)
}

/// orjson's layout: plain decimals for exponents in `[lo, hi)`, else `d.ddde±x`.
fn layout(sci: &str, lo: i32, hi: i32) -> String {
    let (neg, digits, e) = digits_exp(sci);
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    let n = digits.len() as i32;
    if e >= lo && e < hi {
        if e < 0 {
            s.push_str("0.");
            for _ in 0..(-e - 1) {
                s.push('0');
            }
            s.push_str(&digits);
        } else if n <= e + 1 {
            s.push_str(&digits);
            for _ in 0..(e + 1 - n) {
                s.push('0');
            }
            s.push_str(".0");
        } else {
            let (a, b) = digits.split_at((e + 1) as usize);
            s.push_str(a);
            s.push('.');
            s.push_str(b);
        }
    } else {
        let (a, b) = digits.split_at(1);
        s.push_str(a);
        if !b.is_empty() {
            s.push('.');
            s.push_str(b);
        }
        s.push('e');
        if e >= 0 {
            s.push('+');
        }
        s.push_str(&e.to_string());
    }
    s
}

/// A float64 as orjson prints it.
pub fn fmt_f64(v: f64) -> String {
    fmt_float(v, -5, 16)
}

/// A float32 as orjson prints a NumPy float32.
pub fn fmt_f32(v: f32) -> String {
    fmt_float(v, -6, 13)
}

/// orjson's float: `null` when not finite, signed `0.0`, else ryu's shortest digits laid out
/// positionally for decimal exponents in `lo..hi`.
fn fmt_float<F: ryu::Float + Copy + Into<f64>>(v: F, lo: i32, hi: i32) -> String {
    let w: f64 = v.into();
    if !w.is_finite() {
        return "null".into();
    }
    if w == 0.0 {
        return if w.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    layout(ryu::Buffer::new().format_finite(v), lo, hi)
}

/// How orjson meets a value: natively as a NumPy number, or as a Python object after
/// `tolist()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// A NumPy scalar or an array of a type orjson writes natively.
    Native,
    /// A Python object (float32 widened to a Python float).
    Py,
}

/// Whether orjson serialises an array of this type natively (numeric and bool; h5grove's
/// orjson refuses non-native byte order, which we answer anyway, see spec/serve.md).
pub fn native_array(dt: &Datatype) -> bool {
    match dt {
        Datatype::FixedPoint { size, .. } => matches!(size, 1 | 2 | 4 | 8),
        Datatype::FloatingPoint { size, .. } => matches!(size, 2 | 4 | 8),
        Datatype::Enum { base, .. } => native_array(base),
        Datatype::Array { base, .. } => native_array(base),
        _ => false,
    }
}

/// Error raised where h5grove itself fails (bytes that are not UTF-8, decoded by
/// `bytes.decode()`): the request answers 500 there too.
#[derive(Debug)]
pub struct NotEncodable;

fn text(b: &[u8]) -> Result<J, NotEncodable> {
    std::str::from_utf8(b)
        .map(|s| J::Str(s.to_string()))
        .map_err(|_| NotEncodable)
}

/// One decoded element as orjson writes it.
pub fn value_j(dt: &Datatype, v: &Value, ctx: Ctx) -> Result<J, NotEncodable> {
    Ok(match v {
        Value::Int(i) => J::I(*i),
        Value::UInt(u) | Value::Bitfield(u) => J::U(*u),
        Value::Float { v, bits } => match (ctx, bits) {
            (Ctx::Native, 16 | 32) => J::F32(*v as f32),
            _ => J::F64(*v),
        },
        Value::Bool(b) => J::Bool(*b),
        Value::Enum { value, .. } => J::I(*value),
        Value::FixedString(b) | Value::VarString(b) => text(b)?,
        Value::Opaque(b) => text(b)?,
        Value::Complex { re, im, bits } => match (ctx, bits) {
            // A complex64 scalar: `[o.real, o.imag]` are NumPy float32s.
            (Ctx::Native, 32) => J::Arr(vec![J::F32(*re as f32), J::F32(*im as f32)]),
            _ => J::Arr(vec![J::F64(*re), J::F64(*im)]),
        },
        Value::Compound(members) => {
            let types: Vec<&Datatype> = match dt {
                Datatype::Compound { members, .. } => members.iter().map(|m| &m.datatype).collect(),
                _ => Vec::new(),
            };
            let mut out = Vec::with_capacity(members.len());
            for (i, (_, mv)) in members.iter().enumerate() {
                let mdt = types.get(i).copied().unwrap_or(dt);
                out.push(value_j(mdt, mv, Ctx::Py)?);
            }
            J::Arr(out)
        }
        Value::Array(items) => {
            let base = match dt {
                Datatype::Array { base, .. } => base.as_ref(),
                _ => dt,
            };
            let dims: Vec<u64> = match dt {
                Datatype::Array { dims, .. } => dims.clone(),
                _ => vec![items.len() as u64],
            };
            let flat: Result<Vec<J>, _> = items.iter().map(|x| value_j(base, x, ctx)).collect();
            nest(flat?, &dims)
        }
        Value::Sequence(items) => {
            let base = match dt {
                Datatype::VarLenSequence { base, .. } => base.as_ref(),
                _ => dt,
            };
            // Each element is its own NumPy array: written natively when its type allows.
            let inner = if native_array(base) {
                Ctx::Native
            } else {
                Ctx::Py
            };
            let flat: Result<Vec<J>, _> = items.iter().map(|x| value_j(base, x, inner)).collect();
            J::Arr(flat?)
        }
        Value::Reference(_) => J::Str(match dt {
            Datatype::Reference { kind: 1, .. } => "<HDF5 region reference>".into(),
            _ => "<HDF5 object reference>".into(),
        }),
    })
}

/// Nest a flat C-order list into `shape`.
pub fn nest(flat: Vec<J>, shape: &[u64]) -> J {
    if shape.len() <= 1 {
        return J::Arr(flat);
    }
    let inner: u64 = shape.iter().skip(1).product();
    if inner == 0 {
        let n = shape.first().copied().unwrap_or(0);
        return J::Arr((0..n).map(|_| nest(Vec::new(), &shape[1..])).collect());
    }
    let mut out = Vec::new();
    let mut it = flat.into_iter();
    loop {
        let row: Vec<J> = it.by_ref().take(inner as usize).collect();
        if row.is_empty() {
            break;
        }
        out.push(nest(row, &shape[1..]));
    }
    J::Arr(out)
}

/// The shape h5py gives the NumPy array: the dataspace's dims, then an array type's dims.
pub fn numpy_shape(dt: &Datatype, dims: &[u64]) -> Vec<u64> {
    let mut s = dims.to_vec();
    if let Datatype::Array { dims: ad, .. } = dt {
        s.extend_from_slice(ad);
    }
    s
}

/// Values of an array (the dataspace dims given) as orjson writes h5py's NumPy array.
pub fn array_j(
    dt: &Datatype,
    vals: &[Value],
    dims: &[u64],
    flatten: bool,
) -> Result<J, NotEncodable> {
    let ctx = if native_array(dt) {
        Ctx::Native
    } else {
        Ctx::Py
    };
    let mut flat = Vec::with_capacity(vals.len());
    for v in vals {
        match v {
            // Array-type elements are spread over the extra dimensions.
            Value::Array(items) if matches!(dt, Datatype::Array { .. }) => {
                let base = match dt {
                    Datatype::Array { base, .. } => base.as_ref(),
                    _ => dt,
                };
                flatten_array(base, items, ctx, &mut flat)?;
            }
            _ => flat.push(value_j(dt, v, ctx)?),
        }
    }
    let shape = numpy_shape(dt, dims);
    // `np.ravel`: one dimension (records and complex numbers stay whole).
    let shape = if flatten {
        vec![shape.iter().product()]
    } else {
        shape
    };
    Ok(nest(flat, &shape))
}

fn flatten_array(
    base: &Datatype,
    items: &[Value],
    ctx: Ctx,
    out: &mut Vec<J>,
) -> Result<(), NotEncodable> {
    for x in items {
        match (x, base) {
            (Value::Array(inner), Datatype::Array { base: b2, .. }) => {
                flatten_array(b2, inner, ctx, out)?
            }
            _ => out.push(value_j(base, x, ctx)?),
        }
    }
    Ok(())
}

/// A scalar as h5py returns it (a NumPy scalar, a `bytes` or a `str`; a scalar of an array
/// type is an array of its dims).
pub fn scalar_j(dt: &Datatype, v: &Value) -> Result<J, NotEncodable> {
    if matches!(dt, Datatype::Array { .. }) {
        return array_j(dt, std::slice::from_ref(v), &[], false);
    }
    value_j(dt, v, Ctx::Native)
}

fn order(o: ByteOrder) -> i64 {
    match o {
        ByteOrder::LittleEndian => 0,
        ByteOrder::BigEndian => 1,
    }
}

fn endian(o: ByteOrder, size: u32) -> char {
    if size == 1 {
        '|'
    } else {
        match o {
            ByteOrder::LittleEndian => '<',
            ByteOrder::BigEndian => '>',
        }
    }
}

/// NumPy's `dtype.str` (or the field dict for compounds) for the type h5py maps `dt` to.
pub fn dtype_str(dt: &Datatype) -> J {
    match dt {
        Datatype::FixedPoint {
            size,
            order,
            signed,
            ..
        } => J::Str(format!(
            "{}{}{}",
            endian(*order, *size),
            if *signed { 'i' } else { 'u' },
            size
        )),
        Datatype::FloatingPoint { size, order, .. } => {
            // h5py's numpy float for the type's fields (a bfloat16-like type is `<f4`).
            let s = crate::hdf5::read::standard::numpy_float_size(dt).unwrap_or(*size);
            J::Str(format!("{}f{}", endian(*order, s), s))
        }
        Datatype::Bitfield { size, order, .. } => {
            J::Str(format!("{}u{}", endian(*order, *size), size))
        }
        Datatype::String { size, .. } => J::Str(format!("|S{size}")),
        Datatype::VarLenString { .. }
        | Datatype::VarLenSequence { .. }
        | Datatype::Reference { .. } => J::Str("|O".into()),
        Datatype::Enum { base, .. } => {
            if is_bool_enum(dt) {
                J::Str("|b1".into())
            } else {
                dtype_str(base)
            }
        }
        Datatype::Compound { members, .. } => {
            if let Some((part, o)) = complex_parts(dt) {
                let size = part * 2;
                return J::Str(format!("{}c{}", endian(o, size), size));
            }
            J::Obj(
                members
                    .iter()
                    .map(|m| (m.name.clone(), dtype_str(&m.datatype)))
                    .collect(),
            )
        }
        Datatype::Complex { size, base } => {
            let o = match **base {
                Datatype::FloatingPoint { order, .. } => order,
                _ => ByteOrder::LittleEndian,
            };
            J::Str(format!("{}c{}", endian(o, *size), size))
        }
        Datatype::Array { .. } => J::Str(format!("|V{}", numpy_item_size(dt))),
        Datatype::Opaque { size, .. } | Datatype::Time { size, .. } => J::Str(format!("|V{size}")),
    }
}

fn class_code(dt: &Datatype) -> i64 {
    match dt {
        Datatype::FixedPoint { .. } => 0,
        Datatype::FloatingPoint { .. } => 1,
        Datatype::Time { .. } => 2,
        Datatype::String { .. } | Datatype::VarLenString { .. } => 3,
        Datatype::Bitfield { .. } => 4,
        Datatype::Opaque { .. } => 5,
        Datatype::Compound { .. } => 6,
        Datatype::Reference { .. } => 7,
        Datatype::Enum { .. } => 8,
        Datatype::VarLenSequence { .. } => 9,
        Datatype::Array { .. } => 10,
        Datatype::Complex { .. } => 11,
    }
}

/// The size h5py's in-memory type reports (`get_size()`): vlen and references are pointers.
/// The size h5py reports (HDF5's memory type: vlen members as pointers, compounds and arrays
/// holding them resized).
/// numpy's item size of h5py's dtype: as HDF5's memory type, except that a subarray of
/// variable-length or reference elements holds numpy object pointers (8 bytes), not the
/// 16-byte `hvl_t` (h5grove prints `|V32` for a 2x2 array of vlen sequences).
fn numpy_item_size(dt: &Datatype) -> u64 {
    match dt {
        Datatype::Array { dims, base, .. } => dims
            .iter()
            .try_fold(1u64, |n, &d| n.checked_mul(d))
            .and_then(|n| n.checked_mul(numpy_item_size(base)))
            .unwrap_or(u64::MAX),
        Datatype::VarLenString { .. }
        | Datatype::VarLenSequence { .. }
        | Datatype::Reference { .. } => 8,
        _ => mem_size(dt),
    }
}

fn mem_size(dt: &Datatype) -> u64 {
    crate::hdf5::read::memory_type::memory_size(dt)
}

/// h5grove's `get_type_metadata`.
pub fn type_metadata(dt: &Datatype) -> J {
    let mut m: Vec<(String, J)> = vec![
        ("class".into(), J::I(class_code(dt))),
        ("dtype".into(), dtype_str(dt)),
        ("size".into(), J::U(mem_size(dt))),
    ];
    let mut add = |k: &str, v: J| m.push((k.to_string(), v));
    match dt {
        Datatype::FixedPoint {
            order: o, signed, ..
        } => {
            add("order", J::I(order(*o)));
            add("sign", J::I(i64::from(*signed)));
        }
        Datatype::FloatingPoint { order: o, .. } | Datatype::Bitfield { order: o, .. } => {
            add("order", J::I(order(*o)))
        }
        Datatype::String {
            padding, charset, ..
        } => {
            add("cset", J::I(charset.code().into()));
            add("strpad", J::I(padding.code().into()));
            add("vlen", J::Bool(false));
        }
        Datatype::VarLenString {
            padding, charset, ..
        } => {
            add("cset", J::I(charset.code().into()));
            add("strpad", J::I(padding.code().into()));
            add("vlen", J::Bool(true));
        }
        Datatype::Opaque { tag, .. } => add("tag", J::Str(tag.clone())),
        Datatype::Compound { members, .. } => {
            let list = members
                .iter()
                .map(|mb| {
                    let mut o = vec![("name".to_string(), J::Str(mb.name.clone()))];
                    if let J::Obj(rest) = type_metadata(&mb.datatype) {
                        o.extend(rest);
                    }
                    J::Obj(o)
                })
                .collect();
            add("members", J::Arr(list));
        }
        Datatype::Enum { base, members, .. } => {
            let (o, signed) = match **base {
                Datatype::FixedPoint { order, signed, .. } => (order, signed),
                _ => (ByteOrder::LittleEndian, false),
            };
            let bsize = base.size() as usize;
            // In the order stored in the file, as HDF5 lists them.
            let mm = members
                .iter()
                .map(|mb| {
                    let raw = read_uint(&mb.value, o).unwrap_or(0);
                    let v = if signed {
                        J::I(sign_extend(raw, bsize))
                    } else {
                        J::U(raw)
                    };
                    (mb.name.clone(), v)
                })
                .collect();
            add("members", J::Obj(mm));
            add("base", type_metadata(base));
        }
        Datatype::VarLenSequence { base, .. } => add("base", type_metadata(base)),
        Datatype::Array { dims, base, .. } => {
            add("dims", J::Arr(dims.iter().map(|d| J::U(*d)).collect()));
            add("base", type_metadata(base));
        }
        _ => {}
    }
    J::Obj(m)
}

/// Whether NumPy calls the type numeric (`np.number` or `np.bool_`): what `dtype=safe`,
/// npy, csv and tiff accept.
pub fn is_numeric(dt: &Datatype) -> bool {
    match dt {
        Datatype::FixedPoint { size, .. } => matches!(size, 1 | 2 | 4 | 8),
        Datatype::FloatingPoint { size, .. } => matches!(size, 2 | 4 | 8),
        Datatype::Enum { base, .. } => is_numeric(base),
        Datatype::Bitfield { size, .. } => matches!(size, 1 | 2 | 4 | 8),
        Datatype::Compound { .. } => complex_parts(dt).is_some(),
        Datatype::Complex { .. } => true,
        Datatype::Array { base, .. } => is_numeric(base),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_orjson() {
        let cases64 = [
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1e-7, "1e-7"),
            (0.0001, "0.0001"),
            (0.00001, "0.00001"),
            (1.5e-5, "0.000015"),
            (0.0010004043579101562, "0.0010004043579101562"),
            (1e-6, "1e-6"),
            (1.2345678901234568e20, "1.2345678901234568e+20"),
            (0.1, "0.1"),
            (1.0, "1.0"),
            (5e-324, "5e-324"),
            (-0.0, "-0.0"),
            (12345678.9, "12345678.9"),
            (123456789012345.6, "123456789012345.6"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ];
        for (v, s) in cases64 {
            assert_eq!(fmt_f64(v), s, "{v}");
        }
        let cases32 = [
            (1e-5f32, "0.00001"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e15, "1.5e+15"),
            (1.25e12, "1250000000000.0"),
            (1.25e13, "1.25e+13"),
            (16777216.0, "16777216.0"),
            (0.1, "0.1"),
            (1e-45, "1e-45"),
            (-4.1289062, "-4.1289062"),
        ];
        for (v, s) in cases32 {
            assert_eq!(fmt_f32(v), s, "{v}");
        }
        assert_eq!(
            fmt_f32(crate::hdf5::read::value::f16_to_f32(0x2e66)),
            "0.099975586"
        );
        assert_eq!(fmt_f64(f64::NAN), "null");
    }
}
