//! Replacing or deleting an attribute whose datatype is a committed (named) datatype lowers
//! that datatype's reference count, as libhdf5 does (issue 18): h5py files with v1
//! (`libver='earliest'`) and v2 (`'latest'`: Reference Count message) headers, where /t
//! is counted 4 times (its link, attributes /g@a and /g@b, dataset /d). Our writer replaces
//! a and deletes b: libhdf5 then counts 2; the other values are unchanged.

mod common;

use pymodaq_h5::hdf5::write::*;
use serde_json::json;

#[test]
fn dropped_attributes_release_their_committed_datatype() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("committed-dtype");
    for libver in ["earliest", "latest"] {
        let h5 = dir.join(format!("{libver}.h5"));
        let script = "tests/py/committed_dtype.py";
        common::run_py(
            &py,
            script,
            [
                std::ffi::OsStr::new("make"),
                h5.as_os_str(),
                libver.as_ref(),
            ],
        );
        let check = || {
            let out = common::run_py(&py, script, [std::ffi::OsStr::new("check"), h5.as_os_str()]);
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
        };
        assert_eq!(
            check(),
            json!({"rc": 4, "attrs": {"a": 1.5, "b": 2.5}, "d": [1.0, 2.0]}),
            "{libver}: as made"
        );
        {
            let mut w = Writer::open(&h5, WriteOptions::default()).unwrap();
            w.set_attr("/g", "a", AttrValue::I64(7)).unwrap();
            w.delete_attr("/g", "b").unwrap();
            w.close().unwrap();
        }
        assert_eq!(
            check(),
            json!({"rc": 2, "attrs": {"a": 7}, "d": [1.0, 2.0]}),
            "{libver}: after replacing a and deleting b"
        );
        common::h5dump_ok(&h5, libver);
    }
}
