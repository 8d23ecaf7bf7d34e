//! Attributes stored as shared messages (SOHM: the file's shared message table holds
//! attribute messages, h5py files made with `H5Pset_shared_mesg_index`) are added, replaced
//! and deleted by `Writer::open` (issue 18): compact headers holding shared attribute
//! messages (list and B-tree indexes) and dense storage whose name index holds shared
//! records. h5py reads every old attribute unchanged, value by value, but the replaced and
//! deleted ones; PyTables reads them all; h5dump reads the file; and libhdf5 deleting every attribute and object
//! afterwards empties every shared message index (the reference counts we left are exact:
//! one too low fails libhdf5's delete, one too high leaves a message).

mod common;

use std::path::Path;

use pymodaq_h5::hdf5::write::*;
use serde_json::Value as J;

/// (object, attribute) edits: replaced with a new value, deleted, added.
struct Edits {
    fixture: &'static str,
    replace: &'static [(&'static str, &'static str)],
    delete: &'static [(&'static str, &'static str)],
    add: &'static [&'static str],
}

const CASES: &[Edits] = &[
    Edits {
        fixture: "i11_dense_shared_attrs.h5",
        replace: &[("/dense", "a03"), ("/d", "same0"), ("/tracked", "z3")],
        delete: &[("/dense", "a05"), ("/d", "same1"), ("/tracked", "z4")],
        add: &["/dense", "/d", "/tracked", "/"],
    },
    Edits {
        fixture: "i11_sohm_list.h5",
        replace: &[("/d00", "units"), ("/c00", "same")],
        delete: &[("/d01", "scale"), ("/g", "note")],
        add: &["/d00", "/d01", "/g"],
    },
    Edits {
        fixture: "i11_sohm_btree.h5",
        replace: &[("/d00", "units"), ("/d03", "units"), ("/c00", "same")],
        delete: &[("/d01", "scale"), ("/g", "note"), ("/d02", "units")],
        add: &["/d00", "/g"],
    },
    Edits {
        fixture: "i11_sohm_two_indexes.h5",
        replace: &[("/d00", "units")],
        delete: &[("/d00", "scale"), ("/g", "note")],
        add: &["/d00", "/c05"],
    },
];

fn dump(py: &Path, h5: &Path) -> J {
    let out = common::run_py(
        py,
        "tests/py/shared_attrs.py",
        [std::ffi::OsStr::new("dump"), h5.as_os_str()],
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Message counts of every index of the file's shared message table (`SMTB`: per index
/// version, type, flags (2), minimum size (4), list and B-tree cutoffs (2 + 2), count (2),
/// two addresses).
fn sohm_counts(h5: &Path) -> Vec<u16> {
    let b = std::fs::read(h5).unwrap();
    let at = b.windows(4).position(|w| w == b"SMTB").expect("SMTB") + 4;
    let mut out = Vec::new();
    let mut p = at;
    while b[p] == 0 && out.len() < 8 && p + 30 <= b.len() {
        out.push(u16::from_le_bytes([b[p + 12], b[p + 13]]));
        p += 30;
        if b[p..p + 4] != [0; 4] && b[p] != 0 {
            break;
        }
    }
    out
}

#[test]
fn shared_attributes_added_replaced_deleted() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("shared-attrs");
    for case in CASES {
        let src = common::root().join("fixtures/interop").join(case.fixture);
        let h5 = dir.join(case.fixture);
        std::fs::copy(&src, &h5).unwrap();
        let mut want = dump(&py, &h5);
        let mut w = Writer::open(&h5, WriteOptions::default()).unwrap();
        for (p, n) in case.replace {
            w.set_attr(p, n, AttrValue::F64s(vec![1.5, 2.5]))
                .unwrap_or_else(|e| panic!("{}: replace {p}@{n}: {e}", case.fixture));
            want[*p][*n] = serde_json::json!(["float64", [1.5, 2.5]]);
        }
        for (p, n) in case.delete {
            w.delete_attr(p, n)
                .unwrap_or_else(|e| panic!("{}: delete {p}@{n}: {e}", case.fixture));
            want[*p].as_object_mut().unwrap().remove(*n).unwrap();
        }
        for p in case.add {
            w.set_attr(p, "added", AttrValue::I64(7))
                .unwrap_or_else(|e| panic!("{}: add {p}@added: {e}", case.fixture));
            want[*p]["added"] = serde_json::json!(["int64", 7]);
        }
        w.close().unwrap();
        let got = dump(&py, &h5);
        assert_eq!(got, want, "{}: attributes after editing", case.fixture);
        // A second session on the result: the records written (shared kept, new unshared)
        // are read back and edited again.
        let mut w = Writer::open(&h5, WriteOptions::default()).unwrap();
        let (p, n) = case.replace[0];
        w.set_attr(p, n, AttrValue::I64(-1)).unwrap();
        want[p][n] = serde_json::json!(["int64", -1]);
        let (p, _) = case.delete[0];
        w.set_attr(p, "again", AttrValue::Str("x".into())).unwrap();
        want[p]["again"] = serde_json::json!(["|S1", "x"]);
        w.close().unwrap();
        assert_eq!(dump(&py, &h5), want, "{}: second session", case.fixture);
        common::h5dump_ok(&h5, case.fixture);
        // PyTables reads every attribute (h5py's dump counts them too).
        let out = common::run_py(
            &py,
            "tests/py/shared_attrs.py",
            [std::ffi::OsStr::new("pytables"), h5.as_os_str()],
        );
        let n: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        let want_n: usize = want
            .as_object()
            .unwrap()
            .values()
            .map(|a| a.as_object().unwrap().len())
            .sum();
        assert_eq!(n, want_n, "{}: attributes PyTables reads", case.fixture);
        // libhdf5 drops every reference: every index ends empty.
        assert_libhdf5_drains(&py, &h5, case.fixture);
    }
}

/// Each shared attribute deleted writes the index anew: the superseded one is freed by the
/// table write and reused once cooled. The twelve objects share one "scale" message: the
/// first eleven deletes write the index once each, the last three times (the message and
/// then its shared datatype and dataspace drop to zero). Twelve deletes 250 ms apart in one
/// open so hold at most four index blocks past the original: the one cooling, the one in
/// use, the last delete's two quick rewrites, and one for the original (libhdf5's blocks
/// are freed at their exact length, ours are padded to 8: it may not fit). Before,
/// fourteen. libhdf5 then still drains every index to empty.
#[test]
fn superseded_indexes_are_reused() {
    let dir = common::temp_dir("sohm-reuse");
    for fixture in ["i11_sohm_list.h5", "i11_sohm_btree.h5"] {
        let src = common::root().join("fixtures/interop").join(fixture);
        let size0 = std::fs::metadata(&src).unwrap().len();
        let grown = |n: usize| {
            let h5 = dir.join(format!("{n}_{fixture}"));
            std::fs::copy(&src, &h5).unwrap();
            let mut w = Writer::open(&h5, WriteOptions::default()).unwrap();
            for i in 0..n {
                w.delete_attr(&format!("/d{i:02}"), "scale").unwrap();
                std::thread::sleep(std::time::Duration::from_millis(250));
            }
            w.close().unwrap();
            (std::fs::metadata(&h5).unwrap().len() - size0, h5)
        };
        let (one, _) = grown(1);
        let (twelve, h5) = grown(12);
        assert!(one > 0, "{fixture}: the first index is new space");
        assert!(
            twelve <= 4 * one,
            "{fixture}: 12 deletes grew {twelve} bytes, one grew {one}"
        );
        let Some(py) = common::python() else { continue };
        assert_libhdf5_drains(&py, &h5, fixture);
        common::h5dump_ok(&h5, fixture);
    }
}

/// libhdf5 deletes every shared attribute of `h5`: every shared-message index ends empty.
fn assert_libhdf5_drains(py: &Path, h5: &Path, fixture: &str) {
    common::run_py(
        py,
        "tests/py/shared_attrs.py",
        [std::ffi::OsStr::new("drain"), h5.as_os_str()],
    );
    let counts = sohm_counts(h5);
    assert!(
        !counts.is_empty() && counts.iter().all(|&n| n == 0),
        "{fixture}: shared messages left after libhdf5 deleted everything: {counts:?}"
    );
}
