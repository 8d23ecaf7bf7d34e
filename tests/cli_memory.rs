//! Memory bound of the streaming commands: exporting (CSV, npy) and checking a dataset larger
//! than 1 GB stays under 64 MiB of peak RSS (VmHWM), and the CSV holds every value.
//!
//! The big datasets are deflated (their values repeat): more than 1 GB is decompressed and
//! streamed through each command, while the files take a few MB of the CI machine's disk.

mod common;

use std::io::Read;

use pymodaq_h5::hdf5::write::{DatasetBuilder, Dtype, WriteOptions, Writer};

const ROWS: u64 = 4400;
const COLS: u64 = 32000; // 4400 x 32000 float64 = 1.126 GB
const _: () = assert!(ROWS * COLS * 8 > 1 << 30);

/// Peak RSS in KiB of a child (the VmHWM it reports at exit with PYMODAQ_H5_REPORT_PEAK_RSS,
/// exact however short it runs; and VmHWM sampled from /proc while it runs), the bytes it wrote
/// to standard output (counted, not kept), its exit code and the number of lines.
fn run_measured(args: &[&str]) -> (u64, u64, Option<i32>, u64) {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
    let (mut child, err_reader) = common::spawn_reporting_peak(&args);
    let pid = child.id();
    let mut out = child.stdout.take().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let sampler = std::thread::spawn(move || {
        let mut peak = 0u64;
        while !s2.load(std::sync::atomic::Ordering::Relaxed) {
            if let Some(kb) = common::vm_hwm_kib(pid) {
                peak = peak.max(kb);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        peak
    });
    // Count the output; remember the last line to check the end of the table.
    let mut buf = vec![0u8; 1 << 16];
    let (mut n, mut lines) = (0u64, 0u64);
    loop {
        let k = out.read(&mut buf).unwrap();
        if k == 0 {
            break;
        }
        n += k as u64;
        lines += buf[..k].iter().filter(|&&c| c == b'\n').count() as u64;
    }
    // The pipe closed: the process is exiting. One more sample happens before the wait.
    std::thread::sleep(std::time::Duration::from_millis(50));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.join().unwrap();
    let code = child.wait().unwrap().code();
    let reported = common::reported_peak_kib(&err_reader.join().unwrap())
        .expect("the child reports its peak RSS");
    let peak = peak.max(reported);
    (peak, n, code, lines)
}

#[test]
fn export_and_check_of_a_1_gb_dataset_stay_under_64_mib() {
    let dir = common::temp_dir("cli-memory");
    let path = dir.join("big.h5");
    {
        let mut w = Writer::create(&path, WriteOptions::default()).unwrap();
        let ds = w
            .create_dataset(
                "/img",
                DatasetBuilder::new(Dtype::F64)
                    .shape(&[ROWS, COLS])
                    .chunks(&[64, COLS])
                    .deflate(1),
            )
            .unwrap();
        // Small integers as floats: cheap to format, the bound is what is measured.
        let block: Vec<f64> = (0..64 * COLS).map(|i| (i % 997) as f64).collect();
        let mut r = 0;
        while r < ROWS {
            let end = (r + 64).min(ROWS);
            let n = ((end - r) * COLS) as usize;
            w.write_slice(&ds, &[r..end, 0..COLS], &block[..n]).unwrap();
            r = end;
        }
        w.close().unwrap();
    }
    assert!(std::fs::metadata(&path).unwrap().len() < 64 << 20);
    let p = path.to_string_lossy();
    const LIMIT_KIB: u64 = 64 * 1024;

    let (peak, bytes, code, lines) = run_measured(&["export", &p, "/img", "-o", "-"]);
    assert_eq!(code, Some(0));
    assert_eq!(lines, 1 + ROWS, "a `#` line then one line per row");
    assert!(bytes > 2 * ROWS * COLS, "{bytes}");
    eprintln!("export csv: peak RSS {} MiB, {bytes} bytes", peak / 1024);
    assert!(
        peak > 0 && peak < LIMIT_KIB,
        "csv export peak RSS {peak} KiB"
    );

    let (peak, bytes, code, _) =
        run_measured(&["export", &p, "/img", "-o", "-", "--format", "npy"]);
    assert_eq!(code, Some(0));
    assert_eq!(bytes, 128 + ROWS * COLS * 8);
    eprintln!("export npy: peak RSS {} MiB", peak / 1024);
    assert!(
        peak > 0 && peak < LIMIT_KIB,
        "npy export peak RSS {peak} KiB"
    );

    // dump (every value hashed and summed) and dump --full of a slice-sized copy below.
    let (peak, bytes, code, _) = run_measured(&["dump", "--json", &p]);
    assert_eq!(code, Some(0));
    assert!(bytes > 500, "{bytes}");
    eprintln!("dump: peak RSS {} MiB", peak / 1024);
    assert!(peak > 0 && peak < LIMIT_KIB, "dump peak RSS {peak} KiB");

    let (peak, _, code, _) = run_measured(&["check", &p]);
    assert_eq!(code, Some(0));
    eprintln!("check: peak RSS {} MiB", peak / 1024);
    assert!(peak > 0 && peak < LIMIT_KIB, "check peak RSS {peak} KiB");
}

/// `show --at` and `plot --at` on a 1 GB scan (64 x 64 navigation points of 32768-value
/// spectra, written by our extended saver as PyMoDAQ lays out a scan) read only the slab of
/// that position: peak RSS stays under 64 MiB, and the values shown are that position's.
/// `show` of the whole scan streams its statistics through every value, and `plot` sums it
/// over its navigation axes, under the same bound.
#[test]
fn show_and_plot_of_a_1_gb_scan_stay_under_64_mib() {
    use pymodaq_h5::pymodaq::attrs::PyValue;
    use pymodaq_h5::pymodaq::model::{
        Axis, DataDistribution, DataToExport, DataWithAxes, DwaArgs, NdArray,
    };
    use pymodaq_h5::pymodaq::save::{DataToExportExtendedSaver, H5Saver, InitOptions, SaveType};
    const NX: u64 = 64;
    const NY: u64 = 64;
    const SIG: usize = 32768;
    let dir = common::temp_dir("cli-memory-at");
    let path = dir.join("scan.h5");
    {
        let mut h5 = H5Saver::init_file(
            &path,
            InitOptions {
                save_type: SaveType::Scan,
                compression: Some(1),
                ..Default::default()
            },
        )
        .unwrap();
        let empty = PyValue::Str(String::new());
        let scan = h5.add_scan_group("/RawData", "scan", &empty, &[]).unwrap();
        let det = h5.add_det_group(&scan, "spectro", &empty, &[]).unwrap();
        let saver = DataToExportExtendedSaver::new(&[NX, NY]);
        let xs: Vec<f64> = (0..NX).map(|i| i as f64 * 0.5).collect();
        let ys: Vec<f64> = (0..NY).map(|i| i as f64 * 0.25).collect();
        saver
            .add_nav_axes(
                &mut h5,
                &scan,
                &[
                    Axis::new("x", "mm", xs, 0, 0).unwrap(),
                    Axis::new("y", "mm", ys, 1, 0).unwrap(),
                ],
            )
            .unwrap();
        let wl: Vec<f64> = (0..SIG).map(|k| 400.0 + k as f64 * 0.01).collect();
        for i in 0..NX {
            for j in 0..NY {
                // Position (i, j) holds i*64 + j and one more: its min and max say where
                // it was read.
                let base = (i * NY + j) as f64;
                let v: Vec<f64> = (0..SIG).map(|k| base + (k % 2) as f64).collect();
                let mut point = DataToExport::new("point");
                point.append(
                    DataWithAxes::new(DwaArgs {
                        name: "spectrum".into(),
                        units: "V".into(),
                        data: vec![NdArray::from_f64(vec![SIG], &v).unwrap()],
                        axes: vec![Axis::new("wavelength", "nm", wl.clone(), 0, 0).unwrap()],
                        ..DwaArgs::default()
                    })
                    .unwrap(),
                );
                saver
                    .add_data(&mut h5, &det, &point, &[i, j], DataDistribution::Uniform)
                    .unwrap();
            }
        }
        h5.close_file().unwrap();
    }
    assert!(NX * NY * SIG as u64 * 8 >= 1 << 30);
    assert!(std::fs::metadata(&path).unwrap().len() < 64 << 20);
    let p = path.to_string_lossy().into_owned();
    let node = "/RawData/Scan000/Detector000/Data1D/CH00/Data00";
    const LIMIT_KIB: u64 = 64 * 1024;

    let (peak, _, code, _) = run_measured(&["show", &p, node, "--at", "37,5"]);
    assert_eq!(code, Some(0));
    eprintln!("show --at: peak RSS {} MiB", peak / 1024);
    assert!(
        peak > 0 && peak < LIMIT_KIB,
        "show --at peak RSS {peak} KiB"
    );
    let out = common::bin()
        .args(["show", &p, node, "--at", "37,5"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // 37*64 + 5 = 2373; x = 37*0.5, y = 5*0.25.
    assert!(text.contains("min 2373, max 2374,"), "{text}");
    // Each navigation axis as its one value there.
    assert!(text.contains(") = 18.5\n"), "{text}");
    assert!(text.contains(") = 1.25\n"), "{text}");

    // The whole scan: every value read (slab by slab), none kept.
    let (peak, _, code, _) = run_measured(&["show", &p, node]);
    assert_eq!(code, Some(0));
    eprintln!("show: peak RSS {} MiB", peak / 1024);
    assert!(peak > 0 && peak < LIMIT_KIB, "show peak RSS {peak} KiB");
    let out = common::bin().args(["show", &p, node]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // Values i*64 + j + (k % 2) over i, j < 64: min 0, max 4096, mean 2047.5 + 0.5.
    assert!(text.contains("min 0, max 4096, mean 2048\n"), "{text}");
    assert!(text.contains("shape (64, 64, 32768)"), "{text}");

    let png = dir.join("at.png");
    let png_s = png.to_string_lossy().into_owned();
    let (peak, _, code, _) = run_measured(&["plot", &p, node, "--at", "37,5", "-o", &png_s]);
    assert_eq!(code, Some(0));
    eprintln!("plot --at: peak RSS {} MiB", peak / 1024);
    assert!(
        peak > 0 && peak < LIMIT_KIB,
        "plot --at peak RSS {peak} KiB"
    );
    assert!(std::fs::metadata(&png).unwrap().len() > 1000);

    // The whole scan summed over its navigation axes: read slab by slab as it is summed.
    let svg = dir.join("sum.svg");
    let svg_s = svg.to_string_lossy().into_owned();
    let (peak, _, code, _) = run_measured(&["plot", &p, node, "-o", &svg_s]);
    assert_eq!(code, Some(0));
    eprintln!("plot (sum): peak RSS {} MiB", peak / 1024);
    assert!(
        peak > 0 && peak < LIMIT_KIB,
        "plot (sum) peak RSS {peak} KiB"
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("sum over navigation"), "no title in the SVG");
}

/// `dump --json --full` streams every value: a 128 MB dataset (16 M float64, 2 x 8 M
/// chunks) dumped whole stays under 64 MiB RSS, and its output is one JSON document whose
/// values are the dataset's (read back and checked value by value).
#[test]
fn dump_full_streams_every_value_under_64_mib() {
    const R: u64 = 2048;
    const C: u64 = 8192;
    let dir = common::temp_dir("cli-memory-dump-full");
    let path = dir.join("mid.h5");
    {
        let mut w = Writer::create(&path, WriteOptions::default()).unwrap();
        let ds = w
            .create_dataset(
                "/m",
                DatasetBuilder::new(Dtype::F64)
                    .shape(&[R, C])
                    .chunks(&[128, C]),
            )
            .unwrap();
        let block: Vec<f64> = (0..128 * C).map(|i| (i % 1013) as f64 * 0.5).collect();
        for r in (0..R).step_by(128) {
            w.write_slice(&ds, &[r..r + 128, 0..C], &block).unwrap();
        }
        w.close().unwrap();
    }
    let p = path.to_string_lossy().into_owned();
    let (peak, bytes, code, _) = run_measured(&["dump", "--json", "--full", &p]);
    assert_eq!(code, Some(0));
    eprintln!("dump --full: peak RSS {} MiB, {bytes} bytes", peak / 1024);
    assert!(
        peak > 0 && peak < 64 * 1024,
        "dump --full peak RSS {peak} KiB"
    );
    assert!(bytes > R * C * 3, "{bytes}");
    // The values, checked (the output of a 128 MB dataset parsed as one document).
    let out = common::bin()
        .args(["dump", "--json", "--full", &p])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = doc["root"]["children"]["m"]["value"].as_array().unwrap();
    assert_eq!(rows.len() as u64, R);
    for (r, row) in rows.iter().enumerate().step_by(97) {
        let row = row.as_array().unwrap();
        assert_eq!(row.len() as u64, C);
        for (c, v) in row.iter().enumerate() {
            let i = (r as u64 % 128) * C + c as u64;
            assert_eq!(v.as_f64(), Some((i % 1013) as f64 * 0.5), "[{r}, {c}]");
        }
    }
}
