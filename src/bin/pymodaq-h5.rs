//! `pymodaq-h5`: browse, inspect and export PyMoDAQ HDF5 files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use pymodaq_h5::hdf5::read::{File, Group, LinkKind, Node};

#[derive(Parser)]
#[command(
    name = "pymodaq-h5",
    version,
    about = "Read PyMoDAQ HDF5 files without libhdf5"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Dump the whole HDF5 tree as JSON (contract pymodaq-h5-dump/1).
    Dump {
        /// Emit JSON (the only format; kept for the contract's spelling).
        #[arg(long)]
        json: bool,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The HDF5 file.
        file: PathBuf,
    },
    /// What PyMoDAQ's own loaders return for the file, as JSON (contract load-json).
    Load {
        /// Emit JSON (the only format; kept for the contract's spelling).
        #[arg(long)]
        json: bool,
        /// List every array value (no `head`).
        #[arg(long)]
        full: bool,
        /// Implied (data nodes are also loaded with their background); accepted for scripts.
        #[arg(long)]
        with_bkg: bool,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The PyMoDAQ HDF5 file.
        file: PathBuf,
    },
    /// Print one line per node: path, kind, shape, type, chunks/filters, title.
    Tree {
        /// The HDF5 file.
        file: PathBuf,
    },
    /// Print the attributes of one node (values decoded; long text shortened).
    Attrs {
        /// The HDF5 file.
        file: PathBuf,
        /// Node path (default: the root).
        #[arg(default_value = "/")]
        path: String,
    },
    /// Read every object and every value; report what is damaged or unsupported.
    Check {
        /// The HDF5 file(s).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Export one dataset to NumPy `.npy` or CSV (numeric data; 1-D and 2-D for CSV), or a
    /// dataset or group to `.txt` as PyMoDAQ's H5Browser text exporter does.
    Export {
        /// The HDF5 file.
        file: PathBuf,
        /// Dataset path.
        path: String,
        /// Output file; its extension (.npy, .csv or .txt) picks the format.
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Write a new PyMoDAQ file from a JSON description of one DataToExport
    /// (contract import-json).
    Import {
        /// The description (`-` for standard input).
        description: PathBuf,
        /// The file to create.
        out: PathBuf,
        /// Replace OUT if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Replay a saver script (`pymodaq-h5-script/1`, see spec/pymodaq-write.md) into a new
    /// file: every saver call PyMoDAQ's savers offer, in order.
    Script {
        /// The script (`-` for standard input).
        script: PathBuf,
        /// The file to create (replaced if it exists).
        out: PathBuf,
    },
    /// Stream measurements from standard input into a PyMoDAQ file, the way PyMoDAQ's timed
    /// saver does (contract record).
    Record(RecordArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
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

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn open(p: &Path) -> anyhow::Result<File> {
    File::open(p).with_context(|| format!("{}", p.display()))
}

#[derive(clap::Args)]
struct RecordArgs {
    /// The file to create.
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

fn record(a: RecordArgs) -> anyhow::Result<ExitCode> {
    use pymodaq_h5::pymodaq::record::{self, Existing, RecordOptions};
    use std::io::IsTerminal;
    let opts = RecordOptions {
        names: a.names,
        units: a.units.unwrap_or_default(),
        title: a.title,
        flush_every: a.flush_every,
        flush_interval: a.flush_interval,
        compress: a.compress,
        ..RecordOptions::default()
    };
    let existing = if a.append {
        Existing::Append
    } else if a.force {
        Existing::Force
    } else {
        Existing::Refuse
    };
    let mut rec = match record::open_recorder(&a.out, existing, opts) {
        Ok(r) => r,
        Err(pymodaq_h5::Error::Usage(m)) => {
            eprintln!("pymodaq-h5: {m}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e).with_context(|| format!("{}", a.out.display())),
    };
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

fn read_json(p: &Path) -> anyhow::Result<serde_json::Value> {
    let text = if p.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
        s
    } else {
        std::fs::read_to_string(p).with_context(|| format!("{}", p.display()))?
    };
    serde_json::from_str(&text).with_context(|| format!("{}: not JSON", p.display()))
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.cmd {
        Cmd::Import {
            description,
            out,
            force,
        } => {
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
        Cmd::Script { script, out } => {
            let doc = read_json(&script)?;
            pymodaq_h5::pymodaq::save::script::run_script(&doc, &out)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Record(args) => record(args),
        Cmd::Dump { json: _, out, file } => {
            let f = open(&file)?;
            let d = pymodaq_h5::dump::dump_file(&f, &file_name(&file))
                .with_context(|| format!("{}", file.display()))?;
            let text = serde_json::to_string_pretty(&d.json)?;
            match out {
                Some(o) => std::fs::write(&o, text + "\n")
                    .with_context(|| format!("writing {}", o.display()))?,
                None => {
                    let mut so = std::io::stdout().lock();
                    writeln!(so, "{text}")?;
                }
            }
            Ok(if d.had_errors {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Cmd::Load {
            json: _,
            full,
            with_bkg: _,
            out,
            file,
        } => {
            let f = open(&file)?;
            let (doc, had_errors) =
                pymodaq_h5::pymodaq::load_json::load_json(&f, &file_name(&file), full)
                    .with_context(|| format!("{}", file.display()))?;
            let text = serde_json::to_string_pretty(&doc)?;
            match out {
                Some(o) => std::fs::write(&o, text + "\n")
                    .with_context(|| format!("writing {}", o.display()))?,
                None => {
                    let mut so = std::io::stdout().lock();
                    writeln!(so, "{text}")?;
                }
            }
            Ok(if had_errors {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Cmd::Attrs { file, path } => {
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
        Cmd::Check { files } => {
            let mut bad = false;
            for file in files {
                let (objects, problems) = check(&file);
                if problems.is_empty() {
                    println!(
                        "{}: OK ({objects} objects, every value read)",
                        file.display()
                    );
                } else {
                    bad = true;
                    println!(
                        "{}: {} problem(s) in {objects} objects",
                        file.display(),
                        problems.len()
                    );
                    for p in problems {
                        println!("  {p}");
                    }
                }
            }
            Ok(if bad {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Cmd::Export { file, path, out } => {
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
        Cmd::Tree { file } => {
            let f = open(&file)?;
            let root = f.root().with_context(|| format!("{}", file.display()))?;
            let mut so = std::io::stdout().lock();
            let mut errors = false;
            writeln!(so, "/ group{}", title_suffix(root.object()))?;
            tree(
                &f,
                &root,
                &mut so,
                &mut errors,
                &mut std::collections::HashSet::new(),
                0,
            )?;
            Ok(if errors {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

fn shorten(s: &str, n: usize) -> String {
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

/// Walk everything and read every value; (objects seen, problems).
fn check(file: &Path) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let mut objects = 0usize;
    let f = match File::open(file) {
        Ok(f) => f,
        Err(e) => return (0, vec![format!("cannot open: {e}")]),
    };
    let r = f.walk(|path, node| {
        objects += 1;
        match node {
            Err(e) => problems.push(format!("{path}: {e}")),
            Ok(n) => {
                if let Err(e) = n
                    .object()
                    .attributes()
                    .and_then(|attrs| attrs.iter().try_for_each(|a| a.values().map(|_| ())))
                {
                    problems.push(format!("{path} (attributes): {e}"));
                }
                match n {
                    Node::Group(g) => {
                        if let Err(e) = g.links() {
                            problems.push(format!("{path} (links): {e}"));
                        }
                    }
                    Node::Dataset(d) => {
                        if let Err(e) = pymodaq_h5::export::read_all_checked(d) {
                            problems.push(format!("{path}: {e}"));
                        }
                    }
                    Node::Datatype(_) => {}
                }
            }
        }
        Ok(())
    });
    if let Err(e) = r {
        problems.push(format!("walk stopped: {e}"));
    }
    (objects, problems)
}

fn title_suffix(o: &pymodaq_h5::hdf5::read::Object) -> String {
    match o.attribute("TITLE") {
        Ok(Some(a)) => match a.as_string() {
            Ok(t) if !t.is_empty() => format!(" '{t}'"),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

fn tree(
    f: &File,
    g: &Group,
    out: &mut impl Write,
    errors: &mut bool,
    seen: &mut std::collections::HashSet<u64>,
    depth: u32,
) -> anyhow::Result<()> {
    seen.insert(g.object().address());
    let links = match g.links() {
        Ok(l) => l,
        Err(e) => {
            *errors = true;
            writeln!(out, "{} !error: {e}", g.path())?;
            return Ok(());
        }
    };
    for l in links {
        let path = pymodaq_h5::hdf5::read::file::join_path(g.path(), &l.name);
        match &l.kind {
            LinkKind::Soft(t) => writeln!(out, "{path} soft-link -> {t}")?,
            LinkKind::External { file, path: p } => {
                writeln!(out, "{path} external-link -> {file}:{p}")?
            }
            LinkKind::UserDefined(t) => writeln!(out, "{path} user-defined-link ({t})")?,
            LinkKind::Hard(addr) => {
                if seen.contains(addr) {
                    writeln!(out, "{path} hard-link (already listed)")?;
                    continue;
                }
                match Node::open(f, *addr, path.clone()) {
                    Ok(Node::Group(cg)) => {
                        writeln!(out, "{path} group{}", title_suffix(cg.object()))?;
                        if depth < 256 {
                            tree(f, &cg, out, errors, seen, depth + 1)?;
                        }
                    }
                    Ok(Node::Dataset(d)) => {
                        seen.insert(*addr);
                        let shape: Vec<String> = d.shape().iter().map(|x| x.to_string()).collect();
                        let mut line = format!(
                            "{path} dataset ({}) {}",
                            shape.join(", "),
                            pymodaq_h5::hdf5::read::dataset::type_summary(&d.datatype)
                        );
                        if let Some(c) = d.chunks() {
                            let c: Vec<String> = c.iter().map(|x| x.to_string()).collect();
                            line += &format!(" chunks=({})", c.join(", "));
                        }
                        if !d.filters.filters.is_empty() {
                            let names: Vec<String> = d
                                .filters
                                .filters
                                .iter()
                                .map(|fd| match fd.id {
                                    1 => format!(
                                        "deflate({})",
                                        fd.client_data.first().copied().unwrap_or(0)
                                    ),
                                    2 => "shuffle".into(),
                                    3 => "fletcher32".into(),
                                    id => format!("filter{id}"),
                                })
                                .collect();
                            line += &format!(" filters={}", names.join("+"));
                        }
                        line += &title_suffix(d.object());
                        writeln!(out, "{line}")?;
                    }
                    Ok(Node::Datatype(_)) => writeln!(out, "{path} datatype")?,
                    Err(e) => {
                        *errors = true;
                        writeln!(out, "{path} !error: {e}")?;
                    }
                }
            }
        }
    }
    Ok(())
}
