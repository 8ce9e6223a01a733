//! Answers before the pipeline adds its headers: SendGrid's error bodies, the 5xx pages of a
//! proxy in front of it, and the mapping of store refusals.

use axum::http::StatusCode;
use axum::http::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::sim::store::OpError;

/// An answer of the simulator.
pub(super) enum Reply {
    Json(StatusCode, Value),
    NoContent,
    Html(StatusCode, String),
    /// 405 with `Allow`.
    NotAllowed(&'static str),
    /// An answer axum made (e.g. 413 for a body over its limit), passed on as it is.
    Raw(Box<Response>),
}

impl IntoResponse for Reply {
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
            Reply::NotAllowed(allow) => {
                let mut r = error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    None,
                    "method not allowed",
                    true,
                )
                .into_response();
                r.headers_mut()
                    .insert(ALLOW, HeaderValue::from_static(allow));
                r
            }
            Reply::Raw(r) => *r,
        }
    }
}

/// `{"errors":[{"field":…,"message":…(,"help":null)}]}`.
pub(super) fn error(status: StatusCode, field: Option<&str>, message: &str, help: bool) -> Reply {
    let mut item = json!({ "field": field, "message": message });
    if help {
        item["help"] = Value::Null;
    }
    Reply::Json(status, json!({ "errors": [item] }))
}

pub(super) fn bad_request(field: Option<&str>, message: &str) -> Reply {
    error(StatusCode::BAD_REQUEST, field, message, true)
}

pub(super) fn forbidden() -> Reply {
    error(StatusCode::FORBIDDEN, None, "access forbidden", true)
}

pub(super) fn not_found(message: &str) -> Reply {
    error(StatusCode::NOT_FOUND, None, message, true)
}

pub(super) fn unauthorized(message: &str) -> Reply {
    error(StatusCode::UNAUTHORIZED, None, message, false)
}

/// 451: an on-behalf-of call on the other region's host, and the injected 451: one body. The
/// status is documented (newer errors page); the message and the body's shape are
/// **(assumed)**. It names "the account's region", true of a subuser and of a customer account.
pub(super) fn residency() -> Reply {
    error(
        StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS,
        None,
        "Unavailable due to data residency restrictions: use the base URL of the account's region",
        true,
    )
}

pub(super) fn too_many() -> Reply {
    error(
        StatusCode::TOO_MANY_REQUESTS,
        None,
        "too many requests",
        false,
    )
}

pub(super) fn internal() -> Reply {
    Reply::Json(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({"errors":[{"message":"internal server error"}]}),
    )
}

pub(super) fn method_not_allowed(allow: &'static str) -> Reply {
    Reply::NotAllowed(allow)
}

pub(super) fn op_error(e: OpError) -> Reply {
    match e {
        OpError::BadRequest { field, message } => bad_request(field, &message),
        OpError::Forbidden { field, message } => {
            error(StatusCode::FORBIDDEN, field, &message, true)
        }
        OpError::NotFound(message) => not_found(message),
    }
}

pub(super) fn html_page(status: StatusCode) -> Reply {
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
