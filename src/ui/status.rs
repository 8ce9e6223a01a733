//! The status line (filter input or list summary · toast · spinner with what is pending, or how
//! long ago the list was read) and the key-hint line (from the keymap table, so hints never lie).

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::text::{clean, fit_spans, put_line, put_line_at, truncate, width};
use super::theme::Theme;
use crate::app::keymap::{self, Action, Binding};

use crate::app::{App, Level};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The spinner frame for the current time (80 ms per frame).
pub fn spinner(app: &App) -> &'static str {
    SPINNER[((app.now_ms / 80) % SPINNER.len() as u64) as usize]
}

/// `just now`, `12s ago`, `3m ago`, `2h ago`.
pub fn ago(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..5 => "just now".into(),
        5..60 => format!("{s}s ago"),
        60..3600 => format!("{}m ago", s / 60),
        3600..172_800 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86_400),
    }
}

/// What is in flight, in words; empty when idle.
pub fn pending_text(app: &App) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(w) = &app.rate_wait {
        out.push(w.text());
    }
    out.extend(crate::app::leak::waiting(app));
    if app.keys.status.is_loading() {
        out.push(if app.keys.ever_loaded() {
            "refreshing…".into()
        } else {
            "loading keys…".into()
        });
    }
    if app.keys.prefetch.active() {
        out.push(format!(
            "scopes {}/{}",
            app.keys.prefetch.done, app.keys.prefetch.total
        ));
    } else if app
        .selected()
        .is_some_and(|e| e.info().is_none() && e.state.is_loading())
    {
        out.push("loading scopes…".into());
    }
    if app.pending_mutations() > 0 {
        out.push("saving…".into());
    }
    if app.subusers.is_loading() {
        out.push("loading subusers…".into());
    }
    if out.is_empty() && app.busy() {
        out.push("working…".into());
    }
    out
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let w = area.width as usize;

    // left: the filter input while typing, else a summary
    let mut left: Vec<Span> = Vec::new();
    let mut cursor: Option<u16> = None;
    let editing = app.filter.editing && app.modal.is_none();
    if editing {
        let field_w = (w / 2).clamp(4.min(w), 60);
        let input = &app.filter.input;
        let text_w = field_w.saturating_sub(2).max(1);
        let scroll = input.visual_scroll(text_w);
        let shown = skip_cols(&clean(input.value()), scroll, text_w);
        left.push(Span::styled(" /", theme.accent));
        let shown_w = width(&shown);
        left.push(Span::styled(shown, theme.base));
        left.push(Span::raw(" ".repeat(text_w.saturating_sub(shown_w))));
        cursor = Some(
            (2 + input.visual_cursor().saturating_sub(scroll)).min(w.saturating_sub(1)) as u16,
        );
    } else {
        summary(app, theme, &mut left);
    }
    if let Some(bad) = app.filter.query.invalid() {
        left.push(Span::styled(
            format!("  ⚠ not a filter term: {}", truncate(&clean(bad), 24)),
            theme.warn,
        ));
    }

    // far right: what is pending, then the spinner in a fixed cell; else when the list was read
    let pending = pending_text(app);
    // rows from the inventory: how old its list is (offline: nothing else comes)
    let inventory = crate::app::list::inventory_age(app).map(|age| {
        let list = match age {
            Some(a) => format!("inventory {}", ago(a)),
            None => "inventory, list never read in full".into(),
        };
        if app.offline {
            format!("offline · read-only · {list}")
        } else {
            list
        }
    });
    let mut right_text = if let Some(inv) = inventory.filter(|_| app.offline || !pending.is_empty())
    {
        if pending.is_empty() {
            inv
        } else {
            format!("{inv} · {}", pending.join(" · "))
        }
    } else if !pending.is_empty() {
        pending.join(" · ")
    } else if let Some(at) = app.keys.loaded_at() {
        format!("updated {}", ago(app.now_ms.saturating_sub(at)))
    } else {
        String::new()
    };

    // middle: the toast. It matters more than the summary and the "updated" time.
    let mut toast: Vec<Span> = Vec::new();
    if let Some(t) = &app.toast {
        let (icon, style) = toast_look(t.level, theme);
        // when it happened: the clock time, and how long ago once it lingers
        let age = app.now_ms.saturating_sub(t.at_ms);
        let when = if age >= 5_000 {
            format!(" · {} {}", app.clock.hms(t.at_ms), ago(age))
        } else {
            format!(" · {}", app.clock.hms(t.at_ms))
        };
        let suffix = if t.level == Level::Error {
            let esc = keymap::user::key_name(keymap::Layer::List, Action::Back);
            format!("{when} ({esc} dismisses)")
        } else {
            when
        };
        let suffix = suffix.as_str();
        let text = clean(&t.text);
        let need = width(icon) + 1 + width(&text) + width(suffix);
        let lw: usize = left.iter().map(|s| width(&s.content)).sum();
        let rw = if right_text.is_empty() {
            3
        } else {
            width(&right_text) + 3
        };
        if lw + 2 + need + 2 + rw > w && pending.is_empty() {
            right_text.clear();
        }
        let rw = if right_text.is_empty() {
            3
        } else {
            width(&right_text) + 3
        };
        if lw + 2 + need + 2 + rw > w && !editing {
            left.clear();
        }
        let lw: usize = left.iter().map(|s| width(&s.content)).sum();
        let room = w.saturating_sub(lw + 2 + 2 + rw);
        if room > 8 {
            let mut body = room.saturating_sub(width(icon) + 1 + width(suffix)).max(4);
            // cut: the whole text is in the @ log, and the toast says so
            let more = " (@ all)";
            let cut = width(&text) > body;
            if cut {
                body = body.saturating_sub(width(more)).max(4);
            }
            toast.push(Span::raw("  "));
            toast.push(Span::styled(
                format!(
                    "{icon} {}{}{suffix}",
                    truncate(&text, body),
                    if cut { more } else { "" }
                ),
                style,
            ));
        }
    }
    // a wait for the rate-limit window is said whole where it fits
    let cap = if app.rate_wait.is_some() {
        w / 2
    } else {
        w / 3
    };
    let right_text = truncate(&right_text, cap.max(8)).into_owned();
    let spin = if app.busy() { spinner(app) } else { " " };
    let right = Line::from(vec![
        Span::styled(right_text, theme.dim),
        Span::raw(" "),
        Span::styled(spin, theme.accent),
        Span::raw(" "),
    ]);
    let rw = super::text::line_width(&right);
    let mut line = left;
    line.extend(toast);
    let line = fit_spans(line, w.saturating_sub(rw + 1));

    let buf = frame.buffer_mut();
    put_line(buf, area, 0, &Line::from(line));
    let col = area.width.saturating_sub(rw as u16);
    put_line_at(buf, area, col, 0, &right);
    if let Some(x) = cursor {
        frame.set_cursor_position(Position::new(area.x + x, area.y));
    }
}

fn toast_look(level: Level, theme: &Theme) -> (&'static str, Style) {
    let icon = match level {
        Level::Info => "•",
        Level::Success => "✓",
        Level::Warn => "⚠",
        Level::Error => "✗",
    };
    (icon, theme.toast(level))
}

fn summary(app: &App, theme: &Theme, out: &mut Vec<Span<'static>>) {
    let total = app.keys.entries.len();
    if !app.keys.ever_loaded() && total == 0 {
        if app.keys.status.error().is_some() {
            out.push(Span::styled(" not loaded", theme.danger));
        }
        return;
    }
    // the all-contexts matrix counts what its title counts: every context's keys
    let (n, total, contexts) = match app.sweep() {
        Some(s) => (
            s.rows.len(),
            total
                + s.contexts
                    .iter()
                    .map(|c| c.keys.entries.len())
                    .sum::<usize>(),
            Some(s.contexts.len() + 1),
        ),
        None => (app.view.rows.len(), total, None),
    };
    let keys = |n: usize| crate::text::plural(n, "key", "keys");
    let count = if app.filter.active() {
        format!(" {n}/{}", keys(total))
    } else {
        format!(" {}", keys(total))
    };
    out.push(Span::styled(count, theme.base));
    if let Some(k) = contexts {
        out.push(Span::styled(format!(" in {k} contexts"), theme.base));
    }
    if !app.view.marks.is_empty() {
        out.push(Span::styled(" · ", theme.dim));
        out.push(Span::styled(
            format!("{} marked", app.view.marks.len()),
            theme.marked,
        ));
    }
    if app.filter.active() {
        out.push(Span::styled(" · filter: ", theme.dim));
        out.push(Span::styled(
            truncate(clean(app.filter.input.value()).trim(), 30).into_owned(),
            theme.accent,
        ));
    }
}

/// The `:` command line over the status line: the input, the completion it would take (dim),
/// and the other candidates.
pub fn draw_command(
    frame: &mut Frame,
    screen: Rect,
    app: &App,
    c: &crate::app::CommandLine,
    theme: &Theme,
) {
    let a = crate::app::layout::areas(screen.width, screen.height);
    let area = Rect {
        x: a.status.x + screen.x,
        y: a.status.y + screen.y,
        ..a.status
    }
    .intersection(screen);
    if area.is_empty() {
        return;
    }
    let w = area.width as usize;
    let typed = c.input.value();
    let field_w = (w / 2).clamp(4.min(w), 60);
    let text_w = field_w.saturating_sub(2).max(1);
    let scroll = c.input.visual_scroll(text_w);
    let shown = skip_cols(&clean(typed), scroll, text_w);
    let all = crate::app::command::completions(app, typed);
    // what Enter runs is what is typed: the suggestion stands apart (after the field, labelled
    // with the key that takes it, in its own style), never as if it were typed
    let mut spans = vec![
        Span::styled(" :", theme.accent),
        Span::styled(shown.clone(), theme.base),
        Span::raw(" ".repeat(text_w.saturating_sub(width(&shown)))),
    ];
    let next = all
        .first()
        .filter(|c| c.as_str() != typed.trim())
        .map(|c| format!(":{}", clean(c)));
    if let Some(next) = next {
        spans.push(Span::styled("  Tab ", theme.key));
        spans.push(Span::styled(next, theme.suggestion));
    }
    let others: Vec<String> = if all.is_empty() && !typed.trim().is_empty() {
        vec!["no such command".into()]
    } else {
        all.iter()
            .skip(1)
            .take(8)
            .map(|s| format!(":{s}"))
            .collect()
    };
    if !others.is_empty() {
        spans.push(Span::styled(
            format!("  {}", clean(&others.join("  "))),
            theme.dim,
        ));
    }
    let buf = frame.buffer_mut();
    buf.set_style(area, theme.base);
    let line = Line::from(fit_spans(spans, w));
    // blank the status line first: the command line replaces it
    put_line(buf, area, 0, &Line::from(" ".repeat(w)));
    put_line(buf, area, 0, &line);
    let x = (2 + c.input.visual_cursor().saturating_sub(scroll)).min(w.saturating_sub(1)) as u16;
    frame.set_cursor_position(Position::new(area.x + x, area.y));
}

/// `s` with its first `skip` columns dropped, at most `w` columns.
fn skip_cols(s: &str, skip: usize, w: usize) -> String {
    let mut col = 0;
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if col < skip {
            col += cw;
            continue;
        }
        if used + cw > w {
            break;
        }
        out.push(c);
        used += cw;
    }
    out
}

/// A binding's description shortened for the hint line: `filter (name, …)` → `filter`.
pub use keymap::short_desc;

/// The first chord of a binding, as shown in hints.
pub fn first_key(b: &Binding) -> String {
    b.keys.first().map(keymap::chord_label).unwrap_or_default()
}

/// The hint line: `key desc` pairs of the current layer, most important first (the keymap's
/// [`keymap::HINT_ORDER`]): when they do not all fit, the least important are left out and the
/// help key, always last, says `? more`.
pub fn draw_hints(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    // a key that did nothing while an error holds the status line is said here, for a moment
    if let Some(t) = &app.aside {
        let (icon, style) = toast_look(t.level, theme);
        let line = Line::from(vec![Span::styled(format!(" {icon} {}", t.text), style)]);
        put_line(frame.buffer_mut(), area, 0, &line);
        return;
    }
    let spans = hint_spans(app, area.width as usize, theme);
    put_line(frame.buffer_mut(), area, 0, &Line::from(spans));
}

/// The hint line's items, fitted to `w` columns: `(keys, description)`.
pub fn hint_items(app: &App, w: usize) -> Vec<(String, &'static str)> {
    let _keys = keymap::using(app.keymap);
    let layer = app.layer();
    let ro = app.ctx.read_only;
    let hints: Vec<&Binding> = keymap::hints(layer, ro)
        .into_iter()
        .filter(|b| keymap::available(app, b))
        .collect();
    let help = hints.iter().find(|b| b.action == Action::Help);
    // hints saying the same share one item: `h/l change`
    let mut items: Vec<(String, &'static str)> = Vec::new();
    for b in hints.iter().filter(|b| b.action != Action::Help) {
        let (k, d) = (first_key(b), short_desc(b.desc));
        match items.iter_mut().find(|(_, desc)| *desc == d) {
            Some((keys, _)) => {
                keys.push('/');
                keys.push_str(&k);
            }
            None => items.push((k, d)),
        }
    }
    let item_w = |k: &str, d: &str| width(k) + 1 + width(d) + 2;
    let tail = help.map(|b| first_key(b));
    let all_w: usize = 1
        + items.iter().map(|(k, d)| item_w(k, d)).sum::<usize>()
        + tail.as_ref().map_or(0, |k| item_w(k, "help"));
    let fits_all = all_w <= w;
    let reserve = match (&tail, fits_all) {
        (Some(k), false) => item_w(k, "more"),
        _ => 0,
    };
    let mut out = Vec::new();
    let mut used = 1;
    for (k, d) in items {
        let iw = item_w(&k, d);
        if !fits_all && used + iw + reserve > w {
            break;
        }
        used += iw;
        out.push((k, d));
    }
    if let Some(k) = tail {
        out.push((k, if fits_all { "help" } else { "more" }));
    }
    out
}

fn hint_spans(app: &App, w: usize, theme: &Theme) -> Vec<Span<'static>> {
    let mut spans = vec![Span::raw(" ")];
    for (k, d) in hint_items(app, w) {
        push_item(&mut spans, &k, d, theme);
    }
    spans
}

fn push_item(spans: &mut Vec<Span<'static>>, key: &str, desc: &str, theme: &Theme) {
    spans.push(Span::styled(key.to_owned(), theme.key));
    spans.push(Span::styled(format!(" {desc}  "), theme.dim));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_descriptions() {
        assert_eq!(
            short_desc("filter (name, id, scope:glob, type:, risk:)"),
            "filter"
        );
        assert_eq!(short_desc("sort: API order, name, type, risk"), "sort");
        assert_eq!(short_desc("revoke key(s)"), "revoke key(s)");
    }

    #[test]
    fn ages() {
        assert_eq!(ago(0), "just now");
        assert_eq!(ago(12_400), "12s ago");
        assert_eq!(ago(125_000), "2m ago");
        assert_eq!(ago(7_300_000), "2h ago");
        assert_eq!(ago(90_000_000), "25h ago");
        assert_eq!(ago(260_000_000), "3d ago");
    }
}
