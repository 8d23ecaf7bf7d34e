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
//! edited message by message (`object_header::edit`), existing group B-trees and chunk
//! B-trees are rebuilt below their root, which is rewritten in place.
//!
//! One file per structure written (the state types live here):
//! `file` (create, flush, close) · `space` (allocation, EOF) · `object_header` ·
//! `attribute` · `group` · `btree_v1` (nodes) · `dataset` (builder, creation, typed
//! writes) · `chunked` (chunked storage) · `chunk_index` (`btree_v1`, `array`) ·
//! `append` · `vlen` (global heap) · `commit` (commit pages) · `free_space` ·
//! `dense` (dense attributes and links) · `open` (editing an existing file) ·
//! `options` (element types) · `profile` (what each profile writes) · `superblock`.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;

use super::durability::Durability;
use crate::error::{Error, Result};
use crate::hdf5::btree_v1::{
    btree_node_size, chunk_key, encode_btree_node, CHUNK_K, GROUP_INTERNAL_K, GROUP_LEAF_K,
};
use crate::hdf5::chunk_index::extensible_array::{self, ea_index, encode_eahd, write_earray};
use crate::hdf5::chunk_index::fixed_array::{self, encode_fadb, encode_fahd, fa_index};
use crate::hdf5::chunk_index::{chunk_size_len, ElemFmt};
use crate::hdf5::encoder::{pad8, Encoder, Sizes, UNDEF};
use crate::hdf5::filter;
use crate::hdf5::global_heap::encode_global_heap;
use crate::hdf5::local_heap::encode_local_heap;
use crate::hdf5::message::attribute::encode_attribute;
use crate::hdf5::message::continuation::encode_continuation;
use crate::hdf5::message::dataspace::Dataspace;
use crate::hdf5::message::datatype::{encode_datatype, types};
use crate::hdf5::message::datatype::{CharSet, Datatype};
use crate::hdf5::message::fill_value::{encode_fill_old, encode_fill_v2};
use crate::hdf5::message::filter_pipeline::encode_pipeline;
use crate::hdf5::message::filter_pipeline::{FilterDescription, FilterPipeline};
use crate::hdf5::message::group_info::encode_group_info;
use crate::hdf5::message::kind;
use crate::hdf5::message::layout::{ChunkIndexing, ChunkedLayout, DataLayout};
use crate::hdf5::message::link::encode_link;
use crate::hdf5::message::symbol_table::encode_symbol_table;
use crate::hdf5::object_header::edit::EditableHeader;
use crate::hdf5::object_header::{
    encode_header_prefix, encode_ochk, encode_ohdr, fill_nil_v2, push_message, push_message_v2,
    v1_body_len, MAX_MESSAGE, MSG_HEADER_V2, OHDR_PREFIX,
};
use crate::hdf5::superblock::{
    encode_superblock, encode_superblock_v3, EOF_FIELD, SUPERBLOCK_SIZE, SUPERBLOCK_V3_SIZE,
};
use crate::hdf5::symbol_node::{encode_snod_k, Entry};
use crate::limits::Limits;
use crate::storage::{Coalesce, FileWriteStorage, ReaderWatch, SharedStorage, WriteStorage};

fn usage(m: impl Into<String>) -> Error {
    Error::Usage(m.into())
}

/// Handle of a dataset in a [`Writer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DatasetId(usize);

/// v1 B-tree K values of a file (superblock v0/v1, or the B-tree 'K' values message of a
/// v2/v3 superblock's extension): an SNOD holds 2 * `leaf` entries, a group node 2 *
/// `internal` children, a chunk node 2 * `chunk`. Every node is written at the full size
/// libhdf5 reads for these K (a root rewritten in place keeps its size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BtreeK {
    leaf: usize,
    internal: usize,
    chunk: usize,
}

impl Default for BtreeK {
    fn default() -> Self {
        BtreeK {
            leaf: GROUP_LEAF_K,
            internal: GROUP_INTERNAL_K,
            chunk: CHUNK_K,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct ChunkRec {
    addr: u64,
    size: u32,
    mask: u32,
}

impl ChunkRec {
    /// A chunk as a read index found it (`what` names the index for the error).
    fn found(i: &crate::hdf5::chunk_index::ChunkInfo, what: &'static str) -> Result<Self> {
        let size =
            u32::try_from(i.size).map_err(|_| Error::format(what, i.address, "chunk size"))?;
        Ok(ChunkRec {
            addr: i.address,
            size,
            mask: i.filter_mask,
        })
    }
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
    /// Single chunk (layout v4/v5, type 1) of an opened file: `root` is the chunk.
    Single,
    /// Implicit (layout v4/v5, type 2) of an opened file: every chunk of the grid lies at
    /// `root` + its row-major number × chunk bytes, written in place.
    Implicit,
    /// v2 B-tree (layout v4/v5, type 5) of an opened file, rewritten with its parameters.
    BTreeV2(crate::hdf5::btree_v2::encode::TreeParams),
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
    /// Width of the stored size of filtered chunks in the index when the file fixes it
    /// (opened files: layout v5 writes 8 bytes), else derived from the chunk size.
    size_len: Option<usize>,
    /// Extents of the index written by the last commit (v2 B-tree of an opened file),
    /// freed when superseded.
    index_blocks: Vec<(u64, u64)>,
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

/// One chunk to store: its origin (element coordinates), its unfiltered bytes, and the
/// index record it replaces, if it was stored before.
#[derive(Clone, Copy)]
struct ChunkWrite<'a> {
    origin: &'a [u64],
    bytes: &'a [u8],
    existing: Option<ChunkRec>,
}

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
    /// Names of the local heap, `[0, used)` of its data segment; the rest of the
    /// `seg_cap` bytes is the free block where later names go in place.
    heap_data: Vec<u8>,
    /// How much of `heap_data` is in the segment at `seg_addr` already (the names past it
    /// are written once the heap header no longer calls their place free).
    heap_written: u64,
    entries: BTreeMap<Vec<u8>, Entry>,
    cache: HashMap<Vec<u8>, u64>,
    /// Why members cannot be added or reached (a new-style group of an opened file).
    refuse: Option<String>,
    /// Links are Link messages in the group's own (v2) header (1.10 profile, or tracking
    /// creation order); `btree`, `heap` and the heap fields are unused.
    compact: bool,
    /// Creation order and links as found (link-message groups; module `links`).
    order: links::LinkOrder,
}

impl Grp {
    /// A group whose links are Link messages in its header (no symbol table, no heap).
    fn of_links(entries: BTreeMap<Vec<u8>, Entry>, order: links::LinkOrder) -> Grp {
        Grp {
            btree: UNDEF,
            heap: UNDEF,
            seg_addr: UNDEF,
            seg_cap: 0,
            heap_data: Vec::new(),
            heap_written: 0,
            entries,
            cache: HashMap::new(),
            refuse: None,
            compact: true,
            order,
        }
    }
}

// A group's state is large (link maps, dense indexes) but few exist; datasets are boxed.
#[allow(clippy::large_enum_variant)]
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
    ext: Option<EditableHeader>,
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
    /// The structures new objects are written with (an opened file: its own family).
    profile: Profile,
    /// How the end of file is published.
    superblock: Superblock,
    /// Read access for loading objects of an opened file.
    shared: Option<SharedStorage>,
    /// The file's user block size (the base address): file addresses and our storage's
    /// offsets are relative to it, the superblock's end-of-file address is absolute (as
    /// libhdf5 stores it: relative EOA + base).
    base: u64,
    /// The page size of a paged file (libhdf5's `H5F_FSPACE_STRATEGY_PAGE`), else 0:
    /// every allocation then takes whole pages of its own (`Writer::alloc_pages`).
    fs_page: u64,
    /// The file's v1 B-tree K values (HDF5's 4/16/32 in new files; an opened file's own).
    k: BtreeK,
    /// The file's sizes of offsets and lengths (8 and 8 in new files; an opened file's
    /// own: every structure we add to it is encoded at its widths).
    sizes: Sizes,
    /// Object index by header address (hard links reach one object by several paths).
    by_addr: HashMap<u64, usize>,
    /// Reused buffer for the bytes of typed calls (`append`, `write_slice`).
    scratch: Vec<u8>,
    /// Commit pages (module `commit`).
    commit: commit::CommitState,
    /// Freed space (module `free_space`).
    free: free_space::FreeSpace,
    /// Whether `close` fsyncs.
    durability: Durability,
    /// Chunks being compressed (module `pipeline`).
    pool: pipeline::Pool,
    /// New groups track the creation order of their links (h5py `track_order`).
    track_order: bool,
    /// Hard links to an object beyond its first (module `more_links`).
    more_links: HashMap<usize, u32>,
    /// Opens of the file by others, when they can be seen (module `free_space`).
    readers: Option<ReaderWatch>,
}

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

/// Chunks per dimension covering `extent` (chunk dimensions are never 0: the layout
/// decoder refuses them, the builder too).
fn chunk_grid(extent: &[u64], chunk: &[u64]) -> Vec<u64> {
    extent
        .iter()
        .zip(chunk)
        .map(|(e, c)| e.div_ceil((*c).max(1)))
        .collect()
}

/// The box of the chunk at `origin` (one range per dimension).
fn chunk_box(origin: &[u64], chunk: &[u64]) -> Vec<Range<u64>> {
    origin.iter().zip(chunk).map(|(o, c)| *o..o + c).collect()
}

/// The intersection of two boxes (empty ranges where they do not meet).
fn intersect(a: &[Range<u64>], b: &[Range<u64>]) -> Vec<Range<u64>> {
    a.iter()
        .zip(b)
        .map(|(a, b)| a.start.max(b.start)..a.end.min(b.end))
        .collect()
}

/// Step the row-major multi-index `idx` to its next position inside `bounds` (one range
/// per entry); false once every position was visited (`idx` is back at the start).
fn step(idx: &mut [u64], bounds: &[Range<u64>]) -> bool {
    for (i, b) in idx.iter_mut().zip(bounds).rev() {
        *i += 1;
        if *i < b.end {
            return true;
        }
        *i = b.start;
    }
    false
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
        // Next row: the dims before the last one step.
        if !step(&mut idx[..rank - 1], &region[..rank - 1]) {
            return Ok(());
        }
    }
}

mod append;
mod attribute;
mod btree_v1;
mod chunk_index;
mod chunked;
mod commit;
mod dataset;
mod dense;
mod file;
mod free_space;
mod group;
mod links;
mod more_links;
mod object_header;
mod open;
mod open_header;
mod open_superblock;
mod options;
mod pipeline;
mod profile;
mod relocate;
mod sohm;
mod space;
mod superblock;
mod vlen;

pub use attribute::AttrValue;
pub use dataset::DatasetBuilder;
pub use options::{Dtype, H5Num, LayoutKind, PyTablesClass, WriteOptions};
pub use profile::Profile;

use object_header::HeaderVersion;
use profile::GroupFormat;
use superblock::Superblock;
