//! Differential: the same bytes read from a file on disk (`FileStorage`) and from memory
//! (`MemStorage`) must give identical dump JSON, or errors with identical messages.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::Limits;

fn outcome(r: pymodaq_h5::Result<File>) -> String {
    match r.and_then(|f| pymodaq_h5::dump::dump_file(&f, "d.h5")) {
        Ok(d) => d.json.to_string(),
        Err(e) => format!("error: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits::fuzzing();
    let path = std::env::temp_dir().join(format!("pymodaq_h5_diff_{}.h5", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let disk = outcome(File::open_with_limits(&path, limits));
    let mem = outcome(File::from_bytes_with_limits(data.to_vec(), limits));
    assert_eq!(disk, mem, "disk and memory reads differ");
});
