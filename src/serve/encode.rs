//! h5grove's binary encodings of a selection: `bin` (the NumPy array's bytes), `npy`
//! (`np.save`), `csv` (`np.savetxt(..., delimiter=",")`) and `tiff` (2-D, one strip).

use super::stats::Nums;
use crate::hdf5::message::datatype::{ByteOrder, Datatype};
use crate::hdf5::read::value::{complex_parts, f16_to_f32, is_bool_enum, read_float, read_uint, sign_extend};

/// The element layout NumPy gives a numeric HDF5 type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Signed integer.
    Int,
    /// Unsigned integer.
    UInt,
    /// Boolean (h5py's enum).
    Bool,
    /// IEEE float.
    Float,
    /// Complex (two floats).
    Complex,
}

/// A numeric element type: kind, byte size, byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Num {
    /// Kind.
    pub kind: Kind,
    /// Element size (bytes).
    pub size: u32,
    /// Byte order of the bytes.
    pub order: ByteOrder,
}

impl Num {
    /// The numeric layout of `dt`, if NumPy sees it as a number (array types: their base).
    pub fn of(dt: &Datatype) -> Option<Num> {
        let (kind, size, order) = match dt {
            Datatype::FixedPoint { size, order, signed, .. } => {
                (if *signed { Kind::Int } else { Kind::UInt }, *size, *order)
            }
            Datatype::Bitfield { size, order, .. } => (Kind::UInt, *size, *order),
            Datatype::FloatingPoint { size, order, .. } => (Kind::Float, *size, *order),
            Datatype::Enum { base, .. } if is_bool_enum(dt) => {
                let o = match **base {
                    Datatype::FixedPoint { order, .. } => order,
                    _ => ByteOrder::LittleEndian,
                };
                (Kind::Bool, 1, o)
            }
            Datatype::Enum { base, .. } | Datatype::Array { base, .. } => return Num::of(base),
            Datatype::Compound { .. } => {
                let (bits, o) = complex_parts(dt)?;
                (Kind::Complex, bits / 4, o)
            }
            Datatype::Complex { size, base } => {
                let o = match **base {
                    Datatype::FloatingPoint { order, .. } => order,
                    _ => ByteOrder::LittleEndian,
                };
                (Kind::Complex, *size, o)
            }
            _ => return None,
        };
        let ok = match kind {
            Kind::Int | Kind::UInt => matches!(size, 1 | 2 | 4 | 8),
            Kind::Bool => true,
            Kind::Float => matches!(size, 2 | 4 | 8),
            Kind::Complex => matches!(size, 8 | 16),
        };
        ok.then_some(Num { kind, size, order })
    }

    /// NumPy's `dtype.str`.
    pub fn descr(&self) -> String {
        let e = if self.size == 1 {
            '|'
        } else if self.order == ByteOrder::BigEndian {
            '>'
        } else {
            '<'
        };
        let k = match self.kind {
            Kind::Int => 'i',
            Kind::UInt => 'u',
            Kind::Bool => 'b',
            Kind::Float => 'f',
            Kind::Complex => 'c',
        };
        format!("{e}{k}{}", self.size)
    }

    /// h5grove's `dtype=safe`: little-endian, float16 widened to float32.
    pub fn make_safe(&self, raw: Vec<u8>) -> (Num, Vec<u8>) {
        let size = self.size as usize;
        if self.kind == Kind::Float && self.size == 2 {
            let mut out = Vec::with_capacity(raw.len() * 2);
            for c in raw.chunks_exact(2) {
                let h = read_uint(c, self.order).unwrap_or(0) as u16;
                out.extend_from_slice(&f16_to_f32(h).to_le_bytes());
            }
            let n = Num { kind: Kind::Float, size: 4, order: ByteOrder::LittleEndian };
            return (n, out);
        }
        let mut raw = raw;
        if self.order == ByteOrder::BigEndian && size > 1 {
            // Complex parts are swapped one float at a time.
            let w = if self.kind == Kind::Complex { size / 2 } else { size };
            for c in raw.chunks_exact_mut(w) {
                c.reverse();
            }
        }
        (Num { order: ByteOrder::LittleEndian, ..*self }, raw)
    }

    /// The values for statistics (complex is not handled: `None`).
    pub fn nums(&self, raw: &[u8]) -> Option<Nums> {
        let s = self.size as usize;
        let it = raw.chunks_exact(s);
        Some(match self.kind {
            Kind::Int => Nums::I(it.map(|c| sign_extend(read_uint(c, self.order).unwrap_or(0), s)).collect()),
            Kind::UInt => Nums::U(it.map(|c| read_uint(c, self.order).unwrap_or(0)).collect()),
            Kind::Bool => Nums::B(it.map(|c| c.iter().any(|&b| b != 0)).collect()),
            Kind::Float => match s {
                2 => Nums::F16(it.map(|c| read_float(c, self.order).unwrap_or(0.0) as f32).collect()),
                4 => Nums::F32(it.map(|c| read_float(c, self.order).unwrap_or(0.0) as f32).collect()),
                _ => Nums::F64(it.map(|c| read_float(c, self.order).unwrap_or(0.0)).collect()),
            },
            Kind::Complex => return None,
        })
    }
}

fn py_tuple(shape: &[u64]) -> String {
    match shape {
        [] => "()".into(),
        [a] => format!("({a},)"),
        _ => format!("({})", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

/// `np.save` of the array: format 1.0, header padded as NumPy pads it.
pub fn npy(num: &Num, shape: &[u64], raw: &[u8]) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        num.descr(),
        py_tuple(shape)
    );
    // NumPy leaves room to grow the first axis in place (GROWTH_AXIS_MAX_DIGITS = 21).
    if let Some(first) = shape.first() {
        let digits = first.to_string().len();
        header.push_str(&" ".repeat(21usize.saturating_sub(digits)));
    }
    let hlen = header.len() + 1;
    let pad = 64 - ((6 + 2 + 2 + hlen) % 64);
    let mut out = Vec::with_capacity(10 + hlen + pad + raw.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&((hlen + pad) as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend(std::iter::repeat_n(b' ', pad));
    out.push(b'\n');
    out.extend_from_slice(raw);
    out
}

/// Python's `'%.18e' % x`.
pub fn pct_18e(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let s = format!("{x:.18e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

/// One element widened to f64 (complex: both parts).
fn elem_f64(num: &Num, c: &[u8]) -> (f64, f64) {
    let s = num.size as usize;
    match num.kind {
        Kind::Int => (sign_extend(read_uint(c, num.order).unwrap_or(0), s) as f64, 0.0),
        Kind::UInt => (read_uint(c, num.order).unwrap_or(0) as f64, 0.0),
        Kind::Bool => (if c.iter().any(|&b| b != 0) { 1.0 } else { 0.0 }, 0.0),
        Kind::Float => (read_float(c, num.order).unwrap_or(0.0), 0.0),
        Kind::Complex => {
            let h = s / 2;
            (
                read_float(c.get(..h).unwrap_or(&[]), num.order).unwrap_or(0.0),
                read_float(c.get(h..).unwrap_or(&[]), num.order).unwrap_or(0.0),
            )
        }
    }
}

/// `np.savetxt(buf, data, delimiter=",")` for 1-D and 2-D data; `None` for other ranks
/// (NumPy raises there).
pub fn csv(num: &Num, shape: &[u64], raw: &[u8]) -> Option<Vec<u8>> {
    let cols = match shape {
        [_] => 1,
        [_, c] => *c as usize,
        _ => return None,
    };
    let cell = |c: &[u8]| {
        let (re, im) = elem_f64(num, c);
        if num.kind == Kind::Complex {
            // savetxt's complex format: ' (%.18e+%.18ej)'.
            let ims = pct_18e(im);
            let ims = if ims.starts_with('-') { ims } else { format!("+{ims}") };
            format!(" ({}{}j)", pct_18e(re), ims)
        } else {
            pct_18e(re)
        }
    };
    let mut out = String::new();
    let elems: Vec<&[u8]> = raw.chunks_exact(num.size as usize).collect();
    let rows = shape.first().copied().unwrap_or(0) as usize;
    for r in 0..rows {
        let row = elems.get(r * cols..(r + 1) * cols).unwrap_or(&[]);
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    Some(out.into_bytes())
}

/// A little-endian TIFF of a 2-D array (1-D as one row), minisblack, one strip: what
/// `tifffile.imwrite(buf, data, photometric="minisblack")` decodes to (same pixels, type
/// and shape). `None` for other ranks and complex data.
pub fn tiff(num: &Num, shape: &[u64], raw: &[u8]) -> Option<Vec<u8>> {
    let (h, w) = match shape {
        [w] => (1u64, *w),
        [h, w] => (*h, *w),
        _ => return None,
    };
    let fmt = match num.kind {
        Kind::UInt | Kind::Bool => 1u16,
        Kind::Int => 2,
        Kind::Float => 3,
        Kind::Complex => return None,
    };
    let (safe, le) = num.make_safe(raw.to_vec());
    let bits = safe.size * 8;
    let desc = format!("{{\"shape\": [{h}, {w}]}}\0");
    tiff_with_format(u32::try_from(h).ok()?, u32::try_from(w).ok()?, bits, fmt, &desc, &le)
}

fn tiff_with_format(h: u32, w: u32, bits: u32, fmt: u16, desc: &str, le: &[u8]) -> Option<Vec<u8>> {
    let entries: u16 = 12;
    let ifd_len = 2 + u32::from(entries) * 12 + 4;
    let desc_at = 8 + ifd_len;
    let data_at = (desc_at + desc.len() as u32).next_multiple_of(16);
    let data_len = u32::try_from(le.len()).ok()?;
    let mut out = Vec::new();
    out.extend_from_slice(b"II*\0");
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&entries.to_le_bytes());
    let mut tag = |t: u16, ty: u16, count: u32, val: u32| {
        out.extend_from_slice(&t.to_le_bytes());
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        if ty == 3 && count == 1 {
            out.extend_from_slice(&(val as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&val.to_le_bytes());
        }
    };
    tag(254, 4, 1, 0);
    tag(256, 4, 1, w);
    tag(257, 4, 1, h);
    tag(258, 3, 1, bits);
    tag(259, 3, 1, 1);
    tag(262, 3, 1, 1);
    tag(270, 2, desc.len() as u32, desc_at);
    tag(273, 4, 1, data_at);
    tag(277, 3, 1, 1);
    tag(278, 4, 1, h);
    tag(279, 4, 1, data_len);
    tag(339, 3, 1, u32::from(fmt)); // SampleFormat
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(desc.as_bytes());
    out.resize(data_at as usize, 0);
    out.extend_from_slice(le);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_e() {
        assert_eq!(pct_18e(1.0), "1.000000000000000000e+00");
        assert_eq!(pct_18e(0.1), "1.000000000000000056e-01");
        assert_eq!(pct_18e(-2.5e-300), "-2.499999999999999980e-300");
    }
}
