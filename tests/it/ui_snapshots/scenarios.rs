//! Every state of the dashboard the snapshots and sweeps draw, reached through the real
//! `init`/`update` with the shared fixture (`common`); [`ALL`] lists them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use sgkeys::app::{self, ApiOp, ApiResult, App, Command, Context, Modal, Msg};

pub(super) fn loading(w: u16, h: u16) -> App {
    let mut app = new_app(w, h);
    let _ = app::init(&mut app);
    app::update(&mut app, Msg::Tick(240));
    app
}

pub(super) fn empty(w: u16, h: u16) -> App {
    let mut app = new_app(w, h);
    for cmd in app::init(&mut app) {
        if let Command::Api { req, op, .. } = cmd {
            let result = match op {
                ApiOp::ListKeys => ApiResult::Keys(Ok(vec![])),
                other => respond(&other),
            };
            reply(&mut app, req, result);
        }
    }
    tick(&mut app, 3_000);
    app
}

pub(super) fn load_failed(w: u16, h: u16) -> App {
    let mut app = new_app(w, h);
    for cmd in app::init(&mut app) {
        if let Command::Api { req, op, .. } = cmd {
            let result = match op {
                ApiOp::ListKeys => ApiResult::Keys(Err(server_error())),
                other => respond(&other),
            };
            reply(&mut app, req, result);
        }
    }
    app
}

pub(super) fn loaded(w: u16, h: u16) -> App {
    loaded_app(w, h)
}

pub(super) fn filtered(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "/ci<Enter>");
    app
}

pub(super) fn filter_editing(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "/risk:high !tmp");
    app
}

pub(super) fn no_match(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "/zzz type:nope<Enter>");
    app
}

pub(super) fn detail_expanded(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "analytics: Looker export");
    press_answer(&mut app, "<Tab><Space>jj");
    app
}

pub(super) fn help(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "?");
    app
}

pub(super) fn help_filtered(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "?/scope");
    app
}

pub(super) fn rename(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "test");
    press_answer(&mut app, "r<BS><BS><BS><BS>smoke-test: staging");
    app
}

pub(super) fn rename_error(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "test");
    press_answer(&mut app, "r<BS><BS><BS><BS><Enter>");
    app
}

pub(super) fn scopes_editing(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "marketing: HubSpot sync");
    // Alerts → Read, then expand Mail Send and grant mail.send
    press_answer(&mut app, "el");
    press_answer(&mut app, "jjjjjjjjjj<Space>jjjjj<Space>");
    app
}

pub(super) fn scopes_billing_locked(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "marketing: HubSpot sync");
    press_answer(&mut app, "ejjjl");
    app
}

pub(super) fn scopes_review(w: u16, h: u16) -> App {
    let mut app = scopes_editing(w, h);
    press_answer(&mut app, "<Enter>");
    app
}

pub(super) fn trim_review(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "jenkins: nightly reports");
    // "Stats read-only": drops mail.send, adds the rest of the stats scopes
    press_answer(&mut app, "pjj<Enter>");
    assert!(matches!(&app.modal, Some(Modal::EditScopes(f)) if f.stage == app::ScopeStage::Review));
    app
}

pub(super) fn scopes_checking(w: u16, h: u16) -> App {
    let mut app = scopes_review(w, h);
    let _ = press(&mut app, "y");
    app
}

pub(super) fn scopes_conflict(w: u16, h: u16) -> App {
    let mut app = scopes_review(w, h);
    let cmds = press(&mut app, "y");
    for cmd in cmds {
        if let Command::Api {
            req,
            op: ApiOp::GetKey(id),
            ..
        } = cmd
        {
            let server = conflicting(&fixture_detail(id.as_str()).unwrap());
            reply(&mut app, req, ApiResult::Key(Ok(server)));
        }
    }
    assert!(
        matches!(&app.modal, Some(Modal::EditScopes(f)) if matches!(f.stage, app::ScopeStage::Conflict(_)))
    );
    app
}

pub(super) fn scopes_saving(w: u16, h: u16) -> App {
    let mut app = scopes_conflict(w, h);
    let _ = press(&mut app, "o");
    app
}

/// The discard question once it takes keys (its first 0.4 s is `confirm_quit`'s).
pub(super) fn scopes_discard(w: u16, h: u16) -> App {
    let mut app = scopes_editing(w, h);
    press_answer(&mut app, "<Esc>");
    arm(&mut app);
    app
}

pub(super) fn create_custom_preset(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(
        &mut app,
        "nci-deploy: billing-svc<Tab><Tab><Right><Right><Tab>",
    );
    app
}

pub(super) fn create_name(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "nnew key");
    app
}

pub(super) fn create_full(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "nadmin<Tab><Right>");
    app
}

pub(super) fn create_review(w: u16, h: u16) -> App {
    let mut app = create_custom_preset(w, h);
    press_answer(&mut app, "<Enter>");
    app
}

pub(super) fn create_submitting(w: u16, h: u16) -> App {
    let mut app = create_review(w, h);
    let _ = press(&mut app, "y");
    app
}

pub(super) fn create_discard(w: u16, h: u16) -> App {
    let mut app = create_custom_preset(w, h);
    press_answer(&mut app, "<Esc>");
    app
}

pub(super) fn create_billing_refused(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "nbilling export<Tab><Right><Right><Enter>");
    app
}

pub(super) fn command_line(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, ":ctx acme-");
    app
}

pub(super) fn new_key_badge(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    app.live.every_ms = 60_000;
    press_answer(&mut app, "jj");
    let mut list = fixture_keys();
    list.insert(
        2,
        sgkeys::api::ApiKey {
            api_key_id: "Nw0Ne1Wk2Ey3Fr4Om5El6S".into(),
            name: "made elsewhere".into(),
        },
    );
    let cmds = app::update(&mut app, Msg::Tick(80_000));
    for cmd in cmds {
        if let Command::Api { req, .. } = cmd {
            // the refresh reads the journal again (answered from the fixture); the new key's
            // scopes are still being read (its row is badged, its score to come)
            let more = reply(&mut app, req, ApiResult::Keys(Ok(list.clone())));
            answer_where(&mut app, more, |op| !matches!(op, ApiOp::GetKey(_)));
        }
    }
    app
}

pub(super) fn secret(w: u16, h: u16) -> App {
    let mut app = create_review(w, h);
    press_answer(&mut app, "y");
    assert!(matches!(app.modal, Some(Modal::Secret(_))));
    app
}

pub(super) fn secret_confirm_close(w: u16, h: u16) -> App {
    let mut app = secret(w, h);
    press_answer(&mut app, "<Esc>");
    app
}

/// 2026-11-28 09:30:00 UTC: the day of the rotations below.
pub(super) const ROTATE_DAY_MS: u64 = 1_795_858_200_000;

pub(super) fn rotate_name(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    app.clock.start_unix_ms = ROTATE_DAY_MS - app.now_ms;
    select_name(&mut app, "jenkins: nightly reports");
    press_answer(&mut app, "R");
    assert!(matches!(app.modal, Some(Modal::Rotate(_))));
    app
}

pub(super) fn rotate_many(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    app.clock.start_unix_ms = ROTATE_DAY_MS - app.now_ms;
    press_answer(&mut app, "<Space><Space><Space>R");
    assert!(matches!(&app.modal, Some(Modal::Rotate(f)) if f.many.len() == 3));
    app
}

pub(super) fn rotate_deployed(w: u16, h: u16) -> App {
    let mut app = rotate_name(w, h);
    // the replacement is created, its secret shown; closed uncopied (asked twice)
    let cmds = press(&mut app, "<Enter>");
    answer_with_journal(&mut app, cmds);
    assert!(matches!(app.modal, Some(Modal::Secret(_))));
    press_answer(&mut app, "<Esc><Esc>");
    assert!(matches!(app.modal, Some(Modal::Deployed(_))));
    app
}

/// A journal: a create, a revoke (recreatable), a rotation left pending, an intent without
/// outcome, and a change made for a subuser (shown with `a`).
pub(super) fn journal_fixture() -> Vec<sgkeys::journal::Entry> {
    use sgkeys::journal::{Action, Entry, Outcome, Phase};
    let entry = |action, id: &str, name: &str, time: &str, obo: Option<&str>| {
        let mut e = Entry::new(action, BASE_URL, obo.map(str::to_owned), id, "tui");
        e.name = Some(name.into());
        e.time = time.into();
        e.settle(Outcome::Ok, Some(200), None);
        e
    };
    let create = entry(
        Action::Create,
        "Cr8aTe1dKeY2345678901A",
        "staging smoke test",
        "2026-11-27T16:02:11Z",
        None,
    );
    let mut revoke = entry(
        Action::Revoke,
        "Rv0kEdKeY123456789012B",
        "old zapier hook",
        "2026-11-28T08:15:40Z",
        None,
    );
    revoke.scopes_before = Some(vec!["mail.send".into(), "stats.read".into()]);
    let mut rotate = entry(
        Action::Rotate,
        NEW_ID,
        "jenkins: nightly reports (rotated 2026-11-28)",
        "2026-11-28T09:30:02Z",
        None,
    );
    rotate.replaces = Some("Qw1ErT6yUi9OpA2sDf7GhJ".into());
    rotate.scopes_after = Some(vec!["mail.send".into(), "stats.read".into()]);
    let mut intent = entry(
        Action::Rename,
        "Hf3ZpQ8wYc6TgJ0uVn5kBo",
        "ci-deploy: api-gw",
        "2026-11-28T09:41:17Z",
        None,
    );
    intent.outcome = None;
    intent.ok = false;
    intent.phase = Some(Phase::Intent);
    let eu = entry(
        Action::Revoke,
        "Eu5uBuSeRkEy678901234C",
        "eu marketing",
        "2026-11-28T09:44:00Z",
        Some("acme-eu"),
    );
    vec![create, revoke, rotate, intent, eu]
}

/// Answer the journal reads among `cmds` with [`journal_fixture`], the rest from the fixture.
pub(super) fn answer_with_journal(app: &mut App, cmds: Vec<Command>) {
    let rest = answer_where(app, cmds, |op| !matches!(op, ApiOp::ReadJournal));
    for cmd in rest {
        if let Command::Api {
            req,
            op: ApiOp::ReadJournal,
            ..
        } = cmd
        {
            let _ = reply(app, req, ApiResult::Journal(Ok(journal_fixture())));
        }
    }
}

pub(super) fn rotate_pending_badge(w: u16, h: u16) -> App {
    let mut app = rotate_deployed(w, h);
    let cmds = press(&mut app, "l");
    answer_with_journal(&mut app, cmds);
    select_name(&mut app, "jenkins: nightly reports");
    app
}

pub(super) fn journal(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    let cmds = press(&mut app, "J");
    answer_with_journal(&mut app, cmds);
    assert!(matches!(app.modal, Some(Modal::Journal(_))));
    app
}

pub(super) fn journal_all(w: u16, h: u16) -> App {
    let mut app = journal(w, h);
    press_answer(&mut app, "a");
    app
}

pub(super) fn journal_detail(w: u16, h: u16) -> App {
    let mut app = journal(w, h);
    // newest first: the intent, then the rotation
    press_answer(&mut app, "j<Enter>");
    app
}

pub(super) fn journal_confirm(w: u16, h: u16) -> App {
    let mut app = journal_detail(w, h);
    press_answer(&mut app, "f");
    app
}

pub(super) fn matrix(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "test");
    press_answer(&mut app, "mll");
    app
}

pub(super) fn matrix_sorted(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    // API Keys column, most access first, then scrolled to the last column and back one
    press_answer(&mut app, "mls$h");
    app
}

pub(super) fn matrix_filtered_marked(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "m/type:full<Enter><Space>");
    app
}

pub(super) fn matrix_cell(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "test");
    press_answer(&mut app, "ml<Enter>");
    app
}

/// Every context in one matrix: each subuser answers with two keys of its own.
pub(super) fn matrix_all_contexts(w: u16, h: u16) -> App {
    use sgkeys::api::{ApiKey, ApiKeyId, KeyDetail, OnBehalfOf};
    let mut app = loaded_app(w, h);
    let mut queue: std::collections::VecDeque<Command> = press(&mut app, "ma").into();
    let sub_keys = |sub: &str| -> Vec<(ApiKey, Vec<String>)> {
        let tag: String = sub.chars().filter(char::is_ascii_alphanumeric).collect();
        vec![
            (
                ApiKey {
                    api_key_id: ApiKeyId(format!("{:A<22}", format!("{tag}0"))),
                    name: format!("{sub}: mail send"),
                },
                vec!["mail.send".to_owned()],
            ),
            (
                ApiKey {
                    api_key_id: ApiKeyId(format!("{:A<22}", format!("{tag}1"))),
                    name: format!("{sub}: admin"),
                },
                full_scopes(),
            ),
        ]
    };
    while let Some(cmd) = queue.pop_front() {
        let Command::Api { req, op, ctx, .. } = cmd else {
            continue;
        };
        let sub = match &ctx {
            Some(OnBehalfOf::Subuser(s)) => Some(s.clone()),
            _ => None,
        };
        let result = match (&op, &sub) {
            (ApiOp::ListKeys | ApiOp::SweepListKeys, Some(s)) => {
                ApiResult::Keys(Ok(sub_keys(s).into_iter().map(|(k, _)| k).collect()))
            }
            (ApiOp::GetKey(id) | ApiOp::SweepGetKey(id), Some(s)) => {
                let (k, scopes) = sub_keys(s)
                    .into_iter()
                    .find(|(k, _)| &k.api_key_id == id)
                    .unwrap();
                ApiResult::Key(Ok(KeyDetail {
                    api_key_id: k.api_key_id,
                    name: k.name,
                    scopes,
                }))
            }
            _ => respond(&op),
        };
        queue.extend(reply(&mut app, req, result));
    }
    tick(&mut app, 13_000);
    press_answer(&mut app, "ls");
    app
}

pub(super) fn confirm_delete_single(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "prod-mail-key (LEAKED?)");
    press_answer(&mut app, "d");
    arm(&mut app);
    app
}

/// The first moment of the revoke confirmation: its buttons greyed, a `y` ignored and said.
pub(super) fn confirm_delete_arming(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "prod-mail-key (LEAKED?)");
    press_answer(&mut app, "dy");
    app
}

pub(super) fn confirm_delete_multi(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "test");
    press_answer(&mut app, "<Space><Space>");
    select_name(&mut app, "sgkeys dashboard");
    press_answer(&mut app, "<Space>d");
    arm(&mut app);
    app
}

pub(super) fn confirm_delete_typed(w: u16, h: u16) -> App {
    let mut app = confirm_delete_multi(w, h);
    press_answer(&mut app, "2y");
    app
}

pub(super) fn revoking(w: u16, h: u16) -> App {
    let mut app = confirm_delete_single(w, h);
    let _ = press(&mut app, "y");
    app
}

pub(super) fn contexts(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "c");
    app
}

pub(super) fn contexts_loading(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    let _ = press(&mut app, "c");
    app
}

pub(super) fn log(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    log_calls(&mut app);
    press_answer(&mut app, "@");
    app
}

pub(super) fn log_scrolled(w: u16, h: u16) -> App {
    let mut app = log(w, h);
    press_answer(&mut app, "kk");
    app
}

pub(super) fn diff_keys(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "jenkins: nightly reports");
    press_answer(&mut app, "<Space>");
    select_name(&mut app, "analytics: Looker export");
    press_answer(&mut app, "<Space>=");
    assert!(
        matches!(&app.modal, Some(Modal::Diff(d)) if matches!(d.right, app::DiffRight::Key(_)))
    );
    app
}

pub(super) fn diff_preset(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "jenkins: nightly reports");
    // "Mail Send + Scheduled Sends"
    press_answer(&mut app, "=l");
    assert!(matches!(&app.modal, Some(Modal::Diff(d)) if d.right == app::DiffRight::Preset(1)));
    app
}

pub(super) fn diff_scrolled_past_end(w: u16, h: u16) -> App {
    let mut app = diff_preset(w, h);
    press_answer(&mut app, &"j".repeat(60));
    app
}

pub(super) fn diff_loading(w: u16, h: u16) -> App {
    let mut app = new_app(w, h);
    let cmds = app::init(&mut app);
    // the list and the caller's scopes arrive; no key's scopes do
    let _ = answer_where(&mut app, cmds, |op| !matches!(op, ApiOp::GetKey(_)));
    let _ = press(&mut app, "=");
    app::update(&mut app, Msg::Tick(400));
    assert!(matches!(app.modal, Some(Modal::Diff(_))));
    app
}

pub(super) fn preset_picker(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "jenkins: nightly reports");
    // cursor on "Stats read-only"
    press_answer(&mut app, "pjj");
    assert!(matches!(&app.modal, Some(Modal::Presets(p)) if p.cursor == 2));
    app
}

pub(super) fn error_toast(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    for cmd in press(&mut app, "<C-r>") {
        if let Command::Api { req, op, .. } = cmd {
            let result = match op {
                ApiOp::ListKeys => ApiResult::Keys(Err(server_error())),
                other => respond(&other),
            };
            reply(&mut app, req, result);
        }
    }
    app
}

pub(super) fn refreshing(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    let _ = press(&mut app, "<C-r>");
    app::update(&mut app, Msg::Tick(12_900));
    app
}

pub(super) fn read_only(w: u16, h: u16) -> App {
    loaded_app_with(
        Context {
            read_only: true,
            demo: true,
            ..ctx()
        },
        w,
        h,
    )
}

pub(super) fn monochrome(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    app.theme = sgkeys::config::ThemeName::Mono;
    app
}

pub(super) fn confirm_quit(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "test");
    let _ = press(&mut app, "r-old<Enter>");
    // `q` `y` as one gesture: the question is still arming, and says it ignored the y
    let _ = press(&mut app, "<Esc>qy");
    assert!(matches!(app.modal, Some(Modal::ConfirmQuit(_))));
    app
}

pub(super) fn hostile_names(w: u16, h: u16) -> App {
    let mut app = new_app(w, h);
    for cmd in app::init(&mut app) {
        if let Command::Api { req, op, .. } = cmd {
            let result = match op {
                ApiOp::ListKeys => ApiResult::Keys(Ok(vec![
                    sgkeys::api::ApiKey {
                        api_key_id: "Ev1lN4m3sAr3Fun0000000".into(),
                        name: "\u{1b}[31mred\u{1b}[0m\ttab\nnewline\u{202e}reversed".into(),
                    },
                    sgkeys::api::ApiKey {
                        api_key_id: "W1d3Ch4r5N4m3s00000000".into(),
                        name: "日本語のキー名前がとても長い場合の表示テスト・全角文字".into(),
                    },
                ])),
                other => respond(&other),
            };
            reply(&mut app, req, result);
        }
    }
    app
}

pub(super) type Scenario = (&'static str, fn(u16, u16) -> App);

/// Every state the UI can be in, for the no-panic sweep.
pub(super) const ALL: &[Scenario] = &[
    ("loading", loading),
    ("empty", empty),
    ("load_failed", load_failed),
    ("loaded", loaded),
    ("filtered", filtered),
    ("filter_editing", filter_editing),
    ("no_match", no_match),
    ("detail_expanded", detail_expanded),
    ("help", help),
    ("help_filtered", help_filtered),
    ("rename", rename),
    ("rename_error", rename_error),
    ("scopes_editing", scopes_editing),
    ("scopes_billing_locked", scopes_billing_locked),
    ("scopes_review", scopes_review),
    ("trim_review", trim_review),
    ("scopes_checking", scopes_checking),
    ("scopes_conflict", scopes_conflict),
    ("scopes_saving", scopes_saving),
    ("scopes_discard", scopes_discard),
    ("create_custom_preset", create_custom_preset),
    ("create_name", create_name),
    ("create_full", create_full),
    ("create_review", create_review),
    ("create_submitting", create_submitting),
    ("create_discard", create_discard),
    ("create_billing_refused", create_billing_refused),
    ("command_line", command_line),
    ("new_key_badge", new_key_badge),
    ("secret", secret),
    ("secret_confirm_close", secret_confirm_close),
    ("rotate_name", rotate_name),
    ("rotate_deployed", rotate_deployed),
    ("rotate_many", rotate_many),
    ("rotate_pending_badge", rotate_pending_badge),
    ("journal", journal),
    ("journal_all", journal_all),
    ("journal_detail", journal_detail),
    ("journal_confirm", journal_confirm),
    ("confirm_delete_single", confirm_delete_single),
    ("confirm_delete_multi", confirm_delete_multi),
    ("confirm_delete_typed", confirm_delete_typed),
    ("revoking", revoking),
    ("contexts", contexts),
    ("contexts_loading", contexts_loading),
    ("log", log),
    ("log_scrolled", log_scrolled),
    ("diff_keys", diff_keys),
    ("diff_preset", diff_preset),
    ("diff_scrolled_past_end", diff_scrolled_past_end),
    ("diff_loading", diff_loading),
    ("preset_picker", preset_picker),
    ("error_toast", error_toast),
    ("refreshing", refreshing),
    ("read_only", read_only),
    ("monochrome", monochrome),
    ("confirm_quit", confirm_quit),
    ("hostile_names", hostile_names),
];
