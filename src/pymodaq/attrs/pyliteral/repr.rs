//! The printer: Python's `repr()` of a [`PyValue`], byte for byte (shortest round-trip floats,
//! str escapes by `str.isprintable`).

use super::*;
use crate::pymodaq::attrs::printable::NON_PRINTABLE;

/// Python's `repr()` of a value, byte for byte (CPython 3.11+ and numpy ≥ 2 conventions).
pub fn repr(v: &PyValue) -> String {
    let mut out = String::new();
    write_repr(v, &mut out);
    out
}

fn write_repr(v: &PyValue, out: &mut String) {
    use std::fmt::Write as _;
    match v {
        PyValue::None => out.push_str("None"),
        PyValue::Bool(true) => out.push_str("True"),
        PyValue::Bool(false) => out.push_str("False"),
        PyValue::Int(i) => {
            let _ = write!(out, "{i}");
        }
        PyValue::BigInt(s) => out.push_str(s),
        PyValue::Float(f) => out.push_str(&float_repr(*f)),
        PyValue::Str(s) => out.push_str(&str_repr(s)),
        PyValue::Bytes(b) => out.push_str(&bytes_repr(b)),
        PyValue::Tuple(items) => {
            out.push('(');
            write_items(items, out);
            if items.len() == 1 {
                out.push(',');
            }
            out.push(')');
        }
        PyValue::List(items) => {
            out.push('[');
            write_items(items, out);
            out.push(']');
        }
        PyValue::Dict(entries) => write_map(out, entries, (", ", ": "), write_repr, write_repr),
        PyValue::Numpy(n) => match (n.ty, n.value.as_ref()) {
            (NumpyType::Number(DType::Bool), PyValue::Bool(true)) => out.push_str("np.True_"),
            (NumpyType::Number(DType::Bool), PyValue::Bool(false)) => out.push_str("np.False_"),
            (NumpyType::Number(DType::Float32), PyValue::Float(f)) => {
                let _ = write!(out, "np.float32({})", float32_repr(*f as f32));
            }
            (ty, val) => {
                let _ = write!(out, "np.{}(", ty.name());
                write_repr(val, out);
                out.push(')');
            }
        },
        PyValue::DateTime(dt) => {
            let (d, t) = (dt.date, dt.time);
            let _ = write!(
                out,
                "datetime.datetime({}, {}, {}, {}, {}",
                d.year, d.month, d.day, t.hour, t.minute
            );
            if t.microsecond != 0 {
                let _ = write!(out, ", {}, {}", t.second, t.microsecond);
            } else if t.second != 0 {
                let _ = write!(out, ", {}", t.second);
            }
            out.push(')');
        }
        PyValue::Date(d) => {
            let _ = write!(out, "datetime.date({}, {}, {})", d.year, d.month, d.day);
        }
        PyValue::Time(t) => {
            let _ = write!(out, "datetime.time({}, {}", t.hour, t.minute);
            if t.microsecond != 0 {
                let _ = write!(out, ", {}, {}", t.second, t.microsecond);
            } else if t.second != 0 {
                let _ = write!(out, ", {}", t.second);
            }
            out.push(')');
        }
    }
}

fn write_items(items: &[PyValue], out: &mut String) {
    write_joined(out, items, ", ", write_repr);
}

/// `{key: value, ...}` of `pairs`, with the (item, key) separators `seps`, keys written by
/// `key` and values by `value` (Python dict reprs and JSON objects).
pub(crate) fn write_map<K, V>(
    out: &mut String,
    pairs: &[(K, V)],
    (sep, colon): (&str, &str),
    key: impl Fn(&K, &mut String),
    value: impl Fn(&V, &mut String),
) {
    out.push('{');
    write_joined(out, pairs, sep, |(k, v), out| {
        key(k, out);
        out.push_str(colon);
        value(v, out);
    });
    out.push('}');
}

/// Write `items` to `out` separated by `sep`, each by `f` (reprs and JSON texts).
pub(crate) fn write_joined<T>(
    out: &mut String,
    items: impl IntoIterator<Item = T>,
    sep: &str,
    mut f: impl FnMut(T, &mut String),
) {
    for (n, x) in items.into_iter().enumerate() {
        if n > 0 {
            out.push_str(sep);
        }
        f(x, out);
    }
}

/// Formats shortest round-trip `digits` (no dot) with decimal exponent `exp10` of the first digit
/// the way CPython's `float_repr` does: scientific when the decimal point position is `<= -4` or
/// `> 16`, `e` followed by a sign and at least two digits; positional otherwise, with `.0` added.
fn format_shortest(neg: bool, digits: &str, exp10: i32, sci: bool) -> String {
    let mut out = String::with_capacity(digits.len() + 8);
    if neg {
        out.push('-');
    }
    let decpt = exp10 + 1;
    if sci {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if exp10 < 0 { '-' } else { '+' });
        let e = exp10.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(&e.to_string());
    } else if decpt <= 0 {
        out.push_str("0.");
        for _ in 0..decpt.unsigned_abs() {
            out.push('0');
        }
        out.push_str(digits);
    } else {
        let decpt = decpt.unsigned_abs() as usize;
        if digits.len() <= decpt {
            out.push_str(digits);
            for _ in digits.len()..decpt {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            let (int, frac) = digits.split_at(decpt);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        }
    }
    out
}

/// Splits Rust's shortest `{:e}` output (`-1.2345e-5`) into sign, digits and exponent.
fn split_sci(text: &str) -> (bool, String, i32) {
    let (neg, t) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text),
    };
    let (mant, exp) = t.split_once('e').unwrap_or((t, "0"));
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    (neg, digits, exp.parse().unwrap_or(0))
}

/// `nan`, `inf` and `-inf` as Python and numpy spell them; `None` for a finite value.
fn non_finite_repr(x: f64) -> Option<&'static str> {
    if x.is_nan() {
        Some("nan")
    } else if x.is_infinite() {
        Some(if x > 0.0 { "inf" } else { "-inf" })
    } else {
        None
    }
}

/// Python's `repr(float)`: shortest round-trip digits, e.g. `0.1`, `1.0`, `1e-05`, `1e+16`,
/// `-0.0`, `inf`, `nan`.
pub fn float_repr(x: f64) -> String {
    if let Some(s) = non_finite_repr(x) {
        return s.into();
    }
    let (neg, digits, exp) = split_sci(&format!("{x:e}"));
    // CPython's float_repr_style 'short': scientific when decpt <= -4 or decpt > 16.
    format_shortest(neg, &digits, exp, !(-4..=15).contains(&exp))
}

/// numpy's repr of a float32 value inside `np.float32(…)`: shortest float32 digits, positional
/// for magnitudes in [1e-4, 1e6), scientific otherwise (`1e+06`, `1e-04`).
pub fn float32_repr(x: f32) -> String {
    if let Some(s) = non_finite_repr(f64::from(x)) {
        return s.into();
    }
    let (neg, digits, exp) = split_sci(&format!("{x:e}"));
    // numpy switches to scientific outside [1e-4, 10**precision), precision 6 for float32.
    let a = f64::from(x.abs());
    format_shortest(neg, &digits, exp, a != 0.0 && !(1e-4..1e6).contains(&a))
}

/// Whether CPython's `str.isprintable()` holds for this one character.
pub fn is_printable(c: char) -> bool {
    let cp = u32::from(c);
    // Binary search over the sorted, disjoint ranges.
    let idx = NON_PRINTABLE.partition_point(|&(_, hi)| hi < cp);
    !matches!(NON_PRINTABLE.get(idx), Some(&(lo, _)) if lo <= cp)
}

/// Python's `repr(str)` (CPython `unicode_repr`): quote choice, `\\`, `\t`, `\n`, `\r`, `\xNN` for
/// other controls and non-printable Latin-1, `\uNNNN` / `\UNNNNNNNN` beyond, printable
/// non-ASCII kept as is.
pub fn str_repr(s: &str) -> String {
    use std::fmt::Write as _;
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() => {
                if c < ' ' || c == '\x7f' {
                    let _ = write!(out, "\\x{:02x}", u32::from(c));
                } else {
                    out.push(c);
                }
            }
            c if is_printable(c) => out.push(c),
            c => {
                let cp = u32::from(c);
                let _ = if cp <= 0xff {
                    write!(out, "\\x{cp:02x}")
                } else if cp <= 0xffff {
                    write!(out, "\\u{cp:04x}")
                } else {
                    write!(out, "\\U{cp:08x}")
                };
            }
        }
    }
    out.push(quote);
    out
}

/// Python's `repr(bytes)`: `b'…'` with the same quote rule as str, `\\`, `\t`, `\n`, `\r`, and
/// `\xNN` for bytes outside printable ASCII.
pub fn bytes_repr(b: &[u8]) -> String {
    use std::fmt::Write as _;
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(b.len() + 3);
    out.push('b');
    out.push(char::from(quote));
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(char::from(c));
            }
            0x20..=0x7e => out.push(char::from(c)),
            c => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push(char::from(quote));
    out
}
