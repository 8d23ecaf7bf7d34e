//! Space reuse: `record --compress 1` flushed every 100 lines and every line (noisy lines,
//! 2 channels + time axis), fed unpaced through a pipe, against the same data written by
//! h5py side by side (same groups, attributes, chunks and filters): the contract
//! is h5py + 5 %. Without the close-time packing the files were +6 % and +14 % (freed
//! space ripens 200 ms after its commit, so an unpaced recording reuses little of it
//! while running).

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn lines(n: usize) -> String {
    let mut s = 0x1234_5678_u64;
    let mut noise = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % 20_000) as f64 / 1e6
    };
    (0..n)
        .map(|_| format!("{:.4},{:.3}\n", 20.0 + noise(), 1000.0 + 100.0 * noise()))
        .collect()
}

#[test]
fn compressed_recordings_flushed_often_stay_within_5_percent_of_h5py() {
    let Some(py) = common::python() else {
        eprintln!("no Python: skipped");
        return;
    };
    let dir = common::temp_dir("size-reuse");
    // Every line: 40,000 lines (5 chunks of 8192 rows per dataset) keep it to seconds.
    for (every, n) in [("100", 300_000), ("1", 40_000)] {
        let out = dir.join(format!("r{every}.h5"));
        let mut c = Command::new(env!("CARGO_BIN_EXE_pymodaq-h5"))
            .arg("record")
            .arg(&out)
            .args(["--names", "a,b", "--compress", "1", "--quiet"])
            .args(["--flush-every", every])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let text = lines(n);
        let input = dir.join(format!("in{every}.txt"));
        std::fs::write(&input, &text).unwrap();
        let mut stdin = c.stdin.take().unwrap();
        stdin.write_all(text.as_bytes()).unwrap();
        drop(stdin);
        assert!(c.wait().unwrap().success());
        let h = dir.join(format!("h{every}.h5"));
        at_most_5_percent_over_h5py(&py, &out, &h, &[], &format!("flush every {every}"));
        // The packed file holds the rows fed, value by value, in h5py.
        let o = Command::new(&py)
            .arg("-c")
            .arg(
                "import h5py,sys,numpy as np\n\
                 a=h5py.File(sys.argv[1]);x=np.loadtxt(sys.argv[2],delimiter=',')\n\
                 g='RawData/Datalogger000/Detector000/'\n\
                 for i in (0,1):\n\
                 \x20   d=a[g+'Data0D/CH0%d/EnlData00'%i][()]\n\
                 \x20   assert np.array_equal(d[:,0],x[:,i]),i\n\
                 assert a[g+'NavAxes/Axis00'].shape[0]==len(x)\n",
            )
            .arg(&out)
            .arg(&input)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

/// The 1.10 profile (extensible-array indexes, v2 headers), written through the engine as
/// `record` writes (2 channels + time axis, shuffle + deflate 1, chunks of 8192 rows),
/// flushed every 100 rows and every row, against the same data written by h5py with
/// `libver='latest'` (the same structures): h5py + 5 %.
#[test]
fn v110_compressed_recordings_flushed_often_stay_within_5_percent_of_h5py_latest() {
    use pymodaq_h5::hdf5::write::{DatasetBuilder, Dtype, Profile, WriteOptions, Writer};
    let Some(py) = common::python() else {
        eprintln!("no Python: skipped");
        return;
    };
    let dir = common::temp_dir("size-reuse-v110");
    for (every, n) in [(100usize, 300_000usize), (1, 40_000)] {
        let out = dir.join(format!("v{every}.h5"));
        let text = lines(n);
        let rows: Vec<[f64; 2]> = text
            .lines()
            .map(|l| {
                let (a, b) = l.split_once(',').unwrap();
                [a.parse().unwrap(), b.parse().unwrap()]
            })
            .collect();
        let opts = WriteOptions {
            profile: Profile::Hdf5V110,
            ..WriteOptions::default()
        };
        let mut w = Writer::create(&out, opts).unwrap();
        w.create_group("/RawData").unwrap();
        let mut ids = Vec::new();
        for p in ["/RawData/CH00", "/RawData/CH01", "/RawData/Axis00"] {
            let b = DatasetBuilder::new(Dtype::F64)
                .shape(&[0])
                .max_shape(&[None])
                .chunks(&[8192])
                .shuffle()
                .deflate(1);
            ids.push(w.create_dataset(p, b).unwrap());
        }
        for (i, r) in rows.iter().enumerate() {
            w.append(&ids[0], &[r[0]]).unwrap();
            w.append(&ids[1], &[r[1]]).unwrap();
            w.append(&ids[2], &[1.7e9 + i as f64 * 0.01]).unwrap();
            if (i + 1) % every == 0 {
                w.flush().unwrap();
            }
        }
        w.close().unwrap();
        let h = dir.join(format!("hv{every}.h5"));
        let what = format!("1.10 profile, flush every {every}");
        at_most_5_percent_over_h5py(&py, &out, &h, &["latest"], &what);
        let o = Command::new(&py)
            .arg("-c")
            .arg(
                "import h5py,sys,numpy as np\n\
                 a=h5py.File(sys.argv[1]);x=np.loadtxt(sys.argv[2],delimiter=',')\n\
                 for i in (0,1):\n\
                 \x20   assert np.array_equal(a['RawData/CH0%d'%i][()],x[:,i]),i\n\
                 assert a['RawData/Axis00'].shape[0]==len(x)\n",
            )
            .arg(&out)
            .arg({
                let input = dir.join(format!("vin{every}.txt"));
                std::fs::write(&input, &text).unwrap();
                input
            })
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

/// h5py writes `out`'s objects again into `h` (`tests/py/h5py_same.py`, `extra` its options:
/// `latest` for the newest format); `out` is at most 5 % larger than `h`.
fn at_most_5_percent_over_h5py(py: &Path, out: &Path, h: &Path, extra: &[&str], what: &str) {
    let o = Command::new(py)
        .arg(common::root().join("tests/py/h5py_same.py"))
        .arg(out)
        .arg(h)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ours = std::fs::metadata(out).unwrap().len() as f64;
    let theirs = std::fs::metadata(h).unwrap().len() as f64;
    println!(
        "{what}: ours {ours} bytes, h5py {theirs} bytes ({:+.1} %)",
        (ours / theirs - 1.0) * 100.0
    );
    assert!(ours <= theirs * 1.05, "{what}: {ours} bytes, h5py {theirs}");
}
