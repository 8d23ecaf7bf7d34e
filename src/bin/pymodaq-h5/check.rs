//! `check`: read every object and every value, report what is damaged or unsupported; on
//! PyMoDAQ files also what PyMoDAQ cannot load or what looks wrong at its level.

use std::process::ExitCode;

use pymodaq_h5::hdf5::read::{Dataset, File, LinkKind, Node, Visit};
use pymodaq_h5::pymodaq::attrs::PyValue;

use crate::output::EXIT_PROBLEMS;
use crate::pmd;
use crate::progress;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  pymodaq-h5 check scan.h5
  pymodaq-h5 check data/*.h5 --quiet

PyMoDAQ-level checks: nodes PyMoDAQ cannot load (no CLASS attribute), stale `shape` attributes
(SWMR), interrupted scans (points never measured, NaN-filled), enlargeable channels of different
lengths. Exit 0 when every file is clean, 3 when any problem is found, 1 when a file cannot be opened.")]
pub struct Args {
    #[command(flatten)]
    f: crate::output::FilesArgs,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let mut bad = false;
    let mut unopened = false;
    for file in &a.f.files {
        let f = match crate::output::open(file) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("pymodaq-h5: {}: cannot open: {e:#}", file.display());
                unopened = true;
                continue;
            }
        };
        let (objects, mut problems) = check(&f, a.f.quiet);
        let notes = if pmd::is_pymodaq(&f) {
            let (p, notes) = check_pymodaq(&f);
            problems.extend(p);
            notes
        } else {
            Vec::new()
        };
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
        for n in notes {
            println!("  note: {n}");
        }
    }
    Ok(if unopened {
        ExitCode::from(1)
    } else if bad {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    })
}

fn storage_bytes(d: &Dataset) -> u64 {
    d.len().saturating_mul(d.datatype.size())
}

/// Walk everything and read every value; (objects seen, problems). The walk is `dump`'s:
/// every link in h5py's order, a group whose links cannot be read reported and passed, a
/// user-defined link reported (h5py cannot follow it), so `check` names exactly the objects
/// `dump --json` marks with an error (issue 11).
fn check(f: &File, quiet: bool) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let mut objects = 0usize;
    // A metadata-only first pass sizes the progress bar.
    let mut total = 0u64;
    let _ = f.walk(|_, node| {
        if let Ok(Node::Dataset(d)) = node {
            total = total.saturating_add(storage_bytes(d));
        }
        Ok(())
    });
    let pb = progress::bytes(total, "checking", quiet);
    let root = match f.root() {
        Ok(r) => r,
        Err(e) => return (0, vec![format!("/: {e}")]),
    };
    let object = |path: &str, n: &Node, problems: &mut Vec<String>| {
        if let Err(e) = n
            .object()
            .attributes()
            .and_then(|attrs| attrs.iter().try_for_each(|a| a.values().map(|_| ())))
        {
            problems.push(format!("{path} (attributes): {e}"));
        }
        if let Node::Dataset(d) = n {
            if let Err(e) = pymodaq_h5::export::read_all_checked(d) {
                problems.push(format!("{path}: {e}"));
            }
            pb.inc(storage_bytes(d));
        }
    };
    objects += 1;
    let root_node = Node::Group(root.clone());
    object("/", &root_node, &mut problems);
    let r = root.walk_links(|path, visit| {
        match visit {
            Visit::Object(Ok(n)) => {
                objects += 1;
                object(path, n, &mut problems);
            }
            Visit::Object(Err(e)) => {
                objects += 1;
                problems.push(format!("{path}: {e}"));
            }
            Visit::Link(LinkKind::UserDefined(t)) => {
                problems.push(format!("{path}: user-defined link type {t} (not followed)"));
            }
            Visit::GroupError(e) => problems.push(format!("{path} (links): {e}")),
            Visit::Seen(_) | Visit::Link(_) => {}
        }
        Ok(())
    });
    pb.finish_and_clear();
    if let Err(e) = r {
        problems.push(format!("walk stopped: {e}"));
    }
    (objects, problems)
}

/// The `shape` attribute as a list of ints, when it is a tuple of ints.
fn shape_attr(v: &PyValue) -> Option<Vec<u64>> {
    v.int_items::<u64>()?.collect()
}

/// PyMoDAQ-level problems and notes (a 4.x scan is zero-filled, not NaN-filled: not detectable).
fn check_pymodaq(f: &File) -> (Vec<String>, Vec<String>) {
    let b = pmd::backend(f);
    let mut problems = Vec::new();
    let notes = Vec::new();
    // Enlargeable data rows per detector group, to compare channels.
    let mut enl: Vec<(String, String, u64)> = Vec::new();
    // Data arrays per parent group: PyMoDAQ loads them as one DataWithAxes (same shape needed).
    let mut siblings: Vec<(String, String, Vec<u64>)> = Vec::new();
    let _ = f.walk(|path, node| {
        let Ok(node) = node else { return Ok(()) };
        if path == "/" || path.is_empty() {
            return Ok(());
        }
        let pn = pmd::wrap(node, path);
        if !matches!(node.object().attribute("CLASS"), Ok(Some(_))) {
            problems.push(format!(
                "{path}: PyMoDAQ cannot load this node: no CLASS attribute (PyMoDAQ classifies \
                 nodes by it and cannot add it to a read-only file)"
            ));
        }
        let Node::Dataset(d) = node else {
            return Ok(());
        };
        if let Ok(Some(v)) = b.attr(&pn, "shape") {
            if let Some(s) = shape_attr(&v.to_py()) {
                if s.as_slice() != d.shape() && !d.datatype.is_variable_length() {
                    problems.push(format!(
                        "{path}: stale shape attribute {:?}, the dataset holds {:?} (an SWMR \
                         writer did not update it; PyMoDAQ uses the real extent)",
                        s,
                        d.shape()
                    ));
                }
            }
        }
        let dt = pmd::attr(&b, &pn, "data_type").unwrap_or_default();
        if dt == "data" && path.contains("/Scan") {
            if let Some((missing, total)) = unmeasured_points(&b, &pn, d) {
                if missing > 0 {
                    problems.push(format!(
                        "{path}: interrupted scan: {missing} of {total} points never measured \
                         (NaN-filled)"
                    ));
                }
            }
        }
        if dt == "axis" && d.is_empty() {
            problems.push(format!(
                "{path}: axis without any value: PyMoDAQ cannot load it (IndexError)"
            ));
        }
        if dt == "data" {
            let parent = path.rsplit_once('/').map_or("", |(p, _)| p).to_string();
            siblings.push((parent, path.to_string(), d.shape().to_vec()));
        }
        if dt == "data" || dt == "data_enlargeable" {
            if let (Some(&rows), true) = (
                d.shape().first(),
                d.max_shape().first() == Some(&pymodaq_h5::hdf5::read::UNLIMITED),
            ) {
                // The detector group: the ancestor named DetectorNNN (else the grandparent).
                let det = path
                    .match_indices("/Detector")
                    .last()
                    .map(|(i, _)| {
                        let rest = &path[i + 1..];
                        let end = rest.find('/').map_or(path.len(), |j| i + 1 + j);
                        path[..end].to_string()
                    })
                    .unwrap_or_default();
                enl.push((det, path.to_string(), rows));
            }
        }
        Ok(())
    });
    let mut dets: Vec<&String> = enl.iter().map(|(d, _, _)| d).collect();
    dets.sort();
    dets.dedup();
    for det in dets {
        let rows: Vec<(&String, u64)> = enl
            .iter()
            .filter(|(d, _, _)| d == det)
            .map(|(_, p, r)| (p, *r))
            .collect();
        let (lo, hi) = rows.iter().fold((u64::MAX, 0u64), |(lo, hi), (_, r)| {
            (lo.min(*r), hi.max(*r))
        });
        if rows.len() > 1 && lo != hi {
            let list: Vec<String> = rows.iter().map(|(p, r)| format!("{p}: {r}")).collect();
            problems.push(format!(
                "{det}: channels of different lengths ({}); PyMoDAQ cannot load them together",
                list.join(", ")
            ));
        }
    }
    let mut parents: Vec<&String> = siblings.iter().map(|(p, _, _)| p).collect();
    parents.dedup();
    for parent in parents {
        let group: Vec<&(String, String, Vec<u64>)> =
            siblings.iter().filter(|(p, _, _)| p == parent).collect();
        if group
            .iter()
            .any(|(_, _, s)| Some(s) != group.first().map(|g| &g.2))
        {
            let list: Vec<String> = group
                .iter()
                .map(|(_, p, s)| format!("{} {s:?}", p.rsplit('/').next().unwrap_or(p)))
                .collect();
            problems.push(format!(
                "{parent}: channels of different shapes ({}); PyMoDAQ cannot load them together \
                 (DataShapeError)",
                list.join(", ")
            ));
        }
    }
    (problems, notes)
}

/// (navigation points never written, all points): a point is unwritten when every value is
/// NaN (floats) or the int minimum (PyMoDAQ 5.x's fill for integer data). Read slab by slab.
fn unmeasured_points(
    b: &pymodaq_h5::pymodaq::backend::H5Backend,
    pn: &pymodaq_h5::pymodaq::backend::PmdNode,
    d: &Dataset,
) -> Option<(u64, u64)> {
    let nav = match b.attr(pn, "nav_indexes").ok().flatten()?.to_py() {
        PyValue::Tuple(v) | PyValue::List(v) => v
            .iter()
            .filter_map(|x| match x {
                PyValue::Int(i) => usize::try_from(*i).ok(),
                _ => None,
            })
            .collect::<Vec<usize>>(),
        _ => return None,
    };
    let shape = d.shape();
    // Navigation must be the leading dimensions (how the extended saver lays scans out).
    if nav.is_empty() || nav.iter().enumerate().any(|(i, &n)| i != n) || nav.len() > shape.len() {
        return None;
    }
    let points: u64 = shape[..nav.len()].iter().product();
    let per_point: u64 = shape[nav.len()..].iter().product::<u64>().max(1);
    let fill = match &d.datatype {
        pymodaq_h5::hdf5::read::Datatype::FixedPoint {
            size, signed: true, ..
        } => match size {
            1 => i8::MIN as f64,
            2 => i16::MIN as f64,
            4 => i32::MIN as f64,
            _ => i64::MIN as f64,
        },
        pymodaq_h5::hdf5::read::Datatype::FloatingPoint { .. } => f64::NAN,
        _ => return None,
    };
    let unset = |v: f64| if fill.is_nan() { v.is_nan() } else { v == fill };
    let row: u64 = shape.iter().skip(1).product::<u64>().max(1);
    let rows_per_slab = ((8u64 << 20) / row.saturating_mul(8).max(1)).max(1);
    let mut missing = 0u64;
    let mut r = 0u64;
    let mut run_unset = 0u64; // elements of the current point seen unset so far
    let mut run_len = 0u64;
    while r < shape[0] {
        let end = (r + rows_per_slab).min(shape[0]);
        let mut sel = d.full_selection();
        sel[0] = r..end;
        let vals: Vec<f64> = d.read_slice(&sel).ok()?;
        for v in vals {
            run_len += 1;
            if unset(v) {
                run_unset += 1;
            }
            if run_len == per_point {
                if run_unset == per_point {
                    missing += 1;
                }
                run_len = 0;
                run_unset = 0;
            }
        }
        r = end;
    }
    Some((missing, points))
}
