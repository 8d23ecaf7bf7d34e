//! `H5BrowserUtil`: exports byte-identical to PyMoDAQ's exporters, and the attribute listing
//! of the H5Browser.

mod common;

use std::process::Command;

use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::pymodaq::attrs::PyValue;
use pymodaq_h5::pymodaq::browsing::H5BrowserUtil;

const NODES: &[(&str, &str)] = &[
    ("pt_lowlevel.h5", "/RawData/Detector000/Data1D/Data00"),
    ("pt_lowlevel.h5", "/RawData/Detector000/Data2D/Data00"),
    ("pt_lowlevel.h5", "/RawData/Detector000/Data1D"),
    ("h5py_lowlevel.h5", "/RawData/Detector000/Data1D/Axis00"),
    ("h5py_lowlevel.h5", "/RawData/Detector000/Ints"),
    ("pt_enlargeable.h5", "/RawData/Detector000/EnlData00"),
];

#[test]
fn exports_match_pymodaq_exporters() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("browse");
    let mut same = 0;
    for (i, (file, node)) in NODES.iter().enumerate() {
        let src = common::root().join("fixtures/pymodaq").join(file);
        let f = File::open(&src).unwrap();
        let b = H5BrowserUtil::new(&f);
        for ext in ["txt", "npy"] {
            let ours = dir.join(format!("o{i}.{ext}"));
            let theirs = dir.join(format!("t{i}.{ext}"));
            let ours_r = b.export_data(node, &ours);
            let code = "import sys, warnings; warnings.simplefilter('ignore')\n\
                from pathlib import Path\n\
                from pymodaq_data.h5modules.browsing import H5BrowserUtil\n\
                import h5py\n\
                with h5py.File(sys.argv[1], 'r') as f: be = 'tables' if 'PYTABLES_FORMAT_VERSION' in f.attrs else 'h5py'\n\
                u = H5BrowserUtil(backend=be); u.init_file(Path(sys.argv[1]), mode='r')\n\
                flt = {'txt': 'Text files (*.txt)', 'npy': 'Binary NumPy format (*.npy)'}[sys.argv[3].rsplit('.', 1)[1]]\n\
                u.export_data(sys.argv[2], sys.argv[3], flt); u.close_file()\n";
            let o = Command::new(&py)
                .args(["-c", code])
                .arg(&src)
                .arg(node)
                .arg(&theirs)
                .output()
                .unwrap();
            let theirs_ok = o.status.success() && theirs.exists();
            match (ours_r, theirs_ok) {
                (Ok(()), true) => {
                    assert_eq!(
                        std::fs::read(&ours).unwrap(),
                        std::fs::read(&theirs).unwrap(),
                        "{file} {node} .{ext}"
                    );
                    same += 1;
                }
                (Err(_), false) => {}
                (r, t) => panic!(
                    "{file} {node} .{ext}: ours {r:?}, PyMoDAQ exported: {t} {}",
                    String::from_utf8_lossy(&o.stderr)
                ),
            }
        }
    }
    println!("{same} exports byte-identical to PyMoDAQ's");
    assert!(same >= 9, "only {same} exports compared");
}

#[test]
fn attributes_as_the_browser_lists_them() {
    let src = common::root().join("fixtures/pymodaq/pt_lowlevel.h5");
    let f = File::open(&src).unwrap();
    let b = H5BrowserUtil::new(&f);
    let a = b.get_h5_attributes("/RawData/Detector000").unwrap();
    assert_eq!(
        a.settings,
        vec![PyValue::Str("<All_settings title='det' />".into())]
    );
    assert_eq!(a.scan_settings, None);
    assert!(a.pixmaps.is_empty());
    assert!(a
        .attrs
        .iter()
        .any(|(k, v)| k == "type" && *v == PyValue::Str("detector".into())));
    assert!(b.get_h5file_scans("/").unwrap().is_empty());
}
