//! `api::Client` against the in-process simulator, over real HTTP: every operation, every error
//! status, on-behalf-of isolation, persistence, timeouts and the retry rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sgkeys::api::{
    ApiError, ApiKeyId, Client, ClientOptions, OnBehalfOf, RetryPolicy, epoch_now,
    install_crypto_provider,
};
use sgkeys::scopes::{KeyType, classify};
use sgkeys::secret::Secret;
use sgkeys::sim::{self, GetShape, Seed, SimConfig, SimHandle};

const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, or revoked";

use crate::common::simulator::start;

mod defaults;
mod errors;
mod fidelity;
mod operations;
mod server;
mod tenancy;

/// The demo seed without SendGrid's waits (the tests of the realistic defaults start
/// `SimConfig::default()` themselves).
async fn demo() -> SimHandle {
    start(SimConfig::fast()).await
}

async fn empty() -> SimHandle {
    start(SimConfig {
        seed: Seed::Empty,
        ..SimConfig::fast()
    })
    .await
}

fn opts(sim: &SimHandle) -> ClientOptions {
    ClientOptions {
        base_url: sim.base_url(),
        eu_base_url: Some(sim.eu_base_url()),
        timeout: Duration::from_secs(5),
        retry: RetryPolicy::none(),
        ..ClientOptions::default()
    }
}

/// A client without retries (for error mapping).
fn client(sim: &SimHandle, key: &Secret) -> Client {
    Client::new(key.clone(), opts(sim)).unwrap()
}

fn admin(sim: &SimHandle) -> Client {
    client(sim, sim.admin_key())
}

/// A client of `sim` as its admin that retries quickly.
fn retrying(sim: &SimHandle) -> Client {
    let opts = ClientOptions {
        retry: fast_retries(),
        ..opts(sim)
    };
    Client::new(sim.admin_key().clone(), opts).unwrap()
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_rate_wait: Duration::from_secs(3),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn message(e: &ApiError) -> String {
    e.body()
        .and_then(|b| b.first_message())
        .unwrap_or_default()
        .to_owned()
}

fn field(e: &ApiError) -> Option<String> {
    e.body()?.errors.first()?.field.clone()
}

/// A raw HTTP answer.
struct Raw {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn rate_headers(&self) -> (u64, u64, u64) {
        let num = |name: &str| -> u64 {
            self.headers
                .get(name)
                .unwrap_or_else(|| panic!("{name} missing (status {})", self.status))
                .to_str()
                .unwrap()
                .parse()
                .unwrap()
        };
        (
            num("x-ratelimit-limit"),
            num("x-ratelimit-remaining"),
            num("x-ratelimit-reset"),
        )
    }
}

/// Requests the client would never send.
struct RawReq<'a> {
    method: &'a str,
    path: &'a str,
    key: Option<&'a str>,
    accept: Option<&'a str>,
    body: Option<&'a str>,
    obo: Option<&'a str>,
    /// Send it to the EU host.
    eu: bool,
}

impl Default for RawReq<'_> {
    fn default() -> Self {
        RawReq {
            method: "GET",
            path: "/v3/api_keys",
            key: None,
            accept: Some("application/json"),
            body: None,
            obo: None,
            eu: false,
        }
    }
}

/// A plain GET of the key list with `key` (the default request with another key).
fn as_key(key: &str) -> RawReq<'_> {
    RawReq {
        key: Some(key),
        ..RawReq::default()
    }
}

async fn raw(sim: &SimHandle, r: RawReq<'_>) -> Raw {
    install_crypto_provider();
    let http = reqwest::Client::builder().build().unwrap();
    let method = reqwest::Method::from_bytes(r.method.as_bytes()).unwrap();
    let base = if r.eu {
        sim.eu_base_url()
    } else {
        sim.base_url()
    };
    let mut req = http.request(method, format!("{base}{}", r.path));
    if let Some(k) = r.key {
        req = req.header("Authorization", format!("Bearer {k}"));
    }
    if let Some(a) = r.accept {
        req = req.header("Accept", a);
    }
    if let Some(b) = r.body {
        req = req
            .header("Content-Type", "application/json")
            .body(b.to_owned());
    }
    if let Some(o) = r.obo {
        req = req.header("on-behalf-of", o);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.unwrap().to_vec();
    Raw {
        status,
        headers,
        body,
    }
}

fn admin_raw<'a>(sim: &'a SimHandle, method: &'a str, path: &'a str) -> RawReq<'a> {
    RawReq {
        method,
        path,
        key: Some(sim.admin_key().expose()),
        ..RawReq::default()
    }
}

/// One HTTP/1.1 exchange over a bare TCP socket (no headers added by any library).
async fn raw_tcp(sim: &SimHandle, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = sim.base_url().trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

fn message_of(r: &Raw) -> String {
    r.json()["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
