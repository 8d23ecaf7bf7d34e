//! Typed decoding of element bytes into a dynamic [`Value`], for any supported datatype.
//!
//! Variable-length elements are 16-byte heap descriptors; decoding them needs a resolver
//! that fetches the referenced global-heap object (see `read::file`).

use crate::error::{Error, Result};
use crate::hdf5::message::datatype::{ByteOrder, Datatype, FloatFields, StringPadding};

/// One decoded element.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Signed integer.
    Int(i64),
    /// Unsigned integer.
    UInt(u64),
    /// Float; `bits` is the stored precision (16, 32 or 64), for shortest printing.
    Float {
        /// The value, widened to f64.
        v: f64,
        /// Stored width in bits.
        bits: u8,
    },
    /// Boolean (an enum `{FALSE: 0, TRUE: 1}`).
    Bool(bool),
    /// Bitfield value.
    Bitfield(u64),
    /// Enumeration value and the member name, if it matches one.
    Enum {
        /// Integer value.
        value: i64,
        /// Member name.
        name: Option<String>,
    },
    /// Fixed-length string: bytes up to the first NUL (null-terminated or null-padded) or
    /// with trailing spaces removed (space-padded).
    FixedString(Vec<u8>),
    /// Variable-length string bytes.
    VarString(Vec<u8>),
    /// Compound with members in declaration order.
    Compound(Vec<(String, Value)>),
    /// A compound `{r, i}` of two floats (h5py's complex).
    Complex {
        /// Real part.
        re: f64,
        /// Imaginary part.
        im: f64,
        /// Stored width of each part in bits.
        bits: u8,
    },
    /// Array-class element: nested by `dims`.
    Array(Vec<Value>),
    /// Variable-length sequence.
    Sequence(Vec<Value>),
    /// Opaque bytes.
    Opaque(Vec<u8>),
    /// Reference (not resolved).
    Reference(Vec<u8>),
}

/// Fetches the bytes of a variable-length element from its 16-byte descriptor.
pub type VlenResolver<'r> = dyn FnMut(&[u8]) -> Result<Vec<u8>> + 'r;

/// Read an unsigned little- or big-endian integer of up to 8 bytes.
pub fn read_uint(bytes: &[u8], order: ByteOrder) -> Option<u64> {
    if bytes.len() > 8 {
        return None;
    }
    let mut v = 0u64;
    match order {
        ByteOrder::LittleEndian => {
            for (i, &b) in bytes.iter().enumerate() {
                v |= (b as u64) << (8 * i);
            }
        }
        ByteOrder::BigEndian => {
            for &b in bytes {
                v = (v << 8) | b as u64;
            }
        }
    }
    Some(v)
}

/// Sign-extend the low `size` bytes of `v`.
pub fn sign_extend(v: u64, size: usize) -> i64 {
    if size == 0 || size >= 8 {
        return v as i64;
    }
    let shift = 64 - 8 * size as u32;
    ((v << shift) as i64) >> shift
}

/// IEEE half to f32.
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = if exp == 0 {
        if man == 0 {
            sign
        } else {
            // Subnormal (man × 2^-24): shift the mantissa up to an implicit leading one.
            let mut shifts = 0u32;
            let mut m = man;
            while m & 0x400 == 0 {
                m <<= 1;
                shifts += 1;
            }
            let m = m & 0x3ff;
            let exp32 = 127 - 14 - shifts;
            sign | (exp32 << 23) | (m << 13)
        }
    } else if exp == 0x1f {
        sign | 0x7f80_0000 | (man << 13)
    } else {
        sign | ((exp + 127 - 15) << 23) | (man << 13)
    };
    f32::from_bits(bits)
}

/// IEEE half bits of `v` (via f32), rounded to nearest even as numpy's `astype(float16)`
/// does, subnormals included.
pub fn f16_from_f64(v: f64) -> u16 {
    let f = v as f32;
    let x = f.to_bits();
    let sign = ((x >> 16) & 0x8000) as u16;
    let exp = ((x >> 23) & 0xff) as i32;
    let man = x & 0x7f_ffff;
    if exp == 0xff {
        return sign | 0x7c00 | if man != 0 { 0x200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        if e < -10 {
            return sign;
        }
        let m = man | 0x80_0000;
        let shift = (14 - e) as u32;
        let half = 1u32 << (shift - 1);
        let mut r = m >> shift;
        let rem = m & ((1 << shift) - 1);
        if rem > half || (rem == half && r & 1 == 1) {
            r += 1;
        }
        return sign | r as u16;
    }
    let mut r = ((e as u32) << 10) | (man >> 13);
    let rem = man & 0x1fff;
    if rem > 0x1000 || (rem == 0x1000 && r & 1 == 1) {
        r += 1;
    }
    sign | r as u16
}

/// Decode a float of 2, 4 or 8 bytes in `order`.
pub fn read_float(bytes: &[u8], order: ByteOrder) -> Option<f64> {
    let raw = read_uint(bytes, order)?;
    match bytes.len() {
        2 => Some(f16_to_f32(raw as u16) as f64),
        4 => Some(f32::from_bits(raw as u32) as f64),
        8 => Some(f64::from_bits(raw)),
        _ => None,
    }
}

/// A float of another size (long double: x87 80-bit extended in 12 or 16 bytes, IEEE
/// binary128, ...) decoded from its field description to the nearest f64, as numpy's
/// conversion to float64 does. The x87 format (15-bit exponent, 64-bit mantissa) stores its
/// integer bit; every other layout has it implied. `None` for sizes above 16 bytes or
/// fields outside the element.
pub fn float_from_fields(dt: &Datatype, bytes: &[u8]) -> Option<f64> {
    let Datatype::FloatingPoint {
        size,
        order,
        fields,
        ..
    } = dt
    else {
        return None;
    };
    let FloatFields {
        sign_location,
        exponent_location,
        exponent_size,
        mantissa_location,
        mantissa_size,
        exponent_bias,
    } = fields;
    let n = *size as usize;
    if n > 16 || bytes.len() < n || *exponent_size > 32 || *mantissa_size > 120 {
        return None;
    }
    let mut le = [0u8; 16];
    le[..n].copy_from_slice(&bytes[..n]);
    if *order == ByteOrder::BigEndian {
        le[..n].reverse();
    }
    let raw = u128::from_le_bytes(le);
    let field = |loc: u8, len: u8| -> Option<u128> {
        if u32::from(loc) + u32::from(len) > 128 {
            return None;
        }
        let mask = if len >= 128 {
            u128::MAX
        } else {
            (1u128 << len) - 1
        };
        Some((raw >> loc) & mask)
    };
    let negative = field(*sign_location, 1)? == 1;
    let e = field(*exponent_location, *exponent_size)?;
    let m = field(*mantissa_location, *mantissa_size)?;
    let explicit = *mantissa_size == 64 && *exponent_size == 15;
    let frac_bits = i64::from(*mantissa_size) - i64::from(explicit);
    let frac = if explicit { m & ((1u128 << 63) - 1) } else { m };
    let e_max = (1u128 << exponent_size) - 1;
    let bias = i64::from(*exponent_bias);
    let v = if e == e_max {
        if frac == 0 {
            f64::INFINITY
        } else {
            f64::NAN
        }
    } else {
        // value = significand * 2^(exponent - bias - frac_bits)
        let (sig, exp) = if e == 0 {
            (m, 1 - bias - frac_bits)
        } else if explicit {
            (m, e as i64 - bias - frac_bits)
        } else {
            (m | (1u128 << frac_bits), e as i64 - bias - frac_bits)
        };
        scale2(sig as f64, exp)
    };
    Some(if negative { -v } else { v })
}

/// `x * 2^k` for a finite `x >= 0` that is an integer (a significand), rounded once.
fn scale2(x: f64, k: i64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    // x = 2^ex * [1, 2)
    let ex = ((x.to_bits() >> 52) & 0x7ff) as i64 - 1023;
    let e = ex.saturating_add(k);
    if e > 1023 {
        return f64::INFINITY;
    }
    if e < -1076 {
        return 0.0;
    }
    // Here -1076 - 113 <= k <= 1023: each factor is representable; the first product
    // stays normal (exact), the second rounds once.
    if k < -1022 {
        x * 2f64.powi(-1022) * 2f64.powi((k + 1022) as i32)
    } else {
        x * 2f64.powi(k as i32)
    }
}

/// Whether a datatype is the boolean enum h5py writes (`{FALSE: 0, TRUE: 1}`).
pub fn is_bool_enum(dt: &Datatype) -> bool {
    if let Datatype::Enum { base, members, .. } = dt {
        if members.len() != 2 {
            return false;
        }
        let order = match **base {
            Datatype::FixedPoint { order, .. } => order,
            _ => return false,
        };
        let val = |name: &str| {
            members
                .iter()
                .find(|m| m.name == name)
                .and_then(|m| read_uint(&m.value, order))
        };
        val("FALSE") == Some(0) && val("TRUE") == Some(1)
    } else {
        false
    }
}

/// Whether a compound is h5py's complex number `{r, i}` of two equal floats.
pub fn complex_parts(dt: &Datatype) -> Option<(u32, ByteOrder)> {
    if let Datatype::Compound { size, members } = dt {
        if let [r, i] = members.as_slice() {
            if let (
                Datatype::FloatingPoint {
                    size: s1,
                    order: o1,
                    ..
                },
                Datatype::FloatingPoint {
                    size: s2,
                    order: o2,
                    ..
                },
            ) = (&r.datatype, &i.datatype)
            {
                if r.name == "r"
                    && i.name == "i"
                    && s1 == s2
                    && o1 == o2
                    && r.offset == 0
                    && i.offset == *s1 as u64
                    && *size == 2 * s1
                {
                    return Some((*s1, *o1));
                }
            }
        }
    }
    None
}

/// Cut a fixed-length string's bytes as its padding says.
pub fn trim_fixed_string(bytes: &[u8], padding: StringPadding) -> &[u8] {
    match padding {
        StringPadding::NullTerminate | StringPadding::NullPad => {
            let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
            &bytes[..end]
        }
        StringPadding::SpacePad => {
            let end = bytes.iter().rposition(|&b| b != b' ').map_or(0, |p| p + 1);
            &bytes[..end]
        }
    }
}

fn bad(what: &str) -> Error {
    Error::unsupported(format!("datatype not decodable: {what}"), None)
}

/// Whether decoding elements of `dt` can fail for some values only (integers wider than 8
/// bytes holding more than 64 bits): a reader that checks one element must then decode all.
pub fn decodes_per_element(dt: &Datatype) -> bool {
    match dt {
        Datatype::FixedPoint { size, .. } => *size > 8,
        Datatype::Compound { members, .. } => {
            members.iter().any(|m| decodes_per_element(&m.datatype))
        }
        Datatype::Array { base, .. }
        | Datatype::Enum { base, .. }
        | Datatype::VarLenSequence { base, .. } => decodes_per_element(base),
        _ => false,
    }
}

/// An integer stored in more than 8 bytes (h5py reads any size as a Python integer): its
/// value when it fits 64 bits, else refused by name.
fn wide_integer(bytes: &[u8], order: ByteOrder, signed: bool) -> Result<Value> {
    let mut le = bytes.to_vec();
    if order == ByteOrder::BigEndian {
        le.reverse();
    }
    let negative = signed && le.last().is_some_and(|&b| b & 0x80 != 0);
    let (low, high) = le.split_at(8.min(le.len()));
    let ext = if negative { 0xff } else { 0 };
    let mut w = [0u8; 8];
    w[..low.len()].copy_from_slice(low);
    let v = u64::from_le_bytes(w);
    let fits = high.iter().all(|&b| b == ext) && (!signed || ((v >> 63) == 1) == negative);
    if !fits {
        return Err(bad("integer beyond 64 bits"));
    }
    Ok(if signed {
        Value::Int(v as i64)
    } else {
        Value::UInt(v)
    })
}

/// Decode one element of type `dt` from exactly `dt.size()` bytes.
pub fn decode_element(dt: &Datatype, bytes: &[u8], vlen: &mut VlenResolver<'_>) -> Result<Value> {
    let size = usize::try_from(dt.size()).map_err(|_| bad("size"))?;
    let bytes = bytes
        .get(..size)
        .ok_or_else(|| bad("element shorter than its type"))?;
    Ok(match dt {
        Datatype::FixedPoint { order, signed, .. } if size > 8 => {
            wide_integer(bytes, *order, *signed)?
        }
        Datatype::FixedPoint { order, signed, .. } => {
            let v = read_uint(bytes, *order).ok_or_else(|| bad("integer wider than 8 bytes"))?;
            // A bit offset or narrow precision reads as HDF5 converts it (h5py's view).
            let v = super::standard::int_bits(dt, v);
            if *signed {
                Value::Int(sign_extend(v, size))
            } else {
                Value::UInt(v)
            }
        }
        Datatype::FloatingPoint { .. } => {
            let v = match super::standard::float_value(dt, bytes) {
                Some(v) => v,
                None => float_from_fields(dt, bytes).ok_or_else(|| {
                    bad("float not 2, 4 or 8 bytes and not a decodable bit layout")
                })?,
            };
            Value::Float {
                v,
                // Rendered at the precision of the numpy float h5py reads it as.
                bits: (super::standard::converted_size(dt) * 8).min(255) as u8,
            }
        }
        Datatype::Bitfield { order, .. } => Value::Bitfield(
            read_uint(bytes, *order).ok_or_else(|| bad("bitfield wider than 8 bytes"))?,
        ),
        Datatype::String { padding, .. } => {
            Value::FixedString(trim_fixed_string(bytes, *padding).to_vec())
        }
        Datatype::Enum { base, members, .. } => {
            let (order, signed) = match **base {
                Datatype::FixedPoint { order, signed, .. } => (order, signed),
                _ => return Err(bad("enum over a non-integer")),
            };
            let raw = read_uint(bytes, order).ok_or_else(|| bad("enum wider than 8 bytes"))?;
            if is_bool_enum(dt) {
                return Ok(Value::Bool(raw != 0));
            }
            let value = if signed {
                sign_extend(raw, size)
            } else {
                raw as i64
            };
            let name = members
                .iter()
                .find(|m| read_uint(&m.value, order) == Some(raw))
                .map(|m| m.name.clone());
            Value::Enum { value, name }
        }
        Datatype::Compound { members, .. } => {
            if let Some((part, order)) = complex_parts(dt) {
                let p = part as usize;
                let re = read_float(&bytes[..p], order).ok_or_else(|| bad("complex part"))?;
                let im = read_float(bytes.get(p..2 * p).ok_or_else(|| bad("complex"))?, order)
                    .ok_or_else(|| bad("complex part"))?;
                return Ok(Value::Complex {
                    re,
                    im,
                    bits: (p * 8) as u8,
                });
            }
            let mut out = Vec::with_capacity(members.len());
            for m in members {
                let start = usize::try_from(m.offset).map_err(|_| bad("member offset"))?;
                let msize = usize::try_from(m.datatype.size()).map_err(|_| bad("member size"))?;
                let end = start
                    .checked_add(msize)
                    .ok_or_else(|| bad("member offset"))?;
                let mb = bytes
                    .get(start..end)
                    .ok_or_else(|| bad("compound member outside the element"))?;
                out.push((m.name.clone(), decode_element(&m.datatype, mb, vlen)?));
            }
            Value::Compound(out)
        }
        Datatype::Array { dims, base, .. } => {
            let bsize = usize::try_from(base.size()).map_err(|_| bad("array base size"))?;
            decode_array(dims, base, bsize, bytes, vlen)?
        }
        Datatype::VarLenString { .. } => Value::VarString(vlen(bytes)?),
        Datatype::VarLenSequence { base, .. } => {
            let data = vlen(bytes)?;
            let bsize = usize::try_from(base.size()).map_err(|_| bad("sequence base size"))?;
            if bsize == 0 {
                return Err(bad("zero-size sequence base type"));
            }
            let mut out = Vec::with_capacity(data.len() / bsize);
            for chunk in data.chunks_exact(bsize) {
                out.push(decode_element(base, chunk, vlen)?);
            }
            Value::Sequence(out)
        }
        Datatype::Opaque { .. } | Datatype::Time { .. } => Value::Opaque(bytes.to_vec()),
        Datatype::Reference { .. } => Value::Reference(bytes.to_vec()),
        Datatype::Complex { base, .. } => {
            let (p, order) = match **base {
                Datatype::FloatingPoint { size, order, .. } => (size as usize, order),
                _ => return Err(bad("complex over a non-float")),
            };
            let re = read_float(bytes.get(..p).ok_or_else(|| bad("complex"))?, order)
                .ok_or_else(|| bad("complex part"))?;
            let im = read_float(bytes.get(p..2 * p).ok_or_else(|| bad("complex"))?, order)
                .ok_or_else(|| bad("complex part"))?;
            Value::Complex {
                re,
                im,
                bits: (p * 8) as u8,
            }
        }
    })
}

fn decode_array(
    dims: &[u64],
    base: &Datatype,
    bsize: usize,
    bytes: &[u8],
    vlen: &mut VlenResolver<'_>,
) -> Result<Value> {
    match dims.split_first() {
        None => decode_element(base, bytes, vlen),
        Some((&d, rest)) => {
            let inner: u64 = rest
                .iter()
                .try_fold(1u64, |a, &x| a.checked_mul(x))
                .ok_or_else(|| bad("array dims"))?;
            let step = (inner as usize)
                .checked_mul(bsize)
                .ok_or_else(|| bad("array dims"))?;
            let mut out = Vec::new();
            for i in 0..d as usize {
                let s = i.checked_mul(step).ok_or_else(|| bad("array dims"))?;
                let e = s.checked_add(step).ok_or_else(|| bad("array dims"))?;
                let b = bytes
                    .get(s..e)
                    .ok_or_else(|| bad("array larger than its element"))?;
                out.push(decode_array(rest, base, bsize, b, vlen)?);
            }
            Ok(Value::Array(out))
        }
    }
}

/// Rewrite `bytes` (elements of `dt`) so that every numeric field is little-endian
/// (for the `sha256_le` digest). Strings and opaque bytes are unchanged.
pub fn to_little_endian(dt: &Datatype, bytes: &mut [u8]) {
    let size = dt.size() as usize;
    if size == 0 || !has_big_endian(dt) {
        return;
    }
    for el in bytes.chunks_exact_mut(size) {
        swap_element(dt, el);
    }
}

/// Whether any numeric field of `dt` is stored big-endian.
fn has_big_endian(dt: &Datatype) -> bool {
    match dt {
        Datatype::FixedPoint { order, .. }
        | Datatype::FloatingPoint { order, .. }
        | Datatype::Bitfield { order, .. }
        | Datatype::Time { order, .. } => *order == ByteOrder::BigEndian,
        Datatype::Enum { base, .. }
        | Datatype::Array { base, .. }
        | Datatype::Complex { base, .. } => has_big_endian(base),
        Datatype::Compound { members, .. } => members.iter().any(|m| has_big_endian(&m.datatype)),
        // swap_element leaves every other class as it is.
        _ => false,
    }
}

fn swap_element(dt: &Datatype, el: &mut [u8]) {
    match dt {
        Datatype::FixedPoint {
            order: ByteOrder::BigEndian,
            ..
        }
        | Datatype::FloatingPoint {
            order: ByteOrder::BigEndian,
            ..
        }
        | Datatype::Bitfield {
            order: ByteOrder::BigEndian,
            ..
        }
        | Datatype::Time {
            order: ByteOrder::BigEndian,
            ..
        } => el.reverse(),
        Datatype::Enum { base, .. } => swap_element(base, el),
        Datatype::Compound { .. } | Datatype::Array { .. } | Datatype::Complex { .. } => {
            for_each_field(dt, el, swap_element)
        }
        _ => {}
    }
}

/// Apply `f` to the parts of one element `el` of a compound, array or complex type: each
/// compound member's bytes with its type, each item with the base type (other classes: none).
pub(crate) fn for_each_field(dt: &Datatype, el: &mut [u8], f: fn(&Datatype, &mut [u8])) {
    match dt {
        Datatype::Compound { members, .. } => {
            for m in members {
                let s = usize::try_from(m.offset).unwrap_or(usize::MAX);
                let e = s.saturating_add(m.datatype.size() as usize);
                if let Some(sub) = el.get_mut(s..e) {
                    f(&m.datatype, sub);
                }
            }
        }
        Datatype::Array { base, .. } | Datatype::Complex { base, .. } => {
            let bs = base.size() as usize;
            if bs > 0 {
                for sub in el.chunks_exact_mut(bs) {
                    f(base, sub);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_encode_round_trips_and_rounds_to_even() {
        for h in 0u16..=u16::MAX {
            let f = f16_to_f32(h);
            if f.is_finite() {
                assert_eq!(f16_from_f64(f64::from(f)), h, "{h:#06x}");
            }
        }
        assert_eq!(f16_from_f64(1.0), 0x3c00);
        assert_eq!(f16_from_f64(65520.0), 0x7c00); // past the largest half: inf
        assert_eq!(f16_from_f64(1e-7), 0x0002); // 1.68 × 2^-24 rounds up
        assert_eq!(f16_from_f64(1.0 + 2f64.powi(-11)), 0x3c00); // tie to even
        assert_eq!(f16_from_f64(f64::NAN) & 0x7e00, 0x7e00);
    }

    #[test]
    fn half_precision() {
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24)); // smallest subnormal
        assert_eq!(f16_to_f32(0x0200), 2f32.powi(-15)); // largest power-of-two subnormal
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0xfc00), f32::NEG_INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
    }

    fn ieee_like(size: u32, exp: u8, mant: u8, bias: u32, order: ByteOrder) -> Datatype {
        Datatype::FloatingPoint {
            size,
            order,
            bit_offset: 0,
            bit_precision: (1 + u16::from(exp) + u16::from(mant)),
            fields: FloatFields {
                sign_location: exp + mant,
                exponent_location: mant,
                exponent_size: exp,
                mantissa_location: 0,
                mantissa_size: mant,
                exponent_bias: bias,
            },
        }
    }

    #[test]
    fn long_double_fields() {
        // x87 extended in 16 bytes (numpy longdouble, HDF5 NATIVE_LDOUBLE): explicit bit.
        let ld = ieee_like(16, 15, 64, 16383, ByteOrder::LittleEndian);
        let x87 = |mant: u64, se: u16| {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&mant.to_le_bytes());
            b[8..10].copy_from_slice(&se.to_le_bytes());
            float_from_fields(&ld, &b).unwrap()
        };
        assert_eq!(x87(1 << 63, 0x3fff), 1.0);
        assert_eq!(x87(0xc000_0000_0000_0000, 0xc000), -3.0);
        // 1/3 rounds to the nearest double.
        assert_eq!(x87(0xaaaa_aaaa_aaaa_aaab, 0x3ffd), 1.0 / 3.0);
        assert_eq!(x87(1 << 63, 0x7fff), f64::INFINITY);
        assert!(x87(0xc000_0000_0000_0000, 0x7fff).is_nan());
        assert_eq!(x87(0, 0), 0.0);
        // Beyond the double range: infinity; far below: zero.
        assert_eq!(x87(1 << 63, 0x3fff + 2000), f64::INFINITY);
        assert_eq!(x87(1 << 63, 0x3fff - 2000), 0.0);
        assert_eq!(x87(1 << 63, 0x3fff - 1074), f64::from_bits(1));
        // IEEE binary128, big-endian: 1.5.
        let q = ieee_like(16, 15, 112, 16383, ByteOrder::BigEndian);
        let mut b = [0u8; 16];
        b[0] = 0x3f;
        b[1] = 0xff;
        b[2] = 0x80;
        assert_eq!(float_from_fields(&q, &b), Some(1.5));
        // The IEEE double layout gives the same as reading the bits.
        let d = ieee_like(8, 11, 52, 1023, ByteOrder::LittleEndian);
        for v in [0.1f64, -2.5e-310, 1e308] {
            assert_eq!(float_from_fields(&d, &v.to_le_bytes()), Some(v));
        }
    }
}
