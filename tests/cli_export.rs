//! `export`: every format of PyMoDAQ data nodes (both backends, 1-D/2-D/N-D, spread) read back
//! by numpy and equal to h5py's data and PyMoDAQ's axes (tests/py/cli_export_check.py); plain
//! datasets; the Logger; standard output; --all; the overwrite rule; error lines.

mod common;

use common::{bin, pmd};

use std::path::Path;
use std::process::{Command, Output};

fn export(file: &str, node: &str, out: &Path, extra: &[&str]) -> Output {
    bin()
        .args(["export", file, node, "-o"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn data_nodes_export_with_axes_in_every_format() {
    let cases = [
        ("pt_dte.h5", "/RawData/Detector000/Data1D/CH00/Data00"),
        ("h5py_dte.h5", "/RawData/Detector000/Data2D/CH00/Data00"),
        ("h5py_dte.h5", "/RawData/Detector000/Data0D/CH01/Data01"),
        (
            "pt_extended.h5",
            "/RawData/Scan000/Detector000/Data1D/CH00/Data00",
        ),
        (
            "h5py_extended.h5",
            "/RawData/Scan000/Detector000/Data0D/CH01/Data00",
        ),
        (
            "h5py_interrupted.h5",
            "/RawData/Scan000/Detector000/Data1D/CH00/Data00",
        ),
        (
            "pmd44_pt_extended.h5",
            "/RawData/Scan000/Detector000/Data1D/CH00/Data00",
        ),
        (
            "h5py_enlargeable.h5",
            "/RawData/Detector001/Data0D/CH00/EnlData00",
        ),
        (
            "h5py_enlargeable.h5",
            "/RawData/Detector001/Data2D/CH00/EnlData00",
        ),
    ];
    for (i, (file, node)) in cases.iter().enumerate() {
        let dir = common::temp_dir(&format!("cli-export-{i}"));
        for ext in ["csv", "tsv", "npy", "npz", "json"] {
            let o = export(&pmd(file), node, &dir.join(format!("x.{ext}")), &[]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{file} {node} {ext}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let Some(py) = common::python() else { return };
        let o = Command::new(py)
            .arg(common::root().join("tests/py/cli_export_check.py"))
            .arg(pmd(file))
            .arg(node)
            .arg(&*dir)
            .output()
            .unwrap();
        assert!(
            o.status.success() && o.stdout == b"ok\n",
            "{file} {node}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn csv_header_and_rows_are_exact() {
    let dir = common::temp_dir("cli-export-exact");
    let out = dir.join("t.csv");
    let o = export(
        &pmd("pt_extended.h5"),
        "/RawData/Scan000/Detector000/Data1D/CH00/Data00",
        &out,
        &[],
    );
    assert_eq!(o.status.code(), Some(0));
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "# pymodaq-h5 export of pt_extended.h5:/RawData/Scan000/Detector000/Data1D/CH00/Data00 'det1D' Data1D, shape (3, 4, 6), float64"
    );
    assert_eq!(lines[1], "xaxis (mm),yaxis (mm),pix,CH00");
    assert_eq!(lines.len(), 2 + 3 * 4 * 6);
    // Row of position (2, 3, 5): xaxis[2] = 1.0 (0.5 step), pix 5.
    assert!(
        lines[2 + 3 * 4 * 6 - 1].starts_with("1,0.9,5,"),
        "{}",
        lines.last().unwrap()
    );
    // Tiny axis steps stay readable (not 0.0000000526...).
    let o = bin()
        .args([
            "export",
            &pmd("pt_dte.h5"),
            "/RawData/Detector000/Data1D/CH00/Data00",
            "-o",
            "-",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let t = String::from_utf8_lossy(&o.stdout);
    let l: Vec<&str> = t.lines().collect();
    assert_eq!(l[1], "time (s),CH00 (V)");
    assert!(l[3].starts_with("5.2631578947368416e-8,"), "{}", l[3]);
    assert!(o.stderr.is_empty(), "stdout export prints nothing else");
}

#[test]
fn logger_plain_datasets_and_all() {
    let dir = common::temp_dir("cli-export-misc");
    // The Logger: its lines, as PyMoDAQ's txt exporter writes them.
    let log = dir.join("log.txt");
    let o = export(&pmd("pt_lowlevel.h5"), "/RawData/Logger", &log, &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let ours = std::fs::read_to_string(&log).unwrap();
    let lj = dir.join("log.json");
    assert_eq!(
        export(&pmd("pt_lowlevel.h5"), "/RawData/Logger", &lj, &[])
            .status
            .code(),
        Some(0)
    );
    let lines: Vec<String> = serde_json::from_str(&std::fs::read_to_string(&lj).unwrap()).unwrap();
    assert_eq!(
        ours,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>()
    );
    assert!(!lines.is_empty());
    // `show` lists the same lines.
    let sh = bin()
        .args(["show", &pmd("pt_lowlevel.h5"), "/RawData/Logger"])
        .output()
        .unwrap();
    assert_eq!(sh.status.code(), Some(0));
    let want: String = format!("Logger  (/RawData/Logger), {} line(s)\n", lines.len())
        + &lines.iter().map(|l| format!("  {l}\n")).collect::<String>();
    assert_eq!(String::from_utf8_lossy(&sh.stdout), want);
    // The same lines PyMoDAQ's loader gives (load --json contract).
    let lo = bin()
        .args(["load", "--json", &pmd("pt_lowlevel.h5")])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&lo.stdout).unwrap();
    assert_eq!(
        doc["logs"]["/RawData/Logger"],
        serde_json::json!(lines),
        "{}",
        doc["logs"]
    );

    // A plain 2-D dataset: a matrix under one comment line (np.loadtxt reads it back).
    let zoo = common::root().join("fixtures/hdf5/pt_carray_zoo.h5");
    let zoo = zoo.to_string_lossy();
    let m = dir.join("m.csv");
    assert_eq!(
        export(&zoo, "/Raw_datas/Scan000/carray_zlib5_shuffle", &m, &[])
            .status
            .code(),
        Some(0)
    );
    let t = std::fs::read_to_string(&m).unwrap();
    assert_eq!(t.lines().count(), 31);
    assert!(t.starts_with("# pymodaq-h5 export of pt_carray_zoo.h5:/Raw_datas/Scan000/carray_zlib5_shuffle, shape (30, 40), float64\n"));

    // --all: every data node and the Logger, named after their paths.
    let all = dir.join("all");
    let o = bin()
        .args(["export", "--all", &pmd("h5py_dte.h5"), "-o"])
        .arg(&all)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut names: Vec<String> = std::fs::read_dir(&all)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "RawData_Detector000_Data0D_CH00_Data00.csv",
            "RawData_Detector000_Data0D_CH01_Data00.csv",
            "RawData_Detector000_Data0D_CH01_Data01.csv",
            "RawData_Detector000_Data1D_CH00_Data00.csv",
            "RawData_Detector000_Data1D_CH01_Data00.csv",
            "RawData_Detector000_Data2D_CH00_Data00.csv",
            "RawData_Logger.csv",
        ]
    );
    let Some(py) = common::python() else { return };
    let script = "import numpy as np, h5py, sys\nb = h5py.File(sys.argv[2], 'r')['/Raw_datas/Scan000/carray_zlib5_shuffle'][()]\nc = np.loadtxt(sys.argv[1], delimiter=',')\nassert (c == b).all()\nprint('ok')";
    let o = Command::new(py)
        .arg("-c")
        .arg(script)
        .arg(&m)
        .arg(&*zoo)
        .output()
        .unwrap();
    assert_eq!(o.stdout, b"ok\n", "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn overwrite_rule_and_error_lines() {
    let dir = common::temp_dir("cli-export-rule");
    let out = dir.join("x.npy");
    let node = "/RawData/Detector000/Data1D/CH00/Data00";
    std::fs::write(&out, b"precious").unwrap();
    let o = export(&pmd("pt_dte.h5"), node, &out, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "pymodaq-h5: {} exists (use --force to replace it)\n",
            out.display()
        )
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
    assert_eq!(
        export(&pmd("pt_dte.h5"), node, &out, &["--force"])
            .status
            .code(),
        Some(0)
    );
    assert_ne!(std::fs::read(&out).unwrap(), b"precious");
    // A failing export leaves nothing behind (no partial file, no temporary file).
    let bad = dir.join("log.npy");
    let o = export(&pmd("pt_dte.h5"), "/RawData/Logger", &bad, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("the Logger holds text"));
    let left: Vec<_> = std::fs::read_dir(&*dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    // Unknown extension and groups: say what to do.
    let o = export(&pmd("pt_dte.h5"), node, &dir.join("x.mat"), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("use .csv, .tsv, .npy, .npz, .json, .txt or .h5"));
    let o = export(&pmd("pt_dte.h5"), "/RawData", &dir.join("g.csv"), &[]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("pt_dte.h5: /RawData is a group") && e.contains("--all"),
        "{e}"
    );
    // script: the same rule (it used to replace silently and leave partial files).
    let s = dir.join("s.h5");
    std::fs::write(&s, b"keep").unwrap();
    let o = bin()
        .args(["script", "-"])
        .arg(&s)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("exists (use --force"));
    assert_eq!(std::fs::read(&s).unwrap(), b"keep");
    // dump and load --out: the JSON contracts' `> FILE`, so an existing file is replaced, but
    // whole (renamed from a temporary file): the same bytes as standard output.
    for cmd in ["dump", "load"] {
        let j = dir.join(format!("{cmd}.json"));
        std::fs::write(&j, b"keep").unwrap();
        let o = bin()
            .args([cmd, "--json", &pmd("pt_dte.h5"), "--out"])
            .arg(&j)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{cmd}");
        assert!(o.stdout.is_empty());
        let stdout = bin()
            .args([cmd, "--json", &pmd("pt_dte.h5"), "--out", "-"])
            .output()
            .unwrap();
        assert_eq!(stdout.status.code(), Some(0));
        assert_eq!(std::fs::read(&j).unwrap(), stdout.stdout, "{cmd}");
        // A failure (not an HDF5 file) leaves the old file as it was.
        let o = bin()
            .args([cmd, "--json"])
            .arg(&j)
            .args(["--out"])
            .arg(&j)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{cmd}");
        assert_eq!(std::fs::read(&j).unwrap(), stdout.stdout, "{cmd}");
    }
    // Nothing but the outputs (no temporary files).
    let mut left: Vec<String> = std::fs::read_dir(&*dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["dump.json", "load.json", "s.h5", "x.npy"]);
}

#[test]
fn h5_export_is_loaded_equal_by_pymodaq() {
    let dir = common::temp_dir("cli-export-h5");
    let cases = [
        (
            "pt_extended.h5",
            "/RawData/Scan000/Detector000/Data1D/CH00/Data00",
            "DataND",
        ),
        (
            "h5py_dte.h5",
            "/RawData/Detector000/Data1D/CH00/Data00",
            "Data1D",
        ),
        (
            "pt_lowlevel.h5",
            "/RawData/Detector000/Data1D/Data00",
            "Data1D",
        ),
        (
            "h5py_extended.h5",
            "/RawData/Scan001/Detector000/Data00",
            "DataND",
        ),
    ];
    for (i, (file, node, dim)) in cases.iter().enumerate() {
        let out = dir.join(format!("e{i}.h5"));
        let o = export(&pmd(file), node, &out, &[]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{file}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let Some(py) = common::python() else { return };
        let script = r#"
import sys, logging
from pathlib import Path
import numpy as np
logging.disable(logging.CRITICAL)
from pymodaq_data.h5modules.data_saving import DataLoader
from pymodaq_data.h5modules.saving import H5SaverLowLevel
def load(path, node, backend):
    s = H5SaverLowLevel(backend=backend); s.init_file(Path(path), mode='r')
    d = DataLoader(s).load_data(node, with_bkg=False); s.close_file(); return d
import h5py
with h5py.File(sys.argv[1], 'r') as f:
    b = 'tables' if 'PYTABLES_FORMAT_VERSION' in f.attrs else 'h5py'
a = load(sys.argv[1], sys.argv[2], b)
e = load(sys.argv[3], sys.argv[4], 'tables')
assert a.name == e.name and a.dim == e.dim and a.distribution == e.distribution, (a, e)
assert list(a.nav_indexes) == list(e.nav_indexes) and a.units == e.units
assert len(a.data) == len(e.data)
for x, y in zip(a.data, e.data):
    assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True)
key = lambda ax: (ax.index, ax.spread_order)
aa, ea = sorted(a.axes, key=key), sorted(e.axes, key=key)
assert [(x.label, x.units, x.index) for x in aa] == [(x.label, x.units, x.index) for x in ea], (aa, ea)
for x, y in zip(aa, ea):
    assert np.allclose(x.get_data(), y.get_data(), rtol=0, atol=0), (x, y)
assert (a.errors is None) == (e.errors is None)
if a.errors is not None:
    for x, y in zip(a.errors, e.errors):
        assert np.array_equal(x, y)
print('ok')
"#;
        let exported = format!("/RawData/Detector000/{dim}/CH00/Data00");
        let o = Command::new(py)
            .arg("-c")
            .arg(script)
            .arg(pmd(file))
            .arg(node)
            .arg(&out)
            .arg(&exported)
            .output()
            .unwrap();
        assert_eq!(
            o.stdout,
            b"ok\n",
            "{file}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
