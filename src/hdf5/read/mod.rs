//! The high-level read API: [`File`] → [`Group`] / [`Dataset`] → [`Attribute`], values as
//! typed vectors or dynamic [`Value`]s.

pub mod attribute;
mod bands;
pub mod dataset;
pub mod element;
pub mod external;
pub mod file;
pub mod group;
pub mod memory_type;
pub mod standard;
pub mod value;
pub mod virtual_ds;
pub mod walk;

pub use attribute::Attribute;
pub use dataset::{Dataset, Element, Selection};
pub use file::{File, Node, Object};
pub use group::{Group, Link, LinkKind};
pub use value::Value;
pub use walk::Visit;

// The element and shape descriptions a `Dataset`/`Attribute` carries, so callers name them
// through the read API, not the message modules.
pub use crate::hdf5::message::dataspace::{Dataspace, DataspaceKind, UNLIMITED};
pub use crate::hdf5::message::datatype::Datatype;
