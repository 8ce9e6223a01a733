//! The quit question and the forms' "discard changes?": the one confirm (Stay / Keep editing
//! focused, armed for `ARM_MS`), answered with y, n, Esc, Enter on either button.

use super::*;

/// A revoke in flight (so `q` asks first).
fn sending() -> App {
    let mut app = loaded();
    revoke_selected(&mut app);
    assert_eq!(app.pending_mutations(), 1);
    app
}

fn question(app: &App) -> &Confirm {
    app.open_confirm().expect("a question is open")
}

fn quits(cmds: &[Command]) -> bool {
    cmds.contains(&Command::Quit)
}

#[test]
fn quit_asks_with_stay_focused_and_answers_y_only_once_armed() {
    let mut app = sending();
    let cmds = update(&mut app, key('q'));
    assert!(!quits(&cmds));
    assert_eq!(app.layer(), Layer::ConfirmQuit);
    let c = question(&app);
    assert_eq!(c.buttons, ["Stay", "Quit"]);
    assert!(!c.focus_yes, "the safe button has the focus");
    assert!(
        c.body
            .iter()
            .any(|(_, t)| t.contains("1 change is still being sent"))
    );
    // `q` `y` typed as one gesture: the y is said, not acted on
    let cmds = update(&mut app, key('y'));
    assert!(!quits(&cmds) && !app.should_quit);
    assert_eq!(app.layer(), Layer::ConfirmQuit);
    assert_eq!(question(&app).ignored, ["y"]);
    assert!(app.arming_until().is_some());
    let y = keymap::resolve(
        Layer::ConfirmQuit,
        &KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE),
    )
    .expect("y is bound");
    assert!(
        !keymap::available(&app, y),
        "the hint line does not offer y yet"
    );
    arm(&mut app);
    assert!(app.arming_until().is_none() && keymap::available(&app, y));
    let cmds = update(&mut app, key('y'));
    assert!(quits(&cmds) && app.should_quit);
}

#[test]
fn quit_refused_with_esc_or_n_at_once_and_enter_on_stay() {
    let mut app = sending();
    update(&mut app, key('q'));
    // the refusing keys count while the question arms
    let cmds = update(&mut app, code(KeyCode::Esc));
    assert!(!quits(&cmds) && app.modal.is_none() && !app.should_quit);
    update(&mut app, key('q'));
    let cmds = update(&mut app, key('n'));
    assert!(!quits(&cmds) && app.modal.is_none());
    // Enter presses the focused button: Stay
    update(&mut app, key('q'));
    arm(&mut app);
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert!(!quits(&cmds) && app.modal.is_none() && !app.should_quit);
    // Tab moves to Quit, Enter presses it
    update(&mut app, key('q'));
    arm(&mut app);
    update(&mut app, code(KeyCode::Tab));
    assert!(question(&app).focus_yes);
    update(&mut app, code(KeyCode::Left));
    assert!(!question(&app).focus_yes, "← switches back");
    update(&mut app, code(KeyCode::Right));
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert!(quits(&cmds) && app.should_quit);
}

#[test]
fn a_key_the_quit_question_does_not_have_is_said() {
    let mut app = sending();
    update(&mut app, key('q'));
    arm(&mut app);
    update(&mut app, key('x'));
    assert_eq!(app.layer(), Layer::ConfirmQuit);
    let said = app
        .toast
        .as_ref()
        .map(|t| t.text.clone())
        .unwrap_or_default();
    assert!(said.contains('x'), "{said}");
    // Ctrl-C still quits at once
    let cmds = update(&mut app, ctrl('c'));
    assert!(quits(&cmds));
}

/// Esc on a dirty form (the scope editor with Alerts → Read): its discard question.
fn discard_asked(app: &mut App) {
    update(app, key('e'));
    update(app, key('l'));
    update(app, code(KeyCode::Esc));
    assert_eq!(app.layer(), Layer::Discard);
}

fn editor_dirty(app: &App) -> bool {
    matches!(&app.modal, Some(Modal::EditScopes(f)) if f.stage == ScopeStage::Editing && f.dirty())
}

#[test]
fn discard_asks_with_keep_editing_focused_and_answers_y_only_once_armed() {
    let mut app = loaded();
    discard_asked(&mut app);
    let c = question(&app);
    assert_eq!(
        (c.title.as_str(), c.buttons),
        ("Discard changes?", ["Keep editing", "Discard"])
    );
    assert!(!c.focus_yes);
    // Esc y typed as one gesture discards nothing, and says so
    update(&mut app, key('y'));
    assert_eq!(app.layer(), Layer::Discard);
    assert_eq!(question(&app).ignored, ["y"]);
    arm(&mut app);
    update(&mut app, key('y'));
    assert!(app.modal.is_none(), "discarded");
}

#[test]
fn discard_refused_keeps_the_edits() {
    let mut app = loaded();
    discard_asked(&mut app);
    // Esc and n count at once: back to the form, the change still there
    update(&mut app, code(KeyCode::Esc));
    assert!(editor_dirty(&app));
    update(&mut app, code(KeyCode::Esc));
    update(&mut app, key('n'));
    assert!(editor_dirty(&app));
    // Enter on the focused Keep editing
    update(&mut app, code(KeyCode::Esc));
    arm(&mut app);
    update(&mut app, code(KeyCode::Enter));
    assert!(editor_dirty(&app));
    // Tab to Discard, Enter
    update(&mut app, code(KeyCode::Esc));
    arm(&mut app);
    update(&mut app, code(KeyCode::BackTab));
    update(&mut app, code(KeyCode::Enter));
    assert!(app.modal.is_none());
    // a clean form closes at once
    update(&mut app, key('e'));
    update(&mut app, code(KeyCode::Esc));
    assert!(app.modal.is_none());
}

#[test]
fn the_create_form_asks_the_same_question() {
    let mut app = loaded();
    update(&mut app, key('n'));
    typed(&mut app, "half done");
    update(&mut app, code(KeyCode::Esc));
    assert_eq!(app.layer(), Layer::Discard);
    assert_eq!(question(&app).buttons, ["Keep editing", "Discard"]);
    update(&mut app, key('y'));
    assert_eq!(app.layer(), Layer::Discard, "too soon");
    update(&mut app, key('n'));
    assert!(matches!(&app.modal, Some(Modal::Create(f))
        if f.stage == CreateStage::Editing && f.name.value() == "half done"));
    assert_eq!(app.layer(), Layer::CreateName, "back in the field it left");
    update(&mut app, code(KeyCode::Esc));
    arm(&mut app);
    update(&mut app, key('y'));
    assert!(app.modal.is_none());
}

#[test]
fn the_quit_question_follows_the_change_it_waits_for() {
    let mut app = loaded();
    let req = revoke_selected(&mut app);
    update(&mut app, key('q'));
    let said = |app: &App| -> String {
        question(app)
            .body
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(
        said(&app).contains("1 change is still being sent"),
        "{}",
        said(&app)
    );
    // the revoke is answered while the question is open: it no longer says it is being sent
    update(
        &mut app,
        answer(req, ApiResult::Mutated(Done::ok(Effect::Revoked))),
    );
    assert_eq!(app.pending_mutations(), 0);
    assert_eq!(
        app.layer(),
        Layer::ConfirmQuit,
        "still asked: the user decides"
    );
    assert!(!said(&app).contains("still being sent"), "{}", said(&app));
    assert!(
        said(&app).contains("nothing is lost by quitting now"),
        "{}",
        said(&app)
    );
    arm(&mut app);
    assert!(quits(&update(&mut app, key('y'))));
}
