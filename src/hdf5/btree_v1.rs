//! Version 1 B-trees `TREE` (spec III.A.1, "Level 1A1 - Version 1 B-trees"), group nodes
//! (node type 0).
//!
//! A node is: signature, node type (u8), node level (u8), entries used (u16), left and
//! right sibling addresses, then keys and child addresses interleaved
//! (`key0 child0 key1 ... child(n-1) key(n)`). Group keys are local-heap name offsets
//! ("size of lengths" wide); level-0 children are symbol table nodes (`SNOD`).
//!
//! [`group_entries`] walks every level depth-first (so entries come out in name order),
//! checking the node type (0), that each child's level is exactly its parent's minus one,
//! the depth against `Limits::max_btree_depth`, and every node and SNOD against the walk's
//! [`Budget`] (cycles are errors). Sibling pointers are decoded but not followed. Chunk
//! B-trees (node type 1) are handled by the chunk-index module; [`parse_node_header`] is
//! shared.

use crate::error::{Error, Result};
use crate::hdf5::cursor::{Cursor, Sizes};
use crate::hdf5::encoder::{Encoder, UNDEF};
use crate::hdf5::io::{Budget, FileIo};
use crate::hdf5::symbol_node::{self, SymbolTableEntry};

const STRUCTURE: &str = "v1 B-tree node";

/// The fixed part of a v1 B-tree node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeHeader {
    /// 0 = group node, 1 = raw data chunk node.
    pub node_type: u8,
    /// Level: 0 for leaves.
    pub level: u8,
    /// Number of children used.
    pub entries_used: u16,
    /// Left sibling address (undefined when none).
    pub left_sibling: u64,
    /// Right sibling address (undefined when none).
    pub right_sibling: u64,
}

/// Size of the fixed node header for the cursor's sizes.
pub fn header_size(offsets: u8) -> u64 {
    8 + 2 * u64::from(offsets)
}

/// Decode the fixed header of a `TREE` node. Pure.
pub fn parse_node_header(c: &mut Cursor) -> Result<NodeHeader> {
    c.signature(b"TREE")?;
    let tat = c.addr();
    let node_type = c.u8()?;
    if node_type > 1 {
        return Err(c
            .err_at(tat, format!("node type {node_type}, expected 0 or 1"))
            .into());
    }
    let level = c.u8()?;
    let entries_used = c.u16()?;
    let left_sibling = c.offset()?;
    let right_sibling = c.offset()?;
    Ok(NodeHeader {
        node_type,
        level,
        entries_used,
        left_sibling,
        right_sibling,
    })
}

/// Decode a whole group node (type 0): header and child addresses (keys skipped). Pure.
pub fn parse_group_node(c: &mut Cursor) -> Result<(NodeHeader, Vec<u64>)> {
    let start = c.addr();
    let h = parse_node_header(c)?;
    if h.node_type != 0 {
        return Err(c
            .err_at(
                start + 4,
                format!("node type {}, expected 0 (group)", h.node_type),
            )
            .into());
    }
    let pair = usize::from(c.sizes().lengths) + usize::from(c.sizes().offsets);
    let n = usize::from(h.entries_used);
    let need = n
        .checked_mul(pair)
        .and_then(|x| x.checked_add(usize::from(c.sizes().lengths)));
    if need.is_none_or(|x| x > c.remaining()) {
        return Err(c
            .err_at(
                start + 6,
                format!("{n} entries do not fit in {} bytes", c.remaining()),
            )
            .into());
    }
    let mut children = Vec::with_capacity(n);
    for _ in 0..n {
        let _key = c.length()?;
        children.push(c.offset()?);
    }
    let _last_key = c.length()?;
    Ok((h, children))
}

/// All symbol table entries of the group whose v1 B-tree is at `btree_addr`, in key
/// (name) order.
pub fn group_entries(
    io: &FileIo,
    btree_addr: u64,
    budget: &mut Budget,
) -> Result<Vec<SymbolTableEntry>> {
    let mut found = GroupTree::default();
    walk(io, btree_addr, None, 0, budget, &mut found)?;
    Ok(found.entries)
}

/// What [`group_tree`] finds: the entries in key (name) order, and the addresses of the
/// tree's nodes other than the root and of its `SNOD`s (in walk order).
#[derive(Debug, Default)]
pub struct GroupTree {
    /// The symbol table entries, in name order.
    pub entries: Vec<SymbolTableEntry>,
    /// Addresses of the non-root `TREE` nodes.
    pub nodes: Vec<u64>,
    /// Addresses of the `SNOD`s.
    pub snods: Vec<u64>,
}

/// The entries and structures of the group whose v1 B-tree root is at `btree_addr` (a
/// writer editing the group supersedes them; see [`group_entries`] for the checks).
pub fn group_tree(io: &FileIo, btree_addr: u64, budget: &mut Budget) -> Result<GroupTree> {
    let mut found = GroupTree::default();
    walk(io, btree_addr, None, 0, budget, &mut found)?;
    Ok(found)
}

fn walk(
    io: &FileIo,
    addr: u64,
    expected_level: Option<u8>,
    depth: u32,
    budget: &mut Budget,
    found: &mut GroupTree,
) -> Result<()> {
    if expected_level.is_some() {
        found.nodes.push(addr);
    }
    let cap = io.limits.max_btree_depth;
    if depth >= cap {
        return Err(Error::limit(
            "max_btree_depth",
            u64::from(cap),
            u64::from(depth) + 1,
            Some(addr),
        ));
    }
    budget.visit(addr, STRUCTURE)?;
    let hlen = header_size(io.sizes.offsets);
    let head = io.read(addr, hlen, STRUCTURE)?;
    let h = parse_node_header(&mut io.cursor(&head, addr, STRUCTURE))?;
    if let Some(lvl) = expected_level {
        if h.level != lvl {
            return Err(Error::format(
                STRUCTURE,
                addr + 5,
                format!("level {}, expected {lvl} (one below the parent)", h.level),
            ));
        }
    } else if u32::from(h.level) >= cap {
        return Err(Error::limit(
            "max_btree_depth",
            u64::from(cap),
            u64::from(h.level) + 1,
            Some(addr),
        ));
    }
    let pair = u64::from(io.sizes.lengths) + u64::from(io.sizes.offsets);
    // entries_used <= 65535 and pair <= 16: no overflow.
    let len = hlen + u64::from(h.entries_used) * pair + u64::from(io.sizes.lengths);
    let buf = io.read(addr, len, STRUCTURE)?;
    let (h, children) = parse_group_node(&mut io.cursor(&buf, addr, STRUCTURE))?;
    budget.charge(children.len() as u64, addr)?;
    for child in children {
        if h.level == 0 {
            budget.visit(child, "SNOD")?;
            let entries = symbol_node::read_node(io, child)?;
            budget.charge(entries.len() as u64, child)?;
            found.entries.extend(entries);
            found.snods.push(child);
        } else {
            walk(io, child, Some(h.level - 1), depth + 1, budget, found)?;
        }
    }
    Ok(())
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// Group leaf node K (SNOD holds 2K entries).
pub const GROUP_LEAF_K: usize = 4;

/// Group internal node K (group B-tree nodes hold 2K children).
pub const GROUP_INTERNAL_K: usize = 16;

/// Chunk B-tree K (nodes hold 2K children).
pub const CHUNK_K: usize = 32;

/// Size of a v1 B-tree node of `key_size`-byte keys and 2K children: signature, type,
/// level, entries used, two sibling addresses, 2K + 1 keys, 2K child addresses.
pub fn btree_node_size(s: Sizes, key_size: usize, k: usize) -> usize {
    header_size(s.offsets) as usize + (2 * k + 1) * key_size + 2 * k * s.o()
}

/// Encode a v1 B-tree node (siblings undefined: readers walk from the root). `keys` has
/// one more element than `children`; the node is zero-padded to its full size.
pub fn encode_btree_node(
    s: Sizes,
    node_type: u8,
    level: u8,
    keys: &[Vec<u8>],
    children: &[u64],
    key_size: usize,
    k: usize,
) -> Vec<u8> {
    let mut e = Encoder::sized(s);
    e.signature(b"TREE")
        .u8(node_type)
        .u8(level)
        .u16(children.len() as u16)
        .offset(UNDEF)
        .offset(UNDEF);
    for (i, key) in keys.iter().enumerate() {
        e.bytes(key);
        if let Some(c) = children.get(i) {
            e.offset(*c);
        }
    }
    let mut out = e.finish();
    out.resize(btree_node_size(s, key_size, k), 0);
    out
}

/// Encode a chunk B-tree key: stored size, filter mask, rank+1 element offsets.
pub fn chunk_key(size: u32, mask: u32, offsets: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 8 * offsets.len());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&mask.to_le_bytes());
    for o in offsets {
        out.extend_from_slice(&o.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::superblock::test_util::{io_over, io_with};
    use crate::limits::Limits;

    #[rustfmt::skip]
    fn node(level: u8, children: &[u64]) -> Vec<u8> {
        let mut v = vec![
            b'T', b'R', b'E', b'E', // signature
            0,                      // node type: group
            level,                  // node level
        ];
        v.extend_from_slice(&(children.len() as u16).to_le_bytes()); // entries used
        v.extend_from_slice(&u64::MAX.to_le_bytes());    // left sibling
        v.extend_from_slice(&u64::MAX.to_le_bytes());    // right sibling
        for (i, c) in children.iter().enumerate() {
            v.extend_from_slice(&(i as u64 * 8).to_le_bytes()); // key i
            v.extend_from_slice(&c.to_le_bytes());       // child i
        }
        v.extend_from_slice(&999u64.to_le_bytes());      // last key
        v
    }

    #[rustfmt::skip]
    fn snod(names: &[u64]) -> Vec<u8> {
        let mut v = vec![b'S', b'N', b'O', b'D', 1, 0];  // signature, version, reserved
        v.extend_from_slice(&(names.len() as u16).to_le_bytes()); // number of symbols
        for &n in names {
            v.extend_from_slice(&n.to_le_bytes());       // link name offset
            v.extend_from_slice(&0x1234u64.to_le_bytes()); // object header address
            v.extend_from_slice(&[0u8; 24]);             // cache type 0, reserved, scratch
        }
        v
    }

    /// Root (level 1) at 0 -> two leaves at 256 and 512 -> SNODs at 768 and 1024.
    fn two_level(leaf2_child: u64, root_children: &[u64]) -> Vec<u8> {
        let mut f = vec![0u8; 1200];
        let mut put = |at: usize, b: Vec<u8>| f[at..at + b.len()].copy_from_slice(&b);
        put(0, node(1, root_children));
        put(256, node(0, &[768]));
        put(512, node(0, &[leaf2_child]));
        put(768, snod(&[8, 16]));
        put(1024, snod(&[24]));
        f
    }

    #[test]
    fn walks_two_levels_in_order() {
        let io = io_over(two_level(1024, &[256, 512]));
        let e = group_entries(&io, 0, &mut Budget::new(&io.limits)).unwrap();
        let names: Vec<u64> = e.iter().map(|x| x.link_name_offset).collect();
        assert_eq!(names, vec![8, 16, 24]);
    }

    #[test]
    fn rejects_cycles_levels_and_types() {
        // two leaves pointing at the same SNOD: cycle
        let io = io_over(two_level(768, &[256, 512]));
        let e = group_entries(&io, 0, &mut Budget::new(&io.limits)).unwrap_err();
        assert!(e.to_string().contains("cycle"), "{e}");
        // root pointing at itself: cycle
        let io = io_over(two_level(1024, &[0]));
        let e = group_entries(&io, 0, &mut Budget::new(&io.limits)).unwrap_err();
        assert!(e.to_string().contains("cycle"), "{e}");
        // Offset of the error after setting byte `at` of a valid tree to `v`.
        let broken_at = |at: usize, v: u8| {
            let mut f = two_level(1024, &[256, 512]);
            f[at] = v;
            let io = io_over(f);
            let e = group_entries(&io, 0, &mut Budget::new(&io.limits)).unwrap_err();
            e.offset()
        };
        // leaf with level 2 under a level-1 root
        assert_eq!(broken_at(261, 2), Some(261));
        // chunk node type
        assert_eq!(broken_at(4, 1), Some(4));
        // depth cap
        let l = Limits {
            max_btree_depth: 1,
            ..Limits::default()
        };
        let io = io_with(two_level(1024, &[256, 512]), l);
        assert!(matches!(
            group_entries(&io, 0, &mut Budget::new(&io.limits)),
            Err(Error::Limit { .. })
        ));
        // entries used beyond the file
        let mut f = two_level(1024, &[256, 512]);
        f[6] = 0xff;
        f[7] = 0xff;
        let io = io_over(f);
        assert!(group_entries(&io, 0, &mut Budget::new(&io.limits)).is_err());
        // bad signature
        let mut f = two_level(1024, &[256, 512]);
        f[256] = b'X';
        let io = io_over(f);
        assert_eq!(
            group_entries(&io, 0, &mut Budget::new(&io.limits))
                .unwrap_err()
                .offset(),
            Some(256)
        );
    }
}
