//! The tree model [`super::SaveBackend`] keeps while writing: each node's class, children
//! and attributes as PyMoDAQ would decode them, so savers find and count nodes without
//! reading the file back.

use crate::hdf5::write::DatasetId;
use crate::pymodaq::attrs::pyliteral::PyValue;
use crate::pymodaq::model::DType;

use super::NodeClass;

/// One node of the tree model.
#[derive(Debug, Clone)]
pub struct NodeRec {
    /// PyMoDAQ class.
    pub class: NodeClass,
    /// Child names, in creation order.
    pub children: Vec<String>,
    /// Attributes as PyMoDAQ decodes them (JSON attributes evaluated, raw strings as str).
    pub attrs: Vec<(String, PyValue)>,
    /// The logical shape PyMoDAQ tracks in the `shape` attribute (arrays only).
    pub shape: Vec<u64>,
    /// Element type (arrays other than string VLARRAYs).
    pub dtype: Option<DType>,
    pub(super) ds: Option<DatasetId>,
    pub(super) shape_dirty: bool,
    /// JSON attributes changed in the model but written only at the next flush.
    pub(super) deferred: Vec<String>,
}

impl NodeRec {
    pub(super) fn new(class: NodeClass) -> NodeRec {
        NodeRec {
            class,
            children: Vec::new(),
            attrs: Vec::new(),
            shape: Vec::new(),
            dtype: None,
            ds: None,
            shape_dirty: false,
            deferred: Vec::new(),
        }
    }

    /// A decoded attribute.
    pub fn attr(&self, name: &str) -> Option<&PyValue> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    pub(super) fn put_attr(&mut self, name: &str, v: PyValue) {
        match self.attrs.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = v,
            None => self.attrs.push((name.to_string(), v)),
        }
    }
}
