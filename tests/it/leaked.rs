//! A leaked key, from any input to confirmed dead, over real HTTP: the proof waits out
//! SendGrid's propagation delay (the simulator's `revoke_delay`), a key that keeps working is
//! reported (exit 1), a key in no reachable account revokes itself with `--self-revoke`,
//! scanner reports (gitleaks, trufflehog) are read whole, and a 404 is "already revoked".

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use sgkeys::journal::Journal;
use sgkeys::sim::{SimConfig, SimHandle};

use crate::common::simulator::start;
use crate::hostile::{Hostile, Reply, Seen, fake_key, id_of, key_json, list_json};

mod gateways;
mod limits;

fn run(dir: &Path, url: &str, caller: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    crate::common::env::feed(crate::common::env::bin_at(dir, url, caller, args), stdin)
}

/// [`run`] on a blocking thread, for async tests.
async fn run_off(
    dir: &Path,
    url: &str,
    caller: &str,
    args: &[&str],
    stdin: &str,
) -> (i32, String, String) {
    let (d, u, c, i) = (
        dir.to_owned(),
        url.to_owned(),
        caller.to_owned(),
        stdin.to_owned(),
    );
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&d, &u, &c, &a, &i)
    })
    .await
    .unwrap()
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

/// A key in no account the caller reaches; it may delete keys itself, and read itself (its
/// name: 'billing worker').
async fn stranded(victim: &str, leaked: &str) -> (Hostile, Arc<AtomicBool>) {
    stranded_reading_itself(victim, leaked, true).await
}

/// [`stranded`], the key reading itself or refused that (403).
async fn stranded_reading_itself(
    victim: &str,
    leaked: &str,
    reads_itself: bool,
) -> (Hostile, Arc<AtomicBool>) {
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
            ("GET", p, true) if p == format!("/v3/api_keys/{v}") && reads_itself => Reply::json(
                200,
                key_json(
                    &v,
                    "billing worker",
                    &["api_keys.delete", "api_keys.read", "mail.send"],
                ),
            ),
            ("GET", p, true) if p.starts_with("/v3/api_keys/") => Reply::json(
                403,
                json!({"errors":[{"field":null,"message":"access forbidden"}]}),
            ),
            ("GET", "/v3/subusers", false) => Reply::json(200, json!([])),
            ("GET", "/v3/scopes", false) => Reply::json(200, json!({"scopes": ["api_keys.read"]})),
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
    // the prompt names the key as it reads itself, and where it acts
    assert!(
        err.contains("'billing worker'") && err.contains("in its own account"),
        "{err}"
    );
    // the journal files it under the key's own account, never under the caller's
    let entries = Journal::new(dir.path().join("journal.jsonl"))
        .read_all()
        .unwrap();
    let e = entries.last().unwrap();
    assert_eq!(e.api_key_id, id_of(&leaked));
    assert_eq!(e.name.as_deref(), Some("billing worker"));
    assert_eq!(e.self_revoke, Some(true));
    assert!(!e.in_its_context());
    assert_eq!(
        e.scopes_before.as_deref().map(<[String]>::len),
        Some(3),
        "{e:?}"
    );
    let (d, u) = (dir.path().to_owned(), server.url());
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        run(&d, &u, &fake_key(1), &["journal", "--context", "own"], "")
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains(&id_of(&leaked)),
        "not the caller's own account: {out}"
    );
    let (d, u) = (dir.path().to_owned(), server.url());
    let (_, out, err) =
        tokio::task::spawn_blocking(move || run(&d, &u, &fake_key(1), &["journal"], ""))
            .await
            .unwrap();
    assert!(out.contains("the key's own account"), "{out}{err}");
    // recreating it into the caller's account is refused unless asked for
    let (d, u, id) = (dir.path().to_owned(), server.url(), id_of(&leaked));
    let (code, _, err) = tokio::task::spawn_blocking(move || {
        run(&d, &u, &fake_key(1), &["recreate", &id, "--yes"], "")
    })
    .await
    .unwrap();
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--self-revoke") && err.contains("--into-current"),
        "{err}"
    );
    assert_eq!(server.count("POST", "/"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_self_revoke_of_a_key_that_may_not_read_itself_says_its_name_is_unknown() {
    let leaked = fake_key(73);
    let (server, gone) = stranded_reading_itself(&id_of(&leaked), &leaked, false).await;
    let dir = tempfile::tempdir().unwrap();
    let (d, u, k) = (dir.path().to_owned(), server.url(), leaked.clone());
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        run(
            &d,
            &u,
            &fake_key(1),
            &["revoke", "--leaked", "--yes", "--self-revoke"],
            &k,
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{out}{err}");
    assert!(gone.load(Ordering::SeqCst));
    assert!(
        err.contains("name unknown: the key may not read itself") && !err.contains("''"),
        "{err}"
    );
    let entries = Journal::new(dir.path().join("journal.jsonl"))
        .read_all()
        .unwrap();
    assert_eq!(entries.last().unwrap().self_revoke, Some(true));
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

/// `args` with the leaked-key report at `path`, run on a blocking thread.
async fn run_report(
    dir: &Path,
    url: &str,
    caller: &str,
    report: &str,
    args: &[&str],
) -> (i32, String, String) {
    let path = dir.join("report.txt");
    std::fs::write(&path, report).unwrap();
    let p = path.to_string_lossy().into_owned();
    let mut all = vec!["revoke", "--from-report", &p];
    all.extend(args);
    run_off(dir, url, caller, &all, "").await
}

/// The keys of a `--from-report --json` answer, by id.
fn keys_by_id(out: &str) -> (Value, std::collections::HashMap<String, Value>) {
    let v: Value = serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let keys = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["api_key_id"].as_str().unwrap().to_owned(), k.clone()))
        .collect();
    (v, keys)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_leaked_key_is_revoked_before_any_is_proven_dead() {
    let sim = sim_with_delay(1500).await;
    let dir = tempfile::tempdir().unwrap();
    let leaked: Vec<String> = (0..5)
        .map(|i| {
            sim.add_key(None, &format!("leak {i}"), &["mail.send"])
                .expose()
                .to_owned()
        })
        .collect();
    let report: String = leaked
        .iter()
        .enumerate()
        .map(|(i, k)| format!("src/f{i}.py:3: SENDGRID_API_KEY = \"{k}\"\n"))
        .collect();
    sim.reset_counters();
    let admin = sim.admin_key().expose().to_owned();
    let (code, out, err) =
        run_report(dir.path(), &sim.base_url(), &admin, &report, &["--yes"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches("confirmed dead after").count(), 5, "{out}");
    assert!(sim.keys(None).iter().all(|k| !k.name.starts_with("leak ")));
    // the simulator's log, in order: the five DELETEs come one after another, with no question
    // to a key between them (the propagation delay is waited out once, for all, afterwards)
    let log: Vec<String> = sim
        .requests()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let deletes: Vec<usize> = (0..log.len())
        .filter(|&i| log[i].starts_with("DELETE"))
        .collect();
    assert_eq!(deletes.len(), 5, "{log:#?}");
    assert_eq!(
        deletes[4] - deletes[0],
        4,
        "a question between the revokes: {log:#?}"
    );
    let proofs_after = log[deletes[4]..]
        .iter()
        .filter(|l| *l == "GET /v3/scopes")
        .count();
    assert!(proofs_after >= 10, "each key asked until refused: {log:#?}");
    let j = Journal::new(dir.path().join("journal.jsonl"))
        .read_all()
        .unwrap();
    assert_eq!(j.len(), 5);
    assert!(j.iter().all(|e| e.verified == Some(true)), "{j:?}");
    sim.shutdown().await;
}

/// Three keys: `lost` lives in the caller's account but its revoke's answer is lost (and so is
/// the read-back), `hidden` works but a subuser could not be searched (503), `dead` is refused.
async fn mixed(lost: &str, hidden: &str, dead: &str) -> Hostile {
    let (hidden, dead) = (format!("Bearer {hidden}"), format!("Bearer {dead}"));
    let lost_id = id_of(lost);
    let lost_key = format!("/v3/api_keys/{lost_id}");
    let deleted = Arc::new(AtomicBool::new(false));
    Hostile::start(move |r: &Seen| {
        let auth = r.header("authorization").unwrap_or_default();
        let path = r.path.split('?').next().unwrap_or_default().to_owned();
        let gateway = |s: u16| Reply::html(s, &format!("<html><title>{s}</title></html>"));
        let not_found = || {
            Reply::json(
                404,
                json!({"errors":[{"field":null,"message":"unable to find API Key"}]}),
            )
        };
        match (r.method.as_str(), path.as_str()) {
            ("GET", "/v3/scopes") if auth == dead => Reply::json(
                401,
                json!({"errors":[{"field":null,"message":"authorization required"}]}),
            ),
            ("GET", "/v3/scopes") if auth == hidden => {
                Reply::json(200, json!({"scopes": ["mail.send"]}))
            }
            ("GET", "/v3/scopes") => Reply::json(200, json!({"scopes": ["mail.send"]})),
            ("GET", "/v3/subusers") => Reply::json(
                200,
                json!([{"id": 1, "username": "acme-sub", "email": "a@x", "disabled": false}]),
            ),
            _ if r.header("on-behalf-of").is_some() => gateway(503),
            ("GET", "/v3/api_keys") => {
                Reply::json(200, list_json(&[(lost_id.as_str(), "lost answer")]))
            }
            ("DELETE", p) if p == lost_key => {
                deleted.store(true, Ordering::SeqCst);
                gateway(502)
            }
            ("GET", p) if p == lost_key && deleted.load(Ordering::SeqCst) => gateway(502),
            ("GET", p) if p == lost_key => {
                Reply::json(200, key_json(&lost_id, "lost answer", &["mail.send"]))
            }
            _ => not_found(),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn summary_table_and_json_agree_and_failed_lookups_are_named() {
    let (lost, hidden, dead) = (fake_key(79), fake_key(80), fake_key(81));
    let server = mixed(&lost, &hidden, &dead).await;
    let dir = tempfile::tempdir().unwrap();
    let report = format!("{lost}\n{hidden}\n{dead}\n");
    let args = ["--yes", "--verify-timeout", "1", "--timeout", "3"];
    let (code, table, err) =
        run_report(dir.path(), &server.url(), &fake_key(1), &report, &args).await;
    assert_eq!(code, 1, "{table}{err}");
    assert!(
        err.contains("3 keys found: 1 dead, 2 live (1 to revoke, 1 that sgkeys cannot revoke)"),
        "{err}"
    );
    assert!(err.contains("could not search acme-sub: HTTP 503"), "{err}");
    let row = |id: &str| {
        table
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id} not in {table}"))
            .to_owned()
    };
    assert!(row(&id_of(&dead)).contains("dead"), "{table}");
    assert!(
        row(&id_of(&hidden)).contains("LIVE") && row(&id_of(&hidden)).contains("not located"),
        "{table}"
    );
    assert!(
        table.contains(&format!("UNKNOWN  {}", id_of(&lost))),
        "a lost revoke is never 'revoked': {table}"
    );
    let last = err.lines().last().unwrap();
    assert!(
        last.contains("STILL WORKS") && last.contains(&id_of(&hidden)) && last.contains("owner"),
        "{err}"
    );

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let server = mixed(&lost, &hidden, &dead).await;
    let (code, out, err) =
        run_report(dir.path(), &server.url(), &fake_key(1), &report, &json_args).await;
    assert_eq!(code, 1, "{err}");
    let (v, by_id) = keys_by_id(&out);
    assert_eq!(
        by_id.len(),
        3,
        "every key, the ones it could not place too: {out}"
    );
    assert_eq!(by_id[&id_of(&lost)]["status"], "unknown");
    assert_eq!(by_id[&id_of(&hidden)]["status"], "not_located");
    assert!(
        by_id[&id_of(&hidden)]["lookup_errors"][0]
            .as_str()
            .unwrap()
            .starts_with("acme-sub: HTTP 503"),
        "{out}"
    );
    assert_eq!(by_id[&id_of(&dead)]["status"], "dead");
    let s = &v["summary"];
    assert_eq!(
        (s["keys"].as_u64(), s["dead"].as_u64(), s["live"].as_u64()),
        (Some(3), Some(1), Some(2)),
        "{s}"
    );
    assert_eq!(s["revoked"], 0, "{s}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_key_sgkeys_cannot_revoke_is_the_last_word() {
    let leaked = fake_key(82);
    let (server, _) = stranded(&id_of(&leaked), &leaked).await;
    let dir = tempfile::tempdir().unwrap();
    let report = format!("{}\n{leaked}\n", fake_key(83));
    let (code, out, err) =
        run_report(dir.path(), &server.url(), &fake_key(1), &report, &["--yes"]).await;
    assert_eq!(code, 1, "{out}{err}");
    let last = err.lines().last().unwrap();
    assert!(
        last.contains(&format!("STILL WORKS: key {}", id_of(&leaked)))
            && last.contains("--self-revoke"),
        "{err}"
    );
    assert!(!err.contains("Done"), "{err}");
    assert_eq!(server.count("DELETE", "/"), 0);
}
