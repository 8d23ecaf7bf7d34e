//! `H5SaverLowLevel`: file initialisation (root and `/RawData` attributes, the Logger),
//! incremental module groups, arrays with PyMoDAQ's attributes.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::pymodaq::attrs::pyliteral::PyValue;
use crate::pymodaq::model::{DType, DataType, NdArray};

use crate::pymodaq::backend::write::join;
use crate::pymodaq::backend::{Flavour, SaveBackend};

/// `SaveType`: what a file holds (`/RawData` `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveType {
    /// `scan`
    Scan,
    /// `detector`
    Detector,
    /// `logger`
    Logger,
    /// `custom`
    Custom,
    /// `actuator`
    Actuator,
    /// `optimizer`
    Optimizer,
}

impl SaveType {
    /// The enum member name.
    pub fn name(self) -> &'static str {
        match self {
            SaveType::Scan => "scan",
            SaveType::Detector => "detector",
            SaveType::Logger => "logger",
            SaveType::Custom => "custom",
            SaveType::Actuator => "actuator",
            SaveType::Optimizer => "optimizer",
        }
    }

    /// From the member name.
    pub fn from_name(s: &str) -> Option<SaveType> {
        Some(match s {
            "scan" => SaveType::Scan,
            "detector" => SaveType::Detector,
            "logger" => SaveType::Logger,
            "custom" => SaveType::Custom,
            "actuator" => SaveType::Actuator,
            "optimizer" => SaveType::Optimizer,
            _ => return None,
        })
    }
}

/// Where the savers take the current time from.
#[derive(Debug, Clone, PartialEq)]
pub enum Clock {
    /// The system clock (root `date`/`time` in local time, as PyMoDAQ writes them).
    System,
    /// A fixed clock, for reproducible files: root `date` and `time` strings, and the epoch
    /// seconds [`H5Saver::now`] returns (advanced by `step` on every call).
    Fixed {
        /// Root `date` (`YYYY-MM-DD`).
        date: String,
        /// Root `time` (`HH:MM:SS.ffffff`).
        time: String,
        /// First value of [`H5Saver::now`].
        epoch: f64,
        /// Increment per call.
        step: f64,
    },
}

/// Options of [`H5Saver::init_file`].
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Library conventions to follow.
    pub flavour: Flavour,
    /// `/RawData` `type`.
    pub save_type: SaveType,
    /// Attributes of `/RawData` (JSON attributes), in order.
    pub metadata: Vec<(String, PyValue)>,
    /// zlib level for every array (`define_compression('zlib', level)`); `None`: off.
    pub compression: Option<u32>,
    /// Root `pymodaq_version` (PyMoDAQ's H5Browser refuses files below 4.0.0).
    pub pymodaq_version: String,
    /// Root `pymodaq_data_version`.
    pub pymodaq_data_version: String,
    /// Clock.
    pub clock: Clock,
    /// `init_file(..., swmr_mode=True)` (PyMoDAQ 5.2+, h5py): the HDF5 1.10 layout SWMR
    /// readers need, and the root `swmr_compatible` attribute.
    pub swmr: bool,
    /// Whether `close_file` fsyncs ([`Durability::Sync`](crate::hdf5::write::Durability::Sync), the default).
    pub durability: crate::hdf5::write::Durability,
    /// Add NeXus hints (`NX_class`, `signal`, `axes`, ...; `pymodaq::nexus_annotate`) as the
    /// data nodes are created and again when the file is closed, so h5web, silx and
    /// nexusformat plot it against its axes, even after a crash. On by
    /// default; off, the savers write what PyMoDAQ's own savers write, attribute for
    /// attribute (with it on, the only difference is the hint attributes, which PyMoDAQ's
    /// loaders ignore).
    pub nexus_hints: bool,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            flavour: Flavour::Tables,
            save_type: SaveType::Custom,
            metadata: Vec::new(),
            compression: None,
            // The PyMoDAQ release whose layout we write.
            pymodaq_version: "5.3.8".into(),
            pymodaq_data_version: "5.3.0".into(),
            clock: Clock::System,
            swmr: false,
            durability: crate::hdf5::write::Durability::default(),
            nexus_hints: true,
        }
    }
}

/// `utils.capitalize`: first character upper-cased.
pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// PyMoDAQ's `add_<kind>_group(where, title, settings_as_xml, metadata)` methods: one
/// signature, an incremental (`Detector000`) or generic (`description=''`) group of a kind.
macro_rules! group_adders {
    ($($(#[$m:meta])* $name:ident => $how:ident $kind:literal;)*) => {$(
        $(#[$m])*
        pub fn $name(
            &mut self,
            where_: &str,
            title: &str,
            settings_as_xml: &PyValue,
            metadata: &[(String, PyValue)],
        ) -> Result<String> {
            group_adders!(@$how self, $kind, where_, title, settings_as_xml, metadata)
        }
    )*};
    (@incremental $s:ident, $kind:literal, $($a:ident),*) => {
        $s.add_incremental_group($kind, $($a),*)
    };
    (@generic $s:ident, $kind:literal, $w:ident, $t:ident, $x:ident, $md:ident) => {
        $s.add_generic_group($w, $t, $x, $md, $kind)
    };
}

/// `H5SaverLowLevel`: an open PyMoDAQ file.
#[derive(Debug)]
pub struct H5Saver {
    backend: SaveBackend,
    raw_group: String,
    logger: String,
    clock: Clock,
    ticks: u64,
    file_name: String,
    path: PathBuf,
    nexus_hints: bool,
    live_hints: super::nexus_live::LiveHints,
}

/// Root `file` name and full path as `init_file` derives them (`.h5` added when the suffix
/// has no `h5`).
pub fn h5_file_path(path: &Path) -> (String, PathBuf) {
    let ext = path.extension().map(|e| e.to_string_lossy().to_string());
    let name = match ext {
        Some(e) if e.contains("h5") => path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        _ => format!(
            "{}.h5",
            path.file_stem()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default()
        ),
    };
    let full = path.with_file_name(&name);
    (name, full)
}

impl H5Saver {
    /// `init_file(path, new_file=True, metadata)`: creates (replaces) the file with the root
    /// attributes, `/RawData` and its Logger, and the new-file attributes.
    pub fn init_file(path: impl AsRef<Path>, opts: InitOptions) -> Result<H5Saver> {
        let (file_name, full) = h5_file_path(path.as_ref());
        let profile = if opts.swmr {
            crate::hdf5::write::Profile::Hdf5V110
        } else {
            crate::hdf5::write::Profile::PyTables
        };
        let backend = SaveBackend::create_durable(
            &full,
            opts.flavour,
            "PyMoDAQ file",
            profile,
            opts.durability,
        )?;
        Self::init_backend(backend, file_name, full, opts)
    }

    /// [`H5Saver::init_file`] over a backend created by the caller (any storage).
    pub fn init_backend(
        mut backend: SaveBackend,
        file_name: String,
        full: PathBuf,
        opts: InitOptions,
    ) -> Result<H5Saver> {
        backend.define_compression(opts.compression);
        let mut root = vec![
            (
                "pymodaq_version".to_string(),
                PyValue::Str(opts.pymodaq_version),
            ),
            (
                "pymodaq_data_version".into(),
                PyValue::Str(opts.pymodaq_data_version),
            ),
        ];
        if opts.swmr {
            root.push(("swmr_compatible".into(), PyValue::Bool(true)));
        }
        backend.set_attrs("/", &root)?;
        let mut s = H5Saver {
            backend,
            raw_group: "/RawData".into(),
            logger: "/RawData/Logger".into(),
            clock: opts.clock,
            ticks: 0,
            file_name,
            path: full,
            nexus_hints: opts.nexus_hints,
            live_hints: Default::default(),
        };
        s.raw_group = s
            .backend
            .get_set_group("/", "RawData", "Data from PyMoDAQ modules", &[])?;
        s.get_set_logger()?;
        let (date, time) = s.local_date_time();
        let mut raw_attrs = vec![(
            "type".to_string(),
            PyValue::Str(opts.save_type.name().into()),
        )];
        raw_attrs.extend(opts.metadata);
        s.backend.set_attrs(&s.raw_group.clone(), &raw_attrs)?;
        s.backend.set_attrs(
            "/",
            &[
                ("file".into(), PyValue::Str(s.file_name.clone())),
                ("date".into(), PyValue::Str(date)),
                ("time".into(), PyValue::Str(time)),
            ],
        )?;
        s.backend.flush()?;
        Ok(s)
    }

    /// `init_file(path, new_file=False)` on an existing file: opens it for adding, creating
    /// `/RawData` and its Logger when missing.
    pub fn open_file(path: impl AsRef<Path>, compression: Option<u32>) -> Result<H5Saver> {
        let path = path.as_ref();
        let mut backend = SaveBackend::open(path)?;
        backend.define_compression(compression);
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let mut s = H5Saver {
            backend,
            raw_group: "/RawData".into(),
            logger: "/RawData/Logger".into(),
            clock: Clock::System,
            ticks: 0,
            file_name,
            path: path.to_path_buf(),
            nexus_hints: false,
            live_hints: Default::default(),
        };
        s.raw_group = s
            .backend
            .get_set_group("/", "RawData", "Data from PyMoDAQ modules", &[])?;
        s.get_set_logger()?;
        Ok(s)
    }

    fn local_date_time(&self) -> (String, String) {
        match &self.clock {
            Clock::Fixed { date, time, .. } => (date.clone(), time.clone()),
            Clock::System => {
                let now = chrono::Local::now().naive_local();
                (
                    now.format("%Y-%m-%d").to_string(),
                    // Python's time.isoformat() drops the fraction when it is zero.
                    if now.and_utc().timestamp_subsec_micros() == 0 {
                        now.format("%H:%M:%S").to_string()
                    } else {
                        now.format("%H:%M:%S%.6f").to_string()
                    },
                )
            }
        }
    }

    /// Epoch seconds now (`time.time()`), from the saver's clock.
    pub fn now(&mut self) -> f64 {
        match &self.clock {
            Clock::System => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
            Clock::Fixed { epoch, step, .. } => {
                self.ticks += 1;
                epoch + step * self.ticks as f64
            }
        }
    }

    /// The backend.
    pub fn backend(&mut self) -> &mut SaveBackend {
        &mut self.backend
    }

    /// The backend, read-only.
    pub fn backend_ref(&self) -> &SaveBackend {
        &self.backend
    }

    /// `/RawData` (or the raw group name given).
    pub fn raw_group(&self) -> &str {
        &self.raw_group
    }

    /// Root `file` attribute value.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `get_set_logger(where)`: the Logger string array under `/RawData`.
    fn get_set_logger(&mut self) -> Result<()> {
        let rg = self.raw_group.clone();
        self.logger = join(&rg, "Logger");
        if !self.backend.has_child(&rg, "Logger") {
            self.add_string_array(&rg, "Logger", "", &[])?;
            self.backend
                .set_attr(&self.logger.clone(), "type", &PyValue::Str("log".into()))?;
        }
        Ok(())
    }

    /// `add_string_array(where, name, title, metadata)`.
    pub fn add_string_array(
        &mut self,
        where_: &str,
        name: &str,
        title: &str,
        metadata: &[(String, PyValue)],
    ) -> Result<String> {
        let mut extra = vec![
            ("shape".to_string(), PyValue::Tuple(vec![PyValue::Int(0)])),
            ("data_type".into(), PyValue::Str("strings".into())),
        ];
        extra.extend(metadata.iter().cloned());
        self.backend
            .create_string_vlarray(where_, name, title, extra)
    }

    /// `add_log(msg)`: one pickled row in the Logger.
    pub fn add_log(&mut self, msg: &str) -> Result<()> {
        let l = self.logger.clone();
        self.backend.append_string(&l, msg)
    }

    /// `get_set_group(where, name, title)`.
    pub fn get_set_group(&mut self, where_: &str, name: &str, title: &str) -> Result<String> {
        self.backend.get_set_group(where_, name, title, &[])
    }

    /// `add_incremental_group(group_type, where, title, settings_as_xml, metadata)`:
    /// `Detector000`, `Detector001`, ... with `settings`, `type` and the metadata.
    pub fn add_incremental_group(
        &mut self,
        group_type: &str,
        where_: &str,
        title: &str,
        settings_as_xml: &PyValue,
        metadata: &[(String, PyValue)],
    ) -> Result<String> {
        let lower = group_type.to_lowercase();
        let prefix = capitalize(&lower);
        let mut names: Vec<String> = self
            .backend
            .children(where_)?
            .into_iter()
            .filter(|n| n.contains(&prefix))
            .collect();
        names.sort();
        let next = match names.last() {
            None => 0,
            Some(last) => {
                let tail: String = last
                    .chars()
                    .rev()
                    .take(3)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                let n: i64 = tail.trim().parse().map_err(|_| {
                    Error::Usage(format!(
                        "ValueError: invalid literal for int() with base 10: {tail:?} (sibling {last})"
                    ))
                })?;
                n + 1
            }
        };
        let name = format!("{prefix}{next:03}");
        let group = self.get_set_group(where_, &name, title)?;
        let mut attrs = vec![
            ("settings".to_string(), settings_as_xml.clone()),
            (
                "type".to_string(),
                PyValue::Str(if lower == "ch" { String::new() } else { lower }),
            ),
        ];
        attrs.extend(metadata.iter().cloned());
        self.backend.set_attrs(&group, &attrs)?;
        Ok(group)
    }

    group_adders! {
        /// `add_det_group`.
        add_det_group => incremental "detector";
        /// `add_act_group` (also `add_move_group`).
        add_act_group => incremental "actuator";
        /// `add_scan_group`: a generic `scan` group.
        add_scan_group => generic "scan";
        /// `add_ch_group` (`Ch000`, ... with an empty `type`).
        add_ch_group => incremental "ch";
    }

    /// `add_generic_group(where, title, settings, metadata, group_type)`: adds
    /// `description=''`.
    pub fn add_generic_group(
        &mut self,
        where_: &str,
        title: &str,
        settings_as_xml: &PyValue,
        metadata: &[(String, PyValue)],
        group_type: &str,
    ) -> Result<String> {
        let mut md = metadata.to_vec();
        put(&mut md, "description", PyValue::Str(String::new()));
        self.add_incremental_group(group_type, where_, title, settings_as_xml, &md)
    }

    /// `add_data_group(where, data_dim, title, settings, metadata)` through `add_group`:
    /// `type='data'`, the metadata with `settings`, and `backend`.
    pub fn add_data_group(
        &mut self,
        where_: &str,
        data_dim: &str,
        title: &str,
        settings_as_xml: &PyValue,
        metadata: &[(String, PyValue)],
    ) -> Result<String> {
        let mut md = metadata.to_vec();
        put(&mut md, "settings", settings_as_xml.clone());
        self.add_group(data_dim, "data", where_, title, &md)
    }

    /// `add_group(group_name, group_type, where, title, metadata)`.
    pub fn add_group(
        &mut self,
        group_name: &str,
        group_type: &str,
        where_: &str,
        title: &str,
        metadata: &[(String, PyValue)],
    ) -> Result<String> {
        let path = if self.backend.has_child(where_, group_name) {
            join(where_, group_name)
        } else {
            let g = self.get_set_group(where_, &capitalize(group_name), title)?;
            let mut attrs = vec![("type".to_string(), PyValue::Str(group_type.to_lowercase()))];
            attrs.extend(metadata.iter().cloned());
            self.backend.set_attrs(&g, &attrs)?;
            g
        };
        let b = self.backend.flavour().name();
        self.backend
            .set_attr(&path, "backend", &PyValue::Str(b.into()))?;
        Ok(path)
    }

    /// `add_array(...)` for a fixed array holding `data`.
    #[allow(clippy::too_many_arguments)]
    pub fn add_carray(
        &mut self,
        where_: &str,
        name: &str,
        data_type: DataType,
        data: &NdArray,
        data_dimension: &str,
        title: &str,
        metadata: Vec<(String, PyValue)>,
    ) -> Result<String> {
        let extra = array_metadata(data_type, data_dimension, metadata);
        let path = self
            .backend
            .create_carray(where_, &capitalize(name), data, title, extra)?;
        self.live_nexus(where_)?;
        Ok(path)
    }

    /// `add_array(..., add_scan_dim=True)`: a fixed array of `scan_shape + data_shape`
    /// (data_shape dropped when it is `(1,)`) pre-filled with `fill` (NaN by default, cast
    /// to the dtype as numpy casts it).
    #[allow(clippy::too_many_arguments)]
    pub fn add_scan_array(
        &mut self,
        where_: &str,
        name: &str,
        data_type: DataType,
        dtype: DType,
        scan_shape: &[u64],
        data_shape: &[u64],
        fill: Option<f64>,
        data_dimension: &str,
        title: &str,
        metadata: Vec<(String, PyValue)>,
    ) -> Result<String> {
        let mut shape = scan_shape.to_vec();
        if data_shape != [1] {
            shape.extend_from_slice(data_shape);
        }
        let fill_bytes = fill_bytes(dtype, fill.unwrap_or(f64::NAN));
        let extra = array_metadata(data_type, data_dimension, metadata);
        let path = self.backend.create_carray_filled(
            where_,
            &capitalize(name),
            dtype,
            &shape,
            scan_shape.len(),
            &fill_bytes,
            title,
            extra,
        )?;
        self.live_nexus(where_)?;
        Ok(path)
    }

    /// `add_array(..., enlargeable=True)`: an EARRAY of rows of `data_shape`.
    #[allow(clippy::too_many_arguments)]
    pub fn add_earray(
        &mut self,
        where_: &str,
        name: &str,
        data_type: DataType,
        dtype: DType,
        data_shape: &[u64],
        data_dimension: &str,
        title: &str,
        metadata: Vec<(String, PyValue)>,
    ) -> Result<String> {
        let extra = array_metadata(data_type, data_dimension, metadata);
        let path = self.backend.create_earray(
            where_,
            &capitalize(name),
            dtype,
            data_shape,
            title,
            extra,
        )?;
        self.live_nexus(where_)?;
        Ok(path)
    }

    /// With [`InitOptions::nexus_hints`], the NeXus hints of the group `where_` as its nodes
    /// stand now (`nexus_live`): written as nodes are created, so a killed acquisition has
    /// them too.
    fn live_nexus(&mut self, where_: &str) -> Result<()> {
        if self.nexus_hints {
            self.live_hints.update(&mut self.backend, where_)?;
        }
        Ok(())
    }

    /// Commit (kill-safe).
    pub fn flush(&mut self) -> Result<()> {
        self.backend.flush()
    }

    /// Flush, fsync and close (`close_file`).
    ///
    /// With [`InitOptions::nexus_hints`], the closed file then gets its NeXus hints (a file
    /// on disk only; a layout the annotator refuses keeps the file as the savers left it).
    pub fn close_file(self) -> Result<()> {
        let (hints, path) = (self.nexus_hints, self.path.clone());
        self.backend.close()?;
        if hints && path.is_file() {
            match crate::pymodaq::nexus_annotate::annotate_file(&path) {
                Ok(_) | Err(crate::Error::Usage(_)) | Err(crate::Error::Unsupported { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Add NeXus hints when the file is closed (see [`InitOptions::nexus_hints`]).
    pub fn set_nexus_hints(&mut self, on: bool) {
        self.nexus_hints = on;
    }
}

fn array_metadata(
    data_type: DataType,
    data_dimension: &str,
    metadata: Vec<(String, PyValue)>,
) -> Vec<(String, PyValue)> {
    let mut v = vec![
        (
            "data_type".to_string(),
            PyValue::Str(data_type.name().into()),
        ),
        (
            "data_dimension".to_string(),
            PyValue::Str(data_dimension.into()),
        ),
    ];
    for (k, val) in metadata {
        put(&mut v, &k, val);
    }
    v
}

/// Insert or replace a key in an ordered attribute list (Python dict semantics).
pub fn put(v: &mut Vec<(String, PyValue)>, k: &str, val: PyValue) {
    match v.iter_mut().find(|(n, _)| n == k) {
        Some(slot) => slot.1 = val,
        None => v.push((k.to_string(), val)),
    }
}

/// `np.full(1, value, dtype).tobytes()` on x86-64 (NaN into an integer type gives what the
/// hardware conversion gives, as numpy does).
pub fn fill_bytes(dtype: DType, value: f64) -> Vec<u8> {
    let nan = value.is_nan();
    let int = |bits: u32, signed: bool| -> i128 {
        if nan || value.is_infinite() {
            // cvttsd2si: the "integer indefinite" value for 32/64-bit conversions; numpy goes
            // through int32 for smaller types (0 after truncation).
            match (bits, signed) {
                (32, true) => i128::from(i32::MIN),
                (64, _) => i128::from(i64::MIN) & 0xffff_ffff_ffff_ffff,
                _ => 0,
            }
        } else {
            value.trunc() as i128
        }
    };
    match dtype {
        DType::Bool => vec![u8::from(value != 0.0)],
        DType::Int8 => (int(8, true) as i8).to_le_bytes().to_vec(),
        DType::Int16 => (int(16, true) as i16).to_le_bytes().to_vec(),
        DType::Int32 => (int(32, true) as i32).to_le_bytes().to_vec(),
        DType::Int64 => (int(64, true) as i64).to_le_bytes().to_vec(),
        DType::UInt8 => (int(8, false) as u8).to_le_bytes().to_vec(),
        DType::UInt16 => (int(16, false) as u16).to_le_bytes().to_vec(),
        DType::UInt32 => (int(32, false) as u32).to_le_bytes().to_vec(),
        DType::UInt64 => (int(64, false) as u64).to_le_bytes().to_vec(),
        DType::Float16 => crate::hdf5::read::value::f16_from_f64(value)
            .to_le_bytes()
            .to_vec(),
        DType::Float32 => (value as f32).to_le_bytes().to_vec(),
        DType::Float64 => value.to_le_bytes().to_vec(),
        DType::Complex64 => {
            let mut b = (value as f32).to_le_bytes().to_vec();
            b.extend_from_slice(&0f32.to_le_bytes());
            b
        }
        DType::Complex128 => {
            let mut b = value.to_le_bytes().to_vec();
            b.extend_from_slice(&0f64.to_le_bytes());
            b
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_fill_matches_numpy_on_x86_64() {
        // np.full((1,), np.nan, dtype).tobytes() printed by numpy 2.4.6.
        let hex = |d| {
            fill_bytes(d, f64::NAN)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        assert_eq!(hex(DType::Bool), "01");
        assert_eq!(hex(DType::Int8), "00");
        assert_eq!(hex(DType::Int16), "0000");
        assert_eq!(hex(DType::Int32), "00000080");
        assert_eq!(hex(DType::Int64), "0000000000000080");
        assert_eq!(hex(DType::UInt32), "00000000");
        assert_eq!(hex(DType::UInt64), "0000000000000080");
        assert_eq!(hex(DType::Float16), "007e");
        assert_eq!(hex(DType::Float32), "0000c07f");
        assert_eq!(hex(DType::Float64), "000000000000f87f");
        assert_eq!(hex(DType::Complex64), "0000c07f00000000");
    }

    #[test]
    fn file_names_get_an_h5_suffix_like_init_file() {
        assert_eq!(h5_file_path(Path::new("/d/a.h5")).0, "a.h5");
        // ".hdf5" does not contain "h5": PyMoDAQ renames it too.
        assert_eq!(h5_file_path(Path::new("/d/a.hdf5")).0, "a.h5");
        assert_eq!(h5_file_path(Path::new("/d/a.xh5")).0, "a.xh5");
        assert_eq!(h5_file_path(Path::new("/d/a.txt")).0, "a.h5");
        assert_eq!(h5_file_path(Path::new("/d/a")).0, "a.h5");
    }

    #[test]
    fn capitalize_as_pymodaq_utils() {
        assert_eq!(capitalize("detector"), "Detector");
        assert_eq!(capitalize("ch"), "Ch");
        assert_eq!(capitalize("data_logger"), "Data_logger");
    }
}
