//! HSDS (h5pyd's server) as the second backend, against a real HSDS on loopback
//! (`scripts/hsds.sh start`, which `scripts/test.sh` runs; the endpoint comes in
//! `PYMODAQ_H5_HSDS`):
//! - domains PyMoDAQ 5.x writes through h5pyd (random saver scripts) load in our loader exactly
//!   as PyMoDAQ loads them (backend `h5pyd`);
//! - the same scripts run by our savers and uploaded load in PyMoDAQ (h5pyd) exactly as our
//!   local file loads in PyMoDAQ;
//! - `export`/`import` copy files to and from domains (h5py reads what h5pyd reads);
//! - a server that answers badly gives one clear error, never a panic or a hang.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use pymodaq_h5::hsds::{self, Credentials};
use serde_json::Value as J;

fn endpoint() -> Option<String> {
    if let Ok(e) = std::env::var("PYMODAQ_H5_HSDS") {
        if !e.is_empty() {
            return Some(e);
        }
    }
    let why = std::env::var("PYMODAQ_H5_HSDS_SKIP").ok();
    assert!(
        std::env::var_os("CI").is_none() || why.is_some(),
        "no HSDS server: scripts/test.sh starts one (scripts/hsds.sh start) and sets PYMODAQ_H5_HSDS"
    );
    eprintln!(
        "\n*** HSDS TEST SKIPPED: {} ***\n*** run `scripts/hsds.sh setup && scripts/hsds.sh start` and set PYMODAQ_H5_HSDS=http://127.0.0.1:5101 ***\n",
        why.unwrap_or_else(|| "no HSDS server (PYMODAQ_H5_HSDS unset)".into())
    );
    None
}

fn creds() -> Credentials {
    Credentials {
        user: Some("test".into()),
        password: Some("test".into()),
    }
}

/// A fresh domain URL under /home/test/.
fn domain(ep: &str, tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    format!("{ep}/home/test/{tag}_{}_{n}.h5", std::process::id())
}

fn py_cmd(py: &Path) -> Command {
    let mut c = Command::new(py);
    c.env("HS_USERNAME", "test")
        .env("HS_PASSWORD", "test")
        .env("QT_QPA_PLATFORM", "offscreen");
    c
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// PyMoDAQ's `load --json --full` document of a file or (with backend `h5pyd`) a domain.
fn pymodaq_load(py: &Path, target: &str, backend: Option<&str>) -> J {
    let mut c = py_cmd(py);
    c.arg(common::root().join("fixtures/gen/pymodaq_load.py"))
        .arg(target)
        .arg("--full");
    if let Some(b) = backend {
        c.args(["--backend", b]);
    }
    let out = c.output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "PyMoDAQ cannot open {target}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ours_load_url(url: &str) -> J {
    let f = hsds::open(url, &creds(), &pymodaq_h5::Limits::default()).unwrap();
    let name = url.rsplit('/').next().unwrap();
    pymodaq_h5::pymodaq::load_json::load_json(&f, name, true)
        .unwrap()
        .0
}

fn gen_script(py: &Path, seed: u64, out: &Path) -> J {
    run(
        Command::new(py)
            .arg(common::root().join("tests/py/pymodaq_script.py"))
            .args(["gen", &seed.to_string()])
            .arg(out)
            .arg("h5py"),
        "script generator",
    );
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

fn seeds() -> Vec<u64> {
    let n: u64 = std::env::var("PYMODAQ_H5_HSDS_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    (2000..2000 + n).collect()
}

/// h5pyd 1.0 reads an HDF5 `{r, i}` compound as a structured `np.void`, where h5py gives
/// complex numbers (spec/hsds.md, "h5pyd differences"): map the first form to the second in
/// PyMoDAQ's h5pyd documents, so that everything else is compared exactly. Returns how many
/// arrays were mapped.
fn h5pyd_void_as_complex(doc: &mut J) -> usize {
    fn num(t: &str) -> J {
        match t.trim() {
            "nan" => J::from("nan"),
            "inf" => J::from("inf"),
            "-inf" => J::from("-inf"),
            x => serde_json::from_str(x).unwrap_or_else(|_| panic!("not a number: {x}")),
        }
    }
    let mut n = 0;
    match doc {
        J::Object(m) => {
            let void = match m.get("dtype").and_then(J::as_str) {
                Some("void128") => Some("complex128"),
                Some("void64") => Some("complex64"),
                _ => None,
            };
            if let Some(c) = void {
                m.insert("dtype".into(), J::from(c));
                for key in ["values", "head"] {
                    if let Some(J::Array(vals)) = m.get_mut(key) {
                        for v in vals.iter_mut() {
                            let r = v["$repr"].as_str().expect("np.void repr").to_string();
                            let inner = r
                                .strip_prefix("np.void((")
                                .and_then(|x| x.split_once("), dtype="))
                                .expect("np.void((re, im), dtype=...)")
                                .0;
                            let (re, im) = inner.split_once(',').unwrap();
                            *v = J::Array(vec![num(re), num(im)]);
                        }
                    }
                }
                n += 1;
            }
            for v in m.values_mut() {
                n += h5pyd_void_as_complex(v);
            }
        }
        J::Array(a) => {
            for v in a {
                n += h5pyd_void_as_complex(v);
            }
        }
        _ => {}
    }
    n
}

fn diff_docs(a: &J, b: &J) -> Vec<String> {
    let mut d = Vec::new();
    common::diff("", a, b, &mut d);
    d
}

#[test]
fn pymodaq_h5pyd_domains_load_as_pymodaq_loads_them() {
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("hsds-theirs");
    let mut failures = Vec::new();
    for seed in seeds() {
        let script = dir.join(format!("s{seed}.json"));
        gen_script(&py, seed, &script);
        let url = domain(&ep, &format!("theirs{seed}"));
        run(
            py_cmd(&py)
                .arg(common::root().join("tests/py/hsds_pymodaq.py"))
                .arg("run")
                .arg(&script)
                .arg(&url),
            "PyMoDAQ's savers through h5pyd",
        );
        let mut theirs = pymodaq_load(&py, &url, Some("h5pyd"));
        h5pyd_void_as_complex(&mut theirs);
        let ours = ours_load_url(&url);
        let d = diff_docs(&ours, &theirs);
        if !d.is_empty() {
            failures.push(format!(
                "seed {seed}:\n  {}",
                d[..d.len().min(12)].join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!(
        "{} PyMoDAQ h5pyd domains: our loader = PyMoDAQ's",
        seeds().len()
    );
}

#[test]
fn our_saver_scripts_on_hsds_load_in_pymodaq_as_the_same_file() {
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("hsds-ours");
    let mut failures = Vec::new();
    for seed in seeds() {
        let script = dir.join(format!("s{seed}.json"));
        let doc = gen_script(&py, seed + 100, &script);
        let local = dir.join(format!("s{seed}.h5"));
        pymodaq_h5::pymodaq::save::script::run_script(&doc, &local).unwrap();
        let url = domain(&ep, &format!("ours{seed}"));
        hsds::upload_file(&local, &url, &creds(), hsds::upload::IfExists::Refuse).unwrap();
        let mut from_domain = pymodaq_load(&py, &url, Some("h5pyd"));
        h5pyd_void_as_complex(&mut from_domain);
        let mut from_file = pymodaq_load(&py, local.to_str().unwrap(), Some("h5py"));
        from_domain["file"] = J::Null;
        from_file["file"] = J::Null;
        let d = diff_docs(&from_domain, &from_file);
        if !d.is_empty() {
            failures.push(format!(
                "seed {seed}:\n  {}",
                d[..d.len().min(12)].join("\n  ")
            ));
        }
        // And our loader reads the domain as PyMoDAQ does.
        let mut ours = ours_load_url(&url);
        ours["file"] = J::Null;
        let d = diff_docs(&ours, &from_domain);
        if !d.is_empty() {
            failures.push(format!(
                "seed {seed} (our loader):\n  {}",
                d[..d.len().min(12)].join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A one-shot HTTP server answering every request with `answer` (or stalling).
fn fake_server(answer: Vec<u8>, stall: bool) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            if stall {
                std::thread::sleep(Duration::from_secs(20));
            }
            let _ = s.write_all(&answer);
        }
    });
    format!("http://{addr}/home/x/y.h5")
}

fn http(status: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    v.extend_from_slice(body);
    v
}

#[test]
fn bad_servers_give_one_clear_error() {
    let limits = pymodaq_h5::Limits::default();
    let c = creds();
    // Nothing listening.
    let dead = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let a = l.local_addr().unwrap();
        drop(l);
        format!("http://{a}/home/x/y.h5")
    };
    let e = hsds::open(&dead, &c, &limits).unwrap_err().to_string();
    assert!(
        e.contains(&dead[..dead.len() - 12]) && e.contains("cannot reach"),
        "{e}"
    );
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (http("404 Not Found", b"404: Not Found"), "HTTP 404"),
        (http("401 Unauthorized", b""), "HTTP 401"),
        (http("500 Internal Server Error", b"boom"), "HTTP 500"),
        (http("200 OK", b"{not json"), "invalid JSON"),
        (http("200 OK", b"{\"root\": 5}"), "no `root`"),
        (http("200 OK", b"[1,2,3]"), "no `root`"),
        (
            http(
                "200 OK",
                format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)).as_bytes(),
            ),
            "invalid JSON",
        ),
    ];
    for (answer, want) in cases {
        let url = fake_server(answer, false);
        let e = hsds::open(&url, &c, &limits).unwrap_err().to_string();
        assert!(e.contains(want) && e.contains("127.0.0.1"), "{want}: {e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    // A huge answer is cut at the cap instead of filling memory.
    let big = {
        let mut v = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
        v.extend(std::iter::repeat_n(b' ', (65 << 20) + 10));
        v
    };
    let url = fake_server(big, false);
    let e = hsds::open(&url, &c, &limits).unwrap_err().to_string();
    assert!(e.contains("exceeds the limit"), "{e}");
    // A server that never answers: the timeout ends the request.
    let url = fake_server(http("200 OK", b"{}"), true);
    let client = pymodaq_h5::hsds::Client::new(
        pymodaq_h5::hsds::HsdsUrl::parse(&url).unwrap(),
        &c,
        Duration::from_secs(2),
    )
    .unwrap();
    let t = Instant::now();
    let e = client.root_id().unwrap_err().to_string();
    assert!(t.elapsed() < Duration::from_secs(10), "{e}");
    assert!(e.contains("cannot reach"), "{e}");
}

#[test]
fn server_runs_the_expected_data_nodes() {
    let Some(ep) = endpoint() else { return };
    let want: u64 = std::env::var("PYMODAQ_H5_HSDS_NODES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let c = hsds::client(&format!("{ep}/home/test/x.h5"), &creds()).unwrap();
    let about = c.get("/about", &[]).unwrap();
    assert_eq!(about["node_count"].as_u64(), Some(want), "{about}");
    println!("HSDS at {ep} runs {want} data node(s)");
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pymodaq-h5")
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .args(args)
        .env("HS_USERNAME", "test")
        .env("HS_PASSWORD", "test")
        .output()
        .unwrap()
}

#[test]
fn load_json_of_a_domain_is_pymodaqs_document() {
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("hsds-cli-load");
    let script = dir.join("s.json");
    gen_script(&py, 2400, &script);
    let url = domain(&ep, "cliload");
    run(
        py_cmd(&py)
            .arg(common::root().join("tests/py/hsds_pymodaq.py"))
            .arg("run")
            .arg(&script)
            .arg(&url),
        "PyMoDAQ's savers through h5pyd",
    );
    let out = cli(&["load", "--json", "--full", &url]);
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours: J = serde_json::from_slice(&out.stdout).unwrap();
    let mut theirs = pymodaq_load(&py, &url, Some("h5pyd"));
    h5pyd_void_as_complex(&mut theirs);
    let d = diff_docs(&ours, &theirs);
    assert!(d.is_empty(), "{}", d.join("\n"));
    assert_eq!(ours["file"], J::from(url.rsplit('/').next().unwrap()));
    // Credentials: wrong ones are one line naming the URL and the status.
    let out = Command::new(bin())
        .args([
            "--hsds-user",
            "test",
            "--hsds-password",
            "wrong",
            "tree",
            &url,
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&url) && err.contains("HTTP 401") && err.lines().count() == 1,
        "{err}"
    );
    let out = cli(&[
        "load",
        "--json",
        &format!("{ep}/home/test/no_such_domain.h5"),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no_such_domain.h5") && err.contains("HTTP 404"),
        "{err}"
    );
}

#[test]
fn import_and_export_copy_files_to_and_from_domains() {
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("hsds-cli-copy");
    // import DESCRIPTION.json URL: PyMoDAQ (h5pyd) loads the domain as it loads the same
    // description imported to a file.
    let desc = dir.join("d.json");
    std::fs::write(
        &desc,
        serde_json::json!({
            "format": "pymodaq-h5-import/1",
            "backend_flavour": "h5py",
            "metadata": {"author": "Zoé", "run": 7},
            "data": [
                {"name": "temperature", "units": "K", "timestamp": 1700000000.5,
                 "data": [{"shape": [1], "dtype": "float64", "values": [293.15]}]},
                {"name": "spectrum", "units": "V", "labels": ["ref", "sig"], "timestamp": 1700000001.5,
                 "data": [{"shape": [4], "dtype": "float64", "values": [1.0, 2.0, "nan", 4.0]},
                          {"shape": [4], "dtype": "float64", "values": [5.0, 6.0, 7.0, 8.0]}],
                 "axes": [{"label": "wavelength", "units": "nm", "index": 0,
                           "data": {"values": [400.0, 410.0, 425.0, 450.0]}}]},
                {"name": "image", "timestamp": 1700000002.5,
                 "data": [{"shape": [2, 3], "dtype": "uint16", "values": [1, 2, 3, 4, 5, 65535]}]},
                {"name": "mask", "timestamp": 1700000003.5,
                 "data": [{"shape": [3], "dtype": "bool", "values": [true, false, true]}]}
            ]
        })
        .to_string(),
    )
    .unwrap();
    let url = domain(&ep, "imported");
    let local = dir.join("imported.h5");
    let out = cli(&["import", desc.to_str().unwrap(), &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&["import", desc.to_str().unwrap(), local.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut a = pymodaq_load(&py, &url, Some("h5pyd"));
    let mut b = pymodaq_load(&py, local.to_str().unwrap(), None);
    for d in [&mut a, &mut b] {
        d["file"] = J::Null;
        // The root's date/time attributes are each write's own clock; `file` is the name
        // written (the local import writes through a temporary name).
        for e in d["tree"].as_array_mut().unwrap() {
            if e["path"] == "/" {
                for k in ["date", "time", "file"] {
                    e["attrs"][k] = J::Null;
                }
            }
        }
    }
    let d = diff_docs(&a, &b);
    assert!(d.is_empty(), "{}", d.join("\n"));
    // An existing domain is refused without --force, replaced with it.
    let out = cli(&["import", desc.to_str().unwrap(), &url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists"));
    assert!(cli(&["import", desc.to_str().unwrap(), &url, "--force"])
        .status
        .success());
    // Bad input writes nothing: no domain is left behind.
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"format": "pymodaq-h5-import/1", "data": [{"name": "x", "data": "nope"}]}"#,
    )
    .unwrap();
    let url_bad = domain(&ep, "bad");
    let out = cli(&["import", bad.to_str().unwrap(), &url_bad]);
    assert_eq!(out.status.code(), Some(1));
    let c = hsds::client(&url_bad, &creds()).unwrap();
    assert!(!c.exists().unwrap(), "a domain was left behind");

    // A PyMoDAQ file -> a domain (import FILE.h5 URL) -> a file again (export URL -o F.h5):
    // h5py reads the round trip as h5pyd reads the domain, and PyMoDAQ loads all three alike.
    let script = dir.join("s.json");
    let doc = gen_script(&py, 2500, &script);
    let src = dir.join("src.h5");
    pymodaq_h5::pymodaq::save::script::run_script(&doc, &src).unwrap();
    let url2 = domain(&ep, "copied");
    let out = cli(&["import", src.to_str().unwrap(), &url2]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back = dir.join("back.h5");
    let out = cli(&["export", &url2, "-o", back.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let via_h5pyd = dir.join("via_h5pyd.h5");
    run(
        py_cmd(&py)
            .arg(common::root().join("tests/py/hsds_pymodaq.py"))
            .arg("h5pyd")
            .arg(&url2)
            .arg(&via_h5pyd),
        "h5pyd copy",
    );
    let struct_of = |p: &Path| -> J {
        let s = run(
            Command::new(&py)
                .arg(common::root().join("tests/py/pymodaq_script.py"))
                .arg("struct")
                .arg(p),
            "struct",
        );
        serde_json::from_str(&s).unwrap()
    };
    let mut s_back = struct_of(&back);
    let mut s_h5pyd = struct_of(&via_h5pyd);
    // Storage choices (chunking, filters, max shape) are the writer's; the objects, their
    // attributes, dtypes, shapes and values must agree.
    for s in [&mut s_back, &mut s_h5pyd] {
        strip_storage(s);
    }
    let d = diff_docs(&s_back, &s_h5pyd);
    assert!(d.is_empty(), "{}", d[..d.len().min(20)].join("\n"));
    let mut l_src = pymodaq_load(&py, src.to_str().unwrap(), Some("h5py"));
    let mut l_back = pymodaq_load(&py, back.to_str().unwrap(), Some("h5py"));
    l_src["file"] = J::Null;
    l_back["file"] = J::Null;
    let d = diff_docs(&l_back, &l_src);
    assert!(d.is_empty(), "{}", d[..d.len().min(20)].join("\n"));
}

fn strip_storage(v: &mut J) {
    match v {
        J::Object(m) => {
            for k in [
                "chunks",
                "filters",
                "maxshape",
                "compression",
                "layout",
                "fillvalue",
            ] {
                m.remove(k);
            }
            for x in m.values_mut() {
                strip_storage(x);
            }
        }
        J::Array(a) => a.iter_mut().for_each(strip_storage),
        _ => {}
    }
}

#[test]
fn killed_recordings_leave_domains_pymodaq_opens() {
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    use std::process::Stdio;
    let base = "/RawData/Datalogger000/Detector000";
    for (trial, kill_after_ms) in [(0u32, 700u64), (1, 1300), (2, 2100)] {
        let url = domain(&ep, &format!("rec{trial}"));
        let mut child = Command::new(bin())
            .args(["record", &url, "--names", "a,b,c", "--flush-every", "7"])
            .args(["--flush-interval", "50ms", "--quiet"])
            .env("HS_USERNAME", "test")
            .env("HS_PASSWORD", "test")
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            for i in 0..100_000u64 {
                let l = format!("{i}, {}, {}\n", i as f64 + 0.5, -(i as f64));
                if stdin.write_all(l.as_bytes()).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        std::thread::sleep(Duration::from_millis(kill_after_ms));
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();
        let _ = writer.join();
        // h5pyd + PyMoDAQ open the domain; our reader too.
        let doc = pymodaq_load(&py, &url, Some("h5pyd"));
        assert!(
            doc["load_all"].is_array(),
            "trial {trial}: {}",
            doc["load_all"]
        );
        let f = hsds::open(&url, &creds(), &pymodaq_h5::Limits::default()).unwrap();
        let read = |p: &str| -> Vec<f64> {
            match f.get(p) {
                Ok(pymodaq_h5::hdf5::read::Node::Dataset(d)) => d.read::<f64>().unwrap(),
                _ => Vec::new(),
            }
        };
        let t = read(&format!("{base}/NavAxes/Axis00"));
        let chans: Vec<Vec<f64>> = (0..3)
            .map(|i| read(&format!("{base}/Data0D/CH{i:02}/EnlData00")))
            .collect();
        let lens: Vec<usize> = chans.iter().map(Vec::len).collect();
        // Rows are a prefix of the input, exact values; the time axis (sent first) is never
        // shorter than a channel; the process ran long enough to flush some rows. A request
        // cut by the kill can leave its rows extended but unwritten (HSDS extends the shape,
        // then writes): they read as the NaN fill, only as one trailing block.
        let trailing_nan = |c: &[f64]| -> usize {
            let nan = c.iter().rev().take_while(|v| v.is_nan()).count();
            assert!(
                c[..c.len() - nan].iter().all(|v| !v.is_nan()),
                "trial {trial}: NaN rows before the end"
            );
            nan
        };
        for (i, c) in chans.iter().enumerate() {
            let nan = trailing_nan(c);
            for (k, v) in c[..c.len() - nan].iter().enumerate() {
                let want = [k as f64, k as f64 + 0.5, -(k as f64)][i];
                assert!(*v == want, "trial {trial} CH{i:02} row {k}: {v} != {want}");
            }
            assert!(
                c.len() <= t.len(),
                "trial {trial}: {lens:?} vs time {}",
                t.len()
            );
        }
        let nan_t = trailing_nan(&t);
        let t_ok = &t[..t.len() - nan_t];
        assert!(
            t_ok.windows(2).all(|w| w[0] <= w[1]) && t_ok.iter().all(|&x| x > 1.7e9),
            "trial {trial}: time axis {t:?}"
        );
        assert!(
            lens.iter().all(|&n| n > 0),
            "trial {trial}: nothing recorded ({lens:?})"
        );
        println!(
            "record killed after {kill_after_ms} ms: time axis {} rows ({nan_t} NaN), channels {lens:?}",
            t.len()
        );
    }
}

#[test]
fn recordings_into_hsds_hold_every_row_at_end_of_input() {
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    use std::process::Stdio;
    let url = domain(&ep, "recend");
    let n = 2500u64;
    let mut child = Command::new(bin())
        .args([
            "record",
            &url,
            "--names",
            "temperature,pressure",
            "--units",
            "K,mbar",
        ])
        .args(["--flush-every", "1000", "--quiet"])
        .env("HS_USERNAME", "test")
        .env("HS_PASSWORD", "test")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&format!(
                "{}\t{}\n",
                290.0 + i as f64 / 8.0,
                1e-3 * i as f64
            ));
        }
        stdin.write_all(text.as_bytes()).unwrap();
    }
    assert!(child.wait().unwrap().success());
    // PyMoDAQ through h5pyd: one DataWithAxes per channel, every row, the time axis.
    let doc = pymodaq_load(&py, &url, Some("h5pyd"));
    let all = doc["load_all"].as_array().expect("load_all");
    assert_eq!(all.len(), 2, "{}", doc["load_all"]);
    for (k, dwa) in all.iter().enumerate() {
        let vals = dwa["data"][0]["values"].as_array().unwrap();
        assert_eq!(vals.len() as u64, n, "{}", dwa["name"]);
        for (i, v) in vals.iter().enumerate() {
            let want = if k == 0 {
                290.0 + i as f64 / 8.0
            } else {
                1e-3 * i as f64
            };
            assert_eq!(v.as_f64(), Some(want), "{} row {i}", dwa["name"]);
        }
        assert_eq!(dwa["axes"][0]["label"], "time", "{}", dwa["axes"]);
    }
    assert_eq!(all[1]["units"], "mbar");
    // Our loader agrees with PyMoDAQ's.
    let mut ours = ours_load_url(&url);
    let mut theirs = doc.clone();
    ours["file"] = J::Null;
    theirs["file"] = J::Null;
    let d = diff_docs(&ours, &theirs);
    assert!(d.is_empty(), "{}", d[..d.len().min(12)].join("\n"));
}
