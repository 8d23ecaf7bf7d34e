//! Attribute message (0xC), spec IV.A.2.m. Versions 1-3.
//!
//! v1: version, reserved, name size u16 (with NUL), datatype size u16, dataspace size u16,
//! name, datatype, dataspace (each padded to 8), data. v2: flags byte instead of reserved
//! (bit 0 shared datatype, bit 1 shared dataspace), no padding. v3: as v2 plus a name
//! charset byte after the dataspace size. Data = elements × datatype size bytes.
//!
//! A shared (committed) datatype is resolved by the caller of [`AttributeMessage::parse_with`].
//! Refused: other versions, shared dataspaces (unsupported), data larger than the
//! message or than `Limits::max_attribute_size` (limit error).

use super::datatype::charset;
use super::{bad, known_flags, named, pad8, text, version};
use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
use crate::limits::Limits;

use super::dataspace::Dataspace;
use super::datatype::{CharSet, Datatype};
use crate::hdf5::encoder;
use crate::hdf5::encoder::{usage, Encoder};

/// A decoded attribute message: name, type, space and raw value bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeMessage {
    /// Message version.
    pub version: u8,
    /// Attribute name (decoded as UTF-8 whatever the charset says).
    pub name: String,
    /// Name character set (v3), ASCII otherwise.
    pub name_charset: CharSet,
    /// Element type.
    pub datatype: Datatype,
    /// Shape.
    pub dataspace: Dataspace,
    /// Raw value bytes (elements × type size; vlen elements are heap descriptors).
    pub data: Vec<u8>,
    /// Absolute file address of `data[0]` (for error offsets).
    pub data_at: u64,
}

/// The next field of `n` bytes as a bounded sub-cursor; v1 fields are padded to 8 bytes.
fn field<'a>(c: &mut Cursor<'a>, v: u8, n: usize) -> Result<Cursor<'a>> {
    let sub = c.split(n)?;
    if v == 1 {
        let padded = pad8(n).ok_or_else(|| bad(c, "size overflow"))?;
        c.skip(padded - n)?;
    }
    Ok(sub)
}

/// A resolver of shared encodings that refuses them, naming `what`.
fn refuse<T>(what: &'static str) -> impl FnMut(&[u8], u64) -> Result<T> {
    move |_, at| Err(Error::unsupported(what, Some(at)))
}

impl AttributeMessage {
    /// Decode an Attribute message (from an object header or a dense-storage heap object).
    pub fn parse(c: &mut Cursor<'_>, limits: &Limits) -> Result<Self> {
        Self::parse_with(
            c,
            limits,
            &mut refuse("shared datatype or dataspace in attribute"),
        )
    }

    /// [`AttributeMessage::parse`], a shared (committed) datatype being resolved by
    /// `shared_type(encoding, address of the encoding)`.
    pub fn parse_with(
        c: &mut Cursor<'_>,
        limits: &Limits,
        shared_type: &mut dyn FnMut(&[u8], u64) -> Result<super::datatype::Datatype>,
    ) -> Result<Self> {
        Self::parse_shared(
            c,
            limits,
            shared_type,
            &mut refuse("shared dataspace in attribute"),
        )
    }

    /// [`AttributeMessage::parse_with`], a shared dataspace (in the shared-message heap)
    /// being resolved by `shared_space(encoding, address of the encoding)`.
    pub fn parse_shared(
        c: &mut Cursor<'_>,
        limits: &Limits,
        shared_type: &mut dyn FnMut(&[u8], u64) -> Result<super::datatype::Datatype>,
        shared_space: &mut dyn FnMut(&[u8], u64) -> Result<super::dataspace::Dataspace>,
    ) -> Result<Self> {
        named(c, "attribute message", |c| {
            let v = version(c, &[1, 2, 3])?;
            // Version 1 has a reserved byte there.
            let flags = if v >= 2 {
                known_flags(c, 0x03, "attribute")?
            } else {
                c.u8()?
            };
            let name_size = c.u16()? as usize;
            let type_size = c.u16()? as usize;
            let space_size = c.u16()? as usize;
            let name_charset = if v == 3 {
                let at = c.addr();
                let cs = c.u8()?;
                charset(c, cs.into(), at)?
            } else {
                super::datatype::CharSet::Ascii
            };
            if name_size == 0 {
                return Err(bad(c, "attribute name size 0"));
            }
            let name = text(field(c, v, name_size)?.all());
            let mut tc = field(c, v, type_size)?;
            let datatype = if v >= 2 && flags & 0x01 != 0 {
                let at = tc.addr();
                shared_type(tc.all(), at)?
            } else {
                super::datatype::Datatype::parse(&mut tc, limits)?
            };
            let mut sc = field(c, v, space_size)?;
            let dataspace = if v >= 2 && flags & 0x02 != 0 {
                let at = sc.addr();
                shared_space(sc.all(), at)?
            } else {
                super::dataspace::Dataspace::parse(&mut sc, limits)?
            };
            let data_at = c.addr();
            let n = dataspace
                .num_elements()
                .and_then(|n| n.checked_mul(datatype.size()))
                .ok_or_else(|| bad(c, "attribute data size overflows"))?;
            if n > limits.max_attribute_size {
                return Err(Error::limit(
                    "max_attribute_size",
                    limits.max_attribute_size,
                    n,
                    Some(data_at),
                ));
            }
            if n > c.remaining() as u64 {
                return Err(bad(
                    c,
                    format!("attribute data of {n} bytes, {} left", c.remaining()),
                ));
            }
            let data = c.bytes(n as usize)?.to_vec();
            Ok(AttributeMessage {
                version: v,
                name,
                name_charset,
                datatype,
                dataspace,
                data,
                data_at,
            })
        })
    }
}

/// Name of an encoded attribute message (versions 1-3), without the terminating NUL and
/// without decoding the rest: how the writer finds attributes in a header it edits.
pub fn attribute_name(body: &[u8]) -> Option<&[u8]> {
    let version = *body.first()?;
    let n = usize::from(u16::from_le_bytes(body.get(2..4)?.try_into().ok()?));
    let start: usize = match version {
        1 | 2 => 8,
        3 => 9,
        _ => return None,
    };
    let name = body.get(start..start.checked_add(n)?)?;
    Some(name.strip_suffix(&[0]).unwrap_or(name))
}

/// The shared encodings an attribute message holds in place of its datatype and dataspace
/// (versions 2 and 3, flags bits 0 and 1): (message type, encoding). Deleting the message
/// drops one reference to each. Pure; empty when `body` is too short.
pub fn shared_parts(body: &[u8]) -> Vec<(u16, &[u8])> {
    let (Some(&v), Some(&flags)) = (body.first(), body.get(1)) else {
        return Vec::new();
    };
    let size = |at: usize| {
        let b: [u8; 2] = body.get(at..at + 2)?.try_into().ok()?;
        Some(usize::from(u16::from_le_bytes(b)))
    };
    let (Some(name), Some(dt), Some(ds)) = (size(2), size(4), size(6)) else {
        return Vec::new();
    };
    let start = match v {
        2 => 8,
        3 => 9,
        _ => return Vec::new(),
    };
    let dt_at = start + name;
    let ds_at = dt_at + dt;
    let mut out = Vec::new();
    if flags & 0x01 != 0 {
        out.extend(
            body.get(dt_at..dt_at + dt)
                .map(|e| (super::kind::DATATYPE, e)),
        );
    }
    if flags & 0x02 != 0 {
        out.extend(
            body.get(ds_at..ds_at + ds)
                .map(|e| (super::kind::DATASPACE, e)),
        );
    }
    out
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// Encode an Attribute message v1 body (unpadded after the value). Refuses bodies of 64 KiB or more (they cannot be
/// stored in a v1 object header; truncating would lose data).
pub fn encode_attribute(name: &str, dt: &[u8], space: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    let name_size = name.len().saturating_add(1);
    let total = 8usize
        .saturating_add(encoder::pad8(name_size))
        .saturating_add(encoder::pad8(dt.len()))
        .saturating_add(encoder::pad8(space.len()))
        .saturating_add(encoder::pad8(data.len()));
    // Messages over 64 KiB go to dense storage (fractal heap); only the name, datatype
    // and dataspace sizes are 16-bit fields.
    if name_size > usize::from(u16::MAX)
        || dt.len() > usize::from(u16::MAX)
        || space.len() > usize::from(u16::MAX)
    {
        return Err(usage(format!(
            "attribute {name:?}: name, datatype or dataspace description of 64 KiB or more"
        )));
    }
    let mut e = Encoder::with_capacity(total);
    e.u8(1)
        .u8(0)
        .u16(name_size as u16)
        .u16(dt.len() as u16)
        .u16(space.len() as u16);
    // Version 1: name (NUL-terminated), datatype and dataspace each padded to 8 (the
    // parts start 8-aligned, so padding the whole keeps each one's).
    e.bytes(name.as_bytes()).u8(0).pad8();
    // The value is not padded: object headers pad their messages (v1 to 8), dense storage
    // holds them as they are.
    e.bytes(dt).pad8().bytes(space).pad8().bytes(data);
    Ok(e.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::cursor::Sizes;
    use crate::hdf5::encoder::pad8;
    use crate::hdf5::message::dataspace::Dataspace;
    use crate::hdf5::message::dataspace::DataspaceKind;
    use crate::hdf5::message::datatype::{encode_datatype, types};
    use crate::hdf5::message::datatype::{CharSet, Datatype, StringPadding};
    use crate::hdf5::message::test_util::*;
    use crate::limits::Limits;

    /// PyTables CLASS = "GROUP" on the root group: attribute v1 (real bytes).
    #[rustfmt::skip]
    const CLASS_V1: [u8; 40] = [
        0x01,                   // version 1
        0x00,                   // reserved
        0x06, 0x00,             // name size 6 (with NUL)
        0x08, 0x00,             // datatype size 8
        0x08, 0x00,             // dataspace size 8
        b'C', b'L', b'A', b'S', b'S', 0, 0, 0, // "CLASS", padded to 8
        0x13, 0x10, 0x00, 0x00, 5, 0, 0, 0,    // string, null-term, UTF-8, size 5
        0x01, 0x00, 0x00, 0x00, 0, 0, 0, 0,    // dataspace v1 scalar
        b'G', b'R', b'O', b'U', b'P',          // data (5 bytes, no NUL)
        0, 0, 0,                // message padding
    ];

    #[test]
    fn v1_string() {
        let a = decode::<AttributeMessage>(&CLASS_V1).unwrap();
        assert_eq!(
            (a.version, a.name.as_str(), a.name_charset),
            (1, "CLASS", CharSet::Ascii)
        );
        assert_eq!(
            a.datatype,
            Datatype::String {
                size: 5,
                padding: StringPadding::NullTerminate,
                charset: CharSet::Utf8
            }
        );
        assert_eq!(a.dataspace.kind, DataspaceKind::Scalar);
        assert_eq!((a.data.as_slice(), a.data_at), (&b"GROUP"[..], BASE + 32));
    }

    #[test]
    fn v1_null_title() {
        // PyTables empty TITLE: 1-byte string with a v2 NULL dataspace, no data (real bytes).
        #[rustfmt::skip]
        let b = [
            0x01, 0x00,             // version 1, reserved
            0x06, 0x00,             // name size 6
            0x08, 0x00,             // datatype size 8
            0x04, 0x00,             // dataspace size 4 (padded to 8)
            b'T', b'I', b'T', b'L', b'E', 0, 0, 0, // "TITLE"
            0x13, 0x10, 0x00, 0x00, 1, 0, 0, 0,    // string, size 1
            0x02, 0x00, 0x00, 0x02, 0, 0, 0, 0,    // dataspace v2 NULL + padding
        ];
        let a = decode::<AttributeMessage>(&b).unwrap();
        assert_eq!((a.dataspace.kind, a.data.len()), (DataspaceKind::Null, 0));
    }

    #[test]
    fn v3_vlen_string() {
        // h5py libver='latest' attrs["vs"] = "héllo" (real bytes).
        #[rustfmt::skip]
        let b = [
            0x03,                   // version 3
            0x00,                   // flags
            0x03, 0x00,             // name size 3
            0x14, 0x00,             // datatype size 20
            0x04, 0x00,             // dataspace size 4
            0x00,                   // name charset ASCII
            b'v', b's', 0,          // "vs" (not padded)
            0x19, 0x01, 0x01, 0x00, 16, 0, 0, 0,   // vlen string, UTF-8, size 16
            0x10, 0x00, 0x00, 0x00, 1, 0, 0, 0, 0, 0, 8, 0, // base u8
            0x02, 0x00, 0x00, 0x00,                // dataspace v2 scalar
            6, 0, 0, 0,                            // vlen: 6 bytes
            0x5c, 0x08, 0, 0, 0, 0, 0, 0,          // global heap collection 2140
            1, 0, 0, 0,                            // object index 1
        ];
        let a = decode::<AttributeMessage>(&b).unwrap();
        assert_eq!(a.name, "vs");
        assert!(a.datatype.is_variable_length());
        assert_eq!((a.data.len(), a.data_at), (16, BASE + 36));
    }

    #[test]
    fn rejects() {
        assert_eq!(
            format_at(decode::<AttributeMessage>(&[0x04, 0x00])),
            ("attribute message", BASE)
        );
        // Data shorter than elements x size.
        assert!(decode::<AttributeMessage>(&CLASS_V1[..35]).is_err());
        // Shared datatype (v2 flags bit 0): unsupported by plain `parse`; `parse_with`
        // hands the encoding (here a v2 shared message) to its resolver.
        #[rustfmt::skip]
        let shared = [
            0x02, 0x01,             // version 2, flags: shared datatype
            0x02, 0x00, 0x0a, 0x00, 0x08, 0x00, // sizes: name 2, type 10, space 8
            b'a', 0,                // name
            0x02, 0x02, 0x20, 0, 0, 0, 0, 0, 0, 0, // shared message v2: address 0x20
            0x01, 0x00, 0x00, 0x00, 0, 0, 0, 0, // dataspace v1 scalar
        ];
        assert!(is_unsupported(&decode::<AttributeMessage>(&shared)));
        let mut seen = Vec::new();
        let r = AttributeMessage::parse_with(&mut cur(&shared), &Limits::default(), &mut |e, _| {
            seen.extend_from_slice(e);
            Err(Error::Usage("stop".into()))
        });
        assert!(matches!(r, Err(Error::Usage(_))));
        assert_eq!(seen, &shared[10..20]);
        // Datatype size field larger than the message.
        let mut long = CLASS_V1;
        long[4] = 0xf0;
        assert!(decode::<AttributeMessage>(&long).is_err());
        // Bad embedded datatype: reported under the datatype's name, at its offset.
        let mut bad_type = CLASS_V1;
        bad_type[16] = 0x0c;
        assert_eq!(
            format_at(decode::<AttributeMessage>(&bad_type)),
            ("datatype message", BASE + 16)
        );
        // Over the attribute-size cap.
        let l = Limits {
            max_attribute_size: 4,
            ..Limits::default()
        };
        assert!(is_limit(
            &AttributeMessage::parse(&mut cur(&CLASS_V1), &l),
            "max_attribute_size"
        ));
    }

    #[test]
    fn attribute_over_64k_encoded_name_refused() {
        let dt = encode_datatype(&types::fixed_str(70_000, CharSet::Utf8)).unwrap();
        let sp = Dataspace::scalar()
            .encode(crate::hdf5::cursor::Sizes::default())
            .unwrap();
        let b = encode_attribute("big", &dt, &sp, &vec![b'x'; 70_003]).unwrap();
        // Name, datatype and dataspace padded to 8, the value not (headers pad).
        assert_eq!(b.len(), 8 + 8 + pad8(dt.len()) + pad8(sp.len()) + 70_003);
        let e = encode_attribute(&"n".repeat(70_000), &dt, &sp, b"x").unwrap_err();
        assert!(e.to_string().contains("64 KiB"), "{e}");
    }

    #[test]
    fn attribute_parses_back() {
        use crate::hdf5::message::attribute::AttributeMessage;
        let dt = encode_datatype(&types::int(8, true)).unwrap();
        let sp = Dataspace::scalar()
            .encode(crate::hdf5::cursor::Sizes::default())
            .unwrap();
        let b = encode_attribute("EXTDIM", &dt, &sp, &7i64.to_le_bytes()).unwrap();
        assert_eq!(b.len() % 8, 0);
        let a = decode::<AttributeMessage>(&b).unwrap();
        assert_eq!(a.name, "EXTDIM");
        let _ = Sizes {
            offsets: 8,
            lengths: 8,
        };
    }

    /// A v3 attribute message whose datatype and dataspace are shared messages in the
    /// shared-message heap (flags 0x03): both encodings found, in type order; v1 (no
    /// sharing) and truncated bodies give none.
    #[test]
    fn shared_parts_of_attribute() {
        let dt = [3u8, 1, 1, 2, 3, 4, 5, 6, 7, 8];
        let ds = [3u8, 1, 9, 9, 9, 9, 9, 9, 9, 9];
        let mut body = vec![3, 0x03, 2, 0, 10, 0, 10, 0, 0, b'a', 0];
        body.extend_from_slice(&dt);
        body.extend_from_slice(&ds);
        assert_eq!(
            shared_parts(&body),
            vec![
                (super::super::kind::DATATYPE, &dt[..]),
                (super::super::kind::DATASPACE, &ds[..])
            ]
        );
        assert!(shared_parts(&body[..body.len() - 1]).len() == 1);
        let mut v1 = body.clone();
        v1[0] = 1;
        assert!(shared_parts(&v1).is_empty());
        assert!(shared_parts(&[3]).is_empty());
    }
}
