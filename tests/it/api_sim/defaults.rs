//! The realistic defaults: 600 requests a minute, one creation per 2 s, a 2 s revoke delay,
//! a fleet of subusers.

use super::*;

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
    let r = raw(&sim, as_key(own.expose())).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.rate_headers(), (600, 599, reset));
    // a 401 is not counted (it shows a fresh window)
    let r = raw(&sim, as_key("SG.unknown")).await;
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
    let r = raw(&sim, as_key(own.expose())).await;
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
