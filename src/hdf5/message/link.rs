//! Link message (0x6), spec IV.A.2.g. Version 1.
//!
//! Layout (version 1): flags (bits 0-1 width of the name length 1/2/4/8, bit 2 creation
//! order present, bit 3 link type present, bit 4 charset present), link type u8 (bit 3;
//! hard otherwise), creation order u64 (bit 2), charset u8 (bit 4), name length, name (no
//! NUL), link information: hard = address; soft = u16 length + path; external (64) = u16
//! length + version/flags byte + file NUL + path NUL; other user types (>= 64) kept raw.
//!
//! Refused: other versions, unknown flag bits, empty names, reserved link types 2-63.

use super::datatype::charset;
use super::{bad, known_flags, named, text, version};
use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
use crate::limits::Limits;

use super::datatype::CharSet;
use crate::hdf5::encoder::{usage, Encoder, Sizes};

/// Where a link points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// Object header address.
    Hard(u64),
    /// Path in the same file.
    Soft(String),
    /// Object in another file.
    External {
        /// File name.
        file: String,
        /// Object path in that file.
        path: String,
    },
    /// A user-defined link type (>= 64), kept raw.
    UserDefined {
        /// Link type.
        link_type: u8,
        /// Raw link information.
        data: Vec<u8>,
    },
}

/// A decoded link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkMessage {
    /// Link name (decoded as UTF-8).
    pub name: String,
    /// Name character set.
    pub charset: CharSet,
    /// Creation order, when stored.
    pub creation_order: Option<u64>,
    /// Target.
    pub target: LinkTarget,
}

impl LinkMessage {
    /// Decode a Link message (from an object header or a dense-storage heap object).
    pub fn parse(c: &mut Cursor<'_>, _limits: &Limits) -> Result<Self> {
        named(c, "link message", |c| {
            version(c, &[1])?;
            let flags = known_flags(c, 0x1F, "link")?;
            let type_at = c.addr();
            let link_type = if flags & 0x08 != 0 { c.u8()? } else { 0 };
            let creation_order = if flags & 0x04 != 0 {
                Some(c.u64()?)
            } else {
                None
            };
            let cs_at = c.addr();
            let cs = if flags & 0x10 != 0 { c.u8()? } else { 0 };
            let charset = charset(c, cs.into(), cs_at)?;
            let len_at = c.addr();
            let name_len = c.uint(1 << (flags & 3))?;
            if name_len == 0 || name_len > c.remaining() as u64 {
                return Err(Error::Format(
                    c.err_at(len_at, format!("link name length {name_len}")),
                ));
            }
            let name = String::from_utf8_lossy(c.bytes(name_len as usize)?).into_owned();
            let target = match link_type {
                0 => LinkTarget::Hard(c.offset()?),
                1 => {
                    let n = c.u16()? as usize;
                    LinkTarget::Soft(String::from_utf8_lossy(c.bytes(n)?).into_owned())
                }
                64 => {
                    let n = c.u16()? as usize;
                    let mut info = c.split(n)?;
                    let vf = info.u8()?;
                    if vf != 0 {
                        return Err(bad(&info, format!("external link version/flags {vf:#x}")));
                    }
                    let file = text(super::cstring(&mut info)?);
                    let path = text(super::cstring(&mut info)?);
                    LinkTarget::External { file, path }
                }
                t if t >= 64 => {
                    let n = c.u16()? as usize;
                    LinkTarget::UserDefined {
                        link_type: t,
                        data: c.bytes(n)?.to_vec(),
                    }
                }
                t => {
                    return Err(Error::Format(
                        c.err_at(type_at, format!("reserved link type {t}")),
                    ))
                }
            };
            Ok(LinkMessage {
                name,
                charset,
                creation_order,
                target,
            })
        })
    }
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// Link message body (version 1) of a hard link `name` → object header `addr`. Names
/// that are not ASCII are marked UTF-8.
pub fn encode_link(s: Sizes, name: &[u8], addr: u64) -> Result<Vec<u8>> {
    encode_link_ordered(s, name, addr, None)
}

/// Link message body of a soft link `name` → `target` (a path in the same file).
pub fn encode_soft_link(name: &[u8], target: &str) -> Result<Vec<u8>> {
    let n = u16::try_from(target.len()).map_err(|_| usage("soft link target of 64 KiB or more"))?;
    let mut info = Encoder::new();
    info.u16(n).bytes(target.as_bytes());
    encode_link_as(name, Some(1), None, info.as_bytes())
}

/// Link message body of an external link `name` → object `path` in file `file`.
pub fn encode_external_link(name: &[u8], file: &str, path: &str) -> Result<Vec<u8>> {
    if file.contains('\0') || path.contains('\0') {
        return Err(usage("NUL in an external link"));
    }
    let mut v = Encoder::new();
    // Version/flags, then both names NUL-terminated.
    v.u8(0)
        .bytes(file.as_bytes())
        .u8(0)
        .bytes(path.as_bytes())
        .u8(0);
    let n = u16::try_from(v.pos()).map_err(|_| usage("external link of 64 KiB or more"))?;
    let mut info = Encoder::new();
    info.u16(n).bytes(v.as_bytes());
    encode_link_as(name, Some(64), None, info.as_bytes())
}

/// Link message body: `name`, the link type (`None`: hard), the creation order (groups
/// tracking it), then the link information.
fn encode_link_as(
    name: &[u8],
    link_type: Option<u8>,
    corder: Option<u64>,
    info: &[u8],
) -> Result<Vec<u8>> {
    let nb = name;
    if nb.is_empty() {
        return Err(usage("empty link name"));
    }
    let utf8 = !name.is_ascii();
    let (width, code) = if nb.len() < 256 {
        (1, 0u8)
    } else if nb.len() < 65536 {
        (2, 1u8)
    } else {
        return Err(usage("link name of 64 KiB or more"));
    };
    let flags = code
        | if corder.is_some() { 0x04 } else { 0 }
        | if link_type.is_some() { 0x08 } else { 0 }
        | if utf8 { 0x10 } else { 0 };
    let mut e = Encoder::new();
    e.u8(1).u8(flags);
    if let Some(t) = link_type {
        e.u8(t);
    }
    if let Some(c) = corder {
        e.u64(c);
    }
    if utf8 {
        e.u8(1);
    }
    e.uint(nb.len() as u64, width).bytes(nb).bytes(info);
    Ok(e.finish())
}

/// [`encode_link`] with a creation order (flag bit 2; groups tracking creation order).
pub fn encode_link_ordered(
    s: Sizes,
    name: &[u8],
    addr: u64,
    corder: Option<u64>,
) -> Result<Vec<u8>> {
    let mut e = Encoder::sized(s);
    e.offset(addr);
    encode_link_as(name, None, corder, e.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::message::link::{LinkMessage, LinkTarget};
    use crate::hdf5::message::test_util::*;

    #[test]
    fn hard_soft_external() {
        // h5py libver='latest' (real bytes).
        #[rustfmt::skip]
        let hard = [
            0x01,           // version 1
            0x00,           // flags: 1-byte name length, hard link
            0x02,           // name length 2
            b'e', b'a',     // "ea"
            0xb3, 0, 0, 0, 0, 0, 0, 0, // object header address 179
        ];
        let l = decode::<LinkMessage>(&hard).unwrap();
        assert_eq!(
            (l.name.as_str(), l.target, l.creation_order),
            ("ea", LinkTarget::Hard(179), None)
        );
        #[rustfmt::skip]
        let soft = [
            0x01,           // version 1
            0x08,           // flags: link type present
            0x01,           // link type 1 (soft)
            0x04,           // name length 4
            b's', b'o', b'f', b't', // "soft"
            0x03, 0x00,     // target length 3
            b'/', b'e', b'a', // "/ea"
        ];
        assert_eq!(
            decode::<LinkMessage>(&soft).unwrap().target,
            LinkTarget::Soft("/ea".into())
        );
        #[rustfmt::skip]
        let ext = [
            0x01, 0x08,     // version 1, flags: link type present
            0x40, 0x03,     // link type 64 (external), name length 3
            b'e', b'x', b't', // "ext"
            0x0d, 0x00,     // info length 13
            0x00,           // version/flags
            b'o', b't', b'h', b'e', b'r', b'.', b'h', b'5', 0, // "other.h5"
            b'/', b'x', 0,  // "/x"
        ];
        assert_eq!(
            decode::<LinkMessage>(&ext).unwrap().target,
            LinkTarget::External {
                file: "other.h5".into(),
                path: "/x".into()
            }
        );
    }

    #[test]
    fn soft_and_external_encode_as_parsed() {
        let s = encode_soft_link(b"soft", "/ea").unwrap();
        let l = decode::<LinkMessage>(&s).unwrap();
        assert_eq!(
            (l.name.as_str(), l.target),
            ("soft", LinkTarget::Soft("/ea".into()))
        );
        let e = encode_external_link("é".as_bytes(), "other.h5", "/x").unwrap();
        let l = decode::<LinkMessage>(&e).unwrap();
        assert_eq!(
            (l.name.as_str(), l.charset, l.target),
            (
                "é",
                CharSet::Utf8,
                LinkTarget::External {
                    file: "other.h5".into(),
                    path: "/x".into()
                }
            )
        );
        assert!(encode_external_link(b"x", "a\0b", "/").is_err());
    }

    #[test]
    fn creation_order_charset_wide_length() {
        #[rustfmt::skip]
        let b = [
            0x01,                   // version 1
            0x15,                   // flags: 2-byte length (1), creation order (4), charset (16)
            7, 0, 0, 0, 0, 0, 0, 0, // creation order 7
            0x01,                   // charset UTF-8
            0x02, 0x00,             // name length 2
            0xc3, 0xa9,             // "é"
            0x10, 0, 0, 0, 0, 0, 0, 0, // address 16
        ];
        let l = decode::<LinkMessage>(&b).unwrap();
        assert_eq!(
            (l.name.as_str(), l.charset, l.creation_order),
            ("é", CharSet::Utf8, Some(7))
        );
        #[rustfmt::skip]
        let user = [
            0x01, 0x08,             // version 1, link type present
            0x41,                   // link type 65 (user-defined)
            0x01, b'u',             // name "u"
            0x02, 0x00, 0xaa, 0xbb, // 2 raw bytes
        ];
        assert_eq!(
            decode::<LinkMessage>(&user).unwrap().target,
            LinkTarget::UserDefined {
                link_type: 65,
                data: vec![0xaa, 0xbb]
            }
        );
    }

    #[test]
    fn rejects() {
        assert_eq!(
            format_at(decode::<LinkMessage>(&[0x02, 0x00])),
            ("link message", BASE)
        );
        assert_eq!(format_at(decode::<LinkMessage>(&[0x01, 0x20])).1, BASE + 1);
        // Reserved link type 5.
        assert_eq!(
            format_at(decode::<LinkMessage>(&[0x01, 0x08, 0x05, 0x01, b'x'])).1,
            BASE + 2
        );
        // Empty name; name longer than the message.
        assert_eq!(
            format_at(decode::<LinkMessage>(&[0x01, 0x00, 0x00])).1,
            BASE + 2
        );
        assert!(decode::<LinkMessage>(&[0x01, 0x00, 0x09, b'x']).is_err());
        // Reserved charset; truncated address.
        assert!(
            decode::<LinkMessage>(&[0x01, 0x10, 0x07, 0x01, b'x', 0, 0, 0, 0, 0, 0, 0, 0]).is_err()
        );
        assert!(decode::<LinkMessage>(&[0x01, 0x00, 0x01, b'x', 0, 0]).is_err());
        // External info without its NULs.
        assert!(
            decode::<LinkMessage>(&[0x01, 0x08, 0x40, 0x01, b'x', 0x02, 0x00, 0x00, b'f']).is_err()
        );
    }

    #[test]
    #[rustfmt::skip]
    fn link_messages_bytes() {
        let b = encode_link(Sizes::default(), b"ab", 0x60).unwrap();
        assert_eq!(b, vec![
            1,                      // version 1
            0x00,                   // flags: 1-byte name length, hard link, ASCII
            2,                      // name length
            b'a', b'b',             // name (no NUL)
            0x60, 0, 0, 0, 0, 0, 0, 0, // object header address
        ]);
        let u = encode_link(Sizes::default(), "é".as_bytes(), 8).unwrap();
        assert_eq!(u, vec![
            1,                      // version 1
            0x10,                   // flags: charset present
            1,                      // charset UTF-8
            2,                      // name length
            0xc3, 0xa9,             // "é"
            8, 0, 0, 0, 0, 0, 0, 0, // address
        ]);
        let l = decode::<LinkMessage>(&u).unwrap();
        assert_eq!((l.name.as_str(), l.target), ("é", LinkTarget::Hard(8)));
        let long = encode_link(Sizes::default(), &[b'x'; 300], 8).unwrap();
        assert_eq!(&long[..4], &[1, 0x01, 0x2c, 0x01]); // 2-byte length 300
        assert!(encode_link(Sizes::default(), b"", 8).is_err());
    }
}
