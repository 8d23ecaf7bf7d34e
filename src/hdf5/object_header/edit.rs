//! Editing the object headers of an existing file (spec IV.A.1.a "Version 1 Data Object
//! Header Prefix", IV.A.1.b version 2, IV.A.2.a NIL message, IV.A.2.q continuation
//! message): the writer's half of this module's parent, which reads them.
//!
//! Used by [`Writer::open`](crate::hdf5::write::Writer::open) to change objects HDF5 (PyTables, h5py default libver)
//! wrote: the header is kept as its chunks and messages, exactly as found; edits only
//! - replace the body of a message with one of the same size (dataspace dims, layout
//!   address),
//! - turn a message into NIL (an attribute being replaced),
//! - put a new message into NIL space (exact fit, or split leaving a NIL of at least
//!   8 bytes), else into a new continuation chunk whose continuation message takes NIL
//!   space or the slot of an attribute moved into the new chunk.
//!
//! Committing ([`EditableHeader::serialize`]) writes every changed continuation chunk to new
//! space (repointing its continuation message, which changes the parent chunk), and
//! returns prefix + chunk 0 for the single in-place write. Chunk 0 keeps its size.
//!
//! Version 2 headers (`OHDR`/`OCHK`, IV.A.1.b, as HDF5 1.10 and h5py `libver='latest'`
//! write them) are edited the same way: 4-byte message headers, the prefix kept verbatim,
//! a gap of under 4 bytes kept at the end of a chunk, every written chunk sealed with its
//! lookup3 checksum, continuation lengths counting signature and checksum.
//!
//! v2 headers tracking attribute creation order (flag 0x04, h5py `track_order`) carry a
//! 2-byte creation order in every message header: kept, and given to new messages by the
//! caller.
//!
//! Refused: messages overrunning their chunk, chains longer than `Limits::max_continuations`, more than
//! `Limits::max_messages` messages, cycles.

use super::{
    encode_header_prefix, ohdr_prefix, ATTR_MAX_COMPACT, FLAG_ATTR_PHASE_CHANGE, FLAG_TIMES,
};
use crate::error::{Error, Result};
use crate::hdf5::cursor::{Cursor, Sizes};
use crate::hdf5::encoder::{pad8, seal, Encoder};
use crate::hdf5::message::attribute::attribute_name;
use crate::hdf5::message::continuation::encode_continuation;
use crate::hdf5::message::kind::{ATTRIBUTE, CONTINUATION, DATASPACE, LAYOUT, NIL};
use crate::limits::Limits;
use std::collections::HashSet;

const S: &str = "object header v1";
/// Spare NIL bytes in a new continuation chunk, for later attributes.
const SPARE: usize = 512;

/// One message of a header being edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMessage {
    /// Message type.
    pub mtype: u16,
    /// Message flags.
    pub flags: u8,
    /// Data (its length is the declared size, a multiple of 8 in files HDF5 writes).
    pub body: Vec<u8>,
    /// Creation order (v2 headers tracking attribute creation order: every message header
    /// carries one; 0 elsewhere).
    pub corder: u16,
}

/// One chunk (chunk 0 or a continuation block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderChunk {
    /// Current address (a placeholder from [`placeholder_floor`] up for chunks not yet
    /// written).
    pub addr: u64,
    /// Messages in order; their framed sizes add up to the chunk size.
    pub msgs: Vec<HeaderMessage>,
    /// Changed since loaded / last commit.
    pub dirty: bool,
    /// Message header size: 8 (v1), 4 (v2) or 6 (v2 tracking creation order).
    pub fh: usize,
    /// Bytes after the last message (v2: under the message header size).
    pub gap: usize,
}

impl HeaderChunk {
    /// Size in bytes (message headers + bodies + gap).
    pub fn size(&self) -> usize {
        self.msgs
            .iter()
            .map(|m| self.fh + m.body.len())
            .sum::<usize>()
            + self.gap
    }
    fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::with_capacity(self.size());
        // libhdf5 refuses a v2 chunk holding both a gap and NIL messages ("gap in chunk
        // with no null messages"): a gap joins the first NIL message (an attribute
        // removed from a chunk that ended in a gap), which then grows by the gap's bytes.
        let mut gap = self.gap;
        let absorb = self
            .msgs
            .iter()
            .position(|m| m.mtype == NIL && m.body.len() + gap <= usize::from(u16::MAX))
            .filter(|_| self.fh != 8 && gap > 0);
        for (i, m) in self.msgs.iter().enumerate() {
            let extra = if absorb == Some(i) {
                std::mem::take(&mut gap)
            } else {
                0
            };
            let len = (m.body.len() + extra) as u16;
            if self.fh != 8 {
                e.u8(m.mtype as u8).u16(len).u8(m.flags);
                if self.fh == 6 {
                    e.u16(m.corder);
                }
            } else {
                e.u16(m.mtype).u16(len).u8(m.flags).zeros(3);
            }
            e.bytes(&m.body).zeros(extra);
        }
        e.zeros(gap);
        e.finish()
    }
}

/// An object header (v1 or v2) as found in the file, chunk by chunk, being edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditableHeader {
    /// Header address.
    pub addr: u64,
    /// Reference count (kept).
    pub refcount: u32,
    /// Chunk 0 first, then continuation blocks in discovery order (a parent always comes
    /// before its child).
    pub chunks: Vec<HeaderChunk>,
    next_placeholder: u64,
    /// A v2 header's prefix bytes (signature to chunk-0 size), kept verbatim.
    pub v2_prefix: Option<Vec<u8>>,
    /// Attribute messages stored in the shared-message heap (message flag 0x02, SOHM
    /// files): (the message's shared encoding, attribute name, attribute message), filled
    /// by the caller that can read the heap. Their bodies name nothing themselves.
    pub shared_attrs: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>,
    /// Continuation blocks (address, length) that [`EditableHeader::serialize`] replaced
    /// by new ones: unreferenced once the caller has written chunk 0; the caller takes them.
    pub superseded: Vec<(u64, u64)>,
    /// The file's sizes of offsets and lengths (continuation messages).
    sizes: Sizes,
}

/// The lowest placeholder address a header edit gives a chunk not yet written: the top
/// 2^16 addresses of the file's offset width (256 with 2-byte offsets, whose files hold
/// 64 KiB). The writer allocates nothing from there up (`Writer::put`).
pub fn placeholder_floor(s: Sizes) -> u64 {
    let max = s.max_address();
    max - (1u64 << 16).min(max / 256)
}

/// Message flag: the body is a shared message encoding, not the message itself.
pub const FLAG_SHARED: u8 = 0x02;

const S2: &str = "object header v2";

/// Message header size of a v2 header from its prefix: 6 when the header tracks
/// attribute creation order (flag 0x04: every message carries a 2-byte creation order).
fn v2_fh(prefix: &[u8]) -> usize {
    if prefix.get(5).is_some_and(|f| f & 0x04 != 0) {
        6
    } else {
        4
    }
}

/// The v2 prefix at `addr`: (prefix bytes, chunk-0 size).
fn parse_prefix_v2(
    addr: u64,
    sizes: Sizes,
    read: &dyn Fn(u64, u64) -> Result<Vec<u8>>,
) -> Result<(Vec<u8>, u64)> {
    let head = read(addr, 6)?;
    let (version, flags) = (head.get(4).copied(), head.get(5).copied().unwrap_or(0));
    if version != Some(2) {
        return Err(Error::format(S2, addr, "OHDR version other than 2"));
    }
    let width = 1u64 << (flags & 0x03);
    let len = 6 + if flags & 0x20 != 0 { 16 } else { 0 } + if flags & 0x10 != 0 { 4 } else { 0 };
    let pre = read(addr, len + width)?;
    let mut c = Cursor::new(&pre, addr, S2, sizes);
    c.skip(len as usize)?;
    let size0 = c.uint(width as usize)?;
    Ok((pre, size0))
}

/// Parse the 16-byte v1 prefix: returns (message count, refcount, chunk-0 size).
pub fn parse_prefix(c: &mut Cursor) -> Result<(u16, u32, u32)> {
    let at = c.addr();
    let version = c.u8()?;
    if version != 1 {
        return Err(Error::unsupported(
            "writing into an object with a version 2 object header (OHDR)",
            Some(at),
        ));
    }
    c.skip(1)?;
    let n = c.u16()?;
    let rc = c.u32()?;
    let size = c.u32()?;
    c.skip(4)?; // padding to 8
    Ok((n, rc, size))
}

/// Parse the messages of one chunk area (the cursor covers exactly the area) with
/// `fh`-byte message headers: 8 (v1), 4 (v2) or 6 (v2 with a creation order). Returns the
/// messages and the gap: v2 chunks may end in fewer bytes than a message header, v1
/// chunks may not.
pub fn parse_chunk(
    c: &mut Cursor,
    limits: &Limits,
    count: &mut u32,
    fh: usize,
) -> Result<(Vec<HeaderMessage>, usize)> {
    let what = if fh == 8 { S } else { S2 };
    let mut msgs = Vec::new();
    while c.remaining() >= fh {
        let at = c.addr();
        let (mtype, size, flags, corder) = if fh == 8 {
            let (t, n, f) = (c.u16()?, c.u16()?, c.u8()?);
            c.skip(3)?;
            (t, n, f, 0)
        } else {
            let (t, n, f) = (u16::from(c.u8()?), c.u16()?, c.u8()?);
            (t, n, f, if fh == 6 { c.u16()? } else { 0 })
        };
        if usize::from(size) > c.remaining() {
            return Err(Error::format(
                what,
                at,
                format!(
                    "message of {size} bytes overruns its chunk ({} left)",
                    c.remaining()
                ),
            ));
        }
        *count += 1;
        if *count > limits.max_messages {
            return Err(Error::limit(
                "max_messages",
                limits.max_messages.into(),
                (*count).into(),
                Some(at),
            ));
        }
        let body = c.bytes(usize::from(size))?.to_vec();
        msgs.push(HeaderMessage {
            mtype,
            flags,
            body,
            corder,
        });
    }
    if fh == 8 && c.remaining() != 0 {
        return Err(Error::format(
            S,
            c.addr(),
            "chunk ends inside a message header",
        ));
    }
    Ok((msgs, c.remaining()))
}

/// Continuation target (address, length) of a continuation message body.
fn cont_target(body: &[u8], s: Sizes) -> Option<(u64, u64)> {
    let mut c = Cursor::new(body, 0, S, s);
    Some((c.offset().ok()?, c.length().ok()?))
}

impl EditableHeader {
    /// Load the header at `addr`; `read(addr, len)` reads file bytes.
    pub fn load(
        addr: u64,
        sizes: Sizes,
        limits: &Limits,
        read: &dyn Fn(u64, u64) -> Result<Vec<u8>>,
    ) -> Result<EditableHeader> {
        let sig = read(addr, 4)?;
        let (v2_prefix, refcount, first) = if sig == b"OHDR" {
            let (pre, size0) = parse_prefix_v2(addr, sizes, read)?;
            let start = addr + pre.len() as u64;
            (Some(pre), 1, (start, size0))
        } else {
            let pre = read(addr, 16)?;
            let (_n, refcount, size0) = parse_prefix(&mut Cursor::new(&pre, addr, S, sizes))?;
            (None, refcount, (addr + 16, u64::from(size0)))
        };
        let mut count = 0u32;
        let mut todo = vec![first];
        let mut seen = HashSet::new();
        let mut chunks = Vec::new();
        let mut i = 0;
        while let Some(&(a, len)) = todo.get(i) {
            i += 1;
            if !seen.insert(a) {
                return Err(Error::format(S, a, "continuation cycle"));
            }
            if chunks.len() > limits.max_continuations as usize {
                return Err(Error::limit(
                    "max_continuations",
                    limits.max_continuations.into(),
                    chunks.len() as u64,
                    Some(a),
                ));
            }
            let (msgs, gap) = if let Some(pre) = &v2_prefix {
                let fh = v2_fh(pre);
                // Chunk 0 area as given; continuation blocks: OCHK + messages + checksum.
                let buf = read(a, len)?;
                let area = if chunks.is_empty() {
                    &buf[..]
                } else {
                    if buf.get(..4) != Some(b"OCHK") || buf.len() < 8 {
                        return Err(Error::format(S2, a, "continuation block is not OCHK"));
                    }
                    &buf[4..buf.len() - 4]
                };
                parse_chunk(&mut Cursor::new(area, a, S2, sizes), limits, &mut count, fh)?
            } else {
                let buf = read(a, len)?;
                parse_chunk(&mut Cursor::new(&buf, a, S, sizes), limits, &mut count, 8)?
            };
            for m in &msgs {
                if m.mtype == CONTINUATION {
                    let t = cont_target(&m.body, sizes)
                        .ok_or_else(|| Error::format(S, a, "short continuation message"))?;
                    todo.push(t);
                }
            }
            // Chunk 0's address is the header address (prefix included when written).
            let caddr = if chunks.is_empty() { addr } else { a };
            chunks.push(HeaderChunk {
                addr: caddr,
                msgs,
                dirty: false,
                fh: v2_prefix.as_deref().map_or(8, v2_fh),
                gap,
            });
        }
        Ok(EditableHeader {
            addr,
            refcount,
            chunks,
            next_placeholder: sizes.max_address(),
            v2_prefix,
            shared_attrs: Vec::new(),
            superseded: Vec::new(),
            sizes,
        })
    }

    /// The first message of `mtype`, as (chunk, index).
    pub fn find(&self, mtype: u16) -> Option<(usize, usize)> {
        self.chunks.iter().enumerate().find_map(|(ci, c)| {
            c.msgs
                .iter()
                .position(|m| m.mtype == mtype)
                .map(|mi| (ci, mi))
        })
    }

    /// Body of the first message of `mtype`, mutable (marks its chunk dirty).
    pub fn body_mut(&mut self, mtype: u16) -> Option<&mut Vec<u8>> {
        let (ci, mi) = self.find(mtype)?;
        let c = self.chunks.get_mut(ci)?;
        c.dirty = true;
        c.msgs.get_mut(mi).map(|m| &mut m.body)
    }

    /// The name of the attribute message `m` (a shared one through `shared_attrs`).
    pub fn attribute_name_of<'a>(&'a self, m: &'a HeaderMessage) -> Option<&'a [u8]> {
        if m.mtype != ATTRIBUTE {
            return None;
        }
        if m.flags & FLAG_SHARED != 0 {
            return self
                .shared_attrs
                .iter()
                .find(|(enc, _, _)| *enc == m.body)
                .map(|(_, n, _)| n.as_slice());
        }
        attribute_name(&m.body)
    }

    /// Names of the attribute messages in the header.
    pub fn attribute_names(&self) -> Vec<Vec<u8>> {
        self.chunks
            .iter()
            .flat_map(|c| &c.msgs)
            .filter_map(|m| self.attribute_name_of(m).map(<[u8]>::to_vec))
            .collect()
    }

    /// Whether an attribute of this name exists.
    pub fn has_attribute(&self, name: &str) -> bool {
        self.chunks.iter().any(|c| {
            c.msgs
                .iter()
                .any(|m| self.attribute_name_of(m) == Some(name.as_bytes()))
        })
    }

    /// Turn the attribute `name` into NIL space (if present). Returns the messages removed
    /// as (flags, body): a shared one (or the shared datatype and dataspace of an unshared
    /// one) held references to the shared-message heap, which the caller gives back once
    /// the header is written.
    pub fn remove_attribute(&mut self, name: &str) -> Vec<(u8, Vec<u8>)> {
        let hits: Vec<(usize, usize)> = self
            .chunks
            .iter()
            .enumerate()
            .flat_map(|(ci, c)| c.msgs.iter().enumerate().map(move |(mi, m)| (ci, mi, m)))
            .filter(|(_, _, m)| self.attribute_name_of(m) == Some(name.as_bytes()))
            .map(|(ci, mi, _)| (ci, mi))
            .collect();
        let mut released = Vec::new();
        for (ci, mi) in hits {
            let Some(c) = self.chunks.get_mut(ci) else {
                continue;
            };
            let Some(m) = c.msgs.get_mut(mi) else {
                continue;
            };
            released.push((m.flags, m.body.clone()));
            m.mtype = NIL;
            m.flags = 0;
            m.corder = 0;
            m.body.iter_mut().for_each(|b| *b = 0);
            c.dirty = true;
        }
        released
    }

    /// Turn every message of `mtype` into NIL space (a group's Link messages moving to
    /// dense storage).
    pub fn remove_messages(&mut self, mtype: u16) {
        for c in &mut self.chunks {
            for m in &mut c.msgs {
                if m.mtype == mtype {
                    m.mtype = NIL;
                    m.flags = 0;
                    m.corder = 0;
                    m.body.iter_mut().for_each(|b| *b = 0);
                    c.dirty = true;
                }
            }
        }
    }

    fn merge_nils(c: &mut HeaderChunk) {
        let mut out: Vec<HeaderMessage> = Vec::with_capacity(c.msgs.len());
        for m in c.msgs.drain(..) {
            if let Some(last) = out.last_mut() {
                let merged = last.body.len() + c.fh + m.body.len();
                if last.mtype == NIL && m.mtype == NIL && merged <= usize::from(u16::MAX) {
                    last.body.resize(merged, 0);
                    continue;
                }
            }
            out.push(m);
        }
        c.msgs = out;
    }

    /// Put `msg` into NIL space of size exactly its body or with at least 8 bytes left
    /// over. Returns false when no NIL space fits.
    fn place_in_nil(&mut self, msg: &HeaderMessage) -> bool {
        let b = msg.body.len();
        // A continuation message may fill a NIL message too small to split: readers take
        // its address and length and skip the rest (small sizes of offsets and lengths
        // make it 8 bytes, and h5py's smallest group headers have 16 to spare).
        let padded = msg.mtype == CONTINUATION;
        for c in &mut self.chunks {
            Self::merge_nils(c);
            let fh = c.fh;
            let slot = c.msgs.iter().position(|m| {
                let n = m.body.len();
                m.mtype == NIL && (n == b || n >= b + 2 * fh || (padded && n > b))
            });
            if let Some(i) = slot {
                let old = c.msgs.get(i).map(|m| m.body.len()).unwrap_or(0);
                if let Some(m) = c.msgs.get_mut(i) {
                    *m = msg.clone();
                    if old > b && old < b + 2 * fh {
                        m.body.resize(old, 0);
                        c.dirty = true;
                        return true;
                    }
                }
                if old > b {
                    c.msgs.insert(
                        i + 1,
                        HeaderMessage {
                            mtype: NIL,
                            flags: 0,
                            body: vec![0; old - b - fh],
                            corder: 0,
                        },
                    );
                }
                c.dirty = true;
                return true;
            }
        }
        false
    }

    /// Add a message (body padded to 8 here): NIL space first, else a new continuation
    /// chunk. Errors when no NIL space or attribute slot can hold a continuation message.
    pub fn add(&mut self, mtype: u16, body: Vec<u8>) -> Result<()> {
        self.add_ordered(mtype, body, 0)
    }

    /// libhdf5's maximum of compact attributes of a v2 header: its phase-change field
    /// (prefix flag 0x10), else the default; `None` for a v1 header (no dense attributes).
    pub fn max_compact_attributes(&self) -> Option<u16> {
        let pre = self.v2_prefix.as_ref()?;
        let flags = pre.get(5).copied().unwrap_or(0);
        if flags & FLAG_ATTR_PHASE_CHANGE == 0 {
            return Some(ATTR_MAX_COMPACT);
        }
        let at = 6 + if flags & FLAG_TIMES != 0 { 16 } else { 0 };
        Some(
            pre.get(at..at + 2)
                .map_or(ATTR_MAX_COMPACT, |b| u16::from_le_bytes([b[0], b[1]])),
        )
    }

    /// Message header size of this header's chunks.
    pub fn fh(&self) -> usize {
        self.v2_prefix.as_deref().map_or(8, v2_fh)
    }

    /// Whether the messages of this header carry a creation order (v2 header flag 0x04).
    pub fn tracks_corder(&self) -> bool {
        self.fh() == 6
    }

    /// [`EditableHeader::add`] with the creation order of the message (headers tracking it).
    pub fn add_ordered(&mut self, mtype: u16, mut body: Vec<u8>, corder: u16) -> Result<()> {
        if self.v2_prefix.is_none() {
            body.resize(pad8(body.len()), 0);
        }
        if body.len() > usize::from(u16::MAX) {
            return Err(Error::Usage("header message of 64 KiB or more".into()));
        }
        let msg = HeaderMessage {
            mtype,
            flags: 0,
            body,
            corder,
        };
        if self.place_in_nil(&msg) {
            return Ok(());
        }
        let before = self.clone();
        match self.add_in_new_chunk(msg.clone()) {
            Err(Error::Unsupported { .. }) if self.grow_last_chunk(msg.body.len()) => {
                // No room for a continuation message anywhere (a header whose chunk 0
                // holds only its continuation, as h5py writes new-style groups): the last
                // continuation block grows instead, rewritten at new space like any
                // changed block.
                *self = before;
                self.grow_last_chunk(msg.body.len());
                if self.place_in_nil(&msg) {
                    Ok(())
                } else {
                    Err(Error::unsupported(
                        "object header has no room for a continuation message",
                        Some(self.addr),
                    ))
                }
            }
            r => r,
        }
    }

    /// Append NIL space for a message body of `len` bytes (plus spare room) to the last
    /// continuation block, unless that block holds a dataset's dataspace or layout (a
    /// commit slot is rewritten in place as found). False when there is no such block.
    fn grow_last_chunk(&mut self, len: usize) -> bool {
        let fh = self.fh();
        let Some(c) = self.chunks.get_mut(1..).and_then(|c| c.last_mut()) else {
            return false;
        };
        if c.msgs
            .iter()
            .any(|m| m.mtype == DATASPACE || m.mtype == LAYOUT)
        {
            return false;
        }
        c.msgs.push(HeaderMessage {
            mtype: NIL,
            flags: 0,
            body: vec![0; len + fh + SPARE],
            corder: 0,
        });
        c.dirty = true;
        true
    }

    /// A continuation message body for this header: padded to 8 in a v1 header, whose
    /// message sizes are multiples of 8.
    pub fn continuation(&self, addr: u64, len: u64) -> Vec<u8> {
        let mut b = encode_continuation(self.sizes, addr, len);
        if self.v2_prefix.is_none() {
            crate::hdf5::encoder::pad_vec(&mut b);
        }
        b
    }

    fn add_in_new_chunk(&mut self, msg: HeaderMessage) -> Result<()> {
        // A new chunk; its continuation message needs a body (16 bytes with 8-byte
        // offsets and lengths) somewhere.
        if self.next_placeholder <= placeholder_floor(self.sizes) {
            return Err(Error::unsupported(
                "more new continuation chunks in one header edit than placeholders",
                Some(self.addr),
            ));
        }
        let placeholder = self.next_placeholder;
        self.next_placeholder -= 1;
        let mut new_msgs = vec![msg];
        let cont = HeaderMessage {
            mtype: CONTINUATION,
            flags: 0,
            body: self.continuation(placeholder, 0),
            corder: 0,
        };
        let cb = cont.body.len();
        if !self.place_in_nil(&cont) {
            // Move a message of at least 16 bytes into the new chunk (an attribute if
            // possible, else e.g. the symbol table message of a bare h5py group; readers
            // find messages in any chunk); the continuation message takes its slot.
            // Its place, joined with the NIL messages next to it, must hold the
            // continuation message (padded if need be, `place_in_nil`).
            let room = |c: &HeaderChunk, mi: usize| {
                let nil = |m: &&HeaderMessage| m.mtype == NIL;
                let around = |m: &HeaderMessage| c.fh + m.body.len();
                let before: usize = c
                    .msgs
                    .get(..mi)
                    .map_or(0, |b| b.iter().rev().take_while(nil).map(around).sum());
                let after: usize = c
                    .msgs
                    .get(mi + 1..)
                    .map_or(0, |a| a.iter().take_while(nil).map(around).sum());
                c.msgs.get(mi).map_or(0, |m| m.body.len()) + before + after
            };
            let pick = [true, false].iter().find_map(|&attr_only| {
                self.chunks.iter().enumerate().find_map(|(ci, c)| {
                    c.msgs
                        .iter()
                        .enumerate()
                        .position(|(mi, m)| {
                            m.mtype != CONTINUATION
                                && m.mtype != NIL
                                && room(c, mi) >= cb
                                && (!attr_only || m.mtype == ATTRIBUTE)
                        })
                        .map(|mi| (ci, mi))
                })
            });
            let mut moved = None;
            if let Some((ci, mi)) = pick {
                if let Some(c) = self.chunks.get_mut(ci) {
                    if let Some(m) = c.msgs.get_mut(mi) {
                        let nil = HeaderMessage {
                            mtype: NIL,
                            flags: 0,
                            body: vec![0; m.body.len()],
                            corder: 0,
                        };
                        moved = Some(std::mem::replace(m, nil));
                        c.dirty = true;
                    }
                }
            }
            let Some(m) = moved else {
                return Err(Error::unsupported(
                    "object header has no room for a continuation message",
                    Some(self.addr),
                ));
            };
            new_msgs.push(m);
            if !self.place_in_nil(&cont) {
                return Err(Error::unsupported(
                    "object header has no room for a continuation message",
                    Some(self.addr),
                ));
            }
        }
        new_msgs.push(HeaderMessage {
            mtype: NIL,
            flags: 0,
            body: vec![0; SPARE],
            corder: 0,
        });
        self.chunks.push(HeaderChunk {
            addr: placeholder,
            msgs: new_msgs,
            dirty: true,
            fh: self.fh(),
            gap: 0,
        });
        Ok(())
    }

    /// Turn this v1 header into a v2 one of the same total size at the same address
    /// (`OHDR`, flags 0x12: chunk-0 size on 4 bytes, libhdf5's attribute phase change 8/6
    /// stored), as libhdf5 writes v2 headers in superblock-v0 files: messages kept in
    /// order with 4-byte headers (the bytes saved become a NIL message), continuation
    /// blocks rewritten as `OCHK` blocks at the next commit. Returns the old continuation
    /// blocks (address, length), superseded once that commit is written. Refused: headers
    /// referenced more than once (a v2 header would need a reference count message), message
    /// types above 255.
    pub fn to_v2(&mut self) -> Result<Vec<(u64, u64)>> {
        if self.v2_prefix.is_some() {
            return Ok(Vec::new());
        }
        if self.refcount != 1 {
            return Err(Error::unsupported(
                "changing the header version of an object with several hard links",
                Some(self.addr),
            ));
        }
        if self
            .chunks
            .iter()
            .flat_map(|c| &c.msgs)
            .any(|m| m.mtype > 255)
        {
            return Err(Error::unsupported(
                "a v1 header message type above 255",
                Some(self.addr),
            ));
        }
        let c0 = self
            .chunks
            .first()
            .ok_or_else(|| Error::format(S, self.addr, "no chunk 0"))?;
        // v1: 16-byte prefix + area; v2: 14-byte prefix + area + 4-byte checksum.
        let area = c0
            .size()
            .checked_sub(2)
            .ok_or_else(|| Error::format(S, self.addr, "chunk 0 too small"))?;
        let mut old = Vec::new();
        for (i, c) in self.chunks.iter_mut().enumerate() {
            if i > 0 {
                old.push((c.addr, c.size() as u64));
            }
            c.fh = 4;
            c.gap = 0;
            c.dirty = true;
            c.msgs.retain(|m| !(m.mtype == NIL && i == 0));
        }
        if let Some(c0) = self.chunks.first_mut() {
            let used = c0.size();
            let rest = area
                .checked_sub(used)
                .ok_or_else(|| Error::format(S, self.addr, "chunk 0 messages overflow"))?;
            let mut rest = rest;
            while rest >= 4 {
                let body = (rest - 4).min(usize::from(u16::MAX));
                c0.msgs.push(HeaderMessage {
                    mtype: NIL,
                    flags: 0,
                    body: vec![0; body],
                    corder: 0,
                });
                rest -= body + 4;
            }
            c0.gap = rest;
        }
        self.v2_prefix = Some(ohdr_prefix(area)?);
        Ok(old)
    }

    /// Total message count (NIL and continuation messages included).
    pub fn count(&self) -> usize {
        self.chunks.iter().map(|c| c.msgs.len()).sum()
    }

    /// Write changed continuation chunks with `write_new` (returns their new address), then
    /// return the prefix + chunk 0 bytes for the in-place step.
    pub fn serialize(
        &mut self,
        write_new: &mut dyn FnMut(&[u8]) -> Result<u64>,
    ) -> Result<Vec<u8>> {
        for i in (1..self.chunks.len()).rev() {
            let Some(c) = self.chunks.get(i) else {
                continue;
            };
            if !c.dirty {
                continue;
            }
            let bytes = match self.v2_prefix {
                Some(_) => {
                    let mut b = b"OCHK".to_vec();
                    b.extend_from_slice(&c.encode());
                    seal(b)
                }
                None => c.encode(),
            };
            let old = c.addr;
            let new = write_new(&bytes)?;
            if let Some(c) = self.chunks.get_mut(i) {
                c.addr = new;
                c.dirty = false;
            }
            // Repoint the parent's continuation message.
            let mut found = false;
            let (sizes, floor) = (self.sizes, placeholder_floor(self.sizes));
            let body = self.continuation(new, bytes.len() as u64);
            for p in self.chunks.iter_mut().take(i) {
                for m in &mut p.msgs {
                    let target = cont_target(&m.body, sizes);
                    if m.mtype == CONTINUATION && target.map(|t| t.0) == Some(old) {
                        // A block that was in the file (not a placeholder of this edit).
                        if let Some((a, l)) = target.filter(|t| t.0 < floor) {
                            self.superseded.push((a, l));
                        }
                        // Same size as the body it replaces (which may be padded).
                        let n = m.body.len().max(body.len());
                        m.body.clone_from(&body);
                        m.body.resize(n, 0);
                        p.dirty = true;
                        found = true;
                    }
                }
            }
            if !found {
                return Err(Error::format(
                    S,
                    self.addr,
                    "continuation chunk without a parent",
                ));
            }
        }
        let c0 = self
            .chunks
            .first_mut()
            .ok_or_else(|| Error::format(S, self.addr, "no chunk 0"))?;
        c0.dirty = false;
        let body = c0.encode();
        if let Some(pre) = &self.v2_prefix {
            let mut out = pre.clone();
            out.extend_from_slice(&body);
            return Ok(seal(out));
        }
        let n = u16::try_from(self.count())
            .map_err(|_| Error::Usage("too many header messages".into()))?;
        let size = u32::try_from(body.len()).map_err(|_| Error::Usage("chunk 0 too big".into()))?;
        let mut out = encode_header_prefix(n, self.refcount, size);
        out.extend_from_slice(&body);
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
