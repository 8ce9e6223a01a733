//! Modals: the dispatcher that draws the open one over the dashboard, and the small dialogs
//! (rename, secret, contexts, log, quit). `revoke.rs`, `help.rs`, `forms.rs` and `diff.rs` have
//! the rest; all of them are built with the toolkit in `dialog.rs`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::{
    Ask, OneField, ask, box_h, box_w, caption, caption_text, content_w, cursor_list, footer,
    frame_box, input_with_placeholder, one_field, para, render_parts, set_cursor, usable,
};
use super::text::{clean, pad, plural, put_line, truncate, width};
use super::theme::Theme;
use crate::api::OnBehalfOf;
use crate::app::keymap::{Action, Layer};
use crate::app::{
    App, ContextPicker, Level, LogModal, Modal, RenameForm, SecretModal, context_rows,
};

/// Draw the modal on top, if any.
pub fn draw(frame: &mut Frame, screen: Rect, app: &App, theme: &Theme) {
    let Some(modal) = &app.modal else { return };
    if let Modal::Command(c) = modal {
        // a line in place of the status line; the panes stay as they are
        return super::status::draw_command(frame, screen, app, c, theme);
    }
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
        Modal::Secret(s) => secret(frame, screen, app, s, theme),
        Modal::ConfirmDelete(c) => super::revoke::confirm_delete(frame, screen, app, c, theme),
        Modal::Contexts(p) => contexts(frame, screen, app, p, theme),
        Modal::Log(l) => log(frame, screen, app, l, theme),
        Modal::ConfirmQuit => ask(
            frame,
            screen,
            &Ask {
                layer: Layer::ConfirmQuit,
                read_only: app.ctx.read_only,
                title: "Quit?",
                question: "A change is still being sent. Quit anyway? y/n",
                border: theme.border_focus,
            },
            theme,
        ),
        Modal::Diff(d) => super::diff::diff(frame, screen, app, d, theme),
        Modal::Presets(p) => super::diff::presets(frame, screen, app, p, theme),
        Modal::Command(_) => {}
        Modal::Rotate(f) => super::journal::rotate_form(frame, screen, app, f, theme),
        Modal::Deployed(d) => super::journal::deployed(frame, screen, app, d, theme),
        Modal::Journal(v) => super::journal::journal(frame, screen, app, v, theme),
        Modal::Cell(c) => super::matrix::cell(frame, screen, app, c, theme),
    }
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
    let d = OneField {
        title: "Rename key",
        top,
        input_row,
        input: &f.input,
        busy: f.saving.map(|_| "Saving…"),
        layer: Layer::Rename,
        cw,
    };
    one_field(frame, screen, app, d, theme);
}

// ---------------------------------------------------------------- secret

fn secret(frame: &mut Frame, screen: Rect, app: &App, s: &SecretModal, theme: &Theme) {
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
        footer(Layer::Secret, app.ctx.read_only, inner_w, theme),
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
    if app.subusers.is_loading() {
        notes.push(Line::from(Span::styled(
            format!("{} Loading subusers…", super::status::spinner(app)),
            theme.dim,
        )));
    } else if let Some(why) = app.subusers.error() {
        notes.extend(para(
            &format!("Could not load subusers: {}", clean(why)),
            cw,
            theme.danger,
        ));
    }
    if rows.is_empty() && !app.subusers.is_loading() {
        notes.push(Line::from(Span::styled(
            "Nothing matches the filter",
            theme.dim,
        )));
    }
    let list_h = list.len().clamp(1, 14);
    let bottom = vec![
        Line::default(),
        footer(Layer::Contexts, app.ctx.read_only, cw, theme),
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

// ---------------------------------------------------------------- log

/// `14:03:27  12s ago`: the local clock time, for a postmortem, and how long ago, at a glance.
pub fn stamp(app: &App, at_ms: u64) -> String {
    format!(
        "{} {:>8}",
        app.clock.hms(at_ms),
        super::status::ago(app.now_ms.saturating_sub(at_ms))
    )
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
    let stamp_w = app.log.back().map_or(17, |x| width(&stamp(app, x.at_ms)));
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
            Span::styled(format!("{:>stamp_w$} ", stamp(app, line.at_ms)), theme.dim),
            Span::styled(truncate(&clean(&line.text), text_w).into_owned(), style),
        ]);
        put_line(buf, area, (first_row + i) as u16, &l);
    }
    // scrolled up: how much is below and the way back; at the bottom, nothing to go down to
    let (status, except) = if scroll > 0 {
        (format!("{scroll} newer below"), &[][..])
    } else {
        (String::new(), &[Action::Down, Action::Bottom][..])
    };
    let cap = caption_text(
        &status,
        Layer::Log,
        app.ctx.read_only,
        except,
        area.width as usize,
    );
    caption(frame, area, &cap, theme);
}
