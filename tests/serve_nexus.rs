//! `serve`'s `/nexus/` API: PyMoDAQ channel groups shown as NeXus `NXdata` groups with their
//! navigation axes (virtual children answered by the real `NavAxes` datasets), so that an
//! h5web `H5GroveProvider` pointed at `/nexus` plots a scan channel against its scan axes;
//! the plain h5grove endpoints unchanged. The view is checked against h5grove's answers on a
//! copy of the file where h5py wrote the same attributes and hard links.

mod common;
mod serve_common;

use serde_json::{json, Value};
use serve_common::{enc, get};

const FILES: [&str; 3] = ["pt_extended.h5", "h5py_extended.h5", "pmd44_pt_extended.h5"];
const CH1D: &str = "/RawData/Scan000/Detector000/Data1D/CH00";

fn q(ep: &str, file: &str, path: &str) -> String {
    format!("{ep}?file={}&path={}", enc(file), enc(path))
}

fn names(children: &Value) -> Vec<String> {
    children
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `m` without the view's additions: attributes named in `extra`, children named in `virt`,
/// the children's `long_name`.
fn strip(mut m: Value, extra: &[String], virt: &[String]) -> Value {
    // `get_mut`: indexing would insert the keys a dataset's metadata does not have.
    if let Some(a) = m.get_mut("attributes").and_then(Value::as_array_mut) {
        a.retain(|x| !extra.iter().any(|e| x["name"] == *e));
    }
    if let Some(c) = m.get_mut("children").and_then(Value::as_array_mut) {
        c.retain(|x| !virt.iter().any(|e| x["name"] == *e));
        for x in c.iter_mut() {
            if let Some(a) = x.get_mut("attributes").and_then(Value::as_array_mut) {
                a.retain(|y| y["name"] != "long_name");
            }
        }
    }
    m
}

fn sort_children(mut m: Value) -> Value {
    if let Some(c) = m["children"].as_array_mut() {
        c.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    }
    m
}

#[test]
fn nexus_view_of_scan_channels() {
    let dir = common::temp_dir("serve-nexus");
    for f in FILES {
        std::fs::copy(common::root().join("fixtures/pymodaq").join(f), dir.join(f)).expect("copy");
    }
    let ours = serve_common::serve(&["--dir", dir.to_str().expect("utf-8")]);
    let port = ours.port;
    for file in FILES {
        // The 1-D channel of the 3x4 scan: two navigation axes, one signal axis.
        let a = get(port, &q("/nexus/attr/", file, CH1D));
        assert_eq!(a.status, 200, "{file}: {}", a.text());
        let a = a.json();
        assert_eq!(a["NX_class"], "NXdata", "{file}: {a}");
        assert_eq!(a["signal"], "Data00");
        assert_eq!(
            a["axes"],
            json!(["nav_Axis00", "nav_Axis01", "Axis00"]),
            "{file}"
        );
        assert_eq!(a["nav_Axis00_indices"], 0);
        assert_eq!(a["nav_Axis01_indices"], 1);
        assert_eq!(a["Axis00_indices"], 2);
        let one = get(
            port,
            &format!("{}&attr_keys=signal", q("/nexus/attr/", file, CH1D)),
        );
        assert_eq!(one.json(), json!({"signal": "Data00"}), "{file}");

        // Every group of the file: where the view applies, its invariants; elsewhere the
        // plain answer, byte for byte.
        let paths = get(port, &format!("/paths/?file={}", enc(file))).json();
        let paths: Vec<String> = paths
            .as_array()
            .expect("paths")
            .iter()
            .filter_map(|p| p.as_str().map(str::to_string))
            .collect();
        let (mut views, mut virtuals) = (0, 0);
        let mut listed_virtual: Vec<String> = Vec::new();
        for p in paths.iter().filter(|p| p.as_str() != "/") {
            let nm = get(port, &q("/nexus/meta/", file, p));
            let plain = get(port, &q("/meta/", file, p));
            assert_eq!(nm.status, 200, "{file} {p}: {}", nm.text());
            let a = get(port, &q("/nexus/attr/", file, p)).json();
            if a["NX_class"] != "NXdata" {
                if a.get("long_name").is_some() {
                    // A signal or axis of a view: `long_name` added, nothing else.
                    let (up, _) = p.rsplit_once('/').expect("parent");
                    let ua = get(port, &q("/nexus/attr/", file, up)).json();
                    assert_eq!(
                        ua["NX_class"], "NXdata",
                        "{file} {p}: long_name outside a view"
                    );
                    let ln = vec!["long_name".to_string()];
                    assert_eq!(strip(nm.json(), &ln, &[]), plain.json(), "{file} {p}");
                } else {
                    assert_eq!(nm.body, plain.body, "{file} {p}: /nexus/meta/ differs");
                }
                continue;
            }
            views += 1;
            let nm = nm.json();
            let plain = plain.json();
            let children = names(&nm["children"]);
            let real = names(&plain["children"]);
            let virt: Vec<String> = children
                .iter()
                .filter(|c| !real.contains(c))
                .cloned()
                .collect();
            let signal = a["signal"].as_str().expect("signal");
            assert!(
                real.iter().any(|c| c == signal),
                "{file} {p}: signal {signal}"
            );
            let sm = get(port, &q("/nexus/meta/", file, &format!("{p}/{signal}"))).json();
            let dims: Vec<u64> = serde_json::from_value(sm["shape"].clone()).expect("dims");
            let axes = a["axes"].as_array().expect("axes");
            assert_eq!(axes.len(), dims.len(), "{file} {p}: axes per dimension");
            // Labels with units, as the /pymodaq/ hints (PyMoDAQ's loader) give them.
            let hints = get(port, &q("/pymodaq/", file, p)).json();
            let ln = |child: &str| {
                get(port, &q("/nexus/attr/", file, &format!("{p}/{child}"))).json()["long_name"]
                    .clone()
            };
            assert_eq!(
                ln(signal),
                hints["long_name"],
                "{file} {p}: signal long_name"
            );
            let mut extra: Vec<String> = vec!["NX_class".into(), "signal".into(), "axes".into()];
            for (i, ax) in axes.iter().enumerate() {
                let ax = ax.as_str().expect("axis name");
                if ax == "." {
                    continue;
                }
                assert!(
                    children.iter().any(|c| c == ax),
                    "{file} {p}: {ax} not a child"
                );
                assert_eq!(a[format!("{ax}_indices")], json!(i), "{file} {p}: {ax}");
                extra.push(format!("{ax}_indices"));
                let hinted = hints["axis_info"]
                    .as_array()
                    .and_then(|l| l.iter().find(|x| x["dim"] == json!(i)))
                    .map(|x| x["long_name"].clone());
                assert_eq!(Some(ln(ax)), hinted, "{file} {p}: {ax} long_name");
                let cm = get(port, &q("/nexus/meta/", file, &format!("{p}/{ax}"))).json();
                assert_eq!(cm["shape"], json!([dims[i]]), "{file} {p}: {ax} length");
            }
            // The view adds attributes and virtual children, nothing else.
            assert_eq!(strip(nm.clone(), &extra, &virt), plain, "{file} {p}");
            for v in &virt {
                virtuals += 1;
                assert!(v.starts_with("nav_"), "{v}");
                // The real dataset: `NavAxes/<name>` of the nearest ancestor that has one.
                let mut anc = p.clone();
                let real_path = loop {
                    let (up, _) = anc.rsplit_once('/').expect("an ancestor with NavAxes");
                    let cand = format!("{up}/NavAxes/{}", &v[4..]);
                    if paths.contains(&cand) {
                        break cand;
                    }
                    anc = up.to_string();
                };
                let vp = format!("{p}/{v}");
                listed_virtual.push(vp.clone());
                for fmt in ["json", "bin", "npy"] {
                    let vd = get(
                        port,
                        &format!("{}&format={fmt}", q("/nexus/data/", file, &vp)),
                    );
                    let rd = get(
                        port,
                        &format!("{}&format={fmt}", q("/data/", file, &real_path)),
                    );
                    assert_eq!(vd.status, 200, "{file} {vp}: {}", vd.text());
                    assert_eq!(vd.body, rd.body, "{file} {vp} ({fmt}) vs {real_path}");
                }
                let vs = get(port, &q("/nexus/stats/", file, &vp));
                let rs = get(port, &q("/stats/", file, &real_path));
                assert_eq!((vs.status, vs.body), (200, rs.body), "{file} {vp} stats");
                let mut rm = get(port, &q("/meta/", file, &real_path)).json();
                rm["name"] = json!(v);
                let vm = get(port, &q("/nexus/meta/", file, &vp)).json();
                assert_eq!(strip(vm, &["long_name".into()], &[]), rm, "{file} {vp}");
                // The plain API knows nothing of it.
                assert_eq!(get(port, &q("/meta/", file, &vp)).status, 404);
            }
        }
        assert!(views >= 4, "{file}: {views} NXdata views");
        // /nexus/paths/: the plain list plus every virtual child, each among its group's
        // children in name order.
        let np = get(port, &format!("/nexus/paths/?file={}", enc(file))).json();
        let np: Vec<String> = np
            .as_array()
            .expect("paths")
            .iter()
            .filter_map(|p| p.as_str().map(str::to_string))
            .collect();
        let added: Vec<&String> = np.iter().filter(|p| !paths.contains(p)).collect();
        assert_eq!(added.len(), virtuals, "{file}: {added:?}");
        let kept: Vec<&String> = np.iter().filter(|p| paths.contains(p)).collect();
        assert_eq!(
            kept,
            paths.iter().collect::<Vec<_>>(),
            "{file}: plain order kept"
        );
        for v in added {
            let (g, _) = v.rsplit_once('/').expect("parent");
            assert!(
                listed_virtual.contains(v),
                "{file}: {v} not a virtual child"
            );
            // Siblings (direct children of g) appear in name order.
            let sib: Vec<&str> = np
                .iter()
                .filter_map(|p| {
                    p.strip_prefix(&format!("{g}/"))
                        .filter(|r| !r.contains('/'))
                })
                .collect();
            let mut sorted = sib.clone();
            sorted.sort_unstable();
            assert_eq!(sib, sorted, "{file} {g}");
        }
        assert!(virtuals >= 4, "{file}: {virtuals} virtual axes");
        // The root names a view as NeXus `default`; the plain root has no such attribute.
        let ra = get(port, &q("/nexus/attr/", file, "/")).json();
        let d = ra["default"].as_str().expect("default");
        assert_eq!(
            get(port, &q("/nexus/attr/", file, d)).json()["NX_class"],
            "NXdata"
        );
        assert!(get(port, &q("/attr/", file, "/"))
            .json()
            .get("default")
            .is_none());
        // Plain endpoints: no view.
        let pa = get(port, &q("/attr/", file, CH1D)).json();
        assert!(pa.get("NX_class").is_none(), "{file}: {pa}");
    }
    // Unknown /nexus/ endpoint and missing path: as the plain API.
    assert_eq!(get(port, "/nexus/nope/?file=pt_extended.h5").status, 404);
    let a = get(port, &q("/nexus/meta/", "pt_extended.h5", "/RawData/none"));
    let b = get(port, &q("/meta/", "pt_extended.h5", "/RawData/none"));
    assert_eq!((a.status, a.body), (b.status, b.body));
}

/// What /nexus/ answers is what h5grove answers for the file with the view written into it
/// (by h5py: the attributes, the virtual children as hard links, the root's `default`); and
/// the plain answers stay h5grove's own.
#[test]
fn nexus_view_is_what_h5grove_answers_when_written() {
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("serve-nexus-h5grove");
    let ours = serve_common::serve(&["--dir", dir.to_str().expect("utf-8")]);
    let port = ours.port;
    let mut written = Vec::new();
    for file in FILES {
        let src = common::root().join("fixtures/pymodaq").join(file);
        std::fs::copy(&src, dir.join(file)).expect("copy");
        // Only the view's own attributes (the file's stay as they are).
        let plain_attrs = get(port, &q("/attr/", file, CH1D)).json();
        let mut attrs = get(port, &q("/nexus/attr/", file, CH1D)).json();
        if let Some(m) = attrs.as_object_mut() {
            m.retain(|k, _| plain_attrs.get(k).is_none());
        }
        let meta = get(port, &q("/nexus/meta/", file, CH1D)).json();
        let plain = get(port, &q("/meta/", file, CH1D)).json();
        let real = names(&plain["children"]);
        let links: Vec<(String, String)> = names(&meta["children"])
            .into_iter()
            .filter(|c| !real.contains(c))
            .map(|c| {
                let r = format!("/RawData/Scan000/NavAxes/{}", &c[4..]);
                (c, r)
            })
            .collect();
        assert_eq!(links.len(), 2, "{file}");
        let default = get(port, &q("/nexus/attr/", file, "/")).json()["default"].clone();
        let long_names: Vec<(String, Value)> = names(&meta["children"])
            .into_iter()
            .filter_map(|c| {
                let l = get(port, &q("/nexus/attr/", file, &format!("{CH1D}/{c}"))).json();
                l.get("long_name").map(|v| (c, v.clone()))
            })
            .collect();
        assert_eq!(long_names.len(), 4, "{file}: signal and three axes");
        let spec = json!({"group": CH1D, "attrs": attrs, "links": links, "default": default,
            "long_names": long_names});
        let copy = format!("written_{file}");
        let st = std::process::Command::new(&py)
            .arg(common::root().join("tests/py/nexus_written.py"))
            .arg(&src)
            .arg(dir.join(&copy))
            .arg(spec.to_string())
            .status()
            .expect("python");
        assert!(st.success(), "{file}: h5py write");
        written.push((file, copy, links));
    }
    let Some(h5g) = serve_common::h5grove(&py, &dir) else {
        return;
    };
    for (file, copy, _) in &written {
        let theirs = |path: &str, ep: &str| get(h5g.port, &q(ep, copy, path));
        // The group: attributes exactly; children the same set (h5py lists links by name,
        // the view appends its own).
        let ours_m = get(port, &q("/nexus/meta/", file, CH1D)).json();
        let their_m = theirs(CH1D, "/meta/").json();
        assert_eq!(ours_m["attributes"], their_m["attributes"], "{file}");
        assert_eq!(sort_children(ours_m), sort_children(their_m), "{file}");
        let oa = get(port, &q("/nexus/attr/", file, CH1D)).json();
        assert_eq!(oa, theirs(CH1D, "/attr/").json(), "{file}");
        // Every child, the virtual ones included.
        let children = names(&get(port, &q("/nexus/meta/", file, CH1D)).json()["children"]);
        for v in &children {
            let vp = format!("{CH1D}/{v}");
            for ep in ["meta", "attr", "data", "stats"] {
                let o = get(port, &q(&format!("/nexus/{ep}/"), file, &vp));
                let t = theirs(&vp, &format!("/{ep}/"));
                if ep == "attr" {
                    // h5py lists the attribute it added by name, the view after the file's.
                    assert_eq!(
                        (o.status, o.json()),
                        (t.status, t.json()),
                        "{file} {vp} attr"
                    );
                    continue;
                }
                assert_eq!((o.status, &o.body), (t.status, &t.body), "{file} {vp} {ep}");
            }
        }
        // The root: `default` as h5py writes a str attribute.
        let o = get(port, &q("/nexus/meta/", file, "/"));
        let t = theirs("/", "/meta/");
        assert_eq!(
            o.json()["attributes"],
            t.json()["attributes"],
            "{file} root"
        );
        // The plain endpoints on the original: h5grove's bytes on the original.
        for path in ["/", CH1D, &format!("{CH1D}/Data00")] {
            for ep in ["/meta/", "/attr/"] {
                let o = get(port, &q(ep, file, path));
                let t = get(h5g.port, &q(ep, file, path));
                assert_eq!(
                    (o.status, &o.body),
                    (t.status, &t.body),
                    "{file} {path} {ep}"
                );
            }
        }
    }
}
