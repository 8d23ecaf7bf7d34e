//! `import` and `script`: commands that write a new PyMoDAQ file from a JSON description.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::output::read_json;

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
    /// The file to create (replaced if it exists).
    out: PathBuf,
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
    pymodaq_h5::pymodaq::import::write_import(&parsed, &out)
        .with_context(|| format!("{}", out.display()))?;
    Ok(ExitCode::SUCCESS)
}

pub fn script(a: ScriptArgs) -> anyhow::Result<ExitCode> {
    let doc = read_json(&a.script)?;
    pymodaq_h5::pymodaq::save::script::run_script(&doc, &a.out)?;
    Ok(ExitCode::SUCCESS)
}
