//! Malformed input never panics and always yields a typed error with a message: response bodies
//! (decoded by the real client over HTTP), keys, config files, policies, old audit reports and
//! filter queries.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use proptest::prelude::*;
use sgkeys::api::{ApiError, ApiKeyId, Client, ClientOptions, ErrorBody, OnBehalfOf, RetryPolicy};
use sgkeys::secret::Secret;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn error_bodies_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let b = ErrorBody::parse(&bytes);
        let text = b.to_string();
        prop_assert!(!text.is_empty());
        prop_assert!(text.chars().count() <= 400);
    }

    #[test]
    fn json_like_error_bodies_never_panic(s in r#"\{"errors":\[(\{("field":(null|"[a-z]*"|1),)?("message":("[ -~]{0,20}"|null|3|\[\]),)?("help":(null|\{\}|"x")})?,?){0,3}\]\}"#) {
        let b = ErrorBody::parse(s.as_bytes());
        let _ = b.to_string();
    }

    #[test]
    fn key_parsing_never_panics_or_echoes(s in ".{0,90}") {
        if let Err(e) = Secret::parse(&s) {
            let msg = e.to_string();
            // the message never repeats a long run of the input
            if s.len() >= 12 {
                prop_assert!(!msg.contains(&s[..]), "{msg}");
            }
        }
        let _ = sgkeys::secret::key_id_of(&s);
    }

    #[test]
    fn config_files_never_panic(s in "(\\[profiles\\.[a-z]{1,5}\\]\n|[a-z_]{1,12} = (\"[ -~]{0,12}\"|[0-9]{1,4}|true|\\[\\])\n|default_profile = \"[a-z]{1,3}\"\n|[ -~]{0,20}\n){0,8}") {
        if let Ok(f) = sgkeys::config::ConfigFile::parse(&s, std::path::Path::new("c.toml")) {
            let ov = sgkeys::config::Overrides::default();
            let _ = sgkeys::config::resolve_with(&ov, &f, None, |_| None);
        }
    }

    #[test]
    fn policies_never_panic(s in "(\\[\\[rule\\]\\]\n|name = \"[a-z ]{0,8}\"\n|(keys|max_risk|context) = \"[a-z*?!-]{0,8}\"\n|(allow_only|deny|deny_types|deny_findings|except) = \\[(\"[a-z_.*]{0,12}\",?){0,3}\\]\n|(max_full_access|max_keys) = -?[0-9]{1,3}\n|[ -~]{0,16}\n){0,10}") {
        match sgkeys::policy::parse(&s) {
            Ok(p) => prop_assert!(!p.rules.is_empty()),
            Err(e) => prop_assert!(!e.is_empty()),
        }
    }

    #[test]
    fn old_audits_never_panic(s in "\\{(\"(generated_at|keys)\":(\\[(\\{(\"(api_key_id|name|type|scopes|context)\":(\"[a-z]{0,4}\"|null|\\[\\]|1),?){0,5}\\},?){0,3}\\]|\"x\"|null),?){0,3}\\}|[ -~]{0,40}") {
        if let Ok(old) = sgkeys::audit::parse_old(&s) {
            let empty = sgkeys::audit::Audit { generated_at: String::new(), base_url: String::new(), contexts: vec![], keys: vec![] };
            let _ = sgkeys::audit::changes_text(&sgkeys::audit::changes(&old, &empty));
        }
    }

    #[test]
    fn filter_queries_never_panic(s in "[ -~]{0,60}") {
        let q = sgkeys::app::Query::parse(&s);
        let _ = q.invalid();
        let _ = sgkeys::scopes::glob_match(&s, "mail.send");
        let _ = sgkeys::scopes::expand_specs(&[s.as_str()]);
        let _ = OnBehalfOf::parse(&s);
    }
}

/// A one-shot HTTP server that answers every request with `status` and `body`.
async fn serve(status: u16, content_type: &'static str, body: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
            });
        }
    });
    format!("http://{addr}")
}

fn client(url: String) -> Client {
    let key = Secret::parse(&format!("SG.{}.{}", "A".repeat(22), "b".repeat(43))).unwrap();
    Client::new(
        key,
        ClientOptions {
            base_url: url,
            retry: RetryPolicy::none(),
            ..Default::default()
        },
    )
    .unwrap()
}

#[tokio::test]
async fn garbage_answers_are_typed_errors_over_http() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut bodies: Vec<(u16, &'static str, Vec<u8>)> = vec![
        (200, "application/json", b"".to_vec()),
        (
            200,
            "application/json",
            b"{\"result\":[{\"api_key_id\":".to_vec(),
        ),
        (200, "application/json", b"{\"result\":{}}".to_vec()),
        (200, "application/json", b"[]".to_vec()),
        (
            200,
            "text/html",
            b"<html><title>Welcome</title></html>".to_vec(),
        ),
        (
            200,
            "application/json",
            b"{\"api_key_id\":7,\"name\":[],\"scopes\":\"x\"}".to_vec(),
        ),
        (
            502,
            "text/html",
            b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>".to_vec(),
        ),
        (
            500,
            "application/json",
            b"{\"errors\":[{\"message\":\"internal server error\"}]}".to_vec(),
        ),
        (418, "text/plain", b"teapot".to_vec()),
        (401, "application/json", b"{\"error\":\"nope\"}".to_vec()),
    ];
    for _ in 0..40 {
        let n = rng.random_range(0..300);
        let body: Vec<u8> = (0..n).map(|_| rng.random()).collect();
        let status = [200, 201, 400, 404, 429, 500, 503][rng.random_range(0..7)];
        bodies.push((status, "application/octet-stream", body));
    }
    for (status, ct, body) in bodies {
        let url = serve(status, ct, body.clone()).await;
        let c = client(url);
        let id = ApiKeyId("AAAAAAAAAAAAAAAAAAAAAA".into());
        for r in [
            c.get_key(&id).await.map(|_| ()),
            c.list_keys(None).await.map(|_| ()),
            c.my_scopes().await.map(|_| ()),
            c.list_subusers().await.map(|_| ()),
            c.create_key("x", None).await.map(|_| ()),
            c.update_key(&id, "x", &["mail.send".into()])
                .await
                .map(|_| ()),
        ] {
            match r {
                // random bytes can, rarely, be valid JSON of the right shape
                Ok(()) => {}
                Err(e) => {
                    let msg = e.to_string();
                    assert!(!msg.is_empty());
                    // a read's bad body is a Decode error; a mutation's is NotTheAnswer (its
                    // outcome is unknown: the operations layer reads the key back)
                    if status == 200
                        && !matches!(e, ApiError::Decode { .. } | ApiError::NotTheAnswer { .. })
                    {
                        panic!("a 200 with a bad body must be a Decode error, got {e:?}");
                    }
                    if (200..300).contains(&status) {
                        assert!(
                            msg.contains("could not read") || msg.contains("not SendGrid's answer"),
                            "{msg}"
                        );
                        assert!(e.mutation_unknown(), "{e:?}");
                    } else {
                        assert_eq!(e.status(), Some(status), "{msg}");
                    }
                }
            }
        }
    }
}
