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
            start_sweep(app, out);
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

/// Switch to another context (leaving the sweep) and select `id` once its list arrives.
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

pub(crate) fn start_sweep(app: &mut App, out: &mut Vec<Command>) {
    let id = app.next_req;
    app.next_req += 1;
    let Some(m) = &mut app.matrix else { return };
    m.here = app.ctx.on_behalf_of.clone();
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
    toast(
        app,
        Level::Info,
        format!(
            "all contexts: reading {} more",
            crate::text::plural(n, "context", "contexts")
        ),
    );
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
    super::account::pump(app, out);
    resweep(app);
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
    super::account::pump(app, out);
    let sorted_by_scopes = app.view.sort.needs_scopes() || app.filter.query.needs_scopes();
    let finished = app.sweep().is_some_and(|s| !s.reading_scopes());
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
