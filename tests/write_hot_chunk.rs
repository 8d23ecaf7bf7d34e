//! Point writes keep the chunk they fill in memory between calls: mixed with appends, other
//! chunks, flushes and filters, every value read back is the last one written, and a flush
//! makes the points written so far visible to a reader.

mod common;

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::{DatasetBuilder, Dtype, WriteOptions, Writer};

fn read(path: &std::path::Path, ds: &str) -> Vec<f64> {
    let f = File::open(path).unwrap();
    let Node::Dataset(d) = f.get(ds).unwrap() else {
        panic!()
    };
    d.read().unwrap()
}

#[test]
fn point_writes_mixed_with_appends_flushes_and_filters() {
    let dir = common::temp_dir("hot-chunk");
    for filtered in [false, true] {
        let path = dir.join(format!("h{filtered}.h5"));
        let mut w = Writer::create(&path, WriteOptions::default()).unwrap();
        let mut b = DatasetBuilder::new(Dtype::F64)
            .shape(&[0, 4])
            .max_shape(&[None, Some(4)])
            .chunks(&[3, 4])
            .fill_value(&f64::NAN.to_le_bytes());
        if filtered {
            b = b.shuffle().deflate(3).fletcher32();
        }
        let ds = w.create_dataset("/d", b).unwrap();
        let mut model: Vec<[f64; 4]> = Vec::new();
        let mut seed = 7u64;
        let mut rnd = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed >> 33
        };
        for step in 0..400 {
            match rnd() % 5 {
                0 | 1 => {
                    let row = [step as f64, 1.0, 2.0, 3.0];
                    w.append(&ds, &row).unwrap();
                    model.push(row);
                }
                2 | 3 if !model.is_empty() => {
                    let r = (rnd() as usize) % model.len();
                    let c = (rnd() as usize) % 4;
                    let v = -(step as f64);
                    w.write_slice(&ds, &[r as u64..r as u64 + 1, c as u64..c as u64 + 1], &[v])
                        .unwrap();
                    model[r][c] = v;
                }
                _ => {
                    w.flush().unwrap();
                    let got = read(&path, "/d");
                    let want: Vec<f64> = model.iter().flatten().copied().collect();
                    assert_eq!(
                        got, want,
                        "after flush at step {step} (filtered {filtered})"
                    );
                }
            }
        }
        w.close().unwrap();
        let want: Vec<f64> = model.iter().flatten().copied().collect();
        assert_eq!(read(&path, "/d"), want);
    }
}
