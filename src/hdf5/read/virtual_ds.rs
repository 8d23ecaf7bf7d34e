//! Virtual datasets (Data Layout class 3, HDF5 1.10+), read as h5py reads them with the
//! default view: every mapping copies the elements of a source dataset's selection (in the
//! same file, or in another file found relative to this one) to the virtual selection;
//! elements no mapping covers, and mappings whose source file or dataset is missing, read as
//! the virtual dataset's fill value.
//!
//! The layout message holds a global heap ID; the heap object (versions 0 and 1, as HDF5
//! 1.10-1.14 and 2.0 write it) lists the mappings: source file name (version 1: omitted when
//! flag 0x04 says "this file", or the index of an earlier mapping with the same name, flag
//! 0x01), source dataset path (or an earlier mapping's index, flag 0x02), source and virtual selections
//! (serialised dataspace selections: all, none, points, hyperslabs versions 1-3, regular or
//! a list of blocks), then a lookup3 checksum.
//!
//! Refused by name: printf-style source names (`%b`), unlimited selections, sources of
//! another datatype or of variable-length types, selections of different sizes.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
use crate::hdf5::io::FileIo;
use crate::hdf5::message::datatype::Datatype;
use crate::hdf5::message::RawMessage;

use super::dataset::Dataset;
use super::file::File;

const STRUCTURE: &str = "virtual dataset mapping";

/// Where the mappings of a virtual dataset are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualLayout {
    /// Global heap collection holding the mappings.
    pub heap_address: u64,
    /// Object index in that collection.
    pub heap_index: u32,
}

/// The virtual layout of a raw Data Layout message (version 4+, class 3); `None` for the
/// other classes.
pub(crate) fn parse_layout(raw: &RawMessage, io: &FileIo) -> Result<Option<VirtualLayout>> {
    match raw.data.as_slice() {
        [v, 3, ..] if *v >= 4 => {}
        _ => return Ok(None),
    }
    let mut c = io.cursor(&raw.data, raw.at, "data layout message (virtual)");
    c.skip(2)?;
    let heap_address = c.offset()?;
    let heap_index = c.u32()?;
    Ok(Some(VirtualLayout {
        heap_address,
        heap_index,
    }))
}

/// One serialised selection: per dimension when it is separable (all, regular hyperslab),
/// else as a list of points.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sel {
    /// Every element of the extent.
    All,
    /// Nothing.
    Nothing,
    /// The Cartesian product of one sorted coordinate list per dimension.
    Product(Vec<Vec<u64>>),
    /// Explicit points (a points selection: stored order; block lists: sorted, C order).
    Points(Vec<Vec<u64>>),
}

/// One mapping of the heap object.
#[derive(Debug, Clone)]
pub(crate) struct Mapping {
    /// `None`: this file.
    file: Option<String>,
    dataset: String,
    source: Sel,
    virtual_sel: Sel,
}

fn cstring(c: &mut Cursor<'_>) -> Result<String> {
    let n = c
        .rest()
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| Error::format(STRUCTURE, c.addr(), "unterminated name"))?;
    let s = String::from_utf8_lossy(c.bytes(n)?).into_owned();
    c.skip(1)?;
    Ok(s)
}

/// Coordinates enumerated are charged to `budget` (elements), so a hostile count cannot
/// make us enumerate without end.
fn charge(n: u64, budget: &mut u64, at: u64) -> Result<usize> {
    *budget = budget.checked_sub(n).ok_or_else(|| {
        Error::unsupported(
            "virtual dataset selections larger than max_alloc elements",
            Some(at),
        )
    })?;
    usize::try_from(n).map_err(|_| Error::format(STRUCTURE, at, "selection too large"))
}

fn check_rank(rank: usize, at: u64) -> Result<()> {
    if rank == 0 || rank > 32 {
        return Err(Error::format(
            STRUCTURE,
            at,
            format!("selection rank {rank}"),
        ));
    }
    Ok(())
}

fn read_selection(c: &mut Cursor<'_>, budget: &mut u64) -> Result<Sel> {
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

/// A regular hyperslab: start, stride, count, block per dimension.
fn regular(c: &mut Cursor<'_>, rank: usize, enc: usize, budget: &mut u64, at: u64) -> Result<Sel> {
    check_rank(rank, at)?;
    let mut dims = Vec::with_capacity(rank);
    for _ in 0..rank {
        let (start, stride, count, block) =
            (c.uint(enc)?, c.uint(enc)?, c.uint(enc)?, c.uint(enc)?);
        let unlimited = |v: u64| crate::hdf5::cursor::is_all_ones(v, enc);
        if unlimited(count) || unlimited(block) {
            return Err(Error::unsupported(
                "virtual dataset with an unlimited selection",
                Some(at),
            ));
        }
        let n = count
            .checked_mul(block)
            .ok_or_else(|| Error::format(STRUCTURE, at, "hyperslab size overflows"))?;
        let mut v = Vec::with_capacity(charge(n, budget, at)?.min(1 << 16));
        for k in 0..count {
            for b in 0..block {
                let x = k
                    .checked_mul(stride)
                    .and_then(|o| o.checked_add(start))
                    .and_then(|o| o.checked_add(b))
                    .ok_or_else(|| Error::format(STRUCTURE, at, "hyperslab overflows"))?;
                v.push(x);
            }
        }
        v.sort_unstable();
        v.dedup();
        dims.push(v);
    }
    Ok(Sel::Product(dims))
}

/// A list of blocks (start and end corners, inclusive): the union of their elements in C
/// order, as HDF5 iterates a hyperslab.
fn blocks(
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
fn product(per_dim: &[Vec<u64>]) -> Vec<Vec<u64>> {
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

fn parse_mappings(bytes: &[u8], io: &FileIo, at: u64) -> Result<Vec<Mapping>> {
    let mut c = io.cursor(bytes, at, STRUCTURE);
    let version = c.u8()?;
    if version > 1 {
        return Err(Error::unsupported(
            format!("virtual dataset mapping list version {version}"),
            Some(at),
        ));
    }
    let n = c.length()?;
    let mut budget = io.limits.max_alloc;
    let mut out = Vec::new();
    for _ in 0..n {
        let flags = if version >= 1 { c.u8()? } else { 0 };
        if flags & !0x07 != 0 {
            return Err(Error::unsupported(
                format!("virtual dataset mapping flags {flags:#x}"),
                Some(c.addr()),
            ));
        }
        // Version 1 shares names: flag 0x01, the source file name of an earlier mapping
        // (its index follows); 0x02, its dataset name; 0x04, this file (no name).
        let earlier = |c: &mut Cursor<'_>, out: &[Mapping]| -> Result<Mapping> {
            let at = c.addr();
            let i = c.length()?;
            usize::try_from(i)
                .ok()
                .and_then(|i| out.get(i))
                .cloned()
                .ok_or_else(|| Error::format(STRUCTURE, at, format!("shared name of mapping {i}")))
        };
        let file = if flags & 0x04 != 0 {
            None
        } else if flags & 0x01 != 0 {
            earlier(&mut c, &out)?.file
        } else {
            let f = cstring(&mut c)?;
            (f != ".").then_some(f)
        };
        let dataset = if flags & 0x02 != 0 {
            earlier(&mut c, &out)?.dataset
        } else {
            cstring(&mut c)?
        };
        if file.as_deref().is_some_and(|f| f.contains('%')) || dataset.contains('%') {
            return Err(Error::unsupported(
                "virtual dataset with printf-style source names",
                Some(c.addr()),
            ));
        }
        let source = read_selection(&mut c, &mut budget)?;
        let virtual_sel = read_selection(&mut c, &mut budget)?;
        out.push(Mapping {
            file,
            dataset,
            source,
            virtual_sel,
        });
    }
    Ok(out)
}

/// Mappings are enumerated element by element: at most this many per selection.
const MAX_POINTS: u64 = 1 << 24;

/// The coordinates a selection picks in an extent of `dims`, in its iteration order.
fn coordinates(sel: &Sel, dims: &[u64], at: u64) -> Result<Vec<Vec<u64>>> {
    let outside = || Error::format(STRUCTURE, at, "selection outside the extent");
    let n = match sel {
        Sel::All => dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d)),
        Sel::Product(v) => v
            .iter()
            .try_fold(1u64, |a, x| a.checked_mul(x.len() as u64)),
        Sel::Points(p) => Some(p.len() as u64),
        Sel::Nothing => Some(0),
    };
    if n.is_none_or(|n| n > MAX_POINTS) {
        return Err(Error::unsupported(
            format!("virtual dataset mappings of more than {MAX_POINTS} elements"),
            Some(at),
        ));
    }
    match sel {
        Sel::Nothing => Ok(Vec::new()),
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

fn linear(p: &[u64], dims: &[u64]) -> u64 {
    p.iter()
        .zip(dims)
        .fold(0u64, |a, (&x, &d)| a.saturating_mul(d).saturating_add(x))
}

/// The source file of a mapping: absolute as given, else next to the virtual dataset's
/// file, else relative to the working directory (HDF5's order without a VDS prefix).
fn source_path(name: &str, this: Option<&Path>) -> Option<PathBuf> {
    let p = Path::new(name);
    if p.is_absolute() {
        return p.exists().then(|| p.to_path_buf());
    }
    if let Some(dir) = this.and_then(Path::parent) {
        let q = dir.join(p);
        if q.exists() {
            return Some(q);
        }
    }
    p.exists().then(|| p.to_path_buf())
}

/// The mapping list of a virtual dataset, checked (checksum, selections). Called when the
/// dataset is opened, so what cannot be read (an unlimited mapping: its extent comes from
/// the sources) is refused on the object rather than shown with the stored extent.
pub(crate) fn load_mappings(obj: &super::file::Object, v: &VirtualLayout) -> Result<Vec<Mapping>> {
    let inner = obj.inner();
    let io = &inner.io;
    let bytes = {
        let mut cache = inner
            .gheap
            .lock()
            .map_err(|_| Error::Usage("global heap cache poisoned by an earlier panic".into()))?;
        cache.get(io, v.heap_address, v.heap_index)?
    };
    let split = bytes
        .len()
        .checked_sub(4)
        .ok_or_else(|| Error::format(STRUCTURE, v.heap_address, "mapping list too short"))?;
    let (body, sum) = bytes.split_at(split);
    let stored = match sum {
        [a, b, c, e] => u32::from_le_bytes([*a, *b, *c, *e]),
        _ => 0,
    };
    crate::hdf5::checksum::verify(STRUCTURE, v.heap_address, body, stored)?;
    parse_mappings(body, io, v.heap_address)
}

thread_local! {
    /// Virtual datasets being read on this thread (a source may itself be virtual, or point
    /// back at the dataset being read).
    static DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Sources of sources followed at most this deep.
const MAX_DEPTH: u32 = 8;

/// The hyperslab `starts`/`counts` of the virtual dataset `d` into `out` (C order over the
/// selection, file byte order, already holding the fill value).
pub(crate) fn read_selection_into(
    d: &Dataset,
    v: &VirtualLayout,
    starts: &[u64],
    counts: &[u64],
    out: &mut [u8],
) -> Result<()> {
    let depth = DEPTH.with(|c| c.get());
    if depth >= MAX_DEPTH {
        return Err(Error::unsupported(
            format!("virtual dataset sources nested deeper than {MAX_DEPTH} (or a cycle)"),
            Some(d.object().address()),
        ));
    }
    DEPTH.with(|c| c.set(depth + 1));
    let r = read_mapped(d, v, starts, counts, out);
    DEPTH.with(|c| c.set(depth));
    r
}

fn read_mapped(
    d: &Dataset,
    v: &VirtualLayout,
    starts: &[u64],
    counts: &[u64],
    out: &mut [u8],
) -> Result<()> {
    let obj = d.object();
    let at = obj.address();
    let inner = obj.inner();
    let io = &inner.io;
    let mappings = load_mappings(obj, v)?;
    if d.datatype.is_variable_length() {
        return Err(Error::unsupported(
            "virtual dataset of a variable-length type",
            Some(at),
        ));
    }
    let elem = usize::try_from(d.datatype.size())
        .map_err(|_| Error::format(STRUCTURE, at, "element too large"))?;
    let dims = d.shape().to_vec();
    let inside = |p: &[u64]| {
        p.iter()
            .zip(starts.iter().zip(counts))
            .all(|(&x, (&s, &c))| x >= s && x - s < c)
    };
    for m in &mappings {
        let src_file = match &m.file {
            None => obj.file.clone(),
            Some(name) => match source_path(name, inner.path.as_deref()) {
                Some(p) => match File::open_with_limits(&p, io.limits) {
                    Ok(f) => f,
                    Err(_) => continue, // unreadable source file: the fill value, as HDF5
                },
                None => continue, // missing source file: the fill value
            },
        };
        let Ok(src) = src_file.dataset(&m.dataset) else {
            continue; // missing source dataset: the fill value
        };
        if !same_type(&src.datatype, &d.datatype) {
            return Err(Error::unsupported(
                format!("virtual dataset source {} of another datatype", m.dataset),
                Some(at),
            ));
        }
        let vpts = coordinates(&m.virtual_sel, &dims, at)?;
        let spts = coordinates(&m.source, src.shape(), at)?;
        if vpts.len() != spts.len() {
            return Err(Error::format(
                STRUCTURE,
                at,
                format!(
                    "source selection of {} elements mapped to {} virtual elements",
                    spts.len(),
                    vpts.len()
                ),
            ));
        }
        // The pairs landing in the selection, and the bounding box of their sources, read
        // once.
        let pairs: Vec<(&Vec<u64>, &Vec<u64>)> = spts
            .iter()
            .zip(&vpts)
            .filter(|(_, vp)| inside(vp))
            .collect();
        if pairs.is_empty() {
            continue;
        }
        let rank = src.shape().len();
        let mut lo = vec![u64::MAX; rank];
        let mut hi = vec![0u64; rank];
        for (p, _) in &pairs {
            for ((l, h), &x) in lo.iter_mut().zip(hi.iter_mut()).zip(p.iter()) {
                *l = (*l).min(x);
                *h = (*h).max(x.saturating_add(1));
            }
        }
        let sel: Vec<_> = lo.iter().zip(&hi).map(|(&a, &b)| a..b).collect();
        let boxed = src.read_raw_selection(&sel)?;
        let bdims: Vec<u64> = lo.iter().zip(&hi).map(|(&a, &b)| b - a).collect();
        for (sp, vp) in pairs {
            let rel: Vec<u64> = sp.iter().zip(&lo).map(|(&x, &l)| x - l).collect();
            let vrel: Vec<u64> = vp.iter().zip(starts).map(|(&x, &s)| x - s).collect();
            let s = usize::try_from(linear(&rel, &bdims))
                .unwrap_or(usize::MAX)
                .saturating_mul(elem);
            let t = usize::try_from(linear(&vrel, counts))
                .unwrap_or(usize::MAX)
                .saturating_mul(elem);
            if let (Some(from), Some(to)) = (
                boxed.get(s..s.saturating_add(elem)),
                out.get_mut(t..t.saturating_add(elem)),
            ) {
                to.copy_from_slice(from);
            }
        }
    }
    Ok(())
}

/// Whether source elements can be copied as they are stored (HDF5 would convert others).
fn same_type(a: &Datatype, b: &Datatype) -> bool {
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections_enumerate_in_c_order() {
        // Two blocks overlapping at (1, 1): the union, sorted, once each.
        let per = product(&[vec![0, 1], vec![1, 2]]);
        assert_eq!(per, vec![vec![0, 1], vec![0, 2], vec![1, 1], vec![1, 2]]);
        assert!(product(&[vec![0], vec![]]).is_empty());
        let c = coordinates(&Sel::All, &[2, 2], 0).unwrap();
        assert_eq!(c, vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]);
        assert!(coordinates(&Sel::Product(vec![vec![3]]), &[3], 0).is_err());
        assert_eq!(linear(&[1, 2], &[4, 5]), 7);
    }
}
