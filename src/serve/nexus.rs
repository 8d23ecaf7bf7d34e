//! The `/nexus/` API: h5grove's endpoints answered as the plain ones, except that PyMoDAQ
//! channel groups appear as NeXus `NXdata` groups (`NX_class`, `signal`, `axes`,
//! `<axis>_indices`, and the scan's `NavAxes` datasets as extra children, since h5web looks
//! `axes` names up among the group's own children) and the root gains `default`. Nothing is
//! written: the file stays what PyMoDAQ loads (`spec/serve.md`).

use super::h5grove::{self, Content, Resolve, ServeLimits, Served};
use super::http::{Request, Response};
use super::pyjson::{self, J};
use crate::hdf5::message::datatype::types;
use crate::pymodaq::nexus::{first_view, nxdata_view, NxView};

/// Most groups looked at for the root's `default`.
const DEFAULT_BUDGET: usize = 2000;

/// What a requested path is under the view.
enum Target {
    /// A real object, with the attributes the view lays over its own.
    Real(Content, Vec<(String, J)>, Option<NxView>),
    /// A virtual child: shown under `name` with the attributes laid over, answered by the real
    /// dataset.
    Virtual(Content, String, Vec<(String, J)>),
}

fn parent_and_name(path: &str) -> Option<(String, String)> {
    let comps: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let (last, parents) = comps.split_last()?;
    Some((format!("/{}", parents.join("/")), (*last).to_string()))
}

/// `long_name` as the view of `group` gives it to its child `name`.
fn long_name(view: &NxView, name: &str) -> Vec<(String, J)> {
    view.long_names
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, l)| vec![("long_name".to_string(), J::Str(l.clone()))])
        .unwrap_or_default()
}

/// The view's attributes of a group (`NXdata`), of the root (`default`), of a signal or axis
/// dataset (`long_name`).
fn extra_attrs(s: &Served, c: &Content) -> (Vec<(String, J)>, Option<NxView>) {
    let p = match c {
        Content::Group(p, _) => p,
        Content::Dataset(p, _) => {
            let extra = parent_and_name(p)
                .and_then(|(parent, name)| {
                    nxdata_view(&s.file, &parent).map(|v| long_name(&v, &name))
                })
                .unwrap_or_default();
            return (extra, None);
        }
        _ => return (Vec::new(), None),
    };
    let is_root = parent_and_name(p).is_none();
    if is_root {
        let extra = first_view(&s.file, DEFAULT_BUDGET)
            .map(|d| vec![("default".to_string(), J::Str(d))])
            .unwrap_or_default();
        return (extra, None);
    }
    let Some(v) = nxdata_view(&s.file, p) else {
        return (Vec::new(), None);
    };
    let mut extra = vec![
        ("NX_class".to_string(), J::Str("NXdata".into())),
        ("signal".to_string(), J::Str(v.signal.clone())),
        (
            "axes".to_string(),
            J::Arr(v.axes.iter().map(|a| J::Str(a.clone())).collect()),
        ),
    ];
    for (name, dim) in &v.indices {
        extra.push((
            format!("{name}_indices"),
            J::I(i64::try_from(*dim).unwrap_or(i64::MAX)),
        ));
    }
    (extra, Some(v))
}

fn target(s: &Served, path: &str, resolve: Resolve) -> Result<Target, Response> {
    match h5grove::content(s, path, resolve) {
        Ok(c) => {
            let (extra, view) = extra_attrs(s, &c);
            Ok(Target::Real(c, extra, view))
        }
        Err(not_found) if not_found.status == 404 => {
            let Some((parent, name)) = parent_and_name(path) else {
                return Err(not_found);
            };
            let view = nxdata_view(&s.file, &parent);
            let real = view.as_ref().and_then(|v| {
                v.virtual_children
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, p)| p.clone())
            });
            match (real, view) {
                (Some(rp), Some(v)) => {
                    let extra = long_name(&v, &name);
                    let c = h5grove::content(s, &rp, resolve)?;
                    Ok(Target::Virtual(c, name, extra))
                }
                _ => Err(not_found),
            }
        }
        Err(e) => Err(e),
    }
}

/// h5py's metadata of an attribute it would write for this value (str: variable-length
/// UTF-8; list of str: 1-D of those; int: int64).
fn attr_meta(name: &str, v: &J) -> J {
    let (shape, dt) = match v {
        J::Arr(items) => (J::Arr(vec![J::U(items.len() as u64)]), types::vlen_str()),
        J::I(_) => (J::Arr(Vec::new()), types::int(8, true)),
        _ => (J::Arr(Vec::new()), types::vlen_str()),
    };
    J::obj(vec![
        ("name", J::Str(name.to_string())),
        ("shape", shape),
        ("type", pyjson::type_metadata(&dt)),
    ])
}

fn set_key(m: &mut [(String, J)], key: &str, value: J) {
    if let Some(slot) = m.iter_mut().find(|(k, _)| k == key) {
        slot.1 = value;
    }
}

/// Lay `extra` over the `attributes` list of the metadata object `m` (same-named ones replaced,
/// the list kept sorted by name as h5grove sorts it).
fn overlay(m: &mut [(String, J)], extra: &[(String, J)]) {
    if extra.is_empty() {
        return;
    }
    if let Some((_, J::Arr(attrs))) = m.iter_mut().find(|(k, _)| k == "attributes") {
        attrs.retain(|a| !extra.iter().any(|(e, _)| e == attr_name(a)));
        attrs.extend(extra.iter().map(|(n, v)| attr_meta(n, v)));
        attrs.sort_by(|a, b| attr_name(a).cmp(attr_name(b)));
    }
}

fn meta(s: &Served, t: &Target) -> Result<J, Response> {
    let (c, name, extra, view) = match t {
        Target::Virtual(c, name, extra) => (c, Some(name), extra, None),
        Target::Real(c, extra, view) => (c, None, extra, view.as_ref()),
    };
    let mut j = h5grove::metadata(s, c, 1)?;
    let J::Obj(m) = &mut j else {
        return Ok(j);
    };
    if let Some(name) = name {
        set_key(m, "name", J::Str(name.clone()));
    }
    overlay(m, extra);
    if let Some(v) = view {
        if let Some((_, J::Arr(children))) = m.iter_mut().find(|(k, _)| k == "children") {
            // The signal's and axes' entries show their `long_name` too.
            for child in children.iter_mut() {
                if let J::Obj(cm) = child {
                    let n = cm
                        .iter()
                        .find_map(|(k, x)| match (k.as_str(), x) {
                            ("name", J::Str(n)) => Some(n.clone()),
                            _ => None,
                        })
                        .unwrap_or_default();
                    overlay(cm, &long_name(v, &n));
                }
            }
            for (vname, rp) in &v.virtual_children {
                let rc = h5grove::content(s, rp, Resolve::OnlyValid)?;
                let mut cj = h5grove::metadata(s, &rc, 0)?;
                if let J::Obj(cm) = &mut cj {
                    set_key(cm, "name", J::Str(vname.clone()));
                    overlay(cm, &long_name(v, vname));
                }
                children.push(cj);
            }
        }
    }
    Ok(j)
}

fn attr_name(a: &J) -> &str {
    match a {
        J::Obj(f) => f
            .iter()
            .find_map(|(k, v)| match (k.as_str(), v) {
                ("name", J::Str(n)) => Some(n.as_str()),
                _ => None,
            })
            .unwrap_or(""),
        _ => "",
    }
}

/// One `/nexus/` request: `e` is the plain endpoint (`/meta`, `/attr`, `/data`, `/stats`).
pub fn answer(
    s: &Served,
    e: &str,
    path: &str,
    resolve: Resolve,
    req: &Request,
    lim: &ServeLimits,
) -> Result<Response, Response> {
    let t = target(s, path, resolve)?;
    match (e, &t) {
        ("/meta", _) => Ok(Response::new(
            200,
            "application/json",
            meta(s, &t)?.to_bytes(),
        )),
        ("/attr", Target::Real(c, extra, _)) => {
            h5grove::attr_with(c, &req.args("attr_keys"), extra)
        }
        ("/attr", Target::Virtual(c, _, extra)) => {
            h5grove::attr_with(c, &req.args("attr_keys"), extra)
        }
        ("/data", Target::Real(c, ..) | Target::Virtual(c, ..)) => h5grove::data(c, req, lim),
        (_, Target::Real(c, ..) | Target::Virtual(c, ..)) => h5grove::stats(c, req, lim),
    }
}

/// `/nexus/paths/`: the plain list (`h5grove::path_list`) with each view's virtual children,
/// placed among the group's children by name (as `H5Lvisit` orders them).
pub fn with_virtual_paths(
    s: &Served,
    plain: Vec<J>,
    lim: &ServeLimits,
) -> Result<Vec<J>, Response> {
    let mut out: Vec<J> = Vec::with_capacity(plain.len());
    // Virtual entries waiting for their place: (group prefix `g/`, full path, name).
    let mut pending: Vec<(String, String, String)> = Vec::new();
    for entry in plain {
        let J::Str(p) = &entry else {
            out.push(entry);
            continue;
        };
        // Flush what sorts before this entry, or whose group's subtree has ended.
        pending.retain(|(prefix, full, name)| {
            let place = match p.strip_prefix(prefix.as_str()) {
                Some(rest) => {
                    let child = rest.split('/').next().unwrap_or(rest);
                    child > name.as_str()
                }
                None => true,
            };
            if place {
                out.push(J::Str(full.clone()));
            }
            !place
        });
        if let Some(v) = nxdata_view(&s.file, p) {
            let prefix = format!("{}/", p.trim_end_matches('/'));
            for (name, _) in v.virtual_children {
                pending.push((prefix.clone(), h5grove::join(p, &name), name));
            }
        }
        out.push(entry);
        if out.len() > lim.max_paths {
            return Err(Response::error(
                413,
                &format!("more than {} paths", lim.max_paths),
            ));
        }
    }
    out.extend(pending.into_iter().map(|(_, full, _)| J::Str(full)));
    Ok(out)
}
