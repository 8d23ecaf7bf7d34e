//! Blosc2 (HDF5 filter 32026, the hdf5-blosc2 plugin of PyTables / hdf5plugin): decode only.
//!
//! Every HDF5 chunk is a Blosc2 *contiguous frame* (c-blosc2 `README_CFRAME_FORMAT`): a
//! msgpack header (`b2frame`, header size, sizes, type size, chunk size, metalayers), the
//! data chunks, an index chunk of i64 offsets (a Blosc2 chunk itself; a negative offset is
//! a special chunk of zeros, NaNs or uninitialised values), then a trailer. Chunks follow
//! `README_CHUNK_FORMAT`: a 32-byte extended header (flags, type size, sizes, the six-slot
//! filter pipeline, blosc2 flags with the special-value kind), block starts, and per block
//! one stream or one per byte of the type (csize 0 = zeros, negative = a repeated byte),
//! compressed with blosclz, lz4/lz4hc, zlib or zstd. Filters undone in reverse slot order:
//! shuffle, bitshuffle, delta (XOR with the previous element in block 0, with block 0
//! elsewhere), truncate-precision (nothing to undo).
//!
//! Datasets of rank > 1 are written as B2ND arrays (metalayer `b2nd`: shape, chunk shape,
//! block shape): each chunk holds its blocks one after the other, each block in C order
//! over the block shape, chunks and blocks padded to whole blocks; they are put back in C
//! order of the array. Refused by name: dictionaries, lazy chunks, user-defined codecs or
//! filters, variable-length blocks, sparse frames.

use crate::error::{Error, Result};
use crate::limits::Limits;

const STRUCTURE: &str = "filtered chunk";
const HEADER: usize = 32;

fn corrupt(at: u64, what: impl std::fmt::Display) -> Error {
    Error::format(STRUCTURE, at, format!("blosc2: {what}"))
}

fn refuse(at: u64, what: impl std::fmt::Display) -> Error {
    Error::unsupported(format!("blosc2 (filter 32026): {what}"), Some(at))
}

fn bytes(b: &[u8], p: usize, n: usize, at: u64) -> Result<&[u8]> {
    p.checked_add(n)
        .and_then(|e| b.get(p..e))
        .ok_or_else(|| corrupt(at, "truncated"))
}

fn le32(b: &[u8], p: usize, at: u64) -> Result<i32> {
    let x = bytes(b, p, 4, at)?;
    Ok(i32::from_le_bytes([x[0], x[1], x[2], x[3]]))
}

fn be(b: &[u8], p: usize, n: usize, at: u64) -> Result<u64> {
    Ok(bytes(b, p, n, at)?
        .iter()
        .fold(0u64, |a, &x| (a << 8) | u64::from(x)))
}

/// A msgpack value at `p` expected to carry the marker `tag` and `n` big-endian bytes.
fn mp(b: &[u8], p: usize, tag: u8, n: usize, at: u64) -> Result<u64> {
    if b.get(p) != Some(&tag) {
        return Err(corrupt(
            at,
            format!("frame header: marker {tag:#x} expected at {p}"),
        ));
    }
    be(b, p + 1, n, at)
}

/// The frame fields the decoder needs.
struct Frame {
    header_len: usize,
    cbytes: usize,
    nbytes: u64,
    typesize: usize,
    chunksize: u64,
    b2nd: Option<B2nd>,
}

/// The B2ND metalayer: array shape, chunk shape, block shape.
struct B2nd {
    shape: Vec<u64>,
    chunk: Vec<u64>,
    block: Vec<u64>,
}

fn frame_header(b: &[u8], at: u64) -> Result<Frame> {
    if bytes(b, 1, 9, at)? != b"\xa8b2frame\0" || b.first().is_none_or(|&x| x & 0xf0 != 0x90) {
        return Err(corrupt(at, "not a Blosc2 frame (no b2frame magic)"));
    }
    let header_len = usize::try_from(mp(b, 10, 0xd2, 4, at)?).unwrap_or(usize::MAX);
    let frame_type = *bytes(b, 26, 1, at)?.first().unwrap_or(&0);
    if frame_type & 0x0f != 0 {
        return Err(refuse(at, "sparse frame"));
    }
    let general = bytes(b, 25, 1, at)?.first().copied().unwrap_or(0);
    if (general >> 4) & 3 != 1 {
        return Err(refuse(
            at,
            format!("chunk offsets of kind {}", (general >> 4) & 3),
        ));
    }
    let nbytes = mp(b, 29, 0xd3, 8, at)?;
    let cbytes = usize::try_from(mp(b, 38, 0xd3, 8, at)?).unwrap_or(usize::MAX);
    let typesize = usize::try_from(mp(b, 47, 0xd2, 4, at)?).unwrap_or(0);
    let chunksize = mp(b, 57, 0xd2, 4, at)?;
    if header_len > b.len() || cbytes > b.len() - header_len.min(b.len()) {
        return Err(corrupt(at, "frame header sizes past the end of the chunk"));
    }
    let b2nd = metalayer(b, header_len, b"b2nd", at)?
        .map(|m| b2nd_meta(m, at))
        .transpose()?;
    Ok(Frame {
        header_len,
        cbytes,
        nbytes,
        typesize,
        chunksize,
        b2nd,
    })
}

/// The content of metalayer `name` (a msgpack bin32 inside the header), if present.
fn metalayer<'a>(b: &'a [u8], header_len: usize, name: &[u8], at: u64) -> Result<Option<&'a [u8]>> {
    let h = bytes(b, 0, header_len, at)?;
    // 0x57: fixarray 3, uint16 index size, map16 of name -> int32 offset.
    if h.get(0x57) != Some(&0x93) || h.get(0x58) != Some(&0xcd) || h.get(0x5b) != Some(&0xde) {
        return Ok(None);
    }
    let n = be(h, 0x5c, 2, at)?;
    let mut p = 0x5eusize;
    for _ in 0..n {
        let tag = *bytes(h, p, 1, at)?.first().unwrap_or(&0);
        if tag & 0xe0 != 0xa0 {
            return Err(corrupt(at, "metalayer name is not a fixstr"));
        }
        let len = usize::from(tag & 0x1f);
        let key = bytes(h, p + 1, len, at)?;
        let off = usize::try_from(mp(h, p + 1 + len, 0xd2, 4, at)?).unwrap_or(usize::MAX);
        p += 1 + len + 5;
        if key == name {
            let size = usize::try_from(mp(h, off, 0xc6, 4, at)?).unwrap_or(usize::MAX);
            return Ok(Some(bytes(h, off + 5, size, at)?));
        }
    }
    Ok(None)
}

/// `[version, ndim, [shape i64..], [chunkshape i32..], [blockshape i32..], ...]`.
fn b2nd_meta(m: &[u8], at: u64) -> Result<B2nd> {
    let bad = || corrupt(at, "b2nd metalayer");
    if m.first().is_none_or(|&x| x & 0xf0 != 0x90) {
        return Err(bad());
    }
    let ndim = usize::from(*m.get(2).ok_or_else(bad)?);
    if ndim == 0 || ndim > 16 {
        return Err(bad());
    }
    let mut p = 3;
    let mut list = |tag: u8, n: usize| -> Result<Vec<u64>> {
        if m.get(p).copied() != Some(0x90 | ndim as u8) {
            return Err(bad());
        }
        p += 1;
        let mut v = Vec::with_capacity(ndim);
        for _ in 0..ndim {
            let x = mp(m, p, tag, n, at)?;
            // Signed on disk: a negative extent is damage.
            let signed = if n == 8 {
                x as i64
            } else {
                i64::from(x as u32 as i32)
            };
            v.push(u64::try_from(signed).map_err(|_| bad())?);
            p += 1 + n;
        }
        Ok(v)
    };
    let shape = list(0xd3, 8)?;
    let chunk = list(0xd2, 4)?;
    let block = list(0xd2, 4)?;
    if chunk.iter().chain(&block).any(|&d| d == 0) {
        return Err(bad());
    }
    Ok(B2nd {
        shape,
        chunk,
        block,
    })
}

/// Decode one HDF5 chunk stored as a Blosc2 frame; at most `max` bytes come out.
pub fn decode(input: &[u8], max: usize, limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let f = frame_header(input, at)?;
    let total = usize::try_from(f.nbytes).unwrap_or(usize::MAX);
    // A B2ND frame holds its chunks padded to whole blocks; what comes out is the array.
    let (stored, produced) = match &f.b2nd {
        Some(m) => (
            b2nd_padded_bytes(m, f.typesize, at)?,
            product(m.shape.iter().copied(), at)?.saturating_mul(f.typesize),
        ),
        None => (total, total),
    };
    if produced > max || total != stored {
        return Err(corrupt(
            at,
            format!("{total} bytes ({produced} unpadded), the chunk holds {max}"),
        ));
    }
    super::codecs::check_budget(input.len(), total, limits, at)?;
    let chunksize = usize::try_from(f.chunksize).unwrap_or(0);
    let nchunks = if total == 0 {
        0
    } else if chunksize == 0 {
        return Err(refuse(at, "chunks of variable size"));
    } else {
        total.div_ceil(chunksize)
    };
    // The index chunk right after the data chunks: i64 offsets from the header start.
    let index_at = f.header_len + f.cbytes;
    let index = bytes(input, index_at, input.len() - index_at.min(input.len()), at)?;
    let offsets = decode_chunk(index, nchunks.saturating_mul(8), limits, at)?;
    let mut out = Vec::with_capacity(total);
    for k in 0..nchunks {
        let o = bytes(&offsets, 8 * k, 8, at)?;
        let off = i64::from_le_bytes([o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]]);
        let want = chunksize.min(total - out.len().min(total));
        if off < 0 {
            let kind = (off as u64) >> 56;
            if kind & 0x01 != 0 || kind & 0x04 != 0 {
                out.resize(out.len() + want, 0); // zeros; uninitialised read as zeros
            } else if kind & 0x02 != 0 {
                let start = out.len();
                out.resize(start + want, 0);
                fill_nan(&mut out[start..], f.typesize);
            } else {
                return Err(corrupt(at, format!("special chunk offset {off:#x}")));
            }
            continue;
        }
        let p = usize::try_from(off)
            .ok()
            .and_then(|o| o.checked_add(f.header_len))
            .ok_or_else(|| corrupt(at, "chunk offset"))?;
        let chunk = bytes(input, p, input.len() - p.min(input.len()), at)?;
        let data = decode_chunk(chunk, want, limits, at)?;
        out.extend_from_slice(&data);
    }
    match &f.b2nd {
        Some(m) => unblock(&out, m, f.typesize, at),
        None => Ok(out),
    }
}

fn fill_nan(dst: &mut [u8], typesize: usize) {
    match typesize {
        4 => dst
            .chunks_exact_mut(4)
            .for_each(|c| c.copy_from_slice(&f32::NAN.to_le_bytes())),
        8 => dst
            .chunks_exact_mut(8)
            .for_each(|c| c.copy_from_slice(&f64::NAN.to_le_bytes())),
        _ => {}
    }
}

fn product(mut v: impl Iterator<Item = u64>, at: u64) -> Result<usize> {
    v.try_fold(1u64, |a, d| a.checked_mul(d))
        .and_then(|x| usize::try_from(x).ok())
        .ok_or_else(|| corrupt(at, "b2nd sizes overflow"))
}

/// The bytes of all chunks of a B2ND array, each padded to whole blocks.
fn b2nd_padded_bytes(m: &B2nd, typesize: usize, at: u64) -> Result<usize> {
    let grid = product(
        m.shape.iter().zip(&m.chunk).map(|(s, c)| s.div_ceil(*c)),
        at,
    )?;
    let ext = product(
        m.chunk
            .iter()
            .zip(&m.block)
            .map(|(c, b)| c.div_ceil(*b) * b),
        at,
    )?;
    grid.checked_mul(ext)
        .and_then(|x| x.checked_mul(typesize))
        .ok_or_else(|| corrupt(at, "b2nd sizes overflow"))
}

/// Put a B2ND array's chunk/block layout back in C order of its shape.
fn unblock(src: &[u8], m: &B2nd, ts: usize, at: u64) -> Result<Vec<u8>> {
    let nd = m.shape.len();
    let total = product(m.shape.iter().copied(), at)?;
    let mut out = vec![0u8; total.checked_mul(ts).ok_or_else(|| corrupt(at, "size"))?];
    // Cells of `part` size along each dimension of `whole` (the last one may be partial).
    let grid = |whole: &[u64], part: &[u64]| -> Vec<u64> {
        whole
            .iter()
            .zip(part)
            .map(|(w, p)| w.div_ceil(*p))
            .collect()
    };
    let cgrid = grid(&m.shape, &m.chunk);
    let bgrid = grid(&m.chunk, &m.block);
    let block_items = product(m.block.iter().copied(), at)?;
    let chunk_items = product(bgrid.iter().copied(), at)?
        .checked_mul(block_items)
        .ok_or_else(|| corrupt(at, "size"))?;
    let nchunks = product(cgrid.iter().copied(), at)?;
    let nblocks = product(bgrid.iter().copied(), at)?;
    let row = usize::try_from(m.block[nd - 1]).map_err(|_| corrupt(at, "size"))?;
    let unravel = |mut i: usize, dims: &[u64]| -> Vec<u64> {
        let mut idx = vec![0u64; dims.len()];
        for d in (0..dims.len()).rev() {
            let n = dims[d].max(1) as usize;
            idx[d] = (i % n) as u64;
            i /= n;
        }
        idx
    };
    for c in 0..nchunks {
        let ci = unravel(c, &cgrid);
        for b in 0..nblocks {
            let bi = unravel(b, &bgrid);
            let base = c * chunk_items + b * block_items;
            // One row (along the last dimension) of the block at a time.
            for r in 0..block_items / row.max(1) {
                let ri = unravel(r * row, &m.block);
                let mut pos = Vec::with_capacity(nd);
                let mut inside = true;
                for d in 0..nd {
                    let x = ci[d] * m.chunk[d] + bi[d] * m.block[d] + ri[d];
                    let in_chunk = bi[d] * m.block[d] + ri[d] < m.chunk[d];
                    if d + 1 < nd && (x >= m.shape[d] || !in_chunk) {
                        inside = false;
                    }
                    pos.push(x);
                }
                if !inside {
                    continue;
                }
                // Elements of the row inside both the chunk and the array.
                let start = pos[nd - 1];
                let chunk_end = ci[nd - 1] * m.chunk[nd - 1] + m.chunk[nd - 1];
                let end = (start + row as u64).min(chunk_end).min(m.shape[nd - 1]);
                if end <= start {
                    continue;
                }
                let n = (end - start) as usize;
                let mut lin = 0u64;
                for (s, p) in m.shape.iter().zip(&pos) {
                    lin = lin * s + p;
                }
                let s = (base + r * row) * ts;
                let d0 = lin as usize * ts;
                let from = bytes(src, s, n * ts, at)?;
                out.get_mut(d0..d0 + n * ts)
                    .ok_or_else(|| corrupt(at, "b2nd block outside the array"))?
                    .copy_from_slice(from);
            }
        }
    }
    Ok(out)
}

/// Decode one Blosc2 chunk of `want` bytes (its `nbytes` must match).
pub fn decode_chunk(input: &[u8], want: usize, limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let head = bytes(input, 0, 16, at)?;
    let flags = head[2];
    let typesize = usize::from(head[3]).max(1);
    let nbytes = usize::try_from(le32(head, 4, at)?).map_err(|_| corrupt(at, "nbytes"))?;
    let blocksize = usize::try_from(le32(head, 8, at)?).map_err(|_| corrupt(at, "blocksize"))?;
    let cbytes = usize::try_from(le32(head, 12, at)?).map_err(|_| corrupt(at, "cbytes"))?;
    if nbytes != want {
        return Err(corrupt(
            at,
            format!("chunk of {nbytes} bytes, {want} expected"),
        ));
    }
    if nbytes == 0 {
        return Ok(Vec::new());
    }
    let extended = flags & 0x05 == 0x05;
    let (filters, meta, bflags) = if extended {
        let h = bytes(input, 16, 16, at)?;
        let mut f = [0u8; 6];
        f.copy_from_slice(&h[..6]);
        let mut m = [0u8; 6];
        m.copy_from_slice(&h[8..14]);
        (f, m, h[15])
    } else {
        // Blosc1-style header: the shuffle flags stand for the pipeline.
        let mut f = [0u8; 6];
        f[5] = if flags & 0x01 != 0 {
            1
        } else if flags & 0x04 != 0 {
            2
        } else {
            0
        };
        (f, [0u8; 6], 0)
    };
    let overhead = if extended { HEADER } else { 16 };
    let special = (bflags >> 4) & 7;
    let mut out = vec![0u8; nbytes];
    match special {
        0 => {}
        1 | 4 => return Ok(out), // zeros; uninitialised read as zeros
        2 => {
            fill_nan(&mut out, typesize);
            return Ok(out);
        }
        3 => {
            let v = bytes(input, overhead, typesize, at)?;
            for c in out.chunks_exact_mut(typesize) {
                c.copy_from_slice(v);
            }
            return Ok(out);
        }
        k => return Err(corrupt(at, format!("special value kind {k}"))),
    }
    if bflags & 0x01 != 0 {
        return Err(refuse(at, "chunks compressed with a dictionary"));
    }
    if bflags & 0x08 != 0 {
        return Err(refuse(at, "lazy chunks"));
    }
    if cbytes > input.len() || blocksize == 0 {
        return Err(corrupt(
            at,
            format!("{cbytes} compressed bytes, block size {blocksize}"),
        ));
    }
    super::codecs::check_budget(cbytes, nbytes, limits, at)?;
    let input = &input[..cbytes];
    if flags & 0x02 != 0 {
        out.copy_from_slice(bytes(input, overhead, nbytes, at)?);
        return Ok(out);
    }
    let codec = flags >> 5;
    let dont_split = flags & 0x10 != 0;
    let nblocks = nbytes.div_ceil(blocksize);
    let leftover = nbytes % blocksize;
    let mut tmp = Vec::new();
    for j in 0..nblocks {
        let last_partial = j == nblocks - 1 && leftover > 0;
        let bsize = if last_partial { leftover } else { blocksize };
        let mut p = usize::try_from(le32(input, overhead + 4 * j, at)?)
            .map_err(|_| corrupt(at, "block start"))?;
        let nstreams = if !dont_split && !last_partial {
            typesize
        } else {
            1
        };
        let neblock = bsize / nstreams;
        if neblock == 0 {
            return Err(corrupt(at, "empty stream"));
        }
        tmp.clear();
        for _ in 0..nstreams {
            let c = le32(input, p, at)?;
            p += 4;
            let start = tmp.len();
            if c == 0 {
                tmp.resize(start + neblock, 0);
            } else if c < 0 {
                let token = *bytes(input, p, 1, at)?.first().unwrap_or(&0);
                p += 1;
                if token & 1 == 0 || c < -255 {
                    return Err(refuse(at, format!("stream token {token:#x}")));
                }
                tmp.resize(start + neblock, (-c) as u8);
            } else {
                let c = c as usize;
                let src = bytes(input, p, c, at)?;
                if c == neblock {
                    tmp.extend_from_slice(src);
                } else {
                    if !super::blosc::decode_stream(codec, src, neblock, &mut tmp, limits, at)? {
                        return Err(match codec {
                            6 => refuse(at, "user-defined codec"),
                            other => refuse(at, format!("codec {other}")),
                        });
                    }
                }
                p += c;
            }
            if tmp.len() - start != neblock {
                return Err(corrupt(at, "stream decoded to the wrong size"));
            }
        }
        if tmp.len() != bsize {
            return Err(corrupt(at, "block decoded to the wrong size"));
        }
        // The pipeline backwards: slot 5 first.
        let mut cur = std::mem::take(&mut tmp);
        for i in (0..6).rev() {
            match filters[i] {
                0 | 4 => {} // none; truncate-precision has nothing to undo
                1 => {
                    if typesize > 1 {
                        let mut u = Vec::new();
                        super::shuffle::unshuffle_into(&cur, typesize, &mut u);
                        cur = u;
                    }
                }
                2 => {
                    let n = bsize / typesize;
                    let m = n - n % 8;
                    let body = m * typesize;
                    if m > 0 {
                        let mut d = cur.clone();
                        d[..body].fill(0);
                        super::bitshuffle::untrans_bit_elem(
                            &cur[..body],
                            &mut d[..body],
                            m,
                            typesize,
                        );
                        cur = d;
                    }
                }
                3 => {
                    let w = match typesize {
                        1 | 2 | 4 | 8 => typesize,
                        t if t % 8 == 0 => 8,
                        _ => 1,
                    };
                    let n = bsize / w * w;
                    if j == 0 {
                        for k in w..n {
                            cur[k] ^= cur[k - w];
                        }
                    } else {
                        let dref = bytes(&out, 0, n, at)?;
                        for (x, r) in cur[..n].iter_mut().zip(dref) {
                            *x ^= r;
                        }
                    }
                }
                other => {
                    let _ = meta[i];
                    return Err(refuse(at, format!("filter {other}")));
                }
            }
        }
        let dst = out
            .get_mut(j * blocksize..j * blocksize + bsize)
            .ok_or_else(|| corrupt(at, "block outside the chunk"))?;
        dst.copy_from_slice(&cur);
        tmp = cur;
    }
    Ok(out)
}
