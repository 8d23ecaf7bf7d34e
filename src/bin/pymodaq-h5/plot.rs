//! `plot`: one PyMoDAQ data node to PNG or SVG with its axes and units, as H5Browser's viewers
//! show it: 1-D lines (every array overlaid, legend, error bars), 2-D an image with a colour bar,
//! N-D a chosen navigation position or the sum over the navigation axes, spread data a scatter.

use std::path::PathBuf;
use std::process::ExitCode;

use pymodaq_h5::pymodaq::model::{Axis, DataWithAxes, NdArray};

use crate::output::{open, write_via_temp};
use crate::plot_draw::{draw, Field, Lines, Plot, Series};
use crate::pmd;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  pymodaq-h5 plot scan.h5 /RawData/Detector000/Data1D/CH00/Data00 -o spectrum.png
  pymodaq-h5 plot scan.h5 /RawData/Detector000/Data2D/CH00/Data00 -o image.svg
  pymodaq-h5 plot scan.h5 /RawData/Scan000/Detector000/Data1D/CH00/Data00 -o sum.png
  pymodaq-h5 plot scan.h5 /RawData/Scan000/Detector000/Data1D/CH00/Data00 --at 2,1 -o p.png
  pymodaq-h5 plot scan.h5 /RawData/Scan000/Detector000/Data0D/CH00/Data00 -o map.png
  pymodaq-h5 plot scan.h5 /RawData/Detector000/Data1D -o channels.png   # its channels overlaid

Scan data (navigation + signal): the signal summed over the navigation axes (NaN of
interrupted scans skipped), or the signal at one navigation position with --at. 0-D signals
of a scan are drawn against the navigation axes (a line, an image, or a scatter for spread scans).
A numeric dataset that is not PyMoDAQ data (any HDF5 file) is drawn against its indexes: 1-D a
line, 2-D an image, more dimensions the last two summed over the leading ones or, with --at,
at one position of the leading dimensions. A PyMoDAQ node is read slab by slab as it is
summed: memory stays bounded whatever the size of the scan (progress bar on a terminal).")]
pub struct Args {
    /// The PyMoDAQ HDF5 file (or any HDF5 file, for its numeric datasets).
    file: PathBuf,
    /// A data node (`pymodaq-h5 tree FILE` lists them: `[data ...]`), a group (its 1-D
    /// channels overlaid), or any numeric dataset.
    node: String,
    /// Output image: .png or .svg.
    #[arg(short, long)]
    out: PathBuf,
    /// Navigation position (one index per navigation axis, comma-separated) instead of the sum.
    #[arg(long, value_delimiter = ',')]
    at: Option<Vec<usize>>,
    /// Subtract the background node first.
    #[arg(long)]
    bkg: bool,
    /// Image size in pixels, WIDTHxHEIGHT.
    #[arg(long, default_value = "1000x650", value_parser = parse_size)]
    size: (u32, u32),
    /// Replace OUT if it exists.
    #[arg(long)]
    force: bool,
    /// No progress bar (it shows only when standard error is a terminal).
    #[arg(short, long)]
    quiet: bool,
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{s:?}: expected WIDTHxHEIGHT, e.g. 1000x650"))?;
    let w: u32 = w.trim().parse().map_err(|_| format!("{s:?}: bad width"))?;
    let h: u32 = h.trim().parse().map_err(|_| format!("{s:?}: bad height"))?;
    if !(200..=10000).contains(&w) || !(150..=10000).contains(&h) {
        return Err(format!("{s:?}: between 200x150 and 10000x10000"));
    }
    Ok((w, h))
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let svg = match a
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("svg") => true,
        Some("png") => false,
        _ => anyhow::bail!("{}: use a .png or .svg file name", a.out.display()),
    };
    crate::output::refuse_existing(&a.out, a.force)?;
    let f = open(&a.file)?;
    // Any numeric dataset that is not PyMoDAQ data: drawn against its indexes.
    if let Some(ds) = crate::plain::dataset(&f, &a.node) {
        let d = crate::plain::load(&ds, &a.node, a.at.as_deref())
            .map_err(|e| e.context(a.file.display().to_string()))?;
        let pb = crate::progress::bytes(crate::show::array_bytes(&d), "reading", a.quiet);
        let plot = build(&d, None, &pb)
            .map_err(|e| e.context(format!("{}: {}", a.file.display(), a.node)))?;
        pb.finish_and_clear();
        return finish(&plot, &a, svg);
    }
    pmd::require_data(&f, &a.file, &a.node)?;
    // A group of a 4.x/5.x file (`Data1D`, a detector, a scan): the 1-D plots of its
    // channels overlaid.
    if matches!(f.get(&a.node), Ok(pymodaq_h5::hdf5::read::Node::Group(_)))
        && pmd::legacy_generation(&f).is_none()
    {
        let plot = overlay(&f, &a)?;
        return finish(&plot, &a, svg);
    }
    let plot = node_plot(&f, &a, &a.node)?;
    finish(&plot, &a, svg)
}

/// The plot of the data node `node` (with the other arrays of its channel, as H5Browser's
/// viewer shows them).
fn node_plot(f: &pymodaq_h5::hdf5::read::File, a: &Args, node: &str) -> anyhow::Result<Plot> {
    // Every array of the node's group overlaid, as H5Browser's viewer shows them; a group
    // whose arrays PyMoDAQ cannot load together falls back to the node alone.
    // With --at, only that navigation position is read (any scan size), unless the signal is
    // 0-D: then the navigation axes are what is drawn and --at does not apply.
    let sliced = a.at.as_deref().and_then(|at| {
        let d = pmd::load_data_at(f, node, a.bkg, true, at)?
            .or_else(|_| {
                pmd::load_data_at(f, node, a.bkg, false, at)
                    .unwrap_or_else(|| Err(anyhow::anyhow!("1.x-3.x file")))
            })
            .ok()?;
        (!draws_navigation(&d)).then_some((d, vec![0; at.len()]))
    });
    let (d, at) = match sliced {
        Some((d, zeros)) => (d, Some(zeros)),
        // The arrays read as they are reduced (lazy load): a scan of any size in bounded
        // memory. Background subtraction and 1.x-3.x files load in memory.
        None => (
            match pmd::load_data_lazy(f, node, a.bkg, true) {
                Some(lazy) => lazy.or_else(|_| {
                    pmd::load_data_lazy(f, node, a.bkg, false)
                        .unwrap_or_else(|| pmd::load_data(f, node, a.bkg))
                }),
                None => pmd::load_data_all(f, node, a.bkg, true)
                    .or_else(|_| pmd::load_data(f, node, a.bkg)),
            }
            .map_err(|e| e.context(a.file.display().to_string()))?,
            a.at.clone(),
        ),
    };
    let pb = crate::progress::bytes(crate::show::array_bytes(&d), "reading", a.quiet);
    let mut plot = build(&d, at.as_deref(), &pb)
        .map_err(|e| e.context(format!("{}: {}", a.file.display(), node)))?;
    pb.finish_and_clear();
    if let (Some(zeros), Some(asked)) = (&at, &a.at) {
        if zeros != asked {
            retitle(
                &mut plot,
                &format!(" at {zeros:?}"),
                &format!(" at {asked:?}"),
            );
        }
    }
    Ok(plot)
}

/// Every channel under the group `a.node` (the first data node of each group holding data,
/// with its channel's other arrays), drawn as lines in one plot: the issue's "several arrays
/// and channels overlaid". Refused when a channel is not drawn as lines (an image, a map).
fn overlay(f: &pymodaq_h5::hdf5::read::File, a: &Args) -> anyhow::Result<Plot> {
    let b = pmd::backend(f);
    let ctx = |e: anyhow::Error| e.context(format!("{}: {}", a.file.display(), a.node));
    let mut firsts: Vec<String> = Vec::new();
    let mut parents = std::collections::HashSet::new();
    let mut nodes: Vec<String> = pmd::data_nodes(&b, &a.node)
        .map_err(ctx)?
        .into_iter()
        .map(|n| n.path)
        .collect();
    nodes.sort();
    for n in nodes {
        let parent = n.rsplit_once('/').map_or("/", |(p, _)| p).to_string();
        if parents.insert(parent) {
            firsts.push(n);
        }
    }
    anyhow::ensure!(
        !firsts.is_empty(),
        "{}: {}: no data node below this group (`pymodaq-h5 tree FILE` lists them)",
        a.file.display(),
        a.node
    );
    let mut all = Vec::new();
    let (mut x_labels, mut y_labels) = (Vec::<String>::new(), Vec::<String>::new());
    let several = firsts.len() > 1;
    for n in &firsts {
        match node_plot(f, a, n)? {
            Plot::Lines(l) => {
                for (labels, label) in [(&mut x_labels, l.x_label), (&mut y_labels, l.y_label)] {
                    if !labels.contains(&label) {
                        labels.push(label);
                    }
                }
                for mut s in l.series {
                    if several {
                        s.name = format!("{}: {}", l.title, s.name);
                    }
                    all.push(s);
                }
            }
            _ => anyhow::bail!(
                "{}: {}: {n} is not drawn as lines (an image or a map): channels are overlaid \
                 only as 1-D lines; plot its data nodes one by one",
                a.file.display(),
                a.node
            ),
        }
    }
    Ok(Plot::Lines(Lines {
        title: format!("{} ({} channel(s))", a.node, firsts.len()),
        x_label: x_labels.join(" / "),
        y_label: y_labels.join(" / "),
        series: all,
    }))
}

/// Draw to a temporary file beside OUT, rename, and say what was drawn.
fn finish(plot: &Plot, a: &Args, svg: bool) -> anyhow::Result<ExitCode> {
    let what = match plot {
        Plot::Lines(l) => format!("{} line(s)", l.series.len()),
        Plot::Image(f) => format!("{}x{} image", f.x.len(), f.y.len()),
        Plot::Scatter(f) => format!("{} points", f.x.len()),
    };
    write_via_temp(&a.out, a.force, |tmp| draw(plot, tmp, svg, a.size))?;
    eprintln!("wrote {} ({what})", a.out.display());
    Ok(ExitCode::SUCCESS)
}

fn label(ax: &Axis) -> String {
    crate::show::axis_label(ax)
}

/// The axis of dimension `dim` (spread order 0), or indexes.
fn axis_values(d: &DataWithAxes, dim: usize, n: usize) -> (Vec<f64>, String) {
    match d
        .axes
        .iter()
        .filter(|a| a.index == dim)
        .min_by_key(|a| a.spread_order)
    {
        Some(a) => {
            let mut v = a.get_data();
            v.resize(n, f64::NAN);
            // Axes PyMoDAQ creates for dimensions without one have no label.
            let l = if a.label.is_empty() {
                format!("index {dim}")
            } else {
                label(a)
            };
            (v, l)
        }
        None => ((0..n).map(|i| i as f64).collect(), format!("index {dim}")),
    }
}

/// Reduce an array of `shape` to the dimensions `keep`: the other dimensions summed (NaN
/// skipped) or fixed at `at` (in the order of the non-kept dimensions). The array is read in
/// slabs as it is summed ([`crate::show::for_each_value`]): only the result is held.
fn reduce(
    a: &NdArray,
    shape: &[usize],
    keep: &[usize],
    at: Option<&[usize]>,
    pb: &indicatif::ProgressBar,
) -> anyhow::Result<Vec<f64>> {
    let other: Vec<usize> = (0..shape.len()).filter(|i| !keep.contains(i)).collect();
    if let Some(at) = at {
        anyhow::ensure!(
            at.len() == other.len(),
            "--at needs {} indexes (one per navigation axis), got {}",
            other.len(),
            at.len()
        );
        for (k, &dim) in other.iter().enumerate() {
            anyhow::ensure!(
                at[k] < shape[dim],
                "--at: index {} is out of range for navigation axis {k} ({} points)",
                at[k],
                shape[dim]
            );
        }
    }
    let out_len: usize = keep.iter().map(|&k| shape[k]).product();
    let mut out = vec![0.0; out_len.max(1)];
    let mut seen = vec![false; out.len()];
    let mut idx = vec![0usize; shape.len()];
    crate::show::for_each_value(a, pb, |x| {
        let chosen = match at {
            Some(at) => other.iter().enumerate().all(|(k, &dim)| idx[dim] == at[k]),
            None => true,
        };
        if chosen {
            let mut flat = 0usize;
            for &k in keep {
                flat = flat * shape[k] + idx[k];
            }
            if let Some(o) = out.get_mut(flat) {
                if x.is_finite() {
                    *o += x;
                    seen[flat] = true;
                } else if at.is_some() {
                    *o = x;
                    seen[flat] = true;
                }
            }
        }
        for dim in (0..shape.len()).rev() {
            idx[dim] += 1;
            if idx[dim] < shape[dim] {
                break;
            }
            idx[dim] = 0;
        }
    })?;
    for (o, s) in out.iter_mut().zip(&seen) {
        if !s {
            *o = f64::NAN;
        }
    }
    Ok(out)
}

/// Whether [`build`] draws the navigation dimensions (a 0-D signal of a scan).
fn draws_navigation(d: &DataWithAxes) -> bool {
    let shape = d.shape();
    let sig = d.sig_indexes();
    let nav = d.nav_indexes.iter().any(|&i| i < shape.len());
    sig.is_empty() || (sig.len() == 1 && shape.get(sig[0]) == Some(&1) && nav)
}

/// The plot's title with `from` replaced by `to` (the position of a sliced load).
fn retitle(p: &mut Plot, from: &str, to: &str) {
    let t = match p {
        Plot::Lines(Lines { title, .. })
        | Plot::Image(Field { title, .. })
        | Plot::Scatter(Field { title, .. }) => title,
    };
    *t = t.replace(from, to);
}

pub fn build(
    d: &DataWithAxes,
    at: Option<&[usize]>,
    pb: &indicatif::ProgressBar,
) -> anyhow::Result<Plot> {
    let shape = d.shape().to_vec();
    let units = if d.units.is_empty() {
        String::new()
    } else {
        format!(" ({})", d.units)
    };
    let sig = d.sig_indexes();
    let nav: Vec<usize> = d
        .nav_indexes
        .iter()
        .copied()
        .filter(|&i| i < shape.len())
        .collect();
    let spread = d.distribution.as_str() == "spread";
    // The dimensions drawn: the signal's, or the navigation's for 0-D signals of a scan.
    let (drawn, reduced_note) =
        if sig.is_empty() || (sig.len() == 1 && shape[sig[0]] == 1 && !nav.is_empty()) {
            (nav.clone(), String::new())
        } else {
            let note = if nav.is_empty() {
                String::new()
            } else if let Some(at) = at {
                // The position by its navigation axes' values (each holds one there).
                let named: Vec<String> = nav
                    .iter()
                    .filter_map(|&i| d.axes.iter().find(|a| a.index == i))
                    .filter_map(|a| match a.get_data()[..] {
                        [v] => Some(format!("{} = {}", label(a), pmd::num(v))),
                        _ => None,
                    })
                    .collect();
                if named.len() == nav.len() {
                    format!(" at {}", named.join(", "))
                } else {
                    format!(" at {at:?}")
                }
            } else {
                " (sum over navigation)".to_string()
            };
            (sig.clone(), note)
        };
    let title = format!("{}{reduced_note}", d.name);
    let arrays: Vec<Vec<f64>> = d
        .data
        .iter()
        .map(|a| reduce(a, &shape, &drawn, if drawn == nav { None } else { at }, pb))
        .collect::<anyhow::Result<_>>()?;
    // Spread scans: points at the (x, y) of the spread axes.
    if spread && drawn == nav && drawn.len() == 1 {
        let dim = drawn[0];
        let mut axes: Vec<&Axis> = d.axes.iter().filter(|a| a.index == dim).collect();
        axes.sort_by_key(|a| a.spread_order);
        if axes.len() >= 2 {
            let n = shape[dim];
            let mut x = axes[0].get_data();
            let mut y = axes[1].get_data();
            x.resize(n, f64::NAN);
            y.resize(n, f64::NAN);
            return Ok(Plot::Scatter(Field {
                title,
                x_label: label(axes[0]),
                y_label: label(axes[1]),
                z_label: format!("{}{units}", d.labels.first().map_or("", String::as_str)),
                x,
                y,
                z: arrays.into_iter().next().unwrap_or_default(),
            }));
        }
    }
    match drawn.len() {
        0 | 1 => {
            let n = drawn.first().map_or(1, |&k| shape[k]);
            let (x, x_label) = match drawn.first() {
                Some(&k) => axis_values(d, k, n),
                None => (vec![0.0], "index".into()),
            };
            let errs: Option<Vec<Vec<f64>>> = match (&d.errors, nav.is_empty()) {
                // Read now if lazy, its error reported (`to_f64` alone would give no bars).
                (Some(e), true) => Some(
                    e.iter()
                        .map(|a| a.try_le_bytes().map(|_| a.to_f64()))
                        .collect::<pymodaq_h5::Result<_>>()?,
                ),
                _ => None,
            };
            let series = arrays
                .into_iter()
                .enumerate()
                .map(|(i, y)| Series {
                    name: d.labels.get(i).cloned().unwrap_or_default(),
                    x: x.clone(),
                    y,
                    err: errs.as_ref().and_then(|e| e.get(i).cloned()),
                })
                .collect();
            Ok(Plot::Lines(Lines {
                title,
                x_label,
                y_label: if d.units.is_empty() {
                    "value".into()
                } else {
                    d.units.clone()
                },
                series,
            }))
        }
        2 => {
            // Rows are the first drawn dimension (y), columns the second (x), as PyMoDAQ's 2-D
            // viewer shows an image.
            let (ny, nx) = (shape[drawn[0]], shape[drawn[1]]);
            let (y, y_label) = axis_values(d, drawn[0], ny);
            let (x, x_label) = axis_values(d, drawn[1], nx);
            Ok(Plot::Image(Field {
                title: if d.data.len() > 1 {
                    format!("{title} — {}", d.labels.first().map_or("", String::as_str))
                } else {
                    title
                },
                x_label,
                y_label,
                z_label: format!("{}{units}", d.labels.first().map_or("", String::as_str)),
                x,
                y,
                z: arrays.into_iter().next().unwrap_or_default(),
            }))
        }
        n => anyhow::bail!(
            "{n}-D signal: plot a 1-D or 2-D signal (navigation axes are summed or fixed with --at)"
        ),
    }
}
