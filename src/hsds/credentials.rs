//! HTTP Basic credentials, looked up as h5pyd does: options first, then `HS_USERNAME` /
//! `HS_PASSWORD`, then `~/.hscfg`.

/// A user name and password (or none: unauthenticated requests).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub user: Option<String>,
    /// Password.
    pub password: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password.
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Options, else the environment, else `~/.hscfg`, else none. A user given without a
    /// password (or the reverse) takes the other from the next source.
    pub fn resolve(user: Option<&str>, password: Option<&str>) -> Credentials {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let cfg = std::env::var_os("HOME")
            .map(|h| std::path::Path::new(&h).join(".hscfg"))
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|t| parse_hscfg(&t))
            .unwrap_or_default();
        Credentials {
            user: user
                .map(str::to_string)
                .or_else(|| env("HS_USERNAME"))
                .or(cfg.user),
            password: password
                .map(str::to_string)
                .or_else(|| env("HS_PASSWORD"))
                .or(cfg.password),
        }
    }

    /// The `Authorization` header value, when a user is known.
    pub fn header(&self) -> Option<String> {
        let user = self.user.as_deref()?;
        let pw = self.password.as_deref().unwrap_or("");
        Some(format!(
            "Basic {}",
            crate::pymodaq::load_json::base64(format!("{user}:{pw}").as_bytes())
        ))
    }
}

/// `hs_username = ...` / `hs_password = ...` lines of h5pyd's `.hscfg`.
pub fn parse_hscfg(text: &str) -> Credentials {
    let mut c = Credentials::default();
    for line in text.lines().take(1000) {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        if v.is_empty() || v == "None" {
            continue;
        }
        match k.trim() {
            "hs_username" => c.user = Some(v.to_string()),
            "hs_password" => c.password = Some(v.to_string()),
            _ => {}
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hscfg_lines_and_basic_header() {
        let c = parse_hscfg("# comment\nhs_endpoint = http://x:5101\nhs_username = alice\nhs_password = s3cret\nhs_api_key = None\n");
        assert_eq!(c.user.as_deref(), Some("alice"));
        assert_eq!(c.password.as_deref(), Some("s3cret"));
        // base64("alice:s3cret")
        assert_eq!(c.header().as_deref(), Some("Basic YWxpY2U6czNjcmV0"));
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(Credentials::default().header(), None);
    }
}
