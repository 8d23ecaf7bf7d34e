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

/// Copy the local file `local` to a new domain `url` (built under a staging name and
/// published whole: a failed copy leaves no domain, and a replaced one as it was).
pub fn upload(local: &Path, url: &str, force: bool) -> anyhow::Result<()> {
    let f = File::open(local).with_context(|| local.display().to_string())?;
    let c = client(Path::new(url))?;
    let mut up = Uploader::create(
        c,
        if force {
            IfExists::Replace
        } else {
            IfExists::Refuse
        },
    )?;
    if let Err(e) = up.sync(&f) {
        let _ = up.abandon();
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
///
/// Every copy (the first one creates the domain) runs in a process of its own,
/// `pymodaq-h5 hsds-sync URL SPOOL STATE MODE`, started in its own process group, which the
/// recorder waits for: killing the recorder (its process or its process group) never
/// interrupts a copy, so a reader of the domain finds, once that process has ended, the
/// spool file as it was at some flush, whole (spec/hsds.md, "Crash semantics").
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
    let state = sp.dir.join("upload-state.json");
    let guard = SpoolGuard { _spool: sp };
    // PyMoDAQ writes domains through h5pyd in the h5py flavour.
    let opts = pymodaq_h5::pymodaq::record::RecordOptions {
        flavour: pymodaq_h5::pymodaq::save::Flavour::H5py,
        ..opts
    };
    let append = existing == Existing::Append && c.exists()?;
    let (mut rec, mode) = if append {
        hsds::snapshot::download(&c, &tmp, &pymodaq_h5::Limits::default())?;
        let mut up = {
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
        let after = File::open(&tmp).with_context(|| u.clone())?;
        up.cap_valid(&after)?;
        write_state(&state, &up)?;
        (rec, SyncMode::State)
    } else {
        let mode = if existing == Existing::Force {
            SyncMode::Replace
        } else {
            if c.exists()? {
                anyhow::bail!("{u}: the domain exists (use --force to replace it)");
            }
            SyncMode::Refuse
        };
        let rec = Recorder::create(&tmp, opts).with_context(|| u.clone())?;
        (rec, mode)
    };
    let mut mode = Some(mode);
    let u2 = u.clone();
    rec.on_flush(OnFlush(Box::new(move |p: &Path, last: bool| {
        let m = match mode.take() {
            Some(m) => m,
            // The last copy sets the extents to the rows (not ahead of them).
            None if last => SyncMode::Final,
            None => SyncMode::State,
        };
        run_sync(&u2, p, &state, m).map_err(|e| {
            // HSDS errors name the domain already.
            let msg = format!("{e:#}");
            let msg = if msg.contains(u2.as_str()) {
                msg
            } else {
                format!("{u2}: {msg}")
            };
            pymodaq_h5::Error::Io(std::io::Error::other(msg))
        })
    })))
    .with_context(|| u.clone())?;
    Ok((rec, guard))
}

/// Removes the local spool file of a recording when the command ends.
pub struct SpoolGuard {
    _spool: Spool,
}

/// The environment variable that gives a copy process its recorder's process id.
const RECORDER_PID: &str = "PYMODAQ_H5_RECORDER_PID";

/// The hidden subcommand that copies a recording's flush to its domain (see [`run_sync`]).
pub const SYNC: &str = "hsds-sync";

/// How a sync finds the domain: created (refusing or replacing an existing one) by the first
/// sync, else known from the state file the previous sync wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SyncMode {
    Refuse,
    Replace,
    State,
    /// The last copy of a recording: the extents set to the rows.
    Final,
}

impl SyncMode {
    fn arg(self) -> &'static str {
        match self {
            SyncMode::Refuse => "create",
            SyncMode::Replace => "replace",
            SyncMode::State => "state",
            SyncMode::Final => "final",
        }
    }

    fn parse(s: &str) -> Option<SyncMode> {
        match s {
            "create" => Some(SyncMode::Refuse),
            "replace" => Some(SyncMode::Replace),
            "state" => Some(SyncMode::State),
            "final" => Some(SyncMode::Final),
            _ => None,
        }
    }
}

fn write_state(path: &Path, up: &Uploader) -> anyhow::Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, up.state().to_string())
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The uploader a state file describes.
fn read_state(c: hsds::Client, state: &Path) -> anyhow::Result<Uploader> {
    // Our own file, read with a cap all the same.
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut std::io::Read::take(
            std::fs::File::open(state).with_context(|| format!("reading {}", state.display()))?,
            64 << 20,
        ),
        &mut text,
    )
    .with_context(|| format!("reading {}", state.display()))?;
    let j: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("reading {}", state.display()))?;
    Ok(Uploader::from_state(c, &j)?)
}

/// The lock every copy holds while it runs (beside the state file): the guardian waits on
/// it for the copy in progress to end.
fn copy_lock(state: &Path) -> anyhow::Result<std::fs::File> {
    let p = state.with_extension("lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .with_context(|| format!("opening {}", p.display()))?;
    f.lock()
        .with_context(|| format!("locking {}", p.display()))?;
    Ok(f)
}

/// One copy of the spool file to the domain, in this process.
fn sync_here(url: &str, spool: &Path, state: &Path, mode: SyncMode) -> anyhow::Result<()> {
    let _lock = copy_lock(state)?;
    let c = client(Path::new(url))?;
    let f = File::open(spool).with_context(|| spool.display().to_string())?;
    let mut up = match mode {
        SyncMode::State => read_state(c, state)?,
        SyncMode::Final => read_state(c, state)?.exact_extents(),
        SyncMode::Refuse | SyncMode::Replace => Uploader::create(
            c,
            if mode == SyncMode::Replace {
                IfExists::Replace
            } else {
                IfExists::Refuse
            },
        )?
        .append_only(),
    };
    if let Err(e) = up.sync(&f) {
        if matches!(mode, SyncMode::Refuse | SyncMode::Replace) {
            // Nothing published: remove the staging domain.
            let _ = up.abandon();
        }
        return Err(e.into());
    }
    write_state(state, &up)
}

/// Copy the flushed spool file to the domain through `pymodaq-h5 hsds-sync`, a child in its
/// own process group (so that killing the recorder, even its process group, cannot stop a
/// copy halfway), and wait for it.
fn run_sync(url: &str, spool: &Path, state: &Path, mode: SyncMode) -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt;
    // Our own binary gone (replaced on disk mid-recording): copy from here, losing only the
    // protection against a kill in the middle of a copy.
    let Ok(exe) = std::env::current_exe() else {
        return sync_here(url, spool, state, mode);
    };
    let creds = creds();
    let mut cmd = std::process::Command::new(exe);
    cmd.arg(SYNC).arg(url).arg(spool).arg(state).arg(mode.arg());
    // The recorder the guardian watches (the copy's parent may be gone already).
    cmd.env(RECORDER_PID, std::process::id().to_string());
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
        return sync_here(url, spool, state, mode);
    };
    if out.status.success() {
        return Ok(());
    }
    let msg = String::from_utf8_lossy(&out.stderr);
    let line = msg.lines().next().unwrap_or("no message");
    anyhow::bail!("{}", line.strip_prefix("pymodaq-h5: ").unwrap_or(line))
}

/// A process's start time (`/proc/PID/stat`, field 22): `None` once it has ended. Linux only.
fn started(pid: u32) -> Option<String> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count after its closing parenthesis.
    let rest = s.get(s.rfind(')')?.checked_add(1)?..)?;
    rest.split_whitespace().nth(19).map(str::to_string)
}

/// After the first copy of a recording (one per recorder, a marker file beside the state
/// file): start the guardian, `pymodaq-h5 hsds-sync URL SPOOL STATE guard PID`, in a
/// process group of its own (the recorder's grandchild: killing the recorder or its group
/// leaves it), which sets the extents to the rows once the recorder has ended. Best effort:
/// without `/proc` (not Linux) there is no guardian.
fn start_guard(url: &str, spool: &Path, state: &Path) {
    use std::os::unix::process::CommandExt;
    let Some(pid) = std::env::var(RECORDER_PID)
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
    else {
        return;
    };
    if started(std::process::id()).is_none() {
        return;
    }
    let marker = state.with_extension("guard");
    if std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&marker)
        .is_err()
    {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let _ = std::process::Command::new(exe)
        .arg(SYNC)
        .arg(url)
        .arg(spool)
        .arg(state)
        .arg("guard")
        .arg(pid.to_string())
        .env_remove(RECORDER_PID)
        .process_group(0)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

/// The guardian of a recording (see [`start_guard`]): waits for the recorder `pid` to end,
/// then for the copy in progress (its lock), then sets the extents that run ahead of the
/// rows to the rows (spec/hsds.md, "Crash semantics") and removes the spool directory. A
/// recorder that ended normally made its last copy exact and removed the state file:
/// nothing to do.
fn guard(url: &str, spool: &Path, state: &Path, pid: u32) -> anyhow::Result<()> {
    let Some(start) = started(pid) else {
        // Already gone (killed before this process started): guard all the same.
        return trim_after(url, spool, state);
    };
    while started(pid).as_ref() == Some(&start) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    trim_after(url, spool, state)
}

fn trim_after(url: &str, spool: &Path, state: &Path) -> anyhow::Result<()> {
    let dir = spool.parent().map(Path::to_path_buf);
    let r = (|| -> anyhow::Result<()> {
        if !state.exists() {
            return Ok(());
        }
        let _lock = copy_lock(state)?;
        if !state.exists() {
            return Ok(());
        }
        let mut up = read_state(client(Path::new(url))?, state)?;
        up.trim_extents()?;
        Ok(())
    })();
    // The recorder is gone: its spool directory is left to nobody.
    if let Some(d) = dir {
        let _ = std::fs::remove_dir_all(d);
    }
    r
}

/// `pymodaq-h5 hsds-sync URL SPOOL STATE MODE`: one copy of a recording's spool file to its
/// domain, whatever happens to the process that started it.
pub fn sync_cmd(args: &[String]) -> ExitCode {
    use std::io::Write;
    let run = || -> anyhow::Result<()> {
        if let [url, spool, state, g, pid] = args {
            if g == "guard" {
                let pid: u32 = pid.parse().context("guard: not a process id")?;
                return guard(url, Path::new(spool), Path::new(state), pid);
            }
        }
        let [url, spool, state, mode] = args else {
            anyhow::bail!("usage: {SYNC} URL SPOOL STATE create|replace|state|final");
        };
        let mode = SyncMode::parse(mode)
            .ok_or_else(|| anyhow::anyhow!("{mode}: not create, replace, state or final"))?;
        sync_here(url, Path::new(spool), Path::new(state), mode)?;
        if mode != SyncMode::Final {
            start_guard(url, Path::new(spool), Path::new(state));
        }
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The recorder may be gone (its pipe closed): never panic on a failed write.
            let _ = writeln!(
                std::io::stderr(),
                "pymodaq-h5: {}",
                format!("{e:#}").replace('\n', " ")
            );
            ExitCode::from(1)
        }
    }
}
