//! A hostile stand-in for SendGrid, for tests: raw HTTP/1.1 over a `TcpListener` on
//! 127.0.0.1, so it can answer with anything: malformed or truncated bodies, redirects, HTML
//! error pages, silence, a closed connection, or a slow answer.
//!
//! Every request is recorded ([`Hostile::requests`]) and answered by a rule, called once per
//! request in arrival order. Keep-alive is supported (reqwest reuses connections), as are
//! `Content-Length` and `Transfer-Encoding: chunked` request bodies.
//!
//! Include it with `mod hostile;` from a test crate.

#![allow(dead_code)] // each test crate uses a different part

pub mod keys;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// Largest request head (request line and headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body accepted.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// One request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    /// Path including the query string.
    pub path: String,
    /// Header names lowercased, values trimmed, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How to answer one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Any status line, headers and body; Content-Length is added from body unless `headers`
    /// has one.
    Raw {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Sends headers with Content-Length `declared` but only `body`, then closes.
    Truncated {
        status: u16,
        declared: usize,
        body: Vec<u8>,
    },
    /// Reads the request and never answers (holds the socket until the server is dropped).
    Silent,
    /// Closes the connection right after reading the request, no answer.
    Close,
    /// Waits, then replies.
    Slow(Duration, Box<Reply>),
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Seconds since the Unix epoch, with the fraction.
pub fn now_f64() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// An HTTP `Date` header value for epoch time `secs` (a server's clock, which may be off ours).
pub fn http_date(secs: f64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs_f64(secs.max(0.0)))
}

impl Reply {
    /// A JSON answer with SendGrid's rate-limit headers (limit 600, 599 left, reset in 60 s).
    pub fn json(status: u16, v: serde_json::Value) -> Reply {
        Reply::Raw {
            status,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("X-RateLimit-Limit".into(), "600".into()),
                ("X-RateLimit-Remaining".into(), "599".into()),
                ("X-RateLimit-Reset".into(), (now_secs() + 60).to_string()),
            ],
            body: v.to_string().into_bytes(),
        }
    }

    /// No body (e.g. 204).
    pub fn empty(status: u16) -> Reply {
        Reply::Raw {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// An HTML page, as proxies and load balancers send.
    pub fn html(status: u16, body: &str) -> Reply {
        Reply::Raw {
            status,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// A redirect to `location`, with a small HTML body.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::html(
            status,
            &format!("<html><body>Moved to <a href=\"{location}\">{location}</a></body></html>"),
        )
        .with_header("Location", location)
    }

    /// Add a header, or replace one of the same name (case-insensitive). Applies to `Raw`, and
    /// to the inner reply of `Slow`; the other kinds have no headers to change.
    pub fn with_header(self, k: &str, v: &str) -> Reply {
        match self {
            Reply::Raw {
                status,
                mut headers,
                body,
            } => {
                headers.retain(|(name, _)| !name.eq_ignore_ascii_case(k));
                headers.push((k.to_owned(), v.to_owned()));
                Reply::Raw {
                    status,
                    headers,
                    body,
                }
            }
            Reply::Slow(d, inner) => Reply::Slow(d, Box::new(inner.with_header(k, v))),
            other => other,
        }
    }
}

type Rule = dyn Fn(&Seen) -> Reply + Send + Sync;

struct Shared {
    /// Every request so far; also serializes rule calls so they happen in arrival order.
    seen: Mutex<Vec<Seen>>,
    rule: Box<Rule>,
    /// Connections accepted so far.
    connections: AtomicUsize,
}

impl Shared {
    fn seen(&self) -> MutexGuard<'_, Vec<Seen>> {
        // A panicking rule must not hide the requests seen so far.
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn answer(&self, req: Seen) -> Reply {
        let mut seen = self.seen();
        let reply = (self.rule)(&req);
        seen.push(req);
        reply
    }
}

/// A running hostile server; stops (and closes every held connection) when dropped.
pub struct Hostile {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Hostile {
    /// Serve with a rule called for every request (in arrival order); the rule may keep its
    /// own state.
    pub async fn start(rule: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = match TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => panic!("hostile: cannot bind 127.0.0.1:0: {e}"),
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => panic!("hostile: no local address: {e}"),
        };
        let shared = Arc::new(Shared {
            seen: Mutex::new(Vec::new()),
            rule: Box::new(rule),
            connections: AtomicUsize::new(0),
        });
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        Hostile { addr, shared, task }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request seen so far, in arrival order.
    pub fn requests(&self) -> Vec<Seen> {
        self.shared.seen().clone()
    }

    /// How many connections were accepted (1 for several requests means keep-alive worked).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// How many requests had this method and a path starting with `path_prefix`.
    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        self.shared
            .seen()
            .iter()
            .filter(|s| s.method.eq_ignore_ascii_case(method) && s.path.starts_with(path_prefix))
            .count()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        // Dropping the accept loop drops its JoinSet, which aborts every connection task and
        // so closes every socket, including the ones held by `Silent`.
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    shared.connections.fetch_add(1, Ordering::SeqCst);
                    conns.spawn(serve(stream, shared.clone()));
                }
            }
            // Reap finished connections so the set does not grow.
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

/// Serve requests on one connection until the client closes it or a reply ends it.
async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    loop {
        let Some((req, wants_close)) = read_request(&mut stream, &mut buf).await else {
            return;
        };
        let mut reply = shared.answer(req);
        while let Reply::Slow(d, inner) = reply {
            tokio::time::sleep(d).await;
            reply = *inner;
        }
        let keep = match reply {
            Reply::Raw {
                status,
                headers,
                body,
            } => {
                let has_len = headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("content-length"));
                let closes = headers.iter().any(|(k, v)| {
                    k.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close")
                });
                let mut head = status_line(status);
                for (k, v) in &headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                if !has_len {
                    head.push_str(&format!("Content-Length: {}\r\n", body.len()));
                }
                head.push_str("\r\n");
                let mut out = head.into_bytes();
                out.extend_from_slice(&body);
                if stream.write_all(&out).await.is_err() {
                    return;
                }
                !closes
            }
            Reply::Truncated {
                status,
                declared,
                body,
            } => {
                let mut out = format!("{}Content-Length: {declared}\r\n\r\n", status_line(status))
                    .into_bytes();
                out.extend_from_slice(&body);
                let _ = stream.write_all(&out).await;
                let _ = stream.flush().await;
                false
            }
            Reply::Silent => {
                // Held until the server is dropped (the task is aborted then).
                std::future::pending::<()>().await;
                false
            }
            Reply::Close => false,
            Reply::Slow(..) => false, // unreachable: unwrapped above
        };
        let _ = stream.flush().await;
        if !keep || wants_close {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

fn status_line(status: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Whatever");
    format!("HTTP/1.1 {status} {reason}\r\n")
}

/// Read one request from the connection. `buf` keeps bytes read past it (pipelining). `None`
/// when the connection closed or the request is unreadable. The flag says the client asked to
/// close the connection.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(Seen, bool)> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        fill(stream, buf).await?;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    buf.drain(..head_end + 4);
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let version = first.next().unwrap_or("HTTP/1.1").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let chunked =
        get("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let wants_close = match get("connection").map(str::to_ascii_lowercase) {
        Some(c) if c.contains("close") => true,
        Some(c) if c.contains("keep-alive") => false,
        _ => version == "HTTP/1.0",
    };
    let body = if chunked {
        read_chunked(stream, buf).await?
    } else {
        let len: usize = match get("content-length") {
            Some(v) => v.parse().ok()?,
            None => 0,
        };
        if len > MAX_BODY {
            return None;
        }
        while buf.len() < len {
            fill(stream, buf).await?;
        }
        buf.drain(..len).collect()
    };
    let seen = Seen {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    Some((seen, wants_close))
}

async fn read_chunked(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(i) = find(buf, b"\r\n") {
                break i;
            }
            if buf.len() > MAX_HEAD {
                return None;
            }
            fill(stream, buf).await?;
        };
        let line = String::from_utf8_lossy(&buf[..line_end]).into_owned();
        buf.drain(..line_end + 2);
        let size_hex = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).ok()?;
        if size == 0 {
            // Trailers (ignored) up to an empty line.
            loop {
                let end = loop {
                    if let Some(i) = find(buf, b"\r\n") {
                        break i;
                    }
                    if buf.len() > MAX_HEAD {
                        return None;
                    }
                    fill(stream, buf).await?;
                };
                buf.drain(..end + 2);
                if end == 0 {
                    return Some(body);
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return None;
        }
        while buf.len() < size + 2 {
            fill(stream, buf).await?;
        }
        body.extend(buf.drain(..size));
        buf.drain(..2);
    }
}

/// Read more bytes; `None` at end of stream or on error.
async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 8192];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Some(())
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The name a `POST /v3/api_keys` asks for.
pub fn created_name(r: &Seen) -> String {
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    body["name"].as_str().unwrap().to_owned()
}

/// A GET-one body: `{"api_key_id", "name", "scopes"}`.
pub fn key_json(id: &str, name: &str, scopes: &[&str]) -> serde_json::Value {
    serde_json::json!({ "api_key_id": id, "name": name, "scopes": scopes })
}

/// A list body: `{"result": [{"api_key_id", "name"}, ...]}`.
pub fn list_json(keys: &[(&str, &str)]) -> serde_json::Value {
    let result: Vec<serde_json::Value> = keys
        .iter()
        .map(|(id, name)| serde_json::json!({ "api_key_id": id, "name": name }))
        .collect();
    serde_json::json!({ "result": result })
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A well-formed SendGrid key (`SG.` + 22 + `.` + 43), the same for the same seed; different
/// seeds give different ids.
pub fn fake_key(seed: u8) -> String {
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ u64::from(seed).wrapping_mul(0x1000_0000_01B3);
    let mut next = || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let v = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        char::from(ALPHABET[(v >> 58) as usize])
    };
    let mut key = String::with_capacity(69);
    key.push_str("SG.");
    // The first two characters spell the seed, so ids never collide.
    key.push(char::from(ALPHABET[usize::from(seed % 64)]));
    key.push(char::from(ALPHABET[usize::from(seed / 64)]));
    for _ in 0..20 {
        key.push(next());
    }
    key.push('.');
    for _ in 0..43 {
        key.push(next());
    }
    key
}

/// The id (22-character middle part) of a key.
pub fn id_of(key: &str) -> String {
    key.get(3..25).unwrap_or_default().to_owned()
}
