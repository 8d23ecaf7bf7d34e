//! Files of every file-creation variant libhdf5 offers are continued (issue 18): user blocks
//! (h5py, PyTables), group and chunk B-tree K values (superblock v0/v1 and v2), the file-space
//! strategies (`fsm`, `page`, `aggregate`, `none`) with persisted free space holding
//! sections, page sizes, metadata block sizes and every format bound
//! (`tests/py/fcpl_variants.py` makes them and knows what each holds after each session).
//!
//! Four sessions per file, alternating writers, so that a free-space manager we left wrong
//! (libhdf5 allocating from space we used) or an allocation rule libhdf5 enforces on reopen
//! shows as a changed value: 1. `Writer::open` adds attributes, 150 rows (75 chunks) to
//! a chunked dataset and 3 to a gzip one, 30 groups to a group of 40 (B-trees of the file's
//! K values split), a group with a chunked and a contiguous dataset; 2. h5py appends rows,
//! creates datasets and deletes one of ours and one of the file's; 3. `Writer::open` again;
//! 4. h5py again (creating in the space it freed). After every session our reader and
//! h5py read every value (old and new) and h5dump reads the file; h5py opens paged files
//! with libhdf5's page buffer on, and their length stays a whole number of pages.

mod common;

use std::path::Path;

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;
use serde_json::Value as J;

/// (variant, what the refusal says) refusals spec/hdf5-write.md names.
const KNOWN_REFUSALS: &[(&str, &str)] = &[];

fn session1(path: &Path) -> Result<(), String> {
    let mut w = Writer::open(path, WriteOptions::default()).map_err(|e| format!("open: {e}"))?;
    let run = |w: &mut Writer| -> pymodaq_h5::Result<()> {
        for p in [
            "/",
            "/g1",
            "/g1/sub",
            "/g2",
            "/g1/chunked",
            "/g2/contig",
            "/g2/gz",
        ] {
            w.set_attr(p, "cont", AttrValue::Str(format!("continued {p}")))?;
        }
        let c = w.open_dataset("/g1/chunked")?;
        w.append(&c, &(100..550).collect::<Vec<i32>>())?;
        for i in 0..30 {
            w.create_group(&format!("/g1/sub/n{i:02}"))?;
        }
        let z = w.open_dataset("/g2/gz")?;
        w.append(&z, &(1000..1003).collect::<Vec<i16>>())?;
        w.create_group("/ours1")?;
        let d = w.create_dataset(
            "/ours1/d",
            DatasetBuilder::new(Dtype::F64)
                .shape(&[0])
                .max_shape(&[None])
                .chunks(&[4]),
        )?;
        w.append(&d, &[1.5, 2.5, 3.5, 4.5, 5.5])?;
        let b = w.create_dataset("/ours1/big", DatasetBuilder::new(Dtype::F64).shape(&[1000]))?;
        w.write(
            &b,
            &(0..1000).map(|i| f64::from(i) * 0.25).collect::<Vec<_>>(),
        )?;
        w.set_attr("/ours1", "note", AttrValue::Str("new".into()))
    };
    run(&mut w).map_err(|e| e.to_string())?;
    w.close().map_err(|e| format!("close: {e}"))
}

fn session3(path: &Path) -> Result<(), String> {
    let mut w = Writer::open(path, WriteOptions::default()).map_err(|e| format!("open: {e}"))?;
    let run = |w: &mut Writer| -> pymodaq_h5::Result<()> {
        let c = w.open_dataset("/g1/chunked")?;
        w.append(&c, &(300..309).collect::<Vec<i32>>())?;
        w.create_group("/ours3")?;
        let d = w.create_dataset("/ours3/d", DatasetBuilder::new(Dtype::F64).shape(&[500]))?;
        w.write(
            &d,
            &(0..500).map(|i| f64::from(i) + 0.125).collect::<Vec<_>>(),
        )
    };
    run(&mut w).map_err(|e| e.to_string())?;
    w.close().map_err(|e| format!("close: {e}"))
}

/// Our reader against what the generator says the file holds after `stage` sessions:
/// every value of every dataset, the attributes written as strings or integers, the paths
/// deleted gone, the 40 members of /g1/sub.
fn check_ours(py: &Path, dir: &Path, name: &str, stage: u32) -> Vec<String> {
    let out = common::run_py(
        py,
        "tests/py/fcpl_variants.py",
        ["expect", name, &stage.to_string()],
    );
    let want: J = serde_json::from_slice(&out.stdout).unwrap();
    let mut errs = Vec::new();
    let f = match File::open(dir.join(format!("{name}.h5"))) {
        Ok(f) => f,
        Err(e) => return vec![format!("{name} stage {stage}: our reader: {e}")],
    };
    for (p, v) in want["datasets"].as_object().unwrap() {
        let Ok(Node::Dataset(d)) = f.get(p) else {
            errs.push(format!("{name} stage {stage}: {p} not a dataset"));
            continue;
        };
        let (dt, vals) = (v[0].as_str().unwrap(), v[1].as_array().unwrap());
        let got: Result<Vec<f64>, _> = match dt {
            "<i2" => d
                .read::<i16>()
                .map(|x| x.into_iter().map(f64::from).collect()),
            "<i4" => d
                .read::<i32>()
                .map(|x| x.into_iter().map(f64::from).collect()),
            "<i8" => d
                .read::<i64>()
                .map(|x| x.into_iter().map(|v| v as f64).collect()),
            "<f8" => d.read::<f64>(),
            other => panic!("dtype {other}"),
        };
        let wantv: Vec<f64> = vals.iter().map(|x| x.as_f64().unwrap()).collect();
        match got {
            Ok(g) if g == wantv => {}
            Ok(g) => errs.push(format!(
                "{name} stage {stage}: {p} ({dt}) = {g:?}, want {wantv:?}"
            )),
            Err(e) => errs.push(format!("{name} stage {stage}: {p}: {e}")),
        }
    }
    for p in want["gone"].as_array().unwrap() {
        if f.get(p.as_str().unwrap()).is_ok() {
            errs.push(format!("{name} stage {stage}: {p} still there"));
        }
    }
    for (p, attrs) in want["attrs"].as_object().unwrap() {
        let Ok(node) = f.get(p) else {
            errs.push(format!("{name} stage {stage}: {p} missing"));
            continue;
        };
        for (k, v) in attrs.as_object().unwrap() {
            let a = match &node {
                Node::Group(g) => g.attr(k),
                Node::Dataset(d) => d.attr(k),
                _ => continue,
            };
            let got = a.and_then(|a| match v {
                J::String(_) => a.as_string().map(J::from),
                _ => a.read::<i64>().map(|x| match x.as_slice() {
                    [one] => J::from(*one),
                    _ => J::from(x),
                }),
            });
            match got {
                Ok(g) if &g == v => {}
                Ok(g) => errs.push(format!("{name} stage {stage}: {p}@{k} = {g}, want {v}")),
                Err(e) => errs.push(format!("{name} stage {stage}: {p}@{k}: {e}")),
            }
        }
    }
    match f.get("/g1/sub") {
        Ok(Node::Group(g)) => {
            let names: Vec<String> = g
                .links()
                .map(|l| l.into_iter().map(|l| l.name).collect())
                .unwrap_or_default();
            let want: Vec<String> = want["sub"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            if names != want {
                errs.push(format!("{name} stage {stage}: /g1/sub lists {names:?}"));
            }
        }
        _ => errs.push(format!("{name} stage {stage}: /g1/sub not a group")),
    }
    errs
}

/// A paged file keeps an end of file that is a whole number of pages, as libhdf5 keeps it
/// (its page buffer reads whole pages).
fn check_pages(dir: &Path, name: &str, stage: u32) -> Vec<String> {
    if !name.starts_with("fs_page") {
        return Vec::new();
    }
    let page = if name.contains("8192") {
        8192
    } else if name.contains("_512") {
        512
    } else {
        4096
    };
    let len = std::fs::metadata(dir.join(format!("{name}.h5")))
        .unwrap()
        .len();
    if len.is_multiple_of(page) {
        Vec::new()
    } else {
        vec![format!(
            "{name} stage {stage}: length {len} not a multiple of its page {page}"
        )]
    }
}

fn h5py_check(py: &Path, dir: &Path, stage: u32, names: &[String]) -> Vec<String> {
    if names.is_empty() {
        return Vec::new();
    }
    let out = std::process::Command::new(py)
        .arg(common::root().join("tests/py/fcpl_variants.py"))
        .arg("check")
        .arg(dir)
        .arg(stage.to_string())
        .args(names)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    if out.status.success() {
        eprintln!("h5py stage {stage}: {text}");
        Vec::new()
    } else {
        vec![format!(
            "h5py stage {stage}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        )]
    }
}

#[test]
fn every_file_creation_variant_is_continued() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("continue-fcpl");
    let out = common::run_py(
        &py,
        "tests/py/fcpl_variants.py",
        [std::ffi::OsStr::new("gen"), dir.as_os_str()],
    );
    let names: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    let mut failures = Vec::new();
    let mut ok = Vec::new();
    for name in &names {
        failures.extend(check_ours(&py, &dir, name, 0));
        let path = dir.join(format!("{name}.h5"));
        match session1(&path) {
            Ok(()) => ok.push(name.clone()),
            Err(e) => match KNOWN_REFUSALS.iter().find(|(n, _)| n == name) {
                Some((_, why)) => assert!(e.contains(why), "{name}: {e}"),
                None => failures.push(format!("{name}: session 1: {e}")),
            },
        }
    }
    for name in &ok {
        failures.extend(check_ours(&py, &dir, name, 1));
        failures.extend(check_pages(&dir, name, 1));
    }
    // `FCPL_KEEP=DIR`: copies of the files as our first session left them, to look into.
    if let Some(keep) = std::env::var_os("FCPL_KEEP") {
        std::fs::create_dir_all(&keep).unwrap();
        for name in &ok {
            let f = format!("{name}.h5");
            std::fs::copy(dir.join(&f), Path::new(&keep).join(&f)).unwrap();
        }
    }
    failures.extend(h5py_check(&py, &dir, 1, &ok));
    for name in &ok {
        failures.extend(check_ours(&py, &dir, name, 2));
        if let Err(e) = session3(&dir.join(format!("{name}.h5"))) {
            failures.push(format!("{name}: session 3: {e}"));
        }
        failures.extend(check_ours(&py, &dir, name, 3));
        failures.extend(check_pages(&dir, name, 3));
    }
    failures.extend(h5py_check(&py, &dir, 3, &ok));
    for name in &ok {
        failures.extend(check_ours(&py, &dir, name, 4));
    }
    eprintln!("{} variants made, {} continued", names.len(), ok.len());
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(names.len() >= 20, "only {} variants made", names.len());
}
