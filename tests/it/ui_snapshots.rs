//! Render snapshots of every screen (80×24 and 120×40, plus the too-small screen), style
//! assertions that text snapshots cannot see, a no-panic sweep over sizes from 0×0 to 250×80,
//! and a frame-time check with 10 000 keys. States are reached through the real `init`/`update`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::screen::*;
use common::*;
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use sgkeys::app::layout;
use sgkeys::app::{self, ApiOp, ApiResult, App, Command, Context, Modal, Msg};
use sgkeys::ui::{self, Theme};

// ---------------------------------------------------------------- scenarios

fn loading(w: u16, h: u16) -> App {
    let mut app = new_app(w, h);
    let _ = app::init(&mut app);
    app::update(&mut app, Msg::Tick(240));
    app
}

fn empty(w: u16, h: u16) -> App {
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

fn load_failed(w: u16, h: u16) -> App {
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

fn loaded(w: u16, h: u16) -> App {
    loaded_app(w, h)
}

fn filtered(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "/ci<Enter>");
    app
}

fn filter_editing(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "/risk:high !tmp");
    app
}

fn no_match(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "/zzz type:nope<Enter>");
    app
}

fn detail_expanded(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "analytics: Looker export");
    press_answer(&mut app, "<Tab><Space>jj");
    app
}

fn help(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "?");
    app
}

fn help_filtered(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "?/scope");
    app
}

fn rename(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "test");
    press_answer(&mut app, "r<BS><BS><BS><BS>smoke-test: staging");
    app
}

fn rename_error(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "test");
    press_answer(&mut app, "r<BS><BS><BS><BS><Enter>");
    app
}

fn scopes_editing(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "marketing: HubSpot sync");
    // Alerts → Read, then expand Mail Send and grant mail.send
    press_answer(&mut app, "el");
    press_answer(&mut app, "jjjjjjjjjj<Space>jjjjj<Space>");
    app
}

fn scopes_billing_locked(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "marketing: HubSpot sync");
    press_answer(&mut app, "ejjjl");
    app
}

fn scopes_review(w: u16, h: u16) -> App {
    let mut app = scopes_editing(w, h);
    press_answer(&mut app, "<Enter>");
    app
}

fn trim_review(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "jenkins: nightly reports");
    // "Stats read-only": drops mail.send, adds the rest of the stats scopes
    press_answer(&mut app, "pjj<Enter>");
    assert!(matches!(&app.modal, Some(Modal::EditScopes(f)) if f.stage == app::ScopeStage::Review));
    app
}

fn scopes_checking(w: u16, h: u16) -> App {
    let mut app = scopes_review(w, h);
    let _ = press(&mut app, "y");
    app
}

fn scopes_conflict(w: u16, h: u16) -> App {
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

fn scopes_saving(w: u16, h: u16) -> App {
    let mut app = scopes_conflict(w, h);
    let _ = press(&mut app, "o");
    app
}

fn scopes_discard(w: u16, h: u16) -> App {
    let mut app = scopes_editing(w, h);
    press_answer(&mut app, "<Esc>");
    app
}

fn create_custom_preset(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(
        &mut app,
        "nci-deploy: billing-svc<Tab><Tab><Right><Right><Tab>",
    );
    app
}

fn create_name(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "nnew key");
    app
}

fn create_full(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "nadmin<Tab><Right>");
    app
}

fn create_review(w: u16, h: u16) -> App {
    let mut app = create_custom_preset(w, h);
    press_answer(&mut app, "<Enter>");
    app
}

fn create_submitting(w: u16, h: u16) -> App {
    let mut app = create_review(w, h);
    let _ = press(&mut app, "y");
    app
}

fn create_discard(w: u16, h: u16) -> App {
    let mut app = create_custom_preset(w, h);
    press_answer(&mut app, "<Esc>");
    app
}

fn create_billing_refused(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "nbilling export<Tab><Right><Right><Enter>");
    app
}

fn command_line(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, ":ctx acme-");
    app
}

fn new_key_badge(w: u16, h: u16) -> App {
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

fn secret(w: u16, h: u16) -> App {
    let mut app = create_review(w, h);
    press_answer(&mut app, "y");
    assert!(matches!(app.modal, Some(Modal::Secret(_))));
    app
}

fn secret_confirm_close(w: u16, h: u16) -> App {
    let mut app = secret(w, h);
    press_answer(&mut app, "<Esc>");
    app
}

/// 2026-11-28 09:30:00 UTC: the day of the rotations below.
const ROTATE_DAY_MS: u64 = 1_795_858_200_000;

fn rotate_name(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    app.clock.start_unix_ms = ROTATE_DAY_MS - app.now_ms;
    select_name(&mut app, "jenkins: nightly reports");
    press_answer(&mut app, "R");
    assert!(matches!(app.modal, Some(Modal::Rotate(_))));
    app
}

fn rotate_many(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    app.clock.start_unix_ms = ROTATE_DAY_MS - app.now_ms;
    press_answer(&mut app, "<Space><Space><Space>R");
    assert!(matches!(&app.modal, Some(Modal::Rotate(f)) if f.many.len() == 3));
    app
}

fn rotate_deployed(w: u16, h: u16) -> App {
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
fn journal_fixture() -> Vec<sgkeys::journal::Entry> {
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
fn answer_with_journal(app: &mut App, cmds: Vec<Command>) {
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

fn rotate_pending_badge(w: u16, h: u16) -> App {
    let mut app = rotate_deployed(w, h);
    let cmds = press(&mut app, "l");
    answer_with_journal(&mut app, cmds);
    select_name(&mut app, "jenkins: nightly reports");
    app
}

fn journal(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    let cmds = press(&mut app, "J");
    answer_with_journal(&mut app, cmds);
    assert!(matches!(app.modal, Some(Modal::Journal(_))));
    app
}

fn journal_all(w: u16, h: u16) -> App {
    let mut app = journal(w, h);
    press_answer(&mut app, "a");
    app
}

fn journal_detail(w: u16, h: u16) -> App {
    let mut app = journal(w, h);
    // newest first: the intent, then the rotation
    press_answer(&mut app, "j<Enter>");
    app
}

fn journal_confirm(w: u16, h: u16) -> App {
    let mut app = journal_detail(w, h);
    press_answer(&mut app, "f");
    app
}

fn matrix(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "test");
    press_answer(&mut app, "mll");
    app
}

fn matrix_sorted(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    // API Keys column, most access first, then scrolled to the last column and back one
    press_answer(&mut app, "mls$h");
    app
}

fn matrix_filtered_marked(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "m/type:full<Enter><Space>");
    app
}

fn matrix_cell(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "test");
    press_answer(&mut app, "ml<Enter>");
    app
}

/// Every context in one matrix: each subuser answers with two keys of its own.
fn matrix_all_contexts(w: u16, h: u16) -> App {
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

fn confirm_delete_single(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "prod-mail-key (LEAKED?)");
    press_answer(&mut app, "d");
    arm(&mut app);
    app
}

/// The first moment of the revoke confirmation: its buttons greyed, a `y` ignored and said.
fn confirm_delete_arming(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "prod-mail-key (LEAKED?)");
    press_answer(&mut app, "dy");
    app
}

fn confirm_delete_multi(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "test");
    press_answer(&mut app, "<Space><Space>");
    select_name(&mut app, "sgkeys dashboard");
    press_answer(&mut app, "<Space>d");
    arm(&mut app);
    app
}

fn confirm_delete_typed(w: u16, h: u16) -> App {
    let mut app = confirm_delete_multi(w, h);
    press_answer(&mut app, "2y");
    app
}

fn revoking(w: u16, h: u16) -> App {
    let mut app = confirm_delete_single(w, h);
    let _ = press(&mut app, "y");
    app
}

fn contexts(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "c");
    app
}

fn contexts_loading(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    let _ = press(&mut app, "c");
    app
}

fn log(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    log_calls(&mut app);
    press_answer(&mut app, "@");
    app
}

fn log_scrolled(w: u16, h: u16) -> App {
    let mut app = log(w, h);
    press_answer(&mut app, "kk");
    app
}

fn diff_keys(w: u16, h: u16) -> App {
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

fn diff_preset(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "jenkins: nightly reports");
    // "Mail Send + Scheduled Sends"
    press_answer(&mut app, "=l");
    assert!(matches!(&app.modal, Some(Modal::Diff(d)) if d.right == app::DiffRight::Preset(1)));
    app
}

fn diff_scrolled_past_end(w: u16, h: u16) -> App {
    let mut app = diff_preset(w, h);
    press_answer(&mut app, &"j".repeat(60));
    app
}

fn diff_loading(w: u16, h: u16) -> App {
    let mut app = new_app(w, h);
    let cmds = app::init(&mut app);
    // the list and the caller's scopes arrive; no key's scopes do
    let _ = answer_where(&mut app, cmds, |op| !matches!(op, ApiOp::GetKey(_)));
    let _ = press(&mut app, "=");
    app::update(&mut app, Msg::Tick(400));
    assert!(matches!(app.modal, Some(Modal::Diff(_))));
    app
}

fn preset_picker(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "jenkins: nightly reports");
    // cursor on "Stats read-only"
    press_answer(&mut app, "pjj");
    assert!(matches!(&app.modal, Some(Modal::Presets(p)) if p.cursor == 2));
    app
}

fn error_toast(w: u16, h: u16) -> App {
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

fn refreshing(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    let _ = press(&mut app, "<C-r>");
    app::update(&mut app, Msg::Tick(12_900));
    app
}

fn read_only(w: u16, h: u16) -> App {
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

fn monochrome(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    app.theme = sgkeys::config::ThemeName::Mono;
    app
}

fn confirm_quit(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "test");
    let _ = press(&mut app, "r-old<Enter>");
    let _ = press(&mut app, "<Esc>q");
    assert!(matches!(app.modal, Some(Modal::ConfirmQuit)));
    app
}

fn hostile_names(w: u16, h: u16) -> App {
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

type Scenario = (&'static str, fn(u16, u16) -> App);

/// Every state the UI can be in, for the no-panic sweep.
const ALL: &[Scenario] = &[
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

// ---------------------------------------------------------------- helpers

fn snapshot(name: &str, build: fn(u16, u16) -> App) {
    snapshot_sizes!(name, build);
}

macro_rules! snapshots {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                snapshot(stringify!($name), super::$name);
            }
        )*
    };
}

mod snap {
    use super::snapshot;
    snapshots!(
        loading,
        empty,
        load_failed,
        loaded,
        filtered,
        filter_editing,
        no_match,
        detail_expanded,
        help,
        help_filtered,
        rename,
        rename_error,
        scopes_editing,
        scopes_review,
        trim_review,
        scopes_conflict,
        scopes_discard,
        create_custom_preset,
        create_review,
        create_billing_refused,
        command_line,
        new_key_badge,
        confirm_delete_single,
        confirm_delete_multi,
        confirm_delete_arming,
        contexts,
        log,
        diff_keys,
        diff_preset,
        preset_picker,
        error_toast,
        refreshing,
        revoking,
        read_only,
        monochrome,
        hostile_names,
        rotate_name,
        rotate_deployed,
        rotate_many,
        rotate_pending_badge,
        journal,
        journal_all,
        journal_detail,
        journal_confirm,
        matrix,
        matrix_sorted,
        matrix_filtered_marked,
        matrix_cell,
        matrix_all_contexts,
    );
}

// ---------------------------------------------------------------- special snapshots

#[test]
fn secret_is_shown_in_full_but_redacted_in_the_snapshot() {
    for (w, h) in [(80, 24), (120, 40)] {
        let app = secret(w, h);
        let terminal = render(&app, w, h);
        let raw = screen_text(terminal.backend().buffer());
        assert!(
            raw.contains(NEW_SECRET),
            "the secret modal must show the whole secret:\n{raw}"
        );
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", "[SECRET]");
        settings.bind(|| {
            insta::assert_snapshot!(format!("secret_{w}x{h}"), terminal.backend());
        });
    }
}

#[test]
fn secret_unconfirmed_close_warns() {
    let app = secret_confirm_close(80, 24);
    let raw = screen_text(render(&app, 80, 24).backend().buffer());
    assert!(raw.contains("You have not copied it."), "{raw}");
}

#[test]
fn too_small() {
    let mut app = loaded_app(80, 24);
    app::update(&mut app, Msg::Resize(50, 12));
    let terminal = render(&app, 50, 12);
    insta::assert_snapshot!("too_small_50x12", terminal.backend());
}

// ---------------------------------------------------------------- styles

#[test]
fn selected_row_is_highlighted() {
    let app = loaded_app(80, 24);
    let terminal = render(&app, 80, 24);
    let buf = terminal.backend().buffer();
    let list = layout::areas(80, 24).list;
    let theme = Theme::dark();
    let first = list.y + 2;
    let y = first + (app.view.selected - app.view.offset) as u16;
    for x in list.x + 1..list.right() - 1 {
        assert_eq!(
            buf[(x, y)].bg,
            theme.selected.bg.unwrap(),
            "cell {x},{y} not highlighted"
        );
    }
    // the next row is not
    assert_eq!(buf[(list.x + 4, y + 1)].bg, Color::Reset);
    assert!(row_text(buf, y).contains("ci-deploy: web-frontend"));
}

#[test]
fn detail_cursor_is_highlighted_when_focused() {
    let app = detail_expanded(80, 24);
    let buf = render(&app, 80, 24).backend().buffer().clone();
    let (x, y) = find(&buf, "alerts.delete").expect("expanded scope row");
    assert_eq!(buf[(x, y)].bg, Theme::dark().selected.bg.unwrap());
    // the list's selection is shown unfocused meanwhile
    let (lx, ly) = find_in(&buf, layout::areas(80, 24).list, "analytics: Looker").unwrap();
    assert_eq!(
        buf[(lx, ly)].bg,
        Theme::dark().selected_unfocused.bg.unwrap()
    );
}

#[test]
fn monochrome_uses_no_colour_at_all() {
    for build in [monochrome as fn(u16, u16) -> App, |w, h| {
        let mut app = confirm_delete_multi(w, h);
        app.theme = sgkeys::config::ThemeName::Mono;
        app
    }] {
        let app = build(120, 40);
        let terminal = render(&app, 120, 40);
        let buf = terminal.backend().buffer();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                let c = &buf[(x, y)];
                assert_eq!(
                    (c.fg, c.bg),
                    (Color::Reset, Color::Reset),
                    "cell {x},{y} {:?} has colour",
                    c.symbol()
                );
            }
        }
    }
    let app = monochrome(120, 40);
    let terminal = render(&app, 120, 40);
    let buf = terminal.backend().buffer();
    let list = layout::areas(120, 40).list;
    let y = list.y + 2 + (app.view.selected - app.view.offset) as u16;
    for x in list.x + 1..list.right() - 1 {
        assert!(
            buf[(x, y)].modifier.contains(Modifier::REVERSED),
            "cell {x},{y} not reversed"
        );
    }
}

#[test]
fn revoke_button_is_danger_and_focus_starts_on_cancel() {
    let mut app = confirm_delete_single(80, 24);
    let theme = Theme::dark();
    let buf = render(&app, 80, 24).backend().buffer().clone();
    let (x, y) = find(&buf, "[ Revoke ]").expect("revoke button");
    for i in 0..10 {
        let c = &buf[(x + i, y)];
        assert_eq!(
            c.fg,
            theme.button_danger.fg.unwrap(),
            "revoke button cell {i} not danger"
        );
        assert_eq!(c.bg, Color::Reset, "revoke must not be focused at first");
    }
    let (cx, cy) = find(&buf, "[ Cancel ]").unwrap();
    assert_eq!(
        buf[(cx, cy)].bg,
        theme.button_focus.bg.unwrap(),
        "cancel is focused at first"
    );
    // Tab moves the focus to Revoke: the danger button's focused style (white on red)
    press_answer(&mut app, "<Tab>");
    let buf = render(&app, 80, 24).backend().buffer().clone();
    let c = &buf[(x, y)];
    assert_eq!(
        (c.fg, c.bg),
        (
            theme.button_danger_focus.fg.unwrap(),
            theme.button_danger_focus.bg.unwrap()
        )
    );
    assert_eq!(buf[(cx, cy)].bg, Color::Reset, "cancel lost the focus");
}

#[test]
fn read_only_badge_is_in_the_header_and_write_hints_are_gone() {
    let app = read_only(120, 40);
    let buf = render(&app, 120, 40).backend().buffer().clone();
    let (x, y) = find(&buf, "[READ-ONLY]").expect("badge");
    assert_eq!(y, 0, "badge on the header row");
    assert_eq!(buf[(x, y)].fg, Theme::dark().warn.fg.unwrap());
    let hints = row_text(&buf, 39);
    for gone in ["new key", "rename", "edit scopes", "revoke"] {
        assert!(
            !hints.contains(gone),
            "{gone} shown in read-only hints: {hints}"
        );
    }
    // the badge survives narrow screens
    let app = read_only(60, 16);
    let buf = render(&app, 60, 16).backend().buffer().clone();
    assert!(
        row_text(&buf, 0).contains("[READ-ONLY]"),
        "{}",
        row_text(&buf, 0)
    );
}

#[test]
fn text_inputs_place_the_cursor() {
    let mut app = loaded_app(80, 24);
    press_answer(&mut app, "/ci");
    let mut t = render(&app, 80, 24);
    let pos = t.get_cursor_position().unwrap();
    assert_eq!((pos.x, pos.y), (4, 22), "after `/ci` on the status line");

    let app = rename(80, 24);
    let mut t = render(&app, 80, 24);
    let pos = t.get_cursor_position().unwrap();
    let buf = t.backend().buffer().clone();
    let (x, y) = find(&buf, "smoke-test: staging").unwrap();
    assert_eq!((pos.x, pos.y), (x + "smoke-test: staging".len() as u16, y));
}

#[test]
fn header_shows_the_limit_warning_and_hints_end_with_more() {
    let mut app = new_app(80, 24);
    let cmds = app::init(&mut app);
    let _ = answer_where(&mut app, cmds, |op| matches!(op, ApiOp::MyScopes));
    let req = app
        .pending
        .iter()
        .find(|(_, p)| matches!(p, app::Pending::List { .. }))
        .map(|(r, _)| *r)
        .unwrap();
    let _ = reply(&mut app, req, ApiResult::Keys(Ok(many_keys(95))));
    let buf = render(&app, 80, 24).backend().buffer().clone();
    let (x, y) = find(&buf, "95/100 keys").unwrap();
    assert_eq!(buf[(x, y)].fg, Theme::dark().warn.fg.unwrap());
    assert!(
        row_text(&buf, 23).trim_end().ends_with("? more"),
        "{}",
        row_text(&buf, 23)
    );
}

#[test]
fn hints_keep_revoke_and_help_at_every_width() {
    for w in 60..=200u16 {
        let app = loaded_app(w, 40);
        let buf = render(&app, w, 40).backend().buffer().clone();
        let hints = row_text(&buf, 39);
        assert!(
            hints.contains(" d revoke"),
            "no `d` at {w} columns: {hints}"
        );
        let tail = hints.trim_end();
        assert!(
            tail.ends_with("? more") || tail.ends_with("? help"),
            "no `?` last at {w} columns: {hints}"
        );
    }
    // the order is by importance: revoke first, and narrowing drops the least important first
    let wide = row_text(render(&loaded_app(200, 40), 200, 40).backend().buffer(), 39);
    let narrow = row_text(render(&loaded_app(80, 40), 80, 40).backend().buffer(), 39);
    assert!(wide.trim_start().starts_with("d revoke"), "{wide}");
    for item in narrow.trim().split("  ").filter(|i| !i.starts_with('?')) {
        assert!(
            wide.contains(item.trim()),
            "{item} not in the wide hints: {wide}"
        );
    }
}

// ---------------------------------------------------------------- robustness

fn draw_at(app: &App, w: u16, h: u16) {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| ui::draw(f, app)).unwrap();
}

#[test]
fn every_state_draws_at_every_size() {
    const WIDTHS: [u16; 14] = [0, 1, 2, 5, 10, 20, 40, 59, 60, 61, 80, 100, 120, 250];
    const HEIGHTS: [u16; 12] = [0, 1, 2, 3, 5, 10, 15, 16, 17, 24, 40, 80];
    for (name, build) in ALL {
        let mut app = build(120, 40);
        for w in WIDTHS {
            for h in HEIGHTS {
                // the app knows the size (as after a resize event)
                app::update(&mut app, Msg::Resize(w, h));
                let r =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| draw_at(&app, w, h)));
                assert!(r.is_ok(), "{name} panicked at {w}×{h}");
            }
        }
        // and when the frame and the app disagree (a resize not processed yet)
        app::update(&mut app, Msg::Resize(120, 40));
        for (w, h) in [(60, 16), (61, 17), (80, 24), (250, 80), (10, 3)] {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| draw_at(&app, w, h)));
            assert!(r.is_ok(), "{name} panicked at {w}×{h} with app size 120×40");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn any_state_any_size(i in 0..ALL.len(), w in 0u16..300, h in 0u16..100) {
        let (_, build) = ALL[i];
        let mut app = build(120, 40);
        app::update(&mut app, Msg::Resize(w, h));
        draw_at(&app, w, h);
    }
}

#[test]
fn ten_thousand_keys_draw_the_visible_slice() {
    let mut app = new_app(120, 40);
    let cmds = app::init(&mut app);
    let cmds = answer_where(&mut app, cmds, |op| matches!(op, ApiOp::MyScopes));
    for cmd in cmds {
        if let Command::Api {
            req,
            op: ApiOp::ListKeys,
            ..
        } = cmd
        {
            let _ = reply(&mut app, req, ApiResult::Keys(Ok(many_keys(10_000))));
        }
    }
    assert_eq!(app.keys.entries.len(), 10_000);
    let _ = press(&mut app, "<PgDn><PgDn>jjj");
    // (the time per frame is measured by `cargo bench --bench ui`, never asserted in a test)
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| ui::draw(f, &app)).unwrap();
    let text = screen_text(terminal.backend().buffer());
    assert!(text.contains("service-00"), "{text}");
    let sel = app.selected().map(|e| e.name.clone()).unwrap_or_default();
    assert!(text.contains(&sel), "the selected key is on screen: {sel}");
    assert!(text.contains("/10000"), "position indicator: {text}");
}

// ---------------------------------------------------------------- diff and presets

#[test]
fn diff_scope_lines_use_the_added_and_removed_styles() {
    for (theme, build) in [
        (Theme::dark(), diff_preset as fn(u16, u16) -> App),
        (Theme::mono(), |w, h| {
            let mut app = diff_preset(w, h);
            app.theme = sgkeys::config::ThemeName::Mono;
            app
        }),
        (Theme::light(), |w, h| {
            let mut app = diff_preset(w, h);
            app.theme = sgkeys::config::ThemeName::Light;
            app
        }),
    ] {
        let app = build(120, 40);
        let buf = render(&app, 120, 40).backend().buffer().clone();
        for (needle, style) in [
            ("+ mail.batch.read", theme.ok),
            ("− email_activity.read", theme.danger),
        ] {
            let (x, y) = find(&buf, needle).unwrap_or_else(|| panic!("no {needle:?}"));
            for i in 0..needle.chars().count() as u16 {
                let c = &buf[(x + i, y)];
                assert_eq!(
                    (c.fg, c.modifier),
                    (style.fg.unwrap_or(Color::Reset), style.add_modifier),
                    "{needle:?} cell {i}"
                );
            }
        }
    }
    // the two styles really differ, in colour and without it
    assert_ne!(Theme::dark().ok, Theme::dark().danger);
    assert_ne!(Theme::mono().ok, Theme::mono().danger);
}

#[test]
fn diff_scroll_stops_at_the_end() {
    let app = diff_scrolled_past_end(80, 24);
    let Some(Modal::Diff(d)) = &app.modal else {
        panic!("no diff")
    };
    // update clamps the scroll at the last line (pressing Up works at once afterwards)
    assert_eq!(d.scroll + 1, sgkeys::app::diff_line_count(&app, d));
    let text = screen_text(render(&app, 80, 24).backend().buffer());
    // the last lines are in view, the totals too, and nothing is hidden below
    assert!(text.contains("− stats.global.read"), "{text}");
    assert!(text.contains("↑ 3 more"), "{text}");
    assert!(
        text.contains("1 in common · 3 only in A · 8 only in B"),
        "{text}"
    );
}

#[test]
fn diff_waits_for_scopes() {
    let app = diff_loading(80, 24);
    let text = screen_text(render(&app, 80, 24).backend().buffer());
    assert!(text.contains("Loading scopes…"), "{text}");
    assert!(text.contains("Scope diff"), "{text}");
}

#[test]
fn preset_picker_preview_matches_the_review() {
    let mut app = preset_picker(120, 40);
    let text = screen_text(render(&app, 120, 40).backend().buffer());
    assert!(text.contains("+11 −1"), "{text}");
    assert!(text.contains("would hold 14 scopes"), "{text}");
    press_answer(&mut app, "<Enter>");
    let Some(Modal::EditScopes(f)) = &app.modal else {
        panic!("no review")
    };
    assert_eq!(
        (f.added().len(), f.removed().len(), f.matrix.selected.len()),
        (11, 1, 14)
    );
}

#[test]
fn the_review_warns_before_the_key_in_use_loses_its_api_keys_scopes() {
    let mut app = loaded_app(120, 40);
    select_name(&mut app, "sgkeys dashboard");
    press_answer(&mut app, "e");
    let Some(Modal::EditScopes(f)) = &mut app.modal else {
        panic!("editor not open")
    };
    assert!(f.own, "the editor knows this is the key in use");
    f.matrix.selected.retain(|s| !s.starts_with("api_keys."));
    f.stage = app::ScopeStage::Review;
    let text = screen_text(render(&app, 120, 40).backend().buffer());
    assert!(
        text.contains("This is the key sgkeys is using: without api_keys."),
        "{text}"
    );
    // another key losing the same scopes gets no such warning
    let mut app = loaded_app(120, 40);
    select_name(&mut app, "marketing: HubSpot sync");
    press_answer(&mut app, "e");
    let Some(Modal::EditScopes(f)) = &mut app.modal else {
        panic!("editor not open")
    };
    assert!(!f.own);
    f.stage = app::ScopeStage::Review;
    let text = screen_text(render(&app, 120, 40).backend().buffer());
    assert!(!text.contains("sgkeys is using"), "{text}");
}

#[test]
fn hostile_server_text_never_reaches_the_dashboard_raw() {
    const EVIL: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{7f}\u{202e}gpj.exe\u{200b}";
    let mut app = common::new_app(120, 40);
    let cmds = app::init(&mut app);
    let list_req = cmds
        .iter()
        .find_map(|c| match c {
            Command::Api {
                req,
                op: app::ApiOp::ListKeys,
                ..
            } => Some(*req),
            _ => None,
        })
        .unwrap();
    let keys: Vec<sgkeys::api::ApiKey> = (0..3)
        .map(|i| sgkeys::api::ApiKey {
            api_key_id: sgkeys::api::ApiKeyId(format!("k{i:020}{EVIL}")),
            name: format!("name {i} {EVIL}"),
        })
        .collect();
    let more = common::reply(&mut app, list_req, app::ApiResult::Keys(Ok(keys)));
    // scopes and an error, both hostile
    for c in more {
        if let Command::Api {
            req,
            op: app::ApiOp::GetKey(id),
            ..
        } = c
        {
            let r = if id.0.starts_with("k00000000000000000000") {
                Ok(sgkeys::api::KeyDetail {
                    api_key_id: id,
                    name: format!("name 0 {EVIL}"),
                    scopes: vec!["mail.send".into(), format!("z.{EVIL}")],
                })
            } else {
                Err(sgkeys::api::ApiError::from_status(
                    500,
                    format!("{{\"errors\":[{{\"message\":\"boom {EVIL}\"}}]}}").as_bytes(),
                    None,
                ))
            };
            common::reply(&mut app, req, app::ApiResult::Key(r));
        }
    }
    for w in [80u16, 120] {
        app::update(&mut app, Msg::Resize(w, 40));
        for keys in ["", "@", "<Esc>?", "<Esc>"] {
            let _ = press(&mut app, keys);
            let text = screen_text(render(&app, w, 40).backend().buffer());
            let bad = text.chars().find(|c| {
                (*c < ' ' && *c != '\n')
                    || ('\u{7f}'..='\u{9f}').contains(c)
                    || matches!(c, '\u{202a}'..='\u{202e}' | '\u{200b}')
            });
            assert!(
                bad.is_none(),
                "U+{:04X} on screen at {w} ({keys}):\n{text}",
                bad.map_or(0, |c| c as u32)
            );
        }
    }
}

#[test]
fn a_limited_caller_is_told_what_full_access_means_for_it() {
    let mut app = loaded_app(120, 40);
    press_answer(&mut app, "n");
    let Some(Modal::Create(f)) = &mut app.modal else {
        panic!("create form not open")
    };
    f.matrix.grantable = Some(
        ["mail.send", "alerts.read", "api_keys.read"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
    );
    f.key_type = sgkeys::scopes::KeyType::Full;
    let text = screen_text(render(&app, 120, 40).backend().buffer());
    assert!(text.contains("all 3 scopes you hold"), "{text}");
    let Some(Modal::Create(f)) = &mut app.modal else {
        unreachable!()
    };
    f.stage = app::CreateStage::Review;
    let text = screen_text(render(&app, 120, 40).backend().buffer());
    assert!(text.contains("all 3 scopes you hold"), "{text}");
}

// ---------------------------------------------------------------- the matrix's colours

/// The screen with its styles: each row's text, then the runs of cells whose style is not the
/// default (`x0-x1 fg bg modifiers`), so a theme's snapshot shows what colour every cell gets.
fn styled_text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        out.push_str(&row_text(buf, y));
        out.push('\n');
        let mut x = 0;
        while x < buf.area.width {
            let style = buf[(x, y)].style();
            let start = x;
            while x < buf.area.width && buf[(x, y)].style() == style {
                x += 1;
            }
            if style != ratatui::style::Style::default()
                && (style.fg.is_some_and(|c| c != Color::Reset)
                    || style.bg.is_some_and(|c| c != Color::Reset)
                    || !style.add_modifier.is_empty())
            {
                out.push_str(&format!(
                    "  {start}-{}: fg={:?} bg={:?} {:?}\n",
                    x - 1,
                    style.fg.unwrap_or(Color::Reset),
                    style.bg.unwrap_or(Color::Reset),
                    style.add_modifier
                ));
            }
        }
    }
    out
}

#[test]
fn matrix_in_each_theme() {
    use sgkeys::config::ThemeName;
    for (theme, name) in [
        ("dark", ThemeName::Dark),
        ("light", ThemeName::Light),
        ("mono", ThemeName::Mono),
    ] {
        for (w, h) in [(80, 24), (120, 40)] {
            let mut app = matrix(w, h);
            app.theme = name;
            let terminal = render(&app, w, h);
            insta::assert_snapshot!(
                format!("matrix_theme_{theme}_{w}x{h}"),
                styled_text(terminal.backend().buffer())
            );
        }
    }
}

/// Every level keeps a distinct glyph and a distinct style in every theme (the monochrome one
/// included), so a cell never depends on colour alone.
#[test]
fn matrix_cells_differ_by_glyph_and_style_in_every_theme() {
    use sgkeys::scopes::Level;
    let levels = [Level::No, Level::Read, Level::Full, Level::Partial];
    let glyphs: std::collections::BTreeSet<&str> =
        levels.iter().map(|l| ui::matrix::glyph(*l)).collect();
    assert_eq!(glyphs.len(), 4);
    for theme in [Theme::dark(), Theme::light(), Theme::mono()] {
        let styles: Vec<_> = levels.iter().map(|l| theme.level(*l)).collect();
        for i in 0..styles.len() {
            for j in i + 1..styles.len() {
                assert_ne!(styles[i], styles[j], "{:?} and {:?}", levels[i], levels[j]);
            }
        }
    }
}
