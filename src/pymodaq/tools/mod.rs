//! Tools built on the PyMoDAQ mirror (they are not PyMoDAQ modules): `load --json`
//! ([`load_json`]), `import` of a JSON description ([`import`]), `record` of a line stream
//! ([`record`]) and saver scripts ([`script`]).

pub mod import;
pub mod load_json;
pub mod load_json_stream;
pub mod record;
pub mod script;
