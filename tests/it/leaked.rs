//! A leaked key, from any input to confirmed dead, over real HTTP: the proof waits out
//! SendGrid's propagation delay (the simulator's `revoke_delay`), a key that keeps working is
//! reported (exit 1), a key in no reachable account revokes itself with `--self-revoke`,
//! scanner reports (gitleaks, trufflehog) are read whole, and a 404 is "already revoked".

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use sgkeys::journal::Journal;
use sgkeys::sim::{SimConfig, SimHandle};

use crate::common::simulator::start;
use crate::hostile::{Hostile, Reply, Seen, fake_key, id_of, key_json, list_json};

const BIN: &str = env!("CARGO_BIN_EXE_sgkeys");

fn run(dir: &Path, url: &str, caller: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("SENDGRID_API_KEY", caller)
        .env("SGKEYS_BASE_URL", url)
        .env("SGKEYS_JOURNAL", dir.join("journal.jsonl"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    (out.status.code().unwrap_or(-1), o, e)
}

async fn sim_with_delay(ms: u64) -> SimHandle {
    start(SimConfig {
        revoke_delay: Duration::from_millis(ms),
        ..SimConfig::fast()
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_proof_waits_out_the_propagation_delay_and_is_journaled() {
    let sim = sim_with_delay(1500).await;
    let dir = tempfile::tempdir().unwrap();
    let leaked = sim.add_key(None, "ci deploy", &["mail.send", "api_keys.read"]);
    let admin = sim.admin_key().expose().to_owned();
    let (code, out, err) = tokio::task::spawn_blocking({
        let (d, u, l) = (
            dir.path().to_owned(),
            sim.base_url(),
            leaked.expose().to_owned(),
        );
        move || {
            run(
                &d,
                &u,
                &admin,
                &["revoke", "--leaked", "--yes", "--json"],
                &format!("{l}\n"),
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "revoked");
    assert_eq!(v["verified"], true);
    let after = v["verified_after_ms"].as_u64().unwrap();
    assert!(after >= 1300, "dead only after the delay: {after} ms");
    assert!(
        err.contains("still authenticates after"),
        "progress is said: {err}"
    );
    assert!(err.contains("confirmed dead after"), "{err}");
    assert!(!out.contains(&leaked.expose()[26..]) && !err.contains(&leaked.expose()[26..]));
    let j = Journal::new(dir.path().join("journal.jsonl"))
        .read_all()
        .unwrap();
    assert_eq!(j.len(), 1);
    assert_eq!(j[0].verified, Some(true));
    assert!(j[0].verified_after_ms.unwrap() >= 1300);
    sim.shutdown().await;
}

/// A SendGrid where the key lives in the caller's account and never stops authenticating.
async fn immortal(victim: &str) -> Hostile {
    let v = victim.to_owned();
    Hostile::start(move |r: &Seen| {
        let path = r.path.split('?').next().unwrap_or_default().to_owned();
        match (r.method.as_str(), path.as_str()) {
            ("GET", "/v3/scopes") => Reply::json(200, json!({"scopes": ["mail.send"]})),
            ("GET", "/v3/subusers") => Reply::json(200, json!([])),
            ("GET", p) if p == format!("/v3/api_keys/{v}") => {
                Reply::json(200, key_json(&v, "immortal", &["mail.send"]))
            }
            ("DELETE", _) => Reply::empty(204),
            _ => Reply::json(200, list_json(&[(&v, "immortal")])),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_that_keeps_working_is_reported_and_exits_1() {
    let key = fake_key(70);
    let server = immortal(&id_of(&key)).await;
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = tokio::task::spawn_blocking({
        let (d, u, k) = (dir.path().to_owned(), server.url(), key.clone());
        move || {
            run(
                &d,
                &u,
                &fake_key(1),
                &["revoke", "--leaked", "--yes", "--verify-timeout", "1"],
                &k,
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("STILL AUTHENTICATES after"), "{err}");
    assert!(out.contains("STILL AUTHENTICATES"), "{out}");
    assert_eq!(server.count("DELETE", "/v3/api_keys/"), 1);
}

/// A key in no account the caller reaches; it may delete keys itself.
async fn stranded(victim: &str, leaked: &str) -> (Hostile, Arc<AtomicBool>) {
    let (v, l) = (victim.to_owned(), format!("Bearer {leaked}"));
    let gone = Arc::new(AtomicBool::new(false));
    let g = Arc::clone(&gone);
    let server = Hostile::start(move |r: &Seen| {
        let by_leaked = r.header("authorization") == Some(l.as_str());
        let path = r.path.split('?').next().unwrap_or_default().to_owned();
        match (r.method.as_str(), path.as_str(), by_leaked) {
            ("GET", "/v3/scopes", true) if g.load(Ordering::SeqCst) => Reply::json(
                401,
                json!({"errors":[{"field":null,"message":"authorization required"}]}),
            ),
            ("GET", "/v3/scopes", true) => Reply::json(
                200,
                json!({"scopes": ["api_keys.delete", "api_keys.read", "mail.send"]}),
            ),
            ("DELETE", p, true) if p == format!("/v3/api_keys/{v}") => {
                g.store(true, Ordering::SeqCst);
                Reply::empty(204)
            }
            ("GET", "/v3/subusers", false) => Reply::json(200, json!([])),
            _ => Reply::json(
                404,
                json!({"errors":[{"field":null,"message":"not found"}]}),
            ),
        }
    })
    .await;
    (server, gone)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_in_no_reachable_account_can_revoke_itself() {
    let leaked = fake_key(71);
    let (server, gone) = stranded(&id_of(&leaked), &leaked).await;
    let dir = tempfile::tempdir().unwrap();
    let go = |args: Vec<&'static str>| {
        let (d, u, k) = (dir.path().to_owned(), server.url(), leaked.clone());
        tokio::task::spawn_blocking(move || run(&d, &u, &fake_key(1), &args, &k))
    };
    let (code, _, err) = go(vec!["revoke", "--leaked", "--yes"]).await.unwrap();
    assert_eq!(code, 1);
    assert!(err.contains("--self-revoke"), "{err}");
    assert_eq!(server.count("DELETE", "/"), 0, "nothing sent without it");
    let (code, out, err) = go(vec!["revoke", "--leaked", "--yes", "--self-revoke"])
        .await
        .unwrap();
    assert_eq!(code, 0, "{out}{err}");
    assert!(gone.load(Ordering::SeqCst));
    let deletes: Vec<Seen> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 1);
    assert_eq!(
        deletes[0].header("authorization"),
        Some(format!("Bearer {leaked}").as_str()),
        "sent with the key's own credential"
    );
    assert!(out.contains("confirmed dead"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn scanner_reports_are_read_whole_and_every_live_key_is_proven_dead() {
    let sim = sim_with_delay(300).await;
    let dir = tempfile::tempdir().unwrap();
    let parent = sim.add_key(None, "leaked in repo", &["mail.send"]);
    let sub = sim.add_key(Some("acme-transactional"), "leaked sub", &["mail.send"]);
    let dead = fake_key(72);
    let gitleaks = json!([
        {"Description": "SendGrid API token", "StartLine": 3, "EndLine": 3, "File": "deploy/.env",
         "Commit": "a1b2c3d4e5f6", "Secret": parent.expose(), "Match": format!("SENDGRID_API_KEY={}", parent.expose()),
         "RuleID": "sendgrid-api-token", "Fingerprint": "a1b2c3d4e5f6:deploy/.env:sendgrid-api-token:3"},
        {"Description": "SendGrid API token", "StartLine": 9, "File": "old.py", "Commit": "ffff",
         "Secret": dead, "Match": dead, "RuleID": "sendgrid-api-token"}
    ]);
    let trufflehog = format!(
        "{}\n{}\n",
        json!({"level": "info-0", "msg": "running source"}),
        json!({"SourceMetadata": {"Data": {"Git": {"commit": "0badc0de", "file": "cfg/app.yml", "line": 7}}},
               "DetectorName": "SendGrid", "Verified": true, "Raw": sub.expose()})
    );
    let admin = sim.admin_key().expose().to_owned();
    for (name, text) in [
        ("gitleaks.json", gitleaks.to_string()),
        ("trufflehog.jsonl", trufflehog),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let p = path.to_string_lossy().into_owned();
        let (d, u, a) = (dir.path().to_owned(), sim.base_url(), admin.clone());
        let before = sim.mutating_requests();
        let (code, out, err) = tokio::task::spawn_blocking({
            let p = p.clone();
            move || {
                run(
                    &d,
                    &u,
                    &a,
                    &["revoke", "--from-report", &p, "--dry-run"],
                    "",
                )
            }
        })
        .await
        .unwrap();
        assert_eq!(code, 0, "{err}");
        assert_eq!(sim.mutating_requests(), before, "a dry run sends nothing");
        assert!(out.contains("LIVE"), "{out}");
        if name == "gitleaks.json" {
            assert!(
                out.contains("deploy/.env:3") && out.contains("dead"),
                "{out}"
            );
        } else {
            assert!(
                out.contains("cfg/app.yml:7") && out.contains("acme-transactional"),
                "{out}"
            );
        }
        let (d, u, a) = (dir.path().to_owned(), sim.base_url(), admin.clone());
        let (code, out, err) = tokio::task::spawn_blocking(move || {
            run(&d, &u, &a, &["revoke", "--from-report", &p, "--yes"], "")
        })
        .await
        .unwrap();
        assert_eq!(code, 0, "{out}{err}");
        assert!(err.contains("confirmed dead"), "{err}");
    }
    assert!(!sim.keys(None).iter().any(|k| k.name == "leaked in repo"));
    assert!(
        !sim.keys(Some("acme-transactional"))
            .iter()
            .any(|k| k.name == "leaked sub")
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoke_answered_404_is_already_gone() {
    let victim = id_of(&fake_key(73));
    let v = victim.clone();
    let server = Hostile::start(move |r: &Seen| match r.method.as_str() {
        "DELETE" => Reply::json(
            404,
            json!({"errors":[{"field":null,"message":"unable to find API Key for deletion"}]}),
        ),
        _ => Reply::json(200, key_json(&v, "raced", &["mail.send"])),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = tokio::task::spawn_blocking({
        let (d, u) = (dir.path().to_owned(), server.url());
        move || run(&d, &u, &fake_key(1), &["revoke", &victim, "--yes"], "")
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("already revoked"), "{out}");
}
