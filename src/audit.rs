//! Headless audit: every key of one or more contexts with its scopes (fetched concurrently,
//! rate-limit aware), type and findings; reports in table, JSON, CSV, Markdown and HTML
//! ([`html`]); and the difference between two audits (`--since`), since SendGrid keeps no audit
//! log or timestamps.

mod changes;
mod formats;
pub mod html;
pub mod openmetrics;

pub use changes::*;
pub use formats::*;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::api::{ApiError, ApiKey, ApiKeyId, Client, KeyDetail, OnBehalfOf, Region};
use crate::report::KeyReport;
use crate::risk::{self, Finding, Severity};
use crate::scopes::{self, KeyType};

/// One key in an audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(into = "AuditKeyJson")]
pub struct AuditKey {
    /// Subuser name, or None for the key's own account.
    pub context: Option<String>,
    pub report: KeyReport,
    pub findings: Vec<Finding>,
    /// Most severe finding (of the name alone when the scopes are unknown).
    pub risk: Option<Severity>,
    /// The server said which scopes the key holds. A GET answer without any (Prism serving
    /// the official spec, whose GET-one schema has none; SendGrid itself always lists at least
    /// the auto-assigned ones) leaves the key's access unknown: its risk is "unknown", never
    /// low.
    pub scopes_known: bool,
    /// Why the key's scopes could not be read (it was listed, but its GET failed): its type
    /// and risk are unknown; only what its name says is assessed. None: read.
    pub unread: Option<String>,
}

impl AuditKey {
    /// "high", "medium", "low", "none", or "unknown" when the scopes are.
    pub fn risk_label(&self) -> &'static str {
        if self.scopes_known {
            sev_label(self.risk)
        } else {
            "unknown"
        }
    }

    /// "Full", "Custom", "Billing", or "unknown" when the scopes are.
    pub fn type_label(&self) -> &'static str {
        if self.scopes_known {
            self.report.key_type.badge()
        } else {
            "unknown"
        }
    }

    /// The number of scopes, or "?" when they are unknown.
    pub fn scope_count(&self) -> String {
        if self.scopes_known {
            self.report.scopes.len().to_string()
        } else {
            "?".into()
        }
    }

    /// Why the scopes are unknown, for a person (None when they are known).
    pub fn unknown_why(&self) -> Option<String> {
        match (&self.unread, self.scopes_known) {
            (Some(e), _) => Some(format!("could not be read: {e}")),
            (None, false) => Some("the server's answer carried no scopes".into()),
            (None, true) => None,
        }
    }
}

/// The JSON of an [`AuditKey`]: `risk` and `type` are `"unknown"` when the scopes are;
/// `error` says why a listed key could not be read.
#[derive(Serialize)]
struct AuditKeyJson {
    context: Option<String>,
    #[serde(flatten)]
    report: serde_json::Value,
    findings: Vec<Finding>,
    risk: Option<&'static str>,
    scopes_known: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl From<AuditKey> for AuditKeyJson {
    fn from(k: AuditKey) -> Self {
        let risk = match (k.scopes_known, k.risk) {
            (false, _) => Some("unknown"),
            (true, r) => r.map(Severity::label),
        };
        let mut report = serde_json::to_value(&k.report).unwrap_or_default();
        if !k.scopes_known
            && let Some(map) = report.as_object_mut()
        {
            map.insert("type".into(), "unknown".into());
        }
        AuditKeyJson {
            context: k.context,
            report,
            findings: k.findings,
            risk,
            scopes_known: k.scopes_known,
            error: k.unread,
        }
    }
}

/// One context (account or subuser) in an audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContextSummary {
    pub context: Option<String>,
    /// Keys read in full (name and scopes): the keys of this context in the audit whose
    /// scopes were read.
    pub keys: usize,
    /// Keys the context's list named; None when the list itself could not be read. More than
    /// `keys` when some could not be read (`unread`) or were revoked in between.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listed: Option<usize>,
    /// Listed keys that could not be read: in the audit by their listed name, their type and
    /// risk unknown (`error` then says how many).
    #[serde(skip_serializing_if = "is_zero")]
    pub unread: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// The context's key list could not be read (the audit is incomplete).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A whole audit: the stable `audit --format json` shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Audit {
    pub generated_at: String,
    pub base_url: String,
    pub contexts: Vec<ContextSummary>,
    pub keys: Vec<AuditKey>,
}

impl Audit {
    /// Every context's list and every listed key were read.
    pub fn complete(&self) -> bool {
        self.contexts.iter().all(|c| c.error.is_none()) && self.count_unread() == 0
    }
    /// Keys of type `t` (keys whose scopes are unknown have no type, and are not counted).
    pub fn count_type(&self, t: KeyType) -> usize {
        self.keys
            .iter()
            .filter(|k| k.scopes_known && k.report.key_type == t)
            .count()
    }
    /// Listed keys whose scopes could not be read.
    pub fn count_unread(&self) -> usize {
        self.keys.iter().filter(|k| k.unread.is_some()).count()
    }
    /// Keys whose most severe finding is `s` (keys with unknown scopes are not counted).
    pub fn count_risk(&self, s: Severity) -> usize {
        self.keys
            .iter()
            .filter(|k| k.scopes_known && k.risk == Some(s))
            .count()
    }
    /// Keys whose scopes are unknown: not read, or not said by the server.
    pub fn count_unknown(&self) -> usize {
        self.keys.iter().filter(|k| !k.scopes_known).count()
    }
    /// Keys read whose answer carried no scopes (Prism serving the spec).
    pub fn count_unsaid(&self) -> usize {
        self.keys
            .iter()
            .filter(|k| !k.scopes_known && k.unread.is_none())
            .count()
    }
}

/// Progress callback: (done, total).
pub use crate::fetch::Progress;

/// Audit the client's context, and with `subusers` each of the given subusers.
/// Subusers are given with their regions: an EU subuser is audited on SendGrid's EU host.
pub async fn collect(
    client: &Client,
    subusers: &[(String, Option<Region>)],
    progress: Progress<'_>,
) -> Audit {
    collect_in(
        client,
        subusers,
        progress,
        &crate::resume::Sweep::unrecorded(),
    )
    .await
}

/// [`collect`] as part of `sweep`: what the inventory already answered is taken from it, and
/// every answer is recorded the moment it arrives.
pub async fn collect_in(
    client: &Client,
    subusers: &[(String, Option<Region>)],
    progress: Progress<'_>,
    sweep: &crate::resume::Sweep,
) -> Audit {
    let (contexts, lists) = list_contexts(client, subusers, sweep).await;
    let lists = lists.into_iter();
    let mut summaries = Vec::new();
    let mut keys = Vec::new();
    let mut jobs = Vec::new();
    for (ctx, (cl, list)) in contexts.iter().zip(lists) {
        match list {
            Ok(list) => {
                summaries.push(ContextSummary {
                    context: ctx.clone(),
                    keys: list.len(),
                    listed: Some(list.len()),
                    unread: 0,
                    findings: Vec::new(),
                    error: None,
                });
                for k in list {
                    jobs.push((ctx.clone(), cl.clone(), k));
                }
            }
            Err(e) => summaries.push(ContextSummary {
                context: ctx.clone(),
                keys: 0,
                listed: None,
                unread: 0,
                findings: Vec::new(),
                error: Some(e.to_string()),
            }),
        }
    }
    let asks: Vec<(Client, Option<String>, ApiKeyId)> = jobs
        .iter()
        .map(|(ctx, cl, k)| {
            (
                cl.clone(),
                crate::resume::header_of(ctx.as_deref()),
                k.api_key_id.clone(),
            )
        })
        .collect();
    let details = crate::resume::details(sweep, &asks, progress).await;
    let mut by_ctx: BTreeMap<Option<String>, Vec<Listed>> = BTreeMap::new();
    for ((ctx, _, key), r) in jobs.into_iter().zip(details) {
        let item = match r {
            Ok(d) => Listed::Read(d),
            // revoked between list and get: not part of the account any more
            Err(e) if e.gone_by_sendgrid() => continue,
            Err(e) => Listed::Unread {
                key,
                error: e.to_string(),
            },
        };
        by_ctx.entry(ctx).or_default().push(item);
    }
    for summary in &mut summaries {
        let items = by_ctx.remove(&summary.context).unwrap_or_default();
        summary.unread = items
            .iter()
            .filter(|i| matches!(i, Listed::Unread { .. }))
            .count();
        summary.keys = items.len() - summary.unread;
        if summary.unread > 0 {
            summary.error = Some(format!(
                "{} of {} keys could not be read",
                summary.unread,
                items.len()
            ));
        }
        // The count of keys comes from the list, read or not: backed whatever the GETs said.
        // A context whose list failed makes no claim at all.
        if summary.listed.is_some() {
            summary.findings.extend(risk::limit_finding(items.len()));
        }
        keys.extend(assess_listed(summary.context.clone(), &items));
    }
    Audit {
        generated_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        base_url: client.base_url().to_owned(),
        contexts: summaries,
        keys,
    }
}

/// What a streamed audit ([`stream`]) saw besides the keys it handed out.
#[derive(Debug, Default)]
pub struct Streamed {
    /// Each context: keys read, listed, not read, findings, why its list failed.
    pub contexts: Vec<ContextSummary>,
}

impl Streamed {
    /// Every context's list and every listed key were read.
    pub fn complete(&self) -> bool {
        self.contexts
            .iter()
            .all(|c| c.error.is_none() && c.unread == 0)
    }
}

/// [`collect_in`] without holding the report: each key is assessed and handed to `emit` the
/// moment its answer arrives (what the inventory answers first), so memory holds the contexts'
/// lists (ids and names) and no key's scopes or findings after it is handed out. A listed key
/// that could not be read is handed out last, its scopes unknown (as in the report). Returns
/// each context's summary.
pub async fn stream(
    client: &Client,
    subusers: &[(String, Option<Region>)],
    progress: Progress<'_>,
    sweep: &crate::resume::Sweep,
    emit: &(dyn Fn(AuditKey) + Sync),
) -> Streamed {
    let (contexts, lists) = list_contexts(client, subusers, sweep).await;
    let mut summaries = Vec::new();
    let mut jobs: Vec<(usize, Client, ApiKey)> = Vec::new();
    let mut dups: Vec<HashMap<String, usize>> = Vec::new();
    for (n, (ctx, (cl, list))) in contexts.iter().zip(lists).enumerate() {
        let (listed, error) = match list {
            Ok(list) => {
                dups.push(risk::duplicate_names(
                    list.iter()
                        .map(|k| (k.api_key_id.as_str(), k.name.as_str())),
                ));
                let listed = list.len();
                jobs.extend(list.into_iter().map(|k| (n, cl.clone(), k)));
                (Some(listed), None)
            }
            Err(e) => {
                dups.push(HashMap::new());
                (None, Some(e.to_string()))
            }
        };
        summaries.push(ContextSummary {
            context: ctx.clone(),
            keys: 0,
            listed,
            unread: 0,
            findings: Vec::new(),
            error,
        });
    }
    let headers: Vec<Option<String>> = contexts
        .iter()
        .map(|c| crate::resume::header_of(c.as_deref()))
        .collect();
    // each key handed out once (a hedged read's two copies may both answer)
    let handed: Vec<AtomicBool> = jobs.iter().map(|_| AtomicBool::new(false)).collect();
    let hand = |i: usize, item: Listed| {
        if !handed[i].swap(true, Ordering::Relaxed) {
            let n = jobs[i].0;
            let dup = dups[n].get(jobs[i].2.api_key_id.as_str()).copied();
            emit(assess_one(&contexts[n], &item, dup));
        }
    };
    let mut outcomes: Vec<Option<Result<(), ApiError>>> = jobs
        .iter()
        .enumerate()
        .map(|(i, (n, _, k))| {
            sweep
                .known_detail(&headers[*n], &k.api_key_id)
                .map(|r| r.map(|d| hand(i, Listed::Read(d))))
        })
        .collect();
    let ask: Vec<usize> = (0..jobs.len()).filter(|&i| outcomes[i].is_none()).collect();
    let clients: Vec<Client> = ask.iter().map(|&i| jobs[i].1.clone()).collect();
    let answers = crate::fetch::reads(
        &clients,
        |m, c| {
            let i = ask[m];
            let id = jobs[i].2.api_key_id.clone();
            let hand = &hand;
            async move {
                let answer = c.get_key(&id).await;
                sweep.read(&c, &id, &answer);
                answer.map(|d| hand(i, Listed::Read(d)))
            }
        },
        progress,
    )
    .await;
    for (i, a) in ask.into_iter().zip(answers) {
        outcomes[i] = Some(a);
    }
    let mut items = vec![0usize; contexts.len()];
    for (i, outcome) in outcomes.into_iter().enumerate() {
        let n = jobs[i].0;
        match outcome.unwrap_or(Err(ApiError::Cancelled)) {
            Ok(()) => summaries[n].keys += 1,
            // revoked between list and get: not part of the account any more
            Err(e) if e.gone_by_sendgrid() => continue,
            Err(e) => {
                summaries[n].unread += 1;
                let key = jobs[i].2.clone();
                hand(
                    i,
                    Listed::Unread {
                        key,
                        error: e.to_string(),
                    },
                );
            }
        }
        items[n] += 1;
    }
    for (s, n) in summaries.iter_mut().zip(items) {
        if s.unread > 0 {
            s.error = Some(format!("{} of {n} keys could not be read", s.unread));
        }
        if s.listed.is_some() {
            s.findings.extend(risk::limit_finding(n));
        }
    }
    Streamed {
        contexts: summaries,
    }
}

/// Each context's list (the client's own first, then each subuser on its region's host): taken
/// from `sweep` where the inventory answers, else asked through the fetch engine and recorded
/// as each arrives. With each context's client.
#[allow(clippy::type_complexity)]
async fn list_contexts(
    client: &Client,
    subusers: &[(String, Option<Region>)],
    sweep: &crate::resume::Sweep,
) -> (
    Vec<Option<String>>,
    Vec<(Client, Result<Vec<ApiKey>, ApiError>)>,
) {
    let mut contexts: Vec<Option<String>> =
        vec![client.on_behalf_of().map(OnBehalfOf::header_value)];
    let mut regions: Vec<Option<Region>> = vec![None];
    for (name, region) in subusers {
        contexts.push(Some(name.clone()));
        regions.push(*region);
    }
    // list every context first (so progress knows the total), then every detail: both through
    // the fetch engine, in the waves the shared budget allows
    let list_clients: Vec<Client> = contexts
        .iter()
        .zip(&regions)
        .map(|(c, region)| {
            client
                .acting_as(
                    c.as_deref()
                        .map(|s| OnBehalfOf::parse(s).unwrap_or(OnBehalfOf::Subuser(s.to_owned()))),
                )
                .in_region(*region)
        })
        .collect();
    let headers: Vec<Option<String>> = contexts
        .iter()
        .map(|c| crate::resume::header_of(c.as_deref()))
        .collect();
    let mut answers: Vec<Option<Result<Vec<ApiKey>, ApiError>>> = headers
        .iter()
        .map(|h| sweep.known_list(h).map(Ok))
        .collect();
    let ask: Vec<usize> = (0..answers.len())
        .filter(|&i| answers[i].is_none())
        .collect();
    let ask_clients: Vec<Client> = ask.iter().map(|&i| list_clients[i].clone()).collect();
    let asked = crate::fetch::run(
        &ask_clients,
        |_, cl| async move {
            let answer = cl.list_keys(None).await;
            sweep.listed(&cl, &answer);
            answer
        },
        &crate::fetch::quiet,
    )
    .await;
    for (i, a) in ask.into_iter().zip(asked) {
        answers[i] = Some(a);
    }
    let answers = answers
        .into_iter()
        .map(|a| a.unwrap_or(Err(ApiError::Cancelled)));
    (contexts, list_clients.into_iter().zip(answers).collect())
}

/// A key the list named: read (its detail), or not (why).
#[derive(Debug, Clone, PartialEq)]
pub enum Listed {
    Read(KeyDetail),
    Unread { key: ApiKey, error: String },
}

impl Listed {
    fn id_name(&self) -> (&str, &str) {
        match self {
            Listed::Read(d) => (d.api_key_id.as_str(), &d.name),
            Listed::Unread { key, .. } => (key.api_key_id.as_str(), &key.name),
        }
    }
}

/// Classify and assess the keys of one context (duplicate names are per context).
pub fn assess_context(context: Option<String>, details: &[KeyDetail]) -> Vec<AuditKey> {
    let items: Vec<Listed> = details.iter().cloned().map(Listed::Read).collect();
    assess_listed(context, &items)
}

/// Classify and assess the keys of one context as its list named them. A key that could not
/// be read keeps what its listed name tells (the name findings and duplicates, which the list
/// backs); its type, scopes and risk are unknown, never guessed.
pub fn assess_listed(context: Option<String>, items: &[Listed]) -> Vec<AuditKey> {
    let dups = risk::duplicate_names(items.iter().map(Listed::id_name));
    items
        .iter()
        .map(|item| assess_one(&context, item, dups.get(item.id_name().0).copied()))
        .collect()
}

/// One key as its context's list named it; `dup`: how many keys of the context share its name.
fn assess_one(context: &Option<String>, item: &Listed, dup: Option<usize>) -> AuditKey {
    let (detail, unread) = match item {
        Listed::Read(d) => (d.clone(), None),
        Listed::Unread { key, error } => (
            KeyDetail {
                api_key_id: key.api_key_id.clone(),
                name: key.name.clone(),
                scopes: Vec::new(),
            },
            Some(error.clone()),
        ),
    };
    let d = &detail;
    let class = scopes::classify(&d.scopes);
    let scopes_known = !d.scopes.is_empty();
    let mut r = risk::assess(&d.name, scopes_known.then_some((&d.scopes[..], &class)));
    if let Some(n) = dup {
        r.findings.push(risk::duplicate_finding(n));
    }
    let max = r.max();
    AuditKey {
        context: context.clone(),
        report: KeyReport::new(d),
        findings: r.findings,
        risk: max,
        scopes_known,
        unread,
    }
}

fn ctx_label(c: &Option<String>) -> &str {
    c.as_deref().unwrap_or("(account)")
}

fn sev_label(s: Option<Severity>) -> &'static str {
    s.map_or("none", Severity::label)
}

/// Look up a key's detail for the diff command: an id in the client's context.
pub async fn fetch(client: &Client, id: &str) -> Result<KeyDetail, ApiError> {
    client.get_key(&ApiKeyId(id.to_owned())).await
}

/// Audits for the unit tests of the audit's readers (reports, exports).
#[cfg(test)]
pub(crate) mod fixture {
    use super::*;

    /// A key as the API answers it.
    pub fn d(id: &str, name: &str, s: &[&str]) -> KeyDetail {
        KeyDetail {
            api_key_id: ApiKeyId(id.into()),
            name: name.into(),
            scopes: s.iter().map(|x| (*x).to_owned()).collect(),
        }
    }

    /// An audit of `contexts`, each with its keys, every key read.
    pub fn audit_of(contexts: &[(Option<&str>, &[KeyDetail])]) -> Audit {
        let mut summaries = Vec::new();
        let mut keys = Vec::new();
        for (c, details) in contexts {
            let c = c.map(str::to_owned);
            summaries.push(ContextSummary {
                context: c.clone(),
                keys: details.len(),
                listed: Some(details.len()),
                unread: 0,
                findings: vec![],
                error: None,
            });
            keys.extend(assess_context(c, details));
        }
        Audit {
            generated_at: "2026-11-22T00:00:00Z".into(),
            base_url: "http://sim".into(),
            contexts: summaries,
            keys,
        }
    }
}

#[cfg(test)]
mod tests;
