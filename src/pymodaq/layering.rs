//! The PyMoDAQ layer stays above the HDF5 engine's vocabulary: it imports nothing from the
//! writer's encoders (`hdf5::write::encode*`) nor from the message-level modules
//! (`hdf5::message`), only the read and write APIs (issue 16). Checked on the sources.

use std::path::Path;

/// Paths the PyMoDAQ layer must not name.
const FORBIDDEN: [&str; 2] = ["hdf5::message", "write::encode"];

/// Every `.rs` file below `dir`.
fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let entries = std::fs::read_dir(dir).expect("read src/pymodaq");
    for e in entries {
        let path = e.expect("directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") && !path.ends_with("layering.rs") {
            out.push(path);
        }
    }
}

/// The code of `text` with comments and white space removed, so `use crate::hdf5::{message,
/// ..}` groups and paths split over lines are seen whole.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect()
}

/// The forbidden paths `code` names, including through a `hdf5::{..}` group.
fn violations(code: &str) -> Vec<&'static str> {
    let mut found: Vec<&'static str> = FORBIDDEN
        .iter()
        .copied()
        .filter(|p| code.contains(p))
        .collect();
    for (i, _) in code.match_indices("hdf5::{") {
        let group = &code[i..];
        let group = &group[..group.find(';').unwrap_or(group.len())];
        if group.contains("{message") || group.contains(",message") {
            found.push("hdf5::message");
        }
        if group.contains("encode") {
            found.push("write::encode");
        }
    }
    found
}

#[test]
fn pymodaq_layer_imports_no_encoder_or_message_module() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pymodaq");
    let mut files = Vec::new();
    sources(&dir, &mut files);
    assert!(files.len() > 20, "the PyMoDAQ sources were not found");
    let bad: Vec<String> = files
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).expect("read a source");
            violations(&code(&text))
                .into_iter()
                .map(move |p| format!("{} names {p}", f.display()))
        })
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn the_check_sees_groups_and_split_paths() {
    let found = |s: &str| violations(&code(s));
    assert_eq!(
        found("use crate::hdf5::message::datatype::Datatype;"),
        ["hdf5::message"]
    );
    assert_eq!(
        found("use crate::hdf5::{read::File,\n    message::kind};"),
        ["hdf5::message"]
    );
    assert_eq!(
        found("crate::hdf5::write::\n  encode110::x()"),
        ["write::encode"]
    );
    assert!(found("use crate::hdf5::write::Writer; // not hdf5::message").is_empty());
    assert!(found("use crate::hdf5::{read, write::Writer};").is_empty());
}
