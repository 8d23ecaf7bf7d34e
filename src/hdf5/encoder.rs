//! Helpers shared by the encoders (the writer's half of each structure module): padding,
//! checked narrowing, checksums, and [`Encoder`], the write twin of
//! [`Cursor`](crate::hdf5::cursor::Cursor).
//!
//! Each structure is encoded in the module that decodes it (`message/dataspace.rs` parses
//! and encodes the Dataspace message, `superblock.rs` both superblocks, and so on). Sizes
//! of offsets and lengths are the file's ([`Sizes`]: 8 in every file we create, 2, 4 or
//! 8 in a file we continue).

use crate::error::{Error, Result};
use crate::hdf5::checksum::lookup3;
pub use crate::hdf5::cursor::Sizes;

/// The undefined address (all bits set), as the writer spells it.
pub const UNDEF: u64 = u64::MAX;

/// Round `n` up to a multiple of 8.
pub fn pad8(n: usize) -> usize {
    n.div_ceil(8).saturating_mul(8)
}

pub(crate) fn pad_vec(v: &mut Vec<u8>) {
    let n = pad8(v.len());
    v.resize(n, 0);
}

pub(crate) fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(msg.into())
}

pub(crate) fn u32_of(n: u64, what: &str) -> Result<u32> {
    u32::try_from(n).map_err(|_| usage(format!("{what} {n} does not fit in 32 bits")))
}

pub(crate) fn seal(mut v: Vec<u8>) -> Vec<u8> {
    let s = lookup3(&v);
    v.extend_from_slice(&s.to_le_bytes());
    v
}

/// Little-endian writer of one structure's bytes: the twin of
/// [`Cursor`](crate::hdf5::cursor::Cursor), with the same field names (`u8` … `u64`,
/// `offset`, `length`, `uint`, `signature`). Offsets and lengths are as wide as the
/// file's [`Sizes`] say (8 and 8 unless built with [`Encoder::sized`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Encoder {
    out: Vec<u8>,
    sizes: Sizes,
}

impl Encoder {
    /// An empty encoder (offsets and lengths of 8 bytes).
    pub fn new() -> Self {
        Encoder::default()
    }

    /// An empty encoder writing offsets and lengths as wide as `sizes` say.
    pub fn sized(sizes: Sizes) -> Self {
        Encoder {
            out: Vec::new(),
            sizes,
        }
    }

    /// An empty encoder for about `n` bytes.
    pub fn with_capacity(n: usize) -> Self {
        Encoder {
            out: Vec::with_capacity(n),
            sizes: Sizes::default(),
        }
    }

    /// Bytes written so far (the position of the next byte).
    pub fn pos(&self) -> usize {
        self.out.len()
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.out
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.out.push(v);
        self
    }

    /// A little-endian u16.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// A little-endian u32.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// A little-endian u64.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// The low `n` bytes (at most 8) of `v`, little-endian (`Cursor::uint`'s twin); the
    /// caller chose `n` wide enough for `v`.
    pub fn uint(&mut self, v: u64, n: usize) -> &mut Self {
        let b = v.to_le_bytes();
        self.bytes(b.get(..n.min(8)).unwrap_or(&b))
    }

    /// A file address ("size of offsets" wide, its low bytes); [`UNDEF`] is the undefined
    /// address (all ones at any width). An address past what the width holds is never
    /// written: the writer refuses every write once its allocation passed it
    /// (`Writer::put`).
    pub fn offset(&mut self, addr: u64) -> &mut Self {
        self.uint(addr, usize::from(self.sizes.offsets))
    }

    /// A length ("size of lengths" wide, its low bytes); `u64::MAX` (unlimited) is all
    /// ones at any width. Lengths a file cannot hold are refused before encoding
    /// (`Sizes::length_fits`: dimensions, data and heap sizes) or capped where they are
    /// statistics (extensible array headers).
    pub fn length(&mut self, n: u64) -> &mut Self {
        self.uint(n, usize::from(self.sizes.lengths))
    }

    /// A u32 field from a wider value, refused (usage error naming `what`) when it does
    /// not fit.
    pub fn u32_of(&mut self, n: u64, what: &str) -> Result<&mut Self> {
        Ok(self.u32(u32_of(n, what)?))
    }

    /// Raw bytes.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.out.extend_from_slice(b);
        self
    }

    /// A signature (`Cursor::signature`'s twin).
    pub fn signature(&mut self, sig: &[u8]) -> &mut Self {
        self.bytes(sig)
    }

    /// `name`, a NUL, then zeros to a multiple of 8 bytes counted from the name's start
    /// (names in datatype, filter pipeline and attribute messages).
    pub fn name8(&mut self, name: &[u8]) -> &mut Self {
        let n = name.len().saturating_add(1);
        self.bytes(name).u8(0).zeros(pad8(n) - n)
    }

    /// `n` zero bytes (reserved fields).
    pub fn zeros(&mut self, n: usize) -> &mut Self {
        self.out.resize(self.out.len().saturating_add(n), 0);
        self
    }

    /// Zero-pad to a multiple of 8 (messages of v1 object headers).
    pub fn pad8(&mut self) -> &mut Self {
        pad_vec(&mut self.out);
        self
    }

    /// The bytes written.
    pub fn finish(self) -> Vec<u8> {
        self.out
    }

    /// The bytes written, taken at the end of a chain of field writes (the encoder is left
    /// empty), so a short encoding is one expression.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// The bytes written followed by their Jenkins lookup3 checksum.
    pub fn seal(self) -> Vec<u8> {
        seal(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::cursor::{Cursor, Sizes};

    /// Every field written by `Encoder` reads back through `Cursor`'s twin method.
    #[test]
    fn fields_read_back_through_cursor() {
        let mut e = Encoder::new();
        e.signature(b"TEST")
            .u8(7)
            .u16(0x1234)
            .u32(0xdead_beef)
            .u64(1 << 40)
            .offset(UNDEF)
            .length(99)
            .uint(300, 2)
            .zeros(3);
        e.u32_of(5, "n").unwrap();
        assert!(e.clone().u32_of(1 << 32, "n").is_err());
        let b = e.seal();
        assert_eq!(b.len(), 4 + 1 + 2 + 4 + 8 + 8 + 8 + 2 + 3 + 4 + 4);
        let mut c = Cursor::new(&b, 0, "test", Sizes::default());
        c.signature(b"TEST").unwrap();
        assert_eq!(c.u8().unwrap(), 7);
        assert_eq!(c.u16().unwrap(), 0x1234);
        assert_eq!(c.u32().unwrap(), 0xdead_beef);
        assert_eq!(c.u64().unwrap(), 1 << 40);
        assert_eq!(c.offset().unwrap(), UNDEF);
        assert_eq!(c.length().unwrap(), 99);
        assert_eq!(c.uint(2).unwrap(), 300);
        assert_eq!(c.bytes(3).unwrap(), &[0, 0, 0]);
        assert_eq!(c.u32().unwrap(), 5);
        let sum = c.u32().unwrap();
        assert_eq!(sum, lookup3(b.get(..b.len() - 4).unwrap()));
        let mut p = Encoder::new();
        p.u8(1).pad8();
        assert_eq!(p.finish(), vec![1, 0, 0, 0, 0, 0, 0, 0]);
    }

    /// Offsets and lengths at a file's widths (`H5Pset_sizes`): the low bytes, the
    /// undefined address and an unlimited length all ones at any width; `Cursor` reads
    /// them back as `UNDEF` and `u64::MAX`.
    #[test]
    #[rustfmt::skip]
    fn narrow_offsets_and_lengths() {
        let s = Sizes { offsets: 2, lengths: 4 };
        let mut e = Encoder::sized(s);
        e.offset(0x1234).offset(UNDEF).length(0x0102_0304).length(u64::MAX);
        assert_eq!(e.as_bytes(), &[
            0x34, 0x12,             // address 0x1234
            0xff, 0xff,             // undefined address
            0x04, 0x03, 0x02, 0x01, // length
            0xff, 0xff, 0xff, 0xff, // unlimited
        ]);
        let b = e.finish();
        let mut c = Cursor::new(&b, 0, "test", s);
        assert_eq!(c.offset().unwrap(), 0x1234);
        assert_eq!(c.offset().unwrap(), UNDEF);
        assert_eq!(c.length().unwrap(), 0x0102_0304);
        assert_eq!(c.length().unwrap(), u64::MAX);
        assert_eq!((s.max_address(), s.max_length()), (0xfffe, 0xffff_fffe));
        assert!(s.length_fits(0xffff_fffe) && !s.length_fits(0xffff_ffff));
        let d = Sizes::default();
        assert_eq!((d.max_address(), d.max_length()), (u64::MAX - 1, u64::MAX - 1));
    }
}
