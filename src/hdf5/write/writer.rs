//! The file writer: PyTables-family structures (superblock v0, v1 object headers,
//! symbol-table groups, v1 B-tree chunk indexes), crash-tolerant commit order.
//!
//! Every mutation follows one order (see `spec/` "write profile"):
//! 1. new bytes (chunks, B-tree nodes other than roots, SNODs, heap segments, global heap
//!    collections, continuation blocks, new objects) are written past the committed end of
//!    file, where no committed structure points;
//! 2. the superblock end-of-file address is updated (one 8-byte write);
//! 3. in-place pointer updates, each one positional write of a whole small structure:
//!    local heap header, B-tree root node, then object header chunk 0 (dataspace dims,
//!    layout address, attributes, continuation pointer).
//!
//! A process killed between any two writes leaves a file whose every pointer is valid, with
//! the state of the last completed step 3. The dataspace and layout of chunked datasets we
//! create live in slots packed into 4 KiB pages, so `flush` commits all of them with one
//! write per page (module `commit`). Space a commit supersedes (old index nodes, old
//! filtered chunk versions, old continuation blocks) is reused only once that commit is
//! written and has cooled (module `free_space`), so no live byte is ever overwritten with
//! different content except through step 3.
//!
//! Refused: attribute messages of 64 KiB or more, appends along a dimension other than 0,
//! writes past fixed maximum dimensions, names containing '/' or NUL.
//!
//! [`Writer::open`] (module `open`) applies the same order to files HDF5 wrote (superblock
//! v0/v1, v1 headers, symbol-table groups, v1 B-tree chunk indexes): existing headers are
//! edited message by message (`super::existing`), existing group B-trees and chunk
//! B-trees are rebuilt below their root, which is rewritten in place.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;

use super::encode::{self, msg, types, Entry, LayoutMsg, Space, UNDEF};
use super::encode110::{self as e110, Index110};
use super::existing::{Shared, V1Header};
use super::storage::{FileWriteStorage, WriteStorage};
use crate::error::{Error, Result};
use crate::hdf5::filter;
use crate::hdf5::message::datatype::{CharSet, Datatype};
use crate::hdf5::message::filter_pipeline::{FilterDescription, FilterPipeline};
use crate::limits::Limits;

fn usage(m: impl Into<String>) -> Error {
    Error::Usage(m.into())
}

/// The family of on-disk structures a new file is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// PyTables' family (HDF5 1.6 style): superblock v0, v1 object headers, symbol-table
    /// groups, v1 B-tree chunk indexes. Read by every HDF5 since 1.6.3.
    #[default]
    PyTables,
    /// HDF5 1.10 (h5py `libver='latest'`, SWMR readers): superblock v3, v2 object
    /// headers with checksums, groups as link messages, extensible-array (one unlimited
    /// dimension) or fixed-array chunk indexes. Needs HDF5 >= 1.10 to read.
    Hdf5V110,
}

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
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            profile: Profile::PyTables,
            pytables: true,
            root_title: String::new(),
            limits: Limits::default(),
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

/// Rust numbers that can be written directly (little-endian).
pub trait H5Num: Copy + 'static {
    /// The matching dataset type.
    const DTYPE: Dtype;
    /// Append the little-endian bytes of `v` to `out`.
    fn extend_le(v: &[Self], out: &mut Vec<u8>);
}

macro_rules! h5num {
    ($($t:ty => $d:ident),*) => {$(
        impl H5Num for $t {
            const DTYPE: Dtype = Dtype::$d;
            fn extend_le(v: &[Self], out: &mut Vec<u8>) {
                out.reserve(v.len() * std::mem::size_of::<$t>());
                for x in v {
                    out.extend_from_slice(&x.to_le_bytes());
                }
            }
        }
    )*};
}
h5num!(i8 => I8, i16 => I16, i32 => I32, i64 => I64, u8 => U8, u16 => U16, u32 => U32,
       u64 => U64, f32 => F32, f64 => F64);

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

/// Describes a dataset to create.
#[derive(Debug, Clone)]
pub struct DatasetBuilder {
    dtype: Datatype,
    shape: Vec<u64>,
    max: Option<Vec<Option<u64>>>,
    chunks: Option<Vec<u64>>,
    deflate: Option<u32>,
    shuffle: bool,
    fletcher32: bool,
    fill: Option<Vec<u8>>,
    compact: bool,
    class: Option<PyTablesClass>,
    title: String,
    pseudo_atom: Option<String>,
}

impl DatasetBuilder {
    /// A scalar dataset of `dtype` (set the shape with [`DatasetBuilder::shape`]).
    pub fn new(dtype: Dtype) -> Self {
        DatasetBuilder {
            dtype: dtype.datatype(),
            shape: Vec::new(),
            max: None,
            chunks: None,
            deflate: None,
            shuffle: false,
            fletcher32: false,
            fill: None,
            compact: false,
            class: None,
            title: String::new(),
            pseudo_atom: None,
        }
    }
    /// Current shape.
    pub fn shape(mut self, s: &[u64]) -> Self {
        self.shape = s.to_vec();
        self
    }
    /// Maximum shape; `None` = unlimited. Implies chunking.
    pub fn max_shape(mut self, m: &[Option<u64>]) -> Self {
        self.max = Some(m.to_vec());
        self
    }
    /// Chunk shape (implies the chunked layout).
    pub fn chunks(mut self, c: &[u64]) -> Self {
        self.chunks = Some(c.to_vec());
        self
    }
    /// Deflate (zlib) at `level` 0-9.
    pub fn deflate(mut self, level: u32) -> Self {
        self.deflate = Some(level.min(9));
        self
    }
    /// Shuffle before deflate.
    pub fn shuffle(mut self) -> Self {
        self.shuffle = true;
        self
    }
    /// Fletcher32 checksum (last filter).
    pub fn fletcher32(mut self) -> Self {
        self.fletcher32 = true;
        self
    }
    /// User fill value (raw bytes of one element, file byte order).
    pub fn fill_value(mut self, v: &[u8]) -> Self {
        self.fill = Some(v.to_vec());
        self
    }
    /// Store the data in the object header (must stay well under 64 KiB).
    pub fn compact(mut self) -> Self {
        self.compact = true;
        self
    }
    /// Tag the node with PyTables attributes of `class`.
    pub fn pytables_class(mut self, c: PyTablesClass) -> Self {
        self.class = Some(c);
        self
    }
    /// PyTables TITLE (only with [`DatasetBuilder::pytables_class`]).
    pub fn title(mut self, t: &str) -> Self {
        self.title = t.to_string();
        self
    }
    /// PyTables PSEUDOATOM of a VLArray (`vlstring`, `vlunicode`, `object`).
    pub fn pseudo_atom(mut self, a: &str) -> Self {
        self.pseudo_atom = Some(a.to_string());
        self
    }
}

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// Fixed-length UTF-8 string, NULLTERM with no NUL stored (PyTables); empty = NULL
    /// dataspace with a 1-byte string type.
    Str(String),
    /// Fixed-length ASCII string (PyTables system attributes, `bytes`).
    Ascii(String),
    /// Variable-length UTF-8 string in a global heap (h5py style).
    VlenStr(String),
    /// int64 scalar.
    I64(i64),
    /// int32 scalar.
    I32(i32),
    /// float64 scalar.
    F64(f64),
    /// Bool as a 1-byte bitfield (PyTables).
    Bool(bool),
    /// Bool as h5py's enum {FALSE, TRUE}.
    BoolEnum(bool),
    /// int64 1-D array.
    I64s(Vec<i64>),
    /// float64 1-D array.
    F64s(Vec<f64>),
    /// Any type and shape: raw element bytes in file byte order (no vlen types).
    Raw {
        /// Element type.
        dtype: Dtype,
        /// Shape (empty = scalar).
        shape: Vec<u64>,
        /// Element bytes.
        data: Vec<u8>,
    },
}

impl From<&str> for AttrValue {
    fn from(s: &str) -> Self {
        AttrValue::Str(s.to_string())
    }
}
impl From<String> for AttrValue {
    fn from(s: String) -> Self {
        AttrValue::Str(s)
    }
}
impl From<i64> for AttrValue {
    fn from(v: i64) -> Self {
        AttrValue::I64(v)
    }
}
impl From<f64> for AttrValue {
    fn from(v: f64) -> Self {
        AttrValue::F64(v)
    }
}

/// Handle of a dataset in a [`Writer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DatasetId(usize);

#[derive(Debug, Clone, Copy)]
struct ChunkRec {
    addr: u64,
    size: u32,
    mask: u32,
}

/// The chunk index of a chunked dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkIdx {
    /// v1 B-tree (layout v3): the PyTables profile, and the 1.10 profile with more than
    /// one unlimited dimension.
    BTreeV1,
    /// Fixed array (layout v4, type 3): 1.10 profile, no unlimited dimension.
    Fixed,
    /// Extensible array (layout v4, type 4): 1.10 profile, this dimension unlimited.
    Extensible(usize),
}

struct Chunked {
    chunk: Vec<u64>,
    /// The index kind; `root` is its B-tree root or array header (`UNDEF` until the
    /// first commit with a chunk).
    kind: ChunkIdx,
    root: u64,
    index: BTreeMap<Vec<u64>, ChunkRec>,
    cache: HashMap<Vec<u8>, u64>,
    /// Appended rows not yet all on disk: rows `[tail_start, logical)` (all columns).
    tail: Option<Vec<u8>>,
    tail_start: u64,
    logical: u64,
    /// Vlen rows waiting for a global heap collection.
    vlen_pending: Vec<Vec<u8>>,
    vlen_pending_bytes: usize,
    /// Dims of data stored but not yet committed (index, header): committed at `flush()`.
    /// `Ds::dims` stays the committed extent, so no other commit (an attribute, say) can
    /// publish rows the committed index does not hold.
    pending_dims: Option<Vec<u64>>,
    /// Full chunks of appended rows waiting to be filtered (compressed on all cores in
    /// batches) and written past EOF; drained before anything reads the index.
    queue: Vec<(Vec<u64>, Vec<u8>)>,
    queue_bytes: usize,
    /// The chunk point writes are filling (origin, bytes, its index record when loaded): kept
    /// in memory between writes and stored when another chunk is touched or at any
    /// `drain_queue` (flush, commit, appends), so a scan does not read back and rewrite the
    /// same chunk for each of its points.
    hot: Option<HotChunk>,
}

struct HotChunk {
    origin: Vec<u64>,
    bytes: Vec<u8>,
    existing: Option<ChunkRec>,
}

/// Largest chunk kept in memory by point writes.
const HOT_CHUNK_MAX: usize = 8 << 20;

enum Store {
    Compact(Vec<u8>),
    Contiguous { addr: u64, size: u64 },
    Chunked(Box<Chunked>),
}

struct Ds {
    dt: Datatype,
    dt_body: Vec<u8>,
    elem: usize,
    dims: Vec<u64>,
    max: Vec<u64>,
    has_max: bool,
    fill: Vec<u8>,
    user_fill: bool,
    pipeline: Option<FilterPipeline>,
    /// Filters skipped on every chunk we write (filter-mask bits): a shuffle HDF5 stored
    /// without client data cannot run, as PyTables' own chunks record.
    enc_mask: u32,
    /// Why the data of this dataset of an opened file cannot be written (its attributes
    /// still can).
    refuse: Option<String>,
    /// The Rust number type last found to match `dt`, so typed calls (one value per call
    /// for a logger) skip building and comparing a datatype.
    num_type: Option<std::any::TypeId>,
    store: Store,
}

impl Ds {
    /// The extent including stored-but-uncommitted data.
    fn cur_dims(&self) -> Vec<u64> {
        match &self.store {
            Store::Chunked(c) => c.pending_dims.clone().unwrap_or_else(|| self.dims.clone()),
            _ => self.dims.clone(),
        }
    }
}

struct Grp {
    btree: u64,
    heap: u64,
    seg_addr: u64,
    seg_cap: u64,
    heap_data: Vec<u8>,
    entries: BTreeMap<Vec<u8>, Entry>,
    cache: HashMap<Vec<u8>, u64>,
    /// Why members cannot be added or reached (a new-style group of an opened file).
    refuse: Option<String>,
    /// Links are Link messages in the group's own (v2) header (1.10 profile); `btree`,
    /// `heap` and the heap fields are unused.
    compact: bool,
}

enum Kind {
    Group(Grp),
    Dataset(Box<Ds>),
}

struct Obj {
    path: String,
    addr: u64,
    cap0: usize,
    cont: Option<(u64, Vec<u8>)>,
    attrs: Vec<(String, Vec<u8>)>,
    kind: Kind,
    /// Header of an object found in an opened file: edited message by message.
    ext: Option<V1Header>,
    /// Header version and dense attribute/link storage (`dense`).
    dense: dense::Dense,
}

/// Writes an HDF5 file in the PyTables structure family.
pub struct Writer {
    st: Box<dyn WriteStorage>,
    /// Allocation pointer (first free byte).
    eof: u64,
    /// EOF address stored in the superblock.
    committed_eof: u64,
    /// Physical end of what has been written.
    written_end: u64,
    objs: Vec<Obj>,
    paths: HashMap<String, usize>,
    failed: bool,
    limits: Limits,
    pytables: bool,
    /// Superblock offset of the end-of-file address (40 in v0, 44 in v1).
    eof_field: u64,
    /// 1.10 profile: superblock v3 (rewritten whole, with its checksum, to publish the
    /// EOF), v2 object headers, link-message groups, array chunk indexes.
    v110: bool,
    /// Root group object header address (in the v3 superblock).
    root_addr: u64,
    /// Read access for loading objects of an opened file.
    shared: Option<Shared>,
    /// Object index by header address (hard links reach one object by several paths).
    by_addr: HashMap<u64, usize>,
    /// Reused buffer for the bytes of typed calls (`append`, `write_slice`).
    scratch: Vec<u8>,
    /// Commit pages (module `commit`).
    commit: commit::CommitState,
    /// Freed space (module `free_space`).
    free: free_space::FreeSpace,
}

/// Chunk-0 room left for attributes after the fixed messages.
const ATTR_SLACK: usize = 512;
/// Vlen rows are gathered into one collection up to this many bytes.
const VLEN_BATCH_BYTES: usize = 1 << 16;
const VLEN_BATCH_ROWS: usize = 4096;

fn split_path(path: &str) -> Result<(String, String)> {
    let p = path.trim_end_matches('/');
    if !p.starts_with('/') || p.len() < 2 {
        return Err(usage(format!(
            "{path:?}: expected an absolute path like /a/b"
        )));
    }
    let (parent, name) = p.rsplit_once('/').unwrap_or(("", p));
    if name.is_empty() || name == "." || name.contains('\0') {
        return Err(usage(format!("{path:?}: bad name")));
    }
    let parent = if parent.is_empty() { "/" } else { parent };
    Ok((parent.to_string(), name.to_string()))
}

fn product(d: &[u64]) -> Result<u64> {
    d.iter()
        .try_fold(1u64, |a, x| a.checked_mul(*x))
        .ok_or_else(|| usage("size overflows"))
}

fn to_usize(n: u64) -> Result<usize> {
    usize::try_from(n).map_err(|_| usage("size does not fit in memory"))
}

/// Copy the elements of global box `region` (start/count per dim) from `src` (a dense
/// array covering global box `src_box`) into `dst` (dense, covering `dst_box`).
fn copy_box(
    src: &[u8],
    src_box: &[Range<u64>],
    dst: &mut [u8],
    dst_box: &[Range<u64>],
    region: &[Range<u64>],
    elem: usize,
) -> Result<()> {
    let rank = region.len();
    if rank == 0 {
        let n = elem.min(src.len()).min(dst.len());
        dst[..n].copy_from_slice(&src[..n]);
        return Ok(());
    }
    if region.iter().any(|r| r.start >= r.end) {
        return Ok(());
    }
    let strides = |b: &[Range<u64>]| -> Vec<u64> {
        let mut s = vec![1u64; rank];
        for d in (0..rank.saturating_sub(1)).rev() {
            s[d] = s[d + 1] * (b[d + 1].end - b[d + 1].start);
        }
        s
    };
    let ss = strides(src_box);
    let ds = strides(dst_box);
    let run = to_usize(region[rank - 1].end - region[rank - 1].start)? * elem;
    let mut idx: Vec<u64> = region.iter().map(|r| r.start).collect();
    loop {
        let mut so = 0u64;
        let mut dof = 0u64;
        for d in 0..rank {
            so += (idx[d] - src_box[d].start) * ss[d];
            dof += (idx[d] - dst_box[d].start) * ds[d];
        }
        let so = to_usize(so)? * elem;
        let dof = to_usize(dof)? * elem;
        let s = src
            .get(so..so + run)
            .ok_or_else(|| usage("source buffer too short"))?;
        let t = dst
            .get_mut(dof..dof + run)
            .ok_or_else(|| usage("destination buffer too short"))?;
        t.copy_from_slice(s);
        // Next row: increment dims rank-2 .. 0.
        let mut d = rank - 1;
        loop {
            if d == 0 {
                return Ok(());
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < region[d].end {
                break;
            }
            idx[d] = region[d].start;
        }
    }
}

impl Writer {
    /// Create (truncate) `path` and write an empty file (root group).
    pub fn create(path: impl AsRef<Path>, opts: WriteOptions) -> Result<Writer> {
        // The empty file (superblock and root group) is written under a temporary name
        // beside `path` and renamed into place: a process killed at any moment leaves
        // either no file (or the old one) or a file that opens, never an empty or
        // half-written superblock. The open descriptor follows the rename.
        let path = path.as_ref();
        let name = path
            .file_name()
            .map_or_else(|| std::ffi::OsString::from("new.h5"), |n| n.to_os_string());
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(&name);
        tmp_name.push(format!(".{}.creating", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        let made = FileWriteStorage::create(&tmp)
            .map_err(Error::from)
            .and_then(|st| Self::with_storage(Box::new(st), opts))
            .and_then(|w| {
                std::fs::rename(&tmp, path)?;
                Ok(w)
            });
        if made.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        made
    }

    /// Write a new file into `st` (which should be empty).
    pub fn with_storage(st: Box<dyn WriteStorage>, opts: WriteOptions) -> Result<Writer> {
        let v110 = opts.profile == Profile::Hdf5V110;
        let mut w = Writer {
            st,
            eof: if v110 {
                e110::SUPERBLOCK_V3_SIZE
            } else {
                encode::SUPERBLOCK_SIZE
            },
            committed_eof: 0,
            written_end: 0,
            objs: Vec::new(),
            paths: HashMap::new(),
            failed: false,
            limits: opts.limits,
            pytables: opts.pytables,
            eof_field: encode::EOF_FIELD,
            v110,
            root_addr: UNDEF,
            shared: None,
            by_addr: HashMap::new(),
            scratch: Vec::new(),
            commit: Default::default(),
            free: Default::default(),
        };
        w.st.set_len(0)?;
        let mut attrs = Vec::new();
        if w.pytables {
            attrs.push(("CLASS", AttrValue::Ascii("GROUP".into())));
            attrs.push(("PYTABLES_FORMAT_VERSION", AttrValue::Ascii("2.1".into())));
            attrs.push(("TITLE", AttrValue::Str(opts.root_title.clone())));
            attrs.push(("VERSION", AttrValue::Ascii("1.0".into())));
        }
        let idx = w.new_group_object("/".into(), &attrs)?;
        let sb = if v110 {
            w.root_addr = w.objs[idx].addr;
            e110::encode_superblock_v3(w.eof, w.root_addr)
        } else {
            let root = w.group_entry(idx, 0)?;
            encode::encode_superblock(w.eof, &root)
        };
        w.put(0, &sb)?;
        w.ensure_len()?;
        w.committed_eof = w.eof;
        Ok(w)
    }

    // ---- low-level I/O -------------------------------------------------------------

    fn check(&self) -> Result<()> {
        if self.failed {
            return Err(usage(
                "an earlier storage error stopped this writer; the file holds its last \
                 committed state",
            ));
        }
        Ok(())
    }

    fn put(&mut self, at: u64, data: &[u8]) -> Result<()> {
        if let Err(e) = self.st.write_at(at, data) {
            self.failed = true;
            return Err(e.into());
        }
        self.written_end = self.written_end.max(at + data.len() as u64);
        self.commit.wrote = true;
        Ok(())
    }

    fn alloc(&mut self, n: usize) -> u64 {
        let n8 = encode::pad8(n) as u64;
        if let Some(a) = self.free.take(n8) {
            return a;
        }
        let a = self.eof;
        self.eof = self.eof.saturating_add(encode::pad8(n) as u64);
        a
    }

    fn alloc_write(&mut self, data: &[u8]) -> Result<u64> {
        let a = self.alloc(data.len());
        self.put(a, data)?;
        Ok(a)
    }

    fn ensure_len(&mut self) -> Result<()> {
        if self.written_end < self.eof {
            if let Err(e) = self.st.set_len(self.eof) {
                self.failed = true;
                return Err(e.into());
            }
            self.written_end = self.eof;
        }
        Ok(())
    }

    /// Step 2 of the commit order: the superblock EOF address covers all new space.
    fn publish_eof(&mut self) -> Result<()> {
        if self.eof != self.committed_eof {
            self.ensure_len()?;
            if self.v110 {
                // The whole checksummed superblock, one positional write.
                let sb = e110::encode_superblock_v3(self.eof, self.root_addr);
                self.put(0, &sb)?;
            } else {
                let e = self.eof.to_le_bytes();
                self.put(self.eof_field, &e)?;
            }
            self.committed_eof = self.eof;
        }
        Ok(())
    }

    fn read(&self, at: u64, n: usize) -> Result<Vec<u8>> {
        let mut b = vec![0u8; n];
        self.st.read_at(at, &mut b)?;
        Ok(b)
    }

    // ---- object headers ------------------------------------------------------------

    fn essentials(&self, idx: usize) -> Result<Vec<(u16, Vec<u8>)>> {
        let o = &self.objs[idx];
        let mut ess = match &o.kind {
            Kind::Group(g) if g.compact => vec![
                (e110::msg::LINK_INFO, dense::info_body(o.dense.links)),
                (e110::msg::GROUP_INFO, e110::encode_group_info()),
            ],
            Kind::Group(g) => vec![(
                msg::SYMBOL_TABLE,
                encode::encode_symbol_table(g.btree, g.heap),
            )],
            Kind::Dataset(d) => {
                let mut v = Vec::new();
                let space = if d.dims.is_empty() {
                    Space::Scalar
                } else {
                    Space::Simple {
                        dims: d.dims.clone(),
                        max: d.has_max.then(|| d.max.clone()),
                    }
                };
                v.push((msg::DATASPACE, encode::encode_dataspace(&space)?));
                let mut dt = d.dt_body.clone();
                dt.resize(encode::pad8(dt.len()), 0);
                v.push((msg::DATATYPE, dt));
                let chunked = matches!(d.store, Store::Chunked(_));
                v.push((msg::FILL, encode::encode_fill_v2(chunked, &d.fill)?));
                if d.user_fill {
                    v.push((msg::FILL_OLD, encode::encode_fill_old(&d.fill)?));
                }
                let mut cdims;
                let lm = match &d.store {
                    Store::Compact(b) => LayoutMsg::Compact(b),
                    Store::Contiguous { addr, size } => LayoutMsg::Contiguous {
                        addr: *addr,
                        size: *size,
                    },
                    Store::Chunked(c) => {
                        cdims = c.chunk.clone();
                        cdims.push(d.elem as u64);
                        let v4 = match c.kind {
                            ChunkIdx::BTreeV1 => None,
                            ChunkIdx::Fixed => Some(Index110::Fixed),
                            ChunkIdx::Extensible(_) => Some(Index110::Extensible),
                        };
                        if let Some(ix) = v4 {
                            v.push((msg::LAYOUT, e110::encode_layout_v4(ix, c.root, &cdims)?));
                        }
                        LayoutMsg::Chunked {
                            btree: c.root,
                            dims: &cdims,
                        }
                    }
                };
                if !v.iter().any(|(t, _)| *t == msg::LAYOUT) {
                    v.push((msg::LAYOUT, encode::encode_layout(&lm)?));
                }
                if let Some(p) = &d.pipeline {
                    v.push((msg::PIPELINE, encode::encode_pipeline(p)?));
                }
                v
            }
        };
        if self.v110 || o.dense.v2 {
            ess.push((e110::msg::ATTR_INFO, dense::info_body(o.dense.attrs)));
        }
        Ok(ess)
    }

    /// Lay out the header; new continuation blocks are written at new space. Returns the
    /// chunk-0 bytes (prefix included) for the in-place step.
    fn header_bytes(&mut self, idx: usize) -> Result<(u64, Vec<u8>)> {
        if self.objs[idx].ext.is_some() {
            return self.ext_header_bytes(idx);
        }
        self.prepare_dense(idx)?;
        if self.v110 || self.objs[idx].dense.v2 {
            return self.header_bytes_v2(idx);
        }
        let mut ess = self.essentials(idx)?;
        let in_slot = self.slot_split(idx, &mut ess);
        let o = &self.objs[idx];
        let cap0 = o.cap0;
        let msgs: Vec<(u16, &[u8])> = ess
            .iter()
            .map(|(t, b)| (*t, b.as_slice()))
            .chain(o.attrs.iter().map(|(_, b)| (msg::ATTRIBUTE, b.as_slice())))
            .collect();
        let total: usize = msgs.iter().map(|(_, b)| 8 + b.len()).sum();
        let mut c0 = Vec::with_capacity(cap0);
        let mut over = Vec::new();
        let mut n: usize = in_slot;
        if total <= cap0 {
            for (t, b) in &msgs {
                encode::push_message(&mut c0, *t, b);
                n += 1;
            }
        } else {
            let room = cap0 - 24;
            for (i, (t, b)) in msgs.iter().enumerate() {
                if i < ess.len() || (over.is_empty() && c0.len() + 8 + b.len() <= room) {
                    encode::push_message(&mut c0, *t, b);
                } else {
                    encode::push_message(&mut over, *t, b);
                }
                n += 1;
            }
            if c0.len() > room {
                return Err(usage(format!("{}: object header chunk overflow", o.path)));
            }
        }
        let cont = if over.is_empty() {
            None
        } else {
            match &o.cont {
                Some((a, content)) if *content == over => Some((*a, over)),
                _ => {
                    let a = self.alloc_write(&over)?;
                    if let Some((old, content)) = &self.objs[idx].cont {
                        let (old, n) = (*old, content.len() as u64);
                        self.free.release(!idx, old, n);
                    }
                    Some((a, over))
                }
            }
        };
        if let Some((a, content)) = &cont {
            encode::push_message(
                &mut c0,
                msg::CONTINUATION,
                &encode::encode_continuation(*a, content.len() as u64),
            );
            n += 1;
        }
        if c0.len() < cap0 {
            let gap = cap0 - c0.len();
            encode::push_message(&mut c0, msg::NIL, &vec![0u8; gap - 8]);
            n += 1;
        }
        let o = &mut self.objs[idx];
        o.cont = cont;
        let nm = u16::try_from(n).map_err(|_| usage("too many header messages"))?;
        let mut out = encode::encode_header_prefix(nm, cap0 as u32).to_vec();
        out.extend_from_slice(&c0);
        Ok((o.addr, out))
    }

    /// The v2 header (1.10 profile): chunk 0 of `cap0` message bytes holds the fixed
    /// messages, then links and attributes while they fit (24 bytes kept for a
    /// continuation message), the rest goes to one `OCHK` block written afresh when it
    /// changes; unused space is NIL messages (or a gap under 4 bytes).
    fn header_bytes_v2(&mut self, idx: usize) -> Result<(u64, Vec<u8>)> {
        let mut ess = self.essentials(idx)?;
        self.slot_split(idx, &mut ess);
        let o = &self.objs[idx];
        let links: Vec<Vec<u8>> = match &o.kind {
            Kind::Group(g) if g.compact && o.dense.links.is_none() => g
                .entries
                .iter()
                .map(|(k, e)| e110::encode_link(k, e.header))
                .collect::<Result<_>>()?,
            _ => Vec::new(),
        };
        let cap0 = o.cap0;
        let msgs: Vec<(u16, &[u8])> = ess
            .iter()
            .map(|(t, b)| (*t, b.as_slice()))
            .chain(links.iter().map(|b| (e110::msg::LINK, b.as_slice())))
            .chain(
                o.attrs
                    .iter()
                    .filter(|_| o.dense.attrs.is_none())
                    .map(|(_, b)| (msg::ATTRIBUTE, b.as_slice())),
            )
            .collect();
        let size = |b: &[u8]| e110::MSG_HEADER_V2 + b.len();
        let total: usize = msgs.iter().map(|(_, b)| size(b)).sum();
        let mut c0 = Vec::with_capacity(cap0);
        let mut over = Vec::new();
        if total <= cap0 {
            for (t, b) in &msgs {
                e110::push_message_v2(&mut c0, *t, b)?;
            }
        } else {
            let room = cap0.saturating_sub(e110::MSG_HEADER_V2 + 16);
            for (i, (t, b)) in msgs.iter().enumerate() {
                if i < ess.len() || (over.is_empty() && c0.len() + size(b) <= room) {
                    e110::push_message_v2(&mut c0, *t, b)?;
                } else {
                    e110::push_message_v2(&mut over, *t, b)?;
                }
            }
            if c0.len() > room {
                return Err(usage(format!("{}: object header chunk overflow", o.path)));
            }
        }
        let cont = if over.is_empty() {
            None
        } else {
            match &o.cont {
                Some((a, content)) if *content == over => Some((*a, over)),
                _ => {
                    let a = self.alloc_write(&e110::encode_ochk(&over))?;
                    if let Some((old, content)) = &self.objs[idx].cont {
                        // OCHK: signature and checksum around the messages.
                        let (old, n) = (*old, content.len() as u64 + 8);
                        self.free.release(!idx, old, n);
                    }
                    Some((a, over))
                }
            }
        };
        if let Some((a, content)) = &cont {
            let len = content.len() as u64 + 8;
            e110::push_message_v2(
                &mut c0,
                msg::CONTINUATION,
                &encode::encode_continuation(*a, len),
            )?;
        }
        e110::fill_nil_v2(&mut c0, cap0);
        let o = &mut self.objs[idx];
        o.cont = cont;
        Ok((o.addr, e110::encode_ohdr(&c0)?))
    }

    /// Rewrite an object's header following the commit order.
    fn commit_header(&mut self, idx: usize) -> Result<()> {
        let (addr, bytes) = self.header_bytes(idx)?;
        self.publish_eof()?;
        self.put(addr, &bytes)?;
        // The continuation block it replaced (released under `!idx`) is unreferenced now.
        self.free.stage(!idx);
        self.after_commit();
        Ok(())
    }

    fn attr_body(&mut self, name: &str, v: &AttrValue) -> Result<Vec<u8>> {
        let (dt, space, data) = match v {
            AttrValue::Str(s) | AttrValue::Ascii(s) => {
                let cs = if matches!(v, AttrValue::Str(_)) {
                    CharSet::Utf8
                } else {
                    CharSet::Ascii
                };
                if s.is_empty() {
                    (types::fixed_str(1, cs), Space::Null, Vec::new())
                } else {
                    let n = u32::try_from(s.len()).map_err(|_| usage("string too long"))?;
                    (
                        types::fixed_str(n, cs),
                        Space::Scalar,
                        s.as_bytes().to_vec(),
                    )
                }
            }
            AttrValue::VlenStr(s) => {
                if s.len() > encode::MAX_MESSAGE * 1024 {
                    return Err(usage("vlen string attribute too long"));
                }
                let gcol = encode::encode_global_heap(&[s.as_bytes()]);
                let a = self.alloc_write(&gcol)?;
                let mut d = (s.len() as u32).to_le_bytes().to_vec();
                d.extend_from_slice(&a.to_le_bytes());
                d.extend_from_slice(&1u32.to_le_bytes());
                (types::vlen_str(), Space::Scalar, d)
            }
            AttrValue::I64(x) => (types::int(8, true), Space::Scalar, x.to_le_bytes().to_vec()),
            AttrValue::I32(x) => (types::int(4, true), Space::Scalar, x.to_le_bytes().to_vec()),
            AttrValue::F64(x) => (types::float(8), Space::Scalar, x.to_le_bytes().to_vec()),
            AttrValue::Bool(b) => (types::bitfield8(), Space::Scalar, vec![u8::from(*b)]),
            AttrValue::BoolEnum(b) => (types::bool_enum(), Space::Scalar, vec![u8::from(*b)]),
            AttrValue::I64s(x) => {
                let mut d = Vec::new();
                i64::extend_le(x, &mut d);
                let sp = Space::Simple {
                    dims: vec![x.len() as u64],
                    max: None,
                };
                (types::int(8, true), sp, d)
            }
            AttrValue::F64s(x) => {
                let mut d = Vec::new();
                f64::extend_le(x, &mut d);
                let sp = Space::Simple {
                    dims: vec![x.len() as u64],
                    max: None,
                };
                (types::float(8), sp, d)
            }
            AttrValue::Raw { dtype, shape, data } => {
                let dt = dtype.datatype();
                if dt.is_variable_length() {
                    return Err(usage("Raw attributes cannot hold variable-length types"));
                }
                let want = product(shape)?.checked_mul(dt.size());
                if want != Some(data.len() as u64) {
                    return Err(usage(format!(
                        "attribute {name:?}: {} data bytes for shape {shape:?}",
                        data.len()
                    )));
                }
                let sp = if shape.is_empty() {
                    Space::Scalar
                } else {
                    Space::Simple {
                        dims: shape.clone(),
                        max: None,
                    }
                };
                (dt, sp, data.clone())
            }
        };
        let dtb = encode::encode_datatype(&dt)?;
        let spb = encode::encode_dataspace(&space)?;
        encode::encode_attribute(name, &dtb, &spb, &data)
    }

    // ---- groups --------------------------------------------------------------------

    fn new_group_object(&mut self, path: String, attrs: &[(&str, AttrValue)]) -> Result<usize> {
        if self.v110 {
            let g = Grp {
                btree: UNDEF,
                heap: UNDEF,
                seg_addr: UNDEF,
                seg_cap: 0,
                heap_data: Vec::new(),
                entries: BTreeMap::new(),
                cache: HashMap::new(),
                refuse: None,
                compact: true,
            };
            return self.new_object(path, Kind::Group(g), attrs);
        }
        // Local heap: header + data segment holding the empty string at offset 0.
        let seg_cap = 256u64;
        let heap_data = vec![0u8; 8];
        let heap = self.alloc(32);
        let seg_addr = self.alloc(seg_cap as usize);
        let mut hb = encode::encode_local_heap(heap_data.len() as u64, seg_addr);
        hb.resize(32, 0);
        self.put(heap, &hb)?;
        let mut seg = heap_data.clone();
        seg.resize(seg_cap as usize, 0);
        self.put(seg_addr, &seg)?;
        let bsize = encode::btree_node_size(8, encode::GROUP_INTERNAL_K);
        let root = encode::encode_btree_node(
            0,
            0,
            &[0u64.to_le_bytes().to_vec()],
            &[],
            8,
            encode::GROUP_INTERNAL_K,
        );
        let btree = self.alloc(bsize);
        self.put(btree, &root)?;
        let g = Grp {
            btree,
            heap,
            seg_addr,
            seg_cap,
            heap_data,
            entries: BTreeMap::new(),
            cache: HashMap::new(),
            refuse: None,
            compact: false,
        };
        self.new_object(path, Kind::Group(g), attrs)
    }

    fn new_object(
        &mut self,
        path: String,
        kind: Kind,
        attrs: &[(&str, AttrValue)],
    ) -> Result<usize> {
        let idx = self.objs.len();
        self.objs.push(Obj {
            path: path.clone(),
            addr: UNDEF,
            cap0: 0,
            cont: None,
            attrs: Vec::new(),
            kind,
            ext: None,
            dense: dense::Dense {
                v2: self.v110,
                ..Default::default()
            },
        });
        let mut bodies = Vec::new();
        for (n, v) in attrs {
            bodies.push((n.to_string(), self.attr_body(n, v)?));
        }
        let mh = if self.v110 { e110::MSG_HEADER_V2 } else { 8 };
        let ess: usize = self
            .essentials(idx)?
            .iter()
            .map(|(_, b)| mh + b.len())
            .sum();
        let attr_len: usize = bodies
            .iter()
            .filter(|(_, b)| !Self::attr_is_big(b))
            .map(|(_, b)| mh + b.len())
            .sum();
        let cap0 = encode::pad8(ess + 24 + attr_len.max(ATTR_SLACK));
        let addr = if self.v110 {
            self.alloc(e110::OHDR_PREFIX + cap0 + 4)
        } else {
            self.alloc(16 + cap0)
        };
        let o = &mut self.objs[idx];
        o.addr = addr;
        o.cap0 = cap0;
        o.attrs = bodies;
        if self.wants_slot(idx) {
            self.alloc_slot(idx)?;
        }
        let (a, bytes) = self.header_bytes(idx)?;
        self.put(a, &bytes)?;
        self.paths.insert(path, idx);
        Ok(idx)
    }

    fn group_entry(&self, idx: usize, name_off: u64) -> Result<Entry> {
        let o = &self.objs[idx];
        let mut scratch = [0u8; 16];
        let cache = match &o.kind {
            Kind::Group(g) => {
                scratch[..8].copy_from_slice(&g.btree.to_le_bytes());
                scratch[8..].copy_from_slice(&g.heap.to_le_bytes());
                1
            }
            Kind::Dataset(_) => 0,
        };
        Ok(Entry {
            name_off,
            header: o.addr,
            cache,
            scratch,
        })
    }

    fn group_idx(&self, path: &str) -> Result<usize> {
        let p = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        match self.paths.get(p) {
            Some(&i) if matches!(self.objs[i].kind, Kind::Group(_)) => Ok(i),
            Some(_) => Err(usage(format!("{path}: not a group"))),
            None => Err(usage(format!("{path}: no such group"))),
        }
    }

    /// Link `child` (an object index) as `name` in group `gidx`, commit order included.
    fn link(&mut self, gidx: usize, name: &str, child: usize) -> Result<()> {
        let key = name.as_bytes().to_vec();
        let Kind::Group(g) = &self.objs[gidx].kind else {
            return Err(usage("not a group"));
        };
        if let Some(why) = &g.refuse {
            return Err(Error::unsupported(why.clone(), Some(self.objs[gidx].addr)));
        }
        if g.entries.contains_key(&key) {
            return Err(usage(format!("{name:?} already exists")));
        }
        if g.compact {
            let header = self.objs[child].addr;
            e110::encode_link(&key, header)?; // refuse before anything changes
            self.ext_add_link(gidx, &key, header)?;
            let entry = Entry {
                name_off: 0,
                header,
                cache: 0,
                scratch: [0; 16],
            };
            if let Kind::Group(g) = &mut self.objs[gidx].kind {
                g.entries.insert(key.clone(), entry);
            }
            let r = self.commit_header(gidx);
            if r.is_err() {
                if let Kind::Group(g) = &mut self.objs[gidx].kind {
                    g.entries.remove(&key);
                }
            }
            return r;
        }
        // Name into the heap: in place past the declared size, or a new bigger segment.
        let mut nb = key.clone();
        nb.push(0);
        nb.resize(encode::pad8(nb.len()), 0);
        let (used, seg_addr, seg_cap) = (g.heap_data.len() as u64, g.seg_addr, g.seg_cap);
        let need = used + nb.len() as u64;
        let (new_addr, new_cap) = if need <= seg_cap {
            self.put(seg_addr + used, &nb)?;
            (seg_addr, seg_cap)
        } else {
            let cap = need.max(seg_cap.saturating_mul(2));
            let mut seg = match &self.objs[gidx].kind {
                Kind::Group(g) => g.heap_data.clone(),
                _ => return Err(usage("not a group")),
            };
            seg.extend_from_slice(&nb);
            seg.resize(to_usize(cap)?, 0);
            (self.alloc_write(&seg)?, cap)
        };
        let entry = self.group_entry(child, used)?;
        let Kind::Group(g) = &mut self.objs[gidx].kind else {
            return Err(usage("not a group"));
        };
        g.heap_data.extend_from_slice(&nb);
        g.seg_addr = new_addr;
        g.seg_cap = new_cap;
        g.entries.insert(key, entry);
        self.commit_group(gidx)
    }

    /// Write SNODs and non-root B-tree nodes at new space, then heap header and root.
    fn commit_group(&mut self, gidx: usize) -> Result<()> {
        let Kind::Group(g) = &mut self.objs[gidx].kind else {
            return Err(usage("not a group"));
        };
        let entries: Vec<Entry> = g.entries.values().copied().collect();
        let mut cache = std::mem::take(&mut g.cache);
        let (heap, btree, seg_addr, used) = (g.heap, g.btree, g.seg_addr, g.heap_data.len() as u64);
        let mut level: Vec<(Vec<u8>, Vec<u8>, u64)> = Vec::new();
        let mut lo = 0u64;
        for snod in entries.chunks(2 * encode::GROUP_LEAF_K) {
            let bytes = encode::encode_snod(snod);
            let a = self.cached_write(&mut cache, bytes)?;
            let hi = snod.last().map(|e| e.name_off).unwrap_or(0);
            level.push((lo.to_le_bytes().to_vec(), hi.to_le_bytes().to_vec(), a));
            lo = hi;
        }
        let root = self.build_tree(&mut cache, 0, level, 8, encode::GROUP_INTERNAL_K)?;
        if let Kind::Group(g) = &mut self.objs[gidx].kind {
            g.cache = cache;
        }
        self.publish_eof()?;
        self.put(heap, &encode::encode_local_heap(used, seg_addr))?;
        self.put(btree, &root)
    }

    fn cached_write(&mut self, cache: &mut HashMap<Vec<u8>, u64>, bytes: Vec<u8>) -> Result<u64> {
        let a = match cache.get(&bytes) {
            Some(a) => *a,
            None => {
                let a = self.alloc_write(&bytes)?;
                cache.insert(bytes, a);
                a
            }
        };
        if let Some(t) = &mut self.commit.touched {
            t.push(a);
        }
        Ok(a)
    }

    /// Build a v1 B-tree over `level` (lo key, hi key, child) entries; non-root nodes are
    /// written (or reused); returns the root node bytes.
    fn build_tree(
        &mut self,
        cache: &mut HashMap<Vec<u8>, u64>,
        node_type: u8,
        mut level: Vec<(Vec<u8>, Vec<u8>, u64)>,
        key_size: usize,
        k: usize,
    ) -> Result<Vec<u8>> {
        let mut depth = 0u8;
        loop {
            if level.len() <= 2 * k {
                let mut keys = Vec::with_capacity(level.len() + 1);
                match level.first() {
                    Some(f) => keys.push(f.0.clone()),
                    None => keys.push(vec![0u8; key_size]),
                }
                keys.extend(level.iter().map(|e| e.1.clone()));
                let children: Vec<u64> = level.iter().map(|e| e.2).collect();
                return Ok(encode::encode_btree_node(
                    node_type, depth, &keys, &children, key_size, k,
                ));
            }
            let mut next = Vec::new();
            for node in level.chunks(2 * k) {
                let mut keys = vec![node[0].0.clone()];
                keys.extend(node.iter().map(|e| e.1.clone()));
                let children: Vec<u64> = node.iter().map(|e| e.2).collect();
                let bytes =
                    encode::encode_btree_node(node_type, depth, &keys, &children, key_size, k);
                let a = self.cached_write(cache, bytes)?;
                let lo = node[0].0.clone();
                let hi = node[node.len() - 1].1.clone();
                next.push((lo, hi, a));
            }
            level = next;
            depth = depth
                .checked_add(1)
                .ok_or_else(|| usage("B-tree too deep"))?;
        }
    }

    /// Create a group at `path` (its parent must exist).
    pub fn create_group(&mut self, path: &str) -> Result<()> {
        self.create_group_titled(path, "")
    }

    /// Create a group with a PyTables TITLE.
    pub fn create_group_titled(&mut self, path: &str, title: &str) -> Result<()> {
        self.check()?;
        let (parent, name) = split_path(path)?;
        self.resolve(&parent)?;
        let pidx = self.group_idx(&parent)?;
        let full = crate::hdf5::read::file::join_path(&parent, &name);
        self.check_new_member(pidx, &name)?;
        if self.paths.contains_key(&full) {
            return Err(usage(format!("{full} already exists")));
        }
        let mut attrs = Vec::new();
        if self.pytables {
            attrs.push(("CLASS", AttrValue::Ascii("GROUP".into())));
            attrs.push(("TITLE", AttrValue::Str(title.into())));
            attrs.push(("VERSION", AttrValue::Ascii("1.0".into())));
        }
        let idx = self.new_group_object(full, &attrs)?;
        self.link(pidx, &name, idx)
    }

    // ---- attributes ----------------------------------------------------------------

    /// Set (add or replace) attribute `name` on the object at `path`.
    pub fn set_attr(&mut self, path: &str, name: &str, v: impl Into<AttrValue>) -> Result<()> {
        self.set_attrs(path, &[(name, v.into())])
    }

    /// Set several attributes of one object, rewriting its header once (each
    /// [`Writer::set_attr`] commits the header on its own).
    pub fn set_attrs(&mut self, path: &str, attrs: &[(&str, AttrValue)]) -> Result<()> {
        self.check()?;
        let p = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        let idx = self.resolve(p)?;
        let mut bodies = Vec::with_capacity(attrs.len());
        for (name, v) in attrs {
            bodies.push((*name, self.attr_body(name, v)?));
        }
        self.ext_attr_check(idx)?;
        let o = &mut self.objs[idx];
        if let Some(h) = &mut o.ext {
            // Existing header: the old message becomes NIL, the new one takes NIL space
            // (or a new continuation chunk); other messages stay where they are. On
            // refusal the header is left as it was.
            let before = h.clone();
            for (name, body) in bodies {
                h.remove_attribute(name);
                if let Err(e) = h.add(msg::ATTRIBUTE, body) {
                    *h = before;
                    return Err(e);
                }
            }
            return self.commit_header(idx);
        }
        let before = o.attrs.clone();
        for (name, _) in &bodies {
            o.dense.huge.remove(*name);
        }
        for (name, body) in bodies {
            match o.attrs.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = body,
                None => o.attrs.push((name.to_string(), body)),
            }
        }
        let r = self.commit_header(idx);
        if r.is_err() {
            self.objs[idx].attrs = before;
        }
        r
    }

    // ---- datasets ------------------------------------------------------------------

    /// Create a dataset at `path` (parent group must exist).
    pub fn create_dataset(&mut self, path: &str, b: DatasetBuilder) -> Result<DatasetId> {
        self.check()?;
        let (parent, name) = split_path(path)?;
        self.resolve(&parent)?;
        let pidx = self.group_idx(&parent)?;
        let full = crate::hdf5::read::file::join_path(&parent, &name);
        self.check_new_member(pidx, &name)?;
        if self.paths.contains_key(&full) {
            return Err(usage(format!("{full} already exists")));
        }
        let dt = b.dtype.clone();
        let elem = to_usize(dt.size())?;
        if elem == 0 {
            return Err(usage("element size 0"));
        }
        let dt_body = encode::encode_datatype(&dt)?;
        let rank = b.shape.len();
        let max: Vec<u64> = match &b.max {
            Some(m) if m.len() != rank => return Err(usage("max_shape rank differs from shape")),
            Some(m) => m.iter().map(|x| x.unwrap_or(UNDEF)).collect(),
            None => b.shape.clone(),
        };
        for (d, m) in b.shape.iter().zip(&max) {
            if *m != UNDEF && d > m {
                return Err(usage("shape exceeds max_shape"));
            }
        }
        let fill = match &b.fill {
            Some(f) if f.len() != elem => return Err(usage("fill value size != element size")),
            Some(f) => f.clone(),
            None => vec![0u8; elem],
        };
        let mut filters = Vec::new();
        if b.shuffle {
            filters.push(FilterDescription {
                id: 2,
                name: None,
                flags: 1,
                client_data: vec![elem as u32],
            });
        }
        if let Some(l) = b.deflate {
            filters.push(FilterDescription {
                id: 1,
                name: None,
                flags: 1,
                client_data: vec![l],
            });
        }
        if b.fletcher32 {
            filters.push(FilterDescription {
                id: 3,
                name: None,
                flags: 0,
                client_data: vec![],
            });
        }
        let vlen = dt.is_variable_length();
        let want_chunked = b.chunks.is_some()
            || b.max.is_some()
            || !filters.is_empty()
            || matches!(
                b.class,
                Some(PyTablesClass::CArray | PyTablesClass::EArray | PyTablesClass::VLArray)
            );
        let total = product(&b.shape)?
            .checked_mul(elem as u64)
            .ok_or_else(|| usage("size overflows"))?;
        let store = if want_chunked {
            if rank == 0 {
                return Err(usage("a chunked dataset needs rank >= 1"));
            }
            let chunk = match &b.chunks {
                Some(c) if c.len() != rank || c.contains(&0) => {
                    return Err(usage("chunk shape must have the dataset's rank, no zeros"))
                }
                Some(c) => c.clone(),
                None => auto_chunks(&b.shape, &max, elem),
            };
            let cbytes = product(&chunk)?
                .checked_mul(elem as u64)
                .filter(|n| *n < (1 << 32))
                .ok_or_else(|| usage("chunk of 4 GiB or more"))?;
            let _ = cbytes;
            let kind = self.chunk_index_kind(&max, &chunk);
            Store::Chunked(Box::new(Chunked {
                chunk,
                kind,
                root: UNDEF,
                index: BTreeMap::new(),
                cache: HashMap::new(),
                tail: None,
                tail_start: 0,
                logical: b.shape.first().copied().unwrap_or(0),
                vlen_pending: Vec::new(),
                vlen_pending_bytes: 0,
                pending_dims: None,
                queue: Vec::new(),
                queue_bytes: 0,
                hot: None,
            }))
        } else if b.compact {
            if total > 16 * 1024 {
                return Err(usage("compact data must stay under 16 KiB"));
            }
            let mut d = Vec::new();
            for _ in 0..total / elem as u64 {
                d.extend_from_slice(&fill);
            }
            Store::Compact(d)
        } else if vlen {
            return Err(usage("variable-length datasets must be chunked (VLArray)"));
        } else {
            let addr = if total == 0 {
                UNDEF
            } else {
                self.alloc(to_usize(total)?)
            };
            // Fresh space past the end of the file reads as zeros; reused space does not.
            if total > 0 && (fill.iter().any(|x| *x != 0) || addr < self.written_end) {
                let mut buf = Vec::with_capacity(to_usize(total)?);
                for _ in 0..total / elem as u64 {
                    buf.extend_from_slice(&fill);
                }
                self.put(addr, &buf)?;
            }
            Store::Contiguous { addr, size: total }
        };
        let ds = Ds {
            dt,
            dt_body,
            elem,
            dims: b.shape.clone(),
            has_max: b.max.is_some(),
            max,
            fill,
            user_fill: b.fill.is_some(),
            pipeline: (!filters.is_empty()).then_some(FilterPipeline {
                version: 1,
                filters,
            }),
            enc_mask: 0,
            refuse: None,
            num_type: None,
            store,
        };
        let mut attrs: Vec<(&str, AttrValue)> = Vec::new();
        if let Some(c) = b.class {
            let (cls, ver) = match c {
                PyTablesClass::Array => ("ARRAY", "2.4"),
                PyTablesClass::CArray => ("CARRAY", "1.1"),
                PyTablesClass::EArray => ("EARRAY", "1.1"),
                PyTablesClass::VLArray => ("VLARRAY", "1.4"),
            };
            attrs.push(("CLASS", AttrValue::Ascii(cls.into())));
            attrs.push(("VERSION", AttrValue::Ascii(ver.into())));
            attrs.push(("TITLE", AttrValue::Str(b.title.clone())));
            if c == PyTablesClass::EArray {
                let ext = ds.max.iter().position(|m| *m == UNDEF).unwrap_or(0);
                attrs.push(("EXTDIM", AttrValue::I32(ext as i32)));
            }
            if let Some(p) = &b.pseudo_atom {
                attrs.push(("PSEUDOATOM", AttrValue::Ascii(p.clone())));
            }
        }
        let idx = self.new_object(full, Kind::Dataset(Box::new(ds)), &attrs)?;
        self.link(pidx, &name, idx)?;
        Ok(DatasetId(idx))
    }

    /// The handle of the dataset created at `path`.
    pub fn dataset(&self, path: &str) -> Result<DatasetId> {
        match self.paths.get(path) {
            Some(&i) if matches!(self.objs[i].kind, Kind::Dataset(_)) => Ok(DatasetId(i)),
            _ => Err(usage(format!("{path}: no such dataset"))),
        }
    }

    /// Current shape of a dataset, including appended rows not yet flushed.
    pub fn shape(&self, ds: &DatasetId) -> Result<Vec<u64>> {
        let d = self.ds(*ds)?;
        let mut s = d.cur_dims();
        if let (Store::Chunked(c), Some(first)) = (&d.store, s.first_mut()) {
            *first = c.logical.max(*first);
        }
        Ok(s)
    }

    fn ds(&self, id: DatasetId) -> Result<&Ds> {
        match self.objs.get(id.0).map(|o| &o.kind) {
            Some(Kind::Dataset(d)) => match &d.refuse {
                Some(why) => Err(Error::unsupported(why.clone(), None)),
                None => Ok(d),
            },
            _ => Err(usage("not a dataset of this writer")),
        }
    }

    fn ds_mut(&mut self, id: DatasetId) -> Result<&mut Ds> {
        match self.objs.get_mut(id.0).map(|o| &mut o.kind) {
            Some(Kind::Dataset(d)) => match &d.refuse {
                Some(why) => Err(Error::unsupported(why.clone(), None)),
                None => Ok(d),
            },
            _ => Err(usage("not a dataset of this writer")),
        }
    }

    fn check_type<T: H5Num>(&mut self, ds: &DatasetId) -> Result<()> {
        let d = self.ds_mut(*ds)?;
        let t = std::any::TypeId::of::<T>();
        if d.num_type == Some(t) {
            return Ok(());
        }
        if d.dt != T::DTYPE.datatype() {
            return Err(usage(format!(
                "dataset type differs from {}",
                std::any::type_name::<T>()
            )));
        }
        d.num_type = Some(t);
        Ok(())
    }

    /// Run `f` on the little-endian bytes of `data`, built in the reused scratch buffer.
    fn with_le_bytes<T: H5Num>(
        &mut self,
        data: &[T],
        f: impl FnOnce(&mut Self, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut raw = std::mem::take(&mut self.scratch);
        raw.clear();
        T::extend_le(data, &mut raw);
        let r = f(self, &raw);
        // Keep a small buffer for the next call; do not pin a large one.
        if raw.capacity() <= SCRATCH_KEEP {
            self.scratch = raw;
        }
        r
    }

    /// Write a whole dataset from typed values (row-major).
    pub fn write<T: H5Num>(&mut self, ds: &DatasetId, data: &[T]) -> Result<()> {
        let sel: Vec<Range<u64>> = self.shape(ds)?.iter().map(|d| 0..*d).collect();
        self.write_slice(ds, &sel, data)
    }

    /// Write typed values into hyperslab `sel` (one range per dimension).
    pub fn write_slice<T: H5Num>(
        &mut self,
        ds: &DatasetId,
        sel: &[Range<u64>],
        data: &[T],
    ) -> Result<()> {
        self.check_type::<T>(ds)?;
        self.with_le_bytes(data, |w, raw| w.write_slice_raw(ds, sel, raw))
    }

    /// Append typed rows along dimension 0 (`data.len()` a multiple of the row size).
    pub fn append<T: H5Num>(&mut self, ds: &DatasetId, data: &[T]) -> Result<()> {
        self.check_type::<T>(ds)?;
        self.with_le_bytes(data, |w, raw| w.append_raw(ds, raw))
    }

    fn read_chunk(&self, d: &Ds, rec: &ChunkRec, cbytes: usize) -> Result<Vec<u8>> {
        let data = self.read(rec.addr, rec.size as usize)?;
        match &d.pipeline {
            Some(p) => filter::decode_chunk(p, rec.mask, data, cbytes, &self.limits, rec.addr),
            None => Ok(data),
        }
    }

    /// Write raw element bytes (file byte order) into hyperslab `sel`. Chunked datasets
    /// grow to cover `sel` when their max shape allows.
    pub fn write_slice_raw(
        &mut self,
        ds: &DatasetId,
        sel: &[Range<u64>],
        data: &[u8],
    ) -> Result<()> {
        self.check()?;
        self.flush_tail(*ds)?;
        if let Store::Chunked(c) = &mut self.ds_mut(*ds)?.store {
            // The slice may touch buffered rows: reload them from the file when needed.
            c.tail = None;
        }
        let d = self.ds(*ds)?;
        if sel.len() != d.dims.len() {
            return Err(usage("selection rank differs from dataset rank"));
        }
        if sel.iter().any(|r| r.start > r.end) {
            return Err(usage("reversed range in selection"));
        }
        let counts: Vec<u64> = sel.iter().map(|r| r.end - r.start).collect();
        let want = product(&counts)?.checked_mul(d.elem as u64);
        if want != Some(data.len() as u64) {
            return Err(usage(format!(
                "{} bytes given for a selection of {:?} elements of {} bytes",
                data.len(),
                counts,
                d.elem
            )));
        }
        let elem = d.elem;
        let mut new_dims = d.cur_dims();
        for (i, r) in sel.iter().enumerate() {
            if r.end > new_dims[i] {
                let chunked = matches!(d.store, Store::Chunked(_));
                if !chunked || (d.max[i] != UNDEF && r.end > d.max[i]) {
                    return Err(usage(format!(
                        "selection {sel:?} outside the dataset extent {:?}",
                        d.dims
                    )));
                }
                new_dims[i] = r.end;
            }
        }
        if counts.contains(&0) {
            return Ok(());
        }
        let idx = ds.0;
        match &d.store {
            Store::Compact(_) => {
                let dims = d.dims.clone();
                let full: Vec<Range<u64>> = dims.iter().map(|x| 0..*x).collect();
                if let Store::Compact(buf) = &mut self.ds_mut(*ds)?.store {
                    copy_box(data, sel, buf, &full, sel, elem)?;
                }
                self.commit_header(idx)
            }
            Store::Contiguous { addr, size } => {
                let (mut addr, size) = (*addr, *size);
                let dims = d.dims.clone();
                if addr == UNDEF {
                    // Never written (an opened file's late allocation): allocate and fill,
                    // then point the layout message at it (header commit below).
                    let fill = d.fill.clone();
                    let n = to_usize(size)?;
                    let buf: Vec<u8> = fill.iter().copied().cycle().take(n).collect();
                    addr = self.alloc_write(&buf)?;
                    if let Store::Contiguous { addr: a, .. } = &mut self.ds_mut(*ds)?.store {
                        *a = addr;
                    }
                    self.commit_header(idx)?;
                }
                let rank = dims.len();
                if rank == 0 {
                    return self.put(addr, data);
                }
                // One positional write per contiguous run of the last dimension.
                let mut strides = vec![1u64; rank];
                for i in (0..rank - 1).rev() {
                    strides[i] = strides[i + 1] * dims[i + 1];
                }
                let run = to_usize(counts[rank - 1])? * elem;
                let mut idxs: Vec<u64> = sel.iter().map(|r| r.start).collect();
                let mut src = 0usize;
                loop {
                    let lin: u64 = idxs.iter().zip(&strides).map(|(a, b)| a * b).sum();
                    let at = addr + lin * elem as u64;
                    let chunk = data
                        .get(src..src + run)
                        .ok_or_else(|| usage("short data"))?;
                    self.put(at, chunk)?;
                    src += run;
                    let mut k = rank - 1;
                    loop {
                        if k == 0 {
                            return Ok(());
                        }
                        k -= 1;
                        idxs[k] += 1;
                        if idxs[k] < sel[k].end {
                            break;
                        }
                        idxs[k] = sel[k].start;
                    }
                }
            }
            Store::Chunked(c) => {
                let chunk = c.chunk.clone();
                let grid: Vec<Range<u64>> = sel
                    .iter()
                    .zip(&chunk)
                    .map(|(r, c)| r.start / c..r.end.div_ceil(*c))
                    .collect();
                // Visit every chunk the selection touches.
                let mut ci: Vec<u64> = grid.iter().map(|g| g.start).collect();
                loop {
                    let origin: Vec<u64> = ci.iter().zip(&chunk).map(|(i, c)| i * c).collect();
                    let cbox: Vec<Range<u64>> =
                        origin.iter().zip(&chunk).map(|(o, c)| *o..o + c).collect();
                    let region: Vec<Range<u64>> = sel
                        .iter()
                        .zip(&cbox)
                        .map(|(s, b)| s.start.max(b.start)..s.end.min(b.end))
                        .collect();
                    if region == cbox {
                        // The selection covers the whole chunk: nothing to read back or
                        // fill, and when it is exactly this chunk its bytes are `data`.
                        if region == sel {
                            self.store_whole_chunk(*ds, &origin, data)?;
                        } else {
                            let mut buf = vec![0u8; to_usize(product(&chunk)?)? * elem];
                            copy_box(data, sel, &mut buf, &cbox, &region, elem)?;
                            self.store_whole_chunk(*ds, &origin, &buf)?;
                        }
                    } else {
                        self.update_chunk(*ds, &origin, |buf| {
                            copy_box(data, sel, buf, &cbox, &region, elem)
                        })?;
                    }
                    let mut k = ci.len();
                    let mut done = true;
                    while k > 0 {
                        k -= 1;
                        ci[k] += 1;
                        if ci[k] < grid[k].end {
                            done = false;
                            break;
                        }
                        ci[k] = grid[k].start;
                    }
                    if done {
                        break;
                    }
                }
                // The chunk bytes are in the file (past the committed end, or rewritten in
                // place); the index and header are committed at the next `flush()`, which is
                // what acknowledges writes. Rebuilding the index per point made a scan
                // quadratic in its number of chunks.
                if let Store::Chunked(c) = &mut self.ds_mut(*ds)?.store {
                    c.pending_dims = Some(new_dims);
                }
                Ok(())
            }
        }
    }

    /// Read-modify-write one chunk; writes new chunk bytes (in place only when unfiltered
    /// and already allocated: same size, so no pointer changes).
    fn update_chunk(
        &mut self,
        ds: DatasetId,
        origin: &[u64],
        f: impl FnOnce(&mut [u8]) -> Result<()>,
    ) -> Result<()> {
        if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
            if let Some(h) = c.hot.as_mut().filter(|h| h.origin == origin) {
                return f(&mut h.bytes);
            }
        }
        self.drain_queue(ds)?;
        let d = self.ds(ds)?;
        let Store::Chunked(c) = &d.store else {
            return Err(usage("not chunked"));
        };
        let cbytes = to_usize(product(&c.chunk)?)? * d.elem;
        let existing = c.index.get(origin).copied();
        let mut buf = match &existing {
            Some(rec) => self.read_chunk(d, rec, cbytes)?,
            None => crate::hdf5::read::dataset::filled(cbytes, &d.fill),
        };
        f(&mut buf)?;
        if cbytes <= HOT_CHUNK_MAX {
            if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
                c.hot = Some(HotChunk {
                    origin: origin.to_vec(),
                    bytes: buf,
                    existing,
                });
            }
            return Ok(());
        }
        self.store_chunk(ds, origin, &buf, existing)
    }

    /// Store the chunk point writes were filling, if any.
    fn evict_hot(&mut self, ds: DatasetId) -> Result<()> {
        let hot = match &mut self.ds_mut(ds)?.store {
            Store::Chunked(c) => c.hot.take(),
            _ => None,
        };
        match hot {
            Some(h) => self.store_chunk(ds, &h.origin, &h.bytes, h.existing),
            None => Ok(()),
        }
    }

    /// Store the complete bytes of one chunk (no read-modify-write).
    fn store_whole_chunk(&mut self, ds: DatasetId, origin: &[u64], bytes: &[u8]) -> Result<()> {
        self.drain_queue(ds)?;
        let existing = match &self.ds(ds)?.store {
            Store::Chunked(c) => c.index.get(origin).copied(),
            _ => return Err(usage("not chunked")),
        };
        self.store_chunk(ds, origin, bytes, existing)
    }

    /// Filter the queued chunks of `ds` on all cores, then write them past EOF in order and
    /// index them (uncommitted until the next commit, like any stored chunk).
    fn drain_queue(&mut self, ds: DatasetId) -> Result<()> {
        self.evict_hot(ds)?;
        let d = self.ds_mut(ds)?;
        let pipeline = d.pipeline.clone();
        let Store::Chunked(c) = &mut d.store else {
            return Ok(());
        };
        if c.queue.is_empty() {
            return Ok(());
        }
        let queue = std::mem::take(&mut c.queue);
        c.queue_bytes = 0;
        let Some(p) = pipeline else {
            return Err(usage("internal: queued chunks of an unfiltered dataset"));
        };
        let at = self.eof;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(queue.len());
        let per = queue.len().div_ceil(threads.max(1));
        let encoded: Vec<Result<Vec<u8>>> = std::thread::scope(|s| {
            let p = &p;
            let handles: Vec<_> = queue
                .chunks(per)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|(_, b)| filter::encode_chunk(p, b, at))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| {
                    h.join()
                        .unwrap_or_else(|_| vec![Err(usage("chunk encoder thread panicked"))])
                })
                .collect()
        });
        for ((origin, _), stored) in queue.iter().zip(encoded) {
            let stored = stored?;
            let size = u32::try_from(stored.len()).map_err(|_| usage("chunk too big"))?;
            let addr = self.alloc_write(&stored)?;
            if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
                c.index.insert(
                    origin.clone(),
                    ChunkRec {
                        addr,
                        size,
                        mask: 0,
                    },
                );
            }
        }
        Ok(())
    }

    fn store_chunk(
        &mut self,
        ds: DatasetId,
        origin: &[u64],
        buf: &[u8],
        existing: Option<ChunkRec>,
    ) -> Result<()> {
        let d = self.ds(ds)?;
        let rec = match (&d.pipeline, existing) {
            // In place only when the stored chunk has exactly the chunk's size (a chunk
            // of an opened file could claim less: never write past it).
            (None, Some(rec)) if rec.size as usize == buf.len() && self.in_place_ok(ds.0) => {
                self.put(rec.addr, buf)?;
                rec
            }
            (p, _) => {
                let mask = d.enc_mask;
                let stored = match p {
                    Some(p) if mask != 0 => {
                        let kept = FilterPipeline {
                            version: p.version,
                            filters: p
                                .filters
                                .iter()
                                .enumerate()
                                .filter(|(i, _)| mask & (1 << i) == 0)
                                .map(|(_, f)| f.clone())
                                .collect(),
                        };
                        Cow::Owned(filter::encode_chunk(&kept, buf, self.eof)?)
                    }
                    Some(p) => Cow::Owned(filter::encode_chunk(p, buf, self.eof)?),
                    // Unfiltered bytes go to the file straight from the caller's buffer.
                    None => Cow::Borrowed(buf),
                };
                let size = u32::try_from(stored.len()).map_err(|_| usage("chunk too big"))?;
                let addr = self.alloc_write(&stored)?;
                if let Some(old) = existing {
                    self.free.release(ds.0, old.addr, u64::from(old.size));
                }
                ChunkRec { addr, size, mask }
            }
        };
        if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
            c.index.insert(origin.to_vec(), rec);
        }
        Ok(())
    }

    /// Commit a chunked dataset: B-tree nodes (new space), EOF, root in place (or the
    /// first root at new space), then the header with `dims`.
    fn commit_chunked(&mut self, ds: DatasetId, dims: Vec<u64>) -> Result<()> {
        self.drain_queue(ds)?;
        if let Store::Chunked(c) = &self.ds(ds)?.store {
            if c.kind != ChunkIdx::BTreeV1 {
                return self.commit_array(ds, dims);
            }
        }
        let d = self.ds_mut(ds)?;
        let elem = d.elem as u64;
        let Store::Chunked(c) = &mut d.store else {
            return Err(usage("not chunked"));
        };
        let mut cache = std::mem::take(&mut c.cache);
        let slotted = self.commit.slots.contains_key(&ds.0);
        let Store::Chunked(c) = &self.ds(ds)?.store else {
            return Err(usage("not chunked"));
        };
        let chunk = c.chunk.clone();
        let recs: Vec<(Vec<u64>, ChunkRec)> =
            c.index.iter().map(|(k, v)| (k.clone(), *v)).collect();
        let root_addr = c.root;
        let key_size = 8 + 8 * (chunk.len() + 1);
        let mut level = Vec::with_capacity(recs.len());
        for (i, (off, rec)) in recs.iter().enumerate() {
            let mut o = off.clone();
            o.push(0);
            let lo = encode::chunk_key(rec.size, rec.mask, &o);
            let hi = match recs.get(i + 1) {
                Some((n, r)) => {
                    let mut o = n.clone();
                    o.push(0);
                    encode::chunk_key(r.size, r.mask, &o)
                }
                None => {
                    // Right key past the last chunk, as HDF5 writes it.
                    let mut o = off.clone();
                    for (x, cd) in o.iter_mut().zip(&chunk).skip(1) {
                        *x += cd;
                    }
                    o.push(elem);
                    encode::chunk_key(0, 0, &o)
                }
            };
            level.push((lo, hi, rec.addr));
        }
        let mut inplace = Vec::new();
        self.commit.touched = Some(Vec::new());
        let built = if recs.is_empty() {
            Ok(None)
        } else {
            self.build_tree(&mut cache, 1, level, key_size, encode::CHUNK_K)
                .map(Some)
        };
        let live = self.commit.touched.take().unwrap_or_default();
        let built = built?;
        if slotted {
            // A slotted dataset gets a new root each time: the slot points at it.
            let new_root = match built {
                Some(root) => Some(self.cached_write(&mut cache, root)?),
                None => None,
            };
            // Nodes of earlier commits this tree no longer uses are freed by this commit.
            let mut live: std::collections::HashSet<u64> = live.into_iter().collect();
            live.extend(new_root);
            let dead: Vec<(u64, usize)> = cache
                .iter()
                .filter(|(_, a)| !live.contains(a))
                .map(|(b, a)| (*a, b.len()))
                .collect();
            cache.retain(|_, a| live.contains(a));
            for (a, l) in dead {
                self.free.release(ds.0, a, l as u64);
            }
            let d = self.ds_mut(ds)?;
            d.dims = dims;
            if let Store::Chunked(c) = &mut d.store {
                c.cache = cache;
                c.pending_dims = None;
                if let Some(r) = new_root {
                    c.root = r;
                }
            }
            return self.commit_slot(ds.0, None);
        }
        let new_root = match built {
            None => None,
            Some(root) if root_addr == UNDEF => Some(self.alloc_write(&root)?),
            Some(root) => {
                inplace.push((root_addr, root));
                None
            }
        };
        let d = self.ds_mut(ds)?;
        d.dims = dims;
        if let Store::Chunked(c) = &mut d.store {
            c.cache = cache;
            c.pending_dims = None;
            if let Some(r) = new_root {
                c.root = r;
            }
        }
        self.sync_nrows(ds.0)?;
        let (haddr, hbytes) = self.header_bytes(ds.0)?;
        self.publish_eof()?;
        for (a, b) in inplace {
            self.put(a, &b)?;
        }
        self.put(haddr, &hbytes)?;
        self.free.stage(ds.0);
        Ok(())
    }

    /// The chunk index of a new chunked dataset: v1 B-tree in the PyTables profile; in
    /// the 1.10 profile an extensible array for one unlimited dimension, a fixed array
    /// for none (up to 2^24 chunks), else a v1 B-tree (as HDF5 1.10 would use a v2 B-tree,
    /// which we do not write).
    fn chunk_index_kind(&self, max: &[u64], chunk: &[u64]) -> ChunkIdx {
        if !self.v110 {
            return ChunkIdx::BTreeV1;
        }
        let unl: Vec<usize> = (0..max.len()).filter(|&d| max[d] == UNDEF).collect();
        match unl.as_slice() {
            [] => {
                let n = max
                    .iter()
                    .zip(chunk)
                    .try_fold(1u64, |a, (m, c)| a.checked_mul(m.div_ceil(*c)));
                match n {
                    Some(n) if n <= 1 << 24 => ChunkIdx::Fixed,
                    _ => ChunkIdx::BTreeV1,
                }
            }
            [ud] => ChunkIdx::Extensible(*ud),
            _ => ChunkIdx::BTreeV1,
        }
    }

    /// Commit the fixed or extensible array of a chunked dataset (1.10 profile): blocks
    /// below the header at new space (unchanged ones reused), EOF, the header in place
    /// (or, the first time, at new space), then the object header with `dims`.
    fn commit_array(&mut self, ds: DatasetId, dims: Vec<u64>) -> Result<()> {
        let d = self.ds_mut(ds)?;
        let elem = d.elem as u64;
        let filtered = d.pipeline.is_some();
        let max = d.max.clone();
        let Store::Chunked(c) = &mut d.store else {
            return Err(usage("not chunked"));
        };
        let old_cache = std::mem::take(&mut c.cache);
        let chunk = c.chunk.clone();
        let kind = c.kind;
        let root = c.root;
        let cbytes = product(&chunk)?
            .checked_mul(elem)
            .ok_or_else(|| usage("size overflows"))?;
        let fmt = e110::ElemFmt {
            filtered: filtered.then(|| e110::chunk_size_len(cbytes)),
        };
        let grid: Vec<u64> = max
            .iter()
            .zip(&chunk)
            .map(|(m, c)| if *m == UNDEF { 0 } else { m.div_ceil(*c) })
            .collect();
        let mut elems = BTreeMap::new();
        for (off, rec) in &c.index {
            let scaled: Vec<u64> = off.iter().zip(&chunk).map(|(o, c)| o / c).collect();
            let i = match kind {
                ChunkIdx::Extensible(ud) => e110::ea_index(&scaled, ud, &grid),
                _ => e110::fa_index(&scaled, &grid),
            }
            .ok_or_else(|| usage("chunk index overflows"))?;
            elems.insert(i, (rec.addr, u64::from(rec.size), rec.mask));
        }
        if elems.is_empty() {
            let d = self.ds_mut(ds)?;
            d.dims = dims;
            if let Store::Chunked(c) = &mut d.store {
                c.pending_dims = None;
            }
            return self.commit_header(ds.0);
        }
        let hdr_len = match kind {
            ChunkIdx::Extensible(_) => 72,
            _ => 28,
        };
        let slot_hdr = self.slot_array_header(ds.0);
        let hdr = match slot_hdr {
            Some(h) => h,
            None if root == UNDEF => self.alloc(hdr_len),
            None => root,
        };
        // Blocks: reuse an identical block already in the file, else write it anew; the
        // cache keeps only the blocks of this commit (the live ones).
        let mut cache = HashMap::new();
        let hbytes = {
            let mut write = |b: Vec<u8>| -> Result<u64> {
                if let Some(a) = old_cache.get(&b).or_else(|| cache.get(&b)) {
                    let a = *a;
                    cache.insert(b, a);
                    return Ok(a);
                }
                let a = self.alloc_write(&b)?;
                cache.insert(b, a);
                Ok(a)
            };
            match kind {
                ChunkIdx::Extensible(_) => {
                    let (ib, st) = e110::write_earray(fmt, hdr, &elems, &mut write)?;
                    e110::encode_eahd(fmt, &st, ib)
                }
                _ => {
                    let n = grid.iter().product::<u64>();
                    let db = write(e110::encode_fadb(fmt, hdr, n, &elems)?)?;
                    e110::encode_fahd(fmt, n, db)
                }
            }
        };
        let live: std::collections::HashSet<u64> = cache.values().copied().collect();
        for (b, a) in &old_cache {
            if !live.contains(a) {
                self.free.release(ds.0, *a, b.len() as u64);
            }
        }
        if slot_hdr.is_some() {
            let d = self.ds_mut(ds)?;
            d.dims = dims;
            if let Store::Chunked(c) = &mut d.store {
                c.cache = cache;
                c.pending_dims = None;
                c.root = hdr;
            }
            return self.commit_slot(ds.0, Some(hbytes));
        }
        if root == UNDEF {
            self.put(hdr, &hbytes)?;
        }
        let d = self.ds_mut(ds)?;
        d.dims = dims;
        if let Store::Chunked(c) = &mut d.store {
            c.cache = cache;
            c.pending_dims = None;
            c.root = hdr;
        }
        let (haddr, obytes) = self.header_bytes(ds.0)?;
        self.publish_eof()?;
        if root != UNDEF {
            self.put(hdr, &hbytes)?;
        }
        self.put(haddr, &obytes)?;
        self.free.stage(ds.0);
        Ok(())
    }

    fn row_bytes(d: &Ds) -> Result<usize> {
        Ok(to_usize(product(d.dims.get(1..).unwrap_or(&[]))?)? * d.elem)
    }

    /// Append raw rows (file byte order) along dimension 0. Whole chunks are written and
    /// committed as they fill; a partial last chunk reaches the file at [`Writer::flush`].
    pub fn append_raw(&mut self, ds: &DatasetId, data: &[u8]) -> Result<()> {
        self.check()?;
        self.evict_hot(*ds)?;
        let d = self.ds(*ds)?;
        let Store::Chunked(c) = &d.store else {
            return Err(usage("append needs a chunked dataset"));
        };
        if d.max.first() != Some(&UNDEF) {
            return Err(usage("append needs an unlimited first dimension"));
        }
        let row = Self::row_bytes(d)?;
        if row == 0 || !data.len().is_multiple_of(row) {
            return Err(usage(format!(
                "{} bytes is not a whole number of {row}-byte rows",
                data.len()
            )));
        }
        let c0 = c.chunk[0];
        if c.tail.is_none() {
            self.load_tail(*ds)?;
        }
        let mut rest = data;
        while !rest.is_empty() {
            if let Some(n) = self.append_whole_chunk(*ds, rest, row)? {
                rest = &rest[n..];
                continue;
            }
            let d = self.ds_mut(*ds)?;
            let Store::Chunked(c) = &mut d.store else {
                return Err(usage("not chunked"));
            };
            let cap = to_usize(c0)? * row;
            let tail = c.tail.get_or_insert_with(|| Vec::with_capacity(cap));
            let room = to_usize(c0 - (c.logical - c.tail_start))? * row;
            let take = room.min(rest.len());
            tail.extend_from_slice(&rest[..take]);
            c.logical += (take / row) as u64;
            rest = &rest[take..];
            if c.logical - c.tail_start == c0 {
                // A full chunk goes to the file now; the index and row count are committed
                // at the next `flush()` (what acknowledges rows), not once per chunk.
                self.flush_tail_inner(*ds, false)?;
            }
        }
        Ok(())
    }

    /// When no rows are buffered, `data` holds a whole chunk and chunks span whole rows
    /// (chunk dims 1.. equal to the dataset's), the chunk's bytes are the first rows of
    /// `data`: store them from there (unfiltered) or queue them for compression, without
    /// the tail buffer. Returns the bytes consumed, or `None` when the buffered path applies.
    fn append_whole_chunk(
        &mut self,
        ds: DatasetId,
        data: &[u8],
        row: usize,
    ) -> Result<Option<usize>> {
        let d = self.ds(ds)?;
        let Store::Chunked(c) = &d.store else {
            return Ok(None);
        };
        let mut dims = d.cur_dims();
        let n = to_usize(c.chunk[0])?.saturating_mul(row);
        if c.logical != c.tail_start
            || c.tail.as_ref().is_some_and(|t| !t.is_empty())
            || !c.vlen_pending.is_empty()
            || dims.get(1..) != c.chunk.get(1..)
            || data.len() < n
        {
            return Ok(None);
        }
        let start = c.logical;
        let mut origin = vec![0u64; dims.len()];
        origin[0] = start;
        let existing = c.index.get(&origin).copied();
        let c0 = c.chunk[0];
        let filtered = d.pipeline.is_some();
        let bytes = &data[..n];
        if filtered && existing.is_none() {
            // A new full chunk: compress it later with others, on all cores.
            let mut full = false;
            if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
                c.queue_bytes += n;
                c.queue.push((origin, bytes.to_vec()));
                full = c.queue_bytes >= QUEUE_BYTES;
            }
            if full {
                self.drain_queue(ds)?;
            }
        } else {
            self.drain_queue(ds)?;
            self.commit.appending = true;
            let r = self.store_chunk(ds, &origin, bytes, existing);
            self.commit.appending = false;
            r?;
        }
        let end = start + c0;
        dims[0] = end;
        // Stored, not committed: the index and row count are committed at `flush()`.
        if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
            c.logical = end;
            c.tail_start = end;
            c.pending_dims = Some(dims);
        }
        Ok(Some(n))
    }

    /// Append variable-length rows to a rank-1 vlen-sequence dataset (VLArray); each row
    /// is the raw bytes of its base elements (file byte order). Rows are stored in global
    /// heap collections; an empty row is count 0 with a null heap ID.
    pub fn append_vlen(&mut self, ds: &DatasetId, rows: &[&[u8]]) -> Result<()> {
        self.check()?;
        let d = self.ds(*ds)?;
        let Datatype::VarLenSequence { base, .. } = &d.dt else {
            return Err(usage(
                "append_vlen needs a variable-length sequence dataset",
            ));
        };
        let bsize = to_usize(base.size())?;
        if d.dims.len() != 1 {
            return Err(usage("append_vlen needs a rank-1 dataset"));
        }
        for r in rows {
            if bsize == 0 || r.len() % bsize != 0 || r.len() > u32::MAX as usize {
                return Err(usage("vlen row is not a whole number of base elements"));
            }
        }
        let mut full = false;
        if let Store::Chunked(c) = &mut self.ds_mut(*ds)?.store {
            for r in rows {
                c.vlen_pending_bytes += r.len();
                c.vlen_pending.push(r.to_vec());
            }
            full =
                c.vlen_pending_bytes >= VLEN_BATCH_BYTES || c.vlen_pending.len() >= VLEN_BATCH_ROWS;
        }
        if full {
            self.materialize_vlen(*ds)?;
        }
        Ok(())
    }

    fn materialize_vlen(&mut self, ds: DatasetId) -> Result<()> {
        let (rows, bsize) = {
            let d = self.ds_mut(ds)?;
            let bsize = match &d.dt {
                Datatype::VarLenSequence { base, .. } => base.size() as usize,
                _ => return Ok(()),
            };
            let Store::Chunked(c) = &mut d.store else {
                return Ok(());
            };
            c.vlen_pending_bytes = 0;
            (std::mem::take(&mut c.vlen_pending), bsize.max(1))
        };
        if rows.is_empty() {
            return Ok(());
        }
        let nonempty: Vec<&[u8]> = rows
            .iter()
            .filter(|r| !r.is_empty())
            .map(|r| r.as_slice())
            .collect();
        let gaddr = if nonempty.is_empty() {
            0
        } else {
            self.alloc_write(&encode::encode_global_heap(&nonempty))?
        };
        let mut desc = Vec::with_capacity(rows.len() * 16);
        let mut k = 0u32;
        for r in &rows {
            desc.extend_from_slice(&((r.len() / bsize) as u32).to_le_bytes());
            if r.is_empty() {
                desc.extend_from_slice(&[0u8; 12]);
            } else {
                k += 1;
                desc.extend_from_slice(&gaddr.to_le_bytes());
                desc.extend_from_slice(&k.to_le_bytes());
            }
        }
        self.append_raw(&ds, &desc)
    }

    /// Read the on-disk rows of the partial last chunk row into the tail buffer.
    fn load_tail(&mut self, ds: DatasetId) -> Result<()> {
        self.drain_queue(ds)?;
        let d = self.ds(ds)?;
        let Store::Chunked(c) = &d.store else {
            return Ok(());
        };
        let c0 = c.chunk[0];
        let cur = d.cur_dims();
        let rows = cur.first().copied().unwrap_or(0);
        let start = rows / c0 * c0;
        let row = Self::row_bytes(d)?;
        let mut tail = vec![0u8; to_usize(rows - start)? * row];
        if rows > start {
            let rank = cur.len();
            let cbytes = to_usize(product(&c.chunk)?)? * d.elem;
            let tbox: Vec<Range<u64>> = (0..rank)
                .map(|i| if i == 0 { start..rows } else { 0..cur[i] })
                .collect();
            for (origin, rec) in c.index.range(vec![start]..) {
                if origin.first() != Some(&start) {
                    continue;
                }
                let buf = self.read_chunk(d, rec, cbytes)?;
                let cbox: Vec<Range<u64>> = origin
                    .iter()
                    .zip(&c.chunk)
                    .map(|(o, cd)| *o..o + cd)
                    .collect();
                let region: Vec<Range<u64>> = cbox
                    .iter()
                    .zip(&tbox)
                    .map(|(a, b)| a.start.max(b.start)..a.end.min(b.end))
                    .collect();
                copy_box(&buf, &cbox, &mut tail, &tbox, &region, d.elem)?;
            }
        }
        if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
            c.tail = Some(tail);
            c.tail_start = start;
            c.logical = rows;
        }
        Ok(())
    }

    /// Write the tail rows' chunks and commit the new row count.
    fn flush_tail(&mut self, ds: DatasetId) -> Result<()> {
        self.flush_tail_inner(ds, true)
    }

    /// Write the tail rows' chunks; commit them (index, then header) when `commit`, else
    /// leave the dataset marked for the next commit.
    fn flush_tail_inner(&mut self, ds: DatasetId, commit: bool) -> Result<()> {
        self.materialize_vlen_if_pending(ds)?;
        let d = self.ds(ds)?;
        let Store::Chunked(c) = &d.store else {
            return Ok(());
        };
        if c.tail.is_none() {
            return Ok(());
        }
        let cur = d.cur_dims();
        let rows_on_disk = cur.first().copied().unwrap_or(0);
        if c.logical == rows_on_disk {
            return Ok(());
        }
        // The tail's chunks are rebuilt from what is stored: store a hot chunk first.
        self.evict_hot(ds)?;
        let d = self.ds(ds)?;
        let cur = d.cur_dims();
        // The tail is taken out while its chunks are written (nothing below appends rows)
        // and put back after, emptied when its chunk is full, keeping its allocation.
        let tail = match &mut self.ds_mut(ds)?.store {
            Store::Chunked(c) => c.tail.take().unwrap_or_default(),
            _ => return Ok(()),
        };
        let r = self.write_tail(ds, &tail, cur, commit);
        if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
            let mut tail = tail;
            if r.is_ok() && c.logical - c.tail_start == c.chunk[0] {
                tail.clear();
                c.tail_start = c.logical;
            }
            c.tail = Some(tail);
        }
        r
    }

    /// Write the chunks holding the tail rows (dims `cur` before them); commit when `commit`.
    fn write_tail(
        &mut self,
        ds: DatasetId,
        tail: &[u8],
        cur: Vec<u64>,
        commit: bool,
    ) -> Result<()> {
        let Store::Chunked(c) = &self.ds(ds)?.store else {
            return Ok(());
        };
        let (start, logical, chunk) = (c.tail_start, c.logical, c.chunk.clone());
        let rank = cur.len();
        let mut dims = cur;
        dims[0] = logical;
        let tbox: Vec<Range<u64>> = (0..rank)
            .map(|i| if i == 0 { start..logical } else { 0..dims[i] })
            .collect();
        // Chunks along dims 1.. covering the row range.
        let grid: Vec<u64> = (1..rank).map(|i| dims[i].div_ceil(chunk[i])).collect();
        let mut ci = vec![0u64; rank - 1];
        if grid.iter().all(|g| *g > 0) {
            loop {
                let mut origin = vec![start];
                origin.extend(ci.iter().zip(&chunk[1..]).map(|(i, c)| i * c));
                let cbox: Vec<Range<u64>> =
                    origin.iter().zip(&chunk).map(|(o, c)| *o..o + c).collect();
                let region: Vec<Range<u64>> = cbox
                    .iter()
                    .zip(&tbox)
                    .map(|(a, b)| a.start.max(b.start)..a.end.min(b.end))
                    .collect();
                let d = self.ds(ds)?;
                let Store::Chunked(c) = &d.store else {
                    return Ok(());
                };
                let cbytes = to_usize(product(&chunk)?)? * d.elem;
                let existing = c.index.get(&origin).copied();
                let filtered = d.pipeline.is_some();
                let buf: Vec<u8> = if region == tbox && cbox[1..] == tbox[1..] {
                    // Chunks span whole rows: the chunk is the tail, then fill.
                    let mut buf = Vec::with_capacity(cbytes);
                    buf.extend_from_slice(tail);
                    if d.fill.iter().all(|b| *b == 0) {
                        buf.resize(cbytes, 0);
                    }
                    while buf.len() < cbytes {
                        let k = d.fill.len().min(cbytes - buf.len());
                        buf.extend_from_slice(&d.fill[..k]);
                    }
                    buf
                } else {
                    let mut buf = crate::hdf5::read::dataset::filled(cbytes, &d.fill);
                    copy_box(tail, &tbox, &mut buf, &cbox, &region, d.elem)?;
                    buf
                };
                if !commit && filtered && existing.is_none() {
                    // A new full chunk: compress it later with others, on all cores.
                    let mut full = false;
                    if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
                        c.queue_bytes += buf.len();
                        c.queue.push((origin.clone(), buf));
                        full = c.queue_bytes >= QUEUE_BYTES;
                    }
                    if full {
                        self.drain_queue(ds)?;
                    }
                } else if filtered && logical - start < chunk[0] && self.raw_partials(ds.0) {
                    self.drain_queue(ds)?;
                    self.store_raw_partial(ds, &origin, &buf, existing)?;
                } else {
                    self.drain_queue(ds)?;
                    self.commit.appending = true;
                    let r = self.store_chunk(ds, &origin, &buf, existing);
                    self.commit.appending = false;
                    r?;
                }
                let mut k = ci.len();
                let mut done = true;
                while k > 0 {
                    k -= 1;
                    ci[k] += 1;
                    if ci[k] < grid[k] {
                        done = false;
                        break;
                    }
                    ci[k] = 0;
                }
                if done {
                    break;
                }
            }
        }
        if commit {
            self.commit_chunked(ds, dims)?;
        } else if let Store::Chunked(c) = &mut self.ds_mut(ds)?.store {
            c.pending_dims = Some(dims);
        }
        Ok(())
    }

    fn materialize_vlen_if_pending(&mut self, ds: DatasetId) -> Result<()> {
        let pending = match &self.ds(ds)?.store {
            Store::Chunked(c) => !c.vlen_pending.is_empty(),
            _ => false,
        };
        if pending {
            self.materialize_vlen(ds)?;
        }
        Ok(())
    }

    /// Write every buffered row (partial chunks included) and commit, in commit order. From
    /// then on the rows survive the process being killed (the operating system holds the
    /// bytes); this is what h5py's `flush()` promises too. Use [`Writer::sync`] to survive
    /// power loss as well.
    pub fn flush(&mut self) -> Result<()> {
        self.check()?;
        // Every dataset's chunks and index first; their slots all at the end, page by page
        // (module `commit`), so the acquisition appears at one instant.
        self.begin_batch();
        let r = self.flush_all();
        self.end_batch(r.is_ok())?;
        r
    }

    fn flush_all(&mut self) -> Result<()> {
        for i in 0..self.objs.len() {
            if matches!(&self.objs[i].kind, Kind::Dataset(d) if d.refuse.is_none()) {
                self.flush_tail(DatasetId(i))?;
                let d = self.ds(DatasetId(i))?;
                if let Store::Chunked(c) = &d.store {
                    if let Some(dims) = c.pending_dims.clone() {
                        self.commit_chunked(DatasetId(i), dims)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// [`Writer::flush`], then make the file durable on the storage device (`fsync`), so the
    /// committed rows also survive a power loss or an operating-system crash.
    pub fn sync(&mut self) -> Result<()> {
        self.flush()?;
        if let Err(e) = self.st.sync() {
            self.failed = true;
            return Err(e.into());
        }
        Ok(())
    }

    /// Flush, sync to the device, and close.
    pub fn close(mut self) -> Result<()> {
        // The last partial chunks are compressed like the others.
        self.commit.finalizing = true;
        self.compress_raw_partials()?;
        self.flush()?;
        // Each round frees what the previous one moved; the index roots rebuilt by its
        // commit go low too.
        for _ in 0..3 {
            let before = self.eof;
            self.compact_chunks()?;
            self.trim_end()?;
            if self.eof >= before {
                break;
            }
        }
        self.sync()
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.failed {
            let _ = self.flush();
        }
    }
}

/// Bytes of full chunks queued for parallel compression before they are written.
const QUEUE_BYTES: usize = 8 << 20;
/// Largest scratch buffer kept between typed calls.
const SCRATCH_KEEP: usize = 1 << 20;

/// PyTables-like automatic chunk shape: about 16 KiB per chunk, whole trailing dims.
fn auto_chunks(shape: &[u64], max: &[u64], elem: usize) -> Vec<u64> {
    let target = (16 * 1024 / elem.max(1)) as u64;
    let mut c: Vec<u64> = shape.iter().map(|s| (*s).max(1)).collect();
    let mut i = 0;
    while product(&c).unwrap_or(u64::MAX) > target.max(1) && i < c.len() {
        while c[i] > 1 && product(&c).unwrap_or(u64::MAX) > target.max(1) {
            c[i] = c[i].div_ceil(2);
        }
        i += 1;
    }
    if let (Some(first), Some(m)) = (c.first_mut(), max.first()) {
        if *m == UNDEF && shape.first() == Some(&0) {
            let rest = product(&shape[1..]).unwrap_or(1).max(1);
            *first = (target / rest).max(1);
        }
    }
    c
}

mod commit;
mod dense;
mod free_space;
mod open;
