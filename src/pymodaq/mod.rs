//! The PyMoDAQ layer: attribute encodings, data model, savers and loaders.

pub mod attrs;
pub mod backend;
pub mod browsing;
pub mod dtype;
pub mod import;
pub mod legacy;
pub mod load;
pub mod load_json;
pub mod model;
pub mod nexus;
pub mod nexus_annotate;
pub mod record;
pub mod save;
