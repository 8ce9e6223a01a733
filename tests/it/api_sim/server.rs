//! The server around the API: state that survives a restart, hangs and retries, rate
//! headers, the control API and request log, slow clients, the pipeline's order, percent-decoded
//! ids.

use super::*;

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
    let c = retrying(&sim);

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
        (as_key(reader.expose()), 403),
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
    let r = raw(&sim, as_key("SG.unknown")).await;
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
