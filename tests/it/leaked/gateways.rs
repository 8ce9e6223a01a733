//! Answers that prove nothing: a gateway's HTML 401, a server refusing every key (the caller's
//! too), no connection — never "dead", never "works"; and keys read through terminal colours and
//! string escapes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use super::*;

/// A SendGrid behind a gateway: the caller's key and lookups work; requests made with the leaked
/// key get the gateway's `probe` answer.
async fn gateway(victim: &str, leaked: &str, probe: Reply) -> Hostile {
    let (v, l) = (victim.to_owned(), format!("Bearer {leaked}"));
    Hostile::start(move |r: &Seen| {
        let by_leaked = r.header("authorization") == Some(l.as_str());
        let path = r.path.split('?').next().unwrap_or_default().to_owned();
        match (r.method.as_str(), path.as_str(), by_leaked) {
            (_, _, true) => probe.clone(),
            ("GET", "/v3/scopes", false) => Reply::json(200, json!({"scopes": ["api_keys.read"]})),
            ("GET", "/v3/subusers", false) => Reply::json(200, json!([])),
            ("GET", "/v3/api_keys", false) => {
                Reply::json(200, list_json(&[(v.as_str(), "behind a gateway")]))
            }
            ("GET", p, false) if p == format!("/v3/api_keys/{v}") => {
                Reply::json(200, key_json(&v, "behind a gateway", &["mail.send"]))
            }
            ("DELETE", _, false) => Reply::empty(204),
            _ => Reply::json(
                404,
                json!({"errors":[{"field":null,"message":"not found"}]}),
            ),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gateways_html_401_is_never_dead() {
    let leaked = fake_key(74);
    let page = Reply::html(
        401,
        "<html><head><title>401 Authorization Required</title></head><body>nginx</body></html>",
    );
    let server = gateway(&id_of(&leaked), &leaked, page).await;
    let dir = tempfile::tempdir().unwrap();
    let leaked_args = [
        "revoke",
        "--leaked",
        "--yes",
        "--json",
        "--verify-timeout",
        "1",
    ];
    let (code, out, err) = run_off(
        dir.path(),
        &server.url(),
        &fake_key(1),
        &leaked_args,
        &leaked,
    )
    .await;
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["probe"], "unknown", "{v}");
    assert_eq!(
        v["status"], "revoked",
        "found in the account, so revoked: {v}"
    );
    assert_eq!(
        v["verified"], false,
        "the gateway's page proves nothing: {v}"
    );
    assert!(
        v["proof"].as_str().unwrap().contains("NOT PROVEN DEAD")
            && v["proof"].as_str().unwrap().contains("not from SendGrid"),
        "{v}"
    );
    assert!(err.contains("could not tell whether it works"), "{err}");
    assert_eq!(server.count("DELETE", "/v3/api_keys/"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_refusing_everything_makes_no_key_dead() {
    let refusal = || {
        Reply::json(
            401,
            json!({"errors":[{"field":null,"message":"authorization required"}]}),
        )
    };
    let server = Hostile::start(move |_: &Seen| refusal()).await;
    let dir = tempfile::tempdir().unwrap();
    let keys: Vec<String> = (75..78).map(fake_key).collect();
    let (code, out, err) = run_report(
        dir.path(),
        &server.url(),
        &fake_key(1),
        &keys.join("\n"),
        &["--yes", "--json"],
    )
    .await;
    assert_eq!(code, 1, "{out}{err}");
    let (v, by_id) = keys_by_id(&out);
    for k in &keys {
        let row = &by_id[&id_of(k)];
        assert_eq!(row["probe"], "unknown", "{row}");
        assert_ne!(row["status"], "dead", "{row}");
        assert!(
            row["probe_error"]
                .as_str()
                .unwrap()
                .contains("so is the key sgkeys uses"),
            "{row}"
        );
    }
    assert_eq!(v["summary"]["dead"], 0);
    let callers_own = server
        .requests()
        .into_iter()
        .filter(|r| {
            r.path == "/v3/scopes"
                && r.header("authorization") == Some(format!("Bearer {}", fake_key(1)).as_str())
        })
        .count();
    assert!(callers_own >= 1, "the key sgkeys uses was asked");
    assert_eq!(server.count("DELETE", "/"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_connection_is_unknown_never_works() {
    // nothing listens there
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let args = ["--timeout", "2", "revoke", "--leaked", "--yes", "--json"];
    let (code, out, err) = run_off(dir.path(), &url, &fake_key(1), &args, &fake_key(78)).await;
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["probe"], "unknown", "{v}");
    assert_eq!(v["status"], "not_located", "{v}");
    assert!(
        !err.contains("STILL WORKS") && !err.contains("works but"),
        "{err}"
    );
    assert!(
        err.contains("MAY STILL WORK") && err.contains("could not be searched"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_are_found_through_colours_and_escapes() {
    let sim = sim_with_delay(0).await;
    let dir = tempfile::tempdir().unwrap();
    let a = sim.add_key(None, "coloured", &["mail.send"]);
    let b = sim.add_key(None, "escaped", &["mail.send"]);
    let (a, b) = (a.expose(), b.expose());
    // a terminal's grep --color output, and a JSON log line whose key follows an escaped \n
    let report = format!(
        "\u{1b}[35mapp/settings.py\u{1b}[m\u{1b}[36m:\u{1b}[m12:KEY = '\u{1b}[01;31m\u{1b}[K{a}\u{1b}[m\u{1b}[K'\n\
         {{\"level\":\"error\",\"msg\":\"config dump:\\nSENDGRID_API_KEY=\\\"{b}\\\"\\n\"}}\n"
    );
    let admin = sim.admin_key().expose().to_owned();
    let (code, out, err) =
        run_report(dir.path(), &sim.base_url(), &admin, &report, &["--dry-run"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("2 keys found: 0 dead, 2 live"), "{err}");
    assert!(out.contains("coloured") && out.contains("escaped"), "{out}");
    let (code, out, err) =
        run_report(dir.path(), &sim.base_url(), &admin, &report, &["--yes"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        sim.keys(None)
            .iter()
            .all(|k| k.name != "coloured" && k.name != "escaped")
    );
    sim.shutdown().await;
}
