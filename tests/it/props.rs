//! Property tests: random sequences of key presses, pastes, resizes, ticks and worker answers
//! (successes, every kind of error, cancellations, in any order) fed into the pure `update`
//! never panic, render at the current size, and keep the model's invariants:
//! - the selection and scroll offset are in range and the visible rows are valid and unique;
//! - the id index matches the entries;
//! - nothing the model waits for is lost: every request a form, the list, a row or the prefetch
//!   waits on is still pending.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers

use crate::common;

use std::collections::HashSet;

use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sgkeys::api::{ApiError, ApiKey, ApiKeyId, CreatedKey, ErrorBody, KeyDetail};
use sgkeys::app::{
    self, ApiEvent, ApiOp, ApiResult, App, Command, CreateStage, Done, Effect, KeyState, Modal,
    Msg, Mutation, Pending, ScopeStage,
};
use sgkeys::secret::Secret;

#[derive(Debug, Clone)]
enum Step {
    Key(usize),
    Char(char),
    Resize(u16, u16),
    Tick(u64),
    /// Answer the n-th outstanding request with outcome k.
    Answer(usize, u8),
    Paste(u8),
}

const KEYS: &[(KeyCode, KeyModifiers)] = &[
    (KeyCode::Char('j'), KeyModifiers::NONE),
    (KeyCode::Char('k'), KeyModifiers::NONE),
    (KeyCode::Char('g'), KeyModifiers::NONE),
    (KeyCode::Char('G'), KeyModifiers::SHIFT),
    (KeyCode::Char('/'), KeyModifiers::NONE),
    (KeyCode::Esc, KeyModifiers::NONE),
    (KeyCode::Enter, KeyModifiers::NONE),
    (KeyCode::Char(' '), KeyModifiers::NONE),
    (KeyCode::Char('a'), KeyModifiers::CONTROL),
    (KeyCode::Char('d'), KeyModifiers::NONE),
    (KeyCode::Char('y'), KeyModifiers::NONE),
    (KeyCode::Char('n'), KeyModifiers::NONE),
    (KeyCode::Char('e'), KeyModifiers::NONE),
    (KeyCode::Char('r'), KeyModifiers::NONE),
    (KeyCode::Char('c'), KeyModifiers::NONE),
    (KeyCode::Char('@'), KeyModifiers::NONE),
    (KeyCode::Char('?'), KeyModifiers::NONE),
    (KeyCode::Char('='), KeyModifiers::NONE),
    (KeyCode::Char('p'), KeyModifiers::NONE),
    (KeyCode::Char('s'), KeyModifiers::NONE),
    (KeyCode::Tab, KeyModifiers::NONE),
    (KeyCode::Char('h'), KeyModifiers::NONE),
    (KeyCode::Char('l'), KeyModifiers::NONE),
    (KeyCode::Char('r'), KeyModifiers::CONTROL),
    (KeyCode::Char('u'), KeyModifiers::CONTROL),
    (KeyCode::Char('d'), KeyModifiers::CONTROL),
    (KeyCode::Backspace, KeyModifiers::NONE),
    (KeyCode::Down, KeyModifiers::NONE),
    (KeyCode::Up, KeyModifiers::NONE),
    (KeyCode::Char('o'), KeyModifiers::NONE),
    (KeyCode::Char('3'), KeyModifiers::NONE),
    (KeyCode::Char('q'), KeyModifiers::NONE),
];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..KEYS.len()).prop_map(Step::Key),
        1 => prop::char::range('a', 'z').prop_map(Step::Char),
        1 => (0u16..260, 0u16..90).prop_map(|(w, h)| Step::Resize(w, h)),
        2 => (0u64..5_000).prop_map(Step::Tick),
        6 => (0usize..64, 0u8..7).prop_map(|(i, k)| Step::Answer(i, k)),
        1 => (0u8..3).prop_map(Step::Paste),
    ]
}

fn err(kind: u8) -> ApiError {
    match kind {
        1 => ApiError::NotFound(ErrorBody::default()),
        2 => ApiError::Server {
            status: 503,
            body: ErrorBody::default(),
        },
        3 => ApiError::Timeout(std::time::Duration::from_secs(1)),
        4 => ApiError::Forbidden(ErrorBody::default()),
        5 => ApiError::BadRequest(ErrorBody::default()),
        _ => ApiError::Cancelled,
    }
}

/// Build an answer for an op: kind 0 = success, otherwise an error of that kind.
fn answer(op: &ApiOp, kind: u8, n: u64) -> ApiResult {
    if kind > 0 && kind <= 6 {
        let e = err(kind);
        return match op {
            ApiOp::ListKeys | ApiOp::SweepListKeys => ApiResult::Keys(Err(e)),
            ApiOp::GetKey(_) | ApiOp::SweepGetKey(_) => ApiResult::Key(Err(e)),
            ApiOp::SweepStart { .. } => ApiResult::SweepStarted(Err(e.short())),
            ApiOp::SweepBegin { .. } => ApiResult::SweepBegun(Err(e.short())),
            ApiOp::SweepEnd { .. } => ApiResult::Recorded(Err(e.short())),
            ApiOp::MyScopes => ApiResult::MyScopes(Err(e)),
            ApiOp::ListSubusers => ApiResult::Subusers(Err(e)),
            ApiOp::Mutate(Mutation::Create { name, .. }) if kind == 4 => {
                ApiResult::Mutated(Done::err(ApiError::CreatedSecretLost {
                    id: format!("L{n:021}"),
                    cause: format!("lost answer for {name}"),
                }))
            }
            ApiOp::Mutate(Mutation::Create { .. }) => ApiResult::Mutated(Done::err(e)),
            ApiOp::Mutate(Mutation::Rename { .. }) => ApiResult::Mutated(Done::err(e)),
            ApiOp::Mutate(Mutation::SetScopes { .. }) => ApiResult::Mutated(Done::err(e)),
            ApiOp::Mutate(Mutation::Revoke { .. } | Mutation::Rotate { .. }) => {
                ApiResult::Mutated(Done::err(e))
            }
            ApiOp::VerifyDead { .. } => ApiResult::Verified(Err(e)),
            ApiOp::Probe(_) => ApiResult::Probed(sgkeys::leak::Probe::Unknown(e.short())),
            ApiOp::Locate { .. } => {
                ApiResult::Located(sgkeys::app::leak::Whereabouts::Unsure(vec![e.short()]))
            }
            ApiOp::ReadJournal => ApiResult::Journal(Err(e.short())),
            ApiOp::Describe(_) => ApiResult::Described(Err(e)),
            ApiOp::ReadBack(_) => ApiResult::ReadBack(sgkeys::ops::rotate::ReadBack {
                gone: None,
                error: Some(e.short()),
                journal_error: None,
            }),
            ApiOp::RecordDelivery { .. } => ApiResult::Recorded(Err(e.short())),
            ApiOp::Recall => ApiResult::Remembered(Err(e.short())),
            ApiOp::ListAfterDelay { .. } => ApiResult::AppearedDuringDelay(Err(e)),
        };
    }
    match op {
        ApiOp::ListKeys => {
            // the account changes between loads: sometimes a key fewer, sometimes one more
            let mut keys = common::fixture_keys();
            match n % 3 {
                0 => {
                    keys.pop();
                }
                1 => keys.push(ApiKey {
                    api_key_id: ApiKeyId(format!("X{n:021}")),
                    name: format!("extra {n}"),
                }),
                _ => {}
            }
            ApiResult::Keys(Ok(keys))
        }
        ApiOp::GetKey(id) => match common::fixture_detail(id.as_str()) {
            Some(d) => ApiResult::Key(Ok(d)),
            None => ApiResult::Key(Ok(KeyDetail {
                api_key_id: id.clone(),
                name: "extra".into(),
                scopes: vec!["mail.send".into()],
            })),
        },
        // every created key gets its own id and secret, as the server does
        ApiOp::Mutate(Mutation::Create { name, scopes, .. }) => {
            ApiResult::Mutated(Done::ok(Effect::Created(CreatedKey {
                api_key: Secret::from_server(format!("SG.N{n:021}.{}", "x".repeat(43))),
                api_key_id: ApiKeyId(format!("N{n:021}")),
                name: name.clone(),
                scopes: scopes.clone().unwrap_or_else(|| vec!["mail.send".into()]),
            })))
        }
        other => common::respond(other),
    }
}

fn check_invariants(app: &App) {
    let n = app.view.rows.len();
    if n == 0 {
        assert_eq!(app.view.selected, 0);
    } else {
        assert!(
            app.view.selected < n,
            "selection {} out of {n}",
            app.view.selected
        );
        assert!(
            app.view.offset <= app.view.selected,
            "offset past selection"
        );
    }
    let mut seen = HashSet::new();
    for r in &app.view.rows {
        assert!(*r < app.keys.entries.len(), "row index out of range");
        assert!(seen.insert(*r), "row listed twice");
    }
    assert_eq!(
        app.keys.index.len(),
        app.keys.entries.len(),
        "index out of step"
    );
    for (i, e) in app.keys.entries.iter().enumerate() {
        assert_eq!(app.keys.index.get(&e.id), Some(&i));
        if let Some(r) = e.state.scopes().and_then(|s| s.req()) {
            assert!(
                app.pending.contains_key(&r),
                "row waits on a forgotten request"
            );
        }
        if let KeyState::Revoking { req: Some(r), .. } = &e.state {
            assert!(
                matches!(app.pending.get(r), Some(Pending::Delete { id, .. }) if *id == e.id),
                "a revoking row's request is not a pending revoke of it"
            );
        }
    }
    if let Some(r) = app.keys.status.req() {
        assert!(
            matches!(app.pending.get(&r), Some(Pending::List { .. })),
            "list waits on a forgotten request"
        );
    }
    let prefetching = app
        .pending
        .values()
        .filter(|p| {
            matches!(
                p,
                Pending::Prefetch {
                    whose: sgkeys::app::Whose::Here,
                    ..
                }
            )
        })
        .count();
    assert_eq!(
        app.keys.prefetch.in_flight, prefetching,
        "prefetch count out of step"
    );
    match &app.modal {
        Some(Modal::EditScopes(f)) => {
            if let ScopeStage::Checking(r) | ScopeStage::Saving(r) = f.stage {
                assert!(
                    app.pending.contains_key(&r),
                    "scope form waits on a forgotten request"
                );
            }
        }
        Some(Modal::Create(f)) => {
            if let CreateStage::Submitting(r) = f.stage {
                assert!(
                    app.pending.contains_key(&r),
                    "create form waits on a forgotten request"
                );
            }
        }
        Some(Modal::Rename(f)) => {
            if let Some(r) = f.saving {
                assert!(
                    app.pending.contains_key(&r),
                    "rename form waits on a forgotten request"
                );
            }
        }
        _ => {}
    }
    for id in &app.view.marks {
        assert!(
            app.keys.index.contains_key(id),
            "a mark on a key that is gone"
        );
    }
}

fn run(steps: &[Step], read_only: bool) {
    let mut ctx = common::ctx();
    ctx.read_only = read_only;
    let mut app = common::new_app_with(ctx, 100, 30);
    let mut outstanding: Vec<(u64, ApiOp)> = Vec::new();
    let mut now = 0u64;
    let mut counter = 0u64;
    let take = |cmds: Vec<Command>, outstanding: &mut Vec<(u64, ApiOp)>| -> Vec<(u64, ApiOp)> {
        let mut cancelled = Vec::new();
        for c in cmds {
            match c {
                Command::Api { req, op, .. } => {
                    if read_only {
                        assert!(!op.is_mutation(), "read-only mode issued {op:?}");
                    }
                    outstanding.push((req, op));
                }
                // the worker answers every cancelled read with Cancelled
                Command::CancelReads => {
                    outstanding.retain(|(req, op)| {
                        if op.is_mutation() {
                            true
                        } else {
                            cancelled.push((*req, op.clone()));
                            false
                        }
                    });
                }
                Command::Copy { .. } | Command::Quit => {}
            }
        }
        cancelled
    };
    let init = app::init(&mut app);
    take(init, &mut outstanding);
    for s in steps {
        let cmds = match s {
            Step::Key(i) => {
                let (code, mods) = KEYS[*i];
                app::update(&mut app, Msg::Key(KeyEvent::new(code, mods)))
            }
            Step::Char(c) => app::update(
                &mut app,
                Msg::Key(KeyEvent::new(KeyCode::Char(*c), KeyModifiers::NONE)),
            ),
            Step::Resize(w, h) => app::update(&mut app, Msg::Resize(*w, *h)),
            Step::Tick(d) => {
                now += d;
                app::update(&mut app, Msg::Tick(now))
            }
            Step::Paste(k) => {
                let text = match k {
                    0 => format!(
                        "SG.{}.{}",
                        common::fixture_keys()[2].api_key_id,
                        "s".repeat(43)
                    ),
                    1 => "pasted text\nwith lines".to_owned(),
                    _ => format!("SG.{}.{}", "Q".repeat(22), "s".repeat(43)),
                };
                app::update(&mut app, Msg::Paste(text))
            }
            Step::Answer(i, k) => {
                if outstanding.is_empty() {
                    continue;
                }
                let (req, op) = outstanding.remove(i % outstanding.len());
                counter += 1;
                app::update(
                    &mut app,
                    Msg::Api(ApiEvent {
                        req,
                        result: answer(&op, *k, counter),
                    }),
                )
            }
        };
        let cancelled = take(cmds, &mut outstanding);
        for (req, op) in cancelled {
            // the worker answers each cancelled read with Cancelled, in the op's own variant
            let more = app::update(
                &mut app,
                Msg::Api(ApiEvent {
                    req,
                    result: answer(&op, 6, 0),
                }),
            );
            take(more, &mut outstanding);
        }
        check_invariants(&app);
        let (w, h) = app.size;
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| sgkeys::ui::draw(f, &app)).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn random_sessions_keep_invariants(steps in prop::collection::vec(step(), 1..120)) {
        run(&steps, false);
    }

    #[test]
    fn random_read_only_sessions_never_mutate(steps in prop::collection::vec(step(), 1..80)) {
        run(&steps, true);
    }
}

#[test]
fn a_created_key_with_its_secret_lost_is_listed_and_explained() {
    let mut app = common::loaded_app(100, 30);
    let cmds = common::press(&mut app, "n");
    assert!(cmds.is_empty());
    common::press(&mut app, "lost<Tab><Right><Enter>");
    let cmds = common::press(&mut app, "y");
    let (req, _) = cmds
        .iter()
        .find_map(|c| match c {
            Command::Api {
                req,
                op: op @ ApiOp::Mutate(Mutation::Create { .. }),
                ..
            } => Some((*req, op.clone())),
            _ => None,
        })
        .unwrap();
    let id = "L000000000000000000001".to_owned();
    common::reply(
        &mut app,
        req,
        ApiResult::Mutated(Done::err(ApiError::CreatedSecretLost {
            id: id.clone(),
            cause: "503".into(),
        })),
    );
    assert!(app.modal.is_none());
    assert_eq!(app.selected().map(|e| e.id.0.clone()), Some(id));
    let t = app.toast.as_ref().unwrap();
    assert!(
        t.text.contains("cannot be recovered") && t.text.contains("revoke"),
        "{}",
        t.text
    );
}
