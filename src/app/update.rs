//! `update(&mut App, Msg) -> Vec<Command>`: the dispatcher. Each message goes to the room that
//! owns it: keys by layer (the keymap table) to `browse` or a dialog's module, worker answers by
//! the request that waits for them, the mouse and pastes by where they land. Pure: no IO, no
//! await, no clock (time comes in as `Msg::Tick`).
//!
//! The rooms, lowest first: `effects` (log, toast, request) → `list` (keys, selection, loading)
//! → one module per dialog (`rename`, `scope_editor`, `create`, `diff`, `secret`, `revoke`,
//! `contexts`, `overlays`) → `browse` (the panes' keys, which open the dialogs) → this file.

use std::collections::BTreeSet;

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind,
};

use super::keymap::{self, Action, Layer};
use super::layout;
use super::*;
use super::{
    browse::*, contexts::*, create::*, diff::*, effects::*, list::*, rename::*, revoke::*,
    scope_editor::*, secret::*,
};
use crate::api::ApiError;

/// Commands to run when the dashboard opens.
pub fn init(app: &mut App) -> Vec<Command> {
    let mut out = Vec::new();
    load_context(app, &mut out);
    // a pending rotation from an earlier run shows its badge from the start
    super::rotate::read_journal(app, &mut out);
    out
}

/// Apply one message.
pub fn update(app: &mut App, msg: Msg) -> Vec<Command> {
    // the user's keys, for this call (synchronous: nothing of it outlives the call)
    let _keys = keymap::using(app.keymap);
    let mut out = Vec::new();
    match msg {
        Msg::Tick(now) => tick(app, now, &mut out),
        Msg::Resize(w, h) => {
            app.size = (w, h);
            keep_selection_visible(app);
        }
        Msg::Key(k) => {
            if k.kind != KeyEventKind::Release {
                key(app, k, &mut out);
            }
        }
        Msg::Paste(text) => super::burst::arrived(
            app,
            &text,
            false,
            super::burst::Arrival::Paste,
            key,
            &mut out,
        ),
        Msg::Burst { text, enter } => super::burst::arrived(
            app,
            &text,
            enter,
            super::burst::Arrival::Burst,
            key,
            &mut out,
        ),
        Msg::Mouse(m) => {
            if app.mouse {
                mouse(app, m, &mut out);
            }
        }
        Msg::Api(ev) => api_event(app, ev, &mut out),
        Msg::RateWait(w) => app.rate_wait = w,
        Msg::Copied {
            what: Clip::Secret,
            result,
        } => super::secret::copied(app, result),
        Msg::Copied { what, result } => super::effects::copied(app, &what, result),
        Msg::Call(rec) => super::log::call(app, rec),
    }
    refresh_views(app);
    out
}

/// Rebuild what is derived from the state, once, after the message did its work (the rooms
/// change state and never call each other for this): the matrix follows a context switch, the
/// all-contexts matrix's rows follow the list's, the selected key's classification its scopes.
fn refresh_views(app: &mut App) {
    super::matrix::follow_context(app);
    if std::mem::take(&mut app.view.changed) {
        super::matrix::resweep(app);
    }
    sync_selected_class(app);
    super::effects::refresh_quit_question(app);
}

/// Classify the selected key's scopes once, when the selection or its scopes changed.
fn sync_selected_class(app: &mut App) {
    let Some(e) = app.selected() else {
        app.detail.class = None;
        return;
    };
    let Some(info) = e.info() else {
        app.detail.class = None;
        return;
    };
    if app.detail.class_of(&e.id, info).is_none() {
        let class = std::sync::Arc::new(info.classify());
        app.detail.class = Some((e.id.clone(), info.clone(), class));
    }
}

fn tick(app: &mut App, now: u64, out: &mut Vec<Command>) {
    app.now_ms = now;
    if let Some(t) = &app.toast
        && t.expires_at().is_some_and(|end| now >= end)
    {
        app.toast = None;
    }
    if let Some(t) = &app.aside
        && t.expires_at().is_some_and(|end| now >= end)
    {
        app.aside = None;
    }
    if let Some((id, at)) = app.detail_wanted.clone()
        && now >= at + DETAIL_DEBOUNCE_MS
    {
        app.detail_wanted = None;
        let still_selected = app.selected().is_some_and(|e| e.id == id);
        let needed = app
            .keys
            .get(&id)
            .is_some_and(|e| e.info().is_none() && !e.state.is_loading());
        if still_selected && needed {
            fetch_detail(app, &id, out);
        }
    }
    super::live::tick(app, out);
}

fn key(app: &mut App, k: KeyEvent, out: &mut Vec<Command>) {
    let layer = app.layer();
    // A terminal sends Alt-x as ESC x, so an Esc and the next key arriving together (typed
    // fast over a slow link, or read late on a busy machine) read as Alt-x. Unless the layer
    // binds that Alt key, it is taken as what it almost always is: Esc, then the key.
    if let KeyCode::Char(c) = k.code
        && k.modifiers - KeyModifiers::SHIFT == KeyModifiers::ALT
        && keymap::resolve(layer, &k).is_none()
    {
        key(app, KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE), out);
        key(
            app,
            KeyEvent::new(KeyCode::Char(c), k.modifiers - KeyModifiers::ALT),
            out,
        );
        return;
    }
    if !app.fits() && layer != Layer::ConfirmQuit {
        // Only quitting works on a too-small screen.
        if let Some(b) = keymap::resolve(Layer::List, &k)
            && matches!(b.action, Action::Quit | Action::ForceQuit)
        {
            quit(app, b.action == Action::ForceQuit, out);
        }
        return;
    }
    match keymap::resolve(layer, &k) {
        Some(b)
            if keymap::needs_target(b.action)
                && matches!(layer, Layer::List | Layer::Detail | Layer::Matrix)
                && !app.has_target() =>
        {
            let why = app.no_target_reason();
            toast(
                app,
                Level::Info,
                format!("no key to act on ({}): {why}", b.short_desc()),
            );
        }
        Some(b) if b.writes && app.ctx.read_only => {
            toast(
                app,
                Level::Warn,
                format!("read-only mode: '{}' is disabled", b.desc),
            );
        }
        Some(b) => {
            // Any deliberate action dismisses a lingering error, except Esc, which does only that.
            if b.action != Action::Back
                && app.toast.as_ref().is_some_and(|t| t.level == Level::Error)
                && matches!(layer, Layer::List | Layer::Detail)
            {
                app.toast = None;
            }
            action(app, layer, b.action, out);
        }
        None if layer.is_text() => text_input(app, layer, k),
        None => super::command::no_action(app, &k),
    }
}

fn text_input(app: &mut App, layer: Layer, k: KeyEvent) {
    let Some(req) = tui_input::backend::crossterm::to_input_request(&Event::Key(k)) else {
        return;
    };
    super::field::edit_field(app, layer, |input| {
        input.handle(req);
    });
}

fn action(app: &mut App, layer: Layer, a: Action, out: &mut Vec<Command>) {
    if a == Action::ForceQuit {
        return quit(app, true, out);
    }
    // `?` in a dialog: its help, over it
    if a == Action::Help && !matches!(layer, Layer::Help | Layer::HelpFilter) {
        return super::overlays::open_help(app, layer);
    }
    match layer {
        Layer::List | Layer::Detail => browse(app, layer, a, out),
        Layer::Matrix => {
            if let Some(a) = super::matrix::action(app, a, out) {
                browse(app, Layer::Matrix, a, out)
            }
        }
        Layer::Cell => super::matrix::cell_action(app, a),
        Layer::Filter => match a {
            Action::Enter => app.filter.editing = false,
            Action::Back => {
                app.filter = FilterState::default();
                refilter(app);
            }
            Action::Down | Action::Up if app.sweep().is_some() => {
                super::matrix::action(app, a, out);
            }
            Action::Down => move_by(app, 1),
            Action::Up => move_by(app, -1),
            _ => {}
        },
        Layer::Help | Layer::HelpFilter => super::overlays::help_action(app, layer, a),
        Layer::Log | Layer::LogFilter => super::log::log_action(app, layer, a),
        Layer::ConfirmQuit => super::effects::quit_action(app, a, out),
        Layer::Rename => rename_action(app, a, out),
        Layer::Scopes | Layer::ScopesReview | Layer::ScopesConflict => {
            scope_action(app, layer, a, out)
        }
        Layer::CreateName | Layer::Create | Layer::CreateReview => {
            create_action(app, layer, a, out)
        }
        Layer::Discard => discard_action(app, a),
        Layer::Secret => secret_action(app, a, out),
        Layer::Diff | Layer::DiffPreset => diff_action(app, a),
        Layer::Presets => preset_action(app, a),
        Layer::Confirm => confirm_action(app, a, out),
        Layer::Contexts | Layer::ContextsFilter => context_action(app, layer, a, out),
        Layer::Describe | Layer::DescribeFilter => {
            super::describe::describe_action(app, layer, a, out)
        }
        Layer::Command => super::command::command_action(app, a, out),
        Layer::RotateName => super::rotate::rotate_action(app, a, out),
        Layer::Deployed => super::rotate::deployed_action(app, a, out),
        Layer::Journal | Layer::JournalFilter | Layer::JournalDetail | Layer::JournalConfirm => {
            super::journal::journal_action(app, layer, a, out)
        }
        Layer::Busy => {
            if a == Action::Back {
                close_modal(app);
                toast(app, Level::Info, "the request continues in the background");
            }
        }
    }
}

fn api_event(app: &mut App, ev: ApiEvent, out: &mut Vec<Command>) {
    let Some(pending) = app.pending.remove(&ev.req) else {
        // Stale: the selection or the context moved on. Drop it.
        return;
    };
    let done = match ev.result {
        ApiResult::Mutated(done) => {
            if let Some(e) = &done.journal_error {
                toast(
                    app,
                    Level::Error,
                    format!("the change was made but its outcome could not be journaled: {e}"),
                );
            }
            if let Some(n) = &done.note {
                log(app, Level::Info, n.clone());
            }
            return mutated(app, ev.req, pending, done, out);
        }
        other => other,
    };
    match (pending, done) {
        (Pending::List { by_user }, ApiResult::Keys(r)) => {
            let listed = r.is_ok();
            keys_loaded(app, r, by_user, out);
            // rotations recorded by other processes (the CLI, another dashboard) show too
            if listed {
                super::rotate::read_journal(app, out);
            }
            super::leak::keys_arrived(app);
            if let Some(then) = super::matrix::keys_arrived(app) {
                browse(app, Layer::Matrix, then, out);
            }
        }
        (Pending::SweepStart { sweep }, ApiResult::SweepStarted(r)) => {
            super::matrix::sweep_started(app, sweep, r, out)
        }
        (Pending::SweepBegin { sweep }, ApiResult::SweepBegun(r)) => {
            super::matrix::sweep_begun(app, sweep, r)
        }
        (Pending::SweepEnd, ApiResult::Recorded(r)) => {
            if let Err(e) = r {
                log(
                    app,
                    Level::Warn,
                    format!("all contexts: the sweep's end is not recorded ({e})"),
                );
            }
        }
        (Pending::SweepList { sweep, ctx }, ApiResult::Keys(r)) => {
            super::matrix::sweep_listed(app, sweep, ctx, r, out)
        }
        (Pending::Locate { id }, ApiResult::Located(r)) => super::leak::located(app, &id, r, out),
        (Pending::Verify { id }, ApiResult::Verified(r)) => super::leak::verified(app, &id, r, out),
        (Pending::AfterDelay { id }, ApiResult::AppearedDuringDelay(r)) => {
            super::leak::after_delay(app, &id, r)
        }
        (Pending::Probe { id }, ApiResult::Probed(r)) => super::leak::probed(app, &id, r),
        (Pending::Recall, ApiResult::Remembered(r)) => super::list::remembered(app, r),
        (Pending::Journal, ApiResult::Journal(r)) => {
            if let Ok(entries) = &r {
                super::contexts::journal_seen(app, entries);
            }
            super::rotate::journal_read(app, r)
        }
        (Pending::ReadBack { id }, ApiResult::ReadBack(r)) => super::rotate::read_back(app, &id, r),
        (Pending::Delivery { .. }, ApiResult::Recorded(r)) => super::rotate::recorded(app, r),
        (Pending::Replacement { old }, ApiResult::Key(r)) => {
            super::rotate::replacement_read(app, &old, r, out)
        }
        (Pending::Describe(id), ApiResult::Described(r)) => {
            super::describe::answered(app, ev.req, &id, r)
        }
        (Pending::Detail(id), ApiResult::Key(r)) => key_loaded(app, &id, ev.req, r, false),
        (
            Pending::Prefetch {
                whose: Whose::Here,
                id,
            },
            ApiResult::Key(r),
        ) => {
            app.keys.prefetched(r.is_ok());
            key_loaded(app, &id, ev.req, r, true);
            super::list::pump(app, out);
        }
        (
            Pending::Prefetch {
                whose: whose @ Whose::Sweep { .. },
                id,
            },
            ApiResult::Key(r),
        ) => super::matrix::sweep_key(app, whose, &id, r, out),
        (Pending::PreSave(_), ApiResult::Key(r)) => presave_checked(app, ev.req, r, out),
        (Pending::MyScopes, ApiResult::MyScopes(r)) => match r {
            Ok(s) => {
                let set: BTreeSet<String> = s.into_iter().collect();
                super::create::grantable_known(app, &set);
                app.my_scopes.ready(set);
                // a refused list is said again, now with the scope the key lacks
                if app.keys.status.error().is_some()
                    && matches!(app.keys.failure, Some(ApiError::Forbidden(_)))
                {
                    list_failed(app);
                }
            }
            Err(e) => {
                let why = super::errors::describe(&e);
                app.my_scopes.fail(why.clone());
                log(
                    app,
                    Level::Warn,
                    format!("could not read the key's own scopes: {why}"),
                );
            }
        },
        (Pending::Subusers, ApiResult::Subusers(r)) => match r {
            Ok(s) => {
                app.subusers.ready(s);
                super::command::subusers_arrived(app, out);
                super::matrix::subusers_arrived(app, out);
                super::contexts::cursor_on_current(app);
            }
            Err(e) => {
                let why = super::errors::explain(app, &e, Some("subusers.read"));
                app.subusers.fail(why);
                super::command::subusers_arrived(app, out);
                super::matrix::subusers_arrived(app, out);
            }
        },
        (p, r) => log(
            app,
            Level::Error,
            format!("internal: answer {r:?} does not fit request {p:?}"),
        ),
    }
}

/// The answer to a mutation, for the request that is waiting for it.
fn mutated(app: &mut App, req: ReqId, pending: Pending, mut done: Done, out: &mut Vec<Command>) {
    let unknown = done.outcome == crate::journal::Outcome::Unknown;
    match &pending {
        Pending::Rotate { old, name } => {
            return super::rotate::rotated(app, req, old, name, done, out);
        }
        Pending::Delete { id, .. } => super::rotate::revoke_answered(app, id, done.sent, out),
        _ => {}
    }
    // said last, so the success said for the write does not hide it
    let differs = std::mem::take(&mut done.differs);
    let entry = done.entry;
    let r = done.result;
    match (pending, r) {
        (Pending::Create { name }, Ok(Effect::Created(k))) => created(app, req, &name, Ok(k)),
        (Pending::Create { name }, Err(e)) => created(app, req, &name, Err(e)),
        (Pending::Rename { id, name }, Ok(Effect::Renamed(k))) => {
            renamed(app, req, &id, &name, Ok(k))
        }
        (Pending::Rename { id, name }, Err(e)) => renamed(app, req, &id, &name, Err(e)),
        (Pending::Update { id }, Ok(Effect::Updated(k))) => updated(app, req, &id, Ok(k)),
        (Pending::Update { id }, Err(e)) => updated(app, req, &id, Err(e)),
        (Pending::Delete { id, batch }, Ok(e @ (Effect::Revoked | Effect::AlreadyGone))) => {
            let already = matches!(e, Effect::AlreadyGone);
            deleted(app, &id, batch, Ok(already), false, out);
            super::rotate::old_revoked(app, &id, Ok(()), false, entry.clone(), out);
            super::leak::revoked(app, &id, entry, out);
        }
        (Pending::Delete { id, batch }, Err(e)) => {
            let why = super::errors::describe(&e);
            let why = if unknown {
                format!("outcome unknown ({why})")
            } else {
                why
            };
            deleted(app, &id, batch, Err(e), unknown, out);
            super::rotate::old_revoked(app, &id, Err(why), unknown, entry, out);
        }
        (p, r) => log(
            app,
            Level::Error,
            format!("internal: answer {r:?} does not fit request {p:?}"),
        ),
    }
    for w in differs {
        toast(app, Level::Warn, format!("warning: {w}"));
    }
}

fn mouse(app: &mut App, m: MouseEvent, out: &mut Vec<Command>) {
    let (w, h) = app.size;
    if app.matrix_on() {
        return super::matrix::mouse(app, m, out);
    }
    match m.kind {
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let d = if m.kind == MouseEventKind::ScrollDown {
                1
            } else {
                -1
            };
            match app.layer() {
                Layer::Log => action(
                    app,
                    Layer::Log,
                    if d > 0 { Action::Down } else { Action::Up },
                    out,
                ),
                Layer::List | Layer::Filter => move_by(app, 3 * d),
                Layer::Detail => action(
                    app,
                    Layer::Detail,
                    if d > 0 { Action::Down } else { Action::Up },
                    out,
                ),
                _ => {}
            }
        }
        MouseEventKind::Down(ratatui::crossterm::event::MouseButton::Left)
            if app.modal.is_none() =>
        {
            if let Some(row) = layout::list_row_at(w, h, m.column, m.row) {
                let pos = app.view.offset + row;
                if pos < app.view.rows.len() {
                    app.focus = Pane::List;
                    select(app, pos);
                }
            } else if layout::in_detail(w, h, m.column, m.row) && app.selected().is_some() {
                app.focus = Pane::Detail;
            }
        }
        _ => {}
    }
}
