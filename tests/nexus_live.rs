//! NeXus hints are written when the savers create the groups and datasets, not only at close:
//! a `record` and a saver scan killed (SIGKILL) midway already carry every hint
//! `annotate-nexus` would add (the same `plan`), h5py and nexusformat see each NXdata with its
//! signal, axes and the root's default chain, and PyMoDAQ 5.x loads the killed files as our
//! loader does.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pymodaq_h5::hdf5::read::{File, Node, Value};
use pymodaq_h5::pymodaq::attrs::pyliteral::PyValue;
use pymodaq_h5::pymodaq::model::{
    Axis, DataDistribution, DataSource, DataToExport, DataWithAxes, DwaArgs, NdArray,
};
use pymodaq_h5::pymodaq::nexus_annotate::{plan, NxPlan};
use pymodaq_h5::pymodaq::save::{DataToExportExtendedSaver, H5Saver, InitOptions};
use serde_json::{json, Value as J};

const CHILD_ENV: &str = "PYMODAQ_H5_NEXUS_LIVE_CHILD";
const SCAN: u64 = 40;
const POINTS: usize = 3;

fn dwa(name: &str, n: usize, i: usize) -> DataWithAxes {
    let axes = if n > 1 {
        let wl = (0..n).map(|j| 400.0 + 5.0 * j as f64).collect();
        vec![Axis::new("wavelength", "nm", wl, 0, 0).unwrap()]
    } else {
        Vec::new()
    };
    let vals: Vec<f64> = (0..n).map(|j| (10 * i + j) as f64).collect();
    DataWithAxes::new(DwaArgs {
        name: name.into(),
        source: DataSource::Raw,
        distribution: DataDistribution::Uniform,
        data: vec![NdArray::from_f64(vec![n], &vals).unwrap()],
        labels: vec![format!("{name} label")],
        units: "V".into(),
        origin: PyValue::Str("det".into()),
        nav_indexes: Vec::new(),
        axes,
        errors: None,
        extra_attributes: Vec::new(),
    })
    .unwrap()
}

/// Child mode: a scan of `SCAN` points (a 0D and a 1D channel) written `POINTS` points deep,
/// flushed after each, then left hanging until the parent kills it.
#[test]
fn scan_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut h5 = H5Saver::init_file(&path, InitOptions::default()).unwrap();
    let raw = h5.raw_group().to_string();
    let empty = PyValue::Str(String::new());
    let scan = h5.add_scan_group(&raw, "scan", &empty, &[]).unwrap();
    let det = h5.add_det_group(&scan, "det", &empty, &[]).unwrap();
    let saver = DataToExportExtendedSaver::new(&[SCAN]);
    let x = Axis::new("x", "mm", (0..SCAN).map(|i| i as f64 * 0.5).collect(), 0, 0).unwrap();
    saver.add_nav_axes(&mut h5, &det, &[x]).unwrap();
    let mut out = std::io::stdout();
    for i in 0..POINTS {
        let mut d = DataToExport::new("scan");
        d.data.push(dwa("power", 1, i));
        d.data.push(dwa("spectrum", 8, i));
        saver
            .add_data(&mut h5, &det, &d, &[i as u64], DataDistribution::Uniform)
            .unwrap();
        h5.flush().unwrap();
    }
    writeln!(out, "READY").unwrap();
    out.flush().unwrap();
    std::thread::sleep(Duration::from_secs(600));
}

/// Runs the scan child on `out`, SIGKILLs it once it has flushed its points.
fn killed_scan(out: &Path) {
    let mut c = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "scan_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = c.stdout.take().unwrap();
    let ready = BufReader::new(stdout)
        .lines()
        .map_while(|l| l.ok())
        .any(|l| l.contains("READY"));
    c.kill().unwrap();
    c.wait().unwrap();
    assert!(ready, "the scan child never got ready");
}

/// Rows of the first `EnlData00` of a recording, as our reader sees them.
fn recorded_rows(path: &Path) -> Option<u64> {
    let f = File::open(path).ok()?;
    let mut rows = None;
    f.walk(|p, n| {
        if p.ends_with("EnlData00") {
            if let Ok(Node::Dataset(d)) = n {
                rows = d.shape().first().copied();
            }
        }
        Ok(())
    })
    .ok()?;
    rows
}

/// Runs `record`, feeds it rows, SIGKILLs it once they are committed.
fn killed_record(out: &Path) {
    let mut c = common::bin()
        .arg("record")
        .arg(out)
        .args(["--names", "T,P", "--units", "K,mbar", "--flush-every", "1"])
        .arg("--quiet")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = c.stdin.take().unwrap();
    for i in 0..5 {
        writeln!(stdin, "{}.5,{}", 290 + i, 1000 - i).unwrap();
    }
    stdin.flush().unwrap();
    let start = Instant::now();
    while recorded_rows(out).unwrap_or(0) < 5 && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    c.kill().unwrap();
    c.wait().unwrap();
    drop(stdin);
    assert_eq!(recorded_rows(out), Some(5), "record committed its rows");
}

/// The string values of attribute `name` of the object at `path` (`None` when absent).
fn strings(f: &File, path: &str, name: &str) -> Option<Vec<String>> {
    let node = f.get(path).ok()?;
    let a = node.object().attribute(name).ok()??;
    a.values()
        .ok()?
        .into_iter()
        .map(|v| match v {
            Value::FixedString(b) | Value::VarString(b) => Some(
                String::from_utf8_lossy(&b)
                    .trim_end_matches('\0')
                    .to_string(),
            ),
            _ => None,
        })
        .collect()
}

/// Every hint `annotate-nexus` plans for the file is already in it, with that value.
fn assert_hints_present(h5: &Path) -> NxPlan {
    let f = File::open(h5).unwrap();
    let p = plan(&f).unwrap();
    assert!(!p.groups.is_empty(), "{}: no NXdata planned", h5.display());
    for g in &p.groups {
        let at = |n: &str| strings(&f, &g.group, n);
        assert_eq!(at("NX_class"), Some(vec!["NXdata".into()]), "{}", g.group);
        assert_eq!(at("signal"), Some(vec![g.signal.clone()]), "{}", g.group);
        assert_eq!(at("axes"), Some(g.axes.clone()), "{}", g.group);
        for (path, ln) in &g.long_names {
            assert_eq!(strings(&f, path, "long_name"), Some(vec![ln.clone()]));
        }
    }
    for (g, child) in &p.defaults {
        assert_eq!(strings(&f, g, "default"), Some(vec![child.clone()]), "{g}");
    }
    assert_eq!(strings(&f, "/", "NX_class"), Some(vec!["NXroot".into()]));
    p
}

#[test]
fn killed_record_and_scan_already_carry_their_nexus_hints() {
    let dir = common::temp_dir("nexus-live");
    let scan = dir.join("scan.h5");
    let rec = dir.join("record.h5");
    killed_scan(&scan);
    killed_record(&rec);
    let mut files: Vec<(PathBuf, NxPlan)> = Vec::new();
    for h5 in [&scan, &rec] {
        files.push((h5.clone(), assert_hints_present(h5)));
    }
    // The spectrum is plotted against its wavelength axis (on the signal dimension, after
    // the scan's).
    let spectrum = files[0]
        .1
        .groups
        .iter()
        .find(|g| g.group.ends_with("Data1D/CH00"))
        .expect("the spectrum's group is NXdata");
    assert_eq!(spectrum.axes, vec![".".to_string(), "Axis00".to_string()]);
    assert_eq!(
        spectrum.long_names.first().map(|(_, l)| l.as_str()),
        Some("wavelength (nm)")
    );

    let Some(py) = common::python() else {
        eprintln!("SKIP the h5py/nexusformat/PyMoDAQ checks: no Python venv");
        return;
    };
    let mut failures = Vec::new();
    for (h5, p) in &files {
        let expected: Vec<J> = p
            .groups
            .iter()
            .map(|g| json!({"group": g.group, "signal": g.signal, "axes": g.axes}))
            .collect();
        let out = Command::new(&py)
            .arg(common::root().join("tests/py/nexus_check.py"))
            .arg(h5)
            .arg(serde_json::to_string(&expected).unwrap())
            .output()
            .unwrap();
        if !out.status.success() {
            failures.push(format!(
                "{} (NeXus): {}{}",
                h5.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    // PyMoDAQ 5.x loads each killed file as our loader does (hints included).
    let out = Command::new(&py)
        .arg(common::root().join("tests/py/pymodaq_load_many.py"))
        .args(files.iter().map(|(h5, _)| h5))
        .env("QT_QPA_PLATFORM", "offscreen")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "PyMoDAQ cannot load: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs: Vec<J> = serde_json::from_slice(&out.stdout).unwrap();
    for ((h5, _), theirs) in files.iter().zip(&docs) {
        let name = h5.file_name().unwrap().to_string_lossy().to_string();
        let f = File::open(h5).unwrap();
        let ours = pymodaq_h5::pymodaq::load_json::load_json(&f, &name, true)
            .unwrap()
            .0;
        let mut d = Vec::new();
        common::diff("", &ours, theirs, &mut d);
        if !d.is_empty() {
            failures.push(format!(
                "{name} (ours vs PyMoDAQ 5.x): {}",
                d[..d.len().min(8)].join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
