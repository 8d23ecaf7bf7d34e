//! Filter Pipeline message (0xB), spec IV.A.2.l. Versions 1 and 2.
//!
//! v1: version, filter count, 6 reserved bytes; each filter: id u16, name length u16,
//! flags u16, client data count u16, name (NUL-terminated, padded to 8), client data u32 each,
//! 4 padding bytes when the count is odd. v2: version, count; each filter: id u16, name length
//! u16 and name only when id >= 256, flags, count, client data, no padding.
//!
//! Refused: other versions, more than [`MAX_FILTERS`] filters, data past the message end.

use super::{bad, named, pad8, text, version};
use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
use crate::hdf5::encoder::{pad_vec, usage, Encoder};
use crate::limits::Limits;

/// Most filters in one pipeline (HDF5's `H5Z_MAX_NFILTERS`).
pub const MAX_FILTERS: u8 = 32;

/// One filter of the pipeline, in the order applied when writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterDescription {
    /// Filter identifier (1 deflate, 2 shuffle, 3 fletcher32, ...).
    pub id: u16,
    /// Name stored in the message, if any.
    pub name: Option<String>,
    /// Flags (bit 0: optional).
    pub flags: u16,
    /// Client data values.
    pub client_data: Vec<u32>,
}

/// A decoded filter pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilterPipeline {
    /// Message version.
    pub version: u8,
    /// Filters in write order.
    pub filters: Vec<FilterDescription>,
}

impl FilterPipeline {
    /// Decode a Filter Pipeline message.
    pub fn parse(c: &mut Cursor<'_>, _limits: &Limits) -> Result<Self> {
        named(c, "filter pipeline message", |c| {
            let v = version(c, &[1, 2])?;
            let n_at = c.addr();
            let n = c.u8()?;
            if n > MAX_FILTERS {
                return Err(Error::Format(
                    c.err_at(n_at, format!("{n} filters (max {MAX_FILTERS})")),
                ));
            }
            if v == 1 {
                c.skip(6)?;
            }
            let mut filters = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let id = c.u16()?;
                let name_len = if v == 1 || id >= 256 {
                    c.u16()? as usize
                } else {
                    0
                };
                let flags = c.u16()?;
                let ncd = c.u16()? as usize;
                let name = if name_len > 0 {
                    let stored = if v == 1 {
                        pad8(name_len).ok_or_else(|| bad(c, "name length overflow"))?
                    } else {
                        name_len
                    };
                    Some(text(c.bytes(stored)?))
                } else {
                    None
                };
                if ncd.saturating_mul(4) > c.remaining() {
                    return Err(bad(
                        c,
                        format!("{ncd} client data values, {} bytes left", c.remaining()),
                    ));
                }
                let mut client_data = Vec::with_capacity(ncd);
                for _ in 0..ncd {
                    client_data.push(c.u32()?);
                }
                if v == 1 && ncd % 2 == 1 {
                    c.skip(4)?;
                }
                filters.push(FilterDescription {
                    id,
                    name,
                    flags,
                    client_data,
                });
            }
            Ok(FilterPipeline {
                version: v,
                filters,
            })
        })
    }
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// Encode a Filter Pipeline message v1 body (with the library's filter names).
pub fn encode_pipeline(p: &FilterPipeline) -> Result<Vec<u8>> {
    let n = u8::try_from(p.filters.len()).map_err(|_| usage("too many filters"))?;
    let mut e = Encoder::new();
    e.u8(1).u8(n).zeros(6);
    for f in &p.filters {
        let name = match (&f.name, f.id) {
            (Some(n), _) => Some(n.clone()),
            (None, 1) => Some("deflate".to_string()),
            (None, 2) => Some("shuffle".to_string()),
            (None, 3) => Some("fletcher32".to_string()),
            _ => None,
        };
        let mut nb = name.map(|n| n.into_bytes()).unwrap_or_default();
        if !nb.is_empty() {
            nb.push(0);
            pad_vec(&mut nb);
        }
        let nlen = u16::try_from(nb.len()).map_err(|_| usage("filter name too long"))?;
        let ncd = u16::try_from(f.client_data.len()).map_err(|_| usage("too much client data"))?;
        e.u16(f.id).u16(nlen).u16(f.flags).u16(ncd).bytes(&nb);
        for c in &f.client_data {
            e.u32(*c);
        }
        if ncd % 2 == 1 {
            e.zeros(4);
        }
    }
    Ok(e.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::message::test_util::*;

    /// PyMoDAQ/PyTables default: shuffle + deflate 5, pipeline v1 (real bytes, pt.h5 /ea).
    #[rustfmt::skip]
    const PT_V1: [u8; 56] = [
        0x01,                   // version 1
        0x02,                   // 2 filters
        0, 0, 0, 0, 0, 0,       // reserved
        0x02, 0x00,             // id 2 (shuffle)
        0x08, 0x00,             // name length 8
        0x01, 0x00,             // flags: optional
        0x01, 0x00,             // 1 client data value
        b's', b'h', b'u', b'f', b'f', b'l', b'e', 0, // "shuffle"
        8, 0, 0, 0,             // cd[0] = element size 8
        0, 0, 0, 0,             // padding (odd count)
        0x01, 0x00,             // id 1 (deflate)
        0x08, 0x00,             // name length 8
        0x01, 0x00,             // flags
        0x01, 0x00,             // 1 client data value
        b'd', b'e', b'f', b'l', b'a', b't', b'e', 0, // "deflate"
        5, 0, 0, 0,             // cd[0] = level 5
        0, 0, 0, 0,             // padding
    ];

    #[test]
    fn v1_pytables() {
        let mut c = cur(&PT_V1);
        let p = FilterPipeline::parse(&mut c, &Limits::default()).unwrap();
        assert_eq!(c.remaining(), 0);
        assert_eq!(p.version, 1);
        assert_eq!(
            p.filters[0],
            FilterDescription {
                id: 2,
                name: Some("shuffle".into()),
                flags: 1,
                client_data: vec![8]
            }
        );
        assert_eq!(p.filters[1].client_data, vec![5]);
    }

    #[test]
    fn v2_with_and_without_names() {
        // h5py libver='latest' gzip 4 (real bytes), then a named third-party filter.
        #[rustfmt::skip]
        let b = [
            0x02,       // version 2
            0x02,       // 2 filters
            0x01, 0x00, // id 1: no name length field below 256
            0x01, 0x00, // flags
            0x01, 0x00, // 1 value
            4, 0, 0, 0, // level 4
            0x00, 0x7d, // id 32000 (lzf)
            0x04, 0x00, // name length 4 (not padded in v2)
            0x00, 0x00, // flags
            0x00, 0x00, // no values
            b'l', b'z', b'f', 0, // "lzf"
        ];
        let p = decode::<FilterPipeline>(&b).unwrap();
        assert_eq!(
            p.filters[0],
            FilterDescription {
                id: 1,
                name: None,
                flags: 1,
                client_data: vec![4]
            }
        );
        assert_eq!(p.filters[1].name.as_deref(), Some("lzf"));
        assert_eq!(p.filters[1].id, 32000);
    }

    #[test]
    fn rejects() {
        assert_eq!(
            format_at(decode::<FilterPipeline>(&[0x03, 0])),
            ("filter pipeline message", BASE)
        );
        assert_eq!(format_at(decode::<FilterPipeline>(&[0x02, 33])).1, BASE + 1);
        // Client data count larger than the bytes left.
        let mut many = PT_V1;
        many[14] = 0xff;
        assert_eq!(format_at(decode::<FilterPipeline>(&many)).1, BASE + 24);
        assert!(decode::<FilterPipeline>(&PT_V1[..50]).is_err());
    }

    // Encode, then parse with the reader's decoder: the same value comes back.

    #[test]
    fn pipeline_encodes_then_parses() {
        let p = FilterPipeline {
            version: 1,
            filters: vec![
                FilterDescription {
                    id: 2,
                    name: Some("shuffle".into()),
                    flags: 0,
                    client_data: vec![8],
                },
                FilterDescription {
                    id: 1,
                    name: Some("deflate".into()),
                    flags: 0,
                    client_data: vec![6],
                },
                FilterDescription {
                    id: 32001,
                    name: Some("blosc".into()),
                    flags: 1,
                    client_data: vec![2, 2, 8, 16384, 5, 1, 0],
                },
            ],
        };
        let b = encode_pipeline(&p).unwrap();
        assert_eq!(decode::<FilterPipeline>(&b).unwrap(), p);
    }
}
