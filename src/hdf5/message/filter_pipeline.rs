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
