//! What both peer drivers share: the workloads' sizes, the payload files, the one-line JSON
//! report `{"seconds", "bytes", "rss_kib"}` the benchmark harness (benches/harness) parses.

#![allow(dead_code)]

pub const NS: usize = 2048;
pub const FRAME: usize = 512 * 512;

/// Frames, scan points per axis, logged values (`BENCH_QUICK` shrinks them, as the harness does).
pub fn sizes() -> (usize, usize, usize, usize) {
    if std::env::var_os("BENCH_QUICK").is_some() {
        (100, 20, 20, 10_000)
    } else {
        (1000, 100, 100, 100_000)
    }
}

/// The 16 camera frames (u16) and 16 spectra (f64) of `bench/make_inputs.py`.
pub fn payload(dir: &str) -> (Vec<u16>, Vec<f64>) {
    let f = std::fs::read(format!("{dir}/frames.bin")).expect("frames.bin");
    let s = std::fs::read(format!("{dir}/spectra.bin")).expect("spectra.bin");
    (
        f.chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect(),
        s.chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect(),
    )
}

/// Peak resident set size of this process, KiB.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

pub fn report(seconds: f64, bytes: u64) {
    println!(
        "{{\"seconds\": {seconds}, \"bytes\": {bytes}, \"rss_kib\": {}}}",
        peak_rss_kib()
    );
}

#[allow(non_snake_case)]
/// Bytes each write workload produces (the same figures the harness divides by).
pub fn workload_bytes(wl: &str) -> u64 {
    let (NF, NX, NY, NL) = sizes();
    match wl {
        "w1raw" | "w1defl" => (NF * FRAME * 2) as u64,
        "w2" => (NX * NY * NS * 8) as u64,
        "w3" => (NL * 16) as u64,
        _ => 0,
    }
}

/// fsync a finished file (for drivers whose close has no durable variant).
pub fn fsync_path(path: &str) {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .expect("fsync");
}
