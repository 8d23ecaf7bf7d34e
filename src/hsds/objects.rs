//! The domain's objects as HSDS's REST API serves them: the domain, groups and their links,
//! attributes, datasets (metadata, values, resizes), and their creation.

use std::ops::Range;

use serde_json::{json, Value as J};

use super::error::{HResult, HsdsError};
use super::http::{parse_json, Body, Client, MAX_JSON};
use super::types::{self, sanitize};
use crate::hdf5::message::datatype::Datatype;

/// Links or attributes fetched per listing request.
const PAGE: usize = 1000;

/// A link of a group.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkTarget {
    /// A hard link to an object of `collection` (`groups`, `datasets`, `datatypes`).
    Hard {
        /// Object id.
        id: String,
        /// Collection.
        collection: String,
    },
    /// A soft link to a path.
    Soft(String),
    /// An external link.
    External {
        /// The target domain.
        domain: String,
        /// The path in it.
        path: String,
    },
}

/// One link.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Link name.
    pub name: String,
    /// What it points to.
    pub target: LinkTarget,
}

/// One attribute as listed with its value.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrDoc {
    /// Name.
    pub name: String,
    /// Datatype.
    pub datatype: Datatype,
    /// `None` for a NULL dataspace, else dims (empty for scalar).
    pub dims: Option<Vec<u64>>,
    /// The JSON value (non-finite floats as marked strings).
    pub value: J,
}

/// A dataset's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct DsetDoc {
    /// Datatype.
    pub datatype: Datatype,
    /// `None` for a NULL dataspace, else dims (empty for scalar).
    pub dims: Option<Vec<u64>>,
    /// Max dims (`None` unlimited) when the dataset has any.
    pub maxdims: Option<Vec<Option<u64>>>,
    /// Chunk shape of a chunked layout.
    pub chunks: Option<Vec<u64>>,
    /// Fill value, as JSON.
    pub fill: Option<J>,
    /// Deflate level, when the dataset has that filter.
    pub deflate: Option<u32>,
}

fn proto(c: &Client, what: impl Into<String>) -> HsdsError {
    HsdsError::Protocol {
        url: c.url().to_string(),
        reason: what.into(),
    }
}

fn field<'a>(c: &Client, j: &'a J, k: &str) -> HResult<&'a J> {
    j.get(k)
        .ok_or_else(|| proto(c, format!("no `{k}` in the answer")))
}

fn str_of<'a>(c: &Client, j: &'a J, k: &str) -> HResult<&'a str> {
    field(c, j, k)?
        .as_str()
        .ok_or_else(|| proto(c, format!("`{k}` is not a string")))
}

/// Parse a JSON answer that may hold Python's `NaN` tokens.
fn get_lenient(c: &Client, path: &str, query: &[(&str, &str)]) -> HResult<J> {
    let bytes = c.request("GET", path, query, Body::None, false, MAX_JSON)?;
    parse_json(&sanitize(&bytes), &format!("{} (GET {path})", c.url()))
}

/// HSDS's `dims` of a shape document: `None` for H5S_NULL.
/// Dims (`None` for H5S_NULL) and max dims (`None` entries unlimited).
type Dims = (Option<Vec<u64>>, Option<Vec<Option<u64>>>);

/// Attribute documents by name.
pub type AttrMap = serde_json::Map<String, J>;

/// Attributes to set, per object: `(collection, id, [(name, {"type", "shape", "value"})])`.
pub type AttrBatch = [(String, String, Vec<(String, J)>)];

fn dims_of(c: &Client, shape: &J) -> HResult<Dims> {
    let class = shape
        .get("class")
        .and_then(J::as_str)
        .unwrap_or("H5S_SIMPLE");
    match class {
        "H5S_NULL" => Ok((None, None)),
        "H5S_SCALAR" => Ok((Some(Vec::new()), None)),
        _ => {
            let dims: Vec<u64> = field(c, shape, "dims")?
                .as_array()
                .filter(|a| a.len() <= 32)
                .ok_or_else(|| proto(c, "bad dims"))?
                .iter()
                .map(J::as_u64)
                .collect::<Option<_>>()
                .ok_or_else(|| proto(c, "bad dims"))?;
            let max = match shape.get("maxdims").and_then(J::as_array) {
                None => None,
                Some(a) if a.len() == dims.len() => Some(
                    a.iter()
                        .map(|m| match m {
                            J::String(s) if s == "H5S_UNLIMITED" => Ok(None),
                            J::Number(n) if n.as_u64() == Some(0) => Ok(None),
                            J::Number(n) => n.as_u64().map(Some).ok_or(()),
                            _ => Err(()),
                        })
                        .collect::<Result<Vec<_>, ()>>()
                        .map_err(|_| proto(c, "bad maxdims"))?,
                ),
                Some(_) => return Err(proto(c, "maxdims rank differs from dims")),
            };
            Ok((Some(dims), max))
        }
    }
}

fn datatype(c: &Client, j: &J) -> HResult<Datatype> {
    types::datatype_from_json(j).map_err(|e| HsdsError::Unsupported {
        url: c.url().to_string(),
        what: e,
    })
}

/// A link name as one URL path segment (percent-encoded but for unreserved characters).
fn link_segment(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `[a:b,c:d]`, HSDS's hyperslab selection.
pub fn select_param(sel: &[Range<u64>]) -> String {
    let parts: Vec<String> = sel
        .iter()
        .map(|r| format!("{}:{}", r.start, r.end))
        .collect();
    format!("[{}]", parts.join(","))
}

impl Client {
    /// The root group id of the domain (404 when there is no such domain).
    pub fn root_id(&self) -> HResult<String> {
        let j = self.get("/", &[])?;
        let root = j.get("root").and_then(J::as_str);
        match root {
            Some(r) => Ok(r.to_string()),
            None if j.get("class").and_then(J::as_str) == Some("folder") => {
                Err(proto(self, "this is a folder, not a domain"))
            }
            None => Err(proto(self, "no `root` in the domain's answer")),
        }
    }

    /// Whether the domain exists (a 404, or 410 for a deleted one, is `false`; other
    /// failures are errors).
    pub fn exists(&self) -> HResult<bool> {
        match self.get("/", &[]) {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() || e.status() == Some(410) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Create the domain (its folder must exist); returns the root group id.
    pub fn create_domain(&self) -> HResult<String> {
        let j = self.json("PUT", "/", &[], None)?;
        j.get("root")
            .and_then(J::as_str)
            .map(str::to_string)
            .ok_or_else(|| proto(self, "no `root` in the created domain's answer"))
    }

    /// Delete the domain.
    pub fn delete_domain(&self) -> HResult<()> {
        self.json("DELETE", "/", &[], None).map(|_| ())
    }

    /// The links of group `id`, all pages.
    pub fn links(&self, id: &str, max: usize) -> HResult<Vec<Link>> {
        let path = format!("/groups/{id}/links");
        let mut out: Vec<Link> = Vec::new();
        loop {
            let limit = PAGE.to_string();
            let marker = out.last().map(|l| l.name.clone());
            let mut q: Vec<(&str, &str)> = vec![("Limit", &limit)];
            if let Some(m) = &marker {
                q.push(("Marker", m));
            }
            let j = self.get(&path, &q)?;
            let page = field(self, &j, "links")?
                .as_array()
                .ok_or_else(|| proto(self, "`links` is not a list"))?;
            for l in page {
                let name = str_of(self, l, "title")?.to_string();
                let class = str_of(self, l, "class")?;
                let target = match class {
                    "H5L_TYPE_HARD" => LinkTarget::Hard {
                        id: str_of(self, l, "id")?.to_string(),
                        collection: str_of(self, l, "collection")?.to_string(),
                    },
                    "H5L_TYPE_SOFT" => LinkTarget::Soft(str_of(self, l, "h5path")?.to_string()),
                    "H5L_TYPE_EXTERNAL" => LinkTarget::External {
                        // HSDS answers `file` for what a client sent as `h5domain`.
                        domain: l
                            .get("h5domain")
                            .or_else(|| l.get("file"))
                            .and_then(J::as_str)
                            .unwrap_or("")
                            .to_string(),
                        path: l
                            .get("h5path")
                            .and_then(J::as_str)
                            .unwrap_or("")
                            .to_string(),
                    },
                    other => return Err(proto(self, format!("link class {other}"))),
                };
                if out.len() >= max {
                    return Err(HsdsError::TooLarge {
                        url: self.url().to_string(),
                        what: format!("the links of {id} ({max} links)"),
                        limit: max as u64,
                    });
                }
                out.push(Link { name, target });
            }
            if page.len() < PAGE {
                return Ok(out);
            }
        }
    }

    /// The attributes of object `id` in `collection`, with their values, all pages.
    pub fn attributes(&self, collection: &str, id: &str, max: usize) -> HResult<Vec<AttrDoc>> {
        let path = format!("/{collection}/{id}/attributes");
        let mut out: Vec<AttrDoc> = Vec::new();
        loop {
            let limit = PAGE.to_string();
            let marker = out.last().map(|a| a.name.clone());
            let mut q: Vec<(&str, &str)> = vec![("IncludeData", "1"), ("Limit", &limit)];
            if let Some(m) = &marker {
                q.push(("Marker", m));
            }
            let j = get_lenient(self, &path, &q)?;
            let page = field(self, &j, "attributes")?
                .as_array()
                .ok_or_else(|| proto(self, "`attributes` is not a list"))?;
            for a in page {
                let name = str_of(self, a, "name")?.to_string();
                let dt = datatype(self, field(self, a, "type")?)?;
                let (dims, _) = dims_of(self, field(self, a, "shape")?)?;
                if out.len() >= max {
                    return Err(HsdsError::TooLarge {
                        url: self.url().to_string(),
                        what: format!("the attributes of {id}"),
                        limit: max as u64,
                    });
                }
                out.push(AttrDoc {
                    name,
                    datatype: dt,
                    dims,
                    value: a.get("value").cloned().unwrap_or(J::Null),
                });
            }
            if page.len() < PAGE {
                return Ok(out);
            }
        }
    }

    /// A dataset's metadata.
    pub fn dataset(&self, id: &str) -> HResult<DsetDoc> {
        let j = self.get(&format!("/datasets/{id}"), &[])?;
        let dt = datatype(self, field(self, &j, "type")?)?;
        let (dims, maxdims) = dims_of(self, field(self, &j, "shape")?)?;
        let cp = j.get("creationProperties");
        let layout = cp.and_then(|c| c.get("layout"));
        let chunks = match layout.and_then(|l| l.get("class")).and_then(J::as_str) {
            Some("H5D_CHUNKED") => Some(
                layout
                    .and_then(|l| l.get("dims"))
                    .and_then(J::as_array)
                    .ok_or_else(|| proto(self, "chunked layout without dims"))?
                    .iter()
                    .map(J::as_u64)
                    .collect::<Option<Vec<u64>>>()
                    .filter(|c| Some(c.len()) == dims.as_ref().map(Vec::len))
                    .ok_or_else(|| proto(self, "bad chunk dims"))?,
            ),
            _ => None,
        };
        let deflate = cp
            .and_then(|c| c.get("filters"))
            .and_then(J::as_array)
            .and_then(|fs| {
                fs.iter().find_map(|f| {
                    (f.get("class").and_then(J::as_str) == Some("H5Z_FILTER_DEFLATE"))
                        .then(|| f.get("level").and_then(J::as_u64).unwrap_or(4).min(9) as u32)
                })
            });
        Ok(DsetDoc {
            datatype: dt,
            dims,
            maxdims,
            chunks,
            fill: cp.and_then(|c| c.get("fillValue")).cloned(),
            deflate,
        })
    }

    /// Element bytes of hyperslab `sel` of a fixed-size dataset (binary transfer).
    pub fn read_binary(&self, id: &str, sel: &[Range<u64>], expect: u64) -> HResult<Vec<u8>> {
        let s = select_param(sel);
        let mut q = vec![];
        if !sel.is_empty() {
            q.push(("select", s.as_str()));
        }
        let b = self.request(
            "GET",
            &format!("/datasets/{id}/value"),
            &q,
            Body::None,
            true,
            expect,
        )?;
        if b.len() as u64 != expect {
            return Err(proto(
                self,
                format!("{} bytes of values where {expect} were expected", b.len()),
            ));
        }
        Ok(b)
    }

    /// The JSON `value` of hyperslab `sel` (variable-length types).
    pub fn read_json(&self, id: &str, sel: &[Range<u64>]) -> HResult<J> {
        let s = select_param(sel);
        let mut q = vec![];
        if !sel.is_empty() {
            q.push(("select", s.as_str()));
        }
        let j = get_lenient(self, &format!("/datasets/{id}/value"), &q)?;
        Ok(field(self, &j, "value")?.clone())
    }

    /// Create a group linked as `name` in group `parent`, with its attributes (`name ->
    /// {"type", "shape", "value"}`) in the same request; returns its id.
    pub fn create_group(&self, parent: &str, name: &str, attrs: &AttrMap) -> HResult<String> {
        self.create_group_at(Some((parent, name)), attrs)
    }

    /// Create a group with its attributes, linked as `name` in group `parent` or, with
    /// `None`, anonymous (linked later with [`Client::create_link`]); returns its id.
    pub fn create_group_at(&self, link: Option<(&str, &str)>, attrs: &AttrMap) -> HResult<String> {
        let mut body = json!({});
        if let Some((parent, name)) = link {
            body["link"] = json!({"id": parent, "name": name});
        }
        if !attrs.is_empty() {
            body["attributes"] = J::Object(attrs.clone());
        }
        let j = self.json("POST", "/groups", &[], Some(&body))?;
        Ok(str_of(self, &j, "id")?.to_string())
    }

    /// Create a dataset linked as `name` in group `parent`, with its attributes; returns its id.
    pub fn create_dataset(
        &self,
        parent: &str,
        name: &str,
        d: &DsetDoc,
        attrs: &AttrMap,
    ) -> HResult<String> {
        self.create_dataset_at(Some((parent, name)), d, attrs)
    }

    /// [`Client::create_dataset`], anonymous with `None` (linked later).
    pub fn create_dataset_at(
        &self,
        link: Option<(&str, &str)>,
        d: &DsetDoc,
        attrs: &AttrMap,
    ) -> HResult<String> {
        let ty = types::datatype_to_json(&d.datatype).map_err(|e| HsdsError::Unsupported {
            url: self.url().to_string(),
            what: e,
        })?;
        let mut body = json!({"type": ty});
        if let Some((parent, name)) = link {
            body["link"] = json!({"id": parent, "name": name});
        }
        match &d.dims {
            None => body["shape"] = json!("H5S_NULL"),
            Some(dims) => body["shape"] = json!(dims),
        }
        if let Some(m) = &d.maxdims {
            body["maxdims"] =
                J::Array(m.iter().map(|x| x.map_or(json!(0), |v| json!(v))).collect());
        }
        let mut cp = serde_json::Map::new();
        if let Some(c) = &d.chunks {
            cp.insert("layout".into(), json!({"class": "H5D_CHUNKED", "dims": c}));
        }
        if let Some(f) = &d.fill {
            cp.insert("fillValue".into(), f.clone());
        }
        if let Some(l) = d.deflate {
            cp.insert(
                "filters".into(),
                json!([{"class": "H5Z_FILTER_DEFLATE", "id": 1, "level": l, "name": "deflate"}]),
            );
        }
        if !cp.is_empty() {
            body["creationProperties"] = J::Object(cp);
        }
        if !attrs.is_empty() {
            body["attributes"] = J::Object(attrs.clone());
        }
        let text = types::to_text(&body);
        let bytes = self.request("POST", "/datasets", &[], Body::Text(&text), false, MAX_JSON)?;
        let j = parse_json(&sanitize(&bytes), &self.url().to_string())?;
        Ok(str_of(self, &j, "id")?.to_string())
    }

    /// Set (create or replace) attributes of several objects in one request:
    /// `(collection, id) -> [(name, body)]` where body is `{"type", "shape", "value"}`.
    pub fn put_attributes(&self, per_object: &AttrBatch) -> HResult<()> {
        // HSDS refuses an object without attributes in the batch ("no obj_ids").
        let per_object: Vec<_> = per_object
            .iter()
            .filter(|(_, _, a)| !a.is_empty())
            .collect();
        if per_object.is_empty() {
            return Ok(());
        }
        let mut ids = serde_json::Map::new();
        for (_, id, attrs) in &per_object {
            let mut m = serde_json::Map::new();
            for (n, b) in attrs {
                m.insert(n.clone(), b.clone());
            }
            ids.insert(id.clone(), json!({"attributes": m}));
        }
        // Any object's collection serves as the request path: HSDS routes by the ids.
        let Some((coll, id, _)) = per_object.first() else {
            return Ok(());
        };
        let body = json!({"obj_ids": ids});
        let text = types::to_text(&body);
        self.request(
            "PUT",
            &format!("/{coll}/{id}/attributes"),
            &[("replace", "1")],
            Body::Text(&text),
            false,
            MAX_JSON,
        )
        .map(|_| ())
    }

    /// Create the link `name` in group `parent` from its HSDS body (`{"id"}` hard,
    /// `{"h5path"}` soft, `{"h5path", "h5domain"}` external).
    pub fn create_link(&self, parent: &str, name: &str, body: &J) -> HResult<()> {
        self.json(
            "PUT",
            &format!("/groups/{parent}/links/{}", link_segment(name)),
            &[],
            Some(body),
        )
        .map(|_| ())
    }

    /// Set the shape of an extensible dataset. A shrink makes HSDS flush every data node
    /// first, which fails (500, 503) now and then while they are busy writing; and a 404
    /// was seen once for a dataset of a domain just published (`linked_domain`, its
    /// staging name deleted): the request (idempotent, on a dataset we created) is tried
    /// again, three times at most.
    pub fn resize(&self, id: &str, dims: &[u64]) -> HResult<()> {
        let mut wait = std::time::Duration::from_millis(300);
        let mut tries = 0;
        loop {
            let r = self.json(
                "PUT",
                &format!("/datasets/{id}/shape"),
                &[],
                Some(&json!({"shape": dims})),
            );
            match r {
                Err(e) if e.status().is_some_and(|s| s >= 500 || s == 404) && tries < 3 => {
                    tries += 1;
                    std::thread::sleep(wait);
                    wait *= 2;
                }
                r => return r.map(|_| ()),
            }
        }
    }

    /// Write element bytes into hyperslab `sel` (binary transfer).
    pub fn write_binary(&self, id: &str, sel: &[Range<u64>], data: &[u8]) -> HResult<()> {
        let s = select_param(sel);
        let mut q = vec![];
        if !sel.is_empty() {
            q.push(("select", s.as_str()));
        }
        self.request(
            "PUT",
            &format!("/datasets/{id}/value"),
            &q,
            Body::Bytes(data),
            false,
            MAX_JSON,
        )
        .map(|_| ())
    }

    /// Append `rows` rows along dimension 0 with their element bytes in one request (HSDS
    /// extends the shape and writes the rows together).
    pub fn append_binary(&self, id: &str, rows: u64, data: &[u8]) -> HResult<()> {
        let n = rows.to_string();
        self.request(
            "PUT",
            &format!("/datasets/{id}/value"),
            &[("append", &n), ("append_dim", "0")],
            Body::Bytes(data),
            false,
            MAX_JSON,
        )
        .map(|_| ())
    }

    /// [`Client::append_binary`] with a JSON value (variable-length rows).
    pub fn append_json(&self, id: &str, rows: u64, value: &J) -> HResult<()> {
        let body = json!({"value": value, "append": rows, "append_dim": 0});
        self.put_value_json(id, &body)
    }

    /// Write a JSON value into hyperslab `sel` (variable-length types).
    pub fn write_json(&self, id: &str, sel: &[Range<u64>], value: &J) -> HResult<()> {
        let mut body = json!({"value": value});
        if !sel.is_empty() {
            body["start"] = json!(sel.iter().map(|r| r.start).collect::<Vec<_>>());
            body["stop"] = json!(sel.iter().map(|r| r.end).collect::<Vec<_>>());
        }
        self.put_value_json(id, &body)
    }

    /// `PUT /datasets/{id}/value` with a JSON body.
    fn put_value_json(&self, id: &str, body: &J) -> HResult<()> {
        let text = types::to_text(body);
        self.request(
            "PUT",
            &format!("/datasets/{id}/value"),
            &[],
            Body::Text(&text),
            false,
            MAX_JSON,
        )
        .map(|_| ())
    }
}
