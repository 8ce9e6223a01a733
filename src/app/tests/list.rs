//! The key list: loading, the background read of scopes, moving, filtering, sorting, marks, and a steady cursor when keys leave or join.

use super::*;

#[test]
fn loads_list_then_prefetches_scopes_with_bounded_concurrency() {
    let mut app = App::new(ctx());
    let cmds = init(&mut app);
    let ops: Vec<ApiOp> = api_cmds(&cmds).into_iter().map(|(_, o)| o).collect();
    // (and the journal, for the badges of rotations left pending by an earlier run)
    assert_eq!(
        ops,
        vec![ApiOp::ListKeys, ApiOp::MyScopes, ApiOp::ReadJournal]
    );
    assert!(app.keys.status.is_loading() && !app.keys.ever_loaded());

    let list_req = api_cmds(&cmds)[0].0;
    let mut many: Vec<ApiKey> = (0..100)
        .map(|n| ApiKey {
            api_key_id: ApiKeyId(format!("x{n:021}")),
            name: format!("key {n}"),
        })
        .collect();
    many.push(ApiKey {
        api_key_id: id(0),
        name: "ci deploy".into(),
    });
    let cmds = update(&mut app, answer(list_req, ApiResult::Keys(Ok(many))));
    let gets = api_cmds(&cmds);
    assert_eq!(gets.len(), PREFETCH_CONCURRENCY, "bounded prefetch");
    assert!(gets.iter().all(|(_, op)| matches!(op, ApiOp::GetKey(_))));
    assert_eq!(app.keys.entries.len(), 101);
    assert_eq!(app.keys.prefetch.total, 101);
    assert!(app.keys.prefetch.active());

    // each answer pulls the next one in
    let (req, op) = gets[0].clone();
    let ApiOp::GetKey(k) = op else { unreachable!() };
    let more = update(
        &mut app,
        answer(
            req,
            ApiResult::Key(Ok(KeyDetail {
                api_key_id: k,
                name: "key 0".into(),
                scopes: vec!["mail.send".into()],
            })),
        ),
    );
    assert_eq!(api_cmds(&more).len(), 1);
    assert_eq!(app.keys.prefetch.done, 1);
}

#[test]
fn empty_loading_and_failed_are_distinct() {
    let mut app = App::new(ctx());
    let cmds = init(&mut app);
    assert!(!app.keys.ever_loaded());
    let req = api_cmds(&cmds)[0].0;
    update(
        &mut app,
        answer(
            req,
            ApiResult::Keys(Err(ApiError::Network("connection refused".into()))),
        ),
    );
    assert!(app.keys.status.error().is_some());
    assert_eq!(app.toast.as_ref().map(|t| t.level), Some(Level::Error));
    // Ctrl-r retries
    let cmds = update(&mut app, ctrl('r'));
    let req = api_cmds(&cmds)[0].0;
    update(&mut app, answer(req, ApiResult::Keys(Ok(vec![]))));
    assert!(app.keys.ever_loaded() && app.keys.entries.is_empty());
}

#[test]
fn navigation_clamps_and_scrolls() {
    let mut app = loaded();
    assert_eq!(selected_name(&app), "ci deploy");
    update(&mut app, key('j'));
    assert_eq!(selected_name(&app), "marketing");
    update(&mut app, key('k'));
    update(&mut app, key('k'));
    assert_eq!(app.view.selected, 0);
    update(&mut app, key('G'));
    assert_eq!(app.view.selected, NAMES.len() - 1);
    update(&mut app, code(KeyCode::Down));
    assert_eq!(app.view.selected, NAMES.len() - 1);
    update(&mut app, key('g'));
    assert_eq!(app.view.selected, 0);
    // a tiny terminal: the selection stays visible
    update(&mut app, Msg::Resize(80, 16));
    update(&mut app, key('G'));
    let cap = crate::app::layout::list_capacity(80, 16);
    assert!(app.view.selected >= app.view.offset && app.view.selected < app.view.offset + cap);
    // focus moves between panes
    update(&mut app, code(KeyCode::Tab));
    assert_eq!(app.focus, Pane::Detail);
    assert_eq!(app.layer(), Layer::Detail);
    update(&mut app, key('h'));
    assert_eq!(app.focus, Pane::List);
}

#[test]
fn selection_detail_fetch_is_debounced_and_stale_answers_are_dropped() {
    let mut app = App::new(ctx());
    let cmds = init(&mut app);
    let list = api_cmds(&cmds)[0].0;
    let cmds = update(&mut app, answer(list, ApiResult::Keys(Ok(keys()))));
    // prefetch in flight for the first 8; drop those answers on the floor for this test
    assert_eq!(api_cmds(&cmds).len(), NAMES.len());
    // pretend none of them answered: forget the prefetch so the selection has to fetch
    app.pending
        .retain(|_, p| !matches!(p, Pending::Prefetch { .. }));
    for e in &mut app.keys.entries {
        e.state = KeyState::default();
    }
    update(&mut app, Msg::Tick(1_000));
    update(&mut app, key('j'));
    assert!(
        api_cmds(&update(&mut app, Msg::Tick(1_050))).is_empty(),
        "debounced"
    );
    let cmds = update(&mut app, Msg::Tick(1_000 + DETAIL_DEBOUNCE_MS + 1));
    let (req_a, op) = api_cmds(&cmds)[0].clone();
    assert_eq!(op, ApiOp::GetKey(id(1)));
    // the selection moves on before the answer: it is stale and dropped
    update(&mut app, key('j'));
    update(&mut app, answer(req_a, ApiResult::Key(Ok(detail(1)))));
    assert!(
        app.keys.get(&id(1)).is_some_and(|e| e.info().is_none()),
        "stale answer dropped"
    );
    assert!(!app.pending.contains_key(&req_a));
}

#[test]
fn filter_by_text_scope_type_and_negation() {
    let mut app = loaded();
    update(&mut app, key('/'));
    assert_eq!(app.layer(), Layer::Filter);
    typed(&mut app, "ci");
    let shown: Vec<String> = app
        .view
        .rows
        .iter()
        .map(|i| app.keys.entries[*i].name.clone())
        .collect();
    assert_eq!(shown, vec!["ci deploy", "ci staging"]);
    // q is text here, not quit
    let cmds = update(&mut app, key('q'));
    assert!(!cmds.contains(&Command::Quit) && !app.should_quit);
    update(&mut app, code(KeyCode::Esc));
    assert_eq!(app.view.rows.len(), NAMES.len());
    assert_eq!(app.layer(), Layer::List);

    update(&mut app, key('/'));
    typed(&mut app, "scope:api_keys.*");
    assert_eq!(
        app.view.rows.len(),
        2,
        "legacy full + test hold api_keys scopes"
    );
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.layer(), Layer::List);
    assert!(app.filter.active());
    update(&mut app, code(KeyCode::Esc));

    update(&mut app, key('/'));
    typed(&mut app, "type:billing");
    assert_eq!(app.view.rows.len(), 1);
    assert_eq!(selected_name(&app), "billing");
    update(&mut app, code(KeyCode::Esc));

    update(&mut app, key('/'));
    typed(&mut app, "!ci");
    assert_eq!(app.view.rows.len(), NAMES.len() - 2);
}

#[test]
fn marks_and_escape_order() {
    let mut app = loaded();
    update(&mut app, key(' '));
    update(&mut app, key(' '));
    assert_eq!(app.view.marks.len(), 2);
    assert_eq!(app.view.selected, 2);
    update(&mut app, ctrl('a'));
    assert_eq!(app.view.marks.len(), NAMES.len());
    update(&mut app, ctrl('a'));
    assert!(app.view.marks.is_empty());
    update(&mut app, key(' '));
    update(&mut app, key('/'));
    typed(&mut app, "ci");
    update(&mut app, code(KeyCode::Enter));
    // Esc: marks first, then the filter
    update(&mut app, code(KeyCode::Esc));
    assert!(app.view.marks.is_empty() && app.filter.active());
    update(&mut app, code(KeyCode::Esc));
    assert!(!app.filter.active());
}

#[test]
fn sorting_by_risk_puts_dangerous_keys_first() {
    let mut app = loaded();
    update(&mut app, key('s'));
    assert_eq!(app.view.sort, SortKey::Name);
    assert_eq!(
        selected_name(&app),
        "ci deploy",
        "selection follows the key"
    );
    update(&mut app, key('g'));
    assert_eq!(selected_name(&app), "billing");
    update(&mut app, key('s'));
    update(&mut app, key('s'));
    assert_eq!(app.view.sort, SortKey::Risk);
    update(&mut app, key('g'));
    assert_eq!(selected_name(&app), "legacy full");
    update(&mut app, key('S'));
    update(&mut app, key('G'));
    assert_eq!(selected_name(&app), "legacy full");
}

#[test]
fn the_prefetch_reads_the_selection_then_the_rows_on_screen_first() {
    let mut app = App::new(ctx());
    app.size = (80, 24);
    let cmds = init(&mut app);
    let list_req = api_cmds(&cmds)[0].0;
    let many: Vec<ApiKey> = (0..300)
        .map(|n| ApiKey {
            api_key_id: ApiKeyId(format!("x{n:021}")),
            name: format!("key {n:03}"),
        })
        .collect();
    // sorted by name, reversed, before the list arrives: the view's order is not the API's
    app.view.sort = SortKey::Name;
    app.view.reverse = true;
    let cmds = update(&mut app, answer(list_req, ApiResult::Keys(Ok(many))));
    let gets: Vec<String> = api_cmds(&cmds)
        .into_iter()
        .filter_map(|(_, op)| match op {
            ApiOp::GetKey(k) => Some(k.0),
            _ => None,
        })
        .collect();
    let cap = layout::list_capacity(80, 24);
    // the selection (the top row: key 299), then the rest of the screen, in view order
    let want: Vec<String> = (0..cap).map(|i| format!("x{:021}", 299 - i)).collect();
    assert_eq!(gets[..cap], want[..]);
    assert_eq!(app.keys.prefetch.total, 300);
}

#[test]
fn revoking_a_key_selects_the_row_that_took_its_place() {
    let mut app = loaded_many(45);
    // the 10th row
    for _ in 0..9 {
        update(&mut app, key('j'));
    }
    assert_eq!(selected_name(&app), "key 09");
    update(&mut app, key('d'));
    arm(&mut app);
    let cmds = update(&mut app, key('y'));
    revoke_answer(&mut app, &cmds);
    assert_eq!(app.view.rows.len(), 44);
    assert_eq!(app.view.selected, 9, "still the 10th row");
    assert_eq!(selected_name(&app), "key 10");
}

#[test]
fn revoking_the_last_key_selects_the_new_last_row() {
    let mut app = loaded_many(45);
    update(&mut app, key('G'));
    update(&mut app, key('d'));
    arm(&mut app);
    let cmds = update(&mut app, key('y'));
    revoke_answer(&mut app, &cmds);
    assert_eq!(app.view.rows.len(), 44);
    assert_eq!(app.view.selected, 43, "44/44, not 1/44");
    assert_eq!(selected_name(&app), "key 43");
}

#[test]
fn a_bulk_revoke_selects_the_first_row_after_the_revoked_ones() {
    let mut app = loaded_many(20);
    // mark 5, 6, 7 (Space marks and moves down), then back onto 5
    for _ in 0..5 {
        update(&mut app, key('j'));
    }
    typed(&mut app, "   kkk");
    assert_eq!(selected_name(&app), "key 05");
    update(&mut app, key('d'));
    arm(&mut app);
    typed(&mut app, "3");
    let cmds = update(&mut app, key('y'));
    assert_eq!(api_cmds(&cmds).len(), 3);
    // answers one by one: the cursor never rests on a key being revoked
    for (req, _) in api_cmds(&cmds) {
        update(
            &mut app,
            answer(req, ApiResult::Mutated(Done::ok(Effect::Revoked))),
        );
        assert!(app.selected().is_some_and(|e| !e.state.is_revoking()));
    }
    assert_eq!(app.view.rows.len(), 17);
    assert_eq!(selected_name(&app), "key 08");
    assert_eq!(app.view.selected, 5);
}

#[test]
fn a_refresh_keeps_the_selected_key_or_its_place() {
    let mut app = loaded_many(10);
    for _ in 0..4 {
        update(&mut app, key('j'));
    }
    assert_eq!(selected_name(&app), "key 04");
    // one key added on top, one above the selection removed: still on key 04
    let mut list = many(10);
    list.remove(1);
    list.insert(
        0,
        ApiKey {
            api_key_id: ApiKeyId("n00000000000000000000a".into()),
            name: "fresh".into(),
        },
    );
    let cmds = update(&mut app, ctrl('r'));
    let req = api_cmds(&cmds)[0].0;
    update(&mut app, answer(req, ApiResult::Keys(Ok(list.clone()))));
    assert_eq!(selected_name(&app), "key 04");
    // the selected key revoked elsewhere: the row that took its place
    list.retain(|k| k.name != "key 04");
    let cmds = update(&mut app, ctrl('r'));
    let req = api_cmds(&cmds)[0].0;
    update(&mut app, answer(req, ApiResult::Keys(Ok(list))));
    assert_eq!(selected_name(&app), "key 05");
}

/// A loaded list of `n` keys `key 00`…; scopes left unread.
fn loaded_many(n: usize) -> App {
    let mut app = App::new(ctx());
    app.size = (120, 40);
    let cmds = init(&mut app);
    for (req, op) in api_cmds(&cmds) {
        if op == ApiOp::ListKeys {
            update(&mut app, answer(req, ApiResult::Keys(Ok(many(n)))));
        }
    }
    app
}

#[test]
fn answers_about_another_key_or_another_name_never_leave_a_key_loading() {
    // every GET answered with a wrong id (odd keys) or a changed name (even keys)
    let mut app = App::new(ctx());
    let cmds = init(&mut app);
    let list_req = api_cmds(&cmds)[0].0;
    let many: Vec<ApiKey> = (0..20)
        .map(|n| ApiKey {
            api_key_id: ApiKeyId(format!("x{n:021}")),
            name: format!("key {n}"),
        })
        .collect();
    let mut queue = api_cmds(&update(
        &mut app,
        answer(list_req, ApiResult::Keys(Ok(many))),
    ));
    let mut answered = 0;
    while let Some((req, op)) = queue.pop() {
        answered += 1;
        assert!(answered < 200, "requests never stop: {op:?}");
        let result = match op {
            ApiOp::GetKey(k) => {
                let n: usize = k.0[1..].parse().unwrap();
                let (id, name) = if n % 2 == 1 {
                    (ApiKeyId(format!("y{n:021}")), format!("key {n}"))
                } else {
                    (k.clone(), format!("renamed {n}"))
                };
                ApiResult::Key(Ok(KeyDetail {
                    api_key_id: id,
                    name,
                    scopes: vec!["mail.send".into()],
                }))
            }
            other => respond_ok(&other),
        };
        queue.extend(api_cmds(&update(&mut app, answer(req, result))));
        update(&mut app, Msg::Tick(answered as u64 * 1000));
    }
    assert!(!app.keys.prefetch.active(), "prefetch finished");
    assert!(app.keys.entries.iter().all(|e| !e.state.is_loading()));
    assert!(
        app.keys
            .entries
            .iter()
            .filter(|e| e.info().is_some())
            .count()
            == 10
    );
    assert!(
        app.keys.entries.iter().any(|e| e.name == "renamed 0"),
        "a changed name is taken"
    );
}

fn respond_ok(op: &ApiOp) -> ApiResult {
    match op {
        ApiOp::MyScopes => ApiResult::MyScopes(Ok(vec!["api_keys.read".into()])),
        ApiOp::ListKeys => ApiResult::Keys(Ok(vec![])),
        ApiOp::ListSubusers => ApiResult::Subusers(Ok(vec![])),
        ApiOp::ReadJournal => ApiResult::Journal(Ok(vec![])),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn the_selected_keys_classification_is_computed_once_per_change() {
    let mut app = loaded();
    let first = app.detail.class.clone().expect("classified on load");
    for t in 0..5 {
        update(&mut app, Msg::Tick(10_000 + t));
    }
    let again = app.detail.class.clone().expect("still there");
    assert!(
        std::sync::Arc::ptr_eq(&first.2, &again.2),
        "not recomputed per message"
    );
    update(&mut app, key('j'));
    let moved = app
        .detail
        .class
        .clone()
        .expect("classified for the new selection");
    assert_ne!(moved.0, first.0);
    assert!(!std::sync::Arc::ptr_eq(&first.2, &moved.2));
}
