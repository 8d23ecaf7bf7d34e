//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value as J;

pub mod recording;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every committed HDF5 fixture (`fixtures/**.h5`), sorted.
/// `$PYMODAQ_H5_FIXTURES` replaces the directory, to check any folder of files + goldens.
pub fn fixture_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let dir = std::env::var_os("PYMODAQ_H5_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("fixtures"));
    walk(&dir, &mut out);
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "h5") {
            out.push(p);
        }
    }
}

/// What a JSON document is compared against, and how strictly.
pub struct Against {
    /// The other side's name in the difference lines.
    pub name: &'static str,
    /// Relative tolerance of floats (0: equal as f64).
    pub float_rel: f64,
    /// Compare `error` / `*_error` strings on their exception type only (the load-json
    /// contract lets the message differ).
    pub error_type_only: bool,
    /// Check the key order of `children` and `attrs` objects (the dump contract).
    pub key_order: bool,
}

/// h5py through `fixtures/gen/h5py_dump.py`: exact numbers, ordered members and attributes.
pub const H5PY: Against = Against {
    name: "h5py",
    float_rel: 0.0,
    error_type_only: false,
    key_order: true,
};

/// PyMoDAQ's own loaders (`load --json` goldens): floats within 1e-12 relative (PyMoDAQ's
/// float sums may differ from ours in the last bit), errors by exception type.
pub const PYMODAQ: Against = Against {
    name: "ref",
    float_rel: 1e-12,
    error_type_only: true,
    key_order: false,
};

/// Compare two JSON documents as [`H5PY`] says.
pub fn diff(path: &str, ours: &J, theirs: &J, out: &mut Vec<String>) {
    diff_against(&H5PY, path, ours, theirs, out)
}

/// Compare two JSON documents; numbers by value (ints exactly, floats as `to` says). Pushes
/// one line per difference.
pub fn diff_against(to: &Against, path: &str, ours: &J, theirs: &J, out: &mut Vec<String>) {
    let other = to.name;
    match (ours, theirs) {
        (J::Number(a), J::Number(b)) => {
            let same = match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => {
                    let (x, y) = (
                        a.as_f64().unwrap_or(f64::NAN),
                        b.as_f64().unwrap_or(f64::NAN),
                    );
                    x == y || (x - y).abs() <= to.float_rel * x.abs().max(y.abs())
                }
            };
            if !same {
                out.push(format!("{path}: ours {a} != {other} {b}"));
            }
        }
        (J::Object(a), J::Object(b)) => {
            let exception = |v: &J| {
                v.as_str()
                    .and_then(|s| s.split(':').next())
                    .map(str::to_string)
            };
            for (k, bv) in b {
                match a.get(k) {
                    Some(av) if to.error_type_only && (k == "error" || k.ends_with("_error")) => {
                        if exception(av) != exception(bv) {
                            out.push(format!("{path}/{k}: ours {av} != {other} {bv}"));
                        }
                    }
                    Some(av) => diff_against(to, &format!("{path}/{k}"), av, bv, out),
                    None => out.push(format!("{path}: missing key {k:?}")),
                }
            }
            for k in a.keys() {
                if !b.contains_key(k) {
                    out.push(format!("{path}: extra key {k:?}"));
                }
            }
            if to.key_order && (path.ends_with("/children") || path.ends_with("/attrs")) {
                let ka: Vec<&String> = a.keys().collect();
                let kb: Vec<&String> = b.keys().collect();
                if ka != kb && ka.len() == kb.len() {
                    out.push(format!("{path}: order differs: ours {ka:?} {other} {kb:?}"));
                }
            }
        }
        (J::Array(a), J::Array(b)) => {
            if a.len() != b.len() {
                out.push(format!(
                    "{path}: length ours {} != {other} {}",
                    a.len(),
                    b.len()
                ));
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff_against(to, &format!("{path}[{i}]"), x, y, out);
            }
        }
        _ => {
            if ours != theirs {
                let s = |v: &J| {
                    let t = v.to_string();
                    match t.char_indices().nth(200) {
                        Some((i, _)) => format!("{}…", &t[..i]),
                        None => t,
                    }
                };
                out.push(format!("{path}: ours {} != {other} {}", s(ours), s(theirs)));
            }
        }
    }
}

/// `fixtures/pymodaq/*.h5` (or `$PYMODAQ_LOAD_FIXTURES`) that have a golden `*.json` next
/// to them, sorted.
pub fn pymodaq_fixtures() -> Vec<(PathBuf, PathBuf)> {
    let dir = std::env::var_os("PYMODAQ_LOAD_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("fixtures/pymodaq"));
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "h5") {
            let g = p.with_extension("json");
            if g.exists() {
                out.push((p, g));
            }
        }
    }
    out.sort();
    out
}

/// A JSON file's document.
pub fn read_json(p: &Path) -> J {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Replace error messages by a marker and apply the unsupported-filter rule to `golden`:
/// a dataset whose pipeline holds a filter we have no decoder for (szip, ...) may carry our
/// `unsupported filter` error instead of the values h5py read (and must, unless every such
/// filter was skipped for its chunks); every other dataset is compared in full.
pub fn normalise(ours: &mut J, golden: &mut J) {
    if let (J::Object(a), J::Object(b)) = (&mut *ours, &mut *golden) {
        let unsupported_filter = b
            .get("filters")
            .and_then(|f| f.as_array())
            .is_some_and(|fs| {
                fs.iter().any(|f| {
                    f.get("id")
                        .and_then(|i| i.as_u64())
                        .and_then(|i| u16::try_from(i).ok())
                        .is_none_or(|i| !pymodaq_h5::hdf5::filter::decodable(i))
                })
            });
        let refused = a
            .get("error")
            .and_then(|e| e.as_str())
            .is_some_and(|m| m.contains("unsupported filter"));
        if unsupported_filter
            && refused
            && b.get("kind").and_then(|k| k.as_str()) == Some("dataset")
        {
            for k in [
                "value",
                "sha256_le",
                "nbytes",
                "first",
                "sum",
                "len",
                "error",
            ] {
                a.remove(k);
                b.remove(k);
            }
        }
        if b.contains_key("error") && a.contains_key("error") {
            a.insert("error".into(), J::String("<error>".into()));
            b.insert("error".into(), J::String("<error>".into()));
        }
        for (k, bv) in b.iter_mut() {
            if let Some(av) = a.get_mut(k) {
                normalise(av, bv);
            }
        }
    } else if let (J::Array(a), J::Array(b)) = (ours, golden) {
        for (x, y) in a.iter_mut().zip(b.iter_mut()) {
            normalise(x, y);
        }
    }
}

/// Dump `h5` with our reader and compare with the golden JSON next to it. `Ok(false)` when
/// there is no golden; `Err(report)` listing differences.
pub fn compare_with_golden(h5: &Path) -> Result<bool, String> {
    let golden_path = h5.with_extension("json");
    let Ok(text) = std::fs::read_to_string(&golden_path) else {
        return Ok(false);
    };
    let mut golden: J = serde_json::from_str(&text).map_err(|e| format!("golden JSON: {e}"))?;
    if golden.get("format").and_then(|f| f.as_str()) != Some("pymodaq-h5-dump/1") {
        return Ok(false); // another document next to the file (e.g. a load-json golden)
    }
    let name = h5.file_name().unwrap().to_string_lossy().into_owned();
    let file =
        pymodaq_h5::hdf5::read::File::open(h5).map_err(|e| format!("{name}: open failed: {e}"))?;
    let mut ours = pymodaq_h5::dump::dump_file(&file, &name)
        .map_err(|e| format!("{name}: dump failed: {e}"))?
        .json;
    normalise(&mut ours, &mut golden);
    let mut diffs = Vec::new();
    diff("", &ours, &golden, &mut diffs);
    if diffs.is_empty() {
        Ok(true)
    } else {
        let n = diffs.len();
        diffs.truncate(15);
        Err(format!(
            "{name}: {n} differences:\n    {}",
            diffs.join("\n    ")
        ))
    }
}

/// The Python interpreter of the test venv: `$PYMODAQ_H5_PYTHON`, else `.venv/bin/python`.
/// `None` when neither exists; under CI (`$CI` set) that is a test failure.
pub fn python() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("PYMODAQ_H5_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let venv = root().join(".venv/bin/python");
    if venv.exists() {
        return Some(venv);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "no Python venv: run fixtures/gen/setup_venv.sh (scripts/test.sh does) or set PYMODAQ_H5_PYTHON"
    );
    eprintln!("NOTICE: no Python venv (.venv); interop test skipped. scripts/test.sh sets it up.");
    None
}

/// Whether `h5` has a `dump --json` golden next to it.
pub fn has_dump_golden(h5: &Path) -> bool {
    std::fs::read_to_string(h5.with_extension("json"))
        .is_ok_and(|t| t.contains("\"pymodaq-h5-dump/1\""))
}

/// A fresh, empty temporary directory for one test, removed when dropped.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for TempDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh, empty temporary directory for one test.
pub fn temp_dir(tag: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!("pymodaq-h5-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create temp dir");
    TempDir(d)
}

/// The Python interpreter of the PyMoDAQ 4.4 venv: `$PYMODAQ_H5_PYTHON44`, else
/// `.venv44/bin/python` (`fixtures/gen/setup_venv44.sh`). `None` when neither exists; under
/// CI that is a test failure.
pub fn python44() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("PYMODAQ_H5_PYTHON44") {
        return Some(PathBuf::from(p));
    }
    let venv = root().join(".venv44/bin/python");
    if venv.exists() {
        return Some(venv);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "no PyMoDAQ 4.4 venv: run fixtures/gen/setup_venv44.sh (scripts/test.sh does) or set PYMODAQ_H5_PYTHON44"
    );
    eprintln!("NOTICE: no PyMoDAQ 4.4 venv (.venv44); 4.4 checks skipped.");
    None
}

/// Runs `py SCRIPT ARGS…` (`script` relative to the repository root) and returns its output;
/// a non-zero exit fails the test with the script's stderr.
pub fn run_py<S: AsRef<std::ffi::OsStr>>(
    py: &Path,
    script: &str,
    args: impl IntoIterator<Item = S>,
) -> std::process::Output {
    let mut cmd = std::process::Command::new(py);
    cmd.arg(root().join(script)).args(args);
    run_ok(cmd, script)
}

/// Runs `py -c CODE ARGS…` and returns its output; a non-zero exit fails the test with the
/// code's stderr.
pub fn run_py_code<S: AsRef<std::ffi::OsStr>>(
    py: &Path,
    code: &str,
    args: impl IntoIterator<Item = S>,
) -> std::process::Output {
    let mut cmd = std::process::Command::new(py);
    cmd.arg("-c").arg(code).args(args);
    run_ok(cmd, "python -c")
}

fn run_ok(mut cmd: std::process::Command, what: &str) -> std::process::Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Seeded random files from a Python generator (`SCRIPT SEED COUNT DIR` writes
/// `PREFIX_SEED_I.h5` and the h5py reference dump of each), every one compared with
/// [`compare_with_golden`]; fails listing the differences. `ENV_SEEDS=1,2,3` and `ENV_COUNT`
/// widen the run. Returns how many files were compared.
pub fn random_files_match_h5py(
    py: &Path,
    script: &str,
    prefix: &str,
    env: &str,
    seeds: &[u64],
    count: u32,
) -> usize {
    let seeds: Vec<u64> = std::env::var(format!("{env}_SEEDS"))
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| seeds.to_vec());
    let count: u32 = std::env::var(format!("{env}_COUNT"))
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(count);
    let dir = temp_dir(&format!("random-{prefix}"));
    let mut failures = Vec::new();
    let mut compared = 0;
    for seed in seeds {
        let args = [
            seed.to_string().into(),
            count.to_string().into(),
            dir.as_os_str().to_owned(),
        ];
        run_py::<std::ffi::OsString>(py, script, args);
        for i in 0..count {
            let h5 = dir.join(format!("{prefix}_{seed}_{i}.h5"));
            match compare_with_golden(&h5) {
                Ok(true) => compared += 1,
                Ok(false) => failures.push(format!("{}: no golden written", h5.display())),
                Err(report) => {
                    compared += 1;
                    failures.push(report);
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} random files differ from h5py:\n{}",
        failures.len(),
        failures.join("\n")
    );
    compared
}

/// The tests' one pseudo-random generator (xorshift64): seeded, reproducible, no crate.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// One of `items` (which must not be empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A seed from the clock (odd: xorshift never leaves 0), printed so a failing run can be
/// told apart.
pub fn time_seed(what: &str) -> u64 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    eprintln!("{what} seed {seed}");
    seed
}

/// Re-runs this test binary's test `child` with `envs` (the child writes and prints
/// `FLUSHED n` after each commit it made), SIGKILLs it after `delay`, and returns the last
/// `n` it printed (`None` when it printed none).
pub fn kill_child(
    child: &str,
    envs: &[(&str, &std::ffi::OsStr)],
    delay: std::time::Duration,
) -> Option<u64> {
    use std::io::BufRead;
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = std::process::Command::new(exe);
    cmd.args([child, "--exact", "--nocapture", "--test-threads=1"]);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut c = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn the child");
    let stdout = c.stdout.take().expect("child stdout");
    let reader = std::thread::spawn(move || {
        let mut last: Option<u64> = None;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(|l| l.ok())
        {
            if let Some(n) = line.strip_prefix("FLUSHED ") {
                last = n.trim().parse().ok();
            }
        }
        last
    });
    std::thread::sleep(delay);
    c.kill().expect("kill the child");
    c.wait().expect("reap the child");
    reader.join().expect("stdout reader")
}

/// The `pymodaq-h5` command-line binary, ready for arguments.
pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_pymodaq-h5"))
}

/// A committed fixture by its path below `fixtures/` (`"pymodaq/pt_dte.h5"`), as an argument.
pub fn fixture_arg(rel: &str) -> String {
    root()
        .join("fixtures")
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

/// A PyMoDAQ fixture (`fixtures/pymodaq/NAME`), as an argument.
pub fn pmd(name: &str) -> String {
    fixture_arg(&format!("pymodaq/{name}"))
}

/// Both write profiles: write suites run every test under each.
pub const PROFILES: [pymodaq_h5::hdf5::write::Profile; 2] = [
    pymodaq_h5::hdf5::write::Profile::PyTables,
    pymodaq_h5::hdf5::write::Profile::Hdf5V110,
];

/// Default write options with `profile`.
pub fn write_opts(
    profile: pymodaq_h5::hdf5::write::Profile,
) -> pymodaq_h5::hdf5::write::WriteOptions {
    pymodaq_h5::hdf5::write::WriteOptions {
        profile,
        ..Default::default()
    }
}

/// libhdf5's own `h5dump` must read every header and every value of `path` (exit 0; `what`
/// names the case in the failure). Skipped with a notice when h5dump is not installed,
/// except under CI (`scripts/test.sh` installs Debian's hdf5-tools).
pub fn h5dump_ok(path: &Path, what: &str) {
    match std::process::Command::new("h5dump").arg(path).output() {
        Ok(out) => assert!(
            out.status.success(),
            "{what}: h5dump {} failed: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("h5dump not installed (scripts/test.sh installs Debian's hdf5-tools)")
        }
        Err(_) => eprintln!("notice: h5dump not installed; h5dump check skipped"),
    }
}

/// Runs `pymodaq-h5 record OUT ARGS…` with `input` on its standard input and returns its
/// output (a refused run may exit before reading its input: a closed pipe is expected then).
pub fn record(out: &Path, args: &[&str], input: &str) -> std::process::Output {
    let mut c = bin();
    c.arg("record").arg(out).args(args);
    with_input(c, input)
}

/// Runs `cmd` with `input` on its standard input and returns its output (a process that
/// exits before reading all of it is not an error here).
pub fn with_input(mut cmd: std::process::Command, input: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut c = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = c.stdin.take().unwrap().write_all(input.as_bytes());
    c.wait_with_output().unwrap()
}

/// Runs `py -c CODE` with `input` on its standard input; a non-zero exit fails the test with
/// `what` and both outputs.
pub fn run_py_code_input(py: &Path, code: &str, input: &str, what: &str) -> std::process::Output {
    let mut cmd = std::process::Command::new(py);
    cmd.arg("-c").arg(code);
    let out = with_input(cmd, input);
    assert!(
        out.status.success(),
        "{what}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// PyMoDAQ's `load --json --full` document of `target` (`fixtures/gen/pymodaq_load.py` run
/// by `py`, Qt offscreen): a file, or with backend `h5pyd` an HSDS domain. Exit 3 (some
/// nodes unreadable) is accepted; any other failure fails the test.
pub fn pymodaq_load(py: &Path, target: impl AsRef<std::ffi::OsStr>, backend: Option<&str>) -> J {
    pymodaq_load_with(std::process::Command::new(py), target, backend)
}

/// [`pymodaq_load`] with the Python command `c` (its environment set by the caller).
pub fn pymodaq_load_with(
    mut c: std::process::Command,
    target: impl AsRef<std::ffi::OsStr>,
    backend: Option<&str>,
) -> J {
    let target = target.as_ref();
    c.arg(root().join("fixtures/gen/pymodaq_load.py"))
        .arg(target)
        .arg("--full")
        .env("QT_QPA_PLATFORM", "offscreen");
    if let Some(b) = backend {
        c.args(["--backend", b]);
    }
    let out = c.output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "PyMoDAQ ({}) cannot open {}: {}",
        c.get_program().to_string_lossy(),
        target.to_string_lossy(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs `cmd` and returns its standard output; a failure (`what` names it) fails the test
/// with both outputs.
pub fn run_stdout(cmd: &mut std::process::Command, what: &str) -> String {
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

/// The NeXus hint attributes `annotate-nexus` and our savers add (besides `AXIS_indices`).
pub const NEXUS_HINTS: &[&str] = &[
    "NX_class",
    "signal",
    "axes",
    "auxiliary_signals",
    "default",
    "long_name",
];

/// The peak RSS (VmHWM, KiB) of a running process, read from /proc (`None` once it is gone).
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let t = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    t.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
}

/// Our binary with `args`, asked to report its peak RSS at exit, its standard output piped
/// and its standard error read on a thread (joined: the text, see [`reported_peak_kib`]).
pub fn spawn_reporting_peak(
    args: &[&std::ffi::OsStr],
) -> (std::process::Child, std::thread::JoinHandle<String>) {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pymodaq-h5"))
        .args(args)
        .env("PYMODAQ_H5_REPORT_PEAK_RSS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    (child, err_reader)
}

/// The peak RSS (KiB) our binary reported at exit on its standard error.
pub fn reported_peak_kib(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("pymodaq-h5: VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Two threads spinning until dropped (a loaded machine, for the kill tests).
pub struct Hog(
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    Vec<std::thread::JoinHandle<()>>,
);

impl Hog {
    pub fn start() -> Hog {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let t = (0..2)
            .map(|_| {
                let s = stop.clone();
                std::thread::spawn(move || {
                    let mut x = 0u64;
                    while !s.load(std::sync::atomic::Ordering::Relaxed) {
                        x = std::hint::black_box(
                            x.wrapping_mul(6364136223846793005).wrapping_add(1),
                        );
                    }
                })
            })
            .collect();
        Hog(stop, t)
    }
}

impl Drop for Hog {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in self.1.drain(..) {
            let _ = t.join();
        }
    }
}

/// The rows of a pre-sized (scan) array before the first unwritten one (NaN): the points
/// acquired; an error naming `p` when a point is written after that hole.
pub fn rows_before_hole(p: &impl std::fmt::Display, rows: &[&[f64]]) -> Result<usize, String> {
    let n = rows
        .iter()
        .position(|r| r.iter().any(|x| x.is_nan()))
        .unwrap_or(rows.len());
    if let Some(j) = rows[n..].iter().position(|r| r.iter().any(|x| !x.is_nan())) {
        return Err(format!("{p}: point {} written after a hole at {n}", n + j));
    }
    Ok(n)
}
