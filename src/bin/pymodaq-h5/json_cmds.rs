//! `dump` and `load`: the JSON contracts (pymodaq-h5-dump/1, load-json).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::output::{file_name, open, Output};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  pymodaq-h5 dump --json scan.h5 > scan.json            # summaries above 64 values
  pymodaq-h5 dump --json --full scan.h5 --out all.json  # every value, streamed")]
pub struct DumpArgs {
    /// Emit JSON (the only format; kept for the contract's spelling).
    #[arg(long)]
    json: bool,
    /// List every dataset's values (nested lists) instead of the summary above 64 elements;
    /// streamed, so memory stays bounded whatever the file size.
    #[arg(long)]
    full: bool,
    /// Write to this file instead of standard output (`-`: standard output). Like the shell's
    /// `> FILE` of the JSON contracts it replaces an existing file, but atomically: written to
    /// a temporary file beside it, renamed when complete (a failure leaves the old file).
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar on standard error (it shows only on a terminal anyway).
    #[arg(long, short)]
    quiet: bool,
    /// The HDF5 file.
    file: PathBuf,
}

#[derive(clap::Args)]
#[command(after_help = "Examples:
  pymodaq-h5 load --json scan.h5 > scan.json            # what PyMoDAQ's loaders return
  pymodaq-h5 load --json --full scan.h5 --out all.json  # every value, written as computed
  pymodaq-h5 load --json --strict scan.h5               # fail where a read-only PyMoDAQ fails")]
pub struct LoadArgs {
    /// Emit JSON (the only format; kept for the contract's spelling).
    #[arg(long)]
    json: bool,
    /// List every array value (no `head`).
    #[arg(long)]
    full: bool,
    /// Implied (data nodes are also loaded with their background); accepted for scripts.
    #[arg(long)]
    with_bkg: bool,
    /// Write to this file instead of standard output (`-`: standard output). Like the shell's
    /// `> FILE` of the JSON contracts it replaces an existing file, but atomically: written to
    /// a temporary file beside it, renamed when complete (a failure leaves the old file).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Fail on nodes missing `CLASS` as PyMoDAQ does when it opens a file read-only (by
    /// default they are classified as PyMoDAQ classifies them in a writable file).
    #[arg(long)]
    strict: bool,
    /// No progress spinner on standard error (it shows only on a terminal anyway).
    #[arg(long, short)]
    quiet: bool,
    /// The PyMoDAQ HDF5 file.
    file: PathBuf,
}

pub fn dump(a: DumpArgs) -> anyhow::Result<ExitCode> {
    let DumpArgs {
        json: _,
        full,
        out,
        quiet,
        file,
    } = a;
    let f = open(&file)?;
    let pb = crate::progress::bytes(pymodaq_h5::dump::data_bytes(&f), "dump", quiet);
    let inc = |n: u64| pb.inc(n);
    let opts = pymodaq_h5::dump::DumpOptions {
        full,
        progress: Some(&inc),
    };
    let mut w = Output::create(out.as_deref().unwrap_or(Path::new("-")), true)?;
    let had_errors = pymodaq_h5::dump::dump_streamed(&f, &file_name(&file), opts, &mut w)
        .with_context(|| format!("{}", file.display()))?;
    finish(w, &pb, had_errors)
}

pub fn load(a: LoadArgs) -> anyhow::Result<ExitCode> {
    let LoadArgs {
        json: _,
        full,
        with_bkg: _,
        out,
        strict,
        quiet,
        file,
    } = a;
    let f = open(&file)?;
    // The JSON contract keeps PyMoDAQ's exception for a plain HDF5 file; a person gets words.
    crate::pmd::require_pymodaq(&f, &file)?;
    // Read-only, always: what PyMoDAQ loads once it may write (CLASS, Logger) loads here
    // without writing anything; `--strict` reproduces its read-only failures. Written as it
    // is computed (no array held as JSON values; data nodes loaded one at a time).
    let mut w = Output::create(out.as_deref().unwrap_or(Path::new("-")), true)?;
    let pb = crate::progress::written("load", quiet);
    let had_errors = pymodaq_h5::pymodaq::tools::load_json_stream::write_load_json(
        &f,
        &file_name(&file),
        full,
        !strict,
        &mut crate::progress::Counting {
            inner: &mut w,
            pb: &pb,
        },
    )
    .with_context(|| format!("{}", file.display()))?;
    finish(w, &pb, had_errors)
}

/// The output put in place, the bar cleared, and exit 3 when some nodes could not be read
/// (they are reported in the JSON).
fn finish(w: Output, pb: &indicatif::ProgressBar, had_errors: bool) -> anyhow::Result<ExitCode> {
    w.commit()?;
    pb.finish_and_clear();
    Ok(if had_errors {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}
