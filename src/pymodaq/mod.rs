//! The PyMoDAQ layer: attribute encodings, data model, savers and loaders.

pub mod attrs;
