//! Attributes and Logger rows of files written by the real PyMoDAQ saver (both backends),
//! decoded by us and compared with what PyMoDAQ itself returns.
//!
//! `tests/py/pyattr_realfile.py` writes the files with `pymodaq_data`'s `H5SaverLowLevel` and
//! extracts every string attribute (raw, as h5py hands it over) and every Logger row. Python is
//! found via `PYMODAQ_H5_PYTHON`, else `.venv/bin/python`. Without Python or without
//! `pymodaq_data` the test prints a notice and passes, unless `CI` is set.

use std::path::PathBuf;
use std::process::Command;

use pymodaq_h5::pymodaq::attrs::{envelope, pickle, pyliteral};
use pymodaq_h5::Limits;
use serde_json::Value;

fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PYMODAQ_H5_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    venv.exists().then_some(venv)
}

fn skip(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("pyattr_real_file: {why} (CI is set)");
    }
    eprintln!("pyattr_real_file: {why}; skipped");
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[test]
fn real_pymodaq_files() {
    let Some(py) = python() else {
        return skip("no Python (PYMODAQ_H5_PYTHON or .venv/bin/python)");
    };
    let dir = std::env::temp_dir().join(format!("pyattr_real_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/py/pyattr_realfile.py");
    // The saver may write its config under HOME; keep it in the scratch directory.
    let out = Command::new(&py)
        .arg(&script)
        .arg(&dir)
        .current_dir(&dir)
        .output()
        .expect("running python");
    if out.status.code() == Some(3) {
        let _ = std::fs::remove_dir_all(&dir);
        return skip("pymodaq_data not importable");
    }
    assert!(
        out.status.success(),
        "python failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{}", String::from_utf8_lossy(&out.stdout).trim());
    let text = std::fs::read_to_string(dir.join("realfile.json")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let data: Value = serde_json::from_str(&text).unwrap();

    let l = Limits::default();
    let mut failures = Vec::new();
    let (mut n_attrs, mut n_logs) = (0, 0);
    for file in data["files"].as_array().unwrap() {
        let backend = file["backend"].as_str().unwrap();
        for a in file["attrs"].as_array().unwrap() {
            n_attrs += 1;
            let decoded = if let Some(s) = a["str"].as_str() {
                envelope::json2object_str(s, &l).unwrap()
            } else {
                envelope::json2object_bytes(&unhex(a["bytes"].as_str().unwrap()), &l).unwrap()
            };
            let ours = pyliteral::repr(&decoded.to_py());
            let theirs = a["j2o"].as_str().unwrap();
            if ours != theirs {
                failures.push(format!(
                    "{backend} {}@{}: ours {ours} / pymodaq {theirs}",
                    a["name"], a["node"]
                ));
            }
        }
        for row in file["logs"].as_array().unwrap() {
            n_logs += 1;
            let bytes = unhex(row["hex"].as_str().unwrap());
            let msg = row["msg"].as_str().unwrap();
            match pickle::loads_str(&bytes, &l) {
                Ok(s) if s == msg => {}
                other => failures.push(format!("{backend} log row {msg:.40?}: {other:?}")),
            }
            // Python 3.8-3.13 writes protocol 4; 3.14+ protocol 5.
            let protocol = match bytes.as_slice() {
                [0x80, p, ..] => *p,
                _ => 1,
            };
            if pickle::dumps_str(msg, protocol).unwrap() != bytes {
                failures.push(format!("{backend} log row {msg:.40?}: encoding differs"));
            }
        }
    }
    println!(
        "pyattr_real_file: {n_attrs} attributes, {n_logs} log rows, {} mismatches",
        failures.len()
    );
    assert!(n_attrs > 50 && n_logs >= 12);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
