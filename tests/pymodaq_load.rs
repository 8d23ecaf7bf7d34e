//! `load --json` against goldens: every `fixtures/pymodaq/*.h5` with its `*.json` (written by
//! the Python reference `fixtures/gen/pymodaq_load.py`) must match our document (numbers
//! numerically, error strings by exception type). `PYMODAQ_LOAD_DUMP=FILE.h5` prints our
//! document for one file instead.

mod common;

use common::{diff_against, pymodaq_fixtures, read_json, PYMODAQ};
use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::pymodaq::load_json::load_json;

#[test]
#[ignore = "developer tool: PYMODAQ_LOAD_DUMP=FILE.h5 cargo test --test pymodaq_load dump_one_file -- --ignored --nocapture"]
fn dump_one_file() {
    let Some(p) = std::env::var_os("PYMODAQ_LOAD_DUMP") else {
        return;
    };
    let f = File::open(&p).unwrap();
    let (doc, had) = load_json(&f, "x.h5", false).unwrap();
    println!("{}", serde_json::to_string_pretty(&doc).unwrap());
    println!("had_errors: {had}");
}

// Every fixture matches: nodes missing CLASS fail as in PyMoDAQ (read-only, it cannot write
// the class back); library users who want them read anyway use `H5Backend::tolerant`.

#[test]
fn fixtures_match_goldens() {
    let files: Vec<_> = pymodaq_fixtures();
    assert!(
        files.len() >= 22,
        "fixtures/pymodaq/*.h5 with goldens missing"
    );
    let mut failed = Vec::new();
    for (h5, golden) in &files {
        let name = h5.file_name().unwrap().to_string_lossy().to_string();
        let theirs = read_json(golden);
        let file = match File::open(h5) {
            Ok(f) => f,
            Err(e) => {
                failed.push(format!("{name}: open: {e}"));
                continue;
            }
        };
        let (ours, _) = load_json(&file, &name, false).unwrap();
        let mut out = Vec::new();
        diff_against(&PYMODAQ, "", &ours, &theirs, &mut out);
        if !out.is_empty() {
            failed.push(format!(
                "{name}: {} differences\n  {}",
                out.len(),
                out.iter()
                    .take(15)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n  ")
            ));
        }
    }
    println!(
        "pymodaq_load: {}/{} fixtures match",
        files.len() - failed.len(),
        files.len()
    );
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
