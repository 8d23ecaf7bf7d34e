//! HSDS JSON datatypes and values <-> our [`Datatype`] and raw element bytes.
//!
//! HSDS (h5json) spells types as `{"class": "H5T_FLOAT", "base": "H5T_IEEE_F64LE"}`, and
//! values as (nested) JSON lists, with Python's bare `NaN`/`Infinity`/`-Infinity` tokens for
//! non-finite floats. Those tokens are not JSON: [`sanitize`] turns them into strings before
//! parsing, and [`to_text`] writes them back bare in request bodies.

use serde_json::{json, Value as J};

use crate::hdf5::message::datatype::types;
use crate::hdf5::message::datatype::{
    ByteOrder, CharSet, CompoundMember, Datatype, EnumMember, StringPadding,
};
use crate::hdf5::read::value::{read_float, read_uint, sign_extend};

/// Why a type or value could not be converted.
pub type TResult<T> = std::result::Result<T, String>;

/// Deepest nesting of compound/array/vlen types accepted.
const MAX_TYPE_DEPTH: u32 = 16;

const NAN: &str = "\u{0}NaN";
const INF: &str = "\u{0}Infinity";
const NINF: &str = "\u{0}-Infinity";

/// Rewrite the bare `NaN`, `Infinity` and `-Infinity` tokens of a Python JSON text as JSON
/// strings (marked so that no real string can be mistaken for them).
pub fn sanitize(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut in_str = false;
    let mut esc = false;
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        if in_str {
            out.push(b);
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        let rest = text.get(i..).unwrap_or(&[]);
        let (tok, rep): (&[u8], &str) = if rest.starts_with(b"NaN") {
            (b"NaN", "\"\\u0000NaN\"")
        } else if rest.starts_with(b"-Infinity") {
            (b"-Infinity", "\"\\u0000-Infinity\"")
        } else if rest.starts_with(b"Infinity") {
            (b"Infinity", "\"\\u0000Infinity\"")
        } else {
            if b == b'"' {
                in_str = true;
            }
            out.push(b);
            i += 1;
            continue;
        };
        out.extend_from_slice(rep.as_bytes());
        i += tok.len();
    }
    out
}

/// A float as JSON, non-finite values as the marked strings [`to_text`] writes bare.
pub fn float_json(v: f64) -> J {
    crate::dump::float_json_as(v, [NAN, INF, NINF])
}

/// Serialize a request body, non-finite floats as Python's bare tokens (HSDS reads them).
pub fn to_text(j: &J) -> String {
    j.to_string()
        .replace("\"\\u0000NaN\"", "NaN")
        .replace("\"\\u0000-Infinity\"", "-Infinity")
        .replace("\"\\u0000Infinity\"", "Infinity")
}

fn json_float(v: &J) -> Option<f64> {
    match v {
        J::Number(n) => n.as_f64(),
        J::String(s) => match s.as_str() {
            NAN | "NaN" | "nan" => Some(f64::NAN),
            INF | "Infinity" | "inf" => Some(f64::INFINITY),
            NINF | "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        J::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

fn predefined(name: &str) -> TResult<Datatype> {
    let (order, rest) = if let Some(r) = name.strip_suffix("LE") {
        (ByteOrder::LittleEndian, r)
    } else if let Some(r) = name.strip_suffix("BE") {
        (ByteOrder::BigEndian, r)
    } else {
        return Err(format!("unknown type {name}"));
    };
    let mut dt = if let Some(bits) = rest.strip_prefix("H5T_STD_I") {
        types::int(bits_to_size(bits)?, true)
    } else if let Some(bits) = rest.strip_prefix("H5T_STD_U") {
        types::int(bits_to_size(bits)?, false)
    } else if let Some(bits) = rest.strip_prefix("H5T_IEEE_F") {
        let s = bits_to_size(bits)?;
        if !matches!(s, 2 | 4 | 8) {
            return Err(format!("unsupported float type {name}"));
        }
        types::float(s)
    } else {
        return Err(format!("unknown type {name}"));
    };
    match &mut dt {
        Datatype::FixedPoint { order: o, .. } | Datatype::FloatingPoint { order: o, .. } => {
            *o = order
        }
        _ => {}
    }
    Ok(dt)
}

fn bits_to_size(bits: &str) -> TResult<u32> {
    match bits {
        "8" => Ok(1),
        "16" => Ok(2),
        "32" => Ok(4),
        "64" => Ok(8),
        _ => Err(format!("unsupported width {bits}")),
    }
}

fn str_field<'a>(j: &'a J, k: &str) -> TResult<&'a str> {
    j.get(k)
        .and_then(J::as_str)
        .ok_or_else(|| format!("type without a string `{k}`"))
}

/// The array under key `k` (`missing` when there is none), at most `cap` of its items.
fn list<'a>(j: &'a J, k: &str, missing: &'static str, cap: usize) -> TResult<&'a [J]> {
    let a = j.get(k).and_then(J::as_array).ok_or(missing)?;
    Ok(a.get(..cap.min(a.len())).unwrap_or_default())
}

/// The datatype an HSDS type document describes.
pub fn datatype_from_json(j: &J) -> TResult<Datatype> {
    dt_from(j, 0)
}

fn dt_from(j: &J, depth: u32) -> TResult<Datatype> {
    if depth > MAX_TYPE_DEPTH {
        return Err("type nested too deeply".into());
    }
    if let J::String(name) = j {
        return predefined(name);
    }
    let class = str_field(j, "class")?;
    let base = || -> TResult<Datatype> {
        let b = j.get("base").ok_or("type without a base")?;
        dt_from(b, depth + 1)
    };
    match class {
        "H5T_INTEGER" | "H5T_FLOAT" => base(),
        "H5T_STRING" => {
            let charset = match j.get("charSet").and_then(J::as_str) {
                Some("H5T_CSET_UTF8") => CharSet::Utf8,
                _ => CharSet::Ascii,
            };
            let padding = match j.get("strPad").and_then(J::as_str) {
                Some("H5T_STR_NULLPAD") => StringPadding::NullPad,
                Some("H5T_STR_SPACEPAD") => StringPadding::SpacePad,
                _ => StringPadding::NullTerminate,
            };
            match j.get("length") {
                Some(J::String(s)) if s == "H5T_VARIABLE" => Ok(Datatype::VarLenString {
                    size: 16,
                    padding,
                    charset,
                }),
                Some(J::Number(n)) => {
                    let size = n
                        .as_u64()
                        .filter(|&s| (1..=1 << 20).contains(&s))
                        .ok_or_else(|| format!("bad string length {n}"))?;
                    Ok(Datatype::String {
                        size: size as u32,
                        padding,
                        charset,
                    })
                }
                _ => Err("string type without a length".into()),
            }
        }
        "H5T_VLEN" => Ok(Datatype::VarLenSequence {
            size: 16,
            base: Box::new(base()?),
        }),
        "H5T_ENUM" => {
            let b = base()?;
            let Datatype::FixedPoint { size, .. } = b else {
                return Err("enum over a non-integer type".into());
            };
            let mut members = Vec::new();
            for m in list(j, "members", "enum without members", 1 << 16)? {
                let name = str_field(m, "name")?.to_string();
                let v = m
                    .get("value")
                    .and_then(J::as_i64)
                    .ok_or("enum member without an integer value")?;
                let mut raw = Vec::new();
                int_bytes(&b, v as i128, &mut raw)?;
                members.push(EnumMember { name, value: raw });
            }
            Ok(Datatype::Enum {
                size,
                base: Box::new(b),
                members,
            })
        }
        "H5T_COMPOUND" => {
            let mut members = Vec::new();
            let mut offset: u64 = 0;
            for f in list(j, "fields", "compound without fields", 1 << 12)? {
                let name = str_field(f, "name")?.to_string();
                let dt = dt_from(f.get("type").ok_or("field without a type")?, depth + 1)?;
                let s = dt.size();
                members.push(CompoundMember {
                    name,
                    offset,
                    datatype: dt,
                });
                offset = offset.checked_add(s).ok_or("compound too large")?;
            }
            let size = u32::try_from(offset).map_err(|_| "compound too large")?;
            Ok(Datatype::Compound { size, members })
        }
        "H5T_ARRAY" => {
            let b = base()?;
            let dims: Vec<u64> = j
                .get("dims")
                .and_then(J::as_array)
                .ok_or("array type without dims")?
                .iter()
                .map(J::as_u64)
                .collect::<Option<_>>()
                .ok_or("array type with bad dims")?;
            if dims.is_empty() || dims.len() > 32 {
                return Err("array type with bad dims".into());
            }
            let n = dims
                .iter()
                .try_fold(b.size(), |a, &d| a.checked_mul(d))
                .filter(|&s| s <= 1 << 24)
                .ok_or("array type too large")?;
            Ok(Datatype::Array {
                size: n as u32,
                dims,
                base: Box::new(b),
            })
        }
        "H5T_OPAQUE" => {
            let size = j
                .get("size")
                .and_then(J::as_u64)
                .filter(|&s| (1..=1 << 20).contains(&s))
                .ok_or("opaque type without a size")?;
            Ok(Datatype::Opaque {
                size: size as u32,
                tag: j.get("tag").and_then(J::as_str).unwrap_or("").to_string(),
            })
        }
        // Object references (values: the referenced object's id); an image stores the
        // object's header address (snapshot.rs). Region references are refused.
        "H5T_REFERENCE" => match j.get("base").and_then(J::as_str) {
            Some("H5T_STD_REF_OBJ") => Ok(Datatype::Reference { size: 8, kind: 0 }),
            other => Err(format!("reference type {}", other.unwrap_or("?"))),
        },
        other => Err(format!("unsupported type class {other}")),
    }
}

fn order_suffix(o: ByteOrder) -> &'static str {
    match o {
        ByteOrder::LittleEndian => "LE",
        ByteOrder::BigEndian => "BE",
    }
}

fn std_float(dt: &Datatype) -> bool {
    let Datatype::FloatingPoint { size, order, .. } = dt else {
        return false;
    };
    let mut want = types::float(*size);
    if let Datatype::FloatingPoint { order: o, .. } = &mut want {
        *o = *order;
    }
    matches!(size, 2 | 4 | 8) && want == *dt
}

/// The HSDS type document of a datatype (what h5pyd sends for the same numpy dtype).
/// Bitfields (PyTables bools) become unsigned integers: HSDS has no bitfield class.
pub fn datatype_to_json(dt: &Datatype) -> TResult<J> {
    Ok(match dt {
        Datatype::FixedPoint {
            size,
            order,
            signed,
            bit_offset: 0,
            ..
        } => json!({"class": "H5T_INTEGER", "base": format!("H5T_STD_{}{}{}",
            if *signed { "I" } else { "U" }, size * 8, order_suffix(*order))}),
        Datatype::Bitfield { size: 1, order, .. } => {
            json!({"class": "H5T_INTEGER", "base": format!("H5T_STD_U8{}", order_suffix(*order))})
        }
        Datatype::FloatingPoint { size, order, .. } if std_float(dt) => {
            json!({"class": "H5T_FLOAT", "base": format!("H5T_IEEE_F{}{}", size * 8, order_suffix(*order))})
        }
        Datatype::String {
            size,
            padding,
            charset,
        } => {
            json!({"class": "H5T_STRING", "charSet": crate::dump::cset_names(*charset).1, "strPad": crate::dump::pad_names(*padding).1,
            "length": size})
        }
        Datatype::VarLenString {
            padding, charset, ..
        } => {
            json!({"class": "H5T_STRING", "charSet": crate::dump::cset_names(*charset).1, "strPad": crate::dump::pad_names(*padding).1,
            "length": "H5T_VARIABLE"})
        }
        Datatype::VarLenSequence { base, .. } => {
            json!({"class": "H5T_VLEN", "base": datatype_to_json(base)?})
        }
        Datatype::Enum { base, members, .. } => {
            let mut ms = Vec::new();
            for m in members {
                let v = int_from_bytes(base, &m.value).ok_or("enum member value")?;
                ms.push(json!({"name": m.name, "value": v}));
            }
            json!({"class": "H5T_ENUM", "base": datatype_to_json(base)?, "members": ms})
        }
        Datatype::Compound { size, members } => {
            // HSDS packs compound fields: only packed layouts round-trip.
            let mut off = 0u64;
            let mut fields = Vec::new();
            for m in members {
                if m.offset != off {
                    return Err("compound with padding (HSDS packs fields)".into());
                }
                off += m.datatype.size();
                fields.push(json!({"name": m.name, "type": datatype_to_json(&m.datatype)?}));
            }
            if off != u64::from(*size) {
                return Err("compound with padding (HSDS packs fields)".into());
            }
            json!({"class": "H5T_COMPOUND", "fields": fields})
        }
        Datatype::Array { dims, base, .. } => {
            json!({"class": "H5T_ARRAY", "dims": dims, "base": datatype_to_json(base)?})
        }
        Datatype::Complex { base, .. } => {
            let b = datatype_to_json(base)?;
            json!({"class": "H5T_COMPOUND", "fields": [{"name": "r", "type": b}, {"name": "i", "type": b}]})
        }
        Datatype::Opaque { size, tag } => json!({"class": "H5T_OPAQUE", "size": size, "tag": tag}),
        other => {
            return Err(format!(
                "no HSDS equivalent for {}",
                crate::hdf5::read::dataset::type_summary(other)
            ))
        }
    })
}

fn int_bytes(dt: &Datatype, v: i128, out: &mut Vec<u8>) -> TResult<()> {
    let (size, order) = match dt {
        Datatype::FixedPoint { size, order, .. } | Datatype::Bitfield { size, order, .. } => {
            (*size as usize, *order)
        }
        _ => return Err("not an integer type".into()),
    };
    if size == 0 || size > 8 {
        return Err("bad integer size".into());
    }
    let le = v.to_le_bytes();
    let b = le.get(..size).ok_or("bad integer size")?;
    match order {
        ByteOrder::LittleEndian => out.extend_from_slice(b),
        ByteOrder::BigEndian => out.extend(b.iter().rev()),
    }
    Ok(())
}

fn int_from_bytes(dt: &Datatype, b: &[u8]) -> Option<J> {
    // Bitfields read as unsigned integers.
    let (size, order, signed) = match *dt {
        Datatype::Bitfield { size, order, .. } => (size, order, false),
        Datatype::FixedPoint {
            size,
            order,
            signed,
            ..
        } => (size, order, signed),
        _ => return None,
    };
    let u = read_uint(b.get(..size as usize)?, order)?;
    Some(if signed {
        json!(sign_extend(u, size as usize))
    } else {
        json!(u)
    })
}

/// Append the element bytes of one JSON value of fixed-size type `dt`.
pub fn element_to_raw(dt: &Datatype, v: &J, out: &mut Vec<u8>) -> TResult<()> {
    match dt {
        Datatype::FixedPoint { .. } | Datatype::Bitfield { .. } => {
            let i: i128 = match v {
                J::Number(n) => n
                    .as_i64()
                    .map(i128::from)
                    .or_else(|| n.as_u64().map(i128::from))
                    .ok_or_else(|| format!("{n} is not an integer"))?,
                J::Bool(b) => i128::from(*b),
                other => return Err(format!("{other} is not an integer")),
            };
            int_bytes(dt, i, out)
        }
        Datatype::FloatingPoint { size, order, .. } => {
            let f = json_float(v).ok_or_else(|| format!("{v} is not a number"))?;
            let mut b = match size {
                2 => crate::hdf5::read::value::f16_from_f64(f)
                    .to_le_bytes()
                    .to_vec(),
                4 => (f as f32).to_le_bytes().to_vec(),
                8 => f.to_le_bytes().to_vec(),
                _ => return Err("bad float size".into()),
            };
            if *order == ByteOrder::BigEndian {
                b.reverse();
            }
            out.extend_from_slice(&b);
            Ok(())
        }
        Datatype::Enum { base, members, .. } => match v {
            J::String(name) => {
                let m = members
                    .iter()
                    .find(|m| &m.name == name)
                    .ok_or_else(|| format!("{name} is no member of the enum"))?;
                out.extend_from_slice(&m.value);
                Ok(())
            }
            _ => element_to_raw(base, v, out),
        },
        Datatype::String { size, .. } => {
            let s = v.as_str().ok_or_else(|| format!("{v} is not a string"))?;
            let n = *size as usize;
            let mut b: Vec<u8> = s.as_bytes().iter().take(n).copied().collect();
            b.resize(n, 0);
            out.extend_from_slice(&b);
            Ok(())
        }
        Datatype::Compound { members, .. } => {
            let vals: Vec<&J> = match v {
                J::Array(a) => a.iter().collect(),
                J::Object(o) => members
                    .iter()
                    .map(|m| o.get(&m.name).ok_or("compound value without a field"))
                    .collect::<Result<_, _>>()?,
                other => return Err(format!("{other} is not a compound value")),
            };
            if vals.len() != members.len() {
                return Err("compound value with a wrong field count".into());
            }
            for (m, x) in members.iter().zip(vals) {
                element_to_raw(&m.datatype, x, out)?;
            }
            Ok(())
        }
        Datatype::Array { dims, base, .. } => {
            let start = out.len();
            flatten(base, v, dims, out)?;
            let want = dt.size() as usize;
            if out.len() - start != want {
                return Err("array value of the wrong size".into());
            }
            Ok(())
        }
        Datatype::Complex { base, .. } => {
            let a = v
                .as_array()
                .filter(|a| a.len() == 2)
                .ok_or("complex value")?;
            for x in a {
                element_to_raw(base, x, out)?;
            }
            Ok(())
        }
        other => Err(format!(
            "values of type {} are not read from JSON",
            crate::hdf5::read::dataset::type_summary(other)
        )),
    }
}

/// Append the bytes of a JSON value of shape `dims` (nested lists; a bare element for
/// rank 0) of fixed-size type `dt`.
pub fn flatten(dt: &Datatype, v: &J, dims: &[u64], out: &mut Vec<u8>) -> TResult<()> {
    match dims.split_first() {
        None => element_to_raw(dt, v, out),
        Some((&n, rest)) => {
            let a = v
                .as_array()
                .ok_or("value is not a list of the dataspace's rank")?;
            if a.len() as u64 != n {
                return Err(format!("list of {} items where {n} were expected", a.len()));
            }
            for x in a {
                flatten(dt, x, rest, out)?;
            }
            Ok(())
        }
    }
}

/// One element's raw bytes as the JSON value HSDS expects (non-finite floats marked).
pub fn raw_to_element(dt: &Datatype, b: &[u8]) -> TResult<J> {
    let need = dt.size() as usize;
    let b = b.get(..need).ok_or("short element")?;
    Ok(match dt {
        Datatype::FixedPoint { .. } | Datatype::Bitfield { .. } => {
            int_from_bytes(dt, b).ok_or("bad integer")?
        }
        Datatype::FloatingPoint { size, order, .. } => {
            let f = if *size == 2 {
                let u = read_uint(b, *order).ok_or("bad float")?;
                f64::from(crate::hdf5::read::value::f16_to_f32(u as u16))
            } else {
                read_float(b, *order).ok_or("bad float")?
            };
            float_json(f)
        }
        Datatype::Enum { base, .. } => int_from_bytes(base, b).ok_or("bad enum")?,
        Datatype::String { padding, .. } => J::String(
            String::from_utf8_lossy(crate::hdf5::read::value::trim_fixed_string(b, *padding))
                .into_owned(),
        ),
        Datatype::Compound { members, .. } => {
            let mut a = Vec::new();
            for m in members {
                let s = m.offset as usize;
                a.push(raw_to_element(
                    &m.datatype,
                    b.get(s..).ok_or("bad member")?,
                )?);
            }
            J::Array(a)
        }
        Datatype::Array { dims, base, .. } => unflatten(base, b, dims)?,
        Datatype::Complex { base, .. } => {
            let h = base.size() as usize;
            J::Array(vec![
                raw_to_element(base, b)?,
                raw_to_element(base, b.get(h..).ok_or("bad complex")?)?,
            ])
        }
        other => {
            return Err(format!(
                "values of type {} are not sent as JSON",
                crate::hdf5::read::dataset::type_summary(other)
            ))
        }
    })
}

/// Raw bytes of shape `dims` as nested JSON lists.
pub fn unflatten(dt: &Datatype, b: &[u8], dims: &[u64]) -> TResult<J> {
    let es = dt.size() as usize;
    match dims.split_first() {
        None => raw_to_element(dt, b),
        Some((&n, rest)) => {
            let inner = rest
                .iter()
                .try_fold(es, |a, &d| a.checked_mul(d as usize))
                .ok_or("too large")?;
            let mut a = Vec::with_capacity(n.min(1 << 20) as usize);
            for i in 0..n as usize {
                let s = i.checked_mul(inner).ok_or("too large")?;
                a.push(unflatten(dt, b.get(s..).ok_or("short data")?, rest)?);
            }
            Ok(J::Array(a))
        }
    }
}

/// `dt` with every compound packed (members one after the other, no padding), as HSDS (and
/// h5pyd writing a padded NumPy dtype) stores it; `None` when `dt` is packed already.
pub fn packed(dt: &Datatype) -> Option<Datatype> {
    fn go(dt: &Datatype) -> (Datatype, bool) {
        match dt {
            Datatype::Compound { size, members } => {
                let mut off = 0u64;
                let mut changed = false;
                let mut out = Vec::with_capacity(members.len());
                for m in members {
                    let (t, c) = go(&m.datatype);
                    changed |= c || m.offset != off;
                    out.push(CompoundMember {
                        name: m.name.clone(),
                        offset: off,
                        datatype: t,
                    });
                    off = off.saturating_add(out.last().map_or(0, |m| m.datatype.size()));
                }
                changed |= off != u64::from(*size);
                (
                    Datatype::Compound {
                        size: u32::try_from(off).unwrap_or(u32::MAX),
                        members: out,
                    },
                    changed,
                )
            }
            Datatype::Array { dims, base, .. } => {
                let (b, c) = go(base);
                let n: u64 = dims.iter().product();
                (
                    Datatype::Array {
                        size: u32::try_from(n.saturating_mul(b.size())).unwrap_or(u32::MAX),
                        dims: dims.clone(),
                        base: Box::new(b),
                    },
                    c,
                )
            }
            other => (other.clone(), false),
        }
    }
    let (p, changed) = go(dt);
    changed.then_some(p)
}

/// Element bytes of `dt` (possibly padded) rewritten in [`packed`] layout, appended to `out`.
pub fn repack(dt: &Datatype, raw: &[u8], out: &mut Vec<u8>) -> TResult<()> {
    let size = usize::try_from(dt.size()).map_err(|_| "element too large")?;
    if size == 0 || !raw.len().is_multiple_of(size) {
        return Err("values are not whole elements".into());
    }
    for e in raw.chunks(size) {
        repack_one(dt, e, out)?;
    }
    Ok(())
}

fn repack_one(dt: &Datatype, e: &[u8], out: &mut Vec<u8>) -> TResult<()> {
    match dt {
        Datatype::Compound { members, .. } => {
            for m in members {
                let at = usize::try_from(m.offset).map_err(|_| "member offset")?;
                let n = usize::try_from(m.datatype.size()).map_err(|_| "member size")?;
                let b = at
                    .checked_add(n)
                    .and_then(|end| e.get(at..end))
                    .ok_or("compound member beyond its element")?;
                repack_one(&m.datatype, b, out)?;
            }
            Ok(())
        }
        Datatype::Array { base, .. } => repack(base, e, out),
        _ => {
            out.extend_from_slice(e);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn padded_compounds_pack_as_hsds_stores_them() {
        let f64le = types::float(8);
        let i8t = types::int(1, true);
        // {a: i8 @0, b: f64 @8} (NumPy's align=True): 16 bytes, 9 packed.
        let dt = Datatype::Compound {
            size: 16,
            members: vec![
                CompoundMember {
                    name: "a".into(),
                    offset: 0,
                    datatype: i8t.clone(),
                },
                CompoundMember {
                    name: "b".into(),
                    offset: 8,
                    datatype: f64le.clone(),
                },
            ],
        };
        let p = packed(&dt).expect("padded");
        assert_eq!(p.size(), 9);
        assert!(datatype_to_json(&dt).is_err() && datatype_to_json(&p).is_ok());
        let mut raw = vec![0xAAu8; 32];
        raw[0] = 7;
        raw[8..16].copy_from_slice(&1.5f64.to_le_bytes());
        raw[16] = 0xF9;
        raw[24..32].copy_from_slice(&(-2.0f64).to_le_bytes());
        let mut out = Vec::new();
        repack(&dt, &raw, &mut out).unwrap();
        let mut want = vec![7u8];
        want.extend(1.5f64.to_le_bytes());
        want.push(0xF9);
        want.extend((-2.0f64).to_le_bytes());
        assert_eq!(out, want);
        assert!(packed(&p).is_none());
        assert!(repack(&dt, &raw[..31], &mut out).is_err());
    }

    use super::*;

    #[test]
    fn python_tokens_become_marked_strings_and_back() {
        let t = br#"{"a": [1.0, NaN, -Infinity, Infinity], "s": "NaN \" Infinity"}"#;
        let j: J = serde_json::from_slice(&sanitize(t)).unwrap();
        assert_eq!(j["s"], "NaN \" Infinity");
        let dt = types::float(8);
        let mut raw = Vec::new();
        flatten(&dt, &j["a"], &[4], &mut raw).unwrap();
        let back = unflatten(&dt, &raw, &[4]).unwrap();
        assert_eq!(to_text(&back), "[1.0,NaN,-Infinity,Infinity]");
    }

    #[test]
    fn types_round_trip_through_hsds_json() {
        let docs = [
            json!({"class": "H5T_FLOAT", "base": "H5T_IEEE_F64LE"}),
            json!({"class": "H5T_INTEGER", "base": "H5T_STD_U16BE"}),
            json!({"class": "H5T_STRING", "charSet": "H5T_CSET_UTF8", "strPad": "H5T_STR_NULLTERM", "length": "H5T_VARIABLE"}),
            json!({"class": "H5T_STRING", "charSet": "H5T_CSET_ASCII", "strPad": "H5T_STR_NULLPAD", "length": 7}),
            json!({"class": "H5T_ENUM", "base": {"class": "H5T_INTEGER", "base": "H5T_STD_I8LE"}, "members": [{"name": "FALSE", "value": 0}, {"name": "TRUE", "value": 1}]}),
            json!({"class": "H5T_VLEN", "base": {"class": "H5T_INTEGER", "base": "H5T_STD_U8LE"}}),
            json!({"class": "H5T_COMPOUND", "fields": [{"name": "r", "type": {"class": "H5T_FLOAT", "base": "H5T_IEEE_F32LE"}}, {"name": "n", "type": {"class": "H5T_INTEGER", "base": "H5T_STD_I64LE"}}]}),
            json!({"class": "H5T_ARRAY", "dims": [2, 3], "base": {"class": "H5T_INTEGER", "base": "H5T_STD_I32LE"}}),
        ];
        for d in docs {
            let dt = datatype_from_json(&d).unwrap();
            assert_eq!(datatype_to_json(&dt).unwrap(), d);
        }
        assert_eq!(datatype_from_json(&json!({"class": "H5T_ENUM", "base": {"class": "H5T_INTEGER", "base": "H5T_STD_I8LE"}, "members": [{"name": "TRUE", "value": 1}]})).unwrap(), datatype_from_json(&json!({"class": "H5T_ENUM", "base": {"class": "H5T_INTEGER", "base": "H5T_STD_I8LE"}, "members": [{"name": "TRUE", "value": 1}]})).unwrap());
        assert_eq!(types::bool_enum(), datatype_from_json(&json!({"class": "H5T_ENUM", "base": {"class": "H5T_INTEGER", "base": "H5T_STD_I8LE"}, "members": [{"name": "FALSE", "value": 0}, {"name": "TRUE", "value": 1}]})).unwrap());
        assert_eq!(types::vlen_str(), datatype_from_json(&json!({"class": "H5T_STRING", "charSet": "H5T_CSET_UTF8", "strPad": "H5T_STR_NULLTERM", "length": "H5T_VARIABLE"})).unwrap());
    }

    #[test]
    fn hostile_types_are_refused() {
        let mut deep = json!({"class": "H5T_INTEGER", "base": "H5T_STD_I8LE"});
        for _ in 0..40 {
            deep = json!({"class": "H5T_VLEN", "base": deep});
        }
        for bad in [
            deep,
            json!({"class": "H5T_ARRAY", "dims": [100000, 100000], "base": "H5T_STD_I64LE"}),
            json!({"class": "H5T_STRING", "length": 0}),
            json!({"class": "H5T_STRING", "length": -3}),
            json!({"class": "H5T_FLOAT", "base": "H5T_IEEE_F128LE"}),
            json!({"class": "H5T_REFERENCE", "base": "H5T_STD_REF_DSETREG"}),
            json!(42),
            json!({"class": "H5T_ENUM", "base": {"class": "H5T_FLOAT", "base": "H5T_IEEE_F64LE"}, "members": []}),
        ] {
            assert!(datatype_from_json(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_convert_both_ways() {
        let dt = datatype_from_json(&json!({"class": "H5T_COMPOUND", "fields": [{"name": "a", "type": "H5T_STD_I16BE"}, {"name": "s", "type": {"class": "H5T_STRING", "charSet": "H5T_CSET_ASCII", "strPad": "H5T_STR_NULLPAD", "length": 3}}]})).unwrap();
        let v = json!([[-2, "ab"], [7, "xyz"]]);
        let mut raw = Vec::new();
        flatten(&dt, &v, &[2], &mut raw).unwrap();
        assert_eq!(raw, [0xff, 0xfe, b'a', b'b', 0, 0, 7, b'x', b'y', b'z']);
        assert_eq!(unflatten(&dt, &raw, &[2]).unwrap(), v);
        let mut r = Vec::new();
        assert!(flatten(&types::int(1, true), &json!([1, 2]), &[3], &mut r).is_err());
        assert!(flatten(&types::int(1, true), &json!("x"), &[], &mut r).is_err());
        let mut h = Vec::new();
        element_to_raw(&types::float(2), &json!(1.5), &mut h).unwrap();
        assert_eq!(h, 0x3e00u16.to_le_bytes());
    }
}
