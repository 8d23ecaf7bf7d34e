//! Attributes of an object, compact (Attribute messages in the header) and dense (Attribute
//! Info message -> fractal heap indexed by a v2 B-tree of type 8), in h5py's order.

use crate::error::{Error, Result};
use crate::hdf5::cursor::UNDEFINED_ADDRESS;
use crate::hdf5::io::Budget;
use crate::hdf5::message::attribute::AttributeMessage;
use crate::hdf5::message::dataspace::{Dataspace, DataspaceKind};
use crate::hdf5::message::datatype::Datatype;
use crate::hdf5::message::{kind, Message};
use crate::hdf5::{btree_v2, fractal_heap};

use super::file::{File, Object};
use super::value::{decode_element, Value};

/// One attribute: name, type, shape and raw value bytes.
#[derive(Clone)]
pub struct Attribute {
    /// Name.
    pub name: String,
    /// Element type.
    pub datatype: Datatype,
    /// Shape.
    pub dataspace: Dataspace,
    /// Creation order, when tracked.
    pub creation_order: Option<u64>,
    data: Vec<u8>,
    data_at: u64,
    file: File,
}

impl std::fmt::Debug for Attribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("datatype", &self.datatype)
            .field("dataspace", &self.dataspace)
            .finish()
    }
}

impl Attribute {
    fn from_message(m: AttributeMessage, creation_order: Option<u64>, file: &File) -> Attribute {
        Attribute {
            name: m.name,
            datatype: m.datatype,
            dataspace: m.dataspace,
            creation_order,
            data: m.data,
            data_at: m.data_at,
            file: file.clone(),
        }
    }

    /// Raw value bytes (file byte order; vlen elements are heap descriptors).
    pub fn raw(&self) -> &[u8] {
        &self.data
    }

    /// Number of elements (0 for a null dataspace).
    pub fn len(&self) -> u64 {
        self.dataspace.num_elements().unwrap_or(0)
    }

    /// Whether the attribute has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every element converted to `T` (numeric classes and booleans), in C order.
    pub fn read<T: super::Element>(&self) -> Result<Vec<T>> {
        super::element::convert(&self.datatype, &self.data, self.data_at)
    }

    /// Every element decoded, in C order (variable-length data fetched from the heap).
    pub fn values(&self) -> Result<Vec<Value>> {
        decode_all(
            &self.file,
            &self.datatype,
            &self.data,
            self.data_at,
            self.len(),
        )
    }

    /// The value of a scalar (or one-element) attribute.
    pub fn value(&self) -> Result<Value> {
        let mut v = self.values()?;
        if v.len() != 1 {
            return Err(Error::Usage(format!(
                "attribute {} has {} elements, not 1",
                self.name,
                v.len()
            )));
        }
        Ok(v.swap_remove(0))
    }

    /// A scalar string attribute (fixed or variable length) as text (lossy UTF-8).
    pub fn as_string(&self) -> Result<String> {
        if self.dataspace.kind == DataspaceKind::Null {
            return Ok(String::new());
        }
        match self.value()? {
            Value::FixedString(b) | Value::VarString(b) => {
                Ok(String::from_utf8_lossy(&b).into_owned())
            }
            other => Err(Error::Usage(format!(
                "attribute {} is not a string: {other:?}",
                self.name
            ))),
        }
    }
}

/// Decode `n` elements of `dt` from `data`.
pub(crate) fn decode_all(
    file: &File,
    dt: &Datatype,
    data: &[u8],
    at: u64,
    n: u64,
) -> Result<Vec<Value>> {
    let size = usize::try_from(dt.size())
        .map_err(|_| Error::format("attribute", at, "datatype too large"))?;
    if n == 0 {
        return Ok(Vec::new());
    }
    if size == 0 {
        return Err(Error::format("datatype", at, "element size 0"));
    }
    let needed = (n as u128) * (size as u128);
    if needed > data.len() as u128 {
        return Err(Error::format(
            "data",
            at,
            format!("{n} elements need {needed} bytes, {} present", data.len()),
        ));
    }
    let inner = &file.inner;
    let mut resolver = |d: &[u8]| inner.resolve_vlen(d, at);
    let mut out = Vec::with_capacity(n as usize);
    for el in data.chunks_exact(size).take(n as usize) {
        out.push(decode_element(dt, el, &mut resolver)?);
    }
    Ok(out)
}

impl Object {
    /// Whether attribute creation order is tracked (h5py then iterates in that order).
    fn attr_order_tracked(&self) -> Result<bool> {
        if self.header.version == 2 && self.header.flags & 0x04 != 0 {
            return Ok(true);
        }
        if let Some(Message::AttributeInfo(ai)) = self.first(kind::ATTRIBUTE_INFO)? {
            return Ok(ai.creation_order_tracked);
        }
        Ok(false)
    }

    /// All attributes, in h5py's iteration order (name, or creation order when tracked).
    pub fn attributes(&self) -> Result<Vec<Attribute>> {
        let file = &self.file;
        let io = &file.inner.io;
        let mut out = Vec::new();
        for raw in self
            .raw_messages()
            .iter()
            .filter(|m| m.msg_type == kind::ATTRIBUTE)
        {
            if let Message::Attribute(a) = file.decode_message(raw)? {
                out.push(Attribute::from_message(
                    a,
                    raw.creation_order.map(u64::from),
                    file,
                ));
            }
        }
        if let Some(Message::AttributeInfo(ai)) = self.first(kind::ATTRIBUTE_INFO)? {
            if ai.fractal_heap_address != UNDEFINED_ADDRESS
                && ai.name_btree_address != UNDEFINED_ADDRESS
            {
                let mut budget = Budget::new(&io.limits);
                let heap = fractal_heap::open(io, ai.fractal_heap_address)?;
                let (_, records) = btree_v2::records(io, ai.name_btree_address, &mut budget)?;
                for r in records {
                    // Type 8 record: heap ID, message flags (1), creation order (4), name hash (4).
                    let n = r.bytes.len();
                    let (id, tail) =
                        r.bytes
                            .split_at_checked(n.saturating_sub(9))
                            .ok_or_else(|| {
                                Error::format(
                                    "v2 B-tree attribute record",
                                    r.at,
                                    "record too short",
                                )
                            })?;
                    if n < 9 {
                        return Err(Error::format(
                            "v2 B-tree attribute record",
                            r.at,
                            "record too short",
                        ));
                    }
                    let (flags, order) = match tail {
                        [f, a, b, c, d, ..] => (*f, u32::from_le_bytes([*a, *b, *c, *d])),
                        _ => {
                            return Err(Error::format(
                                "v2 B-tree attribute record",
                                r.at,
                                "record too short",
                            ))
                        }
                    };
                    // A shared attribute (record flag bit 1): the ID is one of the
                    // shared-message heap, which holds the attribute message itself.
                    let bytes = if flags & 0x02 != 0 {
                        let sb = &file.inner.superblock;
                        crate::hdf5::sohm::message(io, sb, kind::ATTRIBUTE, id, r.at)?
                    } else {
                        heap.get(io, id, &mut budget)?
                    };
                    let mut c = io.cursor(&bytes, r.at, "attribute message (dense)");
                    let a = AttributeMessage::parse_shared(
                        &mut c,
                        &io.limits,
                        &mut |enc, at| file.committed_datatype(enc, at),
                        &mut |enc, at| file.shared_dataspace(enc, at),
                    )?;
                    out.push(Attribute::from_message(a, Some(order as u64), file));
                }
            }
        }
        if self.attr_order_tracked()? {
            // Stable: equal creation orders (jhdf's files number every attribute 0) keep
            // the header's message order, as HDF5's table iteration does.
            out.sort_by_key(|a| a.creation_order);
        } else {
            out.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        }
        Ok(out)
    }

    /// The attribute called `name`, if any.
    pub fn attribute(&self, name: &str) -> Result<Option<Attribute>> {
        Ok(self.attributes()?.into_iter().find(|a| a.name == name))
    }

    /// The attribute called `name` (a usage error naming the object when absent).
    pub fn attr(&self, name: &str) -> Result<Attribute> {
        self.attribute(name)?
            .ok_or_else(|| Error::Usage(format!("no attribute {name:?} on {}", self.path())))
    }
}
