//! Headless audit: every key of one or more contexts with its scopes (fetched concurrently,
//! rate-limit aware), type and findings; reports in table, JSON, CSV, Markdown and HTML
//! ([`html`]); and the difference between two audits (`--since`), since SendGrid keeps no audit
//! log or timestamps.

pub mod html;
pub mod openmetrics;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::api::{ApiError, ApiKeyId, Client, KeyDetail, OnBehalfOf, Region};
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
}

/// The JSON of an [`AuditKey`]: `risk` is `"unknown"` when the scopes are.
#[derive(Serialize)]
struct AuditKeyJson {
    context: Option<String>,
    #[serde(flatten)]
    report: KeyReport,
    findings: Vec<Finding>,
    risk: Option<&'static str>,
    scopes_known: bool,
}

impl From<AuditKey> for AuditKeyJson {
    fn from(k: AuditKey) -> Self {
        let risk = match (k.scopes_known, k.risk) {
            (false, _) => Some("unknown"),
            (true, r) => r.map(Severity::label),
        };
        AuditKeyJson {
            context: k.context,
            report: k.report,
            findings: k.findings,
            risk,
            scopes_known: k.scopes_known,
        }
    }
}

/// One context (account or subuser) in an audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContextSummary {
    pub context: Option<String>,
    /// Keys read in full (name and scopes): the keys of this context in the audit.
    pub keys: usize,
    /// Keys the context's list named; None when the list itself could not be read. More than
    /// `keys` when some could not be read (see `error`) or were revoked in between.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listed: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// The context could not be read (the audit is incomplete).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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
    pub fn complete(&self) -> bool {
        self.contexts.iter().all(|c| c.error.is_none())
    }
    pub fn count_type(&self, t: KeyType) -> usize {
        self.keys.iter().filter(|k| k.report.key_type == t).count()
    }
    /// Keys whose most severe finding is `s` (keys with unknown scopes are not counted).
    pub fn count_risk(&self, s: Severity) -> usize {
        self.keys
            .iter()
            .filter(|k| k.scopes_known && k.risk == Some(s))
            .count()
    }
    /// Keys whose scopes the server did not say.
    pub fn count_unknown(&self) -> usize {
        self.keys.iter().filter(|k| !k.scopes_known).count()
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
    let answers = crate::fetch::run(
        &list_clients,
        |_, cl| async move { cl.list_keys(None).await },
        &crate::fetch::quiet,
    )
    .await;
    let lists = list_clients.into_iter().zip(answers);
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
                    findings: Vec::new(),
                    error: None,
                });
                for k in list {
                    jobs.push((ctx.clone(), cl.clone(), k.api_key_id));
                }
            }
            Err(e) => summaries.push(ContextSummary {
                context: ctx.clone(),
                keys: 0,
                listed: None,
                findings: Vec::new(),
                error: Some(e.to_string()),
            }),
        }
    }
    let asks: Vec<(Client, ApiKeyId)> = jobs
        .iter()
        .map(|(_, cl, id)| (cl.clone(), id.clone()))
        .collect();
    let details = crate::fetch::details(&asks, progress).await;
    let mut by_ctx: BTreeMap<Option<String>, Vec<KeyDetail>> = BTreeMap::new();
    for ((ctx, _, id), r) in jobs.into_iter().zip(details) {
        match r {
            Ok(d) => by_ctx.entry(ctx).or_default().push(d),
            // revoked between list and get: not part of the account any more
            Err(ApiError::NotFound(_)) => {}
            Err(e) => {
                if let Some(s) = summaries.iter_mut().find(|s| s.context == ctx) {
                    let msg = format!("key {id}: {e}");
                    s.error = Some(match s.error.take() {
                        Some(prev) => format!("{prev}; {msg}"),
                        None => msg,
                    });
                }
            }
        }
    }
    for summary in &mut summaries {
        let details = by_ctx.remove(&summary.context).unwrap_or_default();
        summary.keys = details.len();
        summary.findings.extend(risk::limit_finding(details.len()));
        keys.extend(assess_context(summary.context.clone(), &details));
    }
    Audit {
        generated_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        base_url: client.base_url().to_owned(),
        contexts: summaries,
        keys,
    }
}

/// Classify and assess the keys of one context (duplicate names are per context).
pub fn assess_context(context: Option<String>, details: &[KeyDetail]) -> Vec<AuditKey> {
    let dups = risk::duplicate_names(
        details
            .iter()
            .map(|d| (d.api_key_id.as_str(), d.name.as_str())),
    );
    details
        .iter()
        .map(|d| {
            let class = scopes::classify(&d.scopes);
            let scopes_known = !d.scopes.is_empty();
            let mut r = risk::assess(&d.name, scopes_known.then_some((&d.scopes[..], &class)));
            if let Some(n) = dups.get(d.api_key_id.as_str()) {
                r.findings.push(risk::duplicate_finding(*n));
            }
            let max = r.max();
            AuditKey {
                context: context.clone(),
                report: KeyReport::new(d),
                findings: r.findings,
                risk: max,
                scopes_known,
            }
        })
        .collect()
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
        row.push(k.report.key_type.badge().to_owned());
        row.push(k.report.scopes.len().to_string());
        row.push(k.risk_label().to_owned());
        let codes: Vec<&str> = k.findings.iter().map(|f| f.code).collect();
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
        if let Some(e) = &c.error {
            out.push_str(&format!("INCOMPLETE {}: {e}\n", ctx_label(&c.context)));
        }
    }
    out
}

fn summary_line(a: &Audit) -> String {
    let unknown = a.count_unknown();
    format!(
        "{} keys: {} Full, {} Custom, {} Billing; risk: {} high, {} medium, {} low{}",
        a.keys.len(),
        a.count_type(KeyType::Full),
        a.count_type(KeyType::Custom),
        a.count_type(KeyType::Billing),
        a.count_risk(Severity::High),
        a.count_risk(Severity::Medium),
        a.count_risk(Severity::Low),
        if unknown > 0 {
            format!(
                ", {unknown} unknown (the server did not say their scopes: check them in \
                 SendGrid's App)"
            )
        } else {
            String::new()
        }
    )
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
            k.report.key_type.badge().to_lowercase(),
            k.report.scopes.len().to_string(),
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
        o.push_str(&format!(
            "- Context **{}**: {} keys",
            md_text(ctx_label(&c.context)),
            c.keys
        ));
        if let Some(e) = &c.error {
            o.push_str(&format!(" — **incomplete**: {}", md_text(e)));
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
            k.report.key_type.label(),
            k.report.scopes.len(),
            k.risk_label(),
            findings
        ));
    }
    let risky: Vec<&&AuditKey> = keys.iter().filter(|k| !k.findings.is_empty()).collect();
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
                if before != after {
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
