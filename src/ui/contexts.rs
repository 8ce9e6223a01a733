//! `c`: the context picker drawn (own account, subusers, contexts seen; filtered). State and
//! keys are in `app::contexts`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::{
    box_h, box_w, content_w, cursor_list, filter_row, footer, frame_box, para, render_parts,
};
use super::text::{clean, pad};
use super::theme::Theme;
use crate::api::OnBehalfOf;
use crate::app::{App, ContextPicker, ContextRow, picker_rows};

pub(super) fn draw(frame: &mut Frame, screen: Rect, app: &App, p: &ContextPicker, theme: &Theme) {
    let cw = content_w(screen, 60);
    let rows = picker_rows(app, p);
    let prev = app.previous_ctx.as_ref();
    let mut list: Vec<Line> = Vec::new();
    for r in &rows {
        let target = r.target();
        let (label, extra, disabled) = match r {
            ContextRow::Own => (
                format!("{} (own account)", clean(&app.ctx.account)),
                String::new(),
                false,
            ),
            ContextRow::Subuser(s) => (
                clean(&s.username).into_owned(),
                s.region.map(|r| r.as_str().to_owned()).unwrap_or_default(),
                s.disabled,
            ),
            ContextRow::Seen(o) => (
                clean(&o.header_value()).into_owned(),
                match o {
                    OnBehalfOf::AccountId(_) => "customer".to_owned(),
                    OnBehalfOf::Subuser(_) => "subuser".to_owned(),
                },
                false,
            ),
        };
        let cur = target == app.ctx.on_behalf_of;
        let mut spans = vec![
            Span::styled(if cur { "● " } else { "  " }, theme.accent),
            Span::styled(
                pad(&label, cw.saturating_sub(24)),
                if disabled { theme.dim } else { theme.base },
            ),
            Span::styled(format!(" {}", pad(&extra, 8)), theme.dim),
        ];
        if disabled {
            spans.push(Span::styled(" disabled", theme.warn));
        } else if cur {
            spans.push(Span::styled(" current", theme.dim));
        } else if prev == Some(&target) {
            spans.push(Span::styled(" previous (-)", theme.dim));
        }
        list.push(Line::from(spans));
    }
    let mut notes: Vec<Line> = Vec::new();
    if app.subusers.is_loading() {
        notes.push(Line::from(Span::styled(
            format!("{} Loading subusers…", super::status::spinner(app)),
            theme.dim,
        )));
    } else if let Some(why) = app.subusers.error() {
        notes.extend(para(
            &format!("Could not load subusers: {}", clean(why)),
            cw,
            theme.danger,
        ));
    }
    if rows.is_empty() && !app.subusers.is_loading() {
        notes.push(Line::from(Span::styled(
            "Nothing matches the filter",
            theme.dim,
        )));
    }
    let list_h = list.len().clamp(1, 14);
    let bottom = vec![
        Line::default(),
        footer(p.layer(), app.ctx.read_only, cw, theme),
    ];
    let total = 2 + list_h + notes.len() + bottom.len();
    let area = frame_box(
        frame,
        screen,
        box_w(cw),
        box_h(total),
        "Switch context",
        theme.border_focus,
        theme,
    );
    if area.is_empty() {
        return;
    }
    let _ = filter_row(frame, area, (&p.filter, p.editing), "/ to filter", theme);
    let buf = frame.buffer_mut();
    let list_area = Rect {
        y: area.y + 2,
        height: area
            .height
            .saturating_sub(2 + notes.len() as u16 + bottom.len() as u16)
            .min(list_h as u16),
        ..area
    };
    let cursor = p.cursor.min(rows.len().saturating_sub(1));
    cursor_list(buf, list_area, &list, cursor, theme);
    let notes_area = Rect {
        y: list_area.bottom(),
        height: area.bottom().saturating_sub(list_area.bottom()),
        ..area
    };
    render_parts(frame, notes_area, &notes, &bottom);
}
