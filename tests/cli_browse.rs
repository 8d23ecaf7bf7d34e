//! The human browsing commands (`tree`, `attrs`, `show`) against what PyMoDAQ itself decodes
//! and loads (tests/py/cli_reference.py), on PyMoDAQ files from both backends and on plain
//! HDF5 files; their error lines and exit codes.

mod common;

use common::{bin, pmd};

use std::process::{Command, Output};

fn plain(name: &str) -> String {
    common::root()
        .join("fixtures/hdf5")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn reference(args: &[&str]) -> Option<String> {
    let py = common::python()?;
    let o = Command::new(py)
        .arg(common::root().join("tests/py/cli_reference.py"))
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Some(String::from_utf8(o.stdout).unwrap())
}

#[test]
fn attrs_are_decoded_exactly_as_pymodaq_decodes_them() {
    let cases: &[(&str, &[&str])] = &[
        (
            "pt_dte.h5",
            &[
                "/",
                "/RawData",
                "/RawData/Detector000",
                "/RawData/Detector000/Data1D/CH00/Data00",
                "/RawData/Detector000/Data1D/CH00/Axis00",
                "/RawData/Logger",
            ],
        ),
        (
            "h5py_dte.h5",
            &[
                "/",
                "/RawData/Detector000/Data1D/CH00/Data00",
                "/RawData/Detector000/Data1D/CH00/Axis00",
            ],
        ),
        (
            "h5py_extended.h5",
            &[
                "/RawData/Scan000",
                "/RawData/Scan000/NavAxes/Axis01",
                "/RawData/Scan000/Detector000/Data1D/CH00/Data00",
            ],
        ),
        (
            "pmd44_pt_modules.h5",
            &["/", "/RawData/Detector000", "/RawData/Actuator000"],
        ),
    ];
    for (file, nodes) in cases {
        let mut ours = String::new();
        for n in *nodes {
            let o = run(&["attrs", "--full", &pmd(file), n]);
            assert_eq!(o.status.code(), Some(0), "{file} {n}");
            ours += &format!("## {n}\n{}", stdout(&o));
        }
        // Settings are shown as a tree, never cut.
        if *file == "pmd44_pt_modules.h5" {
            assert!(
                ours.contains("\nsettings =\n  settings (group)\n    exposure (float) = 0.1\n"),
                "{ours}"
            );
        }
        let p = pmd(file);
        let mut args = vec!["attrs", p.as_str()];
        args.extend(nodes.iter().copied());
        let Some(theirs) = reference(&args) else {
            return;
        };
        assert_eq!(ours, theirs, "{file}");
    }
}

#[test]
fn attrs_raw_prints_the_stored_envelope() {
    let o = run(&[
        "attrs",
        "--raw",
        &pmd("h5py_dte.h5"),
        "/RawData/Detector000/Data1D/CH00/Data00",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let t = stdout(&o);
    assert!(
        t.lines()
            .any(|l| l == r#"units = {"module": "builtins", "type": "str", "data": "'V'"}"#),
        "{t}"
    );
}

#[test]
fn tree_shows_pymodaq_meaning_and_subtrees() {
    let o = run(&["tree", &pmd("h5py_extended.h5")]);
    assert_eq!(o.status.code(), Some(0));
    let t = stdout(&o);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines[0], "/ group 'PyMoDAQ file' [PyMoDAQ 5.x file]", "{t}");
    for want in [
        "/RawData/Scan000/Detector000/Data1D/CH00/Data00 dataset (3, 4, 6) float64 'det1D' [data Data1D 'det1D' CH00]",
        "/RawData/Scan000/NavAxes/Axis00 dataset (3,) float64 'xaxis' [axis 'xaxis' (mm) index 0]",
        "/RawData/Scan001/Detector000/Data00 dataset (5,) float64 'sp' [data Data0D 'sp' CH00 spread]",
        "/RawData/Logger dataset (0/Inf,) vlen uint8 chunks=(1024) [strings]",
        // Groups: the module type PyMoDAQ stored (`type`), the file's save type on /RawData.
        "/RawData group 'Data from PyMoDAQ modules' [save type scan]",
        "/RawData/Scan000 group 'scan 3x4' [scan]",
        "/RawData/Scan000/Detector000 group 'det in scan' [detector]",
        "/RawData/Scan000/Detector000/Data1D/CH00 group 'det1D'",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in\n{t}");
    }
    // The module type of a 4.4 file's actuator and detector.
    let o = run(&["tree", &pmd("pmd44_pt_modules.h5")]);
    let t = stdout(&o);
    assert!(
        t.lines()
            .any(|l| l == "/RawData/Actuator000 group 'Delay stage' [actuator]"),
        "{t}"
    );
    assert!(
        t.lines()
            .any(|l| l == "/RawData/Detector000 group 'Viewer snapshot' [detector]"),
        "{t}"
    );
    // A subtree.
    let o = run(&["tree", &pmd("h5py_extended.h5"), "/RawData/Scan000/NavAxes"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "/RawData/Scan000/NavAxes group\n\
         /RawData/Scan000/NavAxes/Axis00 dataset (3,) float64 'xaxis' [axis 'xaxis' (mm) index 0]\n\
         /RawData/Scan000/NavAxes/Axis01 dataset (4,) float64 'yaxis' [axis 'yaxis' (mm) index 1]\n"
    );
    // Any HDF5 file: plain lines, no PyMoDAQ meaning.
    let o = run(&["tree", &plain("pt_carray_zoo.h5")]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).lines().any(|l| l == "/Raw_datas/Scan000/carray_zlib5_shuffle dataset (30, 40) float64 chunks=(8, 16) filters=shuffle+deflate(5)"), "{}", stdout(&o));
}

#[test]
fn show_matches_pymodaq_load_data() {
    let cases: &[(&str, &str, bool)] = &[
        (
            "pt_dte.h5",
            "/RawData/Detector000/Data1D/CH00/Data00",
            false,
        ),
        ("pt_dte.h5", "/RawData/Detector000/Data1D/CH00/Data00", true),
        (
            "h5py_dte.h5",
            "/RawData/Detector000/Data2D/CH00/Data00",
            false,
        ),
        (
            "pt_extended.h5",
            "/RawData/Scan000/Detector000/Data1D/CH00/Data00",
            false,
        ),
        (
            "h5py_interrupted.h5",
            "/RawData/Scan000/Detector000/Data1D/CH00/Data00",
            false,
        ),
        (
            "pmd44_pt_extended.h5",
            "/RawData/Scan000/Detector000/Data0D/CH00/Data00",
            false,
        ),
    ];
    for (file, node, bkg) in cases {
        let p = pmd(file);
        let mut args = vec!["show", p.as_str()];
        args.push(node);
        if *bkg {
            args.push("--bkg");
        }
        let o = run(&args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let ours = stdout(&o);
        let mut rargs = vec!["show", p.as_str(), node];
        if *bkg {
            rargs.push("bkg");
        }
        let Some(theirs) = reference(&rargs) else {
            return;
        };
        let mut lines = theirs.lines();
        let summary = lines.next_back().unwrap();
        for l in lines {
            if l.starts_with("    [") {
                // Axis: label, units and size; the range follows.
                assert!(
                    ours.lines().any(|o| o.starts_with(&format!("{l},"))),
                    "{file} {node}: {l:?} not in\n{ours}"
                );
            } else {
                assert!(
                    ours.lines().any(|o| o == l),
                    "{file} {node}: {l:?} not in\n{ours}"
                );
            }
        }
        // shape (..) dim X distribution Y
        let parts: Vec<&str> = summary.split(" dim ").collect();
        let shape = parts[0].trim_start_matches("shape ");
        let (dim, dist) = parts[1].split_once(" distribution ").unwrap();
        assert!(
            ours.contains(&format!(" {dim} {dist}, shape {shape},")),
            "{ours}\n{summary}"
        );
    }
}

#[test]
fn errors_are_one_line_with_the_path_and_documented_codes() {
    // Not a PyMoDAQ file: words, not PyMoDAQ's OSError (exit 1).
    for args in [vec!["show", "F", "/x"], vec!["load", "--json", "F"]] {
        let f = plain("h5py_default_types.h5");
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "F" { f.as_str() } else { a })
            .collect();
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1));
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(
            e.contains("h5py_default_types.h5: this is not a PyMoDAQ file (no /RawData group)"),
            "{e}"
        );
        assert!(o.stdout.is_empty());
    }
    // A missing node: exit 1, the file and node named.
    let o = run(&["attrs", &pmd("pt_dte.h5"), "/RawData/Nope"]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.starts_with("pymodaq-h5: ") && e.contains("pt_dte.h5: /RawData/Nope:"),
        "{e}"
    );
    assert!(!e.contains("usage error"), "{e}");
    // A node that is not data.
    let o = run(&["show", &pmd("pt_dte.h5"), "/RawData/Detector000"]);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("not a PyMoDAQ data node"), "{e}");
    // Missing file: 1 (README), for every command.
    for cmd in ["tree", "attrs", "check", "dump"] {
        let o = run(&[cmd, "/nonexistent/nope.h5"]);
        assert_eq!(o.status.code(), Some(1), "{cmd}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("nope.h5"),
            "{cmd}"
        );
    }
    // Bad usage: 2 (clap).
    assert_eq!(run(&["tree"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn completions_and_man_pages_cover_every_command() {
    let cmds = [
        "dump", "load", "tree", "attrs", "show", "check", "export", "plot", "import", "script",
        "record",
    ];
    let o = run(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0));
    let script = stdout(&o);
    for c in cmds {
        assert!(
            script.contains(&format!("pymodaq__h5__subcmd__{c}")),
            "bash completion lacks {c}"
        );
    }
    // The script is valid bash.
    let dir = common::temp_dir("cli-completions");
    let p = dir.join("c.bash");
    std::fs::write(&p, &script).unwrap();
    let b = Command::new("bash").arg("-n").arg(&p).output().unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let o = run(&["completions", "zsh"]);
    assert!(stdout(&o).starts_with("#compdef pymodaq-h5"));

    let o = run(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    let page = stdout(&o);
    assert!(page.contains(".TH pymodaq-h5 1"));
    for c in cmds {
        assert!(
            page.contains(&format!("pymodaq\\-h5\\-{c}(1)")),
            "man page lacks {c}"
        );
    }
    let mdir = dir.join("man");
    assert_eq!(
        bin()
            .arg("man")
            .arg("--dir")
            .arg(&mdir)
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    for c in cmds {
        let page = std::fs::read_to_string(mdir.join(format!("pymodaq-h5-{c}.1"))).unwrap();
        assert!(page.contains(".SH NAME"), "{c}");
    }
    // The overwrite rule: existing pages are refused (none touched), replaced with --force;
    // no temporary directory is left either way.
    let marker = mdir.join("pymodaq-h5-tree.1");
    std::fs::write(&marker, "old").unwrap();
    let again = bin().arg("man").arg("--dir").arg(&mdir).output().unwrap();
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{err}");
    assert!(err.contains("exists (use --force"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "old");
    let forced = bin()
        .args(["man", "--force", "--dir"])
        .arg(&mdir)
        .output()
        .unwrap();
    assert_eq!(forced.status.code(), Some(0));
    assert!(std::fs::read_to_string(&marker)
        .unwrap()
        .contains(".SH NAME"));
    let left: Vec<_> = std::fs::read_dir(&mdir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}
