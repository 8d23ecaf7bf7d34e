//! The benchmark suite: each workload runs, in the same run and interleaved repetition by
//! repetition, through pymodaq-h5 (both durabilities), h5py and PyTables (`bench/py_side.py`,
//! with and without an fsync before close), the pure-Rust peers rust-hdf5 and hdf5-pure
//! (`bench/peers/`, built separately by scripts/bench.sh), and the machine limits that bound
//! it (`harness/limits.rs`). Every repetition is its own process, so peak RSS is per run.
//! Prints the tables and, in full mode, writes `bench/RESULTS.md` (keeping the P1-P3 section
//! `pymodaq_workloads` wrote just before, whose target ratios it reads from its summary).
//!
//! Run: `scripts/bench.sh` (or `cargo bench --bench workloads -- [--quick]`). `--quick`
//! (exported to every child as `BENCH_QUICK=1`) shrinks every workload about tenfold, runs
//! each once, skips the 1 GiB file and writes no RESULTS.md: it only proves every workload
//! runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use pymodaq_h5::hdf5::read::{File, Node};

mod harness;

use harness::{limits, peak_rss_kib, root, Run};

/// Workload sizes (frames, scan points per axis, logged values); `BENCH_QUICK` shrinks them.
struct Sizes {
    nf: usize,
    nx: u64,
    ny: u64,
    nl: usize,
}

const NS: usize = 2048;
const FRAME_BYTES: usize = 512 * 512 * 2;

fn sizes() -> Sizes {
    if std::env::var_os("BENCH_QUICK").is_some() {
        Sizes {
            nf: 100,
            nx: 20,
            ny: 20,
            nl: 10_000,
        }
    } else {
        Sizes {
            nf: 1000,
            nx: 100,
            ny: 100,
            nl: 100_000,
        }
    }
}

/// Child mode (`BENCH_CHILD`, tab-separated): `read FILE DS...`, `stream FILE DS`,
/// `write WL FILE PAYLOAD_DIR flush|sync`, `limit KIND ARGS...`. Prints one JSON line.
fn child(spec: &str) {
    let parts: Vec<&str> = spec.split('\t').collect();
    let (seconds, bytes) = match parts.as_slice() {
        ["limit", rest @ ..] => limits::run(rest),
        ["read", file, names @ ..] => {
            let t = Instant::now();
            let mut bytes = 0u64;
            let f = File::open(file).expect("open");
            for n in names {
                let Node::Dataset(d) = f.get(n).expect("get") else {
                    panic!("{n} is not a dataset")
                };
                bytes += d.read_raw().expect("read").len() as u64;
            }
            (t.elapsed().as_secs_f64(), bytes)
        }
        ["stream", file, name] => {
            let t = Instant::now();
            let f = File::open(file).expect("open");
            let Node::Dataset(d) = f.get(name).expect("get") else {
                panic!("{name} is not a dataset")
            };
            // One row of chunks at a time: memory stays at one slab whatever the file size.
            let step = d.chunks().and_then(|c| c.first().copied()).unwrap_or(1);
            let mut sel = d.full_selection();
            let rows = d.shape().first().copied().unwrap_or(0);
            let mut bytes = 0u64;
            let mut r = 0;
            while r < rows {
                sel[0] = r..(r + step).min(rows);
                bytes += d.read_raw_selection(&sel).expect("read").len() as u64;
                r += step;
            }
            (t.elapsed().as_secs_f64(), bytes)
        }
        ["write", wl, file, payload_dir, dur] => {
            // Payloads are loaded before the timed section, as the other sides do.
            let dir = Path::new(payload_dir);
            let frames = std::fs::read(dir.join("frames.bin")).expect("frames.bin");
            let spectra = std::fs::read(dir.join("spectra.bin")).expect("spectra.bin");
            let t = Instant::now();
            let bytes = write_workload(wl, file, &frames, &spectra, dur);
            (t.elapsed().as_secs_f64(), bytes)
        }
        _ => panic!("unknown child spec {spec}"),
    };
    println!(
        "{{\"seconds\": {seconds}, \"bytes\": {bytes}, \"rss_kib\": {}}}",
        peak_rss_kib()
    );
}

/// The write workloads through our writer (same payloads as the other sides).
fn write_workload(wl: &str, file: &str, frames: &[u8], spectra: &[u8], dur: &str) -> u64 {
    use pymodaq_h5::hdf5::write::{DatasetBuilder, Dtype, PyTablesClass, WriteOptions, Writer};
    let sz = sizes();
    let opts = WriteOptions {
        durability: durability(dur),
        ..WriteOptions::default()
    };
    let mut w = Writer::create(file, opts).expect("create");
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
            for i in 0..sz.nf {
                let k = (i % 16) * FRAME_BYTES;
                w.append_raw(&ds, &frames[k..k + FRAME_BYTES])
                    .expect("append");
            }
            w.close().expect("close");
            (sz.nf * FRAME_BYTES) as u64
        }
        "w2" => {
            let b = DatasetBuilder::new(Dtype::F64)
                .shape(&[sz.nx, sz.ny, NS as u64])
                .chunks(&[1, 1, NS as u64])
                .pytables_class(PyTablesClass::CArray);
            let ds = w.create_dataset("/scan", b).expect("dataset");
            for i in 0..sz.nx {
                for j in 0..sz.ny {
                    let k = ((i * sz.ny + j) % 16) as usize * NS * 8;
                    w.write_slice_raw(
                        &ds,
                        &[i..i + 1, j..j + 1, 0..NS as u64],
                        &spectra[k..k + NS * 8],
                    )
                    .expect("write");
                }
            }
            w.close().expect("close");
            (sz.nx * sz.ny) * NS as u64 * 8
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
            for i in 0..sz.nl {
                w.append(&v, &[(i as f64 * 1e-3).sin()]).expect("append");
                w.append(&t, &[1.7e9 + i as f64 * 0.01]).expect("append");
                if (i + 1) % 1000 == 0 {
                    w.flush().expect("flush");
                }
            }
            w.close().expect("close");
            (sz.nl * 16) as u64
        }
        other => panic!("unknown workload {other}"),
    }
}

fn durability(dur: &str) -> pymodaq_h5::hdf5::write::Durability {
    use pymodaq_h5::hdf5::write::Durability;
    match dur {
        "sync" => Durability::Sync,
        _ => Durability::Flush,
    }
}

/// Durability a row is measured at: `Flush` (survives a killed process: no fsync) or `Sync`
/// (survives power loss: fsync before close), `Read` for read workloads.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Dur {
    Flush,
    Sync,
    Read,
}

impl Dur {
    fn arg(self) -> &'static str {
        match self {
            Dur::Sync => "sync",
            _ => "flush",
        }
    }
}

/// Who runs a candidate.
enum Kind {
    Ours(String),
    Py(Vec<String>),
    Peer(PathBuf, Vec<String>),
    Limit(String),
}

/// One implementation (or limit) measured in a section.
struct Cand {
    /// `pymodaq-h5`, `h5py`, `PyTables`, `rust-hdf5`, `hdf5-pure`, or a limit's name.
    who: &'static str,
    dur: Dur,
    /// How it was run (close variant, fsync...), shown in the table.
    how: String,
    kind: Kind,
    /// The file it writes (deleted before each run, outside the timed section).
    out: Option<PathBuf>,
    /// The size of `out` after the last run (the file is then deleted: a full run's
    /// outputs took 10 GB).
    out_bytes: Option<u64>,
    runs: Vec<Run>,
    error: Option<String>,
}

struct Section {
    key: &'static str,
    title: String,
    /// Limit used for Flush/read rows and for Sync rows (a `who` of a Limit candidate).
    limit_flush: Option<&'static str>,
    limit_sync: Option<&'static str>,
    /// Chunk bytes, for the streaming RSS bound (64 MiB + two chunks); `None`: not streaming.
    chunk_bytes: Option<u64>,
    cands: Vec<Cand>,
}

const PCW: &str = "page-cache write";
const DURW: &str = "durable write";
const PCR: &str = "page-cache read";
const DEF1: &str = "deflate, 1 core";
const DEF2: &str = "deflate, 2 cores";
const INF1: &str = "inflate, 1 core";
const INF2: &str = "inflate, 2 cores";

struct Env {
    py: PathBuf,
    dir: PathBuf,
    peers: Vec<(&'static str, PathBuf)>,
}

impl Env {
    fn peer_bin(name: &str) -> PathBuf {
        root()
            .join("target/bench-peers/release")
            .join(format!("peer-{name}"))
    }
}

fn cand(who: &'static str, dur: Dur, how: &str, kind: Kind, out: Option<PathBuf>) -> Cand {
    Cand {
        who,
        dur,
        how: how.to_string(),
        kind,
        out,
        out_bytes: None,
        runs: Vec::new(),
        error: None,
    }
}

fn limit(who: &'static str, spec: &[&str]) -> Cand {
    let mut s = vec!["limit"];
    s.extend_from_slice(spec);
    cand(who, Dur::Read, "", Kind::Limit(s.join("\t")), None)
}

/// Candidates of a write workload: ours, h5py, PyTables and the peers at both durabilities.
fn write_section(
    env: &Env,
    key: &'static str,
    title: String,
    bytes: u64,
    chunk_bytes: u64,
) -> Section {
    let p = |n: String| env.dir.join(n);
    let payload = env.dir.to_string_lossy().into_owned();
    let mut cands = Vec::new();
    for dur in [Dur::Flush, Dur::Sync] {
        let d = dur.arg();
        let f = p(format!("{key}_ours_{d}.h5"));
        cands.push(cand(
            "pymodaq-h5",
            dur,
            &format!("Durability::{dur:?}"),
            Kind::Ours(format!("write\t{key}\t{}\t{payload}\t{d}", f.display())),
            Some(f),
        ));
        for (who, lib) in [("h5py", "h5py"), ("PyTables", "tables")] {
            let f = p(format!("{key}_{lib}_{d}.h5"));
            let mut args = vec![
                lib.to_string(),
                key.to_string(),
                f.to_string_lossy().into_owned(),
                payload.clone(),
            ];
            let how = if dur == Dur::Sync {
                args.push("--fsync".into());
                "fsync before close"
            } else {
                "no fsync"
            };
            cands.push(cand(who, dur, how, Kind::Py(args), Some(f)));
        }
        for (who, bin) in &env.peers {
            let f = p(format!("{key}_{who}_{d}.h5"));
            let how = match (*who, dur) {
                ("rust-hdf5", Dur::Flush) => "close_no_sync (no superblock before close)",
                ("rust-hdf5", _) => "close (fsync)",
                ("hdf5-pure", _) if key == "w3" => {
                    "open_rw + buffered appender, OnClose (fsyncs at close)"
                }
                ("hdf5-pure", Dur::Flush) => "whole file built in RAM, no fsync",
                _ => "whole file built in RAM, fsync",
            };
            let args = vec![
                key.to_string(),
                f.to_string_lossy().into_owned(),
                payload.clone(),
                d.to_string(),
            ];
            cands.push(cand(who, dur, how, Kind::Peer(bin.clone(), args), Some(f)));
        }
    }
    let scratch = p("limit.bin".into()).to_string_lossy().into_owned();
    let (lf, ls) = if key == "w1defl" {
        cands.push(limit(DEF1, &["deflate", &payload, "1"]));
        cands.push(limit(DEF2, &["deflate", &payload, "2"]));
        (Some(DEF2), Some(DEF2))
    } else if key == "w3" {
        (None, None)
    } else {
        let b = bytes.to_string();
        cands.push(limit(PCW, &["pcwrite", &scratch, &b]));
        cands.push(limit(DURW, &["durwrite", &scratch, &b]));
        (Some(PCW), Some(DURW))
    };
    Section {
        key,
        title,
        limit_flush: lf,
        limit_sync: ls,
        chunk_bytes: Some(chunk_bytes),
        cands,
    }
}

/// Candidates of a read workload.
fn read_section(
    env: &Env,
    key: &'static str,
    title: String,
    file: &Path,
    datasets: &[&str],
    gzip: bool,
) -> Section {
    let fstr = file.to_string_lossy().into_owned();
    let mut spec = vec!["read".to_string(), fstr.clone()];
    spec.extend(datasets.iter().map(|s| s.to_string()));
    let mut cands = vec![cand(
        "pymodaq-h5",
        Dur::Read,
        "File::open + read_raw",
        Kind::Ours(spec.join("\t")),
        None,
    )];
    for (who, lib) in [("h5py", "h5py"), ("PyTables", "tables")] {
        let mut a = vec![lib.to_string(), "read".into(), fstr.clone()];
        a.extend(datasets.iter().map(|s| s.to_string()));
        cands.push(cand(who, Dur::Read, "", Kind::Py(a), None));
    }
    for (who, bin) in &env.peers {
        let mut a = vec!["read".to_string(), fstr.clone()];
        a.extend(datasets.iter().map(|s| s.to_string()));
        let how = if *who == "hdf5-pure" {
            "open_streaming"
        } else {
            ""
        };
        cands.push(cand(who, Dur::Read, how, Kind::Peer(bin.clone(), a), None));
    }
    let lim = if gzip {
        let src = if file.ends_with("w4_big.h5") {
            fstr.clone()
        } else {
            env.dir.to_string_lossy().into_owned()
        };
        cands.push(limit(INF1, &["inflate", &src, "1"]));
        cands.push(limit(INF2, &["inflate", &src, "2"]));
        INF2
    } else {
        cands.push(limit(PCR, &["pcread", &fstr]));
        PCR
    };
    Section {
        key,
        title,
        limit_flush: Some(lim),
        limit_sync: None,
        chunk_bytes: None,
        cands,
    }
}

fn run_section(env: &Env, s: &mut Section, reps: usize) {
    for _ in 0..reps {
        for c in &mut s.cands {
            if let Some(o) = &c.out {
                let _ = std::fs::remove_file(o);
            }
            let r = match &c.kind {
                Kind::Ours(spec) | Kind::Limit(spec) => harness::try_ours(spec, "bytes"),
                Kind::Py(args) => {
                    let a: Vec<&str> = args.iter().map(String::as_str).collect();
                    harness::python(&env.py, "bench/py_side.py", &a, "bytes")
                        .ok_or_else(|| "failed (see stderr)".to_string())
                }
                Kind::Peer(bin, args) => {
                    let a: Vec<&str> = args.iter().map(String::as_str).collect();
                    harness::peer(bin, &a, "bytes")
                }
            };
            match r {
                Ok(run) => c.runs.push(run),
                Err(e) => c.error = Some(e),
            }
        }
    }
    for c in &mut s.cands {
        if let Some(o) = &c.out {
            c.out_bytes = size(o);
            let _ = std::fs::remove_file(o);
        }
    }
    for c in &s.cands {
        match median(c) {
            Some(r) => eprintln!(
                "{} | {} {:?} {}: {:.3} s",
                s.key, c.who, c.dur, c.how, r.seconds
            ),
            None => eprintln!(
                "{} | {} {:?}: {}",
                s.key,
                c.who,
                c.dur,
                c.error.as_deref().unwrap_or("no run")
            ),
        }
    }
}

fn median(c: &Cand) -> Option<Run> {
    (!c.runs.is_empty()).then(|| harness::median_run(c.runs.clone()))
}

fn mbs(r: &Run) -> f64 {
    r.amount as f64 / 1e6 / r.seconds
}

fn size(p: &Path) -> Option<u64> {
    std::fs::metadata(p).ok().map(|m| m.len())
}

impl Section {
    fn find(&self, who: &str, dur: Dur) -> Option<&Cand> {
        self.cands.iter().find(|c| c.who == who && c.dur == dur)
    }
    fn time(&self, who: &str, dur: Dur) -> Option<f64> {
        self.find(who, dur).and_then(median).map(|r| r.seconds)
    }
    fn limit_of(&self, dur: Dur) -> Option<(&'static str, f64)> {
        let name = if dur == Dur::Sync {
            self.limit_sync
        } else {
            self.limit_flush
        }?;
        let c = self.cands.iter().find(|c| c.who == name)?;
        Some((name, mbs(&median(c)?)))
    }
    fn file_mb(&self, who: &str, dur: Dur) -> Option<f64> {
        let c = self.find(who, dur)?;
        c.out_bytes.map(|b| b as f64 / 1e6)
    }
    /// Rows of implementations (not limits).
    fn impls(&self) -> impl Iterator<Item = &Cand> {
        self.cands
            .iter()
            .filter(|c| !matches!(c.kind, Kind::Limit(_)))
    }
}

fn main() {
    if let Ok(spec) = std::env::var("BENCH_CHILD") {
        child(&spec);
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --all-targets` runs bench binaries too (without `--bench`): nothing to do then.
    if !args.iter().any(|a| a == "--bench") {
        println!("workloads: benchmark suite; run it with scripts/bench.sh");
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    if quick {
        // Every child (ours, Python, peers) reads it.
        std::env::set_var("BENCH_QUICK", "1");
    }
    let (reps, slow_reps) = if quick { (1, 1) } else { (5, 3) };
    let py = std::env::var_os("PYMODAQ_H5_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"));
    let dir = std::env::var_os("BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            root().join(if quick {
                "target/bench-data/quick"
            } else {
                "target/bench-data"
            })
        });
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
    let peers = ["rust-hdf5", "hdf5-pure"]
        .into_iter()
        .map(|n| (n, Env::peer_bin(n)))
        .collect();
    let env = Env { py, dir, peers };
    let sz = sizes();
    let started = Instant::now();

    let w1 = (sz.nf * FRAME_BYTES) as u64;
    let w2 = sz.nx * sz.ny * NS as u64 * 8;
    let mut sections = vec![
        (
            write_section(
                &env,
                "w1raw",
                format!("W1 camera: {} frames 512×512 u16 appended (raw)", sz.nf),
                w1,
                FRAME_BYTES as u64,
            ),
            reps,
        ),
        (
            write_section(
                &env,
                "w1defl",
                format!("W1 camera: {} frames, shuffle + deflate 1", sz.nf),
                w1,
                FRAME_BYTES as u64,
            ),
            slow_reps,
        ),
        (
            write_section(
                &env,
                "w2",
                format!(
                    "W2 scan: {}×{} spectra of 2048 f64, point by point",
                    sz.nx, sz.ny
                ),
                w2,
                NS as u64 * 8,
            ),
            reps,
        ),
        (
            write_section(
                &env,
                "w3",
                format!("W3 logger: {} values + timestamps, flush every 1000", sz.nl),
                sz.nl as u64 * 16,
                8192,
            ),
            slow_reps,
        ),
        (
            read_section(
                &env,
                "w4frames",
                "W4 read W1-like frames 200×512×512 u16 (raw, h5py file)".into(),
                &env.dir.join("w4_frames.h5"),
                &["/frames"],
                false,
            ),
            reps,
        ),
        (
            read_section(
                &env,
                "w4scan",
                "W4 read W2-like scan 100×100×2048 f64 (raw, h5py file)".into(),
                &env.dir.join("w4_scan.h5"),
                &["/scan"],
                false,
            ),
            reps,
        ),
    ];
    let big = env.dir.join("w4_big.h5");
    let (gz_file, gz_title) = if big.exists() && !quick {
        (
            big.clone(),
            "W4 read 1 GiB float32 gzip-4 (h5py file, 823 MB)",
        )
    } else {
        (
            env.dir.join("w4_frames.h5"),
            "W4 gzip read (quick: raw frames, inflate limit on frames)",
        )
    };
    sections.push((
        read_section(
            &env,
            "w4gzip",
            gz_title.into(),
            &gz_file,
            &[if big.exists() && !quick {
                "/data"
            } else {
                "/frames"
            }],
            true,
        ),
        slow_reps,
    ));
    // Streaming read: one row of chunks at a time (RSS bound: 64 MiB + two chunks).
    let (st_file, st_ds, st_chunk) = if big.exists() && !quick {
        (big.clone(), "/data", 256 * 1024 * 4u64)
    } else {
        (env.dir.join("w4_frames.h5"), "/frames", FRAME_BYTES as u64)
    };
    let fstr = st_file.to_string_lossy().into_owned();
    sections.push((
        Section {
            key: "w5stream",
            title: format!(
                "W5 streaming read of {} by rows of chunks",
                st_file
                    .file_name()
                    .map_or(String::new(), |n| n.to_string_lossy().into_owned())
            ),
            limit_flush: None,
            limit_sync: None,
            chunk_bytes: Some(st_chunk),
            cands: vec![
                cand(
                    "pymodaq-h5",
                    Dur::Read,
                    "read_raw_selection per row of chunks",
                    Kind::Ours(format!("stream\t{fstr}\t{st_ds}")),
                    None,
                ),
                cand(
                    "h5py",
                    Dur::Read,
                    "d[r:r+chunk] per row of chunks",
                    Kind::Py(vec![
                        "h5py".into(),
                        "stream".into(),
                        fstr.clone(),
                        st_ds.into(),
                    ]),
                    None,
                ),
            ],
        },
        slow_reps,
    ));
    for (s, n) in &mut sections {
        run_section(&env, s, *n);
    }
    let sections: Vec<Section> = sections.into_iter().map(|(s, _)| s).collect();
    let report = render(
        &sections,
        reps,
        slow_reps,
        quick,
        started.elapsed().as_secs_f64(),
    );
    println!("{report}");
    if !quick {
        let p = root().join("bench/RESULTS.md");
        let old = std::fs::read_to_string(&p).unwrap_or_default();
        let start = "<!-- pymodaq-workloads -->";
        let end = "<!-- /pymodaq-workloads -->";
        let keep = match (old.find(start), old.find(end)) {
            (Some(a), Some(b)) if b > a => old[a..b + end.len()].to_string(),
            _ => String::new(),
        };
        std::fs::write(&p, format!("{report}\n{keep}\n")).unwrap();
        eprintln!("wrote bench/RESULTS.md");
    }
    // Quick mode is a smoke test: every workload of ours, h5py and PyTables must have run.
    if quick {
        let failed: Vec<String> = sections
            .iter()
            .flat_map(|s| {
                s.cands
                    .iter()
                    .filter(|c| matches!(c.kind, Kind::Ours(_) | Kind::Py(_) | Kind::Limit(_)))
                    .filter(|c| c.runs.is_empty())
                    .map(move |c| format!("{} {} {:?}", s.key, c.who, c.dur))
            })
            .collect();
        assert!(failed.is_empty(), "workloads that did not run: {failed:?}");
    }
}

/// One row of the targets table: (what, measured, target, met).
type Target = (String, String, String, Option<bool>);

fn ratio_row(s: &Section, what: &str, dur: Dur, target: f64) -> Target {
    let ours = s.time("pymodaq-h5", dur);
    let h = s.time("h5py", dur);
    match (ours, h) {
        (Some(o), Some(h)) => (
            what.into(),
            format!("{:.2}× ({h:.3} s / {o:.3} s)", h / o),
            format!("≥ {target}×"),
            Some(h / o >= target),
        ),
        _ => (
            what.into(),
            "not measured".into(),
            format!("≥ {target}×"),
            None,
        ),
    }
}

fn targets(sections: &[Section]) -> Vec<Target> {
    let get = |k: &str| sections.iter().find(|s| s.key == k);
    let mut t = Vec::new();
    if let Some(s) = get("w1raw") {
        t.push(ratio_row(
            s,
            "W1 raw vs h5py (Flush; h5py without fsync)",
            Dur::Flush,
            1.9,
        ));
        let pct = s
            .find("pymodaq-h5", Dur::Flush)
            .and_then(median)
            .zip(s.limit_of(Dur::Flush))
            .map(|(r, (_, l))| 100.0 * mbs(&r) / l);
        t.push((
            "W1 raw vs page-cache write of the same size (Flush)".into(),
            pct.map_or("not measured".into(), |p| format!("{p:.0} %")),
            "≥ 85 %".into(),
            pct.map(|p| p >= 85.0),
        ));
    }
    if let Some(s) = get("w1defl") {
        t.push(ratio_row(
            s,
            "W1 shuffle+deflate vs h5py (Flush)",
            Dur::Flush,
            6.0,
        ));
        let (o, h) = (
            s.file_mb("pymodaq-h5", Dur::Flush),
            s.file_mb("h5py", Dur::Flush),
        );
        t.push((
            "W1 shuffle+deflate file size vs h5py's".into(),
            match (o, h) {
                (Some(o), Some(h)) => format!("{o:.1} MB vs {h:.1} MB"),
                _ => "not measured".into(),
            },
            "no larger".into(),
            o.zip(h).map(|(o, h)| o <= h),
        ));
    }
    if let Some(s) = get("w2") {
        t.push(ratio_row(s, "W2 scan vs h5py (Flush)", Dur::Flush, 8.0));
    }
    if let Some(s) = get("w4gzip") {
        t.push(ratio_row(s, "W4 gzip read vs h5py", Dur::Read, 3.0));
    }
    // P1-P3 from pymodaq_workloads (run just before, same machine state).
    let summary = root().join("target/bench-data/pymodaq/summary.json");
    if let Some(v) = std::fs::read_to_string(summary)
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
    {
        for r in v.as_array().into_iter().flatten() {
            let (Some(name), Some(ratio), Some(target)) = (
                r["name"].as_str(),
                r["ratio"].as_f64(),
                r["target"].as_f64(),
            ) else {
                continue;
            };
            t.push((
                format!("{name} vs PyMoDAQ (slower backend ratio)"),
                format!("{ratio:.1}×"),
                format!("≥ {target}×"),
                Some(ratio >= target),
            ));
        }
    }
    // Ahead of the best pure-Rust peer, at the same durability.
    for s in sections {
        for dur in [Dur::Flush, Dur::Sync, Dur::Read] {
            let Some(o) = s.time("pymodaq-h5", dur) else {
                continue;
            };
            let best = ["rust-hdf5", "hdf5-pure"]
                .iter()
                .filter_map(|p| s.time(p, dur).map(|t| (*p, t)))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((p, b)) = best {
                t.push((
                    format!("{} ({dur:?}) vs best peer ({p})", s.key),
                    format!("{:.2}×", b / o),
                    "> 1×".into(),
                    Some(b / o > 1.0),
                ));
            }
        }
    }
    // Peak RSS of streaming writes and reads: 64 MiB + two chunks.
    for s in sections {
        let Some(chunk) = s.chunk_bytes else { continue };
        let bound = (64u64 << 20) + 2 * chunk;
        for dur in [Dur::Flush, Dur::Sync, Dur::Read] {
            if let Some(r) = s.find("pymodaq-h5", dur).and_then(median) {
                let rss = r.rss_kib * 1024;
                t.push((
                    format!("{} ({dur:?}) peak RSS", s.key),
                    format!("{:.1} MiB", rss as f64 / 1048576.0),
                    format!("≤ {:.1} MiB", bound as f64 / 1048576.0),
                    Some(rss <= bound),
                ));
            }
        }
    }
    t
}

fn render(sections: &[Section], reps: usize, slow: usize, quick: bool, secs: f64) -> String {
    let mut s = String::new();
    s += "# Benchmark results\n\n";
    s += &format!(
        "Machine: {} cores, {}, {}; run {} ({} repetitions, {} for the slow workloads; medians; peak RSS is the maximum over runs; {:.0} s for this part){}.\n\n",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model(),
        mem_total(),
        date(),
        reps,
        slow,
        secs,
        if quick { ", quick mode" } else { "" }
    );
    s += "Durability: **Flush** = the file survives the writing process being killed (no fsync: \
          ours `Durability::Flush`, h5py/PyTables closing without fsync); **Sync** = it survives \
          power loss (ours `Durability::Sync`, h5py/PyTables with an `fsync` before close). \
          Ratios compare rows of the same durability. Python timings exclude interpreter \
          start-up, imports and payload loading; every repetition is a fresh process, and the \
          output file is deleted and earlier runs' dirty pages written back (`sync`) before \
          each run.\n\n";
    s += "## Targets\n\n| target | measured | required | met |\n|---|---|---|---|\n";
    for (what, got, want, met) in targets(sections) {
        s += &format!(
            "| {what} | {got} | {want} | {} |\n",
            match met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "–",
            }
        );
    }
    s += "\n## Machine limits (same run, interleaved with the workloads)\n\n| limit | measured in | MB/s |\n|---|---|---|\n";
    for sec in sections {
        for c in sec
            .cands
            .iter()
            .filter(|c| matches!(c.kind, Kind::Limit(_)))
        {
            s += &format!(
                "| {} | {} | {} |\n",
                c.who,
                sec.key,
                median(c).map_or_else(
                    || c.error.clone().unwrap_or_default(),
                    |r| format!("{:.0}", mbs(&r))
                )
            );
        }
    }
    s += "\nPage-cache and durable writes: 8 MiB writes of a resident buffer into a fresh file of the workload's size (durable: + fdatasync). Page-cache read: the cached file into one fresh buffer of its size. Deflate: shuffle + deflate 1 of camera frames with our filter code (zlib-rs); inflate: level-4 float32 chunks of 1 MiB with zlib-rs; both chunk by chunk on 1 or 2 threads.\n";
    for sec in sections {
        s += &format!("\n## {}\n\n", sec.title);
        s += "| implementation | durability | how | median s | MB/s | × h5py (same durability) | % of limit | peak RSS MiB | file MB |\n|---|---|---|---|---|---|---|---|---|\n";
        for c in sec.impls() {
            let Some(r) = median(c) else {
                s += &format!(
                    "| {} | {:?} | {} | – | – | – | – | – | cannot run: {} |\n",
                    c.who,
                    c.dur,
                    c.how,
                    c.error.as_deref().unwrap_or("no run")
                );
                continue;
            };
            let h = sec.time("h5py", c.dur);
            let lim = sec.limit_of(c.dur);
            s += &format!(
                "| {} | {:?} | {} | {:.3} | {:.0} | {} | {} | {:.0} | {} |\n",
                c.who,
                c.dur,
                c.how,
                r.seconds,
                mbs(&r),
                h.map_or("–".into(), |h| format!("{:.2}×", h / r.seconds)),
                lim.map_or("–".into(), |(n, l)| format!(
                    "{:.0} % of {n}",
                    100.0 * mbs(&r) / l
                )),
                r.rss_kib as f64 / 1024.0,
                c.out_bytes
                    .map_or("–".into(), |b| format!("{:.1}", b as f64 / 1e6)),
            );
        }
    }
    s += "\nrust-hdf5 0.7.9 (features `parallel`) and hdf5-pure 0.47.0 run from `bench/peers/` (each its own build, so flate2 features do not unify). rust-hdf5 writes its superblock only at close: before `close`, a killed process leaves no readable file, so its Flush rows are weaker than ours. hdf5-pure cannot append to rank > 1 datasets nor write hyperslabs: it builds W1/W2 in memory.\n";
    s
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default()
}

fn mem_total() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|k| k.parse::<f64>().ok())
                })
        })
        .map_or(String::new(), |k| format!("{:.0} GiB RAM", k / 1048576.0))
}

fn date() -> String {
    Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
