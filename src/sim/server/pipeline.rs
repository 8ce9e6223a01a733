//! The `/v3` pipeline as middleware layers, outermost first: `record` (request log, mutation
//! counter, `X-RateLimit-*` headers), then the documented steps 1–6: `latency`, `faults`,
//! `accept`, `authenticate`, `rate_limit`, `on_behalf_of`. Steps 7 (permission) and 8 (the
//! operation) are the handlers' ([`Ctx`]); routing (404/405) comes after step 6 as well, since
//! the layers wrap every `/v3` route, the 404 routes and the 405 fallbacks alike.
//!
//! A layer that answers by itself puts the rate-limit window it used into the response's
//! extensions ([`RateInfo`]); `record` turns it into headers.

use std::sync::Arc;

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::reply::{
    Reply, error, forbidden, html_page, internal, method_not_allowed, residency, too_many,
    unauthorized,
};
use super::{Budget, Fault, RateInfo, Shared, lock};
use crate::sim::RequestLog;
use crate::sim::store::{Caller, PARENT, ScopeSet};

/// Marks a response whose request the `faults` layer already logged (a simulated timeout).
#[derive(Debug, Clone, Copy)]
struct Recorded;

/// The account a request acts in (the caller's own, or the on-behalf-of target).
#[derive(Debug, Clone, Copy)]
struct Target(usize);

/// A request-log entry before its status is known.
struct Entry {
    method: String,
    path: String,
    on_behalf_of: Option<String>,
    http: &'static str,
}

impl Entry {
    fn of(req: &Request) -> Self {
        Entry {
            method: req.method().as_str().to_owned(),
            path: req.uri().path().to_owned(),
            on_behalf_of: req
                .headers()
                .get("on-behalf-of")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            http: match req.version() {
                axum::http::Version::HTTP_2 => "2",
                axum::http::Version::HTTP_10 => "1.0",
                _ => "1.1",
            },
        }
    }

    fn with_status(self, status: u16, window: Option<u64>) -> RequestLog {
        RequestLog {
            method: self.method,
            path: self.path,
            status,
            on_behalf_of: self.on_behalf_of,
            http: self.http,
            window,
        }
    }
}

/// The rate-limit window (epoch second) that counted the request, for the log.
#[derive(Debug, Clone, Copy)]
struct Counted(u64);

/// `reply` answered with the window `rate`.
fn with_rate(reply: Reply, rate: RateInfo) -> Response {
    let mut resp = reply.into_response();
    resp.extensions_mut().insert(rate);
    resp
}

/// Outermost: counts mutations on arrival, writes the `X-RateLimit-*` headers on every answer
/// and logs it (a simulated timeout is logged by `faults` before it hangs).
pub(super) async fn record(State(sh): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let entry = Entry::of(&req);
    if matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) {
        lock(&sh.log).mutating += 1;
    }
    let mut resp = next.run(req).await;
    let rate = resp
        .extensions_mut()
        .remove::<RateInfo>()
        .unwrap_or_else(|| sh.peek(None));
    let h = resp.headers_mut();
    h.insert("x-ratelimit-limit", HeaderValue::from(rate.limit));
    h.insert("x-ratelimit-remaining", HeaderValue::from(rate.remaining));
    h.insert("x-ratelimit-reset", HeaderValue::from(rate.reset));
    let window = resp.extensions_mut().remove::<Counted>().map(|c| c.0);
    if resp.extensions_mut().remove::<Recorded>().is_none() {
        sh.record(entry.with_status(resp.status().as_u16(), window));
    }
    resp
}

/// Step 1: the `latency` knob.
pub(super) async fn latency(State(sh): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let d = lock(&sh.knobs).latency;
    sh.sleep(d).await;
    next.run(req).await
}

/// Step 2, fault injection: a queued "fail next N" entry, else a `fail-rate` roll. With
/// `after`, the rest of the pipeline and the operation run first; only their answer is lost.
pub(super) async fn faults(State(sh): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let Some(fault) = sh.next_fault() else {
        return next.run(req).await;
    };
    let headers = req.headers().clone();
    let entry = Entry::of(&req);
    let allow = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("GET", |m| super::allowed(m.as_str()));
    if fault.after {
        let _ = next.run(req).await;
    }
    let mut rate = sh.peek(account_of(&sh, &headers));
    if fault.status == 429 {
        rate.remaining = 0;
    }
    if fault.status == 0 {
        // A client that gives up first drops the connection and these layers with it: log the
        // timeout now (as the 504 it ends in), or it would never be counted.
        sh.record(entry.with_status(504, None));
        let mut resp = with_rate(fault_reply(&sh, fault, allow).await, rate);
        resp.extensions_mut().insert(Recorded);
        return resp;
    }
    with_rate(fault_reply(&sh, fault, allow).await, rate)
}

/// The answer of an injected failure (for a timeout, after `hang`).
async fn fault_reply(sh: &Shared, fault: Fault, allow: &'static str) -> Reply {
    match fault.status {
        0 => {
            sh.sleep(sh.hang).await;
            html_page(StatusCode::GATEWAY_TIMEOUT)
        }
        429 => too_many(),
        500 => internal(),
        502..=504 => {
            html_page(StatusCode::from_u16(fault.status).unwrap_or(StatusCode::BAD_GATEWAY))
        }
        451 => residency(),
        405 => method_not_allowed(allow),
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

/// Step 3: `Accept` must allow `application/json`, else 406.
pub(super) async fn accept(State(sh): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    if accepts_json(req.headers()) {
        return next.run(req).await;
    }
    let rate = sh.peek(account_of(&sh, req.headers()));
    let reply = error(
        StatusCode::NOT_ACCEPTABLE,
        None,
        "missing Accept header",
        false,
    );
    with_rate(reply, rate)
}

/// Step 4: bearer authentication; the [`Caller`] goes into the request's extensions.
pub(super) async fn authenticate(
    State(sh): State<Arc<Shared>>,
    mut req: Request,
    next: Next,
) -> Response {
    let caller = bearer(req.headers()).map(|token| lock(&sh.store).authenticate(token));
    match caller {
        None => with_rate(unauthorized("authorization required"), sh.peek(None)),
        Some(None) => with_rate(
            unauthorized("The provided authorization grant is invalid, expired, or revoked"),
            sh.peek(None),
        ),
        Some(Some(caller)) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
    }
}

/// Step 5: the rate limit of the calling key's own account; then, for `POST /v3/api_keys`
/// within it, the key-creation limit of the same account, whose window the answer's headers
/// describe (as a per-endpoint limit's would).
pub(super) async fn rate_limit(
    State(sh): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let Some(account) = req.extensions().get::<Caller>().map(|c| c.account) else {
        return with_rate(internal(), sh.peek(None));
    };
    let (mut ok, mut rate) = sh.count(account, Budget::Requests);
    let counted = Counted(rate.start);
    let creates = req.method() == Method::POST
        && req
            .extensions()
            .get::<MatchedPath>()
            .is_some_and(|m| m.as_str() == super::KEYS);
    if ok && creates {
        (ok, rate) = sh.count(account, Budget::Creates);
    }
    let mut resp = if ok {
        next.run(req).await
    } else {
        too_many().into_response()
    };
    resp.extensions_mut().insert(rate);
    resp.extensions_mut().insert(counted);
    resp
}

/// Step 6: `on-behalf-of`: the account the request acts in ([`Target`]).
pub(super) async fn on_behalf_of(
    State(sh): State<Arc<Shared>>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(caller) = req.extensions().get::<Caller>().map(|c| c.account) else {
        return internal().into_response();
    };
    let target = match req.headers().get("on-behalf-of") {
        None => caller,
        Some(_) if caller != PARENT => return forbidden().into_response(),
        Some(value) => {
            let found = value
                .to_str()
                .ok()
                .and_then(|v| lock(&sh.store).find_on_behalf_of(v));
            match found {
                Some(a) => a,
                None => return unauthorized("authorization required").into_response(),
            }
        }
    };
    // A subuser's on-behalf-of calls must use its region's host (NOTES, DOCS on-behalf-of:
    // "451 Unavailable due to data residency restrictions" on the newer errors page).
    let host = req
        .extensions()
        .get::<super::HostRegion>()
        .map_or(crate::api::Region::Global, |h| h.0);
    let region = lock(&sh.store).accounts.get(target).map(|a| a.region);
    if target != caller && region.is_some_and(|r| r != host) {
        return residency().into_response();
    }
    req.extensions_mut().insert(Target(target));
    next.run(req).await
}

/// What a handler needs from the pipeline: the account it acts in and the caller's scopes
/// there. Step 7 (permission) is [`Ctx::require`].
pub(super) struct Ctx {
    pub account: usize,
    pub effective: ScopeSet,
}

impl Ctx {
    /// Step 7: the operation's scope, else 403.
    pub fn require(&self, scope: &str) -> Result<(), Reply> {
        if self.effective.contains(scope) {
            Ok(())
        } else {
            Err(forbidden())
        }
    }
}

impl FromRequestParts<Arc<Shared>> for Ctx {
    type Rejection = Reply;

    async fn from_request_parts(parts: &mut Parts, sh: &Arc<Shared>) -> Result<Self, Reply> {
        let (Some(caller), Some(Target(account))) = (
            parts.extensions.get::<Caller>(),
            parts.extensions.get::<Target>().copied(),
        ) else {
            return Err(internal());
        };
        let effective = lock(&sh.store).effective(caller, account);
        Ok(Ctx { account, effective })
    }
}

/// The account of the key in `Authorization`, if it is one.
fn account_of(sh: &Shared, headers: &HeaderMap) -> Option<usize> {
    let token = bearer(headers)?;
    lock(&sh.store).authenticate(token).map(|c| c.account)
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
pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
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
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("bearer  abc "));
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer"));
        assert_eq!(bearer(&h), None);
    }
}
