//! h5grove's `selection` parameter (NumPy slicing text, `"0:10:2, 3, :"`) applied as h5py
//! applies it: integers drop their dimension, slices clamp, steps must be positive.

use std::ops::Range;

/// One member of a selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    /// `5` or `-1`: one index, the dimension is dropped.
    Index(i64),
    /// `start:stop:step` (missing parts are `None`).
    Slice {
        /// Start.
        start: Option<i64>,
        /// Stop.
        stop: Option<i64>,
        /// Step.
        step: Option<i64>,
    },
}

/// Why a selection is refused (h5grove answers these with a 500: Python raises a
/// `ValueError`/`IndexError` it does not catch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelError(pub String);

/// Python's `int()` on a slice member: surrounding whitespace, a sign, digits with single
/// underscores between them.
fn py_int(s: &str) -> Result<i64, SelError> {
    let t = s.trim();
    let bad = || SelError(format!("invalid literal for int() with base 10: {s:?}"));
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return Err(bad());
    }
    let digits: String = body.chars().filter(|&c| c != '_').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let v: i64 = digits
        .parse()
        .map_err(|_| SelError(format!("index {s:?} out of range")))?;
    Ok(if neg { -v } else { v })
}

fn opt_int(s: &str) -> Result<Option<i64>, SelError> {
    if s.is_empty() {
        Ok(None)
    } else {
        py_int(s).map(Some)
    }
}

/// h5grove's `parse_slice`.
pub fn parse(text: &str) -> Result<Vec<Member>, SelError> {
    text.split(',').map(parse_member).collect()
}

fn parse_member(m: &str) -> Result<Member, SelError> {
    if !m.contains(':') {
        return Ok(Member::Index(py_int(m)?));
    }
    let parts: Vec<&str> = m.split(':').collect();
    match parts.as_slice() {
        // h5grove maps a missing start of `a:b` to 0 and of `a:b:c` to None: the same for
        // positive steps, the only ones h5py accepts.
        [a, b] => Ok(Member::Slice {
            start: Some(opt_int(a)?.unwrap_or(0)),
            stop: opt_int(b)?,
            step: None,
        }),
        [a, b, c] => Ok(Member::Slice {
            start: opt_int(a)?,
            stop: opt_int(b)?,
            step: opt_int(c)?,
        }),
        _ => Err(SelError(format!("{m} is not a valid slice"))),
    }
}

/// A selection resolved against a shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The hull read from the file, one range per dimension.
    pub hull: Vec<Range<u64>>,
    /// The step in each dimension.
    pub steps: Vec<u64>,
    /// Shape of the result (indexed dimensions dropped).
    pub shape: Vec<u64>,
    /// Every dimension was indexed: the result is a scalar.
    pub scalar: bool,
}

impl Plan {
    /// The whole dataset.
    pub fn all(dims: &[u64]) -> Plan {
        Plan {
            hull: dims.iter().map(|&d| 0..d).collect(),
            steps: vec![1; dims.len()],
            shape: dims.to_vec(),
            scalar: dims.is_empty(),
        }
    }

    /// Elements selected.
    pub fn count(&self) -> u64 {
        self.hull
            .iter()
            .zip(&self.steps)
            .map(|(r, s)| (r.end - r.start).div_ceil((*s).max(1)))
            .fold(1u64, |a, b| a.saturating_mul(b))
    }

    /// Elements in the hull.
    pub fn hull_count(&self) -> u64 {
        self.hull
            .iter()
            .map(|r| r.end - r.start)
            .fold(1u64, |a, b| a.saturating_mul(b))
    }

    /// Keep every `step`th element of a hull read (C order, `elem` bytes each).
    pub fn subsample<T: Clone>(&self, hull: Vec<T>, per_elem: usize) -> Vec<T> {
        if self.steps.iter().all(|&s| s == 1) {
            return hull;
        }
        let dims: Vec<u64> = self.hull.iter().map(|r| r.end - r.start).collect();
        let n = usize::try_from(self.count()).unwrap_or(0);
        let mut out = Vec::with_capacity(n.saturating_mul(per_elem));
        let rank = dims.len();
        let mut idx = vec![0u64; rank];
        if dims.contains(&0) {
            return out;
        }
        loop {
            let mut flat = 0u64;
            for d in 0..rank {
                flat = flat * dims[d] + idx[d];
            }
            let at = flat as usize * per_elem;
            if let Some(chunk) = hull.get(at..at + per_elem) {
                out.extend_from_slice(chunk);
            }
            // Next index, last dimension fastest, by each dimension's step.
            let mut d = rank;
            loop {
                if d == 0 {
                    return out;
                }
                d -= 1;
                idx[d] += self.steps[d];
                if idx[d] < dims[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
    }
}

/// Resolve `members` against `dims` as h5py does.
pub fn plan(members: &[Member], dims: &[u64], text: &str) -> Result<Plan, SelError> {
    if members.len() > dims.len() {
        return Err(SelError(format!(
            "{text} has too many members to slice a {}D dataset",
            dims.len()
        )));
    }
    let mut p = Plan::all(dims);
    p.shape.clear();
    for (d, &n) in dims.iter().enumerate() {
        let ni = i64::try_from(n).map_err(|_| SelError("dimension too large".into()))?;
        match members.get(d) {
            None => p.shape.push(n),
            Some(Member::Index(i)) => {
                let j = if *i < 0 { i + ni } else { *i };
                if j < 0 || j >= ni {
                    return Err(SelError(format!(
                        "Index ({i}) out of range for (0-{})",
                        ni - 1
                    )));
                }
                p.hull[d] = j as u64..j as u64 + 1;
            }
            Some(Member::Slice { start, stop, step }) => {
                let step = step.unwrap_or(1);
                if step < 1 {
                    return Err(SelError(format!("Step must be >= 1 (got {step})")));
                }
                // Python's slice.indices for a positive step.
                let clamp = |v: Option<i64>, dflt: i64| match v {
                    None => dflt,
                    Some(v) if v < 0 => (v + ni).max(0),
                    Some(v) => v.min(ni),
                };
                let a = clamp(*start, 0);
                let b = clamp(*stop, ni).max(a);
                p.hull[d] = a as u64..b as u64;
                p.steps[d] = step as u64;
                p.shape.push(((b - a) as u64).div_ceil(step as u64));
            }
        }
    }
    p.scalar = members.len() == dims.len() && members.iter().all(|m| matches!(m, Member::Index(_)));
    if dims.is_empty() {
        p.scalar = true;
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_h5grove() {
        assert_eq!(parse("5").unwrap(), vec![Member::Index(5)]);
        assert_eq!(
            parse("1, 2:5").unwrap(),
            vec![
                Member::Index(1),
                Member::Slice {
                    start: Some(2),
                    stop: Some(5),
                    step: None
                }
            ]
        );
        assert!(parse("a").is_err());
        assert!(parse("").is_err());
        assert!(parse("1:2:3:4").is_err());
        assert_eq!(parse(" -1_0 ").unwrap(), vec![Member::Index(-10)]);
    }

    #[test]
    fn plans_like_h5py() {
        let p = plan(&parse("1:9:3").unwrap(), &[10, 4], "").unwrap();
        assert_eq!(p.shape, vec![3, 4]);
        assert_eq!(p.count(), 12);
        let p = plan(&parse("-1,2").unwrap(), &[10, 4], "").unwrap();
        assert!(p.scalar);
        assert_eq!(p.hull, vec![9..10, 2..3]);
        assert!(plan(&parse("10").unwrap(), &[10], "").is_err());
        assert!(plan(&parse("::0").unwrap(), &[10], "").is_err());
        assert!(plan(&parse("1,1").unwrap(), &[10], "").is_err());
        let p = plan(&parse("5:2").unwrap(), &[10], "").unwrap();
        assert_eq!(p.shape, vec![0]);
        let p = plan(&parse("0:10:4").unwrap(), &[10], "").unwrap();
        let v: Vec<u32> = (0..10).collect();
        assert_eq!(p.subsample(v, 1), vec![0, 4, 8]);
    }
}
