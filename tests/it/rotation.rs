//! One rotation, driven by the CLI and by the dashboard alike, against the simulator and a
//! hostile stand-in: each key once, the same journal records from both fronts, every secret
//! delivered the moment it exists (through SIGINT, SIGTERM and SIGKILL, and a full disk), and
//! "pending" only when the replacement exists and its secret was delivered.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use sgkeys::journal::{Action, Entry, Journal};
use sgkeys::sim::SimConfig;

use crate::common::dash::Dash;
use crate::common::env::{Env, rotation_events, signal_when};
use crate::hostile::{Hostile, Reply, Seen, fake_key, id_of};

/// No controlling terminal (a secret that cannot be written has nowhere else to go).
fn detached(c: &mut std::process::Command) -> &mut std::process::Command {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            c.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
    }
    c
}

fn rotations(entries: &[Entry]) -> Vec<&Entry> {
    entries
        .iter()
        .filter(|e| e.action == Action::Rotate)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_id_given_twice_is_rotated_once() {
    let env = Env::new().await;
    let old = env.id_named("jenkins: nightly reports");
    let before = env.sim.keys(None).len();
    let lines = env.json_lines(&["rotate", "--yes", "--json", &old, &old, &format!(" {old}")]);
    assert_eq!(rotation_events(&lines, "created").len(), 1, "{lines:?}");
    assert_eq!(rotation_events(&lines, "result").len(), 1, "{lines:?}");
    // one replacement made, the old key revoked once
    assert_eq!(env.sim.keys(None).len(), before);
    assert_eq!((env.sent("POST", ""), env.sent("DELETE", "")), (1, 1));
    env.sim.shutdown().await;
}

/// Every field of two journal records but when, which run and which process wrote them, and
/// the endpoint (two simulators on two ports).
fn comparable(e: &Entry) -> Value {
    let mut v = serde_json::to_value(e).unwrap();
    for k in ["time", "op", "source", "base_url"] {
        v.as_object_mut().unwrap().remove(k);
    }
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dashboard_rotation_journals_what_the_cli_journals() {
    // two simulators alike: the same keys, the same ids for new keys
    let cli = Env::new().await;
    let dash_env = Env::new().await;
    let name = "jenkins: nightly reports";
    let old = cli.id_named(name);
    assert_eq!(old, dash_env.id_named(name));

    let (code, _, err) = cli.run(&["rotate", &old, "--yes"]);
    assert_eq!(code, 0, "{err}");

    let journal = Journal::new(dash_env.journal());
    let mut d = Dash::start(&dash_env.sim, &journal).await;
    d.select(name).await;
    d.press("R").await;
    d.press("<Enter>").await;
    // the secret dialog: copied, closed; then "deployed?": yes
    d.press("c<Esc>").await;
    d.press("y").await;
    let toast = d.app.toast.clone().map(|t| t.text).unwrap_or_default();
    assert!(toast.contains("verified gone"), "{toast}");
    d.stop().await;

    let a = Journal::new(cli.journal()).read_all().unwrap();
    let b = journal.read_all().unwrap();
    assert_eq!(a.len(), 2, "a rotate and a revoke: {a:?}");
    assert_eq!(b.len(), a.len(), "{b:?}");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(comparable(x), comparable(y));
        assert_eq!((x.source.as_str(), y.source.as_str()), ("cli", "tui"));
    }
    assert_eq!(a[0].secret_delivered, Some(true));
    assert_eq!(a[1].gone_on_read_back, Some(true));
    cli.sim.shutdown().await;
    dash_env.sim.shutdown().await;
}

/// The secrets a `--secrets-out` file holds, by key id (dotenv or JSON lines).
fn secrets_in(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let secret = match serde_json::from_str::<Value>(l) {
                Ok(v) => {
                    let s = v["api_key"].as_str().unwrap().to_owned();
                    assert_eq!(v["api_key_id"].as_str(), Some(&s[3..25]), "{l}");
                    s
                }
                Err(_) => l.split_once('=').unwrap().1.to_owned(),
            };
            (secret[3..25].to_owned(), secret)
        })
        .collect()
}

const NAMES: [&str; 6] = [
    "webhooks: event consumer",
    "webhooks: inbound parse router",
    "webhooks: full",
    "stats: category sums",
    "templates: editor",
    "suppressions: sync job",
];

/// Rotate six keys into `file`, and send `signal` once two secrets are delivered. Returns
/// the old ids, the exit status and stderr.
async fn interrupted(env: &Env, file: &Path, signal: i32) -> (Vec<String>, Option<i32>, String) {
    let olds: Vec<String> = NAMES.iter().map(|n| env.id_named(n)).collect();
    let mut args: Vec<String> = vec!["rotate".into(), "--yes".into(), "--secrets-out".into()];
    args.push(file.to_string_lossy().into_owned());
    args.extend(olds.iter().cloned());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut c = env.cmd(&argv);
    c.stderr(std::process::Stdio::piped());
    let child = detached(&mut c).spawn().unwrap();
    let journal = Journal::new(env.journal());
    let two_delivered = || {
        let entries = journal.read_all().unwrap_or_default();
        let delivered = entries
            .iter()
            .filter(|e| e.action == Action::Rotate && e.secret_delivered == Some(true));
        delivered.count() >= 2
    };
    let within = Duration::from_secs(30);
    let (code, stderr) =
        signal_when(child, signal, within, "no rotation happened", two_delivered).await;
    (olds, code, stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_bulk_rotation_keeps_every_secret_and_finish_completes_it() {
    for (signal, file) in [
        (libc::SIGINT, "int.env"),
        (libc::SIGTERM, "term.json"),
        (libc::SIGKILL, "kill.env"),
    ] {
        // each create waits, so the signal lands mid-run
        let env = Env::with(SimConfig {
            latency: Duration::from_millis(300),
            ..SimConfig::fast()
        })
        .await;
        let file = env.dir.path().join(file);
        let (olds, code, err) = interrupted(&env, &file, signal).await;
        let made = env.replacements();
        assert!(made.len() >= 2 && made.len() < 6, "{signal}: {made:?}");
        // every key made has its secret in the file, whole
        let secrets = secrets_in(&file);
        let ids: BTreeSet<&str> = secrets.iter().map(|(i, _)| i.as_str()).collect();
        for id in &made {
            assert!(
                ids.contains(id.as_str()),
                "{signal}: {id} not in the file: {err}"
            );
        }
        if signal == libc::SIGKILL {
            assert_eq!(code, None);
        } else {
            assert_eq!(code, Some(130), "{err}");
            assert!(err.contains("interrupted"), "{err}");
        }
        // nothing revoked before the question; each delivered one is pending, no other
        let left = env.ids();
        assert!(olds.iter().all(|o| left.contains(o)), "{signal}");
        let entries = Journal::new(env.journal()).read_all().unwrap();
        let pending = Journal::pending_rotations(&entries);
        assert_eq!(pending.len(), made.len(), "{signal}: {entries:?}");
        let (code, _, err) = env.run(&["rotate", "--finish", "--yes"]);
        assert_eq!(code, 0, "{err}");
        let left = env.ids();
        let gone = olds.iter().filter(|o| !left.contains(o)).count();
        assert_eq!(gone, made.len(), "exactly the replaced keys were revoked");
        env.sim.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_that_cannot_be_written_names_every_created_key_and_is_never_pending() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let env = Env::new().await;
    let a = env.id_named("webhooks: event consumer");
    let b = env.id_named("webhooks: full");
    let mut c = env.cmd(&["rotate", "--yes", "--secrets-out", "/dev/full", &a, &b]);
    c.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let out = detached(&mut c).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // the first create made a key; its secret could not be written: no second create
    let made = env.replacements();
    assert_eq!(made.len(), 1, "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(err.contains(&made[0]), "the created key is named: {err}");
    assert!(err.contains("LOST"), "{err}");
    // both old keys stay; the rotation is not pending, and --finish refuses it
    let ids = env.ids();
    assert!(ids.contains(&a) && ids.contains(&b));
    let entries = Journal::new(env.journal()).read_all().unwrap();
    assert!(Journal::pending_rotations(&entries).is_empty());
    assert_eq!(Journal::lost_rotations(&entries).len(), 1);
    let (code, _, err) = env.run(&["rotate", "--finish", "--yes"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&made[0]) && err.contains("rotate again"),
        "{err}"
    );
    assert!(env.ids().contains(&a));
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn finish_reads_the_replacement_back_and_keeps_the_old_key_when_it_is_gone() {
    let env = Env::new().await;
    let old = env.id_named("stats: category sums");
    let lines = env.json_lines(&["rotate", &old, "--later", "--json"]);
    let new = rotation_events(&lines, "created")[0]["new"]["api_key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // the replacement revoked elsewhere (another journal: the SendGrid app, a colleague)
    let out = env
        .cmd(&["revoke", &new, "--yes"])
        .env("SGKEYS_JOURNAL", env.dir.path().join("elsewhere.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let (code, _, err) = env.run(&["rotate", "--finish", &old, "--yes"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("the replacement {new} is gone")),
        "{err}"
    );
    assert!(
        env.ids().contains(&old),
        "the old key, maybe the only working one, is kept"
    );
    assert_eq!(env.sent("DELETE", &old), 0);
    env.sim.shutdown().await;
}

/// The binary against a stand-in at `url` (the caller is `fake_key(1)`): (exit code, stderr).
async fn hostile_run(dir: &Path, url: &str, args: &[&str]) -> (i32, String) {
    crate::common::env::stand_in_run(dir, url, args).await
}

/// A SendGrid holding `old`, whose create makes the key and then answers an HTML 500.
async fn create_answers_500_after_creating(old: &str) -> Hostile {
    let keys = std::sync::Arc::new(std::sync::Mutex::new(vec![
        (id_of(&fake_key(1)), "me".to_owned()),
        (old.to_owned(), "checkout".to_owned()),
    ]));
    Hostile::start(move |r: &Seen| {
        let mut k = keys.lock().unwrap();
        match r.method.as_str() {
            "POST" => {
                let name = crate::hostile::created_name(r);
                k.push((id_of(&fake_key(9)), name));
                Reply::html(500, "<html><title>500 Internal Server Error</title></html>")
            }
            _ => crate::hostile::keys::held(&mut k, r),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_answered_500_after_creating_is_secret_lost_and_finish_refuses_it() {
    let old = id_of(&fake_key(5));
    let server = create_answers_500_after_creating(&old).await;
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = hostile_run(dir.path(), &server.url(), &["rotate", &old, "--yes"]).await;
    let orphan = id_of(&fake_key(9));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("SECRET LOST") && err.contains(&orphan),
        "{err}"
    );
    assert_eq!(
        server.count("DELETE", "/v3/api_keys"),
        0,
        "the old key stays"
    );
    let entries = Journal::new(dir.path().join("journal.jsonl"))
        .read_all()
        .unwrap();
    let rot = rotations(&entries);
    assert_eq!(rot.len(), 1);
    assert_eq!(rot[0].api_key_id, orphan);
    assert_eq!(rot[0].secret_delivered, Some(false));
    assert!(Journal::pending_rotations(&entries).is_empty());
    // --finish refuses it, names the orphan, says to rotate again
    let (code, err) = hostile_run(
        dir.path(),
        &server.url(),
        &["rotate", "--finish", &old, "--yes"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&orphan) && err.contains("rotate again"),
        "{err}"
    );
    assert_eq!(server.count("DELETE", "/v3/api_keys"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_over_128_mib_is_read_whole() {
    let env = Env::new().await;
    // 130 MiB of lines that are no entries (each over the line cap: skipped, said), then a
    // pending rotation: the newest entry, which a reader stopping at 128 MiB never saw
    {
        use std::io::Write;
        let mut f = std::fs::File::create(env.journal()).unwrap();
        let junk = vec![b'x'; sgkeys::journal::read::MAX_LINE + 1];
        for _ in 0..130 {
            f.write_all(&junk).unwrap();
            f.write_all(b"\n").unwrap();
        }
    }
    let old = env.id_named("stats: category sums");
    let (code, _, err) = env.run(&["rotate", &old, "--later"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = env.run(&["journal", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{out}");
    assert!(err.contains("longer than 1024 KiB"), "{err}");
    assert!(
        err.contains("30 more lines skipped"),
        "the warnings are capped: {err}"
    );
    let (code, _, err) = env.run(&["rotate", "--finish", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("verified gone"), "{err}");
    assert!(!env.ids().contains(&old));
    env.sim.shutdown().await;
}
