//! Helpers for the `load --json` tests: fixture discovery and a numeric-aware JSON diff.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value as J;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `fixtures/pymodaq/*.h5` that have a golden `*.json` next to them, sorted.
pub fn pymodaq_fixtures() -> Vec<(PathBuf, PathBuf)> {
    let dir = std::env::var_os("PYMODAQ_LOAD_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("fixtures/pymodaq"));
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "h5") {
            let g = p.with_extension("json");
            if g.exists() {
                out.push((p, g));
            }
        }
    }
    out.sort();
    out
}

/// Whether two JSON numbers are equal (ints exactly, floats as f64 within 1e-12 relative:
/// PyMoDAQ's float sums may differ from ours in the last bit).
fn num_eq(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
        (Some(x), Some(y), _, _) => x == y,
        (_, _, Some(x), Some(y)) => x == y,
        _ => {
            let (x, y) = (
                a.as_f64().unwrap_or(f64::NAN),
                b.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
        }
    }
}

/// Compares `ours` with `theirs`, one line per difference. Error strings are compared on their
/// exception type only (the contract lets the message differ).
pub fn diff(path: &str, ours: &J, theirs: &J, out: &mut Vec<String>) {
    match (ours, theirs) {
        (J::Number(a), J::Number(b)) => {
            if !num_eq(a, b) {
                out.push(format!("{path}: ours {a} != ref {b}"));
            }
        }
        (J::Object(a), J::Object(b)) => {
            for (k, bv) in b {
                match a.get(k) {
                    Some(av) if k == "error" || k.ends_with("_error") => {
                        let t = |v: &J| {
                            v.as_str()
                                .and_then(|s| s.split(':').next())
                                .map(str::to_string)
                        };
                        if t(av) != t(bv) {
                            out.push(format!("{path}/{k}: ours {av} != ref {bv}"));
                        }
                    }
                    Some(av) => diff(&format!("{path}/{k}"), av, bv, out),
                    None => out.push(format!("{path}: missing key {k:?}")),
                }
            }
            for k in a.keys() {
                if !b.contains_key(k) {
                    out.push(format!("{path}: extra key {k:?}"));
                }
            }
        }
        (J::Array(a), J::Array(b)) => {
            if a.len() != b.len() {
                out.push(format!(
                    "{path}: length ours {} != ref {}",
                    a.len(),
                    b.len()
                ));
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff(&format!("{path}[{i}]"), x, y, out);
            }
        }
        _ => {
            if ours != theirs {
                let s = |v: &J| v.to_string().chars().take(200).collect::<String>();
                out.push(format!("{path}: ours {} != ref {}", s(ours), s(theirs)));
            }
        }
    }
}

/// A Python with pymodaq_data: `$PYMODAQ_H5_PYTHON`, else `.venv/bin/python`.
pub fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PYMODAQ_H5_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let venv = root().join(".venv/bin/python");
    venv.exists().then_some(venv)
}

/// Skips (prints why) unless `CI` is set, then fails.
pub fn skip(test: &str, why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {why} (CI is set)");
    }
    eprintln!("{test}: {why}; skipped");
}

/// Reads a JSON file.
pub fn read_json(p: &Path) -> J {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}
