//! Files whose sizes of offsets and lengths are narrower than 8 bytes are continued (issue
//! 18, "any file we read can be continued"): 2-byte offsets (64 KiB files) with 2-, 4- and
//! 8-byte lengths, 4-byte offsets with 2-byte lengths, superblock v0 and 'latest'
//! (`tests/py/sizes_small.py` makes them; `tests/py/fcpl_variants.py` has the 4- and 8-byte
//! ones through four alternating sessions). Our writer appends rows (plain, gzip, vlen
//! strings), sets attributes (fixed and vlen strings, arrays), creates groups and datasets;
//! h5py, h5dump and our reader read every value. A write past the 64 KiB the offsets
//! address is refused with the reason, and the file keeps everything flushed before it.

mod common;

use std::path::Path;

use pymodaq_h5::hdf5::write::*;

fn session(path: &Path) -> pymodaq_h5::Result<()> {
    let mut w = Writer::open(path, WriteOptions::default())?;
    w.set_attr("/", "cont", AttrValue::Str("continued".into()))?;
    w.set_attr(
        "/g",
        "vlen",
        AttrValue::VlenStr("a vlen string attribute".into()),
    )?;
    w.set_attr("/g/rows", "cont", AttrValue::Str("rows continued".into()))?;
    let rows = w.open_dataset("/g/rows")?;
    w.append(&rows, &(100..160).collect::<Vec<i32>>())?;
    let gz = w.open_dataset("/g/gz")?;
    w.append(&gz, &(500..510).collect::<Vec<i16>>())?;
    let names = w.open_dataset("/g/names")?;
    w.append_vlen(&names, &[b"gamma".as_slice(), b"", b"delta epsilon"])?;
    w.create_group("/ours")?;
    w.set_attr("/ours", "note", AttrValue::Str("new".into()))?;
    w.set_attr("/ours", "arr", AttrValue::F64s(vec![1.5, 2.5]))?;
    for i in 0..5 {
        w.create_group(&format!("/ours/sub{i}"))?;
    }
    let d = w.create_dataset(
        "/ours/d",
        DatasetBuilder::new(Dtype::F64)
            .shape(&[0])
            .max_shape(&[None])
            .chunks(&[16]),
    )?;
    w.append(
        &d,
        &(0..40).map(|i| f64::from(i) * 0.25).collect::<Vec<_>>(),
    )?;
    let f = w.create_dataset(
        "/ours/fixed",
        DatasetBuilder::new(Dtype::I64).shape(&[3, 4]),
    )?;
    w.write(&f, &(0..12).collect::<Vec<i64>>())?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if dense_attrs(&name) {
        // Dense attributes: a huge object and more than the compact limit (2-byte offsets:
        // 8 KB, its address and length in the heap ID itself, as libhdf5 does there).
        let n = if name.starts_with("s2_") {
            1000
        } else {
            20_000
        };
        let big: Vec<f64> = (0..n).map(|i| f64::from(i) * 0.5).collect();
        // One header rewrite for all of them (each rewrite writes the dense storage anew).
        let names: Vec<String> = (0..12).map(|i| format!("a{i:02}")).collect();
        let mut attrs = vec![("big", AttrValue::F64s(big))];
        for (i, n) in names.iter().enumerate() {
            attrs.push((n.as_str(), AttrValue::Str(format!("attribute {i}"))));
        }
        w.set_attrs("/ours", &attrs)?;
    }
    if name.ends_with("latest") {
        // Dense links.
        for i in 5..20 {
            w.create_group(&format!("/ours/sub{i}"))?;
        }
    }
    w.close()
}

/// Files whose lengths allow dense storage (4 bytes at least) get dense attributes.
fn dense_attrs(name: &str) -> bool {
    matches!(name, "s4_4" | "s4_8_latest" | "s2_4")
}

/// Rows flushed, then appends until the file would pass the 64 KiB its offsets address.
fn refused(path: &Path) -> String {
    let mut w = Writer::open(path, WriteOptions::default()).expect("open");
    let rows = w.open_dataset("/g/rows").expect("rows");
    w.append(&rows, &(900..906).collect::<Vec<i32>>())
        .expect("append");
    w.flush().expect("flush");
    let block: Vec<i32> = (0..3000).collect();
    let err = (0..20)
        .find_map(|_| w.append(&rows, &block).err())
        .expect("appends past 64 KiB in a file of 2-byte offsets are refused");
    // The writer stops at the refusal; the file holds what the last flush committed.
    assert!(
        w.close().is_err(),
        "a writer stopped by a refusal closes with an error"
    );
    err.to_string()
}

fn check(py: &Path, dir: &Path, stage: u32, names: &[String]) {
    let out = std::process::Command::new(py)
        .arg(common::root().join("tests/py/sizes_small.py"))
        .arg("check")
        .arg(dir)
        .arg(stage.to_string())
        .args(names)
        .output()
        .expect("run sizes_small.py check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.trim() == format!("ok {}", names.len()),
        "stage {stage}: h5py: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for n in names {
        let f = dir.join(format!("{n}.h5"));
        let out = common::bin()
            .arg("check")
            .arg(&f)
            .output()
            .expect("run check");
        assert!(
            out.status.success(),
            "stage {stage}: our reader on {n}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn files_of_narrow_offsets_and_lengths_are_continued() {
    let Some(py) = common::python() else {
        panic!("PYMODAQ_H5_PYTHON with h5py is needed (scripts/test.sh sets it up)");
    };
    let tmp = common::temp_dir("sizes");
    let dir: &Path = tmp.as_ref();
    let out = common::run_py(
        &py,
        "tests/py/sizes_small.py",
        [std::ffi::OsStr::new("gen"), dir.as_os_str()],
    );
    let names: Vec<String> = serde_json::from_slice(&out.stdout).expect("variant names");
    assert_eq!(names.len(), 7, "variants made: {names:?}");
    check(&py, dir, 0, &names);
    for n in &names {
        let p = dir.join(format!("{n}.h5"));
        session(&p).unwrap_or_else(|e| panic!("{n}: session: {e}"));
    }
    check(&py, dir, 1, &names);
    // Only the files of 2-byte offsets end at 64 KiB.
    let narrow: Vec<String> = names
        .iter()
        .filter(|n| n.starts_with("s2_"))
        .cloned()
        .collect();
    for n in &narrow {
        let p = dir.join(format!("{n}.h5"));
        let err = refused(&p);
        assert!(
            err.contains("2-byte addresses"),
            "{n}: the refusal names the address width: {err}"
        );
    }
    check(&py, dir, 2, &narrow);
}
