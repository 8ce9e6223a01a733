//! The key list pane: a bordered table of the visible slice of `view.rows` (never more than fits,
//! so 10 000 keys cost the same as 20), with marks, risk markers and type badges, a scrollbar and
//! a position indicator; or one of the distinct loading / error / empty / no-match screens.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text::{clean, inset_x, pad, put_centered, put_line, style_row, truncate, width};
use super::theme::{Theme, severity_symbol};
use crate::app::keymap::user::key_name;
use crate::app::keymap::{Action, Layer as L};
use crate::app::layout::visible_offset;
use crate::app::{App, KeyEntry, Pane, SortKey};

use crate::app::layout::{
    FIRST_SEEN_NAME_MIN, FIRST_SEEN_W, ID_MIN_WIDTH, ID_W, RISK_W, SCOPES_W, TYPE_W,
    TYPE_W_REVOKING, list_wide_fits,
};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let focused = app.focus == Pane::List && app.modal.is_none();
    let n = app.view.rows.len();
    let title = title(app, area.width.saturating_sub(4) as usize);
    let block = theme.list_pane(title, focused, (app.view.selected, n), area.width);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.is_empty() {
        return;
    }
    let buf = frame.buffer_mut();

    if n == 0 && !app.keys.ever_loaded() && app.keys.status.error().is_none() {
        return placeholders(app, inner, buf, theme);
    }
    if n == 0 {
        let lines = empty_state(app, theme);
        put_centered(buf, inset_x(inner, 2), &lines);
        return;
    }

    let w = inner.width as usize;
    let cap = inner.height.saturating_sub(1) as usize;
    let selected = app.view.selected.min(n - 1);
    let offset = visible_offset(app.view.offset, selected, cap, n);
    let end = (offset + cap).min(n);
    let visible = || {
        app.view
            .rows
            .get(offset..end)
            .unwrap_or(&[])
            .iter()
            .filter_map(|i| app.keys.entries.get(*i))
    };
    let type_w =
        if visible().any(|e| e.state.is_revoking() || app.pending_rotation(&e.id).is_some()) {
            TYPE_W_REVOKING
        } else {
            TYPE_W
        };
    let show_id = area.width >= ID_MIN_WIDTH;
    let mut name_w = w.saturating_sub(3 + type_w + 1 + if show_id { ID_W + 1 } else { 0 });
    let wide = app.wide() && list_wide_fits(area.width);
    if wide {
        name_w -= SCOPES_W + RISK_W + 2;
    }
    // once the inventory holds this context: when sgkeys first saw each key
    let first_seen =
        wide && !app.keys.first_seen.is_empty() && name_w > FIRST_SEEN_NAME_MIN + FIRST_SEEN_W;
    if first_seen {
        name_w -= FIRST_SEEN_W + 1;
    }

    // column header
    let mut head = vec![Span::styled(
        format!("   {}", pad("Name", name_w)),
        theme.column_header,
    )];
    if show_id {
        head.push(Span::styled(
            format!(" {}", pad("Id", ID_W)),
            theme.column_header,
        ));
    }
    head.push(Span::styled(
        format!(" {}", pad("Type", type_w)),
        theme.column_header,
    ));
    if wide {
        head.push(Span::styled(
            format!(" {:>SCOPES_W$} {}", "Scopes", pad("Risk", RISK_W)),
            theme.column_header,
        ));
    }
    if first_seen {
        head.push(Span::styled(
            format!(" {}", pad("First seen", FIRST_SEEN_W)),
            theme.column_header,
        ));
    }
    put_line(buf, inner, 0, &Line::from(head));

    let rows_area = Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    };
    if cap == 0 {
        return;
    }
    let sel_style = if focused {
        theme.selected
    } else {
        theme.selected_unfocused
    };
    for (row, pos) in (offset..end).enumerate() {
        let Some(entry) = app
            .view
            .rows
            .get(pos)
            .and_then(|i| app.keys.entries.get(*i))
        else {
            continue;
        };
        let mut line = row_line(app, entry, name_w, show_id, type_w, theme);
        if wide {
            wide_cells(&mut line, entry, theme);
        }
        if first_seen {
            let seen = crate::app::list::first_seen_age(app, entry)
                .map_or_else(|| "—".to_owned(), super::status::ago);
            line.spans.push(Span::raw(" "));
            line.spans
                .push(Span::styled(pad(&seen, FIRST_SEEN_W), theme.dim));
        }
        put_line(buf, rows_area, row as u16, &line);
        if pos == selected {
            style_row(buf, rows_area, row as u16, sel_style);
        }
    }

    if n > cap {
        // scrollbar over the right border, beside the rows
        let track = Rect {
            x: area.right().saturating_sub(1),
            width: 1,
            ..rows_area
        };
        scrollbar(buf, track, offset, cap, n, theme);
    }
}

fn title(app: &App, max: usize) -> String {
    let total = app.keys.entries.len();
    let n = app.view.rows.len();
    let mut parts = vec![if !app.keys.ever_loaded() && total == 0 {
        "Keys".to_owned()
    } else if app.filter.active() {
        format!("Keys {n}/{total}")
    } else {
        format!("Keys {total}")
    }];
    parts.extend(view_notes(app));
    if app.offline {
        parts.push("offline".into());
    } else if app.keys.status.is_loading() && app.keys.ever_loaded() {
        parts.push("refreshing…".into());
    } else if app.keys.status.error().is_some() && app.keys.ever_loaded() {
        parts.push("stale".into());
    }
    // drop trailing details until it fits, then cut
    while parts.len() > 1 && width(&parts.join(" · ")) + 2 > max {
        parts.remove(1);
    }
    format!(" {} ", truncate(&parts.join(" · "), max.saturating_sub(2)))
}

fn row_line<'a>(
    app: &App,
    e: &'a KeyEntry,
    name_w: usize,
    show_id: bool,
    type_w: usize,
    theme: &Theme,
) -> Line<'a> {
    let marked = app.view.marks.contains(&e.id);
    let mut spans = Vec::with_capacity(9);
    // a row from the inventory, not read live yet: how old it is
    let age = crate::app::list::remembered_age(app, e)
        .map(|a| format!(" seen {}", super::status::ago(a)))
        .filter(|s| width(s) * 2 <= name_w);
    let age_w = age.as_deref().map_or(0, width);
    row_lead(&mut spans, e, marked, name_w - age_w, theme);
    if let Some(a) = age {
        spans.push(Span::styled(a, theme.dim));
    }
    if show_id {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(pad(&clean(e.id.as_str()), ID_W), theme.dim));
    }
    spans.push(Span::raw(" "));
    let (badge, style) = if e.state.is_revoking() {
        ("revoking…", theme.danger_dim)
    } else if app.pending_rotation(&e.id).is_some() {
        // a replacement exists; this key stays until the rotation is finished
        ("⟳ pending", theme.warn)
    } else if app.live.is_new(&e.id) {
        // appeared since the last look (a periodic refresh or Ctrl-r); for a short while
        ("new", theme.ok.patch(theme.strong))
    } else {
        match (e.key_type(), e.state.error()) {
            (Some(t), _) => (t.badge(), theme.badge(t)),
            (None, Some(_)) => ("?", theme.warn),
            (None, None) => ("…", theme.dim),
        }
    };
    spans.push(Span::styled(pad(badge, type_w), style));
    Line::from(spans)
}

/// Wide mode's cells: the scopes counted (as the detail pane counts them) and the highest
/// finding; `…` until the key's scopes are read, `?` when they could not be.
fn wide_cells(line: &mut Line<'_>, e: &KeyEntry, theme: &Theme) {
    let (count, style) = match (e.info(), e.state.error()) {
        (Some(info), _) => (info.counted.to_string(), theme.base),
        (None, Some(_)) => ("?".into(), theme.warn),
        (None, None) => ("…".into(), theme.dim),
    };
    line.spans.push(Span::raw(" "));
    line.spans
        .push(Span::styled(format!("{count:>SCOPES_W$}"), style));
    line.spans.push(Span::raw(" "));
    line.spans.push(match (e.risk.max(), e.info()) {
        (Some(s), _) => Span::styled(pad(s.label(), RISK_W), theme.severity(s)),
        (None, Some(_)) => Span::styled(pad("—", RISK_W), theme.dim),
        (None, None) => Span::styled(pad("…", RISK_W), theme.dim),
    });
}

/// The start of a key's row, in the list and in the permission matrix: the mark, the risk
/// marker, the name (dim while it is being revoked).
pub(super) fn row_lead(
    spans: &mut Vec<Span<'_>>,
    e: &KeyEntry,
    marked: bool,
    name_w: usize,
    theme: &Theme,
) {
    spans.push(if marked {
        Span::styled(theme.mark_symbol, theme.marked)
    } else {
        Span::raw(" ")
    });
    spans.push(match e.risk.max() {
        Some(s) => Span::styled(severity_symbol(s), theme.severity(s)),
        None => Span::raw(" "),
    });
    spans.push(Span::raw(" "));
    let name_style = if e.state.is_revoking() {
        theme.dim
    } else if marked {
        theme.marked
    } else {
        theme.base
    };
    spans.push(Span::styled(pad(&clean(&e.name), name_w), name_style));
}

fn empty_state(app: &App, theme: &Theme) -> Vec<(String, ratatui::style::Style)> {
    let keys = &app.keys;
    if keys.entries.is_empty() {
        if let Some(reason) = keys.status.error() {
            // the error, then what to do about it (a 403's missing scope) on lines of their own
            let mut lines = vec![("Could not load keys:".into(), theme.danger)];
            let reason = clean(reason);
            let mut parts = reason.split(" — ");
            if let Some(first) = parts.next() {
                lines.push((first.to_owned(), theme.danger));
            }
            for hint in parts {
                lines.push((String::new(), theme.base));
                lines.push((hint.to_owned(), theme.warn));
            }
            lines.push((String::new(), theme.base));
            lines.push((
                format!("{} to retry", key_name(L::List, Action::Refresh)),
                theme.dim,
            ));
            return lines;
        }
        if !keys.ever_loaded() {
            return vec![(
                format!("{} Loading keys…", super::status::spinner(app)),
                theme.dim,
            )];
        }
        let mut lines = vec![("No API keys yet".to_string(), theme.strong)];
        if !app.ctx.read_only {
            lines.push((
                format!("press {} to create one", key_name(L::List, Action::New)),
                theme.dim,
            ));
        }
        return lines;
    }
    let f = clean(app.filter.input.value());
    let mut lines = vec![
        (
            format!("No keys match `{}`", truncate(f.trim(), 40)),
            theme.strong,
        ),
        (
            format!("{} clears the filter", key_name(L::List, Action::Back)),
            theme.dim,
        ),
    ];
    if app.filter.query.needs_scopes() && app.keys.prefetch.active() {
        lines.push((String::new(), theme.base));
        lines.push((
            format!(
                "(scopes still loading: {}/{})",
                app.keys.prefetch.done, app.keys.prefetch.total
            ),
            theme.dim,
        ));
    }
    if let Some(bad) = app.filter.query.invalid() {
        lines.push((
            format!("`{}` is not a valid filter term", truncate(&clean(bad), 30)),
            theme.warn,
        ));
    }
    lines
}

/// The first load: the list's shape to come (its columns, rows of placeholders) and what it is
/// waiting for, in place of a blank pane.
fn placeholders(app: &App, inner: Rect, buf: &mut ratatui::buffer::Buffer, theme: &Theme) {
    let w = inner.width as usize;
    let show_id = inner.width + 2 >= ID_MIN_WIDTH;
    let name_w = w.saturating_sub(3 + TYPE_W + 1 + if show_id { ID_W + 1 } else { 0 });
    let mut head = format!("   {}", pad("Name", name_w));
    if show_id {
        head.push_str(&format!(" {}", pad("Id", ID_W)));
    }
    head.push_str(&format!(" {}", pad("Type", TYPE_W)));
    put_line(
        buf,
        inner,
        0,
        &Line::from(Span::styled(head, theme.column_header)),
    );
    let loading = format!("   {} Loading keys…", super::status::spinner(app));
    put_line(buf, inner, 1, &Line::from(Span::styled(loading, theme.dim)));
    let rows = (inner.height as usize).saturating_sub(2).min(12);
    for r in 0..rows {
        // bars of a few lengths, as names are
        let len = name_w * (45 + (r * 37) % 45) / 100;
        let mut bar = format!("   {}", pad(&"╌".repeat(len), name_w));
        if show_id {
            bar.push_str(&format!(" {}", "╌".repeat(ID_W)));
        }
        bar.push_str(&format!(" {}", "╌".repeat(TYPE_W - 1)));
        put_line(
            buf,
            inner,
            (r + 2) as u16,
            &Line::from(Span::styled(bar, theme.dim)),
        );
    }
}

/// A one-column scrollbar: thumb proportional to the visible part.
fn scrollbar(
    buf: &mut ratatui::buffer::Buffer,
    track: Rect,
    offset: usize,
    cap: usize,
    n: usize,
    theme: &Theme,
) {
    let h = track.height as usize;
    if h == 0 || n == 0 {
        return;
    }
    let thumb = (h * cap / n).clamp(1, h);
    let max_off = n.saturating_sub(cap).max(1);
    let start = (((h - thumb) * offset.min(max_off) + max_off / 2) / max_off).min(h - thumb);
    for i in start..start + thumb {
        let line = Line::from(Span::styled("┃", theme.scrollbar));
        put_line(buf, track, i as u16, &line);
    }
}

/// What a key table's title says about the view (the list's and the matrix's): its sort, when
/// not the API's order, the filter, the marks.
pub(super) fn view_notes(app: &App) -> Vec<String> {
    let mut parts = Vec::new();
    if app.view.sort != SortKey::Api || app.view.reverse {
        parts.push(format!(
            "sort: {} {}",
            app.view.sort.label(),
            if app.view.reverse { "↓" } else { "↑" }
        ));
    }
    if app.filter.active() {
        let f = clean(app.filter.input.value());
        parts.push(format!("filter: {}", truncate(f.trim(), 24)));
    }
    if !app.view.marks.is_empty() {
        parts.push(format!("{} marked", app.view.marks.len()));
    }
    parts
}
