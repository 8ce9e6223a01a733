//! Revokes answered otherwise than SendGrid answers: a redirect, an HTML 200, a gateway's
//! HTML 404; a list answered by a redirect; the caller's own key revoked last.

use super::*;

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
    let (dir, r, v) = revoke_json(&server, &victim).await;
    assert_eq!(r.code, 1, "{}{}", r.out, r.err);
    assert_eq!(v["results"][0]["status"], "failed");
    assert_eq!(journal(dir.path())[0].result(), Outcome::Failed);

    // the key is gone when read back: the revoke happened, and says how it is known
    let server = origin(
        &victim,
        || Reply::html(200, "<html><title>ok</title></html>"),
        gone,
    )
    .await;
    let (dir, r, v) = revoke_json(&server, &victim).await;
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
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
async fn a_delete_slower_than_the_reads_is_waited_for_not_sent_again() {
    // reads answer at once (the median is ~1 ms); the revoke takes 1.8 s, then the key is gone
    let victim = id_of(&fake_key(20));
    let server = origin(
        &victim,
        || Reply::Slow(Duration::from_millis(1800), Box::new(Reply::empty(204))),
        || {
            Reply::json(
                404,
                serde_json::json!({"errors": [{"field": null, "message": "not found"}]}),
            )
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        dir.path(),
        &server.url(),
        &caller(),
        &["revoke", &victim, "--yes", "--timeout", "10"],
    )
    .await;
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert_eq!(
        server.count("DELETE", "/v3/api_keys/"),
        1,
        "one DELETE, its answer waited for (at least 3 s): {}",
        r.err
    );
}
