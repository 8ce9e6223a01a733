//! The audit: assessment, its text formats, and what changed between two.

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
