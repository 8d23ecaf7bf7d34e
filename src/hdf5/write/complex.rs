//! numpy's complex element types as h5py and PyTables store them: a compound `{r, i}` of two
//! little-endian IEEE floats (HDF5 before 2.0 has no complex class; the reader recognises the
//! same compound, `read::value::complex_parts`).

use super::Dtype;
use crate::hdf5::message::datatype::{CompoundMember, Datatype};

impl Dtype {
    /// complex64 (`part` = [`Dtype::F32`]) or complex128 ([`Dtype::F64`]): the compound
    /// `{r, i}` h5py writes.
    pub fn complex(part: Dtype) -> Dtype {
        let float = part.datatype();
        // A float is 2, 4 or 8 bytes.
        let size = float.size() as u32;
        Dtype::Custom(Datatype::Compound {
            size: 2 * size,
            members: vec![
                CompoundMember {
                    name: "r".into(),
                    offset: 0,
                    datatype: float.clone(),
                },
                CompoundMember {
                    name: "i".into(),
                    offset: u64::from(size),
                    datatype: float,
                },
            ],
        })
    }
}
