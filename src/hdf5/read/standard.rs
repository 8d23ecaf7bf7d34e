//! h5py's view of integers and floats whose bits do not fill their bytes: a bit offset, a
//! precision narrower than the size (HDF5's n-bit types), or a float field layout other
//! than IEEE's. h5py reads them through HDF5's conversion to the standard type of the same
//! size and byte order (its numpy dtype: `<i2`, `>f4`, ...), so values, sums and digests
//! are taken from that converted form:
//! - integers: the `precision` bits at `offset`, sign-extended from the top one when signed;
//! - floats of 2, 4 or 8 bytes: the value decoded from the sign/exponent/mantissa fields,
//!   rounded to the IEEE type of that size.
//!
//! Other sizes (long double) are decoded from their fields elsewhere (`value.rs`).

use crate::hdf5::message::datatype::{ByteOrder, Datatype, FloatFields};
use crate::hdf5::read::value::{float_from_fields, for_each_field, read_uint};

/// Whether `dt` is a 2/4/8-byte float laid out as IEEE binary16/32/64.
fn is_ieee(dt: &Datatype) -> bool {
    let Datatype::FloatingPoint {
        size,
        bit_offset,
        bit_precision,
        fields,
        ..
    } = dt
    else {
        return false;
    };
    *bit_offset == 0
        && u32::from(*bit_precision) == size.saturating_mul(8)
        && FloatFields::ieee(*size) == Some(*fields)
}

/// Whether some integer or float inside `dt` needs HDF5's conversion to read as h5py does.
pub fn needs_conversion(dt: &Datatype) -> bool {
    match dt {
        Datatype::FixedPoint {
            size,
            bit_offset,
            bit_precision,
            ..
        } => *size <= 8 && (*bit_offset != 0 || u32::from(*bit_precision) != size * 8),
        Datatype::FloatingPoint { size, .. } => FloatFields::ieee(*size).is_some() && !is_ieee(dt),
        Datatype::Compound { members, .. } => members.iter().any(|m| needs_conversion(&m.datatype)),
        Datatype::Array { base, .. } => needs_conversion(base),
        _ => false,
    }
}

/// The stored bits `raw` (the element read as an unsigned number) of an integer type as
/// the standard integer of the same size: the precision bits at the offset, sign-extended
/// when signed, masked to the size.
pub fn int_bits(dt: &Datatype, raw: u64) -> u64 {
    let Datatype::FixedPoint {
        size,
        signed,
        bit_offset,
        bit_precision,
        ..
    } = dt
    else {
        return raw;
    };
    let (off, prec, bits) = (
        u32::from(*bit_offset),
        u32::from(*bit_precision),
        size.saturating_mul(8),
    );
    if (off == 0 && prec >= bits) || prec == 0 || off >= 64 || bits > 64 {
        return raw;
    }
    let prec = prec.min(64 - off);
    let mut v = raw >> off;
    if prec < 64 {
        v &= (1u64 << prec) - 1;
        if *signed && (v >> (prec - 1)) & 1 == 1 {
            v |= !0u64 << prec;
        }
    }
    if bits < 64 {
        v &= (1u64 << bits) - 1;
    }
    v
}

/// The size of the numpy float h5py reads a float type as: the smallest of float16/32/64
/// whose mantissa, largest and smallest exponents hold the type's (h5py's `_c_float`
/// rule; numpy's `finfo`). IEEE types keep their size; `None` past float64 (long double:
/// decoded elsewhere).
pub fn numpy_float_size(dt: &Datatype) -> Option<u32> {
    let Datatype::FloatingPoint { size, fields, .. } = dt else {
        return None;
    };
    if is_ieee(dt) {
        return Some(*size);
    }
    let max_exp = (1i64 << fields.exponent_size.min(40)) - i64::from(fields.exponent_bias) - 1;
    let min_exp = 1 - i64::from(fields.exponent_bias);
    // (size, nmant, maxexp, minexp) of numpy's float16, float32, float64.
    [(2, 10, 16, -14), (4, 23, 128, -126), (8, 52, 1024, -1022)]
        .into_iter()
        .find(|&(_, nmant, maxexp, minexp)| {
            u32::from(fields.mantissa_size) <= nmant && max_exp <= maxexp && min_exp >= minexp
        })
        .map(|(s, ..)| s)
}

/// The element size of a type as h5py reads it: a 2/4/8-byte float with other fields may
/// come back as a wider numpy float; every other type keeps its size.
pub fn converted_size(dt: &Datatype) -> u64 {
    match dt {
        Datatype::FloatingPoint { size, .. } if matches!(size, 2 | 4 | 8) => {
            u64::from(numpy_float_size(dt).unwrap_or(*size))
        }
        _ => dt.size(),
    }
}

/// A 2/4/8-byte float as h5py reads it (rounded to the numpy float of
/// [`converted_size`]); `None` when its fields cannot be decoded.
pub fn float_value(dt: &Datatype, bytes: &[u8]) -> Option<f64> {
    let Datatype::FloatingPoint { size, order, .. } = dt else {
        return None;
    };
    if is_ieee(dt) {
        return crate::hdf5::read::value::read_float(bytes.get(..*size as usize)?, *order);
    }
    let v = float_from_fields(dt, bytes)?;
    Some(round_to(v, converted_size(dt) as u32))
}

fn round_to(v: f64, size: u32) -> f64 {
    match size {
        2 => f64::from(crate::hdf5::read::value::f16_to_f32(f64_to_f16(v))),
        4 => f64::from(v as f32),
        _ => v,
    }
}

fn float_bits(v: f64, size: u32) -> u64 {
    match size {
        2 => u64::from(f64_to_f16(v)),
        4 => u64::from((v as f32).to_bits()),
        _ => v.to_bits(),
    }
}

/// IEEE half bits nearest to `v` (ties to even), as numpy's float64 -> float16.
pub fn f64_to_f16(v: f64) -> u16 {
    let sign: u16 = if v.is_sign_negative() { 0x8000 } else { 0 };
    let a = v.abs();
    if a.is_nan() {
        return sign | 0x7e00;
    }
    if a >= 65520.0 {
        return sign | 0x7c00; // rounds to infinity
    }
    // Smallest normal half is 2^-14; below it the step is 2^-24.
    let (exp, step) = if a < 2f64.powi(-14) {
        (0i32, 2f64.powi(-24))
    } else {
        let e = a.log2().floor() as i32;
        // Guard against log2 rounding at exact powers of two.
        let e = if 2f64.powi(e) > a {
            e - 1
        } else if 2f64.powi(e + 1) <= a {
            e + 1
        } else {
            e
        };
        (e + 15, 2f64.powi(e - 10))
    };
    let q = a / step; // exact: step is a power of two
    let mut m = q.floor();
    let frac = q - m;
    if frac > 0.5 || (frac == 0.5 && (m as u64) % 2 == 1) {
        m += 1.0;
    }
    let m = m as u32;
    let bits = if exp == 0 {
        m // subnormal (m may carry into the smallest normal: 0x400)
    } else {
        // m in [1024, 2048]; 2048 carries into the next exponent.
        ((exp as u32) << 10) + (m - 1024)
    };
    sign | (bits.min(0x7c00) as u16)
}

fn write_uint(el: &mut [u8], v: u64, order: ByteOrder) {
    let n = el.len().min(8);
    for i in 0..n {
        let b = (v >> (8 * i)) as u8;
        match order {
            ByteOrder::LittleEndian => el[i] = b,
            ByteOrder::BigEndian => el[n - 1 - i] = b,
        }
    }
}

/// Every element of `raw` (whole elements of `dt`) as h5py's converted form, and the
/// converted element size; borrowed unchanged for types that need no conversion. A float
/// read as a wider numpy float is widened (at top level only: inside compounds and arrays
/// its values are converted at their own size).
pub fn standardize<'a>(dt: &Datatype, raw: &'a [u8]) -> (std::borrow::Cow<'a, [u8]>, usize) {
    let size = dt.size() as usize;
    if !needs_conversion(dt) || size == 0 {
        return (std::borrow::Cow::Borrowed(raw), size);
    }
    let to = converted_size(dt) as usize;
    if let (Datatype::FloatingPoint { order, .. }, true) = (dt, to != size) {
        let mut out = vec![0u8; raw.len() / size * to];
        for (el, o) in raw.chunks_exact(size).zip(out.chunks_exact_mut(to)) {
            let v = float_value(dt, el).unwrap_or(f64::NAN);
            write_uint(o, float_bits(v, to as u32), *order);
        }
        return (std::borrow::Cow::Owned(out), to);
    }
    let mut out = raw.to_vec();
    for el in out.chunks_exact_mut(size) {
        standardize_element(dt, el);
    }
    (std::borrow::Cow::Owned(out), size)
}

/// The type of the bytes [`standardize`] returns: the standard integer or IEEE float h5py
/// reads (a wider float at top level, the same size inside compounds and arrays).
pub fn standard_type(dt: &Datatype) -> Datatype {
    standard_type_at(dt, true)
}

fn standard_type_at(dt: &Datatype, top: bool) -> Datatype {
    if !needs_conversion(dt) {
        return dt.clone();
    }
    let mut t = dt.clone();
    match &mut t {
        Datatype::FixedPoint {
            size,
            bit_offset,
            bit_precision,
            ..
        } => {
            *bit_offset = 0;
            *bit_precision = u16::try_from(*size * 8).unwrap_or(u16::MAX);
        }
        Datatype::FloatingPoint {
            size,
            bit_offset,
            bit_precision,
            fields,
            ..
        } => {
            let to = if top {
                converted_size(dt) as u32
            } else {
                *size
            };
            if let Some(f) = FloatFields::ieee(to) {
                *size = to;
                *bit_offset = 0;
                *bit_precision = u16::try_from(to * 8).unwrap_or(u16::MAX);
                *fields = f;
            }
        }
        Datatype::Compound { members, .. } => {
            for m in members.iter_mut() {
                m.datatype = standard_type_at(&m.datatype, false);
            }
        }
        Datatype::Array { base, .. } => **base = standard_type_at(base, false),
        _ => {}
    }
    t
}

fn standardize_element(dt: &Datatype, el: &mut [u8]) {
    match dt {
        Datatype::FixedPoint { order, .. } => {
            if let Some(raw) = read_uint(el, *order) {
                write_uint(el, int_bits(dt, raw), *order);
            }
        }
        Datatype::FloatingPoint { size, order, .. }
            if !is_ieee(dt) && matches!(size, 2 | 4 | 8) =>
        {
            // Rounded to the element's own size (a wider numpy float cannot fit in place).
            let v = round_to(float_value(dt, el).unwrap_or(f64::NAN), *size);
            write_uint(el, float_bits(v, *size), *order);
        }
        Datatype::Compound { .. } | Datatype::Array { .. } => {
            for_each_field(dt, el, standardize_element)
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(size: u32, signed: bool, off: u16, prec: u16) -> Datatype {
        Datatype::FixedPoint {
            size,
            order: ByteOrder::LittleEndian,
            signed,
            bit_offset: off,
            bit_precision: prec,
        }
    }

    #[test]
    fn narrow_integers_sign_extend_from_their_precision() {
        // 12-bit signed at offset 2 in 2 bytes: bits 2..14 hold 0xFFF = -1.
        assert_eq!(int_bits(&int(2, true, 2, 12), 0x3FFC), 0xFFFF);
        assert_eq!(int_bits(&int(2, false, 2, 12), 0x3FFC), 0x0FFF);
        assert_eq!(int_bits(&int(2, true, 0, 12), 0x07FF), 0x07FF);
        assert_eq!(int_bits(&int(4, true, 0, 32), 0xDEAD_BEEF), 0xDEAD_BEEF);
    }

    #[test]
    fn half_rounding_matches_ieee() {
        for (v, h) in [
            (1.0, 0x3c00u16),
            (-2.0, 0xc000),
            (65504.0, 0x7bff),
            (65520.0, 0x7c00),
            (2f64.powi(-24), 0x0001),
            (2f64.powi(-25), 0x0000), // tie to even
            (1.0 + 2f64.powi(-11), 0x3c00),
            (1.0 + 3.0 * 2f64.powi(-11), 0x3c02),
            (0.1, 0x2e66),
        ] {
            assert_eq!(f64_to_f16(v), h, "{v}");
        }
    }
}
