//! Editing a symbol-table group of a reopened file does not leak its structures (issue
//! 18): a group of 1000 members, made by h5py (libhdf5's half-full SNODs, an internal
//! B-tree level) and by PyTables (`pt_big_group.h5`), gains a member in each of six
//! separate opens (with an attribute, and an attribute rewritten on an old member).
//!
//! The first open rewrites the group's SNODs (ours hold 8 entries) and frees libhdf5's;
//! each later open rewrites only what the new name changes: the last SNOD and the nodes
//! above it (the others are kept where they are, byte for byte), its name goes in place
//! into the local heap's free block. So an open grows the file by exactly the new group
//! (header, local heap, B-tree root) plus one SNOD and one node per level below the root,
//! plus the continuation block of the header whose attribute changed (rewritten at new
//! space; the old one is freed but still cooling when a short open closes): before, by every SNOD and node of the group and a new local heap segment each time
//! (41 KB and 16 KB here). h5py reads every member and value after every open.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use pymodaq_h5::hdf5::message::{kind, Message};
use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::hdf5::write::*;

use common::recording::{acknowledged, apply, Recording};

const SESSIONS: usize = 6;
const SNOD: u64 = 328;
const NODE: u64 = 544;

fn le(b: &[u8], at: u64, n: usize) -> u64 {
    let at = at as usize;
    let mut v = [0u8; 8];
    v[..n].copy_from_slice(&b[at..at + n]);
    u64::from_le_bytes(v)
}

/// (local heap address, data segment size, B-tree root address) of the group at `path`.
fn symbol_table(h5: &Path, path: &str) -> (u64, u64, u64) {
    let f = File::open(h5).unwrap();
    let n = f.get(path).unwrap();
    let Some(Message::SymbolTable(st)) = n.object().first(kind::SYMBOL_TABLE).unwrap() else {
        panic!("{path}: no symbol table")
    };
    let b = std::fs::read(h5).unwrap();
    let seg = le(&b, st.local_heap_address + 8, 8);
    (st.local_heap_address, seg, st.btree_address)
}

/// Bytes of the new (empty, one attribute) group at `path` we wrote: its v1 header (16-byte
/// prefix + the size it declares), local heap header (32) and segment, B-tree root.
fn new_group_bytes(h5: &Path, path: &str) -> u64 {
    let f = File::open(h5).unwrap();
    let addr = f.get(path).unwrap().object().address();
    let b = std::fs::read(h5).unwrap();
    assert_eq!(b[addr as usize], 1, "{path}: v1 header");
    let (_, seg, _) = symbol_table(h5, path);
    16 + le(&b, addr + 8, 4) + 32 + seg + NODE
}

/// Bytes of the continuation blocks of the header at `path` (an edit rewrites them at new
/// space: the old ones are freed, reusable only after their cool-down, so left behind by a
/// short open).
fn continuation_bytes(h5: &Path, path: &str) -> u64 {
    use pymodaq_h5::hdf5::cursor::Sizes;
    use pymodaq_h5::hdf5::object_header::edit::EditableHeader;
    let f = File::open(h5).unwrap();
    let addr = f.get(path).unwrap().object().address();
    let b = std::fs::read(h5).unwrap();
    let sizes = Sizes {
        offsets: 8,
        lengths: 8,
    };
    let h = EditableHeader::load(addr, sizes, &Default::default(), &|a, l| {
        Ok(b[a as usize..(a + l) as usize].to_vec())
    })
    .unwrap();
    h.chunks.iter().skip(1).map(|c| c.size() as u64).sum()
}

/// SNODs and non-root nodes of the tree we write for `n` entries (8 per SNOD, 32 children
/// per node): (SNODs, non-root nodes in all, non-root levels).
fn our_tree(n: u64) -> (u64, u64, u64) {
    let snods = n.div_ceil(8);
    let (mut s, mut nodes, mut levels) = (snods, 0, 0);
    while s > 32 {
        s = s.div_ceil(32);
        nodes += s;
        levels += 1;
    }
    (snods, nodes, levels)
}

#[test]
fn reopened_group_edits_do_not_leak() {
    let dir = common::temp_dir("group-space");
    let py = common::python();
    let pt = dir.join("pt_big_group.h5");
    std::fs::copy(common::root().join("fixtures/hdf5/pt_big_group.h5"), &pt).unwrap();
    let mut files = vec![pt];
    if let Some(py) = &py {
        let h = dir.join("h5py_big_group.h5");
        common::run_py(py, "tests/py/make_big_group.py", [h.as_os_str()]);
        files.push(h);
    }
    for h5 in &files {
        let name = h5.file_name().unwrap().to_string_lossy().to_string();
        let (mut heap, _, _) = symbol_table(h5, "/big");
        let seg_at = |h5: &Path, heap: u64| {
            let b = std::fs::read(h5).unwrap();
            le(&b, heap + 24, 8)
        };
        let mut seg_addr = seg_at(h5, heap);
        let mut size = std::fs::metadata(h5).unwrap().len();
        for k in 0..SESSIONS {
            let z = format!("/big/zz{k:02}");
            {
                let mut w = Writer::open(h5, WriteOptions::default()).unwrap();
                w.create_group(&z).unwrap();
                w.set_attr(&z, "k", AttrValue::I64(k as i64)).unwrap();
                w.set_attr("/big/m0010", "rev", AttrValue::I64(k as i64))
                    .unwrap();
                w.close().unwrap();
            }
            let now = std::fs::metadata(h5).unwrap().len();
            let grown = now.saturating_sub(size);
            let g = new_group_bytes(h5, &z);
            let c = continuation_bytes(h5, "/big/m0010");
            let n = 1000 + k as u64 + 1;
            let (snods, nodes, levels) = our_tree(n);
            // A new local heap segment when the names outgrew it (the old one freed):
            // PyTables' and h5py's heaps keep room for names, ours too, so none here.
            let (heap1, seg1, _) = symbol_table(h5, "/big");
            assert_eq!(heap1, heap, "{name}: the heap header stays");
            let seg_addr1 = seg_at(h5, heap);
            let moved = if seg_addr1 != seg_addr { seg1 } else { 0 };
            let bound = if k == 0 {
                // Every SNOD and node anew (libhdf5's freed).
                g + snods * SNOD + nodes * NODE + c + moved
            } else {
                g + SNOD + levels * NODE + c + moved
            };
            assert!(
                grown <= bound,
                "{name}, open {k}: grew {grown} bytes, bound {bound} (new group {g}, \
                 {snods} SNODs, {nodes} nodes, continuation {c})"
            );
            eprintln!("{name}, open {k}: grew {grown}, bound {bound}");
            size = now;
            assert_eq!(moved, 0, "{name}, open {k}: the heap had room");
            (heap, seg_addr) = (heap1, seg_addr1);
            // Our reader: every member.
            let f = File::open(h5).unwrap();
            let links = f.get("/big").unwrap();
            let pymodaq_h5::hdf5::read::Node::Group(gr) = links else {
                panic!("/big")
            };
            assert_eq!(gr.links().unwrap().len(), 1000 + k + 1, "{name}");
            if let Some(py) = &py {
                let out = common::run_py(
                    py,
                    "tests/py/check_big_group.py",
                    [h5.as_os_str(), std::ffi::OsStr::new(&(k + 1).to_string())],
                );
                assert_eq!(
                    String::from_utf8_lossy(&out.stdout).trim(),
                    "ok",
                    "{name}, open {k}"
                );
            }
        }
        common::h5dump_ok(h5, &name);
    }
}

/// A kill at any point of such an edit leaves a file that opens: five groups added one by
/// one to PyTables' /big (names into the local heap's free block in place), every write
/// recorded. After every prefix of the writes our reader lists the 1000 members and the
/// new groups linked by then (at least those whose link call returned, each whole), and
/// libhdf5 (h5py, which checks the heap's free list) lists the same.
#[test]
fn every_prefix_of_a_group_edit_opens() {
    let src = std::fs::read(common::root().join("fixtures/hdf5/pt_big_group.h5")).unwrap();
    let mut m = MemWriteStorage::new();
    m.write_at(0, &src).unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let rec = Recording {
        inner: m,
        log: log.clone(),
    };
    let mut done = Vec::new();
    {
        let mut w = Writer::open_with_storage(Box::new(rec), WriteOptions::default()).unwrap();
        for k in 0..5 {
            w.create_group(&format!("/big/zz{k:02}")).unwrap();
            done.push((log.lock().unwrap().len(), k + 1));
        }
        w.close().unwrap();
    }
    let ops = log.lock().unwrap().clone();
    let dir = common::temp_dir("group-replay");
    let mut img = src.clone();
    let mut files = Vec::new();
    let mut want = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        apply(&mut img, op);
        let k = i + 1;
        let f = File::from_bytes(img.clone()).unwrap_or_else(|e| panic!("prefix {k}: {e}"));
        let pymodaq_h5::hdf5::read::Node::Group(g) = f.get("/big").unwrap() else {
            panic!("prefix {k}: /big")
        };
        let names: Vec<String> = g.links().unwrap().into_iter().map(|l| l.name).collect();
        let new = names.len() - 1000;
        assert!(
            new >= acknowledged(&done, k) && new <= 5,
            "prefix {k}: {new} new"
        );
        for (j, n) in names.iter().enumerate() {
            let expect = if j < 1000 {
                format!("m{j:04}")
            } else {
                format!("zz{:02}", j - 1000)
            };
            assert_eq!(n, &expect, "prefix {k}");
            let p = format!("/big/{n}");
            f.get(&p).unwrap_or_else(|e| panic!("prefix {k}: {p}: {e}"));
        }
        let path = dir.join(format!("p{k:03}.h5"));
        std::fs::write(&path, &img).unwrap();
        files.push(path.into_os_string());
        want.push(names.len());
    }
    let Some(py) = common::python() else { return };
    let code = "import sys, h5py\n\
                for p in sys.argv[1:]:\n\
                \x20   with h5py.File(p, 'r') as f:\n\
                \x20       g = f['big']\n\
                \x20       print(sum(1 for n in g if g[n] is not None))\n";
    let out = common::run_py_code(&py, code, &files);
    let got: Vec<usize> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(got, want, "members h5py lists after each prefix");
}
