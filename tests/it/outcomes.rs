//! Every outcome sgkeys reports is true: the real binary against a hostile stand-in for
//! SendGrid (redirects, HTML 200s, lost answers, silence, an exhausted rate limit) and against
//! the simulator for interrupted bulk revokes. Each case checks what was printed, the exit code,
//! what the server received, and what the journal says.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::simulator::start;
use crate::hostile::keys::{html_404, sendgrid_404 as gone};
use crate::hostile::{Hostile, Reply, Seen, fake_key, id_of, key_json, list_json};
use serde_json::json;
use sgkeys::journal::{Journal, Outcome};

/// The binary, pointed at `url` with `key`, journaling into `dir`.
fn cmd(dir: &Path, url: &str, key: &str, args: &[&str]) -> Command {
    crate::common::env::bin_at(dir, url, key, args)
}

struct Run {
    code: i32,
    out: String,
    err: String,
    took: Duration,
}

async fn run(dir: &Path, url: &str, key: &str, args: &[&str]) -> Run {
    let mut c = cmd(dir, url, key, args);
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
    };
    assert!(
        !r.out.contains(&key[26..]) && !r.err.contains(&key[26..]),
        "the caller's key was printed"
    );
    r
}

fn journal(dir: &Path) -> Vec<sgkeys::journal::Entry> {
    Journal::new(dir.join("journal.jsonl")).read_all().unwrap()
}

fn caller() -> String {
    fake_key(1)
}

/// A SendGrid whose DELETE answers `delete`, and whose GET of the key answers `get`.
/// Before any DELETE, the GET shows the key (sgkeys reads it before revoking).
async fn origin(
    victim: &str,
    delete: impl Fn() -> Reply + Send + Sync + 'static,
    get: impl Fn() -> Reply + Send + Sync + 'static,
) -> Hostile {
    let v = victim.to_owned();
    let deleted = std::sync::atomic::AtomicBool::new(false);
    Hostile::start(move |r: &Seen| {
        let one = format!("/v3/api_keys/{v}");
        match (r.method.as_str(), r.path.as_str()) {
            ("DELETE", p) if p == one => {
                deleted.store(true, std::sync::atomic::Ordering::SeqCst);
                delete()
            }
            ("GET", p) if p == one && !deleted.load(std::sync::atomic::Ordering::SeqCst) => {
                Reply::json(200, key_json(&v, "leaky", &["mail.send"]))
            }
            ("GET", p) if p == one => get(),
            ("GET", p) if p.starts_with("/v3/api_keys") => {
                Reply::json(200, list_json(&[(&v, "leaky"), (&id_of(&caller()), "me")]))
            }
            _ => Reply::json(
                404,
                json!({"errors":[{"field":null,"message":"not found"}]}),
            ),
        }
    })
    .await
}

fn still_there(victim: &str) -> impl Fn() -> Reply + Send + Sync + 'static {
    let v = victim.to_owned();
    move || Reply::json(200, key_json(&v, "leaky", &["mail.send"]))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirected_delete_is_never_called_revoked_and_the_redirect_is_not_followed() {
    let victim = id_of(&fake_key(2));
    for status in [301u16, 302, 303, 307, 308] {
        let elsewhere = Hostile::start(|_: &Seen| Reply::empty(204)).await;
        let target = format!("{}/v3/api_keys/{victim}", elsewhere.url());
        let t = target.clone();
        let server = origin(
            &victim,
            move || Reply::redirect(status, &t),
            still_there(&victim),
        )
        .await;
        let dir = tempfile::tempdir().unwrap();
        let r = run(
            dir.path(),
            &server.url(),
            &caller(),
            &["revoke", &victim, "--yes"],
        )
        .await;
        assert_eq!(r.code, 1, "{status}: {}{}", r.out, r.err);
        assert!(!r.out.contains("revoked    "), "{status}: {}", r.out);
        assert!(r.out.contains("FAILED"), "{status}: {}", r.out);
        assert!(r.out.contains("NOT revoked"), "{status}: {}", r.out);
        assert!(r.out.contains(&target), "names the Location: {}", r.out);
        assert_eq!(elsewhere.requests().len(), 0, "the redirect was followed");
        assert_eq!(server.count("DELETE", "/v3/api_keys/"), 1, "not retried");
        let j = journal(dir.path());
        assert_eq!(j.len(), 1);
        assert_eq!(j[0].result(), Outcome::Failed);
        assert_eq!(j[0].status, Some(status));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_html_200_to_a_delete_is_read_back() {
    let victim = id_of(&fake_key(3));
    // the key is still there: not revoked
    let server = origin(
        &victim,
        || Reply::html(200, "<html><title>Welcome to the portal</title></html>"),
        still_there(&victim),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        dir.path(),
        &server.url(),
        &caller(),
        &["revoke", &victim, "--yes", "--json"],
    )
    .await;
    assert_eq!(r.code, 1, "{}{}", r.out, r.err);
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["results"][0]["status"], "failed");
    assert_eq!(journal(dir.path())[0].result(), Outcome::Failed);

    // the key is gone when read back: the revoke happened, and says how it is known
    let server = origin(
        &victim,
        || Reply::html(200, "<html><title>ok</title></html>"),
        gone,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        dir.path(),
        &server.url(),
        &caller(),
        &["revoke", &victim, "--yes", "--json"],
    )
    .await;
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["results"][0]["status"], "revoked");
    assert!(
        v["results"][0]["error"]
            .as_str()
            .unwrap()
            .contains("read back: the key is gone")
    );
    assert_eq!(journal(dir.path())[0].result(), Outcome::Ok);

    // the read-back fails too: unknown, never success
    let server = origin(
        &victim,
        || Reply::html(200, "<html>hi</html>"),
        || Reply::html(502, "<html><title>502</title></html>"),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        dir.path(),
        &server.url(),
        &caller(),
        &["--timeout", "2", "revoke", &victim, "--yes"],
    )
    .await;
    assert_eq!(r.code, 1);
    assert!(r.out.contains("UNKNOWN"), "{}", r.out);
    assert!(
        r.out.contains(&format!("sgkeys show {victim}")),
        "{}",
        r.out
    );
    assert_eq!(journal(dir.path())[0].result(), Outcome::Unknown);
}

/// A gateway's "404 Not Found" page in front of SendGrid.
#[tokio::test(flavor = "multi_thread")]
async fn an_html_404_to_a_delete_is_never_already_revoked() {
    let victim = id_of(&fake_key(4));
    // (the read-back, what revoke then says, exit code)
    type ReadBack = Box<dyn Fn() -> Reply + Send + Sync>;
    let cases: Vec<(ReadBack, &str, i32)> = vec![
        (Box::new(still_there(&victim)), "failed", 1),
        (Box::new(html_404), "unknown", 1),
        (Box::new(gone), "revoked", 0),
    ];
    for (get, status, code) in cases {
        let server = origin(&victim, html_404, get).await;
        let dir = tempfile::tempdir().unwrap();
        let r = run(
            dir.path(),
            &server.url(),
            &caller(),
            &["--timeout", "2", "revoke", &victim, "--yes", "--json"],
        )
        .await;
        assert_eq!(r.code, code, "{status}: {}{}", r.out, r.err);
        let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
        assert_eq!(v["results"][0]["status"], status, "{v}");
        assert_eq!(
            server.count("GET", &format!("/v3/api_keys/{victim}")),
            2,
            "read back"
        );
    }

    // rotate: the old key behind the page is never "revoked", nor "verified gone" by a page
    for page_on_delete in [true, false] {
        let old = victim.clone();
        let deleted = std::sync::atomic::AtomicBool::new(false);
        let server = Hostile::start(move |r: &Seen| {
            let one = format!("/v3/api_keys/{old}");
            let gone = deleted.load(std::sync::atomic::Ordering::SeqCst);
            match (r.method.as_str(), r.path.as_str()) {
                ("POST", "/v3/api_keys") => Reply::json(
                    201,
                    json!({"api_key": fake_key(5), "api_key_id": id_of(&fake_key(5)),
                           "name": "leaky (rotated)", "scopes": ["mail.send"]}),
                ),
                ("DELETE", p) if p == one => {
                    deleted.store(true, std::sync::atomic::Ordering::SeqCst);
                    if page_on_delete {
                        html_404()
                    } else {
                        Reply::empty(204)
                    }
                }
                ("GET", p) if p == one && gone && !page_on_delete => html_404(),
                ("GET", p) if p == one => Reply::json(200, key_json(&old, "leaky", &["mail.send"])),
                ("GET", p) if p.starts_with("/v3/api_keys/") => Reply::json(
                    200,
                    key_json(&id_of(&fake_key(5)), "leaky (rotated)", &["mail.send"]),
                ),
                ("GET", p) if p.starts_with("/v3/api_keys") => {
                    Reply::json(200, list_json(&[(&old, "leaky")]))
                }
                ("GET", "/v3/scopes") => Reply::json(200, json!({"scopes": ["api_keys.create"]})),
                _ => Reply::json(
                    404,
                    json!({"errors":[{"field":null,"message":"not found"}]}),
                ),
            }
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let r = run(
            dir.path(),
            &server.url(),
            &caller(),
            &["rotate", &victim, "--yes"],
        )
        .await;
        let said = format!("{}{}", r.out, r.err);
        assert!(!said.contains("verified gone"), "{page_on_delete}: {said}");
        if page_on_delete {
            assert_ne!(r.code, 0, "{said}");
            assert!(!said.contains("old key revoked"), "{said}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_list_answered_by_a_redirect_names_the_location() {
    let server = Hostile::start(|_: &Seen| {
        Reply::redirect(302, "https://login.example.invalid/portal?next=%2Fv3")
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &server.url(), &caller(), &["list"]).await;
    assert_eq!(r.code, 1);
    assert!(
        r.err
            .contains("302 redirect to https://login.example.invalid/portal"),
        "{}",
        r.err
    );
    assert!(r.out.is_empty(), "no keys from another origin: {}", r.out);
}

/// A SendGrid that creates the key, then loses the answer with `lost`.
async fn lossy_create(lost: Reply) -> (Hostile, Arc<Mutex<Vec<(String, String)>>>) {
    let keys = Arc::new(Mutex::new(vec![(id_of(&caller()), "me".to_owned())]));
    let k = Arc::clone(&keys);
    let server = Hostile::start(move |r: &Seen| match r.method.as_str() {
        "POST" => {
            let name = serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["name"]
                .as_str()
                .unwrap()
                .to_owned();
            k.lock().unwrap().push((id_of(&fake_key(9)), name));
            lost.clone()
        }
        _ => {
            let all = k.lock().unwrap().clone();
            let pairs: Vec<(&str, &str)> =
                all.iter().map(|(i, n)| (i.as_str(), n.as_str())).collect();
            Reply::json(200, list_json(&pairs))
        }
    })
    .await;
    (server, keys)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_whose_answer_is_lost_is_found_by_reading_back() {
    let new_id = id_of(&fake_key(9));
    for lost in [
        Reply::html(500, "<html><title>500 Internal Server Error</title></html>"),
        Reply::json(201, json!({"api_key": "SG.tru"})),
        Reply::Truncated {
            status: 201,
            declared: 400,
            body: b"{\"api_key\":\"SG.".to_vec(),
        },
    ] {
        let (server, _) = lossy_create(lost).await;
        let dir = tempfile::tempdir().unwrap();
        let r = run(
            dir.path(),
            &server.url(),
            &caller(),
            &["create", "ci deploy", "--scope", "mail.send"],
        )
        .await;
        assert_eq!(r.code, 1, "{}{}", r.out, r.err);
        assert!(r.err.contains(&format!("created as {new_id}")), "{}", r.err);
        assert!(r.err.contains("cannot be recovered"), "{}", r.err);
        assert!(r.err.contains(&format!("revoke {new_id}")), "{}", r.err);
        assert_eq!(server.count("POST", "/v3/api_keys"), 1, "never retried");
        let j = journal(dir.path());
        assert_eq!(j.len(), 1);
        assert_eq!(j[0].result(), Outcome::Ok, "the journal agrees: created");
        assert_eq!(j[0].api_key_id, new_id);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unwritable_journal_refuses_before_sending() {
    let victim = id_of(&fake_key(4));
    let server = origin(&victim, || Reply::empty(204), still_there(&victim)).await;
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let mut targets: Vec<PathBuf> = vec![ro.join("sub").join("journal.jsonl")];
    if Path::new("/dev/full").exists() {
        targets.push("/dev/full".into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).unwrap();
    }
    let root = unsafe_is_root();
    for j in targets {
        if root && j.starts_with(&ro) {
            continue; // root writes through a read-only directory's mode
        }
        for args in [
            vec!["revoke", victim.as_str(), "--yes"],
            vec!["create", "x", "--scope", "mail.send"],
            vec!["rename", victim.as_str(), "new name"],
        ] {
            let mut c = cmd(dir.path(), &server.url(), &caller(), &args);
            c.env("SGKEYS_JOURNAL", &j);
            let out = c.output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?} {j:?}: {err}");
            assert!(err.contains("not sent"), "{err}");
            assert!(err.contains("journal"), "{err}");
        }
        assert_eq!(server.count("DELETE", "/"), 0);
        assert_eq!(server.count("POST", "/"), 0);
        assert_eq!(server.count("PATCH", "/"), 0);
    }
}

/// Whether the tests run as root (CI does): file modes do not stop root.
fn unsafe_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_callers_own_key_is_revoked_last() {
    let me = id_of(&caller());
    let others: Vec<String> = (10..16).map(|i| id_of(&fake_key(i))).collect();
    let answered = Arc::new(Mutex::new(Vec::<(String, Instant)>::new()));
    let seen = Arc::clone(&answered);
    let all: Vec<(String, String)> = std::iter::once((me.clone(), "sgkeys admin".to_owned()))
        .chain(others.iter().map(|i| (i.clone(), format!("full {i}"))))
        .collect();
    let server = Hostile::start(move |r: &Seen| {
        let id = r.path.trim_start_matches("/v3/api_keys/").to_owned();
        match r.method.as_str() {
            "DELETE" => {
                seen.lock().unwrap().push((id, Instant::now()));
                Reply::Slow(Duration::from_millis(300), Box::new(Reply::empty(204)))
            }
            "GET" if r.path.starts_with("/v3/api_keys/") => Reply::json(
                200,
                key_json(&id, &format!("full {id}"), &["api_keys.delete"]),
            ),
            _ => {
                let pairs: Vec<(&str, &str)> =
                    all.iter().map(|(i, n)| (i.as_str(), n.as_str())).collect();
                Reply::json(200, list_json(&pairs))
            }
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    // the caller's key is named first
    let mut args = vec!["revoke", me.as_str()];
    args.extend(others.iter().map(String::as_str));
    args.push("--yes");
    let r = run(dir.path(), &server.url(), &caller(), &args).await;
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.err.contains("revoked last"), "said before: {}", r.err);
    let order = answered.lock().unwrap().clone();
    assert_eq!(order.len(), 7);
    assert_eq!(order[6].0, me, "the key in use went last: {order:?}");
    // and only after every other answer (each took 300 ms)
    let others_sent = order[5].1;
    assert!(order[6].1 >= others_sent + Duration::from_millis(280));
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_hangs_past_the_timeout() {
    // a server that never answers: one deadline covers every retry
    let silent = Hostile::start(|_: &Seen| Reply::Silent).await;
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        dir.path(),
        &silent.url(),
        &caller(),
        &["--timeout", "1", "list"],
    )
    .await;
    assert_eq!(r.code, 1);
    assert!(r.took < Duration::from_secs(2), "took {:?}", r.took);
    assert!(r.err.contains("timeout"), "{}", r.err);

    // a 200 that says the rate limit is spent for 100 000 s: fail at once, saying why
    let keys = [(id_of(&fake_key(20)), "a"), (id_of(&fake_key(21)), "b")];
    let far = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 100_000)
        .to_string();
    let listed: Vec<(String, String)> = keys
        .iter()
        .map(|(i, n)| (i.clone(), n.to_string()))
        .collect();
    let spent = Hostile::start(move |r: &Seen| {
        let pairs: Vec<(&str, &str)> = listed
            .iter()
            .map(|(i, n)| (i.as_str(), n.as_str()))
            .collect();
        let body = if r.path.starts_with("/v3/api_keys/") {
            key_json(
                r.path.trim_start_matches("/v3/api_keys/"),
                "a",
                &["mail.send"],
            )
        } else {
            list_json(&pairs)
        };
        Reply::json(200, body)
            .with_header("X-RateLimit-Remaining", "0")
            .with_header("X-RateLimit-Reset", &far)
    })
    .await;
    let r = run(
        dir.path(),
        &spent.url(),
        &caller(),
        &["--timeout", "1", "list", "--scopes"],
    )
    .await;
    assert!(r.took < Duration::from_secs(2), "took {:?}", r.took);
    assert!(r.err.contains("rate limit"), "{}{}", r.out, r.err);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_get_answered_with_another_keys_id_is_an_error() {
    let asked = id_of(&fake_key(30));
    let server = Hostile::start(|_: &Seen| {
        Reply::json(
            200,
            key_json(&id_of(&fake_key(31)), "other", &["mail.send"]),
        )
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &server.url(), &caller(), &["show", &asked]).await;
    assert_eq!(r.code, 1, "{}{}", r.out, r.err);
    assert!(r.err.contains("another key"), "{}", r.err);
}

#[test]
fn a_torn_journal_line_does_not_break_the_journal_command() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("journal.jsonl");
    let good = r#"{"time":"2026-11-28T01:00:00Z","base_url":"http://x","action":"revoke","api_key_id":"abc","status":204,"ok":true,"source":"cli"}"#;
    let intent = r#"{"time":"2026-11-28T01:00:01Z","op":"1-a","phase":"intent","base_url":"http://x","action":"revoke","api_key_id":"def","name":"ci","ok":false,"source":"cli"}"#;
    std::fs::write(&p, format!("{good}\n{intent}\n{{\"time\":\"2026-1")).unwrap();
    let out = cmd(dir.path(), "http://127.0.0.1:9", &caller(), &["journal"])
        .output()
        .unwrap();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{o}{e}");
    assert!(o.contains("abc") && o.contains("ok 204"), "{o}");
    assert!(o.contains("UNKNOWN: check"), "{o}");
    assert!(e.contains("line 3: skipped"), "{e}");
    assert!(
        e.contains("show def"),
        "offers the command that resolves it: {e}"
    );
}

/// A bulk revoke of 60 keys at 400 ms latency, interrupted once some DELETEs are under way.
async fn interrupted_bulk_revoke(
    signal: &str,
) -> (Vec<String>, Vec<sgkeys::journal::Entry>, i32, String) {
    let sim = start(sgkeys::sim::SimConfig {
        seed: sgkeys::sim::Seed::Bulk(60),
        latency: Duration::from_millis(400),
        ..sgkeys::sim::SimConfig::fast()
    })
    .await;
    let admin = sim.admin_key().expose().to_owned();
    let admin_id = id_of(&admin);
    let before: Vec<String> = sim
        .keys(None)
        .into_iter()
        .map(|k| k.api_key_id.0)
        .filter(|i| *i != admin_id)
        .collect();
    assert_eq!(before.len(), 60);
    let dir = tempfile::tempdir().unwrap();
    // ids may start with '-': after `--` they are never taken for flags
    let mut args = vec!["--concurrency", "16", "revoke", "--yes", "--"];
    args.extend(before.iter().map(String::as_str));
    let mut child = cmd(dir.path(), &sim.base_url(), &admin, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // wait until a first wave of DELETEs (16 at a time) is answered and more are under way
    let started = Instant::now();
    while sim.mutating_requests() < 20 {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "no DELETE sent: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    // let any request that was in flight land
    tokio::time::sleep(Duration::from_millis(600)).await;
    let after: std::collections::HashSet<String> =
        sim.keys(None).into_iter().map(|k| k.api_key_id.0).collect();
    let revoked: Vec<String> = before.into_iter().filter(|i| !after.contains(i)).collect();
    let out_text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (
        revoked,
        journal(dir.path()),
        out.status.code().unwrap_or(-1),
        out_text,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_bulk_revoke_leaves_every_revoked_key_in_the_journal() {
    // SIGKILL: nothing runs after it; the intents written before each DELETE name every key
    let (revoked, j, code, _) = interrupted_bulk_revoke("-KILL").await;
    assert_eq!(code, -1, "killed");
    assert!(
        !revoked.is_empty() && revoked.len() < 60,
        "{}",
        revoked.len()
    );
    for id in &revoked {
        assert!(
            j.iter().any(|e| &e.api_key_id == id),
            "revoked key {id} is not in the journal"
        );
    }
    eprintln!(
        "SIGKILL: {} revoked, {} named in the journal, {} without an outcome",
        revoked.len(),
        j.len(),
        j.iter().filter(|e| e.unresolved()).count()
    );

    // SIGINT: no new request starts; those under way finish and are recorded with their outcome
    let (revoked, j, code, text) = interrupted_bulk_revoke("-INT").await;
    assert_eq!(code, 130, "{text}");
    assert!(
        !revoked.is_empty() && revoked.len() < 60,
        "{}",
        revoked.len()
    );
    assert!(text.contains("NOT SENT"), "{text}");
    for id in &revoked {
        let e = j
            .iter()
            .find(|e| &e.api_key_id == id)
            .unwrap_or_else(|| panic!("revoked key {id} is not in the journal"));
        assert_eq!(e.result(), Outcome::Ok, "{e:?}");
    }
    assert!(j.iter().all(|e| !e.unresolved()), "every outcome recorded");
    assert_eq!(
        j.iter().filter(|e| e.result() == Outcome::Ok).count(),
        revoked.len(),
        "the journal says revoked exactly for the keys that are gone"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_that_fails_after_the_server_acted_never_loses_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let jpath = dir.path().join("journal.jsonl");
    let new_key = fake_key(40);
    let (nk, jp) = (new_key.clone(), jpath.clone());
    let server = Hostile::start(move |r: &Seen| match r.method.as_str() {
        "POST" => {
            // the disk "fills" between the intent and the outcome: the journal becomes unwritable
            let _ = std::fs::remove_file(&jp);
            let _ = std::fs::create_dir(&jp);
            Reply::json(
                201,
                json!({"api_key": nk, "api_key_id": id_of(&nk), "name": "ci", "scopes": ["mail.send"]}),
            )
        }
        _ => Reply::json(200, list_json(&[])),
    })
    .await;
    let r = run(
        dir.path(),
        &server.url(),
        &caller(),
        &["create", "ci", "--scope", "mail.send"],
    )
    .await;
    assert_eq!(r.code, 0, "created: {}{}", r.out, r.err);
    assert_eq!(r.out.trim(), new_key, "the secret is printed");
    assert!(
        r.err.contains("could not be recorded in the journal"),
        "{}",
        r.err
    );
}

#[test]
fn policy_and_since_files_are_size_capped() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["--policy", "--since"] {
        let started = Instant::now();
        let out = cmd(
            dir.path(),
            "http://127.0.0.1:9",
            &caller(),
            &["audit", flag, "/dev/zero"],
        )
        .output()
        .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert!(err.contains("larger than"), "{flag}: {err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}

/// How the stand-in of [`bent`] bends its answers.
#[derive(Clone, Default)]
struct Bend {
    /// A key whose GET answers an HTML 500, always.
    broken: Option<String>,
    /// Answer creates and renames with this name, not the one asked.
    name: Option<String>,
    /// Answer creates and scope changes with these scopes, not the ones asked.
    scopes: Option<Vec<String>>,
}

/// A small SendGrid holding `keys` (id, name, scopes) whose answers are bent by `bend`; it
/// stores what it answers.
async fn bent(keys: Vec<(String, String, Vec<String>)>, bend: Bend) -> Hostile {
    let keys = Arc::new(Mutex::new(keys));
    let made = std::sync::atomic::AtomicU8::new(40);
    Hostile::start(move |r: &Seen| {
        let mut k = keys.lock().unwrap();
        let one = r.path.strip_prefix("/v3/api_keys/").map(str::to_owned);
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
        let asked = |f: &str| -> Vec<String> {
            body[f]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let name = bend
            .name
            .clone()
            .unwrap_or_else(|| body["name"].as_str().unwrap_or_default().to_owned());
        let scopes = bend.scopes.clone().unwrap_or_else(|| asked("scopes"));
        let missing = || {
            Reply::json(
                404,
                json!({"errors":[{"field":null,"message":"not found"}]}),
            )
        };
        match (r.method.as_str(), one) {
            ("GET", Some(id)) if bend.broken.as_deref() == Some(id.as_str()) => {
                Reply::html(500, "<html><title>500 Internal Server Error</title></html>")
            }
            ("GET", Some(id)) => match k.iter().find(|(i, _, _)| *i == id) {
                Some((i, n, s)) => {
                    let s: Vec<&str> = s.iter().map(String::as_str).collect();
                    Reply::json(200, key_json(i, n, &s))
                }
                None => missing(),
            },
            ("POST", _) => {
                let secret = fake_key(made.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
                let id = id_of(&secret);
                k.push((id.clone(), name.clone(), scopes.clone()));
                Reply::json(
                    201,
                    json!({"api_key": secret, "api_key_id": id, "name": name, "scopes": scopes}),
                )
            }
            ("PATCH", Some(id)) => match k.iter_mut().find(|(i, _, _)| *i == id) {
                Some(key) => {
                    key.1 = name.clone();
                    Reply::json(200, json!({"api_key_id": id, "name": name}))
                }
                None => missing(),
            },
            ("PUT", Some(id)) => match k.iter_mut().find(|(i, _, _)| *i == id) {
                Some(key) => {
                    key.2 = scopes.clone();
                    Reply::json(
                        200,
                        json!({"api_key_id": id, "name": key.1, "scopes": scopes}),
                    )
                }
                None => missing(),
            },
            ("DELETE", Some(id)) => {
                let before = k.len();
                k.retain(|(i, _, _)| *i != id);
                if k.len() < before {
                    Reply::empty(204)
                } else {
                    missing()
                }
            }
            _ => {
                let pairs: Vec<(&str, &str)> =
                    k.iter().map(|(i, n, _)| (i.as_str(), n.as_str())).collect();
                Reply::json(200, list_json(&pairs))
            }
        }
    })
    .await
}

/// A SendGrid whose clock is `skew` seconds off ours and whose rate limit it enforces by its
/// own clock: `limit` requests per one-second window, a 429 beyond; every answer carries its
/// `Date` and `X-RateLimit-*`. `keys` keys. Returns the server and its count of 429s.
async fn skewed_origin(
    skew: f64,
    limit: u64,
    keys: usize,
) -> (Hostile, Arc<std::sync::atomic::AtomicUsize>) {
    let listed: Vec<(String, String)> = (0..keys)
        .map(|i| (id_of(&fake_key(100 + i as u8)), format!("key {i}")))
        .collect();
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let refused_in = Arc::clone(&refused);
    let window = Mutex::new((0u64, 0u64)); // (server second, requests counted in it)
    let server = Hostile::start(move |r: &Seen| {
        let server_now = crate::hostile::now_f64() + skew;
        let second = server_now.floor() as u64;
        let used = {
            let mut w = window.lock().unwrap();
            if w.0 != second {
                *w = (second, 0);
            }
            w.1 += 1;
            w.1
        };
        let reply = if used > limit {
            refused_in.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Reply::json(
                429,
                json!({"errors":[{"field":null,"message":"too many requests"}]}),
            )
        } else if let Some(id) = r.path.strip_prefix("/v3/api_keys/") {
            Reply::json(200, key_json(id, "k", &["mail.send"]))
        } else {
            let pairs: Vec<(&str, &str)> = listed
                .iter()
                .map(|(i, n)| (i.as_str(), n.as_str()))
                .collect();
            Reply::json(200, list_json(&pairs))
        };
        reply
            .with_header("Date", &crate::hostile::http_date(server_now))
            .with_header("X-RateLimit-Limit", &limit.to_string())
            .with_header(
                "X-RateLimit-Remaining",
                &limit.saturating_sub(used).to_string(),
            )
            .with_header("X-RateLimit-Reset", &(second + 1).to_string())
    })
    .await;
    (server, refused)
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_windows_are_timed_by_the_servers_clock_ten_minutes_off_ours() {
    // Before: with the server 10 min ahead, a spent window "reset in 601 s" (refused at once);
    // 10 min behind, every reset had passed by our clock and the client sent into 429s or
    // waited for windows that never came.
    for skew in [600.0, -600.0] {
        let (server, refused) = skewed_origin(skew, 8, 20).await;
        let dir = tempfile::tempdir().unwrap();
        let r = run(
            dir.path(),
            &server.url(),
            &caller(),
            &["--json", "--timeout", "10", "list", "--scopes"],
        )
        .await;
        assert_eq!(r.code, 0, "skew {skew}: {}", r.err);
        let listed: Vec<serde_json::Value> = serde_json::from_str(&r.out).unwrap();
        assert_eq!(listed.len(), 20, "skew {skew}");
        assert_eq!(
            refused.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "skew {skew}: no request sent into a spent window"
        );
        // 21 requests at 8 per window: three windows, not ten minutes
        assert!(r.took < Duration::from_secs(8), "skew {skew}: {:?}", r.took);
    }
}

/// A SendGrid whose every answer carries these rate-limit headers.
async fn rate_headers_origin(limit: &'static str, remaining: &'static str, reset: u64) -> Hostile {
    let keys: Vec<(String, String)> = (0..12)
        .map(|i| (id_of(&fake_key(150 + i)), format!("key {i}")))
        .collect();
    Hostile::start(move |r: &Seen| {
        let body = match r.path.strip_prefix("/v3/api_keys/") {
            Some(id) => key_json(id, "k", &["mail.send"]),
            None => list_json(
                &keys
                    .iter()
                    .map(|(i, n)| (i.as_str(), n.as_str()))
                    .collect::<Vec<_>>(),
            ),
        };
        Reply::json(200, body)
            .with_header(
                "Date",
                &crate::hostile::http_date(crate::hostile::now_f64()),
            )
            .with_header("X-RateLimit-Limit", limit)
            .with_header("X-RateLimit-Remaining", remaining)
            .with_header("X-RateLimit-Reset", &reset.to_string())
    })
    .await
}

fn own_key() -> (String, String, Vec<String>) {
    (
        id_of(&caller()),
        "me".into(),
        vec!["api_keys.read".into(), "api_keys.create".into()],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_answered_otherwise_than_asked_is_said_and_journaled_as_answered() {
    let victim = id_of(&fake_key(30));
    let keys = vec![
        own_key(),
        (victim.clone(), "web".into(), vec!["mail.send".into()]),
    ];
    let bend = Bend {
        name: Some("web (renamed by a proxy)".into()),
        scopes: Some(vec!["mail.send".into(), "stats.read".into()]),
        ..Bend::default()
    };
    let server = bent(keys, bend).await;
    let dir = tempfile::tempdir().unwrap();
    let url = server.url();
    let r = run(
        dir.path(),
        &url,
        &caller(),
        &["create", "ci", "--scope", "mail.send"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.err
            .contains("answered the name 'web (renamed by a proxy)', not 'ci' as asked"),
        "{}",
        r.err
    );
    assert!(r.err.contains("with stats.read not asked"), "{}", r.err);
    let r = run(dir.path(), &url, &caller(), &["rename", &victim, "web 2"]).await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.err.contains("not 'web 2' as asked"), "{}", r.err);
    let r = run(
        dir.path(),
        &url,
        &caller(),
        &["set-scopes", &victim, "mail.send", "alerts.read"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.err
            .contains("other scopes than asked: without alerts.read; with stats.read not asked"),
        "{}",
        r.err
    );
    // the change printed is the one made
    assert!(
        r.out.contains("+ stats.read") && !r.out.contains("alerts.read"),
        "{}",
        r.out
    );
    // the journal records what the server answered
    let j = journal(dir.path());
    assert_eq!(j.len(), 3);
    assert_eq!(j[0].name.as_deref(), Some("web (renamed by a proxy)"));
    assert_eq!(
        j[0].scopes_after.as_deref(),
        Some(&["mail.send".to_owned(), "stats.read".to_owned()][..])
    );
    assert_eq!(j[1].name.as_deref(), Some("web (renamed by a proxy)"));
    assert_eq!(
        j[2].scopes_after.as_deref(),
        Some(&["mail.send".to_owned(), "stats.read".to_owned()][..])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn filter_commands_name_the_keys_they_could_not_read_and_exit_1() {
    let (a, b, c) = (
        id_of(&fake_key(31)),
        id_of(&fake_key(32)),
        id_of(&fake_key(33)),
    );
    let keys = vec![
        own_key(),
        (a.clone(), "mailer a".into(), vec!["mail.send".into()]),
        (b.clone(), "mailer b".into(), vec!["mail.send".into()]),
        (c.clone(), "mailer c".into(), vec!["mail.send".into()]),
    ];
    let bend = Bend {
        broken: Some(b.clone()),
        ..Bend::default()
    };
    let server = bent(keys, bend).await;
    let dir = tempfile::tempdir().unwrap();
    let url = server.url();
    let filter = [
        "--timeout",
        "3",
        "rotate",
        "--filter",
        "scope:mail.send",
        "--yes",
    ];
    let r = run(dir.path(), &url, &caller(), &filter).await;
    assert_eq!(r.code, 1, "{}{}", r.out, r.err);
    assert!(r.err.contains("1 key could not be read"), "{}", r.err);
    assert!(r.err.contains(&b), "the unread key is named: {}", r.err);
    // the others were rotated, their old keys revoked
    assert_eq!(server.count("POST", "/v3/api_keys"), 2);
    assert_eq!(server.count("DELETE", &format!("/v3/api_keys/{a}")), 1);
    assert_eq!(server.count("DELETE", &format!("/v3/api_keys/{b}")), 0);
    let r = run(
        dir.path(),
        &url,
        &caller(),
        &[
            "--timeout",
            "3",
            "--json",
            "revoke",
            "--filter",
            "scope:mail.send",
            "--yes",
        ],
    )
    .await;
    assert_eq!(r.code, 1, "{}{}", r.out, r.err);
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    let unread: Vec<&serde_json::Value> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["status"] == "unreadable")
        .collect();
    assert_eq!(unread.len(), 1, "{v}");
    assert_eq!(unread[0]["api_key_id"], b.as_str());
    assert_eq!(server.count("DELETE", &format!("/v3/api_keys/{b}")), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limit_of_zero_or_a_spent_window_already_reset_never_outlives_the_timeout() {
    // Before: `list --scopes --timeout 5` was still waiting after 30 s, 11 requests in.
    let past = crate::hostile::now_f64() as u64 - 120;
    let future = crate::hostile::now_f64() as u64 + 30;
    for (limit, remaining, reset) in [("0", "0", future), ("0", "0", past), ("600", "0", past)] {
        let server = rate_headers_origin(limit, remaining, reset).await;
        let dir = tempfile::tempdir().unwrap();
        let r = run(
            dir.path(),
            &server.url(),
            &caller(),
            &["--json", "--timeout", "5", "list", "--scopes"],
        )
        .await;
        let case = format!("Limit {limit}, Remaining {remaining}, reset {reset}");
        assert!(r.took < Duration::from_secs(5), "{case}: took {:?}", r.took);
        // a window nobody named is waited for once: then every key is read
        assert_eq!(r.code, 0, "{case}: {}", r.err);
        let listed: Vec<serde_json::Value> = serde_json::from_str(&r.out).unwrap();
        assert_eq!(listed.len(), 12, "{case}");
        assert_eq!(
            server.count("GET", "/v3/api_keys"),
            13,
            "{case}: no request repeated"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_451_behind_a_custom_base_url_names_eu_base_url_not_region() {
    // Before: "use the subuser's region, e.g. --region eu", which a simulator or proxy cannot use.
    let sim = crate::common::simulator::fast().await;
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        dir.path(),
        &sim.base_url(),
        sim.admin_key().expose(),
        &["--on-behalf-of", "acme-eu-marketing", "list"],
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(r.err.contains("451"), "{}", r.err);
    assert!(
        r.err.contains("hint:") && r.err.contains("--eu-base-url URL"),
        "{}",
        r.err
    );
    assert!(!r.err.contains("--region eu"), "{}", r.err);
    // with it, the EU subuser's calls go to the EU host
    let r = run(
        dir.path(),
        &sim.base_url(),
        sim.admin_key().expose(),
        &[
            "--eu-base-url",
            &sim.eu_base_url(),
            "--on-behalf-of",
            "acme-eu-marketing",
            "list",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_audit_with_keys_it_could_not_read_says_n_of_n_and_claims_nothing_it_cannot_back() {
    // Before: 95 keys read of 100 listed: "95 keys: …; risk: …" and "95/100 keys: close to
    // SendGrid's limit" about an account of 100 keys.
    let listed: Vec<(String, String)> = (0..100u8)
        .map(|i| (id_of(&fake_key(i)), format!("svc {i}")))
        .collect();
    let refused: Vec<String> = listed.iter().take(5).map(|(i, _)| i.clone()).collect();
    let keys = listed.clone();
    let server = Hostile::start(move |r: &Seen| match r.path.strip_prefix("/v3/api_keys/") {
        Some(id) if refused.iter().any(|x| x == id) => Reply::json(
            403,
            json!({"errors":[{"field":null,"message":"access forbidden"}]}),
        ),
        Some(id) => Reply::json(200, key_json(id, "svc", &["mail.send", "2fa_required"])),
        None => Reply::json(
            200,
            list_json(
                &keys
                    .iter()
                    .map(|(i, n)| (i.as_str(), n.as_str()))
                    .collect::<Vec<_>>(),
            ),
        ),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &server.url(), &caller(), &["audit"]).await;
    assert_eq!(r.code, 1, "incomplete: {}", r.err);
    assert!(
        r.out
            .contains("95 of 100 keys read: 0 Full, 95 Custom, 0 Billing; risk among the 95 read"),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains("(account): 100/100 keys: no new key can be created"),
        "{}",
        r.out
    );
    assert!(!r.out.contains("close to SendGrid's limit"), "{}", r.out);
    assert_eq!(r.out.matches("NOT READ ").count(), 5, "{}", r.out);
    assert!(
        r.err
            .contains("the audit is incomplete: 95 of 100 keys read"),
        "{}",
        r.err
    );

    let r = run(
        dir.path(),
        &server.url(),
        &caller(),
        &["audit", "--format", "json"],
    )
    .await;
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v["contexts"][0]["keys"], 95, "read in full");
    assert_eq!(v["contexts"][0]["listed"], 100);
    assert_eq!(v["contexts"][0]["unread"], 5);
    assert_eq!(
        v["keys"].as_array().unwrap().len(),
        100,
        "every listed key, read or not"
    );
    let unread: Vec<&serde_json::Value> = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k.get("error").is_some())
        .collect();
    assert_eq!(unread.len(), 5);
    assert!(
        unread
            .iter()
            .all(|k| k["type"] == "unknown" && k["risk"] == "unknown")
    );
    // the JSON names every key it could not read on stderr as well
    assert_eq!(r.err.matches("access forbidden").count(), 5, "{}", r.err);

    let r = run(
        dir.path(),
        &server.url(),
        &caller(),
        &["audit", "--format", "html"],
    )
    .await;
    assert!(r.out.contains("data-count=\"unread\">5<"), "html summary");
    assert!(
        r.out
            .contains("5 of the 100 keys of (account) could not be read")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_without_scopes_is_scopes_unknown_never_no_access() {
    // Prism serving the official spec answers GET-one with the wrapped shape and no scopes.
    // Before: `show` said "Custom (0 scopes)" and "(25 more categories: No Access)"; `list
    // --scopes` said "0" and "no scopes".
    let ids = [id_of(&fake_key(60)), id_of(&fake_key(61))];
    let listed = ids.clone();
    let server = Hostile::start(move |r: &Seen| match r.path.strip_prefix("/v3/api_keys/") {
        Some(id) => Reply::json(
            200,
            json!({"result":[{"api_key_id": id, "name": "Mail Send"}]}),
        ),
        None => Reply::json(
            200,
            list_json(&[(listed[0].as_str(), "a"), (listed[1].as_str(), "b")]),
        ),
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &server.url(), &caller(), &["show", &ids[0]]).await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("Type     unknown"), "{}", r.out);
    assert!(
        !r.out.contains("No Access") && !r.out.contains("0 scopes"),
        "{}",
        r.out
    );
    let r = run(
        dir.path(),
        &server.url(),
        &caller(),
        &["--json", "show", &ids[0]],
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(
        (&v["type"], &v["scopes_known"]),
        (&json!("unknown"), &json!(false))
    );

    let r = run(dir.path(), &server.url(), &caller(), &["list", "--scopes"]).await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(r.out.matches("scopes unknown").count(), 2, "{}", r.out);
    assert!(!r.out.contains("no scopes"), "{}", r.out);
    assert!(r.err.contains("2 with scopes unknown"), "{}", r.err);
    let r = run(
        dir.path(),
        &server.url(),
        &caller(),
        &["--json", "list", "--scopes"],
    )
    .await;
    let v: Vec<serde_json::Value> = serde_json::from_str(&r.out).unwrap();
    assert!(
        v.iter()
            .all(|k| k["type"] == "unknown" && k["scopes_known"] == false)
    );
}
