//! Data object headers (spec IV.A.1, "Data Object Header Prefix", and IV.A.2 for the
//! message framing), versions 1 and 2, with continuation blocks.
//!
//! * Version 1: 12-byte prefix padded to 16 (version 1, reserved, total message count,
//!   reference count, chunk-0 size); messages are `type u16, size u16, flags u8, 3 reserved`
//!   followed by the data, 8-byte aligned; continuation blocks carry bare messages.
//! * Version 2: `OHDR`, version 2, flags (bits 0-1 chunk-0 size width 1/2/4/8, bit 2
//!   creation order tracked, bit 3 indexed, bit 4 phase-change values stored, bit 5 times
//!   stored), messages `type u8, size u16, flags u8 [, creation order u16]`, a gap smaller
//!   than a message header allowed at the end, then a lookup3 checksum (verified).
//!   Continuation blocks are `OCHK` + messages + checksum.
//!
//! Continuation messages (0x10) are followed in discovery order through a queue, with a
//! visited set and `Limits::max_continuations` / `Limits::max_messages`. The returned list
//! holds every message except NIL (0x0) and continuation (0x10) messages. The v1 "total
//! number of messages" is never trusted for allocation or termination: a chunk is parsed
//! until fewer bytes than a message header remain. Refused: unknown versions, reserved v2
//! flag bits, messages overrunning their chunk, bad signatures or checksums.

pub mod edit;

use std::collections::{HashSet, VecDeque};

use crate::error::{Error, Result};
use crate::hdf5::checksum;
use crate::hdf5::cursor::Cursor;
use crate::hdf5::encoder::{pad8, seal, usage, Encoder};
use crate::hdf5::io::FileIo;
use crate::hdf5::message::{kind, RawMessage};
use crate::limits::Limits;

const V1: &str = "object header v1";
const V2: &str = "object header v2";
const OCHK: &str = "object header continuation block";

/// An object header with all its messages gathered from every chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHeader {
    /// Header version (1 or 2).
    pub version: u8,
    /// Address of the header.
    pub address: u64,
    /// v2 flags byte (0 for v1).
    pub flags: u8,
    /// Reference count: the v1 prefix field, or the Reference Count message (0x16) of a
    /// v2 header (1 when absent).
    pub refcount: u32,
    /// Messages in file order (chunk 0, then continuation blocks in discovery order),
    /// without NIL and continuation messages.
    pub messages: Vec<RawMessage>,
}

/// v2 flag: attribute creation order tracked (messages carry a creation order field).
pub const FLAG_ATTR_CREATION_ORDER_TRACKED: u8 = 0x04;
/// v2 flag: attribute creation order indexed.
pub const FLAG_ATTR_CREATION_ORDER_INDEXED: u8 = 0x08;
/// v2 flag: non-default attribute phase-change values stored.
pub const FLAG_ATTR_PHASE_CHANGE: u8 = 0x10;
/// v2 flag: access/modification/change/birth times stored.
pub const FLAG_TIMES: u8 = 0x20;

/// State of one header walk: limits, counters and what is still to be parsed.
struct Walk<'l> {
    limits: &'l Limits,
    messages: Vec<RawMessage>,
    seen_messages: u64,
    pending: VecDeque<(u64, u64)>,
}

impl Walk<'_> {
    /// Parse the messages of one chunk's message area `c`.
    fn chunk(&mut self, c: &mut Cursor, v2: bool, with_order: bool) -> Result<()> {
        let hdr = match (v2, with_order) {
            (false, _) => 8,
            (true, false) => 4,
            (true, true) => 6,
        };
        // Fewer bytes than a header left: a v2 gap (or damaged v1 tail), not a message.
        while c.remaining() >= hdr {
            let mat = c.addr();
            self.seen_messages += 1;
            let cap = u64::from(self.limits.max_messages);
            if self.seen_messages > cap {
                return Err(Error::limit(
                    "max_messages",
                    cap,
                    self.seen_messages,
                    Some(mat),
                ));
            }
            let (msg_type, size, flags, creation_order) = if v2 {
                let t = u16::from(c.u8()?);
                let size = c.u16()?;
                let flags = c.u8()?;
                let order = if with_order { Some(c.u16()?) } else { None };
                (t, size, flags, order)
            } else {
                let t = c.u16()?;
                let size = c.u16()?;
                let flags = c.u8()?;
                c.skip(3)?; // reserved
                (t, size, flags, None)
            };
            let size = usize::from(size);
            if size > c.remaining() {
                return Err(c
                    .err_at(
                        mat,
                        format!(
                            "message type {msg_type:#x} of {size} bytes overruns its chunk ({} bytes left)",
                            c.remaining()
                        ),
                    )
                    .into());
            }
            let at = c.addr();
            let d = c.split(size)?;
            if !v2 {
                // v1 message data is padded to 8 bytes; tolerate a short tail.
                let pad = (8 - c.pos() % 8) % 8;
                if pad <= c.remaining() {
                    c.skip(pad)?;
                } else {
                    c.seek(c.all().len())?;
                }
            }
            match msg_type {
                kind::NIL => {}
                kind::CONTINUATION => {
                    let mut d = d.with_structure("continuation message");
                    let offset = d.offset()?;
                    let length = d.length()?;
                    self.pending.push_back((offset, length));
                }
                _ => self.messages.push(RawMessage {
                    msg_type,
                    flags,
                    creation_order,
                    at,
                    data: d.rest().to_vec(),
                }),
            }
        }
        Ok(())
    }
}

/// Read the object header at `addr` and all its continuation blocks.
pub fn read(io: &FileIo, addr: u64) -> Result<ObjectHeader> {
    let mut walk = Walk {
        limits: &io.limits,
        messages: Vec::new(),
        seen_messages: 0,
        pending: VecDeque::new(),
    };
    let mut visited = HashSet::new();
    visited.insert(addr);
    // Longest v2 prefix: 4 sig + 1 version + 1 flags + 16 times + 4 phase + 8 size.
    let head = io.read_upto(addr, 34, V1)?;
    let v2 = head.get(0..4) == Some(b"OHDR".as_slice());
    let (version, flags, mut refcount, with_order);
    if v2 {
        let mut c = io.cursor(&head, addr, V2);
        c.signature(b"OHDR")?;
        version = c.version(2)?;
        let fat = c.addr();
        flags = c.u8()?;
        if flags & 0xC0 != 0 {
            return Err(c
                .err_at(fat, format!("reserved flag bits set in {flags:#04x}"))
                .into());
        }
        if flags & FLAG_TIMES != 0 {
            c.skip(16)?; // access, modification, change, birth times
        }
        if flags & FLAG_ATTR_PHASE_CHANGE != 0 {
            c.skip(4)?; // max compact, min dense attributes
        }
        let width = 1usize << (flags & 0x03);
        let size_at = c.addr();
        let size = c.uint(width)?;
        let prefix = c.pos() as u64;
        let total = prefix
            .checked_add(size)
            .and_then(|n| n.checked_add(4))
            .ok_or_else(|| Error::format(V2, size_at, "chunk size overflows"))?;
        let buf = io.read(addr, total, V2)?;
        let body = checked_block(io, &buf, addr, V2, prefix)?;
        with_order = flags & FLAG_ATTR_CREATION_ORDER_TRACKED != 0;
        walk.chunk(&mut io.cursor(body, addr + prefix, V2), true, with_order)?;
        refcount = 1;
    } else {
        let mut c = io.cursor(&head, addr, V1);
        version = c.u8()?;
        if version != 1 {
            return Err(c
                .err_at(addr, format!("version {version}, expected 1 (or OHDR)"))
                .into());
        }
        c.skip(1)?; // reserved
        let _total_messages = c.u16()?; // not trusted (see module doc)
        refcount = c.u32()?;
        let size = u64::from(c.u32()?);
        flags = 0;
        with_order = false;
        let data_addr = addr
            .checked_add(16)
            .ok_or_else(|| Error::format(V1, addr, "address overflows"))?;
        let buf = io.read(data_addr, size, V1)?;
        walk.chunk(&mut io.cursor(&buf, data_addr, V1), false, false)?;
    }
    let mut blocks = 0u32;
    while let Some((caddr, clen)) = walk.pending.pop_front() {
        blocks += 1;
        let cap = io.limits.max_continuations;
        if blocks > cap {
            return Err(Error::limit(
                "max_continuations",
                u64::from(cap),
                u64::from(blocks),
                Some(caddr),
            ));
        }
        let structure = if v2 { OCHK } else { V1 };
        if !visited.insert(caddr) {
            return Err(Error::format(
                structure,
                caddr,
                "cycle: continuation block reached twice",
            ));
        }
        let buf = io.read(caddr, clen, structure)?;
        if v2 {
            let mut c = io.cursor(&buf, caddr, OCHK);
            c.signature(b"OCHK")?;
            let body = checked_block(io, &buf, caddr, OCHK, 4)?;
            walk.chunk(&mut io.cursor(body, caddr + 4, OCHK), true, with_order)?;
        } else {
            walk.chunk(&mut io.cursor(&buf, caddr, V1), false, false)?;
        }
    }
    if v2 {
        if let Some(m) = walk.messages.iter().find(|m| m.msg_type == kind::REFCOUNT) {
            let mut c = Cursor::new(&m.data, m.at, "reference count message", io.sizes);
            c.version(0)?;
            refcount = c.u32()?;
        }
    }
    Ok(ObjectHeader {
        version,
        address: addr,
        flags,
        refcount,
        messages: walk.messages,
    })
}

/// Verify the trailing lookup3 checksum of `buf` (a whole v2 chunk read at `addr`) and
/// return the message area `[skip, len - 4)`.
fn checked_block<'a>(
    io: &FileIo,
    buf: &'a [u8],
    addr: u64,
    structure: &'static str,
    skip: u64,
) -> Result<&'a [u8]> {
    let short = || {
        Error::format(
            structure,
            addr,
            format!("block of {} bytes too short", buf.len()),
        )
    };
    let end = buf.len().checked_sub(4).ok_or_else(short)?;
    let skip = usize::try_from(skip).map_err(|_| short())?;
    if skip > end {
        return Err(short());
    }
    let sum_at = addr.saturating_add(end as u64);
    let mut c = io.cursor(buf, addr, structure);
    c.seek(end)?;
    let stored = c.u32()?;
    let covered = buf.get(..end).ok_or_else(short)?;
    checksum::verify(structure, sum_at, covered, stored)?;
    buf.get(skip..end).ok_or_else(short)
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// Largest attribute message accepted in a v1 header (HDF5's limit is < 64 KiB).
pub const MAX_MESSAGE: usize = 65_535;

/// Bytes a v1 header gives a message body of `body` bytes: v1 messages are 8-byte
/// aligned, so the header pads what the message encoders leave unpadded.
pub fn v1_body_len(body: usize) -> usize {
    pad8(body)
}

/// Append one v1 header message (type, size, flags, reserved, body zero-padded to 8).
pub fn push_message(out: &mut Vec<u8>, ty: u16, body: &[u8]) -> Result<()> {
    let n = v1_body_len(body.len());
    let size = u16::try_from(n).map_err(|_| usage("header message of 64 KiB or more"))?;
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(body);
    out.resize(out.len() + (n - body.len()), 0);
    Ok(())
}

/// Encode the 16-byte v1 object header prefix.
pub fn encode_header_prefix(nmsgs: u16, refcount: u32, chunk0_size: u32) -> Vec<u8> {
    let mut e = Encoder::new();
    e.u8(1)
        .u8(0)
        .u16(nmsgs)
        .u32(refcount)
        .u32(chunk0_size)
        .zeros(4);
    e.finish()
}

/// v2 object header prefix: `OHDR`, version, flags, phase-change values, chunk-0 size (u32).
pub const OHDR_PREFIX: usize = 4 + 1 + 1 + 4 + 4;

/// v2 header flags: chunk-0 size on 4 bytes (bits 0-1 = 2), attribute phase-change values
/// stored (bit 4).
pub const OHDR_FLAGS: u8 = 0x02 | 0x10;

/// Attribute phase change stored in every header: libhdf5's defaults (compact up to 8,
/// dense from 9 until fewer than 6), which the writer follows as libhdf5 does.
pub const ATTR_MAX_COMPACT: u16 = 8;

/// HDF5's default minimum number of dense attributes.
pub const ATTR_MIN_DENSE: u16 = 6;

/// Link phase change stored in every group's Group Info: libhdf5's default, links compact
/// (messages in the group's header) up to 8, dense beyond, as the writer stores them.
pub const LINK_MAX_COMPACT: u16 = 8;

/// HDF5's default minimum number of dense links.
pub const LINK_MIN_DENSE: u16 = 6;

/// v2 message header: type u8, size u16, flags u8.
pub const MSG_HEADER_V2: usize = 4;

/// Append one v2 header message (type u8, size u16, flags u8, body).
pub fn push_message_v2(out: &mut Vec<u8>, ty: u16, body: &[u8]) -> Result<()> {
    let t = u8::try_from(ty).map_err(|_| usage("message type above 255"))?;
    let n = u16::try_from(body.len()).map_err(|_| usage("header message of 64 KiB or more"))?;
    out.push(t);
    out.extend_from_slice(&n.to_le_bytes());
    out.push(0);
    out.extend_from_slice(body);
    Ok(())
}

/// Fill `area` up to `cap` bytes: NIL messages, then (fewer than 4 bytes left) a gap.
pub fn fill_nil_v2(area: &mut Vec<u8>, cap: usize) {
    while cap.saturating_sub(area.len()) >= MSG_HEADER_V2 {
        let body = (cap - area.len() - MSG_HEADER_V2).min(usize::from(u16::MAX));
        area.push(0);
        area.extend_from_slice(&(body as u16).to_le_bytes());
        area.push(0);
        area.resize(area.len() + body, 0);
    }
    area.resize(cap.max(area.len()), 0);
}

/// Encode a v2 object header chunk 0 around its message area (messages and gap):
/// prefix, `area`, checksum. Total `OHDR_PREFIX + area.len() + 4` bytes.
pub fn encode_ohdr(area: &[u8]) -> Result<Vec<u8>> {
    let mut out = ohdr_prefix(area.len())?;
    out.extend_from_slice(area);
    Ok(seal(out))
}

/// The v2 prefix this crate writes (`OHDR_PREFIX` bytes) for a chunk 0 of `area` message
/// bytes: version 2, `OHDR_FLAGS`, libhdf5's attribute phase change, chunk-0 size.
pub fn ohdr_prefix(area: usize) -> Result<Vec<u8>> {
    let n = u32::try_from(area).map_err(|_| usage("object header chunk over 4 GiB"))?;
    let mut e = Encoder::new();
    e.signature(b"OHDR")
        .u8(2)
        .u8(OHDR_FLAGS)
        .u16(ATTR_MAX_COMPACT)
        .u16(ATTR_MIN_DENSE)
        .u32(n);
    Ok(e.finish())
}

/// Encode a v2 continuation block: `OCHK`, messages, checksum.
pub fn encode_ochk(msgs: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(msgs.len() + 8);
    out.extend_from_slice(b"OCHK");
    out.extend_from_slice(msgs);
    seal(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::superblock::test_util::{io_over, io_with};

    fn put(v: &mut [u8], at: usize, b: &[u8]) {
        v[at..at + b.len()].copy_from_slice(b);
    }

    /// v1 header at 0 (chunk 0 at 16..64) with a dataspace-like message, a NIL and a
    /// continuation to 64..96 holding one more message.
    #[rustfmt::skip]
    fn v1_file(cont_addr: u64) -> Vec<u8> {
        let mut v = vec![0u8; 96];
        put(&mut v, 0, &[
            1,                      // version
            0,                      // reserved
            4, 0,                   // total number of messages
            1, 0, 0, 0,             // reference count
            48, 0, 0, 0,            // header (chunk 0) size
            0, 0, 0, 0,             // padding to 16
        ]);
        put(&mut v, 16, &[
            0x01, 0x00,             // type: dataspace
            8, 0,                   // size
            0x01,                   // flags: constant
            0, 0, 0,                // reserved
            1, 2, 3, 4, 5, 6, 7, 8, // data
        ]);
        put(&mut v, 32, &[
            0x10, 0x00,             // type: continuation
            16, 0,                  // size
            0, 0, 0, 0,             // flags + reserved
        ]);
        put(&mut v, 40, &cont_addr.to_le_bytes()); // continuation offset
        put(&mut v, 48, &32u64.to_le_bytes());     // continuation length
        // 56..64: a NIL message with no data
        put(&mut v, 64, &[
            0x12, 0x00,             // type: modification time
            8, 0,                   // size
            0, 0, 0, 0,             // flags + reserved
            9, 9, 9, 9, 0, 0, 0, 0, // data
            0, 0,                   // NIL
            8, 0,                   // size 8
            0, 0, 0, 0,             // flags + reserved
            0, 0, 0, 0, 0, 0, 0, 0, // NIL data
        ]);
        v
    }

    #[test]
    fn v1_with_continuation() {
        let oh = read(&io_over(v1_file(64)), 0).unwrap();
        assert_eq!((oh.version, oh.refcount), (1, 1));
        let types: Vec<u16> = oh.messages.iter().map(|m| m.msg_type).collect();
        assert_eq!(types, vec![0x01, 0x12]);
        assert_eq!(oh.messages[0].at, 24);
        assert_eq!(oh.messages[0].data, vec![1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(oh.messages[1].at, 72);
    }

    #[test]
    fn v1_rejects() {
        // continuation pointing back at chunk 0's header: cycle
        let e = read(&io_over(v1_file(0)), 0).unwrap_err();
        assert!(e.to_string().contains("cycle"), "{e}");
        // continuation past the end of the file
        assert!(read(&io_over(v1_file(90)), 0).is_err());
        // message larger than its chunk
        let mut b = v1_file(64);
        b[18] = 200;
        assert_eq!(read(&io_over(b), 0).unwrap_err().offset(), Some(16));
        // bad version
        let mut b = v1_file(64);
        b[0] = 3;
        assert_eq!(read(&io_over(b), 0).unwrap_err().offset(), Some(0));
        // message and continuation caps
        for l in [
            Limits {
                max_messages: 2,
                ..Limits::default()
            },
            Limits {
                max_continuations: 0,
                ..Limits::default()
            },
        ] {
            assert!(matches!(
                read(&io_with(v1_file(64), l), 0),
                Err(Error::Limit { .. })
            ));
        }
    }

    /// v2 header at 0 with creation order tracked and times stored; one attribute-like
    /// message, a continuation to an OCHK block, and a 3-byte gap.
    #[rustfmt::skip]
    fn v2_file(cont_addr: u64) -> Vec<u8> {
        let mut v = vec![
            b'O', b'H', b'D', b'R', // signature
            2,                      // version
            0x24,                   // flags: 1-byte chunk size, order tracked, times
        ];
        v.extend_from_slice(&[0u8; 16]);                 // four timestamps
        v.push(6 + 5 + 6 + 16 + 3);                      // size of chunk 0
        v.extend_from_slice(&[
            0x0C,                   // type: attribute
            5, 0,                   // size
            0,                      // flags
            7, 0,                   // creation order
            b'h', b'e', b'l', b'l', b'o', // data
            0x10,                   // type: continuation
            16, 0,                  // size
            0,                      // flags
            0, 0,                   // creation order
        ]);
        v.extend_from_slice(&cont_addr.to_le_bytes());   // continuation offset
        v.extend_from_slice(&19u64.to_le_bytes());       // continuation length
        v.extend_from_slice(&[0, 0, 0]);                 // gap
        let s = checksum::lookup3(&v);
        v.extend_from_slice(&s.to_le_bytes());           // checksum
        let start = v.len();
        v.extend_from_slice(&[
            b'O', b'C', b'H', b'K', // signature
            0x16,                   // type: reference count
            5, 0,                   // size
            0,                      // flags
            0, 0,                   // creation order
            0,                      // refcount message version
            3, 0, 0, 0,             // reference count 3
        ]);
        let s = checksum::lookup3(&v[start..]);
        v.extend_from_slice(&s.to_le_bytes());           // checksum
        v
    }

    #[test]
    fn v2_with_ochk() {
        let b = v2_file(0);
        let cont = (b.len() - 19) as u64;
        let b = v2_file(cont);
        let oh = read(&io_over(b), 0).unwrap();
        assert_eq!((oh.version, oh.flags, oh.refcount), (2, 0x24, 3));
        assert_eq!(oh.messages.len(), 2);
        assert_eq!(oh.messages[0].creation_order, Some(7));
        assert_eq!(oh.messages[0].data, b"hello");
        assert_eq!(oh.messages[0].at, 29);
    }

    #[test]
    fn v2_rejects() {
        let cont = (v2_file(0).len() - 19) as u64;
        let mut b = v2_file(cont);
        b[30] ^= 0xff; // corrupt chunk 0 data
        let e = read(&io_over(b), 0).unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
        let mut b = v2_file(cont);
        let n = b.len();
        b[n - 6] = 9; // corrupt the OCHK data
        assert!(read(&io_over(b), 0)
            .unwrap_err()
            .to_string()
            .contains("checksum"));
        // continuation to chunk 0: OCHK signature check fails (OHDR found)
        let b = v2_file(0);
        assert!(read(&io_over(b), 0).is_err());
        let mut b = v2_file(cont);
        b[5] |= 0x80;
        assert_eq!(read(&io_over(b), 0).unwrap_err().offset(), Some(5));
        // truncated file
        let b = v2_file(cont);
        assert!(read(&io_over(b[..40].to_vec()), 0).is_err());
    }
}

#[cfg(test)]
mod encode_tests {
    use super::*;
    use crate::hdf5::checksum::lookup3;
    use crate::hdf5::message::attribute_info::AttributeInfo;

    #[test]
    #[rustfmt::skip]
    fn ohdr_and_ochk_bytes() {
        let mut area = Vec::new();
        push_message_v2(&mut area, 0x15, &AttributeInfo::compact().encode(crate::hdf5::cursor::Sizes::default())).unwrap();
        fill_nil_v2(&mut area, 30);
        assert_eq!(&area[..4], &[0x15, 18, 0, 0]); // type, size 18, flags
        assert_eq!(&area[22..], &[0, 4, 0, 0, 0, 0, 0, 0]); // NIL of 4 bytes
        let h = encode_ohdr(&area).unwrap();
        assert_eq!(&h[..14], &[
            b'O', b'H', b'D', b'R', // signature
            2,                      // version 2
            0x12,                   // flags: 4-byte chunk size, phase change stored
            8, 0, 6, 0,             // max compact 8 / min dense 6 attributes
            30, 0, 0, 0,            // chunk 0 size
        ]);
        assert_eq!(h.len(), OHDR_PREFIX + 30 + 4);
        let sum = lookup3(&h[..h.len() - 4]).to_le_bytes();
        assert_eq!(&h[h.len() - 4..], &sum);
        // A gap under 4 bytes is left as zeros.
        let mut g = vec![1u8; 10];
        fill_nil_v2(&mut g, 13);
        assert_eq!(&g[10..], &[0, 0, 0]);
        let k = encode_ochk(&area[..22]);
        assert_eq!(&k[..4], b"OCHK");
        assert_eq!(k.len(), 4 + 22 + 4);
        // Parsed back by the reader: a header whose continuation leads to the OCHK.
        let mut file = vec![0u8; 256];
        let mut a0 = Vec::new();
        push_message_v2(&mut a0, 0x10, &crate::hdf5::message::continuation::encode_continuation(crate::hdf5::cursor::Sizes::default(), 200, k.len() as u64)).unwrap();
        fill_nil_v2(&mut a0, 40);
        let h = encode_ohdr(&a0).unwrap();
        file[..h.len()].copy_from_slice(&h);
        file[200..200 + k.len()].copy_from_slice(&k);
        let io = crate::hdf5::superblock::test_util::io_over(file);
        let oh = crate::hdf5::object_header::read(&io, 0).unwrap();
        assert_eq!(oh.version, 2);
        assert_eq!(oh.messages.len(), 1);
        assert_eq!(oh.messages[0].msg_type, 0x15);
    }
}
