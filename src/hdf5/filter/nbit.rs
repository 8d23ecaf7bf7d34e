//! N-bit filter (5, HDF5 built-in), decode only, after HDF5's `H5Znbit.c`.
//!
//! Client data: count, "no compression needed" flag, element count, then the type
//! description: class 1 atomic (size, order 0 LE / 1 BE, precision, offset), 2 array
//! (size, base class, base...), 3 compound (size, member count, then per member its offset,
//! class, description), 4 no-op (size). The stream packs, element after element, the
//! `precision` significant bits of every atomic value most significant first (no-op bytes:
//! 8 bits each), with no padding; decoding puts each value back at its bit offset in the
//! element's byte order, every other bit zero.

use crate::error::{Error, Result};

const STRUCTURE: &str = "filtered chunk";

fn corrupt(at: u64, what: impl std::fmt::Display) -> Error {
    Error::format(STRUCTURE, at, format!("nbit: {what}"))
}

enum Ty {
    Atomic {
        size: usize,
        big_endian: bool,
        precision: u32,
        offset: u32,
    },
    Array {
        size: usize,
        base: Box<Ty>,
    },
    Compound {
        size: usize,
        members: Vec<(usize, Ty)>,
    },
    Noop {
        size: usize,
    },
}

impl Ty {
    fn size(&self) -> usize {
        match self {
            Ty::Atomic { size, .. }
            | Ty::Array { size, .. }
            | Ty::Compound { size, .. }
            | Ty::Noop { size } => *size,
        }
    }
}

fn parse(p: &[u32], i: &mut usize, class: u32, depth: u32, at: u64) -> Result<Ty> {
    let mut next = || -> Result<u32> {
        let v = p
            .get(*i)
            .copied()
            .ok_or_else(|| corrupt(at, "client data too short"))?;
        *i += 1;
        Ok(v)
    };
    if depth > 16 {
        return Err(corrupt(at, "type nested too deep"));
    }
    Ok(match class {
        1 => {
            let size = next()? as usize;
            let big_endian = next()? == 1;
            let precision = next()?;
            let offset = next()?;
            if size == 0
                || size > 16
                || precision == 0
                || u64::from(precision) + u64::from(offset) > 8 * size as u64
            {
                return Err(corrupt(
                    at,
                    format!("atomic size {size}, precision {precision}, offset {offset}"),
                ));
            }
            Ty::Atomic {
                size,
                big_endian,
                precision,
                offset,
            }
        }
        2 => {
            let size = next()? as usize;
            let base_class = next()?;
            let base = parse(p, i, base_class, depth + 1, at)?;
            if base.size() == 0 || !size.is_multiple_of(base.size()) {
                return Err(corrupt(at, "array size not a multiple of its base"));
            }
            Ty::Array {
                size,
                base: Box::new(base),
            }
        }
        3 => {
            let size = next()? as usize;
            let n = next()? as usize;
            if n > p.len() {
                return Err(corrupt(at, "member count beyond the client data"));
            }
            let mut members = Vec::with_capacity(n);
            for _ in 0..n {
                let off = p.get(*i).copied().unwrap_or(u32::MAX) as usize;
                let cls = p.get(*i + 1).copied().unwrap_or(0);
                *i += 2;
                let t = parse(p, i, cls, depth + 1, at)?;
                if off.saturating_add(t.size()) > size {
                    return Err(corrupt(at, "compound member outside the element"));
                }
                members.push((off, t));
            }
            Ty::Compound { size, members }
        }
        4 => Ty::Noop {
            size: next()? as usize,
        },
        c => return Err(corrupt(at, format!("type class {c}"))),
    })
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    at: u64,
}

impl Bits<'_> {
    fn take(&mut self, n: u32) -> Result<u128> {
        let mut v = 0u128;
        for _ in 0..n {
            let byte = self
                .data
                .get(self.pos / 8)
                .ok_or_else(|| corrupt(self.at, "stream shorter than the chunk"))?;
            let bit = byte >> (7 - self.pos % 8) & 1;
            v = v << 1 | u128::from(bit);
            self.pos += 1;
        }
        Ok(v)
    }
}

fn decode_one(t: &Ty, out: &mut [u8], bits: &mut Bits<'_>) -> Result<()> {
    match t {
        Ty::Atomic {
            size,
            big_endian,
            precision,
            offset,
        } => {
            let v = bits.take(*precision)? << offset;
            let le = v.to_le_bytes();
            let dst = &mut out[..*size];
            dst.copy_from_slice(&le[..*size]);
            if *big_endian {
                dst.reverse();
            }
        }
        Ty::Array { size, base } => {
            let b = base.size();
            for k in 0..size / b {
                decode_one(base, &mut out[k * b..(k + 1) * b], bits)?;
            }
        }
        Ty::Compound { members, .. } => {
            for (off, m) in members {
                decode_one(m, &mut out[*off..], bits)?;
            }
        }
        Ty::Noop { size } => {
            for b in out.iter_mut().take(*size) {
                *b = bits.take(8)? as u8;
            }
        }
    }
    Ok(())
}

/// Decode one n-bit chunk of `max` bytes (the chunk size).
pub fn decode(input: &[u8], client_data: &[u32], max: usize, at: u64) -> Result<Vec<u8>> {
    if client_data.get(1).copied().unwrap_or(0) != 0 {
        // "No need to compress": stored as is.
        return Ok(input.to_vec());
    }
    let n = client_data.get(2).copied().unwrap_or(0) as usize;
    let class = client_data
        .get(3)
        .copied()
        .ok_or_else(|| corrupt(at, "client data too short"))?;
    let mut i = 4usize;
    let t = parse(client_data, &mut i, class, 0, at)?;
    let size = t.size();
    let total = n
        .checked_mul(size)
        .filter(|&t| t <= max)
        .ok_or_else(|| corrupt(at, format!("{n} elements of {size} bytes exceed the chunk")))?;
    let mut out = vec![0u8; total];
    let mut bits = Bits {
        data: input,
        pos: 0,
        at,
    };
    if size > 0 {
        for el in out.chunks_exact_mut(size) {
            decode_one(&t, el, &mut bits)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_bit_values_at_offset_two() {
        // Two LE 16-bit elements, precision 12, offset 2: 0xABC and 0x123 packed
        // MSB first -> 0xAB 0xC1 0x23.
        let cd = [8, 0, 2, 1, 2, 0, 12, 2];
        let out = decode(&[0xAB, 0xC1, 0x23], &cd, 4, 0).unwrap();
        let a = u16::from_le_bytes([out[0], out[1]]);
        let b = u16::from_le_bytes([out[2], out[3]]);
        assert_eq!((a, b), (0xABC << 2, 0x123 << 2));
        // Big-endian element order.
        let cd_be = [8, 0, 2, 1, 2, 1, 12, 2];
        let out = decode(&[0xAB, 0xC1, 0x23], &cd_be, 4, 0).unwrap();
        assert_eq!(u16::from_be_bytes([out[0], out[1]]), 0xABC << 2);
        // Truncated stream; too many elements for the chunk.
        assert!(decode(&[0xAB], &cd, 4, 0).is_err());
        assert!(decode(&[0xAB, 0xC1, 0x23], &cd, 3, 0).is_err());
    }
}
