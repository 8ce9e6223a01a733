//! No wait outlives `--timeout`: silence, a server's clock ten minutes off ours, a limit of
//! zero or a spent window.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn nothing_hangs_past_the_timeout() {
    // a server that never answers: one deadline covers every retry
    let silent = Hostile::start(|_: &Seen| Reply::Silent).await;
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        dir.path(),
        &silent.url(),
        &caller(),
        &["--timeout", "1", "list"],
    )
    .await;
    assert_eq!(r.code, 1);
    assert!(r.took < Duration::from_secs(2), "took {:?}", r.took);
    assert!(r.err.contains("timeout"), "{}", r.err);

    // a 200 that says the rate limit is spent for 100 000 s: fail at once, saying why
    let keys = [(id_of(&fake_key(20)), "a"), (id_of(&fake_key(21)), "b")];
    let far = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 100_000)
        .to_string();
    let listed: Vec<(String, String)> = keys
        .iter()
        .map(|(i, n)| (i.clone(), n.to_string()))
        .collect();
    let spent = Hostile::start(move |r: &Seen| {
        let pairs: Vec<(&str, &str)> = listed
            .iter()
            .map(|(i, n)| (i.as_str(), n.as_str()))
            .collect();
        let body = if r.path.starts_with("/v3/api_keys/") {
            key_json(
                r.path.trim_start_matches("/v3/api_keys/"),
                "a",
                &["mail.send"],
            )
        } else {
            list_json(&pairs)
        };
        Reply::json(200, body)
            .with_header("X-RateLimit-Remaining", "0")
            .with_header("X-RateLimit-Reset", &far)
    })
    .await;
    let r = run(
        dir.path(),
        &spent.url(),
        &caller(),
        &["--timeout", "1", "list", "--scopes"],
    )
    .await;
    assert!(r.took < Duration::from_secs(2), "took {:?}", r.took);
    assert!(r.err.contains("rate limit"), "{}{}", r.out, r.err);
}

/// A SendGrid whose clock is `skew` seconds off ours and whose rate limit it enforces by its
/// own clock: `limit` requests per one-second window, a 429 beyond; every answer carries its
/// `Date` and `X-RateLimit-*`. `keys` keys. Returns the server and its count of 429s.
async fn skewed_origin(
    skew: f64,
    limit: u64,
    keys: usize,
) -> (Hostile, Arc<std::sync::atomic::AtomicUsize>) {
    let listed: Vec<(String, String)> = (0..keys)
        .map(|i| (id_of(&fake_key(100 + i as u8)), format!("key {i}")))
        .collect();
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let refused_in = Arc::clone(&refused);
    let window = Mutex::new((0u64, 0u64)); // (server second, requests counted in it)
    let server = Hostile::start(move |r: &Seen| {
        let server_now = crate::hostile::now_f64() + skew;
        let second = server_now.floor() as u64;
        let used = {
            let mut w = window.lock().unwrap();
            if w.0 != second {
                *w = (second, 0);
            }
            w.1 += 1;
            w.1
        };
        let reply = if used > limit {
            refused_in.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Reply::json(
                429,
                json!({"errors":[{"field":null,"message":"too many requests"}]}),
            )
        } else if let Some(id) = r.path.strip_prefix("/v3/api_keys/") {
            Reply::json(200, key_json(id, "k", &["mail.send"]))
        } else {
            let pairs: Vec<(&str, &str)> = listed
                .iter()
                .map(|(i, n)| (i.as_str(), n.as_str()))
                .collect();
            Reply::json(200, list_json(&pairs))
        };
        reply
            .with_header("Date", &crate::hostile::http_date(server_now))
            .with_header("X-RateLimit-Limit", &limit.to_string())
            .with_header(
                "X-RateLimit-Remaining",
                &limit.saturating_sub(used).to_string(),
            )
            .with_header("X-RateLimit-Reset", &(second + 1).to_string())
    })
    .await;
    (server, refused)
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_windows_are_timed_by_the_servers_clock_ten_minutes_off_ours() {
    // Before: with the server 10 min ahead, a spent window "reset in 601 s" (refused at once);
    // 10 min behind, every reset had passed by our clock and the client sent into 429s or
    // waited for windows that never came.
    for skew in [600.0, -600.0] {
        let (server, refused) = skewed_origin(skew, 8, 20).await;
        let dir = tempfile::tempdir().unwrap();
        let r = run(
            dir.path(),
            &server.url(),
            &caller(),
            &["--json", "--timeout", "10", "list", "--scopes"],
        )
        .await;
        assert_eq!(r.code, 0, "skew {skew}: {}", r.err);
        let listed: Vec<serde_json::Value> = serde_json::from_str(&r.out).unwrap();
        assert_eq!(listed.len(), 20, "skew {skew}");
        assert_eq!(
            refused.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "skew {skew}: no request sent into a spent window"
        );
        // 21 requests at 8 per window: three windows, not ten minutes
        assert!(r.took < Duration::from_secs(8), "skew {skew}: {:?}", r.took);
    }
}

/// A SendGrid whose every answer carries these rate-limit headers.
async fn rate_headers_origin(limit: &'static str, remaining: &'static str, reset: u64) -> Hostile {
    let keys: Vec<(String, String)> = (0..12)
        .map(|i| (id_of(&fake_key(150 + i)), format!("key {i}")))
        .collect();
    Hostile::start(move |r: &Seen| {
        let body = match r.path.strip_prefix("/v3/api_keys/") {
            Some(id) => key_json(id, "k", &["mail.send"]),
            None => list_json(
                &keys
                    .iter()
                    .map(|(i, n)| (i.as_str(), n.as_str()))
                    .collect::<Vec<_>>(),
            ),
        };
        Reply::json(200, body)
            .with_header(
                "Date",
                &crate::hostile::http_date(crate::hostile::now_f64()),
            )
            .with_header("X-RateLimit-Limit", limit)
            .with_header("X-RateLimit-Remaining", remaining)
            .with_header("X-RateLimit-Reset", &reset.to_string())
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limit_of_zero_or_a_spent_window_already_reset_never_outlives_the_timeout() {
    // Before: `list --scopes --timeout 5` was still waiting after 30 s, 11 requests in.
    let past = crate::hostile::now_f64() as u64 - 120;
    let future = crate::hostile::now_f64() as u64 + 30;
    for (limit, remaining, reset) in [("0", "0", future), ("0", "0", past), ("600", "0", past)] {
        let server = rate_headers_origin(limit, remaining, reset).await;
        let dir = tempfile::tempdir().unwrap();
        let r = run(
            dir.path(),
            &server.url(),
            &caller(),
            &["--json", "--timeout", "5", "list", "--scopes"],
        )
        .await;
        let case = format!("Limit {limit}, Remaining {remaining}, reset {reset}");
        assert!(r.took < Duration::from_secs(5), "{case}: took {:?}", r.took);
        // a window nobody named is waited for once: then every key is read
        assert_eq!(r.code, 0, "{case}: {}", r.err);
        let listed: Vec<serde_json::Value> = serde_json::from_str(&r.out).unwrap();
        assert_eq!(listed.len(), 12, "{case}");
        assert_eq!(
            server.count("GET", "/v3/api_keys"),
            13,
            "{case}: no request repeated"
        );
    }
}
