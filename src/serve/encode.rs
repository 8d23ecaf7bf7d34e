//! h5grove's binary encodings of a selection: `bin` (the NumPy array's bytes), `npy`
//! (`np.save`), `csv` (`np.savetxt(..., delimiter=",")`) and `tiff` (2-D, one strip).

use super::stats::Nums;
use crate::hdf5::message::datatype::{ByteOrder, Datatype};
use crate::hdf5::read::value::{
    complex_parts, f16_to_f32, is_bool_enum, read_float, read_uint, sign_extend,
};

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
            Datatype::FixedPoint {
                size,
                order,
                signed,
                ..
            } => (if *signed { Kind::Int } else { Kind::UInt }, *size, *order),
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
                let (part, o) = complex_parts(dt)?;
                (Kind::Complex, part * 2, o)
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
            let n = Num {
                kind: Kind::Float,
                size: 4,
                order: ByteOrder::LittleEndian,
            };
            return (n, out);
        }
        let mut raw = raw;
        if self.order == ByteOrder::BigEndian && size > 1 {
            // Complex parts are swapped one float at a time.
            let w = if self.kind == Kind::Complex {
                size / 2
            } else {
                size
            };
            for c in raw.chunks_exact_mut(w) {
                c.reverse();
            }
        }
        (
            Num {
                order: ByteOrder::LittleEndian,
                ..*self
            },
            raw,
        )
    }

    /// The values for statistics (complex is not handled: `None`).
    pub fn nums(&self, raw: &[u8]) -> Option<Nums> {
        let s = self.size as usize;
        let it = raw.chunks_exact(s);
        Some(match self.kind {
            Kind::Int => Nums::I(
                it.map(|c| sign_extend(read_uint(c, self.order).unwrap_or(0), s))
                    .collect(),
            ),
            Kind::UInt => Nums::U(it.map(|c| read_uint(c, self.order).unwrap_or(0)).collect()),
            Kind::Bool => Nums::B(it.map(|c| c.iter().any(|&b| b != 0)).collect()),
            Kind::Float => match s {
                2 => Nums::F16(
                    it.map(|c| read_float(c, self.order).unwrap_or(0.0) as f32)
                        .collect(),
                ),
                4 => Nums::F32(
                    it.map(|c| read_float(c, self.order).unwrap_or(0.0) as f32)
                        .collect(),
                ),
                _ => Nums::F64(
                    it.map(|c| read_float(c, self.order).unwrap_or(0.0))
                        .collect(),
                ),
            },
            Kind::Complex => Nums::C(it.map(|c| elem_f64(self, c)).collect()),
        })
    }
}

/// A shape as Python prints the tuple: `()`, `(3,)`, `(2, 3)`.
pub fn py_tuple(shape: &[u64]) -> String {
    match shape {
        [] => "()".into(),
        [a] => format!("({a},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
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
    crate::pymodaq::browsing::fmt_exp(x, 18)
}

/// One element widened to f64 (complex: both parts).
fn elem_f64(num: &Num, c: &[u8]) -> (f64, f64) {
    let s = num.size as usize;
    match num.kind {
        Kind::Int => (
            sign_extend(read_uint(c, num.order).unwrap_or(0), s) as f64,
            0.0,
        ),
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
            let ims = if ims.starts_with('-') {
                ims
            } else {
                format!("+{ims}")
            };
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

/// A little-endian TIFF as `tifffile.imwrite(buf, data, photometric="minisblack")` decodes
/// it (same pixels, type and shape): one uncompressed page per 2-D plane (1-D data is one
/// row), the shape in the first page's ImageDescription as tifffile's JSON. `None` for
/// complex data.
pub fn tiff(num: &Num, shape: &[u64], raw: &[u8]) -> Option<Vec<u8>> {
    let (h, w) = match shape {
        [] => return None,
        [w] => (1u64, *w),
        [.., h, w] => (*h, *w),
    };
    let pages: u64 = shape.iter().rev().skip(2).product();
    let fmt: u32 = match num.kind {
        Kind::UInt | Kind::Bool => 1,
        Kind::Int => 2,
        Kind::Float => 3,
        Kind::Complex => return None,
    };
    // Little-endian bytes of the same type (float16 stays float16, as tifffile writes it).
    let le = if num.kind == Kind::Float && num.size == 2 {
        let mut r = raw.to_vec();
        if num.order == ByteOrder::BigEndian {
            r.chunks_exact_mut(2).for_each(|c| c.reverse());
        }
        r
    } else {
        num.make_safe(raw.to_vec()).1
    };
    let bits = num.size * 8;
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let desc = format!("{{\"shape\": [{}]}}\0", dims.join(", "));
    let h32 = u32::try_from(h).ok()?;
    let w32 = u32::try_from(w).ok()?;
    let page_bytes = usize::try_from(h.checked_mul(w)?.checked_mul(u64::from(num.size))?).ok()?;
    let mut out: Vec<u8> = b"II*\0\0\0\0\0".to_vec();
    let mut prev_next_at = 4usize;
    for p in 0..pages.max(1) as usize {
        let data = le.get(p * page_bytes..(p + 1) * page_bytes).unwrap_or(&[]);
        let with_desc = p == 0;
        let entries: u16 = if with_desc { 12 } else { 11 };
        // Data first, then the IFD that points to it.
        while !out.len().is_multiple_of(16) {
            out.push(0);
        }
        let data_at = u32::try_from(out.len()).ok()?;
        out.extend_from_slice(data);
        let desc_at = u32::try_from(out.len()).ok()?;
        if with_desc {
            out.extend_from_slice(desc.as_bytes());
        }
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let ifd_at = u32::try_from(out.len()).ok()?;
        out.get_mut(prev_next_at..prev_next_at + 4)?
            .copy_from_slice(&ifd_at.to_le_bytes());
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
        tag(254, 4, 1, 0); // NewSubfileType
        tag(256, 4, 1, w32); // ImageWidth
        tag(257, 4, 1, h32); // ImageLength
        tag(258, 3, 1, bits); // BitsPerSample
        tag(259, 3, 1, 1); // Compression: none
        tag(262, 3, 1, 1); // Photometric: minisblack
        if with_desc {
            tag(270, 2, desc.len() as u32, desc_at); // ImageDescription
        }
        tag(273, 4, 1, data_at); // StripOffsets
        tag(277, 3, 1, 1); // SamplesPerPixel
        tag(278, 4, 1, h32); // RowsPerStrip
        tag(279, 4, 1, data.len() as u32); // StripByteCounts
        tag(339, 3, 1, fmt); // SampleFormat
        prev_next_at = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
    }
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
