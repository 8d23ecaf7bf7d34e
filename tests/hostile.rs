//! Known-bad files: every file under `fixtures/hostile/` (the HDF Group CVE reproducers in
//! `cve/`, our crafted damage in `crafted/<class>/`) must open-and-dump to a clean `Err` or
//! to a dump with error entries: never a panic, in under a second each, with bounded memory.
//!
//! Memory is bounded by construction (every allocation sized by file data is checked against
//! `Limits::max_alloc`, here 8 MiB); `peak_rss_is_bounded` also measures the peak resident set
//! of a child process that walks them all.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::{Error, Limits};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every data file under `dir` (text files that document the corpus are skipped).
pub fn data_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                walk(&p, out);
            } else if !(name.ends_with(".md")
                || name.ends_with(".py")
                || name.ends_with(".txt")
                || name == "COPYING")
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// Tight caps: 8 MiB per allocation and per read, a small work budget.
fn tight() -> Limits {
    let mut l = Limits::default();
    l.max_alloc = 8 << 20;
    l.max_read_total = 8 << 20;
    l.max_heap_object = 8 << 20;
    l.max_attribute_size = 8 << 20;
    l.max_work = 500_000;
    l
}

/// Open and dump; `Ok(true)` when some error was reported (open error or error entries).
fn walk(bytes: Vec<u8>) -> Result<bool, ()> {
    catch_unwind(AssertUnwindSafe(|| {
        match File::from_bytes_with_limits(bytes, tight()) {
            Err(e) => {
                check_error(&e);
                true
            }
            Ok(f) => match pymodaq_h5::dump::dump_file(&f, "hostile.h5") {
                Err(e) => {
                    check_error(&e);
                    true
                }
                Ok(d) => d.had_errors,
            },
        }
    }))
    .map_err(|_| ())
}

/// Errors from damaged files must say where: format errors carry a structure name; limit
/// errors name the cap.
fn check_error(e: &Error) {
    match e {
        Error::Format(f) => assert!(!f.structure.is_empty(), "format error without structure"),
        Error::Limit { name, .. } => assert!(!name.is_empty()),
        Error::Unsupported { what, .. } => assert!(!what.is_empty()),
        Error::Io(_) | Error::Usage(_) => {}
        #[allow(unreachable_patterns)]
        _ => {}
    }
}

#[test]
fn hostile_files_give_errors_not_panics() {
    let files = data_files(&root().join("fixtures/hostile"));
    assert!(files.len() > 50, "hostile corpus missing: {}", files.len());
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    let mut clean = Vec::new();
    for p in &files {
        let rel = p.strip_prefix(root()).unwrap().display().to_string();
        let bytes = std::fs::read(p).unwrap();
        let t = Instant::now();
        let r = walk(bytes);
        let dt = t.elapsed();
        match r {
            Err(()) => failures.push(format!("{rel}: PANIC")),
            Ok(_) if dt > Duration::from_secs(1) => failures.push(format!("{rel}: took {dt:?}")),
            // A crafted file that reads cleanly means the damage was not detected.
            Ok(false) if rel.contains("/crafted/") => clean.push(rel),
            Ok(_) => {}
        }
    }
    std::panic::set_hook(prev);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        clean.is_empty(),
        "crafted files read without any error:\n{}",
        clean.join("\n")
    );
}

/// Same bytes from a file on disk and from memory give the same outcome.
#[test]
fn hostile_files_same_from_disk_and_memory() {
    let files = data_files(&root().join("fixtures/hostile"));
    for p in &files {
        let bytes = std::fs::read(p).unwrap();
        let a = File::from_bytes_with_limits(bytes, tight())
            .map(|f| pymodaq_h5::dump::dump_file(&f, "x").map(|d| d.json.to_string()));
        let b = File::open_with_limits(p, tight())
            .map(|f| pymodaq_h5::dump::dump_file(&f, "x").map(|d| d.json.to_string()));
        let flat = |r: Result<Result<String, Error>, Error>| match r {
            Ok(Ok(s)) => s,
            Ok(Err(e)) | Err(e) => format!("error: {e}"),
        };
        assert_eq!(flat(a), flat(b), "{}", p.display());
    }
}

/// Peak memory of a process walking every hostile file stays small. The walk runs in a
/// child process (this test binary, re-run with an environment variable) so other tests'
/// memory does not count.
#[test]
fn peak_rss_is_bounded() {
    if std::env::var_os("HOSTILE_RSS_CHILD").is_some() {
        return; // the child runs `rss_child` only
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "rss_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("HOSTILE_RSS_CHILD", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {text}");
    let Some(kb) = text
        .lines()
        .find_map(|l| l.strip_prefix("PEAK_RSS_KB="))
        .and_then(|s| s.trim().parse::<u64>().ok())
    else {
        // No /proc (not Linux): nothing to measure.
        return;
    };
    // Caps are 8 MiB per allocation; a few live at once plus the corpus itself.
    assert!(kb < 256 * 1024, "peak RSS {kb} kB");
}

/// The child half of `peak_rss_is_bounded`.
#[test]
#[ignore]
fn rss_child() {
    if std::env::var_os("HOSTILE_RSS_CHILD").is_none() {
        return;
    }
    std::panic::set_hook(Box::new(|_| {}));
    for p in data_files(&root().join("fixtures/hostile")) {
        let _ = walk(std::fs::read(&p).unwrap());
    }
    if let Ok(s) = std::fs::read_to_string("/proc/self/status") {
        if let Some(l) = s.lines().find(|l| l.starts_with("VmHWM:")) {
            let kb: String = l.chars().filter(|c| c.is_ascii_digit()).collect();
            println!("PEAK_RSS_KB={kb}");
        }
    }
}
