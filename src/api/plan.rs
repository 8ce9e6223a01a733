//! Dry runs: the request a mutation would send (method, URL, `on-behalf-of`, JSON body), built
//! with the same URL and body builders as the client, never with the `Authorization` header.

use reqwest::Method;

use super::client::{
    Client, create_body, endpoint, key_path, method_str, rename_body, update_body,
};
use super::error::ApiError;
use super::models::{ApiKeyId, OnBehalfOf};

/// A request as it would be sent, for dry runs: method, URL, the `on-behalf-of` header and the
/// JSON body. Never the `Authorization` header (the body of a key request holds no secret).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlannedRequest {
    pub method: &'static str,
    pub url: String,
    pub path: String,
    pub on_behalf_of: Option<String>,
    pub body: Option<serde_json::Value>,
}

impl Client {
    /// `POST /v3/api_keys` as [`Client::create_key`] would send it (for a dry run).
    pub fn plan_create(
        &self,
        name: &str,
        scopes: Option<&[String]>,
    ) -> Result<PlannedRequest, ApiError> {
        self.plan(
            Method::POST,
            &["v3", "api_keys"],
            Some(create_body(name, scopes)),
        )
    }

    /// `PATCH /v3/api_keys/{id}` as [`Client::rename_key`] would send it.
    pub fn plan_rename(&self, id: &ApiKeyId, name: &str) -> Result<PlannedRequest, ApiError> {
        self.plan(Method::PATCH, &key_path(id), Some(rename_body(name)))
    }

    /// `PUT /v3/api_keys/{id}` as [`Client::update_key`] would send it.
    pub fn plan_update(
        &self,
        id: &ApiKeyId,
        name: &str,
        scopes: &[String],
    ) -> Result<PlannedRequest, ApiError> {
        self.plan(Method::PUT, &key_path(id), Some(update_body(name, scopes)))
    }

    /// `DELETE /v3/api_keys/{id}` as [`Client::delete_key`] would send it.
    pub fn plan_delete(&self, id: &ApiKeyId) -> Result<PlannedRequest, ApiError> {
        self.plan(Method::DELETE, &key_path(id), None)
    }

    /// The URL and headers [`Client::send`] would use, without sending (and without the
    /// `Authorization` header: a plan never carries the secret).
    fn plan(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<serde_json::Value>,
    ) -> Result<PlannedRequest, ApiError> {
        let base = self.resolved_base()?;
        let url = endpoint(&base, segments, &[])?;
        Ok(PlannedRequest {
            method: method_str(&method),
            path: url.path().to_owned(),
            url: url.to_string(),
            on_behalf_of: self.on_behalf_of().map(OnBehalfOf::header_value),
            body,
        })
    }
}
