//! sgkeys: a terminal dashboard and CLI for Twilio SendGrid API keys, with an embedded
//! SendGrid-compatible simulator.

pub mod api;
pub mod scopes;
pub mod secret;
