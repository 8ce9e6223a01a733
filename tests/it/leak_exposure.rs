//! The persistence check of `revoke --leaked`, over real HTTP: a leaked key that could create
//! keys has the keys of its account that appeared while it was exposed listed (against the
//! inventory's last complete list from before), offered in the same confirmation and revoked
//! through the journal; the keys that appear during the propagation delay are found after the
//! proof; with no baseline that is said plainly.

use std::time::Duration;

use serde_json::Value;
use sgkeys::sim::SimConfig;

use crate::common::env::Env;

const CREATOR: &[&str] = &["api_keys.create", "api_keys.read", "mail.send"];

async fn fleet(revoke_delay_ms: u64) -> Env {
    Env::with(SimConfig {
        seed: "fleet:3:2".parse().unwrap(),
        revoke_delay: Duration::from_millis(revoke_delay_ms),
        ..SimConfig::fast()
    })
    .await
}

fn names(env: &Env, account: &str) -> Vec<String> {
    env.sim
        .keys(Some(account))
        .into_iter()
        .map(|k| k.name)
        .collect()
}

fn revoked_ids(env: &Env) -> Vec<String> {
    env.journal_entries()
        .iter()
        .filter(|e| e["action"] == "revoke")
        .filter_map(|e| e["api_key_id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_that_appeared_while_exposed_are_listed_then_revoked_only_when_asked() {
    let env = fleet(0).await;
    // the baseline: the account read in full before the leak
    let (code, _, err) = env.run(&["--on-behalf-of", "fleet-002", "list", "--json"]);
    assert_eq!(code, 0, "{err}");
    // the leak's first sighting, given: every run compares with the same list (without it,
    // each run compares with the last complete list before it, the dry run's included)
    std::thread::sleep(Duration::from_millis(1100));
    let since = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    std::thread::sleep(Duration::from_millis(1100));
    let leaked = env.sim.add_key(Some("fleet-002"), "ci", CREATOR);
    env.sim
        .add_key(Some("fleet-002"), "backdoor", &["mail.send"]);
    let stdin = format!("{}\n", leaked.expose());

    // a dry run lists it and sends nothing
    let (code, out, err) = env.run_in(
        &[
            "revoke",
            "--leaked",
            "--dry-run",
            "--json",
            "--since",
            &since,
        ],
        &stdin,
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let p = &v["persistence"];
    assert_eq!(p["appeared"].as_array().unwrap().len(), 1, "{p}");
    assert_eq!(p["appeared"][0]["name"], "backdoor", "{p}");
    assert!(p["baseline"]["listed_at"].is_string(), "{p}");
    assert!(
        err.contains("1 key APPEARED in fleet-002 while the key was exposed"),
        "{err}"
    );
    assert_eq!(env.sent("DELETE", "/"), 0);

    // --yes alone revokes only the leaked key, says so, and ends with what is left (exit 1)
    let (code, out, err) = env.run_in(
        &["revoke", "--leaked", "--yes", "--json", "--since", &since],
        &stdin,
    );
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "revoked", "{v}");
    assert_eq!(
        v["persistence"]["appeared"][0]["status"], "not_revoked",
        "{v}"
    );
    assert!(err.contains("add --revoke-appeared"), "{err}");
    assert!(err.contains("still there"), "{err}");
    assert!(names(&env, "fleet-002").contains(&"backdoor".to_owned()));
    assert_eq!(revoked_ids(&env).len(), 1);
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn revoke_appeared_revokes_them_and_the_ones_made_during_the_delay_journaled() {
    let env = fleet(1500).await;
    let (code, _, err) = env.run(&["--on-behalf-of", "fleet-001", "list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let leaked = env.sim.add_key(Some("fleet-001"), "ci", CREATOR);
    env.sim
        .add_key(Some("fleet-001"), "backdoor", &["mail.send"]);
    let leaked_id = leaked.key_id().unwrap().to_owned();
    let run = {
        let cmd = env.cmd(&["revoke", "--leaked", "--yes", "--revoke-appeared", "--json"]);
        let stdin = format!("{}\n", leaked.expose());
        tokio::task::spawn_blocking(move || crate::common::env::feed(cmd, &stdin))
    };
    // once the leaked key is deleted (it still authenticates for 1.5 s), a key appears
    for _ in 0..200 {
        if env
            .sim
            .keys(Some("fleet-001"))
            .iter()
            .all(|k| k.api_key_id.0 != leaked_id)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    env.sim.add_key(Some("fleet-001"), "late", &["mail.send"]);
    let (code, stdout, stderr) = run.await.unwrap();
    assert_eq!(code, 0, "{stdout}{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let p = &v["persistence"];
    assert_eq!(p["appeared"][0]["name"], "backdoor", "{p}");
    assert_eq!(p["appeared"][0]["status"], "revoked", "{p}");
    assert_eq!(p["appeared_during_delay"][0]["name"], "late", "{p}");
    assert_eq!(p["appeared_during_delay"][0]["status"], "revoked", "{p}");
    assert!(
        stderr.contains("APPEARED in fleet-001 during the propagation delay"),
        "{stderr}"
    );
    let left = names(&env, "fleet-001");
    assert!(
        !left.contains(&"backdoor".to_owned()) && !left.contains(&"late".to_owned()),
        "{left:?}"
    );
    // each revoke journaled like any other
    assert_eq!(revoked_ids(&env).len(), 3, "{:?}", env.journal_entries());
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_no_baseline_it_says_so_and_calls_no_key_suspect() {
    let env = fleet(0).await;
    let leaked = env.sim.add_key(Some("fleet-003"), "ci", CREATOR);
    env.sim
        .add_key(Some("fleet-003"), "backdoor", &["mail.send"]);
    let stdin = format!("{}\n", leaked.expose());
    for extra in [vec![], vec!["--no-inventory"]] {
        let mut args = vec!["revoke", "--leaked", "--dry-run", "--json"];
        args.extend(extra.iter().copied());
        let (code, out, err) = env.run_in(&args, &stdin);
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        let p = &v["persistence"];
        assert!(p["no_baseline"].is_string(), "{extra:?}: {p}");
        assert_eq!(p["appeared"].as_array().unwrap().len(), 0, "{p}");
        assert!(err.contains("no baseline"), "{err}");
    }
    // a key that cannot create keys gets no check at all
    let plain = env.sim.add_key(Some("fleet-003"), "plain", &["mail.send"]);
    let (code, out, _) = env.run_in(
        &["revoke", "--leaked", "--dry-run", "--json"],
        &format!("{}\n", plain.expose()),
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v.get("persistence").is_none(), "{v}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reports_date_is_the_baseline_and_all_revokes_what_appeared_since() {
    let env = fleet(0).await;
    let list = ["--on-behalf-of", "fleet-002", "list", "--json"];
    assert_eq!(env.run(&list).0, 0);
    std::thread::sleep(Duration::from_millis(1100));
    let date = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    std::thread::sleep(Duration::from_millis(1100));
    let leaked = env.sim.add_key(Some("fleet-002"), "ci", CREATOR);
    env.sim
        .add_key(Some("fleet-002"), "backdoor", &["mail.send"]);
    // read again since: the report's date still picks the list from before the leak
    assert_eq!(env.run(&list).0, 0);
    let report = env.dir.path().join("gitleaks.json");
    let finding = serde_json::json!([{
        "Secret": leaked.expose(), "File": "deploy.env", "StartLine": 3,
        "Commit": "0123456789abcdef", "Date": date,
    }]);
    std::fs::write(&report, finding.to_string()).unwrap();
    let r = report.to_str().unwrap();
    let (code, out, err) = env.run(&[
        "revoke",
        "--from-report",
        r,
        "--yes",
        "--revoke-appeared",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let p = &v["keys"][0]["persistence"];
    assert_eq!(p["baseline"]["what"], "the scanner report's date", "{p}");
    assert_eq!(p["appeared"][0]["name"], "backdoor", "{p}");
    assert_eq!(p["appeared"][0]["status"], "revoked", "{p}");
    assert!(!names(&env, "fleet-002").contains(&"backdoor".to_owned()));
    assert_eq!(revoked_ids(&env).len(), 2);
    env.sim.shutdown().await;
}
