//! Modals: the dispatcher that draws the open one over the dashboard (one line a dialog, each
//! drawn by its own file: `rename.rs`, `secret.rs`, `revoke.rs`, `rotate.rs`, `create.rs`,
//! `scope_editor.rs`, `contexts.rs`, `journal.rs`, …; the quit question is `confirm.rs` alone).
//! All of them are built with the toolkit in `dialog.rs`; the yes/no ones with `confirm.rs`.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::theme::Theme;
use crate::app::keymap::Layer;
use crate::app::{App, Modal};

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
        Modal::Rename(f) => super::rename::draw(frame, screen, app, f, theme),
        Modal::EditScopes(f) => super::scope_editor::draw(frame, screen, app, f, theme),
        Modal::Create(f) => super::create::draw(frame, screen, app, f, theme),
        Modal::Secret(s) => super::secret::draw(frame, screen, app, s, theme),
        Modal::ConfirmDelete(c) => super::revoke::confirm_delete(frame, screen, app, c, theme),
        Modal::Contexts(p) => super::contexts::draw(frame, screen, app, p, theme),
        Modal::Log(l) => super::log::draw(frame, screen, app, l, theme),
        Modal::ConfirmQuit(c) => {
            super::confirm::draw_words(frame, screen, app, c, Layer::ConfirmQuit, theme)
        }
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
