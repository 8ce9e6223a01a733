//! The SendGrid API-keys client (the rate gate and retry policy are in [`super::gate`]): one `reqwest` client (rustls), Bearer auth, optional
//! `on-behalf-of`, a shared gate that bounds concurrency and follows the `X-RateLimit-*` headers,
//! and a retry policy that only repeats what is safe to repeat:
//!
//! - GET, PUT, PATCH: retried with jittered backoff on 429, 5xx, timeouts and network errors;
//! - DELETE: retried on 429 and when the outcome is unknown (5xx, timeout, network); a 404 after
//!   such a retry means the first attempt did revoke the key, and counts as success;
//! - POST: never retried (a second attempt could mint a second key).
//!
//! One deadline (`--timeout`) covers a request from the moment it may be sent: connecting,
//! sending, waiting for the rate-limit window and every retry. A wait for a rate-limit reset
//! beyond it fails at once, saying when the window resets. Redirects are never followed: a 3xx
//! is [`ApiError::Redirected`], naming the Location (a mutation answered so has an unknown outcome
//! for the operations layer to read back).
//!
//! Every HTTP exchange (including retries) is reported to an optional observer as a
//! [`CallRecord`] (method, path, status, time; never a secret) for the `@` log and tracing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde::Serialize;

use super::error::ApiError;
use super::gate::{Gate, RetryPolicy, Ticket, epoch_now_f64, secs};
use super::models::*;
use super::tail::AnswerTimes;
use super::waves::Budget;
use crate::secret::Secret;

mod endpoints;

pub(super) use endpoints::{create_body, key_path, rename_body, update_body};

/// Largest response body accepted (a 10 000-key list is under 1 MiB).
const MAX_BODY: usize = 32 * 1024 * 1024;

/// One HTTP exchange, as reported to the observer. Contains no secret.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CallRecord {
    pub method: &'static str,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
    /// HTTP status, or None when no answer came (timeout, network).
    pub status: Option<u16>,
    pub elapsed_ms: u64,
    /// 0 for the first attempt.
    pub attempt: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<RateLimit>,
    /// Short error text for failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Receives every [`CallRecord`].
pub type Observer = Arc<dyn Fn(&CallRecord) + Send + Sync>;

/// What may be retried for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repeat {
    /// GET, PUT, PATCH: the same request has the same effect.
    Idempotent,
    /// DELETE: repeat on 429 or unknown outcome; a later 404 is success.
    Delete,
    /// `POST /v3/api_keys` (the one POST): paced by the creation budget too ([`super::gate`]); repeated only
    /// after a 429 (a refusal: nothing was created), once the window it names has reset.
    Create,
}

/// Requests in flight at most by default (the hard cap; the rate-limit budget paces below it):
/// 100, SendGrid's limit of keys per account, so one account's details always go in one wave
/// (two round trips for an audit: the list, then every GET). Over HTTP/1.1 that is up to 100
/// connections; over HTTP/2, streams on one connection (and never more than the server's
/// `SETTINGS_MAX_CONCURRENT_STREAMS`: hyper queues the rest). With 64, 100 keys took three
/// round trips (list, 64, 36): 0.173 s against the Node client's 0.257 s, 1.49× where issue
/// 13 asks 1.6× (see docs/performance.md).
pub const DEFAULT_CONCURRENCY: usize = 100;

/// Settings for [`Client::new`].
#[derive(Clone)]
pub struct ClientOptions {
    pub base_url: String,
    /// Where EU subusers' calls go when `base_url` is not SendGrid's own global host (a
    /// simulator's or a proxy's EU host); None: only SendGrid's own hosts are switched.
    pub eu_base_url: Option<String>,
    /// Extra CA certificate(s) to trust (PEM), besides the bundled web roots.
    pub ca_cert_pem: Option<String>,
    pub timeout: Duration,
    pub on_behalf_of: Option<OnBehalfOf>,
    pub retry: RetryPolicy,
    /// Requests in flight at most (lowered further by the rate-limit headers).
    pub concurrency: usize,
    pub observer: Option<Observer>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            base_url: super::GLOBAL_BASE_URL.into(),
            eu_base_url: None,
            ca_cert_pem: None,
            timeout: Duration::from_secs(10),
            on_behalf_of: None,
            retry: RetryPolicy::default(),
            concurrency: DEFAULT_CONCURRENCY,
            observer: None,
        }
    }
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("on_behalf_of", &self.on_behalf_of)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

struct Inner {
    http: reqwest::Client,
    base: String,
    /// `base`, parsed once.
    base_url: reqwest::Url,
    /// See [`ClientOptions::eu_base_url`].
    eu_base: Option<String>,
    key: Secret,
    timeout: Duration,
    retry: RetryPolicy,
    gate: Gate,
    /// Answer times so far: each attempt's own timeout and when to hedge come from them.
    times: AnswerTimes,
    observer: Option<Observer>,
}

/// A SendGrid API client. Cheap to clone; clones share the connection pool and the rate gate.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    on_behalf_of: Option<OnBehalfOf>,
    /// SendGrid's EU host for an EU subuser when the client points at the global host.
    base_override: Option<Arc<str>>,
    /// A share of the budget the fetch engine reserved for this client's next request.
    prepaid: Option<Arc<std::sync::Mutex<Option<Ticket>>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base)
            .field("key", &self.inner.key)
            .field("on_behalf_of", &self.on_behalf_of)
            .finish()
    }
}

/// Install rustls' ring provider once per process (reqwest is built without a default one).
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl Client {
    pub fn new(key: Secret, opts: ClientOptions) -> Result<Self, ApiError> {
        install_crypto_provider();
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = &opts.ca_cert_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
                setup_error(format!(
                    "--ca-cert: not a usable certificate: {}",
                    chain(&e)
                ))
            })?;
            if certs.is_empty() {
                return Err(setup_error("--ca-cert: the file holds no certificate"));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .timeout(opts.timeout)
            .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("sgkeys/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .pool_max_idle_per_host(opts.concurrency.max(1))
            .build()
            .map_err(|e| setup_error(format!("cannot set up HTTP client: {}", chain(&e))))?;
        let base = opts.base_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(setup_error(format!(
                "base URL '{base}' must start with http:// or https://"
            )));
        }
        let base_url = reqwest::Url::parse(&base)
            .map_err(|e| setup_error(format!("base URL '{base}' is not a URL: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                base_url,
                eu_base: opts.eu_base_url.map(|u| u.trim_end_matches('/').to_owned()),
                key,
                timeout: opts.timeout,
                retry: opts.retry,
                gate: Gate::new(opts.concurrency),
                times: AnswerTimes::default(),
                observer: opts.observer,
            }),
            on_behalf_of: opts.on_behalf_of,
            base_override: None,
            prepaid: None,
        })
    }

    /// The same endpoint, timeout and connection pool, authenticating with another key (a leaked
    /// one, to ask it what it can do and whether it is dead). Its own rate gate: the limit
    /// belongs to the calling key.
    pub fn with_key(&self, key: Secret) -> Client {
        let i = &self.inner;
        Client {
            inner: Arc::new(Inner {
                http: i.http.clone(),
                base: i.base.clone(),
                base_url: i.base_url.clone(),
                eu_base: i.eu_base.clone(),
                key,
                timeout: i.timeout,
                retry: i.retry.clone(),
                gate: Gate::new(4),
                times: AnswerTimes::default(),
                observer: i.observer.clone(),
            }),
            on_behalf_of: None,
            base_override: self.base_override.clone(),
            prepaid: None,
        }
    }

    /// Remember the creation budget between runs in `path` (a later run's first create
    /// waits for a window this one spent: see `api::memo`). Shared by every clone.
    pub fn remember_creates_in(&self, path: std::path::PathBuf) {
        self.inner
            .gate
            .remember_creates(super::memo::Memo::new(path, &self.inner.base));
    }

    /// A client acting for another subuser/account (or the key's own account with `None`).
    /// Shares the connection pool and rate gate (the limit belongs to the calling key).
    pub fn acting_as(&self, on_behalf_of: Option<OnBehalfOf>) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            base_override: None,
            on_behalf_of,
            prepaid: None,
        }
    }

    /// The rate-limit budget this client's requests spend (shared by every context of one
    /// key: on-behalf-of calls count against the calling key's account). None until an answer
    /// has told.
    pub(crate) fn budget(&self) -> Option<Budget> {
        self.inner.gate.budget()
    }

    /// The rate-limit window's length in seconds, once the answers have shown it.
    pub(crate) fn rate_period(&self) -> Option<u64> {
        self.inner.gate.period()
    }

    /// The server's clock now (epoch seconds, as its answers' `Date` headers set it against
    /// ours): the clock of [`Client::budget`]'s resets.
    pub(crate) fn server_now(&self) -> f64 {
        self.inner.gate.now()
    }

    /// How long a read may be out before a second copy is worth sending (None until enough
    /// answers have come to tell).
    pub(crate) fn hedge_after(&self) -> Option<Duration> {
        self.inner.times.hedge_after()
    }

    /// One request's deadline (`--timeout`): no request waits longer for a reset.
    pub(crate) fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Clients with the same id spend one budget (the same key's gate).
    pub(crate) fn budget_id(&self) -> usize {
        Arc::as_ptr(&self.inner) as usize
    }

    /// Count `n` requests against the budget now, for the fetch engine's wave.
    pub(crate) fn reserve(&self, n: usize) -> Vec<Ticket> {
        self.inner.gate.reserve(n)
    }

    /// This client, its next request already counted by `ticket`.
    pub(crate) fn with_ticket(&self, ticket: Ticket) -> Client {
        Client {
            prepaid: Some(Arc::new(std::sync::Mutex::new(Some(ticket)))),
            ..self.clone()
        }
    }

    /// Requests for a subuser must go to its region's host (NOTES: on-behalf-of calls for EU
    /// subusers use api.eu.sendgrid.com, else 451). SendGrid's own hosts are switched, and a
    /// configured EU host (`--eu-base-url`, a simulator's or proxy's) is used for EU subusers;
    /// any other base URL is kept as it is.
    pub fn in_region(mut self, region: Option<Region>) -> Client {
        let base = self.inner.base.as_str();
        self.base_override = match (region, self.inner.eu_base.as_deref(), base) {
            (Some(Region::Eu), Some(eu), _) if eu != base => Some(Arc::from(eu)),
            (Some(Region::Eu), None, super::GLOBAL_BASE_URL) => Some(Arc::from(super::EU_BASE_URL)),
            (Some(Region::Global), _, super::EU_BASE_URL) => {
                Some(Arc::from(super::GLOBAL_BASE_URL))
            }
            _ => None,
        };
        self
    }

    /// The base URL requests go to.
    pub fn effective_base_url(&self) -> &str {
        self.base_override.as_deref().unwrap_or(&self.inner.base)
    }

    pub fn on_behalf_of(&self) -> Option<&OnBehalfOf> {
        self.on_behalf_of.as_ref()
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// Where this client's requests go, for wording its errors ([`ApiError::in_words`]).
    pub fn endpoint(&self) -> super::Endpoint<'_> {
        super::Endpoint {
            base_url: &self.inner.base,
            eu_base_url: self.inner.eu_base.as_deref(),
        }
    }

    /// The id of the calling key (derivable from the key itself).
    pub fn caller_key_id(&self) -> Option<&str> {
        self.inner.key.key_id()
    }

    /// The base URL this client's requests go to, parsed.
    pub(super) fn resolved_base(&self) -> Result<reqwest::Url, ApiError> {
        match self.base_override.as_deref() {
            Some(host) => reqwest::Url::parse(host)
                .map_err(|e| setup_error(format!("base URL '{host}' is not a URL: {e}"))),
            None => Ok(self.inner.base_url.clone()),
        }
    }

    async fn send(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<serde_json::Value>,
        repeat: Repeat,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        let inner = &self.inner;
        let base = self.resolved_base()?;
        let url = endpoint(&base, segments, query)?;
        // The path below the base, as sent (for the call log).
        let path = url
            .path()
            .strip_prefix(base.path().trim_end_matches('/'))
            .unwrap_or(url.path())
            .to_owned();
        let obo = self.on_behalf_of.as_ref().map(OnBehalfOf::header_value);
        let method_name = method_str(&method);
        let mut uncertain = false;
        let mut attempt = 0u32;
        // attempts of this request that got no answer within their own timeout
        let mut timed_out = 0u32;
        let mut deadline: Option<Instant> = None;
        let mut ticket = self
            .prepaid
            .as_ref()
            .and_then(|t| t.lock().ok().and_then(|mut t| t.take()));
        loop {
            let create = match repeat {
                Repeat::Create => Some(
                    inner
                        .gate
                        .acquire_create(&mut deadline, inner.timeout)
                        .await?,
                ),
                _ => None,
            };
            let pass = inner
                .gate
                .acquire(&mut deadline, inner.timeout, ticket.take())
                .await?;
            let left = deadline
                .map_or(inner.timeout, |d| {
                    d.saturating_duration_since(Instant::now())
                })
                .max(Duration::from_millis(1));
            // Each attempt its own timeout, from what the answers so far show; a POST is never
            // repeated after an unanswered attempt, so each of its attempts has all the time left.
            let own = match repeat {
                Repeat::Create => left,
                Repeat::Idempotent => inner.times.attempt_timeout(timed_out).min(left),
                Repeat::Delete => inner
                    .times
                    .attempt_timeout(timed_out)
                    .max(super::tail::MIN_DELETE_ATTEMPT)
                    .min(left),
            };
            let started = Instant::now();
            let mut req = inner
                .http
                .request(method.clone(), url.clone())
                .timeout(own)
                .header(AUTHORIZATION, format!("Bearer {}", inner.key.expose()));
            if let Some(v) = &obo {
                req = req.header("on-behalf-of", v);
            }
            if let Some(b) = &body {
                req = req
                    .header(CONTENT_TYPE, "application/json")
                    .body(b.to_string());
            }
            let outcome = match req.send().await {
                Ok(resp) => {
                    inner.times.record(started.elapsed());
                    let status = resp.status().as_u16();
                    let rate = inner.gate.read_headers(resp.headers(), epoch_now_f64());
                    match create {
                        Some(c) => inner.gate.create_answered(c, pass, status, rate),
                        None => pass.done(rate),
                    }
                    let location = resp
                        .headers()
                        .get(reqwest::header::LOCATION)
                        .map(|v| super::error::printable(&String::from_utf8_lossy(v.as_bytes())));
                    match read_body(resp).await {
                        _ if (300..400).contains(&status) => Err((
                            Some(status),
                            ApiError::Redirected {
                                status,
                                location: location.unwrap_or_else(|| "(no Location)".into()),
                            },
                            rate,
                        )),
                        Ok(bytes) if (200..300).contains(&status) => Ok((status, bytes, rate)),
                        Ok(bytes) => Err((
                            Some(status),
                            ApiError::from_status(status, &bytes, rate),
                            rate,
                        )),
                        Err(e) => Err((Some(status), self.transport(&e, &url), rate)),
                    }
                }
                Err(e) => {
                    pass.done(None);
                    if let Some(c) = create {
                        c.done(None);
                    }
                    Err((None, self.transport(&e, &url), None))
                }
            };
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let mut record = CallRecord {
                method: method_name,
                path: path.clone(),
                on_behalf_of: obo.clone(),
                status: None,
                elapsed_ms,
                attempt,
                rate: None,
                error: None,
            };
            let mut err = match outcome {
                Ok((status, bytes, rate)) => {
                    record.status = Some(status);
                    record.rate = rate;
                    self.report(&record);
                    return Ok((status, bytes));
                }
                Err((status, err, rate)) => {
                    record.status = status;
                    record.rate = rate;
                    record.error = Some(err.short());
                    err
                }
            };
            if repeat == Repeat::Delete && uncertain && err.gone_by_sendgrid() {
                record.error = Some("404 after an unanswered attempt: the key was revoked".into());
                self.report(&record);
                return Ok((204, Vec::new()));
            }
            let cut = matches!(err, ApiError::Timeout(_));
            if cut {
                timed_out += 1;
                record.error = Some(format!(
                    "no answer within this attempt's {:.1}s",
                    own.as_secs_f32()
                ));
                // The error says the whole time waited, every attempt included.
                err = ApiError::Timeout(deadline.map_or(inner.timeout, |d| {
                    inner
                        .timeout
                        .saturating_sub(d.saturating_duration_since(Instant::now()))
                }));
            }
            self.report(&record);
            let retry = match repeat {
                Repeat::Create => matches!(err, ApiError::RateLimited { .. }),
                Repeat::Idempotent => err.is_transient(),
                Repeat::Delete => {
                    matches!(err, ApiError::RateLimited { .. }) || err.outcome_unknown()
                }
            };
            if !retry || attempt >= inner.retry.max_retries {
                return Err(err);
            }
            uncertain |= err.outcome_unknown();
            let delay = match &err {
                ApiError::RateLimited { rate: Some(r), .. } => {
                    let jitter = rand::rng().random_range(0..=100);
                    let d =
                        secs(r.reset as f64 - inner.gate.now()) + Duration::from_millis(5 + jitter);
                    if d > inner.retry.max_rate_wait {
                        return Err(err);
                    }
                    d
                }
                // the attempt's time has already been waited
                ApiError::Timeout(_) if cut => Duration::ZERO,
                _ => inner.retry.backoff(attempt),
            };
            // The deadline covers the retries too: no retry that could not finish in time.
            if deadline.is_some_and(|d| Instant::now() + delay >= d) {
                return Err(err);
            }
            tracing::debug!(method = method_name, path = %path, attempt, ?delay, "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    fn report(&self, record: &CallRecord) {
        tracing::debug!(
            method = record.method,
            path = %record.path,
            status = ?record.status,
            ms = record.elapsed_ms,
            attempt = record.attempt,
            error = ?record.error,
            "api call"
        );
        if let Some(obs) = &self.inner.observer {
            obs(record);
        }
    }

    fn transport(&self, e: &reqwest::Error, url: &reqwest::Url) -> ApiError {
        if e.is_timeout() {
            ApiError::Timeout(self.inner.timeout)
        } else {
            let detail = chain(e);
            tracing::debug!(%detail, "transport error");
            ApiError::Network(super::error::NetError::from_transport(&detail, url))
        }
    }
}

/// The URL of the path `segments` under `base`, with the `query` pairs. Each segment is
/// percent-encoded as one segment (`/`, `?`, `#` and `%` included), so a strange id cannot
/// change the path.
pub(super) fn endpoint(
    base: &reqwest::Url,
    segments: &[&str],
    query: &[(&str, String)],
) -> Result<reqwest::Url, ApiError> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| setup_error(format!("base URL '{base}' cannot take a path")))?
        .pop_if_empty()
        // `extend` skips "." and ".." (a URL would resolve them); an empty segment keeps such
        // an id from naming the collection or its parent instead.
        .extend(
            segments
                .iter()
                .map(|s| if matches!(*s, "." | "..") { "" } else { *s }),
        );
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    Ok(url)
}

pub(super) fn method_str(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "OTHER",
    }
}

async fn read_body(mut resp: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if out.len() + chunk.len() > MAX_BODY {
            break;
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Decode the documented success body of a mutation; anything else is
/// [`ApiError::NotTheAnswer`] (the server said 2xx, but we cannot tell what it did).
fn answer<T: serde::de::DeserializeOwned>(
    status: u16,
    bytes: &[u8],
    what: &str,
) -> Result<T, ApiError> {
    decode(status, bytes, what).map_err(|e| match e {
        ApiError::Decode {
            status,
            what,
            detail,
        } => ApiError::NotTheAnswer {
            status,
            what,
            detail,
        },
        other => other,
    })
}

fn decode<T: serde::de::DeserializeOwned>(
    status: u16,
    bytes: &[u8],
    what: &str,
) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let detail = if serde_json::from_slice::<serde_json::Value>(bytes).is_ok() {
            format!("unexpected JSON shape ({e})")
        } else {
            super::error::describe_non_json(bytes)
        };
        ApiError::Decode {
            status,
            what: what.to_owned(),
            detail,
        }
    })
}

/// sgkeys could not set a connection up (a base URL, the CA file): said as it is.
fn setup_error(message: impl Into<String>) -> ApiError {
    ApiError::Network(super::error::NetError::from(message.into()))
}

/// An error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eu_subusers_go_to_the_eu_host_only_on_sendgrids_own_hosts() {
        let key = Secret::parse(&format!("SG.{}.{}", "A".repeat(22), "b".repeat(43))).unwrap();
        let global = Client::new(key.clone(), ClientOptions::default()).unwrap();
        let eu = global
            .acting_as(Some(OnBehalfOf::Subuser("x".into())))
            .in_region(Some(Region::Eu));
        assert_eq!(eu.effective_base_url(), crate::api::EU_BASE_URL);
        assert_eq!(global.effective_base_url(), crate::api::GLOBAL_BASE_URL);
        let sim = Client::new(
            key,
            ClientOptions {
                base_url: "http://127.0.0.1:9".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            sim.in_region(Some(Region::Eu)).effective_base_url(),
            "http://127.0.0.1:9"
        );
    }

    #[test]
    fn key_paths_are_encoded() {
        let base = reqwest::Url::parse("http://127.0.0.1:9").unwrap();
        let url = |id: &str| endpoint(&base, &key_path(&ApiKeyId::from(id)), &[]).unwrap();
        assert_eq!(url("abc-_1").path(), "/v3/api_keys/abc-_1");
        assert_eq!(url("a/b?c").path(), "/v3/api_keys/a%2Fb%3Fc");
        assert_eq!(url("a/b?c").query(), None);
        assert_eq!(
            url("50%#x").as_str(),
            "http://127.0.0.1:9/v3/api_keys/50%25%23x"
        );
        assert_eq!(url("..").path(), "/v3/api_keys/");
    }

    #[test]
    fn urls_keep_the_base_path_and_encode_the_query() {
        let base = reqwest::Url::parse("https://proxy.example/sendgrid/").unwrap();
        let query = [("limit", "5".to_owned()), ("a&b", "c d=e".to_owned())];
        let url = endpoint(&base, &["v3", "api_keys"], &query).unwrap();
        assert_eq!(
            url.as_str(),
            "https://proxy.example/sendgrid/v3/api_keys?limit=5&a%26b=c+d%3De"
        );
        let plain = reqwest::Url::parse("http://127.0.0.1:9").unwrap();
        let url = endpoint(&plain, &["v3", "scopes"], &[]).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:9/v3/scopes");
    }
}
