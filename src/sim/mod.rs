//! The embedded SendGrid-compatible simulator (see `docs/simulator.md`).
//!
//! [`start`] binds a port and serves the v3 API-keys contract over real HTTP (axum) from an
//! in-memory store; [`SimHandle`] gives tests and the demo the knobs (latency, faults, rate
//! limit), the request log and direct access to the store. [`run_standalone`] is `sgkeys sim`.
//!
//! Determinism: the demo and bulk seeds always produce the same ids, names and scopes. The admin
//! key and the secrets of keys created later come from `rng_seed` (default `Some(42)`); `None`
//! draws them from the OS.

mod config;
mod persist;
mod rate;
mod seed;
mod server;
mod standalone;
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
pub use config::*;
pub use rate::Rate;
use server::{Knobs, Shared, lock};
pub use standalone::run_standalone;
use store::{KeyGen, PARENT, ScopeSet, SimScopes, Store};

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

#[cfg(test)]
mod tests;
