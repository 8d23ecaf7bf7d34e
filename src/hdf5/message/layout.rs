//! Data Layout message (0x8), spec IV.A.2.i. Versions 1-5 (v5 as HDF5 2.0 writes it).
//!
//! - v1/v2: version, dimensionality, class, 5 reserved bytes, address (not compact), dims
//!   u32 × dimensionality (chunked: last = element size; contiguous: size = product);
//!   compact: size u32 and data.
//! - v3 (and v4/v5 for compact/contiguous): version, class; compact: size u16 and data;
//!   contiguous: address, size; chunked: dimensionality u8, address, dims u32 (last =
//!   element size).
//! - v4/v5 chunked: flags, dimensionality, dimension width (1-8), dims, index type (1 single
//!   chunk, with filtered size and mask when flag bit 1; 2 implicit; 3 fixed array;
//!   4 extensible array; 5 v2 B-tree) and its parameters, index address. Layout v5
//!   (HDF5 2.0) has the same message encoding as v4.
//!
//! Refused: virtual layout (class 3, unsupported), other versions/classes/index types,
//! zero chunk dimension or element size, chunk rank above `Limits::max_rank`, unknown flags.

use super::{bad, named, version};
use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
use crate::limits::Limits;

/// How chunk addresses are indexed (layout v4/v5 index types; v1-v3 always use a v1 B-tree).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkIndexing {
    /// Version 1 B-tree, node type 1 (layout v1-v3, and v4 index type 0 is not defined).
    BTreeV1,
    /// Index type 1: a single chunk; with the filtered chunk size and mask when flag bit 1 is set.
    SingleChunk {
        /// `(size of the filtered chunk, filter mask)` when the dataset is filtered.
        filtered: Option<(u64, u32)>,
    },
    /// Index type 2: implicit (chunks at consecutive addresses).
    Implicit,
    /// Index type 3: fixed array.
    FixedArray {
        /// Page bits.
        page_bits: u8,
    },
    /// Index type 4: extensible array.
    ExtensibleArray {
        /// Max bits.
        max_bits: u8,
        /// Index elements.
        index_elements: u8,
        /// Min pointers.
        min_pointers: u8,
        /// Min elements.
        min_elements: u8,
        /// Page bits.
        page_bits: u8,
    },
    /// Index type 5: version 2 B-tree.
    BTreeV2 {
        /// Node size.
        node_size: u32,
        /// Split percent.
        split_percent: u8,
        /// Merge percent.
        merge_percent: u8,
    },
}

/// Chunked storage description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkedLayout {
    /// Layout message version (1-5).
    pub version: u8,
    /// Layout flags (v4/v5), 0 otherwise.
    pub flags: u8,
    /// Chunk dimensions, one per dataspace dimension (the trailing element-size dimension
    /// of the on-disk encoding is removed and given in `element_size`).
    pub chunk_dims: Vec<u64>,
    /// The trailing dimension stored on disk (the datatype size in bytes).
    pub element_size: u64,
    /// Index type and parameters.
    pub indexing: ChunkIndexing,
    /// Address of the index (B-tree, array header, or the single chunk itself);
    /// undefined when nothing was ever written.
    pub index_address: u64,
}

/// A decoded data layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataLayout {
    /// Raw data inside the message.
    Compact {
        /// Layout message version.
        version: u8,
        /// The data.
        data: Vec<u8>,
    },
    /// One contiguous block.
    Contiguous {
        /// Layout message version.
        version: u8,
        /// Address (undefined when never written).
        address: u64,
        /// Size in bytes.
        size: u64,
    },
    /// Chunked storage.
    Chunked(ChunkedLayout),
}

/// Check an on-disk chunk dimensionality (rank + 1) against the limits.
fn check_chunk_ndims(c: &Cursor<'_>, at: u64, nd: u8, limits: &Limits) -> Result<()> {
    // Chunked datasets have rank >= 1, so at least one chunk dim plus the element size.
    if nd < 2 {
        return Err(Error::Format(
            c.err_at(at, format!("chunk dimensionality {nd} (min 2)")),
        ));
    }
    if u32::from(nd) - 1 > limits.max_rank {
        return Err(Error::limit(
            "max_rank",
            limits.max_rank.into(),
            u64::from(nd) - 1,
            Some(at),
        ));
    }
    Ok(())
}

/// Read `nd` chunk dimensions of `width` bytes; none may be 0 (a divisor for every reader).
fn chunk_dims(c: &mut Cursor<'_>, nd: u8, width: usize) -> Result<(Vec<u64>, u64)> {
    let need = (nd as usize).saturating_mul(width);
    if need > c.remaining() {
        return Err(bad(
            c,
            format!("{nd} chunk dims need {need} bytes, {} left", c.remaining()),
        ));
    }
    let mut dims = Vec::with_capacity(nd as usize);
    for _ in 0..nd {
        let at = c.addr();
        let d = c.uint(width)?;
        if d == 0 {
            return Err(Error::Format(c.err_at(at, "chunk dimension 0")));
        }
        dims.push(d);
    }
    let element_size = dims.pop().unwrap_or(0);
    Ok((dims, element_size))
}

impl DataLayout {
    /// Decode a Data Layout message, versions 1-5.
    pub fn parse(c: &mut Cursor<'_>, limits: &Limits) -> Result<Self> {
        named(c, "data layout message", |c| {
            let v = version(c, &[1, 2, 3, 4, 5])?;
            if v < 3 {
                parse_v1_v2(c, v, limits)
            } else {
                parse_v3_plus(c, v, limits)
            }
        })
    }
}

fn parse_v1_v2(c: &mut Cursor<'_>, v: u8, limits: &Limits) -> Result<DataLayout> {
    let nd_at = c.addr();
    let nd = c.u8()?;
    let class_at = c.addr();
    let class = c.u8()?;
    c.skip(5)?;
    match class {
        0 => {
            c.skip(4usize.saturating_mul(nd as usize))?;
            let size = c.u32()? as usize;
            if size > c.remaining() {
                return Err(bad(
                    c,
                    format!("compact data of {size} bytes, {} left", c.remaining()),
                ));
            }
            let data = c.bytes(size)?.to_vec();
            Ok(DataLayout::Compact { version: v, data })
        }
        1 => {
            let address = c.offset()?;
            if u32::from(nd) > limits.max_rank.saturating_add(1) {
                return Err(Error::limit(
                    "max_rank",
                    limits.max_rank.into(),
                    nd.into(),
                    Some(nd_at),
                ));
            }
            let mut size = 1u64;
            for _ in 0..nd {
                size = size
                    .checked_mul(u64::from(c.u32()?))
                    .ok_or_else(|| bad(c, "contiguous size overflows"))?;
            }
            Ok(DataLayout::Contiguous {
                version: v,
                address,
                size,
            })
        }
        2 => {
            check_chunk_ndims(c, nd_at, nd, limits)?;
            let index_address = c.offset()?;
            let (chunk_dims, element_size) = chunk_dims(c, nd, 4)?;
            Ok(DataLayout::Chunked(ChunkedLayout {
                version: v,
                flags: 0,
                chunk_dims,
                element_size,
                indexing: ChunkIndexing::BTreeV1,
                index_address,
            }))
        }
        _ => Err(Error::Format(c.err_at(
            class_at,
            format!("layout class {class} invalid in version {v}"),
        ))),
    }
}

fn parse_v3_plus(c: &mut Cursor<'_>, v: u8, limits: &Limits) -> Result<DataLayout> {
    let class_at = c.addr();
    let class = c.u8()?;
    match class {
        0 => {
            let size = c.u16()? as usize;
            if size > c.remaining() {
                return Err(bad(
                    c,
                    format!("compact data of {size} bytes, {} left", c.remaining()),
                ));
            }
            let data = c.bytes(size)?.to_vec();
            Ok(DataLayout::Compact { version: v, data })
        }
        1 => {
            let address = c.offset()?;
            let size = c.length()?;
            Ok(DataLayout::Contiguous {
                version: v,
                address,
                size,
            })
        }
        2 if v == 3 => {
            let nd_at = c.addr();
            let nd = c.u8()?;
            check_chunk_ndims(c, nd_at, nd, limits)?;
            let index_address = c.offset()?;
            let (chunk_dims, element_size) = chunk_dims(c, nd, 4)?;
            Ok(DataLayout::Chunked(ChunkedLayout {
                version: v,
                flags: 0,
                chunk_dims,
                element_size,
                indexing: ChunkIndexing::BTreeV1,
                index_address,
            }))
        }
        2 => {
            let flags_at = c.addr();
            let flags = c.u8()?;
            if flags & !3 != 0 {
                return Err(Error::Format(
                    c.err_at(flags_at, format!("unknown layout flags {flags:#x}")),
                ));
            }
            let nd_at = c.addr();
            let nd = c.u8()?;
            check_chunk_ndims(c, nd_at, nd, limits)?;
            let w_at = c.addr();
            let width = c.u8()?;
            if !(1..=8).contains(&width) {
                return Err(Error::Format(
                    c.err_at(w_at, format!("chunk dimension width {width} (1-8)")),
                ));
            }
            let (chunk_dims, element_size) = chunk_dims(c, nd, width as usize)?;
            let it_at = c.addr();
            let indexing = match c.u8()? {
                1 => ChunkIndexing::SingleChunk {
                    // Flag bit 1 (the files' "single index with filter"), not bit 0: quirk 9.
                    filtered: if flags & 2 != 0 {
                        Some((c.length()?, c.u32()?))
                    } else {
                        None
                    },
                },
                2 => ChunkIndexing::Implicit,
                3 => ChunkIndexing::FixedArray { page_bits: c.u8()? },
                4 => ChunkIndexing::ExtensibleArray {
                    max_bits: c.u8()?,
                    index_elements: c.u8()?,
                    min_pointers: c.u8()?,
                    min_elements: c.u8()?,
                    page_bits: c.u8()?,
                },
                5 => ChunkIndexing::BTreeV2 {
                    node_size: c.u32()?,
                    split_percent: c.u8()?,
                    merge_percent: c.u8()?,
                },
                t => {
                    return Err(Error::Format(
                        c.err_at(it_at, format!("unknown chunk index type {t}")),
                    ))
                }
            };
            let index_address = c.offset()?;
            Ok(DataLayout::Chunked(ChunkedLayout {
                version: v,
                flags,
                chunk_dims,
                element_size,
                indexing,
                index_address,
            }))
        }
        3 if v >= 4 => Err(Error::unsupported("virtual dataset layout", Some(class_at))),
        _ => Err(Error::Format(c.err_at(
            class_at,
            format!("layout class {class} invalid in version {v}"),
        ))),
    }
}
