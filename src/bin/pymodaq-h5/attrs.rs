//! `attrs`: the attributes of one node, decoded as PyMoDAQ decodes them (JSON envelopes around
//! Python literals), the `settings` XML shown as an indented parameter tree.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use pymodaq_h5::hdf5::read::DataspaceKind;

use crate::output::{open, shorten};
use crate::pmd;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  pymodaq-h5 attrs scan.h5 /RawData/Scan000/Detector000/Data1D/CH00/Data00
  pymodaq-h5 attrs scan.h5 /RawData/Detector000            # its settings as a parameter tree
  pymodaq-h5 attrs scan.h5 / --raw                         # the stored text, undecoded")]
pub struct Args {
    /// The HDF5 file.
    file: PathBuf,
    /// Node path (default: the root).
    #[arg(default_value = "/")]
    path: String,
    /// Print the stored values (PyMoDAQ's JSON envelopes, the XML text) instead of decoding.
    #[arg(long)]
    raw: bool,
    /// Do not shorten long values.
    #[arg(long)]
    full: bool,
}

/// Values longer than this are shortened unless `--full` (settings trees are never cut).
const SHORT: usize = 400;

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let Args {
        file,
        path,
        raw,
        full,
    } = a;
    let f = open(&file)?;
    let node = f
        .get(&path)
        .with_context(|| format!("{}: {path}", file.display()))?;
    let b = pmd::backend(&f);
    let pn = pmd::wrap(&node, &path);
    let mut so = std::io::stdout().lock();
    let cut = |s: String| if full { s } else { shorten(&s, SHORT) };
    for at in node
        .object()
        .attributes()
        .with_context(|| format!("{}: {path}", file.display()))?
    {
        if raw {
            writeln!(so, "{} = {}", at.name, cut(raw_text(&at)))?;
            continue;
        }
        let decoded = b.attr(&pn, &at.name);
        let text = match decoded {
            Ok(Some(v)) => pmd::attr_str(&v),
            Ok(None) => String::new(),
            Err(e) => format!("!error: {e}"),
        };
        if let Some(tree) = xml_tree(&text) {
            writeln!(so, "{} =", at.name)?;
            for l in tree {
                writeln!(so, "  {l}")?;
            }
        } else {
            writeln!(so, "{} = {}", at.name, cut(text))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The attribute as stored: strings as their text, other values as JSON.
fn raw_text(a: &pymodaq_h5::hdf5::read::Attribute) -> String {
    if a.dataspace.kind == DataspaceKind::Null {
        return "(empty)".into();
    }
    match a.values() {
        Ok(vals) => {
            let j: Vec<serde_json::Value> = vals.iter().map(pymodaq_h5::dump::value_json).collect();
            match j.as_slice() {
                [one] if a.dataspace.dims.is_empty() => match one {
                    serde_json::Value::Object(m) if m.contains_key("text") => {
                        m["text"].as_str().unwrap_or("").to_string()
                    }
                    serde_json::Value::String(t) => t.clone(),
                    other => other.to_string(),
                },
                _ => serde_json::Value::Array(j).to_string(),
            }
        }
        Err(e) => format!("!error: {e}"),
    }
}

/// PyMoDAQ's settings XML (`ioxml.parameter_to_xml_string`) as indented
/// `name (type) = value` lines, or `None` when the text is not such XML.
pub fn xml_tree(text: &str) -> Option<Vec<String>> {
    let t = text.trim_start();
    if !t.starts_with('<') {
        return None;
    }
    let doc = roxmltree::Document::parse(t).ok()?;
    let mut out = Vec::new();
    let root = doc.root_element();
    for c in root.children().filter(|n| n.is_element()) {
        xml_node(c, 0, &mut out);
    }
    if out.is_empty() {
        out.push(format!("{} (empty)", root.tag_name().name()));
    }
    Some(out)
}

fn xml_node(n: roxmltree::Node, depth: usize, out: &mut Vec<String>) {
    if depth > 64 || out.len() > 100_000 {
        return;
    }
    let name = n.tag_name().name();
    let ty = n.attribute("type").unwrap_or("");
    let title = n
        .attribute("title")
        .filter(|t| *t != name)
        .map(|t| format!(" \"{t}\""))
        .unwrap_or_default();
    let pad = "  ".repeat(depth);
    let kids: Vec<roxmltree::Node> = n.children().filter(|c| c.is_element()).collect();
    if ty == "group" || !kids.is_empty() {
        out.push(format!("{pad}{name}{title} (group)"));
        for c in kids {
            xml_node(c, depth + 1, out);
        }
    } else {
        let value: String = n.text().unwrap_or("").trim().to_string();
        let ty = if ty.is_empty() {
            String::new()
        } else {
            format!(" ({ty})")
        };
        out.push(format!("{pad}{name}{title}{ty} = {value}"));
    }
}
