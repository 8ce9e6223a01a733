//! Every operation of the keys API, the caller's scopes and subusers.

use super::*;

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
