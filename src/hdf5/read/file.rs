//! Opening a file and resolving objects: the superblock, object headers, paths.
//!
//! Nothing is read at open but the superblock; object headers are read when an object is
//! opened, data only when asked for.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::hdf5::global_heap::{self, GlobalHeapCache};
use crate::hdf5::io::FileIo;
use crate::hdf5::message::datatype::Datatype;
use crate::hdf5::message::{self, kind, Message, RawMessage};
use crate::hdf5::object_header::{self, ObjectHeader};
use crate::hdf5::superblock::{self, Superblock};
use crate::limits::Limits;
use crate::storage::{FileStorage, MemStorage, Storage};

use super::dataset::Dataset;
use super::group::{Group, Link, LinkKind};

pub(crate) struct FileInner {
    pub(crate) io: FileIo,
    pub(crate) superblock: Superblock,
    pub(crate) gheap: Mutex<GlobalHeapCache>,
    /// Link listings of groups already listed, by object header address: resolving many
    /// paths through one big group (soft links, say) would otherwise re-decode it each time.
    /// A `File` sees the groups as they were when first listed; reopen to see new links.
    pub(crate) links: Mutex<HashMap<u64, Arc<Vec<Link>>>>,
    /// Read only as h5py reads (an HSDS domain: PyMoDAQ reads it through h5pyd, whatever
    /// library wrote it); see [`File::read_as_h5py`].
    pub(crate) h5py_only: bool,
    /// The file's path when opened from disk (virtual datasets find their sources next to
    /// it).
    pub(crate) path: Option<std::path::PathBuf>,
}

/// Groups whose listings are kept (the cache is cleared when it grows past this).
pub(crate) const LINK_CACHE_GROUPS: usize = 256;

impl FileInner {
    /// Fetch a variable-length element's bytes from its descriptor.
    pub(crate) fn resolve_vlen(&self, descriptor: &[u8], at: u64) -> Result<Vec<u8>> {
        let mut c = self.io.cursor(descriptor, at, "variable-length descriptor");
        let d = global_heap::parse_vlen_descriptor(&mut c)?;
        if d.count == 0 {
            return Ok(Vec::new());
        }
        let mut cache = self
            .gheap
            .lock()
            .map_err(|_| Error::Usage("global heap cache poisoned by an earlier panic".into()))?;
        cache.get(&self.io, d.collection, d.index)
    }
}

/// An open HDF5 file (read-only).
#[derive(Clone)]
pub struct File {
    pub(crate) inner: Arc<FileInner>,
}

impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("File")
            .field("superblock", &self.inner.superblock)
            .finish()
    }
}

impl File {
    /// Decode one raw message, resolving a shared (committed) datatype and the committed
    /// datatype of an attribute.
    pub(crate) fn decode_message(&self, m: &RawMessage) -> Result<Message> {
        let io = &self.inner.io;
        if m.flags & message::flags::SHARED != 0 {
            if let Some(id) = crate::hdf5::sohm::heap_id(&m.data) {
                // Stored once in the shared-message heap: decode the heap's copy.
                let sb = &self.inner.superblock;
                let data = crate::hdf5::sohm::message(io, sb, m.msg_type, id, m.at)?;
                let own = RawMessage {
                    flags: m.flags & !message::flags::SHARED,
                    data,
                    ..m.clone()
                };
                return self.decode_message(&own);
            }
        }
        if m.msg_type == kind::DATATYPE && m.flags & message::flags::SHARED != 0 {
            return Ok(Message::Datatype(self.committed_datatype(&m.data, m.at)?));
        }
        if m.msg_type == kind::ATTRIBUTE && m.flags & message::flags::SHARED == 0 {
            let mut c = io.cursor(&m.data, m.at, "object header message");
            let a = message::attribute::AttributeMessage::parse_shared(
                &mut c,
                &io.limits,
                &mut |enc, at| self.committed_datatype(enc, at),
                &mut |enc, at| self.shared_dataspace(enc, at),
            )?;
            return Ok(Message::Attribute(a));
        }
        message::decode(m, io.sizes, &io.limits)
    }

    /// The dataspace a shared-message encoding points to: only the shared-message heap holds
    /// dataspaces (HDF5 commits no dataspace objects).
    pub(crate) fn shared_dataspace(
        &self,
        encoding: &[u8],
        at: u64,
    ) -> Result<message::dataspace::Dataspace> {
        let io = &self.inner.io;
        let Some(id) = crate::hdf5::sohm::heap_id(encoding) else {
            return Err(Error::unsupported(
                "shared dataspace outside the shared-message heap",
                Some(at),
            ));
        };
        let sb = &self.inner.superblock;
        let data = crate::hdf5::sohm::message(io, sb, kind::DATASPACE, id, at)?;
        let mut c = io.cursor(&data, at, "shared dataspace");
        message::dataspace::Dataspace::parse(&mut c, &io.limits)
    }

    /// The datatype of the committed datatype object a shared-message encoding points to.
    pub(crate) fn committed_datatype(&self, encoding: &[u8], at: u64) -> Result<Datatype> {
        let io = &self.inner.io;
        if let Some(id) = crate::hdf5::sohm::heap_id(encoding) {
            let sb = &self.inner.superblock;
            let data = crate::hdf5::sohm::message(io, sb, kind::DATATYPE, id, at)?;
            let raw = RawMessage {
                msg_type: kind::DATATYPE,
                flags: 0,
                creation_order: None,
                at,
                data,
            };
            if let Message::Datatype(d) = message::decode(&raw, io.sizes, &io.limits)? {
                return Ok(d);
            }
        }
        let addr = message::shared_address(encoding, io.sizes, at)?;
        let header = object_header::read(io, addr)?;
        for m in header
            .messages
            .iter()
            .filter(|m| m.msg_type == kind::DATATYPE)
        {
            // A committed type's own message is never shared (decode refuses it if so).
            if let Message::Datatype(d) = message::decode(m, io.sizes, &io.limits)? {
                return Ok(d);
            }
        }
        Err(Error::format(
            "committed datatype",
            addr,
            "object header has no datatype message",
        ))
    }

    /// Open a file on disk with default [`Limits`].
    pub fn open(path: impl AsRef<Path>) -> Result<File> {
        Self::open_with_limits(path, Limits::default())
    }

    /// Open a file on disk with explicit limits.
    pub fn open_with_limits(path: impl AsRef<Path>, limits: Limits) -> Result<File> {
        let mut f = Self::from_storage(Arc::new(FileStorage::open(path.as_ref())?), limits)?;
        if let Some(inner) = Arc::get_mut(&mut f.inner) {
            inner.path = Some(path.as_ref().to_path_buf());
        }
        Ok(f)
    }

    /// Open an in-memory image.
    pub fn from_bytes(bytes: impl Into<Arc<[u8]>>) -> Result<File> {
        Self::from_storage(Arc::new(MemStorage::new(bytes)), Limits::default())
    }

    /// Open an in-memory image with explicit limits.
    pub fn from_bytes_with_limits(bytes: impl Into<Arc<[u8]>>, limits: Limits) -> Result<File> {
        Self::from_storage(Arc::new(MemStorage::new(bytes)), limits)
    }

    /// Open any storage.
    pub fn from_storage(storage: Arc<dyn Storage>, limits: Limits) -> Result<File> {
        let (sig_pos, sb) = superblock::locate(storage.as_ref(), &limits)?;
        let mut io = FileIo::new(storage, limits)?;
        io.sizes = sb.sizes;
        // Addresses are relative to the base address; a superblock found after a user block
        // with base 0 means the base is the superblock's position.
        io.base = if sb.base_address == 0 {
            sig_pos
        } else {
            sb.base_address
        };
        // Metadata left only in a cache image (HDF5 1.10) is read from there.
        io.overlay = Arc::new(crate::hdf5::cache_image::load(&io, &sb)?);
        Ok(File {
            inner: Arc::new(FileInner {
                io,
                superblock: sb,
                gheap: Mutex::new(GlobalHeapCache::default()),
                links: Mutex::new(HashMap::new()),
                h5py_only: false,
                path: None,
            }),
        })
    }

    /// This file read as h5py reads it even when PyTables wrote it (an HSDS domain's image:
    /// PyMoDAQ reads domains through h5pyd only). Call on a file just opened.
    pub fn read_as_h5py(mut self) -> File {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.h5py_only = true;
        }
        self
    }

    /// Whether [`File::read_as_h5py`] applies.
    pub fn is_h5py_only(&self) -> bool {
        self.inner.h5py_only
    }

    /// The superblock.
    pub fn superblock(&self) -> &Superblock {
        &self.inner.superblock
    }

    /// Limits in force.
    pub fn limits(&self) -> &Limits {
        &self.inner.io.limits
    }

    /// The root group.
    pub fn root(&self) -> Result<Group> {
        let obj = Object::open(self, self.inner.superblock.root_object_header, "/".into())?;
        Group::from_object(obj)
    }

    /// The dataset at an absolute path (a usage error when it is not one).
    pub fn dataset(&self, path: &str) -> Result<Dataset> {
        match self.get(path)? {
            Node::Dataset(d) => Ok(d),
            other => Err(other.not_a("dataset")),
        }
    }

    /// The group at an absolute path (a usage error when it is not one).
    pub fn group(&self, path: &str) -> Result<Group> {
        match self.get(path)? {
            Node::Group(g) => Ok(g),
            other => Err(other.not_a("group")),
        }
    }

    /// Open the object at an absolute path (`/a/b`), following soft links.
    pub fn get(&self, path: &str) -> Result<Node> {
        self.get_at_depth(path, &mut 0)
    }

    fn get_at_depth(&self, path: &str, depth: &mut u32) -> Result<Node> {
        let mut node = Node::Group(self.root()?);
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        for part in parts {
            let group = match node {
                Node::Group(g) => g,
                other => {
                    return Err(Error::Usage(format!(
                        "{} is not a group",
                        other.object().path()
                    )))
                }
            };
            let link = group.link(part)?.ok_or_else(|| {
                Error::Usage(format!("no object named {part:?} in {}", group.path()))
            })?;
            node = self.follow(&group, &link, depth)?;
        }
        Ok(node)
    }

    /// The object a link of `parent` points to (soft links resolved, bounded).
    pub fn follow(&self, parent: &Group, link: &Link, depth: &mut u32) -> Result<Node> {
        *depth += 1;
        if *depth > 64 {
            return Err(Error::Usage(format!(
                "too many soft link levels at {}",
                link.name
            )));
        }
        let path = join_path(parent.path(), &link.name);
        match &link.kind {
            LinkKind::Hard(addr) => Node::open(self, *addr, path),
            LinkKind::Soft(target) => {
                let target = if target.starts_with('/') {
                    target.clone()
                } else {
                    join_path(parent.path(), target)
                };
                self.get_at_depth(&target, depth)
            }
            LinkKind::External { file, path } => Err(Error::unsupported(
                format!("external link to {file}:{path} is not followed"),
                None,
            )),
            LinkKind::UserDefined(t) => Err(Error::unsupported(
                format!("user-defined link type {t}"),
                None,
            )),
        }
    }
}

/// Join a group path and a child name.
pub fn join_path(parent: &str, name: &str) -> String {
    if parent.ends_with('/') {
        format!("{parent}{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// An object in the file: its header and decoded messages.
#[derive(Clone)]
pub struct Object {
    pub(crate) file: File,
    pub(crate) path: String,
    pub(crate) header: Arc<ObjectHeader>,
}

impl std::fmt::Debug for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Object")
            .field("path", &self.path)
            .field("address", &self.header.address)
            .finish()
    }
}

impl Object {
    /// Read the object header at `addr`.
    pub fn open(file: &File, addr: u64, path: String) -> Result<Object> {
        let header = object_header::read(&file.inner.io, addr)?;
        for m in &header.messages {
            crate::hdf5::message::check_fail_if_unknown(m)?;
        }
        Ok(Object {
            file: file.clone(),
            path,
            header: Arc::new(header),
        })
    }

    /// Path the object was reached by.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Address of the object header (the object's identity).
    pub fn address(&self) -> u64 {
        self.header.address
    }

    /// The raw messages.
    pub fn raw_messages(&self) -> &[RawMessage] {
        &self.header.messages
    }

    /// Whether a message of this type is present.
    pub fn has(&self, msg_type: u16) -> bool {
        self.header.messages.iter().any(|m| m.msg_type == msg_type)
    }

    /// Decode every message of type `msg_type`; a datatype shared with a committed
    /// datatype object is read from that object.
    pub fn messages(&self, msg_type: u16) -> impl Iterator<Item = Result<Message>> + '_ {
        self.header
            .messages
            .iter()
            .filter(move |m| m.msg_type == msg_type)
            .map(move |m| self.file.decode_message(m))
    }

    /// Decode the first message of type `msg_type`, if present.
    pub fn first(&self, msg_type: u16) -> Result<Option<Message>> {
        self.messages(msg_type).next().transpose()
    }

    /// Whether this object is a dataset (has a layout or datatype + dataspace).
    pub fn is_dataset(&self) -> bool {
        self.has(kind::LAYOUT) || (self.has(kind::DATATYPE) && self.has(kind::DATASPACE))
    }

    /// Whether this object is a group.
    pub fn is_group(&self) -> bool {
        self.has(kind::SYMBOL_TABLE)
            || self.has(kind::LINK_INFO)
            || self.has(kind::LINK)
            || !self.has(kind::DATATYPE)
    }

    pub(crate) fn inner(&self) -> &FileInner {
        &self.file.inner
    }
}

/// A group or a dataset.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // a Dataset is the common case; boxing it buys nothing
pub enum Node {
    /// A group.
    Group(Group),
    /// A dataset.
    Dataset(Dataset),
    /// A committed (named) datatype.
    Datatype(Object),
}

impl Node {
    /// Open the object at `addr` and classify it.
    pub fn open(file: &File, addr: u64, path: String) -> Result<Node> {
        let obj = Object::open(file, addr, path)?;
        if obj.is_dataset() {
            Ok(Node::Dataset(Dataset::from_object(obj)?))
        } else if obj.is_group() {
            Ok(Node::Group(Group::from_object(obj)?))
        } else {
            Ok(Node::Datatype(obj))
        }
    }

    /// The underlying object.
    pub fn object(&self) -> &Object {
        match self {
            Node::Group(g) => g.object(),
            Node::Dataset(d) => d.object(),
            Node::Datatype(o) => o,
        }
    }

    /// The usage error "`path` is not a `what`".
    fn not_a(&self, what: &str) -> Error {
        Error::Usage(format!("{} is not a {what}", self.object().path()))
    }
}

impl File {
    /// Visit every object reachable from the root, depth first in h5py's order, calling
    /// `f(path, node)` once per object (a second hard link to a visited object is skipped;
    /// soft and external links are not followed). Nesting is capped by
    /// [`Limits::max_group_depth`]. Errors opening a child are passed to `f` as `Err`.
    pub fn walk(&self, mut f: impl FnMut(&str, Result<&Node>) -> Result<()>) -> Result<()> {
        let root = self.root()?;
        let mut seen = std::collections::HashSet::new();
        seen.insert(root.object().address());
        let node = Node::Group(root);
        f("/", Ok(&node))?;
        if let Node::Group(g) = &node {
            self.walk_group(g, 0, &mut seen, &mut f)?;
        }
        Ok(())
    }

    fn walk_group(
        &self,
        g: &Group,
        depth: u32,
        seen: &mut std::collections::HashSet<u64>,
        f: &mut impl FnMut(&str, Result<&Node>) -> Result<()>,
    ) -> Result<()> {
        if depth >= self.limits().max_group_depth {
            let lim = self.limits().max_group_depth;
            return f(
                g.path(),
                Err(Error::limit(
                    "max_group_depth",
                    lim as u64,
                    lim as u64 + 1,
                    None,
                )),
            );
        }
        for link in g.links()? {
            let LinkKind::Hard(addr) = link.kind else {
                continue;
            };
            if !seen.insert(addr) {
                continue;
            }
            let path = join_path(g.path(), &link.name);
            match Node::open(self, addr, path.clone()) {
                Ok(node) => {
                    f(&path, Ok(&node))?;
                    if let Node::Group(cg) = &node {
                        self.walk_group(cg, depth + 1, seen, f)?;
                    }
                }
                Err(e) => f(&path, Err(e))?,
            }
        }
        Ok(())
    }
}
