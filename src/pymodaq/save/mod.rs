//! The saving half of PyMoDAQ's `h5modules`: `H5SaverLowLevel` and every data saver (the
//! writing backend is [`crate::pymodaq::backend::write`]), writing files PyMoDAQ's own loaders read back.

pub mod chunking;
pub mod data_saving;
pub mod module_saving;
mod nexus_live;
pub mod saver3x;
pub mod saving;

pub use crate::pymodaq::backend::{Flavour, SaveBackend};
pub use data_saving::{
    AxisSaverLoader, BkgSaver, DataEnlargeableSaver, DataExtendedSaver, DataSaverLoader,
    DataToExportEnlargeableSaver, DataToExportExtendedSaver, DataToExportSaver,
    DataToExportTimedSaver, ErrorSaverLoader,
};
pub use saving::{Clock, H5Saver, InitOptions, SaveType};
