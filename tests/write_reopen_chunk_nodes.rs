//! Appending to a chunked dataset of a reopened file rewrites only the chunk B-tree nodes
//! the new chunks change (issue 18): PyTables' EArray of 75 chunks (a root over two leaves)
//! gets one chunk per open, six opens. The nodes below the root as found seed the index's
//! node cache: identical ones are kept, the others freed by the commit that supersedes
//! them. Each open after the first grows the file by at most the new chunk, one leaf (the
//! last, changed) and the root (a dataset committed through a slot gets a new root at each
//! commit); before, by every leaf. h5py reads every row after every open.

mod common;

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;

const PATH: &str = "/Raw_datas/Scan000/earray_1d_uint16";
/// A chunk B-tree node of a rank-1 dataset, K = 32: 24 + 65 keys of 24 bytes + 64 children.
const NODE: u64 = 24 + 65 * 24 + 64 * 8;

#[test]
fn appends_to_reopened_chunk_btree_rewrite_the_changed_nodes() {
    let dir = common::temp_dir("chunk-nodes");
    let h5 = dir.join("pt_carray_zoo.h5");
    std::fs::copy(common::root().join("fixtures/hdf5/pt_carray_zoo.h5"), &h5).unwrap();
    let read = || {
        let f = File::open(&h5).unwrap();
        let Node::Dataset(d) = f.get(PATH).unwrap() else {
            panic!("{PATH}")
        };
        d.read::<u16>().unwrap()
    };
    let mut want = read();
    assert_eq!(want.len(), 300);
    let mut size = std::fs::metadata(&h5).unwrap().len();
    for k in 0..6u16 {
        let rows: Vec<u16> = (0..4).map(|i| 1000 + 4 * k + i).collect();
        {
            let mut w = Writer::open(&h5, WriteOptions::default()).unwrap();
            let d = w.open_dataset(PATH).unwrap();
            w.append(&d, &rows).unwrap();
            w.close().unwrap();
        }
        want.extend_from_slice(&rows);
        assert_eq!(read(), want, "open {k}");
        let now = std::fs::metadata(&h5).unwrap().len();
        let grown = now - size;
        size = now;
        eprintln!("open {k}: grew {grown}");
        if k > 0 {
            // The chunk (8 bytes), the last leaf and a new root.
            let bound = 8 + 2 * NODE;
            assert!(grown <= bound, "open {k}: grew {grown}, bound {bound}");
        }
        if let Some(py) = common::python() {
            let code = "import sys, h5py\nwith h5py.File(sys.argv[1], 'r') as f:\n    print(','.join(map(str, f[sys.argv[2]][()].tolist())))\n";
            let out = common::run_py_code(&py, code, [h5.as_os_str(), PATH.as_ref()]);
            let got: Vec<u16> = String::from_utf8_lossy(&out.stdout)
                .trim()
                .split(',')
                .map(|v| v.parse().unwrap())
                .collect();
            assert_eq!(got, want, "h5py, open {k}");
        }
    }
}
