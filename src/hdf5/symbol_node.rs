//! Symbol table entries (spec III.C, "Level 1C - Symbol Table Entry") and group symbol
//! table nodes `SNOD` (spec III.B, "Level 1B - Group Symbol Table Nodes"), version 1.
//!
//! An entry is: link name offset (length), object header address (offset), cache type
//! (u32), reserved (u32), 16-byte scratch pad. Cache types 0, 1 (B-tree + heap addresses)
//! and 2 (soft link value offset) are understood; other cache types are kept raw. SNOD
//! versions other than 1 are refused, and the symbol count may not exceed what fits in
//! the node read (the node is sized by the count, bounded by the file).

use crate::error::Result;
use crate::hdf5::cursor::{Cursor, Sizes};
use crate::hdf5::encoder::Encoder;
use crate::hdf5::io::FileIo;

const STRUCTURE: &str = "SNOD";

/// One entry of a symbol table node (or the superblock's root entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolTableEntry {
    /// Offset of the link name in the group's local heap.
    pub link_name_offset: u64,
    /// Address of the object's header.
    pub object_header_address: u64,
    /// Scratch-pad cache type: 0 none, 1 symbol table (group), 2 soft link.
    pub cache_type: u32,
    /// Raw scratch pad.
    pub scratch: [u8; 16],
}

impl SymbolTableEntry {
    /// `(B-tree address, local heap address)` for cache type 1; `None` otherwise.
    ///
    /// Decodes 8-byte addresses (the only width seen in practice); use
    /// [`SymbolTableEntry::cached_btree_heap_sized`] for files with other offset sizes.
    /// A hint only: the group's object header is authoritative (quirk 20).
    pub fn cached_btree_heap(&self) -> Option<(u64, u64)> {
        self.cached_btree_heap_sized(8)
    }

    /// As [`SymbolTableEntry::cached_btree_heap`], for `offsets`-byte addresses (2, 4, 8).
    pub fn cached_btree_heap_sized(&self, offsets: u8) -> Option<(u64, u64)> {
        if self.cache_type != 1 {
            return None;
        }
        let n = usize::from(offsets).clamp(1, 8);
        let rd = |from: usize| {
            self.scratch.get(from..from + n).map(|b| {
                b.iter()
                    .rev()
                    .fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
            })
        };
        Some((rd(0)?, rd(n)?))
    }

    /// Offset of the soft link's value in the local heap, for cache type 2.
    pub fn soft_link_offset(&self) -> Option<u32> {
        if self.cache_type != 2 {
            return None;
        }
        let b = self.scratch.get(0..4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Decode one symbol table entry. Pure.
pub fn parse_entry(c: &mut Cursor) -> Result<SymbolTableEntry> {
    let link_name_offset = c.length()?;
    let object_header_address = c.offset()?;
    let cache_type = c.u32()?;
    c.skip(4)?; // reserved
    let scratch = c.array::<16>()?;
    Ok(SymbolTableEntry {
        link_name_offset,
        object_header_address,
        cache_type,
        scratch,
    })
}

/// Decode an `SNOD` node's header and entries from `c`. Pure.
pub fn parse_node(c: &mut Cursor) -> Result<Vec<SymbolTableEntry>> {
    c.signature(b"SNOD")?;
    c.version(1)?;
    c.skip(1)?; // reserved
    let cat = c.addr();
    let count = usize::from(c.u16()?);
    let need = count.checked_mul(entry_size(c.sizes()));
    if need.is_none_or(|n| n > c.remaining()) {
        return Err(c
            .err_at(
                cat,
                format!("{count} symbols do not fit in {} bytes", c.remaining()),
            )
            .into());
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push(parse_entry(c)?);
    }
    Ok(out)
}

/// Read the `SNOD` at `addr` and return its used entries.
pub fn read_node(io: &FileIo, addr: u64) -> Result<Vec<SymbolTableEntry>> {
    let head = io.read(addr, 8, STRUCTURE)?;
    let count = u64::from(u16::from_le_bytes([
        *head.get(6).unwrap_or(&0),
        *head.get(7).unwrap_or(&0),
    ]));
    let esize = u64::from(io.sizes.lengths) + u64::from(io.sizes.offsets) + 24;
    // count <= 65535 and esize <= 40, so this cannot overflow.
    let len = 8 + count * esize;
    let buf = io.read(addr, len, STRUCTURE)?;
    parse_node(&mut io.cursor(&buf, addr, STRUCTURE))
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// A symbol-table entry (III.C), 40 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Offset of the link name in the group's local heap.
    pub name_off: u64,
    /// Object header address (undefined for soft links).
    pub header: u64,
    /// Cache type: 0 none, 1 group (B-tree/heap in scratch), 2 soft link.
    pub cache: u32,
    /// Scratch pad.
    pub scratch: [u8; 16],
}

impl Entry {
    /// Append the encoding (`entry_size(s)` bytes) to `out`.
    pub fn encode(&self, s: Sizes, out: &mut Vec<u8>) {
        let mut e = Encoder::sized(s);
        e.length(self.name_off)
            .offset(self.header)
            .u32(self.cache)
            .zeros(4)
            .bytes(&self.scratch);
        out.extend_from_slice(e.as_bytes());
    }

    /// The scratch pad of a group entry caching its B-tree and heap addresses (cache type
    /// 1): both addresses, then zeros to 16 bytes.
    pub fn stab_scratch(s: Sizes, btree: u64, heap: u64) -> [u8; 16] {
        let mut out = [0u8; 16];
        let e = Encoder::sized(s).offset(btree).offset(heap).take();
        if let Some(dst) = out.get_mut(..e.len()) {
            dst.copy_from_slice(&e);
        }
        out
    }
}

/// Size of a symbol table entry: link name offset, header address, cache type, reserved,
/// 16-byte scratch pad (40 bytes with 8-byte offsets and lengths).
pub fn entry_size(s: Sizes) -> usize {
    s.l() + s.o() + 24
}

/// Size of a SNOD of a group B-tree whose leaf K is `leaf_k` (2K entries).
pub fn snod_size(s: Sizes, leaf_k: usize) -> usize {
    8 + 2 * leaf_k * entry_size(s)
}

/// Encode a symbol table node of a file whose group leaf K is `leaf_k`, at the full size
/// libhdf5 allocates and reads for it.
pub fn encode_snod_k(s: Sizes, entries: &[Entry], leaf_k: usize) -> Vec<u8> {
    let mut out = b"SNOD".to_vec();
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for e in entries {
        e.encode(s, &mut out);
    }
    out.resize(snod_size(s, leaf_k), 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::cursor::Sizes;
    use crate::hdf5::superblock::test_util::io_over;

    /// A symbol table node of a file with 4-byte offsets and lengths (entries of 32 bytes,
    /// the scratch pad still 16), as the writer encodes it, parsed back.
    #[test]
    #[rustfmt::skip]
    fn narrow_sizes_encode_and_parse_back() {
        let s = Sizes { offsets: 4, lengths: 4 };
        assert_eq!((entry_size(s), snod_size(s, 4)), (32, 8 + 8 * 32));
        let group = Entry {
            name_off: 8,
            header: 0x0102,
            cache: 1,
            scratch: Entry::stab_scratch(s, 0x300, 0x400),
        };
        let mut one = Vec::new();
        group.encode(s, &mut one);
        assert_eq!(one, [
            8, 0, 0, 0,          // link name offset (a length)
            0x02, 0x01, 0, 0,    // object header address
            1, 0, 0, 0,          // cache type 1: B-tree and heap cached
            0, 0, 0, 0,          // reserved
            0, 3, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // scratch: 0x300, 0x400, zeros
        ]);
        let plain = Entry { name_off: 16, header: 0x0200, cache: 0, scratch: [0; 16] };
        let node = encode_snod_k(s, &[group, plain], 4);
        assert_eq!(node.len(), snod_size(s, 4));
        let got = parse_node(&mut Cursor::new(&node, 0, STRUCTURE, s)).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].link_name_offset, got[0].object_header_address), (8, 0x0102));
        assert_eq!(got[0].cached_btree_heap_sized(4), Some((0x300, 0x400)));
        assert_eq!((got[1].link_name_offset, got[1].object_header_address), (16, 0x0200));
    }

    #[rustfmt::skip]
    fn snod(count: u16) -> Vec<u8> {
        let mut v = vec![
            b'S', b'N', b'O', b'D', // signature
            1,                      // version
            0,                      // reserved
        ];
        v.extend_from_slice(&count.to_le_bytes());       // number of symbols
        // entry 0: a group with cached B-tree/heap
        v.extend_from_slice(&8u64.to_le_bytes());        // link name offset
        v.extend_from_slice(&0x320u64.to_le_bytes());    // object header address
        v.extend_from_slice(&1u32.to_le_bytes());        // cache type 1
        v.extend_from_slice(&0u32.to_le_bytes());        // reserved
        v.extend_from_slice(&0x400u64.to_le_bytes());    // scratch: B-tree
        v.extend_from_slice(&0x500u64.to_le_bytes());    // scratch: heap
        // entry 1: a soft link
        v.extend_from_slice(&16u64.to_le_bytes());       // link name offset
        v.extend_from_slice(&u64::MAX.to_le_bytes());    // object header address (undefined)
        v.extend_from_slice(&2u32.to_le_bytes());        // cache type 2
        v.extend_from_slice(&0u32.to_le_bytes());        // reserved
        v.extend_from_slice(&24u32.to_le_bytes());       // scratch: link value offset
        v.extend_from_slice(&[0u8; 12]);                 // scratch: unused
        v
    }

    #[test]
    fn node_accepted() {
        let io = io_over(snod(2));
        let e = read_node(&io, 0).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].cached_btree_heap(), Some((0x400, 0x500)));
        assert_eq!(e[0].soft_link_offset(), None);
        assert_eq!(e[1].soft_link_offset(), Some(24));
        assert_eq!(e[1].object_header_address, u64::MAX);
    }

    #[test]
    fn rejects_bad_signature_version_and_count() {
        let mut b = snod(2);
        b[0] = b'X';
        assert!(read_node(&io_over(b), 0).is_err());
        let mut b = snod(2);
        b[4] = 2;
        assert_eq!(read_node(&io_over(b), 0).unwrap_err().offset(), Some(4));
        // count larger than the file holds
        let e = read_node(&io_over(snod(3)), 0).unwrap_err();
        assert!(e.to_string().contains("past the end"), "{e}");
        // pure parser also refuses
        let b = snod(3);
        let e = parse_node(&mut Cursor::new(&b, 0, STRUCTURE, Sizes::default())).unwrap_err();
        assert_eq!(e.offset(), Some(6));
    }
}
