//! `export`: one dataset to `.npy`/CSV, or a dataset or group to `.txt` (H5Browser's exporter).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use pymodaq_h5::hdf5::read::Node;

use crate::output::open;

#[derive(clap::Args)]
pub struct Args {
    /// The HDF5 file.
    file: PathBuf,
    /// Dataset path.
    path: String,
    /// Output file; its extension (.npy, .csv or .txt) picks the format.
    #[arg(short, long)]
    out: PathBuf,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let Args { file, path, out } = a;
    let f = open(&file)?;
    if out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
    {
        // PyMoDAQ's text exporter (H5BrowserUtil.export_data): an array, or the 1-D
        // arrays of a group as columns.
        pymodaq_h5::pymodaq::browsing::H5BrowserUtil::new(&f)
            .export_data(&path, &out)
            .with_context(|| format!("{}: {path}", file.display()))?;
        eprintln!("wrote {}", out.display());
        return Ok(ExitCode::SUCCESS);
    }
    let Node::Dataset(d) = f
        .get(&path)
        .with_context(|| format!("{}: {path}", file.display()))?
    else {
        anyhow::bail!("{path} is not a dataset");
    };
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "npy" => std::fs::write(&out, pymodaq_h5::export::to_npy(&d)?)?,
        "csv" => std::fs::write(&out, pymodaq_h5::export::to_csv(&d)?)?,
        _ => anyhow::bail!(
            "unknown export format for {} (use .npy or .csv)",
            out.display()
        ),
    }
    eprintln!("wrote {}", out.display());
    Ok(ExitCode::SUCCESS)
}
