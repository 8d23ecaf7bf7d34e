//! Version 2 B-trees (spec III.A.2, "Level 1A2 - Version 2 B-trees"): header `BTHD`,
//! internal nodes `BTIN`, leaf nodes `BTLF`, all version 0 with lookup3 checksums
//! (verified), plus decoders for the record types used by dense groups and attributes
//! (1: huge fractal-heap objects, 5/6: links by name hash / creation order, 8/9:
//! attributes by name hash / creation order).
//!
//! Internal nodes hold `n` records then `n + 1` child pointers: child address, number of
//! records in the child (width = minimal bytes for the maximum records of a leaf, the
//! fullest node kind), and — only when the child is itself internal — the total number of
//! records below the child (width = minimal bytes for the maximum total at that level).
//! These per-level maxima are computed from the node size, record size and the
//! 10-byte node overhead (signature, version, type, checksum) as the spec prescribes
//! (quirk 22). Refused: other versions, a record type differing from the header's,
//! record counts above the per-level maximum, depth above `Limits::max_btree_depth`,
//! cycles (through the walk's [`Budget`]).
//!
//! The writer's half, a whole tree bulk-built from sorted records, is [`encode`].

pub mod encode;

use crate::error::{Error, Result};
use crate::hdf5::checksum;
use crate::hdf5::cursor::{Cursor, Sizes};
use crate::hdf5::io::{Budget, FileIo};

const HEADER: &str = "v2 B-tree header";
const INTERNAL: &str = "v2 B-tree internal node";
const LEAF: &str = "v2 B-tree leaf node";

/// Signature + version + type + checksum: the fixed bytes of every node.
const NODE_OVERHEAD: u64 = 10;

/// A decoded `BTHD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BTreeV2Header {
    /// Record type (1..=11).
    pub record_type: u8,
    /// Size of every node in bytes.
    pub node_size: u32,
    /// Size of one record in bytes.
    pub record_size: u16,
    /// Depth of the tree (0: the root is a leaf).
    pub depth: u16,
    /// Split percent.
    pub split_percent: u8,
    /// Merge percent.
    pub merge_percent: u8,
    /// Address of the root node (undefined when the tree is empty).
    pub root_address: u64,
    /// Number of records in the root node.
    pub root_records: u16,
    /// Total number of records in the tree.
    pub total_records: u64,
}

/// One record's raw bytes and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// Address of the record's first byte.
    pub at: u64,
    /// The record (`record_size` bytes).
    pub bytes: Vec<u8>,
}

/// Decode a `BTHD` from `c` (checksum verified). Pure.
pub fn parse_header(c: &mut Cursor) -> Result<BTreeV2Header> {
    let start = c.pos();
    c.signature(b"BTHD")?;
    c.version(0)?;
    let record_type = c.u8()?;
    let nat = c.addr();
    let node_size = c.u32()?;
    let rat = c.addr();
    let record_size = c.u16()?;
    let depth = c.u16()?;
    let split_percent = c.u8()?;
    let merge_percent = c.u8()?;
    let root_address = c.offset()?;
    let root_records = c.u16()?;
    let total_records = c.length()?;
    checksum::verify_field(c, start, HEADER)?;
    if record_size == 0 {
        return Err(c.err_at(rat, "record size 0").into());
    }
    if u64::from(node_size) < NODE_OVERHEAD + u64::from(record_size) {
        return Err(c
            .err_at(
                nat,
                format!("node size {node_size} cannot hold one {record_size}-byte record"),
            )
            .into());
    }
    Ok(BTreeV2Header {
        record_type,
        node_size,
        record_size,
        depth,
        split_percent,
        merge_percent,
        root_address,
        root_records,
        total_records,
    })
}

/// Read the `BTHD` at `addr`.
pub fn read_header(io: &FileIo, addr: u64) -> Result<BTreeV2Header> {
    let len = 4
        + 1
        + 1
        + 4
        + 2
        + 2
        + 1
        + 1
        + u64::from(io.sizes.offsets)
        + 2
        + u64::from(io.sizes.lengths)
        + 4;
    let buf = io.read(addr, len, HEADER)?;
    parse_header(&mut io.cursor(&buf, addr, HEADER))
}

/// Minimal bytes to encode `n` (at least 1).
fn enc_size(n: u64) -> u8 {
    let bits = 64 - n.leading_zeros();
    (bits / 8 + 1).min(8) as u8
}

/// Per-level capacity of a tree (index = node depth; 0 = leaves).
#[derive(Debug, Clone)]
pub struct Levels {
    /// Maximum records in a node at this depth.
    pub max_records: Vec<u64>,
    /// Maximum records in the subtree rooted at a node of this depth.
    pub max_total: Vec<u64>,
    /// Width of the "total records" field for a child at this depth (0 for leaves).
    pub total_width: Vec<u8>,
    /// Width of the "number of records in child" field (same at every level).
    pub count_width: u8,
}

impl Levels {
    /// Compute the capacities of `h`'s levels for `sizes` (spec III.A.2, quirk 22).
    pub fn new(h: &BTreeV2Header, sizes: Sizes, at: u64) -> Result<Levels> {
        let node = u64::from(h.node_size);
        let rec = u64::from(h.record_size);
        let leaf_max = (node.saturating_sub(NODE_OVERHEAD)) / rec;
        let count_width = enc_size(leaf_max);
        let depth = usize::from(h.depth);
        let mut l = Levels {
            max_records: Vec::with_capacity(depth + 1),
            max_total: Vec::with_capacity(depth + 1),
            total_width: Vec::with_capacity(depth + 1),
            count_width,
        };
        l.max_records.push(leaf_max);
        l.max_total.push(leaf_max);
        l.total_width.push(0);
        for d in 1..=depth {
            let below_width = if d > 1 {
                l.total_width.get(d - 1).copied().unwrap_or(8)
            } else {
                0
            };
            let ptr = u64::from(sizes.offsets) + u64::from(count_width) + u64::from(below_width);
            let max = node.saturating_sub(NODE_OVERHEAD + ptr) / (rec + ptr);
            if max == 0 {
                return Err(Error::format(
                    HEADER,
                    at,
                    format!("internal nodes at depth {d} hold no record"),
                ));
            }
            let below = l.max_total.get(d - 1).copied().unwrap_or(u64::MAX);
            let total = max
                .saturating_add(1)
                .saturating_mul(below)
                .saturating_add(max);
            l.max_records.push(max);
            l.max_total.push(total);
            l.total_width.push(enc_size(total));
        }
        Ok(l)
    }
}

struct Walker<'a> {
    io: &'a FileIo,
    h: BTreeV2Header,
    levels: Levels,
    out: Vec<RawRecord>,
    /// Addresses of the nodes visited.
    nodes: Vec<u64>,
}

impl Walker<'_> {
    fn node(&mut self, addr: u64, depth: u16, nrec: u64, budget: &mut Budget) -> Result<()> {
        let structure = if depth == 0 { LEAF } else { INTERNAL };
        budget.visit(addr, structure)?;
        let d = usize::from(depth);
        let max = self.levels.max_records.get(d).copied().unwrap_or(0);
        if nrec > max {
            return Err(Error::format(
                structure,
                addr,
                format!("{nrec} records, a node at depth {depth} holds at most {max}"),
            ));
        }
        budget.charge(nrec, addr)?;
        let buf = self.io.read(addr, u64::from(self.h.node_size), structure)?;
        self.nodes.push(addr);
        let mut c = self.io.cursor(&buf, addr, structure);
        c.signature(if depth == 0 { b"BTLF" } else { b"BTIN" })?;
        c.version(0)?;
        let tat = c.addr();
        let t = c.u8()?;
        if t != self.h.record_type {
            return Err(c
                .err_at(
                    tat,
                    format!("record type {t}, header says {}", self.h.record_type),
                )
                .into());
        }
        let rs = usize::from(self.h.record_size);
        // nrec <= max records of a node, which fit in node_size: no overflow.
        let n = usize::try_from(nrec).map_err(|_| c.err("record count too large"))?;
        let mut recs = Vec::with_capacity(n);
        for _ in 0..n {
            let at = c.addr();
            recs.push(RawRecord {
                at,
                bytes: c.bytes(rs)?.to_vec(),
            });
        }
        let mut children = Vec::new();
        if depth > 0 {
            let below_width = self.levels.total_width.get(d - 1).copied().unwrap_or(0);
            children.reserve(n + 1);
            for _ in 0..=n {
                let child = c.offset()?;
                let cn = c.uint(usize::from(self.levels.count_width))?;
                if below_width > 0 {
                    let _total = c.uint(usize::from(below_width))?;
                }
                children.push((child, cn));
            }
        }
        checksum::verify_field(&mut c, 0, structure)?;
        if depth == 0 {
            self.out.extend(recs);
            return Ok(());
        }
        // In-order: child 0, record 0, child 1, ..., record n-1, child n.
        let mut recs = recs.into_iter();
        for (child, cn) in children {
            self.node(child, depth - 1, cn, budget)?;
            if let Some(r) = recs.next() {
                self.out.push(r);
            }
        }
        Ok(())
    }
}

/// The header of the v2 B-tree at `addr` and all its records in key order.
pub fn records(
    io: &FileIo,
    addr: u64,
    budget: &mut Budget,
) -> Result<(BTreeV2Header, Vec<RawRecord>)> {
    records_and_extents(io, addr, budget).map(|(h, r, _)| (h, r))
}

/// Bytes of a v2 B-tree header with 8-byte offsets and lengths.
pub const HEADER_SIZE: u64 = 38;

/// A tree's header, its records and the extents (address, length) it occupies.
pub type TreeWithExtents = (BTreeV2Header, Vec<RawRecord>, Vec<(u64, u64)>);

/// [`records`], with the extents (address, length) of the header and every node: what
/// the tree occupies in the file (a writer frees them when it supersedes the tree).
pub fn records_and_extents(io: &FileIo, addr: u64, budget: &mut Budget) -> Result<TreeWithExtents> {
    let h = read_header(io, addr)?;
    let cap = io.limits.max_btree_depth;
    if u32::from(h.depth) >= cap {
        return Err(Error::limit(
            "max_btree_depth",
            u64::from(cap),
            u64::from(h.depth) + 1,
            Some(addr),
        ));
    }
    let header = (addr, HEADER_SIZE);
    if h.root_address == crate::hdf5::cursor::UNDEFINED_ADDRESS || h.total_records == 0 {
        return Ok((h, Vec::new(), vec![header]));
    }
    let levels = Levels::new(&h, io.sizes, addr)?;
    let mut w = Walker {
        io,
        h,
        levels,
        out: Vec::new(),
        nodes: Vec::new(),
    };
    w.node(h.root_address, h.depth, u64::from(h.root_records), budget)?;
    let node = u64::from(h.node_size);
    let extents = std::iter::once(header)
        .chain(w.nodes.iter().map(|&a| (a, node)))
        .collect();
    Ok((h, w.out, extents))
}

/// Type 1 record: a huge fractal-heap object without I/O filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Type1Record {
    /// Address of the object's bytes.
    pub address: u64,
    /// Length of the object.
    pub length: u64,
    /// The huge object's ID (key of the tree).
    pub id: u64,
}

/// A record of the dense link and attribute indexes, which all hold a fractal heap ID:
/// type 5 (link name hash, ID), 6 (link creation order u64, ID), 8 (attribute: ID, flags,
/// creation order u32, name hash) and 9 (attribute: ID, flags, creation order u32).
/// Fields a type lacks are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeapIdRecord {
    /// Heap ID of the link or attribute message (the record less its other fields).
    pub heap_id: Vec<u8>,
    /// lookup3 hash of the name (types 5 and 8).
    pub hash: Option<u32>,
    /// Creation order (types 6, 8 and 9).
    pub creation_order: Option<u64>,
    /// Attribute message flags, bit 0 shared (types 8 and 9).
    pub flags: Option<u8>,
}

fn rec_cursor<'a>(r: &'a RawRecord, sizes: Sizes, structure: &'static str) -> Cursor<'a> {
    Cursor::new(&r.bytes, r.at, structure, sizes)
}

fn id_len(r: &RawRecord, fixed: usize, structure: &'static str) -> Result<usize> {
    r.bytes.len().checked_sub(fixed).ok_or_else(|| {
        Error::format(
            structure,
            r.at,
            format!("record of {} bytes too short", r.bytes.len()),
        )
    })
}

/// Decode a type 1 record (address, length, ID). Pure.
pub fn decode_type1(r: &RawRecord, sizes: Sizes) -> Result<Type1Record> {
    let mut c = rec_cursor(r, sizes, "v2 B-tree type 1 record");
    Ok(Type1Record {
        address: c.offset()?,
        length: c.length()?,
        id: c.length()?,
    })
}

/// Decode a record of type 5, 6, 8 or 9 ([`HeapIdRecord`]). Pure.
pub fn decode_heap_id_record(r: &RawRecord, record_type: u8) -> Result<HeapIdRecord> {
    const S: &str = "v2 B-tree heap ID record";
    // Bytes besides the heap ID, and whether the ID comes first.
    let (fixed, id_first) = match record_type {
        5 => (4, false),
        6 => (8, false),
        8 => (9, true),
        9 => (5, true),
        t => {
            return Err(Error::format(
                S,
                r.at,
                format!("record type {t} holds no heap ID"),
            ))
        }
    };
    let n = id_len(r, fixed, S)?;
    let mut c = rec_cursor(r, Sizes::default(), S);
    let mut out = HeapIdRecord::default();
    if id_first {
        out.heap_id = c.bytes(n)?.to_vec();
        out.flags = Some(c.u8()?);
        out.creation_order = Some(u64::from(c.u32()?));
        if record_type == 8 {
            out.hash = Some(c.u32()?);
        }
    } else {
        if record_type == 5 {
            out.hash = Some(c.u32()?);
        } else {
            out.creation_order = Some(c.u64()?);
        }
        out.heap_id = c.bytes(n)?.to_vec();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::superblock::test_util::io_over;

    const NODE: u32 = 64;

    #[rustfmt::skip]
    fn header(depth: u16, root: u64, root_n: u16, total: u64) -> Vec<u8> {
        let mut v = vec![
            b'B', b'T', b'H', b'D', // signature
            0,                      // version
            5,                      // record type: link name hash
        ];
        v.extend_from_slice(&NODE.to_le_bytes());        // node size
        v.extend_from_slice(&11u16.to_le_bytes());       // record size (4 + 7)
        v.extend_from_slice(&depth.to_le_bytes());       // depth
        v.extend_from_slice(&[100, 40]);                 // split %, merge %
        v.extend_from_slice(&root.to_le_bytes());        // root node address
        v.extend_from_slice(&root_n.to_le_bytes());      // records in root
        v.extend_from_slice(&total.to_le_bytes());       // total records
        let s = checksum::lookup3(&v);
        v.extend_from_slice(&s.to_le_bytes());           // checksum
        v
    }

    fn rec(hash: u32) -> Vec<u8> {
        let mut r = hash.to_le_bytes().to_vec(); // name hash
        r.extend_from_slice(&[0, 1, 2, 3, 4, 5, 6]); // heap ID
        r
    }

    #[rustfmt::skip]
    fn leaf(hashes: &[u32]) -> Vec<u8> {
        let mut v = vec![b'B', b'T', b'L', b'F', 0, 5];  // signature, version, type
        for &h in hashes {
            v.extend(rec(h));                            // records
        }
        let s = checksum::lookup3(&v);
        v.extend_from_slice(&s.to_le_bytes());           // checksum
        v.resize(NODE as usize, 0);                      // unused node space
        v
    }

    /// Depth-1 root with one record and two leaf children. Leaf max = (64-10)/11 = 4
    /// records -> 1-byte counts; pointers are 8 + 1 bytes.
    #[rustfmt::skip]
    fn internal(children: [(u64, u8); 2], hash: u32) -> Vec<u8> {
        let mut v = vec![b'B', b'T', b'I', b'N', 0, 5];  // signature, version, type
        v.extend(rec(hash));                             // record 0
        for (addr, n) in children {
            v.extend_from_slice(&addr.to_le_bytes());    // child address
            v.push(n);                                   // records in child
        }
        let s = checksum::lookup3(&v);
        v.extend_from_slice(&s.to_le_bytes());           // checksum
        v.resize(NODE as usize, 0);
        v
    }

    fn file(children: [(u64, u8); 2]) -> Vec<u8> {
        let mut f = header(1, 64, 1, 4);
        f.resize(64, 0);
        f.extend(internal(children, 30));
        f.extend(leaf(&[10, 20])); // at 128
        f.extend(leaf(&[40])); // at 192
        f
    }

    #[test]
    fn levels_match_spec_arithmetic() {
        let h = parse_header(&mut Cursor::new(
            &header(2, 0, 0, 0),
            0,
            HEADER,
            Sizes::default(),
        ))
        .unwrap();
        let l = Levels::new(&h, Sizes::default(), 0).unwrap();
        assert_eq!(l.max_records, vec![4, 2, 2]); // (64-19)/(11+9)=2 ; (64-20)/(11+10)=2
        assert_eq!(l.max_total, vec![4, 14, 44]);
        assert_eq!(l.count_width, 1);
    }

    #[test]
    fn in_order_traversal() {
        let io = io_over(file([(128, 2), (192, 1)]));
        let (h, r) = records(&io, 0, &mut Budget::new(&io.limits)).unwrap();
        assert_eq!(h.depth, 1);
        let t5 = |x: &RawRecord| decode_heap_id_record(x, 5).unwrap();
        let hashes: Vec<Option<u32>> = r.iter().map(|x| t5(x).hash).collect();
        assert_eq!(hashes, vec![Some(10), Some(20), Some(30), Some(40)]);
        assert_eq!(r[0].at, 134);
        assert_eq!(t5(&r[0]).heap_id, vec![0, 1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn rejects() {
        // cycle: both children are the same leaf
        let io = io_over(file([(128, 2), (128, 2)]));
        let e = records(&io, 0, &mut Budget::new(&io.limits)).unwrap_err();
        assert!(e.to_string().contains("cycle"), "{e}");
        // child record count above the leaf maximum
        let io = io_over(file([(128, 9), (192, 1)]));
        assert_eq!(
            records(&io, 0, &mut Budget::new(&io.limits))
                .unwrap_err()
                .offset(),
            Some(128)
        );
        // wrong node signature (child points at the internal node)
        let io = io_over(file([(64, 1), (192, 1)]));
        assert!(records(&io, 0, &mut Budget::new(&io.limits)).is_err());
        // corrupted leaf checksum
        let mut f = file([(128, 2), (192, 1)]);
        f[140] ^= 1;
        let io = io_over(f);
        let e = records(&io, 0, &mut Budget::new(&io.limits)).unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
        // corrupted header
        let mut f = file([(128, 2), (192, 1)]);
        f[10] ^= 1;
        assert!(read_header(&io_over(f), 0).is_err());
        // short record
        let r = RawRecord {
            at: 0,
            bytes: vec![1, 2],
        };
        assert!(decode_heap_id_record(&r, 8).is_err());
        assert!(decode_heap_id_record(&r, 1).is_err());
    }

    #[rustfmt::skip]
    #[test]
    fn record_decoders() {
        let r = RawRecord { at: 0, bytes: vec![
            1, 2, 3, 4, 5, 6, 7, 8, // heap ID (17 - 9 = 8 bytes)
            0,                      // message flags
            3, 0, 0, 0,             // creation order
            0xef, 0xbe, 0xad, 0xde, // name hash
        ] };
        let t8 = decode_heap_id_record(&r, 8).unwrap();
        assert_eq!((t8.flags, t8.creation_order, t8.hash), (Some(0), Some(3), Some(0xdeadbeef)));
        assert_eq!(t8.heap_id.len(), 8);
        let t9 = decode_heap_id_record(&r, 9).unwrap();
        assert_eq!((t9.flags, t9.creation_order, t9.hash), (Some(0), Some(0xdeadbeef), None));
        assert_eq!(t9.heap_id, [1, 2, 3, 4, 5, 6, 7, 8, 0, 3, 0, 0]);
        let t6 = decode_heap_id_record(&r, 6).unwrap();
        assert_eq!((t6.creation_order, t6.hash), (Some(0x0807_0605_0403_0201), None));
        assert_eq!(t6.heap_id.len(), 9);
        let r = RawRecord { at: 0, bytes: [0x100u64.to_le_bytes(), 5000u64.to_le_bytes(), 1u64.to_le_bytes()].concat() };
        assert_eq!(decode_type1(&r, Sizes::default()).unwrap(), Type1Record { address: 0x100, length: 5000, id: 1 });
    }
}
