//! `record`: stream measurements from standard input into a PyMoDAQ file (contract record).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  some-sensor | pymodaq-h5 record log.h5 --names T,P --units K,mbar
  printf '1.5,2\\n1.6,2.1\\n' | pymodaq-h5 record log.h5 --force          # replace log.h5
  some-sensor | pymodaq-h5 record log.h5 --append                    # continue after a crash
  some-sensor | pymodaq-h5 record log.h5 --flush-every 10 --compress 1

Each line holds one value per channel (comma, tab or space separated). Every flush is
kill-safe: readers (h5py, PyMoDAQ, `pymodaq-h5 serve`) see whole rows while it records.")]
pub struct Args {
    /// The file to create, or an HSDS domain `http://HOST:PORT/DOMAIN/PATH.h5` (each flush
    /// is sent to the server).
    out: PathBuf,
    /// Channel names, comma-separated (default CH00, CH01.. from the first line).
    #[arg(long, value_delimiter = ',')]
    names: Option<Vec<String>>,
    /// Channel units, comma-separated, in the order of the names.
    #[arg(long, value_delimiter = ',')]
    units: Option<Vec<String>>,
    /// Title of the logger and detector groups.
    #[arg(long, default_value = "Sensor log")]
    title: String,
    /// Flush (commit kill-safely) every N lines.
    #[arg(long, default_value_t = 1000)]
    flush_every: u64,
    /// Flush at least this often: e.g. 500ms, 1s, 2m.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    flush_interval: std::time::Duration,
    /// zlib compression level 0-9 (default: none).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=9))]
    compress: Option<u32>,
    /// Continue the recording of an existing OUT.h5 after its last committed row.
    #[arg(long, conflicts_with = "force")]
    append: bool,
    /// Replace an existing OUT.h5.
    #[arg(long)]
    force: bool,
    /// No progress line on standard error.
    #[arg(long)]
    quiet: bool,
    /// Write no NeXus hints (by default the channel groups get NX_class/signal/axes as they
    /// are created, so h5web plots them even while recording or after a crash).
    #[arg(long)]
    no_nexus: bool,
    /// What the finished file survives: `sync` (default) fsyncs it at the end, so it survives
    /// a power loss; `flush` does not (every flush survives the process being killed either way).
    #[arg(long, default_value = "sync", value_parser = ["flush", "sync"])]
    durability: String,
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (e.g. 500ms, 1s, 2m)"))?;
    if !v.is_finite() || v < 0.0 || v * mult > 1e9 {
        return Err(format!("{s:?} is not a usable duration"));
    }
    Ok(std::time::Duration::from_secs_f64(v * mult))
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    use pymodaq_h5::pymodaq::record::{self, Existing, RecordOptions};
    use std::io::IsTerminal;
    let opts = RecordOptions {
        names: a.names,
        units: a.units.unwrap_or_default(),
        title: a.title,
        flush_every: a.flush_every,
        flush_interval: a.flush_interval,
        compress: a.compress,
        durability: if a.durability == "flush" {
            pymodaq_h5::hdf5::write::Durability::Flush
        } else {
            pymodaq_h5::hdf5::write::Durability::Sync
        },
        nexus_hints: !a.no_nexus,
        ..RecordOptions::default()
    };
    let existing = if a.append {
        Existing::Append
    } else if a.force {
        Existing::Force
    } else {
        Existing::Refuse
    };
    let mut _spool = None;
    let opened = if crate::hsds::is_url(&a.out) {
        match crate::hsds::open_recorder(&a.out, existing, opts) {
            Ok((r, g)) => {
                _spool = Some(g);
                Ok(r)
            }
            Err(e) => {
                eprintln!("pymodaq-h5: {}", format!("{e:#}").replace('\n', " "));
                return Ok(ExitCode::from(1));
            }
        }
    } else {
        record::open_recorder(&a.out, existing, opts)
    };
    let mut rec = match opened {
        Ok(r) => r,
        Err(pymodaq_h5::Error::Usage(m)) => {
            eprintln!("pymodaq-h5: {m}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e).with_context(|| format!("{}", a.out.display())),
    };
    for w in rec.warnings() {
        eprintln!("pymodaq-h5: warning: {w}");
    }
    let show = !a.quiet && std::io::stderr().is_terminal();
    let start = std::time::Instant::now();
    let stdin = std::io::BufReader::new(std::io::stdin());
    let mut err = std::io::stderr();
    let stats = record::record_stream(&mut rec, stdin, &mut err, |s| {
        if show {
            let rate = s.recorded as f64 / start.elapsed().as_secs_f64().max(1e-9);
            eprint!("\r{} lines recorded, {rate:.0}/s   ", s.recorded);
        }
    })
    .with_context(|| format!("{}", a.out.display()))?;
    if show {
        eprintln!();
    }
    rec.close()
        .with_context(|| format!("{}", a.out.display()))?;
    let _ = stats;
    Ok(ExitCode::SUCCESS)
}
