//! The journal keeps the truth: a create whose answer is lost is read back; an unwritable
//! journal refuses before sending; an interrupted bulk revoke, a journal failing after the server
//! acted, a torn line; input files are size-capped.

use super::*;

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
