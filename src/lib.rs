//! sgkeys: a terminal dashboard and CLI for Twilio SendGrid API keys, with an embedded
//! SendGrid-compatible simulator.

pub mod api;
pub mod app;
pub mod audit;
pub mod cli;
pub mod config;
pub mod fetch;
pub mod fsutil;
pub mod journal;
pub mod leak;
pub mod logging;
pub mod ops;
pub mod output;
pub mod policy;
pub mod presets;
pub mod query;
pub mod report;
pub mod risk;
pub mod scopes;
pub mod secret;
pub mod sim;
pub mod termbg;
pub mod text;
pub mod tui;
pub mod ui;
pub mod worker;
