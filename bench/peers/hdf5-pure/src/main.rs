//! The benchmark workloads through hdf5-pure (see `bench/peers/common.rs` and
//! `benches/workloads.rs`, which runs this binary once per repetition).
//!
//! Usage: peer-hdf5-pure WORKLOAD FILE PAYLOAD_DIR flush|sync  |  peer-hdf5-pure read FILE DS...
//! hdf5-pure has no streaming rank>1 append nor hyperslab write: W1 and W2 build the whole
//! dataset in memory and write the file at once (`FileBuilder::write`, no fsync; `sync` adds
//! one). W3 appends in place (`open_rw` + `buffered_appender`, `SyncPolicy::OnClose`: its close
//! always fsyncs, so both durabilities run the same code).

#[path = "../../common.rs"]
mod common;

use common::*;
use hdf5_pure::{File, FileAccessProperties, FileBuilder, MaxExtent, SyncPolicy};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        ["read", file, names @ ..] => {
            let t = Instant::now();
            let f = File::open_streaming(file).expect("open");
            let mut bytes = 0u64;
            for n in names {
                let ds = f.dataset(n.trim_start_matches('/')).expect("dataset");
                bytes += ds.read_raw().expect("read").len() as u64;
            }
            report(t.elapsed().as_secs_f64(), bytes);
        }
        [wl, file, dir, dur] => {
            let (frames, spectra) = payload(dir);
            #[allow(non_snake_case)]
            let (NF, NX, NY, NL) = sizes();
            let t = Instant::now();
            match *wl {
                "w1raw" | "w1defl" => {
                    let mut all = Vec::with_capacity(NF * FRAME);
                    for i in 0..NF {
                        let k = (i % 16) * FRAME;
                        all.extend_from_slice(&frames[k..k + FRAME]);
                    }
                    let mut b = FileBuilder::new();
                    let d = b.create_dataset("frames");
                    d.with_u16_data(&all)
                        .with_shape(&[NF as u64, 512, 512])
                        .with_maxshape(&[
                            MaxExtent::Unlimited,
                            MaxExtent::Fixed(512),
                            MaxExtent::Fixed(512),
                        ])
                        .with_chunks(&[1, 512, 512]);
                    if *wl == "w1defl" {
                        d.with_shuffle().with_deflate(1);
                    }
                    b.write(file).expect("write");
                }
                "w2" => {
                    let mut all = Vec::with_capacity(NX * NY * NS);
                    for p in 0..NX * NY {
                        let k = (p % 16) * NS;
                        all.extend_from_slice(&spectra[k..k + NS]);
                    }
                    let mut b = FileBuilder::new();
                    b.create_dataset("scan")
                        .with_f64_data(&all)
                        .with_shape(&[NX as u64, NY as u64, NS as u64])
                        .with_chunks(&[1, 1, NS as u64]);
                    b.write(file).expect("write");
                }
                "w3" => {
                    let mut b = FileBuilder::new();
                    for name in ["value", "timestamp"] {
                        b.create_dataset(name)
                            .with_f64_data(&[])
                            .with_shape(&[0])
                            .with_maxshape(&[MaxExtent::Unlimited])
                            .with_chunks(&[1024]);
                    }
                    b.write(file).expect("write");
                    let props = FileAccessProperties::new().with_sync_policy(SyncPolicy::OnClose);
                    let s = File::open_rw_with_options(file, props).expect("open_rw");
                    let mut dv = s.dataset("value").expect("value");
                    let mut dt = s.dataset("timestamp").expect("timestamp");
                    {
                        let mut v = dv.buffered_appender().expect("appender");
                        let mut ts = dt.buffered_appender().expect("appender");
                        for i in 0..NL {
                            v.append(&[(i as f64 * 1e-3).sin()]).expect("append");
                            ts.append(&[1.7e9 + i as f64 * 0.01]).expect("append");
                            if (i + 1) % 1000 == 0 {
                                v.flush().expect("flush");
                                ts.flush().expect("flush");
                            }
                        }
                        v.finish().expect("finish");
                        ts.finish().expect("finish");
                    }
                    drop((dv, dt));
                    s.close().expect("close");
                }
                other => panic!("unknown workload {other}"),
            }
            if *dur == "sync" && *wl != "w3" {
                fsync_path(file);
            }
            report(t.elapsed().as_secs_f64(), workload_bytes(wl));
        }
        _ => panic!("usage: WORKLOAD FILE PAYLOAD_DIR flush|sync | read FILE DS..."),
    }
}
