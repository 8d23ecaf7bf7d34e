//! Attribute Info message (0x15), spec IV.A.2.v. Version 0: the layout of the Link Info
//! message ([`IndexInfo`], `link_info.rs`, where both are parsed, encoded and tested) with
//! a 2-byte maximum creation index.

use super::link_info::{CreationIndex, IndexInfo};

/// Where an object's dense attributes live.
pub type AttributeInfo = IndexInfo<u16>;

impl CreationIndex for u16 {
    const WIDTH: usize = 2;
    const MESSAGE: &'static str = "attribute info message";
}
