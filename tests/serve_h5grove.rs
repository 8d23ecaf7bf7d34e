//! `serve` answers as the real h5grove 4.x does: both servers run side by side on the
//! fixtures and every request of `tests/py/h5grove_compare.py` (meta, attr, data in every
//! format and dtype, selections, stats, paths, link modes, errors) must give the same status,
//! content type and bytes (TIFF: the same decoded pixels). Known, documented differences
//! (spec/serve.md) are the only exceptions.
//!
//! The default run samples every 9th node of every fixture (~60 s); set
//! `PYMODAQ_H5_SERVE_SAMPLE=1` for every node.

mod common;
mod serve_common;

use std::process::Command;

#[test]
fn same_answers_as_h5grove() {
    let Some(py) = common::python() else { return };
    let fixtures = common::root().join("fixtures");
    let Some(reference) = serve_common::h5grove(&py, &fixtures) else {
        return;
    };
    let ours = serve_common::serve(&["--dir", fixtures.to_str().expect("utf-8 path")]);
    let mut files: Vec<String> = common::fixture_files()
        .into_iter()
        .filter(|p| !p.starts_with(fixtures.join("hostile")))
        .filter_map(|p| {
            p.strip_prefix(&fixtures)
                .ok()
                .map(|r| r.to_string_lossy().into_owned())
        })
        .collect();
    files.sort();
    assert!(files.len() >= 20, "fixtures missing: {files:?}");
    let sample = std::env::var("PYMODAQ_H5_SERVE_SAMPLE").unwrap_or_else(|_| "9".into());
    let out = Command::new(&py)
        .arg(common::root().join("tests/py/h5grove_compare.py"))
        .args([
            &ours.base,
            &reference.base,
            fixtures.to_str().expect("utf-8"),
        ])
        .args(["--sample", &sample])
        .args(&files)
        .output()
        .expect("run the comparison");
    assert!(
        out.status.success(),
        "comparison failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let requests = report["requests"].as_u64().unwrap_or(0);
    let mismatches = report["mismatches"].as_array().cloned().unwrap_or_default();
    let known = report["known"].as_array().cloned().unwrap_or_default();
    eprintln!(
        "{requests} requests compared, {} known differences",
        known.len()
    );
    assert!(requests > 3000, "too few requests: {requests}");
    let shown: Vec<String> = mismatches.iter().take(10).map(|m| m.to_string()).collect();
    assert!(
        mismatches.is_empty(),
        "{} mismatches with h5grove:\n{}",
        mismatches.len(),
        shown.join("\n")
    );
}
