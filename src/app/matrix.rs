//! `m`: the permission matrix. Rows are the keys as the list shows them (filtered, sorted,
//! marked: the same rows and the same selection), columns are SendGrid's permission categories,
//! cells the level (No · Read · Full · Partial). `h`/`l` move across columns, `s` sorts by the
//! focused one, Enter shows the scopes behind a cell, and `d`, `e`, marks and the filter act on
//! the row's key as in the list.
//!
//! `a` sweeps every context (the key's own account and each subuser) into one matrix with a
//! context column: each context's list, then every key's scopes, with the prefetch's bound.
//! Acting on a key of another context switches to that context first (the header always says
//! where a change goes) and selects the key there.

use std::collections::VecDeque;

use super::effects::*;
use super::keymap::Action;
use super::layout;
use super::list::*;
use super::*;
use crate::api::{ApiError, ApiKey, ApiKeyId, KeyDetail, OnBehalfOf, Region};
use crate::risk;
use crate::scopes::{self, Level as Access};

/// The matrix's own state; `None` in [`App::matrix`] when the list and detail panes show.
#[derive(Debug, Clone, Default)]
pub struct MatrixView {
    /// The focused category (its index in the catalog).
    pub col: usize,
    /// The first category column on screen.
    pub col_offset: usize,
    /// Every context at once (`a`).
    pub sweep: Option<Sweep>,
    /// A key of another context to select once that context's list arrives.
    pub select_when_loaded: Option<ApiKeyId>,
}

/// The all-contexts matrix: the current context's keys (the list's own, kept live) and every
/// other context's, read for this view.
#[derive(Debug, Clone, Default)]
pub struct Sweep {
    /// Tells this sweep's answers from an earlier one's.
    pub id: u64,
    /// The contexts other than the current one.
    pub contexts: Vec<SweepCtx>,
    /// Visible rows, filtered and sorted like the list.
    pub rows: Vec<SweepRow>,
    pub selected: usize,
    pub offset: usize,
    /// Scopes still to read: (context, key).
    pub queue: VecDeque<(usize, ApiKeyId)>,
    pub in_flight: usize,
    /// Keys whose scopes were asked for, answered, failed.
    pub total: usize,
    pub done: usize,
    pub failed: usize,
    /// The subusers are being read first.
    pub waiting_subusers: bool,
}

/// One other context of a sweep.
#[derive(Debug, Clone)]
pub struct SweepCtx {
    pub ctx: Option<OnBehalfOf>,
    pub region: Option<Region>,
    /// What the context column says.
    pub label: String,
    pub keys: KeyList,
    /// Key id → how many keys of this context share its name.
    pub dups: std::collections::HashMap<String, usize>,
}

/// A row of the all-contexts matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepRow {
    /// Index into the current context's `keys.entries`.
    Here(usize),
    /// (context, index into its entries).
    There(usize, usize),
}

/// Enter on a cell: the scopes behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellView {
    pub key_name: String,
    pub key_id: ApiKeyId,
    /// The row's context (all-contexts mode), or None for the current one.
    pub context: Option<String>,
    pub category: &'static scopes::Category,
    /// None while the key's scopes are unknown.
    pub level: Option<Access>,
    /// The category's scopes the key holds.
    pub held: Vec<&'static str>,
}

/// What the context column calls a context.
pub fn context_name(ctx: &Option<OnBehalfOf>) -> String {
    match ctx {
        None => "own account".to_owned(),
        Some(OnBehalfOf::Subuser(u)) => u.clone(),
        Some(OnBehalfOf::AccountId(a)) => format!("account {a}"),
    }
}

impl App {
    /// The matrix is on screen.
    pub fn matrix_on(&self) -> bool {
        self.matrix.is_some()
    }

    /// The all-contexts sweep, when the matrix shows one.
    pub fn sweep(&self) -> Option<&Sweep> {
        self.matrix.as_ref().and_then(|m| m.sweep.as_ref())
    }

    /// The matrix's rows: how many, the selected position and the first visible one.
    pub fn matrix_cursor(&self) -> (usize, usize, usize) {
        match self.sweep() {
            Some(s) => (s.rows.len(), s.selected, s.offset),
            None => (self.view.rows.len(), self.view.selected, self.view.offset),
        }
    }

    /// The key at a matrix row position, with its context's label in all-contexts mode.
    pub fn matrix_entry(&self, pos: usize) -> Option<(Option<&str>, &KeyEntry)> {
        match self.sweep() {
            None => {
                let i = *self.view.rows.get(pos)?;
                Some((None, self.keys.entries.get(i)?))
            }
            Some(s) => match *s.rows.get(pos)? {
                SweepRow::Here(i) => Some((Some(""), self.keys.entries.get(i)?)),
                SweepRow::There(c, i) => {
                    let ctx = s.contexts.get(c)?;
                    Some((Some(ctx.label.as_str()), ctx.keys.entries.get(i)?))
                }
            },
        }
    }

    /// The current context's name in the context column.
    pub fn here_label(&self) -> String {
        context_name(&self.ctx.on_behalf_of)
    }
}

/// `m`: open the matrix (from the list) or close it (back to the list).
pub(crate) fn toggle(app: &mut App) {
    if app.matrix.take().is_some() {
        app.focus = Pane::List;
        keep_selection_visible(app);
        return;
    }
    app.matrix = Some(MatrixView::default());
    keep_selection_visible(app);
    if app.prefetch.active() {
        let (done, total) = (app.prefetch.done, app.prefetch.total);
        toast(
            app,
            Level::Info,
            format!("permission matrix: scopes still loading ({done}/{total})"),
        );
    }
}

/// Keep the focused column on screen.
fn keep_col_visible(app: &mut App) {
    let all = app.sweep().is_some();
    let cols = layout::matrix_geom(app.size.0, all).cols;
    let n = scopes::categories().len();
    if let Some(m) = &mut app.matrix {
        m.col = m.col.min(n.saturating_sub(1));
        if m.col < m.col_offset {
            m.col_offset = m.col;
        } else if m.col >= m.col_offset + cols {
            m.col_offset = m.col + 1 - cols;
        }
        m.col_offset = m.col_offset.min(n.saturating_sub(cols));
    }
}

/// The matrix layer's keys; what the matrix does not handle itself the list does.
pub(crate) fn action(app: &mut App, a: Action, out: &mut Vec<Command>) {
    let n_cols = scopes::categories().len();
    let Some(m) = &mut app.matrix else { return };
    match a {
        Action::Left => {
            m.col = m.col.saturating_sub(1);
            return keep_col_visible(app);
        }
        Action::Right => {
            m.col = (m.col + 1).min(n_cols.saturating_sub(1));
            return keep_col_visible(app);
        }
        Action::FirstColumn => {
            m.col = 0;
            return keep_col_visible(app);
        }
        Action::LastColumn => {
            m.col = n_cols.saturating_sub(1);
            return keep_col_visible(app);
        }
        Action::Matrix => return toggle(app),
        Action::AllContexts => {
            if m.sweep.take().is_some() {
                keep_selection_visible(app);
                let label = app.context_label();
                return toast(app, Level::Info, format!("permission matrix of {label}"));
            }
            return start_sweep(app, out);
        }
        Action::SortColumn => {
            let key = SortKey::Level(u8::try_from(m.col).unwrap_or(u8::MAX));
            if app.view.sort == key {
                app.view.reverse = !app.view.reverse;
            } else {
                app.view.sort = key;
                app.view.reverse = false;
            }
            refilter(app);
            let label = app.view.sort.label();
            let order = if app.view.reverse {
                "least access first"
            } else {
                "most access first"
            };
            let extra = if app.prefetch.active() || app.sweep().is_some_and(|s| s.in_flight > 0) {
                " (scopes still loading)"
            } else {
                ""
            };
            return toast(
                app,
                Level::Info,
                format!("sorted by {label}: {order}{extra}"),
            );
        }
        Action::Enter => return open_cell(app),
        Action::Back => {
            let nothing_to_clear = app.toast.as_ref().is_none_or(|t| t.level != Level::Error)
                && app.view.marks.is_empty()
                && !app.filter.active()
                && app.filter.input.value().is_empty();
            if nothing_to_clear {
                return toggle(app);
            }
        }
        _ => {}
    }
    if app.sweep().is_some() {
        return sweep_action(app, a, out);
    }
    super::browse::browse(app, Layer::Matrix, a, out);
}

/// Keys in all-contexts mode: moving is the sweep's own; an action on a row of the current
/// context selects it in the list and acts; on another context's row it switches there first.
fn sweep_action(app: &mut App, a: Action, out: &mut Vec<Command>) {
    let page = layout::matrix_capacity(app.size.0, app.size.1).max(1) as isize;
    let half = (page / 2).max(1);
    let step = match a {
        Action::Up => Some(-1),
        Action::Down => Some(1),
        Action::HalfUp => Some(-half),
        Action::HalfDown => Some(half),
        Action::PageUp => Some(-page),
        Action::PageDown => Some(page),
        Action::Top => Some(isize::MIN / 2),
        Action::Bottom => Some(isize::MAX / 2),
        _ => None,
    };
    if let Some(d) = step {
        return sweep_move(app, d);
    }
    match a {
        Action::Mark | Action::MarkAll => toast(
            app,
            Level::Info,
            "marks work within one context: press a to leave the all-contexts matrix",
        ),
        Action::Rename
        | Action::EditScopes
        | Action::Revoke
        | Action::CopyId
        | Action::Diff
        | Action::Trim
        | Action::Rotate => {
            let Some(s) = app.sweep() else { return };
            match s.rows.get(s.selected).copied() {
                Some(SweepRow::Here(i)) => {
                    let Some(id) = app.keys.entries.get(i).map(|e| e.id.clone()) else {
                        return;
                    };
                    if select_id(app, &id) {
                        super::browse::browse(app, Layer::Matrix, a, out);
                    }
                }
                Some(SweepRow::There(c, i)) => {
                    let Some(ctx) = s.contexts.get(c) else { return };
                    let Some(e) = ctx.keys.entries.get(i) else {
                        return;
                    };
                    let (to, id, label) = (ctx.ctx.clone(), e.id.clone(), ctx.label.clone());
                    let name = e.name.clone();
                    switch_to(app, to, id, out);
                    toast(
                        app,
                        Level::Info,
                        format!(
                            "switched to {label} to act on '{}': it is selected, press the key again",
                            crate::text::clean(&name)
                        ),
                    );
                }
                None => {}
            }
        }
        Action::Refresh => {
            refresh(app, out);
            start_sweep(app, out);
        }
        _ => super::browse::browse(app, Layer::Matrix, a, out),
    }
}

fn sweep_move(app: &mut App, d: isize) {
    let cap = layout::matrix_capacity(app.size.0, app.size.1).max(1);
    let Some(s) = app.matrix.as_mut().and_then(|m| m.sweep.as_mut()) else {
        return;
    };
    let n = s.rows.len();
    if n == 0 {
        return;
    }
    s.selected = (s.selected as isize)
        .saturating_add(d)
        .clamp(0, n as isize - 1) as usize;
    keep_visible(s, cap);
}

fn keep_visible(s: &mut Sweep, cap: usize) {
    let n = s.rows.len();
    s.selected = s.selected.min(n.saturating_sub(1));
    if s.selected < s.offset {
        s.offset = s.selected;
    } else if s.selected >= s.offset + cap {
        s.offset = s.selected + 1 - cap;
    }
    s.offset = s.offset.min(n.saturating_sub(cap));
}

/// Select a key of the current context in the list (clearing a filter that hides it).
fn select_id(app: &mut App, id: &ApiKeyId) -> bool {
    let Some(idx) = app.keys.index.get(id).copied() else {
        return false;
    };
    if !app.view.rows.contains(&idx) {
        app.filter = FilterState::default();
        refilter(app);
    }
    match app.view.rows.iter().position(|r| *r == idx) {
        Some(pos) => {
            select(app, pos);
            true
        }
        None => false,
    }
}

/// Switch to another context (leaving the sweep) and select `id` once its list arrives.
fn switch_to(app: &mut App, to: Option<OnBehalfOf>, id: ApiKeyId, out: &mut Vec<Command>) {
    if let Some(m) = &mut app.matrix {
        m.sweep = None;
        m.select_when_loaded = Some(id);
    }
    super::contexts::switch_context(app, to, out);
}

/// The current context's key list arrived: select the key a sweep row asked for.
pub(crate) fn keys_arrived(app: &mut App) {
    let Some(id) = app
        .matrix
        .as_mut()
        .and_then(|m| m.select_when_loaded.take())
    else {
        return;
    };
    if !select_id(app, &id) {
        toast(
            app,
            Level::Warn,
            format!("{id} is no longer in {}", app.context_label()),
        );
    }
}

/// A context switch ends a sweep (its reads were dropped with the old context's).
pub(crate) fn context_switched(app: &mut App) {
    if let Some(m) = &mut app.matrix {
        m.sweep = None;
    }
}

fn open_cell(app: &mut App) {
    let Some(m) = &app.matrix else { return };
    let Some(category) = scopes::categories().get(m.col) else {
        return;
    };
    let (_, pos, _) = app.matrix_cursor();
    let Some((ctx, e)) = app.matrix_entry(pos) else {
        return;
    };
    let context = ctx.map(|c| {
        if c.is_empty() {
            app.here_label()
        } else {
            c.to_owned()
        }
    });
    let info = e.info();
    let cell = CellView {
        key_name: e.name.clone(),
        key_id: e.id.clone(),
        context,
        category,
        level: info.map(|i| i.levels.get(m.col)),
        held: info
            .map(|i| {
                category
                    .scopes
                    .iter()
                    .copied()
                    .filter(|s| i.holds(s))
                    .collect()
            })
            .unwrap_or_default(),
    };
    app.modal = Some(Modal::Cell(Box::new(cell)));
}

/// Keys of the cell dialog.
pub(crate) fn cell_action(app: &mut App, a: Action) {
    if matches!(a, Action::Back | Action::Enter) {
        close_modal(app);
    }
}

// ---------------------------------------------------------------- the all-contexts sweep

pub(crate) fn start_sweep(app: &mut App, out: &mut Vec<Command>) {
    let id = app.next_req;
    app.next_req += 1;
    let Some(m) = &mut app.matrix else { return };
    m.sweep = Some(Sweep {
        id,
        waiting_subusers: true,
        ..Sweep::default()
    });
    match &app.subusers {
        Remote::NotAsked => {
            let req = request(app, Pending::Subusers, ApiOp::ListSubusers, out);
            app.subusers.start(req);
            toast(app, Level::Info, "all contexts: reading the subusers…");
        }
        Remote::Loading { .. } => {}
        _ => subusers_arrived(app, out),
    }
    resweep(app);
}

/// The subusers are known (or could not be read): read every other context's keys.
pub(crate) fn subusers_arrived(app: &mut App, out: &mut Vec<Command>) {
    let Some(s) = app.sweep() else { return };
    if !s.waiting_subusers {
        return;
    }
    let sweep_id = s.id;
    let mut contexts: Vec<(Option<OnBehalfOf>, Option<Region>)> = vec![(None, None)];
    if let Some(subs) = app.subusers.value() {
        contexts.extend(
            subs.iter()
                .map(|u| (Some(OnBehalfOf::Subuser(u.username.clone())), u.region)),
        );
    }
    contexts.retain(|(c, _)| *c != app.ctx.on_behalf_of);
    if let Some(why) = app.subusers.error().map(str::to_owned) {
        toast(
            app,
            Level::Warn,
            format!("all contexts: subusers could not be read ({why})"),
        );
    }
    let mut sweep_ctxs = Vec::with_capacity(contexts.len());
    for (i, (ctx, region)) in contexts.into_iter().enumerate() {
        let req = request_in(
            app,
            ctx.clone(),
            region,
            Pending::SweepList {
                sweep: sweep_id,
                ctx: i,
            },
            ApiOp::ListKeys,
            out,
        );
        let mut keys = KeyList::default();
        keys.status.start(req);
        sweep_ctxs.push(SweepCtx {
            label: context_name(&ctx),
            ctx,
            region,
            keys,
            dups: Default::default(),
        });
    }
    let n = sweep_ctxs.len();
    if let Some(s) = app.matrix.as_mut().and_then(|m| m.sweep.as_mut()) {
        s.waiting_subusers = false;
        s.contexts = sweep_ctxs;
    }
    toast(
        app,
        Level::Info,
        format!(
            "all contexts: reading {} more",
            plural(n, "context", "contexts")
        ),
    );
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The sweep whose answer this is, if it is still on screen.
fn sweep_mut(app: &mut App, sweep: u64) -> Option<&mut Sweep> {
    app.matrix
        .as_mut()
        .and_then(|m| m.sweep.as_mut())
        .filter(|s| s.id == sweep)
}

/// One context's key list arrived.
pub(crate) fn sweep_listed(
    app: &mut App,
    sweep: u64,
    ctx: usize,
    r: Result<Vec<ApiKey>, ApiError>,
    out: &mut Vec<Command>,
) {
    let why = r
        .as_ref()
        .err()
        .map(|e| super::errors::explain(app, e, Some("api_keys.read")));
    let Some(s) = sweep_mut(app, sweep) else {
        return;
    };
    let Some(c) = s.contexts.get_mut(ctx) else {
        return;
    };
    match r {
        Ok(keys) => {
            c.keys.entries = keys.into_iter().map(KeyEntry::new).collect();
            c.keys.reindex();
            c.keys.status.ready(0);
            let dups = risk::duplicate_names(
                c.keys
                    .entries
                    .iter()
                    .map(|e| (e.id.as_str(), e.name.as_str())),
            );
            for e in &mut c.keys.entries {
                e.risk = risk::combine(&[], &e.name, dups.get(e.id.as_str()).copied());
            }
            c.dups = dups;
            let ids: Vec<(usize, ApiKeyId)> =
                c.keys.entries.iter().map(|e| (ctx, e.id.clone())).collect();
            s.total += ids.len();
            s.queue.extend(ids);
        }
        Err(_) => {
            let why = why.unwrap_or_default();
            c.keys.status.fail(why.clone());
            let label = c.label.clone();
            log(
                app,
                Level::Warn,
                format!("all contexts: could not read the keys of {label}: {why}"),
            );
        }
    }
    pump(app, out);
    resweep(app);
}

/// One key's scopes arrived.
pub(crate) fn sweep_key(
    app: &mut App,
    sweep: u64,
    ctx: usize,
    id: &ApiKeyId,
    r: Result<KeyDetail, ApiError>,
    out: &mut Vec<Command>,
) {
    let Some(s) = sweep_mut(app, sweep) else {
        return;
    };
    s.in_flight = s.in_flight.saturating_sub(1);
    let Some(c) = s.contexts.get_mut(ctx) else {
        return;
    };
    let Some(e) = c.keys.get_mut(id) else { return };
    match r {
        Ok(detail) if &detail.api_key_id == id => {
            s.done += 1;
            let info = KeyInfo::new(&detail);
            let dup = c.dups.get(id.as_str()).copied();
            e.risk = risk::combine(&info.scope_findings, &e.name, dup);
            e.state.known(info);
        }
        Ok(_) => {
            s.failed += 1;
            if let Some(r) = e.state.scopes_mut() {
                r.fail("the answer named another key".into());
            }
        }
        Err(err) => {
            s.failed += 1;
            if let Some(r) = e.state.scopes_mut() {
                r.fail(super::errors::describe(&err));
            }
        }
    }
    pump(app, out);
    let sorted_by_scopes = app.view.sort.needs_scopes() || app.filter.query.needs_scopes();
    let finished = app
        .sweep()
        .is_some_and(|s| s.in_flight == 0 && s.queue.is_empty());
    if sorted_by_scopes || finished {
        resweep(app);
    }
    if finished && let Some(s) = app.sweep() {
        let (done, failed, n) = (s.done, s.failed, s.contexts.len() + 1);
        let rows = s.rows.len();
        let tail = if failed > 0 {
            format!(", {failed} could not be read")
        } else {
            String::new()
        };
        toast(
            app,
            if failed > 0 {
                Level::Warn
            } else {
                Level::Success
            },
            format!("all contexts: {rows} keys in {n} contexts, {done} scopes read{tail}"),
        );
    }
}

/// Send the sweep's next reads, as many as the prefetch may have in flight.
fn pump(app: &mut App, out: &mut Vec<Command>) {
    loop {
        let Some(s) = app.matrix.as_mut().and_then(|m| m.sweep.as_mut()) else {
            return;
        };
        if s.in_flight >= PREFETCH_CONCURRENCY {
            return;
        }
        let Some((c, id)) = s.queue.pop_front() else {
            return;
        };
        let Some(ctx) = s.contexts.get(c) else {
            continue;
        };
        let (to, region, sweep) = (ctx.ctx.clone(), ctx.region, s.id);
        s.in_flight += 1;
        let req = request_in(
            app,
            to,
            region,
            Pending::SweepKey {
                sweep,
                ctx: c,
                id: id.clone(),
            },
            ApiOp::GetKey(id.clone()),
            out,
        );
        if let Some(e) = app
            .matrix
            .as_mut()
            .and_then(|m| m.sweep.as_mut())
            .and_then(|s| s.contexts.get_mut(c))
            .and_then(|c| c.keys.get_mut(&id))
        {
            e.state.start_load(req);
        }
    }
}

/// Recompute the sweep's rows: every context's keys through the list's filter and sort, the
/// selected key kept selected.
pub(crate) fn resweep(app: &mut App) {
    let cap = layout::matrix_capacity(app.size.0, app.size.1).max(1);
    let Some(m) = &app.matrix else { return };
    let Some(s) = &m.sweep else { return };
    let keep = s.rows.get(s.selected).copied();
    let q = &app.filter.query;
    let entry = |r: SweepRow| -> Option<&KeyEntry> {
        match r {
            SweepRow::Here(i) => app.keys.entries.get(i),
            SweepRow::There(c, i) => s.contexts.get(c)?.keys.entries.get(i),
        }
    };
    let all = (0..app.keys.entries.len()).map(SweepRow::Here).chain(
        s.contexts
            .iter()
            .enumerate()
            .flat_map(|(c, ctx)| (0..ctx.keys.entries.len()).map(move |i| SweepRow::There(c, i))),
    );
    let mut rows: Vec<SweepRow> = all
        .filter(|r| q.is_empty() || entry(*r).is_some_and(|e| q.matches(e)))
        .collect();
    if app.view.sort != SortKey::Api {
        let key = app.view.sort;
        rows.sort_by(|a, b| match (entry(*a), entry(*b)) {
            (Some(x), Some(y)) => filter::compare(key, x, y),
            _ => std::cmp::Ordering::Equal,
        });
    }
    if app.view.reverse {
        rows.reverse();
    }
    let pos = keep.and_then(|k| rows.iter().position(|r| *r == k));
    if let Some(s) = app.matrix.as_mut().and_then(|m| m.sweep.as_mut()) {
        s.rows = rows;
        s.selected = pos.unwrap_or(0);
        keep_visible(s, cap);
    }
}

/// The mouse over the matrix: the wheel scrolls rows, a click selects a row and a column.
pub(crate) fn mouse(
    app: &mut App,
    m: ratatui::crossterm::event::MouseEvent,
    out: &mut Vec<Command>,
) {
    use ratatui::crossterm::event::{MouseButton, MouseEventKind};
    if app.modal.is_some() {
        return;
    }
    let all = app.sweep().is_some();
    match m.kind {
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let d = if m.kind == MouseEventKind::ScrollDown {
                3
            } else {
                -3
            };
            if all {
                sweep_move(app, d);
            } else {
                move_by(app, d);
            }
        }
        MouseEventKind::Down(MouseButton::Left) => {
            let (w, h) = app.size;
            let Some((row, col)) = layout::matrix_cell_at(w, h, all, m.column, m.row) else {
                return;
            };
            let (n, _, offset) = app.matrix_cursor();
            let pos = offset + row;
            if pos >= n {
                return;
            }
            if all {
                if let Some(s) = app.matrix.as_mut().and_then(|m| m.sweep.as_mut()) {
                    s.selected = pos;
                }
            } else {
                select(app, pos);
            }
            if let (Some(c), Some(mx)) = (col, app.matrix.as_mut()) {
                mx.col = (mx.col_offset + c).min(scopes::categories().len().saturating_sub(1));
            }
            let _ = out;
        }
        _ => {}
    }
}
