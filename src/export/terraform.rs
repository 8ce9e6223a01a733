//! `export --format terraform`: HCL for the `kenzo0107/sendgrid` provider. A
//! `terraform { required_providers }` block, one provider alias per subuser (its `subuser`
//! argument is sent as the on-behalf-of header), and per key one `sendgrid_api_key` resource
//! (name, scopes) and one `import` block (Terraform 1.5+) whose id is the key id, the
//! provider's import id.
//!
//! Scopes are the granted ones: the scopes SendGrid assigns by itself (`2fa_required`,
//! `sender_verification_eligible`, …; the catalog's `auto_assigned_scopes`) are left out, as
//! the provider's documentation asks ("set automatically by SendGrid, so they cannot be set
//! manually").
//!
//! Every string (names, scopes, subusers, ids: server text) is written as an HCL quoted
//! string that Terraform reads back as exactly the server's text: `\` and `"` escaped,
//! template openers `${` and `%{` doubled to `$${` and `%%{`, and every control, bidi or
//! zero-width character ([`crate::text::is_unsafe`]) as a `\uNNNN` escape, so the file holds
//! none of them raw and a `terraform apply` never renames a key. Resource labels are
//! identifiers made from the names: lowercase ASCII letters, digits and `_`, starting with a
//! letter; labels that would collide get a part of the key id (stable across exports), then a
//! number.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::audit::{Audit, AuditKey};
use crate::export::Selection;
use crate::scopes::KeyType;

/// The provider's registry address.
pub const PROVIDER_SOURCE: &str = "kenzo0107/sendgrid";
/// The scopes the provider itself leaves out of its state (its `api_key` documentation).
pub const PROVIDER_IGNORES: &[&str] = &[
    "2fa_required",
    "sender_verification_eligible",
    "sender_verification_exempt",
];
/// Longest label made from a name, before a suffix.
const LABEL_MAX: usize = 48;

/// `s` as an HCL quoted string (with its quotes) that Terraform reads back as `s` exactly.
pub fn hcl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // a template opener is doubled to stay literal: `${` → `$${`, `%{` → `%%{`
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if crate::text::is_unsafe(c) => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04X}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An identifier made from `s`: lowercase ASCII letters and digits, every other run of
/// characters one `_`, at most `max` characters, starting with a letter (`prefix_` is put in
/// front otherwise).
fn identifier(s: &str, max: usize, prefix: &str) -> String {
    let mut id = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.is_empty() && !id.ends_with('_') {
            id.push('_');
        }
        if id.len() >= max {
            break;
        }
    }
    let id = id.trim_end_matches('_');
    if id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        id.to_owned()
    } else if id.is_empty() {
        prefix.to_owned()
    } else {
        format!("{prefix}_{id}")
    }
}

/// The first characters of a key id, as label characters (lowercase; `-` becomes `_`). Two ids
/// that differ only in case there still get different labels ([`unique`]).
fn id_part(id: &str) -> String {
    id.chars()
        .take(8)
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// `want`, or `want_2`, `want_3`, … : the first not in `used` (which then holds it).
fn unique(want: String, used: &mut BTreeSet<String>) -> String {
    let mut label = want.clone();
    let mut n = 2;
    while used.contains(&label) {
        label = format!("{want}_{n}");
        n += 1;
    }
    used.insert(label.clone());
    label
}

/// "the account" or "subuser NAME", for comments (cleaned: a comment is one line).
fn context_words(c: &Option<String>) -> String {
    match c {
        None => "the account".into(),
        Some(s) => format!("subuser {}", crate::text::clean(s)),
    }
}

/// Labels for the keys (in the order given) and aliases for the subuser contexts.
struct Names {
    labels: Vec<String>,
    aliases: BTreeMap<String, String>,
}

fn names(keys: &[&AuditKey]) -> Names {
    let mut used = BTreeSet::new();
    let mut aliases = BTreeMap::new();
    for k in keys {
        if let Some(c) = &k.context
            && !aliases.contains_key(c)
        {
            let alias = unique(identifier(c, LABEL_MAX, "subuser"), &mut used);
            aliases.insert(c.clone(), alias);
        }
    }
    // aliases and labels live in different namespaces: start the labels afresh
    let mut used = BTreeSet::new();
    let base = |k: &AuditKey| {
        let name = identifier(&k.report.name, LABEL_MAX, "key");
        match &k.context {
            Some(c) => format!("{}_{name}", identifier(c, LABEL_MAX / 2, "subuser")),
            None => name,
        }
    };
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for k in keys {
        *count.entry(base(k)).or_default() += 1;
    }
    let labels = keys
        .iter()
        .map(|k| {
            let b = base(k);
            let want = if count.get(&b).copied().unwrap_or(0) > 1 {
                format!("{b}_{}", id_part(&k.report.api_key_id))
            } else {
                b
            };
            unique(want, &mut used)
        })
        .collect();
    Names { labels, aliases }
}

/// The keys in a stable order: by context (the audit's), then name, then id.
fn ordered<'a>(audit: &Audit, sel: &Selection<'a>) -> Vec<&'a AuditKey> {
    let rank: BTreeMap<&Option<String>, usize> = audit
        .contexts
        .iter()
        .enumerate()
        .map(|(i, c)| (&c.context, i))
        .collect();
    let mut keys = sel.keys.clone();
    keys.sort_by(|a, b| {
        let r = |k: &AuditKey| rank.get(&k.context).copied().unwrap_or(usize::MAX);
        r(a).cmp(&r(b))
            .then_with(|| a.context.cmp(&b.context))
            .then_with(|| a.report.name.cmp(&b.report.name))
            .then_with(|| a.report.api_key_id.cmp(&b.report.api_key_id))
    });
    keys
}

/// Whether the export holds every key it was asked for.
pub fn complete(audit: &Audit, sel: &Selection) -> bool {
    audit.complete() && sel.skipped.is_empty()
}

/// What the export says besides the keys.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The program, for the header (e.g. `sgkeys 0.1.0 (commit abc, x86_64-unknown-linux-gnu)`).
    pub generator: String,
    /// The id of the key the export read the account with: its resource says so.
    pub caller: Option<String>,
    /// Contexts SendGrid serves on its EU host only (`None`: the account itself).
    pub eu: BTreeSet<Option<String>>,
}

/// Said above the provider block of an EU context.
const EU_NOTE: &str = "# SendGrid serves this context on api.eu.sendgrid.com only. The provider's documented\n\
                       # settings (api_key, subuser) name no host: check that yours reaches the EU\n\
                       # host before you apply.\n";

/// The HCL.
pub fn render(audit: &Audit, sel: &Selection, opts: &Options) -> String {
    let generator = &opts.generator;
    let caller = opts.caller.as_deref();
    let keys = ordered(audit, sel);
    let names = names(&keys);
    let mut o = String::with_capacity(2048 + keys.len() * 512);
    let contexts: BTreeSet<&Option<String>> = keys.iter().map(|k| &k.context).collect();
    let _ = writeln!(
        o,
        "# SendGrid API keys as Terraform configuration, written by {generator}\n\
         # (`sgkeys export --format terraform`) at {} from {}:\n\
         # {} in {}.",
        crate::text::clean(&audit.generated_at),
        crate::text::clean(&audit.base_url),
        crate::text::plural(keys.len(), "key", "keys"),
        crate::text::plural(contexts.len().max(1), "context", "contexts"),
    );
    o.push_str(
        "#\n\
         # Provider: kenzo0107/sendgrid. Needs Terraform 1.5 or later (import blocks). Review with\n\
         # `terraform plan`: it should import every key below and add, change and destroy nothing.\n\
         #\n\
         # Secrets cannot be imported: SendGrid shows a key's secret once, when it is created, so\n\
         # an imported key's `api_key` attribute stays empty. To have a secret in Terraform, let\n\
         # Terraform create a new key (or `sgkeys rotate` one) and retire the old one.\n\
         #\n\
         # Scopes SendGrid assigns by itself (2fa_required, sender_verification_eligible, ...) are\n\
         # left out: SendGrid refuses them in an update, and the provider leaves 2fa_required,\n\
         # sender_verification_eligible and sender_verification_exempt out of its state. Should a\n\
         # plan show another of them (sender_verification_legacy) leaving a key, SendGrid adds it\n\
         # back by itself.\n\
         #\n\
         # Credentials: the provider reads SENDGRID_API_KEY; a subuser's keys are reached through\n\
         # a provider alias whose `subuser` is sent as the on-behalf-of header.\n",
    );
    if !complete(audit, sel) {
        o.push_str(
            "#\n# INCOMPLETE: keys are missing from this file (sgkeys exited with status 1):\n",
        );
        for c in audit.contexts.iter().filter(|c| c.error.is_some()) {
            let _ = writeln!(
                o,
                "# - {}: not every key could be read ({} of {} read): {}",
                context_words(&c.context),
                c.keys,
                c.listed
                    .map_or_else(|| "an unknown number".to_owned(), |n| n.to_string()),
                crate::text::clean(c.error.as_deref().unwrap_or("")),
            );
        }
        for s in &sel.skipped {
            let _ = writeln!(
                o,
                "# - key {} ({}, {}) not exported: {}",
                crate::text::clean(&s.api_key_id),
                hcl_string(&s.name),
                context_words(&s.context),
                s.reason
            );
        }
    }
    let _ = write!(
        o,
        "\nterraform {{\n  required_version = \">= 1.5.0\"\n  required_providers {{\n    sendgrid = {{\n      source = \"{PROVIDER_SOURCE}\"\n    }}\n  }}\n}}\n"
    );
    if contexts.contains(&None) || keys.is_empty() {
        o.push_str("\n# The account of SENDGRID_API_KEY.\n");
        if opts.eu.contains(&None) {
            o.push_str(EU_NOTE);
        }
        o.push_str("provider \"sendgrid\" {}\n");
    }
    for (context, alias) in &names.aliases {
        o.push('\n');
        if opts.eu.contains(&Some(context.clone())) {
            o.push_str(EU_NOTE);
        }
        let _ = write!(
            o,
            "provider \"sendgrid\" {{\n  alias   = {}\n  subuser = {}\n}}\n",
            hcl_string(alias),
            hcl_string(context)
        );
    }
    for (k, label) in keys.iter().zip(&names.labels) {
        let provider = k
            .context
            .as_ref()
            .and_then(|c| names.aliases.get(c))
            .map(|a| format!("sendgrid.{a}"));
        let what = match k.report.key_type {
            KeyType::Full => "Full Access",
            KeyType::Custom => "Custom Access",
            KeyType::Billing => "Billing Access",
        };
        let _ = writeln!(
            o,
            "\n# {what}, {} ({}).",
            crate::text::plural(k.report.scopes.len(), "scope", "scopes"),
            context_words(&k.context)
        );
        if k.context.is_none() && caller == Some(k.report.api_key_id.as_str()) {
            o.push_str(
                "# The key this file was exported with: a destroy (or this block removed after\n\
                 # the import) revokes it.\n",
            );
        }
        let _ = writeln!(o, "resource \"sendgrid_api_key\" \"{label}\" {{");
        match &provider {
            Some(p) => {
                let _ = writeln!(o, "  provider = {p}");
                let _ = writeln!(o, "  name     = {}", hcl_string(&k.report.name));
            }
            None => {
                let _ = writeln!(o, "  name = {}", hcl_string(&k.report.name));
            }
        }
        if k.report.scopes.is_empty() {
            o.push_str("  scopes = []\n");
        } else {
            o.push_str("  scopes = [\n");
            for s in &k.report.scopes {
                let _ = writeln!(o, "    {},", hcl_string(s));
            }
            o.push_str("  ]\n");
        }
        o.push_str("}\n\nimport {\n");
        if let Some(p) = &provider {
            let _ = writeln!(o, "  provider = {p}");
            let _ = writeln!(o, "  to       = sendgrid_api_key.{label}");
            let _ = writeln!(o, "  id       = {}", hcl_string(&k.report.api_key_id));
        } else {
            let _ = writeln!(o, "  to = sendgrid_api_key.{label}");
            let _ = writeln!(o, "  id = {}", hcl_string(&k.report.api_key_id));
        }
        o.push_str("}\n");
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_for_hcl() {
        assert_eq!(hcl_string("plain"), "\"plain\"");
        assert_eq!(hcl_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(hcl_string("${x} %{if} $$ %"), r#""$${x} %%{if} $$ %""#);
        // `$${` already doubled in a name stays what it was: `$` then the escaped opener
        assert_eq!(hcl_string("$${x}"), r#""$$${x}""#);
        assert_eq!(
            hcl_string("a\nb\r\t\u{1b}[2J\u{202e}\u{7f}"),
            r#""a\nb\r\t\u001B[2J\u202E\u007F""#
        );
        assert_eq!(hcl_string("café ✓"), "\"café ✓\"");
    }

    #[test]
    fn labels_are_identifiers_and_unique() {
        assert_eq!(
            identifier("CI-deploy: web (GitHub)", 48, "key"),
            "ci_deploy_web_github"
        );
        assert_eq!(identifier("2017 legacy", 48, "key"), "key_2017_legacy");
        assert_eq!(identifier("¡¿", 48, "key"), "key");
        assert_eq!(identifier(&"a".repeat(100), 48, "key").len(), 48);
        let mut used = BTreeSet::new();
        assert_eq!(unique("x".into(), &mut used), "x");
        assert_eq!(unique("x".into(), &mut used), "x_2");
        assert_eq!(unique("x".into(), &mut used), "x_3");
        assert_eq!(id_part("Ab-d_EfGhIj"), "ab_d_efg");
    }
}
