//! The detail pane: the selected key's name, id, type and risk findings on top, then its access
//! per permission category (`app::detail_rows`), expandable to single scopes, with auto-assigned
//! and unknown scopes listed apart. Scrolls so the cursor row stays visible, without state.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::text::{
    center_offset, clean, pad, pad_left, plural, put_centered, put_line, rule, style_row, truncate,
    width, wrap, wrap_max,
};
use super::theme::{Theme, severity_symbol};
use crate::app::{App, DetailRow, KeyEntry, Pane, detail_rows};
use crate::risk::Finding;
use crate::scopes::Level;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let focused = app.focus == Pane::Detail && app.modal.is_none();
    let block = theme.pane(" Scopes ", focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.is_empty() {
        return;
    }
    let buf = frame.buffer_mut();
    let Some(entry) = app.selected() else {
        // never a blank pane: why there is nothing to show
        let why = if !app.view.rows.is_empty() {
            "Select a key to see its scopes"
        } else if !app.keys.ever_loaded() && app.keys.status.error().is_some() {
            "No key to show: the key list could not be loaded"
        } else if !app.keys.ever_loaded() {
            "A key's scopes show here once the list is read"
        } else {
            "No key selected"
        };
        put_centered(buf, inner, &[(why.into(), theme.dim)]);
        return;
    };
    let w = inner.width as usize;
    let h = inner.height as usize;

    // summary: name, id, type, findings
    let mut head: Vec<Line> = Vec::new();
    head.push(Line::from(Span::styled(
        truncate(&clean(&entry.name), w).into_owned(),
        theme.strong,
    )));
    head.push(Line::from(vec![
        Span::styled("id ", theme.dim),
        Span::styled(
            truncate(&clean(entry.id.as_str()), w.saturating_sub(3)).into_owned(),
            theme.base,
        ),
    ]));
    head.push(type_line(entry, theme));
    if let Some(p) = crate::app::rotate::pending_line(app, &entry.id) {
        head.push(Line::from(Span::styled(
            truncate(&clean(&p), w).into_owned(),
            theme.warn,
        )));
    }
    let findings_room = (h / 3).max(1);
    head.extend(findings(
        &entry.risk.findings,
        entry.info().is_some(),
        w,
        findings_room,
        theme,
    ));
    head.push(Line::from(Span::styled(rule(w), theme.border)));
    // keep at least a few rows for the body on short panes
    let head_max = h.saturating_sub(3).max(1);
    head.truncate(head_max);
    for (i, l) in head.iter().enumerate() {
        put_line(buf, inner, i as u16, l);
    }
    let body = Rect {
        y: inner.y + head.len() as u16,
        height: inner.height.saturating_sub(head.len() as u16),
        ..inner
    };
    if body.is_empty() {
        return;
    }

    let Some(info) = entry.info() else {
        let lines: Vec<(String, Style)> = match entry.state.error() {
            Some(reason) => vec![
                (
                    format!("Could not load scopes: {}", clean(reason)),
                    theme.danger,
                ),
                (
                    format!(
                        "{} to retry",
                        crate::app::keymap::user::key_name(
                            crate::app::keymap::Layer::Detail,
                            crate::app::keymap::Action::Refresh
                        )
                    ),
                    theme.dim,
                ),
            ],
            _ => vec![(
                format!("{} Loading scopes…", super::status::spinner(app)),
                theme.dim,
            )],
        };
        put_centered(buf, body, &lines);
        return;
    };

    // body: category rows (the cursor moves over these), then notes
    let rows = detail_rows(app);
    let class = info.classify();
    let mut lines: Vec<Line> = rows
        .iter()
        .map(|r| row_line(r, app, info, w, theme))
        .collect();
    if rows.is_empty() {
        lines.push(Line::from(Span::styled(
            "No access in any category",
            theme.dim,
        )));
    }
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled("a", theme.key),
        Span::styled(
            if app.detail.show_all {
                ": hide No Access categories"
            } else {
                ": show No Access categories"
            },
            theme.dim,
        ),
    ]));
    scope_note(
        &mut lines,
        "Other (not in the catalog):",
        &class.unknown,
        theme.warn,
        theme.base,
        w,
    );
    scope_note(
        &mut lines,
        "Auto-assigned by SendGrid (not counted):",
        &class.auto_assigned,
        theme.dim,
        theme.dim,
        w,
    );

    // when it overflows, the last row says how much is hidden
    let overflow = lines.len() > body.height as usize && body.height > 1;
    let bh = body.height as usize - usize::from(overflow);
    let cursor = app.detail.cursor.min(rows.len().saturating_sub(1));
    let offset = if rows.is_empty() {
        0
    } else {
        center_offset(cursor, lines.len(), bh)
    };
    for (i, line) in lines.iter().skip(offset).take(bh).enumerate() {
        put_line(buf, body, i as u16, line);
        if focused && !rows.is_empty() && offset + i == cursor {
            style_row(buf, body, i as u16, theme.selected);
        }
    }
    if overflow {
        put_line(
            buf,
            body,
            bh as u16,
            &more_line(offset, lines.len().saturating_sub(offset + bh), w, theme),
        );
    }
}

/// `↑ 3 · ↓ 12 more` right-aligned in `w` columns.
pub fn more_line<'a>(above: usize, below: usize, w: usize, theme: &Theme) -> Line<'a> {
    let mut parts = Vec::new();
    if above > 0 {
        parts.push(format!("↑ {above}"));
    }
    if below > 0 {
        parts.push(format!("↓ {below}"));
    }
    let text = if parts.is_empty() {
        String::new()
    } else {
        format!("{} more", parts.join(" · "))
    };
    Line::from(Span::styled(pad_left(&text, w), theme.dim))
}

fn type_line<'a>(entry: &KeyEntry, theme: &Theme) -> Line<'a> {
    match entry.info() {
        Some(info) => {
            let t = info.key_type;
            Line::from(vec![
                Span::styled(t.label(), theme.badge(t).patch(theme.strong)),
                Span::styled(
                    format!(" · {}", plural(info.counted, "scope", "scopes")),
                    theme.dim,
                ),
            ])
        }
        None => Line::from(Span::styled("type …", theme.dim)),
    }
}

fn findings<'a>(
    list: &[Finding],
    scopes_known: bool,
    w: usize,
    max_lines: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    if list.is_empty() {
        if scopes_known {
            out.push(Line::from(Span::styled("✓ No risk findings", theme.ok)));
        }
        return out;
    }
    const INDENT: usize = 9;
    let msg_w = w.saturating_sub(INDENT).max(8);
    for (i, f) in list.iter().enumerate() {
        let left = list.len() - i;
        let room = max_lines.saturating_sub(out.len());
        if room == 0 || (room == 1 && left > 1) {
            out.push(Line::from(Span::styled(
                format!("  +{} more findings", left),
                theme.dim,
            )));
            break;
        }
        let style = theme.severity(f.severity);
        let wrapped = wrap_max(&clean(&f.message), msg_w, 2.min(room));
        for (j, text) in wrapped.into_iter().enumerate() {
            let lead = if j == 0 {
                vec![
                    Span::styled(severity_symbol(f.severity), style),
                    Span::raw(" "),
                    Span::styled(pad(f.severity.label(), INDENT - 3), style),
                    Span::raw(" "),
                ]
            } else {
                vec![Span::raw(" ".repeat(INDENT))]
            };
            let mut spans = lead;
            spans.push(Span::styled(text, theme.base));
            out.push(Line::from(spans));
        }
    }
    out
}

/// Width of the level pill column.
const PILL_W: usize = 9;

/// A level as a pill (`No` plain and dim; the others as a chip), padded to `PILL_W`.
pub fn pill<'a>(level: Level, theme: &Theme) -> Vec<Span<'a>> {
    let text = if level == Level::No {
        level.short().to_owned()
    } else {
        format!(" {} ", level.short())
    };
    let fill = PILL_W.saturating_sub(width(&text));
    vec![
        Span::styled(text, theme.level(level)),
        Span::raw(" ".repeat(fill)),
    ]
}

/// Most Partial categories hold one or two scopes (`mail.send`): name them after the label.
const NAMED_MAX: usize = 2;
/// Narrowest room worth showing a (truncated) scope name in.
const NAMED_MIN_W: usize = 12;

/// The held scopes of a Partial category as they fit in `room` columns: all of them, else the
/// first and `+N`, else the list cut with `…`; None when there is no useful room.
fn held_names(names: &[&str], room: usize) -> Option<String> {
    let all = names.join(", ");
    if width(&all) <= room {
        return Some(all);
    }
    if let [first, rest @ ..] = names
        && !rest.is_empty()
    {
        let short = format!("{first} +{}", rest.len());
        if width(&short) <= room {
            return Some(short);
        }
    }
    (room >= NAMED_MIN_W).then(|| truncate(&all, room).into_owned())
}

fn row_line<'a>(
    row: &DetailRow,
    app: &App,
    info: &crate::app::KeyInfo,
    w: usize,
    theme: &Theme,
) -> Line<'a> {
    match *row {
        DetailRow::Category {
            category,
            level,
            held,
        } => {
            let expanded = app.detail.expanded.contains(category.id);
            // the held/total count goes first on narrow panes
            let show_count = w >= 30;
            let label_w = w.saturating_sub(2 + 1 + PILL_W + if show_count { 6 } else { 0 });
            let label_style = if level == Level::No {
                theme.dim
            } else {
                theme.base
            };
            let mut spans = vec![Span::styled(if expanded { "▾ " } else { "▸ " }, theme.dim)];
            // `Mail Send  mail.send`: the few scopes of a Partial category, when there is room
            let names: Vec<&str> = if level == Level::Partial && held <= NAMED_MAX {
                category
                    .scopes
                    .iter()
                    .copied()
                    .filter(|s| info.holds(s))
                    .collect()
            } else {
                Vec::new()
            };
            let label_cols = width(category.label);
            let named = (!names.is_empty() && label_cols < label_w)
                .then(|| held_names(&names, label_w.saturating_sub(label_cols + 2)))
                .flatten();
            match named {
                Some(text) => {
                    let text = format!("  {text}");
                    let fill = label_w.saturating_sub(label_cols + width(&text));
                    spans.push(Span::styled(category.label, label_style));
                    spans.push(Span::styled(text, theme.dim));
                    spans.push(Span::raw(" ".repeat(fill)));
                }
                None => spans.push(Span::styled(pad(category.label, label_w), label_style)),
            }
            spans.push(Span::raw(" "));
            spans.extend(pill(level, theme));
            if show_count {
                spans.push(Span::raw(" "));
                spans.push(Span::styled(
                    pad_left(&format!("{held}/{}", category.scopes.len()), 5),
                    theme.dim,
                ));
            }
            Line::from(spans)
        }
        DetailRow::Scope { scope, held, .. } => {
            let (mark, style) = if held {
                ("✓", theme.ok)
            } else {
                ("·", theme.dim)
            };
            Line::from(vec![
                Span::raw("  "),
                Span::styled(mark, style),
                Span::raw(" "),
                Span::styled(
                    truncate(scope, w.saturating_sub(4)).into_owned(),
                    if held { theme.base } else { theme.dim },
                ),
            ])
        }
    }
}

/// A titled, wrapped list of scope names below the categories (nothing when empty).
fn scope_note(
    lines: &mut Vec<Line<'_>>,
    title: &'static str,
    scopes: &[String],
    head: Style,
    body: Style,
    w: usize,
) {
    if scopes.is_empty() {
        return;
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(title, head)));
    let list = scopes
        .iter()
        .map(|s| clean(s).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    lines.extend(
        wrap(&list, w.saturating_sub(2))
            .into_iter()
            .map(|l| Line::from(Span::styled(format!("  {l}"), body))),
    );
}

#[cfg(test)]
mod tests {
    use super::held_names;

    #[test]
    fn partial_scopes_fit_their_room() {
        let two = ["alerts.create", "alerts.read"];
        assert_eq!(
            held_names(&two, 40).as_deref(),
            Some("alerts.create, alerts.read")
        );
        assert_eq!(held_names(&two, 20).as_deref(), Some("alerts.create +1"));
        assert_eq!(held_names(&two, 13).as_deref(), Some("alerts.creat…"));
        assert_eq!(held_names(&two, 11), None);
        assert_eq!(held_names(&["mail.send"], 9).as_deref(), Some("mail.send"));
        assert_eq!(held_names(&["mail.send"], 5), None);
        assert_eq!(held_names(&["mail.send"], 0), None);
    }
}
