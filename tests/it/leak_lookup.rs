//! Where a leaked key lives, found without a sweep when it can be, over real HTTP: the
//! inventory's last sighting costs one GET; a key that says whose it is (`GET
//! /v3/user/username`) costs one GET there; otherwise each context is asked at most once (one
//! list) and the search stops the moment the key is found. A username route answering a
//! gateway's page, a refusal or a stranger's name only sends the key on to the sweep.

use std::collections::HashMap;

use serde_json::{Value, json};
use sgkeys::sim::SimConfig;

use crate::common::env::Env;
use crate::hostile::{Hostile, Reply, Seen, fake_key, id_of, key_json, list_json};

/// A fleet of `subusers` subusers (two keys each) without SendGrid's waits.
async fn fleet(subusers: usize) -> Env {
    Env::with(SimConfig {
        seed: format!("fleet:{subusers}:2").parse().unwrap(),
        ..SimConfig::fast()
    })
    .await
}

/// `revoke --leaked KEY --dry-run --json` plus `extra`; the JSON answer.
fn dry_run(env: &Env, leaked: &str, extra: &[&str]) -> Value {
    let mut args = vec!["revoke", "--leaked", "--dry-run", "--json"];
    args.extend_from_slice(extra);
    let (code, out, err) = env.run_in(&args, &format!("{leaked}\n"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains(&leaked[26..]) && !err.contains(&leaked[26..]));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// How many `GET /v3/api_keys` lists each context got (`""`: the account itself).
fn lists_per_context(env: &Env) -> HashMap<String, usize> {
    let mut by = HashMap::new();
    for r in env.sim.requests() {
        if r.method == "GET" && r.path == "/v3/api_keys" {
            *by.entry(r.on_behalf_of.clone().unwrap_or_default())
                .or_insert(0) += 1;
        }
    }
    by
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_key_costs_one_list_per_context_and_the_inventory_then_one_get() {
    let env = fleet(20).await;
    let leaked = env.sim.add_key(Some("fleet-017"), "ci", &["mail.send"]);
    let id = id_of(leaked.expose());
    // nothing known: the key cannot say whose it is (no user.username.read), so the sweep
    let v = dry_run(&env, leaked.expose(), &[]);
    assert_eq!(v["status"], "would_revoke", "{v}");
    assert_eq!(v["account"], "fleet-017", "{v}");
    assert_eq!(v["found_via"], "sweep", "{v}");
    assert_eq!(
        env.sent("GET", "/v3/user/username"),
        1,
        "asked once, refused"
    );
    let lists = lists_per_context(&env);
    assert!(
        lists.values().all(|&n| n == 1) && lists.len() <= 21,
        "at most one request per context: {lists:?}"
    );
    assert_eq!(
        env.sent("GET", &format!("/v3/api_keys/{id}")),
        1,
        "its detail where listed"
    );
    assert_eq!(env.sent("DELETE", "/"), 0);

    // now the inventory knows where it is: one GET there, nothing else about the key
    env.sim.reset_counters();
    let v = dry_run(&env, leaked.expose(), &[]);
    assert_eq!(v["found_via"], "inventory", "{v}");
    assert_eq!(v["account"], "fleet-017", "{v}");
    let sent: Vec<String> = env
        .sim
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        sent,
        vec![
            "GET /v3/scopes".to_owned(),
            format!("GET /v3/api_keys/{id}")
        ],
        "the probe with the key, then one GET where it was last seen"
    );
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sweep_stops_the_moment_the_key_is_found() {
    let env = fleet(30).await;
    let leaked = env.sim.add_key(Some("fleet-004"), "ci", &["mail.send"]);
    let v = dry_run(
        &env,
        leaked.expose(),
        &["--no-inventory", "--concurrency", "1"],
    );
    assert_eq!(v["account"], "fleet-004", "{v}");
    let lists = lists_per_context(&env);
    let asked: usize = lists.values().sum();
    // own account, fleet-001…004, and at most the one in flight when it was found
    assert!(
        (5..=6).contains(&asked),
        "stopped once found, not all 31 contexts: {lists:?}"
    );
    assert!(!lists.contains_key("fleet-030"), "{lists:?}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_that_names_its_account_is_found_there_without_a_sweep() {
    let env = fleet(20).await;
    let leaked = env.sim.add_key(
        Some("fleet-011"),
        "full",
        &["user.username.read", "api_keys.read", "mail.send"],
    );
    let id = id_of(leaked.expose());
    let v = dry_run(&env, leaked.expose(), &["--no-inventory"]);
    assert_eq!(v["found_via"], "username", "{v}");
    assert_eq!(v["account"], "fleet-011", "{v}");
    assert_eq!(v["owner"], "fleet-011", "{v}");
    assert_eq!(
        env.sent("GET", "/v3/api_keys"),
        1,
        "no list, one GET: {:?}",
        lists_per_context(&env)
    );
    assert_eq!(env.sent("GET", &format!("/v3/api_keys/{id}")), 1);
    assert_eq!(
        env.sent("GET", "/v3/user/username"),
        2,
        "the key's own account, and the caller's once"
    );
    // the parent's own key, named by itself
    env.sim.reset_counters();
    let own = env
        .sim
        .add_key(None, "own", &["user.username.read", "mail.send"]);
    let v = dry_run(&env, own.expose(), &["--no-inventory"]);
    assert_eq!(
        (&v["found_via"], &v["account"]),
        (&json!("username"), &json!("own account")),
        "{v}"
    );
    assert_eq!(env.sent("GET", "/v3/subusers"), 0, "{v}");
    env.sim.shutdown().await;
}

/// A SendGrid whose username route answers `named` to the leaked key; the key lives in
/// subuser `home`, which only a list finds.
async fn naming(victim: &str, leaked: &str, named: Reply) -> Hostile {
    let (v, l) = (victim.to_owned(), format!("Bearer {leaked}"));
    Hostile::start(move |r: &Seen| {
        let by_leaked = r.header("authorization") == Some(l.as_str());
        let path = r.path.split('?').next().unwrap_or_default().to_owned();
        let obo = r.header("on-behalf-of").unwrap_or_default().to_owned();
        match (r.method.as_str(), path.as_str(), by_leaked) {
            ("GET", "/v3/scopes", true) => Reply::json(
                200,
                json!({"scopes": ["api_keys.create", "user.username.read"]}),
            ),
            ("GET", "/v3/user/username", true) => named.clone(),
            ("GET", "/v3/user/username", false) => {
                Reply::json(200, json!({"username": "parent", "user_id": 1}))
            }
            ("GET", "/v3/scopes", false) => Reply::json(200, json!({"scopes": ["api_keys.read"]})),
            ("GET", "/v3/subusers", false) if r.path.contains("username=") => {
                Reply::json(200, json!([]))
            }
            ("GET", "/v3/subusers", false) => Reply::json(
                200,
                json!([{"id": 2, "username": "home", "email": "h@x", "disabled": false}]),
            ),
            ("GET", "/v3/api_keys", false) if obo == "home" => {
                Reply::json(200, list_json(&[(v.as_str(), "ci")]))
            }
            ("GET", "/v3/api_keys", false) => Reply::json(200, list_json(&[])),
            ("GET", p, false) if obo == "home" && p == format!("/v3/api_keys/{v}") => {
                Reply::json(200, key_json(&v, "ci", &["api_keys.create"]))
            }
            _ => Reply::json(
                404,
                json!({"errors":[{"field":null,"message":"not found"}]}),
            ),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_username_route_answering_a_page_a_refusal_or_a_stranger_falls_back_to_the_sweep() {
    let leaked = fake_key(91);
    let id = id_of(&leaked);
    let answers = [
        Reply::html(403, "<html><body>Forbidden by the gateway</body></html>"),
        Reply::html(200, "<html><body>hello</body></html>"),
        Reply::json(
            403,
            json!({"errors":[{"field":null,"message":"access forbidden"}]}),
        ),
        Reply::json(
            200,
            json!({"username": "evil\u{1b}[31m-corp", "user_id": 9}),
        ),
        Reply::json(200, json!({"username": "evil-corp", "user_id": 9})),
    ];
    for named in answers {
        let server = naming(&id, &leaked, named.clone()).await;
        let dir = tempfile::tempdir().unwrap();
        let cmd = crate::common::env::bin_at(
            dir.path(),
            &server.url(),
            &fake_key(1),
            &["revoke", "--leaked", "--dry-run", "--json"],
        );
        let input = leaked.clone();
        let (code, out, err) =
            tokio::task::spawn_blocking(move || crate::common::env::feed(cmd, &input))
                .await
                .unwrap();
        assert_eq!(code, 0, "{named:?}: {out}{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            (&v["account"], &v["found_via"]),
            (&json!("home"), &json!("sweep")),
            "{named:?}: {v}"
        );
        assert!(
            !err.contains('\u{1b}') && !out.contains('\u{1b}'),
            "{err}{out}"
        );
        let seen = server.requests();
        assert!(
            seen.iter()
                .all(|r| r.header("on-behalf-of").is_none_or(|o| o == "home")),
            "nothing sent on behalf of an account the caller does not have: {seen:?}"
        );
        assert_eq!(server.count("DELETE", "/"), 0);
        assert_eq!(
            server.count("GET", &format!("/v3/api_keys/{id}")),
            1,
            "{named:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_search_for_another_key_never_takes_the_lists_an_earlier_search_read() {
    let env = fleet(6).await;
    // one at a time, in order: the first search reads the own account and fleet-001…003,
    // then finds its key in fleet-004 and stops
    let first = env.sim.add_key(Some("fleet-004"), "ci", &["mail.send"]);
    let v = dry_run(&env, first.expose(), &["--concurrency", "1"]);
    assert_eq!(v["account"], "fleet-004", "{v}");
    assert!(lists_per_context(&env).contains_key("fleet-002"));
    // a key made since, in an account that search had read
    let second = env.sim.add_key(Some("fleet-002"), "ci-2", &["mail.send"]);
    env.sim.reset_counters();
    let args = [
        "revoke",
        "--leaked",
        "--dry-run",
        "--json",
        "--concurrency",
        "1",
    ];
    let (code, out, err) = env.run_in(&args, &format!("{}\n", second.expose()));
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["account"], "fleet-002",
        "found, not taken from the old list: {v}"
    );
    assert!(!err.contains("Resuming"), "{err}");
    assert_eq!(
        lists_per_context(&env).get("fleet-002"),
        Some(&1),
        "asked afresh"
    );
    env.sim.shutdown().await;
}
