//! Blosc (filter 32001): decode only, the c-blosc 1.x chunk format the HDF5 plugin stores.
//!
//! Header (16 bytes): format version, codec version, flags (bit 0 byte shuffle, bit 1 stored
//! uncompressed, bit 2 bit shuffle, bit 4 "don't split", bits 5-7 codec: 0 blosclz, 1 lz4 /
//! lz4hc, 2 snappy, 3 zlib, 4 zstd), type size, then u32 LE decoded size, block size and
//! compressed size. Unless stored uncompressed, a u32 LE start offset per block follows;
//! a block is split into one stream per byte of the type (when the flags allow, the type is
//! at most 16 bytes, the block holds at least 128 elements and it is not the last, partial
//! block), each stream a u32 LE size and the codec's data (stored raw when the size equals
//! the stream's). Blocks are then unshuffled (byte or bit shuffle).

use crate::error::{Error, Result};
use crate::limits::Limits;

const STRUCTURE: &str = "filtered chunk";

fn corrupt(at: u64, what: impl std::fmt::Display) -> Error {
    Error::format(STRUCTURE, at, format!("blosc: {what}"))
}

fn le32(b: &[u8], p: usize, at: u64) -> Result<usize> {
    let x = b
        .get(p..p + 4)
        .ok_or_else(|| corrupt(at, "truncated header"))?;
    Ok(u32::from_le_bytes([x[0], x[1], x[2], x[3]]) as usize)
}

/// Decode one blosc chunk of at most `max` bytes.
pub fn decode(input: &[u8], max: usize, limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let head = input
        .get(..16)
        .ok_or_else(|| corrupt(at, "chunk shorter than its header"))?;
    let version = head[0];
    let flags = head[2];
    let typesize = usize::from(head[3]);
    let nbytes = le32(head, 4, at)?;
    let blocksize = le32(head, 8, at)?;
    let cbytes = le32(head, 12, at)?;
    if nbytes > max {
        return Err(corrupt(
            at,
            format!("{nbytes} bytes, the chunk holds {max}"),
        ));
    }
    if nbytes == 0 {
        return Ok(Vec::new());
    }
    if version == 0 || version > 4 || flags & 0x08 != 0 {
        return Err(Error::unsupported(
            format!("blosc chunk format version {version} flags {flags:#x}"),
            Some(at),
        ));
    }
    if blocksize == 0 || typesize == 0 || cbytes > input.len() {
        return Err(corrupt(
            at,
            format!("block size {blocksize}, type size {typesize}, {cbytes} compressed bytes"),
        ));
    }
    super::codecs::check_budget(input.len(), nbytes, limits, at)?;
    let input = &input[..cbytes];
    let nblocks = nbytes.div_ceil(blocksize);
    let leftover = nbytes % blocksize;
    let mut out = vec![0u8; nbytes];
    if flags & 0x02 != 0 {
        // Stored as is after the header (level 0, or incompressible): no unshuffle.
        let raw = input
            .get(16..16 + nbytes)
            .ok_or_else(|| corrupt(at, "uncompressed data shorter than its size"))?;
        out.copy_from_slice(raw);
        return Ok(out);
    }
    let codec = flags >> 5;
    let dont_split = flags & 0x10 != 0;
    let byte_shuffle = flags & 0x01 != 0 && typesize > 1;
    let bit_shuffle = flags & 0x04 != 0;
    let mut tmp = Vec::new();
    for j in 0..nblocks {
        let last_partial = j == nblocks - 1 && leftover > 0;
        let bsize = if last_partial { leftover } else { blocksize };
        let mut p = le32(input, 16 + 4 * j, at)?;
        let nsplits = if !dont_split && typesize <= 16 && bsize / typesize >= 128 && !last_partial {
            typesize
        } else {
            1
        };
        let neblock = bsize / nsplits;
        tmp.clear();
        for _ in 0..nsplits {
            let c = le32(input, p, at)?;
            p += 4;
            let src = input
                .get(p..p.saturating_add(c))
                .ok_or_else(|| corrupt(at, "stream past the end of the chunk"))?;
            if c == neblock {
                tmp.extend_from_slice(src);
            } else {
                let start = tmp.len();
                if !decode_stream(codec, src, neblock, &mut tmp, limits, at)? {
                    return Err(Error::unsupported(
                        match codec {
                            2 => "blosc codec snappy (no decoder here)".to_string(),
                            other => format!("blosc codec {other}"),
                        },
                        Some(at),
                    ));
                }
                if tmp.len() - start != neblock {
                    return Err(corrupt(at, "stream decoded to the wrong size"));
                }
            }
            p += c;
        }
        // A block size not divisible by the split count leaves no bytes behind: blosc
        // makes block sizes multiples of the type size.
        if tmp.len() != bsize {
            return Err(corrupt(at, "block decoded to the wrong size"));
        }
        let dst = &mut out[j * blocksize..j * blocksize + bsize];
        if byte_shuffle {
            let mut u = Vec::new();
            super::shuffle::unshuffle_into(&tmp, typesize, &mut u);
            dst.copy_from_slice(&u);
        } else if bit_shuffle && bsize >= typesize {
            let n = bsize / typesize;
            if version <= 2 {
                if n % 8 == 0 {
                    super::bitshuffle::untrans_bit_elem(&tmp, dst, n, typesize);
                } else {
                    dst.copy_from_slice(&tmp);
                }
            } else {
                let m = n - n % 8;
                let body = m * typesize;
                super::bitshuffle::untrans_bit_elem(&tmp[..body], &mut dst[..body], m, typesize);
                dst[body..].copy_from_slice(&tmp[body..]);
            }
        } else {
            dst.copy_from_slice(&tmp);
        }
    }
    Ok(out)
}

/// Decode one compressed stream of a blosc1 or blosc2 block with `codec` (0 blosclz, 1 lz4,
/// 3 zlib, 4 zstd), appending `neblock` bytes to `out`; `false` for a codec with no decoder
/// here (each format words its own refusal).
pub(crate) fn decode_stream(
    codec: u8,
    src: &[u8],
    neblock: usize,
    out: &mut Vec<u8>,
    limits: &Limits,
    at: u64,
) -> Result<bool> {
    match codec {
        0 => blosclz_decompress(src, neblock, out, at)?,
        1 => super::codecs::lz4_block(src, neblock, out, at)?,
        3 => {
            let mut z = Vec::new();
            super::deflate::inflate_into(src, &mut z, neblock, limits, at)?;
            out.extend_from_slice(&z);
        }
        4 => {
            let z = super::codecs::zstd_decompress(src, neblock, limits, at)?;
            out.extend_from_slice(&z);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// BloscLZ (blosc's FastLZ derivative): decode exactly `n` bytes appended to `out`.
/// A match is only performed when more input follows it (the encoder always ends on a
/// literal run), as the reference decoder does.
pub fn blosclz_decompress(input: &[u8], n: usize, out: &mut Vec<u8>, at: u64) -> Result<()> {
    const MAX_DISTANCE: usize = 8191;
    let bad = |what: &str| corrupt(at, format!("blosclz: {what}"));
    let base = out.len();
    let limit = base + n;
    let mut ip = 0usize;
    let Some(&first) = input.first() else {
        return if n == 0 {
            Ok(())
        } else {
            Err(bad("empty stream"))
        };
    };
    let mut ctrl = usize::from(first & 31);
    ip += 1;
    loop {
        if ctrl >= 32 {
            let mut len = (ctrl >> 5) - 1;
            let mut ofs = (ctrl & 31) << 8;
            if len == 6 {
                loop {
                    if ip + 1 >= input.len() {
                        return Err(bad("truncated match length"));
                    }
                    let code = input[ip];
                    ip += 1;
                    len += usize::from(code);
                    if code != 255 {
                        break;
                    }
                }
            } else if ip + 1 >= input.len() {
                return Err(bad("truncated match"));
            }
            let code = usize::from(input[ip]);
            ip += 1;
            len += 3;
            let mut dist = ofs + code;
            if code == 255 && ofs == 31 << 8 {
                if ip + 1 >= input.len() {
                    return Err(bad("truncated far match"));
                }
                ofs = usize::from(input[ip]) << 8 | usize::from(input[ip + 1]);
                ip += 2;
                dist = ofs + MAX_DISTANCE;
            }
            // The reference points one byte further back (ref--).
            let dist = dist + 1;
            if out.len() + len > limit {
                return Err(bad("output larger than the block"));
            }
            if dist > out.len() - base {
                return Err(bad("back reference before the block start"));
            }
            if ip >= input.len() {
                break;
            }
            ctrl = usize::from(input[ip]);
            ip += 1;
            let start = out.len() - dist;
            for k in 0..len {
                let b = out[start + k];
                out.push(b);
            }
        } else {
            let run = ctrl + 1;
            if out.len() + run > limit {
                return Err(bad("output larger than the block"));
            }
            let lit = input
                .get(ip..ip + run)
                .ok_or_else(|| bad("literal run past the input"))?;
            out.extend_from_slice(lit);
            ip += run;
            if ip >= input.len() {
                break;
            }
            ctrl = usize::from(input[ip]);
            ip += 1;
        }
    }
    if out.len() != limit {
        return Err(bad("stream shorter than the block"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blosclz_literal_and_match() {
        // Literal "abcd" (ctrl 3), match of 5 at distance 4 (ctrl (3 << 5) | 0, code 3 ->
        // len 2 + 3 = 5, distance 3 + 1), literal "Z".
        let s = [3, b'a', b'b', b'c', b'd', 3 << 5, 3, 0, b'Z'];
        let mut out = Vec::new();
        blosclz_decompress(&s, 10, &mut out, 0).unwrap();
        assert_eq!(out, b"abcdabcdaZ");
        let mut out = Vec::new();
        assert!(blosclz_decompress(&s, 9, &mut out, 0).is_err());
    }

    #[test]
    fn memcpyed_chunk() {
        let mut c = vec![2, 1, 0x02 | 0x01, 4];
        c.extend_from_slice(&8u32.to_le_bytes());
        c.extend_from_slice(&8u32.to_le_bytes());
        c.extend_from_slice(&24u32.to_le_bytes());
        c.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let l = Limits::default();
        assert_eq!(decode(&c, 8, &l, 0).unwrap(), vec![1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(decode(&c, 7, &l, 0).is_err());
        assert!(decode(&c[..20], 8, &l, 0).is_err());
    }
}
