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

/// A new key's secret on screen, not copied yet.
fn secret_shown() -> Modal {
    Modal::Secret(SecretModal {
        id: id(0),
        name: "x".into(),
        key_type: KeyType::Custom,
        scope_count: 1,
        secret: Secret::parse(&format!("SG.{}.{}", "N".repeat(22), "s".repeat(43))).unwrap(),
        copied: false,
        confirm_close: false,
        rotated: None,
    })
}

#[test]
fn the_secret_is_marked_copied_only_when_the_copy_went_out() {
    let mut app = loaded();
    app.modal = Some(secret_shown());
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

#[test]
fn a_key_that_does_nothing_while_an_error_shows_is_said_on_the_hint_line() {
    let mut app = loaded();
    app.modal = Some(secret_shown());
    update(&mut app, key('c'));
    update(
        &mut app,
        Msg::Copied {
            what: Clip::Secret,
            result: Err("not copied: tmux says no".into()),
        },
    );
    let error = app.toast.clone().expect("the copy error");
    assert_eq!(error.level, Level::Error);
    // q does nothing in the secret dialog: the error stays, and the q is said beside it
    update(&mut app, key('q'));
    assert_eq!(
        app.toast.as_ref(),
        Some(&error),
        "the error is not replaced"
    );
    let aside = app.aside.clone().expect("the q is said");
    assert!(aside.text.contains("no action for q"), "{}", aside.text);
    assert!(app.wants_tick(), "it goes by itself");
    let later = app.now_ms + TOAST_MS + 1;
    update(&mut app, Msg::Tick(later));
    assert!(app.aside.is_none());
    assert_eq!(
        app.toast.as_ref(),
        Some(&error),
        "errors stay until dismissed"
    );
}
