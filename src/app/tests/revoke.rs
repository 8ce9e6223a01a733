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
    update(&mut app, key('d'));
    arm(&mut app);
    let cmds = update(&mut app, key('y'));
    let (req, _) = api_cmds(&cmds)[0].clone();
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
