//! Library ergonomics: `?` across the layers into `pymodaq_h5::Result` (HDF5 reads, PyMoDAQ
//! exceptions, loader failures), `Default` for `DwaArgs`, the `ndarray` re-export.

use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::pymodaq::backend::H5Backend;
use pymodaq_h5::pymodaq::load::DataLoader;
use pymodaq_h5::pymodaq::model::{Axis, DataWithAxes, DwaArgs, NdArray};

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/pymodaq")
        .join(name)
}

/// Every layer's error converts with `?`.
fn spectrum_peak(path: &std::path::Path) -> pymodaq_h5::Result<(usize, f64, usize, usize)> {
    let f = File::open(path)?;
    let loader = DataLoader::new(H5Backend::new(&f));
    let dte = loader.load_all("/RawData/Detector000", false)?;
    let d = loader.load_data("/RawData/Detector000/Data1D/CH00/Data00", false, false)?;
    let axis = Axis::new("x", "mm", vec![0.0, 1.0, 2.0], 0, 0)?;
    let made = DataWithAxes::new(DwaArgs {
        name: "made".into(),
        data: vec![NdArray::from_f64(vec![3], &[1.0, 5.0, 2.0])?],
        axes: vec![axis],
        ..DwaArgs::default()
    })?;
    let v = made.data[0].to_f64();
    let peak = (0..v.len())
        .max_by(|&a, &b| v[a].total_cmp(&v[b]))
        .unwrap_or(0);
    Ok((peak, v[peak], dte.data.len(), d.shape().len()))
}

#[test]
fn question_mark_works_across_layers() {
    let (peak, max, loaded, ndim) = spectrum_peak(&fixture("pt_dte.h5")).unwrap();
    assert_eq!((peak, max), (1, 5.0));
    assert!(loaded >= 3, "load_all of Detector000: {loaded}");
    assert_eq!(ndim, 1);
    // A PyMoDAQ exception arrives as a crate error naming the exception.
    let e =
        (|| -> pymodaq_h5::Result<Axis> { Ok(Axis::new("x", "", vec![], 0, 0)?) })().unwrap_err();
    assert!(e.to_string().contains("IndexError"), "{e}");
    // A loader failure (missing node) too.
    let e = (|| -> pymodaq_h5::Result<()> {
        let f = File::open(fixture("pt_dte.h5"))?;
        DataLoader::new(H5Backend::new(&f)).load_data("/RawData/Nope", false, false)?;
        Ok(())
    })()
    .unwrap_err();
    assert!(e.to_string().contains("NodeError"), "{e}");
}

#[test]
fn dwa_args_default_is_pymodaqs() {
    let a = DwaArgs::default();
    assert_eq!(a.source.as_str(), "raw");
    assert_eq!(a.distribution.as_str(), "uniform");
    assert!(a.data.is_empty() && a.axes.is_empty() && a.errors.is_none());
}

#[cfg(feature = "ndarray")]
#[test]
fn ndarray_is_re_exported() {
    let f = File::open(fixture("pt_dte.h5")).unwrap();
    let pymodaq_h5::hdf5::read::Node::Dataset(d) =
        f.get("/RawData/Detector000/Data2D/CH00/Data00").unwrap()
    else {
        panic!()
    };
    let a: pymodaq_h5::ndarray::ArrayD<f32> = d.read_ndarray().unwrap();
    assert_eq!(a.shape(), &[4, 5]);
}

/// Feature `serde`: the data model serialises and comes back equal.
#[cfg(feature = "serde")]
#[test]
fn the_model_round_trips_through_serde() {
    let f = File::open(fixture("pt_dte.h5")).unwrap();
    let loader = DataLoader::new(H5Backend::new(&f));
    let dte = loader.load_all("/RawData/Detector000", false).unwrap();
    let text = serde_json::to_string(&dte).unwrap();
    let back: pymodaq_h5::pymodaq::model::DataToExport = serde_json::from_str(&text).unwrap();
    assert_eq!(back, dte);
    assert!(
        text.contains("\"axes\""),
        "{}",
        &text[..text.len().min(300)]
    );
}
