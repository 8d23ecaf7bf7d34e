//! `DataLoader::at` (what `show`/`plot --at` use): for every data node of the scan fixtures
//! (both backends, 4.4's, interrupted scans, enlargeable data) and every navigation position,
//! the sliced load equals the full load cut at that position: the same metadata, data and
//! error values, navigation axes holding that position's value, signal axes unchanged.

mod common;

use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::pymodaq::backend::H5Backend;
use pymodaq_h5::pymodaq::load::DataLoader;
use pymodaq_h5::pymodaq::model::DataWithAxes;

/// The flat C-order index of `pos` (one index per navigation dimension, in dimension
/// order; signal dimensions at `sig`) in `shape`.
fn cut(full: &DataWithAxes, arr: &[f64], pos: &[usize]) -> Vec<f64> {
    let shape = full.shape();
    let mut nav: Vec<usize> = full.nav_indexes.clone();
    nav.sort_unstable();
    let mut out = Vec::new();
    let n: usize = shape.iter().product();
    let mut idx = vec![0usize; shape.len()];
    for x in arr.iter().take(n) {
        if nav.iter().zip(pos).all(|(&d, &p)| idx[d] == p) {
            out.push(*x);
        }
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
}

#[test]
fn every_position_equals_the_full_load_cut_there() {
    let mut checked = 0;
    for name in [
        "pt_extended.h5",
        "h5py_extended.h5",
        "pmd44_pt_extended.h5",
        "pt_interrupted.h5",
        "h5py_interrupted.h5",
        "pt_enlargeable.h5",
        "h5py_enlargeable.h5",
    ] {
        let f = File::open(common::root().join("fixtures/pymodaq").join(name)).unwrap();
        let b = H5Backend::new(&f);
        let loader = DataLoader::new(b.clone());
        let root = b.get_node("/").unwrap();
        for n in b.walk_nodes(&root).unwrap() {
            if !n.class.is_array() {
                continue;
            }
            let dt = b.attr(&n, "data_type").ok().flatten();
            if !dt
                .as_ref()
                .and_then(|v| v.as_str())
                .is_some_and(|t| t == "data" || t == "data_enlargeable")
            {
                continue;
            }
            let Ok(full) = loader.load_data(&n.path, false, false) else {
                continue;
            };
            let shape = full.shape().to_vec();
            let mut nav: Vec<usize> = full.nav_indexes.clone();
            nav.sort_unstable();
            if nav.is_empty() {
                continue;
            }
            // Every position (nav dims are small in the fixtures).
            let sizes: Vec<usize> = nav.iter().map(|&d| shape[d]).collect();
            let total: usize = sizes.iter().product();
            for flat in 0..total {
                let mut pos = vec![0; sizes.len()];
                let mut r = flat;
                for k in (0..sizes.len()).rev() {
                    pos[k] = r % sizes[k];
                    r /= sizes[k];
                }
                let at = DataLoader::new(b.clone())
                    .at(pos.clone())
                    .load_data(&n.path, false, false)
                    .unwrap_or_else(|e| panic!("{name} {} at {pos:?}: {e:?}", n.path));
                let what = format!("{name} {} at {pos:?}", n.path);
                assert_eq!(at.name, full.name, "{what}");
                assert_eq!(at.nav_indexes, full.nav_indexes, "{what}");
                assert_eq!(at.labels, full.labels, "{what}");
                for (k, &d) in nav.iter().enumerate() {
                    assert_eq!(at.shape()[d], 1, "{what}: dim {d}");
                    let _ = k;
                }
                for (x, y) in at.data.iter().zip(&full.data) {
                    assert!(
                        same(&x.to_f64(), &cut(&full, &y.to_f64(), &pos)),
                        "{what}: data"
                    );
                }
                match (&at.errors, &full.errors) {
                    (Some(x), Some(y)) => {
                        for (x, y) in x.iter().zip(y) {
                            assert!(same(&x.to_f64(), &cut(&full, &y.to_f64(), &pos)), "{what}");
                        }
                    }
                    (None, None) => {}
                    _ => panic!("{what}: errors differ"),
                }
                assert_eq!(at.axes.len(), full.axes.len(), "{what}: axes");
                for (x, y) in at.axes.iter().zip(&full.axes) {
                    assert_eq!((&x.label, x.index), (&y.label, y.index), "{what}");
                    let yv = y.get_data();
                    let want = match nav.iter().position(|&d| d == y.index) {
                        Some(k) if full.distribution.as_str() == "uniform" => {
                            vec![yv.get(pos[k]).copied().unwrap_or(f64::NAN)]
                        }
                        Some(_) => continue,
                        None => yv,
                    };
                    assert!(same(&x.get_data(), &want), "{what}: axis {}", y.label);
                }
                checked += 1;
            }
        }
    }
    println!("{checked} positions checked");
    assert!(checked > 20, "{checked}");
}
