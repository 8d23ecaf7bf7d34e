//! The 3.x-style saving API (`save::saver3x::H5Saver3x`): code written for PyMoDAQ 3.x's
//! `H5Saver` (detector group, data groups per dimensionality, channel groups, data dicts with
//! axis dicts, navigation axes of a scan) writes today's 5.x layout, which our loader and
//! PyMoDAQ 5.3's own loader (`fixtures/gen/pymodaq_load.py`, live) load the same way.

mod common;

use std::path::Path;

use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::pymodaq::backend::H5Backend;
use pymodaq_h5::pymodaq::load::DataLoader;
use pymodaq_h5::pymodaq::model::NdArray;
use pymodaq_h5::pymodaq::save::saver3x::{AxisDict, DataDict, H5Saver3x};
use serde_json::Value as J;

fn lin(a: f64, b: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
        .collect()
}

/// A DAQ_Viewer snapshot and a 2-D DAQ_Scan, written with the 3.x calls.
fn write(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let viewer = dir.join("viewer3x.h5");
    let mut h = H5Saver3x::init_file(&viewer, "detector").unwrap();
    let raw = h.raw_group();
    let det = h.add_det_group(&raw, "Spectro", "").unwrap();
    let g0 = h.add_data_group(&det, "data0D").unwrap();
    let ch = h.add_ch_group(&g0, "Power").unwrap();
    h.add_data(
        &ch,
        &DataDict::new(NdArray::from_f64(vec![1], &[1.25]).unwrap()),
        "",
    )
    .unwrap();
    let g1 = h.add_data_group(&det, "data1D").unwrap();
    let ch = h.add_ch_group(&g1, "Spectrum").unwrap();
    let x = lin(500.0, 520.0, 21);
    let spectrum: Vec<f64> = x.iter().map(|v| (v - 510.0).powi(2)).collect();
    let mut d = DataDict::new(NdArray::from_f64(vec![21], &spectrum).unwrap());
    d.x_axis = Some(AxisDict::new(x.clone(), "nm", "Wavelength"));
    d.bkg = Some(NdArray::from_f64(vec![21], &[0.5; 21]).unwrap());
    h.add_data(&ch, &d, "").unwrap();
    let g2 = h.add_data_group(&det, "data2D").unwrap();
    let ch = h.add_ch_group(&g2, "Camera").unwrap();
    let img: Vec<f64> = (0..40).map(|i| i as f64).collect();
    let mut d = DataDict::new(NdArray::from_f64(vec![5, 8], &img).unwrap());
    d.x_axis = Some(AxisDict::new(lin(-3.0, 3.0, 8), "mm", "X"));
    d.y_axis = Some(AxisDict::new(lin(-1.0, 1.0, 5), "mm", "Y"));
    h.add_data(&ch, &d, "").unwrap();
    h.add_log("snapshot taken").unwrap();
    h.close_file().unwrap();

    let scan_path = dir.join("scan3x.h5");
    let mut h = H5Saver3x::init_file(&scan_path, "scan").unwrap();
    let scan = h.add_scan_group("", "").unwrap();
    let xs = lin(-1.0, 1.0, 4);
    let ys = lin(10.0, 12.0, 3);
    // the positions of every step, x slowest, as DAQ_Scan stored them
    let xx: Vec<f64> = xs.iter().flat_map(|&x| [x; 3]).collect();
    let yy: Vec<f64> = (0..4).flat_map(|_| ys.clone()).collect();
    h.add_navigation_axis(&xx, &scan, 0, "mm", "Stage X")
        .unwrap();
    h.add_navigation_axis(&yy, &scan, 1, "um", "Stage Y")
        .unwrap();
    let det = h.add_det_group(&scan, "Mock", "").unwrap();
    let g1 = h.add_data_group(&det, "data1D").unwrap();
    let ch = h.add_ch_group(&g1, "Spectrum").unwrap();
    let vals: Vec<f64> = (0..4 * 3 * 21).map(|i| (i as f64).sin()).collect();
    let mut d = DataDict::new(NdArray::from_f64(vec![4, 3, 21], &vals).unwrap());
    d.x_axis = Some(AxisDict::new(x, "nm", "Wavelength"));
    h.add_data(&ch, &d, "scan2D").unwrap();
    let g0 = h.add_data_group(&det, "data0D").unwrap();
    let ch = h.add_ch_group(&g0, "Counts").unwrap();
    let c: Vec<f64> = (0..12).map(f64::from).collect();
    h.add_data(
        &ch,
        &DataDict::new(NdArray::from_f64(vec![4, 3], &c).unwrap()),
        "scan2D",
    )
    .unwrap();
    h.close_file().unwrap();
    (viewer, scan_path)
}

#[test]
fn code_ported_from_3x_writes_loadable_5x_files() {
    let dir = common::temp_dir("saver3x");
    let (viewer, scan) = write(&dir);

    let f = File::open(&viewer).unwrap();
    let all = DataLoader::new(H5Backend::new(&f))
        .load_all("/", false)
        .unwrap();
    let names: Vec<&str> = all.data.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for want in ["Power", "Spectrum", "Camera"] {
        assert!(names.contains(&want), "{names:?}");
    }
    let cam = all.data.iter().find(|d| d.name == "Camera").unwrap();
    assert_eq!(cam.shape(), &[5, 8]);
    let mut axes: Vec<(usize, String, String)> = cam
        .axes
        .iter()
        .map(|a| (a.index, a.label.clone(), a.units.clone()))
        .collect();
    axes.sort();
    assert_eq!(
        axes,
        vec![(0, "Y".into(), "mm".into()), (1, "X".into(), "mm".into())]
    );
    // the background is saved beside the data and subtracted on request
    let spec = DataLoader::new(H5Backend::new(&f))
        .load_data("/RawData/Detector000/Data1D/Ch000/Data00", true, false)
        .unwrap();
    assert_eq!(spec.data[0].to_f64()[0], 100.0 - 0.5);

    let f = File::open(&scan).unwrap();
    let d = DataLoader::new(H5Backend::new(&f))
        .load_data(
            "/RawData/Scan000/Detector000/Data1D/Ch000/Data00",
            false,
            false,
        )
        .unwrap();
    assert_eq!(d.shape(), &[4, 3, 21]);
    assert_eq!(d.nav_indexes, vec![0, 1]);
    let mut axes: Vec<(usize, String, usize)> = d
        .axes
        .iter()
        .map(|a| (a.index, a.label.clone(), a.size))
        .collect();
    axes.sort();
    assert_eq!(
        axes,
        vec![
            (0, "Stage X".into(), 4),
            (1, "Stage Y".into(), 3),
            (2, "Wavelength".into(), 21)
        ]
    );
}

#[test]
fn pymodaq_53_loads_them_as_we_do() {
    let Some(py) = common::python() else {
        eprintln!("SKIP: no Python venv (PYMODAQ_H5_PYTHON)");
        return;
    };
    let dir = common::temp_dir("saver3x-py");
    let (viewer, scan) = write(&dir);
    for h5 in [viewer, scan] {
        let out = common::run_py(
            &py,
            "fixtures/gen/pymodaq_load.py",
            [h5.as_os_str(), "--full".as_ref()],
        );
        let theirs: J = serde_json::from_slice(&out.stdout).unwrap();
        let f = File::open(&h5).unwrap();
        let name = h5.file_name().unwrap().to_string_lossy().into_owned();
        let (ours, had) = pymodaq_h5::pymodaq::load_json::load_json(&f, &name, true).unwrap();
        assert!(!had);
        let mut diffs = Vec::new();
        common::diff("", &ours, &theirs, &mut diffs);
        assert!(diffs.is_empty(), "{name}: {diffs:?}");
        assert!(theirs["load_all"].as_array().unwrap().len() >= 2);
    }
}

#[test]
fn mistakes_are_refused_with_words() {
    let dir = common::temp_dir("saver3x-bad");
    let mut h = H5Saver3x::init_file(dir.join("bad.h5"), "scan").unwrap();
    let raw = h.raw_group();
    assert!(h.add_data_group(&raw, "data3D").is_err());
    let det = h.add_det_group(&raw, "d", "").unwrap();
    let g = h.add_data_group(&det, "data1D").unwrap();
    let ch = h.add_ch_group(&g, "c").unwrap();
    let mut d = DataDict::new(NdArray::from_f64(vec![3], &[1.0, 2.0, 3.0]).unwrap());
    d.x_axis = Some(AxisDict::new(vec![0.0, 1.0], "s", "t"));
    let e = h.add_data(&ch, &d, "").unwrap_err().to_string();
    assert!(e.contains("2 values"), "{e}");
    assert!(H5Saver3x::init_file(dir.join("x.h5"), "movie").is_err());
}
