//! The high-level read API: [`File`] → [`Group`] / [`Dataset`] → [`Attribute`], values as
//! typed vectors or dynamic [`Value`]s.

pub mod attribute;
pub mod dataset;
pub mod file;
pub mod group;
pub mod memory_type;
pub mod value;

pub use attribute::Attribute;
pub use dataset::{Dataset, Element, Selection};
pub use file::{File, Node, Object};
pub use group::{Group, Link, LinkKind};
pub use value::Value;
