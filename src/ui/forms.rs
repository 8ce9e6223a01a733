//! The two form modals: the scope editor (`e`, with its review / checking / conflict / saving /
//! discard stages) and the new-key form (`n`), both built around the scope matrix.

use std::collections::BTreeSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::{
    Ask, ask, box_h, box_w, content_w, footer, frame_box, input_field, para, render_parts,
    set_cursor,
};
use super::text::{
    center_offset, clean, pad, pad_left, plural, put_line, rule, style_row, truncate, width, wrap,
};
use super::theme::Theme;
use crate::app::keymap::Layer;
use crate::app::{
    App, CreateField, CreateForm, CreateStage, MatrixRow, ScopeForm, ScopeMatrix, ScopeStage,
};
use crate::presets::PRESETS;
use crate::scopes::{KeyType, Level};

// ---------------------------------------------------------------- the matrix

const LEVEL_SLOTS: [Level; 3] = [Level::No, Level::Read, Level::Full];
const SELECTOR_W: usize = 16;

/// The matrix as lines, one per `ScopeMatrix::rows()` entry.
fn matrix_lines<'a>(m: &ScopeMatrix, w: usize, focused: bool, theme: &Theme) -> Vec<Line<'a>> {
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
fn selector<'a>(levels: &[Level], level: Level, locked: bool, theme: &Theme) -> Vec<Span<'a>> {
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
fn draw_matrix(frame: &mut Frame, area: Rect, m: &ScopeMatrix, focused: bool, theme: &Theme) {
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
fn cursor_lock(m: &ScopeMatrix) -> Option<&'static str> {
    match m.current()? {
        MatrixRow::Category(c) => m.category_lock(c),
        MatrixRow::Scope(c, s) if !m.selected.contains(s) => m.scope_lock(c, s),
        MatrixRow::Scope(..) => None,
    }
}

/// The footer message: the error (danger), else the matrix's message (warn), else why the row
/// under the cursor is locked (dim), else one blank line. Wrapped to `w` columns, never cut: the
/// form grows (or its matrix shrinks) by the extra lines.
fn message_lines<'a>(
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

// ---------------------------------------------------------------- scope editor

pub fn scopes(frame: &mut Frame, screen: Rect, app: &App, f: &ScopeForm, theme: &Theme) {
    let region_h = screen.height.saturating_sub(2) as usize;
    let ro = app.ctx.read_only;
    let cw = 92usize;
    let title = format!("Edit scopes — {}", clean(&f.name));
    let (added, removed) = (f.added(), f.removed());
    match &f.stage {
        ScopeStage::Editing | ScopeStage::ConfirmDiscard => {
            // header, matrix, then a footer: rule, diff, message (or blank, wrapped), keys
            let msg_w = content_w(screen, cw);
            let msg = message_lines(
                f.error.as_deref(),
                f.matrix.message.as_deref(),
                cursor_lock(&f.matrix),
                msg_w,
                theme,
            );
            let want = 1 + f.matrix.rows().len() + 3 + msg.len();
            let area = frame_box(
                frame,
                screen,
                box_w(cw),
                box_h(want.min(region_h)),
                &title,
                theme.border_focus,
                theme,
            );
            if area.is_empty() {
                return;
            }
            let w = area.width as usize;
            // what the key will be with this selection (a full set is Full Access again)
            let selected: Vec<&str> = f.matrix.selected.iter().map(String::as_str).collect();
            let kind = crate::scopes::classify(&selected).key_type.label();
            let head = Line::from(vec![
                Span::styled(kind, theme.strong),
                Span::styled(
                    format!(
                        " · {} selected",
                        plural(f.matrix.selected.len(), "scope", "scopes")
                    ),
                    theme.dim,
                ),
                Span::styled(format!(" (was {})", f.original.len()), theme.dim),
            ]);
            let mut status = diff_spans(added.len(), removed.len(), theme);
            status.insert(0, Span::styled("Changes ", theme.dim));
            let mut bottom: Vec<Line> = vec![
                Line::from(Span::styled(rule(w), theme.border)),
                Line::from(status),
            ];
            bottom.extend(msg);
            bottom.push(footer(Layer::Scopes, ro, w, theme));
            put_line(frame.buffer_mut(), area, 0, &head);
            let b = (bottom.len() as u16).min(area.height.saturating_sub(1));
            let matrix_area = Rect {
                y: area.y + 1.min(area.height),
                height: area.height.saturating_sub(1 + b),
                ..area
            };
            draw_matrix(
                frame,
                matrix_area,
                &f.matrix,
                f.stage == ScopeStage::Editing,
                theme,
            );
            let bottom_area = Rect {
                y: matrix_area.bottom(),
                height: area.bottom().saturating_sub(matrix_area.bottom()),
                ..area
            };
            render_parts(frame, bottom_area, &[], &bottom);
            if f.stage == ScopeStage::ConfirmDiscard {
                ask(frame, screen, &discard(ro, theme), theme);
            }
        }
        ScopeStage::Review => {
            let w = content_w(screen, 72);
            let question = match f.preset {
                Some(p) => Line::from(vec![
                    Span::styled("Trim ", theme.base),
                    Span::styled(format!("'{}'", clean(&f.name)), theme.strong),
                    Span::styled(" to the preset ", theme.base),
                    Span::styled(format!("'{p}'"), theme.strong),
                    Span::styled("?", theme.base),
                ]),
                None => Line::from(vec![
                    Span::styled("Save these changes to ", theme.base),
                    Span::styled(format!("'{}'", clean(&f.name)), theme.strong),
                    Span::styled("?", theme.base),
                ]),
            };
            let mut top = vec![question, Line::default()];
            let room = region_h.saturating_sub(10).max(2);
            let per = (room / 2).max(1);
            if !added.is_empty() {
                top.push(Line::from(Span::styled(
                    format!("Added ({})", added.len()),
                    theme.ok,
                )));
                top.extend(scope_list(&added, "+", theme.ok, per, w, theme));
            }
            if !removed.is_empty() {
                top.push(Line::from(Span::styled(
                    format!("Removed ({})", removed.len()),
                    theme.danger,
                )));
                top.extend(scope_list(&removed, "−", theme.danger, per, w, theme));
            }
            top.push(Line::default());
            top.push(Line::from(Span::styled(
                format!(
                    "The key will hold {}.",
                    plural(f.matrix.selected.len(), "scope", "scopes")
                ),
                theme.dim,
            )));
            if let Some(msg) = &f.matrix.message {
                top.extend(para(&clean(msg), w, theme.warn));
            }
            let lockout = f.lockout();
            if !lockout.is_empty() {
                let names: Vec<&str> = lockout.iter().map(|s| s.as_str()).collect();
                top.extend(para(
                    &format!(
                        "⚠ This is the key sgkeys is using: without {} sgkeys can no longer do \
                         that with it.",
                        names.join(", ")
                    ),
                    w,
                    theme.danger,
                ));
            }
            // the request itself, when there is room for it
            let body = f.put_body();
            let body_lines = body.lines().count();
            if top.len() + body_lines + 5 <= region_h {
                top.push(Line::default());
                top.extend(body.lines().map(|l| {
                    Line::from(Span::styled(truncate(&clean(l), w).into_owned(), theme.dim))
                }));
            }
            let bottom = vec![Line::default(), footer(Layer::ScopesReview, ro, w, theme)];
            let area = frame_box(
                frame,
                screen,
                box_w(72),
                box_h(top.len() + bottom.len()),
                &title,
                theme.border_focus,
                theme,
            );
            render_parts(frame, area, &top, &bottom);
        }
        ScopeStage::Checking(_) | ScopeStage::Saving(_) => {
            let text = if matches!(f.stage, ScopeStage::Checking(_)) {
                "Checking whether the key changed elsewhere…"
            } else {
                "Saving…"
            };
            let top = vec![
                Line::from(vec![
                    Span::styled(format!("{} ", super::status::spinner(app)), theme.accent),
                    Span::styled(text, theme.base),
                ]),
                Line::from(diff_spans(added.len(), removed.len(), theme)),
            ];
            let bottom = vec![
                Line::default(),
                footer(Layer::Busy, ro, content_w(screen, 56), theme),
            ];
            let area = frame_box(
                frame,
                screen,
                box_w(56),
                box_h(top.len() + bottom.len()),
                &title,
                theme.border_focus,
                theme,
            );
            render_parts(frame, area, &top, &bottom);
        }
        ScopeStage::Conflict(server) => {
            let w = content_w(screen, 72);
            let mut top = para(
                "This key changed since you opened the editor.",
                w,
                theme.warn,
            );
            top.push(Line::default());
            if server.name != f.name {
                top.push(Line::from(vec![
                    Span::styled("Name     ", theme.dim),
                    Span::styled(format!("'{}'", clean(&f.name)), theme.base),
                    Span::styled(" → ", theme.dim),
                    Span::styled(format!("'{}'", clean(&server.name)), theme.strong),
                ]));
            }
            let now: BTreeSet<String> = crate::scopes::sendable(&server.scopes)
                .into_iter()
                .collect();
            let theirs_added: Vec<&String> = now.difference(&f.original).collect();
            let theirs_removed: Vec<&String> = f.original.difference(&now).collect();
            if theirs_added.is_empty() && theirs_removed.is_empty() {
                top.push(Line::from(Span::styled(
                    "Scopes   unchanged on the server",
                    theme.dim,
                )));
            } else {
                top.push(Line::from(Span::styled("On the server now:", theme.strong)));
                top.extend(scope_list(&theirs_added, "+", theme.ok, 5, w, theme));
                top.extend(scope_list(&theirs_removed, "−", theme.danger, 5, w, theme));
            }
            top.push(Line::default());
            let mut mine = vec![Span::styled("Your changes  ", theme.dim)];
            mine.extend(diff_spans(added.len(), removed.len(), theme));
            top.push(Line::from(mine));
            let bottom = vec![Line::default(), footer(Layer::ScopesConflict, ro, w, theme)];
            let area = frame_box(
                frame,
                screen,
                box_w(72),
                box_h(top.len() + bottom.len()),
                "Changed elsewhere",
                theme.warn,
                theme,
            );
            render_parts(frame, area, &top, &bottom);
        }
    }
}

/// The "discard?" question over a form.
fn discard<'q>(read_only: bool, theme: &Theme) -> Ask<'q> {
    Ask {
        layer: Layer::Discard,
        read_only,
        title: "Discard changes?",
        question: "Discard your changes? y/n",
        border: theme.warn,
    }
}

// ---------------------------------------------------------------- create

const TYPES: [(KeyType, &str); 3] = [
    (
        KeyType::Custom,
        "only the categories and scopes you pick (least privilege)",
    ),
    (
        KeyType::Full,
        "every scope except billing: convenient, dangerous if it leaks",
    ),
    (
        KeyType::Billing,
        "billing scopes only; they cannot be combined with others",
    ),
];

pub fn create(frame: &mut Frame, screen: Rect, app: &App, f: &CreateForm, theme: &Theme) {
    let region_h = screen.height.saturating_sub(2) as usize;
    let ro = app.ctx.read_only;
    let title = "New API key";
    let name = f.name.value().trim();
    match &f.stage {
        CreateStage::Editing | CreateStage::ConfirmDiscard => {
            let custom = f.key_type == KeyType::Custom;
            // name, type, explanation (+ preset, matrix title, matrix), message, keys
            let lock = if custom && f.focus == CreateField::Matrix {
                cursor_lock(&f.matrix)
            } else {
                None
            };
            let msg = message_lines(
                f.error.as_deref(),
                f.matrix.message.as_deref(),
                lock,
                content_w(screen, 92),
                theme,
            );
            let limited_full = f.full_held_by_caller().map(|n| {
                format!(
                    "all {n} scopes you hold (your key does not hold every scope, so neither will \
                     this one): convenient, dangerous if it leaks"
                )
            });
            let explain = match (&limited_full, f.key_type) {
                (Some(text), KeyType::Full) => text.as_str(),
                _ => TYPES
                    .iter()
                    .find(|(t, _)| *t == f.key_type)
                    .map_or("", |(_, e)| e),
            };
            let explain_lines = wrap(explain, content_w(screen, 92).saturating_sub(9).max(1));
            let top_h = 2 + explain_lines.len().max(1);
            let want_h = if custom {
                top_h + 2 + f.matrix.rows().len() + 1 + msg.len()
            } else {
                top_h + 1 + msg.len()
            };
            let area = frame_box(
                frame,
                screen,
                box_w(92),
                box_h(want_h.min(region_h)),
                title,
                theme.border_focus,
                theme,
            );
            if area.is_empty() {
                return;
            }
            let w = area.width as usize;
            let editing = f.stage == CreateStage::Editing;
            let label = |text: &str, field: CreateField| {
                let on = editing && f.focus == field;
                Span::styled(
                    format!("{}{:<7}", if on { "› " } else { "  " }, text),
                    if on {
                        theme.accent.patch(theme.strong)
                    } else {
                        theme.dim
                    },
                )
            };
            let lw = 9usize;
            let mut top: Vec<Line> = Vec::new();
            // name
            let (field, cur) = input_field(&f.name, w.saturating_sub(lw).min(60), theme);
            top.push(Line::from(vec![label("Name", CreateField::Name), field]));
            // type
            let mut spans = vec![label("Type", CreateField::Type)];
            for (t, _) in TYPES {
                if t == f.key_type {
                    spans.push(Span::styled("● ", theme.accent));
                    spans.push(Span::styled(t.badge(), theme.badge(t).patch(theme.strong)));
                } else {
                    spans.push(Span::styled(format!("○ {}", t.badge()), theme.dim));
                }
                spans.push(Span::raw("   "));
            }
            top.push(Line::from(spans));
            for l in wrap(explain, w.saturating_sub(lw).max(1)) {
                top.push(Line::from(vec![
                    Span::raw(" ".repeat(lw)),
                    Span::styled(l, theme.dim),
                ]));
            }
            if custom {
                let (pname, pdesc) = match f.preset.and_then(|i| PRESETS.get(i)) {
                    Some(p) => (p.name, p.description),
                    None => ("none", "←/→ to start from a preset"),
                };
                let chip = format!("‹ {pname} ›");
                let room = w.saturating_sub(lw + width(&chip) + 2);
                top.push(Line::from(vec![
                    label("Preset", CreateField::Preset),
                    Span::styled(
                        chip,
                        if f.preset.is_some() {
                            theme.strong
                        } else {
                            theme.dim
                        },
                    ),
                    Span::styled(format!("  {}", truncate(pdesc, room)), theme.dim),
                ]));
                let mtitle = format!(
                    "Scopes · {} selected ",
                    plural(f.matrix.selected.len(), "scope", "scopes")
                );
                let on = editing && f.focus == CreateField::Matrix;
                top.push(Line::from(vec![
                    Span::styled(
                        format!("{}{}", if on { "› " } else { "  " }, mtitle),
                        if on {
                            theme.accent.patch(theme.strong)
                        } else {
                            theme.dim
                        },
                    ),
                    Span::styled(rule(w.saturating_sub(width(&mtitle) + 2)), theme.border),
                ]));
            }
            // the form under a "discard?" question keeps the footer of its focused field
            let layer = if f.focus == CreateField::Name {
                Layer::CreateName
            } else {
                Layer::Create
            };
            let mut bottom: Vec<Line> = msg;
            bottom.push(footer(layer, ro, w, theme));
            let b = (bottom.len() as u16).min(area.height);
            let top_h = (top.len() as u16).min(area.height.saturating_sub(b));
            let top_area = Rect {
                height: top_h,
                ..area
            };
            render_parts(frame, top_area, &top, &[]);
            if custom {
                let matrix_area = Rect {
                    y: top_area.bottom(),
                    height: area.height.saturating_sub(top_h + b),
                    ..area
                };
                draw_matrix(
                    frame,
                    matrix_area,
                    &f.matrix,
                    editing && f.focus == CreateField::Matrix,
                    theme,
                );
            }
            let bottom_area = Rect {
                y: area.bottom().saturating_sub(b),
                height: b,
                ..area
            };
            render_parts(frame, bottom_area, &[], &bottom);
            if editing && f.focus == CreateField::Name && top_h > 0 {
                set_cursor(frame, area.x + lw as u16 + cur, area.y);
            }
            if f.stage == CreateStage::ConfirmDiscard {
                ask(frame, screen, &discard(ro, theme), theme);
            }
        }
        CreateStage::Review => {
            let w = content_w(screen, 72);
            let scopes = f.scopes_to_send();
            let what = match &scopes {
                None => match f.full_held_by_caller() {
                    Some(n) => format!(
                        "{}, all {n} scopes you hold (your key does not hold every scope)",
                        f.key_type.label()
                    ),
                    None => format!("{}, every scope except billing", f.key_type.label()),
                },
                Some(s) => format!(
                    "{}, {}",
                    f.key_type.label(),
                    plural(s.len(), "scope", "scopes")
                ),
            };
            let mut top = vec![
                Line::from(vec![
                    Span::styled("Create ", theme.base),
                    Span::styled(format!("'{}'", clean(name)), theme.strong),
                    Span::styled(format!(" — {what}"), theme.base),
                ]),
                Line::default(),
            ];
            if let Some(list) = &scopes {
                let refs: Vec<&String> = list.iter().collect();
                let max = region_h.saturating_sub(8).max(2);
                top.extend(scope_list(&refs, "+", theme.ok, max, w, theme));
            }
            if f.key_type == KeyType::Full {
                top.extend(para(
                    "A Full Access key can do almost anything on the account: prefer Custom.",
                    w,
                    theme.warn,
                ));
            }
            let bottom = vec![
                Line::default(),
                para(
                    "The secret is shown once, right after creation.",
                    w,
                    theme.dim,
                )
                .remove(0),
                footer(Layer::CreateReview, ro, w, theme),
            ];
            let area = frame_box(
                frame,
                screen,
                box_w(72),
                box_h(top.len() + bottom.len()),
                "Create key?",
                theme.border_focus,
                theme,
            );
            render_parts(frame, area, &top, &bottom);
        }
        CreateStage::Submitting(_) => {
            let top = vec![Line::from(vec![
                Span::styled(format!("{} ", super::status::spinner(app)), theme.accent),
                Span::styled(
                    format!("Creating '{}'…", truncate(&clean(name), 40)),
                    theme.base,
                ),
            ])];
            let bottom = vec![
                Line::default(),
                footer(Layer::Busy, ro, content_w(screen, 56), theme),
            ];
            let area = frame_box(
                frame,
                screen,
                box_w(56),
                box_h(top.len() + bottom.len()),
                title,
                theme.border_focus,
                theme,
            );
            render_parts(frame, area, &top, &bottom);
        }
    }
}
