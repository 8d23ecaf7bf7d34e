//! v2 B-tree encoder: a whole tree bulk-built from sorted records (dense attribute and link
//! indexes, huge fractal-heap objects).
//!
//! Node capacities follow libhdf5's arithmetic (`H5B2__hdr_init`): leaves hold
//! `(node - 10) / record` records; an internal node at depth `d` holds
//! `(node - 10 - ptr) / (record + ptr)` with `ptr` = address + child record count + (for
//! `d > 1`) child subtree total, the count widths being `log2(n) / 8 + 1` bytes. The tree is
//! as shallow as those capacities allow and its nodes evenly filled. Every node is written
//! past the end of file; the caller publishes the header address.

use crate::error::{Error, Result};
use crate::hdf5::checksum::lookup3;
use crate::hdf5::encoder::{Encoder, Sizes};

/// Node size of the attribute and link indexes (libhdf5's default).
pub const NODE_SIZE: u32 = 512;
const SPLIT_PERCENT: u8 = 100;
const MERGE_PERCENT: u8 = 40;

/// Creation parameters of a tree (stored in its header; chunk indexes carry them in the
/// layout message too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeParams {
    /// Bytes per node.
    pub node_size: u32,
    /// Split and merge percentages (recorded, not used by a bulk build).
    pub split: u8,
    /// See `split`.
    pub merge: u8,
}

/// Attribute, link and huge-object indexes.
pub const DEFAULT: TreeParams = TreeParams {
    node_size: NODE_SIZE,
    split: SPLIT_PERCENT,
    merge: MERGE_PERCENT,
};

/// Where a written tree lies: header and every node (so a later rewrite can free them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extents {
    /// Header address.
    pub header: u64,
    /// `(address, length)` of the header and of each node.
    pub blocks: Vec<(u64, u64)>,
}
/// Signature, version, type and checksum.
const PREFIX: u64 = 10;

fn usage(m: impl Into<String>) -> Error {
    Error::Usage(m.into())
}

/// `H5VM_limit_enc_size`: bytes to encode values up to `n`.
pub fn limit_enc_size(n: u64) -> usize {
    let log2 = if n == 0 { 0 } else { 63 - n.leading_zeros() };
    (log2 / 8 + 1) as usize
}

/// Where the tree's nodes go: `alloc_put` writes bytes at new space and returns their address.
pub type Sink<'a> = dyn FnMut(&[u8]) -> Result<u64> + 'a;

struct Levels {
    node: u64,
    /// Bytes of a child address ("size of offsets").
    addr: usize,
    max_nrec: Vec<u64>,
    cum_max: Vec<u64>,
    cum_size: Vec<usize>,
    nrec_size: usize,
}

impl Levels {
    fn new(rec: u64, node: u32, addr: usize) -> Result<Levels> {
        let node = u64::from(node);
        let leaf = node.saturating_sub(PREFIX) / rec;
        if leaf == 0 {
            return Err(usage("B-tree record larger than a node"));
        }
        Ok(Levels {
            node,
            addr,
            max_nrec: vec![leaf],
            cum_max: vec![leaf],
            cum_size: vec![0],
            nrec_size: limit_enc_size(leaf),
        })
    }

    fn ptr_size(&self, d: usize) -> u64 {
        let below = if d > 1 { self.cum_size[d - 1] } else { 0 };
        (self.addr + self.nrec_size + below) as u64
    }

    /// Add the next level up; false when its nodes could not hold a record.
    fn grow(&mut self, rec: u64) -> bool {
        let d = self.max_nrec.len();
        let ptr = self.ptr_size(d);
        let max = (self.node.saturating_sub(PREFIX + ptr)) / (rec + ptr);
        if max == 0 {
            return false;
        }
        let cum = (max + 1)
            .saturating_mul(self.cum_max[d - 1])
            .saturating_add(max);
        self.max_nrec.push(max);
        self.cum_max.push(cum);
        self.cum_size.push(limit_enc_size(cum));
        true
    }
}

fn seal(mut v: Vec<u8>) -> Vec<u8> {
    let c = lookup3(&v);
    v.extend_from_slice(&c.to_le_bytes());
    v
}

fn put_uint(out: &mut Vec<u8>, v: u64, width: usize) {
    out.extend_from_slice(&v.to_le_bytes()[..width.min(8)]);
}

struct Builder<'a, 'b> {
    rtype: u8,
    sizes: Sizes,
    lv: Levels,
    sink: &'a mut Sink<'b>,
    blocks: Vec<(u64, u64)>,
}

impl Builder<'_, '_> {
    fn node(&self, sig: &[u8; 4]) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.lv.node as usize);
        v.extend_from_slice(sig);
        v.push(0);
        v.push(self.rtype);
        v
    }

    fn write_node(&mut self, v: Vec<u8>) -> Result<u64> {
        let mut v = seal(v);
        let node = usize::try_from(self.lv.node).map_err(|_| usage("B-tree node size"))?;
        if v.len() > node {
            return Err(usage("B-tree node overflow"));
        }
        v.resize(node, 0);
        let a = (self.sink)(&v)?;
        self.blocks.push((a, self.lv.node));
        Ok(a)
    }

    /// Write the subtree of `recs` at `depth`; returns (address, records in its root node).
    fn build(&mut self, recs: &[Vec<u8>], depth: usize) -> Result<(u64, u64)> {
        if depth == 0 {
            let mut v = self.node(b"BTLF");
            for r in recs {
                v.extend_from_slice(r);
            }
            return Ok((self.write_node(v)?, recs.len() as u64));
        }
        let n = recs.len() as u64;
        let below = self.lv.cum_max[depth - 1];
        // Fewest children whose subtrees (plus separators) hold every record.
        let k = (n + 1).div_ceil(below + 1).max(1);
        let in_children = n - (k - 1);
        let (base, extra) = (in_children / k, in_children % k);
        let mut kids = Vec::new();
        let mut seps = Vec::new();
        let mut at = 0usize;
        for i in 0..k {
            let take = (base + u64::from(i < extra)) as usize;
            let part = recs
                .get(at..at + take)
                .ok_or_else(|| usage("B-tree split out of range"))?;
            let (a, nrec) = self.build(part, depth - 1)?;
            kids.push((a, nrec, take as u64));
            at += take;
            if i + 1 < k {
                seps.push(recs.get(at).ok_or_else(|| usage("B-tree split"))?);
                at += 1;
            }
        }
        let mut v = self.node(b"BTIN");
        for r in &seps {
            v.extend_from_slice(r);
        }
        for (a, nrec, total) in kids {
            v.extend_from_slice(&Encoder::sized(self.sizes).offset(a).take());
            put_uint(&mut v, nrec, self.lv.nrec_size);
            if depth > 1 {
                put_uint(&mut v, total, self.lv.cum_size[depth - 1]);
            }
        }
        Ok((self.write_node(v)?, seps.len() as u64))
    }
}

/// Write a v2 B-tree of `rtype` over `records` (each `rec_size` bytes, already in the
/// tree's order) with the default parameters in a file of sizes `s`; returns the header
/// address.
pub fn write(
    s: Sizes,
    rtype: u8,
    rec_size: u16,
    records: &[Vec<u8>],
    sink: &mut Sink,
) -> Result<u64> {
    Ok(write_with(s, DEFAULT, rtype, rec_size, records, sink)?.header)
}

/// [`write()`] with the tree parameters `p`; returns where the header and nodes lie.
pub fn write_with(
    s: Sizes,
    p: TreeParams,
    rtype: u8,
    rec_size: u16,
    records: &[Vec<u8>],
    sink: &mut Sink,
) -> Result<Extents> {
    if records.iter().any(|r| r.len() != usize::from(rec_size)) {
        return Err(usage("B-tree record of the wrong size"));
    }
    let rec = u64::from(rec_size);
    let mut lv = Levels::new(rec, p.node_size, s.o())?;
    let n = records.len() as u64;
    while lv.cum_max.last().copied().unwrap_or(0) < n {
        if !lv.grow(rec) || lv.max_nrec.len() > 64 {
            return Err(usage("too many records for a v2 B-tree"));
        }
    }
    let depth = lv.max_nrec.len() - 1;
    let mut b = Builder {
        rtype,
        sizes: s,
        lv,
        sink,
        blocks: Vec::new(),
    };
    let (root, root_n) = if records.is_empty() {
        (u64::MAX, 0)
    } else {
        b.build(records, depth)?
    };
    let root_n = u16::try_from(root_n).map_err(|_| usage("B-tree root too large"))?;
    let mut h = b"BTHD".to_vec();
    h.push(0);
    h.push(rtype);
    h.extend_from_slice(&p.node_size.to_le_bytes());
    h.extend_from_slice(&rec_size.to_le_bytes());
    h.extend_from_slice(&(depth as u16).to_le_bytes());
    h.push(p.split);
    h.push(p.merge);
    h.extend_from_slice(&Encoder::sized(s).offset(root).u16(root_n).length(n).take());
    let h = seal(h);
    let header = (b.sink)(&h)?;
    let mut blocks = b.blocks;
    blocks.push((header, h.len() as u64));
    Ok(Extents { header, blocks })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::btree_v2 as rd;
    use crate::hdf5::io::Budget;
    use crate::hdf5::superblock::test_util::io_over;

    fn roundtrip(n: u32, rec_size: u16) {
        roundtrip_with(DEFAULT, n, rec_size)
    }

    fn roundtrip_with(p: TreeParams, n: u32, rec_size: u16) {
        let mut file = vec![0u8; 8];
        let recs: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                let mut r = i.to_le_bytes().to_vec();
                r.resize(usize::from(rec_size), 0xA5);
                r
            })
            .collect();
        let mut sink = |b: &[u8]| -> Result<u64> {
            let a = file.len() as u64;
            file.extend_from_slice(b);
            Ok(a)
        };
        let ext = write_with(Sizes::default(), p, 5, rec_size, &recs, &mut sink).unwrap();
        let h = ext.header;
        // Every byte after the 8-byte lead-in belongs to exactly one listed block.
        let listed: u64 = ext.blocks.iter().map(|b| b.1).sum();
        assert_eq!(listed, file.len() as u64 - 8);
        let io = io_over(file);
        let mut budget = Budget::new(&io.limits);
        let (hdr, got) = rd::records(&io, h, &mut budget).unwrap();
        assert_eq!(hdr.record_type, 5);
        assert_eq!(hdr.node_size, p.node_size);
        assert_eq!((hdr.split_percent, hdr.merge_percent), (p.split, p.merge));
        assert_eq!(got.len(), recs.len());
        for (g, r) in got.iter().zip(&recs) {
            assert_eq!(&g.bytes, r);
        }
    }

    #[test]
    fn trees_of_every_depth_read_back_in_order() {
        for n in [0, 1, 45, 46, 1000, 30_000, 100_000] {
            roundtrip(n, 11);
        }
        roundtrip(3000, 17);
        roundtrip(500, 24);
        // libhdf5's chunk-index trees: 2048-byte nodes, records of 24 / 36 bytes.
        let chunk = TreeParams {
            node_size: 2048,
            split: 100,
            merge: 40,
        };
        for n in [1, 84, 85, 10_000] {
            roundtrip_with(chunk, n, 24);
        }
        roundtrip_with(chunk, 5000, 36);
    }

    #[test]
    fn enc_size_matches_libhdf5() {
        assert_eq!(limit_enc_size(45), 1);
        assert_eq!(limit_enc_size(255), 1);
        assert_eq!(limit_enc_size(256), 2);
        assert_eq!(limit_enc_size(65_535), 2);
        assert_eq!(limit_enc_size(65_536), 3);
    }
}
