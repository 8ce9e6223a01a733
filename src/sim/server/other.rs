//! `/v3/scopes`, `/v3/user/username`, `/v3/subusers`, the 404s, and the `/_sim` control API.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use super::keys::{QueryPairs, pairs};
use super::pipeline::{Ctx, bearer};
use super::reply::{Reply, bad_request, not_found, unauthorized};
use super::{Fault, Shared, lock, param};
use crate::sim::RequestLog;
use crate::sim::store::sha256;

/// `GET /v3/scopes`: the calling key's effective scopes (any valid key).
pub(super) async fn scopes(ctx: Ctx) -> Reply {
    Reply::Json(
        StatusCode::OK,
        json!({ "scopes": ctx.effective.to_strings() }),
    )
}

/// `GET /v3/user/username` (OAI `tsg_user_v3.json`, `ListUsername`): the username and user id
/// of the account the request acts in (the key's own, or the on-behalf-of target). The spec
/// names no scope; `user.username.read` is **(assumed)**, by its name in the permission list.
pub(super) async fn username(State(sh): State<Arc<Shared>>, ctx: Ctx) -> Result<Reply, Reply> {
    ctx.require("user.username.read")?;
    let store = lock(&sh.store);
    let a = store
        .accounts
        .get(ctx.account)
        .ok_or_else(super::reply::internal)?;
    Ok(Reply::Json(
        StatusCode::OK,
        json!({ "username": a.username, "user_id": a.id }),
    ))
}

/// `GET /v3/subusers` with its filters and paging.
pub(super) async fn subusers(
    State(sh): State<Arc<Shared>>,
    ctx: Ctx,
    query: QueryPairs,
) -> Result<Reply, Reply> {
    ctx.require("subusers.read")?;
    let query = pairs(query)?;
    let q = |name: &str| param(&query, name);
    let include_region = q("include_region").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let region = match q("region").map(str::to_ascii_lowercase).as_deref() {
        None | Some("all") => None,
        Some("global") => Some(crate::api::Region::Global),
        Some("eu") => Some(crate::api::Region::Eu),
        Some(_) => {
            return Err(bad_request(
                Some("region"),
                "region must be one of all, global, eu",
            ));
        }
    };
    let limit = match q("limit").map(|v| v.trim().parse::<i64>()) {
        None => 500,
        Some(Ok(n)) if n >= 1 => n.min(500) as usize,
        Some(_) => {
            return Err(bad_request(
                Some("limit"),
                "limit must be an integer of at least 1",
            ));
        }
    };
    let offset = match q("offset").map(|v| v.trim().parse::<i64>()) {
        None => 0,
        Some(Ok(n)) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
        Some(_) => {
            return Err(bad_request(
                Some("offset"),
                "offset must be an integer of at least 0",
            ));
        }
    };
    let username = q("username");
    let store = lock(&sh.store);
    // Only the parent has subusers: on behalf of a customer account the list is empty.
    let parent = ctx.account == crate::sim::store::PARENT;
    let list: Vec<crate::api::Subuser> = store
        .accounts
        .iter()
        .filter(|a| parent && a.is_subuser())
        .filter(|a| username.is_none_or(|u| a.username == u))
        .filter(|a| region.is_none_or(|r| a.region == r))
        .skip(offset)
        .take(limit)
        .map(|a| a.subuser(include_region))
        .collect();
    Ok(Reply::Json(StatusCode::OK, json!(list)))
}

/// Any other path under `/v3` (after the whole pipeline).
pub(super) async fn unknown() -> Reply {
    not_found("not found")
}

/// Paths outside `/v3` and `/_sim`: no pipeline, no log.
pub(super) async fn outside() -> Reply {
    not_found("not found")
}

// ---- control API ----

fn is_admin(sh: &Shared, headers: &HeaderMap) -> bool {
    bearer(headers).is_some_and(|t| sha256(t) == sh.admin_hash)
}

fn ctl_denied() -> Response {
    unauthorized("the simulator control API needs the admin key as Bearer token").into_response()
}

pub(super) async fn ctl_state(State(sh): State<Arc<Shared>>, headers: HeaderMap) -> Response {
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
                "customer_id": a.customer_id,
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
    connections: u64,
    requests: &'a VecDeque<RequestLog>,
}

pub(super) async fn ctl_requests(State(sh): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !is_admin(&sh, &headers) {
        return ctl_denied();
    }
    let log = lock(&sh.log);
    axum::Json(RequestsView {
        counts: &log.counts,
        mutating: log.mutating,
        connections: log.connections,
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

pub(super) async fn ctl_fail_next(
    State(sh): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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
    log.connections = 0;
}

pub(super) async fn ctl_reset(State(sh): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if !is_admin(&sh, &headers) {
        return ctl_denied();
    }
    reset_counters(&sh);
    StatusCode::NO_CONTENT.into_response()
}
