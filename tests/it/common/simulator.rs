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

/// A client of `sim` as its admin, both hosts, every other option the default.
pub fn client(sim: &SimHandle) -> sgkeys::api::Client {
    client_with(sim, Default::default())
}

/// A client of `sim` as its admin, both hosts, the default retries, one `timeout` for each call.
pub fn admin_client(sim: &SimHandle, timeout: std::time::Duration) -> sgkeys::api::Client {
    client_with(
        sim,
        sgkeys::api::ClientOptions {
            timeout,
            ..Default::default()
        },
    )
}

/// A client of `sim` as its admin with `opts`, its hosts set to `sim`'s.
fn client_with(sim: &SimHandle, opts: sgkeys::api::ClientOptions) -> sgkeys::api::Client {
    let opts = sgkeys::api::ClientOptions {
        base_url: sim.base_url(),
        eu_base_url: Some(sim.eu_base_url()),
        ..opts
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

/// The parent account's key `id`, scopes as `GET` shows them.
pub fn key_of(sim: &SimHandle, id: &str) -> sgkeys::api::KeyDetail {
    sim.keys(None)
        .into_iter()
        .find(|k| k.api_key_id.0 == id)
        .unwrap_or_else(|| panic!("no key {id} in the simulator"))
}

/// The scopes the parent account's key `id` holds that a client may send (SendGrid's
/// automatic ones left out), sorted.
pub fn granted(sim: &SimHandle, id: &str) -> Vec<String> {
    let mut s = sgkeys::scopes::sendable(&key_of(sim, id).scopes);
    s.sort();
    s
}

/// The first line `sgkeys sim --port 0 --json ARGS` prints (its banner: base URL, admin key,
/// accounts), with `env` set; the simulator is stopped once it is read.
pub fn json_banner(args: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(super::env::BIN)
        .args(["sim", "--port", "0", "--json"])
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sgkeys sim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("sim stdout"))
        .read_line(&mut line)
        .expect("the banner");
    let _ = child.kill();
    let _ = child.wait();
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON banner ({e}): {line}"))
}
