//! # pymodaq-h5
//!
//! A pure-Rust reader and writer of the HDF5 files written by PyMoDAQ (through PyTables or
//! h5py), with no libhdf5 and no C.
//!
//! Layers: [`hdf5`] is the format engine; the PyMoDAQ layer stands on it.
//! Bad input gives an [`Error`], never a panic; caps live in [`Limits`].
#![warn(missing_docs)]

pub mod dump;
pub mod error;
pub mod export;
pub mod hdf5;
pub mod limits;
pub mod pymodaq;
pub mod storage;

pub use error::{Error, FormatError, Result};
pub use limits::Limits;
