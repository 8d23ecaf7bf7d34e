//! Object Header Continuation message (0x10), spec IV.A.2.q.
//!
//! Layout: offset ("size of offsets"), length ("size of lengths").
//! Refused: undefined offset, zero length.

use super::{bad, named};
use crate::error::Result;
use crate::hdf5::cursor::{Cursor, UNDEFINED_ADDRESS};
use crate::hdf5::encoder::{Encoder, Sizes};
use crate::limits::Limits;

/// Where the next object header chunk lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Continuation {
    /// Address of the continuation block.
    pub offset: u64,
    /// Its length in bytes.
    pub length: u64,
}

impl Continuation {
    /// Decode a continuation message.
    pub fn parse(c: &mut Cursor<'_>, _limits: &Limits) -> Result<Self> {
        named(c, "continuation message", |c| {
            match (c.offset()?, c.length()?) {
                (UNDEFINED_ADDRESS, _) | (_, 0) => {
                    Err(bad(c, "continuation with undefined address or zero length"))
                }
                (offset, length) => Ok(Continuation { offset, length }),
            }
        })
    }
}

// ---- Encoding (the writer's half) -----------------------------------------------------

/// Encode a Continuation message body.
pub fn encode_continuation(s: Sizes, addr: u64, len: u64) -> Vec<u8> {
    Encoder::sized(s).offset(addr).length(len).take()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::message::test_util::*;

    #[test]
    fn accepts_and_rejects() {
        #[rustfmt::skip]
        let b = [
            0x00, 0x10, 0, 0, 0, 0, 0, 0, // continuation block at 4096
            0x00, 0x02, 0, 0, 0, 0, 0, 0, // 512 bytes
        ];
        let c = decode::<Continuation>(&b).unwrap();
        assert_eq!(
            c,
            Continuation {
                offset: 4096,
                length: 512
            }
        );
        let mut zero = b;
        zero[8..].fill(0);
        assert_eq!(
            format_at(decode::<Continuation>(&zero)).0,
            "continuation message"
        );
        let mut undef = b;
        undef[..8].fill(0xff);
        assert!(decode::<Continuation>(&undef).is_err());
        assert!(decode::<Continuation>(&b[..10]).is_err());
        // The writer encodes the same value to the same bytes.
        assert_eq!(encode_continuation(Sizes::default(), 4096, 512), b);
    }
}
