//! Files h5py reads that PyMoDAQ's producers do not write (issue 11). The value-by-value
//! comparison of `fixtures/interop/*.h5` with h5py runs in `dump_fixtures.rs`; here:
//! `check` agrees with `dump` (a dataset `dump` cannot render fails `check` with exit 3),
//! and refusals name the feature.

mod common;

use common::bin;

fn interop(name: &str) -> std::path::PathBuf {
    common::root().join("fixtures/interop").join(name)
}

/// A 16-byte integer: h5py reads any size as a Python integer; we read those that fit 64
/// bits (as h5py, no fill value) and refuse the others by name: `dump` names it on the
/// dataset, `check` reports it and exits 3, although the raw bytes read fine.
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
    raw = b"".join(v.to_bytes(16, "little", signed=True) for v in (0, 1 << 100, -1, 5))
    did.write(h5s.ALL, h5s.ALL, np.frombuffer(raw, dtype="V16").copy(), mtype=tid)
    did = h5d.create(f.id, b"int128_small", tid, h5s.create_simple((3,)))
    raw = b"".join(v.to_bytes(16, "little", signed=True) for v in (-2**63, 7, 2**63 - 1))
    did.write(h5s.ALL, h5s.ALL, np.frombuffer(raw, dtype="V16").copy(), mtype=tid)
    tu = h5t.STD_U64BE.copy()
    tu.set_size(16)
    a = h5py.h5a.create(f.id, b"u16", tu, h5s.create(h5s.SCALAR))
    a.write(np.frombuffer((2**64 - 1).to_bytes(16, "big"), dtype="V16").copy().reshape(()), mtype=tu)
"#;
    common::run_py_code(&py, script, [&h5]);
    let dump = bin().args(["dump", "--json"]).arg(&h5).output().unwrap();
    assert_eq!(dump.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&dump.stdout).unwrap();
    let err = doc["root"]["children"]["int128"]["error"].as_str().unwrap();
    assert!(err.contains("integer beyond 64 bits"), "{err}");
    assert!(doc["root"]["children"]["fine"].get("error").is_none());
    let small = &doc["root"]["children"]["int128_small"];
    assert_eq!(small["value"], serde_json::json!([i64::MIN, 7, i64::MAX]));
    assert_eq!(small["fillvalue"], serde_json::Value::Null);
    assert_eq!(
        doc["root"]["attrs"]["u16"]["value"],
        serde_json::json!(u64::MAX)
    );

    let check = bin().arg("check").arg(&h5).output().unwrap();
    assert_eq!(check.status.code(), Some(3));
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.contains("/int128:") && text.contains("integer beyond 64 bits"),
        "{text}"
    );
    assert!(!text.contains("/fine"), "{text}");
    assert!(!text.contains("/int128_small"), "{text}");
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
        "i11_dense_shared_attrs.h5",
        "i11_attr_order_ties.h5",
        "i11_big_sums.h5",
        "i11_long_double_fill.h5",
        "i11_resized_deflated.h5",
        "i11_vds_earliest.h5",
        "i11_vds_latest.h5",
        "i11_vds_unlim.h5",
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

/// Virtual datasets read as h5py reads them (the value-by-value comparison of the
/// `i11_vds_*` fixtures runs in `dump_fixtures.rs`): here a source written after the
/// virtual file, one deleted (its elements read as the fill value, as HDF5 does), and
/// `check` reading them too.
#[test]
fn virtual_datasets_read_their_sources() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("i11-vds");
    let script = r#"
import os, sys, h5py, numpy as np
d = sys.argv[1]
for name in ("src.h5", "gone.h5"):
    with h5py.File(os.path.join(d, name), "w") as f:
        f["data"] = np.arange(5, dtype="<i4")
lay = h5py.VirtualLayout(shape=(10,), dtype="<i4")
lay[0:5] = h5py.VirtualSource("src.h5", "data", shape=(5,))
lay[5:10] = h5py.VirtualSource("gone.h5", "data", shape=(5,))
with h5py.File(os.path.join(d, "vds.h5"), "w", libver="latest") as f:
    f.create_virtual_dataset("v", lay, fillvalue=-1)
    f["plain"] = np.arange(3)
os.remove(os.path.join(d, "gone.h5"))
"#;
    common::run_py_code(&py, script, [&*dir]);
    let dump = bin()
        .args(["dump", "--json"])
        .arg(dir.join("vds.h5"))
        .output()
        .unwrap();
    assert_eq!(dump.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&dump.stdout).unwrap();
    let v = &doc["root"]["children"]["v"];
    assert_eq!(v["layout"], "virtual");
    assert_eq!(
        v["value"],
        serde_json::json!([0, 1, 2, 3, 4, -1, -1, -1, -1, -1])
    );
    let check = bin().arg("check").arg(dir.join("vds.h5")).output().unwrap();
    assert_eq!(check.status.code(), Some(0));
}

/// Unlimited and printf-named virtual datasets (`i11_vds_unlim.h5`, its extent computed
/// from the sources as h5py's default view does): our typed hyperslab reads give what h5py
/// reads for the same selections, value for value, on every dataset (whole, rows cut at
/// both ends, one element; big-endian sources converted).
#[test]
fn unlimited_virtual_datasets_read_as_h5py_slices_them() {
    let Some(py) = common::python() else { return };
    let h5 = interop("i11_vds_unlim.h5");
    let script = r#"
import sys, json, h5py
out = {}
with h5py.File(sys.argv[1], "r") as f:
    for name in sorted(f):
        d = f[name]
        if not isinstance(d, h5py.Dataset):
            continue
        sels = [[[0, n] for n in d.shape]]
        if d.shape and d.shape[0] > 2:
            sels.append([[1, d.shape[0] - 1]] + [[0, n] for n in d.shape[1:]])
        if all(n > 0 for n in d.shape):
            sels.append([[n - 1, n] for n in d.shape])
        reads = []
        for sel in sels:
            v = d[tuple(slice(a, b) for a, b in sel)]
            reads.append([sel, [float(x) for x in v.reshape(-1)]])
        out[name] = {"shape": list(d.shape), "reads": reads}
print(json.dumps(out))
"#;
    let o = common::run_py_code(&py, script, [&h5]);
    let want: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = pymodaq_h5::hdf5::read::File::open(&h5).unwrap();
    let mut compared = 0;
    for (name, w) in want.as_object().unwrap() {
        let d = f.dataset(name).unwrap();
        let shape: Vec<u64> = serde_json::from_value(w["shape"].clone()).unwrap();
        assert_eq!(d.shape(), &shape[..], "{name}");
        for r in w["reads"].as_array().unwrap() {
            let sel: Vec<[u64; 2]> = serde_json::from_value(r[0].clone()).unwrap();
            let sel: Vec<_> = sel.iter().map(|[a, b]| *a..*b).collect();
            let values: Vec<f64> = serde_json::from_value(r[1].clone()).unwrap();
            let ours: Vec<f64> = if d.datatype.size() == 8 {
                d.read_slice::<f64>(&sel).unwrap()
            } else {
                d.read_slice::<i32>(&sel)
                    .unwrap()
                    .into_iter()
                    .map(f64::from)
                    .collect()
            };
            assert_eq!(ours, values, "{name} {sel:?}");
            compared += 1;
        }
    }
    assert!(compared >= 20, "{compared}");
}

/// The extent of an unlimited virtual dataset follows its sources as they grow (HDF5
/// recomputes it at every open); a printf mapping picks up a source written later, up to
/// the first missing one.
#[test]
fn unlimited_virtual_datasets_follow_their_sources() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("i11-vds-unlim");
    let script = r#"
import os, sys, json, h5py, numpy as np
from h5py import h5s, h5p, h5d, h5t
d, step = sys.argv[1], sys.argv[2]
U = h5s.UNLIMITED
if step == "make":
    with h5py.File(os.path.join(d, "src.h5"), "w") as f:
        f.create_dataset("s", data=np.arange(3, dtype="<i4"), maxshape=(None,), chunks=(2,))
    with h5py.File(os.path.join(d, "p_0.h5"), "w") as f:
        f["s"] = np.arange(2, dtype="<i4") + 50
    with h5py.File(os.path.join(d, "vds.h5"), "w", libver="latest") as f:
        for name, fname, vsel, ssel, sshape in (
            ("grow", "src.h5", ((0,), (1,), (1,), (U,)), ((0,), (1,), (1,), (U,)), (0,)),
            ("files", "p_%b.h5", ((0,), (U,), (2,), (2,)), None, (2,)),
        ):
            dcpl = h5p.create(h5p.DATASET_CREATE)
            dcpl.set_fill_value(np.array(-1, "<i4"))
            vs = h5s.create_simple((0,), (U,))
            vs.select_hyperslab(*vsel)
            ss = h5s.create_simple(sshape, (U,) if ssel else None)
            if ssel:
                ss.select_hyperslab(*ssel)
            else:
                ss.select_all()
            dcpl.set_virtual(vs, fname.encode(), b"s", ss)
            h5d.create(f.id, name.encode(), h5t.STD_I32LE, h5s.create_simple((0,), (U,)), dcpl=dcpl)
elif step == "grow":
    with h5py.File(os.path.join(d, "src.h5"), "a") as f:
        f["s"].resize((7,))
        f["s"][3:] = [30, 40, 50, 60]
    for k in (1, 3):
        with h5py.File(os.path.join(d, "p_%d.h5" % k), "w") as f:
            f["s"] = np.arange(2, dtype="<i4") + 50 + 10 * k
with h5py.File(os.path.join(d, "vds.h5"), "r") as f:
    print(json.dumps({k: [int(x) for x in f[k][...]] for k in ("grow", "files")}))
"#;
    for step in ["make", "grow"] {
        let o = common::run_py_code(&py, script, [dir.as_os_str(), step.as_ref()]);
        let want: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let f = pymodaq_h5::hdf5::read::File::open(dir.join("vds.h5")).unwrap();
        for name in ["grow", "files"] {
            let ours: Vec<i64> = f
                .dataset(name)
                .unwrap()
                .read::<i32>()
                .unwrap()
                .into_iter()
                .map(i64::from)
                .collect();
            let w: Vec<i64> = serde_json::from_value(want[name].clone()).unwrap();
            assert_eq!(ours, w, "{step} {name}");
        }
    }
}

/// A source name with a specifier HDF5 does not know (`%q`, HDF5 refuses to open the
/// dataset): refused by name on that dataset, in `dump` and in `check` (exit 3); the rest
/// of the file reads.
#[test]
fn invalid_virtual_source_patterns_are_refused_by_name() {
    let h5 = interop("i11_vds_bad_pattern.h5");
    let dump = bin().args(["dump", "--json"]).arg(&h5).output().unwrap();
    assert_eq!(dump.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&dump.stdout).unwrap();
    let kids = &doc["root"]["children"];
    let err = kids["bad"]["error"].as_str().unwrap();
    assert!(err.contains("invalid format specifier"), "{err}");
    assert_eq!(kids["fine"]["value"], serde_json::json!([0, 1, 2]));
    let check = bin().arg("check").arg(&h5).output().unwrap();
    assert_eq!(check.status.code(), Some(3));
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.contains("/bad") && text.contains("invalid format specifier"),
        "{text}"
    );
    assert!(!text.contains("/fine"), "{text}");
}

/// Storage never allocated (netcdf-c's `ref_tst_dims.nc`: 18 GB never written, which h5py
/// reads as fill values) is digested as its fill value without reading anything, beyond
/// `max_read_total` up to `UNALLOCATED_FACTOR` times it: under a cap of 4 MiB the digests of
/// `i11_unallocated.h5` (5 to 48 MB each) equal h5py's; above 16 times the cap, and for
/// written data above the cap, the dataset is still refused by name.
#[test]
fn unallocated_datasets_are_digested_as_fill_values() {
    let h5 = interop("i11_unallocated.h5");
    let golden: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(h5.with_extension("json")).unwrap()).unwrap();
    let dump = |cap: u64| {
        let mut limits = pymodaq_h5::Limits::default();
        limits.max_read_total = cap;
        let f = pymodaq_h5::hdf5::read::File::open_with_limits(&h5, limits).unwrap();
        pymodaq_h5::dump::dump_file(&f, "i11_unallocated.h5")
            .unwrap()
            .json
    };
    let doc = dump(4 << 20);
    for name in ["med", "medi", "contig", "zeros"] {
        let (ours, want) = (
            &doc["root"]["children"][name],
            &golden["root"]["children"][name],
        );
        for key in ["shape", "sha256_le", "nbytes", "first", "sum", "fillvalue"] {
            assert_eq!(ours[key], want[key], "{name} {key}");
        }
    }
    let err = doc["root"]["children"]["written"]["error"]
        .as_str()
        .unwrap();
    assert!(err.contains("max_read_total"), "{err}");
    let doc = dump(1 << 18);
    for name in ["med", "medi", "contig", "zeros"] {
        let err = doc["root"]["children"][name]["error"].as_str().unwrap();
        assert!(err.contains("max_read_total"), "{name}: {err}");
    }
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

/// Integer sums beyond 64 bits are printed exactly by `dump --json`, as h5py's (Python)
/// integers are: every `"sum"` of the golden appears digit for digit in our output.
#[test]
fn integer_sums_beyond_64_bits_are_exact() {
    fn sums(text: &str) -> Vec<String> {
        let mut out: Vec<String> = text
            .split("\"sum\": ")
            .skip(1)
            .map(|t| {
                t.chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '-')
                    .collect()
            })
            .collect();
        out.sort();
        out
    }
    let h5 = interop("i11_big_sums.h5");
    let golden = std::fs::read_to_string(interop("i11_big_sums.json")).unwrap();
    let dump = bin().args(["dump", "--json"]).arg(&h5).output().unwrap();
    assert_eq!(dump.status.code(), Some(0));
    let ours = String::from_utf8(dump.stdout).unwrap();
    let want = sums(&golden);
    assert_eq!(want.len(), 5, "{want:?}");
    assert!(want.iter().any(|s| s.len() > 20), "{want:?}");
    assert_eq!(sums(&ours), want);
}

/// An attribute list HDF5 cannot iterate (a compound attribute type with no members): the
/// object keeps its values, `attrs` carries the error as h5py's dumper shows it, and
/// `check` reports the same objects (exit 3).
#[test]
fn attribute_iteration_errors_are_placed_as_h5py_does() {
    let h5 = interop("i11_attr_iteration_error.h5");
    let dump = bin().args(["dump", "--json"]).arg(&h5).output().unwrap();
    assert_eq!(dump.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&dump.stdout).unwrap();
    let kids = &doc["root"]["children"];
    for name in ["g", "d"] {
        assert!(kids[name].get("error").is_none(), "{name}: {}", kids[name]);
        let attrs = kids[name]["attrs"].as_object().unwrap();
        assert_eq!(attrs.len(), 1, "{name}");
        assert!(attrs["error"]["error"]
            .as_str()
            .unwrap()
            .contains("no members"));
    }
    assert_eq!(kids["d"]["value"], serde_json::json!([0, 1, 2, 3]));
    let check = bin().arg("check").arg(&h5).output().unwrap();
    assert_eq!(check.status.code(), Some(3));
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(text.contains("  /g (attributes): "), "{text}");
    assert!(text.contains("  /d (attributes): "), "{text}");
    assert!(!text.contains("/untouched"), "{text}");
}

/// Datasets stored in external files (`H5Pset_external`): read from the slots' byte ranges,
/// names relative to the working directory as HDF5 resolves them, value for value as h5py
/// reads them; from another directory the files are missing and the dataset carries an
/// error (h5py cannot read it either), the rest of the file still reads.
#[test]
fn external_data_files_read_as_h5py() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("i11-external");
    let script = r#"
import json, os, sys, h5py, numpy as np
os.chdir(sys.argv[1])
with h5py.File("ext.h5", "w") as f:
    f.create_dataset("x", data=np.arange(10, dtype="<i4"), external=[("e0.raw", 0, 20), ("e1.raw", 4, 20)])
    f.create_dataset("m", data=np.arange(24, dtype=">f8").reshape(2, 3, 4) / 3,
                     external=[("e2.raw", 16, 100), ("e2.raw", 200, 1000)])
    f["plain"] = np.arange(3)
with h5py.File("ext.h5", "r") as f:
    print(json.dumps({"x": f["x"][()].tolist(), "m": f["m"][()].tolist()}))
"#;
    let out = common::run_py_code(&py, script, [&*dir]);
    let want: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    let dump = bin()
        .current_dir(&dir)
        .args(["dump", "--json", "ext.h5"])
        .output()
        .unwrap();
    assert_eq!(
        dump.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&dump.stdout).unwrap();
    let kids = &doc["root"]["children"];
    assert_eq!(kids["x"]["value"], want["x"]);
    assert_eq!(kids["m"]["value"], want["m"]);
    let elsewhere = bin()
        .current_dir(std::env::temp_dir())
        .args(["dump", "--json"])
        .arg(dir.join("ext.h5"))
        .output()
        .unwrap();
    assert_eq!(elsewhere.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&elsewhere.stdout).unwrap();
    let err = doc["root"]["children"]["x"]["error"].as_str().unwrap();
    assert!(err.contains("external data file"), "{err}");
    assert_eq!(
        doc["root"]["children"]["x"]["shape"],
        serde_json::json!([10])
    );
    assert_eq!(
        doc["root"]["children"]["plain"]["value"],
        serde_json::json!([0, 1, 2])
    );
}
