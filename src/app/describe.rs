//! `v`: describe a key, k9s-style — one scrollable page with the key as SendGrid answers it right
//! now (the raw JSON of `GET /v3/api_keys/{id}`, indented but otherwise as sent), its scopes by
//! category, and its journal history. `/` searches (`n`/`N` to the next/previous match), `y`
//! copies the JSON.

use tui_input::Input;

use super::effects::*;
use super::keymap::{Action, Layer};
use super::*;
use crate::api::{ApiError, ApiKeyId, KeyDetail, OnBehalfOf, Region};
use crate::secret::Secret;

/// The largest answer shown (a key's JSON is a few KB; anything bigger is cut and says so).
pub const BODY_MAX: usize = 256 * 1024;

/// The describe view's state.
#[derive(Debug, Clone)]
pub struct DescribeView {
    pub id: ApiKeyId,
    pub name: String,
    /// Where the key lives (the all-contexts matrix can describe another context's key).
    pub ctx: Option<OnBehalfOf>,
    pub region: Option<Region>,
    /// The answer: the parsed key and its body as sent (sanitised).
    pub answer: Remote<(KeyDetail, String)>,
    /// First line shown.
    pub scroll: usize,
    pub search: Input,
    /// Typing the search (after `/`).
    pub searching: bool,
}

impl DescribeView {
    pub fn layer(&self) -> Layer {
        if self.searching {
            Layer::DescribeFilter
        } else {
            Layer::Describe
        }
    }
}

/// How a line of the page looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Heading,
    Text,
    Dim,
    Warn,
    Json,
}

/// One line of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescLine {
    pub kind: LineKind,
    pub text: String,
}

fn line(kind: LineKind, text: impl Into<String>) -> DescLine {
    DescLine {
        kind,
        text: text.into(),
    }
}

/// `v`: describe the selected key (in the all-contexts matrix, the selected row's key, in its
/// context); the key is read afresh, and the journal too (its history).
pub(crate) fn open(app: &mut App, out: &mut Vec<Command>) {
    let target = match app.sweep() {
        Some(_) => {
            let (_, pos, _) = app.matrix_cursor();
            let Some((ctx, e)) = app.matrix_entry(pos) else {
                return;
            };
            let (id, name) = (e.id.clone(), e.name.clone());
            let found = ctx.filter(|c| !c.is_empty()).and_then(|label| {
                app.sweep()?
                    .contexts
                    .iter()
                    .find(|c| c.label == label)
                    .map(|c| (c.ctx.clone(), c.region))
            });
            let (ctx, region) = found.unwrap_or((app.ctx.on_behalf_of.clone(), app.ctx.region));
            (id, name, ctx, region)
        }
        None => {
            let Some(e) = app.selected() else {
                return toast(app, Level::Info, "no key to describe");
            };
            (
                e.id.clone(),
                e.name.clone(),
                app.ctx.on_behalf_of.clone(),
                app.ctx.region,
            )
        }
    };
    let (id, name, ctx, region) = target;
    let req = request_in(
        app,
        ctx.clone(),
        region,
        Pending::Describe(id.clone()),
        ApiOp::Describe(id.clone()),
        out,
    );
    let mut answer = Remote::NotAsked;
    answer.start(req);
    app.modal = Some(Modal::Describe(Box::new(DescribeView {
        id,
        name,
        ctx,
        region,
        answer,
        scroll: 0,
        search: Input::default(),
        searching: false,
    })));
    super::rotate::read_journal(app, out);
}

/// The key's answer arrived.
pub(crate) fn answered(
    app: &mut App,
    req: ReqId,
    id: &ApiKeyId,
    r: Result<(KeyDetail, String), ApiError>,
) {
    let why = r.as_ref().err().map(super::errors::describe);
    // a fresh read of a key of this context: the list learns its scopes too
    let here = matches!(&app.modal, Some(Modal::Describe(v)) if v.ctx == app.ctx.on_behalf_of);
    if here && let Ok((detail, _)) = &r {
        super::list::set_info(app, detail.clone());
    }
    let Some(Modal::Describe(v)) = &mut app.modal else {
        return;
    };
    if &v.id != id || v.answer.req() != Some(req) {
        return;
    }
    match r {
        Ok(a) => v.answer.ready(a),
        Err(_) => v.answer.fail(why.unwrap_or_default()),
    }
}

/// The page: the key, its scopes by category, its journal history, its JSON.
pub fn describe_lines(app: &App, v: &DescribeView) -> Vec<DescLine> {
    let mut out = Vec::new();
    out.push(line(LineKind::Heading, crate::text::clean(&v.name)));
    out.push(line(
        LineKind::Dim,
        format!("id {}", crate::text::clean(v.id.as_str())),
    ));
    let context = match &v.ctx {
        None => format!("{} (own account)", app.ctx.account),
        Some(o) => o.header_value(),
    };
    out.push(line(
        LineKind::Dim,
        format!("context {}", crate::text::clean(&context)),
    ));
    let detail = match &v.answer {
        Remote::Ready((d, _)) => Some(d),
        Remote::Loading { .. } | Remote::NotAsked => {
            out.push(line(LineKind::Dim, "reading the key from SendGrid…"));
            None
        }
        Remote::Failed { error, .. } => {
            out.push(line(
                LineKind::Warn,
                format!("could not read the key: {error}"),
            ));
            None
        }
    };
    if let Some(d) = detail {
        scopes_section(d, &mut out);
    }
    journal_section(app, v, &mut out);
    if let Remote::Ready((_, body)) = &v.answer {
        out.push(DescLine {
            kind: LineKind::Text,
            text: String::new(),
        });
        out.push(line(
            LineKind::Heading,
            format!("JSON as SendGrid answered GET /v3/api_keys/{}", v.id),
        ));
        for l in indent_json(body).lines() {
            out.push(line(LineKind::Json, l));
        }
        if body.len() >= BODY_MAX {
            out.push(line(
                LineKind::Warn,
                format!("(cut at {} KB)", BODY_MAX / 1024),
            ));
        }
    }
    out
}

fn scopes_section(d: &KeyDetail, out: &mut Vec<DescLine>) {
    let class = crate::scopes::classify(&d.scopes);
    out.push(line(
        LineKind::Text,
        format!(
            "{} · {} granted",
            class.key_type.label(),
            crate::text::plural(class.counted, "scope", "scopes")
        ),
    ));
    let risk = crate::risk::combine(
        &crate::risk::scope_findings(&d.scopes, &class),
        &d.name,
        None,
    );
    for f in &risk.findings {
        out.push(line(
            if f.severity == crate::risk::Severity::High {
                LineKind::Warn
            } else {
                LineKind::Text
            },
            format!("● {:<7}{}", f.severity.label(), f.message),
        ));
    }
    out.push(line(LineKind::Text, String::new()));
    out.push(line(LineKind::Heading, "Scopes by category"));
    let mut any = false;
    for cl in class
        .levels
        .iter()
        .filter(|cl| cl.level != crate::scopes::Level::No)
    {
        any = true;
        let held: Vec<&str> = cl
            .category
            .scopes
            .iter()
            .copied()
            .filter(|s| d.scopes.iter().any(|h| h == s))
            .collect();
        out.push(line(
            LineKind::Text,
            format!(
                "{:<24} {:<8} {}/{}",
                cl.category.label,
                cl.level.label(),
                cl.held,
                cl.category.scopes.len()
            ),
        ));
        out.push(line(LineKind::Dim, format!("    {}", held.join(" "))));
    }
    if !any {
        out.push(line(LineKind::Dim, "no access in any category"));
    }
    if !class.auto_assigned.is_empty() {
        out.push(line(
            LineKind::Dim,
            format!(
                "added by SendGrid (not counted): {}",
                crate::text::clean(&class.auto_assigned.join(" "))
            ),
        ));
    }
    if !class.unknown.is_empty() {
        out.push(line(
            LineKind::Warn,
            format!(
                "not in sgkeys's catalog: {}",
                crate::text::clean(&class.unknown.join(" "))
            ),
        ));
    }
}

fn journal_section(app: &App, v: &DescribeView, out: &mut Vec<DescLine>) {
    out.push(line(LineKind::Text, String::new()));
    out.push(line(LineKind::Heading, "Journal history"));
    let entries = match &app.journal {
        Remote::Failed { error, .. } => {
            out.push(line(
                LineKind::Dim,
                format!("the journal could not be read: {error}"),
            ));
            return;
        }
        r => match r.value() {
            Some(e) => e,
            None => {
                out.push(line(LineKind::Dim, "reading the journal…"));
                return;
            }
        },
    };
    let id = v.id.as_str();
    let mine: Vec<&crate::journal::Entry> = entries
        .iter()
        .filter(|e| e.api_key_id == id || e.replaces.as_deref() == Some(id))
        .collect();
    if mine.is_empty() {
        out.push(line(
            LineKind::Dim,
            "no change to this key was made with sgkeys on this machine",
        ));
    }
    for e in mine {
        let what = if e.replaces.as_deref() == Some(id) && e.api_key_id != id {
            format!("replaced by {}", e.api_key_id)
        } else {
            e.action.label().to_owned()
        };
        let mut text = format!(
            "{}  {:<18} {}",
            app.clock.local_stamp(&e.time),
            what,
            super::journal::outcome_label(e)
        );
        if let (Some(before), Some(after)) = (&e.name_before, &e.name) {
            text.push_str(&format!("  '{before}' → '{after}'"));
        }
        if let Some(err) = &e.error {
            text.push_str(&format!("  {err}"));
        }
        text.push_str(&format!("  ({})", e.source));
        out.push(line(LineKind::Text, crate::text::clean(&text)));
    }
}

/// JSON text indented two spaces per level, one member per line: whitespace outside strings
/// changes, nothing else (the key order and every value stay as sent). Text that is not JSON
/// comes back as it is.
pub fn indent_json(s: &str) -> String {
    let trimmed = s.trim();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() * 2);
    let mut depth = 0usize;
    let (mut in_str, mut escaped) = (false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut chars = trimmed.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // an empty object or array stays on one line
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    continue;
                }
                depth += 1;
                newline(&mut out, depth);
            }
            '}' | ']' => {
                if !matches!(out.chars().last(), Some('{' | '[')) {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// Lines of the page that match the search, in order.
pub fn matches(lines: &[DescLine], needle: &str) -> Vec<usize> {
    let needle = needle.trim().to_lowercase();
    if needle.is_empty() {
        return Vec::new();
    }
    (0..lines.len())
        .filter(|&i| lines[i].text.to_lowercase().contains(&needle))
        .collect()
}

/// Rows of the page on a screen `screen_h` high, for scrolling by pages and keeping a match in
/// view: the geometry `ui::describe` draws with (the region under the header and above the
/// status and hint lines, a margin above and below, the border, the search row and a gap).
pub fn page_rows(screen_h: u16) -> usize {
    usize::from(screen_h).saturating_sub(3 + 2 + 2 + 2).max(1)
}

pub(crate) fn describe_action(app: &mut App, layer: Layer, a: Action, out: &mut Vec<Command>) {
    let (lines, page) = match &app.modal {
        Some(Modal::Describe(v)) => (describe_lines(app, v), page_rows(app.size.1)),
        _ => return,
    };
    let max = lines.len().saturating_sub(page);
    let Some(Modal::Describe(v)) = &mut app.modal else {
        return;
    };
    let hits = matches(&lines, v.search.value());
    let next = |from: usize, v: &mut DescribeView| {
        if let Some(&i) = hits.iter().find(|&&i| i > from).or(hits.first()) {
            v.scroll = i.min(max);
        }
    };
    match (layer, a) {
        (Layer::Describe, Action::Back) => close_modal(app),
        (Layer::DescribeFilter, Action::Back) => {
            v.search = Input::default();
            v.searching = false;
        }
        (Layer::DescribeFilter, Action::Enter) => v.searching = false,
        (Layer::Describe, Action::Filter) => v.searching = true,
        (Layer::Describe, Action::NextMatch) => next(v.scroll, v),
        (Layer::Describe, Action::PrevMatch) => {
            if let Some(&i) = hits.iter().rev().find(|&&i| i < v.scroll).or(hits.last()) {
                v.scroll = i.min(max);
            }
        }
        (_, Action::Down) => v.scroll = (v.scroll + 1).min(max),
        (_, Action::Up) => v.scroll = v.scroll.min(max).saturating_sub(1),
        (_, Action::Top) => v.scroll = 0,
        (_, Action::Bottom) => v.scroll = max,
        (_, Action::PageDown | Action::HalfDown) => {
            let step = if a == Action::HalfDown {
                page / 2
            } else {
                page
            };
            v.scroll = (v.scroll + step.max(1)).min(max);
        }
        (_, Action::PageUp | Action::HalfUp) => {
            let step = if a == Action::HalfUp { page / 2 } else { page };
            v.scroll = v.scroll.min(max).saturating_sub(step.max(1));
        }
        (Layer::Describe, Action::CopyId) => {
            let copy = match &v.answer {
                Remote::Ready((_, body)) => Some((body.clone(), v.id.clone())),
                _ => None,
            };
            match copy {
                Some((body, id)) => out.push(Command::Copy {
                    text: Secret::from_server(body),
                    what: Clip::Json(id),
                }),
                None => toast(app, Level::Info, "the key's JSON is not read yet"),
            }
        }
        _ => {}
    }
}

/// The search changed: the first match from the top of the page is brought into view.
pub(crate) fn search_changed(app: &mut App) {
    let (lines, page) = match &app.modal {
        Some(Modal::Describe(v)) => (describe_lines(app, v), page_rows(app.size.1)),
        _ => return,
    };
    let max = lines.len().saturating_sub(page);
    if let Some(Modal::Describe(v)) = &mut app.modal
        && let Some(&i) = matches(&lines, v.search.value()).first()
    {
        v.scroll = i.min(max);
    }
}

/// The body of an answer, for display: at most [`BODY_MAX`] bytes, sanitised (newlines and
/// tabs kept).
pub fn body_text(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(BODY_MAX)];
    crate::text::clean_block(&String::from_utf8_lossy(cut)).into_owned()
}
