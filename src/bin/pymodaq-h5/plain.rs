//! `show` and `plot` of a plain numeric HDF5 dataset (any file, or a node of a PyMoDAQ file
//! that is not PyMoDAQ data), as h5web and HDFView show any dataset: against its indexes,
//! the last two dimensions as the image, the leading ones as positions (`--at`).

use pymodaq_h5::hdf5::message::datatype::Datatype;
use pymodaq_h5::hdf5::read::{Dataset, File, Node};
use pymodaq_h5::pymodaq::model::{DataWithAxes, DwaArgs, NdArray};

use crate::pmd;

/// Values `plot` reads into memory at most (128 MiB of float64): beyond, a position.
const MAX_PLOT_VALUES: u64 = 16 << 20;
/// Values read per slab by `show`'s statistics (8 MiB of float64).
const SLAB_VALUES: u64 = 1 << 20;

/// The dataset at `node` when it is not PyMoDAQ data: any dataset of a file PyMoDAQ did not
/// write, or one without PyMoDAQ's role attribute (`data_type`; `type` in 1.x-3.x files) in a
/// PyMoDAQ file. `None` for groups, PyMoDAQ nodes and missing paths.
pub fn dataset(f: &File, node: &str) -> Option<Dataset> {
    let Ok(Node::Dataset(d)) = f.get(node) else {
        return None;
    };
    let role = d.attr("data_type").is_ok() || d.attr("type").is_ok();
    (!role || !pmd::is_any_pymodaq(f)).then_some(d)
}

/// The selection of position `at` (one index per leading dimension; the rest whole), and
/// the shape that remains.
fn selection(d: &Dataset, at: &[usize]) -> anyhow::Result<(Vec<std::ops::Range<u64>>, Vec<u64>)> {
    let shape = d.shape();
    if at.len() >= shape.len().max(1) {
        anyhow::bail!(
            "--at {at:?}: the dataset has {} dimension(s); give at most {} index(es), one per \
             leading dimension",
            shape.len(),
            shape.len().saturating_sub(1)
        );
    }
    let mut sel = Vec::with_capacity(shape.len());
    for (k, &n) in shape.iter().enumerate() {
        match at.get(k) {
            Some(&i) => {
                let i = i as u64;
                if i >= n {
                    anyhow::bail!("--at {at:?}: index {i} of dimension {k} is out of 0..{n}");
                }
                sel.push(i..i + 1);
            }
            None => sel.push(0..n),
        }
    }
    Ok((sel, shape.get(at.len()..).unwrap_or_default().to_vec()))
}

/// Whether the values read as numbers (integers, floats, bitfields, integer enums).
fn numeric(dt: &Datatype) -> bool {
    match dt {
        Datatype::FixedPoint { .. }
        | Datatype::FloatingPoint { .. }
        | Datatype::Bitfield { .. } => true,
        Datatype::Enum { base, .. } => matches!(**base, Datatype::FixedPoint { .. }),
        _ => false,
    }
}

fn units(d: &Dataset) -> String {
    d.attr("units")
        .ok()
        .and_then(|a| a.as_string().ok())
        .unwrap_or_default()
}

fn name(node: &str) -> String {
    match node.trim_end_matches('/').rsplit('/').next() {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => "/".into(),
    }
}

/// `show`: what the dataset is, and min/max/mean/NaN of its values (or of one position),
/// read in slabs of [`SLAB_VALUES`] so any size is shown in bounded memory.
pub fn describe(d: &Dataset, node: &str, at: Option<&[usize]>) -> anyhow::Result<Vec<String>> {
    let (sel, rest) = selection(d, at.unwrap_or(&[]))?;
    let mut out = vec![
        format!("{}  ({node})", name(node)),
        format!(
            "  plain HDF5 dataset (not PyMoDAQ data): {}",
            crate::tree::dataset_summary(d)
        ),
    ];
    let u = units(d);
    if !u.is_empty() {
        out.push(format!("  units: {u}"));
    }
    if let Some(at) = at.filter(|a| !a.is_empty()) {
        out.push(format!(
            "  at position {at:?}: shape {}",
            crate::tree::shape_tuple(&rest)
        ));
    }
    if !numeric(&d.datatype) {
        out.push("  values: not numbers (`dump --json` and `export` show them)".into());
        return Ok(out);
    }
    // Slabs along the first dimension not fixed by `at`.
    let k = at.map_or(0, <[usize]>::len);
    let row: u64 = rest.iter().skip(1).product();
    let rows_per = (SLAB_VALUES / row.max(1)).max(1);
    let (mut lo, mut hi, mut sum, mut n, mut nan) =
        (f64::INFINITY, f64::NEG_INFINITY, 0.0f64, 0u64, 0u64);
    let mut read_slab = |s: &[std::ops::Range<u64>]| -> anyhow::Result<()> {
        let v = d.read_slice::<f64>(s).map_err(|e| {
            anyhow::anyhow!("{node}: {e} (`dump` and `export` show any dataset's values)")
        })?;
        for x in v {
            if x.is_nan() {
                nan += 1;
            } else {
                lo = lo.min(x);
                hi = hi.max(x);
                sum += x;
                n += 1;
            }
        }
        Ok(())
    };
    match sel.get(k).cloned() {
        // A scalar (or a fully fixed position).
        None => read_slab(&sel)?,
        Some(r) => {
            let mut s = sel.clone();
            let mut start = r.start;
            while start < r.end {
                let end = start.saturating_add(rows_per).min(r.end);
                if let Some(x) = s.get_mut(k) {
                    *x = start..end;
                }
                read_slab(&s)?;
                start = end;
            }
        }
    }
    out.push(if n == 0 && nan == 0 {
        "  values: none (empty)".into()
    } else if n == 0 {
        format!("  values: all {nan} NaN")
    } else {
        let nan = if nan > 0 {
            format!(", {nan} NaN")
        } else {
            String::new()
        };
        format!(
            "  values: min {}, max {}, mean {}{nan}",
            pmd::g6(lo),
            pmd::g6(hi),
            pmd::g6(sum / n as f64)
        )
    });
    Ok(out)
}

/// `plot`: the dataset (or one position of it) as a DataWithAxes without axes (drawn
/// against its indexes); beyond two dimensions the leading ones are navigation, summed
/// over as for PyMoDAQ's N-D data unless `--at` picks a position.
pub fn load(d: &Dataset, node: &str, at: Option<&[usize]>) -> anyhow::Result<DataWithAxes> {
    let (sel, rest) = selection(d, at.unwrap_or(&[]))?;
    let total: u64 = rest.iter().product();
    if total > MAX_PLOT_VALUES {
        anyhow::bail!(
            "{node}: {total} values are too many to plot at once (at most {MAX_PLOT_VALUES}); \
             pick a position with --at I[,J..] (one index per leading dimension)"
        );
    }
    let v = d.read_slice::<f64>(&sel).map_err(|e| {
        anyhow::anyhow!("{node}: {e} (`dump` and `export` show any dataset's values)")
    })?;
    let shape: Vec<usize> = rest
        .iter()
        .map(|&x| usize::try_from(x))
        .collect::<Result<_, _>>()?;
    let nav_indexes: Vec<usize> = (0..shape.len().saturating_sub(2)).collect();
    let data = NdArray::from_f64(shape, &v)?;
    Ok(DataWithAxes::new(DwaArgs {
        name: name(node),
        units: units(d),
        data: vec![data],
        labels: vec![name(node)],
        nav_indexes,
        ..DwaArgs::default()
    })?)
}
