//! Test fixtures shared by the integration tests: a realistic, fixed account of 16 keys, and
//! helpers that drive the real state machine (`init` / `update`) with key presses and worker
//! answers, so every screen is reached the way a user reaches it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod readme;
pub mod run;
pub mod screen;
pub mod simulator;
pub mod tmux;

use std::collections::BTreeSet;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sgkeys::api::{ApiError, ApiKey, ApiKeyId, CallRecord, CreatedKey, KeyDetail, Region, Subuser};
use sgkeys::app::{
    self, ApiEvent, ApiOp, ApiResult, App, Command, Context, Done, Effect, Msg, Mutation,
};
use sgkeys::presets::PRESETS;
use sgkeys::scopes;
use sgkeys::secret::Secret;

pub mod dash;
pub mod env;

/// Base URL shown in the header.
pub const BASE_URL: &str = "https://api.sendgrid.com";
/// The key sgkeys itself uses (warned about when revoking it).
pub const CALLER_ID: &str = "Sg9KeYs4DaSh7BoArD2uIx";
/// Id and secret of the key the create flow answers with.
pub const NEW_ID: &str = "Nw1Ky2Cr3Ea4Te5Dd6Ff7G";
pub const NEW_SECRET: &str =
    "SG.Nw1Ky2Cr3Ea4Te5Dd6Ff7G.abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE";
/// Scopes SendGrid adds by itself (shown apart, never counted).
const AUTO: &[&str] = &["2fa_required", "sender_verification_eligible"];

/// How a fixture key's scopes are given.
enum S {
    Full,
    List(&'static [&'static str]),
    Preset(usize),
}

/// (name, id, scopes), in API (creation) order.
const KEYS: &[(&str, &str, S)] = &[
    (
        "ci-deploy: web-frontend (GitHub Actions)",
        "Xq7LmP2vRt9sKd4NbW1cAe",
        S::List(&["mail.send"]),
    ),
    (
        "ci-deploy: api-gateway (GitHub Actions)",
        "Hf3ZpQ8wYc6TgJ0uVn5kBo",
        S::List(&["mail.send"]),
    ),
    (
        "ci-deploy: worker (GitLab CI)",
        "Mn2RsT7yUa4WqE9iOp1LdF",
        S::List(&["mail.send"]),
    ),
    ("prod-mail-key (LEAKED?)", "Pl0KjH5gFd3SaZ8xCv6BnM", S::Full),
    (
        "jenkins: nightly reports",
        "Qw1ErT6yUi9OpA2sDf7GhJ",
        S::List(&[
            "mail.send",
            "stats.read",
            "stats.global.read",
            "email_activity.read",
        ]),
    ),
    (
        "billing-export (finance)",
        "Zx4CvB7nMq2WeR5tYu8IoP",
        S::List(&["billing.read"]),
    ),
    (
        "key-rotation bot",
        "Kr8Bt3Rn6Wq1Ym4Xs7Vp2L",
        S::List(&[
            "api_keys.create",
            "api_keys.delete",
            "api_keys.read",
            "api_keys.update",
        ]),
    ),
    (
        "marketing: HubSpot sync",
        "Mk5HbS2pYn8CmR3kT6wQzX",
        S::List(&[
            "marketing.read",
            "asm.groups.create",
            "asm.groups.delete",
            "asm.groups.read",
            "asm.groups.update",
            "suppression.read",
            "suppression.bounces.read",
            "suppression.blocks.read",
            "suppression.invalid_emails.read",
            "suppression.spam_reports.read",
            "suppression.unsubscribes.read",
        ]),
    ),
    ("test", "Ts7Qa1Wz4Xs8Ed2Cr5Vf9T", S::List(&["mail.send"])),
    ("tmp-debug", "Tm3Db6Gx9Yh2Uj5Ik8Ol1P", S::Full),
    (
        "webhooks: event ingest",
        "Wh8Ev2Nt5In7Gs3Tq1Rp4S",
        S::Preset(3),
    ),
    (
        "support dashboard (read-only)",
        "Sp6Rd4Sh8Bd2Rn9Lo3Yk7Q",
        S::Preset(7),
    ),
    (
        "ci-deploy: worker (GitLab CI)",
        "Dp2Ln4Mz6Xc8Vb0Nq3Wr5T",
        S::List(&["mail.send", "mail.batch.read"]),
    ),
    (
        "legacy SMTP relay",
        "Lg5Sm9Tp2Rl4Yx7Ck1Zv3B",
        S::List(&["mail.send", "beta.smtp_relay.read"]),
    ),
    (
        "analytics: Looker export",
        "An4Lk7Ex2Pt9Qr5Sw1Dz6F",
        S::List(&[
            "alerts.read",
            "alerts.create",
            "categories.read",
            "stats.read",
            "stats.global.read",
        ]),
    ),
    ("sgkeys dashboard", CALLER_ID, S::Full),
];

/// The fixture's keys as the list endpoint returns them.
pub fn fixture_keys() -> Vec<ApiKey> {
    KEYS.iter()
        .map(|(name, id, _)| {
            assert_eq!(id.len(), 22, "fixture id {id}");
            ApiKey {
                api_key_id: ApiKeyId((*id).to_owned()),
                name: (*name).to_owned(),
            }
        })
        .collect()
}

pub fn full_scopes() -> Vec<String> {
    scopes::full_access_scopes()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// A fixture key's detail (with SendGrid's auto-assigned scopes, as the real API returns them).
pub fn fixture_detail(id: &str) -> Option<KeyDetail> {
    let (name, id, spec) = KEYS.iter().find(|(_, k, _)| *k == id)?;
    let mut scopes: Vec<String> = match spec {
        S::Full => full_scopes(),
        S::List(l) => l.iter().map(|s| (*s).to_owned()).collect(),
        S::Preset(i) => PRESETS[*i].scopes().into_iter().collect(),
    };
    scopes.extend(AUTO.iter().map(|s| (*s).to_owned()));
    Some(KeyDetail {
        api_key_id: ApiKeyId((*id).to_owned()),
        name: (*name).to_owned(),
        scopes,
    })
}

pub fn fixture_subusers() -> Vec<Subuser> {
    vec![
        Subuser {
            id: 101,
            username: "acme-eu".into(),
            email: "eu@acme.test".into(),
            disabled: false,
            region: Some(Region::Eu),
        },
        Subuser {
            id: 102,
            username: "acme-marketing".into(),
            email: "mkt@acme.test".into(),
            disabled: false,
            region: Some(Region::Global),
        },
        Subuser {
            id: 103,
            username: "acme-legacy".into(),
            email: "old@acme.test".into(),
            disabled: true,
            region: None,
        },
    ]
}

/// The dashboard's context: account `acme-corp` on the global API.
pub fn ctx() -> Context {
    Context {
        base_url: BASE_URL.into(),
        account: "acme-corp".into(),
        on_behalf_of: None,
        read_only: false,
        demo: false,
        caller_key_id: Some(CALLER_ID.into()),
        region: None,
    }
}

/// A fresh app of the given size (nothing requested yet).
pub fn new_app(w: u16, h: u16) -> App {
    new_app_with(ctx(), w, h)
}

pub fn new_app_with(ctx: Context, w: u16, h: u16) -> App {
    let mut app = App::new(ctx);
    app::update(&mut app, Msg::Resize(w, h));
    app
}

/// A 503 from the server.
pub fn server_error() -> ApiError {
    ApiError::from_status(
        503,
        br#"{"errors":[{"field":null,"message":"service unavailable, try again later"}]}"#,
        None,
    )
}

/// The fixture's answer to one operation.
pub fn respond(op: &ApiOp) -> ApiResult {
    match op {
        ApiOp::ListKeys | ApiOp::SweepListKeys => ApiResult::Keys(Ok(fixture_keys())),
        ApiOp::SweepStart { .. } => ApiResult::SweepStarted(Ok(None)),
        ApiOp::SweepBegin { .. } => ApiResult::SweepBegun(Ok((0, 0))),
        ApiOp::SweepEnd { .. } => ApiResult::Recorded(Ok(())),
        ApiOp::GetKey(id) | ApiOp::SweepGetKey(id) => ApiResult::Key(
            fixture_detail(id.as_str()).ok_or_else(|| ApiError::from_status(404, b"{}", None)),
        ),
        // the answer as SendGrid sends it: compact JSON, its own key order
        ApiOp::Describe(id) => ApiResult::Described(
            fixture_detail(id.as_str())
                .map(|d| {
                    let body = serde_json::json!({
                        "api_key_id": d.api_key_id.0,
                        "name": d.name,
                        "scopes": d.scopes,
                    });
                    (d, body.to_string())
                })
                .ok_or_else(|| ApiError::from_status(404, b"{}", None)),
        ),
        ApiOp::MyScopes => ApiResult::MyScopes(Ok(full_scopes())),
        ApiOp::ListSubusers => ApiResult::Subusers(Ok(fixture_subusers())),
        ApiOp::Mutate(Mutation::Create { name, scopes, .. }) => {
            let scopes = scopes.clone().unwrap_or_else(full_scopes);
            ApiResult::Mutated(Done::ok(Effect::Created(CreatedKey {
                api_key: Secret::from_server(NEW_SECRET.into()),
                api_key_id: ApiKeyId(NEW_ID.into()),
                name: name.clone(),
                scopes,
            })))
        }
        ApiOp::Mutate(Mutation::Rename { id, name, .. }) => {
            ApiResult::Mutated(Done::ok(Effect::Renamed(ApiKey {
                api_key_id: id.clone(),
                name: name.clone(),
            })))
        }
        ApiOp::Mutate(Mutation::SetScopes {
            id, name, scopes, ..
        }) => ApiResult::Mutated(Done::ok(Effect::Updated(KeyDetail {
            api_key_id: id.clone(),
            name: name.clone(),
            scopes: scopes.clone(),
        }))),
        ApiOp::Mutate(Mutation::Revoke { .. }) => ApiResult::Mutated(Done::ok(Effect::Revoked)),
        ApiOp::Mutate(Mutation::Rotate { name, scopes, .. }) => {
            ApiResult::Mutated(Done::ok(Effect::Created(CreatedKey {
                api_key: Secret::from_server(NEW_SECRET.into()),
                api_key_id: ApiKeyId(NEW_ID.into()),
                name: name.clone(),
                scopes: scopes.clone(),
            })))
        }
        ApiOp::Probe(_) => ApiResult::Probed(sgkeys::leak::Probe::Dead),
        ApiOp::Locate { .. } => ApiResult::Located(sgkeys::app::leak::Whereabouts::Nowhere),
        ApiOp::VerifyDead { .. } => ApiResult::Verified(Ok(sgkeys::leak::Verification {
            dead: true,
            after: std::time::Duration::from_millis(1200),
            attempts: 3,
            ..Default::default()
        })),
        ApiOp::ReadJournal => ApiResult::Journal(Ok(vec![])),
        ApiOp::ReadBack(_) => ApiResult::ReadBack(sgkeys::ops::rotate::ReadBack {
            gone: Some(true),
            error: None,
            journal_error: None,
        }),
        ApiOp::RecordDelivery { .. } => ApiResult::Recorded(Ok(())),
        ApiOp::Recall => ApiResult::Remembered(Ok(None)),
        ApiOp::ListAfterDelay { .. } => ApiResult::AppearedDuringDelay(Ok(vec![])),
    }
}

/// Feed one answer to the app; returns the commands it causes.
pub fn reply(app: &mut App, req: u64, result: ApiResult) -> Vec<Command> {
    app::update(app, Msg::Api(ApiEvent { req, result }))
}

/// Answer every API command from the fixture, and the ones they cause, until none is left.
pub fn answer_all(app: &mut App, cmds: Vec<Command>) {
    answer_where(app, cmds, |_| true);
}

/// Answer the commands whose op matches `pred` (and what they cause); return the others.
pub fn answer_where(
    app: &mut App,
    cmds: Vec<Command>,
    pred: impl Fn(&ApiOp) -> bool,
) -> Vec<Command> {
    let mut queue: std::collections::VecDeque<Command> = cmds.into();
    let mut left = Vec::new();
    let mut guard = 0;
    while let Some(cmd) = queue.pop_front() {
        guard += 1;
        assert!(guard < 100_000, "the answer loop does not settle");
        match cmd {
            Command::Api { req, op, .. } if pred(&op) => {
                let more = reply(app, req, respond(&op));
                queue.extend(more);
            }
            other => left.push(other),
        }
    }
    left
}

/// Parse a key spec: plain characters, or `<Enter>`, `<Esc>`, `<Tab>`, `<S-Tab>`, `<Space>`,
/// `<Up>`, `<Down>`, `<Left>`, `<Right>`, `<Home>`, `<End>`, `<PgUp>`, `<PgDn>`, `<Del>`,
/// `<BS>`, `<F1>`, `<C-x>`.
pub fn keys(spec: &str) -> Vec<KeyEvent> {
    let mut out = Vec::new();
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '<' && chars.peek().is_some_and(|n| n.is_ascii_alphabetic()) {
            let mut name = String::new();
            for n in chars.by_ref() {
                if n == '>' {
                    break;
                }
                name.push(n);
            }
            let ev = match name.as_str() {
                "Enter" => KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
                "Esc" => KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
                "Tab" => KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE),
                "S-Tab" => KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT),
                "Space" => KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE),
                "Up" => KeyEvent::new(KeyCode::Up, KeyModifiers::NONE),
                "Down" => KeyEvent::new(KeyCode::Down, KeyModifiers::NONE),
                "Left" => KeyEvent::new(KeyCode::Left, KeyModifiers::NONE),
                "Right" => KeyEvent::new(KeyCode::Right, KeyModifiers::NONE),
                "Home" => KeyEvent::new(KeyCode::Home, KeyModifiers::NONE),
                "End" => KeyEvent::new(KeyCode::End, KeyModifiers::NONE),
                "PgUp" => KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE),
                "PgDn" => KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE),
                "Del" => KeyEvent::new(KeyCode::Delete, KeyModifiers::NONE),
                "BS" => KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE),
                "F1" => KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE),
                n if n.starts_with("C-") && n.len() == 3 => KeyEvent::new(
                    KeyCode::Char(n.chars().nth(2).unwrap()),
                    KeyModifiers::CONTROL,
                ),
                other => panic!("unknown key <{other}>"),
            };
            out.push(ev);
        } else {
            out.push(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }
    out
}

/// Press keys (see [`keys`]); returns every command they caused, unanswered.
pub fn press(app: &mut App, spec: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for k in keys(spec) {
        out.extend(app::update(app, Msg::Key(k)));
    }
    out
}

/// Press keys and answer whatever they cause from the fixture.
pub fn press_answer(app: &mut App, spec: &str) {
    let cmds = press(app, spec);
    answer_all(app, cmds);
}

/// Let time pass to `now_ms` (absolute); answers what the tick asks for (debounced detail).
pub fn tick(app: &mut App, now_ms: u64) {
    let cmds = app::update(app, Msg::Tick(now_ms));
    answer_all(app, cmds);
}

/// Let the revoke confirmation's first moment pass (it takes no key but Esc before).
pub fn arm(app: &mut App) {
    let now = app.now_ms + app::revoke::ARM_MS;
    tick(app, now);
}

/// The fixture account fully loaded (keys, every key's scopes, the caller's scopes), 12.5 s
/// after start.
pub fn loaded_app(w: u16, h: u16) -> App {
    loaded_app_with(ctx(), w, h)
}

pub fn loaded_app_with(ctx: Context, w: u16, h: u16) -> App {
    let mut app = new_app_with(ctx, w, h);
    let cmds = app::init(&mut app);
    answer_all(&mut app, cmds);
    tick(&mut app, 12_500);
    app
}

/// Move the selection to the first key with this name.
pub fn select_name(app: &mut App, name: &str) {
    press(app, "g");
    for _ in 0..app.view.rows.len() {
        if app.selected().is_some_and(|e| e.name == name) {
            return;
        }
        let cmds = press(app, "j");
        answer_all(app, cmds);
    }
    panic!("no key named {name}");
}

/// A few HTTP exchanges for the `@` log.
pub fn log_calls(app: &mut App) {
    let calls = [
        ("GET", "/v3/api_keys", Some(200), 182, None),
        ("GET", "/v3/scopes", Some(200), 95, None),
        (
            "GET",
            "/v3/api_keys/Pl0KjH5gFd3SaZ8xCv6BnM",
            Some(200),
            121,
            None,
        ),
        (
            "GET",
            "/v3/api_keys/Kr8Bt3Rn6Wq1Ym4Xs7Vp2L",
            Some(429),
            40,
            Some("rate limited"),
        ),
        (
            "GET",
            "/v3/api_keys/Kr8Bt3Rn6Wq1Ym4Xs7Vp2L",
            Some(200),
            133,
            None,
        ),
        (
            "PATCH",
            "/v3/api_keys/Ts7Qa1Wz4Xs8Ed2Cr5Vf9T",
            Some(503),
            2011,
            Some("service unavailable"),
        ),
    ];
    for (i, (method, path, status, ms, err)) in calls.into_iter().enumerate() {
        app::update(app, Msg::Tick(12_500 + i as u64 * 700));
        app::update(
            app,
            Msg::Call(CallRecord {
                method,
                path: path.into(),
                on_behalf_of: None,
                status,
                elapsed_ms: ms,
                attempt: u32::from(status == Some(200) && i == 4),
                rate: None,
                error: err.map(str::to_owned),
            }),
        );
    }
}

/// Scopes of the server's copy in the conflict scenario: someone added `mail.send` and renamed it.
pub fn conflicting(detail: &KeyDetail) -> KeyDetail {
    let mut d = detail.clone();
    d.name = format!("{} (v2)", d.name);
    let mut s: BTreeSet<String> = d.scopes.into_iter().collect();
    s.insert("mail.send".into());
    s.remove("suppression.blocks.read");
    d.scopes = s.into_iter().collect();
    d
}

/// A list of `n` keys for performance tests.
pub fn many_keys(n: usize) -> Vec<ApiKey> {
    (0..n)
        .map(|i| ApiKey {
            api_key_id: ApiKeyId(format!("Bulk{i:018}")),
            name: format!(
                "service-{:05} ({})",
                i,
                ["prod", "staging", "ci", "old"][i % 4]
            ),
        })
        .collect()
}
