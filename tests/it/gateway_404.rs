//! Only SendGrid's own 404 (its JSON error shape) says a key is gone. A gateway's HTML 404 page
//! in front of a key's read says nothing about the key: `revoke ID` never calls such a key "not
//! found", `rotate --finish` never calls its replacement "gone", `list --scopes` and `audit` never drop it
//! silently. Also: a bulk revoke sends as many DELETEs at once as `--concurrency` allows.

use std::path::Path;
use std::time::Duration;

use crate::hostile::keys::{Account, Served, account};
use crate::hostile::{fake_key, id_of};
use serde_json::Value;
use sgkeys::journal::{Action, Entry, Journal, Outcome};

/// The binary against `served` as `fake_key(1)`, journaling into `dir`: (exit code, stdout,
/// stderr).
async fn run(dir: &Path, served: &Served, args: &[&str]) -> (i32, String, String) {
    let mut c = crate::common::env::bin_at(dir, &served.server.url(), &fake_key(1), args);
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn me() -> (String, String) {
    (id_of(&fake_key(1)), "me".into())
}

/// An account of the caller's key and one key (`fake_key(seed)`, 'billing') whose reads a
/// gateway answers with its HTML 404.
async fn one_behind_a_gateway(seed: u8) -> (String, Served) {
    let hidden = id_of(&fake_key(seed));
    let served = account(Account {
        keys: vec![me(), (hidden.clone(), "billing".into())],
        behind_gateway: vec![hidden.clone()],
        ..Account::default()
    })
    .await;
    (hidden, served)
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_of_a_key_behind_a_gateways_404_is_unreadable_never_not_found() {
    let (hidden, served) = one_behind_a_gateway(20).await;
    let missing = id_of(&fake_key(21));
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(
        dir.path(),
        &served,
        &["--json", "revoke", &hidden, &missing, "--yes"],
    )
    .await;
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let status_of = |id: &str| {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["api_key_id"] == id)
            .map(|r| (r["status"].clone(), r["error"].clone()))
            .unwrap()
    };
    // the page: unread, named as such, not revoked
    let (status, error) = status_of(&hidden);
    assert_eq!(status, "unreadable", "{v}");
    assert!(error.as_str().unwrap().contains("404"), "{v}");
    assert!(
        err.contains(&hidden) && err.contains("could not be read"),
        "{err}"
    );
    // SendGrid's own 404: not found, said plainly
    let (status, error) = status_of(&missing);
    assert_eq!(status, "not_found", "{v}");
    assert_eq!(error, "not found: already revoked, or never existed");
    assert_eq!(served.server.count("DELETE", "/v3/api_keys"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn finish_with_a_replacement_behind_a_gateways_404_keeps_the_old_key_never_says_gone() {
    let old = id_of(&fake_key(22));
    let new = id_of(&fake_key(23));
    let served = account(Account {
        keys: vec![
            me(),
            (old.clone(), "checkout".into()),
            (new.clone(), "checkout (rotated)".into()),
        ],
        behind_gateway: vec![new.clone()],
        ..Account::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::new(dir.path().join("journal.jsonl"));
    let mut e = Entry::new(Action::Rotate, &served.server.url(), None, &new, "cli");
    e.replaces = Some(old.clone());
    e.name = Some("checkout (rotated)".into());
    e.secret_delivered = Some(true);
    e.settle(Outcome::Ok, Some(201), None);
    journal.append(&e).unwrap();
    assert_eq!(
        Journal::pending_rotations(&journal.read_all().unwrap()).len(),
        1
    );
    let (code, out, err) = run(dir.path(), &served, &["rotate", "--finish", "--yes"]).await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("could not be read back"), "{err}");
    assert!(!err.contains("is gone"), "{err}");
    assert_eq!(served.server.count("DELETE", "/v3/api_keys"), 0, "{err}");
    // still pending: finished once the replacement reads back
    assert_eq!(
        Journal::pending_rotations(&journal.read_all().unwrap()).len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_scopes_names_a_key_behind_a_gateways_404_never_drops_it() {
    let (hidden, served) = one_behind_a_gateway(24).await;
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(dir.path(), &served, &["list", "--scopes"]).await;
    assert_ne!(code, 0, "{out}{err}");
    assert!(err.contains(&hidden), "named: {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_revoke_sends_as_many_deletes_at_once_as_concurrency_allows() {
    // 20 keys, each DELETE answered after 700 ms: with --concurrency 20 all 20 are under way at
    // once (before, a bulk revoke held at most 16 whatever --concurrency said)
    let victims: Vec<(String, String)> = (0..20)
        .map(|i| (id_of(&fake_key(30 + i)), format!("bulk {i}")))
        .collect();
    let mut keys = vec![me()];
    keys.extend(victims.iter().cloned());
    let served = account(Account {
        keys,
        delete_takes: Some(Duration::from_millis(700)),
        ..Account::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--concurrency", "20", "revoke", "--yes"];
    args.extend(victims.iter().map(|(i, _)| i.as_str()));
    let (code, out, err) = run(dir.path(), &served, &args).await;
    assert_eq!(code, 0, "{out}{err}");
    // every victim revoked; on a loaded machine a DELETE slower than its attempt's timeout is
    // sent again (the retry answers 404 = gone), so requests are counted per key, not in total
    let mut paths: Vec<String> = served
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 20, "{paths:?}");
    let peak = served.most_deletes_within(Duration::from_millis(500));
    assert!(peak >= 20, "every DELETE under way at once: {peak}");
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_counts_a_key_behind_a_gateways_404_as_unread_never_drops_it() {
    let (hidden, served) = one_behind_a_gateway(25).await;
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(dir.path(), &served, &["audit", "--format", "json"]).await;
    assert_ne!(code, 0, "a partial audit is not a clean one: {out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let own = &v["contexts"][0];
    assert_eq!(
        (&own["listed"], &own["keys"], &own["unread"]),
        (&2.into(), &1.into(), &1.into()),
        "{v}"
    );
    let page = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["api_key_id"] == hidden.as_str())
        .expect("the unread key is in the report");
    assert_eq!(page["scopes_known"], false, "{page}");
    assert!(page["error"].as_str().unwrap().contains("HTML"), "{page}");
}
