//! A small HTTP/1.1 server on `std::net`: GET/HEAD, keep-alive, bounded request heads,
//! a fixed pool of worker threads. No async runtime: the static binary stays small.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Largest request head (request line and headers).
pub const MAX_HEAD: usize = 16 << 10;
/// Idle time a kept-alive connection may wait for its next request.
const IDLE: Duration = Duration::from_secs(5);
/// Requests served on one connection before it is closed (fairness across the pool).
const MAX_REQUESTS_PER_CONN: u32 = 1000;

/// A parsed request.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// Percent-decoded path (`/meta/`).
    pub path: String,
    /// Query parameters in order, decoded (`+` is a space).
    pub query: Vec<(String, String)>,
    /// Headers (names lower-cased).
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The last value of a query argument, as tornado's `get_query_argument`.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a query argument.
    pub fn args(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// Headers besides Content-Length and Connection.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a content type.
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Response {
        Response {
            status,
            reason: reason(status).to_string(),
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
        }
    }

    /// A JSON error `{"message": "..."}` (tornado's `json_encode`, with its spacing). As
    /// tornado, a message that is not a valid reason phrase (a `<`, characters beyond
    /// Latin-1, control characters) becomes "Unknown".
    pub fn error(status: u16, message: &str) -> Response {
        let valid = !message.contains('<')
            && message.chars().all(|c| {
                c == '\t' || (' '..='~').contains(&c) || ('\u{80}'..='\u{ff}').contains(&c)
            });
        let message = if valid { message } else { "Unknown" };
        let body = format!(
            "{{\"message\": {}}}",
            serde_json::to_string(message)
                .unwrap_or_else(|_| "\"\"".into())
                .replace("</", "<\\/")
        );
        Response::new(status, "application/json; charset=UTF-8", body.into_bytes())
    }

    /// Add a header.
    pub fn with(mut self, k: &str, v: &str) -> Response {
        self.headers.push((k.into(), v.into()));
        self
    }
}

/// The standard reason phrase.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

fn hexval(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decode (`plus`: `+` means a space, as in query strings); `None` if the result is
/// not UTF-8.
pub fn percent_decode(s: &str, plus: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => match (
                b.get(i + 1).copied().and_then(hexval),
                b.get(i + 2).copied().and_then(hexval),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Parse a request head (without the final blank line).
pub fn parse_head(head: &str) -> Result<Request, Response> {
    let mut lines = head.split("\r\n").flat_map(|l| l.split('\n'));
    let first = lines.next().unwrap_or("");
    let mut parts = first.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Response::error(400, "Bad Request"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(Response::error(400, "Bad Request"));
    }
    let (p, q) = target.split_once('?').unwrap_or((target, ""));
    let path = percent_decode(p, false).ok_or_else(|| Response::error(400, "Bad Request"))?;
    let mut query = Vec::new();
    for pair in q.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_decode(k, true).ok_or_else(|| Response::error(400, "Bad Request"))?;
        let v = percent_decode(v, true).ok_or_else(|| Response::error(400, "Bad Request"))?;
        query.push((k, v));
    }
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Request {
        method: method.to_string(),
        path,
        query,
        headers,
    })
}

/// Read one request head; `Ok(None)` when the peer closed cleanly.
fn read_head(r: &mut BufReader<TcpStream>) -> std::io::Result<Option<Result<String, Response>>> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = r
            .by_ref()
            .take((MAX_HEAD + 1 - head.len().min(MAX_HEAD)) as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(if head.is_empty() {
                None
            } else {
                Some(Err(Response::error(400, "Bad Request")))
            });
        }
        if head.len() + line.len() > MAX_HEAD {
            return Ok(Some(Err(Response::error(
                431,
                "Request Header Fields Too Large",
            ))));
        }
        if (line == b"\r\n" || line == b"\n") && head.is_empty() {
            continue; // stray blank lines between requests are tolerated
        }
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        head.extend_from_slice(&line);
    }
    Ok(Some(
        String::from_utf8(head).map_err(|_| Response::error(400, "Bad Request")),
    ))
}

fn write_response(
    s: &mut TcpStream,
    resp: &Response,
    head_only: bool,
    keep: bool,
) -> std::io::Result<()> {
    let mut h = format!(
        "HTTP/1.1 {} {}\r\n",
        resp.status,
        resp.reason.replace(['\r', '\n'], " ")
    );
    h.push_str("Server: pymodaq-h5\r\n");
    for (k, v) in &resp.headers {
        h.push_str(&format!("{k}: {}\r\n", v.replace(['\r', '\n'], " ")));
    }
    h.push_str(&format!("Content-Length: {}\r\n", resp.body.len()));
    h.push_str(if keep {
        "Connection: keep-alive\r\n\r\n"
    } else {
        "Connection: close\r\n\r\n"
    });
    let mut buf = h.into_bytes();
    if !head_only {
        buf.extend_from_slice(&resp.body);
    }
    s.write_all(&buf)?;
    s.flush()
}

/// Serve one connection until it closes, idles out or errs.
fn serve_conn(stream: TcpStream, handler: &(dyn Fn(&Request) -> Response + Send + Sync)) {
    let _ = stream.set_read_timeout(Some(IDLE));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(60)));
    let _ = stream.set_nodelay(true);
    let Ok(mut w) = stream.try_clone() else {
        return;
    };
    let mut r = BufReader::new(stream);
    for _ in 0..MAX_REQUESTS_PER_CONN {
        let head = match read_head(&mut r) {
            Ok(Some(h)) => h,
            _ => return,
        };
        let req = match head.and_then(|h| parse_head(&h)) {
            Ok(req) => req,
            Err(resp) => {
                let _ = write_response(&mut w, &resp, false, false);
                return;
            }
        };
        // A GET has no body; one announced is refused rather than read.
        let has_body = req
            .header("content-length")
            .is_some_and(|v| v.trim() != "0")
            || req.header("transfer-encoding").is_some();
        let keep = !has_body
            && !req
                .header("connection")
                .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let resp = if has_body {
            Response::error(400, "Bad Request")
        } else {
            // A panic in a handler is a bug; it must not take the worker down with it.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&req)))
                .unwrap_or_else(|_| Response::error(500, "Internal Server Error"))
        };
        if write_response(&mut w, &resp, req.method == "HEAD", keep).is_err() || !keep {
            return;
        }
    }
}

/// Accept connections on `listener` forever, serving them on `threads` workers.
pub fn run(
    listener: TcpListener,
    threads: usize,
    handler: Arc<dyn Fn(&Request) -> Response + Send + Sync>,
) {
    let (tx, rx) = sync_channel::<TcpStream>(256);
    let rx: Arc<Mutex<Receiver<TcpStream>>> = Arc::new(Mutex::new(rx));
    for _ in 0..threads.max(1) {
        let rx = Arc::clone(&rx);
        let h = Arc::clone(&handler);
        std::thread::spawn(move || loop {
            let next = match rx.lock() {
                Ok(guard) => guard.recv(),
                Err(_) => return,
            };
            match next {
                Ok(s) => serve_conn(s, h.as_ref()),
                Err(_) => return,
            }
        });
    }
    for s in listener.incoming() {
        match s {
            Ok(s) => {
                if tx.send(s).is_err() {
                    return;
                }
            }
            // Out of descriptors and the like: wait a little rather than spin.
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_query_like_tornado() {
        let r = parse_head(
            "GET /data/?file=a%20b.h5&path=/x+y&attr_keys=a&attr_keys=b HTTP/1.1\r\nHost: x",
        )
        .unwrap();
        assert_eq!(r.path, "/data/");
        assert_eq!(r.arg("file"), Some("a b.h5"));
        assert_eq!(r.arg("path"), Some("/x y"));
        assert_eq!(r.args("attr_keys"), vec!["a", "b"]);
        assert_eq!(r.header("host"), Some("x"));
        assert!(parse_head("GET /").is_err());
        assert!(parse_head("GET /%ff HTTP/1.1").is_err());
    }
}
