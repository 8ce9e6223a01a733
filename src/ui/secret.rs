//! A created key's secret, shown once (whole, on its own lines), with the copy and the warning
//! before it is closed uncopied. State and keys are in `app::secret`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::{content_w, footer, head, para, show};
use super::text::{clean, plural, width};
use super::theme::Theme;
use crate::app::keymap::Layer;
use crate::app::{App, SecretModal};

pub(super) fn draw(frame: &mut Frame, screen: Rect, app: &App, s: &SecretModal, theme: &Theme) {
    let value = s.secret.expose();
    let cw = (width(value) + 2).max(60);
    let inner_w = content_w(screen, cw);
    let label = |l: &str| Span::styled(format!("{l:<6}"), theme.dim);
    let mut top = vec![
        Line::from(vec![
            label("Name"),
            Span::styled(clean(&s.name).into_owned(), theme.strong),
        ]),
        Line::from(vec![
            label("Id"),
            Span::styled(clean(s.id.as_str()).into_owned(), theme.base),
        ]),
        Line::from(vec![
            label("Type"),
            Span::styled(s.key_type.label(), theme.badge(s.key_type)),
            Span::styled(
                format!(" · {}", plural(s.scope_count, "scope", "scopes")),
                theme.dim,
            ),
        ]),
        Line::default(),
    ];
    // the secret in full, on its own line(s): it is shown here, once
    let chars: Vec<char> = clean(value).chars().collect();
    for chunk in chars.chunks(inner_w) {
        top.push(Line::from(Span::styled(
            chunk.iter().collect::<String>(),
            theme.accent.patch(theme.strong),
        )));
    }
    top.push(Line::default());
    top.extend(para(
        "⚠ This secret cannot be shown again: copy it now and store it somewhere safe.",
        inner_w,
        theme.warn,
    ));
    if s.copied {
        top.push(Line::from(Span::styled("Copied ✓", theme.ok)));
    }
    if s.confirm_close {
        top.extend(para(
            "You have not copied it. Press Esc or Enter again to close; the secret is gone after that.",
            inner_w,
            theme.danger,
        ));
    }
    let bottom = vec![
        Line::default(),
        footer(Layer::Secret, app.ctx.read_only, inner_w, theme),
    ];
    show(
        frame,
        screen,
        head("New key — shown once", cw),
        &top,
        &bottom,
        theme,
    );
}
