//! Whole-file walk: open the bytes as an HDF5 file and read everything `dump` reads
//! (every group, attribute and dataset value) under tight limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::Limits;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::fuzzing();
    if let Ok(f) = File::from_bytes_with_limits(data.to_vec(), limits) {
        let _ = pymodaq_h5::dump::dump_file(&f, "fuzz.h5");
    }
});
