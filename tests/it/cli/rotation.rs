//! Rotation and the journal through the binary: rotate now, later and `--finish` with a secrets
//! file, a failed revoke that keeps the secret, an EU subuser's change recorded at the EU host,
//! and the journal as an incident record.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::path::Path;

use serde_json::Value;

use crate::common::env::{Env, array_len, json_lines, rotation_events};
use crate::common::simulator::granted;

#[tokio::test(flavor = "multi_thread")]
async fn rotate_now_later_and_finish_many_with_a_secrets_file() {
    let env = Env::new().await;
    let old = env.id_named("jenkins: nightly reports");
    let old_scopes = granted(&env.sim, &old);
    // dry run: both requests, nothing sent
    let before = env.sim.mutating_requests();
    let (code, out, err) = env.run(&["rotate", &old, "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("POST") && out.contains("DELETE"), "{out}");
    assert!(out.contains("(rotated "), "the lineage name: {out}");
    assert_eq!(env.sim.mutating_requests(), before);
    // now (--yes): replacement with the same scopes, old key revoked and verified gone; with
    // --json, one object when the key exists (its secret), one with the outcome
    let lines = env.json_lines(&["rotate", &old, "--yes", "--json"]);
    let created = rotation_events(&lines, "created");
    let results = rotation_events(&lines, "result");
    assert_eq!((created.len(), results.len(), lines.len()), (1, 1, 2));
    let v = &results[0];
    assert_eq!(v["revoked"], true);
    assert_eq!(v["verified"], true);
    assert_eq!(v["status"], "rotated");
    assert!(v["new"].get("api_key").is_none(), "the secret only once");
    let new_id = v["new"]["api_key_id"].as_str().unwrap().to_owned();
    assert_eq!(created[0]["new"]["api_key_id"], new_id.as_str());
    assert!(
        created[0]["new"]["api_key"]
            .as_str()
            .unwrap()
            .starts_with("SG.")
    );
    assert!(
        v["new"]["name"]
            .as_str()
            .unwrap()
            .starts_with("jenkins: nightly reports (rotated ")
    );
    assert!(!env.sim.keys(None).iter().any(|k| k.api_key_id.0 == old));
    assert_eq!(granted(&env.sim, &new_id), old_scopes, "same scopes");
    // the incident record says how the old key was proven gone: read back, 404
    let (_, md, _) = env.run(&["journal", "--format", "markdown"]);
    assert!(md.contains("gone on read-back (404)"), "{md}");
    // later: both kept, a pending rotation in the journal, finished by --finish
    let old2 = env.id_named("stats: category sums");
    let (code, out, err) = env.run(&["rotate", &old2, "--later"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.trim().starts_with("SG."),
        "the secret on stdout, once: {out}"
    );
    assert!(
        env.sim.keys(None).iter().any(|k| k.api_key_id.0 == old2),
        "old kept"
    );
    let (_, _, jerr) = env.run(&["journal"]);
    assert!(
        jerr.contains("1 pending rotation") && jerr.contains(&old2),
        "{jerr}"
    );
    let (code, _, err) = env.run(&["rotate", "--finish", &old2, "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("verified gone"), "{err}");
    assert!(!env.sim.keys(None).iter().any(|k| k.api_key_id.0 == old2));
    let (_, _, jerr) = env.run(&["journal"]);
    assert!(!jerr.contains("pending rotation"), "{jerr}");
    // many, secrets to a new 0600 file (dotenv), never to stdout or the journal
    let a = env.id_named("webhooks: event consumer");
    let b = env.id_named("webhooks: full");
    let file = env.dir.path().join("new-keys.env");
    let f = file.to_string_lossy().into_owned();
    let (code, out, err) = env.run(&["rotate", &a, &b, "--secrets-out", &f, "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("SG."), "no secret on stdout: {out}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(
        text.lines()
            .all(|l| l.contains("=SG.") && l.starts_with("WEBHOOKS_"))
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let journal = std::fs::read_to_string(env.journal()).unwrap();
    for l in text.lines() {
        let secret = l.split_once('=').unwrap().1;
        assert!(!journal.contains(&secret[26..]), "a secret in the journal");
    }
    // an existing file is never written over
    let (code, _, err) = env.run(&[
        "rotate",
        &env.id_named("test"),
        "--secrets-out",
        &f,
        "--yes",
    ]);
    assert_eq!(code, 2, "{err}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_eu_subusers_change_is_recorded_at_the_eu_host() {
    let env = Env::new().await;
    let key = env.sim.keys(Some("acme-eu-marketing"))[0].clone();
    let (id, old_name) = (key.api_key_id.0.clone(), key.name.clone());
    let (code, _, err) = env.run(&[
        "--on-behalf-of",
        "acme-eu-marketing",
        "rename",
        &id,
        "eu renamed",
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, md, _) = env.run(&["journal", "--format", "markdown"]);
    let eu_host = env
        .sim
        .eu_base_url()
        .split("://")
        .nth(1)
        .unwrap()
        .to_owned();
    let global_host = env.sim.base_url().split("://").nth(1).unwrap().to_owned();
    let row = md.lines().find(|l| l.contains(&id)).unwrap_or_default();
    assert!(
        row.contains(&format!("{eu_host} \\[acme-eu-marketing\\]")),
        "the row names the EU host {eu_host}: {row}"
    );
    assert!(!row.contains(&global_host), "{row}");
    // a rename's row names the key before and after
    assert!(
        row.contains(&format!("{old_name} → eu renamed")),
        "the old name kept: {row}"
    );
}

/// A journal of a small incident, written by hand (fixed times).
fn incident_journal(path: &Path) {
    let lines = [
        r#"{"time":"2026-11-27T03:01:10Z","op":"a","phase":"intent","base_url":"https://api.sendgrid.com","action":"revoke","api_key_id":"LeakedKey000000000000a","name":"prod-mail-key","scopes_before":["mail.send","stats.read"],"status":null,"ok":false,"source":"cli"}"#,
        r#"{"time":"2026-11-27T03:01:11Z","op":"a","phase":"outcome","base_url":"https://api.sendgrid.com","action":"revoke","api_key_id":"LeakedKey000000000000a","name":"prod-mail-key","scopes_before":["mail.send","stats.read"],"status":204,"ok":true,"outcome":"ok","source":"cli","verified":true,"verified_after_ms":1340}"#,
        r#"{"time":"2026-11-27T03:05:00Z","op":"b","phase":"intent","base_url":"https://api.sendgrid.com","on_behalf_of":"acme-transactional","action":"rotate","api_key_id":"","name":"checkout (rotated 2026-11-28)","scopes_after":["mail.send"],"status":null,"ok":false,"source":"tui","replaces":"OldCheckout00000000000"}"#,
        r#"{"time":"2026-11-27T03:05:01Z","op":"b","phase":"outcome","base_url":"https://api.sendgrid.com","on_behalf_of":"acme-transactional","action":"rotate","api_key_id":"NewCheckout00000000000","name":"checkout (rotated 2026-11-28)","scopes_after":["mail.send"],"status":201,"ok":true,"outcome":"ok","source":"tui","replaces":"OldCheckout00000000000"}"#,
        r#"{"time":"2026-11-27T03:07:00Z","op":"c","phase":"intent","base_url":"https://api.sendgrid.com","action":"set_scopes","api_key_id":"Grafana000000000000000","name":"grafana | stats","scopes_before":["stats.read","mail.send"],"scopes_after":["stats.read"],"status":null,"ok":false,"source":"cli"}"#,
    ];
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_journal_is_an_incident_record() {
    let env = Env::new().await;
    let path = env.dir.path().join("incident.jsonl");
    incident_journal(&path);
    let p = path.to_string_lossy().into_owned();
    let (code, out, err) = env.run(&["--journal", &p, "journal", "--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    let out = out.replace(&p, "JOURNAL");
    insta::assert_snapshot!("incident_record", out);
    // --context and --since select
    let (_, out, _) = env.run(&[
        "--journal",
        &p,
        "journal",
        "--context",
        "acme-transactional",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    let (_, out, _) = env.run(&[
        "--journal",
        &p,
        "journal",
        "--since",
        "2026-11-27T03:04:00Z",
        "--json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    let (_, out, _) = env.run(&["--journal", &p, "journal", "--since", "1h", "--json"]);
    assert_eq!(array_len(&out), 0);
    // the table names where each action happened
    let (_, out, _) = env.run(&["--journal", &p, "journal"]);
    assert!(
        out.contains("api.sendgrid.com [acme-transactional]"),
        "{out}"
    );
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotation_whose_revoke_fails_keeps_the_secret_and_says_so() {
    let env = Env::new().await;
    // a key that may create keys (with the old key's scopes) but not delete them
    let old = env.id_named("stats: category sums");
    let mut scopes = granted(&env.sim, &old);
    scopes.extend(["api_keys.read".to_owned(), "api_keys.create".to_owned()]);
    let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let limited = env.sim.add_key(None, "rotator", &refs);
    let out = env
        .cmd(&["rotate", &old, "--yes", "--json"])
        .env("SENDGRID_API_KEY", limited.expose())
        .output()
        .unwrap();
    let lines = json_lines(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(out.status.code(), Some(1));
    let created = rotation_events(&lines, "created");
    assert!(
        created[0]["new"]["api_key"]
            .as_str()
            .unwrap()
            .starts_with("SG."),
        "the secret is kept"
    );
    let v = &rotation_events(&lines, "result")[0];
    assert_eq!(v["revoked"], false);
    assert_eq!(v["status"], "revoke_failed");
    assert!(v["error"].as_str().unwrap().contains("403"), "{v}");
    assert!(
        env.sim.keys(None).iter().any(|k| k.api_key_id.0 == old),
        "old key still there"
    );
    // and the journal shows a pending rotation to finish
    let (_, _, jerr) = env.run(&["journal"]);
    assert!(jerr.contains("1 pending rotation"), "{jerr}");
    env.sim.shutdown().await;
}
