//! Every integration test in one crate: one link of axum, reqwest, rustls and ratatui instead of
//! one per file (a clean `.ci/run` on 2 cores spent most of its time compiling and linking).
//!
//! - `api_sim`: the client against the simulator over real HTTP; `parsers`: lenient parsing;
//!   `architecture`: the floors of docs/architecture.md held against the crate's own imports;
//! - `cli`: the real binary against the simulator; `outcomes`: the real binary against a hostile
//!   stand-in (`hostile`) and interrupted runs; `faults`: a simulator failing 20 % of requests;
//!   `pacing`: creates against the default creation budget;
//! - `ui_snapshots`, `ui_screens`, `props`: the dashboard's model and renderer (`common` holds their fixture);
//!   `palette`: the themes' WCAG contrast;
//! - `e2e_tmux`, `e2e_dashboard`, `secrets`: the real binary in tmux (`common::tmux`);
//! - `html_report`: `audit --format html` rendered by headless Chromium;
//! - `install`: `--version`, what the crate ships, `scripts/release.sh`'s archive;
//! - `export_terraform`, `openmetrics`: `export --format terraform` and `audit --format
//!   openmetrics` read back by real parsers (HCL, OpenMetrics, PromQL; Terraform where installed).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

mod common;
mod hostile;

mod api_sim;
mod architecture;
mod cli;
mod e2e_dashboard;
mod e2e_tmux;
mod export_terraform;
mod faults;
mod gateway_404;
mod hostile_selftest;
mod hostile_text;
mod html_report;
mod install;
mod inventory;
mod leak_exposure;
mod leak_lookup;
mod leaked;
mod matrix_resume;
mod openmetrics;
mod outcomes;
mod pacing;
mod palette;
mod parsers;
mod props;
mod resume;
mod rotation;
mod secrets;
mod tls;
mod ui_screens;
mod ui_snapshots;
mod unix;
mod waves;
