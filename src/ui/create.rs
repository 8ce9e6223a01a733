//! `n`: the new-key form drawn (name, type, preset, the scope matrix of `forms.rs`), its review
//! and its discard question. State, keys and answers are in `app::create`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::{
    box_h, box_w, content_w, footer, frame_box, head, input_field, para, render_parts, set_cursor,
    show,
};
use super::text::{clean, plural, rule, truncate, width, wrap};
use super::theme::Theme;
use crate::app::keymap::Layer;
use crate::app::{App, CreateField, CreateForm, CreateStage};
use crate::presets::PRESETS;
use crate::scopes::KeyType;

use super::forms::*;

const TYPES: [(KeyType, &str); 3] = [
    (
        KeyType::Custom,
        "only the categories and scopes you pick (least privilege)",
    ),
    (
        KeyType::Full,
        "every scope except billing: convenient, dangerous if it leaks",
    ),
    (
        KeyType::Billing,
        "billing scopes only; they cannot be combined with others",
    ),
];

pub(super) fn draw(frame: &mut Frame, screen: Rect, app: &App, f: &CreateForm, theme: &Theme) {
    let region_h = screen.height.saturating_sub(2) as usize;
    let ro = app.ctx.read_only;
    let title = "New API key";
    let name = f.name.value().trim();
    match &f.stage {
        CreateStage::Editing | CreateStage::ConfirmDiscard(_) => {
            let custom = f.key_type == KeyType::Custom;
            // name, type, explanation (+ preset, matrix title, matrix), message, keys
            let lock = if custom && f.focus == CreateField::Matrix {
                cursor_lock(&f.matrix)
            } else {
                None
            };
            let msg = message_lines(
                f.error.as_deref(),
                f.matrix.message.as_deref(),
                lock,
                content_w(screen, 92),
                theme,
            );
            let limited_full = f.full_held_by_caller().map(|n| {
                format!(
                    "all {n} scopes you hold (your key does not hold every scope, so neither will \
                     this one): convenient, dangerous if it leaks"
                )
            });
            let explain = match (&limited_full, f.key_type) {
                (Some(text), KeyType::Full) => text.as_str(),
                _ => TYPES
                    .iter()
                    .find(|(t, _)| *t == f.key_type)
                    .map_or("", |(_, e)| e),
            };
            let explain_lines = wrap(explain, content_w(screen, 92).saturating_sub(9).max(1));
            let top_h = 2 + explain_lines.len().max(1);
            let want_h = if custom {
                top_h + 2 + f.matrix.rows().len() + 1 + msg.len()
            } else {
                top_h + 1 + msg.len()
            };
            let area = frame_box(
                frame,
                screen,
                box_w(92),
                box_h(want_h.min(region_h)),
                title,
                theme.border_focus,
                theme,
            );
            if area.is_empty() {
                return;
            }
            let w = area.width as usize;
            let editing = f.stage == CreateStage::Editing;
            let label = |text: &str, field: CreateField| {
                let on = editing && f.focus == field;
                Span::styled(
                    format!("{}{:<7}", if on { "› " } else { "  " }, text),
                    if on {
                        theme.accent.patch(theme.strong)
                    } else {
                        theme.dim
                    },
                )
            };
            let lw = 9usize;
            let mut top: Vec<Line> = Vec::new();
            // name
            let (field, cur) = input_field(&f.name, w.saturating_sub(lw).min(60), theme);
            top.push(Line::from(vec![label("Name", CreateField::Name), field]));
            // type
            let mut spans = vec![label("Type", CreateField::Type)];
            for (t, _) in TYPES {
                if t == f.key_type {
                    spans.push(Span::styled("● ", theme.accent));
                    spans.push(Span::styled(t.badge(), theme.badge(t).patch(theme.strong)));
                } else {
                    spans.push(Span::styled(format!("○ {}", t.badge()), theme.dim));
                }
                spans.push(Span::raw("   "));
            }
            top.push(Line::from(spans));
            for l in wrap(explain, w.saturating_sub(lw).max(1)) {
                top.push(Line::from(vec![
                    Span::raw(" ".repeat(lw)),
                    Span::styled(l, theme.dim),
                ]));
            }
            if custom {
                let (pname, pdesc) = match f.preset.and_then(|i| PRESETS.get(i)) {
                    Some(p) => (p.name, p.description),
                    None => ("none", "←/→ to start from a preset"),
                };
                let chip = format!("‹ {pname} ›");
                let room = w.saturating_sub(lw + width(&chip) + 2);
                top.push(Line::from(vec![
                    label("Preset", CreateField::Preset),
                    Span::styled(
                        chip,
                        if f.preset.is_some() {
                            theme.strong
                        } else {
                            theme.dim
                        },
                    ),
                    Span::styled(format!("  {}", truncate(pdesc, room)), theme.dim),
                ]));
                let mtitle = format!(
                    "Scopes · {} selected ",
                    plural(f.matrix.selected.len(), "scope", "scopes")
                );
                let on = editing && f.focus == CreateField::Matrix;
                top.push(Line::from(vec![
                    Span::styled(
                        format!("{}{}", if on { "› " } else { "  " }, mtitle),
                        if on {
                            theme.accent.patch(theme.strong)
                        } else {
                            theme.dim
                        },
                    ),
                    Span::styled(rule(w.saturating_sub(width(&mtitle) + 2)), theme.border),
                ]));
            }
            // the form under a "discard?" question keeps the footer of its focused field
            let layer = if f.focus == CreateField::Name {
                Layer::CreateName
            } else {
                Layer::Create
            };
            let mut bottom: Vec<Line> = msg;
            bottom.push(footer(layer, ro, w, theme));
            let b = (bottom.len() as u16).min(area.height);
            let top_h = (top.len() as u16).min(area.height.saturating_sub(b));
            let top_area = Rect {
                height: top_h,
                ..area
            };
            render_parts(frame, top_area, &top, &[]);
            if custom {
                let matrix_area = Rect {
                    y: top_area.bottom(),
                    height: area.height.saturating_sub(top_h + b),
                    ..area
                };
                draw_matrix(
                    frame,
                    matrix_area,
                    &f.matrix,
                    editing && f.focus == CreateField::Matrix,
                    theme,
                );
            }
            let bottom_area = Rect {
                y: area.bottom().saturating_sub(b),
                height: b,
                ..area
            };
            render_parts(frame, bottom_area, &[], &bottom);
            if editing && f.focus == CreateField::Name && top_h > 0 {
                set_cursor(frame, area.x + lw as u16 + cur, area.y);
            }
            if let CreateStage::ConfirmDiscard(c) = &f.stage {
                super::confirm::draw_words(frame, screen, app, c, Layer::Discard, theme);
            }
        }
        CreateStage::Review => {
            let w = content_w(screen, 72);
            let scopes = f.scopes_to_send();
            let what = match &scopes {
                None => match f.full_held_by_caller() {
                    Some(n) => format!(
                        "{}, all {n} scopes you hold (your key does not hold every scope)",
                        f.key_type.label()
                    ),
                    None => format!("{}, every scope except billing", f.key_type.label()),
                },
                Some(s) => format!(
                    "{}, {}",
                    f.key_type.label(),
                    plural(s.len(), "scope", "scopes")
                ),
            };
            let mut top = vec![
                Line::from(vec![
                    Span::styled("Create ", theme.base),
                    Span::styled(format!("'{}'", clean(name)), theme.strong),
                    Span::styled(format!(" — {what}"), theme.base),
                ]),
                Line::default(),
            ];
            if let Some(list) = &scopes {
                let refs: Vec<&String> = list.iter().collect();
                let max = region_h.saturating_sub(8).max(2);
                top.extend(scope_list(&refs, "+", theme.ok, max, w, theme));
            }
            if f.key_type == KeyType::Full {
                top.extend(para(
                    "A Full Access key can do almost anything on the account: prefer Custom.",
                    w,
                    theme.warn,
                ));
            }
            let bottom = vec![
                Line::default(),
                para(
                    "The secret is shown once, right after creation.",
                    w,
                    theme.dim,
                )
                .remove(0),
                footer(Layer::CreateReview, ro, w, theme),
            ];
            show(frame, screen, head("Create key?", 72), &top, &bottom, theme);
        }
        CreateStage::Submitting(_) => {
            let top = vec![Line::from(vec![
                Span::styled(format!("{} ", super::status::spinner(app)), theme.accent),
                Span::styled(
                    format!("Creating '{}'…", truncate(&clean(name), 40)),
                    theme.base,
                ),
            ])];
            let bottom = vec![
                Line::default(),
                footer(Layer::Busy, ro, content_w(screen, 56), theme),
            ];
            show(frame, screen, head(title, 56), &top, &bottom, theme);
        }
    }
}
