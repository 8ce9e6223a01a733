//! The hostile server itself: each kind of reply reaches a real HTTP client as intended.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::hostile::{Hostile, Reply, fake_key, id_of, key_json, list_json};

fn client() -> reqwest::Client {
    sgkeys::api::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
}

#[tokio::test]
async fn json_keep_alive_and_what_was_seen() {
    let n = AtomicUsize::new(0);
    let h = Hostile::start(move |seen| {
        let i = n.fetch_add(1, Ordering::SeqCst);
        if seen.method == "POST" {
            Reply::json(201, key_json("abc", &seen.body, &["mail.send"]))
        } else {
            Reply::json(200, list_json(&[("abc", &format!("k{i}"))]))
        }
    })
    .await;
    let c = client();
    for i in 0..3 {
        let r = c
            .get(format!("{}/v3/api_keys?limit=2", h.url()))
            .header("Authorization", "Bearer x")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-ratelimit-remaining"], "599");
        let v: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        assert_eq!(v["result"][0]["name"], format!("k{i}"));
    }
    let r = c
        .post(format!("{}/v3/api_keys", h.url()))
        .header("Content-Type", "application/json")
        .body(r#"{"name":"n"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(v["scopes"][0], "mail.send");

    let seen = h.requests();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0].path, "/v3/api_keys?limit=2");
    assert_eq!(seen[0].header("AUTHORIZATION"), Some("Bearer x"));
    assert_eq!(seen[3].body, r#"{"name":"n"}"#);
    assert_eq!(h.count("GET", "/v3/api_keys"), 3);
    assert_eq!(h.count("POST", "/v3/"), 1);
    assert_eq!(h.count("DELETE", "/"), 0);
}

#[tokio::test]
async fn keep_alive_serves_three_requests_on_one_connection() {
    let h = Hostile::start(|_| Reply::empty(204)).await;
    let c = client();
    for _ in 0..3 {
        let r = c.delete(format!("{}/v3/api_keys/x", h.url())).send().await;
        assert_eq!(r.unwrap().status(), 204);
    }
    assert_eq!(h.count("DELETE", "/v3/api_keys/x"), 3);
    assert_eq!(h.connections(), 1);
}

#[tokio::test]
async fn redirect_html_and_raw_headers() {
    let h = Hostile::start(|seen| match seen.path.as_str() {
        "/moved" => Reply::redirect(302, "https://evil.example/steal"),
        "/html" => Reply::html(502, "<h1>Bad Gateway</h1>"),
        _ => Reply::json(429, serde_json::json!({"errors": []}))
            .with_header("X-RateLimit-Remaining", "0")
            .with_header("Retry-After", "1"),
    })
    .await;
    let c = client();
    let r = c.get(format!("{}/moved", h.url())).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "https://evil.example/steal");
    let r = c.get(format!("{}/html", h.url())).send().await.unwrap();
    assert_eq!(r.status(), 502);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("html")
    );
    assert_eq!(r.text().await.unwrap(), "<h1>Bad Gateway</h1>");
    let r = c.get(format!("{}/limited", h.url())).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
    assert_eq!(
        r.headers().get_all("x-ratelimit-remaining").iter().count(),
        1
    );
    assert_eq!(r.headers()["retry-after"], "1");
}

#[tokio::test]
async fn truncated_body_is_a_body_error() {
    let h = Hostile::start(|_| Reply::Truncated {
        status: 200,
        declared: 1000,
        body: br#"{"result":["#.to_vec(),
    })
    .await;
    let r = client().get(h.url()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let e = r.bytes().await.unwrap_err();
    assert!(e.is_body() || e.is_decode(), "{e:?}");
}

#[tokio::test]
async fn silent_times_out_close_and_slow() {
    let h = Hostile::start(|seen| match seen.path.as_str() {
        "/silent" => Reply::Silent,
        "/close" => Reply::Close,
        "/slow" => Reply::Slow(Duration::from_millis(100), Box::new(Reply::empty(204)))
            .with_header("X-Slow", "yes"),
        _ => Reply::Slow(Duration::from_secs(5), Box::new(Reply::empty(204))),
    })
    .await;
    let c = client();
    let t = Instant::now();
    let e = c
        .get(format!("{}/silent", h.url()))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());

    let e = c
        .get(format!("{}/close", h.url()))
        .send()
        .await
        .unwrap_err();
    assert!(!e.is_timeout(), "{e:?}");

    let t = Instant::now();
    let r = c.get(format!("{}/slow", h.url())).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["x-slow"], "yes");
    assert!(t.elapsed() >= Duration::from_millis(100));

    let e = c
        .get(format!("{}/too-slow", h.url()))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    assert_eq!(h.requests().len(), 4);
}

#[tokio::test]
async fn dropping_the_server_closes_held_connections() {
    let h = Hostile::start(|_| Reply::Silent).await;
    let url = h.url();
    sgkeys::api::install_crypto_provider();
    let c = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let pending = tokio::spawn(async move { c.get(url).send().await });
    while h.requests().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let t = Instant::now();
    drop(h);
    let e = pending.await.unwrap().unwrap_err();
    assert!(!e.is_timeout(), "{e:?}");
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
}

#[tokio::test]
async fn chunked_bodies_and_two_requests_on_one_raw_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = Hostile::start(|seen| Reply::json(200, serde_json::json!({ "got": seen.body }))).await;
    let mut s = tokio::net::TcpStream::connect(h.url().trim_start_matches("http://"))
        .await
        .unwrap();
    s.write_all(
        b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
          6\r\nhello \r\n5;ext=1\r\nworld\r\n0\r\n\r\n\
          PUT /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
    )
    .await
    .unwrap();
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(1), s.read_to_string(&mut out))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.matches("HTTP/1.1 200 OK\r\n").count(), 2, "{out}");
    let seen = h.requests();
    assert_eq!(seen[0].body, "hello world");
    assert_eq!(
        (seen[1].method.as_str(), seen[1].body.as_str()),
        ("PUT", "hi")
    );
    assert_eq!(h.connections(), 1);
}

#[test]
fn fake_keys_are_valid_distinct_and_deterministic() {
    let mut ids = std::collections::BTreeSet::new();
    for seed in 0..=255u8 {
        let k = fake_key(seed);
        assert!(sgkeys::secret::looks_like_key(&k), "{k}");
        assert_eq!(k, fake_key(seed));
        assert_eq!(id_of(&k), sgkeys::secret::key_id_of(&k).unwrap());
        assert!(ids.insert(id_of(&k)));
    }
}
