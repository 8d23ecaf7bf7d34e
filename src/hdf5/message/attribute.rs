//! Attribute message (0xC), spec IV.A.2.m. Versions 1-3.
//!
//! v1: version, reserved, name size u16 (with NUL), datatype size u16, dataspace size u16,
//! name, datatype, dataspace (each padded to 8), data. v2: flags byte instead of reserved
//! (bit 0 shared datatype, bit 1 shared dataspace), no padding. v3: as v2 plus a name
//! charset byte after the dataspace size. Data = elements × datatype size bytes.
//!
//! Refused: other versions, shared datatype/dataspace (unsupported), data larger than the
//! message or than `Limits::max_attribute_size` (limit error).

use super::datatype::charset;
use super::{bad, named, pad8, text, version};
use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
use crate::limits::Limits;

use super::dataspace::Dataspace;
use super::datatype::{CharSet, Datatype};

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

impl AttributeMessage {
    /// Decode an Attribute message (from an object header or a dense-storage heap object).
    pub fn parse(c: &mut Cursor<'_>, limits: &Limits) -> Result<Self> {
        named(c, "attribute message", |c| {
            let v = version(c, &[1, 2, 3])?;
            let flags_at = c.addr();
            let flags = c.u8()?;
            if v >= 2 {
                if flags & 0x03 != 0 {
                    return Err(Error::unsupported(
                        "shared datatype or dataspace in attribute",
                        Some(flags_at),
                    ));
                }
                if flags != 0 {
                    return Err(Error::Format(
                        c.err_at(flags_at, format!("unknown attribute flags {flags:#x}")),
                    ));
                }
            }
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
            let datatype = super::datatype::Datatype::parse(&mut tc, limits)?;
            let mut sc = field(c, v, space_size)?;
            let dataspace = super::dataspace::Dataspace::parse(&mut sc, limits)?;
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
