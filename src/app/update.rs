//! `update(&mut App, Msg) -> Vec<Command>`: every state transition of the dashboard. Pure: no IO,
//! no await, no clock (time comes in as `Msg::Tick`).

use std::collections::BTreeSet;

use ratatui::crossterm::event::{Event, KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};

use super::keymap::{self, Action, Layer};
use super::layout;
use super::*;
use crate::api::{ApiError, ApiKey, KeyDetail, OnBehalfOf};
use crate::presets::PRESETS;
use crate::risk;
use crate::scopes::{self, KeyType};

/// Commands to run when the dashboard opens.
pub fn init(app: &mut App) -> Vec<Command> {
    let mut out = Vec::new();
    load_context(app, &mut out);
    out
}

/// Apply one message.
pub fn update(app: &mut App, msg: Msg) -> Vec<Command> {
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
        Msg::Paste(text) => paste(app, &text),
        Msg::Mouse(m) => {
            if app.mouse {
                mouse(app, m, &mut out);
            }
        }
        Msg::Api(ev) => api_event(app, ev, &mut out),
        Msg::Call(rec) => {
            let status = rec
                .status
                .map_or_else(|| "---".to_owned(), |s| s.to_string());
            let ctx = rec
                .on_behalf_of
                .as_deref()
                .map(|o| format!(" [{o}]"))
                .unwrap_or_default();
            let retry = if rec.attempt > 0 {
                format!(" (retry {})", rec.attempt)
            } else {
                String::new()
            };
            let err = rec
                .error
                .as_deref()
                .map(|e| format!(" — {e}"))
                .unwrap_or_default();
            let level = match rec.status {
                Some(s) if s < 400 => Level::Info,
                Some(429) => Level::Warn,
                _ => Level::Error,
            };
            log(
                app,
                level,
                format!(
                    "{} {} {status} {}ms{ctx}{retry}{err}",
                    rec.method, rec.path, rec.elapsed_ms
                ),
            );
        }
    }
    out
}

// ---------------------------------------------------------------- helpers

fn log(app: &mut App, level: Level, text: String) {
    app.log.push_back(LogLine {
        at_ms: app.now_ms,
        level,
        text,
    });
    while app.log.len() > LOG_CAP {
        app.log.pop_front();
    }
}

fn toast(app: &mut App, level: Level, text: impl Into<String>) {
    let text = text.into();
    log(app, level, text.clone());
    // An error stays until dismissed: a later info message does not hide it.
    if app.toast.as_ref().is_some_and(|t| t.level == Level::Error) && level < Level::Warn {
        return;
    }
    app.toast = Some(Toast {
        level,
        text,
        at_ms: app.now_ms,
    });
}

fn request(app: &mut App, pending: Pending, op: ApiOp, out: &mut Vec<Command>) -> ReqId {
    let req = app.next_req;
    app.next_req += 1;
    app.pending.insert(req, pending);
    out.push(Command::Api {
        req,
        ctx: app.ctx.on_behalf_of.clone(),
        region: app.ctx.region,
        op,
    });
    req
}

fn load_context(app: &mut App, out: &mut Vec<Command>) {
    let req = request(app, Pending::List, ApiOp::ListKeys, out);
    app.keys.load = Load::Loading(req);
    if app.my_scopes.is_none() && !app.my_scopes_load.is_loading() {
        let req = request(app, Pending::MyScopes, ApiOp::MyScopes, out);
        app.my_scopes_load = Load::Loading(req);
    }
}

fn capacity(app: &App) -> usize {
    layout::list_capacity(app.size.0, app.size.1).max(1)
}

fn keep_selection_visible(app: &mut App) {
    let n = app.view.rows.len();
    if n == 0 {
        app.view.selected = 0;
        app.view.offset = 0;
        return;
    }
    app.view.selected = app.view.selected.min(n - 1);
    let cap = capacity(app);
    if app.view.selected < app.view.offset {
        app.view.offset = app.view.selected;
    } else if app.view.selected >= app.view.offset + cap {
        app.view.offset = app.view.selected + 1 - cap;
    }
    app.view.offset = app.view.offset.min(n.saturating_sub(cap));
}

/// Move the selection to a row position; resets the detail pane and schedules its fetch.
fn select(app: &mut App, pos: usize) {
    let before = app.selected().map(|e| e.id.clone());
    app.view.selected = pos;
    keep_selection_visible(app);
    let after = app.selected().map(|e| e.id.clone());
    if before != after {
        selection_changed(app);
    }
}

fn selection_changed(app: &mut App) {
    app.detail = DetailView {
        show_all: app.detail.show_all,
        ..DetailView::default()
    };
    // A detail fetch for the previous selection is stale now: its answer will be dropped.
    let stale: Vec<ReqId> = app
        .pending
        .iter()
        .filter(|(_, p)| matches!(p, Pending::Detail(_)))
        .map(|(r, _)| *r)
        .collect();
    for r in stale {
        if let Some(Pending::Detail(id)) = app.pending.remove(&r)
            && let Some(e) = app.keys.get_mut(&id)
            && e.detail == Load::Loading(r)
        {
            e.detail = Load::NotAsked;
        }
    }
    app.detail_wanted = match app.selected() {
        Some(e) if e.info.is_none() && !e.detail.is_loading() => Some((e.id.clone(), app.now_ms)),
        _ => None,
    };
}

/// Recompute the visible rows from the entries, the query and the sort; keep the selected key
/// selected when it is still visible.
pub(crate) fn refilter(app: &mut App) {
    let keep = app.selected().map(|e| e.id.clone());
    let q = &app.filter.query;
    let entries = &app.keys.entries;
    let mut rows: Vec<usize> = if q.is_empty() {
        (0..entries.len()).collect()
    } else {
        (0..entries.len())
            .filter(|i| q.matches(&entries[*i]))
            .collect()
    };
    if app.view.sort != SortKey::Api {
        let key = app.view.sort;
        rows.sort_by(|a, b| filter::compare(key, &entries[*a], &entries[*b]).then(a.cmp(b)));
    }
    if app.view.reverse {
        rows.reverse();
    }
    app.view.rows = rows;
    let pos = keep
        .and_then(|id| app.keys.index.get(&id).copied())
        .and_then(|idx| app.view.rows.iter().position(|r| *r == idx));
    match pos {
        Some(p) => {
            app.view.selected = p;
            keep_selection_visible(app);
        }
        None => {
            app.view.selected = 0;
            app.view.offset = 0;
            keep_selection_visible(app);
            selection_changed(app);
        }
    }
}

fn set_info(app: &mut App, detail: KeyDetail) {
    let dup = app.dups.get(detail.api_key_id.as_str()).copied();
    if let Some(e) = app.keys.get_mut(&detail.api_key_id) {
        let info = KeyInfo::new(&detail);
        e.risk = risk::combine(&info.scope_findings, &detail.name, dup);
        e.name.clone_from(&detail.name);
        e.info = Some(info);
        e.detail = Load::Loaded;
    }
}

/// Recompute name-based findings and duplicate names for the whole list (list changes only).
fn recompute_risks(app: &mut App) {
    app.dups = risk::duplicate_names(
        app.keys
            .entries
            .iter()
            .map(|e| (e.id.as_str(), e.name.as_str())),
    );
    // scope findings were computed once per key when its scopes arrived: only recombine
    for e in &mut app.keys.entries {
        let scope = e.info.as_ref().map_or(&[][..], |i| &i.scope_findings[..]);
        e.risk = risk::combine(scope, &e.name, app.dups.get(e.id.as_str()).copied());
    }
}

/// Ask for a key's scopes on behalf of the selection (a stale answer is dropped when it moves).
fn fetch_detail(app: &mut App, id: &ApiKeyId, out: &mut Vec<Command>) {
    let req = request(
        app,
        Pending::Detail(id.clone()),
        ApiOp::GetKey(id.clone()),
        out,
    );
    if let Some(e) = app.keys.get_mut(id) {
        e.detail = Load::Loading(req);
    }
}

fn pump_prefetch(app: &mut App, out: &mut Vec<Command>) {
    while app.prefetch.in_flight < PREFETCH_CONCURRENCY {
        let Some(id) = app.prefetch.queue.pop_front() else {
            break;
        };
        let Some(e) = app.keys.get(&id) else { continue };
        if e.detail.is_loading() {
            // the selection's own fetch is already on it; count it when it lands
            app.prefetch.done += 1;
            continue;
        }
        let req = request(
            app,
            Pending::Prefetch(id.clone()),
            ApiOp::GetKey(id.clone()),
            out,
        );
        app.prefetch.in_flight += 1;
        if let Some(e) = app.keys.get_mut(&id) {
            e.detail = Load::Loading(req);
        }
    }
}

fn close_modal(app: &mut App) {
    app.modal = None;
}

// ---------------------------------------------------------------- time

fn tick(app: &mut App, now: u64, out: &mut Vec<Command>) {
    app.now_ms = now;
    if let Some(t) = &app.toast
        && t.expires_at().is_some_and(|end| now >= end)
    {
        app.toast = None;
    }
    if let Some((id, at)) = app.detail_wanted.clone()
        && now >= at + DETAIL_DEBOUNCE_MS
    {
        app.detail_wanted = None;
        let still_selected = app.selected().is_some_and(|e| e.id == id);
        let needed = app
            .keys
            .get(&id)
            .is_some_and(|e| e.info.is_none() && !e.detail.is_loading());
        if still_selected && needed {
            fetch_detail(app, &id, out);
        }
    }
}

// ---------------------------------------------------------------- keys

fn key(app: &mut App, k: KeyEvent, out: &mut Vec<Command>) {
    let layer = app.layer();
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
        None => {}
    }
}

fn text_input(app: &mut App, layer: Layer, k: KeyEvent) {
    let Some(req) = tui_input::backend::crossterm::to_input_request(&Event::Key(k)) else {
        return;
    };
    match layer {
        Layer::Filter => {
            app.filter.input.handle(req);
            filter_changed(app);
        }
        Layer::Help => {
            if let Some(Modal::Help(h)) = &mut app.modal {
                h.filter.handle(req);
                h.scroll = 0;
            }
        }
        Layer::Rename => {
            if let Some(Modal::Rename(f)) = &mut app.modal {
                f.input.handle(req);
                f.error = None;
            }
        }
        Layer::CreateName => {
            if let Some(Modal::Create(f)) = &mut app.modal {
                f.name.handle(req);
                f.error = None;
            }
        }
        Layer::Confirm => {
            if let Some(Modal::ConfirmDelete(c)) = &mut app.modal {
                c.typed.handle(req);
                c.error = None;
                if c.count_ok() && c.needs_count() {
                    c.focus = ConfirmFocus::Revoke;
                }
            }
        }
        Layer::Contexts => {
            if let Some(Modal::Contexts(p)) = &mut app.modal {
                p.filter.handle(req);
                p.cursor = 0;
            }
        }
        _ => {}
    }
}

fn filter_changed(app: &mut App) {
    let text = app.filter.input.value().to_owned();
    // A whole key typed or pasted into the filter: never keep the secret, jump to its id.
    if let Ok(id) = crate::secret::key_id_of(&text) {
        app.filter.input = tui_input::Input::default();
        app.filter.query = Query::default();
        app.filter.editing = false;
        jump_to_key(app, &id);
        return;
    }
    app.filter.query = Query::parse(&text);
    refilter(app);
}

fn jump_to_key(app: &mut App, id: &str) {
    let id = crate::api::ApiKeyId(id.to_owned());
    if !app.keys.ever_loaded {
        toast(
            app,
            Level::Warn,
            "the key list is not loaded yet: paste the key again in a moment",
        );
        return;
    }
    // Make sure it is visible: clear the filter if it hides the key.
    if let Some(idx) = app.keys.index.get(&id).copied() {
        if !app.view.rows.contains(&idx) {
            app.filter = FilterState::default();
            refilter(app);
        }
        if let Some(pos) = app.view.rows.iter().position(|r| *r == idx) {
            select(app, pos);
            app.focus = Pane::List;
            let name = app.keys.entries[idx].name.clone();
            let hint = if app.ctx.read_only {
                ""
            } else {
                " — press d to revoke it"
            };
            toast(
                app,
                Level::Warn,
                format!("pasted key is '{name}' ({id}){hint}"),
            );
        }
    } else {
        toast(
            app,
            Level::Warn,
            format!(
                "no key {id} in {}: already revoked? in another subuser (press c)?",
                app.context_label()
            ),
        );
    }
}

fn paste(app: &mut App, text: &str) {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_owned();
    if let Ok(id) = crate::secret::key_id_of(&line) {
        if matches!(app.layer(), Layer::List | Layer::Detail | Layer::Filter) {
            app.filter.editing = false;
            jump_to_key(app, &id);
            return;
        }
        // Never put a secret into a form field.
        toast(
            app,
            Level::Warn,
            "that is an API key secret: paste it into the key list to find the key",
        );
        return;
    }
    let layer = app.layer();
    if layer.is_text() {
        for c in line.chars().filter(|c| !c.is_control()) {
            let k = KeyEvent::new(
                ratatui::crossterm::event::KeyCode::Char(c),
                ratatui::crossterm::event::KeyModifiers::NONE,
            );
            text_input(app, layer, k);
        }
    }
}

fn quit(app: &mut App, force: bool, out: &mut Vec<Command>) {
    if !force && app.pending_mutations() > 0 && !matches!(app.modal, Some(Modal::ConfirmQuit)) {
        app.modal = Some(Modal::ConfirmQuit);
        return;
    }
    app.should_quit = true;
    out.push(Command::CancelReads);
    out.push(Command::Quit);
}

fn action(app: &mut App, layer: Layer, a: Action, out: &mut Vec<Command>) {
    if a == Action::ForceQuit {
        return quit(app, true, out);
    }
    match layer {
        Layer::List | Layer::Detail => browse(app, layer, a, out),
        Layer::Filter => match a {
            Action::Enter => app.filter.editing = false,
            Action::Back => {
                app.filter = FilterState::default();
                refilter(app);
            }
            Action::Down => move_by(app, 1),
            Action::Up => move_by(app, -1),
            _ => {}
        },
        Layer::Help => match a {
            Action::Back => close_modal(app),
            Action::Down | Action::Up => {
                if let Some(Modal::Help(h)) = &mut app.modal {
                    h.scroll = if a == Action::Down {
                        h.scroll + 1
                    } else {
                        h.scroll.saturating_sub(1)
                    };
                }
            }
            _ => {}
        },
        Layer::Log => {
            let n = app.log.len();
            if let Some(Modal::Log(l)) = &mut app.modal {
                match a {
                    Action::Back => app.modal = None,
                    Action::Up => l.scroll = (l.scroll + 1).min(n.saturating_sub(1)),
                    Action::Down => l.scroll = l.scroll.saturating_sub(1),
                    Action::Top => l.scroll = n.saturating_sub(1),
                    Action::Bottom => l.scroll = 0,
                    _ => {}
                }
            }
        }
        Layer::ConfirmQuit => match a {
            Action::Yes => quit(app, true, out),
            _ => close_modal(app),
        },
        Layer::Rename => rename_action(app, a, out),
        Layer::Scopes | Layer::ScopesReview | Layer::ScopesConflict => {
            scope_action(app, layer, a, out)
        }
        Layer::CreateName | Layer::Create | Layer::CreateReview => {
            create_action(app, layer, a, out)
        }
        Layer::Discard => match a {
            Action::Yes => close_modal(app),
            _ => match &mut app.modal {
                Some(Modal::EditScopes(f)) => f.stage = ScopeStage::Editing,
                Some(Modal::Create(f)) => f.stage = CreateStage::Editing,
                _ => {}
            },
        },
        Layer::Secret => secret_action(app, a, out),
        Layer::Diff | Layer::DiffPreset => diff_action(app, a),
        Layer::Presets => preset_action(app, a),
        Layer::Confirm => confirm_action(app, a, out),
        Layer::Contexts => context_action(app, a, out),
        Layer::Busy => {
            if a == Action::Back {
                close_modal(app);
                toast(app, Level::Info, "the request continues in the background");
            }
        }
    }
}

fn move_by(app: &mut App, delta: isize) {
    let n = app.view.rows.len();
    if n == 0 {
        return;
    }
    let pos = (app.view.selected as isize + delta).clamp(0, n as isize - 1) as usize;
    select(app, pos);
}

fn browse(app: &mut App, layer: Layer, a: Action, out: &mut Vec<Command>) {
    let half = (capacity(app) / 2).max(1) as isize;
    let page = capacity(app) as isize;
    if layer == Layer::Detail {
        let n = super::detail_rows(app).len();
        let cur = app.detail.cursor as isize;
        let to = |d: isize| (cur + d).clamp(0, n.saturating_sub(1) as isize) as usize;
        match a {
            Action::Up => return app.detail.cursor = to(-1),
            Action::Down => return app.detail.cursor = to(1),
            Action::Top => return app.detail.cursor = 0,
            Action::Bottom => return app.detail.cursor = n.saturating_sub(1),
            Action::HalfUp => return app.detail.cursor = to(-half),
            Action::HalfDown => return app.detail.cursor = to(half),
            Action::PageUp => return app.detail.cursor = to(-page),
            Action::PageDown => return app.detail.cursor = to(page),
            Action::Toggle => {
                let cat = match super::detail_rows(app).get(app.detail.cursor) {
                    Some(
                        DetailRow::Category { category, .. } | DetailRow::Scope { category, .. },
                    ) => Some(category.id),
                    None => None,
                };
                if let Some(cat) = cat {
                    if !app.detail.expanded.remove(cat) {
                        app.detail.expanded.insert(cat);
                    }
                    // keep the cursor on the category row
                    if let Some(i) = super::detail_rows(app).iter().position(
                        |r| matches!(r, DetailRow::Category { category, .. } if category.id == cat),
                    ) {
                        app.detail.cursor = i;
                    }
                }
                return;
            }
            Action::ShowAll => {
                app.detail.show_all = !app.detail.show_all;
                app.detail.cursor = 0;
                return;
            }
            _ => {}
        }
    }
    match a {
        Action::Quit => quit(app, false, out),
        Action::Up => move_by(app, -1),
        Action::Down => move_by(app, 1),
        Action::Top => select(app, 0),
        Action::Bottom => select(app, app.view.rows.len().saturating_sub(1)),
        Action::HalfUp => move_by(app, -half),
        Action::HalfDown => move_by(app, half),
        Action::PageUp => move_by(app, -page),
        Action::PageDown => move_by(app, page),
        Action::NextPane | Action::PrevPane => {
            app.focus = if app.focus == Pane::List {
                Pane::Detail
            } else {
                Pane::List
            };
        }
        Action::Right | Action::Enter if app.selected().is_some() => app.focus = Pane::Detail,
        Action::Left => app.focus = Pane::List,
        Action::Filter => app.filter.editing = true,
        Action::Back => {
            if app.toast.as_ref().is_some_and(|t| t.level == Level::Error) {
                app.toast = None;
            } else if !app.view.marks.is_empty() {
                app.view.marks.clear();
            } else if app.filter.active() || !app.filter.input.value().is_empty() {
                app.filter = FilterState::default();
                refilter(app);
            } else if app.focus == Pane::Detail {
                app.focus = Pane::List;
            }
        }
        Action::Help => {
            app.modal = Some(Modal::Help(HelpModal {
                filter: Default::default(),
                under: layer,
                scroll: 0,
            }));
        }
        Action::Log => app.modal = Some(Modal::Log(LogModal::default())),
        Action::Refresh => refresh(app, out),
        Action::Mark => {
            if let Some(id) = app.selected().map(|e| e.id.clone()) {
                if !app.view.marks.remove(&id) {
                    app.view.marks.insert(id);
                }
                move_by(app, 1);
            }
        }
        Action::MarkAll => {
            let shown: Vec<ApiKeyId> = app
                .view
                .rows
                .iter()
                .map(|i| app.keys.entries[*i].id.clone())
                .collect();
            if shown.iter().all(|id| app.view.marks.contains(id)) {
                for id in &shown {
                    app.view.marks.remove(id);
                }
            } else {
                app.view.marks.extend(shown);
            }
        }
        Action::Sort => {
            app.view.sort = app.view.sort.next();
            refilter(app);
            let extra = if matches!(app.view.sort, SortKey::Type | SortKey::Risk)
                && app.prefetch.active()
            {
                " (scopes still loading)"
            } else {
                ""
            };
            toast(
                app,
                Level::Info,
                format!("sorted by {}{extra}", app.view.sort.label()),
            );
        }
        Action::SortReverse => {
            app.view.reverse = !app.view.reverse;
            refilter(app);
        }
        Action::CopyId => {
            if let Some(e) = app.selected() {
                let id = e.id.0.clone();
                out.push(Command::Copy(crate::secret::Secret::from_server(
                    id.clone(),
                )));
                toast(app, Level::Info, format!("copied id {id}"));
            }
        }
        Action::Contexts => open_contexts(app, out),
        Action::New => {
            let grantable = app.my_scopes.clone();
            app.modal = Some(Modal::Create(Box::new(CreateForm::new(grantable))));
        }
        Action::Rename => {
            if let Some(e) = app.selected() {
                if e.revoking {
                    return toast(app, Level::Warn, "this key is being revoked");
                }
                let form = RenameForm {
                    id: e.id.clone(),
                    original: e.name.clone(),
                    input: tui_input::Input::new(e.name.clone()),
                    error: None,
                    saving: None,
                };
                app.modal = Some(Modal::Rename(form));
            }
        }
        Action::EditScopes => open_scope_editor(app, out),
        Action::Diff => open_diff(app, out),
        Action::Trim => {
            let Some(e) = app.selected() else { return };
            if e.info.is_none() {
                return toast(
                    app,
                    Level::Info,
                    "this key's scopes are still loading: press p again in a moment",
                );
            }
            if e.key_type() == Some(KeyType::Billing) {
                return toast(
                    app,
                    Level::Info,
                    "a Billing key holds billing scopes only: there is nothing to trim to",
                );
            }
            app.modal = Some(Modal::Presets(PresetPicker {
                id: e.id.clone(),
                cursor: 0,
            }));
        }
        Action::Revoke => open_confirm_delete(app),
        _ => {}
    }
}

fn refresh(app: &mut App, out: &mut Vec<Command>) {
    if app.keys.load.is_loading() {
        return;
    }
    // Stale data stays on screen; every key's scopes are read again in the background.
    let req = request(app, Pending::List, ApiOp::ListKeys, out);
    app.keys.load = Load::Loading(req);
    app.refreshing = true;
    if app.my_scopes_load != Load::Loaded || app.my_scopes.is_none() {
        let req = request(app, Pending::MyScopes, ApiOp::MyScopes, out);
        app.my_scopes_load = Load::Loading(req);
    }
}

fn open_contexts(app: &mut App, out: &mut Vec<Command>) {
    if app.subusers.is_none() && !app.subusers_load.is_loading() {
        let req = request(app, Pending::Subusers, ApiOp::ListSubusers, out);
        app.subusers_load = Load::Loading(req);
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
    if let Some(subs) = &app.subusers {
        rows.extend(
            subs.iter()
                .filter(|s| s.username.to_lowercase().contains(&filter))
                .map(Some),
        );
    }
    rows
}

fn context_action(app: &mut App, a: Action, out: &mut Vec<Command>) {
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
    out.push(Command::CancelReads);
    // a subuser's requests go to its region's host (EU subusers: api.eu.sendgrid.com)
    app.ctx.region = match &to {
        Some(OnBehalfOf::Subuser(name)) => app
            .subusers
            .as_ref()
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
    app.my_scopes = None;
    app.my_scopes_load = Load::NotAsked;
    app.dups.clear();
    load_context(app, out);
    let label = app.context_label();
    toast(app, Level::Info, format!("switched to {label}"));
}

// ---------------------------------------------------------------- rename

fn rename_action(app: &mut App, a: Action, out: &mut Vec<Command>) {
    let Some(Modal::Rename(f)) = &mut app.modal else {
        return;
    };
    match a {
        Action::Back => close_modal(app),
        Action::Save => {
            if f.saving.is_some() {
                return;
            }
            match validate_name(f.input.value()) {
                Err(e) => f.error = Some(e),
                Ok(name) if name == f.original => {
                    close_modal(app);
                    toast(app, Level::Info, "name unchanged");
                }
                Ok(name) => {
                    let (id, before) = (f.id.clone(), f.original.clone());
                    let req = request(
                        app,
                        Pending::Rename {
                            id: id.clone(),
                            name: name.clone(),
                        },
                        ApiOp::Mutate(Mutation::Rename {
                            id,
                            name,
                            name_before: before,
                        }),
                        out,
                    );
                    if let Some(Modal::Rename(f)) = &mut app.modal {
                        f.saving = Some(req);
                    }
                }
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------- scope editor

fn open_scope_editor(app: &mut App, out: &mut Vec<Command>) {
    let Some(e) = app.selected() else { return };
    if e.revoking {
        return toast(app, Level::Warn, "this key is being revoked");
    }
    match e.key_detail() {
        Some(detail) => {
            let mut form = ScopeForm::new(&detail, app.my_scopes.clone());
            form.own = is_own(app, &form.id);
            app.modal = Some(Modal::EditScopes(Box::new(form)));
        }
        None => {
            let id = e.id.clone();
            if !e.detail.is_loading() {
                fetch_detail(app, &id, out);
            }
            toast(
                app,
                Level::Info,
                "loading this key's scopes: press e again in a moment",
            );
        }
    }
}

/// Matrix keys shared by the scope editor and the create form.
fn matrix_action(m: &mut ScopeMatrix, a: Action) {
    let Some(row) = m.current() else { return };
    match (a, row) {
        (Action::Up, _) => m.move_cursor(-1),
        (Action::Down, _) => m.move_cursor(1),
        (Action::Left, MatrixRow::Category(c)) => m.step(c, -1),
        (Action::Right, MatrixRow::Category(c)) => m.step(c, 1),
        (Action::Toggle, MatrixRow::Category(c)) => m.expand_toggle(c),
        (Action::Toggle, MatrixRow::Scope(c, s)) => m.toggle(c, s),
        (Action::Left, MatrixRow::Scope(c, s)) if m.selected.contains(s) => m.toggle(c, s),
        (Action::Right, MatrixRow::Scope(c, s)) if !m.selected.contains(s) => m.toggle(c, s),
        _ => {}
    }
}

fn scope_action(app: &mut App, layer: Layer, a: Action, out: &mut Vec<Command>) {
    let Some(Modal::EditScopes(f)) = &mut app.modal else {
        return;
    };
    match (layer, a) {
        (Layer::Scopes, Action::Back) => {
            if f.dirty() {
                f.stage = ScopeStage::ConfirmDiscard;
            } else {
                close_modal(app);
            }
        }
        (Layer::Scopes, Action::Save) => {
            if !f.dirty() {
                f.error = Some("no changes to save".into());
            } else if f.matrix.selected.is_empty() {
                f.error = Some("a key needs at least one scope: revoke it instead (d)".into());
            } else {
                f.error = None;
                f.stage = ScopeStage::Review;
            }
        }
        (Layer::Scopes, _) => {
            f.error = None;
            matrix_action(&mut f.matrix, a);
        }
        (Layer::ScopesReview, Action::Yes) => {
            // Re-read first: if the key changed elsewhere, say so instead of overwriting.
            let id = f.id.clone();
            let req = request(app, Pending::PreSave(id.clone()), ApiOp::GetKey(id), out);
            if let Some(Modal::EditScopes(f)) = &mut app.modal {
                f.stage = ScopeStage::Checking(req);
            }
        }
        (Layer::ScopesReview, Action::No) => f.stage = ScopeStage::Editing,
        (Layer::ScopesConflict, Action::Overwrite) => {
            if let ScopeStage::Conflict(server) = &f.stage {
                let server_scopes = scopes::sendable(&server.scopes);
                let op = ApiOp::Mutate(Mutation::SetScopes {
                    id: f.id.clone(),
                    name: server.name.clone(),
                    scopes: f.matrix.selected.iter().cloned().collect(),
                    scopes_before: server_scopes,
                });
                let id = f.id.clone();
                let req = request(app, Pending::Update { id }, op, out);
                if let Some(Modal::EditScopes(f)) = &mut app.modal {
                    f.stage = ScopeStage::Saving(req);
                }
            }
        }
        (Layer::ScopesConflict, Action::Reload) => {
            if let ScopeStage::Conflict(server) = f.stage.clone() {
                let grantable = f.matrix.grantable.clone();
                let mut fresh = ScopeForm::new(&server, grantable);
                fresh.own = f.own;
                fresh.error =
                    Some("reloaded the key as it is now; your changes were dropped".into());
                **f = fresh;
                set_info(app, server);
            }
        }
        (Layer::ScopesConflict, Action::Back) => f.stage = ScopeStage::Editing,
        _ => {}
    }
}

fn presave_checked(
    app: &mut App,
    req: ReqId,
    result: Result<KeyDetail, ApiError>,
    out: &mut Vec<Command>,
) {
    let Some(Modal::EditScopes(f)) = &mut app.modal else {
        return;
    };
    if f.stage != ScopeStage::Checking(req) {
        return;
    }
    match result {
        Ok(server) => {
            let now: BTreeSet<String> = scopes::sendable(&server.scopes).into_iter().collect();
            if now == f.original && server.name == f.name {
                let op = ApiOp::Mutate(Mutation::SetScopes {
                    id: f.id.clone(),
                    name: f.name.clone(),
                    scopes: f.matrix.selected.iter().cloned().collect(),
                    scopes_before: f.original.iter().cloned().collect(),
                });
                let id = f.id.clone();
                let req = request(app, Pending::Update { id }, op, out);
                if let Some(Modal::EditScopes(f)) = &mut app.modal {
                    f.stage = ScopeStage::Saving(req);
                }
            } else {
                f.stage = ScopeStage::Conflict(server.clone());
                set_info(app, server);
                toast(
                    app,
                    Level::Warn,
                    "this key changed since you opened it: review before saving",
                );
            }
        }
        Err(e) => {
            f.stage = ScopeStage::Editing;
            f.error = Some(match &e {
                ApiError::NotFound(_) => "the key no longer exists (revoked elsewhere)".to_owned(),
                other => format!("could not re-read the key: {}", other.short()),
            });
        }
    }
}

// ---------------------------------------------------------------- create

fn create_action(app: &mut App, layer: Layer, a: Action, out: &mut Vec<Command>) {
    let Some(Modal::Create(f)) = &mut app.modal else {
        return;
    };
    match (layer, a) {
        (Layer::CreateReview, Action::Yes) => {
            let name = f.name.value().trim().to_owned();
            let scopes = f.scopes_to_send();
            let req = request(
                app,
                Pending::Create { name: name.clone() },
                ApiOp::Mutate(Mutation::Create {
                    name,
                    scopes,
                    replaces: None,
                }),
                out,
            );
            if let Some(Modal::Create(f)) = &mut app.modal {
                f.stage = CreateStage::Submitting(req);
            }
        }
        (Layer::CreateReview, Action::No) => f.stage = CreateStage::Editing,
        (_, Action::Back) => {
            if f.dirty() {
                f.stage = CreateStage::ConfirmDiscard;
            } else {
                close_modal(app);
            }
        }
        (_, Action::Save) => match validate_name(f.name.value()) {
            Err(e) => {
                f.error = Some(e);
                f.focus = CreateField::Name;
            }
            Ok(_) if f.key_type == KeyType::Custom && f.matrix.selected.is_empty() => {
                f.error =
                    Some("choose at least one scope, a preset, or the Full Access type".into());
            }
            // a key grants only what it holds: say so before SendGrid answers 403
            Ok(_)
                if f.key_type == KeyType::Billing
                    && f.matrix
                        .grantable
                        .as_ref()
                        .is_some_and(|g| !g.iter().any(|s| scopes::is_billing(s))) =>
            {
                f.error = Some(
                    "your key holds no billing scope, so it cannot create a Billing key: \
                     create Billing keys in SendGrid's App"
                        .into(),
                );
            }
            Ok(_) => {
                f.error = None;
                f.stage = CreateStage::Review;
            }
        },
        (_, Action::NextField | Action::PrevField) => {
            let fields = f.fields();
            let i = fields.iter().position(|x| *x == f.focus).unwrap_or(0);
            let n = fields.len();
            f.focus = fields[if a == Action::NextField {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            }];
        }
        (Layer::Create, _) => match f.focus {
            CreateField::Type => match a {
                Action::Left | Action::Right => {
                    let order = [KeyType::Custom, KeyType::Full, KeyType::Billing];
                    let i = order.iter().position(|t| *t == f.key_type).unwrap_or(0);
                    f.key_type = order[if a == Action::Right {
                        (i + 1) % 3
                    } else {
                        (i + 2) % 3
                    }];
                    f.matrix.billing = f.key_type == KeyType::Billing;
                }
                Action::Up => f.focus = CreateField::Name,
                Action::Down if f.key_type == KeyType::Custom => f.focus = CreateField::Preset,
                _ => {}
            },
            CreateField::Preset => match a {
                Action::Left | Action::Right => {
                    let n = PRESETS.len();
                    let next = match (f.preset, a) {
                        (None, Action::Right) => 0,
                        (None, _) => n - 1,
                        (Some(i), Action::Right) => (i + 1) % n,
                        (Some(i), _) => (i + n - 1) % n,
                    };
                    f.preset = Some(next);
                    let wanted = PRESETS[next].scopes();
                    let grantable = f.matrix.grantable.clone();
                    let (ok, skipped): (Vec<String>, Vec<String>) = wanted
                        .into_iter()
                        .partition(|s| grantable.as_ref().is_none_or(|g| g.contains(s)));
                    f.matrix.selected = ok.into_iter().collect();
                    f.matrix.message = (!skipped.is_empty()).then(|| {
                        format!(
                            "{} preset scopes left out: your key does not hold them",
                            skipped.len()
                        )
                    });
                }
                Action::Up => f.focus = CreateField::Type,
                Action::Down => f.focus = CreateField::Matrix,
                _ => {}
            },
            CreateField::Matrix => {
                if a == Action::Up && f.matrix.cursor == 0 {
                    f.focus = CreateField::Preset;
                } else {
                    matrix_action(&mut f.matrix, a);
                }
            }
            CreateField::Name => {}
        },
        _ => {}
    }
}

// ---------------------------------------------------------------- diff and presets

fn open_diff(app: &mut App, out: &mut Vec<Command>) {
    let marked: Vec<ApiKeyId> = app
        .keys
        .entries
        .iter()
        .filter(|e| app.view.marks.contains(&e.id))
        .map(|e| e.id.clone())
        .collect();
    let (left, right) = match marked.as_slice() {
        [a, b] => (a.clone(), DiffRight::Key(b.clone())),
        [] | [_] => match app.selected() {
            Some(e) => (e.id.clone(), DiffRight::Preset(0)),
            None => return,
        },
        _ => {
            return toast(
                app,
                Level::Info,
                "mark exactly two keys to compare them (or none: key vs preset)",
            );
        }
    };
    // make sure both sides' scopes are (being) loaded
    for id in std::iter::once(&left).chain(match &right {
        DiffRight::Key(id) => Some(id),
        DiffRight::Preset(_) => None,
    }) {
        if let Some(e) = app.keys.get(id)
            && e.info.is_none()
            && !e.detail.is_loading()
        {
            let id = id.clone();
            fetch_detail(app, &id, out);
        }
    }
    app.modal = Some(Modal::Diff(DiffModal {
        left,
        right,
        scroll: 0,
    }));
}

fn diff_action(app: &mut App, a: Action) {
    let max = match &app.modal {
        Some(Modal::Diff(d)) => super::diff_line_count(app, d).saturating_sub(1),
        _ => return,
    };
    let Some(Modal::Diff(d)) = &mut app.modal else {
        return;
    };
    let n = PRESETS.len();
    match a {
        Action::Back => app.modal = None,
        Action::Up => d.scroll = d.scroll.saturating_sub(1),
        Action::Down => d.scroll = (d.scroll + 1).min(max),
        Action::Left | Action::Right => {
            if let DiffRight::Preset(i) = &mut d.right {
                *i = if a == Action::Right {
                    (*i + 1) % n
                } else {
                    (*i + n - 1) % n
                };
                d.scroll = 0;
            }
        }
        _ => {}
    }
}

fn preset_action(app: &mut App, a: Action) {
    let Some(Modal::Presets(p)) = &mut app.modal else {
        return;
    };
    match a {
        Action::Back => app.modal = None,
        Action::Up => p.cursor = p.cursor.saturating_sub(1),
        Action::Down => p.cursor = (p.cursor + 1).min(PRESETS.len() - 1),
        Action::Enter => {
            let (id, preset) = (p.id.clone(), &PRESETS[p.cursor]);
            let Some(detail) = app.keys.get(&id).and_then(KeyEntry::key_detail) else {
                return;
            };
            let mut form = ScopeForm::new(&detail, app.my_scopes.clone());
            form.own = is_own(app, &form.id);
            let wanted = preset.scopes();
            let (ok, skipped): (Vec<String>, Vec<String>) = wanted.into_iter().partition(|s| {
                form.matrix.grantable.as_ref().is_none_or(|g| g.contains(s))
                    || form.original.contains(s)
            });
            form.matrix.selected = ok.into_iter().collect();
            form.matrix.message = (!skipped.is_empty()).then(|| {
                format!(
                    "{} preset scopes left out: your key does not hold them",
                    skipped.len()
                )
            });
            form.preset = Some(preset.name);
            if form.dirty() && !form.matrix.selected.is_empty() {
                form.stage = ScopeStage::Review;
            } else {
                form.error = Some(format!("the key already matches '{}'", preset.name));
            }
            app.modal = Some(Modal::EditScopes(Box::new(form)));
        }
        _ => {}
    }
}

// ---------------------------------------------------------------- secret

fn secret_action(app: &mut App, a: Action, out: &mut Vec<Command>) {
    let Some(Modal::Secret(s)) = &mut app.modal else {
        return;
    };
    match a {
        Action::Copy => {
            out.push(Command::Copy(s.secret.clone()));
            s.copied = true;
            s.confirm_close = false;
            toast(
                app,
                Level::Success,
                "secret copied to the clipboard (OSC 52)",
            );
        }
        Action::Back => {
            if s.copied || s.confirm_close {
                close_modal(app);
            } else {
                s.confirm_close = true;
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------- revoke

/// Whether `id` is the key sgkeys is using (in its own account).
fn is_own(app: &App, id: &ApiKeyId) -> bool {
    app.ctx.on_behalf_of.is_none() && app.ctx.caller_key_id.as_deref() == Some(id.as_str())
}

fn open_confirm_delete(app: &mut App) {
    let own = app.ctx.caller_key_id.clone();
    let same_account = app.ctx.on_behalf_of.is_none();
    let targets: Vec<DeleteTarget> = app
        .targets()
        .into_iter()
        .filter(|e| !e.revoking)
        .map(|e| DeleteTarget {
            id: e.id.clone(),
            name: e.name.clone(),
            key_type: e.key_type(),
            scopes: e.info.as_ref().map(|i| scopes::sendable(&i.scope_names())),
            own: same_account && own.as_deref() == Some(e.id.as_str()),
        })
        .collect();
    if targets.is_empty() {
        return toast(app, Level::Info, "nothing to revoke");
    }
    app.modal = Some(Modal::ConfirmDelete(ConfirmDelete {
        targets,
        focus: ConfirmFocus::Cancel,
        typed: Default::default(),
        error: None,
    }));
}

fn confirm_action(app: &mut App, a: Action, out: &mut Vec<Command>) {
    let Some(Modal::ConfirmDelete(c)) = &mut app.modal else {
        return;
    };
    let go = match a {
        Action::Back => {
            close_modal(app);
            return;
        }
        Action::NextField => {
            c.focus = if c.focus == ConfirmFocus::Cancel {
                ConfirmFocus::Revoke
            } else {
                ConfirmFocus::Cancel
            };
            return;
        }
        Action::Enter if c.focus == ConfirmFocus::Cancel => {
            close_modal(app);
            return;
        }
        Action::Enter | Action::Yes => true,
        _ => false,
    };
    if !go {
        return;
    }
    if !c.count_ok() {
        c.error = Some(format!(
            "type {} to confirm revoking {} keys",
            c.targets.len(),
            c.targets.len()
        ));
        return;
    }
    let mut targets = std::mem::take(&mut c.targets);
    close_modal(app);
    let batch = app.next_req;
    // The key sgkeys is using goes last, once every other answer is in: after it, nothing works.
    let last = match targets.iter().position(|t| t.own) {
        Some(i) if targets.len() > 1 => Some(targets.remove(i)),
        _ => None,
    };
    let n = targets.len() + usize::from(last.is_some());
    for t in targets.iter().chain(last.as_ref()) {
        if let Some(e) = app.keys.get_mut(&t.id) {
            e.revoking = true;
        }
        app.view.marks.remove(&t.id);
    }
    app.batches.insert(
        batch,
        DeleteBatch {
            total: n,
            last,
            ..Default::default()
        },
    );
    for t in &targets {
        send_revoke(app, t, batch, out);
    }
    toast(
        app,
        Level::Info,
        format!("revoking {n} key{}…", if n == 1 { "" } else { "s" }),
    );
}

fn send_revoke(app: &mut App, t: &DeleteTarget, batch: u64, out: &mut Vec<Command>) {
    request(
        app,
        Pending::Delete {
            id: t.id.clone(),
            batch,
        },
        ApiOp::Mutate(Mutation::Revoke {
            id: t.id.clone(),
            name: t.name.clone(),
            scopes_before: t.scopes.clone(),
        }),
        out,
    );
}

// ---------------------------------------------------------------- mouse

fn mouse(app: &mut App, m: MouseEvent, out: &mut Vec<Command>) {
    let (w, h) = app.size;
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

// ---------------------------------------------------------------- worker answers

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
        (Pending::List, ApiResult::Keys(r)) => keys_loaded(app, r, out),
        (Pending::Detail(id), ApiResult::Key(r)) => key_loaded(app, &id, ev.req, r, false),
        (Pending::Prefetch(id), ApiResult::Key(r)) => {
            app.prefetch.in_flight = app.prefetch.in_flight.saturating_sub(1);
            if r.is_ok() {
                app.prefetch.done += 1;
            } else {
                app.prefetch.failed += 1;
            }
            key_loaded(app, &id, ev.req, r, true);
            pump_prefetch(app, out);
        }
        (Pending::PreSave(_), ApiResult::Key(r)) => presave_checked(app, ev.req, r, out),
        (Pending::MyScopes, ApiResult::MyScopes(r)) => match r {
            Ok(s) => {
                let set: BTreeSet<String> = s.into_iter().collect();
                app.my_scopes = Some(set.clone());
                app.my_scopes_load = Load::Loaded;
                if let Some(Modal::Create(f)) = &mut app.modal {
                    f.matrix.grantable = Some(set.clone());
                }
                if let Some(Modal::EditScopes(f)) = &mut app.modal {
                    f.matrix.grantable = Some(set);
                }
            }
            Err(e) => {
                app.my_scopes_load = Load::Failed(e.short());
                log(
                    app,
                    Level::Warn,
                    format!("could not read the key's own scopes: {e}"),
                );
            }
        },
        (Pending::Subusers, ApiResult::Subusers(r)) => match r {
            Ok(s) => {
                app.subusers = Some(s);
                app.subusers_load = Load::Loaded;
            }
            Err(e) => {
                let why = match &e {
                    ApiError::Forbidden(_) => {
                        "this key may not list subusers (needs subusers.read)".to_owned()
                    }
                    other => other.short(),
                };
                app.subusers_load = Load::Failed(why);
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
fn mutated(app: &mut App, req: ReqId, pending: Pending, done: Done, out: &mut Vec<Command>) {
    let unknown = done.outcome == crate::journal::Outcome::Unknown;
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
        (Pending::Delete { id, batch }, Ok(Effect::Revoked)) => {
            deleted(app, &id, batch, Ok(()), false, out)
        }
        (Pending::Delete { id, batch }, Err(e)) => deleted(app, &id, batch, Err(e), unknown, out),
        (p, r) => log(
            app,
            Level::Error,
            format!("internal: answer {r:?} does not fit request {p:?}"),
        ),
    }
}

fn keys_loaded(app: &mut App, r: Result<Vec<ApiKey>, ApiError>, out: &mut Vec<Command>) {
    let refreshing = std::mem::take(&mut app.refreshing);
    match r {
        Ok(keys) => {
            let mut old: std::collections::HashMap<ApiKeyId, KeyEntry> = app
                .keys
                .entries
                .drain(..)
                .map(|e| (e.id.clone(), e))
                .collect();
            let mut entries = Vec::with_capacity(keys.len());
            for k in keys {
                match old.remove(&k.api_key_id) {
                    // keep what we know (shown as-is until re-read)
                    Some(mut e) if e.name == k.name => {
                        e.detail = if e.detail.is_loading() {
                            e.detail
                        } else {
                            Load::NotAsked
                        };
                        entries.push(e);
                    }
                    Some(mut e) => {
                        e.name = k.name.clone();
                        e.haystack = KeyEntry::new(k).haystack;
                        e.detail = Load::NotAsked;
                        entries.push(e);
                    }
                    None => entries.push(KeyEntry::new(k)),
                }
            }
            app.keys.entries = entries;
            app.keys.reindex();
            app.keys.load = Load::Loaded;
            app.keys.ever_loaded = true;
            app.keys.loaded_at = Some(app.now_ms);
            // marks of keys that are gone
            let index = &app.keys.index;
            app.view.marks.retain(|id| index.contains_key(id));
            recompute_risks(app);
            refilter(app);
            // prefetch every key's scopes with bounded concurrency
            let queue: std::collections::VecDeque<ApiKeyId> = app
                .keys
                .entries
                .iter()
                .filter(|e| !e.detail.is_loading())
                .map(|e| e.id.clone())
                .collect();
            app.prefetch = Prefetch {
                total: queue.len(),
                queue,
                in_flight: app.prefetch.in_flight,
                done: 0,
                failed: 0,
            };
            pump_prefetch(app, out);
            if refreshing {
                let n = app.keys.entries.len();
                toast(app, Level::Success, format!("refreshed: {n} keys"));
            }
            if let Some(f) = risk::limit_finding(app.keys.entries.len()) {
                toast(app, Level::Warn, f.message);
            }
            if app.detail_wanted.is_none() {
                selection_changed(app);
            }
        }
        Err(e) => {
            app.keys.load = Load::Failed(e.to_string());
            let what = if app.keys.ever_loaded {
                "could not refresh the key list"
            } else {
                "could not load the key list"
            };
            toast(
                app,
                Level::Error,
                format!("{what}: {} — Ctrl-r to retry", e.short()),
            );
        }
    }
}

fn key_loaded(
    app: &mut App,
    id: &ApiKeyId,
    req: ReqId,
    r: Result<KeyDetail, ApiError>,
    background: bool,
) {
    // An answer about another key is no answer about this one: fail it, never leave it
    // loading (the client already refuses such answers; this keeps the model safe alone).
    let r = r.and_then(|d| {
        if &d.api_key_id == id {
            Ok(d)
        } else {
            Err(ApiError::NotTheAnswer {
                status: 200,
                what: format!("reading key {id}"),
                detail: "it describes another key".into(),
            })
        }
    });
    match r {
        Ok(detail) => {
            let renamed = app.keys.get(id).is_some_and(|e| e.name != detail.name);
            set_info(app, detail);
            if renamed {
                if let Some(e) = app.keys.get_mut(id) {
                    e.haystack =
                        format!("{}\u{1f}{}", e.name.to_lowercase(), e.id.0.to_lowercase());
                }
                recompute_risks(app);
            }
            if app.filter.query.needs_scopes()
                || matches!(app.view.sort, SortKey::Type | SortKey::Risk)
                || renamed
            {
                refilter(app);
            }
        }
        Err(ApiError::NotFound(_)) => {
            // Revoked elsewhere since the list was read.
            if let Some(idx) = app.keys.index.get(id).copied() {
                let name = app.keys.entries[idx].name.clone();
                app.keys.entries.remove(idx);
                app.keys.reindex();
                app.view.marks.remove(id);
                recompute_risks(app);
                refilter(app);
                toast(
                    app,
                    Level::Warn,
                    format!("'{name}' ({id}) no longer exists: revoked elsewhere"),
                );
            }
        }
        Err(e) => {
            if let Some(entry) = app.keys.get_mut(id)
                && entry.detail == Load::Loading(req)
            {
                entry.detail = Load::Failed(e.short());
            }
            if !background {
                toast(
                    app,
                    Level::Error,
                    format!("could not read the key's scopes: {}", e.short()),
                );
            } else {
                log(app, Level::Warn, format!("prefetch of {id} failed: {e}"));
            }
        }
    }
}

fn created(app: &mut App, req: ReqId, name: &str, r: Result<crate::api::CreatedKey, ApiError>) {
    let form_waiting =
        matches!(&app.modal, Some(Modal::Create(f)) if f.stage == CreateStage::Submitting(req));
    match r {
        Ok(created) => {
            let detail = KeyDetail {
                api_key_id: created.api_key_id.clone(),
                name: created.name.clone(),
                scopes: created.scopes.clone(),
            };
            let info = KeyInfo::new(&detail);
            let (key_type, counted) = (info.key_type, info.counted);
            let mut entry = KeyEntry::new(ApiKey {
                api_key_id: created.api_key_id.clone(),
                name: created.name.clone(),
            });
            entry.info = Some(info);
            entry.detail = Load::Loaded;
            // a refresh may already have listed it
            match app.keys.index.get(&created.api_key_id).copied() {
                Some(i) => app.keys.entries[i] = entry,
                None => app.keys.entries.push(entry),
            }
            app.keys.reindex();
            recompute_risks(app);
            refilter(app);
            if let Some(pos) = app
                .keys
                .index
                .get(&created.api_key_id)
                .and_then(|i| app.view.rows.iter().position(|r| r == i))
            {
                select(app, pos);
            }
            // The secret is shown once, whatever modal was up.
            app.modal = Some(Modal::Secret(SecretModal {
                id: created.api_key_id.clone(),
                name: created.name.clone(),
                key_type,
                scope_count: counted,
                secret: created.api_key,
                copied: false,
                confirm_close: false,
            }));
            toast(
                app,
                Level::Success,
                format!("created '{}' ({})", created.name, created.api_key_id),
            );
        }
        Err(ApiError::CreatedSecretLost { id, cause }) => {
            // The key exists but its secret is gone: show it, select it, say what to do.
            let id = ApiKeyId(id);
            if app.keys.get(&id).is_none() {
                app.keys.entries.push(KeyEntry::new(ApiKey {
                    api_key_id: id.clone(),
                    name: name.to_owned(),
                }));
                app.keys.reindex();
                recompute_risks(app);
                refilter(app);
            }
            if let Some(pos) = app
                .keys
                .index
                .get(&id)
                .and_then(|i| app.view.rows.iter().position(|r| r == i))
            {
                select(app, pos);
            }
            if form_waiting {
                close_modal(app);
            }
            toast(
                app,
                Level::Error,
                format!(
                    "'{name}' was created as {id} but the answer was lost ({cause}): its secret cannot be recovered — revoke it (d) and create a new one"
                ),
            );
        }
        Err(e) => {
            let msg = e.short();
            if form_waiting && let Some(Modal::Create(f)) = &mut app.modal {
                f.stage = CreateStage::Editing;
                f.error = Some(format!("SendGrid refused: {msg}"));
            }
            toast(app, Level::Error, format!("could not create '{name}': {e}"));
        }
    }
}

fn renamed(app: &mut App, req: ReqId, id: &ApiKeyId, name: &str, r: Result<ApiKey, ApiError>) {
    let form_waiting = matches!(&app.modal, Some(Modal::Rename(f)) if f.saving == Some(req));
    match r {
        Ok(k) => {
            if let Some(e) = app.keys.get_mut(id) {
                e.name.clone_from(&k.name);
                e.haystack = format!("{}\u{1f}{}", k.name.to_lowercase(), e.id.0.to_lowercase());
            }
            recompute_risks(app);
            refilter(app);
            if form_waiting {
                close_modal(app);
            }
            toast(app, Level::Success, format!("renamed to '{}'", k.name));
        }
        Err(e) => {
            if form_waiting && let Some(Modal::Rename(f)) = &mut app.modal {
                f.saving = None;
                f.error = Some(format!("SendGrid refused: {}", e.short()));
            }
            toast(
                app,
                Level::Error,
                format!("could not rename to '{name}': {e}"),
            );
        }
    }
}

fn updated(app: &mut App, req: ReqId, id: &ApiKeyId, r: Result<KeyDetail, ApiError>) {
    let form_waiting =
        matches!(&app.modal, Some(Modal::EditScopes(f)) if f.stage == ScopeStage::Saving(req));
    match r {
        Ok(detail) => {
            let (added, removed) = match &app.modal {
                Some(Modal::EditScopes(f)) if form_waiting => (f.added().len(), f.removed().len()),
                _ => (0, 0),
            };
            let name = detail.name.clone();
            set_info(app, detail);
            if app.filter.query.needs_scopes()
                || matches!(app.view.sort, SortKey::Type | SortKey::Risk)
            {
                refilter(app);
            }
            if form_waiting {
                close_modal(app);
            }
            toast(
                app,
                Level::Success,
                format!("saved scopes of '{name}' (+{added} −{removed})"),
            );
        }
        Err(e) => {
            if form_waiting && let Some(Modal::EditScopes(f)) = &mut app.modal {
                f.stage = ScopeStage::Editing;
                f.error = Some(format!("SendGrid refused: {}", e.short()));
            }
            toast(
                app,
                Level::Error,
                format!("could not save scopes of {id}: {e}"),
            );
        }
    }
}

fn deleted(
    app: &mut App,
    id: &ApiKeyId,
    batch: u64,
    r: Result<(), ApiError>,
    unknown: bool,
    out: &mut Vec<Command>,
) {
    let name = app.keys.get(id).map(|e| e.name.clone()).unwrap_or_default();
    let ok = r.is_ok();
    match r {
        Ok(()) => {
            if let Some(idx) = app.keys.index.get(id).copied() {
                app.keys.entries.remove(idx);
                app.keys.reindex();
                recompute_risks(app);
                refilter(app);
            }
        }
        Err(e) => {
            if let Some(entry) = app.keys.get_mut(id) {
                entry.revoking = false;
            }
            let (what, short) = if unknown {
                (
                    format!(
                        "revoking '{name}' ({id}): OUTCOME UNKNOWN ({e}); the key could not be read back — check it before trusting it is gone"
                    ),
                    format!("'{name}': outcome unknown ({})", e.short()),
                )
            } else {
                (
                    format!("revoking '{name}' ({id}) failed: {e}"),
                    format!("'{name}': {}", e.short()),
                )
            };
            log(app, Level::Error, what);
            if let Some(b) = app.batches.get_mut(&batch) {
                b.failed.push(short);
            }
        }
    }
    let done = match app.batches.get_mut(&batch) {
        Some(b) => {
            if ok {
                b.ok += 1;
            }
            let answered = b.ok + b.failed.len();
            if b.last.is_some() && answered + 1 == b.total {
                // every other key is answered: now the key sgkeys is using
                if let Some(t) = b.last.take() {
                    send_revoke(app, &t, batch, out);
                }
                None
            } else {
                (answered == b.total).then(|| b.clone())
            }
        }
        None => None,
    };
    if let Some(b) = done {
        app.batches.remove(&batch);
        if b.failed.is_empty() {
            let what = if b.total == 1 {
                format!("revoked '{name}'")
            } else {
                format!("revoked {} keys", b.ok)
            };
            toast(app, Level::Success, what);
        } else {
            toast(
                app,
                Level::Error,
                format!(
                    "{} of {} revokes failed: {}",
                    b.failed.len(),
                    b.total,
                    b.failed.join("; ")
                ),
            );
        }
    }
}
