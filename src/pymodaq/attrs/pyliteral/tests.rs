//! Parser and printer cases, byte for byte against what CPython prints and evaluates.

use super::*;

fn p(s: &str) -> PyValue {
    match parse(s, &Limits::default()) {
        Ok(v) => v,
        Err(e) => panic!("{s:?}: {e}"),
    }
}

fn fails(s: &str) -> Error {
    match parse(s, &Limits::default()) {
        Ok(v) => panic!("{s:?} parsed as {v:?}"),
        Err(e) => e,
    }
}

#[test]
fn scalars() {
    assert_eq!(p("None"), PyValue::None);
    assert_eq!(p("True"), PyValue::Bool(true));
    assert_eq!(p(" False "), PyValue::Bool(false));
    assert_eq!(p("0"), PyValue::Int(0));
    assert_eq!(p("00"), PyValue::Int(0));
    assert_eq!(p("-12"), PyValue::Int(-12));
    assert_eq!(p("- -3"), PyValue::Int(3));
    assert_eq!(p("-True"), PyValue::Int(-1));
    assert_eq!(
        p("123456789012345678901234567890123456789012345"),
        PyValue::BigInt("123456789012345678901234567890123456789012345".into())
    );
    assert_eq!(
        p("-170141183460469231731687303715884105728"),
        PyValue::Int(i128::MIN)
    );
    assert_eq!(
        p("170141183460469231731687303715884105728"),
        PyValue::BigInt("170141183460469231731687303715884105728".into())
    );
    assert_eq!(p("0.25"), PyValue::Float(0.25));
    assert_eq!(p("1e+300"), PyValue::Float(1e300));
    assert_eq!(p("1e400"), PyValue::Float(f64::INFINITY));
    assert_eq!(p("1."), PyValue::Float(1.0));
    assert_eq!(p(".5"), PyValue::Float(0.5));
    assert_eq!(p("1E5"), PyValue::Float(1e5));
    match p("-0.0") {
        PyValue::Float(f) => assert!(f == 0.0 && f.is_sign_negative()),
        v => panic!("{v:?}"),
    }
}

#[test]
fn names_like_eval() {
    // repr(float('nan')) is a bare name that eval cannot resolve: PyMoDAQ keeps the raw text.
    assert!(matches!(fails("nan"), Error::Format(_)));
    assert!(matches!(fails("inf"), Error::Format(_)));
    assert!(matches!(fails("-inf"), Error::Format(_)));
    assert!(matches!(fails("np.float64(nan)"), Error::Format(_)));
    assert!(matches!(fails("os"), Error::Format(_)));
    assert!(matches!(fails("__import__('os')"), Error::Format(_)));
    assert!(matches!(fails("np.load('x')"), Error::Unsupported { .. }));
    assert!(matches!(fails("1+2"), Error::Format(_)));
    assert!(matches!(fails("1j"), Error::Unsupported { .. }));
    assert!(matches!(fails("0x10"), Error::Unsupported { .. }));
    assert!(matches!(fails("012"), Error::Format(_)));
    assert!(matches!(fails("{1, 2}"), Error::Unsupported { .. }));
    assert!(matches!(fails("{[1]: 2}"), Error::Format(_)));
    assert!(matches!(fails(""), Error::Format(_)));
    assert!(matches!(fails("1\n2"), Error::Format(_)));
    assert!(matches!(fails("'a\0'"), Error::Format(_)));
}

#[test]
fn strings() {
    assert_eq!(p("'x'"), PyValue::Str("x".into()));
    assert_eq!(p("\"it's\""), PyValue::Str("it's".into()));
    assert_eq!(
        p(r#"'\\ \' \" \n \t \r \a \b \f \v \0 \101 \x41 \u00e9 \U0001F600 \q'"#),
        PyValue::Str("\\ ' \" \n \t \r \x07 \x08 \x0c \x0b \0 A A é 😀 \\q".into())
    );
    assert_eq!(p("'a\\\nb'"), PyValue::Str("ab".into()));
    assert_eq!(p("u'é'"), PyValue::Str("é".into()));
    assert_eq!(
        p(r"b'\x00\xff\'a\u'"),
        PyValue::Bytes(b"\x00\xff'a\\u".to_vec())
    );
    assert!(matches!(fails(r"'\ud800'"), Error::Unsupported { .. }));
    assert!(matches!(fails(r"'\x4'"), Error::Format(_)));
    assert!(matches!(fails("'abc"), Error::Format(_)));
    assert!(matches!(fails("'a\nb'"), Error::Format(_)));
    assert!(matches!(fails("b'é'"), Error::Format(_)));
    assert_eq!(p("'a' \\\n \"b\"u'c'"), PyValue::Str("abc".into()));
    assert_eq!(p("(b'a'\n b'b')"), PyValue::Bytes(b"ab".to_vec()));
    assert!(matches!(fails("'a' b'b'"), Error::Format(_)));
    assert!(matches!(fails("'a' r'b'"), Error::Unsupported { .. }));
    assert!(matches!(fails("r'a'"), Error::Unsupported { .. }));
    assert!(matches!(fails("'''a'''"), Error::Unsupported { .. }));
    assert!(matches!(fails(r"'\N{DASH}'"), Error::Unsupported { .. }));
}

#[test]
fn containers() {
    assert_eq!(p("()"), PyValue::Tuple(vec![]));
    assert_eq!(p("(5,)"), PyValue::Tuple(vec![PyValue::Int(5)]));
    assert_eq!(p("(5)"), PyValue::Int(5));
    assert_eq!(
        p("(1, 'a', [2.5, None],)"),
        PyValue::Tuple(vec![
            PyValue::Int(1),
            PyValue::Str("a".into()),
            PyValue::List(vec![PyValue::Float(2.5), PyValue::None]),
        ])
    );
    assert_eq!(
        p("[\n 1,\n 2\n]"),
        PyValue::List(vec![PyValue::Int(1), PyValue::Int(2)])
    );
    assert_eq!(
        p("{'a': 1, 'b': 2, 'a': 3}"),
        PyValue::Dict(vec![
            (PyValue::Str("a".into()), PyValue::Int(3)),
            (PyValue::Str("b".into()), PyValue::Int(2)),
        ])
    );
    let deep_ok = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert!(parse(&deep_ok, &Limits::default()).is_ok());
    let deep_bad = format!("{}{}", "[".repeat(201), "]".repeat(201));
    assert!(matches!(fails(&deep_bad), Error::Format(_)));
}

#[test]
fn numpy_and_datetime() {
    assert_eq!(
        p("np.float64(0.25)"),
        PyValue::Numpy(
            NumpyScalar::new(NumpyType::Number(DType::Float64), PyValue::Float(0.25)).unwrap()
        )
    );
    assert_eq!(repr(&p("np.float32(0.1)")), "np.float32(0.1)");
    assert_eq!(repr(&p("np.float32(999999.0)")), "np.float32(999999.0)");
    assert_eq!(repr(&p("np.float32(1e6)")), "np.float32(1e+06)");
    assert_eq!(repr(&p("np.float32(0.0001)")), "np.float32(1e-04)");
    assert_eq!(repr(&p("np.float32(0.00011)")), "np.float32(0.00011)");
    assert_eq!(repr(&p("np.int64(-3)")), "np.int64(-3)");
    assert_eq!(repr(&p("np.True_")), "np.True_");
    assert!(matches!(fails("np.int8(300)"), Error::Format(_)));
    assert!(matches!(fails("np.uint8(-1)"), Error::Format(_)));
    let dt = p("datetime.datetime(2024, 1, 2, 3, 4, 5, 6)");
    assert_eq!(repr(&dt), "datetime.datetime(2024, 1, 2, 3, 4, 5, 6)");
    assert_eq!(
        repr(&p("datetime.datetime(2024, 2, 29)")),
        "datetime.datetime(2024, 2, 29, 0, 0)"
    );
    assert_eq!(repr(&p("datetime.time()")), "datetime.time(0, 0)");
    assert_eq!(
        repr(&p("datetime.time(1, 2, 0, 5)")),
        "datetime.time(1, 2, 0, 5)"
    );
    assert_eq!(
        repr(&p("datetime.date(2024, 1, 2)")),
        "datetime.date(2024, 1, 2)"
    );
    assert!(matches!(
        fails("datetime.date(2023, 2, 29)"),
        Error::Format(_)
    ));
    assert!(matches!(fails("datetime.time(24, 0)"), Error::Format(_)));
    assert!(matches!(
        fails("datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.timezone.utc)"),
        Error::Unsupported { .. }
    ));
}

#[test]
fn float_reprs() {
    let cases: &[(f64, &str)] = &[
        (0.1, "0.1"),
        (1.0, "1.0"),
        (-0.0, "-0.0"),
        (1e-5, "1e-05"),
        (1e-4, "0.0001"),
        (1.5e-4, "0.00015"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (123456789012345680.0, "1.2345678901234568e+17"),
        (1e300, "1e+300"),
        (5e-324, "5e-324"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (f64::NAN, "nan"),
        (0.30000000000000004, "0.30000000000000004"),
    ];
    for (x, want) in cases {
        assert_eq!(float_repr(*x), *want, "{x:e}");
    }
}

#[test]
fn str_reprs() {
    assert_eq!(str_repr("x"), "'x'");
    assert_eq!(str_repr("it's"), "\"it's\"");
    assert_eq!(str_repr("it's \"q\""), r#"'it\'s "q"'"#);
    assert_eq!(str_repr("a\\b\n\t\r\x00\x7f"), r"'a\\b\n\t\r\x00\x7f'");
    assert_eq!(
        str_repr("é\u{a0}\u{ad}\u{2028}😀\u{e000}"),
        r"'é\xa0\xad\u2028😀\ue000'"
    );
    assert_eq!(str_repr("\u{10ffff}"), r"'\U0010ffff'");
    assert_eq!(bytes_repr(b"a'\x00\xff\\"), r#"b"a'\x00\xff\\""#);
    assert_eq!(bytes_repr(b""), "b''");
}

#[test]
fn limits() {
    let l = Limits {
        max_pyliteral: 3,
        ..Limits::default()
    };
    assert!(matches!(
        parse("1234", &l),
        Err(Error::Limit {
            name: "max_pyliteral",
            ..
        })
    ));
    assert!(matches!(fails(&"9".repeat(4301)), Error::Format(_)));
    assert!(parse(&"9".repeat(4300), &Limits::default()).is_ok());
}
