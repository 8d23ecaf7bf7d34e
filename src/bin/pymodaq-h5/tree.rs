//! `tree`: one line per node.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use pymodaq_h5::hdf5::read::{File, Group, LinkKind, Node};

use crate::output::open;

#[derive(clap::Args)]
pub struct Args {
    /// The HDF5 file.
    file: PathBuf,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let Args { file } = a;
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
