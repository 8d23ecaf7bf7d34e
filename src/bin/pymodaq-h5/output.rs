//! What every command shares: opening files, reading JSON input, the final exit code.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use pymodaq_h5::hdf5::read::File;

/// Turn a command's result into the process exit code, printing the error on one line.
pub fn finish(r: anyhow::Result<ExitCode>) -> ExitCode {
    match r {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`| head`) is not an error for the user.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("pymodaq-h5: {e:#}");
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
