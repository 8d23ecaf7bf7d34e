//! `pymodaq-h5 record`: stream numeric lines into a PyMoDAQ logger file the way PyMoDAQ's
//! `DataToExportTimedSaver` lays it out (`/RawData/Datalogger000/Detector000/Data0D/CHxx/
//! EnlData00` plus `NavAxes/Axis00` = time), flushing kill-safely as it goes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::hdf5::write::Durability;
use crate::pymodaq::attrs::pyliteral::PyValue;
use crate::pymodaq::backend::write::join;
use crate::pymodaq::backend::NodeClass;
use crate::pymodaq::model::{DataToExport, DataWithAxes, DwaArgs, NdArray};
use crate::pymodaq::save::data_saving::{channel_name, NAV_AXES};
use crate::pymodaq::save::{DataToExportTimedSaver, Flavour, H5Saver, InitOptions, SaveType};

/// Options of a recording.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// Channel names (`None`: `CH00`.. from the first line).
    pub names: Option<Vec<String>>,
    /// Channel units (missing ones are `''`).
    pub units: Vec<String>,
    /// Title of the logger and detector groups.
    pub title: String,
    /// Flush every this many lines (0: only by time and at the end).
    pub flush_every: u64,
    /// Flush at least this often while lines arrive.
    pub flush_interval: Duration,
    /// zlib level (`None`: no compression).
    pub compress: Option<u32>,
    /// Library conventions.
    pub flavour: Flavour,
    /// Whether closing the recording fsyncs ([`Durability::Sync`], the default); every
    /// flush is crash-consistent against a killed process either way.
    pub durability: Durability,
    /// Add NeXus hints when the recording is closed (`InitOptions::nexus_hints`).
    pub nexus_hints: bool,
}

impl Default for RecordOptions {
    fn default() -> Self {
        RecordOptions {
            names: None,
            units: Vec::new(),
            title: "Sensor log".into(),
            flush_every: 1000,
            flush_interval: Duration::from_secs(1),
            compress: None,
            flavour: Flavour::Tables,
            durability: Durability::default(),
            nexus_hints: true,
        }
    }
}

/// Parse one input line: `None` for blank and `#` lines, else the numbers (separated by
/// commas, tabs or spaces) or the reason the line is not a row of numbers.
pub fn parse_line(line: &str) -> Option<std::result::Result<Vec<f64>, String>> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    let mut out = Vec::new();
    for tok in t
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        match parse_number(tok) {
            Some(v) => out.push(v),
            None => return Some(Err(format!("{tok:?} is not a number"))),
        }
    }
    if out.is_empty() {
        return Some(Err("no values".into()));
    }
    Some(Ok(out))
}

fn parse_number(tok: &str) -> Option<f64> {
    match tok.to_ascii_lowercase().as_str() {
        "nan" | "+nan" | "-nan" => return Some(f64::NAN),
        "inf" | "+inf" | "infinity" | "+infinity" => return Some(f64::INFINITY),
        "-inf" | "-infinity" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    // Rust's parser also takes "infinity"/"nan" spellings handled above; anything else
    // must look like a decimal number.
    if !tok
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    tok.parse().ok()
}

fn now_epoch() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// An open recording.
#[derive(Debug)]
pub struct Recorder {
    h5: H5Saver,
    det: String,
    names: Option<Vec<String>>,
    units: Vec<String>,
    saver: DataToExportTimedSaver,
    /// Paths of the channel arrays and the time axis once created.
    channels: Vec<String>,
    time_axis: String,
    unflushed: u64,
    last_flush: Instant,
    opts: RecordOptions,
    rows: u64,
    on_flush: Option<OnFlush>,
    warnings: Vec<String>,
}

/// Called after every flush with the recorded file's path (e.g. to mirror it to an HSDS
/// domain, `hsds::upload::Uploader::sync`) and whether it is the last call (the file is
/// closed); its error ends the recording.
pub struct OnFlush(pub FlushHook);

/// The hook's function.
pub type FlushHook = Box<dyn FnMut(&Path, bool) -> Result<()> + Send>;

impl std::fmt::Debug for OnFlush {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnFlush")
    }
}

impl Recorder {
    /// Create `path` (valid and empty once this returns).
    pub fn create(path: &Path, opts: RecordOptions) -> Result<Recorder> {
        let init = InitOptions {
            flavour: opts.flavour,
            save_type: SaveType::Logger,
            compression: opts.compress,
            durability: opts.durability,
            nexus_hints: opts.nexus_hints,
            ..InitOptions::default()
        };
        let mut h5 = H5Saver::init_file(path, init)?;
        let raw = h5.raw_group().to_string();
        let empty = PyValue::Str(String::new());
        let logger = h5.add_incremental_group("datalogger", &raw, &opts.title, &empty, &[])?;
        let det = h5.add_det_group(&logger, &opts.title, &empty, &[])?;
        h5.add_log(&format!(
            "recording started by pymodaq-h5 {}",
            env!("CARGO_PKG_VERSION")
        ))?;
        h5.flush()?;
        Ok(Recorder {
            h5,
            det,
            names: opts.names.clone(),
            units: opts.units.clone(),
            saver: DataToExportTimedSaver::new(),
            channels: Vec::new(),
            time_axis: String::new(),
            unflushed: 0,
            last_flush: Instant::now(),
            opts,
            rows: 0,
            on_flush: None,
            warnings: Vec::new(),
        })
    }

    /// Continue the last recording of `path` after its last committed row. Everything that
    /// can refuse is checked, reading only, before the first byte is written, so a refusal
    /// leaves the file byte-identical. A recording torn by an older version (channels and
    /// time axis of different lengths) is continued at the rows all of them hold; the rows
    /// dropped are reported in [`Recorder::warnings`] and in the Logger.
    pub fn append(path: &Path, opts: RecordOptions) -> Result<Recorder> {
        let plan = plan_append(path)?;
        let mut h5 = H5Saver::open_file(path, opts.compress)?;
        h5.set_nexus_hints(opts.nexus_hints);
        let common = plan
            .rows
            .iter()
            .copied()
            .chain((!plan.channels.is_empty()).then_some(plan.t_rows))
            .min()
            .unwrap_or(0);
        let mut warnings = Vec::new();
        let mut cut = Vec::new();
        for (c, r) in plan.channels.iter().zip(&plan.extents) {
            if *r > common {
                cut.push(format!("{} of {c}", r - common));
                h5.backend().truncate_rows(c, common)?;
            }
        }
        if !plan.channels.is_empty() && plan.t_extent > common {
            cut.push(format!("{} of {}", plan.t_extent - common, plan.time_axis));
            h5.backend().truncate_rows(&plan.time_axis, common)?;
            h5.backend()
                .set_attr(&plan.time_axis, "size", &PyValue::Int(i128::from(common)))?;
        }
        if !cut.is_empty() {
            let w = format!(
                "{}: torn recording (channels of {:?} rows, time axis {}): continued after \
                 row {common}, dropping {} rows",
                path.display(),
                plan.extents,
                plan.t_extent,
                cut.join(", ")
            );
            h5.add_log(&w)?;
            warnings.push(w);
        }
        h5.add_log("recording continued (--append)")?;
        h5.flush()?;
        let AppendPlan {
            det,
            channels,
            names,
            time_axis,
            ..
        } = plan;
        Ok(Recorder {
            h5,
            det,
            names: if names.is_empty() {
                opts.names.clone()
            } else {
                Some(names)
            },
            units: opts.units.clone(),
            saver: DataToExportTimedSaver::new(),
            time_axis: if channels.is_empty() {
                String::new()
            } else {
                time_axis
            },
            channels,
            unflushed: 0,
            last_flush: Instant::now(),
            opts,
            rows: common,
            on_flush: None,
            warnings,
        })
    }

    /// What `--append` repaired, one message each.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Channel names (once known).
    pub fn names(&self) -> Option<&[String]> {
        self.names.as_deref()
    }

    /// Rows recorded in the file (committed or not).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Record one acquisition at epoch time `t`. The number of values must match the
    /// channels (the first line fixes it when no names were given).
    pub fn record(&mut self, values: &[f64], t: f64) -> Result<()> {
        let names = match &self.names {
            Some(n) => n.clone(),
            None => {
                let n: Vec<String> = (0..values.len()).map(channel_name).collect();
                self.names = Some(n.clone());
                n
            }
        };
        if values.len() != names.len() {
            return Err(Error::Usage(format!(
                "{} values for {} channels",
                values.len(),
                names.len()
            )));
        }
        let first = self.channels.is_empty();
        if first {
            self.create_layout(&names, values, t)?;
        } else {
            for (c, v) in self.channels.clone().iter().zip(values) {
                self.h5
                    .backend()
                    .append(c, &NdArray::from_f64(vec![1], &[*v])?)?;
            }
            let ta = self.time_axis.clone();
            self.h5
                .backend()
                .append(&ta, &NdArray::from_f64(vec![1], &[t])?)?;
            self.h5.backend().bump_int_attr(&ta, "size", 1)?;
        }
        self.rows += 1;
        self.unflushed += 1;
        // The first line is committed with the layout it creates: PyMoDAQ's loader cannot
        // build a DataWithAxes from empty enlargeable arrays, so the arrays should not stay
        // empty until the next flush (only a kill during their creation leaves them so).
        if first
            || (self.opts.flush_every > 0 && self.unflushed >= self.opts.flush_every)
            || self.last_flush.elapsed() >= self.opts.flush_interval
        {
            self.flush()?;
        }
        Ok(())
    }

    fn create_layout(&mut self, names: &[String], values: &[f64], t: f64) -> Result<()> {
        let mut dte = DataToExport::new("record");
        dte.timestamp = t;
        for (i, (n, v)) in names.iter().zip(values).enumerate() {
            let mut d = DataWithAxes::new(DwaArgs {
                name: n.clone(),
                source: crate::pymodaq::model::DataSource::Raw,
                distribution: crate::pymodaq::model::DataDistribution::Uniform,
                data: vec![NdArray::from_f64(vec![1], &[*v])?],
                labels: Vec::new(),
                units: self.units.get(i).cloned().unwrap_or_default(),
                origin: PyValue::Str(String::new()),
                nav_indexes: Vec::new(),
                axes: Vec::new(),
                errors: None,
                extra_attributes: Vec::new(),
            })
            .map_err(|e| Error::Usage(e.to_string()))?;
            d.timestamp = PyValue::Float(t);
            dte.data.push(d);
        }
        // Channels and the time axis: more than one commit page commits page by page.
        let cap = self.h5.backend_ref().acquisition_capacity();
        if names.len() + 1 > cap {
            self.warnings.push(format!(
                "{} channels and the time axis are more than one flush commits at once ({cap} \
                 arrays in this file's format): a kill during a flush may leave some channels \
                 one flush behind the others (spec/hdf5-write.md, \"Commit pages\")",
                names.len()
            ));
        }
        let det = self.det.clone();
        self.saver.add_data(&mut self.h5, &det, &dte)?;
        let data0d = join(&det, "Data0D");
        self.channels = (0..names.len())
            .map(|i| join(&join(&data0d, &channel_name(i)), "EnlData00"))
            .collect();
        self.time_axis = join(&join(&det, NAV_AXES), "Axis00");
        // Unlike PyMoDAQ's enlargeable saver, keep the units (its loader reads them).
        for (i, c) in self.channels.clone().iter().enumerate() {
            let u = self.units.get(i).cloned().unwrap_or_default();
            self.h5.backend().set_attr(c, "units", &PyValue::Str(u))?;
        }
        Ok(())
    }

    /// Run `f` after every flush from now on (and once now, for what is already written).
    pub fn on_flush(&mut self, mut f: OnFlush) -> Result<()> {
        (f.0)(self.h5.path(), false)?;
        self.on_flush = Some(f);
        Ok(())
    }

    /// Commit every recorded row (kill-safe).
    pub fn flush(&mut self) -> Result<()> {
        self.h5.flush()?;
        if let Some(f) = &mut self.on_flush {
            (f.0)(self.h5.path(), false)?;
        }
        self.unflushed = 0;
        self.last_flush = Instant::now();
        Ok(())
    }

    /// Whether the time-based flush is due.
    pub fn flush_due(&self) -> bool {
        self.unflushed > 0 && self.last_flush.elapsed() >= self.opts.flush_interval
    }

    /// Time left before the time-based flush.
    pub fn until_flush(&self) -> Duration {
        self.opts
            .flush_interval
            .saturating_sub(self.last_flush.elapsed())
    }

    /// Add a line to the Logger.
    pub fn log(&mut self, msg: &str) -> Result<()> {
        self.h5.add_log(msg)
    }

    /// Flush, fsync and close.
    pub fn close(mut self) -> Result<()> {
        let path = self.h5.path().to_path_buf();
        let on_flush = self.on_flush.take();
        self.h5.close_file()?;
        if let Some(mut f) = on_flush {
            (f.0)(&path, true)?;
        }
        Ok(())
    }
}

/// The recording `--append` continues, found reading only.
struct AppendPlan {
    det: String,
    channels: Vec<String>,
    names: Vec<String>,
    time_axis: String,
    rows: Vec<u64>,
    t_rows: u64,
    /// Extents (rows beyond the committed ones are cut too).
    extents: Vec<u64>,
    t_extent: u64,
}

/// Find the last recording of `path` and check that it can be continued, without writing:
/// the read engine finds the layout, then a writer opened on the file (which writes
/// nothing until asked) accepts every array that will grow.
fn plan_append(path: &Path) -> Result<AppendPlan> {
    use crate::hdf5::read::{File, Node};
    use crate::pymodaq::backend::{Backend, H5Backend};
    let refuse = |m: String| Error::Usage(format!("{}: {m}", path.display()));
    let f = File::open(path)?;
    let b = H5Backend::new(&f);
    let raw = "/RawData";
    if b.node_class(raw) != Some(NodeClass::Group) {
        return Err(refuse("no /RawData group (not a PyMoDAQ file)".into()));
    }
    let mut loggers: Vec<String> = b
        .child_names(raw)
        .into_iter()
        .filter(|n| n.starts_with("Datalogger"))
        .collect();
    loggers.sort();
    let logger = loggers
        .last()
        .map(|n| join(raw, n))
        .ok_or_else(|| refuse("no Datalogger group to continue".into()))?;
    let det = join(&logger, "Detector000");
    if b.node_class(&det) != Some(NodeClass::Group) {
        return Err(refuse(format!("{logger} has no Detector000 group")));
    }
    let data0d = join(&det, "Data0D");
    let time_axis = join(&join(&det, NAV_AXES), "Axis00");
    // Rows committed: the extent, or fewer when PyMoDAQ's `shape` attribute (moved after the
    // rows, in one step for all arrays) says so: an HSDS recording killed between extending
    // its arrays and committing them (spec/hsds.md, "Crash semantics").
    let swmr = matches!(
        b.attribute("/", "swmr_compatible"),
        Some(PyValue::Bool(true))
    );
    let rows_of = |p: &str| -> Result<u64> {
        let extent = match f.get(p) {
            Ok(Node::Dataset(d)) => d.shape().first().copied().unwrap_or(0),
            _ => return Err(refuse(format!("{p}: not an array"))),
        };
        let attr = match b.attribute(p, "shape") {
            Some(PyValue::Tuple(v) | PyValue::List(v)) => match v.first() {
                Some(PyValue::Int(n)) => u64::try_from(*n).ok(),
                _ => None,
            },
            _ => None,
        };
        // PyMoDAQ's SWMR files leave `shape` at its value when SWMR started (its writes
        // skip attributes then): the extent is what they hold.
        if swmr {
            return Ok(extent);
        }
        Ok(attr.map_or(extent, |a| a.min(extent)))
    };
    let extent_of = |p: &str| -> u64 {
        match f.get(p) {
            Ok(Node::Dataset(d)) => d.shape().first().copied().unwrap_or(0),
            _ => 0,
        }
    };
    let mut channels = Vec::new();
    let mut names = Vec::new();
    let mut rows = Vec::new();
    if b.node_class(&data0d) == Some(NodeClass::Group) {
        for i in 0..b.child_names(&data0d).len() {
            let ch = join(&data0d, &channel_name(i));
            if b.node_class(&ch).is_none() {
                break;
            }
            names.push(match b.attribute(&ch, "TITLE") {
                Some(PyValue::Str(s)) => s,
                _ => channel_name(i),
            });
            let c = join(&ch, "EnlData00");
            if b.node_class(&c) != Some(NodeClass::EArray) {
                return Err(refuse(format!("{c}: not an enlargeable channel")));
            }
            rows.push(rows_of(&c)?);
            channels.push(c);
        }
    }
    let t_rows = if channels.is_empty() {
        0
    } else {
        if b.node_class(&time_axis) != Some(NodeClass::EArray) {
            return Err(refuse(format!("{time_axis}: not an enlargeable time axis")));
        }
        rows_of(&time_axis)?
    };
    let extents = channels.iter().map(|c| extent_of(c)).collect();
    let t_extent = extent_of(&time_axis);
    // The writer's own refusals (structures it cannot extend), still without writing.
    let mut w =
        crate::hdf5::write::Writer::open(path, crate::hdf5::write::WriteOptions::default())?;
    for p in channels
        .iter()
        .chain((!channels.is_empty()).then_some(&time_axis))
    {
        w.open_dataset(p)?;
    }
    drop(w);
    Ok(AppendPlan {
        det,
        channels,
        names,
        time_axis,
        rows,
        t_rows,
        extents,
        t_extent,
    })
}

/// What a recording did.
#[derive(Debug, Clone, Default)]
pub struct RecordStats {
    /// Lines recorded.
    pub recorded: u64,
    /// Lines skipped (wrong count or not numbers).
    pub skipped: u64,
}

/// Record every line of `input` (read on its own thread, so time-based flushes happen even
/// while the input is silent). Bad lines are reported on `errors` with their line number and
/// skipped.
pub fn record_stream<R: std::io::BufRead + Send + 'static>(
    rec: &mut Recorder,
    input: R,
    errors: &mut dyn std::io::Write,
    mut progress: impl FnMut(&RecordStats),
) -> Result<RecordStats> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<String>>(4096);
    let reader = std::thread::spawn(move || {
        for line in input.lines() {
            let stop = line.is_err();
            if tx.send(line).is_err() || stop {
                break;
            }
        }
    });
    let mut stats = RecordStats::default();
    let mut lineno = 0u64;
    let mut last_progress = Instant::now();
    // Warnings the recording adds (the layout's, at the first line) are written as they come.
    let mut warned = rec.warnings.len();
    loop {
        let wait = if rec.unflushed > 0 {
            rec.until_flush()
        } else {
            Duration::from_secs(3600)
        };
        match rx.recv_timeout(wait) {
            Ok(Ok(line)) => {
                lineno += 1;
                match parse_line(&line) {
                    None => {}
                    Some(Err(why)) => {
                        stats.skipped += 1;
                        let _ = writeln!(errors, "line {lineno}: {why}; skipped");
                    }
                    Some(Ok(values)) => match rec.record(&values, now_epoch()) {
                        Ok(()) => {
                            stats.recorded += 1;
                            for w in rec.warnings.get(warned..).unwrap_or_default() {
                                let _ = writeln!(errors, "warning: {w}");
                            }
                            warned = rec.warnings.len();
                        }
                        Err(Error::Usage(why)) => {
                            stats.skipped += 1;
                            let _ = writeln!(errors, "line {lineno}: {why}; skipped");
                        }
                        Err(e) => return Err(e),
                    },
                }
                if last_progress.elapsed() >= Duration::from_millis(500) {
                    progress(&stats);
                    last_progress = Instant::now();
                }
            }
            Ok(Err(e)) => {
                rec.flush()?;
                return Err(e.into());
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if rec.flush_due() {
                    rec.flush()?;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let _ = reader.join();
    rec.flush()?;
    progress(&stats);
    Ok(stats)
}

/// Where `record` writes and how it treats an existing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Refuse an existing file.
    Refuse,
    /// Continue its last recording.
    Append,
    /// Replace it.
    Force,
}

/// Open the recording for `path` per `existing`.
pub fn open_recorder(path: &Path, existing: Existing, opts: RecordOptions) -> Result<Recorder> {
    let exists = path.exists();
    match (existing, exists) {
        (Existing::Refuse, true) => Err(Error::Usage(format!(
            "{} exists (use --append to continue it or --force to replace it)",
            path.display()
        ))),
        (Existing::Append, true) => Recorder::append(path, opts),
        _ => Recorder::create(path, opts),
    }
}

/// The path written: `record` keeps the name given (no `.h5` added).
pub fn out_path(p: &Path) -> PathBuf {
    p.to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_with_commas_tabs_and_spaces() {
        assert_eq!(
            parse_line("1.5, 2\t3  4e-3"),
            Some(Ok(vec![1.5, 2.0, 3.0, 0.004]))
        );
        assert_eq!(parse_line("  # comment"), None);
        assert_eq!(parse_line("   "), None);
        assert!(matches!(parse_line("1, abc"), Some(Err(_))));
        assert!(matches!(parse_line("0x10"), Some(Err(_))));
        let nan = parse_line("nan,-inf").unwrap().unwrap();
        assert!(nan[0].is_nan() && nan[1] == f64::NEG_INFINITY);
    }
}
