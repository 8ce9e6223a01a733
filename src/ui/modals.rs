//! Modals: the dispatcher that draws the open one over the dashboard, and the small dialogs
//! (rename, secret, contexts, log, quit). `revoke.rs`, `help.rs`, `forms.rs` and `diff.rs` have
//! the rest; all of them are built with the toolkit in `dialog.rs`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::{
    Ask, OneField, ask, box_h, box_w, content_w, cursor_list, filter_row, footer, frame_box,
    one_field, para, render_parts,
};
use super::text::{clean, pad, plural, width};
use super::theme::Theme;
use crate::api::OnBehalfOf;
use crate::app::keymap::Layer;
use crate::app::{App, ContextPicker, ContextRow, Modal, RenameForm, SecretModal, picker_rows};

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
    // help opened from a dialog: the dialog under it, the help on top
    if let Modal::Help(h) = modal
        && let Some(behind) = &h.behind
    {
        draw_one(frame, screen, app, behind, theme);
    }
    draw_one(frame, screen, app, modal, theme);
}

fn draw_one(frame: &mut Frame, screen: Rect, app: &App, modal: &Modal, theme: &Theme) {
    match modal {
        Modal::Help(h) => super::help::draw(frame, screen, app, h, theme),
        Modal::Rename(f) => rename(frame, screen, app, f, theme),
        Modal::EditScopes(f) => super::forms::scopes(frame, screen, app, f, theme),
        Modal::Create(f) => super::forms::create(frame, screen, app, f, theme),
        Modal::Secret(s) => secret(frame, screen, app, s, theme),
        Modal::ConfirmDelete(c) => super::revoke::confirm_delete(frame, screen, app, c, theme),
        Modal::Contexts(p) => contexts(frame, screen, app, p, theme),
        Modal::Log(l) => super::log::draw(frame, screen, app, l, theme),
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
        Modal::Rotate(f) => super::rotate::form(frame, screen, app, f, theme),
        Modal::Deployed(d) => super::rotate::deployed(frame, screen, app, d, theme),
        Modal::Journal(v) => super::journal::journal(frame, screen, app, v, theme),
        Modal::Cell(c) => super::matrix::cell(frame, screen, app, c, theme),
        Modal::Describe(v) => super::describe::draw(frame, screen, app, v, theme),
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
            "You have not copied it. Press Esc or Enter again to close; the secret is gone after that.",
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
    let cw = content_w(screen, 60);
    let rows = picker_rows(app, p);
    let prev = app.previous_ctx.as_ref();
    let mut list: Vec<Line> = Vec::new();
    for r in &rows {
        let target = r.target();
        let (label, extra, disabled) = match r {
            ContextRow::Own => (
                format!("{} (own account)", clean(&app.ctx.account)),
                String::new(),
                false,
            ),
            ContextRow::Subuser(s) => (
                clean(&s.username).into_owned(),
                s.region.map(|r| r.as_str().to_owned()).unwrap_or_default(),
                s.disabled,
            ),
            ContextRow::Seen(o) => (
                clean(&o.header_value()).into_owned(),
                match o {
                    OnBehalfOf::AccountId(_) => "customer".to_owned(),
                    OnBehalfOf::Subuser(_) => "subuser".to_owned(),
                },
                false,
            ),
        };
        let cur = target == app.ctx.on_behalf_of;
        let mut spans = vec![
            Span::styled(if cur { "● " } else { "  " }, theme.accent),
            Span::styled(
                pad(&label, cw.saturating_sub(24)),
                if disabled { theme.dim } else { theme.base },
            ),
            Span::styled(format!(" {}", pad(&extra, 8)), theme.dim),
        ];
        if disabled {
            spans.push(Span::styled(" disabled", theme.warn));
        } else if cur {
            spans.push(Span::styled(" current", theme.dim));
        } else if prev == Some(&target) {
            spans.push(Span::styled(" previous (-)", theme.dim));
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
        footer(p.layer(), app.ctx.read_only, cw, theme),
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
    let _ = filter_row(
        frame,
        area,
        "Filter",
        &p.filter,
        "/ to filter",
        p.editing,
        theme,
    );
    let buf = frame.buffer_mut();
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
}
