//! # pymodaq-h5
//!
//! A pure-Rust reader and writer of the HDF5 files written by PyMoDAQ (through PyTables or
//! h5py), with no libhdf5 and no C.
//!
//! - [`hdf5::read`]: open a file from a path or bytes ([`hdf5::read::File`]), walk groups,
//!   read attributes and datasets (whole, or a hyperslab that touches only its chunks), typed
//!   (`Vec<T>`, `ndarray` with the `ndarray` feature) or raw. Reads everything h5py and
//!   PyTables write, default and `libver='latest'` (see `spec/hdf5-read.md`).
//! - [`hdf5::write`]: create files in the PyTables structure family (groups, attributes,
//!   compact/contiguous/chunked datasets, filters, appends, variable-length rows), with a
//!   commit order that survives a killed process (see `spec/hdf5-write.md`).
//! - [`pymodaq::attrs`]: PyMoDAQ's attribute encodings — the JSON envelope around Python
//!   literals (parsed by a closed grammar, never evaluated) and pickled log lines (an
//!   allow-list decoder, never executed).
//! - [`dump`]: the `dump --json` document; [`export`]: `.npy`/CSV export.
//!
//! Bad input gives an [`Error`] naming the structure and byte offset, never a panic; caps on
//! everything a file can ask for live in [`Limits`].
//!
//! ```no_run
//! use pymodaq_h5::hdf5::read::{File, Node};
//! let file = File::open("scan.h5")?;
//! if let Node::Dataset(d) = file.get("/RawData/Scan000/Detector000/Data1D/CH00/Data00")? {
//!     let spectrum_row: Vec<f64> = d.read_slice(&[0..1, 0..2048])?;
//! }
//! # Ok::<(), pymodaq_h5::Error>(())
//! ```
#![deny(missing_docs)]

pub mod dump;
pub mod error;
pub mod export;
pub mod hdf5;
pub mod hsds;
pub mod limits;
pub mod pymodaq;
pub mod serve;
pub mod storage;

pub use error::{Error, FormatError, Result};

/// The README's code examples, compiled and run by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
pub use limits::Limits;
/// The `ndarray` crate this one builds against (feature `ndarray`), so callers name the same
/// version as [`hdf5::read::Dataset::read_ndarray`] returns.
#[cfg(feature = "ndarray")]
pub use ndarray;
