//! PyMoDAQ 1.x–3.x files (`fixtures/legacy/`, written by real PyMoDAQ 1.6.4, 2.3.0 and 3.6.13):
//! generation detection, and every data node loaded as the generation's own loader loads it,
//! value by value against that loader's output frozen in `*.legacy.json`
//! (`fixtures/gen/legacy_load.py`), then mapped onto `DataWithAxes`.

use std::path::PathBuf;

use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::pymodaq::legacy::{self, Generation, LegacyLoader};
use serde_json::Value as J;

fn legacy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/legacy")
}

fn fixtures() -> Vec<(PathBuf, PathBuf)> {
    let mut out: Vec<_> = std::fs::read_dir(legacy_dir())
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "h5").then(|| {
                let j = p.with_extension("legacy.json");
                (p, j)
            })
        })
        .collect();
    out.sort();
    out
}

fn expected_generation(name: &str) -> Generation {
    match name.get(..4) {
        Some("pmd1") => Generation::V1,
        Some("pmd2") => Generation::V2,
        Some("pmd3") => Generation::V3,
        _ => panic!("{name}: unexpected fixture name"),
    }
}

fn values(j: &J) -> Vec<f64> {
    j["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| match v {
            J::String(s) if s == "nan" => f64::NAN,
            other => other.as_f64().unwrap(),
        })
        .collect()
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x.is_nan() && y.is_nan()) || x == y)
}

#[test]
fn every_generation_is_detected_and_loads_as_its_own_loader() {
    let files = fixtures();
    assert!(files.len() >= 18, "fixtures/legacy/*.h5 missing");
    let mut failed = Vec::new();
    let mut nodes_checked = 0;
    for (h5, golden) in &files {
        let name = h5.file_name().unwrap().to_string_lossy().to_string();
        let theirs: J = serde_json::from_str(&std::fs::read_to_string(golden).unwrap()).unwrap();
        let file = File::open(h5).unwrap();
        let det = legacy::detect(&file).unwrap();
        let g = expected_generation(&name);
        if det.generation != g {
            failed.push(format!("{name}: detected {:?}", det.generation));
            continue;
        }
        let loader = LegacyLoader::new(&file, g);
        let paths = loader.data_paths().unwrap();
        let golden_paths: Vec<String> = theirs["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["path"].as_str().unwrap().to_string())
            .collect();
        if paths != golden_paths {
            failed.push(format!("{name}: data nodes {paths:?} != {golden_paths:?}"));
            continue;
        }
        for n in theirs["nodes"].as_array().unwrap() {
            let path = n["path"].as_str().unwrap();
            let ours = match loader.load_node(path) {
                Ok(o) => o,
                Err(e) => {
                    failed.push(format!("{name} {path}: {e}"));
                    continue;
                }
            };
            nodes_checked += 1;
            // numpy squeezes a single value to 0-d; we keep it 1-D (`np.atleast_1d`)
            let mut gshape: Vec<usize> = n["data"]["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            if gshape.is_empty() {
                gshape.push(1);
            }
            if ours.data.shape != gshape || !same(&ours.data.to_f64(), &values(&n["data"])) {
                failed.push(format!("{name} {path}: data differ"));
            }
            let gnav: Vec<usize> = n["nav_axes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            if ours.nav_axes != gnav {
                failed.push(format!(
                    "{name} {path}: nav {:?} != {gnav:?}",
                    ours.nav_axes
                ));
            }
            for (key, ax) in n["axes"].as_object().unwrap() {
                let mine = ours.axes.iter().find(|(k, _)| k == key);
                match (ax["data"].is_null(), mine) {
                    (true, None) => {}
                    (true, Some(_)) => failed.push(format!("{name} {path}: extra axis {key}")),
                    (false, None) => failed.push(format!("{name} {path}: axis {key} missing")),
                    (false, Some((_, m))) => {
                        if !same(&m.data, &values(&ax["data"]))
                            || m.units != ax["units"].as_str().unwrap()
                            || m.label != ax["label"].as_str().unwrap()
                        {
                            failed.push(format!("{name} {path}: axis {key} differs: {m:?}"));
                        }
                    }
                }
            }
            if ours.axes.len()
                != n["axes"]
                    .as_object()
                    .unwrap()
                    .values()
                    .filter(|a| !a["data"].is_null())
                    .count()
            {
                failed.push(format!("{name} {path}: axis count"));
            }
            // and as today's model
            if let Err(e) = loader.to_dwa(&ours) {
                failed.push(format!("{name} {path}: DataWithAxes: {e}"));
            }
        }
        if let Err(e) = loader.load_all() {
            failed.push(format!("{name}: load_all: {e}"));
        }
    }
    println!(
        "pymodaq_legacy: {} files, {nodes_checked} data nodes compared",
        files.len()
    );
    assert!(nodes_checked >= 40);
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// The mapping onto `DataWithAxes`: axes on the right dimensions with units and labels.
#[test]
fn scans_map_onto_data_with_axes() {
    for g in 1..=3 {
        let p = legacy_dir().join(format!("pmd{g}_scan2d.h5"));
        let file = File::open(&p).unwrap();
        let det = legacy::detect(&file).unwrap();
        let loader = LegacyLoader::new(&file, det.generation);
        let dwa = loader
            .load_data("/Raw_datas/Scan000/Detector000/Data1D/Ch000/Data")
            .unwrap();
        assert_eq!(dwa.shape(), &[4, 3, 21], "gen {g}");
        assert_eq!(dwa.nav_indexes, vec![0, 1], "gen {g}");
        assert_eq!(dwa.name, "Spectrum");
        assert_eq!(
            dwa.origin,
            pymodaq_h5::pymodaq::attrs::PyValue::Str("Mock".into())
        );
        let mut axes: Vec<(usize, String, String, usize)> = dwa
            .axes
            .iter()
            .map(|a| (a.index, a.label.clone(), a.units.clone(), a.size))
            .collect();
        axes.sort();
        assert_eq!(
            axes,
            vec![
                (0, "Stage X".into(), "mm".into(), 4),
                (1, "Stage Y".into(), "um".into(), 3),
                (2, "Wavelength".into(), "nm".into(), 21),
            ],
            "gen {g}"
        );
        let all = loader.load_all().unwrap();
        assert_eq!(all.data.len(), 2);
    }
    // a 2-D image from a 3.x snapshot: y on dimension 0, x on 1, background-free data
    let file = File::open(legacy_dir().join("pmd3_viewer.h5")).unwrap();
    let loader = LegacyLoader::new(&file, Generation::V3);
    let img = loader
        .load_data("/Raw_datas/Detector000/Data2D/Ch000/Data")
        .unwrap();
    assert_eq!(img.shape(), &[5, 8]);
    let mut axes: Vec<(usize, String)> = img
        .axes
        .iter()
        .map(|a| (a.index, a.label.clone()))
        .collect();
    axes.sort();
    assert_eq!(axes, vec![(0, "Y".into()), (1, "X".into())]);
    // a 1.x Navigator export: its scan_y/x_axis_unique arrays become the image's axes
    let file = File::open(legacy_dir().join("pmd1_navigator.h5")).unwrap();
    let loader = LegacyLoader::new(&file, Generation::V1);
    let img = loader
        .load_data("/Data2D/Scan000/Power/Scan000_Power")
        .unwrap();
    assert_eq!(img.shape(), &[3, 4]);
    let mut axes: Vec<(usize, Vec<f64>)> =
        img.axes.iter().map(|a| (a.index, a.get_data())).collect();
    axes.sort_by_key(|a| a.0);
    assert_eq!(
        axes,
        vec![(0, vec![-1.0, 0.0, 1.0]), (1, vec![0.0, 1.0, 2.0, 3.0])]
    );
}

#[test]
fn other_hdf5_files_are_not_pymodaq() {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/hdf5/h5py_default_types.h5");
    let file = File::open(&p).unwrap();
    match legacy::detect(&file) {
        Err(e) => assert_eq!(e, legacy::NOT_PYMODAQ),
        Ok(d) => panic!("detected {d:?}"),
    }
    // no version attribute, a Raw_datas group with raw attributes: the 1.x layout
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/hdf5/pt_carray_zoo.h5");
    let d = legacy::detect(&File::open(&p).unwrap()).unwrap();
    assert_eq!((d.generation, d.version), (Generation::V1, None));
    // today's files are 4.x/5.x
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/pymodaq/pt_dte.h5");
    let d = legacy::detect(&File::open(&p).unwrap()).unwrap();
    assert_eq!(d.generation, Generation::V5);
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/pymodaq/pmd44_pt_dte.h5");
    let d = legacy::detect(&File::open(&p).unwrap()).unwrap();
    assert_eq!(d.generation, Generation::V4);
}

/// `load --json` of every generation: no error, the generation named, attributes decoded (the
/// 1.x pickled datetime and tuples parsed, the 2.x/3.x envelopes likewise) and the files left
/// byte-identical.
#[test]
fn load_json_reads_every_generation_read_only() {
    use sha2::Digest;
    let mut checked = 0;
    for (h5, golden) in fixtures() {
        let name = h5.file_name().unwrap().to_string_lossy().to_string();
        let before = sha2::Sha256::digest(std::fs::read(&h5).unwrap());
        let file = File::open(&h5).unwrap();
        let (doc, had_errors) =
            pymodaq_h5::pymodaq::load_json::load_json(&file, &name, false).unwrap();
        drop(file);
        assert!(!had_errors, "{name}: {doc}");
        let g = expected_generation(&name);
        assert_eq!(
            doc["generation"],
            J::from(format!("{}.x", g as u8 + 1)),
            "{name}"
        );
        let theirs: J = serde_json::from_str(&std::fs::read_to_string(golden).unwrap()).unwrap();
        let n = theirs["nodes"].as_array().unwrap().len();
        assert_eq!(doc["data_nodes"].as_array().unwrap().len(), n, "{name}");
        assert_eq!(doc["load_all"].as_array().unwrap().len(), n, "{name}");
        if name.contains("_scan") {
            let scan = doc["tree"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["path"] == "/Raw_datas/Scan000")
                .unwrap();
            assert_eq!(
                scan["attrs"]["date_time"],
                serde_json::json!({"$repr": "datetime.datetime(2020, 5, 24, 10, 52, 55)"}),
                "{name}"
            );
            let data = doc["tree"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["path"] == "/Raw_datas/Scan000/Detector000/Data1D/Ch000/Data")
                .unwrap();
            if name.contains("scan1d") {
                // a pickled tuple in 1.x, a JSON envelope in 2.x/3.x: the same tuple
                assert_eq!(
                    data["attrs"]["shape"],
                    serde_json::json!({"$tuple": [11, 21]}),
                    "{name}"
                );
            }
        }
        let after = sha2::Sha256::digest(std::fs::read(&h5).unwrap());
        assert_eq!(before, after, "{name} changed");
        checked += 1;
    }
    assert!(checked >= 16);
}

/// `serve`'s NeXus hints (what its viewer plots against) on every 1.x-3.x data node: the
/// signal, shape, and every axis (label, units, dimension, values) of the node as loaded.
#[test]
fn serve_hints_give_the_legacy_axes() {
    let mut checked = 0;
    for (h5, _) in fixtures() {
        let file = File::open(&h5).unwrap();
        let generation = legacy::detect(&file).unwrap().generation;
        let loader = LegacyLoader::new(&file, generation);
        for path in loader.data_paths().unwrap() {
            let Ok(dwa) = loader.load_data(&path) else {
                continue;
            };
            let what = format!("{} {path}", h5.display());
            let h = pymodaq_h5::pymodaq::nexus::hints(&file, &path)
                .unwrap_or_else(|| panic!("{what}: no hints"));
            assert!(h.get("error").is_none(), "{what}: {h}");
            assert_eq!(h["signal_path"], J::String(path.clone()), "{what}");
            let shape: Vec<usize> = h["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(shape, dwa.shape().to_vec(), "{what}");
            let info = h["axis_info"].as_array().unwrap();
            assert_eq!(info.len(), dwa.axes.len(), "{what}");
            for (a, ax) in info.iter().zip(&dwa.axes) {
                assert_eq!(a["label"], J::String(ax.label.clone()), "{what}");
                assert_eq!(a["units"], J::String(ax.units.clone()), "{what}");
                assert_eq!(a["dim"].as_u64(), Some(ax.index as u64), "{what}");
                let vals: Vec<f64> = a["values"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap_or(f64::NAN))
                    .collect();
                let want = ax.get_data();
                assert_eq!(vals.len(), want.len(), "{what}");
                for (x, y) in vals.iter().zip(&want) {
                    assert!(
                        x == y || (x.is_nan() && !y.is_finite()),
                        "{what}: {x} != {y}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} legacy data nodes checked");
}
