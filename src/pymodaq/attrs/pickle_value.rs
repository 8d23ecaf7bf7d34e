//! Protocol-0 pickled attribute values, as PyTables stores every attribute that is not a numpy
//! value (tuples such as `shape`, lists, dicts, `datetime`s; `pickle.dumps(value, 0)`) and as
//! PyMoDAQ 1.x-2.x files hold them (`(I11\nI21\ntp0\n.` is the tuple `(11, 21)`).
//!
//! PyTables (and so PyMoDAQ) unpickles them, which executes whatever the pickle names. Here a
//! closed grammar builds [`PyValue`]s and nothing else: the data opcodes of protocol 0 (`MARK`,
//! `INT`, `LONG`, `FLOAT`, `NONE`, `STRING`, `UNICODE`, `TUPLE`, `EMPTY_TUPLE`, `LIST`,
//! `EMPTY_LIST`, `APPEND`, `DICT`, `EMPTY_DICT`, `SETITEM`, `PUT`, `GET`, `POP`, `STOP`) plus exactly
//! three reductions recognised by shape, never called: `_codecs.encode(str, 'latin1')` (how
//! Python 3 pickles bytes at protocol 0) and `datetime.datetime|date|time(<state bytes>)` (the
//! packed state is decoded field by field and validated as the constructors do). Any other
//! `GLOBAL`, `REDUCE` shape or opcode is refused ("pickle opcode X not allowed").

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::pymodaq::attrs::pyliteral::{Date, DateTime, PyValue, Time};

const STRUCTURE: &str = "pickled attribute";
/// Nesting and stack depth cap (PyMoDAQ attributes are shallow).
const MAX_DEPTH: usize = 256;

/// What the stack holds: values, marks, and the few recognised callables.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Value(PyValue),
    Mark,
    Global(Callable),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Callable {
    CodecsEncode,
    DateTime,
    Date,
    Time,
}

/// Whether PyTables would try to unpickle this fixed-length string attribute (a non-empty
/// bytes value ending with `.`, other than `0`/`0.`).
pub fn maybe_pickled(raw: &[u8]) -> bool {
    raw.last() == Some(&b'.') && raw != b"0" && raw != b"0."
}

/// Decodes a protocol-0 pickle of a plain value. Errors: [`Error::Unsupported`] for opcodes
/// and reductions outside the grammar, [`Error::Format`] (with the byte offset) for malformed
/// input, [`Error::Limit`] beyond `limits.max_pickle` or the depth cap.
pub fn loads_value(data: &[u8], limits: &Limits) -> Result<PyValue> {
    let len = u64::try_from(data.len()).unwrap_or(u64::MAX);
    if len > limits.max_pickle {
        return Err(Error::limit("max_pickle", limits.max_pickle, len, None));
    }
    let mut p = Parser {
        data,
        pos: 0,
        stack: Vec::new(),
        memo: std::collections::HashMap::new(),
    };
    p.run()
}

struct Parser<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Item>,
    memo: std::collections::HashMap<u64, Item>,
}

impl Parser<'_> {
    fn err(&self, at: usize, why: impl Into<String>) -> Error {
        Error::format(STRUCTURE, at as u64, why.into())
    }

    /// The text up to the next newline (exclusive), advancing past it.
    fn line(&mut self) -> Result<&[u8]> {
        let start = self.pos;
        let rest = self.data.get(start..).unwrap_or(&[]);
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| self.err(start, "line without newline"))?;
        self.pos = start.saturating_add(n).saturating_add(1);
        Ok(rest.get(..n).unwrap_or(&[]))
    }

    fn push(&mut self, it: Item) -> Result<()> {
        if self.stack.len() >= MAX_DEPTH * 64 {
            return Err(Error::limit(
                "pickle stack",
                (MAX_DEPTH * 64) as u64,
                self.stack.len() as u64 + 1,
                Some(self.pos as u64),
            ));
        }
        self.stack.push(it);
        Ok(())
    }

    fn pop_value(&mut self, at: usize) -> Result<PyValue> {
        match self.stack.pop() {
            Some(Item::Value(v)) => Ok(v),
            _ => Err(self.err(at, "expected a value on the stack")),
        }
    }

    /// The items above the topmost mark (mark removed).
    fn pop_mark(&mut self, at: usize) -> Result<Vec<Item>> {
        let k = self
            .stack
            .iter()
            .rposition(|i| *i == Item::Mark)
            .ok_or_else(|| self.err(at, "no MARK on the stack"))?;
        let items = self.stack.split_off(k.saturating_add(1));
        self.stack.pop();
        Ok(items)
    }

    fn values(&self, items: Vec<Item>, at: usize) -> Result<Vec<PyValue>> {
        items
            .into_iter()
            .map(|i| match i {
                Item::Value(v) => Ok(v),
                _ => Err(self.err(at, "a callable where a value belongs")),
            })
            .collect()
    }

    fn run(&mut self) -> Result<PyValue> {
        loop {
            let at = self.pos;
            let op = *self
                .data
                .get(at)
                .ok_or_else(|| self.err(at, "no STOP opcode"))?;
            self.pos = at.saturating_add(1);
            match op {
                b'.' => {
                    let v = self.pop_value(at)?;
                    if !self.stack.is_empty() {
                        return Err(self.err(at, "values left on the stack at STOP"));
                    }
                    return Ok(v);
                }
                b'(' => self.push(Item::Mark)?,
                b'N' => self.push(Item::Value(PyValue::None))?,
                b'I' => {
                    let text = String::from_utf8_lossy(self.line()?).into_owned();
                    let v = match text.as_str() {
                        "01" => PyValue::Bool(true),
                        "00" => PyValue::Bool(false),
                        t => PyValue::int_from_decimal(t)
                            .ok_or_else(|| self.err(at, format!("INT {t:?}")))?,
                    };
                    self.push(Item::Value(v))?;
                }
                b'L' => {
                    let text = String::from_utf8_lossy(self.line()?).into_owned();
                    let t = text.strip_suffix('L').unwrap_or(&text);
                    let v = PyValue::int_from_decimal(t)
                        .ok_or_else(|| self.err(at, format!("LONG {t:?}")))?;
                    self.push(Item::Value(v))?;
                }
                b'F' => {
                    let text = String::from_utf8_lossy(self.line()?).into_owned();
                    let v = match text.as_str() {
                        "nan" => f64::NAN,
                        "inf" => f64::INFINITY,
                        "-inf" => f64::NEG_INFINITY,
                        t => t
                            .parse::<f64>()
                            .map_err(|_| self.err(at, format!("FLOAT {t:?}")))?,
                    };
                    self.push(Item::Value(PyValue::Float(v)))?;
                }
                b'V' => {
                    let raw = self.line()?.to_vec();
                    let s = raw_unicode_escape(&raw).ok_or_else(|| self.err(at, "UNICODE"))?;
                    self.push(Item::Value(PyValue::Str(s)))?;
                }
                b'S' => {
                    // Python 2 str: a quoted repr; Python 3 unpickles it as str (ASCII).
                    let raw = self.line()?.to_vec();
                    let s = py2_string(&raw).ok_or_else(|| self.err(at, "STRING"))?;
                    self.push(Item::Value(PyValue::Str(s)))?;
                }
                b')' => self.push(Item::Value(PyValue::Tuple(Vec::new())))?,
                b']' => self.push(Item::Value(PyValue::List(Vec::new())))?,
                b'}' => self.push(Item::Value(PyValue::Dict(Vec::new())))?,
                b't' => {
                    let items = self.pop_mark(at)?;
                    let v = self.values(items, at)?;
                    self.push(Item::Value(PyValue::Tuple(v)))?;
                }
                b'l' => {
                    let items = self.pop_mark(at)?;
                    let v = self.values(items, at)?;
                    self.push(Item::Value(PyValue::List(v)))?;
                }
                b'd' => {
                    let items = self.pop_mark(at)?;
                    let v = self.values(items, at)?;
                    let d = pairs(v).ok_or_else(|| self.err(at, "DICT with an odd item count"))?;
                    self.push(Item::Value(PyValue::Dict(d)))?;
                }
                b'a' => {
                    let v = self.pop_value(at)?;
                    match self.stack.last_mut() {
                        Some(Item::Value(PyValue::List(l))) => l.push(v),
                        _ => return Err(self.err(at, "APPEND without a list")),
                    }
                }
                b's' => {
                    let v = self.pop_value(at)?;
                    let k = self.pop_value(at)?;
                    match self.stack.last_mut() {
                        Some(Item::Value(PyValue::Dict(d))) => set_item(d, k, v),
                        _ => return Err(self.err(at, "SETITEM without a dict")),
                    }
                }
                b'p' => {
                    let text = String::from_utf8_lossy(self.line()?).into_owned();
                    let k: u64 = text.parse().map_err(|_| self.err(at, "PUT index"))?;
                    let top = self
                        .stack
                        .last()
                        .cloned()
                        .ok_or_else(|| self.err(at, "PUT on an empty stack"))?;
                    if self.memo.len() >= MAX_DEPTH * 64 {
                        return Err(Error::limit(
                            "pickle memo",
                            (MAX_DEPTH * 64) as u64,
                            0,
                            None,
                        ));
                    }
                    self.memo.insert(k, top);
                }
                b'g' => {
                    let text = String::from_utf8_lossy(self.line()?).into_owned();
                    let k: u64 = text.parse().map_err(|_| self.err(at, "GET index"))?;
                    let it = self
                        .memo
                        .get(&k)
                        .cloned()
                        .ok_or_else(|| self.err(at, format!("GET {k}: no such memo entry")))?;
                    self.push(it)?;
                }
                b'0' => {
                    self.stack
                        .pop()
                        .ok_or_else(|| self.err(at, "POP on an empty stack"))?;
                }
                b'c' => {
                    let module = String::from_utf8_lossy(self.line()?).into_owned();
                    let name = String::from_utf8_lossy(self.line()?).into_owned();
                    let c = match (module.as_str(), name.as_str()) {
                        ("_codecs", "encode") => Callable::CodecsEncode,
                        ("datetime", "datetime") => Callable::DateTime,
                        ("datetime", "date") => Callable::Date,
                        ("datetime", "time") => Callable::Time,
                        _ => {
                            return Err(Error::unsupported(
                                format!("pickled attribute: global {module}.{name} not allowed"),
                                Some(at as u64),
                            ))
                        }
                    };
                    self.push(Item::Global(c))?;
                }
                b'R' => {
                    let args = self.pop_value(at)?;
                    let PyValue::Tuple(args) = args else {
                        return Err(self.err(at, "REDUCE arguments are not a tuple"));
                    };
                    let Some(Item::Global(c)) = self.stack.pop() else {
                        return Err(Error::unsupported(
                            "pickled attribute: REDUCE of something other than an allowed global",
                            Some(at as u64),
                        ));
                    };
                    let v = reduce(c, &args).ok_or_else(|| {
                        Error::unsupported(
                            format!("pickled attribute: {c:?} with arguments {args:?}"),
                            Some(at as u64),
                        )
                    })?;
                    self.push(Item::Value(v))?;
                }
                other => {
                    return Err(Error::unsupported(
                        format!("pickle opcode 0x{other:02x} not allowed in an attribute"),
                        Some(at as u64),
                    ))
                }
            }
        }
    }
}

fn pairs(v: Vec<PyValue>) -> Option<Vec<(PyValue, PyValue)>> {
    if !v.len().is_multiple_of(2) {
        return None;
    }
    let mut out: Vec<(PyValue, PyValue)> = Vec::with_capacity(v.len() / 2);
    let mut it = v.into_iter();
    while let (Some(k), Some(val)) = (it.next(), it.next()) {
        set_item(&mut out, k, val);
    }
    Some(out)
}

fn set_item(d: &mut Vec<(PyValue, PyValue)>, k: PyValue, v: PyValue) {
    if let Some(e) = d.iter_mut().find(|(ek, _)| *ek == k) {
        e.1 = v;
    } else {
        d.push((k, v));
    }
}

/// The recognised reductions, computed from their arguments (nothing is called).
fn reduce(c: Callable, args: &[PyValue]) -> Option<PyValue> {
    match (c, args) {
        (Callable::CodecsEncode, [PyValue::Str(s), PyValue::Str(enc)]) if enc == "latin1" => {
            let mut b = Vec::with_capacity(s.len());
            for ch in s.chars() {
                b.push(u8::try_from(u32::from(ch)).ok()?);
            }
            Some(PyValue::Bytes(b))
        }
        (Callable::Date, [PyValue::Bytes(b)]) => date_state(b).map(PyValue::Date),
        (Callable::Time, [PyValue::Bytes(b)]) => match b.as_slice() {
            [h, m, s, u0, u1, u2] => time_state(*h, *m, *s, *u0, *u1, *u2).map(PyValue::Time),
            _ => None,
        },
        (Callable::DateTime, [PyValue::Bytes(b)]) => match b.as_slice() {
            [y0, y1, mo, d, h, m, s, u0, u1, u2] => {
                let date = date_state(&[*y0, *y1, *mo, *d])?;
                let time = time_state(*h, *m, *s, *u0, *u1, *u2)?;
                Some(PyValue::DateTime(DateTime { date, time }))
            }
            _ => None,
        },
        _ => None,
    }
}

/// `datetime.date` state: year (2 bytes big-endian), month, day.
fn date_state(b: &[u8]) -> Option<Date> {
    match b {
        [y0, y1, mo, d] => Date::new(
            i128::from(u16::from_be_bytes([*y0, *y1])),
            i128::from(*mo),
            i128::from(*d),
        ),
        _ => None,
    }
}

/// `datetime.time` state: hour (its high bit is `fold`), minute, second, microsecond (3 bytes BE).
fn time_state(h: u8, m: u8, s: u8, u0: u8, u1: u8, u2: u8) -> Option<Time> {
    let us = (u32::from(u0) << 16) | (u32::from(u1) << 8) | u32::from(u2);
    Time::new(
        i128::from(h & 0x7f),
        i128::from(m),
        i128::from(s),
        i128::from(us),
    )
}

/// Python's `raw-unicode-escape` decoding: bytes are Latin-1 code points, except `\uXXXX` and
/// `\UXXXXXXXX` escapes.
fn raw_unicode_escape(raw: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut i = 0usize;
    while let Some(&b) = raw.get(i) {
        if b == b'\\' {
            let n = match raw.get(i + 1) {
                Some(b'u') => 4,
                Some(b'U') => 8,
                _ => 0,
            };
            if n > 0 {
                let hex = raw.get(i + 2..i + 2 + n)?;
                let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                out.push(char::from_u32(code)?);
                i += 2 + n;
                continue;
            }
        }
        out.push(char::from(b));
        i += 1;
    }
    Some(out)
}

/// A Python 2 `STRING` argument: `'...'` or `"..."` with the escapes `repr` writes.
fn py2_string(raw: &[u8]) -> Option<String> {
    let q = *raw.first()?;
    if !(q == b'\'' || q == b'"') || raw.len() < 2 || raw.last() != Some(&q) {
        return None;
    }
    let body = raw.get(1..raw.len() - 1)?;
    let mut out = String::with_capacity(body.len());
    let mut i = 0usize;
    while let Some(&b) = body.get(i) {
        if b != b'\\' {
            out.push(char::from(b));
            i += 1;
            continue;
        }
        let e = *body.get(i + 1)?;
        i += 2;
        match e {
            b'n' => out.push('\n'),
            b't' => out.push('\t'),
            b'r' => out.push('\r'),
            b'\\' => out.push('\\'),
            b'\'' => out.push('\''),
            b'"' => out.push('"'),
            b'x' => {
                let hex = body.get(i..i + 2)?;
                let v = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                out.push(char::from(v));
                i += 2;
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(b: &[u8]) -> Result<PyValue> {
        loads_value(b, &Limits::default())
    }

    #[test]
    fn tuples_lists_dicts() {
        assert_eq!(
            l(b"(I11\nI21\ntp0\n.").unwrap(),
            PyValue::Tuple(vec![PyValue::Int(11), PyValue::Int(21)])
        );
        assert_eq!(l(b"(t.").unwrap(), PyValue::Tuple(vec![]));
        assert_eq!(
            l(b"(lp0\nI1\naF2.5\naVa\np1\na.").unwrap(),
            PyValue::List(vec![
                PyValue::Int(1),
                PyValue::Float(2.5),
                PyValue::Str("a".into())
            ])
        );
        assert_eq!(
            l(b"(dp0\nVa\np1\nI1\ns.").unwrap(),
            PyValue::Dict(vec![(PyValue::Str("a".into()), PyValue::Int(1))])
        );
        assert_eq!(
            l(b"(I01\nI00\ntp0\n.").unwrap(),
            PyValue::Tuple(vec![PyValue::Bool(true), PyValue::Bool(false)])
        );
        assert_eq!(l(b"N.").unwrap(), PyValue::None);
        assert_eq!(l(b"I-3\n.").unwrap(), PyValue::Int(-3));
        assert_eq!(
            l(b"L1180591620717411303424L\n.").unwrap(),
            PyValue::Int(1180591620717411303424)
        );
        assert_eq!(l(b"V\xe9\np0\n.").unwrap(), PyValue::Str("é".into()));
        assert_eq!(l(b"S'a\\'b'\np0\n.").unwrap(), PyValue::Str("a'b".into()));
    }

    #[test]
    fn datetimes_and_bytes_by_shape() {
        let dt = l(b"cdatetime\ndatetime\np0\n(c_codecs\nencode\np1\n(V\x07\xe4\x05\x18\\u000a47\\u0000\\u0000\\u0000\np2\nVlatin1\np3\ntp4\nRp5\ntp6\nRp7\n.").unwrap();
        assert_eq!(
            crate::pymodaq::attrs::repr(&dt),
            "datetime.datetime(2020, 5, 24, 10, 52, 55)"
        );
        let dt = l(b"cdatetime\ndatetime\np0\n(c_codecs\nencode\np1\n(V\x07\xe4\x05\x18\\u000a47\x01\xe2@\np2\nVlatin1\np3\ntp4\nRp5\ntp6\nRp7\n.").unwrap();
        assert_eq!(
            crate::pymodaq::attrs::repr(&dt),
            "datetime.datetime(2020, 5, 24, 10, 52, 55, 123456)"
        );
        let d = l(b"cdatetime\ndate\np0\n(c_codecs\nencode\np1\n(V\x07\xe4\x05\x18\np2\nVlatin1\np3\ntp4\nRp5\ntp6\nRp7\n.").unwrap();
        assert_eq!(
            crate::pymodaq::attrs::repr(&d),
            "datetime.date(2020, 5, 24)"
        );
        let b = l(b"c_codecs\nencode\np0\n(Vab\\u0000\np1\nVlatin1\np2\ntp3\nRp4\n.").unwrap();
        assert_eq!(b, PyValue::Bytes(b"ab\x00".to_vec()));
    }

    #[test]
    fn anything_else_is_refused() {
        assert!(matches!(
            l(b"cos\nsystem\n(Vls\ntR."),
            Err(Error::Unsupported { .. })
        ));
        // an allowed global with a wrong argument shape is not called either
        assert!(matches!(
            l(b"cdatetime\ndatetime\n(I1\ntR."),
            Err(Error::Unsupported { .. })
        ));
        assert!(matches!(
            l(b"\x80\x04K\x01."),
            Err(Error::Unsupported { .. })
        ));
        assert!(matches!(l(b"(I1\n"), Err(Error::Format(_))));
        assert!(matches!(l(b"t."), Err(Error::Format(_))));
        assert!(matches!(l(b"g7\n."), Err(Error::Format(_))));
        // an invalid date is refused, as the constructor would raise
        assert!(
            l(b"cdatetime\ndate\n(c_codecs\nencode\n(V\x07\xe4\x0d\x18\nVlatin1\ntRtR.").is_err()
        );
        assert!(maybe_pickled(b"(I1\ntp0\n."));
        assert!(!maybe_pickled(b"0."));
        assert!(!maybe_pickled(b"abc"));
    }
}
