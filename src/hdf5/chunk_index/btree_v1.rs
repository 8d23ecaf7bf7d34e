//! Version 1 B-tree, node type 1 (raw data chunks), spec III.A.1 — the chunk index of
//! layout messages v1-v3.
//!
//! Node: `TREE`, node type (1), node level, entries used (u16), left and right sibling
//! addresses, then `key0 child0 key1 child1 … keyN`. A chunk key is the stored chunk size
//! (u32), the filter mask (u32) and rank + 1 element offsets, each 8 bytes regardless of
//! the size of offsets (quirk 7; the last is the element-size dimension, 0). Children of
//! a level-0 node are chunk addresses; above, child nodes of the next lower level.
//! Refused: bad signature or node type, levels that do not strictly decrease, a root
//! deeper than `limits.max_btree_depth`, nodes reached twice (cycles), offsets not on a
//! chunk boundary, truncated nodes.

use super::{ChunkInfo, Geometry};
use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
use crate::hdf5::io::{Budget, FileIo};

const S: &str = "v1 B-tree chunk node";

/// One key of a chunk node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkKey {
    /// Stored (filtered) size of the chunk, bytes.
    pub size: u32,
    /// Filter mask.
    pub filter_mask: u32,
    /// Element offsets, rank + 1 values (the last for the element dimension).
    pub offsets: Vec<u64>,
}

/// A decoded chunk node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkNode {
    /// Node level (0 = leaf).
    pub level: u8,
    /// `(key_i, child_i)` for each entry; the final key is dropped.
    pub entries: Vec<(ChunkKey, u64)>,
}

/// Bytes of the fixed node prefix (signature to right sibling).
fn prefix_len(offsets: u8) -> usize {
    8 + 2 * usize::from(offsets)
}

/// Bytes of one key for a dataset of `rank` dimensions.
fn key_len(rank: usize) -> usize {
    8 + 8 * (rank + 1)
}

/// Decode a whole node from `c` (which must hold it entirely). `rank` is the dataset rank.
pub fn parse_node(c: &mut Cursor, rank: usize) -> Result<ChunkNode> {
    c.signature(b"TREE")?;
    let at = c.addr();
    let node_type = c.u8()?;
    if node_type != 1 {
        return Err(c
            .err_at(
                at,
                format!("node type {node_type}, expected 1 (raw data chunks)"),
            )
            .into());
    }
    let level = c.u8()?;
    let used = usize::from(c.u16()?);
    c.offset()?; // left sibling: not needed, the walk goes top-down
    c.offset()?; // right sibling
    let per_entry = key_len(rank) + usize::from(c.sizes().offsets);
    // Check the entry count against the bytes present before allocating.
    let need = used
        .checked_mul(per_entry)
        .and_then(|n| n.checked_add(key_len(rank)));
    if need.is_none_or(|n| n > c.remaining()) {
        return Err(c
            .err(format!("{used} entries do not fit in the node"))
            .into());
    }
    let mut entries = Vec::with_capacity(used);
    for _ in 0..used {
        let key = parse_key(c, rank)?;
        let child = c.offset()?;
        entries.push((key, child));
    }
    parse_key(c, rank)?; // final key: upper bound only
    Ok(ChunkNode { level, entries })
}

fn parse_key(c: &mut Cursor, rank: usize) -> Result<ChunkKey> {
    let size = c.u32()?;
    let filter_mask = c.u32()?;
    let mut offsets = Vec::with_capacity(rank + 1);
    for _ in 0..=rank {
        offsets.push(c.u64()?);
    }
    Ok(ChunkKey {
        size,
        filter_mask,
        offsets,
    })
}

/// Read one node at `addr`.
fn read_node(io: &FileIo, addr: u64, rank: usize) -> Result<ChunkNode> {
    let head = io.read(addr, 8, S)?;
    let used = head
        .get(6..8)
        .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
        .unwrap_or(0);
    let k = key_len(rank);
    let len = used
        .checked_mul(k + usize::from(io.sizes.offsets))
        .and_then(|n| n.checked_add(prefix_len(io.sizes.offsets) + k))
        .ok_or_else(|| Error::format(S, addr, "node size overflows"))?;
    let buf = io.read(addr, len as u64, S)?;
    parse_node(&mut io.cursor(&buf, addr, S), rank)
}

/// Every node reachable from the root at `root`, in key order, with the checks on levels,
/// depth and cycles: `visit(address, node, is_root)`.
fn walk(
    io: &FileIo,
    root: u64,
    rank: usize,
    budget: &mut Budget,
    mut visit: impl FnMut(u64, ChunkNode, bool) -> Result<()>,
) -> Result<()> {
    // (node address, level it must have; None for the root)
    let mut stack: Vec<(u64, Option<u8>)> = vec![(root, None)];
    while let Some((addr, want)) = stack.pop() {
        budget.visit(addr, S)?;
        let node = read_node(io, addr, rank)?;
        match want {
            None if u32::from(node.level) > io.limits.max_btree_depth => {
                return Err(Error::limit(
                    "max_btree_depth",
                    io.limits.max_btree_depth.into(),
                    node.level.into(),
                    Some(addr),
                ))
            }
            Some(w) if node.level > w => {
                return Err(Error::format(
                    S,
                    addr,
                    format!(
                        "node level {} not below its parent's ({})",
                        node.level,
                        w + 1
                    ),
                ))
            }
            _ => {}
        }
        budget.charge(node.entries.len() as u64, addr)?;
        if node.level > 0 {
            // Push in reverse so chunks come out in key order.
            for (_, child) in node.entries.iter().rev() {
                stack.push((*child, Some(node.level - 1)));
            }
        }
        visit(addr, node, want.is_none())?;
    }
    Ok(())
}

/// Addresses of the nodes below the root at `root` (what a writer rebuilding the index
/// supersedes), with the checks of [`chunks`] on levels and cycles.
pub fn inner_nodes(io: &FileIo, root: u64, rank: usize, budget: &mut Budget) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    walk(io, root, rank, budget, |addr, _, is_root| {
        if !is_root {
            out.push(addr);
        }
        Ok(())
    })?;
    Ok(out)
}

/// Every chunk reachable from the root node at `root`.
pub fn chunks(io: &FileIo, root: u64, g: &Geometry, budget: &mut Budget) -> Result<Vec<ChunkInfo>> {
    let rank = g.rank();
    let mut out = Vec::new();
    walk(io, root, rank, budget, |addr, node, _| {
        if node.level > 0 {
            return Ok(());
        }
        for (key, child) in node.entries {
            let mut scaled = Vec::with_capacity(rank);
            for (&o, &c) in key.offsets.iter().zip(&g.chunk_dims) {
                if o % c != 0 {
                    return Err(Error::format(
                        S,
                        addr,
                        format!("chunk offset {o} not a multiple of chunk dimension {c}"),
                    ));
                }
                scaled.push(o / c);
            }
            if let Some(info) = g.info(&scaled, child, key.size.into(), key.filter_mask) {
                out.push(info);
            }
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::*;
    use crate::hdf5::message::layout::ChunkIndexing;
    use crate::limits::Limits;

    /// A node at `addr` with given level and `(size, mask, offsets, child)` entries, rank 1.
    #[rustfmt::skip]
    fn node(level: u8, entries: &[(u32, u32, u64, u64)]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"TREE");                 // signature
        b.push(1);                                     // node type: raw data chunks
        b.push(level);                                 // node level
        b.extend_from_slice(&(entries.len() as u16).to_le_bytes()); // entries used
        b.extend_from_slice(&u64::MAX.to_le_bytes());  // left sibling: undefined
        b.extend_from_slice(&u64::MAX.to_le_bytes());  // right sibling: undefined
        for &(size, mask, off, child) in entries {
            b.extend_from_slice(&size.to_le_bytes());  // key: chunk size
            b.extend_from_slice(&mask.to_le_bytes());  // key: filter mask
            b.extend_from_slice(&off.to_le_bytes());   // key: offset dim 0
            b.extend_from_slice(&0u64.to_le_bytes());  // key: element dimension (0)
            b.extend_from_slice(&child.to_le_bytes()); // child address
        }
        b.extend_from_slice(&[0u8; 24]);               // final key
        b
    }

    fn geom() -> Geometry {
        let lay = layout(&[4], 8, ChunkIndexing::BTreeV1, 0);
        Geometry::new(&lay, &[10], &[u64::MAX], &Limits::default()).unwrap()
    }

    fn file(nodes: &[(usize, Vec<u8>)]) -> FileIo {
        let mut f = vec![0u8; 1024];
        for (at, n) in nodes {
            f[*at..*at + n.len()].copy_from_slice(n);
        }
        io(f)
    }

    #[test]
    fn two_levels() {
        let root = node(1, &[(0, 0, 0, 200), (0, 0, 8, 400)]);
        let l1 = node(0, &[(32, 0, 0, 900), (30, 2, 4, 910)]);
        let l2 = node(0, &[(29, 0, 8, 920), (32, 0, 12, 930)]);
        let io = file(&[(0, root), (200, l1), (400, l2)]);
        let mut b = Budget::new(&io.limits);
        let c = chunks(&io, 0, &geom(), &mut b).unwrap();
        let got: Vec<_> = c
            .iter()
            .map(|c| (c.offset[0], c.address, c.size, c.filter_mask))
            .collect();
        // The chunk at 12 is beyond the 10-element extent and is dropped.
        assert_eq!(got, vec![(0, 900, 32, 0), (4, 910, 30, 2), (8, 920, 29, 0)]);
    }

    #[test]
    fn rejects() {
        let g = geom();
        // Cycle: the root points at itself.
        let io = file(&[(0, node(1, &[(0, 0, 0, 0)]))]);
        let e = chunks(&io, 0, &g, &mut Budget::new(&io.limits)).unwrap_err();
        assert!(e.to_string().contains("cycle"), "{e}");
        // Child level not below parent.
        let io = file(&[(0, node(1, &[(0, 0, 0, 200)])), (200, node(1, &[]))]);
        assert!(chunks(&io, 0, &g, &mut Budget::new(&io.limits)).is_err());
        // Bad signature.
        let mut n = node(0, &[]);
        n[0] = b'X';
        let io = file(&[(0, n)]);
        let e = chunks(&io, 0, &g, &mut Budget::new(&io.limits)).unwrap_err();
        assert_eq!(e.offset(), Some(0));
        // Group node (type 0).
        let mut n = node(0, &[]);
        n[4] = 0;
        let io = file(&[(0, n)]);
        assert!(chunks(&io, 0, &g, &mut Budget::new(&io.limits)).is_err());
        // Truncated: the entry count runs past the end of the file.
        let mut n = node(0, &[(1, 0, 0, 1)]);
        n[6] = 0xff;
        n[7] = 0xff;
        let io = file(&[(0, n)]);
        assert!(chunks(&io, 0, &g, &mut Budget::new(&io.limits)).is_err());
        // Offset not on a chunk boundary.
        let io = file(&[(0, node(0, &[(1, 0, 3, 500)]))]);
        assert!(chunks(&io, 0, &g, &mut Budget::new(&io.limits)).is_err());
        // Root deeper than allowed.
        let mut io = file(&[(0, node(5, &[]))]);
        io.limits.max_btree_depth = 4;
        assert!(matches!(
            chunks(&io, 0, &g, &mut Budget::new(&io.limits)),
            Err(Error::Limit { .. })
        ));
    }
}
