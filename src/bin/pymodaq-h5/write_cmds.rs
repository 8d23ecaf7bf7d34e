//! `import` and `script`: commands that write a new PyMoDAQ file from a JSON description.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::output::{read_json, refuse_existing, write_via_temp};

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The description (`-` for standard input).
    description: PathBuf,
    /// The file to create.
    out: PathBuf,
    /// Replace OUT if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(clap::Args)]
pub struct ScriptArgs {
    /// The script (`-` for standard input).
    script: PathBuf,
    /// The file to create.
    out: PathBuf,
    /// Replace OUT if it exists.
    #[arg(long)]
    force: bool,
}

pub fn import(a: ImportArgs) -> anyhow::Result<ExitCode> {
    let ImportArgs {
        description,
        out,
        force,
    } = a;
    let doc = read_json(&description)?;
    let parsed = match pymodaq_h5::pymodaq::import::parse_import(&doc) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("pymodaq-h5: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    if out.exists() && !force {
        eprintln!(
            "pymodaq-h5: {} exists (use --force to replace it)",
            out.display()
        );
        return Ok(ExitCode::from(1));
    }
    write_via_temp(&out, force, |tmp| {
        pymodaq_h5::pymodaq::import::write_import(&parsed, tmp)?;
        Ok(())
    })
    .with_context(|| format!("{}", out.display()))?;
    Ok(ExitCode::SUCCESS)
}

pub fn script(a: ScriptArgs) -> anyhow::Result<ExitCode> {
    refuse_existing(&a.out, a.force)?;
    let doc = read_json(&a.script)?;
    // Written beside OUT then renamed: an error leaves no partial file (and no damaged old one).
    write_via_temp(&a.out, a.force, |tmp| {
        pymodaq_h5::pymodaq::save::script::run_script(&doc, tmp)?;
        Ok(())
    })
    .with_context(|| format!("{}", a.out.display()))?;
    Ok(ExitCode::SUCCESS)
}
