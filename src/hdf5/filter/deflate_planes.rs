//! Deflate level 1 of shuffled data: a zlib stream built block by block (64 KiB of input),
//! each block coded the cheapest way that does not make the stream larger.
//!
//! After a shuffle the byte planes are of two kinds. The planes of low-order bytes of noisy
//! measurements are close to random: no runs, no repeats, only an uneven byte distribution,
//! so a Huffman code of the bytes alone (a literal-only dynamic block) gives all deflate can
//! give, and zlib-rs spends ~60 instructions per byte finding that out (match search, symbol
//! buffer, block flush). Such blocks are coded here directly: a histogram, a length-limited
//! Huffman code, then ~3 instructions per byte. A block whose code would exceed its size is
//! stored. Every other block (runs, repeats, low entropy: high-order planes, smooth data)
//! goes to zlib-rs's run-length strategy as before, one raw deflate segment per run of such
//! blocks; a segment's matches never reach before its own start, so segments concatenate.
//!
//! A block is "literal" when its byte entropy is at least [`MIN_BITS`] (below that, the
//! one-bit-per-byte floor of Huffman codes loses to runs) and equal neighbours are about as
//! frequent as chance makes them (no runs for the run-length strategy to find).

use zlib_rs::{Deflate, DeflateConfig, DeflateFlush, Strategy};

const BLOCK: usize = 64 * 1024;
/// Byte entropy (bits per byte) from which a block without repeats is coded as literals.
const MIN_BITS: f64 = 4.0;
/// Fraction of equal neighbours beyond twice the chance rate from which a block goes to
/// zlib-rs's run-length coding.
const MAX_RUN_EXCESS: f64 = 1.0 / 64.0;

/// Order in which the code-length code lengths are sent (RFC 1951 3.2.7).
const CL_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// Byte counts of a block to be coded as literals.
type Histogram = Box<[u32; 256]>;

/// Level-1 zlib stream of `data` (shuffled byte planes); `None` when every block has
/// structure (the caller's zlib-rs path is then the whole stream).
pub(super) fn deflate_planes(data: &[u8]) -> Option<Vec<u8>> {
    let blocks: Vec<(&[u8], Option<Histogram>)> = data
        .chunks(BLOCK)
        .map(|b| {
            let h = literal_histogram(b);
            (b, h)
        })
        .collect();
    if blocks.iter().all(|(_, h)| h.is_none()) {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() + data.len() / 512 + 64);
    // zlib header: deflate, 32 KiB window, "fastest" level; check bits make it a multiple of 31.
    out.extend_from_slice(&[0x78, 0x01]);
    let mut bw = BitWriter::default();
    let mut rle: Option<Deflate> = None;
    let mut i = 0;
    while i < blocks.len() {
        let last_block = |j: usize| j + 1 == blocks.len();
        if let (b, Some(h)) = &blocks[i] {
            literal_block(&mut out, &mut bw, b, h, last_block(i));
            i += 1;
            continue;
        }
        // A run of structured blocks: one raw deflate segment, starting byte-aligned.
        let start = i;
        while i < blocks.len() && blocks[i].1.is_none() {
            i += 1;
        }
        let seg_start = start * BLOCK;
        let seg_end = (i * BLOCK).min(data.len());
        let seg = &data[seg_start..seg_end];
        if bw.n > 0 {
            // An empty stored block ends the bit stream on a byte boundary.
            stored_block(&mut out, &mut bw, &[], false);
        }
        let last = i == blocks.len();
        let d = rle.get_or_insert_with(|| {
            Deflate::new_with_config(DeflateConfig {
                level: 1,
                strategy: Strategy::Rle,
                window_bits: -15,
                ..DeflateConfig::default()
            })
        });
        d.reset();
        if !raw_segment(d, seg, last, &mut out) {
            return None;
        }
    }
    if bw.n > 0 {
        bw.flush_all(&mut out);
    }
    let adler = zlib_rs::adler32::adler32(1, data);
    out.extend_from_slice(&adler.to_be_bytes());
    Some(out)
}

/// Raw deflate of `seg` appended to `out`, ending byte-aligned: sync-flushed (an empty
/// stored block, not final) unless `last`. `false` if zlib-rs reports an error.
fn raw_segment(d: &mut Deflate, seg: &[u8], last: bool, out: &mut Vec<u8>) -> bool {
    let flush = if last {
        DeflateFlush::Finish
    } else {
        DeflateFlush::SyncFlush
    };
    let at = out.len();
    out.resize(at + zlib_rs::compress_bound(seg.len()) + 16, 0);
    let mut consumed = 0usize;
    let mut written = at;
    loop {
        let (before_in, before_out) = (d.total_in(), d.total_out());
        let input = seg.get(consumed..).unwrap_or(&[]);
        let Some(dst) = out.get_mut(written..) else {
            return false;
        };
        if dst.is_empty() {
            // Cannot happen with a bound-sized output; grow rather than fail.
            out.resize(out.len() + 4096, 0);
            continue;
        }
        let r = d.compress(input, dst, flush);
        consumed += usize::try_from(d.total_in() - before_in).unwrap_or(0);
        written += usize::try_from(d.total_out() - before_out).unwrap_or(0);
        match r {
            Ok(zlib_rs::Status::StreamEnd) => break,
            Ok(_) if !last && consumed == seg.len() && written < out.len() => break,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    out.truncate(written);
    true
}

/// The histogram of a block to be coded as literals, or `None` when the block has runs
/// or low entropy (zlib-rs codes it).
///
/// Runs are what zlib-rs's run-length strategy finds (matches at distance 1 only, so other
/// repeats would not be found on this path either): a block counts as runless when equal
/// neighbours are not much more frequent than chance (the sum of squared byte frequencies).
fn literal_histogram(b: &[u8]) -> Option<Box<[u32; 256]>> {
    if b.len() < 4096 {
        return None;
    }
    // Four tables, so that equal bytes in a row (common in these planes) do not wait on
    // each other's increments; summed at the end. About twice as fast as one table.
    let mut t = [[0u32; 256]; 4];
    let mut pairs = 0u64;
    let words = b.chunks_exact(8);
    for &x in words.remainder() {
        t[0][usize::from(x)] += 1;
    }
    const ONES: u64 = 0x0101_0101_0101_0101;
    for w in words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        let v = u64::from_le_bytes(a);
        for (k, x) in a.into_iter().enumerate() {
            t[k & 3][usize::from(x)] += 1;
        }
        // Byte k of `x` is zero where byte k equals byte k + 1 (k < 7); the zero-byte
        // test may also flag the byte above a zero one, which a heuristic tolerates.
        let x = v ^ (v >> 8);
        let z = (x.wrapping_sub(ONES) & !x & (ONES << 7)) & 0x0080_8080_8080_8080;
        // One bit per flagged byte, summed by a multiply into the top byte.
        pairs += (z >> 7).wrapping_mul(ONES) >> 56;
    }
    let mut h = Box::new([0u32; 256]);
    for (i, c) in h.iter_mut().enumerate() {
        *c = t[0][i] + t[1][i] + t[2][i] + t[3][i];
    }
    let n = b.len() as f64;
    let (mut bits, mut collide) = (0f64, 0f64);
    for &c in h.iter().filter(|&&c| c > 0) {
        let p = f64::from(c) / n;
        bits -= p * p.log2();
        collide += p * p;
    }
    if bits < MIN_BITS || pairs as f64 / n > 2.0 * collide + MAX_RUN_EXCESS {
        return None;
    }
    Some(h)
}

/// Bits not yet written (least significant first, as deflate orders them).
#[derive(Default)]
struct BitWriter {
    acc: u64,
    n: u32,
}

impl BitWriter {
    /// Append `len` (≤ 32) bits of `v`.
    fn put(&mut self, out: &mut Vec<u8>, v: u32, len: u32) {
        self.acc |= u64::from(v) << self.n;
        self.n += len;
        if self.n >= 32 {
            out.extend_from_slice(&(self.acc as u32).to_le_bytes());
            self.acc >>= 32;
            self.n -= 32;
        }
    }

    /// Write the pending bits, the last byte padded with zeros.
    fn flush_all(&mut self, out: &mut Vec<u8>) {
        while self.n > 0 {
            out.push(self.acc as u8);
            self.acc >>= 8;
            self.n = self.n.saturating_sub(8);
        }
        self.acc = 0;
    }
}

/// Stored block(s) of `b` (at most 65535 bytes each), the last one final when `last`.
fn stored_block(out: &mut Vec<u8>, bw: &mut BitWriter, b: &[u8], last: bool) {
    let mut parts: Vec<&[u8]> = b.chunks(65535).collect();
    if parts.is_empty() {
        parts.push(&[]);
    }
    let k = parts.len();
    for (j, p) in parts.into_iter().enumerate() {
        bw.put(out, u32::from(last && j + 1 == k), 3); // BFINAL, BTYPE 00
        bw.flush_all(out);
        let len = p.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(p);
    }
}

/// One block of literals: a dynamic Huffman block (literal/length code of the 256 bytes and
/// end-of-block, two unused distance codes), or a stored block when that is smaller.
fn literal_block(out: &mut Vec<u8>, bw: &mut BitWriter, b: &[u8], h: &[u32; 256], last: bool) {
    let mut freq = [0u32; 257];
    freq[..256].copy_from_slice(h);
    freq[256] = 1;
    let mut lens = [0u8; 259];
    huffman_lengths(&freq, 15, &mut lens[..257]);
    // zlib's encoder always sends two distance codes of one bit (a complete code), which
    // every decoder accepts; the block uses neither.
    lens[257] = 1;
    lens[258] = 1;
    let mut cl_freq = [0u32; 19];
    for &l in &lens {
        cl_freq[usize::from(l)] += 1;
    }
    let mut cl_lens = [0u8; 19];
    huffman_lengths(&cl_freq, 7, &mut cl_lens);
    let cl_codes = canonical_codes(&cl_lens);
    let ncl = CL_ORDER
        .iter()
        .rposition(|&s| cl_lens[s] != 0)
        .map_or(4, |p| (p + 1).max(4));
    let header_bits: u64 = 3
        + 14
        + 3 * ncl as u64
        + lens
            .iter()
            .map(|&l| u64::from(cl_lens[usize::from(l)]))
            .sum::<u64>();
    let data_bits: u64 = freq
        .iter()
        .zip(&lens)
        .map(|(&f, &l)| u64::from(f) * u64::from(l))
        .sum();
    // A stored block costs its bytes plus 5 (and up to 7 bits of padding).
    if header_bits + data_bits >= (b.len() as u64 + 5 * b.len().div_ceil(65535) as u64) * 8 {
        stored_block(out, bw, b, last);
        return;
    }
    let codes = canonical_codes(&lens[..257]);
    bw.put(out, u32::from(last) | (2 << 1), 3); // BFINAL, BTYPE 10 (dynamic)
    bw.put(out, 0, 5); // HLIT: 257 literal/length codes
    bw.put(out, 1, 5); // HDIST: 2 distance codes
    bw.put(out, (ncl - 4) as u32, 4); // HCLEN
    for &s in &CL_ORDER[..ncl] {
        bw.put(out, u32::from(cl_lens[s]), 3);
    }
    for &l in &lens {
        let l = usize::from(l);
        bw.put(out, cl_codes[l], u32::from(cl_lens[l]));
    }
    // The literals: one table lookup per byte into a 64-bit accumulator, whose whole bytes
    // are stored every two symbols (at most 2 × 15 + 7 bits pending) into a buffer sized for
    // the worst case, so the loop has no capacity checks.
    let mut table = [0u32; 256];
    for (t, (&c, &l)) in table.iter_mut().zip(codes.iter().zip(&lens)) {
        *t = c | (u32::from(l) << 16);
    }
    let mut pos = out.len();
    // Codes are at most 15 bits: two bytes per input byte, plus the 8-byte store, always fit.
    out.resize(pos + 2 * b.len() + 16, 0);
    let (mut acc, mut n) = (bw.acc, bw.n);
    let store = |out: &mut [u8], pos: &mut usize, acc: &mut u64, n: &mut u32| {
        if let Some(dst) = out.get_mut(*pos..*pos + 8) {
            dst.copy_from_slice(&acc.to_le_bytes());
        }
        let k = *n / 8;
        *pos += k as usize;
        *acc = if k == 8 { 0 } else { *acc >> (8 * k) };
        *n -= 8 * k;
    };
    let pairs = b.chunks_exact(2);
    let rest = pairs.remainder();
    for p in pairs {
        let e0 = table[usize::from(p[0])];
        let e1 = table[usize::from(p[1])];
        acc |= u64::from(e0 & 0xffff) << n;
        n += e0 >> 16;
        acc |= u64::from(e1 & 0xffff) << n;
        n += e1 >> 16;
        store(out, &mut pos, &mut acc, &mut n);
    }
    for &x in rest {
        let e = table[usize::from(x)];
        acc |= u64::from(e & 0xffff) << n;
        n += e >> 16;
        store(out, &mut pos, &mut acc, &mut n);
    }
    out.truncate(pos);
    bw.acc = acc;
    bw.n = n;
    bw.put(out, codes[256], u32::from(lens[256]));
}

/// Huffman code lengths (at most `max` bits) for the symbols of nonzero `freq`; a lone
/// symbol is paired with a second one (decoders want complete codes), others get 0.
fn huffman_lengths(freq: &[u32], max: u8, lens: &mut [u8]) {
    lens.fill(0);
    let mut w: Vec<u64> = freq.iter().map(|&f| u64::from(f)).collect();
    let used = w.iter().filter(|&&f| f > 0).count();
    if used == 0 {
        return;
    }
    if used == 1 {
        let s = w.iter().position(|&f| f > 0).unwrap_or(0);
        let other = if s == 0 { 1 } else { 0 };
        if let Some(l) = lens.get_mut(s) {
            *l = 1;
        }
        if let Some(l) = lens.get_mut(other) {
            *l = 1;
        }
        return;
    }
    loop {
        let mut leaves: Vec<(u64, usize)> = w
            .iter()
            .enumerate()
            .filter(|(_, &f)| f > 0)
            .map(|(i, &f)| (f, i))
            .collect();
        leaves.sort_unstable();
        let n = leaves.len();
        // Nodes 0..n are the leaves (ascending weight), n.. the internal nodes, made in
        // ascending weight order too, so the two lightest are always at the queue heads.
        let mut weight: Vec<u64> = leaves.iter().map(|l| l.0).collect();
        let mut parent = vec![0usize; 2 * n - 1];
        let (mut li, mut ii) = (0usize, n);
        for k in n..2 * n - 1 {
            let mut pick = || {
                if li < n && (ii >= k || weight[li] <= weight[ii]) {
                    li += 1;
                    li - 1
                } else {
                    ii += 1;
                    ii - 1
                }
            };
            let (a, b) = (pick(), pick());
            weight.push(weight[a] + weight[b]);
            parent[a] = k;
            parent[b] = k;
        }
        let mut depth = vec![0u8; 2 * n - 1];
        for k in (0..2 * n - 2).rev() {
            depth[k] = depth[parent[k]].saturating_add(1);
        }
        if depth[..n].iter().all(|&d| d <= max) {
            for (j, &(_, s)) in leaves.iter().enumerate() {
                lens[s] = depth[j];
            }
            return;
        }
        // Too deep: flatten the distribution and build again (converges to a balanced tree).
        for f in w.iter_mut().filter(|f| **f > 0) {
            *f = (*f >> 1).max(1);
        }
    }
}

/// Canonical codes (RFC 1951 3.2.2) of `lens`, bit-reversed for least-significant-first
/// output.
fn canonical_codes(lens: &[u8]) -> Vec<u32> {
    let mut count = [0u32; 16];
    for &l in lens {
        count[usize::from(l) & 15] += 1;
    }
    count[0] = 0;
    let mut next = [0u32; 16];
    let mut code = 0u32;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    lens.iter()
        .map(|&l| {
            let l = usize::from(l) & 15;
            if l == 0 {
                return 0;
            }
            let c = next[l];
            next[l] += 1;
            c.reverse_bits() >> (32 - l)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    /// Deterministic noise (xorshift), `spread` values wide around 128.
    fn noise(n: usize, spread: u32, seed: u64) -> Vec<u8> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (128 + (s % u64::from(spread)) as u32 - spread / 2) as u8
            })
            .collect()
    }

    fn round_trip(data: &[u8]) -> Vec<u8> {
        let z = super::super::deflate::deflate_filter(data, 1, true);
        let back = super::super::deflate::inflate(&z, data.len(), &Limits::default(), 0).unwrap();
        assert_eq!(back, data);
        z
    }

    #[test]
    fn noisy_planes_are_literal_blocks_that_inflate() {
        // Noise then runs then noise: literal, zlib-rs segment, literal, in one stream.
        let mut d = noise(3 * BLOCK + 1000, 200, 1);
        d.extend(std::iter::repeat_n(7u8, 2 * BLOCK));
        d.extend(noise(BLOCK / 2, 256, 2));
        assert!(deflate_planes(&d).is_some());
        let z = round_trip(&d);
        assert!(z.len() < d.len(), "{} !< {}", z.len(), d.len());
        // Only structure: the plain zlib-rs path.
        assert!(deflate_planes(&vec![3u8; 5 * BLOCK]).is_none());
        // Uniform noise: stored blocks (a Huffman code cannot shrink it), still a valid stream.
        let u = noise(2 * BLOCK + 5, 256, 3);
        let z = round_trip(&u);
        assert!(z.len() <= u.len() + 64);
        // A noisy plane with runs inserted every few bytes goes to the run-length coder.
        let mut runs = noise(4 * BLOCK, 256, 4);
        for c in runs.chunks_mut(16) {
            let v = c[0];
            c[..8].fill(v);
        }
        assert!(deflate_planes(&runs).is_none());
        round_trip(&runs);
    }

    #[test]
    fn python_zlib_reads_it() {
        // zlib itself (through Python) inflates the stream: the format h5py and PyTables read.
        let Some(py) = std::env::var_os("PYMODAQ_H5_PYTHON") else {
            return;
        };
        let mut d = noise(2 * BLOCK, 100, 5);
        d.extend(std::iter::repeat_n(1u8, BLOCK));
        d.extend(noise(BLOCK + 17, 60, 6));
        let z = super::super::deflate::deflate_filter(&d, 1, true);
        let dir = std::env::temp_dir().join(format!("pmh5-planes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("z"), &z).unwrap();
        std::fs::write(dir.join("d"), &d).unwrap();
        let ok = std::process::Command::new(py)
            .arg("-c")
            .arg("import sys,zlib; z=open(sys.argv[1],'rb').read(); d=open(sys.argv[2],'rb').read(); assert zlib.decompress(z)==d; print('ok')")
            .arg(dir.join("z"))
            .arg(dir.join("d"))
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "ok", "{ok:?}");
    }

    #[test]
    fn length_limited_codes_are_complete() {
        // Fibonacci-like weights force depth > 15 before limiting.
        let mut f = [0u32; 257];
        let (mut a, mut b) = (1u32, 1u32);
        for x in f.iter_mut().take(30) {
            *x = a;
            (a, b) = (b, a.saturating_add(b));
        }
        let mut l = [0u8; 257];
        huffman_lengths(&f, 15, &mut l);
        assert!(l.iter().all(|&x| x <= 15));
        let kraft: f64 = l
            .iter()
            .filter(|&&x| x > 0)
            .map(|&x| 0.5f64.powi(i32::from(x)))
            .sum();
        assert!((kraft - 1.0).abs() < 1e-12, "{kraft}");
    }
}
