//! Error types.
//!
//! Errors fall in five kinds, so a caller can tell what went wrong and what to do:
//! - [`Error::Io`]: the environment failed (file missing, disk full, permission).
//! - [`Error::Format`]: the file is damaged or not HDF5; carries the structure and byte offset.
//! - [`Error::Limit`]: a cap of [`crate::Limits`] was hit; the file may be valid but is too large
//!   or too deep for the configured limits.
//! - [`Error::Unsupported`]: a valid HDF5 feature outside our subset (e.g. an unknown filter).
//! - [`Error::Usage`]: the API was called wrongly (bad selection, wrong type requested).

use std::borrow::Cow;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A malformed on-disk structure: what, where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed {structure} at byte offset {at}: {reason}")]
pub struct FormatError {
    /// Name of the on-disk structure being decoded (e.g. "object header v1", "SNOD").
    pub structure: &'static str,
    /// Absolute byte offset in the file where the problem was found.
    pub at: u64,
    /// What is wrong.
    pub reason: Cow<'static, str>,
}

impl FormatError {
    /// A new format error.
    pub fn new(structure: &'static str, at: u64, reason: impl Into<Cow<'static, str>>) -> Self {
        FormatError {
            structure,
            at,
            reason: reason.into(),
        }
    }
}

/// Every error the library returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system or storage failed. (Not a `#[source]`: the message already
    /// includes it, and error-chain printers would repeat it.)
    #[error("I/O error: {0}")]
    Io(std::io::Error),
    /// The file's bytes are not valid for the structure being read.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// A configured limit was exceeded.
    #[error("limit exceeded: {name} is {limit}, needed {needed}{}", at.map(|a| format!(" (at byte offset {a})")).unwrap_or_default())]
    Limit {
        /// Name of the [`crate::Limits`] field.
        name: &'static str,
        /// The configured value.
        limit: u64,
        /// What the file asked for.
        needed: u64,
        /// Byte offset of the structure that asked, when known.
        at: Option<u64>,
    },
    /// A valid HDF5 feature this crate does not implement.
    #[error("unsupported: {what}{}", at.map(|a| format!(" (at byte offset {a})")).unwrap_or_default())]
    Unsupported {
        /// What is not supported.
        what: String,
        /// Byte offset, when known.
        at: Option<u64>,
    },
    /// The API was used incorrectly.
    #[error("usage error: {0}")]
    Usage(String),
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

impl Error {
    /// Shorthand for a format error.
    pub fn format(structure: &'static str, at: u64, reason: impl Into<Cow<'static, str>>) -> Self {
        Error::Format(FormatError::new(structure, at, reason))
    }

    /// Shorthand for an unsupported-feature error.
    pub fn unsupported(what: impl Into<String>, at: Option<u64>) -> Self {
        Error::Unsupported {
            what: what.into(),
            at,
        }
    }

    /// Shorthand for a limit error.
    pub fn limit(name: &'static str, limit: u64, needed: u64, at: Option<u64>) -> Self {
        Error::Limit {
            name,
            limit,
            needed,
            at,
        }
    }

    /// The byte offset the error refers to, if any.
    pub fn offset(&self) -> Option<u64> {
        match self {
            Error::Format(f) => Some(f.at),
            Error::Limit { at, .. } | Error::Unsupported { at, .. } => *at,
            _ => None,
        }
    }
}
