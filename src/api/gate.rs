//! The rate gate and the retry policy: how many requests may be in flight, how they are spaced
//! by SendGrid's `X-RateLimit-*` headers (a local estimate of the window, corrected by every
//! answer), and how failed requests are repeated with jittered backoff.
//!
//! Key creations (`POST /v3/api_keys`) have a budget of their own on top of the general one
//! (the simulator's `--create-rate`, 1 per 2 s by default; SendGrid's limits vary by endpoint):
//! the gate keeps it in a second window, learned only from the create answers' headers, so a
//! create's `Limit: 1` never shrinks the general window and 600 reads never make creates look
//! free. A create waits for both.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::HeaderMap;
use tokio::sync::Semaphore;

use super::error::ApiError;
use super::memo::{Memo, Spent};
use super::models::RateLimit;
use super::waves::{self, Budget};

/// Seconds since the Unix epoch (the unit of `X-RateLimit-Reset`).
pub fn epoch_now() -> u64 {
    epoch_now_f64() as u64
}

pub(crate) fn epoch_now_f64() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// How failed requests are repeated.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Longest wait for a rate-limit window to reset before giving up.
    pub max_rate_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(4),
            max_rate_wait: Duration::from_secs(65),
        }
    }
}

impl RetryPolicy {
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Default::default()
        }
    }

    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let cap = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        let ms = cap.as_millis() as u64;
        // "full jitter": uniform in [cap/2, cap]
        Duration::from_millis(rand::rng().random_range(ms / 2..=ms.max(1)))
    }
}

/// Bounds concurrent requests and spaces them by the server's rate-limit window.
#[derive(Debug)]
pub(crate) struct Gate {
    sem: Semaphore,
    window: Arc<Mutex<Window>>,
    /// The key-creation budget: its own window, told only by the answers to creates.
    creates: Mutex<Window>,
    /// Where the creation budget is remembered between runs (none: not remembered).
    memo: std::sync::OnceLock<Memo>,
    /// Whether the remembered budget has been consulted (once, at the first create).
    memo_read: std::sync::atomic::AtomicBool,
}

/// The rate-limit window as the answers describe it. Its times are the **server's** epoch
/// seconds: the local clock is turned into the server's by the answers' `Date` headers
/// ([`Window::server_now`]), so a client clock minutes off the server's neither waits for a
/// reset that has long passed nor sends before one that has not come.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Window {
    limit: Option<u64>,
    /// Requests we may still send in this window (local estimate, corrected by each answer).
    remaining: Option<u64>,
    /// Epoch second the window resets; None when a new window started and no answer told us yet.
    reset: Option<u64>,
    /// When the gate started waiting for an unknown reset.
    stalled_since: Option<f64>,
    /// The newest reset any answer has named; answers naming an older one are stale.
    newest_reset: u64,
    /// The smallest step between two named resets: the window's length (seconds).
    period: Option<u64>,
    /// Requests sent and not answered yet (they may land in the next window).
    in_flight: u64,
    /// The smallest `receipt − Date` seen (seconds): how far the local clock is ahead of the
    /// server's, plus at most one second (`Date` has whole seconds) and the answer's latency.
    ahead: Option<f64>,
    /// A window the headers left unknown (a limit of 0, or a spent window whose reset has
    /// already passed): nothing is sent before this (server time), and it is waited for once.
    unknown_until: Option<f64>,
    /// The reset named by the last unknown window (each one is waited for at most once).
    waited_for: Option<u64>,
    /// The latest reset an answer named while it was still ahead: an answer naming this one
    /// or an earlier one once it has passed is a late answer from a window we knew.
    known_current: u64,
}

/// How long a request must wait before it may go.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Wait {
    Go,
    /// For a reset the server named: a wait past the deadline is an error at once.
    Reset(Duration),
    /// For a window nobody named (see [`Window::unknown_until`]): waited for at most until
    /// half the time left, then the request goes anyway (the answer will tell).
    Unknown(Duration),
}

/// One request's share of the budget, taken ahead by the fetch engine ([`Gate::reserve`]): the
/// request it is given to skips the window check (it was counted when reserved). Dropped
/// unspent, it is given back.
#[derive(Debug)]
pub(crate) struct Ticket {
    window: Arc<Mutex<Window>>,
    /// The window it was counted in (None: none known).
    reset: Option<u64>,
    spent: bool,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.spent {
            return;
        }
        if let Ok(mut w) = self.window.lock() {
            w.in_flight = w.in_flight.saturating_sub(1);
            if w.reset == self.reset
                && let Some(r) = &mut w.remaining
            {
                *r += 1;
            }
        }
    }
}

/// A request's place in flight, from [`Gate::acquire`] to its answer ([`Pass::done`]). Dropped
/// without an answer (the request was cancelled: a hedged copy that lost, a closed dashboard),
/// it still leaves the count of requests in flight.
#[derive(Debug)]
pub(crate) struct Pass<'a> {
    _permit: Option<tokio::sync::SemaphorePermit<'a>>,
    window: &'a Mutex<Window>,
    open: bool,
}

impl Pass<'_> {
    /// The request was answered (`rate`: its `X-RateLimit-*` headers) or failed (None).
    pub(crate) fn done(mut self, rate: Option<RateLimit>) {
        self.open = false;
        if let Ok(mut w) = self.window.lock() {
            w.in_flight = w.in_flight.saturating_sub(1);
            if let Some(r) = rate {
                let now = w.server_now(epoch_now_f64());
                w.observe(r, now);
            }
        }
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        if self.open
            && let Ok(mut w) = self.window.lock()
        {
            w.in_flight = w.in_flight.saturating_sub(1);
        }
    }
}

impl Gate {
    pub(crate) fn new(concurrency: usize) -> Self {
        Gate {
            sem: Semaphore::new(concurrency.max(1)),
            window: Arc::new(Mutex::new(Window::default())),
            creates: Mutex::new(Window::default()),
            memo: std::sync::OnceLock::new(),
            memo_read: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Remember the creation budget in `memo` between runs (the first call wins).
    pub(crate) fn remember_creates(&self, memo: Memo) {
        let _ = self.memo.set(memo);
    }

    /// At the first create of a run, a window an earlier run spent and that has not reset is
    /// waited for as a window nobody named: at most half the time left, then the create goes
    /// and its answer tells.
    fn consult_memo(&self) {
        use std::sync::atomic::Ordering;
        let Some(memo) = self.memo.get() else {
            return;
        };
        if self.memo_read.swap(true, Ordering::Relaxed) {
            return;
        }
        let local = epoch_now_f64();
        if let (Some(until), Ok(mut w)) = (memo.spent_until(local), self.creates.lock())
            && w.limit.is_none()
        {
            let server = w.server_now(until);
            w.unknown_until = Some(server);
        }
    }

    /// Note the creation window after a create's answer, for the next run.
    fn note_memo(&self) {
        let Some(memo) = self.memo.get() else {
            return;
        };
        let spent = self.creates.lock().ok().and_then(|w| {
            let local = epoch_now_f64();
            let server = w.server_now(local);
            Some(Spent {
                reset_local: w.reset? as f64 + (local - server),
                remaining: w.remaining?,
            })
        });
        if let Some(spent) = spent {
            memo.note(spent, epoch_now_f64());
        }
    }

    /// What may still be sent (None: no answer has told yet).
    pub(crate) fn budget(&self) -> Option<Budget> {
        self.window.lock().ok().and_then(|mut w| {
            let now = w.server_now(epoch_now_f64());
            w.budget(now)
        })
    }

    /// The window's length in seconds, once two resets have shown it (for the dashboard's
    /// "waiting … 600/min").
    pub(crate) fn period(&self) -> Option<u64> {
        self.window.lock().ok().and_then(|w| w.period)
    }

    /// The server's clock now (epoch seconds), as the answers' `Date` headers set it against
    /// ours: the clock [`Gate::budget`]'s resets and the wave plan are in.
    pub(crate) fn now(&self) -> f64 {
        let local = epoch_now_f64();
        self.window.lock().map_or(local, |w| w.server_now(local))
    }

    /// An answer's `X-RateLimit-*` headers, and its `Date` to set the server's clock against
    /// ours (`received`: the local epoch time the answer came).
    pub(crate) fn read_headers(&self, headers: &HeaderMap, received: f64) -> Option<RateLimit> {
        let rate = rate_limit(headers);
        if let Some(date) = server_date(headers) {
            let ahead = received - date as f64;
            for window in [&*self.window, &self.creates] {
                if let Ok(mut w) = window.lock() {
                    w.ahead = Some(w.ahead.map_or(ahead, |a| a.min(ahead)));
                }
            }
        }
        rate
    }

    /// Count `n` requests against the window now (the caller's plan says the budget covers
    /// them), one [`Ticket`] each.
    pub(crate) fn reserve(&self, n: usize) -> Vec<Ticket> {
        let Ok(mut w) = self.window.lock() else {
            return Vec::new();
        };
        let now = w.server_now(epoch_now_f64());
        w.roll(now);
        w.in_flight += n as u64;
        if let Some(r) = &mut w.remaining {
            *r = r.saturating_sub(n as u64);
        }
        let reset = w.reset;
        drop(w);
        (0..n)
            .map(|_| Ticket {
                window: Arc::clone(&self.window),
                reset,
                spent: false,
            })
            .collect()
    }

    /// Wait for a place (not counted against the deadline) and then for room in the rate-limit
    /// window (counted: the deadline starts when the first place is had). A window that
    /// resets after the deadline is an error at once, never a long sleep; a window nobody
    /// named is waited for at most until half the time left. A `ticket` was counted when it
    /// was reserved: no window check.
    pub(crate) async fn acquire(
        &self,
        deadline: &mut Option<Instant>,
        timeout: Duration,
        ticket: Option<Ticket>,
    ) -> Result<Pass<'_>, ApiError> {
        let permit = self.sem.acquire().await.ok();
        let until = *deadline.get_or_insert_with(|| Instant::now() + timeout);
        let mut pass = Pass {
            _permit: permit,
            window: &self.window,
            open: true,
        };
        if let Some(mut t) = ticket {
            t.spent = true;
            return Ok(pass);
        }
        match wait_for_room(&self.window, until, timeout, Window::take).await {
            Ok(()) => Ok(pass),
            Err(e) => {
                // not counted: leave the count of requests in flight alone
                pass.open = false;
                Err(e)
            }
        }
    }

    /// A key creation's place in the creation budget, before its place in the general one
    /// ([`Gate::acquire`], which it is sent with): waited for within the same deadline (it
    /// starts here), never past it. While no create has been answered the budget is unknown,
    /// and creates go one at a time: the first answer tells the limit.
    pub(crate) async fn acquire_create(
        &self,
        deadline: &mut Option<Instant>,
        timeout: Duration,
    ) -> Result<Pass<'_>, ApiError> {
        let until = *deadline.get_or_insert_with(|| Instant::now() + timeout);
        self.consult_memo();
        let mut pass = Pass {
            _permit: None,
            window: &self.creates,
            open: true,
        };
        match wait_for_room(&self.creates, until, timeout, Window::take_create).await {
            Ok(()) => Ok(pass),
            Err(e) => {
                pass.open = false;
                Err(e)
            }
        }
    }

    /// A create's answer: its `X-RateLimit-*` headers describe the creation budget, unless it
    /// is a 429 naming the general window's limit (and not the creation window's): then the
    /// general budget refused it. The other window is told only that the request is over.
    pub(crate) fn create_answered(
        &self,
        create: Pass<'_>,
        general: Pass<'_>,
        status: u16,
        rate: Option<RateLimit>,
    ) {
        let limit_of = |w: &Mutex<Window>| w.lock().ok().and_then(|w| w.limit);
        let generals = rate.is_some_and(|r| {
            status == 429
                && limit_of(&self.window) == Some(r.limit)
                && limit_of(&self.creates) != Some(r.limit)
        });
        if generals {
            create.done(None);
            general.done(rate);
        } else {
            create.done(rate);
            general.done(None);
            if rate.is_some() {
                self.note_memo();
            }
        }
    }
}

/// Wait until `take` lets one request go in `window` (it counts it then): a reset after
/// `until` is an error at once, never a long sleep; a window nobody named is waited for at
/// most until half the time left (as it was when the wait began), then the request goes.
async fn wait_for_room(
    window: &Mutex<Window>,
    until: Instant,
    timeout: Duration,
    take: fn(&mut Window, f64) -> Wait,
) -> Result<(), ApiError> {
    let started = Instant::now();
    let give_up = started + until.saturating_duration_since(started) / 2;
    loop {
        let wait = match window.lock() {
            Ok(mut w) => {
                let now = w.server_now(epoch_now_f64());
                take(&mut w, now)
            }
            Err(_) => Wait::Go,
        };
        let left = until.saturating_duration_since(Instant::now());
        match wait {
            Wait::Go => return Ok(()),
            Wait::Reset(d) if d > left => {
                return Err(ApiError::RateWaitTooLong {
                    reset_in_s: d.as_secs_f64().ceil() as u64,
                    timeout,
                });
            }
            Wait::Reset(d) => tokio::time::sleep(d).await,
            Wait::Unknown(d) => {
                let cut = d.min(give_up.saturating_duration_since(Instant::now()));
                tokio::time::sleep(cut).await;
                if cut < d {
                    if let Ok(mut w) = window.lock() {
                        w.count_one();
                    }
                    return Ok(());
                }
            }
        }
    }
}

/// `f` seconds as a `Duration`, for waits computed from header numbers of any size: negative
/// or NaN is zero, anything beyond a year is a year (no overflow, no panic).
pub(crate) fn secs(f: f64) -> Duration {
    const YEAR: f64 = 365.0 * 86_400.0;
    if f.is_nan() || f <= 0.0 {
        Duration::ZERO
    } else {
        Duration::from_secs_f64(f.min(YEAR))
    }
}

impl Window {
    /// The local clock beyond this many seconds ahead of (or 1 behind) the server's `Date` is
    /// off: the server's clock is taken from the headers. Within it the local clock is trusted
    /// (it has sub-second precision; `Date` has whole seconds).
    const CLOCK_TOLERANCE: (f64, f64) = (-1.0, 1.25);

    /// The server's epoch time at local epoch time `local`.
    fn server_now(&self, local: f64) -> f64 {
        match self.ahead {
            Some(a) if a < Self::CLOCK_TOLERANCE.0 || a > Self::CLOCK_TOLERANCE.1 => local - a,
            _ => local,
        }
    }

    /// A window whose reset has passed rolls over: a full allowance, less what is still in
    /// flight (it may be counted in the new window), until an answer says otherwise.
    fn roll(&mut self, now: f64) {
        if let Some(reset) = self.reset
            && now >= reset as f64
        {
            self.reset = None;
            self.remaining = self.limit.map(|l| l.saturating_sub(self.in_flight));
        }
    }

    /// The budget as [`waves::plan`] takes it.
    fn budget(&mut self, now: f64) -> Option<Budget> {
        let period = self.period.map_or(1.0, |p| p as f64);
        if let Some(until) = self.unknown_until {
            if now < until {
                // nothing until then, and then everything: the answers will tell
                return Some(Budget {
                    limit: u64::MAX,
                    remaining: 0,
                    reset: Some(until),
                    period,
                });
            }
            self.unknown_until = None;
        }
        self.roll(now);
        Some(Budget {
            limit: self.limit?,
            remaining: self.remaining?,
            reset: self.reset.map(|r| r as f64),
            period,
        })
    }

    /// Count one request sent now.
    fn count_one(&mut self) {
        if let Some(r) = &mut self.remaining {
            *r = r.saturating_sub(1);
        }
        self.in_flight += 1;
    }

    /// Reserve one request, or say how long to wait first: the first wave of the plan for
    /// one request.
    fn take(&mut self, now: f64) -> Wait {
        if let Some(until) = self.unknown_until
            && now < until
        {
            return Wait::Unknown(secs(until - now));
        }
        self.roll(now);
        if self.remaining == Some(0) && self.reset.is_none() {
            // Waiting for an answer to tell us the new window; don't stall forever.
            let since = *self.stalled_since.get_or_insert(now);
            if now - since > 1.0 {
                self.stalled_since = None;
                self.remaining = None;
            } else {
                return Wait::Reset(Duration::from_millis(20));
            }
        }
        let first = waves::plan(self.budget(now), now, 1).first().copied();
        match first {
            Some(w) if w.at > now => Wait::Reset(secs(w.at - now)),
            _ => {
                self.count_one();
                Wait::Go
            }
        }
    }

    /// [`Window::take`] for the creation budget: while no answer has told its limit, one
    /// create at a time (the first answer tells it); a create still unanswered is waited for
    /// (polled), and never past half the time left ([`Wait::Unknown`]).
    fn take_create(&mut self, now: f64) -> Wait {
        if self.limit.is_none() && self.unknown_until.is_none() && self.in_flight > 0 {
            return Wait::Unknown(Duration::from_millis(20));
        }
        self.take(now)
    }

    /// An answer's headers, at server time `now`.
    fn observe(&mut self, rate: RateLimit, now: f64) {
        self.stalled_since = None;
        // A limit of 0, or a spent window whose reset has passed by the server's own clock,
        // names no window to wait for: nothing is counted against it, and it is waited for
        // at most once (one learned window length, 1 s until one is learned).
        let passed = rate.reset as f64 <= now;
        if !passed {
            self.known_current = self.known_current.max(rate.reset);
        }
        let late = passed && rate.reset <= self.known_current;
        if rate.limit == 0 || (rate.remaining == 0 && passed && !late) {
            self.limit = None;
            self.remaining = None;
            self.reset = None;
            if rate.remaining == 0 && self.waited_for != Some(rate.reset) {
                self.waited_for = Some(rate.reset);
                let period = self.period.map_or(1.0, |p| p as f64);
                self.unknown_until = Some(now + period);
            }
            return;
        }
        self.limit = Some(rate.limit);
        let stale = rate.reset < self.newest_reset
            || (self.reset.is_none() && rate.reset == self.newest_reset && self.newest_reset != 0);
        if stale {
            return; // an answer from a window that has already rolled over
        }
        if self.newest_reset != 0 && rate.reset > self.newest_reset {
            let step = rate.reset - self.newest_reset;
            self.period = Some(self.period.map_or(step, |p| p.min(step)));
        }
        self.newest_reset = rate.reset;
        match self.reset {
            Some(reset) if rate.reset == reset => {
                self.remaining = Some(
                    self.remaining
                        .map_or(rate.remaining, |r| r.min(rate.remaining)),
                );
            }
            // We rolled over locally and have been counting this window since: our figure
            // already deducts requests the server has not seen yet, so keep the smaller.
            None if self.remaining.is_some() => {
                self.reset = Some(rate.reset);
                self.remaining = self.remaining.map(|r| r.min(rate.remaining));
            }
            // A window we had not counted (first answer, or the server's clock ahead of ours):
            // whatever is still in flight will be counted in it too.
            _ => {
                self.reset = Some(rate.reset);
                self.remaining = Some(rate.remaining.saturating_sub(self.in_flight));
            }
        }
    }
}

/// A header number of any size: an unsigned integer (surrounding spaces allowed); one too
/// large for 64 bits is the largest there is, never a panic. Anything else is not a number.
pub fn header_num(s: &str) -> Option<u64> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(t.parse::<u64>().unwrap_or(u64::MAX))
}

/// The answer's `Date` header (an HTTP date), as epoch seconds.
fn server_date(headers: &HeaderMap) -> Option<u64> {
    let v = headers.get(reqwest::header::DATE)?.to_str().ok()?;
    let t = httpdate::parse_http_date(v.trim()).ok()?;
    Some(t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs())
}

/// The `X-RateLimit-*` headers (HeaderMap lookups are case-insensitive), with the answer's
/// `Date`.
pub fn rate_limit(headers: &HeaderMap) -> Option<RateLimit> {
    let num = |name: &str| -> Option<u64> { header_num(headers.get(name)?.to_str().ok()?) };
    Some(RateLimit {
        limit: num("x-ratelimit-limit")?,
        remaining: num("x-ratelimit-remaining")?,
        reset: num("x-ratelimit-reset")?,
        date: server_date(headers),
    })
}

#[cfg(test)]
mod tests;
