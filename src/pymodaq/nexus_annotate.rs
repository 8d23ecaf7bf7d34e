//! NeXus hints written into a PyMoDAQ file (`annotate-nexus`, and the savers by default), so
//! h5web, silx and nexusformat plot each data node against its axes.
//!
//! The hints sit beside PyMoDAQ's own attributes and never replace one (PyMoDAQ classifies
//! nodes by `CLASS` and `data_type`, so its loaders ignore them):
//!
//! - each group holding PyMoDAQ data nodes (`data_type` `data` or `data_enlargeable`) gets
//!   `NX_class = "NXdata"`, `signal` (the first data node by name), `auxiliary_signals` (the
//!   others of the same shape), `axes` (one name per dimension of the stored dataset, `.` where
//!   the group holds no axis for it: navigation axes live in `NavAxes`, outside the group, and
//!   every placement beside the signal that h5web could resolve changes what some PyMoDAQ
//!   backend loads or lists, spec/cli.md "Navigation axes") and `AXISNAME_indices`;
//! - axis datasets get `long_name = "label (units)"`; PyMoDAQ's own `units` (a JSON envelope
//!   in 5.x files) keeps its name and value, so the units reach NeXus readers through
//!   `long_name`. Data datasets get none: PyMoDAQ loads every extra attribute of a data node
//!   into the DataWithAxes, so any hint there would change what it loads;
//! - the root and every group on the way to the first NXdata get `default` (the child to
//!   follow), the root `NX_class = "NXroot"`.
//!
//! An axis dataset is put on dimension `index` (its PyMoDAQ attribute) when the stored data
//! has that many dimensions and the axis has the length of that dimension; the same rule
//! [`super::nexus::hints`] follows through PyMoDAQ's loader. Nothing is read but attributes and
//! axis shapes, so a 1 GB file is annotated in milliseconds.

use std::collections::BTreeMap;
use std::path::Path;

use crate::hdf5::read::{File, Node};
use crate::hdf5::write::{AttrValue, Dtype, WriteOptions, WriteStorage, Writer};
use crate::pymodaq::attrs::PyValue;
use crate::pymodaq::backend::{AttrVal, H5Backend, NodeClass, PmdNode};
use crate::{Error, Result};

/// The hints of one NXdata group.
#[derive(Debug, Clone, PartialEq)]
pub struct NxData {
    /// The group's path.
    pub group: String,
    /// Name of the signal dataset (in `group`).
    pub signal: String,
    /// Names of the other data datasets of the same shape.
    pub auxiliary_signals: Vec<String>,
    /// One entry per dimension of the signal: an axis dataset name or `.`.
    pub axes: Vec<String>,
    /// `(axis dataset name, dimension)` for each named axis.
    pub indices: Vec<(String, usize)>,
    /// `(axis dataset path, "label (units)")`.
    pub long_names: Vec<(String, String)>,
    /// The signal's `distribution` (`uniform` or `spread`).
    pub distribution: String,
}

/// Every hint for one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NxPlan {
    /// The NXdata groups, in walk order.
    pub groups: Vec<NxData>,
    /// `(group path, child name)`: the `default` chain from the root to the first NXdata.
    pub defaults: Vec<(String, String)>,
}

fn str_of(v: &AttrVal) -> Option<String> {
    match v {
        AttrVal::Py(PyValue::Str(s)) => Some(s.clone()),
        AttrVal::Py(PyValue::Bytes(b)) => String::from_utf8(b.clone()).ok(),
        other => other.as_str().map(str::to_string),
    }
}

fn int_of(v: &AttrVal) -> Option<i128> {
    match v {
        AttrVal::Py(PyValue::Int(i)) => Some(*i),
        AttrVal::Py(PyValue::Numpy(n)) => match &*n.value {
            PyValue::Int(i) => Some(*i),
            _ => None,
        },
        _ => None,
    }
}

fn attr_str(b: &H5Backend, n: &PmdNode, name: &str) -> Option<String> {
    b.attr(n, name).ok().flatten().as_ref().and_then(str_of)
}

fn long_name(label: &str, units: &str) -> String {
    match (label.is_empty(), units.is_empty()) {
        (_, true) => label.to_string(),
        (true, false) => format!("({units})"),
        (false, false) => format!("{label} ({units})"),
    }
}

fn shape_of(n: &PmdNode) -> Option<Vec<u64>> {
    match &n.node {
        Node::Dataset(d) => Some(d.shape().to_vec()),
        _ => None,
    }
}

/// What the hints need of one array child of a group: its name and path, lower-cased
/// `data_type`, stored shape, and for axes their `index`, `label` and `units`.
#[derive(Debug, Clone)]
pub(crate) struct HintChild {
    pub name: String,
    pub path: String,
    pub data_type: String,
    pub shape: Option<Vec<u64>>,
    pub index: Option<usize>,
    pub label: String,
    pub units: String,
    pub distribution: String,
}

/// The hints for the group `group` from its typed array children (any order): the rule both
/// `annotate-nexus` (from the file) and the savers (from their tree model, as nodes are
/// created) follow, so a file gets the same hints either way.
pub(crate) fn hints_of_children(group: &str, mut typed: Vec<HintChild>) -> Option<NxData> {
    typed.sort_by(|x, y| x.name.cmp(&y.name));
    let mut data = typed
        .iter()
        .filter(|c| c.data_type == "data" || c.data_type == "data_enlargeable");
    let signal = data.next()?;
    let shape = signal.shape.clone()?;
    if shape.is_empty() {
        return None;
    }
    // No `long_name` on data nodes: PyMoDAQ loads every extra attribute of a data node into
    // the DataWithAxes (`extra_attributes`), so it would load differently.
    let mut long_names = Vec::new();
    let auxiliary_signals = data
        .filter(|c| c.shape.as_deref() == Some(&shape[..]))
        .map(|c| c.name.clone())
        .collect();
    let mut axes = vec![".".to_string(); shape.len()];
    let mut indices = Vec::new();
    for c in typed.iter().filter(|c| c.data_type == "axis") {
        let (Some(index), Some(ax_shape)) = (c.index, c.shape.as_ref()) else {
            continue;
        };
        // A 1-D axis (size-1 dimensions aside) of the length of that dimension.
        let len: u64 = ax_shape.iter().product();
        let one_d = ax_shape.iter().filter(|&&n| n != 1).count() <= 1;
        match (axes.get_mut(index), shape.get(index)) {
            (Some(slot), Some(&n)) if one_d && len == n && slot == "." => {
                *slot = c.name.clone();
                indices.push((c.name.clone(), index));
                long_names.push((c.path.clone(), long_name(&c.label, &c.units)));
            }
            _ => {}
        }
    }
    Some(NxData {
        group: group.to_string(),
        signal: signal.name.clone(),
        auxiliary_signals,
        axes,
        indices,
        long_names,
        distribution: signal.distribution.clone(),
    })
}

/// The hints for the group `g` (its direct children), if it holds PyMoDAQ data nodes.
fn group_hints(b: &H5Backend, g: &PmdNode) -> Result<Option<NxData>> {
    let children = b.children(g).map_err(Error::from)?;
    let typed: Vec<HintChild> = children
        .into_iter()
        .filter(|c| c.class.is_array())
        .filter_map(|c| {
            let data_type = attr_str(b, &c, "data_type")?.to_lowercase();
            let axis = data_type == "axis";
            let data = data_type == "data" || data_type == "data_enlargeable";
            Some(HintChild {
                index: if axis {
                    b.attr(&c, "index")
                        .ok()
                        .flatten()
                        .as_ref()
                        .and_then(int_of)
                        .and_then(|i| usize::try_from(i).ok())
                } else {
                    None
                },
                label: if axis {
                    attr_str(b, &c, "label").unwrap_or_default()
                } else {
                    String::new()
                },
                units: if axis {
                    attr_str(b, &c, "units").unwrap_or_default()
                } else {
                    String::new()
                },
                distribution: if data {
                    attr_str(b, &c, "distribution").unwrap_or_default()
                } else {
                    String::new()
                },
                shape: shape_of(&c),
                name: c.name,
                path: c.path,
                data_type,
            })
        })
        .collect();
    Ok(hints_of_children(&g.path, typed))
}

/// Whether the object at `path` already holds an attribute `name` that is not one of our
/// hints: a PyMoDAQ JSON envelope (`{"module": ...}`, a user's metadata that happens to carry a
/// hint's name) or a value of another kind than the hints' plain strings, string arrays and
/// integers. Such an attribute is never overwritten (the hint is left out instead).
fn foreign(file: &File, path: &str, name: &str) -> bool {
    let Some(obj) = file.get(path).ok() else {
        return true;
    };
    let obj = match &obj {
        Node::Group(g) => g.object(),
        Node::Dataset(d) => d.object(),
        Node::Datatype(_) => return true,
    };
    let Ok(attr) = obj.attribute(name) else {
        return true;
    };
    let Some(a) = attr else { return false };
    match a.values() {
        Ok(vals) => !vals.iter().all(|v| match v {
            crate::hdf5::read::Value::FixedString(b) | crate::hdf5::read::Value::VarString(b) => {
                !b.starts_with(b"{")
            }
            crate::hdf5::read::Value::Int(_) | crate::hdf5::read::Value::UInt(_) => true,
            _ => false,
        }),
        Err(_) => true,
    }
}

/// `plan` without the hints that would overwrite a foreign attribute ([`foreign`]): a group
/// whose NXdata attributes are taken is not made NXdata, a taken `default` ends the chain.
fn without_foreign(file: &File, mut plan: NxPlan) -> NxPlan {
    plan.groups.retain(|g| {
        !["NX_class", "signal", "axes", "auxiliary_signals"]
            .iter()
            .any(|n| foreign(file, &g.group, n))
            && !g
                .indices
                .iter()
                .any(|(a, _)| foreign(file, &g.group, &format!("{a}_indices")))
    });
    for g in &mut plan.groups {
        g.long_names.retain(|(p, _)| !foreign(file, p, "long_name"));
    }
    plan.defaults = default_chain(&plan.groups);
    if foreign(file, "/", "NX_class") {
        plan.defaults.clear();
    }
    // A broken chain would send viewers nowhere: all or nothing.
    if plan
        .defaults
        .iter()
        .any(|(g, _)| foreign(file, g, "default"))
    {
        plan.defaults.clear();
    }
    plan
}

/// The hints for every PyMoDAQ data group of `file` (read-only: attributes and shapes).
pub fn plan(file: &File) -> Result<NxPlan> {
    plan_all(file).map(|p| without_foreign(file, p))
}

fn plan_all(file: &File) -> Result<NxPlan> {
    let b = H5Backend::new(file).tolerant();
    let root = b.get_node("/").map_err(Error::from)?;
    let nodes = b.walk_nodes(&root).map_err(Error::from)?;
    let mut groups = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for g in nodes.iter().filter(|n| n.class == NodeClass::Group) {
        if !seen.insert(g.path.clone()) {
            continue;
        }
        if let Some(h) = group_hints(&b, g)? {
            groups.push(h);
        }
    }
    // Depth-first, by name: the first scan's first detector's first channel.
    groups.sort_by(|a, b| a.group.cmp(&b.group));
    Ok(NxPlan {
        groups,
        defaults: Vec::new(),
    })
}

/// The `default` chain from the root to the first NXdata group.
pub(crate) fn default_chain(groups: &[NxData]) -> Vec<(String, String)> {
    let mut defaults = Vec::new();
    if let Some(first) = groups.first() {
        let mut parent = String::from("/");
        for part in first.group.split('/').filter(|s| !s.is_empty()) {
            defaults.push((parent.clone(), part.to_string()));
            parent = crate::hdf5::read::file::join_path(&parent, part);
        }
    }
    defaults
}

/// A fixed-length string array attribute (h5py reads it as bytes, h5web and nexusformat as
/// text).
fn str_array(items: &[String]) -> AttrValue {
    let width = items.iter().map(|s| s.len()).max().unwrap_or(1).max(1);
    let mut data = Vec::with_capacity(width * items.len());
    for s in items {
        data.extend_from_slice(s.as_bytes());
        data.resize(data.len() + width - s.len(), 0);
    }
    AttrValue::Raw {
        dtype: Dtype::FixedStr(u32::try_from(width).unwrap_or(u32::MAX)),
        shape: vec![items.len() as u64],
        data,
    }
}

/// Write `plan` through `w` (each object's header rewritten once).
pub fn apply(w: &mut Writer, plan: &NxPlan) -> Result<()> {
    // Attributes per object, so each header is rewritten once.
    let mut per: BTreeMap<String, Vec<(String, AttrValue)>> = BTreeMap::new();
    if !plan.groups.is_empty() && !plan.defaults.is_empty() {
        per.entry("/".into())
            .or_default()
            .push(("NX_class".into(), AttrValue::Str("NXroot".into())));
    }
    for (g, child) in &plan.defaults {
        per.entry(g.clone())
            .or_default()
            .push(("default".into(), AttrValue::Str(child.clone())));
    }
    for h in &plan.groups {
        let e = per.entry(h.group.clone()).or_default();
        e.push(("NX_class".into(), AttrValue::Str("NXdata".into())));
        e.push(("signal".into(), AttrValue::Str(h.signal.clone())));
        if !h.auxiliary_signals.is_empty() {
            e.push(("auxiliary_signals".into(), str_array(&h.auxiliary_signals)));
        }
        e.push(("axes".into(), str_array(&h.axes)));
        for (name, dim) in &h.indices {
            e.push((
                format!("{name}_indices"),
                AttrValue::I64(i64::try_from(*dim).unwrap_or(i64::MAX)),
            ));
        }
        for (path, ln) in &h.long_names {
            if !ln.is_empty() {
                per.entry(path.clone())
                    .or_default()
                    .push(("long_name".into(), AttrValue::Str(ln.clone())));
            }
        }
    }
    for (path, attrs) in per {
        let refs: Vec<(&str, AttrValue)> =
            attrs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        w.set_attrs(&path, &refs)?;
    }
    Ok(())
}

/// What [`annotate_file`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotated {
    /// The hints written.
    pub plan: NxPlan,
}

/// Reads through to a file, keeps every write in memory: a dry run of the writer's edits, so
/// a refusal is found before the file is touched.
struct Overlay {
    file: std::fs::File,
    base_len: u64,
    len: u64,
    pages: BTreeMap<u64, Vec<u8>>,
}

const PAGE: u64 = 4096;

impl Overlay {
    fn page(&mut self, p: u64) -> std::io::Result<&mut Vec<u8>> {
        if !self.pages.contains_key(&p) {
            let mut buf = vec![0u8; PAGE as usize];
            let start = p * PAGE;
            if start < self.base_len {
                let n = (self.base_len - start).min(PAGE) as usize;
                crate::storage::read_exact_at(&self.file, start, &mut buf[..n])?;
            }
            self.pages.insert(p, buf);
        }
        self.pages
            .get_mut(&p)
            .ok_or_else(|| std::io::Error::other("overlay page"))
    }
}

impl WriteStorage for Overlay {
    fn len(&self) -> std::io::Result<u64> {
        Ok(self.len)
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|&e| e <= self.len)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "past end"))?;
        let mut at = offset;
        while at < end {
            let p = at / PAGE;
            let in_page = (at % PAGE) as usize;
            let n = ((PAGE - at % PAGE).min(end - at)) as usize;
            let dst = &mut buf[(at - offset) as usize..(at - offset) as usize + n];
            match self.pages.get(&p) {
                Some(page) => dst.copy_from_slice(&page[in_page..in_page + n]),
                None if at < self.base_len => {
                    let m = (self.base_len - at).min(n as u64) as usize;
                    crate::storage::read_exact_at(&self.file, at, &mut dst[..m])?;
                    dst[m..].fill(0);
                }
                None => dst.fill(0),
            }
            at += n as u64;
        }
        Ok(())
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        let mut at = offset;
        let end = offset
            .checked_add(data.len() as u64)
            .ok_or_else(|| std::io::Error::other("offset overflow"))?;
        while at < end {
            let in_page = (at % PAGE) as usize;
            let n = ((PAGE - at % PAGE).min(end - at)) as usize;
            let src = &data[(at - offset) as usize..(at - offset) as usize + n];
            self.page(at / PAGE)?[in_page..in_page + n].copy_from_slice(src);
            at += n as u64;
        }
        self.len = self.len.max(end);
        Ok(())
    }
    fn set_len(&mut self, n: u64) -> std::io::Result<()> {
        // Bytes past a shrink read back as zeros if the file grows again.
        if n < self.len {
            let first = n / PAGE;
            if !n.is_multiple_of(PAGE) {
                let cut = (n % PAGE) as usize;
                self.page(first)?[cut..].fill(0);
            }
            let drop_from = n.div_ceil(PAGE);
            self.pages.retain(|&p, _| p < drop_from);
            self.base_len = self.base_len.min(n);
        }
        self.len = n;
        Ok(())
    }
    fn sync(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Add the NeXus hints to the PyMoDAQ file at `path`, in place.
///
/// The edits are first run against an in-memory overlay of the file: when the writer refuses
/// anything (a layout it cannot edit, no data node to annotate), the file is left
/// byte-identical. The real run then goes through [`Writer::open`], whose commit order keeps
/// the file readable if the process dies midway (some hints present, none half-written).
pub fn annotate_file(path: &Path) -> Result<Annotated> {
    let plan = {
        let f = File::open(path)?;
        if !f.root()?.links()?.iter().any(|l| l.name == "RawData") {
            return Err(Error::Usage(
                "not a PyMoDAQ 4.x/5.x file (no /RawData group; 1.x-3.x files are not annotated)"
                    .into(),
            ));
        }
        plan(&f)?
    };
    if plan.groups.is_empty() {
        return Err(Error::Usage("no PyMoDAQ data node to annotate".into()));
    }
    {
        let file = std::fs::File::open(path)?;
        let base_len = file.metadata()?.len();
        let overlay = Overlay {
            file,
            base_len,
            len: base_len,
            pages: BTreeMap::new(),
        };
        let mut w = Writer::open_with_storage(Box::new(overlay), WriteOptions::default())?;
        apply(&mut w, &plan)?;
        w.close()?;
    }
    let mut w = Writer::open(path, WriteOptions::default())?;
    apply(&mut w, &plan)?;
    w.close()?;
    Ok(Annotated { plan })
}
