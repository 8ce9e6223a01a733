//! HTTPS: the simulator's `--tls` (HTTP/2 and HTTP/1.1 by ALPN, a CA made at start) and the
//! client's `--ca-cert`: calls work over TLS with the CA trusted, go over HTTP/2 unless the
//! server offers only HTTP/1.1, and fail in plain words when the CA is not trusted.

use std::process::Command;
use std::time::Duration;

use crate::common::simulator::start;
use sgkeys::api::{ApiError, Client, ClientOptions, RetryPolicy};
use sgkeys::sim::{SimConfig, SimHandle};

use crate::common::env::BIN;

async fn tls_sim(http1_only: bool) -> SimHandle {
    let cfg = SimConfig {
        tls: true,
        http1_only,
        ..SimConfig::fast()
    };
    start(cfg).await
}

fn client(sim: &SimHandle, ca: Option<&str>) -> Client {
    Client::new(
        sim.admin_key().clone(),
        ClientOptions {
            base_url: sim.base_url(),
            eu_base_url: Some(sim.eu_base_url()),
            ca_cert_pem: ca.map(str::to_owned),
            timeout: Duration::from_secs(5),
            retry: RetryPolicy::none(),
            ..ClientOptions::default()
        },
    )
    .unwrap()
}

#[tokio::test]
async fn with_the_ca_trusted_calls_go_over_http2() {
    let sim = tls_sim(false).await;
    assert!(sim.base_url().starts_with("https://127.0.0.1:"));
    let ca = sim
        .ca_cert_pem()
        .expect("a TLS simulator has a CA")
        .to_owned();
    let c = client(&sim, Some(&ca));
    let keys = c.list_keys(None).await.unwrap();
    assert!(keys.len() > 10, "the demo account's keys: {}", keys.len());
    // a few calls at once share one connection, multiplexed
    let ids: Vec<_> = keys.iter().take(8).map(|k| k.api_key_id.clone()).collect();
    let all = futures_util::future::join_all(ids.iter().map(|id| c.get_key(id))).await;
    assert!(all.iter().all(Result::is_ok));
    let log = sim.requests();
    assert_eq!(log.len(), 9);
    assert!(log.iter().all(|r| r.http == "2"), "{log:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn http1_only_is_honoured() {
    let sim = tls_sim(true).await;
    let ca = sim.ca_cert_pem().unwrap().to_owned();
    client(&sim, Some(&ca)).list_keys(None).await.unwrap();
    let log = sim.requests();
    assert!(
        !log.is_empty() && log.iter().all(|r| r.http == "1.1"),
        "{log:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_untrusted_ca_fails_in_plain_words_and_sends_nothing() {
    let sim = tls_sim(false).await;
    let err = client(&sim, None).list_keys(None).await.unwrap_err();
    let ApiError::Network(msg) = &err else {
        panic!("expected a network error, got {err:?}");
    };
    assert!(msg.contains("CA sgkeys does not trust"), "{msg}");
    assert!(msg.contains("--ca-cert"), "{msg}");
    assert!(sim.requests().is_empty(), "no request got through");
    sim.shutdown().await;
}

#[tokio::test]
async fn https_to_a_plain_http_server_says_so() {
    let sim = start(SimConfig::fast()).await;
    let https = sim.base_url().replace("http://", "https://");
    let c = Client::new(
        sim.admin_key().clone(),
        ClientOptions {
            base_url: https,
            timeout: Duration::from_secs(5),
            retry: RetryPolicy::none(),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    let err = c.list_keys(None).await.unwrap_err();
    assert!(err.to_string().contains("did not answer with TLS"), "{err}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_takes_ca_cert_and_refuses_a_file_that_is_not_one() {
    let sim = tls_sim(false).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_cert_pem().unwrap()).unwrap();
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate\n").unwrap();
    let run = |extra: &[&str]| {
        let out = Command::new(BIN)
            .args(extra)
            .args(["--json", "list"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .env("SENDGRID_API_KEY", sim.admin_key().expose())
            .env("SGKEYS_BASE_URL", sim.base_url())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["--ca-cert", ca.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.as_array().is_some_and(|a| a.len() > 10), "{out}");

    let (code, _, err) = run(&[]);
    assert_ne!(code, 0);
    assert!(err.contains("--ca-cert"), "{err}");

    let (code, _, err) = run(&["--ca-cert", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a PEM certificate"), "{err}");
    sim.shutdown().await;
}

#[tokio::test]
async fn connect_ms_delays_only_a_new_connections_first_answer_and_connections_are_counted() {
    let cfg = SimConfig {
        tls: true,
        connect_delay: Duration::from_millis(300),
        ..SimConfig::fast()
    };
    let sim = start(cfg).await;
    let ca = sim.ca_cert_pem().unwrap().to_owned();
    let c = client(&sim, Some(&ca));
    let t = std::time::Instant::now();
    let keys = c.list_keys(None).await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
    // 20 more calls, 10 at a time: HTTP/2 keeps them on the one connection
    for chunk in keys.iter().take(20).collect::<Vec<_>>().chunks(10) {
        let all =
            futures_util::future::join_all(chunk.iter().map(|k| c.get_key(&k.api_key_id))).await;
        assert!(all.iter().all(Result::is_ok));
    }
    assert_eq!(
        sim.connections(),
        1,
        "one connection for 21 calls over HTTP/2"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_fleet_seed_makes_s_subusers_with_n_keys_each() {
    let cfg = SimConfig {
        seed: "fleet:3:7".parse().unwrap(),
        ..SimConfig::fast()
    };
    let sim = start(cfg).await;
    let names: Vec<String> = sim.subusers().into_iter().map(|s| s.username).collect();
    assert_eq!(names, ["fleet-001", "fleet-002", "fleet-003"]);
    let c =
        client(&sim, None).acting_as(Some(sgkeys::api::OnBehalfOf::Subuser("fleet-002".into())));
    assert_eq!(c.list_keys(None).await.unwrap().len(), 7);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_streams_stay_within_the_servers_limit_on_one_connection() {
    // 100 keys and a server that allows 10 streams at once: every GET on the one connection,
    // the client queueing streams rather than failing or opening more connections
    let cfg = SimConfig {
        tls: true,
        seed: sgkeys::sim::Seed::Bulk(99),
        h2_max_streams: 10,
        latency: Duration::from_millis(20),
        ..SimConfig::fast()
    };
    let sim = start(cfg).await;
    let ca = sim.ca_cert_pem().unwrap().to_owned();
    // retries on: on a loaded machine a queued stream can outlast an attempt's own timeout
    // (1 s), and a cut attempt is no failure of the stream limit; what is asserted is that no
    // stream is refused and no second connection opened
    let c = Client::new(
        sim.admin_key().clone(),
        ClientOptions {
            base_url: sim.base_url(),
            ca_cert_pem: Some(ca),
            timeout: Duration::from_secs(60),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    // the connection made first (a handshake slower than an attempt's cut on a loaded machine
    // would be retried on a connection of its own)
    c.list_keys(None).await.unwrap();
    let audit = sgkeys::audit::collect(&c, &[], &sgkeys::fetch::quiet).await;
    assert!(audit.complete(), "{:?}", audit.contexts);
    assert_eq!(audit.keys.len(), 100);
    let log = sim.requests();
    // 102 on a quiet machine; a cut attempt's retry or a hedged copy adds one
    assert!(log.len() >= 102, "{}", log.len());
    assert!(log.iter().all(|r| r.http == "2" && r.status == 200));
    // one connection on a quiet machine; when attempts are cut under heavy load (two builds
    // beside the suite) hyper may open one more: still no stream refused, no failure
    assert!(
        sim.connections() <= 2,
        "one HTTP/2 connection for all, not one per stream: {}",
        sim.connections()
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_failures_say_what_happened_and_what_to_try() {
    // Before: `client error (SendRequest): invalid HTTP version parsed` and `tcp connect error:
    // Connection refused (os error 111)`.
    use crate::common::run::Runner;
    let sim = tls_sim(false).await;
    let run = |base: String, extra: &[&str]| {
        let r = Runner::at(&base, sim.admin_key().expose());
        let mut args = extra.to_vec();
        args.extend(["--timeout", "5", "list"]);
        let ran = r.run(&args);
        (ran.code, ran.stderr)
    };
    // http:// to the TLS port
    let plain = sim.base_url().replacen("https://", "http://", 1);
    let (code, err) = run(plain, &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("did not answer in HTTP: it seems to speak HTTPS"),
        "{err}"
    );
    assert!(err.contains("hint: use https:// in --base-url"), "{err}");
    assert!(
        !err.contains("SendRequest") && !err.contains("invalid HTTP version"),
        "{err}"
    );
    // nothing listening
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, err) = run(format!("http://127.0.0.1:{port}"), &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!(
            "cannot connect to 127.0.0.1:{port}: nothing is listening there"
        )),
        "{err}"
    );
    assert!(err.contains("hint: is the server running?"), "{err}");
    assert!(!err.contains("tcp connect error"), "{err}");
    // a CA file that never ends is refused by size, naming the flag (before: read until the
    // kernel's OOM killer stopped it)
    #[cfg(unix)]
    {
        let (code, err) = run(sim.base_url(), &["--ca-cert", "/dev/zero"]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("--ca-cert /dev/zero: the file is larger than 1 MiB"),
            "{err}"
        );
    }
    sim.shutdown().await;
}
