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

use super::printable::NON_PRINTABLE;

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

/// The numpy scalar types we model.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumpyType {
    /// `np.bool` (`np.True_`, `np.False_`).
    Bool,
    /// `np.int8` … `np.int64`.
    Int8,
    /// `np.int16`.
    Int16,
    /// `np.int32`.
    Int32,
    /// `np.int64`.
    Int64,
    /// `np.uint8`.
    UInt8,
    /// `np.uint16`.
    UInt16,
    /// `np.uint32`.
    UInt32,
    /// `np.uint64`.
    UInt64,
    /// `np.float32`.
    Float32,
    /// `np.float64`.
    Float64,
    /// `np.str_`.
    Str,
    /// `np.bytes_`.
    Bytes,
}

impl NumpyType {
    /// The type's `__name__` (what PyMoDAQ stores as `type`).
    pub fn name(self) -> &'static str {
        match self {
            NumpyType::Bool => "bool",
            NumpyType::Int8 => "int8",
            NumpyType::Int16 => "int16",
            NumpyType::Int32 => "int32",
            NumpyType::Int64 => "int64",
            NumpyType::UInt8 => "uint8",
            NumpyType::UInt16 => "uint16",
            NumpyType::UInt32 => "uint32",
            NumpyType::UInt64 => "uint64",
            NumpyType::Float32 => "float32",
            NumpyType::Float64 => "float64",
            NumpyType::Str => "str_",
            NumpyType::Bytes => "bytes_",
        }
    }

    /// The type for an attribute name after `np.` (constructor form), if modelled.
    pub fn from_constructor(name: &str) -> Option<NumpyType> {
        Some(match name {
            "bool" | "bool_" => NumpyType::Bool,
            "int8" => NumpyType::Int8,
            "int16" => NumpyType::Int16,
            "int32" => NumpyType::Int32,
            "int64" => NumpyType::Int64,
            "uint8" => NumpyType::UInt8,
            "uint16" => NumpyType::UInt16,
            "uint32" => NumpyType::UInt32,
            "uint64" => NumpyType::UInt64,
            "float32" => NumpyType::Float32,
            "float64" => NumpyType::Float64,
            "str_" => NumpyType::Str,
            "bytes_" => NumpyType::Bytes,
            _ => return None,
        })
    }

    /// Inclusive value range of the integer types.
    fn int_range(self) -> Option<(i128, i128)> {
        Some(match self {
            NumpyType::Int8 => (i8::MIN.into(), i8::MAX.into()),
            NumpyType::Int16 => (i16::MIN.into(), i16::MAX.into()),
            NumpyType::Int32 => (i32::MIN.into(), i32::MAX.into()),
            NumpyType::Int64 => (i64::MIN.into(), i64::MAX.into()),
            NumpyType::UInt8 => (0, u8::MAX.into()),
            NumpyType::UInt16 => (0, u16::MAX.into()),
            NumpyType::UInt32 => (0, u32::MAX.into()),
            NumpyType::UInt64 => (0, u64::MAX.into()),
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
            (NumpyType::Bool, PyValue::Bool(b)) => PyValue::Bool(b),
            (NumpyType::Float64, PyValue::Float(f)) => PyValue::Float(f),
            (NumpyType::Float64, PyValue::Int(i)) => PyValue::Float(i as f64),
            // float32: round to f32 as numpy does; big values overflow to inf like numpy.
            (NumpyType::Float32, PyValue::Float(f)) => PyValue::Float(f64::from(f as f32)),
            (NumpyType::Float32, PyValue::Int(i)) => PyValue::Float(f64::from(i as f32)),
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
    let len = u64::try_from(text.len()).unwrap_or(u64::MAX);
    if len > limits.max_pyliteral {
        return Err(Error::limit(
            "max_pyliteral",
            limits.max_pyliteral,
            len,
            None,
        ));
    }
    let mut p = Parser {
        src: text,
        b: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    // eval() tolerates blank lines and spaces around a single expression.
    p.skip_ws_all();
    let v = p.expr()?;
    p.skip_ws_all();
    if p.pos != p.b.len() {
        return Err(p.err("unexpected text after the value"));
    }
    Ok(v)
}

/// Recursive-descent state over the literal's bytes.
struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: u32,
}

impl<'a> Parser<'a> {
    fn err(&self, reason: impl Into<std::borrow::Cow<'static, str>>) -> Error {
        Error::format(STRUCTURE, self.pos as u64, reason)
    }

    fn unsupported(&self, what: &str) -> Error {
        Error::unsupported(format!("Python literal: {what}"), Some(self.pos as u64))
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, k: usize) -> Option<u8> {
        self.b.get(self.pos.checked_add(k)?).copied()
    }

    /// Skips spaces, tabs, form feeds, backslash-newline joins, and newlines inside brackets.
    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\x0c') => self.pos += 1,
                Some(b'\n' | b'\r') if self.depth > 0 => self.pos += 1,
                Some(b'\\') if matches!(self.peek_at(1), Some(b'\n')) => self.pos += 2,
                Some(b'\\')
                    if matches!(self.peek_at(1), Some(b'\r'))
                        && matches!(self.peek_at(2), Some(b'\n')) =>
                {
                    self.pos += 3
                }
                _ => return,
            }
        }
    }

    /// Skips all whitespace including newlines (around the top-level expression).
    fn skip_ws_all(&mut self) {
        while let Some(b' ' | b'\t' | b'\x0c' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
        self.skip_ws();
    }

    fn expect(&mut self, c: u8, what: &'static str) -> Result<()> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(what))
        }
    }

    fn open(&mut self) -> Result<()> {
        if self.depth >= MAX_NESTING {
            return Err(self.err("too many nested parentheses"));
        }
        self.depth += 1;
        Ok(())
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// An expression: an atom with optional unary signs.
    fn expr(&mut self) -> Result<PyValue> {
        self.skip_ws();
        match self.peek() {
            Some(b'-') => {
                let at = self.pos;
                self.pos += 1;
                self.open()?; // unary chains nest in the parser too; bound them
                let v = self.expr()?;
                self.close();
                v.negate().ok_or_else(|| {
                    Error::format(STRUCTURE, at as u64, "unary minus on a non-number")
                })
            }
            Some(b'+') => {
                let at = self.pos;
                self.pos += 1;
                self.open()?;
                let v = self.expr()?;
                self.close();
                match v {
                    PyValue::Bool(b) => Ok(PyValue::Int(i128::from(b))),
                    PyValue::Int(_) | PyValue::BigInt(_) | PyValue::Float(_) => Ok(v),
                    _ => Err(Error::format(
                        STRUCTURE,
                        at as u64,
                        "unary plus on a non-number",
                    )),
                }
            }
            _ => self.atom(),
        }
    }

    fn atom(&mut self) -> Result<PyValue> {
        let Some(c) = self.peek() else {
            return Err(self.err("unexpected end of text, expected a value"));
        };
        match c {
            b'(' => self.paren(),
            b'[' => {
                self.pos += 1;
                self.open()?;
                let items = self.items(b']')?;
                self.close();
                Ok(PyValue::List(items))
            }
            b'{' => self.dict(),
            b'\'' | b'"' => Ok(PyValue::Str(self.string()?)),
            b'0'..=b'9' | b'.' => self.number(),
            c if c == b'_' || c.is_ascii_alphabetic() => self.name(),
            _ => Err(self.err(format!("unexpected character {:?}", char::from(c)))),
        }
    }

    /// `(`: empty tuple, parenthesised expression, or tuple.
    fn paren(&mut self) -> Result<PyValue> {
        self.pos += 1;
        self.open()?;
        self.skip_ws();
        if self.peek() == Some(b')') {
            self.pos += 1;
            self.close();
            return Ok(PyValue::Tuple(Vec::new()));
        }
        let first = self.expr()?;
        self.skip_ws();
        match self.peek() {
            Some(b')') => {
                self.pos += 1;
                self.close();
                Ok(first)
            }
            Some(b',') => {
                self.pos += 1;
                let mut items = vec![first];
                items.extend(self.items(b')')?);
                self.close();
                Ok(PyValue::Tuple(items))
            }
            _ => Err(self.err("expected ',' or ')'")),
        }
    }

    /// Comma-separated expressions up to `end` (trailing comma allowed); consumes `end`.
    fn items(&mut self, end: u8) -> Result<Vec<PyValue>> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(end) {
                self.pos += 1;
                return Ok(items);
            }
            items.push(self.expr()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == end => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => return Err(self.err("expected ',' or a closing bracket")),
            }
        }
    }

    fn dict(&mut self) -> Result<PyValue> {
        self.pos += 1;
        self.open()?;
        let mut entries: Vec<(PyValue, PyValue)> = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                break;
            }
            let key_at = self.pos;
            let key = self.expr()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.unsupported("set displays"));
            }
            self.pos += 1;
            let value = self.expr()?;
            if !key.hashable() {
                return Err(Error::format(
                    STRUCTURE,
                    key_at as u64,
                    "unhashable dict key",
                ));
            }
            // Python keeps the first position and the last value of a repeated key.
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => entries.push((key, value)),
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
        self.close();
        Ok(PyValue::Dict(entries))
    }

    fn ident(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == b'_' || c.is_ascii_alphanumeric() {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.src.get(start..self.pos).unwrap_or("")
    }

    /// `.name` after a module name.
    fn attr(&mut self) -> Result<&'a str> {
        self.expect(b'.', "expected '.'")?;
        self.skip_ws();
        let name = self.ident();
        if name.is_empty() {
            return Err(self.err("expected an attribute name"));
        }
        Ok(name)
    }

    fn name(&mut self) -> Result<PyValue> {
        let start = self.pos;
        // String prefixes: u (no-op), b (bytes); r/f are refused.
        let is_quote = |c: Option<u8>| matches!(c, Some(b'\'' | b'"'));
        match (self.peek(), self.peek_at(1), self.peek_at(2)) {
            (Some(b'u' | b'U'), q, _) if is_quote(q) => {
                self.pos += 1;
                return Ok(PyValue::Str(self.string()?));
            }
            (Some(b'b' | b'B'), q, _) if is_quote(q) => {
                self.pos += 1;
                return Ok(PyValue::Bytes(self.bytes_literal()?));
            }
            (Some(b'r' | b'R' | b'f' | b'F'), q, _) if is_quote(q) => {
                return Err(self.unsupported("raw and f-string literals"));
            }
            (Some(b'r' | b'R' | b'b' | b'B' | b'f' | b'F'), Some(b'r' | b'R' | b'b' | b'B'), q)
                if is_quote(q) =>
            {
                return Err(self.unsupported("raw and f-string literals"));
            }
            _ => {}
        }
        let name = self.ident();
        match name {
            "None" => Ok(PyValue::None),
            "True" => Ok(PyValue::Bool(true)),
            "False" => Ok(PyValue::Bool(false)),
            "np" => self.numpy(start),
            "datetime" => self.datetime(start),
            _ => Err(Error::format(
                STRUCTURE,
                start as u64,
                format!("name {name:?} is not defined"),
            )),
        }
    }

    fn numpy(&mut self, start: usize) -> Result<PyValue> {
        let attr = self.attr()?;
        match attr {
            "True_" => return Ok(np_bool(true)),
            "False_" => return Ok(np_bool(false)),
            _ => {}
        }
        let Some(ty) = NumpyType::from_constructor(attr) else {
            return Err(self.unsupported(&format!("np.{attr}")));
        };
        let args = self.call_args()?;
        let [arg] = <[PyValue; 1]>::try_from(args).map_err(|_| {
            Error::format(STRUCTURE, start as u64, "numpy scalar takes one argument")
        })?;
        if ty == NumpyType::Bool {
            if let PyValue::Bool(b) = arg {
                return Ok(np_bool(b));
            }
        }
        NumpyScalar::new(ty, arg)
            .map(PyValue::Numpy)
            .ok_or_else(|| {
                Error::format(
                    STRUCTURE,
                    start as u64,
                    format!("np.{attr}() argument of the wrong kind or out of range"),
                )
            })
    }

    fn datetime(&mut self, start: usize) -> Result<PyValue> {
        let attr = self.attr()?;
        let (min, max) = match attr {
            "datetime" => (3, 7),
            "date" => (3, 3),
            "time" => (0, 4),
            _ => return Err(self.unsupported(&format!("datetime.{attr}"))),
        };
        self.skip_ws();
        if self.peek() != Some(b'(') {
            return Err(self.unsupported(&format!("datetime.{attr} without a call")));
        }
        let args = self.call_args()?;
        let bad =
            |why: &str| Error::format(STRUCTURE, start as u64, format!("datetime.{attr}(): {why}"));
        if args.len() < min || args.len() > max {
            return Err(bad("wrong number of arguments"));
        }
        let mut ints = [0i128; 7];
        for (slot, a) in ints.iter_mut().zip(&args) {
            *slot = match a {
                PyValue::Int(i) => *i,
                PyValue::Bool(b) => i128::from(*b),
                _ => return Err(bad("arguments must be ints")),
            };
        }
        let [a, b, c, d, e, f, g] = ints;
        let out = match attr {
            "datetime" => Date::new(a, b, c)
                .zip(Time::new(d, e, f, g))
                .map(|(date, time)| PyValue::DateTime(DateTime { date, time })),
            "date" => Date::new(a, b, c).map(PyValue::Date),
            _ => Time::new(a, b, c, d).map(PyValue::Time),
        };
        out.ok_or_else(|| bad("value out of range"))
    }

    /// `( expr, … )` call arguments; keywords are refused.
    fn call_args(&mut self) -> Result<Vec<PyValue>> {
        self.expect(b'(', "expected '('")?;
        self.open()?;
        let mut args = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(b')') {
                self.pos += 1;
                break;
            }
            let save = self.pos;
            let id = self.ident();
            self.skip_ws();
            if !id.is_empty() && self.peek() == Some(b'=') && self.peek_at(1) != Some(b'=') {
                return Err(self.unsupported(&format!("keyword argument {id}=")));
            }
            self.pos = save;
            args.push(self.expr()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b')') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.err("expected ',' or ')'")),
            }
        }
        self.close();
        Ok(args)
    }

    fn number(&mut self) -> Result<PyValue> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let s = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.pos - s
        };
        let int_len = digits(self);
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            is_float = true;
            let frac = digits(self);
            if int_len == 0 && frac == 0 {
                return Err(Error::format(STRUCTURE, start as u64, "invalid syntax '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            let save = self.pos;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if digits(self) == 0 {
                self.pos = save;
                return Err(self.err("invalid float exponent"));
            }
            is_float = true;
        }
        match self.peek() {
            Some(b'j' | b'J') => return Err(self.unsupported("complex numbers")),
            Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B') if !is_float && int_len == 1 => {
                return Err(self.unsupported("hex, octal and binary int literals"))
            }
            Some(b'_') => return Err(self.unsupported("digit separators")),
            Some(c) if c.is_ascii_alphanumeric() => return Err(self.err("invalid number literal")),
            _ => {}
        }
        let text = self.src.get(start..self.pos).unwrap_or("");
        if is_float {
            // Grammar validated above, so Rust's parser sees only Python float syntax.
            return text
                .parse::<f64>()
                .map(PyValue::Float)
                .map_err(|_| Error::format(STRUCTURE, start as u64, "invalid float literal"));
        }
        if text.len() > 1 && text.starts_with('0') && text.bytes().any(|b| b != b'0') {
            return Err(Error::format(
                STRUCTURE,
                start as u64,
                "leading zeros in decimal integer literals are not permitted",
            ));
        }
        if text.len() > MAX_INT_DIGITS {
            return Err(Error::format(
                STRUCTURE,
                start as u64,
                "int literal exceeds the 4300-digit limit",
            ));
        }
        PyValue::int_from_decimal(text)
            .ok_or_else(|| Error::format(STRUCTURE, start as u64, "invalid int literal"))
    }

    /// Reads one quoted literal body; returns its raw contents (between the quotes).
    fn quoted(&mut self) -> Result<(usize, &'a str)> {
        let q = self.peek().ok_or_else(|| self.err("expected a quote"))?;
        if self.peek_at(1) == Some(q) && self.peek_at(2) == Some(q) {
            return Err(self.unsupported("triple-quoted strings"));
        }
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated string literal")),
                Some(b'\n' | b'\r') => return Err(self.err("unterminated string literal")),
                Some(0) => return Err(self.err("source code cannot contain null bytes")),
                Some(b'\\') => {
                    // The escaped byte is skipped whole (may be the quote or a newline).
                    if self.peek_at(1).is_none() {
                        return Err(self.err("unterminated string literal"));
                    }
                    self.pos += 2;
                }
                Some(c) if c == q => break,
                Some(_) => self.pos += 1,
            }
        }
        let body = self
            .src
            .get(start..self.pos)
            .ok_or_else(|| self.err("bad string body"))?;
        self.pos += 1;
        Ok((start, body))
    }

    /// What literal starts here: `Some(true)` bytes, `Some(false)` str, with its prefix length.
    fn literal_start(&self) -> Option<(bool, usize)> {
        let is_quote = |c: Option<u8>| matches!(c, Some(b'\'' | b'"'));
        match self.peek() {
            c if is_quote(c) => Some((false, 0)),
            Some(b'u' | b'U') if is_quote(self.peek_at(1)) => Some((false, 1)),
            Some(b'b' | b'B') if is_quote(self.peek_at(1)) => Some((true, 1)),
            _ => None,
        }
    }

    /// Adjacent literals concatenate, as in Python (`'a' 'b'` is `'ab'`).
    fn next_literal(&mut self, bytes: bool) -> Result<Option<usize>> {
        let save = self.pos;
        self.skip_ws();
        match self.literal_start() {
            Some((b, prefix)) if b == bytes => {
                self.pos += prefix;
                Ok(Some(self.pos))
            }
            Some(_) => Err(self.err("cannot mix bytes and nonbytes literals")),
            None => {
                if let Some(b'r' | b'R' | b'f' | b'F') = self.peek() {
                    if matches!(
                        self.peek_at(1),
                        Some(b'\'' | b'"' | b'b' | b'B' | b'r' | b'R')
                    ) {
                        return Err(self.unsupported("raw and f-string literals"));
                    }
                }
                self.pos = save;
                Ok(None)
            }
        }
    }

    fn string(&mut self) -> Result<String> {
        let (start, body) = self.quoted()?;
        let mut out = decode_str_escapes(body, start)?;
        while self.next_literal(false)?.is_some() {
            let (start, body) = self.quoted()?;
            out.push_str(&decode_str_escapes(body, start)?);
        }
        Ok(out)
    }

    fn bytes_literal(&mut self) -> Result<Vec<u8>> {
        let (start, body) = self.quoted()?;
        let mut out = decode_bytes_escapes(body, start)?;
        while self.next_literal(true)?.is_some() {
            let (start, body) = self.quoted()?;
            out.extend(decode_bytes_escapes(body, start)?);
        }
        Ok(out)
    }
}

fn np_bool(b: bool) -> PyValue {
    PyValue::Numpy(NumpyScalar {
        ty: NumpyType::Bool,
        value: Box::new(PyValue::Bool(b)),
    })
}

/// Parses exactly `n` hex digits at `s[i..]`.
fn hex_n(s: &[u8], i: usize, n: usize) -> Option<u32> {
    let digits = s.get(i..i.checked_add(n)?)?;
    let mut v: u32 = 0;
    for &d in digits {
        v = v
            .checked_mul(16)?
            .checked_add(char::from(d).to_digit(16)?)?;
    }
    Some(v)
}

/// Octal escape: 1 to 3 octal digits at `s[i..]`; returns (value, digits used).
fn octal(s: &[u8], i: usize) -> (u32, usize) {
    let mut v = 0u32;
    let mut n = 0;
    while n < 3 {
        match s.get(i + n) {
            Some(&d @ b'0'..=b'7') => {
                v = v * 8 + u32::from(d - b'0');
                n += 1;
            }
            _ => break,
        }
    }
    (v, n)
}

/// Decodes the escapes of a str literal body (`body` starts at byte `base` of the text).
fn decode_str_escapes(body: &str, base: usize) -> Result<String> {
    let s = body.as_bytes();
    let mut out = String::with_capacity(body.len());
    let mut i = 0;
    let at = |i: usize| (base.saturating_add(i)) as u64;
    while let Some(rest) = body.get(i..) {
        let Some(bs) = rest.find('\\') else {
            out.push_str(rest);
            break;
        };
        out.push_str(rest.get(..bs).unwrap_or(""));
        i += bs;
        let Some(&e) = s.get(i + 1) else {
            return Err(Error::format(STRUCTURE, at(i), "unterminated escape"));
        };
        let simple = match e {
            b'\n' => Some(None),
            b'\\' => Some(Some('\\')),
            b'\'' => Some(Some('\'')),
            b'"' => Some(Some('"')),
            b'a' => Some(Some('\x07')),
            b'b' => Some(Some('\x08')),
            b'f' => Some(Some('\x0c')),
            b'n' => Some(Some('\n')),
            b'r' => Some(Some('\r')),
            b't' => Some(Some('\t')),
            b'v' => Some(Some('\x0b')),
            _ => None,
        };
        if let Some(ch) = simple {
            out.extend(ch);
            i += 2;
            continue;
        }
        let (cp, used) = match e {
            b'0'..=b'7' => {
                let (v, n) = octal(s, i + 1);
                (v, 1 + n)
            }
            b'x' | b'u' | b'U' => {
                let n = match e {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let v = hex_n(s, i + 2, n).ok_or_else(|| {
                    Error::format(
                        STRUCTURE,
                        at(i),
                        "truncated \\xXX / \\uXXXX / \\UXXXXXXXX escape",
                    )
                })?;
                (v, 2 + n)
            }
            b'N' => {
                return Err(Error::unsupported(
                    "Python literal: \\N{...} escapes",
                    Some(at(i)),
                ))
            }
            b'\r' if s.get(i + 2) == Some(&b'\n') => {
                i += 3;
                continue;
            }
            _ => {
                // Unknown escapes keep the backslash (Python only warns).
                out.push('\\');
                i += 1;
                continue;
            }
        };
        let ch = match char::from_u32(cp) {
            Some(c) => c,
            None if (0xD800..0xE000).contains(&cp) => {
                return Err(Error::unsupported(
                    "Python literal: lone surrogate in str",
                    Some(at(i)),
                ))
            }
            None => {
                return Err(Error::format(
                    STRUCTURE,
                    at(i),
                    "illegal Unicode character in escape",
                ))
            }
        };
        out.push(ch);
        i += used;
    }
    Ok(out)
}

/// Decodes the escapes of a bytes literal body (ASCII only, as Python requires).
fn decode_bytes_escapes(body: &str, base: usize) -> Result<Vec<u8>> {
    let s = body.as_bytes();
    let at = |i: usize| (base.saturating_add(i)) as u64;
    if let Some(p) = s.iter().position(|b| !b.is_ascii()) {
        return Err(Error::format(
            STRUCTURE,
            at(p),
            "bytes can only contain ASCII literal characters",
        ));
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let Some(&e) = s.get(i + 1) else {
            return Err(Error::format(STRUCTURE, at(i), "unterminated escape"));
        };
        let simple = match e {
            b'\n' => Some(None),
            b'\\' => Some(Some(b'\\')),
            b'\'' => Some(Some(b'\'')),
            b'"' => Some(Some(b'"')),
            b'a' => Some(Some(7)),
            b'b' => Some(Some(8)),
            b'f' => Some(Some(12)),
            b'n' => Some(Some(b'\n')),
            b'r' => Some(Some(b'\r')),
            b't' => Some(Some(b'\t')),
            b'v' => Some(Some(11)),
            _ => None,
        };
        if let Some(b) = simple {
            out.extend(b);
            i += 2;
            continue;
        }
        match e {
            b'0'..=b'7' => {
                let (v, n) = octal(s, i + 1);
                let b = u8::try_from(v).map_err(|_| {
                    Error::unsupported(
                        "Python literal: octal escape above \\377 in bytes",
                        Some(at(i)),
                    )
                })?;
                out.push(b);
                i += 1 + n;
            }
            b'x' => {
                let v = hex_n(s, i + 2, 2)
                    .ok_or_else(|| Error::format(STRUCTURE, at(i), "truncated \\xXX escape"))?;
                out.push(u8::try_from(v).unwrap_or(0));
                i += 4;
            }
            b'\r' if s.get(i + 2) == Some(&b'\n') => i += 3,
            _ => {
                // Unknown escapes (including \u in bytes) keep the backslash.
                out.push(b'\\');
                i += 1;
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Printer
// ---------------------------------------------------------------------------------------------

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
        PyValue::Dict(entries) => {
            out.push('{');
            for (n, (k, val)) in entries.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                write_repr(k, out);
                out.push_str(": ");
                write_repr(val, out);
            }
            out.push('}');
        }
        PyValue::Numpy(n) => match (n.ty, n.value.as_ref()) {
            (NumpyType::Bool, PyValue::Bool(true)) => out.push_str("np.True_"),
            (NumpyType::Bool, PyValue::Bool(false)) => out.push_str("np.False_"),
            (NumpyType::Float32, PyValue::Float(f)) => {
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
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        write_repr(item, out);
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

/// Python's `repr(float)`: shortest round-trip digits, e.g. `0.1`, `1.0`, `1e-05`, `1e+16`,
/// `-0.0`, `inf`, `nan`.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let (neg, digits, exp) = split_sci(&format!("{x:e}"));
    // CPython's float_repr_style 'short': scientific when decpt <= -4 or decpt > 16.
    format_shortest(neg, &digits, exp, !(-4..=15).contains(&exp))
}

/// numpy's repr of a float32 value inside `np.float32(…)`: shortest float32 digits, positional
/// for magnitudes in [1e-4, 1e6), scientific otherwise (`1e+06`, `1e-04`).
pub fn float32_repr(x: f32) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
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

#[cfg(test)]
mod tests {
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
            PyValue::Numpy(NumpyScalar::new(NumpyType::Float64, PyValue::Float(0.25)).unwrap())
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
}
