//! The REST client: one [`ureq`] agent, Basic auth, the `domain` query parameter on every
//! request, timeouts on connect/read/write, and answers read up to a byte cap.

use std::io::Read;
use std::time::Duration;

use serde_json::Value as J;

use super::credentials::Credentials;
use super::error::{HResult, HsdsError};
use super::url::HsdsUrl;

/// Largest JSON answer accepted (listings, metadata, JSON-encoded values).
pub const MAX_JSON: u64 = 64 << 20;

/// A connection to one HSDS endpoint, for one domain.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    url: HsdsUrl,
    auth: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// A request body.
pub enum Body<'a> {
    /// No body.
    None,
    /// A JSON document.
    Json(&'a J),
    /// Binary element bytes (`application/octet-stream`).
    Bytes(&'a [u8]),
    /// JSON text already serialized (Python's `NaN` tokens allowed).
    Text(&'a str),
}

impl Client {
    /// A client for `url` with `creds`; `timeout` bounds every connect, read and write.
    pub fn new(url: HsdsUrl, creds: &Credentials, timeout: Duration) -> HResult<Client> {
        if url.endpoint.starts_with("https://") && !cfg!(feature = "tls") {
            return Err(HsdsError::BadUrl(format!(
                "{url}: https needs pymodaq-h5 built with the `tls` feature"
            )));
        }
        let builder = ureq::AgentBuilder::new()
            .timeout_connect(timeout)
            .timeout_read(timeout)
            .timeout_write(timeout)
            .redirects(0);
        #[cfg(feature = "tls")]
        let builder = match tls_roots()? {
            Some(cfg) => builder.tls_config(cfg),
            None => builder,
        };
        let agent = builder.build();
        Ok(Client {
            agent,
            url,
            auth: creds.header(),
        })
    }

    /// The domain address.
    pub fn url(&self) -> &HsdsUrl {
        &self.url
    }

    /// The same connection for another domain of the same endpoint.
    pub fn for_domain(&self, domain: &str) -> Client {
        let mut c = self.clone();
        c.url.domain = domain.to_string();
        c
    }

    /// Send `method path?domain=..&query` and return the status and the answer's bytes (at
    /// most `max`).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Body<'_>,
        accept_binary: bool,
        max: u64,
    ) -> HResult<Vec<u8>> {
        self.request_domain(
            method,
            path,
            &self.url.domain,
            query,
            body,
            accept_binary,
            max,
        )
    }

    /// [`Client::request`] for another domain or folder of the same endpoint.
    #[allow(clippy::too_many_arguments)]
    pub fn request_domain(
        &self,
        method: &str,
        path: &str,
        domain: &str,
        query: &[(&str, &str)],
        body: Body<'_>,
        accept_binary: bool,
        max: u64,
    ) -> HResult<Vec<u8>> {
        let shown = format!("{}{} ({method} {path})", self.url.endpoint, domain);
        let mut req = self
            .agent
            .request(method, &format!("{}{}", self.url.endpoint, path))
            .query("domain", domain);
        for (k, v) in query {
            req = req.query(k, v);
        }
        if let Some(a) = &self.auth {
            req = req.set("Authorization", a);
        }
        req = req.set(
            "Accept",
            if accept_binary {
                "application/octet-stream"
            } else {
                "application/json"
            },
        );
        let res = match body {
            Body::None => req.call(),
            Body::Json(j) => req
                .set("Content-Type", "application/json")
                .send_string(&super::types::to_text(j)),
            Body::Text(t) => req.set("Content-Type", "application/json").send_string(t),
            Body::Bytes(b) => req
                .set("Content-Type", "application/octet-stream")
                .send_bytes(b),
        };
        match res {
            Ok(resp) => read_capped(resp.into_reader(), max, &shown),
            Err(ureq::Error::Status(status, resp)) => {
                let text = resp.into_string().unwrap_or_default();
                Err(HsdsError::Status {
                    url: shown,
                    status,
                    message: status_message(status, &text),
                })
            }
            Err(ureq::Error::Transport(t)) => Err(HsdsError::Connect {
                url: shown,
                reason: t.to_string(),
            }),
        }
    }

    /// A JSON request; the answer parsed (an empty answer is `null`).
    pub fn json(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&J>,
    ) -> HResult<J> {
        let b = match body {
            Some(j) => Body::Json(j),
            None => Body::None,
        };
        let bytes = self.request(method, path, query, b, false, MAX_JSON)?;
        // HSDS writes non-finite floats (values, fill values) as Python's bare tokens.
        parse_json(
            &super::types::sanitize(&bytes),
            &format!("{}{} ({method} {path})", self.url.endpoint, self.url.domain),
        )
    }

    /// GET a JSON document.
    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> HResult<J> {
        self.json("GET", path, query, None)
    }
}

/// Parse an answer body; empty bodies are `null`.
pub fn parse_json(bytes: &[u8], url: &str) -> HResult<J> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(J::Null);
    }
    serde_json::from_slice(bytes).map_err(|e| HsdsError::Protocol {
        url: url.to_string(),
        reason: format!("invalid JSON: {e}"),
    })
}

fn read_capped(r: impl Read, max: u64, url: &str) -> HResult<Vec<u8>> {
    let mut out = Vec::new();
    r.take(max.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| HsdsError::Connect {
            url: url.to_string(),
            reason: format!("reading the answer: {e}"),
        })?;
    if out.len() as u64 > max {
        return Err(HsdsError::TooLarge {
            url: url.to_string(),
            what: "the answer".into(),
            limit: max,
        });
    }
    Ok(out)
}

/// A short reason for a status: HSDS's message when it sent one, else the standard phrase.
fn status_message(status: u16, body: &str) -> String {
    let phrase = match status {
        400 => "Bad Request",
        401 => "Unauthorized: bad or missing credentials",
        403 => "Forbidden: this user may not do that",
        404 => "Not Found: no such domain, folder or object",
        409 => "Conflict: it already exists",
        410 => "Gone",
        413 => "Request Entity Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    };
    let text: String = body.chars().filter(|c| !c.is_control()).take(160).collect();
    let text = text.trim();
    // HSDS answers errors as "404: Not Found" or "400: <reason>": keep the reason only.
    let text = text
        .strip_prefix(&format!("{status}:"))
        .map(str::trim)
        .unwrap_or(text);
    let standard = phrase.split(':').next().unwrap_or("");
    let text = if text.starts_with('<') || text.starts_with('{') || text == standard {
        ""
    } else {
        text
    };
    match (phrase.is_empty(), text.is_empty()) {
        (_, true) => phrase.to_string(),
        (true, false) => text.to_string(),
        (false, false) => format!("{phrase}: {text}"),
    }
}

/// The environment variable naming a PEM file of the certificate authorities trusted for
/// `https://` endpoints instead of the built-in web roots (a lab's own CA, a test proxy's).
pub const CA_ENV: &str = "PYMODAQ_H5_HSDS_CA";

/// The TLS configuration trusting the authorities of [`CA_ENV`], when it is set.
#[cfg(feature = "tls")]
fn tls_roots() -> HResult<Option<std::sync::Arc<rustls::ClientConfig>>> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    let Some(path) = std::env::var_os(CA_ENV).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let shown = std::path::Path::new(&path).display().to_string();
    let bad = |why: String| HsdsError::BadUrl(format!("{CA_ENV}={shown}: {why}"));
    let mut pem = Vec::new();
    std::fs::File::open(&path)
        .and_then(|f| f.take(1 << 20).read_to_end(&mut pem))
        .map_err(|e| bad(e.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(&pem) {
        let c = c.map_err(|e| bad(format!("not PEM certificates: {e}")))?;
        roots
            .add(c)
            .map_err(|e| bad(format!("unusable certificate: {e}")))?;
    }
    if roots.is_empty() {
        return Err(bad("no certificate in the file".into()));
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(std::sync::Arc::new(cfg)))
}

/// Cap the time a request may take (connect, each read, each write).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
