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
            vlen: dt.is_variable_length() || dt.has_reference(),
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
                        *sum = sum.saturating_add(le_int(el, size, *signed));
                    }
                }
            }
            Datatype::FloatingPoint { .. } => {
                let le_dt = little_endian(dt);
                if let Some(sum) = self.float_sum.as_mut() {
                    for el in le.chunks_exact(size) {
                        sum.add(le_float(el, &le_dt));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Feed `n` copies of the element `elem` (file byte order) whose decoded first values
    /// are `first`, in time linear in the bytes hashed only: the sums are multiplied.
    pub(super) fn feed_repeated(
        &mut self,
        dt: &Datatype,
        elem: &[u8],
        n: u64,
        first: &[Value],
    ) -> Result<()> {
        for v in first {
            if self.first.len() < 4 {
                self.first.push(element_json(dt, v));
            }
        }
        self.len += n;
        if self.vlen || n == 0 {
            return Ok(());
        }
        let (conv, size) = crate::hdf5::read::standard::standardize(dt, elem);
        let mut le = conv.into_owned();
        to_little_endian_sized(dt, &mut le, size);
        // Hash through a buffer of whole elements, about 1 MiB.
        let per = (1usize << 20) / le.len().max(1);
        let buf = le.repeat(per.max(1));
        let per = (buf.len() / le.len().max(1)) as u64;
        let mut left = n;
        while left > 0 {
            let k = left.min(per);
            let bytes = (k as usize).saturating_mul(le.len());
            self.sha.update(buf.get(..bytes).unwrap_or(&buf));
            self.nbytes += bytes as u64;
            left -= k;
        }
        let exceeded = || crate::error::Error::limit("summary sum", u64::MAX, n, None);
        match dt {
            Datatype::FixedPoint { signed, .. } => {
                if let Some(sum) = self.int_sum.as_mut() {
                    let v = le_int(&le, size, *signed);
                    *sum = sum.saturating_add(v.saturating_mul(i128::from(n)));
                }
            }
            Datatype::FloatingPoint { .. } => {
                let le_dt = little_endian(dt);
                if let Some(sum) = self.float_sum.as_mut() {
                    let x = le_float(&le, &le_dt);
                    if !sum.add_repeated(x, n) {
                        return Err(exceeded());
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
                    big_integer(s)
                },
            );
        }
        if let Some(s) = self.float_sum {
            m.insert("sum".into(), float_json(s.value()));
        }
    }
}

/// Marks an integer beyond 64 bits (serde_json's numbers stop there) in the document; the
/// writer turns it into the bare decimal (`exact_integers`), as Python's json prints it.
const BIG_INT_MARK: &str = "\u{1}pymodaq-h5 integer ";

fn big_integer(v: i128) -> J {
    J::String(format!("{BIG_INT_MARK}{v}\u{1}"))
}

/// The integer a [`big_integer`] mark holds.
fn big_integer_value(s: &str) -> Option<i128> {
    s.strip_prefix(BIG_INT_MARK)?
        .strip_suffix('\u{1}')?
        .parse()
        .ok()
}

/// The document text with every big-integer mark replaced by its bare decimal.
pub(super) fn exact_integers(text: String) -> String {
    // serde_json escapes the control character as `\u0001`.
    let open = format!("\"\\u0001{}", &BIG_INT_MARK[1..]);
    let close = "\\u0001\"";
    if !text.contains(&open) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        match after.find(close) {
            Some(j) if after[..j].parse::<i128>().is_ok() => {
                out.push_str(&rest[..i]);
                out.push_str(&after[..j]);
                rest = &after[j + close.len()..];
            }
            _ => {
                out.push_str(&rest[..i + open.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// In a document kept as a value (`dump_file`), big-integer marks become the nearest float,
/// which is what parsing the written text with serde_json gives.
pub(super) fn approximate_integers(v: &mut J) {
    match v {
        J::String(s) => {
            if let Some(i) = big_integer_value(s) {
                *v = float_json(i as f64);
            }
        }
        J::Array(a) => a.iter_mut().for_each(approximate_integers),
        J::Object(m) => m.values_mut().for_each(approximate_integers),
        _ => {}
    }
}

/// [`to_little_endian`] for elements of `size` bytes: a float h5py widens (converted to
/// `size` bytes at top level) is one number to swap.
/// An integer element, little-endian, of `size` bytes.
#[inline]
fn le_int(el: &[u8], size: usize, signed: bool) -> i128 {
    let u = read_uint(el, ByteOrder::LittleEndian).unwrap_or(0);
    if signed {
        sign_extend(u, size) as i128
    } else {
        u as i128
    }
}

/// A float type as its little-endian twin (what [`le_float`] reads elements of).
fn little_endian(dt: &Datatype) -> Datatype {
    let mut le_dt = dt.clone();
    if let Datatype::FloatingPoint { order, .. } = &mut le_dt {
        *order = ByteOrder::LittleEndian;
    }
    le_dt
}

/// A float element, little-endian: other sizes than 4 and 8 (long double) from the fields of
/// `le_dt`, the type in the swapped byte order.
#[inline]
fn le_float(el: &[u8], le_dt: &Datatype) -> f64 {
    crate::hdf5::read::value::read_float(el, ByteOrder::LittleEndian)
        .or_else(|| crate::hdf5::read::value::float_from_fields(le_dt, el))
        .unwrap_or(f64::NAN)
}

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

/// Exactly rounded float sum (the result of Python's `math.fsum`, with an intermediate
/// overflow giving the correctly rounded value instead of an error).
///
/// Every finite double is `m * 2^(s - 1074)` with an integer `m < 2^53` and a shift `s` in
/// `0..2046`; the mantissas are summed exactly in one `i128` per shift (2^74 additions before
/// one could overflow), so an addition is O(1) whatever the spread of exponents (Shewchuk's
/// partials grow with it: damaged data with random exponents made `dump` quadratic). The
/// buckets are folded into one exact integer and rounded once, half to even, at the end.
#[derive(Default)]
pub struct FSum {
    buckets: Vec<i128>,
    /// Some finite value was added (for the sign of an exact zero).
    any: bool,
    /// Every finite value added so far was -0.0 (IEEE: the sum is then -0.0).
    all_neg_zero: bool,
    special: f64,
    inf: f64,
}

/// Shifts of finite doubles: subnormals and the smallest normal exponent share shift 0.
const SHIFTS: usize = 2046;
/// 64-bit limbs of the folded integer: shift 2045 + a 127-bit bucket + the sign fit.
const LIMBS: usize = 36;

impl FSum {
    /// Add a value.
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            if x.is_infinite() {
                self.inf += x;
            }
            self.special += x;
            return;
        }
        let neg_zero = x == 0.0 && x.is_sign_negative();
        self.all_neg_zero = if self.any {
            self.all_neg_zero && neg_zero
        } else {
            neg_zero
        };
        self.any = true;
        let (m, shift) = mantissa_shift(x);
        if self.buckets.is_empty() {
            self.buckets = vec![0; SHIFTS];
        }
        if let Some(b) = self.buckets.get_mut(shift) {
            *b += if x.is_sign_negative() { -m } else { m };
        }
    }

    /// Add `x` `n` times, exactly (`false`, nothing added, if a bucket would overflow).
    pub fn add_repeated(&mut self, x: f64, n: u64) -> bool {
        if n == 0 {
            return true;
        }
        if !x.is_finite() || x == 0.0 {
            // inf + inf = inf, NaN stays NaN, zeros add nothing (one keeps the sign rule).
            self.add(x);
            return true;
        }
        let (m, shift) = mantissa_shift(x);
        let Some(add) = m.checked_mul(i128::from(n)) else {
            return false;
        };
        if self.buckets.is_empty() {
            self.buckets = vec![0; SHIFTS];
        }
        let Some(b) = self.buckets.get_mut(shift) else {
            return false;
        };
        let signed = if x.is_sign_negative() { -add } else { add };
        match b.checked_add(signed) {
            Some(v) => *b = v,
            None => return false,
        }
        self.any = true;
        self.all_neg_zero = false;
        true
    }

    /// Start a sum (kept for callers that guarded overflow: the bucketed sum never overflows).
    pub fn with_overflow_guard() -> FSum {
        FSum::default()
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
        // The exact sum in units of 2^-1074, two's complement over LIMBS limbs.
        let mut big = [0u64; LIMBS];
        for (shift, &b) in self.buckets.iter().enumerate() {
            if b != 0 {
                add_shifted(&mut big, b, shift);
            }
        }
        let negative = big[LIMBS - 1] >> 63 == 1;
        if negative {
            negate(&mut big);
        }
        let r = round_to_f64(&big);
        if r == 0.0 {
            return if self.any && self.all_neg_zero {
                -0.0
            } else {
                0.0
            };
        }
        if negative {
            -r
        } else {
            r
        }
    }
}

/// A finite float as its integer mantissa and the bucket (binary exponent) it adds to:
/// `x = ±m · 2^(shift - 1074)`.
#[inline]
fn mantissa_shift(x: f64) -> (i128, usize) {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as usize;
    let frac = (bits & ((1 << 52) - 1)) as i128;
    if exp == 0 {
        (frac, 0)
    } else {
        (frac | (1 << 52), exp - 1)
    }
}

/// `big += v * 2^shift` in two's complement.
fn add_shifted(big: &mut [u64; LIMBS], v: i128, shift: usize) {
    let mag = v.unsigned_abs();
    let (limb, bit) = (shift / 64, (shift % 64) as u32);
    // The magnitude shifted by `bit` spans at most three limbs.
    let words = [
        (mag << bit) as u64,
        ((mag << bit) >> 64) as u64,
        if bit == 0 {
            0
        } else {
            (mag >> (128 - bit)) as u64
        },
    ];
    let mut carry = false;
    for (k, slot) in big.iter_mut().skip(limb).enumerate() {
        let w = words.get(k).copied().unwrap_or(0);
        if k >= words.len() && !carry {
            break;
        }
        let (r, c1) = if v < 0 {
            slot.overflowing_sub(w)
        } else {
            slot.overflowing_add(w)
        };
        let (r, c2) = if v < 0 {
            r.overflowing_sub(u64::from(carry))
        } else {
            r.overflowing_add(u64::from(carry))
        };
        *slot = r;
        carry = c1 || c2;
    }
}

fn negate(big: &mut [u64; LIMBS]) {
    let mut carry = true;
    for w in big.iter_mut() {
        let (s, c) = (!*w).overflowing_add(u64::from(carry));
        *w = s;
        carry = c;
    }
}

/// `big * 2^-1074` (a non-negative integer) rounded half to even to a double (inf past max).
fn round_to_f64(big: &[u64; LIMBS]) -> f64 {
    let Some(top) = big.iter().rposition(|&w| w != 0) else {
        return 0.0;
    };
    let h = top * 64 + 63 - big[top].leading_zeros() as usize; // highest set bit
    let bit = |i: usize| big[i / 64] >> (i % 64) & 1 == 1;
    if h < 53 {
        // Exact: below 2^53 units of 2^-1074 every integer is a double.
        return big[0] as f64 * f64::from_bits(1);
    }
    let low = h - 52; // bits below the 53 kept ones
    let mut mant: u64 = 0;
    for i in (low..=h).rev() {
        mant = mant << 1 | u64::from(bit(i));
    }
    let guard = bit(low - 1);
    let sticky = (0..low - 1).any(bit);
    let mut e = h - 51; // biased exponent of mant * 2^low * 2^-1074
    if guard && (sticky || mant & 1 == 1) {
        mant += 1;
        if mant == 1 << 53 {
            mant >>= 1;
            e += 1;
        }
    }
    if e >= 2047 {
        return f64::INFINITY;
    }
    f64::from_bits((e as u64) << 52 | (mant & ((1 << 52) - 1)))
}

#[cfg(test)]
mod fsum_tests {
    use super::FSum;

    /// Shewchuk's algorithm (Python's `math.fsum`), the reference; `None` on intermediate
    /// overflow (Python raises there).
    fn shewchuk(xs: &[f64]) -> Option<f64> {
        let mut partials: Vec<f64> = Vec::new();
        for &x0 in xs {
            let mut x = x0;
            let mut i = 0;
            for j in 0..partials.len() {
                let mut y = partials[j];
                if x.abs() < y.abs() {
                    std::mem::swap(&mut x, &mut y);
                }
                let hi = x + y;
                if !hi.is_finite() {
                    return None;
                }
                let lo = y - (hi - x);
                if lo != 0.0 {
                    partials[i] = lo;
                    i += 1;
                }
                x = hi;
            }
            partials.truncate(i);
            partials.push(x);
        }
        let p = &partials;
        let mut n = p.len();
        if n == 0 {
            return Some(0.0);
        }
        n -= 1;
        let (mut hi, mut lo) = (p[n], 0.0);
        while n > 0 {
            let x = hi;
            n -= 1;
            let y = p[n];
            hi = x + y;
            lo = y - (hi - x);
            if lo != 0.0 {
                break;
            }
        }
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            if y == x - hi {
                hi = x;
            }
        }
        Some(hi)
    }

    fn fsum(xs: &[f64]) -> f64 {
        let mut s = FSum::default();
        xs.iter().for_each(|&x| s.add(x));
        s.value()
    }

    fn xorshift(st: &mut u64) -> u64 {
        *st ^= *st << 13;
        *st ^= *st >> 7;
        *st ^= *st << 17;
        *st
    }

    #[test]
    fn equals_shewchuk_on_random_values() {
        let mut st = 0x9e37_79b9_7f4a_7c15u64;
        let mut compared = 0;
        for trial in 0..2000 {
            let n = 1 + (xorshift(&mut st) % 64) as usize;
            let xs: Vec<f64> = (0..n)
                .map(|_| {
                    let r = xorshift(&mut st);
                    match trial % 4 {
                        // Any finite double, subnormals included.
                        0 => f64::from_bits(r & !(0x7ff << 52) | ((r >> 3) % 2047) << 52),
                        // Near-cancelling values of close exponents: ties and sticky bits.
                        1 => ((r % 2001) as f64 - 1000.0) * 2f64.powi((r >> 40) as i32 % 60 - 30),
                        // Subnormals only.
                        2 => {
                            f64::from_bits(r & ((1 << 52) - 1))
                                * if r >> 63 == 1 { -1.0 } else { 1.0 }
                        }
                        _ => (r as i64) as f64 * 1e-300,
                    }
                })
                .collect();
            if let Some(want) = shewchuk(&xs) {
                assert_eq!(fsum(&xs).to_bits(), want.to_bits(), "{xs:?}");
                compared += 1;
            }
        }
        assert!(compared > 1500, "{compared}");
    }

    #[test]
    fn edge_cases() {
        // Intermediate overflow: the exact sum is representable.
        assert_eq!(fsum(&[f64::MAX, f64::MAX, -f64::MAX]), f64::MAX);
        assert_eq!(fsum(&[f64::MAX, f64::MAX]), f64::INFINITY);
        assert_eq!(fsum(&[-f64::MAX, -f64::MAX]), f64::NEG_INFINITY);
        // Past max by half an ulp rounds (to even) to infinity; by a quarter it stays.
        let ulp = f64::MAX - f64::from_bits(f64::MAX.to_bits() - 1);
        assert_eq!(fsum(&[f64::MAX, ulp / 2.0]), f64::INFINITY);
        assert_eq!(fsum(&[f64::MAX, ulp / 4.0]), f64::MAX);
        // Signs of zero, as IEEE and math.fsum.
        assert!(fsum(&[-0.0, -0.0]).is_sign_negative());
        assert!(fsum(&[-0.0, 0.0]).is_sign_positive());
        assert!(fsum(&[-1.0, 1.0]).is_sign_positive());
        assert!(fsum(&[]).is_sign_positive());
        // Specials.
        assert!(fsum(&[f64::INFINITY, f64::NEG_INFINITY]).is_nan());
        assert_eq!(fsum(&[f64::INFINITY, 1.0]), f64::INFINITY);
        assert!(fsum(&[f64::NAN, 1.0]).is_nan());
        // Ties to even: 2^53 + 1 lies between two doubles; a tiny extra breaks the tie.
        assert_eq!(fsum(&[9007199254740992.0, 1.0]), 9007199254740992.0);
        assert_eq!(fsum(&[9007199254740994.0, 1.0]), 9007199254740996.0);
        assert_eq!(fsum(&[9007199254740992.0, 1.0, 1e-300]), 9007199254740994.0);
        assert_eq!(fsum(&[1e100, 1.0, -1e100]), 1.0);
        assert_eq!(fsum(&[0.1; 10]), 1.0);
        // Subnormals.
        let d = f64::from_bits(1);
        assert_eq!(fsum(&[d, d, d]).to_bits(), 3);
        assert_eq!(
            fsum(&[f64::MIN_POSITIVE, -d]).to_bits(),
            f64::MIN_POSITIVE.to_bits() - 1
        );
    }

    #[test]
    fn random_exponents_stay_linear() {
        // Damaged data (random bits: exponents over the whole range) makes Shewchuk's
        // partials grow to hundreds, and `dump` took minutes on a few MB; the buckets do
        // not care. Timed against the reference on the same values, in one run.
        let mut st = 88172645463325252u64;
        let xs: Vec<f64> = std::iter::from_fn(|| Some(f64::from_bits(xorshift(&mut st))))
            .filter(|x| x.is_finite() && x.abs() < 1e300)
            .take(300_000)
            .collect();
        let t = std::time::Instant::now();
        let ours = fsum(&xs);
        let t_ours = t.elapsed();
        let t = std::time::Instant::now();
        let want = shewchuk(&xs);
        let t_ref = t.elapsed();
        assert_eq!(Some(ours), want);
        assert!(t_ours * 5 < t_ref, "ours {t_ours:?}, reference {t_ref:?}");
    }
}

#[cfg(test)]
mod big_integer_tests {
    use super::*;

    #[test]
    fn sums_beyond_64_bits_are_written_exactly() {
        // HDF5's packedbits.h5 DU64BITS: h5py (Python ints) sums to 8780650179085746569471.
        let doc = serde_json::json!({"sum": big_integer(8780650179085746569471), "n": big_integer(-147573952589676412673)});
        let text = exact_integers(serde_json::to_string_pretty(&doc).unwrap());
        assert!(text.contains("\"sum\": 8780650179085746569471"), "{text}");
        assert!(text.contains("\"n\": -147573952589676412673"), "{text}");
        let mut v = doc;
        approximate_integers(&mut v);
        assert_eq!(v["sum"], serde_json::json!(8780650179085746569471.0));
        // A string that merely looks like a mark is kept.
        let t = exact_integers(r#"{"a": "\u0001pymodaq-h5 integer x\u0001"}"#.to_string());
        assert_eq!(t, r#"{"a": "\u0001pymodaq-h5 integer x\u0001"}"#);
    }

    #[test]
    fn repeated_additions_equal_the_loop() {
        for x in [
            0.1,
            -1.5,
            1e-310,
            -0.0,
            0.0,
            3.0e300,
            f64::INFINITY,
            f64::NAN,
        ] {
            for n in [0u64, 1, 7, 1000] {
                let mut a = FSum::default();
                a.add(2.5);
                assert!(a.add_repeated(x, n));
                let mut b = FSum::default();
                b.add(2.5);
                (0..n).for_each(|_| b.add(x));
                assert_eq!(a.value().to_bits(), b.value().to_bits(), "{x} x {n}");
            }
        }
        let mut z = FSum::default();
        assert!(z.add_repeated(-0.0, 5));
        assert_eq!(z.value().to_bits(), (-0.0f64).to_bits());
    }
}
