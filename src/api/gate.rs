//! The rate gate and the retry policy: how many requests may be in flight, how they are spaced
//! by SendGrid's `X-RateLimit-*` headers (a local estimate of the window, corrected by every
//! answer), and how failed requests are repeated with jittered backoff.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::HeaderMap;
use tokio::sync::Semaphore;

use super::error::ApiError;
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
}

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

impl Gate {
    pub(crate) fn new(concurrency: usize) -> Self {
        Gate {
            sem: Semaphore::new(concurrency.max(1)),
            window: Arc::new(Mutex::new(Window::default())),
        }
    }

    /// What may still be sent (None: no answer has told yet).
    pub(crate) fn budget(&self) -> Option<Budget> {
        self.window
            .lock()
            .ok()
            .and_then(|mut w| w.budget(epoch_now_f64()))
    }

    /// Count `n` requests against the window now (the caller's plan says the budget covers
    /// them), one [`Ticket`] each.
    pub(crate) fn reserve(&self, n: usize) -> Vec<Ticket> {
        let Ok(mut w) = self.window.lock() else {
            return Vec::new();
        };
        w.roll(epoch_now_f64());
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
    /// resets after the deadline is an error at once, never a long sleep. A `ticket` was
    /// counted when it was reserved: no window check.
    pub(crate) async fn acquire(
        &self,
        deadline: &mut Option<Instant>,
        timeout: Duration,
        ticket: Option<Ticket>,
    ) -> Result<Option<tokio::sync::SemaphorePermit<'_>>, ApiError> {
        let permit = self.sem.acquire().await.ok();
        let until = *deadline.get_or_insert_with(|| Instant::now() + timeout);
        if let Some(mut t) = ticket {
            t.spent = true;
            return Ok(permit);
        }
        loop {
            let now = epoch_now_f64();
            let wait = match self.window.lock() {
                Ok(mut w) => w.take(now),
                Err(_) => None,
            };
            match wait {
                Some(d) if Instant::now() + d > until => {
                    return Err(ApiError::RateWaitTooLong {
                        reset_in_s: d.as_secs_f64().ceil() as u64,
                        timeout,
                    });
                }
                Some(d) => tokio::time::sleep(d).await,
                None => return Ok(permit),
            }
        }
    }

    /// The request reserved by `acquire` has been answered (or failed).
    pub(crate) fn done(&self, rate: Option<RateLimit>) {
        if let Ok(mut w) = self.window.lock() {
            w.in_flight = w.in_flight.saturating_sub(1);
            if let Some(r) = rate {
                w.observe(r);
            }
        }
    }
}

impl Window {
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
        self.roll(now);
        Some(Budget {
            limit: self.limit?,
            remaining: self.remaining?,
            reset: self.reset.map(|r| r as f64),
            period: self.period.map_or(1.0, |p| p as f64),
        })
    }

    /// Reserve one request, or say how long to wait first: the first wave of the plan for
    /// one request.
    fn take(&mut self, now: f64) -> Option<Duration> {
        self.roll(now);
        if self.remaining == Some(0) && self.reset.is_none() {
            // Waiting for an answer to tell us the new window; don't stall forever.
            let since = *self.stalled_since.get_or_insert(now);
            if now - since > 1.0 {
                self.stalled_since = None;
                self.remaining = None;
            } else {
                return Some(Duration::from_millis(20));
            }
        }
        let first = waves::plan(self.budget(now), now, 1).first().copied();
        match first {
            Some(w) if w.at > now => Some(Duration::from_secs_f64(w.at - now)),
            _ => {
                if let Some(r) = &mut self.remaining {
                    *r = r.saturating_sub(1);
                }
                self.in_flight += 1;
                None
            }
        }
    }

    fn observe(&mut self, rate: RateLimit) {
        self.limit = Some(rate.limit);
        self.stalled_since = None;
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

/// The `X-RateLimit-*` headers (HeaderMap lookups are case-insensitive).
pub fn rate_limit(headers: &HeaderMap) -> Option<RateLimit> {
    let num = |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
    Some(RateLimit {
        limit: num("x-ratelimit-limit")?,
        remaining: num("x-ratelimit-remaining")?,
        reset: num("x-ratelimit-reset")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    #[test]
    fn window_spaces_requests_by_the_headers() {
        let mut w = Window::default();
        assert_eq!(w.take(100.0), None, "unknown window: go");
        w.in_flight -= 1; // answered (what `Gate::done` does before observing)
        w.observe(RateLimit {
            limit: 3,
            remaining: 1,
            reset: 101,
        });
        assert_eq!(w.take(100.2), None);
        let wait = w.take(100.3).unwrap();
        assert!(
            wait >= Duration::from_millis(700) && wait < Duration::from_millis(720),
            "{wait:?}"
        );
        // after the reset, a fresh allowance of `limit` less what is still in flight
        assert_eq!(w.in_flight, 1);
        w.in_flight = 0;
        assert_eq!(w.take(101.0), None);
        assert_eq!(w.remaining, Some(2));
        // an answer from the old window does not undo the new one
        w.observe(RateLimit {
            limit: 3,
            remaining: 0,
            reset: 100,
        });
        assert_eq!(w.remaining, Some(2));
        // the new window's answer sets it
        w.observe(RateLimit {
            limit: 3,
            remaining: 1,
            reset: 102,
        });
        assert_eq!(w.remaining, Some(1));
    }

    #[test]
    fn a_new_windows_first_answer_does_not_undo_the_local_count() {
        let mut w = Window::default();
        w.observe(RateLimit {
            limit: 20,
            remaining: 0,
            reset: 100,
        });
        // rolled over at 100: 20 allowed; send 15 (all in flight)
        for _ in 0..15 {
            assert_eq!(w.take(100.1), None);
        }
        assert_eq!(w.remaining, Some(5));
        // the first answer of the new window was counted before the others: it says 19 left
        w.in_flight -= 1;
        w.observe(RateLimit {
            limit: 20,
            remaining: 19,
            reset: 101,
        });
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
        w.observe(RateLimit {
            limit: 20,
            remaining: 10,
            reset: 200,
        });
        assert_eq!(w.remaining, Some(7));
    }

    #[test]
    fn reserved_tickets_count_at_once_and_unspent_ones_are_given_back() {
        let gate = Gate::new(64);
        let far = epoch_now() + 3600;
        gate.done(Some(RateLimit {
            limit: 20,
            remaining: 19,
            reset: far,
        }));
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
        gate.done(Some(RateLimit {
            limit: 2,
            remaining: 1,
            reset: epoch_now() + 3600,
        }));
        let mut tickets = gate.reserve(1);
        assert_eq!(gate.budget().unwrap().remaining, 0);
        let mut deadline = None;
        let timeout = Duration::from_secs(5);
        let permit = gate
            .acquire(&mut deadline, timeout, tickets.pop())
            .await
            .unwrap();
        assert!(permit.is_some());
        // without a ticket the window is spent until the reset an hour away: too long
        let mut deadline = None;
        let err = gate
            .acquire(&mut deadline, timeout, None)
            .await
            .unwrap_err();
        assert!(matches!(err, ApiError::RateWaitTooLong { .. }), "{err}");
    }

    #[test]
    fn the_window_length_is_learned_from_consecutive_resets() {
        let mut w = Window::default();
        assert_eq!(w.budget(0.0), None);
        w.observe(RateLimit {
            limit: 600,
            remaining: 599,
            reset: 1060,
        });
        assert_eq!(w.budget(1000.0).unwrap().period, 1.0, "unknown: 1 s");
        w.observe(RateLimit {
            limit: 600,
            remaining: 599,
            reset: 1120,
        });
        assert_eq!(w.budget(1061.0).unwrap().period, 60.0);
    }

    #[test]
    fn window_never_stalls_forever_without_answers() {
        let mut w = Window {
            limit: Some(1),
            remaining: Some(0),
            ..Default::default()
        };
        assert!(w.take(10.0).is_some());
        assert!(w.take(10.5).is_some());
        assert_eq!(w.take(11.1), None);
    }

    #[test]
    fn rate_headers_are_case_insensitive() {
        let mut h = HeaderMap::new();
        h.insert("X-Ratelimit-Limit", HeaderValue::from_static("600"));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("599"));
        h.insert("X-RateLimit-Reset", HeaderValue::from_static("1392815263"));
        assert_eq!(
            rate_limit(&h),
            Some(RateLimit {
                limit: 600,
                remaining: 599,
                reset: 1392815263
            })
        );
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
}
