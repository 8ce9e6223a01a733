//! What the two forms share: the scope matrix (categories × No/Read/Full, drawn with the cursor
//! and the locks), and the diff counts and scope lists of their reviews. The forms themselves are
//! `scope_editor.rs` (`e`) and `create.rs` (`n`); their "discard changes?" is the one confirm
//! (`confirm.rs`).

use std::collections::BTreeSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::para;
use super::text::{center_offset, clean, pad, pad_left, put_line, style_row, truncate};
use super::theme::Theme;
use crate::app::{MatrixRow, ScopeMatrix};
use crate::scopes::Level;

// ---------------------------------------------------------------- the matrix

pub(super) const LEVEL_SLOTS: [Level; 3] = [Level::No, Level::Read, Level::Full];
pub(super) const SELECTOR_W: usize = 16;

/// The matrix as lines, one per `ScopeMatrix::rows()` entry.
pub(super) fn matrix_lines<'a>(
    m: &ScopeMatrix,
    w: usize,
    focused: bool,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let held: BTreeSet<&str> = m.selected.iter().map(String::as_str).collect();
    let fixed = 2 + 2 + 1 + SELECTOR_W + 1 + 5;
    let label_w = w.saturating_sub(fixed + 2).clamp(6.min(w), 30);
    let rows = m.rows();
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let at_cursor = focused && i == m.cursor;
        let cursor = Span::styled(if at_cursor { "› " } else { "  " }, theme.accent);
        match *row {
            MatrixRow::Category(c) => {
                let level = c.level_of(&held);
                let lock = m.category_lock(c);
                let expanded = m.expanded.contains(c.id);
                let mut spans = vec![
                    cursor,
                    Span::styled(if expanded { "▾ " } else { "▸ " }, theme.dim),
                    Span::styled(
                        pad(c.label, label_w),
                        if lock.is_some() {
                            theme.dim
                        } else {
                            theme.base
                        },
                    ),
                    Span::raw(" "),
                ];
                spans.extend(selector(c.levels(), level, lock.is_some(), theme));
                spans.push(Span::raw(" "));
                spans.push(Span::styled(
                    pad_left(&format!("{}/{}", c.held_count(&held), c.scopes.len()), 5),
                    theme.dim,
                ));
                if let Some(reason) = lock {
                    let room = w.saturating_sub(fixed - 2 + label_w + 2);
                    let text = if at_cursor { reason } else { "locked" };
                    spans.push(Span::styled(
                        format!("  {}", truncate(text, room)),
                        theme.dim,
                    ));
                }
                out.push(Line::from(spans));
            }
            MatrixRow::Scope(c, s) => {
                let on = m.selected.contains(s);
                let lock = if on { None } else { m.scope_lock(c, s) };
                let name_w = label_w + 1 + SELECTOR_W - 4;
                let mut spans = vec![
                    cursor,
                    Span::raw("  "),
                    Span::styled(
                        if on { "[x] " } else { "[ ] " },
                        if on { theme.ok } else { theme.dim },
                    ),
                    Span::styled(
                        pad(s, name_w),
                        if lock.is_some() {
                            theme.dim
                        } else {
                            theme.base
                        },
                    ),
                ];
                if let Some(reason) = lock {
                    let room = w.saturating_sub(4 + 4 + name_w + 2);
                    let text = if at_cursor { reason } else { "locked" };
                    spans.push(Span::styled(
                        format!("  {}", truncate(text, room)),
                        theme.dim,
                    ));
                }
                out.push(Line::from(spans));
            }
        }
    }
    out
}

/// `No [Read] Full`: the current level bracketed and styled; `[Partial]` when it is neither.
pub(super) fn selector<'a>(
    levels: &[Level],
    level: Level,
    locked: bool,
    theme: &Theme,
) -> Vec<Span<'a>> {
    if level == Level::Partial {
        let text = "[Partial]";
        return vec![
            Span::styled(text, theme.level(Level::Partial)),
            Span::raw(" ".repeat(SELECTOR_W - text.len())),
        ];
    }
    let mut spans = Vec::new();
    let mut used = 0;
    for l in LEVEL_SLOTS {
        let short = l.short();
        let w = short.len() + 2;
        used += w;
        if !levels.contains(&l) {
            spans.push(Span::raw(" ".repeat(w)));
        } else if l == level && !(locked && l == Level::No) {
            spans.push(Span::styled(
                format!("[{short}]"),
                theme.level(l).patch(theme.strong),
            ));
        } else {
            spans.push(Span::styled(format!(" {short} "), theme.dim));
        }
    }
    spans.push(Span::raw(" ".repeat(SELECTOR_W.saturating_sub(used))));
    spans
}

/// Draw the matrix into `area`, scrolled so the cursor row is visible; when it overflows, the
/// last row says how much is hidden.
pub(super) fn draw_matrix(
    frame: &mut Frame,
    area: Rect,
    m: &ScopeMatrix,
    focused: bool,
    theme: &Theme,
) {
    if area.is_empty() {
        return;
    }
    let lines = matrix_lines(m, area.width as usize, focused, theme);
    let overflow = lines.len() > area.height as usize && area.height > 1;
    let h = area.height as usize - usize::from(overflow);
    let offset = center_offset(m.cursor, lines.len(), h);
    let buf = frame.buffer_mut();
    for (i, l) in lines.iter().skip(offset).take(h).enumerate() {
        put_line(buf, area, i as u16, l);
        if focused && offset + i == m.cursor {
            style_row(buf, area, i as u16, theme.selected);
        }
    }
    if overflow {
        let more = super::detail::more_line(
            offset,
            lines.len().saturating_sub(offset + h),
            area.width as usize,
            theme,
        );
        put_line(buf, area, h as u16, &more);
    }
}

/// The lock reason under the cursor, for the footer.
pub(super) fn cursor_lock(m: &ScopeMatrix) -> Option<&'static str> {
    match m.current()? {
        MatrixRow::Category(c) => m.category_lock(c),
        MatrixRow::Scope(c, s) if !m.selected.contains(s) => m.scope_lock(c, s),
        MatrixRow::Scope(..) => None,
    }
}

/// The footer message: the error (danger), else the matrix's message (warn), else why the row
/// under the cursor is locked (dim), else one blank line. Wrapped to `w` columns, never cut: the
/// form grows (or its matrix shrinks) by the extra lines.
pub(super) fn message_lines<'a>(
    error: Option<&str>,
    message: Option<&str>,
    lock: Option<&str>,
    w: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let (text, style) = match (error, message, lock) {
        (Some(e), _, _) => (clean(e).into_owned(), theme.danger),
        (None, Some(m), _) => (clean(m).into_owned(), theme.warn),
        (None, None, Some(l)) => (l.to_owned(), theme.dim),
        _ => return vec![Line::default()],
    };
    para(&text, w, style)
}

/// `+N −M`, each coloured when non-zero.
pub(super) fn diff_spans<'a>(added: usize, removed: usize, theme: &Theme) -> Vec<Span<'a>> {
    vec![
        Span::styled(
            format!("+{added}"),
            if added > 0 { theme.ok } else { theme.dim },
        ),
        Span::raw(" "),
        Span::styled(
            format!("−{removed}"),
            if removed > 0 { theme.danger } else { theme.dim },
        ),
    ]
}

/// `  + scope` lines (the sign in `style`), at most `max` of them: the last says how many more.
pub(super) fn scope_list<'a>(
    items: &[&String],
    sign: &str,
    style: ratatui::style::Style,
    max: usize,
    w: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    for (i, s) in items.iter().enumerate() {
        if i + 1 == max && items.len() > max {
            out.push(Line::from(Span::styled(
                format!("  … and {} more", items.len() - i),
                theme.dim,
            )));
            break;
        }
        out.push(Line::from(vec![
            Span::styled(format!("  {sign} "), style),
            Span::styled(
                truncate(&clean(s), w.saturating_sub(4)).into_owned(),
                theme.base,
            ),
        ]));
    }
    out
}
