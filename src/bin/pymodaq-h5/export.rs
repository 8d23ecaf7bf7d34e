//! `export`: a node to CSV/TSV (with axis columns and a header naming label and units), NumPy
//! `.npy`/`.npz`, JSON, or `.txt` as PyMoDAQ's H5Browser exporter writes it; the Logger to text;
//! `--all` every data node. Streamed slab by slab: memory stays bounded whatever the size.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use pymodaq_h5::hdf5::read::{Dataset, File, Node};
use pymodaq_h5::pymodaq::backend::{H5Backend, PmdNode};
use pymodaq_h5::pymodaq::load::DataLoader;
use pymodaq_h5::pymodaq::model::Axis;

use crate::export_table;
use crate::npz;
use crate::output::{open, refuse_existing, Output};
use crate::pmd;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated table: a `#` comment line, a header row, axis columns then the values.
    Csv,
    /// The same table, tab-separated.
    Tsv,
    /// NumPy array (any shape), streamed.
    Npy,
    /// NumPy archive: `data` plus each axis (`axis<i>`), with labels and units.
    Npz,
    /// One JSON document: metadata, axes and the values in C order.
    Json,
    /// PyMoDAQ's H5Browser text export (`np.savetxt`), also for groups and the Logger.
    Txt,
    /// A new PyMoDAQ file holding the node as PyMoDAQ loads it (data, axes, navigation axes,
    /// errors) under /RawData/Detector000: PyMoDAQ loads it equal.
    H5,
}

impl Format {
    fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Npy => "npy",
            Format::Npz => "npz",
            Format::Json => "json",
            Format::Txt => "txt",
            Format::H5 => "h5",
        }
    }

    fn from_path(p: &Path) -> Option<Format> {
        let e = p.extension()?.to_str()?.to_ascii_lowercase();
        Some(match e.as_str() {
            "csv" => Format::Csv,
            "tsv" | "tab" => Format::Tsv,
            "npy" => Format::Npy,
            "npz" => Format::Npz,
            "json" => Format::Json,
            "txt" | "dat" => Format::Txt,
            "h5" | "hdf5" => Format::H5,
            _ => return None,
        })
    }
}

#[derive(clap::Args)]
#[command(after_help = "Examples:
  pymodaq-h5 export scan.h5 /RawData/Scan000/Detector000/Data1D/CH00/Data00 -o spectra.csv
  pymodaq-h5 export scan.h5 /RawData/Scan000/Detector000/Data2D/CH00/Data00 -o img.npz
  pymodaq-h5 export scan.h5 /RawData/Logger -o log.txt
  pymodaq-h5 export scan.h5 /RawData/Detector000/Data1D/CH00/Data00 -o - | head
  pymodaq-h5 export scan.h5 --all -o exported/ --format csv

CSV/TSV: a `# ...` line (file, node, name, dim, shape, dtype), a header row naming each column
`label (units)`, then one row per value: the axis values of its position, then the value
(1-D data: axis, value; N-D data flattened in C order). Plain HDF5 datasets: 1-D as one column,
2-D as a matrix, N-D flattened with index columns. An existing OUT is refused without --force.")]
pub struct Args {
    /// The HDF5 file.
    file: PathBuf,
    /// The node: a dataset (PyMoDAQ data node or any dataset), the Logger, or with `.txt` a
    /// group; with --all, the group to export from (default: the root).
    path: Option<String>,
    /// Output file (`-` for standard output), or the directory for --all.
    #[arg(short, long)]
    out: PathBuf,
    /// Output format (default: from OUT's extension; csv for `-`).
    #[arg(short, long, value_enum)]
    format: Option<Format>,
    /// Export every data node (and the Logger) below PATH into the directory OUT.
    #[arg(long)]
    all: bool,
    /// Replace existing output files.
    #[arg(long)]
    force: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// What one exported dataset carries besides its values.
pub struct Source {
    pub d: Dataset,
    pub path: String,
    /// Stored shape.
    pub shape: Vec<u64>,
    /// `# ...` description line (without `# `).
    pub description: String,
    /// Header of the value column: `label (units)` (PyMoDAQ) or the dataset name.
    pub value_header: String,
    pub label: String,
    pub units: String,
    /// Axis columns: (stored dimension, axis).
    pub axes: Vec<(usize, Axis)>,
    /// A PyMoDAQ data node (long table) or a plain dataset (matrix up to 2-D).
    pub pymodaq: bool,
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    if let Some(r) = crate::hsds::export_copy(&a.file, a.path.as_deref(), &a.out, a.force) {
        return r;
    }
    let f = open(&a.file)?;
    if a.all {
        return export_all(&f, &a);
    }
    let Some(path) = a.path.clone() else {
        anyhow::bail!("give the node to export (`pymodaq-h5 tree FILE` lists them), or --all");
    };
    let format = match (a.format, Format::from_path(&a.out)) {
        (Some(f), _) | (None, Some(f)) => f,
        (None, None) if a.out.as_os_str() == "-" => Format::Csv,
        (None, None) => anyhow::bail!(
            "{}: unknown extension; use .csv, .tsv, .npy, .npz, .json, .txt or .h5, or --format",
            a.out.display()
        ),
    };
    export_one(&f, &a.file, &path, &a.out, format, a.force, a.quiet)?;
    if a.out.as_os_str() != "-" {
        eprintln!("wrote {}", a.out.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn export_all(f: &File, a: &Args) -> anyhow::Result<ExitCode> {
    let format = a.format.unwrap_or(Format::Csv);
    let b = pmd::backend(f);
    let start = a.path.clone().unwrap_or_else(|| "/".into());
    let mut nodes = pmd::data_nodes(&b, &start).with_context(|| a.file.display().to_string())?;
    if let Ok(n) = b.get_node("/RawData/Logger") {
        if pmd::is_logger(&n) && n.path.starts_with(start.trim_end_matches('/')) {
            nodes.push(n);
        }
    }
    if nodes.is_empty() {
        anyhow::bail!(
            "{}: no PyMoDAQ data node below {start} (`pymodaq-h5 tree FILE` lists the nodes)",
            a.file.display()
        );
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    // Refuse before writing anything.
    let targets: Vec<(PmdNode, PathBuf)> = nodes
        .into_iter()
        .map(|n| {
            let name = n.path.trim_start_matches('/').replace('/', "_");
            let t = a.out.join(format!("{name}.{}", format.ext()));
            (n, t)
        })
        .collect();
    for (_, t) in &targets {
        refuse_existing(t, a.force)?;
    }
    for (n, t) in &targets {
        export_one(f, &a.file, &n.path, t, format, a.force, a.quiet)?;
        eprintln!("wrote {}", t.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn export_one(
    f: &File,
    file: &Path,
    path: &str,
    out: &Path,
    format: Format,
    force: bool,
    quiet: bool,
) -> anyhow::Result<()> {
    let at = |e: anyhow::Error| e.context(format!("{}: {path}", file.display()));
    let b = pmd::backend(f);
    let node = f
        .get(path)
        .with_context(|| format!("{}: {path}", file.display()))?;
    refuse_existing(out, force)?;
    let pn = b.get_node(path).ok();
    // The Logger: its lines, as PyMoDAQ's txt exporter writes them (`%s`).
    if let Some(n) = pn.as_ref().filter(|n| pmd::is_logger(n)) {
        let lines = b
            .read_strings(n)
            .map_err(|e| at(pmd::load_error(e, path)))?;
        let mut o = Output::create(out, force)?;
        export_table::write_logger(&mut o, &lines, format)?;
        return o.commit();
    }
    match node {
        Node::Group(_) | Node::Dataset(_) if format == Format::Txt => {
            if out.as_os_str() == "-" {
                match node {
                    Node::Group(_) => anyhow::bail!(".txt export of a group needs an output file"),
                    _ => {
                        anyhow::bail!(".txt export (PyMoDAQ's) needs an output file; use csv for -")
                    }
                }
            }
            crate::output::write_via_temp(out, force, |tmp| {
                pymodaq_h5::pymodaq::browsing::H5BrowserUtil::new(f)
                    .export_data(path, tmp)
                    .map_err(anyhow::Error::new)
            })
            .map_err(at)
        }
        Node::Group(_) => anyhow::bail!(
            "{}: {path} is a group: export one of its datasets (`pymodaq-h5 tree FILE {path}`), \
             all of them with --all, or its 1-D arrays as columns with .txt",
            file.display()
        ),
        Node::Datatype(_) => anyhow::bail!("{}: {path} is a named datatype", file.display()),
        Node::Dataset(_) if format == Format::H5 => {
            if out.as_os_str() == "-" {
                anyhow::bail!(".h5 export needs an output file");
            }
            let dwa = pmd::load_data(f, path, false).map_err(at)?;
            crate::output::write_via_temp(out, force, |tmp| write_h5(tmp, dwa)).map_err(at)
        }
        Node::Dataset(d) => {
            let src = source(f, &b, file, path, d, pn.as_ref()).map_err(at)?;
            let mut o = Output::create(out, force)?;
            let pb = crate::progress::bytes(
                src.d.len().saturating_mul(src.d.datatype.size()),
                "exporting",
                quiet,
            );
            match format {
                Format::Csv => export_table::write_table(&mut o, &src, b',', &pb),
                Format::Tsv => export_table::write_table(&mut o, &src, b'\t', &pb),
                Format::Json => export_table::write_json(&mut o, &src, &pb),
                Format::Npy => npz::write_npy(&mut o, &src.d, &pb),
                Format::Npz => {
                    if o.is_stdout() {
                        anyhow::bail!(
                            ".npz needs an output file (a zip archive is written with seeks)"
                        );
                    }
                    drop(o);
                    pb.finish_and_clear();
                    return crate::output::write_via_temp(out, force, |tmp| {
                        let pb = crate::progress::bytes(
                            src.d.len().saturating_mul(src.d.datatype.size()),
                            "exporting",
                            quiet,
                        );
                        let r = npz::write_npz(tmp, &src, &pb);
                        pb.finish_and_clear();
                        r
                    })
                    .map_err(at);
                }
                Format::Txt | Format::H5 => unreachable!("handled above"),
            }
            .map_err(at)?;
            pb.finish_and_clear();
            o.commit()
        }
    }
}

/// The dataset with what PyMoDAQ knows about it: its axes (own and navigation, as
/// `DataLoader.load_data` gathers them, values only, no data read), label and units.
fn source(
    f: &File,
    b: &H5Backend,
    file: &Path,
    path: &str,
    d: Dataset,
    pn: Option<&PmdNode>,
) -> anyhow::Result<Source> {
    let shape = d.shape().to_vec();
    let dtype = pymodaq_h5::hdf5::read::dataset::type_summary(&d.datatype);
    let shape_s = pymodaq_h5::serve::encode::py_tuple(&shape);
    let name = path.rsplit('/').next().unwrap_or(path).to_string();
    let data_type = pn.and_then(|n| pmd::attr(b, n, "data_type"));
    let Some((pn, dt)) = pn
        .zip(data_type)
        .filter(|(n, t)| n.class.is_array() && t != "axis")
    else {
        return Ok(Source {
            description: format!(
                "pymodaq-h5 export of {}:{path}, shape {shape_s}, {dtype}",
                crate::output::file_name(file)
            ),
            value_header: name.clone(),
            label: name,
            units: String::new(),
            axes: Vec::new(),
            pymodaq: false,
            path: path.to_string(),
            shape,
            d,
        });
    };
    let _ = dt;
    let label = pmd::attr(b, pn, "label").unwrap_or_default();
    let units = pmd::attr(b, pn, "units").unwrap_or_default();
    let title = pmd::py_str(
        &b.title(pn)
            .unwrap_or(pymodaq_h5::pymodaq::attrs::PyValue::None),
    );
    let dim = pmd::attr(b, pn, "data_dimension").unwrap_or_default();
    let nav: Vec<usize> = match b.attr(pn, "nav_indexes").ok().flatten().map(|v| v.to_py()) {
        Some(pymodaq_h5::pymodaq::attrs::PyValue::Tuple(v))
        | Some(pymodaq_h5::pymodaq::attrs::PyValue::List(v)) => v
            .iter()
            .filter_map(|x| match x {
                pymodaq_h5::pymodaq::attrs::PyValue::Int(i) => usize::try_from(*i).ok(),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    // PyMoDAQ squeezes size-1 signal dimensions: axis index j is the j-th kept dimension.
    let mut kept: Vec<usize> = (0..shape.len())
        .filter(|&i| nav.contains(&i) || shape[i] != 1)
        .collect();
    if kept.is_empty() && !shape.is_empty() {
        kept.push(0);
    }
    let loader = DataLoader::new(b.clone());
    let mut axes: Vec<(usize, Axis)> = Vec::new();
    let parent = path
        .rsplit_once('/')
        .map_or("/", |(p, _)| if p.is_empty() { "/" } else { p });
    let mut axis_nodes: Vec<String> = Vec::new();
    if let Ok(pnode) = b.get_node(parent) {
        for n in b.walk_nodes(&pnode).unwrap_or_default() {
            if n.class.is_array() && pmd::attr(b, &n, "data_type").as_deref() == Some("axis") {
                axis_nodes.push(n.path.clone());
            }
        }
    }
    let mut nav_nodes: Vec<String> = Vec::new();
    if let Ok(Some(g)) = loader.get_nav_group(pn) {
        for n in b.walk_nodes(&g).unwrap_or_default() {
            if n.class.is_array() && pmd::attr(b, &n, "data_type").as_deref() == Some("axis") {
                nav_nodes.push(n.path.clone());
            }
        }
    }
    for (p, is_nav) in axis_nodes
        .iter()
        .map(|p| (p, false))
        .chain(nav_nodes.iter().map(|p| (p, true)))
    {
        let Ok(ax) = loader.load_axis(p) else {
            continue;
        };
        // Navigation axes are indexed among the navigation dimensions (load_data's rule).
        let sq = if is_nav {
            match nav.get(ax.index) {
                Some(&i) => i,
                None => continue,
            }
        } else {
            ax.index
        };
        if let Some(&stored) = kept.get(sq) {
            axes.push((stored, ax));
        }
    }
    axes.sort_by_key(|(d, a)| (*d, a.spread_order));
    let _ = f;
    let value_header = match (label.is_empty(), units.is_empty()) {
        (false, false) => format!("{label} ({units})"),
        (false, true) => label.clone(),
        (true, false) => format!("{name} ({units})"),
        (true, true) => name.clone(),
    };
    Ok(Source {
        description: format!(
            "pymodaq-h5 export of {}:{path} '{title}' {dim}, shape {shape_s}, {dtype}",
            crate::output::file_name(file)
        ),
        value_header,
        label,
        units,
        axes,
        pymodaq: true,
        path: path.to_string(),
        shape,
        d,
    })
}

/// A new PyMoDAQ file with one detector holding `dwa` (`DataToExportSaver.add_data`).
fn write_h5(path: &Path, dwa: pymodaq_h5::pymodaq::model::DataWithAxes) -> anyhow::Result<()> {
    use pymodaq_h5::pymodaq::save::data_saving::DataToExportSaver;
    use pymodaq_h5::pymodaq::save::saving::{H5Saver, InitOptions, SaveType};
    let mut h5 = H5Saver::init_file(
        path,
        InitOptions {
            save_type: SaveType::Detector,
            ..InitOptions::default()
        },
    )?;
    let raw = h5.raw_group().to_string();
    let det = h5.add_det_group(
        &raw,
        &dwa.name,
        &pymodaq_h5::pymodaq::attrs::PyValue::Str(String::new()),
        &[],
    )?;
    let mut dte = pymodaq_h5::pymodaq::model::DataToExport::new("exported");
    dte.append(dwa);
    DataToExportSaver::add_data(&mut h5, &det, &dte, "", &[])?;
    h5.close_file()?;
    Ok(())
}
