//! `R`: the rotation's dialogs drawn: the replacement's name (one key) or the list of lineage
//! names (several), and "is the new key deployed?" (the one confirmation, `confirm.rs`). State,
//! keys and answers are in `app::rotate`; the secret in between is `secret.rs`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::{OneField, content_w, footer, head, one_field, para, show, usable};
use super::text::{clean, plural, truncate};
use super::theme::Theme;
use crate::app::keymap::Layer;
use crate::app::{App, DeployedAsk, RotateForm};

pub(super) fn form(frame: &mut Frame, screen: Rect, app: &App, f: &RotateForm, theme: &Theme) {
    if !f.many.is_empty() {
        return rotate_many(frame, screen, app, f, theme);
    }
    let cw = content_w(screen, 64);
    let label = |l: &str| Span::styled(format!("{l:<10}"), theme.dim);
    let above = vec![
        Line::from(vec![
            label("Replaces"),
            Span::styled(clean(&f.key.old_name).into_owned(), theme.strong),
            Span::styled(format!(" {}", clean(f.key.old.as_str())), theme.dim),
        ]),
        Line::from(vec![
            label("Scopes"),
            Span::styled(
                format!(
                    "{}, the same as the old key",
                    plural(f.key.scopes.len(), "scope", "scopes")
                ),
                theme.base,
            ),
        ]),
        Line::default(),
        Line::from(Span::styled("Name of the replacement", theme.accent)),
    ];
    let below = para(
        "The old key keeps working until you revoke it: after the secret you are asked whether \
         the new key is deployed.",
        cw,
        theme.dim,
    );
    let d = OneField {
        title: "Rotate key",
        above,
        below,
        input: &f.name,
        error: f.error.as_deref(),
        busy: f.submitting.map(|_| "Creating the replacement…"),
        layer: Layer::RotateName,
        cw,
    };
    one_field(frame, screen, app, d, theme);
}

fn rotate_many(frame: &mut Frame, screen: Rect, app: &App, f: &RotateForm, theme: &Theme) {
    let cw = content_w(screen, 72);
    let n = f.many.len();
    let avail = usable(screen).height.saturating_sub(10) as usize;
    let shown = n.min(avail.max(1));
    let mut top = para(
        "Each key gets a replacement with its scopes, named for its lineage:",
        cw,
        theme.base,
    );
    top.push(Line::default());
    for (i, t) in f.many.iter().enumerate() {
        if i + 1 == shown && n > shown {
            top.push(Line::from(Span::styled(
                format!("  … and {} more", n - i),
                theme.dim,
            )));
            break;
        }
        top.push(Line::from(vec![
            Span::styled("● ", theme.dim),
            Span::styled(
                truncate(&clean(&t.name), cw.saturating_sub(2)).into_owned(),
                theme.strong,
            ),
        ]));
    }
    top.push(Line::default());
    top.extend(para(
        "Each secret is shown once, one after the other. Then one confirmation (the count typed) \
         revokes the old keys, the key sgkeys uses last; Esc there keeps them (pending).",
        cw,
        theme.dim,
    ));
    let bottom = vec![
        Line::default(),
        footer(Layer::RotateName, app.ctx.read_only, cw, theme),
    ];
    show(
        frame,
        screen,
        head(&format!("Rotate {}", plural(n, "key", "keys")), cw),
        &top,
        &bottom,
        theme,
    );
}

pub(super) fn deployed(frame: &mut Frame, screen: Rect, app: &App, d: &DeployedAsk, theme: &Theme) {
    super::confirm::draw_words(frame, screen, app, &d.confirm, Layer::Deployed, theme);
}
