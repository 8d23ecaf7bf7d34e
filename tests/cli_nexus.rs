//! `annotate-nexus`: NeXus hints added in place to PyMoDAQ files of both backends (and 4.4's).
//! - h5py and nexusformat see each data group as NXdata with its signal and axes, and the
//!   root's default chain (tests/py/nexus_check.py);
//! - PyMoDAQ 5.x (and 4.4 when its venv is there) loads the annotated file exactly as the
//!   original: the same load-json document once the hint attributes are set aside;
//! - our own `load --json` agrees with PyMoDAQ 5.x's on the annotated file (string-array
//!   attributes included);
//! - a refusal (plain HDF5 file, legacy file) leaves the file
//!   byte-identical; annotating twice changes nothing PyMoDAQ or NeXus readers see.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value as J};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pymodaq-h5"))
}

fn fixture(name: &str) -> std::path::PathBuf {
    common::root().join("fixtures/pymodaq").join(name)
}

/// The load-json document with the NeXus hint attributes removed from every `attrs` map.
fn strip_hints(v: &mut J) {
    match v {
        J::Object(m) => {
            if let Some(J::Object(a)) = m.get_mut("attrs") {
                a.retain(|k, _| {
                    !common::NEXUS_HINTS.contains(&k.as_str()) && !k.ends_with("_indices")
                });
            }
            for x in m.values_mut() {
                strip_hints(x);
            }
        }
        J::Array(a) => a.iter_mut().for_each(strip_hints),
        _ => {}
    }
}

/// PyMoDAQ's load-json documents of `files`, from one interpreter.
fn pymodaq_load_many(py: &Path, files: &[std::path::PathBuf]) -> Vec<J> {
    let out = Command::new(py)
        .arg(common::root().join("tests/py/pymodaq_load_many.py"))
        .args(files)
        .env("QT_QPA_PLATFORM", "offscreen")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "PyMoDAQ cannot load: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

const FIXTURES: &[&str] = &[
    "pt_dte.h5",
    "h5py_dte.h5",
    "pt_extended.h5",
    "h5py_extended.h5",
    "pt_enlargeable.h5",
    "h5py_enlargeable.h5",
    "pt_interrupted.h5",
    "pmd44_pt_dte.h5",
    "pmd44_pt_extended.h5",
    "pmd44_pt_enlargeable.h5",
];

#[test]
fn annotated_files_are_nxdata_and_load_as_before() {
    let dir = common::temp_dir("nexus");
    let py = common::python();
    let py44 = common::python44();
    let mut failures = Vec::new();
    let mut pairs = Vec::new();
    for name in FIXTURES {
        let orig = fixture(name);
        let ann_dir = dir.join("ann");
        std::fs::create_dir_all(&ann_dir).unwrap();
        let ann = ann_dir.join(name);
        std::fs::copy(&orig, &ann).unwrap();
        let out = bin().arg("annotate-nexus").arg(&ann).output().unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let f = pymodaq_h5::hdf5::read::File::open(&ann).unwrap();
        let plan = pymodaq_h5::pymodaq::nexus_annotate::plan(&f).unwrap();
        assert!(!plan.groups.is_empty(), "{name}: nothing annotated");
        // No hint on data datasets (PyMoDAQ loads their every attribute), as --help says.
        for g in &plan.groups {
            for d in std::iter::once(&g.signal).chain(&g.auxiliary_signals) {
                let path = format!("{}/{d}", g.group);
                let pymodaq_h5::hdf5::read::Node::Dataset(ds) = f.get(&path).unwrap() else {
                    panic!("{name}: {path} is not a dataset")
                };
                for hint in common::NEXUS_HINTS {
                    assert!(
                        ds.object().attribute(hint).unwrap().is_none(),
                        "{name}: {path} has {hint}"
                    );
                }
            }
        }
        // A 1-D spectrum's axis must be found (the fixtures with one carry it in its group).
        if name.contains("dte") {
            assert!(
                plan.groups.iter().any(|g| g.axes.iter().any(|a| a != ".")),
                "{name}: no axis named: {:?}",
                plan.groups
            );
        }
        // What our plan says the file now holds, read back by h5py and nexusformat.
        let expected: Vec<J> = plan
            .groups
            .iter()
            .map(|g| json!({"group": g.group, "signal": g.signal, "axes": g.axes}))
            .collect();
        let Some(py) = &py else { continue };
        let out = Command::new(py)
            .arg(common::root().join("tests/py/nexus_check.py"))
            .arg(&ann)
            .arg(serde_json::to_string(&expected).unwrap())
            .output()
            .unwrap();
        if !out.status.success() {
            failures.push(format!(
                "{name} (NeXus): {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        pairs.push((name, orig.clone(), ann.clone()));
        // Twice: the same hints (attribute values replaced by equal ones).
        let out = bin()
            .arg("annotate-nexus")
            .arg("-q")
            .arg(&ann)
            .output()
            .unwrap();
        assert!(out.status.success());
        let again = pymodaq_h5::pymodaq::nexus_annotate::plan(
            &pymodaq_h5::hdf5::read::File::open(&ann).unwrap(),
        )
        .unwrap();
        assert_eq!(again, plan, "{name}: second run");
    }
    // PyMoDAQ (5.x, and 4.4 when there) loads each annotated file as the original.
    if let Some(py) = &py {
        let mut pys = vec![("5.x", py.clone())];
        if let Some(p) = &py44 {
            pys.push(("4.4", p.clone()));
        }
        let files: Vec<_> = pairs
            .iter()
            .flat_map(|(_, o, a)| [o.clone(), a.clone()])
            .collect();
        for (tag, p) in pys {
            let docs = pymodaq_load_many(&p, &files);
            for ((name, _, ann), pair) in pairs.iter().zip(docs.chunks(2)) {
                if tag == "5.x" {
                    // Our loader agrees with PyMoDAQ's on the annotated file, hints included
                    // (`axes` is a numpy `S` array attribute).
                    let f = pymodaq_h5::hdf5::read::File::open(ann).unwrap();
                    let ours = pymodaq_h5::pymodaq::load_json::load_json(&f, name, true)
                        .unwrap()
                        .0;
                    let mut d = Vec::new();
                    common::diff("", &ours, &pair[1], &mut d);
                    if !d.is_empty() {
                        failures.push(format!(
                            "{name} (ours vs PyMoDAQ 5.x): {}",
                            d[..d.len().min(8)].join("; ")
                        ));
                    }
                }
                let (mut a, mut b) = (pair[0].clone(), pair[1].clone());
                strip_hints(&mut a);
                strip_hints(&mut b);
                let mut d = Vec::new();
                common::diff("", &b, &a, &mut d);
                if !d.is_empty() {
                    failures.push(format!(
                        "{name} (PyMoDAQ {tag}): {}",
                        d[..d.len().min(8)].join("; ")
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `annotate-nexus --help` says what the command writes where: `long_name` on axes only, the
/// navigation axes left out (spec/cli.md).
#[test]
fn help_says_where_the_hints_go() {
    let out = bin().args(["annotate-nexus", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
    assert!(out.status.success());
    assert!(help.contains("on axis datasets only"), "{help}");
    assert!(!help.contains("on data and axis datasets"), "{help}");
    assert!(help.contains("Navigation axes"), "{help}");
}

#[test]
fn refusals_leave_the_file_byte_identical() {
    let dir = common::temp_dir("nexus-refuse");
    // A plain HDF5 file and a legacy (1.x-3.x) file. (Files with dense attributes, such as
    // h5py_swmr_stale.h5, are no longer refused: the writer edits dense storage since issue 18.)
    for (src, what) in [
        (
            common::root().join("fixtures/hdf5/pt_attrs.h5"),
            "not a PyMoDAQ",
        ),
        (
            common::root().join("fixtures/legacy/pmd2_scan1d.h5"),
            "not a PyMoDAQ",
        ),
    ] {
        let copy = dir.join(src.file_name().unwrap());
        std::fs::copy(&src, &copy).unwrap();
        let before = std::fs::read(&copy).unwrap();
        let out = bin().arg("annotate-nexus").arg(&copy).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {err}", src.display());
        assert!(err.contains(what), "{}: {err}", src.display());
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(
            std::fs::read(&copy).unwrap() == before,
            "{} changed",
            src.display()
        );
    }
}

/// A scan written by our savers with `InitOptions::nexus_hints`: the same hints as
/// `annotate-nexus` (NXdata with the spectrum's axis, read by h5py and nexusformat), and
/// PyMoDAQ 5.x loads it exactly as the same scan written without hints.
#[test]
fn savers_add_the_hints_on_request() {
    use pymodaq_h5::pymodaq::attrs::PyValue;
    use pymodaq_h5::pymodaq::model::{
        Axis, DataDistribution, DataToExport, DataWithAxes, DwaArgs, NdArray,
    };
    use pymodaq_h5::pymodaq::save::{
        Clock, DataToExportExtendedSaver, H5Saver, InitOptions, SaveType,
    };
    let dir = common::temp_dir("nexus-saver");
    let write = |path: &Path, hints: bool| {
        let mut h5 = H5Saver::init_file(
            path,
            InitOptions {
                save_type: SaveType::Scan,
                nexus_hints: hints,
                clock: Clock::Fixed {
                    date: "2024-05-17".into(),
                    time: "12:00:00.000000".into(),
                    epoch: 1.7e9,
                    step: 0.5,
                },
                ..Default::default()
            },
        )
        .unwrap();
        let empty = PyValue::Str(String::new());
        let scan = h5.add_scan_group("/RawData", "scan", &empty, &[]).unwrap();
        let det = h5.add_det_group(&scan, "spectro", &empty, &[]).unwrap();
        let saver = DataToExportExtendedSaver::new(&[4]);
        let xs = vec![0.0, 0.5, 1.0, 1.5];
        saver
            .add_nav_axes(&mut h5, &scan, &[Axis::new("x", "mm", xs, 0, 0).unwrap()])
            .unwrap();
        for i in 0..4u64 {
            let mut point = DataToExport::new("point");
            let wl: Vec<f64> = (0..8).map(|k| 500.0 + k as f64).collect();
            point.append(
                DataWithAxes::new(DwaArgs {
                    name: "spectrum".into(),
                    data: vec![NdArray::from_f64(
                        vec![8],
                        &(0..8).map(|k| (k as f64) * (i as f64)).collect::<Vec<_>>(),
                    )
                    .unwrap()],
                    axes: vec![Axis::new("wavelength", "nm", wl, 0, 0).unwrap()],
                    ..DwaArgs::default()
                })
                .unwrap(),
            );
            saver
                .add_data(&mut h5, &det, &point, &[i], DataDistribution::Uniform)
                .unwrap();
        }
        h5.close_file().unwrap();
    };
    let (on, off) = (dir.join("on").join("s.h5"), dir.join("off").join("s.h5"));
    std::fs::create_dir_all(on.parent().unwrap()).unwrap();
    std::fs::create_dir_all(off.parent().unwrap()).unwrap();
    write(&on, true);
    write(&off, false);
    let plan_of = |p: &Path| {
        pymodaq_h5::pymodaq::nexus_annotate::plan(&pymodaq_h5::hdf5::read::File::open(p).unwrap())
            .unwrap()
    };
    let plan = plan_of(&on);
    let g = plan
        .groups
        .iter()
        .find(|g| g.axes.iter().any(|a| a != "."))
        .expect("the spectrum's axis is named");
    assert_eq!(g.axes.len(), 2, "{g:?}");
    // The hints are really in the file (and not in the one written without them).
    let f = pymodaq_h5::hdf5::read::File::open(&on).unwrap();
    let pymodaq_h5::hdf5::read::Node::Group(grp) = f.get(&g.group).unwrap() else {
        panic!("{} is not a group", g.group)
    };
    assert!(grp.object().attribute("NX_class").unwrap().is_some());
    let f2 = pymodaq_h5::hdf5::read::File::open(&off).unwrap();
    let pymodaq_h5::hdf5::read::Node::Group(grp2) = f2.get(&g.group).unwrap() else {
        panic!()
    };
    assert!(grp2.object().attribute("NX_class").unwrap().is_none());
    let Some(py) = common::python() else { return };
    let expected: Vec<J> = plan
        .groups
        .iter()
        .map(|g| json!({"group": g.group, "signal": g.signal, "axes": g.axes}))
        .collect();
    common::run_stdout(
        Command::new(&py)
            .arg(common::root().join("tests/py/nexus_check.py"))
            .arg(&on)
            .arg(serde_json::to_string(&expected).unwrap()),
        "nexus_check.py",
    );
    let docs = pymodaq_load_many(&py, &[on.clone(), off.clone()]);
    let (mut a, mut b) = (docs[0].clone(), docs[1].clone());
    strip_hints(&mut a);
    strip_hints(&mut b);
    let mut d = Vec::new();
    common::diff("", &a, &b, &mut d);
    assert!(d.is_empty(), "{}", d[..d.len().min(8)].join("; "));
}

/// h5py's SWMR layout keeps more than 8 attributes per node in dense storage: annotating it
/// twice (the second run replaces values by equal ones) leaves every attribute of every
/// object readable by h5py with its value, the hints added.
#[test]
fn dense_attribute_files_annotated_twice_keep_every_attribute() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("nexus-dense");
    let orig = fixture("h5py_swmr_stale.h5");
    let ann = dir.join("swmr.h5");
    std::fs::copy(&orig, &ann).unwrap();
    for run in 0..2 {
        let out = bin()
            .arg("annotate-nexus")
            .arg("-q")
            .arg(&ann)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "run {run}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let code = r#"
import sys, h5py
def attrs(fn):
    out = {}
    with h5py.File(fn, "r") as f:
        def visit(name, obj):
            out[name] = {k: repr(obj.attrs[k]) for k in obj.attrs}
        out["/"] = {k: repr(f.attrs[k]) for k in f.attrs}
        f.visititems(visit)
    return out
a, b = attrs(sys.argv[1]), attrs(sys.argv[2])
hints = {"NX_class", "signal", "axes", "auxiliary_signals", "default", "long_name"}
assert a.keys() == b.keys(), (a.keys() ^ b.keys())
for k in a:
    kept = {n: v for n, v in b[k].items() if n not in hints and not n.endswith("_indices")}
    assert kept == a[k], (k, a[k], b[k])
assert any("NX_class" in v for v in b.values())
print(len(a))
"#;
    let out = common::run_py_code(&py, code, [&orig, &ann]);
    let n: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert!(n > 10, "objects compared: {n}");
}

/// Why the hints leave a scan's navigation axes out (spec/cli.md, "Navigation axes"): every
/// placement that would let h5py/h5web resolve them from an NXdata group changes what some
/// PyMoDAQ backend loads. tests/py/nexus_nav_placements.py writes each candidate into copies
/// of two scans (PyTables and h5py written) and compares PyMoDAQ's view (load-json document,
/// `walk_nodes('/')`, `get_children`) with the original's. The expected matrix is the
/// evidence the spec quotes; a PyMoDAQ release that changes it makes this test fail, and the
/// spec (and maybe the hints) are revisited.
#[test]
fn nav_axis_placements_each_change_a_pymodaq_backend() {
    let Some(py) = common::python() else { return };
    let py44 = common::python44();
    let dir = common::temp_dir("nexus-nav");
    let mut cmd = Command::new(&py);
    cmd.arg(common::root().join("tests/py/nexus_nav_placements.py"))
        .arg("matrix")
        .arg(common::root().join("fixtures/pymodaq"))
        .arg(dir.join("variants"))
        .env("QT_QPA_PLATFORM", "offscreen");
    if let Some(p) = &py44 {
        cmd.arg(p);
    }
    let got: J =
        serde_json::from_str(&common::run_stdout(&mut cmd, "nexus_nav_placements.py")).unwrap();
    let no_attrs = "(KeyError: 'you cannot get attributes from this `NoAttrs` instance')";
    let no_write = "(OSError: Unable to synchronously create attribute (no write intent on file))";
    let loads = [
        "get_children",
        "load_json.data_nodes",
        "load_json.load_all",
        "walk_nodes",
    ];
    let tree = ["get_children", "load_json.tree", "walk_nodes"];
    let all = [
        "get_children",
        "load_json.axis_nodes",
        "load_json.data_nodes",
        "load_json.load_all",
        "load_json.tree",
        "walk_nodes",
    ];
    let soft_visible = json!([
        format!("get_children {no_attrs}"),
        "load_json.data_nodes",
        "load_json.load_all",
        "load_json.tree",
        format!("walk_nodes {no_attrs}")
    ]);
    // variant -> (PyTables backend, both 5.x and 4.4; h5py backend)
    let mut expected = json!({
        "soft_visible": {"tables": soft_visible, "h5py": loads},
        "soft_hidden": {"tables": "equal", "h5py": loads},
        "hard_hidden": {"tables": "equal", "h5py": loads},
        "copy_visible": {"tables": tree, "h5py": tree},
        "copy_hidden": {"tables": "equal", "h5py": tree},
        "copy_hidden_noclass": {"tables": "equal", "h5py": [
            format!("get_children {no_write}"),
            "load_json.data_nodes",
            "load_json.load_all",
            "load_json.tree",
            format!("walk_nodes {no_write}")
        ]},
        "root_visible_hard": {"tables": all, "h5py": all},
        "root_hidden_hard": {"tables": "equal", "h5py": all},
        "root_hidden_soft": {"tables": "equal", "h5py": [
            "get_children", "load_json.load_all", "load_json.tree", "walk_nodes"
        ]},
    });
    if py44.is_some() {
        for (_, v) in expected.as_object_mut().unwrap().iter_mut() {
            let t = v["tables"].clone();
            v.as_object_mut().unwrap().insert("4.4 tables".into(), t);
        }
    }
    assert_eq!(
        got,
        expected,
        "PyMoDAQ's view of the placements changed:\n{}",
        serde_json::to_string_pretty(&got).unwrap()
    );
    // The claim the spec rests on: no placement leaves every backend's view unchanged.
    for (v, backends) in got.as_object().unwrap() {
        assert!(
            backends.as_object().unwrap().values().any(|r| r != "equal"),
            "{v} keeps every PyMoDAQ backend's view: it could carry the navigation axes"
        );
    }
}
