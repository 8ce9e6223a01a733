//! The dialog toolkit every modal is drawn with: a centred box sized to its content and clamped
//! to the screen (`show(frame, screen, head(title, width), &top, &bottom, theme)`), text
//! helpers, input fields (a one-field dialog, the filter row), and the footer of keys, which is
//! generated from the keymap table for the dialog's layer and fitted to its width (so a footer
//! never advertises a key the layer does not have, nor hides one it has when there is room).
//!
//! This module uses no dialog: each dialog's own file (`rename.rs`, `rotate.rs`, `revoke.rs`,
//! `confirm.rs`, `create.rs`, …) uses it.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear};
use tui_input::Input;

use super::text::{
    center_offset, clean, inset_x, line_width, pad, put_line, style_row, truncate, width, wrap,
};
use super::theme::Theme;
use crate::app::keymap::{self, Action, Foot, FooterItem, Layer};

/// The region modals may use: the screen minus the header, the status line and the hint row
/// (when there are any), so a toast raised while a dialog is open (a warning, a failure) stays
/// readable under it.
pub(super) fn usable(screen: Rect) -> Rect {
    if screen.height >= 8 {
        Rect {
            y: screen.y + 1,
            height: screen.height - 3,
            ..screen
        }
    } else {
        screen
    }
}

/// Clear a centred `want_w`×`want_h` box (clamped to the screen), draw its border and title, and
/// return the content area (inside the border, one column of padding on each side).
pub(super) fn frame_box(
    frame: &mut Frame,
    screen: Rect,
    want_w: u16,
    want_h: u16,
    title: &str,
    border: Style,
    theme: &Theme,
) -> Rect {
    let region = usable(screen);
    let w = box_width(region, want_w);
    let h = want_h.min(region.height);
    let area = Rect {
        x: region.x + (region.width - w) / 2,
        y: region.y + (region.height - h) / 2,
        width: w,
        height: h,
    };
    if area.is_empty() {
        return area;
    }
    let title = truncate(title, (w as usize).saturating_sub(4));
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(border)
        .title(Line::from(Span::styled(
            format!(" {title} "),
            theme.title_focus,
        )));
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    inset_x(inner, 1)
}

/// A dialog's frame: its title, its content width, and its border (focused, unless told).
pub(super) struct Head<'t> {
    title: &'t str,
    cw: usize,
    border: Option<Style>,
}

/// The frame of a dialog titled `title`, `cw` columns of content wide.
pub(super) fn head(title: &str, cw: usize) -> Head<'_> {
    Head {
        title,
        cw,
        border: None,
    }
}

impl Head<'_> {
    /// The border in `style` (danger for what cannot be undone, warn for a question).
    pub(super) fn border(self, style: Style) -> Self {
        Head {
            border: Some(style),
            ..self
        }
    }
}

/// A box framed by `head`, as tall as `top` and `bottom`, with them drawn in it
/// ([`render_parts`]). Returns the content area.
pub(super) fn show(
    frame: &mut Frame,
    screen: Rect,
    head: Head,
    top: &[Line],
    bottom: &[Line],
    theme: &Theme,
) -> Rect {
    let border = head.border.unwrap_or(theme.border_focus);
    let h = box_h(top.len() + bottom.len());
    let area = frame_box(frame, screen, box_w(head.cw), h, head.title, border, theme);
    if !area.is_empty() {
        render_parts(frame, area, top, bottom);
    }
    area
}

/// The width a box asking for `want_w` gets: clamped to the region, and the whole region when
/// only a sliver of the panes would show beside it (that reads as noise).
fn box_width(region: Rect, want_w: u16) -> u16 {
    let w = want_w.min(region.width);
    if region.width - w < 6 {
        region.width
    } else {
        w
    }
}

/// The content width a box for `content_w` columns really gets on this screen (wrap text to it).
pub(super) fn content_w(screen: Rect, content_w: usize) -> usize {
    let w = box_width(usable(screen), box_w(content_w)) as usize;
    if w > 4 { w - 4 } else { w.saturating_sub(2) }.max(1)
}

/// Add a bottom-border caption (right-aligned) to a box drawn by [`frame_box`].
pub(super) fn caption(frame: &mut Frame, content: Rect, text: &str, theme: &Theme) {
    // the border row is just below the content; the content has one column of padding
    let y = content.y.saturating_add(content.height);
    let right = content.right().saturating_add(1);
    let text = truncate(text, content.width.saturating_sub(2) as usize);
    let w = width(&text) as u16;
    if w == 0 || y >= frame.area().bottom() || content.width < 4 {
        return;
    }
    let x = right.saturating_sub(w + 1);
    let row = Rect::new(x, y, w, 1);
    put_line(
        frame.buffer_mut(),
        row,
        0,
        &Line::from(Span::styled(text.into_owned(), theme.dim)),
    );
}

/// Draw `top` from the top of `area` and `bottom` anchored at its bottom. When they do not both
/// fit, `bottom` wins and `top` is cut with a `…` line.
pub(super) fn render_parts(frame: &mut Frame, area: Rect, top: &[Line], bottom: &[Line]) {
    let h = area.height as usize;
    let b = bottom.len().min(h);
    let room = h - b;
    let buf = frame.buffer_mut();
    if top.len() <= room {
        for (i, l) in top.iter().enumerate() {
            put_line(buf, area, i as u16, l);
        }
    } else if room > 0 {
        for (i, l) in top.iter().take(room - 1).enumerate() {
            put_line(buf, area, i as u16, l);
        }
        put_line(buf, area, (room - 1) as u16, &Line::from("…"));
    }
    for (i, l) in bottom.iter().skip(bottom.len() - b).enumerate() {
        put_line(buf, area, (room + i) as u16, l);
    }
}

/// `area` cut in three rows: the top `first` rows and the bottom `last` rows (the bottom wins
/// when both do not fit, then the top), and what is left between them.
pub(super) fn split_rows(area: Rect, first: usize, last: usize) -> [Rect; 3] {
    let h = area.height as usize;
    let last = last.min(h);
    let first = first.min(h - last);
    let top = Rect {
        height: first as u16,
        ..area
    };
    let middle = Rect {
        y: top.bottom(),
        height: (h - last - first) as u16,
        ..area
    };
    let bottom = Rect {
        y: middle.bottom(),
        height: last as u16,
        ..area
    };
    [top, middle, bottom]
}

/// The visible part of a text input as a fixed-width field, and the cursor column within it.
pub(super) fn input_field<'a>(input: &Input, w: usize, theme: &Theme) -> (Span<'a>, u16) {
    input_with_placeholder(input, w, "", theme)
}

/// Like [`input_field`], showing `placeholder` (dim) while the input is empty.
pub(super) fn input_with_placeholder<'a>(
    input: &Input,
    w: usize,
    placeholder: &str,
    theme: &Theme,
) -> (Span<'a>, u16) {
    let w = w.max(1);
    if input.value().is_empty() && !placeholder.is_empty() {
        return (
            Span::styled(pad(placeholder, w), theme.input.patch(theme.dim)),
            0,
        );
    }
    let inner_w = w.saturating_sub(1).max(1);
    let scroll = input.visual_scroll(inner_w);
    let value = clean(input.value());
    let mut col = 0;
    let mut shown = String::new();
    let mut used = 0;
    for c in value.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if col < scroll {
            col += cw;
            continue;
        }
        if used + cw > inner_w {
            break;
        }
        shown.push(c);
        used += cw;
    }
    let cursor = input.visual_cursor().saturating_sub(scroll).min(inner_w) as u16;
    (Span::styled(pad(&shown, w), theme.input), cursor)
}

/// The first row of a filtered dialog: `Filter`, the input (`placeholder` while empty) and,
/// while `editing`, the terminal cursor in it. Returns the area below it and a blank row: the
/// dialog's body.
pub(super) fn filter_row(
    frame: &mut Frame,
    area: Rect,
    (input, editing): (&Input, bool),
    placeholder: &str,
    theme: &Theme,
) -> Rect {
    let (field, cur) = input_with_placeholder(
        input,
        (area.width as usize).saturating_sub(8),
        placeholder,
        theme,
    );
    put_line(
        frame.buffer_mut(),
        area,
        0,
        &Line::from(vec![Span::styled("Filter  ", theme.dim), field]),
    );
    if editing {
        set_cursor(frame, area.x + 8 + cur, area.y);
    }
    Rect {
        y: area.y + 2.min(area.height),
        height: area.height.saturating_sub(2),
        ..area
    }
}

/// Place the terminal cursor, if the position is on screen.
pub(super) fn set_cursor(frame: &mut Frame, x: u16, y: u16) {
    let a = frame.area();
    if x >= a.x && x < a.right() && y >= a.y && y < a.bottom() {
        frame.set_cursor_position(Position::new(x, y));
    }
}

/// Wrapped text as lines in one style.
pub(super) fn para<'a>(text: &str, w: usize, style: Style) -> Vec<Line<'a>> {
    wrap(text, w)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, style)))
        .collect()
}

/// A line centred in `w` columns.
pub(super) fn centered<'a>(line: Line<'a>, w: usize) -> Line<'a> {
    let lw = line_width(&line);
    let mut spans = vec![Span::raw(" ".repeat(w.saturating_sub(lw) / 2))];
    spans.extend(line.spans);
    Line::from(spans)
}

/// Width for a box whose content is `content_w` wide (borders and padding added).
pub(super) fn box_w(content_w: usize) -> u16 {
    (content_w + 4).min(u16::MAX as usize) as u16
}

/// Height for a box with `lines` content lines.
pub(super) fn box_h(lines: usize) -> u16 {
    (lines + 2).min(u16::MAX as usize) as u16
}

/// Draw a list into `area`, scrolled to keep `cursor` near the middle, its row highlighted.
pub(super) fn cursor_list(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    list: &[Line<'_>],
    cursor: usize,
    theme: &Theme,
) {
    let lh = area.height as usize;
    let offset = center_offset(cursor, list.len(), lh);
    for (i, l) in list.iter().skip(offset).take(lh).enumerate() {
        put_line(buf, area, i as u16, l);
        if offset + i == cursor {
            style_row(buf, area, i as u16, theme.selected);
        }
    }
}

/// A dialog with one text field (rename, rotate): `above` ends with the field's label, the
/// field follows, then `below`, then why the value was refused (`error`); at the bottom, a
/// spinner with `busy` while a request is under way, else the layer's footer. The cursor is
/// shown only while idle.
pub(super) struct OneField<'a> {
    pub title: &'a str,
    pub above: Vec<Line<'a>>,
    pub below: Vec<Line<'a>>,
    pub input: &'a Input,
    pub error: Option<&'a str>,
    pub busy: Option<&'a str>,
    pub layer: Layer,
    pub cw: usize,
}

pub(super) fn one_field(
    frame: &mut Frame,
    screen: Rect,
    app: &crate::app::App,
    d: OneField,
    theme: &Theme,
) {
    let bottom = vec![
        Line::default(),
        match d.busy {
            Some(what) => Line::from(Span::styled(
                format!("{} {what}", super::status::spinner(app)),
                theme.dim,
            )),
            None => footer(d.layer, app.ctx.read_only, d.cw, theme),
        },
    ];
    let input_row = d.above.len() as u16;
    let mut top = d.above;
    top.push(Line::default()); // the field
    top.extend(d.below);
    if let Some(e) = d.error {
        top.extend(para(&clean(e), d.cw, theme.danger));
    }
    let area = show(frame, screen, head(d.title, d.cw), &top, &bottom, theme);
    if area.is_empty() {
        return;
    }
    let (field, cur) = input_field(d.input, area.width as usize, theme);
    if input_row < area.height.saturating_sub(bottom.len() as u16) {
        super::text::put_line(frame.buffer_mut(), area, input_row, &Line::from(field));
        if d.busy.is_none() {
            set_cursor(frame, area.x + cur, area.y + input_row);
        }
    }
}

// ---------------------------------------------------------------- footers

/// Between two footer entries.
const SEP: &str = " · ";

/// How far a footer entry has been cut to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    Full,
    /// The description up to ` (` or `:`.
    Short,
    /// Short, and only the entry's first key.
    OneKey,
    Dropped,
}

/// `(keys, description)` pairs of `items` that fit in `w` columns as `keys desc · keys desc`.
/// Cut in this order until it fits: the extras (descriptions shortened, then only their first
/// key, then left out), then the descriptions and keys of the main entries and of those always
/// shown, then main entries one by one from the end. Entries always shown stay (the line is then
/// cut at the edge). Neighbours that end up with the same description share it: `h/l change`.
pub fn fit_footer(items: &[FooterItem], w: usize) -> Vec<(String, &'static str)> {
    let mut cuts = vec![Cut::Full; items.len()];
    let fits = |cuts: &[Cut]| pairs_width(&shown(items, cuts)) <= w;
    let steps: [(Foot, Cut); 7] = [
        (Foot::Extra, Cut::Short),
        (Foot::Extra, Cut::OneKey),
        (Foot::Extra, Cut::Dropped),
        (Foot::Main, Cut::Short),
        (Foot::Always, Cut::Short),
        (Foot::Main, Cut::OneKey),
        (Foot::Always, Cut::OneKey),
    ];
    for (foot, cut) in steps {
        if fits(&cuts) {
            return shown(items, &cuts);
        }
        for (c, item) in cuts.iter_mut().zip(items) {
            if item.foot == foot {
                *c = cut;
            }
        }
    }
    for i in (0..items.len()).rev() {
        if fits(&cuts) {
            break;
        }
        if items[i].foot == Foot::Main {
            cuts[i] = Cut::Dropped;
        }
    }
    shown(items, &cuts)
}

/// The entries as cut, neighbours with the same description merged.
fn shown(items: &[FooterItem], cuts: &[Cut]) -> Vec<(String, &'static str)> {
    let mut out: Vec<(Vec<String>, &'static str)> = Vec::new();
    for (item, cut) in items.iter().zip(cuts) {
        let (keys, desc) = match cut {
            Cut::Full => (item.keys.clone(), item.desc),
            Cut::Short => (item.keys.clone(), item.short_desc()),
            Cut::OneKey => (
                item.keys.iter().take(1).cloned().collect(),
                item.short_desc(),
            ),
            Cut::Dropped => continue,
        };
        match out.last_mut() {
            Some((k, d)) if *d == desc => k.extend(keys),
            _ => out.push((keys, desc)),
        }
    }
    out.into_iter().map(|(k, d)| (k.join("/"), d)).collect()
}

/// Width of `pairs` laid out as `keys desc · keys desc`.
fn pairs_width(pairs: &[(String, &str)]) -> usize {
    let items: usize = pairs.iter().map(|(k, d)| width(k) + 1 + width(d)).sum();
    items + width(SEP) * pairs.len().saturating_sub(1)
}

/// `keys desc · keys desc` in hint styles, cut at `w` columns.
fn keys_line<'a>(pairs: &[(String, &str)], w: usize, theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    for (i, (k, d)) in pairs.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(SEP, theme.dim));
        }
        spans.push(Span::styled(k.clone(), theme.key));
        spans.push(Span::styled(format!(" {d}"), theme.dim));
    }
    Line::from(super::text::fit_spans(spans, w))
}

/// The footer of `layer`'s dialog, `w` columns at most.
pub(super) fn footer<'a>(layer: Layer, read_only: bool, w: usize, theme: &Theme) -> Line<'a> {
    footer_except(layer, read_only, &[], w, theme)
}

/// Like [`footer`], leaving out the actions that do nothing in the dialog's present state (say,
/// scrolling when everything is shown).
pub(super) fn footer_except<'a>(
    layer: Layer,
    read_only: bool,
    except: &[Action],
    w: usize,
    theme: &Theme,
) -> Line<'a> {
    let items: Vec<FooterItem> = keymap::footer(layer, read_only)
        .into_iter()
        .filter(|i| !except.contains(&i.action))
        .collect();
    keys_line(&fit_footer(&items, w), w, theme)
}

/// A bottom-border caption: `status · keys desc · …` for `layer` (minus `except`), fitted to a
/// box whose content is `content_w` wide. The status text (position, what is hidden) goes first.
pub(super) fn caption_text(
    status: &str,
    layer: Layer,
    read_only: bool,
    except: &[Action],
    content_w: usize,
) -> String {
    // the caption is cut 2 columns short of the content and has a space at each end
    let room = content_w.saturating_sub(4);
    let status_w = if status.is_empty() {
        0
    } else {
        width(status) + width(SEP)
    };
    let items: Vec<FooterItem> = keymap::footer(layer, read_only)
        .into_iter()
        .filter(|i| !except.contains(&i.action))
        .collect();
    let keys: Vec<String> = fit_footer(&items, room.saturating_sub(status_w))
        .into_iter()
        .map(|(k, d)| format!("{k} {d}"))
        .collect();
    let mut parts: Vec<String> = Vec::new();
    if !status.is_empty() {
        parts.push(status.to_owned());
    }
    parts.extend(keys);
    format!(" {} ", parts.join(SEP))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dialog layers (the panes and the filter input use the status-bar hint line instead).
    fn dialogs() -> impl Iterator<Item = Layer> {
        Layer::ALL.iter().copied().filter(|l| {
            !matches!(
                l,
                Layer::List | Layer::Detail | Layer::Filter | Layer::Matrix
            )
        })
    }

    #[test]
    fn footers_show_only_keys_bound_in_their_layer() {
        for layer in Layer::ALL.iter().copied() {
            for ro in [false, true] {
                let bound: Vec<String> = keymap::bindings_for(layer, ro)
                    .flat_map(keymap::key_labels)
                    .collect();
                for w in [20, 40, 60, 76, 92, 120] {
                    for (keys, desc) in fit_footer(&keymap::footer(layer, ro), w) {
                        for k in split_keys(&keys) {
                            assert!(
                                bound.contains(&k),
                                "{layer:?} footer at {w} shows `{k} {desc}`, not bound there"
                            );
                        }
                    }
                }
            }
        }
    }

    /// `Enter/y` → `["Enter", "y"]`; the `/` key itself survives (`//n` → `["/", "n"]`).
    fn split_keys(s: &str) -> Vec<String> {
        let parts: Vec<&str> = s.split('/').collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < parts.len() {
            if parts[i].is_empty() && parts.get(i + 1).is_some_and(|p| p.is_empty()) {
                out.push("/".to_owned());
                i += 2;
            } else {
                out.push(parts[i].to_owned());
                i += 1;
            }
        }
        out
    }

    #[test]
    fn keys_split_back() {
        assert_eq!(split_keys("Enter/y"), ["Enter", "y"]);
        assert_eq!(split_keys("/"), ["/"]);
        assert_eq!(split_keys("Esc"), ["Esc"]);
    }

    #[test]
    fn at_120_columns_a_dialog_footer_shows_every_binding() {
        for layer in dialogs() {
            let items = keymap::footer(layer, false);
            let shown = fit_footer(&items, 120);
            for b in keymap::bindings_for(layer, false).filter(|b| b.footer() != Foot::Hide) {
                let first = keymap::key_labels(b).first().cloned().unwrap_or_default();
                assert!(
                    shown.iter().any(|(keys, d)| {
                        (*d == b.desc || *d == b.short_desc()) && split_keys(keys).contains(&first)
                    }),
                    "{layer:?}: `{first} {}` missing from {shown:?}",
                    b.desc
                );
            }
        }
    }

    #[test]
    fn narrow_footers_keep_the_way_out_and_fit() {
        for layer in dialogs() {
            let items = keymap::footer(layer, false);
            for w in [24, 40, 56, 76] {
                let shown = fit_footer(&items, w);
                for item in items.iter().filter(|i| i.foot == Foot::Always) {
                    assert!(
                        shown
                            .iter()
                            .any(|(_, d)| *d == item.desc || *d == item.short_desc()),
                        "{layer:?} at {w}: {:?} dropped from {shown:?}",
                        item.desc
                    );
                }
                let always: Vec<(String, &str)> = items
                    .iter()
                    .filter(|i| i.foot == Foot::Always)
                    .map(|i| (i.keys[0].clone(), i.short_desc()))
                    .collect();
                if pairs_width(&always) <= w {
                    assert!(pairs_width(&shown) <= w, "{layer:?} at {w}: {shown:?}");
                }
            }
        }
    }

    #[test]
    fn extras_go_first() {
        // the preset picker: ↑↓ are extras, Enter and Esc always shown
        let items = keymap::footer(Layer::Presets, false);
        let wide = fit_footer(&items, 120);
        assert_eq!(wide.len(), 4, "{wide:?}");
        let narrow = fit_footer(&items, 40);
        assert_eq!(
            narrow,
            vec![
                ("Enter".to_owned(), "preview the PUT"),
                ("Esc".to_owned(), "cancel")
            ]
        );
    }

    #[test]
    fn captions_lead_with_the_status() {
        let c = caption_text("3 newer below", Layer::Log, false, &[], 200);
        assert!(c.starts_with(" 3 newer below · Esc/q/@ close log"), "{c}");
        assert!(width(&c) <= 200);
        let c = caption_text("", Layer::Help, false, &[Action::Up, Action::Down], 60);
        assert_eq!(c, " Esc/F1/q/? close help · / filter the help ");
    }
}
