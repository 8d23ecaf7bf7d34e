//! The benchmark workloads through rust-hdf5 (see `bench/peers/common.rs` and
//! `benches/workloads.rs`, which runs this binary once per repetition).
//!
//! Usage: peer-rust-hdf5 WORKLOAD FILE PAYLOAD_DIR flush|sync  |  peer-rust-hdf5 read FILE DS...
//! `flush` closes with `close_no_sync`, `sync` with `close` (fsync). rust-hdf5 writes its
//! superblock only at close: a process killed before then leaves no readable file.

#[path = "../../common.rs"]
mod common;

use common::*;
use rust_hdf5::H5File;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        ["read", file, names @ ..] => {
            let t = Instant::now();
            let f = H5File::open(file).expect("open");
            let mut bytes = 0u64;
            for n in names {
                let ds = f.dataset(n.trim_start_matches('/')).expect("dataset");
                bytes += ds.read_raw_bytes().expect("read").len() as u64;
            }
            report(t.elapsed().as_secs_f64(), bytes);
        }
        [wl, file, dir, dur] => {
            let (frames, spectra) = payload(dir);
            #[allow(non_snake_case)]
            let (NF, NX, NY, NL) = sizes();
            let t = Instant::now();
            let f = H5File::create(file).expect("create");
            match *wl {
                "w1raw" | "w1defl" => {
                    let mut b = f
                        .new_dataset::<u16>()
                        .shape([0usize, 512, 512])
                        .chunk(&[1, 512, 512])
                        .max_shape(&[None, Some(512), Some(512)]);
                    if *wl == "w1defl" {
                        b = b.shuffle_deflate(1);
                    }
                    let ds = b.create("frames").expect("dataset");
                    for i in 0..NF {
                        let k = (i % 16) * FRAME;
                        ds.append(&frames[k..k + FRAME]).expect("append");
                    }
                }
                "w2" => {
                    let ds = f
                        .new_dataset::<f64>()
                        .shape([NX, NY, NS])
                        .chunk(&[1, 1, NS])
                        .create("scan")
                        .expect("dataset");
                    for i in 0..NX {
                        for j in 0..NY {
                            let k = ((i * NY + j) % 16) * NS;
                            ds.write_slice(&[i, j, 0], &[1, 1, NS], &spectra[k..k + NS])
                                .expect("write");
                        }
                    }
                }
                "w3" => {
                    let mk = |name: &str| {
                        f.new_dataset::<f64>()
                            .shape([0usize])
                            .chunk(&[1024])
                            .max_shape(&[None])
                            .create(name)
                            .expect("dataset")
                    };
                    let v = mk("value");
                    let ts = mk("timestamp");
                    for i in 0..NL {
                        v.append(&[(i as f64 * 1e-3).sin()]).expect("append");
                        ts.append(&[1.7e9 + i as f64 * 0.01]).expect("append");
                        if (i + 1) % 1000 == 0 {
                            f.flush().expect("flush");
                        }
                    }
                }
                other => panic!("unknown workload {other}"),
            }
            match *dur {
                "sync" => f.close().expect("close"),
                _ => f.close_no_sync().expect("close"),
            }
            report(t.elapsed().as_secs_f64(), workload_bytes(wl));
        }
        _ => panic!("usage: WORKLOAD FILE PAYLOAD_DIR flush|sync | read FILE DS..."),
    }
}
