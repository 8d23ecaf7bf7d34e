//! Bitshuffle (filter 32008, also blosc's bit shuffle): decode only.
//!
//! Layout (the bitshuffle library's `bshuf_trans_bit_elem`): a block of `n` elements
//! (`n` a multiple of 8) of `e` bytes becomes `8 e` bit planes of `n / 8` bytes; plane
//! `8 j + k` holds bit `k` of byte `j` of every element, element `i` at bit `i % 8` of byte
//! `i / 8`. The filter cuts the chunk into blocks of `block` elements (a multiple of 8),
//! then one block of the remaining elements rounded down to 8; the last `len % 8` elements
//! are stored as they are. Compressed variants (client data value 4: 2 = lz4, 3 = zstd)
//! start with a u64 BE decoded size and a u32 BE block size in bytes; each block is a u32 BE
//! compressed size and an lz4 block or zstd frame.

use crate::error::{Error, Result};
use crate::limits::Limits;

const STRUCTURE: &str = "filtered chunk";

fn corrupt(at: u64, what: impl std::fmt::Display) -> Error {
    Error::format(STRUCTURE, at, format!("bitshuffle: {what}"))
}

/// The library's default block size for an element size (8192 bytes' worth, a multiple
/// of 8, at least 128 elements).
pub fn default_block(elem: usize) -> usize {
    ((8192 / elem.max(1)) / 8 * 8).max(128)
}

/// Undo the bit transposition of `n` elements (`n % 8 == 0`) of `e` bytes from `src` into
/// `dst` (both `n * e` bytes).
pub fn untrans_bit_elem(src: &[u8], dst: &mut [u8], n: usize, e: usize) {
    let row = n / 8;
    for j in 0..e {
        for k in 0..8 {
            let plane = &src[(8 * j + k) * row..(8 * j + k + 1) * row];
            for (g, &byte) in plane.iter().enumerate() {
                if byte == 0 {
                    continue;
                }
                for m in 0..8 {
                    if byte >> m & 1 != 0 {
                        dst[(8 * g + m) * e + j] |= 1 << k;
                    }
                }
            }
        }
    }
}

/// Undo bitshuffle over a whole buffer of `elem`-byte elements in blocks of `block`
/// elements (the uncompressed filter, and blosc's per-block bit shuffle with one block).
pub fn unshuffle_blocks(src: &[u8], elem: usize, block: usize) -> Vec<u8> {
    let mut dst = vec![0u8; src.len()];
    if elem == 0 {
        dst.copy_from_slice(src);
        return dst;
    }
    let n = src.len() / elem;
    let block = block.max(8) / 8 * 8;
    let mut done = 0usize;
    while n - done >= 8 {
        let b = block.min((n - done) / 8 * 8);
        let r = done * elem..(done + b) * elem;
        untrans_bit_elem(&src[r.clone()], &mut dst[r], b, elem);
        done += b;
    }
    dst[done * elem..].copy_from_slice(&src[done * elem..]);
    dst
}

/// Decode one chunk of the bitshuffle filter (client data: major, minor, element size,
/// block size, compression).
pub fn decode(
    input: &[u8],
    client_data: &[u32],
    max: usize,
    limits: &Limits,
    at: u64,
) -> Result<Vec<u8>> {
    let elem = client_data.get(2).copied().unwrap_or(0) as usize;
    if elem == 0 {
        return Err(corrupt(at, "element size 0 in the client data"));
    }
    let comp = client_data.get(4).copied().unwrap_or(0);
    if comp == 0 {
        let block = match client_data.get(3).copied().unwrap_or(0) {
            0 => default_block(elem),
            b => b as usize,
        };
        if input.len() > max {
            return Err(corrupt(at, "chunk larger than expected"));
        }
        return Ok(unshuffle_blocks(input, elem, block));
    }
    if comp != 2 && comp != 3 {
        return Err(Error::unsupported(
            format!("bitshuffle compression {comp} (only none, lz4 and zstd)"),
            Some(at),
        ));
    }
    let head = input
        .get(..12)
        .ok_or_else(|| corrupt(at, "chunk shorter than its header"))?;
    let total = u64::from_be_bytes(head[..8].try_into().unwrap_or([0; 8]));
    let block_bytes = u32::from_be_bytes(head[8..12].try_into().unwrap_or([0; 4])) as usize;
    let total = usize::try_from(total).unwrap_or(usize::MAX);
    if total > max {
        return Err(corrupt(at, format!("{total} bytes, the chunk holds {max}")));
    }
    super::codecs::check_budget(input.len(), total, limits, at)?;
    let block = block_bytes / elem;
    if block == 0 || !block.is_multiple_of(8) {
        return Err(corrupt(at, format!("block of {block_bytes} bytes")));
    }
    let n = total / elem;
    let mut out = Vec::with_capacity(total);
    let mut plain = Vec::new();
    let mut p = 12usize;
    let mut done = 0usize;
    while n - done >= 8 {
        let b = block.min((n - done) / 8 * 8);
        let bytes = b * elem;
        let c = input
            .get(p..p + 4)
            .map(|x| u32::from_be_bytes(x.try_into().unwrap_or([0; 4])) as usize)
            .ok_or_else(|| corrupt(at, "truncated block header"))?;
        p += 4;
        let src = input
            .get(p..p.saturating_add(c))
            .ok_or_else(|| corrupt(at, "block past the end of the chunk"))?;
        plain.clear();
        if comp == 2 {
            super::codecs::lz4_block(src, bytes, &mut plain, at)?;
        } else {
            plain = super::codecs::zstd_decompress(src, bytes, limits, at)?;
            if plain.len() != bytes {
                return Err(corrupt(at, "zstd block of the wrong size"));
            }
        }
        let start = out.len();
        out.resize(start + bytes, 0);
        untrans_bit_elem(&plain, &mut out[start..], b, elem);
        p += c;
        done += b;
    }
    // The last len % 8 elements (and any bytes past whole elements) follow as they are.
    let rest = total - out.len();
    let tail = input
        .get(p..p + rest)
        .ok_or_else(|| corrupt(at, "truncated trailing elements"))?;
    out.extend_from_slice(tail);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The transposition as the library defines it, for the round trip.
    fn trans(src: &[u8], n: usize, e: usize) -> Vec<u8> {
        let row = n / 8;
        let mut out = vec![0u8; n * e];
        for i in 0..n {
            for j in 0..e {
                for k in 0..8 {
                    if src[i * e + j] >> k & 1 != 0 {
                        out[(8 * j + k) * row + i / 8] |= 1 << (i % 8);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn round_trip() {
        let data: Vec<u8> = (0..24u32 * 4).map(|i| (i * 37 % 251) as u8).collect();
        let t = trans(&data, 24, 4);
        let mut back = vec![0u8; data.len()];
        untrans_bit_elem(&t, &mut back, 24, 4);
        assert_eq!(back, data);
        // One element: bits of 0x01 go to plane 0, element 0 -> first byte of plane 0.
        let mut one = [0u8; 8];
        one[0] = 1;
        assert_eq!(trans(&one, 8, 1)[0], 1);
    }
}
