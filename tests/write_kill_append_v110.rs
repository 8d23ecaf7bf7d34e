//! Crash test for appending to reopened HDF5 1.10 files: a child process (this test binary
//! re-executed with an env var) opens a copy of an h5py `libver='latest'` file, or of one
//! h5py wrote in SWMR mode (`tests/py/reopen_v110.py gen`), with `Writer::open`, appends
//! rows to its extensible-array datasets (one of them empty at first), adds groups and
//! attributes, flushing now and then, and is killed with SIGKILL at random moments. Every
//! file must open in our reader (the whole file dumps without error) and in h5py (normal
//! and SWMR, a sample), keep the original rows, and hold at least the rows of the last
//! flush the child reported, with no torn row.
#![cfg(unix)]

mod common;

use common::Rng;

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "PYMODAQ_H5_KILL_APPEND_V110_CHILD";

/// Child mode: does nothing unless `CHILD_ENV` names the file to extend.
#[test]
fn kill_append_v110_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut w = Writer::open(&path, WriteOptions::default()).unwrap();
    let scan = w.open_dataset("/g/scan").unwrap();
    let empty = w.open_dataset("/g/empty").unwrap();
    let mut out = std::io::stdout();
    writeln!(out, "FLUSHED 0").unwrap();
    out.flush().unwrap();
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
        writeln!(out, "FLUSHED {n}").unwrap();
        out.flush().unwrap();
    }
}

fn data(f: &File, name: &str) -> Vec<f64> {
    match f.get(name).unwrap() {
        Node::Dataset(d) => d.read::<f64>().unwrap(),
        _ => panic!("{name} is not a dataset"),
    }
}

#[test]
fn killed_v110_appenders_leave_valid_files() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let Some(py) = common::python() else { return };
    let trials: u64 = std::env::var("PYMODAQ_H5_KILL_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let dir = common::temp_dir("kill-append-v110");
    common::run_py(
        &py,
        "tests/py/reopen_v110.py",
        [std::ffi::OsStr::new("gen"), dir.as_os_str()],
    );
    let seed = common::time_seed("kill-append-v110 test");
    let mut rng = Rng(seed);
    let mut sample = Vec::new();
    let mut max_acked = 0;
    for t in 0..trials {
        let base = if t % 2 == 0 { "latest.h5" } else { "swmr.h5" };
        let path = dir.join(format!("k{t}.h5"));
        std::fs::copy(dir.join(base), &path).unwrap();
        let delay = Duration::from_micros(rng.next() % 150_000);
        let acked = common::kill_child(
            "kill_append_v110_child",
            &[(CHILD_ENV, path.as_os_str())],
            delay,
        )
        .unwrap_or(0);
        max_acked = max_acked.max(acked);
        let f = File::open(&path).unwrap_or_else(|e| panic!("trial {t} ({base}): {e}"));
        let dump = pymodaq_h5::dump::dump_file(&f, "k.h5").unwrap();
        assert!(!dump.had_errors, "trial {t} ({base}): the dump has errors");
        let rows = data(&f, "/g/scan");
        assert!(
            rows.len() >= 3 * (5 + acked as usize),
            "trial {t}: rows lost"
        );
        for (i, x) in rows.iter().enumerate() {
            assert_eq!(*x, i as f64, "trial {t} ({base}): /g/scan value {i}");
        }
        let e = data(&f, "/g/empty");
        assert!(
            e.len() >= 3 * acked as usize,
            "trial {t}: /g/empty rows lost"
        );
        for (i, x) in e.iter().enumerate() {
            assert_eq!(*x, (i / 3) as f64, "trial {t} ({base}): /g/empty value {i}");
        }
        if t % 8 < 2 {
            sample.push((path, acked));
        } else {
            let _ = std::fs::remove_file(&path);
        }
    }
    eprintln!("max acknowledged rows in a trial: {max_acked}");
    assert!(max_acked > 0, "no trial got past its first flush");
    let mut cmd = Command::new(&py);
    cmd.arg(common::root().join("tests/py/check_killed_v110.py"));
    for (p, a) in &sample {
        cmd.arg(p).arg(a.to_string());
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
        "h5py check failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
