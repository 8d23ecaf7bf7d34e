//! The superblock: written whole when a file is created, then only to publish a new end
//! of file (step 2 of the commit order).

use super::*;

/// The superblock of the file being written, as far as publishing the end of file goes.
#[derive(Debug, Clone, Copy)]
pub(super) enum Superblock {
    /// v0 or v1 (PyTables family): the 8-byte end-of-file address at `eof_field` (40 in
    /// v0, 44 in v1) is rewritten alone.
    V0V1 { eof_field: u64 },
    /// v3 (1.10 family): the whole 48 bytes are rewritten with their checksum; `root` is
    /// the root group's object header address.
    V3 { root: u64 },
    /// A v2 or v3 superblock of an opened file, kept as found (version, flags, base,
    /// extension address such as a shared-message table, root) but for its end-of-file
    /// address: the whole 48 bytes rewritten with their checksum.
    Kept { head: [u8; 44] },
}

impl Superblock {
    /// Bytes of the superblock of a new file (the root group's header follows it).
    pub(super) fn len(self) -> u64 {
        match self {
            Superblock::V0V1 { .. } => SUPERBLOCK_SIZE,
            Superblock::V3 { .. } | Superblock::Kept { .. } => SUPERBLOCK_V3_SIZE,
        }
    }
}

impl Writer {
    /// The whole superblock of a new file whose root group is object `root`.
    pub(super) fn new_superblock(&mut self, root: usize) -> Result<Vec<u8>> {
        Ok(match self.superblock {
            Superblock::V0V1 { .. } => {
                let entry = self.group_entry(root, 0)?;
                encode_superblock(self.eof, &entry)
            }
            Superblock::V3 { .. } | Superblock::Kept { .. } => {
                let root = self.objs[root].addr;
                self.superblock = Superblock::V3 { root };
                encode_superblock_v3(self.eof, root)
            }
        })
    }

    /// The end-of-file address the superblock stores: absolute, past the user block (libhdf5
    /// encodes its relative EOA + base and compares it with the file's length).
    fn stored_eof(&self) -> Result<u64> {
        self.eof
            .checked_add(self.base)
            .ok_or_else(|| usage("end of file address overflow"))
    }

    /// Write the current end of file into the superblock: one positional write (v3: the
    /// whole checksummed superblock).
    pub(super) fn write_eof(&mut self) -> Result<()> {
        match self.superblock {
            Superblock::V0V1 { eof_field } => {
                let e = self.stored_eof()?.to_le_bytes();
                self.put(eof_field, &e)
            }
            Superblock::V3 { root } => {
                let sb = encode_superblock_v3(self.eof, root);
                self.put(0, &sb)
            }
            Superblock::Kept { mut head } => {
                // End-of-file address after signature, version, sizes, flags, base and
                // extension addresses.
                head[28..36].copy_from_slice(&self.stored_eof()?.to_le_bytes());
                let sb = crate::hdf5::encoder::seal(head.to_vec());
                self.put(0, &sb)
            }
        }
    }
}
