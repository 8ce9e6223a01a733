//! The `@` log: newest at the bottom, each entry with its local time and how long ago; a line
//! said several times in a row once, with its count; `/` filters, `w` wraps long lines (else
//! they are cut with `…`). Its state and keys are in `app::log`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::{caption, caption_text, filter_row, frame_box, usable};
use super::text::{clean, plural, put_line, truncate, width, wrap};
use super::theme::Theme;
use crate::app::keymap::Action;
use crate::app::log::log_rows;
use crate::app::{App, Level, LogLine, LogModal};

/// `14:03:27  12s ago`: the local clock time, for a postmortem, and how long ago, at a glance.
pub fn stamp(app: &App, at_ms: u64) -> String {
    format!(
        "{} {:>8}",
        app.clock.hms(at_ms),
        super::status::ago(app.now_ms.saturating_sub(at_ms))
    )
}

/// An entry's text as shown: cleaned, with its count when said more than once.
fn entry_text(line: &LogLine) -> String {
    let text = clean(&line.text);
    if line.count > 1 {
        format!("{text} ×{}", line.count)
    } else {
        text.into_owned()
    }
}

pub fn draw(frame: &mut Frame, screen: Rect, app: &App, l: &LogModal, theme: &Theme) {
    let region = usable(screen);
    let w = region.width.saturating_sub(4).max(1);
    let rows_idx = log_rows(app, l);
    // sized to the entries (at least a few rows), at most the screen
    let want_h = (rows_idx.len() + 2).clamp(5, usize::from(u16::MAX) - 2) as u16 + 2;
    let h = region.height.saturating_sub(2).clamp(1, want_h);
    let mut title = format!(
        "Message log · {}",
        plural(app.log.len(), "entry", "entries")
    );
    if !l.filter.value().trim().is_empty() {
        title.push_str(&format!(" · {} matching", rows_idx.len()));
    }
    if app.live.quiet > 0 {
        title.push_str(&format!(
            " · {} hidden (periodic refreshes, no change)",
            app.live.quiet
        ));
    }
    let area = frame_box(frame, screen, w, h, &title, theme.border_focus, theme);
    if area.is_empty() {
        return;
    }
    let body = filter_row(frame, area, (&l.filter, l.editing), "/ to filter", theme);
    let buf = frame.buffer_mut();
    let n = rows_idx.len();
    if n == 0 {
        let what = if app.log.is_empty() {
            "No messages yet".to_owned()
        } else {
            format!(
                "Nothing matches `{}`",
                truncate(&clean(l.filter.value()), 30)
            )
        };
        super::text::put_centered(buf, body, &[(what, theme.dim)]);
        return;
    }
    let scroll = l.scroll.min(n - 1);
    let stamp_w = app.log.back().map_or(17, |x| width(&stamp(app, x.at_ms)));
    let text_w = (body.width as usize).saturating_sub(stamp_w + 1).max(1);
    // newest at the bottom: lay out entries from the newest shown upwards until the box is full
    let rows = body.height as usize;
    let mut lines: Vec<Line> = Vec::new();
    for &i in rows_idx[..n - scroll].iter().rev() {
        let Some(line) = app.log.get(i) else { continue };
        let style = match line.level {
            Level::Info => theme.base,
            Level::Success => theme.ok,
            Level::Warn => theme.warn,
            Level::Error => theme.danger,
        };
        let text = entry_text(line);
        let parts: Vec<String> = if l.wrap {
            wrap(&text, text_w)
        } else {
            vec![truncate(&text, text_w).into_owned()]
        };
        let mut entry: Vec<Line> = Vec::new();
        for (k, part) in parts.into_iter().enumerate() {
            let lead = if k == 0 {
                format!("{:>stamp_w$} ", stamp(app, line.at_ms))
            } else {
                " ".repeat(stamp_w + 1)
            };
            entry.push(Line::from(vec![
                Span::styled(lead, theme.dim),
                Span::styled(part, style),
            ]));
        }
        // an entry taller than what is left shows its end (the newest lines stay in view)
        let room = rows - lines.len();
        let skip = entry.len().saturating_sub(room);
        for e in entry.into_iter().skip(skip).rev() {
            lines.push(e);
        }
        if lines.len() >= rows {
            break;
        }
    }
    lines.reverse();
    let first_row = rows.saturating_sub(lines.len());
    for (k, line) in lines.iter().enumerate() {
        put_line(buf, body, (first_row + k) as u16, line);
    }
    // scrolled up: how much is below and the way back; at the bottom, nothing to go down to
    let (status, except) = if scroll > 0 {
        (format!("{scroll} newer below"), &[][..])
    } else {
        (String::new(), &[Action::Down, Action::Bottom][..])
    };
    let cap = caption_text(
        &status,
        l.layer(),
        app.ctx.read_only,
        except,
        area.width as usize,
    );
    caption(frame, area, &cap, theme);
}
