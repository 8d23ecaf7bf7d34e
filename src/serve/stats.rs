//! h5grove's `/stats/`: min, max, mean and std as NumPy computes them (pairwise summation in
//! the array's float type, integers summed as float64 in 8192-element buffers), so the
//! numbers match h5grove's to the last bit.

use super::pyjson::J;

/// The values of a numeric selection.
#[derive(Debug, Clone)]
pub enum Nums {
    /// Signed integers.
    I(Vec<i64>),
    /// Unsigned integers.
    U(Vec<u64>),
    /// Booleans.
    B(Vec<bool>),
    /// float16 (kept as f32; NumPy's float16 statistics differ in the last bits).
    F16(Vec<f32>),
    /// float32.
    F32(Vec<f32>),
    /// float64.
    F64(Vec<f64>),
    /// Complex (real, imaginary): ordered lexicographically, reported through `int()`.
    C(Vec<(f64, f64)>),
}

trait Fl:
    Copy
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + PartialOrd
{
    const ZERO: Self;
    fn from_usize(n: usize) -> Self;
    fn sqrt(self) -> Self;
    fn f64(self) -> f64;
}

// `$to_f64` widens to f64.
macro_rules! fl {
    ($($t:ty => $to_f64:path),*) => {$(
        impl Fl for $t {
            const ZERO: $t = 0.0;
            fn from_usize(n: usize) -> $t {
                n as $t
            }
            fn sqrt(self) -> $t {
                <$t>::sqrt(self)
            }
            fn f64(self) -> f64 {
                $to_f64(self)
            }
        }
    )*};
}

fl!(f32 => f64::from, f64 => std::convert::identity);

/// NumPy's `pairwise_sum` (loops_utils.h): 8 accumulators over blocks of up to 128.
fn pairwise<T: Fl>(a: &[T]) -> T {
    let n = a.len();
    if n < 8 {
        let mut r = T::ZERO;
        for &x in a {
            r = r + x;
        }
        r
    } else if n <= 128 {
        let mut r = [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]];
        let mut i = 8;
        while i < n - (n % 8) {
            for j in 0..8 {
                r[j] = r[j] + a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res = res + a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise(&a[..n2]) + pairwise(&a[n2..])
    }
}

/// A sum with a dtype cast: NumPy's buffered iterator sums 8192 elements at a time.
fn buffered(a: &[f64]) -> f64 {
    let mut s = 0.0;
    for c in a.chunks(8192) {
        s += pairwise(c);
    }
    s
}

fn float_stats<T: Fl>(all: &[T]) -> [Option<f64>; 6] {
    // Non-finite values are masked out first, as h5grove's `_get_finite_data`.
    let a: Vec<T> = all
        .iter()
        .copied()
        .filter(|x| x.f64().is_finite())
        .collect();
    if a.is_empty() {
        return [None; 6];
    }
    let n = T::from_usize(a.len());
    let mean = pairwise(&a) / n;
    let sq: Vec<T> = a.iter().map(|&x| (x - mean) * (x - mean)).collect();
    let std = (pairwise(&sq) / n).sqrt();
    // Among equal values (0.0 and -0.0) NumPy keeps the later one.
    let min = a
        .iter()
        .copied()
        .fold(a[0], |m, x| if x <= m { x } else { m });
    let max = a
        .iter()
        .copied()
        .fold(a[0], |m, x| if x >= m { x } else { m });
    let spm = a
        .iter()
        .copied()
        .filter(|x| x.f64() > 0.0)
        .fold(None, |m: Option<T>, x| match m {
            Some(m) if m < x => Some(m),
            _ => Some(x),
        });
    let pm = a
        .iter()
        .copied()
        .filter(|x| x.f64() >= 0.0)
        .fold(None, |m: Option<T>, x| match m {
            Some(m) if m < x => Some(m),
            _ => Some(x),
        });
    [
        spm.map(Fl::f64),
        pm.map(Fl::f64),
        Some(min.f64()),
        Some(max.f64()),
        Some(mean.f64()),
        Some(std.f64()),
    ]
}

/// Round to the nearest float16 (ties to even), as NumPy stores a half result.
fn half(x: f32) -> f32 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let a = f64::from(x.abs());
    let e = (((a.to_bits() >> 52) & 0x7ff) as i32 - 1023).max(-14);
    let q = 2f64.powi(e - 10);
    let r = (a / q).round_ties_even() * q;
    let r = if r > 65504.0 { f64::INFINITY } else { r };
    (r as f32).copysign(x)
}

/// float16 statistics as NumPy computes them: sums accumulate in float32 (pairwise, the
/// result rounded to half once), every other operation rounds to half; the mean alone is
/// summed in float32 buffers and divided in float32 (`_mean`'s float16 special case).
fn half_stats(all: &[f32]) -> [Option<f64>; 6] {
    let a: Vec<f32> = all.iter().copied().filter(|x| x.is_finite()).collect();
    let mut out = float_stats(&a);
    if a.is_empty() {
        return out;
    }
    let n = a.len() as f32;
    let mut sum32 = 0f32;
    for c in a.chunks(8192) {
        sum32 += pairwise(c);
    }
    out[4] = Some(f64::from(half(sum32 / n)));
    let nh = half(n);
    let m = half(half(pairwise(&a)) / nh);
    let sq: Vec<f32> = a
        .iter()
        .map(|&x| {
            let d = half(x - m);
            half(d * d)
        })
        .collect();
    let var = half(half(pairwise(&sq)) / nh);
    out[5] = Some(f64::from(half(var.sqrt())));
    out
}

/// `int()` of a float, as Python gives it (truncated toward zero).
fn py_int(v: f64) -> J {
    let t = v.trunc();
    if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&t) {
        J::I(t as i64)
    } else if (0.0..1.844_674_407_370_955_2e19).contains(&t) {
        J::U(t as u64)
    } else {
        J::F64(t)
    }
}

fn int_stats(a: &[i128], as_f64: &[f64]) -> Vec<J> {
    if a.is_empty() {
        return vec![J::Null; 6];
    }
    let n = a.len() as f64;
    let mean = buffered(as_f64) / n;
    let sq: Vec<f64> = as_f64.iter().map(|&x| (x - mean) * (x - mean)).collect();
    let std = (pairwise(&sq) / n).sqrt();
    let j = |v: i128| -> J {
        if let Ok(i) = i64::try_from(v) {
            J::I(i)
        } else {
            J::U(u64::try_from(v).unwrap_or(u64::MAX))
        }
    };
    let spm = a.iter().copied().filter(|&x| x > 0).min();
    let pm = a.iter().copied().filter(|&x| x >= 0).min();
    vec![
        spm.map_or(J::Null, j),
        pm.map_or(J::Null, j),
        a.iter().copied().min().map_or(J::Null, j),
        a.iter().copied().max().map_or(J::Null, j),
        py_int(mean),
        py_int(std),
    ]
}

fn complex_stats(a: &[(f64, f64)]) -> Option<Vec<J>> {
    if a.is_empty() {
        return Some(vec![J::Null; 6]);
    }
    if a.iter().any(|x| !x.0.is_finite() || !x.1.is_finite()) {
        return None;
    }
    let lt = |x: &(f64, f64), y: &(f64, f64)| x.0 < y.0 || (x.0 == y.0 && x.1 < y.1);
    let pos = |x: &(f64, f64)| x.0 > 0.0 || (x.0 == 0.0 && x.1 > 0.0);
    let nonneg = |x: &(f64, f64)| x.0 > 0.0 || (x.0 == 0.0 && x.1 >= 0.0);
    let min_of = |it: &mut dyn Iterator<Item = (f64, f64)>| {
        it.fold(None, |m: Option<(f64, f64)>, x| match m {
            Some(m) if !lt(&x, &m) => Some(m),
            _ => Some(x),
        })
    };
    let n = a.len() as f64;
    let re: Vec<f64> = a.iter().map(|x| x.0).collect();
    let im: Vec<f64> = a.iter().map(|x| x.1).collect();
    let (mr, mi) = (pairwise(&re) / n, pairwise(&im) / n);
    let sq: Vec<f64> = a
        .iter()
        .map(|x| (x.0 - mr) * (x.0 - mr) + (x.1 - mi) * (x.1 - mi))
        .collect();
    let std = (pairwise(&sq) / n).sqrt();
    let max = a
        .iter()
        .copied()
        .fold(a[0], |m, x| if lt(&m, &x) { x } else { m });
    // `int()` of a NumPy complex keeps the real part.
    Some(vec![
        min_of(&mut a.iter().copied().filter(pos)).map_or(J::Null, |x| py_int(x.0)),
        min_of(&mut a.iter().copied().filter(nonneg)).map_or(J::Null, |x| py_int(x.0)),
        min_of(&mut a.iter().copied()).map_or(J::Null, |x| py_int(x.0)),
        py_int(max.0),
        py_int(mr),
        py_int(std),
    ])
}

/// h5grove's `get_array_stats` as JSON (keys in its order).
/// `None` where h5grove fails (`int()` of a NaN complex statistic raises).
pub fn stats(nums: &Nums) -> Option<J> {
    let vals: Vec<J> = match nums {
        Nums::F64(a) => float_stats(a)
            .iter()
            .map(|v| v.map_or(J::Null, J::F64))
            .collect(),
        Nums::F16(a) => half_stats(a)
            .iter()
            .map(|v| v.map_or(J::Null, J::F64))
            .collect(),
        Nums::F32(a) => float_stats(a)
            .iter()
            .map(|v| v.map_or(J::Null, J::F64))
            .collect(),
        Nums::C(a) => complex_stats(a)?,
        Nums::I(a) => int_stats(
            &a.iter().map(|&x| x as i128).collect::<Vec<_>>(),
            &a.iter().map(|&x| x as f64).collect::<Vec<_>>(),
        ),
        Nums::U(a) => int_stats(
            &a.iter().map(|&x| x as i128).collect::<Vec<_>>(),
            &a.iter().map(|&x| x as f64).collect::<Vec<_>>(),
        ),
        Nums::B(a) => int_stats(
            &a.iter().map(|&x| i128::from(x)).collect::<Vec<_>>(),
            &a.iter()
                .map(|&x| f64::from(u8::from(x)))
                .collect::<Vec<_>>(),
        ),
    };
    let keys = [
        "strict_positive_min",
        "positive_min",
        "min",
        "max",
        "mean",
        "std",
    ];
    Some(J::Obj(
        keys.iter().map(|k| k.to_string()).zip(vals).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_blocks() {
        let a: Vec<f64> = (0..1000).map(|i| i as f64 * 0.1).collect();
        let s = pairwise(&a);
        assert!((s - 49950.0).abs() < 1e-6);
        let Some(J::Obj(st)) = stats(&Nums::I(vec![-3, 0, 5])) else {
            panic!()
        };
        assert_eq!(st[0].1, J::I(5));
        assert_eq!(st[1].1, J::I(0));
        assert_eq!(st[4].1, J::I(0));
        assert_eq!(st[5].1, J::I(3));
    }
}
