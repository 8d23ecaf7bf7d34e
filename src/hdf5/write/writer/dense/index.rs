//! The v2 B-tree indexes of dense storage (spec III.A.2, record types 5 "Link Name for
//! Indexed Group", 6 "Creation Order for Indexed Group", 8 "Attribute Name for Indexed
//! Attributes", 9 "Creation Order for Indexed Attributes"): a name index in name-hash
//! order and, when creation order is indexed, a creation-order index, both over the
//! fractal heap IDs of the stored messages.

use super::*;
use crate::hdf5::btree_v2::encode as btree_v2;
use crate::hdf5::checksum::lookup3;
use crate::hdf5::encoder::Encoder;
use crate::hdf5::fractal_heap::encode as fh;

/// Which dense storage the indexes serve: it decides the record types and layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Records {
    /// Types 5 (name hash, heap ID) and 6 (creation order u64, heap ID).
    Links,
    /// Types 8 (heap ID, message flags, creation order u32, name hash) and 9 (heap ID,
    /// message flags, creation order u32).
    Attributes,
}

/// Where the written storage lies.
pub(super) struct Stored {
    /// The fractal heap holding the messages (header, IDs, huge objects).
    pub heap: fh::Written,
    /// Name index B-tree header.
    pub names: u64,
    /// Creation-order index B-tree header, `UNDEF` when not indexed.
    pub order: u64,
    /// Extents of the heap and both trees (freed when superseded), huge objects aside.
    pub blocks: Vec<(u64, u64)>,
}

impl Records {
    /// The heap's creation parameters (libhdf5's defaults for each storage).
    fn heap(self) -> &'static fh::Params {
        match self {
            Records::Links => &fh::LINKS,
            Records::Attributes => &fh::ATTRS,
        }
    }

    /// (record type, record size) of the name index and of the creation-order index.
    fn types(self) -> ((u8, u16), (u8, u16)) {
        let n = self.heap().id_len;
        match self {
            Records::Links => ((5, 4 + n), (6, 8 + n)),
            Records::Attributes => ((8, n + 9), (9, n + 5)),
        }
    }

    fn name_record(self, id: &[u8], flags: u8, hash: u32, corder: u64) -> Vec<u8> {
        let mut e = Encoder::new();
        match self {
            Records::Links => e.u32(hash).bytes(id),
            // libhdf5 keeps attribute creation orders under 2^16.
            Records::Attributes => e.bytes(id).u8(flags).u32(corder as u32).u32(hash),
        };
        e.finish()
    }

    fn order_record(self, id: &[u8], flags: u8, corder: u64) -> Vec<u8> {
        let mut e = Encoder::new();
        match self {
            Records::Links => e.u64(corder).bytes(id),
            Records::Attributes => e.bytes(id).u8(flags).u32(corder as u32),
        };
        e.finish()
    }
}

/// Order of a name index: hash, then name bytes (libhdf5 compares names on equal hashes).
fn by_hash(names: &[&[u8]]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by_key(|&i| (lookup3(names[i]), names[i]));
    order
}

impl Writer {
    /// Write dense storage: a heap holding `objs` (`reuse`: where unchanged huge ones
    /// lie), its name index over `names`, and with `indexed` its creation-order index over
    /// `corders` (all in the same order). Attributes with a `shared` heap ID (of the
    /// shared-message heap, `Records::Attributes` only) are not stored in the heap: their
    /// records hold that ID with the shared flag, as libhdf5 indexes shared attributes.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn write_dense(
        &mut self,
        recs: Records,
        objs: &[&[u8]],
        reuse: &[Option<u64>],
        names: &[&[u8]],
        corders: &[u64],
        shared: &[Option<&[u8]>],
        indexed: bool,
    ) -> Result<Stored> {
        let shared_of = |i: usize| shared.get(i).copied().flatten();
        let stored: Vec<usize> = (0..objs.len())
            .filter(|&i| shared_of(i).is_none())
            .collect();
        let sub_objs: Vec<&[u8]> = stored.iter().map(|&i| objs[i]).collect();
        let sub_reuse: Vec<Option<u64>> = stored
            .iter()
            .map(|&i| reuse.get(i).copied().flatten())
            .collect();
        let mut heap = fh::write(recs.heap(), &sub_objs, &sub_reuse, self)?;
        // IDs and huge places back in the order of `objs` (shared ones: their SOHM ID).
        let mut ids: Vec<Vec<u8>> = (0..objs.len())
            .map(|i| shared_of(i).map(<[u8]>::to_vec).unwrap_or_default())
            .collect();
        let mut huge_at = vec![None; objs.len()];
        for (k, &i) in stored.iter().enumerate() {
            ids[i] = heap.ids.get(k).cloned().unwrap_or_default();
            huge_at[i] = heap.huge_at.get(k).copied().flatten();
        }
        heap.ids = ids;
        heap.huge_at = huge_at;
        let flags = |i: usize| {
            if shared_of(i).is_some() {
                crate::hdf5::object_header::edit::FLAG_SHARED
            } else {
                0
            }
        };
        let ((ntype, nsize), (otype, osize)) = recs.types();
        let ids = &heap.ids;
        let by_name: Vec<Vec<u8>> = by_hash(names)
            .into_iter()
            .map(|i| recs.name_record(&ids[i], flags(i), lookup3(names[i]), corders[i]))
            .collect();
        let sizes = self.sizes;
        let mut alloc = |b: &[u8]| self.alloc_write(b);
        let names_tree =
            btree_v2::write_with(sizes, btree_v2::DEFAULT, ntype, nsize, &by_name, &mut alloc)?;
        let mut blocks: Vec<(u64, u64)> = heap.blocks.to_vec();
        blocks.extend(names_tree.blocks);
        let mut order = UNDEF;
        if indexed {
            let mut idx: Vec<usize> = (0..ids.len()).collect();
            idx.sort_by_key(|&i| corders[i]);
            let by_order: Vec<Vec<u8>> = idx
                .into_iter()
                .map(|i| recs.order_record(&ids[i], flags(i), corders[i]))
                .collect();
            let t = btree_v2::write_with(
                sizes,
                btree_v2::DEFAULT,
                otype,
                osize,
                &by_order,
                &mut alloc,
            )?;
            order = t.header;
            blocks.extend(t.blocks);
        }
        Ok(Stored {
            heap,
            names: names_tree.header,
            order,
            blocks,
        })
    }
}
