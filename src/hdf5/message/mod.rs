//! Object header messages (spec IV.A.2): one module per message, each a pure decoder over
//! the message's bytes.
//!
//! The object header layer (`object_header.rs`) produces [`RawMessage`]s; this layer turns
//! them into typed messages. Unknown message types are kept raw, and refused only when the
//! message's "fail if unknown" flag is set.
//!
//! Every decoder has the shape `parse(&mut Cursor, &Limits) -> crate::Result<Self>`, the
//! cursor covering exactly the message's data bytes; [`decode`] dispatches a [`RawMessage`].
//! Shared messages (flag 0x02) are refused here; the read layer resolves committed
//! datatypes (see [`shared_address`]).

pub mod attribute;
pub mod attribute_info;
pub mod continuation;
pub mod dataspace;
pub mod datatype;
pub mod fill_value;
pub mod filter_pipeline;
pub mod group_info;
pub mod layout;
pub mod link;
pub mod link_info;
pub mod symbol_table;

use std::borrow::Cow;

use crate::error::{Error, Result};
use crate::hdf5::cursor::{Cursor, Sizes};
use crate::limits::Limits;

use attribute::AttributeMessage;
use attribute_info::AttributeInfo;
use continuation::Continuation;
use dataspace::Dataspace;
use datatype::Datatype;
use fill_value::FillValue;
use filter_pipeline::FilterPipeline;
use group_info::GroupInfo;
use layout::DataLayout;
use link::LinkMessage;
use link_info::LinkInfo;
use symbol_table::SymbolTableMessage;

/// Message type numbers (spec IV.A.2).
pub mod kind {
    /// NIL (padding).
    pub const NIL: u16 = 0x0;
    /// Dataspace.
    pub const DATASPACE: u16 = 0x1;
    /// Link Info.
    pub const LINK_INFO: u16 = 0x2;
    /// Datatype.
    pub const DATATYPE: u16 = 0x3;
    /// Fill Value (old).
    pub const FILL_VALUE_OLD: u16 = 0x4;
    /// Fill Value.
    pub const FILL_VALUE: u16 = 0x5;
    /// Link.
    pub const LINK: u16 = 0x6;
    /// External Data Files.
    pub const EXTERNAL_FILES: u16 = 0x7;
    /// Data Layout.
    pub const LAYOUT: u16 = 0x8;
    /// Bogus (testing only).
    pub const BOGUS: u16 = 0x9;
    /// Group Info.
    pub const GROUP_INFO: u16 = 0xA;
    /// Filter Pipeline.
    pub const FILTER_PIPELINE: u16 = 0xB;
    /// Attribute.
    pub const ATTRIBUTE: u16 = 0xC;
    /// Object Comment.
    pub const COMMENT: u16 = 0xD;
    /// Object Modification Time (old).
    pub const MTIME_OLD: u16 = 0xE;
    /// Shared Message Table.
    pub const SHARED_TABLE: u16 = 0xF;
    /// Object Header Continuation.
    pub const CONTINUATION: u16 = 0x10;
    /// Symbol Table.
    pub const SYMBOL_TABLE: u16 = 0x11;
    /// Object Modification Time.
    pub const MTIME: u16 = 0x12;
    /// B-tree 'K' Values.
    pub const BTREE_K: u16 = 0x13;
    /// Driver Info.
    pub const DRIVER_INFO: u16 = 0x14;
    /// Attribute Info.
    pub const ATTRIBUTE_INFO: u16 = 0x15;
    /// Object Reference Count.
    pub const REFCOUNT: u16 = 0x16;
    /// File Space Info.
    pub const FSINFO: u16 = 0x17;
}

/// Message flag bits (spec IV.A.1).
pub mod flags {
    /// The message is constant.
    pub const CONSTANT: u8 = 0x01;
    /// The message is shared (stored elsewhere); we refuse shared messages.
    pub const SHARED: u8 = 0x02;
    /// Fail to open for writing if the type is unknown.
    pub const FAIL_IF_UNKNOWN_WRITE: u8 = 0x08;
    /// Fail always if the type is unknown.
    pub const FAIL_IF_UNKNOWN_ALWAYS: u8 = 0x80;
}

/// One message as found in an object header, before decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// Message type (see [`kind`]).
    pub msg_type: u16,
    /// Message flags (see [`flags`]).
    pub flags: u8,
    /// Creation order, when the v2 header tracks it.
    pub creation_order: Option<u16>,
    /// Absolute file address of the message's data (for error offsets).
    pub at: u64,
    /// The message data (exactly the declared size).
    pub data: Vec<u8>,
}

/// A decoded object header message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// 0x1.
    Dataspace(Dataspace),
    /// 0x3.
    Datatype(Datatype),
    /// 0x4 (old fill value; prefer [`Message::FillValue`] when both are present).
    FillValueOld(FillValue),
    /// 0x5.
    FillValue(FillValue),
    /// 0x8.
    Layout(DataLayout),
    /// 0xB.
    FilterPipeline(FilterPipeline),
    /// 0xC.
    Attribute(AttributeMessage),
    /// 0x6.
    Link(LinkMessage),
    /// 0x2.
    LinkInfo(LinkInfo),
    /// 0xA.
    GroupInfo(GroupInfo),
    /// 0x15.
    AttributeInfo(AttributeInfo),
    /// 0x11.
    SymbolTable(SymbolTableMessage),
    /// 0x10.
    Continuation(Continuation),
    /// A message this layer does not interpret (NIL, modification times, comment, reference
    /// count, B-tree K values, external files 0x7, unknown types, ...), by type number.
    ///
    /// Note for readers: `Other(kind::EXTERNAL_FILES)` means the raw data lives in other
    /// files; a dataset carrying it must be refused, not read from its layout address.
    Other(u16),
}

/// Decode one raw message.
///
/// Shared messages (flag 0x02) are refused as [`Error::Unsupported`]; unknown types become
/// [`Message::Other`] unless flagged "fail if unknown (always)" (0x80), which is refused too.
/// The ignored-but-known types (NIL, MTIME, COMMENT, ...) are `Other` whatever their flags.
pub fn decode(raw: &RawMessage, sizes: Sizes, limits: &Limits) -> Result<Message> {
    let t = raw.msg_type;
    let decoded = is_decoded(t);
    if !decoded {
        check_fail_if_unknown(raw)?;
        return Ok(Message::Other(t));
    }
    if raw.flags & flags::SHARED != 0 {
        // Shared messages live in the SOHM table or a committed datatype's header.
        return Err(Error::unsupported(
            "shared object header messages",
            Some(raw.at),
        ));
    }
    let mut c = Cursor::new(&raw.data, raw.at, "object header message", sizes);
    decode_known(t, &mut c, limits)
}

/// A message decoder named by its type: every message module's `parse(&mut Cursor,
/// &Limits)`, for generic callers (the tests' `decode::<T>`).
pub trait Decode: Sized {
    /// Decode from a cursor over exactly the message's bytes.
    fn decode(c: &mut Cursor<'_>, limits: &Limits) -> Result<Self>;
}

macro_rules! impl_decode {
    ($($t:ty),* $(,)?) => {
        $(impl Decode for $t {
            fn decode(c: &mut Cursor<'_>, limits: &Limits) -> Result<Self> {
                <$t>::parse(c, limits)
            }
        })*
    };
}

impl_decode!(
    Dataspace,
    Datatype,
    FillValue,
    LinkMessage,
    DataLayout,
    GroupInfo,
    FilterPipeline,
    AttributeMessage,
    Continuation,
    SymbolTableMessage,
    LinkInfo,
    AttributeInfo,
);

/// The messages this layer decodes, each listed once: type number, variant, decoder.
macro_rules! decoded_messages {
    ($($kind:ident => $variant:ident($parse:path)),* $(,)?) => {
        fn is_decoded(t: u16) -> bool {
            matches!(t, $(kind::$kind)|*)
        }

        fn decode_known(t: u16, c: &mut Cursor<'_>, limits: &Limits) -> Result<Message> {
            Ok(match t {
                $(kind::$kind => Message::$variant($parse(c, limits)?),)*
                _ => Message::Other(t),
            })
        }
    };
}

decoded_messages! {
    DATASPACE => Dataspace(Dataspace::parse),
    LINK_INFO => LinkInfo(LinkInfo::parse),
    DATATYPE => Datatype(Datatype::parse),
    FILL_VALUE_OLD => FillValueOld(FillValue::parse_old),
    FILL_VALUE => FillValue(FillValue::parse),
    LINK => Link(LinkMessage::parse),
    LAYOUT => Layout(DataLayout::parse),
    GROUP_INFO => GroupInfo(GroupInfo::parse),
    FILTER_PIPELINE => FilterPipeline(FilterPipeline::parse),
    ATTRIBUTE => Attribute(AttributeMessage::parse),
    CONTINUATION => Continuation(Continuation::parse),
    SYMBOL_TABLE => SymbolTable(SymbolTableMessage::parse),
    ATTRIBUTE_INFO => AttributeInfo(AttributeInfo::parse),
}

/// The object header address a shared message points to (spec IV.A.2, "Shared Message"):
/// v1 (version, type, 6 reserved bytes, then a symbol table entry: link name offset of
/// "size of lengths" bytes, skipped as HDF5's `H5O__shared_decode` does, and the address),
/// v2 (version, type, address), v3 type 2 (version, type 2, address). Messages in the shared-message heap (SOHM, v3 type 1) are
/// refused by name.
pub fn shared_address(data: &[u8], sizes: Sizes, at: u64) -> Result<u64> {
    let mut c = Cursor::new(data, at, "shared message", sizes);
    let v = version(&mut c, &[1, 2, 3])?;
    let ty_at = c.addr();
    let ty = c.u8()?;
    match (v, ty) {
        (1, _) => {
            c.skip(6)?;
            c.length()?;
        }
        (2, _) | (3, 2) => {}
        (3, 1) => {
            return Err(Error::unsupported(
                "shared object header messages (SOHM heap)",
                Some(at),
            ))
        }
        _ => {
            return Err(Error::Format(
                c.err_at(ty_at, format!("shared message type {ty} in version {v}")),
            ))
        }
    }
    Ok(c.offset()?)
}

/// A flags byte with no bit set outside `known` (`what` names the flags in the error).
pub(crate) fn known_flags(c: &mut Cursor<'_>, known: u8, what: &str) -> Result<u8> {
    let at = c.addr();
    let flags = c.u8()?;
    if flags & !known != 0 {
        return Err(Error::Format(
            c.err_at(at, format!("unknown {what} flags {flags:#x}")),
        ));
    }
    Ok(flags)
}

/// Run `f` on a copy of `c` reporting errors under `structure`, then advance `c` past what
/// `f` consumed. Decoders name themselves this way whatever name the caller's cursor has.
pub(crate) fn named<'a, T>(
    c: &mut Cursor<'a>,
    structure: &'static str,
    f: impl FnOnce(&mut Cursor<'a>) -> Result<T>,
) -> Result<T> {
    let mut inner = c.clone().with_structure(structure);
    let v = f(&mut inner)?;
    c.seek(inner.pos())?;
    Ok(v)
}

/// A format error at the cursor position, as a crate error.
pub(crate) fn bad(c: &Cursor<'_>, reason: impl Into<Cow<'static, str>>) -> Error {
    Error::Format(c.err(reason))
}

/// Require a version byte among `accepted`; the error names the bad value and offset.
pub(crate) fn version(c: &mut Cursor<'_>, accepted: &[u8]) -> Result<u8> {
    let at = c.addr();
    let v = c.u8()?;
    if accepted.contains(&v) {
        Ok(v)
    } else {
        Err(Error::Format(c.err_at(
            at,
            format!("unsupported version {v} (expected one of {accepted:?})"),
        )))
    }
}

/// Take a NUL-terminated string from the cursor (the NUL is consumed, not returned).
pub(crate) fn cstring<'a>(c: &mut Cursor<'a>) -> Result<&'a [u8]> {
    let n = c
        .rest()
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| bad(c, "string without NUL terminator"))?;
    let s = c.bytes(n)?;
    c.skip(1)?;
    Ok(s)
}

/// Bytes up to the first NUL (or all of them), decoded as UTF-8 (invalid bytes replaced).
pub(crate) fn text(b: &[u8]) -> String {
    let end = b.iter().position(|&x| x == 0).unwrap_or(b.len());
    String::from_utf8_lossy(b.get(..end).unwrap_or(b)).into_owned()
}

/// `n` rounded up to a multiple of 8, `None` on overflow.
pub(crate) fn pad8(n: usize) -> Option<usize> {
    n.checked_add(7).map(|x| x & !7)
}

/// Helpers shared by the message unit tests.
/// HDF5 refuses to open an object holding a message type it does not know whose flags say
/// "fail if unknown" (always; the write-only variant does not apply to reading). Type 0x9 is
/// the test-only "bogus" message, unknown to release builds of the library; 0x18 is the
/// metadata cache image message.
pub fn check_fail_if_unknown(raw: &RawMessage) -> Result<()> {
    let t = raw.msg_type;
    let known = t <= 0x18 && t != kind::BOGUS;
    if !known && raw.flags & flags::FAIL_IF_UNKNOWN_ALWAYS != 0 {
        return Err(Error::unsupported(
            format!("unknown object header message type {t:#x} flagged \"fail if unknown\""),
            Some(raw.at),
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod test_util {
    use crate::error::Error;
    use crate::hdf5::cursor::{Cursor, Sizes};

    /// Test cursors start at this file address, so error offsets are easy to check.
    pub const BASE: u64 = 1000;

    /// A cursor over `b` at [`BASE`] with 8-byte offsets and lengths.
    pub fn cur(b: &[u8]) -> Cursor<'_> {
        Cursor::new(b, BASE, "caller", Sizes::default())
    }

    /// Decode `b` as a `T` message through [`cur`] with default limits.
    pub fn decode<T: super::Decode>(b: &[u8]) -> crate::Result<T> {
        T::decode(&mut cur(b), &crate::limits::Limits::default())
    }

    /// The (structure, offset) of a format error; panics on any other result.
    pub fn format_at<T: std::fmt::Debug>(r: crate::Result<T>) -> (&'static str, u64) {
        match r {
            Err(Error::Format(f)) => (f.structure, f.at),
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    /// Whether `r` is an `Unsupported` error.
    pub fn is_unsupported<T>(r: &crate::Result<T>) -> bool {
        matches!(r, Err(Error::Unsupported { .. }))
    }

    /// Whether `r` is a `Limit` error on the named limit.
    pub fn is_limit<T>(r: &crate::Result<T>, name: &str) -> bool {
        matches!(r, Err(Error::Limit { name: n, .. }) if *n == name)
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use super::*;
    use crate::hdf5::message::dataspace::DataspaceKind;

    fn raw(msg_type: u16, flags: u8, data: &[u8]) -> RawMessage {
        RawMessage {
            msg_type,
            flags,
            creation_order: None,
            at: BASE,
            data: data.to_vec(),
        }
    }

    fn dec(r: &RawMessage) -> crate::Result<Message> {
        super::decode(r, Sizes::default(), &Limits::default())
    }

    #[rustfmt::skip]
    const NULL_SPACE: [u8; 4] = [
        0x02, // version 2
        0x00, // rank 0
        0x00, // flags
        0x02, // type: null
    ];

    #[test]
    fn decodes_known_message() {
        let m = dec(&raw(kind::DATASPACE, 0, &NULL_SPACE)).unwrap();
        match m {
            Message::Dataspace(d) => assert_eq!(d.kind, DataspaceKind::Null),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn shared_message_is_unsupported() {
        assert!(is_unsupported(&dec(&raw(
            kind::DATASPACE,
            flags::SHARED,
            &NULL_SPACE
        ))));
        assert!(is_unsupported(&dec(&raw(
            kind::DATATYPE,
            flags::SHARED | flags::CONSTANT,
            &[]
        ))));
    }

    /// tcompound.h5 (HDF5 1.4 era): a committed datatype shared with message v1, whose body
    /// is a symbol table entry; the address follows the link name offset.
    #[test]
    fn shared_message_v1_address_follows_the_link_name_offset() {
        #[rustfmt::skip]
        let v1 = [
            0x01, 0x01, 0, 0, 0, 0, 0, 0, // version 1, flags, 6 reserved
            0x10, 0, 0, 0, 0, 0, 0, 0,    // link name offset (size of lengths): 16
            0xb8, 0x02, 0, 0, 0, 0, 0, 0, // object header address 0x2b8
            0, 0, 0, 0, 0, 0, 0, 0,       // cache type, reserved
        ];
        assert_eq!(shared_address(&v1, Sizes::default(), BASE).unwrap(), 0x2b8);
        // 4-byte lengths, 8-byte offsets: the skipped field is the lengths' width.
        let sizes = Sizes {
            offsets: 8,
            lengths: 4,
        };
        let v1_small = [
            1, 1, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0,
        ];
        assert_eq!(shared_address(&v1_small, sizes, BASE).unwrap(), 0x40);
        // v2: the address right after version and type.
        assert_eq!(
            shared_address(&[2, 2, 0x30, 0, 0, 0, 0, 0, 0, 0], Sizes::default(), BASE).unwrap(),
            0x30
        );
    }

    #[test]
    fn unknown_and_ignored_types() {
        assert_eq!(
            dec(&raw(0x30, 0, &[1, 2, 3])).unwrap(),
            Message::Other(0x30)
        );
        assert!(is_unsupported(&dec(&raw(
            0x30,
            flags::FAIL_IF_UNKNOWN_ALWAYS,
            &[]
        ))));
        // Known but ignored: kept raw even when flagged.
        assert_eq!(
            dec(&raw(kind::MTIME, flags::FAIL_IF_UNKNOWN_ALWAYS, &[])).unwrap(),
            Message::Other(kind::MTIME)
        );
        assert_eq!(
            dec(&raw(kind::NIL, 0, &[0; 8])).unwrap(),
            Message::Other(kind::NIL)
        );
        assert_eq!(
            dec(&raw(kind::EXTERNAL_FILES, 0, &[])).unwrap(),
            Message::Other(kind::EXTERNAL_FILES)
        );
    }

    #[test]
    fn errors_name_the_message() {
        let (s, at) = format_at(dec(&raw(kind::DATASPACE, 0, &[9, 0, 0, 0])));
        assert_eq!((s, at), ("dataspace message", BASE));
        let (s, at) = format_at(dec(&raw(kind::CONTINUATION, 0, &[0; 3])));
        assert_eq!((s, at), ("continuation message", BASE));
    }

    proptest::proptest! {
        /// Hostile bytes: every decoder returns, with a value or an error, never a panic.
        #[test]
        fn arbitrary_bytes_never_panic(
            t in 0u16..0x20,
            fl in proptest::prelude::any::<u8>(),
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..160),
        ) {
            let _ = dec(&raw(t, fl & !flags::SHARED, &data));
        }

        /// Mutations of a real compound type (deep structure) never panic either.
        #[test]
        fn mutated_datatype_never_panics(
            pos in 0usize..84,
            val in proptest::prelude::any::<u8>(),
        ) {
            let mut b = datatype_sample().to_vec();
            if let Some(x) = b.get_mut(pos) { *x = val; }
            let _ = dec(&raw(kind::DATATYPE, 0, &b));
        }
    }

    /// PyTables Table row type {a: i4, b: f8[2]}, compound v2 (real bytes).
    #[rustfmt::skip]
    fn datatype_sample() -> [u8; 84] {
        [
            0x26, 0x02, 0x00, 0x00, 20, 0, 0, 0, // compound v2, 2 members, size 20
            b'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // "a", offset 0
            0x10, 0x08, 0x00, 0x00, 4, 0, 0, 0, 0, 0, 32, 0, // i32
            b'b', 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, // "b", offset 4
            0x2a, 0x00, 0x00, 0x00, 16, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, // f8[2] array v2
            0x11, 0x20, 0x3f, 0x00, 8, 0, 0, 0, 0, 0, 64, 0, 52, 11, 0, 52, 0xff, 0x03, 0, 0, // f64
        ]
    }
}
