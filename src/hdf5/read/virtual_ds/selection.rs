//! Serialised dataspace selections of virtual dataset mappings (all, none, points,
//! hyperslabs versions 1-3, regular or block lists), unlimited ones cut finite, and their
//! enumeration in C order: what the mappings of `super` copy between.

use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;

use super::{STRUCTURE, UNLIMITED};

/// One dimension of a regular hyperslab (`UNLIMITED` count or block allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reg {
    pub(super) start: u64,
    pub(super) stride: u64,
    pub(super) count: u64,
    pub(super) block: u64,
}

/// One serialised selection: per dimension when it is separable (all, regular hyperslab),
/// else as a list of points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Sel {
    /// Every element of the extent.
    All,
    /// Nothing.
    Nothing,
    /// The Cartesian product of one sorted coordinate list per dimension.
    Product(Vec<Vec<u64>>),
    /// Explicit points (a points selection: stored order; block lists: sorted, C order).
    Points(Vec<Vec<u64>>),
    /// A regular hyperslab unlimited (count or block) in dimension `dim`, the only one HDF5
    /// allows; enumerated only once cut (`Cut`).
    Unlimited { dims: Vec<Reg>, dim: usize },
}

/// How an unlimited selection is made finite in its unlimited dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cut {
    /// The coordinates below this extent (`H5S_hyper_clip_unlim`).
    Below(u64),
    /// Block `j` only (`H5S_hyper_get_unlim_block`, printf mappings).
    Block(u64),
}

/// Coordinates enumerated are charged to `budget` (elements), so a hostile count cannot
/// make us enumerate without end.
pub(super) fn charge(n: u64, budget: &mut u64, at: u64) -> Result<usize> {
    *budget = budget.checked_sub(n).ok_or_else(|| {
        Error::unsupported(
            "virtual dataset selections larger than max_alloc elements",
            Some(at),
        )
    })?;
    usize::try_from(n).map_err(|_| Error::format(STRUCTURE, at, "selection too large"))
}

pub(super) fn check_rank(rank: usize, at: u64) -> Result<()> {
    if rank == 0 || rank > 32 {
        return Err(Error::format(
            STRUCTURE,
            at,
            format!("selection rank {rank}"),
        ));
    }
    Ok(())
}

pub(super) fn read_selection(c: &mut Cursor<'_>, budget: &mut u64) -> Result<Sel> {
    let at = c.addr();
    let kind = c.u32()?;
    let version = c.u32()?;
    match kind {
        0 | 3 => {
            // none / all: version 1, 4 reserved bytes, length (0).
            c.skip(8)?;
            Ok(if kind == 0 { Sel::Nothing } else { Sel::All })
        }
        1 => {
            let (enc, rank, n) = match version {
                1 => {
                    c.skip(8)?; // reserved, length
                    let rank = c.u32()? as usize;
                    (4usize, rank, u64::from(c.u32()?))
                }
                2 => {
                    let enc = usize::from(c.u8()?);
                    let rank = c.u32()? as usize;
                    (enc, rank, c.uint(enc)?)
                }
                v => {
                    return Err(Error::unsupported(
                        format!("virtual dataset point selection version {v}"),
                        Some(at),
                    ))
                }
            };
            check_rank(rank, at)?;
            let n = charge(n, budget, at)?;
            let mut pts = Vec::with_capacity(n.min(1 << 16));
            for _ in 0..n {
                let mut p = Vec::with_capacity(rank);
                for _ in 0..rank {
                    p.push(c.uint(enc)?);
                }
                pts.push(p);
            }
            Ok(Sel::Points(pts))
        }
        2 => match version {
            1 => {
                c.skip(8)?; // reserved, length
                let rank = c.u32()? as usize;
                let nblocks = u64::from(c.u32()?);
                blocks(c, rank, nblocks, 4, budget, at)
            }
            2 => {
                let flags = c.u8()?;
                c.skip(4)?; // length
                let rank = c.u32()? as usize;
                if flags & 1 == 0 {
                    return Err(Error::format(STRUCTURE, at, "hyperslab v2 not regular"));
                }
                regular(c, rank, 8, budget, at)
            }
            3 => {
                let flags = c.u8()?;
                let enc = usize::from(c.u8()?);
                let rank = c.u32()? as usize;
                if flags & 1 != 0 {
                    regular(c, rank, enc, budget, at)
                } else {
                    let nblocks = c.uint(enc)?;
                    blocks(c, rank, nblocks, enc, budget, at)
                }
            }
            v => Err(Error::unsupported(
                format!("virtual dataset hyperslab selection version {v}"),
                Some(at),
            )),
        },
        k => Err(Error::format(STRUCTURE, at, format!("selection type {k}"))),
    }
}

/// The coordinates of one limited regular dimension, sorted, each once.
pub(super) fn regular_coords(r: &Reg, budget: &mut u64, at: u64) -> Result<Vec<u64>> {
    let n = r
        .count
        .checked_mul(r.block)
        .ok_or_else(|| Error::format(STRUCTURE, at, "hyperslab size overflows"))?;
    let mut v = Vec::with_capacity(charge(n, budget, at)?.min(1 << 16));
    for k in 0..r.count {
        for b in 0..r.block {
            let x = k
                .checked_mul(r.stride)
                .and_then(|o| o.checked_add(r.start))
                .and_then(|o| o.checked_add(b))
                .ok_or_else(|| Error::format(STRUCTURE, at, "hyperslab overflows"))?;
            v.push(x);
        }
    }
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

/// A regular hyperslab: start, stride, count, block per dimension. One dimension may be
/// unlimited (kept as `Sel::Unlimited`); HDF5 refuses more, and overlapping unlimited blocks.
pub(super) fn regular(
    c: &mut Cursor<'_>,
    rank: usize,
    enc: usize,
    budget: &mut u64,
    at: u64,
) -> Result<Sel> {
    check_rank(rank, at)?;
    let mut regs = Vec::with_capacity(rank);
    for _ in 0..rank {
        let mut v = [0u64; 4];
        for x in &mut v {
            let raw = c.uint(enc)?;
            *x = if crate::hdf5::cursor::is_all_ones(raw, enc) {
                UNLIMITED
            } else {
                raw
            };
        }
        let [start, stride, count, block] = v;
        if start == UNLIMITED || stride == UNLIMITED {
            return Err(Error::format(
                STRUCTURE,
                at,
                "unlimited hyperslab start or stride",
            ));
        }
        regs.push(Reg {
            start,
            stride,
            count,
            block,
        });
    }
    let unlimited: Vec<usize> = regs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.count == UNLIMITED || r.block == UNLIMITED)
        .map(|(d, _)| d)
        .collect();
    match unlimited.as_slice() {
        [] => {
            let mut dims = Vec::with_capacity(rank);
            for r in &regs {
                dims.push(regular_coords(r, budget, at)?);
            }
            Ok(Sel::Product(dims))
        }
        [d] => {
            let r = regs
                .get(*d)
                .copied()
                .ok_or_else(|| Error::format(STRUCTURE, at, "unlimited dimension out of range"))?;
            let bad = if r.count == UNLIMITED && r.block == UNLIMITED {
                Some("both count and block unlimited")
            } else if r.block == UNLIMITED && r.count != 1 {
                Some("unlimited block with a count other than 1")
            } else if r.count == UNLIMITED && (r.block == 0 || r.stride < r.block) {
                Some("unlimited count of empty or overlapping blocks")
            } else {
                None
            };
            if let Some(why) = bad {
                return Err(Error::format(
                    STRUCTURE,
                    at,
                    format!("unlimited hyperslab: {why}"),
                ));
            }
            Ok(Sel::Unlimited {
                dims: regs,
                dim: *d,
            })
        }
        _ => Err(Error::format(
            STRUCTURE,
            at,
            "hyperslab unlimited in more than one dimension",
        )),
    }
}

/// A list of blocks (start and end corners, inclusive): the union of their elements in C
/// order, as HDF5 iterates a hyperslab.
pub(super) fn blocks(
    c: &mut Cursor<'_>,
    rank: usize,
    nblocks: u64,
    enc: usize,
    budget: &mut u64,
    at: u64,
) -> Result<Sel> {
    check_rank(rank, at)?;
    let mut pts: Vec<Vec<u64>> = Vec::new();
    for _ in 0..nblocks {
        let mut lo = Vec::with_capacity(rank);
        let mut hi = Vec::with_capacity(rank);
        for _ in 0..rank {
            lo.push(c.uint(enc)?);
        }
        for _ in 0..rank {
            hi.push(c.uint(enc)?);
        }
        let mut n = 1u64;
        for (l, h) in lo.iter().zip(&hi) {
            if h < l {
                return Err(Error::format(
                    STRUCTURE,
                    at,
                    "hyperslab block ends before it starts",
                ));
            }
            n = n
                .checked_mul(h - l + 1)
                .ok_or_else(|| Error::format(STRUCTURE, at, "hyperslab block too large"))?;
        }
        charge(n, budget, at)?;
        let per_dim: Vec<Vec<u64>> = lo
            .iter()
            .zip(&hi)
            .map(|(&l, &h)| (l..=h).collect())
            .collect();
        pts.extend(product(&per_dim));
    }
    pts.sort_unstable();
    pts.dedup();
    Ok(Sel::Points(pts))
}

/// Every combination of one coordinate per dimension, in C order.
pub(super) fn product(per_dim: &[Vec<u64>]) -> Vec<Vec<u64>> {
    let mut out = Vec::new();
    if per_dim.iter().any(|v| v.is_empty()) {
        return out;
    }
    let mut idx = vec![0usize; per_dim.len()];
    loop {
        out.push(
            idx.iter()
                .zip(per_dim)
                .map(|(&i, v)| v.get(i).copied().unwrap_or(0))
                .collect(),
        );
        let mut d = idx.len();
        loop {
            if d == 0 {
                return out;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < per_dim[d].len() {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// Mappings are enumerated element by element: at most this many per selection.
pub(super) const MAX_POINTS: u64 = 1 << 24;

pub(super) fn too_many(at: u64) -> Error {
    Error::unsupported(
        format!("virtual dataset mappings of more than {MAX_POINTS} elements"),
        Some(at),
    )
}

/// How many coordinates of the unlimited dimension `r` lie below `n`
/// (`H5S_hyper_get_clip_extent_match`'s slice count).
pub(super) fn slices_below(r: &Reg, n: u64) -> u64 {
    let Some(span) = n.checked_sub(r.start).filter(|&s| s > 0) else {
        return 0;
    };
    if r.block == UNLIMITED || r.block == r.stride || r.stride == 0 {
        return span;
    }
    let full = span / r.stride;
    let rem = span % r.stride;
    full.saturating_mul(r.block)
        .saturating_add(rem.min(r.block))
}

/// The smallest extent of the unlimited dimension `r` holding `n` of its coordinates, its
/// last block possibly cut (`H5S__hyper_get_clip_extent_real` without trailing space).
pub(super) fn extent_for(r: &Reg, n: u64, at: u64) -> Result<u64> {
    let overflow = || Error::format(STRUCTURE, at, "unlimited selection extent overflows");
    if n == 0 {
        return Ok(0);
    }
    if r.block == UNLIMITED || r.block == r.stride || r.block == 0 {
        return r.start.checked_add(n).ok_or_else(overflow);
    }
    let full = n / r.block;
    let rem = n % r.block;
    let end = if rem > 0 {
        full.checked_mul(r.stride)
            .and_then(|x| x.checked_add(r.start))
            .and_then(|x| x.checked_add(rem))
    } else {
        (full - 1)
            .checked_mul(r.stride)
            .and_then(|x| x.checked_add(r.start))
            .and_then(|x| x.checked_add(r.block))
    };
    end.ok_or_else(overflow)
}

/// The coordinates of the unlimited dimension `r` once cut, sorted.
pub(super) fn cut_coords(r: &Reg, cut: Cut, at: u64) -> Result<Vec<u64>> {
    let overflow = || Error::format(STRUCTURE, at, "unlimited selection overflows");
    match cut {
        Cut::Below(n) => {
            if slices_below(r, n) > MAX_POINTS {
                return Err(too_many(at));
            }
            let mut v = Vec::new();
            let block = if r.block == UNLIMITED { n } else { r.block };
            let mut k = 0u64;
            while let Some(first) = k
                .checked_mul(r.stride)
                .and_then(|o| o.checked_add(r.start))
                .filter(|&f| f < n)
            {
                for b in 0..block {
                    match first.checked_add(b) {
                        Some(x) if x < n => v.push(x),
                        _ => break,
                    }
                }
                if r.count != UNLIMITED || r.stride == 0 {
                    break;
                }
                k += 1;
            }
            Ok(v)
        }
        Cut::Block(j) => {
            if r.block > MAX_POINTS {
                return Err(too_many(at));
            }
            let first = j
                .checked_mul(r.stride)
                .and_then(|o| o.checked_add(r.start))
                .ok_or_else(overflow)?;
            (0..r.block)
                .map(|b| first.checked_add(b).ok_or_else(overflow))
                .collect()
        }
    }
}

/// The coordinates a selection picks in an extent of `dims`, in its iteration order; an
/// unlimited selection is first cut by `cut`.
pub(super) fn coordinates(
    sel: &Sel,
    cut: Option<Cut>,
    dims: &[u64],
    at: u64,
) -> Result<Vec<Vec<u64>>> {
    if let Sel::Unlimited { dims: regs, dim } = sel {
        let cut = cut.ok_or_else(|| {
            Error::format(STRUCTURE, at, "unlimited selection read without its extent")
        })?;
        let mut budget = MAX_POINTS;
        let mut per_dim = Vec::with_capacity(regs.len());
        for (d, r) in regs.iter().enumerate() {
            per_dim.push(if d == *dim {
                cut_coords(r, cut, at)?
            } else {
                regular_coords(r, &mut budget, at).map_err(|_| too_many(at))?
            });
        }
        return coordinates(&Sel::Product(per_dim), None, dims, at);
    }
    let outside = || Error::format(STRUCTURE, at, "selection outside the extent");
    let n = match sel {
        Sel::All => dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d)),
        Sel::Product(v) => v
            .iter()
            .try_fold(1u64, |a, x| a.checked_mul(x.len() as u64)),
        Sel::Points(p) => Some(p.len() as u64),
        Sel::Nothing | Sel::Unlimited { .. } => Some(0),
    };
    if n.is_none_or(|n| n > MAX_POINTS) {
        return Err(too_many(at));
    }
    match sel {
        Sel::Nothing | Sel::Unlimited { .. } => Ok(Vec::new()),
        Sel::Points(p) => {
            if p.iter()
                .any(|q| q.len() != dims.len() || q.iter().zip(dims).any(|(x, d)| x >= d))
            {
                return Err(outside());
            }
            Ok(p.clone())
        }
        Sel::All => Ok(product(
            &dims.iter().map(|&d| (0..d).collect()).collect::<Vec<_>>(),
        )),
        Sel::Product(v) => {
            if v.len() != dims.len()
                || v.iter()
                    .zip(dims)
                    .any(|(x, d)| x.last().is_some_and(|l| l >= d))
            {
                return Err(outside());
            }
            Ok(product(v))
        }
    }
}

/// Per dimension, one past the last coordinate a virtual selection reaches (0 when none),
/// leaving out its unlimited dimension (`H5D_virtual_update_min_dims`; all and none
/// selections count for nothing).
pub(super) fn reach(sel: &Sel, rank: usize) -> Vec<u64> {
    let mut out = vec![0u64; rank];
    match sel {
        Sel::All | Sel::Nothing => {}
        Sel::Product(v) => {
            for (o, x) in out.iter_mut().zip(v) {
                *o = x.last().map_or(0, |l| l.saturating_add(1));
            }
        }
        Sel::Points(p) => {
            for q in p {
                for (o, &x) in out.iter_mut().zip(q) {
                    *o = (*o).max(x.saturating_add(1));
                }
            }
        }
        Sel::Unlimited { dims, dim } => {
            for (d, (o, r)) in out.iter_mut().zip(dims).enumerate() {
                if d != *dim && r.count > 0 && r.block > 0 {
                    *o = (r.count - 1)
                        .saturating_mul(r.stride)
                        .saturating_add(r.start)
                        .saturating_add(r.block);
                }
            }
        }
    }
    out
}

/// Elements of an unlimited selection outside its unlimited dimension.
pub(super) fn non_unlimited_elements(dims: &[Reg], dim: usize) -> Option<u64> {
    dims.iter()
        .enumerate()
        .filter(|(d, _)| *d != dim)
        .try_fold(1u64, |a, (_, r)| {
            a.checked_mul(r.count.checked_mul(r.block)?)
        })
}

pub(super) fn linear(p: &[u64], dims: &[u64]) -> u64 {
    p.iter()
        .zip(dims)
        .fold(0u64, |a, (&x, &d)| a.saturating_mul(d).saturating_add(x))
}
