//! The machine's limits, each measured in a child process like a workload (so it runs
//! interleaved with the workloads it bounds, under the same conditions):
//!
//! - `pcwrite FILE BYTES`: page-cache write, large sequential writes (8 MiB) of an already
//!   resident buffer into a fresh file, no fsync; the same size as the workload.
//! - `durwrite FILE BYTES`: the same, then `fdatasync` (what a durable close costs).
//! - `pcread FILE`: read a cached file into one fresh buffer of its size (8 MiB calls; an
//!   untimed pass first puts it in the page cache). A reader returning the data in memory
//!   must fault in that buffer too, so it is part of the limit.
//! - `deflate PAYLOAD_DIR THREADS`: shuffle + deflate level 1 of camera frames, chunk by
//!   chunk (one frame), with our filter code (zlib-rs, the engine and level W1 uses), on
//!   THREADS threads; MB/s of uncompressed data.
//! - `inflate SOURCE THREADS`: inflate 1 MiB float32 chunks compressed at level 4 (as the
//!   1 GiB gzip-4 file's) with our inflate (zlib-rs) on THREADS threads. SOURCE is that file
//!   (its data is re-compressed, untimed) or, in quick mode, the payload directory.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Instant;

use pymodaq_h5::hdf5::filter::{deflate, shuffle};
use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::limits::Limits;

/// Run one limit measurement; returns (seconds, bytes).
pub fn run(parts: &[&str]) -> (f64, u64) {
    match parts {
        ["pcwrite", file, bytes] => write(file, bytes.parse().expect("bytes"), false),
        ["durwrite", file, bytes] => write(file, bytes.parse().expect("bytes"), true),
        ["pcread", file] => read(file),
        ["deflate", dir, threads] => deflate_frames(dir, threads.parse().expect("threads")),
        ["inflate", src, threads] => inflate_chunks(src, threads.parse().expect("threads")),
        _ => panic!("unknown limit {parts:?}"),
    }
}

const BLOCK: usize = 8 << 20;

fn write(file: &str, bytes: u64, sync: bool) -> (f64, u64) {
    let _ = std::fs::remove_file(file);
    // A resident, non-zero buffer (the workloads write from theirs).
    let block: Vec<u8> = (0..BLOCK).map(|i| (i * 7 + i / 4096) as u8).collect();
    let t = Instant::now();
    let mut f = std::fs::File::create(file).expect("create");
    let mut left = bytes;
    while left > 0 {
        let n = left.min(BLOCK as u64) as usize;
        f.write_all(&block[..n]).expect("write");
        left -= n as u64;
    }
    if sync {
        f.sync_data().expect("fdatasync");
    }
    drop(f);
    (t.elapsed().as_secs_f64(), bytes)
}

fn read(file: &str) -> (f64, u64) {
    let len = std::fs::metadata(file).expect("stat").len() as usize;
    let mut f = std::fs::File::open(file).expect("open");
    let mut warm = vec![0u8; BLOCK];
    while f.read(&mut warm).expect("read") > 0 {}
    drop(warm);
    let t = Instant::now();
    let mut f = std::fs::File::open(file).expect("open");
    let mut buf = vec![0u8; len];
    let mut at = 0;
    while at < len {
        let end = (at + BLOCK).min(len);
        let n = f.read(&mut buf[at..end]).expect("read");
        if n == 0 {
            break;
        }
        at += n;
    }
    std::hint::black_box(&buf);
    (t.elapsed().as_secs_f64(), at as u64)
}

/// Run `f` over `items` on `threads` threads (round robin), returning the wall time.
fn parallel<T: Sync>(items: &[T], threads: usize, f: impl Fn(&T) -> usize + Sync) -> f64 {
    let t = Instant::now();
    std::thread::scope(|s| {
        for k in 0..threads.max(1) {
            let f = &f;
            s.spawn(move || {
                let mut sum = 0usize;
                for it in items.iter().skip(k).step_by(threads.max(1)) {
                    sum = sum.wrapping_add(f(it));
                }
                std::hint::black_box(sum);
            });
        }
    });
    t.elapsed().as_secs_f64()
}

/// 256 frames (128 MiB): enough for a stable rate, short enough to repeat.
const DEFLATE_FRAMES: usize = 256;

fn deflate_frames(dir: &str, threads: usize) -> (f64, u64) {
    let all = std::fs::read(Path::new(dir).join("frames.bin")).expect("frames.bin");
    let frame = 512 * 512 * 2;
    let frames: Vec<&[u8]> = (0..DEFLATE_FRAMES)
        .map(|i| &all[(i % 16) * frame..(i % 16 + 1) * frame])
        .collect();
    let secs = parallel(&frames, threads, |f| {
        deflate::deflate_filter(&shuffle::shuffle(f, 2), 1, true).len()
    });
    (secs, (DEFLATE_FRAMES * frame) as u64)
}

fn inflate_chunks(src: &str, threads: usize) -> (f64, u64) {
    const CHUNK: usize = 1 << 20;
    let raw: Vec<u8> = if src.ends_with(".h5") {
        let f = File::open(src).expect("open");
        let Ok(Node::Dataset(d)) = f.get("/data") else {
            panic!("{src}: no /data")
        };
        d.read_raw_selection(&[0..1024, 0..16384]).expect("read")
    } else {
        let all = std::fs::read(Path::new(src).join("frames.bin")).expect("frames.bin");
        all.iter().cycle().take(64 * CHUNK).copied().collect()
    };
    let comp: Vec<Vec<u8>> = raw.chunks(CHUNK).map(|c| deflate::deflate(c, 4)).collect();
    let limits = Limits::default();
    let secs = parallel(&comp, threads, |c| {
        deflate::inflate(c, CHUNK, &limits, 0)
            .expect("inflate")
            .len()
    });
    (secs, (comp.len() * CHUNK) as u64)
}
