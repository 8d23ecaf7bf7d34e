//! Saver scripts: a JSON list of saver calls (`pymodaq-h5-script/1`), replayed through our
//! savers by `pymodaq-h5 script`, and through PyMoDAQ's real savers by
//! `tests/py/pymodaq_script.py`, so both files can be compared. The format is documented in
//! `spec/pymodaq-write.md`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value as J;

use crate::error::{Error, Result};
use crate::pymodaq::attrs::pyliteral::PyValue;
use crate::pymodaq::import::{
    axis_from_json, dte_from_json, dwa_from_json, f64_from_json, metadata_from_json, JsonError,
};
use crate::pymodaq::model::DataDistribution;

use crate::pymodaq::backend::Flavour;
use crate::pymodaq::save::data_saving::{
    AxisSaverLoader, DataEnlargeableSaver, DataExtendedSaver, DataSaverLoader,
    DataToExportEnlargeableSaver, DataToExportExtendedSaver, DataToExportSaver,
    DataToExportTimedSaver,
};
use crate::pymodaq::save::saving::{Clock, H5Saver, InitOptions, SaveType};

fn jerr(e: JsonError) -> Error {
    Error::Usage(e.to_string())
}

fn bad(path: &str, m: impl Into<String>) -> Error {
    Error::Usage(format!("{path}: {}", m.into()))
}

fn s<'a>(op: &'a J, path: &str, key: &str) -> Result<&'a str> {
    op.get(key)
        .and_then(J::as_str)
        .ok_or_else(|| bad(&format!("{path}.{key}"), "expected a string"))
}

fn s_or<'a>(op: &'a J, key: &str, d: &'a str) -> &'a str {
    op.get(key).and_then(J::as_str).unwrap_or(d)
}

fn strs(op: &J, path: &str, key: &str, d: &[&str]) -> Result<Vec<String>> {
    match op.get(key) {
        None | Some(J::Null) => Ok(d.iter().map(|x| x.to_string()).collect()),
        Some(J::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| bad(&format!("{path}.{key}"), "expected strings"))
            })
            .collect(),
        Some(_) => Err(bad(&format!("{path}.{key}"), "expected a list")),
    }
}

fn u64s(op: &J, path: &str, key: &str) -> Result<Vec<u64>> {
    op.get(key)
        .and_then(J::as_array)
        .ok_or_else(|| bad(&format!("{path}.{key}"), "expected a list"))?
        .iter()
        .map(|x| {
            x.as_u64()
                .ok_or_else(|| bad(&format!("{path}.{key}"), "expected integers"))
        })
        .collect()
}

fn distribution(op: &J, path: &str) -> Result<DataDistribution> {
    DataDistribution::from_name(s_or(op, "distribution", "uniform"))
        .map_err(|e| bad(&format!("{path}.distribution"), e.to_string()))
}

enum Saver {
    Enl(DataEnlargeableSaver),
    DteEnl(DataToExportEnlargeableSaver),
    Timed(DataToExportTimedSaver),
    Ext(DataExtendedSaver),
    DteExt(DataToExportExtendedSaver),
}

/// Replay `script` into a new file at `out`.
pub fn run_script(script: &J, out: &Path) -> Result<()> {
    match script.get("format").and_then(J::as_str) {
        Some("pymodaq-h5-script/1") => {}
        _ => return Err(bad("format", "expected \"pymodaq-h5-script/1\"")),
    }
    let flavour = Flavour::from_name(s_or(script, "backend", "tables"))
        .ok_or_else(|| bad("backend", "expected \"tables\" or \"h5py\""))?;
    let save_type = SaveType::from_name(s_or(script, "save_type", "custom"))
        .ok_or_else(|| bad("save_type", "unknown save type"))?;
    let mut opts = InitOptions {
        flavour,
        save_type,
        metadata: metadata_from_json(script.get("metadata"), "metadata").map_err(jerr)?,
        compression: script
            .get("compression")
            .and_then(J::as_u64)
            .map(|l| l as u32),
        ..InitOptions::default()
    };
    opts.swmr = script.get("swmr").and_then(J::as_bool).unwrap_or(false);
    opts.nexus_hints = script
        .get("nexus_hints")
        .and_then(J::as_bool)
        .unwrap_or(true);
    if let Some(v) = script.get("pymodaq_version").and_then(J::as_str) {
        opts.pymodaq_version = v.into();
    }
    if let Some(v) = script.get("pymodaq_data_version").and_then(J::as_str) {
        opts.pymodaq_data_version = v.into();
    }
    if let (Some(d), Some(t)) = (
        script.get("date").and_then(J::as_str),
        script.get("time").and_then(J::as_str),
    ) {
        opts.clock = Clock::Fixed {
            date: d.into(),
            time: t.into(),
            epoch: script.get("epoch").and_then(J::as_f64).unwrap_or(0.0),
            step: 0.5,
        };
    }
    let mut h5 = H5Saver::init_file(out, opts)?;
    let ops = script
        .get("ops")
        .and_then(J::as_array)
        .ok_or_else(|| bad("ops", "expected a list"))?;
    let mut savers: BTreeMap<String, Saver> = BTreeMap::new();
    for (i, op) in ops.iter().enumerate() {
        let p = format!("ops[{i}]");
        run_op(&mut h5, &mut savers, op, &p).map_err(|e| match e {
            Error::Usage(m) if !m.starts_with("ops[") => Error::Usage(format!("{p}: {m}")),
            other => other,
        })?;
    }
    h5.close_file()
}

fn run_op(h5: &mut H5Saver, savers: &mut BTreeMap<String, Saver>, op: &J, p: &str) -> Result<()> {
    let name = s(op, p, "op")?;
    let where_ = || s(op, p, "where");
    let now = h5.now();
    let dwa = |key: &str| -> Result<_> {
        dwa_from_json(
            op.get(key)
                .ok_or_else(|| bad(&format!("{p}.{key}"), "required"))?,
            &format!("{p}.{key}"),
            now,
        )
        .map_err(jerr)
    };
    let dte = || -> Result<_> {
        dte_from_json(
            op.get("dte")
                .ok_or_else(|| bad(&format!("{p}.dte"), "required"))?,
            &format!("{p}.dte"),
            now,
        )
        .map_err(jerr)
    };
    let settings = || -> Result<PyValue> {
        match op.get("settings") {
            None | Some(J::Null) => Ok(PyValue::Str(String::new())),
            Some(v) => {
                crate::pymodaq::import::py_from_json(v, &format!("{p}.settings")).map_err(jerr)
            }
        }
    };
    let metadata =
        || metadata_from_json(op.get("metadata"), &format!("{p}.metadata")).map_err(jerr);
    let id = || s(op, p, "id").map(str::to_string);
    // An extended saver's scan point: (where, indexes, distribution).
    let scan_point =
        || -> Result<_> { Ok((where_()?, u64s(op, p, "indexes")?, distribution(op, p)?)) };
    match name {
        "add_log" => h5.add_log(s(op, p, "msg")?),
        "add_det_group" | "add_act_group" | "add_scan_group" | "add_ch_group" => {
            let (w, t, st, md) = (
                where_()?.to_string(),
                s_or(op, "title", "").to_string(),
                settings()?,
                metadata()?,
            );
            match name {
                "add_det_group" => h5.add_det_group(&w, &t, &st, &md),
                "add_act_group" => h5.add_act_group(&w, &t, &st, &md),
                "add_scan_group" => h5.add_scan_group(&w, &t, &st, &md),
                _ => h5.add_ch_group(&w, &t, &st, &md),
            }
            .map(|_| ())
        }
        "add_incremental_group" => {
            let (w, t, st, md) = (
                where_()?.to_string(),
                s_or(op, "title", "").to_string(),
                settings()?,
                metadata()?,
            );
            h5.add_incremental_group(s(op, p, "group_type")?, &w, &t, &st, &md)
                .map(|_| ())
        }
        "get_set_group" => h5
            .get_set_group(where_()?, s(op, p, "name")?, s_or(op, "title", ""))
            .map(|_| ()),
        "add_axis" => {
            let ax = axis_from_json(
                op.get("axis")
                    .ok_or_else(|| bad(&format!("{p}.axis"), "required"))?,
                &format!("{p}.axis"),
            )
            .map_err(jerr)?;
            let enl = op.get("enlargeable").and_then(J::as_bool).unwrap_or(false);
            AxisSaverLoader::add_axis(h5, where_()?, &ax, enl).map(|_| ())
        }
        "add_data" => {
            let d = dwa("dwa")?;
            let saver = match s_or(op, "saver", "data") {
                "data" => DataSaverLoader::new(),
                "bkg" => DataSaverLoader::bkg(),
                other => {
                    return Err(bad(
                        &format!("{p}.saver"),
                        format!("unknown saver {other:?}"),
                    ))
                }
            };
            let save_axes = op.get("save_axes").and_then(J::as_bool).unwrap_or(true);
            let kw = metadata_from_json(op.get("kw"), &format!("{p}.kw")).map_err(jerr)?;
            saver.add_data(h5, where_()?, &d, save_axes, &kw)
        }
        "dte_add_data" => {
            let kw = metadata_from_json(op.get("kw"), &format!("{p}.kw")).map_err(jerr)?;
            DataToExportSaver::add_data(h5, where_()?, &dte()?, s_or(op, "settings", ""), &kw)
        }
        "dte_add_bkg" => DataToExportSaver::add_bkg(h5, where_()?, &dte()?),
        "enl_add_data" => {
            let names = strs(op, p, "names", &["nav axis"])?;
            let units = strs(op, p, "units", &[""])?;
            let d = dwa("dwa")?;
            let vals: Option<Vec<f64>> = match op.get("axis_values") {
                None | Some(J::Null) => None,
                Some(J::Array(a)) => Some(
                    a.iter()
                        .map(|x| f64_from_json(x, &format!("{p}.axis_values")))
                        .collect::<std::result::Result<_, _>>()
                        .map_err(jerr)?,
                ),
                Some(_) => return Err(bad(&format!("{p}.axis_values"), "expected a list")),
            };
            let key = id()?;
            let n: Vec<&str> = names.iter().map(String::as_str).collect();
            let u: Vec<&str> = units.iter().map(String::as_str).collect();
            let entry = savers
                .entry(key)
                .or_insert_with(|| Saver::Enl(DataEnlargeableSaver::new(&n, &u)));
            let Saver::Enl(sv) = entry else {
                return Err(bad(&format!("{p}.id"), "names a saver of another kind"));
            };
            sv.add_data(h5, where_()?, &d, vals.as_deref())
        }
        "dte_enl_add_data" | "dte_timed_add_data" => {
            let key = id()?;
            let data = dte()?;
            if name == "dte_timed_add_data" {
                let entry = savers
                    .entry(key)
                    .or_insert_with(|| Saver::Timed(DataToExportTimedSaver::new()));
                let Saver::Timed(sv) = entry else {
                    return Err(bad(&format!("{p}.id"), "names a saver of another kind"));
                };
                return sv.add_data(h5, where_()?, &data);
            }
            let names = strs(op, p, "names", &["nav axis"])?;
            let units = strs(op, p, "units", &[""])?;
            let vals: Vec<f64> = op
                .get("axis_values")
                .and_then(J::as_array)
                .ok_or_else(|| bad(&format!("{p}.axis_values"), "expected a list"))?
                .iter()
                .map(|x| f64_from_json(x, &format!("{p}.axis_values")))
                .collect::<std::result::Result<_, _>>()
                .map_err(jerr)?;
            let n: Vec<&str> = names.iter().map(String::as_str).collect();
            let u: Vec<&str> = units.iter().map(String::as_str).collect();
            if !savers.contains_key(&key) {
                savers.insert(
                    key.clone(),
                    Saver::DteEnl(DataToExportEnlargeableSaver::new(&n, &u)?),
                );
            }
            let Some(Saver::DteEnl(sv)) = savers.get(&key) else {
                return Err(bad(&format!("{p}.id"), "names a saver of another kind"));
            };
            sv.add_data(h5, where_()?, &data, &vals)
        }
        "ext_add_data" => {
            let shape = u64s(op, p, "shape")?;
            let key = id()?;
            let d = dwa("dwa")?;
            let entry = savers
                .entry(key)
                .or_insert_with(|| Saver::Ext(DataExtendedSaver::new(&shape)));
            let Saver::Ext(sv) = entry else {
                return Err(bad(&format!("{p}.id"), "names a saver of another kind"));
            };
            let (w, indexes, dist) = scan_point()?;
            sv.add_data(h5, w, &d, &indexes, dist)
        }
        "dte_ext_add_nav_axes" | "dte_ext_add_data" => {
            let shape = u64s(op, p, "shape")?;
            let key = id()?;
            let entry = savers
                .entry(key)
                .or_insert_with(|| Saver::DteExt(DataToExportExtendedSaver::new(&shape)));
            let Saver::DteExt(sv) = entry else {
                return Err(bad(&format!("{p}.id"), "names a saver of another kind"));
            };
            if name == "dte_ext_add_nav_axes" {
                let list = op
                    .get("axes")
                    .and_then(J::as_array)
                    .ok_or_else(|| bad(&format!("{p}.axes"), "expected a list"))?;
                let axes = list
                    .iter()
                    .enumerate()
                    .map(|(i, a)| axis_from_json(a, &format!("{p}.axes[{i}]")))
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(jerr)?;
                sv.add_nav_axes(h5, where_()?, &axes)
            } else {
                let data = dte()?;
                let (w, indexes, dist) = scan_point()?;
                sv.add_data(h5, w, &data, &indexes, dist)
            }
        }
        "flush" => h5.flush(),
        other => Err(bad(
            &format!("{p}.op"),
            format!("unknown operation {other:?}"),
        )),
    }
}
