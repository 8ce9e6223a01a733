//! Rendering: `draw(frame, &App)`. View = f(state): nothing here mutates the model, does IO or
//! reads a clock (time is `app.now_ms`).
//!
//! Layout: header | key list · scope detail | status line | key hints, then the modal on top.
//! Regions come from [`crate::app::layout::areas`], the same geometry `update` scrolls with.

mod confirm;
mod contexts;
mod create;
pub mod describe;
pub mod detail;
pub mod dialog;
mod diff;
pub mod forms;
pub mod header;
pub mod help;
mod journal;

pub mod list;
mod log;
pub mod matrix;
pub mod modals;
mod rename;
mod revoke;
mod rotate;
mod scope_editor;
mod secret;
pub mod status;
pub mod text;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::{App, MIN_HEIGHT, MIN_WIDTH};
pub use theme::Theme;

/// Draw the whole screen for the current state.
pub fn draw(frame: &mut Frame, app: &App) {
    // hints, footers and help show the user's keys
    let _keys = crate::app::keymap::using(app.keymap);
    let screen = frame.area();
    let theme = Theme::for_app(app);
    if !app.fits() || screen.width < MIN_WIDTH || screen.height < MIN_HEIGHT {
        too_small(frame, screen, app, &theme);
        return;
    }
    let a = crate::app::layout::areas(screen.width, screen.height);
    let shift = |r: Rect| {
        Rect {
            x: r.x.saturating_add(screen.x),
            y: r.y.saturating_add(screen.y),
            ..r
        }
        .intersection(screen)
    };
    header::draw(frame, shift(a.header), app, &theme);
    if app.matrix_on() {
        let m = crate::app::layout::matrix_area(screen.width, screen.height);
        matrix::draw(frame, shift(m), app, &theme);
    } else {
        list::draw(frame, shift(a.list), app, &theme);
        detail::draw(frame, shift(a.detail), app, &theme);
    }
    status::draw(frame, shift(a.status), app, &theme);
    status::draw_hints(frame, shift(a.hints), app, &theme);
    modals::draw(frame, screen, app, &theme);
}

/// Below 60×16 only this is drawn; `q` still quits, and the quit question (a change still
/// being sent) is asked here in words, since it is the one dialog that takes keys here.
fn too_small(frame: &mut Frame, screen: Rect, app: &App, theme: &Theme) {
    if screen.is_empty() {
        return;
    }
    let mut lines = vec![(
        format!(
            "Terminal too small (need {MIN_WIDTH}×{MIN_HEIGHT}, have {}×{})",
            screen.width, screen.height
        ),
        theme.warn,
    )];
    if matches!(app.modal, Some(crate::app::Modal::ConfirmQuit(_))) {
        lines.push((
            "Quit? A change is still being sent to SendGrid.".to_owned(),
            theme.warn,
        ));
        lines.push(("y quits · Esc stays".to_owned(), theme.dim));
    } else {
        lines.push(("q quits".to_owned(), theme.dim));
    }
    text::put_centered(frame.buffer_mut(), screen, &lines);
}
