//! `api::Client` against the in-process simulator, over real HTTP: every operation, every error
//! status, on-behalf-of isolation, persistence, timeouts and the retry rules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sgkeys::api::{
    ApiError, ApiKeyId, Client, ClientOptions, OnBehalfOf, RetryPolicy, epoch_now,
    install_crypto_provider,
};
use sgkeys::scopes::{KeyType, classify};
use sgkeys::secret::Secret;
use sgkeys::sim::{self, GetShape, Seed, SimConfig, SimHandle};

const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, or revoked";

use crate::common::simulator::start;

/// The demo seed without SendGrid's waits (the tests of the realistic defaults start
/// `SimConfig::default()` themselves).
async fn demo() -> SimHandle {
    start(SimConfig::fast()).await
}

async fn empty() -> SimHandle {
    start(SimConfig {
        seed: Seed::Empty,
        ..SimConfig::fast()
    })
    .await
}

fn opts(sim: &SimHandle) -> ClientOptions {
    ClientOptions {
        base_url: sim.base_url(),
        eu_base_url: Some(sim.eu_base_url()),
        timeout: Duration::from_secs(5),
        retry: RetryPolicy::none(),
        ..ClientOptions::default()
    }
}

/// A client without retries (for error mapping).
fn client(sim: &SimHandle, key: &Secret) -> Client {
    Client::new(key.clone(), opts(sim)).unwrap()
}

fn admin(sim: &SimHandle) -> Client {
    client(sim, sim.admin_key())
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_rate_wait: Duration::from_secs(3),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn message(e: &ApiError) -> String {
    e.body()
        .and_then(|b| b.first_message())
        .unwrap_or_default()
        .to_owned()
}

fn field(e: &ApiError) -> Option<String> {
    e.body()?.errors.first()?.field.clone()
}

/// A raw HTTP answer.
struct Raw {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn rate_headers(&self) -> (u64, u64, u64) {
        let num = |name: &str| -> u64 {
            self.headers
                .get(name)
                .unwrap_or_else(|| panic!("{name} missing (status {})", self.status))
                .to_str()
                .unwrap()
                .parse()
                .unwrap()
        };
        (
            num("x-ratelimit-limit"),
            num("x-ratelimit-remaining"),
            num("x-ratelimit-reset"),
        )
    }
}

/// Requests the client would never send.
struct RawReq<'a> {
    method: &'a str,
    path: &'a str,
    key: Option<&'a str>,
    accept: Option<&'a str>,
    body: Option<&'a str>,
    obo: Option<&'a str>,
    /// Send it to the EU host.
    eu: bool,
}

impl Default for RawReq<'_> {
    fn default() -> Self {
        RawReq {
            method: "GET",
            path: "/v3/api_keys",
            key: None,
            accept: Some("application/json"),
            body: None,
            obo: None,
            eu: false,
        }
    }
}

async fn raw(sim: &SimHandle, r: RawReq<'_>) -> Raw {
    install_crypto_provider();
    let http = reqwest::Client::builder().build().unwrap();
    let method = reqwest::Method::from_bytes(r.method.as_bytes()).unwrap();
    let base = if r.eu {
        sim.eu_base_url()
    } else {
        sim.base_url()
    };
    let mut req = http.request(method, format!("{base}{}", r.path));
    if let Some(k) = r.key {
        req = req.header("Authorization", format!("Bearer {k}"));
    }
    if let Some(a) = r.accept {
        req = req.header("Accept", a);
    }
    if let Some(b) = r.body {
        req = req
            .header("Content-Type", "application/json")
            .body(b.to_owned());
    }
    if let Some(o) = r.obo {
        req = req.header("on-behalf-of", o);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.unwrap().to_vec();
    Raw {
        status,
        headers,
        body,
    }
}

fn admin_raw<'a>(sim: &'a SimHandle, method: &'a str, path: &'a str) -> RawReq<'a> {
    RawReq {
        method,
        path,
        key: Some(sim.admin_key().expose()),
        ..RawReq::default()
    }
}

/// One HTTP/1.1 exchange over a bare TCP socket (no headers added by any library).
async fn raw_tcp(sim: &SimHandle, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = sim.base_url().trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------- operations

#[tokio::test]
async fn list_in_creation_order_with_limit() {
    let sim = demo().await;
    let c = admin(&sim);
    let all = c.list_keys(None).await.unwrap();
    assert_eq!(all.len(), 45);
    assert_eq!(all[0].name, "sgkeys-admin (simulator owner key)");
    assert_eq!(
        all[0].api_key_id.as_str(),
        sim.admin_key().key_id().unwrap()
    );
    let direct: Vec<String> = sim.keys(None).into_iter().map(|k| k.api_key_id.0).collect();
    let listed: Vec<String> = all.iter().map(|k| k.api_key_id.0.clone()).collect();
    assert_eq!(listed, direct);
    let first3 = c.list_keys(Some(3)).await.unwrap();
    assert_eq!(first3, all[..3].to_vec());
    // the list carries ids and names only
    let r = raw(&sim, admin_raw(&sim, "GET", "/v3/api_keys?limit=2")).await;
    assert_eq!(r.status, 200);
    let items = r.json()["result"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    let mut fields: Vec<&String> = items[0].as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(fields, ["api_key_id", "name"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn get_one_flat_and_wrapped() {
    let sim = demo().await;
    let c = admin(&sim);
    let want = sim.keys(None)[5].clone();
    let got = c.get_key(&want.api_key_id).await.unwrap();
    assert_eq!(got, want);
    assert!(got.scopes.iter().any(|s| s == "2fa_required"));
    let path = format!("/v3/api_keys/{}", want.api_key_id);
    let r = raw(&sim, admin_raw(&sim, "GET", &path)).await;
    assert_eq!(r.json()["api_key_id"], json!(want.api_key_id.0));
    assert!(r.json().get("result").is_none());
    sim.shutdown().await;

    let sim = start(SimConfig {
        get_shape: GetShape::Wrapped,
        ..SimConfig::fast()
    })
    .await;
    let c = admin(&sim);
    let got = c.get_key(&want.api_key_id).await.unwrap();
    assert_eq!(got, want, "same seed, same key, other shape");
    let r = raw(&sim, admin_raw(&sim, "GET", &path)).await;
    let body = r.json();
    assert_eq!(body["result"][0]["name"], json!(want.name));
    assert_eq!(body["result"].as_array().unwrap().len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn create_with_and_without_scopes() {
    let sim = empty().await;
    let c = admin(&sim);
    let created = c
        .create_key("ci-deploy", Some(&strings(&["mail.send", "2fa_required"])))
        .await
        .unwrap();
    let secret = created.api_key.expose().to_owned();
    assert_eq!(secret.len(), 69);
    assert_eq!(&secret[3..25], created.api_key_id.as_str());
    assert_eq!(created.api_key.key_id(), Some(created.api_key_id.as_str()));
    assert_eq!(created.name, "ci-deploy");
    // the answer echoes the scopes asked for, as the spec's examples (not the auto-assigned)
    assert_eq!(created.scopes, ["mail.send"]);

    // the new key works and holds exactly what it was given, plus the auto-assigned scopes
    let mine = client(&sim, &created.api_key).my_scopes().await.unwrap();
    assert_eq!(
        mine,
        ["mail.send", "2fa_required", "sender_verification_eligible"]
    );
    let got = c.get_key(&created.api_key_id).await.unwrap();
    assert_eq!(got.scopes, mine);

    // no scopes = Full Access (never billing)
    let full = c.create_key("everything", None).await.unwrap();
    let class = classify(&full.scopes);
    assert_eq!(class.key_type, KeyType::Full);
    assert!(!full.scopes.iter().any(|s| s.starts_with("billing.")));

    // a Full Access key holds no billing scope, so it cannot mint a Billing key (the App does)
    let e = c
        .create_key("finance", Some(&strings(&["billing.read"])))
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Forbidden(_)), "{e}");
    assert!(message(&e).contains("billing.read"), "{e}");

    // the secret is never returned again
    for path in [
        "/v3/api_keys".to_owned(),
        format!("/v3/api_keys/{}", created.api_key_id),
    ] {
        let r = raw(&sim, admin_raw(&sim, "GET", &path)).await;
        assert_eq!(r.status, 200);
        let text = r.text();
        assert!(text.contains(created.api_key_id.as_str()));
        assert!(!text.contains(&secret[26..]), "secret leaked by {path}");
        assert!(!text.contains("api_key\""), "{text}");
    }
    let got = c.get_key(&created.api_key_id).await.unwrap();
    assert_eq!(got.scopes, mine);
    assert_eq!(
        sim.keys(None).len(),
        3,
        "admin + two created; the Billing attempt was refused"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn rename_and_put_replace_scopes_keeping_auto_assigned() {
    let sim = demo().await;
    let c = admin(&sim);
    let legacy = sim
        .keys(None)
        .into_iter()
        .find(|k| k.scopes.iter().any(|s| s == "sender_verification_legacy"))
        .unwrap();
    let renamed = c
        .rename_key(&legacy.api_key_id, "legacy (renamed)")
        .await
        .unwrap();
    assert_eq!(renamed.name, "legacy (renamed)");
    assert_eq!(renamed.api_key_id, legacy.api_key_id);
    assert_eq!(
        c.get_key(&legacy.api_key_id).await.unwrap().scopes,
        legacy.scopes,
        "a rename keeps the scopes"
    );

    let updated = c
        .update_key(
            &legacy.api_key_id,
            "legacy (read-only stats)",
            &strings(&["stats.read", "alerts.read", "sender_verification_legacy"]),
        )
        .await
        .unwrap();
    // the PUT answer echoes the granted scopes; GET adds the auto-assigned ones, kept
    assert_eq!(updated.scopes, ["alerts.read", "stats.read"]);
    let want = [
        "alerts.read",
        "stats.read",
        "2fa_required",
        "sender_verification_eligible",
        "sender_verification_legacy",
    ];
    assert_eq!(updated.name, "legacy (read-only stats)");
    let got = c.get_key(&legacy.api_key_id).await.unwrap();
    assert_eq!(got.scopes, want);
    assert_eq!(got.name, "legacy (read-only stats)");
    // the PUT answer carries the scopes asked for (GET shows the auto-assigned ones too)
    let path = format!("/v3/api_keys/{}", legacy.api_key_id);
    let r = raw(
        &sim,
        RawReq {
            body: Some(r#"{"name":"n","scopes":["mail.send"]}"#),
            ..admin_raw(&sim, "PUT", &path)
        },
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"api_key_id": legacy.api_key_id.0, "name": "n", "scopes": ["mail.send"]})
    );
    // the PATCH answer is id and name
    let r = raw(
        &sim,
        RawReq {
            body: Some(r#"{"name":"m"}"#),
            ..admin_raw(&sim, "PATCH", &path)
        },
    )
    .await;
    assert_eq!(
        r.json(),
        json!({"api_key_id": legacy.api_key_id.0, "name": "m"})
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn delete_then_404_and_the_revoked_key_is_401() {
    let sim = empty().await;
    let c = admin(&sim);
    let k = c
        .create_key("short-lived", Some(&strings(&["api_keys.read"])))
        .await
        .unwrap();
    let own = client(&sim, &k.api_key);
    assert_eq!(own.list_keys(None).await.unwrap().len(), 2);

    c.delete_key(&k.api_key_id).await.unwrap();
    let e = c.get_key(&k.api_key_id).await.unwrap_err();
    assert!(matches!(e, ApiError::NotFound(_)), "{e}");
    assert_eq!(message(&e), "unable to find API Key");
    let e = c.delete_key(&k.api_key_id).await.unwrap_err();
    assert!(matches!(e, ApiError::NotFound(_)), "{e}");
    assert_eq!(message(&e), "unable to find API Key for deletion");

    let e = own.list_keys(None).await.unwrap_err();
    assert!(matches!(e, ApiError::Unauthorized(_)), "{e}");
    assert_eq!(message(&e), INVALID_GRANT);
    assert_eq!(sim.keys(None).len(), 1);

    // the raw DELETE is 204 with an empty body
    let k = c.create_key("again", None).await.unwrap();
    let path = format!("/v3/api_keys/{}", k.api_key_id);
    let r = raw(&sim, admin_raw(&sim, "DELETE", &path)).await;
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn scopes_and_subusers() {
    let sim = demo().await;
    let c = admin(&sim);
    let mine = c.my_scopes().await.unwrap();
    assert!(!mine.iter().any(|s| s.starts_with("billing.")));
    assert!(mine.iter().any(|s| s == "subusers.read"));
    assert!(mine.iter().any(|s| s == "2fa_required"));
    assert_eq!(mine.len(), 199 + 2);
    assert_eq!(classify(&mine).key_type, KeyType::Full);

    let subs = c.list_subusers().await.unwrap();
    assert_eq!(subs, sim.subusers());
    let names: Vec<(&str, u64, Option<sgkeys::api::Region>)> = subs
        .iter()
        .map(|s| (s.username.as_str(), s.id, s.region))
        .collect();
    assert_eq!(
        names,
        [
            (
                "acme-transactional",
                1001,
                Some(sgkeys::api::Region::Global)
            ),
            ("acme-eu-marketing", 1002, Some(sgkeys::api::Region::Eu)),
        ]
    );
    // filters, paging and the bare-array shape
    let r = raw(&sim, admin_raw(&sim, "GET", "/v3/subusers")).await;
    let arr = r.json();
    assert_eq!(arr.as_array().unwrap().len(), 2);
    assert!(arr[0].get("region").is_none(), "region only on request");
    assert_eq!(arr[0]["disabled"], json!(false));
    let r = raw(
        &sim,
        admin_raw(&sim, "GET", "/v3/subusers?region=eu&include_region=true"),
    )
    .await;
    assert_eq!(
        r.json(),
        json!([{"id":1002,"username":"acme-eu-marketing","email":"eu-marketing@acme-corp.example","disabled":false,"region":"eu"}])
    );
    let r = raw(
        &sim,
        admin_raw(&sim, "GET", "/v3/subusers?username=acme-transactional"),
    )
    .await;
    assert_eq!(r.json()[0]["id"], json!(1001));
    let r = raw(
        &sim,
        admin_raw(&sim, "GET", "/v3/subusers?limit=1&offset=1"),
    )
    .await;
    assert_eq!(r.json()[0]["username"], json!("acme-eu-marketing"));
    let r = raw(&sim, admin_raw(&sim, "GET", "/v3/subusers?region=mars")).await;
    assert_eq!(r.status, 400);

    // a key without subusers.read cannot list them; /v3/scopes needs no scope
    let limited = sim.add_key(None, "mail only", &["mail.send"]);
    let lc = client(&sim, &limited);
    let e = lc.list_subusers().await.unwrap_err();
    assert!(matches!(e, ApiError::Forbidden(_)), "{e}");
    assert_eq!(
        lc.my_scopes().await.unwrap(),
        ["mail.send", "2fa_required", "sender_verification_eligible"]
    );
    sim.shutdown().await;
}

// ---------------------------------------------------------------- errors

#[tokio::test]
async fn bad_requests_are_400() {
    let sim = demo().await;
    let c = admin(&sim);
    let key = sim.admin_key().expose();

    // missing name (raw) and empty name (client)
    let r = raw(
        &sim,
        RawReq {
            body: Some(r#"{"scopes":["mail.send"]}"#),
            ..admin_raw(&sim, "POST", "/v3/api_keys")
        },
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"errors":[{"field":"name","message":"missing required argument","help":null}]})
    );
    let e = c.create_key("", None).await.unwrap_err();
    assert!(matches!(e, ApiError::BadRequest(_)), "{e}");
    assert_eq!(field(&e).as_deref(), Some("name"));

    // billing mixed with others
    let e = c
        .create_key("mixed", Some(&strings(&["billing.read", "mail.send"])))
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::BadRequest(_)), "{e}");
    assert_eq!(
        message(&e),
        "billing scopes cannot be combined with other scopes"
    );
    let id = ApiKeyId(sim.keys(None)[3].api_key_id.0.clone());
    let e = c
        .update_key(&id, "mixed", &strings(&["billing.read", "mail.send"]))
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::BadRequest(_)), "{e}");

    // PUT without scopes
    let e = c.update_key(&id, "no scopes", &[]).await.unwrap_err();
    assert!(matches!(e, ApiError::BadRequest(_)), "{e}");
    assert_eq!(field(&e).as_deref(), Some("scopes"));
    assert_eq!(
        message(&e),
        "expected JSON request body with 'scopes' property containing at least one scope"
    );
    let path = format!("/v3/api_keys/{id}");
    // PUT without name, PATCH without name
    for method in ["PUT", "PATCH"] {
        let r = raw(
            &sim,
            RawReq {
                body: Some(r#"{"scopes":["mail.send"]}"#),
                ..admin_raw(&sim, method, &path)
            },
        )
        .await;
        assert_eq!(r.status, 400, "{method}");
        assert_eq!(
            r.json()["errors"][0]["message"],
            json!("expected JSON request body with 'name' property")
        );
    }
    // malformed JSON
    let r = raw(
        &sim,
        RawReq {
            method: "POST",
            key: Some(key),
            body: Some(r#"{"name": "x","#),
            ..RawReq::default()
        },
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("JSON")
    );
    // scopes of the wrong type
    let r = raw(
        &sim,
        RawReq {
            method: "POST",
            key: Some(key),
            body: Some(r#"{"name": "x", "scopes": "mail.send"}"#),
            ..RawReq::default()
        },
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errors"][0]["field"], json!("scopes"));
    // bad limit
    for q in ["0", "-1", "abc"] {
        let path = format!("/v3/api_keys?limit={q}");
        let r = raw(&sim, admin_raw(&sim, "GET", &path)).await;
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(r.json()["errors"][0]["field"], json!("limit"));
    }
    // nothing was created by any of that
    assert_eq!(sim.keys(None).len(), 45);
    sim.shutdown().await;
}

#[tokio::test]
async fn unauthenticated_requests_are_401() {
    let sim = demo().await;
    let r = raw(&sim, RawReq::default()).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        json!({"errors":[{"field":null,"message":"authorization required"}]})
    );
    r.rate_headers();
    let r = raw(
        &sim,
        RawReq {
            key: Some("not-a-key"),
            ..RawReq::default()
        },
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["errors"][0]["message"], json!(INVALID_GRANT));

    let unknown = Secret::generate(&mut rand::rng());
    let e = client(&sim, &unknown).list_keys(None).await.unwrap_err();
    assert!(matches!(e, ApiError::Unauthorized(_)), "{e}");
    assert_eq!(message(&e), INVALID_GRANT);
    assert_eq!(e.status(), Some(401));
    sim.shutdown().await;
}

#[tokio::test]
async fn forbidden_is_403() {
    let sim = demo().await;
    // missing scope
    let reader = sim.add_key(None, "reader", &["api_keys.read"]);
    let rc = client(&sim, &reader);
    assert_eq!(rc.list_keys(None).await.unwrap().len(), 46);
    let e = rc.create_key("nope", None).await.unwrap_err();
    assert!(matches!(e, ApiError::Forbidden(_)), "{e}");
    assert_eq!(message(&e), "access forbidden");
    let id = ApiKeyId(sim.keys(None)[1].api_key_id.0.clone());
    assert!(matches!(
        rc.delete_key(&id).await.unwrap_err(),
        ApiError::Forbidden(_)
    ));
    assert!(matches!(
        rc.rename_key(&id, "x").await.unwrap_err(),
        ApiError::Forbidden(_)
    ));

    // privilege escalation
    let minter = sim.add_key(
        None,
        "minter",
        &["api_keys.create", "api_keys.update", "mail.send"],
    );
    let mc = client(&sim, &minter);
    let e = mc
        .create_key("more", Some(&strings(&["mail.send", "stats.read"])))
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Forbidden(_)), "{e}");
    assert_eq!(field(&e).as_deref(), Some("scopes"));
    assert_eq!(
        message(&e),
        "access forbidden: cannot grant scopes the calling key does not have: stats.read"
    );
    let e = mc
        .update_key(&id, "x", &strings(&["billing.read"]))
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Forbidden(_)), "{e}");
    // what it holds it may grant; Full Access = its own scopes
    let ok = mc.create_key("same", None).await.unwrap();
    assert_eq!(
        ok.scopes,
        ["api_keys.create", "api_keys.update", "mail.send",]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_101st_key_is_refused() {
    let sim = empty().await;
    for i in 0..98 {
        sim.add_key(None, &format!("filler-{i}"), &["mail.send"]);
    }
    let c = admin(&sim);
    c.create_key("the 100th", Some(&strings(&["mail.send"])))
        .await
        .unwrap();
    let e = c
        .create_key("the 101st", Some(&strings(&["mail.send"])))
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Forbidden(_)), "{e}");
    assert_eq!(message(&e), "Cannot create more than 100 API Keys");
    assert_eq!(sim.keys(None).len(), 100);
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_ids_and_paths_are_404() {
    let sim = demo().await;
    let c = admin(&sim);
    let ghost = ApiKeyId::from("AAAAAAAAAAAAAAAAAAAAAA");
    let e = c.get_key(&ghost).await.unwrap_err();
    assert_eq!(message(&e), "unable to find API Key");
    let e = c.rename_key(&ghost, "x").await.unwrap_err();
    assert!(matches!(e, ApiError::NotFound(_)), "{e}");
    assert_eq!(message(&e), "unable to find API Key to update");
    let e = c
        .update_key(&ghost, "x", &strings(&["mail.send"]))
        .await
        .unwrap_err();
    assert_eq!(message(&e), "unable to find API Key to update");
    let e = c.delete_key(&ghost).await.unwrap_err();
    assert!(matches!(e, ApiError::NotFound(_)), "{e}");
    assert_eq!(message(&e), "unable to find API Key for deletion");

    let r = raw(&sim, admin_raw(&sim, "GET", "/v3/templates")).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        json!({"errors":[{"field":null,"message":"not found","help":null}]})
    );
    r.rate_headers();
    // a known path with the wrong method
    let r = raw(&sim, admin_raw(&sim, "DELETE", "/v3/api_keys")).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.headers["allow"], "GET, POST");
    sim.shutdown().await;
}

#[tokio::test]
async fn missing_accept_is_406() {
    let sim = demo().await;
    let key = sim.admin_key().expose().to_owned();
    let answer = raw_tcp(
        &sim,
        &format!(
            "GET /v3/api_keys HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 406"), "{answer}");
    assert!(
        answer.contains(r#"{"errors":[{"field":null,"message":"missing Accept header"}]}"#),
        "{answer}"
    );
    assert!(answer.to_ascii_lowercase().contains("x-ratelimit-limit"));
    let r = raw(
        &sim,
        RawReq {
            key: Some(&key),
            accept: Some("text/html"),
            ..RawReq::default()
        },
    )
    .await;
    assert_eq!(r.status, 406);
    // */* is fine
    let r = raw(
        &sim,
        RawReq {
            key: Some(&key),
            accept: Some("*/*"),
            ..RawReq::default()
        },
    )
    .await;
    assert_eq!(r.status, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn rate_limit_is_429_with_headers() {
    let sim = demo().await;
    // injected: the client maps the headers into the error
    sim.fail_next(1, 429, false);
    let e = admin(&sim).list_keys(None).await.unwrap_err();
    let ApiError::RateLimited { body, rate } = &e else {
        panic!("{e:?}");
    };
    assert_eq!(body.first_message(), Some("too many requests"));
    let rate = rate.expect("rate headers parsed");
    assert_eq!(rate.limit, 1000);
    assert_eq!(rate.remaining, 0);
    let now = epoch_now();
    assert!(rate.reset >= now && rate.reset <= now + 2, "{rate:?}");
    assert!(e.to_string().contains("limit 1000"), "{e}");

    // real: a limit of 3 per second per account
    sim.set_rate_limit(3);
    let key = sim.admin_key().expose().to_owned();
    let mut limited = None;
    for _ in 0..30 {
        let r = raw(
            &sim,
            RawReq {
                key: Some(&key),
                ..RawReq::default()
            },
        )
        .await;
        if r.status == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status, 200);
    }
    let r = limited.expect("a 429 within 30 quick requests");
    assert_eq!(
        r.json(),
        json!({"errors":[{"field":null,"message":"too many requests"}]})
    );
    let (limit, remaining, reset) = r.rate_headers();
    assert_eq!((limit, remaining), (3, 0));
    assert!(reset > epoch_now() - 1);

    // and through the client: exhaust the window, then a fresh client (no window yet) asks
    let mut seen = None;
    for _ in 0..5 {
        for _ in 0..30 {
            let r = raw(
                &sim,
                RawReq {
                    key: Some(&key),
                    ..RawReq::default()
                },
            )
            .await;
            if r.status == 429 {
                break;
            }
        }
        if let Err(ApiError::RateLimited { rate: Some(r), .. }) =
            admin(&sim).list_keys(Some(1)).await
        {
            seen = Some(r);
            break;
        }
    }
    let r = seen.expect("client saw a 429");
    assert_eq!((r.limit, r.remaining), (3, 0));

    // with retries the client waits for the window and succeeds
    let c = Client::new(
        sim.admin_key().clone(),
        ClientOptions {
            retry: fast_retries(),
            ..opts(&sim)
        },
    )
    .unwrap();
    sim.fail_next(1, 429, false);
    assert_eq!(c.list_keys(Some(1)).await.unwrap().len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn injected_451_and_5xx() {
    let sim = demo().await;
    let c = admin(&sim);
    sim.fail_next(1, 451, false);
    let e = c.list_keys(None).await.unwrap_err();
    assert!(matches!(e, ApiError::DataResidency(_)), "{e}");
    assert!(message(&e).contains("data residency"));

    sim.fail_next(1, 500, false);
    let e = c.list_keys(None).await.unwrap_err();
    assert!(matches!(e, ApiError::Server { status: 500, .. }), "{e}");
    assert_eq!(message(&e), "internal server error");

    for status in [502u16, 503, 504] {
        sim.fail_next(1, status, false);
        let e = c.list_keys(None).await.unwrap_err();
        assert_eq!(e.status(), Some(status));
        assert!(matches!(e, ApiError::Server { .. }), "{e}");
        let text = e.to_string();
        assert!(text.contains("HTML"), "{text}");
        assert!(text.contains(&status.to_string()), "{text}");
    }
    // the raw 503 is an HTML page
    sim.fail_next(1, 503, false);
    let r = raw(&sim, admin_raw(&sim, "GET", "/v3/api_keys")).await;
    assert_eq!(r.status, 503);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().contains("<title>503 Service Unavailable</title>"));
    r.rate_headers();
    // faults are used up
    assert!(c.list_keys(None).await.is_ok());
    sim.shutdown().await;
}

#[tokio::test]
async fn fail_rate_mixes_failures() {
    let sim = demo().await;
    let c = admin(&sim);
    sim.set_fail_rate(1.0);
    let mut statuses = std::collections::BTreeSet::new();
    for _ in 0..12 {
        // a fresh client each time (a 429 would make a client wait for the window), and a
        // short timeout for the simulated hangs
        let quick = Client::new(
            sim.admin_key().clone(),
            ClientOptions {
                timeout: Duration::from_millis(100),
                ..opts(&sim)
            },
        )
        .unwrap();
        let e = quick.my_scopes().await.unwrap_err();
        statuses.insert(e.status().unwrap_or(0));
    }
    assert!(
        statuses.iter().all(|s| [0, 429, 500, 503].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.len() >= 2, "{statuses:?}");
    sim.set_fail_rate(0.0);
    assert!(c.my_scopes().await.is_ok());
    sim.shutdown().await;
}

#[tokio::test]
async fn on_behalf_of_isolation() {
    let sim = demo().await;
    let parent = admin(&sim);
    let tx = parent.acting_as(Some(OnBehalfOf::Subuser("acme-transactional".into())));
    // an EU subuser's calls on the global host: 451, as SendGrid answers (data residency)
    let eu_on_global = parent.acting_as(Some(OnBehalfOf::Subuser("acme-eu-marketing".into())));
    let e = eu_on_global.list_keys(None).await.unwrap_err();
    assert_eq!(e.status(), Some(451), "{e}");
    // on its region's host they work
    let eu = eu_on_global.in_region(Some(sgkeys::api::Region::Eu));
    assert_eq!(eu.effective_base_url(), sim.eu_base_url());
    // and a global subuser on the EU host is refused the same way
    let tx_on_eu = tx.clone().in_region(Some(sgkeys::api::Region::Eu));
    assert_eq!(
        tx_on_eu.list_keys(None).await.unwrap_err().status(),
        Some(451)
    );

    let parent_ids: Vec<ApiKeyId> = parent
        .list_keys(None)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.api_key_id)
        .collect();
    let tx_keys = tx.list_keys(None).await.unwrap();
    assert_eq!(tx_keys.len(), 5);
    let eu_keys = eu.list_keys(None).await.unwrap();
    assert_eq!(eu_keys.len(), 4);
    for k in tx_keys.iter().chain(&eu_keys) {
        assert!(!parent_ids.contains(&k.api_key_id));
    }
    let direct: Vec<ApiKeyId> = sim
        .keys(Some("acme-eu-marketing"))
        .into_iter()
        .map(|k| k.api_key_id)
        .collect();
    assert_eq!(
        eu_keys
            .iter()
            .map(|k| k.api_key_id.clone())
            .collect::<Vec<_>>(),
        direct
    );

    // a key created for the subuser lives only there
    let made = tx
        .create_key("made on behalf", Some(&strings(&["mail.send"])))
        .await
        .unwrap();
    assert!(
        sim.keys(Some("acme-transactional"))
            .iter()
            .any(|k| k.api_key_id == made.api_key_id)
    );
    assert!(
        !sim.keys(None)
            .iter()
            .any(|k| k.api_key_id == made.api_key_id)
    );
    let e = parent.get_key(&made.api_key_id).await.unwrap_err();
    assert!(matches!(e, ApiError::NotFound(_)), "{e}");
    let e = eu.get_key(&made.api_key_id).await.unwrap_err();
    assert!(matches!(e, ApiError::NotFound(_)), "{e}");
    assert!(tx.get_key(&made.api_key_id).await.is_ok());
    // and a parent key is not reachable from the subuser
    let e = tx.get_key(&parent_ids[1]).await.unwrap_err();
    assert!(matches!(e, ApiError::NotFound(_)), "{e}");

    // scopes are narrowed to what a subuser can hold
    let e = tx
        .create_key("billing", Some(&strings(&["billing.read"])))
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Forbidden(_)), "{e}");
    let full = tx.create_key("sub full", None).await.unwrap();
    assert!(
        !full
            .scopes
            .iter()
            .any(|s| s.starts_with("billing.") || s.starts_with("subusers."))
    );
    let scopes = tx.my_scopes().await.unwrap();
    assert!(!scopes.iter().any(|s| s == "billing.read"));

    // the subuser's own key works in its own store, but may not use on-behalf-of
    let own = client(&sim, &made.api_key);
    let e = own.list_keys(None).await.unwrap_err();
    assert!(matches!(e, ApiError::Forbidden(_)), "mail.send only: {e}");
    let sub_admin = sim.add_key(Some("acme-transactional"), "sub admin", &["api_keys.read"]);
    let sc = client(&sim, &sub_admin);
    assert_eq!(sc.list_keys(None).await.unwrap().len(), 8);
    let e = sc
        .acting_as(Some(OnBehalfOf::Subuser("acme-eu-marketing".into())))
        .list_keys(None)
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Forbidden(_)), "{e}");

    // `account-id` names a customer account (reseller setups), with a store of its own
    let customer = parent.acting_as(Some(OnBehalfOf::AccountId("abc123def456hij789klm0".into())));
    let customer_keys = customer.list_keys(None).await.unwrap();
    assert_eq!(customer_keys.len(), 2);
    let made = customer.create_key("reseller made", None).await.unwrap();
    assert!(
        sim.keys(Some("globex-customer"))
            .iter()
            .any(|k| k.api_key_id == made.api_key_id)
    );
    let e = parent.get_key(&made.api_key_id).await.unwrap_err();
    assert!(matches!(e, ApiError::NotFound(_)), "{e}");
    // a customer account has no subusers of its own (the parent's are not its)
    let r = raw(
        &sim,
        RawReq {
            obo: Some("account-id abc123def456hij789klm0"),
            ..admin_raw(&sim, "GET", "/v3/subusers")
        },
    )
    .await;
    assert_eq!((r.status, r.json()), (200, json!([])));
    // a customer account is no subuser: not listed, and its name does not reach it
    assert!(
        !parent
            .list_subusers()
            .await
            .unwrap()
            .iter()
            .any(|s| s.username == "globex-customer")
    );
    // unknown subuser or account id; a subuser's id is not an account id, nor a customer's
    // name a subuser
    for obo in [
        OnBehalfOf::Subuser("nobody".into()),
        OnBehalfOf::Subuser("globex-customer".into()),
        OnBehalfOf::AccountId("9999".into()),
        OnBehalfOf::AccountId("1002".into()),
    ] {
        let e = parent
            .acting_as(Some(obo))
            .list_keys(None)
            .await
            .unwrap_err();
        assert!(matches!(e, ApiError::Unauthorized(_)), "{e}");
        assert_eq!(message(&e), "authorization required");
    }

    // the request log records the header
    let log = sim.requests();
    assert!(
        log.iter()
            .any(|r| r.on_behalf_of.as_deref() == Some("account-id abc123def456hij789klm0"))
    );
    assert!(log.iter().any(|r| r.on_behalf_of.is_none()));
    sim.shutdown().await;
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim-state.json");
    let cfg = SimConfig {
        state_file: Some(path.clone()),
        ..SimConfig::fast()
    };
    let sim = start(cfg.clone()).await;
    let admin_key = sim.admin_key().clone();
    let c = admin(&sim);
    let made = c
        .create_key("persisted", Some(&strings(&["mail.send"])))
        .await
        .unwrap();
    let victim = sim.keys(None)[2].api_key_id.clone();
    c.delete_key(&victim).await.unwrap();
    let renamed = sim.keys(None)[1].api_key_id.clone();
    c.rename_key(&renamed, "renamed before restart")
        .await
        .unwrap();
    let sub = c
        .acting_as(Some(OnBehalfOf::Subuser("acme-eu-marketing".into())))
        .in_region(Some(sgkeys::api::Region::Eu))
        .create_key("eu persisted", None)
        .await
        .unwrap();
    let before_parent = sim.keys(None);
    let before_eu = sim.keys(Some("acme-eu-marketing"));
    sim.shutdown().await;

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains(made.api_key.expose()),
        "a created secret was persisted"
    );
    assert!(!text.contains(sub.api_key.expose()));
    assert!(text.contains(admin_key.expose()), "the admin key is kept");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // the seed is ignored when the state file exists
    let sim = start(SimConfig {
        seed: Seed::Empty,
        ..cfg
    })
    .await;
    assert_eq!(sim.admin_key(), &admin_key);
    assert_eq!(sim.keys(None), before_parent);
    assert_eq!(sim.keys(Some("acme-eu-marketing")), before_eu);
    assert!(!sim.keys(None).iter().any(|k| k.api_key_id == victim));
    // keys created before the restart still authenticate; new ids do not repeat old ones
    let own = client(&sim, &made.api_key);
    assert_eq!(own.my_scopes().await.unwrap()[0], "mail.send");
    let next = admin(&sim).create_key("after restart", None).await.unwrap();
    assert_ne!(next.api_key_id, made.api_key_id);
    assert_ne!(next.api_key_id, sub.api_key_id);
    sim.shutdown().await;

    // a damaged state file is a clear error
    std::fs::write(&path, "{\"version\":1}").unwrap();
    let err = sim::start(
        SimConfig {
            state_file: Some(path.clone()),
            ..SimConfig::fast()
        },
        ([127, 0, 0, 1], 0).into(),
    )
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("sim-state.json") && msg.contains("not a valid"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_hang_maps_to_timeout() {
    let sim = start(SimConfig {
        hang: Duration::from_millis(400),
        ..SimConfig::fast()
    })
    .await;
    let c = Client::new(
        sim.admin_key().clone(),
        ClientOptions {
            timeout: Duration::from_millis(150),
            ..opts(&sim)
        },
    )
    .unwrap();
    sim.fail_next(1, 0, false);
    let e = c.list_keys(None).await.unwrap_err();
    assert!(matches!(e, ApiError::Timeout(_)), "{e:?}");
    assert!(e.to_string().contains("timeout"), "{e}");
    // with a patient client the hang ends in a 504 page
    let patient = admin(&sim);
    sim.fail_next(1, 0, false);
    let e = patient.list_keys(None).await.unwrap_err();
    assert_eq!(e.status(), Some(504));
    // latency is added to every request
    sim.set_latency(Duration::from_millis(60));
    let started = Instant::now();
    patient.list_keys(Some(1)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(60));
    sim.set_latency(Duration::ZERO);
    sim.shutdown().await;
}

#[tokio::test]
async fn idempotent_requests_are_retried_posts_are_not() {
    let sim = demo().await;
    let c = Client::new(
        sim.admin_key().clone(),
        ClientOptions {
            retry: fast_retries(),
            ..opts(&sim)
        },
    )
    .unwrap();

    // GET succeeds after two 503s
    sim.reset_counters();
    sim.fail_next(2, 503, false);
    assert_eq!(c.list_keys(None).await.unwrap().len(), 45);
    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200]);

    // POST is not retried after a 500
    sim.reset_counters();
    sim.fail_next(1, 500, false);
    let e = c.create_key("once", None).await.unwrap_err();
    assert!(matches!(e, ApiError::Server { status: 500, .. }), "{e}");
    assert!(e.outcome_unknown());
    assert_eq!(sim.mutating_requests(), 1);
    let posts: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(sim.keys(None).len(), 45, "the faulted POST did nothing");

    // DELETE whose answer is lost: retried, sees 404, reports success; the key is gone
    let victim = sim.keys(None)[7].api_key_id.clone();
    sim.reset_counters();
    sim.fail_next(1, 500, true);
    c.delete_key(&victim).await.unwrap();
    let statuses: Vec<(String, u16)> = sim
        .requests()
        .into_iter()
        .map(|r| (r.method, r.status))
        .collect();
    assert_eq!(
        statuses,
        [("DELETE".to_owned(), 500), ("DELETE".to_owned(), 404)]
    );
    assert_eq!(sim.mutating_requests(), 2);
    assert!(!sim.keys(None).iter().any(|k| k.api_key_id == victim));

    // a POST whose answer is lost after the key was made: created once, reported as a failure
    sim.reset_counters();
    sim.fail_next(1, 503, true);
    let e = c.create_key("ghost", None).await.unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert_eq!(sim.mutating_requests(), 1);
    assert_eq!(
        sim.keys(None).iter().filter(|k| k.name == "ghost").count(),
        1
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn rate_headers_on_every_v3_response() {
    let sim = demo().await;
    let key = sim.admin_key().expose().to_owned();
    let id = sim.keys(None)[4].api_key_id.0.clone();
    let key_path = format!("/v3/api_keys/{id}");
    let victim = sim.keys(None)[9].api_key_id.0.clone();
    let victim_path = format!("/v3/api_keys/{victim}");
    let reader = sim.add_key(None, "reader", &["mail.send"]);
    let cases: Vec<(RawReq<'_>, u16)> = vec![
        (admin_raw(&sim, "GET", "/v3/api_keys"), 200),
        (admin_raw(&sim, "GET", &key_path), 200),
        (
            RawReq {
                body: Some(r#"{"name":"h"}"#),
                ..admin_raw(&sim, "POST", "/v3/api_keys")
            },
            201,
        ),
        (admin_raw(&sim, "DELETE", &victim_path), 204),
        (
            RawReq {
                body: Some("{}"),
                ..admin_raw(&sim, "POST", "/v3/api_keys")
            },
            400,
        ),
        (RawReq::default(), 401),
        (
            RawReq {
                key: Some(reader.expose()),
                ..RawReq::default()
            },
            403,
        ),
        (admin_raw(&sim, "GET", "/v3/api_keys/nope"), 404),
        (admin_raw(&sim, "GET", "/v3/nothing/here"), 404),
        (
            RawReq {
                key: Some(&key),
                accept: Some("text/plain"),
                ..RawReq::default()
            },
            406,
        ),
        (admin_raw(&sim, "GET", "/v3/scopes"), 200),
        (admin_raw(&sim, "GET", "/v3/subusers"), 200),
    ];
    for (req, want) in cases {
        let path = req.path.to_owned();
        let r = raw(&sim, req).await;
        assert_eq!(r.status, want, "{path}");
        let (limit, remaining, reset) = r.rate_headers();
        assert_eq!(limit, 1000);
        assert!(remaining <= 1000);
        assert!(reset >= epoch_now());
    }
    for status in [429u16, 500, 503] {
        sim.fail_next(1, status, false);
        let r = raw(&sim, admin_raw(&sim, "GET", "/v3/api_keys")).await;
        assert_eq!(r.status, status);
        r.rate_headers();
    }
    // remaining counts down within a window for the calling account
    sim.set_rate_limit(100_000);
    let a = raw(&sim, admin_raw(&sim, "GET", "/v3/scopes"))
        .await
        .rate_headers();
    let b = raw(&sim, admin_raw(&sim, "GET", "/v3/scopes"))
        .await
        .rate_headers();
    assert!(b.1 < a.1 || b.2 > a.2, "{a:?} {b:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn control_api_and_request_log() {
    let sim = demo().await;
    let key = sim.admin_key().expose().to_owned();
    let base = sim.base_url();
    install_crypto_provider();
    let http = reqwest::Client::new();

    // the control API needs the admin key
    let r = http.get(format!("{base}/_sim/state")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let other = sim.add_key(None, "not admin", &["api_keys.read"]);
    let r = http
        .get(format!("{base}/_sim/state"))
        .bearer_auth(other.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    let r = http
        .get(format!("{base}/_sim/state"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    assert!(!text.contains(&key[26..]), "no secrets in the state view");
    let state: Value = serde_json::from_str(&text).unwrap();
    // the parent, two subusers and a customer account
    assert_eq!(state["accounts"].as_array().unwrap().len(), 4);
    assert_eq!(
        state["accounts"][3]["customer_id"],
        "abc123def456hij789klm0"
    );
    assert_eq!(state["accounts"][0]["keys"].as_array().unwrap().len(), 46);

    // fail-next over HTTP
    let r = http
        .post(format!("{base}/_sim/fail-next"))
        .bearer_auth(&key)
        .body(r#"{"count":2,"status":503,"after":false}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = http
        .post(format!("{base}/_sim/fail-next"))
        .bearer_auth(&key)
        .body(r#"{"count":1,"status":418}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    sim.reset_counters();
    let c = admin(&sim);
    assert_eq!(c.my_scopes().await.unwrap_err().status(), Some(503));
    assert_eq!(c.my_scopes().await.unwrap_err().status(), Some(503));
    assert!(c.my_scopes().await.is_ok());
    c.rename_key(&sim.keys(None)[1].api_key_id, "x")
        .await
        .unwrap();

    let r = http
        .get(format!("{base}/_sim/requests"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let log: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(log["counts"], json!({"GET": 3, "PATCH": 1}));
    assert_eq!(log["mutating"], json!(1));
    assert_eq!(
        log["requests"][0],
        json!({"method":"GET","path":"/v3/scopes","status":503,"http":"1.1"})
    );
    assert_eq!(sim.requests().len(), 4);
    assert_eq!(sim.mutating_requests(), 1);

    let r = http
        .post(format!("{base}/_sim/reset-counters"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert!(sim.requests().is_empty());
    assert_eq!(sim.mutating_requests(), 0);
    sim.shutdown().await;
}

// ---------------------------------------------------------------- slow clients

#[tokio::test]
async fn connections_without_a_complete_request_head_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const SLOW: usize = 200;
    let timeout = Duration::from_secs(1);
    let sim = start(SimConfig {
        header_timeout: timeout,
        ..SimConfig::fast()
    })
    .await;
    let addr = sim.base_url().trim_start_matches("http://").to_owned();

    // slowloris: a request line, then nothing
    let opened = Instant::now();
    let mut slow = Vec::with_capacity(SLOW);
    for _ in 0..SLOW {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        slow.push(s);
    }

    // (a) a normal request is still answered promptly while they hang on
    let asked = Instant::now();
    let key = sim.admin_key().expose().to_owned();
    let resp = raw_tcp(
        &sim,
        &format!(
            "GET /v3/scopes HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
             Accept: application/json\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    let answered = asked.elapsed();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(
        answered < Duration::from_millis(500),
        "answer took {answered:?} with {SLOW} stalled connections open"
    );
    assert!(
        opened.elapsed() < timeout,
        "too slow to test: the stalled connections may have been closed already"
    );

    // (b) after the header timeout the server closes every stalled connection
    let reads = slow.into_iter().map(|mut s| async move {
        let mut buf = Vec::new();
        match tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await {
            Ok(Ok(_)) => Ok(Instant::now()),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(Instant::now()),
            Ok(Err(e)) => Err(format!("read failed: {e}")),
            Err(_) => Err("still open after 10 s".to_owned()),
        }
    });
    let closed = futures_util::future::join_all(reads).await;
    let mut earliest = None::<Duration>;
    let mut latest = Duration::ZERO;
    for c in closed {
        let at = c.unwrap().duration_since(opened);
        earliest = Some(earliest.map_or(at, |e| e.min(at)));
        latest = latest.max(at);
    }
    let earliest = earliest.unwrap();
    assert!(
        earliest >= timeout - Duration::from_millis(100),
        "closed after {earliest:?}, before the {timeout:?} header timeout"
    );
    assert!(
        latest < timeout * 4,
        "the last stalled connection was closed only after {latest:?}"
    );
    eprintln!(
        "{SLOW} stalled connections closed between {earliest:?} and {latest:?}; a normal request took {answered:?}"
    );

    // and the simulator still serves
    assert!(admin(&sim).my_scopes().await.is_ok());
    sim.shutdown().await;
}

/// The pipeline's steps run in the documented order (latency, faults, Accept, authentication,
/// rate limit, on-behalf-of, routing, permission, body): each pair below has a request that
/// fails both steps, and the earlier step must answer.
#[tokio::test]
async fn pipeline_steps_run_in_the_documented_order() {
    let sim = demo().await;
    let read_only = sim.add_key(None, "read-only", &["api_keys.read"]);
    let sub_key = sim.add_key(Some("acme-transactional"), "sub", &["api_keys.read"]);
    // an Accept without JSON, no Authorization
    let bare = || RawReq {
        accept: Some("text/html"),
        ..RawReq::default()
    };

    // latency before faults: an injected failure still waits for the latency
    sim.set_latency(Duration::from_millis(300));
    sim.fail_next(1, 500, false);
    let started = Instant::now();
    let r = raw(&sim, bare()).await;
    assert_eq!(r.status, 500);
    assert!(started.elapsed() >= Duration::from_millis(300));
    sim.set_latency(Duration::ZERO);

    // faults before Accept and authentication
    sim.fail_next(1, 503, false);
    let r = raw(&sim, bare()).await;
    assert_eq!(r.status, 503);
    r.rate_headers();

    // Accept before authentication
    let r = raw(&sim, bare()).await;
    assert_eq!(r.status, 406);
    r.rate_headers();

    // authentication before the rate limit: with a limit of 0 every counted request is a 429
    sim.set_rate_limit(0);
    let r = raw(
        &sim,
        RawReq {
            key: Some("SG.unknown"),
            ..RawReq::default()
        },
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(message_of(&r), INVALID_GRANT);
    // the rate limit before on-behalf-of, routing and permission
    for req in [
        RawReq {
            obo: Some("nobody"),
            ..admin_raw(&sim, "GET", "/v3/api_keys")
        },
        admin_raw(&sim, "GET", "/v3/templates"),
        admin_raw(&sim, "DELETE", "/v3/api_keys"),
        RawReq {
            key: Some(read_only.expose()),
            ..admin_raw(&sim, "DELETE", "/v3/api_keys/x")
        },
    ] {
        let r = raw(&sim, req).await;
        assert_eq!(r.status, 429);
        assert_eq!(r.rate_headers().1, 0);
    }
    sim.set_rate_limit(1000);

    // on-behalf-of before routing
    let r = raw(
        &sim,
        RawReq {
            obo: Some("nobody"),
            ..admin_raw(&sim, "GET", "/v3/templates")
        },
    )
    .await;
    assert_eq!(
        (r.status, message_of(&r).as_str()),
        (401, "authorization required")
    );
    let r = raw(
        &sim,
        RawReq {
            key: Some(sub_key.expose()),
            obo: Some("acme-eu-marketing"),
            ..admin_raw(&sim, "DELETE", "/v3/api_keys")
        },
    )
    .await;
    assert_eq!(
        (r.status, message_of(&r).as_str()),
        (403, "access forbidden")
    );

    // routing (404, 405) before permission
    let ro = |method: &'static str, path: &'static str| RawReq {
        method,
        path,
        key: Some(read_only.expose()),
        ..RawReq::default()
    };
    assert_eq!(raw(&sim, ro("DELETE", "/v3/api_keys")).await.status, 405);
    assert_eq!(raw(&sim, ro("GET", "/v3/templates")).await.status, 404);

    // permission before the body
    let r = raw(
        &sim,
        RawReq {
            body: Some("{not json"),
            ..ro("POST", "/v3/api_keys")
        },
    )
    .await;
    assert_eq!(
        (r.status, message_of(&r).as_str()),
        (403, "access forbidden")
    );
    let r = raw(
        &sim,
        RawReq {
            body: Some("{not json"),
            ..admin_raw(&sim, "POST", "/v3/api_keys")
        },
    )
    .await;
    assert_eq!(
        (r.status, message_of(&r).as_str()),
        (400, "request body is not valid JSON")
    );

    // every one of them was logged with its status, and the mutating ones counted
    let statuses: Vec<u16> = sim.requests().iter().map(|e| e.status).collect();
    assert_eq!(
        statuses,
        [
            500, 503, 406, 401, 429, 429, 429, 429, 401, 403, 405, 404, 403, 400
        ]
    );
    assert_eq!(sim.mutating_requests(), 6);
    sim.shutdown().await;
}

/// A path parameter is percent-decoded (as by any HTTP server): `%41` is `A`.
#[tokio::test]
async fn key_ids_in_the_path_are_percent_decoded() {
    let sim = demo().await;
    let id = sim.keys(None)[3].api_key_id.0.clone();
    let encoded = format!("/v3/api_keys/{}%{:02X}", &id[..21], id.as_bytes()[21]);
    let r = raw(&sim, admin_raw(&sim, "GET", &encoded)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["api_key_id"], id.as_str());
    // the log keeps the path as sent
    assert_eq!(sim.requests().last().unwrap().path, encoded);
    let r = raw(&sim, admin_raw(&sim, "GET", "/v3/api_keys/%FF")).await;
    assert_eq!(
        (r.status, message_of(&r).as_str()),
        (404, "unable to find API Key")
    );
    sim.shutdown().await;
}

fn message_of(r: &Raw) -> String {
    r.json()["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

// ---------------------------------------------------------------- the realistic defaults

/// Wait, if need be, for the next `period`-second window (aligned to the epoch) so that at
/// least `margin` of the current one is left: a few requests then land in one window.
async fn early_in_window(period: u64, margin: Duration) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let left = period as f64 - now % period as f64;
    if left < margin.as_secs_f64() {
        tokio::time::sleep(Duration::from_secs_f64(left + 0.05)).await;
    }
}

#[tokio::test]
async fn the_defaults_allow_600_requests_a_minute_per_parent_account() {
    let sim = start(SimConfig::default()).await;
    early_in_window(60, Duration::from_secs(5)).await;
    let first = raw(&sim, admin_raw(&sim, "GET", "/v3/scopes")).await;
    assert_eq!(first.status, 200);
    let (limit, remaining, reset) = first.rate_headers();
    assert_eq!((limit, remaining), (600, 599));
    // a fixed window of 60 s ending on a whole minute
    assert_eq!(reset % 60, 0, "{reset}");
    let now = epoch_now();
    assert!(reset > now && reset <= now + 60, "reset {reset}, now {now}");
    assert_eq!(sim.requests().last().unwrap().window, Some(reset - 60));

    // on-behalf-of calls count against the parent, whose key makes them (either host)
    let tx = raw(
        &sim,
        RawReq {
            obo: Some("acme-transactional"),
            ..admin_raw(&sim, "GET", "/v3/api_keys")
        },
    )
    .await;
    assert_eq!(tx.status, 200);
    assert_eq!(tx.rate_headers(), (600, 598, reset));
    let eu = raw(
        &sim,
        RawReq {
            obo: Some("acme-eu-marketing"),
            eu: true,
            ..admin_raw(&sim, "GET", "/v3/api_keys")
        },
    )
    .await;
    assert_eq!(eu.status, 200);
    assert_eq!(eu.rate_headers(), (600, 597, reset));
    let customer = raw(
        &sim,
        RawReq {
            obo: Some("account-id abc123def456hij789klm0"),
            ..admin_raw(&sim, "GET", "/v3/api_keys")
        },
    )
    .await;
    assert_eq!(customer.rate_headers(), (600, 596, reset));
    // a subuser's own key spends its own account's budget
    let own = sim.add_key(Some("acme-transactional"), "own", &["api_keys.read"]);
    let r = raw(
        &sim,
        RawReq {
            key: Some(own.expose()),
            ..RawReq::default()
        },
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.rate_headers(), (600, 599, reset));
    // a 401 is not counted (it shows a fresh window)
    let r = raw(
        &sim,
        RawReq {
            key: Some("SG.unknown"),
            ..RawReq::default()
        },
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.rate_headers(), (600, 600, reset));
    let r = raw(&sim, admin_raw(&sim, "GET", "/v3/scopes")).await;
    assert_eq!(r.rate_headers(), (600, 595, reset));

    // over the limit: 429 until the minute ends (the limit lowered to reach it quickly; the
    // window stays 60 s)
    sim.set_rate_limit(6);
    let r = raw(&sim, admin_raw(&sim, "GET", "/v3/scopes")).await;
    assert_eq!((r.status, r.rate_headers()), (200, (6, 0, reset)));
    let r = raw(
        &sim,
        RawReq {
            obo: Some("acme-transactional"),
            ..admin_raw(&sim, "GET", "/v3/api_keys")
        },
    )
    .await;
    assert_eq!((r.status, r.rate_headers()), (429, (6, 0, reset)));
    assert_eq!(
        r.json(),
        json!({"errors":[{"field":null,"message":"too many requests"}]})
    );
    // the subuser's own key is not held back by its parent's budget
    let r = raw(
        &sim,
        RawReq {
            key: Some(own.expose()),
            ..RawReq::default()
        },
    )
    .await;
    assert_eq!(r.status, 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn key_creation_is_limited_to_one_per_2_s_with_the_usual_429() {
    let sim = start(SimConfig::default()).await;
    let post = |obo: Option<&'static str>| RawReq {
        body: Some(r#"{"name":"paced","scopes":["mail.send"]}"#),
        obo,
        ..admin_raw(&sim, "POST", "/v3/api_keys")
    };
    early_in_window(2, Duration::from_millis(800)).await;
    let now = epoch_now();
    let first = raw(&sim, post(None)).await;
    assert_eq!(first.status, 201);
    // the answer describes the creation budget: 1 per 2 s window, used up
    let (limit, remaining, reset) = first.rate_headers();
    assert_eq!((limit, remaining), (1, 0));
    assert_eq!(reset % 2, 0, "{reset}");
    assert!(reset > now && reset <= now + 2, "reset {reset}, now {now}");

    // a second creation in the window: the same 429 as any limit, headers of the create budget
    let second = raw(&sim, post(None)).await;
    assert_eq!(second.status, 429);
    assert_eq!(
        second.json(),
        json!({"errors":[{"field":null,"message":"too many requests"}]})
    );
    assert_eq!(second.rate_headers(), (1, 0, reset));
    // on behalf of a subuser: counted against the calling parent as well
    let third = raw(&sim, post(Some("acme-transactional"))).await;
    assert_eq!((third.status, third.rate_headers()), (429, (1, 0, reset)));
    // nothing was created by the refused ones
    assert_eq!(
        sim.keys(None).iter().filter(|k| k.name == "paced").count(),
        1
    );
    assert_eq!(sim.keys(Some("acme-transactional")).len(), 5);
    // reads are not held back; the refused creations spent the request budget
    let r = raw(&sim, admin_raw(&sim, "GET", "/v3/api_keys")).await;
    assert_eq!(r.status, 200);
    let (limit, remaining, _) = r.rate_headers();
    assert_eq!((limit, remaining), (600, 596));

    // after the reset the next creation goes through
    tokio::time::sleep(Duration::from_secs_f64(
        (reset as f64 - epoch_now_secs()).max(0.0) + 0.05,
    ))
    .await;
    let after = raw(&sim, post(Some("acme-transactional"))).await;
    assert_eq!(after.status, 201);
    let (limit, remaining, _) = after.rate_headers();
    assert_eq!((limit, remaining), (1, 0));

    // `create_rate` changes it: 3 per minute
    sim.set_create_rate(sgkeys::sim::Rate::new(3, 60));
    early_in_window(60, Duration::from_secs(3)).await;
    let statuses = [
        raw(&sim, post(None)).await.status,
        raw(&sim, post(None)).await.status,
        raw(&sim, post(None)).await.status,
        raw(&sim, post(None)).await.status,
    ];
    assert_eq!(statuses, [201, 201, 201, 429]);
    sim.shutdown().await;
}

fn epoch_now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[tokio::test]
async fn a_revoked_key_keeps_working_for_2_s_by_default() {
    assert_eq!(SimConfig::default().revoke_delay, Duration::from_secs(2));
    assert_eq!(SimConfig::fast().revoke_delay, Duration::ZERO);
    let sim = start(SimConfig::default()).await;
    let victim = sim.add_key(None, "victim", &["mail.send"]);
    let id = ApiKeyId(victim.key_id().unwrap().to_owned());
    admin(&sim).delete_key(&id).await.unwrap();
    let revoked = Instant::now();
    let c = client(&sim, &victim);
    // SendGrid's "small propagation delay": still accepted, with what it held
    assert_eq!(c.my_scopes().await.unwrap()[0], "mail.send");
    let dead_after = loop {
        match c.my_scopes().await {
            Ok(_) => {
                assert!(
                    revoked.elapsed() < Duration::from_secs(10),
                    "still accepted after 10 s"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => {
                assert!(matches!(e, ApiError::Unauthorized(_)), "{e}");
                assert_eq!(message(&e), INVALID_GRANT);
                break revoked.elapsed();
            }
        }
    };
    assert!(
        dead_after >= Duration::from_millis(1900),
        "refused after {dead_after:?}, before the 2 s delay"
    );
    // the key is gone from the list at once
    assert!(!sim.keys(None).iter().any(|k| k.api_key_id == id));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_fleet_of_1000_subusers_is_seeded_and_listed_in_pages_of_500() {
    // the EU host's port can be chosen (one found free just before)
    let eu_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sim = start(SimConfig {
        seed: "fleet:1000:3".parse().unwrap(),
        eu_port,
        ..SimConfig::fast()
    })
    .await;
    assert!(
        sim.eu_base_url().ends_with(&format!(":{eu_port}")),
        "{}",
        sim.eu_base_url()
    );
    assert_eq!(sim.subusers().len(), 1000);
    assert_eq!(sim.keys(Some("fleet-1000")).len(), 3);
    let page = |q: &'static str| raw(&sim, admin_raw(&sim, "GET", q));
    let one = page("/v3/subusers").await.json();
    assert_eq!(one.as_array().unwrap().len(), 500);
    let two = page("/v3/subusers?offset=500").await.json();
    assert_eq!(two.as_array().unwrap().len(), 500);
    assert_eq!(two[499]["username"], "fleet-1000");
    let three = page("/v3/subusers?offset=1000").await.json();
    assert_eq!(three, json!([]));
    // on behalf of the last one
    let r = raw(
        &sim,
        RawReq {
            obo: Some("fleet-1000"),
            ..admin_raw(&sim, "GET", "/v3/api_keys")
        },
    )
    .await;
    assert_eq!(r.json()["result"].as_array().unwrap().len(), 3);
    // more than 1000 subusers is refused with a reason
    let err = "fleet:1001:1".parse::<Seed>().unwrap_err();
    assert!(err.contains("at most 1000 subusers"), "{err}");
    sim.shutdown().await;
}

// ---------------------------------------------------------------- whose key is it

/// `GET /v3/user/username` (OAI `tsg_user_v3.json`): the account a key belongs to, or the
/// on-behalf-of target; `user.username.read` needed.
#[tokio::test]
async fn user_username_says_whose_key_it_is() {
    let sim = demo().await;
    fn get(key: &str) -> RawReq<'_> {
        RawReq {
            path: "/v3/user/username",
            key: Some(key),
            ..RawReq::default()
        }
    }
    let admin_key = sim.admin_key().expose().to_owned();
    let r = raw(&sim, get(&admin_key)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"username":"acme-corp","user_id":1000}));
    // the customer account's id, as the control API shows it
    let state = raw(&sim, admin_raw(&sim, "GET", "/_sim/state"))
        .await
        .json();
    assert_eq!(state["accounts"][3]["username"], "globex-customer");
    let customer_id = state["accounts"][3]["id"].as_u64().unwrap();
    r.rate_headers();

    // a subuser's key, an EU subuser's key (either host: no on-behalf-of), a customer's key
    for (account, want) in [
        (
            "acme-transactional",
            json!({"username":"acme-transactional","user_id":1001}),
        ),
        (
            "acme-eu-marketing",
            json!({"username":"acme-eu-marketing","user_id":1002}),
        ),
        (
            "globex-customer",
            json!({"username":"globex-customer","user_id":customer_id}),
        ),
    ] {
        let key = sim.add_key(Some(account), "leaked", &["user.username.read"]);
        for eu in [false, true] {
            let r = raw(
                &sim,
                RawReq {
                    eu,
                    ..get(key.expose())
                },
            )
            .await;
            assert_eq!(
                (r.status, r.json()),
                (200, want.clone()),
                "{account} eu={eu}"
            );
        }
    }

    // on behalf of a subuser or a customer account: the target's
    let r = raw(
        &sim,
        RawReq {
            obo: Some("acme-transactional"),
            ..get(&admin_key)
        },
    )
    .await;
    assert_eq!(r.json()["username"], "acme-transactional");
    let r = raw(
        &sim,
        RawReq {
            obo: Some("acme-eu-marketing"),
            eu: true,
            ..get(&admin_key)
        },
    )
    .await;
    assert_eq!(r.json()["username"], "acme-eu-marketing");
    let r = raw(
        &sim,
        RawReq {
            obo: Some("account-id abc123def456hij789klm0"),
            ..get(&admin_key)
        },
    )
    .await;
    assert_eq!(r.json()["username"], "globex-customer");

    // a key without the scope: 403; a revoked or unknown key: 401; other methods: 405
    let mail = sim.add_key(None, "mail only", &["mail.send"]);
    let r = raw(&sim, get(mail.expose())).await;
    assert_eq!(
        (r.status, message_of(&r).as_str()),
        (403, "access forbidden")
    );
    let r = raw(&sim, get("SG.unknown")).await;
    assert_eq!((r.status, message_of(&r)), (401, INVALID_GRANT.to_owned()));
    let r = raw(
        &sim,
        RawReq {
            method: "PUT",
            ..get(&admin_key)
        },
    )
    .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.headers["allow"], "GET");
    sim.shutdown().await;
}

// ---------------------------------------------------------------- fidelity fixes (issue 21)

/// One method list in one format: only a 405 carries `Allow`, and every method it lists is
/// served (HEAD is not, so it is not listed); a 401 on a wrong method advertises nothing.
#[tokio::test]
async fn allow_is_on_405_only_and_lists_exactly_the_methods_served() {
    let sim = demo().await;
    let id = sim.keys(None)[5].api_key_id.0.clone();
    let key_path = format!("/v3/api_keys/{id}");
    for (path, allow) in [
        ("/v3/api_keys", "GET, POST"),
        (key_path.as_str(), "GET, PATCH, PUT, DELETE"),
        ("/v3/scopes", "GET"),
        ("/v3/subusers", "GET"),
        ("/v3/user/username", "GET"),
    ] {
        for method in [
            "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND",
        ] {
            // without a key: 401 and no Allow, whatever the method
            let r = raw(
                &sim,
                RawReq {
                    method,
                    path,
                    ..RawReq::default()
                },
            )
            .await;
            assert_eq!(r.status, 401, "{method} {path}");
            assert!(
                !r.headers.contains_key("allow"),
                "{method} {path}: 401 with Allow {:?}",
                r.headers.get("allow")
            );
            // with one: 405 with the route's Allow exactly when the method is not listed
            let served = allow.split(", ").any(|m| m == method);
            let body = ["POST", "PUT", "PATCH"].contains(&method).then_some("{}");
            let r = raw(
                &sim,
                RawReq {
                    body,
                    ..admin_raw(&sim, method, path)
                },
            )
            .await;
            if served {
                assert_ne!(r.status, 405, "{method} {path}");
                assert!(!r.headers.contains_key("allow"), "{method} {path}");
            } else {
                assert_eq!(r.status, 405, "{method} {path}");
                assert_eq!(r.headers["allow"], allow, "{method} {path}");
            }
        }
    }
    sim.shutdown().await;
}

/// The injected 451 and the enforced one are the same answer, and it names "the account's
/// region": true of a subuser and of a customer account alike.
#[tokio::test]
async fn one_451_body_for_subusers_customers_and_injected_faults() {
    let sim = demo().await;
    let eu_on_global = raw(
        &sim,
        RawReq {
            obo: Some("acme-eu-marketing"),
            ..admin_raw(&sim, "GET", "/v3/api_keys")
        },
    )
    .await;
    let customer_on_eu = raw(
        &sim,
        RawReq {
            obo: Some("account-id abc123def456hij789klm0"),
            eu: true,
            ..admin_raw(&sim, "GET", "/v3/api_keys")
        },
    )
    .await;
    sim.fail_next(1, 451, false);
    let injected = raw(&sim, admin_raw(&sim, "GET", "/v3/api_keys")).await;
    let want = json!({"errors":[{
        "field": null,
        "message": "Unavailable due to data residency restrictions: use the base URL of the account's region",
        "help": null,
    }]});
    for r in [&eu_on_global, &customer_on_eu, &injected] {
        assert_eq!(r.status, 451);
        assert_eq!(r.json(), want);
        assert!(!r.text().contains("subuser"), "{}", r.text());
        r.rate_headers();
    }
    sim.shutdown().await;
}
