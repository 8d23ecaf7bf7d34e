//! Pickled str rows of PyMoDAQ's Logger VLARRAY (`pymodaq-layout.md`, section 8).
//!
//! Each row holds `pickle.dumps(msg)` for a str `msg`, with the interpreter's default protocol
//! (4 on Python 3.8–3.13, 5 on 3.14+). Unpickling in general executes code, so the decoder here
//! is a tiny stack machine over an allow-list of opcodes that can only build strings:
//! `PROTO`, `FRAME`, `SHORT_BINUNICODE`, `BINUNICODE`, `BINUNICODE8`, `UNICODE` (protocol 0),
//! `MEMOIZE`, `BINPUT`, `LONG_BINPUT`, `PUT` and `STOP`. Every other opcode (`GLOBAL`,
//! `STACK_GLOBAL`, `REDUCE`, `BUILD`, `INST`, `OBJ`, `NEWOBJ`, …) is refused with
//! "pickle opcode X not allowed". Like `pickle.loads`, bytes after `STOP` are ignored.
//!
//! The encoder reproduces CPython's C pickler byte for byte for a str, protocols 0 to 5:
//! protocol ≥ 4 wraps the opcodes in a `FRAME` when the framed bytes (opcodes + `STOP`) number at
//! least 4, except that payloads of 64 KiB or more are written outside any frame.
//!
//! Caps: the input length is checked against [`Limits::max_pickle`].

use crate::error::{Error, Result};
use crate::limits::Limits;

/// Structure name used in errors.
const STRUCTURE: &str = "pickle";

/// The default protocol of Python 3.8–3.13 (what PyMoDAQ files hold today).
pub const DEFAULT_PROTOCOL: u8 = 4;
/// The highest protocol (Python 3.8+; default from 3.14).
pub const HIGHEST_PROTOCOL: u8 = 5;

/// CPython's `_FRAME_SIZE_MIN`: smaller frames are dropped.
const FRAME_SIZE_MIN: usize = 4;
/// CPython's `_FRAME_SIZE_TARGET`: payloads this large bypass framing.
const FRAME_SIZE_TARGET: usize = 64 * 1024;

// Opcodes (pickletools names).
const PROTO: u8 = 0x80;
const FRAME: u8 = 0x95;
const SHORT_BINUNICODE: u8 = 0x8c;
const BINUNICODE: u8 = b'X';
const BINUNICODE8: u8 = 0x8d;
const UNICODE: u8 = b'V';
const MEMOIZE: u8 = 0x94;
const BINPUT: u8 = b'q';
const LONG_BINPUT: u8 = b'r';
const PUT: u8 = b'p';
const STOP: u8 = b'.';

/// pickletools name of an opcode, for error messages.
fn opcode_name(op: u8) -> &'static str {
    match op {
        b'(' => "MARK",
        b'0' => "POP",
        b'1' => "POP_MARK",
        b'2' => "DUP",
        b'F' => "FLOAT",
        b'I' => "INT",
        b'J' => "BININT",
        b'K' => "BININT1",
        b'L' => "LONG",
        b'M' => "BININT2",
        b'N' => "NONE",
        b'P' => "PERSID",
        b'Q' => "BINPERSID",
        b'R' => "REDUCE",
        b'S' => "STRING",
        b'T' => "BINSTRING",
        b'U' => "SHORT_BINSTRING",
        b'a' => "APPEND",
        b'b' => "BUILD",
        b'c' => "GLOBAL",
        b'd' => "DICT",
        b'}' => "EMPTY_DICT",
        b'e' => "APPENDS",
        b'g' => "GET",
        b'h' => "BINGET",
        b'i' => "INST",
        b'j' => "LONG_BINGET",
        b'l' => "LIST",
        b']' => "EMPTY_LIST",
        b'o' => "OBJ",
        b's' => "SETITEM",
        b't' => "TUPLE",
        b')' => "EMPTY_TUPLE",
        b'u' => "SETITEMS",
        b'G' => "BINFLOAT",
        0x81 => "NEWOBJ",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        0x85 => "TUPLE1",
        0x86 => "TUPLE2",
        0x87 => "TUPLE3",
        0x88 => "NEWTRUE",
        0x89 => "NEWFALSE",
        0x8a => "LONG1",
        0x8b => "LONG4",
        b'B' => "BINBYTES",
        b'C' => "SHORT_BINBYTES",
        0x8e => "BINBYTES8",
        0x8f => "EMPTY_SET",
        0x90 => "ADDITEMS",
        0x91 => "FROZENSET",
        0x92 => "NEWOBJ_EX",
        0x93 => "STACK_GLOBAL",
        0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        _ => "unknown",
    }
}

/// Decodes a pickle holding one str (a Logger row), refusing every opcode that could do more.
///
/// Errors: [`Error::Limit`] beyond `limits.max_pickle`; [`Error::Unsupported`] for an opcode
/// outside the allow-list ("pickle opcode GLOBAL (0x63) not allowed"); [`Error::Format`]
/// (structure "pickle", byte offset in the row) for truncated or inconsistent data.
pub fn loads_str(data: &[u8], limits: &Limits) -> Result<String> {
    let len = u64::try_from(data.len()).unwrap_or(u64::MAX);
    if len > limits.max_pickle {
        return Err(Error::limit("max_pickle", limits.max_pickle, len, None));
    }
    let mut r = Reader { data, pos: 0 };
    let mut stack: Vec<String> = Vec::new();
    // The memo only needs a count: nothing allowed here reads it back.
    let mut memo_len: u64 = 0;
    loop {
        let at = r.pos;
        let op = r.u8()?;
        match op {
            PROTO => {
                let p = r.u8()?;
                if p > HIGHEST_PROTOCOL {
                    return Err(fmt_err(at, format!("unsupported pickle protocol: {p}")));
                }
            }
            FRAME => {
                let n = r.u64()?;
                // As CPython: the whole frame must be present.
                if n > r.remaining() as u64 {
                    return Err(fmt_err(at, "pickle exhausted before end of frame"));
                }
            }
            SHORT_BINUNICODE => {
                let n = u64::from(r.u8()?);
                stack.push(r.utf8(n, at)?);
            }
            BINUNICODE => {
                let n = u64::from(r.u32()?);
                stack.push(r.utf8(n, at)?);
            }
            BINUNICODE8 => {
                let n = r.u64()?;
                stack.push(r.utf8(n, at)?);
            }
            UNICODE => {
                let line = r.line(at)?;
                stack.push(raw_unicode_escape_decode(line, at)?);
            }
            MEMOIZE => {
                if stack.is_empty() {
                    return Err(fmt_err(at, "MEMOIZE on an empty stack"));
                }
                memo_len = memo_len.saturating_add(1);
            }
            BINPUT | LONG_BINPUT | PUT => {
                match op {
                    BINPUT => {
                        r.u8()?;
                    }
                    LONG_BINPUT => {
                        r.u32()?;
                    }
                    _ => {
                        let line = r.line(at)?;
                        let ok = !line.is_empty() && line.iter().all(u8::is_ascii_digit);
                        if !ok {
                            return Err(fmt_err(at, "PUT index is not a decimal number"));
                        }
                    }
                }
                if stack.is_empty() {
                    return Err(fmt_err(at, "memo store on an empty stack"));
                }
            }
            STOP => {
                let _ = memo_len;
                return stack
                    .pop()
                    .ok_or_else(|| fmt_err(at, "unpickling stack underflow"));
            }
            other => {
                return Err(Error::unsupported(
                    format!(
                        "pickle opcode {} (0x{other:02x}) not allowed",
                        opcode_name(other)
                    ),
                    Some(at as u64),
                ))
            }
        }
    }
}

fn fmt_err(at: usize, reason: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::format(STRUCTURE, at as u64, reason)
}

/// Bounded reader over the pickle bytes.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: u64) -> Result<&[u8]> {
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.remaining())
            .ok_or_else(|| fmt_err(self.pos, "pickle data was truncated"))?;
        let s = self
            .data
            .get(self.pos..self.pos + n)
            .ok_or_else(|| fmt_err(self.pos, "pickle data was truncated"))?;
        self.pos += n;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes(b.try_into().unwrap_or([0; 4])))
    }

    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    }

    fn utf8(&mut self, n: u64, at: usize) -> Result<String> {
        let b = self.take(n)?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|e| fmt_err(at, format!("str payload is not UTF-8: {e}")))
    }

    /// A `\n`-terminated argument (protocol 0), without the newline.
    fn line(&mut self, at: usize) -> Result<&[u8]> {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| fmt_err(at, "pickle data was truncated (no newline)"))?;
        let line = rest.get(..n).unwrap_or(&[]);
        self.pos += n + 1;
        Ok(line)
    }
}

/// Python's `raw_unicode_escape` decoding: bytes are Latin-1 code points, except `\uXXXX` and
/// `\UXXXXXXXX`.
fn raw_unicode_escape_decode(line: &[u8], at: usize) -> Result<String> {
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while let Some(&b) = line.get(i) {
        let width = match (b, line.get(i + 1)) {
            (b'\\', Some(b'u')) => 4,
            (b'\\', Some(b'U')) => 8,
            _ => {
                out.push(char::from(b));
                i += 1;
                continue;
            }
        };
        let hex = line
            .get(i + 2..i + 2 + width)
            .and_then(|h| std::str::from_utf8(h).ok())
            .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
            .ok_or_else(|| fmt_err(at, "truncated \\uXXXX escape in UNICODE"))?;
        let cp = u32::from_str_radix(hex, 16).map_err(|_| fmt_err(at, "bad escape in UNICODE"))?;
        let c = char::from_u32(cp)
            .ok_or_else(|| fmt_err(at, "\\Uxxxxxxxx out of range or a lone surrogate"))?;
        out.push(c);
        i += 2 + width;
    }
    Ok(out)
}

/// `pickle.dumps(s, protocol)` exactly as CPython's C pickler writes it (protocols 0–5).
///
/// Errors: [`Error::Usage`] for a protocol above 5.
pub fn dumps_str(s: &str, protocol: u8) -> Result<Vec<u8>> {
    if protocol > HIGHEST_PROTOCOL {
        return Err(Error::Usage(format!(
            "pickle protocol {protocol} does not exist (0..=5)"
        )));
    }
    let b = s.as_bytes();
    if protocol == 0 {
        let mut out = vec![UNICODE];
        raw_unicode_escape_encode(s, &mut out);
        out.extend_from_slice(b"\np0\n.");
        return Ok(out);
    }
    let mut out = Vec::with_capacity(b.len() + 24);
    if protocol >= 2 {
        out.extend_from_slice(&[PROTO, protocol]);
    }
    if protocol < 4 {
        out.push(BINUNICODE);
        // BINUNICODE cannot hold ≥ 4 GiB before protocol 4; CPython raises, so do we.
        let n = u32::try_from(b.len())
            .map_err(|_| Error::Usage("str too large for pickle protocol < 4".into()))?;
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(b);
        out.extend_from_slice(&[BINPUT, 0, STOP]);
        return Ok(out);
    }
    let mut header = Vec::with_capacity(9);
    if let Ok(n) = u8::try_from(b.len()) {
        header.extend_from_slice(&[SHORT_BINUNICODE, n]);
    } else if let Ok(n) = u32::try_from(b.len()) {
        header.push(BINUNICODE);
        header.extend_from_slice(&n.to_le_bytes());
    } else {
        header.push(BINUNICODE8);
        header.extend_from_slice(&(b.len() as u64).to_le_bytes());
    }
    if b.len() >= FRAME_SIZE_TARGET {
        // Large payloads go out unframed; the MEMOIZE + STOP frame that follows is under
        // FRAME_SIZE_MIN and is dropped too.
        out.extend_from_slice(&header);
        out.extend_from_slice(b);
        out.extend_from_slice(&[MEMOIZE, STOP]);
        return Ok(out);
    }
    let framed = header.len() + b.len() + 2;
    if framed >= FRAME_SIZE_MIN {
        out.push(FRAME);
        out.extend_from_slice(&(framed as u64).to_le_bytes());
    }
    out.extend_from_slice(&header);
    out.extend_from_slice(b);
    out.extend_from_slice(&[MEMOIZE, STOP]);
    Ok(out)
}

/// The C pickler's protocol-0 `raw_unicode_escape`: Latin-1 bytes kept raw, `\`, NUL, `\n`,
/// `\r`, `\x1a` and characters above U+00FF escaped (lowercase hex).
fn raw_unicode_escape_encode(s: &str, out: &mut Vec<u8>) {
    for c in s.chars() {
        let cp = u32::from(c);
        if cp >= 0x10000 {
            out.extend_from_slice(format!("\\U{cp:08x}").as_bytes());
        } else if cp >= 0x100 || matches!(cp, 0x5c | 0 | 0x0a | 0x0d | 0x1a) {
            out.extend_from_slice(format!("\\u{cp:04x}").as_bytes());
        } else {
            out.push(u8::try_from(cp).unwrap_or(b'?'));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loads(b: &[u8]) -> Result<String> {
        loads_str(b, &Limits::default())
    }

    #[test]
    #[rustfmt::skip]
    fn protocol4_exact() {
        let want: &[u8] = &[
            0x80, 0x04,                                     // PROTO 4
            0x95, 0x07, 0, 0, 0, 0, 0, 0, 0,                // FRAME 7
            0x8c, 0x03, b'a', b'b', b'c',                   // SHORT_BINUNICODE 'abc'
            0x94,                                           // MEMOIZE
            0x2e,                                           // STOP
        ];
        assert_eq!(dumps_str("abc", 4).unwrap(), want);
        assert_eq!(loads(want).unwrap(), "abc");
        let empty: &[u8] = &[
            0x80, 0x05,                                     // PROTO 5
            0x95, 0x04, 0, 0, 0, 0, 0, 0, 0,                // FRAME 4: framed even when empty
            0x8c, 0x00,                                     // SHORT_BINUNICODE ''
            0x94, 0x2e,                                     // MEMOIZE, STOP
        ];
        assert_eq!(dumps_str("", 5).unwrap(), empty);
        assert_eq!(loads(empty).unwrap(), "");
    }

    #[test]
    #[rustfmt::skip]
    fn long_strings() {
        let s = "x".repeat(300);
        let b = dumps_str(&s, 4).unwrap();
        assert_eq!(&b[..16], &[
            0x80, 0x04,                                     // PROTO 4
            0x95, 0x33, 0x01, 0, 0, 0, 0, 0, 0,             // FRAME 307
            0x58, 0x2c, 0x01, 0, 0,                         // BINUNICODE 300
        ]);
        assert_eq!(loads(&b).unwrap(), s);
        let s = "y".repeat(70_000);
        let b = dumps_str(&s, 4).unwrap();
        assert_eq!(&b[..7], &[
            0x80, 0x04,                                     // PROTO 4, no frame
            0x58, 0x70, 0x11, 0x01, 0x00,                   // BINUNICODE 70000
        ]);
        assert_eq!(&b[b.len() - 2..], &[0x94, 0x2e]);      // MEMOIZE, STOP
        assert_eq!(loads(&b).unwrap(), s);
    }

    #[test]
    fn old_protocols() {
        assert_eq!(dumps_str("", 0).unwrap(), b"V\np0\n.");
        assert_eq!(
            dumps_str("é\n\\", 0).unwrap(),
            b"V\xe9\\u000a\\u005c\np0\n."
        );
        assert_eq!(dumps_str("a", 1).unwrap(), b"X\x01\x00\x00\x00aq\x00.");
        assert_eq!(
            dumps_str("a", 2).unwrap(),
            b"\x80\x02X\x01\x00\x00\x00aq\x00."
        );
        for p in 0..=5 {
            for s in ["", "a", "é\n\\ 😀 \u{1a}\r\0", "a\\u1234"] {
                assert_eq!(loads(&dumps_str(s, p).unwrap()).unwrap(), s, "{p} {s:?}");
            }
        }
        assert!(matches!(dumps_str("a", 6), Err(Error::Usage(_))));
    }

    #[test]
    #[rustfmt::skip]
    fn refused() {
        // os.system('x') as pickle protocol 0 writes it: GLOBAL refused at offset 0.
        match loads(b"cos\nsystem\n(S'x'\ntR.") {
            Err(Error::Unsupported { what, at: Some(0) }) => {
                assert_eq!(what, "pickle opcode GLOBAL (0x63) not allowed")
            }
            r => panic!("{r:?}"),
        }
        let stack_global: &[u8] = &[
            0x80, 0x04,                                     // PROTO 4
            0x8c, 0x02, b'o', b's',                         // SHORT_BINUNICODE 'os'
            0x8c, 0x06, b's', b'y', b's', b't', b'e', b'm', // SHORT_BINUNICODE 'system'
            0x93,                                           // STACK_GLOBAL: refused
            0x2e,
        ];
        assert!(matches!(loads(stack_global), Err(Error::Unsupported { at: Some(14), .. })));
        for (bad, at) in [
            (&b"\x80\x04\x95\xff\0\0\0\0\0\0\0\x8c\x00\x94."[..], 2), // frame longer than data
            (&b"\x80\x04\x8c\x05ab"[..], 4),                           // truncated payload
            (&b"\x80\x04\x8c\x02ab\x94"[..], 7),                       // no STOP
            (&b"\x80\x06."[..], 0),                                    // protocol 6
            (&b"\x80\x04\x94."[..], 2),                                // MEMOIZE on empty stack
            (&b"\x80\x04."[..], 2),                                    // STOP on empty stack
            (&b"\x80\x04\x8c\x01\xff\x94."[..], 2),                    // not UTF-8
            (&b"X\xff\xff\xff\xff"[..], 5),                            // BINUNICODE len > data
        ] {
            match loads(bad) {
                Err(Error::Format(f)) => assert_eq!(f.at, at, "{bad:?}: {f}"),
                r => panic!("{bad:?}: {r:?}"),
            }
        }
        let l = Limits { max_pickle: 4, ..Limits::default() };
        assert!(matches!(loads_str(b"\x80\x04\x8c\x00\x94.", &l), Err(Error::Limit { .. })));
    }
}
