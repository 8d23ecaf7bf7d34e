//! The `load --json` document written while it is computed (`pymodaq-h5 load --json [--full]`):
//! byte for byte what `serde_json::to_string_pretty` gives for [`load_json_with`] (plus a
//! newline), but no array value is ever held as a JSON value: the tree's arrays are read slab
//! by slab (a first pass for their `sha256`, a second writing the values), and the data nodes
//! and `load_all` entries are loaded lazily ([`DataLoader::lazy`]) one at a time: their arrays
//! are read slab by slab the same way, never whole (`load_all` is walked twice: first to find
//! what it returns, reading every array once so a read error is met where the eager loader
//! meets it, then to write it). Memory is bounded by a few slabs, not by the file or the
//! largest node (a node with a background is the exception: the subtraction loads it).
//!
//! 1.x-3.x files (small, of their time) are written through [`load_json_with`].

use std::io::Write;

use serde_json::{json, Map, Value as J};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::hdf5::read::File;
use crate::pymodaq::attrs::PyValue;
use crate::pymodaq::backend::{H5Backend, NodeClass, PmdNode};
use crate::pymodaq::load::DataLoader;
use crate::pymodaq::model::{DataWithAxes, NdArray};

use super::load_json::{
    array_doc, arrays_json, attr_json, axis_json, backend_and_nodes, dwa_json_with, elem_json,
    is_single, load_json_with, role, Builder, Role, FORMAT, HEAD, MAX_LISTED, SLAB,
};
use crate::pymodaq::backend::LoadError;

/// A random number per process in the placeholders, so no string of a file can pass for one.
fn nonce() -> u64 {
    use std::hash::BuildHasher;
    static N: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *N.get_or_init(|| std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64))
}

/// The placeholder string standing for the values of `lazy[k]` in a document written pretty.
fn mark(k: usize) -> String {
    format!("\u{1}pymodaq-h5-array:{:016x}:{k}", nonce())
}

/// The start of a placeholder as serde_json writes it (the control character escaped).
fn needle() -> String {
    format!("\"\\u0001pymodaq-h5-array:{:016x}:", nonce())
}

/// The values behind a placeholder.
enum Lazy<'a> {
    Mem(&'a NdArray),
    Node(&'a H5Backend, &'a PmdNode),
}

fn io(e: std::io::Error) -> Error {
    Error::Io(e)
}

fn ser(e: serde_json::Error) -> Error {
    // serde_json gives back the writer's own io::Error (its kind kept: a closed pipe stays
    // `BrokenPipe`, which the CLI treats as the reader being done).
    Error::Io(std::io::Error::from(e))
}

/// Writes `text` with every line after the first indented by `indent` more spaces.
fn write_indented(out: &mut dyn Write, text: &str, indent: usize) -> Result<()> {
    let pad = " ".repeat(indent);
    let mut lines = text.split('\n');
    if let Some(first) = lines.next() {
        out.write_all(first.as_bytes()).map_err(io)?;
    }
    for l in lines {
        out.write_all(b"\n").map_err(io)?;
        out.write_all(pad.as_bytes()).map_err(io)?;
        out.write_all(l.as_bytes()).map_err(io)?;
    }
    Ok(())
}

/// One value of an array at `indent` (a complex value is itself a pretty array).
fn write_elem(out: &mut dyn Write, v: &J, indent: usize) -> Result<()> {
    if v.is_array() {
        let t = serde_json::to_string_pretty(v).map_err(ser)?;
        write_indented(out, &t, indent)
    } else {
        serde_json::to_writer(&mut *out, v).map_err(ser)
    }
}

/// The `[...]` of an array's values, its closing bracket at `indent`.
fn write_values(out: &mut dyn Write, lazy: &Lazy<'_>, indent: usize) -> Result<()> {
    let pad = " ".repeat(indent + 2);
    let mut first = true;
    let mut one = |out: &mut dyn Write, a: &NdArray| -> Result<()> {
        let single = is_single(a.dtype);
        for v in (0..a.len()).filter_map(|i| a.get(i)) {
            out.write_all(if first { b"[\n" } else { b",\n" })
                .map_err(io)?;
            first = false;
            out.write_all(pad.as_bytes()).map_err(io)?;
            write_elem(out, &elem_json(single, v), indent + 2)?;
        }
        Ok(())
    };
    match lazy {
        // A lazy array is read slab by slab and nothing is kept.
        Lazy::Mem(a) => {
            for piece in a.slabs(SLAB as usize) {
                let piece = piece?;
                let m = piece.len() / a.dtype.size().max(1);
                one(
                    &mut *out,
                    &NdArray::from_le_bytes(a.dtype, vec![m], piece.into_owned())?,
                )?;
            }
        }
        Lazy::Node(b, n) => {
            let ds = n.dataset().map_err(Error::from)?;
            for sel in crate::export::Slabs::new(ds, SLAB) {
                let a = b.read_slab(n, &sel).map_err(Error::from)?;
                one(&mut *out, &a)?;
            }
        }
    }
    if first {
        out.write_all(b"[]").map_err(io)?;
    } else {
        out.write_all(b"\n").map_err(io)?;
        out.write_all(" ".repeat(indent).as_bytes()).map_err(io)?;
        out.write_all(b"]").map_err(io)?;
    }
    Ok(())
}

/// Writes `v` pretty (as `serde_json::to_string_pretty`) at `indent`, each placeholder
/// replaced by the values of `lazy[k]`.
fn emit(out: &mut dyn Write, v: &J, indent: usize, lazy: &[Lazy<'_>]) -> Result<()> {
    let text = serde_json::to_string_pretty(v).map_err(ser)?;
    if lazy.is_empty() {
        return write_indented(out, &text, indent);
    }
    let needle = needle();
    let mut rest = text.as_str();
    let mut line_start = 0usize; // leading spaces of the current line of `text`
    while let Some(at) = rest.find(&needle) {
        let (before, after) = rest.split_at(at);
        write_indented(out, before, indent)?;
        if let Some(nl) = before.rfind('\n') {
            line_start = before[nl + 1..].len() - before[nl + 1..].trim_start().len();
        }
        let tail = &after[needle.len()..];
        let close = tail
            .find('"')
            .ok_or_else(|| Error::Usage("load --json: bad array placeholder".into()))?;
        let k: usize = tail[..close]
            .parse()
            .map_err(|_| Error::Usage("load --json: bad array placeholder".into()))?;
        let src = lazy
            .get(k)
            .ok_or_else(|| Error::Usage("load --json: unknown array placeholder".into()))?;
        write_values(out, src, indent + line_start)?;
        rest = &tail[close + 1..];
    }
    write_indented(out, rest, indent)
}

/// `{shape, dtype, sha256, values: placeholder k}` from an `<array>` written with a head.
fn lazy_array(j: &J, k: usize) -> J {
    json!({
        "shape": j.get("shape").cloned().unwrap_or(J::Null),
        "dtype": j.get("dtype").cloned().unwrap_or(J::Null),
        "sha256": j.get("sha256").cloned().unwrap_or(J::Null),
        "values": mark(k),
    })
}

/// Replaces the `<array>`s of `j[key]` holding more than [`MAX_LISTED`] values by
/// placeholders into `lazy`.
fn swap_arrays<'a>(j: &mut J, key: &str, arrays: &'a [NdArray], lazy: &mut Vec<Lazy<'a>>) {
    let Some(J::Array(items)) = j.get_mut(key) else {
        return;
    };
    for (slot, a) in items.iter_mut().zip(arrays) {
        if a.len() > MAX_LISTED {
            let k = lazy.len();
            lazy.push(Lazy::Mem(a));
            *slot = lazy_array(slot, k);
        }
    }
}

/// Every array of `d` read once, slab by slab, nothing kept: the read error an eager load
/// would have met.
fn check_arrays(d: &DataWithAxes) -> Result<()> {
    for a in d.data.iter().chain(d.errors.iter().flatten()) {
        if a.is_pending() {
            for piece in a.slabs(SLAB as usize) {
                piece?;
            }
        }
    }
    Ok(())
}

/// `<dwa>` with the values of its large arrays as placeholders into the returned list; its
/// arrays (lazy: read slab by slab) fail with the read error an eager load meets.
fn dwa_lazy(d: &DataWithAxes, full: bool) -> Result<(J, Vec<Lazy<'_>>)> {
    let mut j = dwa_json_with(d, false, &|v| arrays_json(v, false))?;
    let mut lazy = Vec::new();
    if !full {
        return Ok((j, lazy));
    }
    if let Some(axes) = j.get_mut("axes") {
        *axes = J::Array(d.axes.iter().map(|a| axis_json(a, true)).collect());
    }
    swap_arrays(&mut j, "data", &d.data, &mut lazy);
    if let Some(e) = &d.errors {
        swap_arrays(&mut j, "errors", e, &mut lazy);
    }
    Ok((j, lazy))
}

/// Pretty-printed `{`, fields and `}` written one at a time.
struct Obj {
    indent: usize,
    first: bool,
}

impl Obj {
    fn key(&mut self, out: &mut dyn Write, k: &str) -> Result<()> {
        out.write_all(if self.first { b"{\n" } else { b",\n" })
            .map_err(io)?;
        self.first = false;
        out.write_all(" ".repeat(self.indent + 2).as_bytes())
            .map_err(io)?;
        serde_json::to_writer(&mut *out, k).map_err(ser)?;
        out.write_all(b": ").map_err(io)
    }
    fn field(&mut self, out: &mut dyn Write, k: &str, v: &J, lazy: &[Lazy<'_>]) -> Result<()> {
        self.key(out, k)?;
        emit(out, v, self.indent + 2, lazy)
    }
    fn end(self, out: &mut dyn Write) -> Result<()> {
        if self.first {
            out.write_all(b"{}").map_err(io)
        } else {
            out.write_all(b"\n").map_err(io)?;
            out.write_all(" ".repeat(self.indent).as_bytes())
                .map_err(io)?;
            out.write_all(b"}").map_err(io)
        }
    }
}

/// Pretty-printed `[`, items and `]` written one at a time.
struct Arr {
    indent: usize,
    first: bool,
}

impl Arr {
    fn item(&mut self, out: &mut dyn Write) -> Result<()> {
        out.write_all(if self.first { b"[\n" } else { b",\n" })
            .map_err(io)?;
        self.first = false;
        out.write_all(" ".repeat(self.indent + 2).as_bytes())
            .map_err(io)
    }
    fn end(self, out: &mut dyn Write) -> Result<()> {
        if self.first {
            out.write_all(b"[]").map_err(io)
        } else {
            out.write_all(b"\n").map_err(io)?;
            out.write_all(" ".repeat(self.indent).as_bytes())
                .map_err(io)?;
            out.write_all(b"]").map_err(io)
        }
    }
}

/// The tree entry of a large array node, its values read slab by slab (`None`: anything
/// unusual, written by [`Builder::tree_entry`] instead, which reports it).
fn tree_array(b: &Builder<'_>, n: &PmdNode) -> Option<(J, PmdNode)> {
    let strict = b.backend.get_node(&n.path).ok()?;
    if !matches!(strict.class, NodeClass::CArray | NodeClass::EArray) {
        return None;
    }
    let ds = strict.dataset().ok()?;
    if ds.shape().is_empty() || ds.len() <= MAX_LISTED as u64 {
        return None;
    }
    let mut attrs = Map::new();
    for (k, v) in b.backend.attrs(&strict).ok()? {
        attrs.insert(k, attr_json(&v, b.full));
    }
    let mut h = Sha256::new();
    let mut dtype = None;
    let mut head = Vec::new();
    for sel in crate::export::Slabs::new(ds, SLAB) {
        let a = b.backend.read_slab(&strict, &sel).ok()?;
        dtype.get_or_insert(a.dtype);
        h.update(a.le_bytes());
        if !b.full && head.len() < HEAD {
            let single = is_single(a.dtype);
            head.extend(
                (0..a.len())
                    .filter_map(|i| a.get(i))
                    .take(HEAD - head.len())
                    .map(|v| elem_json(single, v)),
            );
        }
    }
    let dtype = J::String(dtype?.name().into());
    let vals = if b.full {
        J::String(mark(0))
    } else {
        J::Array(head)
    };
    let arr = array_doc(json!(ds.shape()), dtype, &h.finalize(), b.full, vals);
    let mut m = Map::new();
    m.insert("path".into(), J::String(n.path.clone()));
    m.insert("kind".into(), J::String(strict.class.as_str().into()));
    m.insert("attrs".into(), J::Object(attrs));
    m.insert("array".into(), arr);
    Some((J::Object(m), strict))
}

/// Whether a background node sits beside the data node `n` (both `load --json` writers).
pub(super) fn has_bkg(backend: &H5Backend, n: &PmdNode) -> bool {
    backend
        .parent(n)
        .ok()
        .flatten()
        .and_then(|p| backend.walk_nodes(&p).ok())
        .is_some_and(|ns| {
            ns.iter().any(|c| {
                backend
                    .attr(c, "data_type")
                    .ok()
                    .flatten()
                    .is_some_and(|v| v.as_str() == Some("bkg"))
            })
        })
}

/// [`load_json_with`]'s document written to `out` as it is computed (see the module); returns
/// whether some node failed. The text ends with a newline.
pub fn write_load_json(
    file: &File,
    name: &str,
    full: bool,
    tolerant: bool,
    out: &mut dyn Write,
) -> Result<bool> {
    let legacy = crate::pymodaq::legacy::detect(file)
        .ok()
        .filter(|d| d.generation.is_legacy());
    if legacy.is_some() {
        let (doc, had) = load_json_with(file, name, full, tolerant)?;
        emit(out, &doc, 0, &[])?;
        out.write_all(b"\n").map_err(io)?;
        return Ok(had);
    }
    let (backend, nodes) = backend_and_nodes(file, tolerant)?;
    // Arrays are lazy: read slab by slab for their sha256 and values, never held whole
    // (a node with a background is loaded eagerly: the subtraction needs both arrays).
    let eager = DataLoader::new(backend.clone());
    let mut b = Builder::new(&backend, DataLoader::new(backend.clone()).lazy(), full);
    let nodes = match nodes {
        Ok(n) => n,
        Err(e) => {
            let doc = json!({"format": FORMAT, "file": name, "error": e.py_string()});
            emit(out, &doc, 0, &[])?;
            out.write_all(b"\n").map_err(io)?;
            return Ok(true);
        }
    };

    let mut top = Obj {
        indent: 0,
        first: true,
    };
    top.field(out, "format", &J::String(FORMAT.into()), &[])?;
    top.field(out, "file", &J::String(name.into()), &[])?;

    top.key(out, "tree")?;
    let mut logs = Map::new();
    let mut data_paths = Vec::new();
    let mut axis_paths = Vec::new();
    let mut tree = Arr {
        indent: 2,
        first: true,
    };
    for n in &nodes {
        tree.item(out)?;
        match tree_array(&b, n) {
            Some((entry, strict)) => {
                let lazy = [Lazy::Node(&backend, &strict)];
                emit(out, &entry, 4, &lazy)?;
            }
            None => {
                let entry = b.tree_entry(n, &mut logs);
                emit(out, &entry, 4, &[])?;
            }
        }
        match role(&backend, n) {
            Some(Role::Data) => data_paths.push(n),
            Some(Role::Axis) => axis_paths.push(n),
            None => {}
        }
    }
    tree.end(out)?;
    top.field(out, "logs", &J::Object(logs), &[])?;

    top.key(out, "data_nodes")?;
    let mut dn = Arr {
        indent: 2,
        first: true,
    };
    for n in data_paths {
        dn.item(out)?;
        let mut e = Obj {
            indent: 4,
            first: true,
        };
        e.field(out, "path", &J::String(n.path.clone()), &[])?;
        // A read error of a lazy array (met computing its sha256, before anything of the
        // entry is written) is the error the eager load meets.
        let loaded = b.loader.load_data(&n.path, false, false);
        let first = match &loaded {
            Ok(d) => dwa_lazy(d, full).map_err(|e| LoadError::from(e).py_string()),
            Err(err) => Err(err.py_string()),
        };
        match first {
            Ok((j, lazy)) => {
                e.field(out, "dwa", &j, &lazy)?;
                drop(lazy);
                drop(loaded);
                if has_bkg(&backend, n) {
                    match eager.load_data(&n.path, true, false) {
                        Ok(d) => {
                            let (j, lazy) = dwa_lazy(&d, full)?;
                            e.field(out, "dwa_with_bkg", &j, &lazy)?;
                        }
                        Err(err) => {
                            b.had_errors = true;
                            let v = J::String(err.py_string());
                            e.field(out, "dwa_with_bkg_error", &v, &[])?;
                        }
                    }
                }
            }
            Err(msg) => {
                b.had_errors = true;
                e.field(out, "error", &J::String(msg), &[])?;
            }
        }
        e.end(out)?;
    }
    dn.end(out)?;

    let axis_nodes = b.axis_nodes(&axis_paths);
    top.field(out, "axis_nodes", &axis_nodes, &[])?;

    // load_all: first which DataWithAxes it returns (a later one of the same name and origin
    // replaces an earlier one), each dropped once seen; then each loaded again and written.
    let mut entries: Vec<(String, String, PyValue)> = Vec::new();
    let seen = b.loader.load_all_each("/", false, &mut |path, d| {
        check_arrays(&d)?;
        if let Some(pos) = entries
            .iter()
            .position(|(_, n, o)| *n == d.name && *o == d.origin)
        {
            entries.remove(pos);
        }
        entries.push((path.to_string(), d.name, d.origin));
        Ok(())
    });
    top.key(out, "load_all")?;
    match seen {
        Err(e) => {
            b.had_errors = true;
            emit(out, &json!({"error": e.py_string()}), 2, &[])?;
        }
        Ok(()) => {
            let mut la = Arr {
                indent: 2,
                first: true,
            };
            for (path, _, origin) in entries {
                let mut d = b
                    .loader
                    .load_data(&path, false, true)
                    .map_err(|e| Error::Usage(format!("{path}: {}", e.py_string())))?;
                d.origin = origin;
                la.item(out)?;
                let (j, lazy) = dwa_lazy(&d, full).map_err(|e| {
                    Error::Usage(format!("{path}: {}", LoadError::from(e).py_string()))
                })?;
                emit(out, &j, 4, &lazy)?;
            }
            la.end(out)?;
        }
    }
    top.end(out)?;
    out.write_all(b"\n").map_err(io)?;
    Ok(b.had_errors)
}
