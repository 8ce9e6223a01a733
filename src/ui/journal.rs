//! The `J` journal view with an entry's detail and its confirmation (drawn by `confirm.rs`).
//! State and transitions are in `app::journal`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::{
    content_w, cursor_list, filter_row, footer, footer_except, frame_box, head, para, show, usable,
};
use super::text::{clean, pad, plural, put_line, truncate};
use super::theme::Theme;
use crate::app::journal::{
    JournalFix, context_of, current_entry, fix_for, is_pending, journal_rows, outcome_label,
};
use crate::app::keymap::{Action, Layer};
use crate::app::{App, JournalView};

// ---------------------------------------------------------------- journal

const TIME_W: usize = 14;
const ACTION_W: usize = 10;
const ID_W: usize = 22;
const OUTCOME_W: usize = 10;

pub(super) fn journal(frame: &mut Frame, screen: Rect, app: &App, v: &JournalView, theme: &Theme) {
    let region = usable(screen);
    let w = region.width.saturating_sub(2).max(1);
    let h = region.height.saturating_sub(1).max(1);
    let rows = journal_rows(app, v);
    // the filter is by context (endpoint and account): the title names it
    let scope = if v.all {
        "all contexts".to_owned()
    } else {
        format!("{} only", clean(&app.context_label()))
    };
    let title = format!(
        "Journal · {} · {scope} · newest first",
        plural(rows.len(), "entry", "entries")
    );
    let area = frame_box(frame, screen, w, h, &title, theme.border_focus, theme);
    if area.is_empty() {
        return;
    }
    let cw = area.width as usize;
    let placeholder = "/ to filter (action, id, name, outcome, pending)";
    filter_row(frame, area, (&v.filter, v.editing), placeholder, theme);
    let show_ctx = cw >= 110;
    let show_id = cw >= 72;
    let fixed = TIME_W + 1 + ACTION_W + 1 + OUTCOME_W + 1 + if show_id { ID_W + 1 } else { 0 };
    let rest = cw.saturating_sub(fixed);
    let (name_w, ctx_w) = if show_ctx {
        let n = rest * 2 / 5;
        (n, rest.saturating_sub(n + 1))
    } else {
        (rest, 0)
    };
    let mut header = pad("TIME", TIME_W + 1) + &pad("ACTION", ACTION_W + 1);
    if show_id {
        header += &pad("KEY ID", ID_W + 1);
    }
    header += &format!("{} {}", pad("NAME", name_w), pad("OUTCOME", OUTCOME_W));
    if show_ctx {
        header += &format!(" {}", pad("CONTEXT", ctx_w));
    }
    let header = Line::from(Span::styled(header, theme.column_header));
    put_line(frame.buffer_mut(), area, 1, &header);
    let entries = app.journal.value().map(Vec::as_slice).unwrap_or_default();
    let list: Vec<Line> = rows
        .iter()
        .filter_map(|&i| entries.get(i))
        .map(|e| {
            let (outcome, style) = if is_pending(app, e) {
                ("⟳ pending", theme.warn)
            } else {
                match outcome_label(e) {
                    "ok" => ("ok", theme.ok),
                    "failed" => ("failed", theme.danger),
                    o => (o, theme.danger.patch(theme.strong)),
                }
            };
            let mut s = vec![
                Span::styled(pad(&app.clock.local_stamp(&e.time), TIME_W + 1), theme.dim),
                Span::styled(pad(e.action.label(), ACTION_W + 1), theme.base),
            ];
            if show_id {
                s.push(Span::styled(
                    pad(&clean(&e.api_key_id), ID_W + 1),
                    theme.dim,
                ));
            }
            s.push(Span::styled(
                pad(&clean(e.name.as_deref().unwrap_or("—")), name_w),
                theme.strong,
            ));
            s.push(Span::styled(format!(" {}", pad(outcome, OUTCOME_W)), style));
            if show_ctx {
                s.push(Span::styled(
                    format!(" {}", pad(&truncate(&clean(&context_of(e)), ctx_w), ctx_w)),
                    theme.dim,
                ));
            }
            Line::from(s)
        })
        .collect();
    let foot_row = area.height.saturating_sub(1);
    let list_area = Rect {
        y: area.y + 2,
        height: foot_row.saturating_sub(2),
        ..area
    };
    if list.is_empty() {
        let why = if app.journal.is_loading() {
            format!("{} Reading the journal…", super::status::spinner(app))
        } else if let Some(e) = app.journal.error() {
            format!("Could not read the journal: {}", clean(e))
        } else if v.filter.value().trim().is_empty() && !v.all {
            "No changes made in this context yet (a for all contexts)".into()
        } else {
            "Nothing matches".into()
        };
        put_line(
            frame.buffer_mut(),
            list_area,
            0,
            &Line::from(Span::styled(why, theme.dim)),
        );
    } else {
        let cursor = v.cursor.min(list.len() - 1);
        cursor_list(frame.buffer_mut(), list_area, &list, cursor, theme);
    }
    let layer = if v.editing {
        Layer::JournalFilter
    } else {
        Layer::Journal
    };
    put_line(
        frame.buffer_mut(),
        area,
        foot_row,
        &footer(layer, app.ctx.read_only, cw, theme),
    );
    if v.detail
        && let Some(e) = current_entry(app, v)
    {
        detail(frame, screen, app, v, e, theme);
    }
    if let Some(c) = &v.confirm {
        super::confirm::draw_words(frame, screen, app, &c.confirm, Layer::JournalConfirm, theme);
    }
}

fn detail(
    frame: &mut Frame,
    screen: Rect,
    app: &App,
    v: &JournalView,
    e: &crate::journal::Entry,
    theme: &Theme,
) {
    let cw = content_w(screen, 76);
    let label = |l: &str| Span::styled(format!("{l:<15}"), theme.dim);
    let row = |l: &str, value: String| Line::from(vec![label(l), Span::styled(value, theme.base)]);
    let mut top = vec![
        row(
            "Time",
            format!(
                "{} (local) · {}",
                app.clock.local_stamp(&e.time),
                clean(&e.time)
            ),
        ),
        row(
            "Action",
            format!("{} · from {}", e.action.label(), clean(&e.source)),
        ),
        row("Key", clean(&e.api_key_id).into_owned()),
        row("Name", clean(e.name.as_deref().unwrap_or("—")).into_owned()),
    ];
    if let Some(b) = &e.name_before {
        top.push(row("Name before", clean(b).into_owned()));
    }
    top.push(row("Context", clean(&context_of(e)).into_owned()));
    let status = e.status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
    top.push(Line::from(vec![
        label("Outcome"),
        Span::styled(
            format!("{}{status}", outcome_label(e)),
            if outcome_label(e) == "ok" {
                theme.ok
            } else {
                theme.danger
            },
        ),
    ]));
    if let Some(r) = &e.replaces {
        top.push(row("Replaces", clean(r).into_owned()));
    }
    let scopes = |s: &Option<Vec<String>>| match s {
        Some(s) => {
            let list = s
                .iter()
                .map(|x| clean(x).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            truncate(&format!("{} · {list}", s.len()), cw.saturating_sub(15)).into_owned()
        }
        None => "—".into(),
    };
    top.push(row("Scopes before", scopes(&e.scopes_before)));
    top.push(row("Scopes after", scopes(&e.scopes_after)));
    if let Some(err) = &e.error {
        top.extend(para(&format!("Error: {}", clean(err)), cw, theme.danger));
    }
    if let Some(dead) = e.verified {
        let after = e
            .verified_after_ms
            .map(|ms| format!(" after {ms} ms"))
            .unwrap_or_default();
        top.push(row(
            "Verified",
            if dead {
                format!("refused by SendGrid{after}")
            } else {
                format!("NOT refused{after}")
            },
        ));
    }
    top.push(Line::default());
    let fix = fix_for(app, e);
    let mut except = vec![Action::Finish, Action::Recreate];
    match &fix {
        Some(Ok(JournalFix::Finish { old, name, .. })) => {
            except.retain(|a| *a != Action::Finish);
            top.extend(para(
                &format!(
                    "Pending rotation: the old key '{}' ({}) still works. f revokes it.",
                    clean(name),
                    clean(old.as_str())
                ),
                cw,
                theme.warn,
            ));
        }
        Some(Ok(JournalFix::Recreate { scopes, .. })) => {
            except.retain(|a| *a != Action::Recreate);
            top.extend(para(
                &format!(
                    "r creates a new key with this name and its {} (a new secret).",
                    plural(scopes.len(), "scope", "scopes")
                ),
                cw,
                theme.base,
            ));
        }
        Some(Err(why)) => top.extend(para(&clean(why), cw, theme.warn)),
        None => {}
    }
    if let Some(m) = &v.message {
        top.extend(para(&clean(m), cw, theme.danger));
    }
    let bottom = vec![
        Line::default(),
        footer_except(Layer::JournalDetail, app.ctx.read_only, &except, cw, theme),
    ];
    show(
        frame,
        screen,
        head("Journal entry", cw),
        &top,
        &bottom,
        theme,
    );
}
