//! Render snapshots of the screens issue 23 changed or added (80×24 and 120×40), reached through
//! the real `init`/`update` with the shared fixture; `ui_snapshots` has the rest.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::screen::*;
use common::*;
use sgkeys::api::ApiError;
use sgkeys::app::{self, ApiOp, ApiResult, App, Command};

/// A key without `api_keys.read` opens the dashboard: the list is refused (403), and the key's
/// own scopes say why.
fn load_forbidden(w: u16, h: u16) -> App {
    let mut app = new_app(w, h);
    for cmd in app::init(&mut app) {
        if let Command::Api { req, op, .. } = cmd {
            let result = match op {
                ApiOp::ListKeys => ApiResult::Keys(Err(ApiError::from_status(
                    403,
                    br#"{"errors":[{"field":null,"message":"access forbidden"}]}"#,
                    None,
                ))),
                ApiOp::MyScopes => {
                    ApiResult::MyScopes(Ok(vec!["mail.send".into(), "stats.read".into()]))
                }
                other => respond(&other),
            };
            reply(&mut app, req, result);
        }
    }
    app
}

/// A warning raised while a dialog is open (a refresh finds the account at SendGrid's key
/// limit while the scope editor is open): the status line stays visible under the dialog.
fn dialog_with_warning(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    let refresh = press(&mut app, "<C-r>");
    select_name(&mut app, "marketing: HubSpot sync");
    press_answer(&mut app, "e");
    let mut keys = fixture_keys();
    keys.extend(many_keys(100 - keys.len()));
    for cmd in refresh {
        if let Command::Api { req, op, .. } = cmd
            && op == ApiOp::ListKeys
        {
            reply(&mut app, req, ApiResult::Keys(Ok(keys.clone())));
        }
    }
    app
}

/// The `@` log filtered to the copies, wrapped: the long tmux fix command whole, a repeated
/// failure once with its count.
fn log_filtered_wrapped(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    log_calls(&mut app);
    for _ in 0..3 {
        app::update(
            &mut app,
            app::Msg::Copied {
                what: app::Clip::Id(sgkeys::api::ApiKeyId("Ts7Qa1Wz4Xs8Ed2Cr5Vf9T".into())),
                result: Err(
                    "not copied: tmux's set-clipboard is 'external', so tmux drops \
                             programs' copies; run `tmux set -s set-clipboard on`, or select it \
                             with the mouse"
                        .into(),
                ),
            },
        );
    }
    press_answer(&mut app, "<Esc>@/copied<Enter>w");
    app
}

/// The context picker of a dashboard opened for a customer account, back in its own account:
/// the customer account is listed (and marked as the previous context).
fn contexts_customer(w: u16, h: u16) -> App {
    let mut ctx = ctx();
    ctx.on_behalf_of = Some(sgkeys::api::OnBehalfOf::AccountId("8812345".into()));
    let mut app = loaded_app_with(ctx, w, h);
    press_answer(&mut app, ":ctx own<Enter>");
    press_answer(&mut app, "c");
    app
}

/// `:ctx ` typed: the suggestion (Tab takes it) stands apart from what is typed.
fn command_suggestion(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, ":ctx acme-eu<Enter>:ctx ");
    app
}

/// `v` on a key: its scopes by category, its journal history, its JSON as answered.
fn describe(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    select_name(&mut app, "jenkins: nightly reports");
    press_answer(&mut app, "v");
    app
}

/// `/` in the describe view: the matches highlighted, the first brought into view.
fn describe_search(w: u16, h: u16) -> App {
    let mut app = describe(w, h);
    press_answer(&mut app, "/stats.read<Enter>");
    app
}

/// `?` in the journal: its help over it.
fn help_over_dialog(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "J?");
    app
}

/// The permission matrix while some keys' scopes are still being read: their cells say `…`,
/// and the legend says how many are not read yet (never counted as No).
fn matrix_unread(w: u16, h: u16) -> App {
    let mut app = new_app(w, h);
    let answered = std::cell::Cell::new(0);
    let cmds = app::init(&mut app);
    let _unanswered = answer_where(&mut app, cmds, |op| match op {
        ApiOp::GetKey(_) => {
            answered.set(answered.get() + 1);
            answered.get() <= 10
        }
        _ => true,
    });
    app::update(&mut app, app::Msg::Tick(5_000));
    let _ = press(&mut app, "m");
    app
}

macro_rules! screens {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                snapshot_sizes!(stringify!($name), super::$name);
            }
        )*
    };
}

mod snap {
    use crate::common::screen::snapshot_sizes;
    screens!(
        load_forbidden,
        dialog_with_warning,
        log_filtered_wrapped,
        contexts_customer,
        command_suggestion,
        describe,
        describe_search,
        help_over_dialog,
        matrix_unread,
        wide_forced,
    );
}

/// Wide mode asked for with Ctrl-w below 160 columns: the Scopes and Risk columns where the
/// name keeps room for them (120 columns), name, id and type only where it would not (80).
fn wide_forced(w: u16, h: u16) -> App {
    let mut app = loaded_app(w, h);
    press_answer(&mut app, "<C-w>");
    assert!(app.wide());
    if w == 80 {
        // no room at 80 columns: said, never claimed shown
        let said = app
            .toast
            .as_ref()
            .map(|t| t.text.clone())
            .unwrap_or_default();
        assert!(
            said.starts_with("wide on: Scopes and Risk show from 83 columns"),
            "{said}"
        );
    }
    app
}

#[test]
fn at_160_columns_the_list_is_wide_by_itself_and_ctrl_w_narrows_it() {
    let mut app = loaded_app(160, 40);
    assert!(app.wide());
    let terminal = render(&app, 160, 40);
    let s = screen_text(terminal.backend().buffer());
    assert!(s.contains("Scopes Risk"), "{s}");
    insta::assert_snapshot!("wide_auto_160x40", terminal.backend());
    press_answer(&mut app, "<C-w>");
    assert!(!app.wide());
    let s = screen_text(render(&app, 160, 40).backend().buffer());
    assert!(!s.contains("Scopes Risk"), "{s}");
    assert!(s.contains("wide off"), "{s}");
}

#[test]
fn a_403_names_the_missing_scope_whichever_answer_comes_first() {
    let text = |app: &App| screen_text(render(app, 120, 40).backend().buffer());
    let app = load_forbidden(120, 40);
    let s = text(&app);
    assert!(s.contains("403 Forbidden: access forbidden"), "{s}");
    assert!(
        s.contains("this key lacks api_keys.read: give it API Keys: Read Access"),
        "{s}"
    );
    // the key's own scopes after the refusal: the message is completed then
    let mut app = new_app(120, 40);
    let cmds = app::init(&mut app);
    let mut scopes = None;
    for cmd in cmds {
        if let Command::Api { req, op, .. } = cmd {
            match op {
                ApiOp::ListKeys => {
                    reply(
                        &mut app,
                        req,
                        ApiResult::Keys(Err(ApiError::from_status(403, b"{}", None))),
                    );
                }
                ApiOp::MyScopes => scopes = Some(req),
                other => {
                    reply(&mut app, req, respond(&other));
                }
            }
        }
    }
    assert!(!text(&app).contains("lacks api_keys.read"));
    reply(
        &mut app,
        scopes.unwrap(),
        ApiResult::MyScopes(Ok(vec!["mail.send".into()])),
    );
    let s = text(&app);
    assert!(s.contains("lacks api_keys.read"), "{s}");
    // the CLI says the same words
    let cli = sgkeys::scopes::missing_scope_hint("api_keys.read", ["mail.send"].into_iter());
    assert!(s.contains(&cli.unwrap()[..60]));
}

#[test]
fn a_warning_raised_under_a_dialog_is_on_screen() {
    for (w, h) in [(80, 24), (120, 40)] {
        let app = dialog_with_warning(w, h);
        assert!(matches!(app.modal, Some(app::Modal::EditScopes(_))));
        let s = screen_text(render(&app, w, h).backend().buffer());
        assert!(s.contains("⚠ 100/100 keys"), "{s}");
    }
}

/// Wide mode once the inventory holds the context: a "First seen" column, from the inventory's
/// first sighting; a key the live list shows for the first time is first seen now.
#[test]
fn wide_mode_says_when_each_key_was_first_seen_once_the_inventory_holds_the_context() {
    const DAY: u64 = 86_400_000;
    let mut app = new_app(160, 40);
    app.remembers = true;
    let cmds = app::init(&mut app);
    let keys = fixture_keys();
    let (newest, known) = keys.split_last().expect("fixture keys");
    let remembered = app::Remembered {
        keys: known
            .iter()
            .enumerate()
            .map(|(i, k)| {
                (
                    k.clone(),
                    None,
                    60_000,
                    if i == 0 { 2 * 3_600_000 } else { 12 * DAY },
                )
            })
            .collect(),
        list_age: Some(60_000),
    };
    let mut rest = Vec::new();
    for cmd in cmds {
        match cmd {
            Command::Api {
                req,
                op: ApiOp::Recall,
                ..
            } => rest.extend(reply(
                &mut app,
                req,
                ApiResult::Remembered(Ok(Some(remembered.clone()))),
            )),
            other => rest.push(other),
        }
    }
    answer_all(&mut app, rest);
    tick(&mut app, 12_500);
    assert!(app.wide());
    let terminal = render(&app, 160, 40);
    let s = screen_text(terminal.backend().buffer());
    assert!(s.contains("First seen"), "{s}");
    let row = |k: &sgkeys::api::ApiKey| {
        let id = k.api_key_id.as_str();
        s.lines()
            .find(|l| l.contains(id))
            .unwrap_or_else(|| panic!("no row for {id}: {s}"))
            .to_owned()
    };
    assert!(row(&known[0]).contains("2h ago"), "{s}");
    assert!(row(&known[1]).contains("12d ago"), "{s}");
    // not in the inventory: the live list showed it first, 12.5 s ago
    assert!(row(newest).contains("12s ago"), "{s}");
    insta::assert_snapshot!("wide_first_seen_160x40", terminal.backend());

    // without an inventory of the context, no such column (and no claim)
    let plain = loaded_app(160, 40);
    let s = screen_text(render(&plain, 160, 40).backend().buffer());
    assert!(!s.contains("First seen"), "{s}");
}
