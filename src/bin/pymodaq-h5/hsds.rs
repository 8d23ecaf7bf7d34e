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
/// `--append` downloads the domain into the spool, continues it there (the local repair of a
/// torn or uncommitted end, with its warnings and refusals, happens on the spool before the
/// server is touched) and then sends only what changed.
pub fn open_recorder(
    url: &Path,
    existing: pymodaq_h5::pymodaq::record::Existing,
    opts: pymodaq_h5::pymodaq::record::RecordOptions,
) -> anyhow::Result<(pymodaq_h5::pymodaq::record::Recorder, SpoolGuard)> {
    use pymodaq_h5::pymodaq::record::{Existing, OnFlush, Recorder};
    let u = url_of(url)?.to_string();
    let c = client(url)?;
    let sp = spool("record", &u)?;
    let tmp = sp.file.clone();
    let guard = SpoolGuard { _spool: sp };
    // PyMoDAQ writes domains through h5pyd in the h5py flavour.
    let opts = pymodaq_h5::pymodaq::record::RecordOptions {
        flavour: pymodaq_h5::pymodaq::save::Flavour::H5py,
        ..opts
    };
    let append = existing == Existing::Append && c.exists()?;
    let (mut rec, up) = if append {
        hsds::snapshot::download(&c, &tmp, &pymodaq_h5::Limits::default())?;
        let up = {
            let before = File::open(&tmp).with_context(|| u.clone())?;
            Uploader::attach(c.clone(), &before)?
        };
        let rec = Recorder::append(&tmp, opts).map_err(|e| match e {
            // The spool's name is the domain's: name the URL instead.
            pymodaq_h5::Error::Usage(m) => {
                anyhow::anyhow!("{}", m.replace(&tmp.display().to_string(), &u))
            }
            e => anyhow::Error::new(e).context(u.clone()),
        })?;
        let mut up = up;
        let after = File::open(&tmp).with_context(|| u.clone())?;
        up.cap_valid(&after)?;
        (rec, up)
    } else {
        let if_exists = if existing == Existing::Force {
            IfExists::Replace
        } else {
            IfExists::Refuse
        };
        let rec = Recorder::create(&tmp, opts).with_context(|| u.clone())?;
        (rec, Uploader::create(c, if_exists)?.append_only())
    };
    let mut up = up.with_shaper(helper_shaper(&u));
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

/// The hidden subcommand that sets dataset shapes for a recording (see [`helper_shaper`]).
pub const SET_SHAPES: &str = "hsds-set-shapes";

/// A recording's "extend first" shapes are set by a child process of their own
/// (`pymodaq-h5 hsds-set-shapes URL ID=DIMS...`, in its own process group): once it is
/// started, killing the recorder (even its process group) cannot stop it halfway, so every
/// channel and the time axis get their new extent, or none does (spec/hsds.md).
fn helper_shaper(url: &str) -> hsds::upload::Shaper {
    let url = url.to_string();
    let creds = creds();
    Box::new(move |c, jobs| {
        use std::os::unix::process::CommandExt;
        let fail = |reason: String| hsds::HsdsError::Connect {
            url: url.clone(),
            reason,
        };
        let in_process = || -> hsds::error::HResult<()> {
            for (id, dims) in jobs {
                c.resize(id, dims)?;
            }
            Ok(())
        };
        // Our own binary gone (replaced on disk mid-recording): set the shapes from here,
        // losing only the protection against a kill between two of them.
        let Ok(exe) = std::env::current_exe() else {
            return in_process();
        };
        let mut cmd = std::process::Command::new(exe);
        cmd.arg(SET_SHAPES).arg(&url);
        for (id, dims) in jobs {
            let d: Vec<String> = dims.iter().map(u64::to_string).collect();
            cmd.arg(format!("{id}={}", d.join("x")));
        }
        // Credentials travel in the environment, never on the command line.
        if let Some(u) = &creds.user {
            cmd.env("HS_USERNAME", u);
        }
        if let Some(p) = &creds.password {
            cmd.env("HS_PASSWORD", p);
        }
        cmd.process_group(0)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let Ok(out) = cmd.output() else {
            return in_process();
        };
        if out.status.success() {
            return Ok(());
        }
        let msg = String::from_utf8_lossy(&out.stderr);
        Err(fail(format!(
            "{SET_SHAPES} failed: {}",
            msg.lines().next().unwrap_or("no message")
        )))
    })
}

/// `pymodaq-h5 hsds-set-shapes URL ID=D0xD1... ...`: every shape, in order, whatever happens
/// to the process that started it.
pub fn set_shapes(args: &[String]) -> ExitCode {
    use std::io::Write;
    let run = || -> anyhow::Result<()> {
        let (url, jobs) = args
            .split_first()
            .ok_or_else(|| anyhow::anyhow!("usage: {SET_SHAPES} URL ID=DIMS..."))?;
        let mut parsed = Vec::new();
        for j in jobs {
            let (id, dims) = j
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("{j}: not ID=DIMS"))?;
            let dims = dims
                .split('x')
                .map(str::parse::<u64>)
                .collect::<Result<Vec<u64>, _>>()
                .map_err(|e| anyhow::anyhow!("{j}: {e}"))?;
            parsed.push((id.to_string(), dims));
        }
        let c = client(Path::new(url))?;
        for (id, dims) in &parsed {
            c.resize(id, dims)?;
        }
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The recorder may be gone (its pipe closed): never panic on a failed write.
            let _ = writeln!(std::io::stderr(), "pymodaq-h5: {e:#}");
            ExitCode::from(1)
        }
    }
}
