//! `http://HOST:PORT/DOMAIN` arguments: HSDS domains wherever a command takes a file
//! (contract hsds.md). Reading commands get the domain as an in-memory file; writing commands
//! write a local file first and copy it to the domain (`record`: after every flush).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

use anyhow::Context;
use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::hsds::upload::{IfExists, Uploader};
use pymodaq_h5::hsds::{self, Credentials};

static CREDS: OnceLock<Credentials> = OnceLock::new();

/// Record the global `--hsds-user` / `--hsds-password` (else the environment, `~/.hscfg`).
pub fn set_creds(user: Option<&str>, password: Option<&str>) {
    let _ = CREDS.set(Credentials::resolve(user, password));
}

fn creds() -> Credentials {
    CREDS
        .get()
        .cloned()
        .unwrap_or_else(|| Credentials::resolve(None, None))
}

/// Whether a FILE argument names an HSDS domain.
pub fn is_url(p: &Path) -> bool {
    p.to_str().is_some_and(hsds::url::is_url)
}

fn url_of(p: &Path) -> anyhow::Result<&str> {
    p.to_str()
        .ok_or_else(|| anyhow::anyhow!("{}: not UTF-8", p.display()))
}

/// The domain as a file.
pub fn open(p: &Path) -> anyhow::Result<File> {
    let c = client(p)?;
    // HSDS errors name the URL, the request and the status already.
    Ok(hsds::snapshot::snapshot(
        &c,
        &pymodaq_h5::Limits::default(),
    )?)
}

fn client(p: &Path) -> anyhow::Result<hsds::Client> {
    let u = url_of(p)?;
    Ok(hsds::Client::new(
        hsds::HsdsUrl::parse(u)?,
        &creds(),
        hsds::http::DEFAULT_TIMEOUT,
    )?)
}

/// A temporary local file for what goes to the domain `url`, named as the domain (the savers
/// store the file's name in the root's `file` attribute), in a directory of its own.
fn spool(tag: &str, url: &str) -> anyhow::Result<Spool> {
    let dir = std::env::temp_dir().join(format!(
        "pymodaq-h5-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = hsds::HsdsUrl::parse(url)?.file_name().to_string();
    Ok(Spool {
        file: dir.join(name),
        dir,
    })
}

struct Spool {
    dir: PathBuf,
    file: PathBuf,
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Create the domain `url` from a file that `write` makes: nothing is created when `write`
/// fails, and a domain whose copy fails is deleted again.
pub fn write_domain(
    url: &Path,
    force: bool,
    write: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let u = url_of(url)?;
    let c = client(url)?;
    if !force && c.exists()? {
        anyhow::bail!("{u} exists (use --force to replace it)");
    }
    let tmp = spool("write", u)?;
    write(&tmp.file)?;
    upload(&tmp.file, u, force)
}

/// Copy the local file `local` to a new domain `url`.
pub fn upload(local: &Path, url: &str, force: bool) -> anyhow::Result<()> {
    let f = File::open(local).with_context(|| local.display().to_string())?;
    let c = client(Path::new(url))?;
    let mut up = Uploader::create(
        c.clone(),
        if force {
            IfExists::Replace
        } else {
            IfExists::Refuse
        },
    )?;
    if let Err(e) = up.sync(&f) {
        let _ = c.delete_domain();
        return Err(e.into());
    }
    Ok(())
}

/// `export SRC -o OUT` without a node, where SRC or OUT is a domain and the other an `.h5`
/// file (or a domain): copy the whole file. `None` when this is not such a call.
pub fn export_copy(
    src: &Path,
    node: Option<&str>,
    out: &Path,
    force: bool,
) -> Option<anyhow::Result<ExitCode>> {
    if node.is_some() || !(is_url(src) || is_url(out)) {
        return None;
    }
    let h5_out = is_url(out)
        || out
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "h5" | "hdf5" | "he5"));
    if !h5_out {
        return None;
    }
    Some((|| {
        match (is_url(src), is_url(out)) {
            (true, false) => {
                crate::output::write_via_temp(out, force, |tmp| {
                    hsds::snapshot::download(&client(src)?, tmp, &pymodaq_h5::Limits::default())?;
                    Ok(())
                })?;
            }
            (false, true) => {
                File::open(src).with_context(|| src.display().to_string())?;
                upload(src, url_of(out)?, force)?;
            }
            _ => {
                write_domain(out, force, |tmp| {
                    hsds::snapshot::download(&client(src)?, tmp, &pymodaq_h5::Limits::default())?;
                    Ok(())
                })?;
            }
        }
        eprintln!("wrote {}", out.display());
        Ok(ExitCode::SUCCESS)
    })())
}

/// `record URL`: record into a local spool file and copy each flush to the domain.
pub fn open_recorder(
    url: &Path,
    existing: pymodaq_h5::pymodaq::record::Existing,
    opts: pymodaq_h5::pymodaq::record::RecordOptions,
) -> anyhow::Result<(pymodaq_h5::pymodaq::record::Recorder, SpoolGuard)> {
    use pymodaq_h5::pymodaq::record::{Existing, OnFlush, Recorder};
    let u = url_of(url)?.to_string();
    if existing == Existing::Append {
        anyhow::bail!("{u}: --append is not supported on an HSDS domain (record a new domain)");
    }
    let c = client(url)?;
    let if_exists = if existing == Existing::Force {
        IfExists::Replace
    } else {
        IfExists::Refuse
    };
    let sp = spool("record", &u)?;
    let tmp = sp.file.clone();
    let guard = SpoolGuard { _spool: sp };
    // PyMoDAQ writes domains through h5pyd in the h5py flavour.
    let opts = pymodaq_h5::pymodaq::record::RecordOptions {
        flavour: pymodaq_h5::pymodaq::save::Flavour::H5py,
        ..opts
    };
    let mut rec = Recorder::create(&tmp, opts).with_context(|| u.clone())?;
    let mut up = Uploader::create(c, if_exists)?.append_only();
    let url_for_err = u.clone();
    rec.on_flush(OnFlush(Box::new(move |p: &Path| {
        let f = File::open(p)?;
        up.sync(&f).map_err(|e| {
            pymodaq_h5::Error::Io(std::io::Error::other(format!("{url_for_err}: {e}")))
        })
    })))
    .with_context(|| u.clone())?;
    Ok((rec, guard))
}

/// Removes the local spool file of a recording when the command ends.
pub struct SpoolGuard {
    _spool: Spool,
}
