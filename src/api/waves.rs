//! The wave plan: when to send `n` requests so that the rate-limit budget is spent in as few
//! waves as it allows and never overspent (0 answers of 429).
//!
//! The budget is what the server's `X-RateLimit-Limit`, `-Remaining` and `-Reset` headers said,
//! less the requests sent since (the gate's own count, in [`super::gate`]). If it covers every
//! request, one wave goes now; otherwise what it covers goes now, `limit` more at the reset, and
//! `limit` more each window after that. Pure: no clock, no IO; the fetch engine
//! ([`crate::fetch`]) and the gate (for requests sent one at a time, as the dashboard's
//! prefetch does) both follow it.

/// What may still be sent, as the `X-RateLimit-*` headers said and the local count corrected.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Requests allowed per window (`X-RateLimit-Limit`).
    pub limit: u64,
    /// Requests still allowed in the current window.
    pub remaining: u64,
    /// Epoch seconds the current window ends (`X-RateLimit-Reset`); None when a new window has
    /// begun and no answer has named its end yet.
    pub reset: Option<f64>,
    /// Length of a window in seconds: the smallest step seen between two resets, 1 s until two
    /// have been seen (the headers do not say it; SendGrid's windows vary by endpoint).
    pub period: f64,
}

/// `count` requests to send at `at` (epoch seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wave {
    pub at: f64,
    pub count: usize,
}

/// Sent this long after a reset, not on it: the server's clock and ours differ a little.
pub const AFTER_RESET: f64 = 0.005;

/// The waves for `n` requests at `now` (epoch seconds). No budget known: all at once (the
/// answers will tell). Later waves are estimates (the window length is learned); callers
/// re-plan as answers correct the budget.
pub fn plan(budget: Option<Budget>, now: f64, n: usize) -> Vec<Wave> {
    if n == 0 {
        return Vec::new();
    }
    let Some(b) = budget else {
        return vec![Wave { at: now, count: n }];
    };
    let mut waves = Vec::new();
    let mut left = n;
    let first = usize::try_from(b.remaining).unwrap_or(usize::MAX).min(left);
    if first > 0 {
        waves.push(Wave {
            at: now,
            count: first,
        });
        left -= first;
    }
    let period = if b.period.is_finite() && b.period > 0.0 {
        b.period
    } else {
        1.0
    };
    let per_window = usize::try_from(b.limit.max(1)).unwrap_or(usize::MAX);
    // The next window: at the named reset, or (a new window whose end no answer has named yet)
    // at most one period from now.
    let mut at = match b.reset {
        Some(reset) => reset.max(now) + AFTER_RESET,
        None => now + period,
    };
    while left > 0 {
        let count = per_window.min(left);
        waves.push(Wave { at, count });
        left -= count;
        at += period;
    }
    waves
}

/// The rate-limit bound for `n` requests at `rate` per second (`N / R` seconds): what the
/// benchmarks and the tests compare a paced run against.
pub fn rate_bound(n: usize, rate: u64) -> f64 {
    n as f64 / rate.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(limit: u64, remaining: u64, reset: f64) -> Option<Budget> {
        Some(Budget {
            limit,
            remaining,
            reset: Some(reset),
            period: 1.0,
        })
    }

    fn counts(w: &[Wave]) -> Vec<usize> {
        w.iter().map(|w| w.count).collect()
    }

    #[test]
    fn a_budget_that_covers_every_request_is_one_wave_now() {
        assert_eq!(
            plan(budget(1000, 999, 101.0), 100.2, 100),
            vec![Wave {
                at: 100.2,
                count: 100
            }]
        );
        // exactly enough
        assert_eq!(counts(&plan(budget(600, 100, 160.0), 100.0, 100)), [100]);
    }

    #[test]
    fn no_budget_known_is_one_wave_now() {
        assert_eq!(
            plan(None, 5.0, 2023),
            vec![Wave {
                at: 5.0,
                count: 2023
            }]
        );
        assert!(plan(None, 5.0, 0).is_empty());
        assert!(plan(budget(20, 0, 6.0), 5.0, 0).is_empty());
    }

    #[test]
    fn what_the_budget_covers_goes_now_and_the_rest_at_each_reset() {
        // 20 per second, the list took one: 19 now, then 20 at each reset
        let w = plan(budget(20, 19, 101.0), 100.05, 100);
        assert_eq!(counts(&w), [19, 20, 20, 20, 20, 1]);
        assert_eq!(w[0].at, 100.05);
        let at: Vec<f64> = w[1..].iter().map(|w| w.at).collect();
        for (i, t) in at.iter().enumerate() {
            let want = 101.0 + i as f64 + AFTER_RESET;
            assert!(
                (t - want).abs() < 1e-9,
                "wave {} at {t}, want {want}",
                i + 1
            );
        }
        // N requests at R per second take ⌈(N − remaining) / R⌉ windows after this one
        let total: usize = counts(&w).iter().sum();
        assert_eq!(total, 100);
    }

    #[test]
    fn an_empty_budget_waits_for_the_reset() {
        let w = plan(budget(3, 0, 101.0), 100.3, 4);
        assert_eq!(counts(&w), [3, 1]);
        assert!((w[0].at - (101.0 + AFTER_RESET)).abs() < 1e-9);
        assert!((w[1].at - (102.0 + AFTER_RESET)).abs() < 1e-9);
    }

    #[test]
    fn a_reset_in_the_past_is_now() {
        // the answer named a reset our clock has passed: the next window starts at once
        let w = plan(budget(10, 0, 99.0), 100.0, 15);
        assert_eq!(counts(&w), [10, 5]);
        assert!((w[0].at - (100.0 + AFTER_RESET)).abs() < 1e-9);
    }

    #[test]
    fn the_learned_period_spaces_later_waves() {
        // a 60-second window (600/min, as some SendGrid endpoints): 100 left now, 600 a minute
        let b = Some(Budget {
            limit: 600,
            remaining: 100,
            reset: Some(130.0),
            period: 60.0,
        });
        let w = plan(b, 100.0, 1500);
        assert_eq!(counts(&w), [100, 600, 600, 200]);
        let at: Vec<f64> = w.iter().map(|w| w.at).collect();
        assert_eq!(at[0], 100.0);
        assert!((at[1] - 130.005).abs() < 1e-9);
        assert!((at[2] - 190.005).abs() < 1e-9);
        assert!((at[3] - 250.005).abs() < 1e-9);
    }

    #[test]
    fn a_new_window_with_no_named_reset_is_bounded_by_one_period() {
        let b = Some(Budget {
            limit: 5,
            remaining: 2,
            reset: None,
            period: 1.0,
        });
        let w = plan(b, 50.0, 8);
        assert_eq!(counts(&w), [2, 5, 1]);
        assert!((w[1].at - 51.0).abs() < 1e-9);
    }

    #[test]
    fn a_zero_limit_or_a_nonsense_period_cannot_stall_the_plan() {
        let b = Some(Budget {
            limit: 0,
            remaining: 0,
            reset: Some(11.0),
            period: f64::NAN,
        });
        let w = plan(b, 10.0, 3);
        assert_eq!(counts(&w), [1, 1, 1]);
        assert!(w.windows(2).all(|p| p[1].at > p[0].at));
    }

    #[test]
    fn the_rate_bound_is_n_over_r() {
        assert!((rate_bound(101, 20) - 5.05).abs() < 1e-9);
        assert!((rate_bound(2023, 1000) - 2.023).abs() < 1e-9);
        assert!(rate_bound(5, 0).is_finite());
    }
}
