//! Every read-side cap of `Limits` triggers: walking the committed fixtures with that one cap
//! tightened gives an `Error::Limit` naming it (the group-depth cap, enforced by `dump`,
//! gives an error entry naming it). Each test also checks the same walk passes with default
//! limits, so the error really comes from the tightened cap.

use std::path::PathBuf;

use pymodaq_h5::hdf5::read::{File, Group, Node};
use pymodaq_h5::{Error, Limits};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/hdf5")
        .join(name)
}

/// Open `name` and read everything (links, objects, attributes and their values, dataset
/// values), collecting every error instead of stopping at the first.
fn walk_errors(name: &str, limits: Limits) -> Vec<Error> {
    let mut errs = Vec::new();
    match File::open_with_limits(fixture(name), limits) {
        Err(e) => errs.push(e),
        Ok(f) => match f.root() {
            Err(e) => errs.push(e),
            Ok(root) => walk_group(&f, &root, 0, &mut errs),
        },
    }
    errs
}

fn walk_object(obj: &pymodaq_h5::hdf5::read::Object, errs: &mut Vec<Error>) {
    match obj.attributes() {
        Err(e) => errs.push(e),
        Ok(attrs) => {
            for a in attrs {
                if let Err(e) = a.values() {
                    errs.push(e);
                }
            }
        }
    }
}

fn walk_group(f: &File, g: &Group, depth: u32, errs: &mut Vec<Error>) {
    walk_object(g.object(), errs);
    if depth > 32 {
        return;
    }
    let links = match g.links() {
        Ok(l) => l,
        Err(e) => return errs.push(e),
    };
    for link in links {
        let mut d = 0;
        match f.follow(g, &link, &mut d) {
            Ok(Node::Group(c)) => walk_group(f, &c, depth + 1, errs),
            Ok(Node::Dataset(ds)) => {
                walk_object(ds.object(), errs);
                if let Err(e) = ds.read_raw() {
                    errs.push(e);
                }
            }
            Ok(Node::Datatype(o)) => walk_object(&o, errs),
            Err(e) => errs.push(e),
        }
    }
}

/// With default limits a fixture walks without errors, apart from features outside the
/// read subset (`Unsupported`, e.g. external links, which are not followed).
fn assert_clean(name: &str) {
    let mut errs = walk_errors(name, Limits::default());
    errs.retain(|e| !matches!(e, Error::Unsupported { .. }));
    assert!(errs.is_empty(), "{name} with default limits: {errs:?}");
}

/// Tighten one cap with `set`, walk `name`, and require a limit error naming `cap` with a
/// byte offset; returns it for further checks.
fn expect_limit(name: &str, cap: &'static str, set: impl Fn(&mut Limits)) -> Error {
    assert_clean(name);
    let mut l = Limits::default();
    set(&mut l);
    let errs = walk_errors(name, l);
    let pos = errs
        .iter()
        .position(|e| matches!(e, Error::Limit { name, .. } if *name == cap));
    let Some(pos) = pos else {
        panic!("{name}: no {cap} limit error; got {errs:?}");
    };
    let e = errs.into_iter().nth(pos).unwrap();
    let msg = e.to_string();
    assert!(msg.contains(cap), "message does not name the cap: {msg}");
    e
}

#[test]
fn max_alloc() {
    // Object headers are read into buffers checked against max_alloc.
    let e = expect_limit("h5py_default_layouts.h5", "max_alloc", |l| l.max_alloc = 64);
    assert!(e.offset().is_some());
}

#[test]
fn max_read_total() {
    let e = expect_limit("h5py_default_layouts.h5", "max_read_total", |l| {
        l.max_read_total = 16
    });
    if let Error::Limit { limit, needed, .. } = e {
        assert_eq!(limit, 16);
        assert!(needed > 16);
    }
}

#[test]
fn max_rank() {
    // Every non-scalar dataspace has rank >= 1.
    expect_limit("h5py_default_layouts.h5", "max_rank", |l| l.max_rank = 0);
}

#[test]
fn max_continuations() {
    // PyTables object headers with many attributes spill into continuation blocks.
    expect_limit("pt_attrs.h5", "max_continuations", |l| {
        l.max_continuations = 0
    });
}

#[test]
fn max_messages() {
    expect_limit("h5py_default_layouts.h5", "max_messages", |l| {
        l.max_messages = 2
    });
}

#[test]
fn max_btree_depth() {
    // 1000+ links in a symbol-table group: the group B-tree has an internal level.
    expect_limit("pt_big_group.h5", "max_btree_depth", |l| {
        l.max_btree_depth = 0
    });
}

#[test]
fn max_btree_depth_chunk_index() {
    // Chunk B-trees (v1 and v2) obey the same cap.
    expect_limit("h5py_default_layouts.h5", "max_btree_depth", |l| {
        l.max_btree_depth = 0
    });
}

#[test]
fn max_decompression_ratio() {
    // Deflated chunks of regular data compress far better than 1:1.
    expect_limit("h5py_default_layouts.h5", "max_decompression_ratio", |l| {
        l.max_decompression_ratio = 1
    });
}

#[test]
fn max_attribute_size() {
    expect_limit("pt_attrs.h5", "max_attribute_size", |l| {
        l.max_attribute_size = 1
    });
}

#[test]
fn max_heap_object_local_heap() {
    // PyTables groups are symbol tables whose names live in a local heap.
    expect_limit("pt_big_group.h5", "max_heap_object", |l| {
        l.max_heap_object = 8
    });
}

#[test]
fn max_heap_object_global_heap() {
    // Variable-length strings live in global heap collections.
    expect_limit("pt_vlarray.h5", "max_heap_object", |l| {
        l.max_heap_object = 1
    });
}

#[test]
fn max_heap_object_fractal_heap() {
    // Dense link storage: link messages are fractal heap objects.
    expect_limit("h5py_latest_dense.h5", "max_heap_object", |l| {
        l.max_heap_object = 1
    });
}

#[test]
fn max_work() {
    expect_limit("pt_big_group.h5", "max_work", |l| l.max_work = 10);
}

#[test]
fn max_group_depth_via_dump() {
    let path = fixture("pt_big_group.h5");
    let mut l = Limits::default();
    let ok = File::open_with_limits(&path, l).unwrap();
    assert!(!pymodaq_h5::dump::dump_file(&ok, "x").unwrap().had_errors);
    l.max_group_depth = 0;
    let f = File::open_with_limits(&path, l).unwrap();
    let d = pymodaq_h5::dump::dump_file(&f, "x").unwrap();
    assert!(d.had_errors);
    let text = d.json.to_string();
    assert!(text.contains("max_group_depth"), "{text}");
}
