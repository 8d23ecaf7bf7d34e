//! Fletcher-32 checksum filter (filter id 3), in the HDF5 library's flavour.
//!
//! Not part of the format specification proper (spec IV.A.2.l only names the filter);
//! this follows `H5_checksum_fletcher32`: 16-bit words assembled big-endian from byte
//! pairs (`(b0 << 8) | b1`), an odd trailing byte as `b << 8`, both sums folded with
//! end-around carry every 360 words, result `(sum2 << 16) | sum1`. The filter appends the
//! checksum as 4 little-endian bytes. On read we also accept the byte-swapped value that
//! HDF5 < 1.6.3 wrote on little-endian machines, as the library itself does.

use crate::error::{Error, Result};

/// Words summed between two folds (keeps 32-bit sums from overflowing, as HDF5 does).
const BATCH_WORDS: usize = 360;

/// HDF5's Fletcher-32 of `data` (`H5_checksum_fletcher32`).
pub fn fletcher32(data: &[u8]) -> u32 {
    let mut sum1: u32 = 0;
    let mut sum2: u32 = 0;
    let mut words = data.chunks_exact(2);
    loop {
        let mut any = false;
        for pair in words.by_ref().take(BATCH_WORDS) {
            any = true;
            let w = match pair {
                [hi, lo] => (u32::from(*hi) << 8) | u32::from(*lo),
                _ => 0, // chunks_exact(2) yields pairs only
            };
            sum1 = sum1.wrapping_add(w);
            sum2 = sum2.wrapping_add(sum1);
        }
        if !any {
            break;
        }
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    if let [last] = words.remainder() {
        sum1 = sum1.wrapping_add(u32::from(*last) << 8);
        sum2 = sum2.wrapping_add(sum1);
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    (sum2 << 16) | sum1
}

/// Append the checksum trailer, as the filter does when writing.
pub fn append(mut data: Vec<u8>) -> Vec<u8> {
    let sum = fletcher32(&data);
    data.extend_from_slice(&sum.to_le_bytes());
    data
}

/// Verify and strip the 4-byte trailer. `at` is the chunk's address, for errors.
pub fn verify_and_strip(mut data: Vec<u8>, at: u64) -> Result<Vec<u8>> {
    let n = verify(&data, at)?;
    data.truncate(n);
    Ok(data)
}

/// Verify the trailing checksum of `data`; the length of the data without it.
pub fn verify(data: &[u8], at: u64) -> Result<usize> {
    let body_len = data.len().checked_sub(4).ok_or_else(|| {
        Error::format(
            "fletcher32 filter",
            at,
            "chunk shorter than the 4-byte checksum",
        )
    })?;
    let mut stored = [0u8; 4];
    stored.copy_from_slice(data.get(body_len..).unwrap_or(&[0; 4]));
    let stored = u32::from_le_bytes(stored);
    let computed = fletcher32(&data[..body_len]);
    // HDF5 < 1.6.3 stored the two bytes of each 16-bit half swapped on little-endian hosts.
    let b = computed.to_le_bytes();
    let legacy = u32::from_le_bytes([b[1], b[0], b[3], b[2]]);
    if stored != computed && stored != legacy {
        return Err(Error::format(
            "fletcher32 filter",
            at,
            format!(
                "fletcher32 checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ),
        ));
    }
    Ok(body_len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Naive reference: true per-word folding, same definition.
    fn reference(data: &[u8]) -> u32 {
        let (mut s1, mut s2) = (0u64, 0u64);
        let mut it = data.chunks(2);
        for w in it.by_ref() {
            let v = if w.len() == 2 {
                (u64::from(w[0]) << 8) | u64::from(w[1])
            } else {
                u64::from(w[0]) << 8
            };
            s1 += v;
            s2 += s1;
        }
        // HDF5's folding leaves 0xffff where a true modulo gives 0; compare modulo 65535.
        (((s2 % 65535) as u32) << 16) | (s1 % 65535) as u32
    }

    fn modded(v: u32) -> u32 {
        (((v >> 16) % 65535) << 16) | ((v & 0xffff) % 65535)
    }

    #[test]
    fn small_known_values() {
        assert_eq!(fletcher32(&[]), 0);
        // One word 0x0102: sum1 = 0x0102, sum2 = 0x0102.
        assert_eq!(fletcher32(&[1, 2]), 0x0102_0102);
        // Odd trailing byte counts as (b << 8).
        assert_eq!(fletcher32(&[1, 2, 3]), (0x0102 + 0x0402) << 16 | 0x0402);
    }

    #[test]
    fn strip_rejects_mismatch_and_short() {
        let good = append(vec![1, 2, 3, 4, 5]);
        assert_eq!(
            verify_and_strip(good.clone(), 0).unwrap(),
            vec![1, 2, 3, 4, 5]
        );
        let mut bad = good;
        bad[0] ^= 1;
        let e = verify_and_strip(bad, 77).unwrap_err();
        assert!(
            e.to_string().contains("fletcher32 checksum mismatch"),
            "{e}"
        );
        assert_eq!(e.offset(), Some(77));
        assert!(verify_and_strip(vec![1, 2, 3], 0).is_err());
    }

    proptest! {
        #[test]
        fn matches_reference_modulo(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
            prop_assert_eq!(modded(fletcher32(&data)), reference(&data));
        }

        #[test]
        fn round_trip(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
            prop_assert_eq!(verify_and_strip(append(data.clone()), 0).unwrap(), data);
        }
    }
}
