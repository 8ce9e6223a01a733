//! `m` and `a`: the permission matrix and the all-contexts matrix.

use super::*;

// ---------------------------------------------------------------- the permission matrix

fn api_keys_col() -> usize {
    crate::scopes::categories()
        .iter()
        .position(|c| c.id == "api_keys")
        .unwrap()
}

#[test]
fn matrix_opens_moves_across_columns_and_scrolls_them_and_goes_back() {
    let mut app = loaded();
    update(&mut app, key('j'));
    update(&mut app, key('j'));
    let before = selected_name(&app);
    update(&mut app, key('m'));
    assert_eq!(app.layer(), Layer::Matrix);
    assert_eq!(
        selected_name(&app),
        before,
        "the list's selection carries over"
    );
    for _ in 0..3 {
        update(&mut app, key('l'));
    }
    assert_eq!(app.matrix.as_ref().unwrap().col, 3);
    update(&mut app, code(KeyCode::Left));
    assert_eq!(app.matrix.as_ref().unwrap().col, 2);
    // the last column: scrolled so that it is on screen
    update(&mut app, key('$'));
    let n = crate::scopes::categories().len();
    let cols = layout::matrix_geom(120, false).cols;
    let m = app.matrix.as_ref().unwrap();
    assert_eq!(m.col, n - 1);
    assert_eq!(m.col_offset, n - cols, "scrolled right just enough");
    update(&mut app, key('0'));
    assert_eq!(app.matrix.as_ref().unwrap().col_offset, 0);
    // rows move as in the list
    update(&mut app, key('j'));
    assert_ne!(selected_name(&app), before);
    update(&mut app, key('m'));
    assert_eq!(app.layer(), Layer::List);
    assert!(app.matrix.is_none());
    // `:matrix` opens it too; Esc with nothing to clear closes it
    update(&mut app, key(':'));
    typed(&mut app, "matrix");
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.layer(), Layer::Matrix);
    update(&mut app, code(KeyCode::Esc));
    assert_eq!(app.layer(), Layer::List);
}

#[test]
fn matrix_sorts_by_the_focused_column_most_access_first_then_reversed() {
    let mut app = loaded();
    update(&mut app, key('m'));
    for _ in 0..api_keys_col() {
        update(&mut app, key('l'));
    }
    update(&mut app, key('s'));
    assert_eq!(app.view.sort, SortKey::Level(api_keys_col() as u8));
    assert!(!app.view.reverse);
    let order: Vec<String> = app
        .view
        .rows
        .iter()
        .map(|i| app.keys.entries[*i].name.clone())
        .collect();
    // Full (legacy full), then Partial (test: create + read of four), then the rest
    assert_eq!(order[0], "legacy full");
    assert_eq!(order[1], "test");
    assert!(app.toast.as_ref().unwrap().text.contains("API Keys"));
    update(&mut app, key('s'));
    assert!(app.view.reverse, "s again reverses");
    let last = app.view.rows.last().unwrap();
    assert_eq!(app.keys.entries[*last].name, "legacy full");
    // the list's own `s` cycle goes on from a category sort
    update(&mut app, key('m'));
    update(&mut app, key('s'));
    assert_eq!(app.view.sort, SortKey::Api);
}

#[test]
fn matrix_enter_shows_the_scopes_behind_a_cell() {
    let mut app = loaded();
    update(&mut app, key('m'));
    for _ in 0..api_keys_col() {
        update(&mut app, key('l'));
    }
    // `test` holds api_keys.create and api_keys.read: Partial
    while selected_name(&app) != "test" {
        update(&mut app, key('j'));
    }
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.layer(), Layer::Cell);
    let Some(Modal::Cell(c)) = &app.modal else {
        panic!("no cell dialog")
    };
    assert_eq!(c.category.id, "api_keys");
    assert_eq!(c.level, Some(crate::scopes::Level::Partial));
    assert_eq!(c.held, vec!["api_keys.create", "api_keys.read"]);
    update(&mut app, code(KeyCode::Esc));
    assert_eq!(app.layer(), Layer::Matrix);
}

#[test]
fn matrix_marks_filter_and_revoke_act_on_the_rows_key() {
    let mut app = loaded();
    update(&mut app, key('m'));
    update(&mut app, key('/'));
    typed(&mut app, "stats");
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.layer(), Layer::Matrix);
    assert_eq!(app.matrix_cursor().0, 1);
    update(&mut app, key(' '));
    assert!(app.view.marks.contains(&id(5)));
    update(&mut app, key('d'));
    arm(&mut app);
    let Some(Modal::ConfirmDelete(c)) = &app.modal else {
        panic!("no confirm dialog: {:?}", app.modal)
    };
    assert_eq!(c.targets.len(), 1);
    assert_eq!(c.targets[0].id, id(5));
    update(&mut app, code(KeyCode::Esc));
    // e opens the scope editor on the same key
    update(&mut app, key('e'));
    assert!(matches!(&app.modal, Some(Modal::EditScopes(f)) if f.id == id(5)));
}

/// `a` in the matrix, the inventory holding no interrupted sweep: the commands that follow.
fn all_contexts(app: &mut App) -> Vec<Command> {
    let cmds = update(app, key('a'));
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert_eq!(op, ApiOp::SweepStart { fresh: false });
    update(app, answer(req, ApiResult::SweepStarted(Ok(None))))
}

/// The sweep's list reads among `cmds`.
fn sweep_lists(cmds: &[Command]) -> Vec<(ReqId, ApiOp)> {
    api_cmds(cmds)
        .into_iter()
        .filter(|(_, op)| *op == ApiOp::SweepListKeys)
        .collect()
}

fn sub_key(n: usize) -> ApiKey {
    ApiKey {
        api_key_id: ApiKeyId(format!("s{n:020}b")),
        name: format!("eu key {n}"),
    }
}

#[test]
fn matrix_all_contexts_reads_every_subuser_and_acts_in_the_rows_context() {
    let mut app = loaded();
    update(&mut app, key('m'));
    let cmds = all_contexts(&mut app);
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert_eq!(op, ApiOp::ListSubusers);
    let sub = Subuser {
        id: 1001,
        username: "acme-eu".into(),
        email: "eu@acme.test".into(),
        disabled: false,
        region: Some(crate::api::Region::Eu),
    };
    let cmds = update(&mut app, answer(req, ApiResult::Subusers(Ok(vec![sub]))));
    // the subuser's list, in its context and region
    let lists: Vec<&Command> = cmds
        .iter()
        .filter(|c| {
            matches!(
                c,
                Command::Api {
                    op: ApiOp::SweepListKeys,
                    ..
                }
            )
        })
        .collect();
    assert_eq!(lists.len(), 1);
    let Command::Api {
        req, ctx, region, ..
    } = lists[0]
    else {
        unreachable!()
    };
    assert_eq!(ctx, &Some(OnBehalfOf::Subuser("acme-eu".into())));
    assert_eq!(region, &Some(crate::api::Region::Eu));
    let cmds = update(
        &mut app,
        answer(*req, ApiResult::Keys(Ok(vec![sub_key(1), sub_key(2)]))),
    );
    let gets = api_cmds(&cmds);
    assert_eq!(gets.len(), 2, "every key's scopes");
    let mut ended = Vec::new();
    for (req, op) in gets {
        let ApiOp::SweepGetKey(k) = op else { panic!() };
        let name = app
            .sweep()
            .unwrap()
            .contexts
            .iter()
            .flat_map(|c| c.keys.entries.iter())
            .find(|e| e.id == k)
            .unwrap()
            .name
            .clone();
        let detail = KeyDetail {
            api_key_id: k,
            name,
            scopes: crate::scopes::full_access_scopes()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        };
        ended.extend(update(&mut app, answer(req, ApiResult::Key(Ok(detail)))));
    }
    // every list and key answered: the sweep is recorded as finished, once
    assert_eq!(
        api_cmds(&ended)
            .into_iter()
            .map(|(_, op)| op)
            .collect::<Vec<_>>(),
        vec![ApiOp::SweepEnd { complete: true }]
    );
    let (n, _, _) = app.matrix_cursor();
    assert_eq!(n, NAMES.len() + 2);
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("10 keys in 2 contexts")),
        "{:?}",
        app.toast
    );
    // sorted by API Keys access: the two Full subuser keys join `legacy full` at the top
    for _ in 0..api_keys_col() {
        update(&mut app, key('l'));
    }
    update(&mut app, key('s'));
    let top: Vec<String> = (0..3)
        .map(|p| app.matrix_entry(p).unwrap().1.name.clone())
        .collect();
    assert!(top.contains(&"eu key 1".to_owned()) && top.contains(&"legacy full".to_owned()));
    // marks are per context
    update(&mut app, key(' '));
    assert!(app.view.marks.is_empty());
    // d on a subuser's row: switch there, and once its list arrives the key is selected and
    // its revoke asked for (one press, as for a key of this context)
    let pos = (0..n)
        .find(|p| app.matrix_entry(*p).unwrap().1.name == "eu key 2")
        .unwrap();
    while app.matrix_cursor().1 != pos {
        let k = if app.matrix_cursor().1 < pos {
            'j'
        } else {
            'k'
        };
        update(&mut app, key(k));
    }
    let (_, e) = app.matrix_entry(pos).unwrap();
    assert_eq!(e.name, "eu key 2");
    let cmds = update(&mut app, key('d'));
    assert!(app.modal.is_none(), "nothing is revoked across contexts");
    assert_eq!(
        app.ctx.on_behalf_of,
        Some(OnBehalfOf::Subuser("acme-eu".into()))
    );
    assert!(app.sweep().is_none());
    let (req, _) = api_cmds(&cmds)
        .into_iter()
        .find(|(_, op)| *op == ApiOp::ListKeys)
        .unwrap();
    update(
        &mut app,
        answer(req, ApiResult::Keys(Ok(vec![sub_key(1), sub_key(2)]))),
    );
    assert_eq!(selected_name(&app), "eu key 2");
    let Some(Modal::ConfirmDelete(c)) = &app.modal else {
        panic!("no confirm dialog: {:?}", app.modal)
    };
    assert_eq!(c.targets[0].id, sub_key(2).api_key_id);
    // cancelled, then Esc in the matrix: back where the all-contexts matrix was left, all of it
    update(&mut app, code(KeyCode::Esc));
    assert!(app.modal.is_none());
    let cmds = update(&mut app, code(KeyCode::Esc));
    assert_eq!(app.ctx.on_behalf_of, None);
    assert!(
        app.matrix_on() && app.sweep().is_some(),
        "every context again"
    );
    settle(&mut app, cmds);
    assert!(app.sweep().is_some_and(|s| s.contexts.len() == 1));
}

#[test]
fn matrix_all_from_the_command_line_starts_the_sweep() {
    let mut app = loaded();
    // `:` reads the subusers (for completion); the sweep waits for them, then reads each
    let mut cmds = update(&mut app, key(':'));
    typed(&mut app, "matrix all");
    cmds.extend(update(&mut app, code(KeyCode::Enter)));
    assert_eq!(app.layer(), Layer::Matrix);
    assert!(app.sweep().is_some_and(|s| s.waiting_subusers));
    settle(&mut app, cmds);
    let s = app.sweep().unwrap();
    assert!(!s.waiting_subusers);
    assert_eq!(s.contexts.len(), 1, "the fixture's one subuser");
    update(&mut app, key(':'));
    typed(&mut app, "matrix bogus");
    update(&mut app, code(KeyCode::Enter));
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains(":matrix all"))
    );
}

#[test]
fn matrix_drops_answers_of_a_sweep_it_left() {
    let mut app = loaded();
    update(&mut app, key('m'));
    let cmds = all_contexts(&mut app);
    let (req, _) = api_cmds(&cmds)[0].clone();
    let sub = Subuser {
        id: 1,
        username: "acme-eu".into(),
        email: "eu@acme.test".into(),
        disabled: false,
        region: None,
    };
    let cmds = update(&mut app, answer(req, ApiResult::Subusers(Ok(vec![sub]))));
    let (list_req, _) = sweep_lists(&cmds)[0].clone();
    update(&mut app, key('a')); // leave all contexts
    assert!(app.sweep().is_none());
    let cmds = all_contexts(&mut app); // and back: a new sweep
    let (list2, _) = sweep_lists(&cmds)[0].clone();
    assert_ne!(list_req, list2);
    // the first sweep's answer is dropped; the second one's lands
    update(
        &mut app,
        answer(list_req, ApiResult::Keys(Ok(vec![sub_key(9)]))),
    );
    assert_eq!(app.matrix_cursor().0, NAMES.len());
    update(
        &mut app,
        answer(list2, ApiResult::Keys(Ok(vec![sub_key(1)]))),
    );
    assert_eq!(app.matrix_cursor().0, NAMES.len() + 1);
}

#[test]
fn matrix_all_contexts_resumes_an_interrupted_sweep_without_asking_again() {
    let mut app = loaded();
    update(&mut app, key('m'));
    let cmds = update(&mut app, key('a'));
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert_eq!(op, ApiOp::SweepStart { fresh: false });
    assert!(app.sweep().is_some_and(|s| s.waiting_subusers));
    // the inventory holds a sweep interrupted 3 min ago: its contexts, no subuser list asked
    let eu = Some(OnBehalfOf::Subuser("acme-eu".into()));
    let resumed = Resumed {
        contexts: vec![(None, None), (eu.clone(), Some(crate::api::Region::Eu))],
        ago_ms: 180_000,
    };
    let cmds = update(
        &mut app,
        answer(req, ApiResult::SweepStarted(Ok(Some(resumed)))),
    );
    let ops: Vec<(Option<OnBehalfOf>, ApiOp)> = cmds
        .iter()
        .filter_map(|c| match c {
            Command::Api { ctx, op, .. } => Some((ctx.clone(), op.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        ops,
        vec![
            (
                None,
                ApiOp::SweepBegin {
                    contexts: vec![(None, None), (eu.clone(), Some(crate::api::Region::Eu))]
                }
            ),
            (eu.clone(), ApiOp::SweepListKeys),
        ],
        "the sweep's contexts recorded, then the other context's list (the inventory may answer it)"
    );
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("resuming the sweep interrupted 3 min ago")),
        "{:?}",
        app.toast
    );
    settle(&mut app, cmds);
    assert!(
        app.sweep()
            .is_some_and(|s| s.ended && s.contexts.len() == 1)
    );
    // Ctrl-r: everything asked again
    let cmds = update(&mut app, ctrl('r'));
    assert!(
        api_cmds(&cmds)
            .iter()
            .any(|(_, op)| *op == ApiOp::SweepStart { fresh: true }),
        "{cmds:?}"
    );
}
