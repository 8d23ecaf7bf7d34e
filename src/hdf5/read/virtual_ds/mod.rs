//! Virtual datasets (Data Layout class 3, HDF5 1.10+), read as h5py reads them with the
//! default view (`H5D_VDS_LAST_AVAILABLE`, printf gap 0): every mapping copies the elements
//! of a source dataset's selection (in the same file, or in another file found relative to
//! this one) to the virtual selection; elements no mapping covers, and mappings whose source
//! file or dataset is missing, read as the virtual dataset's fill value.
//!
//! Unlimited mappings (a regular hyperslab whose count or block is `H5S_UNLIMITED` in one
//! dimension) make the extent come from the sources, as `H5D__virtual_set_extent_unlim`
//! computes it when the dataset is opened: an unlimited source selection is cut at the
//! source's current extent and the virtual one after as many slices; a printf mapping
//! (`%b` in the source file or dataset name, `%%` a literal percent; limited source
//! selection, unlimited virtual count) maps block `j` of the virtual selection to the source
//! named with `j`, probing `j = 0, 1, …` up to the first missing source. The extent of a
//! dimension unlimited in some mapping is the largest of those cuts (never below what the
//! limited selections reach); the stored extent only serves the other dimensions.
//!
//! The layout message holds a global heap ID; the heap object (versions 0 and 1, as HDF5
//! 1.10-1.14 and 2.0 write it) lists the mappings: source file name (version 1: omitted when
//! flag 0x04 says "this file", or the index of an earlier mapping with the same name, flag
//! 0x01), source dataset path (or an earlier mapping's index, flag 0x02), source and virtual selections
//! (serialised dataspace selections: all, none, points, hyperslabs versions 1-3, regular or
//! a list of blocks), then a lookup3 checksum.
//!
//! Refused by name: sources of another datatype (but for the byte order of full-precision
//! integers and floats, converted) or of variable-length types, selections of
//! different sizes, invalid source name patterns (HDF5 refuses them too), unlimited
//! mappings HDF5 cannot create, printf mappings of more than `MAX_PRINTF_SOURCES` sources.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::hdf5::cursor::Cursor;
use crate::hdf5::io::FileIo;
use crate::hdf5::message::datatype::{ByteOrder, Datatype};
use crate::hdf5::message::RawMessage;

use super::dataset::Dataset;
use super::file::{File, Object};

mod selection;
use selection::*;

const STRUCTURE: &str = "virtual dataset mapping";

/// `H5S_UNLIMITED`: a count or block without end.
const UNLIMITED: u64 = u64::MAX;

/// A printf mapping probes at most this many source datasets (HDF5 has no cap; each probe
/// opens a file).
pub const MAX_PRINTF_SOURCES: u64 = 1 << 16;

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

/// A source file or dataset name: the literal pieces around its `%b` substitutions (`%%`
/// already unescaped), as `H5D_virtual_parse_source_name` splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Name {
    parts: Vec<String>,
}

impl Name {
    fn parse(raw: &str, at: u64) -> Result<Name> {
        let mut parts = vec![String::new()];
        let mut chars = raw.chars();
        while let Some(ch) = chars.next() {
            if ch != '%' {
                if let Some(last) = parts.last_mut() {
                    last.push(ch);
                }
                continue;
            }
            match chars.next() {
                Some('b') => parts.push(String::new()),
                Some('%') => {
                    if let Some(last) = parts.last_mut() {
                        last.push('%');
                    }
                }
                _ => {
                    return Err(Error::format(
                        STRUCTURE,
                        at,
                        format!(
                            "source name \"{raw}\": invalid format specifier (HDF5 knows only %b and %%)"
                        ),
                    ))
                }
            }
        }
        Ok(Name { parts })
    }

    /// Whether the name has `%b` substitutions.
    fn is_printf(&self) -> bool {
        self.parts.len() > 1
    }

    /// The name of block `j` (the literal name when there are no substitutions).
    fn build(&self, j: u64) -> String {
        self.parts.join(&j.to_string())
    }
}

/// One mapping of the heap object.
#[derive(Debug, Clone)]
pub(crate) struct Mapping {
    /// `None`: this file.
    file: Option<Name>,
    dataset: Name,
    source: Sel,
    virtual_sel: Sel,
}

impl Mapping {
    fn is_printf(&self) -> bool {
        self.dataset.is_printf() || self.file.as_ref().is_some_and(Name::is_printf)
    }
}

/// One source dataset read into the virtual dataset, its unlimited selections (if any)
/// already cut to what the extent computation found.
#[derive(Debug, Clone)]
pub(crate) struct SourceRead {
    /// `None`: this file.
    file: Option<String>,
    dataset: String,
    source: Sel,
    source_cut: Option<Cut>,
    virtual_sel: Sel,
    virtual_cut: Option<Cut>,
}

/// What a virtual dataset reads, resolved when it is opened.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    reads: Arc<Vec<SourceRead>>,
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
            let name_at = c.addr();
            let f = Name::parse(&cstring(&mut c)?, name_at)?;
            // "." is this file (compared after unescaping, as HDF5 compares built names).
            (f.parts != ["."]).then_some(f)
        };
        let dataset = if flags & 0x02 != 0 {
            earlier(&mut c, &out)?.dataset
        } else {
            let name_at = c.addr();
            Name::parse(&cstring(&mut c)?, name_at)?
        };
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

/// The source dataset of a mapping, `None` when its file or dataset cannot be opened (HDF5
/// then leaves the fill value). Sources nested too deep stay an error.
fn open_source(obj: &Object, file: Option<&str>, dataset: &str) -> Result<Option<Dataset>> {
    let inner = obj.inner();
    let src_file = match file {
        None => obj.file.clone(),
        Some(name) => match source_path(name, inner.path.as_deref()) {
            Some(p) => match File::open_with_limits(&p, inner.io.limits) {
                Ok(f) => f,
                Err(_) => return Ok(None),
            },
            None => return Ok(None),
        },
    };
    match src_file.dataset(dataset) {
        Ok(d) => Ok(Some(d)),
        Err(e) if e.to_string().contains(NESTED) => Err(e),
        Err(_) => Ok(None),
    }
}

/// The mapping list of a virtual dataset, checked (checksum, selections, names).
pub(crate) fn load_mappings(obj: &Object, v: &VirtualLayout) -> Result<Vec<Mapping>> {
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

/// Resolve a virtual dataset when it is opened: the mappings checked as HDF5 checks them,
/// the extent of every dimension unlimited in some mapping computed from the sources
/// (`dims` holds the stored extent and receives the computed one), and the list of source
/// reads.
pub(crate) fn resolve(obj: &Object, v: &VirtualLayout, dims: &mut [u64]) -> Result<Resolved> {
    with_depth(obj.address(), || resolve_at_depth(obj, v, dims))
}

fn resolve_at_depth(obj: &Object, v: &VirtualLayout, dims: &mut [u64]) -> Result<Resolved> {
    let at = obj.address();
    let mappings = load_mappings(obj, v)?;
    let rank = dims.len();
    let refuse = |what: &str| Error::unsupported(format!("virtual dataset {what}"), Some(at));
    // What the selections reach outside their unlimited dimension: HDF5 refuses to open a
    // dataset smaller than that, and never shrinks an unlimited dimension below it.
    let mut min = vec![0u64; rank];
    for m in &mappings {
        if let Sel::Unlimited { dims: regs, .. } = &m.virtual_sel {
            if regs.len() != rank {
                return Err(Error::format(
                    STRUCTURE,
                    at,
                    "virtual selection rank differs from the dataset's",
                ));
            }
        }
        for (lo, r) in min.iter_mut().zip(reach(&m.virtual_sel, rank)) {
            *lo = (*lo).max(r);
        }
    }
    if dims.iter().zip(&min).any(|(d, m)| d < m) {
        return Err(refuse(
            "dimensions not large enough to contain all limited dimensions in all selections",
        ));
    }
    let mut grown: Vec<Option<u64>> = vec![None; rank];
    let mut reads = Vec::new();
    for m in &mappings {
        let static_file = m.file.as_ref().map(|n| n.build(0));
        match (&m.virtual_sel, &m.source) {
            (
                Sel::Unlimited {
                    dims: vregs,
                    dim: vd,
                },
                Sel::Unlimited {
                    dims: sregs,
                    dim: sd,
                },
            ) => {
                // Unlimited on both sides: cut the source at its current extent, the
                // virtual selection after as many slices.
                if m.is_printf() {
                    return Err(refuse(
                        "printf-style source name on a mapping with an unlimited source selection",
                    ));
                }
                if non_unlimited_elements(vregs, *vd) != non_unlimited_elements(sregs, *sd) {
                    return Err(Error::format(
                        STRUCTURE,
                        at,
                        "unlimited selections of different sizes outside their unlimited dimensions",
                    ));
                }
                let (Some(vr), Some(sr)) = (vregs.get(*vd), sregs.get(*sd)) else {
                    return Err(Error::format(STRUCTURE, at, "unlimited dimension"));
                };
                let dataset = m.dataset.build(0);
                let clip = match open_source(obj, static_file.as_deref(), &dataset)? {
                    None => 0, // missing: nothing mapped, HDF5's clip size 0
                    Some(src) => {
                        let n = src.shape().get(*sd).copied().ok_or_else(|| {
                            Error::format(STRUCTURE, at, "source rank below its selection's")
                        })?;
                        let clip = extent_for(vr, slices_below(sr, n), at)?;
                        reads.push(SourceRead {
                            file: static_file,
                            dataset,
                            source: m.source.clone(),
                            source_cut: Some(Cut::Below(n)),
                            virtual_sel: m.virtual_sel.clone(),
                            virtual_cut: Some(Cut::Below(clip)),
                        });
                        clip
                    }
                };
                grow(&mut grown, *vd, clip);
            }
            (
                Sel::Unlimited {
                    dims: vregs,
                    dim: vd,
                },
                _,
            ) => {
                // printf: block j of the virtual selection from the source named with j,
                // probed up to the first missing one (printf gap 0, h5py's default).
                if !m.is_printf() {
                    return Err(refuse(
                        "unlimited virtual selection, limited source selection and no %b in the source names",
                    ));
                }
                let Some(vr) = vregs.get(*vd).filter(|r| r.count == UNLIMITED) else {
                    return Err(refuse("printf mapping without an unlimited count"));
                };
                let mut found = 0u64;
                let mut j = 0u64;
                while j <= found {
                    if j >= MAX_PRINTF_SOURCES {
                        return Err(refuse(&format!(
                            "printf mapping of more than {MAX_PRINTF_SOURCES} source datasets"
                        )));
                    }
                    // The block must have coordinates (start + j * stride fits).
                    cut_coords(vr, Cut::Block(j), at)?;
                    let file = m.file.as_ref().map(|n| n.build(j));
                    let dataset = m.dataset.build(j);
                    if open_source(obj, file.as_deref(), &dataset)?.is_some() {
                        found = j + 1;
                        reads.push(SourceRead {
                            file,
                            dataset,
                            source: m.source.clone(),
                            source_cut: None,
                            virtual_sel: m.virtual_sel.clone(),
                            virtual_cut: Some(Cut::Block(j)),
                        });
                    }
                    j += 1;
                }
                let clip = match found.checked_sub(1) {
                    None => 0,
                    Some(last) => last
                        .checked_mul(vr.stride)
                        .and_then(|x| x.checked_add(vr.start))
                        .and_then(|x| x.checked_add(vr.block))
                        .ok_or_else(|| {
                            Error::format(STRUCTURE, at, "printf selection overflows")
                        })?,
                };
                grow(&mut grown, *vd, clip);
            }
            (_, Sel::Unlimited { .. }) => {
                return Err(refuse(
                    "unlimited source selection mapped to a limited virtual selection",
                ));
            }
            _ => {
                if m.is_printf() {
                    return Err(refuse("printf-style source name on a limited mapping"));
                }
                reads.push(SourceRead {
                    file: static_file,
                    dataset: m.dataset.build(0),
                    source: m.source.clone(),
                    source_cut: None,
                    virtual_sel: m.virtual_sel.clone(),
                    virtual_cut: None,
                });
            }
        }
    }
    for ((d, g), lo) in dims.iter_mut().zip(grown).zip(min) {
        if let Some(g) = g {
            *d = g.max(lo);
        }
    }
    Ok(Resolved {
        reads: Arc::new(reads),
    })
}

/// The largest extent asked of an unlimited dimension (`H5D_VDS_LAST_AVAILABLE`).
fn grow(grown: &mut [Option<u64>], dim: usize, clip: u64) {
    if let Some(g) = grown.get_mut(dim) {
        *g = Some(g.map_or(clip, |x| x.max(clip)));
    }
}

thread_local! {
    /// Virtual datasets being read on this thread (a source may itself be virtual, or point
    /// back at the dataset being read).
    static DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Sources of sources followed at most this deep.
const MAX_DEPTH: u32 = 8;

/// Words of the error for sources nested too deep (kept through `open_source`).
const NESTED: &str = "virtual dataset sources nested deeper than";

fn with_depth<T>(at: u64, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let depth = DEPTH.with(|c| c.get());
    if depth >= MAX_DEPTH {
        return Err(Error::unsupported(
            format!("{NESTED} {MAX_DEPTH} (or a cycle)"),
            Some(at),
        ));
    }
    DEPTH.with(|c| c.set(depth + 1));
    let r = f();
    DEPTH.with(|c| c.set(depth));
    r
}

/// The hyperslab `starts`/`counts` of the virtual dataset `d` into `out` (C order over the
/// selection, file byte order, already holding the fill value).
pub(crate) fn read_selection_into(
    d: &Dataset,
    resolved: &Resolved,
    starts: &[u64],
    counts: &[u64],
    out: &mut [u8],
) -> Result<()> {
    with_depth(d.object().address(), || {
        let obj = d.object();
        let at = obj.address();
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
        for m in resolved.reads.iter() {
            let Some(src) = open_source(obj, m.file.as_deref(), &m.dataset)? else {
                continue; // missing source file or dataset: the fill value
            };
            let swap = match conversion(&src.datatype, &d.datatype) {
                Some(swap) => swap,
                None => {
                    return Err(Error::unsupported(
                        format!("virtual dataset source {} of another datatype", m.dataset),
                        Some(at),
                    ))
                }
            };
            let vpts = coordinates(&m.virtual_sel, m.virtual_cut, &dims, at)?;
            let spts = coordinates(&m.source, m.source_cut, src.shape(), at)?;
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
                    if swap {
                        to.reverse();
                    }
                }
            }
        }
        Ok(())
    })
}

/// How source elements become the virtual dataset's: `Some(false)` copied as stored (same
/// type), `Some(true)` byte-reversed (an integer or float differing only in byte order, full
/// precision: HDF5's conversion is then exact, e.g. HDF5's `vds-eiger.h5` over big-endian
/// sources); `None` for the conversions not done here.
fn conversion(src: &Datatype, dst: &Datatype) -> Option<bool> {
    if src == dst {
        return Some(false);
    }
    let flipped = match src.clone() {
        Datatype::FixedPoint {
            size,
            order,
            signed,
            bit_offset: 0,
            bit_precision,
        } if u32::from(bit_precision) == size.saturating_mul(8) => Datatype::FixedPoint {
            size,
            order: flip(order),
            signed,
            bit_offset: 0,
            bit_precision,
        },
        Datatype::FloatingPoint {
            size,
            order,
            bit_offset: 0,
            bit_precision,
            fields,
        } if u32::from(bit_precision) == size.saturating_mul(8) => Datatype::FloatingPoint {
            size,
            order: flip(order),
            bit_offset: 0,
            bit_precision,
            fields,
        },
        _ => return None,
    };
    (flipped == *dst).then_some(true)
}

fn flip(order: ByteOrder) -> ByteOrder {
    match order {
        ByteOrder::LittleEndian => ByteOrder::BigEndian,
        ByteOrder::BigEndian => ByteOrder::LittleEndian,
    }
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
        let c = coordinates(&Sel::All, None, &[2, 2], 0).unwrap();
        assert_eq!(c, vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]);
        assert!(coordinates(&Sel::Product(vec![vec![3]]), None, &[3], 0).is_err());
        assert_eq!(linear(&[1, 2], &[4, 5]), 7);
    }

    fn reg(start: u64, stride: u64, count: u64, block: u64) -> Reg {
        Reg {
            start,
            stride,
            count,
            block,
        }
    }

    #[test]
    fn unlimited_dimensions_cut_as_hdf5_clips_them() {
        // Unlimited block from 2: every coordinate from 2 below the extent.
        let r = reg(2, 1, 1, UNLIMITED);
        assert_eq!(slices_below(&r, 7), 5);
        assert_eq!(slices_below(&r, 2), 0);
        assert_eq!(extent_for(&r, 5, 0).unwrap(), 7);
        assert_eq!(extent_for(&r, 0, 0).unwrap(), 0);
        assert_eq!(cut_coords(&r, Cut::Below(5), 0).unwrap(), vec![2, 3, 4]);
        // Unlimited count of 2-blocks every 3 from 1: 1 2 _ 4 5 _ 7 8 …
        let r = reg(1, 3, UNLIMITED, 2);
        assert_eq!(slices_below(&r, 8), 5);
        assert_eq!(slices_below(&r, 9), 6);
        assert_eq!(extent_for(&r, 5, 0).unwrap(), 8);
        assert_eq!(extent_for(&r, 4, 0).unwrap(), 6);
        assert_eq!(
            cut_coords(&r, Cut::Below(8), 0).unwrap(),
            vec![1, 2, 4, 5, 7]
        );
        assert_eq!(cut_coords(&r, Cut::Block(2), 0).unwrap(), vec![7, 8]);
        // Overflowing blocks are refused, never wrapped.
        let r = reg(u64::MAX - 2, 2, UNLIMITED, 1);
        assert!(cut_coords(&r, Cut::Block(5), 0).is_err());
        assert!(extent_for(&r, 10, 0).is_err());
        // More coordinates than the enumeration cap: refused by name.
        let r = reg(0, 1, 1, UNLIMITED);
        let e = cut_coords(&r, Cut::Below(1 << 40), 0).unwrap_err();
        assert!(e.to_string().contains("more than"), "{e}");
    }

    #[test]
    fn source_names_parse_as_hdf5_parses_them() {
        let n = Name::parse("f_%b_%%_%b.h5", 0).unwrap();
        assert!(n.is_printf());
        assert_eq!(n.build(12), "f_12_%_12.h5");
        let n = Name::parse("100%%", 0).unwrap();
        assert!(!n.is_printf());
        assert_eq!(n.build(3), "100%");
        assert_eq!(Name::parse("%%b", 0).unwrap().build(1), "%b");
        for bad in ["a%d", "trailing%", "%"] {
            let e = Name::parse(bad, 0).unwrap_err();
            assert!(e.to_string().contains("invalid format specifier"), "{e}");
        }
    }

    /// A regular hyperslab as HDF5 serialises it (8-byte values, `u64::MAX` unlimited).
    fn regular_sel(dims: &[[u64; 4]]) -> Result<Sel> {
        let mut bytes = Vec::new();
        for d in dims {
            for v in d {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
        let sizes = crate::hdf5::cursor::Sizes::default();
        let mut c = Cursor::new(&bytes, 0, STRUCTURE, sizes);
        let mut budget = 1 << 20;
        regular(&mut c, dims.len(), 8, &mut budget, 0)
    }

    #[test]
    fn unlimited_hyperslabs_hdf5_cannot_make_are_refused() {
        let u = UNLIMITED;
        let ok = regular_sel(&[[0, 1, 1, u], [0, 4, 2, 3]]).unwrap();
        assert!(matches!(ok, Sel::Unlimited { dim: 0, .. }));
        for bad in [
            vec![[0, 1, 1, u], [0, 1, u, 1]], // two unlimited dimensions
            vec![[0, 1, u, u]],               // count and block
            vec![[0, 1, 2, u]],               // unlimited block, count 2
            vec![[0, 1, u, 3]],               // overlapping blocks
            vec![[0, 0, u, 1]],               // stride 0
            vec![[u, 1, 1, u]],               // unlimited start
        ] {
            let e = regular_sel(&bad).unwrap_err();
            assert!(e.to_string().contains("unlimited"), "{bad:?}: {e}");
        }
        // Reach (min dims) leaves the unlimited dimension out.
        assert_eq!(reach(&ok, 2), vec![0, 7]);
    }
}
