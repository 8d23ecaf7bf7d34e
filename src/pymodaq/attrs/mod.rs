//! PyMoDAQ attribute encodings: the JSON envelope around Python literals, and pickled log lines.
//!
//! - [`pyliteral`]: closed-grammar parser and `repr()` printer for the Python literals in `data`;
//! - [`envelope`]: `object2json` / `json2object` as PyMoDAQ's `JsonConverter` does them;
//! - [`pickle`]: allow-listed decoder and exact encoder for the pickled str rows of the Logger;
//! - [`pickle_value`]: closed-grammar decoder of PyTables' protocol-0 pickled attribute values.
//!
//! Nothing here evaluates or executes anything taken from a file.

pub mod envelope;
pub mod pickle;
pub mod pickle_value;
mod printable;
pub mod pyliteral;

pub use envelope::{json2object_bytes, json2object_str, object2json, AttrValue, RawAttr};
pub use pyliteral::{repr, PyValue};
