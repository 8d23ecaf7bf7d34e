//! Attribute codec: PyMoDAQ's JSON envelope around a Python literal, the Python-literal
//! grammar itself and the string-pickle decoder, on arbitrary bytes. Whatever parses must
//! re-encode and parse back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pymodaq_h5::pymodaq::attrs::{envelope, pickle, pyliteral};
use pymodaq_h5::Limits;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let _ = envelope::json2object_bytes(data, &limits);
    let _ = pickle::loads_str(data, &limits);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(v) = pyliteral::parse(text, &limits) {
            let again = pyliteral::repr(&v);
            let back = pyliteral::parse(&again, &limits);
            // Python's own repr of nan/inf does not evaluate either; everything else must.
            let non_finite = again.contains("nan") || again.contains("inf");
            assert!(back.is_ok() || non_finite, "repr does not parse back: {again:?}");
        }
        if let Ok(s) = pickle::loads_str(data, &limits) {
            let bytes = pickle::dumps_str(&s, 4).expect("dumps of a decoded string");
            assert_eq!(pickle::loads_str(&bytes, &limits).ok().as_deref(), Some(s.as_str()));
        }
    }
});
