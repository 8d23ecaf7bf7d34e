//! Every committed fixture dumps exactly as h5py reads it (the golden `X.json` next to
//! each `X.h5`, written by `fixtures/gen/h5py_dump.py`).
//!
//! Where h5py itself cannot read a dataset (a filter plugin it lacks), the golden carries an
//! `"error"` and so must we (messages differ). Datasets using a filter outside our subset
//! (deflate, shuffle, fletcher32) must carry our `unsupported filter` error even where h5py
//! has a built-in decoder (lzf).

mod common;

use serde_json::Value as J;

/// Replace error messages by a marker and apply the unsupported-filter rule to `golden`.
fn normalise(ours: &mut J, golden: &mut J) {
    if let (J::Object(a), J::Object(b)) = (&mut *ours, &mut *golden) {
        let unsupported_filter = b
            .get("filters")
            .and_then(|f| f.as_array())
            .is_some_and(|fs| {
                fs.iter()
                    .any(|f| !matches!(f.get("id").and_then(|i| i.as_u64()), Some(1..=3)))
            });
        if unsupported_filter && b.get("kind").and_then(|k| k.as_str()) == Some("dataset") {
            let msg = a
                .get("error")
                .and_then(|e| e.as_str())
                .unwrap_or("")
                .to_string();
            assert!(
                msg.contains("unsupported filter"),
                "expected an unsupported-filter error, got {msg:?}"
            );
            for k in [
                "value",
                "sha256_le",
                "nbytes",
                "first",
                "sum",
                "len",
                "error",
            ] {
                a.remove(k);
                b.remove(k);
            }
        }
        if b.contains_key("error") && a.contains_key("error") {
            a.insert("error".into(), J::String("<error>".into()));
            b.insert("error".into(), J::String("<error>".into()));
        }
        for (k, bv) in b.iter_mut() {
            if let Some(av) = a.get_mut(k) {
                normalise(av, bv);
            }
        }
    } else if let (J::Array(a), J::Array(b)) = (ours, golden) {
        for (x, y) in a.iter_mut().zip(b.iter_mut()) {
            normalise(x, y);
        }
    }
}

#[test]
fn every_fixture_dumps_as_h5py_reads_it() {
    let files = common::fixture_files();
    assert!(!files.is_empty(), "no fixtures found under fixtures/");
    let mut failures = Vec::new();
    let mut compared = 0;
    for h5 in &files {
        let golden_path = h5.with_extension("json");
        let Ok(text) = std::fs::read_to_string(&golden_path) else {
            continue; // not a dump fixture (e.g. a hostile file)
        };
        let mut golden: J = serde_json::from_str(&text).expect("golden JSON parses");
        let name = h5.file_name().unwrap().to_string_lossy().into_owned();
        let file = match pymodaq_h5::hdf5::read::File::open(h5) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{name}: open failed: {e}"));
                continue;
            }
        };
        let mut ours = match pymodaq_h5::dump::dump_file(&file, &name) {
            Ok(d) => d.json,
            Err(e) => {
                failures.push(format!("{name}: dump failed: {e}"));
                continue;
            }
        };
        normalise(&mut ours, &mut golden);
        let mut diffs = Vec::new();
        common::diff("", &ours, &golden, &mut diffs);
        compared += 1;
        if !diffs.is_empty() {
            let n = diffs.len();
            diffs.truncate(15);
            failures.push(format!(
                "{name}: {n} differences:\n    {}",
                diffs.join("\n    ")
            ));
        }
    }
    assert!(compared > 0, "no fixture had a golden JSON");
    assert!(
        failures.is_empty(),
        "{} of {compared} fixtures differ from h5py:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{compared} fixtures dump exactly as h5py reads them");
}
