//! The gate's pacing, retries and rate-limit headers.

use super::*;
use reqwest::header::HeaderValue;

fn rl(limit: u64, remaining: u64, reset: u64) -> RateLimit {
    RateLimit {
        limit,
        remaining,
        reset,
        date: None,
    }
}

fn waits(w: Wait) -> Duration {
    match w {
        Wait::Go => Duration::ZERO,
        Wait::Reset(d) | Wait::Unknown(d) => d,
    }
}

impl Gate {
    /// An answer's headers seen now, as `Pass::done` takes them.
    fn answered(&self, rate: RateLimit) {
        let mut w = self.window.lock().unwrap();
        let now = w.server_now(epoch_now_f64());
        w.observe(rate, now);
    }
}

#[test]
fn window_spaces_requests_by_the_headers() {
    let mut w = Window::default();
    assert_eq!(w.take(100.0), Wait::Go, "unknown window: go");
    w.in_flight -= 1; // answered (what `Pass::done` does before observing)
    w.observe(rl(3, 1, 101), 100.1);
    assert_eq!(w.take(100.2), Wait::Go);
    let wait = waits(w.take(100.3));
    assert!(
        wait >= Duration::from_millis(700) && wait < Duration::from_millis(720),
        "{wait:?}"
    );
    // after the reset, a fresh allowance of `limit` less what is still in flight
    assert_eq!(w.in_flight, 1);
    w.in_flight = 0;
    assert_eq!(w.take(101.0), Wait::Go);
    assert_eq!(w.remaining, Some(2));
    // an answer from the old window does not undo the new one
    w.observe(rl(3, 0, 100), 101.0);
    assert_eq!(w.remaining, Some(2));
    // the new window's answer sets it
    w.observe(rl(3, 1, 102), 101.1);
    assert_eq!(w.remaining, Some(1));
}

#[test]
fn a_new_windows_first_answer_does_not_undo_the_local_count() {
    let mut w = Window::default();
    w.observe(rl(20, 0, 100), 99.5);
    // rolled over at 100: 20 allowed; send 15 (all in flight)
    for _ in 0..15 {
        assert_eq!(w.take(100.1), Wait::Go);
    }
    assert_eq!(w.remaining, Some(5));
    // the first answer of the new window was counted before the others: it says 19 left
    w.in_flight -= 1;
    w.observe(rl(20, 19, 101), 100.2);
    assert_eq!(
        w.remaining,
        Some(5),
        "the local count already holds the requests in flight"
    );
    // a window first seen in an answer: deduct what is still in flight
    let mut w = Window {
        in_flight: 3,
        ..Window::default()
    };
    w.observe(rl(20, 10, 200), 199.0);
    assert_eq!(w.remaining, Some(7));
}

#[test]
fn reserved_tickets_count_at_once_and_unspent_ones_are_given_back() {
    let gate = Gate::new(64);
    let far = epoch_now() + 3600;
    gate.answered(rl(20, 19, far));
    let b = gate.budget().unwrap();
    assert_eq!((b.limit, b.remaining, b.reset), (20, 19, Some(far as f64)));
    let mut tickets = gate.reserve(15);
    assert_eq!(tickets.len(), 15);
    assert_eq!(gate.budget().unwrap().remaining, 4, "counted when reserved");
    // the plan for one more request now: 4 left, so now
    let now = epoch_now_f64();
    assert_eq!(waves::plan(gate.budget(), now, 5)[0].count, 4);
    tickets.truncate(10); // five dropped unspent
    assert_eq!(gate.budget().unwrap().remaining, 9);
    let w = gate.window.lock().unwrap();
    assert_eq!(w.in_flight, 10);
}

#[tokio::test]
async fn a_ticket_skips_the_window_check_an_empty_window_makes_others_wait() {
    let gate = Gate::new(4);
    gate.answered(rl(2, 1, epoch_now() + 3600));
    let mut tickets = gate.reserve(1);
    assert_eq!(gate.budget().unwrap().remaining, 0);
    let mut deadline = None;
    let timeout = Duration::from_secs(5);
    let pass = gate
        .acquire(&mut deadline, timeout, tickets.pop())
        .await
        .unwrap();
    assert!(pass._permit.is_some());
    // without a ticket the window is spent until the reset an hour away: too long
    let mut deadline = None;
    let err = gate
        .acquire(&mut deadline, timeout, None)
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::RateWaitTooLong { .. }), "{err}");
    assert_eq!(
        gate.window.lock().unwrap().in_flight,
        1,
        "only the ticket's"
    );
}

#[tokio::test]
async fn a_request_dropped_unanswered_leaves_the_count_in_flight() {
    let gate = Gate::new(4);
    let mut deadline = None;
    let pass = gate
        .acquire(&mut deadline, Duration::from_secs(1), None)
        .await
        .unwrap();
    assert_eq!(gate.window.lock().unwrap().in_flight, 1);
    drop(pass); // a hedged copy that lost, a closed dashboard
    assert_eq!(gate.window.lock().unwrap().in_flight, 0);
    let mut deadline = None;
    let pass = gate
        .acquire(&mut deadline, Duration::from_secs(1), None)
        .await
        .unwrap();
    pass.done(None);
    assert_eq!(gate.window.lock().unwrap().in_flight, 0);
}

/// A create's place in both budgets, answered with `rate` (`status`).
async fn create_once(gate: &Gate, status: u16, rate: Option<RateLimit>) {
    let mut deadline = None;
    let timeout = Duration::from_secs(5);
    let c = gate.acquire_create(&mut deadline, timeout).await.unwrap();
    let g = gate.acquire(&mut deadline, timeout, None).await.unwrap();
    gate.create_answered(c, g, status, rate);
}

#[tokio::test]
async fn a_creates_headers_tell_the_creation_budget_and_never_the_general_one() {
    let gate = Gate::new(8);
    let far = epoch_now() + 3600;
    gate.answered(rl(600, 590, far));
    create_once(&gate, 201, Some(rl(1, 0, far))).await;
    let general = gate.budget().unwrap();
    assert_eq!(
        (general.limit, general.remaining),
        (600, 589),
        "the create counted once, its `Limit: 1` not taken for the general window"
    );
    {
        let c = gate.creates.lock().unwrap();
        assert_eq!((c.limit, c.remaining, c.in_flight), (Some(1), Some(0), 0));
    }
    // the next create waits for the creation window (an hour away: past the deadline, an
    // error at once), while reads go on
    let mut deadline = None;
    let err = gate
        .acquire_create(&mut deadline, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::RateWaitTooLong { .. }), "{err}");
    let mut deadline = None;
    let read = gate
        .acquire(&mut deadline, Duration::from_secs(5), None)
        .await;
    read.unwrap().done(Some(rl(600, 588, far)));
    assert_eq!(gate.budget().unwrap().remaining, 588);
    // a 429 naming the general window's limit is the general window refusing
    gate.creates.lock().unwrap().remaining = Some(1);
    create_once(&gate, 429, Some(rl(600, 0, far))).await;
    assert_eq!(gate.budget().unwrap().remaining, 0);
    assert_eq!(gate.creates.lock().unwrap().limit, Some(1));
}

#[tokio::test]
async fn creates_go_one_at_a_time_until_an_answer_tells_the_budget() {
    let gate = Gate::new(8);
    let mut deadline = None;
    let timeout = Duration::from_secs(10);
    let first = gate.acquire_create(&mut deadline, timeout).await.unwrap();
    // a second create waits for the first one's answer
    let second = async {
        let mut deadline = None;
        gate.acquire_create(&mut deadline, timeout).await.unwrap()
    };
    let answered = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let g = {
            let mut d = None;
            gate.acquire(&mut d, timeout, None).await.unwrap()
        };
        // one per window; the window resets in 2 s
        let now = gate.now();
        gate.create_answered(first, g, 201, Some(rl(1, 0, now.floor() as u64 + 2)));
        Instant::now()
    };
    let (second, answered_at) = tokio::join!(second, answered);
    let went = Instant::now();
    assert!(
        went > answered_at,
        "the second create waited for the answer"
    );
    let now = gate.now();
    let reset = gate.creates.lock().unwrap().reset;
    assert!(
        reset.is_none_or(|r| now >= r as f64),
        "and then for the window's reset: {now} < {reset:?}"
    );
    drop(second);
    assert_eq!(gate.creates.lock().unwrap().in_flight, 0);
}

#[tokio::test]
async fn a_create_never_waits_past_the_deadline_for_an_unanswered_one() {
    let gate = Gate::new(8);
    let mut deadline = None;
    let _hung = gate
        .acquire_create(&mut deadline, Duration::from_secs(60))
        .await
        .unwrap();
    let started = Instant::now();
    let mut deadline = None;
    let timeout = Duration::from_secs(2);
    let next = gate.acquire_create(&mut deadline, timeout).await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < timeout,
        "waited {waited:?}: half the time left, then the request goes"
    );
    drop(next);
}

#[tokio::test]
async fn a_window_an_earlier_run_spent_is_waited_for_and_the_answer_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("create-budget.json");
    let until = epoch_now_f64() + 0.6;
    Memo::new(path.clone(), "http://sim").note(
        Spent {
            reset_local: until,
            remaining: 0,
        },
        epoch_now_f64(),
    );
    let gate = Gate::new(4);
    gate.remember_creates(Memo::new(path.clone(), "http://sim"));
    let far = epoch_now() + 3600;
    create_once(&gate, 201, Some(rl(1, 0, far))).await;
    assert!(epoch_now_f64() >= until, "went after the remembered reset");
    // this run's answer is remembered for the next one
    let next = Memo::new(path, "http://sim");
    assert_eq!(next.spent_until(epoch_now_f64()), Some(far as f64));
    // a remembered window is waited for once, and not when this run knows the budget
    assert!(gate.memo_read.load(std::sync::atomic::Ordering::Relaxed));
}

#[test]
fn the_window_length_is_learned_from_consecutive_resets() {
    let mut w = Window::default();
    assert_eq!(w.budget(0.0), None);
    w.observe(rl(600, 599, 1060), 1000.0);
    assert_eq!(w.budget(1000.0).unwrap().period, 1.0, "unknown: 1 s");
    w.observe(rl(600, 599, 1120), 1061.0);
    assert_eq!(w.budget(1061.0).unwrap().period, 60.0);
}

#[test]
fn window_never_stalls_forever_without_answers() {
    let mut w = Window {
        limit: Some(1),
        remaining: Some(0),
        ..Default::default()
    };
    assert_ne!(w.take(10.0), Wait::Go);
    assert_ne!(w.take(10.5), Wait::Go);
    assert_eq!(w.take(11.1), Wait::Go);
}

#[test]
fn a_limit_of_zero_is_an_unknown_window_waited_for_once() {
    let mut w = Window::default();
    w.observe(rl(0, 0, 500), 100.0);
    assert_eq!(w.take(100.0), Wait::Unknown(Duration::from_secs(1)));
    let b = w.budget(100.5).unwrap();
    assert_eq!((b.remaining, b.reset), (0, Some(101.0)));
    assert_eq!(w.take(101.0), Wait::Go, "waited once: go");
    assert_eq!(
        w.budget(101.0),
        None,
        "nothing to plan by: the answers will tell"
    );
    // the same window named again: not waited for again
    w.observe(rl(0, 0, 500), 101.1);
    assert_eq!(w.take(101.1), Wait::Go);
    for _ in 0..50 {
        assert_eq!(w.take(101.2), Wait::Go);
    }
    // a limit of 0 that says requests remain is not waited for at all
    let mut w = Window::default();
    w.observe(rl(0, 7, 500), 100.0);
    assert_eq!(w.take(100.0), Wait::Go);
}

#[test]
fn a_spent_window_whose_reset_has_passed_is_waited_for_once_per_learned_window() {
    let mut w = Window::default();
    // the window length learned: 2 s
    w.observe(rl(10, 9, 100), 98.5);
    w.observe(rl(10, 9, 102), 100.5);
    // a late answer from a window we knew is not an unknown window
    w.observe(rl(10, 0, 102), 102.2);
    assert_eq!(w.take(102.2), Wait::Go);
    // spent, naming a window never seen ahead whose reset has passed by the server's clock
    w.observe(rl(10, 0, 103), 103.5);
    assert_eq!(w.take(103.5), Wait::Unknown(Duration::from_secs(2)));
    assert_eq!(w.take(105.5), Wait::Go);
    w.observe(rl(10, 0, 103), 105.6);
    assert_eq!(w.take(105.6), Wait::Go, "that window was waited for");
}

#[tokio::test]
async fn an_unknown_window_is_never_waited_for_past_the_deadline() {
    let gate = Gate::new(4);
    {
        let mut w = gate.window.lock().unwrap();
        w.period = Some(3600);
        let now = w.server_now(epoch_now_f64());
        w.observe(rl(0, 0, 1), now);
    }
    let started = Instant::now();
    let mut deadline = None;
    let pass = gate
        .acquire(&mut deadline, Duration::from_millis(200), None)
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    pass.done(None);
}

#[test]
fn the_servers_clock_comes_from_its_date_header() {
    let gate = Gate::new(4);
    let local = epoch_now_f64();
    for skew in [-600.0, 600.0] {
        let server = local + skew;
        let mut h = HeaderMap::new();
        h.insert(
            "date",
            HeaderValue::from_str(&httpdate::fmt_http_date(
                std::time::UNIX_EPOCH + Duration::from_secs_f64(server),
            ))
            .unwrap(),
        );
        h.insert("x-ratelimit-limit", HeaderValue::from_static("5"));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        let reset = server.floor() as u64 + 1;
        h.insert("x-ratelimit-reset", HeaderValue::from(reset));
        let g = Gate::new(4);
        let rate = g.read_headers(&h, local).unwrap();
        assert_eq!(rate.date, Some(server.floor() as u64));
        assert_eq!(
            rate.reset_in(),
            1,
            "reset − Date, whatever the local clock says"
        );
        g.answered(rate);
        // the wait is at most a second (plus the Date's whole-second rounding), never 10 min
        let now = g.now();
        let wait = waits(g.window.lock().unwrap().take(now));
        assert!(wait <= Duration::from_millis(2100), "skew {skew}: {wait:?}");
        assert!(wait > Duration::ZERO, "skew {skew}: the window is spent");
    }
    // a clock within a second of the server's is trusted as it is (sub-second precision)
    let mut h = HeaderMap::new();
    h.insert(
        "date",
        HeaderValue::from_str(&httpdate::fmt_http_date(std::time::SystemTime::now())).unwrap(),
    );
    assert_eq!(
        gate.read_headers(&h, epoch_now_f64()),
        None,
        "no rate headers"
    );
    let now = epoch_now_f64();
    assert!((gate.now() - now).abs() < 0.1);
}

#[test]
fn header_numbers_of_any_size_never_panic() {
    assert_eq!(header_num(" 600 "), Some(600));
    assert_eq!(
        header_num("10000000000000000000"),
        Some(10_000_000_000_000_000_000)
    );
    assert_eq!(header_num(&"9".repeat(400)), Some(u64::MAX));
    for bad in ["", "-1", "1e19", "1.5", "0x10", "+5", "١٢"] {
        assert_eq!(header_num(bad), None, "{bad:?}");
    }
    // a reset at the end of time: a long wait (an error before any deadline), no panic
    let mut w = Window::default();
    w.observe(rl(10, 0, u64::MAX), 100.0);
    let wait = waits(w.take(100.0));
    assert!(wait >= Duration::from_secs(86_400), "{wait:?}");
    assert_eq!(secs(f64::INFINITY), secs(1e300));
    assert_eq!(secs(f64::NAN), Duration::ZERO);
    assert_eq!(secs(-5.0), Duration::ZERO);
}

proptest::proptest! {
    /// Header numbers of any size and any text, a `Date` of any year: parsing, counting,
    /// waiting and planning never panic, and every wait is finite.
    #[test]
    fn any_rate_headers_never_panic(
        limit in "[0-9]{0,40}|[ -~]{0,12}",
        remaining in "[0-9]{0,40}|[ -~]{0,12}",
        reset in "[0-9]{0,40}|[0-9]{1,3}e[0-9]{1,3}|-[0-9]{1,20}|[ -~]{0,12}",
        date_secs in proptest::prelude::any::<u32>(),
        local in 0.0f64..1e10,
    ) {
        let mut h = HeaderMap::new();
        for (name, v) in [
            ("x-ratelimit-limit", &limit),
            ("x-ratelimit-remaining", &remaining),
            ("x-ratelimit-reset", &reset),
        ] {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.insert(name, v);
            }
        }
        let date = std::time::UNIX_EPOCH + Duration::from_secs(u64::from(date_secs));
        if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(date)) {
            h.insert("date", v);
        }
        let gate = Gate::new(2);
        let rate = gate.read_headers(&h, local);
        let mut w = gate.window.lock().unwrap();
        let now = w.server_now(local);
        proptest::prop_assert!(now.is_finite());
        if let Some(r) = rate {
            let _ = r.reset_in();
            w.observe(r, now);
            w.observe(r, now + 0.5);
        }
        for dt in [0.0, 0.3, 1.0, 70.0] {
            let wait = waits(w.take(now + dt));
            proptest::prop_assert!(wait <= Duration::from_secs(366 * 86_400));
            for wave in waves::plan(w.budget(now + dt), now + dt, 1000) {
                proptest::prop_assert!(!wave.at.is_nan());
                let _ = secs(wave.at - now);
            }
        }
    }
}

#[test]
fn rate_headers_are_case_insensitive() {
    let mut h = HeaderMap::new();
    h.insert("X-Ratelimit-Limit", HeaderValue::from_static("600"));
    h.insert("x-ratelimit-remaining", HeaderValue::from_static("599"));
    h.insert("X-RateLimit-Reset", HeaderValue::from_static("1392815263"));
    assert_eq!(rate_limit(&h), Some(rl(600, 599, 1392815263)));
    h.remove("x-ratelimit-reset");
    assert_eq!(rate_limit(&h), None);
}

#[test]
fn backoff_is_bounded() {
    let p = RetryPolicy::default();
    for a in 0..20 {
        assert!(p.backoff(a) <= p.max_delay);
    }
}
