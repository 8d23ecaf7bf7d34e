//! `load --json` written as it is computed (`pymodaq::tools::load_json_stream`):
//! - byte for byte the document `serde_json::to_string_pretty(load_json_with(..))` gives, on
//!   every fixture (PyMoDAQ files of both backends and of 4.4, legacy, plain and hostile
//!   files), with and without `--full`, read-only or tolerant, and the same "had errors";
//! - `load --json --full` of a ~100 MB PyMoDAQ file (eight 12.8 MB images) stays under
//!   64 MiB of peak RSS, less than one image's worth of buffers: arrays are lazy and read slab
//!   by slab for their sha256 and values (it used 4.8 GB when the document was built in
//!   memory, 108 MiB when each data node was loaded whole).

mod common;

use std::io::Read;

use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::pymodaq::attrs::pyliteral::PyValue;
use pymodaq_h5::pymodaq::load_json::load_json_with;
use pymodaq_h5::pymodaq::model::{
    Axis, DataDistribution, DataSource, DataToExport, DataWithAxes, DwaArgs, NdArray,
};
use pymodaq_h5::pymodaq::save::{DataToExportSaver, H5Saver, InitOptions};
use pymodaq_h5::pymodaq::tools::load_json_stream::write_load_json;

#[test]
fn streamed_document_is_byte_identical_on_every_fixture() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in common::fixture_files() {
        let Ok(f) = File::open(&path) else { continue };
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for (full, tolerant) in [(false, true), (true, true), (true, false)] {
            let Ok((doc, had)) = load_json_with(&f, &name, full, tolerant) else {
                // The streamed writer must refuse the same files.
                let mut out = Vec::new();
                assert!(
                    write_load_json(&f, &name, full, tolerant, &mut out).is_err(),
                    "{name}: streamed document for a file load_json refuses"
                );
                continue;
            };
            let want = serde_json::to_string_pretty(&doc).unwrap() + "\n";
            let mut out = Vec::new();
            let got_had = write_load_json(&f, &name, full, tolerant, &mut out).unwrap();
            if out != want.as_bytes() || got_had != had {
                let got = String::from_utf8_lossy(&out);
                let at = got
                    .bytes()
                    .zip(want.bytes())
                    .position(|(a, b)| a != b)
                    .unwrap_or(got.len().min(want.len()));
                let lo = at.saturating_sub(120);
                failures.push(format!(
                    "{name} full={full} tolerant={tolerant} (had {got_had} vs {had}): at byte \
                     {at}\n  got:  {:?}\n  want: {:?}",
                    got.get(lo..(at + 120).min(got.len())).unwrap_or(""),
                    want.get(lo..(at + 120).min(want.len())).unwrap_or("")
                ));
            }
            checked += 1;
        }
    }
    assert!(checked > 60, "only {checked} documents compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const ROWS: usize = 1600;
const COLS: usize = 1000;
const CHANNELS: usize = 8;

fn image(c: usize) -> DataWithAxes {
    let vals: Vec<f64> = (0..ROWS * COLS).map(|i| ((i + c) % 997) as f64).collect();
    DataWithAxes::new(DwaArgs {
        name: format!("camera{c}"),
        source: DataSource::Raw,
        distribution: DataDistribution::Uniform,
        data: vec![NdArray::from_f64(vec![ROWS, COLS], &vals).unwrap()],
        labels: vec![format!("frame{c}")],
        units: "counts".into(),
        origin: PyValue::Str("cam".into()),
        nav_indexes: Vec::new(),
        axes: vec![
            Axis::new("y", "mm", (0..ROWS).map(|i| i as f64 * 0.1).collect(), 0, 0).unwrap(),
            Axis::new("x", "mm", (0..COLS).map(|i| i as f64 * 0.2).collect(), 1, 0).unwrap(),
        ],
        errors: None,
        extra_attributes: Vec::new(),
    })
    .unwrap()
}

#[test]
fn load_json_full_of_a_100_mb_file_stays_bounded_by_one_data_node() {
    let dir = common::temp_dir("load-json-memory");
    let path = dir.join("big.h5");
    {
        let opts = InitOptions {
            nexus_hints: false,
            ..InitOptions::default()
        };
        let mut h5 = H5Saver::init_file(&path, opts).unwrap();
        let raw = h5.raw_group().to_string();
        let empty = PyValue::Str(String::new());
        let det = h5.add_det_group(&raw, "cam", &empty, &[]).unwrap();
        for c in 0..CHANNELS {
            // One image at a time (the test's own memory stays small too).
            let mut d = DataToExport::new("frames");
            d.data.push(image(c));
            DataToExportSaver::add_data(&mut h5, &det, &d, "", &[]).unwrap();
            h5.flush().unwrap();
        }
        h5.close_file().unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 100_000_000, "{size} bytes");

    let args = ["load", "--json", "--full"].map(std::ffi::OsStr::new);
    let (mut child, err_reader) =
        common::spawn_reporting_peak(&[&args[..], &[path.as_os_str()]].concat());
    // Count the document and the values of the first image's tree entry, without keeping it.
    let mut out = child.stdout.take().unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let (mut n, mut tail) = (0u64, Vec::new());
    loop {
        let k = out.read(&mut buf).unwrap();
        if k == 0 {
            break;
        }
        n += k as u64;
        tail.extend_from_slice(&buf[..k]);
        if tail.len() > 4096 {
            tail.drain(..tail.len() - 4096);
        }
    }
    let code = child.wait().unwrap().code();
    let stderr = err_reader.join().unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    let peak_kib = common::reported_peak_kib(&stderr).expect("the child reports its peak RSS");
    eprintln!(
        "load --json --full of {} MB: {} MB of JSON, peak RSS {} MiB",
        size / 1_000_000,
        n / 1_000_000,
        peak_kib / 1024
    );
    // Every value is listed three times (tree, data node, load_all): > 3 x 12.8 M values.
    assert!(n > 3 * (CHANNELS * ROWS * COLS) as u64 * 4, "{n} bytes");
    assert!(
        tail.ends_with(b"  ]\n}\n"),
        "{:?}",
        String::from_utf8_lossy(&tail)
    );
    // Measured 14 MiB (108 MiB when each data node was read whole, 4.8 GB when the document
    // was built in memory): the streaming bound of the other commands, 64 MiB.
    assert!(peak_kib < 64 * 1024, "peak RSS {peak_kib} KiB");
}
