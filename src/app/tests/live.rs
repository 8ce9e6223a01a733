//! The periodic refresh: one request per interval, paused under a dialog, keys gone elsewhere named.

use super::*;

#[test]
fn the_periodic_refresh_spends_one_request_per_interval() {
    let mut app = App::new(ctx());
    app.size = (120, 40);
    app.live.every_ms = 60_000;
    let cmds = init(&mut app);
    settle(&mut app, cmds);
    assert_eq!(app.live.due_at, Some(60_000));
    assert_eq!(
        app.next_wakeup(),
        Some(60_000),
        "the loop sleeps until then"
    );
    typed(&mut app, "jj");
    let before = selected_name(&app);
    assert!(api_cmds(&update(&mut app, Msg::Tick(59_999))).is_empty());
    let cmds = update(&mut app, Msg::Tick(60_000));
    let sent = api_cmds(&cmds);
    assert_eq!(sent.len(), 1, "one request: {sent:?}");
    assert_eq!(sent[0].1, ApiOp::ListKeys);
    // nothing more while it is under way, however often the loop ticks
    assert!(api_cmds(&update(&mut app, Msg::Tick(61_000))).is_empty());
    assert_eq!(app.next_wakeup(), None);
    let mut list = keys();
    list.insert(
        0,
        ApiKey {
            api_key_id: ApiKeyId("n00000000000000000000a".into()),
            name: "made elsewhere".into(),
        },
    );
    let more = update(&mut app, answer(sent[0].0, ApiResult::Keys(Ok(list))));
    // the journal is read again (rotations other processes recorded), and the new key's scopes
    // (it is scored like the rest); the keys already known are not read again
    let fresh = ApiKeyId("n00000000000000000000a".into());
    let mut asked: Vec<ApiOp> = api_cmds(&more).into_iter().map(|(_, op)| op).collect();
    asked.sort_by_key(|op| format!("{op:?}"));
    assert_eq!(
        asked,
        vec![ApiOp::GetKey(fresh.clone()), ApiOp::ReadJournal]
    );
    assert!(app.live.is_new(&fresh));
    assert_eq!(selected_name(&app), before, "the cursor stays on its key");
    assert!(app.toast.as_ref().is_some_and(|t| t.text.contains("1 new")));
    assert_eq!(app.live.due_at, Some(121_000));
    // the badge goes after BADGE_MS; the loop wakes for it
    assert_eq!(
        app.next_wakeup()
            .map(|t| t <= 61_000 + crate::app::live::BADGE_MS),
        Some(true)
    );
    update(&mut app, Msg::Tick(61_000 + crate::app::live::BADGE_MS));
    assert!(!app.live.is_new(&fresh));
    assert_eq!(app.live.sent, 1);
}

#[test]
fn the_periodic_refresh_waits_while_a_dialog_is_open() {
    let mut app = App::new(ctx());
    app.size = (120, 40);
    app.live.every_ms = 2_000;
    let cmds = init(&mut app);
    settle(&mut app, cmds);
    update(&mut app, key('?'));
    assert!(list_reqs(&update(&mut app, Msg::Tick(5_000))).is_empty());
    assert_eq!(
        app.next_wakeup().filter(|t| *t <= 5_000),
        None,
        "no wakeup for the refresh while paused"
    );
    update(&mut app, code(KeyCode::Esc));
    // due since long: the loop wakes at once, one request goes out
    assert!(app.next_wakeup().is_some_and(|t| t <= 5_000));
    assert_eq!(list_reqs(&update(&mut app, Msg::Tick(5_001))).len(), 1);
}

#[test]
fn refresh_off_never_wakes_the_loop() {
    let mut app = loaded();
    assert_eq!(app.live.every_ms, 0);
    update(&mut app, Msg::Tick(10_000));
    assert!(app.toast.is_none());
    assert_eq!(app.next_wakeup(), None);
    assert!(list_reqs(&update(&mut app, Msg::Tick(1_000_000))).is_empty());
}

#[test]
fn keys_gone_elsewhere_are_named_and_ctrl_r_takes_over_a_periodic_refresh() {
    let mut app = App::new(ctx());
    app.size = (120, 40);
    app.live.every_ms = 1_000;
    let cmds = init(&mut app);
    settle(&mut app, cmds);
    let req = list_reqs(&update(&mut app, Msg::Tick(1_000)))[0];
    // Ctrl-r meanwhile: no second request, and the answer counts as the user's
    assert!(api_cmds(&update(&mut app, ctrl('r'))).is_empty());
    let mut list = keys();
    list.retain(|k| k.name != "webhooks");
    let more = update(&mut app, answer(req, ApiResult::Keys(Ok(list))));
    assert!(
        !api_cmds(&more).is_empty(),
        "scopes read again after Ctrl-r"
    );
    assert!(
        app.log
            .iter()
            .any(|l| l.text.contains("1 gone ('webhooks')")),
        "{:?}",
        app.log
    );
}
