//! The context picker and `:ctx` (issue 23 items 7, 11, 14): every context, j/k and `/`, the
//! previous context with `-` and `:ctx -`, typed or completed with Tab.

use super::*;
use crate::api::OnBehalfOf;
use crate::app::contexts::{ContextRow, context_rows};

fn customer() -> Context {
    Context {
        on_behalf_of: Some(OnBehalfOf::AccountId("8812345".into())),
        ..ctx()
    }
}

fn loaded_with(c: Context) -> App {
    let mut app = App::new(c);
    app.size = (120, 40);
    let cmds = init(&mut app);
    settle(&mut app, cmds);
    app
}

fn open_picker(app: &mut App) {
    let cmds = update(app, key('c'));
    settle(app, cmds);
    assert!(matches!(app.modal, Some(Modal::Contexts(_))));
}

fn cursor(app: &App) -> usize {
    match &app.modal {
        Some(Modal::Contexts(p)) => p.cursor,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_picker_lists_own_account_subusers_and_customer_accounts_seen() {
    let mut app = loaded_with(customer());
    // back to the own account: the customer account stays in the picker
    let cmds = update(&mut app, key('c'));
    settle(&mut app, cmds);
    let rows = context_rows(&app, "");
    assert_eq!(rows[0], ContextRow::Own);
    assert!(
        rows.iter()
            .any(|r| matches!(r, ContextRow::Subuser(s) if s.username == "acme-eu"))
    );
    let customer = OnBehalfOf::AccountId("8812345".into());
    assert!(rows.contains(&ContextRow::Seen(&customer)), "{rows:?}");
    // the cursor starts on the current context; k moves up to the own account, Enter switches
    assert_eq!(rows[cursor(&app)].target(), Some(customer.clone()));
    let to_top = cursor(&app);
    for _ in 0..to_top {
        update(&mut app, key('k'));
    }
    assert_eq!(cursor(&app), 0);
    let cmds = update(&mut app, code(KeyCode::Enter));
    settle(&mut app, cmds);
    assert_eq!(app.ctx.on_behalf_of, None);
    // the customer account is still there to go back to: no restart needed
    open_picker(&mut app);
    let rows = context_rows(&app, "");
    let at = rows
        .iter()
        .position(|r| r.target() == Some(customer.clone()))
        .expect("the customer account in the picker");
    update(&mut app, key('g'));
    for _ in 0..at {
        update(&mut app, key('j'));
    }
    let cmds = update(&mut app, code(KeyCode::Enter));
    settle(&mut app, cmds);
    assert_eq!(app.ctx.on_behalf_of, Some(customer));
}

#[test]
fn customer_accounts_named_in_the_journal_are_listed() {
    let mut app = loaded();
    let e = crate::journal::Entry::new(
        crate::journal::Action::Revoke,
        "http://sim",
        Some("account-id 4242".into()),
        "k1",
        "tui",
    );
    // another endpoint's accounts are not this one's
    let elsewhere = crate::journal::Entry::new(
        crate::journal::Action::Revoke,
        "https://api.sendgrid.com",
        Some("account-id 777".into()),
        "k2",
        "cli",
    );
    crate::app::contexts::journal_seen(&mut app, &[e, elsewhere]);
    assert!(context_rows(&app, "777").is_empty());
    let rows = context_rows(&app, "4242");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].target(), Some(OnBehalfOf::AccountId("4242".into())));
}

#[test]
fn j_and_k_move_and_slash_filters() {
    let mut app = loaded();
    open_picker(&mut app);
    update(&mut app, key('j'));
    assert_eq!(cursor(&app), 1, "j moves, it is not typed");
    update(&mut app, key('k'));
    assert_eq!(cursor(&app), 0);
    update(&mut app, key('/'));
    assert_eq!(app.layer(), Layer::ContextsFilter);
    typed(&mut app, "eu");
    let Some(Modal::Contexts(p)) = &app.modal else {
        panic!()
    };
    assert_eq!(p.filter.value(), "eu");
    update(&mut app, code(KeyCode::Enter));
    assert_eq!(app.layer(), Layer::Contexts);
    let cmds = update(&mut app, code(KeyCode::Enter));
    settle(&mut app, cmds);
    assert_eq!(
        app.ctx.on_behalf_of,
        Some(OnBehalfOf::Subuser("acme-eu".into()))
    );
}

#[test]
fn minus_and_ctx_minus_go_back_to_the_previous_context() {
    let mut app = loaded();
    update(&mut app, key('-'));
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("no previous context")),
        "{:?}",
        app.toast
    );
    let cmds = update(&mut app, key(':'));
    settle(&mut app, cmds);
    typed(&mut app, "ctx acme-eu");
    let cmds = update(&mut app, code(KeyCode::Enter));
    settle(&mut app, cmds);
    assert_eq!(
        app.ctx.on_behalf_of,
        Some(OnBehalfOf::Subuser("acme-eu".into()))
    );
    // `-` goes back, and again toggles
    let cmds = update(&mut app, key('-'));
    settle(&mut app, cmds);
    assert_eq!(app.ctx.on_behalf_of, None);
    let cmds = update(&mut app, key('-'));
    settle(&mut app, cmds);
    assert_eq!(
        app.ctx.on_behalf_of,
        Some(OnBehalfOf::Subuser("acme-eu".into()))
    );
    // `:ctx ` then Tab: the completion is `ctx -`, and Enter runs exactly that
    update(&mut app, key(':'));
    typed(&mut app, "ctx ");
    update(&mut app, code(KeyCode::Tab));
    let Some(Modal::Command(c)) = &app.modal else {
        panic!()
    };
    assert_eq!(c.input.value(), "ctx -");
    let cmds = update(&mut app, code(KeyCode::Enter));
    settle(&mut app, cmds);
    assert_eq!(app.ctx.on_behalf_of, None, "switched, not the picker");
    assert!(app.modal.is_none());
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
