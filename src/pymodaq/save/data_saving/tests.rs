//! The acquisition the DataToExport savers announce to the writer is exactly the arrays
//! their first `add_data` creates (so its commit slots are placed in one page).

use super::*;
use crate::pymodaq::backend::NodeClass;
use crate::pymodaq::model::{Axis, DataDistribution, DataSource, DwaArgs};
use crate::pymodaq::save::InitOptions;

fn dwa(dim: usize, c: usize, errors: bool) -> DataWithAxes {
    let n = if dim == 0 { 1 } else { 4 };
    let arr = || NdArray::from_f64(vec![n], &vec![c as f64; n]).unwrap();
    DataWithAxes::new(DwaArgs {
        name: format!("d{dim}ch{c}"),
        source: DataSource::Raw,
        distribution: DataDistribution::Uniform,
        data: vec![arr(), arr()],
        labels: Vec::new(),
        units: "V".into(),
        origin: PyValue::Str(String::new()),
        nav_indexes: Vec::new(),
        axes: if dim == 1 {
            vec![Axis::new("wl", "nm", vec![1.0, 2.0, 3.0, 4.0], 0, 0).unwrap()]
        } else {
            Vec::new()
        },
        errors: errors.then(|| vec![arr(), arr()]),
        extra_attributes: Vec::new(),
    })
    .unwrap()
}

fn arrays(h5: &H5Saver) -> usize {
    let b = h5.backend_ref();
    b.walk_nodes("/")
        .iter()
        .filter(|p| b.node(p).is_some_and(|n| n.class != NodeClass::Group))
        .count()
}

#[test]
fn announced_acquisition_is_the_arrays_created() {
    let dir = std::env::temp_dir().join(format!("pmh5-acq-size-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (k, swmr) in [false, true].into_iter().enumerate() {
        let mut dte = DataToExport::new("acq");
        dte.data = vec![dwa(0, 0, true), dwa(0, 1, false), dwa(1, 0, true)];
        let mut h5 = H5Saver::init_file(
            dir.join(format!("f{k}.h5")),
            InitOptions {
                swmr,
                ..InitOptions::default()
            },
        )
        .unwrap();
        let raw = h5.raw_group().to_string();
        // Enlargeable, two navigation axes: 6 data + 4 error arrays + 1 axis + 2 nav axes.
        let g = h5.get_set_group(&raw, "Enl", "").unwrap();
        let enl = DataToExportEnlargeableSaver::new(&["x", "y"], &["mm", "s"]).unwrap();
        let size = acquisition_size(&h5, &g, &dte, 2);
        let before = arrays(&h5);
        enl.add_data(&mut h5, &g, &dte, &[0.0, 1.0]).unwrap();
        assert_eq!((size, arrays(&h5) - before), (13, 13));
        // The second call creates nothing and announces nothing.
        let again = acquisition_size(&h5, &g, &dte, 0);
        assert_eq!(again, 0);
        // Extended (scan of 3): data, error bars and the channel axis.
        let g = h5.get_set_group(&raw, "Ext", "").unwrap();
        let ext = DataToExportExtendedSaver::new(&[3]);
        let size = acquisition_size(&h5, &g, &dte, 0);
        let before = arrays(&h5);
        ext.add_data(&mut h5, &g, &dte, &[0], DataDistribution::Uniform)
            .unwrap();
        assert_eq!((size, arrays(&h5) - before), (11, 11));
        assert_eq!(acquisition_size(&h5, &g, &dte, 0), 0);
        h5.close_file().unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
