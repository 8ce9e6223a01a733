//! The scope diff (`=`: two marked keys, or a key against a preset) and the preset picker (`p`:
//! trim a key to a preset; Enter hands over to the scope editor's review of the PUT).

use std::collections::BTreeSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::detail::{more_line, pill};
use super::dialog::{
    box_h, box_w, caption, caption_text, content_w, cursor_list, footer, frame_box, head, para,
    render_parts, show, split_rows,
};
use super::forms::{diff_spans, scope_list};
use super::text::{clean, fit_spans, pad, plural, put_line, rule, truncate, width};
use super::theme::Theme;
use crate::api::ApiKeyId;
use crate::app::keymap::{Action, Layer};
use crate::app::{App, DiffModal, DiffRight, PresetPicker, diff_sides};
use crate::presets::PRESETS;
use crate::scopes;
use crate::scopes::{ScopeDiff, scope_diff};

// ---------------------------------------------------------------- diff

/// Content width the diff asks for at most (the box is 4 wider) and its height at most.
const DIFF_MAX_W: usize = 106;
const DIFF_MIN_W: usize = 72;
const DIFF_MAX_H: u16 = 34;
/// Width of a level pill (as `detail::pill` pads it).
const PILL_W: usize = 9;
/// Columns of a category row besides its label: marker, gaps and the two pills.
const ROW_FIXED: usize = 2 + 1 + PILL_W + 1 + PILL_W;

/// A level in a diff column: its word under the column's letter whether it is a chip
/// (` Partial `, the word one column in) or plain (`No`, given the same one-column lead).
fn cell<'a>(level: scopes::Level, theme: &Theme) -> Vec<Span<'a>> {
    if level != scopes::Level::No {
        return pill(level, theme);
    }
    let text = format!(" {}", level.short());
    let fill = PILL_W.saturating_sub(width(&text));
    vec![
        Span::styled(text, theme.level(level)),
        Span::raw(" ".repeat(fill)),
    ]
}
/// Indent of the `− scope` / `+ scope` lines under a category.
const SCOPE_INDENT: &str = "    ";

pub fn diff(frame: &mut Frame, screen: Rect, app: &App, d: &DiffModal, theme: &Theme) {
    let Some(((left_label, left), (right_label, right))) = diff_sides(app, d) else {
        return diff_waiting(frame, screen, app, d, theme);
    };
    let sd = scope_diff(&left_label, &left, &right_label, &right);
    let preset = match d.right {
        DiffRight::Preset(i) => PRESETS.get(i).map(|p| (i, p)),
        DiffRight::Key(_) => None,
    };
    let others = uncatalogued(&sd);
    let label_w = sd
        .categories
        .iter()
        .map(|c| width(c.label))
        .chain([width("Category")])
        .max()
        .unwrap_or(0);
    let widest_scope = sd
        .only_left
        .iter()
        .chain(&sd.only_right)
        .map(|s| width(&clean(s)))
        .max()
        .unwrap_or(0);
    let want = [
        3 + width(&clean(&sd.left)),
        3 + width(&clean(&sd.right)),
        label_w + ROW_FIXED,
        SCOPE_INDENT.len() + 2 + widest_scope,
    ]
    .into_iter()
    .max()
    .unwrap_or(0)
    .clamp(DIFF_MIN_W, DIFF_MAX_W);
    let w = content_w(screen, want);
    let label_w = label_w.min(w.saturating_sub(ROW_FIXED)).max(1);

    // fixed on top: who is compared, then the column header
    let side = |tag: &'static str, label: &str| {
        Line::from(vec![
            Span::styled(format!("{tag}  "), theme.key),
            Span::styled(
                truncate(&clean(label), w.saturating_sub(3)).into_owned(),
                theme.strong,
            ),
        ])
    };
    let mut head = vec![side("A", &sd.left), side("B", &sd.right)];
    if let Some((i, p)) = preset {
        // which preset of how many (the keys to pick another are in the caption)
        let at = format!(" · preset {}/{}", i + 1, PRESETS.len());
        let room = w.saturating_sub(3 + width(&at));
        head.push(Line::from(fit_spans(
            vec![
                Span::raw("   "),
                Span::styled(truncate(p.description, room).into_owned(), theme.dim),
                Span::styled(at, theme.dim),
            ],
            w,
        )));
    }
    head.push(Line::default());
    head.push(Line::from(Span::styled(
        truncate(
            &format!(
                "  {} {} {}",
                pad("Category", label_w),
                pad(" A", PILL_W),
                pad(" B", PILL_W)
            ),
            w,
        )
        .into_owned(),
        theme.column_header,
    )));

    // scrolled: one row per category, differing scopes beneath
    let mut body: Vec<Line> = Vec::new();
    for c in &sd.categories {
        let differs = c.left != c.right || !c.only_left.is_empty() || !c.only_right.is_empty();
        let mut spans = vec![
            Span::styled(if differs { "≠ " } else { "  " }, theme.warn),
            Span::styled(
                pad(c.label, label_w),
                if differs { theme.strong } else { theme.base },
            ),
            Span::raw(" "),
        ];
        spans.extend(cell(c.left, theme));
        spans.push(Span::raw(" "));
        spans.extend(cell(c.right, theme));
        body.push(Line::from(fit_spans(spans, w)));
        if differs {
            body.extend(scope_lines(&c.only_left, &c.only_right, w, theme));
        }
    }
    if !others.0.is_empty() || !others.1.is_empty() {
        body.push(Line::from(Span::styled(
            "  Other (not in the catalog)",
            theme.warn,
        )));
        body.extend(scope_lines(&others.0, &others.1, w, theme));
    }
    if body.is_empty() {
        body.push(Line::from(Span::styled(
            "  Neither has access in any category",
            theme.dim,
        )));
    }

    // fixed at the bottom: the totals
    let (only_a, only_b) = (sd.only_left.len(), sd.only_right.len());
    let mut totals = vec![
        Span::styled(format!("{} in common", sd.common), theme.base),
        Span::styled(" · ", theme.dim),
        Span::styled(
            format!("{only_a} only in A"),
            if only_a > 0 { theme.danger } else { theme.dim },
        ),
        Span::styled(" · ", theme.dim),
        Span::styled(
            format!("{only_b} only in B"),
            if only_b > 0 { theme.ok } else { theme.dim },
        ),
    ];
    if only_a == 0 && only_b == 0 {
        totals.push(Span::styled("  ✓ same scopes", theme.ok));
    }
    let bottom = vec![
        Line::from(Span::styled(rule(w), theme.border)),
        Line::from(fit_spans(totals, w)),
    ];

    let want_h = box_h(head.len() + body.len() + bottom.len()).min(DIFF_MAX_H);
    let area = frame_box(
        frame,
        screen,
        box_w(want),
        want_h,
        "Scope diff",
        theme.border_focus,
        theme,
    );
    if area.is_empty() {
        return;
    }
    // the totals win over the header, the header over the body
    let [top, body_area, bottom_area] = split_rows(area, head.len(), bottom.len());
    let buf = frame.buffer_mut();
    for (i, l) in head.iter().take(top.height as usize).enumerate() {
        put_line(buf, area, i as u16, l);
    }
    let overflow = draw_scrolled(buf, body_area, &body, d.scroll, theme);
    render_parts(frame, bottom_area, &[], &bottom);
    // the layer is the one update dispatches with (h/l only when the right side is a preset)
    let layer = if preset.is_some() {
        Layer::DiffPreset
    } else {
        Layer::Diff
    };
    let except: &[Action] = if overflow {
        &[]
    } else {
        &[Action::Up, Action::Down]
    };
    let cap = caption_text("", layer, app.ctx.read_only, except, area.width as usize);
    caption(frame, area, &cap, theme);
}

/// `− scope` lines (only in A: removed) then `+ scope` lines (only in B: added), indented.
fn scope_lines<'a>(
    only_left: &[String],
    only_right: &[String],
    w: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let line = |sign: &str, s: &String, style: Style| {
        let text = format!("{SCOPE_INDENT}{sign} {}", clean(s));
        Line::from(Span::styled(truncate(&text, w).into_owned(), style))
    };
    only_left
        .iter()
        .map(|s| line("−", s, theme.danger))
        .chain(only_right.iter().map(|s| line("+", s, theme.ok)))
        .collect()
}

/// Scopes only on one side that no category row lists (outside the catalog).
fn uncatalogued(sd: &ScopeDiff) -> (Vec<String>, Vec<String>) {
    let listed_l: BTreeSet<&str> = sd
        .categories
        .iter()
        .flat_map(|c| c.only_left.iter().map(String::as_str))
        .collect();
    let listed_r: BTreeSet<&str> = sd
        .categories
        .iter()
        .flat_map(|c| c.only_right.iter().map(String::as_str))
        .collect();
    (
        sd.only_left
            .iter()
            .filter(|s| !listed_l.contains(s.as_str()))
            .cloned()
            .collect(),
        sd.only_right
            .iter()
            .filter(|s| !listed_r.contains(s.as_str()))
            .cloned()
            .collect(),
    )
}

/// Draw `lines` from `scroll` (clamped so the end never scrolls out of view); when they
/// overflow, the last row says how much is hidden. Returns whether they overflow.
fn draw_scrolled(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    lines: &[Line],
    scroll: usize,
    theme: &Theme,
) -> bool {
    let h = area.height as usize;
    if h == 0 {
        return !lines.is_empty();
    }
    let overflow = lines.len() > h && h > 1;
    let shown = h - usize::from(overflow);
    let offset = scroll.min(lines.len().saturating_sub(shown));
    for (i, l) in lines.iter().skip(offset).take(shown).enumerate() {
        put_line(buf, area, i as u16, l);
    }
    if overflow {
        let below = lines.len().saturating_sub(offset + shown);
        let more = more_line(offset, below, area.width as usize, theme);
        put_line(buf, area, shown as u16, &more);
    }
    lines.len() > h
}

/// The diff while a side's scopes are not known: loading, failed, or the key is gone.
fn diff_waiting(frame: &mut Frame, screen: Rect, app: &App, d: &DiffModal, theme: &Theme) {
    let w = content_w(screen, 52);
    let mut ids: Vec<&ApiKeyId> = vec![&d.left];
    if let DiffRight::Key(id) = &d.right {
        ids.push(id);
    }
    let mut top: Vec<Line> = Vec::new();
    for id in ids {
        match app.keys.get(id) {
            None => top.extend(para(
                &format!("Key {} no longer exists", clean(id.as_str())),
                w,
                theme.danger,
            )),
            Some(e) if e.info().is_none() => {
                if let Some(why) = e.state.error() {
                    top.extend(para(
                        &format!(
                            "Could not load the scopes of '{}': {}",
                            clean(&e.name),
                            clean(why)
                        ),
                        w,
                        theme.danger,
                    ));
                }
            }
            Some(_) => {}
        }
    }
    if top.is_empty() {
        top.push(Line::from(vec![
            Span::styled(format!("{} ", super::status::spinner(app)), theme.accent),
            Span::styled("Loading scopes…", theme.dim),
        ]));
    }
    let layer = match d.right {
        DiffRight::Preset(_) => Layer::DiffPreset,
        DiffRight::Key(_) => Layer::Diff,
    };
    let bottom = vec![Line::default(), footer(layer, app.ctx.read_only, w, theme)];
    show(frame, screen, head("Scope diff", w), &top, &bottom, theme);
}

// ---------------------------------------------------------------- preset picker

/// Content width the picker asks for: marker, the longest name, the longest description.
const PICKER_W: usize = 80;
/// Scope lines of the preview at most ("the first few").
const PREVIEW_MAX: usize = 8;

/// What trimming a key to a preset would do, computed as the trim itself does
/// (`update::preset_action`): preset scopes the caller cannot grant are left out unless the key
/// already holds them.
struct Trim {
    added: Vec<String>,
    removed: Vec<String>,
    /// Scopes the key would hold.
    result: usize,
    /// Preset scopes left out (the caller's key does not hold them).
    skipped: usize,
}

fn trim(app: &App, id: &ApiKeyId, preset: usize) -> Option<Trim> {
    let info = app.keys.get(id)?.info()?;
    let p = PRESETS.get(preset)?;
    let original: BTreeSet<String> = scopes::sendable(&info.scope_names()).into_iter().collect();
    let (ok, skipped): (BTreeSet<String>, BTreeSet<String>) = p
        .scopes()
        .into_iter()
        .partition(|s| app.my_scopes.value().is_none_or(|g| g.contains(s)) || original.contains(s));
    Some(Trim {
        added: ok.difference(&original).cloned().collect(),
        removed: original.difference(&ok).cloned().collect(),
        result: ok.len(),
        skipped: skipped.len(),
    })
}

pub fn presets(frame: &mut Frame, screen: Rect, app: &App, p: &PresetPicker, theme: &Theme) {
    let w = content_w(screen, PICKER_W);
    let name = app.keys.get(&p.id).map_or_else(
        || clean(p.id.as_str()).into_owned(),
        |e| clean(&e.name).into_owned(),
    );
    let title = format!("Trim '{name}' to a preset");
    let cursor = p.cursor.min(PRESETS.len().saturating_sub(1));

    // the presets: name, description
    let name_w = PRESETS
        .iter()
        .map(|x| width(x.name))
        .max()
        .unwrap_or(0)
        .min(w.saturating_sub(2));
    let list: Vec<Line> = PRESETS
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let on = i == cursor;
            Line::from(fit_spans(
                vec![
                    Span::styled(if on { "› " } else { "  " }, theme.accent),
                    Span::styled(
                        pad(x.name, name_w),
                        if on { theme.strong } else { theme.base },
                    ),
                    Span::raw("  "),
                    Span::styled(x.description, theme.dim),
                ],
                w,
            ))
        })
        .collect();

    // fixed below the list: keys
    let bottom = vec![
        Line::default(),
        footer(Layer::Presets, app.ctx.read_only, w, theme),
    ];
    // how many preview rows the screen leaves for scope names
    let region_h = screen.height.saturating_sub(2) as usize;
    // borders, list, rule, summary, note, keys
    let fixed = 2 + list.len() + 3 + bottom.len();
    let budget = region_h.saturating_sub(fixed).min(PREVIEW_MAX);
    let preview = preview_lines(app, p, cursor, budget, w, theme);

    let area = frame_box(
        frame,
        screen,
        box_w(PICKER_W),
        box_h(list.len() + preview.len() + bottom.len()),
        &title,
        theme.border_focus,
        theme,
    );
    if area.is_empty() {
        return;
    }
    // the keys win, then the list (scrolled to the cursor), then the preview
    let [list_area, ..] = split_rows(area, list.len(), bottom.len());
    cursor_list(frame.buffer_mut(), list_area, &list, cursor, theme);
    let rest = Rect {
        y: list_area.bottom(),
        height: area.bottom().saturating_sub(list_area.bottom()),
        ..area
    };
    render_parts(frame, rest, &preview, &bottom);
}

/// What the preset under the cursor would change: `+N −M`, the first few scopes, and the note
/// about scopes the caller cannot grant.
fn preview_lines<'a>(
    app: &App,
    p: &PresetPicker,
    cursor: usize,
    budget: usize,
    w: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let mut out = vec![Line::from(Span::styled(rule(w), theme.border))];
    let Some(preset) = PRESETS.get(cursor) else {
        return out;
    };
    let Some(t) = trim(app, &p.id, cursor) else {
        out.push(Line::from(vec![
            Span::styled(format!("{} ", super::status::spinner(app)), theme.accent),
            Span::styled("Loading the key's scopes…", theme.dim),
        ]));
        return out;
    };
    let lead = Span::styled(format!("'{}'  ", preset.name), theme.strong);
    if t.result == 0 {
        out.push(Line::from(fit_spans(
            vec![
                lead,
                Span::styled("none of its scopes can be granted by your key", theme.warn),
            ],
            w,
        )));
    } else if t.added.is_empty() && t.removed.is_empty() {
        out.push(Line::from(fit_spans(
            vec![lead, Span::styled("✓ the key already matches it", theme.ok)],
            w,
        )));
    } else {
        let mut spans = vec![lead];
        spans.extend(diff_spans(t.added.len(), t.removed.len(), theme));
        spans.push(Span::styled(
            format!(
                "  → the key would hold {}",
                plural(t.result, "scope", "scopes")
            ),
            theme.dim,
        ));
        out.push(Line::from(fit_spans(spans, w)));
        // the first few names, shared between added and removed
        let removed_max = if t.added.is_empty() {
            budget
        } else {
            t.removed.len().min(budget / 2)
        };
        let added_max = budget.saturating_sub(removed_max);
        let added: Vec<&String> = t.added.iter().collect();
        let removed: Vec<&String> = t.removed.iter().collect();
        if added_max > 0 {
            out.extend(scope_list(&added, "+", theme.ok, added_max, w, theme));
        }
        if removed_max > 0 {
            out.extend(scope_list(
                &removed,
                "−",
                theme.danger,
                removed_max,
                w,
                theme,
            ));
        }
    }
    let note = if t.skipped > 0 {
        (
            format!(
                "{} left out: your key does not hold {}, so it cannot grant {}.",
                plural(t.skipped, "preset scope is", "preset scopes are"),
                if t.skipped == 1 { "it" } else { "them" },
                if t.skipped == 1 { "it" } else { "them" },
            ),
            theme.warn,
        )
    } else {
        (
            "Scopes your own key does not hold are left out.".to_owned(),
            theme.dim,
        )
    };
    // wrapped, never cut
    for l in super::text::wrap(&note.0, w.max(1)) {
        out.push(Line::from(Span::styled(l, note.1)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;

    #[test]
    fn scroll_is_clamped_to_the_end() {
        let theme = Theme::dark();
        let lines: Vec<Line> = (0..10).map(|i| Line::from(format!("line {i}"))).collect();
        let area = Rect::new(0, 0, 20, 4);
        let mut buf = Buffer::empty(area);
        assert!(draw_scrolled(&mut buf, area, &lines, 999, &theme));
        let row = |buf: &Buffer, y: u16| -> String {
            (0..20).map(|x| buf[(x, y)].symbol()).collect::<String>()
        };
        // 3 lines shown and the "more" row: the last line is visible, nothing past it
        assert!(row(&buf, 2).starts_with("line 9"), "{}", row(&buf, 2));
        assert!(row(&buf, 3).contains("↑ 7 more"), "{}", row(&buf, 3));
        let mut buf = Buffer::empty(area);
        assert!(!draw_scrolled(&mut buf, area, &lines[..3], 5, &theme));
        assert!(row(&buf, 0).starts_with("line 0"));
        // no room at all
        let empty = Rect::new(0, 0, 20, 0);
        let mut buf = Buffer::empty(area);
        assert!(draw_scrolled(&mut buf, empty, &lines, 3, &theme));
    }

    #[test]
    fn uncatalogued_scopes_are_kept_apart() {
        let a = vec!["mail.send".to_owned(), "beta.thing.read".to_owned()];
        let b = vec!["mail.send".to_owned(), "alerts.read".to_owned()];
        let sd = scope_diff("a", &a, "b", &b);
        let (l, r) = uncatalogued(&sd);
        assert_eq!(l, vec!["beta.thing.read"]);
        assert!(r.is_empty());
    }
}
