//! NumPy exports, streamed: `.npy` (the header, then the values slab by slab) and `.npz` (a zip
//! of stored `.npy` members: the data, each axis, labels and units; CRCs patched in after each
//! member, so nothing is held in memory).

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::Context;
use indicatif::ProgressBar;
use pymodaq_h5::export::{npy_descr, npy_header, Slabs};
use pymodaq_h5::hdf5::read::value::to_little_endian;
use pymodaq_h5::hdf5::read::Dataset;

use crate::export::Source;
use crate::export_table::SLAB_BYTES;

/// `.npy` of the whole dataset.
pub fn write_npy(o: &mut impl Write, d: &Dataset, pb: &ProgressBar) -> anyhow::Result<()> {
    let descr = npy_descr(&d.datatype)?;
    o.write_all(&npy_header(&descr, d.shape()))?;
    stream_raw(o, d, pb)
}

fn stream_raw(o: &mut impl Write, d: &Dataset, pb: &ProgressBar) -> anyhow::Result<()> {
    for sel in Slabs::new(d, SLAB_BYTES) {
        let mut raw = d.read_raw_selection(&sel)?;
        to_little_endian(&d.datatype, &mut raw);
        o.write_all(&raw)?;
        pb.inc(raw.len() as u64);
    }
    Ok(())
}

/// A 0-d unicode array (`<U n`), as `np.array('text')` saves it.
fn npy_str(s: &str) -> Vec<u8> {
    let n = s.chars().count().max(1);
    let mut out = npy_header(&format!("<U{n}"), &[]);
    for c in s.chars() {
        out.extend_from_slice(&(c as u32).to_le_bytes());
    }
    if s.is_empty() {
        out.extend_from_slice(&[0; 4]);
    }
    out
}

/// A 1-D float64 array.
fn npy_f64(v: &[f64]) -> Vec<u8> {
    let mut out = npy_header("<f8", &[v.len() as u64]);
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

static CRC_TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();

fn crc32(mut crc: u32, data: &[u8]) -> u32 {
    let t = CRC_TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        t
    });
    crc = !crc;
    for &b in data {
        crc = t[((crc ^ b as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

struct Member {
    name: String,
    offset: u64,
    size: u64,
    crc: u32,
}

/// A zip archive of stored (uncompressed) members, written to a seekable file. Zip64 records
/// (APPNOTE 4.3.14, 4.5.3) are written where a size or offset reaches 4 GiB and when there
/// are more than 65535 members, as Python's `zipfile` (numpy's `np.load`) reads them.
struct Zip {
    f: std::io::BufWriter<std::fs::File>,
    members: Vec<Member>,
    pos: u64,
    /// Zip64 records for every member and the end record, whatever the sizes (tests:
    /// `PYMODAQ_H5_NPZ_ZIP64=1` exercises the 4 GiB path on small files).
    force64: bool,
}

const DOS_DATE: u16 = 0x21; // 1980-01-01
const U32_MAX: u64 = 0xFFFF_FFFF;

/// A 32-bit field, or the 0xFFFFFFFF marker that sends readers to the zip64 extra field.
fn field32(v: u64, zip64: bool) -> u32 {
    if zip64 || v >= U32_MAX {
        u32::MAX
    } else {
        v as u32
    }
}

impl Zip {
    fn start(&mut self, name: &str, size: u64) -> anyhow::Result<(u64, u64)> {
        let offset = self.pos;
        let big = self.force64 || size >= U32_MAX;
        let mut h = Vec::with_capacity(50 + name.len());
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&(if big { 45u16 } else { 20 }).to_le_bytes()); // version needed
        h.extend_from_slice(&0u16.to_le_bytes()); // flags
        h.extend_from_slice(&0u16.to_le_bytes()); // stored
        h.extend_from_slice(&0u16.to_le_bytes()); // time
        h.extend_from_slice(&DOS_DATE.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes()); // crc, patched by finish
        h.extend_from_slice(&field32(size, big).to_le_bytes());
        h.extend_from_slice(&field32(size, big).to_le_bytes());
        let name_len = u16::try_from(name.len()).context("npz member name too long")?;
        h.extend_from_slice(&name_len.to_le_bytes());
        h.extend_from_slice(&(if big { 20u16 } else { 0 }).to_le_bytes());
        h.extend_from_slice(name.as_bytes());
        if big {
            // Zip64 extended information: original then compressed size.
            h.extend_from_slice(&1u16.to_le_bytes());
            h.extend_from_slice(&16u16.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
        }
        self.f.write_all(&h)?;
        self.pos += h.len() as u64;
        self.members.push(Member {
            name: name.to_string(),
            offset,
            size,
            crc: 0,
        });
        Ok((offset, size))
    }

    fn data(&mut self, crc: &mut u32, b: &[u8]) -> anyhow::Result<()> {
        *crc = crc32(*crc, b);
        self.f.write_all(b)?;
        self.pos += b.len() as u64;
        Ok(())
    }

    fn finish(&mut self, offset: u64, crc: u32, written: u64, size: u64) -> anyhow::Result<()> {
        anyhow::ensure!(written == size, "internal: npz member size mismatch");
        self.f.seek(SeekFrom::Start(offset + 14))?;
        self.f.write_all(&crc.to_le_bytes())?;
        self.f.seek(SeekFrom::Start(self.pos))?;
        if let Some(m) = self.members.last_mut() {
            m.crc = crc;
        }
        Ok(())
    }

    fn whole(&mut self, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let (off, size) = self.start(name, bytes.len() as u64)?;
        let mut crc = 0;
        self.data(&mut crc, bytes)?;
        self.finish(off, crc, bytes.len() as u64, size)
    }

    fn close(mut self) -> anyhow::Result<()> {
        let cd_start = self.pos;
        let mut cd = Vec::new();
        for m in &self.members {
            let big_size = self.force64 || m.size >= U32_MAX;
            let big_off = self.force64 || m.offset >= U32_MAX;
            // The zip64 extra holds, in this order, only the fields marked 0xFFFFFFFF.
            let mut extra = Vec::new();
            if big_size {
                extra.extend_from_slice(&m.size.to_le_bytes());
                extra.extend_from_slice(&m.size.to_le_bytes());
            }
            if big_off {
                extra.extend_from_slice(&m.offset.to_le_bytes());
            }
            let version: u16 = if extra.is_empty() { 20 } else { 45 };
            cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            cd.extend_from_slice(&version.to_le_bytes()); // made by
            cd.extend_from_slice(&version.to_le_bytes()); // needed
            cd.extend_from_slice(&0u16.to_le_bytes());
            cd.extend_from_slice(&0u16.to_le_bytes());
            cd.extend_from_slice(&0u16.to_le_bytes());
            cd.extend_from_slice(&DOS_DATE.to_le_bytes());
            cd.extend_from_slice(&m.crc.to_le_bytes());
            cd.extend_from_slice(&field32(m.size, big_size).to_le_bytes());
            cd.extend_from_slice(&field32(m.size, big_size).to_le_bytes());
            cd.extend_from_slice(&(m.name.len() as u16).to_le_bytes());
            let extra_len = if extra.is_empty() { 0 } else { extra.len() + 4 };
            cd.extend_from_slice(&(extra_len as u16).to_le_bytes());
            cd.extend_from_slice(&0u16.to_le_bytes()); // comment length
            cd.extend_from_slice(&[0; 4]); // disk, internal attributes
            cd.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            cd.extend_from_slice(&field32(m.offset, big_off).to_le_bytes());
            cd.extend_from_slice(m.name.as_bytes());
            if !extra.is_empty() {
                cd.extend_from_slice(&1u16.to_le_bytes());
                cd.extend_from_slice(&(extra.len() as u16).to_le_bytes());
                cd.extend_from_slice(&extra);
            }
        }
        let n = self.members.len() as u64;
        let cd_len = cd.len() as u64;
        let big_end = self.force64 || n > 0xFFFF || cd_start >= U32_MAX || cd_len >= U32_MAX;
        let mut end = Vec::new();
        if big_end {
            // Zip64 end of central directory record, then its locator.
            let eocd64 = cd_start + cd_len;
            end.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
            end.extend_from_slice(&44u64.to_le_bytes()); // size of the rest of the record
            end.extend_from_slice(&45u16.to_le_bytes());
            end.extend_from_slice(&45u16.to_le_bytes());
            end.extend_from_slice(&[0; 8]); // this disk, disk with the directory
            end.extend_from_slice(&n.to_le_bytes());
            end.extend_from_slice(&n.to_le_bytes());
            end.extend_from_slice(&cd_len.to_le_bytes());
            end.extend_from_slice(&cd_start.to_le_bytes());
            end.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
            end.extend_from_slice(&0u32.to_le_bytes());
            end.extend_from_slice(&eocd64.to_le_bytes());
            end.extend_from_slice(&1u32.to_le_bytes()); // total disks
        }
        let n16 = if big_end { 0xFFFF } else { n as u16 };
        end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        end.extend_from_slice(&[0; 4]);
        end.extend_from_slice(&n16.to_le_bytes());
        end.extend_from_slice(&n16.to_le_bytes());
        end.extend_from_slice(&field32(cd_len, big_end).to_le_bytes());
        end.extend_from_slice(&field32(cd_start, big_end).to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        self.f.write_all(&cd)?;
        self.f.write_all(&end)?;
        self.f.flush()?;
        Ok(())
    }
}

/// `.npz`: `data` (the dataset), `data_label`, `data_units`, and per axis `axisD` (the axis
/// of stored dimension D; a second one on the same dimension, spread data, `axisD_1`..) with
/// `axisD_label` and `axisD_units`.
pub fn write_npz(path: &Path, src: &Source, pb: &ProgressBar) -> anyhow::Result<()> {
    let f = std::fs::File::create(path)?;
    let mut z = Zip {
        f: std::io::BufWriter::with_capacity(1 << 16, f),
        members: Vec::new(),
        pos: 0,
        force64: std::env::var_os("PYMODAQ_H5_NPZ_ZIP64").is_some_and(|v| v == "1"),
    };
    let descr = npy_descr(&src.d.datatype)?;
    let header = npy_header(&descr, &src.shape);
    let data_len = src.d.len().saturating_mul(src.d.datatype.size());
    let total = (header.len() as u64).saturating_add(data_len);
    let (off, size) = z.start("data.npy", total)?;
    let mut crc = 0u32;
    z.data(&mut crc, &header)?;
    let mut written = header.len() as u64;
    for sel in Slabs::new(&src.d, SLAB_BYTES) {
        let mut raw = src.d.read_raw_selection(&sel)?;
        to_little_endian(&src.d.datatype, &mut raw);
        z.data(&mut crc, &raw)?;
        written += raw.len() as u64;
        pb.inc(raw.len() as u64);
    }
    z.finish(off, crc, written, size)?;
    z.whole("data_label.npy", &npy_str(&src.label))?;
    z.whole("data_units.npy", &npy_str(&src.units))?;
    let mut used: Vec<usize> = Vec::new();
    for (dim, a) in &src.axes {
        let n = used.iter().filter(|d| *d == dim).count();
        used.push(*dim);
        let key = if n == 0 {
            format!("axis{dim}")
        } else {
            format!("axis{dim}_{n}")
        };
        z.whole(&format!("{key}.npy"), &npy_f64(&a.get_data()))?;
        z.whole(&format!("{key}_label.npy"), &npy_str(&a.label))?;
        z.whole(&format!("{key}_units.npy"), &npy_str(&a.units))?;
    }
    z.close()
}
