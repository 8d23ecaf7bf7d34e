//! Commit replay: the exact sequence of storage writes of a writer session recording an
//! acquisition (several channels of 0D and 1D rows, filtered or not, error bars and a
//! navigation axis, or the pre-sized arrays of a scan) is recorded, then the file as a
//! kill after each write would leave it (every prefix of the sequence) is opened: from the
//! first commit on, every prefix must open in our reader, every dataset of the acquisition
//! must hold exactly the same number of whole acquisitions, each value equal to what was
//! written, and at least the acquisitions acknowledged by the last completed `flush()`.
//! Both write profiles. A power loss can also tear the last write at 512-byte sectors:
//! every prefix followed by a sector-aligned part (first sectors only, or last sectors
//! only) of the next write must open, every dataset must hold whole rows, at least the
//! acknowledged ones, and an acquisition whose commit slots fit in one sector (see
//! spec/hdf5-write.md) must hold equal rows in all its datasets.
//! Samples of prefixes are read by h5py.

mod common;

use std::sync::{Arc, Mutex};

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::{
    DatasetBuilder, Dtype, MemWriteStorage, Profile, PyTablesClass, WriteOptions, WriteStorage,
    Writer,
};

use common::recording::{acknowledged, apply, Op, Recording};

const L: u64 = 5;
const SECTOR: u64 = 512;
/// Datasets of the previous acquisition (`session`'s `prev`): 26 slots of 128 bytes in the
/// 1.10 profile fill six and a half sectors of the page.
const PREV: usize = 26;

/// One dataset of the acquisition: path, elements per row, value of (row, element).
struct Chan {
    path: String,
    row: u64,
    filtered: bool,
    seed: f64,
}

impl Chan {
    fn value(&self, i: usize, j: usize) -> f64 {
        self.seed + i as f64 * 3.0 + j as f64 * 0.25
    }
    fn row_values(&self, i: usize) -> Vec<f64> {
        (0..self.row as usize).map(|j| self.value(i, j)).collect()
    }
}

fn channels(n0: usize, n1: usize) -> Vec<Chan> {
    let mut v = Vec::new();
    for (dim, n, row) in [(0, n0, 1), (1, n1, L)] {
        for c in 0..n {
            for (name, k) in [("Data", 0.0), ("ErrorBar", 0.5)] {
                v.push(Chan {
                    path: format!("/RawData/Acq/Data{dim}D/CH{c:02}/{name}00"),
                    row,
                    filtered: (c + dim) % 2 == 1,
                    seed: 100.0 * (c + 10 * dim) as f64 + k,
                });
            }
        }
    }
    v.push(Chan {
        path: "/RawData/Acq/NavAxes/Axis00".into(),
        row: 1,
        filtered: false,
        seed: -1.0,
    });
    v
}

/// How a session writes (see [`session`]).
#[derive(Clone, Copy, Default)]
struct Mode {
    scan: bool,
    mixed: bool,
    reopen: bool,
    prev: bool,
}

/// Session of `acqs` acquisitions, flushed every `every`; `scan`: pre-sized arrays written
/// point by point (NaN fill) instead of appended rows; `mixed`: appended rows, but every
/// other row of the last dataset (the axis) written by `write_slice` past its extent, right
/// after rows appended to it; `reopen`: the file is closed after half the acquisitions and
/// continued by `Writer::open` (a `record --append`); `prev`: a previous acquisition of
/// [`PREV`] datasets is committed first, leaving one sector of its commit page in the
/// 1.10 profile (three in the PyTables profile), and this one is announced
/// (`Writer::begin_acquisition`). Returns the op log and, per flush, (ops so far,
/// acquisitions acknowledged).
fn session(
    v110: bool,
    Mode {
        scan,
        mixed,
        reopen,
        prev,
    }: Mode,
    chans: &[Chan],
    acqs: usize,
    every: usize,
) -> (Vec<Op>, Vec<(usize, usize)>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let st = Recording {
        inner: MemWriteStorage::new(),
        log: log.clone(),
    };
    let opts = common::write_opts(if v110 {
        Profile::Hdf5V110
    } else {
        Profile::PyTables
    });
    let mut w = Writer::with_storage(Box::new(st), opts).unwrap();
    let mut acked = Vec::new();
    let mut ids = Vec::new();
    if prev {
        w.create_group("/RawData").unwrap();
        w.create_group("/RawData/Prev").unwrap();
        for k in 0..PREV {
            let b = DatasetBuilder::new(Dtype::F64)
                .shape(&[0, 1])
                .max_shape(&[None, Some(1)])
                .chunks(&[4, 1])
                .pytables_class(PyTablesClass::EArray);
            let id = w
                .create_dataset(&format!("/RawData/Prev/d{k:02}"), b)
                .unwrap();
            w.append(&id, &[k as f64]).unwrap();
        }
        w.flush().unwrap();
        w.begin_acquisition(chans.len());
    }
    for c in chans {
        let (g, _) = c.path.rsplit_once('/').unwrap();
        let mut parts = String::new();
        for p in g.split('/').skip(1) {
            parts = format!("{parts}/{p}");
            if w.dataset(&parts).is_err() {
                let _ = w.create_group(&parts);
            }
        }
        let b = if scan {
            DatasetBuilder::new(Dtype::F64)
                .shape(&[acqs as u64, c.row])
                .chunks(&[4, c.row])
                .fill_value(&f64::NAN.to_le_bytes())
                .pytables_class(PyTablesClass::CArray)
        } else {
            DatasetBuilder::new(Dtype::F64)
                .shape(&[0, c.row])
                .max_shape(&[None, Some(c.row)])
                .chunks(&[4, c.row])
                .pytables_class(PyTablesClass::EArray)
        };
        let b = if c.filtered {
            b.shuffle().deflate(1)
        } else {
            b
        };
        ids.push(w.create_dataset(&c.path, b).unwrap());
    }
    w.flush().unwrap();
    acked.push((log.lock().unwrap().len(), 0));
    for i in 0..acqs {
        if reopen && i == acqs / 2 {
            w.close().unwrap();
            acked.push((log.lock().unwrap().len(), i));
            let mut image = Vec::new();
            for op in log.lock().unwrap().iter() {
                apply(&mut image, op);
            }
            let mut inner = MemWriteStorage::new();
            inner.write_at(0, &image).unwrap();
            let st = Recording {
                inner,
                log: log.clone(),
            };
            w = Writer::open_with_storage(Box::new(st), WriteOptions::default()).unwrap();
            ids = chans
                .iter()
                .map(|c| w.open_dataset(&c.path).unwrap())
                .collect();
        }
        for (k, (c, id)) in chans.iter().zip(&ids).enumerate() {
            if scan || (mixed && k + 1 == chans.len() && i % 2 == 1) {
                let r = i as u64..i as u64 + 1;
                w.write_slice(id, &[r, 0..c.row], &c.row_values(i)).unwrap();
            } else {
                w.append(id, &c.row_values(i)).unwrap();
            }
        }
        if (i + 1) % every == 0 {
            w.flush().unwrap();
            acked.push((log.lock().unwrap().len(), i + 1));
        }
    }
    w.close().unwrap();
    acked.push((log.lock().unwrap().len(), acqs));
    let ops = log.lock().unwrap().clone();
    (ops, acked)
}

/// Whole acquisitions in the image (every dataset must agree), checking every value.
fn acquisitions(image: &[u8], chans: &[Chan], scan: bool) -> Result<usize, String> {
    let counts = per_dataset(image, chans, scan)?;
    if counts.windows(2).any(|w| w[0] != w[1]) {
        return Err(format!("torn acquisition: rows {counts:?}"));
    }
    Ok(counts[0])
}

/// Whole rows of each dataset in the image, checking every value.
fn per_dataset(image: &[u8], chans: &[Chan], scan: bool) -> Result<Vec<usize>, String> {
    let f = File::from_bytes(image.to_vec()).map_err(|e| format!("does not open: {e}"))?;
    let mut counts = Vec::new();
    for c in chans {
        let p = &c.path;
        let Node::Dataset(d) = f.get(p).map_err(|e| format!("{p}: {e}"))? else {
            return Err(format!("{p} is not a dataset"));
        };
        let v: Vec<f64> = d.read().map_err(|e| format!("{p}: read: {e}"))?;
        let rows: Vec<&[f64]> = v.chunks(c.row as usize).collect();
        let n = if scan {
            common::rows_before_hole(&p, &rows)?
        } else {
            rows.len()
        };
        for (i, r) in rows.iter().take(n).enumerate() {
            if *r != c.row_values(i) {
                return Err(format!("{p}: acquisition {i} is torn or wrong: {r:?}"));
            }
        }
        counts.push(n);
    }
    Ok(counts)
}

/// Sector-aligned parts of a write: the first sectors only, or the last sectors only.
fn torn_parts(off: u64, data: &[u8]) -> Vec<(u64, &[u8])> {
    let end = off + data.len() as u64;
    let mut cuts = Vec::new();
    let mut s = (off / SECTOR + 1) * SECTOR;
    while s < end {
        cuts.push((s - off) as usize);
        s += SECTOR;
    }
    let mut parts = Vec::new();
    for c in cuts {
        parts.push((off, &data[..c]));
        parts.push((off + c as u64, &data[c..]));
    }
    parts
}

/// Every prefix (and torn prefix) of the session; returns (prefixes, torn) checked and
/// sample images for h5py.
fn replay(
    label: &str,
    v110: bool,
    mode: Mode,
    chans: &[Chan],
    acqs: usize,
    every: usize,
) -> (usize, usize, Vec<(usize, Vec<u8>)>) {
    let scan = mode.scan;
    let (ops, acked) = session(v110, mode, chans, acqs, every);
    // The slots of an acquisition share one sector when they fit in it (spec/hdf5-write.md,
    // "Commit pages"): up to 512 bytes of slots, at most 80 bytes each for rank 1-2
    // datasets in the PyTables profile; in the 1.10 profile 128 (dataspace and extensible
    // array header) for appended rows, 28 (the fixed array header alone) for a scan.
    let slot = match (v110, scan) {
        (false, _) => 80,
        (true, false) => 128,
        (true, true) => 28,
    };
    let sector_atomic = chans.len() * slot <= 512;
    let first_commit = acked[0].0;
    let mut image = Vec::new();
    let (mut checked, mut torn) = (0, 0);
    let mut samples = Vec::new();
    for k in 0..=ops.len() {
        if k > 0 {
            apply(&mut image, &ops[k - 1]);
        }
        if k < first_commit {
            continue;
        }
        let must_have = acknowledged(&acked, k);
        let n = acquisitions(&image, chans, scan)
            .unwrap_or_else(|e| panic!("{label}: prefix {k}/{}: {e}", ops.len()));
        assert!(
            n >= must_have,
            "{label}: prefix {k}: {n} acquisitions, {must_have} acknowledged"
        );
        checked += 1;
        if k % 40 == 0 || k == ops.len() {
            samples.push((n, image.clone()));
        }
        // Power loss: the next write reaches the disk in part, whole sectors at a time.
        if let Some(Op::Write(off, data)) = ops.get(k) {
            for (o, part) in torn_parts(*off, data) {
                let mut t = image.clone();
                apply(&mut t, &Op::Write(o, part.to_vec()));
                let what = || {
                    format!(
                        "{label}: prefix {k} + write of {} bytes at {off} torn to {} bytes at {o}",
                        data.len(),
                        part.len()
                    )
                };
                let counts = if sector_atomic {
                    vec![acquisitions(&t, chans, scan).unwrap_or_else(|e| panic!("{}: {e}", what()))]
                } else {
                    per_dataset(&t, chans, scan).unwrap_or_else(|e| panic!("{}: {e}", what()))
                };
                for n in counts {
                    assert!(n >= must_have, "{}: {n} < {must_have}", what());
                }
                torn += 1;
            }
        }
    }
    (checked, torn, samples)
}

#[test]
fn every_prefix_of_a_recording_holds_whole_acquisitions() {
    let mut samples = Vec::new();
    // One replay of `acqs` acquisitions of `n0` 0D and `n1` 1D channels flushed every
    // `every`; its samples are read by h5py below.
    let mut run = |label: String, v110: bool, mode: Mode, (n0, n1), acqs, every| {
        let chans = channels(n0, n1);
        let (c, t, s) = replay(&label, v110, mode, &chans, acqs, every);
        eprintln!("{label}: {c} prefixes and {t} torn prefixes hold whole acquisitions");
        assert!(c > 50, "{label}: only {c} prefixes");
        samples.extend(
            s.into_iter()
                .map(|(n, img)| (label.clone(), n0, n1, mode.scan, n, img)),
        );
    };
    for v110 in [false, true] {
        for scan in [false, true] {
            // 2 to 4 channels (0D and 1D, each with error bars) + the navigation axis.
            for (n0, n1, every) in [(1, 0, 2), (2, 0, 1), (1, 1, 3), (2, 2, 2)] {
                let label = format!("v110 {v110} scan {scan} channels {n0}+{n1}");
                let mode = Mode {
                    scan,
                    ..Mode::default()
                };
                run(label, v110, mode, (n0, n1), 13, every);
            }
        }
    }

    // As many datasets as one page commits in the 1.10 profile (datasets_per_commit_page
    // in src/hdf5/write/writer/commit/tests.rs): 32 with appended rows (31 here), 144 in a
    // pre-sized scan (65 here). A page written at once shows all of them or none.
    for (scan, n0, n1) in [(false, 10, 5), (true, 20, 12)] {
        let n = channels(n0, n1).len();
        let label = format!("v110 scan {scan}, one page of {n} datasets");
        let mode = Mode {
            scan,
            ..Mode::default()
        };
        run(label, true, mode, (n0, n1), 9, 3);
    }

    // An acquisition created after a previous one whose commit page has one sector left
    // (1.10; three in the PyTables profile): announced, it gets a page of its own and is
    // committed by one write (unannounced, the 1.10 appended one was split over two pages
    // and this replay found it torn: rows [2, 2, 2, 2, 0, 0, 0, 0, 0]).
    for v110 in [false, true] {
        for (scan, n0, n1) in [(false, 2, 2), (true, 3, 1)] {
            let label = format!("v110 {v110} scan {scan} after a previous acquisition");
            let mode = Mode {
                scan,
                prev: true,
                ..Mode::default()
            };
            run(label, v110, mode, (n0, n1), 11, 2);
        }
    }

    // `write_slice` on a dataset with appended rows buffered keeps them for the flush
    // (it committed that dataset alone: its rows appeared before the other channels').
    for v110 in [false, true] {
        let label = format!("v110 {v110} appends and slices");
        let mode = Mode {
            mixed: true,
            ..Mode::default()
        };
        run(label, v110, mode, (2, 1), 13, 3);
    }

    // A recording continued by `Writer::open` (`record --append`): its datasets commit
    // through the slots this writer gave them, one write per page as before (a pre-sized
    // scan in the 1.10 profile: its fixed array headers alone, adopted as slots).
    for v110 in [false, true] {
        for (scan, n0, n1) in [(false, 2, 0), (false, 2, 2), (true, 2, 1)] {
            let label = format!("v110 {v110} scan {scan} reopened, channels {n0}+{n1}");
            let mode = Mode {
                scan,
                reopen: true,
                ..Mode::default()
            };
            run(label, v110, mode, (n0, n1), 14, 2);
        }
    }

    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("commit-replay");
    let mut list = String::new();
    for (i, (_, n0, n1, scan, n, img)) in samples.iter().enumerate() {
        let p = dir.join(format!("prefix_{i}.h5"));
        std::fs::write(&p, img).unwrap();
        list += &format!("{}\t{n0}\t{n1}\t{}\t{n}\n", p.display(), u8::from(*scan));
    }
    let script = r#"
import sys, h5py, numpy as np
L = 5
bad = checked = 0
for line in sys.stdin.read().splitlines():
    path, n0, n1, scan, n = line.split('\t'); n0, n1, scan, n = int(n0), int(n1), scan == '1', int(n)
    chans = []
    for dim, cnt, row in ((0, n0, 1), (1, n1, L)):
        for c in range(cnt):
            for name, k in (('Data', 0.0), ('ErrorBar', 0.5)):
                chans.append((f'/RawData/Acq/Data{dim}D/CH{c:02}/{name}00', row, 100.0 * (c + 10 * dim) + k))
    chans.append(('/RawData/Acq/NavAxes/Axis00', 1, -1.0))
    with h5py.File(path, 'r') as f:
        for p, row, seed in chans:
            a = f[p][()].reshape(-1, row)
            want = seed + np.arange(n).reshape(-1, 1) * 3.0 + np.arange(row).reshape(1, -1) * 0.25
            ok = np.array_equal(a[:n], want) and (np.isnan(a[n:]).all() if scan else a.shape[0] == n)
            if not ok:
                print('BAD', path, p, a.shape, n); bad += 1
    checked += 1
print('h5py checked', checked, 'prefixes')
sys.exit(1 if bad else 0)
"#;
    let out = common::run_py_code_input(&py, script, &list, "h5py disagrees on a prefix");
    eprint!("{}", String::from_utf8_lossy(&out.stdout));
}
