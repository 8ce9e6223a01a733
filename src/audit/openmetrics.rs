//! `audit --format openmetrics`: the audit as gauges for Prometheus (node_exporter's textfile
//! collector), in the OpenMetrics text format: `# HELP` and `# TYPE` before each family, every
//! family's samples together, `# EOF` last. Only gauges and plain samples (no `# UNIT`, no
//! timestamps), so the classic Prometheus text parser reads the same file: it takes `# EOF` for
//! a comment.
//!
//! The figures are read off the audit's own model ([`Audit`]); nothing is counted twice.
//! A context that could not be read in full (`error` set) gets `sgkeys_audit_complete 0` and
//! its keys read vs listed, and **no** count that the missing keys could change (keys by type,
//! Full Access keys, findings): absent, never understated. Facts about single keys that were
//! read (`sgkeys_full_access_key`) and the headroom (from the list, when the list was read)
//! stay.
//!
//! Label values: server text goes through [`crate::text::clean`] (controls, bidi and
//! zero-width characters become `�`), then `\`, `"` and line feeds are escaped as the
//! exposition formats require. The key's own account is `context=""`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Audit, AuditKey, ContextSummary};
use crate::risk::Severity;
use crate::scopes::KeyType;

/// SendGrid's limit of API keys per account (and per subuser).
pub const KEY_LIMIT: usize = 100;

/// The metric families, in the order they are written: (name, help).
pub const FAMILIES: &[(&str, &str)] = &[
    (
        "sgkeys_audit_timestamp_seconds",
        "When the audit ran, in seconds since the Unix epoch.",
    ),
    (
        "sgkeys_audit_complete",
        "1 when every key of the context was read, 0 when some could not be (its counts are then left out).",
    ),
    (
        "sgkeys_audit_keys_listed",
        "Keys the context's key list named (absent when the list could not be read).",
    ),
    (
        "sgkeys_audit_keys_read",
        "Keys of the context read in full, name and scopes.",
    ),
    (
        "sgkeys_key_limit",
        "SendGrid's limit of API keys per account.",
    ),
    (
        "sgkeys_key_headroom",
        "Keys that can still be created before the limit: the limit minus the keys listed.",
    ),
    (
        "sgkeys_keys",
        "Keys by type: full, custom, billing, or unknown when the server did not say their scopes (complete contexts only).",
    ),
    (
        "sgkeys_full_access_keys",
        "Full Access keys (complete contexts only).",
    ),
    (
        "sgkeys_full_access_key",
        "1 for each Full Access key read, by id and name.",
    ),
    (
        "sgkeys_findings",
        "Risk findings by severity and code, keys' and the account's (complete contexts only).",
    ),
];

/// A label value for the exposition formats: cleaned, then `\`, `"` and line feeds escaped.
pub fn label_value(s: &str) -> String {
    let s = crate::text::clean(s);
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The `context` label of a context: the on-behalf-of value, `""` for the key's own account.
pub fn context_label(c: &Option<String>) -> &str {
    c.as_deref().unwrap_or("")
}

/// The name of a key type in `sgkeys_keys{type=…}`.
fn type_label(k: &AuditKey) -> &'static str {
    if !k.scopes_known {
        return "unknown";
    }
    match k.report.key_type {
        KeyType::Full => "full",
        KeyType::Custom => "custom",
        KeyType::Billing => "billing",
    }
}

/// One family's samples: (labels as `name="value"` pairs, already escaped, and the value).
type Samples = Vec<(Vec<(&'static str, String)>, u64)>;

/// The audit in the OpenMetrics text format.
pub fn render(a: &Audit) -> String {
    let mut families: BTreeMap<&'static str, Samples> = BTreeMap::new();
    let mut add = |name: &'static str, labels: Vec<(&'static str, String)>, value: u64| {
        families.entry(name).or_default().push((labels, value));
    };
    if let Ok(t) = humantime::parse_rfc3339(&a.generated_at)
        && let Ok(d) = t.duration_since(std::time::UNIX_EPOCH)
    {
        add("sgkeys_audit_timestamp_seconds", vec![], d.as_secs());
    }
    // One set of series per context label, even if a context were named twice.
    let mut seen = std::collections::BTreeSet::new();
    for c in &a.contexts {
        let label = context_label(&c.context);
        if !seen.insert(label) {
            continue;
        }
        context_series(a, c, &mut add);
    }
    let mut o = String::with_capacity(4096 + a.keys.len() * 96);
    for (name, help) in FAMILIES {
        let Some(samples) = families.get(name) else {
            continue;
        };
        let _ = writeln!(o, "# HELP {name} {help}");
        let _ = writeln!(o, "# TYPE {name} gauge");
        for (labels, value) in samples {
            o.push_str(name);
            if !labels.is_empty() {
                let pairs: Vec<String> =
                    labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
                let _ = write!(o, "{{{}}}", pairs.join(","));
            }
            let _ = writeln!(o, " {value}");
        }
    }
    o.push_str("# EOF\n");
    o
}

/// The series of one context.
fn context_series(
    a: &Audit,
    c: &ContextSummary,
    add: &mut impl FnMut(&'static str, Vec<(&'static str, String)>, u64),
) {
    let ctx = label_value(context_label(&c.context));
    let l = || vec![("context", ctx.clone())];
    let complete = c.error.is_none();
    add("sgkeys_audit_complete", l(), u64::from(complete));
    if let Some(listed) = c.listed {
        add("sgkeys_audit_keys_listed", l(), listed as u64);
        add("sgkeys_key_limit", l(), KEY_LIMIT as u64);
        add(
            "sgkeys_key_headroom",
            l(),
            KEY_LIMIT.saturating_sub(listed) as u64,
        );
    }
    add("sgkeys_audit_keys_read", l(), c.keys as u64);
    let keys: Vec<&AuditKey> = a.keys.iter().filter(|k| k.context == c.context).collect();
    for k in keys
        .iter()
        .filter(|k| k.scopes_known && k.report.key_type == KeyType::Full)
    {
        add(
            "sgkeys_full_access_key",
            vec![
                ("context", ctx.clone()),
                ("api_key_id", label_value(&k.report.api_key_id)),
                ("name", label_value(&k.report.name)),
            ],
            1,
        );
    }
    if !complete {
        return;
    }
    for t in ["full", "custom", "billing", "unknown"] {
        let n = keys.iter().filter(|k| type_label(k) == t).count();
        add(
            "sgkeys_keys",
            vec![("context", ctx.clone()), ("type", t.to_owned())],
            n as u64,
        );
    }
    let full = keys.iter().filter(|k| type_label(k) == "full").count();
    add("sgkeys_full_access_keys", l(), full as u64);
    // most severe first, then by code
    let mut findings: BTreeMap<(std::cmp::Reverse<Severity>, &'static str), u64> = BTreeMap::new();
    for f in keys.iter().flat_map(|k| &k.findings).chain(&c.findings) {
        *findings
            .entry((std::cmp::Reverse(f.severity), f.code))
            .or_default() += 1;
    }
    for ((severity, code), n) in findings {
        add(
            "sgkeys_findings",
            vec![
                ("context", ctx.clone()),
                ("severity", severity.0.label().to_owned()),
                ("code", code.to_owned()),
            ],
            n,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::fixture::{audit_of, d};

    #[test]
    fn label_values_are_cleaned_and_escaped() {
        assert_eq!(label_value(r#"a"b\c"#), r#"a\"b\\c"#);
        // controls (a line feed too) and bidi overrides never reach the file raw
        assert_eq!(
            label_value("x\ny\u{202e}\u{1b}"),
            "x\u{fffd}y\u{fffd}\u{fffd}"
        );
    }

    #[test]
    fn an_incomplete_context_has_no_counts_it_cannot_back() {
        let full: Vec<&str> = crate::scopes::full_access_scopes().into_iter().collect();
        let mut audit = audit_of(&[
            (None, &[d("a", "ci", &["mail.send"]), d("b", "root", &full)]),
            (Some("sub"), &[d("c", "x", &full)]),
        ]);
        audit.contexts[1].listed = Some(3);
        audit.contexts[1].error = Some("key q: timed out".into());
        let text = render(&audit);
        assert!(text.ends_with("# EOF\n"));
        assert!(
            text.contains("sgkeys_audit_timestamp_seconds 1795305600\n"),
            "{text}"
        );
        assert!(text.contains("sgkeys_audit_complete{context=\"sub\"} 0\n"));
        assert!(text.contains("sgkeys_audit_keys_read{context=\"sub\"} 1\n"));
        assert!(text.contains("sgkeys_audit_keys_listed{context=\"sub\"} 3\n"));
        assert!(text.contains("sgkeys_key_headroom{context=\"sub\"} 97\n"));
        assert!(text.contains("sgkeys_keys{context=\"\",type=\"full\"} 1\n"));
        assert!(text.contains("sgkeys_full_access_keys{context=\"\"} 1\n"));
        // the key read is a fact; the counts of the incomplete context are not there
        assert!(
            text.contains(
                "sgkeys_full_access_key{context=\"sub\",api_key_id=\"c\",name=\"x\"} 1\n"
            )
        );
        assert!(!text.contains("sgkeys_keys{context=\"sub\""));
        assert!(!text.contains("sgkeys_full_access_keys{context=\"sub\""));
        assert!(!text.contains("sgkeys_findings{context=\"sub\""));
    }
}
