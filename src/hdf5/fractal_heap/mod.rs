//! Fractal heaps (spec III.G, "Level 1G - Fractal Heap"): header `FRHP` (version 0,
//! checksum verified), root/child indirect blocks `FHIB` and direct blocks `FHDB`
//! (version 0; direct-block checksums verified when header flag bit 1 is set), and the
//! heap IDs that address objects in them (quirk 21).
//!
//! Supported IDs (first byte: version bits 6-7 = 0, type bits 4-5):
//! * managed (type 0): offset (`ceil(max heap size / 8)` bytes) and length, found through
//!   the doubling table (row 0 and 1 blocks are the starting block size, row `r >= 1` is
//!   `start * 2^(r-1)`; an indirect block's first
//!   `log2(max direct) - log2(start) + 2` rows are direct blocks);
//! * huge (type 1): directly addressed (address + length in the ID) or, when the ID is too
//!   short, an ID looked up in the v2 B-tree of record type 1;
//! * tiny (type 2): data inline in the ID (normal and extended length encodings).
//!
//! Refused: heaps with I/O filters (`Unsupported("filtered fractal heap")`), other
//! versions, reserved ID types, objects outside their block, blocks whose stored heap
//! address or block offset disagree with the path that reached them.
//!
//! The writer's half, a whole heap written at new space, is [`encode`].

pub mod encode;

use crate::error::{Error, Result};
use crate::hdf5::btree_v2;
use crate::hdf5::checksum;
use crate::hdf5::cursor::{Cursor, Sizes, UNDEFINED_ADDRESS};
use crate::hdf5::io::{Budget, FileIo};

const HEADER: &str = "fractal heap header";
const INDIRECT: &str = "fractal heap indirect block";
const DIRECT: &str = "fractal heap direct block";
const ID: &str = "fractal heap ID";

/// A fractal heap header with the derived doubling-table parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FractalHeap {
    /// Address of the header.
    pub address: u64,
    /// Length of heap IDs in bytes.
    pub id_length: u16,
    /// Flags (bit 0: huge IDs wrapped, bit 1: direct blocks checksummed).
    pub flags: u8,
    /// Largest managed object; larger ones are huge.
    pub max_managed_size: u32,
    /// Address of the v2 B-tree indexing huge objects.
    pub huge_btree_address: u64,
    /// Number of managed objects.
    pub managed_objects: u64,
    /// Number of huge objects.
    pub huge_objects: u64,
    /// Doubling table width (blocks per row).
    pub table_width: u16,
    /// Starting (row 0) block size.
    pub starting_block_size: u64,
    /// Largest direct block size.
    pub max_direct_block_size: u64,
    /// log2 of the heap's address space.
    pub max_heap_size_bits: u16,
    /// Address of the root block (undefined when the heap is empty).
    pub root_block_address: u64,
    /// Rows in the root indirect block; 0 means the root is a direct block.
    pub root_rows: u16,
    sizes: Sizes,
    /// Width of heap offsets (block offsets and managed ID offsets).
    pub offset_size: u8,
    /// Width of the length field of managed IDs.
    pub length_size: u8,
}

/// The checksum closing the indirect block `buf` (`len` bytes at `addr`, read by `c`).
fn verify_indirect_checksum(c: &mut Cursor, buf: &[u8], addr: u64, len: u64) -> Result<()> {
    let entries_end = usize::try_from(len - 4).map_err(|_| c.err("block too large"))?;
    c.seek(entries_end)?;
    let stored = c.u32()?;
    checksum::verify(
        INDIRECT,
        addr + len - 4,
        buf.get(..entries_end).unwrap_or(&[]),
        stored,
    )
}

fn log2_exact(v: u64) -> Option<u32> {
    v.is_power_of_two().then(|| v.trailing_zeros())
}

/// Minimal bytes for `n` (at least 1).
fn enc_size(n: u64) -> u8 {
    ((64 - n.leading_zeros()) / 8 + 1).min(8) as u8
}

/// Decode a `FRHP` from `c` (checksum verified). Pure.
pub fn parse_header(c: &mut Cursor) -> Result<FractalHeap> {
    let address = c.addr();
    let start = c.pos();
    c.signature(b"FRHP")?;
    c.version(0)?;
    let id_length = c.u16()?;
    let filter_len = c.u16()?;
    let flags = c.u8()?;
    let max_managed_size = c.u32()?;
    let _next_huge_id = c.length()?;
    let huge_btree_address = c.offset()?;
    let _free_space = c.length()?;
    let _free_space_manager = c.offset()?;
    let _managed_space = c.length()?;
    let _allocated_managed_space = c.length()?;
    let _iterator_offset = c.length()?;
    let managed_objects = c.length()?;
    let _huge_size = c.length()?;
    let huge_objects = c.length()?;
    let _tiny_size = c.length()?;
    let _tiny_objects = c.length()?;
    let wat = c.addr();
    let table_width = c.u16()?;
    let sat = c.addr();
    let starting_block_size = c.length()?;
    let mat = c.addr();
    let max_direct_block_size = c.length()?;
    let hat = c.addr();
    let max_heap_size_bits = c.u16()?;
    let _starting_rows = c.u16()?;
    let root_block_address = c.offset()?;
    let root_rows = c.u16()?;
    if filter_len > 0 {
        return Err(Error::unsupported("filtered fractal heap", Some(address)));
    }
    checksum::verify_field(c, start, HEADER)?;
    if !table_width.is_power_of_two() {
        return Err(c
            .err_at(
                wat,
                format!("table width {table_width} is not a power of two"),
            )
            .into());
    }
    let start_bits = log2_exact(starting_block_size).ok_or_else(|| {
        c.err_at(
            sat,
            format!("starting block size {starting_block_size} is not a power of two"),
        )
    })?;
    let max_bits = log2_exact(max_direct_block_size)
        .filter(|&b| b >= start_bits)
        .ok_or_else(|| {
            c.err_at(
                mat,
                format!("max direct block size {max_direct_block_size} is not a power of two >= the starting size"),
            )
        })?;
    if max_heap_size_bits == 0
        || max_heap_size_bits > 64
        || u32::from(max_heap_size_bits) < max_bits
    {
        return Err(c
            .err_at(hat, format!("max heap size of {max_heap_size_bits} bits"))
            .into());
    }
    let offset_size = max_heap_size_bits.div_ceil(8) as u8;
    let length_size = (max_bits.div_ceil(8) as u8).min(enc_size(u64::from(max_managed_size)));
    Ok(FractalHeap {
        address,
        id_length,
        flags,
        max_managed_size,
        huge_btree_address,
        managed_objects,
        huge_objects,
        table_width,
        starting_block_size,
        max_direct_block_size,
        max_heap_size_bits,
        root_block_address,
        root_rows,
        sizes: c.sizes(),
        offset_size,
        length_size,
    })
}

/// Bytes of a heap header: 26 fixed bytes, twelve lengths, three offsets (146 with 8-byte
/// sizes).
pub fn header_len(s: Sizes) -> u64 {
    (26 + 12 * s.l() + 3 * s.o()) as u64
}

/// Read the fractal heap header at `addr`.
pub fn open(io: &FileIo, addr: u64) -> Result<FractalHeap> {
    let buf = io.read(addr, header_len(io.sizes), HEADER)?;
    parse_header(&mut io.cursor(&buf, addr, HEADER))
}

impl FractalHeap {
    /// A format error about this heap, at its header.
    fn refuse(&self, reason: &'static str) -> Error {
        Error::format(HEADER, self.address, reason)
    }

    fn start_bits(&self) -> u32 {
        self.starting_block_size.trailing_zeros()
    }

    fn width_bits(&self) -> u32 {
        u32::from(self.table_width).trailing_zeros()
    }

    /// Number of rows of an indirect block that hold direct blocks.
    pub fn max_direct_rows(&self) -> u32 {
        self.max_direct_block_size.trailing_zeros() - self.start_bits() + 2
    }

    /// An indirect block of `nrows` rows: where its child entries start, how many there
    /// are (`nrows` x table width, direct and indirect rows alike) and the block's length
    /// with its checksum.
    fn indirect_block_span(&self, nrows: u32) -> (u64, u64, u64) {
        let o = u64::from(self.sizes.offsets);
        let hdr = 4 + 1 + o + u64::from(self.offset_size);
        let entries = u64::from(nrows) * u64::from(self.table_width);
        (hdr, entries, hdr + entries * o + 4)
    }

    /// Size of the blocks in doubling-table row `row`, if representable.
    pub fn row_block_size(&self, row: u32) -> Option<u64> {
        if row == 0 {
            Some(self.starting_block_size)
        } else {
            1u64.checked_shl(row - 1)
                .and_then(|m| self.starting_block_size.checked_mul(m))
                .filter(|&s| s.trailing_zeros() == self.start_bits() + row - 1)
        }
    }

    /// Offset of the first block of `row` within its indirect block.
    fn row_offset(&self, row: u32) -> Option<u64> {
        if row == 0 {
            Some(0)
        } else {
            let first = self
                .starting_block_size
                .checked_mul(u64::from(self.table_width))?;
            first.checked_mul(1u64.checked_shl(row - 1)?)
        }
    }

    /// What the heap occupies in the file: its header, every allocated direct and
    /// indirect block, its huge objects and their B-tree (extents a writer frees when it
    /// supersedes the heap).
    pub fn extents(&self, io: &FileIo, budget: &mut Budget) -> Result<Vec<(u64, u64)>> {
        let o = u64::from(io.sizes.offsets);
        let l = u64::from(io.sizes.lengths);
        let mut out = vec![(self.address, 26 + 12 * l + 3 * o)];
        if self.root_block_address != UNDEFINED_ADDRESS {
            if self.root_rows == 0 {
                out.push((self.root_block_address, self.starting_block_size));
            } else {
                self.indirect_extents(
                    io,
                    self.root_block_address,
                    u32::from(self.root_rows),
                    budget,
                    &mut out,
                )?;
            }
        }
        if self.huge_btree_address != UNDEFINED_ADDRESS {
            let (h, recs, ext) =
                btree_v2::records_and_extents(io, self.huge_btree_address, budget)?;
            if h.record_type != 1 {
                return Err(Error::format(
                    "v2 B-tree header",
                    self.huge_btree_address,
                    format!("record type {}, expected 1 (huge objects)", h.record_type),
                ));
            }
            for r in &recs {
                let t = btree_v2::decode_type1(r, self.sizes)?;
                out.push((t.address, t.length));
            }
            out.extend(ext);
        }
        Ok(out)
    }

    fn indirect_extents(
        &self,
        io: &FileIo,
        addr: u64,
        nrows: u32,
        budget: &mut Budget,
        out: &mut Vec<(u64, u64)>,
    ) -> Result<()> {
        budget.visit(addr, INDIRECT)?;
        let (dir_rows, o) = (self.max_direct_rows(), u64::from(self.sizes.offsets));
        let width = u64::from(self.table_width);
        let (hdr, entries, len) = self.indirect_block_span(nrows);
        let buf = io.read(addr, len, INDIRECT)?;
        let mut c = io.cursor(&buf, addr, INDIRECT);
        c.signature(b"FHIB")?;
        verify_indirect_checksum(&mut c, &buf, addr, len)?;
        out.push((addr, len));
        for e in 0..entries {
            c.seek(usize::try_from(hdr + e * o).map_err(|_| c.err("entry out of range"))?)?;
            let child = c.offset()?;
            if child == UNDEFINED_ADDRESS {
                continue;
            }
            let row = u32::try_from(e / width).map_err(|_| c.err("row out of range"))?;
            let size = self
                .row_block_size(row)
                .ok_or_else(|| c.err("row out of range"))?;
            if row < dir_rows {
                out.push((child, size));
            } else {
                let child_rows = ((63 - size.leading_zeros()) + 1)
                    .checked_sub(self.start_bits() + self.width_bits())
                    .filter(|&r| r > 0 && r < nrows)
                    .ok_or_else(|| c.err(format!("row {row} cannot hold an indirect block")))?;
                self.indirect_extents(io, child, child_rows, budget, out)?;
            }
        }
        Ok(())
    }

    /// The object with `heap_id`. `budget` is charged for the blocks read; cycle detection
    /// is local to this call, so one budget may serve many lookups.
    pub fn get(&self, io: &FileIo, heap_id: &[u8], budget: &mut Budget) -> Result<Vec<u8>> {
        let at = self.address;
        let first = *heap_id
            .first()
            .ok_or_else(|| Error::format(ID, at, "empty heap ID"))?;
        let version = first >> 6;
        if version != 0 {
            return Err(Error::format(
                ID,
                at,
                format!("heap ID version {version}, expected 0"),
            ));
        }
        let mut c = Cursor::new(heap_id, at, ID, self.sizes);
        c.skip(1)?;
        match (first >> 4) & 0x3 {
            0 => self.managed(io, &mut c, budget),
            1 => self.huge(io, &mut c, budget),
            2 => self.tiny(first, &mut c),
            t => Err(Error::format(ID, at, format!("reserved heap ID type {t}"))),
        }
    }

    fn tiny(&self, first: u8, c: &mut Cursor) -> Result<Vec<u8>> {
        // IDs longer than 18 bytes use a 12-bit length over two bytes.
        let len = if self.id_length > 18 {
            (usize::from(first & 0x0F) << 8 | usize::from(c.u8()?)) + 1
        } else {
            usize::from(first & 0x0F) + 1
        };
        Ok(c.bytes(len)?.to_vec())
    }

    /// Objects are bounded by `Limits::max_heap_object` before anything is read.
    fn check_len(io: &FileIo, len: u64, at: u64) -> Result<()> {
        let cap = io.limits.max_heap_object;
        if len > cap {
            return Err(Error::limit("max_heap_object", cap, len, Some(at)));
        }
        Ok(())
    }

    fn huge(&self, io: &FileIo, c: &mut Cursor, budget: &mut Budget) -> Result<Vec<u8>> {
        let o = usize::from(self.sizes.offsets);
        let l = usize::from(self.sizes.lengths);
        let idlen = usize::from(self.id_length).saturating_sub(1);
        let (addr, len) = if o + l <= idlen {
            (c.offset()?, c.length()?)
        } else {
            let id = c.uint(idlen.min(8))?;
            if self.huge_btree_address == UNDEFINED_ADDRESS {
                return Err(self.refuse("huge object ID but no huge-object B-tree"));
            }
            // A fresh walk budget: cycle detection per lookup, work charged to the caller.
            let mut walk = Budget::new(&io.limits);
            let (h, recs) = btree_v2::records(io, self.huge_btree_address, &mut walk)?;
            budget.charge(recs.len() as u64 + 1, self.huge_btree_address)?;
            if h.record_type != 1 {
                return Err(Error::format(
                    "v2 B-tree header",
                    self.huge_btree_address,
                    format!("record type {}, expected 1 (huge objects)", h.record_type),
                ));
            }
            let mut found = None;
            for r in &recs {
                let t = btree_v2::decode_type1(r, self.sizes)?;
                if t.id == id {
                    found = Some((t.address, t.length));
                    break;
                }
            }
            found.ok_or_else(|| {
                Error::format(
                    "v2 B-tree header",
                    self.huge_btree_address,
                    format!("huge object {id} not found"),
                )
            })?
        };
        Self::check_len(io, len, addr)?;
        io.read(addr, len, "fractal heap huge object")
    }

    fn managed(&self, io: &FileIo, c: &mut Cursor, budget: &mut Budget) -> Result<Vec<u8>> {
        let off = c.uint(usize::from(self.offset_size))?;
        let len = c.uint(usize::from(self.length_size))?;
        Self::check_len(io, len, self.address)?;
        if self.root_block_address == UNDEFINED_ADDRESS {
            return Err(self.refuse("managed object ID in an empty heap"));
        }
        let mut walk = Budget::new(&io.limits);
        let (mut block, mut block_off, mut block_size) =
            (self.root_block_address, 0u64, self.starting_block_size);
        let mut rows = u32::from(self.root_rows);
        // Each level moves to a strictly smaller indirect block: at most 64 levels.
        for _ in 0..=64 {
            budget.charge(1, block)?;
            if rows == 0 {
                walk.visit(block, DIRECT)?;
                return self.read_direct(io, block, block_off, block_size, off, len);
            }
            walk.visit(block, INDIRECT)?;
            let (child, child_off, child_size, child_rows) =
                self.descend(io, block, block_off, rows, off)?;
            block = child;
            block_off = child_off;
            block_size = child_size;
            rows = child_rows;
        }
        Err(Error::format(
            INDIRECT,
            block,
            "indirect blocks nested too deeply",
        ))
    }

    /// Find, in the indirect block at `addr` (heap offset `block_off`, `nrows` rows), the
    /// child covering heap offset `off`: `(address, block offset, size, rows (0 = direct))`.
    fn descend(
        &self,
        io: &FileIo,
        addr: u64,
        block_off: u64,
        nrows: u32,
        off: u64,
    ) -> Result<(u64, u64, u64, u32)> {
        let rel = off.checked_sub(block_off).ok_or_else(|| {
            Error::format(
                INDIRECT,
                addr,
                format!("offset {off} below block offset {block_off}"),
            )
        })?;
        let width = u64::from(self.table_width);
        let first_row = self.starting_block_size.saturating_mul(width);
        let (row, col) = if rel < first_row {
            (0u32, rel / self.starting_block_size)
        } else {
            let high = 63 - rel.leading_zeros();
            let row = high + 1 - (self.start_bits() + self.width_bits());
            let size = self
                .row_block_size(row)
                .ok_or_else(|| Error::format(INDIRECT, addr, "row out of range"))?;
            (row, (rel - (1u64 << high)) / size)
        };
        if row >= nrows {
            return Err(Error::format(
                INDIRECT,
                addr,
                format!("heap offset {off} falls in row {row}, block has {nrows} rows"),
            ));
        }
        let (dir_rows, o) = (self.max_direct_rows(), u64::from(self.sizes.offsets));
        let (hdr, _, len) = self.indirect_block_span(nrows);
        let buf = io.read(addr, len, INDIRECT)?;
        let mut c = io.cursor(&buf, addr, INDIRECT);
        c.signature(b"FHIB")?;
        self.check_block_prefix(&mut c, block_off)?;
        verify_indirect_checksum(&mut c, &buf, addr, len)?;
        let entry = u64::from(row) * width + col;
        c.seek(usize::try_from(hdr + entry * o).map_err(|_| c.err("entry out of range"))?)?;
        let child = c.offset()?;
        let size = self
            .row_block_size(row)
            .ok_or_else(|| c.err("row out of range"))?;
        let child_off = self
            .row_offset(row)
            .and_then(|r| r.checked_add(col.checked_mul(size)?))
            .and_then(|r| r.checked_add(block_off))
            .ok_or_else(|| c.err("block offset overflows"))?;
        if child == UNDEFINED_ADDRESS {
            return Err(Error::format(
                INDIRECT,
                addr,
                format!("heap offset {off} lies in an unallocated block"),
            ));
        }
        let child_rows = if row < dir_rows {
            0
        } else {
            // An indirect child spanning `size` bytes has log2(size) - log2(start * width) + 1 rows.
            ((63 - size.leading_zeros()) + 1)
                .checked_sub(self.start_bits() + self.width_bits())
                .filter(|&r| r > 0)
                .ok_or_else(|| c.err(format!("row {row} cannot hold an indirect block")))?
        };
        Ok((child, child_off, size, child_rows))
    }

    /// Check a block's version, heap header address and block offset.
    fn check_block_prefix(&self, c: &mut Cursor, block_off: u64) -> Result<()> {
        c.version(0)?;
        let hat = c.addr();
        let heap = c.offset()?;
        if heap != self.address {
            return Err(c
                .err_at(
                    hat,
                    format!("heap header address {heap}, expected {}", self.address),
                )
                .into());
        }
        let oat = c.addr();
        let stored_off = c.uint(usize::from(self.offset_size))?;
        if stored_off != block_off {
            return Err(c
                .err_at(
                    oat,
                    format!("block offset {stored_off}, expected {block_off}"),
                )
                .into());
        }
        Ok(())
    }

    fn read_direct(
        &self,
        io: &FileIo,
        addr: u64,
        block_off: u64,
        size: u64,
        off: u64,
        len: u64,
    ) -> Result<Vec<u8>> {
        let buf = io.read(addr, size, DIRECT)?;
        let mut c = io.cursor(&buf, addr, DIRECT);
        c.signature(b"FHDB")?;
        self.check_block_prefix(&mut c, block_off)?;
        let mut header_end = c.pos();
        if self.flags & 0x02 != 0 {
            let sum_pos = c.pos();
            let stored = c.u32()?;
            header_end = c.pos();
            // The checksum covers the whole block with its own field zeroed.
            let mut image = buf.clone();
            if let Some(f) = image.get_mut(sum_pos..sum_pos + 4) {
                f.fill(0);
            }
            checksum::verify(DIRECT, addr + sum_pos as u64, &image, stored)?;
        }
        let rel = off.checked_sub(block_off).unwrap_or(u64::MAX);
        let end = rel.saturating_add(len);
        if rel < header_end as u64 || end > size {
            return Err(Error::format(
                DIRECT,
                addr,
                format!("object at heap offset {off} ({len} bytes) outside the block's data"),
            ));
        }
        // rel and end are <= size, which was allocated: they fit in usize.
        Ok(buf.get(rel as usize..end as usize).unwrap_or(&[]).to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::superblock::test_util::io_over;

    /// Header at 0: width 2, start block 64, max direct 128, 16-bit heap, flags bit 1.
    #[rustfmt::skip]
    fn header(id_len: u16, root: u64, rows: u16) -> Vec<u8> {
        let mut v = vec![b'F', b'R', b'H', b'P', 0];     // signature, version
        v.extend_from_slice(&id_len.to_le_bytes());      // heap ID length
        v.extend_from_slice(&0u16.to_le_bytes());        // I/O filters' encoded length
        v.push(0x02);                                    // flags: direct blocks checksummed
        v.extend_from_slice(&100u32.to_le_bytes());      // max managed object size
        v.extend_from_slice(&0u64.to_le_bytes());        // next huge object ID
        v.extend_from_slice(&u64::MAX.to_le_bytes());    // huge object B-tree address
        v.extend_from_slice(&0u64.to_le_bytes());        // free space in managed blocks
        v.extend_from_slice(&u64::MAX.to_le_bytes());    // free-space manager address
        v.extend_from_slice(&256u64.to_le_bytes());      // managed space
        v.extend_from_slice(&256u64.to_le_bytes());      // allocated managed space
        v.extend_from_slice(&0u64.to_le_bytes());        // direct block allocation iterator
        v.extend_from_slice(&1u64.to_le_bytes());        // number of managed objects
        v.extend_from_slice(&0u64.to_le_bytes());        // size of huge objects
        v.extend_from_slice(&0u64.to_le_bytes());        // number of huge objects
        v.extend_from_slice(&0u64.to_le_bytes());        // size of tiny objects
        v.extend_from_slice(&0u64.to_le_bytes());        // number of tiny objects
        v.extend_from_slice(&2u16.to_le_bytes());        // table width
        v.extend_from_slice(&64u64.to_le_bytes());       // starting block size
        v.extend_from_slice(&128u64.to_le_bytes());      // max direct block size
        v.extend_from_slice(&16u16.to_le_bytes());       // max heap size (bits)
        v.extend_from_slice(&rows.to_le_bytes());        // starting rows in root
        v.extend_from_slice(&root.to_le_bytes());        // root block address
        v.extend_from_slice(&rows.to_le_bytes());        // current rows in root
        let s = checksum::lookup3(&v);
        v.extend_from_slice(&s.to_le_bytes());           // checksum
        v
    }

    /// Direct block of `size` bytes at heap offset `off` holding `hello` at byte 19.
    #[rustfmt::skip]
    fn direct(off: u16, size: usize) -> Vec<u8> {
        let mut v = vec![b'F', b'H', b'D', b'B', 0];     // signature, version
        v.extend_from_slice(&0u64.to_le_bytes());        // heap header address
        v.extend_from_slice(&off.to_le_bytes());         // block offset (2 bytes)
        v.extend_from_slice(&[0, 0, 0, 0]);              // checksum (filled below)
        v.extend_from_slice(b"hello");                   // object at block byte 19
        v.resize(size, 0);
        let s = checksum::lookup3(&v);
        v[15..19].copy_from_slice(&s.to_le_bytes());
        v
    }

    /// Root indirect block (2 rows = 4 direct entries) at 256; block 3 (heap offset 192)
    /// at 704, the others unallocated.
    #[rustfmt::skip]
    fn indirect_file() -> Vec<u8> {
        let mut f = header(4, 256, 2);
        f.resize(256, 0);
        let mut b = vec![b'F', b'H', b'I', b'B', 0];     // signature, version
        b.extend_from_slice(&0u64.to_le_bytes());        // heap header address
        b.extend_from_slice(&0u16.to_le_bytes());        // block offset
        for a in [u64::MAX, u64::MAX, u64::MAX, 704] {
            b.extend_from_slice(&a.to_le_bytes());       // direct block addresses
        }
        let s = checksum::lookup3(&b);
        b.extend_from_slice(&s.to_le_bytes());           // checksum
        f.extend(b);
        f.resize(704, 0);
        f.extend(direct(192, 64));
        f
    }

    #[test]
    fn header_params() {
        let io = io_over(indirect_file());
        let h = open(&io, 0).unwrap();
        assert_eq!(
            (h.offset_size, h.length_size, h.max_direct_rows()),
            (2, 1, 3)
        );
        assert_eq!(h.row_block_size(2), Some(128));
    }

    #[test]
    fn managed_through_indirect_block() {
        let io = io_over(indirect_file());
        let h = open(&io, 0).unwrap();
        let mut b = Budget::new(&io.limits);
        // ID: type 0, offset 192 + 19 = 211, length 5
        assert_eq!(h.get(&io, &[0x00, 211, 0, 5], &mut b).unwrap(), b"hello");
        // twice with one budget: no false cycle
        assert_eq!(h.get(&io, &[0x00, 211, 0, 5], &mut b).unwrap(), b"hello");
        // offset in an unallocated block
        assert!(h.get(&io, &[0x00, 20, 0, 5], &mut b).is_err());
        // offset inside the block header
        assert!(h.get(&io, &[0x00, 195, 0, 5], &mut b).is_err());
        // beyond the root's rows
        assert!(h.get(&io, &[0x00, 0, 1, 5], &mut b).is_err());
        // bad ID version / reserved type
        assert!(h.get(&io, &[0x40, 211, 0, 5], &mut b).is_err());
        assert!(h.get(&io, &[0x30, 211, 0, 5], &mut b).is_err());
        // tiny object
        assert_eq!(
            h.get(&io, &[0x22, b'a', b'b', b'c'], &mut b).unwrap(),
            b"abc"
        );
        assert!(h.get(&io, &[0x25, b'a'], &mut b).is_err());
        // huge object without a B-tree
        assert!(h.get(&io, &[0x10, 1, 0, 0], &mut b).is_err());
    }

    #[test]
    fn root_direct_block_and_checksums() {
        let mut f = header(4, 256, 0);
        f.resize(256, 0);
        f.extend(direct(0, 64));
        let io = io_over(f.clone());
        let h = open(&io, 0).unwrap();
        let mut b = Budget::new(&io.limits);
        assert_eq!(h.get(&io, &[0x00, 19, 0, 5], &mut b).unwrap(), b"hello");
        assert!(h.get(&io, &[0x00, 60, 0, 5], &mut b).is_err()); // runs past the block
        f[256 + 30] ^= 1;
        let io = io_over(f);
        let e = h.get(&io, &[0x00, 19, 0, 5], &mut b).unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
        // header checksum
        let mut f = indirect_file();
        f[20] ^= 1;
        assert!(open(&io_over(f), 0)
            .unwrap_err()
            .to_string()
            .contains("checksum"));
    }

    #[test]
    fn huge_direct_and_filters() {
        let mut f = header(17, 256, 0);
        f.resize(300, 7);
        let io = io_over(f);
        let h = open(&io, 0).unwrap();
        let mut id = vec![0x10];
        id.extend_from_slice(&290u64.to_le_bytes()); // address
        id.extend_from_slice(&4u64.to_le_bytes()); // length
        assert_eq!(
            h.get(&io, &id, &mut Budget::new(&io.limits)).unwrap(),
            vec![7; 4]
        );
        // filtered heaps are refused
        let mut f = header(4, 256, 0);
        f[7] = 1;
        assert!(matches!(
            open(&io_over(f), 0),
            Err(Error::Unsupported { .. })
        ));
    }
}
