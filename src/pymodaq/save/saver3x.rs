//! A PyMoDAQ 3.x-style saving API (`pymodaq.daq_utils.h5modules.H5Saver`) for code ported from
//! 3.x, writing today's 5.x layout (`spec/pymodaq-legacy.md`, "Saving as 3.x code did").
//!
//! | 3.x call | here | 5.x layout written |
//! |---|---|---|
//! | `H5Saver(save_type)` + `init_file(update_h5=True, addhoc_file_path=p)` | [`H5Saver3x::init_file`] | `/RawData` (`type` = save type) and its Logger |
//! | `add_scan_group(title, settings_as_xml)` | [`H5Saver3x::add_scan_group`] | `ScanNNN` |
//! | `add_navigation_axis(data, scan_group, 'x_axis', metadata=dict(units, label, nav_index))` | [`H5Saver3x::add_navigation_axis`] | saved with each channel as an axis with that `index` |
//! | `add_det_group(where, title, settings_as_xml)` | [`H5Saver3x::add_det_group`] | `DetectorNNN` |
//! | `add_data_group(where, 'data1D')` | [`H5Saver3x::add_data_group`] | `Data1D` |
//! | `add_CH_group(where, title)` | [`H5Saver3x::add_ch_group`] | `ChNNN` (title = channel name) |
//! | `add_data(channel_group, dict(data, x_axis=dict(data, units, label), y_axis, bkg), scan_type)` | [`H5Saver3x::add_data`] with a [`DataDict`] | `Data00` + `Axis00..` (+ `Bkg00`) through `DataSaverLoader` |
//! | `logger_array.append(msg)` / `add_log` | [`H5Saver3x::add_log`] | Logger row |
//! | `close_file()` | [`H5Saver3x::close_file`] | |
//!
//! As in 3.x, a scan channel's data carries the scan dimensions first (`scan_shape + data
//! shape`), and its navigation axes are the scan group's (`nav_index` says which dimension; the
//! positions of every step are reduced to their sorted unique values as 3.x's loader did). The
//! result is a `DataWithAxes` per channel, loaded back by PyMoDAQ 5.x's `DataLoader`.

use std::path::Path;

use crate::error::{Error, Result};
use crate::pymodaq::attrs::PyValue;
use crate::pymodaq::backend::Backend;
use crate::pymodaq::model::{Axis, DataDistribution, DataSource, DataWithAxes, DwaArgs, NdArray};

use super::{DataSaverLoader, H5Saver, InitOptions, SaveType};

/// An axis as 3.x passed it: `dict(data=..., units=..., label=...)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AxisDict {
    /// The values.
    pub data: Vec<f64>,
    /// Units.
    pub units: String,
    /// Label.
    pub label: String,
}

impl AxisDict {
    /// `dict(data=data, units=units, label=label)`.
    pub fn new(data: Vec<f64>, units: &str, label: &str) -> AxisDict {
        AxisDict {
            data,
            units: units.to_string(),
            label: label.to_string(),
        }
    }
}

/// A channel's `data_dict`: `dict(data=..., x_axis=..., y_axis=..., bkg=...)`.
#[derive(Debug, Clone)]
pub struct DataDict {
    /// `data` (for a scan: the scan dimensions first).
    pub data: NdArray,
    /// `x_axis`: the last dimension.
    pub x_axis: Option<AxisDict>,
    /// `y_axis`: the dimension before it (2-D signals).
    pub y_axis: Option<AxisDict>,
    /// `bkg`: a background of the signal's shape.
    pub bkg: Option<NdArray>,
}

impl DataDict {
    /// `dict(data=data)`.
    pub fn new(data: NdArray) -> DataDict {
        DataDict {
            data,
            x_axis: None,
            y_axis: None,
            bkg: None,
        }
    }
}

#[derive(Debug, Clone)]
struct NavAxis {
    scan_group: String,
    index: usize,
    axis: AxisDict,
}

/// The 3.x `H5Saver` calls over our 5.x saver.
#[derive(Debug)]
pub struct H5Saver3x {
    h5: H5Saver,
    nav_axes: Vec<NavAxis>,
}

fn no_settings(xml: &str) -> PyValue {
    PyValue::Str(xml.to_string())
}

fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(msg.into())
}

impl H5Saver3x {
    /// `H5Saver(save_type=...)` then `init_file(update_h5=True, addhoc_file_path=path)`:
    /// `save_type` is `scan`, `detector`, `logger` or `custom`.
    pub fn init_file(path: impl AsRef<Path>, save_type: &str) -> Result<H5Saver3x> {
        let save_type = SaveType::from_name(save_type).ok_or_else(|| {
            usage(format!(
                "InvalidSave: save_type {save_type:?} is not one of scan, detector, logger, custom"
            ))
        })?;
        let h5 = H5Saver::init_file(
            path,
            InitOptions {
                save_type,
                ..InitOptions::default()
            },
        )?;
        Ok(H5Saver3x {
            h5,
            nav_axes: Vec::new(),
        })
    }

    /// The underlying 5.x saver (for anything 3.x did not have).
    pub fn saver(&mut self) -> &mut H5Saver {
        &mut self.h5
    }

    /// `raw_group`: where detectors and scans go (`/RawData` in the 5.x layout).
    pub fn raw_group(&self) -> String {
        self.h5.raw_group().to_string()
    }

    /// `add_scan_group(title, settings_as_xml)`.
    pub fn add_scan_group(&mut self, title: &str, settings_as_xml: &str) -> Result<String> {
        let raw = self.raw_group();
        self.h5
            .add_scan_group(&raw, title, &no_settings(settings_as_xml), &[])
    }

    /// `add_navigation_axis(data, parent_group, axis, metadata=dict(units, label,
    /// nav_index))`: the positions of every scan step along one navigation dimension.
    pub fn add_navigation_axis(
        &mut self,
        data: &[f64],
        parent_group: &str,
        nav_index: usize,
        units: &str,
        label: &str,
    ) -> Result<()> {
        if data.is_empty() {
            return Err(usage("add_navigation_axis: no positions"));
        }
        self.nav_axes
            .retain(|a| !(a.scan_group == parent_group && a.index == nav_index));
        self.nav_axes.push(NavAxis {
            scan_group: parent_group.to_string(),
            index: nav_index,
            axis: AxisDict::new(data.to_vec(), units, label),
        });
        Ok(())
    }

    /// `add_det_group(where, title, settings_as_xml)`.
    pub fn add_det_group(
        &mut self,
        where_: &str,
        title: &str,
        settings_as_xml: &str,
    ) -> Result<String> {
        self.h5
            .add_det_group(where_, title, &no_settings(settings_as_xml), &[])
    }

    /// `add_data_group(where, group_data_type)`: `data0D`, `data1D`, `data2D` or `dataND`.
    pub fn add_data_group(&mut self, where_: &str, group_data_type: &str) -> Result<String> {
        let dim = match group_data_type.to_lowercase().as_str() {
            "data0d" => "Data0D",
            "data1d" => "Data1D",
            "data2d" => "Data2D",
            "datand" => "DataND",
            _ => {
                return Err(usage(format!(
                    "InvalidGroupDataType: {group_data_type:?} (data0D, data1D, data2D, dataND)"
                )))
            }
        };
        self.h5
            .add_data_group(where_, dim, "", &PyValue::Str(String::new()), &[])
    }

    /// `add_CH_group(where, title)`.
    pub fn add_ch_group(&mut self, where_: &str, title: &str) -> Result<String> {
        self.h5
            .add_ch_group(where_, title, &PyValue::Str(String::new()), &[])
    }

    /// `add_data(channel_group, data_dict, scan_type)`: `scan_type` `''` for a snapshot, else
    /// (`scan1D`, `scan2D`, ...) the data's first dimensions are the navigation dimensions of
    /// the enclosing scan group's navigation axes. Returns the data node's path.
    pub fn add_data(
        &mut self,
        channel_group: &str,
        data_dict: &DataDict,
        scan_type: &str,
    ) -> Result<String> {
        let data = &data_dict.data;
        let ndim = data.shape.len();
        let mut axes = Vec::new();
        let mut nav_indexes = Vec::new();
        if !scan_type.is_empty() {
            let mut navs: Vec<&NavAxis> = self
                .nav_axes
                .iter()
                .filter(|a| {
                    channel_group
                        .strip_prefix(a.scan_group.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
                })
                .collect();
            navs.sort_by_key(|a| a.index);
            for a in navs {
                let n = data.shape.get(a.index).copied().ok_or_else(|| {
                    usage(format!(
                        "add_data: navigation index {} beyond the data's {ndim} dimensions",
                        a.index
                    ))
                })?;
                let values = unique(&a.axis.data);
                if values.len() != n {
                    return Err(usage(format!(
                        "add_data: navigation axis {:?} has {} distinct positions for a \
                         dimension of {n}",
                        a.axis.label,
                        values.len()
                    )));
                }
                nav_indexes.push(a.index);
                axes.push(axis(&a.axis, values, a.index)?);
            }
        }
        let nsig = ndim.saturating_sub(nav_indexes.len());
        for (ax, back) in [(&data_dict.x_axis, 1usize), (&data_dict.y_axis, 2)] {
            let Some(ax) = ax else { continue };
            if nsig < back {
                return Err(usage(format!(
                    "add_data: {:?} for a signal of {nsig} dimension(s)",
                    ax.label
                )));
            }
            let index = ndim.saturating_sub(back);
            if data.shape.get(index) != Some(&ax.data.len()) {
                return Err(usage(format!(
                    "add_data: axis {:?} has {} values for a dimension of {:?}",
                    ax.label,
                    ax.data.len(),
                    data.shape.get(index)
                )));
            }
            axes.push(axis(ax, ax.data.clone(), index)?);
        }
        let name = self
            .h5
            .backend_ref()
            .attribute(channel_group, "TITLE")
            .and_then(|t| match t {
                PyValue::Str(s) if !s.is_empty() => Some(s),
                _ => None,
            })
            .unwrap_or_else(|| {
                channel_group
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            });
        let dwa = DataWithAxes::new(DwaArgs {
            name: name.clone(),
            source: DataSource::Raw,
            distribution: DataDistribution::Uniform,
            data: vec![data.clone()],
            labels: vec![name],
            units: String::new(),
            origin: PyValue::Str(String::new()),
            nav_indexes,
            axes,
            errors: None,
            extra_attributes: Vec::new(),
        })
        .map_err(|e| usage(e.to_string()))?;
        DataSaverLoader::new().add_data(&mut self.h5, channel_group, &dwa, true, &[])?;
        if let Some(bkg) = &data_dict.bkg {
            let mut b = dwa.clone();
            if bkg.shape != data.shape {
                return Err(usage(format!(
                    "add_data: background shape {:?} differs from the data's {:?}",
                    bkg.shape, data.shape
                )));
            }
            b.data = vec![bkg.clone()];
            DataSaverLoader::bkg().add_data(&mut self.h5, channel_group, &b, false, &[])?;
        }
        self.h5.flush()?;
        Ok(format!("{channel_group}/Data00"))
    }

    /// `add_log(msg)`: one Logger row.
    pub fn add_log(&mut self, msg: &str) -> Result<()> {
        self.h5.add_log(msg)
    }

    /// `flush()`.
    pub fn flush(&mut self) -> Result<()> {
        self.h5.flush()
    }

    /// `close_file()`.
    pub fn close_file(self) -> Result<()> {
        self.h5.close_file()
    }
}

fn axis(a: &AxisDict, values: Vec<f64>, index: usize) -> Result<Axis> {
    Axis::new(&a.label, &a.units, values, index, 0).map_err(|e| usage(e.to_string()))
}

/// `np.unique`: sorted, duplicates dropped.
fn unique(values: &[f64]) -> Vec<f64> {
    let mut u = values.to_vec();
    u.sort_by(f64::total_cmp);
    u.dedup_by(|a, b| a == b);
    u
}
