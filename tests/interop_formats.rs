//! Files h5py reads that PyMoDAQ's producers do not write (issue 11). The value-by-value
//! comparison of `fixtures/interop/*.h5` with h5py runs in `dump_fixtures.rs`; here:
//! `check` agrees with `dump` (a dataset `dump` cannot render fails `check` with exit 3),
//! and refusals name the feature.

mod common;

use common::bin;

fn interop(name: &str) -> std::path::PathBuf {
    common::root().join("fixtures/interop").join(name)
}

/// A 16-byte integer (h5py reads its bytes; we refuse wider than 8 bytes): `dump` names it,
/// `check` reports it and exits 3, although the raw bytes read fine.
#[test]
fn check_agrees_with_dump_on_an_undecodable_type() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("i11-check");
    let h5 = dir.join("int128.h5");
    let script = r#"
import sys, h5py, numpy as np
from h5py import h5t, h5s, h5d
with h5py.File(sys.argv[1], "w") as f:
    f["fine"] = np.arange(3)
    tid = h5t.STD_I64LE.copy()
    tid.set_size(16)
    did = h5d.create(f.id, b"int128", tid, h5s.create_simple((4,)))
    did.write(h5s.ALL, h5s.ALL, np.zeros(4, dtype="V16"), mtype=tid)
"#;
    common::run_py_code(&py, script, [&h5]);
    let dump = bin().args(["dump", "--json"]).arg(&h5).output().unwrap();
    assert_eq!(dump.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&dump.stdout).unwrap();
    let err = doc["root"]["children"]["int128"]["error"].as_str().unwrap();
    assert!(err.contains("integer wider than 8 bytes"), "{err}");
    assert!(doc["root"]["children"]["fine"].get("error").is_none());

    let check = bin().arg("check").arg(&h5).output().unwrap();
    assert_eq!(check.status.code(), Some(3));
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.contains("/int128") && text.contains("integer wider than 8 bytes"),
        "{text}"
    );
    assert!(!text.contains("/fine"), "{text}");
}

/// szip has no pure-Rust decoder: refused with its name, in `dump` and in `check`; the rest
/// of the file (an optional unknown filter skipped by every chunk's mask) reads.
#[test]
fn szip_is_refused_by_name() {
    let h5 = interop("i11_masked_filters.h5");
    let dump = bin().args(["dump", "--json"]).arg(&h5).output().unwrap();
    assert_eq!(dump.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&dump.stdout).unwrap();
    let err = doc["root"]["children"]["szip"]["error"].as_str().unwrap();
    assert!(err.contains("szip (filter 4) is not supported"), "{err}");
    let masked = &doc["root"]["children"]["optional_unknown_masked"];
    assert_eq!(masked["value"], serde_json::json!([0, 1, 2, 3, 4, 5, 6, 7]));

    let check = bin().arg("check").arg(&h5).output().unwrap();
    assert_eq!(check.status.code(), Some(3));
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(text.contains("szip (filter 4) is not supported"), "{text}");
    assert!(!text.contains("optional_unknown_masked"), "{text}");
}

/// Every interop fixture h5py reads whole is checked OK by `check` (it reads and decodes
/// what `dump` does), except the ones holding a refused filter.
#[test]
fn check_passes_what_dump_reads() {
    for name in [
        "i11_datatypes.h5",
        "i11_fill_undefined.h5",
        "i11_scaleoffset_nbit.h5",
        "i11_cache_image.h5",
        "i11_unfiltered_edges.h5",
        "i11_vlen_members.h5",
        "i11_vlen_members_small_offsets.h5",
        "i11_time.h5",
        "i11_complex.h5",
        "i11_narrow_numbers.h5",
        "i11_top_level_arrays.h5",
        "i11_shared_message_v1.h5",
        "i11_blosc2.h5",
        "i11_sohm_list.h5",
        "i11_sohm_btree.h5",
        "i11_sohm_two_indexes.h5",
    ] {
        let h5 = interop(name);
        let dump = bin().args(["dump", "--json"]).arg(&h5).output().unwrap();
        assert_eq!(dump.status.code(), Some(0), "{name}");
        let check = bin().arg("check").arg(&h5).output().unwrap();
        assert_eq!(
            check.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
}

/// The differential property: random files from h5py + hdf5plugin with random types,
/// filters, layouts and format bounds (`fixtures/gen/random_interop.py`); our `dump --json`
/// equals the h5py reference dumper's, or refuses a dataset naming a filter we have no
/// decoder for (`common::normalise`). `INTEROP_SEEDS=1,2,3` and `INTEROP_COUNT` widen it.
#[test]
fn random_interop_files_dump_as_h5py_or_name_the_refusal() {
    let Some(py) = common::python() else { return };
    let compared = common::random_files_match_h5py(
        &py,
        "fixtures/gen/random_interop.py",
        "interop",
        "INTEROP",
        &[21, 22],
        30,
    );
    eprintln!("{compared} random interop files dump as h5py reads them");
}

/// Virtual datasets are refused by name on that dataset; the rest of the file reads.
#[test]
fn virtual_datasets_are_refused_by_name() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("i11-vds");
    let script = r#"
import os, sys, h5py, numpy as np
d = sys.argv[1]
with h5py.File(os.path.join(d, "src.h5"), "w") as f:
    f["data"] = np.arange(5, dtype="<i4")
lay = h5py.VirtualLayout(shape=(5,), dtype="<i4")
lay[:] = h5py.VirtualSource("src.h5", "data", shape=(5,))
with h5py.File(os.path.join(d, "vds.h5"), "w", libver="latest") as f:
    f.create_virtual_dataset("v", lay, fillvalue=-1)
    f["plain"] = np.arange(3)
"#;
    common::run_py_code(&py, script, [&*dir]);
    let dump = bin()
        .args(["dump", "--json"])
        .arg(dir.join("vds.h5"))
        .output()
        .unwrap();
    assert_eq!(dump.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&dump.stdout).unwrap();
    let err = doc["root"]["children"]["v"]["error"].as_str().unwrap();
    assert!(err.contains("virtual dataset"), "{err}");
    assert_eq!(
        doc["root"]["children"]["plain"]["value"],
        serde_json::json!([0, 1, 2])
    );
}

/// What HDF5 itself refuses to open is refused here too, by name, on that node only: an
/// unknown message flagged "fail if unknown", a compound with no members. The same unknown
/// message without the flag is ignored (its attribute vanishes, as in h5py).
#[test]
fn objects_hdf5_refuses_are_refused_by_name() {
    let h5 = interop("i11_hdf5_refusals.h5");
    let dump = bin().args(["dump", "--json"]).arg(&h5).output().unwrap();
    assert_eq!(dump.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&dump.stdout).unwrap();
    let kids = &doc["root"]["children"];
    let err = kids["bogus_fail"]["error"].as_str().unwrap();
    assert!(err.contains("fail if unknown"), "{err}");
    let err = kids["empty_compound"]["error"].as_str().unwrap();
    assert!(err.contains("compound datatype with no members"), "{err}");
    assert_eq!(kids["bogus_ignored"]["attrs"], serde_json::json!({}));
    assert_eq!(
        kids["bogus_ignored"]["value"],
        serde_json::json!([0, 1, 2, 3])
    );
    assert_eq!(kids["fine"]["value"], serde_json::json!([0, 1, 2]));
    let check = bin().arg("check").arg(&h5).output().unwrap();
    assert_eq!(check.status.code(), Some(3));
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.contains("/bogus_fail") && text.contains("/empty_compound"),
        "{text}"
    );
    assert!(
        !text.contains("/fine") && !text.contains("/bogus_ignored"),
        "{text}"
    );
}
