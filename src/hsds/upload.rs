//! Copy an HDF5 file to a domain: once (`import`, `export` to a URL, the savers), or again
//! and again as the file grows (`record`), sending only what changed.
//!
//! A new domain is built under a staging name and published (linked under its own name) at
//! the end of the first sync. One [`Uploader::sync`] does, in this order:
//! 1. creates the groups and datasets the domain does not have yet (empty);
//! 2. sends data: first the datasets under a `NavAxes` group (axes), then the others
//!    (channels, logger rows); an extensible dataset that grew along its first dimension is
//!    resized and sent only its new rows; any other dataset is sent whole when its content
//!    changed;
//! 3. sets every attribute that changed, of all objects, in one request (HSDS applies one
//!    request's attributes together): PyMoDAQ's `shape` attributes, which record the rows
//!    an array holds, move in one step after the data they describe.
//!
//! Crash semantics (a writer killed mid-sync) are in `spec/hsds.md`.

// A selection is one range per dimension: a one-range selection of a rank-1 dataset is meant.
#![allow(clippy::single_range_in_vec_init)]

use std::collections::HashMap;
use std::ops::Range;

use serde_json::{json, Value as J};
use sha2::{Digest, Sha256};

use super::error::{HResult, HsdsError};
use super::http::Client;
use super::types;
use crate::hdf5::read::{Dataset, DataspaceKind, File, Group, LinkKind, Node};

mod json;
mod recording;
mod state;
use json::{attr_body, dset_doc, extensible, is_vlen, vlen_json};
pub(super) use recording::fill_is_nan;

/// Largest binary write of one request.
pub const SLAB_BYTES: u64 = 16 << 20;

/// What exists in the domain.
#[derive(Debug, Clone)]
struct Remote {
    id: String,
    collection: &'static str,
    /// The dataset's dims on the server.
    dims: Vec<u64>,
    /// Rows (dimension 0) of an extensible dataset the server holds equal to the local file's.
    valid: u64,
    /// Whether this dataset grows "extend first" (its fill value is NaN, see [`Uploader::sync`]).
    extend_first: bool,
    /// Hash of the data sent (non-extensible datasets).
    digest: Option<[u8; 32]>,
    /// Attribute name -> hash of the body sent.
    attrs: HashMap<String, [u8; 32]>,
}

impl Remote {
    fn group(id: String, digest: Option<[u8; 32]>, attrs: HashMap<String, [u8; 32]>) -> Remote {
        Remote {
            id,
            collection: "groups",
            dims: Vec::new(),
            valid: 0,
            extend_first: false,
            digest,
            attrs,
        }
    }
}

/// Sets the shapes of several datasets, `(id, dims)`, all of them or none when the writer
/// dies (see [`Uploader::with_shaper`]).
pub type Shaper = Box<dyn FnMut(&Client, &[(String, Vec<u64>)]) -> HResult<()> + Send>;

/// A domain kept equal to a local file.
pub struct Uploader {
    /// The domain objects are sent to: a staging domain until the first sync publishes it.
    c: Client,
    /// Until the first sync has ended: the domain to publish the staging domain as.
    publish: Option<Publish>,
    objs: HashMap<String, Remote>,
    /// Whether every sync re-sends datasets whose content changed (savers writing points);
    /// `record` only appends, so it skips the hashing.
    rehash: bool,
    shaper: Shaper,
    /// Local object header address -> the first path it was sent under (a second hard link
    /// to it is sent as a link, not as a copy).
    by_addr: HashMap<u64, String>,
    /// Extents of the datasets grown "extend first" set to their rows (not ahead of them,
    /// see [`Uploader::sync`]): the last copy of a recording, `hsds-sync ... final`.
    exact: bool,
    /// The next sync sets those extents to the rows (`record --append`: the rows beyond
    /// may hold an interrupted copy's values, never to be read as rows extended ahead).
    cut_ahead: bool,
}

impl std::fmt::Debug for Uploader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploader")
            .field("c", &self.c)
            .field("objects", &self.objs.len())
            .field("rehash", &self.rehash)
            .finish_non_exhaustive()
    }
}

/// Objects created by one sync: the paths created (their children are linked at once:
/// nobody reaches them yet) and the links, `(parent id, name, id, path)`, that make the new
/// subtrees under already visible groups appear, each whole, at the end of the creation.
#[derive(Default)]
struct NewNodes {
    fresh: std::collections::HashSet<String>,
    links: Vec<(String, String, String, String)>,
}

impl NewNodes {
    /// Where a new object goes: linked in a parent created by this sync, else anonymous
    /// (linked by [`Uploader::link_new`]).
    fn link<'a>(
        &self,
        parent_path: &str,
        parent: &'a str,
        name: &'a str,
    ) -> Option<(&'a str, &'a str)> {
        self.fresh.contains(parent_path).then_some((parent, name))
    }

    /// Note the object created at `path` (`id`): created anonymous (`linked` false), it is
    /// linked by [`Uploader::link_new`]; its children are linked at once.
    fn created(&mut self, linked: bool, parent: &str, name: &str, id: &str, path: &str) {
        if !linked {
            self.links
                .push((parent.into(), name.into(), id.into(), path.into()));
        }
        self.fresh.insert(path.into());
    }
}

/// Whether a path is an axis of a detector (`NavAxes/AxisNN`, or the `NavAxes` group).
fn is_axis(p: &str) -> bool {
    p.contains("/NavAxes") || p.contains("/Axis")
}

/// A new domain built under a staging name, then published under its own name (see
/// [`Uploader::create`]).
#[derive(Debug)]
struct Publish {
    target: Client,
    replace: bool,
}

/// The staging domain's name: next to the target (same folder, same permissions), named
/// after it and this process.
fn staging_domain(target: &Client) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}.{}.pymodaq-h5-partial-{}-{nanos}-{n}",
        target.url().folder(),
        target.url().file_name(),
        std::process::id()
    )
}

/// Publish the staging domain of `staging` as `target`: `target` becomes a domain of the
/// staging domain's root group (HSDS `linked_domain`, one request), then the staging name is
/// deleted, its root kept. A reader of `target` sees nothing, then the whole first state.
fn publish(staging: &Client, target: &Client, replace: bool) -> HResult<()> {
    if replace && target.exists()? {
        target.delete_domain()?;
    }
    let linked = json!({ "linked_domain": staging.url().domain });
    if let Err(e) = target.json("PUT", "/", &[], Some(&linked)) {
        let _ = staging.delete_domain();
        return Err(match e.status() {
            Some(409) => HsdsError::Status {
                url: target.url().to_string(),
                status: 409,
                message: "the domain exists (use --force to replace it)".into(),
            },
            _ => e,
        });
    }
    // Best effort: a staging name left behind (the server gone between the two requests)
    // shares the root; spec/hsds.md says how to remove it.
    let _ = staging.json("DELETE", "/", &[("keep_root", "1")], None);
    Ok(())
}

/// The in-process shaper: one request per dataset, in order.
fn shape_each(c: &Client, jobs: &[(String, Vec<u64>)]) -> HResult<()> {
    for (id, dims) in jobs {
        c.resize(id, dims)?;
    }
    Ok(())
}

pub(super) fn unsupported(c: &Client, what: impl Into<String>) -> HsdsError {
    HsdsError::Unsupported {
        url: c.url().to_string(),
        what: what.into(),
    }
}

/// A protocol error naming the domain's URL.
pub(super) fn protocol(c: &Client, reason: String) -> HsdsError {
    HsdsError::Protocol {
        url: c.url().to_string(),
        reason,
    }
}

fn local(c: &Client, path: &str, e: crate::Error) -> HsdsError {
    protocol(c, format!("reading the local copy at {path}: {e}"))
}

fn digest(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

/// How an existing domain is treated when a new one is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfExists {
    /// Refuse it (exit 1 in the CLI, as for an existing file).
    Refuse,
    /// Delete and create it again.
    Replace,
}

impl Uploader {
    /// A new domain (refusing or replacing an existing one). It is built under a staging
    /// name by the first [`Uploader::sync`], which then publishes it: a reader never sees
    /// the domain before its root has every attribute and the first sync's every object
    /// (PyMoDAQ's loader writes a missing `CLASS` attribute, which a read-only domain
    /// refuses). A replaced domain is deleted only at publication.
    pub fn create(c: Client, if_exists: IfExists) -> HResult<Uploader> {
        if if_exists == IfExists::Refuse && c.exists()? {
            return Err(HsdsError::Status {
                url: c.url().to_string(),
                status: 409,
                message: "the domain exists (use --force to replace it)".into(),
            });
        }
        let staging = c.for_domain(&staging_domain(&c));
        let root = staging.create_domain()?;
        let mut objs = HashMap::new();
        objs.insert("/".to_string(), Remote::group(root, None, HashMap::new()));
        let publish = Publish {
            target: c,
            replace: if_exists == IfExists::Replace,
        };
        Ok(Uploader::with_objects(staging, Some(publish), objs, true))
    }

    /// An uploader of the objects `objs` of the domain of `c`.
    fn with_objects(
        c: Client,
        publish: Option<Publish>,
        objs: HashMap<String, Remote>,
        rehash: bool,
    ) -> Uploader {
        Uploader {
            c,
            publish,
            objs,
            rehash,
            shaper: Box::new(shape_each),
            by_addr: HashMap::new(),
            exact: false,
            cut_ahead: false,
        }
    }

    /// Give up after a failed sync: delete the staging domain (not yet published) or the
    /// domain this uploader created and published.
    pub fn abandon(self) -> HResult<()> {
        self.c.delete_domain()
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.c
    }

    /// Bring the domain to the file's state (see the module doc for the order).
    pub fn sync(&mut self, f: &File) -> HResult<()> {
        let names = self
            .publish
            .as_ref()
            .map(|p| (self.c.url().domain.clone(), p.target.url().domain.clone()));
        match (self.sync_all(f), names) {
            (Err(e), Some((staging, target))) => Err(e.renamed(&staging, &target)),
            (r, _) => r,
        }
    }

    fn sync_all(&mut self, f: &File) -> HResult<()> {
        let mut groups = Vec::new();
        let mut datasets = Vec::new();
        let root = f.root().map_err(|e| local(&self.c, "/", e))?;
        let root_node = Node::Group(root.clone());
        if self.objs.get("/").is_some_and(|r| r.attrs.is_empty()) {
            // The root's attributes first: the domain was created without them.
            let (map, sent) = attr_docs(&self.c, "/", &root_node)?;
            if let Some(r) = self.objs.get("/") {
                let batch = [(
                    r.collection.to_string(),
                    r.id.clone(),
                    map.into_iter().collect(),
                )];
                self.c.put_attributes(&batch)?;
            }
            if let Some(r) = self.objs.get_mut("/") {
                r.attrs = sent;
            }
        }
        groups.push(("/".to_string(), root_node));
        let mut new = NewNodes::default();
        self.walk(f, &root, "/", 0, &mut groups, &mut datasets, &mut new)?;
        self.link_new(new)?;
        self.hand_over_extents(&datasets)?;
        // Data: channels first, axes last (a row whose time is written is complete).
        let (axes, rest): (Vec<_>, Vec<_>) = datasets.iter().partition(|(p, _)| is_axis(p));
        for (path, d) in rest.into_iter().chain(axes) {
            self.send_data(path, d)?;
        }
        // Attributes of every object, one request.
        let mut batch = Vec::new();
        let mut sent = Vec::new();
        for (path, node) in groups.iter().chain(datasets.iter()) {
            let obj = node.object();
            let attrs = obj.attributes().map_err(|e| local(&self.c, path, e))?;
            let Some(r) = self.objs.get(path.as_str()) else {
                continue;
            };
            let mut changed = Vec::new();
            for a in &attrs {
                let body = attr_body(&self.c, path, a)?;
                let h = digest(body.to_string().as_bytes());
                if r.attrs.get(&a.name) != Some(&h) {
                    changed.push((a.name.clone(), body));
                    sent.push((path.clone(), a.name.clone(), h));
                }
            }
            if !changed.is_empty() {
                batch.push((r.collection.to_string(), r.id.clone(), changed));
            }
        }
        self.c.put_attributes(&batch)?;
        for (p, n, h) in sent {
            if let Some(r) = self.objs.get_mut(&p) {
                r.attrs.insert(n, h);
            }
        }
        self.cut_ahead = false;
        if let Some(p) = self.publish.take() {
            publish(&self.c, &p.target, p.replace)?;
            self.c = p.target;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        f: &File,
        g: &Group,
        path: &str,
        depth: u32,
        groups: &mut Vec<(String, Node)>,
        datasets: &mut Vec<(String, Node)>,
        new: &mut NewNodes,
    ) -> HResult<()> {
        if depth > 256 {
            return Err(unsupported(
                &self.c,
                format!("{path}: groups nested too deeply"),
            ));
        }
        let links = g.links().map_err(|e| local(&self.c, path, e))?;
        let parent = self
            .objs
            .get(path)
            .map(|r| r.id.clone())
            .ok_or_else(|| unsupported(&self.c, format!("{path}: parent not created")))?;
        for l in links {
            let child = crate::hdf5::read::file::join_path(path, &l.name);
            // Links other than a first hard link to an object: one request each, as h5pyd
            // creates them (soft: `h5path`; external: `h5domain` = the file name as written).
            let other = match &l.kind {
                LinkKind::Soft(target) => Some(json!({ "h5path": target })),
                LinkKind::External { file, path: p } => {
                    Some(json!({ "h5path": p, "h5domain": file }))
                }
                LinkKind::UserDefined(t) => {
                    return Err(unsupported(
                        &self.c,
                        format!("{child}: a user-defined link (type {t})"),
                    ))
                }
                LinkKind::Hard(addr) => match self.by_addr.get(addr) {
                    Some(first) if *first != child => {
                        let Some(r) = self.objs.get(first.as_str()) else {
                            return Err(unsupported(&self.c, format!("{child}: link to {first}")));
                        };
                        Some(json!({ "id": r.id }))
                    }
                    _ => {
                        self.by_addr.insert(*addr, child.clone());
                        None
                    }
                },
            };
            if let Some(body) = other {
                if !self.objs.contains_key(&child) {
                    self.c.create_link(&parent, &l.name, &body)?;
                    self.objs.insert(
                        child,
                        Remote {
                            collection: "links",
                            ..Remote::group(String::new(), Some([0; 32]), HashMap::new())
                        },
                    );
                }
                continue;
            }
            let mut depth_ = 0;
            let node = f
                .follow(g, &l, &mut depth_)
                .map_err(|e| local(&self.c, &child, e))?;
            match &node {
                Node::Group(cg) => {
                    if !self.objs.contains_key(&child) {
                        // Created with its attributes in one request: a reader never sees
                        // a PyMoDAQ group without them.
                        let (map, sent) = attr_docs(&self.c, &child, &node)?;
                        let at = new.link(path, &parent, &l.name);
                        let id = self.c.create_group_at(at, &map)?;
                        new.created(at.is_some(), &parent, &l.name, &id, &child);
                        self.objs
                            .insert(child.clone(), Remote::group(id, None, sent));
                    }
                    groups.push((child.clone(), node.clone()));
                    self.walk(f, cg, &child, depth + 1, groups, datasets, new)?;
                }
                Node::Dataset(d) => {
                    if !self.objs.contains_key(&child) {
                        let mut doc = dset_doc(&self.c, &child, d)?;
                        let (mut map, mut sent) = attr_docs(&self.c, &child, &node)?;
                        let extend_first = self.new_dataset(d, &mut doc, &mut map, &mut sent);
                        let at = new.link(path, &parent, &l.name);
                        let id = self.c.create_dataset_at(at, &doc, &map)?;
                        new.created(at.is_some(), &parent, &l.name, &id, &child);
                        self.objs.insert(
                            child.clone(),
                            Remote {
                                id,
                                collection: "datasets",
                                dims: doc.dims.clone().unwrap_or_default(),
                                valid: 0,
                                extend_first,
                                digest: None,
                                attrs: sent,
                            },
                        );
                    }
                    datasets.push((child, node));
                }
                Node::Datatype(_) => {
                    return Err(unsupported(
                        &self.c,
                        format!("{child}: committed datatypes"),
                    ))
                }
            }
        }
        Ok(())
    }

    /// Link the subtrees a sync created under groups a reader already reaches, each built
    /// whole (every object with its attributes) before its link: a reader that finds a
    /// detector's `Data0D` finds its every channel, and its `NavAxes` with the time axis
    /// (the axes are linked first).
    fn link_new(&self, mut new: NewNodes) -> HResult<()> {
        new.links.sort_by_key(|(_, _, _, p)| !is_axis(p));
        for (parent, name, id, _) in &new.links {
            self.c.create_link(parent, name, &json!({ "id": id }))?;
        }
        Ok(())
    }

    fn send_data(&mut self, path: &str, node: &Node) -> HResult<()> {
        let Node::Dataset(d) = node else {
            return Ok(());
        };
        let Some(r) = self.objs.get(path).cloned() else {
            return Ok(());
        };
        let dims = d.shape().to_vec();
        if d.dataspace.kind == DataspaceKind::Null {
            return Ok(());
        }
        let first_time = r.digest.is_none();
        // An extensible dataset that changed along dimension 0 only: send the rows the server
        // lacks (after cutting back rows it holds but the file no longer has).
        if extensible(d) && r.dims.len() == dims.len() && r.dims.get(1..) == dims.get(1..) {
            let n = dims.first().copied().unwrap_or(0);
            let from = r.valid.min(n);
            let held = r.dims.first().copied().unwrap_or(0);
            if r.extend_first && held >= n && r.dims.get(1..) == dims.get(1..) {
                // The extent holds the rows already (the hand-over in `sync`): write them.
                self.send_rows(path, &r.id, d, from..n)?;
                if let Some(x) = self.objs.get_mut(path) {
                    x.valid = n;
                    x.digest = Some([0; 32]);
                }
                return Ok(());
            } else {
                if r.dims.first().copied().unwrap_or(0) != from {
                    let mut cut = dims.clone();
                    if let Some(x) = cut.first_mut() {
                        *x = from;
                    }
                    self.c.resize(&r.id, &cut)?;
                }
                self.append_rows(path, &r.id, d, from..n)?;
            }
            if let Some(x) = self.objs.get_mut(path) {
                x.dims = dims;
                x.valid = n;
                x.digest = Some([0; 32]);
            }
            return Ok(());
        }
        // Whole dataset: on the first sync, and when it changed (savers).
        if !first_time && !self.rehash {
            return Ok(());
        }
        if r.dims != dims {
            self.c.resize(&r.id, &dims)?;
        }
        // The first copy is streamed in slabs without hashing (the content is unknown to
        // the domain anyway); later syncs hash to send only what changed.
        let h = if first_time {
            None
        } else if is_vlen(&d.datatype) {
            let sel: Vec<Range<u64>> = dims.iter().map(|&x| 0..x).collect();
            let v = vlen_json(&self.c, path, d, &sel)?;
            Some(digest(v.to_string().as_bytes()))
        } else {
            let raw = d.read_raw().map_err(|e| local(&self.c, path, e))?;
            Some(digest(&raw))
        };
        if first_time || r.digest != h {
            let n = dims.first().copied().unwrap_or(1);
            if dims.is_empty() && is_vlen(&d.datatype) {
                let v = vlen_json(&self.c, path, d, &[])?;
                self.c.write_json(&r.id, &[], &v)?;
            } else if dims.is_empty() {
                let raw = d.read_raw().map_err(|e| local(&self.c, path, e))?;
                let mut p = Vec::new();
                match types::packed(&d.datatype) {
                    Some(_) => types::repack(&d.datatype, &raw, &mut p)
                        .map_err(|e| unsupported(&self.c, format!("{path}: {e}")))?,
                    None => p = raw,
                }
                self.c.write_binary(&r.id, &[], &p)?;
            } else {
                self.send_rows(path, &r.id, d, 0..n)?;
            }
        }
        let h = h.unwrap_or([0xff; 32]);
        if let Some(x) = self.objs.get_mut(path) {
            x.dims = dims;
            x.digest = Some(h);
        }
        Ok(())
    }

    /// Append rows `rows` (the domain holds `rows.start`), each request extending the shape
    /// together with its rows.
    fn append_rows(&self, path: &str, id: &str, d: &Dataset, rows: Range<u64>) -> HResult<()> {
        if rows.is_empty() || d.shape().iter().skip(1).any(|&x| x == 0) {
            return Ok(());
        }
        self.for_each_slab(
            path,
            d,
            rows,
            |sel, v| {
                let r = sel.first().cloned().unwrap_or(0..0);
                self.c.append_json(id, r.end - r.start, v)
            },
            |sel, raw| {
                let r = sel.first().cloned().unwrap_or(0..0);
                self.c.append_binary(id, r.end - r.start, raw)
            },
        )
    }

    fn send_rows(&self, path: &str, id: &str, d: &Dataset, rows: Range<u64>) -> HResult<()> {
        if rows.is_empty() || d.shape().contains(&0) {
            return Ok(());
        }
        self.for_each_slab(
            path,
            d,
            rows,
            |sel, v| self.c.write_json(id, sel, v),
            |sel, raw| self.c.write_binary(id, sel, raw),
        )
    }

    /// Rows `rows` of `d` in requests of at most [`SLAB_BYTES`] (4096 rows of a vlen
    /// dataset, as JSON; others as whole-row binary slabs whose selection starts with the rows).
    fn for_each_slab(
        &self,
        path: &str,
        d: &Dataset,
        rows: Range<u64>,
        mut json: impl FnMut(&[Range<u64>], &J) -> HResult<()>,
        mut binary: impl FnMut(&[Range<u64>], &[u8]) -> HResult<()>,
    ) -> HResult<()> {
        if is_vlen(&d.datatype) {
            // 4096 rows of at most 4096 elements... a request's JSON stays bounded by the
            // local file's own limits on what one selection reads.
            let inner: u64 = d.shape().iter().skip(1).product::<u64>().max(1);
            let step = (4096 / inner).max(1);
            let mut s = rows.start;
            while s < rows.end {
                let e = rows.end.min(s + step);
                let mut sel: Vec<Range<u64>> = vec![s..e];
                sel.extend(d.shape().iter().skip(1).map(|&x| 0..x));
                let v = vlen_json(&self.c, path, d, &sel)?;
                json(&sel, &v)?;
                s = e;
            }
            return Ok(());
        }
        let packed = types::packed(&d.datatype);
        let row = d
            .shape()
            .iter()
            .skip(1)
            .try_fold(d.datatype.size(), |a, &x| a.checked_mul(x))
            .ok_or_else(|| unsupported(&self.c, format!("{path}: too large")))?;
        if row > SLAB_BYTES {
            return Err(unsupported(
                &self.c,
                format!("{path}: rows of {row} bytes (more than {SLAB_BYTES} per request)"),
            ));
        }
        let per = (SLAB_BYTES / row.max(1)).max(1);
        let mut s = rows.start;
        while s < rows.end {
            let e = rows.end.min(s.saturating_add(per));
            let mut sel: Vec<Range<u64>> = vec![s..e];
            sel.extend(d.shape().iter().skip(1).map(|&x| 0..x));
            let raw = d
                .read_raw_selection(&sel)
                .map_err(|e| local(&self.c, path, e))?;
            if packed.is_some() {
                // HSDS stores compounds packed (as h5pyd writes a padded NumPy dtype).
                let mut p = Vec::with_capacity(raw.len());
                types::repack(&d.datatype, &raw, &mut p)
                    .map_err(|e| unsupported(&self.c, format!("{path}: {e}")))?;
                binary(&sel, &p)?;
            } else {
                binary(&sel, &raw)?;
            }
            s = e;
        }
        Ok(())
    }
}

/// The attribute documents of a local object and their digests (what `sync` compares).
fn attr_docs(
    c: &Client,
    path: &str,
    node: &Node,
) -> HResult<(super::objects::AttrMap, HashMap<String, [u8; 32]>)> {
    let attrs = node.object().attributes().map_err(|e| local(c, path, e))?;
    let mut map = serde_json::Map::new();
    let mut sent = HashMap::new();
    for a in &attrs {
        let body = attr_body(c, path, a)?;
        sent.insert(a.name.clone(), digest(body.to_string().as_bytes()));
        map.insert(a.name.clone(), body);
    }
    Ok((map, sent))
}
