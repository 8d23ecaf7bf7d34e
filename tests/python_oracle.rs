//! Files the frozen corpus does not hold: real h5py and PyTables write seeded random files
//! at test time (`fixtures/gen/random_files.py`: random trees, types, shapes, chunkings,
//! filters, attributes, format bounds), the h5py reference dumper reads them, and our dump
//! must equal it. `ORACLE_SEEDS=1,2,3` and `ORACLE_COUNT` widen the run.

mod common;

#[test]
fn random_producer_files_dump_as_h5py_reads_them() {
    let Some(py) = common::python() else { return };
    let compared = common::random_files_match_h5py(
        &py,
        "fixtures/gen/random_files.py",
        "rand",
        "ORACLE",
        &[11, 12],
        40,
    );
    eprintln!("{compared} random h5py/PyTables files dump exactly as h5py reads them");
}
