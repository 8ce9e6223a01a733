//! What text snapshots cannot see: the selection, focus, danger and read-only styles, the
//! monochrome theme, the cursor in text inputs, and the hint line at every width.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::screen::*;
use common::*;
use ratatui::style::{Color, Modifier};
use sgkeys::app::layout;
use sgkeys::app::{self, ApiOp, ApiResult, App};
use sgkeys::ui::Theme;

use super::scenarios::*;

#[test]
fn selected_row_is_highlighted() {
    let app = loaded_app(80, 24);
    let terminal = render(&app, 80, 24);
    let buf = terminal.backend().buffer();
    let list = layout::areas(80, 24).list;
    let theme = Theme::dark();
    let first = list.y + 2;
    let y = first + (app.view.selected - app.view.offset) as u16;
    for x in list.x + 1..list.right() - 1 {
        assert_eq!(
            buf[(x, y)].bg,
            theme.selected.bg.unwrap(),
            "cell {x},{y} not highlighted"
        );
    }
    // the next row is not
    assert_eq!(buf[(list.x + 4, y + 1)].bg, Color::Reset);
    assert!(row_text(buf, y).contains("ci-deploy: web-frontend"));
}

#[test]
fn detail_cursor_is_highlighted_when_focused() {
    let app = detail_expanded(80, 24);
    let buf = render(&app, 80, 24).backend().buffer().clone();
    let (x, y) = find(&buf, "alerts.delete").expect("expanded scope row");
    assert_eq!(buf[(x, y)].bg, Theme::dark().selected.bg.unwrap());
    // the list's selection is shown unfocused meanwhile
    let (lx, ly) = find_in(&buf, layout::areas(80, 24).list, "analytics: Looker").unwrap();
    assert_eq!(
        buf[(lx, ly)].bg,
        Theme::dark().selected_unfocused.bg.unwrap()
    );
}

#[test]
fn monochrome_uses_no_colour_at_all() {
    for build in [monochrome as fn(u16, u16) -> App, |w, h| {
        let mut app = confirm_delete_multi(w, h);
        app.theme = sgkeys::config::ThemeName::Mono;
        app
    }] {
        let app = build(120, 40);
        let terminal = render(&app, 120, 40);
        let buf = terminal.backend().buffer();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                let c = &buf[(x, y)];
                assert_eq!(
                    (c.fg, c.bg),
                    (Color::Reset, Color::Reset),
                    "cell {x},{y} {:?} has colour",
                    c.symbol()
                );
            }
        }
    }
    let app = monochrome(120, 40);
    let terminal = render(&app, 120, 40);
    let buf = terminal.backend().buffer();
    let list = layout::areas(120, 40).list;
    let y = list.y + 2 + (app.view.selected - app.view.offset) as u16;
    for x in list.x + 1..list.right() - 1 {
        assert!(
            buf[(x, y)].modifier.contains(Modifier::REVERSED),
            "cell {x},{y} not reversed"
        );
    }
}

#[test]
fn revoke_button_is_danger_and_focus_starts_on_cancel() {
    let mut app = confirm_delete_single(80, 24);
    let theme = Theme::dark();
    let buf = render(&app, 80, 24).backend().buffer().clone();
    let (x, y) = find(&buf, "[ Revoke ]").expect("revoke button");
    for i in 0..10 {
        let c = &buf[(x + i, y)];
        assert_eq!(
            c.fg,
            theme.button_danger.fg.unwrap(),
            "revoke button cell {i} not danger"
        );
        assert_eq!(c.bg, Color::Reset, "revoke must not be focused at first");
    }
    let (cx, cy) = find(&buf, "[ Cancel ]").unwrap();
    assert_eq!(
        buf[(cx, cy)].bg,
        theme.button_focus.bg.unwrap(),
        "cancel is focused at first"
    );
    // Tab moves the focus to Revoke: the danger button's focused style (white on red)
    press_answer(&mut app, "<Tab>");
    let buf = render(&app, 80, 24).backend().buffer().clone();
    let c = &buf[(x, y)];
    assert_eq!(
        (c.fg, c.bg),
        (
            theme.button_danger_focus.fg.unwrap(),
            theme.button_danger_focus.bg.unwrap()
        )
    );
    assert_eq!(buf[(cx, cy)].bg, Color::Reset, "cancel lost the focus");
}

#[test]
fn read_only_badge_is_in_the_header_and_write_hints_are_gone() {
    let app = read_only(120, 40);
    let buf = render(&app, 120, 40).backend().buffer().clone();
    let (x, y) = find(&buf, "[READ-ONLY]").expect("badge");
    assert_eq!(y, 0, "badge on the header row");
    assert_eq!(buf[(x, y)].fg, Theme::dark().warn.fg.unwrap());
    let hints = row_text(&buf, 39);
    for gone in ["new key", "rename", "edit scopes", "revoke"] {
        assert!(
            !hints.contains(gone),
            "{gone} shown in read-only hints: {hints}"
        );
    }
    // the badge survives narrow screens
    let app = read_only(60, 16);
    let buf = render(&app, 60, 16).backend().buffer().clone();
    assert!(
        row_text(&buf, 0).contains("[READ-ONLY]"),
        "{}",
        row_text(&buf, 0)
    );
}

#[test]
fn text_inputs_place_the_cursor() {
    let mut app = loaded_app(80, 24);
    press_answer(&mut app, "/ci");
    let mut t = render(&app, 80, 24);
    let pos = t.get_cursor_position().unwrap();
    assert_eq!((pos.x, pos.y), (4, 22), "after `/ci` on the status line");

    let app = rename(80, 24);
    let mut t = render(&app, 80, 24);
    let pos = t.get_cursor_position().unwrap();
    let buf = t.backend().buffer().clone();
    let (x, y) = find(&buf, "smoke-test: staging").unwrap();
    assert_eq!((pos.x, pos.y), (x + "smoke-test: staging".len() as u16, y));
}

#[test]
fn header_shows_the_limit_warning_and_hints_end_with_more() {
    let mut app = new_app(80, 24);
    let cmds = app::init(&mut app);
    let _ = answer_where(&mut app, cmds, |op| matches!(op, ApiOp::MyScopes));
    let req = app
        .pending
        .iter()
        .find(|(_, p)| matches!(p, app::Pending::List { .. }))
        .map(|(r, _)| *r)
        .unwrap();
    let _ = reply(&mut app, req, ApiResult::Keys(Ok(many_keys(95))));
    let buf = render(&app, 80, 24).backend().buffer().clone();
    let (x, y) = find(&buf, "95/100 keys").unwrap();
    assert_eq!(buf[(x, y)].fg, Theme::dark().warn.fg.unwrap());
    assert!(
        row_text(&buf, 23).trim_end().ends_with("? more"),
        "{}",
        row_text(&buf, 23)
    );
}

#[test]
fn hints_keep_revoke_and_help_at_every_width() {
    for w in 60..=200u16 {
        let app = loaded_app(w, 40);
        let buf = render(&app, w, 40).backend().buffer().clone();
        let hints = row_text(&buf, 39);
        assert!(
            hints.contains(" d revoke"),
            "no `d` at {w} columns: {hints}"
        );
        let tail = hints.trim_end();
        assert!(
            tail.ends_with("? more") || tail.ends_with("? help"),
            "no `?` last at {w} columns: {hints}"
        );
    }
    // the order is by importance: revoke first, and narrowing drops the least important first
    let wide = row_text(render(&loaded_app(200, 40), 200, 40).backend().buffer(), 39);
    let narrow = row_text(render(&loaded_app(80, 40), 80, 40).backend().buffer(), 39);
    assert!(wide.trim_start().starts_with("d revoke"), "{wide}");
    for item in narrow.trim().split("  ").filter(|i| !i.starts_with('?')) {
        assert!(
            wide.contains(item.trim()),
            "{item} not in the wide hints: {wide}"
        );
    }
}
