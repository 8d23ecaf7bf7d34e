//! h5grove's endpoints over our reader: `/meta/`, `/attr/`, `/data/`, `/stats/`, `/paths/`,
//! answering with h5grove 4.x's JSON, status codes and content types.

use super::encode::{self, Num};
use super::http::{Request, Response};
use super::pyjson::{self, J};
use super::select;
use super::stats;
use crate::hdf5::message::dataspace::DataspaceKind;
use crate::hdf5::message::datatype::Datatype;
use crate::hdf5::message::{kind, Message};
use crate::hdf5::read::{Attribute, Dataset, File, Group, LinkKind, Node, Object};

/// Caps on what one request may make us read or send.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// Largest selection read for `/data/` and `/stats/` (bytes of the hull read).
    pub max_read: u64,
    /// Largest JSON response (elements rendered).
    pub max_json_elements: u64,
    /// Most paths listed by `/paths/`.
    pub max_paths: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            max_read: 512 << 20,
            max_json_elements: 20_000_000,
            max_paths: 1_000_000,
        }
    }
}

/// h5grove's `LinkResolution`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolve {
    /// `none`: links are returned as links.
    None,
    /// `only_valid` (default): valid links resolved, broken ones returned as links.
    OnlyValid,
    /// `all`: every link resolved; a broken one is a 404.
    All,
}

/// h5grove's `parse_link_resolution_arg`.
pub fn parse_resolve(arg: Option<&str>) -> Result<Resolve, Response> {
    let Some(raw) = arg else {
        return Ok(Resolve::OnlyValid);
    };
    match raw.to_lowercase().as_str() {
        "true" | "all" => Ok(Resolve::All),
        "false" | "none" => Ok(Resolve::None),
        "only_valid" => Ok(Resolve::OnlyValid),
        _ => Err(Response::error(
            422,
            &format!("{raw} is not a valid value for link resolution. Accepted values are: LinkResolution.ALL, LinkResolution.NONE or LinkResolution.ONLY_VALID"),
        )),
    }
}

fn internal(e: impl std::fmt::Display) -> Response {
    // h5grove answers every uncaught exception with a bare 500; ours says what failed.
    Response::error(500, &format!("Internal Server Error: {e}"))
}

/// A 200 answer holding `j`.
pub fn json(j: &J) -> Response {
    Response::new(200, "application/json", j.to_bytes())
}

/// What a path designates.
#[allow(clippy::large_enum_variant)] // built once per request
pub enum Content {
    /// A dataset.
    Dataset(String, Dataset),
    /// A group.
    Group(String, Group),
    /// A committed datatype.
    Datatype(String, Object),
    /// An unresolved soft link.
    Soft(String, String),
    /// An unresolved external link.
    External(String, String, String),
}

impl Content {
    fn path(&self) -> &str {
        match self {
            Content::Dataset(p, _) | Content::Group(p, _) | Content::Datatype(p, _) => p,
            Content::Soft(p, _) | Content::External(p, _, _) => p,
        }
    }

    fn name(&self) -> String {
        self.path().rsplit('/').next().unwrap_or("").to_string()
    }

    fn object(&self) -> Option<&Object> {
        match self {
            Content::Dataset(_, d) => Some(d.object()),
            Content::Group(_, g) => Some(g.object()),
            Content::Datatype(_, o) => Some(o),
            _ => None,
        }
    }
}

/// An open file and the name h5grove's messages use (`basename(filename)`).
pub struct Served {
    /// The file.
    pub file: File,
    /// Its base name.
    pub basename: String,
}

fn from_node(path: &str, node: Node) -> Content {
    match node {
        Node::Dataset(d) => Content::Dataset(path.to_string(), d),
        Node::Group(g) => Content::Group(path.to_string(), g),
        Node::Datatype(o) => Content::Datatype(path.to_string(), o),
    }
}

/// h5grove's `create_content` (with `get_entity_from_file`).
pub fn content(s: &Served, path: &str, resolve: Resolve) -> Result<Content, Response> {
    let not_found = || {
        Response::error(
            404,
            &format!("{path} is not a valid path in {}", s.basename),
        )
    };
    let comps: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let Some((last, parents)) = comps.split_last() else {
        let root = s.file.root().map_err(internal)?;
        return Ok(Content::Group(path.to_string(), root));
    };
    let parent_path = format!("/{}", parents.join("/"));
    let parent = match s.file.get(&parent_path) {
        Ok(Node::Group(g)) => g,
        Ok(_) => return Err(not_found()),
        Err(crate::Error::Usage(_)) => return Err(not_found()),
        Err(e) => return Err(internal(e)),
    };
    let link = parent.link(last).map_err(internal)?.ok_or_else(not_found)?;
    match &link.kind {
        LinkKind::Hard(_) => {
            let node = s.file.follow(&parent, &link, &mut 0).map_err(internal)?;
            Ok(from_node(path, node))
        }
        LinkKind::Soft(target) => {
            if resolve == Resolve::None {
                return Ok(Content::Soft(path.to_string(), target.clone()));
            }
            match s.file.follow(&parent, &link, &mut 0) {
                Ok(node) => Ok(from_node(path, node)),
                Err(_) if resolve == Resolve::OnlyValid => {
                    Ok(Content::Soft(path.to_string(), target.clone()))
                }
                Err(_) => Err(Response::error(
                    404,
                    &format!(
                        "Cannot resolve <SoftLink to \"{target}\"> at {path} of {}",
                        s.basename
                    ),
                )),
            }
        }
        // External links are never followed: their target may lie outside the served
        // folder (h5py would open it); they are listed as links.
        LinkKind::External { file, path: tp } => {
            if resolve == Resolve::All {
                return Err(Response::error(
                    404,
                    &format!("Cannot resolve <ExternalLink to \"{tp}\" in file \"{file}\" at {path} of {}", s.basename),
                ));
            }
            Ok(Content::External(
                path.to_string(),
                file.clone(),
                tp.clone(),
            ))
        }
        LinkKind::UserDefined(t) => Err(internal(format!("user-defined link type {t}"))),
    }
}

fn attr_meta(a: &Attribute) -> J {
    let shape = match a.dataspace.kind {
        DataspaceKind::Null => J::Null,
        _ => J::Arr(a.dataspace.dims.iter().map(|d| J::U(*d)).collect()),
    };
    J::obj(vec![
        ("name", J::Str(a.name.clone())),
        ("shape", shape),
        ("type", pyjson::type_metadata(&a.datatype)),
    ])
}

fn sorted_attrs(o: &Object) -> Result<Vec<Attribute>, Response> {
    let mut attrs = o.attributes().map_err(internal)?;
    attrs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(attrs)
}

/// h5grove's `metadata()` (keys sorted as its `sorted_dict`).
pub fn metadata(s: &Served, c: &Content, depth: u32) -> Result<J, Response> {
    let mut m: Vec<(String, J)> = vec![
        (
            "kind".into(),
            J::Str(
                match c {
                    Content::Dataset(..) => "dataset",
                    Content::Group(..) => "group",
                    Content::Datatype(..) => "datatype",
                    Content::Soft(..) => "soft_link",
                    Content::External(..) => "external_link",
                }
                .into(),
            ),
        ),
        ("name".into(), J::Str(c.name())),
    ];
    if let Some(o) = c.object() {
        let attrs = sorted_attrs(o)?;
        m.push((
            "attributes".into(),
            J::Arr(attrs.iter().map(attr_meta).collect()),
        ));
    }
    match c {
        Content::Soft(_, t) => m.push(("target_path".into(), J::Str(t.clone()))),
        Content::External(_, f, t) => {
            m.push(("target_file".into(), J::Str(f.clone())));
            m.push(("target_path".into(), J::Str(t.clone())));
        }
        Content::Dataset(_, d) => {
            m.push((
                "chunks".into(),
                d.chunks()
                    .map_or(J::Null, |c| J::Arr(c.iter().map(|x| J::U(*x)).collect())),
            ));
            let filters = if d.filters.filters.is_empty() {
                J::Null
            } else {
                J::Arr(
                    d.filters
                        .filters
                        .iter()
                        .map(|f| {
                            J::obj(vec![
                                ("id", J::U(u64::from(f.id))),
                                (
                                    "name",
                                    J::Str(crate::dump::filter_display_name(
                                        f.id,
                                        f.name.as_deref(),
                                    )),
                                ),
                            ])
                        })
                        .collect(),
                )
            };
            m.push(("filters".into(), filters));
            let shape = match d.dataspace.kind {
                DataspaceKind::Null => J::Null,
                _ => J::Arr(d.shape().iter().map(|x| J::U(*x)).collect()),
            };
            m.push(("shape".into(), shape));
            m.push(("type".into(), pyjson::type_metadata(&d.datatype)));
        }
        Content::Datatype(_, o) => {
            let dt = match o.first(kind::DATATYPE).map_err(internal)? {
                Some(Message::Datatype(dt)) => dt,
                _ => return Err(internal("committed datatype without a datatype message")),
            };
            m.push(("type".into(), pyjson::type_metadata(&dt)));
        }
        Content::Group(p, g) if depth > 0 => {
            let mut children = Vec::new();
            for link in g.links().map_err(internal)? {
                let cp = join(p, &link.name);
                // Children are always resolved with h5grove's default, only_valid.
                let cc = content(s, &cp, Resolve::OnlyValid)?;
                children.push(metadata(s, &cc, depth - 1)?);
            }
            m.push(("children".into(), J::Arr(children)));
        }
        _ => {}
    }
    m.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(J::Obj(m))
}

/// h5grove's `hdf_path_join`.
pub fn join(prefix: &str, name: &str) -> String {
    if prefix == "/" {
        format!("/{name}")
    } else {
        format!("{}/{name}", prefix.trim_end_matches('/'))
    }
}

fn attr_value(a: &Attribute) -> Result<J, Response> {
    if a.dataspace.kind == DataspaceKind::Null {
        return Ok(J::Null);
    }
    let vals = a.values().map_err(internal)?;
    let r = if a.dataspace.kind == DataspaceKind::Scalar {
        match vals.first() {
            Some(v) => pyjson::scalar_j(&a.datatype, v),
            None => Ok(J::Null),
        }
    } else {
        pyjson::array_j(&a.datatype, &vals, &a.dataspace.dims, false)
    };
    r.map_err(|_| internal("a value is not UTF-8"))
}

/// `/attr/`.
pub fn attr(c: &Content, keys: &[&str]) -> Result<Response, Response> {
    attr_with(c, keys, &[])
}

/// `/attr/` with `extra` attributes laid over the file's (replacing same-named ones in place,
/// the others after them): the `/nexus/` API's view.
pub fn attr_with(c: &Content, keys: &[&str], extra: &[(String, J)]) -> Result<Response, Response> {
    let Some(o) = c.object() else {
        return Err(internal(format!("{} is not a resolved entity", c.path())));
    };
    let attrs = o.attributes().map_err(internal)?;
    let over = |name: &str| {
        extra
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let mut out = Vec::new();
    if keys.is_empty() {
        for a in &attrs {
            let v = match over(&a.name) {
                Some(v) => v,
                None => attr_value(a)?,
            };
            out.push((a.name.clone(), v));
        }
        for (n, v) in extra {
            if !attrs.iter().any(|a| a.name == *n) {
                out.push((n.clone(), v.clone()));
            }
        }
    } else {
        for k in keys {
            // A repeated key appears once, at its first place (a Python dict).
            if out.iter().any(|(n, _)| n == k) {
                continue;
            }
            let v = match over(k) {
                Some(v) => v,
                None => {
                    let a = attrs
                        .iter()
                        .find(|a| a.name == *k)
                        .ok_or_else(|| internal(format!("no attribute {k:?}")))?;
                    attr_value(a)?
                }
            };
            out.push((k.to_string(), v));
        }
    }
    Ok(json(&J::Obj(out)))
}

/// A selection read: the raw bytes (C order, file byte order) and the result's shape.
struct Read {
    raw: Vec<u8>,
    plan: select::Plan,
}

fn read_sel(d: &Dataset, selection: Option<&str>, lim: &ServeLimits) -> Result<Read, Response> {
    let dims = d.shape().to_vec();
    let plan = match selection {
        None => select::Plan::all(&dims),
        Some(t) => {
            let members = select::parse(t).map_err(|e| internal(e.0))?;
            select::plan(&members, &dims, t).map_err(|e| internal(e.0))?
        }
    };
    let elem = usize::try_from(d.datatype.size()).map_err(internal)?;
    let hull_bytes = plan.hull_count().saturating_mul(elem as u64);
    if hull_bytes > lim.max_read {
        return Err(Response::error(
            413,
            &format!("selection too large: {hull_bytes} bytes to read, the limit is {} (narrow the selection)", lim.max_read),
        ));
    }
    let raw = d.read_raw_selection(&plan.hull).map_err(internal)?;
    let raw = plan.subsample(raw, elem);
    Ok(Read { raw, plan })
}

/// Decode raw element bytes into values.
fn values(
    d: &Dataset,
    dt: &Datatype,
    raw: &[u8],
    elem: usize,
) -> Result<Vec<crate::hdf5::read::Value>, Response> {
    let n = (raw.len() / elem.max(1)) as u64;
    crate::hdf5::read::attribute::decode_all(&d.object().file, dt, raw, d.object().address(), n)
        .map_err(internal)
}

/// What h5py returns for a selection, reduced to what the encoders need.
struct Selected {
    /// Element type of `raw` (for one vlen element picked by index: its base type).
    dt: Datatype,
    /// Bytes (C order, file byte order; NumPy scalars in little-endian, as NumPy keeps them).
    raw: Vec<u8>,
    /// Dataspace shape of the result (empty for a scalar).
    dims: Vec<u64>,
    /// A NumPy scalar rather than an array.
    scalar: bool,
}

fn select_data(
    d: &Dataset,
    selection: Option<&str>,
    lim: &ServeLimits,
) -> Result<Selected, Response> {
    let mut rd = read_sel(d, selection, lim)?;
    // Narrow or offset integers and non-IEEE floats: the values h5py reads after HDF5's
    // conversion, in the standard type's layout (as `dump` shows them).
    let std_dt = crate::hdf5::read::standard::standard_type(&d.datatype);
    if crate::hdf5::read::standard::needs_conversion(&d.datatype) {
        rd.raw = crate::hdf5::read::standard::standardize(&d.datatype, &rd.raw)
            .0
            .into_owned();
    }
    let mut scalar = rd.plan.scalar;
    if let (true, Datatype::VarLenSequence { base, .. }) = (scalar, &d.datatype) {
        // One element of a vlen dataset is a NumPy array of the base type.
        let file = &d.object().file;
        let bytes = file
            .inner
            .resolve_vlen(&rd.raw, d.object().address())
            .map_err(internal)?;
        let n = bytes.len() as u64 / base.size().max(1);
        return Ok(Selected {
            dt: (**base).clone(),
            raw: bytes,
            dims: vec![n],
            scalar: false,
        });
    }
    if matches!(d.datatype, Datatype::Array { .. }) {
        scalar = false;
    }
    let mut raw = rd.raw;
    if scalar {
        if let Some(n) = Num::of(&std_dt) {
            if n.kind != encode::Kind::Float || n.size != 2 {
                raw = n.make_safe(raw).1;
            } else if n.order == crate::hdf5::message::datatype::ByteOrder::BigEndian {
                raw.reverse();
            }
            let dt = le_type(&std_dt);
            return Ok(Selected {
                dt,
                raw,
                dims: Vec::new(),
                scalar,
            });
        }
    }
    Ok(Selected {
        dt: std_dt,
        raw,
        dims: rd.plan.shape,
        scalar,
    })
}

/// The same type in little-endian order (NumPy scalars are native-endian).
fn le_type(dt: &Datatype) -> Datatype {
    use crate::hdf5::message::datatype::ByteOrder::LittleEndian as LE;
    let mut t = dt.clone();
    match &mut t {
        Datatype::FixedPoint { order, .. }
        | Datatype::FloatingPoint { order, .. }
        | Datatype::Bitfield { order, .. } => *order = LE,
        Datatype::Enum { base, .. } | Datatype::Complex { base, .. } => **base = le_type(base),
        Datatype::Compound { members, .. } => members
            .iter_mut()
            .for_each(|m| m.datatype = le_type(&m.datatype)),
        _ => {}
    }
    t
}

/// `/data/`.
pub fn data(c: &Content, req: &Request, lim: &ServeLimits) -> Result<Response, Response> {
    let Content::Dataset(_, d) = c else {
        return Err(internal(format!("{} is not a dataset", c.path())));
    };
    let dtype = req.arg("dtype").map(str::trim);
    let format = req.arg("format").map(str::trim);
    let selection = req.arg("selection").map(str::trim);
    let flatten = req
        .arg("flatten")
        .map(str::trim)
        .is_some_and(|v| v.to_lowercase() != "false");
    let dtype_check = |numeric: bool| match dtype {
        None | Some("origin") => Ok(()),
        Some("safe") if numeric => Ok(()),
        Some("safe") => Err(Response::error(
            422,
            "Unsupported dtype safe for non-numeric data",
        )),
        Some(other) => Err(Response::error(422, &format!("Unsupported dtype {other}"))),
    };
    if d.dataspace.kind == DataspaceKind::Null {
        // h5py.Empty: JSON null; other encodings see a 0-d object array.
        if selection.is_some() {
            return Err(internal("empty datasets cannot be sliced"));
        }
        dtype_check(false)?;
        return match format {
            None | Some("json") => Ok(json(&J::Null)),
            Some(f @ ("npy" | "csv" | "tiff")) => Err(Response::error(
                422,
                &format!("Unsupported encoding {f} for non-numeric content"),
            )),
            Some("bin") => Err(internal("bin encoding of an empty dataset")),
            Some(other) => Err(Response::error(
                422,
                &format!("Unsupported encoding {other}"),
            )),
        };
    }
    // h5grove slices first (errors are 500s), then converts (422s), then encodes.
    let sel = select_data(d, selection, lim)?;
    let num = Num::of(&sel.dt);
    dtype_check(num.is_some())?;
    let mut shape = pyjson::numpy_shape(&sel.dt, &sel.dims);
    if flatten && !sel.scalar {
        shape = vec![shape.iter().product()];
    }
    match format {
        None | Some("json") => {
            let n = shape.iter().product::<u64>();
            if n > lim.max_json_elements {
                return Err(Response::error(413, &format!("{n} elements is too many for JSON (limit {}); use format=bin or a selection", lim.max_json_elements)));
            }
            let elem = usize::try_from(sel.dt.size()).map_err(internal)?;
            let vals = values(d, &sel.dt, &sel.raw, elem)?;
            let j = if sel.scalar {
                match vals.first() {
                    Some(v) => pyjson::scalar_j(&sel.dt, v),
                    None => Ok(J::Null),
                }
            } else {
                pyjson::array_j(&sel.dt, &vals, &sel.dims, flatten)
            };
            Ok(json(&j.map_err(|_| internal("a value is not UTF-8"))?))
        }
        Some("bin") => {
            let raw = match (num, dtype) {
                (Some(n), Some("safe")) => n.make_safe(sel.raw).1,
                _ => {
                    if sel.scalar && matches!(sel.dt, Datatype::VarLenString { .. }) {
                        // A scalar vlen string is a Python `bytes`: its bytes.
                        let v = values(d, &sel.dt, &sel.raw, sel.raw.len().max(1))?;
                        return match v.first() {
                            Some(crate::hdf5::read::Value::VarString(b)) => {
                                Ok(Response::new(200, "application/octet-stream", b.clone()))
                            }
                            _ => Err(internal("undecodable string")),
                        };
                    }
                    if sel.dt.is_variable_length() || matches!(sel.dt, Datatype::Reference { .. }) {
                        // h5py's object arrays: NumPy would send pointers.
                        return Err(internal(
                            "bin encoding of variable-length or reference data",
                        ));
                    }
                    if let (
                        Datatype::String {
                            padding: crate::hdf5::message::datatype::StringPadding::SpacePad,
                            ..
                        },
                        false,
                    ) = (&sel.dt, sel.scalar)
                    {
                        return Ok(Response::new(
                            200,
                            "application/octet-stream",
                            space_to_null(&sel.raw, sel.dt.size()),
                        ));
                    }
                    sel.raw
                }
            };
            Ok(Response::new(200, "application/octet-stream", raw))
        }
        Some(f @ ("npy" | "csv" | "tiff")) => {
            let Some(n) = num else {
                return Err(Response::error(
                    422,
                    &format!("Unsupported encoding {f} for non-numeric content"),
                ));
            };
            let (n, raw) = if dtype == Some("safe") {
                n.make_safe(sel.raw)
            } else {
                (n, sel.raw)
            };
            if f == "npy" {
                return Ok(Response::new(
                    200,
                    "application/octet-stream",
                    encode::npy(&n, &shape, &raw),
                )
                .with("Content-Disposition", "attachment; filename=\"data.npy\""));
            }
            if shape.is_empty() {
                return Err(Response::error(
                    422,
                    &format!("Unsupported encoding {f} for empty and scalar datasets"),
                ));
            }
            if f == "csv" {
                let body = encode::csv(&n, &shape, &raw)
                    .ok_or_else(|| internal("csv needs 1-D or 2-D data"))?;
                return Ok(Response::new(200, "text/csv", body)
                    .with("Content-Disposition", "attachment; filename=\"data.csv\""));
            }
            let body = encode::tiff(&n, &shape, &raw)
                .ok_or_else(|| internal("tiff needs 1-D or 2-D real data"))?;
            Ok(Response::new(200, "image/tiff", body)
                .with("Content-Disposition", "attachment; filename=\"data.tiff\""))
        }
        Some(other) => Err(Response::error(
            422,
            &format!("Unsupported encoding {other}"),
        )),
    }
}

/// HDF5 converts space-padded strings to NumPy's null padding on read.
fn space_to_null(raw: &[u8], size: u64) -> Vec<u8> {
    let mut out = raw.to_vec();
    for c in out.chunks_mut(size.max(1) as usize) {
        let keep = c.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
        c[keep..].iter_mut().for_each(|b| *b = 0);
    }
    out
}

/// `/stats/`.
pub fn stats(c: &Content, req: &Request, lim: &ServeLimits) -> Result<Response, Response> {
    let Content::Dataset(_, d) = c else {
        return Err(internal(format!("{} is not a dataset", c.path())));
    };
    if d.dataspace.kind == DataspaceKind::Null {
        return Err(internal("statistics of an empty dataset"));
    }
    let sel = select_data(d, req.arg("selection").map(str::trim), lim)?;
    if !sel.scalar && sel.dims.contains(&0) {
        // An empty selection of any type: every statistic is null.
        return Ok(json(
            &stats::stats(&stats::Nums::F64(Vec::new())).unwrap_or(J::Null),
        ));
    }
    let Some(num) = Num::of(&sel.dt) else {
        return Err(internal("statistics need numeric data"));
    };
    let nums = num
        .nums(&sel.raw)
        .ok_or_else(|| internal("statistics of this type"))?;
    let j = stats::stats(&nums)
        .ok_or_else(|| internal("cannot convert a non-finite complex statistic to an integer"))?;
    Ok(json(&j))
}

/// `/paths/`: the base path, then every link below it (HDF5's `H5Lvisit` order: by name,
/// depth first, each group entered once).
pub fn path_list(
    s: &Served,
    base: &str,
    resolve: Resolve,
    lim: &ServeLimits,
) -> Result<Vec<J>, Response> {
    let c = content(s, base, resolve)?;
    let Content::Group(_, g) = &c else {
        return Err(internal(format!("{} is not a group", c.path())));
    };
    let mut names = vec![J::Str(c.path().to_string())];
    let mut seen = std::collections::HashSet::new();
    seen.insert(g.object().address());
    visit(s, g, "", base, resolve, lim, &mut seen, &mut names, 0)?;
    Ok(names)
}

#[allow(clippy::too_many_arguments)]
fn visit(
    s: &Served,
    g: &Group,
    rel: &str,
    base: &str,
    resolve: Resolve,
    lim: &ServeLimits,
    seen: &mut std::collections::HashSet<u64>,
    names: &mut Vec<J>,
    depth: u32,
) -> Result<(), Response> {
    if depth > s.file.limits().max_group_depth {
        return Err(internal("group nesting too deep"));
    }
    let mut links = g.links().map_err(internal)?;
    links.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    for link in links {
        let r = if rel.is_empty() {
            link.name.clone()
        } else {
            format!("{rel}/{}", link.name)
        };
        let full = if base.is_empty() {
            format!("/{r}")
        } else {
            join(base, &r)
        };
        // h5grove builds each entry's content, which checks links under `resolve`; a
        // broken link raised inside h5py's visit comes out as a 500.
        let c = content(s, &full, resolve).map_err(|e| {
            if e.status == 404 {
                Response::error(500, "Internal Server Error")
            } else {
                e
            }
        })?;
        if names.len() >= lim.max_paths {
            return Err(Response::error(
                413,
                &format!("more than {} paths", lim.max_paths),
            ));
        }
        names.push(J::Str(c.path().to_string()));
        if let LinkKind::Hard(addr) = link.kind {
            if let Content::Group(_, child) = &c {
                if seen.insert(addr) {
                    visit(s, child, &r, base, resolve, lim, seen, names, depth + 1)?;
                }
            }
        }
    }
    Ok(())
}
