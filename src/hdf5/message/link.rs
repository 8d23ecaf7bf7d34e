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
use super::{bad, named, text, version};
use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
use crate::limits::Limits;

use super::datatype::CharSet;

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
            let flags_at = c.addr();
            let flags = c.u8()?;
            if flags & !0x1F != 0 {
                return Err(Error::Format(
                    c.err_at(flags_at, format!("unknown link flags {flags:#x}")),
                ));
            }
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
