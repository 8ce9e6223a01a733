//! Typed API errors. Every HTTP status of the contract maps to its own variant carrying the
//! parsed `{errors:[{field,message,help}]}` list; transport failures are separate variants.
//! Messages never contain a secret: request URLs carry only ids, and bodies are excerpts.

use serde::Serialize;
use std::fmt;
use std::time::Duration;

use super::models::RateLimit;

/// One entry of SendGrid's `errors` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ErrorItem {
    pub field: Option<String>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// A parsed error body. `errors` is empty when the body was not the documented JSON; then
/// `excerpt` says what came instead (an HTML page, an empty body, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ErrorBody {
    pub errors: Vec<ErrorItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// SendGrid's documented shape: JSON with an `errors` list of objects with a `message`.
    /// A gateway's, proxy's or captive portal's answer (an HTML page, plain text, other JSON)
    /// is not, whatever its status: it says nothing about the key.
    #[serde(skip)]
    pub documented: bool,
}

impl ErrorBody {
    /// Parse leniently: the documented `{errors:[…]}`, the `{error:"…"}` fallback some proxies
    /// use, or anything else (described, never trusted).
    pub fn parse(bytes: &[u8]) -> Self {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            return ErrorBody {
                excerpt: Some(describe_non_json(bytes)),
                ..Default::default()
            };
        };
        // Server text: cleaned here, once, so no message built from it can drive a terminal.
        let text = |v: &serde_json::Value| -> Option<String> {
            let raw = match v {
                serde_json::Value::String(s) if s != "null" && !s.is_empty() => s.clone(),
                serde_json::Value::Null | serde_json::Value::String(_) => return None,
                other => other.to_string(),
            };
            Some(crate::text::clean(&raw).into_owned())
        };
        let mut body = ErrorBody {
            id: value.get("id").and_then(text),
            ..Default::default()
        };
        if let Some(items) = value.get("errors").and_then(|e| e.as_array()) {
            body.documented = !items.is_empty()
                && items
                    .iter()
                    .all(|i| i.get("message").is_some_and(serde_json::Value::is_string));
            for item in items {
                let message = item
                    .get("message")
                    .and_then(text)
                    .or_else(|| item.as_str().map(|m| crate::text::clean(m).into_owned()))
                    .unwrap_or_default();
                let field = item.get("field").and_then(text);
                let help = item
                    .get("help")
                    .filter(|h| !h.is_null() && h.as_object().is_none_or(|o| !o.is_empty()))
                    .and_then(text);
                body.errors.push(ErrorItem {
                    field,
                    message,
                    help,
                });
            }
        } else if let Some(msg) = value.get("error").and_then(text) {
            body.errors.push(ErrorItem {
                message: msg,
                ..Default::default()
            });
        } else if let Some(msg) = value.get("message").and_then(text) {
            body.errors.push(ErrorItem {
                message: msg,
                ..Default::default()
            });
        } else {
            body.excerpt = Some(format!(
                "JSON without an 'errors' list: {}",
                clip(&crate::text::clean(&value.to_string()), 120)
            ));
        }
        body
    }

    /// The first message, if any.
    pub fn first_message(&self) -> Option<&str> {
        self.errors.first().map(|e| e.message.as_str())
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.errors.is_empty() {
            return f.write_str(self.excerpt.as_deref().unwrap_or("no error details"));
        }
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            match &e.field {
                Some(field) => write!(f, "{field}: {}", e.message)?,
                None => f.write_str(&e.message)?,
            }
        }
        Ok(())
    }
}

/// Say what a non-JSON body is, without dumping it.
pub(crate) fn describe_non_json(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return "empty body (expected JSON)".into();
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") || lower.contains("<body")
    {
        let title = between(trimmed, "<title>", "</title>")
            .or_else(|| between(trimmed, "<h1>", "</h1>"))
            .map(|t| format!(" ({})", clip(&crate::text::clean(t.trim()), 80)))
            .unwrap_or_default();
        return format!("an HTML page instead of JSON{title}: probably a proxy or an outage");
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return format!("malformed or truncated JSON ({} bytes)", bytes.len());
    }
    format!("not JSON: \"{}\"", clip(&crate::text::clean(trimmed), 80))
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let lower = s.to_ascii_lowercase();
    let start = lower.find(open)? + open.len();
    let end = lower[start..].find(close)? + start;
    s.get(start..end)
}

/// Server text for a message: cleaned by the one sanitiser ([`crate::text::clean`]), one
/// line, at most 200 characters.
pub(crate) fn printable(s: &str) -> String {
    clip(&crate::text::clean(s), 200)
}

pub(crate) fn clip(s: &str, max: usize) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut out: String = one_line.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// Everything that can go wrong talking to SendGrid (or the simulator).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    #[error("400 Bad Request: {0}")]
    BadRequest(ErrorBody),
    #[error("401 Unauthorized: {0} (is the API key valid and not revoked?)")]
    Unauthorized(ErrorBody),
    #[error("403 Forbidden: {0}")]
    Forbidden(ErrorBody),
    #[error("404 Not Found: {0}")]
    NotFound(ErrorBody),
    #[error("406 Not Acceptable: {0}")]
    NotAcceptable(ErrorBody),
    #[error("429 Too Many Requests: {body}{}", rate_suffix(.rate))]
    RateLimited {
        body: ErrorBody,
        rate: Option<RateLimit>,
    },
    #[error(
        "451 Unavailable For Legal Reasons: {0} (data residency: use the subuser's region, e.g. --region eu)"
    )]
    DataResidency(ErrorBody),
    #[error("{status} server error: {body}")]
    Server { status: u16, body: ErrorBody },
    #[error("unexpected HTTP {status}: {body}")]
    Unexpected { status: u16, body: ErrorBody },
    #[error("network error: {0}")]
    Network(String),
    #[error("no answer within {}s (timeout; raise it with --timeout)", .0.as_secs_f32())]
    Timeout(Duration),
    #[error("could not read the server's answer to {what} (HTTP {status}): {detail}")]
    Decode {
        status: u16,
        what: String,
        detail: String,
    },
    #[error("refused in read-only mode: {0} was not sent")]
    ReadOnly(String),
    /// POST's answer was lost ({cause}) but the key was created: its secret cannot be
    /// recovered. The key exists and should be revoked.
    #[error(
        "the key was created as {id} but SendGrid's answer was lost ({cause}): its secret cannot be \
         recovered; revoke {id} and create a new key"
    )]
    CreatedSecretLost { id: String, cause: String },
    #[error("cancelled")]
    Cancelled,
    /// The server answered with a redirect. API calls never follow one: the request may have
    /// been acted on by this origin, and another origin's answer is not SendGrid's.
    #[error(
        "HTTP {status} redirect to {location}: sgkeys never follows redirects for API calls \
         (is --base-url right? a proxy or captive portal in the way?)"
    )]
    Redirected { status: u16, location: String },
    /// A 2xx answer that is not the documented one (e.g. a DELETE answered 200 with a page).
    #[error("HTTP {status} but not SendGrid's answer to {what}: {detail}")]
    NotTheAnswer {
        status: u16,
        what: String,
        detail: String,
    },
    /// Refused before sending: the journal could not record the intent.
    #[error("not sent: {0}")]
    NotJournaled(String),
    /// The per-request deadline (`--timeout`) would pass while waiting for the rate-limit window.
    #[error(
        "not sent: the rate limit is used up and resets in {reset_in_s}s, later than the {}s \
         --timeout allows",
        .timeout.as_secs_f32()
    )]
    RateWaitTooLong { reset_in_s: u64, timeout: Duration },
}

fn rate_suffix(rate: &Option<RateLimit>) -> String {
    match rate {
        Some(r) => {
            let now = crate::api::epoch_now();
            let wait = r.reset.saturating_sub(now);
            format!(" (limit {} per window, resets in {wait}s)", r.limit)
        }
        None => String::new(),
    }
}

impl ApiError {
    /// Map a non-2xx status and its body.
    pub fn from_status(status: u16, body: &[u8], rate: Option<RateLimit>) -> Self {
        let body = ErrorBody::parse(body);
        match status {
            400 => ApiError::BadRequest(body),
            401 => ApiError::Unauthorized(body),
            403 => ApiError::Forbidden(body),
            404 => ApiError::NotFound(body),
            406 => ApiError::NotAcceptable(body),
            429 => ApiError::RateLimited { body, rate },
            451 => ApiError::DataResidency(body),
            500..=599 => ApiError::Server { status, body },
            _ => ApiError::Unexpected { status, body },
        }
    }

    /// The HTTP status, when there was one.
    pub fn status(&self) -> Option<u16> {
        Some(match self {
            ApiError::BadRequest(_) => 400,
            ApiError::Unauthorized(_) => 401,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound(_) => 404,
            ApiError::NotAcceptable(_) => 406,
            ApiError::RateLimited { .. } => 429,
            ApiError::DataResidency(_) => 451,
            ApiError::Server { status, .. }
            | ApiError::Unexpected { status, .. }
            | ApiError::Decode { status, .. }
            | ApiError::Redirected { status, .. }
            | ApiError::NotTheAnswer { status, .. } => *status,
            _ => return None,
        })
    }

    /// The parsed error body, when the server sent one.
    pub fn body(&self) -> Option<&ErrorBody> {
        match self {
            ApiError::BadRequest(b)
            | ApiError::Unauthorized(b)
            | ApiError::Forbidden(b)
            | ApiError::NotFound(b)
            | ApiError::NotAcceptable(b)
            | ApiError::DataResidency(b)
            | ApiError::RateLimited { body: b, .. }
            | ApiError::Server { body: b, .. }
            | ApiError::Unexpected { body: b, .. } => Some(b),
            _ => None,
        }
    }

    /// Transient failures worth retrying for idempotent requests.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::RateLimited { .. }
                | ApiError::Server { .. }
                | ApiError::Timeout(_)
                | ApiError::Network(_)
        )
    }

    /// Whether the server may have acted on the request although we got no success answer
    /// (so a retried DELETE that then sees 404 did in fact revoke the key).
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            ApiError::Server { .. } | ApiError::Timeout(_) | ApiError::Network(_)
        )
    }

    /// Whether a mutation answered this way may or may not have happened, so that only reading
    /// the key back can tell: no answer, a server error, a redirect, an unexpected status, or a
    /// success whose body is not the documented one. (A 4xx from SendGrid is a clear refusal.)
    pub fn mutation_unknown(&self) -> bool {
        self.outcome_unknown()
            || matches!(
                self,
                ApiError::Redirected { .. }
                    | ApiError::NotTheAnswer { .. }
                    | ApiError::Decode { .. }
                    | ApiError::Unexpected { .. }
            )
    }

    /// Whether SendGrid itself answered: an error status with its documented JSON body
    /// ([`ErrorBody::documented`]), not a gateway's page.
    pub fn from_sendgrid(&self) -> bool {
        self.body().is_some_and(|b| b.documented)
    }

    /// SendGrid refused the credential: a 401 in its own JSON shape. (An HTML or non-JSON 401
    /// comes from something in front of SendGrid and says nothing about the key.)
    pub fn refused_by_sendgrid(&self) -> bool {
        matches!(self, ApiError::Unauthorized(b) if b.documented)
    }

    /// SendGrid said there is no such key: a 404 in its own JSON shape.
    pub fn gone_by_sendgrid(&self) -> bool {
        matches!(self, ApiError::NotFound(b) if b.documented)
    }

    /// An error status in a body SendGrid never sends (an HTML page, plain text, other
    /// JSON): a gateway, proxy or captive portal answered, so what SendGrid did is unknown.
    pub fn not_from_sendgrid(&self) -> bool {
        self.status().is_some_and(|s| (400..500).contains(&s))
            && self.body().is_some_and(|b| !b.documented)
    }

    /// Short label for status bars and logs.
    pub fn short(&self) -> String {
        match self.status() {
            Some(s) => match self.body().and_then(ErrorBody::first_message) {
                Some(m) => format!("{s}: {}", clip(m, 60)),
                None => format!("HTTP {s}"),
            },
            None => clip(&self.to_string(), 70),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_and_lenient_bodies() {
        let b = ErrorBody::parse(
            br#"{"errors":[{"field":"name","message":"missing required argument","help":null}]}"#,
        );
        assert_eq!(b.errors[0].field.as_deref(), Some("name"));
        assert_eq!(b.to_string(), "name: missing required argument");
        let b = ErrorBody::parse(
            br#"{"errors":[{"field":"null","message":"access forbidden"}],"id":"abc"}"#,
        );
        assert_eq!(b.errors[0].field, None);
        assert_eq!(b.id.as_deref(), Some("abc"));
        let b = ErrorBody::parse(br#"{"error":"boom"}"#);
        assert_eq!(b.to_string(), "boom");
        let b = ErrorBody::parse(br#"{"errors":[{"message":"internal server error"}]}"#);
        assert_eq!(b.to_string(), "internal server error");
        assert!(b.documented);
        // only SendGrid's own shape counts as SendGrid speaking
        for other in [
            &br#"{"error":"boom"}"#[..],
            br#"{"errors":[]}"#,
            br#"{"errors":["authorization required"]}"#,
            br#"{"message":"Unauthorized"}"#,
            b"<html><title>401 Authorization Required</title></html>",
            b"",
        ] {
            assert!(!ErrorBody::parse(other).documented, "{other:?}");
        }
        let html = ApiError::from_status(401, b"<html>401</html>", None);
        assert!(!html.refused_by_sendgrid() && html.not_from_sendgrid());
        let json = ApiError::from_status(
            401,
            br#"{"errors":[{"field":null,"message":"authorization required"}]}"#,
            None,
        );
        assert!(json.refused_by_sendgrid() && !json.not_from_sendgrid());
        assert!(!ApiError::from_status(404, b"Not Found", None).gone_by_sendgrid());
    }

    #[test]
    fn describes_non_json_bodies() {
        let b = ErrorBody::parse(
            b"<html><head><title>503 Service Unavailable</title></head><body>x</body></html>",
        );
        assert!(b.to_string().contains("HTML page"), "{b}");
        assert!(b.to_string().contains("503 Service Unavailable"), "{b}");
        assert_eq!(
            ErrorBody::parse(b"").to_string(),
            "empty body (expected JSON)"
        );
        assert!(
            ErrorBody::parse(br#"{"errors":[{"mess"#)
                .to_string()
                .contains("truncated")
        );
        assert!(
            ErrorBody::parse(br#"[1,2]"#)
                .to_string()
                .contains("without an 'errors' list")
        );
    }

    #[test]
    fn maps_every_status() {
        let cases = [
            (400, "400"),
            (401, "401"),
            (403, "403"),
            (404, "404"),
            (406, "406"),
            (429, "429"),
            (451, "451"),
            (500, "500"),
            (503, "503"),
            (418, "418"),
        ];
        for (status, prefix) in cases {
            let e = ApiError::from_status(status, b"{}", None);
            assert_eq!(e.status(), Some(status));
            assert!(e.to_string().contains(prefix), "{e}");
        }
        assert!(matches!(
            ApiError::from_status(451, b"", None),
            ApiError::DataResidency(_)
        ));
        assert!(matches!(
            ApiError::from_status(503, b"", None),
            ApiError::Server { status: 503, .. }
        ));
    }
}
