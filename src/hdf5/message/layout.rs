//! Data Layout message (0x8), spec IV.A.2.i. Versions 1-5 (v5 as HDF5 2.0 writes it).
//!
//! TYPES FIXED BY THE CORE; the parser is added below them.

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
