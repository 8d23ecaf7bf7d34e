//! Shared object header messages kept in the shared-message heap (SOHM; spec III.H "Shared
//! Object Header Message Table", IV.A.2.p "Shared Message Table Message", IV.A.2 "Shared
//! Message" version 3 type 1).
//!
//! A file created with `H5Pset_shared_mesg_nindexes` stores dataspace, datatype, fill value,
//! filter pipeline and attribute messages once, in a fractal heap per index; object headers
//! then carry a shared message (version 3, type 1) holding the 8-byte heap ID. The
//! superblock extension's message 0x0F points to the table (`SMTB`: per index a version,
//! index type, message type flags, sizes, count, index address and heap address, then a
//! lookup3 checksum). Reading needs only the heap whose flags hold the message's type: the
//! list / v2 B-tree indexes serve writers looking for duplicates.

use crate::error::{Error, Result};
use crate::hdf5::cursor::UNDEFINED_ADDRESS;
use crate::hdf5::io::{Budget, FileIo};
use crate::hdf5::message::kind;
use crate::hdf5::superblock::Superblock;

const TABLE: &str = "shared message table";
/// Superblock-extension message type of the Shared Message Table message.
const SHARED_MESSAGE_TABLE: u16 = 0x0f;

/// One index of the table: the message types it holds and its fractal heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SohmIndex {
    /// Message type flags: bit `t` set for messages of type `t` (dataspace 1, datatype 3,
    /// fill value 5, filter pipeline 11, attribute 12).
    pub types: u16,
    /// Address of the fractal heap holding the messages.
    pub heap: u64,
}

/// The flag bit of an index holding messages of `msg_type`: `1 << type` as HDF5 stores it
/// (`H5SM__type_to_flag`; an old fill value message counts as a new one).
pub fn type_flag(msg_type: u16) -> Option<u16> {
    let t = match msg_type {
        kind::FILL_VALUE_OLD => kind::FILL_VALUE,
        kind::DATASPACE
        | kind::DATATYPE
        | kind::FILL_VALUE
        | kind::FILTER_PIPELINE
        | kind::ATTRIBUTE => msg_type,
        _ => return None,
    };
    1u16.checked_shl(u32::from(t))
}

/// One index of the table as stored (for a writer changing reference counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SohmIndexFull {
    /// 0: list (`SMLI`), 1: v2 B-tree of type 7.
    pub index_type: u8,
    /// Message type flags (see [`SohmIndex::types`]).
    pub types: u16,
    /// Most messages the list holds (its block is sized for them).
    pub list_max: u16,
    /// Messages in the index.
    pub num_messages: u16,
    /// Address of the list or of the B-tree header.
    pub index_addr: u64,
    /// Address of the fractal heap holding the messages.
    pub heap: u64,
    /// Offset of this index's entry in the table block (its message count at +12, its
    /// index address at +14).
    pub entry_at: usize,
}

/// The table block (`SMTB` to checksum) and its indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SohmTable {
    /// Address of the block.
    pub addr: u64,
    /// The block, checksum included.
    pub block: Vec<u8>,
    /// Its indexes.
    pub indexes: Vec<SohmIndexFull>,
}

/// The file's shared message table (the superblock extension's message 0x0F).
pub fn table(io: &FileIo, sb: &Superblock) -> Result<SohmTable> {
    let no_table = || {
        Error::format(
            TABLE,
            0,
            "shared message in a file without a shared message table",
        )
    };
    if sb.extension_address == UNDEFINED_ADDRESS {
        return Err(no_table());
    }
    let ext = crate::hdf5::object_header::read(io, sb.extension_address)?;
    let msg = ext
        .messages
        .iter()
        .find(|m| m.msg_type == SHARED_MESSAGE_TABLE)
        .ok_or_else(no_table)?;
    let mut c = io.cursor(&msg.data, msg.at, "shared message table message");
    let v_at = c.addr();
    let version = c.u8()?;
    if version != 0 {
        return Err(Error::Format(c.err_at(
            v_at,
            format!("shared message table message version {version}"),
        )));
    }
    let addr = c.offset()?;
    let n = c.u8()?;
    let o = u64::from(io.sizes.offsets);
    // "SMTB", per index 2+2+4+2+2+2 bytes and two addresses, then the checksum.
    let len = 4 + u64::from(n) * (14 + 2 * o) + 4;
    let block = io.read(addr, len, TABLE)?;
    let (body, sum) = block.split_at(block.len().saturating_sub(4));
    let sum: [u8; 4] = sum
        .try_into()
        .map_err(|_| Error::format(TABLE, addr, "table shorter than its checksum"))?;
    crate::hdf5::checksum::verify(TABLE, addr, body, u32::from_le_bytes(sum))?;
    let mut t = io.cursor(body, addr, TABLE);
    if t.bytes(4)? != b"SMTB" {
        return Err(Error::format(TABLE, addr, "signature is not SMTB"));
    }
    let mut out = Vec::with_capacity(usize::from(n));
    for _ in 0..n {
        let iv_at = t.addr();
        let entry_at = usize::try_from(iv_at - addr)
            .map_err(|_| Error::format(TABLE, addr, "table too large"))?;
        let iv = t.u8()?;
        if iv != 0 {
            return Err(Error::Format(
                t.err_at(iv_at, format!("shared message index version {iv}")),
            ));
        }
        let index_type = t.u8()?;
        let types = t.u16()?;
        t.skip(4)?; // minimum message size
        let list_max = t.u16()?;
        t.skip(2)?; // B-tree cutoff
        let num_messages = t.u16()?;
        let index_addr = t.offset()?;
        let heap = t.offset()?;
        out.push(SohmIndexFull {
            index_type,
            types,
            list_max,
            num_messages,
            index_addr,
            heap,
            entry_at,
        });
    }
    Ok(SohmTable {
        addr,
        block,
        indexes: out,
    })
}

/// The indexes of the file's shared message table (the superblock extension's message 0x0F).
pub fn indexes(io: &FileIo, sb: &Superblock) -> Result<Vec<SohmIndex>> {
    Ok(table(io, sb)?
        .indexes
        .into_iter()
        .map(|i| SohmIndex {
            types: i.types,
            heap: i.heap,
        })
        .collect())
}

/// The encoded message of type `msg_type` a shared message (version 3, type 1) points to:
/// the object of heap ID `heap_id` in the heap of the index holding that type.
pub fn message(
    io: &FileIo,
    sb: &Superblock,
    msg_type: u16,
    heap_id: &[u8],
    at: u64,
) -> Result<Vec<u8>> {
    let flag = type_flag(msg_type).ok_or_else(|| {
        Error::format(
            "shared message",
            at,
            format!("message type {msg_type:#x} cannot be in the shared message heap"),
        )
    })?;
    let index = indexes(io, sb)?
        .into_iter()
        .find(|i| i.types & flag != 0)
        .ok_or_else(|| {
            Error::format(
                "shared message",
                at,
                format!("no shared message index holds message type {msg_type:#x}"),
            )
        })?;
    let heap = crate::hdf5::fractal_heap::open(io, index.heap)?;
    heap.get(io, heap_id, &mut Budget::new(&io.limits))
}

/// The heap ID of a shared message stored in the shared-message heap (version 3, type 1),
/// `None` for the other encodings (an object header address).
pub fn heap_id(encoding: &[u8]) -> Option<&[u8]> {
    match encoding {
        [3, 1, id @ ..] if id.len() >= 8 => id.get(..8),
        _ => None,
    }
}
