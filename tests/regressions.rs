//! Replays every minimised fuzz finding under `fuzz/regressions/<class>/` through the
//! whole-file walk (open + dump, as the `file_walk` target does) and through the group walk
//! that follows soft links (as the `group_walk` target does): each must end without a panic
//! in under a second.
//!
//! Findings so far: `timeout/group_walk_soft_links_through_dense_group.h5` (a 1000-member
//! dense group of soft links: every path resolution re-decoded the whole group, 2 s; group
//! listings are now decoded once per open file).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pymodaq_h5::hdf5::read::{File, Group, Node};
use pymodaq_h5::Limits;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_none_or(|x| x != "md") {
            out.push(p);
        }
    }
}

/// The `group_walk` fuzz target's walk: every link followed (soft links resolved by path).
fn group_walk(f: &File, g: &Group, depth: u32, budget: &mut u32) {
    if depth > 16 {
        return;
    }
    let _ = g.object().attributes();
    let Ok(links) = g.links() else { return };
    for link in links {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let mut d = 0;
        match f.follow(g, &link, &mut d) {
            Ok(Node::Group(child)) => group_walk(f, &child, depth + 1, budget),
            Ok(Node::Dataset(ds)) => {
                let _ = ds.object().attributes();
            }
            _ => {}
        }
    }
}

#[test]
fn fuzz_regressions_replay_cleanly() {
    let mut all = Vec::new();
    files(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions"),
        &mut all,
    );
    all.sort();
    let limits = Limits::fuzzing();
    let mut failures = Vec::new();
    for p in &all {
        let bytes = std::fs::read(p).unwrap();
        let t = Instant::now();
        let ok = catch_unwind(AssertUnwindSafe(|| {
            if let Ok(f) = File::from_bytes_with_limits(bytes, limits) {
                let _ = pymodaq_h5::dump::dump_file(&f, "regression.h5");
                if let Ok(root) = f.root() {
                    group_walk(&f, &root, 0, &mut 2_000);
                }
            }
        }))
        .is_ok();
        let dt = t.elapsed();
        if !ok {
            failures.push(format!("{}: PANIC", p.display()));
        } else if dt > Duration::from_secs(1) {
            failures.push(format!("{}: took {dt:?}", p.display()));
        }
    }
    assert!(!all.is_empty(), "no regression files found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
