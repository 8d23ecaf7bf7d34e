//! Scale-offset filter (6, HDF5 built-in), decode only, after HDF5's `H5Zscaleoffset.c`.
//!
//! Client data: scale type (0 float D-scale, 1 float E-scale — never implemented by HDF5,
//! 2 integer), scale factor, element count, class (0 integer, 1 float), size, sign, byte
//! order (0 LE, 1 BE), fill value defined, fill value bytes (little-endian, packed in the
//! following values). The chunk starts with a 21-byte header: `minbits` (u32 LE), the size
//! of `minval` (1 byte) and `minval` (LE). Then, unless `minbits` is the full width (the
//! values stored as they are, little-endian), every element as a `minbits`-bit unsigned
//! number, most significant bit first, no padding. Integers: value + minval (the all-ones
//! value means the fill value when one is defined). Floats (D-scale): the number read as a
//! signed integer of the float's width, divided by 10^scale factor, plus minval (the float's
//! bits), in the float's own precision. Results are written in the dataset's byte order.

use crate::error::{Error, Result};

const STRUCTURE: &str = "filtered chunk";
const HEADER: usize = 21;

fn corrupt(at: u64, what: impl std::fmt::Display) -> Error {
    Error::format(STRUCTURE, at, format!("scaleoffset: {what}"))
}

/// Decode one chunk of at most `max` bytes.
pub fn decode(input: &[u8], cd: &[u32], max: usize, at: u64) -> Result<Vec<u8>> {
    let get = |i: usize| {
        cd.get(i)
            .copied()
            .ok_or_else(|| corrupt(at, "client data too short"))
    };
    let scale_type = get(0)?;
    let scale_factor = get(1)? as i32;
    let n = get(2)? as usize;
    let class = get(3)?;
    let size = get(4)? as usize;
    let signed = get(5)? != 0;
    let big_endian = get(6)? == 1;
    let fill_defined = get(7)? != 0;
    if !matches!(size, 1 | 2 | 4 | 8) || (class == 1 && !matches!(size, 4 | 8)) || class > 1 {
        return Err(corrupt(at, format!("class {class} of {size} bytes")));
    }
    if class == 1 && scale_type != 0 {
        return Err(Error::unsupported(
            "scaleoffset E-scaling (not implemented by HDF5 either)",
            Some(at),
        ));
    }
    let total = n
        .checked_mul(size)
        .filter(|&t| t <= max)
        .ok_or_else(|| corrupt(at, format!("{n} elements exceed the chunk")))?;
    let bits = size as u32 * 8;
    if class == 0 && scale_factor as u32 == bits {
        // Integer with minbits = full precision set by the user: stored unfiltered.
        return Ok(input.to_vec());
    }
    let head = input
        .get(..HEADER)
        .ok_or_else(|| corrupt(at, "chunk shorter than its header"))?;
    let minbits = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    let mv_size = usize::from(head[4]).min(8);
    let minval = head[5..5 + mv_size]
        .iter()
        .rev()
        .fold(0u64, |a, &b| (a << 8) | u64::from(b));
    if minbits > bits {
        return Err(corrupt(
            at,
            format!("minbits {minbits} for {size}-byte values"),
        ));
    }
    let payload = &input[HEADER..];
    let mut out = vec![0u8; total];
    if minbits == bits {
        let raw = payload
            .get(..total)
            .ok_or_else(|| corrupt(at, "stored values shorter than the chunk"))?;
        out.copy_from_slice(raw);
        if big_endian {
            out.chunks_exact_mut(size).for_each(|e| e.reverse());
        }
        return Ok(out);
    }
    // Fill value: little-endian bytes packed in the u32 client data from value 8 on.
    let fill: u64 = cd
        .iter()
        .skip(8)
        .flat_map(|w| w.to_le_bytes())
        .take(size)
        .enumerate()
        .fold(0u64, |a, (k, b)| a | u64::from(b) << (8 * k));
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let sentinel = if minbits >= 64 {
        u64::MAX
    } else {
        (1u64 << minbits) - 1
    };
    let mut pos = 0usize;
    for el in out.chunks_exact_mut(size) {
        let mut v = 0u64;
        for _ in 0..minbits {
            let byte = payload
                .get(pos / 8)
                .ok_or_else(|| corrupt(at, "packed values shorter than the chunk"))?;
            v = v << 1 | u64::from(byte >> (7 - pos % 8) & 1);
            pos += 1;
        }
        let word: u64 = if class == 0 {
            if fill_defined && v == sentinel {
                fill
            } else {
                v.wrapping_add(minval) & mask
            }
        } else if size == 4 {
            let i = v as u32 as i32;
            let min = f32::from_bits(minval as u32);
            let x = if fill_defined && i == sentinel as u32 as i32 {
                f32::from_bits(fill as u32)
            } else {
                i as f32 / 10f32.powf(scale_factor as f32) + min
            };
            u64::from(x.to_bits())
        } else {
            let i = v as i64;
            let min = f64::from_bits(minval);
            let x = if fill_defined && i == sentinel as i64 {
                f64::from_bits(fill)
            } else {
                i as f64 / 10f64.powf(f64::from(scale_factor)) + min
            };
            x.to_bits()
        };
        let _ = signed; // two's complement wrap-around is the same for both signs
        el.copy_from_slice(&word.to_le_bytes()[..size]);
        if big_endian {
            el.reverse();
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(minbits: u32, minval: u64) -> Vec<u8> {
        let mut h = minbits.to_le_bytes().to_vec();
        h.push(8);
        h.extend_from_slice(&minval.to_le_bytes());
        h.resize(HEADER, 0);
        h
    }

    #[test]
    fn integers_with_fill_sentinel() {
        // Three i32: 3-bit values 0, 5, 7 (7 = fill) with minval -2 and fill 99.
        let mut c = header(3, (-2i64) as u64);
        c.extend_from_slice(&[0b0001_0111, 0b1000_0000]); // 000 101 11|1
        let cd = [2, 0, 3, 0, 4, 1, 0, 1, 99];
        let out = decode(&c, &cd, 12, 0).unwrap();
        let v: Vec<i32> = out
            .chunks(4)
            .map(|b| i32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        assert_eq!(v, [-2, 3, 99]);
        // Big-endian dataset.
        let cd_be = [2, 0, 3, 0, 4, 1, 1, 1, 99];
        let out = decode(&c, &cd_be, 12, 0).unwrap();
        assert_eq!(i32::from_be_bytes(out[4..8].try_into().unwrap()), 3);
        assert!(decode(&c[..22], &cd, 12, 0).is_err());
    }

    #[test]
    fn float_d_scale() {
        // f64, D = 2, minval 1.5: integer 250 -> 2.5 + 1.5 = 4.0.
        let mut c = header(8, 1.5f64.to_bits());
        c.push(250);
        let cd = [0, 2, 1, 1, 8, 0, 0, 0];
        let out = decode(&c, &cd, 8, 0).unwrap();
        assert_eq!(f64::from_le_bytes(out.try_into().unwrap()), 4.0);
    }
}
