//! `attrs`: the attributes of one node.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::output::{open, shorten};

#[derive(clap::Args)]
pub struct Args {
    /// The HDF5 file.
    file: PathBuf,
    /// Node path (default: the root).
    #[arg(default_value = "/")]
    path: String,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let Args { file, path } = a;
    let f = open(&file)?;
    let node = f
        .get(&path)
        .with_context(|| format!("{}: {path}", file.display()))?;
    let mut so = std::io::stdout().lock();
    for a in node.object().attributes()? {
        let v = match a.values() {
            Ok(vals)
                if a.dataspace.kind
                    == pymodaq_h5::hdf5::message::dataspace::DataspaceKind::Null =>
            {
                let _ = vals;
                "(empty)".to_string()
            }
            Ok(vals) => {
                let j: Vec<serde_json::Value> =
                    vals.iter().map(pymodaq_h5::dump::value_json).collect();
                let text = if j.len() == 1 && a.dataspace.dims.is_empty() {
                    match &j[0] {
                        serde_json::Value::Object(m) if m.contains_key("text") => {
                            m["text"].as_str().unwrap_or("").to_string()
                        }
                        serde_json::Value::String(t) => t.clone(),
                        other => other.to_string(),
                    }
                } else {
                    serde_json::Value::Array(j).to_string()
                };
                shorten(&text, 200)
            }
            Err(e) => format!("!error: {e}"),
        };
        writeln!(so, "{} = {v}", a.name)?;
    }
    Ok(ExitCode::SUCCESS)
}
