//! Memory bound of the streaming commands: exporting (CSV, npy) and checking a dataset larger
//! than 1 GB stays under 64 MiB of peak RSS (VmHWM), and the CSV holds every value.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

use pymodaq_h5::hdf5::write::{DatasetBuilder, Dtype, WriteOptions, Writer};

const ROWS: u64 = 4400;
const COLS: u64 = 32000; // 4400 x 32000 float64 = 1.126 GB

/// Peak RSS in KiB of a child, sampled from /proc until it exits (VmHWM only grows), and the
/// bytes it wrote to standard output (counted, not kept) and its exit code.
fn run_measured(args: &[&str]) -> (u64, u64, Option<i32>, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pymodaq-h5"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut out = child.stdout.take().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let sampler = std::thread::spawn(move || {
        let mut peak = 0u64;
        while !s2.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(t) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                if let Some(kb) = t
                    .lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse::<u64>().ok())
                {
                    peak = peak.max(kb);
                }
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
                    .chunks(&[64, COLS]),
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
    assert!(std::fs::metadata(&path).unwrap().len() > 1 << 30);
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

    let (peak, _, code, _) = run_measured(&["check", &p]);
    assert_eq!(code, Some(0));
    eprintln!("check: peak RSS {} MiB", peak / 1024);
    assert!(peak > 0 && peak < LIMIT_KIB, "check peak RSS {peak} KiB");
}
