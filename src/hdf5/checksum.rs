//! Checksums of the format: Jenkins lookup3 `hashlittle` (initval 0), which HDF5 uses for
//! every v2+ metadata block and for link/attribute name hashes (spec I.A), and Fletcher-32
//! in HDF5's flavour lives in `filter::fletcher32`.

use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;

#[inline]
fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

#[inline]
fn finish(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(14));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(11));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(25));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(16));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(4));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(14));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(24));
}

fn word(k: &[u8]) -> u32 {
    // Little-endian assembly of up to 4 bytes (the byte-at-a-time tail of hashlittle).
    k.iter()
        .take(4)
        .enumerate()
        .fold(0u32, |acc, (i, &x)| acc | (x as u32) << (8 * i))
}

/// Jenkins lookup3 `hashlittle(data, len, 0)`, as HDF5's `H5_checksum_lookup3`.
pub fn lookup3(data: &[u8]) -> u32 {
    let init = 0xdead_beefu32.wrapping_add(data.len() as u32);
    let (mut a, mut b, mut c) = (init, init, init);
    let mut k = data;
    while k.len() > 12 {
        a = a.wrapping_add(word(&k[0..4]));
        b = b.wrapping_add(word(&k[4..8]));
        c = c.wrapping_add(word(&k[8..12]));
        mix(&mut a, &mut b, &mut c);
        k = &k[12..];
    }
    if k.is_empty() {
        return c;
    }
    a = a.wrapping_add(word(k.get(0..).unwrap_or(&[])));
    b = b.wrapping_add(word(k.get(4..).unwrap_or(&[])));
    c = c.wrapping_add(word(k.get(8..).unwrap_or(&[])));
    finish(&mut a, &mut b, &mut c);
    c
}

/// Verify a stored checksum over `data` (the block up to, not including, the checksum).
pub fn verify(structure: &'static str, at: u64, data: &[u8], stored: u32) -> Result<()> {
    let computed = lookup3(data);
    if computed != stored {
        return Err(Error::format(
            structure,
            at,
            format!("checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"),
        ));
    }
    Ok(())
}

/// Verify the checksum field at `c`'s position over the cursor's bytes from `start` up to
/// it (the layout of every v2 header); the cursor moves past the field.
pub fn verify_field(c: &mut Cursor, start: usize, structure: &'static str) -> Result<()> {
    let end = c.pos();
    let at = c.addr();
    let stored = c.u32()?;
    let covered = c
        .all()
        .get(start..end)
        .ok_or_else(|| c.err("checksum window"))?;
    verify(structure, at, covered, stored)
}

#[cfg(test)]
mod tests {
    use super::lookup3;

    #[test]
    fn known_vectors() {
        // Values cross-checked with shared/tools/h5struct.py's independent implementation.
        assert_eq!(lookup3(b""), 0xdeadbeef);
        assert_eq!(lookup3(b"Four score and seven years ago"), 0x17770551);
    }
}

#[cfg(test)]
mod more_tests {
    use super::lookup3;

    #[test]
    fn tail_lengths_match_reference() {
        // From h5struct.py's lookup3 on the same inputs: covers 1-byte tail, exact 12, 12+1, 40.
        let v: Vec<u8> = (0u8..40).collect();
        let got = [
            lookup3(b"a"),
            lookup3(b"abcdefghijkl"),
            lookup3(b"abcdefghijklm"),
            lookup3(&v),
        ];
        assert_eq!(got, REF);
    }
    const REF: [u32; 4] = [0x58d68708, 0x4012f87b, 0x928128f9, 0x1c9fa888];
}
