//! Replays every minimised fuzz crash under `fuzz/regressions/` through the whole-file walk
//! (open + dump, as the `file_walk` target does): each must end without a panic in under a
//! second.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pymodaq_h5::hdf5::read::File;
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

#[test]
fn fuzz_regressions_replay_cleanly() {
    let mut all = Vec::new();
    files(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions"),
        &mut all,
    );
    all.sort();
    let mut limits = Limits::default();
    limits.max_alloc = 16 << 20;
    limits.max_read_total = 16 << 20;
    limits.max_work = 200_000;
    let mut failures = Vec::new();
    for p in &all {
        let bytes = std::fs::read(p).unwrap();
        let t = Instant::now();
        let ok = catch_unwind(AssertUnwindSafe(|| {
            if let Ok(f) = File::from_bytes_with_limits(bytes, limits) {
                let _ = pymodaq_h5::dump::dump_file(&f, "regression.h5");
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
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
