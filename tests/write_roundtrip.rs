//! Both write profiles read back by our reader: property tests over random chunked datasets
//! (PyTables: v1 B-tree; 1.10: extensible array, fixed array, v1 B-tree fallback) with
//! slices, appends and attributes; random trees of groups and datasets of random types and
//! layouts with attributes (1.10); a storage that fails at every operation index; reopening.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;

mod common;
use common::{write_opts, PROFILES};

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
    /// 0: dim 0 unlimited (extensible array); 1: none (fixed array); 2: last dim
    /// unlimited (extensible array, unlimited dimension not first); 3: all unlimited
    /// (v1 B-tree fallback). Index names are the 1.10 profile's; PyTables uses a v1 B-tree
    /// for all and is drawn with 0 only.
    unlimited: u8,
    deflate: bool,
    shuffle: bool,
    fletcher: bool,
    slices: Vec<Vec<(u64, u64)>>,
    appends: Vec<u64>,
    flush_every: usize,
}

/// Cases for `profile`: the PyTables profile with dimension 0 unlimited and up to 19 rows
/// per append, the 1.10 profile with every unlimited pattern and up to 39 rows.
fn case(profile: Profile) -> impl Strategy<Value = Case> {
    let (unlimited, rows) = match profile {
        Profile::PyTables => (0u8..1, 0u64..20),
        Profile::Hdf5V110 => (0u8..4, 0u64..40),
    };
    (1usize..=3)
        .prop_flat_map(move |rank| {
            (
                proptest::collection::vec(1u64..9, rank),
                proptest::collection::vec(1u64..5, rank),
                unlimited.clone(),
                any::<(bool, bool, bool)>(),
                proptest::collection::vec(
                    proptest::collection::vec((0u64..9, 0u64..9), rank),
                    0..4,
                ),
                proptest::collection::vec(rows.clone(), 0..6),
                1usize..4,
            )
        })
        .prop_map(
            |(shape, chunks, unlimited, (deflate, shuffle, fletcher), slices, appends, fe)| Case {
                shape,
                chunks,
                unlimited,
                deflate,
                shuffle,
                fletcher,
                slices,
                appends,
                flush_every: fe,
            },
        )
}

/// One chunked case under `profile`, checked against a dense model (dimension 0 grows).
/// With `flush_slices`, every slice write is followed by a flush when `flush_every` is 1.
fn chunked_round_trip(profile: Profile, c: Case, flush_slices: bool) -> Result<(), TestCaseError> {
    let st = MemWriteStorage::new();
    let mut w = Writer::with_storage(Box::new(st.clone()), write_opts(profile)).unwrap();
    let rank = c.shape.len();
    let mut b = DatasetBuilder::new(Dtype::F64)
        .shape(&c.shape)
        .chunks(&c.chunks);
    let mut max: Vec<Option<u64>> = c.shape.iter().map(|x| Some(*x)).collect();
    match c.unlimited {
        0 => max[0] = None,
        1 => {}
        2 => max[rank - 1] = None,
        _ => max.iter_mut().for_each(|m| *m = None),
    }
    b = b.max_shape(&max);
    if c.deflate {
        b = b.deflate(3);
    }
    if c.shuffle {
        b = b.shuffle();
    }
    if c.fletcher {
        b = b.fletcher32();
    }
    w.create_group("/g").unwrap();
    let ds = w.create_dataset("/g/d", b).unwrap();
    let mut shape = c.shape.clone();
    let row: u64 = shape[1..].iter().product();
    let mut model = vec![0f64; (shape.iter().product::<u64>()) as usize];
    let mut counter = 1.0;
    for s in &c.slices {
        let sel: Vec<_> = s
            .iter()
            .zip(&shape)
            .map(|((a, b), d)| {
                let lo = (*a).min(*b).min(*d);
                let hi = (*a).max(*b).min(*d);
                lo..hi
            })
            .collect();
        let n: u64 = sel.iter().map(|r| r.end - r.start).product();
        let vals: Vec<f64> = (0..n).map(|i| counter + i as f64).collect();
        counter += n as f64;
        w.write_slice(&ds, &sel, &vals).unwrap();
        // Apply to the model.
        let mut k = 0;
        let mut idx: Vec<u64> = sel.iter().map(|r| r.start).collect();
        if n > 0 {
            loop {
                let mut lin = 0u64;
                for d in 0..rank {
                    lin = lin * shape[d] + idx[d];
                }
                model[lin as usize] = vals[k];
                k += 1;
                let mut d = rank;
                let mut done = true;
                while d > 0 {
                    d -= 1;
                    idx[d] += 1;
                    if idx[d] < sel[d].end {
                        done = false;
                        break;
                    }
                    idx[d] = sel[d].start;
                }
                if done {
                    break;
                }
            }
        }
        if flush_slices && c.flush_every == 1 {
            w.flush().unwrap();
        }
    }
    if max[0].is_none() {
        for (i, a) in c.appends.iter().enumerate() {
            let vals: Vec<f64> = (0..a * row).map(|i| counter + i as f64).collect();
            counter += vals.len() as f64;
            w.append(&ds, &vals).unwrap();
            model.extend_from_slice(&vals);
            shape[0] += a;
            if i % c.flush_every == 0 {
                w.flush().unwrap();
            }
        }
    }
    w.set_attr("/g/d", "n", AttrValue::I64(7)).unwrap();
    w.close().unwrap();
    let f = File::from_bytes(st.bytes()).unwrap();
    let superblock = match profile {
        Profile::PyTables => 0,
        Profile::Hdf5V110 => 3,
    };
    prop_assert_eq!(f.superblock().version, superblock);
    let (s, v) = read_f64(&f, "/g/d");
    prop_assert_eq!(s, shape);
    prop_assert_eq!(v, model);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn chunked_round_trip_pytables(c in case(Profile::PyTables)) {
        chunked_round_trip(Profile::PyTables, c, false)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn chunked_round_trip_v110(c in case(Profile::Hdf5V110)) {
        chunked_round_trip(Profile::Hdf5V110, c, true)?;
    }
}

/// A dataset of the random tree: path, type, shape, layout, raw bytes, attributes.
#[derive(Debug, Clone)]
struct DsSpec {
    dtype: u8,
    shape: Vec<u64>,
    layout: u8,
    seed: u8,
    nattrs: u8,
}

fn dtype_of(k: u8) -> (Dtype, usize) {
    match k % 10 {
        0 => (Dtype::I8, 1),
        1 => (Dtype::I16, 2),
        2 => (Dtype::I32, 4),
        3 => (Dtype::I64, 8),
        4 => (Dtype::U8, 1),
        5 => (Dtype::U16, 2),
        6 => (Dtype::U32, 4),
        7 => (Dtype::U64, 8),
        8 => (Dtype::F32, 4),
        _ => (Dtype::F64, 8),
    }
}

fn ds_spec() -> impl Strategy<Value = DsSpec> {
    (
        any::<u8>(),
        proptest::collection::vec(1u64..7, 1..=3),
        0u8..5,
        any::<u8>(),
        0u8..14,
    )
        .prop_map(|(dtype, shape, layout, seed, nattrs)| DsSpec {
            dtype,
            shape,
            layout,
            seed,
            nattrs,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Random trees: groups nested at random parents (up to 30 members per group, past
    /// HDF5's default compact-link limit of 8), datasets of random types and layouts
    /// (contiguous, compact, fixed array, extensible array with appends), up to 13
    /// attributes per object (past the default compact-attribute limit of 8).
    #[test]
    fn random_tree_round_trip_v110(
        parents in proptest::collection::vec(any::<u16>(), 1..40),
        specs in proptest::collection::vec(ds_spec(), 1..30),
    ) {
        let st = MemWriteStorage::new();
        let mut w = Writer::with_storage(Box::new(st.clone()), write_opts(Profile::Hdf5V110)).unwrap();
        let mut groups = vec!["/".to_string()];
        for (i, p) in parents.iter().enumerate() {
            let parent = groups[*p as usize % groups.len()].clone();
            let path = format!("{}/grp{i}", parent.trim_end_matches('/'));
            w.create_group(&path).unwrap();
            w.set_attr(&path, "i", AttrValue::I64(i as i64)).unwrap();
            groups.push(path);
        }
        let mut expect = Vec::new();
        for (i, s) in specs.iter().enumerate() {
            let parent = &groups[(s.seed as usize * 7 + i) % groups.len()];
            let path = format!("{}/ds{i}", parent.trim_end_matches('/'));
            let (dt, esz) = dtype_of(s.dtype);
            let n: u64 = s.shape.iter().product();
            let bytes: Vec<u8> = (0..n as usize * esz).map(|k| (k as u8).wrapping_mul(31).wrapping_add(s.seed)).collect();
            let chunks: Vec<u64> = s.shape.iter().map(|d| d.div_ceil(2)).collect();
            let mut b = DatasetBuilder::new(dt).shape(&s.shape);
            b = match s.layout {
                0 => b,
                1 => b.compact(),
                2 => b.chunks(&chunks),
                3 => b.chunks(&chunks).deflate(4).shuffle(),
                _ => {
                    let mut m: Vec<Option<u64>> = s.shape.iter().map(|x| Some(*x)).collect();
                    m[0] = None;
                    b.chunks(&chunks).max_shape(&m)
                }
            };
            let d = w.create_dataset(&path, b).unwrap();
            let sel: Vec<_> = s.shape.iter().map(|x| 0..*x).collect();
            w.write_slice_raw(&d, &sel, &bytes).unwrap();
            let mut shape = s.shape.clone();
            let mut all = bytes.clone();
            if s.layout == 4 {
                // Append the same rows again, with a flush in between.
                w.flush().unwrap();
                w.append_raw(&d, &bytes).unwrap();
                shape[0] *= 2;
                all.extend_from_slice(&bytes);
            }
            let attrs: Vec<(String, AttrValue)> = (0..s.nattrs)
                .map(|k| (format!("a{k}"), AttrValue::F64s(vec![k as f64; k as usize + 1])))
                .collect();
            let refs: Vec<(&str, AttrValue)> = attrs.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
            w.set_attrs(&path, &refs).unwrap();
            expect.push((path, shape, all, s.nattrs));
        }
        w.close().unwrap();
        let f = File::from_bytes(st.bytes()).unwrap();
        for (i, g) in groups.iter().enumerate().skip(1) {
            let Node::Group(grp) = f.get(g).unwrap() else { panic!("{g} not a group") };
            let a = grp.object().attribute("i").unwrap().unwrap();
            prop_assert_eq!(a.raw(), &((i - 1) as i64).to_le_bytes()[..]);
        }
        for (path, shape, all, nattrs) in expect {
            let Node::Dataset(d) = f.get(&path).unwrap() else { panic!("{path} not a dataset") };
            prop_assert_eq!(d.shape(), &shape[..]);
            prop_assert_eq!(d.read_raw().unwrap(), all);
            let names: Vec<String> = d.object().attributes().unwrap().into_iter().map(|a| a.name).collect();
            prop_assert_eq!(names.len(), nattrs as usize, "{}", path);
        }
    }
}

#[cfg(feature = "testing")] // FaultyStorage
#[test]
fn storage_faults_leave_last_committed_state() {
    for profile in PROFILES {
        storage_faults(profile);
    }
}

/// Fail the k-th storage operation for every k until a run completes: what was committed
/// before the fault reads back.
#[cfg(feature = "testing")]
#[allow(clippy::single_range_in_vec_init)] // a one-dimensional hyperslab
fn storage_faults(profile: Profile) {
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
        let fa = w.create_dataset(
            "/a/fa",
            DatasetBuilder::new(Dtype::F64).shape(&[6]).chunks(&[2]),
        )?;
        for i in 0..10 {
            w.append(&d, &[i as f64, i as f64])?;
            w.write_slice(&fa, &[(i % 6)..(i % 6 + 1)], &[(i % 6) as f64])?;
            w.flush()?;
        }
        for i in 0..12 {
            w.set_attr("/a", &format!("x{i}"), AttrValue::Str("y".repeat(40)))?;
        }
        w.flush()
    };
    for k in 0..600u64 {
        let mem = MemWriteStorage::new();
        let st = FaultyStorage::new(mem.clone(), k);
        let created = Writer::with_storage(Box::new(st), write_opts(profile));
        let Ok(mut w) = created else { continue };
        let r = run(&mut w);
        drop(w);
        let bytes = mem.bytes();
        let f =
            File::from_bytes(bytes).unwrap_or_else(|e| panic!("{profile:?}: fault at op {k}: {e}"));
        if let Ok(Node::Dataset(d)) = f.get("/a/d") {
            let v = d.read::<f64>().unwrap();
            for (i, x) in v.iter().enumerate() {
                assert_eq!(*x, (i / 2) as f64, "fault at {k}");
            }
        }
        if let Ok(Node::Dataset(d)) = f.get("/a/fa") {
            let v = d.read::<f64>().unwrap();
            for (i, x) in v.iter().enumerate() {
                assert!(*x == 0.0 || *x == i as f64, "fault at {k}: {v:?}");
            }
        }
        if let Ok(Node::Group(g)) = f.get("/a") {
            for a in g.object().attributes().unwrap() {
                if !a.name.starts_with('x') {
                    continue;
                }
                assert_eq!(a.raw(), "y".repeat(40).as_bytes(), "fault at {k}");
            }
        }
        if r.is_ok() {
            return;
        }
    }
    panic!("{profile:?}: run never completed");
}

/// Our own files of either profile reopen for more groups (issue 18): both sessions' groups
/// are there.
#[test]
fn writer_open_continues_own_files() {
    for profile in PROFILES {
        writer_open_continues(profile);
    }
}

fn writer_open_continues(profile: Profile) {
    let st = MemWriteStorage::new();
    let mut w = Writer::with_storage(Box::new(st.clone()), write_opts(profile)).unwrap();
    w.create_group("/g").unwrap();
    w.close().unwrap();
    let mut w = Writer::open_with_storage(Box::new(st.clone()), WriteOptions::default()).unwrap();
    w.create_group("/h").unwrap();
    w.close().unwrap();
    let f = File::from_bytes(st.bytes()).unwrap();
    assert!(matches!(f.get("/g"), Ok(Node::Group(_))));
    assert!(matches!(f.get("/h"), Ok(Node::Group(_))));
}
