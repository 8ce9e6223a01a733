//! `R` and `J`: rotations (now, later, many), pending-rotation badges, the journal view.

use super::*;

// ---------------------------------------------------------------- rotate and the journal view

/// 2026-11-28 09:30:00 UTC.
const ROTATE_DAY_MS: u64 = 1_795_858_200_000;

/// `R` on "marketing" (id 1), Enter, the replacement created, its secret copied and closed:
/// the app is on the deployed? question.
fn rotated_marketing() -> App {
    let mut app = loaded();
    app.clock.start_unix_ms = ROTATE_DAY_MS;
    update(&mut app, key('j'));
    assert_eq!(selected_name(&app), "marketing");
    update(&mut app, key('R'));
    assert_eq!(app.layer(), Layer::RotateName);
    let Some(Modal::Rotate(f)) = &app.modal else {
        panic!("no rotate form");
    };
    assert_eq!(f.name.value(), "marketing (rotated 2026-11-28)");
    let cmds = update(&mut app, code(KeyCode::Enter));
    let (req, op) = api_cmds(&cmds)[0].clone();
    let ApiOp::Mutate(Mutation::Rotate { old, name, scopes }) = op else {
        panic!("not a rotate: {op:?}");
    };
    assert_eq!(old, id(1));
    assert_eq!(name, "marketing (rotated 2026-11-28)");
    assert_eq!(
        scopes.iter().collect::<BTreeSet<_>>(),
        scopes_for(1).iter().collect::<BTreeSet<_>>()
    );
    assert_eq!(app.layer(), Layer::Busy);
    let created = CreatedKey {
        api_key: new_key_secret(),
        api_key_id: new_key_id(),
        name: name.clone(),
        scopes,
    };
    let mut done = Done::ok(Effect::Created(created));
    done.entry = Some(Box::new(rotation_entry()));
    let cmds = update(&mut app, answer(req, ApiResult::Mutated(done)));
    // the journal is re-read (a rotation was made)
    assert!(
        api_cmds(&cmds)
            .iter()
            .any(|(_, op)| *op == ApiOp::ReadJournal)
    );
    assert_eq!(app.layer(), Layer::Secret);
    assert!(app.keys.get(&new_key_id()).is_some());
    assert!(app.keys.get(&id(1)).is_some(), "the old key stays");
    let cmds = update(&mut app, key('c'));
    assert_eq!(
        cmds,
        vec![Command::Copy {
            text: new_key_secret(),
            what: Clip::Secret
        }]
    );
    update(
        &mut app,
        Msg::Copied {
            what: Clip::Secret,
            result: Ok("copied".into()),
        },
    );
    let cmds = update(&mut app, code(KeyCode::Esc));
    // the secret reached the person: journaled as delivered, as the CLI does for its file
    assert!(
        api_cmds(&cmds).iter().any(|(_, op)| matches!(
            op,
            ApiOp::RecordDelivery { entry, delivered: true } if entry.replaces == Some(id(1).0)
        )),
        "{cmds:?}"
    );
    assert_eq!(app.layer(), Layer::Deployed);
    app
}

fn journal_req(app: &App) -> Option<ReqId> {
    app.pending
        .iter()
        .find(|(_, p)| **p == Pending::Journal)
        .map(|(r, _)| *r)
}

#[test]
fn rotate_now_revokes_the_old_key_and_reads_it_back_gone() {
    let mut app = rotated_marketing();
    // Cancel ("Later") is focused: Enter would not revoke; y does
    assert!(matches!(&app.modal, Some(Modal::Deployed(d)) if !d.confirm.focus_yes));
    let cmds = update(&mut app, key('y'));
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert!(matches!(op, ApiOp::Mutate(Mutation::Revoke { id: ref i, .. }) if *i == id(1)));
    assert!(app.keys.get(&id(1)).unwrap().state.is_revoking());
    let cmds = update(
        &mut app,
        answer(req, ApiResult::Mutated(Done::ok(Effect::Revoked))),
    );
    let sent = api_cmds(&cmds);
    let (vreq, _) = sent
        .iter()
        .find(|(_, op)| matches!(op, ApiOp::ReadBack(s) if s.id == id(1)))
        .cloned()
        .expect("the old key is read back (and the answer journaled)");
    assert!(app.keys.get(&id(1)).is_none());
    update(
        &mut app,
        answer(
            vreq,
            ApiResult::ReadBack(crate::ops::rotate::ReadBack {
                gone: Some(true),
                error: None,
                journal_error: None,
            }),
        ),
    );
    let t = app.toast.clone().unwrap();
    assert_eq!(t.level, Level::Success);
    assert!(t.text.contains("revoked, verified gone"), "{}", t.text);
    assert!(app.keys.get(&new_key_id()).is_some());
}

#[test]
fn rotate_later_keeps_both_and_the_journal_shows_the_badge_until_finished() {
    let mut app = rotated_marketing();
    let cmds = update(&mut app, key('l'));
    assert!(
        !api_cmds(&cmds)
            .iter()
            .any(|(_, op)| matches!(op, ApiOp::Mutate(_))),
        "later revokes nothing"
    );
    assert!(app.modal.is_none());
    assert!(app.keys.get(&id(1)).is_some() && app.keys.get(&new_key_id()).is_some());
    // the journal read (asked for after the rotation) brings the pending rotation
    let req = journal_req(&app).expect("journal read pending");
    let entries = vec![
        jentry(crate::journal::Action::Create, &id(5).0, None, "stats"),
        rotation_entry(),
    ];
    update(&mut app, answer(req, ApiResult::Journal(Ok(entries))));
    assert!(app.pending_rotation(&id(1)).is_some());
    assert!(app.pending_rotation(&new_key_id()).is_none());

    // J: newest first; Enter shows it; f asks (Cancel focused); y revokes the old key
    let cmds = update(&mut app, key('J'));
    assert_eq!(app.layer(), Layer::Journal);
    let req = api_cmds(&cmds)[0].0;
    update(
        &mut app,
        answer(
            req,
            ApiResult::Journal(Ok(vec![
                jentry(crate::journal::Action::Create, &id(5).0, None, "stats"),
                rotation_entry(),
            ])),
        ),
    );
    let Some(Modal::Journal(v)) = &app.modal else {
        panic!("no journal view");
    };
    let rows = journal::journal_rows(&app, v);
    assert_eq!(rows, vec![1, 0], "newest first");
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.layer(), Layer::JournalDetail);
    update(&mut app, key('f'));
    assert_eq!(app.layer(), Layer::JournalConfirm);
    // Enter on the focused Cancel: nothing
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert!(api_cmds(&cmds).is_empty());
    assert_eq!(app.layer(), Layer::JournalDetail);
    update(&mut app, key('f'));
    let cmds = update(&mut app, key('y'));
    assert!(app.modal.is_none());
    let cmds = finish_answered(&mut app, &cmds);
    let sent = api_cmds(&cmds);
    assert!(
        sent.iter()
            .any(|(_, op)| matches!(op, ApiOp::ReadBack(s) if s.id == id(1)))
    );
    assert!(sent.iter().any(|(_, op)| *op == ApiOp::ReadJournal));
}

/// Finishing marketing's rotation (`cmds`: what the finish sent): the replacement is read
/// back first, found; then the old key is revoked. Returns what the revoke's answer caused.
fn finish_answered(app: &mut App, cmds: &[Command]) -> Vec<Command> {
    let (req, op) = api_cmds(cmds)[0].clone();
    assert_eq!(op, ApiOp::GetKey(new_key_id()));
    let cmds = update(app, answer(req, ApiResult::Key(Ok(detail(1)))));
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert!(matches!(op, ApiOp::Mutate(Mutation::Revoke { id: ref i, .. }) if *i == id(1)));
    update(
        app,
        answer(req, ApiResult::Mutated(Done::ok(Effect::Revoked))),
    )
}

/// "marketing" (id 1) in a pending rotation, as the journal says; the cursor on it.
fn pending_marketing() -> App {
    let mut app = loaded();
    update(&mut app, key('j'));
    assert_eq!(selected_name(&app), "marketing");
    // Ctrl-r: the list, then the journal (a rotation the CLI recorded meanwhile)
    let cmds = update(&mut app, ctrl('r'));
    let (req, _) = api_cmds(&cmds)
        .into_iter()
        .find(|(_, op)| *op == ApiOp::ListKeys)
        .unwrap();
    let cmds = update(&mut app, answer(req, ApiResult::Keys(Ok(keys()))));
    let req = api_cmds(&cmds)
        .into_iter()
        .find(|(_, op)| *op == ApiOp::ReadJournal)
        .expect("a refresh reads the journal again")
        .0;
    update(
        &mut app,
        answer(req, ApiResult::Journal(Ok(vec![rotation_entry()]))),
    );
    assert!(app.pending_rotation(&id(1)).is_some());
    app
}

#[test]
fn a_pending_rotation_is_a_state_of_its_row() {
    let mut app = pending_marketing();
    let line = crate::app::rotate::pending_line(&app, &id(1)).unwrap();
    assert!(
        line.contains(new_key_id().as_str()) && line.contains("f finishes"),
        "{line}"
    );
    // R offers to finish or cancel it, not a second replacement
    let cmds = update(&mut app, key('R'));
    assert!(api_cmds(&cmds).is_empty());
    assert!(
        matches!(&app.modal, Some(Modal::Deployed(d)) if d.rotation.stage == crate::ops::Stage::Pending)
    );
    // c: cancel = revoke the replacement (through the revoke confirmation), keep the old key
    update(&mut app, key('c'));
    let Some(Modal::ConfirmDelete(c)) = &app.modal else {
        panic!("no confirmation: {:?}", app.modal);
    };
    assert_eq!(c.targets.len(), 1);
    assert_eq!(c.targets[0].id, new_key_id());
    update(&mut app, code(KeyCode::Esc));
    // f on the row finishes it: the replacement read back, then the old key revoked
    let cmds = update(&mut app, key('f'));
    let cmds = finish_answered(&mut app, &cmds);
    assert!(
        api_cmds(&cmds)
            .iter()
            .any(|(_, op)| matches!(op, ApiOp::ReadBack(s) if s.id == id(1)))
    );
    // f where nothing is pending: said
    let cmds = update(&mut app, key('f'));
    assert!(api_cmds(&cmds).is_empty());
    assert!(
        app.toast
            .clone()
            .unwrap()
            .text
            .contains("no pending rotation")
    );
}

#[test]
fn rotate_whose_revoke_fails_keeps_the_new_key_and_says_so_plainly() {
    let mut app = rotated_marketing();
    let cmds = update(&mut app, key('y'));
    let (req, _) = api_cmds(&cmds)[0].clone();
    let cmds = update(
        &mut app,
        answer(req, ApiResult::Mutated(Done::err(common_server_error()))),
    );
    assert!(
        !api_cmds(&cmds)
            .iter()
            .any(|(_, op)| matches!(op, ApiOp::GetKey(_))),
        "nothing to verify"
    );
    let t = app.toast.clone().unwrap();
    assert_eq!(t.level, Level::Error);
    assert!(t.text.contains("the new key is kept"), "{}", t.text);
    assert!(t.text.contains("'marketing'"), "{}", t.text);
    let old = app.keys.get(&id(1)).unwrap();
    assert!(!old.state.is_revoking() && old.info().is_some());
    assert!(app.keys.get(&new_key_id()).is_some());
    assert!(app.rotations.active.is_empty());
}

#[test]
fn rotate_needs_the_scopes_and_a_valid_name() {
    let mut app = loaded();
    update(&mut app, key('j'));
    update(&mut app, key('R'));
    // the name can be edited; an empty one is refused without a request
    for _ in 0..60 {
        update(&mut app, code(KeyCode::Backspace));
    }
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert!(api_cmds(&cmds).is_empty());
    assert!(matches!(&app.modal, Some(Modal::Rotate(f)) if f.error.is_some()));
    update(&mut app, code(KeyCode::Esc));
    assert!(app.modal.is_none());
    // read-only: refused with a reason
    app.ctx.read_only = true;
    update(&mut app, key('R'));
    assert!(app.modal.is_none());
}

#[test]
fn journal_view_filters_toggles_contexts_and_acts_only_where_the_entry_was_made() {
    let mut app = loaded();
    let mut revoked = jentry(crate::journal::Action::Revoke, &id(9).0, None, "old ci");
    revoked.scopes_before = Some(vec!["mail.send".into()]);
    revoked.time = "2026-11-28T10:00:00Z".into();
    let mut intent = jentry(crate::journal::Action::Rename, &id(2).0, None, "hooks");
    intent.outcome = None;
    intent.phase = Some(crate::journal::Phase::Intent);
    let mut elsewhere = jentry(
        crate::journal::Action::Revoke,
        &id(7).0,
        Some("acme-eu"),
        "eu key",
    );
    elsewhere.scopes_before = Some(vec!["stats.read".into()]);
    let entries = vec![intent, elsewhere, revoked];
    let cmds = typed(&mut app, ":journal");
    settle(&mut app, cmds);
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.layer(), Layer::Journal);
    let req = api_cmds(&cmds)[0].0;
    update(&mut app, answer(req, ApiResult::Journal(Ok(entries))));
    let rows = |app: &App| match &app.modal {
        Some(Modal::Journal(v)) => journal::journal_rows(app, v),
        _ => panic!("no journal view"),
    };
    // this endpoint and account only, newest first
    assert_eq!(rows(&app), vec![2, 0]);
    assert_eq!(
        journal::outcome_label(&app.journal.value().unwrap()[0]),
        "UNKNOWN"
    );
    update(&mut app, key('a'));
    assert_eq!(rows(&app), vec![2, 1, 0]);
    typed(&mut app, "/eu");
    assert_eq!(app.layer(), Layer::JournalFilter);
    assert_eq!(rows(&app), vec![1]);
    update(&mut app, code(KeyCode::Enter));
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.layer(), Layer::JournalDetail);
    // made in another context: said, not done
    let cmds = update(&mut app, key('r'));
    assert!(api_cmds(&cmds).is_empty());
    assert!(
        matches!(&app.modal, Some(Modal::Journal(v)) if v.message.as_deref().is_some_and(|m| m.contains("acme-eu")))
    );
    // back, clear the filter, this context: recreate the revoked key through the confirm
    update(&mut app, code(KeyCode::Esc));
    update(&mut app, key('/'));
    update(&mut app, code(KeyCode::Esc));
    update(&mut app, key('a'));
    assert_eq!(rows(&app), vec![2, 0]);
    update(&mut app, code(KeyCode::Enter));
    let cmds = update(&mut app, key('f'));
    assert!(api_cmds(&cmds).is_empty(), "not a pending rotation");
    update(&mut app, key('r'));
    assert_eq!(app.layer(), Layer::JournalConfirm);
    update(&mut app, code(KeyCode::Tab));
    let cmds = update(&mut app, code(KeyCode::Enter));
    let (_, op) = api_cmds(&cmds)[0].clone();
    assert_eq!(
        op,
        ApiOp::Mutate(Mutation::Create {
            name: "old ci".into(),
            scopes: Some(vec!["mail.send".into()]),
            replaces: Some(id(9)),
        })
    );
    assert!(app.modal.is_none());
}

#[test]
fn clock_dates_and_journal_stamps() {
    let c = Clock {
        start_unix_ms: ROTATE_DAY_MS,
        utc_offset_s: 3600,
    };
    assert_eq!(c.date(0), "2026-11-28");
    assert_eq!(c.date(15 * 3_600_000), "2026-11-29");
    assert_eq!(c.local_stamp("2026-11-28T23:30:05Z"), "11-29 00:30:05");
    assert_eq!(Clock::default().date(0), "1970-01-01");
    assert_eq!(c.local_stamp("garbage"), "garbage");
}

#[test]
fn rotate_many_shows_each_secret_then_one_typed_confirmation_revokes_the_old_keys_own_last() {
    let mut app = loaded();
    // mark the key in use (id 0) and the next two
    typed(&mut app, "   ");
    assert_eq!(app.view.marks.len(), 3);
    update(&mut app, key('R'));
    let Some(Modal::Rotate(f)) = &app.modal else {
        panic!("no rotate form");
    };
    assert_eq!(f.many.len(), 3);
    // typing does not go anywhere: the names are the lineage names
    typed(&mut app, "x");
    let cmds = update(&mut app, code(KeyCode::Enter));
    let sent = api_cmds(&cmds);
    assert_eq!(sent.len(), 3);
    assert!(app.modal.is_none());
    for (n, (req, op)) in sent.into_iter().enumerate() {
        let ApiOp::Mutate(Mutation::Rotate { name, scopes, .. }) = op else {
            panic!("not a rotate: {op:?}");
        };
        assert!(name.ends_with("(rotated 1970-01-01)"), "{name}");
        let new_id = format!("{}{n}", "R".repeat(21));
        let created = CreatedKey {
            api_key: Secret::parse(&format!("SG.{new_id}.{}", "s".repeat(43))).unwrap(),
            api_key_id: ApiKeyId(new_id),
            name,
            scopes,
        };
        update(
            &mut app,
            answer(req, ApiResult::Mutated(Done::ok(Effect::Created(created)))),
        );
        // the first secret is on screen; the others wait
        assert!(matches!(&app.modal, Some(Modal::Secret(s)) if s.id.0.ends_with('0')));
    }
    // each secret once, closed uncopied (asked twice)
    for n in 0..3 {
        assert!(
            matches!(&app.modal, Some(Modal::Secret(s)) if s.id.0.ends_with(&n.to_string())),
            "secret {n}"
        );
        update(&mut app, code(KeyCode::Esc));
        update(&mut app, code(KeyCode::Esc));
    }
    // one confirmation for the old keys: the count typed, the key in use last
    arm(&mut app);
    let Some(Modal::ConfirmDelete(c)) = &app.modal else {
        panic!("no revoke confirmation: {:?}", app.modal);
    };
    assert_eq!(c.targets.len(), 3);
    assert!(c.targets.iter().any(|t| t.own && t.id == id(0)));
    let cmds = update(&mut app, key('y'));
    assert!(api_cmds(&cmds).is_empty(), "the count must be typed");
    typed(&mut app, "3");
    let cmds = update(&mut app, key('y'));
    let sent = api_cmds(&cmds);
    assert_eq!(sent.len(), 2, "the key in use is held back");
    let mut own_sent = Vec::new();
    for (req, _) in sent {
        let cmds = update(
            &mut app,
            answer(req, ApiResult::Mutated(Done::ok(Effect::Revoked))),
        );
        own_sent.extend(api_cmds(&cmds).into_iter().filter(
            |(_, op)| matches!(op, ApiOp::Mutate(Mutation::Revoke { id: i, .. }) if *i == id(0)),
        ));
        assert!(
            api_cmds(&cmds)
                .iter()
                .any(|(_, op)| matches!(op, ApiOp::ReadBack(_))),
            "each old key is read back"
        );
    }
    assert_eq!(own_sent.len(), 1, "the key in use goes last");
    assert!(
        app.keys
            .get(&ApiKeyId(format!("{}0", "R".repeat(21))))
            .is_some()
    );
}
