//! The bench's write workloads (W1 raw, W1 deflate, W2, W3) at a chosen size, for profiling
//! (`valgrind --tool=callgrind`) and quick timings without the Python side:
//! `cargo run --release --example write_workloads -- WORKLOAD OUT.h5 [SCALE]`
//! where WORKLOAD is w1raw, w1defl, w2 or w3 and SCALE (default 1.0) shrinks the loops.
//! Payloads are synthetic (a smooth image plus noise, sine spectra) unless BENCH_PAYLOADS
//! names the bench's input directory. `PROFILE=v110` writes the HDF5 1.10 profile.
use pymodaq_h5::hdf5::write::{
    DatasetBuilder, Dtype, Profile, PyTablesClass, WriteOptions, Writer,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let wl = args.get(1).ok_or("WORKLOAD")?.as_str();
    let out = args.get(2).ok_or("OUT")?;
    let scale: f64 = args.get(3).map_or(Ok(1.0), |s| s.parse())?;
    let n = |x: usize| ((x as f64 * scale) as usize).max(1);
    // A camera-like frame: smooth gradient plus pseudo-random low bits.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let frames: Vec<u8> = (0..16 * 512 * 512)
        .flat_map(|i: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let v = ((i % 512) * 4 + (i / 512 % 512) * 2) as u16 + (seed & 0x3f) as u16;
            v.to_le_bytes()
        })
        .collect();
    let mut spectra: Vec<u8> = (0..16 * 2048)
        .flat_map(|i: usize| ((i as f64 * 0.01).sin()).to_le_bytes())
        .collect();
    // The bench's own payloads when given (BENCH_PAYLOADS=target/bench-data): same file sizes.
    let mut frames = frames;
    if let Some(dir) = std::env::var_os("BENCH_PAYLOADS") {
        let dir = std::path::PathBuf::from(dir);
        frames = std::fs::read(dir.join("frames.bin"))?;
        spectra = std::fs::read(dir.join("spectra.bin"))?;
    }
    let t = std::time::Instant::now();
    let mut opts = WriteOptions::default();
    if std::env::var("PROFILE").as_deref() == Ok("v110") {
        opts.profile = Profile::Hdf5V110;
    }
    let mut w = Writer::create(out, opts)?;
    let frame_bytes = 512 * 512 * 2;
    match wl {
        "w1raw" | "w1defl" => {
            let mut b = DatasetBuilder::new(Dtype::U16)
                .shape(&[0, 512, 512])
                .max_shape(&[None, Some(512), Some(512)])
                .chunks(&[1, 512, 512])
                .pytables_class(PyTablesClass::EArray);
            if wl == "w1defl" {
                b = b.shuffle().deflate(1);
            }
            let ds = w.create_dataset("/frames", b)?;
            for i in 0..n(1000) {
                let k = (i % 16) * frame_bytes;
                w.append_raw(&ds, &frames[k..k + frame_bytes])?;
            }
        }
        "w2" => {
            let (nx, ny) = (n(100) as u64, 100u64);
            let b = DatasetBuilder::new(Dtype::F64)
                .shape(&[nx, ny, 2048])
                .chunks(&[1, 1, 2048])
                .pytables_class(PyTablesClass::CArray);
            let ds = w.create_dataset("/scan", b)?;
            for i in 0..nx {
                for j in 0..ny {
                    let k = ((i * ny + j) % 16) as usize * 2048 * 8;
                    w.write_slice_raw(
                        &ds,
                        &[i..i + 1, j..j + 1, 0..2048],
                        &spectra[k..k + 2048 * 8],
                    )?;
                }
            }
        }
        "w3" => {
            let mk = || {
                DatasetBuilder::new(Dtype::F64)
                    .shape(&[0])
                    .max_shape(&[None])
                    .chunks(&[1024])
                    .pytables_class(PyTablesClass::EArray)
            };
            let v = w.create_dataset("/value", mk())?;
            let ts = w.create_dataset("/timestamp", mk())?;
            for i in 0..n(100_000) {
                w.append(&v, &[(i as f64 * 1e-3).sin()])?;
                w.append(&ts, &[1.7e9 + i as f64 * 0.01])?;
                if (i + 1) % 1000 == 0 {
                    w.flush()?;
                }
            }
        }
        other => return Err(format!("unknown workload {other}").into()),
    }
    let before_close = t.elapsed().as_secs_f64();
    w.close()?;
    println!(
        "{wl}: {:.4} s ({before_close:.4} s before close), file {} bytes",
        t.elapsed().as_secs_f64(),
        std::fs::metadata(out)?.len()
    );
    Ok(())
}
