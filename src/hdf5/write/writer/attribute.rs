//! Attribute messages: values, their encoding, and setting them on an object.

use super::*;

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// Fixed-length UTF-8 string, NULLTERM with no NUL stored (PyTables); empty = NULL
    /// dataspace with a 1-byte string type.
    Str(String),
    /// Fixed-length ASCII string (PyTables system attributes, `bytes`).
    Ascii(String),
    /// Variable-length UTF-8 string in a global heap (h5py style).
    VlenStr(String),
    /// int64 scalar.
    I64(i64),
    /// int32 scalar.
    I32(i32),
    /// float64 scalar.
    F64(f64),
    /// Bool as a 1-byte bitfield (PyTables).
    Bool(bool),
    /// Bool as h5py's enum {FALSE, TRUE}.
    BoolEnum(bool),
    /// int64 1-D array.
    I64s(Vec<i64>),
    /// float64 1-D array.
    F64s(Vec<f64>),
    /// Any type and shape: raw element bytes in file byte order (no vlen types).
    Raw {
        /// Element type.
        dtype: Dtype,
        /// Shape (empty = scalar).
        shape: Vec<u64>,
        /// Element bytes.
        data: Vec<u8>,
    },
}

impl From<&str> for AttrValue {
    fn from(s: &str) -> Self {
        AttrValue::Str(s.to_string())
    }
}

/// `From` for the types one variant holds as they are.
macro_rules! attr_from {
    ($($t:ty => $variant:ident),* $(,)?) => {
        $(impl From<$t> for AttrValue {
            fn from(v: $t) -> Self {
                AttrValue::$variant(v)
            }
        })*
    };
}

attr_from! { String => Str, i64 => I64, f64 => F64 }

impl Writer {
    pub(super) fn attr_body(&mut self, name: &str, v: &AttrValue) -> Result<Vec<u8>> {
        let (dt, space, data) = match v {
            AttrValue::Str(s) | AttrValue::Ascii(s) => {
                let cs = if matches!(v, AttrValue::Str(_)) {
                    CharSet::Utf8
                } else {
                    CharSet::Ascii
                };
                if s.is_empty() {
                    (types::fixed_str(1, cs), Dataspace::null(), Vec::new())
                } else {
                    let n = u32::try_from(s.len()).map_err(|_| usage("string too long"))?;
                    (
                        types::fixed_str(n, cs),
                        Dataspace::scalar(),
                        s.as_bytes().to_vec(),
                    )
                }
            }
            AttrValue::VlenStr(s) => {
                if s.len() > MAX_MESSAGE * 1024 {
                    return Err(usage("vlen string attribute too long"));
                }
                let a = self.write_collection(&[s.as_bytes()])?;
                let d = Encoder::sized(self.sizes)
                    .u32(s.len() as u32)
                    .offset(a)
                    .u32(1)
                    .take();
                (
                    self.file_datatype(types::vlen_str())?,
                    Dataspace::scalar(),
                    d,
                )
            }
            AttrValue::I64(x) => (
                types::int(8, true),
                Dataspace::scalar(),
                x.to_le_bytes().to_vec(),
            ),
            AttrValue::I32(x) => (
                types::int(4, true),
                Dataspace::scalar(),
                x.to_le_bytes().to_vec(),
            ),
            AttrValue::F64(x) => (
                types::float(8),
                Dataspace::scalar(),
                x.to_le_bytes().to_vec(),
            ),
            AttrValue::Bool(b) => (types::bitfield8(), Dataspace::scalar(), vec![u8::from(*b)]),
            AttrValue::BoolEnum(b) => (types::bool_enum(), Dataspace::scalar(), vec![u8::from(*b)]),
            AttrValue::I64s(x) => {
                let mut d = Vec::new();
                i64::extend_le(x, &mut d);
                let sp = Dataspace::simple(vec![x.len() as u64], None);
                (types::int(8, true), sp, d)
            }
            AttrValue::F64s(x) => {
                let mut d = Vec::new();
                f64::extend_le(x, &mut d);
                let sp = Dataspace::simple(vec![x.len() as u64], None);
                (types::float(8), sp, d)
            }
            AttrValue::Raw { dtype, shape, data } => {
                let dt = self.file_datatype(dtype.datatype())?;
                if dt.is_variable_length() {
                    return Err(usage("Raw attributes cannot hold variable-length types"));
                }
                let want = product(shape)?.checked_mul(dt.size());
                if want != Some(data.len() as u64) {
                    return Err(usage(format!(
                        "attribute {name:?}: {} data bytes for shape {shape:?}",
                        data.len()
                    )));
                }
                let sp = if shape.is_empty() {
                    Dataspace::scalar()
                } else {
                    Dataspace::simple(shape.clone(), None)
                };
                (dt, sp, data.clone())
            }
        };
        let dtb = encode_datatype(&dt)?;
        let spb = space.encode(self.sizes)?;
        encode_attribute(name, &dtb, &spb, &data)
    }

    /// Set (add or replace) attribute `name` on the object at `path`.
    pub fn set_attr(&mut self, path: &str, name: &str, v: impl Into<AttrValue>) -> Result<()> {
        self.set_attrs(path, &[(name, v.into())])
    }

    /// Set several attributes of one object, rewriting its header once (each
    /// [`Writer::set_attr`] commits the header on its own).
    pub fn set_attrs(&mut self, path: &str, attrs: &[(&str, AttrValue)]) -> Result<()> {
        self.check()?;
        let idx = self.resolve(path)?;
        let mut bodies = Vec::with_capacity(attrs.len());
        for (name, v) in attrs {
            bodies.push((*name, self.attr_body(name, v)?));
        }
        if self.ext_wants_dense(idx, &bodies)? {
            return self.ext_set_dense_attrs(idx, bodies);
        }
        if let Some(before) = self.objs[idx].ext.clone() {
            // Existing header: the old message becomes NIL, the new one takes NIL space
            // (or a new continuation chunk); other messages stay where they are. On
            // refusal the header is left as it was. Headers tracking creation order give
            // each new attribute the next one.
            let corders = self.ext_attr_corders(idx, bodies.len())?;
            let sizes = self.sizes;
            let mut released = Vec::new();
            if let Some(h) = &mut self.objs[idx].ext {
                for ((name, body), corder) in bodies.into_iter().zip(corders) {
                    released.extend(Self::shared_refs(sizes, &h.remove_attribute(name)));
                    if let Err(e) = h.add_ordered(kind::ATTRIBUTE, body, corder) {
                        *h = before;
                        return Err(e);
                    }
                }
            }
            // A replaced shared message (SOHM) loses a reference once the header is written.
            self.commit_header(idx)?;
            return self.sohm_release_all(&released);
        }
        let o = &mut self.objs[idx];
        let before = o.attrs.clone();
        for (name, _) in &bodies {
            o.dense.huge.remove(*name);
        }
        for (name, body) in bodies {
            match o.attrs.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = body,
                None => o.attrs.push((name.to_string(), body)),
            }
        }
        let r = self.commit_header(idx);
        if r.is_err() {
            self.objs[idx].attrs = before;
        }
        r
    }
}
