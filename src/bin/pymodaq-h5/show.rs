//! `show`: one loaded DataWithAxes in a few lines, as H5Browser's viewer panel would show it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use pymodaq_h5::pymodaq::model::{Axis, DataWithAxes, NdArray};

use crate::output::open;
use crate::pmd;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  pymodaq-h5 show scan.h5 /RawData/Scan000/Detector000/Data1D/CH00/Data00
  pymodaq-h5 show scan.h5 /RawData/Detector000/Data2D/CH00/Data00 --bkg   # minus its background
  pymodaq-h5 show scan.h5 /RawData/Scan000/Detector000/Data1D/CH00/Data00 --at 2,1
  pymodaq-h5 show scan.h5 /RawData/Logger                                 # the log lines
  pymodaq-h5 show any.h5 /entry/data/stack --at 3                         # any numeric dataset

--at I,J,.. shows the signal at one navigation position (one index per navigation axis);
only that part of the file is read, whatever the size of the scan. A dataset that is not
PyMoDAQ data (any HDF5 file) is shown as an array: type, shape, chunks, filters and
min/max/mean of its values (read in slabs); --at fixes its leading dimensions.
The statistics of a PyMoDAQ node are computed slab by slab too: memory stays bounded
whatever the size of the scan, with a progress bar on a terminal (--quiet hides it).")]
pub struct Args {
    /// The PyMoDAQ HDF5 file (or any HDF5 file, for its numeric datasets).
    file: PathBuf,
    /// A data node (`pymodaq-h5 tree FILE` lists them: `[data ...]`), or any numeric dataset.
    node: String,
    /// Subtract the background node (`BkgNN`) as H5Browser's "with background" does.
    #[arg(long)]
    bkg: bool,
    /// Navigation position (one index per navigation axis, comma-separated): the signal
    /// there only.
    #[arg(long, value_delimiter = ',')]
    at: Option<Vec<usize>>,
    /// No progress bar (it shows only when standard error is a terminal).
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let f = open(&a.file)?;
    // Any numeric dataset that is not PyMoDAQ data (any HDF5 file): what it is and its values.
    if let Some(d) = crate::plain::dataset(&f, &a.node) {
        let lines = crate::plain::describe(&d, &a.node, a.at.as_deref())
            .map_err(|e| e.context(a.file.display().to_string()))?;
        let mut so = std::io::stdout().lock();
        for l in lines {
            writeln!(so, "{l}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    pmd::require_data(&f, &a.file, &a.node)?;
    // The Logger: its lines, as H5Browser's text viewer lists them.
    let b = pmd::backend(&f);
    if let Some(n) = b.get_node(&a.node).ok().filter(pmd::is_logger) {
        let lines = b
            .read_strings(&n)
            .map_err(|e| pmd::load_error(e, &a.node).context(a.file.display().to_string()))?;
        let mut so = std::io::stdout().lock();
        writeln!(so, "Logger  ({}), {} line(s)", a.node, lines.len())?;
        for l in lines {
            writeln!(so, "  {l}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let d = match a.at.as_deref() {
        Some(at) => pmd::load_data_at(&f, &a.node, a.bkg, false, at)
            .unwrap_or_else(|| anyhow::bail!("--at: not available for PyMoDAQ 1.x-3.x files")),
        // The whole node: its arrays read on first touch, so the statistics below stream
        // them slab by slab (a scan of any size in bounded memory). The background
        // subtraction and 1.x-3.x files need the values in memory.
        None => pmd::load_data_lazy(&f, &a.node, a.bkg, false)
            .unwrap_or_else(|| pmd::load_data(&f, &a.node, a.bkg)),
    }
    .map_err(|e| e.context(a.file.display().to_string()))?;
    let bkg = background_nodes(&b, &a.node);
    let pb = crate::progress::bytes(array_bytes(&d), "reading", a.quiet);
    let lines = describe(&d, &a.node, &bkg, a.bkg, &pb)
        .map_err(|e| e.context(format!("{}: {}", a.file.display(), a.node)))?;
    pb.finish_and_clear();
    let mut so = std::io::stdout().lock();
    for l in lines {
        writeln!(so, "{l}")?;
    }
    if let Some(at) = &a.at {
        writeln!(
            so,
            "  at navigation position {at:?} (navigation dimensions of size 1)"
        )?;
    }
    if let Some(g) = pmd::legacy_generation(&f) {
        writeln!(
            so,
            "  written by PyMoDAQ {} (loaded as that version's browser shows it)",
            g.as_str()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Background nodes beside the data node (`data_type == 'bkg'`).
fn background_nodes(b: &pymodaq_h5::pymodaq::backend::H5Backend, path: &str) -> Vec<String> {
    let parent = match path.rsplit_once('/') {
        Some(("", _)) => "/".to_string(),
        Some((p, _)) => p.to_string(),
        None => return Vec::new(),
    };
    let Ok(p) = b.get_node(&parent) else {
        return Vec::new();
    };
    b.children(&p)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| pmd::attr(b, c, "data_type").as_deref() == Some("bkg"))
        .map(|c| c.name)
        .collect()
}

fn shape_str(s: &[usize]) -> String {
    match s {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            s.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Bytes read per slab by [`for_each_value`]: memory stays bounded whatever the array's size.
const SLAB_BYTES: usize = 8 << 20;

/// Every element of `a` as f64 ([`Scalar::as_f64`](pymodaq_h5::pymodaq::model::Scalar)), in
/// C order, read in slabs of at most [`SLAB_BYTES`]: a lazy array is never held whole. `pb`
/// counts the bytes.
pub fn for_each_value(
    a: &NdArray,
    pb: &indicatif::ProgressBar,
    mut f: impl FnMut(f64),
) -> anyhow::Result<()> {
    let elem = a.dtype.size().max(1);
    for slab in a.slabs(SLAB_BYTES) {
        let slab = slab?;
        pb.inc(slab.len() as u64);
        let count = slab.len() / elem;
        let piece = NdArray::from_le_bytes(a.dtype, vec![count], slab.into_owned())?;
        for i in 0..count {
            if let Some(v) = piece.get(i) {
                f(v.as_f64());
            }
        }
    }
    Ok(())
}

/// The bytes of every array (data and errors) of `d`: the progress bar's total.
pub fn array_bytes(d: &DataWithAxes) -> u64 {
    d.data
        .iter()
        .chain(d.errors.iter().flatten())
        .map(|x| (x.len() as u64).saturating_mul(x.dtype.size() as u64))
        .sum()
}

/// `min max mean`, NaN ignored, and the NaN count (interrupted scans are NaN-filled),
/// streamed by [`for_each_value`] (the sum runs in element order, as over the array in memory).
pub fn stats(a: &NdArray, pb: &indicatif::ProgressBar) -> anyhow::Result<(f64, f64, f64, usize)> {
    let (mut lo, mut hi, mut sum, mut n, mut nan) =
        (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize, 0usize);
    for_each_value(a, pb, |v| {
        if v.is_nan() {
            nan += 1;
            return;
        }
        lo = lo.min(v);
        hi = hi.max(v);
        sum += v;
        n += 1;
    })?;
    let mean = if n == 0 { f64::NAN } else { sum / n as f64 };
    Ok(if n == 0 {
        (f64::NAN, f64::NAN, mean, nan)
    } else {
        (lo, hi, mean, nan)
    })
}

pub fn axis_label(ax: &Axis) -> String {
    if ax.units.is_empty() {
        ax.label.clone()
    } else {
        format!("{} ({})", ax.label, ax.units)
    }
}

fn axis_line(ax: &Axis, nav: bool) -> String {
    let v = ax.get_data();
    // A navigation axis at one position (`--at`): its value, not a range with a step.
    if let (true, [only]) = (nav, &v[..]) {
        return format!(
            "    [{}] {} = {}",
            ax.index,
            axis_label(ax),
            pmd::num(*only)
        );
    }
    let (first, last) = (v.first().copied(), v.last().copied());
    let range = match (first, last) {
        (Some(a), Some(b)) => format!("{} .. {}", pmd::num(a), pmd::num(b)),
        _ => "empty".into(),
    };
    let step = match ax.scaling {
        Some(s) if ax.data.is_none() || ax.offset.is_some() => format!(", step {}", pmd::g6(s)),
        _ => String::new(),
    };
    let spread = if ax.spread_order > 0 {
        format!(", spread order {}", ax.spread_order)
    } else {
        String::new()
    };
    format!(
        "    [{}] {}: {} values, {range}{step}{spread}",
        ax.index,
        axis_label(ax),
        v.len()
    )
}

pub fn describe(
    d: &DataWithAxes,
    path: &str,
    bkg: &[String],
    minus_bkg: bool,
    pb: &indicatif::ProgressBar,
) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    out.push(format!("{}  ({path})", d.name));
    out.push(format!(
        "  {} {} {}, shape {}, dtype {}, {} array(s)",
        d.source.as_str(),
        d.dim.as_str(),
        d.distribution.as_str(),
        shape_str(d.shape()),
        d.data.first().map_or("-", |a| a.dtype.name()),
        d.length()
    ));
    let origin = pmd::py_str(&d.origin);
    out.push(format!(
        "  units: {}   origin: {}   timestamp: {}",
        if d.units.is_empty() { "-" } else { &d.units },
        if origin.is_empty() { "-" } else { &origin },
        pmd::py_str(&d.timestamp)
    ));
    let nav: Vec<&Axis> = d
        .axes
        .iter()
        .filter(|a| d.nav_indexes.contains(&a.index))
        .collect();
    let sig: Vec<&Axis> = d
        .axes
        .iter()
        .filter(|a| !d.nav_indexes.contains(&a.index))
        .collect();
    out.push(format!(
        "  navigation axes (indexes {:?}):{}",
        d.nav_indexes,
        if nav.is_empty() { " none" } else { "" }
    ));
    out.extend(nav.iter().map(|a| axis_line(a, true)));
    out.push(format!(
        "  signal axes:{}",
        if sig.is_empty() { " none" } else { "" }
    ));
    out.extend(sig.iter().map(|a| axis_line(a, false)));
    out.push("  arrays:".into());
    for (i, a) in d.data.iter().enumerate() {
        let (lo, hi, mean, nan) = stats(a, pb)?;
        let label = d.labels.get(i).map_or("", String::as_str);
        let nan = if nan > 0 {
            format!(", {nan} NaN (not measured)")
        } else {
            String::new()
        };
        out.push(format!(
            "    {label}: min {}, max {}, mean {}{nan}",
            pmd::g6(lo),
            pmd::g6(hi),
            pmd::g6(mean)
        ));
    }
    match &d.errors {
        Some(e) => {
            out.push("  errors:".into());
            for (i, a) in e.iter().enumerate() {
                let (lo, hi, mean, _) = stats(a, pb)?;
                let label = d.labels.get(i).map_or("", String::as_str);
                out.push(format!(
                    "    {label}: min {}, max {}, mean {}",
                    pmd::g6(lo),
                    pmd::g6(hi),
                    pmd::g6(mean)
                ));
            }
        }
        None => out.push("  errors: none".into()),
    }
    out.push(if bkg.is_empty() {
        "  background: none".into()
    } else if minus_bkg {
        format!("  background: {} (subtracted)", bkg.join(", "))
    } else {
        format!("  background: {} (use --bkg to subtract)", bkg.join(", "))
    });
    Ok(out)
}
