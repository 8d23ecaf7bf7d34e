//! Filter pipeline execution (spec IV.A.2.l, "Data Storage - Filter Pipeline Message";
//! the filter algorithms themselves are defined by the HDF5 library, not the spec).
//!
//! Reading a chunk undoes the pipeline in reverse order, skipping filter `i` when bit `i`
//! of the chunk's filter mask is set (an optional filter that failed when writing).
//! Supported: deflate (1), shuffle (2), fletcher32 (3), and decode only nbit (5),
//! scaleoffset (6), bzip2 (307), lzf
//! (32000), blosc (32001), lz4 (32004), bitshuffle (32008), zstd (32015), blosc2 (32026). Every other filter
//! id is refused with [`Error::Unsupported`] naming it, unless the chunk's mask skips it. Pipelines longer than 32 filters are refused
//! (the filter mask has 32 bits).

pub mod bitshuffle;
pub mod blosc;
pub mod blosc2;
pub mod codecs;
pub mod deflate;
mod deflate_planes;
pub mod fletcher32;
pub mod nbit;
pub mod scaleoffset;
pub mod shuffle;

pub use deflate::deflate;
pub use fletcher32::fletcher32;
pub use shuffle::{shuffle, unshuffle};

use crate::error::{Error, Result};
use crate::hdf5::message::filter_pipeline::FilterPipeline;
use crate::limits::Limits;

/// Filter id of deflate (zlib).
pub const DEFLATE: u16 = 1;
/// Filter id of shuffle.
pub const SHUFFLE: u16 = 2;
/// Filter id of Fletcher-32.
pub const FLETCHER32: u16 = 3;
/// Filter id of n-bit (HDF5 built-in).
pub const NBIT: u16 = 5;
/// Filter id of scale-offset (HDF5 built-in).
pub const SCALEOFFSET: u16 = 6;
/// Filter id of bzip2 (PyTables / hdf5plugin).
pub const BZIP2: u16 = 307;
/// Filter id of lzf (h5py).
pub const LZF: u16 = 32000;
/// Filter id of blosc (c-blosc 1.x chunks).
pub const BLOSC: u16 = 32001;
/// hdf5-blosc2 (PyTables / hdf5plugin).
pub const BLOSC2: u16 = 32026;
/// Filter id of lz4 (hdf5plugin).
pub const LZ4: u16 = 32004;
/// Filter id of bitshuffle (optionally with lz4 or zstd).
pub const BITSHUFFLE: u16 = 32008;
/// Filter id of zstd (hdf5plugin).
pub const ZSTD: u16 = 32015;

/// Largest number of filters in a pipeline (one filter-mask bit each).
const MAX_FILTERS: usize = 32;

/// Common name of a registered HDF5 filter id ("unknown" when not registered here).
pub fn filter_name(id: u16) -> &'static str {
    match id {
        1 => "deflate",
        2 => "shuffle",
        3 => "fletcher32",
        4 => "szip",
        5 => "nbit",
        6 => "scaleoffset",
        305 => "lzo",
        307 => "bzip2",
        32000 => "lzf",
        32001 => "blosc",
        32004 => "lz4",
        32008 => "bitshuffle",
        32015 => "zstd",
        32026 => "blosc2",
        _ => "unknown",
    }
}

/// Whether every filter of `pipeline` can be undone by [`decode_chunk`].
pub fn check_supported(pipeline: &FilterPipeline, at: u64) -> Result<()> {
    check_supported_masked(pipeline, 0, at)
}

/// Whether [`decode_chunk`] can undo every filter of `pipeline` that `filter_mask` says was
/// applied (a skipped optional filter needs no decoder).
pub fn check_supported_masked(pipeline: &FilterPipeline, filter_mask: u32, at: u64) -> Result<()> {
    if pipeline.filters.len() > MAX_FILTERS {
        return Err(Error::format(
            "filter pipeline",
            at,
            format!("{} filters (at most {MAX_FILTERS})", pipeline.filters.len()),
        ));
    }
    for (i, f) in pipeline.filters.iter().enumerate() {
        if filter_mask & (1u32 << i) == 0 && !decodable(f.id) {
            return Err(unsupported(f.id, at));
        }
    }
    Ok(())
}

/// Whether a filter id has a decoder here.
pub fn decodable(id: u16) -> bool {
    matches!(
        id,
        DEFLATE
            | SHUFFLE
            | FLETCHER32
            | NBIT
            | SCALEOFFSET
            | BZIP2
            | LZF
            | BLOSC
            | BLOSC2
            | LZ4
            | BITSHUFFLE
            | ZSTD
    )
}

fn unsupported(id: u16, at: u64) -> Error {
    let what = if id == 4 {
        // No pure-Rust szip (libaec) decoder exists; the name is what users search for.
        "unsupported filter 4 (szip): szip (filter 4) is not supported".to_string()
    } else {
        format!("unsupported filter {id} ({})", filter_name(id))
    };
    Error::unsupported(what, Some(at))
}

/// Undo the pipeline on one stored chunk (filters in reverse order, skipping those whose
/// bit is set in `filter_mask`); the result must be exactly `expected_size` bytes.
pub fn decode_chunk(
    pipeline: &FilterPipeline,
    filter_mask: u32,
    data: Vec<u8>,
    expected_size: usize,
    limits: &Limits,
    at: u64,
) -> Result<Vec<u8>> {
    decode_chunk_reusing(
        pipeline,
        filter_mask,
        data,
        &mut Vec::new(),
        expected_size,
        limits,
        at,
    )
}

/// [`decode_chunk`] with a spare buffer that is reused across calls: `data` (the stored
/// bytes) and `spare` are swapped between filters, so a reader decoding chunk after chunk
/// allocates nothing once the buffers have grown to the chunk size.
pub fn decode_chunk_reusing(
    pipeline: &FilterPipeline,
    filter_mask: u32,
    data: Vec<u8>,
    spare: &mut Vec<u8>,
    expected_size: usize,
    limits: &Limits,
    at: u64,
) -> Result<Vec<u8>> {
    check_supported_masked(pipeline, filter_mask, at)?;
    let mut data = data;
    for (i, f) in pipeline.filters.iter().enumerate().rev() {
        // i < 32 is guaranteed by check_supported.
        if filter_mask & (1u32 << i) != 0 {
            continue;
        }
        // A decompressor's output is the chunk plus the trailers of any fletcher32 applied
        // before it when writing.
        let trailers = pipeline
            .filters
            .iter()
            .take(i)
            .enumerate()
            .filter(|&(j, g)| g.id == FLETCHER32 && filter_mask & (1u32 << j) == 0)
            .count();
        let want = expected_size
            .checked_add(4 * trailers)
            .ok_or_else(|| Error::format("filtered chunk", at, "chunk size overflows"))?;
        // A filter applied before this one that changes the size (n-bit, scale-offset, a
        // compressor) makes this one's output that filter's stored form: only bounded
        // (scale-offset adds a 21-byte header to full-precision data). The final size is
        // checked below.
        let resized =
            pipeline.filters.iter().take(i).enumerate().any(|(j, g)| {
                !matches!(g.id, SHUFFLE | FLETCHER32) && filter_mask & (1u32 << j) == 0
            });
        let want = if resized {
            want.saturating_add(want / 8).saturating_add(256)
        } else {
            want
        };
        match f.id {
            DEFLATE => {
                deflate::inflate_up_to(&data, spare, want, !resized, limits, at)?;
                std::mem::swap(&mut data, spare);
            }
            LZF => {
                codecs::check_budget(data.len(), want, limits, at)?;
                data = codecs::lzf_decompress(&data, want, at)?;
            }
            LZ4 => data = codecs::lz4_decompress(&data, want, limits, at)?,
            ZSTD => data = codecs::zstd_decompress(&data, want, limits, at)?,
            BZIP2 => data = codecs::bzip2_decompress(&data, want, limits, at)?,
            BLOSC => data = blosc::decode(&data, want, limits, at)?,
            BLOSC2 => data = blosc2::decode(&data, want, limits, at)?,
            NBIT => data = nbit::decode(&data, &f.client_data, want, at)?,
            SCALEOFFSET => data = scaleoffset::decode(&data, &f.client_data, want, at)?,
            BITSHUFFLE => data = bitshuffle::decode(&data, &f.client_data, want, limits, at)?,
            SHUFFLE => {
                let elem = f.client_data.first().copied().unwrap_or(1);
                let elem = usize::try_from(elem).unwrap_or(usize::MAX);
                shuffle::unshuffle_into(&data, elem, spare);
                std::mem::swap(&mut data, spare);
            }
            FLETCHER32 => {
                let n = fletcher32::verify(&data, at)?;
                data.truncate(n);
            }
            other => return Err(unsupported(other, at)),
        }
    }
    if data.len() != expected_size {
        return Err(Error::format(
            "filtered chunk",
            at,
            format!(
                "decoded chunk is {} bytes, expected {expected_size}",
                data.len()
            ),
        ));
    }
    Ok(data)
}

/// Apply `pipeline` to one chunk for writing (deflate, shuffle and fletcher32 only).
/// Returns the stored bytes; the filter mask to store is 0.
pub fn encode_chunk(pipeline: &FilterPipeline, data: &[u8], at: u64) -> Result<Vec<u8>> {
    check_supported(pipeline, at)?;
    // The input is only copied when the last filter keeps it as it is.
    let mut out = std::borrow::Cow::Borrowed(data);
    // Whether the bytes are byte planes of elements wider than one byte (deflate picks its
    // strategy from this).
    let mut shuffled = false;
    for f in &pipeline.filters {
        out = std::borrow::Cow::Owned(match f.id {
            DEFLATE => {
                let level = f.client_data.first().copied().unwrap_or(6);
                let z = deflate::deflate_filter(&out, level, shuffled);
                shuffled = false;
                z
            }
            SHUFFLE => {
                let elem = f.client_data.first().copied().unwrap_or(1);
                let elem = usize::try_from(elem).unwrap_or(usize::MAX);
                shuffled = elem > 1 && out.len() >= elem;
                shuffle(&out, elem)
            }
            FLETCHER32 => {
                shuffled = false;
                fletcher32::append(out.into_owned())
            }
            other => return Err(unsupported(other, at)),
        });
    }
    Ok(out.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hdf5::message::filter_pipeline::FilterDescription;

    fn fd(id: u16, cd: &[u32]) -> FilterDescription {
        FilterDescription {
            id,
            name: None,
            flags: 0,
            client_data: cd.to_vec(),
        }
    }

    fn pipeline(f: Vec<FilterDescription>) -> FilterPipeline {
        FilterPipeline {
            version: 1,
            filters: f,
        }
    }

    #[test]
    fn pymodaq_default_round_trip() {
        // PyMoDAQ's zlib 5: shuffle (element size 8) then deflate, plus fletcher32.
        let p = pipeline(vec![fd(2, &[8]), fd(1, &[5]), fd(3, &[])]);
        let data: Vec<u8> = (0..800u32)
            .flat_map(|i| f64::from(i).to_le_bytes())
            .collect();
        let stored = encode_chunk(&p, &data, 0).unwrap();
        assert!(stored.len() < data.len());
        let l = Limits::default();
        assert_eq!(
            decode_chunk(&p, 0, stored.clone(), data.len(), &l, 0).unwrap(),
            data
        );
        // Corrupt one byte: fletcher32 catches it first.
        let mut bad = stored;
        bad[5] ^= 0x40;
        let e = decode_chunk(&p, 0, bad, data.len(), &l, 9).unwrap_err();
        assert!(e.to_string().contains("fletcher32 checksum mismatch"));
    }

    #[test]
    fn level_1_strategies_round_trip() {
        let l = Limits::default();
        // Noisy low bytes and smooth high bytes (camera-like), a ramp (long-range
        // redundancy: level 2 must win over runs), an empty chunk and a short odd one.
        let mut seed = 7u32;
        let camera: Vec<u8> = (0..20_000u32)
            .flat_map(|i| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (1000 + (i % 300) as u16 + (seed >> 26) as u16).to_le_bytes()
            })
            .collect();
        let ramp: Vec<u8> = (0..8192u32)
            .flat_map(|i| (f64::from(i) * 0.5).to_le_bytes())
            .collect();
        for data in [camera, ramp.clone(), Vec::new(), vec![1, 2, 3]] {
            for p in [
                pipeline(vec![fd(2, &[2]), fd(1, &[1])]),
                pipeline(vec![fd(2, &[8]), fd(1, &[1]), fd(3, &[])]),
                pipeline(vec![fd(1, &[1])]),
            ] {
                let stored = encode_chunk(&p, &data, 0).unwrap();
                let back = decode_chunk(&p, 0, stored, data.len(), &l, 0).unwrap();
                assert_eq!(back, data);
            }
        }
        let shuffled = shuffle(&ramp, 8);
        let picked = deflate::deflate_filter(&shuffled, 1, true);
        assert!(picked.len() <= deflate(&shuffled, 2).len());
    }

    #[test]
    #[rustfmt::skip]
    fn real_hdf5_chunk() {
        // h5py 3.16 / HDF5 2.0: arange(12, dtype='<i4') with shuffle, gzip 4, fletcher32
        // (the 27-byte single chunk of a libver='latest' dataset).
        let stored = vec![
            0x78, 0x5e,                                     // zlib header (level 4)
            0x63, 0x60, 0x64, 0x62, 0x66, 0x61, 0x65, 0x63, // deflate data...
            0xe7, 0xe0, 0xe4, 0xe2, 0x66, 0x20, 0x02, 0x00, 0x00,
            0x0a, 0x96, 0x00, 0x43,                         // Adler-32
            0xd5, 0x19, 0x2a, 0xc4,                         // fletcher32, little-endian
        ];
        let p = pipeline(vec![fd(2, &[4]), fd(1, &[4]), fd(3, &[])]);
        let got = decode_chunk(&p, 0, stored.clone(), 48, &Limits::default(), 2096).unwrap();
        let want: Vec<u8> = (0..12i32).flat_map(|i| i.to_le_bytes()).collect();
        assert_eq!(got, want);
        assert_eq!(fletcher32(&stored[..23]), 0xc42a_19d5);
    }

    #[test]
    fn fletcher_before_deflate() {
        let p = pipeline(vec![fd(3, &[]), fd(1, &[6])]);
        let data = vec![7u8; 1000];
        let stored = encode_chunk(&p, &data, 0).unwrap();
        let l = Limits::default();
        assert_eq!(decode_chunk(&p, 0, stored, 1000, &l, 0).unwrap(), data);
    }

    #[test]
    fn mask_skips_filters() {
        // PyTables uint8 VLArray: shuffle without client data, deflate skipped by mask bit 1.
        let p = pipeline(vec![fd(2, &[]), fd(1, &[5])]);
        let data = b"hello world".to_vec();
        let l = Limits::default();
        assert_eq!(
            decode_chunk(&p, 0b10, data.clone(), data.len(), &l, 0).unwrap(),
            data
        );
        assert!(decode_chunk(&p, 0b10, data.clone(), 3, &l, 0).is_err());
    }

    #[test]
    fn unsupported_filters_named() {
        let p = pipeline(vec![fd(305, &[])]);
        let e = decode_chunk(&p, 0, vec![0; 8], 8, &Limits::default(), 42).unwrap_err();
        match e {
            Error::Unsupported { what, at } => {
                assert_eq!(what, "unsupported filter 305 (lzo)");
                assert_eq!(at, Some(42));
            }
            other => panic!("{other}"),
        }
        assert_eq!(filter_name(9999), "unknown");
        // szip is refused by name; masked out (an optional filter that was not applied to
        // this chunk) it needs no decoder.
        let p = pipeline(vec![fd(4, &[])]);
        let e = decode_chunk(&p, 0, vec![0; 8], 8, &Limits::default(), 0).unwrap_err();
        assert!(e.to_string().contains("szip (filter 4) is not supported"));
        assert_eq!(
            decode_chunk(&p, 1, vec![3; 8], 8, &Limits::default(), 0).unwrap(),
            vec![3; 8]
        );
    }

    #[test]
    fn too_many_filters() {
        let p = pipeline((0..33).map(|_| fd(2, &[1])).collect());
        assert!(matches!(
            decode_chunk(&p, 0, vec![], 0, &Limits::default(), 0),
            Err(Error::Format(_))
        ));
    }
}
