//! The dashboard at large: quitting, toasts, a too-small terminal, the detail pane, the log of API calls, the clock, help.

use super::*;

#[test]
fn quitting_waits_for_confirmation_while_a_change_is_in_flight() {
    let mut app = loaded();
    let cmds = update(&mut app, key('q'));
    assert!(cmds.contains(&Command::Quit));

    let mut app = loaded();
    update(&mut app, key('d'));
    arm(&mut app);
    update(&mut app, key('y'));
    let cmds = update(&mut app, key('q'));
    assert!(!cmds.contains(&Command::Quit));
    assert_eq!(app.layer(), Layer::ConfirmQuit);
    arm(&mut app);
    let cmds = update(&mut app, key('y'));
    assert!(cmds.contains(&Command::Quit) && app.should_quit);
}

#[test]
fn toasts_expire_errors_do_not() {
    let mut app = loaded();
    update(&mut app, Msg::Tick(10_000));
    update(&mut app, key('s'));
    assert!(app.toast.is_some());
    assert!(app.wants_tick());
    update(&mut app, Msg::Tick(10_000 + TOAST_MS + 1));
    assert!(app.toast.is_none());
    assert!(!app.wants_tick(), "idle: no ticks needed");
}

#[test]
fn too_small_terminal_only_quits() {
    let mut app = loaded();
    update(&mut app, Msg::Resize(40, 10));
    assert!(!app.fits());
    update(&mut app, key('j'));
    update(&mut app, key('d'));
    assert!(app.modal.is_none() && app.view.selected == 0);
    let cmds = update(&mut app, key('q'));
    assert!(cmds.contains(&Command::Quit));
}

#[test]
fn detail_pane_expands_categories() {
    let mut app = loaded();
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.layer(), Layer::Detail);
    let rows = detail_rows(&app);
    assert_eq!(rows.len(), 1, "ci deploy: Mail Send only");
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(detail_rows(&app).len(), 1 + 5);
    update(&mut app, key('a'));
    assert_eq!(
        detail_rows(&app).len(),
        crate::scopes::categories().len() + 5
    );
}

#[test]
fn api_calls_are_logged_without_secrets() {
    let mut app = loaded();
    update(
        &mut app,
        Msg::Call(CallRecord {
            method: "GET",
            path: "/v3/api_keys".into(),
            on_behalf_of: None,
            status: Some(200),
            elapsed_ms: 12,
            attempt: 0,
            rate: None,
            error: None,
        }),
    );
    assert_eq!(
        app.log.back().map(|l| l.text.as_str()),
        Some("GET /v3/api_keys 200 12ms")
    );
    update(&mut app, key('@'));
    assert_eq!(app.layer(), Layer::Log);
}

#[test]
fn clock_times_are_local_hh_mm_ss() {
    let c = Clock {
        start_unix_ms: 1_700_000_000_000,
        utc_offset_s: 3_600,
    };
    // 2023-11-14 22:13:20 UTC, 23:13:20 at UTC+1
    assert_eq!(c.hms(0), "23:13:20");
    assert_eq!(c.hms(45_000), "23:14:05");
    assert_eq!(Clock::default().hms(5_000), "00:00:05");
    let west = Clock {
        start_unix_ms: 0,
        utc_offset_s: -5 * 3_600,
    };
    assert_eq!(west.hms(0), "19:00:00");
}

// ---------------------------------------------------------------- help, command line

fn help_scroll(app: &App) -> usize {
    match &app.modal {
        Some(Modal::Help(h)) => h.scroll,
        _ => usize::MAX,
    }
}

#[test]
fn help_keys_scroll_and_slash_filters() {
    let mut app = loaded();
    app.size = (80, 24);
    update(&mut app, key('?'));
    assert_eq!(app.layer(), Layer::Help);
    let max = match &app.modal {
        Some(Modal::Help(h)) => overlays::help_max_scroll(h, false, 24),
        _ => 0,
    };
    assert!(max > 0, "the list help is longer than 24 rows");
    typed(&mut app, "jj");
    assert_eq!(help_scroll(&app), 2, "j scrolls, it is not typed");
    update(&mut app, key('k'));
    assert_eq!(help_scroll(&app), 1);
    update(&mut app, key('G'));
    assert_eq!(help_scroll(&app), max);
    update(&mut app, key('j'));
    assert_eq!(help_scroll(&app), max, "stops at the end");
    update(&mut app, key('k'));
    assert_eq!(
        help_scroll(&app),
        max - 1,
        "one up from the end moves at once"
    );
    update(&mut app, key('g'));
    assert_eq!(help_scroll(&app), 0);
    update(&mut app, code(KeyCode::PageDown));
    assert!(help_scroll(&app) > 1);
    update(&mut app, code(KeyCode::PageUp));
    assert_eq!(help_scroll(&app), 0);
    // `/` starts the filter: now letters are typed
    update(&mut app, key('/'));
    assert_eq!(app.layer(), Layer::HelpFilter);
    typed(&mut app, "jk");
    assert!(matches!(&app.modal, Some(Modal::Help(h)) if h.filter.value() == "jk"));
    // Esc leaves the filter, then the overlay
    update(&mut app, code(KeyCode::Esc));
    assert_eq!(app.layer(), Layer::Help);
    assert!(matches!(&app.modal, Some(Modal::Help(h)) if h.filter.value().is_empty()));
    update(&mut app, code(KeyCode::Esc));
    assert!(app.modal.is_none());
}
