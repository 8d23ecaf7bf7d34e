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
    let mut out = Vec::new();
    unshuffle_into(data, elem, &mut out);
    out
}

/// [`unshuffle`] into `out`, reusing its allocation.
pub fn unshuffle_into(data: &[u8], elem: usize, out: &mut Vec<u8>) {
    out.clear();
    if elem <= 1 || data.len() < elem {
        out.extend_from_slice(data);
        return;
    }
    let n = data.len() / elem;
    let body = n * elem;
    out.resize(data.len(), 0);
    // Plane j (n bytes) holds byte j of every element; element i gathers byte i of each plane.
    let planes: Vec<&[u8]> = data[..body].chunks_exact(n).collect();
    for (i, el) in out[..body].chunks_exact_mut(elem).enumerate() {
        for (slot, plane) in el.iter_mut().zip(&planes) {
            *slot = plane[i];
        }
    }
    // Leftover bytes (length not a multiple of the element size) are stored unshuffled.
    out[body..].copy_from_slice(&data[body..]);
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
