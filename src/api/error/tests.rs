//! Error bodies parsed leniently, and what each error says.

use super::*;

#[test]
fn parses_documented_and_lenient_bodies() {
    let b = ErrorBody::parse(
        br#"{"errors":[{"field":"name","message":"missing required argument","help":null}]}"#,
    );
    assert_eq!(b.errors[0].field.as_deref(), Some("name"));
    assert_eq!(b.to_string(), "name: missing required argument");
    let b = ErrorBody::parse(
        br#"{"errors":[{"field":"null","message":"access forbidden"}],"id":"abc"}"#,
    );
    assert_eq!(b.errors[0].field, None);
    assert_eq!(b.id.as_deref(), Some("abc"));
    let b = ErrorBody::parse(br#"{"error":"boom"}"#);
    assert_eq!(b.to_string(), "boom");
    let b = ErrorBody::parse(br#"{"errors":[{"message":"internal server error"}]}"#);
    assert_eq!(b.to_string(), "internal server error");
    assert!(b.documented);
    // only SendGrid's own shape counts as SendGrid speaking
    for other in [
        &br#"{"error":"boom"}"#[..],
        br#"{"errors":[]}"#,
        br#"{"errors":["authorization required"]}"#,
        br#"{"message":"Unauthorized"}"#,
        b"<html><title>401 Authorization Required</title></html>",
        b"",
    ] {
        assert!(!ErrorBody::parse(other).documented, "{other:?}");
    }
    let html = ApiError::from_status(401, b"<html>401</html>", None);
    assert!(!html.refused_by_sendgrid() && html.not_from_sendgrid());
    let json = ApiError::from_status(
        401,
        br#"{"errors":[{"field":null,"message":"authorization required"}]}"#,
        None,
    );
    assert!(json.refused_by_sendgrid() && !json.not_from_sendgrid());
    assert!(!ApiError::from_status(404, b"Not Found", None).gone_by_sendgrid());
}

#[test]
fn describes_non_json_bodies() {
    let b = ErrorBody::parse(
        b"<html><head><title>503 Service Unavailable</title></head><body>x</body></html>",
    );
    assert!(b.to_string().contains("HTML page"), "{b}");
    assert!(b.to_string().contains("503 Service Unavailable"), "{b}");
    assert_eq!(
        ErrorBody::parse(b"").to_string(),
        "empty body (expected JSON)"
    );
    assert!(
        ErrorBody::parse(br#"{"errors":[{"mess"#)
            .to_string()
            .contains("truncated")
    );
    assert!(
        ErrorBody::parse(br#"[1,2]"#)
            .to_string()
            .contains("without an 'errors' list")
    );
}

fn url(s: &str) -> reqwest::Url {
    reqwest::Url::parse(s).unwrap()
}

#[test]
fn transport_failures_are_worded_by_what_happened() {
    let cases = [
        (
            "error sending request for url (http://127.0.0.1:9/v3/api_keys): client error \
                 (Connect): tcp connect error: Connection refused (os error 111)",
            "http://127.0.0.1:9",
            NetKind::Refused,
            "cannot connect to 127.0.0.1:9: nothing is listening there (connection refused)",
        ),
        (
            "error sending request for url (http://127.0.0.1:8443/v3/api_keys): client error \
                 (SendRequest): invalid HTTP version parsed",
            "http://127.0.0.1:8443",
            NetKind::NotHttp,
            "127.0.0.1:8443 did not answer in HTTP: it seems to speak HTTPS (TLS)",
        ),
        (
            "client error (Connect): dns error: failed to lookup address information: Name \
                 or service not known",
            "https://api.sendgird.com",
            NetKind::NoHost,
            "cannot find the host api.sendgird.com: its name does not resolve (DNS) (Name or \
                 service not known)",
        ),
        (
            "client error (Connect): received corrupt message of type InvalidContentType",
            "https://127.0.0.1:3030",
            NetKind::NotTls,
            "TLS: 127.0.0.1:3030 did not answer with TLS: it seems to speak plain HTTP \
                 (received corrupt message of type InvalidContentType)",
        ),
        (
            "client error (Connect): invalid peer certificate: UnknownIssuer",
            "https://api.sendgrid.com",
            NetKind::UntrustedCa,
            "",
        ),
        (
            "connection closed before message completed",
            "https://api.sendgrid.com",
            NetKind::Dropped,
            "api.sendgrid.com:443 closed the connection before answering (connection closed \
                 before message completed)",
        ),
        ("something new", "https://x.example", NetKind::Other, ""),
    ];
    for (detail, base, kind, words) in cases {
        let e = NetError::from_transport(detail, &url(base));
        assert_eq!(e.kind, kind, "{detail}");
        if !words.is_empty() {
            assert_eq!(e.message, words);
        }
        let err = ApiError::Network(e);
        let at = Endpoint {
            base_url: base,
            eu_base_url: None,
        };
        let w = err.in_words(&at);
        assert_eq!(w.what, err.to_string());
        if !matches!(kind, NetKind::Other) {
            assert!(w.hint.is_some(), "{kind:?}: what to try");
        }
    }
    let w = ApiError::Network(NetError::from_transport(
        "invalid HTTP version parsed",
        &url("http://127.0.0.1:8443"),
    ))
    .in_words(&Endpoint {
        base_url: "http://127.0.0.1:8443/",
        eu_base_url: None,
    });
    assert_eq!(
        w.hint.as_deref(),
        Some("use https:// in --base-url (https://127.0.0.1:8443)")
    );
}

#[test]
fn a_451_names_the_flag_that_can_fix_it_for_this_endpoint() {
    let e = ApiError::from_status(451, b"{}", None);
    assert!(!e.to_string().contains("--region"), "{e}");
    let hint = |base, eu| {
        e.in_words(&Endpoint {
            base_url: base,
            eu_base_url: eu,
        })
        .hint
        .unwrap()
    };
    assert!(hint(crate::api::GLOBAL_BASE_URL, None).contains("--region eu"));
    let sim = hint("http://127.0.0.1:3030", None);
    assert!(
        sim.contains("--eu-base-url") && !sim.contains("--region eu"),
        "{sim}"
    );
    let set = hint("http://127.0.0.1:3030", Some("http://127.0.0.1:3031"));
    assert!(set.contains("--eu-base-url http://127.0.0.1:3031"), "{set}");
}

#[test]
fn an_html_5xx_says_proxy_or_outage_in_both_fronts() {
    let e = ApiError::from_status(503, b"<html><title>503</title></html>", None);
    let w = e.in_words(&Endpoint {
        base_url: crate::api::GLOBAL_BASE_URL,
        eu_base_url: None,
    });
    assert!(
        w.what.contains("probably a proxy or an outage"),
        "{}",
        w.what
    );
    assert!(w.hint.unwrap().contains("status.sendgrid.com"));
}

#[test]
fn maps_every_status() {
    let cases = [
        (400, "400"),
        (401, "401"),
        (403, "403"),
        (404, "404"),
        (406, "406"),
        (429, "429"),
        (451, "451"),
        (500, "500"),
        (503, "503"),
        (418, "418"),
    ];
    for (status, prefix) in cases {
        let e = ApiError::from_status(status, b"{}", None);
        assert_eq!(e.status(), Some(status));
        assert!(e.to_string().contains(prefix), "{e}");
    }
    assert!(matches!(
        ApiError::from_status(451, b"", None),
        ApiError::DataResidency(_)
    ));
    assert!(matches!(
        ApiError::from_status(503, b"", None),
        ApiError::Server { status: 503, .. }
    ));
}
