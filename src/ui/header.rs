//! The header row: `sgkeys · <context> · <base URL>` on the left, the key count against
//! SendGrid's limit and the `[READ-ONLY]` / `[DEMO]` badges on the right. On narrow screens the
//! URL goes first, then the context label is shortened; the badges always stay.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text::{clean, put_line, put_line_at, truncate, width};
use super::theme::Theme;
use crate::app::{App, KEY_LIMIT};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if area.is_empty() {
        return;
    }
    let buf = frame.buffer_mut();
    buf.set_style(area, theme.header);
    let w = area.width as usize;

    // right side: count and badges
    let mut right: Vec<Span> = Vec::new();
    if app.keys.ever_loaded() {
        let n = app.keys.entries.len();
        let style = if n >= KEY_LIMIT {
            theme.danger
        } else if n >= KEY_LIMIT * 9 / 10 {
            theme.warn
        } else {
            theme.base
        };
        right.push(Span::styled(format!("{n}/{KEY_LIMIT} keys"), style));
    }
    if app.ctx.read_only {
        right.push(Span::raw(" "));
        right.push(Span::styled("[READ-ONLY]", theme.warn));
    }
    if app.ctx.demo {
        right.push(Span::raw(" "));
        right.push(Span::styled("[DEMO]", theme.info));
    }
    right.push(Span::raw(" "));
    let mut rw: usize = right.iter().map(|s| width(&s.content)).sum();
    if rw + 8 > w {
        // not even room for the brand: keep the badges only
        right.retain(|s| !s.content.ends_with(" keys"));
        rw = right.iter().map(|s| width(&s.content)).sum();
    }

    // left side: brand, context, URL
    let brand = " sgkeys";
    let sep = " · ";
    let ctx = app.context_label();
    let ctx = clean(&ctx);
    let url = clean(&app.ctx.base_url);
    let room = w.saturating_sub(rw + 1);
    let fixed = width(brand) + width(sep);
    let mut left = vec![Span::styled(brand, theme.brand)];
    if fixed + width(&ctx) + width(sep) + width(&url) <= room {
        left.push(Span::styled(sep, theme.dim));
        left.push(Span::styled(ctx.into_owned(), theme.strong));
        left.push(Span::styled(sep, theme.dim));
        left.push(Span::styled(url.into_owned(), theme.dim));
    } else if room > fixed + 3 {
        left.push(Span::styled(sep, theme.dim));
        left.push(Span::styled(
            truncate(&ctx, room - fixed).into_owned(),
            theme.strong,
        ));
    }
    put_line(buf, area, 0, &Line::from(left));
    let col = area.width.saturating_sub(rw as u16);
    put_line_at(buf, area, col, 0, &Line::from(right));
}
