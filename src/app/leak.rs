//! A pasted (leaked) key, followed to confirmed dead: found in this context or looked up in
//! every other reachable one (the dashboard switches there and selects it, keeping the paste),
//! and after `d` `y` asked until SendGrid refuses it, with the result in the status bar and log.
//!
//! The secret is kept (redacted in `Debug`) only until the key is proven dead or the hunt ends.

use super::contexts::switch_context;
use super::effects::*;
use super::list::*;
use super::*;
use crate::api::{ApiError, ApiKeyId, OnBehalfOf};
use crate::leak::{Probe, Verification, seconds};

/// How long the dashboard waits for SendGrid to refuse a revoked leaked key.
pub const VERIFY_TIMEOUT_MS: u64 = 60_000;

/// The leaked key being followed.
#[derive(Debug, Clone)]
pub struct LeakHunt {
    pub id: ApiKeyId,
    pub secret: Secret,
    /// Contexts still being searched (0: not searching).
    pub searching: usize,
    /// Waiting for the subuser list before the search can start.
    pub needs_subusers: bool,
    /// Found in another context: select it once that context's keys are loaded.
    pub select_when_loaded: bool,
}

/// A key was pasted: select it here, or look for it in every other context.
pub(crate) fn hunt(app: &mut App, secret: Secret, out: &mut Vec<Command>) {
    let Some(id) = secret.key_id().map(|i| ApiKeyId(i.to_owned())) else {
        return;
    };
    app.leak = Some(LeakHunt {
        id: id.clone(),
        secret,
        searching: 0,
        needs_subusers: false,
        select_when_loaded: false,
    });
    if !app.keys.ever_loaded() || app.keys.index.contains_key(&id) {
        jump_to_key(app, id.as_str());
        return;
    }
    search(app, out);
}

/// Ask every other reachable context for the key (the subuser list first, if not known yet).
fn search(app: &mut App, out: &mut Vec<Command>) {
    let Some(h) = &app.leak else { return };
    let id = h.id.clone();
    let mut targets: Vec<(Option<OnBehalfOf>, Option<crate::api::Region>)> = Vec::new();
    if app.ctx.on_behalf_of.is_some() {
        targets.push((None, None));
    }
    match app.subusers.value() {
        Some(subs) => targets.extend(
            subs.iter()
                .filter(|s| !s.disabled)
                .map(|s| (Some(OnBehalfOf::Subuser(s.username.clone())), s.region))
                .filter(|(o, _)| *o != app.ctx.on_behalf_of),
        ),
        None if app.subusers.error().is_none() => {
            if !app.subusers.is_loading() {
                let req = request(app, Pending::Subusers, ApiOp::ListSubusers, out);
                app.subusers.start(req);
            }
            if let Some(h) = &mut app.leak {
                h.needs_subusers = true;
            }
            toast(
                app,
                Level::Info,
                format!(
                    "{id} is not in {}: looking in the subusers…",
                    app.context_label()
                ),
            );
            return;
        }
        None => {}
    }
    if targets.is_empty() {
        return not_found(app, out);
    }
    for (ctx, region) in &targets {
        let req = app.next_req;
        app.next_req += 1;
        app.pending.insert(
            req,
            Pending::Locate {
                id: id.clone(),
                ctx: ctx.clone(),
                region: *region,
            },
        );
        out.push(Command::Api {
            req,
            ctx: ctx.clone(),
            region: *region,
            op: ApiOp::GetKey(id.clone()),
        });
    }
    if let Some(h) = &mut app.leak {
        h.searching = targets.len();
        h.needs_subusers = false;
    }
    toast(
        app,
        Level::Info,
        format!(
            "{id} is not in {}: looking in {} other account{}…",
            app.context_label(),
            targets.len(),
            if targets.len() == 1 { "" } else { "s" }
        ),
    );
}

/// In no reachable account: ask the key itself whether it still works.
fn not_found(app: &mut App, out: &mut Vec<Command>) {
    let Some(h) = app.leak.take() else { return };
    request(
        app,
        Pending::Probe { id: h.id.clone() },
        ApiOp::Probe(h.secret),
        out,
    );
}

/// What the key itself said, for a key in no reachable account ("dead" only when SendGrid
/// refused it in its own words while the dashboard's key still works).
pub(crate) fn probed(app: &mut App, id: &ApiKeyId, p: Probe) {
    match p {
        Probe::Dead => toast(
            app,
            Level::Success,
            format!("{id} does not authenticate: already revoked, or not a whole key"),
        ),
        Probe::Live(scopes) => {
            let self_revoke = scopes.iter().any(|s| s == "api_keys.delete");
            toast(
                app,
                Level::Error,
                format!(
                    "{id} WORKS ({} scopes) but is in no account this key can reach: {}",
                    scopes.len(),
                    if self_revoke {
                        "it may delete itself: `sgkeys revoke --leaked --self-revoke`"
                    } else {
                        "its account's owner must revoke it"
                    }
                ),
            );
        }
        Probe::Unknown(why) => toast(
            app,
            Level::Warn,
            format!(
                "{id} is in no account this key can reach; whether it still works is unknown: {why}"
            ),
        ),
        Probe::NotChecked => toast(
            app,
            Level::Warn,
            format!("{id} is in no account this key can reach; it was not asked whether it works"),
        ),
    }
}

/// The subuser list arrived (or failed): a waiting search can start.
pub(crate) fn subusers_arrived(app: &mut App, out: &mut Vec<Command>) {
    if app.leak.as_ref().is_some_and(|h| h.needs_subusers) {
        if app.subusers.value().is_some() {
            search(app, out);
        } else {
            not_found(app, out);
        }
    }
}

/// One context answered the search.
pub(crate) fn located(
    app: &mut App,
    id: &ApiKeyId,
    ctx: Option<OnBehalfOf>,
    region: Option<crate::api::Region>,
    r: Result<crate::api::KeyDetail, ApiError>,
    out: &mut Vec<Command>,
) {
    let Some(h) = &mut app.leak else { return };
    if &h.id != id || h.searching == 0 {
        return;
    }
    h.searching -= 1;
    match r {
        Ok(_) => {
            h.searching = 0;
            h.select_when_loaded = true;
            // stale searches in the other contexts are dropped with the context switch
            switch_context(app, ctx, out);
            app.ctx.region = region.or(app.ctx.region);
        }
        Err(_) if h.searching == 0 => not_found(app, out),
        Err(_) => {}
    }
}

/// The key list of the context the key was found in arrived: select it.
pub(crate) fn keys_arrived(app: &mut App) {
    if let Some(h) = &mut app.leak
        && h.select_when_loaded
    {
        h.select_when_loaded = false;
        let id = h.id.clone();
        jump_to_key(app, id.as_str());
    }
}

/// A revoke succeeded: if it was the leaked key, ask it until SendGrid refuses it.
pub(crate) fn revoked(
    app: &mut App,
    id: &ApiKeyId,
    entry: Option<Box<crate::journal::Entry>>,
    out: &mut Vec<Command>,
) {
    let Some(h) = &app.leak else { return };
    if &h.id != id {
        return;
    }
    let secret = h.secret.clone();
    request(
        app,
        Pending::Verify { id: id.clone() },
        ApiOp::VerifyDead { secret, entry },
        out,
    );
    log(
        app,
        Level::Info,
        format!("revoked {id}: asking the key until SendGrid refuses it…"),
    );
}

/// The proof came back.
pub(crate) fn verified(app: &mut App, id: &ApiKeyId, r: Result<Verification, ApiError>) {
    if app.leak.as_ref().is_some_and(|h| &h.id == id) {
        app.leak = None;
    }
    match r {
        Ok(v) if v.dead => toast(
            app,
            Level::Success,
            format!(
                "{id} confirmed dead after {}: SendGrid refuses it",
                seconds(v.after)
            ),
        ),
        Ok(v) => toast(
            app,
            Level::Error,
            format!(
                "{id} {}: escalate (revoke it in SendGrid's App, contact support)",
                v.describe()
            ),
        ),
        Err(ApiError::Cancelled) => {}
        Err(e) => toast(
            app,
            Level::Error,
            format!("could not prove {id} dead: {}", super::errors::describe(&e)),
        ),
    }
}
