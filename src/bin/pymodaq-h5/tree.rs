//! `tree`: one line per node (path, kind, shape, type, chunks/filters, title) with its
//! PyMoDAQ meaning (data type, dimension, name, label, units) when it has one.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use pymodaq_h5::hdf5::filter;
use pymodaq_h5::hdf5::read::{LinkKind, Node, Visit, UNLIMITED};
use pymodaq_h5::pymodaq::backend::H5Backend;

use crate::output::{open, EXIT_PROBLEMS};
use crate::pmd;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  pymodaq-h5 tree scan.h5
  pymodaq-h5 tree scan.h5 /RawData/Scan000/Detector000

A dataset line reads: PATH dataset (SHAPE) TYPE [chunks=..] [filters=..] 'TITLE' [PyMoDAQ meaning],
e.g. `[data Data1D 'spectrum' CH00 (V)]` or `[axis 'wavelength' (nm) index 0]`; a group line
PATH group 'TITLE' [module type], e.g. `[detector]`, `[scan]` (`[save type ..]` on /RawData).")]
pub struct Args {
    /// The HDF5 file.
    file: PathBuf,
    /// List only below this group (default: the root).
    #[arg(default_value = "/")]
    path: String,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let Args { file, path } = a;
    let f = open(&file)?;
    let b = pmd::backend(&f);
    let start = f
        .get(&path)
        .with_context(|| format!("{}: {path}", file.display()))?;
    let mut so = std::io::stdout().lock();
    let mut errors = false;
    let shown = if path.is_empty() { "/" } else { path.as_str() };
    match &start {
        Node::Group(g) => {
            // which PyMoDAQ wrote the file (1.x ... 5.x), on the root line
            let generation = match pymodaq_h5::pymodaq::legacy::detect(&f) {
                Ok(d) if shown == "/" => format!(" [PyMoDAQ {} file]", d.generation.as_str()),
                _ => String::new(),
            };
            writeln!(
                so,
                "{shown} group{}{}{generation}",
                title_suffix(&b, &start, shown),
                group_meaning(&b, &start, shown)
            )?;
            let walk = g.walk_links(|path, visit| {
                let line = match visit {
                    Visit::Object(Ok(n)) => node_line(&b, n, path),
                    Visit::Object(Err(e)) | Visit::GroupError(e) => {
                        errors = true;
                        format!("{path} !error: {e}")
                    }
                    Visit::Seen(_) => format!("{path} hard-link (already listed)"),
                    Visit::Link(LinkKind::Soft(t)) => format!("{path} soft-link -> {t}"),
                    Visit::Link(LinkKind::External { file, path: p }) => {
                        format!("{path} external-link -> {file}:{p}")
                    }
                    Visit::Link(LinkKind::UserDefined(t)) => {
                        format!("{path} user-defined-link ({t})")
                    }
                    Visit::Link(LinkKind::Hard(_)) => return Ok(()),
                };
                writeln!(so, "{line}").map_err(pymodaq_h5::Error::from)
            });
            walk?;
        }
        other => writeln!(so, "{}", node_line(&b, other, shown))?,
    }
    Ok(if errors {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    })
}

/// ` 'TITLE'` decoded as PyMoDAQ decodes it (h5py files store it as a JSON envelope).
fn title_suffix(b: &H5Backend, n: &Node, path: &str) -> String {
    match b.title(&pmd::wrap(n, path)) {
        Ok(t) => {
            let t = pmd::py_str(&t);
            if t.is_empty() {
                String::new()
            } else {
                format!(" '{t}'")
            }
        }
        Err(_) => String::new(),
    }
}

/// `(6,)` as numpy prints a shape; enlargeable dimensions as `6/Inf`.
fn shape_text(d: &pymodaq_h5::hdf5::read::Dataset) -> String {
    let max = d.max_shape();
    let dims: Vec<String> = d
        .shape()
        .iter()
        .enumerate()
        .map(|(i, x)| match max.get(i) {
            Some(&m) if m == UNLIMITED => format!("{x}/Inf"),
            Some(&m) if m != *x => format!("{x}/{m}"),
            _ => x.to_string(),
        })
        .collect();
    tuple(&dims)
}

/// A shape as numpy prints it: `(6,)`, `(2, 3)`, `()`.
pub fn shape_tuple(s: &[u64]) -> String {
    tuple(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>())
}

fn tuple(dims: &[String]) -> String {
    match dims {
        [one] => format!("({one},)"),
        _ => format!("({})", dims.join(", ")),
    }
}

/// A dataset's shape, type, chunks and filters: `(30, 20) int32 chunks=(8, 8)
/// filters=shuffle+deflate(4)`.
pub fn dataset_summary(d: &pymodaq_h5::hdf5::read::Dataset) -> String {
    let mut line = format!(
        "{} {}",
        shape_text(d),
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
                filter::DEFLATE => {
                    format!("deflate({})", fd.client_data.first().copied().unwrap_or(0))
                }
                filter::SHUFFLE | filter::FLETCHER32 => filter::filter_name(fd.id).into(),
                id => format!("filter{id}"),
            })
            .collect();
        line += &format!(" filters={}", names.join("+"));
    }
    line
}

/// ` [TYPE]` for a group carrying PyMoDAQ's `type` (`scan`, `detector`, `actuator`, ...: the
/// module that wrote it); on `/RawData` it is the file's save type.
fn group_meaning(b: &H5Backend, n: &Node, path: &str) -> String {
    match pmd::attr(b, &pmd::wrap(n, path), "type") {
        Some(t) if !t.is_empty() && path == "/RawData" => format!(" [save type {t}]"),
        Some(t) if !t.is_empty() => format!(" [{t}]"),
        _ => String::new(),
    }
}

fn node_line(b: &H5Backend, n: &Node, path: &str) -> String {
    match n {
        Node::Group(_) => format!(
            "{path} group{}{}",
            title_suffix(b, n, path),
            group_meaning(b, n, path)
        ),
        Node::Datatype(_) => format!("{path} datatype"),
        Node::Dataset(d) => {
            let mut line = format!("{path} dataset {}", dataset_summary(d));
            line += &title_suffix(b, n, path);
            line += &pmd::meaning(b, &pmd::wrap(n, path));
            line
        }
    }
}
