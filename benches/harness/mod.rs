//! What both benchmark targets share: a child process per repetition (the bench binary
//! re-executed with `BENCH_CHILD`, or a Python script), its one-line JSON report, medians.

#![allow(dead_code)] // each bench target uses its own part

use std::path::{Path, PathBuf};
use std::process::Command;

pub mod limits;

/// One repetition: timed seconds, the amount it processed (bytes, points...), peak RSS.
#[derive(Clone, Debug)]
pub struct Run {
    pub seconds: f64,
    pub amount: u64,
    pub rss_kib: u64,
}

/// Peak resident set size of this process, KiB.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// The last JSON line of a child's output: `{"seconds", <key>, "rss_kib"}`.
pub fn parse_run(out: &[u8], key: &str) -> Option<Run> {
    let text = String::from_utf8_lossy(out);
    let line = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))?;
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    Some(Run {
        seconds: v["seconds"].as_f64()?,
        amount: v[key].as_u64()?,
        rss_kib: v["rss_kib"].as_u64()?,
    })
}

/// Before every repetition: the dirty pages of earlier runs written back (`sync`), so no
/// run pays for the writeback of the one before it (that made single runs 5-10x slower
/// at random and favoured whichever side ran after a reader).
pub fn settle() {
    let _ = Command::new("sync").status();
}

/// Run `spec` in a fresh copy of this bench binary (`BENCH_CHILD`).
pub fn ours(spec: &str, key: &str) -> Run {
    settle();
    let out = Command::new(std::env::current_exe().expect("bench executable"))
        .env("BENCH_CHILD", spec)
        .output()
        .expect("re-exec bench child");
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_run(&out.stdout, key).expect("child output")
}

/// [`ours`], with the failure as a message instead of a panic.
pub fn try_ours(spec: &str, key: &str) -> Result<Run, String> {
    settle();
    let out = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .env("BENCH_CHILD", spec)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "child failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse_run(&out.stdout, key).ok_or_else(|| "no report line".into())
}

/// Run the Python side `script` (under the project root) with `args`; `None` when it fails.
pub fn python(py: &Path, script: &str, args: &[&str], key: &str) -> Option<Run> {
    settle();
    let out = Command::new(py)
        .arg(root().join(script))
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("{script} failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    parse_run(&out.stdout, key)
}

/// Run a peer driver binary (bench/peers) with `args`; the error says why it could not run.
pub fn peer(bin: &Path, args: &[&str], key: &str) -> Result<Run, String> {
    if !bin.exists() {
        return Err(format!("not built ({})", bin.display()));
    }
    settle();
    let out = Command::new(bin)
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        // The panic message, without the backtrace hint.
        let why = err
            .lines()
            .find(|l| !l.trim().is_empty() && !l.starts_with("note:"))
            .unwrap_or("failed")
            .to_string();
        return Err(why);
    }
    parse_run(&out.stdout, key).ok_or_else(|| "no report line".into())
}

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Median seconds, the largest peak RSS, the first run's amount.
pub fn median_run(runs: Vec<Run>) -> Run {
    let rss = runs.iter().map(|r| r.rss_kib).max().unwrap_or(0);
    let amount = runs.first().map_or(0, |r| r.amount);
    let mut secs: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
    secs.sort_by(|a, b| a.total_cmp(b));
    Run {
        seconds: secs.get(secs.len() / 2).copied().unwrap_or(f64::NAN),
        amount,
        rss_kib: rss,
    }
}
