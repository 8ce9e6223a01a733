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

/// What kind of connection failure: it decides what to suggest ([`ApiError::in_words`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetKind {
    /// Nothing listens at the address (connection refused).
    Refused,
    /// The host name does not resolve.
    NoHost,
    /// `http://` to a server that speaks TLS.
    NotHttp,
    /// `https://` to a server that speaks plain HTTP.
    NotTls,
    /// The certificate is signed by a CA sgkeys does not trust (a TLS-inspecting proxy).
    UntrustedCa,
    /// The certificate is for another host name.
    WrongHost,
    /// The certificate is expired or not yet valid.
    CertDates,
    /// Another certificate problem.
    CertRefused,
    /// The connection was reset or closed before an answer.
    Dropped,
    /// No route to the host, or no network.
    Unreachable,
    /// sgkeys could not set the connection up (a base URL, a CA file).
    Setup,
    Other,
}

/// A connection failure, said so a person can act on it. Derefs to its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetError {
    pub kind: NetKind,
    pub message: String,
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::ops::Deref for NetError {
    type Target = str;
    fn deref(&self) -> &str {
        &self.message
    }
}

impl From<String> for NetError {
    fn from(message: String) -> Self {
        NetError {
            kind: NetKind::Setup,
            message,
        }
    }
}

impl From<&str> for NetError {
    fn from(message: &str) -> Self {
        NetError::from(message.to_owned())
    }
}

impl NetError {
    /// Word a transport failure: `detail` is the HTTP library's chain of causes, `url` the
    /// request's. The library's words (`client error (SendRequest): invalid HTTP version
    /// parsed`) become what happened (`127.0.0.1:8443 did not answer in HTTP: it speaks
    /// TLS?`); the library's innermost cause is kept in parentheses when it adds anything.
    pub fn from_transport(detail: &str, url: &reqwest::Url) -> NetError {
        let d = detail.to_ascii_lowercase();
        let host = match (url.host_str(), url.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => url.as_str().to_owned(),
        };
        let https = url.scheme() == "https";
        let has = |words: &[&str]| words.iter().any(|w| d.contains(w));
        let (kind, message) = if has(&["connection refused"]) {
            (
                NetKind::Refused,
                format!(
                    "cannot connect to {host}: nothing is listening there (connection refused)"
                ),
            )
        } else if has(&[
            "dns error",
            "failed to lookup address",
            "name or service not known",
            "no such host",
            "nodename nor servname",
            "temporary failure in name resolution",
        ]) {
            let name = url.host_str().unwrap_or(&host).to_owned();
            (
                NetKind::NoHost,
                format!("cannot find the host {name}: its name does not resolve (DNS)"),
            )
        } else if !https && has(&["invalid http version", "invalid status", "httparse"]) {
            (
                NetKind::NotHttp,
                format!("{host} did not answer in HTTP: it seems to speak HTTPS (TLS)"),
            )
        } else if has(&[
            "unknownissuer",
            "unknown issuer",
            "self-signed",
            "selfsigned",
        ]) {
            (
                NetKind::UntrustedCa,
                format!(
                    "TLS: the certificate of {host} is signed by a CA sgkeys does not trust — \
                     behind a TLS-inspecting proxy, pass its CA with --ca-cert FILE (or \
                     SGKEYS_CA_CERT)"
                ),
            )
        } else if has(&["notvalidforname", "not valid for name"]) {
            (
                NetKind::WrongHost,
                format!("TLS: the certificate of {host} is for another host name"),
            )
        } else if has(&["expired", "notvalidyet"]) {
            (
                NetKind::CertDates,
                format!("TLS: the certificate of {host} is expired or not yet valid"),
            )
        } else if https
            && has(&[
                "invalidcontenttype",
                "corrupt message",
                "invalid content type",
                "received corrupt",
            ])
        {
            (
                NetKind::NotTls,
                format!("TLS: {host} did not answer with TLS: it seems to speak plain HTTP"),
            )
        } else if has(&["invalid peer certificate", "certificate"]) {
            (
                NetKind::CertRefused,
                format!("TLS: the certificate of {host} was refused"),
            )
        } else if has(&[
            "connection reset",
            "broken pipe",
            "connection closed",
            "incompletemessage",
            "unexpected eof",
            "unexpected end of file",
            "connection aborted",
        ]) {
            (
                NetKind::Dropped,
                format!("{host} closed the connection before answering"),
            )
        } else if has(&[
            "network is unreachable",
            "no route to host",
            "host is unreachable",
        ]) {
            (
                NetKind::Unreachable,
                format!("cannot reach {host}: no route to it (is the network up?)"),
            )
        } else {
            (NetKind::Other, format!("cannot talk to {host}"))
        };
        let cause = innermost(detail);
        let message = if cause.is_empty() || matches!(kind, NetKind::NotHttp | NetKind::Refused) {
            message
        } else {
            format!("{message} ({})", clip(cause, 120))
        };
        NetError { kind, message }
    }
}

/// The last cause of an error chain (`a: b: c` → `c`), without the library's
/// `error sending request for url (…)` preamble.
fn innermost(detail: &str) -> &str {
    detail
        .rsplit(": ")
        .find(|s| !s.trim().is_empty())
        .unwrap_or(detail)
        .trim()
}

/// Where requests go: what to try after an error depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint<'a> {
    /// `--base-url` (SendGrid's global host unless changed).
    pub base_url: &'a str,
    /// `--eu-base-url`, when set.
    pub eu_base_url: Option<&'a str>,
}

impl Endpoint<'_> {
    /// SendGrid's own hosts: `--region eu` switches between them.
    fn is_sendgrid(&self) -> bool {
        let b = self.base_url.trim_end_matches('/');
        b == super::GLOBAL_BASE_URL || b == super::EU_BASE_URL
    }
}

/// An error in plain words: what happened, and what to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub what: String,
    pub hint: Option<String>,
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
        "451 Unavailable For Legal Reasons: {0} (data residency: this account is served by \
         another region's host)"
    )]
    DataResidency(ErrorBody),
    #[error("{status} server error: {body}")]
    Server { status: u16, body: ErrorBody },
    #[error("unexpected HTTP {status}: {body}")]
    Unexpected { status: u16, body: ErrorBody },
    /// No answer because the connection failed (in plain words: see [`NetError`]).
    #[error("{0}")]
    Network(NetError),
    /// No answer within the deadline (`--timeout`), every attempt included.
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
        Some(r) => format!(
            " (limit {} per window, resets in {}s)",
            r.limit,
            r.reset_in()
        ),
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

    /// The error as the CLI and the dashboard both word it: what happened (its message) and
    /// what to try, for requests that went to `at`.
    pub fn in_words(&self, at: &Endpoint<'_>) -> Words {
        let base = at.base_url.trim_end_matches('/');
        let hint = match self {
            ApiError::Network(n) => match n.kind {
                NetKind::Refused => Some(format!(
                    "is the server running? check the host and port in --base-url ({base}); for \
                     `sgkeys sim`, use the URL it printed"
                )),
                NetKind::NoHost => Some(format!(
                    "check the host name in --base-url ({base}), and this machine's network and DNS"
                )),
                NetKind::NotHttp => Some(format!(
                    "use https:// in --base-url ({})",
                    base.replacen("http://", "https://", 1)
                )),
                NetKind::NotTls => Some(format!(
                    "use http:// in --base-url ({}) — only for a local simulator or proxy",
                    base.replacen("https://", "http://", 1)
                )),
                NetKind::UntrustedCa => Some(
                    "pass the proxy's CA certificate with --ca-cert FILE (or SGKEYS_CA_CERT)"
                        .into(),
                ),
                NetKind::WrongHost => Some(format!("check the host in --base-url ({base})")),
                NetKind::CertDates => {
                    Some("check this machine's clock, or the proxy's certificate".into())
                }
                NetKind::Dropped => Some(
                    "try again; if it keeps happening, a proxy or firewall on the way is cutting \
                     connections"
                        .into(),
                ),
                NetKind::Unreachable => Some(
                    "check the network connection (and HTTPS_PROXY, if this network needs a \
                     proxy)"
                        .into(),
                ),
                NetKind::CertRefused | NetKind::Setup | NetKind::Other => None,
            },
            ApiError::DataResidency(_) => Some(match (at.is_sendgrid(), at.eu_base_url) {
                (true, _) => "use the subuser's region: --region eu (SendGrid's EU host)".into(),
                (false, Some(eu)) => format!(
                    "EU accounts were sent to --eu-base-url {eu}: check that it is this \
                     server's EU host"
                ),
                (false, None) => format!(
                    "{base} is not SendGrid's own host, so --region cannot switch it: name this \
                     server's EU host with --eu-base-url URL"
                ),
            }),
            ApiError::Server { body, .. } | ApiError::Unexpected { body, .. }
                if body.errors.is_empty() =>
            {
                Some(
                    "not SendGrid's answer: a proxy in the way or an outage — try again later \
                     (status.sendgrid.com)"
                        .into(),
                )
            }
            ApiError::Server { .. } => {
                Some("SendGrid had a problem: try again later (status.sendgrid.com)".into())
            }
            ApiError::RateLimited { .. } => {
                Some("wait for the reset, or lower --concurrency".into())
            }
            ApiError::RateWaitTooLong { .. } => {
                Some("raise --timeout to wait for the reset, or try again after it".into())
            }
            _ => None,
        };
        Words {
            what: self.to_string(),
            hint,
        }
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
mod tests;
