//! Groups tracking creation order (h5py `track_order=True`) and dense groups holding soft
//! and external links: h5py's files (libver earliest and latest) reopened and given new
//! members and attributes in two sessions, and our own `track_order` files in both
//! profiles; h5py lists members and attributes in creation order (name order for plain
//! groups), links stay as found, h5dump reads the file.

mod common;

use std::path::Path;

use pymodaq_h5::hdf5::read::{File, Node};
use pymodaq_h5::hdf5::write::*;
use serde_json::{json, Value as J};

fn check(py: &Path, h5: &Path, exp: &J) {
    let e = h5.with_extension("json");
    std::fs::write(&e, exp.to_string()).unwrap();
    common::run_py(
        py,
        "tests/py/check_order.py",
        [h5.as_os_str(), e.as_os_str()],
    );
    let d = std::process::Command::new("h5dump")
        .arg("-H")
        .arg(h5)
        .output()
        .unwrap();
    assert!(
        d.status.success(),
        "h5dump {}: {}",
        h5.display(),
        String::from_utf8_lossy(&d.stderr)
    );
}

/// Our reader lists the same members in the same order.
fn ours(h5: &Path, path: &str) -> Vec<String> {
    let f = File::open(h5).unwrap();
    let Node::Group(g) = f.get(path).unwrap() else {
        panic!("{path}: not a group")
    };
    g.links().unwrap().into_iter().map(|l| l.name).collect()
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn h5py_track_order_files_reopened() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("write-track-order-h5py");
    for libver in ["earliest", "latest"] {
        let h5 = dir.join(format!("h5py_{libver}.h5"));
        common::run_py(
            &py,
            "tests/py/make_track_order.py",
            [h5.as_os_str(), libver.as_ref()],
        );
        let mut t = s(&["z", "a", "m", "soft", "ext"]);
        let mut t_attrs = s(&["zz", "aa"]);
        let mut td: Vec<String> = (0..12).map(|i| format!("n{}", 11 - i)).collect();
        td.extend(s(&["s", "e"]));
        let mut td_attrs: Vec<String> = (0..10).map(|i| format!("a{}", 9 - i)).collect();
        let mut u: Vec<String> = (0..12).map(|i| format!("p{}", 11 - i)).collect();
        u.push("s".into());
        let mut root = s(&["t", "td", "u"]);
        for session in 0..2 {
            let mut w = Writer::open(&h5, WriteOptions::default()).unwrap();
            // /t: compact, past 8 members and 8 attributes (both go dense).
            for k in 0..6 {
                let name = format!("k{session}{k}");
                w.create_group(&format!("/t/{name}")).unwrap();
                t.push(name);
            }
            for k in 0..5 {
                let name = format!("b{session}{k}");
                w.set_attr("/t", &name, AttrValue::I64(k)).unwrap();
                t_attrs.push(name);
            }
            // Replacing gives the attribute a new creation order, as h5py's
            // `attrs[name] = value` does (delete, create).
            w.set_attr("/t", "zz", AttrValue::I64(10 + session))
                .unwrap();
            t_attrs.retain(|n| n != "zz");
            t_attrs.push("zz".into());
            // /td: dense links and attributes with creation-order indexes.
            let name = format!("k{session}");
            let ds = w
                .create_dataset(
                    &format!("/td/{name}"),
                    DatasetBuilder::new(Dtype::I32).shape(&[2]),
                )
                .unwrap();
            w.write(&ds, &[session as i32, 7]).unwrap();
            td.push(name);
            let name = format!("c{session}");
            w.set_attr("/td", &name, AttrValue::I64(session)).unwrap();
            td_attrs.push(name);
            w.set_attr("/td", "a5", AttrValue::I64(50 + session))
                .unwrap();
            td_attrs.retain(|n| n != "a5");
            td_attrs.push("a5".into());
            if session == 1 {
                w.delete_attr("/td", "a9").unwrap();
                td_attrs.retain(|n| n != "a9");
            }
            // /u: a plain group holding a soft link (dense with libver latest).
            let name = format!("q{session}");
            w.create_group(&format!("/u/{name}")).unwrap();
            u.push(name);
            let name = format!("r{session}");
            w.create_group(&format!("/{name}")).unwrap();
            root.push(name);
            w.close().unwrap();
            let mut u_sorted = u.clone();
            u_sorted.sort();
            let exp = json!({
                "groups": [
                    {"path": "/", "members": root},
                    {"path": "/t", "members": t},
                    {"path": "/td", "members": td},
                    {"path": "/u", "members": u_sorted},
                ],
                "attrs": [
                    {"path": "/t", "names": t_attrs},
                    {"path": "/td", "names": td_attrs},
                ],
                "soft": [
                    {"path": "/t/soft", "target": "/t/a"},
                    {"path": "/td/s", "target": "/td/n0"},
                    {"path": "/u/s", "target": "/u/p0"},
                ],
                "external": [
                    {"path": "/t/ext", "file": "other.h5", "target": "/x"},
                    {"path": "/td/e", "file": "other.h5", "target": "/y"},
                ],
                "values": [
                    {"path": "/t", "name": "zz", "value": 10 + session},
                    {"path": "/td", "name": "a5", "value": 50 + session},
                    {"path": "/td", "name": "a0", "value": 9},
                ],
            });
            check(&py, &h5, &exp);
            assert_eq!(ours(&h5, "/t"), t, "{libver}");
            assert_eq!(ours(&h5, "/td"), td, "{libver}");
            assert_eq!(ours(&h5, "/u"), u_sorted, "{libver}");
        }
    }
}

fn order_names(n: usize) -> Vec<String> {
    // Creation order differs from name order (descending numbers, non-ASCII names).
    (0..n)
        .map(|i| {
            if i % 5 == 2 {
                format!("é{}", n - i)
            } else {
                format!("m{}", n - i)
            }
        })
        .collect()
}

#[test]
fn our_track_order_files() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("write-track-order-ours");
    for profile in [Profile::PyTables, Profile::Hdf5V110] {
        let h5 = dir.join(format!("ours_{profile:?}.h5"));
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        {
            let opts = WriteOptions {
                profile,
                track_order: true,
                ..Default::default()
            };
            let mut w = Writer::create(&h5, opts).unwrap();
            let mut root = Vec::new();
            for (g, n) in [("small", 5usize), ("mid", 20), ("big", 1000)] {
                w.create_group(&format!("/{g}")).unwrap();
                root.push(g.to_string());
                let members = order_names(n);
                if n == 1000 {
                    let paths: Vec<String> = members.iter().map(|m| format!("/{g}/{m}")).collect();
                    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
                    w.create_groups(&refs).unwrap();
                } else {
                    for (i, m) in members.iter().enumerate() {
                        if i % 3 == 1 {
                            let ds = w
                                .create_dataset(
                                    &format!("/{g}/{m}"),
                                    DatasetBuilder::new(Dtype::F64).shape(&[1]),
                                )
                                .unwrap();
                            w.write(&ds, &[i as f64]).unwrap();
                        } else {
                            w.create_group(&format!("/{g}/{m}")).unwrap();
                        }
                    }
                }
                groups.push((format!("/{g}"), members));
            }
            groups.insert(0, ("/".into(), root));
            w.close().unwrap();
        }
        let exp = |groups: &[(String, Vec<String>)]| {
            json!({"groups": groups
                .iter()
                .map(|(p, m)| json!({"path": p, "members": m}))
                .collect::<Vec<_>>()})
        };
        check(&py, &h5, &exp(&groups));
        // Reopened: new members come last, in the order added.
        {
            let mut w = Writer::open(&h5, WriteOptions::default()).unwrap();
            for (p, members) in groups.iter_mut().skip(1) {
                for k in ["zz", "aa", "é0"] {
                    w.create_group(&format!("{p}/{k}")).unwrap();
                    members.push(k.to_string());
                }
            }
            w.close().unwrap();
        }
        check(&py, &h5, &exp(&groups));
        for (p, members) in &groups {
            assert_eq!(&ours(&h5, p), members, "{profile:?} {p}");
        }
    }
}
