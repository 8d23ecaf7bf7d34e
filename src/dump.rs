//! `pymodaq-h5 dump --json`: the whole tree in h5py's terms (contract `dump-json.md`).
//!
//! Rules where the contract is silent mirror the fixture generator's h5py dumper
//! (`fixtures/gen/h5py_dump.py`, documented in `fixtures/README.md`): float sums are exactly
//! rounded (Python's `math.fsum`), integer sums exact; big datasets are digested in slabs so
//! memory stays bounded whatever the file size.

use std::collections::HashMap;

use serde_json::{json, Map, Value as J};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::hdf5::message::dataspace::{DataspaceKind, UNLIMITED};
use crate::hdf5::message::datatype::{ByteOrder, CharSet, Datatype, StringPadding};
use crate::hdf5::message::layout::DataLayout;
use crate::hdf5::read::memory_type;
use crate::hdf5::read::value::{is_bool_enum, read_uint, sign_extend, to_little_endian};
use crate::hdf5::read::{Attribute, Dataset, File, Group, LinkKind, Node, Value};

/// Elements above which values are summarised instead of listed.
const MAX_LISTED: u64 = 64;
/// Text longer than this is summarised.
const LONG_TEXT: usize = 4096;
/// Bytes read per slab when digesting a big dataset.
const SLAB_BYTES: u64 = 32 << 20;

/// The dump document and whether any node failed.
pub struct Dump {
    /// The JSON document.
    pub json: J,
    /// Whether some node carries an `"error"` entry.
    pub had_errors: bool,
}

/// Dump a whole file. Fails only when the root group cannot be read.
pub fn dump_file(file: &File, file_name: &str) -> Result<Dump> {
    let root = file.root()?;
    let mut st = State {
        seen: HashMap::new(),
        had_errors: false,
        max_depth: file.limits().max_group_depth,
    };
    st.seen.insert(root.object().address(), "/".to_string());
    let root_json = st.group(file, &root, 0);
    let json = json!({
        "format": "pymodaq-h5-dump/1",
        "file": file_name,
        "superblock_version": file.superblock().version,
        "root": root_json,
    });
    Ok(Dump {
        json,
        had_errors: st.had_errors,
    })
}

struct State {
    seen: HashMap<u64, String>,
    had_errors: bool,
    max_depth: u32,
}

impl State {
    fn err(&mut self, m: &mut Map<String, J>, e: &Error) {
        self.had_errors = true;
        m.insert("error".into(), J::String(e.to_string()));
    }

    fn attrs(&mut self, node: &crate::hdf5::read::Object, m: &mut Map<String, J>) {
        match node.attributes() {
            Ok(list) => {
                let mut a = Map::new();
                for at in &list {
                    match attribute_json(at) {
                        Ok(v) => {
                            a.insert(at.name.clone(), v);
                        }
                        Err(e) => {
                            self.had_errors = true;
                            a.insert(
                                at.name.clone(),
                                json!({"type": type_json(&at.datatype), "error": e.to_string()}),
                            );
                        }
                    }
                }
                m.insert("attrs".into(), J::Object(a));
            }
            Err(e) => {
                m.insert("attrs".into(), J::Object(Map::new()));
                self.err(m, &e);
            }
        }
    }

    fn group(&mut self, file: &File, g: &Group, depth: u32) -> J {
        let mut m = Map::new();
        m.insert("kind".into(), "group".into());
        self.attrs(g.object(), &mut m);
        let mut children = Map::new();
        match g.links() {
            Ok(links) => {
                for link in links {
                    let path = crate::hdf5::read::file::join_path(g.path(), &link.name);
                    let child = match &link.kind {
                        LinkKind::Soft(t) => json!({"kind": "soft_link", "target": t}),
                        LinkKind::External { file: f, path: p } => {
                            json!({"kind": "external_link", "file": f, "target": p})
                        }
                        LinkKind::UserDefined(t) => {
                            self.had_errors = true;
                            json!({"kind": "user_defined_link", "error": format!("user-defined link type {t}")})
                        }
                        LinkKind::Hard(addr) => {
                            if let Some(first) = self.seen.get(addr) {
                                json!({"kind": "hard_link_to_seen_object", "same_object_as": first})
                            } else {
                                self.seen.insert(*addr, path.clone());
                                if depth + 1 > self.max_depth {
                                    self.had_errors = true;
                                    // Reported as the limit error so the cap is named.
                                    let e = Error::limit(
                                        "max_group_depth",
                                        self.max_depth.into(),
                                        u64::from(depth) + 1,
                                        Some(*addr),
                                    );
                                    json!({"kind": "error", "error": e.to_string()})
                                } else {
                                    match Node::open(file, *addr, path) {
                                        Ok(Node::Group(cg)) => self.group(file, &cg, depth + 1),
                                        Ok(Node::Dataset(d)) => self.dataset(&d),
                                        Ok(Node::Datatype(o)) => {
                                            let mut m = Map::new();
                                            m.insert("kind".into(), "datatype".into());
                                            self.attrs(&o, &mut m);
                                            J::Object(m)
                                        }
                                        Err(e) => {
                                            self.had_errors = true;
                                            json!({"kind": "error", "error": e.to_string()})
                                        }
                                    }
                                }
                            }
                        }
                    };
                    children.insert(link.name, child);
                }
            }
            Err(e) => self.err(&mut m, &e),
        }
        m.insert("children".into(), J::Object(children));
        J::Object(m)
    }

    fn dataset(&mut self, d: &Dataset) -> J {
        let mut m = Map::new();
        m.insert("kind".into(), "dataset".into());
        let null = d.dataspace.kind == DataspaceKind::Null;
        let dims = |v: &[u64]| {
            J::Array(
                v.iter()
                    .map(|&x| if x == UNLIMITED { json!(-1) } else { json!(x) })
                    .collect(),
            )
        };
        m.insert("shape".into(), if null { J::Null } else { dims(d.shape()) });
        m.insert(
            "maxshape".into(),
            if null { J::Null } else { dims(&d.max_shape()) },
        );
        m.insert(
            "dataspace".into(),
            match d.dataspace.kind {
                DataspaceKind::Scalar => "scalar",
                DataspaceKind::Simple => "simple",
                DataspaceKind::Null => "null",
            }
            .into(),
        );
        m.insert("type".into(), type_json(&d.datatype));
        m.insert(
            "layout".into(),
            match d.layout {
                DataLayout::Compact { .. } => "compact",
                DataLayout::Contiguous { .. } => "contiguous",
                DataLayout::Chunked(_) => "chunked",
            }
            .into(),
        );
        m.insert("chunks".into(), d.chunks().map_or(J::Null, |c| json!(c)));
        let filters: Vec<J> = d
            .filters
            .filters
            .iter()
            .map(|f| {
                json!({"id": f.id, "name": filter_display_name(f.id, f.name.as_deref()), "flags": f.flags, "cd_values": f.client_data})
            })
            .collect();
        m.insert("filters".into(), J::Array(filters));
        m.insert("fillvalue".into(), fillvalue_json(d));
        self.attrs(d.object(), &mut m);
        if null {
            m.insert("value".into(), J::Null);
        } else if let Err(e) = data_json(d, &mut m) {
            self.err(&mut m, &e);
        }
        J::Object(m)
    }
}

/// The name h5py reports for a filter: the stored name, else the library's for known ids.
pub fn filter_display_name(id: u16, stored: Option<&str>) -> String {
    if let Some(n) = stored.filter(|n| !n.is_empty()) {
        return n.to_string();
    }
    // The HDF5 library names only its built-in filters (ids 1-6); h5py reports '' otherwise.
    if (1..=6).contains(&id) {
        crate::hdf5::filter::filter_name(id).to_string()
    } else {
        String::new()
    }
}

fn fillvalue_json(d: &Dataset) -> J {
    // h5py's `ds.fillvalue`: zeros of the type when the library default applies; null when
    // the fill value is undefined (HDF5 refuses to return it); a top-level vlen sequence or
    // reference gives null, a vlen string "" (and [] inside a compound).
    // No fill value message at all (files of HDF5 before 1.6) is undefined too: HDF5 maps
    // the default size 0 to "undefined" when the new message is absent.
    if d.fill_value.as_ref().is_none_or(|f| !f.defined) {
        return J::Null;
    }
    // h5py has no numpy type for the time class, so it cannot build the fill value; a
    // float it widens does not fit the reference dumper's element either.
    if has_time(&d.datatype)
        || crate::hdf5::read::standard::converted_size(&d.datatype) != d.datatype.size()
    {
        return J::Null;
    }
    // The reference dumper rebuilds the value with the subarray dtype, which numpy expands:
    // a top-level array type comes out null unless it holds a single element.
    if let Datatype::Array { dims, .. } = &d.datatype {
        if dims.iter().product::<u64>() != 1 {
            return J::Null;
        }
    }
    if matches!(
        d.datatype,
        Datatype::VarLenSequence { .. } | Datatype::Reference { .. }
    ) {
        return J::Null;
    }
    let bytes = match d.fill_bytes() {
        Ok(b) => b,
        Err(_) => return J::Null,
    };
    let mut empty_vlen = |_: &[u8]| -> Result<Vec<u8>> { Ok(Vec::new()) };
    crate::hdf5::read::value::decode_element(&d.datatype, &bytes, &mut empty_vlen)
        .map(|v| element_json(&d.datatype, &v))
        .unwrap_or(J::Null)
}

/// Whether the time class (which numpy cannot represent) occurs anywhere in `dt`.
fn has_time(dt: &Datatype) -> bool {
    match dt {
        Datatype::Time { .. } => true,
        Datatype::Compound { members, .. } => members.iter().any(|m| has_time(&m.datatype)),
        Datatype::Array { base, .. }
        | Datatype::VarLenSequence { base, .. }
        | Datatype::Enum { base, .. } => has_time(base),
        _ => false,
    }
}

fn attribute_json(a: &Attribute) -> Result<J> {
    let mut m = Map::new();
    m.insert("type".into(), type_json(&a.datatype));
    match a.dataspace.kind {
        DataspaceKind::Null => {
            m.insert("shape".into(), J::Null);
            m.insert("value".into(), J::Null);
            m.insert("empty".into(), J::Bool(true));
        }
        kind => {
            let shape: &[u64] = if kind == DataspaceKind::Scalar {
                &[]
            } else {
                &a.dataspace.dims
            };
            m.insert("shape".into(), json!(shape));
            let n = a.len();
            if n > MAX_LISTED {
                let mut s = Summary::new(&a.datatype);
                s.feed(&a.datatype, a.raw(), &a.values()?)?;
                s.finish(&mut m, n);
            } else {
                let vals = a.values()?;
                m.insert("value".into(), nest(&a.datatype, &vals, shape));
            }
        }
    }
    Ok(J::Object(m))
}

fn data_json(d: &Dataset, m: &mut Map<String, J>) -> Result<()> {
    let n = d.len();
    let scalar = d.dataspace.kind == DataspaceKind::Scalar;
    let limits = d.object().file.limits();
    let total = (n as u128) * (d.datatype.size() as u128);
    if total > limits.max_read_total as u128 {
        return Err(Error::limit(
            "max_read_total",
            limits.max_read_total,
            u64::try_from(total).unwrap_or(u64::MAX),
            Some(d.object().address()),
        ));
    }
    if n <= MAX_LISTED {
        let vals = d.values()?;
        let shape: &[u64] = if scalar { &[] } else { d.shape() };
        m.insert("value".into(), nest(&d.datatype, &vals, shape));
        return Ok(());
    }
    // Digest slab by slab along the first dimension.
    let dims = d.shape().to_vec();
    let row_elems: u64 = dims.iter().skip(1).product::<u64>().max(1);
    let row_bytes = row_elems.saturating_mul(d.datatype.size()).max(1);
    let rows_per_slab = (SLAB_BYTES / row_bytes).max(1);
    let mut s = Summary::new(&d.datatype);
    let mut r = 0u64;
    while r < dims[0] {
        let end = (r + rows_per_slab).min(dims[0]);
        let mut sel = d.full_selection();
        sel[0] = r..end;
        let raw = d.read_raw_selection(&sel)?;
        let vals = if s.vlen || s.first.len() < 4 {
            d.values_from_raw(&raw, &sel)?
        } else {
            Vec::new()
        };
        s.feed(&d.datatype, &raw, &vals)?;
        r = end;
    }
    s.finish(m, n);
    Ok(())
}

impl Dataset {
    fn values_from_raw(&self, raw: &[u8], sel: &[std::ops::Range<u64>]) -> Result<Vec<Value>> {
        let n: u64 = sel.iter().map(|r| r.end - r.start).product();
        // Only the first elements are needed for `first` unless the type is variable-length.
        let (raw, n) = if self.datatype.is_variable_length() {
            (raw, n)
        } else {
            let k = n.min(4);
            (&raw[..(k * self.datatype.size()) as usize], k)
        };
        crate::hdf5::read::attribute::decode_all(
            &self.object().file,
            &self.datatype,
            raw,
            self.object().address(),
            n,
        )
    }
}

/// One element of type `dt` as h5py shows it: an element holding a reference anywhere is
/// `null` (h5py hands back reference objects, not values); the numbers of a sequence over a
/// big-endian integer or float come back as their bytes read in native (little-endian)
/// order, as h5py 3.16 returns them.
fn element_json(dt: &Datatype, v: &Value) -> J {
    if has_reference(dt) {
        return J::Null;
    }
    if has_be_sequence(dt, false) {
        let mut v = v.clone();
        h5py_be_sequences(dt, &mut v, false);
        return value_json(&v);
    }
    value_json(v)
}

/// Whether a big-endian number sits directly in a variable-length sequence inside `dt`.
fn has_be_sequence(dt: &Datatype, in_seq: bool) -> bool {
    use crate::hdf5::message::datatype::ByteOrder::BigEndian;
    match dt {
        Datatype::FixedPoint { order, size, .. } | Datatype::FloatingPoint { order, size, .. } => {
            in_seq && *order == BigEndian && *size > 1
        }
        Datatype::VarLenSequence { base, .. } => has_be_sequence(base, true),
        Datatype::Compound { members, .. } => {
            members.iter().any(|m| has_be_sequence(&m.datatype, false))
        }
        Datatype::Array { base, .. } => has_be_sequence(base, false),
        _ => false,
    }
}

fn h5py_be_sequences(dt: &Datatype, v: &mut Value, in_seq: bool) {
    match (dt, v) {
        (Datatype::VarLenSequence { base, .. }, Value::Sequence(items)) => {
            for it in items {
                h5py_be_sequences(base, it, true);
            }
        }
        (Datatype::Compound { members, .. }, Value::Compound(vals)) => {
            for (m, (_, x)) in members.iter().zip(vals.iter_mut()) {
                h5py_be_sequences(&m.datatype, x, false);
            }
        }
        (Datatype::Array { base, .. }, Value::Array(items)) => {
            for it in items {
                h5py_be_sequences(base, it, false);
            }
        }
        (
            Datatype::FixedPoint {
                order: ByteOrder::BigEndian,
                size,
                signed,
                ..
            },
            x,
        ) if in_seq => {
            let n = *size as usize;
            let raw = match *x {
                Value::Int(i) => i as u64,
                Value::UInt(u) => u,
                _ => return,
            };
            if n > 8 {
                return;
            }
            let swapped = raw.swap_bytes() >> (64 - 8 * n);
            *x = if *signed {
                Value::Int(sign_extend(swapped, n))
            } else {
                Value::UInt(swapped)
            };
        }
        (
            Datatype::FloatingPoint {
                order: ByteOrder::BigEndian,
                ..
            },
            Value::Float { v, bits },
        ) if in_seq => match bits {
            32 => *v = f64::from(f32::from_bits((*v as f32).to_bits().swap_bytes())),
            64 => *v = f64::from_bits(v.to_bits().swap_bytes()),
            _ => {}
        },
        _ => {}
    }
}

/// Whether a type holds references anywhere (they are summarised like variable-length data).
fn has_reference(dt: &Datatype) -> bool {
    match dt {
        Datatype::Reference { .. } => true,
        Datatype::Compound { members, .. } => members.iter().any(|m| has_reference(&m.datatype)),
        Datatype::Array { base, .. } | Datatype::VarLenSequence { base, .. } => has_reference(base),
        _ => false,
    }
}

/// Streaming digest of a big dataset or attribute.
struct Summary {
    vlen: bool,
    sha: Sha256,
    nbytes: u64,
    first: Vec<J>,
    len: u64,
    int_sum: Option<i128>,
    float_sum: Option<FSum>,
}

impl Summary {
    fn new(dt: &Datatype) -> Summary {
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

    fn feed(&mut self, dt: &Datatype, raw: &[u8], vals: &[Value]) -> Result<()> {
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

    fn finish(self, m: &mut Map<String, J>, n: u64) {
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

    fn add_plain(&mut self, mut x: f64) {
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

fn nest(dt: &Datatype, vals: &[Value], shape: &[u64]) -> J {
    match shape.split_first() {
        None => vals.first().map_or(J::Null, |v| element_json(dt, v)),
        Some((&d, rest)) => {
            let inner: usize = rest.iter().product::<u64>() as usize;
            J::Array(
                (0..d as usize)
                    .map(|i| {
                        let s = (i * inner).min(vals.len());
                        let e = (s + inner).min(vals.len());
                        nest(dt, &vals[s..e], rest)
                    })
                    .collect(),
            )
        }
    }
}

/// A float as JSON: shortest decimal at its own precision; NaN/inf as strings.
pub fn float_json(v: f64) -> J {
    if v.is_nan() {
        J::String("NaN".into())
    } else if v.is_infinite() {
        J::String(if v > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else {
        serde_json::Number::from_f64(v).map_or(J::Null, J::Number)
    }
}

/// The shortest decimal that reads back as the same value at `bits` precision, ties going
/// to the even digit as numpy's Dragon4 does (Rust's shortest printer rounds ties up).
fn shortest(v: f64, bits: u8) -> f64 {
    let same = |x: f64| match bits {
        32 => (x as f32).to_bits() == (v as f32).to_bits(),
        16 => {
            crate::hdf5::read::value::f16_from_f64(x) == crate::hdf5::read::value::f16_from_f64(v)
        }
        _ => x.to_bits() == v.to_bits(),
    };
    if bits >= 64 {
        return v;
    }
    // Fixed-precision formatting of the exact value is correctly rounded, half to even.
    for p in 0..17 {
        if let Ok(x) = format!("{:.*e}", p, v).parse::<f64>() {
            if same(x) {
                return x;
            }
        }
    }
    v
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn sha_hex(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

/// A value as JSON, per the contract.
pub fn value_json(v: &Value) -> J {
    match v {
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::Float { v, bits } => float_json(if v.is_finite() {
            shortest(*v, *bits)
        } else {
            *v
        }),
        Value::Bool(b) => J::Bool(*b),
        Value::Bitfield(u) => json!(u),
        Value::Enum { value, .. } => json!(value),
        Value::FixedString(b) => {
            if b.len() > LONG_TEXT {
                json!({"bytes_len": b.len(), "bytes_sha256": sha_hex(b), "bytes_prefix_hex": hex(&b[..32])})
            } else {
                let mut m = Map::new();
                m.insert("bytes_hex".into(), J::String(hex(b)));
                if let Ok(t) = std::str::from_utf8(b) {
                    m.insert("text".into(), J::String(t.to_string()));
                }
                J::Object(m)
            }
        }
        Value::VarString(b) => {
            let s = String::from_utf8_lossy(b);
            let nchars = s.chars().count();
            if nchars > LONG_TEXT {
                let prefix: String = s.chars().take(32).collect();
                json!({"str_len": nchars, "utf8_sha256": sha_hex(s.as_bytes()), "str_prefix": prefix})
            } else {
                J::String(s.into_owned())
            }
        }
        Value::Compound(members) => J::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), value_json(v)))
                .collect(),
        ),
        Value::Complex { re, im, bits } => J::Array(vec![
            float_json(if re.is_finite() {
                shortest(*re, *bits)
            } else {
                *re
            }),
            float_json(if im.is_finite() {
                shortest(*im, *bits)
            } else {
                *im
            }),
        ]),
        Value::Array(vs) | Value::Sequence(vs) => J::Array(vs.iter().map(value_json).collect()),
        Value::Opaque(b) => json!({"hex": hex(b)}),
        Value::Reference(_) => J::Null,
    }
}

fn order_str(o: ByteOrder) -> &'static str {
    match o {
        ByteOrder::LittleEndian => "LE",
        ByteOrder::BigEndian => "BE",
    }
}

/// A character set's names: ours (`dump --json`, h5py's) and the HDF5 constant (HSDS).
pub fn cset_names(c: CharSet) -> (&'static str, &'static str) {
    match c {
        CharSet::Ascii => ("ascii", "H5T_CSET_ASCII"),
        CharSet::Utf8 => ("utf-8", "H5T_CSET_UTF8"),
    }
}

/// A string padding's names: ours (`dump --json`) and the HDF5 constant (HSDS).
pub fn pad_names(p: StringPadding) -> (&'static str, &'static str) {
    match p {
        StringPadding::NullTerminate => ("nullterm", "H5T_STR_NULLTERM"),
        StringPadding::NullPad => ("nullpad", "H5T_STR_NULLPAD"),
        StringPadding::SpacePad => ("spacepad", "H5T_STR_SPACEPAD"),
    }
}

/// A datatype as JSON, per the contract.
pub fn type_json(dt: &Datatype) -> J {
    match dt {
        Datatype::FixedPoint {
            size,
            order,
            signed,
            ..
        } => {
            json!({"class": "integer", "size": size, "order": order_str(*order), "signed": signed})
        }
        Datatype::FloatingPoint { size, order, .. } => {
            json!({"class": "float", "size": size, "order": order_str(*order)})
        }
        Datatype::String {
            size,
            padding,
            charset,
        } => {
            json!({"class": "string", "size": size, "vlen": false, "cset": cset_names(*charset).0, "strpad": pad_names(*padding).0})
        }
        Datatype::VarLenString {
            padding, charset, ..
        } => {
            json!({"class": "string", "size": 8, "vlen": true, "cset": cset_names(*charset).0, "strpad": pad_names(*padding).0})
        }
        Datatype::Bitfield { size, order, .. } => {
            json!({"class": "bitfield", "size": size, "order": order_str(*order)})
        }
        Datatype::Enum {
            size,
            base,
            members,
        } => {
            let (order, signed) = match **base {
                Datatype::FixedPoint { order, signed, .. } => (order, signed),
                _ => (ByteOrder::LittleEndian, false),
            };
            let bsize = base.size() as usize;
            let mut mm = Map::new();
            let mut members: Vec<_> = members.iter().collect();
            members.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
            for m in members {
                let raw = read_uint(&m.value, order).unwrap_or(0);
                let v = if signed {
                    json!(sign_extend(raw, bsize))
                } else {
                    json!(raw)
                };
                mm.insert(m.name.clone(), v);
            }
            let _ = is_bool_enum(dt);
            json!({"class": "enum", "size": size, "members": mm, "base": type_json(base)})
        }
        Datatype::Compound { members, .. } => {
            // h5py's (memory) layout: variable-length and reference members resized.
            let (size, offsets) = memory_type::compound_layout(dt, members);
            let mm: Vec<J> = members
                .iter()
                .zip(offsets)
                .map(
                    |(m, offset)| json!({"name": m.name, "offset": offset, "type": type_json(&m.datatype)}),
                )
                .collect();
            json!({"class": "compound", "size": size, "members": mm})
        }
        Datatype::Array { dims, base, .. } => {
            json!({"class": "array", "size": memory_type::memory_size(dt), "dims": dims, "base": type_json(base)})
        }
        Datatype::VarLenSequence { base, .. } => {
            json!({"class": "vlen", "size": 16, "base": type_json(base)})
        }
        Datatype::Opaque { size, tag } => json!({"class": "opaque", "size": size, "tag": tag}),
        Datatype::Time { size, .. } => json!({"class": "time", "size": size}),
        Datatype::Reference { .. } => {
            json!({"class": "reference", "size": memory_type::memory_size(dt)})
        }
        Datatype::Complex { size, base } => {
            json!({"class": "complex", "size": size, "base": type_json(base)})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fsum_is_exact() {
        let mut s = FSum::default();
        for x in [1e100, 1.0, -1e100] {
            s.add(x);
        }
        assert_eq!(s.value(), 1.0);
        let mut t = FSum::default();
        (0..10).for_each(|_| t.add(0.1));
        assert_eq!(t.value(), 1.0); // naive summation gives 0.9999999999999999
    }

    #[test]
    fn half_shortest() {
        assert_eq!(shortest(0.0999755859375, 16), 0.1);
        assert_eq!(shortest(0.100000001490116, 32), 0.1);
        // An exact tie at 8 digits: numpy prints 1226.2812 (half to even), not ...813.
        assert_eq!(shortest(1226.28125, 32), 1226.2812);
    }
}
