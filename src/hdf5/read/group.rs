//! Groups and their links, in h5py's iteration order.
//!
//! Three storages (spec IV.A.2.c/g/r): old-style symbol tables (v1 B-tree + SNOD + local
//! heap), compact link messages, and dense links (fractal heap indexed by a v2 B-tree).
//! The object header decides which one applies; the superblock's scratch-pad cache is never
//! trusted (quirk 20: it can be stale).

use crate::error::{Error, Result};
use crate::hdf5::io::Budget;
use crate::hdf5::message::kind;
use crate::hdf5::message::link::{LinkMessage, LinkTarget};
use crate::hdf5::message::link_info::LinkInfo;
use crate::hdf5::message::Message;
use crate::hdf5::{btree_v1, btree_v2, fractal_heap, local_heap};

use super::file::Object;

/// What a link points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkKind {
    /// Object header address.
    Hard(u64),
    /// Path (absolute or relative to the group).
    Soft(String),
    /// Object in another file.
    External {
        /// File name.
        file: String,
        /// Path in that file.
        path: String,
    },
    /// User-defined link type.
    UserDefined(u8),
}

/// One link of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Link name.
    pub name: String,
    /// Target.
    pub kind: LinkKind,
    /// Creation order, when tracked.
    pub creation_order: Option<u64>,
}

/// A group.
#[derive(Debug, Clone)]
pub struct Group {
    obj: Object,
}

impl Group {
    pub(crate) fn from_object(obj: Object) -> Result<Group> {
        Ok(Group { obj })
    }

    /// The attribute called `name` (a usage error when absent).
    pub fn attr(&self, name: &str) -> Result<super::Attribute> {
        self.object().attr(name)
    }

    /// The underlying object.
    pub fn object(&self) -> &Object {
        &self.obj
    }

    /// Path of the group.
    pub fn path(&self) -> &str {
        &self.obj.path
    }

    fn link_info(&self) -> Result<Option<LinkInfo>> {
        match self.obj.first(kind::LINK_INFO)? {
            Some(Message::LinkInfo(li)) => Ok(Some(li)),
            _ => Ok(None),
        }
    }

    /// Whether links are iterated in creation order (h5py's `track_order`).
    pub fn tracks_creation_order(&self) -> Result<bool> {
        Ok(self
            .link_info()?
            .is_some_and(|li| li.creation_order_tracked))
    }

    /// All links, in h5py's iteration order: by name bytes, or by creation order when the
    /// group tracks it.
    pub fn links(&self) -> Result<Vec<Link>> {
        Ok(self.links_shared()?.as_ref().clone())
    }

    /// The link called `name`, if any.
    pub fn link(&self, name: &str) -> Result<Option<Link>> {
        Ok(self
            .links_shared()?
            .iter()
            .find(|l| l.name == name)
            .cloned())
    }

    /// The listing, decoded once per open file and shared.
    fn links_shared(&self) -> Result<std::sync::Arc<Vec<Link>>> {
        let inner = self.obj.inner();
        let addr = self.obj.address();
        if let Ok(cache) = inner.links.lock() {
            if let Some(l) = cache.get(&addr) {
                return Ok(l.clone());
            }
        }
        let list = std::sync::Arc::new(self.read_links()?);
        if let Ok(mut cache) = inner.links.lock() {
            if cache.len() >= super::file::LINK_CACHE_GROUPS {
                cache.clear();
            }
            cache.insert(addr, list.clone());
        }
        Ok(list)
    }

    fn read_links(&self) -> Result<Vec<Link>> {
        let inner = self.obj.inner();
        let io = &inner.io;
        let mut budget = Budget::new(&io.limits);
        let mut links = Vec::new();
        let mut by_creation = false;
        if let Some(Message::SymbolTable(st)) = self.obj.first(kind::SYMBOL_TABLE)? {
            let heap = local_heap::read(io, st.local_heap_address)?;
            for e in btree_v1::group_entries(io, st.btree_address, &mut budget)? {
                let name =
                    String::from_utf8_lossy(heap.string_at(e.link_name_offset)?).into_owned();
                let kind = match e.soft_link_offset() {
                    Some(off) => LinkKind::Soft(
                        String::from_utf8_lossy(heap.string_at(off as u64)?).into_owned(),
                    ),
                    None => LinkKind::Hard(e.object_header_address),
                };
                links.push(Link {
                    name,
                    kind,
                    creation_order: None,
                });
            }
        } else {
            let li = self.link_info()?;
            by_creation = li.as_ref().is_some_and(|li| li.creation_order_tracked);
            let mut msgs: Vec<LinkMessage> = Vec::new();
            for m in self.obj.messages(kind::LINK) {
                if let Message::Link(l) = m? {
                    msgs.push(l);
                }
            }
            if let Some(li) =
                li.filter(|li| li.fractal_heap_address != crate::hdf5::cursor::UNDEFINED_ADDRESS)
            {
                let heap = fractal_heap::open(io, li.fractal_heap_address)?;
                let (_, records) = btree_v2::records(io, li.name_btree_address, &mut budget)?;
                for r in records {
                    // Type 5 record: 4-byte name hash, then the heap ID.
                    let id = r.bytes.get(4..).ok_or_else(|| {
                        Error::format("v2 B-tree link name record", r.at, "record too short")
                    })?;
                    let bytes = heap.get(io, id, &mut budget)?;
                    let mut c = io.cursor(&bytes, r.at, "link message (dense)");
                    msgs.push(LinkMessage::parse(&mut c, &io.limits)?);
                }
            }
            for l in msgs {
                let kind = match l.target {
                    LinkTarget::Hard(a) => LinkKind::Hard(a),
                    LinkTarget::Soft(s) => LinkKind::Soft(s),
                    LinkTarget::External { file, path } => LinkKind::External { file, path },
                    LinkTarget::UserDefined { link_type, .. } => LinkKind::UserDefined(link_type),
                };
                links.push(Link {
                    name: l.name,
                    kind,
                    creation_order: l.creation_order,
                });
            }
        }
        if by_creation {
            links.sort_by(|a, b| {
                a.creation_order
                    .cmp(&b.creation_order)
                    .then_with(|| a.name.cmp(&b.name))
            });
        } else {
            links.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        }
        Ok(links)
    }
}
