//! `a` in the permission matrix: every context (the key's own account and each subuser) in one
//! matrix with a context column. Each context's list, then every key's scopes, with the
//! prefetch's bound; answers of a sweep that was left are dropped by its id. Acting on another
//! context's key switches there and acts at once; Esc then comes back to every context.

use super::*;

/// Keys in all-contexts mode: moving is the sweep's own; an action on a row of the current
/// context selects it in the list and is handed back for the list's keys to do; on another
/// context's row it switches there first.
pub(super) fn sweep_action(app: &mut App, a: Action, out: &mut Vec<Command>) -> Option<Action> {
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
        sweep_move(app, d);
        return None;
    }
    match a {
        Action::Mark | Action::MarkAll => toast(
            app,
            Level::Info,
            format!(
                "marks work within one context: press {} to leave the all-contexts matrix",
                crate::app::keymap::user::key_name(
                    crate::app::keymap::Layer::Matrix,
                    Action::AllContexts
                )
            ),
        ),
        Action::Rename
        | Action::EditScopes
        | Action::Revoke
        | Action::CopyId
        | Action::Diff
        | Action::Trim
        | Action::Rotate => {
            let s = app.sweep()?;
            match s.rows.get(s.selected).copied() {
                Some(SweepRow::Here(i)) => {
                    let id = app.keys.entries.get(i).map(|e| e.id.clone())?;
                    if select_id(app, &id) {
                        return Some(a);
                    }
                }
                Some(SweepRow::There(c, i)) => {
                    let ctx = s.contexts.get(c)?;
                    let e = ctx.keys.entries.get(i)?;
                    let (to, id, label) = (ctx.ctx.clone(), e.id.clone(), ctx.label.clone());
                    let name = e.name.clone();
                    switch_to(app, to, id, a, out);
                    toast(
                        app,
                        Level::Info,
                        format!(
                            "switched to {label} to act on '{}' — Esc in the matrix comes back to every context",
                            crate::text::clean(&name)
                        ),
                    );
                }
                None => {}
            }
        }
        Action::Refresh => {
            refresh(app, out);
            start_sweep(app, out, true);
        }
        _ => return Some(a),
    }
    None
}

pub(super) fn sweep_move(app: &mut App, d: isize) {
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

pub(super) fn keep_visible(s: &mut Sweep, cap: usize) {
    let n = s.rows.len();
    s.selected = s.selected.min(n.saturating_sub(1));
    s.offset = crate::app::layout::visible_offset(s.offset, s.selected, cap, n);
}

/// Switch to another context (leaving the sweep) to act on `id` there with `then` once its
/// list arrives; Esc in the matrix afterwards returns to the sweep.
pub(super) fn switch_to(
    app: &mut App,
    to: Option<OnBehalfOf>,
    id: ApiKeyId,
    then: Action,
    out: &mut Vec<Command>,
) {
    let back = app.ctx.on_behalf_of.clone();
    super::contexts::switch_context(app, to, out);
    if let Some(m) = &mut app.matrix {
        m.sweep = None;
        m.here = app.ctx.on_behalf_of.clone();
        m.select_when_loaded = Some((id, then));
        m.return_to = Some(back);
    }
}

/// `a`: a sweep of every context. The inventory says first whether the last one was
/// interrupted (left, Ctrl-C, the dashboard killed) within `--max-age`: then only what it had
/// not answered is asked. `fresh` (Ctrl-r): everything is asked again.
pub(crate) fn start_sweep(app: &mut App, out: &mut Vec<Command>, fresh: bool) {
    let id = app.next_req;
    app.next_req += 1;
    let Some(m) = &mut app.matrix else { return };
    m.here = app.ctx.on_behalf_of.clone();
    m.sweep = Some(Sweep {
        id,
        waiting_subusers: true,
        waiting_inventory: true,
        ..Sweep::default()
    });
    request(
        app,
        Pending::SweepStart { sweep: id },
        ApiOp::SweepStart { fresh },
        out,
    );
    resweep(app);
}

/// The inventory answered: the interrupted sweep is resumed over its own contexts (its
/// subuser list is not asked again), else every subuser is read first.
pub(crate) fn sweep_started(
    app: &mut App,
    sweep: u64,
    r: Result<Option<Resumed>, String>,
    out: &mut Vec<Command>,
) {
    let Some(s) = sweep_mut(app, sweep) else {
        return;
    };
    s.waiting_inventory = false;
    match r {
        Ok(Some(resumed)) => {
            let mut contexts = resumed.contexts;
            contexts.retain(|(c, _)| *c != app.ctx.on_behalf_of);
            begin(app, contexts, Some(resumed.ago_ms), out);
        }
        other => {
            if let Err(e) = other {
                log(
                    app,
                    Level::Warn,
                    format!(
                        "all contexts: the inventory could not be read ({e}): everything is asked"
                    ),
                );
            }
            match &app.subusers {
                Remote::NotAsked => {
                    let req = request(app, Pending::Subusers, ApiOp::ListSubusers, out);
                    app.subusers.start(req);
                    toast(app, Level::Info, "all contexts: reading the subusers…");
                }
                Remote::Loading { .. } => {}
                _ => subusers_arrived(app, out),
            }
        }
    }
}

/// The subusers are known (or could not be read): read every other context's keys.
pub(crate) fn subusers_arrived(app: &mut App, out: &mut Vec<Command>) {
    let Some(s) = app.sweep() else { return };
    if !s.waiting_subusers || s.waiting_inventory {
        return;
    }
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
    begin(app, contexts, None, out);
}

/// Read every other context's keys: the sweep's contexts recorded first (the current one
/// with them), then one list each; `resumed`: the sweep interrupted that long ago (ms) is
/// resumed.
fn begin(
    app: &mut App,
    contexts: Vec<(Option<OnBehalfOf>, Option<Region>)>,
    resumed: Option<u64>,
    out: &mut Vec<Command>,
) {
    let Some(sweep_id) = app.sweep().map(|s| s.id) else {
        return;
    };
    let here = (app.ctx.on_behalf_of.clone(), app.ctx.region);
    let all = std::iter::once(here)
        .chain(contexts.iter().cloned())
        .collect();
    request(
        app,
        Pending::SweepBegin { sweep: sweep_id },
        ApiOp::SweepBegin { contexts: all },
        out,
    );
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
            ApiOp::SweepListKeys,
            out,
        );
        let mut keys = Account::default();
        keys.status.start(req);
        sweep_ctxs.push(SweepCtx {
            label: context_name(&ctx),
            ctx,
            region,
            keys,
        });
    }
    let n = sweep_ctxs.len();
    if let Some(s) = app.matrix.as_mut().and_then(|m| m.sweep.as_mut()) {
        s.waiting_subusers = false;
        s.contexts = sweep_ctxs;
    }
    let more = crate::text::plural(n, "context", "contexts");
    let said = match resumed {
        None => format!("all contexts: reading {more} more"),
        Some(ms) => format!(
            "all contexts: resuming the sweep interrupted {} ({more} more): what it was \
             answered is not asked again ({} asks everything)",
            crate::inventory::ago(0, ms as i64),
            crate::app::keymap::user::key_name(Layer::Matrix, Action::Refresh)
        ),
    };
    toast(app, Level::Info, said);
    // no other context: nothing to wait for
    end_sweep(app, out);
}

/// The sweep's contexts are recorded: say what the inventory answers for them.
pub(crate) fn sweep_begun(app: &mut App, sweep: u64, r: Result<(usize, usize), String>) {
    if sweep_mut(app, sweep).is_none() {
        return;
    }
    match r {
        Ok((0, 0)) => {}
        Ok((lists, reads)) => log(
            app,
            Level::Info,
            format!(
                "all contexts: {} and {} taken from the inventory, not asked again",
                crate::text::plural(lists, "key list", "key lists"),
                crate::text::plural(reads, "key read", "key reads")
            ),
        ),
        Err(e) => log(
            app,
            Level::Warn,
            format!("all contexts: the sweep is not recorded in the inventory ({e})"),
        ),
    }
}

/// Every list and every key of the sweep answered: recorded as finished (or incomplete, when
/// some could not be read), once.
fn end_sweep(app: &mut App, out: &mut Vec<Command>) {
    let Some(s) = app.matrix.as_mut().and_then(|m| m.sweep.as_mut()) else {
        return;
    };
    if s.ended || !s.answered() {
        return;
    }
    s.ended = true;
    let (_, failed, _) = s.reading();
    let complete = failed == 0 && s.contexts.iter().all(|c| c.keys.status.error().is_none());
    request(app, Pending::SweepEnd, ApiOp::SweepEnd { complete }, out);
}

/// The sweep whose answer this is, if it is still on screen.
pub(super) fn sweep_mut(app: &mut App, sweep: u64) -> Option<&mut Sweep> {
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
            c.keys.listed(keys);
            c.keys.status.ready(0);
            let queue = c.keys.entries.iter().map(|e| e.id.clone()).collect();
            c.keys.prefetch_all(queue);
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
    super::list::pump(app, out);
    resweep(app);
    end_sweep(app, out);
}

/// One key's scopes arrived (`whose`: the sweep and the context it was read for).
pub(crate) fn sweep_key(
    app: &mut App,
    whose: Whose,
    id: &ApiKeyId,
    r: Result<KeyDetail, ApiError>,
    out: &mut Vec<Command>,
) {
    let r = super::account::answer_for(id, r);
    let why = r.as_ref().err().map(super::errors::describe);
    let Some(acc) = app.account_mut(whose) else {
        return;
    };
    acc.prefetched(r.is_ok());
    match r {
        Ok(detail) => acc.set_info(detail),
        Err(_) => {
            if let Some(r) = acc.get_mut(id).and_then(|e| e.state.scopes_mut()) {
                r.fail(why.unwrap_or_default());
            }
        }
    }
    super::list::pump(app, out);
    let sorted_by_scopes = app.view.sort.needs_scopes() || app.filter.query.needs_scopes();
    let finished = app.sweep().is_some_and(Sweep::answered);
    if sorted_by_scopes || finished {
        resweep(app);
    }
    if finished && let Some(s) = app.sweep() {
        let (done, failed, _) = s.reading();
        let (n, rows) = (s.contexts.len() + 1, s.rows.len());
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
    end_sweep(app, out);
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
