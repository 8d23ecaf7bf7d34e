//! Shuffle filter (filter id 2): byte transposition by element size.
//!
//! Outside the spec text (IV.A.2.l only names it); follows HDF5's `H5Z_filter_shuffle`:
//! the element size comes from client data value 0; with no client data (PyTables' uint8
//! VLArray) or an element size of 0 or 1 the filter is the identity. Bytes after the last
//! whole element are copied unchanged.

/// Shuffle `data` for elements of `elem` bytes (what the filter does when writing):
/// byte `j` of every element is gathered into plane `j`.
pub fn shuffle(data: &[u8], elem: usize) -> Vec<u8> {
    let mut out = Vec::new();
    transpose_into(data, elem, &mut out, false);
    out
}

/// [`shuffle`] (`back` false) or [`unshuffle`] (`back` true) of `data` into `out`, reusing
/// its allocation.
fn transpose_into(data: &[u8], elem: usize, out: &mut Vec<u8>, back: bool) {
    out.clear();
    if elem <= 1 || data.len() < elem {
        out.extend_from_slice(data);
        return;
    }
    let n = data.len() / elem;
    let body = n * elem;
    out.resize(data.len(), 0);
    let (src, dst) = (&data[..body], &mut out[..body]);
    match (elem, back) {
        (2, false) => shuffle_fixed::<2>(src, dst, n),
        (4, false) => shuffle_fixed::<4>(src, dst, n),
        (8, false) => shuffle_fixed::<8>(src, dst, n),
        (2, true) => unshuffle_fixed::<2>(src, dst, n),
        (4, true) => unshuffle_fixed::<4>(src, dst, n),
        (8, true) => unshuffle_fixed::<8>(src, dst, n),
        (_, false) => {
            for (j, plane) in dst.chunks_exact_mut(n).enumerate() {
                for (d, s) in plane.iter_mut().zip(src[j..].iter().step_by(elem)) {
                    *d = *s;
                }
            }
        }
        (_, true) => {
            // Plane j (n bytes) holds byte j of every element.
            for (j, plane) in src.chunks_exact(n).enumerate() {
                for (d, s) in dst[j..].iter_mut().step_by(elem).zip(plane) {
                    *d = *s;
                }
            }
        }
    }
    // Leftover bytes (length not a multiple of the element size) are stored unshuffled.
    out[body..].copy_from_slice(&data[body..]);
}

/// Elements transposed per block: the block's planes sit in a small array, so reads and
/// writes both run sequentially and the fixed-size loops unroll and vectorise.
const BLOCK: usize = 64;

/// [`shuffle`] of `n` whole `E`-byte elements (`src` and `dst` hold `n * E` bytes).
fn shuffle_fixed<const E: usize>(src: &[u8], dst: &mut [u8], n: usize) {
    let mut i0 = 0;
    for blk in src.chunks_exact(BLOCK * E) {
        let mut t = [[0u8; BLOCK]; E];
        for (i, el) in blk.chunks_exact(E).enumerate() {
            for j in 0..E {
                t[j][i] = el[j];
            }
        }
        for (j, plane) in t.iter().enumerate() {
            dst[j * n + i0..j * n + i0 + BLOCK].copy_from_slice(plane);
        }
        i0 += BLOCK;
    }
    for (i, el) in src[i0 * E..].chunks_exact(E).enumerate() {
        for j in 0..E {
            dst[j * n + i0 + i] = el[j];
        }
    }
}

/// [`unshuffle`] of `n` whole `E`-byte elements.
fn unshuffle_fixed<const E: usize>(src: &[u8], dst: &mut [u8], n: usize) {
    let mut i0 = 0;
    for blk in dst.chunks_exact_mut(BLOCK * E) {
        let mut t = [[0u8; BLOCK]; E];
        for (j, plane) in t.iter_mut().enumerate() {
            plane.copy_from_slice(&src[j * n + i0..j * n + i0 + BLOCK]);
        }
        for (i, el) in blk.chunks_exact_mut(E).enumerate() {
            for j in 0..E {
                el[j] = t[j][i];
            }
        }
        i0 += BLOCK;
    }
    for (i, el) in dst[i0 * E..].chunks_exact_mut(E).enumerate() {
        for j in 0..E {
            el[j] = src[j * n + i0 + i];
        }
    }
}

/// Undo [`shuffle`] (what the filter does when reading).
pub fn unshuffle(data: &[u8], elem: usize) -> Vec<u8> {
    let mut out = Vec::new();
    unshuffle_into(data, elem, &mut out);
    out
}

/// [`unshuffle`] into `out`, reusing its allocation.
pub fn unshuffle_into(data: &[u8], elem: usize, out: &mut Vec<u8>) {
    transpose_into(data, elem, out, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_layout() {
        // Two 4-byte elements, plus 1 leftover byte copied as is.
        let data = [0x01, 0x02, 0x03, 0x04, 0x11, 0x12, 0x13, 0x14, 0xAA];
        let s = shuffle(&data, 4);
        assert_eq!(s, [0x01, 0x11, 0x02, 0x12, 0x03, 0x13, 0x04, 0x14, 0xAA]);
        assert_eq!(unshuffle(&s, 4), data);
    }

    #[test]
    fn identity_cases() {
        assert_eq!(shuffle(&[1, 2, 3], 1), [1, 2, 3]);
        assert_eq!(unshuffle(&[1, 2, 3], 0), [1, 2, 3]);
        // Shorter than one element: unchanged.
        assert_eq!(unshuffle(&[1, 2, 3], 8), [1, 2, 3]);
    }

    /// The fixed-size kernels against the plain definition (plane j, element i = byte j of
    /// element i), over lengths with whole blocks, a partial block and leftover bytes.
    #[test]
    fn kernels_match_definition() {
        for elem in [2usize, 3, 4, 8] {
            for len in [elem, 63 * elem, 64 * elem, 64 * elem + 5, 1000 * elem + 1] {
                let data: Vec<u8> = (0..len).map(|i| (i * 7 + i / 13) as u8).collect();
                let n = len / elem;
                let mut want = Vec::new();
                for j in 0..elem {
                    want.extend((0..n).map(|i| data[i * elem + j]));
                }
                want.extend_from_slice(&data[n * elem..]);
                assert_eq!(shuffle(&data, elem), want, "elem {elem} len {len}");
                assert_eq!(unshuffle(&want, elem), data, "elem {elem} len {len}");
            }
        }
    }

    proptest! {
        #[test]
        fn round_trip(data in proptest::collection::vec(any::<u8>(), 0..5000), elem in 0usize..20) {
            prop_assert_eq!(unshuffle(&shuffle(&data, elem), elem), data);
        }
    }
}
