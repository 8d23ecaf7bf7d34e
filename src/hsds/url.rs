//! `http://HOST:PORT/DOMAIN/PATH.h5`: an HSDS endpoint and an absolute domain path.

use super::error::HsdsError;

/// A parsed HSDS domain address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HsdsUrl {
    /// `http://HOST:PORT` (what h5pyd calls the endpoint).
    pub endpoint: String,
    /// The absolute domain path, `/home/alice/run1.h5`.
    pub domain: String,
}

/// Whether a command-line FILE argument is an HSDS address rather than a path.
pub fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

impl HsdsUrl {
    /// Parse `http(s)://HOST[:PORT]/DOMAIN`.
    pub fn parse(s: &str) -> Result<HsdsUrl, HsdsError> {
        let bad = |why: &str| HsdsError::BadUrl(format!("{s}: {why}"));
        let (scheme, rest) = if let Some(r) = s.strip_prefix("http://") {
            ("http", r)
        } else if let Some(r) = s.strip_prefix("https://") {
            ("https", r)
        } else {
            return Err(bad("not an http:// or https:// URL"));
        };
        let (host, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if host.is_empty() || host.contains('@') || host.contains('?') || host.contains('#') {
            return Err(bad(
                "expected http://HOST:PORT/DOMAIN (credentials go in --hsds-user/--hsds-password)",
            ));
        }
        if path.contains('?') || path.contains('#') || path.contains('%') {
            return Err(bad("the domain path may not hold '?', '#' or '%'"));
        }
        let domain = path.trim_end_matches('/');
        if domain.is_empty() || domain.split('/').skip(1).any(|c| c.is_empty() || c == "..") {
            return Err(bad(
                "expected an absolute domain path such as /home/alice/run1.h5",
            ));
        }
        Ok(HsdsUrl {
            endpoint: format!("{scheme}://{host}"),
            domain: domain.to_string(),
        })
    }

    /// The last path element (`run1.h5`), what `load --json` reports as `file`.
    pub fn file_name(&self) -> &str {
        self.domain.rsplit('/').next().unwrap_or(&self.domain)
    }

    /// The folder holding the domain (`/home/alice/`).
    pub fn folder(&self) -> String {
        match self.domain.rfind('/') {
            Some(i) => self.domain[..=i].to_string(),
            None => "/".into(),
        }
    }
}

impl std::fmt::Display for HsdsUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.endpoint, self.domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_endpoint_and_domain() {
        let u = HsdsUrl::parse("http://127.0.0.1:5101/home/alice/run1.h5").unwrap();
        assert_eq!(u.endpoint, "http://127.0.0.1:5101");
        assert_eq!(u.domain, "/home/alice/run1.h5");
        assert_eq!(u.file_name(), "run1.h5");
        assert_eq!(u.folder(), "/home/alice/");
        assert_eq!(u.to_string(), "http://127.0.0.1:5101/home/alice/run1.h5");
        assert!(HsdsUrl::parse("https://h/x.h5").is_ok());
        for bad in [
            "ftp://h/x",
            "http:///x.h5",
            "http://h",
            "http://h/",
            "http://u:p@h/x.h5",
            "http://h/a//b",
            "http://h/a/../b",
            "http://h/x.h5?domain=y",
        ] {
            assert!(HsdsUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(is_url("http://x/y") && !is_url("/tmp/x.h5"));
    }
}
