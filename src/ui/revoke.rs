//! The revoke confirmation (`d`): what is about to go and what it breaks, Cancel focused, the
//! key in use marked (revoked last), and the typed count for more than one key. Its state and
//! transitions are in `app::revoke`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::{input_field, para, set_cursor, usable};
use super::text::{clean, pad, put_line, width};
use super::theme::Theme;
use crate::app::keymap::Layer;
use crate::app::{App, ConfirmDelete};

pub(super) fn confirm_delete(
    frame: &mut Frame,
    screen: Rect,
    app: &App,
    c: &ConfirmDelete,
    theme: &Theme,
) {
    let n = c.targets.len();
    let cw = super::confirm::width(screen, &c.confirm);
    let avail = usable(screen).height.saturating_sub(2) as usize;
    let show_id = cw >= 60;
    let type_w = 14;
    let name_w = cw.saturating_sub(2 + type_w + 1 + if show_id { 23 } else { 0 });

    // what must be said, whatever the size
    let consequence = if n == 1 {
        "Apps using it will stop working. This cannot be undone."
    } else {
        "Apps using them will stop working. This cannot be undone."
    };
    let mut warnings = para(consequence, cw, theme.warn);
    for t in c.targets.iter().filter(|t| t.own) {
        let when = if n > 1 {
            ", revoked last after every other key"
        } else {
            ""
        };
        warnings.extend(para(
            &format!(
                "⚠ '{}' is the key sgkeys is using{when}: sgkeys will stop working",
                clean(&t.name)
            ),
            cw,
            theme.danger,
        ));
    }
    let mut errors = c
        .error
        .as_ref()
        .map(|e| para(&clean(e), cw, theme.danger))
        .unwrap_or_default();
    errors.extend(super::confirm::ignored(&c.confirm, app.now_ms, cw, theme));
    let essentials = warnings.len() + usize::from(c.needs_count()) + errors.len() + 1;
    // spacing and the key reminder go first when space is short, then list rows
    let roomy = avail >= n.min(8) + essentials + 4;
    let max_list = if roomy {
        8
    } else {
        avail.saturating_sub(essentials).max(1)
    };

    let mut top: Vec<Line> = Vec::new();
    for (i, t) in c.targets.iter().enumerate() {
        if i + 1 == max_list && n > max_list {
            top.push(Line::from(Span::styled(
                format!("  … and {} more", n - i),
                theme.dim,
            )));
            break;
        }
        let mut spans = vec![
            Span::styled("● ", if t.own { theme.danger } else { theme.dim }),
            Span::styled(pad(&clean(&t.name), name_w), theme.strong),
        ];
        if show_id {
            spans.push(Span::styled(
                format!(" {}", pad(&clean(t.id.as_str()), 22)),
                theme.dim,
            ));
        }
        spans.push(Span::raw(" "));
        spans.push(match t.key_type {
            Some(k) => Span::styled(pad(k.label(), type_w), theme.badge(k)),
            None => Span::styled(pad("type unknown", type_w), theme.dim),
        });
        top.push(Line::from(spans));
    }
    if roomy {
        top.push(Line::default());
    }
    top.extend(warnings);
    let mut input_row = None;
    if c.needs_count() {
        if roomy {
            top.push(Line::default());
        }
        input_row = Some(top.len());
        top.push(Line::default()); // "Type N to confirm: [input]"
    }
    top.extend(errors);
    let area = super::confirm::draw(
        frame,
        screen,
        app,
        &c.confirm,
        Layer::Confirm,
        super::confirm::Above { lines: &top, roomy },
        theme,
    );
    if area.is_empty() {
        return;
    }
    let bottom_len = if roomy { 3 } else { 1 };
    if let Some(row) = input_row {
        let room = area.height.saturating_sub(bottom_len);
        if (row as u16) < room {
            let label = format!("Type {n} to confirm: [");
            let (field, cur) = input_field(&c.typed, 6, theme);
            let lw = width(&label) as u16;
            let line = Line::from(vec![
                Span::styled(label, theme.strong),
                field,
                Span::styled("]", theme.strong),
            ]);
            put_line(frame.buffer_mut(), area, row as u16, &line);
            set_cursor(frame, area.x + lw + cur, area.y + row as u16);
        }
    }
}
