//! `serve` is safe by default: the `file` parameter never leaves the served folder, big
//! selections are refused, hostile files give HTTP errors (never a crash), and 100
//! concurrent requests are all answered.

mod common;
mod serve_common;

use serve_common::{enc, get, raw, serve};

fn setup(tag: &str) -> common::TempDir {
    let dir = common::temp_dir(tag);
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("sub")).expect("mkdir");
    let src = common::root().join("fixtures/pymodaq/pt_extended.h5");
    std::fs::copy(&src, root.join("scan.h5")).expect("copy");
    std::fs::copy(&src, root.join("sub/inner.h5")).expect("copy");
    std::fs::copy(&src, dir.join("secret.h5")).expect("copy");
    std::os::unix::fs::symlink(dir.join("secret.h5"), root.join("link_out.h5")).expect("symlink");
    std::os::unix::fs::symlink(dir.as_ref() as &std::path::Path, root.join("dir_out"))
        .expect("symlink");
    std::os::unix::fs::symlink(root.join("scan.h5"), root.join("link_in.h5")).expect("symlink");
    dir
}

#[test]
fn file_parameter_cannot_escape() {
    let dir = setup("serve-escape");
    let root = dir.join("root");
    let s = serve(&["--dir", root.to_str().expect("utf-8")]);
    let ok = get(s.port, "/meta/?file=scan.h5&path=/");
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(get(s.port, "/meta/?file=sub/inner.h5").status, 200);
    assert_eq!(get(s.port, "/meta/?file=link_in.h5").status, 200);
    let secret = dir.join("secret.h5");
    for bad in [
        "../secret.h5".to_string(),
        "sub/../../secret.h5".into(),
        secret.to_string_lossy().into_owned(),
        "link_out.h5".into(),
        "dir_out/secret.h5".into(),
        "/etc/passwd".into(),
        "./../secret.h5".into(),
    ] {
        for ep in [
            "meta",
            "attr",
            "data",
            "stats",
            "paths",
            "nexus/meta",
            "nexus/attr",
            "nexus/data",
            "nexus/paths",
        ] {
            let r = get(s.port, &format!("/{ep}/?file={}&path=/", enc(&bad)));
            assert_eq!(r.status, 403, "{ep} {bad}: {}", r.text());
            assert_eq!(
                r.header("content-type"),
                Some("application/json; charset=UTF-8")
            );
            assert!(r.json()["message"].is_string());
        }
    }
    // Encoded traversal in the raw target is decoded first, then refused.
    assert_eq!(get(s.port, "/meta/?file=%2e%2e%2fsecret.h5").status, 403);
    assert_eq!(get(s.port, "/meta/?file=missing.h5").status, 404);
    assert_eq!(
        get(s.port, "/meta/?file=missing.h5").json()["message"],
        "File not found!"
    );
    // No file parameter when serving a folder: h5grove's 400.
    assert_eq!(get(s.port, "/meta/?path=/").status, 400);
    // The viewer's listing never shows what lies behind symlinks.
    let files = get(s.port, "/files").json();
    let names: Vec<&str> = files["files"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(names, vec!["scan.h5", "sub/inner.h5"]);
}

#[test]
fn single_file_and_defaults() {
    let dir = setup("serve-single");
    let s = serve(&[dir.join("root/scan.h5").to_str().expect("utf-8")]);
    let r = get(s.port, "/meta/?path=/RawData");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["kind"], "group");
    // Loopback only by default, with CORS as h5grove's app.
    assert!(s.base.starts_with("http://127.0.0.1:"), "{}", s.base);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let ping = get(s.port, "/");
    assert_eq!((ping.status, ping.text().as_str()), (200, "ok"));
    let head = raw(s.port, "HEAD / HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        raw(
            s.port,
            "POST /meta/ HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .status,
        405
    );
    let long = format!("GET /meta/?path={} HTTP/1.1\r\n\r\n", "a".repeat(20_000));
    assert_eq!(raw(s.port, &long).status, 431);
    assert_eq!(raw(s.port, "garbage\r\n\r\n").status, 400);
}

#[test]
fn oversized_selections_are_refused() {
    let dir = common::temp_dir("serve-big");
    // A 4 GiB float64 dataset that is all fill value: declared, never written.
    let path = dir.join("big.h5");
    let mut w = pymodaq_h5::hdf5::write::Writer::create(&path, Default::default()).expect("create");
    w.create_dataset(
        "/big",
        pymodaq_h5::hdf5::write::DatasetBuilder::new(pymodaq_h5::hdf5::write::Dtype::F64)
            .shape(&[1 << 16, 1 << 13])
            .chunks(&[256, 1024]),
    )
    .expect("dataset");
    w.close().expect("close");
    let s = serve(&["--dir", dir.to_str().expect("utf-8")]);
    for q in [
        "/data/?file=big.h5&path=/big",
        "/data/?file=big.h5&path=/big&format=bin",
        "/stats/?file=big.h5&path=/big",
    ] {
        let r = get(s.port, q);
        assert_eq!(r.status, 413, "{q}: {}", r.text());
        assert!(r.json()["message"]
            .as_str()
            .unwrap_or("")
            .contains("too large"));
    }
    // A slice of it is fine.
    let r = get(s.port, "/data/?file=big.h5&path=/big&selection=0,0:4");
    assert_eq!((r.status, r.text().as_str()), (200, "[0.0,0.0,0.0,0.0]"));
    // Strided over the whole dataset: the hull read is what is capped.
    assert_eq!(
        get(
            s.port,
            "/data/?file=big.h5&path=/big&selection=::4096,::4096"
        )
        .status,
        413
    );
}

#[test]
fn hostile_files_give_errors_not_crashes() {
    let hostile = common::root().join("fixtures/hostile");
    let s = serve(&["--dir", hostile.to_str().expect("utf-8")]);
    let files: Vec<String> = common::fixture_files()
        .into_iter()
        .filter_map(|p| {
            p.strip_prefix(&hostile)
                .ok()
                .map(|r| r.to_string_lossy().into_owned())
        })
        .collect();
    assert!(files.len() >= 30, "{files:?}");
    let mut answered = 0;
    for f in &files {
        let f = enc(f);
        let paths = get(s.port, &format!("/paths/?file={f}"));
        let mut nodes = vec!["/".to_string()];
        if paths.status == 200 {
            if let Some(list) = paths.json().as_array() {
                nodes.extend(
                    list.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .take(20),
                );
            }
        }
        for n in nodes {
            let n = enc(&n);
            for q in [
                format!("/meta/?file={f}&path={n}"),
                format!("/attr/?file={f}&path={n}"),
                format!("/data/?file={f}&path={n}"),
                format!("/data/?file={f}&path={n}&format=bin&dtype=safe"),
                format!("/data/?file={f}&path={n}&format=npy"),
                format!("/stats/?file={f}&path={n}"),
                format!("/nexus/meta/?file={f}&path={n}"),
                format!("/nexus/attr/?file={f}&path={n}"),
                format!("/nexus/data/?file={f}&path={n}"),
                format!("/nexus/paths/?file={f}&path={n}"),
            ] {
                let r = get(s.port, &q);
                assert!(
                    matches!(r.status, 200 | 404 | 413 | 422 | 500),
                    "{q}: {}",
                    r.status
                );
                if r.status != 200 {
                    assert!(r.json()["message"].is_string(), "{q}");
                }
                answered += 1;
            }
        }
    }
    assert!(answered > 200, "{answered}");
    assert_eq!(
        get(s.port, "/").text(),
        "ok",
        "the server must still answer"
    );
}

#[test]
fn hundred_concurrent_requests() {
    let s = serve(&[
        "--dir",
        common::root()
            .join("fixtures/pymodaq")
            .to_str()
            .expect("utf-8"),
    ]);
    let port = s.port;
    let threads: Vec<_> = (0..100)
        .map(|i| {
            std::thread::spawn(move || {
                let q = match i % 4 {
                    0 => "/meta/?file=pt_extended.h5&path=/RawData".to_string(),
                    1 => "/data/?file=pt_extended.h5&path=/RawData/Scan000/Detector000/Data1D/CH00/Data00&format=bin".into(),
                    2 => "/stats/?file=h5py_extended.h5&path=/RawData/Scan000/Detector000/Data1D/CH00/Data00".into(),
                    _ => "/paths/?file=pmd44_pt_modules.h5".into(),
                };
                get(port, &q)
            })
        })
        .collect();
    let results: Vec<_> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    for r in &results {
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            r.header("content-length").and_then(|v| v.parse().ok()),
            Some(r.body.len())
        );
    }
    // Keep-alive: several requests on one connection.
    let mut req = String::new();
    for _ in 0..3 {
        req.push_str("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    req.push_str("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    let r = raw(port, &req);
    assert_eq!(r.status, 200);
    assert_eq!(
        String::from_utf8_lossy(&r.body).matches("ok").count(),
        1 + 3
    );
}
