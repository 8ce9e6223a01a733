//! Every error status: 400, 401, 403, 404, 406, 429, the 101st key, injected 451 and 5xx.

use super::*;

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
    let r = raw(&sim, as_key("not-a-key")).await;
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
        let r = raw(&sim, as_key(&key)).await;
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
            let r = raw(&sim, as_key(&key)).await;
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
    let c = retrying(&sim);
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
