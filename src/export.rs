//! Exporting datasets to formats other tools read: NumPy `.npy` (any numeric, bool or
//! complex dataset, every shape) and CSV (1-D and 2-D numeric data).

use crate::error::{Error, Result};
use crate::hdf5::message::datatype::Datatype;
use crate::hdf5::read::value::{complex_parts, is_bool_enum, to_little_endian};
use crate::hdf5::read::{Dataset, Value};

/// Bytes read per slab when streaming a whole dataset: `check` stays well under 64 MiB of
/// RSS whatever the dataset size (tests/cli_memory.rs).
const SLAB_BYTES: u64 = 8 << 20;

/// Read every value of `d` slab by slab (bounded memory); fails on the first damaged or
/// unsupported part. Variable-length data is decoded whole; fixed-size data is read raw and
/// its first element decoded, so a type `dump` cannot render (e.g. an unsupported float
/// format) fails here too. Used by `check`.
pub fn read_all_checked(d: &Dataset) -> Result<u64> {
    let dims = d.shape().to_vec();
    if dims.is_empty() || d.is_empty() {
        d.values()?;
        return Ok(d.len());
    }
    if !d.datatype.is_variable_length() {
        let first: Vec<_> = dims.iter().map(|_| 0..1).collect();
        d.values_selection(&first)?;
    }
    let row_bytes = dims
        .iter()
        .skip(1)
        .product::<u64>()
        .max(1)
        .saturating_mul(d.datatype.size())
        .max(1);
    let rows = (SLAB_BYTES / row_bytes).max(1);
    let mut r = 0;
    while r < dims[0] {
        let end = (r + rows).min(dims[0]);
        let mut sel = d.full_selection();
        sel[0] = r..end;
        if d.datatype.is_variable_length()
            || crate::hdf5::read::value::decodes_per_element(&d.datatype)
        {
            d.values_selection(&sel)?;
        } else {
            d.read_raw_selection(&sel)?;
        }
        r = end;
    }
    Ok(d.len())
}

/// The hyperslabs of a dataset along its first dimension, each at most about `max_bytes`
/// (at least one row): streaming a dataset of any size through bounded memory.
///
/// ```no_run
/// # let file = pymodaq_h5::hdf5::read::File::open("scan.h5")?;
/// # let pymodaq_h5::hdf5::read::Node::Dataset(d) = file.get("/x")? else { return Ok(()) };
/// for sel in pymodaq_h5::export::Slabs::new(&d, 4 << 20) {
///     let part: Vec<f64> = d.read_slice(&sel)?;
/// }
/// # Ok::<(), pymodaq_h5::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Slabs {
    full: Vec<std::ops::Range<u64>>,
    rows_per: u64,
    next: u64,
    done: bool,
}

impl Slabs {
    /// Slabs of about `max_bytes` of `d` (a scalar or empty dataset: one selection, the whole).
    pub fn new(d: &Dataset, max_bytes: u64) -> Slabs {
        let full = d.full_selection();
        let row_bytes = d
            .shape()
            .iter()
            .skip(1)
            .try_fold(1u64, |a, &x| a.checked_mul(x))
            .unwrap_or(u64::MAX)
            .max(1)
            .saturating_mul(d.datatype.size().max(1));
        Slabs {
            full,
            rows_per: (max_bytes / row_bytes).max(1),
            next: 0,
            done: false,
        }
    }
}

impl Iterator for Slabs {
    type Item = Vec<std::ops::Range<u64>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let Some(first) = self.full.first().cloned() else {
            self.done = true;
            return Some(Vec::new());
        };
        if first.end == 0 {
            self.done = true;
            return Some(self.full.clone());
        }
        if self.next >= first.end {
            self.done = true;
            return None;
        }
        let end = self.next.saturating_add(self.rows_per).min(first.end);
        let mut sel = self.full.clone();
        sel[0] = self.next..end;
        self.next = end;
        Some(sel)
    }
}

/// The `.npy` header (magic, version 1.0, dict padded to 64 bytes) for `descr` and `shape`.
pub fn npy_header(descr: &str, shape: &[u64]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|x| x.to_string()).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out
}

/// The NumPy dtype descriptor of a file type we can export (`<f8`, `|u1`, `|b1`, `<c16`).
pub fn npy_descr(dt: &Datatype) -> Result<String> {
    let unsupported = || {
        Error::Usage(format!(
            "cannot export a {} dataset to .npy",
            crate::hdf5::read::dataset::class_name(dt)
        ))
    };
    Ok(match dt {
        Datatype::FixedPoint { size, signed, .. } => {
            format!(
                "{}{}{}",
                if *size == 1 { "|" } else { "<" },
                if *signed { "i" } else { "u" },
                size
            )
        }
        Datatype::FloatingPoint { size, .. } => format!("<f{size}"),
        Datatype::Bitfield { size: 1, .. } => "|u1".into(),
        Datatype::Enum { .. } if is_bool_enum(dt) => "|b1".into(),
        Datatype::String { size, .. } => format!("|S{size}"),
        Datatype::Compound { size, .. } if complex_parts(dt).is_some() => format!("<c{size}"),
        _ => return Err(unsupported()),
    })
}

/// The dataset as a `.npy` file image (little-endian data, C order).
pub fn to_npy(d: &Dataset) -> Result<Vec<u8>> {
    let descr = npy_descr(&d.datatype)?;
    let mut raw = d.read_raw()?;
    to_little_endian(&d.datatype, &mut raw);
    let mut out = npy_header(&descr, d.shape());
    out.extend_from_slice(&raw);
    Ok(out)
}

/// The dataset as CSV: one row per line (1-D: one value per line).
pub fn to_csv(d: &Dataset) -> Result<Vec<u8>> {
    let dims = d.shape();
    if dims.len() > 2 {
        return Err(Error::Usage(format!(
            "CSV export needs 1-D or 2-D data, this is {}-D",
            dims.len()
        )));
    }
    let vals = d.values()?;
    let cols = if dims.len() == 2 {
        dims[1].max(1) as usize
    } else {
        1
    };
    let cell = |v: &Value| -> Result<String> {
        Ok(match v {
            Value::Int(i) => i.to_string(),
            Value::UInt(u) | Value::Bitfield(u) => u.to_string(),
            Value::Float { v, bits } => match bits {
                32 => format!("{}", *v as f32),
                _ => format!("{v}"),
            },
            Value::Bool(b) => b.to_string(),
            Value::Enum { value, .. } => value.to_string(),
            Value::Complex { re, im, .. } => format!("{re}{im:+}j"),
            Value::FixedString(b) | Value::VarString(b) => {
                let t = String::from_utf8_lossy(b);
                format!("\"{}\"", t.replace('"', "\"\""))
            }
            _ => {
                return Err(Error::Usage(
                    "CSV export supports numbers, booleans and strings".into(),
                ))
            }
        })
    };
    let mut out = String::new();
    for row in vals.chunks(cols) {
        let cells: Result<Vec<String>> = row.iter().map(cell).collect();
        out.push_str(&cells?.join(","));
        out.push('\n');
    }
    Ok(out.into_bytes())
}
