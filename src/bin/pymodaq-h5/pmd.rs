//! The PyMoDAQ side of the human commands: attribute values as PyMoDAQ decodes them, node
//! meaning (data type, dim, name, units), loading one DataWithAxes with a human error.

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::pymodaq::attrs::{repr, PyValue};
use pymodaq_h5::pymodaq::backend::{AttrVal, H5Backend, LoadError, NodeClass, PmdNode};
use pymodaq_h5::pymodaq::legacy::{self, Generation, LegacyLoader};
use pymodaq_h5::pymodaq::load::DataLoader;
use pymodaq_h5::pymodaq::model::DataWithAxes;

/// A backend for browsing: nodes missing `CLASS` are inferred (h5py's rules) instead of
/// failing as PyMoDAQ does on a read-only file; `check` reports them.
pub fn backend(f: &File) -> H5Backend {
    H5Backend::new(f).tolerant()
}

/// Whether the file has PyMoDAQ's `/RawData` group.
pub fn is_pymodaq(f: &File) -> bool {
    matches!(f.get("/RawData"), Ok(Node::Group(_)))
}

/// The PyMoDAQ generation when the file has a 1.x-3.x layout (loaded by `legacy`).
pub fn legacy_generation(f: &File) -> Option<Generation> {
    legacy::detect(f)
        .ok()
        .map(|d| d.generation)
        .filter(|g| g.is_legacy())
}

/// Whether PyMoDAQ wrote the file: 4.x/5.x (`/RawData`) or 1.x-3.x (`Raw_datas`).
pub fn is_any_pymodaq(f: &File) -> bool {
    is_pymodaq(f) || legacy_generation(f).is_some()
}

/// Fail with a sentence a person understands when the file is not a PyMoDAQ file.
pub fn require_pymodaq(f: &File, file: &std::path::Path) -> anyhow::Result<()> {
    if !is_any_pymodaq(f) {
        anyhow::bail!(
            "{}: this is not a PyMoDAQ file (no /RawData group) nor a PyMoDAQ 1.x-3.x file \
             (no Raw_datas layout); `tree`, `attrs`, `export` and `check` work on any HDF5 file",
            file.display()
        );
    }
    Ok(())
}

/// `show` and `plot` of `node` when it is not a plain numeric dataset: the file must be
/// PyMoDAQ's, else one sentence saying what these commands take.
pub fn require_data(f: &File, file: &std::path::Path, node: &str) -> anyhow::Result<()> {
    if !is_any_pymodaq(f) {
        let what = match f.get(node) {
            Ok(Node::Group(_)) => "is a group",
            Ok(_) => "is not a dataset",
            Err(_) => "does not exist",
        };
        anyhow::bail!(
            "{}: this is not a PyMoDAQ file (no /RawData group) nor a PyMoDAQ 1.x-3.x file \
             (no Raw_datas layout), and {node} {what}; `show` and `plot` take any numeric \
             dataset (`pymodaq-h5 tree FILE` lists them)",
            file.display()
        );
    }
    Ok(())
}

/// A Python value as PyMoDAQ's H5Browser shows it (`str(value)`): text as itself, bytes
/// decoded when UTF-8, anything else as its repr.
pub fn py_str(v: &PyValue) -> String {
    match v {
        PyValue::Str(s) => s.clone(),
        PyValue::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) => s.to_string(),
            Err(_) => repr(v),
        },
        PyValue::Numpy(n) => py_str(&n.value),
        other => repr(other),
    }
}

/// An attribute value as shown to a person.
pub fn attr_str(v: &AttrVal) -> String {
    match v {
        AttrVal::Empty | AttrVal::H5pyEmpty(_) => String::new(),
        AttrVal::Bytes { .. } => {
            let vals: Vec<String> = v
                .bytes_items()
                .iter()
                .map(|b| format!("{:?}", String::from_utf8_lossy(b)))
                .collect();
            format!("[{}]", vals.join(", "))
        }
        AttrVal::Array(a) => {
            let vals: Vec<String> = (0..a.len())
                .filter_map(|i| a.get(i))
                .map(|s| match s {
                    pymodaq_h5::pymodaq::model::Scalar::Float(x) => format!("{x}"),
                    other => format!("{}", other.as_f64()),
                })
                .collect();
            format!("[{}]", vals.join(", "))
        }
        AttrVal::Py(p) => py_str(p),
    }
}

/// One attribute of a node, decoded (`None` when absent or unreadable).
pub fn attr(b: &H5Backend, n: &PmdNode, name: &str) -> Option<String> {
    b.attr(n, name).ok().flatten().map(|v| attr_str(&v))
}

/// PyMoDAQ meaning of a node for `tree`: `[data Data1D 'det1D' CH00 (V)]`, `[axis 'x' (mm) index 0]`,
/// `[Logger strings]`, or nothing for plain nodes.
pub fn meaning(b: &H5Backend, n: &PmdNode) -> String {
    // 1.x-3.x name the role `type` (`data`, `axis`, `navigation_axis`, `bkg`); `data_type`
    // is their dimensionality ('0D'), today's role.
    let legacy_role = || {
        attr(b, n, "type")
            .filter(|t| matches!(t.as_str(), "data" | "axis" | "navigation_axis" | "bkg"))
    };
    let Some(dt) = legacy_role().or_else(|| attr(b, n, "data_type")) else {
        return String::new();
    };
    let title = match b.title(n) {
        Ok(t) => py_str(&t),
        Err(_) => String::new(),
    };
    let mut parts = vec![dt.clone()];
    if dt == "axis" {
        let label = attr(b, n, "label").unwrap_or_default();
        parts.push(format!("'{label}'"));
        if let Some(u) = attr(b, n, "units").filter(|u| !u.is_empty()) {
            parts.push(format!("({u})"));
        }
        if let Some(i) = attr(b, n, "index") {
            parts.push(format!("index {i}"));
        }
    } else {
        if let Some(d) = attr(b, n, "data_dimension") {
            parts.push(d);
        }
        if !title.is_empty() {
            parts.push(format!("'{title}'"));
        }
        if let Some(l) = attr(b, n, "label").filter(|l| !l.is_empty()) {
            parts.push(l);
        }
        if let Some(u) = attr(b, n, "units").filter(|u| !u.is_empty()) {
            parts.push(format!("({u})"));
        }
        if let Some(d) = attr(b, n, "distribution").filter(|d| d != "uniform") {
            parts.push(d);
        }
    }
    format!(" [{}]", parts.join(" "))
}

/// A load failure in words, keeping PyMoDAQ's exception for reference.
pub fn load_error(e: LoadError, path: &str) -> anyhow::Error {
    match e {
        LoadError::Hdf5(e) => anyhow::Error::new(e).context(path.to_string()),
        LoadError::Py(p) if p.exception == "NodeError" => {
            anyhow::anyhow!("{path}: no such node ({})", p.message)
        }
        LoadError::Py(p) if p.exception == "KeyError" && p.message == "'data_type'" => {
            anyhow::anyhow!(
                "{path}: not a PyMoDAQ data node (no data_type attribute); `pymodaq-h5 tree FILE` \
                 lists the data nodes"
            )
        }
        LoadError::Py(p) => anyhow::anyhow!("{path}: PyMoDAQ cannot load this node ({p})"),
    }
}

/// `DataLoader.load_data(path, with_bkg, load_all=False)`, the way H5Browser shows a node.
pub fn load_data(f: &File, path: &str, with_bkg: bool) -> anyhow::Result<DataWithAxes> {
    load_data_all(f, path, with_bkg, false)
}

/// `DataLoader.load_data(path, with_bkg, load_all)`: with `load_all`, every array of the node's
/// group in one DataWithAxes (H5Browser's viewer shows the channels together).
pub fn load_data_all(
    f: &File,
    path: &str,
    with_bkg: bool,
    load_all: bool,
) -> anyhow::Result<DataWithAxes> {
    if let Some(g) = legacy_generation(f) {
        // as the generation's own browser shows it (its background always subtracted)
        return LegacyLoader::new(f, g)
            .load_data(path)
            .map_err(|e| load_error(e, path));
    }
    let loader = DataLoader::new(backend(f));
    loader
        .load_data(path, with_bkg, load_all)
        .map_err(|e| load_error(e, path))
}

/// [`load_data_all`] with arrays read on first touch (`DataLoader::lazy`), so a caller that
/// streams them ([`crate::show::for_each_value`]) never holds a scan whole. `None` for
/// background subtraction and 1.x-3.x files, which need the values in memory.
pub fn load_data_lazy(
    f: &File,
    path: &str,
    with_bkg: bool,
    load_all: bool,
) -> Option<anyhow::Result<DataWithAxes>> {
    if with_bkg || legacy_generation(f).is_some() {
        return None;
    }
    Some(
        DataLoader::new(backend(f))
            .lazy()
            .load_data(path, false, load_all)
            .map_err(|e| load_error(e, path)),
    )
}

/// [`load_data_all`] at one navigation position (`at`: one index per navigation axis, in
/// dimension order): only the chunks holding it are read; the navigation dimensions keep
/// size 1. `None` for 1.x-3.x files (their loader reads the node whole).
pub fn load_data_at(
    f: &File,
    path: &str,
    with_bkg: bool,
    load_all: bool,
    at: &[usize],
) -> Option<anyhow::Result<DataWithAxes>> {
    if legacy_generation(f).is_some() {
        return None;
    }
    Some(
        DataLoader::new(backend(f))
            .at(at.to_vec())
            .load_data(path, with_bkg, load_all)
            .map_err(|e| load_error(e, path)),
    )
}

/// The node at `path` with its PyMoDAQ class.
pub fn node(b: &H5Backend, path: &str) -> anyhow::Result<PmdNode> {
    b.get_node(path).map_err(|e| load_error(e, path))
}

/// Every data node (`data_type` containing `data`, not `bkg`/`axis`/`error`) under `where_`.
pub fn data_nodes(b: &H5Backend, where_: &str) -> anyhow::Result<Vec<PmdNode>> {
    let start = node(b, where_)?;
    let mut out = Vec::new();
    for n in b.walk_nodes(&start).map_err(|e| load_error(e, where_))? {
        if n.class.is_array() && attr(b, &n, "data_type").is_some_and(|t| t.contains("data")) {
            out.push(n);
        }
    }
    Ok(out)
}

/// Whether a node is PyMoDAQ's Logger (a string VLARRAY).
pub fn is_logger(n: &PmdNode) -> bool {
    n.class == NodeClass::VLArray && n.is_string_array
}

/// A node as the backend sees it, for attribute decoding only (its class is not looked up).
pub fn wrap(node: &Node, path: &str) -> PmdNode {
    PmdNode {
        path: path.to_string(),
        name: path.rsplit('/').next().unwrap_or("").to_string(),
        class: NodeClass::Group,
        is_string_array: false,
        node: node.clone(),
    }
}

/// A float as Python's repr writes it (shortest round-trip, exponent for tiny/huge values).
pub fn num(x: f64) -> String {
    pymodaq_h5::pymodaq::attrs::pyliteral::float_repr(x)
}

/// A float to 6 significant digits, as C's `%g` (statistics).
pub fn g6(x: f64) -> String {
    if !x.is_finite() {
        return num(x);
    }
    if x == 0.0 {
        return "0".into();
    }
    // The exponent after rounding to 6 digits decides the form, as in C.
    let s = format!("{x:.5e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = e.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let m = m.trim_end_matches('0').trim_end_matches('.');
        format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        let decimals = (5 - exp).max(0) as usize;
        let s = format!("{x:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}
