//! What a live recording (`record`, `pymodaq-h5 hsds-sync`) adds to an [`Uploader`]: float
//! arrays grown "extend first" (their extent runs ahead of the rows, rows extended and not
//! yet written read as the NaN fill value), the extents set to the rows by the last copy
//! (`final`) or by the guardian after a kill (`guard`), and `record --append` attaching to
//! the domain it continues (spec/hsds.md, "Crash semantics").

use std::collections::HashMap;

use serde_json::Value as J;

use super::super::error::HResult;
use super::super::http::Client;
use super::super::objects::{AttrMap, DsetDoc, LinkTarget};
use super::super::types;
use super::json::extensible;
use super::{attr_docs, is_axis, local, unsupported, Remote, Shaper, Uploader};
use crate::hdf5::read::{Dataset, Datatype, File, Group, LinkKind, Node};

/// The extent an extensible dataset grown "extend first" gets for `rows` local rows when
/// the server holds `cap` (see [`Uploader::sync`]): unchanged while the rows fit, else the
/// rows and as many again (16384 at least, 2^20 at most) ahead; `exact`: the rows.
fn extent_for(rows: u64, cap: u64, exact: bool) -> u64 {
    if exact {
        rows
    } else if rows <= cap {
        cap
    } else {
        rows.saturating_add(rows.clamp(1 << 14, 1 << 20))
    }
}

impl Uploader {
    /// An uploader for an existing domain that `local` (a fresh copy of it, see
    /// [`super::super::snapshot::download`]) mirrors: every object of `local` found at the
    /// same path in the domain is known as sent, attributes included. Reads only.
    pub fn attach(c: Client, copy: &File) -> HResult<Uploader> {
        let mut objs = HashMap::new();
        let root = c.root_id()?;
        let lroot = copy.root().map_err(|e| local(&c, "/", e))?;
        let node = Node::Group(lroot.clone());
        let attrs = attr_docs(&c, "/", &node)?.1;
        objs.insert(
            "/".to_string(),
            Remote::group(root.clone(), Some([0; 32]), attrs),
        );
        attach_group(&c, copy, &lroot, "/", &root, 0, &mut objs)?;
        Ok(Uploader::with_objects(c, None, objs, false))
    }

    /// After the local file was cut back (`record --append` repairing a torn or uncommitted
    /// end): the rows the server holds equal to the local file are at most the local rows.
    pub fn cap_valid(&mut self, file: &File) -> HResult<()> {
        for (path, r) in self.objs.iter_mut() {
            if r.collection != "datasets" {
                continue;
            }
            if let Ok(Node::Dataset(d)) = file.get(path) {
                if extensible(&d) {
                    r.valid = r.valid.min(d.shape().first().copied().unwrap_or(0));
                }
            }
        }
        self.cut_ahead = true;
        Ok(())
    }

    /// Use `shaper` to set the shapes of the datasets growing "extend first" (see
    /// [`Uploader::sync`]); the default sends one request per dataset from this process.
    /// `record` hands them to a process of their own, which finishes them even when the
    /// recorder is killed.
    pub fn with_shaper(mut self, shaper: Shaper) -> Uploader {
        self.shaper = shaper;
        self
    }

    /// Set the extents of the datasets grown "extend first" to their rows, not ahead of
    /// them (the last copy of a recording).
    pub fn exact_extents(mut self) -> Uploader {
        self.exact = true;
        self
    }

    /// Only append rows of extensible datasets after the first sync (a recording).
    pub fn append_only(mut self) -> Uploader {
        self.rehash = false;
        self
    }

    /// Set the extents of the datasets grown "extend first" that run ahead of their rows
    /// to the rows every one of them holds (the last complete copy's), the axes last: what
    /// the last copy of a recording does, for a recorder that was killed (spec/hsds.md).
    pub fn trim_extents(&mut self) -> HResult<()> {
        let grown = |r: &Remote| r.collection == "datasets" && r.extend_first;
        let Some(rows) = self
            .objs
            .values()
            .filter(|r| grown(r))
            .map(|r| r.valid)
            .min()
        else {
            return Ok(());
        };
        let mut jobs: Vec<(String, String, Vec<u64>)> = Vec::new();
        for (p, r) in &self.objs {
            if grown(r) && r.dims.first().is_some_and(|&n| n > rows) {
                let mut d = r.dims.clone();
                if let Some(n) = d.first_mut() {
                    *n = rows;
                }
                jobs.push((p.clone(), r.id.clone(), d));
            }
        }
        jobs.sort_by_key(|(p, _, _)| is_axis(p));
        for (p, id, d) in jobs {
            self.c.resize(&id, &d)?;
            if let Some(r) = self.objs.get_mut(&p) {
                r.dims = d;
            }
        }
        Ok(())
    }

    /// Set the shapes of the datasets growing "extend first" among `datasets`, all in one
    /// hand-over to the shaper. Their extent runs ahead of the rows (rows extended and not
    /// yet written read as the NaN fill value): h5pyd reads a dataset's shape, later its
    /// values, and reshapes them to the shape it read, which fails when the extent changed
    /// in between; ahead, it changes rarely. The last copy (and the guardian after a kill,
    /// `hsds-sync ... guard`) sets the extents to the rows.
    pub(super) fn hand_over_extents(&mut self, datasets: &[(String, Node)]) -> HResult<()> {
        let mut jobs = Vec::new();
        for (path, node) in datasets {
            let (Node::Dataset(d), Some(r)) = (node, self.objs.get(path.as_str())) else {
                continue;
            };
            if !(r.extend_first && extensible(d)) {
                continue;
            }
            let mut want = d.shape().to_vec();
            let cap = match (r.dims.get(1..) == want.get(1..), r.dims.first()) {
                (true, Some(&c)) => c,
                _ => 0,
            };
            if let Some(n) = want.first_mut() {
                *n = extent_for(*n, cap, self.exact || self.cut_ahead);
            }
            if r.dims != want {
                let shrink = want.first() < r.dims.first();
                jobs.push((path.clone(), r.id.clone(), want, shrink));
            }
        }
        // Growing, the axes first: a reader that reads a channel, then its time axis
        // (PyMoDAQ), finds an axis at least as long as the channel, which PyMoDAQ cuts to
        // the channel's rows. Shrinking (the last copy), the axes last, for the same reason.
        jobs.sort_by_key(|(p, _, _, shrink)| (*shrink, is_axis(p) == *shrink));
        if jobs.is_empty() {
            return Ok(());
        }
        let req: Vec<(String, Vec<u64>)> = jobs
            .iter()
            .map(|(_, id, d, _)| (id.clone(), d.clone()))
            .collect();
        (self.shaper)(&self.c, &req)?;
        for (path, _, dims, _) in jobs {
            if let Some(r) = self.objs.get_mut(&path) {
                r.valid = r.valid.min(dims.first().copied().unwrap_or(0));
                r.dims = dims;
            }
        }
        Ok(())
    }

    /// How a new dataset is created, given its document and attributes as in the local
    /// file: an extensible one empty (rows then arrive with their shape); in a recording,
    /// its float arrays with a NaN fill value. Returns whether it grows "extend first".
    pub(super) fn new_dataset(
        &self,
        d: &Dataset,
        doc: &mut DsetDoc,
        map: &mut AttrMap,
        sent: &mut HashMap<String, [u8; 32]>,
    ) -> bool {
        if !extensible(d) {
            return false;
        }
        if let Some(n) = doc.dims.as_mut().and_then(|x| x.first_mut()) {
            *n = 0;
        }
        // A recording extends its float arrays before writing their rows ("extend first",
        // spec/hsds.md): rows a kill left unwritten read as the fill value, so make that
        // NaN, never a plausible number.
        if !self.rehash && matches!(d.datatype, Datatype::FloatingPoint { .. }) {
            doc.fill = Some(types::float_json(f64::NAN));
        }
        let extend_first = !self.rehash && fill_is_nan(doc);
        if extend_first {
            // PyMoDAQ's `shape` attribute is the commit marker (its rows): an array created
            // empty says 0 rows, as PyMoDAQ's `create_earray` does; the commit (step 5)
            // sends the real one.
            if let Some(v) = map.get_mut("shape").and_then(|b| b.get_mut("value")) {
                if let Some(z) = v.as_str().and_then(zero_rows) {
                    *v = J::String(z);
                    sent.remove("shape");
                }
            }
        }
        extend_first
    }
}

/// PyMoDAQ 5's JSON envelope of an EARRAY's shape tuple, `{..., "data": "(5264, 1)"}`, with
/// 0 rows: `"(0, 1)"`. `None` when the text is not such an envelope.
fn zero_rows(text: &str) -> Option<String> {
    let env: J = serde_json::from_str(text).ok()?;
    if env.get("type").and_then(J::as_str) != Some("tuple") {
        return None;
    }
    let key = "\"data\": \"(";
    let at = text.find(key)? + key.len();
    let rest = text.get(at..)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let out = format!("{}0{}", text.get(..at)?, rest.get(digits..)?);
    // Still the same envelope, only the first number changed.
    let back: J = serde_json::from_str(&out).ok()?;
    (back.get("type") == env.get("type")).then_some(out)
}

/// Whether a dataset's fill value (as created) is NaN: rows extended but not yet written read
/// as NaN, never as plausible data.
pub(in crate::hsds) fn fill_is_nan(doc: &DsetDoc) -> bool {
    let Some(f) = &doc.fill else { return false };
    let mut raw = Vec::new();
    if types::element_to_raw(&doc.datatype, f, &mut raw).is_err() {
        return false;
    }
    match (&doc.datatype, raw.len()) {
        (Datatype::FloatingPoint { .. }, 8) => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&raw);
            // Either byte order: NaN has all exponent bits set in both readings.
            f64::from_le_bytes(b).is_nan() || f64::from_be_bytes(b).is_nan()
        }
        (Datatype::FloatingPoint { .. }, 4) => {
            let mut b = [0u8; 4];
            b.copy_from_slice(&raw);
            f32::from_le_bytes(b).is_nan() || f32::from_be_bytes(b).is_nan()
        }
        _ => false,
    }
}

/// [`Uploader::attach`]'s walk: the domain's objects at the paths of `g`'s children.
fn attach_group(
    c: &Client,
    f: &File,
    g: &Group,
    path: &str,
    id: &str,
    depth: u32,
    objs: &mut HashMap<String, Remote>,
) -> HResult<()> {
    if depth > 256 {
        return Err(unsupported(c, format!("{path}: groups nested too deeply")));
    }
    let remote: HashMap<String, LinkTarget> = c
        .links(id, 1 << 20)?
        .into_iter()
        .map(|l| (l.name, l.target))
        .collect();
    for l in g.links().map_err(|e| local(c, path, e))? {
        let child = crate::hdf5::read::file::join_path(path, &l.name);
        let Some(LinkTarget::Hard { id: rid, .. }) = remote.get(&l.name) else {
            continue;
        };
        if !matches!(l.kind, LinkKind::Hard(_)) {
            continue;
        }
        let mut depth_ = 0;
        let node = f
            .follow(g, &l, &mut depth_)
            .map_err(|e| local(c, &child, e))?;
        let attrs = attr_docs(c, &child, &node)?.1;
        match &node {
            Node::Group(cg) => {
                objs.insert(
                    child.clone(),
                    Remote::group(rid.clone(), Some([0; 32]), attrs),
                );
                attach_group(c, f, cg, &child, rid, depth + 1, objs)?;
            }
            Node::Dataset(d) => {
                let doc = c.dataset(rid)?;
                let dims = doc.dims.clone().unwrap_or_default();
                objs.insert(
                    child,
                    Remote {
                        id: rid.clone(),
                        collection: "datasets",
                        valid: if extensible(d) {
                            dims.first().copied().unwrap_or(0)
                        } else {
                            0
                        },
                        extend_first: extensible(d) && fill_is_nan(&doc),
                        dims,
                        digest: Some([0; 32]),
                        attrs,
                    },
                );
            }
            Node::Datatype(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extents_run_ahead_and_change_rarely() {
        assert_eq!(extent_for(1, 0, false), 16385);
        assert_eq!(extent_for(900, 16385, false), 16385);
        assert_eq!(extent_for(16386, 16385, false), 32772);
        assert_eq!(extent_for(3 << 20, 0, false), 4 << 20);
        assert_eq!(extent_for(900, 1025, true), 900);
        assert_eq!(extent_for(u64::MAX, 0, false), u64::MAX);
    }

    #[test]
    fn pymodaq_shape_envelopes_get_zero_rows() {
        let env = |d: &str| format!(r#"{{"module": "builtins", "type": "tuple", "data": "{d}"}}"#);
        assert_eq!(zero_rows(&env("(5264, 1)")), Some(env("(0, 1)")));
        assert_eq!(zero_rows(&env("(7,)")), Some(env("(0,)")));
        assert_eq!(zero_rows(&env("()")), None);
        assert_eq!(zero_rows("(5, 1)"), None);
        assert_eq!(zero_rows(r#"{"type": "list", "data": "(5,)"}"#), None);
    }
}
