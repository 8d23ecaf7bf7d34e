//! Values and datatypes as `dump --json` writes them: h5py's shortest float text, nested
//! arrays, hex/SHA-256 for bytes, the contract's type objects.

use serde_json::{json, Map, Value as J};
use sha2::{Digest, Sha256};

use crate::hdf5::message::datatype::{ByteOrder, CharSet, Datatype, StringPadding};
use crate::hdf5::read::element::class_name;
use crate::hdf5::read::memory_type;
use crate::hdf5::read::value::{is_bool_enum, read_uint, sign_extend};
use crate::hdf5::read::Value;

use super::{element_json, LONG_TEXT};

pub(super) fn nest(dt: &Datatype, vals: &[Value], shape: &[u64]) -> J {
    match shape.split_first() {
        None => vals.first().map_or(J::Null, |v| element_json(dt, v)),
        Some((&d, rest)) => {
            let inner: usize = rest.iter().product::<u64>() as usize;
            J::Array(
                (0..d as usize)
                    .map(|i| {
                        let s = (i * inner).min(vals.len());
                        let e = (s + inner).min(vals.len());
                        nest(dt, &vals[s..e], rest)
                    })
                    .collect(),
            )
        }
    }
}

/// A float as JSON: shortest decimal at its own precision; NaN/inf as strings.
pub fn float_json(v: f64) -> J {
    float_json_as(v, ["NaN", "Infinity", "-Infinity"])
}

/// A float as JSON, NaN, +inf and -inf spelled as the strings given (JSON has no such numbers).
pub fn float_json_as(v: f64, [nan, inf, neg_inf]: [&str; 3]) -> J {
    if v.is_nan() {
        J::String(nan.into())
    } else if v.is_infinite() {
        J::String(if v > 0.0 { inf } else { neg_inf }.into())
    } else {
        serde_json::Number::from_f64(v).map_or(J::Null, J::Number)
    }
}

/// The shortest decimal that reads back as the same value at `bits` precision, ties going
/// to the even digit as numpy's Dragon4 does (Rust's shortest printer rounds ties up).
pub(super) fn shortest(v: f64, bits: u8) -> f64 {
    let same = |x: f64| match bits {
        32 => (x as f32).to_bits() == (v as f32).to_bits(),
        16 => {
            crate::hdf5::read::value::f16_from_f64(x) == crate::hdf5::read::value::f16_from_f64(v)
        }
        _ => x.to_bits() == v.to_bits(),
    };
    if bits >= 64 {
        return v;
    }
    // Fixed-precision formatting of the exact value is correctly rounded, half to even.
    for p in 0..17 {
        if let Ok(x) = format!("{:.*e}", p, v).parse::<f64>() {
            if same(x) {
                return x;
            }
        }
    }
    v
}

pub(super) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(super) fn sha_hex(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

/// A value as JSON, per the contract.
pub fn value_json(v: &Value) -> J {
    match v {
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::Float { v, bits } => float_json(if v.is_finite() {
            shortest(*v, *bits)
        } else {
            *v
        }),
        Value::Bool(b) => J::Bool(*b),
        Value::Bitfield(u) => json!(u),
        Value::Enum { value, .. } => json!(value),
        Value::FixedString(b) => {
            if b.len() > LONG_TEXT {
                json!({"bytes_len": b.len(), "bytes_sha256": sha_hex(b), "bytes_prefix_hex": hex(&b[..32])})
            } else {
                let mut m = Map::new();
                m.insert("bytes_hex".into(), J::String(hex(b)));
                if let Ok(t) = std::str::from_utf8(b) {
                    m.insert("text".into(), J::String(t.to_string()));
                }
                J::Object(m)
            }
        }
        Value::VarString(b) => {
            let s = String::from_utf8_lossy(b);
            let nchars = s.chars().count();
            if nchars > LONG_TEXT {
                let prefix: String = s.chars().take(32).collect();
                json!({"str_len": nchars, "utf8_sha256": sha_hex(s.as_bytes()), "str_prefix": prefix})
            } else {
                J::String(s.into_owned())
            }
        }
        Value::Compound(members) => J::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), value_json(v)))
                .collect(),
        ),
        Value::Complex { re, im, bits } => J::Array(vec![
            float_json(if re.is_finite() {
                shortest(*re, *bits)
            } else {
                *re
            }),
            float_json(if im.is_finite() {
                shortest(*im, *bits)
            } else {
                *im
            }),
        ]),
        Value::Array(vs) | Value::Sequence(vs) => J::Array(vs.iter().map(value_json).collect()),
        Value::Opaque(b) => json!({"hex": hex(b)}),
        Value::Reference(_) => J::Null,
    }
}

pub(super) fn order_str(o: ByteOrder) -> &'static str {
    match o {
        ByteOrder::LittleEndian => "LE",
        ByteOrder::BigEndian => "BE",
    }
}

/// A character set's names: ours (`dump --json`, h5py's) and the HDF5 constant (HSDS).
pub fn cset_names(c: CharSet) -> (&'static str, &'static str) {
    match c {
        CharSet::Ascii => ("ascii", "H5T_CSET_ASCII"),
        CharSet::Utf8 => ("utf-8", "H5T_CSET_UTF8"),
    }
}

/// A string padding's names: ours (`dump --json`) and the HDF5 constant (HSDS).
pub fn pad_names(p: StringPadding) -> (&'static str, &'static str) {
    match p {
        StringPadding::NullTerminate => ("nullterm", "H5T_STR_NULLTERM"),
        StringPadding::NullPad => ("nullpad", "H5T_STR_NULLPAD"),
        StringPadding::SpacePad => ("spacepad", "H5T_STR_SPACEPAD"),
    }
}

/// A datatype as JSON, per the contract.
pub fn type_json(dt: &Datatype) -> J {
    match dt {
        Datatype::FixedPoint {
            size,
            order,
            signed,
            ..
        } => {
            json!({"class": "integer", "size": size, "order": order_str(*order), "signed": signed})
        }
        Datatype::FloatingPoint { size, order, .. } | Datatype::Bitfield { size, order, .. } => {
            json!({"class": class_name(dt), "size": size, "order": order_str(*order)})
        }
        Datatype::String {
            size,
            padding,
            charset,
        } => {
            json!({"class": "string", "size": size, "vlen": false, "cset": cset_names(*charset).0, "strpad": pad_names(*padding).0})
        }
        Datatype::VarLenString {
            padding, charset, ..
        } => {
            json!({"class": "string", "size": 8, "vlen": true, "cset": cset_names(*charset).0, "strpad": pad_names(*padding).0})
        }
        Datatype::Enum {
            size,
            base,
            members,
        } => {
            let (order, signed) = match **base {
                Datatype::FixedPoint { order, signed, .. } => (order, signed),
                _ => (ByteOrder::LittleEndian, false),
            };
            let bsize = base.size() as usize;
            let mut mm = Map::new();
            let mut members: Vec<_> = members.iter().collect();
            members.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
            for m in members {
                let raw = read_uint(&m.value, order).unwrap_or(0);
                let v = if signed {
                    json!(sign_extend(raw, bsize))
                } else {
                    json!(raw)
                };
                mm.insert(m.name.clone(), v);
            }
            let _ = is_bool_enum(dt);
            json!({"class": "enum", "size": size, "members": mm, "base": type_json(base)})
        }
        Datatype::Compound { members, .. } => {
            // h5py's (memory) layout: variable-length and reference members resized.
            let (size, offsets) = memory_type::compound_layout(dt, members);
            let mm: Vec<J> = members
                .iter()
                .zip(offsets)
                .map(
                    |(m, offset)| json!({"name": m.name, "offset": offset, "type": type_json(&m.datatype)}),
                )
                .collect();
            json!({"class": "compound", "size": size, "members": mm})
        }
        Datatype::Array { dims, base, .. } => {
            json!({"class": "array", "size": memory_type::memory_size(dt), "dims": dims, "base": type_json(base)})
        }
        Datatype::VarLenSequence { base, .. } => {
            json!({"class": "vlen", "size": 16, "base": type_json(base)})
        }
        Datatype::Opaque { size, tag } => json!({"class": "opaque", "size": size, "tag": tag}),
        Datatype::Time { size, .. } => json!({"class": "time", "size": size}),
        Datatype::Reference { .. } => {
            json!({"class": "reference", "size": memory_type::memory_size(dt)})
        }
        Datatype::Complex { size, base } => {
            json!({"class": "complex", "size": size, "base": type_json(base)})
        }
    }
}
