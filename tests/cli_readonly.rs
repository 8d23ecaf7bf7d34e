//! Read-only, always: every reading command leaves every PyMoDAQ fixture (all generations,
//! files missing `CLASS`) byte-identical; files PyMoDAQ 5.3 loads only once it may write to
//! them load read-only here with the same data (live comparison with
//! `fixtures/gen/pymodaq_load.py --writable`, which loads a writable copy); 1.x-3.x files work
//! through `load`, `tree`, `show`, `export` and `plot`; other HDF5 files get a clear error.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value as J;
use sha2::Digest;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pymodaq-h5"))
        .args(args)
        .output()
        .unwrap()
}

fn h5_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(common::root().join(dir))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "h5"))
        .collect();
    v.sort();
    v
}

fn sha(p: &Path) -> Vec<u8> {
    sha2::Sha256::digest(std::fs::read(p).unwrap()).to_vec()
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// The first data node `load --json` lists.
fn first_data_node(doc: &J) -> Option<String> {
    doc["data_nodes"]
        .as_array()?
        .iter()
        .find(|n| n.get("dwa").is_some())
        .and_then(|n| n["path"].as_str().map(str::to_string))
}

#[test]
fn reading_commands_leave_every_fixture_byte_identical() {
    let tmp = common::temp_dir("cli_readonly");
    let mut files = h5_files("fixtures/legacy");
    files.extend(h5_files("fixtures/pymodaq"));
    assert!(files.len() >= 38);
    let mut runs = 0;
    for f in &files {
        let before = sha(f);
        let mtime = std::fs::metadata(f).unwrap().modified().unwrap();
        let fs = s(f);
        let load_out = tmp.join("load.json");
        let o = run(&["load", "--json", "--out", &s(&load_out), &fs]);
        assert!(
            matches!(o.status.code(), Some(0 | 3)),
            "{fs}: load {:?}",
            String::from_utf8_lossy(&o.stderr)
        );
        let doc: J = serde_json::from_str(&std::fs::read_to_string(&load_out).unwrap()).unwrap();
        let mut cmds: Vec<Vec<String>> = vec![
            vec!["tree".into(), fs.clone()],
            vec!["attrs".into(), fs.clone(), "/".into()],
            vec!["check".into(), fs.clone()],
            vec![
                "dump".into(),
                "--json".into(),
                "--out".into(),
                s(&tmp.join("d.json")),
                fs.clone(),
            ],
            vec![
                "load".into(),
                "--json".into(),
                "--strict".into(),
                fs.clone(),
            ],
        ];
        if let Some(node) = first_data_node(&doc) {
            cmds.push(vec!["show".into(), fs.clone(), node.clone()]);
            cmds.push(vec![
                "export".into(),
                fs.clone(),
                node,
                "-o".into(),
                s(&tmp.join(format!("{runs}.npy"))),
            ]);
        }
        for c in &cmds {
            let args: Vec<&str> = c.iter().map(String::as_str).collect();
            let o = run(&args);
            // reading commands may report problems (exit 3), never crash
            assert!(
                matches!(o.status.code(), Some(0 | 1 | 3)),
                "{c:?}: {:?}",
                o.status
            );
            runs += 1;
        }
        assert_eq!(sha(f), before, "{fs} changed");
        assert_eq!(
            std::fs::metadata(f).unwrap().modified().unwrap(),
            mtime,
            "{fs} touched"
        );
    }
    println!(
        "cli_readonly: {} files, {runs} reading commands, all byte-identical",
        files.len()
    );
}

#[test]
fn legacy_files_load_show_export_and_plot() {
    let tmp = common::temp_dir("cli_legacy");
    let files = h5_files("fixtures/legacy");
    assert!(files.len() >= 16);
    for f in &files {
        let fs = s(f);
        let o = run(&["load", "--json", &fs]);
        assert_eq!(o.status.code(), Some(0), "{fs}");
        let doc: J = serde_json::from_slice(&o.stdout).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let want = format!("{}.x", name.get(3..4).unwrap());
        assert_eq!(doc["generation"], J::from(want.clone()), "{fs}");
        let o = run(&["tree", &fs]);
        assert_eq!(o.status.code(), Some(0), "{fs}");
        let first = String::from_utf8_lossy(&o.stdout)
            .lines()
            .next()
            .unwrap()
            .to_string();
        assert!(
            first.ends_with(&format!("[PyMoDAQ {want} file]")),
            "{first}"
        );
        let node = first_data_node(&doc).unwrap();
        let o = run(&["show", &fs, &node]);
        assert_eq!(o.status.code(), Some(0), "{fs} {node}");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains(&format!("written by PyMoDAQ {want}")),
            "{text}"
        );
        // export: the npy holds the node's values
        let npy = tmp.join(format!("{name}.npy"));
        let o = run(&["export", &fs, &node, "-o", &s(&npy)]);
        assert_eq!(o.status.code(), Some(0), "{fs} {node}");
        assert!(std::fs::read(&npy).unwrap().starts_with(b"\x93NUMPY"));
        // plot: an image of the node with its axes
        let png = tmp.join(format!("{name}.png"));
        let o = run(&["plot", &fs, &node, "-o", &s(&png)]);
        assert_eq!(o.status.code(), Some(0), "{fs} {node}");
        assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    }
    // the 2-D scan's spectrum channel with its three axes, from `show`
    let o = run(&[
        "show",
        &s(&common::root().join("fixtures/legacy/pmd2_scan2d.h5")),
        "/Raw_datas/Scan000/Detector000/Data1D/Ch000/Data",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("shape (4, 3, 21)"), "{text}");
    assert!(text.contains("[0] Stage X (mm): 4 values"), "{text}");
    assert!(text.contains("[1] Stage Y (um): 3 values"), "{text}");
    assert!(text.contains("[2] Wavelength (nm): 21 values"), "{text}");
}

#[test]
fn other_hdf5_files_get_a_clear_error() {
    let f = s(&common::root().join("fixtures/hdf5/h5py_default_types.h5"));
    for args in [
        vec!["load", "--json", f.as_str()],
        vec!["show", f.as_str(), "/x"],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("not a PyMoDAQ file"), "{err}");
    }
}

/// What PyMoDAQ 5.3 loads from a writable copy (after storing the classes it infers), our
/// `load --json` loads from the read-only original: same data nodes, axes and `load_all`.
/// Where PyMoDAQ fails even then (its PyTables backend on a data node without CLASS), ours
/// still loads.
#[test]
fn missing_class_files_load_as_pymodaq_does_when_it_may_write() {
    let Some(py) = common::python() else {
        eprintln!("SKIP: no Python venv (PYMODAQ_H5_PYTHON)");
        return;
    };
    for name in ["h5py_missing_class.h5", "pt_missing_class.h5"] {
        let f = common::root().join("fixtures/pymodaq").join(name);
        let o = Command::new(&py)
            .arg(common::root().join("fixtures/gen/pymodaq_load.py"))
            .arg("--writable")
            .arg(&f)
            .output()
            .unwrap();
        assert!(matches!(o.status.code(), Some(0 | 3)), "{name}: {o:?}");
        let theirs: J = serde_json::from_slice(&o.stdout).unwrap();
        let o = run(&["load", "--json", &s(&f)]);
        assert_eq!(o.status.code(), Some(0), "{name}: ours had errors");
        let ours: J = serde_json::from_slice(&o.stdout).unwrap();
        let t = theirs["data_nodes"].as_array().unwrap();
        let u = ours["data_nodes"].as_array().unwrap();
        assert_eq!(t.len(), u.len(), "{name}");
        let mut compared = 0;
        for (a, b) in t.iter().zip(u) {
            assert_eq!(a["path"], b["path"]);
            assert!(b.get("dwa").is_some(), "{name} {}", b["path"]);
            if a.get("error").is_none() {
                let mut out = Vec::new();
                common::diff("", b, a, &mut out);
                assert!(out.is_empty(), "{name}: {out:?}");
                compared += 1;
            }
        }
        assert!(compared >= 2, "{name}");
        assert_eq!(ours["axis_nodes"], theirs["axis_nodes"], "{name}");
        if theirs["load_all"].is_array() {
            let mut out = Vec::new();
            common::diff("", &ours["load_all"], &theirs["load_all"], &mut out);
            assert!(out.is_empty(), "{name}: {out:?}");
        }
    }
}
