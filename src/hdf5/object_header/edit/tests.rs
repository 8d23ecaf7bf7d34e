//! Byte-level tests of the header editor: loading, placing into NIL space, replacing,
//! refusing overruns and cycles.

use super::*;

fn attr(name: &str, pad_to: usize) -> Vec<u8> {
    let mut b = vec![1, 0];
    b.extend_from_slice(&((name.len() + 1) as u16).to_le_bytes());
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(name.as_bytes());
    b.push(0);
    b.resize(pad_to, 0);
    b
}

/// A header at 0x100: chunk 0 = attribute "a" (16) + NIL (24); continuation to 0x200
/// holding NIL (8).
fn image() -> Vec<u8> {
    let mut f = vec![0u8; 0x300];
    #[rustfmt::skip]
    let pre: [u8; 16] = [
        1, 0,             // version 1, reserved
        3, 0,             // 3 messages
        1, 0, 0, 0,       // refcount 1
        80, 0, 0, 0,      // chunk 0 size: attr 24 + cont 24 + NIL 32
        0, 0, 0, 0,       // padding
    ];
    f[0x100..0x110].copy_from_slice(&pre);
    let mut c0 = Vec::new();
    // Attribute "a": type 0xC, size 16.
    c0.extend_from_slice(&[0x0C, 0, 16, 0, 0, 0, 0, 0]);
    c0.extend_from_slice(&attr("a", 16));
    // Continuation: type 0x10, size 16 -> 0x200, 16 bytes.
    c0.extend_from_slice(&[0x10, 0, 16, 0, 0, 0, 0, 0]);
    c0.extend_from_slice(&0x200u64.to_le_bytes());
    c0.extend_from_slice(&16u64.to_le_bytes());
    // NIL of 24.
    c0.extend_from_slice(&[0, 0, 24, 0, 0, 0, 0, 0]);
    c0.extend_from_slice(&[0; 24]);
    f[0x110..0x110 + 80].copy_from_slice(&c0);
    // Continuation chunk: NIL, size 8.
    f[0x200..0x208].copy_from_slice(&[0, 0, 8, 0, 0, 0, 0, 0]);
    f
}

fn load(f: &[u8]) -> Result<EditableHeader> {
    let read = |a: u64, l: u64| -> Result<Vec<u8>> {
        f.get(a as usize..(a + l) as usize)
            .map(|s| s.to_vec())
            .ok_or_else(|| Error::format("test", a, "out of range"))
    };
    EditableHeader::load(0x100, Sizes::default(), &Limits::default(), &read)
}

#[test]
fn loads_and_places_in_nil() {
    let f = image();
    let mut h = load(&f).unwrap();
    assert_eq!(h.chunks.len(), 2);
    assert!(h.has_attribute("a"));
    h.add(ATTRIBUTE, attr("b", 16)).unwrap();
    assert!(h.has_attribute("b"));
    // 24-byte NIL: exact fit impossible (16 + 8 leftover < 16 rule) -> new chunk.
    assert_eq!(h.chunks.len(), 3);
    let mut next = 0x1000u64;
    let bytes = h
        .serialize(&mut |b| {
            let a = next;
            next += b.len() as u64;
            Ok(a)
        })
        .unwrap();
    assert_eq!(bytes.len(), 16 + 80);
    assert_eq!(bytes[2], h.count() as u8);
}

#[test]
fn replace_reuses_slot() {
    let f = image();
    let mut h = load(&f).unwrap();
    h.remove_attribute("a");
    h.add(ATTRIBUTE, attr("c", 16)).unwrap();
    assert_eq!(h.chunks.len(), 2);
    assert!(h.has_attribute("c") && !h.has_attribute("a"));
}

#[test]
fn rejects_v2_and_overrun() {
    let mut f = image();
    f[0x100] = 2;
    assert!(matches!(load(&f), Err(Error::Unsupported { .. })));
    let mut f = image();
    f[0x110 + 2] = 200; // attribute size overruns chunk 0
    assert!(matches!(load(&f), Err(Error::Format(_))));
}

#[test]
fn rejects_cycle() {
    let mut f = image();
    // Continuation points back at chunk 0's data.
    f[0x110 + 24 + 8..0x110 + 24 + 16].copy_from_slice(&0x110u64.to_le_bytes());
    f[0x110 + 24 + 16..0x110 + 24 + 24].copy_from_slice(&80u64.to_le_bytes());
    assert!(load(&f).is_err());
}

/// An h5py group header in a file of 4-byte offsets and lengths: chunk 0 holds the symbol
/// table message (8 bytes: two 4-byte addresses) and a NIL message with no body, 16 bytes in
/// all. A new attribute goes to a new chunk; the symbol table message moves there too and
/// the continuation (8 bytes at these sizes) takes its place and the NIL's, padded to 16.
#[test]
#[rustfmt::skip]
fn narrow_sizes_continuation_fills_a_small_place() {
    let s = Sizes { offsets: 4, lengths: 4 };
    let mut f = vec![0u8; 0x200];
    f[0x100..0x110].copy_from_slice(&[
        1, 0,             // version 1, reserved
        2, 0,             // 2 messages
        1, 0, 0, 0,       // refcount 1
        24, 0, 0, 0,      // chunk 0 size: symbol table 16 + NIL 8
        0, 0, 0, 0,       // padding
    ]);
    f[0x110..0x128].copy_from_slice(&[
        0x11, 0, 8, 0, 1, 0, 0, 0, // symbol table message, 8 bytes, constant
        0x88, 0, 0, 0,             // B-tree at 0x88
        0xa8, 0, 0, 0,             // local heap at 0xa8
        0, 0, 0, 0, 0, 0, 0, 0,    // NIL message, no body
    ]);
    let read = |a: u64, l: u64| -> Result<Vec<u8>> {
        f.get(a as usize..(a + l) as usize)
            .map(|s| s.to_vec())
            .ok_or_else(|| Error::format("test", a, "out of range"))
    };
    let mut h = EditableHeader::load(0x100, s, &Limits::default(), &read).unwrap();
    h.add(ATTRIBUTE, attr("b", 16)).unwrap();
    assert_eq!(h.chunks.len(), 2);
    let bytes = h.serialize(&mut |_| Ok(0x1000)).unwrap();
    // Chunk 0 keeps its 24 bytes: one continuation message whose 16-byte body names the
    // new chunk (4-byte address and length, then the padding readers skip).
    assert_eq!(bytes.len(), 16 + 24);
    // Messages of every chunk: the continuation; the attribute, the symbol table message
    // and spare NIL space in the new chunk.
    assert_eq!(&bytes[2..4], &[4, 0]);
    let [l0, l1, l2, l3] = (h.chunks[1].size() as u32).to_le_bytes();
    assert_eq!(&bytes[16..40], &[
        0x10, 0, 16, 0, 0, 0, 0, 0, // continuation message, 16 bytes
        0, 0x10, 0, 0,              // new chunk at 0x1000
        l0, l1, l2, l3,             // its length
        0, 0, 0, 0, 0, 0, 0, 0,     // padding
    ]);
    assert!(h.has_attribute("b"));
    assert!(h.find(0x11).is_some_and(|(ci, _)| ci == 1), "symbol table moved out");
}
