//! `DataLoader::lazy`: on every PyMoDAQ fixture (both backends, 4.4's and 5.x's layouts,
//! interrupted, enlargeable, refused, missing-class files) `load_all`, `load_data` of every
//! array node and `at` give what the eager loader gives (same error where it fails), with
//! the arrays unread until touched; `NdArray::slabs` streams exactly the bytes, in pieces of
//! the asked size, without keeping them.

mod common;

use common::pymodaq_fixtures;
use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::pymodaq::backend::{H5Backend, LoadResult};
use pymodaq_h5::pymodaq::load::DataLoader;
use pymodaq_h5::pymodaq::model::{lazy, DataToExport, DataWithAxes, NdArray};

fn arrays(d: &DataWithAxes) -> Vec<&NdArray> {
    d.data.iter().chain(d.errors.iter().flatten()).collect()
}

fn same<T: PartialEq + std::fmt::Debug>(eager: &LoadResult<T>, lazy: &LoadResult<T>, what: &str) {
    match (eager, lazy) {
        (Ok(e), Ok(l)) => {
            if e != l {
                let (e, l) = (format!("{e:?}"), format!("{l:?}"));
                let at = e
                    .bytes()
                    .zip(l.bytes())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                panic!(
                    "{what}: differ at\n{}\n{}",
                    &e[at.saturating_sub(300)..(at + 300).min(e.len())],
                    &l[at.saturating_sub(300)..(at + 300).min(l.len())]
                );
            }
        }
        (Err(e), Err(l)) => assert_eq!(e.py_string(), l.py_string(), "{what}"),
        (e, l) => panic!("{what}: eager {e:?}, lazy {l:?}"),
    }
}

/// Every array of `dte` is unread, then streams its bytes exactly (`want`), in pieces of at
/// most `max` bytes (or one element), and stays unread.
fn check_slabs(lazy: &NdArray, want: &[u8], what: &str) {
    let elem = lazy.dtype.size();
    for max in [1usize, 3, 8, 100, 777, 4096, 1 << 20] {
        let mut got = Vec::new();
        for piece in lazy.slabs(max) {
            let piece = piece.unwrap_or_else(|e| panic!("{what}: slab: {e}"));
            assert!(!piece.is_empty(), "{what}: empty slab");
            assert!(
                piece.len() <= max.max(elem),
                "{what}: slab of {} bytes for max {max}",
                piece.len()
            );
            assert_eq!(piece.len() % elem, 0, "{what}: slab cuts an element");
            got.extend_from_slice(&piece);
        }
        assert_eq!(got, want, "{what}: slabs of {max} bytes");
        assert!(lazy.is_pending(), "{what}: slabs kept the bytes");
    }
}

#[test]
fn lazy_load_all_equals_eager_on_every_fixture() {
    let files = pymodaq_fixtures();
    assert!(files.len() >= 22, "fixtures/pymodaq/*.h5 missing");
    let mut checked = 0;
    for (h5, _) in &files {
        let name = h5.file_name().unwrap().to_string_lossy().to_string();
        let f = File::open(h5).unwrap();
        let eager = DataLoader::new(H5Backend::new(&f));
        let lazy_l = DataLoader::new(H5Backend::new(&f)).lazy();
        let e: LoadResult<DataToExport> = eager.load_all("/", false);
        let l = lazy_l.load_all("/", false);
        if let (Ok(e), Ok(l)) = (&e, &l) {
            // Loaded without reading: every data/error array (from a dataset) is pending.
            for (de, dl) in e.data.iter().zip(&l.data) {
                for (ae, al) in arrays(de).into_iter().zip(arrays(dl)) {
                    assert!(al.is_pending(), "{name}: {} read by load_all", dl.name);
                    assert_eq!((ae.dtype, &ae.shape), (al.dtype, &al.shape));
                    assert_eq!(ae.len(), al.len());
                    check_slabs(al, ae.le_bytes(), &format!("{name}: {}", dl.name));
                }
            }
            let all: Vec<&NdArray> = l.data.iter().flat_map(arrays).collect();
            lazy::read_all(&all).unwrap();
            assert!(all.iter().all(|a| !a.is_pending()), "{name}: read_all");
            checked += 1;
        }
        // (The DataToExport's own timestamp is the time of loading.)
        let data = |r: LoadResult<DataToExport>| r.map(|d| d.data);
        same(&data(e), &data(l), &format!("{name}: load_all"));
        // Every array node on its own, with and without background, and load_all=True.
        let walker = H5Backend::new(&f).tolerant();
        let nodes = walker.walk_nodes(&walker.get_node("/").unwrap()).unwrap();
        for n in nodes.iter().filter(|n| n.class.is_array()) {
            for (bkg, all) in [(false, false), (true, false), (false, true)] {
                same(
                    &eager.load_data(&n.path, bkg, all),
                    &lazy_l.load_data(&n.path, bkg, all),
                    &format!("{name}: load_data({}, {bkg}, {all})", n.path),
                );
            }
        }
    }
    assert!(checked >= 10, "only {checked} fixtures loaded");
}

#[test]
fn lazy_at_equals_eager_at() {
    let mut checked = 0;
    for (h5, _) in pymodaq_fixtures() {
        let name = h5.file_name().unwrap().to_string_lossy().to_string();
        let f = File::open(&h5).unwrap();
        let eager = DataLoader::new(H5Backend::new(&f));
        let Ok(all) = eager.load_all("/", false) else {
            continue;
        };
        for d in &all.data {
            let Some(PymodaqPath(path)) = path_of(d) else {
                continue;
            };
            let shape = d.shape();
            let nav: Vec<usize> = {
                let mut v = d.nav_indexes.clone();
                v.sort_unstable();
                v
            };
            if nav.is_empty() {
                continue;
            }
            // First and last position of every navigation dimension.
            for last in [false, true] {
                let at: Vec<usize> = nav
                    .iter()
                    .map(|&i| if last { shape[i].saturating_sub(1) } else { 0 })
                    .collect();
                let e = DataLoader::new(H5Backend::new(&f))
                    .at(at.clone())
                    .load_data(&path, false, true);
                let l = DataLoader::new(H5Backend::new(&f))
                    .at(at.clone())
                    .lazy()
                    .load_data(&path, false, true);
                same(&e, &l, &format!("{name}: {path} at {at:?}"));
                checked += 1;
            }
        }
    }
    assert!(checked >= 4, "only {checked} positions checked");
}

struct PymodaqPath(String);

/// The node path PyMoDAQ's loader records as the extra attribute `path`.
fn path_of(d: &DataWithAxes) -> Option<PymodaqPath> {
    d.extra_attributes.iter().find_map(|(k, v)| match v {
        pymodaq_h5::pymodaq::attrs::PyValue::Str(s) if k == "path" => Some(PymodaqPath(s.clone())),
        _ => None,
    })
}
