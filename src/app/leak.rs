//! A pasted (leaked) key, followed to confirmed dead: found in this context, or looked up by
//! the worker ([`crate::leak::locate`]: where the inventory last saw it, the account the key
//! itself names, then one list per remaining context, stopping once found); the dashboard
//! switches there and selects it, keeping the paste. After `d` `y` it is asked until SendGrid
//! refuses it, with the result in the status bar and log. A key that could create keys has its
//! account listed again once refused (its propagation delay over, as `revoke --leaked` does):
//! the keys that appeared during the delay are offered for revoke in a confirmation.
//!
//! The secret is kept (redacted in `Debug`) only until the key is proven dead or the hunt ends.

use super::contexts::switch_context;
use super::effects::*;
use super::list::*;
use super::*;
use crate::api::{ApiKey, ApiKeyId, OnBehalfOf, Region};
use crate::leak::{Located, Location, Probe, Route, Verification, seconds};

/// How long the dashboard waits for SendGrid to refuse a revoked leaked key.
pub const VERIFY_TIMEOUT_MS: u64 = 60_000;

/// The leaked key being followed.
#[derive(Debug, Clone)]
pub struct LeakHunt {
    pub id: ApiKeyId,
    pub secret: Secret,
    /// The worker is looking for it in the other contexts.
    pub searching: bool,
    /// Found in another context: select it once that context's keys are loaded.
    pub select_when_loaded: bool,
    /// Keys of its account that appeared while it was exposed: marked with it once its
    /// context's keys are loaded, so one `d` (one confirmation) revokes them all.
    pub appeared: Vec<ApiKeyId>,
    /// The context (and its host's region) it was found in, once found.
    pub found_in: Option<(Option<OnBehalfOf>, Option<Region>)>,
    /// Its account as the persistence check listed it (a key that could create keys): what
    /// the list after the propagation delay is compared with. `None`: no check ran.
    pub listed: Option<Vec<ApiKey>>,
    /// What the dashboard waits for after the revoke (said in the status line).
    pub waiting: Option<LeakWait>,
}

/// What a leak hunt waits for once its key is revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeakWait {
    /// SendGrid to refuse the revoked key (its propagation delay).
    Refusal,
    /// The account's list after the delay (keys created with the key meanwhile).
    Relist,
}

/// The status line's words for what the leak hunt waits for.
pub fn waiting(app: &App) -> Option<String> {
    let h = app.leak.as_ref()?;
    Some(match h.waiting? {
        LeakWait::Refusal => format!(
            "waiting for SendGrid to refuse {} (the propagation delay after a revoke)…",
            h.id
        ),
        LeakWait::Relist => format!(
            "listing {} again: keys created during the propagation delay…",
            place_name(h.found_in.as_ref().and_then(|(c, _)| c.as_ref()))
        ),
    })
}

fn place_name(ctx: Option<&OnBehalfOf>) -> String {
    ctx.map_or_else(|| "the own account".to_owned(), ToString::to_string)
}

/// Where the worker found a pasted key (what [`crate::leak::Located`] says, without the
/// client: the context to switch to, its host's region, and the route that found it).
#[derive(Debug, Clone, PartialEq)]
pub enum Whereabouts {
    Found {
        ctx: Option<OnBehalfOf>,
        region: Option<crate::api::Region>,
        via: Route,
        /// The persistence check (a key that could create keys), or why it could not run.
        exposure: Option<Result<crate::leak::Exposure, String>>,
    },
    /// Every reachable context answered, and none holds it.
    Nowhere,
    /// Not in the contexts that answered; these could not be searched (each with why).
    Unsure(Vec<String>),
}

impl Whereabouts {
    pub fn of(
        found: Option<Located>,
        exposure: Option<Result<crate::leak::Exposure, String>>,
    ) -> Whereabouts {
        match found {
            Some(Located {
                location: Location::Found(c, _),
                via,
                region,
                ..
            }) => Whereabouts::Found {
                ctx: c.on_behalf_of().cloned(),
                region,
                via: via.unwrap_or(Route::Sweep),
                exposure,
            },
            Some(Located {
                location: Location::Unsure(why),
                ..
            }) => Whereabouts::Unsure(why),
            Some(Located {
                location: Location::Nowhere,
                ..
            }) => Whereabouts::Nowhere,
            None => Whereabouts::Unsure(vec!["no answer".into()]),
        }
    }
}

/// A key was pasted: select it here, or have the worker look for it everywhere else.
pub(crate) fn hunt(app: &mut App, secret: Secret, out: &mut Vec<Command>) {
    let Some(id) = secret.key_id().map(|i| ApiKeyId(i.to_owned())) else {
        return;
    };
    app.leak = Some(LeakHunt {
        id: id.clone(),
        secret: secret.clone(),
        searching: false,
        select_when_loaded: false,
        appeared: Vec::new(),
        found_in: None,
        listed: None,
        waiting: None,
    });
    if !app.keys.ever_loaded() {
        jump_to_key(app, id.as_str());
        return;
    }
    if let Some(&i) = app.keys.index.get(&id) {
        jump_to_key(app, id.as_str());
        // here, and it may have created keys (or its scopes are not read yet): the worker
        // checks what appeared while it was exposed
        let may_create = app.keys.entries[i]
            .key_detail()
            .is_none_or(|d| crate::leak::can_create(&d.scopes));
        if may_create {
            let op = ApiOp::Locate { secret, here: true };
            request(app, Pending::Locate { id: id.clone() }, op, out);
            if let Some(h) = &mut app.leak {
                h.searching = true;
            }
        }
        return;
    }
    request(
        app,
        Pending::Locate { id: id.clone() },
        ApiOp::Locate {
            secret,
            here: false,
        },
        out,
    );
    if let Some(h) = &mut app.leak {
        h.searching = true;
    }
    toast(
        app,
        Level::Info,
        format!(
            "{id} is not in {}: looking where it was last seen, then asking the key whose it is, \
             then every other account…",
            app.context_label()
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

/// The worker's search answered.
pub(crate) fn located(app: &mut App, id: &ApiKeyId, w: Whereabouts, out: &mut Vec<Command>) {
    let Some(h) = &mut app.leak else { return };
    if &h.id != id || !h.searching {
        return;
    }
    h.searching = false;
    match w {
        Whereabouts::Found {
            ctx,
            region,
            via,
            exposure,
        } => {
            let place = place_name(ctx.as_ref());
            if let Some(Ok(e)) = &exposure {
                h.appeared = e.appeared.iter().map(|k| k.api_key_id.clone()).collect();
                h.listed = Some(e.listed.clone());
            }
            h.found_in = Some((ctx.clone(), region.or(app.ctx.region)));
            log(
                app,
                Level::Info,
                format!("{id} found in {place} ({})", via.words()),
            );
            if let Some(x) = &exposure {
                log_exposure(app, id, &place, x);
            }
            if ctx == app.ctx.on_behalf_of {
                // here already: mark what appeared now
                select_found(app);
            } else {
                if let Some(h) = &mut app.leak {
                    h.select_when_loaded = true;
                }
                switch_context(app, ctx, out);
                app.ctx.region = region.or(app.ctx.region);
            }
        }
        Whereabouts::Nowhere => not_found(app, out),
        Whereabouts::Unsure(why) => {
            log(
                app,
                Level::Warn,
                format!(
                    "{id}: {} could not be searched: {}",
                    if why.len() == 1 {
                        "one account"
                    } else {
                        "some accounts"
                    },
                    why.join("; ")
                ),
            );
            not_found(app, out);
        }
    }
}

/// The key list of the context the key was found in arrived: select it.
pub(crate) fn keys_arrived(app: &mut App) {
    if let Some(h) = &mut app.leak
        && h.select_when_loaded
    {
        h.select_when_loaded = false;
        select_found(app);
    }
}

/// Select the leaked key; mark it and the keys that appeared while it was exposed, so that
/// `d` revokes them together after one confirmation.
fn select_found(app: &mut App) {
    let Some(h) = &app.leak else { return };
    let (id, appeared) = (h.id.clone(), h.appeared.clone());
    jump_to_key(app, id.as_str());
    let here: Vec<ApiKeyId> = appeared
        .into_iter()
        .filter(|k| app.keys.index.contains_key(k))
        .collect();
    if here.is_empty() || !app.keys.index.contains_key(&id) {
        return;
    }
    app.view.marks.clear();
    app.view.marks.insert(id.clone());
    app.view.marks.extend(here.iter().cloned());
    toast(
        app,
        Level::Warn,
        format!(
            "{} appeared while {id} was exposed: marked with it; d revokes all {} (space unmarks \
             one)",
            crate::text::plural(here.len(), "key", "keys"),
            here.len() + 1
        ),
    );
}

/// What the persistence check found, in the log.
fn log_exposure(
    app: &mut App,
    id: &ApiKeyId,
    place: &str,
    x: &Result<crate::leak::Exposure, String>,
) {
    use crate::leak::Baseline;
    let (level, text) = match x {
        Err(why) => (
            Level::Warn,
            format!("persistence check: {place} could not be listed ({why})"),
        ),
        Ok(e) => match &e.baseline {
            Baseline::None(why) => (
                Level::Warn,
                format!(
                    "persistence check: {id} can create keys, but there is no baseline to compare \
                     {place} with ({why})"
                ),
            ),
            Baseline::Listed { at, .. } if e.appeared.is_empty() => (
                Level::Info,
                format!(
                    "persistence check: no key appeared in {place} since {}",
                    crate::inventory::rfc3339(*at)
                ),
            ),
            Baseline::Listed { at, .. } => (
                Level::Warn,
                format!(
                    "{} appeared in {place} while {id} was exposed (not in the list of {}): {}",
                    crate::text::plural(e.appeared.len(), "key", "keys"),
                    crate::inventory::rfc3339(*at),
                    e.appeared
                        .iter()
                        .map(|k| format!("{} '{}'", k.api_key_id, k.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        },
    };
    log(app, level, text);
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
    if let Some(h) = &mut app.leak {
        h.waiting = Some(LeakWait::Refusal);
    }
    log(
        app,
        Level::Info,
        format!("revoked {id}: asking the key until SendGrid refuses it…"),
    );
}

/// The proof came back. For a key that could create keys, its account is listed again (the
/// delay it kept authenticating is over once refused; still working, now is as late as it
/// gets): what appeared meanwhile is offered for revoke when the list comes.
pub(crate) fn verified(
    app: &mut App,
    id: &ApiKeyId,
    r: Result<Verification, ApiError>,
    out: &mut Vec<Command>,
) {
    let hunt = match app.leak.take() {
        Some(h) if &h.id == id => Some(h),
        other => {
            app.leak = other;
            None
        }
    };
    let cancelled = matches!(r, Err(ApiError::Cancelled));
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
    if !cancelled
        && let Some(mut h) = hunt
        && let (Some(before), Some((ctx, region))) = (h.listed.take(), h.found_in.clone())
    {
        request_in(
            app,
            ctx.clone(),
            region,
            Pending::AfterDelay { id: id.clone() },
            ApiOp::ListAfterDelay {
                before,
                leaked: id.clone(),
            },
            out,
        );
        log(
            app,
            Level::Info,
            format!(
                "persistence check: listing {} again for keys created during the propagation \
                 delay…",
                place_name(ctx.as_ref())
            ),
        );
        h.waiting = Some(LeakWait::Relist);
        app.leak = Some(h);
    }
}

/// The leaked key's account, listed again after its propagation delay: the keys that appeared
/// meanwhile are said and, in the context on screen, joined to the list, marked, and offered
/// for revoke in the confirmation (journaled like any revoke).
pub(crate) fn after_delay(app: &mut App, id: &ApiKeyId, r: Result<Vec<ApiKey>, ApiError>) {
    let Some(h) = app.leak.take_if(|h| &h.id == id) else {
        return;
    };
    let ctx = h.found_in.and_then(|(c, _)| c);
    let account = place_name(ctx.as_ref());
    let new = match r {
        Err(ApiError::Cancelled) => return,
        Err(e) => {
            return warn(
                app,
                format!(
                    "persistence check: {account} could not be listed again after the revoke \
                     ({}): keys created during the propagation delay are unknown",
                    super::errors::describe(&e)
                ),
            );
        }
        Ok(v) if v.is_empty() => {
            return log(
                app,
                Level::Info,
                format!(
                    "persistence check: no key appeared in {account} during the propagation delay"
                ),
            );
        }
        Ok(v) => v,
    };
    let names = new
        .iter()
        .map(|k| format!("{} '{}'", k.api_key_id, crate::text::clean(&k.name)))
        .collect::<Vec<_>>()
        .join(", ");
    let n = crate::text::plural(new.len(), "key", "keys");
    let them = if new.len() == 1 { "it" } else { "them" };
    log(
        app,
        Level::Warn,
        format!("{n} appeared in {account} during the propagation delay of {id}: {names}"),
    );
    if ctx != app.ctx.on_behalf_of {
        return warn(
            app,
            format!(
                "{n} appeared in {account} during the propagation delay of {id}: switch there \
                 to revoke {them} ({names})"
            ),
        );
    }
    // listed now: they join the list (unless a refresh brought them), marked alone
    let at = place(app);
    for k in &new {
        if !app.keys.index.contains_key(&k.api_key_id) {
            app.keys.entries.push(KeyEntry::new(k.clone()));
        }
    }
    app.keys.reindex();
    recompute_risks(app);
    refilter_in_place(app, at);
    app.view.marks.clear();
    app.view
        .marks
        .extend(new.iter().map(|k| k.api_key_id.clone()));
    if app.modal.is_some() {
        return warn(
            app,
            format!(
                "{n} appeared during the propagation delay of {id}: marked; d revokes {them} \
                 (space unmarks one)"
            ),
        );
    }
    warn(
        app,
        format!("{n} appeared during the propagation delay of {id}: revoke {them}?"),
    );
    super::revoke::open_confirm_delete(app);
}

/// A warning toast, unless an error is showing (a key that still authenticates after its
/// revoke): that one stays, and this goes to the log only.
fn warn(app: &mut App, text: String) {
    if app.toast.as_ref().is_some_and(|t| t.level == Level::Error) {
        log(app, Level::Warn, text);
    } else {
        toast(app, Level::Warn, text);
    }
}
