//! `c`: the key's own account and its subusers (on-behalf-of): the picker and switching.

use tui_input::Input;

use super::effects::*;
use super::keymap::Action;
use super::*;
use crate::api::OnBehalfOf;

/// `c`: switch between the key's own account and its subusers.
#[derive(Debug, Clone)]
pub struct ContextPicker {
    pub filter: Input,
    pub cursor: usize,
}

pub(crate) fn load_context(app: &mut App, out: &mut Vec<Command>) {
    let req = request(app, Pending::List { by_user: false }, ApiOp::ListKeys, out);
    app.keys.status.start(req);
    if app.my_scopes.value().is_none() && !app.my_scopes.is_loading() {
        let req = request(app, Pending::MyScopes, ApiOp::MyScopes, out);
        app.my_scopes.start(req);
    }
}

pub(crate) fn open_contexts(app: &mut App, out: &mut Vec<Command>) {
    if app.subusers.value().is_none() && !app.subusers.is_loading() {
        let req = request(app, Pending::Subusers, ApiOp::ListSubusers, out);
        app.subusers.start(req);
    }
    app.modal = Some(Modal::Contexts(ContextPicker {
        filter: Default::default(),
        cursor: 0,
    }));
}

/// Rows of the context picker: None = the key's own account, then matching subusers.
pub fn context_rows(app: &App) -> Vec<Option<&crate::api::Subuser>> {
    let filter = match &app.modal {
        Some(Modal::Contexts(p)) => p.filter.value().to_lowercase(),
        _ => String::new(),
    };
    let mut rows: Vec<Option<&crate::api::Subuser>> = Vec::new();
    if filter.is_empty()
        || "own account".contains(&filter)
        || app.ctx.account.to_lowercase().contains(&filter)
    {
        rows.push(None);
    }
    if let Some(subs) = app.subusers.value() {
        rows.extend(
            subs.iter()
                .filter(|s| s.username.to_lowercase().contains(&filter))
                .map(Some),
        );
    }
    rows
}

pub(crate) fn context_action(app: &mut App, a: Action, out: &mut Vec<Command>) {
    let n = context_rows(app).len();
    let cursor = match &mut app.modal {
        Some(Modal::Contexts(p)) => {
            match a {
                Action::Up => p.cursor = p.cursor.saturating_sub(1),
                Action::Down => p.cursor = (p.cursor + 1).min(n.saturating_sub(1)),
                _ => {}
            }
            p.cursor
        }
        _ => return,
    };
    match a {
        Action::Back => close_modal(app),
        Action::Enter => {
            let choice = context_rows(app)
                .get(cursor)
                .map(|r| r.map(|s| s.username.clone()));
            let Some(choice) = choice else { return };
            close_modal(app);
            switch_context(app, choice.map(OnBehalfOf::Subuser), out);
        }
        _ => {}
    }
}

/// Point the dashboard at another account/subuser without restarting.
pub(crate) fn switch_context(app: &mut App, to: Option<OnBehalfOf>, out: &mut Vec<Command>) {
    if app.ctx.on_behalf_of == to {
        return;
    }
    // Reads for the old context are dropped; mutations in flight still report.
    app.pending.retain(|_, p| p.is_mutation());
    super::matrix::context_switched(app);
    out.push(Command::CancelReads);
    // a subuser's requests go to its region's host (EU subusers: api.eu.sendgrid.com)
    app.ctx.region = match &to {
        Some(OnBehalfOf::Subuser(name)) => app
            .subusers
            .value()
            .and_then(|s| s.iter().find(|u| &u.username == name))
            .and_then(|u| u.region),
        _ => None,
    };
    app.ctx.on_behalf_of = to;
    app.keys = KeyList::default();
    app.view = ListView {
        sort: app.view.sort,
        reverse: app.view.reverse,
        ..ListView::default()
    };
    app.prefetch = Prefetch::default();
    app.detail = DetailView::default();
    app.detail_wanted = None;
    app.my_scopes.reset();
    app.dups.clear();
    load_context(app, out);
    let label = app.context_label();
    // an error about the old context's list no longer holds here
    clear_error_about(app, "list");
    toast(app, Level::Info, format!("switched to {label}"));
}
