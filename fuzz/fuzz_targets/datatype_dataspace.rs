//! Datatype and dataspace messages: `Datatype::parse` (recursive compound, array, vlen,
//! enum) and `Dataspace::parse` over arbitrary bytes, plus element decoding of a value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pymodaq_h5::hdf5::cursor::{Cursor, Sizes};
use pymodaq_h5::hdf5::message::dataspace::Dataspace;
use pymodaq_h5::hdf5::message::datatype::Datatype;
use pymodaq_h5::Limits;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let limits = Limits::default();
    let sizes = Sizes::default();
    if sel & 1 == 0 {
        let mut c = Cursor::new(rest, 1, "datatype message", sizes);
        if let Ok(dt) = Datatype::parse(&mut c, &limits) {
            let _ = dt.size();
            let _ = dt.is_variable_length();
            let _ = pymodaq_h5::dump::type_json(&dt);
            // Convert the bytes after the message as elements of this type.
            let tail = rest.get(c.pos()..).unwrap_or(&[]);
            let _ = pymodaq_h5::hdf5::read::dataset::convert::<f64>(&dt, tail, 0);
            let _ = pymodaq_h5::hdf5::read::dataset::convert::<i64>(&dt, tail, 0);
        }
    } else {
        let mut c = Cursor::new(rest, 1, "dataspace message", sizes);
        if let Ok(ds) = Dataspace::parse(&mut c, &limits) {
            let _ = ds.num_elements();
        }
    }
});
