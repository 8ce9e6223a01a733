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
}

/// Where the worker found a pasted key (what [`crate::leak::Located`] says, without the
/// client: the context to switch to, its host's region, and the route that found it).
#[derive(Debug, Clone, PartialEq)]
pub enum Whereabouts {
    Found {
        ctx: Option<OnBehalfOf>,
        region: Option<crate::api::Region>,
        via: Route,
    },
    /// Every reachable context answered, and none holds it.
    Nowhere,
    /// Not in the contexts that answered; these could not be searched (each with why).
    Unsure(Vec<String>),
}

impl Whereabouts {
    pub fn of(found: Option<Located>) -> Whereabouts {
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
    });
    if !app.keys.ever_loaded() || app.keys.index.contains_key(&id) {
        jump_to_key(app, id.as_str());
        return;
    }
    request(
        app,
        Pending::Locate { id: id.clone() },
        ApiOp::Locate(secret),
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
        Whereabouts::Found { ctx, region, via } => {
            h.select_when_loaded = true;
            let place = ctx
                .as_ref()
                .map_or_else(|| "the own account".to_owned(), ToString::to_string);
            log(
                app,
                Level::Info,
                format!("{id} found in {place} ({})", via.words()),
            );
            switch_context(app, ctx, out);
            app.ctx.region = region.or(app.ctx.region);
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
