//! HTTP side of the simulator: an axum [`Router`] whose `/v3` routes run behind the pipeline's
//! middleware layers (`pipeline.rs`: latency, faults, Accept, authentication, rate limit,
//! on-behalf-of), the API-keys handlers (`keys.rs`), the other `/v3` operations and the `/_sim`
//! control API (`other.rs`), and the error bodies they share (`reply.rs`).

mod keys;
mod other;
mod pipeline;
mod reply;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{MethodRouter, any, get, post};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio_util::sync::CancellationToken;

use super::persist::{self, Persister};
use super::store::{Store, sha256};
use super::{GetShape, Rate, RequestLog};

pub(crate) use other::{queue_fault, reset_counters};

/// Most request-log entries kept (the oldest are dropped; counters keep counting).
const LOG_CAP: usize = 100_000;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Knobs that tests and the control API can turn while the simulator runs.
#[derive(Debug, Clone)]
pub(crate) struct Knobs {
    pub latency: Duration,
    pub rate_limit: Rate,
    /// Key creations, counted on top of `rate_limit`.
    pub create_rate: Rate,
    pub fail_rate: f64,
}

/// The budgets a request can be counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Budget {
    /// Every `/v3` request past authentication ([`Knobs::rate_limit`]).
    Requests,
    /// `POST /v3/api_keys` ([`Knobs::create_rate`]).
    Creates,
}

/// One injected failure.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fault {
    /// HTTP status, or 0 for a timeout (no answer for `hang`, then 504).
    pub status: u16,
    /// Carry the operation out first, then fail.
    pub after: bool,
}

#[derive(Debug)]
pub(crate) struct Faults {
    pub queue: VecDeque<(u32, Fault)>,
    pub rng: StdRng,
}

#[derive(Debug, Default)]
pub(crate) struct Log {
    pub entries: VecDeque<RequestLog>,
    pub counts: BTreeMap<String, u64>,
    pub mutating: usize,
    /// Connections accepted (both hosts).
    pub connections: u64,
}

/// Everything the server tasks and the handle share.
/// A rate-limit window: its first and its end epoch second.
type Window = (u64, u64);

pub(crate) struct Shared {
    pub store: Mutex<Store>,
    pub knobs: Mutex<Knobs>,
    pub faults: Mutex<Faults>,
    /// Per calling account and budget: ((first, end epoch second of the window), requests in it).
    pub windows: Mutex<HashMap<(usize, Budget), (Window, u32)>>,
    pub log: Mutex<Log>,
    pub persist: Option<Persister>,
    /// Number of the last state snapshot taken.
    pub generation: AtomicU64,
    pub admin_hash: [u8; 32],
    pub get_shape: GetShape,
    pub hang: Duration,
    pub cancel: CancellationToken,
}

/// A state snapshot to write: (generation, bytes).
type Snapshot = Option<(u64, Vec<u8>)>;

impl Shared {
    pub fn new(
        store: Store,
        knobs: Knobs,
        fault_seed: Option<u64>,
        persist: Option<Persister>,
        get_shape: GetShape,
        hang: Duration,
    ) -> Self {
        let rng = match fault_seed {
            Some(s) => StdRng::seed_from_u64(super::store::mix(s, u64::MAX - 1)),
            None => StdRng::from_rng(&mut rand::rng()),
        };
        let admin_hash = sha256(store.admin.expose());
        Shared {
            store: Mutex::new(store),
            knobs: Mutex::new(knobs),
            faults: Mutex::new(Faults {
                queue: VecDeque::new(),
                rng,
            }),
            windows: Mutex::new(HashMap::new()),
            log: Mutex::new(Log::default()),
            persist,
            generation: AtomicU64::new(1),
            admin_hash,
            get_shape,
            hang,
            cancel: CancellationToken::new(),
        }
    }

    /// A snapshot of the store to persist (taken under the store lock), if persistence is on.
    pub fn snapshot(&self, store: &Store) -> Snapshot {
        self.persist.as_ref()?;
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        Some((generation, persist::snapshot(store)))
    }

    /// Write a snapshot now (blocking).
    pub fn write_snapshot(&self, snap: Snapshot) {
        if let (Some(p), Some((generation, bytes))) = (&self.persist, snap)
            && let Err(e) = p.write(generation, &bytes)
        {
            tracing::error!("simulator state not saved: {e}");
        }
    }

    /// A mutation of the store: `change` under the lock, then the state it left written (off
    /// the lock and the async threads). A refused change writes nothing.
    async fn change<T>(
        self: &Arc<Self>,
        change: impl FnOnce(&mut Store) -> Result<T, reply::Reply>,
    ) -> Result<T, reply::Reply> {
        let (out, snap) = {
            let mut store = lock(&self.store);
            let out = change(&mut store)?;
            (out, self.snapshot(&store))
        };
        self.save(snap).await;
        Ok(out)
    }

    /// Write a snapshot taken by a mutation, off the async threads.
    async fn save(self: &Arc<Self>, snap: Snapshot) {
        if snap.is_none() {
            return;
        }
        let sh = Arc::clone(self);
        let done = tokio::task::spawn_blocking(move || sh.write_snapshot(snap)).await;
        if let Err(e) = done {
            tracing::error!("simulator state not saved: {e}");
        }
    }

    fn next_fault(&self) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        if let Some((count, fault)) = faults.queue.front_mut() {
            let fault = *fault;
            *count -= 1;
            if *count == 0 {
                faults.queue.pop_front();
            }
            return Some(fault);
        }
        let rate = lock(&self.knobs).fail_rate;
        if rate <= 0.0 || faults.rng.random::<f64>() >= rate {
            return None;
        }
        let status = [429, 500, 503, 0][faults.rng.random_range(0..4)];
        let after = status != 429 && faults.rng.random_bool(0.5);
        Some(Fault { status, after })
    }

    fn rate(&self, budget: Budget) -> Rate {
        let knobs = lock(&self.knobs);
        match budget {
            Budget::Requests => knobs.rate_limit,
            Budget::Creates => knobs.create_rate,
        }
    }

    /// Count a request against `account`'s window of `budget`: whether it is within the
    /// limit, and the window as the headers tell it.
    fn count(&self, account: usize, budget: Budget) -> (bool, RateInfo) {
        let rate = self.rate(budget);
        let (start, end) = rate.window(epoch_secs());
        let mut windows = lock(&self.windows);
        // a window is its start and its end: a rate changed at run time starts a fresh one
        let w = windows
            .entry((account, budget))
            .or_insert(((start, end), 0));
        if w.0 != (start, end) {
            *w = ((start, end), 0);
        }
        w.1 = w.1.saturating_add(1);
        let ok = w.1 <= rate.requests;
        (
            ok,
            RateInfo {
                limit: rate.requests,
                remaining: rate.requests.saturating_sub(w.1),
                reset: end,
                start,
            },
        )
    }

    /// The request window of `account` (or a fresh one) without counting.
    fn peek(&self, account: Option<usize>) -> RateInfo {
        let rate = self.rate(Budget::Requests);
        let (start, end) = rate.window(epoch_secs());
        let used = account
            .and_then(|a| lock(&self.windows).get(&(a, Budget::Requests)).copied())
            .filter(|w| w.0 == (start, end))
            .map_or(0, |w| w.1);
        RateInfo {
            limit: rate.requests,
            remaining: rate.requests.saturating_sub(used),
            reset: end,
            start,
        }
    }

    fn record(&self, entry: RequestLog) {
        tracing::debug!(
            method = %entry.method,
            path = %entry.path,
            status = entry.status,
            "simulator request"
        );
        let mut log = lock(&self.log);
        *log.counts.entry(entry.method.clone()).or_insert(0) += 1;
        if log.entries.len() >= LOG_CAP {
            log.entries.pop_front();
        }
        log.entries.push_back(entry);
    }

    /// Sleep, cut short when the simulator shuts down.
    async fn sleep(&self, d: Duration) {
        if d.is_zero() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = self.cancel.cancelled() => {}
        }
    }
}

fn epoch_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `X-RateLimit-*` values. Travels as a response extension from the layer that decided it to
/// the outermost layer, which writes the headers.
#[derive(Debug, Clone, Copy)]
struct RateInfo {
    limit: u32,
    remaining: u32,
    /// Epoch second the window ends at (`X-RateLimit-Reset`).
    reset: u64,
    /// Its first epoch second (the request log's `window`).
    start: u64,
}

/// Routes of the contract (also the keys of [`allowed`]).
const KEYS: &str = "/v3/api_keys";
const KEY: &str = "/v3/api_keys/{id}";
const SCOPES: &str = "/v3/scopes";
const SUBUSERS: &str = "/v3/subusers";
const USERNAME: &str = "/v3/user/username";

/// The `Allow` header of a route (by its pattern, as [`axum::extract::MatchedPath`] gives it).
fn allowed(route: &str) -> &'static str {
    match route {
        KEYS => "GET, POST",
        KEY => "GET, PATCH, PUT, DELETE",
        _ => "GET",
    }
}

/// The first value of the query parameter `name` (later repeats are ignored).
fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The methods a route serves; any other method (HEAD included, which axum would otherwise
/// serve with the GET handler) is 405 with the documented body and `Allow: <allow>`. The 405
/// is the only answer with an `Allow` header: merged with `any`, the route never gets axum's
/// own (which would list HEAD, in another format, on any answer of the fallback, a 401
/// included).
fn only(route: &'static str, methods: MethodRouter<Arc<Shared>>) -> MethodRouter<Arc<Shared>> {
    let allow = allowed(route);
    let refuse = move || async move { reply::method_not_allowed(allow) };
    methods.head(refuse).merge(any(refuse))
}

/// The region a listener serves (the global or the EU host).
#[derive(Debug, Clone, Copy)]
pub(crate) struct HostRegion(pub crate::api::Region);

pub(crate) fn router(shared: Arc<Shared>, region: crate::api::Region) -> Router {
    let sh = &shared;
    let v3 = Router::new()
        .route(KEYS, only(KEYS, get(keys::list).post(keys::create)))
        .route(
            KEY,
            only(
                KEY,
                get(keys::get_one)
                    .patch(keys::rename)
                    .put(keys::update)
                    .delete(keys::delete),
            ),
        )
        .route(SCOPES, only(SCOPES, get(other::scopes)))
        .route(SUBUSERS, only(SUBUSERS, get(other::subusers)))
        .route(USERNAME, only(USERNAME, get(other::username)))
        // Anything else under /v3 is 404, after the whole pipeline.
        .route("/v3", any(other::unknown))
        .route("/v3/", any(other::unknown))
        .route("/v3/{*rest}", any(other::unknown))
        // The pipeline. axum runs the layer added last first, so the layers are listed from
        // the innermost (the last step before the operation) to the outermost; `record` wraps
        // them all (request log, mutation counter, X-RateLimit-* headers).
        .layer(from_fn_with_state(Arc::clone(sh), pipeline::on_behalf_of))
        .layer(from_fn_with_state(Arc::clone(sh), pipeline::rate_limit))
        .layer(from_fn_with_state(Arc::clone(sh), pipeline::authenticate))
        .layer(from_fn_with_state(Arc::clone(sh), pipeline::accept))
        .layer(from_fn_with_state(Arc::clone(sh), pipeline::faults))
        .layer(from_fn_with_state(Arc::clone(sh), pipeline::latency))
        .layer(from_fn_with_state(Arc::clone(sh), pipeline::record))
        .layer(axum::Extension(HostRegion(region)));
    Router::new()
        .route("/_sim/state", get(other::ctl_state))
        .route("/_sim/requests", get(other::ctl_requests))
        .route("/_sim/fail-next", post(other::ctl_fail_next))
        .route("/_sim/reset-counters", post(other::ctl_reset))
        .merge(v3)
        .fallback(other::outside)
        .with_state(shared)
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use serde_json::{Value, json};

    use crate::sim::{SimConfig, start};

    /// Which handler each method and path reach, through the whole router.
    #[tokio::test]
    async fn routes_and_methods() {
        crate::api::install_crypto_provider();
        let local: SocketAddr = ([127, 0, 0, 1], 0).into();
        let sim = start(SimConfig::default(), local).await.unwrap();
        let http = reqwest::Client::new();
        let call = |method: &str, path: &str| {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            http.request(method, format!("{}{path}", sim.base_url()))
                .bearer_auth(sim.admin_key().expose())
                .header("Accept", "application/json")
                .send()
        };
        let message = |v: &Value| v["errors"][0]["message"].as_str().unwrap_or("").to_owned();
        let r = call("GET", "/v3/api_keys").await.unwrap();
        assert_eq!(r.status(), 200);
        let r = call("DELETE", "/v3/api_keys/x").await.unwrap();
        assert_eq!(r.status(), 404);
        let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        assert_eq!(message(&v), "unable to find API Key for deletion");
        for (method, path, allow) in [
            ("DELETE", "/v3/api_keys", "GET, POST"),
            ("HEAD", "/v3/api_keys", "GET, POST"),
            ("POST", "/v3/api_keys/x", "GET, PATCH, PUT, DELETE"),
            ("OPTIONS", "/v3/scopes", "GET"),
            ("PUT", "/v3/subusers", "GET"),
        ] {
            let r = call(method, path).await.unwrap();
            assert_eq!(r.status(), 405, "{method} {path}");
            assert_eq!(r.headers()["allow"], allow, "{method} {path}");
            assert!(r.headers().contains_key("x-ratelimit-limit"));
        }
        for path in [
            "/v3/api_keys/x/y",
            "/v3/api_keys/",
            "/v3",
            "/v3/",
            "/v3/nope",
        ] {
            let r = call("GET", path).await.unwrap();
            assert_eq!(r.status(), 404, "{path}");
            assert!(r.headers().contains_key("x-ratelimit-limit"), "{path}");
            let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
            assert_eq!(
                v,
                json!({"errors":[{"field":null,"message":"not found","help":null}]})
            );
        }
        // outside /v3: no pipeline, no log
        sim.reset_counters();
        let r = call("GET", "/v3x").await.unwrap();
        assert_eq!(r.status(), 404);
        assert!(!r.headers().contains_key("x-ratelimit-limit"));
        assert!(sim.requests().is_empty());
        sim.shutdown().await;
    }
}
