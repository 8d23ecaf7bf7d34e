//! Files the frozen corpus does not hold: real h5py and PyTables write seeded random files
//! at test time (`fixtures/gen/random_files.py`: random trees, types, shapes, chunkings,
//! filters, attributes, format bounds), the h5py reference dumper reads them, and our dump
//! must equal it. `ORACLE_SEEDS=1,2,3` and `ORACLE_COUNT` widen the run.

mod common;

use std::process::Command;

#[test]
fn random_producer_files_dump_as_h5py_reads_them() {
    let Some(py) = common::python() else { return };
    let seeds: Vec<u64> = std::env::var("ORACLE_SEEDS")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![11, 12]);
    let count: u32 = std::env::var("ORACLE_COUNT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let dir = common::temp_dir("oracle");
    let mut failures = Vec::new();
    let mut compared = 0;
    for seed in seeds {
        let out = Command::new(&py)
            .arg(common::root().join("fixtures/gen/random_files.py"))
            .args([seed.to_string(), count.to_string()])
            .arg(&*dir)
            .output()
            .expect("run random_files.py");
        assert!(
            out.status.success(),
            "random_files.py failed for seed {seed}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for i in 0..count {
            let h5 = dir.join(format!("rand_{seed}_{i}.h5"));
            match common::compare_with_golden(&h5) {
                Ok(true) => compared += 1,
                Ok(false) => failures.push(format!("{}: no golden written", h5.display())),
                Err(report) => {
                    compared += 1;
                    failures.push(report);
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} random files differ from h5py:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{compared} random h5py/PyTables files dump exactly as h5py reads them");
}
