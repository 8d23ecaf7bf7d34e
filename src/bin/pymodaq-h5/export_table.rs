//! Streaming text exports: CSV/TSV tables with axis columns, JSON, Logger lines. Values are read
//! slab by slab (`pymodaq_h5::export::Slabs`), formatted straight into the buffered output.

use std::io::Write;

use indicatif::ProgressBar;
use pymodaq_h5::export::Slabs;
use pymodaq_h5::hdf5::read::Datatype;
use pymodaq_h5::hdf5::read::{Dataset, Value};

use crate::export::{Format, Source};

/// Bytes of stored values decoded per slab (the memory bound is a small multiple of this).
pub const SLAB_BYTES: u64 = 4 << 20;

/// One slab of values in their natural Rust type.
pub enum Vals {
    F64(Vec<f64>),
    F32(Vec<f32>),
    I64(Vec<i64>),
    U64(Vec<u64>),
    Any(Vec<Value>),
}

impl Vals {
    pub fn read(d: &Dataset, sel: &[std::ops::Range<u64>]) -> pymodaq_h5::Result<Vals> {
        Ok(match &d.datatype {
            Datatype::FloatingPoint { size: 8, .. } => Vals::F64(d.read_slice(sel)?),
            Datatype::FloatingPoint { .. } => Vals::F32(d.read_slice(sel)?),
            Datatype::FixedPoint { signed: true, .. } => Vals::I64(d.read_slice(sel)?),
            Datatype::FixedPoint { signed: false, .. } => Vals::U64(d.read_slice(sel)?),
            _ => Vals::Any(d.values_selection(sel)?),
        })
    }

    pub fn len(&self) -> usize {
        match self {
            Vals::F64(v) => v.len(),
            Vals::F32(v) => v.len(),
            Vals::I64(v) => v.len(),
            Vals::U64(v) => v.len(),
            Vals::Any(v) => v.len(),
        }
    }

    /// Element `i` as CSV text (shortest round-trip floats; `nan`, `inf`).
    pub fn cell(&self, i: usize, out: &mut Vec<u8>) {
        match self {
            Vals::F64(v) => float(v.get(i).copied().unwrap_or(f64::NAN), out),
            Vals::F32(v) => float32(v.get(i).copied().unwrap_or(f32::NAN), out),
            Vals::I64(v) => {
                let _ = write!(out, "{}", v.get(i).copied().unwrap_or(0));
            }
            Vals::U64(v) => {
                let _ = write!(out, "{}", v.get(i).copied().unwrap_or(0));
            }
            Vals::Any(v) => match v.get(i) {
                Some(Value::Bool(b)) => {
                    let _ = write!(out, "{b}");
                }
                Some(Value::Bitfield(u)) => {
                    let _ = write!(out, "{u}");
                }
                Some(Value::Enum { value, .. }) => {
                    let _ = write!(out, "{value}");
                }
                Some(Value::Complex { re, im, .. }) => {
                    let _ = write!(out, "{re}{im:+}j");
                }
                Some(Value::FixedString(b)) | Some(Value::VarString(b)) => {
                    quote(&String::from_utf8_lossy(b), b',', out)
                }
                Some(other) => quote(&pymodaq_h5::dump::value_json(other).to_string(), b',', out),
                None => {}
            },
        }
    }

    /// Element `i` as JSON text.
    pub fn json(&self, i: usize, out: &mut Vec<u8>) {
        match self {
            Vals::F64(v) => json_float(v.get(i).copied().unwrap_or(f64::NAN), out),
            Vals::F32(v) => {
                let x = v.get(i).copied().unwrap_or(f32::NAN);
                if x.is_finite() {
                    float32(x, out);
                } else {
                    json_float(x as f64, out)
                }
            }
            Vals::Any(v) => {
                let j = v
                    .get(i)
                    .map(pymodaq_h5::dump::value_json)
                    .unwrap_or(serde_json::Value::Null);
                let _ = write!(out, "{j}");
            }
            other => other.cell(i, out),
        }
    }
}

/// Shortest round-trip text: positional in [1e-4, 1e16) (Rust's `{}`), else scientific
/// (`5.2631578947368416e-8`), so tiny axis steps stay readable; `nan`, `inf`.
fn float(x: f64, out: &mut Vec<u8>) {
    if x.is_nan() {
        out.extend_from_slice(b"nan");
    } else if x.is_infinite() {
        out.extend_from_slice(if x > 0.0 { b"inf" } else { b"-inf" });
    } else if x == 0.0 || (1e-4..1e16).contains(&x.abs()) {
        let _ = write!(out, "{x}");
    } else {
        let _ = write!(out, "{x:e}");
    }
}

fn float32(x: f32, out: &mut Vec<u8>) {
    if x.is_finite() && !(x == 0.0 || (1e-4..1e16).contains(&x.abs())) {
        let _ = write!(out, "{x:e}");
    } else if x.is_finite() {
        let _ = write!(out, "{x}");
    } else {
        float(x as f64, out)
    }
}

fn json_float(x: f64, out: &mut Vec<u8>) {
    if x.is_finite() {
        float(x, out);
    } else {
        out.push(b'"');
        float(x, out);
        out.push(b'"');
    }
}

/// A CSV/TSV cell, quoted when it holds the separator, a quote or a line break.
fn quote(s: &str, sep: u8, out: &mut Vec<u8>) {
    if s.bytes()
        .any(|c| c == sep || c == b'"' || c == b'\n' || c == b'\r')
    {
        out.push(b'"');
        out.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

fn axis_header(a: &pymodaq_h5::pymodaq::model::Axis, dim: usize) -> String {
    let label = if a.label.is_empty() {
        format!("axis{dim}")
    } else {
        a.label.clone()
    };
    if a.units.is_empty() {
        label
    } else {
        format!("{label} ({})", a.units)
    }
}

/// The table: `# description`, header row, rows. PyMoDAQ data and N-D plain data: one row per
/// value with the axis values (or indexes) of its position; plain 1-D/2-D: the values as they
/// are laid out (a column, a matrix).
pub fn write_table(
    o: &mut impl Write,
    src: &Source,
    sep: u8,
    pb: &ProgressBar,
) -> anyhow::Result<()> {
    let nd = src.shape.len();
    let mut line = Vec::with_capacity(1 << 16);
    line.extend_from_slice(b"# ");
    line.extend_from_slice(src.description.as_bytes());
    line.push(b'\n');
    let long = src.pymodaq || nd > 2;
    // Per stored dimension: the axis columns' texts, formatted once (axes are small).
    let mut cols: Vec<(usize, Vec<Vec<u8>>)> = Vec::new();
    if long {
        let mut headers: Vec<String> = Vec::new();
        for dim in 0..nd {
            let mine: Vec<&pymodaq_h5::pymodaq::model::Axis> = src
                .axes
                .iter()
                .filter(|(d, _)| *d == dim)
                .map(|(_, a)| a)
                .collect();
            let size = src.shape[dim] as usize;
            if mine.is_empty() {
                // A dimension of size 1 that PyMoDAQ squeezes away carries no column.
                if src.pymodaq && size == 1 {
                    continue;
                }
                headers.push(format!("index{dim}"));
                cols.push((dim, Vec::new()));
                continue;
            }
            for a in mine {
                headers.push(axis_header(a, dim));
                let vals = a.get_data();
                let texts: Vec<Vec<u8>> = (0..size.min(1 << 24))
                    .map(|k| {
                        let mut t = Vec::new();
                        match vals.get(k) {
                            Some(v) => float(*v, &mut t),
                            None => t.extend_from_slice(b"nan"),
                        }
                        t
                    })
                    .collect();
                cols.push((dim, texts));
            }
        }
        headers.push(src.value_header.clone());
        for (i, h) in headers.iter().enumerate() {
            if i > 0 {
                line.push(sep);
            }
            quote(h, sep, &mut line);
        }
        line.push(b'\n');
    } else if nd <= 1 {
        quote(&src.value_header, sep, &mut line);
        line.push(b'\n');
    }
    o.write_all(&line)?;
    line.clear();
    let row_len = if nd == 2 && !long {
        src.shape[1].max(1) as usize
    } else {
        1
    };
    let elem = src.d.datatype.size();
    let mut idx = vec![0u64; nd];
    for sel in Slabs::new(&src.d, SLAB_BYTES) {
        let vals = Vals::read(&src.d, &sel)?;
        if let Some(first) = sel.first() {
            idx.iter_mut().for_each(|x| *x = 0);
            if let Some(i0) = idx.first_mut() {
                *i0 = first.start;
            }
        }
        for i in 0..vals.len() {
            if long {
                for (dim, texts) in &cols {
                    let k = idx.get(*dim).copied().unwrap_or(0);
                    match texts.get(k as usize) {
                        Some(t) => line.extend_from_slice(t),
                        None => {
                            let _ = write!(line, "{k}");
                        }
                    }
                    line.push(sep);
                }
                vals.cell(i, &mut line);
                line.push(b'\n');
                // Next position, C order.
                for dim in (0..nd).rev() {
                    idx[dim] += 1;
                    if idx[dim] < src.shape[dim] || dim == 0 {
                        break;
                    }
                    idx[dim] = 0;
                }
            } else {
                vals.cell(i, &mut line);
                line.push(if (i + 1) % row_len == 0 { b'\n' } else { sep });
            }
            spill(o, &mut line, false)?;
        }
        spill(o, &mut line, true)?;
        pb.inc((vals.len() as u64).saturating_mul(elem));
    }
    Ok(())
}

/// One JSON document: `{"format": "pymodaq-h5-export/1", file/node/name, shape, dtype, label,
/// units, axes: [{label, units, index, dimension, values}], values: [C order]}`.
pub fn write_json(o: &mut impl Write, src: &Source, pb: &ProgressBar) -> anyhow::Result<()> {
    let axes: Vec<serde_json::Value> = src
        .axes
        .iter()
        .map(|(dim, a)| {
            serde_json::json!({
                "label": a.label,
                "units": a.units,
                "index": a.index,
                "dimension": dim,
                "values": a.get_data().iter().map(|v| pymodaq_h5::pymodaq::load_json::float_json(*v)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let head = serde_json::json!({
        "format": "pymodaq-h5-export/1",
        "node": src.path,
        "description": src.description,
        "shape": src.shape,
        "dtype": pymodaq_h5::hdf5::read::dataset::type_summary(&src.d.datatype),
        "label": src.label,
        "units": src.units,
        "axes": axes,
    });
    let mut text = serde_json::to_string(&head)?;
    text.pop(); // the closing brace: the values follow
    o.write_all(text.as_bytes())?;
    o.write_all(b",\"values\":[")?;
    let elem = src.d.datatype.size();
    let mut line = Vec::with_capacity(1 << 16);
    let mut first = true;
    for sel in Slabs::new(&src.d, SLAB_BYTES) {
        let vals = Vals::read(&src.d, &sel)?;
        for i in 0..vals.len() {
            if !first {
                line.push(b',');
            }
            first = false;
            vals.json(i, &mut line);
            spill(o, &mut line, false)?;
        }
        spill(o, &mut line, true)?;
        pb.inc((vals.len() as u64).saturating_mul(elem));
    }
    o.write_all(b"]}\n")?;
    Ok(())
}

/// The Logger's lines: one per line (txt, csv, tsv; csv/tsv with a `log` header), or a JSON
/// list. PyMoDAQ's txt exporter writes them with `%s`, one per line.
pub fn write_logger(o: &mut impl Write, lines: &[String], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer(&mut *o, lines)?;
            o.write_all(b"\n")?;
        }
        Format::Csv | Format::Tsv => {
            let sep = if format == Format::Csv { b',' } else { b'\t' };
            o.write_all(b"log\n")?;
            for l in lines {
                let mut b = Vec::new();
                quote(l, sep, &mut b);
                b.push(b'\n');
                o.write_all(&b)?;
            }
        }
        Format::Txt => {
            for l in lines {
                writeln!(o, "{l}")?;
            }
        }
        Format::Npy | Format::Npz | Format::H5 => {
            anyhow::bail!("the Logger holds text: export it to .txt, .csv or .json")
        }
    }
    Ok(())
}

/// Writes the buffered `line` out once it holds 64 KiB, or now with `now`.
fn spill(o: &mut impl Write, line: &mut Vec<u8>, now: bool) -> std::io::Result<()> {
    if now || line.len() > 1 << 16 {
        o.write_all(line)?;
        line.clear();
    }
    Ok(())
}
