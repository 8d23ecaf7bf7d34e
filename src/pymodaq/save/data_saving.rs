//! PyMoDAQ's `data_saving` savers: axes, data with axes/errors/backgrounds, DataToExport
//! layouts, enlargeable (appended) and extended (scan) saving.
//!
//! Savers hold only their own settings; every call takes the open [`H5Saver`].

use crate::error::{Error, Result};
use crate::pymodaq::attrs::pyliteral::{NumpyScalar, NumpyType, PyValue};
use crate::pymodaq::model::{
    Axis, DType, DataDim, DataDistribution, DataSource, DataToExport, DataType, DataWithAxes,
    NdArray,
};

use super::saving::{put, H5Saver};
use crate::pymodaq::backend::write::join;

/// Special group holding navigation axes.
pub const NAV_AXES: &str = "NavAxes";

fn usage(m: impl Into<String>) -> Error {
    Error::Usage(m.into())
}

/// `_format_node_name`: `Data00`, `Axis03`, `EnlData01`...
pub fn node_name(dt: DataType, ind: usize) -> String {
    format!("{}{ind:02}", dt.prefix())
}

/// `_get_next_data_type_index_in_group`: nodes of this data type in `where` and below.
pub fn next_index(h5: &H5Saver, where_: &str, dt: DataType) -> usize {
    let b = h5.backend_ref();
    b.walk_nodes(where_)
        .iter()
        .filter(|p| {
            b.node(p)
                .and_then(|n| n.attr("data_type"))
                .is_some_and(|v| *v == PyValue::Str(dt.name().into()))
        })
        .count()
}

fn np_f64(x: f64) -> PyValue {
    NumpyScalar::new(NumpyType::Number(DType::Float64), PyValue::Float(x))
        .map(PyValue::Numpy)
        .unwrap_or(PyValue::Float(x))
}

fn np_i64(x: i128) -> PyValue {
    NumpyScalar::new(NumpyType::Number(DType::Int64), PyValue::Int(x))
        .map(PyValue::Numpy)
        .unwrap_or(PyValue::Int(x))
}

fn int_tuple(v: &[usize]) -> PyValue {
    PyValue::Tuple(v.iter().map(|&i| PyValue::Int(i as i128)).collect())
}

/// `(head python ints..., *[np.int64(i + shift) for i in rest])` as the enlargeable and
/// extended savers build their `nav_indexes` (numpy ints for the shifted ones).
fn shifted_nav_indexes(head: usize, rest: &[usize]) -> PyValue {
    let mut v: Vec<PyValue> = (0..head).map(|i| PyValue::Int(i as i128)).collect();
    v.extend(rest.iter().map(|&i| np_i64((i + head) as i128)));
    PyValue::Tuple(v)
}

fn u64_shape(s: &[usize]) -> Vec<u64> {
    s.iter().map(|&d| d as u64).collect()
}

/// `DataWithAxes.errors_as_dwa()`: the errors as data named `<name>_errors`, source
/// `calculated`.
pub fn errors_as_dwa(d: &DataWithAxes) -> Option<DataWithAxes> {
    let errors = d.errors.clone()?;
    let mut e = d.clone();
    e.name = format!("{}_errors", d.name);
    e.data = errors;
    e.errors = None;
    e.source = DataSource::Calculated;
    Some(e)
}

/// `DataToExport.get_dim_presents()`: dims in `DataDim` order.
pub fn dims_present(dte: &DataToExport) -> Vec<DataDim> {
    [
        DataDim::Data0D,
        DataDim::Data1D,
        DataDim::Data2D,
        DataDim::DataND,
    ]
    .into_iter()
    .filter(|dim| dte.data.iter().any(|d| d.dim == *dim))
    .collect()
}

/// `DataToExport.get_data_from_dim(dim)` (DataToExport order).
pub fn data_from_dim(dte: &DataToExport, dim: DataDim) -> Vec<&DataWithAxes> {
    dte.data.iter().filter(|d| d.dim == dim).collect()
}

/// `channel_formatter`: `CH00`, `CH01`...
pub fn channel_name(ind: usize) -> String {
    format!("CH{ind:02}")
}

/// The `origin` raw keyword a channel group gets (a str origin; anything else as its repr).
fn origin_str(d: &DataWithAxes) -> String {
    match &d.origin {
        PyValue::Str(s) => s.clone(),
        other => crate::pymodaq::attrs::pyliteral::repr(other),
    }
}

fn timestamp_of(h5: &mut H5Saver, d: &DataWithAxes) -> PyValue {
    match &d.timestamp {
        PyValue::None => PyValue::Float(h5.now()),
        v => v.clone(),
    }
}

/// Creates one node per array of `data` (data type `dt`) followed, when `data` has errors, by
/// its `ErrorBar` node, in PyMoDAQ's order (`Data00`, `ErrorBar00`, `Data01`, ...), each with
/// the attributes the enlargeable and extended savers give (no `units`).
#[allow(clippy::type_complexity)]
fn for_each_array(
    h5: &mut H5Saver,
    where_: &str,
    data: &DataWithAxes,
    dt: DataType,
    distribution: &str,
    nav: &PyValue,
    mut make: impl FnMut(
        &mut H5Saver,
        &str,
        DataType,
        &NdArray,
        &DataWithAxes,
        Vec<(String, PyValue)>,
    ) -> Result<String>,
) -> Result<()> {
    let ts = timestamp_of(h5, data);
    let errors = errors_as_dwa(data);
    let md = |d: &DataWithAxes, i: usize| {
        vec![
            ("timestamp".to_string(), ts.clone()),
            (
                "label".into(),
                PyValue::Str(d.labels.get(i).cloned().unwrap_or_default()),
            ),
            ("source".into(), PyValue::Str(d.source.as_str().into())),
            ("distribution".into(), PyValue::Str(distribution.into())),
            ("origin".into(), d.origin.clone()),
            ("nav_indexes".into(), nav.clone()),
        ]
    };
    for (i, arr) in data.data.iter().enumerate() {
        let name = node_name(dt, next_index(h5, where_, dt));
        make(h5, &name, dt, arr, data, md(data, i))?;
        if let Some(e) = &errors {
            if let Some(earr) = e.data.get(i) {
                let name = node_name(DataType::Error, next_index(h5, where_, DataType::Error));
                make(h5, &name, DataType::Error, earr, e, md(e, i))?;
            }
        }
    }
    Ok(())
}

/// The enlargeable axes of the enlargeable savers: one empty `AxisNN` EARRAY per name,
/// described (as PyMoDAQ does) by a dummy `[0, 1]` axis of index 0 whose spread order is its
/// position. Returns their paths.
fn add_enlargeable_axes(
    h5: &mut H5Saver,
    where_: &str,
    names: &[String],
    units: &[String],
) -> Result<Vec<String>> {
    let mut paths = Vec::with_capacity(names.len());
    for (k, (n, u)) in names.iter().zip(units).enumerate() {
        let ax = Axis::new(n, u, vec![0.0, 1.0], 0, k as i64).map_err(|e| usage(e.to_string()))?;
        paths.push(AxisSaverLoader::add_axis(h5, where_, &ax, true)?);
    }
    Ok(paths)
}

/// `AxisSaverLoader`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AxisSaverLoader;

impl AxisSaverLoader {
    /// `add_axis(where, axis, enlargeable)`: an `AxisNN` array holding `axis.get_data()` (an
    /// enlargeable axis starts empty) with size/label/units/index/offset/scaling/
    /// distribution/spread_order.
    pub fn add_axis(
        h5: &mut H5Saver,
        where_: &str,
        axis: &Axis,
        enlargeable: bool,
    ) -> Result<String> {
        let name = node_name(DataType::Axis, next_index(h5, where_, DataType::Axis));
        let opt = |v: Option<f64>| v.map_or(PyValue::None, np_f64);
        // A one-value axis gets the Python int 1 as its scaling, not a numpy float.
        let scaling = match axis.scaling {
            Some(s) if axis.size == 1 && s == 1.0 => PyValue::Int(1),
            s => opt(s),
        };
        let metadata = vec![
            ("size".to_string(), PyValue::Int(axis.size as i128)),
            ("label".into(), PyValue::Str(axis.label.clone())),
            ("units".into(), PyValue::Str(axis.units.clone())),
            ("index".into(), PyValue::Int(axis.index as i128)),
            ("offset".into(), opt(axis.offset)),
            ("scaling".into(), scaling),
            (
                "distribution".into(),
                PyValue::Str(
                    if axis.is_linear_kept() {
                        "uniform"
                    } else {
                        "spread"
                    }
                    .into(),
                ),
            ),
            (
                "spread_order".into(),
                PyValue::Int(i128::from(axis.spread_order)),
            ),
        ];
        let values = axis.get_data();
        if enlargeable {
            h5.add_earray(
                where_,
                &name,
                DataType::Axis,
                DType::Float64,
                &[],
                "Data1D",
                &axis.label,
                metadata,
            )
        } else {
            let arr = NdArray::from_f64(vec![values.len()], &values)?;
            h5.add_carray(
                where_,
                &name,
                DataType::Axis,
                &arr,
                "Data1D",
                &axis.label,
                metadata,
            )
        }
    }
}

/// `DataSaverLoader` (and, with another data type, `BkgSaver` / `ErrorSaverLoader`).
#[derive(Debug, Clone, Copy)]
pub struct DataSaverLoader {
    data_type: DataType,
}

impl Default for DataSaverLoader {
    fn default() -> Self {
        DataSaverLoader {
            data_type: DataType::Data,
        }
    }
}

/// `BkgSaver`: `Bkg00`.. nodes.
pub type BkgSaver = DataSaverLoader;
/// `ErrorSaverLoader`: `ErrorBar00`.. nodes.
pub type ErrorSaverLoader = DataSaverLoader;

impl DataSaverLoader {
    /// `DataSaverLoader(h5saver)`.
    pub fn new() -> Self {
        Self::default()
    }

    /// `BkgSaver(h5saver)`.
    pub fn bkg() -> Self {
        DataSaverLoader {
            data_type: DataType::Bkg,
        }
    }

    /// `ErrorSaverLoader(h5saver)`.
    pub fn error() -> Self {
        DataSaverLoader {
            data_type: DataType::Error,
        }
    }

    /// `add_data(where, data, save_axes, **kwargs)`: one node per array, then the axes, then
    /// the error bars.
    pub fn add_data(
        &self,
        h5: &mut H5Saver,
        where_: &str,
        data: &DataWithAxes,
        save_axes: bool,
        kwargs: &[(String, PyValue)],
    ) -> Result<()> {
        let ts = timestamp_of(h5, data);
        for (i, arr) in data.data.iter().enumerate() {
            let mut md = vec![
                ("timestamp".to_string(), ts.clone()),
                (
                    "label".into(),
                    PyValue::Str(data.labels.get(i).cloned().unwrap_or_default()),
                ),
                ("source".into(), PyValue::Str(data.source.as_str().into())),
                (
                    "distribution".into(),
                    PyValue::Str(data.distribution.as_str().into()),
                ),
                ("origin".into(), data.origin.clone()),
                ("units".into(), PyValue::Str(data.units.clone())),
                ("nav_indexes".into(), int_tuple(&data.nav_indexes)),
            ];
            for (k, v) in kwargs {
                put(&mut md, k, v.clone());
            }
            for (k, v) in &data.extra_attributes {
                put(&mut md, k, v.clone());
            }
            let name = node_name(self.data_type, next_index(h5, where_, self.data_type));
            h5.add_carray(
                where_,
                &name,
                self.data_type,
                arr,
                data.dim.as_str(),
                &data.name,
                md,
            )?;
        }
        if save_axes {
            for axis in &data.axes {
                AxisSaverLoader::add_axis(h5, where_, axis, false)?;
            }
        }
        if self.data_type != DataType::Error {
            if let Some(mut e) = errors_as_dwa(data) {
                e.timestamp = ts;
                DataSaverLoader::error().add_data(h5, where_, &e, false, &[])?;
            }
        }
        Ok(())
    }
}

/// `DataEnlargeableSaver(h5saver, enl_axis_names, enl_axis_units)`: `EnlData00`.. arrays
/// growing by one row per call, with optional enlargeable axes.
#[derive(Debug, Clone)]
pub struct DataEnlargeableSaver {
    enl_axis_names: Vec<String>,
    enl_axis_units: Vec<String>,
}

impl Default for DataEnlargeableSaver {
    fn default() -> Self {
        DataEnlargeableSaver::new(&["nav axis"], &[""])
    }
}

impl DataEnlargeableSaver {
    /// With these enlargeable axes.
    pub fn new(names: &[&str], units: &[&str]) -> Self {
        DataEnlargeableSaver {
            enl_axis_names: names.iter().map(|s| s.to_string()).collect(),
            enl_axis_units: units.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn create_arrays(
        &self,
        h5: &mut H5Saver,
        where_: &str,
        data: &DataWithAxes,
        add_enl_axes: bool,
    ) -> Result<()> {
        let nav = shifted_nav_indexes(1, &data.nav_indexes);
        for_each_array(
            h5,
            where_,
            data,
            DataType::DataEnlargeable,
            "spread",
            &nav,
            |h5, name, dt, arr, d, md| {
                h5.add_earray(
                    where_,
                    name,
                    dt,
                    arr.dtype,
                    &u64_shape(&arr.shape),
                    d.dim.as_str(),
                    &d.name,
                    md,
                )
            },
        )?;
        if add_enl_axes {
            add_enlargeable_axes(h5, where_, &self.enl_axis_names, &self.enl_axis_units)?;
        }
        for axis in &data.axes {
            let mut a = axis.clone();
            a.index += 1;
            AxisSaverLoader::add_axis(h5, where_, &a, false)?;
        }
        Ok(())
    }

    /// `add_data(where, data, axis_values)`: creates the arrays on the first call, then
    /// appends one row per array (all rows of a DataND with one navigation index) and the
    /// enlargeable axes' values.
    pub fn add_data(
        &mut self,
        h5: &mut H5Saver,
        where_: &str,
        data: &DataWithAxes,
        axis_values: Option<&[f64]>,
    ) -> Result<()> {
        let mut add_enl = axis_values.is_some();
        let mut values: Vec<Vec<f64>> = axis_values
            .map(|v| v.iter().map(|&x| vec![x]).collect())
            .unwrap_or_default();
        let first = next_index(h5, where_, DataType::DataEnlargeable) == 0;
        if data.nav_indexes.len() > 1 {
            return Err(usage("DataDimError: It is not possible to append DataND"));
        }
        if data.nav_indexes.len() == 1 {
            let nav = data.nav_indexes[0];
            let axis = data
                .axes
                .iter()
                .find(|a| a.index == nav)
                .ok_or_else(|| usage(format!("IndexError: no axis with index {nav}")))?;
            add_enl = true;
            values = vec![axis.get_data()];
            if first {
                self.enl_axis_names = vec![axis.label.clone()];
                self.enl_axis_units = vec![axis.units.clone()];
            }
        }
        if first {
            let init = if data.nav_indexes.len() == 1 {
                inav0(data)?
            } else {
                data.clone()
            };
            self.create_arrays(h5, where_, &init, add_enl)?;
        }
        for (i, arr) in data.data.iter().enumerate() {
            h5.backend()
                .append(&join(where_, &node_name(DataType::DataEnlargeable, i)), arr)?;
            if let Some(errs) = &data.errors {
                if let Some(e) = errs.get(i) {
                    h5.backend()
                        .append(&join(where_, &node_name(DataType::Error, i)), e)?;
                }
            }
        }
        if add_enl {
            for k in 0..self.enl_axis_names.len() {
                let v = values.get(k).ok_or_else(|| {
                    usage(format!("IndexError: no value for enlargeable axis {k}"))
                })?;
                let path = join(where_, &node_name(DataType::Axis, k));
                let arr = NdArray::from_f64(vec![v.len()], v)?;
                h5.backend().append(&path, &arr)?;
                h5.backend().bump_int_attr(&path, "size", v.len() as i128)?;
            }
        }
        Ok(())
    }
}

/// `data.inav[0]`: the first navigation slice of data with one navigation index.
fn inav0(d: &DataWithAxes) -> Result<DataWithAxes> {
    let nav = *d
        .nav_indexes
        .first()
        .ok_or_else(|| usage("no navigation index"))?;
    let mut out = d.clone();
    out.data = d
        .data
        .iter()
        .map(|a| a.take_index(nav, 0).map_err(usage))
        .collect::<Result<_>>()?;
    out.errors = match &d.errors {
        Some(e) => Some(
            e.iter()
                .map(|a| a.take_index(nav, 0).map_err(usage))
                .collect::<Result<_>>()?,
        ),
        None => None,
    };
    out.nav_indexes = Vec::new();
    out.axes = d
        .axes
        .iter()
        .filter(|a| a.index != nav)
        .map(|a| {
            let mut a = a.clone();
            if a.index > nav {
                a.index -= 1;
            }
            a
        })
        .collect();
    out.dim = DataDim::from_shape(out.shape());
    if out.shape().is_empty() {
        return Err(usage(
            "DataDimError: no signal left after the navigation slice",
        ));
    }
    Ok(out)
}

/// `DataExtendedSaver(h5saver, extended_shape, fill_value)`: pre-sized scan arrays written
/// one point at a time.
#[derive(Debug, Clone)]
pub struct DataExtendedSaver {
    /// Shape of the scan.
    pub extended_shape: Vec<u64>,
    /// Fill value (`None`: NaN, as PyMoDAQ 5.2+ configures it).
    pub fill_value: Option<f64>,
}

impl DataExtendedSaver {
    /// For a scan of `extended_shape`.
    pub fn new(extended_shape: &[u64]) -> Self {
        DataExtendedSaver {
            extended_shape: extended_shape.to_vec(),
            fill_value: None,
        }
    }

    fn create_arrays(
        &self,
        h5: &mut H5Saver,
        where_: &str,
        data: &DataWithAxes,
        distribution: DataDistribution,
    ) -> Result<()> {
        let n = self.extended_shape.len();
        let nav = shifted_nav_indexes(n, &data.nav_indexes);
        let scan = &self.extended_shape;
        let fill = self.fill_value;
        for_each_array(
            h5,
            where_,
            data,
            DataType::Data,
            distribution.as_str(),
            &nav,
            |h5, name, dt, arr, d, md| {
                h5.add_scan_array(
                    where_,
                    name,
                    dt,
                    arr.dtype,
                    scan,
                    &u64_shape(&arr.shape),
                    fill,
                    d.dim.as_str(),
                    &d.name,
                    md,
                )
            },
        )?;
        for axis in &data.axes {
            let mut a = axis.clone();
            a.index += n;
            AxisSaverLoader::add_axis(h5, where_, &a, false)?;
        }
        Ok(())
    }

    /// `add_data(where, data, indexes, distribution)`: `array[indexes] = data` for every
    /// array, creating the arrays on the first call.
    pub fn add_data(
        &self,
        h5: &mut H5Saver,
        where_: &str,
        data: &DataWithAxes,
        indexes: &[u64],
        distribution: DataDistribution,
    ) -> Result<()> {
        if indexes.len() != self.extended_shape.len() {
            return Err(usage(format!(
                "IndexError: Cannot put data into the h5array with extended indexes {indexes:?}"
            )));
        }
        if indexes
            .iter()
            .zip(&self.extended_shape)
            .any(|(i, n)| i >= n)
        {
            return Err(usage(
                "IndexError: Indexes cannot be higher than the array shape",
            ));
        }
        if next_index(h5, where_, DataType::Data) == 0 {
            self.create_arrays(h5, where_, data, distribution)?;
        }
        for (i, arr) in data.data.iter().enumerate() {
            h5.backend()
                .write_point(&join(where_, &node_name(DataType::Data, i)), indexes, arr)?;
            if let Some(errs) = &data.errors {
                if let Some(e) = errs.get(i) {
                    h5.backend().write_point(
                        &join(where_, &node_name(DataType::Error, i)),
                        indexes,
                        e,
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// `DataToExportSaver`: `where/<DataDim>/CHxx/` per DataWithAxes.
#[derive(Debug, Clone, Copy, Default)]
pub struct DataToExportSaver;

impl DataToExportSaver {
    /// `add_data(where, data, settings_as_xml, **kwargs)`; a non-empty `settings_as_xml` is
    /// stored on every data node as `settings]` (PyMoDAQ 5.2+).
    pub fn add_data(
        h5: &mut H5Saver,
        where_: &str,
        dte: &DataToExport,
        settings_as_xml: &str,
        kwargs: &[(String, PyValue)],
    ) -> Result<()> {
        let mut kw = kwargs.to_vec();
        if !settings_as_xml.is_empty() && !kw.iter().any(|(k, _)| k == "settings") {
            put(&mut kw, "settings]", PyValue::Str(settings_as_xml.into()));
        }
        for dim in dims_present(dte) {
            let dim_group = h5.get_set_group(where_, dim.as_str(), "")?;
            for (ind, dwa) in data_from_dim(dte, dim).into_iter().enumerate() {
                let g = channel_group(h5, &dim_group, ind, dwa)?;
                DataSaverLoader::new().add_data(h5, &g, dwa, true, &kw)?;
            }
        }
        Ok(())
    }

    /// `add_bkg(where, data)`: `Bkg` nodes in the channel groups of the same position.
    pub fn add_bkg(h5: &mut H5Saver, where_: &str, dte: &DataToExport) -> Result<()> {
        for dim in dims_present(dte) {
            let dim_group = h5.get_set_group(where_, dim.as_str(), "")?;
            for (ind, dwa) in data_from_dim(dte, dim).into_iter().enumerate() {
                let g = h5.get_set_group(&dim_group, &channel_name(ind), &dwa.name)?;
                DataSaverLoader::bkg().add_data(h5, &g, dwa, false, &[])?;
            }
        }
        Ok(())
    }
}

fn channel_group(
    h5: &mut H5Saver,
    dim_group: &str,
    ind: usize,
    dwa: &DataWithAxes,
) -> Result<String> {
    let origin = origin_str(dwa);
    h5.backend().get_set_group(
        dim_group,
        &channel_name(ind),
        &dwa.name,
        &[("origin", origin.as_str())],
    )
}

/// The arrays the first `add_data` of a DataToExport saver creates for the channels of `dte`
/// whose group does not exist yet (data, error bars and axes per channel; the savers create
/// a channel's group and arrays together), plus `nav_axes`: one acquisition, announced to
/// the writer so that its commit slots share one page. A lookup per channel: it runs at
/// every point of a scan.
fn acquisition_size(h5: &H5Saver, where_: &str, dte: &DataToExport, nav_axes: usize) -> usize {
    let b = h5.backend_ref();
    let mut n = nav_axes;
    for dim in dims_present(dte) {
        let dim_group = join(where_, dim.as_str());
        for (ind, dwa) in data_from_dim(dte, dim).into_iter().enumerate() {
            if b.node(&join(&dim_group, &channel_name(ind))).is_none() {
                let errors = dwa.errors.as_ref().map_or(0, Vec::len);
                n += dwa.data.len() + errors + dwa.axes.len();
            }
        }
    }
    n
}

/// `DataToExportEnlargeableSaver(h5saver, enl_axis_names, enl_axis_units)`: the DataToExport
/// layout with `EnlData` arrays and a `NavAxes` group of enlargeable axes.
#[derive(Debug, Clone)]
pub struct DataToExportEnlargeableSaver {
    enl_axis_names: Vec<String>,
    enl_axis_units: Vec<String>,
}

impl DataToExportEnlargeableSaver {
    /// With these navigation axes (default: one `nav axis` without units).
    pub fn new(names: &[&str], units: &[&str]) -> Result<Self> {
        if names.len() != units.len() {
            return Err(usage(
                "ValueError: Both enl_axis_names and enl_axis_units should have the same length",
            ));
        }
        Ok(DataToExportEnlargeableSaver {
            enl_axis_names: names.iter().map(|s| s.to_string()).collect(),
            enl_axis_units: units.iter().map(|s| s.to_string()).collect(),
        })
    }

    /// `add_data(where, data, axis_values)`: one row per channel and one value per
    /// navigation axis.
    pub fn add_data(
        &self,
        h5: &mut H5Saver,
        where_: &str,
        dte: &DataToExport,
        axis_values: &[f64],
    ) -> Result<()> {
        if axis_values.len() < self.enl_axis_names.len() {
            return Err(usage(format!(
                "IndexError: {} axis values for {} enlargeable axes",
                axis_values.len(),
                self.enl_axis_names.len()
            )));
        }
        // The navigation axes are created before the channel arrays (PyMoDAQ creates them
        // after; node names and attributes are the same). A flush commits new datasets all at
        // once (commit pages); datasets of an opened file commit one by one in creation
        // order, so there a crash leaves the axes at least as long as every channel.
        // The first call creates the navigation group with every channel (a row later costs
        // one lookup).
        if h5.backend_ref().node(&join(where_, NAV_AXES)).is_none() {
            let n = acquisition_size(h5, where_, dte, self.enl_axis_names.len());
            h5.backend().begin_acquisition(n);
        }
        let nav = h5.get_set_group(where_, NAV_AXES, "")?;
        if next_index(h5, &nav, DataType::Axis) == 0 {
            for p in add_enlargeable_axes(h5, &nav, &self.enl_axis_names, &self.enl_axis_units)? {
                h5.backend().set_attr(&p, "size", &PyValue::Int(0))?;
            }
        }
        for dim in dims_present(dte) {
            let dim_group = h5.get_set_group(where_, dim.as_str(), "")?;
            for (ind, dwa) in data_from_dim(dte, dim).into_iter().enumerate() {
                let g = channel_group(h5, &dim_group, ind, dwa)?;
                DataEnlargeableSaver::default().add_data(h5, &g, dwa, None)?;
            }
        }
        for (k, v) in axis_values
            .iter()
            .take(self.enl_axis_names.len())
            .enumerate()
        {
            let p = join(&nav, &node_name(DataType::Axis, k));
            h5.backend()
                .append(&p, &NdArray::from_f64(vec![1], &[*v])?)?;
            h5.backend().bump_int_attr(&p, "size", 1)?;
        }
        Ok(())
    }
}

/// `DataToExportTimedSaver`: enlargeable saving along a `time` axis (`s`, epoch seconds of
/// the DataToExport).
#[derive(Debug, Clone)]
pub struct DataToExportTimedSaver(DataToExportEnlargeableSaver);

impl Default for DataToExportTimedSaver {
    fn default() -> Self {
        DataToExportTimedSaver(DataToExportEnlargeableSaver {
            enl_axis_names: vec!["time".into()],
            enl_axis_units: vec!["s".into()],
        })
    }
}

impl DataToExportTimedSaver {
    /// `DataToExportTimedSaver(h5saver)`.
    pub fn new() -> Self {
        Self::default()
    }

    /// `add_data(where, data)`: the time axis gets `data.timestamp`.
    pub fn add_data(&self, h5: &mut H5Saver, where_: &str, dte: &DataToExport) -> Result<()> {
        self.0.add_data(h5, where_, dte, &[dte.timestamp])
    }
}

/// `DataToExportExtendedSaver(h5saver, extended_shape)`: the DataToExport layout with
/// pre-sized scan arrays and `NavAxes` scan axes.
#[derive(Debug, Clone)]
pub struct DataToExportExtendedSaver {
    saver: DataExtendedSaver,
}

impl DataToExportExtendedSaver {
    /// For a scan of `extended_shape`.
    pub fn new(extended_shape: &[u64]) -> Self {
        DataToExportExtendedSaver {
            saver: DataExtendedSaver::new(extended_shape),
        }
    }

    /// Fill value of unvisited points (default NaN).
    pub fn with_fill_value(mut self, v: f64) -> Self {
        self.saver.fill_value = Some(v);
        self
    }

    /// `add_nav_axes(where, axes)`: `where/NavAxes/Axis00..`, once.
    pub fn add_nav_axes(&self, h5: &mut H5Saver, where_: &str, axes: &[Axis]) -> Result<()> {
        let nav = h5.get_set_group(where_, NAV_AXES, "")?;
        if next_index(h5, &nav, DataType::Axis) == 0 {
            for a in axes {
                AxisSaverLoader::add_axis(h5, &nav, a, false)?;
            }
        }
        Ok(())
    }

    /// `add_data(where, data, indexes, distribution)`: one scan point for every channel.
    pub fn add_data(
        &self,
        h5: &mut H5Saver,
        where_: &str,
        dte: &DataToExport,
        indexes: &[u64],
        distribution: DataDistribution,
    ) -> Result<()> {
        // The first point creates every channel (a later point costs one lookup).
        let first = dte.data.first().map(|d| {
            let g = join(&join(where_, d.dim.as_str()), &channel_name(0));
            h5.backend_ref().node(&g).is_none()
        });
        if first == Some(true) {
            let n = acquisition_size(h5, where_, dte, 0);
            h5.backend().begin_acquisition(n);
        }
        for dim in dims_present(dte) {
            let dim_group = h5.get_set_group(where_, dim.as_str(), "")?;
            for (ind, dwa) in data_from_dim(dte, dim).into_iter().enumerate() {
                let g = channel_group(h5, &dim_group, ind, dwa)?;
                self.saver.add_data(h5, &g, dwa, indexes, distribution)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
