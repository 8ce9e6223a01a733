//! A leaked key, from any input to confirmed dead: find SendGrid keys in what a person pastes or
//! a scanner reports (as a person reads it: through terminal colours and string escapes), ask
//! each key itself what it can do (a harmless `GET /v3/scopes` with the leaked key), find which
//! reachable account holds it, and after the revoke prove it dead by asking again until
//! SendGrid refuses it.
//!
//! "Dead" only when SendGrid said so: a 401 in SendGrid's own JSON shape, while the key sgkeys
//! uses still authenticates (a server or gateway that refuses everything refuses that one too).
//! An HTML or other non-JSON 401, a 5xx, no connection: unknown, never dead, never "works".
//!
//! Every request made with leaked keys goes through the fetch engine ([`crate::fetch`]), at most
//! `--concurrency` at once, and none starts after the deadline it is given.
//!
//! Never keeps a secret longer than needed and never prints one: a [`Sighting`] holds the key as
//! a [`Secret`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::api::{ApiError, Client};
use crate::secret::Secret;

mod exposure;
mod found;
mod locate;

pub use exposure::*;
pub use found::*;
pub use locate::*;

/// What SendGrid said about a key, asked with the key itself (`GET /v3/scopes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// SendGrid refused it (a 401 in its own JSON shape, while the key sgkeys uses still
    /// authenticates): already revoked, or not a whole key.
    Dead,
    /// It authenticates and holds these scopes: the blast radius.
    Live(Vec<String>),
    /// No answer that tells (why, in plain words): no connection, a 5xx, a gateway's page, or a
    /// refusal the key sgkeys uses got too.
    Unknown(String),
    /// Not asked: `--timeout` was over before its turn.
    NotChecked,
}

impl Probe {
    /// "dead", "LIVE", "unknown (why)", "not checked".
    pub fn label(&self) -> String {
        match self {
            Probe::Dead => "dead".into(),
            Probe::Live(_) => "LIVE".into(),
            Probe::Unknown(why) => format!("unknown ({why})"),
            Probe::NotChecked => "not checked".into(),
        }
    }

    /// For `--json`: `dead`, `live`, `unknown`, `not_checked`.
    pub fn code(&self) -> &'static str {
        match self {
            Probe::Dead => "dead",
            Probe::Live(_) => "live",
            Probe::Unknown(_) => "unknown",
            Probe::NotChecked => "not_checked",
        }
    }
}

/// How requests made with leaked keys go: at most `concurrency` at once, none started after
/// `deadline` and none waited for past it.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    pub concurrency: usize,
    pub deadline: Option<Instant>,
}

/// One answer to a probe; `None`: not asked, or not answered, before the deadline.
type Answer = Option<Result<Vec<String>, ApiError>>;

/// `GET /v3/scopes` with each key, through the fetch engine (each key spends its own rate
/// budget) and a shared cap of `pace.concurrency` in flight.
async fn ask(
    base: &Client,
    keys: &[&Secret],
    pace: Pace,
    progress: crate::fetch::Progress<'_>,
) -> Vec<Answer> {
    let clients: Vec<Client> = keys.iter().map(|k| base.with_key((*k).clone())).collect();
    let cap = Arc::new(Semaphore::new(pace.concurrency.max(1)));
    crate::fetch::run(
        &clients,
        |_, client| {
            let cap = Arc::clone(&cap);
            async move {
                let _permit = cap.acquire_owned().await.ok()?;
                let Some(deadline) = pace.deadline else {
                    return Some(client.my_scopes().await);
                };
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return None;
                }
                // cut at the deadline: not answered in time, as good as not asked
                tokio::time::timeout(left, client.my_scopes()).await.ok()
            }
        },
        progress,
    )
    .await
}

/// Whether the key sgkeys uses still authenticates, asked right after a leaked key was
/// refused: only then does the refusal say something about the leaked key.
async fn control(base: &Client) -> Result<(), String> {
    match base.acting_as(None).my_scopes().await {
        Ok(_) => Ok(()),
        Err(e) if e.refused_by_sendgrid() => Err(
            "refused, but so is the key sgkeys uses: a server refusing everything looks the same"
                .into(),
        ),
        Err(e) => Err(format!(
            "refused, but the key sgkeys uses could not be checked ({})",
            e.short()
        )),
    }
}

/// Why an answer tells nothing about a key, in plain words.
fn why_unclear(e: &ApiError) -> String {
    match (e.not_from_sendgrid(), e.status(), e.body()) {
        (true, Some(s), Some(b)) => format!("HTTP {s} not from SendGrid: {b}"),
        _ => e.short(),
    }
}

/// Ask every key itself, through the fetch engine within `pace`. A refusal counts as
/// [`Probe::Dead`] only in SendGrid's JSON shape and only when the key sgkeys uses (`base`'s)
/// still authenticates right after.
pub async fn probe_all(
    base: &Client,
    keys: &[&Secret],
    pace: Pace,
    progress: crate::fetch::Progress<'_>,
) -> Vec<Probe> {
    let answers = ask(base, keys, pace, progress).await;
    let refused = answers
        .iter()
        .any(|a| matches!(a, Some(Err(e)) if e.refused_by_sendgrid()));
    let control = if refused {
        Some(control(base).await)
    } else {
        None
    };
    answers
        .into_iter()
        .map(|a| match a {
            None => Probe::NotChecked,
            Some(Ok(scopes)) => Probe::Live(scopes),
            Some(Err(e)) if e.refused_by_sendgrid() => match &control {
                Some(Ok(())) => Probe::Dead,
                Some(Err(why)) => Probe::Unknown(why.clone()),
                None => {
                    Probe::Unknown("refused, and not checked against the key sgkeys uses".into())
                }
            },
            Some(Err(e)) => Probe::Unknown(why_unclear(&e)),
        })
        .collect()
}

/// [`probe_all`] for one key.
pub async fn probe(base: &Client, key: &Secret) -> Probe {
    let pace = Pace {
        concurrency: 1,
        deadline: None,
    };
    probe_all(base, &[key], pace, &crate::fetch::quiet)
        .await
        .pop()
        .unwrap_or(Probe::NotChecked)
}

/// How proving a revoked key dead went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    /// SendGrid refused the key (a 401 in its own shape, the key sgkeys uses still accepted).
    pub dead: bool,
    /// From the start of the wait to the refusal, or to the last answer.
    pub after: Duration,
    /// Questions answered.
    pub attempts: u32,
    /// Not dead, and the last answer did not show it authenticating either: why (no answer, a
    /// gateway's page, a refusal that could not be checked). `None` with `dead: false`: it
    /// still authenticated at the last answer.
    pub unclear: Option<String>,
    /// Dead by SendGrid's refusal, but the key sgkeys uses was revoked in the same run, so no
    /// check could tell a server refusing everything apart.
    pub unchecked: bool,
}

impl Verification {
    /// It authenticated at the last answer.
    pub fn still_works(&self) -> bool {
        !self.dead && self.unclear.is_none()
    }

    /// "confirmed dead after 2.4 s", "STILL AUTHENTICATES after 60.0 s", "NOT PROVEN DEAD
    /// after 60.0 s: why".
    pub fn describe(&self) -> String {
        match (&self.unclear, self.dead) {
            (_, true) if self.unchecked => format!(
                "refused after {} (unchecked: the key sgkeys uses was revoked too)",
                seconds(self.after)
            ),
            (_, true) => format!("confirmed dead after {}", seconds(self.after)),
            (None, false) => format!("STILL AUTHENTICATES after {}", seconds(self.after)),
            (Some(why), false) => format!("NOT PROVEN DEAD after {}: {why}", seconds(self.after)),
        }
    }
}

/// After a revoke, ask every key itself (`GET /v3/scopes`) until SendGrid refuses it, all keys
/// in each round (through the fetch engine, `concurrency` at once), with backoff between rounds
/// (100 ms growing to 2 s), for `timeout`: the last round is sent early enough for its answers
/// to come in time (twice the slowest round so far before the end). SendGrid documents that authentication with a deleted key fails "after
/// some small propagation delay". A refusal counts as in [`probe_all`]; when the key sgkeys
/// uses is among `keys` (revoked in the same run), its refusal of the check is expected and
/// the refusals count, marked [`Verification::unchecked`]. `on_round(round, elapsed, works,
/// unclear)` is told after every round that left keys unproven: how many still authenticated,
/// how many gave no telling answer.
pub async fn verify_all(
    base: &Client,
    keys: &[&Secret],
    timeout: Duration,
    concurrency: usize,
    on_round: &(dyn Fn(u32, Duration, usize, usize) + Sync),
) -> Vec<Verification> {
    let own = base.caller_key_id();
    let own_revoked = own.is_some() && keys.iter().any(|k| k.key_id() == own);
    let started = Instant::now();
    let deadline = started + timeout;
    let mut out = vec![Verification::default(); keys.len()];
    let mut open: Vec<usize> = (0..keys.len()).collect();
    let mut wait = Duration::from_millis(100);
    let mut slowest = Duration::ZERO;
    let mut round = 0;
    while !open.is_empty() {
        round += 1;
        let asked: Vec<&Secret> = open.iter().map(|&i| keys[i]).collect();
        let sent = Instant::now();
        let pace = Pace {
            concurrency,
            deadline: Some(deadline),
        };
        let answers = ask(base, &asked, pace, &crate::fetch::quiet).await;
        let refused = answers
            .iter()
            .any(|a| matches!(a, Some(Err(e)) if e.refused_by_sendgrid()));
        let check = if refused {
            Some(control(base).await)
        } else {
            None
        };
        slowest = slowest.max(sent.elapsed());
        let at = started.elapsed();
        let mut still = Vec::new();
        for (&i, a) in open.iter().zip(answers) {
            let v = &mut out[i];
            let Some(a) = a else {
                still.push(i);
                continue;
            };
            v.attempts += 1;
            v.after = at;
            match a {
                Ok(_) => v.unclear = None,
                Err(e) if e.refused_by_sendgrid() => match &check {
                    Some(Ok(())) => v.dead = true,
                    Some(Err(_)) if own_revoked => {
                        v.dead = true;
                        v.unchecked = true;
                    }
                    Some(Err(why)) => v.unclear = Some(why.clone()),
                    None => {}
                },
                Err(e) => v.unclear = Some(why_unclear(&e)),
            }
            if v.dead {
                v.unclear = None;
            } else {
                still.push(i);
            }
        }
        open = still;
        let left = deadline.saturating_duration_since(Instant::now());
        if open.is_empty() || left.is_zero() {
            break;
        }
        let works = open.iter().filter(|&&i| out[i].still_works()).count();
        on_round(round, started.elapsed(), works, open.len() - works);
        let margin = (slowest * 2).max(Duration::from_millis(50));
        tokio::time::sleep(wait.min(left.saturating_sub(margin))).await;
        wait = (wait * 3 / 2).min(Duration::from_secs(2));
    }
    for &i in &open {
        if out[i].attempts == 0 {
            out[i].after = started.elapsed();
            out[i].unclear = Some(format!("no answer within the {} allowed", seconds(timeout)));
        }
    }
    out
}

/// [`verify_all`] for one key; `on_attempt(n, elapsed)` after each unproven round.
pub async fn verify_dead(
    base: &Client,
    key: &Secret,
    timeout: Duration,
    on_attempt: &(dyn Fn(u32, Duration) + Sync),
) -> Verification {
    verify_all(base, &[key], timeout, 1, &|n, t, _, _| on_attempt(n, t))
        .await
        .pop()
        .unwrap_or_default()
}

/// A human duration: "2.4 s", "850 ms".
pub fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_says_what_was_seen() {
        let v = Verification {
            after: Duration::from_millis(2400),
            dead: true,
            ..Default::default()
        };
        assert_eq!(v.describe(), "confirmed dead after 2.4 s");
        let v = Verification {
            after: Duration::from_secs(3),
            ..Default::default()
        };
        assert!(v.still_works());
        assert_eq!(v.describe(), "STILL AUTHENTICATES after 3.0 s");
        let v = Verification {
            after: Duration::from_secs(3),
            unclear: Some("HTTP 502".into()),
            ..Default::default()
        };
        assert!(!v.still_works());
        assert_eq!(v.describe(), "NOT PROVEN DEAD after 3.0 s: HTTP 502");
    }
}
