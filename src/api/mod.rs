//! SendGrid v3 API-keys client, wire models and typed errors.

pub mod client;
pub mod error;
pub mod gate;
mod memo;
pub mod models;
pub mod plan;
pub mod tail;
pub mod waves;

pub use client::{CallRecord, Client, ClientOptions, Observer, install_crypto_provider};
pub use error::{ApiError, Endpoint, ErrorBody, ErrorItem, NetError, NetKind, Words};
pub use gate::{RetryPolicy, epoch_now};
pub use models::{
    ApiKey, ApiKeyId, CreatedKey, KeyDetail, OnBehalfOf, RateLimit, Region, Subuser, Username,
};
pub use plan::PlannedRequest;

/// SendGrid's global API host.
pub const GLOBAL_BASE_URL: &str = "https://api.sendgrid.com";
/// SendGrid's EU API host (for EU regional subusers).
pub const EU_BASE_URL: &str = "https://api.eu.sendgrid.com";
