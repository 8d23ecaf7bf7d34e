//! The benchmark suite: each workload runs through pymodaq-h5 and, in the same run, through
//! h5py and PyTables (`bench/py_side.py`, in the test venv), several repetitions each, every
//! repetition in its own process (so peak RSS is per run). Prints a table of medians and
//! writes `bench/RESULTS.md`.
//!
//! Run: `scripts/bench.sh` (or `cargo bench --bench workloads -- [--quick]`). `--quick` skips
//! the 1 GiB file and uses fewer repetitions.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use pymodaq_h5::hdf5::read::{File, Node};

mod harness;

use harness::{peak_rss_kib, root, Run};

/// Child mode: `BENCH_CHILD="read FILE DS..."`: do the work, print one JSON line.
fn child(spec: &str) {
    let parts: Vec<&str> = spec.split('\t').collect();
    // Payloads are loaded before the timed section, as the Python side does.
    let payloads = match parts.as_slice() {
        [wl, _, payload_dir] if *wl != "read" => {
            let dir = Path::new(payload_dir);
            Some((
                std::fs::read(dir.join("frames.bin")).expect("frames.bin"),
                std::fs::read(dir.join("spectra.bin")).expect("spectra.bin"),
            ))
        }
        _ => None,
    };
    let t = Instant::now();
    let mut bytes = 0u64;
    match parts.as_slice() {
        ["read", file, names @ ..] => {
            let f = File::open(file).expect("open");
            for n in names {
                let Node::Dataset(d) = f.get(n).expect("get") else {
                    panic!("{n} is not a dataset")
                };
                bytes += d.read_raw().expect("read").len() as u64;
            }
        }
        [wl, file, _] => {
            let (frames, spectra) = payloads.as_ref().expect("payloads");
            bytes = write_workload(wl, file, frames, spectra)
        }
        _ => panic!("unknown child spec {spec}"),
    }
    let seconds = t.elapsed().as_secs_f64();
    println!(
        "{{\"seconds\": {seconds}, \"bytes\": {bytes}, \"rss_kib\": {}}}",
        peak_rss_kib()
    );
}

const NF: usize = 1000;
const NX: u64 = 100;
const NY: u64 = 100;
const NS: usize = 2048;
const NL: usize = 100_000;

/// The write workloads through our writer (same payloads as the Python side).
fn write_workload(wl: &str, file: &str, frames: &[u8], spectra: &[u8]) -> u64 {
    use pymodaq_h5::hdf5::write::{DatasetBuilder, Dtype, PyTablesClass, WriteOptions, Writer};
    let frame_bytes = 512 * 512 * 2;
    let mut w = Writer::create(file, WriteOptions::default()).expect("create");
    match wl {
        "w1raw" | "w1defl" => {
            let mut b = DatasetBuilder::new(Dtype::U16)
                .shape(&[0, 512, 512])
                .max_shape(&[None, Some(512), Some(512)])
                .chunks(&[1, 512, 512])
                .pytables_class(PyTablesClass::EArray);
            if wl == "w1defl" {
                b = b.shuffle().deflate(1);
            }
            let ds = w.create_dataset("/frames", b).expect("dataset");
            for i in 0..NF {
                let k = (i % 16) * frame_bytes;
                w.append_raw(&ds, &frames[k..k + frame_bytes])
                    .expect("append");
            }
            w.close().expect("close");
            (NF * frame_bytes) as u64
        }
        "w2" => {
            let b = DatasetBuilder::new(Dtype::F64)
                .shape(&[NX, NY, NS as u64])
                .chunks(&[1, 1, NS as u64])
                .pytables_class(PyTablesClass::CArray);
            let ds = w.create_dataset("/scan", b).expect("dataset");
            for i in 0..NX {
                for j in 0..NY {
                    let k = ((i * NY + j) % 16) as usize * NS * 8;
                    w.write_slice_raw(
                        &ds,
                        &[i..i + 1, j..j + 1, 0..NS as u64],
                        &spectra[k..k + NS * 8],
                    )
                    .expect("write");
                }
            }
            w.close().expect("close");
            (NX * NY) * NS as u64 * 8
        }
        "w3" => {
            let mk = || {
                DatasetBuilder::new(Dtype::F64)
                    .shape(&[0])
                    .max_shape(&[None])
                    .chunks(&[1024])
                    .pytables_class(PyTablesClass::EArray)
            };
            let v = w.create_dataset("/value", mk()).expect("value");
            let t = w.create_dataset("/timestamp", mk()).expect("timestamp");
            for i in 0..NL {
                w.append(&v, &[(i as f64 * 1e-3).sin()]).expect("append");
                w.append(&t, &[1.7e9 + i as f64 * 0.01]).expect("append");
                if (i + 1) % 1000 == 0 {
                    w.flush().expect("flush");
                }
            }
            w.close().expect("close");
            (NL * 16) as u64
        }
        other => panic!("unknown workload {other}"),
    }
}

fn ours(spec: &str) -> Run {
    harness::ours(spec, "bytes")
}

fn python(py: &Path, args: &[&str]) -> Option<Run> {
    harness::python(py, "bench/py_side.py", args, "bytes")
}

/// (name, file, datasets, machine limit to compare with)
type ReadWorkload = (String, PathBuf, Vec<&'static str>, Option<(String, f64)>);

struct Row {
    name: String,
    ours: Run,
    h5py: Option<Run>,
    tables: Option<Run>,
    file_bytes: u64,
    limit: Option<(String, f64)>, // (what, MB/s)
}

fn med_run(runs: Vec<Run>) -> Run {
    harness::median_run(runs)
}

/// Page-cache write and read speed of a plain 512 MiB file (1 MiB calls), MB/s.
fn page_cache(dir: &Path) -> (f64, f64) {
    let p = dir.join("plain.bin");
    let block = vec![7u8; 1 << 20];
    let t = Instant::now();
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&p).unwrap();
        for _ in 0..512 {
            f.write_all(&block).unwrap();
        }
    }
    let w = t.elapsed().as_secs_f64();
    let t = Instant::now();
    {
        use std::io::Read;
        let mut f = std::fs::File::open(&p).unwrap();
        let mut buf = vec![0u8; 1 << 20];
        while f.read(&mut buf).unwrap() > 0 {}
    }
    let r = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&p);
    (512.0 * 1.048_576 / w, 512.0 * 1.048_576 / r)
}

/// Single-core inflate speed of the 1 GiB file's chunks (decompressed MB/s).
fn single_core_inflate(file: &Path) -> Option<f64> {
    use std::io::Read;
    let f = File::open(file).ok()?;
    let Node::Dataset(d) = f.get("/data").ok()? else {
        return None;
    };
    // Compress a representative block the way the file does (deflate 4) and time inflating it.
    let raw = d.read_raw_selection(&[0..1024, 0..4096]).ok()?;
    let comp = {
        use std::io::Write;
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(4));
        for c in raw.chunks(1 << 20) {
            e.write_all(c).ok()?;
        }
        e.finish().ok()?
    };
    let t = Instant::now();
    let mut out = Vec::with_capacity(raw.len());
    flate2::read::ZlibDecoder::new(&comp[..])
        .read_to_end(&mut out)
        .ok()?;
    Some(raw.len() as f64 / 1e6 / t.elapsed().as_secs_f64())
}

fn main() {
    if let Ok(spec) = std::env::var("BENCH_CHILD") {
        child(&spec);
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --all-targets` runs bench binaries too (without `--bench`): nothing to do then.
    if !args.iter().any(|a| a == "--bench") {
        println!("workloads: benchmark suite; run it with `cargo bench --bench workloads` or scripts/bench.sh");
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let reps = if quick { 3 } else { 5 };
    let py = std::env::var_os("PYMODAQ_H5_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"));
    let dir = std::env::var_os("BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/bench-data"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut mk = Command::new(&py);
    mk.arg(root().join("bench/make_inputs.py")).arg(&dir);
    if !quick {
        mk.arg("--big");
    }
    let st = mk
        .status()
        .expect("run bench/make_inputs.py (is the venv set up? scripts/test.sh does it)");
    assert!(st.success(), "make_inputs.py failed");

    let (cache_mbs, cache_read_mbs) = page_cache(&dir);
    let big = dir.join("w4_big.h5");
    let inflate_mbs = if big.exists() {
        single_core_inflate(&big)
    } else {
        None
    };

    let mut workloads: Vec<ReadWorkload> = vec![
        (
            "W4 read W1-like frames (raw)".into(),
            dir.join("w4_frames.h5"),
            vec!["/frames"],
            Some(("page-cache read".into(), cache_read_mbs)),
        ),
        (
            "W4 read W2-like scan (raw)".into(),
            dir.join("w4_scan.h5"),
            vec!["/scan"],
            Some(("page-cache read".into(), cache_read_mbs)),
        ),
    ];
    if big.exists() && !quick {
        workloads.push((
            "W4 read 1 GiB gzip-4 (h5py file)".into(),
            big.clone(),
            vec!["/data"],
            inflate_mbs.map(|m| ("1-core inflate".to_string(), m)),
        ));
    }
    let mut rows = Vec::new();
    let payload = dir.to_string_lossy().into_owned();
    let writes = [
        (
            "W1 camera: 1000 frames appended (raw)",
            "w1raw",
            Some(("page-cache write".to_string(), cache_mbs)),
        ),
        ("W1 camera: shuffle + deflate 1", "w1defl", None),
        (
            "W2 scan: 100x100 spectra, point by point",
            "w2",
            Some(("page-cache write".to_string(), cache_mbs)),
        ),
        (
            "W3 logger: 100k values + timestamps, flush/1000",
            "w3",
            None,
        ),
    ];
    for (name, wl, limit) in writes {
        let ours_file = dir.join(format!("{wl}_ours.h5"));
        let h5py_file = dir.join(format!("{wl}_h5py.h5"));
        let tables_file = dir.join(format!("{wl}_tables.h5"));
        let spec = format!("{wl}\t{}\t{payload}", ours_file.display());
        let (mut o, mut h, mut t) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..reps {
            o.push(ours(&spec));
            if let Some(r) = python(&py, &["h5py", wl, &h5py_file.to_string_lossy(), &payload]) {
                h.push(r);
            }
            if let Some(r) = python(
                &py,
                &["tables", wl, &tables_file.to_string_lossy(), &payload],
            ) {
                t.push(r);
            }
        }
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let row = Row {
            name: name.to_string(),
            ours: med_run(o),
            h5py: (!h.is_empty()).then(|| med_run(h)),
            tables: (!t.is_empty()).then(|| med_run(t)),
            file_bytes: size(&ours_file),
            limit,
        };
        eprintln!(
            "{}: ours {:.3} s ({:.1} MB; h5py file {:.1} MB)",
            row.name,
            row.ours.seconds,
            row.file_bytes as f64 / 1e6,
            size(&h5py_file) as f64 / 1e6
        );
        rows.push(row);
    }
    for (name, file, datasets, limit) in workloads {
        let fstr = file.to_string_lossy().into_owned();
        let mut spec = vec!["read".to_string(), fstr.clone()];
        spec.extend(datasets.iter().map(|s| s.to_string()));
        let spec = spec.join("\t");
        let mut o = Vec::new();
        let mut h = Vec::new();
        let mut t = Vec::new();
        for _ in 0..reps {
            o.push(ours(&spec));
            let mut a = vec!["h5py", "read", fstr.as_str()];
            a.extend(datasets.iter().copied());
            if let Some(r) = python(&py, &a) {
                h.push(r);
            }
            a[0] = "tables";
            if let Some(r) = python(&py, &a) {
                t.push(r);
            }
        }
        let row = Row {
            name,
            ours: med_run(o),
            h5py: (!h.is_empty()).then(|| med_run(h)),
            tables: (!t.is_empty()).then(|| med_run(t)),
            file_bytes: std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0),
            limit,
        };
        eprintln!("{}: ours {:.3} s", row.name, row.ours.seconds);
        rows.push(row);
    }
    let report = render(&rows, reps, (cache_mbs, cache_read_mbs), inflate_mbs, quick);
    println!("{report}");
    if !quick {
        std::fs::write(root().join("bench/RESULTS.md"), &report).unwrap();
        eprintln!("wrote bench/RESULTS.md");
    }
}

fn render(
    rows: &[Row],
    reps: usize,
    cache: (f64, f64),
    inflate: Option<f64>,
    quick: bool,
) -> String {
    let mbs = |r: &Run| r.amount as f64 / 1e6 / r.seconds;
    let mut s = String::new();
    s += "# Benchmark results\n\n";
    s += &format!(
        "Machine: {} cores, {}; run {} ({} repetitions, medians; peak RSS is the maximum over runs){}.\n\n",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|c| c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
            .unwrap_or_default(),
        date(),
        reps,
        if quick { ", quick mode" } else { "" }
    );
    s += &format!(
        "Machine limits measured in the same run: page-cache write of a plain file {:.0} MB/s, read {:.0} MB/s (one core)",
        cache.0, cache.1
    );
    if let Some(i) = inflate {
        s += &format!("; single-core inflate (zlib-rs) {i:.0} MB/s");
    }
    s += ".\n\n";
    s += "| workload | ours s | ours MB/s | ours peak RSS MiB | h5py s | PyTables s | × h5py | × PyTables | file MB | vs machine limit |\n";
    s += "|---|---|---|---|---|---|---|---|---|---|\n";
    for r in rows {
        let h = r.h5py.as_ref();
        let t = r.tables.as_ref();
        s += &format!(
            "| {} | {:.3} | {:.0} | {:.0} | {} | {} | {} | {} | {:.1} | {} |\n",
            r.name,
            r.ours.seconds,
            mbs(&r.ours),
            r.ours.rss_kib as f64 / 1024.0,
            h.map_or("–".into(), |h| format!("{:.3}", h.seconds)),
            t.map_or("–".into(), |t| format!("{:.3}", t.seconds)),
            h.map_or("–".into(), |h| format!(
                "{:.2}×",
                h.seconds / r.ours.seconds
            )),
            t.map_or("–".into(), |t| format!(
                "{:.2}×",
                t.seconds / r.ours.seconds
            )),
            r.file_bytes as f64 / 1e6,
            r.limit.as_ref().map_or("–".into(), |(what, l)| format!(
                "{:.0} % of {what}",
                100.0 * mbs(&r.ours) / l
            )),
        );
    }
    s += "\n`× h5py` = h5py's median time / ours (higher is better). Python timings exclude interpreter start-up and imports.\n";
    s
}

fn date() -> String {
    Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
