//! The inventory over real HTTP: the real binary's reads and writes recorded (and nothing
//! secret in the file), gone only after a complete read, `history`, `inventory path|clear`,
//! `--no-inventory` storing nothing, a damaged file never stopping a revoke, a busy file
//! waited for; and the dashboard's worker recording what it reads and writes.

use std::time::Duration;

use serde_json::Value;
use sgkeys::api::ApiKeyId;
use sgkeys::app::{ApiOp, Command, Mutation};
use sgkeys::inventory::{Inventory, Scope};
use sgkeys::worker::Worker;

use crate::common::env::Env as Bin;

/// `$XDG_STATE_HOME/sgkeys` of the test's home.
fn state(b: &Bin) -> std::path::PathBuf {
    b.dir.path().join("state/sgkeys")
}

/// The default inventory file.
fn inventory(b: &Bin) -> std::path::PathBuf {
    state(b).join("inventory.sqlite")
}

/// (exit code, stdout, stderr) of a command run to its end, stdin closed.
fn output(mut c: std::process::Command) -> (i32, String, String) {
    let out = c.stdin(std::process::Stdio::null()).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn events_of(history: &Value, id: &str) -> Vec<String> {
    history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["api_key_id"] == id)
        .map(|e| {
            format!(
                "{}:{}",
                e["event"].as_str().unwrap(),
                e["source"].as_str().unwrap()
            )
        })
        .collect()
}

/// Every byte of the inventory and its WAL companions.
fn inventory_bytes(b: &Bin) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let p = format!("{}{suffix}", inventory(b).display());
        if let Ok(bytes) = std::fs::read(&p) {
            all.extend(bytes);
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_and_writes_are_recorded_with_no_secret_in_the_file() {
    let b = Bin::new().await;
    let (code, _, err) = b.run(&["list", "--scopes"]);
    assert_eq!(code, 0, "{err}");
    let created = b.json(&[
        "create",
        "inventory probe",
        "--scope",
        "mail.send",
        "--json",
    ]);
    let new_id = created["api_key_id"].as_str().unwrap().to_owned();
    let secret = created["api_key"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("SG."));
    let (code, _, err) = b.run(&["rename", &new_id, "inventory probe 2"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = b.run(&["set-scopes", &new_id, "mail.send", "stats.read"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = b.run(&["show", &new_id]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = b.run(&["revoke", &new_id, "--yes"]);
    assert_eq!(code, 0, "{err}");

    let history = b.json(&["history", &new_id, "--json"]);
    assert_eq!(
        events_of(&history, &new_id),
        [
            "first_seen:create",
            "renamed:rename",
            "scopes:set_scopes",
            "gone:revoke"
        ]
    );
    let scopes = &history[2];
    assert_eq!(scopes["scopes_before"], serde_json::json!(["mail.send"]));
    assert_eq!(
        scopes["scopes"],
        serde_json::json!(["mail.send", "stats.read"])
    );
    // every key the list showed, first seen in that list read, its scopes read after
    let all = b.json(&["history", "--json"]);
    let frontend = b.id_named("ci-deploy: web-frontend (GitHub Actions)");
    assert_eq!(events_of(&all, &frontend), ["first_seen:list"]);
    assert_eq!(all[0]["on_behalf_of"], Value::Null);

    // nothing secret: not the created key, not the caller's
    let bytes = inventory_bytes(&b);
    assert!(!bytes.is_empty());
    assert!(
        !contains(&bytes, &secret),
        "the created secret is in the inventory"
    );
    assert!(
        !contains(&bytes, &secret[26..]),
        "its secret part is in the inventory"
    );
    let caller = b.sim.admin_key().expose();
    assert!(
        !contains(&bytes, &caller[26..]),
        "the caller's secret is in the inventory"
    );
    // the table says the same in words
    let (code, out, _) = b.run(&["history", &new_id]);
    assert_eq!(code, 0);
    for word in [
        "first seen",
        "renamed",
        "scopes changed",
        "gone",
        "sgkeys revoke",
    ] {
        assert!(out.contains(word), "{word}: {out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_complete_list_read_marks_a_key_gone() {
    let b = Bin::new().await;
    assert_eq!(b.run(&["list"]).0, 0);
    let victim = b.id_named("test");
    // revoked behind the inventory's back (another machine, the web app)
    let (code, _, err) = b.run(&["--no-inventory", "revoke", &victim, "--yes"]);
    assert_eq!(code, 0, "{err}");
    // a limited read does not show it, and proves nothing
    assert_eq!(b.run(&["list", "--limit", "2"]).0, 0);
    let h = b.json(&["history", &victim, "--json"]);
    assert_eq!(events_of(&h, &victim), ["first_seen:list"]);
    // a failed read proves nothing either
    b.sim.fail_next(5, 500, false);
    assert_ne!(b.run(&["list", "--timeout", "2"]).0, 0);
    let h = b.json(&["history", &victim, "--json"]);
    assert_eq!(events_of(&h, &victim), ["first_seen:list"]);
    // a complete one does
    assert_eq!(b.run(&["list"]).0, 0);
    let h = b.json(&["history", &victim, "--json"]);
    assert_eq!(events_of(&h, &victim), ["first_seen:list", "gone:list"]);
    // a subuser's list is its own context: the key is not gone there, it was never there
    assert_eq!(
        b.run(&["--on-behalf-of", "acme-transactional", "list"]).0,
        0
    );
    let (code, out, _) = b.run(&["history", "--context", "acme-transactional"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("[acme-transactional]") && !out.contains(&victim),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_inventory_stores_nothing_anywhere() {
    let b = Bin::new().await;
    assert_eq!(b.run(&["--no-inventory", "list", "--scopes"]).0, 0);
    let mut c = b.cmd(&["audit"]);
    c.env("SGKEYS_NO_INVENTORY", "1");
    assert_eq!(output(c).0, 0);
    let cfg = b.dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        "default_profile = \"p\"\n[profiles.p]\nno_inventory = true\n",
    )
    .unwrap();
    let mut c = b.cmd(&["list"]);
    c.env("SGKEYS_CONFIG", &cfg);
    assert_eq!(output(c).0, 0);
    let leftovers: Vec<_> = std::fs::read_dir(state(&b))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains("inventory"))
                .collect()
        })
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let (code, _, err) = b.run(&["--no-inventory", "inventory", "path"]);
    assert_eq!(code, 0);
    assert!(err.contains("No inventory is kept"), "{err}");
    let (code, _, err) = b.run(&["--no-inventory", "history"]);
    assert_eq!(code, 2, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_path_and_clear() {
    let b = Bin::new().await;
    let (code, out, err) = b.run(&["inventory", "path"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), inventory(&b).display().to_string());
    assert!(err.contains("not created yet"), "{err}");
    assert!(
        !inventory(&b).exists(),
        "asking where it is creates nothing"
    );
    let (code, out, _) = b.run(&["history"]);
    assert_eq!(code, 0);
    assert!(out.contains("empty"), "{out}");
    assert_eq!(b.run(&["list"]).0, 0);
    assert!(inventory(&b).exists());
    // elsewhere with --inventory
    let other = b.dir.path().join("other.sqlite");
    let other_s = other.display().to_string();
    assert_eq!(b.run(&["--inventory", &other_s, "list"]).0, 0);
    assert!(other.exists());
    let v = b.json(&["--inventory", &other_s, "inventory", "path", "--json"]);
    assert_eq!(v["path"], other_s.as_str());
    // no terminal, no --yes: refused, nothing deleted
    let (code, _, err) = b.run(&["inventory", "clear"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--yes"), "{err}");
    assert!(inventory(&b).exists());
    let (code, out, _) = b.run(&["inventory", "clear", "--yes"]);
    assert_eq!(code, 0);
    assert!(out.contains("Deleted"), "{out}");
    for suffix in ["", "-wal", "-shm"] {
        assert!(!std::path::Path::new(&format!("{}{suffix}", inventory(&b).display())).exists());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_inventory_never_stops_a_revoke() {
    let b = Bin::new().await;
    std::fs::create_dir_all(state(&b)).unwrap();
    std::fs::write(inventory(&b), vec![0x5a; 4096]).unwrap();
    let victim = b.id_named("tmp-debug");
    let (code, out, err) = b.run(&["revoke", &victim, "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(b.sim.keys(None).iter().all(|k| k.api_key_id.0 != victim));
    let inv = inventory(&b).display().to_string();
    assert!(
        err.contains(&inv) && err.contains("sgkeys inventory clear") && err.contains("going on"),
        "{err}"
    );
    // reading it is an error naming the file and the way out
    let (code, _, err) = b.run(&["history"]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&inv) && err.contains("sgkeys inventory clear"),
        "{err}"
    );
    // clearing works on a damaged file
    assert_eq!(b.run(&["inventory", "clear", "--yes"]).0, 0);
    assert_eq!(b.run(&["list"]).0, 0);
    assert_eq!(
        b.json(&["history", "--json"]).as_array().unwrap().len(),
        b.sim.keys(None).len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_holding_the_file_is_waited_for_and_no_answer_is_lost() {
    let b = Bin::new().await;
    assert_eq!(b.run(&["list"]).0, 0);
    let before = b.json(&["history", "--json"]).as_array().unwrap().len();
    b.sim.add_key(None, "made while busy", &["mail.send"]);
    // another sgkeys holds the write lock while this one lists
    let mut other = rusqlite::Connection::open(inventory(&b)).unwrap();
    let tx = other
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let child = b
        .cmd(&["list", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    tx.commit().unwrap();
    let out = child.wait_with_output().unwrap();
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(listed.as_array().unwrap().len(), b.sim.keys(None).len());
    let after = b.json(&["history", "--json"]);
    assert_eq!(
        after.as_array().unwrap().len(),
        before + 1,
        "the new key recorded"
    );
    assert_eq!(
        events_of(&after, &b.id_named("made while busy")),
        ["first_seen:list"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_worker_records_what_it_reads_and_writes() {
    let b = Bin::new().await;
    let inv = Inventory::open(&inventory(&b)).unwrap();
    let scope = Scope {
        base_url: b.sim.base_url(),
        account: "key:test".into(),
    };
    let rec = inv.recorder(scope.clone());
    let client = crate::common::simulator::client(&b.sim);
    let worker = Worker {
        client,
        journal: None,
        read_only: false,
        inventory: Some(rec.clone()),
        recall: None,
    };
    let (cmd_tx, mut ev_rx, running) = crate::common::dash::spawn(worker);
    let victim = b.id_named("test");
    let ops = [
        ApiOp::ListKeys,
        ApiOp::GetKey(ApiKeyId(victim.clone())),
        ApiOp::Mutate(Mutation::Revoke {
            id: ApiKeyId(victim.clone()),
            name: "test".into(),
            scopes_before: None,
        }),
    ];
    for (i, op) in ops.into_iter().enumerate() {
        cmd_tx
            .send(Command::Api {
                req: i as u64 + 1,
                ctx: None,
                region: None,
                op,
            })
            .unwrap();
        ev_rx.recv().await.unwrap();
    }
    drop(cmd_tx);
    running.await.unwrap();
    assert!(rec.flush(Duration::from_secs(10)));
    let r = inv.reader().unwrap();
    let own = scope.place(None);
    let snap = r.snapshot(&own).unwrap().unwrap();
    assert_eq!(
        snap.keys.len(),
        b.sim.keys(None).len(),
        "the list, less the revoked key"
    );
    assert!(snap.context.list_read_at.is_some());
    let k = r.key(&own, &victim).unwrap().unwrap();
    assert!(k.scopes.is_some() && k.detail_read_at.is_some());
    assert_eq!(k.gone_how.as_deref(), Some("revoked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_answers_from_the_inventory_alone_and_says_how_old_it_is() {
    let b = Bin::new().await;
    // nothing recorded yet
    let (code, _, err) = b.run(&["--offline", "list"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("empty"), "{err}");
    assert_eq!(b.run(&["list"]).0, 0);
    let read = b.id_named("jenkins: nightly reports");
    let unread = b.id_named("tmp-debug");
    assert_eq!(b.run(&["show", &read]).0, 0);
    let gone = b.id_named("test");
    assert_eq!(b.run(&["revoke", &gone, "--yes"]).0, 0);
    let sent = b.sim.requests().len();

    let (code, out, err) = b.run(&["--offline", "list", "--scopes", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("as of its last complete list read"), "{err}");
    let rows: Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), b.sim.keys(None).len());
    let row = |id: &str| rows.iter().find(|r| r["api_key_id"] == id).unwrap().clone();
    let mut granted: Vec<String> = crate::common::simulator::key_of(&b.sim, &read)
        .scopes
        .into_iter()
        .filter(|s| !sgkeys::scopes::is_auto_assigned(s))
        .collect();
    granted.sort();
    assert_eq!(row(&read)["scopes"], serde_json::json!(granted));
    assert!(row(&read)["scopes_read_at"].is_string());
    // never read in detail: unknown, not "no scopes"
    assert_eq!(row(&unread)["scopes"], Value::Null);
    assert_eq!(row(&unread)["type"], Value::Null);
    assert!(rows.iter().all(|r| r["api_key_id"] != gone.as_str()));

    let (code, out, _) = b.run(&["--offline", "list", "--scopes"]);
    assert_eq!(code, 0);
    assert!(out.contains("unknown: never read in detail"), "{out}");
    let (code, out, _) = b.run(&["--offline", "show", &unread]);
    assert_eq!(code, 0);
    assert!(out.contains("unknown: its scopes were never read"), "{out}");
    let (code, out, _) = b.run(&["--offline", "show", &read]);
    assert_eq!(code, 0);
    assert!(
        out.contains("stats.read") && out.contains("scopes read"),
        "{out}"
    );
    let (code, _, err) = b.run(&["--offline", "show", &gone]);
    assert_eq!(code, 1);
    assert!(
        err.contains("gone") && err.contains("revoked by sgkeys"),
        "{err}"
    );

    let audit = b.json(&["--offline", "audit", "--format", "json"]);
    let keys = audit["keys"].as_array().unwrap();
    let k = |id: &str| keys.iter().find(|k| k["api_key_id"] == id).unwrap().clone();
    assert_eq!(k(&unread)["risk"], "unknown");
    assert_eq!(k(&unread)["scopes_known"], false);
    assert_eq!(k(&read)["scopes_known"], true);

    // it sends nothing, and refuses what it cannot answer
    let (code, _, err) = b.run(&["--offline", "create", "x", "--scope", "mail.send"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        b.sim.requests().len(),
        sent,
        "an offline answer sent a request"
    );
    // a context never read
    let (code, _, err) = b.run(&["--offline", "--on-behalf-of", "acme-transactional", "list"]);
    assert_eq!(code, 1);
    assert!(err.contains("never read acme-transactional"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_since_a_time_names_what_appeared_with_its_baseline() {
    let b = Bin::new().await;
    // no baseline yet: said, never "no changes"
    let (code, out, err) = b.run(&["audit", "--since", "1h"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("No baseline for the account"), "{err}");
    assert!(
        out.contains("where there is a baseline (none for the account"),
        "{out}"
    );
    // a baseline, then a time after it, then changes
    std::thread::sleep(Duration::from_millis(1100));
    let t = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    std::thread::sleep(Duration::from_millis(1100));
    b.sim.add_key(None, "appeared later", &["api_keys.create"]);
    let renamed = b.id_named("tmp-debug");
    assert_eq!(b.run(&["rename", &renamed, "tmp-debug (old)"]).0, 0);
    let (code, out, err) = b.run(&["audit", "--since", &t, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let docs: Vec<Value> = serde_json::Deserializer::from_str(&out)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect();
    let since = docs.iter().find(|d| d.get("changes").is_some()).unwrap();
    let added: Vec<&str> = since["changes"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(added, ["appeared later"]);
    assert_eq!(since["changes"]["renamed"][0]["to"], "tmp-debug (old)");
    assert!(
        since["baselines"][0]["complete_read_at"].is_string(),
        "{since}"
    );
    assert!(err.contains("Baseline for the account"), "{err}");
    // the file form is kept
    let report = b.dir.path().join("before.json");
    let report_s = report.display().to_string();
    assert_eq!(
        b.run(&["audit", "--format", "json", "--out", &report_s]).0,
        0
    );
    let (code, out, _) = b.run(&["audit", "--since", &report_s]);
    assert_eq!(code, 0);
    assert!(out.contains("No changes since"), "{out}");
    // neither a file nor a time
    let (code, _, err) = b.run(&["audit", "--since", "no-such-file.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("no such file, and not a time"), "{err}");
}
