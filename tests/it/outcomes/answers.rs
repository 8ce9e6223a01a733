//! Answers that are not what was asked: another key's id, a write answered otherwise, keys
//! that could not be read (filters, audits: N of N), a 451 behind a custom base URL, an answer
//! without scopes.

use super::*;

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
