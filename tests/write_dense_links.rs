//! Groups of 10, 1,000 and 100,000 links (dense past 8 in the 1.10 profile: fractal heap of
//! link messages + v2 B-tree of name hashes), created in bulk (`Writer::create_groups`) and
//! one by one, listed by h5py in its order (names sorted bytewise), by PyTables (same set)
//! and by our reader.

mod common;

use std::process::Command;

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;
use serde_json::json;

fn names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            if i % 7 == 3 {
                format!("é{i}")
            } else {
                format!("g{i}")
            }
        })
        .collect()
}

fn check(py: &std::path::Path, h5: &std::path::Path, groups: &[(&str, Vec<String>)]) {
    let f = File::open(h5).unwrap();
    let mut exp = Vec::new();
    for (path, members) in groups {
        let mut sorted = members.clone();
        sorted.sort();
        let Node::Group(g) = f.get(path).unwrap() else {
            panic!("{path} not a group")
        };
        let mut ours: Vec<String> = g.links().unwrap().into_iter().map(|l| l.name).collect();
        ours.sort();
        assert_eq!(ours, sorted, "our reader, {path}");
        exp.push(json!({"path": path, "members": sorted}));
    }
    let e = h5.with_extension("json");
    std::fs::write(&e, json!({ "groups": exp }).to_string()).unwrap();
    let out = Command::new(py)
        .arg(common::root().join("tests/py/check_dense.py"))
        .arg(h5)
        .arg(&e)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        h5.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let d = Command::new("h5dump").arg("-H").arg(h5).output().unwrap();
    assert!(d.status.success(), "h5dump {}", h5.display());
}

#[test]
fn groups_of_10_1000_100000_links() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("write-dense-links");
    for profile in [Profile::PyTables, Profile::Hdf5V110] {
        for n in [10usize, 1000, 100_000] {
            if profile == Profile::PyTables && n == 100_000 {
                // Symbol-table groups (v1 B-tree) have no compact limit; 100,000 empty
                // groups of ~1.4 KiB each are covered by the 1.10 profile.
                continue;
            }
            let h5 = dir.join(format!("{profile:?}_{n}.h5"));
            let members = names(n);
            {
                let opts = WriteOptions {
                    profile,
                    pytables: false,
                    ..Default::default()
                };
                let mut w = Writer::create(&h5, opts).unwrap();
                w.create_group("/big").unwrap();
                let paths: Vec<String> = members.iter().map(|m| format!("/big/{m}")).collect();
                let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
                w.create_groups(&refs).unwrap();
                // A member of a member still works after the bulk commit.
                w.create_group(&format!("/big/{}/sub", members[0])).unwrap();
                w.close().unwrap();
            }
            check(
                &py,
                &h5,
                &[
                    ("/big", members.clone()),
                    (&format!("/big/{}", members[0]), vec!["sub".to_string()]),
                ],
            );
        }
    }
}

/// Links added one by one through the compact-to-dense switch and beyond, with datasets
/// and attributes on the group, in the 1.10 profile.
#[test]
fn group_goes_dense_one_link_at_a_time() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("write-dense-links-1by1");
    let h5 = dir.join("one_by_one.h5");
    let members = names(40);
    {
        let opts = WriteOptions {
            profile: Profile::Hdf5V110,
            ..Default::default()
        };
        let mut w = Writer::create(&h5, opts).unwrap();
        w.create_group("/g").unwrap();
        for (i, m) in members.iter().enumerate() {
            if i % 2 == 0 {
                w.create_group(&format!("/g/{m}")).unwrap();
            } else {
                let ds = w
                    .create_dataset(
                        &format!("/g/{m}"),
                        DatasetBuilder::new(Dtype::I32).shape(&[2]),
                    )
                    .unwrap();
                w.write(&ds, &[i as i32, -(i as i32)]).unwrap();
            }
            w.set_attr("/g", "count", AttrValue::I64(i as i64)).unwrap();
        }
        w.close().unwrap();
    }
    check(&py, &h5, &[("/g", members.clone())]);
    let f = File::open(&h5).unwrap();
    let Node::Dataset(d) = f.get(&format!("/g/{}", members[1])).unwrap() else {
        panic!("not a dataset")
    };
    assert_eq!(d.read::<i32>().unwrap(), vec![1, -1]);
}
