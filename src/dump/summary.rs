//! Summaries of large datasets (count, min, max, exactly rounded sums), as the contract
//! gives them instead of the values.

use serde_json::Value as J;
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::hdf5::message::datatype::Datatype;
use crate::hdf5::read::Value;

use super::*;

/// Streaming digest of a big dataset or attribute.
pub(super) struct Summary {
    pub(super) vlen: bool,
    sha: Sha256,
    nbytes: u64,
    pub(super) first: Vec<J>,
    len: u64,
    int_sum: Option<i128>,
    float_sum: Option<FSum>,
}

impl Summary {
    pub(super) fn new(dt: &Datatype) -> Summary {
        Summary {
            vlen: dt.is_variable_length() || has_reference(dt),
            sha: Sha256::new(),
            nbytes: 0,
            first: Vec::new(),
            len: 0,
            int_sum: matches!(dt, Datatype::FixedPoint { .. }).then_some(0),
            float_sum: matches!(dt, Datatype::FloatingPoint { .. }).then(FSum::with_overflow_guard),
        }
    }

    pub(super) fn feed(&mut self, dt: &Datatype, raw: &[u8], vals: &[Value]) -> Result<()> {
        for v in vals {
            if self.first.len() < 4 {
                self.first.push(element_json(dt, v));
            }
        }
        let size = dt.size() as usize;
        self.len += (raw.len() / size.max(1)) as u64;
        if self.vlen {
            return Ok(());
        }
        // Narrow / offset numbers as HDF5 converts them for h5py, before hashing and summing.
        let (conv, size) = crate::hdf5::read::standard::standardize(dt, raw);
        let mut le = conv.into_owned();
        to_little_endian_sized(dt, &mut le, size);
        self.sha.update(&le);
        self.nbytes += le.len() as u64;
        match dt {
            Datatype::FixedPoint { signed, .. } => {
                if let Some(sum) = self.int_sum.as_mut() {
                    for el in le.chunks_exact(size) {
                        let u = read_uint(el, ByteOrder::LittleEndian).unwrap_or(0);
                        let v = if *signed {
                            sign_extend(u, size) as i128
                        } else {
                            u as i128
                        };
                        *sum = sum.saturating_add(v);
                    }
                }
            }
            Datatype::FloatingPoint { .. } => {
                // Other sizes (long double) from their fields, in the swapped byte order.
                let mut le_dt = dt.clone();
                if let Datatype::FloatingPoint { order, .. } = &mut le_dt {
                    *order = ByteOrder::LittleEndian;
                }
                if let Some(sum) = self.float_sum.as_mut() {
                    for el in le.chunks_exact(size) {
                        sum.add(
                            crate::hdf5::read::value::read_float(el, ByteOrder::LittleEndian)
                                .or_else(|| crate::hdf5::read::value::float_from_fields(&le_dt, el))
                                .unwrap_or(f64::NAN),
                        );
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn finish(self, m: &mut Map<String, J>, n: u64) {
        if self.vlen {
            m.insert("len".into(), json!(n));
            m.insert("first".into(), J::Array(self.first));
            return;
        }
        let hex: String = self
            .sha
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        m.insert("sha256_le".into(), J::String(hex));
        m.insert("nbytes".into(), json!(self.nbytes));
        m.insert("first".into(), J::Array(self.first));
        if let Some(s) = self.int_sum {
            m.insert(
                "sum".into(),
                if let Ok(v) = i64::try_from(s) {
                    json!(v)
                } else if let Ok(v) = u64::try_from(s) {
                    json!(v)
                } else {
                    float_json(s as f64)
                },
            );
        }
        if let Some(s) = self.float_sum {
            m.insert("sum".into(), float_json(s.value()));
        }
    }
}

/// [`to_little_endian`] for elements of `size` bytes: a float h5py widens (converted to
/// `size` bytes at top level) is one number to swap.
fn to_little_endian_sized(dt: &Datatype, le: &mut [u8], size: usize) {
    match dt {
        Datatype::FloatingPoint {
            size: own, order, ..
        } if *own as usize != size => {
            if *order == ByteOrder::BigEndian && size > 0 {
                le.chunks_exact_mut(size).for_each(|c| c.reverse());
            }
        }
        _ => to_little_endian(dt, le),
    }
}

/// Exactly rounded float sum (Shewchuk's algorithm, as Python's `math.fsum`).
#[derive(Default)]
pub struct FSum {
    partials: Vec<f64>,
    special: f64,
    inf: f64,
    /// The same sum of values scaled by 2^-128, used when the plain one overflows.
    scaled: Option<Box<FSum>>,
    overflowed: bool,
}

const DOWNSCALE: f64 = 2.938_735_877_055_719e-39; // 2^-128

impl FSum {
    /// Add a value.
    pub fn add(&mut self, x: f64) {
        if let Some(sc) = self.scaled.as_mut() {
            sc.add_plain(x * DOWNSCALE);
        }
        self.add_plain(x);
    }

    pub(super) fn add_plain(&mut self, mut x: f64) {
        if !x.is_finite() {
            if x.is_infinite() {
                self.inf += x;
            }
            self.special += x;
            return;
        }
        let mut i = 0;
        for j in 0..self.partials.len() {
            let mut y = self.partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            if !hi.is_finite() {
                self.overflowed = true;
            }
            let lo = y - (hi - x);
            if lo != 0.0 {
                self.partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        self.partials.truncate(i);
        self.partials.push(x);
    }

    /// Start tracking a scaled copy (call before the first `add` to survive overflow).
    pub fn with_overflow_guard() -> FSum {
        FSum {
            scaled: Some(Box::default()),
            ..FSum::default()
        }
    }

    /// The correctly rounded sum.
    pub fn value(&self) -> f64 {
        if self.special != 0.0 || self.special.is_nan() {
            return if self.inf.is_nan() {
                f64::NAN
            } else {
                self.special
            };
        }
        if self.overflowed {
            if let Some(sc) = &self.scaled {
                let v = sc.value();
                return v / DOWNSCALE;
            }
        }
        let p = &self.partials;
        let mut n = p.len();
        if n == 0 {
            return 0.0;
        }
        n -= 1;
        let mut hi = p[n];
        let mut lo = 0.0;
        while n > 0 {
            let x = hi;
            n -= 1;
            let y = p[n];
            hi = x + y;
            let yr = hi - x;
            lo = y - yr;
            if lo != 0.0 {
                break;
            }
        }
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            let yr = x - hi;
            if y == yr {
                hi = x;
            }
        }
        hi
    }
}
