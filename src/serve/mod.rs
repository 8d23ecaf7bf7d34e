//! `pymodaq-h5 serve`: h5grove's REST API (what h5web's `H5GroveProvider` speaks) over the
//! files of one folder, plus an embedded viewer page under `/viewer/`.
//!
//! Safe by default: binds 127.0.0.1 unless told otherwise; the `file` parameter is resolved
//! inside the served folder (no `..`, no absolute paths, no symlink leading out); every read
//! is capped ([`h5grove::ServeLimits`] and the reader's [`crate::Limits`]); a hostile file
//! gives an HTTP error. Each request opens the file afresh (only the superblock is read), so
//! a file that grows is seen as it is now. See `spec/serve.md`.

pub mod encode;
pub mod h5grove;
pub mod http;
pub mod nexus;
pub mod pyjson;
pub mod select;
pub mod stats;
pub mod viewer;

use std::net::{SocketAddr, TcpListener};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use h5grove::{ServeLimits, Served};
use http::{Request, Response};
use pyjson::J;

use crate::hdf5::read::File;
use crate::Limits;

/// What to serve and how.
#[derive(Debug, Clone)]
pub struct Config {
    /// The folder the `file` parameter is relative to.
    pub root: PathBuf,
    /// The file used when a request has no `file` parameter (serving a single file).
    pub default_file: Option<String>,
    /// `Access-Control-Allow-Origin` value (`None`: no CORS header).
    pub allow_origin: Option<String>,
    /// Caps per request.
    pub limits: ServeLimits,
    /// Reader caps.
    pub reader_limits: Limits,
    /// Worker threads.
    pub threads: usize,
}

impl Config {
    /// Serve `target`: a folder, or a file (its folder is the root, it is the default).
    pub fn for_target(target: &Path) -> std::io::Result<Config> {
        let meta = std::fs::metadata(target)?;
        let (root, default_file) = if meta.is_dir() {
            (target.to_path_buf(), None)
        } else {
            let parent = crate::storage::dir_of(target);
            let name = target.file_name().map(|n| n.to_string_lossy().into_owned());
            (parent.to_path_buf(), name)
        };
        Ok(Config {
            root: std::fs::canonicalize(root)?,
            default_file,
            allow_origin: Some("*".into()),
            limits: ServeLimits::default(),
            reader_limits: Limits::default(),
            threads: 8,
        })
    }
}

/// Why a `file` parameter is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum PathRefusal {
    /// Absolute, `..`, or resolving (through symlinks) outside the root: 403.
    Outside,
    /// Does not exist: 404.
    Missing,
}

/// Resolve `file` inside `root` (canonical), refusing anything that leaves it.
pub fn confine(root: &Path, file: &str) -> Result<PathBuf, PathRefusal> {
    if file.contains('\0') {
        return Err(PathRefusal::Outside);
    }
    let rel = Path::new(file);
    for c in rel.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            _ => return Err(PathRefusal::Outside),
        }
    }
    let joined = root.join(rel);
    let canon = std::fs::canonicalize(&joined).map_err(|_| {
        // A dangling symlink is reported as missing only when it would stay inside.
        PathRefusal::Missing
    })?;
    if !canon.starts_with(root) {
        return Err(PathRefusal::Outside);
    }
    Ok(canon)
}

/// The request router: h5grove endpoints, the viewer, the ping.
pub struct App {
    /// Configuration.
    pub config: Config,
}

fn endpoint(path: &str) -> &str {
    path.trim_end_matches('/')
}

impl App {
    /// Answer one request.
    pub fn handle(&self, req: &Request) -> Response {
        let mut resp = self.route(req);
        if let Some(o) = &self.config.allow_origin {
            resp.headers
                .push(("Access-Control-Allow-Origin".into(), o.clone()));
        }
        resp
    }

    fn route(&self, req: &Request) -> Response {
        if req.method != "GET" && req.method != "HEAD" {
            return Response::error(405, "Method Not Allowed").with("Allow", "GET, HEAD");
        }
        if req.path == "/" {
            return Response::new(200, "text/html; charset=UTF-8", b"ok".to_vec());
        }
        if req.path == "/viewer" || req.path.starts_with("/viewer/") {
            return viewer::serve(&req.path, &self.config);
        }
        if let Some(rest) = req.path.strip_prefix("/nexus") {
            return match endpoint(rest) {
                e @ ("/meta" | "/attr" | "/data" | "/stats" | "/paths") => {
                    self.content_endpoint(e, req, true).unwrap_or_else(|r| r)
                }
                _ => Response::error(404, "Not Found"),
            };
        }
        match endpoint(&req.path) {
            e @ ("/meta" | "/attr" | "/data" | "/stats" | "/paths") => {
                self.content_endpoint(e, req, false).unwrap_or_else(|r| r)
            }
            "/files" => viewer::list_files(&self.config),
            e @ ("/pymodaq" | "/pmdattrs") => self.pymodaq_endpoint(e, req).unwrap_or_else(|r| r),
            _ => Response::error(404, "Not Found"),
        }
    }

    fn open(&self, req: &Request) -> Result<Served, Response> {
        let file = match req.arg("file").map(str::trim) {
            Some(f) => f.to_string(),
            None => match &self.config.default_file {
                Some(f) => f.clone(),
                None => return Err(Response::error(400, "Bad Request")),
            },
        };
        let full = match confine(&self.config.root, &file) {
            Ok(p) => p,
            Err(PathRefusal::Missing) => return Err(Response::error(404, "File not found!")),
            Err(PathRefusal::Outside) => {
                return Err(Response::error(
                    403,
                    "Cannot read file: outside the served folder!",
                ))
            }
        };
        let basename = Path::new(&file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match File::open_with_limits(&full, self.config.reader_limits) {
            Ok(f) => Ok(Served { file: f, basename }),
            Err(crate::Error::Io(e)) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                Err(Response::error(403, "Cannot read file: Permission denied!"))
            }
            Err(e) => Err(Response::error(
                500,
                &format!("Internal Server Error: cannot open {file}: {e}"),
            )),
        }
    }

    /// Our own endpoints for the viewer: NeXus hints (`/pymodaq/`) and attributes decoded as
    /// PyMoDAQ decodes them (`/pmdattrs/`).
    fn pymodaq_endpoint(&self, e: &str, req: &Request) -> Result<Response, Response> {
        let served = self.open(req)?;
        let path = req.arg("path").unwrap_or("/");
        let j = if e == "/pymodaq" {
            crate::pymodaq::nexus::hints(&served.file, path).unwrap_or(serde_json::Value::Null)
        } else {
            let util = crate::pymodaq::browsing::H5BrowserUtil::new(&served.file);
            let a = util
                .get_h5_attributes(path)
                .map_err(|e| Response::error(404, &format!("{path}: {e}")))?;
            let attrs: serde_json::Map<String, serde_json::Value> = a
                .attrs
                .iter()
                .map(|(k, v)| (k.clone(), crate::pymodaq::load_json::py_json(v)))
                .collect();
            serde_json::Value::Object(attrs)
        };
        Ok(Response::new(
            200,
            "application/json",
            serde_json::to_vec(&j).unwrap_or_default(),
        ))
    }

    /// h5grove's endpoints; with `nexus`, the `/nexus/` view of them (`nexus.rs`).
    fn content_endpoint(&self, e: &str, req: &Request, nexus: bool) -> Result<Response, Response> {
        let resolve = h5grove::parse_resolve(req.arg("resolve_links").map(str::trim))?;
        let served = self.open(req)?;
        let path = req.arg("path").unwrap_or("/").to_string();
        let lim = &self.config.limits;
        if e == "/paths" {
            let base = req.arg("path").unwrap_or("");
            let base = if base.is_empty() { "/" } else { base };
            let mut list = h5grove::path_list(&served, base, resolve, lim)?;
            if nexus {
                list = nexus::with_virtual_paths(&served, list, lim)?;
            }
            return Ok(h5grove::json(&J::Arr(list)));
        }
        if nexus {
            return nexus::answer(&served, e, &path, resolve, req, lim);
        }
        let c = h5grove::content(&served, &path, resolve)?;
        match e {
            "/meta" => Ok(Response::new(
                200,
                "application/json",
                h5grove::metadata(&served, &c, 1)?.to_bytes(),
            )),
            "/attr" => h5grove::attr(&c, &req.args("attr_keys")),
            "/data" => h5grove::data(&c, req, lim),
            _ => h5grove::stats(&c, req, lim),
        }
    }
}

/// A bound server, not yet running.
pub struct Server {
    listener: TcpListener,
    app: Arc<App>,
}

impl Server {
    /// Bind `host:port` (port 0: any free port).
    pub fn bind(config: Config, host: &str, port: u16) -> std::io::Result<Server> {
        let listener = TcpListener::bind((host, port))?;
        Ok(Server {
            listener,
            app: Arc::new(App { config }),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serve forever.
    pub fn run(self) {
        let threads = self.app.config.threads;
        let app = Arc::clone(&self.app);
        http::run(
            self.listener,
            threads,
            Arc::new(move |r: &Request| app.handle(r)),
        );
    }
}
