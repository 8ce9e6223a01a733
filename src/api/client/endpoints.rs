//! The endpoints: one method per SendGrid request sgkeys makes (the keys, the caller's own
//! scopes and username, subusers) and the bodies it sends. The transport under them (the gate,
//! retries, the deadline, reading the answer) is [`super::Client::send`].

use reqwest::Method;

use super::{Client, Repeat, answer, decode};
use crate::api::error::ApiError;
use crate::api::models::*;
use crate::secret::Secret;

impl Client {
    /// `GET /v3/api_keys`: names and ids.
    pub async fn list_keys(&self, limit: Option<u32>) -> Result<Vec<ApiKey>, ApiError> {
        let query: Vec<(&str, String)> = limit
            .map(|l| ("limit", l.to_string()))
            .into_iter()
            .collect();
        let (status, bytes) = self
            .send(
                Method::GET,
                &["v3", "api_keys"],
                &query,
                None,
                Repeat::Idempotent,
            )
            .await?;
        let wire: ListWire = decode(status, &bytes, "the key list")?;
        Ok(wire.result)
    }

    /// `GET /v3/api_keys/{id}`: name, id and scopes. Accepts the flat object and the spec's
    /// wrapped `{"result":[…]}` form.
    pub async fn get_key(&self, id: &ApiKeyId) -> Result<KeyDetail, ApiError> {
        self.get_key_answer(id).await.map(|(k, _)| k)
    }

    /// [`Client::get_key`], with the answer's body as SendGrid sent it (the dashboard's
    /// describe view shows it; server text: sanitise before display).
    pub async fn get_key_answer(&self, id: &ApiKeyId) -> Result<(KeyDetail, Vec<u8>), ApiError> {
        let path = key_path(id);
        let (status, bytes) = self
            .send(Method::GET, &path, &[], None, Repeat::Idempotent)
            .await?;
        let key = match decode::<GetOneWire>(status, &bytes, "the key")? {
            GetOneWire::Flat(k) if &k.api_key_id == id => Ok(k),
            GetOneWire::Flat(k) => Err(ApiError::NotTheAnswer {
                status,
                what: format!("reading key {id}"),
                detail: format!(
                    "it describes another key ({})",
                    crate::api::error::clip(&k.api_key_id.0, 40)
                ),
            }),
            GetOneWire::Wrapped { result } => result
                .into_iter()
                .find(|k| &k.api_key_id == id)
                .ok_or_else(|| ApiError::Decode {
                    status,
                    what: "the key".into(),
                    detail: format!("the wrapped answer does not contain key {id}"),
                }),
        }?;
        Ok((key, bytes))
    }

    /// `POST /v3/api_keys`. `scopes: None` asks for a Full Access key. Paced by the creation
    /// budget; repeated only after a 429, never after an unknown outcome.
    pub async fn create_key(
        &self,
        name: &str,
        scopes: Option<&[String]>,
    ) -> Result<CreatedKey, ApiError> {
        let body = create_body(name, scopes);
        let (status, bytes) = self
            .send(
                Method::POST,
                &["v3", "api_keys"],
                &[],
                Some(body),
                Repeat::Create,
            )
            .await?;
        let wire: CreatedWire = answer(status, &bytes, "the new key")?;
        Ok(CreatedKey {
            api_key: Secret::from_server(wire.api_key),
            api_key_id: wire.api_key_id,
            name: wire.name,
            scopes: wire.scopes,
        })
    }

    /// `PATCH /v3/api_keys/{id}`: rename. An unknown outcome is for the caller to read back
    /// (the operations layer does).
    pub async fn rename_key(&self, id: &ApiKeyId, name: &str) -> Result<ApiKey, ApiError> {
        let body = rename_body(name);
        let (status, bytes) = self
            .send(
                Method::PATCH,
                &key_path(id),
                &[],
                Some(body),
                Repeat::Idempotent,
            )
            .await?;
        let wire: NameIdWire = answer(status, &bytes, "the rename")?;
        Ok(ApiKey {
            api_key_id: wire.api_key_id,
            name: wire.name,
        })
    }

    /// `PUT /v3/api_keys/{id}`: replace name and scopes. Auto-assigned scopes are never sent.
    /// The answer may omit scopes (spec schema) or carry them (spec example); without them the
    /// sent scopes are returned. An unknown outcome is for the caller to read back.
    pub async fn update_key(
        &self,
        id: &ApiKeyId,
        name: &str,
        scopes: &[String],
    ) -> Result<KeyDetail, ApiError> {
        let sent = crate::scopes::sendable(scopes);
        let body = update_body(name, scopes);
        let (status, bytes) = self
            .send(
                Method::PUT,
                &key_path(id),
                &[],
                Some(body),
                Repeat::Idempotent,
            )
            .await?;
        let wire: NameIdWire = answer(status, &bytes, "the scope update")?;
        Ok(KeyDetail {
            api_key_id: wire.api_key_id,
            name: wire.name,
            scopes: wire.scopes.unwrap_or(sent),
        })
    }

    /// `DELETE /v3/api_keys/{id}`: revoke. Success is a 204 only (or a 404 after an unanswered
    /// attempt, which means that attempt revoked the key); any other 2xx is
    /// [`ApiError::NotTheAnswer`]. An unknown outcome is for the caller to read back.
    pub async fn delete_key(&self, id: &ApiKeyId) -> Result<(), ApiError> {
        let (status, bytes) = self
            .send(Method::DELETE, &key_path(id), &[], None, Repeat::Delete)
            .await?;
        if status == 204 {
            return Ok(());
        }
        Err(ApiError::NotTheAnswer {
            status,
            what: "the revoke".into(),
            detail: format!(
                "expected 204 No Content, got {}",
                if bytes.is_empty() {
                    "an empty body".to_owned()
                } else {
                    crate::api::error::describe_non_json(&bytes)
                }
            ),
        })
    }

    /// `GET /v3/scopes`: the calling key's own scopes.
    pub async fn my_scopes(&self) -> Result<Vec<String>, ApiError> {
        let (status, bytes) = self
            .send(
                Method::GET,
                &["v3", "scopes"],
                &[],
                None,
                Repeat::Idempotent,
            )
            .await?;
        Ok(decode::<ScopesWire>(status, &bytes, "the scope list")?.scopes)
    }

    /// `GET /v3/user/username`: the username of the account this client acts in (the key's
    /// own account, or the on-behalf-of target). A leaked key asked with it says whose it is.
    pub async fn username(&self) -> Result<Username, ApiError> {
        let (status, bytes) = self
            .send(
                Method::GET,
                &["v3", "user", "username"],
                &[],
                None,
                Repeat::Idempotent,
            )
            .await?;
        decode(status, &bytes, "the username")
    }

    /// A subuser's region (`GET /v3/subusers?username=NAME&limit=1&include_region=true`, as
    /// NOTES describes); None when there is no such subuser or no region is said.
    pub async fn subuser_region(&self, username: &str) -> Result<Option<Region>, ApiError> {
        Ok(self.subuser(username).await?.and_then(|s| s.region))
    }

    /// One subuser of the calling account by its exact username (`GET
    /// /v3/subusers?username=NAME&limit=1&include_region=true`); None when there is none.
    pub async fn subuser(&self, username: &str) -> Result<Option<Subuser>, ApiError> {
        let query = [("username", username.to_owned()), ("limit", "1".to_owned())];
        let page = self.subusers_page(&query).await?;
        Ok(page.into_iter().find(|s| s.username == username))
    }

    /// `GET /v3/subusers` (all pages, with regions). Sent without `on-behalf-of`: the spec
    /// declares none for this operation.
    pub async fn list_subusers(&self) -> Result<Vec<Subuser>, ApiError> {
        const PAGE: usize = 500;
        let mut all = Vec::new();
        loop {
            let query = [
                ("limit", PAGE.to_string()),
                ("offset", all.len().to_string()),
            ];
            let page = self.subusers_page(&query).await?;
            let n = page.len();
            all.extend(page);
            if n < PAGE || all.len() > 100_000 {
                return Ok(all);
            }
        }
    }

    /// One page of `GET /v3/subusers` with regions (`include_region=true` added to `query`),
    /// sent as the calling account itself: the spec declares no `on-behalf-of` for it.
    async fn subusers_page(&self, query: &[(&str, String)]) -> Result<Vec<Subuser>, ApiError> {
        let mut query = query.to_vec();
        query.push(("include_region", "true".to_owned()));
        let (status, bytes) = self
            .acting_as(None)
            .send(
                Method::GET,
                &["v3", "subusers"],
                &query,
                None,
                Repeat::Idempotent,
            )
            .await?;
        decode(status, &bytes, "the subuser list")
    }
}
pub(in crate::api) fn create_body(name: &str, scopes: Option<&[String]>) -> serde_json::Value {
    let mut body = serde_json::json!({ "name": name });
    if let Some(scopes) = scopes {
        body["scopes"] = serde_json::json!(crate::scopes::sendable(scopes));
    }
    body
}

pub(in crate::api) fn rename_body(name: &str) -> serde_json::Value {
    serde_json::json!({ "name": name })
}

pub(in crate::api) fn update_body(name: &str, scopes: &[String]) -> serde_json::Value {
    serde_json::json!({ "name": name, "scopes": crate::scopes::sendable(scopes) })
}

pub(in crate::api) fn key_path(id: &ApiKeyId) -> [&str; 3] {
    ["v3", "api_keys", id.as_str()]
}
