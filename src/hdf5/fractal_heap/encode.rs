//! Fractal heap encoder: a whole heap written at new space (dense attributes and links).
//!
//! Creation parameters are libhdf5's (`H5Adense.c`, `H5Gpkg.h`): table width 4, max direct
//! block 64 KiB, max managed object 4 KiB, direct blocks checksummed; attributes: start
//! block 1 KiB, 40-bit heap, 8-byte IDs; links: start block 512, 32-bit heap, 7-byte IDs.
//! Objects up to the max managed size are packed in order into the doubling table's direct
//! blocks (a root direct block while they fit in one start block, else a root indirect
//! block with as many rows as needed, child indirect blocks beyond the direct rows); a
//! block too small for the next object is left unallocated (undefined address), as
//! libhdf5 does when it skips to a larger row. Larger objects are "huge": stored on their
//! own and indexed by a v2 B-tree of type 1 records (address, length, ID), the 8-byte ID
//! being too short to hold address and length.

use super::header_len;
use crate::error::{Error, Result};
use crate::hdf5::btree_v2::encode::{self as btree_v2, Sink};
use crate::hdf5::checksum::lookup3;
use crate::hdf5::encoder::{Encoder, Sizes};

const UNDEF: u64 = u64::MAX;

fn usage(m: impl Into<String>) -> Error {
    Error::Usage(m.into())
}

/// Creation parameters of a heap.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Heap ID length.
    pub id_len: u16,
    /// Largest managed object; larger ones are huge.
    pub max_man: u32,
    /// Starting (row 0) block size.
    pub start: u64,
    /// Largest direct block.
    pub max_dir: u64,
    /// log2 of the heap's address space.
    pub max_heap_bits: u16,
    /// Doubling-table width.
    pub width: u16,
}

/// Dense attribute storage (`H5O_FHEAP_*`).
pub const ATTRS: Params = Params {
    id_len: 8,
    max_man: 4096,
    start: 1024,
    max_dir: 65536,
    max_heap_bits: 40,
    width: 4,
};

/// Dense link storage (`H5G_FHEAP_*`).
pub const LINKS: Params = Params {
    id_len: 7,
    max_man: 4096,
    start: 512,
    max_dir: 65536,
    max_heap_bits: 32,
    width: 4,
};

impl Params {
    fn offset_size(&self) -> usize {
        usize::from(self.max_heap_bits).div_ceil(8)
    }
    fn length_size(&self) -> usize {
        let dir = (self.max_dir.trailing_zeros() as usize).div_ceil(8);
        dir.min(btree_v2::limit_enc_size(u64::from(self.max_man)))
    }
    /// Direct block prefix: signature, version, heap address, block offset, checksum.
    fn dblock_prefix(&self, s: Sizes) -> u64 {
        (4 + 1 + s.o() + self.offset_size() + 4) as u64
    }
    fn max_direct_rows(&self) -> u32 {
        self.max_dir.trailing_zeros() - self.start.trailing_zeros() + 2
    }
    fn row_size(&self, row: u32) -> u64 {
        if row == 0 {
            self.start
        } else {
            self.start << (row - 1)
        }
    }
    fn row_offset(&self, row: u32) -> u64 {
        if row == 0 {
            0
        } else {
            (self.start * u64::from(self.width)) << (row - 1)
        }
    }
    /// Rows of an indirect block spanning `size` bytes.
    fn child_rows(&self, size: u64) -> u32 {
        size.trailing_zeros()
            - (self.start.trailing_zeros() + u32::from(self.width).trailing_zeros())
            + 1
    }
}

/// What was written: the header address and one heap ID per object, in input order.
#[derive(Debug)]
pub struct Written {
    /// Heap header address.
    pub header: u64,
    /// Heap IDs (`id_len` bytes each).
    pub ids: Vec<Vec<u8>>,
    /// Where each huge object's bytes are (reusable by the next rewrite of the heap).
    pub huge_at: Vec<Option<u64>>,
    /// `(address, length)` of everything written but the huge objects: header, blocks,
    /// the huge objects' B-tree (freed when the heap is superseded).
    pub blocks: Vec<(u64, u64)>,
}

/// A [`Space`] noting every allocation.
struct Noted<'a> {
    sp: &'a mut dyn Space,
    allocs: Vec<(u64, u64)>,
}

impl Space for Noted<'_> {
    fn alloc(&mut self, n: usize) -> u64 {
        let a = self.sp.alloc(n);
        self.allocs.push((a, n as u64));
        a
    }
    fn put(&mut self, at: u64, b: &[u8]) -> Result<()> {
        self.sp.put(at, b)
    }
    fn sizes(&self) -> Sizes {
        self.sp.sizes()
    }
}

enum Blk {
    Direct {
        off: u64,
        size: u64,
        objs: Vec<(usize, u64)>,
    },
    Indirect {
        off: u64,
        kids: Vec<Blk>,
    },
}

fn shape(p: &Params, off: u64, nrows: u32) -> Blk {
    let mut kids = Vec::new();
    for row in 0..nrows {
        let size = p.row_size(row);
        for col in 0..u64::from(p.width) {
            let o = off + p.row_offset(row) + col * size;
            if row < p.max_direct_rows() {
                kids.push(Blk::Direct {
                    off: o,
                    size,
                    objs: Vec::new(),
                });
            } else {
                kids.push(shape(p, o, p.child_rows(size)));
            }
        }
    }
    Blk::Indirect { off, kids }
}

/// Pack `lens` (object index, length) in order into the direct blocks under `b`; returns
/// how many were placed.
fn pack(s: Sizes, p: &Params, b: &mut Blk, lens: &[(usize, u64)], mut next: usize) -> usize {
    match b {
        Blk::Direct { off, size, objs } => {
            let mut used = p.dblock_prefix(s);
            while let Some(&(i, len)) = lens.get(next) {
                if used + len > *size {
                    break;
                }
                objs.push((i, *off + used));
                used += len;
                next += 1;
            }
            next
        }
        Blk::Indirect { kids, .. } => {
            for k in kids {
                if next >= lens.len() {
                    break;
                }
                next = pack(s, p, k, lens, next);
            }
            next
        }
    }
}

struct Stats {
    alloc: u64,
    free: u64,
    end: u64,
}

fn put_uint(out: &mut Vec<u8>, v: u64, width: usize) {
    out.extend_from_slice(&v.to_le_bytes()[..width.min(8)]);
}

fn write_blk(
    s: Sizes,
    p: &Params,
    b: &Blk,
    header: u64,
    objs: &[&[u8]],
    st: &mut Stats,
    sink: &mut Sink,
) -> Result<u64> {
    match b {
        Blk::Direct {
            off,
            size,
            objs: placed,
        } => {
            if placed.is_empty() {
                return Ok(UNDEF);
            }
            let mut v = b"FHDB".to_vec();
            v.push(0);
            v.extend_from_slice(&Encoder::sized(s).offset(header).take());
            put_uint(&mut v, *off, p.offset_size());
            let sum_at = v.len();
            v.extend_from_slice(&[0; 4]);
            let mut used = p.dblock_prefix(s);
            for (i, at) in placed {
                let data = objs.get(*i).ok_or_else(|| usage("heap object index"))?;
                let rel = (at - off) as usize;
                v.resize(rel, 0);
                v.extend_from_slice(data);
                used = (at - off) + data.len() as u64;
            }
            v.resize(*size as usize, 0);
            let c = lookup3(&v);
            v[sum_at..sum_at + 4].copy_from_slice(&c.to_le_bytes());
            st.alloc += size;
            st.free += size - used;
            st.end = st.end.max(off + size);
            sink(&v)
        }
        Blk::Indirect { off, kids, .. } => {
            let mut addrs = Vec::with_capacity(kids.len());
            for k in kids {
                addrs.push(write_blk(s, p, k, header, objs, st, sink)?);
            }
            let mut v = b"FHIB".to_vec();
            v.push(0);
            v.extend_from_slice(&Encoder::sized(s).offset(header).take());
            put_uint(&mut v, *off, p.offset_size());
            for a in addrs {
                v.extend_from_slice(&Encoder::sized(s).offset(a).take());
            }
            let c = lookup3(&v);
            v.extend_from_slice(&c.to_le_bytes());
            sink(&v)
        }
    }
}

/// Space of the file being written.
pub trait Space {
    /// Reserve `n` bytes past the end of file.
    fn alloc(&mut self, n: usize) -> u64;
    /// Write `b` at `at` (reserved space).
    fn put(&mut self, at: u64, b: &[u8]) -> Result<()>;
    /// Reserve and write.
    fn alloc_put(&mut self, b: &[u8]) -> Result<u64> {
        let a = self.alloc(b.len());
        self.put(a, b)?;
        Ok(a)
    }
    /// The file's sizes of offsets and lengths.
    fn sizes(&self) -> Sizes {
        Sizes::default()
    }
}

fn offsets(b: &Blk, out: &mut [Option<u64>]) {
    match b {
        Blk::Direct { objs, .. } => {
            for (i, at) in objs {
                if let Some(s) = out.get_mut(*i) {
                    *s = Some(*at);
                }
            }
        }
        Blk::Indirect { kids, .. } => kids.iter().for_each(|k| offsets(k, out)),
    }
}

/// Write a heap holding `objs`. `reuse[i]`, when set, is where an identical huge object
/// already lies (its bytes are not written again).
pub fn write(
    p: &Params,
    objs: &[&[u8]],
    reuse: &[Option<u64>],
    sp: &mut dyn Space,
) -> Result<Written> {
    let mut noted = Noted {
        sp,
        allocs: Vec::new(),
    };
    let mut w = write_noted(p, objs, reuse, &mut noted)?;
    let fresh_huge: std::collections::HashSet<u64> = w
        .huge_at
        .iter()
        .zip(reuse.iter().map(Some).chain(std::iter::repeat(None)))
        .filter_map(|(a, r)| match (a, r.copied().flatten()) {
            (Some(a), None) => Some(*a),
            _ => None,
        })
        .collect();
    w.blocks = noted
        .allocs
        .into_iter()
        .filter(|(a, _)| !fresh_huge.contains(a))
        .collect();
    Ok(w)
}

fn write_noted(
    p: &Params,
    objs: &[&[u8]],
    reuse: &[Option<u64>],
    sp: &mut dyn Space,
) -> Result<Written> {
    // Every block names the header: reserve its place first.
    let s = sp.sizes();
    if !s.length_fits(p.max_dir) {
        return Err(usage(format!(
            "a fractal heap (dense attributes or links) in a file with {}-byte lengths",
            s.lengths
        )));
    }
    let header = sp.alloc(header_len(s) as usize);
    // Huge objects whose address and length fit in the ID are reached directly (libhdf5's
    // `huge_ids_direct`: files with narrow offsets and lengths), the others through a
    // B-tree of type 1 records (address, length, ID).
    let direct = s.o() + s.l() < usize::from(p.id_len);
    let mut ids = vec![Vec::new(); objs.len()];
    let mut huge_at = vec![None; objs.len()];
    // Huge objects: own space, IDs 1.. in input order, a type 1 B-tree sorted by ID.
    let mut huge_recs = Vec::new();
    let (mut huge_size, mut next_huge) = (0u64, 0u64);
    let mut managed = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        let len = o.len() as u64;
        if len > u64::from(p.max_man) {
            let a = match reuse.get(i).copied().flatten() {
                Some(a) => a,
                None => sp.alloc_put(o)?,
            };
            next_huge += 1;
            huge_size += len;
            huge_at[i] = Some(a);
            let mut id = vec![0x10];
            let mut r = Encoder::sized(s);
            r.offset(a).length(len);
            if direct {
                id.extend_from_slice(r.as_bytes());
            } else {
                put_uint(&mut id, next_huge, usize::from(p.id_len) - 1);
                r.length(next_huge);
            }
            id.resize(usize::from(p.id_len), 0);
            ids[i] = id;
            huge_recs.push((a, r.finish()));
        } else {
            managed.push((i, len));
        }
    }
    let huge_bt = if huge_recs.is_empty() {
        UNDEF
    } else {
        // Type 3 records (directly accessed) are sorted by address, type 1 by ID.
        let (rtype, rsize) = if direct {
            huge_recs.sort_by_key(|(a, _)| *a);
            (3, s.o() + s.l())
        } else {
            (1, s.o() + 2 * s.l())
        };
        let rsize = u16::try_from(rsize).map_err(|_| usage("huge object record"))?;
        let recs: Vec<Vec<u8>> = huge_recs.iter().map(|(_, r)| r.clone()).collect();
        btree_v2::write(s, rtype, rsize, &recs, &mut |b: &[u8]| sp.alloc_put(b))?
    };
    // Managed objects: one start-size direct block while they fit, else the fewest rows.
    let mut st = Stats {
        alloc: 0,
        free: 0,
        end: 0,
    };
    let mut sink = |b: &[u8]| sp.alloc_put(b);
    let mut at = vec![None; objs.len()];
    let (root, rows, man_size, iter) = if managed.is_empty() {
        (UNDEF, 0u16, 0u64, 0u64)
    } else {
        let mut direct = Blk::Direct {
            off: 0,
            size: p.start,
            objs: Vec::new(),
        };
        if pack(s, p, &mut direct, &managed, 0) == managed.len() {
            offsets(&direct, &mut at);
            let a = write_blk(s, p, &direct, header, objs, &mut st, &mut sink)?;
            (a, 0, p.start, 0)
        } else {
            let mut nrows = 1u32;
            let blk = loop {
                if p.row_offset(nrows).trailing_zeros() >= u32::from(p.max_heap_bits) {
                    return Err(usage("fractal heap full"));
                }
                let mut b = shape(p, 0, nrows);
                if pack(s, p, &mut b, &managed, 0) == managed.len() {
                    break b;
                }
                nrows += 1;
            };
            offsets(&blk, &mut at);
            let a = write_blk(s, p, &blk, header, objs, &mut st, &mut sink)?;
            let rows = u16::try_from(nrows).map_err(|_| usage("fractal heap rows"))?;
            (a, rows, st.end, st.end)
        }
    };
    for &(i, len) in &managed {
        let off = at
            .get(i)
            .copied()
            .flatten()
            .ok_or_else(|| usage("heap object not placed"))?;
        let mut id = vec![0x00];
        put_uint(&mut id, off, p.offset_size());
        put_uint(&mut id, len, p.length_size());
        id.resize(usize::from(p.id_len), 0);
        ids[i] = id;
    }
    let mut h = b"FRHP".to_vec();
    h.push(0);
    h.extend_from_slice(&p.id_len.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes()); // no I/O filters
    h.push(0x02); // direct blocks checksummed
    h.extend_from_slice(&p.max_man.to_le_bytes());
    let mut e = Encoder::sized(s);
    // Next huge ID, huge objects' B-tree, free managed space, no free-space manager,
    // managed space, allocated managed space, direct block iterator offset.
    e.length(next_huge)
        .offset(huge_bt)
        .length(st.free)
        .offset(UNDEF)
        .length(man_size)
        .length(st.alloc)
        .length(iter);
    // Managed objects, huge size and count, tiny size and count.
    for v in [
        managed.len() as u64,
        huge_size,
        huge_recs.len() as u64,
        0,
        0,
    ] {
        e.length(v);
    }
    e.u16(p.width)
        .length(p.start)
        .length(p.max_dir)
        .u16(p.max_heap_bits);
    // Starting rows of a root indirect block, root block, its rows.
    e.u16(1).offset(root).u16(rows);
    h.extend_from_slice(e.as_bytes());
    let c = lookup3(&h);
    h.extend_from_slice(&c.to_le_bytes());
    if h.len() as u64 != header_len(s) {
        return Err(usage("fractal heap header size"));
    }
    sp.put(header, &h)?;
    Ok(Written {
        header,
        ids,
        huge_at,
        blocks: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::fractal_heap as rd;
    use crate::hdf5::io::Budget;
    use crate::hdf5::superblock::test_util::io_over;

    /// A file in memory whose sizes of offsets and lengths are `.1`.
    struct Mem(Vec<u8>, Sizes);
    impl Space for Mem {
        fn alloc(&mut self, n: usize) -> u64 {
            let a = self.0.len() as u64;
            self.0.resize(self.0.len() + n, 0);
            a
        }
        fn put(&mut self, at: u64, b: &[u8]) -> Result<()> {
            let at = at as usize;
            self.0[at..at + b.len()].copy_from_slice(b);
            Ok(())
        }
        fn sizes(&self) -> Sizes {
            self.1
        }
    }

    fn roundtrip(p: &Params, sizes: &[usize]) {
        roundtrip_sized(p, sizes, Sizes::default());
    }

    /// Write a heap of objects of `sizes` bytes in a file of sizes `s` and read every object
    /// back through the reader (which decodes at the same widths).
    fn roundtrip_sized(p: &Params, sizes: &[usize], s: Sizes) {
        let objs: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| (0..n).map(|j| (i * 7 + j) as u8).collect())
            .collect();
        let refs: Vec<&[u8]> = objs.iter().map(|o| o.as_slice()).collect();
        let mut m = Mem(vec![0; 8], s);
        let w = write(p, &refs, &[], &mut m).unwrap();
        // Blocks and huge objects cover the file past its 8-byte lead-in exactly.
        let huge: u64 = sizes
            .iter()
            .filter(|&&n| n as u64 > u64::from(p.max_man))
            .map(|&n| n as u64)
            .sum();
        let listed: u64 = w.blocks.iter().map(|b| b.1).sum();
        assert_eq!(listed + huge, m.0.len() as u64 - 8);
        let mut io = io_over(m.0);
        io.sizes = s;
        let heap = rd::open(&io, w.header).unwrap();
        let mut budget = Budget::new(&io.limits);
        for (id, o) in w.ids.iter().zip(&objs) {
            assert_eq!(id.len(), usize::from(p.id_len));
            assert_eq!(&heap.get(&io, id, &mut budget).unwrap(), o);
        }
    }

    #[test]
    fn heaps_of_every_shape_read_back() {
        roundtrip(&ATTRS, &[100, 200, 300]);
        roundtrip(&ATTRS, &[100; 50]);
        roundtrip(&ATTRS, &[4096, 10, 70_000, 3000, 1 << 20]);
        roundtrip(&LINKS, &vec![24; 100_000]);
        roundtrip(&LINKS, &[]);
    }

    /// Files of narrow sizes: the header is 26 + 12 lengths + 3 offsets; huge objects are
    /// found through type 1 records (4-byte sizes: address + length do not fit a 7-byte
    /// ID) or directly from their IDs (2-byte offsets: type 3 records, sorted by address).
    #[test]
    fn heaps_of_narrow_sizes_read_back() {
        for (o, l) in [(4, 4), (4, 8), (8, 4), (2, 4), (2, 8)] {
            let s = Sizes {
                offsets: o,
                lengths: l,
            };
            assert_eq!(header_len(s), 26 + 12 * u64::from(l) + 3 * u64::from(o));
            roundtrip_sized(&ATTRS, &[100, 5000, 200, 9000, 4097], s);
            // An indirect root of several direct blocks (within 64 KiB for 2-byte offsets).
            let n = if o == 2 { 600 } else { 3000 };
            roundtrip_sized(&LINKS, &vec![24; n], s);
        }
        assert_eq!(header_len(Sizes::default()), 146);
        // A heap whose 64 KiB direct blocks do not fit 2-byte lengths is refused.
        let s = Sizes {
            offsets: 4,
            lengths: 2,
        };
        let mut m = Mem(vec![0; 8], s);
        assert!(write(&ATTRS, &[b"x".as_slice()], &[], &mut m).is_err());
    }
}
