//! Format signature and superblock (spec II.A, "Disk Format: Level 0A").
//!
//! Versions 0 and 1 (with the root group symbol-table entry; v1 adds the indexed storage
//! internal node K) and versions 2 and 3 (lookup3 checksum verified) are decoded. Sizes of
//! offsets and lengths other than 2, 4 or 8 are refused. The signature is searched at byte
//! 0, 512, 1024, 2048, ... (user block); when it is found at N > 0 and the stored base
//! address is 0, the base is taken to be N, as the HDF5 library does.
//!
//! Nothing beyond the superblock itself is read here: the superblock extension and driver
//! information block are only reported by address.

use crate::error::{Error, Result};
use crate::hdf5::btree_v1::{GROUP_INTERNAL_K, GROUP_LEAF_K};
use crate::hdf5::checksum;
use crate::hdf5::cursor::{Cursor, Sizes, UNDEFINED_ADDRESS};
use crate::hdf5::encoder::{seal, UNDEF};
use crate::hdf5::symbol_node;
use crate::hdf5::symbol_node::Entry;
use crate::limits::Limits;
use crate::storage::Storage;

/// The 8-byte HDF5 format signature.
pub const SIGNATURE: [u8; 8] = [0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n'];

const STRUCTURE: &str = "superblock";

/// Largest superblock we ever need to read (v1 with 8-byte offsets/lengths is 100 bytes).
const MAX_SUPERBLOCK: u64 = 256;

/// A decoded superblock (any version), normalised to one shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Superblock {
    /// Superblock version (0..=3).
    pub version: u8,
    /// Sizes of offsets and lengths.
    pub sizes: Sizes,
    /// Group leaf node K (v0/v1; 0 in v2/v3, where it is not stored).
    pub group_leaf_k: u16,
    /// Group internal node K (v0/v1; 0 in v2/v3).
    pub group_internal_k: u16,
    /// Indexed storage internal node K (stored in v1; the default 32 for v0; 0 in v2/v3).
    pub indexed_storage_k: u16,
    /// Base address as stored (after [`locate`]: the effective absolute position of address 0).
    pub base_address: u64,
    /// End-of-file address (relative to the base).
    pub eof_address: u64,
    /// Address of the root group's object header.
    pub root_object_header: u64,
    /// `(B-tree, local heap)` addresses cached in the root entry's scratch pad (v0/v1, cache
    /// type 1 only). A hint only: the object header is authoritative (quirk 20).
    pub root_symbol_table: Option<(u64, u64)>,
    /// Superblock extension address (v2/v3; [`UNDEFINED_ADDRESS`] when absent or v0/v1).
    pub extension_address: u64,
    /// File consistency flags (v0/v1: 4 bytes, v2/v3: 1 byte).
    pub flags: u32,
}

fn check_sizes(c: &Cursor, at: u64, offsets: u8, lengths: u8) -> Result<Sizes> {
    for (name, v) in [("size of offsets", offsets), ("size of lengths", lengths)] {
        if !matches!(v, 2 | 4 | 8) {
            return Err(c
                .err_at(at, format!("{name} is {v}, must be 2, 4 or 8"))
                .into());
        }
    }
    Ok(Sizes { offsets, lengths })
}

/// Decode a superblock from `c`, which must start at the format signature. Pure.
pub fn parse(c: &mut Cursor) -> Result<Superblock> {
    let start = c.pos();
    c.signature(&SIGNATURE)?;
    let version_at = c.addr();
    let version = c.u8()?;
    match version {
        0 | 1 => parse_v0_v1(c, version),
        2 | 3 => parse_v2_v3(c, version, start),
        v => Err(Error::unsupported(
            format!("superblock version {v}"),
            Some(version_at),
        )),
    }
}

fn parse_v0_v1(c: &mut Cursor, version: u8) -> Result<Superblock> {
    let _free_space_version = c.u8()?;
    let _root_entry_version = c.u8()?;
    c.skip(1)?; // reserved
    let _shared_header_version = c.u8()?;
    let sizes_at = c.addr();
    let offsets = c.u8()?;
    let lengths = c.u8()?;
    let sizes = check_sizes(c, sizes_at, offsets, lengths)?;
    c.skip(1)?; // reserved
    let group_leaf_k = c.u16()?;
    let group_internal_k = c.u16()?;
    let flags = c.u32()?;
    let indexed_storage_k = if version == 1 {
        let k = c.u16()?;
        c.skip(2)?; // reserved
        k
    } else {
        32 // the spec's default when the field is absent
    };
    // The rest is sized by the sizes just read.
    let mut s = Cursor::new(c.rest(), c.addr(), c.structure(), sizes);
    let base_address = s.offset()?;
    let _free_space_info = s.offset()?;
    let eof_address = s.offset()?;
    let _driver_info = s.offset()?;
    let entry = symbol_node::parse_entry(&mut s)?;
    c.skip(s.pos())?;
    Ok(Superblock {
        version,
        sizes,
        group_leaf_k,
        group_internal_k,
        indexed_storage_k,
        base_address,
        eof_address,
        root_object_header: entry.object_header_address,
        root_symbol_table: entry.cached_btree_heap_sized(sizes.offsets),
        extension_address: UNDEFINED_ADDRESS,
        flags,
    })
}

fn parse_v2_v3(c: &mut Cursor, version: u8, start: usize) -> Result<Superblock> {
    let sizes_at = c.addr();
    let offsets = c.u8()?;
    let lengths = c.u8()?;
    let sizes = check_sizes(c, sizes_at, offsets, lengths)?;
    let flags = c.u8()? as u32;
    let mut s = Cursor::new(c.rest(), c.addr(), c.structure(), sizes);
    let base_address = s.offset()?;
    let extension_address = s.offset()?;
    let eof_address = s.offset()?;
    let root_object_header = s.offset()?;
    c.skip(s.pos())?;
    checksum::verify_field(c, start, STRUCTURE)?;
    Ok(Superblock {
        version,
        sizes,
        group_leaf_k: 0,
        group_internal_k: 0,
        indexed_storage_k: 0,
        base_address,
        eof_address,
        root_object_header,
        root_symbol_table: None,
        extension_address,
        flags,
    })
}

/// Find and decode the superblock: the signature is searched at 0, 512, 1024, 2048, ...
/// below the storage length. Returns the absolute position of the signature and the
/// superblock, whose `base_address` is made effective (N when found at N > 0 with a stored
/// base of 0).
pub fn locate(storage: &dyn Storage, limits: &Limits) -> Result<(u64, Superblock)> {
    let len = storage.len()?;
    let mut pos = 0u64;
    let mut probes = 0u64;
    while pos < len {
        probes += 1;
        if probes > limits.max_work {
            return Err(Error::limit("max_work", limits.max_work, probes, Some(pos)));
        }
        let n = (len - pos).min(MAX_SUPERBLOCK);
        if n >= SIGNATURE.len() as u64 {
            let mut sig = [0u8; 8];
            storage.read_at(pos, &mut sig)?;
            if sig == SIGNATURE {
                // n <= 256, so the conversion and allocation are bounded.
                let mut buf = vec![0u8; n as usize];
                storage.read_at(pos, &mut buf)?;
                let mut c = Cursor::new(&buf, pos, STRUCTURE, Sizes::default());
                let mut sb = parse(&mut c)?;
                if pos > 0 && sb.base_address == 0 {
                    sb.base_address = pos;
                }
                return Ok((pos, sb));
            }
        }
        pos = if pos == 0 { 512 } else { pos.saturating_mul(2) };
    }
    Err(Error::format(
        STRUCTURE,
        0,
        "no HDF5 signature at 0, 512, 1024, ... (not an HDF5 file)",
    ))
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// Size of the superblock v0 with 8-byte offsets, including the root symbol-table entry.
pub const SUPERBLOCK_SIZE: u64 = 96;

/// Byte offset of the end-of-file address inside superblock v0.
pub const EOF_FIELD: u64 = 40;

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
    root.encode(Sizes::default(), &mut out);
    out
}

/// Size of superblock v3 with 8-byte offsets and lengths (checksum included).
pub const SUPERBLOCK_V3_SIZE: u64 = 48;

/// Encode superblock v3 (48 bytes): sizes 8/8, file consistency flags 0 (a killed writer
/// must not leave a file HDF5 refuses to open), base 0, no extension, `eof`, root object
/// header address, checksum.
pub fn encode_superblock_v3(eof: u64, root: u64) -> Vec<u8> {
    let mut out = b"\x89HDF\r\n\x1a\n".to_vec();
    out.extend_from_slice(&[3, 8, 8, 0]);
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&UNDEF.to_le_bytes());
    out.extend_from_slice(&eof.to_le_bytes());
    out.extend_from_slice(&root.to_le_bytes());
    seal(out)
}

/// Helpers shared by the structure tests of this crate.
#[cfg(test)]
pub(crate) mod test_util {
    use std::sync::Arc;

    use crate::hdf5::io::FileIo;
    use crate::limits::Limits;
    use crate::storage::MemStorage;

    /// A `FileIo` over `bytes` with 8/8 sizes and default limits.
    pub(crate) fn io_over(bytes: Vec<u8>) -> FileIo {
        io_with(bytes, Limits::default())
    }

    /// A `FileIo` over `bytes` with 8/8 sizes and the given limits.
    pub(crate) fn io_with(bytes: Vec<u8>, limits: Limits) -> FileIo {
        FileIo::new(Arc::new(MemStorage::new(bytes)), limits).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemStorage;

    /// A v0 superblock with 8/8 sizes, root entry cache type 1 (btree 0x88, heap 0x2a8).
    #[rustfmt::skip]
    fn v0_bytes() -> Vec<u8> {
        let mut v = vec![
            0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n', // signature
            0,                      // superblock version
            0,                      // free-space version
            0,                      // root symbol table entry version
            0,                      // reserved
            0,                      // shared header message version
            8,                      // size of offsets
            8,                      // size of lengths
            0,                      // reserved
            4, 0,                   // group leaf K
            16, 0,                  // group internal K
            0, 0, 0, 0,             // file consistency flags
        ];
        v.extend_from_slice(&0u64.to_le_bytes());        // base address
        v.extend_from_slice(&u64::MAX.to_le_bytes());    // free-space info (undefined)
        v.extend_from_slice(&0x1000u64.to_le_bytes());   // end of file address
        v.extend_from_slice(&u64::MAX.to_le_bytes());    // driver info (undefined)
        v.extend_from_slice(&0u64.to_le_bytes());        // root entry: link name offset
        v.extend_from_slice(&0x60u64.to_le_bytes());     // root entry: object header address
        v.extend_from_slice(&1u32.to_le_bytes());        // root entry: cache type 1
        v.extend_from_slice(&0u32.to_le_bytes());        // root entry: reserved
        v.extend_from_slice(&0x88u64.to_le_bytes());     // scratch: B-tree address
        v.extend_from_slice(&0x2a8u64.to_le_bytes());    // scratch: local heap address
        v
    }

    #[rustfmt::skip]
    fn v2_bytes(version: u8) -> Vec<u8> {
        let mut v = vec![
            0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n', // signature
            version,                // superblock version
            8,                      // size of offsets
            8,                      // size of lengths
            0,                      // file consistency flags
        ];
        v.extend_from_slice(&0u64.to_le_bytes());        // base address
        v.extend_from_slice(&u64::MAX.to_le_bytes());    // superblock extension (undefined)
        v.extend_from_slice(&0x800u64.to_le_bytes());    // end of file address
        v.extend_from_slice(&0x30u64.to_le_bytes());     // root group object header
        let sum = checksum::lookup3(&v);
        v.extend_from_slice(&sum.to_le_bytes());         // checksum
        v
    }

    #[test]
    fn v0_accepted() {
        let b = v0_bytes();
        let mut c = Cursor::new(&b, 0, STRUCTURE, Sizes::default());
        let sb = parse(&mut c).unwrap();
        assert_eq!(sb.version, 0);
        assert_eq!(
            (sb.group_leaf_k, sb.group_internal_k, sb.indexed_storage_k),
            (4, 16, 32)
        );
        assert_eq!(sb.root_object_header, 0x60);
        assert_eq!(sb.root_symbol_table, Some((0x88, 0x2a8)));
        assert_eq!(sb.eof_address, 0x1000);
        assert_eq!(c.pos(), b.len());
    }

    #[test]
    fn v2_v3_accepted_and_checksum_checked() {
        for ver in [2, 3] {
            let b = v2_bytes(ver);
            let sb = parse(&mut Cursor::new(&b, 0, STRUCTURE, Sizes::default())).unwrap();
            assert_eq!(sb.version, ver);
            assert_eq!(sb.root_object_header, 0x30);
            assert_eq!(sb.extension_address, UNDEFINED_ADDRESS);
        }
        let mut b = v2_bytes(3);
        b[20] ^= 1; // corrupt the base address
        let e = parse(&mut Cursor::new(&b, 0, STRUCTURE, Sizes::default())).unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
    }

    #[test]
    fn bad_sizes_rejected() {
        let mut b = v0_bytes();
        b[13] = 3; // size of offsets
        let e = parse(&mut Cursor::new(&b, 0, STRUCTURE, Sizes::default())).unwrap_err();
        assert_eq!(e.offset(), Some(13));
    }

    #[test]
    fn truncated_and_bad_version_rejected() {
        let b = v0_bytes();
        assert!(parse(&mut Cursor::new(&b[..60], 0, STRUCTURE, Sizes::default())).is_err());
        let mut b = v0_bytes();
        b[8] = 9;
        assert!(matches!(
            parse(&mut Cursor::new(&b, 0, STRUCTURE, Sizes::default())),
            Err(Error::Unsupported { .. })
        ));
    }

    #[test]
    fn locate_with_user_block() {
        let mut f = vec![0u8; 1024];
        f.extend(v0_bytes());
        let (pos, sb) = locate(&MemStorage::new(f), &Limits::default()).unwrap();
        assert_eq!(pos, 1024);
        assert_eq!(sb.base_address, 1024);
        let e = locate(&MemStorage::new(vec![0u8; 5000]), &Limits::default()).unwrap_err();
        assert!(matches!(e, Error::Format(_)));
    }
}

#[cfg(test)]
mod encode_tests {
    use super::*;
    use crate::hdf5::checksum::lookup3;

    const FF: [u8; 8] = [0xff; 8];

    #[test]
    #[rustfmt::skip]
    fn superblock_v3_bytes() {
        let b = encode_superblock_v3(0x1234, 48);
        let mut want = vec![
            0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n', // signature
            3,                              // superblock version 3
            8, 8,                           // sizes of offsets and lengths
            0,                              // file consistency flags: none
            0, 0, 0, 0, 0, 0, 0, 0,         // base address 0
        ];
        want.extend_from_slice(&FF);        // superblock extension: undefined
        want.extend_from_slice(&[0x34, 0x12, 0, 0, 0, 0, 0, 0]); // end-of-file address
        want.extend_from_slice(&[48, 0, 0, 0, 0, 0, 0, 0]);       // root object header
        let sum = lookup3(&want).to_le_bytes();
        want.extend_from_slice(&sum);       // lookup3 over the 44 bytes before
        assert_eq!(b, want);
        assert_eq!(b.len() as u64, SUPERBLOCK_V3_SIZE);
        let mut c = crate::hdf5::cursor::Cursor::new(&b, 0, "sb", Default::default());
        let sb = crate::hdf5::superblock::parse(&mut c).unwrap();
        assert_eq!((sb.version, sb.eof_address, sb.root_object_header), (3, 0x1234, 48));
    }
}
