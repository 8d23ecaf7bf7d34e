//! PyMoDAQ's "Saving and loading data" walk-through, step by step, in Rust:
//! an Axis saved and loaded back equal; data with axes and a background, loaded with and
//! without it; a DataToExport of 0D/1D/2D data; enlargeable and extended saving. Each step
//! prints the nodes the way PyMoDAQ's `walk_nodes` prints them.
//!
//!     cargo run --example walkthrough [OUT_DIR]
//!
//! `tests/walkthrough.rs` runs it and checks what it prints.

use std::fmt::Write as _;
use std::path::Path;

use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::pymodaq::attrs::PyValue;
use pymodaq_h5::pymodaq::backend::H5Backend;
use pymodaq_h5::pymodaq::load::DataLoader;
use pymodaq_h5::pymodaq::model::{
    Axis, DataDistribution, DataSource, DataToExport, DataWithAxes, DwaArgs, NdArray,
};
use pymodaq_h5::pymodaq::save::{
    AxisSaverLoader, DataSaverLoader, DataToExportEnlargeableSaver, DataToExportExtendedSaver,
    DataToExportSaver, H5Saver, InitOptions, SaveType,
};

type R<T> = Result<T, Box<dyn std::error::Error>>;

fn dwa(name: &str, data: Vec<NdArray>, axes: Vec<Axis>, units: &str) -> R<DataWithAxes> {
    let mut d = DataWithAxes::new(DwaArgs {
        name: name.into(),
        source: DataSource::Raw,
        distribution: DataDistribution::Uniform,
        data,
        labels: Vec::new(),
        units: units.into(),
        origin: PyValue::Str(String::new()),
        nav_indexes: Vec::new(),
        axes,
        errors: None,
        extra_attributes: Vec::new(),
    })?;
    d.timestamp = PyValue::Float(1_700_000_000.0);
    Ok(d)
}

fn gaussian(n: usize, x0: f64, w: f64) -> Vec<f64> {
    (0..n)
        .map(|i| (-((i as f64 - x0) / w).powi(2)).exp())
        .collect()
}

/// Print every node under `where_` as `walk_nodes` does.
fn walk(file: &Path, where_: &str, out: &mut String) -> R<()> {
    let f = File::open(file)?;
    let b = H5Backend::new(&f);
    let start = b.get_node(where_)?;
    for n in b.walk_nodes(&start)? {
        writeln!(out, "{}", b.node_str(&n)?)?;
    }
    Ok(())
}

/// Run every step in `dir`; returns what it prints.
pub fn run(dir: &Path) -> R<String> {
    let mut out = String::new();
    let path = dir.join("walkthrough.h5");
    let opts = InitOptions {
        save_type: SaveType::Detector,
        ..InitOptions::default()
    };

    // 1. An axis, saved then loaded back.
    let mut h5 = H5Saver::init_file(&path, opts.clone())?;
    let axis = Axis::new(
        "myaxis",
        "mm",
        (0..100).map(|i| i as f64 * 0.1 - 3.0).collect(),
        0,
        0,
    )?;
    AxisSaverLoader::add_axis(&mut h5, "/RawData", &axis, false)?;
    h5.flush()?;
    writeln!(out, "# 1. an axis")?;
    walk(&path, "/RawData", &mut out)?;
    let loaded =
        DataLoader::new(H5Backend::new(&File::open(&path)?)).load_axis("/RawData/Axis00")?;
    writeln!(out, "axis loaded back equal: {}", loaded.py_eq(&axis))?;

    // 2. Data with axes and a background.
    let x = Axis::new(
        "wavelength",
        "nm",
        (0..50).map(|i| 500.0 + i as f64).collect(),
        0,
        0,
    )?;
    let spectra = dwa(
        "spectra",
        vec![
            NdArray::from_f64(vec![50], &gaussian(50, 20.0, 5.0))?,
            NdArray::from_f64(vec![50], &gaussian(50, 30.0, 8.0))?,
        ],
        vec![x],
        "counts",
    )?;
    let g = h5.get_set_group("/RawData", "MyData", "")?;
    DataSaverLoader::new().add_data(&mut h5, &g, &spectra, true, &[])?;
    let bkg = dwa(
        "spectra",
        vec![
            NdArray::from_f64(vec![50], &[0.1; 50])?,
            NdArray::from_f64(vec![50], &[0.2; 50])?,
        ],
        Vec::new(),
        "counts",
    )?;
    DataSaverLoader::bkg().add_data(&mut h5, &g, &bkg, false, &[])?;
    h5.flush()?;
    writeln!(out, "# 2. data with axes and a background")?;
    walk(&path, "/RawData/MyData", &mut out)?;
    let loader = DataLoader::new(H5Backend::new(&File::open(&path)?));
    let raw = loader.load_data("/RawData/MyData/Data00", false, true)?;
    let sub = loader.load_data("/RawData/MyData/Data00", true, true)?;
    let first = |d: &DataWithAxes| d.data[0].to_f64()[20];
    writeln!(
        out,
        "peak without background {:.3}, with background subtracted {:.3}",
        first(&raw),
        first(&sub)
    )?;

    // 3. A DataToExport of 0D, 1D and 2D data in a detector group.
    let det = h5.add_det_group("/RawData", "my detector", &PyValue::Str(String::new()), &[])?;
    let mut dte = DataToExport::new("mydte");
    dte.data.push(dwa(
        "temperature",
        vec![NdArray::from_f64(vec![1], &[293.1])?],
        Vec::new(),
        "K",
    )?);
    dte.data.push(spectra.clone());
    let img: Vec<f64> = (0..12).map(|i| i as f64).collect();
    dte.data.push(dwa(
        "camera",
        vec![NdArray::from_f64(vec![3, 4], &img)?],
        Vec::new(),
        "",
    )?);
    DataToExportSaver::add_data(&mut h5, &det, &dte, "", &[])?;
    h5.flush()?;
    writeln!(out, "# 3. a DataToExport")?;
    walk(&path, &det, &mut out)?;

    // 4a. Enlargeable saving: one row per call along a navigation axis.
    let det2 = h5.add_det_group("/RawData", "enlargeable", &PyValue::Str(String::new()), &[])?;
    let enl = DataToExportEnlargeableSaver::new(&["delay"], &["ps"])?;
    for i in 0..5 {
        let mut step = DataToExport::new("step");
        step.data.push(dwa(
            "power",
            vec![NdArray::from_f64(vec![1], &[i as f64])?],
            Vec::new(),
            "W",
        )?);
        enl.add_data(&mut h5, &det2, &step, &[i as f64 * 0.5])?;
    }
    // 4b. Extended saving: a 3x2 scan, point by point.
    let scan = h5.add_scan_group("/RawData", "a scan", &PyValue::Str(String::new()), &[])?;
    let det3 = h5.add_det_group(&scan, "detector in scan", &PyValue::Str(String::new()), &[])?;
    let ext = DataToExportExtendedSaver::new(&[3, 2]);
    ext.add_nav_axes(
        &mut h5,
        &scan,
        &[
            Axis::new("x", "mm", vec![0.0, 1.0, 2.0], 0, 0)?,
            Axis::new("y", "mm", vec![10.0, 20.0], 1, 0)?,
        ],
    )?;
    for i in 0..3u64 {
        for j in 0..2u64 {
            let mut point = DataToExport::new("point");
            point.data.push(dwa(
                "signal",
                vec![NdArray::from_f64(vec![1], &[(i * 10 + j) as f64])?],
                Vec::new(),
                "V",
            )?);
            ext.add_data(&mut h5, &det3, &point, &[i, j], DataDistribution::Uniform)?;
        }
    }
    h5.close_file()?;
    writeln!(out, "# 4. enlargeable and extended saving")?;
    walk(&path, &det2, &mut out)?;
    walk(&path, &scan, &mut out)?;
    let loader = DataLoader::new(H5Backend::new(&File::open(&path)?));
    let all = loader.load_all("/", false)?;
    for d in &all.data {
        writeln!(
            out,
            "load_all: {} {} shape {:?} nav {:?} axes {:?}",
            d.name,
            d.dim.as_str(),
            d.shape(),
            d.nav_indexes,
            d.axes.iter().map(|a| a.label.as_str()).collect::<Vec<_>>()
        )?;
    }
    Ok(out)
}

#[allow(dead_code)]
fn main() -> R<()> {
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    print!("{}", run(&dir)?);
    println!("written: {}", dir.join("walkthrough.h5").display());
    Ok(())
}
