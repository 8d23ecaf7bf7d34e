//! The recursive-descent parser behind [`super::parse`]: tokens, escapes and the numpy and
//! datetime constructor forms, each refusal a typed error with its byte offset.

use crate::error::{Error, Result};

use super::*;

/// Recursive-descent state over the literal's bytes.
pub(super) struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: u32,
}

impl<'a> Parser<'a> {
    /// The whole text as one expression (what `eval` accepts).
    pub(super) fn whole(text: &'a str) -> Result<PyValue> {
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

    fn err(&self, reason: impl Into<std::borrow::Cow<'static, str>>) -> Error {
        Error::format(STRUCTURE, self.pos as u64, reason)
    }

    /// After an item of a bracketed list: `,` (more may follow: false) or `close` (consumed:
    /// true); anything else is the error `expected`.
    fn after_item(&mut self, close: u8, expected: &'static str) -> Result<bool> {
        self.skip_ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(false)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(true)
            }
            _ => Err(self.err(expected)),
        }
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
        self.each_item(end, "expected ',' or a closing bracket", |p| {
            items.push(p.expr()?);
            Ok(())
        })?;
        Ok(items)
    }

    /// Comma-separated items up to `end` (trailing comma allowed), each read by `item`;
    /// consumes `end`. `expected` words a missing separator.
    fn each_item(
        &mut self,
        end: u8,
        expected: &'static str,
        mut item: impl FnMut(&mut Self) -> Result<()>,
    ) -> Result<()> {
        loop {
            self.skip_ws();
            if self.peek() == Some(end) {
                self.pos += 1;
                return Ok(());
            }
            item(self)?;
            if self.after_item(end, expected)? {
                return Ok(());
            }
        }
    }

    fn dict(&mut self) -> Result<PyValue> {
        self.pos += 1;
        self.open()?;
        let mut entries: Vec<(PyValue, PyValue)> = Vec::new();
        self.each_item(b'}', "expected ',' or '}'", |p| {
            let key_at = p.pos;
            let key = p.expr()?;
            p.skip_ws();
            if p.peek() != Some(b':') {
                return Err(p.unsupported("set displays"));
            }
            p.pos += 1;
            let value = p.expr()?;
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
            Ok(())
        })?;
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
        if ty == NumpyType::Number(DType::Bool) {
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
        self.each_item(b')', "expected ',' or ')'", |p| {
            let save = p.pos;
            let id = p.ident();
            p.skip_ws();
            if !id.is_empty() && p.peek() == Some(b'=') && p.peek_at(1) != Some(b'=') {
                return Err(p.unsupported(&format!("keyword argument {id}=")));
            }
            p.pos = save;
            args.push(p.expr()?);
            Ok(())
        })?;
        self.close();
        Ok(args)
    }

    fn number(&mut self) -> Result<PyValue> {
        let start = self.pos;
        let int_len = super::skip_digits(self.b, &mut self.pos);
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            is_float = true;
            let frac = super::skip_digits(self.b, &mut self.pos);
            if int_len == 0 && frac == 0 {
                return Err(Error::format(STRUCTURE, start as u64, "invalid syntax '.'"));
            }
        }
        match super::exponent(self.b, self.pos) {
            super::Exponent::Absent => {}
            super::Exponent::NoDigits => return Err(self.err("invalid float exponent")),
            super::Exponent::End(end) => {
                self.pos = end;
                is_float = true;
            }
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
        ty: NumpyType::Number(DType::Bool),
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
