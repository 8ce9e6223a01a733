//! `audit --format html`: one self-contained page (no external script, style, font or image)
//! with the summary, the access matrix as a heatmap, every finding and the contexts.
//!
//! The page is complete without scripts: every row is in the HTML and nothing starts hidden;
//! the small inline script only adds click-to-sort and a filter box. A Content-Security-Policy
//! allows nothing but the inline style and script, each by its SHA-256 hash (`sha2` and
//! `base64` are dependencies already). Every server-provided string goes through
//! [`crate::text::clean`] and is HTML-escaped ([`esc`]), in text and attributes alike.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{Audit, AuditKey, ctx_label};
use crate::risk::{Finding, Severity};
use crate::scopes::{self, Category, KeyType, Level};

const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// Server text for HTML text or a double-quoted attribute: cleaned ([`crate::text::clean`]:
/// controls, bidi and zero-width characters become `�`), then `& < > " '` escaped.
pub fn esc(s: &str) -> String {
    let s = crate::text::clean(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `'sha256-…'` of an inline element's exact text, for the Content-Security-Policy.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The policy of the page: nothing loads, only our own inline style and script run.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; base-uri 'none'; form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    )
}

/// The counts at the top of the report (the test compares them with the JSON audit's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub keys: usize,
    pub full_access: usize,
    pub mint_keys: usize,
    pub billing: usize,
    pub unknown_scopes: usize,
    /// Listed keys whose scopes could not be read (part of `unknown_scopes`).
    pub unread: usize,
    pub high_risk_keys: usize,
    pub findings_high: usize,
    pub findings_medium: usize,
    pub findings_low: usize,
    pub contexts: usize,
    pub contexts_with_errors: usize,
}

/// A key can create keys when its API Keys category is at Full Access.
fn mints_keys(k: &AuditKey) -> bool {
    k.report.categories.get("api_keys") == Some(&Level::Full)
}

impl Summary {
    pub fn of(a: &Audit) -> Summary {
        let findings = a
            .keys
            .iter()
            .flat_map(|k| k.findings.iter())
            .chain(a.contexts.iter().flat_map(|c| c.findings.iter()));
        let mut s = Summary {
            keys: a.keys.len(),
            full_access: a.count_type(KeyType::Full),
            mint_keys: a.keys.iter().filter(|k| mints_keys(k)).count(),
            billing: a.count_type(KeyType::Billing),
            unknown_scopes: a.count_unknown(),
            unread: a.count_unread(),
            high_risk_keys: a.count_risk(Severity::High),
            contexts: a.contexts.len(),
            contexts_with_errors: a.contexts.iter().filter(|c| c.error.is_some()).count(),
            ..Summary::default()
        };
        for f in findings {
            match f.severity {
                Severity::High => s.findings_high += 1,
                Severity::Medium => s.findings_medium += 1,
                Severity::Low => s.findings_low += 1,
            }
        }
        s
    }
}

/// Glyph, class and sort rank of a level: the glyph tells the levels apart in black and white.
fn level_cell(level: Option<Level>) -> (&'static str, &'static str, u8, &'static str) {
    match level {
        None => ("?", "unknown", 0, "unknown"),
        Some(Level::No) => ("·", "no", 1, "No Access"),
        Some(Level::Read) => ("○", "read", 2, "Read Access"),
        Some(Level::Partial) => ("◐", "partial", 3, "Partial"),
        Some(Level::Full) => ("●", "full", 4, "Full Access"),
    }
}

fn risk_glyph(label: &str) -> (&'static str, u8) {
    match label {
        "high" => ("●", 4),
        "medium" => ("▲", 3),
        "low" => ("·", 2),
        "unknown" => ("?", 1),
        _ => ("", 0),
    }
}

fn sev_rank(s: Severity) -> u8 {
    match s {
        Severity::High => 3,
        Severity::Medium => 2,
        Severity::Low => 1,
    }
}

/// The scopes of `category` a key holds, one per line (for a cell's `title`).
fn held_in(k: &AuditKey, category: &Category) -> Vec<String> {
    k.report
        .scopes
        .iter()
        .filter(|s| category.scopes.contains(&s.as_str()))
        .map(|s| esc(s))
        .collect()
}

fn level_of(k: &AuditKey, c: &Category) -> Option<Level> {
    if !k.scopes_known {
        return None;
    }
    Some(k.report.categories.get(c.id).copied().unwrap_or(Level::No))
}

/// The whole page.
pub fn render(a: &Audit) -> String {
    let mut o = String::with_capacity(16 * 1024 + a.keys.len() * 2048);
    let s = Summary::of(a);
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    o.push_str(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n",
        content_security_policy()
    ));
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    o.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    o.push_str(&format!(
        "<title>SendGrid API key audit — {}</title>\n",
        esc(&a.generated_at)
    ));
    o.push_str("<style>");
    o.push_str(STYLE);
    o.push_str("</style>\n</head>\n<body>\n<header>\n<h1>SendGrid API key audit</h1>\n");
    let contexts: Vec<String> = a
        .contexts
        .iter()
        .map(|c| format!("<b>{}</b>", esc(ctx_label(&c.context))))
        .collect();
    o.push_str(&format!(
        "<p class=\"meta\">Generated <time datetime=\"{0}\">{0}</time> · endpoint <code>{1}</code> · {2}: {3}</p>\n</header>\n",
        esc(&a.generated_at),
        esc(&a.base_url),
        if a.contexts.len() == 1 {
            "context"
        } else {
            "contexts"
        },
        contexts.join(", ")
    ));
    for c in &a.contexts {
        match (c.listed, c.unread, &c.error) {
            (None, _, e) => o.push_str(&format!(
                "<p class=\"ctx-error\"><b>Incomplete</b>: the keys of {} were not listed: {}</p>\n",
                esc(ctx_label(&c.context)),
                esc(e.as_deref().unwrap_or_default())
            )),
            (Some(_), 0, _) => {}
            (Some(_), n, _) => o.push_str(&format!(
                "<p class=\"ctx-error\"><b>Incomplete</b>: {n} of the {} keys of {} could not \
                 be read: their type and risk are unknown, and the counts below are of the keys \
                 read</p>\n",
                c.keys + n,
                esc(ctx_label(&c.context)),
            )),
        }
    }
    summary(&mut o, &s);
    matrix(&mut o, a);
    findings(&mut o, a);
    contexts_section(&mut o, a);
    o.push_str(&format!(
        "<footer>Made by sgkeys {} (<code>sgkeys audit --format html</code>). Levels as SendGrid's App shows them per category; a key whose scopes the server did not list is “unknown”, never “No”.</footer>\n",
        env!("CARGO_PKG_VERSION")
    ));
    o.push_str("<script>");
    o.push_str(SCRIPT);
    o.push_str("</script>\n</body>\n</html>\n");
    o
}

fn summary(o: &mut String, s: &Summary) {
    o.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<dl class=\"summary\">\n");
    let item = |o: &mut String, id: &str, label: &str, n: usize, bad: bool| {
        o.push_str(&format!(
            "<div{}><dt>{label}</dt><dd data-count=\"{id}\">{n}</dd></div>\n",
            if bad && n > 0 { " class=\"bad\"" } else { "" }
        ));
    };
    item(o, "keys", "Keys", s.keys, false);
    if s.unread > 0 {
        item(
            o,
            "unread",
            "Keys not read (type and risk unknown)",
            s.unread,
            true,
        );
    }
    item(o, "full_access", "Full Access keys", s.full_access, true);
    item(
        o,
        "mint_keys",
        "Can create keys (API Keys: Full)",
        s.mint_keys,
        true,
    );
    item(o, "billing", "Billing keys", s.billing, false);
    item(
        o,
        "high_risk_keys",
        "High-risk keys",
        s.high_risk_keys,
        true,
    );
    item(
        o,
        "unknown_scopes",
        "Keys with unknown scopes",
        s.unknown_scopes,
        true,
    );
    item(o, "findings_high", "Findings: high", s.findings_high, true);
    item(
        o,
        "findings_medium",
        "Findings: medium",
        s.findings_medium,
        false,
    );
    item(o, "findings_low", "Findings: low", s.findings_low, false);
    item(o, "contexts", "Contexts", s.contexts, false);
    item(
        o,
        "contexts_with_errors",
        "Contexts with errors",
        s.contexts_with_errors,
        true,
    );
    o.push_str("</dl>\n</section>\n");
}

fn contexts_section(o: &mut String, a: &Audit) {
    o.push_str("<section id=\"contexts\">\n<h2>Contexts</h2>\n<table class=\"contexts\">\n<thead><tr><th>Context</th><th>Keys</th><th>Status</th></tr></thead>\n<tbody>\n");
    for c in &a.contexts {
        let status = match (c.listed, c.unread, &c.error) {
            (None, _, e) => format!(
                "<td class=\"ctx-error\"><b>incomplete</b>: not listed: {}</td>",
                esc(e.as_deref().unwrap_or_default())
            ),
            (Some(_), 0, _) => "<td>read</td>".to_owned(),
            (Some(_), n, _) => format!(
                "<td class=\"ctx-error\"><b>incomplete</b>: {n} of {} keys could not be read</td>",
                c.keys + n
            ),
        };
        o.push_str(&format!(
            "<tr data-context=\"{0}\"><td>{0}</td><td>{1}</td>{status}</tr>\n",
            esc(ctx_label(&c.context)),
            c.keys
        ));
    }
    o.push_str("</tbody>\n</table>\n</section>\n");
}

fn matrix(o: &mut String, a: &Audit) {
    let cats = scopes::categories();
    o.push_str("<section id=\"matrix\">\n<h2>Access matrix</h2>\n");
    o.push_str("<p class=\"legend\">");
    for level in [
        Some(Level::Full),
        Some(Level::Partial),
        Some(Level::Read),
        Some(Level::No),
        None,
    ] {
        let (glyph, class, _, label) = level_cell(level);
        o.push_str(&format!(
            "<span><b class=\"lv-{class}\">{glyph}</b> {label}</span>"
        ));
    }
    o.push_str("<span>Risk: ● high, ▲ medium, · low</span><span>Column heads: keys at Full (F) and Read (R) Access; hover a cell for its scopes</span></p>\n");
    o.push_str("<div class=\"controls\" id=\"controls\"></div>\n");
    o.push_str("<div class=\"scroll\">\n<table class=\"matrix sortable\" id=\"matrix-table\" data-filter=\"keys\">\n<thead><tr><th>Context</th><th>Name</th><th>ID</th><th>Type</th><th data-desc>Risk</th>");
    for c in cats {
        let mut full = 0;
        let mut read = 0;
        for k in &a.keys {
            match level_of(k, c) {
                Some(Level::Full) => full += 1,
                Some(Level::Read) => read += 1,
                _ => {}
            }
        }
        o.push_str(&format!(
            "<th class=\"cat\" scope=\"col\" data-cat=\"{id}\" data-full=\"{full}\" data-read=\"{read}\" data-desc><abbr class=\"label\" title=\"{docs}\">{label}</abbr><span class=\"n\">F {full}</span><span class=\"n\">R {read}</span></th>",
            id = esc(c.id),
            docs = esc(c.docs_name),
            label = esc(c.label),
        ));
    }
    o.push_str("</tr></thead>\n<tbody>\n");
    for k in &a.keys {
        let r = &k.report;
        let risk = k.risk_label();
        let (rglyph, rrank) = risk_glyph(risk);
        let type_class = match r.key_type {
            KeyType::Full => "full",
            KeyType::Custom => "custom",
            KeyType::Billing => "billing",
        };
        let codes: Vec<&str> = k.findings.iter().map(|f| f.code).collect();
        o.push_str(&format!(
            "<tr class=\"key\" data-id=\"{id}\" data-context=\"{ctx}\" data-search=\"{codes}\"><td>{ctx}</td><td class=\"name\" title=\"{name}\">{name}</td><td class=\"id\">{id}</td><td class=\"type-{type_class}\">{tlabel}</td><td class=\"risk-{risk}\" data-sort=\"{rrank}\">{rtext}</td>",
            id = esc(&r.api_key_id),
            ctx = esc(ctx_label(&k.context)),
            codes = codes.join(" "),
            name = esc(&r.name),
            tlabel = if k.scopes_known { r.key_type.badge() } else { "unknown" },
            rtext = format!("{rglyph} {risk}").trim_start(),
        ));
        for c in cats {
            let level = level_of(k, c);
            let (glyph, class, rank, label) = level_cell(level);
            let title = match level {
                None => format!(
                    "{}: unknown ({})",
                    esc(c.label),
                    esc(&k.unknown_why().unwrap_or_default())
                ),
                Some(Level::No) => format!("{}: No Access", esc(c.label)),
                Some(_) => {
                    let held = held_in(k, c);
                    format!(
                        "{}: {label} ({} of {} scopes)&#10;{}",
                        esc(c.label),
                        held.len(),
                        c.scopes.len(),
                        held.join("&#10;")
                    )
                }
            };
            o.push_str(&format!(
                "<td class=\"lv lv-{class}\" data-cat=\"{}\" data-level=\"{class}\" data-sort=\"{rank}\" title=\"{title}\">{glyph}</td>",
                esc(c.id)
            ));
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody>\n</table>\n</div>\n</section>\n");
}

/// One finding with where it was found: its context, and the key (name, id) unless the finding
/// is about the context itself.
type Located<'a> = (&'a Finding, &'a Option<String>, Option<(&'a str, &'a str)>);

fn finding_row(o: &mut String, (f, ctx, key): Located<'_>) {
    let (name, id) = match key {
        Some((name, id)) => (esc(name), format!("<code>{}</code>", esc(id))),
        None => ("<i>(the context)</i>".to_owned(), String::new()),
    };
    let sev = f.severity.label();
    o.push_str(&format!(
        "<tr class=\"finding\" data-severity=\"{sev}\"><td class=\"risk-{sev}\" data-sort=\"{}\">{} {sev}</td><td>{}</td><td>{name}</td><td>{id}</td><td><code>{}</code></td><td class=\"msg\">{}</td></tr>\n",
        sev_rank(f.severity),
        risk_glyph(sev).0,
        esc(ctx_label(ctx)),
        esc(f.code),
        esc(&f.message),
    ));
}

fn findings(o: &mut String, a: &Audit) {
    let total: usize = a.keys.iter().map(|k| k.findings.len()).sum::<usize>()
        + a.contexts.iter().map(|c| c.findings.len()).sum::<usize>();
    o.push_str(&format!(
        "<section id=\"findings\">\n<h2>Findings ({total})</h2>\n"
    ));
    if total == 0 {
        o.push_str("<p>No findings.</p>\n</section>\n");
        return;
    }
    o.push_str("<table class=\"findings sortable\" id=\"findings-table\" data-filter=\"findings\">\n<thead><tr><th data-desc>Severity</th><th>Context</th><th>Key</th><th>ID</th><th>Code</th><th>Message</th></tr></thead>\n<tbody>\n");
    let mut rows: Vec<Located<'_>> = Vec::new();
    for c in &a.contexts {
        for f in &c.findings {
            rows.push((f, &c.context, None));
        }
    }
    for k in &a.keys {
        for f in &k.findings {
            rows.push((
                f,
                &k.context,
                Some((k.report.name.as_str(), k.report.api_key_id.as_str())),
            ));
        }
    }
    // most severe first; the order within a severity is the audit's
    rows.sort_by_key(|r| std::cmp::Reverse(r.0.severity));
    for row in rows {
        finding_row(o, row);
    }
    o.push_str("</tbody>\n</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::KeyDetail;
    use crate::audit::fixture::{audit_of, d};

    fn audit(details: &[KeyDetail]) -> Audit {
        audit_of(&[(None, details)])
    }

    #[test]
    fn escapes_text_and_attributes() {
        assert_eq!(
            esc("<script>\"a\" & 'b'</td>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/td&gt;"
        );
        assert_eq!(
            esc("a\u{202e}b\u{1b}[2J\n"),
            "a\u{fffd}b\u{fffd}[2J\u{fffd}"
        );
    }

    #[test]
    fn hostile_names_come_out_inert() {
        let evil = "x</td><script>alert(1)</script>\"><img src=x onerror=alert(2)>'\u{202e}\u{1b}]0;t\u{7}";
        let ctx_evil = "sub\"><script>alert(3)</script>";
        let mut a = audit(&[d("id\"<b>", evil, &["mail.send", "api_keys.create"])]);
        a.keys[0].context = Some(ctx_evil.into());
        a.contexts[0].context = Some(ctx_evil.into());
        a.contexts[0].error = Some("500 <script>x</script>\u{9b}".into());
        let html = render(&a);
        // exactly one script element, ours; no tag or attribute from the server
        assert_eq!(html.matches("<script").count(), 1, "{html}");
        assert!(!html.contains("<img") && !html.contains("<b>\""));
        assert!(!html.contains("\"><script") && !html.contains("\"><img"));
        assert!(
            html.contains("x&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img")
        );
        assert!(html.contains("sub&quot;&gt;&lt;script&gt;"));
        assert!(html.contains("data-id=\"id&quot;&lt;b&gt;\""));
        assert!(
            !html.chars().any(|c| c != '\n' && crate::text::is_unsafe(c)),
            "an unsafe character got through"
        );
        assert!(html.contains("&#39;\u{fffd}\u{fffd}]0;t\u{fffd}"));
    }

    #[test]
    fn unknown_scopes_read_unknown_never_no() {
        let a = audit(&[
            d("k1", "no scopes said", &[]),
            d("k2", "ms", &["mail.send"]),
        ]);
        let html = render(&a);
        let row = |id: &str| -> String {
            let start = html.find(&format!("data-id=\"{id}\"")).unwrap();
            let end = start + html[start..].find("</tr>").unwrap();
            html[start..end].to_owned()
        };
        let unknown = row("k1");
        assert_eq!(unknown.matches("data-level=\"unknown\"").count(), 25);
        assert!(!unknown.contains("data-level=\"no\""));
        assert!(unknown.contains("risk-unknown") && unknown.contains(">unknown<"));
        let known = row("k2");
        assert_eq!(known.matches("data-level=\"no\"").count(), 24);
        assert!(
            known.contains("data-cat=\"mail\" data-level=\"partial\""),
            "{known}"
        );
        assert!(
            known.contains("mail.send"),
            "the scopes behind a cell are in its title"
        );
    }

    #[test]
    fn summary_counts_and_header_counts() {
        let full: Vec<&str> = scopes::full_access_scopes().into_iter().collect();
        let a = audit(&[
            d("f", "admin", &full),
            d(
                "m",
                "minter",
                &[
                    "api_keys.create",
                    "api_keys.read",
                    "api_keys.update",
                    "api_keys.delete",
                ],
            ),
            d("r", "reader", &["api_keys.read", "stats.read"]),
            d(
                "b",
                "billing",
                &[
                    "billing.read",
                    "billing.update",
                    "billing.create",
                    "billing.delete",
                ],
            ),
        ]);
        let s = Summary::of(&a);
        assert_eq!(
            (s.keys, s.full_access, s.mint_keys, s.billing),
            (4, 1, 2, 1)
        );
        let html = render(&a);
        assert!(
            html.contains("data-cat=\"api_keys\" data-full=\"2\" data-read=\"1\""),
            "{html}"
        );
        assert!(html.contains("<dd data-count=\"mint_keys\">2</dd>"));
        assert_eq!(html.matches("<tr class=\"key\"").count(), 4);
    }

    #[test]
    fn self_contained_with_a_policy_that_matches_its_inline_parts() {
        let html = render(&audit(&[d("a", "ci", &["mail.send"])]));
        for external in ["src=", "href=", "@import", "url(", "http://", "https://"] {
            let n = html.matches(external).count();
            // the endpoint is shown as text
            let allowed = usize::from(external == "http://");
            assert!(n <= allowed, "{external} appears {n} times");
        }
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(!csp.contains("unsafe"));
        assert!(html.contains(&format!("<style>{STYLE}</style>")));
        assert!(html.contains(&format!("<script>{SCRIPT}</script>")));
        let page = &html[html.find("<body>").unwrap()..html.find("<script>").unwrap()];
        assert!(!page.contains(" hidden"), "nothing starts hidden");
        assert!(
            !page.contains("style=\""),
            "no style attribute (the CSP would block it)"
        );
    }
}
