//! Whole acquisitions survive SIGKILL: `pymodaq-h5 record` (2-4 channels + time axis), the
//! enlargeable saver (2-4 channels, 0D and 1D, optionally with error bars and backgrounds, +
//! a navigation axis) and the extended (scan) saver (the same channels, pre-sized, + a
//! navigation axis) are killed at random moments, in both write profiles, with and without
//! compression, half of the trials with two busy threads competing for the CPU. Every file
//! must open in our reader, and (all files at the end, in one Python run) in h5py, PyTables
//! and PyMoDAQ; every dataset of the acquisition (channels, error bars, navigation axis)
//! must hold exactly the same rows (`../shared/contracts/record.md`: "no partial row"), with
//! the right values, and at least the rows of the last acknowledged flush; backgrounds hold
//! their values or, before the flush that follows their creation, their fill value.
//! `PYMODAQ_H5_ACQ_KILLS` sets the number of trials: default 200 (the count per run,
//! half beside a CPU hog; about a minute on 2 cores); `scripts/soak_acquisition_kill.sh`
//! runs rounds of them with new seeds.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::pymodaq::attrs::pyliteral::PyValue;
use pymodaq_h5::pymodaq::model::{
    Axis, DataDistribution, DataSource, DataToExport, DataWithAxes, DwaArgs, NdArray,
};
use pymodaq_h5::pymodaq::save::{
    DataToExportEnlargeableSaver, DataToExportExtendedSaver, DataToExportSaver, H5Saver,
    InitOptions,
};

const CHILD_ENV: &str = "PYMODAQ_H5_ACQ_CHILD";
const SCAN: usize = 200_000;
/// Length of the 1D channels.
const L: usize = 4;

/// The channels of one acquisition: `n0` 0D and `n1` 1D channels (2-4 in all), error bars
/// on every channel or none, a background per channel or none; `prev`: a previous
/// acquisition of [`PREV`] channels, committed first, leaves a part of a commit page (one
/// sector in the 1.10 profile) for this one, which needs more in most configurations.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Cfg {
    n0: usize,
    n1: usize,
    err: bool,
    bkg: bool,
    prev: bool,
}

/// 0D channels of the previous acquisition (`Cfg::prev`): with its navigation axis, 26 slots.
const PREV: usize = 25;

impl Cfg {
    fn encode(&self) -> String {
        format!(
            "{}.{}.{}.{}.{}",
            self.n0,
            self.n1,
            u8::from(self.err),
            u8::from(self.bkg),
            u8::from(self.prev)
        )
    }
    fn decode(s: &str) -> Cfg {
        let v: Vec<usize> = s.split('.').map(|x| x.parse().unwrap()).collect();
        Cfg {
            n0: v[0],
            n1: v[1],
            err: v[2] == 1,
            bkg: v[3] == 1,
            prev: v[4] == 1,
        }
    }
}

/// Element `j` of channel `c` (of dimension `dim`, 0 or 1) at acquisition `i`; exact in f64.
fn value(dim: usize, c: usize, i: usize, j: usize) -> f64 {
    (i * (c + 1 + 10 * dim) + j) as f64
}
fn error(c: usize, i: usize, j: usize) -> f64 {
    (c + i) as f64 + 0.5 * (j + 1) as f64
}
fn bkg(dim: usize, c: usize, j: usize) -> f64 {
    (7 + c + 3 * dim + j) as f64
}

fn dwa(dim: usize, c: usize, err: bool, f: impl Fn(usize) -> f64) -> DataWithAxes {
    let n = if dim == 0 { 1 } else { L };
    let vals: Vec<f64> = (0..n).map(f).collect();
    let axes = if dim == 1 {
        vec![Axis::new("wl", "nm", (0..L).map(|j| j as f64 * 2.0).collect(), 0, 0).unwrap()]
    } else {
        Vec::new()
    };
    DataWithAxes::new(DwaArgs {
        name: format!("d{dim}ch{c}"),
        source: DataSource::Raw,
        distribution: DataDistribution::Uniform,
        data: vec![NdArray::from_f64(vec![n], &vals).unwrap()],
        labels: Vec::new(),
        units: "V".into(),
        origin: PyValue::Str(String::new()),
        nav_indexes: Vec::new(),
        axes,
        errors: err.then(|| {
            vec![
                NdArray::from_f64(vec![n], &(0..n).map(|j| error(c, 0, j)).collect::<Vec<_>>())
                    .unwrap(),
            ]
        }),
        extra_attributes: Vec::new(),
    })
    .unwrap()
}

fn dte(cfg: Cfg, i: usize) -> DataToExport {
    let mut d = DataToExport::new("acq");
    for (dim, n) in [(0, cfg.n0), (1, cfg.n1)] {
        for c in 0..n {
            let mut x = dwa(dim, c, cfg.err, |j| value(dim, c, i, j));
            if cfg.err {
                let m = if dim == 0 { 1 } else { L };
                let e: Vec<f64> = (0..m).map(|j| error(c, i, j)).collect();
                x.errors = Some(vec![NdArray::from_f64(vec![m], &e).unwrap()]);
            }
            d.data.push(x);
        }
    }
    d
}

fn bkg_dte(cfg: Cfg) -> DataToExport {
    let mut d = DataToExport::new("bkg");
    for (dim, n) in [(0, cfg.n0), (1, cfg.n1)] {
        for c in 0..n {
            d.data.push(dwa(dim, c, false, |j| bkg(dim, c, j)));
        }
    }
    d
}

/// Child mode: `KIND:V110:COMPRESS:FLUSH_EVERY:CFG:PATH` in `CHILD_ENV`; prints `ACK n`
/// after each flush that committed `n` acquisitions.
#[test]
fn acquisition_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.splitn(6, ':').collect();
    let [kind, v110, z, every, cfg, path] = parts[..] else {
        panic!("bad child spec {spec}");
    };
    let every: usize = every.parse().unwrap();
    let cfg = Cfg::decode(cfg);
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
    if cfg.prev {
        let p = h5.get_set_group(&raw, "Prev", "").unwrap();
        let mut d = DataToExport::new("prev");
        d.data = (0..PREV).map(|c| dwa(0, c, false, |_| 1.0)).collect();
        DataToExportEnlargeableSaver::new(&["x"], &["mm"])
            .unwrap()
            .add_data(&mut h5, &p, &d, &[0.0])
            .unwrap();
        h5.flush().unwrap();
    }
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
            ext.add_data(
                &mut h5,
                &g,
                &dte(cfg, i),
                &[i as u64],
                DataDistribution::Uniform,
            )
            .unwrap();
        } else {
            enl.add_data(&mut h5, &g, &dte(cfg, i), &[i as f64 * 0.5])
                .unwrap();
        }
        if i == 0 && cfg.bkg {
            // Backgrounds arrive once, beside the running acquisition (as a viewer saves them).
            DataToExportSaver::add_bkg(&mut h5, &g, &bkg_dte(cfg)).unwrap();
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
    /// `record --append` continuing a finished recording.
    Append,
    Enl,
    Ext,
}

/// A dataset of the acquisition: path, elements per row, value of (row, element).
struct Grow {
    path: String,
    row: usize,
    val: Box<dyn Fn(usize, usize) -> f64>,
}

/// The datasets that grow with the acquisition, and the fixed ones (path, values).
fn layout(kind: Kind, cfg: Cfg) -> (Vec<Grow>, Vec<(String, Vec<f64>)>) {
    let mut grow = Vec::new();
    let mut fixed = Vec::new();
    if matches!(kind, Kind::Record | Kind::Append) {
        let det = "/RawData/Datalogger000/Detector000";
        for c in 0..cfg.n0 {
            grow.push(Grow {
                path: format!("{det}/Data0D/CH{c:02}/EnlData00"),
                row: 1,
                val: Box::new(move |i, j| value(0, c, i, j)),
            });
        }
        // The time axis: its values are checked by tests/record_kill.rs.
        grow.push(Grow {
            path: format!("{det}/NavAxes/Axis00"),
            row: 1,
            val: Box::new(|_, _| f64::NAN),
        });
        return (grow, fixed);
    }
    let data = if kind == Kind::Ext {
        "Data00"
    } else {
        "EnlData00"
    };
    for (dim, n) in [(0, cfg.n0), (1, cfg.n1)] {
        let row = if dim == 0 { 1 } else { L };
        for c in 0..n {
            let g = format!("/RawData/Acq/Data{dim}D/CH{c:02}");
            grow.push(Grow {
                path: format!("{g}/{data}"),
                row,
                val: Box::new(move |i, j| value(dim, c, i, j)),
            });
            if cfg.err {
                grow.push(Grow {
                    path: format!("{g}/ErrorBar00"),
                    row,
                    val: Box::new(move |i, j| error(c, i, j)),
                });
            }
            if cfg.bkg {
                fixed.push((
                    format!("{g}/Bkg00"),
                    (0..row).map(|j| bkg(dim, c, j)).collect(),
                ));
            }
        }
    }
    let axis = "/RawData/Acq/NavAxes/Axis00".to_string();
    if kind == Kind::Enl {
        grow.push(Grow {
            path: axis,
            row: 1,
            val: Box::new(|i, _| i as f64 * 0.5),
        });
    } else {
        fixed.push((axis, (0..SCAN).map(|i| i as f64 * 0.5).collect()));
    }
    (grow, fixed)
}

/// The acquisitions in the file (every growing dataset must agree), checking every value;
/// `Ok(None)` when the layout is not there yet.
fn acquisitions(path: &Path, kind: Kind, cfg: Cfg) -> Result<Option<usize>, String> {
    let f = File::open(path).map_err(|e| format!("open: {e}"))?;
    let (grow, fixed) = layout(kind, cfg);
    let mut counts = Vec::new();
    for g in &grow {
        let ds = match f.get(&g.path) {
            Ok(Node::Dataset(d)) => d,
            _ => return Ok(None),
        };
        let p = &g.path;
        let v: Vec<f64> = ds.read().map_err(|e| format!("{p}: {e}"))?;
        if !v.len().is_multiple_of(g.row) {
            return Err(format!("{p}: {} values, rows of {}", v.len(), g.row));
        }
        let rows: Vec<&[f64]> = v.chunks(g.row).collect();
        let n = match kind {
            Kind::Ext => {
                // Pre-sized: the acquisitions are the rows before the first unwritten one.
                common::rows_before_hole(&p, &rows)?
            }
            _ => rows.len(),
        };
        for (i, r) in rows.iter().take(n).enumerate() {
            for (j, x) in r.iter().enumerate() {
                let want = (g.val)(i, j);
                if !want.is_nan() && *x != want {
                    return Err(format!("{p} row {i} [{j}]: {x} != {want}"));
                }
            }
        }
        counts.push(n);
    }
    for (p, want) in &fixed {
        if let Ok(Node::Dataset(d)) = f.get(p) {
            let v: Vec<f64> = d.read().map_err(|e| format!("{p}: {e}"))?;
            // Linked at creation, written at the next flush: before that flush it holds
            // its fill value (as a dataset created and then written by h5py would).
            let unwritten = v.len() == want.len() && v.iter().all(|x| *x == 0.0 || x.is_nan());
            if &v != want && !unwritten {
                return Err(format!(
                    "{p}: linked with values {:?}",
                    &v[..v.len().min(8)]
                ));
            }
        }
    }
    if counts.windows(2).any(|w| w[0] != w[1]) {
        let names: Vec<String> = grow
            .iter()
            .zip(&counts)
            .map(|(g, n)| format!("{}={n}", g.path))
            .collect();
        return Err(format!("torn acquisition: rows {names:?}"));
    }
    Ok(counts.first().copied())
}

/// Lines `record` is fed before a `--append` continuation is killed.
const PREFILL: usize = 700;

fn record_line(n: usize, i: usize) -> String {
    let v: Vec<String> = (0..n).map(|c| value(0, c, i, 0).to_string()).collect();
    v.join(",") + "\n"
}

fn spawn(kind: Kind, v110: bool, z: bool, every: usize, cfg: Cfg, out: &Path) -> Child {
    match kind {
        Kind::Record | Kind::Append => {
            let names: Vec<String> = (0..cfg.n0).map(|c| format!("c{c}")).collect();
            let mut c = Command::new(env!("CARGO_BIN_EXE_pymodaq-h5"));
            c.arg("record")
                .arg(out)
                .args([
                    "--names",
                    &names.join(","),
                    "--quiet",
                    "--flush-interval",
                    "20ms",
                ])
                .args(["--flush-every", &every.to_string()]);
            if z {
                c.args(["--compress", "1"]);
            }
            if kind == Kind::Append {
                // A recording continued (`record --append`): its datasets were made by an
                // earlier run, reopened here.
                let mut first = Command::new(env!("CARGO_BIN_EXE_pymodaq-h5"));
                first
                    .arg("record")
                    .arg(out)
                    .args(["--names", &names.join(","), "--quiet"]);
                if z {
                    first.args(["--compress", "1"]);
                }
                let mut f = first.stdin(Stdio::piped()).spawn().unwrap();
                let mut stdin = f.stdin.take().unwrap();
                for i in 0..PREFILL {
                    stdin.write_all(record_line(cfg.n0, i).as_bytes()).unwrap();
                }
                drop(stdin);
                assert!(f.wait().unwrap().success());
                c.arg("--append");
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
                    "{}:{}:{}:{every}:{}:{}",
                    if kind == Kind::Enl { "enl" } else { "ext" },
                    u8::from(v110),
                    u8::from(z),
                    cfg.encode(),
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

#[test]
fn killed_acquisitions_are_whole_everywhere() {
    let trials: usize = std::env::var("PYMODAQ_H5_ACQ_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let dir = common::temp_dir("acq-kill");
    let mut seed = std::env::var("PYMODAQ_H5_ACQ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x2545_f491_4f6c_dd1d_u64);
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut survivors: Vec<(PathBuf, Kind, usize, bool, Cfg)> = Vec::new();
    let mut whole = [0usize; 3];
    let start = Instant::now();
    for trial in 0..trials {
        let kind = [Kind::Record, Kind::Enl, Kind::Ext][trial % 3];
        // Every other `record` trial kills a continuation (`--append`).
        let kind = if kind == Kind::Record && (trial / 3) % 2 == 1 {
            Kind::Append
        } else {
            kind
        };
        let v110 = matches!(kind, Kind::Enl | Kind::Ext) && (trial / 3) % 2 == 1;
        let z = (trial / 6) % 2 == 1;
        let every = 1 + (rand() % 60) as usize;
        let channels = 2 + (rand() % 3) as usize;
        let cfg = if matches!(kind, Kind::Record | Kind::Append) {
            Cfg {
                n0: channels,
                n1: 0,
                err: false,
                bkg: false,
                prev: false,
            }
        } else {
            // At least one 0D and one 1D channel once there are three.
            let n1 = if channels == 2 {
                (rand() % 3) as usize
            } else {
                1 + (rand() % (channels as u64 - 1)) as usize
            };
            Cfg {
                n0: channels - n1,
                n1,
                err: rand() % 2 == 0,
                bkg: rand() % 2 == 0,
                prev: rand() % 2 == 0,
            }
        };
        let hog = (trial % 2 == 1).then(common::Hog::start);
        let out = dir.join(format!("t{trial}.h5"));
        let mut child = spawn(kind, v110, z, every, cfg, &out);
        let acked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let feeder = match kind {
            Kind::Record | Kind::Append => {
                let mut stdin = child.stdin.take().unwrap();
                let n = cfg.n0;
                let from = if kind == Kind::Append { PREFILL } else { 0 };
                std::thread::spawn(move || {
                    for i in from..200_000usize {
                        if stdin.write_all(record_line(n, i).as_bytes()).is_err() {
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
            if matches!(kind, Kind::Record | Kind::Append) {
                // `record` acknowledges nothing on its own: what a reader saw committed.
                if let Ok(Some(n)) = acquisitions(&out, kind, cfg) {
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
        match acquisitions(&out, kind, cfg) {
            Ok(Some(n)) => {
                assert!(
                    n >= acked,
                    "trial {trial} ({kind:?} {cfg:?}): {n} acquisitions, {acked} acknowledged"
                );
                whole[trial % 3] += 1;
                survivors.push((out, kind, n, v110, cfg));
            }
            Ok(None) => {
                assert_eq!(acked, 0, "trial {trial}: layout missing after {acked} acks");
                File::open(&out).unwrap_or_else(|e| panic!("trial {trial}: {e}"));
            }
            Err(e) => {
                panic!("trial {trial} ({kind:?} {cfg:?}, v110 {v110}, z {z}, every {every}): {e}")
            }
        }
    }
    println!(
        "{trials} kills in {:.1} s; whole acquisitions checked (record, enlargeable, extended): {whole:?}",
        start.elapsed().as_secs_f64()
    );
    assert!(
        whole.iter().all(|n| *n * 10 >= trials / 3),
        "too few trials got as far as an acquisition: {whole:?}"
    );
    let Some(py) = common::python() else {
        eprintln!("no Python: h5py/PyTables/PyMoDAQ checks skipped");
        return;
    };
    let mut cmd = Command::new(py);
    cmd.arg(common::root().join("tests/py/check_acquisitions.py"));
    for (p, k, n, v110, cfg) in &survivors {
        let k = match k {
            Kind::Record | Kind::Append => "record",
            Kind::Enl => "enl",
            Kind::Ext => "ext",
        };
        cmd.arg(format!(
            "{k}:{}:{n}:{}:{}",
            u8::from(*v110),
            cfg.encode(),
            p.display()
        ));
    }
    let o = cmd.output().unwrap();
    if !o.status.success() {
        // Kept for a look: the temporary directory goes with the test.
        let keep =
            std::env::temp_dir().join(format!("pymodaq-h5-acq-kill-failed-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&keep);
        for (p, ..) in &survivors {
            let _ = std::fs::copy(p, keep.join(p.file_name().unwrap()));
        }
        eprintln!("files kept in {}", keep.display());
    }
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    print!("{}", String::from_utf8_lossy(&o.stdout));
}
