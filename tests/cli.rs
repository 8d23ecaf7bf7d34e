//! The binary as a user runs it: contract exit codes (0 ok, 1 cannot open, 2 usage, 3 some
//! nodes unreadable), `tree`, `check`, `attrs`, `export` (checked by numpy when the venv is there).

mod common;

use common::bin;

fn fixture(name: &str) -> String {
    common::fixture_arg(&format!("hdf5/{name}"))
}

#[test]
fn dump_exit_codes_follow_the_contract() {
    let ok = bin()
        .args(["dump", "--json", &fixture("pt_vlarray.h5")])
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(doc["format"], "pymodaq-h5-dump/1");
    assert_eq!(doc["file"], "pt_vlarray.h5");

    let szip = common::root().join("fixtures/interop/i11_masked_filters.h5");
    let partial = bin().args(["dump", "--json"]).arg(&szip).output().unwrap();
    assert_eq!(
        partial.status.code(),
        Some(3),
        "an unreadable node gives exit 3"
    );
    let doc: serde_json::Value = serde_json::from_slice(&partial.stdout).unwrap();
    assert!(doc["root"]["children"]["szip"]["error"]
        .as_str()
        .unwrap()
        .contains("unsupported filter 4 (szip)"));

    let missing = bin()
        .args(["dump", "--json", "/nonexistent/file.h5"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(err.lines().count(), 1, "one line on stderr: {err}");

    let dir = common::temp_dir("cli");
    let junk = dir.join("junk.h5");
    std::fs::write(&junk, b"not an hdf5 file at all").unwrap();
    let bad = bin().args(["dump", "--json"]).arg(&junk).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("byte offset") && err.contains("superblock"),
        "{err}"
    );

    let usage = bin().args(["dump", "--bogus"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));

    let out = dir.join("d.json");
    let to_file = bin()
        .args(["dump", "--json", "--out"])
        .arg(&out)
        .arg(fixture("pt_attrs.h5"))
        .output()
        .unwrap();
    assert_eq!(to_file.status.code(), Some(0));
    assert!(to_file.stdout.is_empty());
    let _: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
}

#[test]
fn tree_check_attrs() {
    let t = bin()
        .args(["tree", &fixture("pt_carray_zoo.h5")])
        .output()
        .unwrap();
    assert_eq!(t.status.code(), Some(0));
    let text = String::from_utf8_lossy(&t.stdout);
    assert!(text.lines().any(|l| l.starts_with("/Raw_datas/Scan000/carray_zlib5_shuffle dataset (30, 40) float64 chunks=(8, 16) filters=shuffle+deflate(5)")), "{text}");

    let c = bin()
        .args(["check", &fixture("pt_carray_zoo.h5")])
        .arg(common::root().join("fixtures/interop/i11_masked_filters.h5"))
        .output()
        .unwrap();
    assert_eq!(c.status.code(), Some(3));
    let text = String::from_utf8_lossy(&c.stdout);
    assert!(text.contains("pt_carray_zoo.h5: OK"), "{text}");
    assert!(text.contains("unsupported filter 4 (szip)"), "{text}");

    let a = bin()
        .args(["attrs", &fixture("pt_attrs.h5"), "/"])
        .output()
        .unwrap();
    assert_eq!(a.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&a.stdout).contains("PYTABLES_FORMAT_VERSION = 2.1"));
}

#[test]
fn export_npy_is_read_back_by_numpy() {
    let dir = common::temp_dir("export");
    let npy = dir.join("x.npy");
    let path = "/Raw_datas/Scan000/carray_zlib5_shuffle";
    let e = bin()
        .args(["export", &fixture("pt_carray_zoo.h5"), path, "-o"])
        .arg(&npy)
        .output()
        .unwrap();
    assert_eq!(
        e.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&e.stderr)
    );
    let csv = dir.join("x.csv");
    let e = bin()
        .args(["export", &fixture("pt_carray_zoo.h5"), path, "-o"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(e.status.code(), Some(0));
    // One `# ...` line (shape, type) above the 30 rows; np.loadtxt skips it.
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 31);
    let Some(py) = common::python() else { return };
    let script = format!(
        "import numpy as np, h5py, sys\na = np.load(sys.argv[1])\nb = h5py.File(sys.argv[2], 'r')['{path}'][()]\nassert a.dtype == b.dtype and a.shape == b.shape and (a == b).all(), (a.dtype, a.shape)\nc = np.loadtxt(sys.argv[3], delimiter=',')\nassert (c == b).all()\nprint('ok')"
    );
    let zoo = std::path::PathBuf::from(fixture("pt_carray_zoo.h5"));
    common::run_py_code(&py, &script, [npy.as_path(), zoo.as_path(), csv.as_path()]);
}

/// The progress bars (issue 12: "hidden when standard error is not a terminal or with
/// `--quiet`"): on a terminal (a pseudo-terminal through util-linux `script`) each long
/// command draws its bar on standard error; with `-q`, or with standard error a pipe, nothing
/// of it is written.
#[test]
fn progress_bars_only_on_a_terminal() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "util-linux `script` is needed"
        );
        eprintln!("NOTICE: no `script` command; progress bar test skipped");
        return;
    }
    let dir = common::temp_dir("cli-progress");
    let exe = env!("CARGO_BIN_EXE_pymodaq-h5");
    let scan = common::root().join("fixtures/pymodaq/pt_extended.h5");
    let scan = scan.to_str().unwrap();
    let node = "/RawData/Scan000/Detector000/Data1D/CH00/Data00";
    let out = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let (png, csv) = (out("p.png"), out("e.csv"));
    // (arguments, the bar's message)
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["check", scan], "checking ["),
        (vec!["dump", "--json", scan], "dump ["),
        (vec!["load", "--json", scan], "load: "),
        (vec!["show", scan, node], "reading ["),
        (vec!["plot", scan, node, "-o", &png, "--force"], "reading ["),
        (
            vec!["export", scan, node, "-o", &csv, "--force"],
            "exporting [",
        ),
    ];
    for (args, bar) in &cases {
        for quiet in [false, true] {
            let mut line = format!("{exe} {}", args.join(" "));
            if quiet {
                line.push_str(" -q");
            }
            // Standard output discarded: the transcript holds what went to the terminal's
            // standard error.
            let t = std::process::Command::new("script")
                .args(["-qec", &format!("{line} >/dev/null"), "/dev/null"])
                .output()
                .unwrap();
            assert!(t.status.success(), "{line}: {t:?}");
            let shown = String::from_utf8_lossy(&t.stdout).contains(bar);
            assert_eq!(shown, !quiet, "{line}: bar {bar:?} shown: {shown}");
        }
        // Standard error a pipe: no bar.
        let o = std::process::Command::new(exe).args(args).output().unwrap();
        assert!(o.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains(bar), "{args:?}: bar on a pipe: {err}");
    }
}

/// `CMD | head`: the reader closing the pipe early is not an error. Each command's output is
/// larger than a pipe's buffer, so it meets the closed pipe while writing: exit 0, nothing on
/// standard error (`tree` and `dump` printed "I/O error: Broken pipe" and dump exited 1).
#[test]
fn a_closed_pipe_is_not_an_error() {
    use pymodaq_h5::hdf5::write::{WriteOptions, Writer};
    use pymodaq_h5::pymodaq::attrs::PyValue;
    use pymodaq_h5::pymodaq::model::NdArray;
    use pymodaq_h5::pymodaq::model::{Axis, DataDistribution, DataToExport, DataWithAxes, DwaArgs};
    use pymodaq_h5::pymodaq::save::{DataToExportExtendedSaver, H5Saver, InitOptions, SaveType};
    use std::io::Read;
    let dir = common::temp_dir("cli-pipe");
    // A plain file with many groups (tree), a PyMoDAQ scan with many values (the others).
    let groups = dir.join("groups.h5");
    let mut w = Writer::create(&groups, WriteOptions::default()).unwrap();
    let names: Vec<String> = (0..3000).map(|i| format!("/group_number_{i:05}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    w.create_groups(&refs).unwrap();
    w.close().unwrap();
    let scan = dir.join("scan.h5");
    let mut h5 = H5Saver::init_file(
        &scan,
        InitOptions {
            save_type: SaveType::Scan,
            ..Default::default()
        },
    )
    .unwrap();
    let empty = PyValue::Str(String::new());
    let sg = h5.add_scan_group("/RawData", "scan", &empty, &[]).unwrap();
    let det = h5.add_det_group(&sg, "spectro", &empty, &[]).unwrap();
    let saver = DataToExportExtendedSaver::new(&[4]);
    saver
        .add_nav_axes(
            &mut h5,
            &sg,
            &[Axis::new("x", "mm", vec![0.0, 1.0, 2.0, 3.0], 0, 0).unwrap()],
        )
        .unwrap();
    const N: usize = 8000;
    for i in 0..4u64 {
        let v: Vec<f64> = (0..N)
            .map(|k| (k as f64).sqrt() * (i as f64 + 0.5))
            .collect();
        let mut point = DataToExport::new("point");
        point.append(
            DataWithAxes::new(DwaArgs {
                name: "spectrum".into(),
                data: vec![NdArray::from_f64(vec![N], &v).unwrap()],
                ..DwaArgs::default()
            })
            .unwrap(),
        );
        saver
            .add_data(&mut h5, &det, &point, &[i], DataDistribution::Uniform)
            .unwrap();
    }
    h5.close_file().unwrap();
    let (g, s) = (groups.to_str().unwrap(), scan.to_str().unwrap());
    let node = "/RawData/Scan000/Detector000/Data1D/CH00/Data00";
    for args in [
        vec!["tree", g],
        vec!["dump", "--json", "--full", s],
        vec!["load", "--json", "--full", s],
        vec!["export", s, node, "-o", "-"],
    ] {
        let mut child = bin()
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The read end dropped: the next writes fail with EPIPE.
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
