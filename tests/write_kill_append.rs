//! Crash test for appending to an existing file: a child process (this test binary
//! re-executed with an env var) opens a copy of the PyTables fixture `pt_carray_zoo.h5`
//! with `Writer::open`, appends rows to its EArrays (2-level v1 B-tree written by HDF5,
//! 1-D EArray), adds groups and attributes, flushing now and then, and is killed with
//! SIGKILL at random moments. Every file must open in our reader (the whole file dumps
//! without error) and in h5py (a sample), keep the fixture's rows, and hold at least the
//! rows of the last flush the child reported, with no torn row.
#![cfg(unix)]

mod common;

use common::Rng;

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "PYMODAQ_H5_KILL_APPEND_CHILD";
const ROWS: &str = "/Raw_datas/Scan000/earray_rows";
const ONE_D: &str = "/Raw_datas/Scan000/earray_1d_uint16";

/// Child mode: does nothing unless `CHILD_ENV` names the file to extend.
#[test]
fn kill_append_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut w = Writer::open(&path, WriteOptions::default()).unwrap();
    let er = w.open_dataset(ROWS).unwrap();
    let e1 = w.open_dataset(ONE_D).unwrap();
    let mut out = std::io::stdout();
    writeln!(out, "FLUSHED 0").unwrap();
    out.flush().unwrap();
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
            writeln!(out, "FLUSHED {n}").unwrap();
            out.flush().unwrap();
        }
    }
}

fn data<T: pymodaq_h5::hdf5::read::Element>(f: &File, name: &str) -> Vec<T> {
    match f.get(name).unwrap() {
        Node::Dataset(d) => d.read::<T>().unwrap(),
        _ => panic!("{name} is not a dataset"),
    }
}

#[test]
fn killed_appenders_leave_valid_files() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let trials: u64 = std::env::var("PYMODAQ_H5_KILL_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let fixture = common::root().join("fixtures/hdf5/pt_carray_zoo.h5");
    let orig = File::open(&fixture).unwrap();
    let orig_rows: Vec<f64> = data(&orig, ROWS);
    let orig_1d: Vec<u16> = data(&orig, ONE_D);
    let dir = common::temp_dir("kill-append");
    let seed = common::time_seed("kill-append test");
    let mut rng = Rng(seed);
    let mut sample = Vec::new();
    let mut max_acked = 0;
    for t in 0..trials {
        let path = dir.join(format!("k{t}.h5"));
        std::fs::copy(&fixture, &path).unwrap();
        let delay = Duration::from_micros(rng.next() % 150_000);
        let acked =
            common::kill_child("kill_append_child", &[(CHILD_ENV, path.as_os_str())], delay)
                .unwrap_or(0);
        max_acked = max_acked.max(acked);
        let f = File::open(&path).unwrap_or_else(|e| panic!("trial {t}: {e}"));
        let dump = pymodaq_h5::dump::dump_file(&f, "k.h5").unwrap();
        assert!(!dump.had_errors, "trial {t}: the dump has errors");
        let rows: Vec<f64> = data(&f, ROWS);
        let one: Vec<u16> = data(&f, ONE_D);
        assert_eq!(
            &rows[..orig_rows.len()],
            &orig_rows[..],
            "trial {t}: old rows"
        );
        assert_eq!(
            &one[..orig_1d.len()],
            &orig_1d[..],
            "trial {t}: old 1-D rows"
        );
        let n = ((rows.len() - orig_rows.len()) / 8) as u64;
        let n1 = (one.len() - orig_1d.len()) as u64;
        assert!(
            n >= acked && n1 >= acked,
            "trial {t}: {n}/{n1} rows < {acked} acknowledged"
        );
        for (i, x) in rows[orig_rows.len()..].iter().enumerate() {
            assert_eq!(*x, 1e6 + (i / 8) as f64, "trial {t}: torn row {}", i / 8);
        }
        for (i, x) in one[orig_1d.len()..].iter().enumerate() {
            assert_eq!(*x, (i % 60000) as u16, "trial {t}: 1-D row {i}");
        }
        if t % 10 == 0 {
            sample.push((path, acked));
        } else {
            let _ = std::fs::remove_file(&path);
        }
    }
    eprintln!("max acknowledged rows in a trial: {max_acked}");
    assert!(max_acked > 0, "no trial got past its first flush");
    if let Some(py) = common::python() {
        let script = common::root().join("tests/py/check_killed_append.py");
        let mut cmd = Command::new(py);
        cmd.arg(script).arg(&fixture);
        for (p, a) in &sample {
            cmd.arg(p).arg(a.to_string());
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "h5py check failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
