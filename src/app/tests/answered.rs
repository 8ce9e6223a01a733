//! A write whose answer differs from the request (another name, other scopes) is said as a
//! warning that stays on the status line, after the write's own message (issue 21 item 6).

use super::*;

#[test]
fn a_rename_answered_with_another_name_ends_on_the_warning() {
    let mut app = loaded();
    update(&mut app, key('r'));
    update(&mut app, ctrl('u'));
    typed(&mut app, "ci deploy (prod)");
    let cmds = update(&mut app, code(KeyCode::Enter));
    let (req, _) = api_cmds(&cmds)[0].clone();
    let mut done = Done::ok(Effect::Renamed(ApiKey {
        api_key_id: id(0),
        name: "ci deploy (proxy)".into(),
    }));
    done.differs = vec![format!(
        "{}: the server answered the name 'ci deploy (proxy)', not 'ci deploy (prod)' as asked",
        id(0)
    )];
    update(&mut app, answer(req, ApiResult::Mutated(done)));
    // the list shows what the server answered
    assert_eq!(selected_name(&app), "ci deploy (proxy)");
    let t = app.toast.clone().unwrap();
    assert_eq!(t.level, Level::Warn, "{}", t.text);
    assert!(
        t.text.contains("not 'ci deploy (prod)' as asked"),
        "{}",
        t.text
    );
    // and the log keeps both
    let logged: Vec<&str> = app.log.iter().map(|l| l.text.as_str()).collect();
    assert!(
        logged
            .iter()
            .any(|l| l.contains("renamed to 'ci deploy (proxy)'")),
        "{logged:?}"
    );
}

#[test]
fn a_rotation_answered_with_other_scopes_ends_on_the_warning_under_the_secret() {
    let mut app = loaded();
    update(&mut app, key('j'));
    update(&mut app, key('R'));
    let cmds = update(&mut app, code(KeyCode::Enter));
    let (req, op) = api_cmds(&cmds)[0].clone();
    let ApiOp::Mutate(Mutation::Rotate { name, .. }) = op else {
        panic!("not a rotate: {op:?}");
    };
    let mut done = Done::ok(Effect::Created(CreatedKey {
        api_key: new_key_secret(),
        api_key_id: new_key_id(),
        name,
        scopes: vec!["mail.send".into()],
    }));
    done.differs = vec![format!(
        "{}: the server answered other scopes than asked: without marketing.read",
        new_key_id()
    )];
    update(&mut app, answer(req, ApiResult::Mutated(done)));
    assert_eq!(app.layer(), Layer::Secret, "the secret is shown");
    let t = app.toast.clone().unwrap();
    assert_eq!(t.level, Level::Warn, "{}", t.text);
    assert!(t.text.contains("without marketing.read"), "{}", t.text);
}
