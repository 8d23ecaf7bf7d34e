//! Property tests: random datasets, chunkings, filters, slices, appends and attributes
//! written by us and read back by our reader; plus storage-fault injection.

use proptest::prelude::*;
use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;

fn opts() -> WriteOptions {
    WriteOptions::default()
}

fn read_f64(f: &File, p: &str) -> (Vec<u64>, Vec<f64>) {
    match f.get(p).unwrap() {
        Node::Dataset(d) => (d.shape().to_vec(), d.read::<f64>().unwrap()),
        _ => panic!("not a dataset"),
    }
}

#[derive(Debug, Clone)]
struct Case {
    shape: Vec<u64>,
    chunks: Vec<u64>,
    deflate: bool,
    shuffle: bool,
    fletcher: bool,
    slices: Vec<Vec<(u64, u64)>>,
    appends: Vec<u64>,
    flush_every: usize,
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..=3)
        .prop_flat_map(|rank| {
            (
                proptest::collection::vec(1u64..9, rank),
                proptest::collection::vec(1u64..5, rank),
                any::<(bool, bool, bool)>(),
                proptest::collection::vec(
                    proptest::collection::vec((0u64..9, 0u64..9), rank),
                    0..4,
                ),
                proptest::collection::vec(0u64..20, 0..6),
                1usize..4,
            )
        })
        .prop_map(
            |(shape, chunks, (deflate, shuffle, fletcher), slices, appends, flush_every)| Case {
                shape,
                chunks,
                deflate,
                shuffle,
                fletcher,
                slices,
                appends,
                flush_every,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn chunked_round_trip(c in case()) {
        let st = MemWriteStorage::new();
        let mut w = Writer::with_storage(Box::new(st.clone()), opts()).unwrap();
        let rank = c.shape.len();
        let mut b = DatasetBuilder::new(Dtype::F64)
            .shape(&c.shape)
            .chunks(&c.chunks);
        let mut max: Vec<Option<u64>> = c.shape.iter().map(|x| Some(*x)).collect();
        max[0] = None;
        b = b.max_shape(&max);
        if c.deflate { b = b.deflate(3); }
        if c.shuffle { b = b.shuffle(); }
        if c.fletcher { b = b.fletcher32(); }
        w.create_group("/g").unwrap();
        let ds = w.create_dataset("/g/d", b).unwrap();
        // Model: dense array, dim 0 grows.
        let mut shape = c.shape.clone();
        let row: u64 = shape[1..].iter().product();
        let mut model = vec![0f64; (shape.iter().product::<u64>()) as usize];
        let mut counter = 1.0;
        for s in &c.slices {
            let sel: Vec<_> = s.iter().zip(&shape).map(|((a, b), d)| {
                let lo = (*a).min(*b).min(*d); let hi = (*a).max(*b).min(*d); lo..hi
            }).collect();
            let n: u64 = sel.iter().map(|r| r.end - r.start).product();
            let vals: Vec<f64> = (0..n).map(|i| counter + i as f64).collect();
            counter += n as f64;
            w.write_slice(&ds, &sel, &vals).unwrap();
            // Apply to model.
            let mut k = 0;
            let mut idx: Vec<u64> = sel.iter().map(|r| r.start).collect();
            if n > 0 { loop {
                let mut lin = 0u64;
                for d in 0..rank { lin = lin * shape[d] + idx[d]; }
                model[lin as usize] = vals[k]; k += 1;
                let mut d = rank;
                let mut done = true;
                while d > 0 { d -= 1; idx[d] += 1; if idx[d] < sel[d].end { done = false; break; } idx[d] = sel[d].start; }
                if done { break; }
            } }
        }
        for (i, a) in c.appends.iter().enumerate() {
            let vals: Vec<f64> = (0..a * row).map(|i| counter + i as f64).collect();
            counter += vals.len() as f64;
            w.append(&ds, &vals).unwrap();
            model.extend_from_slice(&vals);
            shape[0] += a;
            if i % c.flush_every == 0 { w.flush().unwrap(); }
        }
        w.set_attr("/g/d", "n", AttrValue::I64(7)).unwrap();
        w.close().unwrap();
        let f = File::from_bytes(st.bytes()).unwrap();
        let (s, v) = read_f64(&f, "/g/d");
        prop_assert_eq!(s, shape);
        prop_assert_eq!(v, model);
    }
}

#[test]
fn storage_faults_leave_last_committed_state() {
    // Find how many mutating operations a full run takes, then fail at every point.
    let run = |w: &mut Writer| -> pymodaq_h5::Result<()> {
        w.create_group("/a")?;
        let d = w.create_dataset(
            "/a/d",
            DatasetBuilder::new(Dtype::F64)
                .shape(&[0, 2])
                .max_shape(&[None, Some(2)])
                .chunks(&[4, 2])
                .deflate(1),
        )?;
        for i in 0..10 {
            w.append(&d, &[i as f64, i as f64])?;
            w.flush()?;
        }
        w.set_attr("/a", "x", AttrValue::Str("y".into()))?;
        w.flush()
    };
    for k in 0..400u64 {
        let mem = MemWriteStorage::new();
        let st = FaultyStorage::new(mem.clone(), k);
        let created = Writer::with_storage(Box::new(st), opts());
        let Ok(mut w) = created else { continue };
        let r = run(&mut w);
        drop(w);
        let bytes = mem.bytes();
        let f = File::from_bytes(bytes).unwrap_or_else(|e| panic!("fault at op {k}: {e}"));
        if let Ok(Node::Dataset(d)) = f.get("/a/d") {
            let v = d.read::<f64>().unwrap();
            for (i, x) in v.iter().enumerate() {
                assert_eq!(*x, (i / 2) as f64, "fault at {k}");
            }
        }
        if r.is_ok() {
            return; // k beyond the last operation: everything succeeded
        }
    }
    panic!("run never completed");
}
