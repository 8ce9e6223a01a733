//! Policy checks for `sgkeys audit --policy FILE`: TOML rules evaluated against an audit, for CI
//! pipelines (exit 1 with a report when violated).
//!
//! ```toml
//! [[rule]]
//! name = "CI keys may only send mail"
//! keys = "ci-*"                 # glob on the key name (case-insensitive); default "*"
//! allow_only = ["mail.send"]    # matching keys may hold nothing else (globs allowed)
//!
//! [[rule]]
//! name = "only admin keys manage keys"
//! except = ["admin-*"]          # names the rule skips
//! deny = ["api_keys.*"]         # matching keys may hold none of these
//!
//! [[rule]]
//! name = "at most 2 full-access keys"
//! max_full_access = 2
//! ```
//!
//! Other checks: `deny_types = ["full", "billing"]`, `max_risk = "medium"` (no finding above
//! it), `deny_findings = ["mints_keys"]`, `max_keys = 80`, `context = "acme-*"` (subuser glob;
//! `"(account)"` is the key's own account).

use serde::{Deserialize, Serialize};

use crate::audit::{Audit, AuditKey};
use crate::risk::Severity;
use crate::scopes::{self, KeyType};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(rename = "rule", default)]
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    #[serde(default)]
    pub keys: Option<String>,
    #[serde(default)]
    pub except: Vec<String>,
    #[serde(default)]
    pub context: Option<String>,
    #[serde(default)]
    pub allow_only: Option<Vec<String>>,
    #[serde(default)]
    pub deny: Vec<String>,
    #[serde(default)]
    pub deny_types: Vec<String>,
    #[serde(default)]
    pub deny_findings: Vec<String>,
    #[serde(default)]
    pub max_risk: Option<String>,
    #[serde(default)]
    pub max_full_access: Option<usize>,
    #[serde(default)]
    pub max_keys: Option<usize>,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub message: String,
}

/// Parse a policy with a message naming the problem (and the rule).
pub fn parse(text: &str) -> Result<Policy, String> {
    // TOML's message is several lines (where, the line itself, a caret under the spot, what
    // was expected): kept as they are, so the caret still points at the mistake
    let p: Policy = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())?;
    if p.rules.is_empty() {
        return Err("no [[rule]] in the policy".into());
    }
    for r in &p.rules {
        if r.name.trim().is_empty() {
            return Err("every rule needs a name".into());
        }
        let checks = r.allow_only.is_some()
            || !r.deny.is_empty()
            || !r.deny_types.is_empty()
            || !r.deny_findings.is_empty()
            || r.max_risk.is_some()
            || r.max_full_access.is_some()
            || r.max_keys.is_some();
        if !checks {
            return Err(format!(
                "rule '{}' checks nothing: add allow_only, deny, deny_types, deny_findings, max_risk, max_full_access or max_keys",
                r.name
            ));
        }
        for t in &r.deny_types {
            if !matches!(t.to_lowercase().as_str(), "full" | "custom" | "billing") {
                return Err(format!(
                    "rule '{}': deny_types entry '{t}' is not full, custom or billing",
                    r.name
                ));
            }
        }
        if let Some(m) = &r.max_risk {
            m.parse::<Severity>()
                .map_err(|e| format!("rule '{}': max_risk: {e}", r.name))?;
        }
        for pattern in r.allow_only.iter().flatten().chain(&r.deny) {
            let known = scopes::all_scopes()
                .iter()
                .any(|s| scopes::glob_match(pattern, s));
            if !known {
                return Err(format!(
                    "rule '{}': '{pattern}' matches no known scope",
                    r.name
                ));
            }
        }
    }
    Ok(p)
}

fn name_matches(pattern: &str, name: &str) -> bool {
    scopes::glob_match(&pattern.to_lowercase(), &name.to_lowercase())
}

impl Rule {
    fn applies(&self, k: &AuditKey) -> bool {
        let ctx = k.context.as_deref().unwrap_or("(account)");
        self.context.as_deref().is_none_or(|c| name_matches(c, ctx))
            && self
                .keys
                .as_deref()
                .is_none_or(|p| name_matches(p, &k.report.name))
            && !self.except.iter().any(|p| name_matches(p, &k.report.name))
    }
}

/// Check an audit against a policy.
pub fn check(policy: &Policy, audit: &Audit) -> Vec<Violation> {
    let mut out = Vec::new();
    for rule in &policy.rules {
        let matched: Vec<&AuditKey> = audit.keys.iter().filter(|k| rule.applies(k)).collect();
        let v = |k: &AuditKey, message: String| Violation {
            rule: rule.name.clone(),
            context: k.context.clone(),
            api_key_id: Some(k.report.api_key_id.clone()),
            name: Some(k.report.name.clone()),
            message,
        };
        for k in &matched {
            if !k.scopes_known {
                // No rule can be checked against scopes nobody knows: that is no pass either.
                let why = k.unknown_why().unwrap_or_default();
                out.push(v(k, format!("its scopes are unknown ({why}): not checked")));
                continue;
            }
            if let Some(allowed) = &rule.allow_only {
                let extra: Vec<&str> = k
                    .report
                    .scopes
                    .iter()
                    .map(String::as_str)
                    .filter(|s| !allowed.iter().any(|p| scopes::glob_match(p, s)))
                    .collect();
                if !extra.is_empty() {
                    out.push(v(
                        k,
                        format!(
                            "holds {} scope(s) beyond {}: {}",
                            extra.len(),
                            allowed.join(", "),
                            clip_list(&extra)
                        ),
                    ));
                }
            }
            let denied: Vec<&str> = k
                .report
                .scopes
                .iter()
                .map(String::as_str)
                .filter(|s| rule.deny.iter().any(|p| scopes::glob_match(p, s)))
                .collect();
            if !denied.is_empty() {
                out.push(v(
                    k,
                    format!("holds denied scope(s): {}", clip_list(&denied)),
                ));
            }
            let t = k.report.key_type.badge().to_lowercase();
            if rule.deny_types.iter().any(|d| d.eq_ignore_ascii_case(&t)) {
                out.push(v(k, format!("is a {} key", k.report.key_type.label())));
            }
            for f in &k.findings {
                if rule.deny_findings.iter().any(|d| d == f.code) {
                    out.push(v(k, format!("finding {}: {}", f.code, f.message)));
                }
            }
            if let (Some(max), Some(risk)) = (
                rule.max_risk
                    .as_deref()
                    .and_then(|m| m.parse::<Severity>().ok()),
                k.risk,
            ) && risk > max
            {
                out.push(v(
                    k,
                    format!("risk {} exceeds {}", risk.label(), max.label()),
                ));
            }
        }
        if let Some(max) = rule.max_full_access {
            let full: Vec<&&AuditKey> = matched
                .iter()
                .filter(|k| k.report.key_type == KeyType::Full)
                .collect();
            if full.len() > max {
                let names: Vec<String> = full
                    .iter()
                    .map(|k| format!("{} ({})", k.report.name, k.report.api_key_id))
                    .collect();
                out.push(Violation {
                    rule: rule.name.clone(),
                    context: None,
                    api_key_id: None,
                    name: None,
                    message: format!(
                        "{} Full Access keys, at most {max} allowed: {}",
                        full.len(),
                        names.join(", ")
                    ),
                });
            }
        }
        if let Some(max) = rule.max_keys
            && matched.len() > max
        {
            out.push(Violation {
                rule: rule.name.clone(),
                context: None,
                api_key_id: None,
                name: None,
                message: format!(
                    "{}, at most {max} allowed",
                    crate::text::plural(matched.len(), "key", "keys")
                ),
            });
        }
    }
    out
}

fn clip_list(items: &[&str]) -> String {
    if items.len() > 6 {
        format!("{}, … (+{})", items[..6].join(", "), items.len() - 6)
    } else {
        items.join(", ")
    }
}

/// Human report of violations.
pub fn report(violations: &[Violation]) -> String {
    if violations.is_empty() {
        return "Policy: all rules pass.\n".into();
    }
    let mut o = format!("Policy: {} violation(s)\n", violations.len());
    for v in violations {
        let key = match (&v.name, &v.api_key_id) {
            (Some(n), Some(id)) => format!(" '{n}' ({id})"),
            _ => String::new(),
        };
        let ctx = v
            .context
            .as_deref()
            .map(|c| format!(" [{c}]"))
            .unwrap_or_default();
        o.push_str(&format!("  ✗ {}:{key}{ctx} {}\n", v.rule, v.message));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::KeyDetail;
    use crate::audit::fixture::{audit_of, d};

    /// An audit of one account holding `keys` (name, scopes), ids `id0`, `id1`, ….
    fn audit(keys: &[(&str, &[&str])]) -> Audit {
        let details: Vec<KeyDetail> = keys
            .iter()
            .enumerate()
            .map(|(i, (n, s))| d(&format!("id{i}"), n, s))
            .collect();
        audit_of(&[(None, &details)])
    }

    #[test]
    fn rules_pass_and_fail() {
        let p = parse(
            r#"
            [[rule]]
            name = "ci mail only"
            keys = "ci-*"
            allow_only = ["mail.send"]
            [[rule]]
            name = "no key minting outside admin"
            except = ["admin-*"]
            deny = ["api_keys.create", "api_keys.update"]
            [[rule]]
            name = "one full key"
            max_full_access = 1
            [[rule]]
            name = "no high risk"
            keys = "ci-*"
            max_risk = "medium"
            "#,
        )
        .unwrap();
        let clean = audit(&[
            ("ci-web", &["mail.send"]),
            ("admin-keys", &["api_keys.create"]),
            ("CI-other", &["mail.send"]),
        ]);
        assert_eq!(check(&p, &clean), vec![]);
        let dirty = audit(&[
            ("ci-web", &["mail.send", "stats.read"]),
            ("ops", &["api_keys.create"]),
        ]);
        let v = check(&p, &dirty);
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(v[0].message.contains("stats.read"));
        assert_eq!(v[1].rule, "no key minting outside admin");
        assert!(report(&v).contains("2 violation"));
    }

    #[test]
    fn max_full_access_counts_matching_keys() {
        let full: Vec<&str> = scopes::full_access_scopes().into_iter().collect();
        let p = parse("[[rule]]\nname='max1'\nmax_full_access=1\n").unwrap();
        let a = audit(&[("a", &full), ("b", &full)]);
        let v = check(&p, &a);
        assert_eq!(v.len(), 1);
        assert!(v[0].message.starts_with("2 Full Access keys"));
    }

    #[test]
    fn one_key_is_one_key_and_a_legacy_name_is_no_leaked_or_test_name() {
        let p = parse("[[rule]]\nname='none'\nmax_keys=0\n").unwrap();
        let v = check(&p, &audit(&[("a", &["mail.send"])]));
        assert_eq!(v[0].message, "1 key, at most 0 allowed");
        let p =
            parse("[[rule]]\nname='no leaked or test keys'\ndeny_findings=['suspicious_name']\n")
                .unwrap();
        let v = check(
            &p,
            &audit(&[
                ("legacy SMTP relay", &["mail.send"]),
                ("old mailer", &["mail.send"]),
            ]),
        );
        assert_eq!(v, vec![]);
        let v = check(&p, &audit(&[("test", &["mail.send"])]));
        assert_eq!(v.len(), 1, "{v:?}");
    }

    #[test]
    fn bad_policies_are_explained() {
        assert!(parse("").unwrap_err().contains("no [[rule]]"));
        for (policy, says) in [
            ("[[rule]]\nname='x'\n", "checks nothing"),
            (
                "[[rule]]\nname='x'\ndeny=['nope.*']\n",
                "matches no known scope",
            ),
            ("[[rule]]\nname='x'\ndeny_types=['gold']\n", "gold"),
            ("[[rule]]\nname='x'\nmax_risk='huge'\n", "huge"),
            ("[[rule]]\nname='x'\ndenny=['a']\n", "denny"),
        ] {
            let e = parse(policy).unwrap_err();
            assert!(e.contains(says), "{policy:?}: {e}");
        }
        assert!(parse("[[rule]\n").is_err());
    }

    #[test]
    fn a_syntax_error_keeps_its_lines_and_its_caret() {
        let e = parse("[[rule]]\nname = \nmax_keys = 80\n").unwrap_err();
        let lines: Vec<&str> = e.lines().collect();
        assert!(lines.len() >= 3, "{e}");
        assert!(lines[0].contains("line 2"), "{e}");
        assert!(
            lines
                .iter()
                .any(|l| l.trim_start().starts_with('|') && l.contains('^')),
            "{e}"
        );
    }
}
