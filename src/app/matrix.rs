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

mod sweep;
pub(crate) use sweep::*;

use super::effects::*;
use super::keymap::Action;
use super::layout;
use super::list::*;
use super::*;
use crate::api::{ApiError, ApiKey, ApiKeyId, KeyDetail, OnBehalfOf, Region};
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
    pub select_when_loaded: Option<(ApiKeyId, Action)>,
    /// The context the all-contexts matrix was left from to act on another context's key:
    /// Esc goes back there, to every context.
    pub return_to: Option<Option<OnBehalfOf>>,
    /// The context the sweep and the way back were made in.
    pub here: Option<OnBehalfOf>,
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
    /// The subusers are being read first.
    pub waiting_subusers: bool,
    /// The inventory is asked first whether the last sweep is to be resumed.
    pub waiting_inventory: bool,
    /// Its end is recorded.
    pub ended: bool,
}

/// One other context of a sweep.
#[derive(Debug, Clone)]
pub struct SweepCtx {
    pub ctx: Option<OnBehalfOf>,
    pub region: Option<Region>,
    /// What the context column says.
    pub label: String,
    pub keys: Account,
}

impl Sweep {
    /// Scopes (read, failed, asked for) over the other contexts' keys.
    pub fn reading(&self) -> (usize, usize, usize) {
        self.contexts.iter().fold((0, 0, 0), |(d, f, t), c| {
            let p = &c.keys.prefetch;
            (d + p.done, f + p.failed, t + p.total)
        })
    }

    /// Some of the other contexts' scopes are still to read.
    pub fn reading_scopes(&self) -> bool {
        self.contexts.iter().any(|c| c.keys.prefetch.active())
    }

    /// Every context's list and every key's scopes answered (or failed).
    pub fn answered(&self) -> bool {
        !self.waiting_subusers
            && !self.reading_scopes()
            && self.contexts.iter().all(|c| !c.keys.status.is_loading())
    }
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
    app.matrix = Some(MatrixView {
        here: app.ctx.on_behalf_of.clone(),
        ..MatrixView::default()
    });
    keep_selection_visible(app);
    if app.keys.prefetch.active() {
        let (done, total) = (app.keys.prefetch.done, app.keys.prefetch.total);
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
        m.col_offset = layout::visible_offset(m.col_offset, m.col, cols, n);
    }
}

/// The matrix layer's keys; what the matrix does not handle itself it hands back, for the
/// list's keys (`browse`) to handle as in the list.
pub(crate) fn action(app: &mut App, a: Action, out: &mut Vec<Command>) -> Option<Action> {
    let n_cols = scopes::categories().len();
    let Some(m) = &mut app.matrix else {
        return None;
    };
    match a {
        Action::Left => {
            m.col = m.col.saturating_sub(1);
            keep_col_visible(app);
            return None;
        }
        Action::Right => {
            m.col = (m.col + 1).min(n_cols.saturating_sub(1));
            keep_col_visible(app);
            return None;
        }
        Action::FirstColumn => {
            m.col = 0;
            keep_col_visible(app);
            return None;
        }
        Action::LastColumn => {
            m.col = n_cols.saturating_sub(1);
            keep_col_visible(app);
            return None;
        }
        Action::Matrix => {
            toggle(app);
            return None;
        }
        Action::AllContexts => {
            if m.sweep.take().is_some() {
                keep_selection_visible(app);
                let label = app.context_label();
                toast(app, Level::Info, format!("permission matrix of {label}"));
                return None;
            }
            start_sweep(app, out, false);
            return None;
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
            resweep(app);
            // the top of the sort is what was asked for: shown, and selected
            match app.matrix.as_mut().and_then(|m| m.sweep.as_mut()) {
                Some(s) => {
                    s.selected = 0;
                    s.offset = 0;
                }
                None => {
                    app.view.offset = 0;
                    select(app, 0);
                }
            }
            let label = app.view.sort.label();
            let order = if app.view.reverse {
                "least access first"
            } else {
                "most access first"
            };
            let extra =
                if app.keys.prefetch.active() || app.sweep().is_some_and(Sweep::reading_scopes) {
                    " (scopes still loading)"
                } else {
                    ""
                };
            toast(
                app,
                Level::Info,
                format!("sorted by {label}: {order}{extra}"),
            );
            return None;
        }
        Action::Enter => {
            open_cell(app);
            return None;
        }
        Action::Back => {
            let nothing_to_clear = app.toast.as_ref().is_none_or(|t| t.level != Level::Error)
                && app.view.marks.is_empty()
                && !app.filter.active()
                && app.filter.input.value().is_empty();
            if nothing_to_clear {
                if !back_to_every_context(app, out) {
                    toggle(app);
                }
                return None;
            }
        }
        _ => {}
    }
    if app.sweep().is_some() {
        return sweep_action(app, a, out);
    }
    Some(a)
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

/// The current context's key list arrived: select the key a sweep row asked for, and hand
/// back the action it was picked for (done at once by the list's keys: one press, as for a key
/// of this context).
pub(crate) fn keys_arrived(app: &mut App) -> Option<Action> {
    let (id, then) = app
        .matrix
        .as_mut()
        .and_then(|m| m.select_when_loaded.take())?;
    if select_id(app, &id) {
        return Some(then);
    }
    toast(
        app,
        Level::Warn,
        format!("{id} is no longer in {}", app.context_label()),
    );
    None
}

/// After a context switch (by any room), the sweep made in the old context ends (its reads were
/// dropped with the old context's), and so does the way back to it, unless the switch was the
/// sweep's own ([`switch_to`]).
pub(crate) fn follow_context(app: &mut App) {
    if let Some(m) = &mut app.matrix
        && m.here != app.ctx.on_behalf_of
    {
        m.sweep = None;
        m.return_to = None;
        m.here = app.ctx.on_behalf_of.clone();
    }
}

/// Esc in the matrix of a context the all-contexts matrix switched to: back to where it was
/// left, every context again. False when the matrix was not reached that way.
fn back_to_every_context(app: &mut App, out: &mut Vec<Command>) -> bool {
    let Some(back) = app.matrix.as_mut().and_then(|m| m.return_to.take()) else {
        return false;
    };
    super::contexts::switch_context(app, back, out);
    // what the sweep left had answered is not asked again
    start_sweep(app, out, false);
    true
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
