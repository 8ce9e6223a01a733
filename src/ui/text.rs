//! Text helpers shared by the widgets: cleaning server text, measuring, truncating, padding and
//! wrapping by display width, and drawing lines that never leave their area.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Replace characters that would corrupt the screen (controls, bidi overrides) with `�`.
/// Key names, error messages and scope names come from the server: clean them before drawing.
pub fn clean(s: &str) -> Cow<'_, str> {
    let bad =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if s.chars().any(bad) {
        Cow::Owned(
            s.chars()
                .map(|c| if bad(c) { '\u{fffd}' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// Display width in terminal columns.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// At most `max` columns of `s`, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = char_width(c);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    Cow::Owned(out)
}

/// Exactly `w` columns: truncated with `…` or padded with spaces on the right.
pub fn pad(s: &str, w: usize) -> String {
    let t = truncate(s, w);
    let fill = w.saturating_sub(width(&t));
    let mut out = String::with_capacity(t.len() + fill);
    out.push_str(&t);
    out.extend(std::iter::repeat_n(' ', fill));
    out
}

/// Exactly `w` columns, right-aligned.
pub fn pad_left(s: &str, w: usize) -> String {
    let t = truncate(s, w);
    let fill = w.saturating_sub(width(&t));
    let mut out: String = std::iter::repeat_n(' ', fill).collect();
    out.push_str(&t);
    out
}

/// Greedy word wrap to `w` columns; words longer than a line are broken. Never empty.
pub fn wrap(s: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0;
    for word in s.split(' ') {
        let ww = width(word);
        if cur_w > 0 && cur_w + 1 + ww <= w {
            cur.push(' ');
            cur.push_str(word);
            cur_w += 1 + ww;
            continue;
        }
        if cur_w > 0 {
            lines.push(std::mem::take(&mut cur));
            cur_w = 0;
        }
        if ww <= w {
            cur.push_str(word);
            cur_w = ww;
        } else {
            for c in word.chars() {
                let cw = char_width(c);
                if cur_w + cw > w && cur_w > 0 {
                    lines.push(std::mem::take(&mut cur));
                    cur_w = 0;
                }
                cur.push(c);
                cur_w += cw;
            }
        }
    }
    if cur_w > 0 || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Like [`wrap`] but at most `max_lines` lines, the last one ending in `…` when text was cut.
pub fn wrap_max(s: &str, w: usize, max_lines: usize) -> Vec<String> {
    let mut lines = wrap(s, w);
    if max_lines > 0 && lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            *last = truncate(&format!("{last}…"), w).into_owned();
        }
    }
    lines
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

/// A horizontal rule.
pub fn rule(w: usize) -> String {
    "─".repeat(w)
}

/// `n thing` / `n things`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The first visible row of a list of `len` rows in `height` rows that keeps `cursor` visible,
/// centred when possible. Pure: no scroll state needed.
pub fn center_offset(cursor: usize, len: usize, height: usize) -> usize {
    if height == 0 || len <= height {
        return 0;
    }
    cursor.saturating_sub(height / 2).min(len - height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_controls() {
        assert_eq!(clean("a\u{1b}[31mb\n"), "a\u{fffd}[31mb\u{fffd}");
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn truncates_and_pads_by_width() {
        assert_eq!(truncate("hello world", 5), "hell…");
        assert_eq!(truncate("hi", 5), "hi");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(pad("日本語", 5), "日本…");
        assert_eq!(pad("日本語", 4), "日… ");
        assert_eq!(width(&pad("日本語テキスト", 6)), 6);
        assert_eq!(pad_left("7", 3), "  7");
    }

    #[test]
    fn wraps() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("", 3), vec![""]);
        assert_eq!(wrap_max("aa bb cc dd", 5, 1), vec!["aa b…"]);
    }

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

    #[test]
    fn offsets() {
        assert_eq!(center_offset(0, 100, 10), 0);
        assert_eq!(center_offset(50, 100, 10), 45);
        assert_eq!(center_offset(99, 100, 10), 90);
        assert_eq!(center_offset(3, 5, 10), 0);
        assert_eq!(center_offset(3, 5, 0), 0);
    }
}
