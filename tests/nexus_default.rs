//! NeXus hints are written by default by `import`, `script` and `record` (the same hints
//! `annotate-nexus` writes), `--no-nexus` writes none of them, and a user's own attribute that
//! happens to carry a hint's name is never overwritten.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::json;

/// Every `(object path, attribute name)` of `h5` that is a NeXus hint.
fn hint_attrs(h5: &Path) -> Vec<(String, String)> {
    let f = pymodaq_h5::hdf5::read::File::open(h5).unwrap();
    let mut out = Vec::new();
    let mut visit = |path: &str, obj: &pymodaq_h5::hdf5::read::Object| {
        for a in obj.attributes().unwrap() {
            if common::NEXUS_HINTS.contains(&a.name.as_str()) || a.name.ends_with("_indices") {
                out.push((path.to_string(), a.name.clone()));
            }
        }
    };
    visit("/", f.root().unwrap().object());
    f.walk(|p, n| {
        visit(p, n.unwrap().object());
        Ok(())
    })
    .unwrap();
    out
}

fn import_doc(metadata: serde_json::Value) -> serde_json::Value {
    json!({
        "format": "pymodaq-h5-import/1",
        "metadata": metadata,
        "data": [
            {"name": "spectrum", "units": "V",
             "data": [{"shape": [4], "dtype": "float64", "values": [1.0, 2.0, 3.0, 4.0]}],
             "axes": [{"label": "wavelength", "units": "nm", "index": 0,
                       "data": {"values": [400.0, 410.0, 425.0, 450.0]}}]},
            {"name": "image", "data": [{"shape": [2, 3], "dtype": "uint16",
                                         "values": [1, 2, 3, 4, 5, 6]}]}
        ]
    })
}

fn run_ok(c: &mut Command) {
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The hints in a file equal what `annotate-nexus` plans for it (nothing left to add), and
/// name the spectrum's axis with its long name.
fn assert_annotated(h5: &Path) {
    let f = pymodaq_h5::hdf5::read::File::open(h5).unwrap();
    let plan = pymodaq_h5::pymodaq::nexus_annotate::plan(&f).unwrap();
    let attrs = hint_attrs(h5);
    assert!(!plan.groups.is_empty(), "{}: no NXdata", h5.display());
    for g in &plan.groups {
        for name in ["NX_class", "signal", "axes"] {
            assert!(
                attrs.contains(&(g.group.clone(), name.to_string())),
                "{}: {} has no {name}: {attrs:?}",
                h5.display(),
                g.group
            );
        }
        for (a, _) in &g.indices {
            assert!(attrs.contains(&(g.group.clone(), format!("{a}_indices"))));
        }
        for (p, _) in &g.long_names {
            assert!(attrs.contains(&(p.clone(), "long_name".into())));
        }
    }
    assert!(attrs.contains(&("/".into(), "default".into())));
}

#[test]
fn import_script_and_record_write_hints_unless_told_not_to() {
    let dir = common::temp_dir("nexus-default");
    let desc = dir.join("d.json");
    std::fs::write(&desc, import_doc(json!({})).to_string()).unwrap();
    let (on, off) = (dir.join("on.h5"), dir.join("off.h5"));
    run_ok(common::bin().arg("import").arg(&desc).arg(&on));
    run_ok(
        common::bin()
            .args(["import", "--no-nexus"])
            .arg(&desc)
            .arg(&off),
    );
    assert_annotated(&on);
    let f = pymodaq_h5::hdf5::read::File::open(&on).unwrap();
    let plan = pymodaq_h5::pymodaq::nexus_annotate::plan(&f).unwrap();
    assert!(
        plan.groups
            .iter()
            .any(|g| g.axes == ["Axis00"] && g.long_names[0].1 == "wavelength (nm)"),
        "{plan:?}"
    );
    assert_eq!(hint_attrs(&off), Vec::<(String, String)>::new());

    // script: the same rule, `"nexus_hints": false` or --no-nexus to turn it off.
    let script = json!({
        "format": "pymodaq-h5-script/1", "save_type": "detector",
        "ops": [
            {"op": "add_det_group", "where": "/RawData", "title": "det"},
            {"op": "add_data", "where": "/RawData/Detector000", "dwa": {
                "name": "s", "data": [{"shape": [3], "dtype": "float64", "values": [1, 2, 3]}],
                "axes": [{"label": "x", "units": "mm", "index": 0,
                          "data": {"values": [0.0, 1.0, 2.0]}}]}}
        ]
    });
    let sfile = dir.join("s.json");
    std::fs::write(&sfile, script.to_string()).unwrap();
    let (son, soff) = (dir.join("son.h5"), dir.join("soff.h5"));
    run_ok(common::bin().arg("script").arg(&sfile).arg(&son));
    run_ok(
        common::bin()
            .args(["script", "--no-nexus"])
            .arg(&sfile)
            .arg(&soff),
    );
    assert_annotated(&son);
    assert_eq!(hint_attrs(&soff), Vec::<(String, String)>::new());

    // record: hints added when the recording ends.
    for (name, args) in [("ron.h5", vec![]), ("roff.h5", vec!["--no-nexus"])] {
        let out = dir.join(name);
        let mut c = common::bin()
            .arg("record")
            .arg(&out)
            .args(["--names", "T,P", "--units", "K,mbar"])
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin
            .take()
            .unwrap()
            .write_all(b"1,2\n3,4\n5,6\n")
            .unwrap();
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        if args.is_empty() {
            assert_annotated(&out);
        } else {
            assert_eq!(hint_attrs(&out), Vec::<(String, String)>::new());
        }
    }
}

/// A `default` (or `signal`) in the user's own metadata is PyMoDAQ data: it keeps its value
/// and the hint that would replace it is left out (the whole `default` chain then).
#[test]
fn user_attributes_named_like_hints_are_kept() {
    let dir = common::temp_dir("nexus-foreign");
    let desc = dir.join("d.json");
    std::fs::write(
        &desc,
        import_doc(json!({"default": "my default", "signal": 3})).to_string(),
    )
    .unwrap();
    let out = dir.join("f.h5");
    run_ok(common::bin().arg("import").arg(&desc).arg(&out));
    let f = pymodaq_h5::hdf5::read::File::open(&out).unwrap();
    let util = pymodaq_h5::pymodaq::browsing::H5BrowserUtil::new(&f);
    let attrs = util.get_h5_attributes("/RawData").unwrap().attrs;
    let get = |n: &str| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    use pymodaq_h5::pymodaq::attrs::PyValue;
    assert_eq!(get("default"), Some(PyValue::Str("my default".into())));
    assert_eq!(get("signal"), Some(PyValue::Int(3)));
    let hints = hint_attrs(&out);
    assert!(
        !hints.iter().any(|(p, n)| n == "default" && p != "/RawData"),
        "a broken default chain was written: {hints:?}"
    );
    // The NXdata groups themselves are still annotated.
    assert!(hints.iter().any(|(_, n)| n == "NX_class"));
}
