//! `check` at the PyMoDAQ level: each defect of the damaged fixtures is found (exact lines,
//! counts checked against h5py), every clean fixture passes, exit codes 0 / 3 / 1.

mod common;

use common::bin;

fn check(path: &std::path::Path) -> (Option<i32>, String) {
    let o = bin().arg("check").arg(path).output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

const DAMAGED: &[&str] = &[
    "h5py_interrupted.h5",
    "pt_interrupted.h5",
    "h5py_missing_class.h5",
    "pt_missing_class.h5",
    "h5py_swmr_stale.h5",
    "h5py_refused.h5",
    "pt_refused.h5",
    "pmd44_pt_refused.h5",
];

#[test]
fn every_clean_fixture_passes() {
    let mut n = 0;
    for dir in ["fixtures/pymodaq", "fixtures/hdf5"] {
        for e in std::fs::read_dir(common::root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".h5") || DAMAGED.contains(&name.as_str()) {
                continue;
            }
            let (code, out) = check(&p);
            assert_eq!(code, Some(0), "{name}: {out}");
            assert!(out.contains(": OK ("), "{out}");
            n += 1;
        }
    }
    assert!(n >= 20, "only {n} clean fixtures");
}

#[test]
fn missing_class_stale_shape_and_refused_loads_are_found() {
    let f = |n: &str| common::root().join("fixtures/pymodaq").join(n);
    let (code, out) = check(&f("h5py_missing_class.h5"));
    assert_eq!(code, Some(3));
    let problems: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(
        problems,
        [
            "  /RawData/Detector000/Data0D: PyMoDAQ cannot load this node: no CLASS attribute (PyMoDAQ classifies nodes by it and cannot add it to a read-only file)",
            "  /RawData/Detector000/Data1D/CH00/Data00: PyMoDAQ cannot load this node: no CLASS attribute (PyMoDAQ classifies nodes by it and cannot add it to a read-only file)",
        ],
        "{out}"
    );
    let (code, out) = check(&f("pt_missing_class.h5"));
    assert_eq!(code, Some(3));
    assert_eq!(out.lines().count(), 3, "{out}");

    let (code, out) = check(&f("h5py_swmr_stale.h5"));
    assert_eq!(code, Some(3));
    assert_eq!(
        out.lines().skip(1).collect::<Vec<_>>(),
        [
            "  /RawData/Detector000/Data0D/CH00/EnlData00: stale shape attribute [0, 1], the dataset holds [4, 1] (an SWMR writer did not update it; PyMoDAQ uses the real extent)",
            "  /RawData/Detector000/NavAxes/Axis00: stale shape attribute [0], the dataset holds [4] (an SWMR writer did not update it; PyMoDAQ uses the real extent)",
        ],
        "{out}"
    );
    for name in ["h5py_refused.h5", "pt_refused.h5", "pmd44_pt_refused.h5"] {
        let (code, out) = check(&f(name));
        assert_eq!(code, Some(3));
        assert_eq!(
            out.lines().skip(1).collect::<Vec<_>>(),
            [
                "  /RawData/Detector000/EmptyAxis/Axis00: axis without any value: PyMoDAQ cannot load it (IndexError)",
                "  /RawData/Detector000/Mixed: channels of different shapes (Data00 [4], Data01 [3]); PyMoDAQ cannot load them together (DataShapeError)",
            ],
            "{name}: {out}"
        );
    }
}

#[test]
fn interrupted_scans_count_the_points_h5py_sees_unwritten() {
    for name in ["h5py_interrupted.h5", "pt_interrupted.h5"] {
        let p = common::root().join("fixtures/pymodaq").join(name);
        let (code, out) = check(&p);
        assert_eq!(code, Some(3), "{out}");
        let Some(py) = common::python() else { return };
        // Per data node: navigation points whose values are all NaN (or INT_MIN for ints).
        let script = r#"
import h5py, numpy as np, sys, json, ast
out = []
def visit(name, o):
    if not isinstance(o, h5py.Dataset) or not name.startswith('RawData/Scan'):
        return
    dt = o.attrs.get('data_type', b'')
    dt = dt.decode() if isinstance(dt, bytes) else dt
    if "'data'" not in dt:
        return
    a = o[()]
    nav = o.attrs['nav_indexes']
    nav = ast.literal_eval(json.loads(nav.decode() if isinstance(nav, bytes) else nav)['data'])
    npts = int(np.prod([a.shape[i] for i in nav]))
    pts = a.reshape(npts, -1)
    unset = np.isnan(pts) if a.dtype.kind == 'f' else pts == np.iinfo(a.dtype).min
    n = int(unset.all(axis=1).sum())
    if n:
        out.append(f'  /{name}: interrupted scan: {n} of {pts.shape[0]} points never measured (NaN-filled)')
h5py.File(sys.argv[1], 'r').visititems(visit)
print('\n'.join(sorted(out)))
"#;
        let o = common::run_py_code(&py, script, [&p]);
        let want = String::from_utf8(o.stdout).unwrap();
        let mut ours: Vec<&str> = out.lines().skip(1).collect();
        ours.sort();
        assert_eq!(ours.join("\n"), want.trim_end(), "{name}");
        assert!(
            want.contains(": interrupted scan: 5 of 12 points"),
            "{want}"
        );
    }
}

#[test]
fn unopenable_files_exit_1_and_the_others_are_still_checked() {
    let dir = common::temp_dir("cli-check");
    let text = dir.join("notes.h5");
    std::fs::write(&text, "not hdf5").unwrap();
    let good = common::root().join("fixtures/pymodaq/pt_dte.h5");
    let o = bin().arg("check").arg(&text).arg(&good).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("notes.h5: cannot open:") && e.contains("not an HDF5 file"),
        "{e}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("pt_dte.h5: OK ("));
}
