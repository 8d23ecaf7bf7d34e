//! Errors of the HSDS client: each names the URL and what went wrong, in one line.

/// An HSDS request or answer that failed.
#[derive(Debug, thiserror::Error)]
pub enum HsdsError {
    /// The server could not be reached (refused, DNS, timeout, reset).
    #[error("{url}: cannot reach the HSDS server: {reason}")]
    Connect {
        /// The request URL (without credentials).
        url: String,
        /// The transport error.
        reason: String,
    },
    /// The server answered with an HTTP error status.
    #[error("{url}: HTTP {status}{}", if message.is_empty() { String::new() } else { format!(" ({message})") })]
    Status {
        /// The request URL.
        url: String,
        /// HTTP status code.
        status: u16,
        /// Reason or the start of the body.
        message: String,
    },
    /// The answer is not what HSDS sends (bad JSON, missing field, wrong size).
    #[error("{url}: unexpected answer from the HSDS server: {reason}")]
    Protocol {
        /// The request URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// An answer or a domain larger than the configured limit.
    #[error("{url}: {what} exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The request URL.
        url: String,
        /// What was too large.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// A URL that is not `http(s)://HOST:PORT/DOMAIN`.
    #[error("{0}")]
    BadUrl(String),
    /// A domain object of a kind we do not handle.
    #[error("{url}: unsupported: {what}")]
    Unsupported {
        /// The domain URL.
        url: String,
        /// What.
        what: String,
    },
}

impl HsdsError {
    /// The same error naming domain `to` where it names `from` (a staging domain's errors
    /// name the domain it becomes).
    pub fn renamed(self, from: &str, to: &str) -> HsdsError {
        let r = |s: String| s.replace(from, to);
        match self {
            HsdsError::Connect { url, reason } => HsdsError::Connect {
                url: r(url),
                reason: r(reason),
            },
            HsdsError::Status {
                url,
                status,
                message,
            } => HsdsError::Status {
                url: r(url),
                status,
                message: r(message),
            },
            HsdsError::Protocol { url, reason } => HsdsError::Protocol {
                url: r(url),
                reason: r(reason),
            },
            HsdsError::TooLarge { url, what, limit } => HsdsError::TooLarge {
                url: r(url),
                what: r(what),
                limit,
            },
            HsdsError::BadUrl(m) => HsdsError::BadUrl(r(m)),
            HsdsError::Unsupported { url, what } => HsdsError::Unsupported {
                url: r(url),
                what: r(what),
            },
        }
    }

    /// The HTTP status, for status errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            HsdsError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the error is a 404 (no such domain or object).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

impl From<HsdsError> for crate::Error {
    fn from(e: HsdsError) -> crate::Error {
        match e {
            HsdsError::Unsupported { .. } => crate::Error::unsupported(e.to_string(), None),
            HsdsError::BadUrl(m) => crate::Error::Usage(m),
            other => crate::Error::Io(std::io::Error::other(other.to_string())),
        }
    }
}

/// Result of the HSDS client.
pub type HResult<T> = std::result::Result<T, HsdsError>;
