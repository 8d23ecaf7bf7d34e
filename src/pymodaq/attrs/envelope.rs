//! PyMoDAQ's JSON attribute envelope (`JsonConverter.object2json` / `json2object`).
//!
//! Writing: `json.dumps({"module": type(v).__module__, "type": type(v).__name__, "data": repr(v)})`
//! with Python's defaults (separators `", "` / `": "`, `ensure_ascii=True`: every character outside
//! printable ASCII becomes `\uxxxx`, lowercase, astral characters as surrogate pairs).
//!
//! Reading mirrors `json2object` (see `pymodaq-layout.md`, section 2, rules 1-5):
//! 1. the raw attribute (str, or bytes with h5py fixed-length strings) is parsed as JSON, with
//!    Python's `json.loads` rules (unbounded ints, `NaN`/`Infinity`, last duplicate key wins);
//! 2. a JSON object whose `type` is one of the trusted names has its `data` parsed as a Python
//!    literal ([`super::pyliteral`]) — never evaluated;
//! 3. an object with another `type` is returned as the decoded dict;
//! 4. any other JSON value is returned as is;
//! 5. on any failure (bad JSON, missing `type`/`data`, literal outside the grammar) the raw
//!    attribute comes back unchanged.
//!
//! Known divergences from CPython, all falling back to rule 5 where Python would succeed: lone
//! surrogates in JSON strings, bytes input in UTF-16/UTF-32, JSON nesting deeper than
//! [`MAX_JSON_DEPTH`] (Python's own limit is its recursion limit), and literals the parser refuses
//! as unsupported (see [`super::pyliteral`]).

use crate::error::Result;
use crate::limits::Limits;

use super::pyliteral::{self, DType, NumpyType, PyValue};

/// Type names PyMoDAQ evaluates (`JsonConverter.trusted_types()`, pymodaq_utils 5.3).
pub const TRUSTED_TYPES: [&str; 11] = [
    "float", "int", "str", "datetime", "date", "time", "tuple", "list", "bool", "bytes", "float64",
];

/// Deepest JSON nesting we decode (beyond it the raw value is returned).
pub const MAX_JSON_DEPTH: u32 = 512;

/// The raw stored attribute, as the HDF5 library hands it to PyMoDAQ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawAttr {
    /// A Python str (PyTables strings, h5py variable-length strings).
    Str(String),
    /// Python bytes (h5py reading fixed-length strings).
    Bytes(Vec<u8>),
}

/// What `json2object` returns, with the rule that produced it.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// Rule 2: a trusted envelope; the value rebuilt from `data`.
    Evaluated(PyValue),
    /// Rule 3: a JSON object not evaluated (untrusted `type`, e.g. `NoneType`, `int64`), returned
    /// as the dict itself, keys in order.
    Dict(Vec<(String, PyValue)>),
    /// Rule 4: valid JSON that is not an object (`"1.0"` gives the float 1.0).
    Json(PyValue),
    /// Rule 5: the raw attribute, unchanged.
    Raw(RawAttr),
}

impl AttrValue {
    /// The Python object PyMoDAQ would hand to its caller.
    pub fn to_py(&self) -> PyValue {
        match self {
            AttrValue::Evaluated(v) | AttrValue::Json(v) => v.clone(),
            AttrValue::Dict(entries) => PyValue::Dict(
                entries
                    .iter()
                    .map(|(k, v)| (PyValue::Str(k.clone()), v.clone()))
                    .collect(),
            ),
            AttrValue::Raw(RawAttr::Str(s)) => PyValue::Str(s.clone()),
            AttrValue::Raw(RawAttr::Bytes(b)) => PyValue::Bytes(b.clone()),
        }
    }

    /// For rule-3 dicts holding a PyMoDAQ envelope: `(module, type, data)` when all three keys are
    /// strings.
    pub fn envelope(&self) -> Option<(&str, &str, &str)> {
        let AttrValue::Dict(entries) = self else {
            return None;
        };
        let get = |key: &str| {
            entries.iter().find_map(|(k, v)| match v {
                PyValue::Str(s) if k == key => Some(s.as_str()),
                _ => None,
            })
        };
        Some((get("module")?, get("type")?, get("data")?))
    }
}

/// `(type(v).__module__, type(v).__name__)` for a value.
pub fn type_of(v: &PyValue) -> (&'static str, &'static str) {
    match v {
        PyValue::None => ("builtins", "NoneType"),
        PyValue::Bool(_) => ("builtins", "bool"),
        PyValue::Int(_) | PyValue::BigInt(_) => ("builtins", "int"),
        PyValue::Float(_) => ("builtins", "float"),
        PyValue::Str(_) => ("builtins", "str"),
        PyValue::Bytes(_) => ("builtins", "bytes"),
        PyValue::Tuple(_) => ("builtins", "tuple"),
        PyValue::List(_) => ("builtins", "list"),
        PyValue::Dict(_) => ("builtins", "dict"),
        PyValue::Numpy(n) => ("numpy", n.ty.name()),
        PyValue::DateTime(_) => ("datetime", "datetime"),
        PyValue::Date(_) => ("datetime", "date"),
        PyValue::Time(_) => ("datetime", "time"),
    }
}

/// Whether `json2object` evaluates an envelope of this type name.
pub fn is_trusted(type_name: &str) -> bool {
    TRUSTED_TYPES.contains(&type_name)
}

/// The JSON text PyMoDAQ's `object2json` stores for `v`.
pub fn object2json(v: &PyValue) -> String {
    let (module, ty) = type_of(v);
    envelope_json(module, ty, &pyliteral::repr(v))
}

/// `json.dumps({"module": module, "type": type_name, "data": data})` with Python's defaults.
pub fn envelope_json(module: &str, type_name: &str, data: &str) -> String {
    let mut out = String::with_capacity(module.len() + type_name.len() + data.len() + 40);
    out.push_str("{\"module\": ");
    json_str(module, &mut out);
    out.push_str(", \"type\": ");
    json_str(type_name, &mut out);
    out.push_str(", \"data\": ");
    json_str(data, &mut out);
    out.push('}');
    out
}

/// A JSON string as Python's `json.dumps(s)` (ensure_ascii) writes it.
pub fn json_str(s: &str, out: &mut String) {
    json_string(s, true, out)
}

/// A JSON string as `json.dumps(s, ensure_ascii=...)` writes it: with `ensure_ascii`, every
/// character outside printable ASCII as `\uXXXX` (UTF-16 units); without, only controls.
pub fn json_string(s: &str, ensure_ascii: bool, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c if (ensure_ascii && !(' '..='~').contains(&c)) || (c as u32) < 0x20 => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json2object` on a str attribute. Only a [`Limits::max_pyliteral`] overrun is an error; every
/// other failure is rule 5 ([`AttrValue::Raw`]).
pub fn json2object_str(text: &str, limits: &Limits) -> Result<AttrValue> {
    pyliteral::check_len(text.len(), limits)?;
    // json.loads refuses a str starting with a BOM.
    if text.starts_with('\u{feff}') {
        return Ok(AttrValue::Raw(RawAttr::Str(text.to_string())));
    }
    Ok(decode(text, limits).unwrap_or_else(|| AttrValue::Raw(RawAttr::Str(text.to_string()))))
}

/// `json2object` on a bytes attribute (h5py fixed-length strings). `json.loads(bytes)` decodes
/// UTF-8 (a UTF-8 BOM is skipped); other encodings are not modelled and give the raw bytes.
pub fn json2object_bytes(bytes: &[u8], limits: &Limits) -> Result<AttrValue> {
    pyliteral::check_len(bytes.len(), limits)?;
    let raw = || AttrValue::Raw(RawAttr::Bytes(bytes.to_vec()));
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    // Python's detect_encoding picks UTF-16/32 when a NUL appears in the first bytes.
    if body.iter().take(4).any(|&b| b == 0)
        || body.starts_with(b"\xff\xfe")
        || body.starts_with(b"\xfe\xff")
    {
        return Ok(raw());
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return Ok(raw());
    };
    Ok(decode(text, limits).unwrap_or_else(raw))
}

/// Rules 1-4; `None` means rule 5.
fn decode(text: &str, limits: &Limits) -> Option<AttrValue> {
    let value = parse_json(text)?;
    let PyValue::Dict(entries) = value else {
        return Some(AttrValue::Json(value));
    };
    let get = |key: &str| {
        entries.iter().find_map(|(k, v)| match k {
            PyValue::Str(s) if s == key => Some(v),
            _ => None,
        })
    };
    // dic['type'] raises KeyError when absent: rule 5.
    let ty = get("type")?;
    if matches!(ty, PyValue::Str(t) if is_trusted(t)) {
        // eval() of a non-str raises TypeError, a bad literal SyntaxError/NameError: rule 5.
        let PyValue::Str(data) = get("data")? else {
            return None;
        };
        return pyliteral::parse(data, limits)
            .ok()
            .map(AttrValue::Evaluated);
    }
    let mut dict = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        match k {
            PyValue::Str(k) => dict.push((k, v)),
            _ => return None, // JSON keys are always strings
        }
    }
    Some(AttrValue::Dict(dict))
}

/// Parses JSON as Python's `json.loads` does, into Python values (object → `Dict` with `Str`
/// keys, array → `List`). `None` when Python would raise (or for lone surrogates).
pub fn parse_json(text: &str) -> Option<PyValue> {
    let mut p = Json {
        b: text.as_bytes(),
        src: text,
        pos: 0,
        depth: 0,
    };
    p.ws();
    let v = p.value()?;
    p.ws();
    (p.pos == p.b.len()).then_some(v)
}

struct Json<'a> {
    b: &'a [u8],
    src: &'a str,
    pos: usize,
    depth: u32,
}

impl Json<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// After an item of an object or array: `,` (more may follow: false) or `close`
    /// (consumed: true); `None` for anything else.
    fn after_item(&mut self, close: u8) -> Option<bool> {
        self.ws();
        match self.peek()? {
            b',' => {
                self.pos += 1;
                Some(false)
            }
            c if c == close => {
                self.pos += 1;
                Some(true)
            }
            _ => None,
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn lit(&mut self, word: &str) -> bool {
        if self
            .src
            .get(self.pos..)
            .is_some_and(|r| r.starts_with(word))
        {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<PyValue> {
        match self.peek()? {
            b'"' => self.string().map(PyValue::Str),
            b'{' => self.object(),
            b'[' => self.array(),
            b'n' if self.lit("null") => Some(PyValue::None),
            b't' if self.lit("true") => Some(PyValue::Bool(true)),
            b'f' if self.lit("false") => Some(PyValue::Bool(false)),
            b'N' if self.lit("NaN") => Some(PyValue::Float(f64::NAN)),
            b'I' if self.lit("Infinity") => Some(PyValue::Float(f64::INFINITY)),
            b'-' if self.lit("-Infinity") => Some(PyValue::Float(f64::NEG_INFINITY)),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn enter(&mut self) -> Option<()> {
        self.depth = self.depth.checked_add(1)?;
        (self.depth <= MAX_JSON_DEPTH).then_some(())
    }

    fn object(&mut self) -> Option<PyValue> {
        self.enter()?;
        self.pos += 1;
        let mut entries: Vec<(PyValue, PyValue)> = Vec::new();
        self.each_item(b'}', |p| {
            if p.peek() != Some(b'"') {
                return None;
            }
            let key = PyValue::Str(p.string()?);
            p.ws();
            if p.peek() != Some(b':') {
                return None;
            }
            p.pos += 1;
            p.ws();
            let v = p.value()?;
            // dict semantics: first position, last value.
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = v,
                None => entries.push((key, v)),
            }
            Some(())
        })?;
        self.depth -= 1;
        Some(PyValue::Dict(entries))
    }

    fn array(&mut self) -> Option<PyValue> {
        self.enter()?;
        self.pos += 1;
        let mut items = Vec::new();
        self.each_item(b']', |p| {
            items.push(p.value()?);
            Some(())
        })?;
        self.depth -= 1;
        Some(PyValue::List(items))
    }

    /// The items of an array or object up to `close` (no trailing comma, as JSON), each read
    /// by `item` after the white space before it; consumes `close`.
    fn each_item(
        &mut self,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.ws();
            item(self)?;
            if self.after_item(close)? {
                return Some(());
            }
        }
    }

    /// `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`: int when neither fraction nor exponent.
    fn number(&mut self) -> Option<PyValue> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => {
                pyliteral::skip_digits(self.b, &mut self.pos);
            }
            _ => return None,
        }
        let mut float = false;
        if self.peek() == Some(b'.') && matches!(self.b.get(self.pos + 1), Some(b'0'..=b'9')) {
            self.pos += 1;
            pyliteral::skip_digits(self.b, &mut self.pos);
            float = true;
        }
        // An exponent without digits is not taken by the regex: what follows is "extra data".
        if let pyliteral::Exponent::End(end) = pyliteral::exponent(self.b, self.pos) {
            self.pos = end;
            float = true;
        }
        let text = self.src.get(start..self.pos)?;
        if float {
            return text.parse::<f64>().ok().map(PyValue::Float);
        }
        // int() refuses more than 4300 digits (ValueError): rule 5.
        if text.trim_start_matches('-').len() > pyliteral::MAX_INT_DIGITS {
            return None;
        }
        PyValue::int_from_decimal(text)
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.src.get(self.pos..self.pos.checked_add(4)?)?;
        if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        u32::from_str_radix(h, 16).ok()
    }

    fn string(&mut self) -> Option<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = self.src.get(self.pos..)?;
            let stop = rest.find(|c: char| c == '"' || c == '\\' || c < ' ')?;
            out.push_str(rest.get(..stop)?);
            self.pos += stop;
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let e = self.peek()?;
                    self.pos += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\x08',
                        b'f' => '\x0c',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            if (0xD800..0xDC00).contains(&hi)
                                && self.src.get(self.pos..)?.starts_with("\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                                } else {
                                    // Python keeps the lone high surrogate: not representable.
                                    self.pos = save;
                                    return None;
                                }
                            } else {
                                // Lone surrogates are not representable in a Rust String.
                                char::from_u32(hi)?
                            }
                        }
                        _ => return None,
                    };
                    out.push(c);
                }
                // strict=True: control characters are not allowed inside strings.
                _ => return None,
            }
        }
    }
}

/// Whether `v` is a numpy float64 (the one numpy type PyMoDAQ trusts besides `bool`).
pub fn is_np_float64(v: &PyValue) -> bool {
    matches!(v, PyValue::Numpy(n) if n.ty == NumpyType::Number(DType::Float64))
}

/// The `{"module", "type", "data"}` strings of a dict that is an envelope PyMoDAQ surfaced
/// undecoded (an untrusted type such as `NoneType` or `int64`).
fn as_envelope(v: &PyValue) -> Option<(&str, &str, &str)> {
    let PyValue::Dict(entries) = v else {
        return None;
    };
    if entries.len() != 3 {
        return None;
    }
    let get = |key: &str| {
        entries.iter().find_map(|(k, v)| match (k, v) {
            (PyValue::Str(k), PyValue::Str(s)) if k == key => Some(s.as_str()),
            _ => None,
        })
    };
    Some((get("module")?, get("type")?, get("data")?))
}

/// The stored text of a JSON attribute: `object2json(v)`, except that an undecoded envelope
/// (what PyMoDAQ returns for untrusted types) is stored as that envelope again, so values
/// read from a PyMoDAQ file are written back as they were.
pub fn stored_json(v: &PyValue) -> String {
    match as_envelope(v) {
        Some((module, ty, data)) => envelope_json(module, ty, data),
        None => object2json(v),
    }
}

/// What PyMoDAQ's `json2object` gives back for a value it stored.
pub fn decoded_view(v: &PyValue) -> PyValue {
    if as_envelope(v).is_some() {
        return v.clone();
    }
    let (module, ty) = type_of(v);
    let json = object2json(v);
    let keep = is_trusted(ty)
        && super::pyliteral::parse(&super::pyliteral::repr(v), &crate::Limits::default()).is_ok();
    if keep {
        v.clone()
    } else if is_trusted(ty) {
        PyValue::Str(json)
    } else {
        PyValue::Dict(vec![
            (PyValue::Str("module".into()), PyValue::Str(module.into())),
            (PyValue::Str("type".into()), PyValue::Str(ty.into())),
            (
                PyValue::Str("data".into()),
                PyValue::Str(super::pyliteral::repr(v)),
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> AttrValue {
        json2object_str(s, &Limits::default()).unwrap()
    }

    #[test]
    fn encode_exact() {
        assert_eq!(
            object2json(&PyValue::Str("x".into())),
            r#"{"module": "builtins", "type": "str", "data": "'x'"}"#
        );
        assert_eq!(
            object2json(&PyValue::Str("é\"😀\x7f".into())),
            r#"{"module": "builtins", "type": "str", "data": "'\u00e9\"\ud83d\ude00\\x7f'"}"#
        );
        assert_eq!(
            object2json(&PyValue::None),
            r#"{"module": "builtins", "type": "NoneType", "data": "None"}"#
        );
        assert_eq!(
            object2json(&PyValue::Tuple(vec![PyValue::Int(5)])),
            r#"{"module": "builtins", "type": "tuple", "data": "(5,)"}"#
        );
        let mut s = String::new();
        json_str("\x00\x08\x0c\n\r\t\\/\x7f", &mut s);
        assert_eq!(s, r#""\u0000\b\f\n\r\t\\/\u007f""#);
    }

    #[test]
    fn rules() {
        // Rule 2.
        assert_eq!(
            dec(r#"{"module": "builtins", "type": "str", "data": "'x'"}"#),
            AttrValue::Evaluated(PyValue::Str("x".into()))
        );
        assert_eq!(
            dec(r#"{"module": "numpy", "type": "float64", "data": "np.float64(0.25)"}"#).to_py(),
            pyliteral::parse("np.float64(0.25)", &Limits::default()).unwrap()
        );
        // Rule 3.
        let none = dec(r#"{"module": "builtins", "type": "NoneType", "data": "None"}"#);
        assert_eq!(none.envelope(), Some(("builtins", "NoneType", "None")));
        // Rule 4.
        assert_eq!(dec("1.0"), AttrValue::Json(PyValue::Float(1.0)));
        assert_eq!(dec("2.1"), AttrValue::Json(PyValue::Float(2.1)));
        assert_eq!(dec(" true "), AttrValue::Json(PyValue::Bool(true)));
        assert!(matches!(dec("NaN"), AttrValue::Json(PyValue::Float(f)) if f.is_nan()));
        assert_eq!(
            dec("123456789012345678901234567890123456789012"),
            AttrValue::Json(PyValue::BigInt(
                "123456789012345678901234567890123456789012".into()
            ))
        );
        // Rule 5.
        let raw = |s: &str| AttrValue::Raw(RawAttr::Str(s.into()));
        for s in [
            "GROUP",
            "",
            "01",
            "1.",
            "[1,]",
            r#"{"module": "builtins", "type": "float", "data": "nan"}"#,
            r#"{"module": "builtins", "data": "1"}"#,
            r#"{"type": "int", "data": 1}"#,
            "\"a\nb\"",
            r#""\ud800""#,
        ] {
            assert_eq!(dec(s), raw(s), "{s:?}");
        }
        assert_eq!(
            json2object_bytes(b"GROUP\xff", &Limits::default()).unwrap(),
            AttrValue::Raw(RawAttr::Bytes(b"GROUP\xff".to_vec()))
        );
        assert_eq!(
            json2object_bytes(
                br#"{"module": "builtins", "type": "int", "data": "3"}"#,
                &Limits::default()
            )
            .unwrap(),
            AttrValue::Evaluated(PyValue::Int(3))
        );
        // Duplicate keys: last value wins.
        assert_eq!(
            dec(r#"{"type": "int", "data": "1", "data": "2"}"#),
            AttrValue::Evaluated(PyValue::Int(2))
        );
        let deep = format!("{}{}", "[".repeat(600), "]".repeat(600));
        assert_eq!(dec(&deep), raw(&deep));
    }

    #[test]
    fn limit() {
        let l = Limits {
            max_pyliteral: 4,
            ..Limits::default()
        };
        assert!(matches!(
            json2object_str("12345", &l),
            Err(crate::Error::Limit { .. })
        ));
    }
}
