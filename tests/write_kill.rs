//! Crash test: a child process (this test binary re-executed with an env var) appends rows
//! with periodic flushes and is killed with SIGKILL at random moments. Every file must
//! open in our reader (a sample also in h5py) and hold at least the rows of the last
//! flush the child reported, with no torn row. Run for both write profiles; the HDF5 1.10
//! child also sets attributes that overflow the header into continuation blocks, and its
//! sample is also opened in h5py's `swmr=True` read mode.

#![cfg(unix)]

mod common;

use common::Rng;

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "PYMODAQ_H5_KILL_CHILD";
/// Set (to anything) in the child to write the HDF5 1.10 profile.
const V110_ENV: &str = "PYMODAQ_H5_KILL_V110";

/// Child mode: does nothing unless `CHILD_ENV` names the file to write.
#[test]
fn kill_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let v110 = std::env::var_os(V110_ENV).is_some();
    let opts = common::write_opts(if v110 {
        Profile::Hdf5V110
    } else {
        Profile::PyTables
    });
    let mut w = Writer::create(&path, opts).unwrap();
    let mk = |w: &mut Writer, name: &str, z: bool| {
        let mut b = DatasetBuilder::new(Dtype::F64)
            .shape(&[0, 3])
            .max_shape(&[None, Some(3)])
            .chunks(&[16, 3])
            .pytables_class(PyTablesClass::EArray);
        if z {
            b = b.shuffle().deflate(5);
        }
        w.create_dataset(name, b).unwrap()
    };
    let z = mk(&mut w, "/z", true);
    let u = mk(&mut w, "/u", false);
    w.flush().unwrap();
    let mut out = std::io::stdout();
    writeln!(out, "FLUSHED 0").unwrap();
    out.flush().unwrap();
    let mut n = 0u64;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        let k = 1 + (n * 7919 % 13);
        let rows: Vec<f64> = (n..n + k).flat_map(|i| [i as f64; 3]).collect();
        w.append(&z, &rows).unwrap();
        w.append(&u, &rows).unwrap();
        n += k;
        if n.is_multiple_of(3) || k > 8 {
            if v110 && n % 7 == 1 {
                let name = format!("a{}", n % 40);
                w.set_attr("/u", &name, AttrValue::Str("v".repeat(30)))
                    .unwrap();
            }
            w.flush().unwrap();
            writeln!(out, "FLUSHED {n}").unwrap();
            out.flush().unwrap();
        }
    }
}

fn rows_of(f: &File, name: &str) -> Vec<f64> {
    match f.get(name).unwrap() {
        Node::Dataset(d) => d.read::<f64>().unwrap(),
        _ => panic!("{name} is not a dataset"),
    }
}

#[test]
fn killed_writers_leave_valid_files() {
    kill_trials(false, 200);
}

#[test]
fn killed_v110_writers_leave_valid_files() {
    kill_trials(true, 150);
}

fn kill_trials(v110: bool, default_trials: u64) {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let trials: u64 = std::env::var("PYMODAQ_H5_KILL_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_trials);
    let tag = if v110 { "kill110" } else { "kill" };
    let dir = std::env::temp_dir().join(format!("pymodaq_h5_{tag}_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = common::time_seed("kill test");
    let mut rng = Rng(seed);
    let mut sample = Vec::new();
    let mut max_acked = 0;
    for t in 0..trials {
        let path = dir.join(format!("k{t}.h5"));
        let mut envs = vec![(CHILD_ENV, path.as_os_str())];
        if v110 {
            envs.push((V110_ENV, std::ffi::OsStr::new("1")));
        }
        // Kill somewhere between start-up and a few hundred flushes.
        let delay = Duration::from_micros(rng.next() % 40_000);
        let acked = common::kill_child("kill_child", &envs, delay);
        let Some(acked) = acked else {
            continue; // killed before the file was first committed
        };
        max_acked = max_acked.max(acked);
        let f = File::open(&path).unwrap_or_else(|e| panic!("trial {t}: {e}"));
        if v110 {
            assert_eq!(f.superblock().version, 3);
            if let Node::Dataset(d) = f.get("/u").unwrap() {
                for a in d.object().attributes().unwrap() {
                    if a.name.starts_with('a') {
                        assert_eq!(a.raw(), "v".repeat(30).as_bytes(), "trial {t}");
                    }
                }
            }
        }
        for name in ["/z", "/u"] {
            let v = rows_of(&f, name);
            let n = (v.len() / 3) as u64;
            assert!(
                n >= acked,
                "trial {t} {name}: {n} rows < {acked} acknowledged"
            );
            for (i, x) in v.iter().enumerate() {
                assert_eq!(*x, (i / 3) as f64, "trial {t} {name}: torn row {}", i / 3);
            }
        }
        if t % 20 == 0 {
            sample.push((path, acked));
        } else {
            let _ = std::fs::remove_file(&path);
        }
    }
    eprintln!("max acknowledged rows in a trial: {max_acked}");
    let py = std::env::var("PYMODAQ_H5_PYTHON")
        .ok()
        .map(PathBuf::from)
        .or_else(|| {
            let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
            p.exists().then_some(p)
        });
    if let Some(py) = py {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/py/check_killed.py");
        let mut cmd = Command::new(py);
        cmd.arg(script);
        if v110 {
            cmd.arg("--swmr");
        }
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
    } else if std::env::var_os("CI").is_some() {
        panic!("no Python with h5py (set PYMODAQ_H5_PYTHON)");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
