//! The `?` overlay: every binding of the layer underneath (from the one keymap table, so write
//! keys vanish in read-only mode), filterable by typing, plus the list-filter syntax.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::{box_h, box_w, caption, caption_text, filter_row, frame_box};
use super::text::{clean, pad, put_line, truncate, width};
use super::theme::Theme;
use crate::app::keymap::{self, Action, Layer};
use crate::app::{App, HelpModal};

pub use crate::app::FILTER_SYNTAX;

pub fn draw(frame: &mut Frame, screen: Rect, app: &App, h: &HelpModal, theme: &Theme) {
    let (bindings, syntax) = crate::app::overlays::help_entries(h, app.ctx.read_only);
    let bindings: Vec<(String, &str)> = bindings
        .into_iter()
        .map(|b| (keymap::keys_label(b), b.desc))
        .collect();
    let cw: usize = 72;
    let key_w = bindings
        .iter()
        .map(|(k, _)| width(k))
        .max()
        .unwrap_or(0)
        .clamp(6, 18);
    let mut lines: Vec<Line> = Vec::new();
    for (k, d) in &bindings {
        lines.push(Line::from(vec![
            Span::styled(pad(k, key_w), theme.key),
            Span::raw("  "),
            Span::styled((*d).to_owned(), theme.base),
        ]));
    }
    if !syntax.is_empty() {
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        lines.push(Line::from(Span::styled(
            "Filter syntax (/), terms separated by spaces, all must match",
            theme.strong,
        )));
        let ex_w = syntax
            .iter()
            .map(|(a, _)| width(a))
            .max()
            .unwrap_or(0)
            .min(26);
        for (a, b) in &syntax {
            lines.push(Line::from(vec![
                Span::styled(pad(a, ex_w), theme.accent),
                Span::raw("  "),
                Span::styled((*b).to_owned(), theme.dim),
            ]));
        }
    }
    if lines.is_empty() {
        lines.push(Line::from(Span::styled(
            format!(
                "Nothing matches `{}`",
                truncate(&clean(h.filter.value()), 30)
            ),
            theme.dim,
        )));
    }

    let title = format!("Help — {}", h.under.title());
    let area = frame_box(
        frame,
        screen,
        box_w(cw),
        box_h(lines.len() + 2),
        &title,
        theme.border_focus,
        theme,
    );
    if area.is_empty() {
        return;
    }
    let body = filter_row(frame, area, (&h.filter, h.editing), "/ to filter", theme);
    let bh = body.height as usize;
    let max_scroll = lines.len().saturating_sub(bh);
    // the model keeps the scroll within the same geometry (app::overlays::help_max_scroll)
    let scroll = h.scroll.min(max_scroll);
    let buf = frame.buffer_mut();
    for (i, l) in lines.iter().skip(scroll).take(bh).enumerate() {
        put_line(buf, body, i as u16, l);
    }
    let ro = app.ctx.read_only;
    let cap = if max_scroll > 0 {
        let at = format!(
            "{}–{} of {}",
            scroll + 1,
            (scroll + bh).min(lines.len()),
            lines.len()
        );
        caption_text(&at, h_layer(h), ro, &[], area.width as usize)
    } else {
        caption_text(
            "",
            h_layer(h),
            ro,
            &[
                Action::Up,
                Action::Down,
                Action::Top,
                Action::Bottom,
                Action::PageUp,
                Action::PageDown,
            ],
            area.width as usize,
        )
    };
    caption(frame, area, &cap, theme);
}

fn h_layer(h: &HelpModal) -> Layer {
    if h.editing {
        Layer::HelpFilter
    } else {
        Layer::Help
    }
}
