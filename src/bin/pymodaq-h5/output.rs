//! What every command shares: opening files, reading JSON input, writing outputs under one
//! overwrite rule, human error lines and the exit codes.
//!
//! Exit codes (README "Exit status"): 0 success; 1 the command could not do its job (file
//! cannot be opened or is not what the command needs, node missing, output exists without
//! `--force`), one line on standard error; 2 bad command-line usage (clap); 3 the file opened
//! but some nodes could not be read, or `check` found problems.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use pymodaq_h5::hdf5::read::File;

/// Exit code: some nodes unreadable / problems found.
pub const EXIT_PROBLEMS: u8 = 3;

/// The file list and `--quiet` of the commands that go over several files.
#[derive(clap::Args)]
pub struct FilesArgs {
    /// The HDF5 file(s).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Less output: no progress bar (`check`), no per-group report (`annotate-nexus`).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Turn a command's result into the process exit code, printing the error on one line.
pub fn finish(r: anyhow::Result<ExitCode>) -> ExitCode {
    // Memory tests (tests/cli_memory.rs): this process's own peak RSS, exact however short it
    // ran (a parent's rusage of its child also counts the forked parent's pages).
    if std::env::var_os("PYMODAQ_H5_REPORT_PEAK_RSS").is_some() {
        if let Some(l) = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .map(str::to_string)
            })
        {
            eprintln!("pymodaq-h5: {l}");
        }
    }
    match r {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`| head`) is not an error for the user, whether it reached us
            // directly or through the library (whose `Io` keeps the io::Error, not as a source).
            let broken = |io: &std::io::Error| io.kind() == std::io::ErrorKind::BrokenPipe;
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(broken)
                    || matches!(c.downcast_ref::<pymodaq_h5::Error>(),
                        Some(pymodaq_h5::Error::Io(io)) if broken(io))
            }) {
                return ExitCode::SUCCESS;
            }
            let line = format!("{e:#}").replace('\n', " ");
            // The library's `Usage` errors read "usage error: ..."; for a person that word is
            // noise (it is not a command-line usage error, which clap reports with exit 2).
            eprintln!("pymodaq-h5: {}", line.replace("usage error: ", ""));
            ExitCode::from(1)
        }
    }
}

pub fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub fn open(p: &Path) -> anyhow::Result<File> {
    if crate::hsds::is_url(p) {
        return crate::hsds::open(p);
    }
    File::open(p).with_context(|| format!("{}", p.display()))
}

pub fn read_json(p: &Path) -> anyhow::Result<serde_json::Value> {
    let text = if p.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
        s
    } else {
        std::fs::read_to_string(p).with_context(|| format!("{}", p.display()))?
    };
    serde_json::from_str(&text).with_context(|| format!("{}: not JSON", p.display()))
}

pub fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!(
            "{}… ({} characters)",
            s.chars().take(n).collect::<String>(),
            s.chars().count()
        )
    }
}

/// The overwrite rule of every command that creates a file: refuse an existing OUT without
/// `--force`. Checked before any work so nothing is computed for nothing.
pub fn refuse_existing(out: &Path, force: bool) -> anyhow::Result<()> {
    if out.as_os_str() != "-" && out.exists() && !force {
        anyhow::bail!("{} exists (use --force to replace it)", out.display());
    }
    Ok(())
}

/// A temporary path beside `out` (same directory, so the final rename is atomic), ending in
/// OUT's extension (writers that pick the format from it, e.g. PNG, see the right one).
pub fn temp_beside(out: &Path) -> PathBuf {
    let dir = pymodaq_h5::storage::dir_of(out);
    let ext = out
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    dir.join(format!(
        ".{}.pymodaq-h5-tmp.{}{ext}",
        file_name(out),
        std::process::id()
    ))
}

/// Run `write` on a temporary file beside `out`, then rename it over `out`: a failure leaves
/// neither a partial file nor a damaged old one.
pub fn write_via_temp(
    out: &Path,
    force: bool,
    write: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    refuse_existing(out, force)?;
    let tmp = temp_beside(out);
    let _ = std::fs::remove_file(&tmp);
    let r = write(&tmp).and_then(|()| {
        std::fs::rename(&tmp, out).with_context(|| format!("writing {}", out.display()))
    });
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

/// An output stream: standard output (`-`) or a temporary file renamed over OUT by
/// [`Output::commit`] (dropped without commit: the temporary file is removed).
pub struct Output {
    w: Option<BufWriter<Box<dyn Write>>>,
    tmp: Option<PathBuf>,
    out: PathBuf,
}

impl Output {
    pub fn create(out: &Path, force: bool) -> anyhow::Result<Output> {
        if out.as_os_str() == "-" {
            return Ok(Output {
                w: Some(BufWriter::with_capacity(
                    1 << 16,
                    Box::new(std::io::stdout()),
                )),
                tmp: None,
                out: out.to_path_buf(),
            });
        }
        refuse_existing(out, force)?;
        let tmp = temp_beside(out);
        let f =
            std::fs::File::create(&tmp).with_context(|| format!("writing {}", out.display()))?;
        Ok(Output {
            w: Some(BufWriter::with_capacity(1 << 16, Box::new(f))),
            tmp: Some(tmp),
            out: out.to_path_buf(),
        })
    }

    pub fn is_stdout(&self) -> bool {
        self.tmp.is_none()
    }

    pub fn commit(mut self) -> anyhow::Result<()> {
        if let Some(w) = self.w.take() {
            let mut inner = w
                .into_inner()
                .map_err(|e| e.into_error())
                .with_context(|| format!("writing {}", self.out.display()))?;
            inner.flush()?;
        }
        if let Some(tmp) = self.tmp.take() {
            std::fs::rename(&tmp, &self.out)
                .with_context(|| format!("writing {}", self.out.display()))?;
        }
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.w {
            Some(w) => w.write(buf),
            None => Ok(0),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match &mut self.w {
            Some(w) => w.write_all(buf),
            None => Ok(()),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.w {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            self.w = None;
            let _ = std::fs::remove_file(tmp);
        }
    }
}
