//! The embedded viewer page (`/viewer/`): our own HTML/JS, no CDN, no network.

use super::http::Response;
use super::pyjson::J;
use super::Config;

const INDEX: &str = include_str!("viewer/index.html");
const APP_JS: &str = include_str!("viewer/app.js");
const STYLE: &str = include_str!("viewer/style.css");

/// Serve a viewer asset.
pub fn serve(path: &str, _config: &Config) -> Response {
    match path {
        "/viewer" | "/viewer/" | "/viewer/index.html" => {
            Response::new(200, "text/html; charset=UTF-8", INDEX.as_bytes().to_vec())
        }
        "/viewer/app.js" => Response::new(
            200,
            "application/javascript; charset=UTF-8",
            APP_JS.as_bytes().to_vec(),
        ),
        "/viewer/style.css" => {
            Response::new(200, "text/css; charset=UTF-8", STYLE.as_bytes().to_vec())
        }
        _ => Response::error(404, "Not Found"),
    }
    .with("Cache-Control", "no-cache")
}

/// `/files`: the HDF5 files under the root (relative paths), for the viewer's file picker.
pub fn list_files(config: &Config) -> Response {
    let mut out = Vec::new();
    let mut stack = vec![(config.root.clone(), 0u32)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            // Symlinks are not followed here: a listing never leads outside the root.
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() && depth < 8 {
                stack.push((p, depth + 1));
            } else if ft.is_file() {
                let ext = p
                    .extension()
                    .and_then(|x| x.to_str())
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if matches!(ext.as_str(), "h5" | "hdf5" | "hdf" | "nxs" | "he5") {
                    if let Ok(rel) = p.strip_prefix(&config.root) {
                        out.push(rel.to_string_lossy().into_owned());
                    }
                }
            }
            if out.len() >= 10_000 {
                break;
            }
        }
    }
    out.sort();
    let default = config.default_file.clone().map_or(J::Null, J::Str);
    let j = J::obj(vec![
        ("default", default),
        ("files", J::Arr(out.into_iter().map(J::Str).collect())),
    ]);
    Response::new(200, "application/json", j.to_bytes())
}
