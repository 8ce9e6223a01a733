//! The audit as text: the plain table, the one-line summary, CSV and Markdown (HTML and
//! OpenMetrics have their own files).

use super::*;

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
