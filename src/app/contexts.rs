//! `c`: where the dashboard points — the key's own account, each subuser, and each customer
//! account (`account-id`) seen this session (pointed at, or named in the journal). The picker
//! moves with `j`/`k`, filters after `/`, and `-` goes back to the previous context (as
//! `cd -`, `kubectx -` and `:ctx -` do).

use tui_input::Input;

use super::effects::*;
use super::keymap::{Action, Layer};
use super::*;
use crate::api::{OnBehalfOf, Region, Subuser};

/// `c`: switch between the key's own account, its subusers and the customer accounts seen.
#[derive(Debug, Clone, Default)]
pub struct ContextPicker {
    pub filter: Input,
    /// Typing into the filter (after `/`).
    pub editing: bool,
    pub cursor: usize,
    /// Moved or filtered by the user (else the cursor follows the current context while the
    /// subusers load).
    pub moved: bool,
}

impl ContextPicker {
    pub fn layer(&self) -> Layer {
        if self.editing {
            Layer::ContextsFilter
        } else {
            Layer::Contexts
        }
    }
}

/// A row of the context picker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ContextRow<'a> {
    /// The key's own account.
    Own,
    /// A subuser, as the subuser list describes it.
    Subuser(&'a Subuser),
    /// A context seen this session that the subuser list does not hold: a customer account
    /// (`account-id`), or a subuser when the list cannot be read.
    Seen(&'a OnBehalfOf),
}

impl ContextRow<'_> {
    /// Where switching to this row points.
    pub fn target(&self) -> Option<OnBehalfOf> {
        match self {
            ContextRow::Own => None,
            ContextRow::Subuser(s) => Some(OnBehalfOf::Subuser(s.username.clone())),
            ContextRow::Seen(o) => Some((*o).clone()),
        }
    }
}

/// Remember a context this session pointed at or found in the journal.
pub(crate) fn seen(app: &mut App, ctx: &OnBehalfOf) {
    if !app.contexts_seen.contains(ctx) {
        app.contexts_seen.push(ctx.clone());
    }
}

/// The contexts the journal names for this endpoint (customer accounts above all: SendGrid
/// has no list of them).
pub(crate) fn journal_seen(app: &mut App, entries: &[crate::journal::Entry]) {
    let here = app.ctx.base_url.trim_end_matches('/').to_owned();
    let found: Vec<OnBehalfOf> = entries
        .iter()
        .filter(|e| e.base_url.trim_end_matches('/') == here)
        .filter_map(|e| e.on_behalf_of.as_deref())
        .filter_map(|o| OnBehalfOf::parse(o).ok())
        .collect();
    for o in &found {
        seen(app, o);
    }
}

pub(crate) fn load_context(app: &mut App, out: &mut Vec<Command>) {
    if let Some(o) = app.ctx.on_behalf_of.clone() {
        seen(app, &o);
    }
    // the inventory's rows show at once, until the live list replaces them (offline: alone)
    if app.remembers {
        request(app, Pending::Recall, ApiOp::Recall, out);
    }
    if app.offline {
        return;
    }
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
    app.modal = Some(Modal::Contexts(ContextPicker::default()));
    cursor_on_current(app);
}

/// The picker's cursor on the current context (when it opens, and when the subusers arrive
/// before the user moved it).
pub(crate) fn cursor_on_current(app: &mut App) {
    let at = context_rows(app, "")
        .iter()
        .position(|r| r.target() == app.ctx.on_behalf_of);
    if let Some(Modal::Contexts(p)) = &mut app.modal
        && !p.moved
    {
        p.cursor = at.unwrap_or(0);
    }
}

/// Rows of the context picker matching `filter`: the own account, the subusers, then the other
/// contexts seen.
pub fn context_rows<'a>(app: &'a App, filter: &str) -> Vec<ContextRow<'a>> {
    let filter = filter.trim().to_lowercase();
    let hit = |s: &str| filter.is_empty() || s.to_lowercase().contains(&filter);
    let mut rows = Vec::new();
    if hit("own account") || hit(&app.ctx.account) {
        rows.push(ContextRow::Own);
    }
    let subs = app.subusers.value().map_or(&[][..], Vec::as_slice);
    rows.extend(
        subs.iter()
            .filter(|s| hit(&s.username))
            .map(ContextRow::Subuser),
    );
    rows.extend(
        app.contexts_seen
            .iter()
            .filter(|o| match o {
                OnBehalfOf::Subuser(u) => !subs.iter().any(|s| &s.username == u),
                OnBehalfOf::AccountId(_) => true,
            })
            .filter(|o| hit(&o.header_value()))
            .map(ContextRow::Seen),
    );
    rows
}

/// The picker's rows as it filters them now.
pub fn picker_rows<'a>(app: &'a App, p: &ContextPicker) -> Vec<ContextRow<'a>> {
    context_rows(app, p.filter.value())
}

pub(crate) fn context_action(app: &mut App, layer: Layer, a: Action, out: &mut Vec<Command>) {
    let rows: Vec<Option<OnBehalfOf>> = match &app.modal {
        Some(Modal::Contexts(p)) => picker_rows(app, p).iter().map(|r| r.target()).collect(),
        _ => return,
    };
    let n = rows.len();
    let Some(Modal::Contexts(p)) = &mut app.modal else {
        return;
    };
    p.moved = true;
    match (layer, a) {
        (_, Action::Up) => p.cursor = p.cursor.min(n.saturating_sub(1)).saturating_sub(1),
        (_, Action::Down) => p.cursor = (p.cursor + 1).min(n.saturating_sub(1)),
        (_, Action::Top) => p.cursor = 0,
        (_, Action::Bottom) => p.cursor = n.saturating_sub(1),
        (Layer::Contexts, Action::Filter) => p.editing = true,
        (Layer::ContextsFilter, Action::Back) => {
            p.filter = Input::default();
            p.editing = false;
            p.cursor = 0;
        }
        (Layer::ContextsFilter, Action::Enter) => p.editing = false,
        (Layer::Contexts, Action::Back) => close_modal(app),
        (Layer::Contexts, Action::Enter) => {
            let Some(choice) = rows.get(p.cursor).cloned() else {
                return;
            };
            close_modal(app);
            switch_context(app, choice, out);
        }
        (Layer::Contexts, Action::PreviousContext) => {
            close_modal(app);
            previous_context(app, out);
        }
        _ => {}
    }
}

/// `-` / `:ctx -`: back to the context before the last switch.
pub(crate) fn previous_context(app: &mut App, out: &mut Vec<Command>) {
    match app.previous_ctx.clone() {
        Some(prev) => switch_context(app, prev, out),
        None => toast(
            app,
            Level::Info,
            format!(
                "no previous context yet: {} lists every context, :ctx own goes to the key's own account",
                super::keymap::user::key_name(Layer::List, Action::Contexts)
            ),
        ),
    }
}

/// Point the dashboard at another account/subuser without restarting.
pub(crate) fn switch_context(app: &mut App, to: Option<OnBehalfOf>, out: &mut Vec<Command>) {
    if app.ctx.on_behalf_of == to {
        return;
    }
    // Reads for the old context are dropped; mutations in flight still report.
    app.pending.retain(|_, p| p.is_mutation());
    out.push(Command::CancelReads);
    app.previous_ctx = Some(app.ctx.on_behalf_of.clone());
    // a subuser's requests go to its region's host (EU subusers: api.eu.sendgrid.com)
    app.ctx.region = region_of(app, &to);
    app.ctx.on_behalf_of = to;
    app.keys = Account::default();
    app.view = ListView {
        sort: app.view.sort,
        reverse: app.view.reverse,
        wide: app.view.wide,
        ..ListView::default()
    };
    app.detail = DetailView::default();
    app.detail_wanted = None;
    app.my_scopes.reset();
    load_context(app, out);
    let label = app.context_label();
    // an error about the old context's list no longer holds here
    clear_error_about(app, "list");
    toast(app, Level::Info, format!("switched to {label}"));
}

/// The region a subuser's requests go to (its host), when the subuser list says.
fn region_of(app: &App, to: &Option<OnBehalfOf>) -> Option<Region> {
    match to {
        Some(OnBehalfOf::Subuser(name)) => app
            .subusers
            .value()
            .and_then(|s| s.iter().find(|u| &u.username == name))
            .and_then(|u| u.region),
        _ => None,
    }
}
