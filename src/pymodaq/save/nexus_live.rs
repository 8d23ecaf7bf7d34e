//! NeXus hints written while the savers create nodes, not only at close: the hints are static
//! (they name datasets and dimensions, never values), so a recording or scan killed midway
//! already opens in h5web/silx/nexusformat plotted against its axes.
//!
//! The hints are computed from the savers' tree model by the rule `annotate-nexus` follows on
//! a file ([`nexus_annotate::hints_of_children`]), and rewritten only when a group's hints
//! change (a new data node or axis in it). A hint name already set by the caller as a PyMoDAQ
//! attribute is never overwritten, as in `annotate-nexus`.

use std::collections::BTreeMap;

use crate::error::Result;
use crate::pymodaq::attrs::PyValue;
use crate::pymodaq::backend::write::join;
use crate::pymodaq::backend::SaveBackend;
use crate::pymodaq::nexus_annotate::{self, HintChild, NxData, NxPlan};

/// The hints written so far in one file.
#[derive(Debug, Default, Clone)]
pub(crate) struct LiveHints {
    written: BTreeMap<String, NxData>,
    /// The group the root's `default` chain leads to (the first NXdata by path).
    first: Option<String>,
}

fn py_str(v: &PyValue) -> Option<String> {
    match v {
        PyValue::Str(s) => Some(s.clone()),
        _ => None,
    }
}

fn py_index(v: &PyValue) -> Option<usize> {
    match v {
        PyValue::Int(i) => usize::try_from(*i).ok(),
        PyValue::Numpy(n) => py_index(&n.value),
        _ => None,
    }
}

/// The typed array children of `group` in the model.
fn children(b: &SaveBackend, group: &str) -> Vec<HintChild> {
    let Some(node) = b.node(group) else {
        return Vec::new();
    };
    node.children
        .iter()
        .filter_map(|name| {
            let path = join(group, name);
            let rec = b.node(&path)?;
            if !rec.class.is_array() {
                return None;
            }
            let data_type = rec.attr("data_type").and_then(py_str)?.to_lowercase();
            let s = |k: &str| rec.attr(k).and_then(py_str).unwrap_or_default();
            Some(HintChild {
                name: name.clone(),
                index: rec.attr("index").and_then(py_index),
                label: s("label"),
                units: s("units"),
                distribution: s("distribution"),
                shape: Some(rec.shape.clone()),
                path,
                data_type,
            })
        })
        .collect()
}

impl LiveHints {
    /// Write (or rewrite) the hints of `group` after a node was created in it.
    pub(crate) fn update(&mut self, b: &mut SaveBackend, group: &str) -> Result<()> {
        let Some(mut h) = nexus_annotate::hints_of_children(group, children(b, group)) else {
            return Ok(());
        };
        let taken = |path: &str, name: &str| b.node(path).is_some_and(|r| r.attr(name).is_some());
        if ["NX_class", "signal", "axes", "auxiliary_signals"]
            .iter()
            .any(|n| taken(group, n))
            || h.indices
                .iter()
                .any(|(a, _)| taken(group, &format!("{a}_indices")))
        {
            return Ok(());
        }
        h.long_names.retain(|(p, _)| !taken(p, "long_name"));
        if self.written.get(group) == Some(&h) {
            return Ok(());
        }
        let mut defaults = Vec::new();
        if self.first.as_deref().is_none_or(|f| group < f) {
            defaults = nexus_annotate::default_chain(std::slice::from_ref(&h));
            if taken("/", "NX_class") || defaults.iter().any(|(g, _)| taken(g, "default")) {
                defaults.clear();
            } else {
                self.first = Some(group.to_string());
            }
        }
        let plan = NxPlan {
            groups: vec![h.clone()],
            defaults,
        };
        nexus_annotate::apply(b.writer(), &plan)?;
        self.written.insert(group.to_string(), h);
        Ok(())
    }
}
