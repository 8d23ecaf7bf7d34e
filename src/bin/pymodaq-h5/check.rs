//! `check`: read every object and every value, report what is damaged or unsupported.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pymodaq_h5::hdf5::read::{File, Node};

#[derive(clap::Args)]
pub struct Args {
    /// The HDF5 file(s).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let Args { files } = a;
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
