//! HTTP side of the simulator: the `/v3` pipeline (latency, faults, Accept, auth, rate limit,
//! on-behalf-of, permission, operation), error bodies, rate-limit headers, and the `/_sim`
//! control API.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{ACCEPT, ALLOW, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::persist::{self, Persister};
use super::store::{OpError, PARENT, ScopeSet, Store, sha256};
use super::{GetShape, RequestLog};

/// Most request-log entries kept (the oldest are dropped; counters keep counting).
const LOG_CAP: usize = 100_000;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Knobs that tests and the control API can turn while the simulator runs.
#[derive(Debug, Clone)]
pub(crate) struct Knobs {
    pub latency: Duration,
    pub rate_limit: u32,
    pub fail_rate: f64,
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
}

/// Everything the server tasks and the handle share.
pub(crate) struct Shared {
    pub store: Mutex<Store>,
    pub knobs: Mutex<Knobs>,
    pub faults: Mutex<Faults>,
    /// Per calling account: (epoch second of the window, requests in it).
    pub windows: Mutex<HashMap<usize, (u64, u32)>>,
    pub log: Mutex<Log>,
    pub persist: Option<Persister>,
    /// Number of the last state snapshot taken.
    pub generation: AtomicU64,
    pub admin_hash: [u8; 32],
    pub get_shape: GetShape,
    pub hang: Duration,
    pub cancel: CancellationToken,
}

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
    pub fn snapshot(&self, store: &Store) -> Option<(u64, Vec<u8>)> {
        self.persist.as_ref()?;
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        Some((generation, persist::snapshot(store)))
    }

    /// Write a snapshot now (blocking).
    pub fn write_snapshot(&self, snap: Option<(u64, Vec<u8>)>) {
        if let (Some(p), Some((generation, bytes))) = (&self.persist, snap)
            && let Err(e) = p.write(generation, &bytes)
        {
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

    /// Count a request against `account`'s window.
    fn count(&self, account: usize) -> (bool, RateInfo) {
        let limit = lock(&self.knobs).rate_limit;
        let now = epoch_secs();
        let mut windows = lock(&self.windows);
        let w = windows.entry(account).or_insert((now, 0));
        if w.0 != now {
            *w = (now, 0);
        }
        w.1 = w.1.saturating_add(1);
        let ok = w.1 <= limit;
        (
            ok,
            RateInfo {
                limit,
                remaining: limit.saturating_sub(w.1),
                reset: now + 1,
            },
        )
    }

    /// The window of `account` (or a fresh one) without counting.
    fn peek(&self, account: Option<usize>) -> RateInfo {
        let limit = lock(&self.knobs).rate_limit;
        let now = epoch_secs();
        let used = account
            .and_then(|a| lock(&self.windows).get(&a).copied())
            .filter(|w| w.0 == now)
            .map_or(0, |w| w.1);
        RateInfo {
            limit,
            remaining: limit.saturating_sub(used),
            reset: now + 1,
        }
    }

    fn account_of(&self, headers: &HeaderMap) -> Option<usize> {
        let token = bearer(headers)?;
        lock(&self.store).authenticate(token).map(|c| c.account)
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

/// `X-RateLimit-*` values.
#[derive(Debug, Clone, Copy)]
struct RateInfo {
    limit: u32,
    remaining: u32,
    reset: u64,
}

/// An answer before headers are added.
enum Reply {
    Json(StatusCode, Value),
    NoContent,
    Html(StatusCode, String),
}

impl Reply {
    fn status(&self) -> u16 {
        match self {
            Reply::Json(s, _) | Reply::Html(s, _) => s.as_u16(),
            Reply::NoContent => 204,
        }
    }

    fn into_response(self) -> Response {
        match self {
            Reply::Json(status, v) => (status, axum::Json(v)).into_response(),
            Reply::NoContent => StatusCode::NO_CONTENT.into_response(),
            Reply::Html(status, page) => {
                let mut r = (status, page).into_response();
                r.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                r
            }
        }
    }
}

/// `{"errors":[{"field":…,"message":…(,"help":null)}]}`.
fn error(status: StatusCode, field: Option<&str>, message: &str, help: bool) -> Reply {
    let mut item = json!({ "field": field, "message": message });
    if help {
        item["help"] = Value::Null;
    }
    Reply::Json(status, json!({ "errors": [item] }))
}

fn bad_request(field: Option<&str>, message: &str) -> Reply {
    error(StatusCode::BAD_REQUEST, field, message, true)
}

fn forbidden() -> Reply {
    error(StatusCode::FORBIDDEN, None, "access forbidden", true)
}

fn not_found(message: &str) -> Reply {
    error(StatusCode::NOT_FOUND, None, message, true)
}

fn unauthorized(message: &str) -> Reply {
    error(StatusCode::UNAUTHORIZED, None, message, false)
}

fn too_many() -> Reply {
    error(
        StatusCode::TOO_MANY_REQUESTS,
        None,
        "too many requests",
        false,
    )
}

fn op_error(e: OpError) -> Reply {
    match e {
        OpError::BadRequest { field, message } => bad_request(field, &message),
        OpError::Forbidden { field, message } => {
            error(StatusCode::FORBIDDEN, field, &message, true)
        }
        OpError::NotFound(message) => not_found(message),
    }
}

fn html_page(status: StatusCode) -> Reply {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    Reply::Html(
        status,
        format!(
            "<!DOCTYPE html>\n<html><head><title>{title}</title></head>\n<body><center><h1>{title}</h1></center>\n<hr><center>nginx</center>\n</body></html>\n"
        ),
    )
}

/// The answer of an injected failure (for a timeout, after `hang`).
async fn fault_reply(sh: &Shared, fault: Fault) -> Reply {
    match fault.status {
        0 => {
            sh.sleep(sh.hang).await;
            html_page(StatusCode::GATEWAY_TIMEOUT)
        }
        429 => too_many(),
        500 => Reply::Json(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"errors":[{"message":"internal server error"}]}),
        ),
        502..=504 => {
            html_page(StatusCode::from_u16(fault.status).unwrap_or(StatusCode::BAD_GATEWAY))
        }
        451 => error(
            StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS,
            None,
            "unavailable due to data residency restrictions: use the base URL of the account's region",
            true,
        ),
        s => {
            let status = StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = status
                .canonical_reason()
                .unwrap_or("error")
                .to_ascii_lowercase();
            error(status, None, &message, true)
        }
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_sim/state", get(ctl_state))
        .route("/_sim/requests", get(ctl_requests))
        .route("/_sim/fail-next", post(ctl_fail_next))
        .route("/_sim/reset-counters", post(ctl_reset))
        .fallback(entry)
        .with_state(shared)
}

async fn entry(
    State(sh): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    if path == "/v3" || path.starts_with("/v3/") {
        v3(&sh, method, &uri, &headers, &body).await
    } else {
        not_found("not found").into_response()
    }
}

/// Every `/v3` request.
async fn v3(
    sh: &Arc<Shared>,
    method: Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let on_behalf_of = headers
        .get("on-behalf-of")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if matches!(
        method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) {
        lock(&sh.log).mutating += 1;
    }

    // 1. latency
    let latency = lock(&sh.knobs).latency;
    sh.sleep(latency).await;

    // 2. faults
    let (reply, rate) = match sh.next_fault() {
        Some(fault) => {
            if fault.after {
                let _ = process(sh, &method, uri, headers, body).await;
            }
            let mut rate = sh.peek(sh.account_of(headers));
            if fault.status == 429 {
                rate.remaining = 0;
            }
            if fault.status == 0 {
                // A client that gives up first drops the connection and this handler with it:
                // log the timeout now (as the 504 it ends in), or it would never be counted.
                sh.record(RequestLog {
                    method: method.as_str().to_owned(),
                    path: path.clone(),
                    status: 504,
                    on_behalf_of: on_behalf_of.clone(),
                });
                let reply = fault_reply(sh, fault).await;
                let mut resp = reply.into_response();
                let h = resp.headers_mut();
                h.insert("x-ratelimit-limit", HeaderValue::from(rate.limit));
                h.insert("x-ratelimit-remaining", HeaderValue::from(rate.remaining));
                h.insert("x-ratelimit-reset", HeaderValue::from(rate.reset));
                return resp;
            }
            (fault_reply(sh, fault).await, rate)
        }
        None => process(sh, &method, uri, headers, body).await,
    };

    let status = reply.status();
    let mut resp = reply.into_response();
    let h = resp.headers_mut();
    h.insert("x-ratelimit-limit", HeaderValue::from(rate.limit));
    h.insert("x-ratelimit-remaining", HeaderValue::from(rate.remaining));
    h.insert("x-ratelimit-reset", HeaderValue::from(rate.reset));
    if status == 405 {
        let allow = allowed(&path).unwrap_or("GET");
        h.insert(ALLOW, HeaderValue::from_static(allow));
    }
    sh.record(RequestLog {
        method: method.as_str().to_owned(),
        path,
        status,
        on_behalf_of,
    });
    resp
}

/// The operations of the contract.
enum Route<'a> {
    List,
    Create,
    Get(&'a str),
    Rename(&'a str),
    Update(&'a str),
    Delete(&'a str),
    Scopes,
    Subusers,
}

fn segments(path: &str) -> Vec<&str> {
    path.trim_start_matches('/').split('/').collect()
}

/// The methods a known path allows.
fn allowed(path: &str) -> Option<&'static str> {
    match segments(path).as_slice() {
        ["v3", "api_keys"] => Some("GET, POST"),
        ["v3", "api_keys", id] if !id.is_empty() => Some("GET, PATCH, PUT, DELETE"),
        ["v3", "scopes"] | ["v3", "subusers"] => Some("GET"),
        _ => None,
    }
}

fn route<'a>(method: &Method, path: &'a str) -> Result<Route<'a>, Reply> {
    let segs = segments(path);
    let r = match (method, segs.as_slice()) {
        (&Method::GET, ["v3", "api_keys"]) => Route::List,
        (&Method::POST, ["v3", "api_keys"]) => Route::Create,
        (m, ["v3", "api_keys", id]) if !id.is_empty() => match *m {
            Method::GET => Route::Get(id),
            Method::PATCH => Route::Rename(id),
            Method::PUT => Route::Update(id),
            Method::DELETE => Route::Delete(id),
            _ => return Err(method_not_allowed()),
        },
        (&Method::GET, ["v3", "scopes"]) => Route::Scopes,
        (&Method::GET, ["v3", "subusers"]) => Route::Subusers,
        _ if allowed(path).is_some() => return Err(method_not_allowed()),
        _ => return Err(not_found("not found")),
    };
    Ok(r)
}

fn method_not_allowed() -> Reply {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "method not allowed",
        true,
    )
}

/// Steps 3–8 of the pipeline.
async fn process(
    sh: &Arc<Shared>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> (Reply, RateInfo) {
    // 3. Accept
    if !accepts_json(headers) {
        return (
            error(
                StatusCode::NOT_ACCEPTABLE,
                None,
                "missing Accept header",
                false,
            ),
            sh.peek(sh.account_of(headers)),
        );
    }
    // 4. auth
    let Some(token) = bearer(headers) else {
        return (unauthorized("authorization required"), sh.peek(None));
    };
    let Some(caller) = lock(&sh.store).authenticate(token) else {
        return (
            unauthorized("The provided authorization grant is invalid, expired, or revoked"),
            sh.peek(None),
        );
    };
    // 5. rate limit (the calling key's own account)
    let (ok, rate) = sh.count(caller.account);
    if !ok {
        return (too_many(), rate);
    }
    // 6. on-behalf-of
    let mut target = caller.account;
    if let Some(value) = headers.get("on-behalf-of") {
        if caller.account != PARENT {
            return (forbidden(), rate);
        }
        let found = value
            .to_str()
            .ok()
            .and_then(|v| lock(&sh.store).find_on_behalf_of(v));
        match found {
            Some(a) => target = a,
            None => return (unauthorized("authorization required"), rate),
        }
    }
    // route
    let path = uri.path();
    let route = match route(method, path) {
        Ok(r) => r,
        Err(reply) => return (reply, rate),
    };
    // 7. permission
    let effective = lock(&sh.store).effective(&caller, target);
    let needed = match route {
        Route::List | Route::Get(_) => Some("api_keys.read"),
        Route::Create => Some("api_keys.create"),
        Route::Rename(_) | Route::Update(_) => Some("api_keys.update"),
        Route::Delete(_) => Some("api_keys.delete"),
        Route::Scopes => None,
        Route::Subusers => Some("subusers.read"),
    };
    if let Some(scope) = needed
        && !effective.contains(scope)
    {
        return (forbidden(), rate);
    }
    // 8. the operation
    let query = parse_query(uri.query().unwrap_or(""));
    let (reply, snap) = operate(sh, route, target, effective, &query, body);
    if snap.is_some() {
        let sh2 = Arc::clone(sh);
        let done = tokio::task::spawn_blocking(move || sh2.write_snapshot(snap)).await;
        if let Err(e) = done {
            tracing::error!("simulator state not saved: {e}");
        }
    }
    (reply, rate)
}

type Snapshot = Option<(u64, Vec<u8>)>;

fn operate(
    sh: &Shared,
    route: Route<'_>,
    account: usize,
    effective: ScopeSet,
    query: &[(String, String)],
    body: &Bytes,
) -> (Reply, Snapshot) {
    let q = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut store = lock(&sh.store);
    match route {
        Route::List => {
            let limit = match q("limit") {
                None => usize::MAX,
                Some(v) => match v.trim().parse::<i64>() {
                    Ok(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
                    _ => {
                        return (
                            bad_request(Some("limit"), "limit must be an integer of at least 1"),
                            None,
                        );
                    }
                },
            };
            let result: Vec<Value> = store.accounts[account]
                .keys
                .iter()
                .take(limit)
                .map(|k| json!({"api_key_id": k.id, "name": k.name}))
                .collect();
            (
                Reply::Json(StatusCode::OK, json!({ "result": result })),
                None,
            )
        }
        Route::Get(id) => match store.key(account, id) {
            Some(k) => {
                let detail = json!({
                    "api_key_id": k.id,
                    "name": k.name,
                    "scopes": k.scopes.to_strings(),
                });
                let body = match sh.get_shape {
                    GetShape::Flat => detail,
                    GetShape::Wrapped => json!({ "result": [detail] }),
                };
                (Reply::Json(StatusCode::OK, body), None)
            }
            None => (not_found("unable to find API Key"), None),
        },
        Route::Create => {
            let v = match parse_json(body) {
                Ok(v) => v,
                Err(r) => return (r, None),
            };
            let Some(name) = name_of(&v) else {
                return (bad_request(Some("name"), "missing required argument"), None);
            };
            let requested = match v.get("scopes") {
                None | Some(Value::Null) => None,
                Some(s) => match strings(s) {
                    Some(list) => Some(list),
                    None => {
                        return (
                            bad_request(Some("scopes"), "scopes must be an array of strings"),
                            None,
                        );
                    }
                },
            };
            match store.create(account, effective, &name, requested.as_deref()) {
                Ok(c) => {
                    let body = json!({
                        "api_key": c.secret.expose(),
                        "api_key_id": c.detail.api_key_id,
                        "name": c.detail.name,
                        "scopes": c.detail.scopes,
                    });
                    let snap = sh.snapshot(&store);
                    (Reply::Json(StatusCode::CREATED, body), snap)
                }
                Err(e) => (op_error(e), None),
            }
        }
        Route::Rename(id) => {
            let v = match parse_json(body) {
                Ok(v) => v,
                Err(r) => return (r, None),
            };
            let Some(name) = name_of(&v) else {
                return (
                    bad_request(None, "expected JSON request body with 'name' property"),
                    None,
                );
            };
            match store.rename(account, id, &name) {
                Ok(d) => {
                    let snap = sh.snapshot(&store);
                    let body = json!({"api_key_id": d.api_key_id, "name": d.name});
                    (Reply::Json(StatusCode::OK, body), snap)
                }
                Err(e) => (op_error(e), None),
            }
        }
        Route::Update(id) => {
            let v = match parse_json(body) {
                Ok(v) => v,
                Err(r) => return (r, None),
            };
            let Some(name) = name_of(&v) else {
                return (
                    bad_request(None, "expected JSON request body with 'name' property"),
                    None,
                );
            };
            let scopes = v
                .get("scopes")
                .and_then(strings)
                .filter(|list| list.iter().any(|s| !crate::scopes::is_auto_assigned(s)));
            let Some(scopes) = scopes else {
                return (
                    bad_request(
                        Some("scopes"),
                        "expected JSON request body with 'scopes' property containing at least one scope",
                    ),
                    None,
                );
            };
            match store.update(account, effective, id, &name, &scopes) {
                Ok(d) => {
                    let snap = sh.snapshot(&store);
                    let body =
                        json!({"api_key_id": d.api_key_id, "name": d.name, "scopes": d.scopes});
                    (Reply::Json(StatusCode::OK, body), snap)
                }
                Err(e) => (op_error(e), None),
            }
        }
        Route::Delete(id) => match store.delete(account, id) {
            Ok(()) => {
                let snap = sh.snapshot(&store);
                (Reply::NoContent, snap)
            }
            Err(e) => (op_error(e), None),
        },
        Route::Scopes => (
            Reply::Json(StatusCode::OK, json!({ "scopes": effective.to_strings() })),
            None,
        ),
        Route::Subusers => {
            let include_region =
                q("include_region").is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let region = match q("region").map(str::to_ascii_lowercase).as_deref() {
                None | Some("all") => None,
                Some("global") => Some(crate::api::Region::Global),
                Some("eu") => Some(crate::api::Region::Eu),
                Some(_) => {
                    return (
                        bad_request(Some("region"), "region must be one of all, global, eu"),
                        None,
                    );
                }
            };
            let limit = match q("limit").map(|v| v.trim().parse::<i64>()) {
                None => 500,
                Some(Ok(n)) if n >= 1 => n.min(500) as usize,
                Some(_) => {
                    return (
                        bad_request(Some("limit"), "limit must be an integer of at least 1"),
                        None,
                    );
                }
            };
            let offset = match q("offset").map(|v| v.trim().parse::<i64>()) {
                None => 0,
                Some(Ok(n)) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
                Some(_) => {
                    return (
                        bad_request(Some("offset"), "offset must be an integer of at least 0"),
                        None,
                    );
                }
            };
            let username = q("username");
            let list: Vec<crate::api::Subuser> = store
                .accounts
                .iter()
                .filter(|a| !a.parent)
                .filter(|a| username.is_none_or(|u| a.username == u))
                .filter(|a| region.is_none_or(|r| a.region == r))
                .skip(offset)
                .take(limit)
                .map(|a| a.subuser(include_region))
                .collect();
            (Reply::Json(StatusCode::OK, json!(list)), None)
        }
    }
}

fn parse_json(body: &Bytes) -> Result<Value, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|_| bad_request(None, "request body is not valid JSON"))
}

fn name_of(v: &Value) -> Option<String> {
    v.get("name")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_owned))
        .collect()
}

/// Whether `Accept` allows `application/json`.
fn accepts_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|range| {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            !refused && matches!(media.as_str(), "application/json" | "application/*" | "*/*")
        })
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---- control API ----

fn is_admin(sh: &Shared, headers: &HeaderMap) -> bool {
    bearer(headers).is_some_and(|t| sha256(t) == sh.admin_hash)
}

fn ctl_denied() -> Response {
    unauthorized("the simulator control API needs the admin key as Bearer token").into_response()
}

async fn ctl_state(State(sh): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !is_admin(&sh, &headers) {
        return ctl_denied();
    }
    let store = lock(&sh.store);
    let accounts: Vec<Value> = store
        .accounts
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "username": a.username,
                "email": a.email,
                "region": a.region,
                "disabled": a.disabled,
                "parent": a.parent,
                "keys": a.keys.iter().map(|k| k.detail()).collect::<Vec<_>>(),
            })
        })
        .collect();
    axum::Json(json!({ "accounts": accounts })).into_response()
}

#[derive(Serialize)]
struct RequestsView<'a> {
    counts: &'a BTreeMap<String, u64>,
    mutating: usize,
    requests: &'a VecDeque<RequestLog>,
}

async fn ctl_requests(State(sh): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !is_admin(&sh, &headers) {
        return ctl_denied();
    }
    let log = lock(&sh.log);
    axum::Json(RequestsView {
        counts: &log.counts,
        mutating: log.mutating,
        requests: &log.entries,
    })
    .into_response()
}

#[derive(serde::Deserialize)]
struct FailNext {
    #[serde(default = "one")]
    count: u32,
    status: u16,
    #[serde(default)]
    after: bool,
}

fn one() -> u32 {
    1
}

async fn ctl_fail_next(State(sh): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if !is_admin(&sh, &headers) {
        return ctl_denied();
    }
    let req: FailNext = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return bad_request(
                None,
                &format!("expected {{\"count\",\"status\",\"after\"}}: {e}"),
            )
            .into_response();
        }
    };
    if !matches!(req.status, 0 | 429 | 451 | 500 | 502 | 503 | 504) {
        return bad_request(
            Some("status"),
            "status must be 429, 451, 500, 502, 503, 504 or 0 (timeout)",
        )
        .into_response();
    }
    queue_fault(&sh, req.count, req.status, req.after);
    let queued: u32 = lock(&sh.faults).queue.iter().map(|(n, _)| n).sum();
    axum::Json(json!({ "queued": queued })).into_response()
}

pub(crate) fn queue_fault(sh: &Shared, count: u32, status: u16, after: bool) {
    if count > 0 {
        lock(&sh.faults)
            .queue
            .push_back((count, Fault { status, after }));
    }
}

pub(crate) fn reset_counters(sh: &Shared) {
    let mut log = lock(&sh.log);
    log.entries.clear();
    log.counts.clear();
    log.mutating = 0;
}

async fn ctl_reset(State(sh): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !is_admin(&sh, &headers) {
        return ctl_denied();
    }
    reset_counters(&sh);
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::empty())
        .unwrap_or_else(|_| StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_rules() {
        let mut h = HeaderMap::new();
        assert!(!accepts_json(&h));
        for (value, ok) in [
            ("application/json", true),
            ("application/*", true),
            ("*/*", true),
            ("text/html, application/json;q=0.9", true),
            ("text/html", false),
            ("application/json;q=0", false),
            ("application/xml", false),
        ] {
            h.insert(ACCEPT, HeaderValue::from_static(value));
            assert_eq!(accepts_json(&h), ok, "{value}");
        }
    }

    #[test]
    fn bearer_and_query_parsing() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("bearer  abc "));
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer"));
        assert_eq!(bearer(&h), None);
        assert_eq!(
            parse_query("limit=5&username=a%20b+c&x"),
            vec![
                ("limit".into(), "5".into()),
                ("username".into(), "a b c".into()),
                ("x".into(), String::new())
            ]
        );
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn routes_and_methods() {
        assert!(matches!(
            route(&Method::GET, "/v3/api_keys"),
            Ok(Route::List)
        ));
        assert!(matches!(
            route(&Method::DELETE, "/v3/api_keys/x"),
            Ok(Route::Delete("x"))
        ));
        assert!(matches!(
            route(&Method::DELETE, "/v3/api_keys"),
            Err(Reply::Json(StatusCode::METHOD_NOT_ALLOWED, _))
        ));
        assert!(matches!(
            route(&Method::GET, "/v3/api_keys/x/y"),
            Err(Reply::Json(StatusCode::NOT_FOUND, _))
        ));
        assert!(matches!(
            route(&Method::GET, "/v3/api_keys/"),
            Err(Reply::Json(StatusCode::NOT_FOUND, _))
        ));
    }
}
