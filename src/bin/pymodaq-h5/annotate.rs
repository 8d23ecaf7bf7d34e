//! `annotate-nexus`: add NeXus hints to an existing PyMoDAQ file, in place
//! (`pymodaq_h5::pymodaq::nexus_annotate`).

use std::process::ExitCode;

use anyhow::Context;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  pymodaq-h5 annotate-nexus scan.h5
  pymodaq-h5 annotate-nexus data/*.h5 --quiet

Adds, beside PyMoDAQ's own attributes (which stay as they are, so PyMoDAQ loads the file as
before): NX_class=NXdata, signal, auxiliary_signals, axes and AXISNAME_indices on every group
holding data nodes; long_name=\"label (units)\" on axis datasets only (PyMoDAQ would load one
on a data dataset as an extra attribute); default from the root to the first data group. h5web
(myhdf5, vscode-h5web), silx and nexusformat then plot each node against its axes. Navigation
axes (in NavAxes) are not children of the data group, and no link or copy of them there leaves
every PyMoDAQ backend's view unchanged (spec/cli.md, \"Navigation axes\"), so their dimensions
show as '.' (index). Running it twice gives the same file content.
The file is edited in place; a refusal leaves it byte-identical.")]
pub struct Args {
    #[command(flatten)]
    f: crate::output::FilesArgs,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    for file in &a.f.files {
        let done = pymodaq_h5::pymodaq::nexus_annotate::annotate_file(file)
            .with_context(|| format!("{}", file.display()))?;
        if !a.f.quiet {
            for g in &done.plan.groups {
                println!(
                    "{}: NXdata signal={} axes=[{}]",
                    g.group,
                    g.signal,
                    g.axes.join(", ")
                );
            }
            println!(
                "{}: {} NXdata group(s) annotated",
                file.display(),
                done.plan.groups.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
