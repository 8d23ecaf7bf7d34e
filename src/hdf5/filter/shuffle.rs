//! Shuffle filter (filter id 2): byte transposition by element size.
//!
//! Outside the spec text (IV.A.2.l only names it); follows HDF5's `H5Z_filter_shuffle`:
//! the element size comes from client data value 0; with no client data (PyTables' uint8
//! VLArray) or an element size of 0 or 1 the filter is the identity. Bytes after the last
//! whole element are copied unchanged.

/// Shuffle `data` for elements of `elem` bytes (what the filter does when writing):
/// byte `j` of every element is gathered into plane `j`.
pub fn shuffle(data: &[u8], elem: usize) -> Vec<u8> {
    if elem <= 1 || data.len() < elem {
        return data.to_vec();
    }
    let n = data.len() / elem;
    let body = n * elem;
    let mut out = Vec::with_capacity(data.len());
    for j in 0..elem {
        out.extend(data.iter().skip(j).step_by(elem).take(n));
    }
    out.extend_from_slice(data.get(body..).unwrap_or(&[]));
    out
}

/// Undo [`shuffle`] (what the filter does when reading).
pub fn unshuffle(data: &[u8], elem: usize) -> Vec<u8> {
    if elem <= 1 || data.len() < elem {
        return data.to_vec();
    }
    let n = data.len() / elem;
    let body = n * elem;
    let mut out = vec![0u8; data.len()];
    // Plane j (n bytes) holds byte j of every element.
    for (j, plane) in data.get(..body).unwrap_or(&[]).chunks_exact(n).enumerate() {
        for (slot, &b) in out.iter_mut().skip(j).step_by(elem).zip(plane) {
            *slot = b;
        }
    }
    if let (Some(dst), Some(src)) = (out.get_mut(body..), data.get(body..)) {
        dst.copy_from_slice(src);
    }
    out
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

    proptest! {
        #[test]
        fn round_trip(data in proptest::collection::vec(any::<u8>(), 0..2000), elem in 0usize..20) {
            prop_assert_eq!(unshuffle(&shuffle(&data, elem), elem), data);
        }
    }
}
