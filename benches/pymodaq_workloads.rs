//! PyMoDAQ-level benchmarks P1–P3: our savers and loader against PyMoDAQ's own
//! (`bench/py_pymodaq.py`, pymodaq_data 5.x in the test venv, both backends), in one run,
//! every repetition in its own process. Ratios are per scan point / per acquisition, since
//! PyMoDAQ's side runs fewer of them (it needs milliseconds each).
//!
//! Run: `scripts/bench.sh` (or `cargo bench --bench pymodaq_workloads -- [--quick]`). In full
//! mode the table replaces the PyMoDAQ section of `bench/RESULTS.md`.
//!
//! - P1 scan: `DataToExportExtendedSaver`, a 2-D scan, per point a 0D, a 1D (2048) and a 2D
//!   (64×64) channel (ours 100×100 points; PyMoDAQ 20×20).
//! - P2 logger: `DataToExportTimedSaver`, 4 channels per acquisition (ours 100,000 through the
//!   saver and through `record`'s recorder; PyMoDAQ 1,000).
//! - P3: open + `load_all` of the P1 file (written by us, tables flavour; PyMoDAQ loads the same
//!   file). Ours with lazy arrays (`DataLoader::lazy`: read on first touch; the target row),
//!   lazy then every array read on all cores, and eager (arrays read inside `load_all`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use pymodaq_h5::hdf5::write::Durability;
use pymodaq_h5::pymodaq::attrs::PyValue;
use pymodaq_h5::pymodaq::model::{
    Axis, DataDistribution, DataSource, DataToExport, DataWithAxes, DwaArgs, NdArray,
};
use pymodaq_h5::pymodaq::save::{
    DataToExportExtendedSaver, DataToExportTimedSaver, Flavour, H5Saver, InitOptions, SaveType,
};

mod harness;

use harness::{median_run, peak_rss_kib, root, Run};

fn dwa(name: &str, a: NdArray, t: f64) -> DataWithAxes {
    let mut d = DataWithAxes::new(DwaArgs {
        name: name.into(),
        source: DataSource::Raw,
        distribution: DataDistribution::Uniform,
        data: vec![a],
        labels: Vec::new(),
        units: String::new(),
        origin: PyValue::Str("bench".into()),
        nav_indexes: Vec::new(),
        axes: Vec::new(),
        errors: None,
        extra_attributes: Vec::new(),
    })
    .expect("dwa");
    d.timestamp = PyValue::Float(t);
    d
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn durability(d: &str) -> Durability {
    if d == "flush" {
        Durability::Flush
    } else {
        Durability::Sync
    }
}

/// P1: `n`×`n` scan; returns points written.
fn p1(file: &str, n: u64, flavour: Flavour, dur: Durability) -> u64 {
    let mut h5 = H5Saver::init_file(
        file,
        InitOptions {
            flavour,
            save_type: SaveType::Scan,
            durability: dur,
            ..InitOptions::default()
        },
    )
    .expect("init");
    let empty = PyValue::Str(String::new());
    let scan = h5
        .add_scan_group("/RawData", "bench scan", &empty, &[])
        .expect("scan");
    let det = h5.add_det_group(&scan, "det", &empty, &[]).expect("det");
    let saver = DataToExportExtendedSaver::new(&[n, n]);
    let xs: Vec<f64> = (0..n).map(|i| i as f64).collect();
    saver
        .add_nav_axes(
            &mut h5,
            &scan,
            &[
                Axis::new("x", "mm", xs.clone(), 0, 0).expect("axis"),
                Axis::new("y", "mm", xs, 1, 0).expect("axis"),
            ],
        )
        .expect("nav axes");
    let spec: Vec<f64> = (0..2048).map(|i| (i as f64 * 0.01).sin()).collect();
    let img: Vec<f64> = (0..64 * 64).map(|i| (i % 97) as f64).collect();
    for i in 0..n {
        for j in 0..n {
            let t = now();
            let mut dte = DataToExport::new("det");
            dte.timestamp = t;
            dte.data.push(dwa(
                "d0",
                NdArray::from_f64(vec![1], &[(i * n + j) as f64]).expect("a"),
                t,
            ));
            dte.data.push(dwa(
                "d1",
                NdArray::from_f64(vec![2048], &spec).expect("a"),
                t,
            ));
            dte.data.push(dwa(
                "d2",
                NdArray::from_f64(vec![64, 64], &img).expect("a"),
                t,
            ));
            saver
                .add_data(&mut h5, &det, &dte, &[i, j], DataDistribution::Uniform)
                .expect("point");
        }
    }
    h5.close_file().expect("close");
    n * n
}

/// P2 through `DataToExportTimedSaver`: `n` acquisitions of 4 channels, flushed every 1000.
fn p2_saver(file: &str, n: u64, dur: Durability) -> u64 {
    let mut h5 = H5Saver::init_file(
        file,
        InitOptions {
            save_type: SaveType::Logger,
            durability: dur,
            ..InitOptions::default()
        },
    )
    .expect("init");
    let empty = PyValue::Str(String::new());
    let det = h5
        .add_det_group("/RawData", "logger", &empty, &[])
        .expect("det");
    let saver = DataToExportTimedSaver::new();
    for k in 0..n {
        let t = now();
        let mut dte = DataToExport::new("det");
        dte.timestamp = t;
        for c in 0..4 {
            dte.data.push(dwa(
                &format!("ch{c}"),
                NdArray::from_f64(vec![1], &[(k * 4 + c) as f64]).expect("a"),
                t,
            ));
        }
        saver.add_data(&mut h5, &det, &dte).expect("acq");
        if (k + 1) % 1000 == 0 {
            h5.flush().expect("flush");
        }
    }
    h5.close_file().expect("close");
    n
}

/// P2 through `record`'s recorder (the command's path, without parsing text).
fn p2_record(file: &str, n: u64, dur: Durability) -> u64 {
    use pymodaq_h5::pymodaq::record::{RecordOptions, Recorder};
    let opts = RecordOptions {
        names: Some((0..4).map(|c| format!("ch{c}")).collect()),
        flush_every: 1000,
        durability: dur,
        ..RecordOptions::default()
    };
    let _ = std::fs::remove_file(file);
    let mut r = Recorder::create(Path::new(file), opts).expect("create");
    for k in 0..n {
        let v = [k as f64, k as f64 + 0.5, -(k as f64), 1.0];
        r.record(&v, now()).expect("record");
    }
    r.close().expect("close");
    n
}

/// P3: open + load_all; returns the number of values loaded. `lazy`: arrays read on first
/// touch; `touch`: then every array read (all cores), as PyMoDAQ's load_all holds them.
fn p3(file: &str, lazy: bool, touch: bool) -> u64 {
    let f = pymodaq_h5::hdf5::read::File::open(file).expect("open");
    let mut l = pymodaq_h5::pymodaq::load::DataLoader::new(
        pymodaq_h5::pymodaq::backend::H5Backend::new(&f),
    );
    if lazy {
        l = l.lazy();
    }
    let all = l.load_all("/", false).expect("load_all");
    let arrays: Vec<&NdArray> = all
        .data
        .iter()
        .flat_map(|d| d.data.iter().chain(d.errors.iter().flatten()))
        .collect();
    if touch {
        pymodaq_h5::pymodaq::model::lazy::read_all(&arrays).expect("read arrays");
    }
    all.data
        .iter()
        .map(|d| d.data.iter().map(|a| a.len() as u64).sum::<u64>())
        .sum()
}

fn child(spec: &str) {
    let parts: Vec<&str> = spec.split('\t').collect();
    let t = Instant::now();
    let units = match parts.as_slice() {
        ["p1", file, n, fl, d] => p1(
            file,
            n.parse().expect("n"),
            Flavour::from_name(fl).expect("flavour"),
            durability(d),
        ),
        ["p2saver", file, n, d] => p2_saver(file, n.parse().expect("n"), durability(d)),
        ["p2record", file, n, d] => p2_record(file, n.parse().expect("n"), durability(d)),
        ["p3", file] => p3(file, false, false),
        ["p3lazy", file] => p3(file, true, false),
        ["p3touch", file] => p3(file, true, true),
        _ => panic!("unknown child spec {spec}"),
    };
    println!(
        "{{\"seconds\": {}, \"units\": {units}, \"rss_kib\": {}}}",
        t.elapsed().as_secs_f64(),
        peak_rss_kib()
    );
}

fn ours(spec: &str) -> Run {
    harness::ours(spec, "units")
}

fn python(py: &Path, args: &[&str]) -> Option<Run> {
    harness::python(py, "bench/py_pymodaq.py", args, "units")
}

fn per_unit(r: &Run) -> f64 {
    r.seconds / r.amount.max(1) as f64
}

/// One table row: (name, unit, ours, PyMoDAQ per backend, target ratio).
type Row = (String, String, Run, Vec<(String, Run)>, f64);

fn main() {
    if let Ok(spec) = std::env::var("BENCH_CHILD") {
        child(&spec);
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        return; // `cargo test --all-targets` builds and runs benches without --bench
    }
    let quick = args.iter().any(|a| a == "--quick");
    let reps = if quick { 1 } else { 5 };
    let py = std::env::var("PYMODAQ_H5_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join(".venv/bin/python"));
    let dir = root().join("target/bench-data/pymodaq");
    std::fs::create_dir_all(&dir).expect("bench dir");
    let d = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let (n1, n1py) = if quick { (40u64, 10u64) } else { (100, 20) };
    let (n2, n2py) = if quick {
        (20_000u64, 300u64)
    } else {
        (100_000, 1000)
    };

    let mut rows: Vec<Row> = Vec::new();
    // PyMoDAQ's side: both backends, up to 3 repetitions each.
    let theirs_of = |wl: &str, file: &dyn Fn(&str) -> String, n: u64| -> Vec<(String, Run)> {
        ["tables", "h5py"]
            .iter()
            .filter_map(|be| {
                let runs: Vec<Run> = (0..reps.min(3))
                    .filter_map(|_| python(&py, &[wl, be, &file(be), &n.to_string()]))
                    .collect();
                (!runs.is_empty()).then(|| (be.to_string(), median_run(runs)))
            })
            .collect()
    };
    let med = |spec: &dyn Fn() -> String| median_run((0..reps).map(|_| ours(&spec())).collect());
    // P1 (the Flush rows are held against the targets: PyMoDAQ never fsyncs)
    let theirs = theirs_of("p1", &|be: &str| d(&format!("p1_pmd_{be}.h5")), n1py);
    let p1_title =
        format!("P1 scan {n1}×{n1} (PyMoDAQ {n1py}×{n1py}): 0D + 1D 2048 + 2D 64×64 per point");
    for (fl, dur, name) in [
        ("tables", "flush", format!("{p1_title}, Flush")),
        ("tables", "sync", "P1, Sync (fsync at close)".to_string()),
        ("h5py", "flush", "P1, our h5py flavour, Flush".to_string()),
    ] {
        // The P3 file is P1's tables-flavour Flush output.
        let file = d(&format!("p1_{fl}_{dur}.h5"));
        let run = med(&|| format!("p1\t{file}\t{n1}\t{fl}\t{dur}"));
        let target = if dur == "flush" { 50.0 } else { 0.0 };
        rows.push((name, "per point".into(), run, theirs.clone(), target));
    }
    // P2
    let theirs = theirs_of("p2", &|be: &str| d(&format!("p2_pmd_{be}.h5")), n2py);
    for (wl, dur, name) in [
        (
            "p2saver",
            "flush",
            format!(
                "P2 logger via DataToExportTimedSaver, {n2} × 4 channels (PyMoDAQ {n2py}), Flush"
            ),
        ),
        (
            "p2saver",
            "sync",
            "P2 via DataToExportTimedSaver, Sync (fsync at close)".to_string(),
        ),
        (
            "p2record",
            "flush",
            format!("P2 logger via `record`, {n2} × 4 channels, Flush"),
        ),
        (
            "p2record",
            "sync",
            "P2 via `record`, Sync (fsync at close)".to_string(),
        ),
    ] {
        let file = d(&format!("{wl}_{dur}.h5"));
        let run = med(&|| format!("{wl}\t{file}\t{n2}\t{dur}"));
        let target = if dur == "flush" { 1000.0 } else { 0.0 };
        rows.push((name, "per acquisition".into(), run, theirs.clone(), target));
    }
    // P3 on our P1 file (both load the same bytes)
    let p1_file = d("p1_tables_flush.h5");
    let theirs = theirs_of("p3", &|_: &str| p1_file.clone(), 0);
    for (wl, name, target) in [
        (
            "p3lazy",
            format!("P3 open + load_all of the P1 file ({n1}×{n1} scan), lazy arrays"),
            10.0,
        ),
        (
            "p3touch",
            "P3, lazy arrays then every array read (all cores)".to_string(),
            -1.0,
        ),
        (
            "p3",
            "P3, eager arrays (read in load_all)".to_string(),
            -1.0,
        ),
    ] {
        let run = med(&|| format!("{wl}\t{p1_file}"));
        rows.push((name, "whole file".into(), run, theirs.clone(), target));
    }

    let mut t = String::new();
    let mut summary = Vec::new();
    t.push_str("| workload | unit | ours per unit | PyMoDAQ tables per unit | PyMoDAQ h5py per unit | × PyMoDAQ (tables / h5py) | ours peak RSS MiB | target |\n|---|---|---|---|---|---|---|---|\n");
    for (name, unit, ours, theirs, target) in &rows {
        let ou = if unit == "whole file" {
            ours.seconds
        } else {
            per_unit(ours)
        };
        let get = |be: &str| {
            theirs.iter().find(|(b, _)| b == be).map(|(_, r)| {
                if unit == "whole file" {
                    r.seconds
                } else {
                    per_unit(r)
                }
            })
        };
        let fmt = |v: Option<f64>| v.map_or("—".into(), |s| format!("{:.1} µs", s * 1e6));
        let ratio = |v: Option<f64>| v.map_or("—".into(), |s| format!("{:.0}×", s / ou));
        let best = [get("tables"), get("h5py")]
            .iter()
            .flatten()
            .map(|s| s / ou)
            .fold(f64::INFINITY, f64::min);
        if *target > 0.0 && best.is_finite() {
            summary.push(serde_json::json!({"name": name, "ratio": best, "target": target}));
        }
        let verdict = if *target < 0.0 {
            "– (PyMoDAQ reads every array in load_all)".to_string()
        } else if *target == 0.0 {
            "– (PyMoDAQ does not fsync)".to_string()
        } else if best.is_finite() && best >= *target {
            format!("≥ {target}× — met")
        } else {
            format!("≥ {target}× — **not met**")
        };
        t.push_str(&format!(
            "| {name} | {unit} | {:.1} µs | {} | {} | {} / {} | {:.0} | {verdict} |\n",
            ou * 1e6,
            fmt(get("tables")),
            fmt(get("h5py")),
            ratio(get("tables")),
            ratio(get("h5py")),
            ours.rss_kib as f64 / 1024.0
        ));
    }
    println!("{t}");
    // The targets table of `workloads` (run next) reads these ratios.
    std::fs::write(
        dir.join("summary.json"),
        serde_json::to_string_pretty(&summary).expect("json"),
    )
    .expect("write summary.json");
    if !quick {
        let p = root().join("bench/RESULTS.md");
        let old = std::fs::read_to_string(&p).unwrap_or_default();
        let start = "<!-- pymodaq-workloads -->";
        let end = "<!-- /pymodaq-workloads -->";
        let section = format!(
            "{start}\n## PyMoDAQ savers and loader (P1–P3)\n\n`cargo bench --bench pymodaq_workloads`, {reps} repetitions (PyMoDAQ: up to 3), medians; PyMoDAQ = pymodaq_data 5.3.0 in the test venv. `×` = PyMoDAQ's time per unit / ours (the smaller of the two backends' ratios is held against the target).\n\n{t}\n{end}\n"
        );
        let new = match (old.find(start), old.find(end)) {
            (Some(a), Some(b)) if b > a => format!(
                "{}{}{}",
                &old[..a],
                section,
                &old[b + end.len()..].trim_start_matches('\n')
            ),
            _ => format!("{old}\n{section}"),
        };
        std::fs::write(&p, new).expect("write RESULTS.md");
        eprintln!("updated bench/RESULTS.md");
    }
}
