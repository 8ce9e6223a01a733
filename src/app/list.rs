//! The key list and the selection: loading keys and their scopes (lazily, and in the background),
//! the filter, the sort, the cursor, and pasting a key to find it.

use super::effects::*;
use super::layout;
use super::*;
use crate::api::{ApiError, ApiKey, ApiKeyId, KeyDetail};
use crate::risk;

pub(crate) fn capacity(app: &App) -> usize {
    if app.matrix_on() {
        layout::matrix_capacity(app.size.0, app.size.1).max(1)
    } else {
        layout::list_capacity(app.size.0, app.size.1).max(1)
    }
}

pub(crate) fn keep_selection_visible(app: &mut App) {
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
pub(crate) fn select(app: &mut App, pos: usize) {
    let before = app.selected().map(|e| e.id.clone());
    app.view.selected = pos;
    keep_selection_visible(app);
    let after = app.selected().map(|e| e.id.clone());
    if before != after {
        selection_changed(app);
    }
}

pub(crate) fn selection_changed(app: &mut App) {
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
        {
            e.state.load_ended(r, None);
        }
    }
    app.detail_wanted = match app.selected() {
        Some(e) if e.info().is_none() && !e.state.is_loading() => Some((e.id.clone(), app.now_ms)),
        _ => None,
    };
}

/// Recompute the visible rows from the entries, the query and the sort; keep the selected key
/// selected when it is still visible.
pub(crate) fn refilter(app: &mut App) {
    let keep = app.selected().map(|e| e.id.clone());
    refilter_keeping(app, keep);
}

/// [`refilter`], keeping `keep` selected when it is visible (the selection's id taken before
/// the entries changed: `view.rows` indexes the old entries until this runs).
fn refilter_keeping(app: &mut App, keep: Option<ApiKeyId>) {
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
    app.view.changed = true;
}

/// Where the selection is, remembered before keys leave or join the list (a revoke, a refresh)
/// so that [`refilter_in_place`] can keep it steady.
pub(crate) struct Place {
    selected: Option<ApiKeyId>,
    /// The visible rows' ids after the selection, nearest first.
    after: Vec<ApiKeyId>,
    /// The visible rows' ids before the selection, nearest first.
    before: Vec<ApiKeyId>,
    offset: usize,
}

pub(crate) fn place(app: &App) -> Place {
    let ids: Vec<&ApiKeyId> = app
        .view
        .rows
        .iter()
        .filter_map(|i| app.keys.entries.get(*i).map(|e| &e.id))
        .collect();
    let sel = app.view.selected.min(ids.len().saturating_sub(1));
    Place {
        selected: ids.get(sel).map(|id| (*id).clone()),
        after: ids.iter().skip(sel + 1).map(|id| (*id).clone()).collect(),
        before: ids.iter().take(sel).rev().map(|id| (*id).clone()).collect(),
        offset: app.view.offset,
    }
}

/// Recompute the visible rows after keys left or joined the list: the selection stays on its
/// key; when its key is gone, it goes to the row that took its place (the next one that is not
/// being revoked itself), or the previous one at the end. The scroll offset stays as it was
/// where it can.
pub(crate) fn refilter_in_place(app: &mut App, place: Place) {
    refilter_keeping(app, place.selected.clone());
    let Some(id) = place.selected else { return };
    if app.selected().is_some_and(|e| e.id == id) {
        return;
    }
    let pos_of = |app: &App, id: &ApiKeyId, settled: bool| {
        let idx = *app.keys.index.get(id)?;
        let e = app.keys.entries.get(idx)?;
        if settled && e.state.is_revoking() {
            return None;
        }
        app.view.rows.iter().position(|r| *r == idx)
    };
    let find = |app: &App, settled: bool| {
        place
            .after
            .iter()
            .find_map(|id| pos_of(app, id, settled))
            .or_else(|| place.before.iter().find_map(|id| pos_of(app, id, settled)))
    };
    if let Some(pos) = find(app, true).or_else(|| find(app, false)) {
        app.view.offset = place.offset;
        select(app, pos);
    }
}

/// Take keys out of the list (revoked here or elsewhere), keeping the selection steady.
pub(crate) fn remove_keys(app: &mut App, ids: &[ApiKeyId]) {
    if !ids.iter().any(|id| app.keys.index.contains_key(id)) {
        return;
    }
    let at = place(app);
    app.keys.entries.retain(|e| !ids.contains(&e.id));
    app.keys.reindex();
    for id in ids {
        app.view.marks.remove(id);
    }
    recompute_risks(app);
    refilter_in_place(app, at);
}

/// The inventory answered: until the live list arrives, its keys are shown, each with the age
/// of what it shows (scopes only where they were ever read). An answer after the live list is
/// dropped: the live one is newer.
pub(crate) fn remembered(app: &mut App, r: Result<Option<Remembered>, String>) {
    let snapshot = match r {
        Ok(Some(s)) => s,
        Ok(None) => return,
        Err(e) => {
            log(
                app,
                Level::Warn,
                format!("the inventory could not be read: {e}"),
            );
            return;
        }
    };
    if app.keys.ever_loaded() || !app.keys.entries.is_empty() {
        return;
    }
    let at = place(app);
    // Keys share scope sets (the inventory stores each set once): each distinct set was
    // classified once, not once per key, by the worker ([`crate::worker::recall`]). Risks are
    // combined for every key below ([`recompute_risks`]).
    app.keys.entries = snapshot
        .keys
        .into_iter()
        .map(|(k, info, age, first)| {
            app.keys
                .first_seen
                .insert(k.api_key_id.clone(), app.now_ms as i64 - first as i64);
            let mut e = KeyEntry::new(k);
            if let Some(info) = info {
                e.state = KeyState::Scopes(Remote::Ready(KeyInfo::clone(&info)));
            }
            e.remembered = Some(age);
            e
        })
        .collect();
    app.keys.reindex();
    app.keys.remembered_at = app.now_ms;
    app.keys.remembered_list_age = snapshot.list_age;
    app.keys.from_inventory = true;
    // shown as known (the list's load still runs, or failed): the panes draw the rows
    let known = Some(app.now_ms);
    app.keys.status = match std::mem::take(&mut app.keys.status) {
        Remote::Loading { req, .. } => Remote::Loading { req, last: known },
        Remote::Failed { error, .. } => Remote::Failed { error, last: known },
        // offline: nothing else comes
        Remote::NotAsked if app.offline => Remote::Ready(app.now_ms),
        other => other,
    };
    recompute_risks(app);
    refilter_in_place(app, at);
}

/// While the rows are the inventory's: how long ago (ms) its list was read in full, now
/// (`Some(None)`: never in full).
pub fn inventory_age(app: &App) -> Option<Option<u64>> {
    app.keys.from_inventory.then(|| {
        app.keys
            .remembered_list_age
            .map(|a| a + app.now_ms.saturating_sub(app.keys.remembered_at))
    })
}

/// How long ago (ms) sgkeys first saw a key, now (`None`: the inventory holds nothing of
/// this context).
pub fn first_seen_age(app: &App, e: &KeyEntry) -> Option<u64> {
    let at = *app.keys.first_seen.get(&e.id)?;
    Some((app.now_ms as i64).saturating_sub(at).max(0) as u64)
}

/// How long ago (ms) what a remembered row shows was seen, now.
pub fn remembered_age(app: &App, e: &KeyEntry) -> Option<u64> {
    e.remembered
        .map(|age| age + app.now_ms.saturating_sub(app.keys.remembered_at))
}

/// A key's scopes are known (read, or answered by a write): kept with their findings.
pub(crate) fn set_info(app: &mut App, detail: KeyDetail) {
    app.keys.set_info(detail);
}

/// Recompute name-based findings and duplicate names for the whole list (list changes only).
pub(crate) fn recompute_risks(app: &mut App) {
    app.keys.recompute_risks();
}

/// Ask for a key's scopes on behalf of the selection (a stale answer is dropped when it moves).
pub(crate) fn fetch_detail(app: &mut App, id: &ApiKeyId, out: &mut Vec<Command>) {
    let req = request(
        app,
        Pending::Detail(id.clone()),
        ApiOp::GetKey(id.clone()),
        out,
    );
    if let Some(e) = app.keys.get_mut(id) {
        e.state.start_load(req);
    }
}

/// The keys whose scopes are still to be read, most visible first: the selected key, the rows
/// on screen (list or matrix), the rest of the visible rows in view order, then the others.
pub(crate) fn prefetch_order(app: &App) -> std::collections::VecDeque<ApiKeyId> {
    let n = app.keys.entries.len();
    let mut order: Vec<usize> = Vec::with_capacity(n);
    let mut seen = vec![false; n];
    let mut push = |i: usize, order: &mut Vec<usize>| {
        if i < n && !seen[i] {
            seen[i] = true;
            order.push(i);
        }
    };
    if let Some(&i) = app.view.rows.get(app.view.selected) {
        push(i, &mut order);
    }
    let cap = capacity(app);
    let on_screen = app.view.offset..(app.view.offset + cap).min(app.view.rows.len());
    for &i in app.view.rows.get(on_screen).unwrap_or(&[]) {
        push(i, &mut order);
    }
    for &i in &app.view.rows {
        push(i, &mut order);
    }
    for i in 0..n {
        push(i, &mut order);
    }
    order
        .into_iter()
        .filter_map(|i| app.keys.entries.get(i))
        .filter(|e| !e.state.is_loading())
        .map(|e| e.id.clone())
        .collect()
}

pub(crate) fn filter_changed(app: &mut App) {
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

pub(crate) fn jump_to_key(app: &mut App, id: &str) {
    let id = crate::api::ApiKeyId(id.to_owned());
    if !app.keys.ever_loaded() {
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
                String::new()
            } else {
                let d = super::keymap::user::key_name(Layer::List, Action::Revoke);
                format!(" — press {d} to revoke it")
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
                "no key {id} in {}: already revoked? in another subuser (press {})?",
                app.context_label(),
                super::keymap::user::key_name(Layer::List, Action::Contexts)
            ),
        );
    }
}

pub(crate) fn move_by(app: &mut App, delta: isize) {
    let n = app.view.rows.len();
    if n == 0 {
        return;
    }
    let pos = (app.view.selected as isize + delta).clamp(0, n as isize - 1) as usize;
    select(app, pos);
}

pub(crate) fn refresh(app: &mut App, out: &mut Vec<Command>) {
    if app.keys.status.is_loading() {
        // a periodic refresh under way becomes this one (said when done, scopes read again)
        if super::live::is_auto(app)
            && let Some(req) = app.live.auto_req.take()
            && let Some(p) = app.pending.get_mut(&req)
        {
            *p = Pending::List { by_user: true };
        }
        return;
    }
    // Stale data stays on screen; every key's scopes are read again in the background.
    let req = request(app, Pending::List { by_user: true }, ApiOp::ListKeys, out);
    app.keys.status.start(req);
    if !matches!(app.my_scopes, Remote::Ready(_) | Remote::Loading { .. }) {
        let req = request(app, Pending::MyScopes, ApiOp::MyScopes, out);
        app.my_scopes.start(req);
    }
}

/// The key list arrived (`by_user`: asked for with Ctrl-r, so said when done).
pub(crate) fn keys_loaded(
    app: &mut App,
    r: Result<Vec<ApiKey>, ApiError>,
    by_user: bool,
    out: &mut Vec<Command>,
) {
    let auto = super::live::is_auto(app);
    super::live::list_ended(app);
    match r {
        Ok(keys) => {
            let at = place(app);
            let before: Vec<(ApiKeyId, String, bool)> = app
                .keys
                .entries
                .iter()
                .map(|e| (e.id.clone(), e.name.clone(), e.state.is_revoking()))
                .collect();
            let mut old: std::collections::HashMap<ApiKeyId, KeyEntry> = app
                .keys
                .entries
                .drain(..)
                .map(|e| (e.id.clone(), e))
                .collect();
            let mut entries = Vec::with_capacity(keys.len());
            for k in keys {
                match old.remove(&k.api_key_id) {
                    // keep what we know (shown as-is until re-read below); a remembered row
                    // whose scopes were never read is now fully live
                    Some(mut e) if e.name == k.name => {
                        if e.info().is_none() {
                            e.remembered = None;
                        }
                        entries.push(e)
                    }
                    Some(mut e) => {
                        if e.info().is_none() {
                            e.remembered = None;
                        }
                        e.name = k.name.clone();
                        e.haystack = KeyEntry::new(k).haystack;
                        entries.push(e);
                    }
                    None => {
                        if !app.keys.first_seen.is_empty() {
                            app.keys
                                .first_seen
                                .entry(k.api_key_id.clone())
                                .or_insert(app.now_ms as i64);
                        }
                        entries.push(KeyEntry::new(k));
                    }
                }
            }
            app.keys.entries = entries;
            app.keys.reindex();
            app.keys.from_inventory = false;
            super::live::compare(app, &before);
            app.keys.status.ready(app.now_ms);
            app.keys.failure = None;
            clear_error_about(app, "list");
            // marks of keys that are gone
            let index = &app.keys.index;
            app.view.marks.retain(|id| index.contains_key(id));
            recompute_risks(app);
            refilter_in_place(app, at);
            if auto {
                // The keys already known keep their scopes; the keys that appeared are read
                // and scored like the rest (their risk marker and their matrix row).
                let new: std::collections::VecDeque<ApiKeyId> = prefetch_order(app)
                    .into_iter()
                    .filter(|id| {
                        app.keys
                            .get(id)
                            .is_some_and(|e| matches!(e.state, KeyState::Scopes(Remote::NotAsked)))
                    })
                    .collect();
                if !new.is_empty() {
                    let (total, done, failed) = if app.keys.prefetch.active() {
                        (
                            app.keys.prefetch.total,
                            app.keys.prefetch.done,
                            app.keys.prefetch.failed,
                        )
                    } else {
                        (0, 0, 0)
                    };
                    app.keys.prefetch.total = total + new.len();
                    app.keys.prefetch.done = done;
                    app.keys.prefetch.failed = failed;
                    app.keys.prefetch.queue.extend(new);
                    pump(app, out);
                }
                if app.detail_wanted.is_none()
                    && app
                        .selected()
                        .is_some_and(|e| e.info().is_none() && !e.state.is_loading())
                {
                    selection_changed(app);
                }
                return;
            }
            // prefetch every key's scopes with bounded concurrency, in the order they are
            // seen: the selection, the rows on screen, the rest of the view, then the keys the
            // filter hides
            let queue = prefetch_order(app);
            app.keys.prefetch_all(queue);
            pump(app, out);
            if by_user {
                let n = app.keys.entries.len();
                toast(
                    app,
                    Level::Success,
                    format!("refreshed: {}", crate::text::plural(n, "key", "keys")),
                );
            }
            if let Some(f) = risk::limit_finding(app.keys.entries.len()) {
                toast(app, Level::Warn, f.message);
            }
            if app.detail_wanted.is_none() {
                selection_changed(app);
            }
        }
        Err(e) => {
            app.keys.failure = Some(e);
            list_failed(app);
        }
    }
}

/// Say why the list could not be read (again, once the key's own scopes complete the message).
pub(crate) fn list_failed(app: &mut App) {
    let Some(e) = app.keys.failure.clone() else {
        return;
    };
    let why = super::errors::explain(app, &e, Some("api_keys.read"));
    app.keys.status.fail(why.clone());
    let what = if app.keys.ever_loaded() {
        "could not refresh the key list"
    } else {
        "could not load the key list"
    };
    toast_about(
        app,
        Level::Error,
        format!(
            "{what}: {why} — {} to retry",
            super::keymap::user::key_name(Layer::List, Action::Refresh)
        ),
        "list",
    );
}

pub(crate) fn key_loaded(
    app: &mut App,
    id: &ApiKeyId,
    req: ReqId,
    r: Result<KeyDetail, ApiError>,
    background: bool,
) {
    // an answer about another key fails, never leaves it loading
    match super::account::answer_for(id, r) {
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
            if app.filter.query.needs_scopes() || app.view.sort.needs_scopes() || renamed {
                refilter(app);
            }
        }
        // SendGrid's own 404 only: a gateway's page says nothing about the key
        Err(e) if e.gone_by_sendgrid() => {
            // Revoked elsewhere since the list was read.
            if let Some(name) = app.keys.get(id).map(|e| e.name.clone()) {
                remove_keys(app, std::slice::from_ref(id));
                toast(
                    app,
                    Level::Warn,
                    format!("'{name}' ({id}) no longer exists: revoked elsewhere"),
                );
            }
        }
        Err(e) => {
            let why = super::errors::explain(app, &e, Some("api_keys.read"));
            if let Some(entry) = app.keys.get_mut(id) {
                entry.state.load_ended(req, Some(why.clone()));
            }
            if !background {
                toast(
                    app,
                    Level::Error,
                    format!("could not read the key's scopes: {why}"),
                );
            } else {
                log(
                    app,
                    Level::Warn,
                    format!("reading the scopes of {id} failed: {why}"),
                );
            }
        }
    }
}

/// The one prefetch pump: every account on screen has its queue of keys whose scopes are still
/// to read; this sends the next ones, the current account's first, then the all-contexts
/// matrix's in order, until [`PREFETCH_CONCURRENCY`] reads are in flight in all. The client's
/// gate paces what is sent against the rate-limit budget.
pub(crate) fn pump(app: &mut App, out: &mut Vec<Command>) {
    let mut accounts = vec![(Whose::Here, app.ctx.on_behalf_of.clone(), app.ctx.region)];
    if let Some(s) = app.matrix.as_ref().and_then(|m| m.sweep.as_ref()) {
        accounts.extend(s.contexts.iter().enumerate().map(|(i, c)| {
            let whose = Whose::Sweep {
                sweep: s.id,
                ctx: i,
            };
            (whose, c.ctx.clone(), c.region)
        }));
    }
    let mut in_flight: usize = accounts
        .iter()
        .filter_map(|(w, _, _)| app.account_mut(*w).map(|a| a.prefetch.in_flight))
        .sum();
    for (whose, ctx, region) in accounts {
        while in_flight < PREFETCH_CONCURRENCY {
            let Some(acc) = app.account_mut(whose) else {
                break;
            };
            let Some(id) = acc.prefetch.queue.pop_front() else {
                break;
            };
            let Some(e) = acc.get(&id) else { continue };
            if e.state.is_loading() {
                // the selection's own read is already on it; count it when it lands
                acc.prefetch.done += 1;
                continue;
            }
            acc.prefetch.in_flight += 1;
            in_flight += 1;
            let pending = Pending::Prefetch {
                whose,
                id: id.clone(),
            };
            // a sweep's read may be answered by the inventory (an interrupted sweep resumed)
            let op = match whose {
                Whose::Here => ApiOp::GetKey(id.clone()),
                Whose::Sweep { .. } => ApiOp::SweepGetKey(id.clone()),
            };
            let req = request_in(app, ctx.clone(), region, pending, op, out);
            if let Some(e) = app.account_mut(whose).and_then(|a| a.get_mut(&id)) {
                e.state.start_load(req);
            }
        }
        if in_flight >= PREFETCH_CONCURRENCY {
            break;
        }
    }
}
