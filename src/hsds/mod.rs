//! HSDS (the HDF Group's Highly Scalable Data Service, what h5pyd talks to) as the second
//! implementation under the PyMoDAQ backend: a domain is read into an in-memory HDF5 image
//! ([`snapshot`]) that the file engine, the loaders and every reading command use unchanged,
//! and a file (written by the savers, `import` or `record`) is copied to a domain
//! ([`upload`]), incrementally for a growing recording.
//!
//! - [`url`]: `http://HOST:PORT/DOMAIN/PATH.h5` addresses;
//! - [`credentials`]: HTTP Basic credentials (options, `HS_USERNAME`/`HS_PASSWORD`, `~/.hscfg`);
//! - [`http`]: the REST client (plain HTTP; HTTPS with the `tls` feature), bounded answers,
//!   timeouts, one-line errors naming the URL and the status;
//! - [`types`]: HSDS JSON datatypes and values <-> our [`Datatype`](crate::hdf5::message::datatype::Datatype)
//!   and raw element bytes;
//! - [`objects`]: the domain's objects (groups, links, attributes, datasets) as HSDS answers them.
//!
//! See `spec/hsds.md`.

pub mod credentials;
pub mod error;
pub mod http;
pub mod objects;
pub mod snapshot;
pub mod types;
pub mod upload;
pub mod url;

pub use credentials::Credentials;
pub use error::HsdsError;
pub use http::Client;
pub use url::HsdsUrl;

use std::path::Path;

use crate::hdf5::read::File;
use crate::Limits;

/// A client for `url` (`http://HOST:PORT/DOMAIN`) with the default timeout.
pub fn client(url: &str, creds: &Credentials) -> crate::Result<Client> {
    Ok(Client::new(
        HsdsUrl::parse(url)?,
        creds,
        http::DEFAULT_TIMEOUT,
    )?)
}

/// Read the domain at `url` as a [`File`] (an in-memory image; see [`snapshot`]).
pub fn open(url: &str, creds: &Credentials, limits: &Limits) -> crate::Result<File> {
    let c = client(url, creds)?;
    Ok(snapshot::snapshot(&c, limits)?)
}

/// Copy the HDF5 file `local` to a new domain at `url` (refusing or replacing an existing one):
/// the domain appears whole, or (on failure) is left as it was.
pub fn upload_file(
    local: &Path,
    url: &str,
    creds: &Credentials,
    if_exists: upload::IfExists,
) -> crate::Result<()> {
    let f = File::open(local)?;
    let c = client(url, creds)?;
    let mut up = upload::Uploader::create(c, if_exists)?;
    if let Err(e) = up.sync(&f) {
        // Nothing was published: remove the staging domain.
        let _ = up.abandon();
        return Err(e.into());
    }
    Ok(())
}

/// Write the domain at `url` to a new HDF5 file `out`.
pub fn download(url: &str, creds: &Credentials, out: &Path, limits: &Limits) -> crate::Result<()> {
    let c = client(url, creds)?;
    Ok(snapshot::download(&c, out, limits)?)
}
