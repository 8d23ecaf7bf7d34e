//! The high-level read API.
