//! `v`: the describe view — the key, its scopes by category, its journal history and its JSON as
//! SendGrid answered, one scrollable page with a search (matches highlighted). The page's lines
//! come from `app::describe`, which scrolls and searches over the same lines.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::dialog::{caption, caption_text, frame_box, input_with_placeholder, set_cursor, usable};
use super::text::{clean, put_line, truncate};
use super::theme::Theme;
use crate::app::App;
use crate::app::describe::{DescribeView, LineKind, describe_lines, matches, page_rows};

pub fn draw(frame: &mut Frame, screen: Rect, app: &App, v: &DescribeView, theme: &Theme) {
    let region = usable(screen);
    let lines = describe_lines(app, v);
    let w = region.width.saturating_sub(4).max(1);
    let h = region.height.saturating_sub(2).max(1);
    let title = format!("Describe · {}", truncate(&clean(&v.name), 40));
    let area = frame_box(frame, screen, w, h, &title, theme.border_focus, theme);
    if area.is_empty() {
        return;
    }
    let hits = matches(&lines, v.search.value());
    let (field, cur) = input_with_placeholder(
        &v.search,
        (area.width as usize).saturating_sub(24),
        "/ to search",
        theme,
    );
    let mut head = vec![Span::styled("Search  ", theme.dim), field];
    if !v.search.value().trim().is_empty() {
        head.push(Span::styled(
            format!("  {}", super::text::plural(hits.len(), "match", "matches")),
            if hits.is_empty() {
                theme.warn
            } else {
                theme.dim
            },
        ));
    }
    put_line(frame.buffer_mut(), area, 0, &Line::from(head));
    if v.searching {
        set_cursor(frame, area.x + 8 + cur, area.y);
    }
    let body = Rect {
        y: area.y + 2.min(area.height),
        height: area.height.saturating_sub(2),
        ..area
    };
    let rows = (body.height as usize).min(page_rows(app.size.1).max(1));
    let max = lines.len().saturating_sub(page_rows(app.size.1));
    let scroll = v.scroll.min(max);
    let needle = v.search.value().trim().to_lowercase();
    let buf = frame.buffer_mut();
    for (k, l) in lines.iter().skip(scroll).take(rows).enumerate() {
        let style = match l.kind {
            LineKind::Heading => theme.strong.patch(theme.accent),
            LineKind::Text => theme.base,
            LineKind::Dim => theme.dim,
            LineKind::Warn => theme.warn,
            LineKind::Json => theme.base,
        };
        let text = truncate(&l.text, body.width as usize).into_owned();
        put_line(
            buf,
            body,
            k as u16,
            &highlight(&text, &needle, style, theme),
        );
    }
    let at = if lines.is_empty() {
        String::new()
    } else {
        format!(
            "{}–{} of {}",
            scroll + 1,
            (scroll + rows).min(lines.len()),
            lines.len()
        )
    };
    let cap = caption_text(&at, v.layer(), app.ctx.read_only, &[], area.width as usize);
    caption(frame, area, &cap, theme);
}

/// `text` with every match of `needle` (lower-case) in the selection style.
fn highlight<'a>(text: &str, needle: &str, style: Style, theme: &Theme) -> Line<'a> {
    if needle.is_empty() {
        return Line::from(Span::styled(text.to_owned(), style));
    }
    let lower = text.to_lowercase();
    // byte offsets agree only when lower-casing keeps lengths (ASCII, the usual case)
    if lower.len() != text.len() {
        return Line::from(Span::styled(text.to_owned(), style));
    }
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(pos) = lower[at..].find(needle) {
        let start = at + pos;
        let end = start + needle.len();
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            break;
        }
        spans.push(Span::styled(text[at..start].to_owned(), style));
        spans.push(Span::styled(text[start..end].to_owned(), theme.selected));
        at = end;
    }
    spans.push(Span::styled(text[at..].to_owned(), style));
    Line::from(spans)
}
