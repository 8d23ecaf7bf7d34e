//! The PyMoDAQ layer: attribute encodings, data model, savers and loaders.

pub mod attrs;
pub mod backend;
pub mod browsing;
pub mod dtype;
pub mod legacy;
pub mod load;
pub mod model;
pub mod nexus;
pub mod nexus_annotate;
pub mod save;
pub mod tools;

#[cfg(test)]
mod layering;

// The tools by their former paths (`pymodaq::load_json`, ...).
pub use tools::{import, load_json, record, script};
