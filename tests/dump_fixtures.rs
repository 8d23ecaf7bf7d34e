//! Every committed fixture dumps exactly as h5py reads it (the golden `X.json` next to
//! each `X.h5`, written by `fixtures/gen/h5py_dump.py` with hdf5plugin's filters loaded).
//!
//! Where h5py itself cannot read a dataset, the golden carries an `"error"` and so must we
//! (messages differ). A dataset using a filter we have no decoder for (szip, ...) may carry
//! our `unsupported filter` error instead of h5py's values; nothing else may differ.

mod common;

#[test]
fn every_fixture_dumps_as_h5py_reads_it() {
    let files = common::fixture_files();
    assert!(!files.is_empty(), "no fixtures found under fixtures/");
    let mut failures = Vec::new();
    let mut compared = 0;
    for h5 in &files {
        match common::compare_with_golden(h5) {
            Ok(true) => compared += 1,
            Ok(false) => {} // not a dump fixture (e.g. a hostile file)
            Err(report) => {
                compared += 1;
                failures.push(report);
            }
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
