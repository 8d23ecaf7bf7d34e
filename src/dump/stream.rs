//! `dump --json [--full]` written as it is produced: the document's metadata is built first
//! (small whatever the file), then written with the values of each big dataset streamed in
//! slabs of about 1 MiB where its placeholder stands, so memory stays bounded (a slab, a chunk
//! being decoded) whatever the size of the data (`tests/cli_memory.rs`).

use std::io::Write;

use serde_json::Value as J;

use super::{element_json, State, MAX_LISTED};
use crate::error::{Error, Result};
use crate::hdf5::read::{Dataset, File};

/// Options of [`dump_streamed`].
#[derive(Default)]
pub struct DumpOptions<'a> {
    /// List every dataset's values (`value`, nested lists following the shape) instead of the
    /// `sha256_le`/`nbytes`/`first`/`sum` summary above 64 elements. Attributes keep the
    /// contract's rule.
    pub full: bool,
    /// Called with the number of data bytes read after each slab; they add up to
    /// [`data_bytes`].
    pub progress: Option<&'a dyn Fn(u64)>,
}

/// Bytes per slab of streamed values.
const STREAM_SLAB: u64 = 1 << 20;
const MARK: &str = "\u{1}pymodaq-h5 deferred values ";

/// The placeholder of deferred dataset number `i` (a control character keeps it apart from
/// any text a file holds; each is checked to appear exactly once).
pub(super) fn placeholder(i: usize) -> J {
    J::String(format!("{MARK}{i}\u{1}"))
}

/// A dataset whose values can be streamed: its first element decodes (filters, type), so a
/// refusal becomes the node's `error` entry before any output.
pub(super) fn check_streamable(d: &Dataset) -> Result<()> {
    let sel: Vec<_> = d.shape().iter().map(|_| 0..1).collect();
    let raw = d.read_raw_selection(&sel)?;
    crate::hdf5::read::attribute::decode_all(
        &d.object().file,
        &d.datatype,
        &raw,
        d.object().address(),
        1,
    )?;
    Ok(())
}

/// The bytes of data `dump` reads: every dataset above 64 elements (what progress counts).
pub fn data_bytes(file: &File) -> u64 {
    let mut total = 0u64;
    let _ = file.walk(|_, n| {
        if let Ok(crate::hdf5::read::Node::Dataset(d)) = n {
            if d.len() > MAX_LISTED {
                total = total.saturating_add(d.len().saturating_mul(d.datatype.size()));
            }
        }
        Ok(())
    });
    total
}

/// Write the dump of `file` to `out` (pretty-printed, one document, newline-terminated).
/// Returns whether some node carries an `error` entry. An error while values are being
/// streamed (the file changed or is damaged past the first element) ends the output there.
pub fn dump_streamed(
    file: &File,
    file_name: &str,
    opts: DumpOptions<'_>,
    out: &mut dyn Write,
) -> Result<bool> {
    let root = file.root()?;
    let progress = opts.progress;
    let (doc, had_errors, deferred) = {
        let mut st = State::new(file, opts.full, progress);
        let doc = st.document(file, &root, file_name);
        (doc, st.had_errors, std::mem::take(&mut st.deferred))
    };
    let text = serde_json::to_string_pretty(&doc).map_err(|e| Error::Usage(e.to_string()))?;
    let text = super::summary::exact_integers(text);
    drop(doc);
    let mut rest = text.as_str();
    for (i, d) in deferred.iter().enumerate() {
        let mark =
            serde_json::to_string(&placeholder(i)).map_err(|e| Error::Usage(e.to_string()))?;
        let Some((before, after)) = rest.split_once(mark.as_str()) else {
            return Err(Error::Usage(format!("dump: placeholder {i} lost")));
        };
        out.write_all(before.as_bytes())?;
        write_values(d, out, progress)?;
        rest = after;
    }
    out.write_all(rest.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(had_errors)
}

/// The values of `d` as nested JSON lists following its shape, slab by slab.
fn write_values(d: &Dataset, out: &mut dyn Write, progress: Option<&dyn Fn(u64)>) -> Result<()> {
    let dims = d.shape().to_vec();
    let ndim = dims.len();
    let mut idx = vec![0u64; ndim];
    out.write_all("[".repeat(ndim).as_bytes())?;
    let mut done = ndim == 0;
    for sel in crate::export::Slabs::new(d, STREAM_SLAB) {
        let n: u64 = sel.iter().map(|r| r.end - r.start).product();
        let raw = d.read_raw_selection(&sel)?;
        let vals = crate::hdf5::read::attribute::decode_all(
            &d.object().file,
            &d.datatype,
            &raw,
            d.object().address(),
            n,
        )?;
        for v in &vals {
            if done {
                return Err(Error::Usage(format!(
                    "dump: {} yielded more values than its shape",
                    d.path()
                )));
            }
            // A failed write is the writer's io::Error, its kind kept (a closed pipe stays
            // `BrokenPipe`); an element serde cannot write is ours.
            serde_json::to_writer(&mut *out, &element_json(&d.datatype, v)).map_err(|e| {
                if e.is_io() {
                    Error::Io(std::io::Error::from(e))
                } else {
                    Error::Usage(e.to_string())
                }
            })?;
            // Close the lists that end here, open the next ones.
            let mut closes = 0;
            for k in (0..ndim).rev() {
                idx[k] += 1;
                if idx[k] < dims[k] {
                    break;
                }
                idx[k] = 0;
                closes += 1;
            }
            out.write_all("]".repeat(closes).as_bytes())?;
            if closes == ndim {
                done = true;
            } else {
                out.write_all(b",")?;
                out.write_all("[".repeat(closes).as_bytes())?;
            }
        }
        if let Some(p) = progress {
            p(raw.len() as u64);
        }
    }
    if !done {
        return Err(Error::Usage(format!(
            "dump: {} yielded fewer values than its shape",
            d.path()
        )));
    }
    Ok(())
}
