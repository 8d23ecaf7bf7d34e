//! Chunk indexes, one module per kind: v1 B-tree (`btree_v1`), fixed and extensible
//! arrays (`array`, 1.10 profile). The kind of a new dataset's index is chosen by its
//! profile (`Profile::chunk_index`).

mod array;
mod btree_v1;
mod reopened;

pub(super) use reopened::implicit_addr;
