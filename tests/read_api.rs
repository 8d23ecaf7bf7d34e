//! The public read API on every fixture: random hyperslabs equal the matching slice of the
//! full read (all layouts and chunk indexes), typed reads agree with raw reads, and `walk`
//! visits every object once.

mod common;

use common::Rng;

use pymodaq_h5::hdf5::message::dataspace::DataspaceKind;
use pymodaq_h5::hdf5::read::{File, Node};

/// The slice `sel` of a C-order array of shape `dims` with `elem`-byte elements.
fn slice_of(full: &[u8], dims: &[u64], sel: &[std::ops::Range<u64>], elem: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let n: u64 = sel.iter().map(|r| r.end - r.start).product();
    for flat in 0..n {
        // Coordinates of the flat-th selected element.
        let mut rem = flat;
        let mut off = 0u64;
        let mut stride = 1u64;
        let mut coords = vec![0u64; dims.len()];
        for d in (0..dims.len()).rev() {
            let c = sel[d].end - sel[d].start;
            coords[d] = sel[d].start + rem % c;
            rem /= c;
        }
        for d in (0..dims.len()).rev() {
            off += coords[d] * stride;
            stride *= dims[d];
        }
        let s = off as usize * elem;
        out.extend_from_slice(&full[s..s + elem]);
    }
    out
}

#[test]
fn hyperslabs_equal_slices_of_full_reads() {
    let mut rng = Rng(0x1234_5678);
    let mut checked = 0;
    for path in common::fixture_files() {
        if !common::has_dump_golden(&path) {
            continue;
        }
        let file = File::open(&path).unwrap();
        let mut datasets = Vec::new();
        file.walk(|_, n| {
            if let Ok(Node::Dataset(d)) = n {
                datasets.push(d.clone());
            }
            Ok(())
        })
        .unwrap();
        for d in datasets {
            if d.dataspace.kind != DataspaceKind::Simple || d.is_empty() {
                continue;
            }
            let Ok(full) = d.read_raw() else { continue }; // unsupported filters
            let dims = d.shape().to_vec();
            let elem = d.datatype.size() as usize;
            for _ in 0..6 {
                let sel: Vec<_> = dims
                    .iter()
                    .map(|&n| {
                        let a = rng.below(n);
                        let b = a + 1 + rng.below(n - a);
                        a..b
                    })
                    .collect();
                let part = d.read_raw_selection(&sel).unwrap();
                assert_eq!(
                    part,
                    slice_of(&full, &dims, &sel, elem),
                    "{}:{} selection {sel:?}",
                    path.display(),
                    d.path()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "only {checked} selections checked");
    eprintln!("{checked} hyperslab selections equal slices of full reads");
}

#[test]
fn typed_reads_and_walk() {
    let file = File::open(common::root().join("fixtures/hdf5/pt_carray_zoo.h5")).unwrap();
    let mut paths = Vec::new();
    file.walk(|p, n| {
        n.unwrap();
        paths.push(p.to_string());
        Ok(())
    })
    .unwrap();
    assert_eq!(paths[0], "/");
    assert!(paths.contains(&"/Raw_datas/Scan000/carray_zlib5_shuffle".to_string()));
    let mut sorted = paths.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), paths.len(), "walk visits each object once");

    let Node::Dataset(d) = file.get("/Raw_datas/Scan000/carray_zlib5_shuffle").unwrap() else {
        panic!()
    };
    let all: Vec<f64> = d.read().unwrap();
    assert_eq!(all.len(), 30 * 40);
    let row: Vec<f64> = d.read_slice(&[3..4, 0..40]).unwrap();
    assert_eq!(row, all[120..160].to_vec());
    let as_i64: Vec<i64> = d.read().unwrap();
    assert_eq!(as_i64.len(), all.len());
    // Reading a string dataset as numbers is a usage error, not a panic.
    let Node::Dataset(s) = file.get("/Raw_datas/Scan000/array_strings").unwrap() else {
        panic!()
    };
    assert!(matches!(s.read::<f64>(), Err(pymodaq_h5::Error::Usage(_))));
    // A selection outside the dataspace is a usage error.
    assert!(matches!(
        d.read_raw_selection(&[0..31, 0..40]),
        Err(pymodaq_h5::Error::Usage(_))
    ));
    #[cfg(feature = "ndarray")]
    {
        let a = d.read_ndarray::<f64>().unwrap();
        assert_eq!(a.shape(), &[30, 40]);
        assert_eq!(a[[3, 5]], all[125]);
    }
}
