//! The rate gate and the retry policy: how many requests may be in flight, how they are spaced
//! by SendGrid's `X-RateLimit-*` headers (a local estimate of the window, corrected by every
//! answer), and how failed requests are repeated with jittered backoff.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::header::HeaderMap;
use tokio::sync::Semaphore;

use super::error::ApiError;
use super::models::RateLimit;

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
    window: Mutex<Window>,
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
    /// Requests sent and not answered yet (they may land in the next window).
    in_flight: u64,
}

impl Gate {
    pub(crate) fn new(concurrency: usize) -> Self {
        Gate {
            sem: Semaphore::new(concurrency.max(1)),
            window: Mutex::new(Window::default()),
        }
    }

    /// Wait for a place (not counted against the deadline) and then for room in the rate-limit
    /// window (counted: the deadline starts when the first place is had). A window that
    /// resets after the deadline is an error at once, never a long sleep.
    pub(crate) async fn acquire(
        &self,
        deadline: &mut Option<Instant>,
        timeout: Duration,
    ) -> Result<Option<tokio::sync::SemaphorePermit<'_>>, ApiError> {
        let permit = self.sem.acquire().await.ok();
        let until = *deadline.get_or_insert_with(|| Instant::now() + timeout);
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
    /// Reserve one request, or say how long to wait first.
    fn take(&mut self, now: f64) -> Option<Duration> {
        if let Some(reset) = self.reset
            && now >= reset as f64
        {
            // The window has rolled over: a full allowance, less what is still in flight (it may
            // be counted in the new window), until an answer says otherwise.
            self.reset = None;
            self.remaining = self.limit.map(|l| l.saturating_sub(self.in_flight));
        }
        match (self.remaining, self.reset) {
            (Some(0), Some(reset)) => Some(
                Duration::from_secs_f64((reset as f64 - now).max(0.0)) + Duration::from_millis(5),
            ),
            (Some(0), None) => {
                // Waiting for an answer to tell us the new window; don't stall forever.
                let since = *self.stalled_since.get_or_insert(now);
                if now - since > 1.0 {
                    self.stalled_since = None;
                    self.remaining = None;
                    None
                } else {
                    Some(Duration::from_millis(20))
                }
            }
            (Some(n), _) => {
                self.remaining = Some(n - 1);
                self.in_flight += 1;
                None
            }
            (None, _) => {
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
