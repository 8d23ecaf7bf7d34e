//! `pymodaq-h5`: browse, inspect and export PyMoDAQ HDF5 files.
//!
//! This file is only the command enum and its dispatch: each command lives in its own module
//! (its clap arguments and its `run`), so commands can be added without touching the others.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod annotate;
mod attrs;
mod check;
mod completions;
mod export;
mod export_table;
mod hsds;
mod json_cmds;
mod npz;
mod output;
mod plain;
mod plot;
mod plot_draw;
mod pmd;
mod progress;
mod record;
mod serve;
mod show;
mod tree;
mod write_cmds;

#[derive(Parser)]
#[command(
    name = "pymodaq-h5",
    version,
    about = "Read PyMoDAQ HDF5 files without libhdf5"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
    /// HSDS user for http://HOST:PORT/DOMAIN arguments (else HS_USERNAME, then ~/.hscfg).
    #[arg(long, global = true)]
    hsds_user: Option<String>,
    /// HSDS password (else HS_PASSWORD, then ~/.hscfg).
    #[arg(long, global = true)]
    hsds_password: Option<String>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Dump the whole HDF5 tree as JSON (contract pymodaq-h5-dump/1).
    Dump(json_cmds::DumpArgs),
    /// What PyMoDAQ's own loaders return for the file, as JSON (contract load-json).
    Load(json_cmds::LoadArgs),
    /// Print one line per node: path, kind, shape, type, chunks/filters, title, PyMoDAQ meaning.
    Tree(tree::Args),
    /// Print the attributes of one node, decoded as PyMoDAQ does (settings as a parameter tree).
    Attrs(attrs::Args),
    /// Summarise one PyMoDAQ data node: name, dim, shape, axes with units and range, statistics.
    Show(show::Args),
    /// Read every object and every value; report what is damaged or unsupported.
    Check(check::Args),
    /// Export a node to CSV/TSV with axis columns, .npy, .npz (data + axes), JSON, or .txt as
    /// PyMoDAQ's H5Browser does; the Logger to text; --all for every data node. Streamed.
    Export(export::Args),
    /// Plot one PyMoDAQ data node to PNG or SVG with its axes and units.
    Plot(plot::Args),
    /// Write a new PyMoDAQ file from a JSON description of one DataToExport
    /// (contract import-json).
    Import(write_cmds::ImportArgs),
    /// Replay a saver script (`pymodaq-h5-script/1`, see spec/pymodaq-write.md) into a new
    /// file: every saver call PyMoDAQ's savers offer, in order (refuses an existing OUT
    /// without --force).
    Script(write_cmds::ScriptArgs),
    /// Stream measurements from standard input into a PyMoDAQ file, the way PyMoDAQ's timed
    /// saver does (contract record).
    Record(record::Args),
    /// Add NeXus hints (NX_class, signal, axes, long_name, default) to PyMoDAQ files in place,
    /// so h5web, silx and nexusformat plot the data against its axes.
    AnnotateNexus(annotate::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionArgs),
    /// Print the man page (or write one page per command with --dir).
    Man(completions::ManArgs),
    /// Serve files over h5grove's HTTP API (for h5web) with an embedded viewer page
    /// (contract serve).
    Serve(serve::Args),
    /// Internal: one copy of a recording to its HSDS domain (a process of its own, see hsds.rs).
    #[command(name = "hsds-sync", hide = true)]
    HsdsSync { args: Vec<String> },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    hsds::set_creds(cli.hsds_user.as_deref(), cli.hsds_password.as_deref());
    let r = match cli.cmd {
        Cmd::Dump(a) => json_cmds::dump(a),
        Cmd::Load(a) => json_cmds::load(a),
        Cmd::Tree(a) => tree::run(a),
        Cmd::Attrs(a) => attrs::run(a),
        Cmd::Show(a) => show::run(a),
        Cmd::Check(a) => check::run(a),
        Cmd::Export(a) => export::run(a),
        Cmd::Plot(a) => plot::run(a),
        Cmd::Import(a) => write_cmds::import(a),
        Cmd::Script(a) => write_cmds::script(a),
        Cmd::Record(a) => record::run(a),
        Cmd::Serve(a) => serve::run(a),
        Cmd::AnnotateNexus(a) => annotate::run(a),
        Cmd::Completions(a) => completions::completions(a),
        Cmd::Man(a) => completions::man(a),
        Cmd::HsdsSync { args } => return hsds::sync_cmd(&args),
    };
    output::finish(r)
}
