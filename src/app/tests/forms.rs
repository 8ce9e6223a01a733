//! The forms: rename, the scope editor (review, re-read before saving), create (presets, the secret shown once), diff and trim.

use super::*;

#[test]
fn rename_validates_then_patches() {
    let mut app = loaded();
    update(&mut app, key('r'));
    let Some(Modal::Rename(f)) = &app.modal else {
        panic!("no rename modal")
    };
    assert_eq!(f.input.value(), "ci deploy");
    update(&mut app, ctrl('u'));
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert!(api_cmds(&cmds).is_empty());
    assert!(
        matches!(&app.modal, Some(Modal::Rename(f)) if f.error.as_deref() == Some("a key needs a name"))
    );
    typed(&mut app, &"x".repeat(101));
    update(&mut app, code(KeyCode::Enter));
    assert!(
        matches!(&app.modal, Some(Modal::Rename(f)) if f.error.as_deref().is_some_and(|e| e.contains("too long")))
    );
    update(&mut app, ctrl('u'));
    typed(&mut app, "ci deploy (prod)");
    let cmds = update(&mut app, code(KeyCode::Enter));
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert_eq!(
        op,
        ApiOp::Mutate(Mutation::Rename {
            id: id(0),
            name: "ci deploy (prod)".into(),
            name_before: "ci deploy".into()
        })
    );
    // a failure keeps the form open with the reason
    update(
        &mut app,
        answer(
            req,
            ApiResult::Mutated(Done::err(ApiError::BadRequest(ErrorBody::default()))),
        ),
    );
    assert!(
        matches!(&app.modal, Some(Modal::Rename(f)) if f.error.is_some() && f.saving.is_none())
    );
    let cmds = update(&mut app, code(KeyCode::Enter));
    let (req, _) = api_cmds(&cmds)[0].clone();
    update(
        &mut app,
        answer(
            req,
            ApiResult::Mutated(Done::ok(Effect::Renamed(ApiKey {
                api_key_id: id(0),
                name: "ci deploy (prod)".into(),
            }))),
        ),
    );
    assert!(app.modal.is_none());
    assert_eq!(selected_name(&app), "ci deploy (prod)");
}

fn open_editor_and_add_alerts_read(app: &mut App) {
    update(app, key('e'));
    assert!(matches!(app.modal, Some(Modal::EditScopes(_))));
    assert_eq!(app.layer(), Layer::Scopes);
    // first row is Alerts: one step right = Read
    update(app, key('l'));
    let Some(Modal::EditScopes(f)) = &app.modal else {
        panic!()
    };
    assert!(f.dirty());
    assert_eq!(f.added(), vec!["alerts.read"]);
}

#[test]
fn scope_editor_reviews_rereads_then_puts() {
    let mut app = loaded();
    open_editor_and_add_alerts_read(&mut app);
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.layer(), Layer::ScopesReview);
    let cmds = update(&mut app, key('y'));
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert_eq!(op, ApiOp::GetKey(id(0)), "re-read before the PUT");
    assert_eq!(app.layer(), Layer::Busy);
    let cmds = update(&mut app, answer(req, ApiResult::Key(Ok(detail(0)))));
    let (req, op) = api_cmds(&cmds)[0].clone();
    let ApiOp::Mutate(Mutation::SetScopes {
        id: put_id,
        name,
        scopes,
        scopes_before,
    }) = op
    else {
        panic!("{op:?}")
    };
    assert_eq!((put_id, name.as_str()), (id(0), "ci deploy"));
    assert_eq!(
        scopes,
        vec!["alerts.read", "mail.send"],
        "no auto-assigned scope is sent"
    );
    assert_eq!(scopes_before, vec!["mail.send"]);
    let after = KeyDetail {
        api_key_id: id(0),
        name,
        scopes: vec![
            "alerts.read".into(),
            "mail.send".into(),
            "2fa_required".into(),
        ],
    };
    update(
        &mut app,
        answer(req, ApiResult::Mutated(Done::ok(Effect::Updated(after)))),
    );
    assert!(app.modal.is_none());
    assert_eq!(
        app.selected().and_then(|e| e.info()).map(|i| i.counted),
        Some(2)
    );
}

#[test]
fn scope_editor_detects_a_change_made_elsewhere() {
    let mut app = loaded();
    open_editor_and_add_alerts_read(&mut app);
    update(&mut app, code(KeyCode::Enter));
    let cmds = update(&mut app, key('y'));
    let (req, _) = api_cmds(&cmds)[0].clone();
    let mut changed = detail(0);
    changed.scopes.push("stats.read".into());
    let cmds = update(&mut app, answer(req, ApiResult::Key(Ok(changed.clone()))));
    assert!(
        api_cmds(&cmds).is_empty(),
        "nothing is overwritten silently"
    );
    assert_eq!(app.layer(), Layer::ScopesConflict);
    // overwrite on purpose: the PUT carries my set and records the server's as "before"
    let cmds = update(&mut app, key('o'));
    let (_, op) = api_cmds(&cmds)[0].clone();
    assert!(
        matches!(op, ApiOp::Mutate(Mutation::SetScopes { ref scopes_before, .. }) if scopes_before.contains(&"stats.read".to_owned()))
    );

    // or reload theirs
    let mut app = loaded();
    open_editor_and_add_alerts_read(&mut app);
    update(&mut app, code(KeyCode::Enter));
    let cmds = update(&mut app, key('y'));
    let (req, _) = api_cmds(&cmds)[0].clone();
    update(&mut app, answer(req, ApiResult::Key(Ok(changed))));
    update(&mut app, key('r'));
    let Some(Modal::EditScopes(f)) = &app.modal else {
        panic!()
    };
    assert!(!f.dirty() && f.original.contains("stats.read"));
}

#[test]
fn create_full_key_then_secret_shown_once() {
    let mut app = loaded();
    update(&mut app, key('n'));
    assert_eq!(app.layer(), Layer::CreateName);
    // Enter without a name: error, no request
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert!(api_cmds(&cmds).is_empty());
    typed(&mut app, "deploy bot");
    update(&mut app, code(KeyCode::Tab));
    assert_eq!(app.layer(), Layer::Create);
    // Custom with no scope is refused
    update(&mut app, code(KeyCode::Enter));
    assert!(matches!(&app.modal, Some(Modal::Create(f)) if f.error.is_some()));
    update(&mut app, key('l'));
    assert!(
        matches!(&app.modal, Some(Modal::Create(f)) if f.key_type == crate::scopes::KeyType::Full)
    );
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.layer(), Layer::CreateReview);
    let cmds = update(&mut app, key('y'));
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert_eq!(
        op,
        ApiOp::Mutate(Mutation::Create {
            name: "deploy bot".into(),
            scopes: None,
            replaces: None
        })
    );
    let secret = Secret::parse(&format!("SG.{}.{}", "N".repeat(22), "s".repeat(43))).unwrap();
    let created = CreatedKey {
        api_key: secret.clone(),
        api_key_id: ApiKeyId("N".repeat(22)),
        name: "deploy bot".into(),
        scopes: vec!["mail.send".into()],
    };
    update(
        &mut app,
        answer(req, ApiResult::Mutated(Done::ok(Effect::Created(created)))),
    );
    assert_eq!(app.layer(), Layer::Secret);
    assert_eq!(selected_name(&app), "deploy bot");
    // state dumps never show it
    assert!(!format!("{app:?}").contains(secret.expose()));
    // closing without copying asks first
    update(&mut app, code(KeyCode::Esc));
    assert!(matches!(&app.modal, Some(Modal::Secret(s)) if s.confirm_close));
    let cmds = update(&mut app, key('c'));
    assert_eq!(
        cmds,
        vec![Command::Copy {
            text: secret,
            what: Clip::Secret
        }]
    );
    update(&mut app, code(KeyCode::Esc));
    assert!(app.modal.is_none());
}

#[test]
fn a_billing_key_needs_a_caller_holding_billing_scopes() {
    let mut app = loaded(); // the fixture caller is a Full Access key: no billing scope
    update(&mut app, key('n'));
    typed(&mut app, "finance");
    update(&mut app, code(KeyCode::Tab));
    update(&mut app, key('h')); // Custom → Billing
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert!(api_cmds(&cmds).is_empty());
    assert!(
        matches!(&app.modal, Some(Modal::Create(f)) if f.error.as_deref().is_some_and(|e| e.contains("SendGrid's App")))
    );
}

#[test]
fn create_custom_from_preset() {
    let mut app = loaded();
    update(&mut app, key('n'));
    typed(&mut app, "mailer");
    update(&mut app, code(KeyCode::Tab));
    update(&mut app, code(KeyCode::Tab));
    update(&mut app, key('l')); // preset 0: Mail Send only
    update(&mut app, code(KeyCode::Enter));
    let cmds = update(&mut app, key('y'));
    let (_, op) = api_cmds(&cmds)[0].clone();
    assert_eq!(
        op,
        ApiOp::Mutate(Mutation::Create {
            name: "mailer".into(),
            scopes: Some(vec!["mail.send".into()]),
            replaces: None
        })
    );
}

#[test]
fn the_preset_cycle_passes_through_none_and_gives_back_the_scopes_picked_by_hand() {
    let mut app = loaded();
    update(&mut app, key('n'));
    typed(&mut app, "mailer");
    update(&mut app, code(KeyCode::Tab)); // type
    update(&mut app, code(KeyCode::Tab)); // preset
    update(&mut app, code(KeyCode::Tab)); // matrix: pick something by hand
    update(&mut app, key('l'));
    let form = |app: &App| match &app.modal {
        Some(Modal::Create(f)) => (f.preset, f.matrix.selected.clone()),
        _ => panic!("no create form"),
    };
    let (_, by_hand) = form(&app);
    assert!(!by_hand.is_empty());
    update(&mut app, code(KeyCode::BackTab)); // back to the preset
    let n = crate::presets::PRESETS.len();
    // ← from none: the last preset; → from it: none again, with the hand-picked scopes
    update(&mut app, key('h'));
    assert_eq!(form(&app).0, Some(n - 1));
    update(&mut app, key('l'));
    assert_eq!(form(&app), (None, by_hand.clone()));
    // → walks every preset, then none
    for i in 0..n {
        update(&mut app, key('l'));
        assert_eq!(form(&app).0, Some(i));
    }
    update(&mut app, key('l'));
    assert_eq!(form(&app), (None, by_hand));
}

#[test]
fn a_name_holding_an_api_key_is_refused_by_the_dashboard_too() {
    let mut app = loaded();
    update(&mut app, key('r'));
    update(&mut app, ctrl('u'));
    let key_text = format!("SG.{}.{}", "A".repeat(22), "b".repeat(43));
    typed(&mut app, &format!("backup {key_text}"));
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert!(api_cmds(&cmds).is_empty(), "nothing sent");
    assert!(
        matches!(&app.modal, Some(Modal::Rename(f)) if f.error.as_deref().is_some_and(|e| e.contains("contains an API key")))
    );
}

#[test]
fn diff_two_marked_keys_or_key_vs_preset() {
    let mut app = loaded();
    update(&mut app, key(' '));
    update(&mut app, key(' '));
    update(&mut app, key('='));
    let Some(Modal::Diff(d)) = &app.modal else {
        panic!("no diff")
    };
    assert_eq!(
        (d.left.clone(), d.right.clone()),
        (id(0), DiffRight::Key(id(1)))
    );
    let Some(Modal::Diff(d)) = &app.modal else {
        unreachable!()
    };
    let ((_, l), (_, r)) = diff_sides(&app, d).unwrap();
    let diff = crate::scopes::scope_diff("a", &l, "b", &r);
    assert_eq!(diff.only_right, vec!["marketing.read"]);
    // scrolling stops at the end
    for _ in 0..50 {
        update(&mut app, key('j'));
    }
    let Some(Modal::Diff(d)) = &app.modal else {
        panic!()
    };
    assert!(d.scroll < diff_line_count(&app, d), "scroll clamped");
    assert!(
        keymap::bindings_for(app.layer(), false).all(|b| b.action != Action::Right),
        "no preset keys for two keys"
    );
    update(&mut app, code(KeyCode::Esc));
    update(&mut app, code(KeyCode::Esc)); // clear marks
    // one key: against presets, ←/→ cycles
    update(&mut app, key('='));
    assert_eq!(app.layer(), Layer::DiffPreset);
    assert!(matches!(&app.modal, Some(Modal::Diff(d)) if d.right == DiffRight::Preset(0)));
    update(&mut app, key('l'));
    assert!(matches!(&app.modal, Some(Modal::Diff(d)) if d.right == DiffRight::Preset(1)));
    update(&mut app, key('h'));
    update(&mut app, key('h'));
    assert!(
        matches!(&app.modal, Some(Modal::Diff(d)) if d.right == DiffRight::Preset(crate::presets::PRESETS.len() - 1))
    );
    // three marks: refused
    update(&mut app, code(KeyCode::Esc));
    for _ in 0..3 {
        update(&mut app, key(' '));
    }
    update(&mut app, key('='));
    assert!(app.modal.is_none());
}

#[test]
fn trim_to_a_preset_previews_the_put_then_saves() {
    let mut app = loaded();
    update(&mut app, key('G')); // "test": alerts.read + api_keys.create + api_keys.read
    update(&mut app, key('p'));
    assert_eq!(app.layer(), Layer::Presets);
    update(&mut app, code(KeyCode::Enter)); // Mail Send only
    assert_eq!(app.layer(), Layer::ScopesReview);
    let Some(Modal::EditScopes(f)) = &app.modal else {
        panic!()
    };
    assert_eq!(f.preset, Some("Mail Send only"));
    let body = f.put_body();
    assert!(
        body.starts_with(&format!("PUT /v3/api_keys/{}", id(7))),
        "{body}"
    );
    assert!(
        body.contains("\"mail.send\"") && !body.contains("api_keys."),
        "{body}"
    );
    let cmds = update(&mut app, key('y'));
    assert_eq!(
        api_cmds(&cmds)[0].1,
        ApiOp::GetKey(id(7)),
        "re-read before the PUT"
    );
    // read-only: p is refused like every write key
    let mut ro = loaded();
    ro.ctx.read_only = true;
    update(&mut ro, key('p'));
    assert!(ro.modal.is_none());
}
