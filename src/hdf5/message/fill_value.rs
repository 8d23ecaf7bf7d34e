//! Fill Value messages: old (0x4, IV.A.2.e) and new (0x5, versions 1-3, IV.A.2.f).
//!
//! Old (0x4): size u32, value. New (0x5) v1/v2: version, allocation time, fill write time,
//! "defined" byte, then size u32 + value (read only when defined, as HDF5 does). v3: version,
//! flags (bits 0-1 allocation time, 2-3 write time, 4 undefined, 5 value present), then
//! size u32 + value when bit 5 is set. A size of 0 gives `value: None`.
//!
//! Refused: other versions, unknown v3 flag bits, both "undefined" and "value present",
//! values larger than the message or `Limits::max_attribute_size`.

use super::{bad, named, version};
use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
use crate::hdf5::encoder::Encoder;
use crate::limits::Limits;

/// A decoded fill value (either message).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FillValue {
    /// Space allocation time (1 early, 2 late, 3 incremental; 0 when not stated).
    pub alloc_time: u8,
    /// Fill value write time (0 on allocation, 1 never, 2 if set).
    pub fill_time: u8,
    /// Whether a fill value is defined (a user value or the library default).
    pub defined: bool,
    /// The fill value bytes, when stored (`None` = undefined or default zeros).
    pub value: Option<Vec<u8>>,
}

/// Size u32 followed by that many value bytes; `None` for size 0.
fn sized_value(c: &mut Cursor<'_>, limits: &Limits) -> Result<Option<Vec<u8>>> {
    let at = c.addr();
    let size = c.u32()?;
    if size == 0 {
        return Ok(None);
    }
    // Checked against the message first: a size past its end is damage (HDF5 refuses to
    // open such a dataset), not a request for a huge value.
    if size as usize > c.remaining() {
        return Err(bad(
            c,
            format!("fill value of {size} bytes, {} left", c.remaining()),
        ));
    }
    if u64::from(size) > limits.max_attribute_size {
        return Err(Error::limit(
            "max_attribute_size",
            limits.max_attribute_size,
            size.into(),
            Some(at),
        ));
    }
    Ok(Some(c.bytes(size as usize)?.to_vec()))
}

impl FillValue {
    /// Decode the old Fill Value message (0x4): a user fill value, or undefined when its
    /// size is 0 or the message is too short to hold one (as HDF5 decodes it).
    pub fn parse_old(c: &mut Cursor<'_>, limits: &Limits) -> Result<Self> {
        named(c, "fill value message (old)", |c| {
            let value = if c.remaining() < 4 {
                None
            } else {
                sized_value(c, limits)?
            };
            Ok(FillValue {
                alloc_time: 0,
                fill_time: 0,
                defined: value.is_some(),
                value,
            })
        })
    }

    /// Decode the Fill Value message (0x5), versions 1-3.
    pub fn parse(c: &mut Cursor<'_>, limits: &Limits) -> Result<Self> {
        named(c, "fill value message", |c| {
            let v = version(c, &[1, 2, 3])?;
            if v < 3 {
                let alloc_time = c.u8()?;
                let fill_time = c.u8()?;
                let def_at = c.addr();
                let defined = match c.u8()? {
                    0 => false,
                    1 => true,
                    d => {
                        return Err(Error::Format(
                            c.err_at(def_at, format!("fill value defined = {d}")),
                        ))
                    }
                };
                if alloc_time > 3 || fill_time > 2 {
                    return Err(Error::Format(c.err_at(
                        def_at.saturating_sub(2),
                        "reserved allocation or write time",
                    )));
                }
                // HDF5 reads the size and value only when defined (even in v1, whose
                // format always has the field).
                let value = if defined {
                    sized_value(c, limits)?
                } else {
                    None
                };
                Ok(FillValue {
                    alloc_time,
                    fill_time,
                    defined,
                    value,
                })
            } else {
                let at = c.addr();
                let flags = c.u8()?;
                let undefined = flags & 0x10 != 0;
                let present = flags & 0x20 != 0;
                if flags & 0xC0 != 0 || (undefined && present) || (flags >> 2) & 3 > 2 {
                    return Err(Error::Format(
                        c.err_at(at, format!("invalid fill value flags {flags:#x}")),
                    ));
                }
                let value = if present {
                    sized_value(c, limits)?
                } else {
                    None
                };
                Ok(FillValue {
                    alloc_time: flags & 3,
                    fill_time: (flags >> 2) & 3,
                    defined: !undefined,
                    value,
                })
            }
        })
    }
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// Encode a Fill Value message v2 body. `chunked` selects the allocation time
/// (incremental vs late); the value is always "defined" (zeros when `value` is `None`
/// and `elem` bytes long, as PyTables writes).
pub fn encode_fill_v2(chunked: bool, value: &[u8]) -> Result<Vec<u8>> {
    let mut e = fill_v2_head(chunked, true);
    e.u32_of(value.len() as u64, "fill value size")?
        .bytes(value);
    Ok(e.finish())
}

/// Version 2 up to the "defined" byte: allocation time incremental (chunked) or late,
/// fill time 0 (at allocation, as PyTables writes chunked data) or 2 (if set).
fn fill_v2_head(chunked: bool, defined: bool) -> Encoder {
    let (alloc, time) = if chunked { (3, 0) } else { (2, 2) };
    let mut e = Encoder::new();
    e.u8(2).u8(alloc).u8(time).u8(u8::from(defined));
    e
}

/// Fill Value message (version 2) with no value: HDF5's default (zeros; for a
/// variable-length string, the empty string h5py reads).
pub fn encode_fill_v2_default(chunked: bool) -> Vec<u8> {
    fill_v2_head(chunked, false).finish()
}

/// Encode the old Fill Value message (0x4): size and value.
pub fn encode_fill_old(value: &[u8]) -> Result<Vec<u8>> {
    let mut e = Encoder::new();
    e.u32_of(value.len() as u64, "fill value size")?
        .bytes(value);
    Ok(e.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::message::test_util::*;

    /// What PyTables writes by default.
    #[rustfmt::skip]
    const PYTABLES_DEFAULT: [u8; 8] = [
        0x02,       // version 2
        0x03,       // alloc time: incremental
        0x00,       // fill time: on allocation
        0x01,       // defined
        0, 0, 0, 0, // size 0 => library default (zeros)
    ];

    #[test]
    fn v2_pytables_default() {
        assert_eq!(
            decode::<FillValue>(&PYTABLES_DEFAULT).unwrap(),
            FillValue {
                alloc_time: 3,
                fill_time: 0,
                defined: true,
                value: None
            }
        );
    }

    #[test]
    fn v1_v2_with_value_and_v2_undefined() {
        #[rustfmt::skip]
        let b = [
            0x02,           // version 2
            0x02,           // alloc time: late
            0x02,           // fill time: if set
            0x01,           // defined
            4, 0, 0, 0,     // size 4
            0xff, 0xff, 0xff, 0xff, // value -1 (i32)
        ];
        assert_eq!(decode::<FillValue>(&b).unwrap().value, Some(vec![0xff; 4]));
        let mut v1 = b;
        v1[0] = 1;
        assert_eq!(decode::<FillValue>(&v1).unwrap().value, Some(vec![0xff; 4]));
        v1[3] = 0; // v1 carries a size field even when not defined; HDF5 ignores it
        let u = decode::<FillValue>(&v1).unwrap();
        assert!(!u.defined && u.value.is_none());
        #[rustfmt::skip]
        let undef = [
            0x02, // version 2
            0x02, // alloc time
            0x01, // fill time: never
            0x00, // not defined: no size field follows
        ];
        assert_eq!(
            decode::<FillValue>(&undef).unwrap(),
            FillValue {
                alloc_time: 2,
                fill_time: 1,
                defined: false,
                value: None
            }
        );
    }

    #[test]
    fn v3() {
        // h5py libver='latest' chunked dataset (real bytes): incremental, if set, no value.
        let f = decode::<FillValue>(&[0x03, 0x0b]).unwrap();
        assert_eq!(
            f,
            FillValue {
                alloc_time: 3,
                fill_time: 2,
                defined: true,
                value: None
            }
        );
        #[rustfmt::skip]
        let with = [
            0x03,       // version 3
            0x2a,       // flags: alloc late (2), fill time if set (2 << 2), value present (bit 5)
            2, 0, 0, 0, // size 2
            0x34, 0x12, // value
        ];
        assert_eq!(
            decode::<FillValue>(&with).unwrap().value,
            Some(vec![0x34, 0x12])
        );
        let undefined = decode::<FillValue>(&[0x03, 0x1a]).unwrap();
        assert!(!undefined.defined);
    }

    #[test]
    fn old_message() {
        #[rustfmt::skip]
        let b = [
            8, 0, 0, 0,                 // size 8
            0, 0, 0, 0, 0, 0, 0xf8, 0x7f, // NaN (f64)
        ];
        let f = FillValue::parse_old(&mut cur(&b), &Limits::default()).unwrap();
        assert!(f.defined);
        assert_eq!(f.value.as_deref(), Some(&b[4..]));
        let e = FillValue::parse_old(&mut cur(&b[..8]), &Limits::default());
        assert_eq!(format_at(e), ("fill value message (old)", BASE + 4));
        // No value (size 0, or no room for a size): undefined, as h5py reports it.
        for b in [&[0u8, 0, 0, 0][..], &[][..]] {
            let f = FillValue::parse_old(&mut cur(b), &Limits::default()).unwrap();
            assert!(!f.defined && f.value.is_none());
        }
        // The size HDF5 writes for an undefined value (-1): damage, not a 4 GiB request.
        let e = FillValue::parse_old(&mut cur(&[0xff; 8]), &Limits::default());
        assert_eq!(format_at(e), ("fill value message (old)", BASE + 4));
    }

    #[test]
    fn rejects() {
        assert_eq!(
            format_at(decode::<FillValue>(&[0x04, 0x00])),
            ("fill value message", BASE)
        );
        // Undefined and value present together; reserved bits.
        assert_eq!(
            format_at(decode::<FillValue>(&[0x03, 0x30, 0, 0, 0, 0])).1,
            BASE + 1
        );
        assert!(decode::<FillValue>(&[0x03, 0x80]).is_err());
        // Size beyond the data.
        assert_eq!(
            format_at(decode::<FillValue>(&[
                0x02, 0x02, 0x02, 0x01, 9, 0, 0, 0, 1
            ]))
            .1,
            BASE + 8
        );
        // "Defined" byte other than 0/1.
        assert!(decode::<FillValue>(&[0x02, 0x02, 0x02, 0x07]).is_err());
        // Over the attribute-size cap.
        let l = Limits {
            max_attribute_size: 2,
            ..Limits::default()
        };
        let r = FillValue::parse(&mut cur(&[0x03, 0x2a, 4, 0, 0, 0, 1, 2, 3, 4]), &l);
        assert!(is_limit(&r, "max_attribute_size"));
    }

    // Encode, then parse with the reader's decoder: the same value comes back.

    #[test]
    fn fill_values_encode_then_parse() {
        let l = Limits::default();
        let b = encode_fill_v2(true, &[1, 2, 3, 4]).unwrap();
        let f = FillValue::parse(&mut cur(&b), &l).unwrap();
        assert_eq!((f.alloc_time, f.fill_time, f.defined), (3, 0, true));
        assert_eq!(f.value, Some(vec![1, 2, 3, 4]));
        let b = encode_fill_v2(false, &[9; 8]).unwrap();
        let f = FillValue::parse(&mut cur(&b), &l).unwrap();
        assert_eq!(
            (f.alloc_time, f.fill_time, f.value),
            (2, 2, Some(vec![9; 8]))
        );
        let b = encode_fill_old(&[5, 6]).unwrap();
        let f = FillValue::parse_old(&mut cur(&b), &l).unwrap();
        assert_eq!(f.value, Some(vec![5, 6]));
    }
}
