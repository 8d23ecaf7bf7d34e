//! The HDF5 engine: one module per on-disk structure, named after the HDF5 File Format
//! Specification (version 3.0/4.0). See `spec/hdf5-subset.md` for what is supported.

pub mod cursor;
pub mod encoder;
pub mod io;

pub mod btree_v1;
pub mod btree_v2;
pub mod cache_image;
pub mod checksum;
pub mod fractal_heap;
pub mod global_heap;
pub mod local_heap;
pub mod object_header;
pub mod sohm;
pub mod superblock;
pub mod symbol_node;

pub mod chunk_index;
pub mod filter;
pub mod message;

pub mod read;
pub mod write;
