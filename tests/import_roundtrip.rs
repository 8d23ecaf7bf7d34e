//! `import` is the writing twin of `load --json --full`: the `load_all` DataWithAxes of every
//! PyMoDAQ fixture, imported into a new file, load back (through our loader and PyMoDAQ's)
//! as the same data: names, sources, distributions, shapes, nav indexes, units, labels,
//! origins, timestamps, axes, arrays, errors and extra attributes.

mod common;

use pymodaq_h5::hdf5::read::File;
use pymodaq_h5::pymodaq::load_json::load_json;
use serde_json::{json, Value as J};

/// The fields that must survive, with `path` dropped (it names the new node).
fn essence(d: &J) -> J {
    let mut e = d.clone();
    if let Some(m) = e.as_object_mut() {
        if let Some(J::Object(x)) = m.get_mut("extra_attributes") {
            x.remove("path");
        }
    }
    e
}

#[test]
fn load_all_of_every_fixture_imports_back_the_same() {
    let dir = common::temp_dir("import-rt");
    let mut checked = 0;
    for e in std::fs::read_dir(common::root().join("fixtures/pymodaq"))
        .unwrap()
        .flatten()
    {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "h5") {
            continue;
        }
        let f = File::open(&p).unwrap();
        let (doc, _) = load_json(&f, "x.h5", true).unwrap();
        let Some(all) = doc["load_all"].as_array() else {
            continue;
        };
        if all.is_empty() {
            continue;
        }
        for flavour in ["tables", "h5py"] {
            let desc =
                json!({"format": "pymodaq-h5-import/1", "backend_flavour": flavour, "data": all});
            let parsed = match pymodaq_h5::pymodaq::import::parse_import(&desc) {
                Ok(d) => d,
                Err(e) => panic!("{}: {e}", p.display()),
            };
            let out = dir.join(format!(
                "{}_{flavour}.h5",
                p.file_stem().unwrap().to_string_lossy()
            ));
            pymodaq_h5::pymodaq::import::write_import(&parsed, &out).unwrap();
            let (back, _) = load_json(&File::open(&out).unwrap(), "y.h5", true).unwrap();
            let back_all = back["load_all"]
                .as_array()
                .unwrap_or_else(|| panic!("{}: {}", out.display(), back["load_all"]));
            assert_eq!(back_all.len(), all.len(), "{}", p.display());
            for a in all {
                // The new file orders channels by dimension: match by (name, origin).
                let b = back_all
                    .iter()
                    .find(|b| b["name"] == a["name"] && b["origin"] == a["origin"])
                    .unwrap_or_else(|| {
                        panic!(
                            "{} {flavour}: {} {} not loaded back",
                            p.display(),
                            a["name"],
                            a["origin"]
                        )
                    });
                let mut d = Vec::new();
                common::diff("", &essence(b), &essence(a), &mut d);
                assert!(
                    d.is_empty(),
                    "{} {flavour} {}:\n  {}",
                    p.display(),
                    a["name"],
                    d.join("\n  ")
                );
            }
            checked += 1;
        }
    }
    println!("{checked} imports of fixtures' load_all load back the same");
    assert!(checked >= 20);
}
