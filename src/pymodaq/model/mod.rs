//! PyMoDAQ's data model (`pymodaq_data.data`, 5.3): [`Axis`], [`DataWithAxes`],
//! [`DataToExport`] and their enums, with PyMoDAQ's construction checks, dimension rules and
//! linear-axis fitting. Arrays are [`NdArray`]s (numpy dtype + shape + little-endian bytes).
//!
//! Only what loading needs is modelled: no arithmetic, slicing or unit conversion (pint is not
//! modelled: units are kept as stored, where PyMoDAQ would blank units pint does not know).

pub mod array;
pub mod axis;
pub mod lazy;

pub use array::{DType, NdArray, Scalar};
pub use axis::Axis;

use crate::pymodaq::attrs::PyValue;

/// A Python exception PyMoDAQ would raise: its type name and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyError {
    /// Exception class name (`KeyError`, `IndexError`, `NodeError`, ...).
    pub exception: &'static str,
    /// Message (may be worded differently from Python's).
    pub message: String,
}

impl PyError {
    /// A new exception.
    pub fn new(exception: &'static str, message: impl Into<String>) -> PyError {
        PyError {
            exception,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for PyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.exception, self.message)
    }
}

impl std::error::Error for PyError {}

macro_rules! py_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $v),* }
        impl $name {
            /// The Python member name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),* }
            }
            /// The member from its Python name (`enum_checker`; `ValueError` otherwise).
            pub fn from_name(s: &str) -> Result<$name, PyError> {
                match s {
                    $($s => Ok($name::$v),)*
                    _ => Err(PyError::new("ValueError", format!(
                        "{s} is not a valid {}", stringify!($name)))),
                }
            }
        }
    };
}

py_enum!(
    /// `DataDim`.
    DataDim {
        /// `Data0D`
        Data0D = "Data0D",
        /// `Data1D`
        Data1D = "Data1D",
        /// `Data2D`
        Data2D = "Data2D",
        /// `DataND`
        DataND = "DataND",
    }
);

py_enum!(
    /// `DataSource`.
    DataSource {
        /// `raw`
        Raw = "raw",
        /// `calculated`
        Calculated = "calculated",
    }
);

py_enum!(
    /// `DataDistribution`.
    DataDistribution {
        /// `uniform`
        Uniform = "uniform",
        /// `spread`
        Spread = "spread",
    }
);

/// `saving.DataType`: what a data node holds; its member name is the `data_type` attribute,
/// its value the node-name prefix (`Data00`, `Axis01`, `ErrorBar00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// `data` / `Data`
    Data,
    /// `axis` / `Axis`
    Axis,
    /// `live_scan` / `Live`
    LiveScan,
    /// `external_h5` / `ExtData`
    ExternalH5,
    /// `strings` / `Strings`
    Strings,
    /// `bkg` / `Bkg`
    Bkg,
    /// `data_enlargeable` / `EnlData`
    DataEnlargeable,
    /// `error` / `ErrorBar`
    Error,
}

impl DataType {
    const ALL: [(DataType, &'static str, &'static str); 8] = [
        (DataType::Data, "data", "Data"),
        (DataType::Axis, "axis", "Axis"),
        (DataType::LiveScan, "live_scan", "Live"),
        (DataType::ExternalH5, "external_h5", "ExtData"),
        (DataType::Strings, "strings", "Strings"),
        (DataType::Bkg, "bkg", "Bkg"),
        (DataType::DataEnlargeable, "data_enlargeable", "EnlData"),
        (DataType::Error, "error", "ErrorBar"),
    ];

    fn row(self) -> (DataType, &'static str, &'static str) {
        Self::ALL
            .into_iter()
            .find(|r| r.0 == self)
            .unwrap_or((self, "data", "Data"))
    }

    /// The member name (the `data_type` attribute).
    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// The member value (the node-name prefix).
    pub fn prefix(self) -> &'static str {
        self.row().2
    }

    /// `DataType[name]`; `KeyError` for an unknown name.
    pub fn from_name(name: &str) -> Result<DataType, PyError> {
        Self::ALL
            .into_iter()
            .find(|r| r.1 == name)
            .map(|r| r.0)
            .ok_or_else(|| PyError::new("KeyError", format!("'{name}'")))
    }
}

impl DataDim {
    /// `DataDim.from_data_array` / `DataBase.get_dim_from_data` for a shape.
    pub fn from_shape(shape: &[usize]) -> DataDim {
        let size: usize = shape.iter().product();
        match shape.len() {
            1 if size == 1 => DataDim::Data0D,
            1 => DataDim::Data1D,
            2 => DataDim::Data2D,
            _ => DataDim::DataND,
        }
    }
}

/// `DataWithAxes`.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq)]
pub struct DataWithAxes {
    /// Name (the node TITLE).
    pub name: String,
    /// Source.
    pub source: DataSource,
    /// Dimensionality.
    pub dim: DataDim,
    /// Distribution.
    pub distribution: DataDistribution,
    /// The arrays, all of one shape.
    pub data: Vec<NdArray>,
    /// One label per array.
    pub labels: Vec<String>,
    /// Units.
    pub units: String,
    /// Origin (as decoded; normally a str).
    pub origin: PyValue,
    /// Navigation indexes.
    pub nav_indexes: Vec<usize>,
    /// Axes.
    pub axes: Vec<Axis>,
    /// Error bars (same count and shape as `data`) or `None`.
    pub errors: Option<Vec<NdArray>>,
    /// Timestamp (as decoded; normally a float).
    pub timestamp: PyValue,
    /// Extra attributes, in insertion order (includes `path` for loaded data).
    pub extra_attributes: Vec<(String, PyValue)>,
}

/// Constructor arguments of [`DataWithAxes::new`], in the order of PyMoDAQ's
/// `DataWithAxes.__init__(name, source, dim, distribution, data, labels, origin, units, axes,
/// nav_indexes, errors, **kwargs)` (`dim` is computed from the arrays).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone)]
pub struct DwaArgs {
    /// Name.
    pub name: String,
    /// Source.
    pub source: DataSource,
    /// Distribution.
    pub distribution: DataDistribution,
    /// Arrays.
    pub data: Vec<NdArray>,
    /// Labels (padded with `CH00`.. as PyMoDAQ does).
    pub labels: Vec<String>,
    /// Origin.
    pub origin: PyValue,
    /// Units.
    pub units: String,
    /// Axes.
    pub axes: Vec<Axis>,
    /// Navigation indexes.
    pub nav_indexes: Vec<usize>,
    /// Errors.
    pub errors: Option<Vec<NdArray>>,
    /// Extra attributes (`**kwargs`).
    pub extra_attributes: Vec<(String, PyValue)>,
}

impl Default for DwaArgs {
    /// PyMoDAQ's constructor defaults: `source='raw'`, `distribution='uniform'`, no labels,
    /// units, axes or errors, `origin=''`; only `name` and `data` need setting.
    fn default() -> Self {
        DwaArgs {
            name: String::new(),
            source: DataSource::Raw,
            distribution: DataDistribution::Uniform,
            data: Vec::new(),
            labels: Vec::new(),
            origin: PyValue::Str(String::new()),
            units: String::new(),
            axes: Vec::new(),
            nav_indexes: Vec::new(),
            errors: None,
            extra_attributes: Vec::new(),
        }
    }
}

/// A PyMoDAQ exception as a crate [`Error`](crate::Error) (`Usage`, `"<Exception>: <message>"`),
/// so `Axis::new(..)?` and `DataWithAxes::new(..)?` work in functions returning
/// [`crate::Result`].
impl From<PyError> for crate::Error {
    fn from(e: PyError) -> crate::Error {
        crate::Error::Usage(e.to_string())
    }
}

impl DataWithAxes {
    /// `DataWithAxes(...)` with PyMoDAQ's checks: a non-empty list of same-shape arrays
    /// (`DataShapeError`), labels padded, the axes manager's axis checks, dim from data and
    /// axes, errors dropped when they do not match.
    pub fn new(a: DwaArgs) -> Result<DataWithAxes, PyError> {
        let first = a.data.first().ok_or_else(|| {
            PyError::new(
                "TypeError",
                "Data should be a non-empty list of non-empty numpy arrays",
            )
        })?;
        let shape = first.shape.clone();
        if a.data.iter().any(|d| d.shape.is_empty()) {
            return Err(PyError::new(
                "TypeError",
                "Data should be a non-empty list of non-empty numpy arrays",
            ));
        }
        if a.data.iter().any(|d| d.shape != shape) {
            return Err(PyError::new(
                "DataShapeError",
                "The shape of the ndarrays in data is not the same",
            ));
        }
        let mut labels = a.labels;
        while labels.len() < a.data.len() {
            labels.push(format!("CH{:02}", labels.len()));
        }
        let mut d = DataWithAxes {
            name: a.name,
            source: a.source,
            dim: DataDim::from_shape(&shape),
            distribution: a.distribution,
            data: a.data,
            labels,
            units: a.units,
            origin: a.origin,
            nav_indexes: a.nav_indexes,
            axes: Vec::new(),
            errors: None,
            timestamp: PyValue::None,
            extra_attributes: a.extra_attributes,
        };
        d.set_axes(a.axes)?;
        d.dim_from_data_axes();
        d.errors = a
            .errors
            .filter(|e| e.len() == d.data.len() && e.iter().all(|x| x.shape == shape));
        Ok(d)
    }

    /// The arrays' shape.
    pub fn shape(&self) -> &[usize] {
        self.data.first().map_or(&[], |d| d.shape.as_slice())
    }

    /// Number of arrays.
    pub fn length(&self) -> usize {
        self.data.len()
    }

    /// Signal indexes: every dimension not navigation.
    pub fn sig_indexes(&self) -> Vec<usize> {
        (0..self.shape().len())
            .filter(|i| !self.nav_indexes.contains(i))
            .collect()
    }

    /// `get_data_index(i)`: the i-th array.
    pub fn get_data(&self, index: usize) -> Option<&NdArray> {
        self.data.get(index)
    }

    /// The `axes` setter (`set_axes_manager` + `_check_axis`): uniform unless spread with
    /// navigation indexes; uniform replaces a mis-sized axis by 0..n-1 (its values kept if it
    /// has some, as PyMoDAQ does), spread checks navigation axis lengths.
    pub fn set_axes(&mut self, mut axes: Vec<Axis>) -> Result<(), PyError> {
        let shape = self.shape().to_vec();
        if self.distribution == DataDistribution::Uniform || self.nav_indexes.is_empty() {
            self.distribution = DataDistribution::Uniform;
            for axis in &mut axes {
                let n = *shape
                    .get(axis.index)
                    .ok_or_else(|| PyError::new("IndexError", "tuple index out of range"))?;
                if axis.size != n {
                    if axis.data.is_none() {
                        axis.size = n;
                    }
                    axis.scaling = Some(1.0);
                    axis.offset = Some(0.0);
                }
            }
        } else {
            for axis in &axes {
                if self.nav_indexes.len() != 1 {
                    return Err(PyError::new(
                        "ValueError",
                        "Spread data should have only one specified index in self.nav_indexes",
                    ));
                }
                if self.nav_indexes.contains(&axis.index) {
                    let n = self
                        .nav_indexes
                        .first()
                        .and_then(|&i| shape.get(i))
                        .copied();
                    if axis.size != 1 && Some(axis.size) != n {
                        return Err(PyError::new(
                            "DataLengthError",
                            "all navigation axes should have the same size",
                        ));
                    }
                }
            }
        }
        self.axes = axes;
        Ok(())
    }

    /// `get_dim_from_data_axes`.
    pub fn dim_from_data_axes(&mut self) {
        let rank = self.shape().len();
        if self.axes.len() != rank {
            self.dim = DataDim::from_shape(self.shape());
        } else if !self.nav_indexes.is_empty() {
            self.dim = DataDim::DataND;
        } else {
            match self.axes.len() {
                0 => self.dim = DataDim::Data0D,
                1 => self.dim = DataDim::Data1D,
                2 => self.dim = DataDim::Data2D,
                _ => {}
            }
        }
        if !self.nav_indexes.is_empty() {
            self.dim = DataDim::DataND;
        }
    }

    /// `get_axis_from_index(index)` of the axes manager: uniform → `[axis or None]`; spread →
    /// every axis of a navigation index, `[axis or None]` for a signal index.
    fn axes_from_index(&self, index: usize) -> Result<Vec<Option<&Axis>>, PyError> {
        let spread = self.distribution == DataDistribution::Spread;
        if spread && self.nav_indexes.contains(&index) {
            return Ok(self
                .axes
                .iter()
                .filter(|a| a.index == index)
                .map(Some)
                .collect());
        }
        if index > self.shape().len() {
            if spread {
                return Ok(vec![None]);
            }
            return Err(PyError::new(
                "IndexError",
                "The specified index does not correspond to any data dimension",
            ));
        }
        Ok(vec![self.axes.iter().find(|a| a.index == index)])
    }

    /// `create_missing_axes`: a linear 0..n-1 axis (label '', units '') for every dimension
    /// without one, kept only when longer than 1.
    pub fn create_missing_axes(&mut self) -> Result<(), PyError> {
        let mut axes = self.axes.clone();
        let mut order = self.nav_indexes.clone();
        order.extend(self.sig_indexes());
        for index in order {
            let found = self.axes_from_index(index)?;
            if matches!(found.first(), Some(None)) {
                let n = *self
                    .shape()
                    .get(index)
                    .ok_or_else(|| PyError::new("IndexError", "tuple index out of range"))?;
                let spread_sig_ok = self.distribution == DataDistribution::Uniform
                    || self.sig_indexes().contains(&index);
                if !spread_sig_ok {
                    return Err(PyError::new(
                        "AttributeError",
                        "'NoneType' object has no attribute 'size'",
                    ));
                }
                if n > 1 {
                    let mut a = Axis::linear("", "", index, 0.0, 1.0, n);
                    a.int_params = true;
                    axes.push(a);
                }
            }
        }
        self.set_axes(axes)
    }

    /// PyMoDAQ's equality: name, shape, dim, labels, units, arrays (allclose) and axes.
    pub fn py_eq(&self, other: &DataWithAxes) -> bool {
        let close = |a: &NdArray, b: &NdArray| {
            a.shape == b.shape
                && a.to_f64()
                    .iter()
                    .zip(b.to_f64())
                    .all(|(&x, y)| (x - y).abs() <= 1e-8 + 1e-5 * y.abs())
        };
        self.name == other.name
            && self.shape() == other.shape()
            && self.dim == other.dim
            && self.units == other.units
            && self.data.len() == other.data.len()
            && self.data.iter().zip(&other.data).all(|(a, b)| close(a, b))
            && self.axes.len() == other.axes.len()
            && self
                .axes
                .iter()
                .all(|a| other.axes.iter().any(|b| a.py_eq(b)))
    }
}

/// `DataToExport`: a named list of [`DataWithAxes`], unique by (name, origin).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataToExport {
    /// Name.
    pub name: String,
    /// The data, in order.
    pub data: Vec<DataWithAxes>,
    /// Creation time, epoch seconds (`time.time()`; the timed saver's time axis).
    pub timestamp: f64,
}

impl DataToExport {
    /// An empty DataToExport.
    pub fn new(name: &str) -> DataToExport {
        DataToExport {
            name: name.to_string(),
            data: Vec::new(),
            timestamp: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
        }
    }

    /// `append(dwa)`: replaces (moving it to the end) an entry with the same name and origin.
    pub fn append(&mut self, dwa: DataWithAxes) {
        if let Some(pos) = self
            .data
            .iter()
            .position(|d| d.name == dwa.name && d.origin == dwa.origin)
        {
            self.data.remove(pos);
        }
        self.data.push(dwa);
    }

    /// `affect_name_to_origin_if_none`: data without an origin (None or '') get the
    /// DataToExport's name, as PyMoDAQ does whenever a DataToExport's data are set.
    pub fn affect_name_to_origin_if_none(&mut self) {
        for d in &mut self.data {
            if matches!(&d.origin, PyValue::None) || d.origin == PyValue::Str(String::new()) {
                d.origin = PyValue::Str(self.name.clone());
            }
        }
    }

    /// `get_data_from_name_origin`.
    pub fn get_data_from_name_origin(&self, name: &str, origin: &str) -> Option<&DataWithAxes> {
        self.data
            .iter()
            .find(|d| d.name == name && d.origin == PyValue::Str(origin.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_type_names_and_prefixes() {
        for (dt, name, prefix) in DataType::ALL {
            assert_eq!(dt.name(), name);
            assert_eq!(dt.prefix(), prefix);
            assert_eq!(DataType::from_name(name).unwrap(), dt);
        }
        assert_eq!(DataType::Error.prefix(), "ErrorBar");
        assert_eq!(DataType::LiveScan.name(), "live_scan");
        let e = DataType::from_name("Data").unwrap_err();
        assert_eq!(e.to_string(), "KeyError: 'Data'");
    }

    fn arr(shape: &[usize]) -> NdArray {
        let n: usize = shape.iter().product();
        NdArray::from_f64(shape.to_vec(), &vec![1.0; n]).unwrap()
    }

    fn args(data: Vec<NdArray>) -> DwaArgs {
        DwaArgs {
            name: "d".into(),
            source: DataSource::Raw,
            distribution: DataDistribution::Uniform,
            data,
            labels: vec![],
            units: String::new(),
            origin: PyValue::Str(String::new()),
            nav_indexes: vec![],
            axes: vec![],
            errors: None,
            extra_attributes: vec![],
        }
    }

    #[test]
    fn enums_spelled_as_python() {
        assert_eq!(DataSource::Calculated.as_str(), "calculated");
        assert_eq!(DataDim::from_name("Data2D").unwrap(), DataDim::Data2D);
        assert_eq!(
            DataDistribution::from_name("x").unwrap_err().exception,
            "ValueError"
        );
    }

    #[test]
    fn dims_from_shape_and_nav() {
        assert_eq!(
            DataWithAxes::new(args(vec![arr(&[1])])).unwrap().dim,
            DataDim::Data0D
        );
        assert_eq!(
            DataWithAxes::new(args(vec![arr(&[5])])).unwrap().dim,
            DataDim::Data1D
        );
        assert_eq!(
            DataWithAxes::new(args(vec![arr(&[2, 3])])).unwrap().dim,
            DataDim::Data2D
        );
        let mut a = args(vec![arr(&[4, 3])]);
        a.nav_indexes = vec![0];
        let d = DataWithAxes::new(a).unwrap();
        assert_eq!(d.dim, DataDim::DataND);
        assert_eq!(d.sig_indexes(), vec![1]);
    }

    #[test]
    fn labels_padded_and_shapes_checked() {
        let d = DataWithAxes::new(args(vec![arr(&[3]), arr(&[3])])).unwrap();
        assert_eq!(d.labels, vec!["CH00", "CH01"]);
        let e = DataWithAxes::new(args(vec![arr(&[3]), arr(&[4])])).unwrap_err();
        assert_eq!(e.exception, "DataShapeError");
    }

    #[test]
    fn missing_axes_created() {
        let mut d = DataWithAxes::new(args(vec![arr(&[2, 3])])).unwrap();
        d.create_missing_axes().unwrap();
        assert_eq!(d.axes.len(), 2);
        assert_eq!(d.axes[1].get_data(), vec![0.0, 1.0, 2.0]);
    }

    #[test]
    fn missized_uniform_axis_replaced() {
        let mut a = args(vec![arr(&[3])]);
        a.axes = vec![Axis::new("x", "", vec![5.0, 6.0], 0, 0).unwrap()];
        let d = DataWithAxes::new(a).unwrap();
        assert_eq!(d.axes[0].get_data(), vec![0.0, 1.0, 2.0]);
        let mut a = args(vec![arr(&[3])]);
        a.axes = vec![Axis::new("x", "", vec![5.0, 6.0], 1, 0).unwrap()];
        assert_eq!(DataWithAxes::new(a).unwrap_err().exception, "IndexError");
    }

    #[test]
    fn dte_replaces_same_name_origin() {
        let mut dte = DataToExport::new("x");
        dte.append(DataWithAxes::new(args(vec![arr(&[3])])).unwrap());
        dte.append(DataWithAxes::new(args(vec![arr(&[4])])).unwrap());
        assert_eq!(dte.data.len(), 1);
        assert_eq!(dte.data[0].shape(), &[4]);
        assert!(dte.get_data_from_name_origin("d", "").is_some());
    }

    #[test]
    fn equality() {
        let a = DataWithAxes::new(args(vec![arr(&[3])])).unwrap();
        let mut b = a.clone();
        assert!(a.py_eq(&b));
        b.name = "e".into();
        assert!(!a.py_eq(&b));
    }
}
