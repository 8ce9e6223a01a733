//! Whose key it is: on-behalf-of isolation and `GET /v3/user/username`.

use super::*;

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
