//! The persistence check: a leaked key that could create keys (`api_keys.create`, which Full
//! Access holds) may have been used to mint others that outlive it. SendGrid gives no creation
//! date, so only what the inventory saw, and when, can tell which keys of the key's account
//! **appeared while it was exposed**:
//!
//! - the keys listed now that the inventory had not seen by its last complete list of that
//!   account from before the leak's earliest sighting (the scanner report's date, `--since`),
//!   or, with no date, from before this run; keys sgkeys itself created are left out (and
//!   counted);
//! - after the revoke and the proof, the keys that appeared during the propagation delay (a
//!   revoked key still authenticates for a while, and can still create).
//!
//! With no such list (no inventory, or the account never read in full before that time) there
//! is no baseline, and that is said plainly rather than calling every key suspect or none.

use std::collections::HashSet;

use crate::api::{ApiError, ApiKey, ApiKeyId, Client};
use crate::inventory::{Millis, Recorder};

/// Whether a key holding `scopes` can create keys.
pub fn can_create(scopes: &[String]) -> bool {
    scopes.iter().any(|s| s == "api_keys.create")
}

/// What the keys listed now are compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Baseline {
    /// The inventory's complete list of the account at `at`, the last one before `before`
    /// (`what`: the leak's earliest sighting as given, or "this run").
    Listed {
        at: Millis,
        before: Millis,
        what: String,
    },
    /// Nothing to compare with, and why (in words).
    None(String),
}

/// The keys of a leaked key's account that appeared while it was exposed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    pub baseline: Baseline,
    /// Listed now, not there at the baseline, not created by sgkeys; oldest sighting first.
    pub appeared: Vec<ApiKey>,
    /// Keys that appeared since the baseline that sgkeys itself created (left out).
    pub by_sgkeys: usize,
    /// Every key listed now (what the propagation-delay check compares with).
    pub listed: Vec<ApiKey>,
}

/// List `client`'s context now and compare with the inventory's last complete list from before
/// `since` (the leak's earliest sighting, in [`Millis`]; `what` names it) or, with none given,
/// before `run_started`. `leaked` itself is never listed as appeared.
pub async fn appeared(
    client: &Client,
    inventory: Option<&Recorder>,
    leaked: &ApiKeyId,
    since: Option<(Millis, String)>,
    run_started: Millis,
) -> Result<Exposure, ApiError> {
    let now = client.list_keys(None).await;
    if let Some(r) = inventory {
        crate::seen::list(r, &crate::seen::place(r, client), &now, true, None);
    }
    let listed = now?;
    let (before, what) = since.unwrap_or((run_started, "this run".to_owned()));
    let Some(rec) = inventory else {
        return Ok(Exposure {
            baseline: Baseline::None("no inventory is kept (--no-inventory)".into()),
            appeared: Vec::new(),
            by_sgkeys: 0,
            listed,
        });
    };
    let (baseline, appeared, by_sgkeys) = compare(rec, client, leaked, &listed, before, &what);
    Ok(Exposure {
        baseline,
        appeared,
        by_sgkeys,
        listed,
    })
}

/// The inventory's side of [`appeared`].
fn compare(
    rec: &Recorder,
    client: &Client,
    leaked: &ApiKeyId,
    listed: &[ApiKey],
    before: Millis,
    what: &str,
) -> (Baseline, Vec<ApiKey>, usize) {
    let none = |why: String| (Baseline::None(why), Vec::new(), 0);
    if !rec.flush(std::time::Duration::from_secs(5)) {
        return none("the inventory was still busy writing".into());
    }
    let reader = match rec.reader() {
        Ok(r) => r,
        Err(e) => return none(format!("the inventory could not be read: {e}")),
    };
    let place = crate::seen::place(rec, client);
    let ctx = match reader.context(&place) {
        Ok(Some(c)) => c,
        Ok(None) => return none("the inventory never read this account before".into()),
        Err(e) => return none(format!("the inventory could not be read: {e}")),
    };
    let at = match reader.complete_read_before(ctx.id, before) {
        Ok(Some(at)) => at,
        Ok(None) => {
            return none(format!(
                "the inventory has no complete list of this account from before {what}"
            ));
        }
        Err(e) => return none(format!("the inventory could not be read: {e}")),
    };
    let since = match reader.first_seen_after(ctx.id, at) {
        Ok(rows) => rows,
        Err(e) => return none(format!("the inventory could not be read: {e}")),
    };
    let by_sgkeys: HashSet<&str> = since
        .iter()
        .filter(|k| k.first_seen_how == "created")
        .map(|k| k.key_id.as_str())
        .collect();
    let new: HashSet<&str> = since.iter().map(|k| k.key_id.as_str()).collect();
    let appeared: Vec<ApiKey> = listed
        .iter()
        .filter(|k| {
            let id = k.api_key_id.as_str();
            k.api_key_id != *leaked && new.contains(id) && !by_sgkeys.contains(id)
        })
        .cloned()
        .collect();
    let ours = listed
        .iter()
        .filter(|k| by_sgkeys.contains(k.api_key_id.as_str()))
        .count();
    (
        Baseline::Listed {
            at,
            before,
            what: what.to_owned(),
        },
        appeared,
        ours,
    )
}

/// After the revoke and the proof: list the account again; the keys not listed before
/// (`before`, [`Exposure::listed`]) appeared during the propagation delay (`leaked` and the
/// keys in `ignore`, e.g. ones sgkeys created meanwhile, aside).
pub async fn appeared_during_delay(
    client: &Client,
    inventory: Option<&Recorder>,
    before: &[ApiKey],
    leaked: &ApiKeyId,
) -> Result<Vec<ApiKey>, ApiError> {
    let now = client.list_keys(None).await;
    if let Some(r) = inventory {
        crate::seen::list(r, &crate::seen::place(r, client), &now, true, None);
    }
    let known: HashSet<&ApiKeyId> = before.iter().map(|k| &k.api_key_id).collect();
    Ok(now?
        .into_iter()
        .filter(|k| k.api_key_id != *leaked && !known.contains(&k.api_key_id))
        .collect())
}
