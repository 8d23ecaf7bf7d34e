//! `import` and `script`: commands that write a new PyMoDAQ file from a JSON description.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::output::{read_json, refuse_existing, write_via_temp};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  pymodaq-h5 import spectrum.json spectrum.h5            # contract import-json
  some-program | pymodaq-h5 import - out.h5 --force       # description on standard input
  pymodaq-h5 import scan.h5 http://localhost:5101/home/alice/scan.h5   # file -> HSDS domain")]
pub struct ImportArgs {
    /// The description (`-` for standard input); with an HSDS URL as OUT, also a PyMoDAQ
    /// HDF5 file to copy to the domain.
    description: PathBuf,
    /// The file to create, or an HSDS domain `http://HOST:PORT/DOMAIN/PATH.h5`.
    out: PathBuf,
    /// Replace OUT if it exists.
    #[arg(long)]
    force: bool,
    /// Write no NeXus hints (NX_class, signal, axes, long_name, default): only what
    /// PyMoDAQ's own savers write.
    #[arg(long)]
    no_nexus: bool,
}

#[derive(clap::Args)]
#[command(after_help = "Examples:
  pymodaq-h5 script scan_script.json scan.h5      # saver calls replayed (spec/pymodaq-write.md)
  pymodaq-h5 script - scan.h5 --force --no-nexus  # from standard input, no NeXus hints")]
pub struct ScriptArgs {
    /// The script (`-` for standard input).
    script: PathBuf,
    /// The file to create.
    out: PathBuf,
    /// Replace OUT if it exists.
    #[arg(long)]
    force: bool,
    /// Write no NeXus hints (same as `"nexus_hints": false` in the script).
    #[arg(long)]
    no_nexus: bool,
}

pub fn import(a: ImportArgs) -> anyhow::Result<ExitCode> {
    let ImportArgs {
        description,
        out,
        force,
        no_nexus,
    } = a;
    if crate::hsds::is_url(&out) && is_hdf5(&description) {
        // A PyMoDAQ file copied to a new domain.
        crate::hsds::upload(&description, out.to_str().unwrap_or_default(), force)?;
        return Ok(ExitCode::SUCCESS);
    }
    let doc = read_json(&description)?;
    let parsed = match pymodaq_h5::pymodaq::import::parse_import(&doc) {
        Ok(mut d) => {
            d.nexus_hints &= !no_nexus;
            d
        }
        Err(e) => {
            eprintln!("pymodaq-h5: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    if crate::hsds::is_url(&out) {
        crate::hsds::write_domain(&out, force, |tmp| {
            pymodaq_h5::pymodaq::import::write_import(&parsed, tmp)?;
            Ok(())
        })?;
        return Ok(ExitCode::SUCCESS);
    }
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

/// Whether `p` is an HDF5 file (signature at offset 0, or after a 512-byte userblock).
fn is_hdf5(p: &std::path::Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(p) else {
        return false;
    };
    [0u64, 512].iter().any(|&at| {
        let mut sig = [0u8; 8];
        f.seek(SeekFrom::Start(at)).is_ok()
            && f.read_exact(&mut sig).is_ok()
            && sig == *b"\x89HDF\r\n\x1a\n"
    })
}

pub fn script(a: ScriptArgs) -> anyhow::Result<ExitCode> {
    let no_hints = |mut doc: serde_json::Value| {
        if a.no_nexus {
            if let Some(m) = doc.as_object_mut() {
                m.insert("nexus_hints".into(), false.into());
            }
        }
        doc
    };
    if crate::hsds::is_url(&a.out) {
        let doc = no_hints(read_json(&a.script)?);
        crate::hsds::write_domain(&a.out, a.force, |tmp| {
            pymodaq_h5::pymodaq::script::run_script(&doc, tmp)?;
            Ok(())
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    refuse_existing(&a.out, a.force)?;
    let doc = no_hints(read_json(&a.script)?);
    // Written beside OUT then renamed: an error leaves no partial file (and no damaged old one).
    write_via_temp(&a.out, a.force, |tmp| {
        pymodaq_h5::pymodaq::script::run_script(&doc, tmp)?;
        Ok(())
    })
    .with_context(|| format!("{}", a.out.display()))?;
    Ok(ExitCode::SUCCESS)
}
