//! Deflate filter (filter id 1): a zlib stream (RFC 1950: 2-byte header, deflate data,
//! Adler-32 trailer), not raw deflate nor gzip (quirk 14).
//!
//! Decoding never allocates more than the chunk's expected size, and refuses a stream
//! that would produce more, or less, than that.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::error::{Error, Result};
use crate::limits::Limits;

const STRUCTURE: &str = "deflate filter";

/// Compress `data` as a zlib stream at `level` (0-9, clamped).
pub fn deflate(data: &[u8], level: u32) -> Vec<u8> {
    let mut c = Compress::new(Compression::new(level.min(9)), true);
    // Worst case of deflate is a few bytes per 16 KiB block plus the zlib framing.
    let mut out = Vec::with_capacity(data.len() + data.len() / 1000 + 64);
    loop {
        let before_in = c.total_in();
        let consumed = usize::try_from(before_in).unwrap_or(usize::MAX);
        let input = data.get(consumed..).unwrap_or(&[]);
        if out.capacity() == out.len() {
            out.reserve(64 + data.len() / 8);
        }
        match c.compress_vec(input, &mut out, FlushCompress::Finish) {
            Ok(Status::StreamEnd) => break,
            Ok(_) => continue,
            // In-memory compression of a complete buffer cannot fail; stop rather than spin.
            Err(_) => break,
        }
    }
    out
}

/// Compress `data` for the deflate filter at `level`, `shuffled` when a shuffle of elements
/// wider than one byte ran before (the stored stream is a plain zlib stream either way).
///
/// Level 1 is not zlib-rs's level 1 (`deflate_quick`: static Huffman codes only, 12 % larger
/// files than zlib's level 1 on camera frames, issue 5). After a shuffle the byte planes
/// compress mostly through runs (high bytes) and entropy coding (noisy low bytes), so the
/// run-length strategy (matches at distance 1, dynamic codes) is both faster and smaller
/// than zlib's level 1; a chunk it shrinks below a quarter has longer-range redundancy
/// (ramps, repeated patterns) that matching finds cheaply, so level 2 is tried too and the
/// smaller stream kept. Without a shuffle level 1 runs as level 2 (`deflate_fast`, smaller
/// than zlib's level 1). Other levels are zlib-rs's own.
pub fn deflate_filter(data: &[u8], level: u32, shuffled: bool) -> Vec<u8> {
    if level != 1 {
        return deflate(data, level);
    }
    if !shuffled {
        return deflate(data, 2);
    }
    // Noisy byte planes are coded as literals directly, the rest as below (module
    // `deflate_planes`).
    if let Some(z) = super::deflate_planes::deflate_planes(data) {
        return z;
    }
    let rle = zlib_rs::DeflateConfig {
        level: 1,
        strategy: zlib_rs::Strategy::Rle,
        ..zlib_rs::DeflateConfig::default()
    };
    let mut out = vec![0u8; zlib_rs::compress_bound(data.len())];
    let n = match zlib_rs::compress_slice(&mut out, data, rle) {
        (c, zlib_rs::ReturnCode::Ok) => c.len(),
        // Cannot happen with a bound-sized output; the plain path still gives a valid stream.
        _ => return deflate(data, 2),
    };
    out.truncate(n);
    if n < data.len() * 3 / 10 {
        let fast = deflate(data, 2);
        if fast.len() < out.len() {
            return fast;
        }
    }
    out
}

/// Inflate a zlib stream that must produce exactly `expected` bytes.
///
/// `at` is the chunk address for errors. Refused: `expected` above `limits.max_alloc`,
/// or above `limits.max_decompression_ratio` × input; a stream producing more or fewer
/// bytes; a corrupt stream.
pub fn inflate(input: &[u8], expected: usize, limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    inflate_into(input, &mut out, expected, limits, at)?;
    Ok(out)
}

/// [`inflate`] into `out` (resized to `expected`), reusing its allocation: chunk after chunk
/// the same buffer serves, so large reads do not fault in fresh pages for every chunk.
pub fn inflate_into(
    input: &[u8],
    out: &mut Vec<u8>,
    expected: usize,
    limits: &Limits,
    at: u64,
) -> Result<()> {
    inflate_up_to(input, out, expected, true, limits, at)
}

/// [`inflate_into`] where, unless `exact`, the stream may also end short of `expected`
/// bytes (`out` then holds what it produced): deflate applied after a filter that changes
/// the size (n-bit, scale-offset) inflates to that filter's output, not to the chunk.
pub fn inflate_up_to(
    input: &[u8],
    out: &mut Vec<u8>,
    expected: usize,
    exact: bool,
    limits: &Limits,
    at: u64,
) -> Result<()> {
    let exp64 = expected as u64;
    if exp64 > limits.max_alloc {
        return Err(Error::limit("max_alloc", limits.max_alloc, exp64, Some(at)));
    }
    let ratio_cap = (input.len() as u64).saturating_mul(limits.max_decompression_ratio);
    if exp64 > ratio_cap {
        return Err(Error::limit(
            "max_decompression_ratio",
            limits.max_decompression_ratio,
            exp64.div_ceil((input.len() as u64).max(1)),
            Some(at),
        ));
    }
    let mut d = Decompress::new(true);
    // Not cleared first: a reused buffer keeps its bytes, every one of which the stream
    // must overwrite (exactly `expected` bytes are checked below), so a decoder reading
    // chunk after chunk zeroes nothing.
    out.truncate(expected);
    out.resize(expected, 0);
    let mut ended = false;
    loop {
        let (cin, cout) = (total(d.total_in()), total(d.total_out()));
        let src = input.get(cin..).unwrap_or(&[]);
        let dst = out.get_mut(cout..).unwrap_or(&mut []);
        if dst.is_empty() {
            break;
        }
        let status = d
            .decompress(src, dst, FlushDecompress::None)
            .map_err(|e| Error::format(STRUCTURE, at, format!("corrupt zlib stream: {e}")))?;
        if status == Status::StreamEnd {
            ended = true;
            break;
        }
        if total(d.total_in()) == cin && total(d.total_out()) == cout {
            // No progress with output space left: the input is exhausted mid-stream.
            return Err(Error::format(STRUCTURE, at, "truncated zlib stream"));
        }
    }
    let produced = total(d.total_out());
    if !ended {
        // Output is full: the stream must end here without producing another byte.
        let mut probe = [0u8; 1];
        let src = input.get(total(d.total_in())..).unwrap_or(&[]);
        let status = d
            .decompress(src, &mut probe, FlushDecompress::Finish)
            .map_err(|e| Error::format(STRUCTURE, at, format!("corrupt zlib stream: {e}")))?;
        if total(d.total_out()) > produced {
            return Err(Error::format(
                STRUCTURE,
                at,
                format!("zlib stream inflates to more than the expected {expected} bytes"),
            ));
        }
        if status != Status::StreamEnd {
            return Err(Error::format(STRUCTURE, at, "truncated zlib stream"));
        }
    }
    if !exact && ended && produced < expected {
        out.truncate(produced);
        return Ok(());
    }
    if produced != expected {
        return Err(Error::format(
            STRUCTURE,
            at,
            format!("zlib stream inflates to {produced} bytes, expected {expected}"),
        ));
    }
    Ok(())
}

fn total(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    #[rustfmt::skip]
    fn known_stream() {
        // zlib.compress(b"abc") from Python.
        let z = [
            0x78, 0x9c,             // zlib header: deflate, 32 KiB window, default level
            0x4b, 0x4c, 0x4a, 0x06, 0x00, // deflate block
            0x02, 0x4d, 0x01, 0x27, // Adler-32 of "abc", big-endian
        ];
        assert_eq!(inflate(&z, 3, &Limits::default(), 0).unwrap(), b"abc");
        // Wrong expected sizes both ways.
        assert!(inflate(&z, 2, &Limits::default(), 0).is_err());
        assert!(inflate(&z, 4, &Limits::default(), 0).is_err());
        // Truncated stream.
        assert!(inflate(&z[..6], 3, &Limits::default(), 0).is_err());
        // Corrupt Adler-32.
        let mut bad = z;
        bad[10] ^= 1;
        assert!(inflate(&bad, 3, &Limits::default(), 5).is_err());
        // Raw deflate without zlib header is refused.
        assert!(inflate(&z[2..], 3, &Limits::default(), 0).is_err());
    }

    #[test]
    fn ratio_cap() {
        let z = deflate(&vec![0u8; 100_000], 9);
        let l = Limits {
            max_decompression_ratio: 10,
            ..Limits::default()
        };
        let e = inflate(&z, 100_000, &l, 0).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Limit {
                    name: "max_decompression_ratio",
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(
            inflate(&z, 100_000, &Limits::default(), 0).unwrap(),
            vec![0u8; 100_000]
        );
    }

    proptest! {
        #[test]
        fn round_trip(data in proptest::collection::vec(any::<u8>(), 0..5000), level in 0u32..10) {
            let z = deflate(&data, level);
            prop_assert_eq!(inflate(&z, data.len(), &Limits::default(), 0).unwrap(), data);
        }
    }
}
