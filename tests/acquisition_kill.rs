//! Whole acquisitions survive SIGKILL: `pymodaq-h5 record` (3 channels + time axis), the
//! enlargeable saver (3 channels + a navigation axis) and the extended (scan) saver
//! (3 pre-sized channels) are killed at random moments, in both write profiles, with and
//! without compression, half of the trials with two busy threads competing for the CPU.
//! Every file must open in our reader, and (all files at the end, in one Python run) in
//! h5py, PyTables and PyMoDAQ; every channel and the navigation axis must hold exactly the
//! same rows (`../shared/contracts/record.md`: "no partial row"), with the right values,
//! and at least the rows of the last acknowledged flush.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::pymodaq::attrs::pyliteral::PyValue;
use pymodaq_h5::pymodaq::model::{
    Axis, DataDistribution, DataSource, DataToExport, DataWithAxes, DwaArgs, NdArray,
};
use pymodaq_h5::pymodaq::save::{
    DataToExportEnlargeableSaver, DataToExportExtendedSaver, H5Saver, InitOptions,
};

const CHILD_ENV: &str = "PYMODAQ_H5_ACQ_CHILD";
const SCAN: usize = 200_000;

/// Channel `ch` of acquisition `i`.
fn value(ch: usize, i: usize) -> f64 {
    match ch {
        0 => i as f64,
        1 => 2.0 * i as f64 + 0.5,
        _ => -3.0 * i as f64,
    }
}

fn dte(i: usize) -> DataToExport {
    let mut d = DataToExport::new("acq");
    for ch in 0..3 {
        let dwa = DataWithAxes::new(DwaArgs {
            name: format!("ch{ch}"),
            source: DataSource::Raw,
            distribution: DataDistribution::Uniform,
            data: vec![NdArray::from_f64(vec![1], &[value(ch, i)]).unwrap()],
            labels: Vec::new(),
            units: "V".into(),
            origin: PyValue::Str(String::new()),
            nav_indexes: Vec::new(),
            axes: Vec::new(),
            errors: None,
            extra_attributes: Vec::new(),
        })
        .unwrap();
        d.data.push(dwa);
    }
    d
}

/// Child mode: `KIND:V110:COMPRESS:FLUSH_EVERY:PATH` in `CHILD_ENV`; prints `ACK n` after
/// each flush that committed `n` acquisitions.
#[test]
fn acquisition_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.splitn(5, ':').collect();
    let [kind, v110, z, every, path] = parts[..] else {
        panic!("bad child spec {spec}");
    };
    let every: usize = every.parse().unwrap();
    let mut h5 = H5Saver::init_file(
        path,
        InitOptions {
            swmr: v110 == "1",
            compression: (z == "1").then_some(1),
            ..InitOptions::default()
        },
    )
    .unwrap();
    let raw = h5.raw_group().to_string();
    let g = h5.get_set_group(&raw, "Acq", "").unwrap();
    let mut out = std::io::stdout();
    let enl = DataToExportEnlargeableSaver::new(&["x"], &["mm"]).unwrap();
    let ext = DataToExportExtendedSaver::new(&[SCAN as u64]);
    if kind == "ext" {
        let ax = Axis::new("x", "mm", (0..SCAN).map(|i| i as f64 * 0.5).collect(), 0, 0).unwrap();
        ext.add_nav_axes(&mut h5, &g, &[ax]).unwrap();
    }
    h5.flush().unwrap();
    for i in 0..SCAN {
        if kind == "ext" {
            ext.add_data(&mut h5, &g, &dte(i), &[i as u64], DataDistribution::Uniform)
                .unwrap();
        } else {
            enl.add_data(&mut h5, &g, &dte(i), &[i as f64 * 0.5])
                .unwrap();
        }
        if (i + 1) % every == 0 {
            h5.flush().unwrap();
            writeln!(out, "ACK {}", i + 1).unwrap();
            out.flush().unwrap();
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Record,
    Enl,
    Ext,
}

fn channel_paths(kind: Kind) -> (Vec<String>, Option<String>) {
    match kind {
        Kind::Record => {
            let det = "/RawData/Datalogger000/Detector000";
            (
                (0..3)
                    .map(|c| format!("{det}/Data0D/CH{c:02}/EnlData00"))
                    .collect(),
                Some(format!("{det}/NavAxes/Axis00")),
            )
        }
        Kind::Enl => (
            (0..3)
                .map(|c| format!("/RawData/Acq/Data0D/CH{c:02}/EnlData00"))
                .collect(),
            Some("/RawData/Acq/NavAxes/Axis00".into()),
        ),
        Kind::Ext => (
            (0..3)
                .map(|c| format!("/RawData/Acq/Data0D/CH{c:02}/Data00"))
                .collect(),
            None,
        ),
    }
}

/// The acquisitions in the file (every channel and the axis must agree), checking every
/// value; `Ok(None)` when the layout is not there yet.
fn acquisitions(path: &Path, kind: Kind) -> Result<Option<usize>, String> {
    let f = File::open(path).map_err(|e| format!("open: {e}"))?;
    let (chans, axis) = channel_paths(kind);
    let mut counts = Vec::new();
    for (c, p) in chans.iter().enumerate() {
        let ds = match f.get(p) {
            Ok(Node::Dataset(d)) => d,
            _ => return Ok(None),
        };
        let v: Vec<f64> = ds.read().map_err(|e| format!("{p}: {e}"))?;
        let n = match kind {
            Kind::Ext => {
                let n = v.iter().position(|x| x.is_nan()).unwrap_or(v.len());
                if let Some(j) = v[n..].iter().position(|x| !x.is_nan()) {
                    return Err(format!("{p}: point {} written after a hole at {n}", n + j));
                }
                n
            }
            _ => v.len(),
        };
        for (i, x) in v.iter().take(n).enumerate() {
            if *x != value(c, i) {
                return Err(format!("{p} row {i}: {x} != {}", value(c, i)));
            }
        }
        counts.push(n);
    }
    if let Some(a) = axis {
        let ds = match f.get(&a) {
            Ok(Node::Dataset(d)) => d,
            _ => return Ok(None),
        };
        let t: Vec<f64> = ds.read().map_err(|e| format!("{a}: {e}"))?;
        if kind == Kind::Enl {
            for (i, x) in t.iter().enumerate() {
                if *x != i as f64 * 0.5 {
                    return Err(format!("{a} row {i}: {x}"));
                }
            }
        }
        counts.push(t.len());
    }
    if counts.windows(2).any(|w| w[0] != w[1]) {
        return Err(format!(
            "torn acquisition: rows {counts:?} (channels, axis)"
        ));
    }
    Ok(counts.first().copied())
}

fn spawn(kind: Kind, v110: bool, z: bool, every: usize, out: &Path) -> Child {
    match kind {
        Kind::Record => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_pymodaq-h5"));
            c.arg("record")
                .arg(out)
                .args(["--names", "a,b,c", "--quiet", "--flush-interval", "20ms"])
                .args(["--flush-every", &every.to_string()]);
            if z {
                c.args(["--compress", "1"]);
            }
            c.stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        }
        _ => Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "acquisition_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(
                CHILD_ENV,
                format!(
                    "{}:{}:{}:{every}:{}",
                    if kind == Kind::Enl { "enl" } else { "ext" },
                    u8::from(v110),
                    u8::from(z),
                    out.display()
                ),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    }
}

/// Two threads spinning until dropped.
struct Hog(Arc<AtomicBool>, Vec<std::thread::JoinHandle<()>>);
impl Hog {
    fn start() -> Hog {
        let stop = Arc::new(AtomicBool::new(false));
        let t = (0..2)
            .map(|_| {
                let s = stop.clone();
                std::thread::spawn(move || {
                    let mut x = 0u64;
                    while !s.load(Ordering::Relaxed) {
                        x = std::hint::black_box(
                            x.wrapping_mul(6364136223846793005).wrapping_add(1),
                        );
                    }
                })
            })
            .collect();
        Hog(stop, t)
    }
}
impl Drop for Hog {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
        for t in self.1.drain(..) {
            let _ = t.join();
        }
    }
}

#[test]
fn killed_acquisitions_are_whole_everywhere() {
    let trials: usize = std::env::var("PYMODAQ_H5_ACQ_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let dir = common::temp_dir("acq-kill");
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut survivors: Vec<(PathBuf, Kind, usize, bool)> = Vec::new();
    let mut torn_free = [0usize; 3];
    let start = Instant::now();
    for trial in 0..trials {
        let kind = [Kind::Record, Kind::Enl, Kind::Ext][trial % 3];
        let v110 = kind != Kind::Record && (trial / 3) % 2 == 1;
        let z = (trial / 6) % 2 == 1;
        let every = 1 + (rand() % 60) as usize;
        let hog = (trial % 2 == 1).then(Hog::start);
        let out = dir.join(format!("t{trial}.h5"));
        let mut child = spawn(kind, v110, z, every, &out);
        let acked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let feeder = match kind {
            Kind::Record => {
                let mut stdin = child.stdin.take().unwrap();
                std::thread::spawn(move || {
                    for i in 0..200_000u64 {
                        let l = format!("{i},{},{}\n", 2.0 * i as f64 + 0.5, -3.0 * i as f64);
                        if stdin.write_all(l.as_bytes()).is_err() {
                            break;
                        }
                    }
                })
            }
            _ => {
                let so = child.stdout.take().unwrap();
                let a = acked.clone();
                std::thread::spawn(move || {
                    for l in BufReader::new(so).lines().map_while(Result::ok) {
                        if let Some(n) = l.strip_prefix("ACK ").and_then(|n| n.parse().ok()) {
                            a.store(n, Ordering::SeqCst);
                        }
                    }
                })
            }
        };
        let kill_after = Duration::from_micros(20_000 + rand() % 100_000);
        let t0 = Instant::now();
        let mut seen = 0usize;
        while t0.elapsed() < kill_after {
            if kind == Kind::Record {
                // `record` acknowledges nothing on its own: what a reader saw committed.
                if let Ok(Some(n)) = acquisitions(&out, kind) {
                    seen = seen.max(n);
                }
            } else {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        drop(hog);
        let acked = acked.load(Ordering::SeqCst).max(seen);
        let _ = feeder.join();
        if !out.exists() {
            continue;
        }
        match acquisitions(&out, kind) {
            Ok(Some(n)) => {
                assert!(
                    n >= acked,
                    "trial {trial} ({kind:?}): {n} acquisitions, {acked} acknowledged"
                );
                torn_free[trial % 3] += 1;
                survivors.push((out, kind, n, v110));
            }
            Ok(None) => {
                assert_eq!(acked, 0, "trial {trial}: layout missing after {acked} acks");
                File::open(&out).unwrap_or_else(|e| panic!("trial {trial}: {e}"));
            }
            Err(e) => panic!("trial {trial} ({kind:?}, v110 {v110}, every {every}): {e}"),
        }
    }
    println!(
        "{trials} kills in {:.1} s; whole acquisitions checked (record, enlargeable, extended): {torn_free:?}",
        start.elapsed().as_secs_f64()
    );
    assert!(
        torn_free.iter().all(|n| *n * 10 >= trials / 3),
        "too few trials got as far as an acquisition: {torn_free:?}"
    );
    let Some(py) = common::python() else {
        eprintln!("no Python: h5py/PyTables/PyMoDAQ checks skipped");
        return;
    };
    let mut cmd = Command::new(py);
    cmd.arg(common::root().join("tests/py/check_acquisitions.py"));
    for (p, k, n, v110) in &survivors {
        let k = match k {
            Kind::Record => "record",
            Kind::Enl => "enl",
            Kind::Ext => "ext",
        };
        cmd.arg(format!("{k}:{}:{n}:{}", u8::from(*v110), p.display()));
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    print!("{}", String::from_utf8_lossy(&o.stdout));
}
