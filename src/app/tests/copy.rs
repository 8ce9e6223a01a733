//! Copy toasts say what was copied, and only once it was (issue 23 item 5).

use super::*;
use crate::scopes::KeyType;

#[test]
fn copying_the_id_says_id_and_only_when_it_went_out() {
    let mut app = loaded();
    let cmds = update(&mut app, key('y'));
    assert_eq!(
        cmds,
        vec![Command::Copy {
            text: Secret::from_server(id(0).0),
            what: Clip::Id(id(0)),
        }]
    );
    assert!(
        app.toast.is_none(),
        "nothing said before the terminal side answers"
    );
    assert!(app.log.iter().all(|l| !l.text.contains("copied")));
    // it failed: said, and nothing claims it was copied
    update(
        &mut app,
        Msg::Copied {
            what: Clip::Id(id(0)),
            result: Err("not copied: tmux's set-clipboard is 'external'".into()),
        },
    );
    let t = app.toast.clone().expect("a toast");
    assert_eq!(t.level, Level::Error);
    assert!(
        t.text.starts_with(&format!("id {} not copied", id(0))),
        "{}",
        t.text
    );
    assert!(!t.text.contains("secret"));
    // a later success replaces the error (same thing, done now)
    update(
        &mut app,
        Msg::Copied {
            what: Clip::Id(id(0)),
            result: Ok("copied into tmux's paste buffer".into()),
        },
    );
    let t = app.toast.clone().expect("a toast");
    assert_eq!(t.level, Level::Success, "{}", t.text);
    assert_eq!(
        t.text,
        format!("id {} copied into tmux's paste buffer", id(0))
    );
}

#[test]
fn a_failed_secret_copy_is_cleared_by_a_later_one_that_worked() {
    let mut app = loaded();
    update(&mut app, key('n'));
    typed(&mut app, "new");
    update(&mut app, code(KeyCode::Tab));
    update(&mut app, key('l')); // Full Access
    update(&mut app, code(KeyCode::Enter)); // review
    let cmds = update(&mut app, key('y')); // create
    for (req, op) in api_cmds(&cmds) {
        if let ApiOp::Mutate(Mutation::Create { name, .. }) = op {
            let created = CreatedKey {
                api_key: Secret::from_server(format!("SG.{}.{}", "N".repeat(22), "s".repeat(43))),
                api_key_id: ApiKeyId("N".repeat(22)),
                name,
                scopes: vec!["mail.send".into()],
            };
            update(
                &mut app,
                answer(req, ApiResult::Mutated(Done::ok(Effect::Created(created)))),
            );
        }
    }
    assert!(
        matches!(app.modal, Some(Modal::Secret(_))),
        "{:?}",
        app.modal
    );
    update(&mut app, key('c'));
    update(
        &mut app,
        Msg::Copied {
            what: Clip::Secret,
            result: Err("not copied: tmux's set-clipboard is 'off'".into()),
        },
    );
    assert_eq!(app.toast.as_ref().map(|t| t.level), Some(Level::Error));
    update(&mut app, key('c'));
    update(
        &mut app,
        Msg::Copied {
            what: Clip::Secret,
            result: Ok("copied into tmux's paste buffer".into()),
        },
    );
    let t = app.toast.clone().expect("a toast");
    assert_eq!(t.level, Level::Success, "{}", t.text);
    assert!(t.text.starts_with("secret copied"), "{}", t.text);
}

#[test]
fn the_secret_is_marked_copied_only_when_the_copy_went_out() {
    let mut app = loaded();
    app.modal = Some(Modal::Secret(SecretModal {
        id: id(0),
        name: "x".into(),
        key_type: KeyType::Custom,
        scope_count: 1,
        secret: Secret::parse(&format!("SG.{}.{}", "N".repeat(22), "s".repeat(43))).unwrap(),
        copied: false,
        confirm_close: false,
        rotated: None,
    }));
    let cmds = update(&mut app, key('c'));
    assert!(cmds.iter().any(|c| matches!(c, Command::Copy { .. })));
    assert!(
        matches!(&app.modal, Some(Modal::Secret(s)) if !s.copied),
        "not yet"
    );
    update(
        &mut app,
        Msg::Copied {
            what: Clip::Secret,
            result: Err("not copied: tmux says no".into()),
        },
    );
    assert!(matches!(&app.modal, Some(Modal::Secret(s)) if !s.copied));
    assert_eq!(app.toast.as_ref().map(|t| t.level), Some(Level::Error));
    update(
        &mut app,
        Msg::Copied {
            what: Clip::Secret,
            result: Ok("copied".into()),
        },
    );
    assert!(matches!(&app.modal, Some(Modal::Secret(s)) if s.copied));
}
