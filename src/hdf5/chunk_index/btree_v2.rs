//! Version 2 B-tree chunk records (spec III.A.2, record types 10 and 11; index of
//! layout v4/v5 datasets with more than one unlimited dimension, spec VII.E).
//!
//! Type 10 (unfiltered): chunk address, then rank scaled offsets of 8 bytes each.
//! Type 11 (filtered): chunk address, stored size (record size − offsets − 4 − 8 × rank
//! bytes: 8 for layout v5, fewer for v4 — quirk 8), filter mask (u32), scaled offsets.
//! Scaled offset × chunk dimension = element offset. Refused: record type not matching
//! the dataset's filtering, record sizes that do not fit the rank, undefined addresses.

use super::{ChunkInfo, Geometry, IndexWalk};
use crate::error::{Error, Result};
use crate::hdf5::btree_v2;
use crate::hdf5::cursor::{Cursor, UNDEFINED_ADDRESS};
use crate::hdf5::io::Budget;

const S: &str = "v2 B-tree chunk record";

/// A decoded chunk record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkRecord {
    /// Chunk address.
    pub address: u64,
    /// Stored size (type 11), or `None` for type 10.
    pub size: Option<u64>,
    /// Filter mask (0 for type 10).
    pub filter_mask: u32,
    /// Scaled (chunk-index) offsets, one per dimension.
    pub scaled: Vec<u64>,
}

/// Decode one record of type 10 or 11 from `c`, which holds exactly the record.
pub fn parse_record(c: &mut Cursor, record_type: u8, rank: usize) -> Result<ChunkRecord> {
    let address = c.offset()?;
    if address == UNDEFINED_ADDRESS {
        return Err(c.err("chunk record with an undefined address").into());
    }
    let scaled_len = rank.checked_mul(8).ok_or_else(|| c.err("rank overflows"))?;
    let (size, filter_mask) = match record_type {
        10 => (None, 0),
        11 => {
            let w = c
                .remaining()
                .checked_sub(scaled_len + 4)
                .filter(|w| (1..=8).contains(w))
                .ok_or_else(|| c.err("record size does not fit a chunk size field of 1-8 bytes"))?;
            (Some(c.uint(w)?), c.u32()?)
        }
        t => {
            return Err(c
                .err(format!("record type {t} is not a chunk record (10 or 11)"))
                .into())
        }
    };
    if c.remaining() != scaled_len {
        return Err(c
            .err(format!(
                "{} bytes left for {rank} scaled offsets",
                c.remaining()
            ))
            .into());
    }
    let mut scaled = Vec::with_capacity(rank);
    for _ in 0..rank {
        scaled.push(c.u64()?);
    }
    Ok(ChunkRecord {
        address,
        size,
        filter_mask,
        scaled,
    })
}

/// Turn decoded records into chunk infos (dropping chunks outside the current extent).
pub fn infos(records: impl IntoIterator<Item = ChunkRecord>, g: &Geometry) -> Vec<ChunkInfo> {
    records
        .into_iter()
        .filter_map(|r| {
            g.info(
                &r.scaled,
                r.address,
                r.size.unwrap_or(g.chunk_bytes),
                r.filter_mask,
            )
        })
        .collect()
}

/// Every chunk of a dataset indexed by the v2 B-tree whose header is at `addr`.
pub fn chunks(w: &IndexWalk, budget: &mut Budget) -> Result<Vec<ChunkInfo>> {
    let (io, addr, g, filtered) = (w.io, w.addr, w.g, w.filtered);
    let (h, raw) = btree_v2::records(io, addr, budget)?;
    let want = if filtered { 11 } else { 10 };
    if h.record_type != want {
        return Err(Error::format(
            "v2 B-tree header",
            addr,
            format!(
                "record type {}, expected {want} for this dataset",
                h.record_type
            ),
        ));
    }
    let mut recs = Vec::with_capacity(raw.len());
    for r in &raw {
        recs.push(parse_record(
            &mut io.cursor(&r.bytes, r.at, S),
            h.record_type,
            g.rank(),
        )?);
    }
    Ok(infos(recs, g))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::cursor::Sizes;

    #[test]
    #[rustfmt::skip]
    fn type_10_and_11() {
        let r10 = [
            0x00, 0x10, 0, 0, 0, 0, 0, 0, // chunk address 0x1000
            2, 0, 0, 0, 0, 0, 0, 0,       // scaled offset dim 0
            3, 0, 0, 0, 0, 0, 0, 0,       // scaled offset dim 1
        ];
        let mut c = Cursor::new(&r10, 0, S, Sizes::default());
        let r = parse_record(&mut c, 10, 2).unwrap();
        assert_eq!(r, ChunkRecord { address: 0x1000, size: None, filter_mask: 0, scaled: vec![2, 3] });
        let r11 = [
            0x00, 0x10, 0, 0, 0, 0, 0, 0, // chunk address 0x1000
            0x2c, 0x01, 0,                // chunk size (3 bytes, layout v4): 300
            1, 0, 0, 0,                   // filter mask
            5, 0, 0, 0, 0, 0, 0, 0,       // scaled offset dim 0
        ];
        let mut c = Cursor::new(&r11, 0, S, Sizes::default());
        let r = parse_record(&mut c, 11, 1).unwrap();
        assert_eq!(r, ChunkRecord { address: 0x1000, size: Some(300), filter_mask: 1, scaled: vec![5] });
        // Wrong rank for the record size; wrong type; undefined address.
        assert!(parse_record(&mut Cursor::new(&r10, 0, S, Sizes::default()), 10, 1).is_err());
        assert!(parse_record(&mut Cursor::new(&r10, 0, S, Sizes::default()), 11, 2).is_err());
        assert!(parse_record(&mut Cursor::new(&r10, 0, S, Sizes::default()), 5, 2).is_err());
        let undef = [0xffu8; 16];
        assert!(parse_record(&mut Cursor::new(&undef, 0, S, Sizes::default()), 10, 1).is_err());
    }
}
