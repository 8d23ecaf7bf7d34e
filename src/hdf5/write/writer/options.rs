//! Public options of a [`Writer`]: element types, layout kinds (the profile: `profile`).

use super::*;

/// Options for [`Writer::create`].
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// On-disk structure family of a new file ([`Writer::open`] keeps the file's own).
    pub profile: Profile,
    /// Write PyTables system attributes on the root (CLASS, TITLE, VERSION,
    /// PYTABLES_FORMAT_VERSION) and on groups created by [`Writer::create_group`].
    pub pytables: bool,
    /// Root TITLE (PyTables).
    pub root_title: String,
    /// Limits applied when reading back chunks for read-modify-write.
    pub limits: Limits,
    /// Whether `close` ends with an `fsync` ([`Durability::Sync`], the default).
    pub durability: Durability,
    /// Groups created from now on list their members in creation order, as h5py's
    /// `track_order=True` groups (Link Info tracking and indexing creation order; the root
    /// group of a new file keeps name order).
    pub track_order: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            profile: Profile::PyTables,
            pytables: true,
            root_title: String::new(),
            limits: Limits::default(),
            durability: Durability::default(),
            track_order: false,
        }
    }
}

/// Element type of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub enum Dtype {
    /// int8.
    I8,
    /// int16.
    I16,
    /// int32.
    I32,
    /// int64.
    I64,
    /// uint8.
    U8,
    /// uint16.
    U16,
    /// uint32.
    U32,
    /// uint64.
    U64,
    /// float16.
    F16,
    /// float32.
    F32,
    /// float64.
    F64,
    /// PyTables bool: 1-byte bitfield.
    Bool,
    /// h5py bool: enum {FALSE, TRUE} over int8.
    BoolEnum,
    /// Fixed-length ASCII string of this many bytes (NULLTERM, PyTables StringAtom).
    FixedStr(u32),
    /// Variable-length sequence of the base type (PyTables VLArray atom).
    Vlen(Box<Dtype>),
    /// Any datatype the encoder supports (compound, array, enum, big-endian, ...).
    Custom(Datatype),
}

impl Dtype {
    /// The on-disk datatype.
    pub fn datatype(&self) -> Datatype {
        match self {
            Dtype::I8 => types::int(1, true),
            Dtype::I16 => types::int(2, true),
            Dtype::I32 => types::int(4, true),
            Dtype::I64 => types::int(8, true),
            Dtype::U8 => types::int(1, false),
            Dtype::U16 => types::int(2, false),
            Dtype::U32 => types::int(4, false),
            Dtype::U64 => types::int(8, false),
            Dtype::F16 => types::float(2),
            Dtype::F32 => types::float(4),
            Dtype::F64 => types::float(8),
            Dtype::Bool => types::bitfield8(),
            Dtype::BoolEnum => types::bool_enum(),
            Dtype::FixedStr(n) => types::fixed_str(*n, CharSet::Ascii),
            Dtype::Vlen(b) => Datatype::VarLenSequence {
                size: 16,
                base: Box::new(b.datatype()),
            },
            Dtype::Custom(d) => d.clone(),
        }
    }
}

/// A Rust number the writer takes: the reader's [`Element`](crate::hdf5::read::Element),
/// one trait for both directions (its datatype and little-endian bytes are part of it).
pub use crate::hdf5::read::element::Element as H5Num;

/// The PyTables class a dataset is tagged with (CLASS/VERSION/TITLE attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PyTablesClass {
    /// ARRAY 2.4 (contiguous).
    Array,
    /// CARRAY 1.1 (chunked, fixed max dims).
    CArray,
    /// EARRAY 1.1 + EXTDIM (chunked, one unlimited dimension).
    EArray,
    /// VLARRAY 1.4 (rank-1 vlen sequence).
    VLArray,
}

/// How a dataset stores its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutKind {
    /// In the object header (small data only).
    Compact,
    /// One block allocated at creation.
    Contiguous,
    /// Chunks indexed by a v1 B-tree.
    Chunked,
}
