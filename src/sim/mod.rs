//! The embedded SendGrid-compatible simulator (see `docs/simulator.md`).
//!
//! [`start`] binds a port and serves the v3 API-keys contract over real HTTP (axum) from an
//! in-memory store; [`SimHandle`] gives tests and the demo the knobs (latency, faults, rate
//! limit), the request log and direct access to the store. [`run_standalone`] is `sgkeys sim`.
//!
//! Determinism: the demo and bulk seeds always produce the same ids, names and scopes. The admin
//! key and the secrets of keys created later come from `rng_seed` (default `Some(42)`); `None`
//! draws them from the OS.

mod persist;
mod rate;
mod seed;
mod server;
mod store;
mod tls;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;
use tokio::task::JoinHandle;

use crate::api::{KeyDetail, Subuser};
use crate::secret::Secret;
pub use rate::Rate;
use server::{Knobs, Shared, lock};
use store::{KeyGen, PARENT, ScopeSet, SimScopes, Store};

/// What the simulator starts with (ignored when a state file is loaded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// The demo account `acme-corp`: admin key + 44 keys, and two subusers with keys.
    Demo,
    /// Nothing but the admin key.
    Empty,
    /// The admin key plus N generated keys in the parent (the 100-key limit applies to
    /// creation, not seeding).
    Bulk(usize),
    /// `fleet:S:N`: S subusers (`fleet-001`…, global region) with N generated keys each.
    Fleet { subusers: usize, keys: usize },
}

/// Largest bulk seed accepted.
pub const MAX_BULK: usize = 100_000;

impl FromStr for Seed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        match s.to_ascii_lowercase().as_str() {
            "demo" => Ok(Seed::Demo),
            "empty" => Ok(Seed::Empty),
            other if other.starts_with("fleet:") => {
                let bad = || format!("'{s}': use fleet:S:N (S subusers with N keys each)");
                let mut parts = other["fleet:".len()..].split(':');
                let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(bad());
                };
                let subusers: usize = a.trim().parse().map_err(|_| bad())?;
                let keys: usize = b.trim().parse().map_err(|_| bad())?;
                if subusers > 1000 || subusers.saturating_mul(keys) > MAX_BULK {
                    return Err(format!(
                        "'{s}': at most 1000 subusers and {MAX_BULK} keys in all"
                    ));
                }
                Ok(Seed::Fleet { subusers, keys })
            }
            other => {
                let n = other.strip_prefix("bulk:").ok_or_else(|| {
                    format!("unknown seed '{s}': use demo, empty, bulk:N or fleet:S:N")
                })?;
                let n: usize = n
                    .trim()
                    .parse()
                    .map_err(|_| format!("'{s}': N in bulk:N must be a whole number"))?;
                if n > MAX_BULK {
                    return Err(format!("'{s}': at most bulk:{MAX_BULK}"));
                }
                Ok(Seed::Bulk(n))
            }
        }
    }
}

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seed::Demo => f.write_str("demo"),
            Seed::Empty => f.write_str("empty"),
            Seed::Bulk(n) => write!(f, "bulk:{n}"),
            Seed::Fleet { subusers, keys } => write!(f, "fleet:{subusers}:{keys}"),
        }
    }
}

/// Shape of the `GET /v3/api_keys/{id}` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GetShape {
    /// `{"api_key_id","name","scopes"}`, what SendGrid really returns.
    #[default]
    Flat,
    /// `{"result":[{…}]}`, the OpenAPI spec's (erroneous) shape.
    Wrapped,
}

impl FromStr for GetShape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "flat" => Ok(GetShape::Flat),
            "wrapped" => Ok(GetShape::Wrapped),
            other => Err(format!("unknown GET shape '{other}': use flat or wrapped")),
        }
    }
}

impl fmt::Display for GetShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GetShape::Flat => "flat",
            GetShape::Wrapped => "wrapped",
        })
    }
}

/// Simulator settings (the `sgkeys sim` flags).
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: Seed,
    /// Added to every `/v3` request.
    pub latency: Duration,
    /// Requests per fixed window per calling account (on-behalf-of calls count against the
    /// calling key's account): [`DEFAULT_RATE`], 600 per 60 s.
    pub rate_limit: Rate,
    /// Key creations (`POST /v3/api_keys`) per fixed window per calling account, on top of
    /// `rate_limit`: [`DEFAULT_CREATE_RATE`], 1 per 2 s.
    pub create_rate: Rate,
    /// Fraction (0–1) of `/v3` requests that fail (429, 500, 503 HTML, timeout).
    pub fail_rate: f64,
    /// How long a simulated timeout keeps the request unanswered (then 504).
    pub hang: Duration,
    /// Load at start if present; rewritten after every mutation.
    pub state_file: Option<PathBuf>,
    /// The admin (owner) key; generated when `None`.
    pub admin_key: Option<Secret>,
    pub get_shape: GetShape,
    /// Seed for the admin key, new keys' secrets and fault rolls; `None` = OS randomness.
    pub rng_seed: Option<u64>,
    /// A connection that has not sent a complete request head (request line and headers) within
    /// this long is closed, so idle or slow clients (slowloris) cannot hold the simulator. It
    /// also closes keep-alive connections that stay idle this long between requests.
    pub header_timeout: Duration,
    /// How long a revoked key keeps authenticating (SendGrid's propagation delay):
    /// [`DEFAULT_REVOKE_DELAY`], 2 s.
    pub revoke_delay: Duration,
    /// Port of the EU host's listener (0: any free port).
    pub eu_port: u16,
    /// Serve HTTPS (a fresh CA per start; HTTP/2 and HTTP/1.1 by ALPN).
    pub tls: bool,
    /// With `tls`: offer HTTP/1.1 only (for comparisons).
    pub http1_only: bool,
    /// A new connection's first answer waits this much more (a TCP + TLS handshake's round
    /// trips), so per-connection costs show in benchmarks as they do on the internet.
    pub connect_delay: Duration,
    /// HTTP/2: streams a client may have open at once on one connection
    /// (`SETTINGS_MAX_CONCURRENT_STREAMS`); more wait in the client for a stream to close.
    pub h2_max_streams: u32,
}

/// Default [`SimConfig::h2_max_streams`]: 128, as nginx and AWS load balancers advertise
/// (an assumption: SendGrid's own figure is not documented).
pub const H2_MAX_STREAMS: u32 = 128;

/// Default [`SimConfig::header_timeout`] (an assumption: SendGrid does not document its own).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// Default [`SimConfig::rate_limit`]: 600 requests per 60 s, the only figure seen in public
/// (`X-RateLimit-Limit: 600` on `/v3/scopes`; an assumption for the API-keys endpoints).
pub const DEFAULT_RATE: Rate = Rate::new(600, 60);

/// Default [`SimConfig::create_rate`]: one key creation per 2 s (an assumption: the Terraform
/// providers' docs and issues report about one creation every 1–3 s).
pub const DEFAULT_CREATE_RATE: Rate = Rate::new(1, 2);

/// Default [`SimConfig::revoke_delay`] (an assumption: SendGrid says only "after some small
/// propagation delay").
pub const DEFAULT_REVOKE_DELAY: Duration = Duration::from_secs(2);

/// The rate of [`SimConfig::fast`]: 1000 requests per second, for creations too.
pub const FAST_RATE: Rate = Rate::per_second(1000);

impl Default for SimConfig {
    /// As slow and strict as SendGrid is believed to be: 600 requests per 60 s, one key
    /// creation per 2 s, a revoked key authenticating for 2 s more. Demo seed, no latency, no
    /// faults, 30 s hang, no state file, generated admin key, flat GET, `rng_seed: Some(42)`
    /// (stable ids for demos and snapshots), 5 s header timeout. [`SimConfig::fast`] is the
    /// same without the waits.
    fn default() -> Self {
        SimConfig {
            seed: Seed::Demo,
            latency: Duration::ZERO,
            rate_limit: DEFAULT_RATE,
            create_rate: DEFAULT_CREATE_RATE,
            fail_rate: 0.0,
            hang: Duration::from_secs(30),
            state_file: None,
            admin_key: None,
            get_shape: GetShape::Flat,
            rng_seed: Some(42),
            header_timeout: HEADER_TIMEOUT,
            revoke_delay: DEFAULT_REVOKE_DELAY,
            eu_port: 0,
            tls: false,
            http1_only: false,
            connect_delay: Duration::ZERO,
            h2_max_streams: H2_MAX_STREAMS,
        }
    }
}

impl SimConfig {
    /// The default settings without SendGrid's waits, for tests and benchmarks that need
    /// speed: 1000 requests per second, 1000 key creations per second, revoked keys stop
    /// authenticating at once (`sgkeys sim --rate-limit 1000/1s --create-rate 1000/1s
    /// --revoke-delay-ms 0`).
    pub fn fast() -> Self {
        SimConfig {
            rate_limit: FAST_RATE,
            create_rate: FAST_RATE,
            revoke_delay: Duration::ZERO,
            ..SimConfig::default()
        }
    }
}

/// Why the simulator could not start or keep its state.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("simulator state file {}: {reason}", path.display())]
    State { path: PathBuf, reason: String },
    #[error("cannot write simulator state file {}: {source}", path.display())]
    StateWrite {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid simulator setting: {0}")]
    Config(String),
    #[error("simulator server failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// One `/v3` request as the simulator saw it (never headers or bodies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestLog {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// The status sent (504 for a simulated timeout).
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
    /// The HTTP version the request came over: "1.1" or "2".
    pub http: &'static str,
    /// The rate-limit window (its epoch second) that counted the request, against the calling
    /// key's account; None when it was answered before the rate limit (406, 401, an injected
    /// fault).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<u64>,
}

/// A running simulator. Clones share it; [`SimHandle::shutdown`] stops it for all.
#[derive(Clone)]
pub struct SimHandle {
    shared: Arc<Shared>,
    base_url: String,
    /// The EU host (`api.eu.sendgrid.com` stands in for it): EU subusers' on-behalf-of calls.
    eu_base_url: String,
    /// With TLS: the CA certificate (PEM) clients must trust.
    ca_pem: Option<String>,
    admin: Secret,
    task: Arc<Mutex<Option<JoinHandle<std::io::Result<()>>>>>,
}

impl fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimHandle")
            .field("base_url", &self.base_url)
            .field("admin", &self.admin)
            .finish_non_exhaustive()
    }
}

fn build_store(cfg: &SimConfig) -> Result<Store, SimError> {
    let mut store = build_store_data(cfg)?;
    store.revoke_delay = cfg.revoke_delay;
    Ok(store)
}

fn build_store_data(cfg: &SimConfig) -> Result<Store, SimError> {
    if !(0.0..=1.0).contains(&cfg.fail_rate) {
        return Err(SimError::Config(format!(
            "fail rate {} is not between 0 and 1",
            cfg.fail_rate
        )));
    }
    if cfg.header_timeout.is_zero() {
        return Err(SimError::Config(
            "the header timeout must be above zero".into(),
        ));
    }
    if let Some(admin) = &cfg.admin_key
        && admin.key_id().is_none()
    {
        return Err(SimError::Config(
            "the admin key is not a well-formed SendGrid key (SG.<22>.<43>)".into(),
        ));
    }
    if let Some(path) = &cfg.state_file
        && let Some(mut store) = persist::load(path, cfg.rng_seed)?
    {
        if let Some(admin) = &cfg.admin_key {
            store.replace_admin(admin.clone());
        }
        return Ok(store);
    }
    let admin = match (&cfg.admin_key, cfg.rng_seed) {
        (Some(a), _) => a.clone(),
        (None, Some(s)) => Secret::generate(&mut StdRng::seed_from_u64(store::mix(s, u64::MAX))),
        (None, None) => Secret::generate(&mut rand::rng()),
    };
    let mut store = Store::new(
        admin,
        seed::PARENT_NAME,
        KeyGen {
            seed: cfg.rng_seed,
            generated: 0,
        },
    );
    seed::apply(&mut store, &cfg.seed);
    Ok(store)
}

/// Build the store (load or seed), bind `addr` (port 0 picks one), spawn the server and return.
pub async fn start(cfg: SimConfig, addr: SocketAddr) -> Result<SimHandle, SimError> {
    let cfg2 = cfg.clone();
    let (store, first) = tokio::task::spawn_blocking(move || -> Result<_, SimError> {
        let store = build_store(&cfg2)?;
        let first = cfg2.state_file.as_ref().map(|_| persist::snapshot(&store));
        Ok((store, first))
    })
    .await
    .map_err(|e| SimError::Config(format!("simulator setup failed: {e}")))??;

    let persister = cfg.state_file.clone().map(persist::Persister::new);
    if let (Some(p), Some(bytes)) = (&persister, first) {
        p.write(1, &bytes)?;
    }

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;
    let host = if local.ip().is_unspecified() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), local.port())
    } else {
        local
    };
    let admin = store.admin.clone();
    let shared = Arc::new(Shared::new(
        store,
        Knobs {
            latency: cfg.latency,
            rate_limit: cfg.rate_limit,
            create_rate: cfg.create_rate,
            fail_rate: cfg.fail_rate,
        },
        cfg.rng_seed,
        persister,
        cfg.get_shape,
        cfg.hang,
    ));
    // The EU host: a second listener on the same address, same store, its own region.
    let eu_addr = SocketAddr::new(host.ip(), cfg.eu_port);
    let eu_listener = tokio::net::TcpListener::bind(eu_addr)
        .await
        .map_err(|source| SimError::Bind {
            addr: eu_addr,
            source,
        })?;
    let eu_host = eu_listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;
    let app = server::router(Arc::clone(&shared), crate::api::Region::Global);
    let eu_app = server::router(Arc::clone(&shared), crate::api::Region::Eu);
    let cancel = shared.cancel.clone();
    let tls = if cfg.tls {
        Some(tls::setup(cfg.http1_only)?)
    } else {
        None
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let ca_pem = tls.as_ref().map(|t| t.ca_pem.clone());
    let serving = || Serving {
        timeout: cfg.header_timeout,
        tls: tls.as_ref().map(|t| t.acceptor.clone()),
        http1_only: cfg.http1_only,
        connect_delay: cfg.connect_delay,
        h2_max_streams: cfg.h2_max_streams,
        shared: Arc::clone(&shared),
    };
    let (on, on_eu) = (serving(), serving());
    let task = tokio::spawn(async move {
        let (a, b) = tokio::join!(
            serve(listener, app, on, cancel.clone()),
            serve(eu_listener, eu_app, on_eu, cancel)
        );
        a.and(b)
    });
    tracing::debug!(%host, %eu_host, "simulator listening");
    Ok(SimHandle {
        shared,
        base_url: format!("{scheme}://{host}"),
        eu_base_url: format!("{scheme}://{eu_host}"),
        ca_pem,
        admin,
        task: Arc::new(Mutex::new(Some(task))),
    })
}

/// How a listener serves its connections.
struct Serving {
    /// A connection must send its request head (and, with TLS, finish its handshake) this soon.
    timeout: Duration,
    tls: Option<tokio_rustls::TlsAcceptor>,
    http1_only: bool,
    /// See [`SimConfig::connect_delay`].
    connect_delay: Duration,
    /// See [`SimConfig::h2_max_streams`].
    h2_max_streams: u32,
    /// Counts connections opened.
    shared: Arc<Shared>,
}

/// Accept connections until `cancel`, then let the requests in flight finish. Plain HTTP is
/// HTTP/1.1; over TLS, HTTP/2 or HTTP/1.1 by ALPN (`http1_only`: HTTP/1.1). A connection that
/// does not send a complete request head (or finish its TLS handshake) within `timeout` is
/// closed (1 000 silent sockets must not hold the simulator).
async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    how: Serving,
    cancel: tokio_util::sync::CancellationToken,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(how.timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(how.h2_max_streams.max(1));
    if how.http1_only || how.tls.is_none() {
        builder = builder.http1_only();
    }
    loop {
        let accepted = tokio::select! {
            () = cancel.cancelled() => break,
            r = listener.accept() => r,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                if !matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::ConnectionReset
                ) {
                    // e.g. out of file descriptors: wait for some to be freed
                    tracing::error!("simulator accept error: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                continue;
            }
        };
        let service = TowerToHyperService::new(app.clone());
        let watcher = graceful.watcher();
        let builder = builder.clone();
        let tls = how.tls.clone();
        let timeout = how.timeout;
        lock(&how.shared.log).connections += 1;
        let connect_delay = how.connect_delay;
        tokio::spawn(async move {
            if !connect_delay.is_zero() {
                // the handshake's round trips, before the first byte is read
                tokio::time::sleep(connect_delay).await;
            }
            let result = match tls {
                None => {
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    watcher.watch(conn.into_owned()).await
                }
                Some(acceptor) => {
                    match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => {
                            let conn = builder.serve_connection(TokioIo::new(tls_stream), service);
                            watcher.watch(conn.into_owned()).await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!("simulator TLS handshake failed: {e}");
                            return;
                        }
                        Err(_) => return,
                    }
                }
            };
            if let Err(e) = result {
                tracing::trace!("simulator connection ended: {e}");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// With `tls`: the CA certificate (PEM) to trust (`sgkeys --ca-cert FILE`).
    pub fn ca_cert_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The EU host's base URL: on-behalf-of calls for an EU subuser must come here (else 451),
    /// as they must go to `api.eu.sendgrid.com`.
    pub fn eu_base_url(&self) -> String {
        self.eu_base_url.clone()
    }

    /// The admin key: a Full Access key (every scope except billing).
    pub fn admin_key(&self) -> &Secret {
        &self.admin
    }

    /// Make the next `count` `/v3` requests fail with `status` (0 = no answer for `hang`, then
    /// 504). With `after`, each request is carried out first and only its answer is lost.
    pub fn fail_next(&self, count: u32, status: u16, after: bool) {
        server::queue_fault(&self.shared, count, status, after);
    }

    pub fn set_latency(&self, d: Duration) {
        lock(&self.shared.knobs).latency = d;
    }

    /// How long a revoked key keeps authenticating from now on.
    pub fn set_revoke_delay(&self, d: Duration) {
        lock(&self.shared.store).revoke_delay = d;
    }

    /// Clamped to 0–1 (NaN counts as 0).
    pub fn set_fail_rate(&self, f: f64) {
        lock(&self.shared.knobs).fail_rate = if f.is_nan() { 0.0 } else { f.clamp(0.0, 1.0) };
    }

    /// Requests per window from now on; the window's length stays as it is (0 makes every
    /// counted request a 429).
    pub fn set_rate_limit(&self, requests: u32) {
        lock(&self.shared.knobs).rate_limit.requests = requests;
    }

    /// The rate limit (requests and window) from now on.
    pub fn set_rate(&self, rate: Rate) {
        lock(&self.shared.knobs).rate_limit = rate;
    }

    /// The key-creation limit from now on.
    pub fn set_create_rate(&self, rate: Rate) {
        lock(&self.shared.knobs).create_rate = rate;
    }

    /// Every `/v3` request since the start or the last [`reset_counters`](Self::reset_counters)
    /// (the newest 100 000).
    pub fn requests(&self) -> Vec<RequestLog> {
        lock(&self.shared.log).entries.iter().cloned().collect()
    }

    /// `POST`/`PUT`/`PATCH`/`DELETE` requests under `/v3` that reached the simulator, faulted
    /// ones included.
    pub fn mutating_requests(&self) -> usize {
        lock(&self.shared.log).mutating
    }

    /// Connections opened (both hosts) since the start or the last reset.
    pub fn connections(&self) -> u64 {
        lock(&self.shared.log).connections
    }

    /// Clear the request log and counters.
    pub fn reset_counters(&self) {
        server::reset_counters(&self.shared);
    }

    /// An account's keys in creation order, scopes as `GET` shows them. `None` = the parent,
    /// `Some(username)` = a subuser; an unknown subuser has none.
    pub fn keys(&self, account: Option<&str>) -> Vec<KeyDetail> {
        let store = lock(&self.shared.store);
        store
            .find_account(account)
            .map(|a| store.accounts[a].keys.iter().map(|k| k.detail()).collect())
            .unwrap_or_default()
    }

    /// The parent's subusers, with regions.
    pub fn subusers(&self) -> Vec<Subuser> {
        lock(&self.shared.store)
            .accounts
            .iter()
            .filter(|a| a.is_subuser())
            .map(|a| a.subuser(true))
            .collect()
    }

    /// Test helper: store a key directly, bypassing every check, and return its secret.
    /// Unknown scope names are ignored; when `scopes` names no auto-assigned scope, the usual
    /// `2fa_required` and `sender_verification_eligible` are added. For an unknown account
    /// nothing is stored and the returned secret authenticates nowhere.
    pub fn add_key(&self, account: Option<&str>, name: &str, scopes: &[&str]) -> Secret {
        let (mut set, unknown) = ScopeSet::from_names(scopes);
        if !unknown.is_empty() {
            tracing::warn!(?unknown, "add_key: scopes not in the catalog ignored");
        }
        if set.auto().is_empty() {
            set = set.union(ScopeSet::default_auto());
        }
        let (secret, snap) = {
            let mut store = lock(&self.shared.store);
            match store.find_account(account) {
                Some(a) => {
                    let secret = store.mint(a, name, set);
                    (secret, self.shared.snapshot(&store))
                }
                None => {
                    tracing::warn!(?account, "add_key: no such account; key not stored");
                    (store.keygen.next(), None)
                }
            }
        };
        self.shared.write_snapshot(snap);
        secret
    }

    /// Stop serving (in-flight requests finish; simulated hangs end at once) and wait for the
    /// server task.
    pub async fn shutdown(self) {
        self.shared.cancel.cancel();
        let task = lock(&self.task).take();
        if let Some(mut task) = task {
            match tokio::time::timeout(Duration::from_secs(5), &mut task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => tracing::warn!("simulator server stopped with an error: {e}"),
                Ok(Err(e)) => tracing::warn!("simulator server task failed: {e}"),
                Err(_) => {
                    tracing::warn!("simulator did not stop within 5 s; aborting it");
                    task.abort();
                }
            }
        }
    }
}

/// `sgkeys sim`: start on 127.0.0.1:`port`, print a banner, serve until Ctrl-C.
/// `sgkeys sim`: serve until Ctrl-C. The banner is text, or with `json` one line
/// `{"base_url","eu_base_url","admin_key","accounts":[{"username","region","keys"}]}` for
/// scripts.
pub async fn run_standalone(
    cfg: SimConfig,
    port: u16,
    json: bool,
    ca_out: Option<&std::path::Path>,
) -> Result<(), SimError> {
    use std::io::Write as _;
    let addr = SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), port);
    let state_file = cfg.state_file.clone();
    let knobs = (
        cfg.latency,
        cfg.rate_limit,
        cfg.create_rate,
        cfg.revoke_delay,
        cfg.fail_rate,
        cfg.get_shape,
    );
    let sim = start(cfg, addr).await?;
    let url = sim.base_url();
    let eu_url = sim.eu_base_url();
    if let (Some(pem), Some(path)) = (sim.ca_cert_pem(), ca_out) {
        crate::fsutil::write_output(path, pem.as_bytes()).map_err(|e| {
            SimError::Config(format!(
                "cannot write the CA certificate to {}: {e}",
                path.display()
            ))
        })?;
    }
    let ca_flag = match (sim.ca_cert_pem(), ca_out) {
        (Some(_), Some(path)) => format!(" --ca-cert {}", path.display()),
        (Some(_), None) => " --ca-cert CA.pem".to_owned(),
        _ => String::new(),
    };
    let mut banner = String::new();
    {
        use std::fmt::Write as _;
        let store = lock(&sim.shared.store);
        let parent = &store.accounts[PARENT];
        let _ = writeln!(banner, "sgkeys SendGrid simulator listening on {url}");
        let _ = writeln!(
            banner,
            "  EU host   {eu_url} (EU subusers' on-behalf-of calls; elsewhere they get 451)"
        );
        let _ = writeln!(
            banner,
            "  account   {} ({} keys)",
            parent.username,
            parent.keys.len()
        );
        for a in store.accounts.iter().filter(|a| a.is_subuser()) {
            let _ = writeln!(
                banner,
                "  subuser   {} (id {}, {}, {} keys)",
                a.username,
                a.id,
                a.region.as_str(),
                a.keys.len()
            );
        }
        for a in store.accounts.iter().filter(|a| a.customer_id.is_some()) {
            let _ = writeln!(
                banner,
                "  customer  {} (--on-behalf-of 'account-id {}', {} keys)",
                a.username,
                a.customer_id.as_deref().unwrap_or(""),
                a.keys.len()
            );
        }
        let _ = writeln!(banner, "  admin key {}", sim.admin_key().expose());
        let (latency, rate, create, revoke, fail, shape) = knobs;
        let _ = writeln!(
            banner,
            "  limits    {rate} per account, key creation {create}, revoke delay {} ms",
            revoke.as_millis()
        );
        let _ = writeln!(
            banner,
            "  latency {} ms, fail rate {fail}, GET shape {shape}",
            latency.as_millis()
        );
        if let Some(p) = &state_file {
            let _ = writeln!(banner, "  state     {}", p.display());
        }
        match (sim.ca_cert_pem(), ca_out) {
            (Some(_), Some(path)) => {
                let _ = writeln!(
                    banner,
                    "  TLS       HTTP/2 and HTTP/1.1 over TLS; a CA made for this run is in {}",
                    path.display()
                );
            }
            (Some(pem), None) => {
                let _ = writeln!(
                    banner,
                    "  TLS       a CA made for this run (save it as CA.pem, or start with --tls-ca-out FILE):\n{pem}"
                );
            }
            _ => {}
        }
        let _ = writeln!(banner, "\nTry:");
        let _ = writeln!(
            banner,
            "  SENDGRID_API_KEY={} sgkeys --base-url {url} --eu-base-url {eu_url}{ca_flag} list",
            sim.admin_key().expose()
        );
        let _ = writeln!(banner, "\nPress Ctrl-C to stop.");
    }
    if json {
        let store = lock(&sim.shared.store);
        let accounts: Vec<serde_json::Value> = store
            .accounts
            .iter()
            .map(|a| {
                let mut v = serde_json::json!({
                    "username": a.username,
                    "subuser": a.is_subuser(),
                    "region": a.region.as_str(),
                    "keys": a.keys.len(),
                });
                if let Some(id) = &a.customer_id {
                    v["customer_id"] = serde_json::json!(id);
                }
                v
            })
            .collect();
        banner = serde_json::json!({
            "base_url": url,
            "eu_base_url": eu_url,
            "admin_key": sim.admin_key().expose(),
            "accounts": accounts,
            "ca_cert": sim.ca_cert_pem(),
            "ca_cert_file": ca_out.map(|p| p.display().to_string()),
        })
        .to_string();
        banner.push('\n');
    }
    {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(banner.as_bytes());
        let _ = out.flush();
    }
    let task_done = async {
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if lock(&sim.task).as_ref().is_none_or(JoinHandle::is_finished) {
                break;
            }
        }
    };
    tokio::select! {
        r = tokio::signal::ctrl_c() => {
            if let Err(e) = r {
                tracing::warn!("cannot wait for Ctrl-C: {e}");
            }
        }
        () = task_done => {
            let task = lock(&sim.task).take();
            if let Some(task) = task {
                return match task.await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(SimError::Serve(e)),
                    Err(e) => Err(SimError::Serve(std::io::Error::other(e.to_string()))),
                };
            }
        }
    }
    sim.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_seed_and_shape() {
        assert_eq!("demo".parse::<Seed>(), Ok(Seed::Demo));
        assert_eq!("Empty".parse::<Seed>(), Ok(Seed::Empty));
        assert_eq!("bulk:10000".parse::<Seed>(), Ok(Seed::Bulk(10000)));
        assert!("bulk:x".parse::<Seed>().is_err());
        assert!("bulk:1000001".parse::<Seed>().is_err());
        assert!("other".parse::<Seed>().is_err());
        assert_eq!(Seed::Bulk(5).to_string(), "bulk:5");
        assert_eq!(
            "fleet:20:100".parse::<Seed>(),
            Ok(Seed::Fleet {
                subusers: 20,
                keys: 100
            })
        );
        assert_eq!(
            Seed::Fleet {
                subusers: 2,
                keys: 3
            }
            .to_string(),
            "fleet:2:3"
        );
        assert!("fleet:20".parse::<Seed>().is_err());
        assert!("fleet:2000:1".parse::<Seed>().is_err());
        assert_eq!("wrapped".parse::<GetShape>(), Ok(GetShape::Wrapped));
        assert_eq!("flat".parse::<GetShape>(), Ok(GetShape::Flat));
        assert!("round".parse::<GetShape>().is_err());
    }

    #[test]
    fn rejects_bad_settings() {
        let cfg = SimConfig {
            fail_rate: 1.5,
            ..SimConfig::default()
        };
        assert!(matches!(build_store(&cfg), Err(SimError::Config(_))));
        let cfg = SimConfig {
            admin_key: Some(Secret::from_server("SG.short".into())),
            ..SimConfig::default()
        };
        assert!(matches!(build_store(&cfg), Err(SimError::Config(_))));
    }

    #[tokio::test]
    async fn two_starts_give_identical_keys() {
        let local: SocketAddr = ([127, 0, 0, 1], 0).into();
        let a = start(SimConfig::default(), local).await.unwrap();
        let b = start(SimConfig::default(), local).await.unwrap();
        assert_ne!(a.base_url(), b.base_url());
        assert_eq!(a.keys(None), b.keys(None));
        assert_eq!(a.admin_key(), b.admin_key());
        assert_eq!(
            a.keys(Some("acme-transactional")),
            b.keys(Some("acme-transactional"))
        );
        assert_eq!(a.keys(None).len(), 45);
        assert_eq!(
            a.keys(None)[0].api_key_id.as_str(),
            a.admin_key().key_id().unwrap()
        );
        assert_eq!(a.subusers().len(), 2);
        // keys created later are deterministic too
        let ka = a.add_key(None, "x", &["mail.send"]);
        let kb = b.add_key(None, "x", &["mail.send"]);
        assert_eq!(ka, kb);
        a.shutdown().await;
        b.shutdown().await;
    }

    #[tokio::test]
    async fn bad_state_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, b"{not json").unwrap();
        let cfg = SimConfig {
            state_file: Some(path.clone()),
            ..SimConfig::default()
        };
        let err = start(cfg, ([127, 0, 0, 1], 0).into()).await.unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("state.json"), "{msg}");
        assert!(msg.contains("not a valid simulator state file"), "{msg}");
    }
}
