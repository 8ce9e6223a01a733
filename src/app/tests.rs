//! Pure `update()` tests: feed messages, assert state and returned commands. No terminal, no
//! network, no clock.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::api::{ApiError, ApiKey, CreatedKey, ErrorBody, KeyDetail, Subuser};
use crate::secret::Secret;

// new tests go in files of their own beside this one (`tests/*.rs`); they see these helpers
mod answered;
mod burst;
mod contexts;
mod copy;
mod describe;
mod gone;
mod log;
mod revoke;
mod self_revoke;

fn ctx() -> Context {
    Context {
        base_url: "http://sim".into(),
        account: "acme".into(),
        on_behalf_of: None,
        read_only: false,
        demo: true,
        caller_key_id: Some("k00000000000000000000a".into()),
        region: None,
    }
}

/// SendGrid's own 404 (its JSON error shape): the key is gone.
fn sendgrid_404() -> ApiError {
    let body = br#"{"errors":[{"field":null,"message":"unable to find API Key"}]}"#;
    ApiError::from_status(404, body, None)
}

/// A gateway's HTML 404: says nothing about the key.
fn gateway_404() -> ApiError {
    ApiError::from_status(404, b"<html><title>404 Not Found</title></html>", None)
}

fn id(n: usize) -> ApiKeyId {
    ApiKeyId(format!("k{n:020}a"))
}

const NAMES: &[&str] = &[
    "ci deploy",
    "marketing",
    "webhooks",
    "billing",
    "legacy full",
    "stats",
    "ci staging",
    "test",
];

fn scopes_for(n: usize) -> Vec<String> {
    let s: Vec<&str> = match n {
        0 | 6 => vec!["mail.send", "2fa_required"],
        1 => vec!["marketing.read", "mail.send"],
        2 => vec![
            "user.webhooks.event.settings.read",
            "user.webhooks.event.settings.update",
        ],
        3 => vec!["billing.read", "billing.update"],
        4 => {
            return crate::scopes::full_access_scopes()
                .into_iter()
                .map(str::to_owned)
                .collect();
        }
        5 => vec!["stats.read", "stats.global.read"],
        _ => vec!["alerts.read", "api_keys.create", "api_keys.read"],
    };
    s.into_iter().map(str::to_owned).collect()
}

fn detail(n: usize) -> KeyDetail {
    KeyDetail {
        api_key_id: id(n),
        name: NAMES[n].into(),
        scopes: scopes_for(n),
    }
}

fn keys() -> Vec<ApiKey> {
    (0..NAMES.len())
        .map(|n| ApiKey {
            api_key_id: id(n),
            name: NAMES[n].into(),
        })
        .collect()
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}
fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}
fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn answer(req: ReqId, result: ApiResult) -> Msg {
    Msg::Api(ApiEvent { req, result })
}

fn api_cmds(cmds: &[Command]) -> Vec<(ReqId, ApiOp)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Api { req, op, .. } => Some((*req, op.clone())),
            _ => None,
        })
        .collect()
}

/// Answer every read with fixture data, repeatedly, until nothing is pending.
fn settle(app: &mut App, mut cmds: Vec<Command>) {
    for _ in 0..100 {
        let mut next = Vec::new();
        for (req, op) in api_cmds(&cmds) {
            let result = match op {
                ApiOp::ListKeys => ApiResult::Keys(Ok(keys())),
                ApiOp::GetKey(k) => {
                    let n = (0..NAMES.len()).find(|n| id(*n) == k).unwrap();
                    ApiResult::Key(Ok(detail(n)))
                }
                ApiOp::MyScopes => ApiResult::MyScopes(Ok(crate::scopes::full_access_scopes()
                    .into_iter()
                    .map(str::to_owned)
                    .collect())),
                ApiOp::ListSubusers => ApiResult::Subusers(Ok(vec![Subuser {
                    id: 1001,
                    username: "acme-eu".into(),
                    email: "eu@acme.test".into(),
                    disabled: false,
                    region: Some(crate::api::Region::Eu),
                }])),
                ApiOp::ReadJournal => ApiResult::Journal(Ok(vec![])),
                _ => continue,
            };
            next.extend(update(app, answer(req, result)));
        }
        if next.is_empty() {
            return;
        }
        cmds = next;
    }
    panic!("did not settle");
}

/// The keymap with `[keys] action = "key"` in place.
fn user_keys(action: &str, key: &str) -> &'static crate::app::keymap::Keymap {
    crate::app::keymap::user::build(&[crate::config::KeySetting {
        section: String::new(),
        action: action.into(),
        keys: vec![key.into()],
        line: Some(2),
    }])
    .unwrap()
}

fn loaded() -> App {
    let mut app = App::new(ctx());
    app.size = (120, 40);
    let cmds = init(&mut app);
    settle(&mut app, cmds);
    app
}

fn selected_name(app: &App) -> String {
    app.selected().map(|e| e.name.clone()).unwrap_or_default()
}

/// Let the revoke confirmation's first moment pass (it takes no key but Esc before).
fn arm(app: &mut App) {
    let now = app.now_ms + crate::app::revoke::ARM_MS;
    update(app, Msg::Tick(now));
}

fn typed(app: &mut App, s: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for c in s.chars() {
        out.extend(update(app, key(c)));
    }
    out
}

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
    assert_eq!(app.prefetch.total, 101);
    assert!(app.prefetch.active());

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
    assert_eq!(app.prefetch.done, 1);
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
        .retain(|_, p| !matches!(p, Pending::Prefetch(_)));
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
fn a_pasted_key_jumps_to_it_and_never_reaches_an_input_or_the_log() {
    let mut app = loaded();
    let secret = format!("SG.{}.{}", id(5).0, "a".repeat(43));
    update(&mut app, Msg::Paste(secret.clone()));
    assert_eq!(selected_name(&app), "stats");
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("press d to revoke"))
    );
    assert!(!format!("{:?}", app.filter.input).contains(&secret));
    // typed into the filter by hand: same, and the secret leaves the input
    update(&mut app, key('g'));
    update(&mut app, key('/'));
    typed(&mut app, &secret);
    assert_eq!(selected_name(&app), "stats");
    assert_eq!(app.filter.input.value(), "");
    assert!(app.log.iter().all(|l| !l.text.contains(&secret[26..])));
    // a key not here is looked for everywhere else, by the worker; in none, it says so plainly
    let other = format!("SG.{}.{}", "Z".repeat(22), "b".repeat(43));
    let cmds = update(&mut app, Msg::Paste(other));
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert!(matches!(op, ApiOp::Locate { .. }), "{op:?}");
    let cmds = update(
        &mut app,
        answer(req, ApiResult::Located(super::leak::Whereabouts::Nowhere)),
    );
    assert!(app.leak.is_none(), "the secret is let go");
    // then the key itself is asked: dead
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert!(matches!(op, ApiOp::Probe(_)));
    update(
        &mut app,
        answer(req, ApiResult::Probed(crate::leak::Probe::Dead)),
    );
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("already revoked")),
        "{:?}",
        app.toast
    );
}

#[test]
fn a_pasted_key_of_a_subuser_switches_there_selects_it_and_is_proven_dead_after_revoke() {
    let mut app = loaded();
    let secret = format!("SG.{}.{}", "S".repeat(22), "c".repeat(43));
    let cmds = update(&mut app, Msg::Paste(secret));
    // one request: the worker's lookup (inventory, the key's own word, then the sweep)
    let ops = api_cmds(&cmds);
    assert_eq!(ops.len(), 1, "{ops:?}");
    let (req, op) = ops[0].clone();
    assert!(matches!(op, ApiOp::Locate { .. }), "{op:?}");
    let found = super::leak::Whereabouts::Found {
        ctx: Some(OnBehalfOf::Subuser("acme-tx".into())),
        region: Some(crate::api::Region::Eu),
        via: crate::leak::Route::Username,
        exposure: None,
    };
    let cmds = update(&mut app, answer(req, ApiResult::Located(found)));
    assert!(
        app.log
            .iter()
            .any(|l| l.text.contains("in the account the key itself named")),
        "the route is said"
    );
    assert_eq!(app.ctx.region, Some(crate::api::Region::Eu), "its host");
    assert_eq!(
        app.ctx.on_behalf_of,
        Some(OnBehalfOf::Subuser("acme-tx".into()))
    );
    let (list_req, _) = api_cmds(&cmds)
        .into_iter()
        .find(|(_, op)| *op == ApiOp::ListKeys)
        .unwrap();
    update(
        &mut app,
        answer(
            list_req,
            ApiResult::Keys(Ok(vec![ApiKey {
                api_key_id: ApiKeyId("S".repeat(22)),
                name: "tx leak".into(),
            }])),
        ),
    );
    assert_eq!(selected_name(&app), "tx leak", "selected in the subuser");
    // d y: the revoke, then the key itself is asked until it is refused
    update(&mut app, key('d'));
    arm(&mut app);
    let cmds = update(&mut app, key('y'));
    let (req, _) = api_cmds(&cmds)
        .into_iter()
        .find(|(_, op)| matches!(op, ApiOp::Mutate(Mutation::Revoke { .. })))
        .unwrap();
    let cmds = update(
        &mut app,
        answer(req, ApiResult::Mutated(Done::ok(Effect::Revoked))),
    );
    let (vreq, vop) = api_cmds(&cmds)[0].clone();
    assert!(matches!(vop, ApiOp::VerifyDead { .. }));
    update(
        &mut app,
        answer(
            vreq,
            ApiResult::Verified(Ok(crate::leak::Verification {
                dead: true,
                after: std::time::Duration::from_millis(2400),
                attempts: 4,
                ..Default::default()
            })),
        ),
    );
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("confirmed dead after 2.4 s")),
        "{:?}",
        app.toast
    );
    assert!(app.leak.is_none());
}

#[test]
fn a_pasted_key_that_could_create_keys_is_marked_with_the_keys_that_appeared_for_one_confirm() {
    let mut app = loaded();
    let leaked = ApiKeyId("P".repeat(22));
    let secret = format!("SG.{}.{}", leaked.0, "d".repeat(43));
    let cmds = update(&mut app, Msg::Paste(secret));
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert!(matches!(op, ApiOp::Locate { here: false, .. }), "{op:?}");
    let backdoor = ApiKey {
        api_key_id: ApiKeyId("B".repeat(22)),
        name: "backdoor".into(),
    };
    let exposure = crate::leak::Exposure {
        baseline: crate::leak::Baseline::Listed {
            at: 0,
            before: 1,
            what: "this run".into(),
        },
        appeared: vec![backdoor.clone()],
        by_sgkeys: 0,
        listed: Vec::new(),
    };
    let found = super::leak::Whereabouts::Found {
        ctx: Some(OnBehalfOf::Subuser("acme-tx".into())),
        region: None,
        via: crate::leak::Route::Inventory,
        exposure: Some(Ok(exposure)),
    };
    let cmds = update(&mut app, answer(req, ApiResult::Located(found)));
    assert!(
        app.log.iter().any(
            |l| l.text.contains("1 key appeared in subuser acme-tx while")
                && l.text.contains("backdoor")
        ),
        "the persistence check is logged"
    );
    let (list_req, _) = api_cmds(&cmds)
        .into_iter()
        .find(|(_, op)| *op == ApiOp::ListKeys)
        .unwrap();
    let keys = vec![
        ApiKey {
            api_key_id: leaked.clone(),
            name: "ci".into(),
        },
        backdoor.clone(),
        ApiKey {
            api_key_id: ApiKeyId("Q".repeat(22)),
            name: "old".into(),
        },
    ];
    update(&mut app, answer(list_req, ApiResult::Keys(Ok(keys))));
    assert_eq!(selected_name(&app), "ci");
    assert_eq!(
        app.view.marks,
        [leaked.clone(), backdoor.api_key_id.clone()]
            .into_iter()
            .collect(),
        "the leaked key and the one that appeared, marked together"
    );
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("d revokes all 2")),
        "{:?}",
        app.toast
    );
    // one confirmation (the count typed) revokes both
    update(&mut app, key('d'));
    arm(&mut app);
    typed(&mut app, "2");
    let cmds = update(&mut app, key('y'));
    let revoked: Vec<ApiKeyId> = api_cmds(&cmds)
        .into_iter()
        .filter_map(|(_, op)| match op {
            ApiOp::Mutate(Mutation::Revoke { id, .. }) => Some(id),
            _ => None,
        })
        .collect();
    assert_eq!(revoked.len(), 2, "{revoked:?}");
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
fn dirty_forms_ask_before_discarding() {
    let mut app = loaded();
    open_editor_and_add_alerts_read(&mut app);
    update(&mut app, code(KeyCode::Esc));
    assert_eq!(app.layer(), Layer::Discard);
    update(&mut app, key('n'));
    assert_eq!(app.layer(), Layer::Scopes);
    update(&mut app, code(KeyCode::Esc));
    update(&mut app, key('y'));
    assert!(app.modal.is_none());
    // a clean form closes at once
    update(&mut app, key('e'));
    update(&mut app, code(KeyCode::Esc));
    assert!(app.modal.is_none());
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
fn revoke_one_with_confirmation_focus_on_cancel() {
    let mut app = loaded();
    update(&mut app, key('d'));
    arm(&mut app);
    assert_eq!(app.layer(), Layer::Confirm);
    assert!(matches!(&app.modal, Some(Modal::ConfirmDelete(c)) if !c.confirm.focus_yes));
    // Enter presses Cancel
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert!(api_cmds(&cmds).is_empty() && app.modal.is_none());
    // d again does not confirm: y does
    update(&mut app, key('d'));
    arm(&mut app);
    assert!(api_cmds(&update(&mut app, key('d'))).is_empty());
    let cmds = update(&mut app, key('y'));
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert_eq!(
        op,
        ApiOp::Mutate(Mutation::Revoke {
            id: id(0),
            name: "ci deploy".into(),
            scopes_before: Some(vec!["mail.send".into()])
        })
    );
    assert!(app.keys.get(&id(0)).is_some_and(|e| e.state.is_revoking()));
    update(
        &mut app,
        answer(req, ApiResult::Mutated(Done::ok(Effect::Revoked))),
    );
    assert!(app.keys.get(&id(0)).is_none());
    assert_eq!(app.view.rows.len(), NAMES.len() - 1);
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.level == Level::Success)
    );
}

#[test]
fn failed_revoke_restores_the_row_with_an_error() {
    let mut app = loaded();
    update(&mut app, key('d'));
    arm(&mut app);
    let cmds = update(&mut app, key('y'));
    let (req, _) = api_cmds(&cmds)[0].clone();
    update(
        &mut app,
        answer(
            req,
            ApiResult::Mutated(Done::err(ApiError::Server {
                status: 500,
                body: ErrorBody::default(),
            })),
        ),
    );
    assert!(app.keys.get(&id(0)).is_some_and(|e| !e.state.is_revoking()));
    assert_eq!(app.toast.as_ref().map(|t| t.level), Some(Level::Error));
    // errors stay until dismissed
    update(&mut app, Msg::Tick(100_000));
    assert!(app.toast.is_some());
    update(&mut app, code(KeyCode::Esc));
    assert!(app.toast.is_none());
}

#[test]
fn bulk_revoke_needs_the_count_typed() {
    let mut app = loaded();
    for _ in 0..3 {
        update(&mut app, key(' '));
    }
    update(&mut app, key('d'));
    arm(&mut app);
    let Some(Modal::ConfirmDelete(c)) = &app.modal else {
        panic!()
    };
    assert_eq!(c.targets.len(), 3);
    assert!(
        api_cmds(&update(&mut app, key('y'))).is_empty(),
        "count not typed"
    );
    assert!(matches!(&app.modal, Some(Modal::ConfirmDelete(c)) if c.error.is_some()));
    typed(&mut app, "2");
    assert!(
        api_cmds(&update(&mut app, key('y'))).is_empty(),
        "wrong count"
    );
    update(&mut app, code(KeyCode::Backspace));
    typed(&mut app, "3");
    let cmds = update(&mut app, key('y'));
    // the key sgkeys is using (id 0, marked first) is held back: the other two go first
    let sent = api_cmds(&cmds);
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(
        |(_, op)| !matches!(op, ApiOp::Mutate(Mutation::Revoke { id: i, .. }) if *i == id(0))
    ));
    assert!(app.view.marks.is_empty());
    let reqs: Vec<ReqId> = sent.iter().map(|(r, _)| *r).collect();
    let after_first = update(
        &mut app,
        answer(reqs[0], ApiResult::Mutated(Done::ok(Effect::Revoked))),
    );
    assert!(
        api_cmds(&after_first).is_empty(),
        "own key waits for every other answer"
    );
    let last = update(
        &mut app,
        answer(
            reqs[1],
            ApiResult::Mutated(Done::err(common_server_error())),
        ),
    );
    let last = api_cmds(&last);
    assert_eq!(
        last.len(),
        1,
        "then the key sgkeys is using, even after a failure"
    );
    assert!(matches!(&last[0].1, ApiOp::Mutate(Mutation::Revoke { id: i, .. }) if *i == id(0)));
    assert!(
        app.toast.as_ref().is_some_and(|t| t.level == Level::Info),
        "summary waits for all"
    );
    update(
        &mut app,
        answer(last[0].0, ApiResult::Mutated(Done::ok(Effect::Revoked))),
    );
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.starts_with("1 of 3 revokes failed")),
        "{:?}",
        app.toast
    );
    assert!(app.keys.get(&id(0)).is_none());
}

fn common_server_error() -> ApiError {
    ApiError::Server {
        status: 500,
        body: ErrorBody::default(),
    }
}

#[test]
fn the_callers_own_key_is_flagged_in_the_confirm_dialog() {
    let mut app = loaded();
    app.ctx.caller_key_id = Some(id(0).0);
    update(&mut app, key('d'));
    arm(&mut app);
    assert!(matches!(&app.modal, Some(Modal::ConfirmDelete(c)) if c.targets[0].own));
}

#[test]
fn read_only_refuses_write_keys_with_a_reason() {
    let mut app = loaded();
    app.ctx.read_only = true;
    for c in ['d', 'e', 'r', 'n'] {
        let cmds = update(&mut app, key(c));
        assert!(cmds.is_empty() && app.modal.is_none(), "{c}");
        assert!(
            app.toast
                .as_ref()
                .is_some_and(|t| t.text.contains("read-only"))
        );
    }
    // reading still works
    update(&mut app, key('j'));
    assert_eq!(selected_name(&app), "marketing");
}

#[test]
fn context_switch_reloads_and_drops_old_answers() {
    let mut app = loaded();
    // a read in flight for the old context
    let stale = update(&mut app, ctrl('r'));
    let stale_req = api_cmds(&stale)[0].0;
    let cmds = update(&mut app, key('c'));
    let (req, op) = api_cmds(&cmds)[0].clone();
    assert_eq!(op, ApiOp::ListSubusers);
    settle(
        &mut app,
        vec![Command::Api {
            req,
            ctx: None,
            region: None,
            op,
        }],
    );
    update(&mut app, code(KeyCode::Down));
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert!(cmds.contains(&Command::CancelReads));
    let list = cmds.iter().find_map(|c| match c {
        Command::Api {
            req,
            ctx,
            region,
            op: ApiOp::ListKeys,
        } => Some((*req, ctx.clone(), *region)),
        _ => None,
    });
    let (list_req, list_ctx, list_region) = list.unwrap();
    assert_eq!(list_ctx, Some(OnBehalfOf::Subuser("acme-eu".into())));
    assert_eq!(
        list_region,
        Some(crate::api::Region::Eu),
        "an EU subuser's requests go to the EU host"
    );
    assert!(app.context_label().contains("acme-eu"));
    assert!(!app.keys.ever_loaded());
    update(&mut app, answer(stale_req, ApiResult::Keys(Ok(keys()))));
    assert!(
        !app.keys.ever_loaded(),
        "the old context's answer was dropped"
    );
    update(
        &mut app,
        answer(
            list_req,
            ApiResult::Keys(Ok(vec![ApiKey {
                api_key_id: id(7),
                name: "eu".into(),
            }])),
        ),
    );
    assert_eq!(app.keys.entries.len(), 1);
}

#[test]
fn quitting_waits_for_confirmation_while_a_change_is_in_flight() {
    let mut app = loaded();
    let cmds = update(&mut app, key('q'));
    assert!(cmds.contains(&Command::Quit));

    let mut app = loaded();
    update(&mut app, key('d'));
    arm(&mut app);
    update(&mut app, key('y'));
    let cmds = update(&mut app, key('q'));
    assert!(!cmds.contains(&Command::Quit));
    assert_eq!(app.layer(), Layer::ConfirmQuit);
    let cmds = update(&mut app, key('y'));
    assert!(cmds.contains(&Command::Quit) && app.should_quit);
}

#[test]
fn toasts_expire_errors_do_not() {
    let mut app = loaded();
    update(&mut app, Msg::Tick(10_000));
    update(&mut app, key('s'));
    assert!(app.toast.is_some());
    assert!(app.wants_tick());
    update(&mut app, Msg::Tick(10_000 + TOAST_MS + 1));
    assert!(app.toast.is_none());
    assert!(!app.wants_tick(), "idle: no ticks needed");
}

#[test]
fn too_small_terminal_only_quits() {
    let mut app = loaded();
    update(&mut app, Msg::Resize(40, 10));
    assert!(!app.fits());
    update(&mut app, key('j'));
    update(&mut app, key('d'));
    assert!(app.modal.is_none() && app.view.selected == 0);
    let cmds = update(&mut app, key('q'));
    assert!(cmds.contains(&Command::Quit));
}

#[test]
fn detail_pane_expands_categories() {
    let mut app = loaded();
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.layer(), Layer::Detail);
    let rows = detail_rows(&app);
    assert_eq!(rows.len(), 1, "ci deploy: Mail Send only");
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(detail_rows(&app).len(), 1 + 5);
    update(&mut app, key('a'));
    assert_eq!(
        detail_rows(&app).len(),
        crate::scopes::categories().len() + 5
    );
}

#[test]
fn api_calls_are_logged_without_secrets() {
    let mut app = loaded();
    update(
        &mut app,
        Msg::Call(CallRecord {
            method: "GET",
            path: "/v3/api_keys".into(),
            on_behalf_of: None,
            status: Some(200),
            elapsed_ms: 12,
            attempt: 0,
            rate: None,
            error: None,
        }),
    );
    assert_eq!(
        app.log.back().map(|l| l.text.as_str()),
        Some("GET /v3/api_keys 200 12ms")
    );
    update(&mut app, key('@'));
    assert_eq!(app.layer(), Layer::Log);
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
    assert!(!app.prefetch.active(), "prefetch finished");
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

#[test]
fn a_revoke_is_one_per_key_state_and_failing_restores_the_scopes() {
    let mut app = loaded();
    let info = app.keys.get(&id(1)).and_then(|e| e.info().cloned());
    assert!(info.is_some());
    update(&mut app, key('j'));
    update(&mut app, key('d'));
    arm(&mut app);
    let cmds = update(&mut app, key('y'));
    let (req, _) = api_cmds(&cmds)[0].clone();
    let e = app.keys.get(&id(1)).unwrap();
    assert!(matches!(e.state, KeyState::Revoking { req: Some(r), .. } if r == req));
    assert_eq!(e.info().cloned(), info, "scopes stay known while revoking");
    update(
        &mut app,
        answer(req, ApiResult::Mutated(Done::err(common_server_error()))),
    );
    let e = app.keys.get(&id(1)).unwrap();
    assert!(!e.state.is_revoking());
    assert_eq!(e.info().cloned(), info, "back to what was known");
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

// ---------------------------------------------------------------- a steady cursor

fn revoke_answer(app: &mut App, cmds: &[Command]) {
    for (req, op) in api_cmds(cmds) {
        if matches!(op, ApiOp::Mutate(Mutation::Revoke { .. })) {
            let more = update(
                app,
                answer(req, ApiResult::Mutated(Done::ok(Effect::Revoked))),
            );
            revoke_answer(app, &more);
        }
    }
}

fn many(n: usize) -> Vec<ApiKey> {
    (0..n)
        .map(|i| ApiKey {
            api_key_id: ApiKeyId(format!("m{i:021}")),
            name: format!("key {i:02}"),
        })
        .collect()
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

// ---------------------------------------------------------------- live data

fn list_reqs(cmds: &[Command]) -> Vec<ReqId> {
    api_cmds(cmds)
        .into_iter()
        .filter(|(_, op)| *op == ApiOp::ListKeys)
        .map(|(r, _)| r)
        .collect()
}

#[test]
fn the_periodic_refresh_spends_one_request_per_interval() {
    let mut app = App::new(ctx());
    app.size = (120, 40);
    app.live.every_ms = 60_000;
    let cmds = init(&mut app);
    settle(&mut app, cmds);
    assert_eq!(app.live.due_at, Some(60_000));
    assert_eq!(
        app.next_wakeup(),
        Some(60_000),
        "the loop sleeps until then"
    );
    typed(&mut app, "jj");
    let before = selected_name(&app);
    assert!(api_cmds(&update(&mut app, Msg::Tick(59_999))).is_empty());
    let cmds = update(&mut app, Msg::Tick(60_000));
    let sent = api_cmds(&cmds);
    assert_eq!(sent.len(), 1, "one request: {sent:?}");
    assert_eq!(sent[0].1, ApiOp::ListKeys);
    // nothing more while it is under way, however often the loop ticks
    assert!(api_cmds(&update(&mut app, Msg::Tick(61_000))).is_empty());
    assert_eq!(app.next_wakeup(), None);
    let mut list = keys();
    list.insert(
        0,
        ApiKey {
            api_key_id: ApiKeyId("n00000000000000000000a".into()),
            name: "made elsewhere".into(),
        },
    );
    let more = update(&mut app, answer(sent[0].0, ApiResult::Keys(Ok(list))));
    // the journal is read again (rotations other processes recorded), and the new key's scopes
    // (it is scored like the rest); the keys already known are not read again
    let fresh = ApiKeyId("n00000000000000000000a".into());
    let mut asked: Vec<ApiOp> = api_cmds(&more).into_iter().map(|(_, op)| op).collect();
    asked.sort_by_key(|op| format!("{op:?}"));
    assert_eq!(
        asked,
        vec![ApiOp::GetKey(fresh.clone()), ApiOp::ReadJournal]
    );
    assert!(app.live.is_new(&fresh));
    assert_eq!(selected_name(&app), before, "the cursor stays on its key");
    assert!(app.toast.as_ref().is_some_and(|t| t.text.contains("1 new")));
    assert_eq!(app.live.due_at, Some(121_000));
    // the badge goes after BADGE_MS; the loop wakes for it
    assert_eq!(
        app.next_wakeup().map(|t| t <= 61_000 + live::BADGE_MS),
        Some(true)
    );
    update(&mut app, Msg::Tick(61_000 + live::BADGE_MS));
    assert!(!app.live.is_new(&fresh));
    assert_eq!(app.live.sent, 1);
}

#[test]
fn the_periodic_refresh_waits_while_a_dialog_is_open() {
    let mut app = App::new(ctx());
    app.size = (120, 40);
    app.live.every_ms = 2_000;
    let cmds = init(&mut app);
    settle(&mut app, cmds);
    update(&mut app, key('?'));
    assert!(list_reqs(&update(&mut app, Msg::Tick(5_000))).is_empty());
    assert_eq!(
        app.next_wakeup().filter(|t| *t <= 5_000),
        None,
        "no wakeup for the refresh while paused"
    );
    update(&mut app, code(KeyCode::Esc));
    // due since long: the loop wakes at once, one request goes out
    assert!(app.next_wakeup().is_some_and(|t| t <= 5_000));
    assert_eq!(list_reqs(&update(&mut app, Msg::Tick(5_001))).len(), 1);
}

#[test]
fn refresh_off_never_wakes_the_loop() {
    let mut app = loaded();
    assert_eq!(app.live.every_ms, 0);
    update(&mut app, Msg::Tick(10_000));
    assert!(app.toast.is_none());
    assert_eq!(app.next_wakeup(), None);
    assert!(list_reqs(&update(&mut app, Msg::Tick(1_000_000))).is_empty());
}

#[test]
fn keys_gone_elsewhere_are_named_and_ctrl_r_takes_over_a_periodic_refresh() {
    let mut app = App::new(ctx());
    app.size = (120, 40);
    app.live.every_ms = 1_000;
    let cmds = init(&mut app);
    settle(&mut app, cmds);
    let req = list_reqs(&update(&mut app, Msg::Tick(1_000)))[0];
    // Ctrl-r meanwhile: no second request, and the answer counts as the user's
    assert!(api_cmds(&update(&mut app, ctrl('r'))).is_empty());
    let mut list = keys();
    list.retain(|k| k.name != "webhooks");
    let more = update(&mut app, answer(req, ApiResult::Keys(Ok(list))));
    assert!(
        !api_cmds(&more).is_empty(),
        "scopes read again after Ctrl-r"
    );
    assert!(
        app.log
            .iter()
            .any(|l| l.text.contains("1 gone ('webhooks')")),
        "{:?}",
        app.log
    );
}

#[test]
fn clock_times_are_local_hh_mm_ss() {
    let c = Clock {
        start_unix_ms: 1_700_000_000_000,
        utc_offset_s: 3_600,
    };
    // 2023-11-14 22:13:20 UTC, 23:13:20 at UTC+1
    assert_eq!(c.hms(0), "23:13:20");
    assert_eq!(c.hms(45_000), "23:14:05");
    assert_eq!(Clock::default().hms(5_000), "00:00:05");
    let west = Clock {
        start_unix_ms: 0,
        utc_offset_s: -5 * 3_600,
    };
    assert_eq!(west.hms(0), "19:00:00");
}

// ---------------------------------------------------------------- help, command line

fn help_scroll(app: &App) -> usize {
    match &app.modal {
        Some(Modal::Help(h)) => h.scroll,
        _ => usize::MAX,
    }
}

#[test]
fn help_keys_scroll_and_slash_filters() {
    let mut app = loaded();
    app.size = (80, 24);
    update(&mut app, key('?'));
    assert_eq!(app.layer(), Layer::Help);
    let max = match &app.modal {
        Some(Modal::Help(h)) => overlays::help_max_scroll(h, false, 24),
        _ => 0,
    };
    assert!(max > 0, "the list help is longer than 24 rows");
    typed(&mut app, "jj");
    assert_eq!(help_scroll(&app), 2, "j scrolls, it is not typed");
    update(&mut app, key('k'));
    assert_eq!(help_scroll(&app), 1);
    update(&mut app, key('G'));
    assert_eq!(help_scroll(&app), max);
    update(&mut app, key('j'));
    assert_eq!(help_scroll(&app), max, "stops at the end");
    update(&mut app, key('k'));
    assert_eq!(
        help_scroll(&app),
        max - 1,
        "one up from the end moves at once"
    );
    update(&mut app, key('g'));
    assert_eq!(help_scroll(&app), 0);
    update(&mut app, code(KeyCode::PageDown));
    assert!(help_scroll(&app) > 1);
    update(&mut app, code(KeyCode::PageUp));
    assert_eq!(help_scroll(&app), 0);
    // `/` starts the filter: now letters are typed
    update(&mut app, key('/'));
    assert_eq!(app.layer(), Layer::HelpFilter);
    typed(&mut app, "jk");
    assert!(matches!(&app.modal, Some(Modal::Help(h)) if h.filter.value() == "jk"));
    // Esc leaves the filter, then the overlay
    update(&mut app, code(KeyCode::Esc));
    assert_eq!(app.layer(), Layer::Help);
    assert!(matches!(&app.modal, Some(Modal::Help(h)) if h.filter.value().is_empty()));
    update(&mut app, code(KeyCode::Esc));
    assert!(app.modal.is_none());
}

fn command(app: &mut App, line: &str) -> Vec<Command> {
    let mut out = update(app, key(':'));
    assert_eq!(app.layer(), Layer::Command);
    out.extend(typed(app, line));
    out.extend(update(app, code(KeyCode::Enter)));
    out
}

#[test]
fn the_command_line_switches_context_and_refreshes() {
    let mut app = loaded();
    // `:` reads the subusers once, for completion
    let cmds = update(&mut app, key(':'));
    assert!(
        api_cmds(&cmds)
            .iter()
            .any(|(_, op)| *op == ApiOp::ListSubusers)
    );
    settle(&mut app, cmds);
    typed(&mut app, "ctx a");
    update(&mut app, code(KeyCode::Tab));
    assert!(matches!(&app.modal, Some(Modal::Command(c)) if c.input.value() == "ctx acme-eu"));
    let cmds = update(&mut app, code(KeyCode::Enter));
    assert!(app.modal.is_none());
    assert_eq!(
        app.ctx.on_behalf_of,
        Some(crate::api::OnBehalfOf::Subuser("acme-eu".into()))
    );
    assert_eq!(app.ctx.region, Some(crate::api::Region::Eu));
    assert!(cmds.contains(&Command::CancelReads));
    settle(&mut app, cmds);
    // back to the own account
    let cmds = command(&mut app, "ctx -");
    assert_eq!(app.ctx.on_behalf_of, None);
    settle(&mut app, cmds);
    // :refresh is Ctrl-r
    let cmds = command(&mut app, "refresh");
    assert!(list_reqs(&cmds).len() == 1);
    settle(&mut app, cmds);
    // :keys back to the list
    update(&mut app, code(KeyCode::Tab));
    assert_eq!(app.focus, Pane::Detail);
    command(&mut app, "keys");
    assert_eq!(app.focus, Pane::List);
}

#[test]
fn ctx_waits_for_the_subusers_and_refuses_unknown_names() {
    let mut app = loaded();
    // typed before the subusers are known: switches once they are
    let mut cmds = update(&mut app, key(':'));
    cmds.extend(typed(&mut app, "ctx acme-eu"));
    cmds.extend(update(&mut app, code(KeyCode::Enter)));
    assert_eq!(app.ctx.on_behalf_of, None);
    assert_eq!(app.want_ctx.as_deref(), Some("acme-eu"));
    settle(&mut app, cmds);
    assert_eq!(
        app.ctx.on_behalf_of,
        Some(crate::api::OnBehalfOf::Subuser("acme-eu".into()))
    );
    // an unknown subuser: said, no switch
    command(&mut app, "ctx nobody");
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("no subuser 'nobody'"))
    );
    assert_eq!(
        app.ctx.on_behalf_of,
        Some(crate::api::OnBehalfOf::Subuser("acme-eu".into()))
    );
}

#[test]
fn unknown_commands_and_unbound_keys_say_so() {
    let mut app = loaded();
    command(&mut app, "pods");
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.starts_with("unknown command ':pods'")),
        "{:?}",
        app.toast
    );
    update(&mut app, key('x'));
    assert_eq!(
        app.toast.as_ref().map(|t| t.text.as_str()),
        Some("no action for x — ? for help")
    );
    // not logged: a stray key is no event
    assert!(!app.log.iter().any(|l| l.text.contains("no action")));
    // :q quits
    let cmds = command(&mut app, "q");
    assert!(cmds.contains(&Command::Quit));
}

// ---------------------------------------------------------------- rotate and the journal view

/// 2026-11-28 09:30:00 UTC.
const ROTATE_DAY_MS: u64 = 1_795_858_200_000;

fn new_key_secret() -> Secret {
    Secret::parse(&format!("SG.{}.{}", "R".repeat(22), "s".repeat(43))).unwrap()
}

fn new_key_id() -> ApiKeyId {
    ApiKeyId("R".repeat(22))
}

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

fn jentry(
    action: crate::journal::Action,
    key_id: &str,
    obo: Option<&str>,
    name: &str,
) -> crate::journal::Entry {
    let mut e =
        crate::journal::Entry::new(action, "http://sim", obo.map(str::to_owned), key_id, "tui");
    e.time = "2026-11-28T09:00:00Z".into();
    e.name = Some(name.into());
    e.settle(crate::journal::Outcome::Ok, Some(200), None);
    e
}

fn rotation_entry() -> crate::journal::Entry {
    let mut e = jentry(
        crate::journal::Action::Rotate,
        new_key_id().as_str(),
        None,
        "marketing (rotated 2026-11-28)",
    );
    e.replaces = Some(id(1).0);
    e.scopes_after = Some(scopes_for(1));
    e.time = "2026-11-28T09:30:00Z".into();
    e
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
    let line = rotate::pending_line(&app, &id(1)).unwrap();
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
    let cmds = update(&mut app, key('a'));
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
                    op: ApiOp::ListKeys,
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
    for (req, op) in gets {
        let ApiOp::GetKey(k) = op else { panic!() };
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
        update(&mut app, answer(req, ApiResult::Key(Ok(detail))));
    }
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
    let cmds = update(&mut app, key('a'));
    let (req, _) = api_cmds(&cmds)[0].clone();
    let sub = Subuser {
        id: 1,
        username: "acme-eu".into(),
        email: "eu@acme.test".into(),
        disabled: false,
        region: None,
    };
    let cmds = update(&mut app, answer(req, ApiResult::Subusers(Ok(vec![sub]))));
    let (list_req, _) = api_cmds(&cmds)[0].clone();
    update(&mut app, key('a')); // leave all contexts
    assert!(app.sweep().is_none());
    let cmds = update(&mut app, key('a')); // and back: a new sweep
    let (list2, _) = api_cmds(&cmds)[0].clone();
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
    assert_eq!(app.prefetch.total, 300);
}
