//! Local heaps `HEAP` (spec III.D, "Level 1D - Local Heaps"), version 0.
//!
//! Header: signature, version (0), 3 reserved bytes, data segment size (length), offset to
//! the head of the free list (length), data segment address (offset). The data segment may
//! live away from the header. Only version 0 exists; others are refused. The data segment
//! is bounded by the file end and `Limits::max_heap_object`. The free list is not walked:
//! readers only need names and soft-link values.

use crate::error::{Error, Result};
use crate::hdf5::cursor::{Cursor, Sizes};
use crate::hdf5::encoder::{pad8, Encoder};
use crate::hdf5::io::FileIo;

const STRUCTURE: &str = "local heap";

/// A local heap's data segment (link names and soft link values of an old-style group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalHeap {
    /// Address of the data segment.
    pub data_address: u64,
    /// The data segment.
    pub data: Vec<u8>,
    /// Offset of the first free block (`u64::MAX` when none).
    pub free_list_head: u64,
}

/// Read the local heap whose header is at `addr`.
pub fn read(io: &FileIo, addr: u64) -> Result<LocalHeap> {
    let head = io.read(addr, header_size(io.sizes), STRUCTURE)?;
    let mut c = io.cursor(&head, addr, STRUCTURE);
    c.signature(b"HEAP")?;
    c.version(0)?;
    c.skip(3)?; // reserved
    let size_at = c.addr();
    let size = c.length()?;
    let free_list_head = c.length()?;
    let data_address = c.offset()?;
    let cap = io.limits.max_heap_object;
    if size > cap {
        return Err(Error::limit("max_heap_object", cap, size, Some(size_at)));
    }
    let data = io.read(data_address, size, "local heap data segment")?;
    Ok(LocalHeap {
        data_address,
        data,
        free_list_head,
    })
}

impl LocalHeap {
    /// The NUL-terminated string at `offset` in the data segment, without its NUL.
    pub fn string_at(&self, offset: u64) -> Result<&[u8]> {
        let at = self.data_address.saturating_add(offset);
        let tail = usize::try_from(offset)
            .ok()
            .and_then(|o| self.data.get(o..))
            .ok_or_else(|| {
                Error::format(
                    STRUCTURE,
                    at,
                    format!(
                        "offset {offset} beyond the {}-byte data segment",
                        self.data.len()
                    ),
                )
            })?;
        let nul = tail.iter().position(|&b| b == 0).ok_or_else(|| {
            Error::format(STRUCTURE, at, "string has no NUL before the segment end")
        })?;
        Ok(tail.get(..nul).unwrap_or(&[]))
    }
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// "No free block": HDF5's `H5HL_FREE_NULL` (it rejects the undefined address, "bad heap
/// free list").
pub const FREE_NULL: u64 = 1;

/// Size of a free block's header (next free block offset, block size, each a length),
/// padded to 8: HDF5's smallest free block (`H5HL_SIZEOF_FREE`).
pub fn free_block(s: Sizes) -> u64 {
    pad8(2 * s.l()) as u64
}

/// Size of a local heap header: signature, version, reserved, data segment size, free
/// list head, data segment address.
pub fn header_size(s: Sizes) -> u64 {
    (8 + 2 * s.l() + s.o()) as u64
}

/// Encode a local heap header with no free list.
pub fn encode_local_heap(s: Sizes, seg_size: u64, seg_addr: u64) -> Vec<u8> {
    encode_local_heap_free(s, seg_size, FREE_NULL, seg_addr)
}

/// Encode a local heap header whose free list starts at `free_head`.
pub fn encode_local_heap_free(s: Sizes, seg_size: u64, free_head: u64, seg_addr: u64) -> Vec<u8> {
    Encoder::sized(s)
        .signature(b"HEAP")
        .u8(0)
        .zeros(3)
        .length(seg_size)
        .length(free_head)
        .offset(seg_addr)
        .take()
}

/// Encode the header of the last free block (`size` bytes, no next block), padded to
/// [`free_block`] bytes.
pub fn encode_free_block(s: Sizes, size: u64) -> Vec<u8> {
    Encoder::sized(s)
        .length(FREE_NULL)
        .length(size)
        .pad8()
        .take()
}

impl LocalHeap {
    /// Offset of the free block that ends the data segment, if the free list has one
    /// (where HDF5 and our writer put new names). The list is followed at most once per
    /// 16 bytes of segment (a cycle ends the walk); a block that does not fit in the
    /// segment ends it too.
    pub fn tail_free(&self, s: Sizes) -> Option<u64> {
        let len = self.data.len() as u64;
        let fb = free_block(s);
        let mut at = self.free_list_head;
        for _ in 0..=len / fb {
            if at == FREE_NULL || at.checked_add(fb)? > len {
                return None;
            }
            let block = self.data.get(usize::try_from(at).ok()?..)?;
            let mut c = Cursor::new(block, at, STRUCTURE, s);
            let next = c.length().ok()?;
            let size = c.length().ok()?;
            if at.checked_add(size)? == len && size >= fb {
                return Some(at);
            }
            at = next;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::superblock::test_util::io_over;

    /// A heap header and its free block in a file of 4-byte offsets and lengths, as
    /// libhdf5 writes them there, read back by `read` and `tail_free`.
    #[test]
    #[rustfmt::skip]
    fn narrow_sizes_encode_and_read_back() {
        let s = Sizes { offsets: 4, lengths: 4 };
        assert_eq!((header_size(s), free_block(s)), (20, 8));
        let head = encode_local_heap_free(s, 32, 8, 20);
        assert_eq!(head, [
            b'H', b'E', b'A', b'P', 0, 0, 0, 0, // signature, version 0, reserved
            32, 0, 0, 0,                        // data segment size
            8, 0, 0, 0,                         // free list head
            20, 0, 0, 0,                        // data segment address
        ]);
        let free = encode_free_block(s, 24);
        assert_eq!(free, [
            1, 0, 0, 0,  // next free block: none (H5HL_FREE_NULL)
            24, 0, 0, 0, // this block's size
        ]);
        let mut file = head;
        file.extend_from_slice(b"\0\0\0\0\0\0\0\0"); // offset 0: the empty name
        file.extend_from_slice(&free);
        file.resize(20 + 32, 0);
        let mut io = io_over(file);
        io.sizes = s;
        let h = read(&io, 0).unwrap();
        assert_eq!((h.data.len(), h.free_list_head), (32, 8));
        assert_eq!(h.tail_free(s), Some(8));
        // Read at 8-byte lengths, the same block is no free block ending the segment.
        assert_eq!(h.tail_free(Sizes::default()), None);
    }

    #[rustfmt::skip]
    fn heap(size: u64, data_addr: u64) -> Vec<u8> {
        let mut v = vec![
            b'H', b'E', b'A', b'P', // signature
            0,                      // version
            0, 0, 0,                // reserved
        ];
        v.extend_from_slice(&size.to_le_bytes());        // data segment size
        v.extend_from_slice(&8u64.to_le_bytes());        // free list head offset
        v.extend_from_slice(&data_addr.to_le_bytes());   // data segment address
        // data segment at 32
        v.extend_from_slice(b"\0\0\0\0\0\0\0\0");         // offset 0: empty string + pad
        v.extend_from_slice(b"abc\0\0\0\0\0");            // offset 8: "abc"
        v.extend_from_slice(b"xyz");                      // offset 16: unterminated
        v
    }

    #[test]
    fn accepted() {
        let h = read(&io_over(heap(19, 32)), 0).unwrap();
        assert_eq!(h.string_at(0).unwrap(), b"");
        assert_eq!(h.string_at(8).unwrap(), b"abc");
        assert_eq!(h.free_list_head, 8);
    }

    #[test]
    fn rejects() {
        let h = read(&io_over(heap(19, 32)), 0).unwrap();
        assert_eq!(h.string_at(16).unwrap_err().offset(), Some(48)); // no NUL
        assert!(h.string_at(100).is_err());
        assert!(h.string_at(u64::MAX).is_err());
        // data segment past the end of the file
        assert!(read(&io_over(heap(1000, 32)), 0).is_err());
        assert!(matches!(
            read(&io_over(heap(u64::MAX - 1, 32)), 0),
            Err(Error::Limit { .. })
        ));
        let mut b = heap(19, 32);
        b[4] = 1;
        assert_eq!(read(&io_over(b), 0).unwrap_err().offset(), Some(4));
        let mut b = heap(19, 32);
        b[1] = b'X';
        assert!(read(&io_over(b), 0).is_err());
    }

    /// The free block ending the segment is found through the list (HDF5 may chain one in
    /// the middle first); a list with no such block, a cycle or a block past the end gives
    /// none.
    #[rustfmt::skip]
    #[test]
    fn tail_free_block() {
        let seg = |head: u64, blocks: &[(u64, u64, u64)]| {
            let mut data = vec![0u8; 64];
            for &(at, next, size) in blocks {
                let a = at as usize;
                data[a..a + 8].copy_from_slice(&next.to_le_bytes());      // next free block
                data[a + 8..a + 16].copy_from_slice(&size.to_le_bytes()); // this block's size
            }
            LocalHeap { data_address: 0, data, free_list_head: head }
        };
        assert_eq!(seg(40, &[(40, FREE_NULL, 24)]).tail_free(Sizes::default()), Some(40));
        assert_eq!(seg(8, &[(8, 40, 16), (40, FREE_NULL, 24)]).tail_free(Sizes::default()), Some(40));
        assert_eq!(seg(8, &[(8, FREE_NULL, 16)]).tail_free(Sizes::default()), None); // not at the end
        assert_eq!(seg(8, &[(8, 24, 16), (24, 8, 16)]).tail_free(Sizes::default()), None); // cycle
        assert_eq!(seg(56, &[]).tail_free(Sizes::default()), None); // header past the end
        assert_eq!(seg(FREE_NULL, &[]).tail_free(Sizes::default()), None);
        assert_eq!(seg(48, &[(48, FREE_NULL, 8)]).tail_free(Sizes::default()), None); // under 16 bytes
    }
}
