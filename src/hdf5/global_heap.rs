//! Global heap collections `GCOL` (spec III.E, "Level 1E - Global Heap"), version 1, and
//! the heap IDs / variable-length descriptors that point into them.
//!
//! A collection is: signature, version (1), 3 reserved bytes, collection size (length,
//! including this header), then objects: heap object index (u16), reference count (u16),
//! 4 reserved bytes, object size (length), data padded to 8 bytes. Index 0 is the free
//! space object and ends the list. Collections are normally >= 4096 bytes; smaller sizes
//! are accepted when at least the header fits. The size is bounded by the file end and
//! `Limits::max_heap_object`. Refused: other versions, objects overrunning the collection,
//! duplicate indices.
//!
//! A vlen element (descriptor) is a 4-byte count, the collection address and a 4-byte
//! object index; a count of 0 is never dereferenced (null IDs, quirk 15).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
use crate::hdf5::encoder::{pad8, Encoder, Sizes};
use crate::hdf5::io::FileIo;

const STRUCTURE: &str = "global heap collection";

/// Number of collections kept by a [`GlobalHeapCache`].
pub const CACHE_CAPACITY: usize = 16;

/// One decoded global heap collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalHeapCollection {
    /// Address of the collection.
    pub address: u64,
    objects: BTreeMap<u16, Vec<u8>>,
}

impl GlobalHeapCollection {
    /// The data of object `index` (without padding); `None` if absent or index 0.
    pub fn object(&self, index: u16) -> Option<&[u8]> {
        self.objects.get(&index).map(Vec::as_slice)
    }

    /// Number of (non-free-space) objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the collection holds no objects.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

/// Decode a collection from `c`, which covers exactly the collection's bytes. Pure.
pub fn parse_collection(c: &mut Cursor) -> Result<GlobalHeapCollection> {
    let address = c.addr();
    c.signature(b"GCOL")?;
    c.version(1)?;
    c.skip(3)?; // reserved
    let sat = c.addr();
    let size = c.length()?;
    if size != c.all().len() as u64 {
        return Err(c
            .err_at(
                sat,
                format!("collection size {size}, {} bytes available", c.all().len()),
            )
            .into());
    }
    let hdr = 8 + usize::from(c.sizes().lengths);
    // The collection header is padded to 8 bytes (HDF5's H5HG_SIZEOF_HDR): with 4-byte
    // lengths, 4 padding bytes follow the size.
    c.skip(hdr.next_multiple_of(8) - hdr)?;
    let mut objects = BTreeMap::new();
    while c.remaining() >= hdr {
        let oat = c.addr();
        let index = c.u16()?;
        if index == 0 {
            break; // free space: the rest of the collection
        }
        let _refcount = c.u16()?;
        c.skip(4)?; // reserved
        let size = c.length()?;
        // Object headers are padded to 8 bytes too (4-byte lengths).
        c.skip((hdr.next_multiple_of(8) - hdr).min(c.remaining()))?;
        let n = usize::try_from(size)
            .ok()
            .filter(|&n| n <= c.remaining())
            .ok_or_else(|| {
                c.err_at(
                    oat,
                    format!("object {index} of {size} bytes overruns the collection"),
                )
            })?;
        let data = c.bytes(n)?;
        // Data is padded to 8; the last object may end flush with the collection.
        let pad = (8 - n % 8) % 8;
        c.skip(pad.min(c.remaining()))?;
        if objects.insert(index, data.to_vec()).is_some() {
            return Err(c
                .err_at(oat, format!("object index {index} appears twice"))
                .into());
        }
    }
    Ok(GlobalHeapCollection { address, objects })
}

/// Read the collection at `addr`.
pub fn read_collection(io: &FileIo, addr: u64) -> Result<GlobalHeapCollection> {
    let hdr = 8 + u64::from(io.sizes.lengths);
    let head = io.read(addr, hdr, STRUCTURE)?;
    let mut c = io.cursor(&head, addr, STRUCTURE);
    c.skip(8)?;
    let sat = c.addr();
    let size = c.length()?;
    if size < hdr {
        return Err(Error::format(
            STRUCTURE,
            sat,
            format!("collection size {size} smaller than its header"),
        ));
    }
    let cap = io.limits.max_heap_object;
    if size > cap {
        return Err(Error::limit("max_heap_object", cap, size, Some(sat)));
    }
    let buf = io.read(addr, size, STRUCTURE)?;
    parse_collection(&mut io.cursor(&buf, addr, STRUCTURE))
}

/// Decode a global heap ID: collection address (offset) and 4-byte object index. Pure.
pub fn parse_heap_id(c: &mut Cursor) -> Result<(u64, u32)> {
    let addr = c.offset()?;
    let index = c.u32()?;
    Ok((addr, index))
}

/// A variable-length element as stored in a dataset or attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VlenDescriptor {
    /// Number of base elements (bytes for strings). 0 = empty; the ID is then not used.
    pub count: u32,
    /// Address of the global heap collection.
    pub collection: u64,
    /// Object index in the collection.
    pub index: u32,
}

/// Decode a vlen descriptor: 4-byte count, collection address, 4-byte index. Pure.
pub fn parse_vlen_descriptor(c: &mut Cursor) -> Result<VlenDescriptor> {
    let count = c.u32()?;
    let (collection, index) = parse_heap_id(c)?;
    Ok(VlenDescriptor {
        count,
        collection,
        index,
    })
}

/// A small cache of decoded collections (at most [`CACHE_CAPACITY`], oldest evicted).
#[derive(Debug, Default)]
pub struct GlobalHeapCache {
    map: BTreeMap<u64, Arc<GlobalHeapCollection>>,
    order: VecDeque<u64>,
}

impl GlobalHeapCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The collection at `addr`, read on first use.
    pub fn collection(&mut self, io: &FileIo, addr: u64) -> Result<Arc<GlobalHeapCollection>> {
        if let Some(c) = self.map.get(&addr) {
            return Ok(Arc::clone(c));
        }
        let col = Arc::new(read_collection(io, addr)?);
        if self.order.len() >= CACHE_CAPACITY {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
        self.order.push_back(addr);
        self.map.insert(addr, Arc::clone(&col));
        Ok(col)
    }

    /// The bytes of object `index` of the collection at `addr`.
    pub fn get(&mut self, io: &FileIo, addr: u64, index: u32) -> Result<Vec<u8>> {
        let col = self.collection(io, addr)?;
        u16::try_from(index)
            .ok()
            .and_then(|i| col.object(i))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| Error::format(STRUCTURE, addr, format!("no object with index {index}")))
    }
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// Encode a global heap collection holding `objects` (indices 1..), at least 4096 bytes,
/// the rest described by free-space object 0. Sizes are `s.lengths` wide; the collection
/// and object headers are padded to 16 bytes at any width (HDF5's `H5HG_ALIGN`), so the
/// layout is the same in every file. The writer keeps collections and their objects
/// below 2^16 bytes where lengths are 2 bytes wide (`Writer::write_collection`).
pub fn encode_global_heap(s: Sizes, objects: &[&[u8]]) -> Vec<u8> {
    let mut body = Encoder::sized(s);
    for (i, o) in objects.iter().enumerate() {
        // Index, refcount 0 (as HDF5), reserved, size.
        body.u16((i + 1) as u16)
            .zeros(6)
            .length(o.len() as u64)
            .pad8();
        body.bytes(o).pad8();
    }
    let used = 16 + body.pos();
    // Room for the free-space object header; collections are at least 4096 bytes.
    let total = pad8((used + 16).max(4096));
    let mut out = Encoder::sized(s);
    out.signature(b"GCOL")
        .u8(1)
        .zeros(3)
        .length(total as u64)
        .pad8();
    out.bytes(body.as_bytes());
    out.zeros(8).length((total - used) as u64).pad8();
    let mut out = out.finish();
    out.resize(total, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::cursor::Sizes;
    use crate::hdf5::superblock::test_util::io_over;

    #[rustfmt::skip]
    fn gcol(size: u64) -> Vec<u8> {
        let mut v = b"GCOL".to_vec();                    // signature
        v.extend_from_slice(&[1, 0, 0, 0]);              // version 1, reserved
        v.extend_from_slice(&size.to_le_bytes());        // collection size
        v.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);  // object 1: index, refcount, reserved
        v.extend_from_slice(&5u64.to_le_bytes());        // object 1: size
        v.extend_from_slice(b"hello\0\0\0");              // object 1: data + pad
        v.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 0]);  // object 2: index, refcount, reserved
        v.extend_from_slice(&0u64.to_le_bytes());        // object 2: size 0
        v.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);  // object 0: free space
        v.extend_from_slice(&16u64.to_le_bytes());       // free space size
        v.resize(size as usize, 0);
        v
    }

    #[test]
    fn accepted_and_cached() {
        let io = io_over(gcol(80));
        let c = read_collection(&io, 0).unwrap();
        assert_eq!(c.object(1), Some(&b"hello"[..]));
        assert_eq!(c.object(2), Some(&b""[..]));
        assert_eq!(c.object(0), None);
        let mut cache = GlobalHeapCache::new();
        assert_eq!(cache.get(&io, 0, 1).unwrap(), b"hello");
        assert_eq!(cache.get(&io, 0, 3).unwrap_err().offset(), Some(0));
        assert!(cache.get(&io, 0, 70000).is_err());
    }

    #[test]
    fn rejects() {
        // collection size beyond the file
        assert!(read_collection(&io_over(gcol(80)[..64].to_vec()), 0).is_err());
        // collection size smaller than the header
        let mut b = gcol(80);
        b[8] = 4;
        assert_eq!(
            read_collection(&io_over(b), 0).unwrap_err().offset(),
            Some(8)
        );
        // object larger than the collection
        let mut b = gcol(80);
        b[24] = 200;
        assert_eq!(
            read_collection(&io_over(b), 0).unwrap_err().offset(),
            Some(16)
        );
        // duplicate index
        let mut b = gcol(80);
        b[40] = 1;
        assert!(read_collection(&io_over(b), 0)
            .unwrap_err()
            .to_string()
            .contains("twice"));
        let mut b = gcol(80);
        b[4] = 2;
        assert!(read_collection(&io_over(b), 0).is_err());
    }

    #[rustfmt::skip]
    #[test]
    fn vlen_descriptor() {
        let b = [
            3, 0, 0, 0,                     // count
            0x10, 0, 0, 0, 0, 0, 0, 0,      // collection address
            2, 0, 0, 0,                     // object index
        ];
        let d = parse_vlen_descriptor(&mut Cursor::new(&b, 0, "vlen", Sizes::default())).unwrap();
        assert_eq!(d, VlenDescriptor { count: 3, collection: 0x10, index: 2 });
        assert!(parse_vlen_descriptor(&mut Cursor::new(&b[..10], 0, "vlen", Sizes::default())).is_err());
    }
}

#[cfg(test)]
mod encode_tests {
    use super::*;

    #[test]
    fn global_heap_min_size() {
        let g = encode_global_heap(Sizes::default(), &[b"abc", b""]);
        assert_eq!(g.len(), 4096);
        assert_eq!(&g[0..4], b"GCOL");
    }
}
