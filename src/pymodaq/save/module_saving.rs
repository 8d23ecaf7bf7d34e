//! PyMoDAQ's module savers (`pymodaq.utils.h5modules.module_saving`, 5.3 layout): the groups a
//! DAQ_Viewer, DAQ_Move, DAQ_Scan or DAQ_Logger makes in a file, and the data savers they use.
//!
//! A module is described by its title and its settings XML (what PyMoDAQ's Qt parameter tree
//! serialises; stored as a `bytes` JSON attribute, as `ET.tostring` gives bytes).

use std::borrow::Cow;
use std::marker::PhantomData;

use crate::error::Result;
use crate::pymodaq::attrs::pyliteral::PyValue;
use crate::pymodaq::model::{
    Axis, DataDim, DataDistribution, DataSource, DataToExport, DataWithAxes, DwaArgs, NdArray,
};

use super::data_saving::{
    DataToExportEnlargeableSaver, DataToExportExtendedSaver, DataToExportSaver,
    DataToExportTimedSaver,
};
use super::saving::H5Saver;
use crate::pymodaq::backend::write::join;

/// A control module as the savers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    /// The module title (group TITLE; also how `get_set_node` finds the group again).
    pub title: String,
    /// The settings XML (`<All_settings type="group">...`), stored as bytes.
    pub settings_xml: Vec<u8>,
}

impl Module {
    /// A module with this title and settings XML.
    pub fn new(title: &str, settings_xml: &[u8]) -> Module {
        Module {
            title: title.to_string(),
            settings_xml: settings_xml.to_vec(),
        }
    }

    fn settings(&self) -> PyValue {
        PyValue::Bytes(self.settings_xml.clone())
    }
}

/// What `DetectorSaver.add_data` keeps (the H5Saver settings `save_raw_only`, `save_2D`, and
/// each DataWithAxes' `do_save` extra attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveFilter {
    /// Drop calculated data (PyMoDAQ's default: true).
    pub save_raw_only: bool,
    /// Keep 2D and ND data (default: true).
    pub save_2d: bool,
}

impl Default for SaveFilter {
    fn default() -> Self {
        SaveFilter {
            save_raw_only: true,
            save_2d: true,
        }
    }
}

impl SaveFilter {
    /// The filtered copy of `dte`.
    pub fn apply(&self, dte: &DataToExport) -> DataToExport {
        let mut out = DataToExport::new(&dte.name);
        out.timestamp = dte.timestamp;
        out.data = dte
            .data
            .iter()
            .filter(|d| {
                let do_save = d
                    .extra_attributes
                    .iter()
                    .find(|(k, _)| k == "do_save")
                    .is_none_or(|(_, v)| *v != PyValue::Bool(false));
                do_save
                    && !(self.save_raw_only && d.source == DataSource::Calculated)
                    && (self.save_2d || !matches!(d.dim, DataDim::Data2D | DataDim::DataND))
            })
            .cloned()
            .collect();
        out
    }
}

/// `get_node_from_title(where, title)`: the first node below `where` titled `title`.
fn node_from_title(h5: &H5Saver, where_: &str, title: &str) -> Option<String> {
    let b = h5.backend_ref();
    b.walk_nodes(where_).into_iter().find(|p| {
        b.node(p)
            .and_then(|n| n.attr("TITLE"))
            .is_some_and(|t| *t == PyValue::Str(title.to_string()))
    })
}

type AddGroup = fn(&mut H5Saver, &str, &str, &PyValue, &[(String, PyValue)]) -> Result<String>;

/// `get_set_node(where)`: the node titled like the module below `where` (default the raw
/// group), else a new group made by `add` with the module's title and settings; remembered
/// in `group`.
fn module_node(
    h5: &mut H5Saver,
    where_: Option<&str>,
    module: &Module,
    add: AddGroup,
    group: &mut Option<String>,
) -> Result<String> {
    let w = where_.map_or_else(|| h5.raw_group().to_string(), str::to_string);
    let g = match node_from_title(h5, &w, &module.title) {
        Some(g) => g,
        None => add(h5, &w, &module.title, &module.settings(), &[])?,
    };
    *group = Some(g.clone());
    Ok(g)
}

/// How a detector's data are saved.
#[derive(Debug, Clone)]
enum DetectorMode {
    Plain,
    Enlargeable(DataToExportEnlargeableSaver),
    Timed(DataToExportTimedSaver),
    Extended(DataToExportExtendedSaver),
}

impl DetectorMode {
    fn timed() -> Self {
        DetectorMode::Timed(DataToExportTimedSaver::new())
    }

    fn enlargeable(names: &[&str], units: &[&str]) -> Result<Self> {
        Ok(DetectorMode::Enlargeable(
            DataToExportEnlargeableSaver::new(names, units)?,
        ))
    }
}

/// What kind of control module a [`ModuleSaver`] saves.
pub trait ModuleKind {
    /// How `get_set_node` makes the module's group.
    const ADD_GROUP: AddGroup;
    /// Whether `add_data` keeps only what the [`SaveFilter`] keeps and stamps timed rows
    /// with the time of saving (detectors; actuators save their positions as given).
    const FILTERED: bool;
}

/// A DAQ_Viewer's saver ([`DetectorSaver`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detector;

/// A DAQ_Move's saver ([`ActuatorSaver`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actuator;

impl ModuleKind for Detector {
    const ADD_GROUP: AddGroup = H5Saver::add_det_group;
    const FILTERED: bool = true;
}

impl ModuleKind for Actuator {
    const ADD_GROUP: AddGroup = H5Saver::add_act_group;
    const FILTERED: bool = false;
}

/// The savers of one control module: its group (found by title or made) and how its data
/// are saved. PyMoDAQ's detector and actuator savers differ only in the group they make
/// and in the filtering of detector data, hence one type with two kinds.
#[derive(Debug, Clone)]
pub struct ModuleSaver<K> {
    module: Module,
    mode: DetectorMode,
    /// Data kept by `add_data` (detectors).
    pub filter: SaveFilter,
    group: Option<String>,
    kind: PhantomData<K>,
}

/// `DetectorSaver` (DAQ_Viewer snapshots) and, by constructor, `DetectorEnlargeableSaver`,
/// `DetectorTimeSaver` and `DetectorExtendedSaver`.
pub type DetectorSaver = ModuleSaver<Detector>;

/// `ActuatorSaver` (plain DataToExport layout) and, by constructor, `ActuatorTimeSaver` and
/// `ActuatorEnlargeableSaver`.
pub type ActuatorSaver = ModuleSaver<Actuator>;

impl<K: ModuleKind> ModuleSaver<K> {
    fn with_mode(module: Module, mode: DetectorMode) -> Self {
        ModuleSaver {
            module,
            mode,
            filter: SaveFilter::default(),
            group: None,
            kind: PhantomData,
        }
    }

    /// The module group once known.
    pub fn module_group(&self) -> Option<&str> {
        self.group.as_deref()
    }

    /// `get_set_node(where)`: the group titled like the module below `where` (default
    /// `/RawData`), else a new `DetectorNNN` (detectors, with the settings) or `ActuatorNNN`.
    pub fn get_set_node(&mut self, h5: &mut H5Saver, where_: Option<&str>) -> Result<String> {
        module_node(h5, where_, &self.module, K::ADD_GROUP, &mut self.group)
    }

    /// `add_data(where, dte)` for the plain, timed and enlargeable savers (`axis_values` for
    /// the enlargeable one); `where_` defaults to the module group `get_set_node` gave. A
    /// detector saves the filtered copy, and its timed saver stamps it with the time of
    /// saving.
    pub fn add_data(
        &self,
        h5: &mut H5Saver,
        where_: Option<&str>,
        dte: &DataToExport,
        axis_values: &[f64],
    ) -> Result<()> {
        let where_ = self.at(where_)?;
        let kept = if K::FILTERED {
            Cow::Owned(self.filter.apply(dte))
        } else {
            Cow::Borrowed(dte)
        };
        match &self.mode {
            DetectorMode::Plain => DataToExportSaver::add_data(h5, where_, &kept, "", &[]),
            DetectorMode::Timed(s) if K::FILTERED => {
                let mut stamped = kept.into_owned();
                stamped.timestamp = h5.now();
                s.add_data(h5, where_, &stamped)
            }
            DetectorMode::Timed(s) => s.add_data(h5, where_, &kept),
            DetectorMode::Enlargeable(s) => s.add_data(h5, where_, &kept, axis_values),
            DetectorMode::Extended(_) => Err(crate::Error::Usage(
                "an extended detector saver takes scan indexes: use add_scan_point".into(),
            )),
        }
    }

    /// `where_`, else the module group `get_set_node` gave.
    fn at<'a>(&'a self, where_: Option<&'a str>) -> Result<&'a str> {
        where_
            .or(self.group.as_deref())
            .ok_or_else(|| crate::Error::Usage("no module group yet: call get_set_node".into()))
    }

    /// `add_bkg(where, dte)`.
    pub fn add_bkg(&self, h5: &mut H5Saver, where_: &str, dte: &DataToExport) -> Result<()> {
        DataToExportSaver::add_bkg(h5, where_, dte)
    }
}

impl ModuleSaver<Detector> {
    /// `DetectorSaver(module)`: the DataToExport layout.
    pub fn new(module: Module) -> Self {
        Self::with_mode(module, DetectorMode::Plain)
    }

    /// `DetectorEnlargeableSaver(module, axis names, units)`: rows along user axes, `NavAxes`
    /// in the detector group.
    pub fn enlargeable(module: Module, names: &[&str], units: &[&str]) -> Result<Self> {
        Ok(Self::with_mode(
            module,
            DetectorMode::enlargeable(names, units)?,
        ))
    }

    /// `DetectorTimeSaver(module)`: rows along a `time` axis (time of saving).
    pub fn timed(module: Module) -> Self {
        Self::with_mode(module, DetectorMode::timed())
    }

    /// `DetectorExtendedSaver(module, extended_shape)`: points of a scan.
    pub fn extended(module: Module, extended_shape: &[u64]) -> Self {
        let mode = DetectorMode::Extended(DataToExportExtendedSaver::new(extended_shape));
        Self::with_mode(module, mode)
    }

    /// `DetectorExtendedSaver.add_nav_axes(where, axes)`.
    pub fn add_nav_axes(&self, h5: &mut H5Saver, where_: &str, axes: &[Axis]) -> Result<()> {
        match &self.mode {
            DetectorMode::Extended(s) => s.add_nav_axes(h5, where_, axes),
            _ => Err(crate::Error::Usage(
                "navigation axes need an extended saver".into(),
            )),
        }
    }

    /// `DetectorExtendedSaver.add_data(where, dte, indexes, distribution)`; `where_`
    /// defaults to the module group.
    pub fn add_scan_point(
        &self,
        h5: &mut H5Saver,
        where_: Option<&str>,
        dte: &DataToExport,
        indexes: &[u64],
        distribution: DataDistribution,
    ) -> Result<()> {
        match &self.mode {
            DetectorMode::Extended(s) => {
                let at = self.at(where_)?;
                s.add_data(h5, at, &self.filter.apply(dte), indexes, distribution)
            }
            _ => Err(crate::Error::Usage(
                "scan points need an extended saver".into(),
            )),
        }
    }
}

impl ModuleSaver<Actuator> {
    /// `ActuatorSaver(module)`.
    pub fn new(module: Module) -> Self {
        Self::with_mode(module, DetectorMode::Plain)
    }

    /// `ActuatorTimeSaver(module)`.
    pub fn timed(module: Module) -> Self {
        Self::with_mode(module, DetectorMode::timed())
    }

    /// `ActuatorEnlargeableSaver(module, names, units)`.
    pub fn enlargeable(module: Module, names: &[&str], units: &[&str]) -> Result<Self> {
        Ok(Self::with_mode(
            module,
            DetectorMode::enlargeable(names, units)?,
        ))
    }
}

/// What kind of run a [`RunSaver`] saves: its groups are found again as the last of their
/// `type` below the raw group, unless a new one is asked for.
pub trait RunKind {
    /// The group `type` attribute.
    const TYPE: &'static str;
    /// How `get_set_node` makes a new group.
    const ADD_GROUP: AddGroup;
}

/// A DAQ_Scan's saver ([`ScanSaver`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scan;

/// A DAQ_Logger's saver ([`LoggerSaver`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logger;

impl RunKind for Scan {
    const TYPE: &'static str = "scan";
    const ADD_GROUP: AddGroup = H5Saver::add_scan_group;
}

impl RunKind for Logger {
    const TYPE: &'static str = "datalogger";
    const ADD_GROUP: AddGroup = |h5, w, title, settings, meta| {
        h5.add_incremental_group("datalogger", w, title, settings, meta)
    };
}

/// The group of a scan or of a logging run, holding the groups of its modules.
#[derive(Debug, Clone)]
pub struct RunSaver<K> {
    module: Module,
    group: Option<String>,
    /// Scans: the `Timestamps` group and the scan shape, once added.
    timestamps: Option<(String, Vec<u64>)>,
    kind: PhantomData<K>,
}

/// `ScanSaver` (DAQ_Scan): `ScanNNN` with its detectors (extended saving), actuators, the
/// scan's `NavAxes` and the `Timestamps` group (elapsed seconds per point, NaN where not
/// visited).
pub type ScanSaver = RunSaver<Scan>;

/// `LoggerSaver` (DAQ_Logger): `DataloggerNNN` (type datalogger) holding one timed group per
/// control module.
pub type LoggerSaver = RunSaver<Logger>;

impl<K: RunKind> RunSaver<K> {
    /// `ScanSaver(module)`, `LoggerSaver(module)`.
    pub fn new(module: Module) -> Self {
        RunSaver {
            module,
            group: None,
            timestamps: None,
            kind: PhantomData,
        }
    }

    /// `get_set_node(where, new)`: the last group of the run's type below `where` (default
    /// the raw group), or a new `ScanNNN` / `DataloggerNNN`.
    pub fn get_set_node(
        &mut self,
        h5: &mut H5Saver,
        where_: Option<&str>,
        new: bool,
    ) -> Result<String> {
        let w = where_.map_or_else(|| h5.raw_group().to_string(), str::to_string);
        let g = match (new, last_group_of_type(h5, &w, K::TYPE)) {
            (false, Some(g)) => g,
            _ => K::ADD_GROUP(h5, &w, &self.module.title, &self.module.settings(), &[])?,
        };
        self.group = Some(g.clone());
        Ok(g)
    }
}

impl RunSaver<Scan> {
    /// The `Timestamps` group of a scan of `scan_shape`: a float32 `Data00` of elapsed
    /// seconds per point, NaN until the point is done.
    pub fn add_timestamps(&mut self, h5: &mut H5Saver, scan_shape: &[u64]) -> Result<()> {
        let g = self
            .group
            .clone()
            .ok_or_else(|| crate::Error::Usage("no scan group yet".into()))?;
        let ts = h5.get_set_group(&g, "Timestamps", "Timestamps")?;
        h5.backend().set_attrs(
            &ts,
            &[
                (
                    "settings".to_string(),
                    PyValue::Str("<All_settings type=\"group\" />".into()),
                ),
                ("type".to_string(), PyValue::Str("time".into())),
                (
                    "description".to_string(),
                    PyValue::Str(
                        "Time elapsed since the start of the scan at each scan point, in seconds"
                            .into(),
                    ),
                ),
            ],
        )?;
        self.timestamps = Some((ts, scan_shape.to_vec()));
        Ok(())
    }

    /// Record that the point at `indexes` was done `elapsed` seconds after the start.
    pub fn set_timestamp(&self, h5: &mut H5Saver, indexes: &[u64], elapsed: f64) -> Result<()> {
        let (g, shape) = self
            .timestamps
            .as_ref()
            .ok_or_else(|| crate::Error::Usage("add_timestamps first".into()))?;
        let saver = DataToExportExtendedSaver::new(shape);
        let mut dte = DataToExport::new("Timestamps");
        let t = h5.now();
        dte.data.push(timestamp_dwa(elapsed as f32, t)?);
        saver.add_data(h5, g, &dte, indexes, DataDistribution::Uniform)
    }
}

fn timestamp_dwa(v: f32, t: f64) -> Result<DataWithAxes> {
    let mut d = DataWithAxes::new(DwaArgs {
        name: "Timestamps".into(),
        source: DataSource::Raw,
        distribution: DataDistribution::Uniform,
        data: vec![NdArray::from_le_bytes(
            crate::pymodaq::model::DType::Float32,
            vec![1],
            v.to_le_bytes().to_vec(),
        )?],
        labels: Vec::new(),
        units: "s".into(),
        origin: PyValue::Str("Timestamps".into()),
        nav_indexes: Vec::new(),
        axes: Vec::new(),
        errors: None,
        extra_attributes: Vec::new(),
    })
    .map_err(|e| crate::Error::Usage(e.to_string()))?;
    d.timestamp = PyValue::Float(t);
    Ok(d)
}

/// `get_last_group(where, type)`: the last child group whose `type` attribute matches.
fn last_group_of_type(h5: &H5Saver, where_: &str, ty: &str) -> Option<String> {
    let b = h5.backend_ref();
    b.children(where_)
        .ok()?
        .into_iter()
        .map(|c| join(where_, &c))
        .rfind(|p| {
            b.node(p)
                .and_then(|n| n.attr("type"))
                .is_some_and(|t| matches!(t, PyValue::Str(s) if s.eq_ignore_ascii_case(ty)))
        })
}
