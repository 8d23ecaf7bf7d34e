//! `serve`: h5grove's REST API and the embedded viewer over a file or a folder.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use pymodaq_h5::serve::{Config, Server};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  pymodaq-h5 serve scan.h5             # then open the viewer address it prints
  pymodaq-h5 serve ~/data --port 0     # every HDF5 file under ~/data, any free port
  pymodaq-h5 serve --dir ~/data --host 0.0.0.0 --allow-origin https://h5web.panosc.eu

The h5grove API (for h5web's H5GroveProvider) answers at the first address printed; the same
API under /nexus (e.g. http://127.0.0.1:8888/nexus) shows PyMoDAQ channel groups as NeXus
NXdata groups, plotted by h5web against their navigation axes (spec/serve.md).")]
pub struct Args {
    /// A file (served alone, the default `file`) or a folder (every HDF5 file under it).
    target: Option<PathBuf>,
    /// Serve every HDF5 file under this folder (`file` is relative to it, never leaves it).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Address to bind (loopback only by default).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port (0: any free port).
    #[arg(long, default_value_t = 8888)]
    port: u16,
    /// `Access-Control-Allow-Origin` sent with every answer, as h5grove's app
    /// (`none`: no CORS header).
    #[arg(long, default_value = "*")]
    allow_origin: String,
    /// Worker threads.
    #[arg(long, default_value_t = 8)]
    threads: usize,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let target = match (&a.target, &a.dir) {
        (Some(_), Some(_)) => {
            eprintln!("pymodaq-h5 serve: give a FILE_OR_DIR or --dir, not both");
            return Ok(ExitCode::from(2));
        }
        (Some(t), None) | (None, Some(t)) => t.clone(),
        (None, None) => PathBuf::from("."),
    };
    let mut config =
        Config::for_target(&target).with_context(|| format!("{}", target.display()))?;
    config.allow_origin = (a.allow_origin != "none").then_some(a.allow_origin);
    config.threads = a.threads.clamp(1, 256);
    let default = config.default_file.clone();
    let server = Server::bind(config, &a.host, a.port)
        .with_context(|| format!("cannot listen on {}:{}", a.host, a.port))?;
    let addr = server.local_addr()?;
    let host = if addr.ip().is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    let mut so = std::io::stdout().lock();
    writeln!(so, "serving http://{host}:{}/", addr.port())?;
    let q = default
        .map(|f| format!("?file={}", encode(&f)))
        .unwrap_or_default();
    writeln!(so, "viewer  http://{host}:{}/viewer/{q}", addr.port())?;
    so.flush()?;
    drop(so);
    server.run();
    Ok(ExitCode::SUCCESS)
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
