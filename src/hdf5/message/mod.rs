//! Object header messages (spec IV.A.2): one module per message, each a pure decoder over
//! the message's bytes.
//!
//! The object header layer (`object_header.rs`) produces [`RawMessage`]s; this layer turns
//! them into typed messages. Unknown message types are kept raw, and refused only when the
//! message's "fail if unknown" flag is set.

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
