//! `r`: the rename dialog drawn (one text field). State, keys and answers are in `app::rename`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::{OneField, content_w, one_field};
use super::text::clean;
use super::theme::Theme;
use crate::app::keymap::Layer;
use crate::app::{App, RenameForm};

pub(super) fn draw(frame: &mut Frame, screen: Rect, app: &App, f: &RenameForm, theme: &Theme) {
    let cw = content_w(screen, 60);
    let above = vec![
        Line::from(vec![
            Span::styled("Current  ", theme.dim),
            Span::styled(clean(&f.original).into_owned(), theme.base),
        ]),
        Line::default(),
        Line::from(Span::styled("New name", theme.accent)),
    ];
    let d = OneField {
        title: "Rename key",
        above,
        below: Vec::new(),
        input: &f.input,
        error: f.error.as_deref(),
        busy: f.saving.map(|_| "Saving…"),
        layer: Layer::Rename,
        cw,
    };
    one_field(frame, screen, app, d, theme);
}
