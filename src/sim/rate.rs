//! A rate-limit budget, `N/PERIOD`: N requests per fixed window of PERIOD whole seconds, the
//! windows aligned to the Unix epoch (so `X-RateLimit-Reset`, in epoch seconds, is exact).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// N requests per window of `period_secs` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests a window allows.
    pub requests: u32,
    /// The window's length in seconds (at least 1).
    pub period_secs: u64,
}

/// The longest window accepted: one day.
pub const MAX_PERIOD_SECS: u64 = 86_400;

impl Rate {
    /// `requests` per `period_secs` seconds (a period of 0 counts as 1 s).
    pub const fn new(requests: u32, period_secs: u64) -> Self {
        Rate {
            requests,
            period_secs: if period_secs == 0 { 1 } else { period_secs },
        }
    }

    /// `requests` per second.
    pub const fn per_second(requests: u32) -> Self {
        Rate::new(requests, 1)
    }

    /// The window holding epoch second `now`: (its first second, the second it ends at).
    pub fn window(&self, now: u64) -> (u64, u64) {
        let start = now - now % self.period_secs;
        (start, start + self.period_secs)
    }

    pub fn period(&self) -> Duration {
        Duration::from_secs(self.period_secs)
    }
}

impl fmt::Display for Rate {
    /// `600/60s`, the form `--rate-limit` takes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}s", self.requests, self.period_secs)
    }
}

impl FromStr for Rate {
    type Err = String;

    /// `N/PERIOD`: `600/60s`, `1000/1s`, `1/2s`, `600/1m`, `600/min`, `600 / 60 s`. The period
    /// is a whole number of seconds from 1 s to a day, with its unit (`s`, `m`/`min`, `h`,
    /// as `humantime` spells them); a bare unit means one of it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let usage = "use N/PERIOD, e.g. 600/60s (600 requests a minute) or 1000/1s";
        let Some((n, period)) = text.split_once('/') else {
            return Err(format!("'{text}': no period; {usage}"));
        };
        let requests: u32 = n.trim().parse().map_err(|_| {
            format!(
                "'{text}': '{}' is not a whole number of requests; {usage}",
                n.trim()
            )
        })?;
        if requests == 0 {
            return Err(format!(
                "'{text}': a window must allow at least 1 request; {usage}"
            ));
        }
        let period: String = period.split_whitespace().collect();
        if period.is_empty() {
            return Err(format!("'{text}': no period after '/'; {usage}"));
        }
        // a bare unit ("min", "s") is one of it
        let period = if period.starts_with(|c: char| c.is_ascii_digit()) {
            period
        } else {
            format!("1{period}")
        };
        if period.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "'{text}': the period needs a unit (e.g. {period}s); {usage}"
            ));
        }
        let d = humantime::parse_duration(&period)
            .map_err(|e| format!("'{text}': cannot read the period '{period}' ({e}); {usage}"))?;
        if d.subsec_nanos() != 0 || d.as_secs() == 0 {
            return Err(format!(
                "'{text}': the period must be a whole number of seconds, at least 1 s \
                 (X-RateLimit-Reset is in epoch seconds)"
            ));
        }
        if d.as_secs() > MAX_PERIOD_SECS {
            return Err(format!(
                "'{text}': the period may be at most a day (86400s)"
            ));
        }
        Ok(Rate::new(requests, d.as_secs()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_spellings() {
        for (text, want) in [
            ("600/60s", Rate::new(600, 60)),
            ("1000/1s", Rate::per_second(1000)),
            ("1/2s", Rate::new(1, 2)),
            ("600/1m", Rate::new(600, 60)),
            ("600/min", Rate::new(600, 60)),
            ("600/s", Rate::per_second(600)),
            (" 600 / 60 s ", Rate::new(600, 60)),
            ("10/1h", Rate::new(10, 3600)),
            ("5/1m30s", Rate::new(5, 90)),
        ] {
            assert_eq!(text.parse::<Rate>(), Ok(want), "{text}");
        }
        assert_eq!(Rate::new(600, 60).to_string(), "600/60s");
        assert_eq!("600/60s".parse::<Rate>().unwrap().to_string(), "600/60s");
    }

    #[test]
    fn rejects_nonsense_saying_why() {
        for (text, why) in [
            ("600", "no period"),
            ("", "no period"),
            ("0/1s", "at least 1 request"),
            ("-5/1s", "not a whole number"),
            ("abc/1s", "not a whole number"),
            ("1.5/1s", "not a whole number"),
            ("600/", "no period after"),
            ("600/60", "needs a unit"),
            ("600/500ms", "whole number of seconds"),
            ("600/1.5s", "whole number of seconds"),
            ("600/0s", "whole number of seconds"),
            ("600/fortnightly", "cannot read"),
            ("600/2d", "at most a day"),
            ("600/60s/2", "cannot read"),
        ] {
            let err = text.parse::<Rate>().unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn windows_are_aligned_to_the_epoch() {
        let r = Rate::new(600, 60);
        assert_eq!(r.window(120), (120, 180));
        assert_eq!(r.window(179), (120, 180));
        assert_eq!(Rate::per_second(5).window(7), (7, 8));
        assert_eq!(Rate::new(1, 2).window(7), (6, 8));
    }
}
