//! Wire types of the SendGrid v3 API-keys contract (see ../shared/sendgrid/NOTES.md), and the
//! lenient decoders for the shapes the spec gets wrong.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

use crate::secret::Secret;

/// An API key id: the 22-character middle part of the key. Not secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct ApiKeyId(pub String);

impl ApiKeyId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApiKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ApiKeyId {
    fn from(s: &str) -> Self {
        ApiKeyId(s.to_owned())
    }
}

/// Longest key name sgkeys accepts (SendGrid documents no limit; its App caps names around here).
pub const MAX_NAME_LEN: usize = 100;

/// Check a key name: required (SendGrid answers 400 without one), at most [`MAX_NAME_LEN`]
/// characters, no control characters. Returns the trimmed name.
pub fn validate_key_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("a key needs a name".into());
    }
    let n = name.chars().count();
    if n > MAX_NAME_LEN {
        return Err(format!(
            "the name is too long ({n} characters; at most {MAX_NAME_LEN})"
        ));
    }
    if name.chars().any(crate::text::is_unsafe) {
        return Err("the name contains control, bidi or invisible characters".into());
    }
    if crate::secret::redact_keys(name) != name {
        return Err(
            "the name contains an API key: names are shown in lists, audits and the journal, so a \
             secret must never be one"
                .into(),
        );
    }
    Ok(name.to_owned())
}

/// A key as the list endpoint returns it: id and name only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub api_key_id: ApiKeyId,
    pub name: String,
}

/// A key with its scopes (`GET /v3/api_keys/{id}`, `PUT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDetail {
    pub api_key_id: ApiKeyId,
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// The 201 answer to `POST /v3/api_keys`: the only time the secret is ever returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedKey {
    pub api_key: Secret,
    pub api_key_id: ApiKeyId,
    pub name: String,
    pub scopes: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct CreatedWire {
    pub api_key: String,
    pub api_key_id: ApiKeyId,
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl fmt::Debug for CreatedWire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedWire")
            .field("api_key_id", &self.api_key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListWire {
    pub result: Vec<ApiKey>,
}

/// `GET /v3/api_keys/{id}`: the flat object SendGrid really returns, or the spec's wrapped form.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum GetOneWire {
    Flat(KeyDetail),
    Wrapped { result: Vec<KeyDetail> },
}

#[derive(Debug, Deserialize)]
pub(crate) struct ScopesWire {
    pub scopes: Vec<String>,
}

/// The answer to `PATCH` (and `PUT`, whose body may or may not carry scopes).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct NameIdWire {
    pub api_key_id: ApiKeyId,
    pub name: String,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

/// Data-residency region of an account or subuser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    #[default]
    Global,
    Eu,
}

impl Region {
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Global => crate::api::GLOBAL_BASE_URL,
            Region::Eu => crate::api::EU_BASE_URL,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Global => "global",
            Region::Eu => "eu",
        }
    }
}

impl std::str::FromStr for Region {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "global" | "us" => Ok(Region::Global),
            "eu" => Ok(Region::Eu),
            other => Err(format!("unknown region '{other}': use global or eu")),
        }
    }
}

/// A subuser of the parent account (`GET /v3/subusers`). `id` is typed `number` in the spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subuser {
    #[serde(deserialize_with = "number_as_u64")]
    pub id: u64,
    pub username: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

fn number_as_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = serde_json::Number::deserialize(d)?;
    v.as_u64()
        .or_else(|| {
            v.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                .map(|f| f as u64)
        })
        .ok_or_else(|| serde::de::Error::custom(format!("subuser id {v} is not a whole number")))
}

/// `GET /v3/user/username` (OAI `tsg_user_v3.json`, `ListUsername`): the account a key
/// belongs to, or the on-behalf-of target. Server text: sanitise before display.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Username {
    pub username: String,
    /// `user_id` (an integer in the spec); absent or not a whole number: `None`.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub user_id: Option<u64>,
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(serde_json::Value::deserialize(d)?.as_u64())
}

/// `X-RateLimit-*` values of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    pub limit: u64,
    pub remaining: u64,
    /// Unix epoch seconds at which the window resets, by the server's clock.
    pub reset: u64,
    /// The answer's `Date` (Unix epoch seconds, by the server's clock): `reset − date` is how
    /// long the window has left, whatever the local clock says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<u64>,
}

impl RateLimit {
    /// Seconds until the window resets: by the server's own `Date` when the answer had one,
    /// else by the local clock.
    pub fn reset_in(&self) -> u64 {
        let now = self.date.unwrap_or_else(super::epoch_now);
        self.reset.saturating_sub(now)
    }
}

/// Whom requests act as: the key's own account, a subuser, or a reseller's customer account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum OnBehalfOf {
    Subuser(String),
    AccountId(String),
}

impl OnBehalfOf {
    /// Parse the header's two forms: `<subuser>` or `account-id <id>`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("on-behalf-of is empty: give a subuser name or 'account-id <id>'".into());
        }
        if let Some(rest) = s.strip_prefix("account-id") {
            let id = rest.trim();
            if id.is_empty() || !rest.starts_with(char::is_whitespace) {
                return Err("expected 'account-id <id>'".into());
            }
            return Ok(OnBehalfOf::AccountId(id.to_owned()));
        }
        if s.chars().any(|c| c.is_control()) {
            return Err("on-behalf-of contains control characters".into());
        }
        Ok(OnBehalfOf::Subuser(s.to_owned()))
    }

    /// The `on-behalf-of` header value.
    pub fn header_value(&self) -> String {
        match self {
            OnBehalfOf::Subuser(u) => u.clone(),
            OnBehalfOf::AccountId(id) => format!("account-id {id}"),
        }
    }
}

impl fmt::Display for OnBehalfOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OnBehalfOf::Subuser(u) => write!(f, "subuser {u}"),
            OnBehalfOf::AccountId(id) => write!(f, "account-id {id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_one_accepts_flat_and_wrapped() {
        let flat = r#"{"api_key_id":"a","name":"n","scopes":["mail.send"]}"#;
        let wrapped = r#"{"result":[{"api_key_id":"a","name":"n","scopes":["mail.send"]}]}"#;
        assert!(matches!(
            serde_json::from_str::<GetOneWire>(flat).unwrap(),
            GetOneWire::Flat(_)
        ));
        assert!(matches!(
            serde_json::from_str::<GetOneWire>(wrapped).unwrap(),
            GetOneWire::Wrapped { .. }
        ));
    }

    #[test]
    fn subuser_ids_may_be_floats() {
        let s: Subuser = serde_json::from_str(
            r#"{"id":1234.0,"username":"u","email":"e@x","disabled":false,"region":"eu"}"#,
        )
        .unwrap();
        assert_eq!(s.id, 1234);
        assert_eq!(s.region, Some(Region::Eu));
        assert!(serde_json::from_str::<Subuser>(r#"{"id":1.5,"username":"u"}"#).is_err());
    }

    #[test]
    fn names_are_validated() {
        assert_eq!(validate_key_name("  ci deploy "), Ok("ci deploy".into()));
        assert!(validate_key_name("   ").is_err());
        assert!(
            validate_key_name(&"x".repeat(101))
                .unwrap_err()
                .contains("101")
        );
        assert!(validate_key_name(&"é".repeat(100)).is_ok());
        assert!(validate_key_name("a\u{7}b").is_err());
    }

    #[test]
    fn on_behalf_of_forms() {
        assert_eq!(
            OnBehalfOf::parse("acme"),
            Ok(OnBehalfOf::Subuser("acme".into()))
        );
        assert_eq!(
            OnBehalfOf::parse("account-id abc123"),
            Ok(OnBehalfOf::AccountId("abc123".into()))
        );
        assert_eq!(
            OnBehalfOf::AccountId("x".into()).header_value(),
            "account-id x"
        );
        assert!(OnBehalfOf::parse("account-id").is_err());
        assert!(OnBehalfOf::parse(" ").is_err());
    }
}
