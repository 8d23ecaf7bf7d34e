//! A small typed N-d array: numpy dtype + C-order shape + little-endian bytes.
//!
//! PyMoDAQ hands numpy arrays around; we keep exactly the bytes numpy would hold (so the
//! SHA-256 of the C-order little-endian bytes is the one numpy gives) and decode values on
//! demand. Only the element types PyMoDAQ files hold are modelled (bool, ints, floats, complex).

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
pub use crate::pymodaq::dtype::DType;
use crate::pymodaq::model::lazy::Bytes;
pub use crate::pymodaq::model::lazy::{ArraySource, Slabs};

/// Lower-case hex of `bytes` (a digest as `load --json` and `hashlib` write it).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One element, decoded.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    /// A bool.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A float (any width, widened).
    Float(f64),
    /// A complex number.
    Complex(f64, f64),
}

impl Scalar {
    /// The value as f64 (real part for complex, 0/1 for bool).
    pub fn as_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => f64::from(u8::from(b)),
            Scalar::Int(i) => i as f64,
            Scalar::UInt(u) => u as f64,
            Scalar::Float(f) => f,
            Scalar::Complex(re, _) => re,
        }
    }
}

/// An N-d array as numpy holds it.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq)]
pub struct NdArray {
    /// Element type.
    pub dtype: DType,
    /// Shape (C order); `[]` is a 0-d array.
    pub shape: Vec<usize>,
    /// In memory, or read on first touch (see [`NdArray::lazy`]).
    pub(crate) bytes: Bytes,
}

impl NdArray {
    /// An array from little-endian C-order bytes; the byte count must match the shape.
    pub fn from_le_bytes(dtype: DType, shape: Vec<usize>, bytes: Vec<u8>) -> Result<NdArray> {
        let n = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .and_then(|n| n.checked_mul(dtype.size()));
        if n != Some(bytes.len()) {
            return Err(Error::Usage(format!(
                "{} bytes do not make a {} array of shape {shape:?}",
                bytes.len(),
                dtype.name()
            )));
        }
        Ok(NdArray {
            dtype,
            shape,
            bytes: Bytes::Owned(bytes),
        })
    }

    /// An array whose bytes `source` reads on first touch ([`NdArray::le_bytes`],
    /// [`NdArray::get`], ...) and keeps; [`NdArray::slabs`] streams them without keeping.
    /// The source's element count must match the shape. A failed read is an error of
    /// [`NdArray::try_le_bytes`] (the infallible accessors see no bytes).
    pub fn lazy(dtype: DType, shape: Vec<usize>, source: Box<dyn ArraySource>) -> Result<NdArray> {
        let n = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d as u64));
        let m = source
            .shape()
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d));
        if n.is_none() || n != m {
            return Err(Error::Usage(format!(
                "a source of shape {:?} does not make an array of shape {shape:?}",
                source.shape()
            )));
        }
        Ok(NdArray {
            dtype,
            shape,
            bytes: Bytes::lazy(source),
        })
    }

    /// Whether the bytes are still to be read (a lazy array not yet touched).
    pub fn is_pending(&self) -> bool {
        self.bytes.is_pending()
    }

    /// The little-endian C-order bytes, read now if the array is lazy (the read's error).
    pub fn try_le_bytes(&self) -> Result<&[u8]> {
        self.bytes.try_get()
    }

    /// The little-endian C-order bytes in consecutive pieces of about `max_bytes` (whole
    /// elements; at least one element, more when the array's innermost block is larger).
    /// A lazy array not yet read is read piece by piece from its source and nothing is kept,
    /// so streaming an array of any size holds one piece (plus the chunks it touches).
    pub fn slabs(&self, max_bytes: usize) -> Slabs<'_> {
        Slabs::new(&self.bytes, self.dtype.size(), max_bytes)
    }

    /// `a.take(index, axis)`: the slice at `index` along `axis` (that dimension removed).
    pub fn take_index(&self, axis: usize, index: usize) -> std::result::Result<NdArray, String> {
        let n = *self.shape.get(axis).ok_or_else(|| {
            format!(
                "axis {axis} is out of bounds for a {}-d array",
                self.shape.len()
            )
        })?;
        if index >= n {
            return Err(format!(
                "index {index} is out of bounds for axis {axis} with size {n}"
            ));
        }
        let outer: usize = self.shape[..axis].iter().product();
        let inner: usize = self.shape[axis + 1..].iter().product::<usize>() * self.dtype.size();
        let mut bytes = Vec::with_capacity(outer * inner);
        let src = self.le_bytes();
        for o in 0..outer {
            let start = (o * n + index) * inner;
            let part = src
                .get(start..start + inner)
                .ok_or_else(|| "array bytes out of range".to_string())?;
            bytes.extend_from_slice(part);
        }
        let mut shape = self.shape.clone();
        shape.remove(axis);
        Ok(NdArray {
            dtype: self.dtype,
            shape,
            bytes: Bytes::Owned(bytes),
        })
    }

    /// A float64 array from values.
    pub fn from_f64(shape: Vec<usize>, values: &[f64]) -> Result<NdArray> {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        NdArray::from_le_bytes(DType::Float64, shape, bytes)
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match self.bytes.resident() {
            Some(b) => b.len() / self.dtype.size(),
            // The shape's product (checked at construction): a lazy array is not read.
            None => self.shape.iter().product(),
        }
    }

    /// Whether the array has no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The little-endian C-order bytes.
    /// A lazy array is read now (empty if that fails: [`NdArray::try_le_bytes`] says why).
    pub fn le_bytes(&self) -> &[u8] {
        self.bytes.get()
    }

    /// The bytes, moved out (copied from a lazy array).
    pub fn into_le_bytes(self) -> Vec<u8> {
        self.bytes.into_vec()
    }

    /// Hex SHA-256 of the C-order little-endian bytes.
    pub fn sha256(&self) -> String {
        hex(&Sha256::digest(self.le_bytes()))
    }

    /// Element `i` (C order), `None` past the end.
    pub fn get(&self, i: usize) -> Option<Scalar> {
        let size = self.dtype.size();
        let b = self
            .le_bytes()
            .get(i.checked_mul(size)?..i.checked_mul(size)?.checked_add(size)?)?;
        let arr = |n: usize| -> [u8; 8] {
            let mut a = [0u8; 8];
            for (d, s) in a.iter_mut().zip(b.iter().skip(n).take(8)) {
                *d = *s;
            }
            a
        };
        let s = match self.dtype {
            DType::Bool => Scalar::Bool(b.first().is_some_and(|&x| x != 0)),
            DType::Int8 => Scalar::Int(i64::from(i8::from_le_bytes([*b.first()?]))),
            DType::Int16 => Scalar::Int(i64::from(i16::from_le_bytes(b.try_into().ok()?))),
            DType::Int32 => Scalar::Int(i64::from(i32::from_le_bytes(b.try_into().ok()?))),
            DType::Int64 => Scalar::Int(i64::from_le_bytes(b.try_into().ok()?)),
            DType::UInt8 => Scalar::UInt(u64::from(*b.first()?)),
            DType::UInt16 => Scalar::UInt(u64::from(u16::from_le_bytes(b.try_into().ok()?))),
            DType::UInt32 => Scalar::UInt(u64::from(u32::from_le_bytes(b.try_into().ok()?))),
            DType::UInt64 => Scalar::UInt(u64::from_le_bytes(b.try_into().ok()?)),
            DType::Float16 => Scalar::Float(f64::from(crate::hdf5::read::value::f16_to_f32(
                u16::from_le_bytes(b.try_into().ok()?),
            ))),
            DType::Float32 => Scalar::Float(f64::from(f32::from_le_bytes(b.try_into().ok()?))),
            DType::Float64 => Scalar::Float(f64::from_le_bytes(b.try_into().ok()?)),
            DType::Complex64 => {
                let a = arr(0);
                let re = f32::from_le_bytes([a[0], a[1], a[2], a[3]]);
                let im = f32::from_le_bytes([a[4], a[5], a[6], a[7]]);
                Scalar::Complex(f64::from(re), f64::from(im))
            }
            DType::Complex128 => {
                Scalar::Complex(f64::from_le_bytes(arr(0)), f64::from_le_bytes(arr(8)))
            }
        };
        Some(s)
    }

    /// Every element as f64 (see [`Scalar::as_f64`]).
    pub fn to_f64(&self) -> Vec<f64> {
        (0..self.len())
            .filter_map(|i| self.get(i).map(Scalar::as_f64))
            .collect()
    }

    /// `np.atleast_1d(np.squeeze(a, axis=indexes))`: drops the listed dimensions, which must
    /// have size 1 (numpy's `ValueError` otherwise, as the message).
    pub fn squeeze(&self, indexes: &[usize]) -> std::result::Result<NdArray, String> {
        self.clone().into_squeezed(indexes)
    }

    /// [`NdArray::squeeze`] without copying the data.
    pub fn into_squeezed(self, indexes: &[usize]) -> std::result::Result<NdArray, String> {
        let mut shape = Vec::with_capacity(self.shape.len());
        for (i, &d) in self.shape.iter().enumerate() {
            if indexes.contains(&i) {
                if d != 1 {
                    return Err(
                        "cannot select an axis to squeeze out which has size not equal to one"
                            .into(),
                    );
                }
            } else {
                shape.push(d);
            }
        }
        if let Some(&bad) = indexes.iter().find(|&&i| i >= self.shape.len()) {
            return Err(format!(
                "axis {bad} is out of bounds for array of dimension {}",
                self.shape.len()
            ));
        }
        if shape.is_empty() {
            shape.push(1);
        }
        Ok(NdArray {
            dtype: self.dtype,
            shape,
            bytes: self.bytes,
        })
    }

    /// `np.atleast_1d(np.squeeze(a))`: every size-1 dimension dropped.
    pub fn squeeze_all(&self) -> NdArray {
        let idx: Vec<usize> = (0..self.shape.len())
            .filter(|&i| self.shape.get(i) == Some(&1))
            .collect();
        // Only size-1 dimensions are listed, so this cannot fail.
        self.squeeze(&idx).unwrap_or_else(|_| self.clone())
    }

    /// `self - other` as numpy does it for equal shapes: same dtype keeps the dtype (integers
    /// wrap), mixed dtypes go to float64 (numpy's promotion is finer; PyMoDAQ subtracts a
    /// background saved from the same detector, so the dtypes match in practice).
    pub fn sub(&self, other: &NdArray) -> std::result::Result<NdArray, String> {
        if self.shape != other.shape {
            return Err(format!(
                "operands could not be broadcast together with shapes {:?} {:?}",
                self.shape, other.shape
            ));
        }
        if self.dtype == DType::Bool && other.dtype == DType::Bool {
            return Err("numpy boolean subtract, the `-` operator, is not supported, use the bitwise_xor, the `^` operator, or the logical_xor function instead.".into());
        }
        let n = self.len();
        let mut out = Vec::with_capacity(self.le_bytes().len().max(n.saturating_mul(8)));
        let same = self.dtype == other.dtype;
        for i in 0..n {
            let (Some(a), Some(b)) = (self.get(i), other.get(i)) else {
                return Err("array bytes out of range".into());
            };
            match (same, a, b) {
                (true, Scalar::Int(x), Scalar::Int(y)) => {
                    let v = x.wrapping_sub(y).to_le_bytes();
                    out.extend_from_slice(v.get(..self.dtype.size()).unwrap_or(&v));
                }
                (true, Scalar::UInt(x), Scalar::UInt(y)) => {
                    let v = x.wrapping_sub(y).to_le_bytes();
                    out.extend_from_slice(v.get(..self.dtype.size()).unwrap_or(&v));
                }
                (true, Scalar::Complex(a1, a2), Scalar::Complex(b1, b2)) => {
                    if self.dtype == DType::Complex64 {
                        out.extend_from_slice(&((a1 - b1) as f32).to_le_bytes());
                        out.extend_from_slice(&((a2 - b2) as f32).to_le_bytes());
                    } else {
                        out.extend_from_slice(&(a1 - b1).to_le_bytes());
                        out.extend_from_slice(&(a2 - b2).to_le_bytes());
                    }
                }
                (true, Scalar::Float(x), Scalar::Float(y)) if self.dtype == DType::Float32 => {
                    out.extend_from_slice(&((x as f32) - (y as f32)).to_le_bytes());
                }
                (true, Scalar::Float(x), Scalar::Float(y)) if self.dtype == DType::Float64 => {
                    out.extend_from_slice(&(x - y).to_le_bytes());
                }
                _ => {
                    // Mixed (or float16): float64 result.
                    let v = a.as_f64() - b.as_f64();
                    return NdArray::from_f64(
                        self.shape.clone(),
                        &(0..n)
                            .map(|j| {
                                if j == i {
                                    v
                                } else {
                                    self.get(j).map_or(f64::NAN, Scalar::as_f64)
                                        - other.get(j).map_or(f64::NAN, Scalar::as_f64)
                                }
                            })
                            .collect::<Vec<_>>(),
                    )
                    .map_err(|e| e.to_string());
                }
            }
        }
        Ok(NdArray {
            dtype: self.dtype,
            shape: self.shape.clone(),
            bytes: Bytes::Owned(out),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeeze_rules() {
        let a = NdArray::from_f64(vec![1, 3, 1], &[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(a.squeeze(&[2]).unwrap().shape, vec![1, 3]);
        assert_eq!(a.squeeze_all().shape, vec![3]);
        assert!(a.squeeze(&[1]).is_err());
        let s = NdArray::from_f64(vec![1], &[1.0]).unwrap();
        assert_eq!(s.squeeze_all().shape, vec![1]);
    }

    #[test]
    fn sub_keeps_dtype_and_wraps() {
        let a = NdArray::from_le_bytes(DType::UInt16, vec![2], vec![1, 0, 5, 0]).unwrap();
        let b = NdArray::from_le_bytes(DType::UInt16, vec![2], vec![2, 0, 1, 0]).unwrap();
        let d = a.sub(&b).unwrap();
        assert_eq!(d.dtype, DType::UInt16);
        assert_eq!(d.get(0), Some(Scalar::UInt(65535)));
        assert_eq!(d.get(1), Some(Scalar::UInt(4)));
        let c = NdArray::from_f64(vec![3], &[0.0; 3]).unwrap();
        assert!(a.sub(&c).is_err());
    }

    #[test]
    fn sha_of_le_bytes() {
        let a = NdArray::from_f64(vec![0], &[]).unwrap();
        assert_eq!(
            a.sha256(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
