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

use super::{bad, known_flags, named, version};
use crate::error::{Error, Result};
use crate::hdf5::chunk_index::extensible_array::{
    EA_IDX_ELMTS, EA_MAX_BITS, EA_MIN_ELMTS, EA_MIN_PTRS, EA_PAGE_BITS,
};
use crate::hdf5::chunk_index::fixed_array::FA_PAGE_BITS;
use crate::hdf5::cursor::Cursor;
use crate::hdf5::encoder::{usage, Encoder, Sizes};
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

/// Compact data of `size` bytes (the size field, of the version's width, already read).
fn compact(c: &mut Cursor<'_>, v: u8, size: usize) -> Result<DataLayout> {
    if size > c.remaining() {
        return Err(bad(
            c,
            format!("compact data of {size} bytes, {} left", c.remaining()),
        ));
    }
    let data = c.bytes(size)?.to_vec();
    Ok(DataLayout::Compact { version: v, data })
}

/// Chunked storage indexed by a v1 B-tree (versions 1-3): the index address, then `nd`
/// 4-byte dimensions (the last one the element size).
fn chunked_btree_v1(
    c: &mut Cursor<'_>,
    v: u8,
    nd_at: u64,
    nd: u8,
    limits: &Limits,
) -> Result<DataLayout> {
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
            compact(c, v, size)
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
        2 => chunked_btree_v1(c, v, nd_at, nd, limits),
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
            compact(c, v, size)
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
            chunked_btree_v1(c, v, nd_at, nd, limits)
        }
        2 => {
            let flags = known_flags(c, 3, "layout")?;
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
        3 if v >= 4 => Err(Error::unsupported(
            "virtual dataset layout (VDS): not supported",
            Some(class_at),
        )),
        _ => Err(Error::Format(c.err_at(
            class_at,
            format!("layout class {class} invalid in version {v}"),
        ))),
    }
}

// ---- Encoding (the writer's half) -----------------------------------------------------

impl ChunkIndexing {
    /// The fixed array (type 3) this crate writes: libhdf5's default parameters.
    pub const WRITTEN_FIXED_ARRAY: ChunkIndexing = ChunkIndexing::FixedArray {
        page_bits: FA_PAGE_BITS,
    };

    /// The extensible array (type 4) this crate writes: libhdf5's default parameters.
    pub const WRITTEN_EXTENSIBLE_ARRAY: ChunkIndexing = ChunkIndexing::ExtensibleArray {
        max_bits: EA_MAX_BITS,
        index_elements: EA_IDX_ELMTS,
        min_pointers: EA_MIN_PTRS,
        min_elements: EA_MIN_ELMTS,
        page_bits: EA_PAGE_BITS,
    };
}

/// Bytes needed for the largest of `dims` (at least 1).
fn dim_width(dims: &[u64]) -> usize {
    let m = dims.iter().copied().max().unwrap_or(1).max(1);
    (64 - m.leading_zeros() as usize).div_ceil(8).max(1)
}

impl DataLayout {
    /// Encode the message body in the version the value carries (3, 4 or 5; versions 1
    /// and 2 are read, never written), unpadded: the v1 object header writer pads its
    /// messages to 8, a v2 header holds them as they are. Version 4/5 chunk dimensions take the fewest bytes
    /// that hold the largest one, as libhdf5 writes them.
    pub fn encode(&self, s: Sizes) -> Result<Vec<u8>> {
        let version = match self {
            DataLayout::Compact { version, .. } | DataLayout::Contiguous { version, .. } => {
                *version
            }
            DataLayout::Chunked(c) => c.version,
        };
        if !(3..=5).contains(&version) {
            return Err(usage(format!(
                "layout message version {version} is not written"
            )));
        }
        let mut e = Encoder::sized(s);
        e.u8(version);
        match self {
            DataLayout::Compact { data, .. } => {
                let n = u16::try_from(data.len()).map_err(|_| usage("compact data over 64 KiB"))?;
                e.u8(0).u16(n).bytes(data);
            }
            DataLayout::Contiguous { address, size, .. } => {
                if !s.length_fits(*size) {
                    return Err(usage(format!(
                        "{size} bytes of data do not fit in this file's {}-byte lengths",
                        s.lengths
                    )));
                }
                e.u8(1).offset(*address).length(*size);
            }
            DataLayout::Chunked(c) => c.encode_chunked(&mut e)?,
        }
        Ok(e.finish())
    }
}

impl ChunkedLayout {
    /// The chunked class and what follows it, after the version byte.
    fn encode_chunked(&self, e: &mut Encoder) -> Result<()> {
        let mut dims = self.chunk_dims.clone();
        dims.push(self.element_size);
        let nd = u8::try_from(dims.len()).map_err(|_| usage("rank too large"))?;
        e.u8(2);
        if self.version == 3 {
            if self.indexing != ChunkIndexing::BTreeV1 {
                return Err(usage("layout v3 indexes chunks with a v1 B-tree only"));
            }
            e.u8(nd).offset(self.index_address);
            for &d in &dims {
                e.u32_of(d, "chunk dimension")?;
            }
            return Ok(());
        }
        // Flag bit 1 says whether a single chunk carries its filtered size and mask.
        let flags = match &self.indexing {
            ChunkIndexing::SingleChunk { filtered } => {
                (self.flags & !2) | if filtered.is_some() { 2 } else { 0 }
            }
            _ => self.flags,
        };
        let w = dim_width(&dims);
        e.u8(flags).u8(nd).u8(w as u8);
        for &d in &dims {
            e.uint(d, w);
        }
        match &self.indexing {
            ChunkIndexing::BTreeV1 => {
                return Err(usage("layout v4 has no v1 B-tree chunk index"));
            }
            ChunkIndexing::SingleChunk { filtered } => {
                e.u8(1);
                if let Some((size, mask)) = filtered {
                    e.length(*size).u32(*mask);
                }
            }
            ChunkIndexing::Implicit => {
                e.u8(2);
            }
            ChunkIndexing::FixedArray { page_bits } => {
                e.u8(3).u8(*page_bits);
            }
            ChunkIndexing::ExtensibleArray {
                max_bits,
                index_elements,
                min_pointers,
                min_elements,
                page_bits,
            } => {
                e.u8(4)
                    .u8(*max_bits)
                    .u8(*index_elements)
                    .u8(*min_pointers)
                    .u8(*min_elements)
                    .u8(*page_bits);
            }
            ChunkIndexing::BTreeV2 {
                node_size,
                split_percent,
                merge_percent,
            } => {
                e.u8(5)
                    .u32(*node_size)
                    .u8(*split_percent)
                    .u8(*merge_percent);
            }
        }
        e.offset(self.index_address);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::encoder::UNDEF;
    use crate::hdf5::message::test_util::*;

    fn chunked(b: &[u8]) -> ChunkedLayout {
        match decode::<DataLayout>(b).unwrap() {
            DataLayout::Chunked(c) => c,
            other => panic!("{other:?}"),
        }
    }

    /// PyTables EArray (n, 3) f8, chunks (2730, 3): layout v3 + v1 B-tree (real bytes).
    #[rustfmt::skip]
    const PT_V3: [u8; 24] = [
        0x03,                   // version 3
        0x02,                   // class: chunked
        0x03,                   // dimensionality 3 (rank + 1)
        0x08, 0x07, 0, 0, 0, 0, 0, 0, // B-tree address 1800
        0xaa, 0x0a, 0, 0,       // chunk dim 0 = 2730
        0x03, 0, 0, 0,          // chunk dim 1 = 3
        0x08, 0, 0, 0,          // element size 8
        0,                      // message padding (v1 header alignment)
    ];

    #[test]
    fn v3_chunked_and_contiguous() {
        let c = chunked(&PT_V3);
        assert_eq!(c.chunk_dims, vec![2730, 3]);
        assert_eq!(
            (c.element_size, c.index_address, c.indexing),
            (8, 1800, ChunkIndexing::BTreeV1)
        );
        #[rustfmt::skip]
        let contig = [
            0x03,                   // version 3
            0x01,                   // class: contiguous
            0x00, 0x08, 0, 0, 0, 0, 0, 0, // address 2048
            0x10, 0, 0, 0, 0, 0, 0, 0,    // size 16
        ];
        assert_eq!(
            decode::<DataLayout>(&contig).unwrap(),
            DataLayout::Contiguous {
                version: 3,
                address: 2048,
                size: 16
            }
        );
        #[rustfmt::skip]
        let compact = [
            0x03,       // version 3
            0x00,       // class: compact
            0x03, 0x00, // size 3
            1, 2, 3,    // data
        ];
        assert_eq!(
            decode::<DataLayout>(&compact).unwrap(),
            DataLayout::Compact {
                version: 3,
                data: vec![1, 2, 3]
            }
        );
    }

    #[test]
    fn v5_extensible_array() {
        // h5py libver='latest' (n,) f8 gzip, chunks (4,) (real bytes).
        #[rustfmt::skip]
        let b = [
            0x05,       // version 5
            0x02,       // class: chunked
            0x00,       // flags
            0x02,       // dimensionality 2
            0x01,       // dimension width 1 byte
            0x04,       // chunk dim 0 = 4
            0x08,       // element size 8
            0x04,       // index type 4: extensible array
            32,         // max bits
            4,          // index elements
            4,          // min pointers
            16,         // min elements
            10,         // page bits
            0xbf, 0x01, 0, 0, 0, 0, 0, 0, // index address 447
        ];
        let c = chunked(&b);
        assert_eq!(
            (
                c.version,
                c.chunk_dims.clone(),
                c.element_size,
                c.index_address
            ),
            (5, vec![4], 8, 447)
        );
        assert_eq!(
            c.indexing,
            ChunkIndexing::ExtensibleArray {
                max_bits: 32,
                index_elements: 4,
                min_pointers: 4,
                min_elements: 16,
                page_bits: 10
            }
        );
    }

    #[test]
    fn v5_single_chunk_filtered_and_v4_fixed_array() {
        // h5py libver='latest' (2, 4) i4 gzip, one chunk (real bytes).
        #[rustfmt::skip]
        let single = [
            0x05,                   // version 5
            0x02,                   // class: chunked
            0x02,                   // flags: bit 1, single chunk with filter info
            0x03,                   // dimensionality 3
            0x01,                   // dimension width 1
            2, 4, 4,                // chunk (2, 4), element size 4
            0x01,                   // index type 1: single chunk
            29, 0, 0, 0, 0, 0, 0, 0, // filtered chunk size 29
            0, 0, 0, 0,             // filter mask
            0x3f, 0x08, 0, 0, 0, 0, 0, 0, // chunk address 2111
        ];
        let c = chunked(&single);
        assert_eq!(
            c.indexing,
            ChunkIndexing::SingleChunk {
                filtered: Some((29, 0))
            }
        );
        assert_eq!((c.chunk_dims, c.index_address), (vec![2, 4], 2111));
        // h5py libver='latest' (4, 4) f8, chunks (1, 4), no filter (real bytes).
        #[rustfmt::skip]
        let fixed = [
            0x04, 0x02, 0x00,       // version 4, chunked, flags 0
            0x03, 0x01,             // dimensionality 3, width 1
            1, 4, 8,                // chunk (1, 4), element size 8
            0x03,                   // index type 3: fixed array
            10,                     // page bits
            0xa6, 0x07, 0, 0, 0, 0, 0, 0, // index address 1958
        ];
        assert_eq!(
            chunked(&fixed).indexing,
            ChunkIndexing::FixedArray { page_bits: 10 }
        );
        #[rustfmt::skip]
        let bt2 = [
            0x04, 0x02, 0x00,       // version 4, chunked, flags 0
            0x03, 0x02,             // dimensionality 3, width 2
            0x00, 0x01, 0x02, 0x00, 0x08, 0x00, // chunk (256, 2), element size 8
            0x05,                   // index type 5: v2 B-tree
            0x00, 0x02, 0, 0,       // node size 512
            100, 40,                // split %, merge %
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // never written
        ];
        let c = chunked(&bt2);
        assert_eq!(c.chunk_dims, vec![256, 2]);
        assert_eq!(
            c.indexing,
            ChunkIndexing::BTreeV2 {
                node_size: 512,
                split_percent: 100,
                merge_percent: 40
            }
        );
        assert_eq!(c.index_address, crate::hdf5::cursor::UNDEFINED_ADDRESS);
    }

    #[test]
    fn v1_v2() {
        #[rustfmt::skip]
        let chunked_v1 = [
            0x01,                   // version 1
            0x02,                   // dimensionality 2
            0x02,                   // class: chunked
            0, 0, 0, 0, 0,          // reserved
            0x00, 0x10, 0, 0, 0, 0, 0, 0, // B-tree address 4096
            64, 0, 0, 0,            // chunk dim 0
            4, 0, 0, 0,             // element size 4
        ];
        let c = chunked(&chunked_v1);
        assert_eq!((c.version, c.chunk_dims, c.element_size), (1, vec![64], 4));
        #[rustfmt::skip]
        let contig_v2 = [
            0x02,                   // version 2
            0x02,                   // dimensionality 2
            0x01,                   // class: contiguous
            0, 0, 0, 0, 0,          // reserved
            0x00, 0x08, 0, 0, 0, 0, 0, 0, // address 2048
            10, 0, 0, 0,            // dim 0 = 10
            8, 0, 0, 0,             // element size 8
        ];
        assert_eq!(
            decode::<DataLayout>(&contig_v2).unwrap(),
            DataLayout::Contiguous {
                version: 2,
                address: 2048,
                size: 80
            }
        );
        #[rustfmt::skip]
        let compact_v1 = [
            0x01,                   // version 1
            0x01,                   // dimensionality 1
            0x00,                   // class: compact
            0, 0, 0, 0, 0,          // reserved
            2, 0, 0, 0,             // dim 0
            2, 0, 0, 0,             // compact size 2
            7, 9,                   // data
        ];
        assert_eq!(
            decode::<DataLayout>(&compact_v1).unwrap(),
            DataLayout::Compact {
                version: 1,
                data: vec![7, 9]
            }
        );
    }

    #[test]
    fn rejects() {
        assert_eq!(
            format_at(decode::<DataLayout>(&[0x06, 0x01])),
            ("data layout message", BASE)
        );
        // Zero chunk dimension, reported at that dimension.
        let mut zero = PT_V3;
        zero[15] = 0;
        assert_eq!(format_at(decode::<DataLayout>(&zero)).1, BASE + 15);
        // Zero element size.
        let mut zero_elem = PT_V3;
        zero_elem[19] = 0;
        assert!(decode::<DataLayout>(&zero_elem).is_err());
        // Dimensionality over the rank limit, and 1 (no chunk dim at all).
        let mut big = PT_V3;
        big[2] = 40;
        assert!(is_limit(&decode::<DataLayout>(&big), "max_rank"));
        let mut one = PT_V3;
        one[2] = 1;
        assert_eq!(format_at(decode::<DataLayout>(&one)).1, BASE + 2);
        // Virtual layout (v4) is unsupported; class 3 in v3 is invalid.
        assert!(is_unsupported(&decode::<DataLayout>(&[
            0x04, 0x03, 0, 0, 0, 0, 0, 0, 0, 0
        ])));
        assert!(matches!(
            decode::<DataLayout>(&[0x03, 0x03]),
            Err(crate::Error::Format(_))
        ));
        // v4: bad dimension width, unknown index type, unknown flags.
        assert_eq!(
            format_at(decode::<DataLayout>(&[0x04, 0x02, 0x00, 0x02, 0x09])).1,
            BASE + 4
        );
        assert!(decode::<DataLayout>(&[0x04, 0x02, 0x00, 0x02, 0x01, 4, 8, 0x06]).is_err());
        assert!(decode::<DataLayout>(&[0x04, 0x02, 0x04, 0x02, 0x01, 4, 8, 0x02]).is_err());
        // Compact size beyond the data; truncated chunk dims.
        assert!(decode::<DataLayout>(&[0x03, 0x00, 0x09, 0x00, 1]).is_err());
        assert!(decode::<DataLayout>(&PT_V3[..17]).is_err());
    }

    const FF: [u8; 8] = [0xff; 8];

    fn chunked_v4(indexing: ChunkIndexing, addr: u64, dims: &[u64], elem: u64) -> DataLayout {
        DataLayout::Chunked(ChunkedLayout {
            version: 4,
            flags: 0,
            chunk_dims: dims.to_vec(),
            element_size: elem,
            indexing,
            index_address: addr,
        })
    }

    #[test]
    #[rustfmt::skip]
    fn layout_v4_bytes() {
        let l = chunked_v4(ChunkIndexing::WRITTEN_EXTENSIBLE_ARRAY, 0x100, &[16, 300], 8);
        let b = l.encode(Sizes::default()).unwrap();
        let mut want = vec![
            4,                      // version 4
            2,                      // class: chunked
            0,                      // flags
            3,                      // dimensionality (rank + 1)
            2,                      // dimension size width: 2 bytes (300 needs 2)
            16, 0, 0x2c, 1, 8, 0,   // chunk dims 16, 300, element size 8
            4,                      // index type: extensible array
            32, 4, 4, 16, 10,       // max bits, index elements, min pointers, min elements, page bits
        ];
        want.extend_from_slice(&0x100u64.to_le_bytes()); // EAHD address
        assert_eq!(b, want);
        assert_eq!(decode::<DataLayout>(&b).unwrap(), l);
        let f = chunked_v4(ChunkIndexing::WRITTEN_FIXED_ARRAY, UNDEF, &[4], 4).encode(Sizes::default()).unwrap();
        assert_eq!(&f[..9], &[
            4, 2, 0, 2, 1,          // version, chunked, flags, 2 dims, 1-byte width
            4, 4,                   // chunk dim 4, element size 4
            3, 10,                  // index type: fixed array, page bits 10
        ]);
        assert_eq!(&f[9..], &FF);   // no array yet
    }

    #[test]
    fn refused_encodings() {
        let v3_fixed = DataLayout::Chunked(ChunkedLayout {
            version: 3,
            ..match chunked_v4(ChunkIndexing::WRITTEN_FIXED_ARRAY, 0, &[4], 4) {
                DataLayout::Chunked(c) => c,
                _ => unreachable!(),
            }
        });
        assert!(v3_fixed.encode(Sizes::default()).is_err());
        assert!(chunked_v4(ChunkIndexing::BTreeV1, 0, &[4], 4)
            .encode(Sizes::default())
            .is_err());
        let old = DataLayout::Contiguous {
            version: 2,
            address: 0,
            size: 0,
        };
        assert!(old.encode(Sizes::default()).is_err());
        let big = DataLayout::Compact {
            version: 3,
            data: vec![0; 70_000],
        };
        assert!(big.encode(Sizes::default()).is_err());
    }

    // Encode, then parse with the reader's decoder: the same value comes back.

    fn back(l: &DataLayout) -> DataLayout {
        let b = l.encode(Sizes::default()).unwrap();
        decode::<DataLayout>(&b).unwrap()
    }

    #[test]
    fn layout_v3_encodes_then_parses() {
        // Unpadded (the v1 header writer pads): 4 + data, 2 + 16, 3 + 8 + 3 × 4.
        for (l, len) in [
            DataLayout::Compact {
                version: 3,
                data: vec![1, 2, 3],
            },
            DataLayout::Contiguous {
                version: 3,
                address: 4096,
                size: 800,
            },
            DataLayout::Chunked(ChunkedLayout {
                version: 3,
                flags: 0,
                chunk_dims: vec![10, 20],
                element_size: 8,
                indexing: ChunkIndexing::BTreeV1,
                index_address: 1234,
            }),
        ]
        .into_iter()
        .zip([7, 18, 23])
        {
            assert_eq!(back(&l), l);
            assert_eq!(l.encode(Sizes::default()).unwrap().len(), len);
        }
    }

    #[test]
    fn layout_v4_v5_encode_then_parse() {
        let indexings = [
            ChunkIndexing::SingleChunk { filtered: None },
            ChunkIndexing::SingleChunk {
                filtered: Some((777, 0b10)),
            },
            ChunkIndexing::Implicit,
            ChunkIndexing::WRITTEN_FIXED_ARRAY,
            ChunkIndexing::WRITTEN_EXTENSIBLE_ARRAY,
            ChunkIndexing::BTreeV2 {
                node_size: 2048,
                split_percent: 100,
                merge_percent: 40,
            },
        ];
        for version in [4, 5] {
            for indexing in indexings.clone() {
                let flags = match indexing {
                    ChunkIndexing::SingleChunk { filtered: Some(_) } => 2,
                    _ => 1,
                };
                let l = DataLayout::Chunked(ChunkedLayout {
                    version,
                    flags,
                    chunk_dims: vec![1, 70_000],
                    element_size: 16,
                    indexing,
                    index_address: 0x1_0000_0000,
                });
                assert_eq!(back(&l), l);
            }
            let c = DataLayout::Contiguous {
                version,
                address: 8,
                size: 9,
            };
            assert_eq!(back(&c), c);
        }
    }
}
