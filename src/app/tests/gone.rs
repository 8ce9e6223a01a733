//! Only SendGrid's own 404 (its JSON error shape) means a key is gone: a gateway's HTML 404
//! says nothing about the key, and the dashboard never calls it gone on that word.

use super::*;

/// Ctrl-r re-reads the list, then answers the read of 'marketing' with `err`.
fn marketing_read_answered(err: ApiError) -> App {
    let mut app = loaded();
    let cmds = update(&mut app, ctrl('r'));
    let list_req = api_cmds(&cmds)[0].0;
    let cmds = update(&mut app, answer(list_req, ApiResult::Keys(Ok(keys()))));
    let (req, _) = api_cmds(&cmds)
        .into_iter()
        .find(|(_, op)| *op == ApiOp::GetKey(id(1)))
        .unwrap();
    update(&mut app, answer(req, ApiResult::Key(Err(err))));
    app
}

#[test]
fn a_gateways_404_on_a_key_read_keeps_the_key_and_says_it_could_not_be_read() {
    let app = marketing_read_answered(gateway_404());
    assert!(app.keys.get(&id(1)).is_some(), "the key stays in the list");
    let said = app
        .log
        .iter()
        .map(|l| l.text.clone())
        .chain(app.toast.iter().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!said.contains("revoked elsewhere"), "{said}");
    assert!(!said.contains("no longer exists"), "{said}");
    // SendGrid's own 404 does remove it, and says so
    let app = marketing_read_answered(sendgrid_404());
    assert!(app.keys.get(&id(1)).is_none());
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("revoked elsewhere"))
    );
}

/// A pending rotation of 'marketing' finished from `J` (`f`, `y`); the read of its replacement
/// answered `err`. Returns the app and what that answer sent.
fn finished_with_the_replacement_answering(err: ApiError) -> (App, Vec<Command>) {
    let mut app = loaded();
    let cmds = update(&mut app, key('J'));
    let req = api_cmds(&cmds)[0].0;
    update(
        &mut app,
        answer(req, ApiResult::Journal(Ok(vec![rotation_entry()]))),
    );
    assert!(app.pending_rotation(&id(1)).is_some());
    update(&mut app, code(KeyCode::Enter));
    update(&mut app, key('f'));
    let cmds = update(&mut app, key('y'));
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert_eq!(op, ApiOp::GetKey(new_key_id()));
    let cmds = update(&mut app, answer(req, ApiResult::Key(Err(err))));
    (app, cmds)
}

#[test]
fn finishing_from_the_journal_keeps_the_old_key_when_the_replacement_is_gone() {
    let (app, cmds) = finished_with_the_replacement_answering(sendgrid_404());
    assert!(api_cmds(&cmds).is_empty(), "nothing revoked");
    let t = app.toast.clone().unwrap();
    assert_eq!(t.level, Level::Error);
    assert!(t.text.contains("is gone"), "{}", t.text);
    assert!(app.rotations.active.is_empty());
    assert!(!app.keys.get(&id(1)).unwrap().state.is_revoking());
}

#[test]
fn finishing_with_a_gateways_404_for_the_replacement_keeps_the_old_key_never_says_gone() {
    let (app, cmds) = finished_with_the_replacement_answering(gateway_404());
    assert!(api_cmds(&cmds).is_empty(), "nothing revoked");
    let t = app.toast.clone().unwrap();
    assert_eq!(t.level, Level::Error);
    assert!(!t.text.contains("is gone"), "{}", t.text);
    assert!(t.text.contains("could not be read back"), "{}", t.text);
    assert!(t.text.contains("404"), "{}", t.text);
    assert!(!app.keys.get(&id(1)).unwrap().state.is_revoking());
    // still pending: it can be finished once the replacement reads back
    assert!(app.pending_rotation(&id(1)).is_some());
}
