//! Our savers against PyMoDAQ's, in both directions of trust:
//! - random saver scripts (`tests/py/pymodaq_script.py gen`: every saver, random shapes,
//!   dtypes, axes, errors, backgrounds, extra attributes, interrupted scans) are replayed by
//!   our `script` and by PyMoDAQ 5.x's real savers; PyMoDAQ 5.x (both backends) must load both
//!   files identically, field by field, and the HDF5 structures (attributes with their
//!   storage, dtypes, shapes, filters, values) must match apart from the documented layout
//!   choices; PyMoDAQ 4.4 must load both identically too; our own `load --json` of our file
//!   must equal PyMoDAQ's;
//! - files from `import` and `record` are loaded by PyMoDAQ 5.x (both backends) and 4.4 and
//!   give back what was written.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value as J};

use common::record;
use common::run_stdout as run;

fn py_script() -> std::path::PathBuf {
    common::root().join("tests/py/pymodaq_script.py")
}

/// PyMoDAQ's documents of `h5`: 5.x through both backends, and 4.4 when its venv is here.
fn every_pymodaq_doc(py: &Path, py44: Option<&Path>, h5: &Path) -> Vec<(&'static str, J)> {
    let mut docs = vec![
        ("5.x tables", common::pymodaq_load(py, h5, Some("tables"))),
        ("5.x h5py", common::pymodaq_load(py, h5, Some("h5py"))),
    ];
    if let Some(py44) = py44 {
        docs.push(("4.4", common::pymodaq_load(py44, h5, None)));
    }
    docs
}

fn ours_load(h5: &Path) -> J {
    let f = pymodaq_h5::hdf5::read::File::open(h5).unwrap();
    let name = h5.file_name().unwrap().to_string_lossy().into_owned();
    pymodaq_h5::pymodaq::load_json::load_json(&f, &name, true)
        .unwrap()
        .0
}

fn seeds() -> Vec<u64> {
    let n: u64 = std::env::var("PYMODAQ_H5_SCRIPT_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    let base: u64 = std::env::var("PYMODAQ_H5_SCRIPT_BASE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    (base..base + n).collect()
}

#[test]
fn saver_scripts_load_in_pymodaq_like_pymodaq_own_files() {
    let Some(py) = common::python() else { return };
    let py44 = common::python44();
    let dir = common::temp_dir("pmd-write");
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut hinted = 0;
    for seed in seeds() {
        for backend in ["tables", "h5py"] {
            let tag = format!("s{seed}_{backend}");
            let script = dir.join(format!("{tag}.json"));
            let ours = dir.join("ours").join(format!("{tag}.h5"));
            let theirs = dir.join("theirs").join(format!("{tag}.h5"));
            std::fs::create_dir_all(ours.parent().unwrap()).unwrap();
            std::fs::create_dir_all(theirs.parent().unwrap()).unwrap();
            run(
                Command::new(&py)
                    .arg(py_script())
                    .args(["gen", &seed.to_string()])
                    .arg(&script)
                    .arg(backend),
                "script generator",
            );
            run(
                Command::new(&py)
                    .arg(py_script())
                    .arg("run")
                    .arg(&script)
                    .arg(&theirs),
                "PyMoDAQ's savers",
            );
            let doc: J = serde_json::from_str(&std::fs::read_to_string(&script).unwrap()).unwrap();
            if let Err(e) = pymodaq_h5::pymodaq::script::run_script(&doc, &ours) {
                failures.push(format!("{tag}: our savers failed: {e}"));
                continue;
            }
            // PyMoDAQ 5.x: same documents and same structure.
            let out = Command::new(&py)
                .arg(py_script())
                .arg("compare")
                .arg(&ours)
                .arg(&theirs)
                .output()
                .unwrap();
            if !out.status.success() {
                failures.push(format!(
                    "{tag} (PyMoDAQ 5.x):\n  {}{}",
                    String::from_utf8_lossy(&out.stdout)
                        .lines()
                        .take(12)
                        .collect::<Vec<_>>()
                        .join("\n  "),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            // NeXus consumers (h5py, nexusformat) find each hinted group's signal and axes.
            if let Some(f) = nexus_check(&py, &ours) {
                failures.push(format!("{tag} (NeXus): {f}"));
            }
            hinted += usize::from(has_hints(&ours));
            // PyMoDAQ 4.4 (PyTables only): same documents.
            if let Some(py44) = &py44 {
                let mut a = common::pymodaq_load(py44, &ours, None);
                strip_nexus_hints(&mut a["tree"]);
                let b = common::pymodaq_load(py44, &theirs, None);
                let mut d = Vec::new();
                common::diff("", &a, &b, &mut d);
                if !d.is_empty() {
                    failures.push(format!(
                        "{tag} (PyMoDAQ 4.4):\n  {}",
                        d[..d.len().min(12)].join("\n  ")
                    ));
                }
            }
            // Our loader on our file agrees with PyMoDAQ's.
            let mut mine = ours_load(&ours);
            let mut real = common::pymodaq_load(&py, &ours, None);
            mine["file"] = J::Null;
            real["file"] = J::Null;
            let mut d = Vec::new();
            common::diff("", &mine, &real, &mut d);
            if !d.is_empty() {
                failures.push(format!(
                    "{tag} (our loader):\n  {}",
                    d[..d.len().min(12)].join("\n  ")
                ));
            }
            checked += 1;
        }
    }
    println!(
        "{checked} random saver scripts: PyMoDAQ 5.x{} loads our files as its own",
        if py44.is_some() { " and 4.4" } else { "" }
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(hinted > 0, "no script wrote NeXus hints");
}

// The NeXus hint attributes our savers add by default (`InitOptions::nexus_hints`) are exactly
// `common::NEXUS_HINTS`, and `AXIS_indices` only for an `AXIS` listed in the object's `axes`.
/// Remove the NeXus hints from every `attrs` map of a load-json `tree`.
fn strip_nexus_hints(v: &mut J) {
    match v {
        J::Object(m) => {
            if let Some(J::Object(a)) = m.get_mut("attrs") {
                let mut axes = Vec::new();
                fn texts(v: &J, out: &mut Vec<String>) {
                    if let Some(b) = v.get("$bytes_b64").and_then(J::as_str) {
                        out.push(b64(b));
                    }
                    match v {
                        J::String(s) => out.push(s.clone()),
                        J::Array(a) => a.iter().for_each(|x| texts(x, out)),
                        J::Object(o) => o.values().for_each(|x| texts(x, out)),
                        _ => {}
                    }
                }
                if let Some(x) = a.get("axes") {
                    texts(x, &mut axes);
                }
                a.retain(|k, _| {
                    !common::NEXUS_HINTS.contains(&k.as_str())
                        && !k
                            .strip_suffix("_indices")
                            .is_some_and(|n| axes.iter().any(|a| a == n))
                });
            }
            m.values_mut().for_each(strip_nexus_hints);
        }
        J::Array(a) => a.iter_mut().for_each(strip_nexus_hints),
        _ => {}
    }
}

/// Standard base64 to text (the load-json `$bytes_b64` of an axis name).
fn b64(s: &str) -> String {
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let (mut bits, mut n, mut out) = (0u32, 0, Vec::new());
    for v in s.bytes().filter_map(val) {
        bits = ((bits << 6) | u32::from(v)) & 0xff_ffff;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether any object of `h5` carries `NX_class`.
fn has_hints(h5: &Path) -> bool {
    let f = pymodaq_h5::hdf5::read::File::open(h5).unwrap();
    !pymodaq_h5::pymodaq::nexus_annotate::plan(&f)
        .unwrap()
        .groups
        .is_empty()
        && matches!(
            f.root().unwrap().object().attribute("NX_class"),
            Ok(Some(_))
        )
}

/// `tests/py/nexus_check.py` on `h5` with the groups our annotator plans for it: `None` when
/// h5py and nexusformat see every one as NXdata with its signal and axes.
fn nexus_check(py: &Path, h5: &Path) -> Option<String> {
    let f = pymodaq_h5::hdf5::read::File::open(h5).unwrap();
    let plan = pymodaq_h5::pymodaq::nexus_annotate::plan(&f).unwrap();
    let expected: Vec<J> = plan
        .groups
        .iter()
        .map(|g| json!({"group": g.group, "signal": g.signal, "axes": g.axes}))
        .collect();
    let out = Command::new(py)
        .arg(common::root().join("tests/py/nexus_check.py"))
        .arg(h5)
        .arg(serde_json::to_string(&expected).unwrap())
        .output()
        .unwrap();
    (!out.status.success()).then(|| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pymodaq-h5")
}

fn import_doc(flavour: &str) -> J {
    json!({
        "format": "pymodaq-h5-import/1",
        "backend_flavour": flavour,
        "metadata": {"author": "Zoé", "run": 7, "flags": {"$tuple": [1, 2]}},
        "module": {"type": "detector", "title": "LabVIEW spectrometer"},
        "data": [
            {"name": "temperature", "units": "K", "origin": "tc",
             "data": [{"shape": [1], "dtype": "float64", "values": [293.15]}]},
            {"name": "spectrum", "units": "V", "labels": ["ref", "sig"],
             "data": [{"shape": [4], "dtype": "float64", "values": [1.0, 2.0, "nan", 4.0]},
                      {"shape": [4], "dtype": "float64", "values": [5.0, 6.0, 7.0, 8.0]}],
             "errors": [{"shape": [4], "dtype": "float64", "values": [0.1, 0.1, 0.1, 0.1]},
                        {"shape": [4], "dtype": "float64", "values": [0.2, 0.2, 0.2, 0.2]}],
             "axes": [{"label": "wavelength", "units": "nm", "index": 0,
                       "data": {"values": [400.0, 410.0, 425.0, 450.0]}}],
             "extra_attributes": {"comment": "tuned", "gain": 2.5, "path": "/ignored"}},
            {"name": "image", "data": [{"shape": [2, 3], "dtype": "uint16",
                                         "values": [1, 2, 3, 4, 5, 65535]}]},
            {"name": "mask", "data": [{"shape": [3], "dtype": "bool", "values": [true, false, true]}]}
        ]
    })
}

fn by_name<'a>(docs: &'a J, name: &str) -> &'a J {
    docs["load_all"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in load_all: {}", docs["load_all"]))
}

#[test]
fn imported_files_load_in_pymodaq_as_described() {
    let Some(py) = common::python() else { return };
    let py44 = common::python44();
    let dir = common::temp_dir("pmd-import");
    for flavour in ["tables", "h5py"] {
        let desc = dir.join(format!("{flavour}.json"));
        let out = dir.join(format!("{flavour}.h5"));
        std::fs::write(&desc, import_doc(flavour).to_string()).unwrap();
        run(
            Command::new(bin()).arg("import").arg(&desc).arg(&out),
            "import",
        );
        let loaders = every_pymodaq_doc(&py, py44.as_deref(), &out);
        for (who, doc) in &loaders {
            assert!(
                doc["load_all"].is_array(),
                "{flavour} {who}: {}",
                doc["load_all"]
            );
            let t = by_name(doc, "temperature");
            assert_eq!(t["data"][0]["values"], json!([293.15]), "{who}");
            assert_eq!(t["units"], "K");
            assert_eq!(t["origin"], "tc");
            let s = by_name(doc, "spectrum");
            assert_eq!(s["labels"], json!(["ref", "sig"]), "{who}");
            assert_eq!(
                s["data"][0]["values"],
                json!([1.0, 2.0, "nan", 4.0]),
                "{who}"
            );
            assert_eq!(s["data"][1]["values"], json!([5.0, 6.0, 7.0, 8.0]));
            assert_eq!(
                s["errors"][1]["values"],
                json!([0.2, 0.2, 0.2, 0.2]),
                "{who}"
            );
            assert_eq!(s["axes"][0]["label"], "wavelength");
            assert_eq!(
                s["axes"][0]["data"]["values"],
                json!([400.0, 410.0, 425.0, 450.0])
            );
            assert_eq!(s["extra_attributes"]["comment"], "tuned", "{who}");
            assert_eq!(s["extra_attributes"]["gain"], 2.5);
            let i = by_name(doc, "image");
            assert_eq!(i["data"][0]["dtype"], "uint16");
            assert_eq!(i["data"][0]["shape"], json!([2, 3]));
            assert_eq!(i["data"][0]["values"], json!([1, 2, 3, 4, 5, 65535]));
            let m = by_name(doc, "mask");
            // Each library reads the other's bools as integers (PyTables' bitfield as uint8
            // with h5py, h5py's enum as int8 with PyTables), as with PyMoDAQ's own files.
            let native = (flavour == "tables") == (*who != "5.x h5py");
            let want = if native {
                json!([true, false, true])
            } else {
                json!([1, 0, 1])
            };
            assert_eq!(m["data"][0]["values"], want, "{flavour} {who}");
            let raw = doc["tree"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["path"] == "/RawData")
                .unwrap();
            assert_eq!(raw["attrs"]["author"], "Zoé");
            assert_eq!(raw["attrs"]["flags"], json!({"$tuple": [1, 2]}));
            assert_eq!(raw["attrs"]["type"], "detector");
        }
        assert!(has_hints(&out), "{flavour}: import wrote no NeXus hints");
        assert_eq!(nexus_check(&py, &out), None, "{flavour}");
        // And our loader gives what PyMoDAQ gives.
        let mut mine = ours_load(&out);
        let mut real = common::pymodaq_load(&py, &out, None);
        mine["file"] = J::Null;
        real["file"] = J::Null;
        let mut d = Vec::new();
        common::diff("", &mine, &real, &mut d);
        assert!(d.is_empty(), "{flavour}: {}", d.join("\n"));
    }
}

#[test]
fn import_refuses_bad_descriptions_without_leaving_a_file() {
    let dir = common::temp_dir("pmd-import-bad");
    let desc = dir.join("bad.json");
    let out = dir.join("bad.h5");
    let mut doc = import_doc("tables");
    doc["data"][1]["axes"][0]["index"] = json!(3);
    std::fs::write(&desc, doc.to_string()).unwrap();
    let o = Command::new(bin())
        .arg("import")
        .arg(&desc)
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("data[1].axes[0].index: 3 is beyond the data's 1 dimensions"),
        "{err}"
    );
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(&*dir).unwrap().count(),
        1,
        "no partial file left"
    );
    // An existing file is not replaced without --force.
    std::fs::write(&desc, import_doc("tables").to_string()).unwrap();
    std::fs::write(&out, b"keep").unwrap();
    let o = Command::new(bin())
        .arg("import")
        .arg(&desc)
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read(&out).unwrap(), b"keep");
    let o = Command::new(bin())
        .args(["import", "--force"])
        .arg(&desc)
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success());
}

#[test]
fn recorded_files_load_in_pymodaq_with_their_time_axis() {
    let Some(py) = common::python() else { return };
    let py44 = common::python44();
    let dir = common::temp_dir("pmd-record");
    let out = dir.join("log.h5");
    let mut input = String::from("# temperature, pressure\n\n");
    for i in 0..50 {
        input.push_str(&format!(
            "{}, {}\n",
            290.0 + i as f64 * 0.5,
            1000.0 - i as f64
        ));
        if i == 20 {
            input.push_str("1, 2, 3\nabc, 4\n");
        }
    }
    let o = record(
        &out,
        &[
            "--names",
            "temperature,pressure",
            "--units",
            "K,mbar",
            "--flush-every",
            "7",
        ],
        &input,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 24: 3 values for 2 channels; skipped"),
        "{err}"
    );
    assert!(
        err.contains("line 25: \"abc\" is not a number; skipped"),
        "{err}"
    );
    let docs = every_pymodaq_doc(&py, py44.as_deref(), &out);
    for (who, doc) in &docs {
        let all = doc["load_all"]
            .as_array()
            .unwrap_or_else(|| panic!("{who}: {}", doc["load_all"]));
        assert_eq!(all.len(), 2, "{who}");
        for (i, (name, units)) in [("temperature", "K"), ("pressure", "mbar")]
            .iter()
            .enumerate()
        {
            let d = by_name(doc, name);
            assert_eq!(d["units"], *units, "{who}: units kept");
            assert_eq!(d["shape"], json!([50]), "{who}");
            let vals = d["data"][0]["values"].as_array().unwrap();
            assert_eq!(vals[0], json!(if i == 0 { 290.0 } else { 1000.0 }));
            assert_eq!(vals[49], json!(if i == 0 { 314.5 } else { 951.0 }));
            let t = &d["axes"][0];
            assert_eq!(t["label"], "time", "{who}");
            assert_eq!(t["units"], "s");
            assert_eq!(t["size"], 50);
        }
        let logger = doc["tree"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == "/RawData/Datalogger000")
            .unwrap();
        assert_eq!(logger["attrs"]["type"], "datalogger");
    }
    assert!(has_hints(&out), "record wrote no NeXus hints");
    assert_eq!(nexus_check(&py, &out), None);
    // Refused when it exists; --append continues after the last row.
    let o = record(&out, &["--names", "temperature,pressure"], "1,2\n");
    assert_eq!(o.status.code(), Some(1));
    let o = record(&out, &["--append"], "500, 1\n501, 2\n");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc = common::pymodaq_load(&py, &out, None);
    let d = by_name(&doc, "temperature");
    assert_eq!(d["shape"], json!([52]));
    assert_eq!(d["data"][0]["values"][51], json!(501.0));
    assert_eq!(d["axes"][0]["size"], 52);
    let mut mine = ours_load(&out);
    let mut real = doc.clone();
    mine["file"] = J::Null;
    real["file"] = J::Null;
    let mut diffs = Vec::new();
    common::diff("", &mine, &real, &mut diffs);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn swmr_files_load_like_the_default_ones() {
    // `init_file(swmr_mode=True)`: the HDF5 1.10 layout (superblock v3, v2 headers, array
    // chunk indexes) h5py SWMR readers need. PyMoDAQ must load the same data from it as from
    // the default layout, and h5py must open it in SWMR-read mode.
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("pmd-swmr");
    for seed in [3u64, 11] {
        let script = dir.join(format!("s{seed}.json"));
        run(
            Command::new(&py)
                .arg(py_script())
                .args(["gen", &seed.to_string()])
                .arg(&script)
                .arg("h5py"),
            "script generator",
        );
        let mut doc: J = serde_json::from_str(&std::fs::read_to_string(&script).unwrap()).unwrap();
        let plain = dir.join(format!("plain{seed}.h5"));
        let swmr = dir.join(format!("swmr{seed}.h5"));
        pymodaq_h5::pymodaq::script::run_script(&doc, &plain).unwrap();
        doc["swmr"] = J::Bool(true);
        pymodaq_h5::pymodaq::script::run_script(&doc, &swmr).unwrap();
        let a = common::pymodaq_load(&py, &plain, Some("h5py"));
        let b = common::pymodaq_load(&py, &swmr, Some("h5py"));
        for key in ["data_nodes", "axis_nodes", "load_all", "logs"] {
            let mut d = Vec::new();
            common::diff(key, &b[key], &a[key], &mut d);
            assert!(d.is_empty(), "seed {seed}: {}", d.join("\n"));
        }
        let code = "import h5py, sys\nf = h5py.File(sys.argv[1], 'r', libver='latest', swmr=True)\n\
                    assert f.attrs['swmr_compatible'] is not None\nn = []\nf.visititems(lambda k, v: n.append(k))\nprint(len(n))\n";
        let out = run(
            Command::new(&py).args(["-c", code]).arg(&swmr),
            "h5py SWMR read",
        );
        assert!(out.trim().parse::<u32>().unwrap() > 3, "{out}");
        // Our own reader, and the superblock version.
        let f = pymodaq_h5::hdf5::read::File::open(&swmr).unwrap();
        assert_eq!(f.superblock().version, 3);
    }
}
