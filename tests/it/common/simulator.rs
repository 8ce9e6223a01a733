//! Starting a simulator: the one helper the integration tests use. `SimConfig::default()` is as
//! slow and strict as SendGrid is believed to be (600 requests per 60 s, one key creation per
//! 2 s, a 2 s propagation delay after a revoke); a test that needs speed asks for it with
//! [`fast`] / `SimConfig::fast()` (or [`FAST_ARGS`] for `sgkeys sim`), and a test of the
//! realistic path says so by starting `SimConfig::default()`.

use sgkeys::sim::{self, SimConfig, SimHandle};

/// `sgkeys sim` flags for the old speed: `SimConfig::fast()` on the command line.
pub const FAST_ARGS: [&str; 6] = [
    "--rate-limit",
    "1000/1s",
    "--create-rate",
    "1000/1s",
    "--revoke-delay-ms",
    "0",
];

/// A simulator with `cfg` on a free port of 127.0.0.1.
pub async fn start(cfg: SimConfig) -> SimHandle {
    sim::start(cfg, ([127, 0, 0, 1], 0).into())
        .await
        .expect("start the simulator")
}

/// The demo seed without SendGrid's waits.
pub async fn fast() -> SimHandle {
    start(SimConfig::fast()).await
}

/// A client of `sim` as its admin, both hosts, the default retries, one `timeout` for each call.
pub fn admin_client(sim: &SimHandle, timeout: std::time::Duration) -> sgkeys::api::Client {
    let opts = sgkeys::api::ClientOptions {
        base_url: sim.base_url(),
        eu_base_url: Some(sim.eu_base_url()),
        timeout,
        ..Default::default()
    };
    sgkeys::api::Client::new(sim.admin_key().clone(), opts).unwrap()
}

/// The id of the parent account's key named `name`.
pub fn id_named(sim: &SimHandle, name: &str) -> String {
    sim.keys(None)
        .into_iter()
        .find(|k| k.name == name)
        .map(|k| k.api_key_id.0)
        .unwrap()
}
