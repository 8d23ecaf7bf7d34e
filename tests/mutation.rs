//! Damaged files never panic or hang: every fixture is truncated at many points and hit by
//! seeded random byte changes, and each damaged image is walked completely (every group,
//! attribute and dataset value, as `dump` does). Each case must end, with a value or an
//! error, in under a second.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::Limits;

use common::Rng;

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_alloc = 64 << 20;
    l.max_read_total = 64 << 20;
    l.max_work = 2_000_000;
    l
}

/// Walk everything; return whether it ended without a panic, and how long it took.
fn walk(bytes: Vec<u8>) -> (bool, Duration) {
    let t = Instant::now();
    let ok = catch_unwind(AssertUnwindSafe(|| {
        if let Ok(f) = File::from_bytes_with_limits(bytes, limits()) {
            let _ = pymodaq_h5::dump::dump_file(&f, "mutant.h5");
        }
    }))
    .is_ok();
    (ok, t.elapsed())
}

#[test]
fn damaged_fixtures_give_errors_not_panics() {
    // Valid files from the real producers (those with a golden dump); the hostile corpus is
    // already broken and has its own test.
    let files: Vec<_> = common::fixture_files()
        .into_iter()
        .filter(|p| p.with_extension("json").exists())
        .collect();
    assert!(files.len() >= 10, "no fixtures");
    let per_file_random: usize = std::env::var("MUTATIONS_PER_FILE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(250);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut cases = 0usize;
    let mut failures = Vec::new();
    let mut slowest = Duration::ZERO;
    // One second per case in optimised builds (as CI runs it); unoptimised builds get slack.
    let limit = if cfg!(debug_assertions) {
        Duration::from_secs(20)
    } else {
        Duration::from_secs(1)
    };
    let prev_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for path in &files {
        let orig = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut run = |label: String, bytes: Vec<u8>, failures: &mut Vec<String>| {
            let (ok, dt) = walk(bytes);
            cases += 1;
            slowest = slowest.max(dt);
            if !ok {
                failures.push(format!("{name}: {label}: PANIC"));
            } else if dt > limit {
                failures.push(format!("{name}: {label}: took {dt:?}"));
            }
        };
        // Truncations: 32 evenly spaced cut points plus the first bytes.
        let n = orig.len();
        let mut cuts: Vec<usize> = (1..32).map(|i| n * i / 32).collect();
        cuts.extend([0, 8, 40, 100, 200, 600]);
        for c in cuts {
            if c < n {
                run(
                    format!("truncated at {c}"),
                    orig[..c].to_vec(),
                    &mut failures,
                );
            }
        }
        // Random damage: 1-8 bytes changed per case, biased to the metadata-rich start.
        for i in 0..per_file_random {
            let mut b = orig.clone();
            let k = 1 + rng.below(8) as usize;
            let mut desc = Vec::new();
            for _ in 0..k {
                let pos = if i % 2 == 0 {
                    rng.below(n.min(4096) as u64) as usize
                } else {
                    rng.below(n as u64) as usize
                };
                let val = match rng.below(4) {
                    0 => 0xff,
                    1 => 0,
                    _ => rng.next() as u8,
                };
                b[pos] = val;
                desc.push(format!("{pos}={val:#04x}"));
            }
            run(format!("bytes {}", desc.join(",")), b, &mut failures);
        }
    }
    std::panic::set_hook(prev_hook);
    assert!(
        failures.is_empty(),
        "{} of {cases} damaged cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{cases} damaged cases, no panic, slowest {slowest:?}");
}
