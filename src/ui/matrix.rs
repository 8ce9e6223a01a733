//! The permission matrix (`m`): one bordered box over the list and detail panes' area. Three
//! header rows (the categories' short labels, then how many shown keys hold Full and Read in
//! each), a row per key (mark, risk marker, name, [context], type, then one cell per category),
//! and a legend row naming the focused column in full. Only the visible rows and columns are
//! drawn; the header counts go over every shown key, 2 bits per cell (`Levels`).
//!
//! A cell is a glyph in the level's style, so the meaning survives the monochrome theme and a
//! black-and-white print: `·` No, `R` Read, `F` Full, `P` Partial, `…` not read yet, `?` failed.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::dialog::{box_h, box_w, content_w, footer, frame_box, render_parts};
use super::text::{clean, pad, put_centered, put_line, style_row, truncate, width};
use super::theme::Theme;
use crate::app::layout::visible_offset;
use crate::app::layout::{MATRIX_COL_W, MATRIX_HEAD_ROWS, MATRIX_TYPE_W, matrix_geom};
use crate::app::{App, CellView, KeyEntry, Layer};
use crate::scopes::{self, Level};

/// The glyph of a level in a cell.
pub fn glyph(l: Level) -> &'static str {
    match l {
        Level::No => "·",
        Level::Read => "R",
        Level::Full => "F",
        Level::Partial => "P",
    }
}

/// Counts as they fit in 4 columns.
fn count(n: usize) -> String {
    if n < 10_000 {
        n.to_string()
    } else {
        format!("{}k", n / 1000)
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let Some(mx) = &app.matrix else { return };
    let sweep = app.sweep();
    let all = sweep.is_some();
    let focused = app.modal.is_none();
    let (n, selected, offset) = app.matrix_cursor();
    let cats = scopes::categories();
    let title = title(app, area.width.saturating_sub(4) as usize);
    let block = theme.list_pane(title, focused, (selected, n), area.width);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.is_empty() {
        return;
    }
    let buf = frame.buffer_mut();
    let g = matrix_geom(area.width, all);
    let ncols = g.cols.min(cats.len());
    let col = mx.col.min(cats.len().saturating_sub(1));
    let col_offset = visible_offset(mx.col_offset, col, ncols, cats.len());
    let visible: Vec<usize> = (col_offset..(col_offset + ncols).min(cats.len())).collect();

    // header: labels, then Full and Read counts over every shown key
    let fixed_head = |label: &str| {
        let w = g.fixed;
        format!("{label:>w$}")
    };
    let mut head = vec![Span::styled(
        format!(
            "   {} {}{} ",
            pad("Name", g.name_w),
            if all {
                format!("{} ", pad("Context", g.ctx_w))
            } else {
                String::new()
            },
            pad("Type", MATRIX_TYPE_W)
        ),
        theme.column_header,
    )];
    for &c in &visible {
        let style = if c == col {
            theme.selected
        } else {
            theme.column_header
        };
        head.push(Span::styled(pad(cats[c].abbr, 4), style));
        head.push(Span::raw(" "));
    }
    put_line(buf, inner, 0, &Line::from(head));
    if col_offset > 0 && g.fixed > 0 {
        put_line(
            buf,
            Rect {
                x: inner.x + g.fixed as u16 - 1,
                width: 1,
                ..inner
            },
            0,
            &Line::from(Span::styled("‹", theme.accent)),
        );
    }
    if col_offset + ncols < cats.len() {
        let x = inner.x as usize + g.fixed + ncols * MATRIX_COL_W - 1;
        if x < inner.right() as usize {
            put_line(
                buf,
                Rect {
                    x: x as u16,
                    width: 1,
                    ..inner
                },
                0,
                &Line::from(Span::styled("›", theme.accent)),
            );
        }
    }
    // one pass over every shown key: Full and Read per visible column, Partial in the focused one
    let mut full = vec![0usize; visible.len()];
    let mut read = vec![0usize; visible.len()];
    let mut partial = 0usize;
    // keys whose scopes are not known: never counted as No, said in the legend
    let (mut unread, mut unreadable) = (0usize, 0usize);
    for pos in 0..n {
        let entry = app.matrix_entry(pos).map(|(_, e)| e);
        if let Some(e) = entry
            && e.info().is_none()
        {
            if e.state.error().is_some() {
                unreadable += 1;
            } else {
                unread += 1;
            }
        }
        if let Some(info) = entry.and_then(|e| e.info()) {
            for (k, &c) in visible.iter().enumerate() {
                match info.levels.get(c) {
                    Level::Full => full[k] += 1,
                    Level::Read => read[k] += 1,
                    Level::Partial if c == col => partial += 1,
                    _ => {}
                }
            }
        }
    }
    for (row, label, counts, style) in [
        (1u16, "Full ", &full, theme.level_full),
        (2u16, "Read ", &read, theme.level_read),
    ] {
        let mut spans = vec![Span::styled(fixed_head(label), theme.dim)];
        for &k in counts.iter() {
            // the level's colour as text: a count is not a cell
            let s = if k > 0 {
                style.remove_modifier(Modifier::REVERSED)
            } else {
                theme.dim
            };
            spans.push(Span::styled(pad(&count(k), 4), s));
            spans.push(Span::raw(" "));
        }
        put_line(buf, inner, row, &Line::from(spans));
    }

    let rows_area = Rect {
        y: inner.y + MATRIX_HEAD_ROWS,
        height: inner.height.saturating_sub(MATRIX_HEAD_ROWS + 1),
        ..inner
    };
    let cap = rows_area.height as usize;
    if n == 0 {
        let lines = empty(app, theme);
        put_centered(buf, rows_area, &lines);
    } else if cap > 0 {
        let selected = selected.min(n - 1);
        let offset = visible_offset(offset, selected, cap, n);
        let sel_style = if focused {
            theme.selected
        } else {
            theme.selected_unfocused
        };
        for (row, pos) in (offset..(offset + cap).min(n)).enumerate() {
            let Some((ctx, e)) = app.matrix_entry(pos) else {
                continue;
            };
            let here = app.here_label();
            let ctx = ctx.map(|c| if c.is_empty() { here.as_str() } else { c });
            let is_sel = pos == selected;
            let line = row_line(app, e, ctx, &g, &visible, col, is_sel, theme);
            put_line(buf, rows_area, row as u16, &line);
            if is_sel {
                let fixed = Rect {
                    width: (g.fixed as u16).min(rows_area.width),
                    ..rows_area
                };
                style_row(buf, fixed, row as u16, sel_style);
            }
        }
    }

    // legend: the focused column in full, its counts, the glyphs
    let Some(cat) = cats.get(col) else { return };
    let k = visible.iter().position(|c| *c == col);
    let (f, r) = k.map_or((0, 0), |k| (full[k], read[k]));
    let mut left = format!("{} · {} Full · {} Read", cat.label, f, r);
    if partial > 0 {
        left.push_str(&format!(" · {partial} Partial"));
    }
    if unread > 0 {
        left.push_str(&format!(" · {unread} not read yet"));
    }
    if unreadable > 0 {
        left.push_str(&format!(" · {unreadable} unreadable"));
    }
    if let Some(s) = sweep {
        if s.waiting_subusers || s.reading_scopes() {
            let (done, failed, total) = s.reading();
            left.push_str(&format!(" · reading {}/{total}", done + failed));
        }
    } else if app.keys.prefetch.active() {
        left.push_str(&format!(
            " · scopes {}/{}",
            app.keys.prefetch.done, app.keys.prefetch.total
        ));
    }
    let legend: Vec<(&str, &str, Style)> = vec![
        (glyph(Level::No), "No", theme.level_no),
        (glyph(Level::Read), "Read", theme.level_read),
        (glyph(Level::Full), "Full", theme.level_full),
        (glyph(Level::Partial), "Partial", theme.level_partial),
    ];
    let legend_w: usize = legend.iter().map(|(g, l, _)| width(g) + width(l) + 5).sum();
    let w = inner.width as usize;
    let mut spans = Vec::new();
    let show_legend = w >= legend_w + 20;
    let left_w = if show_legend { w - legend_w - 1 } else { w };
    spans.push(Span::styled(
        pad(&truncate(&left, left_w), left_w),
        theme.strong,
    ));
    if show_legend {
        for (gl, label, style) in legend {
            spans.push(Span::raw("  "));
            spans.push(Span::styled(format!(" {gl} "), style));
            spans.push(Span::styled(format!(" {label}"), theme.dim));
        }
    }
    put_line(
        buf,
        inner,
        inner.height.saturating_sub(1),
        &Line::from(spans),
    );
}

fn title(app: &App, max: usize) -> String {
    let total = match app.sweep() {
        Some(s) => {
            app.keys.entries.len()
                + s.contexts
                    .iter()
                    .map(|c| c.keys.entries.len())
                    .sum::<usize>()
        }
        None => app.keys.entries.len(),
    };
    let (n, _, _) = app.matrix_cursor();
    let mut parts = vec![if app.filter.active() {
        format!("Permission matrix · {n}/{total} keys")
    } else {
        format!(
            "Permission matrix · {}",
            crate::text::plural(total, "key", "keys")
        )
    }];
    if let Some(s) = app.sweep() {
        parts.push(format!("all contexts ({})", s.contexts.len() + 1));
    }
    parts.extend(super::list::view_notes(app));
    while parts.len() > 1 && width(&parts.join(" · ")) + 2 > max {
        parts.remove(1);
    }
    format!(" {} ", truncate(&parts.join(" · "), max.saturating_sub(2)))
}

#[allow(clippy::too_many_arguments)]
fn row_line<'a>(
    app: &App,
    e: &'a KeyEntry,
    ctx: Option<&str>,
    g: &crate::app::layout::MatrixGeom,
    visible: &[usize],
    col: usize,
    selected: bool,
    theme: &Theme,
) -> Line<'a> {
    let marked = ctx.is_none() && app.view.marks.contains(&e.id);
    let mut spans = Vec::with_capacity(8 + 2 * visible.len());
    super::list::row_lead(&mut spans, e, marked, g.name_w, theme);
    spans.push(Span::raw(" "));
    if let Some(c) = ctx {
        spans.push(Span::styled(pad(&clean(c), g.ctx_w), theme.dim));
        spans.push(Span::raw(" "));
    }
    let (badge, style) = if e.state.is_revoking() {
        ("revoke…", theme.danger_dim)
    } else {
        match (e.key_type(), e.state.error()) {
            (Some(t), _) => (t.badge(), theme.badge(t)),
            (None, Some(_)) => ("?", theme.warn),
            (None, None) => ("…", theme.dim),
        }
    };
    spans.push(Span::styled(pad(badge, MATRIX_TYPE_W), style));
    spans.push(Span::raw(" "));
    let info = e.info();
    for &c in visible {
        let (gl, style) = match (info, e.state.error()) {
            (Some(i), _) => {
                let l = i.levels.get(c);
                (glyph(l), theme.level(l))
            }
            (None, Some(_)) => ("?", theme.warn),
            (None, None) => ("…", theme.dim),
        };
        let text = if selected && c == col {
            format!("[{gl}]")
        } else {
            format!(" {gl} ")
        };
        let style = if selected && c == col {
            style.add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        } else {
            style
        };
        spans.push(Span::styled(text, style));
        spans.push(Span::raw("  "));
    }
    Line::from(spans)
}

fn empty(app: &App, theme: &Theme) -> Vec<(String, Style)> {
    if let Some(s) = app.sweep()
        && (s.waiting_subusers || s.reading_scopes())
    {
        return vec![(
            format!("{} Reading every context…", super::status::spinner(app)),
            theme.dim,
        )];
    }
    if !app.keys.ever_loaded() {
        return vec![(
            format!("{} Loading keys…", super::status::spinner(app)),
            theme.dim,
        )];
    }
    if app.filter.active() {
        let f = clean(app.filter.input.value());
        return vec![
            (
                format!("No keys match `{}`", truncate(f.trim(), 40)),
                theme.strong,
            ),
            (
                format!(
                    "{} clears the filter",
                    crate::app::keymap::user::key_name(
                        crate::app::keymap::Layer::Matrix,
                        crate::app::keymap::Action::Back
                    )
                ),
                theme.dim,
            ),
        ];
    }
    vec![("No API keys here".into(), theme.strong)]
}

/// Enter on a cell: the category's scopes, held or not.
pub fn cell(frame: &mut Frame, screen: Rect, app: &App, c: &CellView, theme: &Theme) {
    let cw = content_w(screen, 60);
    let label = |l: &str| Span::styled(format!("{l:<9}"), theme.dim);
    let mut top = vec![Line::from(vec![
        label("Key"),
        Span::styled(
            truncate(&clean(&c.key_name), cw.saturating_sub(9)).into_owned(),
            theme.strong,
        ),
    ])];
    top.push(Line::from(vec![
        label("Id"),
        Span::styled(clean(c.key_id.as_str()).into_owned(), theme.dim),
    ]));
    if let Some(ctx) = &c.context {
        top.push(Line::from(vec![
            label("Context"),
            Span::styled(clean(ctx).into_owned(), theme.base),
        ]));
    }
    top.push(Line::from(vec![
        label("Category"),
        Span::styled(c.category.label, theme.strong),
        Span::styled(
            if c.category.docs_name == c.category.label {
                String::new()
            } else {
                format!(" ({})", c.category.docs_name)
            },
            theme.dim,
        ),
    ]));
    let total = c.category.scopes.len();
    top.push(Line::from(match c.level {
        Some(l) => vec![
            label("Access"),
            Span::styled(format!(" {} ", glyph(l)), theme.level(l)),
            Span::styled(format!(" {}", l.label()), theme.strong),
            Span::styled(format!(" · {} of {total} scopes", c.held.len()), theme.dim),
        ],
        None => vec![
            label("Access"),
            Span::styled("unknown: the key's scopes are not read yet", theme.warn),
        ],
    }));
    top.push(Line::default());
    for s in c.category.scopes {
        let held = c.held.contains(s);
        let read = c.category.read.contains(s);
        top.push(Line::from(vec![
            Span::styled(
                if held { "✓ " } else { "· " },
                if held { theme.ok } else { theme.dim },
            ),
            Span::styled(
                pad(s, cw.saturating_sub(8)),
                if held { theme.base } else { theme.dim },
            ),
            Span::styled(if read { " read" } else { "" }, theme.dim),
        ]));
    }
    let bottom = vec![
        Line::default(),
        footer(Layer::Cell, app.ctx.read_only, cw, theme),
    ];
    let title = format!("{} · {}", c.category.abbr, c.category.label);
    let area = frame_box(
        frame,
        screen,
        box_w(cw.max(40)),
        box_h(top.len() + bottom.len()),
        &title,
        theme.border_focus,
        theme,
    );
    render_parts(frame, area, &top, &bottom);
}
