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
