//! `pymodaq_data.data.Axis`: a labelled 1-D axis, kept as offset + scaling when its values are
//! linear (numpy's `allclose(diff, mean(diff))`), else as its values.

use super::PyError;

/// numpy's `allclose` default tolerances.
const RTOL: f64 = 1e-5;
const ATOL: f64 = 1e-8;

/// numpy's pairwise summation (the order `np.sum`/`np.mean` add float64 values in), so means
/// match numpy to the last bit.
pub fn pairwise_sum(a: &[f64]) -> f64 {
    if a.len() < 8 {
        return a.iter().fold(0.0, |s, &x| s + x);
    }
    if a.len() <= 128 {
        let mut r = [0.0f64; 8];
        for (slot, &x) in r.iter_mut().zip(a) {
            *slot = x;
        }
        let full = a.len() - a.len() % 8;
        for block in a.get(8..full).unwrap_or(&[]).chunks_exact(8) {
            for (slot, &x) in r.iter_mut().zip(block) {
                *slot += x;
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in a.get(full..).unwrap_or(&[]) {
            res += x;
        }
        return res;
    }
    let mut n2 = a.len() / 2;
    n2 -= n2 % 8;
    let (l, r) = a.split_at(n2);
    pairwise_sum(l) + pairwise_sum(r)
}

/// `np.mean` of float64 values (NaN for an empty slice, as numpy).
pub fn mean(a: &[f64]) -> f64 {
    pairwise_sum(a) / a.len() as f64
}

/// `np.diff`.
pub fn diff(a: &[f64]) -> Vec<f64> {
    a.windows(2).map(|w| w[1] - w[0]).collect()
}

/// `Axis.is_axis_linear(data)`: `np.allclose(np.diff(data), np.mean(np.diff(data)))`
/// (true for 0 or 1 values: an empty comparison is all-close).
pub fn is_linear(data: &[f64]) -> bool {
    let d = diff(data);
    let m = mean(&d);
    d.iter()
        .all(|&x| (x - m).abs() <= ATOL + RTOL * m.abs() && !x.is_nan() && !m.is_nan())
}

/// One axis.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Label.
    pub label: String,
    /// Units.
    pub units: String,
    /// Index of the data dimension this axis describes.
    pub index: usize,
    /// Order among the spread axes of one navigation index.
    pub spread_order: i64,
    /// Values when not linear (PyMoDAQ's `_data`); `None` when kept as offset + scaling.
    pub data: Option<Vec<f64>>,
    /// Offset of a linear axis.
    pub offset: Option<f64>,
    /// Scaling of a linear axis.
    pub scaling: Option<f64>,
    /// Number of values.
    pub size: usize,
    /// Offset and scaling are Python ints (axes made by `create_missing_axes`).
    pub int_params: bool,
}

impl Axis {
    /// `Axis(label, units, data=values, index, spread_order)`: fits offset/scaling when the
    /// values are linear. An empty axis fails as in PyMoDAQ (`IndexError`, `data[0]`).
    pub fn new(
        label: &str,
        units: &str,
        values: Vec<f64>,
        index: usize,
        spread_order: i64,
    ) -> Result<Axis, PyError> {
        let mut a = Axis {
            label: label.to_string(),
            units: units.to_string(),
            index,
            spread_order,
            data: None,
            offset: None,
            scaling: None,
            size: 0,
            int_params: false,
        };
        a.set_data(values)?;
        // The constructor fits once more (scaling/offset/size were None): same result.
        if let Some(d) = a.data.clone() {
            a.fit(&d)?;
        }
        Ok(a)
    }

    /// A linear axis `offset + scaling * i` of `size` values, with no stored data
    /// (what `create_missing_axes` makes).
    pub fn linear(
        label: &str,
        units: &str,
        index: usize,
        offset: f64,
        scaling: f64,
        size: usize,
    ) -> Axis {
        Axis {
            label: label.to_string(),
            units: units.to_string(),
            index,
            spread_order: 0,
            data: None,
            offset: Some(offset),
            scaling: Some(scaling),
            size,
            int_params: false,
        }
    }

    /// `get_scale_offset_from_data`: offset/scaling from linear data, dropping the data.
    fn fit(&mut self, d: &[f64]) -> Result<(), PyError> {
        if is_linear(d) {
            let scaling = if d.len() == 1 { 1.0 } else { mean(&diff(d)) };
            let offset = *d.first().ok_or_else(|| {
                PyError::new(
                    "IndexError",
                    "index 0 is out of bounds for axis 0 with size 0",
                )
            })?;
            self.scaling = Some(scaling);
            self.offset = Some(offset);
            self.data = None;
            self.size = d.len();
        }
        Ok(())
    }

    /// The `data` setter: fits, then (as PyMoDAQ's setter does) keeps the values anyway.
    pub fn set_data(&mut self, values: Vec<f64>) -> Result<(), PyError> {
        self.fit(&values)?;
        self.size = values.len();
        self.data = Some(values);
        Ok(())
    }

    /// Whether the axis is kept as offset + scaling.
    pub fn is_linear_kept(&self) -> bool {
        self.data.is_none()
    }

    /// `get_data()`: the stored values, or `offset + scaling * linspace(0, size-1, size)`.
    pub fn get_data(&self) -> Vec<f64> {
        match &self.data {
            Some(d) => d.clone(),
            None => {
                let o = self.offset.unwrap_or(f64::NAN);
                let s = self.scaling.unwrap_or(f64::NAN);
                (0..self.size).map(|i| o + s * i as f64).collect()
            }
        }
    }

    /// PyMoDAQ's `Axis.__eq__` (units compared as strings: pint compatibility is not modelled).
    pub fn py_eq(&self, other: &Axis) -> bool {
        if self.label != other.label || self.units != other.units || self.index != other.index {
            return false;
        }
        let close = |a: f64, b: f64| (a - b).abs() <= ATOL + RTOL * b.abs();
        match (&self.data, &other.data) {
            (Some(a), Some(b)) => a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| close(x, y)),
            _ => {
                let o = |v: Option<f64>| v.unwrap_or(f64::NAN);
                close(o(self.offset), o(other.offset)) && close(o(self.scaling), o(other.scaling))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_axis_is_fitted() {
        let a = Axis::new("x", "m", vec![1.0, 2.0, 3.0, 4.0], 0, 0).unwrap();
        assert!(a.is_linear_kept());
        assert_eq!((a.offset, a.scaling, a.size), (Some(1.0), Some(1.0), 4));
        assert_eq!(a.get_data(), vec![1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn non_linear_axis_keeps_data() {
        let a = Axis::new("x", "", vec![0.0, 1.0, 4.0], 1, 0).unwrap();
        assert!(!a.is_linear_kept());
        assert_eq!(a.offset, None);
        assert_eq!(a.size, 3);
    }

    #[test]
    fn tolerance_is_numpys() {
        // 1e-6 relative jitter is within allclose's rtol=1e-5.
        assert!(is_linear(&[0.0, 1.0, 2.000001, 3.0]));
        assert!(!is_linear(&[0.0, 1.0, 2.1, 3.0]));
        assert!(!is_linear(&[0.0, f64::NAN, 2.0]));
    }

    #[test]
    fn single_and_empty() {
        let a = Axis::new("t", "s", vec![5.0], 0, 0).unwrap();
        assert_eq!((a.offset, a.scaling, a.size), (Some(5.0), Some(1.0), 1));
        let e = Axis::new("t", "s", vec![], 0, 0).unwrap_err();
        assert_eq!(e.exception, "IndexError");
    }

    #[test]
    fn pairwise_matches_simple_sum_for_exact_values() {
        let v: Vec<f64> = (0..1000).map(f64::from).collect();
        assert_eq!(pairwise_sum(&v), 499500.0);
        assert!(mean(&[]).is_nan());
    }

    #[test]
    fn equality() {
        let a = Axis::new("x", "m", vec![0.0, 1.0, 2.0], 0, 0).unwrap();
        let b = Axis::linear("x", "m", 0, 0.0, 1.0, 3);
        assert!(a.py_eq(&b));
        let c = Axis::linear("y", "m", 0, 0.0, 1.0, 3);
        assert!(!a.py_eq(&c));
    }
}
