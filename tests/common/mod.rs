//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value as J;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every committed HDF5 fixture (`fixtures/**.h5`), sorted.
pub fn fixture_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(&root().join("fixtures"), &mut out);
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "h5") {
            out.push(p);
        }
    }
}

/// Compare two JSON documents; numbers by value (ints exactly, floats as f64), object key
/// order checked where `ordered` says so. Pushes one line per difference.
pub fn diff(path: &str, ours: &J, theirs: &J, out: &mut Vec<String>) {
    match (ours, theirs) {
        (J::Number(a), J::Number(b)) => {
            let same = match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => a.as_f64() == b.as_f64(),
            };
            if !same {
                out.push(format!("{path}: ours {a} != h5py {b}"));
            }
        }
        (J::Object(a), J::Object(b)) => {
            for (k, bv) in b {
                match a.get(k) {
                    Some(av) => diff(&format!("{path}/{k}"), av, bv, out),
                    None => out.push(format!("{path}: missing key {k:?}")),
                }
            }
            for k in a.keys() {
                if !b.contains_key(k) {
                    out.push(format!("{path}: extra key {k:?}"));
                }
            }
            if path.ends_with("/children") || path.ends_with("/attrs") {
                let ka: Vec<&String> = a.keys().collect();
                let kb: Vec<&String> = b.keys().collect();
                if ka != kb && ka.len() == kb.len() {
                    out.push(format!("{path}: order differs: ours {ka:?} h5py {kb:?}"));
                }
            }
        }
        (J::Array(a), J::Array(b)) => {
            if a.len() != b.len() {
                out.push(format!(
                    "{path}: length ours {} != h5py {}",
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
                let s = |v: &J| {
                    let t = v.to_string();
                    if t.len() > 200 {
                        format!("{}…", &t[..200])
                    } else {
                        t
                    }
                };
                out.push(format!("{path}: ours {} != h5py {}", s(ours), s(theirs)));
            }
        }
    }
}
