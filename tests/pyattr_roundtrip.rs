//! Property tests for the PyMoDAQ attribute codecs: round trips and no panics on any input.

use proptest::prelude::*;

use pymodaq_h5::pymodaq::attrs::envelope::{self, AttrValue};
use pymodaq_h5::pymodaq::attrs::pickle;
use pymodaq_h5::pymodaq::attrs::pyliteral::{
    self, DType, Date, DateTime, NumpyScalar, NumpyType, PyValue, Time,
};
use pymodaq_h5::Limits;

fn finite_float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        Just(-0.0),
        Just(1e16),
        Just(1e-5),
        Just(5e-324),
    ]
}

fn py_str() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a'\"\\\\\n\t\r\0\x7f\u{a0}\u{ad}é😀\u{2028}\u{10ffff}]{0,12}",
    ]
}

fn date() -> impl Strategy<Value = Date> {
    (1i128..=9999, 1i128..=12, 1i128..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

fn time() -> impl Strategy<Value = Time> {
    (0i128..24, 0i128..60, 0i128..60, 0i128..1_000_000)
        .prop_map(|(h, m, s, us)| Time::new(h, m, s, us).unwrap())
}

fn scalar() -> impl Strategy<Value = PyValue> {
    prop_oneof![
        Just(PyValue::None),
        any::<bool>().prop_map(PyValue::Bool),
        any::<i128>().prop_map(PyValue::Int),
        "-?[1-9][0-9]{39,80}".prop_map(|s| PyValue::int_from_decimal(&s).unwrap()),
        finite_float().prop_map(PyValue::Float),
        py_str().prop_map(PyValue::Str),
        proptest::collection::vec(any::<u8>(), 0..16).prop_map(PyValue::Bytes),
        (date(), time()).prop_map(|(date, time)| PyValue::DateTime(DateTime { date, time })),
        date().prop_map(PyValue::Date),
        time().prop_map(PyValue::Time),
        finite_float().prop_map(|f| PyValue::Numpy(
            NumpyScalar::new(NumpyType::Number(DType::Float64), PyValue::Float(f)).unwrap()
        )),
        any::<f32>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| PyValue::Numpy(
                NumpyScalar::new(
                    NumpyType::Number(DType::Float32),
                    PyValue::Float(f64::from(f))
                )
                .unwrap()
            )),
        any::<i64>().prop_map(|i| PyValue::Numpy(
            NumpyScalar::new(NumpyType::Number(DType::Int64), PyValue::Int(i128::from(i))).unwrap()
        )),
        any::<bool>().prop_map(|b| PyValue::Numpy(
            NumpyScalar::new(NumpyType::Number(DType::Bool), PyValue::Bool(b)).unwrap()
        )),
    ]
}

fn value() -> impl Strategy<Value = PyValue> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(PyValue::Tuple),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(PyValue::List),
            proptest::collection::vec((py_str(), inner), 0..4).prop_map(|kv| {
                let mut entries: Vec<(PyValue, PyValue)> = Vec::new();
                for (k, v) in kv {
                    let k = PyValue::Str(k);
                    if entries.iter().all(|(e, _)| *e != k) {
                        entries.push((k, v));
                    }
                }
                PyValue::Dict(entries)
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn repr_then_parse(v in value()) {
        let text = pyliteral::repr(&v);
        let parsed = pyliteral::parse(&text, &Limits::default()).unwrap();
        // Compared through repr: -0.0 == 0.0 as floats, but their reprs differ.
        prop_assert_eq!(pyliteral::repr(&parsed), text);
    }

    #[test]
    fn envelope_round_trip(v in value()) {
        let json = envelope::object2json(&v);
        prop_assert!(json.is_ascii());
        let back = envelope::json2object_str(&json, &Limits::default()).unwrap();
        let (_, ty) = envelope::type_of(&v);
        if envelope::is_trusted(ty) {
            match back {
                AttrValue::Evaluated(p) => prop_assert_eq!(pyliteral::repr(&p), pyliteral::repr(&v)),
                other => prop_assert!(false, "{:?}", other),
            }
        } else {
            prop_assert_eq!(back.envelope().map(|(_, t, d)| (t.to_string(), d.to_string())),
                Some((ty.to_string(), pyliteral::repr(&v))));
        }
    }

    #[test]
    fn pickle_round_trip(s in py_str(), protocol in 0u8..=5) {
        let b = pickle::dumps_str(&s, protocol).unwrap();
        prop_assert_eq!(pickle::loads_str(&b, &Limits::default()).unwrap(), s);
    }

    #[test]
    fn parse_never_panics(s in "[-+0-9.eE()\\[\\]{},:'\"\\\\bunxUNpTrueFalsNoydatimp_ \n]{0,40}") {
        let _ = pyliteral::parse(&s, &Limits::default());
        let _ = envelope::json2object_str(&s, &Limits::default());
    }

    #[test]
    fn decoders_never_panic(b in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = pickle::loads_str(&b, &Limits::default());
        let _ = envelope::json2object_bytes(&b, &Limits::default());
        if let Ok(s) = std::str::from_utf8(&b) {
            let _ = pyliteral::parse(s, &Limits::default());
        }
    }

    #[test]
    fn pickle_mutations_never_panic(s in py_str(), protocol in 0u8..=5, at in any::<usize>(), byte in any::<u8>()) {
        let mut b = pickle::dumps_str(&s, protocol).unwrap();
        let n = b.len();
        b[at % n] = byte;
        let _ = pickle::loads_str(&b, &Limits::default());
        b.truncate(at % n);
        prop_assert!(pickle::loads_str(&b, &Limits::default()).is_err());
    }
}

#[test]
fn non_finite_floats_do_not_parse_back() {
    // PyMoDAQ's eval fails on repr(nan) / repr(inf), so the raw JSON text comes back.
    for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let json = envelope::object2json(&PyValue::Float(f));
        let back = envelope::json2object_str(&json, &Limits::default()).unwrap();
        assert_eq!(back, AttrValue::Raw(envelope::RawAttr::Str(json)));
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let deep = "[".repeat(100_000);
    assert!(pyliteral::parse(&deep, &Limits::default()).is_err());
    let minus = "-".repeat(100_000) + "1";
    assert!(pyliteral::parse(&minus, &Limits::default()).is_err());
    let json = "[".repeat(100_000);
    assert!(matches!(
        envelope::json2object_str(&json, &Limits::default()).unwrap(),
        AttrValue::Raw(_)
    ));
}
