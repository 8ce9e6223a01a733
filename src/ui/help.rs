//! The `?` overlay: every binding of the layer underneath (from the one keymap table, so write
//! keys vanish in read-only mode), filterable by typing, plus the list-filter syntax.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::{
    box_h, box_w, caption, caption_text, frame_box, input_with_placeholder, set_cursor,
};
use super::text::{clean, pad, put_line, truncate, width};
use super::theme::Theme;
use crate::app::keymap::{self, Action, Layer};
use crate::app::{App, HelpModal};

/// The filter syntax, as (example, meaning).
pub const FILTER_SYNTAX: &[(&str, &str)] = &[
    ("text", "name or id contains the text"),
    (
        "scope:glob",
        "holds a matching scope (scope:mail.*, scope:api_keys.create)",
    ),
    ("type:full|custom|billing", "key type"),
    ("risk:high|medium|low", "at least that severity"),
    ("!term", "invert a term (!ci, !type:full)"),
    (
        "SG.xxxx.yyyy",
        "paste a whole SendGrid key to jump to its row",
    ),
];

pub fn draw(frame: &mut Frame, screen: Rect, app: &App, h: &HelpModal, theme: &Theme) {
    let filter = h.filter.value().to_lowercase();
    let hit = |a: &str, b: &str| {
        filter.is_empty()
            || a.to_lowercase().contains(&filter)
            || b.to_lowercase().contains(&filter)
    };
    let bindings: Vec<(String, &str)> = keymap::bindings_for(h.under, app.ctx.read_only)
        .map(|b| (keymap::keys_label(b), b.desc))
        .filter(|(k, d)| hit(k, d))
        .collect();
    let show_syntax = matches!(h.under, Layer::List | Layer::Detail | Layer::Filter);
    let syntax: Vec<&(&str, &str)> = if show_syntax {
        FILTER_SYNTAX.iter().filter(|(a, b)| hit(a, b)).collect()
    } else {
        Vec::new()
    };

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
    let (field, cur) = input_with_placeholder(
        &h.filter,
        (area.width as usize).saturating_sub(8),
        "type to filter",
        theme,
    );
    put_line(
        frame.buffer_mut(),
        area,
        0,
        &Line::from(vec![Span::styled("Filter  ", theme.dim), field]),
    );
    let body = Rect {
        y: area.y + 2.min(area.height),
        height: area.height.saturating_sub(2),
        ..area
    };
    let bh = body.height as usize;
    let max_scroll = lines.len().saturating_sub(bh);
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
        caption_text(&at, Layer::Help, ro, &[], area.width as usize)
    } else {
        caption_text(
            "",
            Layer::Help,
            ro,
            &[Action::Up, Action::Down],
            area.width as usize,
        )
    };
    caption(frame, area, &cap, theme);
    set_cursor(frame, area.x + 8 + cur, area.y);
}
