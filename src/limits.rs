//! Caps on everything a file can ask of us.
//!
//! Defect class: hostile or damaged files that declare huge sizes, deep trees or cycles
//! (the libhdf5 CVE history). Every size read from a file is checked against one `Limits`
//! value before memory is allocated or a walk continues.

/// Caps applied while parsing. `Limits::default()` is safe for untrusted files and
/// generous for real PyMoDAQ data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest single allocation sized by file data (bytes).
    pub max_alloc: u64,
    /// Total bytes decoded by one read call (a whole dataset read, say).
    pub max_read_total: u64,
    /// Largest dataspace rank.
    pub max_rank: u32,
    /// Object header continuation blocks per object.
    pub max_continuations: u32,
    /// Messages per object header.
    pub max_messages: u32,
    /// B-tree depth (v1 and v2).
    pub max_btree_depth: u32,
    /// Depth of group nesting walked.
    pub max_group_depth: u32,
    /// Largest decompression ratio (output / input) accepted for a chunk.
    pub max_decompression_ratio: u64,
    /// Largest attribute value (bytes).
    pub max_attribute_size: u64,
    /// Largest heap object (local, global or fractal heap), bytes.
    pub max_heap_object: u64,
    /// Largest Python-literal text parsed from a PyMoDAQ attribute (bytes).
    pub max_pyliteral: u64,
    /// Largest pickle payload decoded (bytes).
    pub max_pickle: u64,
    /// Work budget: structures visited in one walk (nodes, blocks, entries).
    pub max_work: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_alloc: 1 << 30,
            max_read_total: 4 << 30,
            max_rank: 32,
            max_continuations: 10_000,
            max_messages: 100_000,
            max_btree_depth: 64,
            max_group_depth: 256,
            max_decompression_ratio: 100_000,
            max_attribute_size: 64 << 20,
            max_heap_object: 256 << 20,
            max_pyliteral: 64 << 20,
            max_pickle: 16 << 20,
            max_work: 50_000_000,
        }
    }
}

impl Limits {
    /// The tight caps the fuzz targets and the replay of their regressions run under: 16 MiB
    /// of allocation and of reading, 200,000 units of work, so any input ends in milliseconds.
    pub fn fuzzing() -> Self {
        Limits {
            max_alloc: 16 << 20,
            max_read_total: 16 << 20,
            max_work: 200_000,
            ..Limits::default()
        }
    }

    /// No caps at all.
    ///
    /// Only for files you trust: a damaged file can then exhaust memory or loop for a long time.
    pub fn unlimited() -> Self {
        Limits {
            max_alloc: u64::MAX,
            max_read_total: u64::MAX,
            max_rank: u32::MAX,
            max_continuations: u32::MAX,
            max_messages: u32::MAX,
            max_btree_depth: u32::MAX,
            max_group_depth: u32::MAX,
            max_decompression_ratio: u64::MAX,
            max_attribute_size: u64::MAX,
            max_heap_object: u64::MAX,
            max_pyliteral: u64::MAX,
            max_pickle: u64::MAX,
            max_work: u64::MAX,
        }
    }
}
