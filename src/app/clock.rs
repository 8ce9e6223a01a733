//! Wall-clock time for the log and toasts, from `now_ms` (time since start, the only time
//! `update` sees).

/// What turns `now_ms` (milliseconds since start) into a local clock time: set once by the loop
/// at start (`update` reads no clock). Zero in tests: `now_ms` 5 000 is `00:00:05`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    /// Unix time in ms when `now_ms` was 0.
    pub start_unix_ms: u64,
    /// Local offset from UTC in seconds (east positive), as it was at start.
    pub utc_offset_s: i64,
}

impl Clock {
    /// `HH:MM:SS` local time of a moment given in `now_ms` time.
    pub fn hms(&self, at_ms: u64) -> String {
        let unix_s = (self.start_unix_ms + at_ms) as i64 / 1000 + self.utc_offset_s;
        let day_s = unix_s.rem_euclid(86_400);
        format!(
            "{:02}:{:02}:{:02}",
            day_s / 3600,
            day_s / 60 % 60,
            day_s % 60
        )
    }

    /// `YYYY-MM-DD` (UTC) of a moment given in `now_ms` time (for a rotation's lineage name).
    pub fn date(&self, at_ms: u64) -> String {
        let days = ((self.start_unix_ms + at_ms) / 1000 / 86_400) as i64;
        let (y, m, d) = civil_from_days(days);
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// `MM-DD HH:MM:SS` local time of a journal time (RFC 3339, UTC); the text itself when it
    /// does not parse.
    pub fn local_stamp(&self, rfc3339: &str) -> String {
        let Ok(t) = humantime::parse_rfc3339_weak(rfc3339) else {
            return rfc3339.to_owned();
        };
        let unix = t
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
            + self.utc_offset_s;
        let (_, m, d) = civil_from_days(unix.div_euclid(86_400));
        let s = unix.rem_euclid(86_400);
        format!(
            "{m:02}-{d:02} {:02}:{:02}:{:02}",
            s / 3600,
            s / 60 % 60,
            s % 60
        )
    }
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
