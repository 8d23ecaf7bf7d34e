//! Opening an existing file for appending ([`Writer::open`]): superblock v0/v1 (spec II.A,
//! versions 0 and 1), v1 object headers (IV.A.1.a), symbol-table groups (III.A.1 v1 B-tree
//! type 0, III.B local heap, III.C symbol table nodes) and chunked datasets indexed by a
//! v1 B-tree type 1 (layout message v3, IV.A.2.i).
//!
//! Objects are loaded lazily, through the read engine, the first time a path is used. The
//! writer then edits them with the same commit order as new objects: new structures past
//! the end of file, then the superblock EOF, then in-place rewrites of the group B-tree
//! root, local heap header and object header chunk 0 (whose other messages stay
//! untouched: see `object_header::edit`).
//!
//! HDF5 1.10 files (superblock v3: ours, h5py `libver='latest'`, SWMR files) are opened
//! the same way: v2 object headers are edited message by message (`object_header::edit`), a
//! link-message group gains Link messages, chunked datasets with an extensible-array or
//! fixed-array index (layout v4/v5) get their array rewritten below the header, which is
//! rewritten in place with its checksum; single-chunk, implicit and v2 B-tree indexes are
//! continued by `chunk_index::reopened`. New objects are written in the 1.10 profile.
//!
//! Superblocks v2/v3 are kept as found (an extension such as a shared-message table
//! too) but for their EOF; a metadata cache image is first written home and dropped
//! (`drop_cache_image`). Every file-creation variant libhdf5 offers is continued: a user
//! block (the writer's storage starts at the base address, `Based`; the superblock's EOF
//! is stored absolute, as libhdf5 does), any group and chunk B-tree K (from the superblock
//! or the extension's B-tree 'K' message: nodes written at the size libhdf5 reads,
//! `btree_k`), any file-space strategy, page size and persisted free space (the free-space
//! info message and managers are kept as found: they describe space below the EOF we
//! never allocate; we reuse only blocks we freed, which libhdf5 counts as in use; a paged
//! file gets whole pages per allocation and no reuse, `Writer::alloc_pages`), any sizes of
//! offsets and lengths the reader takes (2, 4 or 8: every structure written at the file's
//! widths, `Writer::sizes`).
//! Refused (`Error::Unsupported`, reading stays possible): a superblock v3 with file
//! consistency flags set (a writer still has it open), writes through soft links, data of
//! array indexes with parameters other than HDF5's defaults or of filtered indexes whose
//! partial edge chunks are unfiltered.

use std::sync::{Arc, Mutex};

use super::chunk_index::implicit_addr;
use super::*;
use crate::hdf5::btree_v1;
use crate::hdf5::chunk_index;
use crate::hdf5::io::Budget;
use crate::hdf5::local_heap;
use crate::hdf5::message::dataspace::DataspaceKind;
use crate::hdf5::message::layout::{ChunkIndexing, DataLayout};
use crate::hdf5::message::link_info::LinkInfo;
use crate::hdf5::message::{kind, Message};
use crate::hdf5::read::dataset::Dataset as RDataset;
use crate::hdf5::read::file::{File, Object};

use super::open_superblock::{btree_k, drop_cache_image, fs_page_size, Based};

fn unsupported(what: impl Into<String>, at: u64) -> Error {
    Error::unsupported(what, Some(at))
}

impl Writer {
    /// Open an existing HDF5 file (ours, h5py's default profile or PyTables') to add
    /// groups, datasets and attributes, append rows and write slices. `opts.pytables`
    /// decides whether new groups get PyTables attributes; `opts.root_title` is ignored.
    pub fn open(path: impl AsRef<Path>, opts: WriteOptions) -> Result<Writer> {
        let st = Coalesce::new(FileWriteStorage::open(path)?);
        Self::open_with_storage(Box::new(st), opts)
    }

    /// Open an existing file held by `st` (see [`Writer::open`]).
    pub fn open_with_storage(st: Box<dyn WriteStorage>, opts: WriteOptions) -> Result<Writer> {
        let shared = SharedStorage(Arc::new(Mutex::new(st)));
        let mut file = File::from_storage(Arc::new(shared.clone()), opts.limits)?;
        let sb = file.superblock().clone();
        if sb.version == 3 && sb.flags != 0 {
            return Err(unsupported(
                "writing into a superblock-v3 file still marked open by a writer (file \
                 consistency flags set; h5clear clears them)",
                0,
            ));
        }
        if sb.version > 3 {
            return Err(unsupported(
                format!(
                    "writing into a file with superblock version {} (HDF5 1.10+ profile); \
                     it can be read",
                    sb.version
                ),
                0,
            ));
        }
        let base = file.inner.io.base;
        let k = btree_k(&file)?;
        let fs_page = fs_page_size(&file)?;
        if !file.inner.io.overlay.is_empty() {
            // Every refusal is above (a refused file stays byte-identical). libhdf5 reads
            // the metadata of such a file from its image: write the image's entries home and
            // drop the image, as libhdf5 does when it opens it for writing.
            drop_cache_image(&shared, &file, &opts.limits)?;
            file = File::from_storage(Arc::new(shared.clone()), opts.limits)?;
            if !file.inner.io.overlay.is_empty() {
                return Err(unsupported(
                    "a metadata cache image left after dropping it",
                    0,
                ));
            }
        }
        // Our storage is the file past its user block: addresses as the file stores them.
        let based = Based {
            inner: shared.clone(),
            base,
        };
        let len = WriteStorage::len(&based)?;
        // The superblock stores the absolute end of file (libhdf5: relative EOA + base).
        let stored_eof = sb.eof_address.saturating_sub(base);
        let mut eof = pad8(to_usize(stored_eof.max(len))?) as u64;
        if fs_page > 0 {
            eof = eof
                .checked_next_multiple_of(fs_page)
                .ok_or_else(|| Error::format("superblock", 0, "end of file address"))?;
        }
        // The end-of-file address follows the base and free-space (v0/v1) or extension
        // (v2/v3) addresses, each "size of offsets" wide.
        let o = u64::from(sb.sizes.offsets);
        let (profile, superblock) = if sb.version >= 2 {
            // Signature, version, sizes, flags, then base, extension, EOF and root addresses.
            let head = file.inner.io.read(0, 12 + 4 * o, "superblock")?;
            (
                Profile::Hdf5V110,
                Superblock::Kept {
                    head,
                    eof_field: 12 + 2 * o,
                },
            )
        } else {
            // v1 adds the chunk B-tree K and 2 reserved bytes before the addresses.
            let eof_field = if sb.version == 0 { 24 } else { 28 } + 2 * o;
            (Profile::PyTables, Superblock::V0V1 { eof_field })
        };
        let mut w = Writer::bare(Box::new(based), &opts, profile, superblock);
        w.base = base;
        w.k = k;
        w.sizes = sb.sizes;
        w.fs_page = fs_page;
        w.free.leak = fs_page > 0;
        w.eof = eof;
        w.committed_eof = stored_eof;
        w.written_end = len;
        w.shared = Some(shared);
        // Freed blocks of the file as found keep their exact length (module `free_space`).
        w.free.foreign_below = len;
        let root = w.load_object("/".into(), sb.root_object_header)?;
        if !matches!(w.objs[root].kind, Kind::Group(_)) {
            return Err(Error::format(
                "superblock",
                sb.root_object_header,
                "root object is not a group",
            ));
        }
        Ok(w)
    }

    /// The handle of the dataset at `path`, loading it from an opened file if needed.
    pub fn open_dataset(&mut self, path: &str) -> Result<DatasetId> {
        self.check()?;
        let idx = self.resolve(path)?;
        match &self.objs[idx].kind {
            Kind::Dataset(d) => match &d.refuse {
                Some(why) => Err(Error::unsupported(why.clone(), Some(self.objs[idx].addr))),
                None => Ok(DatasetId(idx)),
            },
            Kind::Group(_) => Err(usage(format!("{path}: a group, not a dataset"))),
        }
    }

    /// Refuse a new member `name` of group `pidx` before anything is written: new-style
    /// groups and names already present.
    pub(super) fn check_new_member(&self, pidx: usize, name: &str) -> Result<()> {
        if let Kind::Group(g) = &self.objs[pidx].kind {
            if let Some(why) = &g.refuse {
                return Err(unsupported(why.clone(), self.objs[pidx].addr));
            }
            if g.entries.contains_key(name.as_bytes()) {
                return Err(usage(format!("{name:?} already exists")));
            }
        }
        Ok(())
    }

    /// The object index of `path`, loading it (and its ancestors) from the file.
    pub(super) fn resolve(&mut self, path: &str) -> Result<usize> {
        let p = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        if let Some(&i) = self.paths.get(p) {
            return Ok(i);
        }
        if self.shared.is_none() || p == "/" {
            return Err(usage(format!("{path}: no such object")));
        }
        let (parent, name) = split_path(p)?;
        let pidx = self.resolve(&parent)?;
        let Kind::Group(g) = &self.objs[pidx].kind else {
            return Err(usage(format!("{parent}: not a group")));
        };
        if let Some(why) = &g.refuse {
            return Err(unsupported(why.clone(), self.objs[pidx].addr));
        }
        let e = g
            .entries
            .get(name.as_bytes())
            .copied()
            .ok_or_else(|| usage(format!("{path}: no such object")))?;
        if e.cache == 2 || e.header == UNDEF {
            return Err(unsupported(
                format!("{path}: writing through a soft link"),
                self.objs[pidx].addr,
            ));
        }
        if let Some(&i) = self.by_addr.get(&e.header) {
            self.paths.insert(p.to_string(), i);
            return Ok(i);
        }
        self.load_object(p.to_string(), e.header)
    }

    /// A read-only view of the file as it is now (lengths grow as we write).
    pub(super) fn reader(&self) -> Result<File> {
        let sh = self
            .shared
            .clone()
            .ok_or_else(|| usage("not an opened file"))?;
        File::from_storage(Arc::new(sh), self.limits)
    }

    /// Load the object whose header is at `addr`.
    pub(super) fn load_object(&mut self, path: String, addr: u64) -> Result<usize> {
        let file = self.reader()?;
        let io = &file.inner.io;
        let mut hdr = EditableHeader::load(addr, io.sizes, &self.limits, &|a, l| {
            io.read(a, l, "object header v1")
        })?;
        self.resolve_shared_attrs(&mut hdr)?;
        let obj = Object::open(&file, addr, path.clone())?;
        let kind = if obj.is_dataset() {
            match self.load_dataset(&file, obj) {
                Ok(d) => Kind::Dataset(Box::new(d)),
                // Data we cannot write (NULL dataspace, layout v1/v2, external files...):
                // attributes can still be set, data calls report why not.
                Err(Error::Unsupported { what, .. }) => Kind::Dataset(Box::new(Ds {
                    dt: Dtype::U8.datatype(),
                    dt_body: Vec::new(),
                    elem: 1,
                    dims: Vec::new(),
                    max: Vec::new(),
                    has_max: false,
                    fill: vec![0],
                    user_fill: false,
                    pipeline: None,
                    enc_mask: 0,
                    refuse: Some(format!("{path}: {what}")),
                    num_type: None,
                    store: Store::Contiguous {
                        addr: UNDEF,
                        size: 0,
                    },
                })),
                Err(e) => return Err(e),
            }
        } else if obj.has(kind::SYMBOL_TABLE) {
            Kind::Group(self.load_group(&file, &obj)?)
        } else if obj.has(kind::LINK) || obj.has(kind::LINK_INFO) {
            // Link-message group: members reached through the read engine; new members
            // become Link messages in its header, or its dense storage is rewritten with
            // the links as found (module `links`).
            let g = crate::hdf5::read::Group::from_object(obj.clone())?;
            let found = g.links()?;
            let order = links::order_of(&obj, &found)?;
            let mut entries = BTreeMap::new();
            for l in found {
                let (header, cache) = match l.kind {
                    crate::hdf5::read::LinkKind::Hard(a) => (a, 0),
                    _ => (UNDEF, 2),
                };
                entries.insert(
                    l.name.into_bytes(),
                    Entry {
                        name_off: 0,
                        header,
                        cache,
                        scratch: [0; 16],
                    },
                );
            }
            Kind::Group(Grp::of_links(entries, order))
        } else {
            return Err(unsupported(
                format!("{path}: neither a group nor a dataset"),
                addr,
            ));
        };
        let idx = self.objs.len();
        self.objs.push(Obj {
            path: path.clone(),
            addr,
            cap0: 0,
            cont: None,
            attrs: Vec::new(),
            kind,
            ext: Some(hdr),
            dense: Default::default(),
        });
        self.paths.insert(path, idx);
        self.by_addr.insert(addr, idx);
        self.adopt_slot(idx);
        Ok(idx)
    }

    fn load_group(&self, file: &File, obj: &Object) -> Result<Grp> {
        let addr = obj.address();
        let Some(Message::SymbolTable(st)) = obj.first(kind::SYMBOL_TABLE)? else {
            return Err(Error::format(
                "group object header",
                addr,
                "no symbol table message",
            ));
        };
        let io = &file.inner.io;
        let mut budget = Budget::new(&self.limits);
        let tree = btree_v1::group_tree(io, st.btree_address, &mut budget)?;
        let heap = local_heap::read(io, st.local_heap_address)?;
        let cache = self.found_group_nodes(file, &tree);
        let mut entries = BTreeMap::new();
        for e in tree.entries {
            let name = heap.string_at(e.link_name_offset)?.to_vec();
            entries.insert(
                name,
                Entry {
                    name_off: e.link_name_offset,
                    header: e.object_header_address,
                    cache: e.cache_type,
                    scratch: e.scratch,
                },
            );
        }
        // Names end where the free block ending the segment starts (HDF5 keeps one after
        // its names, so do we): later names go there in place; without one the segment is
        // full.
        let seg_cap = heap.data.len() as u64;
        let tail = heap.tail_free(self.sizes);
        let mut heap_data = heap.data;
        if let Some(used) = tail {
            heap_data.truncate(to_usize(used)?);
        }
        let heap_written = heap_data.len() as u64;
        Ok(Grp {
            btree: st.btree_address,
            heap: st.local_heap_address,
            seg_addr: heap.data_address,
            seg_cap,
            heap_data,
            heap_written,
            entries,
            cache,
            refuse: None,
            compact: false,
            order: Default::default(),
        })
    }

    /// The group's SNODs and non-root B-tree nodes as found, bytes -> address, to seed the
    /// group's node cache: at its first commit (`commit_group`) the ones the new tree
    /// still has byte for byte are kept where they are, the others are freed once the
    /// rewritten root no longer leads to them (before, they were leaked at every reopen).
    /// Their sizes are HDF5's for the file's K values (`btree_k`) and sizes of offsets
    /// and lengths (with K 4/16 and 8/8 an `SNOD` is 8 + 2 * 4 * 40 = 328 bytes, a node
    /// 24 + 33 * 8 + 32 * 8 = 544). The root stays out (it is rewritten in place, never
    /// reused as a child). A node that cannot be read whole, or repeats another's bytes,
    /// stays out too: left as it is, never freed.
    fn found_group_nodes(&self, file: &File, tree: &btree_v1::GroupTree) -> HashMap<Vec<u8>, u64> {
        let mut cache = HashMap::new();
        let io = &file.inner.io;
        let s = self.sizes;
        let node = btree_v1::btree_node_size(s, s.l(), self.k.internal) as u64;
        let snod = crate::hdf5::symbol_node::snod_size(s, self.k.leaf) as u64;
        let all = tree.nodes.iter().map(|a| (*a, node, "v1 B-tree node"));
        for (a, len, what) in all.chain(tree.snods.iter().map(|a| (*a, snod, "SNOD"))) {
            if let Ok(b) = io.read(a, len, what) {
                if b.len() as u64 == len {
                    cache.entry(b).or_insert(a);
                }
            }
        }
        cache
    }

    /// The nodes below the root of a chunk v1 B-tree as found, bytes -> address, seeding
    /// the dataset's node cache as `found_group_nodes` does for groups: identical nodes
    /// are kept where they are, the others freed once a commit no longer uses them. Full
    /// size for the file's chunk K (`btree_k`). Unreadable trees seed nothing (the
    /// reads of the chunks report them).
    fn found_chunk_nodes(
        file: &File,
        root: u64,
        rank: usize,
        k: usize,
        limits: &crate::Limits,
    ) -> HashMap<Vec<u8>, u64> {
        let mut cache = HashMap::new();
        if root == UNDEF {
            return cache;
        }
        let io = &file.inner.io;
        let mut budget = Budget::new(limits);
        let Ok(nodes) =
            crate::hdf5::chunk_index::btree_v1::inner_nodes(io, root, rank, &mut budget)
        else {
            return cache;
        };
        let s = io.sizes;
        let len = btree_v1::btree_node_size(s, 8 + 8 * (rank + 1), k) as u64;
        for a in nodes {
            if let Ok(b) = io.read(a, len, "v1 B-tree node") {
                if b.len() as u64 == len {
                    cache.entry(b).or_insert(a);
                }
            }
        }
        cache
    }

    fn load_dataset(&self, file: &File, obj: Object) -> Result<Ds> {
        let addr = obj.address();
        let rd = RDataset::from_object(obj)?;
        if rd.virtual_layout.is_some() {
            // Its data lives in the sources, its extent can come from them (the stored one
            // is kept as found): attributes only.
            return Err(unsupported("writing into a virtual dataset", addr));
        }
        let dims = match rd.dataspace.kind {
            DataspaceKind::Simple => rd.dataspace.dims.clone(),
            DataspaceKind::Scalar => Vec::new(),
            DataspaceKind::Null => {
                return Err(unsupported(
                    "writing into a dataset with a NULL dataspace",
                    addr,
                ))
            }
        };
        let elem = to_usize(rd.datatype.size())?;
        if elem == 0 {
            return Err(Error::format("datatype", addr, "element size 0"));
        }
        let has_max = rd.dataspace.max_dims.is_some();
        let max = rd
            .dataspace
            .max_dims
            .clone()
            .unwrap_or_else(|| dims.clone());
        let fill = rd.fill_bytes()?;
        let pipeline = (!rd.filters.filters.is_empty()).then(|| rd.filters.clone());
        let mut enc_mask = 0u32;
        for (i, f) in rd.filters.filters.iter().enumerate() {
            // Filters we do not encode (blosc, lzf, bzip2, szip, nbit, scale-offset, ...,
            // and a shuffle stored without its element size) are skipped on the chunks we
            // write: their filter-mask bit set, as libhdf5 does for partial edge chunks.
            let encoded = matches!(f.id, 1 | 3) || (f.id == 2 && !f.client_data.is_empty());
            if !encoded {
                if i >= 32 {
                    return Err(unsupported(
                        "a filter pipeline of more than 32 filters",
                        addr,
                    ));
                }
                enc_mask |= 1 << i;
            }
        }
        let store = match &rd.layout {
            DataLayout::Compact { data, .. } => Store::Compact(data.clone()),
            DataLayout::Contiguous { address, size, .. } => {
                // Positional writes go to address + offset: the block must hold the
                // whole extent.
                let need = product(&dims)?.checked_mul(elem as u64);
                if need.is_none_or(|n| n > *size) {
                    return Err(unsupported(
                        format!("contiguous block of {size} bytes smaller than the extent"),
                        addr,
                    ));
                }
                Store::Contiguous {
                    addr: *address,
                    size: *size,
                }
            }
            DataLayout::Chunked(c) => {
                let kind = Self::array_kind(c, &max).ok_or_else(|| {
                    unsupported(
                        format!(
                            "writing into a chunked dataset with layout version {} and index \
                             {:?} (only v3 with a v1 B-tree; v4/v5 single chunk, implicit, \
                             v2 B-tree, or HDF5's default extensible or fixed array; edge \
                             chunks filtered)",
                            c.version, c.indexing
                        ),
                        addr,
                    )
                })?;
                if kind == ChunkIdx::Implicit && c.index_address == UNDEF {
                    return Err(unsupported(
                        "writing into an implicitly indexed dataset never allocated",
                        addr,
                    ));
                }
                let size_len = if pipeline.is_some() {
                    Self::stored_size_len(file, c, dims.len())?
                } else {
                    None
                };
                let mut budget = Budget::new(&self.limits);
                let infos = chunk_index::chunk_infos(
                    &file.inner.io,
                    c,
                    &dims,
                    &max,
                    pipeline.is_some(),
                    &mut budget,
                )?;
                let mut index = BTreeMap::new();
                if kind == ChunkIdx::Implicit {
                    // Every chunk of the grid exists (early allocation): index them all,
                    // beyond the current extent too, so that writes up to the maximum
                    // dimensions go to their place.
                    let cbytes = product(&c.chunk_dims)?
                        .checked_mul(elem as u64)
                        .ok_or_else(|| Error::format("data layout", addr, "chunk size"))?;
                    let size = u32::try_from(cbytes)
                        .map_err(|_| Error::format("data layout", addr, "chunk size"))?;
                    let grid = chunk_grid(&max, &c.chunk_dims);
                    let n = grid.iter().try_fold(1u64, |a, g| a.checked_mul(*g));
                    // The region lies in the file (checked by the reader): this bounds the
                    // count.
                    let n = n
                        .filter(|n| n.saturating_mul(cbytes) <= self.eof)
                        .ok_or_else(|| Error::format("implicit chunk index", addr, "grid"))?;
                    for i in 0..n {
                        let mut rest = i;
                        let mut off = vec![0u64; grid.len()];
                        for k in (0..grid.len()).rev() {
                            off[k] = (rest % grid[k]) * c.chunk_dims[k];
                            rest /= grid[k];
                        }
                        let a = implicit_addr(c.index_address, &off, &c.chunk_dims, &grid, cbytes)
                            .ok_or_else(|| Error::format("implicit chunk index", addr, "grid"))?;
                        index.insert(
                            off,
                            ChunkRec {
                                addr: a,
                                size,
                                mask: 0,
                            },
                        );
                    }
                }
                for i in infos {
                    let rec = ChunkRec::found(&i, "chunk B-tree")?;
                    index.insert(i.offset, rec);
                }
                let cache = if kind == ChunkIdx::BTreeV1 {
                    Self::found_chunk_nodes(
                        file,
                        c.index_address,
                        c.chunk_dims.len(),
                        self.k.chunk,
                        &self.limits,
                    )
                } else {
                    HashMap::new()
                };
                Store::Chunked(Box::new(Chunked {
                    chunk: c.chunk_dims.clone(),
                    kind,
                    root: c.index_address,
                    index,
                    cache,
                    tail: None,
                    tail_start: 0,
                    logical: dims.first().copied().unwrap_or(0),
                    vlen_pending: Vec::new(),
                    vlen_pending_bytes: 0,
                    pending_dims: None,
                    hot: None,
                    size_len,
                    index_blocks: Vec::new(),
                }))
            }
        };
        Ok(Ds {
            dt: rd.datatype.clone(),
            dt_body: Vec::new(),
            elem,
            dims,
            max,
            has_max,
            fill,
            user_fill: false,
            pipeline,
            enc_mask,
            refuse: None,
            num_type: None,
            store,
        })
    }
}

impl Writer {
    /// The chunk index kind we can extend: v3 + v1 B-tree; v4/v5 single chunk, implicit,
    /// v2 B-tree, or HDF5's default extensible array (one unlimited dimension) or fixed
    /// array parameters, with partial edge chunks filtered (flag bit 0 clear) where
    /// chunks are filtered. Layout v5 (HDF5 2.0) has v4's encoding; its filtered chunk
    /// sizes are 8 bytes wide (`stored_size_len`).
    fn array_kind(
        c: &crate::hdf5::message::layout::ChunkedLayout,
        max: &[u64],
    ) -> Option<ChunkIdx> {
        let unlimited: Vec<usize> = (0..max.len()).filter(|&i| max[i] == UNDEF).collect();
        let version = match c.version {
            5 => 4,
            v => v,
        };
        match (version, &c.indexing) {
            (1..=3, ChunkIndexing::BTreeV1) => Some(ChunkIdx::BTreeV1),
            (4, ChunkIndexing::SingleChunk { .. }) if unlimited.is_empty() => {
                Some(ChunkIdx::Single)
            }
            (4, ChunkIndexing::Implicit) if unlimited.is_empty() => Some(ChunkIdx::Implicit),
            (4, _) if c.flags & 0x01 != 0 => None,
            (
                4,
                ChunkIndexing::BTreeV2 {
                    node_size,
                    split_percent,
                    merge_percent,
                },
            ) => Some(ChunkIdx::BTreeV2(
                crate::hdf5::btree_v2::encode::TreeParams {
                    node_size: *node_size,
                    split: *split_percent,
                    merge: *merge_percent,
                },
            )),
            // HDF5's default array parameters only: the ones our array writers use.
            (4, ChunkIndexing::ExtensibleArray { .. })
                if unlimited.len() == 1
                    && c.indexing == ChunkIndexing::WRITTEN_EXTENSIBLE_ARRAY =>
            {
                Some(ChunkIdx::Extensible(unlimited[0]))
            }
            (4, ChunkIndexing::FixedArray { .. })
                if unlimited.is_empty() && c.indexing == ChunkIndexing::WRITTEN_FIXED_ARRAY =>
            {
                Some(ChunkIdx::Fixed)
            }
            _ => None,
        }
    }

    /// Width of the stored sizes of filtered chunks in an array or v2 B-tree index, read
    /// from its header (array element size, B-tree record size) when there is one, else
    /// 8 for layout v5 (HDF5 2.0 always writes 8), or `None` (derived from the chunk size,
    /// as HDF5 1.10-1.14 do).
    fn stored_size_len(
        file: &File,
        c: &crate::hdf5::message::layout::ChunkedLayout,
        rank: usize,
    ) -> Result<Option<usize>> {
        let at = c.index_address;
        let sized = matches!(
            c.indexing,
            ChunkIndexing::ExtensibleArray { .. }
                | ChunkIndexing::FixedArray { .. }
                | ChunkIndexing::BTreeV2 { .. }
        );
        if !sized {
            return Ok(None);
        }
        if at == UNDEF {
            return Ok((c.version == 5).then_some(8));
        }
        let head = file.inner.io.read(at, 12, "chunk index header")?;
        let bad = || Error::format("chunk index header", at, "filtered element size");
        // The chunk address and the filter mask around the size.
        let fixed = usize::from(file.inner.io.sizes.offsets) + 4;
        let w = match head.get(..4) {
            Some(b"EAHD" | b"FAHD") => usize::from(*head.get(6).ok_or_else(bad)?)
                .checked_sub(fixed)
                .ok_or_else(bad)?,
            Some(b"BTHD") => {
                let rs = u16::from_le_bytes([
                    *head.get(10).ok_or_else(bad)?,
                    *head.get(11).ok_or_else(bad)?,
                ]);
                usize::from(rs)
                    .checked_sub(fixed + 8 * rank)
                    .ok_or_else(bad)?
            }
            _ => return Err(bad()),
        };
        if !(1..=8).contains(&w) {
            return Err(bad());
        }
        Ok(Some(w))
    }

    /// Whether the existing group `gidx` stores its links densely (Link Info heap set).
    pub(super) fn ext_dense_links(&self, gidx: usize) -> bool {
        self.ext_decode(gidx, kind::LINK_INFO, LinkInfo::parse)
            .is_some_and(|l| l.fractal_heap_address != UNDEF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::write::MemWriteStorage;

    /// A small file of our writer: /g with an EArray of 5 rows (chunks of 2 rows).
    fn base() -> Vec<u8> {
        let m = MemWriteStorage::new();
        let mut w = Writer::with_storage(Box::new(m.clone()), WriteOptions::default()).unwrap();
        w.create_group("/g").unwrap();
        let d = w
            .create_dataset(
                "/g/d",
                DatasetBuilder::new(Dtype::I32)
                    .shape(&[0, 2])
                    .max_shape(&[None, Some(2)])
                    .chunks(&[2, 2]),
            )
            .unwrap();
        w.append(&d, &[0i32, 1, 2, 3, 4, 5, 6, 7, 8, 9]).unwrap();
        w.close().unwrap();
        m.bytes()
    }

    fn mem(bytes: &[u8]) -> MemWriteStorage {
        let mut m = MemWriteStorage::new();
        m.write_at(0, bytes).unwrap();
        m
    }

    #[test]
    fn reopen_appends_and_adds() {
        let m = mem(&base());
        let mut w =
            Writer::open_with_storage(Box::new(m.clone()), WriteOptions::default()).unwrap();
        let d = w.open_dataset("/g/d").unwrap();
        assert_eq!(w.shape(&d).unwrap(), vec![5, 2]);
        w.append(&d, &[10i32, 11, 12, 13]).unwrap();
        w.create_group("/g/h").unwrap();
        w.set_attr("/g/d", "a", 3i64).unwrap();
        w.close().unwrap();
        let f = File::from_bytes(m.bytes()).unwrap();
        let crate::hdf5::read::Node::Dataset(ds) = f.get("/g/d").unwrap() else {
            panic!("not a dataset")
        };
        assert_eq!(ds.read::<i32>().unwrap(), (0..14).collect::<Vec<i32>>());
        assert!(f.get("/g/h").is_ok());
        // The superblock EOF covers the file.
        let eof = u64::from_le_bytes(m.bytes()[40..48].try_into().unwrap());
        assert_eq!(eof, m.bytes().len() as u64);
    }

    fn refused(bytes: Vec<u8>) -> Error {
        let m = mem(&bytes);
        let e = match Writer::open_with_storage(Box::new(m.clone()), WriteOptions::default()) {
            Err(e) => e,
            Ok(_) => panic!("opened"),
        };
        assert_eq!(m.bytes(), bytes, "a refused open wrote bytes");
        e
    }

    #[test]
    fn refuses_superblock_v2_and_odd_k() {
        let mut b = base();
        b[8] = 2; // superblock version 2 (then also a bad layout/checksum): any error
        let _ = refused(b);
        let mut b = base();
        b[16..18].copy_from_slice(&0u16.to_le_bytes()); // group leaf K 0: no node holds one
        assert!(matches!(refused(b), Error::Format(_)));
        let mut b = base();
        b[0] = 0; // no signature
        assert!(matches!(refused(b), Error::Format(_)));
    }

    #[test]
    fn refuses_existing_member_and_soft_path() {
        let m = mem(&base());
        let mut w =
            Writer::open_with_storage(Box::new(m.clone()), WriteOptions::default()).unwrap();
        let before = m.bytes();
        assert!(matches!(w.create_group("/g/d"), Err(Error::Usage(_))));
        assert!(matches!(w.open_dataset("/g"), Err(Error::Usage(_))));
        assert!(matches!(w.open_dataset("/nope/x"), Err(Error::Usage(_))));
        assert_eq!(m.bytes(), before);
    }
}
