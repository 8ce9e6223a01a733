//! The risk model, shared by the dashboard, the CLI and reports: findings per key with a
//! severity and a plain explanation. Auto-assigned scopes never count.
//!
//! Key findings come from the scopes (once known) and the name; account findings (duplicate
//! names, the 100-key limit) need the whole list.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;

use crate::scopes::{self, Classification, KeyType, Level};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "low" | "l" => Ok(Severity::Low),
            "medium" | "med" | "m" => Ok(Severity::Medium),
            "high" | "h" => Ok(Severity::High),
            other => Err(format!(
                "unknown severity '{other}': use low, medium or high"
            )),
        }
    }
}

/// One finding about a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable machine code (`full_access`, `mints_keys`, …).
    pub code: &'static str,
    pub severity: Severity,
    /// Short plain explanation.
    pub message: Cow<'static, str>,
}

/// A key's findings, most severe first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Risk {
    pub findings: Vec<Finding>,
}

impl Risk {
    pub fn max(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
    /// Sort key: higher is riskier.
    pub fn score(&self) -> u32 {
        self.findings
            .iter()
            .map(|f| match f.severity {
                Severity::High => 100,
                Severity::Medium => 10,
                Severity::Low => 1,
            })
            .sum()
    }
    pub fn has(&self, code: &str) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
    fn push(
        &mut self,
        code: &'static str,
        severity: Severity,
        message: impl Into<Cow<'static, str>>,
    ) {
        self.findings.push(Finding {
            code,
            severity,
            message: message.into(),
        });
    }
    /// Most severe first; among equals, what the name says (a leak) first, as the most
    /// actionable; then by code, for a stable order.
    fn sort(&mut self) {
        let not_name =
            |f: &Finding| !matches!(f.code, "secret_in_name" | "suspicious_name" | "stale_name");
        self.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(not_name(a).cmp(&not_name(b)))
                .then(a.code.cmp(b.code))
        });
    }
}

/// Words in a key name that suggest it leaked, is disposable or is a test key
/// (`suspicious_name`), or is merely old (`stale_name`: a policy that denies leaked and test
/// names does not fire on "legacy"): (needle, whole word only, severity, code, explanation). Whole-word needles may carry digits
/// (`tmp2`, `test1`) but do not match inside other words (`contest`, `holdings`).
const SUSPICIOUS_NAME: &[(&str, bool, Severity, &str, &str)] = &[
    (
        "leak",
        false,
        Severity::High,
        "suspicious_name",
        "the name says it leaked: revoke it if it still works",
    ),
    (
        "compromis",
        false,
        Severity::High,
        "suspicious_name",
        "the name says it was compromised",
    ),
    (
        "expos",
        false,
        Severity::High,
        "suspicious_name",
        "the name says it was exposed",
    ),
    (
        "do not use",
        false,
        Severity::Medium,
        "suspicious_name",
        "the name says not to use it: is it still needed?",
    ),
    (
        "delete",
        false,
        Severity::Medium,
        "suspicious_name",
        "the name says to delete it",
    ),
    (
        "old",
        true,
        Severity::Low,
        "stale_name",
        "the name suggests an old key: is it still needed?",
    ),
    (
        "legacy",
        true,
        Severity::Low,
        "stale_name",
        "the name suggests a legacy key: is it still needed?",
    ),
    (
        "test",
        true,
        Severity::Low,
        "suspicious_name",
        "looks like a test key",
    ),
    (
        "tmp",
        true,
        Severity::Low,
        "suspicious_name",
        "looks like a temporary key",
    ),
    (
        "temp",
        true,
        Severity::Low,
        "suspicious_name",
        "looks like a temporary key",
    ),
    (
        "debug",
        true,
        Severity::Low,
        "suspicious_name",
        "looks like a debugging key",
    ),
];

/// Findings from a key's name alone.
pub fn name_findings(name: &str) -> Vec<Finding> {
    let lower = name.to_lowercase();
    let mut out: Vec<Finding> = Vec::new();
    if crate::secret::looks_like_key(name) || lower.contains("sg.") && name.len() > 30 {
        out.push(Finding {
            code: "secret_in_name",
            severity: Severity::High,
            message: "the name looks like a key secret: it may have been pasted by mistake".into(),
        });
    }
    let spaced: String = lower
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let spaced = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    for (needle, whole_word, severity, code, message) in SUSPICIOUS_NAME {
        let hit = if *whole_word {
            spaced.split(' ').any(|w| {
                w.strip_prefix(needle)
                    .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
            })
        } else {
            spaced.contains(needle)
        };
        if hit && !out.iter().any(|f| f.code == *code) {
            out.push(Finding {
                code,
                severity: *severity,
                message: Cow::Borrowed(*message),
            });
        }
    }
    out
}

const ADMIN_WRITE: &[(&str, &str)] = &[
    (
        "teammates.",
        "controls teammates: can invite or change users of the account",
    ),
    (
        "access_settings.whitelist.",
        "controls the IP access allow-list (can lock out or open the account)",
    ),
];

/// Assess one key from its name and (when known) its scopes.
pub fn assess(name: &str, scopes_held: Option<(&[String], &Classification)>) -> Risk {
    let scope = scopes_held
        .map(|(held, class)| scope_findings(held, class))
        .unwrap_or_default();
    combine(&scope, name, None)
}

/// A key's findings from its scope findings, its name and (if shared) how many keys share it.
pub fn combine(scope: &[Finding], name: &str, duplicates: Option<usize>) -> Risk {
    let mut risk = Risk {
        findings: name_findings(name),
    };
    risk.findings.extend_from_slice(scope);
    if let Some(n) = duplicates {
        risk.findings.push(duplicate_finding(n));
    }
    risk.sort();
    risk
}

/// Findings that come from a key's scopes alone (auto-assigned scopes never count).
pub fn scope_findings<S: AsRef<str>>(held: &[S], class: &Classification) -> Vec<Finding> {
    let mut risk = Risk::default();
    // every question below is "is there one": a list answers them as a set would, without
    // ordering ~200 names first (the inventory's first frame asks this of 10 000 scope sets)
    let set: Vec<&str> = held
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| !scopes::is_auto_assigned(s))
        .collect();
    let has = |s: &str| set.contains(&s);
    let writes = |prefix: &str| {
        set.iter()
            .any(|s| s.starts_with(prefix) && !s.ends_with(".read"))
    };

    if class.key_type == KeyType::Full {
        risk.push(
            "full_access",
            Severity::High,
            "Full Access: every scope except billing",
        );
    }
    if has("api_keys.create") || has("api_keys.update") {
        risk.push(
            "mints_keys",
            Severity::High,
            "can create or widen API keys (a leak of this key yields any other key)",
        );
    } else if has("api_keys.delete") {
        risk.push(
            "revokes_keys",
            Severity::Medium,
            "can revoke other API keys (could break every integration)",
        );
    }
    for (prefix, msg) in ADMIN_WRITE {
        if writes(prefix) {
            let code = if prefix.starts_with("teammates") {
                "teammates"
            } else {
                "access_settings"
            };
            risk.push(code, Severity::High, *msg);
        }
    }
    let account_writes: Vec<&str> = set
        .iter()
        .copied()
        .filter(|s| {
            s.starts_with("user.")
                && !s.ends_with(".read")
                && !s.starts_with("user.webhooks.")
                && !s.starts_with("user.scheduled_sends.")
        })
        .collect();
    if !account_writes.is_empty() {
        let sev = if account_writes.iter().any(|s| {
            s.contains("password")
                || s.contains("multifactor")
                || s.starts_with("user.email.")
                || s.starts_with("user.username.")
        }) {
            Severity::High
        } else {
            Severity::Medium
        };
        risk.push(
            "account_settings",
            sev,
            "can change account settings (email, password, 2FA, profile)",
        );
    }
    if writes("subusers.") {
        risk.push(
            "subusers",
            Severity::Medium,
            "can create, change or delete subusers and their credits",
        );
    }
    if writes("credentials.") {
        risk.push(
            "credentials",
            Severity::Medium,
            "can manage SMTP credentials",
        );
    }
    if class.mixed_billing {
        risk.push(
            "mixed_billing",
            Severity::High,
            "holds billing scopes together with others (SendGrid forbids this)",
        );
    } else if set.iter().any(|s| scopes::is_billing(s)) {
        risk.push(
            "billing",
            Severity::Medium,
            "Billing Access: can see or change billing",
        );
    }
    if has("mail.send") && class.key_type != KeyType::Full {
        let read_categories = class
            .levels
            .iter()
            .filter(|l| l.level >= Level::Read && l.category.id != "mail")
            .count();
        if read_categories >= 10 {
            risk.push(
                "send_and_read_all",
                Severity::Medium,
                format!("sends mail and reads {read_categories} other categories: a leak gives a phisher everything"),
            );
        }
    }
    if !class.unknown.is_empty() {
        risk.push(
            "unknown_scopes",
            Severity::Low,
            format!("{} scopes outside the catalog", class.unknown.len()),
        );
    }
    if set.is_empty() {
        risk.push(
            "no_scopes",
            Severity::Low,
            "holds no scopes: it cannot do anything (unused?)",
        );
    }
    risk.findings
}

/// Findings that need the whole list: duplicate names, per key id.
pub fn duplicate_names<'a>(
    names: impl Iterator<Item = (&'a str, &'a str)>,
) -> HashMap<String, usize> {
    let mut by_name: HashMap<String, Vec<&str>> = HashMap::new();
    for (id, name) in names {
        by_name
            .entry(name.trim().to_lowercase())
            .or_default()
            .push(id);
    }
    let mut out = HashMap::new();
    for ids in by_name.values().filter(|v| v.len() > 1) {
        for id in ids {
            out.insert((*id).to_owned(), ids.len());
        }
    }
    out
}

/// The finding for a duplicated name.
pub fn duplicate_finding(count: usize) -> Finding {
    Finding {
        code: "duplicate_name",
        severity: Severity::Low,
        message: format!("{count} keys share this name: hard to tell apart when revoking").into(),
    }
}

/// Account-level finding about the 100-key limit, if close.
pub fn limit_finding(count: usize) -> Option<Finding> {
    const LIMIT: usize = 100;
    if count >= LIMIT {
        Some(Finding {
            code: "key_limit",
            severity: Severity::High,
            message: format!("{count}/{LIMIT} keys: no new key can be created").into(),
        })
    } else if count >= 90 {
        Some(Finding {
            code: "key_limit",
            severity: Severity::Medium,
            message: format!("{count}/{LIMIT} keys: close to SendGrid's limit").into(),
        })
    } else {
        None
    }
}

/// Add the account-wide duplicate-name finding to per-key risks, given (id, name, risk) rows.
pub fn add_duplicates(rows: &mut [(&str, &str, &mut Risk)]) {
    let dups = duplicate_names(rows.iter().map(|(id, name, _)| (*id, *name)));
    for (id, _, risk) in rows.iter_mut() {
        risk.findings.retain(|f| f.code != "duplicate_name");
        if let Some(n) = dups.get(*id) {
            risk.findings.push(duplicate_finding(*n));
            risk.sort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn risk(name: &str, scopes: &[&str]) -> Risk {
        let held: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        let class = scopes::classify(&held);
        assess(name, Some((&held, &class)))
    }

    #[test]
    fn full_access_and_key_minting_are_high() {
        let full: Vec<&str> = scopes::full_access_scopes().into_iter().collect();
        let r = risk("prod", &full);
        assert!(r.has("full_access") && r.has("mints_keys") && r.has("teammates"));
        assert_eq!(r.max(), Some(Severity::High));
        let r = risk("admin", &["api_keys.read", "api_keys.create"]);
        assert!(r.has("mints_keys"));
        let r = risk("cleanup", &["api_keys.read", "api_keys.delete"]);
        assert!(r.has("revokes_keys") && !r.has("mints_keys"));
    }

    #[test]
    fn narrow_keys_are_clean_and_auto_scopes_never_count() {
        let r = risk(
            "ci deploy",
            &["mail.send", "2fa_required", "sender_verification_eligible"],
        );
        assert_eq!(r.findings, vec![]);
        let r = risk("nothing", &["2fa_required"]);
        assert!(r.has("no_scopes"));
    }

    #[test]
    fn billing_access_and_settings() {
        let r = risk("billing", &["billing.read", "billing.update"]);
        assert!(r.has("billing"));
        let r = risk("x", &["billing.read", "mail.send"]);
        assert!(r.has("mixed_billing"));
        let r = risk("x", &["user.password.update"]);
        assert!(
            r.findings
                .iter()
                .any(|f| f.code == "account_settings" && f.severity == Severity::High)
        );
        let r = risk("x", &["access_settings.whitelist.create"]);
        assert!(r.has("access_settings"));
        let r = risk("x", &["user.webhooks.event.settings.update"]);
        assert!(!r.has("account_settings"));
    }

    #[test]
    fn send_plus_read_everything() {
        let mut s: Vec<&str> = vec!["mail.send"];
        let read_all = crate::presets::PRESETS
            .iter()
            .find(|p| p.name == "Read-only everything")
            .unwrap()
            .scopes();
        let read_all: Vec<String> = read_all.into_iter().collect();
        s.extend(read_all.iter().map(String::as_str));
        assert!(risk("app", &s).has("send_and_read_all"));
        assert!(!risk("app", &["mail.send", "stats.read"]).has("send_and_read_all"));
    }

    #[test]
    fn a_leaked_name_is_the_first_finding() {
        let full: Vec<&str> = scopes::full_access_scopes().into_iter().collect();
        let r = risk("prod-mail-key (LEAKED?)", &full);
        assert_eq!(r.findings[0].code, "suspicious_name");
        assert!(
            r.findings
                .windows(2)
                .all(|w| w[0].severity >= w[1].severity)
        );
    }

    #[test]
    fn names() {
        assert!(
            name_findings("prod-mail-key (LEAKED?)")
                .iter()
                .any(|f| f.severity == Severity::High)
        );
        assert!(
            name_findings("test")
                .iter()
                .any(|f| f.code == "suspicious_name")
        );
        assert!(
            name_findings("tmp2")
                .iter()
                .any(|f| f.code == "suspicious_name")
        );
        // an old or legacy key is not a leaked or test one: a policy denying
        // `suspicious_name` does not fire on it
        for name in ["legacy SMTP relay", "old mailer", "old2"] {
            let f = name_findings(name);
            assert_eq!(
                f.iter().map(|f| f.code).collect::<Vec<_>>(),
                ["stale_name"],
                "{name}"
            );
        }
        assert!(name_findings("holdings report").is_empty());
        assert!(name_findings("contest mailer").is_empty());
        assert!(name_findings("CI deploy").is_empty());
        assert!(
            name_findings("SG.qfTQ6KG0QBiwWdJ0-pCLCA.abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE")
                .iter()
                .any(|f| f.code == "secret_in_name")
        );
    }

    #[test]
    fn duplicates_and_limit() {
        let mut a = Risk::default();
        let mut b = Risk::default();
        let mut c = Risk::default();
        let mut rows = vec![
            ("1", "CI", &mut a),
            ("2", "ci ", &mut b),
            ("3", "other", &mut c),
        ];
        add_duplicates(&mut rows);
        assert!(a.has("duplicate_name") && b.has("duplicate_name") && !c.has("duplicate_name"));
        assert!(limit_finding(50).is_none());
        assert_eq!(
            limit_finding(95).map(|f| f.severity),
            Some(Severity::Medium)
        );
        assert_eq!(limit_finding(100).map(|f| f.severity), Some(Severity::High));
    }
}
