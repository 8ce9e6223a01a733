//! A pasted (leaked) key, followed to confirmed dead: found in this context, or looked up by
//! the worker ([`crate::leak::locate`]: where the inventory last saw it, the account the key
//! itself names, then one list per remaining context, stopping once found); the dashboard
//! switches there and selects it, keeping the paste. After `d` `y` it is asked until SendGrid
//! refuses it, with the result in the status bar and log.
//!
//! The secret is kept (redacted in `Debug`) only until the key is proven dead or the hunt ends.

use super::contexts::switch_context;
use super::effects::*;
use super::list::*;
use super::*;
use crate::api::{ApiKeyId, OnBehalfOf};
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
            let place = ctx
                .as_ref()
                .map_or_else(|| "the own account".to_owned(), ToString::to_string);
            if let Some(Ok(e)) = &exposure {
                h.appeared = e.appeared.iter().map(|k| k.api_key_id.clone()).collect();
            }
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
