//! An [`Uploader`]'s knowledge of the domain as a JSON document, so that each sync of a
//! recording can run in a process of its own (`pymodaq-h5 hsds-sync`, spec/hsds.md "Crash
//! semantics") and hand what it sent to the next one. The document is our own file, but it
//! is read as untrusted input: any malformed entry is an error, never a panic.

use std::collections::HashMap;

use serde_json::{json, Value as J};

use super::super::error::HResult;
use super::super::http::Client;
use super::{protocol, shape_each, Remote, Uploader};

/// Format tag of the document.
const FORMAT: &str = "pymodaq-h5-hsds-upload-state/1";

fn hex(d: &[u8; 32]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        let pair = std::str::from_utf8(b.get(2 * i..2 * i + 2)?).ok()?;
        *o = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

fn collection(s: &str) -> Option<&'static str> {
    match s {
        "groups" => Some("groups"),
        "datasets" => Some("datasets"),
        "links" => Some("links"),
        _ => None,
    }
}

impl Uploader {
    /// What this uploader knows of the domain (after a sync that published it).
    pub fn state(&self) -> J {
        let mut objs = serde_json::Map::new();
        for (path, r) in &self.objs {
            let attrs: serde_json::Map<String, J> = r
                .attrs
                .iter()
                .map(|(k, v)| (k.clone(), J::from(hex(v))))
                .collect();
            objs.insert(
                path.clone(),
                json!({
                    "id": r.id,
                    "collection": r.collection,
                    "dims": r.dims,
                    "valid": r.valid,
                    "extend_first": r.extend_first,
                    "digest": r.digest.as_ref().map(hex),
                    "attrs": attrs,
                }),
            );
        }
        let by_addr: Vec<J> = self.by_addr.iter().map(|(a, p)| json!([a, p])).collect();
        json!({
            "format": FORMAT,
            "domain": self.c.url().to_string(),
            "rehash": self.rehash,
            "cut_ahead": self.cut_ahead,
            "objects": objs,
            "by_addr": by_addr,
        })
    }

    /// The uploader [`Uploader::state`] described, for the domain of `c` (the same one).
    pub fn from_state(c: Client, state: &J) -> HResult<Uploader> {
        let bad = |why: String| protocol(&c, format!("upload state: {why}"));
        if state.get("format").and_then(J::as_str) != Some(FORMAT) {
            return Err(bad("not an upload state document".into()));
        }
        if state.get("domain").and_then(J::as_str) != Some(c.url().to_string().as_str()) {
            return Err(bad("written for another domain".into()));
        }
        let rehash = state
            .get("rehash")
            .and_then(J::as_bool)
            .ok_or_else(|| bad("no `rehash`".into()))?;
        let objects = state
            .get("objects")
            .and_then(J::as_object)
            .ok_or_else(|| bad("no `objects`".into()))?;
        let mut objs = HashMap::new();
        for (path, o) in objects {
            let field = |k: &str| o.get(k).ok_or_else(|| bad(format!("{path}: no `{k}`")));
            let id = field("id")?
                .as_str()
                .ok_or_else(|| bad(format!("{path}: id")))?
                .to_string();
            let coll = field("collection")?
                .as_str()
                .and_then(collection)
                .ok_or_else(|| bad(format!("{path}: collection")))?;
            let dims = field("dims")?
                .as_array()
                .ok_or_else(|| bad(format!("{path}: dims")))?
                .iter()
                .map(J::as_u64)
                .collect::<Option<Vec<u64>>>()
                .ok_or_else(|| bad(format!("{path}: dims")))?;
            let valid = field("valid")?
                .as_u64()
                .ok_or_else(|| bad(format!("{path}: valid")))?;
            let extend_first = field("extend_first")?
                .as_bool()
                .ok_or_else(|| bad(format!("{path}: extend_first")))?;
            let digest = match field("digest")? {
                J::Null => None,
                J::String(s) => Some(unhex(s).ok_or_else(|| bad(format!("{path}: digest")))?),
                _ => return Err(bad(format!("{path}: digest"))),
            };
            let mut attrs = HashMap::new();
            for (k, v) in field("attrs")?
                .as_object()
                .ok_or_else(|| bad(format!("{path}: attrs")))?
            {
                let d = v
                    .as_str()
                    .and_then(unhex)
                    .ok_or_else(|| bad(format!("{path}: attribute {k}")))?;
                attrs.insert(k.clone(), d);
            }
            objs.insert(
                path.clone(),
                Remote {
                    id,
                    collection: coll,
                    dims,
                    valid,
                    extend_first,
                    digest,
                    attrs,
                },
            );
        }
        if !objs.contains_key("/") {
            return Err(bad("no root".into()));
        }
        let mut by_addr = HashMap::new();
        for e in state
            .get("by_addr")
            .and_then(J::as_array)
            .ok_or_else(|| bad("no `by_addr`".into()))?
        {
            let (Some(a), Some(p)) = (e.get(0).and_then(J::as_u64), e.get(1).and_then(J::as_str))
            else {
                return Err(bad(format!("by_addr entry {e}")));
            };
            by_addr.insert(a, p.to_string());
        }
        Ok(Uploader {
            c,
            publish: None,
            objs,
            rehash,
            shaper: Box::new(shape_each),
            by_addr,
            exact: false,
            // Absent in a state written before it existed: nothing to cut.
            cut_ahead: state.get("cut_ahead").and_then(J::as_bool).unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_round_trip_and_bad_hex_is_refused() {
        let d: [u8; 32] = std::array::from_fn(|i| (i * 37) as u8);
        assert_eq!(unhex(&hex(&d)), Some(d));
        assert_eq!(unhex("00"), None);
        assert_eq!(unhex(&"zz".repeat(32)), None);
        assert_eq!(unhex(&"é".repeat(32)), None);
    }
}
