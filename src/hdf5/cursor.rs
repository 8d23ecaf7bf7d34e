//! Bounds-checked little-endian reader over one structure's bytes.
//!
//! Every structure is decoded from a `Cursor` that knows the absolute file address of its
//! first byte, so any error names the exact offset. `split(len)` carves a sub-cursor that
//! cannot read past a declared length (a message, a heap block, a B-tree node).

use crate::error::FormatError;

/// The all-ones "undefined address" (spec, Appendix A), normalised to 64 bits.
pub const UNDEFINED_ADDRESS: u64 = u64::MAX;

/// Sizes of offsets and lengths from the superblock (each 2, 4 or 8 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// "Size of Offsets": width of file addresses.
    pub offsets: u8,
    /// "Size of Lengths": width of sizes and heap offsets.
    pub lengths: u8,
}

impl Sizes {
    /// The largest address "size of offsets" bytes hold (all ones is the undefined
    /// address).
    pub fn max_address(self) -> u64 {
        max_of(self.offsets).saturating_sub(1)
    }

    /// Whether `n` fits in "size of lengths" bytes (all ones reads back as unlimited).
    pub fn length_fits(self, n: u64) -> bool {
        n < max_of(self.lengths)
    }

    /// The largest length "size of lengths" bytes hold (all ones is unlimited).
    pub fn max_length(self) -> u64 {
        max_of(self.lengths).saturating_sub(1)
    }

    /// Bytes of a "size of offsets" field.
    pub fn o(self) -> usize {
        usize::from(self.offsets)
    }

    /// Bytes of a "size of lengths" field.
    pub fn l(self) -> usize {
        usize::from(self.lengths)
    }
}

/// All ones in `n` bytes (n <= 8).
fn max_of(n: u8) -> u64 {
    match n {
        0 => 0,
        1..=7 => (1u64 << (8 * u32::from(n))) - 1,
        _ => u64::MAX,
    }
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            offsets: 8,
            lengths: 8,
        }
    }
}

/// A bounded reader over `data`, whose first byte sits at file address `base`.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    structure: &'static str,
    sizes: Sizes,
}

type R<T> = Result<T, FormatError>;

impl<'a> Cursor<'a> {
    /// A cursor over `data` located at absolute address `base`, decoding `structure`.
    pub fn new(data: &'a [u8], base: u64, structure: &'static str, sizes: Sizes) -> Self {
        Cursor {
            data,
            pos: 0,
            base,
            structure,
            sizes,
        }
    }

    /// Same bytes and position, reported under another structure name.
    pub fn with_structure(mut self, structure: &'static str) -> Self {
        self.structure = structure;
        self
    }

    /// The structure name errors are reported under.
    pub fn structure(&self) -> &'static str {
        self.structure
    }

    /// Sizes of offsets/lengths in force.
    pub fn sizes(&self) -> Sizes {
        self.sizes
    }

    /// Position relative to the start of this cursor.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Absolute file address of the next byte.
    pub fn addr(&self) -> u64 {
        self.base.saturating_add(self.pos as u64)
    }

    /// Absolute file address of the cursor's first byte.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// Whether no bytes are left.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// All bytes of this cursor (from its start, regardless of position).
    pub fn all(&self) -> &'a [u8] {
        self.data
    }

    /// The bytes not yet consumed.
    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    /// A format error at the current position.
    pub fn err(&self, reason: impl Into<std::borrow::Cow<'static, str>>) -> FormatError {
        FormatError::new(self.structure, self.addr(), reason)
    }

    /// A format error at an explicit absolute address.
    pub fn err_at(
        &self,
        at: u64,
        reason: impl Into<std::borrow::Cow<'static, str>>,
    ) -> FormatError {
        FormatError::new(self.structure, at, reason)
    }

    /// Move to `pos` (relative to the cursor start); `pos == len` is allowed.
    pub fn seek(&mut self, pos: usize) -> R<()> {
        if pos > self.data.len() {
            return Err(self.err(format!(
                "seek to {pos} past end of {} bytes",
                self.data.len()
            )));
        }
        self.pos = pos;
        Ok(())
    }

    /// Take `n` bytes.
    pub fn bytes(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| self.err(format!("needs {n} bytes, {} left", self.remaining())))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// Take exactly `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> R<[u8; N]> {
        let b = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(b);
        Ok(a)
    }

    /// Skip `n` bytes.
    pub fn skip(&mut self, n: usize) -> R<()> {
        self.bytes(n).map(|_| ())
    }

    /// Skip to the next multiple of `align` relative to the cursor start (no-op if aligned).
    pub fn align(&mut self, align: usize) -> R<()> {
        if align > 1 {
            let rem = self.pos % align;
            if rem != 0 {
                self.skip(align - rem)?;
            }
        }
        Ok(())
    }

    /// A sub-cursor over the next `n` bytes; this cursor advances past them.
    pub fn split(&mut self, n: usize) -> R<Cursor<'a>> {
        let base = self.addr();
        let data = self.bytes(n)?;
        Ok(Cursor {
            data,
            pos: 0,
            base,
            structure: self.structure,
            sizes: self.sizes,
        })
    }

    /// Require the next bytes to equal `sig` (a 4-byte signature such as `b"OHDR"`).
    pub fn signature(&mut self, sig: &[u8]) -> R<()> {
        let at = self.addr();
        let got = self.bytes(sig.len())?;
        if got != sig {
            return Err(self.err_at(
                at,
                format!(
                    "bad signature: expected {:?}, found {:?}",
                    String::from_utf8_lossy(sig),
                    String::from_utf8_lossy(got)
                ),
            ));
        }
        Ok(())
    }

    /// One byte.
    pub fn u8(&mut self) -> R<u8> {
        Ok(self.array::<1>()?[0])
    }
    /// Little-endian u16.
    pub fn u16(&mut self) -> R<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    /// Little-endian u32.
    pub fn u32(&mut self) -> R<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    /// Little-endian u64.
    pub fn u64(&mut self) -> R<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// Little-endian unsigned integer of `n` bytes (0..=8).
    pub fn uint(&mut self, n: usize) -> R<u64> {
        if n > 8 {
            return Err(self.err(format!("integer field of {n} bytes (max 8)")));
        }
        let b = self.bytes(n)?;
        let mut v = 0u64;
        for (i, &x) in b.iter().enumerate() {
            v |= (x as u64) << (8 * i);
        }
        Ok(v)
    }

    /// A file address ("size of offsets" wide); all-ones becomes [`UNDEFINED_ADDRESS`].
    pub fn offset(&mut self) -> R<u64> {
        let n = self.sizes.offsets as usize;
        let v = self.uint(n)?;
        Ok(if is_all_ones(v, n) {
            UNDEFINED_ADDRESS
        } else {
            v
        })
    }

    /// A length ("size of lengths" wide); all-ones becomes `u64::MAX`.
    pub fn length(&mut self) -> R<u64> {
        let n = self.sizes.lengths as usize;
        let v = self.uint(n)?;
        Ok(if is_all_ones(v, n) { u64::MAX } else { v })
    }

    /// A length that must fit in memory (`usize`) and not exceed `max`.
    pub fn length_usize(&mut self, max: u64) -> R<usize> {
        let at = self.addr();
        let v = self.length()?;
        if v > max {
            return Err(self.err_at(at, format!("length {v} exceeds maximum {max}")));
        }
        usize::try_from(v).map_err(|_| self.err_at(at, "length does not fit in memory"))
    }

    /// A version byte that must equal `expected` (errors name the version byte).
    pub fn version(&mut self, expected: u8) -> R<u8> {
        let at = self.addr();
        let v = self.u8()?;
        if v != expected {
            return Err(self.err_at(at, format!("version {v}, expected {expected}")));
        }
        Ok(v)
    }
}

/// Whether the low `n` bytes of `v` are all ones.
pub fn is_all_ones(v: u64, n: usize) -> bool {
    if n == 0 {
        return false;
    }
    if n >= 8 {
        v == u64::MAX
    } else {
        v == (1u64 << (8 * n)) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_bounds() {
        let data = [1u8, 0, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
        let mut c = Cursor::new(
            &data,
            100,
            "test",
            Sizes {
                offsets: 4,
                lengths: 4,
            },
        );
        assert_eq!(c.u16().unwrap(), 1);
        assert_eq!(c.u32().unwrap(), 2);
        assert_eq!(c.offset().unwrap(), UNDEFINED_ADDRESS);
        let e = c.u8().unwrap_err();
        assert_eq!(e.at, 110);
        assert_eq!(e.structure, "test");
    }

    #[test]
    fn split_is_bounded() {
        let data = [0u8; 8];
        let mut c = Cursor::new(&data, 0, "t", Sizes::default());
        let mut s = c.split(4).unwrap();
        assert_eq!(c.pos(), 4);
        assert!(s.u64().is_err());
        assert!(c.split(5).is_err());
        assert_eq!(s.addr(), 0);
    }
}
