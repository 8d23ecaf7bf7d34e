//! The superblock: written whole when a file is created, then only to publish a new end
//! of file (step 2 of the commit order).

use super::*;

/// The superblock of the file being written, as far as publishing the end of file goes.
#[derive(Debug, Clone)]
pub(super) enum Superblock {
    /// v0 or v1 (PyTables family): the end-of-file address at `eof_field` (40 in v0, 44
    /// in v1 with 8-byte offsets) is rewritten alone.
    V0V1 { eof_field: u64 },
    /// v3 (1.10 family): the whole 48 bytes are rewritten with their checksum; `root` is
    /// the root group's object header address.
    V3 { root: u64 },
    /// A v2 or v3 superblock of an opened file, kept as found (version, flags, base,
    /// extension address such as a shared-message table, root) but for its end-of-file
    /// address at `eof_field`: the whole superblock (`head` and its checksum; 48 bytes
    /// with 8-byte offsets) rewritten.
    Kept { head: Vec<u8>, eof_field: u64 },
}

impl Superblock {
    /// Bytes of the superblock of a new file (the root group's header follows it).
    pub(super) fn len(&self) -> u64 {
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
        let eof = Encoder::sized(self.sizes).offset(self.stored_eof()?).take();
        match &self.superblock {
            Superblock::V0V1 { eof_field } => {
                let at = *eof_field;
                self.put(at, &eof)
            }
            Superblock::V3 { root } => {
                let sb = encode_superblock_v3(self.eof, *root);
                self.put(0, &sb)
            }
            Superblock::Kept { head, eof_field } => {
                let mut head = head.clone();
                let field = usize::try_from(*eof_field)
                    .ok()
                    .and_then(|f| head.get_mut(f..f.checked_add(eof.len())?))
                    .ok_or_else(|| Error::format("superblock", *eof_field, "short"))?;
                field.copy_from_slice(&eof);
                let sb = crate::hdf5::encoder::seal(head);
                self.put(0, &sb)
            }
        }
    }
}
