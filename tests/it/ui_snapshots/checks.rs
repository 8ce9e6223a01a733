//! Robustness and content checks: every state at every size (and a proptest sweep), 10 000
//! keys drawing the visible slice, the scope diff and preset picker, hostile server text, and
//! a limited caller's review.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::screen::*;
use common::*;
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use sgkeys::app::{self, ApiOp, ApiResult, App, Command, Modal, Msg};
use sgkeys::ui::{self, Theme};

use super::scenarios::*;

fn draw_at(app: &App, w: u16, h: u16) {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| ui::draw(f, app)).unwrap();
}

#[test]
fn every_state_draws_at_every_size() {
    const WIDTHS: [u16; 14] = [0, 1, 2, 5, 10, 20, 40, 59, 60, 61, 80, 100, 120, 250];
    const HEIGHTS: [u16; 12] = [0, 1, 2, 3, 5, 10, 15, 16, 17, 24, 40, 80];
    for (name, build) in ALL {
        let mut app = build(120, 40);
        for w in WIDTHS {
            for h in HEIGHTS {
                // the app knows the size (as after a resize event)
                app::update(&mut app, Msg::Resize(w, h));
                let r =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| draw_at(&app, w, h)));
                assert!(r.is_ok(), "{name} panicked at {w}×{h}");
            }
        }
        // and when the frame and the app disagree (a resize not processed yet)
        app::update(&mut app, Msg::Resize(120, 40));
        for (w, h) in [(60, 16), (61, 17), (80, 24), (250, 80), (10, 3)] {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| draw_at(&app, w, h)));
            assert!(r.is_ok(), "{name} panicked at {w}×{h} with app size 120×40");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn any_state_any_size(i in 0..ALL.len(), w in 0u16..300, h in 0u16..100) {
        let (_, build) = ALL[i];
        let mut app = build(120, 40);
        app::update(&mut app, Msg::Resize(w, h));
        draw_at(&app, w, h);
    }
}

#[test]
fn ten_thousand_keys_draw_the_visible_slice() {
    let mut app = new_app(120, 40);
    let cmds = app::init(&mut app);
    let cmds = answer_where(&mut app, cmds, |op| matches!(op, ApiOp::MyScopes));
    for cmd in cmds {
        if let Command::Api {
            req,
            op: ApiOp::ListKeys,
            ..
        } = cmd
        {
            let _ = reply(&mut app, req, ApiResult::Keys(Ok(many_keys(10_000))));
        }
    }
    assert_eq!(app.keys.entries.len(), 10_000);
    let _ = press(&mut app, "<PgDn><PgDn>jjj");
    // (the time per frame is measured by `cargo bench --bench ui`, never asserted in a test)
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| ui::draw(f, &app)).unwrap();
    let text = screen_text(terminal.backend().buffer());
    assert!(text.contains("service-00"), "{text}");
    let sel = app.selected().map(|e| e.name.clone()).unwrap_or_default();
    assert!(text.contains(&sel), "the selected key is on screen: {sel}");
    assert!(text.contains("/10000"), "position indicator: {text}");
}

// ---------------------------------------------------------------- diff and presets

#[test]
fn diff_scope_lines_use_the_added_and_removed_styles() {
    for (theme, build) in [
        (Theme::dark(), diff_preset as fn(u16, u16) -> App),
        (Theme::mono(), |w, h| {
            let mut app = diff_preset(w, h);
            app.theme = sgkeys::config::ThemeName::Mono;
            app
        }),
        (Theme::light(), |w, h| {
            let mut app = diff_preset(w, h);
            app.theme = sgkeys::config::ThemeName::Light;
            app
        }),
    ] {
        let app = build(120, 40);
        let buf = render(&app, 120, 40).backend().buffer().clone();
        for (needle, style) in [
            ("+ mail.batch.read", theme.ok),
            ("− email_activity.read", theme.danger),
        ] {
            let (x, y) = find(&buf, needle).unwrap_or_else(|| panic!("no {needle:?}"));
            for i in 0..needle.chars().count() as u16 {
                let c = &buf[(x + i, y)];
                assert_eq!(
                    (c.fg, c.modifier),
                    (style.fg.unwrap_or(Color::Reset), style.add_modifier),
                    "{needle:?} cell {i}"
                );
            }
        }
    }
    // the two styles really differ, in colour and without it
    assert_ne!(Theme::dark().ok, Theme::dark().danger);
    assert_ne!(Theme::mono().ok, Theme::mono().danger);
}

#[test]
fn diff_scroll_stops_at_the_end() {
    let app = diff_scrolled_past_end(80, 24);
    let Some(Modal::Diff(d)) = &app.modal else {
        panic!("no diff")
    };
    // update clamps the scroll at the last line (pressing Up works at once afterwards)
    assert_eq!(d.scroll + 1, sgkeys::app::diff_line_count(&app, d));
    let text = screen_text(render(&app, 80, 24).backend().buffer());
    // the last lines are in view, the totals too, and nothing is hidden below
    assert!(text.contains("− stats.global.read"), "{text}");
    assert!(text.contains("↑ 3 more"), "{text}");
    assert!(
        text.contains("1 in common · 3 only in A · 8 only in B"),
        "{text}"
    );
}

#[test]
fn diff_waits_for_scopes() {
    let app = diff_loading(80, 24);
    let text = screen_text(render(&app, 80, 24).backend().buffer());
    assert!(text.contains("Loading scopes…"), "{text}");
    assert!(text.contains("Scope diff"), "{text}");
}

#[test]
fn preset_picker_preview_matches_the_review() {
    let mut app = preset_picker(120, 40);
    let text = screen_text(render(&app, 120, 40).backend().buffer());
    assert!(text.contains("+11 −1"), "{text}");
    assert!(text.contains("would hold 14 scopes"), "{text}");
    press_answer(&mut app, "<Enter>");
    let Some(Modal::EditScopes(f)) = &app.modal else {
        panic!("no review")
    };
    assert_eq!(
        (f.added().len(), f.removed().len(), f.matrix.selected.len()),
        (11, 1, 14)
    );
}

#[test]
fn the_review_warns_before_the_key_in_use_loses_its_api_keys_scopes() {
    let mut app = loaded_app(120, 40);
    select_name(&mut app, "sgkeys dashboard");
    press_answer(&mut app, "e");
    let Some(Modal::EditScopes(f)) = &mut app.modal else {
        panic!("editor not open")
    };
    assert!(f.own, "the editor knows this is the key in use");
    f.matrix.selected.retain(|s| !s.starts_with("api_keys."));
    f.stage = app::ScopeStage::Review;
    let text = screen_text(render(&app, 120, 40).backend().buffer());
    assert!(
        text.contains("This is the key sgkeys is using: without api_keys."),
        "{text}"
    );
    // another key losing the same scopes gets no such warning
    let mut app = loaded_app(120, 40);
    select_name(&mut app, "marketing: HubSpot sync");
    press_answer(&mut app, "e");
    let Some(Modal::EditScopes(f)) = &mut app.modal else {
        panic!("editor not open")
    };
    assert!(!f.own);
    f.stage = app::ScopeStage::Review;
    let text = screen_text(render(&app, 120, 40).backend().buffer());
    assert!(!text.contains("sgkeys is using"), "{text}");
}

#[test]
fn hostile_server_text_never_reaches_the_dashboard_raw() {
    const EVIL: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{7f}\u{202e}gpj.exe\u{200b}";
    let mut app = common::new_app(120, 40);
    let cmds = app::init(&mut app);
    let list_req = cmds
        .iter()
        .find_map(|c| match c {
            Command::Api {
                req,
                op: app::ApiOp::ListKeys,
                ..
            } => Some(*req),
            _ => None,
        })
        .unwrap();
    let keys: Vec<sgkeys::api::ApiKey> = (0..3)
        .map(|i| sgkeys::api::ApiKey {
            api_key_id: sgkeys::api::ApiKeyId(format!("k{i:020}{EVIL}")),
            name: format!("name {i} {EVIL}"),
        })
        .collect();
    let more = common::reply(&mut app, list_req, app::ApiResult::Keys(Ok(keys)));
    // scopes and an error, both hostile
    for c in more {
        if let Command::Api {
            req,
            op: app::ApiOp::GetKey(id),
            ..
        } = c
        {
            let r = if id.0.starts_with("k00000000000000000000") {
                Ok(sgkeys::api::KeyDetail {
                    api_key_id: id,
                    name: format!("name 0 {EVIL}"),
                    scopes: vec!["mail.send".into(), format!("z.{EVIL}")],
                })
            } else {
                Err(sgkeys::api::ApiError::from_status(
                    500,
                    format!("{{\"errors\":[{{\"message\":\"boom {EVIL}\"}}]}}").as_bytes(),
                    None,
                ))
            };
            common::reply(&mut app, req, app::ApiResult::Key(r));
        }
    }
    for w in [80u16, 120] {
        app::update(&mut app, Msg::Resize(w, 40));
        for keys in ["", "@", "<Esc>?", "<Esc>"] {
            let _ = press(&mut app, keys);
            let text = screen_text(render(&app, w, 40).backend().buffer());
            let bad = text.chars().find(|c| {
                (*c < ' ' && *c != '\n')
                    || ('\u{7f}'..='\u{9f}').contains(c)
                    || matches!(c, '\u{202a}'..='\u{202e}' | '\u{200b}')
            });
            assert!(
                bad.is_none(),
                "U+{:04X} on screen at {w} ({keys}):\n{text}",
                bad.map_or(0, |c| c as u32)
            );
        }
    }
}

#[test]
fn a_limited_caller_is_told_what_full_access_means_for_it() {
    let mut app = loaded_app(120, 40);
    press_answer(&mut app, "n");
    let Some(Modal::Create(f)) = &mut app.modal else {
        panic!("create form not open")
    };
    f.matrix.grantable = Some(
        ["mail.send", "alerts.read", "api_keys.read"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
    );
    f.key_type = sgkeys::scopes::KeyType::Full;
    let text = screen_text(render(&app, 120, 40).backend().buffer());
    assert!(text.contains("all 3 scopes you hold"), "{text}");
    let Some(Modal::Create(f)) = &mut app.modal else {
        unreachable!()
    };
    f.stage = app::CreateStage::Review;
    let text = screen_text(render(&app, 120, 40).backend().buffer());
    assert!(text.contains("all 3 scopes you hold"), "{text}");
}
