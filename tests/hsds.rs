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

use common::run_stdout as run;

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

/// PyMoDAQ's `load --json --full` document of a file or (with backend `h5pyd`) a domain.
fn pymodaq_load(py: &Path, target: &str, backend: Option<&str>) -> J {
    common::pymodaq_load_with(py_cmd(py), target, backend)
}

fn ours_load_url(url: &str) -> J {
    let f = hsds::open(url, &creds(), &pymodaq_h5::Limits::default()).unwrap();
    let name = url.rsplit('/').next().unwrap();
    pymodaq_h5::pymodaq::load_json::load_json(&f, name, true)
        .unwrap()
        .0
}

fn gen_script(py: &Path, seed: u64, out: &Path) -> J {
    gen_script_for(py, seed, out, "h5py")
}

/// A random saver script for `backend` (`h5py`, `tables`).
fn gen_script_for(py: &Path, seed: u64, out: &Path, backend: &str) -> J {
    run(
        Command::new(py)
            .arg(common::root().join("tests/py/pymodaq_script.py"))
            .args(["gen", &seed.to_string()])
            .arg(out)
            .arg(backend),
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

/// PyMoDAQ loads the domain `url` (through h5pyd) as the file `local` it was made from
/// (through h5py: h5pyd reads as h5py does), and our loader reads the domain as PyMoDAQ
/// does; differences are pushed to `failures` under `case`.
fn domain_loads_as_file(
    py: &Path,
    url: &str,
    local: &Path,
    case: &str,
    failures: &mut Vec<String>,
) {
    let mut from_domain = pymodaq_load(py, url, Some("h5pyd"));
    h5pyd_void_as_complex(&mut from_domain);
    let mut from_file = pymodaq_load(py, local.to_str().unwrap(), Some("h5py"));
    from_domain["file"] = J::Null;
    from_file["file"] = J::Null;
    let mut ours = ours_load_url(url);
    ours["file"] = J::Null;
    for (what, a, b) in [
        ("", &from_domain, &from_file),
        (" (our loader)", &ours, &from_domain),
    ] {
        let d = diff_docs(a, b);
        if !d.is_empty() {
            failures.push(format!(
                "{case}{what}:\n  {}",
                d[..d.len().min(12)].join("\n  ")
            ));
        }
    }
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
        savers_through_h5pyd(&py, &script, &url);
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
        pymodaq_h5::pymodaq::script::run_script(&doc, &local).unwrap();
        let url = domain(&ep, &format!("ours{seed}"));
        hsds::upload_file(&local, &url, &creds(), hsds::upload::IfExists::Refuse).unwrap();
        domain_loads_as_file(&py, &url, &local, &format!("seed {seed}"), &mut failures);
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

/// [`cli`], which must succeed (its error output in the failure).
fn cli_ok(args: &[&str]) -> std::process::Output {
    let out = cli(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// PyMoDAQ's savers run the saver script `script` into the domain `url` through h5pyd
/// (`tests/py/hsds_pymodaq.py run`).
fn savers_through_h5pyd(py: &Path, script: &Path, url: &str) {
    run(
        py_cmd(py)
            .arg(common::root().join("tests/py/hsds_pymodaq.py"))
            .arg("run")
            .arg(script)
            .arg(url),
        "PyMoDAQ's savers through h5pyd",
    );
}

/// h5pyd reads the domain `url` as h5py reads `file` (`tests/py/hsds_pymodaq.py compare`).
fn h5pyd_reads_as_h5py(py: &Path, url: &str, file: &Path) {
    let diffs = run(
        py_cmd(py)
            .arg(common::root().join("tests/py/hsds_pymodaq.py"))
            .arg("compare")
            .arg(url)
            .arg(file),
        "h5pyd/h5py comparison",
    );
    let diffs: Vec<String> = serde_json::from_str(&diffs).unwrap();
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn load_json_of_a_domain_is_pymodaqs_document() {
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("hsds-cli-load");
    let script = dir.join("s.json");
    gen_script(&py, 2400, &script);
    let url = domain(&ep, "cliload");
    savers_through_h5pyd(&py, &script, &url);
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
    cli_ok(&["import", desc.to_str().unwrap(), &url]);
    cli_ok(&["import", desc.to_str().unwrap(), local.to_str().unwrap()]);
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
    pymodaq_h5::pymodaq::script::run_script(&doc, &src).unwrap();
    let url2 = domain(&ep, "copied");
    cli_ok(&["import", src.to_str().unwrap(), &url2]);
    let back = dir.join("back.h5");
    cli_ok(&["export", &url2, "-o", back.to_str().unwrap()]);
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

/// The pids of the `hsds-sync` helpers of a recording into `url` that run (the recorder's
/// children in their own process group, each finishing its copy after the recorder is
/// killed; spec/hsds.md).
fn sync_helpers(url: &str) -> Vec<u32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter(|e| {
            std::fs::read(e.path().join("cmdline")).is_ok_and(|c| {
                let s = String::from_utf8_lossy(&c);
                s.contains("hsds-sync") && s.contains(url)
            })
        })
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .collect()
}

fn shape_helper_running(url: &str) -> bool {
    !sync_helpers(url).is_empty()
}

/// Domains of `/home/test/` whose name holds `part` (a staging domain left behind shows).
fn folder_domains(ep: &str, part: &str) -> Vec<String> {
    let c = hsds::client(&format!("{ep}/home/test/x.h5"), &creds()).unwrap();
    let list = || {
        c.request_domain(
            "GET",
            "/domains",
            "/home/test/",
            &[("Limit", "100000")],
            hsds::http::Body::None,
            false,
            1 << 26,
        )
    };
    // HSDS answered this listing 404 once while staging domains were deleted next to it:
    // tried again, a few times.
    let mut tries = 0;
    let bytes = loop {
        match list() {
            Err(e) if e.status() == Some(404) && tries < 5 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(200));
            }
            r => break r.unwrap(),
        }
    };
    let j: J = serde_json::from_slice(&bytes).unwrap();
    j["domains"]
        .as_array()
        .expect("domains")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .filter(|n| n.contains(part))
        .map(str::to_string)
        .collect()
}

fn wait_for_shape_helpers(url: &str) {
    let t = Instant::now();
    while shape_helper_running(url) {
        assert!(t.elapsed() < Duration::from_secs(30), "{url}: helper hangs");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Channel `j`'s value at row `k` of the recordings below (exact in binary).
fn rec_value(j: usize, k: usize) -> f64 {
    k as f64 * 4.0 + j as f64 * 0.25 - 1.5
}

/// Start `record URL` with `nch` channels fed a line every 0.7 ms, SIGKILL it after `after`,
/// wait for its copy helper to end.
fn record_and_kill(url: &str, nch: usize, flush_every: u64, after: Duration) {
    record_and_kill_when(url, nch, flush_every, &|_, _| std::thread::sleep(after));
}

/// [`record_and_kill`], killing when `moment(url, recorder's pid)` returns.
fn record_and_kill_when(url: &str, nch: usize, flush_every: u64, moment: &dyn Fn(&str, u32)) {
    use std::process::Stdio;
    let names: Vec<String> = (0..nch).map(|j| format!("c{j}")).collect();
    let mut child = record_cmd(&[url, "--names", &names.join(",")])
        .args(["--flush-every", &flush_every.to_string()])
        .args(["--flush-interval", "20ms", "--quiet"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        for k in 0..1_000_000usize {
            let vals: Vec<String> = (0..nch).map(|j| rec_value(j, k).to_string()).collect();
            if stdin
                .write_all(format!("{}\n", vals.join(", ")).as_bytes())
                .is_err()
            {
                break;
            }
            std::thread::sleep(Duration::from_micros(700));
        }
    });
    moment(url, child.id());
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    let _ = writer.join();
    wait_for_shape_helpers(url);
}

/// The index of the first NaN of a JSON value list (its length when there is none).
fn first_nan(v: &[J]) -> usize {
    v.iter().position(|x| x == "nan").unwrap_or(v.len())
}

/// The multi-channel contract after a kill, on PyMoDAQ's (h5pyd) loading of a recording of
/// `nch` channels: one DataWithAxes per channel, each channel and the time axis with the same
/// rows, every row exact in every channel (a prefix of the input: a copy the kill
/// interrupted ran to its end in its own process, spec/hsds.md). Returns the rows.
fn check_same_rows(tag: &str, doc: &J, nch: usize) -> (usize, usize) {
    // Killed after the layout was created but before its first rows: every array empty,
    // which PyMoDAQ's loader refuses (IndexError), our loader alike (compared by the caller).
    let empty = |t: &J| {
        t["array"]["shape"]
            .as_array()
            .and_then(|s| s.first())
            .is_some_and(|n| n == 0)
    };
    if doc["load_all"]["error"].is_string() {
        let arrays: Vec<&J> = doc["tree"]
            .as_array()
            .expect("tree")
            .iter()
            .filter(|t| t["kind"] == "EARRAY")
            .collect();
        assert!(
            !arrays.is_empty() && arrays.iter().all(|t| empty(t)),
            "{tag}: PyMoDAQ cannot load it: {doc}"
        );
        return (0, 0);
    }
    let all = doc["load_all"]
        .as_array()
        .unwrap_or_else(|| panic!("{tag}: PyMoDAQ cannot load it: {doc}"));
    if all.is_empty() {
        return (0, 0); // killed before the first flush
    }
    // Killed while the layout was being created (one object per request; rows come only
    // once every object exists): no rows anywhere, maybe not every channel or the time axis.
    if all.iter().all(|d| d["shape"] == serde_json::json!([0])) {
        assert!(all.len() <= nch, "{tag}: {} DataWithAxes", all.len());
        return (0, 0);
    }
    assert_eq!(all.len(), nch, "{tag}: {} DataWithAxes", all.len());
    let chans: Vec<&Vec<J>> = all
        .iter()
        .map(|d| d["data"][0]["values"].as_array().expect("values"))
        .collect();
    let times: Vec<&Vec<J>> = all
        .iter()
        .map(|d| {
            assert_eq!(d["axes"][0]["label"], "time", "{tag}");
            d["axes"][0]["data"]["values"].as_array().expect("time")
        })
        .collect();
    let n = chans[0].len();
    let lens: Vec<usize> = chans.iter().map(|c| c.len()).collect();
    for t in &times {
        assert_eq!(
            t.len(),
            n,
            "{tag}: time axis {} rows, channels {lens:?}",
            t.len()
        );
        assert_eq!(*t, times[0], "{tag}: time axes differ");
    }
    assert!(
        lens.iter().all(|&l| l == n),
        "{tag}: channels {lens:?}, time axis {n}"
    );
    let t = times[0];
    let ok = chans
        .iter()
        .map(|c| first_nan(c))
        .chain([first_nan(t)])
        .min()
        .unwrap_or(0);
    for k in 0..n {
        let time_written = t[k] != "nan";
        if time_written {
            assert!(
                t[k].as_f64().is_some_and(|x| x > 1.7e9),
                "{tag}: time {}",
                t[k]
            );
        }
        assert!(time_written, "{tag}: time of row {k} is NaN");
        for (j, c) in chans.iter().enumerate() {
            let want = J::from(rec_value(j, k));
            assert!(
                c[k] == want,
                "{tag}: channel {j} row {k} is {} (want {want}; first NaN row {ok}, time {})",
                c[k],
                t[k]
            );
        }
    }
    (n, n - ok)
}

#[test]
fn killed_multichannel_recordings_hold_the_same_rows_in_every_channel() {
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    let kills: u64 = std::env::var("PYMODAQ_H5_HSDS_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut runs = Vec::new();
    for trial in 0..kills {
        let nch = 2 + (trial % 3) as usize;
        let url = domain(&ep, &format!("kill{trial}"));
        let flush_every = 1 + rng.next() % 9;
        let after = Duration::from_millis(150 + rng.next() % 900);
        record_and_kill(&url, nch, flush_every, after);
        runs.push((url, nch, after));
    }
    // PyMoDAQ through h5pyd, one Python process for every domain.
    let mut c = py_cmd(&py);
    c.arg(common::root().join("tests/py/hsds_pymodaq.py"))
        .arg("load-many")
        .args(runs.iter().map(|r| &r.0));
    let docs: Vec<J> = serde_json::from_str(&run(&mut c, "PyMoDAQ h5pyd loads")).unwrap();
    let mut summary = Vec::new();
    let mut with_rows = 0;
    for ((url, nch, after), theirs) in runs.iter().zip(&docs) {
        let tag = format!("{nch} channels killed after {after:?} ({url})");
        let (n, unwritten) = check_same_rows(&tag, theirs, *nch);
        with_rows += usize::from(n > 0);
        // Our loader reads the same document (the same rows) as PyMoDAQ.
        let ours = ours_load_url(url);
        let d = diff_docs(&ours, theirs);
        assert!(d.is_empty(), "{tag}:\n{}", d[..d.len().min(12)].join("\n"));
        summary.push(format!("{nch}ch/{n}rows/{unwritten}nan"));
    }
    assert!(
        with_rows * 2 > runs.len(),
        "too few kills after a flush: {summary:?}"
    );
    println!(
        "{} kills: every channel and the time axis with the same rows (ours = PyMoDAQ h5pyd): {}",
        runs.len(),
        summary.join(" ")
    );
}

#[test]
fn recordings_into_hsds_hold_every_row_at_end_of_input() {
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    let url = domain(&ep, "recend");
    let n = 2500u64;
    let mut child = record_cmd(&[&url, "--names", "temperature,pressure"])
        .args(["--units", "K,mbar", "--flush-every", "1000", "--quiet"])
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

/// The id of the object at `path` in the domain of `c` (following hard links).
fn object_id(c: &hsds::Client, path: &str) -> String {
    let mut id = c.root_id().unwrap();
    for name in path.split('/').filter(|s| !s.is_empty()) {
        let l = c
            .links(&id, 1000)
            .unwrap()
            .into_iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("{path}: no {name}"));
        let hsds::objects::LinkTarget::Hard { id: next, .. } = l.target else {
            panic!("{path}: {name} is not a hard link");
        };
        id = next;
    }
    id
}

/// `record ARGS...` as the test user, its standard input piped.
fn record_cmd(args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.arg("record")
        .args(args)
        .env("HS_USERNAME", "test")
        .env("HS_PASSWORD", "test")
        .stdin(std::process::Stdio::piped());
    c
}

/// Feed lines `rows` (values [`rec_value`]) to `record ARGS...` and wait for it.
fn record_lines(args: &[&str], rows: std::ops::Range<usize>, nch: usize) -> std::process::Output {
    use std::process::Stdio;
    let mut child = record_cmd(args)
        .args(["--flush-every", "40", "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        let mut text = String::new();
        for k in rows {
            let vals: Vec<String> = (0..nch).map(|j| rec_value(j, k).to_string()).collect();
            text.push_str(&vals.join(","));
            text.push('\n');
        }
        stdin.write_all(text.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

#[test]
fn record_append_continues_a_domain_repairing_torn_and_uncommitted_rows() {
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    let det = "/RawData/Datalogger000/Detector000";
    let arrays: Vec<String> = (0..3)
        .map(|j| format!("{det}/Data0D/CH{j:02}/EnlData00"))
        .chain([format!("{det}/NavAxes/Axis00")])
        .collect();
    let url = domain(&ep, "append");
    let c = hsds::client(&url, &creds()).unwrap();
    let out = record_lines(&[&url, "--names", "a,b,c"], 0..300, 3);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: Vec<String> = arrays.iter().map(|p| object_id(&c, p)).collect();
    let rows_of = |id: &str| c.dataset(id).unwrap().dims.unwrap()[0];

    // Torn as an older version or another writer leaves it: channel b 5 rows short, the time
    // axis 3 rows long (extended, never written).
    let with_rows = |id: &str, n: u64| {
        let mut d = c.dataset(id).unwrap().dims.unwrap();
        d[0] = n;
        c.resize(id, &d).unwrap();
    };
    with_rows(&ids[1], 295);
    with_rows(&ids[3], 303);
    let out = record_lines(&[&url, "--append"], 295..345, 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("warning") && err.contains("continued after row 295"),
        "{err}"
    );
    // Uncommitted, as a recorder killed between extending and committing leaves it: every
    // array 4 rows longer than its PyMoDAQ `shape` attribute, the rows NaN.
    for id in &ids {
        with_rows(id, 349);
    }
    let out = record_lines(&[&url, "--append"], 345..400, 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("warning") && err.contains("continued after row 345"),
        "{err}"
    );
    for id in &ids {
        assert_eq!(rows_of(id), 400);
    }
    // PyMoDAQ through h5pyd and our loader: every row exact, in every channel.
    let mut cmd = py_cmd(&py);
    cmd.arg(common::root().join("tests/py/hsds_pymodaq.py"))
        .arg("load-many")
        .arg(&url);
    let docs: Vec<J> = serde_json::from_str(&run(&mut cmd, "PyMoDAQ h5pyd load")).unwrap();
    assert_eq!(check_same_rows("appended", &docs[0], 3), (400, 0));
    let ours = ours_load_url(&url);
    let d = diff_docs(&ours, &docs[0]);
    assert!(d.is_empty(), "{}", d[..d.len().min(12)].join("\n"));
    // The Logger tells what was dropped.
    let log_dir = common::temp_dir("hsds-append-log");
    let log = log_dir.join("log.txt");
    cli_ok(&[
        "export",
        &url,
        "/RawData/Logger",
        "-o",
        log.to_str().unwrap(),
    ]);
    let log = std::fs::read_to_string(&log).unwrap();
    assert_eq!(log.matches("torn recording").count(), 2, "{log}");
    assert_eq!(
        log.matches("recording continued (--append)").count(),
        2,
        "{log}"
    );

    // Refusals change nothing on the server: a domain that holds no recording.
    let plain = domain(&ep, "plain");
    let dir = common::temp_dir("hsds-append");
    let desc = dir.join("d.json");
    std::fs::write(
        &desc,
        r#"{"format": "pymodaq-h5-import/1", "backend_flavour": "h5py",
            "data": [{"name": "x", "data": [{"shape": [3], "dtype": "float64", "values": [1, 2, 3]}]}]}"#,
    )
    .unwrap();
    assert!(cli(&["import", desc.to_str().unwrap(), &plain])
        .status
        .success());
    let before = cli(&["dump", &plain]);
    assert!(before.status.success());
    let out = record_lines(&[&plain, "--append"], 0..10, 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no Datalogger group") && err.contains(&plain),
        "{err}"
    );
    let after = cli(&["dump", &plain]);
    assert_eq!(
        before.stdout, after.stdout,
        "a refused --append changed the domain"
    );
}

/// HTTPS (the `tls` feature) through a TLS-terminating proxy in front of the local HSDS, with
/// a throw-away certificate authority trusted through `PYMODAQ_H5_HSDS_CA`: `load --json` of
/// a domain gives over https what it gives over http, `import` writes over https, and an
/// endpoint whose certificate is not trusted is one clear error.
#[cfg(feature = "tls")]
#[test]
fn https_endpoints_work_through_a_tls_proxy() {
    use std::io::BufRead;
    use std::process::Stdio;
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    let hsds_py = common::root().join(".venv-hsds/bin/python");
    assert!(hsds_py.exists(), "scripts/hsds.sh setup makes .venv-hsds");
    let dir = common::temp_dir("hsds-tls");
    let upstream = ep.rsplit(':').next().unwrap().to_string();
    let mut proxy = Command::new(&hsds_py)
        .arg(common::root().join("tests/py/tls_proxy.py"))
        .arg(&dir)
        .arg(&upstream)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(proxy.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().parse().expect("the proxy's port");
    let ca = dir.join("ca.pem");
    let tls = |args: &[&str], trust: bool| {
        let mut c = Command::new(bin());
        c.args(args)
            .env("HS_USERNAME", "test")
            .env("HS_PASSWORD", "test");
        if trust {
            c.env("PYMODAQ_H5_HSDS_CA", &ca);
        } else {
            c.env_remove("PYMODAQ_H5_HSDS_CA");
        }
        c.output().unwrap()
    };
    let result = std::panic::catch_unwind(|| {
        let script = dir.join("s.json");
        gen_script(&py, 2600, &script);
        let url = domain(&ep, "tls");
        savers_through_h5pyd(&py, &script, &url);
        let https = url.replace(&ep, &format!("https://127.0.0.1:{port}"));
        let plain = cli(&["load", "--json", "--full", &url]);
        let secure = tls(&["load", "--json", "--full", &https], true);
        // Exit 3 when some entry carries PyMoDAQ's error: the same both ways.
        assert!(
            matches!(secure.status.code(), Some(0 | 3))
                && secure.status.code() == plain.status.code(),
            "{:?} {:?}: {}",
            secure.status,
            plain.status,
            String::from_utf8_lossy(&secure.stderr)
        );
        assert!(!plain.stdout.is_empty());
        assert_eq!(
            plain.stdout, secure.stdout,
            "https and http documents differ"
        );
        // Writing over https: the domain PyMoDAQ then reads over http.
        let desc = dir.join("d.json");
        std::fs::write(
            &desc,
            r#"{"format": "pymodaq-h5-import/1", "backend_flavour": "h5py",
                "data": [{"name": "x", "data": [{"shape": [3], "dtype": "float64", "values": [1, 2.5, 3]}]}]}"#,
        )
        .unwrap();
        let url2 = domain(&ep, "tlsimport");
        let https2 = url2.replace(&ep, &format!("https://127.0.0.1:{port}"));
        let out = tls(&["import", desc.to_str().unwrap(), &https2], true);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc = pymodaq_load(&py, &url2, Some("h5pyd"));
        assert_eq!(
            doc["load_all"][0]["data"][0]["values"],
            serde_json::json!([1.0, 2.5, 3.0]),
            "{doc}"
        );
        // Without the authority: the web roots do not trust the proxy.
        let out = tls(&["load", "--json", &https], false);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.lines().count() == 1 && err.contains(&https) && err.contains("cannot reach"),
            "{err}"
        );
        println!("https through a TLS proxy: load --json equal to http, import read by PyMoDAQ");
    });
    let _ = proxy.kill();
    let _ = proxy.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// `import FILE.h5 URL` of PyTables-flavour files (what PyMoDAQ's default backend writes):
/// PyMoDAQ through h5pyd loads the domain as PyMoDAQ's h5py backend loads the file (h5pyd
/// decodes as h5py does: fixed strings as bytes, PyTables' bitfield bools as uint8), and our
/// loader reads the domain as PyMoDAQ through h5pyd does.
#[test]
fn pytables_files_imported_to_domains_load_as_the_files() {
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("hsds-tables");
    let mut failures = Vec::new();
    for seed in seeds() {
        let script = dir.join(format!("t{seed}.json"));
        let doc = gen_script_for(&py, seed + 300, &script, "tables");
        let local = dir.join(format!("t{seed}.h5"));
        pymodaq_h5::pymodaq::script::run_script(&doc, &local).unwrap();
        let url = domain(&ep, &format!("tables{seed}"));
        cli_ok(&["import", local.to_str().unwrap(), &url]);
        domain_loads_as_file(&py, &url, &local, &format!("seed {seed}"), &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Objects beyond PyMoDAQ's layout, written to a domain as h5pyd writes them: soft links
/// (dangling too), external links, a second hard link to a dataset and to a group,
/// variable-length string datasets (scalar, 1-D, 2-D, extensible), padded compounds (packed
/// by HSDS, values and fill value kept). h5pyd reads the domain as h5py reads the file, link by
/// link and value by value. Object references have no HSDS form here: refused by name.
#[test]
fn links_vlen_strings_and_padded_compounds_upload_as_h5pyd_reads_them() {
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("hsds-kinds");
    let file = dir.join("kinds.h5");
    run(
        Command::new(&py)
            .arg(common::root().join("tests/py/hsds_pymodaq.py"))
            .arg("kinds")
            .arg(&file),
        "h5py writer",
    );
    let url = domain(&ep, "kinds");
    cli_ok(&["import", file.to_str().unwrap(), &url]);
    h5pyd_reads_as_h5py(&py, &url, &file);
    // Object references: one clear error naming the dataset, and no domain left behind.
    let refs = dir.join("refs.h5");
    run(
        Command::new(&py).arg("-c").arg(format!(
            "import h5py\nwith h5py.File({:?}, 'w') as f:\n    d = f.create_dataset('d', data=[1])\n    f.create_dataset('r', data=[d.ref], dtype=h5py.ref_dtype)",
            refs.to_str().unwrap()
        )),
        "h5py references",
    );
    let url2 = domain(&ep, "refs");
    let out = cli(&["import", refs.to_str().unwrap(), &url2]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("/r") && err.contains("reference"), "{err}");
    assert!(!hsds::client(&url2, &creds()).unwrap().exists().unwrap());
}

/// Reading what h5pyd writes beyond PyMoDAQ's layout (the in-memory image holds it all):
/// soft links (absolute, relative, dangling), external links, second hard links to a dataset
/// and a group and a cycle, variable-length string datasets (UTF-8 and ASCII, scalar, 1-D of
/// 5000, 2-D, extensible), object references (a dataset with a null one, a 2-D one,
/// attributes). `export URL` writes the image: h5pyd's reading of the domain equals h5py's of
/// the file, link by link, value by value (a reference: the same object); our `dump --json
/// URL` equals h5py's dump of that file; our reader follows the links to the same values.
#[test]
fn links_vlen_strings_and_references_written_by_h5pyd_read_as_h5pyd_reads_them() {
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    let dir = common::temp_dir("hsds-kinds-read");
    let url = domain(&ep, "h5pyd_kinds");
    run(
        py_cmd(&py)
            .arg(common::root().join("tests/py/hsds_pymodaq.py"))
            .arg("kinds-domain")
            .arg(&url),
        "h5pyd writer",
    );
    let back = dir.join("back.h5");
    cli_ok(&["export", &url, "-o", back.to_str().unwrap()]);
    h5pyd_reads_as_h5py(&py, &url, &back);
    let out = cli_ok(&["dump", "--json", &url]);
    let mut ours: J = serde_json::from_slice(&out.stdout).unwrap();
    let mut theirs: J = serde_json::from_str(&run(
        Command::new(&py)
            .arg(common::root().join("fixtures/gen/h5py_dump.py"))
            .arg(&back),
        "h5py dump",
    ))
    .unwrap();
    ours["file"] = J::Null;
    theirs["file"] = J::Null;
    let d = diff_docs(&ours, &theirs);
    assert!(d.is_empty(), "{}", d[..d.len().min(20)].join("\n"));
    let kinds: Vec<&str> = ["soft", "dangling", "ext", "again", "g2"]
        .iter()
        .map(|k| ours["root"]["children"][k]["kind"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        kinds,
        [
            "soft_link",
            "soft_link",
            "external_link",
            "dataset",
            "hard_link_to_seen_object"
        ]
    );
    // Our reader on the domain: links followed to the values h5pyd wrote.
    let f = hsds::open(&url, &creds(), &pymodaq_h5::Limits::default()).unwrap();
    for p in [
        "/soft",
        "/again",
        "/g/data",
        "/g2/data",
        "/g/sub/up/data",
        "/g/rel",
    ] {
        let pymodaq_h5::hdf5::read::Node::Dataset(d) = f.get(p).unwrap() else {
            panic!("{p} is no dataset")
        };
        assert_eq!(
            d.read::<f64>().unwrap(),
            [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            "{p}"
        );
    }
    assert!(f.get("/rel").is_err() && f.get("/dangling").is_err());
}

/// The earliest moments of a recording into HSDS, each hit deterministically by watching the
/// recorder's copy helpers (`hsds-sync`, one per flush, the first one creating the domain):
/// the recorder is SIGKILLed right at its start, while the first copy (the creation) runs,
/// as soon as the domain exists, while the first and the second flush's copies run. Once the
/// helper ended: no domain (killed before the first copy started) or one that PyMoDAQ
/// through h5pyd opens read-only and loads (every node with its attributes, the root's
/// `CLASS` among them: PyMoDAQ's loader writes a missing one, which a read-only domain
/// refuses, "No write intent"), with every channel and the time axis at the same rows, our
/// loader equal; no staging domain left behind.
#[test]
fn record_killed_at_its_earliest_moments_leaves_a_loadable_domain() {
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    let poll = |what: &str, url: &str, done: &dyn Fn() -> bool| {
        let t = Instant::now();
        while !done() {
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "{what} never happened for {url}"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
    };
    // Kill when the n-th copy helper (0: the creation) is seen running: the recorder's
    // children, read from /proc/PID/task/*/children (one small file per thread, fast enough
    // to see every helper, each of which runs for milliseconds).
    let at_helper = |n: usize| {
        move |url: &str, pid: u32| {
            let seen = std::cell::RefCell::new(std::collections::BTreeSet::new());
            poll("the copy helper", url, &|| {
                let mut s = seen.borrow_mut();
                if let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/task")) {
                    for t in rd.flatten() {
                        if let Ok(text) = std::fs::read_to_string(t.path().join("children")) {
                            s.extend(text.split_whitespace().map(str::to_string));
                        }
                    }
                }
                s.len() > n
            });
        }
    };
    let mut runs: Vec<(String, usize, &str)> = Vec::new();
    type Moment<'a> = (&'a str, Box<dyn Fn(&str, u32) + 'a>);
    let moments: Vec<Moment> = vec![
        ("at start", Box::new(|_: &str, _: u32| {})),
        ("during the creation", Box::new(at_helper(0))),
        (
            "as the domain appears",
            Box::new(|url: &str, _: u32| {
                let c = hsds::client(url, &creds()).unwrap();
                poll("the domain", url, &|| c.exists().unwrap());
            }),
        ),
        ("during the first flush", Box::new(at_helper(1))),
        ("during the second flush", Box::new(at_helper(2))),
    ];
    for (i, (what, moment)) in moments.iter().enumerate() {
        for nch in [2usize, 3] {
            let url = domain(&ep, &format!("early{i}"));
            record_and_kill_when(&url, nch, 3, moment.as_ref());
            runs.push((url, nch, what));
        }
    }
    let present: Vec<&(String, usize, &str)> = runs
        .iter()
        .filter(|r| hsds::client(&r.0, &creds()).unwrap().exists().unwrap())
        .collect();
    // Only a kill at the very start may leave no domain.
    for r in &runs {
        assert!(
            r.2 == "at start" || present.iter().any(|p| p.0 == r.0),
            "{}: no domain after a kill {}",
            r.0,
            r.2
        );
    }
    let mut c = py_cmd(&py);
    c.arg(common::root().join("tests/py/hsds_pymodaq.py"))
        .arg("load-many")
        .args(present.iter().map(|r| &r.0));
    let docs: Vec<J> = serde_json::from_str(&run(&mut c, "PyMoDAQ h5pyd loads")).unwrap();
    let mut summary = Vec::new();
    for ((url, nch, what), theirs) in present.iter().map(|r| (&r.0, r.1, r.2)).zip(&docs) {
        let tag = format!("{nch} channels killed {what} ({url})");
        assert!(theirs.get("error").is_none(), "{tag}: {theirs}");
        for e in theirs["tree"].as_array().expect("tree") {
            assert!(e.get("error").is_none(), "{tag}: {e}");
            assert!(
                e["attrs"].get("CLASS").is_some(),
                "{tag}: {} has no CLASS",
                e["path"]
            );
        }
        let (n, _) = check_same_rows(&tag, theirs, nch);
        let ours = ours_load_url(url);
        let d = diff_docs(&ours, theirs);
        assert!(d.is_empty(), "{tag}:\n{}", d[..d.len().min(12)].join("\n"));
        summary.push(format!("{what}/{nch}ch: {n} rows"));
    }
    for r in &runs {
        let name = r.0.rsplit('/').next().unwrap();
        let left = folder_domains(&ep, &format!("{name}.pymodaq-h5-partial"));
        assert!(left.is_empty(), "staging domains left behind: {left:?}");
    }
    println!(
        "{} early kills, {} domains, PyMoDAQ (h5pyd) loads each: {}",
        runs.len(),
        present.len(),
        summary.join("; ")
    );
}

/// Readers polling a domain while `record` writes it (3 channels, a copy every 150 lines):
/// - our reader (`hsds::open` + the loader, what `load --json URL` runs) never sees a torn
///   recording: every channel and the time axis hold the same rows, every row exact (it
///   reads each EARRAY's `shape` attribute before its values and keeps the rows committed
///   in all of them, spec/hsds.md);
/// - PyMoDAQ through h5pyd, which reads each dataset at its own moment: each DataWithAxes
///   with its time axis at its channel's rows (the time axis is extended first; PyMoDAQ cuts
///   a longer axis), every value exact or NaN (rows extended ahead of the recording and not
///   yet written: the fill value, never a plausible number); channels read at different
///   moments may hold different rows; a reading may fail in h5pyd's reshape (shape read
///   before the values) when an extent grows in between, which the extents running ahead
///   of the rows make rare: PyMoDAQ must load the domain at least once.
#[test]
fn live_readers_never_see_a_torn_recording() {
    let Some(ep) = endpoint() else { return };
    let Some(py) = common::python() else { return };
    use std::process::Stdio;
    let url = domain(&ep, "live");
    let nch = 3usize;
    let mut child = record_cmd(&[&url, "--names", "a,b,c"])
        .args([
            "--flush-every",
            "150",
            "--flush-interval",
            "200ms",
            "--quiet",
        ])
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let t = Instant::now();
        let mut k = 0usize;
        while t.elapsed() < Duration::from_secs(8) {
            let vals: Vec<String> = (0..nch).map(|j| rec_value(j, k).to_string()).collect();
            stdin
                .write_all(format!("{}\n", vals.join(", ")).as_bytes())
                .unwrap();
            k += 1;
            std::thread::sleep(Duration::from_millis(1));
        }
        k
    });
    // Wait for the first rows.
    let c = hsds::client(&url, &creds()).unwrap();
    let t = Instant::now();
    loop {
        assert!(t.elapsed() < Duration::from_secs(30), "no rows in {url}");
        if c.exists().unwrap() {
            let doc = ours_load_url(&url);
            if check_same_rows("first rows (ours)", &doc, nch).0 > 0 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let poller = py_cmd(&py)
        .arg(common::root().join("tests/py/hsds_pymodaq.py"))
        .args(["load-poll", &url, "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ours = Vec::new();
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(5) {
        let doc = ours_load_url(&url);
        let tag = format!("our reading {} of {url}", ours.len());
        ours.push(check_same_rows(&tag, &doc, nch).0);
    }
    let out = poller.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = feeder.join().unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let theirs: Vec<J> = serde_json::from_slice(&out.stdout).unwrap();
    let mut their_rows = Vec::new();
    let mut nan_values = 0;
    let mut h5pyd_reshape = 0;
    for (i, doc) in theirs.iter().enumerate() {
        let tag = format!("PyMoDAQ reading {i} of {url}");
        // h5pyd reads a dataset's shape, then its values without a selection, and reshapes
        // them to the shape it read: a copy extending the dataset in between makes that
        // fail (h5pyd 1.0 reading any growing domain, PyMoDAQ's own writer's too).
        let failed = doc
            .get("error")
            .or_else(|| doc["load_all"].get("error"))
            .and_then(J::as_str);
        if let Some(e) = failed {
            assert!(e.contains("cannot reshape array"), "{tag}: {doc}");
            h5pyd_reshape += 1;
            continue;
        }
        assert!(doc.get("error").is_none(), "{tag}: {doc}");
        let all = doc["load_all"]
            .as_array()
            .unwrap_or_else(|| panic!("{tag}: {}", doc["load_all"]));
        assert_eq!(all.len(), nch, "{tag}");
        let mut rows = Vec::new();
        for (j, d) in all.iter().enumerate() {
            assert_eq!(d["axes"][0]["label"], "time", "{tag}");
            let v = d["data"][0]["values"].as_array().expect("values");
            let t = d["axes"][0]["data"]["values"].as_array().expect("time");
            assert_eq!(v.len(), t.len(), "{tag}: channel {j} and its time axis");
            for (k, x) in v.iter().enumerate() {
                let exact = x.as_f64() == Some(rec_value(j, k));
                nan_values += usize::from(!exact);
                assert!(exact || x == "nan", "{tag}: channel {j} row {k} is {x}");
                assert!(
                    t[k] == "nan" || t[k].as_f64().is_some_and(|s| s > 1.7e9),
                    "{tag}: time {}",
                    t[k]
                );
            }
            rows.push(v.len());
        }
        their_rows.push(rows);
    }
    let distinct = |v: &[usize]| v.iter().collect::<std::collections::BTreeSet<_>>().len();
    assert!(
        distinct(&ours) >= 3,
        "the recording did not grow while read: {ours:?}"
    );
    assert!(
        !their_rows.is_empty(),
        "PyMoDAQ read the domain {} times ({h5pyd_reshape} h5pyd reshape failures)",
        their_rows.len()
    );
    // At end of input every reader finds every row.
    let end = ours_load_url(&url);
    assert_eq!(check_same_rows("at end", &end, nch).0, lines);
    println!(
        "live: {} readings of ours (rows {:?}..{:?}, never torn), {} of PyMoDAQ h5pyd (rows per channel {:?}, {nan_values} NaN values of copies in progress, {h5pyd_reshape} failed in h5pyd's reshape); {lines} rows at end",
        ours.len(),
        ours.first(),
        ours.last(),
        theirs.len(),
        their_rows
    );
}

/// A fake HSDS answering by request path: the first route whose prefix the path starts with
/// (`GET /` is the domain) answers; anything else is a 404.
fn routed_server(routes: Vec<(&'static str, Vec<u8>)>) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 1 << 16 {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&req)
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            let path = line
                .split(' ')
                .nth(1)
                .unwrap_or("")
                .split('?')
                .next()
                .unwrap_or("")
                .to_string();
            let answer = routes
                .iter()
                .find(|(p, _)| {
                    if *p == "/" {
                        path == "/"
                    } else {
                        path.starts_with(p)
                    }
                })
                .map(|(_, a)| a.clone())
                .unwrap_or_else(|| http("404 Not Found", b"no route"));
            let _ = s.write_all(&answer);
        }
    });
    format!("http://{addr}/home/x/y.h5")
}

/// Hostile or broken answers past the domain's first request (links, attributes, dataset
/// documents, values): `hsds::open` and `load --json URL` end with one clear line naming
/// the server, never a panic, and never allocate what a hostile shape claims.
#[test]
fn hostile_answers_inside_a_domain_give_one_clear_error() {
    let limits = pymodaq_h5::Limits::default();
    let ok = |b: &str| http("200 OK", b.as_bytes());
    let root = || ("/", ok(r#"{"root": "g-1", "class": "domain"}"#));
    let no_attrs = || ("/groups/g-1/attributes", ok(r#"{"attributes": []}"#));
    let one_dataset = || {
        (
            "/groups/g-1/links",
            ok(
                r#"{"links": [{"title": "d", "class": "H5L_TYPE_HARD", "id": "d-1", "collection": "datasets"}]}"#,
            ),
        )
    };
    let f64t = r#"{"class": "H5T_FLOAT", "base": "H5T_IEEE_F64LE"}"#;
    let mut nested = f64t.to_string();
    for _ in 0..40 {
        nested = format!(r#"{{"class": "H5T_ARRAY", "dims": [2], "base": {nested}}}"#);
    }
    // A domain whose root holds one dataset of type `ty` and `dims`, answering a read of its
    // values with `value` (routes match by prefix: the dataset's own route last).
    let dataset = |ty: &str, dims: &str, value: Option<Vec<u8>>| {
        let mut r = vec![
            root(),
            no_attrs(),
            one_dataset(),
            ("/datasets/d-1/attributes", ok(r#"{"attributes": []}"#)),
        ];
        r.extend(value.map(|v| ("/datasets/d-1/value", v)));
        let doc =
            format!(r#"{{"type": {ty}, "shape": {{"class": "H5S_SIMPLE", "dims": [{dims}]}}}}"#);
        r.push(("/datasets/d-1", ok(&doc)));
        r
    };
    let short_values = {
        let mut v = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 8\r\nConnection: close\r\n\r\n".to_vec();
        v.extend_from_slice(&[0u8; 8]);
        v
    };
    type Case<'a> = (&'a str, Vec<(&'static str, Vec<u8>)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            "a dataset claiming 2^50 rows",
            dataset(f64t, "1125899906842624", None),
            "exceeds the limit",
        ),
        (
            "a type nested 40 deep",
            dataset(&nested, "1", None),
            "unsupported",
        ),
        (
            "values shorter than the shape",
            dataset(f64t, "1000", Some(short_values)),
            "127.0.0.1",
        ),
        (
            "an unknown link class",
            vec![
                root(),
                no_attrs(),
                (
                    "/groups/g-1/links",
                    ok(r#"{"links": [{"title": "x", "class": "H5L_TYPE_WORMHOLE"}]}"#),
                ),
            ],
            "link class",
        ),
        (
            "links that are not a list",
            vec![
                root(),
                no_attrs(),
                ("/groups/g-1/links", ok(r#"{"links": {"a": 1}}"#)),
            ],
            "not a list",
        ),
        (
            "a 503 listing the links",
            vec![
                root(),
                no_attrs(),
                (
                    "/groups/g-1/links",
                    http("503 Service Unavailable", b"busy"),
                ),
            ],
            "HTTP 503",
        ),
        (
            "an attribute whose value does not fit its shape",
            vec![
                root(),
                (
                    "/groups/g-1/attributes",
                    ok(&format!(
                        r#"{{"attributes": [{{"name": "a", "type": {f64t}, "shape": {{"class": "H5S_SIMPLE", "dims": [4]}}, "value": [1, 2]}}]}}"#
                    )),
                ),
            ],
            "attribute a",
        ),
        (
            "a link name with a slash",
            vec![
                root(),
                no_attrs(),
                (
                    "/groups/g-1/links",
                    ok(
                        r#"{"links": [{"title": "a/b", "class": "H5L_TYPE_HARD", "id": "g-2", "collection": "groups"}]}"#,
                    ),
                ),
            ],
            "link name",
        ),
    ];
    for (what, routes, want) in cases {
        let url = routed_server(routes);
        let e = hsds::open(&url, &creds(), &limits).unwrap_err().to_string();
        assert!(
            e.contains(want) && e.contains("127.0.0.1") && e.lines().count() == 1,
            "{what}: want {want:?}, got {e}"
        );
        let out = cli(&["load", "--json", &url]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {err}");
        assert!(
            err.trim().lines().count() == 1
                && err.contains("127.0.0.1")
                && !err.contains("panicked"),
            "{what}: {err}"
        );
    }
}
