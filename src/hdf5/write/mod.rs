//! The HDF5 writer (PyTables structure family by default).

pub mod encode;
pub mod storage;
