//! Decoders of the third-party compression filters found in h5py/PyTables files (decode
//! only, pure Rust): lzf (32000, h5py's own), lz4 (32004), bzip2 (307), zstd (32015).
//! Each follows the framing of its reference HDF5 plugin (h5py `lzf_filter.c`, hdf5plugin's
//! `H5Zlz4.c`, `H5Zbzip2.c`, `zstd_h5plugin.c`); outputs are capped at the expected size,
//! so a hostile stream cannot allocate more than the chunk (plus trailers) needs.

use std::io::Read;

use crate::error::{Error, Result};
use crate::limits::Limits;

const STRUCTURE: &str = "filtered chunk";

fn corrupt(at: u64, what: impl std::fmt::Display) -> Error {
    Error::format(STRUCTURE, at, what.to_string())
}

/// Refuse an output of `expected` bytes beyond `max_alloc` or the decompression ratio cap.
pub(crate) fn check_budget(input: usize, expected: usize, limits: &Limits, at: u64) -> Result<()> {
    let exp64 = expected as u64;
    if exp64 > limits.max_alloc {
        return Err(Error::limit("max_alloc", limits.max_alloc, exp64, Some(at)));
    }
    let cap = (input as u64)
        .max(1)
        .saturating_mul(limits.max_decompression_ratio);
    if exp64 > cap {
        return Err(Error::limit(
            "max_decompression_ratio",
            limits.max_decompression_ratio,
            exp64.div_ceil((input as u64).max(1)),
            Some(at),
        ));
    }
    Ok(())
}

/// LZF (liblzf's format, as h5py's filter 32000 stores it: one raw stream, no header).
/// Decodes up to `max` bytes; more is an error.
pub fn lzf_decompress(input: &[u8], max: usize, at: u64) -> Result<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(max);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < 32 {
            // Literal run of ctrl + 1 bytes.
            let n = ctrl + 1;
            let lit = input
                .get(ip..ip + n)
                .ok_or_else(|| corrupt(at, "lzf: literal run past the input"))?;
            if out.len() + n > max {
                return Err(corrupt(at, "lzf: output larger than the chunk"));
            }
            out.extend_from_slice(lit);
            ip += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(
                    *input
                        .get(ip)
                        .ok_or_else(|| corrupt(at, "lzf: truncated match"))?,
                );
                ip += 1;
            }
            let low = usize::from(
                *input
                    .get(ip)
                    .ok_or_else(|| corrupt(at, "lzf: truncated match"))?,
            );
            ip += 1;
            let dist = ((ctrl & 0x1f) << 8) + low + 1;
            let n = len + 2;
            if dist > out.len() {
                return Err(corrupt(at, "lzf: back reference before the output start"));
            }
            if out.len() + n > max {
                return Err(corrupt(at, "lzf: output larger than the chunk"));
            }
            let start = out.len() - dist;
            for k in 0..n {
                let b = out[start + k];
                out.push(b);
            }
        }
    }
    Ok(out)
}

/// Read a big-endian u32/u64 at `p`.
fn be(input: &[u8], p: usize, n: usize, at: u64) -> Result<u64> {
    let b = input
        .get(p..p + n)
        .ok_or_else(|| corrupt(at, "header past the end of the chunk"))?;
    Ok(b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x)))
}

/// One raw LZ4 block of exactly `n` decoded bytes appended to `out`.
pub(crate) fn lz4_block(src: &[u8], n: usize, out: &mut Vec<u8>, at: u64) -> Result<()> {
    let start = out.len();
    out.resize(start + n, 0);
    let got = lz4_flex::block::decompress_into(src, &mut out[start..])
        .map_err(|e| corrupt(at, format!("lz4: {e}")))?;
    if got != n {
        return Err(corrupt(
            at,
            format!("lz4 block gave {got} bytes, {n} expected"),
        ));
    }
    Ok(())
}

/// The LZ4 filter (32004): u64 BE total size, u32 BE block size, then per block a u32 BE
/// compressed size and the block (stored raw when that size equals the block's size).
pub fn lz4_decompress(input: &[u8], max: usize, limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let total = usize::try_from(be(input, 0, 8, at)?).unwrap_or(usize::MAX);
    let block = usize::try_from(be(input, 8, 4, at)?).unwrap_or(usize::MAX);
    if total > max {
        return Err(corrupt(
            at,
            format!("lz4: {total} bytes, chunk holds {max}"),
        ));
    }
    check_budget(input.len(), total, limits, at)?;
    if block == 0 && total > 0 {
        return Err(corrupt(at, "lz4: block size 0"));
    }
    let mut out = Vec::with_capacity(total);
    let mut p = 12usize;
    while out.len() < total {
        let n = block.min(total - out.len());
        let c = usize::try_from(be(input, p, 4, at)?).unwrap_or(usize::MAX);
        p += 4;
        let src = input
            .get(p..p.saturating_add(c))
            .ok_or_else(|| corrupt(at, "lz4: block past the end of the chunk"))?;
        if c == n {
            out.extend_from_slice(src);
        } else {
            lz4_block(src, n, &mut out, at)?;
        }
        p += c;
    }
    Ok(out)
}

/// Read a decoder to its end, failing past `max` bytes.
fn read_capped(mut r: impl Read, max: usize, what: &str, at: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    (&mut r)
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| corrupt(at, format!("{what}: {e}")))?;
    if out.len() > max {
        return Err(corrupt(at, format!("{what}: output larger than the chunk")));
    }
    Ok(out)
}

/// The zstd filter (32015): one zstd frame.
pub fn zstd_decompress(input: &[u8], max: usize, limits: &Limits, at: u64) -> Result<Vec<u8>> {
    check_budget(input.len(), max, limits, at)?;
    let mut src = input;
    let dec = ruzstd::decoding::StreamingDecoder::new(&mut src)
        .map_err(|e| corrupt(at, format!("zstd: {e}")))?;
    read_capped(dec, max, "zstd", at)
}

/// The bzip2 filter (307): one bzip2 stream.
pub fn bzip2_decompress(input: &[u8], max: usize, limits: &Limits, at: u64) -> Result<Vec<u8>> {
    check_budget(input.len(), max, limits, at)?;
    read_capped(bzip2::read::BzDecoder::new(input), max, "bzip2", at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lzf_literals_and_matches() {
        // "abcabcabcX": literal "abc" (ctrl 2), match len 6 at distance 3 (ctrl (4<<5)|0,
        // low byte 2), literal "X".
        let stream = [2, b'a', b'b', b'c', 4 << 5, 2, 0, b'X'];
        assert_eq!(lzf_decompress(&stream, 100, 0).unwrap(), b"abcabcabcX");
        assert!(lzf_decompress(&stream, 5, 0).is_err());
        // Reference before the start, truncated input.
        assert!(lzf_decompress(&[4 << 5, 9], 100, 0).is_err());
        assert!(lzf_decompress(&[5, b'a'], 100, 0).is_err());
    }

    #[test]
    fn lz4_framing() {
        let data: Vec<u8> = (0..3000u32).map(|i| (i / 10) as u8).collect();
        let mut framed = Vec::new();
        framed.extend_from_slice(&(data.len() as u64).to_be_bytes());
        framed.extend_from_slice(&1024u32.to_be_bytes());
        for b in data.chunks(1024) {
            let c = lz4_flex::block::compress(b);
            framed.extend_from_slice(&(c.len() as u32).to_be_bytes());
            framed.extend_from_slice(&c);
        }
        let l = Limits::default();
        assert_eq!(lz4_decompress(&framed, 3000, &l, 0).unwrap(), data);
        assert!(lz4_decompress(&framed, 2999, &l, 0).is_err());
        assert!(lz4_decompress(&framed[..framed.len() - 1], 3000, &l, 0).is_err());
    }
}
