//! Modals: centred over the dashboard with `Clear` underneath, sized to their content and
//! clamped to the screen. This file has the shared frame and input helpers and the small
//! dialogs (rename, secret, revoke, contexts, log, quit); `help.rs` and `forms.rs` the rest.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear};
use tui_input::Input;

use super::text::{center_offset, clean, pad, plural, put_line, style_row, truncate, width, wrap};
use super::theme::Theme;
use crate::api::OnBehalfOf;
use crate::app::{
    App, ConfirmDelete, ConfirmFocus, ContextPicker, Level, Load, LogModal, Modal, RenameForm,
    SecretModal, context_rows,
};

/// Draw the modal on top, if any.
pub fn draw(frame: &mut Frame, screen: Rect, app: &App, theme: &Theme) {
    let Some(modal) = &app.modal else { return };
    // fade the panes so the modal stands out (header, status and hints stay readable)
    if screen.height > 3 {
        let panes = Rect {
            y: screen.y + 1,
            height: screen.height - 3,
            ..screen
        };
        frame.buffer_mut().set_style(panes, theme.backdrop);
    }
    match modal {
        Modal::Help(h) => super::help::draw(frame, screen, app, h, theme),
        Modal::Rename(f) => rename(frame, screen, app, f, theme),
        Modal::EditScopes(f) => super::forms::scopes(frame, screen, app, f, theme),
        Modal::Create(f) => super::forms::create(frame, screen, app, f, theme),
        Modal::Secret(s) => secret(frame, screen, s, theme),
        Modal::ConfirmDelete(c) => confirm_delete(frame, screen, c, theme),
        Modal::Contexts(p) => contexts(frame, screen, app, p, theme),
        Modal::Log(l) => log(frame, screen, app, l, theme),
        Modal::ConfirmQuit => confirm_quit(frame, screen, theme),
        Modal::Diff(d) => super::diff::diff(frame, screen, app, d, theme),
        Modal::Presets(p) => super::diff::presets(frame, screen, app, p, theme),
    }
}

// ---------------------------------------------------------------- shared helpers

/// The region modals may use: the screen minus the header and hint rows (when there are any).
fn usable(screen: Rect) -> Rect {
    if screen.height >= 6 {
        Rect {
            y: screen.y + 1,
            height: screen.height - 2,
            ..screen
        }
    } else {
        screen
    }
}

/// Clear a centred `want_w`×`want_h` box (clamped to the screen), draw its border and title, and
/// return the content area (inside the border, one column of padding on each side).
pub(super) fn frame_box(
    frame: &mut Frame,
    screen: Rect,
    want_w: u16,
    want_h: u16,
    title: &str,
    border: Style,
    theme: &Theme,
) -> Rect {
    let region = usable(screen);
    let w = box_width(region, want_w);
    let h = want_h.min(region.height);
    let area = Rect {
        x: region.x + (region.width - w) / 2,
        y: region.y + (region.height - h) / 2,
        width: w,
        height: h,
    };
    if area.is_empty() {
        return area;
    }
    let title = truncate(title, (w as usize).saturating_sub(4));
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(border)
        .title(Line::from(Span::styled(
            format!(" {title} "),
            theme.title_focus,
        )));
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    if inner.width > 2 {
        Rect {
            x: inner.x + 1,
            width: inner.width - 2,
            ..inner
        }
    } else {
        inner
    }
}

/// The width a box asking for `want_w` gets: clamped to the region, and the whole region when
/// only a sliver of the panes would show beside it (that reads as noise).
fn box_width(region: Rect, want_w: u16) -> u16 {
    let w = want_w.min(region.width);
    if region.width - w < 6 {
        region.width
    } else {
        w
    }
}

/// The content width a box for `content_w` columns really gets on this screen (wrap text to it).
pub(super) fn content_w(screen: Rect, content_w: usize) -> usize {
    let w = box_width(usable(screen), box_w(content_w)) as usize;
    if w > 4 { w - 4 } else { w.saturating_sub(2) }.max(1)
}

/// Add a bottom-border caption (right-aligned) to a box drawn by [`frame_box`].
pub(super) fn caption(frame: &mut Frame, content: Rect, text: &str, theme: &Theme) {
    // the border row is just below the content; the content has one column of padding
    let y = content.y.saturating_add(content.height);
    let right = content.right().saturating_add(1);
    let text = truncate(text, content.width.saturating_sub(2) as usize);
    let w = width(&text) as u16;
    if w == 0 || y >= frame.area().bottom() || content.width < 4 {
        return;
    }
    let x = right.saturating_sub(w + 1);
    let row = Rect::new(x, y, w, 1);
    put_line(
        frame.buffer_mut(),
        row,
        0,
        &Line::from(Span::styled(text.into_owned(), theme.dim)),
    );
}

/// Draw `top` from the top of `area` and `bottom` anchored at its bottom. When they do not both
/// fit, `bottom` wins and `top` is cut with a `…` line.
pub(super) fn render_parts(frame: &mut Frame, area: Rect, top: &[Line], bottom: &[Line]) {
    let h = area.height as usize;
    let b = bottom.len().min(h);
    let room = h - b;
    let buf = frame.buffer_mut();
    if top.len() <= room {
        for (i, l) in top.iter().enumerate() {
            put_line(buf, area, i as u16, l);
        }
    } else if room > 0 {
        for (i, l) in top.iter().take(room - 1).enumerate() {
            put_line(buf, area, i as u16, l);
        }
        put_line(buf, area, (room - 1) as u16, &Line::from("…"));
    }
    for (i, l) in bottom.iter().skip(bottom.len() - b).enumerate() {
        put_line(buf, area, (room + i) as u16, l);
    }
}

/// The visible part of a text input as a fixed-width field, and the cursor column within it.
pub(super) fn input_field<'a>(input: &Input, w: usize, theme: &Theme) -> (Span<'a>, u16) {
    input_with_placeholder(input, w, "", theme)
}

/// Like [`input_field`], showing `placeholder` (dim) while the input is empty.
pub(super) fn input_with_placeholder<'a>(
    input: &Input,
    w: usize,
    placeholder: &str,
    theme: &Theme,
) -> (Span<'a>, u16) {
    let w = w.max(1);
    if input.value().is_empty() && !placeholder.is_empty() {
        return (
            Span::styled(pad(placeholder, w), theme.input.patch(theme.dim)),
            0,
        );
    }
    let inner_w = w.saturating_sub(1).max(1);
    let scroll = input.visual_scroll(inner_w);
    let value = clean(input.value());
    let mut col = 0;
    let mut shown = String::new();
    let mut used = 0;
    for c in value.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if col < scroll {
            col += cw;
            continue;
        }
        if used + cw > inner_w {
            break;
        }
        shown.push(c);
        used += cw;
    }
    let cursor = input.visual_cursor().saturating_sub(scroll).min(inner_w) as u16;
    (Span::styled(pad(&shown, w), theme.input), cursor)
}

/// Place the terminal cursor, if the position is on screen.
pub(super) fn set_cursor(frame: &mut Frame, x: u16, y: u16) {
    let a = frame.area();
    if x >= a.x && x < a.right() && y >= a.y && y < a.bottom() {
        frame.set_cursor_position(Position::new(x, y));
    }
}

/// `key desc · key desc` in hint styles.
pub(super) fn keys_line<'a>(pairs: &[(&str, &str)], theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    for (i, (k, d)) in pairs.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.dim));
        }
        spans.push(Span::styled((*k).to_owned(), theme.key));
        spans.push(Span::styled(format!(" {d}"), theme.dim));
    }
    Line::from(spans)
}

/// Wrapped text as lines in one style.
pub(super) fn para<'a>(text: &str, w: usize, style: Style) -> Vec<Line<'a>> {
    wrap(text, w)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, style)))
        .collect()
}

/// A line centred in `w` columns.
pub(super) fn centered<'a>(line: Line<'a>, w: usize) -> Line<'a> {
    let lw = super::text::line_width(&line);
    let mut spans = vec![Span::raw(" ".repeat(w.saturating_sub(lw) / 2))];
    spans.extend(line.spans);
    Line::from(spans)
}

/// Width for a box whose content is `content_w` wide (borders and padding added).
pub(super) fn box_w(content_w: usize) -> u16 {
    (content_w + 4).min(u16::MAX as usize) as u16
}

/// Height for a box with `lines` content lines.
pub(super) fn box_h(lines: usize) -> u16 {
    (lines + 2).min(u16::MAX as usize) as u16
}

// ---------------------------------------------------------------- rename

fn rename(frame: &mut Frame, screen: Rect, app: &App, f: &RenameForm, theme: &Theme) {
    let cw = content_w(screen, 60);
    let mut top = vec![
        Line::from(vec![
            Span::styled("Current  ", theme.dim),
            Span::styled(clean(&f.original).into_owned(), theme.base),
        ]),
        Line::default(),
        Line::from(Span::styled("New name", theme.accent)),
        Line::default(), // the input field
    ];
    let input_row = 3;
    if let Some(e) = &f.error {
        top.extend(para(&clean(e), cw, theme.danger));
    }
    let bottom = vec![
        Line::default(),
        if f.saving.is_some() {
            Line::from(Span::styled(
                format!("{} Saving…", super::status::spinner(app)),
                theme.dim,
            ))
        } else {
            keys_line(&[("Enter", "rename"), ("Esc", "cancel")], theme)
        },
    ];
    let area = frame_box(
        frame,
        screen,
        box_w(cw),
        box_h(top.len() + bottom.len()),
        "Rename key",
        theme.border_focus,
        theme,
    );
    if area.is_empty() {
        return;
    }
    render_parts(frame, area, &top, &bottom);
    let (field, cur) = input_field(&f.input, area.width as usize, theme);
    if (input_row as u16) < area.height.saturating_sub(bottom.len() as u16) {
        put_line(
            frame.buffer_mut(),
            area,
            input_row as u16,
            &Line::from(field),
        );
        if f.saving.is_none() {
            set_cursor(frame, area.x + cur, area.y + input_row as u16);
        }
    }
}

// ---------------------------------------------------------------- secret

fn secret(frame: &mut Frame, screen: Rect, s: &SecretModal, theme: &Theme) {
    let value = s.secret.expose();
    let cw = (width(value) + 2).max(60);
    let inner_w = content_w(screen, cw);
    let label = |l: &str| Span::styled(format!("{l:<6}"), theme.dim);
    let mut top = vec![
        Line::from(vec![
            label("Name"),
            Span::styled(clean(&s.name).into_owned(), theme.strong),
        ]),
        Line::from(vec![
            label("Id"),
            Span::styled(clean(s.id.as_str()).into_owned(), theme.base),
        ]),
        Line::from(vec![
            label("Type"),
            Span::styled(s.key_type.label(), theme.badge(s.key_type)),
            Span::styled(
                format!(" · {}", plural(s.scope_count, "scope", "scopes")),
                theme.dim,
            ),
        ]),
        Line::default(),
    ];
    // the secret in full, on its own line(s): it is shown here, once
    let chars: Vec<char> = clean(value).chars().collect();
    for chunk in chars.chunks(inner_w) {
        top.push(Line::from(Span::styled(
            chunk.iter().collect::<String>(),
            theme.accent.patch(theme.strong),
        )));
    }
    top.push(Line::default());
    top.extend(para(
        "⚠ This secret cannot be shown again: copy it now and store it somewhere safe.",
        inner_w,
        theme.warn,
    ));
    if s.copied {
        top.push(Line::from(Span::styled("Copied ✓", theme.ok)));
    }
    if s.confirm_close {
        top.extend(para(
            "You have not copied it. Press Esc again to close; the secret is gone after that.",
            inner_w,
            theme.danger,
        ));
    }
    let bottom = vec![
        Line::default(),
        keys_line(&[("c", "copy (OSC 52)"), ("Esc", "close")], theme),
    ];
    let area = frame_box(
        frame,
        screen,
        box_w(cw),
        box_h(top.len() + bottom.len()),
        "New key — shown once",
        theme.border_focus,
        theme,
    );
    render_parts(frame, area, &top, &bottom);
}

// ---------------------------------------------------------------- revoke

fn confirm_delete(frame: &mut Frame, screen: Rect, c: &ConfirmDelete, theme: &Theme) {
    let n = c.targets.len();
    let cw = content_w(screen, 72);
    let avail = usable(screen).height.saturating_sub(2) as usize;
    let show_id = cw >= 60;
    let type_w = 14;
    let name_w = cw.saturating_sub(2 + type_w + 1 + if show_id { 23 } else { 0 });

    // what must be said, whatever the size
    let consequence = if n == 1 {
        "Apps using it will stop working. This cannot be undone."
    } else {
        "Apps using them will stop working. This cannot be undone."
    };
    let mut warnings = para(consequence, cw, theme.warn);
    for t in c.targets.iter().filter(|t| t.own) {
        let when = if n > 1 {
            ", revoked last after every other key"
        } else {
            ""
        };
        warnings.extend(para(
            &format!(
                "⚠ '{}' is the key sgkeys is using{when}: sgkeys will stop working",
                clean(&t.name)
            ),
            cw,
            theme.danger,
        ));
    }
    let errors = c
        .error
        .as_ref()
        .map(|e| para(&clean(e), cw, theme.danger))
        .unwrap_or_default();
    let essentials = warnings.len() + usize::from(c.needs_count()) + errors.len() + 1;
    // spacing and the key reminder go first when space is short, then list rows
    let roomy = avail >= n.min(8) + essentials + 4;
    let max_list = if roomy {
        8
    } else {
        avail.saturating_sub(essentials).max(1)
    };

    let mut top: Vec<Line> = Vec::new();
    for (i, t) in c.targets.iter().enumerate() {
        if i + 1 == max_list && n > max_list {
            top.push(Line::from(Span::styled(
                format!("  … and {} more", n - i),
                theme.dim,
            )));
            break;
        }
        let mut spans = vec![
            Span::styled("● ", if t.own { theme.danger } else { theme.dim }),
            Span::styled(pad(&clean(&t.name), name_w), theme.strong),
        ];
        if show_id {
            spans.push(Span::styled(
                format!(" {}", pad(&clean(t.id.as_str()), 22)),
                theme.dim,
            ));
        }
        spans.push(Span::raw(" "));
        spans.push(match t.key_type {
            Some(k) => Span::styled(pad(k.label(), type_w), theme.badge(k)),
            None => Span::styled(pad("type unknown", type_w), theme.dim),
        });
        top.push(Line::from(spans));
    }
    if roomy {
        top.push(Line::default());
    }
    top.extend(warnings);
    let mut input_row = None;
    if c.needs_count() {
        if roomy {
            top.push(Line::default());
        }
        input_row = Some(top.len());
        top.push(Line::default()); // "Type N to confirm: [input]"
    }
    top.extend(errors);
    let (cancel, revoke) = match c.focus {
        ConfirmFocus::Cancel => (theme.button_focus, theme.button_danger),
        ConfirmFocus::Revoke => (theme.button, theme.button_danger_focus),
    };
    let buttons = Line::from(vec![
        Span::styled("[ Cancel ]", cancel),
        Span::raw("   "),
        Span::styled("[ Revoke ]", revoke),
    ]);
    let mut bottom = Vec::new();
    if roomy {
        bottom.push(Line::default());
    }
    bottom.push(centered(buttons, cw));
    if roomy {
        bottom.push(centered(
            keys_line(
                &[("y", "revoke"), ("Tab", "switch"), ("Esc", "cancel")],
                theme,
            ),
            cw,
        ));
    }
    let title = format!("Revoke {}?", plural(n, "API key", "API keys"));
    let area = frame_box(
        frame,
        screen,
        box_w(cw),
        box_h(top.len() + bottom.len()),
        &title,
        theme.danger,
        theme,
    );
    if area.is_empty() {
        return;
    }
    render_parts(frame, area, &top, &bottom);
    if let Some(row) = input_row {
        let room = area.height.saturating_sub(bottom.len() as u16);
        if (row as u16) < room {
            let label = format!("Type {n} to confirm: [");
            let (field, cur) = input_field(&c.typed, 6, theme);
            let lw = width(&label) as u16;
            let line = Line::from(vec![
                Span::styled(label, theme.strong),
                field,
                Span::styled("]", theme.strong),
            ]);
            put_line(frame.buffer_mut(), area, row as u16, &line);
            set_cursor(frame, area.x + lw + cur, area.y + row as u16);
        }
    }
}

// ---------------------------------------------------------------- contexts

fn contexts(frame: &mut Frame, screen: Rect, app: &App, p: &ContextPicker, theme: &Theme) {
    let cw = content_w(screen, 56);
    let rows = context_rows(app);
    let current = |u: Option<&str>| match (&app.ctx.on_behalf_of, u) {
        (None, None) => true,
        (Some(OnBehalfOf::Subuser(a)), Some(b)) => a == b,
        _ => false,
    };
    let mut list: Vec<Line> = Vec::new();
    for r in &rows {
        let (label, extra, disabled, cur) = match r {
            None => (
                format!("{} (own account)", clean(&app.ctx.account)),
                String::new(),
                false,
                current(None),
            ),
            Some(s) => (
                clean(&s.username).into_owned(),
                s.region.map(|r| r.as_str().to_owned()).unwrap_or_default(),
                s.disabled,
                current(Some(&s.username)),
            ),
        };
        let mut spans = vec![
            Span::styled(if cur { "● " } else { "  " }, theme.accent),
            Span::styled(
                pad(&label, cw.saturating_sub(24)),
                if disabled { theme.dim } else { theme.base },
            ),
            Span::styled(format!(" {}", pad(&extra, 6)), theme.dim),
        ];
        if disabled {
            spans.push(Span::styled(" disabled", theme.warn));
        } else if cur {
            spans.push(Span::styled(" current", theme.dim));
        }
        list.push(Line::from(spans));
    }
    let mut notes: Vec<Line> = Vec::new();
    match &app.subusers_load {
        Load::Loading(_) => notes.push(Line::from(Span::styled(
            format!("{} Loading subusers…", super::status::spinner(app)),
            theme.dim,
        ))),
        Load::Failed(why) => notes.extend(para(
            &format!("Could not load subusers: {}", clean(why)),
            cw,
            theme.danger,
        )),
        _ => {}
    }
    if rows.is_empty() && !app.subusers_load.is_loading() {
        notes.push(Line::from(Span::styled(
            "Nothing matches the filter",
            theme.dim,
        )));
    }
    let list_h = list.len().clamp(1, 14);
    let bottom = vec![
        Line::default(),
        keys_line(
            &[("↑↓", "move"), ("Enter", "switch"), ("Esc", "cancel")],
            theme,
        ),
    ];
    let total = 2 + list_h + notes.len() + bottom.len();
    let area = frame_box(
        frame,
        screen,
        box_w(cw),
        box_h(total),
        "Switch context",
        theme.border_focus,
        theme,
    );
    if area.is_empty() {
        return;
    }
    let buf = frame.buffer_mut();
    let (field, cur) = input_with_placeholder(
        &p.filter,
        (area.width as usize).saturating_sub(8),
        "type to filter",
        theme,
    );
    put_line(
        buf,
        area,
        0,
        &Line::from(vec![Span::styled("Filter  ", theme.dim), field]),
    );
    let list_area = Rect {
        y: area.y + 2,
        height: area
            .height
            .saturating_sub(2 + notes.len() as u16 + bottom.len() as u16)
            .min(list_h as u16),
        ..area
    };
    let cursor = p.cursor.min(rows.len().saturating_sub(1));
    cursor_list(buf, list_area, &list, cursor, theme);
    let notes_area = Rect {
        y: list_area.bottom(),
        height: area.bottom().saturating_sub(list_area.bottom()),
        ..area
    };
    render_parts(frame, notes_area, &notes, &bottom);
    set_cursor(frame, area.x + 8 + cur, area.y);
}

/// Draw a list into `area`, scrolled to keep `cursor` near the middle, its row highlighted.
pub(super) fn cursor_list(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    list: &[Line<'_>],
    cursor: usize,
    theme: &Theme,
) {
    let lh = area.height as usize;
    let offset = center_offset(cursor, list.len(), lh);
    for (i, l) in list.iter().skip(offset).take(lh).enumerate() {
        put_line(buf, area, i as u16, l);
        if offset + i == cursor {
            style_row(buf, area, i as u16, theme.selected);
        }
    }
}

// ---------------------------------------------------------------- log

/// `+12.3s` since the session started.
pub fn stamp(at_ms: u64) -> String {
    format!("+{}.{}s", at_ms / 1000, (at_ms % 1000) / 100)
}

fn log(frame: &mut Frame, screen: Rect, app: &App, l: &LogModal, theme: &Theme) {
    let region = usable(screen);
    let w = region.width.saturating_sub(4).max(1);
    // sized to the entries (at least a few rows), at most the screen
    let want_h = app.log.len().clamp(3, usize::from(u16::MAX) - 2) as u16 + 2;
    let h = region.height.saturating_sub(2).clamp(1, want_h);
    let title = format!(
        "Message log · {}",
        plural(app.log.len(), "entry", "entries")
    );
    let area = frame_box(frame, screen, w, h, &title, theme.border_focus, theme);
    if area.is_empty() {
        return;
    }
    let n = app.log.len();
    let rows = area.height as usize;
    let buf = frame.buffer_mut();
    if n == 0 {
        super::text::put_centered(buf, area, &[("No messages yet".into(), theme.dim)]);
        return;
    }
    let scroll = l.scroll.min(n.saturating_sub(1));
    let end = n - scroll;
    let start = end.saturating_sub(rows);
    let stamp_w = app.log.back().map_or(7, |x| width(&stamp(x.at_ms))).max(7);
    // newest at the bottom: pad from the top when there are fewer lines than rows
    let first_row = rows.saturating_sub(end - start);
    for (i, line) in app.log.range(start..end).enumerate() {
        let style = match line.level {
            Level::Info => theme.base,
            Level::Success => theme.ok,
            Level::Warn => theme.warn,
            Level::Error => theme.danger,
        };
        let text_w = (area.width as usize).saturating_sub(stamp_w + 1);
        let l = Line::from(vec![
            Span::styled(format!("{:>stamp_w$} ", stamp(line.at_ms)), theme.dim),
            Span::styled(truncate(&clean(&line.text), text_w).into_owned(), style),
        ]);
        put_line(buf, area, (first_row + i) as u16, &l);
    }
    let cap = if scroll > 0 {
        format!(" {scroll} newer below · G newest · Esc close ")
    } else {
        " ↑ older · Esc close ".to_owned()
    };
    caption(frame, area, &cap, theme);
}

// ---------------------------------------------------------------- quit

fn confirm_quit(frame: &mut Frame, screen: Rect, theme: &Theme) {
    let cw = content_w(screen, 48);
    let top = para(
        "A change is still being sent. Quit anyway? y/n",
        cw,
        theme.warn,
    );
    let bottom = vec![
        Line::default(),
        keys_line(&[("y", "quit"), ("n", "stay")], theme),
    ];
    let area = frame_box(
        frame,
        screen,
        box_w(cw),
        box_h(top.len() + bottom.len()),
        "Quit?",
        theme.border_focus,
        theme,
    );
    render_parts(frame, area, &top, &bottom);
}

/// Draw a small yes/no question over whatever is below (used by forms for "discard?").
pub(super) fn ask(frame: &mut Frame, screen: Rect, title: &str, question: &str, theme: &Theme) {
    let cw = content_w(screen, (width(question) + 2).clamp(20, 50));
    let top = para(question, cw, theme.warn);
    let bottom = vec![
        Line::default(),
        keys_line(&[("y", "yes"), ("n", "no")], theme),
    ];
    let area = frame_box(
        frame,
        screen,
        box_w(cw),
        box_h(top.len() + bottom.len()),
        title,
        theme.warn,
        theme,
    );
    render_parts(frame, area, &top, &bottom);
}
