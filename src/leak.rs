//! A leaked key, from any input to confirmed dead: find SendGrid keys in what a person pastes or
//! a scanner reports, ask each key itself what it can do (a harmless `GET /v3/scopes` with the
//! leaked key), find which reachable account holds it, and after the revoke prove it dead by
//! asking again until SendGrid refuses it (401).
//!
//! Never keeps a secret longer than needed and never prints one: a [`Sighting`] holds the key as
//! a [`Secret`].

use std::time::{Duration, Instant};

use crate::api::{ApiError, ApiKeyId, Client, KeyDetail, OnBehalfOf, Subuser};
use crate::secret::Secret;

/// Where a key was found (a scanner's report gives file, line and commit).
#[derive(Debug, Clone)]
pub struct Sighting {
    pub key: Secret,
    pub file: Option<String>,
    pub line: Option<u64>,
    pub commit: Option<String>,
    /// How many times the same key was found.
    pub count: usize,
}

impl Sighting {
    /// `file:line @commit`, as far as known.
    pub fn place(&self) -> String {
        let mut s = self.file.clone().unwrap_or_default();
        if let Some(l) = self.line {
            s.push_str(&format!(":{l}"));
        }
        if let Some(c) = &self.commit
            && !c.is_empty()
        {
            let short: String = c.chars().take(10).collect();
            s.push_str(&format!(" @{short}"));
        }
        if s.is_empty() { "-".into() } else { s }
    }
}

/// Every SendGrid-shaped key (`SG.` + 22 + `.` + 43) in `text`, in order, without repeats.
pub fn keys_in(text: &str) -> Vec<Secret> {
    let mut out: Vec<Secret> = Vec::new();
    let bytes = text.as_bytes();
    let key_char = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let mut i = 0;
    while let Some(pos) = text[i..].find("SG.") {
        let start = i + pos;
        let end = start + crate::secret::KEY_LEN;
        i = start + 3;
        if end > bytes.len() || (start > 0 && key_char(bytes[start - 1])) {
            continue;
        }
        if end < bytes.len() && key_char(bytes[end]) {
            continue;
        }
        if let Ok(k) = Secret::parse(&text[start..end])
            && !out.iter().any(|o| o.expose() == k.expose())
        {
            out.push(k);
        }
    }
    out
}

/// The keys in a scanner's report: a gitleaks JSON report (an array of findings with `Secret`,
/// `Match`, `File`, `StartLine`, `Commit`), trufflehog JSON lines (`Raw`/`RawV2` and
/// `SourceMetadata.Data.<source>.{file,line,commit}`; its log lines are skipped), or any other
/// text (every SendGrid-shaped key, with its line number). One sighting per distinct key.
pub fn sightings(report: &str) -> Vec<Sighting> {
    let mut found: Vec<Sighting> = Vec::new();
    fn add(
        found: &mut Vec<Sighting>,
        key: Secret,
        file: Option<String>,
        line: Option<u64>,
        commit: Option<String>,
    ) {
        match found.iter_mut().find(|s| s.key.expose() == key.expose()) {
            Some(s) => s.count += 1,
            None => found.push(Sighting {
                key,
                file,
                line,
                commit,
                count: 1,
            }),
        }
    }
    let str_of =
        |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    // gitleaks: one JSON array
    if let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(report) {
        for it in &items {
            let text = ["Secret", "Match", "Line"]
                .iter()
                .filter_map(|k| str_of(it, k))
                .collect::<Vec<_>>()
                .join("\n");
            for key in keys_in(&text) {
                add(
                    &mut found,
                    key,
                    str_of(it, "File"),
                    it.get("StartLine").and_then(serde_json::Value::as_u64),
                    str_of(it, "Commit"),
                );
            }
        }
        return found;
    }
    // trufflehog: JSON lines
    let mut json_lines = 0;
    for line in report.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line.trim()) else {
            continue;
        };
        json_lines += 1;
        let text = ["Raw", "RawV2", "Redacted"]
            .iter()
            .filter_map(|k| str_of(&v, k))
            .collect::<Vec<_>>()
            .join("\n");
        let meta = v
            .pointer("/SourceMetadata/Data")
            .and_then(|d| d.as_object())
            .and_then(|d| d.values().next())
            .cloned()
            .unwrap_or_default();
        for key in keys_in(&text) {
            add(
                &mut found,
                key,
                str_of(&meta, "file").or_else(|| str_of(&meta, "link")),
                meta.get("line").and_then(serde_json::Value::as_u64),
                str_of(&meta, "commit"),
            );
        }
    }
    if json_lines > 0 && !found.is_empty() {
        return found;
    }
    // any text
    for (n, line) in report.lines().enumerate() {
        for key in keys_in(line) {
            add(&mut found, key, None, Some(n as u64 + 1), None);
        }
    }
    found
}

/// What the key itself says (`GET /v3/scopes` with the leaked key).
#[derive(Debug)]
pub enum Probe {
    /// 401: it does not authenticate (already revoked, or not a whole key).
    Dead,
    /// It authenticates and holds these scopes: the blast radius.
    Live(Vec<String>),
    /// No clear answer (network, 5xx, …).
    Unknown(ApiError),
}

/// Ask the leaked key itself.
pub async fn probe(base: &Client, key: &Secret) -> Probe {
    match base.with_key(key.clone()).my_scopes().await {
        Ok(s) => Probe::Live(s),
        Err(ApiError::Unauthorized(_)) => Probe::Dead,
        Err(e) => Probe::Unknown(e),
    }
}

/// The reachable contexts: the caller's own account, then every subuser (on its region's host).
/// Listing subusers needs `subusers.read`; without it only the own account is searched, and the
/// reason is returned.
pub async fn contexts(client: &Client) -> (Vec<Client>, Option<String>) {
    let mut out = vec![client.clone()];
    if client.on_behalf_of().is_some() {
        return (out, None);
    }
    match client.list_subusers().await {
        Ok(subs) => {
            out.extend(subs.into_iter().filter(|s| !s.disabled).map(|s: Subuser| {
                client
                    .acting_as(Some(OnBehalfOf::Subuser(s.username)))
                    .in_region(s.region)
            }));
            (out, None)
        }
        Err(e) => (out, Some(format!("subusers not searched: {}", e.short()))),
    }
}

/// Find the key with `id` in any of `contexts` (all asked at once): its context and detail.
/// A context that could not answer is reported (a key there cannot be ruled out).
pub async fn locate(
    contexts: &[Client],
    id: &ApiKeyId,
) -> (Option<(Client, KeyDetail)>, Vec<String>) {
    locate_many(contexts, std::slice::from_ref(id))
        .await
        .pop()
        .unwrap_or((None, Vec::new()))
}

/// [`locate`] for several keys: every lookup (keys × contexts) in one run of the fetch engine,
/// in the waves the rate-limit budget allows. One answer per id, in order.
pub async fn locate_many(contexts: &[Client], ids: &[ApiKeyId]) -> Vec<Located> {
    let jobs: Vec<(Client, ApiKeyId)> = ids
        .iter()
        .flat_map(|id| contexts.iter().map(move |c| (c.clone(), id.clone())))
        .collect();
    let mut answers = crate::fetch::details(&jobs, &crate::fetch::quiet)
        .await
        .into_iter();
    let mut out = Vec::with_capacity(ids.len());
    for _ in ids {
        let mut found = None;
        let mut unsure = Vec::new();
        for (c, a) in contexts.iter().zip(answers.by_ref()) {
            match a {
                Ok(d) if found.is_none() => found = Some((c.clone(), d)),
                Ok(_) | Err(ApiError::NotFound(_)) => {}
                Err(e) => unsure.push(format!(
                    "{}: {}",
                    c.on_behalf_of()
                        .map_or_else(|| "own account".to_owned(), OnBehalfOf::header_value),
                    e.short()
                )),
            }
        }
        out.push((found, unsure));
    }
    out
}

/// Where a key was found (its context and detail), and the contexts that could not answer.
pub type Located = (Option<(Client, KeyDetail)>, Vec<String>);

/// How proving a revoked key dead went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// SendGrid refused the key (401).
    pub dead: bool,
    /// From the start of the wait to the first refusal (or to giving up).
    pub after: Duration,
    pub attempts: u32,
}

/// After a revoke, ask the key itself (`GET /v3/scopes`) until SendGrid refuses it, with backoff
/// (100 ms growing to 2 s), for at most `timeout`. SendGrid documents that authentication with a
/// deleted key fails "after some small propagation delay". `on_attempt(n, elapsed)` is told of
/// every attempt (for a progress line).
pub async fn verify_dead(
    base: &Client,
    key: &Secret,
    timeout: Duration,
    on_attempt: &(dyn Fn(u32, Duration) + Sync),
) -> Verification {
    let leaked = base.with_key(key.clone());
    let started = Instant::now();
    let mut wait = Duration::from_millis(100);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let answer = tokio::time::timeout(
            timeout
                .saturating_sub(started.elapsed())
                .max(Duration::from_millis(1)),
            leaked.my_scopes(),
        )
        .await;
        if let Ok(Err(ApiError::Unauthorized(_))) = answer {
            return Verification {
                dead: true,
                after: started.elapsed(),
                attempts,
            };
        }
        on_attempt(attempts, started.elapsed());
        if started.elapsed() + wait >= timeout {
            return Verification {
                dead: false,
                after: started.elapsed(),
                attempts,
            };
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 3 / 2).min(Duration::from_secs(2));
    }
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

    fn key(c: char) -> String {
        format!("SG.{}.{}", c.to_string().repeat(22), "x".repeat(43))
    }

    #[test]
    fn finds_keys_in_text_once_each() {
        let a = key('a');
        let text = format!(
            "token={a}, again \"{a}\" and SG.short.one and x{}",
            key('b')
        );
        let found = keys_in(&text);
        assert_eq!(found.len(), 1, "the glued one is not a key");
        assert_eq!(found[0].expose(), a);
    }

    #[test]
    fn reads_gitleaks_and_trufflehog_reports() {
        let (a, b) = (key('a'), key('b'));
        let gitleaks = format!(
            r#"[{{"Description":"SendGrid API token","StartLine":12,"File":"deploy/.env","Commit":"0123456789abcdef","Secret":"{a}","Match":"SENDGRID_API_KEY={a}","RuleID":"sendgrid-api-token"}},
                {{"StartLine":3,"File":"a.py","Commit":"","Secret":"{a}","Match":"{a}","RuleID":"sendgrid-api-token"}}]"#
        );
        let s = sightings(&gitleaks);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].count, 2);
        assert_eq!(s[0].place(), "deploy/.env:12 @0123456789");
        let truffle = format!(
            "{{\"level\":\"info-0\",\"msg\":\"running source\"}}\n\
             {{\"SourceMetadata\":{{\"Data\":{{\"Git\":{{\"commit\":\"feedbeef\",\"file\":\"cfg/app.yml\",\"line\":7}}}}}},\"DetectorName\":\"SendGrid\",\"Verified\":true,\"Raw\":\"{b}\"}}\n\
             {{\"SourceMetadata\":{{\"Data\":{{\"Filesystem\":{{\"file\":\"/srv/x.env\",\"line\":2}}}}}},\"DetectorName\":\"SendGrid\",\"Raw\":\"{a}\"}}\n"
        );
        let s = sightings(&truffle);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].place(), "cfg/app.yml:7 @feedbeef");
        assert_eq!(s[1].place(), "/srv/x.env:2");
        let text = format!("line one\nexport K={b}\n");
        let s = sightings(&text);
        assert_eq!(s[0].line, Some(2));
    }
}
