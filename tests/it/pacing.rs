//! Creates paced by the creation budget (issue 20 item 6), against the simulator at its
//! DEFAULT settings (one key creation per 2 s per account, 600 requests per 60 s): a bulk
//! rotation, creates sent at once through one client (the dashboard's way), and `create` /
//! `recreate` run back to back (the budget remembered between runs) never meet a 429, and every
//! key asked for is made.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use serde_json::json;
use sgkeys::api::epoch_now;
use sgkeys::sim::{SimConfig, SimHandle};

use crate::common::env::Env;
use crate::hostile::{Hostile, Reply, Seen, fake_key, id_of};

/// Statuses the simulator answered to `POST /v3/api_keys`, in order.
fn create_statuses(sim: &SimHandle) -> Vec<u16> {
    sim.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v3/api_keys")
        .map(|r| r.status)
        .collect()
}

fn too_many(sim: &SimHandle) -> usize {
    sim.requests().iter().filter(|r| r.status == 429).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_rotation_at_the_default_budget_meets_no_429() {
    let env = Env::with(SimConfig::default()).await;
    let olds: Vec<String> = env
        .sim
        .keys(None)
        .into_iter()
        .filter(|k| k.name != "sgkeys-admin (simulator owner key)" && !k.name.contains("admin"))
        .take(4)
        .map(|k| k.api_key_id.0)
        .collect();
    assert_eq!(olds.len(), 4);
    let file = env.dir.path().join("new.env");
    let mut args = vec!["rotate", "--yes", "--secrets-out", file.to_str().unwrap()];
    args.extend(olds.iter().map(String::as_str));
    let (code, out, err) = env.run(&args);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(create_statuses(&env.sim), [201; 4], "{err}");
    assert_eq!(too_many(&env.sim), 0);
    assert_eq!(env.replacements().len(), 4);
    let left = env.ids();
    assert!(
        olds.iter().all(|o| !left.contains(o)),
        "every old key revoked"
    );
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn creates_sent_at_once_through_one_client_wait_their_turn() {
    let sim = crate::common::simulator::start(SimConfig::default()).await;
    let client = crate::common::simulator::admin_client(&sim, Duration::from_secs(20));
    let scopes = vec!["mail.send".to_owned()];
    let names: Vec<String> = (0..4).map(|i| format!("paced {i}")).collect();
    // reads in between: their `Limit: 600` answers must not make creates look free
    let (made, reads) = tokio::join!(
        futures_util::future::join_all(names.iter().map(|n| client.create_key(n, Some(&scopes)))),
        futures_util::future::join_all((0..10).map(|_| client.list_keys(None))),
    );
    for (name, r) in names.iter().zip(&made) {
        assert_eq!(&r.as_ref().unwrap().name, name);
    }
    assert!(reads.iter().all(Result::is_ok));
    assert_eq!(create_statuses(&sim), [201; 4]);
    assert_eq!(too_many(&sim), 0);
    sim.shutdown().await;
}

/// Each run learns the creation budget from its own creates' answers and leaves it in
/// `$XDG_STATE_HOME/sgkeys/create-budget.json` for the next: runs back to back wait their turn.
#[tokio::test(flavor = "multi_thread")]
async fn create_and_recreate_run_back_to_back_meet_no_429() {
    let env = Env::with(SimConfig::default()).await;
    let id = env.id_named("webhooks: event consumer");
    assert_eq!(env.run(&["revoke", &id, "--yes"]).0, 0);
    for args in [
        vec!["create", "back to back 1", "--scope", "mail.send"],
        vec!["recreate", &id, "--yes"],
        vec!["create", "back to back 2", "--scope", "mail.send"],
    ] {
        let (code, out, err) = env.run(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.trim().starts_with("SG."), "{args:?}: {out}");
    }
    assert_eq!(create_statuses(&env.sim), [201; 3]);
    assert_eq!(too_many(&env.sim), 0);
    // what is remembered: base URLs and two numbers, no key id, no secret
    let memo =
        std::fs::read_to_string(env.dir.path().join("state/sgkeys/create-budget.json")).unwrap();
    assert!(memo.contains(&env.sim.base_url()), "{memo}");
    assert!(!memo.contains(&id) && !memo.contains("SG."), "{memo}");
    env.sim.shutdown().await;
}

/// A SendGrid holding the caller's key and `olds`, whose creates make the key and answer with
/// the creation window's headers `(limit, remaining, reset)`.
async fn creates_answering(olds: &[String], rate: (&'static str, &'static str, u64)) -> Hostile {
    let keys = Mutex::new(
        std::iter::once(id_of(&fake_key(1)))
            .chain(olds.iter().cloned())
            .map(|i| (i, "k".to_owned()))
            .collect::<Vec<_>>(),
    );
    let made = AtomicU8::new(100);
    Hostile::start(move |r: &Seen| {
        let mut k = keys.lock().unwrap();
        match r.method.as_str() {
            "POST" => {
                let name = crate::hostile::created_name(r);
                let key = fake_key(made.fetch_add(1, Ordering::Relaxed));
                k.push((id_of(&key), name.clone()));
                let body = json!({"api_key": key, "api_key_id": id_of(&key), "name": name,
                    "scopes": ["mail.send"]});
                Reply::json(201, body)
                    .with_header("X-RateLimit-Limit", rate.0)
                    .with_header("X-RateLimit-Remaining", rate.1)
                    .with_header("X-RateLimit-Reset", &rate.2.to_string())
            }
            _ => crate::hostile::keys::held(&mut k, r),
        }
    })
    .await
}

async fn run_at(dir: &Path, url: &str, args: &[&str]) -> (i32, String) {
    crate::common::env::stand_in_run(dir, url, args).await
}

/// A creation window that resets in a year: the next create of the run fails at once in plain
/// words (never a year's wait), and the next run, which remembers it, waits at most half its
/// `--timeout` and then asks (the answer tells).
#[tokio::test(flavor = "multi_thread")]
async fn a_creation_window_a_year_away_is_never_waited_for_past_the_timeout() {
    let year = epoch_now() + 365 * 86_400;
    let olds = vec![id_of(&fake_key(2)), id_of(&fake_key(3))];
    let server = creates_answering(&olds, ("1", "0", year)).await;
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = run_at(
        dir.path(),
        &server.url(),
        &["--timeout", "3", "rotate", "--yes", &olds[0], &olds[1]],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert_eq!(server.count("POST", "/v3/api_keys"), 1, "{err}");
    assert!(err.contains("NOT ROTATED"), "{err}");
    assert!(err.contains("later than the 3s --timeout allows"), "{err}");
    let (code, err) = run_at(
        dir.path(),
        &server.url(),
        &[
            "--timeout",
            "3",
            "create",
            "next run",
            "--scope",
            "mail.send",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.count("POST", "/v3/api_keys"), 2);
}

/// `X-RateLimit-Limit: 0` on a create names no window: each later create waits for it at most
/// once (one learned window, 1 s until one is learned) and is sent; every key is made.
#[tokio::test(flavor = "multi_thread")]
async fn a_creation_limit_of_zero_does_not_stop_a_bulk_rotation() {
    let olds: Vec<String> = (2..5).map(|s| id_of(&fake_key(s))).collect();
    let server = creates_answering(&olds, ("0", "0", epoch_now() + 5)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--timeout", "5", "rotate", "--yes"];
    args.extend(olds.iter().map(String::as_str));
    let (code, err) = run_at(dir.path(), &server.url(), &args).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.count("POST", "/v3/api_keys"), 3);
}
