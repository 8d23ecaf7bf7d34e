//! The HDF5 writer (PyTables structure family by default).
//!
//! [`Writer`] creates a file with superblock v0, v1 object headers, symbol-table groups and
//! v1 B-tree chunk indexes — the structures PyTables writes — so h5py, PyTables, h5dump
//! and HDFView open the result. See `writer` for the crash-tolerant commit order.
//! [`Writer::open`] extends an existing file of that family (ours, PyTables', h5py's
//! default profile) with the same commit order, editing its object headers through
//! [`crate::hdf5::object_header::edit`].

mod complex;
pub mod durability;
pub mod pytables;
pub mod writer;

pub use durability::Durability;
// The writable storages live in `crate::storage`, beside the readable ones.
#[cfg(any(test, feature = "testing"))]
pub use crate::storage::{FaultOp, FaultyStorage};
pub use crate::storage::{FileWriteStorage, MemWriteStorage, WriteStorage};
pub use writer::{
    AttrValue, DatasetBuilder, DatasetId, Dtype, H5Num, LayoutKind, Profile, PyTablesClass,
    WriteOptions, Writer,
};
