//! PyMoDAQ's module savers (`pymodaq.utils.h5modules.module_saving`, 5.3 layout): the groups a
//! DAQ_Viewer, DAQ_Move, DAQ_Scan or DAQ_Logger makes in a file, and the data savers they use.
//!
//! A module is described by its title and its settings XML (what PyMoDAQ's Qt parameter tree
//! serialises; stored as a `bytes` JSON attribute, as `ET.tostring` gives bytes).

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

/// `DetectorSaver` (DAQ_Viewer snapshots) and, by constructor, `DetectorEnlargeableSaver`,
/// `DetectorTimeSaver` and `DetectorExtendedSaver`.
#[derive(Debug, Clone)]
pub struct DetectorSaver {
    module: Module,
    mode: DetectorMode,
    /// Data kept by `add_data`.
    pub filter: SaveFilter,
    group: Option<String>,
}

impl DetectorSaver {
    /// `DetectorSaver(module)`: the DataToExport layout.
    pub fn new(module: Module) -> Self {
        DetectorSaver {
            module,
            mode: DetectorMode::Plain,
            filter: SaveFilter::default(),
            group: None,
        }
    }

    /// `DetectorEnlargeableSaver(module, axis names, units)`: rows along user axes, `NavAxes`
    /// in the detector group.
    pub fn enlargeable(module: Module, names: &[&str], units: &[&str]) -> Result<Self> {
        Ok(DetectorSaver {
            mode: DetectorMode::enlargeable(names, units)?,
            ..Self::new(module)
        })
    }

    /// `DetectorTimeSaver(module)`: rows along a `time` axis (time of saving).
    pub fn timed(module: Module) -> Self {
        DetectorSaver {
            mode: DetectorMode::timed(),
            ..Self::new(module)
        }
    }

    /// `DetectorExtendedSaver(module, extended_shape)`: points of a scan.
    pub fn extended(module: Module, extended_shape: &[u64]) -> Self {
        DetectorSaver {
            mode: DetectorMode::Extended(DataToExportExtendedSaver::new(extended_shape)),
            ..Self::new(module)
        }
    }

    /// The module group once known.
    pub fn module_group(&self) -> Option<&str> {
        self.group.as_deref()
    }

    /// `get_set_node(where)`: the group titled like the module below `where` (default
    /// `/RawData`), else a new `DetectorNNN` with the settings.
    pub fn get_set_node(&mut self, h5: &mut H5Saver, where_: Option<&str>) -> Result<String> {
        module_node(
            h5,
            where_,
            &self.module,
            H5Saver::add_det_group,
            &mut self.group,
        )
    }

    /// `add_data(where, dte)` for the plain, timed and enlargeable savers (`axis_values` for
    /// the enlargeable one). The filtered copy is what is saved; the timed saver stamps it
    /// with the time of saving.
    pub fn add_data(
        &self,
        h5: &mut H5Saver,
        where_: &str,
        dte: &DataToExport,
        axis_values: &[f64],
    ) -> Result<()> {
        let mut kept = self.filter.apply(dte);
        match &self.mode {
            DetectorMode::Plain => DataToExportSaver::add_data(h5, where_, &kept, "", &[]),
            DetectorMode::Timed(s) => {
                kept.timestamp = h5.now();
                s.add_data(h5, where_, &kept)
            }
            DetectorMode::Enlargeable(s) => s.add_data(h5, where_, &kept, axis_values),
            DetectorMode::Extended(_) => Err(crate::Error::Usage(
                "an extended detector saver takes scan indexes: use add_scan_point".into(),
            )),
        }
    }

    /// `add_bkg(where, dte)`.
    pub fn add_bkg(&self, h5: &mut H5Saver, where_: &str, dte: &DataToExport) -> Result<()> {
        DataToExportSaver::add_bkg(h5, where_, dte)
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

    /// `DetectorExtendedSaver.add_data(where, dte, indexes, distribution)`.
    pub fn add_scan_point(
        &self,
        h5: &mut H5Saver,
        where_: &str,
        dte: &DataToExport,
        indexes: &[u64],
        distribution: DataDistribution,
    ) -> Result<()> {
        match &self.mode {
            DetectorMode::Extended(s) => {
                s.add_data(h5, where_, &self.filter.apply(dte), indexes, distribution)
            }
            _ => Err(crate::Error::Usage(
                "scan points need an extended saver".into(),
            )),
        }
    }
}

/// `ActuatorSaver` (plain DataToExport layout) and, by constructor, `ActuatorTimeSaver` and
/// `ActuatorEnlargeableSaver`.
#[derive(Debug, Clone)]
pub struct ActuatorSaver {
    module: Module,
    mode: DetectorMode,
    group: Option<String>,
}

impl ActuatorSaver {
    /// `ActuatorSaver(module)`.
    pub fn new(module: Module) -> Self {
        ActuatorSaver {
            module,
            mode: DetectorMode::Plain,
            group: None,
        }
    }

    /// `ActuatorTimeSaver(module)`.
    pub fn timed(module: Module) -> Self {
        ActuatorSaver {
            mode: DetectorMode::timed(),
            ..Self::new(module)
        }
    }

    /// `ActuatorEnlargeableSaver(module, names, units)`.
    pub fn enlargeable(module: Module, names: &[&str], units: &[&str]) -> Result<Self> {
        Ok(ActuatorSaver {
            mode: DetectorMode::enlargeable(names, units)?,
            ..Self::new(module)
        })
    }

    /// `get_set_node(where)`: `ActuatorNNN` (type actuator).
    pub fn get_set_node(&mut self, h5: &mut H5Saver, where_: Option<&str>) -> Result<String> {
        module_node(
            h5,
            where_,
            &self.module,
            H5Saver::add_act_group,
            &mut self.group,
        )
    }

    /// `add_data(where, dte)` (`axis_values` for the enlargeable saver).
    pub fn add_data(
        &self,
        h5: &mut H5Saver,
        where_: &str,
        dte: &DataToExport,
        axis_values: &[f64],
    ) -> Result<()> {
        match &self.mode {
            DetectorMode::Plain | DetectorMode::Extended(_) => {
                DataToExportSaver::add_data(h5, where_, dte, "", &[])
            }
            DetectorMode::Timed(s) => s.add_data(h5, where_, dte),
            DetectorMode::Enlargeable(s) => s.add_data(h5, where_, dte, axis_values),
        }
    }
}

/// `ScanSaver` (DAQ_Scan): `ScanNNN` with its detectors (extended saving), actuators, the
/// scan's `NavAxes` and the `Timestamps` group (elapsed seconds per point, NaN where not
/// visited).
#[derive(Debug, Clone)]
pub struct ScanSaver {
    module: Module,
    group: Option<String>,
    timestamps: Option<(String, Vec<u64>)>,
}

impl ScanSaver {
    /// `ScanSaver(module)`.
    pub fn new(module: Module) -> Self {
        ScanSaver {
            module,
            group: None,
            timestamps: None,
        }
    }

    /// `get_set_node(where, new)`: the last scan group, or a new `ScanNNN`.
    pub fn get_set_node(
        &mut self,
        h5: &mut H5Saver,
        where_: Option<&str>,
        new: bool,
    ) -> Result<String> {
        let w = where_.map_or_else(|| h5.raw_group().to_string(), str::to_string);
        let last = last_group_of_type(h5, &w, "scan");
        let g = match (new, last) {
            (false, Some(g)) => g,
            _ => h5.add_scan_group(&w, &self.module.title, &self.module.settings(), &[])?,
        };
        self.group = Some(g.clone());
        Ok(g)
    }

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

/// `LoggerSaver` (DAQ_Logger): `DataloggerNNN` (type datalogger) holding one timed group per
/// control module.
#[derive(Debug, Clone)]
pub struct LoggerSaver {
    module: Module,
    group: Option<String>,
}

impl LoggerSaver {
    /// `LoggerSaver(module)`.
    pub fn new(module: Module) -> Self {
        LoggerSaver {
            module,
            group: None,
        }
    }

    /// The last `Datalogger` group, or a new one.
    pub fn get_set_node(
        &mut self,
        h5: &mut H5Saver,
        where_: Option<&str>,
        new: bool,
    ) -> Result<String> {
        let w = where_.map_or_else(|| h5.raw_group().to_string(), str::to_string);
        let g = match (new, last_group_of_type(h5, &w, "datalogger")) {
            (false, Some(g)) => g,
            _ => h5.add_incremental_group(
                "datalogger",
                &w,
                &self.module.title,
                &self.module.settings(),
                &[],
            )?,
        };
        self.group = Some(g.clone());
        Ok(g)
    }
}
