//! Nothing before a refusal: every refusal of `record --append` and of `Writer::open` (and
//! of the data calls it refuses for datasets it cannot extend) leaves the file
//! byte-identical (SHA-256 before and after). A recording torn by an older version is
//! continued at the rows every channel and the time axis hold, with a warning.

mod common;

use std::path::Path;

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;
use sha2::{Digest, Sha256};

use common::record;

fn digest(p: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(p).unwrap()).to_vec()
}

/// `record --append` on `file` must be refused (exit 1, `why` in the message) and leave it
/// byte-identical.
fn refused(file: &Path, why: &str) {
    let before = digest(file);
    let len = std::fs::metadata(file).unwrap().len();
    let o = record(file, &["--append", "--quiet"], "1,2\n3,4\n");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{}: accepted", file.display());
    assert!(err.contains(why), "{}: {err}", file.display());
    assert_eq!(
        std::fs::metadata(file).unwrap().len(),
        len,
        "{}",
        file.display()
    );
    assert_eq!(
        digest(file),
        before,
        "{}: changed by a refusal ({err})",
        file.display()
    );
}

/// A file with the logger layout up to `depth` levels, the channel of class `ch_class`
/// and a time axis of class `t_class` (`None`: absent).
fn layout(path: &Path, depth: usize, ch_class: PyTablesClass, t_class: Option<PyTablesClass>) {
    let mut w = Writer::create(path, WriteOptions::default()).unwrap();
    let groups = [
        "/RawData",
        "/RawData/Datalogger000",
        "/RawData/Datalogger000/Detector000",
        "/RawData/Datalogger000/Detector000/Data0D",
        "/RawData/Datalogger000/Detector000/Data0D/CH00",
        "/RawData/Datalogger000/Detector000/NavAxes",
    ];
    for g in groups.iter().take(depth) {
        w.create_group_titled(g, "").unwrap();
        w.set_attr(g, "CLASS", AttrValue::Ascii("GROUP".into()))
            .unwrap();
    }
    let mk = |w: &mut Writer, p: &str, c: PyTablesClass| {
        let b = DatasetBuilder::new(Dtype::F64).pytables_class(c);
        let b = match c {
            PyTablesClass::EArray => b.shape(&[3]).max_shape(&[None]).chunks(&[16]),
            _ => b.shape(&[3]).chunks(&[16]),
        };
        w.create_dataset(p, b).unwrap();
    };
    if depth >= 5 {
        mk(
            &mut w,
            "/RawData/Datalogger000/Detector000/Data0D/CH00/EnlData00",
            ch_class,
        );
    }
    if let (true, Some(c)) = (depth >= 6, t_class) {
        mk(
            &mut w,
            "/RawData/Datalogger000/Detector000/NavAxes/Axis00",
            c,
        );
    }
    w.close().unwrap();
}

#[test]
fn record_append_refusals_leave_the_file_byte_identical() {
    let dir = common::temp_dir("append-refusals");
    let copy = |src: &Path, name: &str| {
        let p = dir.join(name);
        std::fs::copy(src, &p).unwrap();
        p
    };
    let fx = common::root().join("fixtures");
    // A PyMoDAQ file without a Datalogger group (the example), an HDF5 file
    // without /RawData, a file that is not HDF5, a truncated recording.
    refused(
        &copy(&fx.join("pymodaq/pt_dte.h5"), "dte.h5"),
        "no Datalogger group to continue",
    );
    refused(
        &copy(&fx.join("pymodaq/h5py_enlargeable.h5"), "enl.h5"),
        "no Datalogger group to continue",
    );
    refused(
        &copy(&fx.join("hdf5/pt_attrs.h5"), "attrs.h5"),
        "no /RawData group",
    );
    let junk = dir.join("junk.h5");
    std::fs::write(&junk, b"not an HDF5 file at all, just text\n".repeat(40)).unwrap();
    refused(&junk, "");
    let rec = dir.join("rec.h5");
    let o = record(&rec, &["--names", "a,b", "--quiet"], "1,2\n3,4\n");
    assert!(o.status.success());
    let cut = dir.join("cut.h5");
    let bytes = std::fs::read(&rec).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    refused(&cut, "");
    // The layout incomplete or of the wrong classes.
    let p = dir.join("nodet.h5");
    layout(&p, 2, PyTablesClass::EArray, None);
    refused(&p, "has no Detector000 group");
    let p = dir.join("carray.h5");
    layout(&p, 6, PyTablesClass::CArray, Some(PyTablesClass::EArray));
    refused(&p, "not an enlargeable channel");
    let p = dir.join("notime.h5");
    layout(&p, 6, PyTablesClass::EArray, None);
    refused(&p, "not an enlargeable time axis");
    let p = dir.join("ctime.h5");
    layout(&p, 6, PyTablesClass::EArray, Some(PyTablesClass::CArray));
    refused(&p, "not an enlargeable time axis");
    // The writer's own refusal, after the layout was found: group leaf K 0 (readers do not
    // care, the writer sizes the group's nodes by it and no node would hold an entry).
    let p = dir.join("k.h5");
    let mut b = std::fs::read(&rec).unwrap();
    b[16] = 0;
    std::fs::write(&p, &b).unwrap();
    refused(&p, "a B-tree K of 0");
    // An existing file without --append or --force.
    let before = digest(&rec);
    let o = record(&rec, &["--quiet"], "5,6\n");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(digest(&rec), before);
}

/// Files `Writer::open` converts before anything else: closed with a metadata cache image
/// (spec/hdf5-write.md).
const CONVERTED_AT_OPEN: &[&str] = &["i11_cache_image.h5"];

/// `dump --json --full` of a file (every object, attribute and value).
fn full_dump(p: &std::path::Path) -> String {
    let f = File::open(p).unwrap();
    let mut out = Vec::new();
    let opts = pymodaq_h5::dump::DumpOptions {
        full: true,
        progress: None,
    };
    pymodaq_h5::dump::dump_streamed(&f, "x.h5", opts, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn writer_open_refusals_leave_fixtures_byte_identical() {
    let dir = common::temp_dir("open-refusals");
    let mut refusals = 0;
    for (i, f) in common::fixture_files().iter().enumerate() {
        let p = dir.join(format!("f{i}.h5"));
        std::fs::copy(f, &p).unwrap();
        let before = digest(&p);
        match Writer::open(&p, WriteOptions::default()) {
            Err(_) => refusals += 1,
            Ok(mut w) => {
                // Every dataset the writer refuses to extend is refused before a write.
                let mut paths = Vec::new();
                if let Ok(r) = File::open(&p) {
                    let _ = r.walk(|path, n| {
                        if let Ok(Node::Dataset(_)) = n {
                            paths.push(path.to_string());
                        }
                        Ok(())
                    });
                }
                for d in paths {
                    if w.open_dataset(&d).is_err() {
                        refusals += 1;
                    }
                }
                drop(w);
            }
        }
        let name = f.file_name().unwrap().to_string_lossy();
        if CONVERTED_AT_OPEN.contains(&name.as_ref()) {
            // Opening converts it as libhdf5 does (its metadata cache image written home
            // and dropped): same objects and values, every one, as our reader sees them.
            assert_ne!(digest(&p), before, "{name}: not converted");
            assert_eq!(full_dump(&p), full_dump(f), "{name}: converted differently");
            continue;
        }
        assert_eq!(
            digest(&p),
            before,
            "{}: changed by Writer::open",
            f.display()
        );
    }
    assert!(refusals >= 3, "only {refusals} refusals exercised");
}

#[test]
fn torn_recording_is_continued_at_the_common_length() {
    let dir = common::temp_dir("append-repair");
    let out = dir.join("torn.h5");
    let lines: String = (0..300).map(|i| format!("{i},{}\n", -i)).collect();
    let o = record(
        &out,
        &["--names", "a,b", "--quiet", "--flush-every", "7"],
        &lines,
    );
    assert!(o.status.success());
    // Tear it as older versions could: CH01 cut back by 40 rows, the time axis by 10.
    let det = "/RawData/Datalogger000/Detector000";
    {
        let mut w = Writer::open(&out, WriteOptions::default()).unwrap();
        let c1 = w
            .open_dataset(&format!("{det}/Data0D/CH01/EnlData00"))
            .unwrap();
        w.truncate_rows(&c1, 260).unwrap();
        let t = w.open_dataset(&format!("{det}/NavAxes/Axis00")).unwrap();
        w.truncate_rows(&t, 290).unwrap();
        w.close().unwrap();
    }
    let o = record(&out, &["--append", "--quiet"], "1000,-1000\n1001,-1001\n");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warning") && err.contains("continued after row 260"),
        "{err}"
    );
    assert!(err.contains("40 of") && err.contains("30 of"), "{err}");
    let f = File::open(&out).unwrap();
    let read = |p: &str| -> Vec<f64> {
        match f.get(p) {
            Ok(Node::Dataset(d)) => d.read().unwrap(),
            _ => panic!("{p}"),
        }
    };
    let a = read(&format!("{det}/Data0D/CH00/EnlData00"));
    let b = read(&format!("{det}/Data0D/CH01/EnlData00"));
    let t = read(&format!("{det}/NavAxes/Axis00"));
    assert_eq!((a.len(), b.len(), t.len()), (262, 262, 262));
    for i in 0..260 {
        assert_eq!((a[i], b[i]), (i as f64, -(i as f64)));
    }
    assert_eq!((a[260], b[261]), (1000.0, -1001.0));
    assert!(t.windows(2).all(|w| w[1] >= w[0]));
}
