//! NeXus hints computed on the fly for PyMoDAQ files (which carry none): what a NeXus
//! viewer needs to plot a data node with its axes, units and error bars.
//!
//! For a PyMoDAQ data node (`Data00`, `EnlData00`, ...; or a channel group, whose first data
//! node is taken) PyMoDAQ's own loader ([`DataLoader::load_data`]) gives the axes (signal
//! axes beside the data, navigation axes from the scan's `NavAxes`), the labels and units;
//! the hints say it as NeXus would (`NXdata`, `signal`, `axes` per dimension, `units`,
//! `long_name`), plus the path of the `ErrorNN` node holding the error bars.

use serde_json::{json, Value as J};

use crate::hdf5::read::{File, Node};
use crate::pymodaq::attrs::PyValue;
use crate::pymodaq::backend::H5Backend;
use crate::pymodaq::browsing::H5BrowserUtil;
use crate::pymodaq::legacy::{self, LegacyLoader};
use crate::pymodaq::load::DataLoader;

/// Largest data node (bytes) whose hints are computed (the loader reads the data).
pub const MAX_HINT_BYTES: u64 = 256 << 20;
/// Most axis values listed per axis.
const MAX_AXIS_VALUES: usize = 1 << 20;

/// A node's `data_type` attribute, decoded as PyMoDAQ decodes it (lower-case).
fn data_type(util: &H5BrowserUtil, path: &str) -> Option<String> {
    let attrs = util.get_h5_attributes(path).ok()?;
    attrs
        .attrs
        .iter()
        .find(|(k, _)| k == "data_type")
        .and_then(|(_, v)| match v {
            PyValue::Str(s) => Some(s.to_lowercase()),
            _ => None,
        })
}

/// `path` when `is_data` says it is a data node, or for a group the first (by name) data node
/// directly under it.
fn data_node_of(file: &File, path: &str, is_data: impl Fn(&str) -> bool) -> Option<String> {
    match file.get(path).ok()? {
        Node::Dataset(_) => is_data(path).then(|| path.to_string()),
        Node::Group(g) => {
            let mut links = g.links().ok()?;
            links.sort_by(|a, b| a.name.cmp(&b.name));
            links
                .into_iter()
                .map(|l| crate::hdf5::read::file::join_path(path, &l.name))
                .find(|p| is_data(p))
        }
        Node::Datatype(_) => None,
    }
}

fn label_units(label: &str, units: &str) -> String {
    if units.is_empty() {
        label.to_string()
    } else {
        format!("{label} ({units})")
    }
}

/// The hints for `path`, or `None` when it is not (and does not hold) a PyMoDAQ data node.
pub fn hints(file: &File, path: &str) -> Option<J> {
    // 1.x-3.x files: their data nodes and axes as that generation's loader finds them.
    let legacy = legacy::detect(file)
        .ok()
        .filter(|d| d.generation.is_legacy())
        .map(|d| LegacyLoader::new(file, d.generation));
    let node = match &legacy {
        Some(l) => data_node_of(file, path, |p| {
            l.backend().get_node(p).is_ok_and(|n| l.is_data_node(&n))
        })?,
        None => {
            let util = H5BrowserUtil::new(file);
            data_node_of(file, path, |p| {
                data_type(&util, p)
                    .is_some_and(|t| matches!(t.as_str(), "data" | "data_enlargeable" | "bkg"))
            })?
        }
    };
    let Node::Dataset(ds) = file.get(&node).ok()? else {
        return None;
    };
    if ds.len().saturating_mul(ds.datatype.size()) > MAX_HINT_BYTES {
        return Some(json!({"signal_path": node, "error": "data node too large for hints"}));
    }
    let loaded = match &legacy {
        Some(l) => l.load_data(&node),
        None => DataLoader::new(H5Backend::new(file)).load_data(&node, false, false),
    };
    let dwa = match loaded {
        Ok(d) => d,
        Err(e) => return Some(json!({"signal_path": node, "error": e.to_string()})),
    };
    let shape: Vec<usize> = dwa.shape().to_vec();
    let name = node.rsplit('/').next().unwrap_or("").to_string();
    let parent = node
        .rsplit_once('/')
        .map_or("/", |(p, _)| if p.is_empty() { "/" } else { p })
        .to_string();
    // The error bars: `ErrorBarNN` beside `DataNN` (PyMoDAQ's ErrorSaverLoader).
    let digits: String = name
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let errors_path = (!digits.is_empty())
        .then(|| {
            crate::hdf5::read::file::join_path(
                &parent,
                &format!(
                    "{}{digits}",
                    crate::pymodaq::model::DataType::Error.prefix()
                ),
            )
        })
        .filter(|p| matches!(file.get(p), Ok(Node::Dataset(_))));
    let signal_label = dwa
        .labels
        .first()
        .cloned()
        .unwrap_or_else(|| dwa.name.clone());
    // One axis name per data dimension, "." where there is none (NeXus `axes`).
    let mut axes_names = vec![J::String(".".into()); shape.len()];
    let mut axes = Vec::new();
    for ax in &dwa.axes {
        let dim = ax.index;
        let values = ax.get_data();
        let values: Vec<J> = values
            .iter()
            .take(MAX_AXIS_VALUES)
            .map(|&v| if v.is_finite() { json!(v) } else { J::Null })
            .collect();
        let axis_name = if ax.label.is_empty() {
            format!("axis{dim}")
        } else {
            ax.label.clone()
        };
        if let Some(slot) = axes_names.get_mut(dim) {
            if *slot == J::String(".".into()) {
                *slot = J::String(axis_name.clone());
            }
        }
        axes.push(json!({
            "name": axis_name,
            "dim": dim,
            "label": ax.label,
            "units": ax.units,
            "long_name": label_units(&ax.label, &ax.units),
            "values": values,
        }));
    }
    Some(json!({
        "NX_class": "NXdata",
        "signal": name,
        "signal_path": node,
        "group": parent,
        "axes": axes_names,
        "axis_info": axes,
        "shape": shape,
        "nav_indexes": dwa.nav_indexes,
        "dim": dwa.dim.as_str(),
        "distribution": dwa.distribution.as_str(),
        "name": dwa.name,
        "labels": dwa.labels,
        "units": dwa.units,
        "long_name": label_units(&signal_label, &dwa.units),
        "errors_path": errors_path,
    }))
}

/// A channel group seen as a NeXus `NXdata` group (what `serve`'s `/nexus/` API shows):
/// computed from attributes and shapes only (no data read), for files of PyMoDAQ 4.x and
/// later (1.x-3.x files keep their axes elsewhere: no view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NxView {
    /// Name of the signal dataset (a direct child of the group).
    pub signal: String,
    /// One name per dimension of the stored signal dataset, `.` where no axis fits.
    pub axes: Vec<String>,
    /// Each named axis and the dimension it describes (`<axis>_indices`).
    pub indices: Vec<(String, usize)>,
    /// Children the view adds: (name in the group, path of the real `NavAxes` dataset).
    pub virtual_children: Vec<(String, String)>,
    /// `long_name` of the signal and of each named axis (child name, "label (units)"), from
    /// PyMoDAQ's `label` and `units` attributes: what h5web labels a plot's axes with.
    pub long_names: Vec<(String, String)>,
}

/// A `str` attribute decoded as PyMoDAQ decodes it (empty when absent or not a `str`).
fn str_attr(util: &H5BrowserUtil, path: &str, key: &str) -> String {
    match int_attr(util, path, key) {
        Some(PyValue::Str(s)) => s,
        _ => String::new(),
    }
}

/// `label (units)` of the node at `path`, its name when it has no label.
fn node_long_name(util: &H5BrowserUtil, path: &str, name: &str) -> String {
    let label = str_attr(util, path, "label");
    let label = if label.is_empty() {
        name.to_string()
    } else {
        label
    };
    label_units(&label, &str_attr(util, path, "units"))
}

/// An `int` attribute as PyMoDAQ writes it (`index`).
fn int_attr(util: &H5BrowserUtil, path: &str, key: &str) -> Option<PyValue> {
    let attrs = util.get_h5_attributes(path).ok()?;
    attrs
        .attrs
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// The 1-D length of the dataset at `path`.
fn length_1d(file: &File, path: &str) -> Option<u64> {
    match file.get(path).ok()? {
        Node::Dataset(d) => match d.shape() {
            [n] => Some(*n),
            _ => None,
        },
        _ => None,
    }
}

/// Axis datasets directly under `group` (by name): (name, path, `index` attribute).
fn axis_children(file: &File, util: &H5BrowserUtil, group: &str) -> Vec<(String, String, usize)> {
    let Ok(Node::Group(g)) = file.get(group) else {
        return Vec::new();
    };
    let Ok(mut links) = g.links() else {
        return Vec::new();
    };
    links.sort_by(|a, b| a.name.cmp(&b.name));
    links
        .into_iter()
        .filter_map(|l| {
            let p = crate::hdf5::read::file::join_path(group, &l.name);
            if data_type(util, &p).as_deref() != Some("axis") {
                return None;
            }
            match int_attr(util, &p, "index")? {
                PyValue::Int(i) => Some((l.name, p, usize::try_from(i).ok()?)),
                _ => None,
            }
        })
        .collect()
}

/// The `NXdata` view of the channel group `group`, or `None` when it holds no PyMoDAQ data
/// node. The signal is the node `hints` takes; an axis names a dimension only when its length
/// equals the dimension's (an interrupted scan's longer `NavAxes` leave theirs unnamed).
pub fn nxdata_view(file: &File, group: &str) -> Option<NxView> {
    if is_legacy(file) {
        return None;
    }
    view_of(file, group)
}

fn is_legacy(file: &File) -> bool {
    legacy::detect(file)
        .ok()
        .is_some_and(|d| d.generation.is_legacy())
}

/// [`nxdata_view`] once the file is known not to be legacy.
fn view_of(file: &File, group: &str) -> Option<NxView> {
    let Node::Group(g) = file.get(group).ok()? else {
        return None;
    };
    let util = H5BrowserUtil::new(file);
    let signal_path = data_node_of(file, group, |p| {
        data_type(&util, p)
            .is_some_and(|t| matches!(t.as_str(), "data" | "data_enlargeable" | "bkg"))
    })?;
    let Node::Dataset(ds) = file.get(&signal_path).ok()? else {
        return None;
    };
    let dims: Vec<u64> = ds.shape().to_vec();
    let signal = signal_path.rsplit('/').next().unwrap_or("").to_string();
    let mut axes = vec![".".to_string(); dims.len()];
    let mut indices = Vec::new();
    let mut long_names = vec![(signal.clone(), node_long_name(&util, &signal_path, &signal))];
    let mut place = |axes: &mut Vec<String>, name: &str, dim: usize, len: Option<u64>| -> bool {
        let fits = len.is_some() && len == dims.get(dim).copied();
        match axes.get_mut(dim) {
            Some(slot) if fits && slot == "." => {
                *slot = name.to_string();
                indices.push((name.to_string(), dim));
                true
            }
            _ => false,
        }
    };
    // Signal axes: beside the data, `index` counting the stored dimensions.
    for (name, path, dim) in axis_children(file, &util, group) {
        if place(&mut axes, &name, dim, length_1d(file, &path)) {
            long_names.push((name.clone(), node_long_name(&util, &path, &name)));
        }
    }
    // Navigation axes: in the scan's `NavAxes`, `index` counting in the node's `nav_indexes`.
    let nav_indexes: Vec<usize> = int_attr(&util, &signal_path, "nav_indexes")
        .and_then(|v| v.int_items::<usize>().map(|it| it.flatten().collect()))
        .unwrap_or_default();
    let backend = H5Backend::new(file);
    let nav_group = backend.get_node(&signal_path).ok().and_then(|n| {
        DataLoader::new(H5Backend::new(file))
            .get_nav_group(&n)
            .ok()
            .flatten()
    });
    let mut virtual_children = Vec::new();
    if let Some(nav) = nav_group {
        let real: Vec<String> = g.links().ok()?.into_iter().map(|l| l.name).collect();
        for (name, path, k) in axis_children(file, &util, &nav.path) {
            let Some(&dim) = nav_indexes.get(k) else {
                continue;
            };
            // A name no real child has (nor an earlier virtual one).
            let mut vname = format!("nav_{name}");
            while real.contains(&vname) || virtual_children.iter().any(|(n, _)| *n == vname) {
                vname.push('_');
            }
            if place(&mut axes, &vname, dim, length_1d(file, &path)) {
                long_names.push((vname.clone(), node_long_name(&util, &path, &name)));
                virtual_children.push((vname, path));
            }
        }
    }
    Some(NxView {
        signal,
        axes,
        indices,
        virtual_children,
        long_names,
    })
}

/// The first group (depth first, by name) with an `NXdata` view: the file's NeXus `default`.
/// At most `budget` groups are looked at.
pub fn first_view(file: &File, budget: usize) -> Option<String> {
    if is_legacy(file) {
        return None;
    }
    let mut stack = vec!["/".to_string()];
    let mut seen = 0usize;
    while let Some(p) = stack.pop() {
        seen = seen.checked_add(1)?;
        if seen > budget {
            return None;
        }
        let Ok(Node::Group(g)) = file.get(&p) else {
            continue;
        };
        if p != "/" && view_of(file, &p).is_some() {
            return Some(p);
        }
        let Ok(mut links) = g.links() else {
            continue;
        };
        // Reverse order on the stack: the first name is visited first.
        links.sort_by(|a, b| b.name.cmp(&a.name));
        for l in links {
            if matches!(l.kind, crate::hdf5::read::LinkKind::Hard(_)) {
                stack.push(crate::hdf5::read::file::join_path(&p, &l.name));
            }
        }
    }
    None
}
