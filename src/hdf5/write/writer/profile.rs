//! The write profile as a value: every encoding choice that differs between the
//! PyTables family and the HDF5 1.10 family is made here, once, and the structures'
//! writers follow the value they are given.

use super::*;

/// The family of on-disk structures a new file is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// PyTables' family (HDF5 1.6 style): superblock v0, v1 object headers, symbol-table
    /// groups, v1 B-tree chunk indexes. Read by every HDF5 since 1.6.3.
    #[default]
    PyTables,
    /// HDF5 1.10 (h5py `libver='latest'`, SWMR readers): superblock v3, v2 object
    /// headers with checksums, groups as link messages, extensible-array (one unlimited
    /// dimension) or fixed-array chunk indexes. Needs HDF5 >= 1.10 to read.
    Hdf5V110,
}

/// How a group stores its links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GroupFormat {
    /// Symbol table: a local heap of names and a v1 B-tree of symbol nodes.
    SymbolTable,
    /// Link messages in the group's own (v2) header; dense past `MAX_COMPACT_LINKS`.
    Links,
}

impl Profile {
    /// The superblock of a new file.
    pub(super) fn superblock(self) -> Superblock {
        match self {
            Profile::PyTables => Superblock::V0V1 {
                eof_field: EOF_FIELD,
            },
            Profile::Hdf5V110 => Superblock::V3 { root: UNDEF },
        }
    }

    /// The object header version of new objects.
    pub(super) fn object_header(self) -> HeaderVersion {
        match self {
            Profile::PyTables => HeaderVersion::V1,
            Profile::Hdf5V110 => HeaderVersion::V2,
        }
    }

    /// How new groups store their links.
    pub(super) fn groups(self) -> GroupFormat {
        match self {
            Profile::PyTables => GroupFormat::SymbolTable,
            Profile::Hdf5V110 => GroupFormat::Links,
        }
    }

    /// The chunk index of a new chunked dataset: v1 B-tree in the PyTables profile; in
    /// the 1.10 profile an extensible array for one unlimited dimension, a fixed array
    /// for none (up to 2^24 chunks), else a v1 B-tree (as HDF5 1.10 would use a v2 B-tree,
    /// which we do not write). Files whose lengths are narrower than 8 bytes get a v1
    /// B-tree for unlimited dimensions: libhdf5 reads their maximum dimensions as
    /// 2^32 - 1, not unlimited, and cannot open an extensible array there ("didn't find
    /// unlimited dimension", its own files included).
    pub(super) fn chunk_index(self, max: &[u64], chunk: &[u64], sizes: Sizes) -> ChunkIdx {
        if self == Profile::PyTables {
            return ChunkIdx::BTreeV1;
        }
        let unl: Vec<usize> = (0..max.len()).filter(|&d| max[d] == UNDEF).collect();
        match unl.as_slice() {
            [] => {
                let n = max
                    .iter()
                    .zip(chunk)
                    .try_fold(1u64, |a, (m, c)| a.checked_mul(m.div_ceil(*c)));
                match n {
                    Some(n) if n <= 1 << 24 => ChunkIdx::Fixed,
                    _ => ChunkIdx::BTreeV1,
                }
            }
            [ud] if sizes.lengths == 8 => ChunkIdx::Extensible(*ud),
            _ => ChunkIdx::BTreeV1,
        }
    }
}
