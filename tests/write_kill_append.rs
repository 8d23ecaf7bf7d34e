//! Crash tests for appending to existing files, one workload per write profile. A child
//! process (this test binary re-executed with an env var) opens a copy of a file another
//! library wrote, with `Writer::open`, appends rows, adds groups and attributes, flushing now
//! and then, and is killed with SIGKILL at random moments:
//! - PyTables profile: the PyTables fixture `pt_carray_zoo.h5` (EArrays under a 2-level
//!   v1 B-tree written by HDF5, a 1-D EArray), and the same file behind a 512-byte user
//!   block (made by HDF5's `h5jam` when installed: every address shifted by the base);
//! - HDF5 1.10 profile: an h5py `libver='latest'` file, the same with paged aggregation
//!   (4 KiB pages, persisted free space) or with 4-byte offsets, or one h5py wrote in SWMR
//!   mode (`tests/py/reopen_v110.py gen`), with extensible-array datasets (one empty at
//!   first); the same content in a superblock-v0 file of 4-byte offsets and lengths and
//!   B-tree K values 8/2/16 (v1 B-tree chunk index, symbol-table groups).
//!
//! Every file must open in our reader (the whole file dumps without error) and in h5py (a
//! sample; normal and SWMR for 1.10), keep the original rows, and hold at least the rows of
//! the last flush the child reported, with no torn row.
#![cfg(unix)]

mod common;

use common::Rng;

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "PYMODAQ_H5_KILL_APPEND_CHILD";
const CHILD_ENV_V110: &str = "PYMODAQ_H5_KILL_APPEND_V110_CHILD";
const ROWS: &str = "/Raw_datas/Scan000/earray_rows";
const ONE_D: &str = "/Raw_datas/Scan000/earray_1d_uint16";

/// Prints the child's commit marker (`FLUSHED n`, read by `common::kill_child`).
fn flushed(out: &mut std::io::Stdout, n: u64) {
    writeln!(out, "FLUSHED {n}").unwrap();
    out.flush().unwrap();
}

/// Child mode (PyTables file): does nothing unless `CHILD_ENV` names the file to extend.
#[test]
fn kill_append_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut w = Writer::open(&path, WriteOptions::default()).unwrap();
    let er = w.open_dataset(ROWS).unwrap();
    let e1 = w.open_dataset(ONE_D).unwrap();
    let mut out = std::io::stdout();
    flushed(&mut out, 0);
    let mut n = 0u64;
    let mut flushes = 0u64;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        let k = 1 + (n * 7919 % 7);
        let rows: Vec<f64> = (n..n + k).flat_map(|i| [1e6 + i as f64; 8]).collect();
        w.append(&er, &rows).unwrap();
        let v: Vec<u16> = (n..n + k).map(|i| (i % 60000) as u16).collect();
        w.append(&e1, &v).unwrap();
        n += k;
        if n.is_multiple_of(2) || k > 4 {
            flushes += 1;
            if flushes.is_multiple_of(5) {
                w.create_group(&format!("/Raw_datas/g{flushes:06}"))
                    .unwrap();
                w.set_attr(ROWS, "n_rows_appended", n as i64).unwrap();
            }
            w.flush().unwrap();
            flushed(&mut out, n);
        }
    }
}

/// Child mode (1.10 file): does nothing unless `CHILD_ENV_V110` names the file to extend.
#[test]
fn kill_append_v110_child() {
    let Ok(path) = std::env::var(CHILD_ENV_V110) else {
        return;
    };
    let mut w = Writer::open(&path, WriteOptions::default()).unwrap();
    let scan = w.open_dataset("/g/scan").unwrap();
    let empty = w.open_dataset("/g/empty").unwrap();
    let mut out = std::io::stdout();
    flushed(&mut out, 0);
    let (mut n, mut flushes) = (0u64, 0u64);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        let k = 1 + (n * 7919 % 5);
        // Row i of /g/scan is [3i, 3i+1, 3i+2]; the file starts with 5 rows.
        let rows: Vec<f64> = (3 * (5 + n)..3 * (5 + n + k)).map(|x| x as f64).collect();
        w.append(&scan, &rows).unwrap();
        let e: Vec<f64> = (n..n + k).flat_map(|j| [j as f64; 3]).collect();
        w.append(&empty, &e).unwrap();
        n += k;
        flushes += 1;
        if flushes.is_multiple_of(4) {
            w.create_group(&format!("/g/k{flushes:06}")).unwrap();
            w.set_attr("/g/scan", "appended", n as i64).unwrap();
        }
        w.flush().unwrap();
        flushed(&mut out, n);
    }
}

fn data<T: pymodaq_h5::hdf5::read::Element>(f: &File, name: &str) -> Vec<T> {
    match f.get(name).unwrap() {
        Node::Dataset(d) => d.read::<T>().unwrap(),
        _ => panic!("{name} is not a dataset"),
    }
}

/// One kill campaign.
struct Campaign<'a> {
    /// Names the seed line.
    what: &'a str,
    /// The child test's name and the env var that hands it the file.
    child: &'a str,
    env: &'a str,
    /// Trials unless `PYMODAQ_H5_KILL_TRIALS` says otherwise.
    trials: u64,
    /// Trial `t` extends a copy of `bases[t % len]`, made in `dir`.
    bases: &'a [PathBuf],
    dir: &'a Path,
}

/// Runs the campaign: trial `t` copies its base, runs the child on the copy and kills it
/// after a random delay; the file must dump without error and pass `check(trial label,
/// file, rows acknowledged)`. Returns the kept sample (trials where `keep(t)`, with their
/// acknowledged rows); the others are deleted.
fn kill_trials(
    c: &Campaign,
    keep: impl Fn(u64) -> bool,
    check: impl Fn(&str, &File, u64),
) -> Vec<(PathBuf, u64)> {
    let Campaign {
        what,
        child,
        env,
        bases,
        dir,
        ..
    } = *c;
    let trials: u64 = std::env::var("PYMODAQ_H5_KILL_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(c.trials);
    let seed = common::time_seed(&format!("{what} test"));
    let mut rng = Rng(seed);
    let mut sample = Vec::new();
    let mut max_acked = 0;
    for t in 0..trials {
        let base = &bases[t as usize % bases.len()];
        let label = format!(
            "trial {t} ({})",
            base.file_name().unwrap().to_string_lossy()
        );
        let path = dir.join(format!("k{t}.h5"));
        std::fs::copy(base, &path).unwrap();
        let delay = Duration::from_micros(rng.next() % 150_000);
        let acked = common::kill_child(child, &[(env, path.as_os_str())], delay).unwrap_or(0);
        max_acked = max_acked.max(acked);
        let f = File::open(&path).unwrap_or_else(|e| panic!("{label}: {e}"));
        let dump = pymodaq_h5::dump::dump_file(&f, "k.h5").unwrap();
        assert!(!dump.had_errors, "{label}: the dump has errors");
        check(&label, &f, acked);
        if keep(t) {
            sample.push((path, acked));
        } else {
            let _ = std::fs::remove_file(&path);
        }
    }
    eprintln!("max acknowledged rows in a trial: {max_acked}");
    assert!(max_acked > 0, "no trial got past its first flush");
    sample
}

/// Runs `script FIRST (file acked)...` on the sample; it must succeed (and print `ok` when
/// `want_ok`).
fn python_check(
    py: &Path,
    script: &str,
    first: &[&Path],
    sample: &[(PathBuf, u64)],
    want_ok: bool,
) {
    let mut cmd = Command::new(py);
    cmd.arg(common::root().join(script)).args(first);
    for (p, a) in sample {
        cmd.arg(p).arg(a.to_string());
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success() && (!want_ok || String::from_utf8_lossy(&out.stdout).trim() == "ok"),
        "h5py check failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `src` behind a 512-byte user block, by HDF5's `h5jam` (`None` when it is not installed).
fn with_user_block(src: &Path, dir: &Path) -> Option<PathBuf> {
    let ub = dir.join("ub.txt");
    std::fs::write(&ub, b"user block of a kill-append trial\n").unwrap();
    let out = dir.join("pt_carray_zoo_ub512.h5");
    let st = Command::new("h5jam")
        .arg("-i")
        .arg(src)
        .arg("-u")
        .arg(&ub)
        .arg("-o")
        .arg(&out)
        .status();
    match st {
        Ok(s) if s.success() => {
            let f = File::open(&out).unwrap();
            assert_eq!(f.superblock().base_address, 512, "h5jam's user block");
            Some(out)
        }
        _ => {
            eprintln!("NOTICE: no h5jam; the user-block base is skipped");
            None
        }
    }
}

#[test]
fn killed_appenders_leave_valid_files() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let fixture = common::root().join("fixtures/hdf5/pt_carray_zoo.h5");
    let orig = File::open(&fixture).unwrap();
    let orig_rows: Vec<f64> = data(&orig, ROWS);
    let orig_1d: Vec<u16> = data(&orig, ONE_D);
    let dir = common::temp_dir("kill-append");
    let check = |t: &str, f: &File, acked: u64| {
        let rows: Vec<f64> = data(f, ROWS);
        let one: Vec<u16> = data(f, ONE_D);
        assert_eq!(&rows[..orig_rows.len()], &orig_rows[..], "{t}: old rows");
        assert_eq!(&one[..orig_1d.len()], &orig_1d[..], "{t}: old 1-D rows");
        let n = ((rows.len() - orig_rows.len()) / 8) as u64;
        let n1 = (one.len() - orig_1d.len()) as u64;
        assert!(
            n >= acked && n1 >= acked,
            "{t}: {n}/{n1} rows < {acked} acknowledged"
        );
        for (i, x) in rows[orig_rows.len()..].iter().enumerate() {
            assert_eq!(*x, 1e6 + (i / 8) as f64, "{t}: torn row {}", i / 8);
        }
        for (i, x) in one[orig_1d.len()..].iter().enumerate() {
            assert_eq!(*x, (i % 60000) as u16, "{t}: 1-D row {i}");
        }
    };
    let mut bases = vec![fixture.clone()];
    if let Some(jammed) = with_user_block(&fixture, &dir) {
        bases.push(jammed);
    }
    let campaign = Campaign {
        what: "kill-append",
        child: "kill_append_child",
        env: CHILD_ENV,
        trials: 60,
        bases: &bases,
        dir: &dir,
    };
    let sample = kill_trials(&campaign, |t| t % 10 == 0, check);
    if let Some(py) = common::python() {
        let script = "tests/py/check_killed_append.py";
        python_check(&py, script, &[&fixture], &sample, false);
    }
}

#[test]
fn killed_v110_appenders_leave_valid_files() {
    if std::env::var_os(CHILD_ENV_V110).is_some() {
        return;
    }
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("kill-append-v110");
    common::run_py(
        &py,
        "tests/py/reopen_v110.py",
        [std::ffi::OsStr::new("gen"), dir.as_os_str()],
    );
    let check = |t: &str, f: &File, acked: u64| {
        let rows: Vec<f64> = data(f, "/g/scan");
        assert!(rows.len() >= 3 * (5 + acked as usize), "{t}: rows lost");
        for (i, x) in rows.iter().enumerate() {
            assert_eq!(*x, i as f64, "{t}: /g/scan value {i}");
        }
        let e: Vec<f64> = data(f, "/g/empty");
        assert!(e.len() >= 3 * acked as usize, "{t}: /g/empty rows lost");
        for (i, x) in e.iter().enumerate() {
            assert_eq!(*x, (i / 3) as f64, "{t}: /g/empty value {i}");
        }
    };
    let campaign = Campaign {
        what: "kill-append-v110",
        child: "kill_append_v110_child",
        env: CHILD_ENV_V110,
        trials: 50,
        bases: &[
            dir.join("latest.h5"),
            dir.join("swmr.h5"),
            dir.join("paged.h5"),
            dir.join("narrow.h5"),
            dir.join("v0_k_narrow.h5"),
        ],
        dir: &dir,
    };
    let sample = kill_trials(&campaign, |t| t % 8 < 2, check);
    python_check(&py, "tests/py/check_killed_v110.py", &[], &sample, true);
}
