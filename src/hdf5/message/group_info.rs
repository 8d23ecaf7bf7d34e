//! Group Info message (0xA), spec IV.A.2.k. Version 0.
//!
//! Layout: version 0, flags, then (flag bit 0) maximum compact / minimum dense link counts
//! as two u16, then (flag bit 1) estimated entry count / name length as two u16.
//! Refused: other versions, unknown flag bits.

use super::{known_flags, named, version};
use crate::error::Result;
use crate::hdf5::cursor::Cursor;
use crate::hdf5::encoder::Encoder;
use crate::hdf5::object_header::{LINK_MAX_COMPACT, LINK_MIN_DENSE};
use crate::limits::Limits;

/// Group storage thresholds (informational when reading).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupInfo {
    /// Maximum compact links / minimum dense links, when stored.
    pub link_phase_change: Option<(u16, u16)>,
    /// Estimated number of entries / estimated name length, when stored.
    pub estimated: Option<(u16, u16)>,
}

impl GroupInfo {
    /// Decode a Group Info message.
    pub fn parse(c: &mut Cursor<'_>, _limits: &Limits) -> Result<Self> {
        named(c, "group info message", |c| {
            version(c, &[0])?;
            let flags = known_flags(c, 3, "group info")?;
            let link_phase_change = if flags & 1 != 0 {
                Some((c.u16()?, c.u16()?))
            } else {
                None
            };
            let estimated = if flags & 2 != 0 {
                Some((c.u16()?, c.u16()?))
            } else {
                None
            };
            Ok(GroupInfo {
                link_phase_change,
                estimated,
            })
        })
    }
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// Group Info message body: version 0, link phase change stored.
pub fn encode_group_info() -> Vec<u8> {
    let mut e = Encoder::new();
    e.u8(0).u8(1).u16(LINK_MAX_COMPACT).u16(LINK_MIN_DENSE);
    e.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::message::attribute_info::AttributeInfo;
    use crate::hdf5::message::link_info::LinkInfo;
    use crate::hdf5::message::test_util::*;

    #[test]
    fn accepts() {
        // h5py libver='latest' (real bytes): nothing stored.
        assert_eq!(
            decode::<GroupInfo>(&[0x00, 0x00]).unwrap(),
            GroupInfo::default()
        );
        #[rustfmt::skip]
        let b = [
            0x00,       // version 0
            0x03,       // flags: phase change and estimates stored
            8, 0,       // max compact 8
            6, 0,       // min dense 6
            4, 0,       // estimated entries 4
            18, 0,      // estimated name length 18
        ];
        assert_eq!(
            decode::<GroupInfo>(&b).unwrap(),
            GroupInfo {
                link_phase_change: Some((8, 6)),
                estimated: Some((4, 18))
            }
        );
    }

    #[test]
    fn rejects() {
        assert_eq!(
            format_at(decode::<GroupInfo>(&[0x01, 0x00])),
            ("group info message", BASE)
        );
        assert_eq!(format_at(decode::<GroupInfo>(&[0x00, 0x04])).1, BASE + 1);
        assert!(decode::<GroupInfo>(&[0x00, 0x01, 8, 0]).is_err());
    }

    const FF: [u8; 8] = [0xff; 8];

    #[test]
    #[rustfmt::skip]
    fn info_messages_bytes() {
        let mut li = vec![
            0,                      // version 0
            0,                      // flags: no creation order
        ];
        li.extend_from_slice(&FF);  // fractal heap: undefined (compact links)
        li.extend_from_slice(&FF);  // name index v2 B-tree: undefined
        assert_eq!(LinkInfo::compact().encode(crate::hdf5::encoder::Sizes::default()), li);
        assert_eq!(AttributeInfo::compact().encode(crate::hdf5::encoder::Sizes::default()), li);
        assert_eq!(encode_group_info(), vec![
            0,                      // version 0
            1,                      // flags: link phase change stored
            8, 0,                   // max compact links 8
            6, 0,                   // min dense links 6
        ]);
        use crate::hdf5::message::group_info::GroupInfo;
        let g = decode::<GroupInfo>(&encode_group_info()).unwrap();
        assert_eq!(g.link_phase_change, Some((8, 6)));
    }
}
