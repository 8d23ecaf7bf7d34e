//! PyMoDAQ loader: open the bytes as an HDF5 file and run the whole `load --json` pipeline
//! (tree, every data node, `load_all`, attribute decoding, pickled Logger rows) under tight limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::Limits;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::fuzzing();
    if let Ok(f) = File::from_bytes_with_limits(data.to_vec(), limits) {
        let _ = pymodaq_h5::pymodaq::load_json::load_json(&f, "fuzz.h5", true);
    }
});
