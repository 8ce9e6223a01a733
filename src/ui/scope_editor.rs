//! `e`: the scope editor drawn, with its review / checking / conflict / saving / discard stages,
//! around the scope matrix (`forms.rs`). State, keys and answers are in `app::scope_editor`.

use std::collections::BTreeSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::{box_h, box_w, content_w, footer, frame_box, head, para, render_parts, show};
use super::text::{clean, plural, put_line, rule, truncate};
use super::theme::Theme;
use crate::app::keymap::Layer;
use crate::app::{App, ScopeForm, ScopeStage};

use super::forms::*;

pub(super) fn draw(frame: &mut Frame, screen: Rect, app: &App, f: &ScopeForm, theme: &Theme) {
    let region_h = screen.height.saturating_sub(2) as usize;
    let ro = app.ctx.read_only;
    let cw = 92usize;
    let title = format!("Edit scopes — {}", clean(&f.name));
    let (added, removed) = (f.added(), f.removed());
    match &f.stage {
        ScopeStage::Editing | ScopeStage::ConfirmDiscard(_) => {
            // header, matrix, then a footer: rule, diff, message (or blank, wrapped), keys
            let msg_w = content_w(screen, cw);
            let msg = message_lines(
                f.error.as_deref(),
                f.matrix.message.as_deref(),
                cursor_lock(&f.matrix),
                msg_w,
                theme,
            );
            let want = 1 + f.matrix.rows().len() + 3 + msg.len();
            let area = frame_box(
                frame,
                screen,
                box_w(cw),
                box_h(want.min(region_h)),
                &title,
                theme.border_focus,
                theme,
            );
            if area.is_empty() {
                return;
            }
            let w = area.width as usize;
            // what the key will be with this selection (a full set is Full Access again)
            let selected: Vec<&str> = f.matrix.selected.iter().map(String::as_str).collect();
            let kind = crate::scopes::classify(&selected).key_type.label();
            let head = Line::from(vec![
                Span::styled(kind, theme.strong),
                Span::styled(
                    format!(
                        " · {} selected",
                        plural(f.matrix.selected.len(), "scope", "scopes")
                    ),
                    theme.dim,
                ),
                Span::styled(format!(" (was {})", f.original.len()), theme.dim),
            ]);
            let mut status = diff_spans(added.len(), removed.len(), theme);
            status.insert(0, Span::styled("Changes ", theme.dim));
            let mut bottom: Vec<Line> = vec![
                Line::from(Span::styled(rule(w), theme.border)),
                Line::from(status),
            ];
            bottom.extend(msg);
            bottom.push(footer(Layer::Scopes, ro, w, theme));
            put_line(frame.buffer_mut(), area, 0, &head);
            let b = (bottom.len() as u16).min(area.height.saturating_sub(1));
            let matrix_area = Rect {
                y: area.y + 1.min(area.height),
                height: area.height.saturating_sub(1 + b),
                ..area
            };
            draw_matrix(
                frame,
                matrix_area,
                &f.matrix,
                f.stage == ScopeStage::Editing,
                theme,
            );
            let bottom_area = Rect {
                y: matrix_area.bottom(),
                height: area.bottom().saturating_sub(matrix_area.bottom()),
                ..area
            };
            render_parts(frame, bottom_area, &[], &bottom);
            if let ScopeStage::ConfirmDiscard(c) = &f.stage {
                super::confirm::draw_words(frame, screen, app, c, Layer::Discard, theme);
            }
        }
        ScopeStage::Review => {
            let w = content_w(screen, 72);
            let question = match f.preset {
                Some(p) => Line::from(vec![
                    Span::styled("Trim ", theme.base),
                    Span::styled(format!("'{}'", clean(&f.name)), theme.strong),
                    Span::styled(" to the preset ", theme.base),
                    Span::styled(format!("'{p}'"), theme.strong),
                    Span::styled("?", theme.base),
                ]),
                None => Line::from(vec![
                    Span::styled("Save these changes to ", theme.base),
                    Span::styled(format!("'{}'", clean(&f.name)), theme.strong),
                    Span::styled("?", theme.base),
                ]),
            };
            let mut top = vec![question, Line::default()];
            let room = region_h.saturating_sub(10).max(2);
            let per = (room / 2).max(1);
            if !added.is_empty() {
                top.push(Line::from(Span::styled(
                    format!("Added ({})", added.len()),
                    theme.ok,
                )));
                top.extend(scope_list(&added, "+", theme.ok, per, w, theme));
            }
            if !removed.is_empty() {
                top.push(Line::from(Span::styled(
                    format!("Removed ({})", removed.len()),
                    theme.danger,
                )));
                top.extend(scope_list(&removed, "−", theme.danger, per, w, theme));
            }
            top.push(Line::default());
            top.push(Line::from(Span::styled(
                format!(
                    "The key will hold {}.",
                    plural(f.matrix.selected.len(), "scope", "scopes")
                ),
                theme.dim,
            )));
            if let Some(msg) = &f.matrix.message {
                top.extend(para(&clean(msg), w, theme.warn));
            }
            let lockout = f.lockout();
            if !lockout.is_empty() {
                let names: Vec<&str> = lockout.iter().map(|s| s.as_str()).collect();
                top.extend(para(
                    &format!(
                        "⚠ This is the key sgkeys is using: without {} sgkeys can no longer do \
                         that with it.",
                        names.join(", ")
                    ),
                    w,
                    theme.danger,
                ));
            }
            // the request itself, when there is room for it
            let body = f.put_body();
            let body_lines = body.lines().count();
            if top.len() + body_lines + 5 <= region_h {
                top.push(Line::default());
                top.extend(body.lines().map(|l| {
                    Line::from(Span::styled(truncate(&clean(l), w).into_owned(), theme.dim))
                }));
            }
            let bottom = vec![Line::default(), footer(Layer::ScopesReview, ro, w, theme)];
            show(frame, screen, head(&title, 72), &top, &bottom, theme);
        }
        ScopeStage::Checking(_) | ScopeStage::Saving(_) => {
            let text = if matches!(f.stage, ScopeStage::Checking(_)) {
                "Checking whether the key changed elsewhere…"
            } else {
                "Saving…"
            };
            let top = vec![
                Line::from(vec![
                    Span::styled(format!("{} ", super::status::spinner(app)), theme.accent),
                    Span::styled(text, theme.base),
                ]),
                Line::from(diff_spans(added.len(), removed.len(), theme)),
            ];
            let bottom = vec![
                Line::default(),
                footer(Layer::Busy, ro, content_w(screen, 56), theme),
            ];
            show(frame, screen, head(&title, 56), &top, &bottom, theme);
        }
        ScopeStage::Conflict(server) => {
            let w = content_w(screen, 72);
            let mut top = para(
                "This key changed since you opened the editor.",
                w,
                theme.warn,
            );
            top.push(Line::default());
            if server.name != f.name {
                top.push(Line::from(vec![
                    Span::styled("Name     ", theme.dim),
                    Span::styled(format!("'{}'", clean(&f.name)), theme.base),
                    Span::styled(" → ", theme.dim),
                    Span::styled(format!("'{}'", clean(&server.name)), theme.strong),
                ]));
            }
            let now: BTreeSet<String> = crate::scopes::sendable(&server.scopes)
                .into_iter()
                .collect();
            let theirs_added: Vec<&String> = now.difference(&f.original).collect();
            let theirs_removed: Vec<&String> = f.original.difference(&now).collect();
            if theirs_added.is_empty() && theirs_removed.is_empty() {
                top.push(Line::from(Span::styled(
                    "Scopes   unchanged on the server",
                    theme.dim,
                )));
            } else {
                top.push(Line::from(Span::styled("On the server now:", theme.strong)));
                top.extend(scope_list(&theirs_added, "+", theme.ok, 5, w, theme));
                top.extend(scope_list(&theirs_removed, "−", theme.danger, 5, w, theme));
            }
            top.push(Line::default());
            let mut mine = vec![Span::styled("Your changes  ", theme.dim)];
            mine.extend(diff_spans(added.len(), removed.len(), theme));
            top.push(Line::from(mine));
            let bottom = vec![Line::default(), footer(Layer::ScopesConflict, ro, w, theme)];
            show(
                frame,
                screen,
                head("Changed elsewhere", 72).border(theme.warn),
                &top,
                &bottom,
                theme,
            );
        }
    }
}
