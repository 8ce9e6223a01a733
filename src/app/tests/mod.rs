//! Pure `update()` tests: feed messages, assert state and returned commands. No terminal, no
//! network, no clock.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::api::{ApiError, ApiKey, CreatedKey, ErrorBody, KeyDetail, Subuser};
use crate::secret::Secret;

// new tests go in files of their own beside this one (`tests/*.rs`); they see these helpers
mod answered;
mod burst;
mod command;
mod contexts;
mod copy;
mod describe;
mod forms;
mod gone;
mod leak;
mod list;
mod live;
mod log;
mod matrix;
mod questions;
mod revoke;
mod rotate;
mod screen;
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
                ApiOp::ListKeys | ApiOp::SweepListKeys => ApiResult::Keys(Ok(keys())),
                ApiOp::SweepStart { .. } => ApiResult::SweepStarted(Ok(None)),
                ApiOp::SweepBegin { .. } => ApiResult::SweepBegun(Ok((0, 0))),
                ApiOp::SweepEnd { .. } => ApiResult::Recorded(Ok(())),
                ApiOp::GetKey(k) | ApiOp::SweepGetKey(k) => {
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

/// Let an armed confirmation's first moment pass (revoke, quit, discard: it takes no key but
/// Esc and `n` before).
fn arm(app: &mut App) {
    let now = app.now_ms + crate::app::confirm::ARM_MS;
    update(app, Msg::Tick(now));
}

/// `d`, the dialog armed, `y`: the selected key's revoke sent; its request id.
fn revoke_selected(app: &mut App) -> ReqId {
    update(app, key('d'));
    arm(app);
    let cmds = update(app, key('y'));
    api_cmds(&cmds)[0].0
}

fn typed(app: &mut App, s: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for c in s.chars() {
        out.extend(update(app, key(c)));
    }
    out
}

fn common_server_error() -> ApiError {
    ApiError::Server {
        status: 500,
        body: ErrorBody::default(),
    }
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

// ---------------------------------------------------------------- live data

fn list_reqs(cmds: &[Command]) -> Vec<ReqId> {
    api_cmds(cmds)
        .into_iter()
        .filter(|(_, op)| *op == ApiOp::ListKeys)
        .map(|(r, _)| r)
        .collect()
}

fn command(app: &mut App, line: &str) -> Vec<Command> {
    let mut out = update(app, key(':'));
    assert_eq!(app.layer(), Layer::Command);
    out.extend(typed(app, line));
    out.extend(update(app, code(KeyCode::Enter)));
    out
}

fn new_key_secret() -> Secret {
    Secret::parse(&format!("SG.{}.{}", "R".repeat(22), "s".repeat(43))).unwrap()
}

fn new_key_id() -> ApiKeyId {
    ApiKeyId("R".repeat(22))
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
