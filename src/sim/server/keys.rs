//! `/v3/api_keys` and `/v3/api_keys/{id}`: permission (step 7) and the operation (step 8).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::pipeline::Ctx;
use super::reply::{Reply, bad_request, error, not_found, op_error};
use super::{Shared, lock, param};
use crate::sim::GetShape;

/// A request body read as JSON whatever its `Content-Type` (an empty or blank body counts as
/// `{}`). Malformed JSON is SendGrid's 400; a body over axum's limit (2 MB) is a 413 with the
/// documented error body (the message is **assumed**), after authentication and the
/// permission check like every other answer, with the rate-limit headers.
/// Handlers take it as `Result<JsonBody, Reply>` so that the permission check comes first.
pub(super) struct JsonBody(Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Reply;

    async fn from_request(req: Request, state: &S) -> Result<Self, Reply> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    None,
                    "request body too large",
                    true,
                )
            } else {
                Reply::Raw(Box::new(e.into_response()))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(json!({})));
        }
        let axum::Json(v) = axum::Json::<Value>::from_bytes(&bytes)
            .map_err(|_| bad_request(None, "request body is not valid JSON"))?;
        Ok(JsonBody(v))
    }
}

/// The query as name/value pairs in order (malformed input cannot happen with pairs of
/// strings, but would be a 400).
pub(super) type QueryPairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

pub(super) fn pairs(query: QueryPairs) -> Result<Vec<(String, String)>, Reply> {
    query
        .map(|Query(q)| q)
        .map_err(|_| bad_request(None, "malformed query string"))
}

/// The `{id}` of the path, percent-decoded; one that does not decode to UTF-8 names no key.
fn key_id(id: Result<Path<String>, PathRejection>) -> String {
    id.map(|Path(id)| id).unwrap_or_default()
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

/// The scopes a POST or PUT answer echoes: those granted, without the auto-assigned ones.
fn granted(scopes: &[String]) -> Vec<&String> {
    scopes
        .iter()
        .filter(|s| !crate::scopes::is_auto_assigned(s))
        .collect()
}

fn missing_name() -> Reply {
    bad_request(None, "expected JSON request body with 'name' property")
}

/// `GET /v3/api_keys[?limit=N]`.
pub(super) async fn list(
    State(sh): State<Arc<Shared>>,
    ctx: Ctx,
    query: QueryPairs,
) -> Result<Reply, Reply> {
    ctx.require("api_keys.read")?;
    let query = pairs(query)?;
    let limit = match param(&query, "limit") {
        None => usize::MAX,
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => {
                return Err(bad_request(
                    Some("limit"),
                    "limit must be an integer of at least 1",
                ));
            }
        },
    };
    let store = lock(&sh.store);
    let result: Vec<Value> = store.accounts[ctx.account]
        .keys
        .iter()
        .take(limit)
        .map(|k| json!({"api_key_id": k.id, "name": k.name}))
        .collect();
    Ok(Reply::Json(StatusCode::OK, json!({ "result": result })))
}

/// `GET /v3/api_keys/{id}`.
pub(super) async fn get_one(
    State(sh): State<Arc<Shared>>,
    ctx: Ctx,
    id: Result<Path<String>, PathRejection>,
) -> Result<Reply, Reply> {
    ctx.require("api_keys.read")?;
    let id = key_id(id);
    let store = lock(&sh.store);
    let k = store
        .key(ctx.account, &id)
        .ok_or_else(|| not_found("unable to find API Key"))?;
    let detail = json!({
        "api_key_id": k.id,
        "name": k.name,
        "scopes": k.scopes.to_strings(),
    });
    let body = match sh.get_shape {
        GetShape::Flat => detail,
        GetShape::Wrapped => json!({ "result": [detail] }),
    };
    Ok(Reply::Json(StatusCode::OK, body))
}

/// `POST /v3/api_keys`.
pub(super) async fn create(
    State(sh): State<Arc<Shared>>,
    ctx: Ctx,
    body: Result<JsonBody, Reply>,
) -> Result<Reply, Reply> {
    ctx.require("api_keys.create")?;
    let JsonBody(v) = body?;
    let name = name_of(&v).ok_or_else(|| bad_request(Some("name"), "missing required argument"))?;
    let requested = match v.get("scopes") {
        None | Some(Value::Null) => None,
        Some(s) => Some(
            strings(s)
                .ok_or_else(|| bad_request(Some("scopes"), "scopes must be an array of strings"))?,
        ),
    };
    sh.change(|store| {
        let c = store
            .create(ctx.account, ctx.effective, &name, requested.as_deref())
            .map_err(op_error)?;
        // As the spec's examples: the scopes granted, without the auto-assigned ones (GET
        // shows those).
        let body = json!({
            "api_key": c.secret.expose(),
            "api_key_id": c.detail.api_key_id,
            "name": c.detail.name,
            "scopes": granted(&c.detail.scopes),
        });
        Ok(Reply::Json(StatusCode::CREATED, body))
    })
    .await
}

/// What a `PATCH` or `PUT` of a key asks, in SendGrid's order: the scope to change keys, then
/// a body, then a name in it.
fn renaming(ctx: &Ctx, body: Result<JsonBody, Reply>) -> Result<(Value, String), Reply> {
    ctx.require("api_keys.update")?;
    let JsonBody(v) = body?;
    let name = name_of(&v).ok_or_else(missing_name)?;
    Ok((v, name))
}

/// `PATCH /v3/api_keys/{id}`: rename.
pub(super) async fn rename(
    State(sh): State<Arc<Shared>>,
    ctx: Ctx,
    id: Result<Path<String>, PathRejection>,
    body: Result<JsonBody, Reply>,
) -> Result<Reply, Reply> {
    let (_, name) = renaming(&ctx, body)?;
    sh.change(|store| {
        let d = store
            .rename(ctx.account, &key_id(id), &name)
            .map_err(op_error)?;
        let body = json!({"api_key_id": d.api_key_id, "name": d.name});
        Ok(Reply::Json(StatusCode::OK, body))
    })
    .await
}

/// `PUT /v3/api_keys/{id}`: replace name and scopes.
pub(super) async fn update(
    State(sh): State<Arc<Shared>>,
    ctx: Ctx,
    id: Result<Path<String>, PathRejection>,
    body: Result<JsonBody, Reply>,
) -> Result<Reply, Reply> {
    let (v, name) = renaming(&ctx, body)?;
    let scopes = v
        .get("scopes")
        .and_then(strings)
        .filter(|list| list.iter().any(|s| !crate::scopes::is_auto_assigned(s)))
        .ok_or_else(|| {
            bad_request(
                Some("scopes"),
                "expected JSON request body with 'scopes' property containing at least one scope",
            )
        })?;
    sh.change(|store| {
        let d = store
            .update(ctx.account, ctx.effective, &key_id(id), &name, &scopes)
            .map_err(op_error)?;
        let body =
            json!({"api_key_id": d.api_key_id, "name": d.name, "scopes": granted(&d.scopes)});
        Ok(Reply::Json(StatusCode::OK, body))
    })
    .await
}

/// `DELETE /v3/api_keys/{id}`: revoke.
pub(super) async fn delete(
    State(sh): State<Arc<Shared>>,
    ctx: Ctx,
    id: Result<Path<String>, PathRejection>,
) -> Result<Reply, Reply> {
    ctx.require("api_keys.delete")?;
    sh.change(|store| store.delete(ctx.account, &key_id(id)).map_err(op_error))
        .await?;
    Ok(Reply::NoContent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing() {
        let pairs_of = |uri: &str| {
            let uri: axum::http::Uri = uri.parse().unwrap();
            pairs(Query::try_from_uri(&uri)).ok().unwrap()
        };
        assert_eq!(
            pairs_of("/v3/api_keys?limit=5&username=a%20b+c&x"),
            vec![
                ("limit".into(), "5".into()),
                ("username".into(), "a b c".into()),
                ("x".into(), String::new())
            ]
        );
        assert_eq!(pairs_of("/?v=%zz%4"), vec![("v".into(), "%zz%4".into())]);
        let q = pairs_of("/?limit=2&limit=abc");
        assert_eq!(param(&q, "limit"), Some("2"));
        assert_eq!(param(&q, "offset"), None);
    }
}
