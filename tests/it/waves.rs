//! The fetch engine against the simulator at a low rate limit: every request paced into the
//! windows the budget allows (0 answers of 429, no window over the limit, no more windows than
//! ⌈N / R⌉ + 1), and a sweep's subuser contexts spending the parent's one budget. Checked on the
//! simulator's request log (`window`: the rate-limit window that counted each request), not on
//! wall-clock time beyond a generous bound.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use sgkeys::api::{Client, ClientOptions};
use sgkeys::sim::{Rate, RequestLog, Seed, SimConfig, SimHandle};

/// A simulator allowing `rate_limit` requests per second (one-second windows, as in the
/// benchmarks), no other waits.
async fn start(seed: Seed, rate_limit: u32) -> SimHandle {
    crate::common::simulator::start(SimConfig {
        seed,
        rate_limit: Rate::per_second(rate_limit),
        latency: Duration::from_millis(20),
        ..SimConfig::fast()
    })
    .await
}

fn client(sim: &SimHandle) -> Client {
    crate::common::simulator::admin_client(sim, Duration::from_secs(20))
}

/// Requests counted per rate-limit window.
fn per_window(log: &[RequestLog]) -> BTreeMap<u64, usize> {
    let mut w = BTreeMap::new();
    for r in log {
        *w.entry(r.window.expect("every request was counted"))
            .or_insert(0) += 1;
    }
    w
}

fn statuses(log: &[RequestLog]) -> BTreeMap<u16, usize> {
    let mut s = BTreeMap::new();
    for r in log {
        *s.entry(r.status).or_insert(0) += 1;
    }
    s
}

/// Waits until early in a window, so the run's first window is not nearly spent already.
async fn fresh_window() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let frac = now.as_secs_f64().fract();
    if frac > 0.5 {
        tokio::time::sleep(Duration::from_secs_f64(1.02 - frac)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_over_budget_is_paced_to_the_resets_with_no_429() {
    const R: u32 = 20;
    let sim = start(Seed::Bulk(99), R).await; // 100 keys: the list + 100 GETs = 101
    let c = client(&sim);
    fresh_window().await;
    let t0 = Instant::now();
    let audit = sgkeys::audit::collect(&c, &[], &sgkeys::fetch::quiet).await;
    let took = t0.elapsed();
    assert!(audit.complete(), "{:?}", audit.contexts);
    assert_eq!(audit.keys.len(), 100);

    let log = sim.requests();
    let n = log.len();
    assert_eq!(n, 101, "one list and one GET per key, nothing repeated");
    assert_eq!(
        statuses(&log),
        BTreeMap::from([(200, 101)]),
        "0 answers of 429"
    );
    let windows = per_window(&log);
    assert!(
        windows.values().all(|&c| c <= R as usize),
        "no window counted more than the limit: {windows:?}"
    );
    // ⌈101 / 20⌉ = 6 windows: the budget spent in full each window, the last one partly
    // (one more when the first wave straddles a reset)
    let first = *windows.keys().next().unwrap();
    let last = *windows.keys().last().unwrap();
    let span = last - first + 1;
    let bound = (1.2 * n as f64 / f64::from(R)).ceil() as u64; // 1.2 × N / R = 6.06 s → 7
    assert!(span <= bound, "{span} windows > {bound}: {windows:?}");
    assert!(
        windows.len() as u64 >= (n as u64).div_ceil(u64::from(R)),
        "{windows:?}"
    );
    // generous: the plan needs five resets after the first window
    assert!(took < Duration::from_secs(12), "{took:?}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_that_covers_every_get_sends_them_in_one_wave() {
    let sim = start(Seed::Bulk(99), 1000).await;
    let c = client(&sim);
    fresh_window().await;
    let audit = sgkeys::audit::collect(&c, &[], &sgkeys::fetch::quiet).await;
    assert_eq!(audit.keys.len(), 100);
    let log = sim.requests();
    assert_eq!(statuses(&log), BTreeMap::from([(200, 101)]));
    // all 101 within one or two windows (a reset may fall between the list and the wave)
    assert!(per_window(&log).len() <= 2, "{:?}", per_window(&log));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_behalf_of_calls_count_against_the_parents_window() {
    // the simulator: one window for the parent, whichever subuser a call acts for. A limit of
    // 4: the parent and its three subusers once each, then the parent again is the fifth.
    let sim = start(
        Seed::Fleet {
            subusers: 3,
            keys: 2,
        },
        4,
    )
    .await;
    let http = reqwest::Client::new();
    let call = |who: Option<&'static str>| {
        let mut req = http
            .get(format!("{}/v3/api_keys", sim.base_url()))
            .header(
                "Authorization",
                format!("Bearer {}", sim.admin_key().expose()),
            )
            .header("Accept", "application/json");
        if let Some(w) = who {
            req = req.header("on-behalf-of", w);
        }
        async move { req.send().await.unwrap() }
    };
    for _ in 0..5 {
        fresh_window().await;
        sim.reset_counters();
        let mut remaining = Vec::new();
        for who in [
            None,
            Some("fleet-001"),
            Some("fleet-002"),
            Some("fleet-003"),
            None,
        ] {
            let r = call(who).await;
            remaining.push(
                r.headers()["x-ratelimit-remaining"]
                    .to_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        let log = sim.requests();
        if per_window(&log).len() > 1 {
            continue; // a reset fell between the calls: again, early in a window
        }
        let got: Vec<u16> = log.iter().map(|r| r.status).collect();
        assert_eq!(got, [200, 200, 200, 200, 429], "{log:#?}");
        assert_eq!(remaining, ["3", "2", "1", "0", "0"]);
        sim.shutdown().await;
        return;
    }
    panic!("five tries, never five calls in one window");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweeps_contexts_share_the_parents_budget_and_run_together() {
    const R: u32 = 10;
    // 3 subusers × 10 keys, and the parent's admin key: 1 subuser list + 4 key lists + 31 GETs
    let sim = start(
        Seed::Fleet {
            subusers: 3,
            keys: 10,
        },
        R,
    )
    .await;
    let c = client(&sim);
    fresh_window().await;
    let subusers: Vec<_> = c
        .list_subusers()
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.username, s.region))
        .collect();
    assert_eq!(subusers.len(), 3);
    let audit = sgkeys::audit::collect(&c, &subusers, &sgkeys::fetch::quiet).await;
    assert!(audit.complete(), "{:?}", audit.contexts);
    assert_eq!(audit.keys.len(), 31);

    let log = sim.requests();
    assert_eq!(log.len(), 36, "{log:#?}");
    assert_eq!(
        statuses(&log),
        BTreeMap::from([(200, 36)]),
        "0 answers of 429"
    );
    // one budget for every context: no window counted more than the parent's limit
    let windows = per_window(&log);
    assert!(windows.values().all(|&n| n <= R as usize), "{windows:?}");
    let span = windows.keys().last().unwrap() - windows.keys().next().unwrap() + 1;
    assert!(
        span <= (1.2 * 36.0 / f64::from(R)).ceil() as u64,
        "{windows:?}"
    );
    // the contexts run together: the windows of the GETs hold several contexts each
    let mut contexts_of: BTreeMap<u64, BTreeSet<Option<String>>> = BTreeMap::new();
    for r in log.iter().filter(|r| r.path.starts_with("/v3/api_keys/")) {
        contexts_of
            .entry(r.window.unwrap())
            .or_default()
            .insert(r.on_behalf_of.clone());
    }
    let mixed = contexts_of.values().filter(|c| c.len() >= 3).count();
    assert!(
        mixed >= contexts_of.len() - 1,
        "contexts one after another: {contexts_of:?}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_still_out_at_its_waves_p95_is_hedged_and_the_first_answer_wins() {
    use crate::hostile::{Hostile, Reply, Seen, fake_key, id_of, key_json};
    use sgkeys::api::{ApiKeyId, CallRecord};
    use std::sync::{Arc, Mutex};
    // 40 keys; the first GET of one of them hangs, its second copy is answered
    let slow = id_of(&fake_key(7));
    let asked = Mutex::new(0usize);
    let slow_in = slow.clone();
    let server = Hostile::start(move |r: &Seen| {
        let id = r.path.trim_start_matches("/v3/api_keys/").to_owned();
        if id == slow_in {
            let mut n = asked.lock().unwrap();
            *n += 1;
            if *n == 1 {
                return Reply::Silent;
            }
        }
        Reply::json(200, key_json(&id, "k", &["mail.send"]))
    })
    .await;
    let records: Arc<Mutex<Vec<CallRecord>>> = Arc::default();
    let seen = Arc::clone(&records);
    let c = Client::new(
        sgkeys::secret::Secret::parse(&fake_key(1)).unwrap(),
        ClientOptions {
            base_url: server.url(),
            timeout: Duration::from_secs(20),
            observer: Some(Arc::new(move |r: &CallRecord| {
                seen.lock().unwrap().push(r.clone())
            })),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    let mut jobs: Vec<(Client, ApiKeyId)> = (0..39u8)
        .map(|i| (c.clone(), ApiKeyId(id_of(&fake_key(20 + i)))))
        .collect();
    jobs.insert(17, (c.clone(), ApiKeyId(slow.clone())));
    let results = sgkeys::fetch::details(&jobs, &sgkeys::fetch::quiet).await;
    assert_eq!(results.len(), 40);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(results[17].as_ref().unwrap().api_key_id.0, slow);
    // the server saw two copies of the slow GET; the client's record of it is one answer to
    // a first attempt (the hedge), never the hung copy's timeout and a retry
    assert_eq!(server.count("GET", &format!("/v3/api_keys/{slow}")), 2);
    let mine: Vec<CallRecord> = records
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.path.ends_with(&slow))
        .cloned()
        .collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!((mine[0].status, mine[0].attempt), (Some(200), 0));
    // no repeat but hedges: each key asked at most twice (on a loaded machine another answer
    // may come after the wave's p95 and be hedged too), and every answer a first attempt's
    let mut copies = std::collections::HashMap::<String, usize>::new();
    for r in server.requests() {
        *copies.entry(r.path).or_default() += 1;
    }
    assert_eq!(copies.len(), 40);
    assert!(copies.values().all(|&n| n <= 2), "{copies:?}");
    assert!(
        records.lock().unwrap().iter().all(|r| r.attempt == 0),
        "no retry"
    );
}
