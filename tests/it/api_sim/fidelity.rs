//! Fidelity fixes (issue 21): `Allow` on 405 only, one 451 body.

use super::*;

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
