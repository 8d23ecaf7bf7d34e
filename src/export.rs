//! Exporting datasets to formats other tools read: NumPy `.npy` (any numeric, bool or
//! complex dataset, every shape) and CSV (1-D and 2-D numeric data).

use crate::error::{Error, Result};
use crate::hdf5::message::datatype::Datatype;
use crate::hdf5::read::value::{complex_parts, is_bool_enum, to_little_endian};
use crate::hdf5::read::{Dataset, Value};

/// Rows read per slab when streaming a whole dataset.
const SLAB_BYTES: u64 = 32 << 20;

/// Read every value of `d` slab by slab (bounded memory), decoding each; fails on the first
/// damaged or unsupported part. Used by `check`.
pub fn read_all_checked(d: &Dataset) -> Result<u64> {
    let dims = d.shape().to_vec();
    if dims.is_empty() || d.is_empty() {
        d.values()?;
        return Ok(d.len());
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
        if d.datatype.is_variable_length() {
            d.values_selection(&sel)?;
        } else {
            d.read_raw_selection(&sel)?;
        }
        r = end;
    }
    Ok(d.len())
}

/// The NumPy dtype descriptor of a file type we can export (`<f8`, `|u1`, `|b1`, `<c16`).
fn npy_descr(dt: &Datatype) -> Result<String> {
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
    let shape: Vec<String> = d.shape().iter().map(|x| x.to_string()).collect();
    let shape = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!("({})", shape.join(", ")),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // Magic (6) + version (2) + header length (2) + header, padded with spaces to 64, ending in \n.
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + raw.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
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
