//! End-to-end checks against h5py/PyTables files generated under /tmp/chunkt
//! (`gen.py` + `manifest.py`, not committed). Run with `cargo test -- --ignored e2e`.

use super::*;
use crate::hdf5::filter::decode_chunk;
use crate::hdf5::message::filter_pipeline::{FilterDescription, FilterPipeline};
use crate::storage::FileStorage;
use std::sync::Arc;

fn u(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap()
}

fn copy_chunk(
    out: &mut [u8],
    dims: &[u64],
    chunk: &[u8],
    origin: &[u64],
    cdims: &[u64],
    elem: usize,
) {
    let rank = dims.len();
    let total: u64 = cdims.iter().product();
    for lin in 0..total {
        let local = row_major_coords(lin, cdims);
        let mut inside = true;
        let mut dst = 0u64;
        for d in 0..rank {
            let g = origin[d] + local[d];
            if g >= dims[d] {
                inside = false;
                break;
            }
            dst = dst * dims[d] + g;
        }
        if inside {
            let s = lin as usize * elem;
            let t = dst as usize * elem;
            out[t..t + elem].copy_from_slice(&chunk[s..s + elem]);
        }
    }
}

/// Layout, pipeline and dims of a manifest entry.
fn entry(ent: &serde_json::Value) -> (ChunkedLayout, FilterPipeline, Vec<u64>, Vec<u64>) {
    let uv = |k: &str| {
        ent[k]
            .as_array()
            .unwrap()
            .iter()
            .map(u)
            .collect::<Vec<u64>>()
    };
    let indexing = match ent["index"].as_str().unwrap() {
        "v1-btree" => ChunkIndexing::BTreeV1,
        "single-chunk" => ChunkIndexing::SingleChunk {
            filtered: ent["filtered"]
                .as_array()
                .map(|a| (u(&a[0]), u(&a[1]) as u32)),
        },
        "implicit" => ChunkIndexing::Implicit,
        "fixed-array" => ChunkIndexing::FixedArray {
            page_bits: u(&ent["page_bits"]) as u8,
        },
        "extensible-array" => {
            let p = uv("ea_params");
            ChunkIndexing::ExtensibleArray {
                max_bits: p[0] as u8,
                index_elements: p[1] as u8,
                min_pointers: p[2] as u8,
                min_elements: p[3] as u8,
                page_bits: p[4] as u8,
            }
        }
        _ => {
            let p = uv("bt2");
            ChunkIndexing::BTreeV2 {
                node_size: p[0] as u32,
                split_percent: p[1] as u8,
                merge_percent: p[2] as u8,
            }
        }
    };
    let layout = ChunkedLayout {
        version: u(&ent["version"]) as u8,
        flags: u(&ent["flags"]) as u8,
        chunk_dims: uv("chunk_dims"),
        element_size: u(&ent["element_size"]),
        indexing,
        index_address: u(&ent["index_address"]),
    };
    let pipeline = FilterPipeline {
        version: 1,
        filters: ent["filters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| FilterDescription {
                id: u(&f["id"]) as u16,
                name: None,
                flags: 0,
                client_data: f["client_data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| u(v) as u32)
                    .collect(),
            })
            .collect(),
    };
    (layout, pipeline, uv("dims"), uv("max_dims"))
}

/// Flip random bytes of the real files and check every index walk and chunk decode
/// returns (Ok or Err) without panicking.
#[test]
#[ignore]
fn e2e_mutations() {
    use crate::storage::MemStorage;
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("/tmp/chunkt/manifest.json").unwrap())
            .unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut ok, mut err) = (0, 0);
    for ent in m.as_array().unwrap() {
        let (layout, pipeline, dims, max_dims) = entry(ent);
        let orig = std::fs::read(ent["file"].as_str().unwrap()).unwrap();
        let base = layout.index_address;
        if base == u64::MAX {
            continue;
        }
        for _ in 0..300 {
            let mut bytes = orig.clone();
            for _ in 0..1 + rnd() % 4 {
                // Mostly near the index structures, sometimes anywhere.
                let pos = if rnd() % 4 == 0 {
                    rnd() % bytes.len() as u64
                } else {
                    (base + rnd() % 4096).min(bytes.len() as u64 - 1)
                };
                bytes[pos as usize] ^= 1 << (rnd() % 8);
            }
            let io = FileIo::new(Arc::new(MemStorage::new(bytes)), Limits::default()).unwrap();
            let mut budget = Budget::new(&io.limits);
            let filtered = !pipeline.filters.is_empty();
            match chunk_infos(&io, &layout, &dims, &max_dims, filtered, &mut budget) {
                Ok(infos) => {
                    ok += 1;
                    let cb = Geometry::new(&layout, &dims, &max_dims, &io.limits)
                        .unwrap()
                        .chunk_bytes as usize;
                    for ci in infos.iter().take(50) {
                        if let Ok(raw) = io.read(ci.address, ci.size, "chunk") {
                            if filtered {
                                let _ = decode_chunk(
                                    &pipeline,
                                    ci.filter_mask,
                                    raw,
                                    cb,
                                    &io.limits,
                                    ci.address,
                                );
                            }
                        }
                    }
                }
                Err(_) => err += 1,
            }
        }
    }
    eprintln!("mutations: {ok} walks ok, {err} refused");
}

#[test]
#[ignore]
fn e2e_manifest() {
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("/tmp/chunkt/manifest.json").unwrap())
            .unwrap();
    let mut failures = Vec::new();
    for ent in m.as_array().unwrap() {
        let name = format!(
            "{}:{}",
            ent["file"].as_str().unwrap(),
            ent["name"].as_str().unwrap()
        );
        let (layout, pipeline, dims, max_dims) = entry(ent);
        let (chunk_dims, elem) = (layout.chunk_dims.clone(), layout.element_size);
        let filtered = !pipeline.filters.is_empty();
        let storage = Arc::new(FileStorage::open(ent["file"].as_str().unwrap()).unwrap());
        let io = FileIo::new(storage, Limits::default()).unwrap();
        let mut budget = Budget::new(&io.limits);
        let infos = match chunk_infos(&io, &layout, &dims, &max_dims, filtered, &mut budget) {
            Ok(i) => i,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let expected = match ent["bin"].as_str() {
            Some(b) => std::fs::read(b).unwrap(),
            // vlen data: only check that every chunk decodes.
            None => vec![0u8; (dims.iter().product::<u64>() * elem) as usize],
        };
        let mut out = vec![0u8; expected.len()];
        let cb = Geometry::new(&layout, &dims, &max_dims, &io.limits)
            .unwrap()
            .chunk_bytes as usize;
        let mut err = None;
        for ci in &infos {
            let raw = io.read(ci.address, ci.size, "chunk").unwrap();
            let data = if filtered {
                match decode_chunk(&pipeline, ci.filter_mask, raw, cb, &io.limits, ci.address) {
                    Ok(d) => d,
                    Err(e) => {
                        err = Some(format!("{name}: {e}"));
                        break;
                    }
                }
            } else {
                raw
            };
            copy_chunk(
                &mut out,
                &dims,
                &data,
                &ci.offset,
                &chunk_dims,
                elem as usize,
            );
        }
        if let Some(e) = err {
            failures.push(e);
            continue;
        }
        let masks: Vec<u32> = infos.iter().map(|c| c.filter_mask).collect();
        eprintln!("{name}: masks {:?}", &masks[..masks.len().min(4)]);
        let ok = ent["bin"].is_null() || out == expected;
        eprintln!(
            "{name}: {} chunks, {}",
            infos.len(),
            if ok { "OK" } else { "MISMATCH" }
        );
        if !ok {
            failures.push(format!("{name}: data mismatch"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
