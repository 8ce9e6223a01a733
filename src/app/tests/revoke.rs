//! The revoke confirmation's first moment (issue 23 item 2) and what a revoke's answer says.

use super::*;
use crate::app::keymap;
use crate::app::revoke::ARM_MS;

/// The keys the status-bar hints may offer now: the layer's hints that are available (what
/// `ui::status::hint_items` draws; the model's tests do not reach up into the view).
fn offered(app: &App) -> Vec<(String, &'static str)> {
    let _keys = keymap::using(app.keymap);
    keymap::hints(app.layer(), app.ctx.read_only)
        .into_iter()
        .filter(|b| keymap::available(app, b))
        .filter_map(|b| b.keys.first().map(|c| (keymap::chord_label(c), b.desc)))
        .collect()
}

#[test]
fn d_then_y_as_one_gesture_revokes_nothing() {
    let mut app = loaded();
    update(&mut app, Msg::Tick(10_000));
    update(&mut app, key('d'));
    // 150 ms later, as k9s's describe-then-YAML gesture: ignored, and said
    update(&mut app, Msg::Tick(10_150));
    let cmds = update(&mut app, key('y'));
    assert!(api_cmds(&cmds).is_empty(), "nothing sent: {cmds:?}");
    let Some(Modal::ConfirmDelete(c)) = &app.modal else {
        panic!("the dialog stays open: {:?}", app.modal);
    };
    assert_eq!(c.confirm.ignored, vec!["y".to_owned()]);
    assert!(!c.confirm.armed(app.now_ms));
    // Enter and a typed count are ignored too; the loop wakes when the buttons come alive
    update(&mut app, code(KeyCode::Enter));
    assert!(app.modal.is_some());
    assert_eq!(app.next_wakeup(), Some(10_000 + ARM_MS));
    // the hint line offers no button while they are greyed
    assert!(
        offered(&app).iter().all(|(k, _)| k != "y" && k != "Enter"),
        "{:?}",
        offered(&app)
    );
    // from 400 ms on, y revokes
    update(&mut app, Msg::Tick(10_000 + ARM_MS));
    assert!(
        offered(&app)
            .iter()
            .any(|(k, d)| k == "y" && d.starts_with("revoke")),
        "{:?}",
        offered(&app)
    );
    let cmds = update(&mut app, key('y'));
    assert!(matches!(
        api_cmds(&cmds)[..],
        [(_, ApiOp::Mutate(Mutation::Revoke { .. }))]
    ));
}

#[test]
fn esc_works_at_once_and_a_typed_count_waits_too() {
    let mut app = loaded();
    update(&mut app, Msg::Tick(5_000));
    update(&mut app, code(KeyCode::Esc));
    update(&mut app, key('d'));
    update(&mut app, code(KeyCode::Esc));
    assert!(app.modal.is_none(), "Esc cancels at once");
    // two marked keys (not the key in use, which goes last): the count typed in the first
    // moment is not taken
    update(&mut app, key('j'));
    update(&mut app, key(' '));
    update(&mut app, key(' '));
    update(&mut app, key('d'));
    update(&mut app, key('2'));
    let Some(Modal::ConfirmDelete(c)) = &app.modal else {
        panic!("{:?}", app.modal)
    };
    assert_eq!(c.typed.value(), "");
    assert_eq!(c.confirm.ignored, vec!["typing".to_owned()]);
    arm(&mut app);
    update(&mut app, key('2'));
    let cmds = update(&mut app, key('y'));
    assert_eq!(api_cmds(&cmds).len(), 2);
}

#[test]
fn a_key_someone_already_revoked_is_not_called_revoked_now() {
    let mut app = loaded();
    update(&mut app, key('j'));
    let req = revoke_selected(&mut app);
    update(
        &mut app,
        answer(req, ApiResult::Mutated(Done::ok(Effect::AlreadyGone))),
    );
    let t = app.toast.clone().expect("a toast");
    assert_eq!(t.level, Level::Warn);
    assert!(
        t.text.starts_with("'marketing' was already revoked"),
        "{}",
        t.text
    );
    assert!(!t.text.contains("✓") && !t.text.starts_with("revoked"));
    assert!(
        app.keys.get(&id(1)).is_none(),
        "the row goes: the key is gone"
    );
    // in a batch, the count says which were revoked now
    update(&mut app, key(' '));
    update(&mut app, key(' '));
    update(&mut app, key('d'));
    arm(&mut app);
    update(&mut app, key('2'));
    let cmds = update(&mut app, key('y'));
    let reqs = api_cmds(&cmds);
    update(
        &mut app,
        answer(reqs[0].0, ApiResult::Mutated(Done::ok(Effect::Revoked))),
    );
    update(
        &mut app,
        answer(reqs[1].0, ApiResult::Mutated(Done::ok(Effect::AlreadyGone))),
    );
    let t = app.toast.clone().expect("a toast");
    assert!(
        t.text
            .starts_with("revoked 1 of 2 keys; 1 was already revoked"),
        "{}",
        t.text
    );
}

#[test]
fn with_no_key_to_act_on_key_hints_are_hidden_and_keys_say_why() {
    let mut app = App::new(ctx());
    app.size = (120, 40);
    let _ = init(&mut app);
    let hints: Vec<String> = offered(&app).into_iter().map(|(k, _)| k).collect();
    for k in ["d", "e", "r", "R", "v", "y"] {
        assert!(!hints.iter().any(|h| h == k), "{k} offered: {hints:?}");
    }
    assert!(hints.iter().any(|h| h == "n"), "{hints:?}");
    update(&mut app, key('e'));
    assert!(
        app.toast.as_ref().is_some_and(
            |t| t.text == "no key to act on (edit scopes): the key list is still loading"
        ),
        "{:?}",
        app.toast
    );
    // loaded: they are back
    let mut app = loaded();
    update(&mut app, Msg::Tick(1));
    let hints: Vec<String> = offered(&app).into_iter().map(|(k, _)| k).collect();
    assert!(hints.iter().any(|h| h == "d"), "{hints:?}");
}

#[test]
fn a_remapped_revoke_key_opens_the_confirmation_and_shows_in_hints_and_help() {
    let mut app = loaded();
    update(&mut app, Msg::Tick(1));
    app.keymap = user_keys("revoke", "x");
    let hints = offered(&app);
    assert!(
        hints
            .iter()
            .any(|(k, d)| k == "x" && d.starts_with("revoke")),
        "{hints:?}"
    );
    assert!(!hints.iter().any(|(k, _)| k == "d"), "{hints:?}");
    // d is no key now (said so); x opens the confirmation
    update(&mut app, key('d'));
    assert!(app.modal.is_none());
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.starts_with("no action for d"))
    );
    update(&mut app, key('x'));
    assert!(
        matches!(app.modal, Some(Modal::ConfirmDelete(_))),
        "{:?}",
        app.modal
    );
    update(&mut app, code(KeyCode::Esc));
    // the help lists x for revoke
    update(&mut app, key('?'));
    let Some(Modal::Help(h)) = &app.modal else {
        panic!("no help: {:?}", app.modal);
    };
    let _keys = crate::app::keymap::using(app.keymap);
    let (bindings, _) = crate::app::overlays::help_entries(h, false);
    let revoke = bindings
        .iter()
        .find(|b| b.action == Action::Revoke)
        .unwrap();
    assert_eq!(crate::app::keymap::keys_label(revoke), "x");
}

#[test]
fn sentences_that_name_a_key_name_the_users_key() {
    let mut app = loaded();
    app.keymap = user_keys("contexts", "C");
    update(&mut app, key('-'));
    let said = app
        .toast
        .as_ref()
        .map(|t| t.text.clone())
        .unwrap_or_default();
    assert!(
        said.starts_with("no previous context yet: C lists every context"),
        "{said}"
    );
}

#[test]
fn revoke_one_with_confirmation_focus_on_cancel() {
    let mut app = loaded();
    update(&mut app, key('d'));
    arm(&mut app);
    assert_eq!(app.layer(), Layer::Confirm);
    assert!(matches!(&app.modal, Some(Modal::ConfirmDelete(c)) if !c.confirm.focus_yes));
    // Enter presses Cancel
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert!(api_cmds(&cmds).is_empty() && app.modal.is_none());
    // d again does not confirm: y does
    update(&mut app, key('d'));
    arm(&mut app);
    assert!(api_cmds(&update(&mut app, key('d'))).is_empty());
    let cmds = update(&mut app, key('y'));
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert_eq!(
        op,
        ApiOp::Mutate(Mutation::Revoke {
            id: id(0),
            name: "ci deploy".into(),
            scopes_before: Some(vec!["mail.send".into()])
        })
    );
    assert!(app.keys.get(&id(0)).is_some_and(|e| e.state.is_revoking()));
    update(
        &mut app,
        answer(req, ApiResult::Mutated(Done::ok(Effect::Revoked))),
    );
    assert!(app.keys.get(&id(0)).is_none());
    assert_eq!(app.view.rows.len(), NAMES.len() - 1);
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.level == Level::Success)
    );
}

#[test]
fn failed_revoke_restores_the_row_with_an_error() {
    let mut app = loaded();
    let req = revoke_selected(&mut app);
    update(
        &mut app,
        answer(
            req,
            ApiResult::Mutated(Done::err(ApiError::Server {
                status: 500,
                body: ErrorBody::default(),
            })),
        ),
    );
    assert!(app.keys.get(&id(0)).is_some_and(|e| !e.state.is_revoking()));
    assert_eq!(app.toast.as_ref().map(|t| t.level), Some(Level::Error));
    // errors stay until dismissed
    update(&mut app, Msg::Tick(100_000));
    assert!(app.toast.is_some());
    update(&mut app, code(KeyCode::Esc));
    assert!(app.toast.is_none());
}

#[test]
fn bulk_revoke_needs_the_count_typed() {
    let mut app = loaded();
    for _ in 0..3 {
        update(&mut app, key(' '));
    }
    update(&mut app, key('d'));
    arm(&mut app);
    let Some(Modal::ConfirmDelete(c)) = &app.modal else {
        panic!()
    };
    assert_eq!(c.targets.len(), 3);
    assert!(
        api_cmds(&update(&mut app, key('y'))).is_empty(),
        "count not typed"
    );
    assert!(matches!(&app.modal, Some(Modal::ConfirmDelete(c)) if c.error.is_some()));
    typed(&mut app, "2");
    assert!(
        api_cmds(&update(&mut app, key('y'))).is_empty(),
        "wrong count"
    );
    update(&mut app, code(KeyCode::Backspace));
    typed(&mut app, "3");
    let cmds = update(&mut app, key('y'));
    // the key sgkeys is using (id 0, marked first) is held back: the other two go first
    let sent = api_cmds(&cmds);
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(
        |(_, op)| !matches!(op, ApiOp::Mutate(Mutation::Revoke { id: i, .. }) if *i == id(0))
    ));
    assert!(app.view.marks.is_empty());
    let reqs: Vec<ReqId> = sent.iter().map(|(r, _)| *r).collect();
    let after_first = update(
        &mut app,
        answer(reqs[0], ApiResult::Mutated(Done::ok(Effect::Revoked))),
    );
    assert!(
        api_cmds(&after_first).is_empty(),
        "own key waits for every other answer"
    );
    let last = update(
        &mut app,
        answer(
            reqs[1],
            ApiResult::Mutated(Done::err(common_server_error())),
        ),
    );
    let last = api_cmds(&last);
    assert_eq!(
        last.len(),
        1,
        "then the key sgkeys is using, even after a failure"
    );
    assert!(matches!(&last[0].1, ApiOp::Mutate(Mutation::Revoke { id: i, .. }) if *i == id(0)));
    assert!(
        app.toast.as_ref().is_some_and(|t| t.level == Level::Info),
        "summary waits for all"
    );
    update(
        &mut app,
        answer(last[0].0, ApiResult::Mutated(Done::ok(Effect::Revoked))),
    );
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.starts_with("1 of 3 revokes failed")),
        "{:?}",
        app.toast
    );
    assert!(app.keys.get(&id(0)).is_none());
}

#[test]
fn the_callers_own_key_is_flagged_in_the_confirm_dialog() {
    let mut app = loaded();
    app.ctx.caller_key_id = Some(id(0).0);
    update(&mut app, key('d'));
    arm(&mut app);
    assert!(matches!(&app.modal, Some(Modal::ConfirmDelete(c)) if c.targets[0].own));
}

#[test]
fn read_only_refuses_write_keys_with_a_reason() {
    let mut app = loaded();
    app.ctx.read_only = true;
    for c in ['d', 'e', 'r', 'n'] {
        let cmds = update(&mut app, key(c));
        assert!(cmds.is_empty() && app.modal.is_none(), "{c}");
        assert!(
            app.toast
                .as_ref()
                .is_some_and(|t| t.text.contains("read-only"))
        );
    }
    // reading still works
    update(&mut app, key('j'));
    assert_eq!(selected_name(&app), "marketing");
}

#[test]
fn a_revoke_is_one_per_key_state_and_failing_restores_the_scopes() {
    let mut app = loaded();
    let info = app.keys.get(&id(1)).and_then(|e| e.info().cloned());
    assert!(info.is_some());
    update(&mut app, key('j'));
    let req = revoke_selected(&mut app);
    let e = app.keys.get(&id(1)).unwrap();
    assert!(matches!(e.state, KeyState::Revoking { req: Some(r), .. } if r == req));
    assert_eq!(e.info().cloned(), info, "scopes stay known while revoking");
    update(
        &mut app,
        answer(req, ApiResult::Mutated(Done::err(common_server_error()))),
    );
    let e = app.keys.get(&id(1)).unwrap();
    assert!(!e.state.is_revoking());
    assert_eq!(e.info().cloned(), info, "back to what was known");
}
