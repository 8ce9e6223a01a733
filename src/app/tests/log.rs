//! The `@` log (issue 23 item 9): searchable, wrapped on demand, repeats counted, routine
//! refresh reads kept out unless they change something.

use super::*;
use crate::api::CallRecord;
use crate::app::log::log_rows;

fn call(app: &mut App, path: &str, status: u16) {
    update(
        app,
        Msg::Call(CallRecord {
            method: "GET",
            path: path.into(),
            on_behalf_of: None,
            status: Some(status),
            elapsed_ms: 12,
            attempt: 0,
            rate: None,
            error: None,
        }),
    );
}

#[test]
fn a_line_said_again_right_away_is_one_entry_with_its_count() {
    let mut app = loaded();
    let before = app.log.len();
    for _ in 0..3 {
        call(&mut app, "/v3/api_keys/abc", 200);
    }
    assert_eq!(app.log.len(), before + 1);
    assert_eq!(app.log.back().map(|l| l.count), Some(3));
    call(&mut app, "/v3/api_keys/def", 200);
    assert_eq!(app.log.len(), before + 2);
}

#[test]
fn slash_filters_the_log_and_w_wraps_it() {
    let mut app = loaded();
    call(&mut app, "/v3/api_keys/abc", 429);
    call(&mut app, "/v3/scopes", 200);
    update(&mut app, key('@'));
    assert_eq!(app.layer(), Layer::Log);
    update(&mut app, key('/'));
    assert_eq!(app.layer(), Layer::LogFilter);
    typed(&mut app, "429");
    let Some(Modal::Log(l)) = &app.modal else {
        panic!()
    };
    let rows = log_rows(&app, l);
    assert_eq!(rows.len(), 1);
    assert!(app.log[rows[0]].text.contains("/v3/api_keys/abc 429"));
    // Enter keeps the filter; q (not typed now) closes… after w toggled the wrap
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.layer(), Layer::Log);
    update(&mut app, key('w'));
    assert!(matches!(&app.modal, Some(Modal::Log(l)) if l.wrap));
    update(&mut app, code(KeyCode::Esc));
    assert!(app.modal.is_none());
}

#[test]
fn a_periodic_refresh_that_changes_nothing_stays_out_of_the_log() {
    let mut app = loaded();
    app.live.every_ms = 2_000;
    let mut now = app.now_ms;
    let mut sent = 0;
    for round in 0..3 {
        now += 2_500;
        let cmds = update(&mut app, Msg::Tick(now));
        let reqs = list_reqs(&cmds);
        assert_eq!(reqs.len(), 1, "round {round}: one list read");
        sent += 1;
        call(&mut app, "/v3/api_keys", 200);
        update(&mut app, answer(reqs[0], ApiResult::Keys(Ok(keys()))));
    }
    assert_eq!(app.live.quiet, sent);
    assert!(
        app.log
            .iter()
            .all(|l| !l.text.starts_with("GET /v3/api_keys 200")),
        "{:?}",
        app.log
    );
    // one that finds a new key is logged, as are its scope reads
    now += 2_500;
    let cmds = update(&mut app, Msg::Tick(now));
    let reqs = list_reqs(&cmds);
    call(&mut app, "/v3/api_keys", 200);
    let mut more = keys();
    more.push(ApiKey {
        api_key_id: ApiKeyId("n".repeat(22)),
        name: "new one".into(),
    });
    update(&mut app, answer(reqs[0], ApiResult::Keys(Ok(more))));
    assert!(
        app.log
            .iter()
            .any(|l| l.text.starts_with("GET /v3/api_keys 200"))
    );
    // and a failed one always is
    now += 2_500;
    let cmds = update(&mut app, Msg::Tick(now));
    assert_eq!(list_reqs(&cmds).len(), 1);
    call(&mut app, "/v3/api_keys", 503);
    assert!(
        app.log
            .iter()
            .any(|l| l.text.starts_with("GET /v3/api_keys 503"))
    );
}

#[test]
fn question_mark_in_a_dialog_opens_its_help_and_closing_it_returns_there() {
    let mut app = loaded();
    update(&mut app, key('@'));
    update(&mut app, key('?'));
    let Some(Modal::Help(h)) = &app.modal else {
        panic!("{:?}", app.modal)
    };
    assert_eq!(h.under, Layer::Log);
    assert!(
        crate::app::overlays::help_entries(h, false)
            .0
            .iter()
            .any(|b| b.action == crate::app::keymap::Action::Filter)
    );
    assert!(app.toast.is_none(), "no 'no action for ?'");
    update(&mut app, code(KeyCode::Esc));
    assert!(matches!(app.modal, Some(Modal::Log(_))), "{:?}", app.modal);
    // the journal and the scope editor too
    update(&mut app, code(KeyCode::Esc));
    let cmds = update(&mut app, key('J'));
    settle(&mut app, cmds);
    update(&mut app, key('?'));
    assert!(matches!(&app.modal, Some(Modal::Help(h)) if h.under == Layer::Journal));
}
