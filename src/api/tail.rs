//! What the connection shows about answer times, and the two tail cuts taken from it:
//!
//! - **each attempt's own timeout**: `max(1 s, 10 × the median answer time so far)` (1 s before
//!   any answer has come; a DELETE's at least 3 s), doubled for each attempt of the same request that already timed
//!   out, and never past the request's `--timeout` deadline. A hung attempt is cut after that
//!   and an idempotent request retried, instead of one hang sinking the whole deadline;
//! - **when to hedge a GET** (a second copy, first answer wins; see [`crate::fetch`]): after
//!   the p95 of the answer times so far.
//!
//! Times are those of answers (any status); requests that got none (timeouts, network errors)
//! are not samples. The last [`WINDOW`] answers count, so the figures follow a server that
//! slows down or speeds up.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

/// How many recent answers the figures are taken from.
pub(crate) const WINDOW: usize = 128;
/// An attempt's timeout is never shorter than this.
pub(crate) const MIN_ATTEMPT: Duration = Duration::from_secs(1);
/// ... and a DELETE's never shorter than this: the median comes mostly from reads, and a
/// write may take the server longer; an attempt cut too early is sent again (harmless, the
/// retry's 404 reads as revoked, but one more request and a confusing server log).
pub(crate) const MIN_DELETE_ATTEMPT: Duration = Duration::from_secs(3);
/// ... and is this many times the median answer time.
pub(crate) const MEDIAN_FACTOR: u32 = 10;
/// Answers needed before a quantile is trusted for hedging.
pub(crate) const MIN_SAMPLES: usize = 20;

/// Recent answer times of one client (shared by its clones).
#[derive(Debug, Default)]
pub(crate) struct AnswerTimes {
    recent: Mutex<VecDeque<Duration>>,
}

impl AnswerTimes {
    /// An answer came after `d`.
    pub(crate) fn record(&self, d: Duration) {
        if let Ok(mut r) = self.recent.lock() {
            if r.len() >= WINDOW {
                r.pop_front();
            }
            r.push_back(d);
        }
    }

    /// The `q` quantile (0–1) of the recent answer times, with at least `min` samples.
    pub(crate) fn quantile(&self, q: f64, min: usize) -> Option<Duration> {
        let r = self.recent.lock().ok()?;
        if r.is_empty() || r.len() < min {
            return None;
        }
        let mut v: Vec<Duration> = r.iter().copied().collect();
        drop(r);
        v.sort_unstable();
        Some(v[quantile_index(v.len(), q)])
    }

    /// The timeout of an attempt after `timed_out` attempts of the same request timed out.
    pub(crate) fn attempt_timeout(&self, timed_out: u32) -> Duration {
        let base = self.quantile(0.5, 1).map_or(MIN_ATTEMPT, |m| {
            m.saturating_mul(MEDIAN_FACTOR).max(MIN_ATTEMPT)
        });
        base.saturating_mul(1u32 << timed_out.min(8))
    }

    /// How long a GET may be outstanding before a second copy is worth sending: the p95 of
    /// the recent answers (at least twice the median, at least 20 ms); None until
    /// [`MIN_SAMPLES`] answers have come.
    pub(crate) fn hedge_after(&self) -> Option<Duration> {
        let p95 = self.quantile(0.95, MIN_SAMPLES)?;
        let median = self.quantile(0.5, MIN_SAMPLES)?;
        Some(p95.max(median * 2).max(Duration::from_millis(20)))
    }
}

/// The index of the `q` quantile in `n` sorted samples (nearest rank).
pub(crate) fn quantile_index(n: usize, q: f64) -> usize {
    let q = if q.is_finite() {
        q.clamp(0.0, 1.0)
    } else {
        0.5
    };
    ((q * n as f64).ceil() as usize).clamp(1, n.max(1)) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn an_attempt_gets_ten_medians_at_least_a_second_and_doubles_after_each_timeout() {
        let t = AnswerTimes::default();
        assert_eq!(t.attempt_timeout(0), MIN_ATTEMPT, "nothing known yet");
        assert_eq!(t.attempt_timeout(1), MIN_ATTEMPT * 2);
        for _ in 0..10 {
            t.record(ms(20));
        }
        assert_eq!(
            t.attempt_timeout(0),
            MIN_ATTEMPT,
            "10 × 20 ms is below the floor"
        );
        for _ in 0..20 {
            t.record(ms(300));
        }
        assert_eq!(t.attempt_timeout(0), ms(3000));
        assert_eq!(t.attempt_timeout(2), ms(12000));
        assert!(t.attempt_timeout(u32::MAX) >= ms(3000), "no overflow");
    }

    #[test]
    fn only_the_recent_answers_count() {
        let t = AnswerTimes::default();
        for _ in 0..WINDOW {
            t.record(ms(5000));
        }
        for _ in 0..WINDOW {
            t.record(ms(10));
        }
        assert_eq!(t.quantile(0.5, 1), Some(ms(10)));
    }

    #[test]
    fn hedging_waits_for_enough_answers_then_follows_the_p95() {
        let t = AnswerTimes::default();
        for i in 0..(MIN_SAMPLES as u64 - 1) {
            t.record(ms(50 + i));
        }
        assert_eq!(t.hedge_after(), None);
        t.record(ms(400));
        // 20 samples: p95 is the 19th (68 ms), the median 59 ms → twice the median
        assert_eq!(t.hedge_after(), Some(ms(118)));
        let fast = AnswerTimes::default();
        for _ in 0..MIN_SAMPLES {
            fast.record(ms(1));
        }
        assert_eq!(
            fast.hedge_after(),
            Some(ms(20)),
            "a floor for a fast local server"
        );
    }

    #[test]
    fn nearest_rank() {
        assert_eq!(quantile_index(100, 0.95), 94);
        assert_eq!(quantile_index(1, 0.95), 0);
        assert_eq!(quantile_index(10, 0.0), 0);
        assert_eq!(quantile_index(10, 1.0), 9);
        assert_eq!(quantile_index(10, f64::NAN), 4);
        assert_eq!(quantile_index(0, 0.5), 0);
    }
}
