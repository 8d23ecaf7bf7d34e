//! Python literals: the `data` field of PyMoDAQ's JSON attribute envelope (`pymodaq-layout.md` §2).
//!
//! PyMoDAQ stores `repr(value)` and reads it back with Python `eval`. We never evaluate: this is a
//! closed-grammar parser for exactly the literal subset `repr()` produces for the values PyMoDAQ
//! stores, plus a printer ([`repr`]) that reproduces CPython's `repr()` byte for byte.
//!
//! Accepted grammar (whitespace between tokens as Python allows it, newlines only inside brackets):
//! - `None`, `True`, `False`;
//! - decimal ints of any size (up to CPython's 4300-digit literal cap), with unary `+`/`-`;
//! - floats in `repr` forms (`0.1`, `1.`, `.5`, `1e+300`, `-0.0`); `inf`/`nan` are *names* in
//!   Python, so, as with PyMoDAQ's `eval`, they are refused;
//! - str literals (`'…'`, `"…"`, optional `u` prefix) with every escape Python knows except
//!   `\N{…}`, and bytes literals (`b'…'`); line continuation; adjacent literals concatenate;
//! - tuples (`()`, `(5,)`), lists, dicts, parenthesised expressions;
//! - numpy ≥ 2 scalar wrappers `np.float64(…)`, `np.float32(…)`, `np.intN(…)`, `np.uintN(…)`,
//!   `np.str_(…)`, `np.bytes_(…)`, `np.True_`, `np.False_`;
//! - `datetime.datetime(…)`, `datetime.date(…)`, `datetime.time(…)` with positional int arguments,
//!   validated as the constructors do.
//!
//! Refused (typed errors, as `eval` would fail or as we cannot model them): other names, attribute
//! access, calls, operators, sets, complex numbers, raw/f-/triple-quoted strings, lone
//! surrogates, `\N{…}`, `tzinfo=`, ints in hex/octal/binary or with `_`.
//! Caps: the text length is checked against [`Limits::max_pyliteral`]; nesting deeper than
//! CPython's parser allows (200 brackets) is refused like CPython does.

use crate::error::{Error, Result};
use crate::limits::Limits;
pub use crate::pymodaq::dtype::DType;

/// The Unicode version whose printability rules [`str_repr`] follows (that of the Python used
/// to generate the table; CPython versions differ slightly on newly assigned characters).
pub use super::printable::UNICODE_VERSION;

/// Structure name used in errors.
const STRUCTURE: &str = "Python literal";

/// CPython's tokenizer refuses more than this many open brackets ("too many nested parentheses").
pub const MAX_NESTING: u32 = 200;

/// CPython (3.11+) refuses int literals with more digits than this
/// (`sys.int_info.default_max_str_digits`).
pub const MAX_INT_DIGITS: usize = 4300;

/// A Python value, as `eval(repr(value))` would rebuild it.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An int that fits in `i128`.
    Int(i128),
    /// An int outside the `i128` range: canonical decimal text (optional `-`, no leading zeros).
    BigInt(String),
    /// A float.
    Float(f64),
    /// A str (Rust strings cannot hold lone surrogates; those are refused).
    Str(String),
    /// A bytes object.
    Bytes(Vec<u8>),
    /// A tuple.
    Tuple(Vec<PyValue>),
    /// A list.
    List(Vec<PyValue>),
    /// A dict, in insertion order, keys unique.
    Dict(Vec<(PyValue, PyValue)>),
    /// A numpy scalar, printed `np.<type>(<value>)` by numpy ≥ 2.
    Numpy(NumpyScalar),
    /// A naive `datetime.datetime`.
    DateTime(DateTime),
    /// A `datetime.date`.
    Date(Date),
    /// A naive `datetime.time`.
    Time(Time),
}

/// The numpy scalar types we model: a numeric [`DType`] (complex and float16 scalars are not
/// modelled: [`NumpyScalar::new`] refuses them), `np.str_` or `np.bytes_`.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumpyType {
    /// `np.bool`, `np.int8` … `np.uint64`, `np.float32`, `np.float64`.
    Number(DType),
    /// `np.str_`.
    Str,
    /// `np.bytes_`.
    Bytes,
}

impl NumpyType {
    /// The type's `__name__` (what PyMoDAQ stores as `type`).
    pub fn name(self) -> &'static str {
        match self {
            NumpyType::Number(d) => d.name(),
            NumpyType::Str => "str_",
            NumpyType::Bytes => "bytes_",
        }
    }

    /// The type for an attribute name after `np.` (constructor form), if modelled.
    pub fn from_constructor(name: &str) -> Option<NumpyType> {
        Some(match name {
            "bool" | "bool_" => NumpyType::Number(DType::Bool),
            "str_" => NumpyType::Str,
            "bytes_" => NumpyType::Bytes,
            _ => NumpyType::Number(
                [
                    DType::Int8,
                    DType::Int16,
                    DType::Int32,
                    DType::Int64,
                    DType::UInt8,
                    DType::UInt16,
                    DType::UInt32,
                    DType::UInt64,
                    DType::Float32,
                    DType::Float64,
                ]
                .into_iter()
                .find(|d| d.name() == name)?,
            ),
        })
    }

    /// Inclusive value range of the integer types.
    fn int_range(self) -> Option<(i128, i128)> {
        let NumpyType::Number(d) = self else {
            return None;
        };
        Some(match d {
            DType::Int8 => (i8::MIN.into(), i8::MAX.into()),
            DType::Int16 => (i16::MIN.into(), i16::MAX.into()),
            DType::Int32 => (i32::MIN.into(), i32::MAX.into()),
            DType::Int64 => (i64::MIN.into(), i64::MAX.into()),
            DType::UInt8 => (0, u8::MAX.into()),
            DType::UInt16 => (0, u16::MAX.into()),
            DType::UInt32 => (0, u32::MAX.into()),
            DType::UInt64 => (0, u64::MAX.into()),
            _ => return None,
        })
    }
}

/// A numpy scalar: its type and its value, normalised to the type (`Int`, `Float`, `Bool`,
/// `Str` or `Bytes`; float32 values are exactly representable in `f32`).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq)]
pub struct NumpyScalar {
    /// The numpy type.
    pub ty: NumpyType,
    /// The value.
    pub value: Box<PyValue>,
}

impl NumpyScalar {
    /// A numpy scalar of type `ty` built from `value` as `np.<ty>(value)` would, or `None` when
    /// numpy would refuse (out of range int, wrong kind).
    pub fn new(ty: NumpyType, value: PyValue) -> Option<NumpyScalar> {
        let v = match (ty, value) {
            (NumpyType::Number(DType::Bool), PyValue::Bool(b)) => PyValue::Bool(b),
            (NumpyType::Number(DType::Float64), PyValue::Float(f)) => PyValue::Float(f),
            (NumpyType::Number(DType::Float64), PyValue::Int(i)) => PyValue::Float(i as f64),
            // float32: round to f32 as numpy does; big values overflow to inf like numpy.
            (NumpyType::Number(DType::Float32), PyValue::Float(f)) => {
                PyValue::Float(f64::from(f as f32))
            }
            (NumpyType::Number(DType::Float32), PyValue::Int(i)) => {
                PyValue::Float(f64::from(i as f32))
            }
            (NumpyType::Str, PyValue::Str(s)) => PyValue::Str(s),
            (NumpyType::Bytes, PyValue::Bytes(b)) => PyValue::Bytes(b),
            (t, PyValue::Int(i)) => {
                let (lo, hi) = t.int_range()?;
                if i < lo || i > hi {
                    return None;
                }
                PyValue::Int(i)
            }
            _ => return None,
        };
        Some(NumpyScalar {
            ty,
            value: Box::new(v),
        })
    }
}

/// A naive `datetime.datetime` (fields validated as the constructor does).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// The date part.
    pub date: Date,
    /// The time part.
    pub time: Time,
}

/// A `datetime.date`.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    /// 1..=9999.
    pub year: u16,
    /// 1..=12.
    pub month: u8,
    /// 1..=days in month.
    pub day: u8,
}

/// A naive `datetime.time`.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    /// 0..=23.
    pub hour: u8,
    /// 0..=59.
    pub minute: u8,
    /// 0..=59.
    pub second: u8,
    /// 0..=999_999.
    pub microsecond: u32,
}

impl Date {
    /// A date, or `None` when `datetime.date(year, month, day)` would raise.
    pub fn new(year: i128, month: i128, day: i128) -> Option<Date> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let dim = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if !(1..=dim).contains(&day) {
            return None;
        }
        Some(Date {
            year: u16::try_from(year).ok()?,
            month: u8::try_from(month).ok()?,
            day: u8::try_from(day).ok()?,
        })
    }
}

impl Time {
    /// A time, or `None` when `datetime.time(hour, minute, second, microsecond)` would raise.
    pub fn new(hour: i128, minute: i128, second: i128, microsecond: i128) -> Option<Time> {
        if !(0..24).contains(&hour)
            || !(0..60).contains(&minute)
            || !(0..60).contains(&second)
            || !(0..1_000_000).contains(&microsecond)
        {
            return None;
        }
        Some(Time {
            hour: u8::try_from(hour).ok()?,
            minute: u8::try_from(minute).ok()?,
            second: u8::try_from(second).ok()?,
            microsecond: u32::try_from(microsecond).ok()?,
        })
    }
}

impl PyValue {
    /// The items of a tuple or list as ints converted to `T` (an item that is no int or does
    /// not fit is `None`); `None` for anything but a tuple or list.
    pub fn int_items<T: TryFrom<i128>>(&self) -> Option<impl Iterator<Item = Option<T>> + '_> {
        match self {
            PyValue::Tuple(items) | PyValue::List(items) => Some(items.iter().map(|x| match x {
                PyValue::Int(i) => T::try_from(*i).ok(),
                _ => None,
            })),
            _ => None,
        }
    }

    /// An int from canonical or non-canonical decimal text (`-?[0-9]+`), `None` if not decimal.
    pub fn int_from_decimal(text: &str) -> Option<PyValue> {
        let (neg, digits) = match text.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, text),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let trimmed = digits.trim_start_matches('0');
        let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
        let canonical = if neg && trimmed != "0" {
            format!("-{trimmed}")
        } else {
            trimmed.to_string()
        };
        Some(match canonical.parse::<i128>() {
            Ok(i) => PyValue::Int(i),
            Err(_) => PyValue::BigInt(canonical),
        })
    }

    /// `-self` for ints, floats and bools (as Python's unary minus), `None` otherwise.
    fn negate(&self) -> Option<PyValue> {
        match self {
            PyValue::Bool(b) => Some(PyValue::Int(-i128::from(*b))),
            PyValue::Int(i) => Some(match i.checked_neg() {
                Some(n) => PyValue::Int(n),
                None => PyValue::BigInt(i.to_string().trim_start_matches('-').to_string()),
            }),
            PyValue::BigInt(s) => match s.strip_prefix('-') {
                Some(pos) => PyValue::int_from_decimal(pos),
                None => PyValue::int_from_decimal(&format!("-{s}")),
            },
            PyValue::Float(f) => Some(PyValue::Float(-f)),
            _ => None,
        }
    }

    /// Whether Python could use this value as a dict key (hashable).
    fn hashable(&self) -> bool {
        match self {
            PyValue::List(_) | PyValue::Dict(_) => false,
            PyValue::Tuple(items) => items.iter().all(PyValue::hashable),
            _ => true,
        }
    }
}

/// Parses a Python literal as PyMoDAQ's `eval(data)` would, without evaluating anything.
///
/// Errors: [`Error::Limit`] when `text` is longer than `limits.max_pyliteral`; [`Error::Format`]
/// (structure "Python literal", byte offset into `text`) when `eval` would fail or the input is
/// outside the grammar; [`Error::Unsupported`] for valid Python we choose not to model
/// (complex numbers, sets, `\N{…}`, `tzinfo`, lone surrogates, …).
pub fn parse(text: &str, limits: &Limits) -> Result<PyValue> {
    check_len(text.len(), limits)?;
    Parser::whole(text)
}

/// The [`Limits::max_pyliteral`] cap on a literal's (or an attribute's) text length.
pub(crate) fn check_len(len: usize, limits: &Limits) -> Result<()> {
    let len = u64::try_from(len).unwrap_or(u64::MAX);
    if len > limits.max_pyliteral {
        return Err(Error::limit(
            "max_pyliteral",
            limits.max_pyliteral,
            len,
            None,
        ));
    }
    Ok(())
}

/// Move `pos` past the ASCII digits at it in `b`; how many there were.
pub(crate) fn skip_digits(b: &[u8], pos: &mut usize) -> usize {
    let start = *pos;
    *pos = digits_end(b, start);
    *pos - start
}

/// The end of the run of ASCII digits at `at` in `b` (`at` when there is none).
pub(crate) fn digits_end(b: &[u8], at: usize) -> usize {
    let n = b
        .get(at..)
        .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
    at + n
}

/// A number's exponent `[eE][-+]?\d+` at `at`, shared by the Python-literal and the JSON
/// number grammars (which differ in what an exponent without digits means).
pub(crate) enum Exponent {
    /// No `e`/`E` at `at`.
    Absent,
    /// `e`/`E` (and a sign) with no digit after.
    NoDigits,
    /// A whole exponent, ending here.
    End(usize),
}

/// The exponent at `at` in `b`.
pub(crate) fn exponent(b: &[u8], at: usize) -> Exponent {
    if !matches!(b.get(at), Some(b'e' | b'E')) {
        return Exponent::Absent;
    }
    let mut p = at + 1;
    if matches!(b.get(p), Some(b'+' | b'-')) {
        p += 1;
    }
    match digits_end(b, p) {
        end if end == p => Exponent::NoDigits,
        end => Exponent::End(end),
    }
}

mod parser;
mod repr;
#[cfg(test)]
mod tests;

use parser::Parser;
pub use repr::{bytes_repr, float32_repr, float_repr, is_printable, repr, str_repr};
pub(crate) use repr::{write_joined, write_map};
