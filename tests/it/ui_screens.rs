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
        if let Command::Api { req, op, .. } = cmd {
            if op == ApiOp::ListKeys {
                reply(&mut app, req, ApiResult::Keys(Ok(keys.clone())));
            }
        }
    }
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
    screens!(load_forbidden, dialog_with_warning);
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
