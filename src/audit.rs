//! Headless audit: every key of one or more contexts with its scopes (fetched concurrently,
//! rate-limit aware), type and findings; reports in table, JSON, CSV, Markdown and HTML
//! ([`html`]); and the difference between two audits (`--since`), since SendGrid keeps no audit
//! log or timestamps.

pub mod html;
pub mod openmetrics;

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

/// Plain-text table.
pub fn to_table(a: &Audit, with_context: bool) -> String {
    let mut rows = Vec::new();
    for k in &a.keys {
        let mut row = Vec::new();
        if with_context {
            row.push(ctx_label(&k.context).to_owned());
        }
        row.push(k.report.api_key_id.clone());
        row.push(k.report.name.clone());
        row.push(k.type_label().to_owned());
        row.push(k.scope_count());
        row.push(k.risk_label().to_owned());
        let mut codes: Vec<&str> = k.findings.iter().map(|f| f.code).collect();
        if k.unread.is_some() {
            codes.insert(0, "NOT READ");
        }
        row.push(if codes.len() > 3 {
            format!("{}, +{}", codes[..3].join(", "), codes.len() - 3)
        } else {
            codes.join(", ")
        });
        rows.push(row);
    }
    let mut headers = vec![];
    if with_context {
        headers.push("CONTEXT");
    }
    headers.extend(["ID", "NAME", "TYPE", "SCOPES", "RISK", "FINDINGS"]);
    let mut out = crate::output::table(&headers, &rows);
    out.push_str(&summary_line(a));
    out.push('\n');
    for c in &a.contexts {
        for f in &c.findings {
            out.push_str(&format!(
                "{}: {} ({})\n",
                ctx_label(&c.context),
                f.message,
                f.severity.label()
            ));
        }
        if let (None, Some(e)) = (c.listed, &c.error) {
            out.push_str(&format!(
                "INCOMPLETE {}: its keys could not be listed: {e}\n",
                ctx_label(&c.context)
            ));
        }
    }
    for k in a.keys.iter().filter(|k| k.unread.is_some()) {
        out.push_str(&format!(
            "NOT READ {}{} ({}): {}\n",
            if with_context {
                format!("{} ", ctx_label(&k.context))
            } else {
                String::new()
            },
            k.report.api_key_id,
            k.report.name,
            k.unread.as_deref().unwrap_or_default()
        ));
    }
    out
}

/// The audit's counts in one line, each saying what it counts: with keys not read, the types
/// and risks are counted among those read, and the rest named as unknown (never "0 high"
/// about keys nobody read).
pub fn summary_line(a: &Audit) -> String {
    let total = a.keys.len();
    let unread = a.count_unread();
    let unsaid = a.count_unsaid();
    let known = total - a.count_unknown();
    let counted = format!(
        "{} Full, {} Custom, {} Billing; risk{}: {} high, {} medium, {} low",
        a.count_type(KeyType::Full),
        a.count_type(KeyType::Custom),
        a.count_type(KeyType::Billing),
        match (known < total, unsaid) {
            (false, _) => String::new(),
            (true, 0) => format!(" among the {known} read"),
            (true, _) => format!(" among the {known} whose scopes are known"),
        },
        a.count_risk(Severity::High),
        a.count_risk(Severity::Medium),
        a.count_risk(Severity::Low),
    );
    let mut line = if unread > 0 {
        format!(
            "{} of {total} keys read: {counted}; {unread} could not be read (type and risk \
             unknown)",
            total - unread,
        )
    } else {
        format!("{}: {counted}", crate::text::plural(total, "key", "keys"))
    };
    if unsaid > 0 {
        line.push_str(&format!(
            "; {unsaid} with scopes unknown (the server did not say them: check them in \
             SendGrid's App)"
        ));
    }
    let unlisted = a.contexts.iter().filter(|c| c.listed.is_none()).count();
    if unlisted > 0 {
        line.push_str(&format!(
            "; {} could not be listed: {} not counted",
            crate::text::plural(unlisted, "context", "contexts"),
            if unlisted == 1 {
                "its keys are"
            } else {
                "their keys are"
            }
        ));
    }
    line
}

/// CSV: one row per key.
pub fn to_csv(a: &Audit) -> String {
    use crate::output::{csv_row, csv_text};
    let mut out = csv_row(&[
        "context",
        "api_key_id",
        "name",
        "type",
        "scope_count",
        "risk",
        "findings",
        "scopes",
    ]);
    for k in &a.keys {
        out.push_str(&csv_row(&[
            csv_text(k.context.as_deref().unwrap_or("")),
            k.report.api_key_id.clone(),
            csv_text(&k.report.name),
            k.type_label().to_lowercase(),
            if k.scopes_known {
                k.report.scopes.len().to_string()
            } else {
                String::new()
            },
            k.risk_label().to_owned(),
            k.findings
                .iter()
                .map(|f| f.code)
                .collect::<Vec<_>>()
                .join(" "),
            k.report.scopes.join(" "),
        ]));
    }
    out
}

/// Markdown report for humans (e.g. attached to a ticket).
pub fn to_markdown(a: &Audit) -> String {
    use crate::output::{md_code, md_text};
    let mut o = String::new();
    o.push_str("# SendGrid API key audit\n\n");
    o.push_str(&format!(
        "- Generated: {}\n- Endpoint: {}\n",
        md_text(&a.generated_at),
        md_text(&a.base_url)
    ));
    for c in &a.contexts {
        match (c.listed, c.unread) {
            (None, _) => o.push_str(&format!(
                "- Context **{}**: **incomplete**: its keys could not be listed: {}",
                md_text(ctx_label(&c.context)),
                md_text(c.error.as_deref().unwrap_or_default())
            )),
            (Some(_), 0) => o.push_str(&format!(
                "- Context **{}**: {}",
                md_text(ctx_label(&c.context)),
                crate::text::plural(c.keys, "key", "keys")
            )),
            (Some(_), n) => o.push_str(&format!(
                "- Context **{}**: {} of {} keys read — **incomplete**: {n} could not be read",
                md_text(ctx_label(&c.context)),
                c.keys,
                c.keys + n
            )),
        }
        o.push('\n');
    }
    o.push_str(&format!("\n**{}**\n\n", md_text(&summary_line(a))));
    let with_context = a.contexts.len() > 1;
    let account: Vec<&Finding> = a.contexts.iter().flat_map(|c| c.findings.iter()).collect();
    if !account.is_empty() {
        o.push_str("## Account findings\n\n");
        for c in &a.contexts {
            for f in &c.findings {
                o.push_str(&format!(
                    "- **{}** {}: {}\n",
                    f.severity.label(),
                    md_text(ctx_label(&c.context)),
                    md_text(&f.message)
                ));
            }
        }
        o.push('\n');
    }
    o.push_str("## Keys by risk\n\n");
    let mut keys: Vec<&AuditKey> = a.keys.iter().collect();
    keys.sort_by(|x, y| {
        y.risk.cmp(&x.risk).then_with(|| {
            x.report
                .name
                .to_lowercase()
                .cmp(&y.report.name.to_lowercase())
        })
    });
    if with_context {
        o.push_str("| Context | Name | ID | Type | Scopes | Risk | Findings |\n|---|---|---|---|---|---|---|\n");
    } else {
        o.push_str("| Name | ID | Type | Scopes | Risk | Findings |\n|---|---|---|---|---|---|\n");
    }
    for k in &keys {
        let findings = k
            .findings
            .iter()
            .map(|f| f.code)
            .collect::<Vec<_>>()
            .join(", ");
        let ctx = if with_context {
            format!("| {} ", md_text(ctx_label(&k.context)))
        } else {
            String::new()
        };
        o.push_str(&format!(
            "{ctx}| {} | {} | {} | {} | {} | {} |\n",
            md_text(&k.report.name),
            md_code(&k.report.api_key_id),
            if k.scopes_known {
                k.report.key_type.label()
            } else {
                "unknown"
            },
            k.scope_count(),
            k.risk_label(),
            findings
        ));
    }
    let risky: Vec<&&AuditKey> = keys
        .iter()
        .filter(|k| !k.findings.is_empty() || k.unread.is_some())
        .collect();
    if !risky.is_empty() {
        o.push_str("\n## Findings\n\n");
        for k in risky {
            o.push_str(&format!(
                "### {} ({})\n\n",
                md_text(&k.report.name),
                md_code(&k.report.api_key_id)
            ));
            if with_context {
                o.push_str(&format!("Context: {}\n\n", md_text(ctx_label(&k.context))));
            }
            if let Some(why) = k.unknown_why() {
                o.push_str(&format!("- Scopes unknown: {}\n", md_text(&why)));
            }
            for f in &k.findings {
                o.push_str(&format!(
                    "- **{}** — {}\n",
                    f.severity.label(),
                    md_text(&f.message)
                ));
            }
            let access: Vec<String> = scopes::categories()
                .iter()
                .filter_map(|c| {
                    k.report
                        .categories
                        .get(c.id)
                        .map(|l| format!("{}: {}", c.label, l.short()))
                })
                .collect();
            if !access.is_empty() && k.report.key_type != KeyType::Full {
                o.push_str(&format!("- Access: {}\n", md_text(&access.join(", "))));
            }
            o.push('\n');
        }
    }
    o
}

/// What changed between two audits.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Changes {
    pub old_generated_at: Option<String>,
    pub added: Vec<KeyRef>,
    pub removed: Vec<KeyRef>,
    pub renamed: Vec<Renamed>,
    pub scopes_changed: Vec<ScopeChange>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.renamed.is_empty()
            && self.scopes_changed.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyRef {
    pub context: Option<String>,
    pub api_key_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub key_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Renamed {
    pub context: Option<String>,
    pub api_key_id: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeChange {
    pub context: Option<String>,
    pub api_key_id: String,
    pub name: String,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_to: Option<String>,
}

/// The part of an earlier `audit --format json` that `--since` needs. Lenient: unknown fields
/// are ignored, so older and newer reports compare.
#[derive(Debug, Deserialize)]
pub struct OldAudit {
    #[serde(default)]
    pub generated_at: Option<String>,
    pub keys: Vec<OldKey>,
}

#[derive(Debug, Deserialize)]
pub struct OldKey {
    #[serde(default)]
    pub context: Option<String>,
    pub api_key_id: String,
    pub name: String,
    #[serde(default, rename = "type")]
    pub key_type: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// Parse an earlier audit JSON with a message that says what is wrong.
pub fn parse_old(text: &str) -> Result<OldAudit, String> {
    serde_json::from_str(text).map_err(|e| {
        format!("not an `sgkeys audit --format json` report ({e}); create one with `sgkeys audit --format json --out FILE`")
    })
}

/// Compare an earlier audit with the current one.
pub fn changes(old: &OldAudit, new: &Audit) -> Changes {
    type K = (Option<String>, String);
    let old_map: BTreeMap<K, &OldKey> = old
        .keys
        .iter()
        .map(|k| ((k.context.clone(), k.api_key_id.clone()), k))
        .collect();
    let new_map: BTreeMap<K, &AuditKey> = new
        .keys
        .iter()
        .map(|k| ((k.context.clone(), k.report.api_key_id.clone()), k))
        .collect();
    // contexts that could not be read now must not look like mass removals
    let unreadable: BTreeSet<Option<String>> = new
        .contexts
        .iter()
        .filter(|c| c.error.is_some())
        .map(|c| c.context.clone())
        .collect();
    let mut c = Changes {
        old_generated_at: old.generated_at.clone(),
        ..Default::default()
    };
    for (k, n) in &new_map {
        match old_map.get(k) {
            None => c.added.push(KeyRef {
                context: k.0.clone(),
                api_key_id: k.1.clone(),
                name: n.report.name.clone(),
                key_type: n.report.key_type.badge().to_lowercase(),
            }),
            Some(o) => {
                if o.name != n.report.name {
                    c.renamed.push(Renamed {
                        context: k.0.clone(),
                        api_key_id: k.1.clone(),
                        from: o.name.clone(),
                        to: n.report.name.clone(),
                    });
                }
                let before: BTreeSet<String> = scopes::sendable(&o.scopes).into_iter().collect();
                let after: BTreeSet<String> = n.report.scopes.iter().cloned().collect();
                // scopes not read now (or not said) are not "all removed"
                if n.scopes_known && before != after {
                    let type_now = n.report.key_type.badge().to_lowercase();
                    let type_then = o.key_type.clone().unwrap_or_else(|| {
                        scopes::classify(&o.scopes).key_type.badge().to_lowercase()
                    });
                    let (type_from, type_to) = if type_then != type_now {
                        (Some(type_then), Some(type_now))
                    } else {
                        (None, None)
                    };
                    c.scopes_changed.push(ScopeChange {
                        context: k.0.clone(),
                        api_key_id: k.1.clone(),
                        name: n.report.name.clone(),
                        added: after.difference(&before).cloned().collect(),
                        removed: before.difference(&after).cloned().collect(),
                        type_from,
                        type_to,
                    });
                }
            }
        }
    }
    for (k, o) in &old_map {
        if !new_map.contains_key(k) && !unreadable.contains(&k.0) {
            c.removed.push(KeyRef {
                context: k.0.clone(),
                api_key_id: k.1.clone(),
                name: o.name.clone(),
                key_type: o.key_type.clone().unwrap_or_default(),
            });
        }
    }
    c
}

/// Human rendering of [`Changes`].
pub fn changes_text(c: &Changes) -> String {
    let mut o = String::new();
    let since = c
        .old_generated_at
        .as_deref()
        .unwrap_or("the earlier report");
    if c.is_empty() {
        return format!("No changes since {since}.\n");
    }
    o.push_str(&format!("Changes since {since}:\n"));
    let ctx = |c: &Option<String>| c.as_deref().map(|s| format!(" [{s}]")).unwrap_or_default();
    for k in &c.added {
        o.push_str(&format!(
            "  + added    {}  {} ({}){}\n",
            k.api_key_id,
            k.name,
            k.key_type,
            ctx(&k.context)
        ));
    }
    for k in &c.removed {
        o.push_str(&format!(
            "  - removed  {}  {}{}\n",
            k.api_key_id,
            k.name,
            ctx(&k.context)
        ));
    }
    for r in &c.renamed {
        o.push_str(&format!(
            "  ~ renamed  {}  '{}' → '{}'{}\n",
            r.api_key_id,
            r.from,
            r.to,
            ctx(&r.context)
        ));
    }
    for s in &c.scopes_changed {
        let t = match (&s.type_from, &s.type_to) {
            (Some(a), Some(b)) => format!(", type {a} → {b}"),
            _ => String::new(),
        };
        o.push_str(&format!(
            "  ~ scopes   {}  {}: +{} −{}{t}{}\n",
            s.api_key_id,
            s.name,
            s.added.len(),
            s.removed.len(),
            ctx(&s.context)
        ));
        for a in &s.added {
            o.push_str(&format!("        + {a}\n"));
        }
        for r in &s.removed {
            o.push_str(&format!("        - {r}\n"));
        }
    }
    o
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
mod tests {
    use super::fixture::d;
    use super::*;

    fn audit(keys: Vec<AuditKey>) -> Audit {
        Audit {
            generated_at: "2026-11-22T00:00:00Z".into(),
            base_url: "http://sim".into(),
            contexts: vec![ContextSummary {
                context: None,
                keys: keys.len(),
                listed: Some(keys.len()),
                unread: 0,
                findings: vec![],
                error: None,
            }],
            keys,
        }
    }

    #[test]
    fn assess_flags_duplicates_per_context() {
        let keys = assess_context(
            None,
            &[
                d("a", "ci", &["mail.send"]),
                d("b", "CI", &["mail.send"]),
                d("c", "x", &["api_keys.create"]),
            ],
        );
        assert!(keys[0].findings.iter().any(|f| f.code == "duplicate_name"));
        assert_eq!(keys[2].risk, Some(Severity::High));
    }

    #[test]
    fn changes_between_audits() {
        let old = parse_old(
            r#"{"generated_at":"T0","keys":[
                {"api_key_id":"a","name":"ci","type":"custom","scopes":["mail.send","2fa_required"]},
                {"api_key_id":"b","name":"old name","scopes":["stats.read"]},
                {"api_key_id":"gone","name":"bye","scopes":[]}]}"#,
        )
        .unwrap();
        let new = audit(assess_context(
            None,
            &[
                d("a", "ci", &["mail.send", "2fa_required"]),
                d("b", "new name", &["stats.read", "alerts.read"]),
                d("n", "fresh", &["mail.send"]),
            ],
        ));
        let c = changes(&old, &new);
        assert_eq!(
            c.added
                .iter()
                .map(|k| k.api_key_id.as_str())
                .collect::<Vec<_>>(),
            vec!["n"]
        );
        assert_eq!(
            c.removed
                .iter()
                .map(|k| k.api_key_id.as_str())
                .collect::<Vec<_>>(),
            vec!["gone"]
        );
        assert_eq!(c.renamed[0].to, "new name");
        assert_eq!(c.scopes_changed[0].added, vec!["alerts.read"]);
        assert!(changes_text(&c).contains("+ added    n"));
        assert_eq!(
            changes(&old, &audit(assess_context(None, &[])))
                .removed
                .len(),
            3
        );
        // an unreadable context is not a mass removal
        let mut broken = audit(vec![]);
        broken.contexts[0].error = Some("500".into());
        assert!(changes(&old, &broken).removed.is_empty());
        assert!(
            parse_old("[1]")
                .unwrap_err()
                .contains("audit --format json")
        );
    }

    fn unread(id: &str, name: &str) -> Listed {
        Listed::Unread {
            key: ApiKey {
                api_key_id: ApiKeyId(id.into()),
                name: name.into(),
            },
            error: "no answer within 10s (timeout; raise it with --timeout)".into(),
        }
    }

    /// An audit of one context whose list named `read` keys read and `unread` keys not read.
    fn partial(read: &[KeyDetail], not_read: &[(&str, &str)]) -> Audit {
        let mut items: Vec<Listed> = read.iter().cloned().map(Listed::Read).collect();
        items.extend(not_read.iter().map(|(i, n)| unread(i, n)));
        let keys = assess_listed(None, &items);
        let n = keys.len();
        Audit {
            generated_at: "2026-11-22T00:00:00Z".into(),
            base_url: "http://sim".into(),
            contexts: vec![ContextSummary {
                context: None,
                keys: n - not_read.len(),
                listed: Some(n),
                unread: not_read.len(),
                findings: risk::limit_finding(n).into_iter().collect(),
                error: (!not_read.is_empty())
                    .then(|| format!("{} of {n} keys could not be read", not_read.len())),
            }],
            keys,
        }
    }

    fn many(n: usize, scopes: &[&str]) -> Vec<KeyDetail> {
        (0..n)
            .map(|i| d(&format!("k{i}"), &format!("key {i}"), scopes))
            .collect()
    }

    #[test]
    fn the_key_limit_is_counted_from_the_list_not_from_the_keys_read() {
        // Before: 95 read of 100 listed said "95/100 keys: close to SendGrid's limit".
        let unread: Vec<(String, String)> = (0..5)
            .map(|i| (format!("u{i}"), format!("u {i}")))
            .collect();
        let pairs: Vec<(&str, &str)> = unread
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let a = partial(&many(95, &["mail.send"]), &pairs);
        let f = &a.contexts[0].findings;
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].message, "100/100 keys: no new key can be created");
        // 85 read and 5 not: 90 keys exist, close to the limit (85 alone would say nothing)
        let a = partial(&many(85, &["mail.send"]), &pairs);
        assert_eq!(
            a.contexts[0].findings[0].message,
            "90/100 keys: close to SendGrid's limit"
        );
        let t = to_table(&a, false);
        assert!(
            t.contains("85 of 90 keys read: 0 Full, 85 Custom, 0 Billing; risk among the 85 read: 0 high, 0 medium, 0 low; 5 could not be read (type and risk unknown)"),
            "{t}"
        );
        assert!(!a.complete());
    }

    #[test]
    fn a_key_not_read_has_no_type_no_scope_count_and_no_scope_findings() {
        let a = partial(&[d("a", "ci", &["mail.send"])], &[("b", "billing export")]);
        let b = &a.keys[1];
        assert!(!b.scopes_known && b.unread.is_some());
        assert_eq!(
            (b.type_label(), b.scope_count().as_str(), b.risk_label()),
            ("unknown", "?", "unknown")
        );
        // no scope finding is claimed about it, not even "holds no scopes"
        assert!(b.findings.is_empty(), "{:?}", b.findings);
        assert_eq!(
            a.count_type(KeyType::Custom),
            1,
            "the unread key is no Custom key"
        );
        assert_eq!(a.count_unread(), 1);
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["keys"][1]["type"], "unknown");
        assert_eq!(json["keys"][1]["risk"], "unknown");
        assert!(
            json["keys"][1]["error"]
                .as_str()
                .unwrap()
                .contains("no answer")
        );
        assert!(json["keys"][0].get("error").is_none());
        assert_eq!(json["contexts"][0]["unread"], 1);
        let csv = to_csv(&a);
        assert!(csv.contains("b,billing export,unknown,,unknown,"), "{csv}");
        let t = to_table(&a, false);
        assert!(
            t.contains("NOT READ b (billing export): no answer within 10s"),
            "{t}"
        );
        let md = to_markdown(&a);
        assert!(
            md.contains("1 of 2 keys read — **incomplete**: 1 could not be read"),
            "{md}"
        );
        assert!(
            md.contains("| billing export | `b` | unknown | ? | unknown |"),
            "{md}"
        );
        assert!(
            md.contains("Scopes unknown: could not be read: no answer"),
            "{md}"
        );
    }

    #[test]
    fn what_the_listed_name_says_is_still_assessed() {
        // name findings and duplicates come from the list: they hold for a key not read
        let a = partial(
            &[d("a", "ci deploy", &["mail.send"])],
            &[("b", "CI deploy"), ("c", "prod key (LEAKED)")],
        );
        assert!(
            a.keys[0]
                .findings
                .iter()
                .any(|f| f.code == "duplicate_name")
        );
        assert!(
            a.keys[1]
                .findings
                .iter()
                .any(|f| f.code == "duplicate_name" && f.message.starts_with("2 keys share"))
        );
        let leaked = &a.keys[2];
        assert!(
            leaked
                .findings
                .iter()
                .any(|f| f.code == "suspicious_name" && f.severity == Severity::High)
        );
        assert_eq!(
            leaked.risk_label(),
            "unknown",
            "the name is known, the access is not"
        );
        // scope-based findings only for keys read
        let a = partial(
            &[d("f", "admin", &["api_keys.create", "api_keys.read"])],
            &[("g", "other")],
        );
        assert!(a.keys[0].findings.iter().any(|f| f.code == "mints_keys"));
        assert_eq!(a.count_risk(Severity::High), 1);
        assert!(to_table(&a, false).contains("risk among the 1 read: 1 high"));
    }

    #[test]
    fn a_key_not_read_is_neither_removed_nor_stripped_of_its_scopes_since_an_earlier_audit() {
        let old = parse_old(
            r#"{"generated_at":"T0","keys":[
                {"api_key_id":"a","name":"ci","scopes":["mail.send"]},
                {"api_key_id":"b","name":"export","scopes":["stats.read"]}]}"#,
        )
        .unwrap();
        let new = partial(&[d("a", "ci", &["mail.send"])], &[("b", "export")]);
        let c = changes(&old, &new);
        assert!(c.is_empty(), "{c:?}");
    }

    #[test]
    fn a_context_whose_list_failed_claims_nothing() {
        let mut a = partial(&[], &[]);
        a.contexts[0].error = Some("503 server error".into());
        a.contexts[0].listed = None;
        a.contexts[0].findings.clear();
        let t = to_table(&a, false);
        assert!(
            t.contains("1 context could not be listed: its keys are not counted"),
            "{t}"
        );
        assert!(
            t.contains("INCOMPLETE (account): its keys could not be listed"),
            "{t}"
        );
        assert!(!a.complete());
    }

    #[test]
    fn reports_render_every_format() {
        let a = audit(assess_context(
            None,
            &[
                d("a", "ci | prod", &["mail.send"]),
                d("b", "=cmd", &["api_keys.create"]),
            ],
        ));
        assert!(to_table(&a, false).contains("2 keys: 0 Full, 2 Custom"));
        let md = to_markdown(&a);
        assert!(md.contains("| ci \\| prod |") && md.contains("## Findings"));
        let csv = to_csv(&a);
        assert!(csv.contains(",'=cmd,"), "{csv}");
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["keys"][0]["api_key_id"], "a");
        assert_eq!(json["keys"][1]["risk"], "high");
    }
}
