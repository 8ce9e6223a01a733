//! Text helpers for the widgets: the ground-floor [`crate::text`] (cleaning server text,
//! widths, truncation, wrapping), plus spans and lines that never leave their area.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

pub use crate::text::*;

/// `r` less `n` columns on each side, when it is wider than that.
pub fn inset_x(r: Rect, n: u16) -> Rect {
    if r.width > 2 * n {
        Rect {
            x: r.x + n,
            width: r.width - 2 * n,
            ..r
        }
    } else {
        r
    }
}

/// Cut a list of spans to at most `max` columns, ending in `…` when something was cut.
pub fn fit_spans(spans: Vec<Span<'_>>, max: usize) -> Vec<Span<'_>> {
    let total: usize = spans.iter().map(|s| width(&s.content)).sum();
    if total <= max {
        return spans;
    }
    let mut out = Vec::with_capacity(spans.len());
    let mut used = 0;
    for s in spans {
        let w = width(&s.content);
        if used + w < max {
            used += w;
            out.push(s);
            continue;
        }
        let room = max.saturating_sub(used);
        if room > 0 {
            let cut = truncate(&format!("{}…", s.content), room).into_owned();
            out.push(Span::styled(cut, s.style));
        }
        break;
    }
    out
}

/// Width of a line in columns.
pub fn line_width(line: &Line<'_>) -> usize {
    line.spans.iter().map(|s| width(&s.content)).sum()
}

/// Draw `line` on row `row` of `area`, clipped to the area (a row outside it is ignored).
pub fn put_line(buf: &mut Buffer, area: Rect, row: u16, line: &Line<'_>) {
    put_line_at(buf, area, 0, row, line);
}

/// Draw `line` at column `col`, row `row` of `area`, clipped to the area.
pub fn put_line_at(buf: &mut Buffer, area: Rect, col: u16, row: u16, line: &Line<'_>) {
    let area = area.intersection(buf.area);
    if row >= area.height || col >= area.width {
        return;
    }
    buf.set_line(area.x + col, area.y + row, line, area.width - col);
}

/// Style a whole row of `area` (selection highlight).
pub fn style_row(buf: &mut Buffer, area: Rect, row: u16, style: Style) {
    if row < area.height {
        buf.set_style(
            Rect {
                y: area.y + row,
                height: 1,
                ..area
            },
            style,
        );
    }
}

/// Lines centred horizontally and vertically in `area`, each wrapped to its width.
pub fn put_centered(buf: &mut Buffer, area: Rect, lines: &[(String, Style)]) {
    let w = area.width as usize;
    if w == 0 || area.height == 0 {
        return;
    }
    let wrapped: Vec<(String, Style)> = lines
        .iter()
        .flat_map(|(t, s)| wrap(t, w).into_iter().map(move |l| (l, *s)))
        .collect();
    let top = (area.height as usize).saturating_sub(wrapped.len()) / 2;
    for (i, (text, style)) in wrapped.iter().enumerate() {
        let row = top + i;
        if row >= area.height as usize {
            break;
        }
        let lw = width(text).min(w);
        let col = ((w - lw) / 2) as u16;
        put_line_at(
            buf,
            area,
            col,
            row as u16,
            &Line::from(Span::styled(text.as_str(), *style)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_spans() {
        let spans = vec![Span::raw("abc"), Span::raw("defgh")];
        let cut: Vec<String> = fit_spans(spans, 6)
            .into_iter()
            .map(|s| s.content.into_owned())
            .collect();
        assert_eq!(cut, vec!["abc", "de…"]);
        let spans = vec![Span::raw("abc")];
        assert_eq!(fit_spans(spans, 3).len(), 1);
    }
}
