//! Pure encoders for the structures of the PyTables write profile (no I/O).
//!
//! Spec (HDF5 File Format 3.0): superblock v0 (II.A), v1 object header prefix and message
//! headers (IV.A.1.a), Dataspace v1/v2 (IV.A.2.b), Datatype v1/v2 (IV.A.2.d), Fill Value
//! v2 and old 0x4 (IV.A.2.e/f), Data Layout v3 (IV.A.2.i), Filter Pipeline v1 (IV.A.2.l),
//! Attribute v1 (IV.A.2.m), Continuation (IV.A.2.q), Symbol Table message (IV.A.2.r),
//! v1 B-tree nodes types 0 and 1 (III.A.1), SNOD v1 (III.B), symbol-table entry (III.C),
//! local heap v0 (III.D), global heap collection v1 (III.E).
//!
//! Sizes of offsets and lengths are always 8 here. Every message body is padded to a
//! multiple of 8 bytes (v1 headers require it). Refused: datatypes outside the classes
//! listed in [`encode_datatype`]; attribute messages of 64 KiB or more.

use crate::error::{Error, Result};
use crate::hdf5::message::datatype::{ByteOrder, CharSet, Datatype, StringPadding};
use crate::hdf5::message::filter_pipeline::FilterPipeline;

/// The undefined address (all bits set).
pub const UNDEF: u64 = u64::MAX;
/// Size of the superblock v0 with 8-byte offsets, including the root symbol-table entry.
pub const SUPERBLOCK_SIZE: u64 = 96;
/// Byte offset of the end-of-file address inside superblock v0.
pub const EOF_FIELD: u64 = 40;
/// Group leaf node K (SNOD holds 2K entries).
pub const GROUP_LEAF_K: usize = 4;
/// Group internal node K (group B-tree nodes hold 2K children).
pub const GROUP_INTERNAL_K: usize = 16;
/// Chunk B-tree K (nodes hold 2K children).
pub const CHUNK_K: usize = 32;
/// Largest attribute message accepted in a v1 header (HDF5's limit is < 64 KiB).
pub const MAX_MESSAGE: usize = 65_535;

/// Round `n` up to a multiple of 8.
pub fn pad8(n: usize) -> usize {
    n.div_ceil(8).saturating_mul(8)
}

fn pad_vec(v: &mut Vec<u8>) {
    let n = pad8(v.len());
    v.resize(n, 0);
}

fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(msg.into())
}

fn u32_of(n: u64, what: &str) -> Result<u32> {
    u32::try_from(n).map_err(|_| usage(format!("{what} {n} does not fit in 32 bits")))
}

fn order_bit(o: ByteOrder) -> u8 {
    match o {
        ByteOrder::LittleEndian => 0,
        ByteOrder::BigEndian => 1,
    }
}

fn padding_bits(p: StringPadding) -> u8 {
    match p {
        StringPadding::NullTerminate => 0,
        StringPadding::NullPad => 1,
        StringPadding::SpacePad => 2,
    }
}

fn charset_bits(c: CharSet) -> u8 {
    match c {
        CharSet::Ascii => 0,
        CharSet::Utf8 => 1,
    }
}

fn needs_v2(dt: &Datatype) -> bool {
    match dt {
        Datatype::Array { .. } => true,
        Datatype::Compound { members, .. } => members.iter().any(|m| needs_v2(&m.datatype)),
        Datatype::Enum { base, .. } | Datatype::VarLenSequence { base, .. } => needs_v2(base),
        _ => false,
    }
}

/// Encode a datatype message body: version 1, or version 2 when an array class is
/// involved. Supported classes: fixed-point, floating-point, string, bitfield, opaque,
/// compound, enum, variable-length sequence and string, array. The result is not padded.
pub fn encode_datatype(dt: &Datatype) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    encode_dt_into(dt, if needs_v2(dt) { 2 } else { 1 }, &mut out)?;
    Ok(out)
}

fn encode_dt_into(dt: &Datatype, ver: u8, out: &mut Vec<u8>) -> Result<()> {
    let head = |out: &mut Vec<u8>, class: u8, bits: [u8; 3], size: u32| {
        out.push(class | (ver << 4));
        out.extend_from_slice(&bits);
        out.extend_from_slice(&size.to_le_bytes());
    };
    match dt {
        Datatype::FixedPoint {
            size,
            order,
            signed,
            bit_offset,
            bit_precision,
        } => {
            head(
                out,
                0,
                [order_bit(*order) | (u8::from(*signed) << 3), 0, 0],
                *size,
            );
            out.extend_from_slice(&bit_offset.to_le_bytes());
            out.extend_from_slice(&bit_precision.to_le_bytes());
        }
        Datatype::FloatingPoint {
            size,
            order,
            bit_offset,
            bit_precision,
            sign_location,
            exponent_location,
            exponent_size,
            mantissa_location,
            mantissa_size,
            exponent_bias,
        } => {
            // Mantissa normalization 2 ("implied most significant bit").
            head(out, 1, [order_bit(*order) | 0x20, *sign_location, 0], *size);
            out.extend_from_slice(&bit_offset.to_le_bytes());
            out.extend_from_slice(&bit_precision.to_le_bytes());
            out.extend_from_slice(&[
                *exponent_location,
                *exponent_size,
                *mantissa_location,
                *mantissa_size,
            ]);
            out.extend_from_slice(&exponent_bias.to_le_bytes());
        }
        Datatype::String {
            size,
            padding,
            charset,
        } => head(
            out,
            3,
            [padding_bits(*padding) | (charset_bits(*charset) << 4), 0, 0],
            *size,
        ),
        Datatype::Bitfield {
            size,
            order,
            bit_offset,
            bit_precision,
        } => {
            head(out, 4, [order_bit(*order), 0, 0], *size);
            out.extend_from_slice(&bit_offset.to_le_bytes());
            out.extend_from_slice(&bit_precision.to_le_bytes());
        }
        Datatype::Opaque { size, tag } => {
            let mut t = tag.as_bytes().to_vec();
            t.push(0);
            pad_vec(&mut t);
            let n = u8::try_from(t.len()).map_err(|_| usage("opaque tag too long"))?;
            head(out, 5, [n, 0, 0], *size);
            out.extend_from_slice(&t);
        }
        Datatype::Compound { size, members } => {
            let n = u16::try_from(members.len()).map_err(|_| usage("too many members"))?;
            let b = n.to_le_bytes();
            head(out, 6, [b[0], b[1], 0], *size);
            for m in members {
                let mut name = m.name.as_bytes().to_vec();
                name.push(0);
                pad_vec(&mut name);
                out.extend_from_slice(&name);
                out.extend_from_slice(&u32_of(m.offset, "member offset")?.to_le_bytes());
                if ver == 1 {
                    // Old-style array block: dimensionality 0, reserved, permutation, dims.
                    out.extend_from_slice(&[0u8; 28]);
                }
                encode_dt_into(&m.datatype, ver, out)?;
            }
        }
        Datatype::Enum {
            size,
            base,
            members,
        } => {
            let n = u16::try_from(members.len()).map_err(|_| usage("too many members"))?;
            let b = n.to_le_bytes();
            head(out, 8, [b[0], b[1], 0], *size);
            encode_dt_into(base, ver, out)?;
            for m in members {
                let mut name = m.name.as_bytes().to_vec();
                name.push(0);
                pad_vec(&mut name);
                out.extend_from_slice(&name);
            }
            for m in members {
                if m.value.len() as u64 != base.size() {
                    return Err(usage(format!("enum member {} has a wrong size", m.name)));
                }
                out.extend_from_slice(&m.value);
            }
        }
        Datatype::VarLenSequence { base, .. } => {
            head(out, 9, [0, 0, 0], 16);
            encode_dt_into(base, ver, out)?;
        }
        Datatype::VarLenString {
            padding, charset, ..
        } => {
            head(
                out,
                9,
                [1 | (padding_bits(*padding) << 4), charset_bits(*charset), 0],
                16,
            );
            // The base type of a vlen string is a 1-byte character (ASCII or UTF-8 string).
            encode_dt_into(
                &Datatype::String {
                    size: 1,
                    padding: StringPadding::NullTerminate,
                    charset: *charset,
                },
                ver,
                out,
            )?;
        }
        Datatype::Array { size, dims, base } => {
            let rank = u8::try_from(dims.len()).map_err(|_| usage("array rank too large"))?;
            head(out, 10, [0, 0, 0], *size);
            out.extend_from_slice(&[rank, 0, 0, 0]);
            for d in dims {
                out.extend_from_slice(&u32_of(*d, "array dimension")?.to_le_bytes());
            }
            for i in 0..u32::from(rank) {
                out.extend_from_slice(&i.to_le_bytes());
            }
            encode_dt_into(base, ver, out)?;
        }
        other => {
            return Err(Error::unsupported(
                format!("writing datatype {other:?}"),
                None,
            ))
        }
    }
    Ok(())
}

/// Dataspace of a dataset or attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Space {
    /// No elements (NULL dataspace, written as v2).
    Null,
    /// A single element (rank 0).
    Scalar,
    /// Simple: dims and optional max dims (`UNDEF` = unlimited).
    Simple {
        /// Current dimensions.
        dims: Vec<u64>,
        /// Maximum dimensions, when they differ from `dims`.
        max: Option<Vec<u64>>,
    },
}

impl Space {
    /// Number of elements.
    pub fn count(&self) -> Option<u64> {
        match self {
            Space::Null => Some(0),
            Space::Scalar => Some(1),
            Space::Simple { dims, .. } => dims.iter().try_fold(1u64, |a, d| a.checked_mul(*d)),
        }
    }
}

/// Encode a Dataspace message body: v1 (v2 only for NULL), padded to 8.
pub fn encode_dataspace(s: &Space) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    match s {
        Space::Null => out.extend_from_slice(&[2, 0, 0, 2]),
        Space::Scalar => out.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]),
        Space::Simple { dims, max } => {
            let rank = u8::try_from(dims.len()).map_err(|_| usage("rank too large"))?;
            out.extend_from_slice(&[1, rank, u8::from(max.is_some()), 0, 0, 0, 0, 0]);
            for d in dims {
                out.extend_from_slice(&d.to_le_bytes());
            }
            if let Some(m) = max {
                if m.len() != dims.len() {
                    return Err(usage("max shape rank differs from shape rank"));
                }
                for d in m {
                    out.extend_from_slice(&d.to_le_bytes());
                }
            }
        }
    }
    pad_vec(&mut out);
    Ok(out)
}

/// Encode a Fill Value message v2 body. `chunked` selects the allocation time
/// (incremental vs late); the value is always "defined" (zeros when `value` is `None`
/// and `elem` bytes long, as PyTables writes).
pub fn encode_fill_v2(chunked: bool, value: &[u8]) -> Result<Vec<u8>> {
    let alloc = if chunked { 3 } else { 2 };
    // Fill time 0 (at allocation) like PyTables for chunked data, 2 (if set) otherwise.
    let time = if chunked { 0 } else { 2 };
    let mut out = vec![2, alloc, time, 1];
    out.extend_from_slice(&u32_of(value.len() as u64, "fill value size")?.to_le_bytes());
    out.extend_from_slice(value);
    pad_vec(&mut out);
    Ok(out)
}

/// Encode the old Fill Value message (0x4): size and value.
pub fn encode_fill_old(value: &[u8]) -> Result<Vec<u8>> {
    let mut out = u32_of(value.len() as u64, "fill value size")?
        .to_le_bytes()
        .to_vec();
    out.extend_from_slice(value);
    pad_vec(&mut out);
    Ok(out)
}

/// Storage layout for a Data Layout message v3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutMsg<'a> {
    /// Data inside the message.
    Compact(&'a [u8]),
    /// One contiguous block (address may be `UNDEF` with size 0).
    Contiguous {
        /// Address of the data.
        addr: u64,
        /// Size in bytes.
        size: u64,
    },
    /// Chunked with a v1 B-tree index.
    Chunked {
        /// B-tree root address (`UNDEF` while no chunk is written).
        btree: u64,
        /// Chunk dims plus the element size as the last entry.
        dims: &'a [u64],
    },
}

/// Encode a Data Layout message v3 body, padded to 8.
pub fn encode_layout(l: &LayoutMsg<'_>) -> Result<Vec<u8>> {
    let mut out = vec![3];
    match l {
        LayoutMsg::Compact(data) => {
            out.push(0);
            let n = u16::try_from(data.len()).map_err(|_| usage("compact data over 64 KiB"))?;
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(data);
        }
        LayoutMsg::Contiguous { addr, size } => {
            out.push(1);
            out.extend_from_slice(&addr.to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
        }
        LayoutMsg::Chunked { btree, dims } => {
            out.push(2);
            out.push(u8::try_from(dims.len()).map_err(|_| usage("rank too large"))?);
            out.extend_from_slice(&btree.to_le_bytes());
            for d in dims.iter() {
                out.extend_from_slice(&u32_of(*d, "chunk dimension")?.to_le_bytes());
            }
        }
    }
    pad_vec(&mut out);
    Ok(out)
}

/// Encode a Filter Pipeline message v1 body (with the library's filter names).
pub fn encode_pipeline(p: &FilterPipeline) -> Result<Vec<u8>> {
    let n = u8::try_from(p.filters.len()).map_err(|_| usage("too many filters"))?;
    let mut out = vec![1, n, 0, 0, 0, 0, 0, 0];
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
        out.extend_from_slice(&f.id.to_le_bytes());
        out.extend_from_slice(&nlen.to_le_bytes());
        out.extend_from_slice(&f.flags.to_le_bytes());
        out.extend_from_slice(&ncd.to_le_bytes());
        out.extend_from_slice(&nb);
        for c in &f.client_data {
            out.extend_from_slice(&c.to_le_bytes());
        }
        if ncd % 2 == 1 {
            out.extend_from_slice(&[0; 4]);
        }
    }
    Ok(out)
}

/// Encode an Attribute message v1 body. Refuses bodies of 64 KiB or more (they cannot be
/// stored in a v1 object header; truncating would lose data).
pub fn encode_attribute(name: &str, dt: &[u8], space: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    let name_size = name.len().saturating_add(1);
    let total = 8usize
        .saturating_add(pad8(name_size))
        .saturating_add(pad8(dt.len()))
        .saturating_add(pad8(space.len()))
        .saturating_add(pad8(data.len()));
    // Messages over 64 KiB go to dense storage (fractal heap); only the name, datatype
    // and dataspace sizes are 16-bit fields.
    if name_size > usize::from(u16::MAX)
        || dt.len() > usize::from(u16::MAX)
        || space.len() > usize::from(u16::MAX)
    {
        return Err(usage(format!(
            "attribute {name:?}: name, datatype or dataspace description of 64 KiB or more"
        )));
    }
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(name_size as u16).to_le_bytes());
    out.extend_from_slice(&(dt.len() as u16).to_le_bytes());
    out.extend_from_slice(&(space.len() as u16).to_le_bytes());
    for part in [name.as_bytes(), dt, space] {
        let start = out.len();
        out.extend_from_slice(part);
        if std::ptr::eq(part, name.as_bytes()) {
            out.push(0);
        }
        let want = start + pad8(out.len() - start);
        out.resize(want, 0);
    }
    out.extend_from_slice(data);
    pad_vec(&mut out);
    Ok(out)
}

/// Encode a Continuation message body.
pub fn encode_continuation(addr: u64, len: u64) -> Vec<u8> {
    let mut out = addr.to_le_bytes().to_vec();
    out.extend_from_slice(&len.to_le_bytes());
    out
}

/// Encode a Symbol Table message body.
pub fn encode_symbol_table(btree: u64, heap: u64) -> Vec<u8> {
    encode_continuation(btree, heap)
}

/// Append one v1 header message (type, size, flags, reserved, body) to `out`.
/// `body` must already be padded to 8 and shorter than 64 KiB.
pub fn push_message(out: &mut Vec<u8>, ty: u16, body: &[u8]) {
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&(body.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(body);
}

/// Encode the 16-byte v1 object header prefix.
pub fn encode_header_prefix(nmsgs: u16, chunk0_size: u32) -> [u8; 16] {
    let mut p = [0u8; 16];
    p[0] = 1;
    p[2..4].copy_from_slice(&nmsgs.to_le_bytes());
    p[4..8].copy_from_slice(&1u32.to_le_bytes());
    p[8..12].copy_from_slice(&chunk0_size.to_le_bytes());
    p
}

/// A symbol-table entry (III.C), 40 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Offset of the link name in the group's local heap.
    pub name_off: u64,
    /// Object header address (undefined for soft links).
    pub header: u64,
    /// Cache type: 0 none, 1 group (B-tree/heap in scratch), 2 soft link.
    pub cache: u32,
    /// Scratch pad.
    pub scratch: [u8; 16],
}

impl Entry {
    /// Append the 40-byte encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.name_off.to_le_bytes());
        out.extend_from_slice(&self.header.to_le_bytes());
        out.extend_from_slice(&self.cache.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&self.scratch);
    }
}

/// Encode superblock v0 (96 bytes) with the root group entry.
pub fn encode_superblock(eof: u64, root: &Entry) -> Vec<u8> {
    let mut out = b"\x89HDF\r\n\x1a\n".to_vec();
    // Versions: superblock 0, free space 0, root entry 0, reserved, shared header 0.
    out.extend_from_slice(&[0, 0, 0, 0, 0, 8, 8, 0]);
    out.extend_from_slice(&(GROUP_LEAF_K as u16).to_le_bytes());
    out.extend_from_slice(&(GROUP_INTERNAL_K as u16).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes()); // base address
    out.extend_from_slice(&UNDEF.to_le_bytes()); // free-space info
    out.extend_from_slice(&eof.to_le_bytes());
    out.extend_from_slice(&UNDEF.to_le_bytes()); // driver info
    root.encode(&mut out);
    out
}

/// Size of a SNOD with 2K entries.
pub const SNOD_SIZE: usize = 8 + 2 * GROUP_LEAF_K * 40;

/// Encode a symbol table node (always allocated at full size).
pub fn encode_snod(entries: &[Entry]) -> Vec<u8> {
    let mut out = b"SNOD".to_vec();
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for e in entries {
        e.encode(&mut out);
    }
    out.resize(SNOD_SIZE, 0);
    out
}

/// Size of a v1 B-tree node of `key_size`-byte keys and 2K children.
pub fn btree_node_size(key_size: usize, k: usize) -> usize {
    24 + (2 * k + 1) * key_size + 2 * k * 8
}

/// Encode a v1 B-tree node (siblings undefined: readers walk from the root). `keys` has
/// one more element than `children`; the node is zero-padded to its full size.
pub fn encode_btree_node(
    node_type: u8,
    level: u8,
    keys: &[Vec<u8>],
    children: &[u64],
    key_size: usize,
    k: usize,
) -> Vec<u8> {
    let mut out = b"TREE".to_vec();
    out.extend_from_slice(&[node_type, level]);
    out.extend_from_slice(&(children.len() as u16).to_le_bytes());
    out.extend_from_slice(&UNDEF.to_le_bytes());
    out.extend_from_slice(&UNDEF.to_le_bytes());
    for (i, key) in keys.iter().enumerate() {
        out.extend_from_slice(key);
        if let Some(c) = children.get(i) {
            out.extend_from_slice(&c.to_le_bytes());
        }
    }
    out.resize(btree_node_size(key_size, k), 0);
    out
}

/// Encode a chunk B-tree key: stored size, filter mask, rank+1 element offsets.
pub fn chunk_key(size: u32, mask: u32, offsets: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 8 * offsets.len());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&mask.to_le_bytes());
    for o in offsets {
        out.extend_from_slice(&o.to_le_bytes());
    }
    out
}

/// Encode a local heap header (32 bytes) with no free list. HDF5 marks "no free block"
/// with offset 1 (`H5HL_FREE_NULL`) and rejects the undefined address ("bad heap free
/// list").
pub fn encode_local_heap(seg_size: u64, seg_addr: u64) -> Vec<u8> {
    let mut out = b"HEAP".to_vec();
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&seg_size.to_le_bytes());
    out.extend_from_slice(&1u64.to_le_bytes());
    out.extend_from_slice(&seg_addr.to_le_bytes());
    out
}

/// Encode a global heap collection holding `objects` (indices 1..), at least 4096 bytes,
/// the rest described by free-space object 0.
pub fn encode_global_heap(objects: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        body.extend_from_slice(&((i + 1) as u16).to_le_bytes());
        body.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // refcount 0 (as HDF5), reserved
        body.extend_from_slice(&(o.len() as u64).to_le_bytes());
        body.extend_from_slice(o);
        pad_vec(&mut body);
    }
    let used = 16 + body.len();
    // Room for the free-space object header; collections are at least 4096 bytes.
    let total = pad8((used + 16).max(4096));
    let mut out = b"GCOL".to_vec();
    out.extend_from_slice(&[1, 0, 0, 0]);
    out.extend_from_slice(&(total as u64).to_le_bytes());
    out.extend_from_slice(&body);
    let free = (total - used) as u64;
    out.extend_from_slice(&[0u8; 8]);
    out.extend_from_slice(&free.to_le_bytes());
    out.resize(total, 0);
    out
}

/// Standard little-endian datatypes.
pub mod types {
    use super::*;

    /// Integer of `size` bytes, little-endian.
    pub fn int(size: u32, signed: bool) -> Datatype {
        Datatype::FixedPoint {
            size,
            order: ByteOrder::LittleEndian,
            signed,
            bit_offset: 0,
            bit_precision: (size * 8) as u16,
        }
    }
    /// IEEE float of 2, 4 or 8 bytes, little-endian.
    pub fn float(size: u32) -> Datatype {
        let (exp_loc, exp_size, mant, bias) = match size {
            2 => (10, 5, 10, 15),
            4 => (23, 8, 23, 127),
            _ => (52, 11, 52, 1023),
        };
        Datatype::FloatingPoint {
            size,
            order: ByteOrder::LittleEndian,
            bit_offset: 0,
            bit_precision: (size * 8) as u16,
            sign_location: (size * 8 - 1) as u8,
            exponent_location: exp_loc,
            exponent_size: exp_size,
            mantissa_location: 0,
            mantissa_size: mant,
            exponent_bias: bias,
        }
    }
    /// Fixed-length string, NULLTERM (PyTables).
    pub fn fixed_str(size: u32, charset: CharSet) -> Datatype {
        Datatype::String {
            size,
            padding: StringPadding::NullTerminate,
            charset,
        }
    }
    /// Variable-length UTF-8 string.
    pub fn vlen_str() -> Datatype {
        Datatype::VarLenString {
            size: 16,
            padding: StringPadding::NullTerminate,
            charset: CharSet::Utf8,
        }
    }
    /// 1-byte bitfield (PyTables bool).
    pub fn bitfield8() -> Datatype {
        Datatype::Bitfield {
            size: 1,
            order: ByteOrder::LittleEndian,
            bit_offset: 0,
            bit_precision: 8,
        }
    }
    /// h5py bool: enum {FALSE: 0, TRUE: 1} over int8.
    pub fn bool_enum() -> Datatype {
        use crate::hdf5::message::datatype::EnumMember;
        Datatype::Enum {
            size: 1,
            base: Box::new(int(1, true)),
            members: vec![
                EnumMember {
                    name: "FALSE".into(),
                    value: vec![0],
                },
                EnumMember {
                    name: "TRUE".into(),
                    value: vec![1],
                },
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::cursor::{Cursor, Sizes};
    use crate::limits::Limits;

    fn cur(b: &[u8]) -> Cursor<'_> {
        crate::hdf5::message::test_util::cur(b)
    }

    #[test]
    #[rustfmt::skip]
    fn f64_datatype_bytes() {
        let b = encode_datatype(&types::float(8)).unwrap();
        assert_eq!(b, vec![
            0x11,             // class 1, version 1
            0x20, 63, 0,      // LE, implied mantissa bit, sign at bit 63
            8, 0, 0, 0,       // size 8
            0, 0, 64, 0,      // bit offset 0, precision 64
            52, 11, 0, 52,    // exponent at 52 (11 bits), mantissa at 0 (52 bits)
            0xff, 3, 0, 0,    // bias 1023
        ]);
    }

    #[test]
    fn datatypes_round_trip_through_reader() {
        use crate::hdf5::message::datatype::CompoundMember;
        let dts = vec![
            types::int(1, false),
            types::int(4, true),
            types::float(4),
            types::float(2),
            types::fixed_str(7, CharSet::Utf8),
            types::vlen_str(),
            types::bitfield8(),
            types::bool_enum(),
            Datatype::VarLenSequence {
                size: 16,
                base: Box::new(types::int(1, false)),
            },
            Datatype::Array {
                size: 24,
                dims: vec![3],
                base: Box::new(types::float(8)),
            },
            Datatype::Compound {
                size: 16,
                members: vec![
                    CompoundMember {
                        name: "r".into(),
                        offset: 0,
                        datatype: types::float(8),
                    },
                    CompoundMember {
                        name: "i".into(),
                        offset: 8,
                        datatype: types::float(8),
                    },
                ],
            },
        ];
        for dt in dts {
            let b = encode_datatype(&dt).unwrap();
            let back = Datatype::parse(&mut cur(&b), &Limits::default()).unwrap();
            assert_eq!(back, dt, "{dt:?}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn dataspace_bytes() {
        let b = encode_dataspace(&Space::Simple { dims: vec![3], max: Some(vec![UNDEF]) }).unwrap();
        assert_eq!(b, vec![
            1, 1, 1, 0, 0, 0, 0, 0,   // version 1, rank 1, max dims present, reserved
            3, 0, 0, 0, 0, 0, 0, 0,   // dim 0 = 3
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // max = unlimited
        ]);
        assert_eq!(encode_dataspace(&Space::Null).unwrap(), vec![
            2, 0, 0, 2, 0, 0, 0, 0,   // version 2, rank 0, flags 0, type NULL, padding
        ]);
    }

    #[test]
    fn attribute_over_64k_encoded_name_refused() {
        let dt = encode_datatype(&types::fixed_str(70_000, CharSet::Utf8)).unwrap();
        let sp = encode_dataspace(&Space::Scalar).unwrap();
        let b = encode_attribute("big", &dt, &sp, &vec![b'x'; 70_000]).unwrap();
        assert_eq!(b.len(), 8 + 8 + pad8(dt.len()) + pad8(sp.len()) + 70_000);
        let e = encode_attribute(&"n".repeat(70_000), &dt, &sp, b"x").unwrap_err();
        assert!(e.to_string().contains("64 KiB"), "{e}");
    }

    #[test]
    fn attribute_parses_back() {
        use crate::hdf5::message::attribute::AttributeMessage;
        let dt = encode_datatype(&types::int(8, true)).unwrap();
        let sp = encode_dataspace(&Space::Scalar).unwrap();
        let b = encode_attribute("EXTDIM", &dt, &sp, &7i64.to_le_bytes()).unwrap();
        assert_eq!(b.len() % 8, 0);
        let a = AttributeMessage::parse(&mut cur(&b), &Limits::default()).unwrap();
        assert_eq!(a.name, "EXTDIM");
        let _ = Sizes {
            offsets: 8,
            lengths: 8,
        };
    }

    #[test]
    fn global_heap_min_size() {
        let g = encode_global_heap(&[b"abc", b""]);
        assert_eq!(g.len(), 4096);
        assert_eq!(&g[0..4], b"GCOL");
    }
}
