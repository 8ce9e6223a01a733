//! `revoke --leaked`, the persistence check ([`crate::leak::appeared`]): when the leaked key
//! could create keys, the keys of its account that appeared while it was exposed are listed
//! before the one confirmation (which can revoke them too: `all`, or `--yes --revoke-appeared`),
//! and after the proof the keys that appeared during the propagation delay. Each revoke goes
//! through the operations layer (journaled). With nothing to compare with, that is said.

use serde_json::{Value, json};

use super::context::*;
use super::prompt;
use super::{CliError, RevokeArgs};
use crate::api::{ApiKey, ApiKeyId, Client};
use crate::inventory::{Millis, rfc3339};
use crate::journal::Outcome;
use crate::leak::{self, Baseline, Exposure};
use crate::ops::{Done, Effect, RevokeTarget};
use crate::output::clean;
use crate::text::plural;

/// What the check found for one leaked key, and what became of the keys it named.
pub(crate) struct Check {
    /// Where the leaked key lives.
    pub client: Client,
    pub leaked: ApiKeyId,
    /// The check's answer (Err: the account could not be listed, in words).
    pub found: Result<Exposure, String>,
    /// Revoked (or tried) keys that appeared, with their outcome.
    pub revoked: Vec<(ApiKey, Option<Done>)>,
    /// Keys that appeared during the propagation delay (None: not checked).
    pub during_delay: Option<Result<Vec<ApiKey>, String>>,
}

impl Check {
    /// The keys that appeared before the revoke.
    pub fn appeared(&self) -> &[ApiKey] {
        self.found.as_ref().map_or(&[], |e| e.appeared.as_slice())
    }

    /// Every key that appeared and was not revoked (or whose revoke failed).
    fn left(&self) -> Vec<&ApiKey> {
        let ok = |k: &ApiKey| {
            self.revoked.iter().any(|(r, d)| {
                r.api_key_id == k.api_key_id && d.as_ref().is_some_and(|d| d.result.is_ok())
            })
        };
        let delay = match &self.during_delay {
            Some(Ok(v)) => v.as_slice(),
            _ => &[],
        };
        self.appeared()
            .iter()
            .chain(delay)
            .filter(|k| !ok(k))
            .collect()
    }
}

/// Run the check for a key found in `client`'s context that holds `scopes`: None when it
/// cannot create keys. `started`: when this run began (the inventory's last complete list
/// before it is the baseline when no earlier sighting is known).
pub(crate) async fn check(
    ctx: &Ctx,
    args: &RevokeArgs,
    client: &Client,
    leaked: &ApiKeyId,
    scopes: &[String],
    report_date: Option<Millis>,
    started: Millis,
) -> Option<Check> {
    if !leak::can_create(scopes) {
        return None;
    }
    let since = match (args.since, report_date) {
        (Some(t), _) => Some((
            super::since::millis(t),
            "the leak's first sighting (--since)".to_owned(),
        )),
        (None, Some(d)) => Some((d, "the scanner report's date".to_owned())),
        (None, None) => None,
    };
    let found = leak::appeared(client, ctx.recorder(), leaked, since, started)
        .await
        .map_err(|e| e.short());
    Some(Check {
        client: client.clone(),
        leaked: leaked.clone(),
        found,
        revoked: Vec::new(),
        during_delay: None,
    })
}

/// Say what the check found (stderr).
pub(crate) fn say(c: &Check) {
    let place = leak::context_name(&c.client);
    match &c.found {
        Err(why) => crate::errln!(
            "Persistence check: the keys of {place} could not be listed ({}): keys the leaked \
             key may have created are unknown",
            clean(why)
        ),
        Ok(e) => match &e.baseline {
            Baseline::None(why) => crate::errln!(
                "Persistence check: the leaked key can create keys, but there is no baseline to \
                 compare {place}'s {} with ({why}): keys it may have created cannot be told \
                 apart (`sgkeys audit` regularly keeps one)",
                plural(e.listed.len(), "key", "keys")
            ),
            Baseline::Listed { at, what, .. } if e.appeared.is_empty() => crate::errln!(
                "Persistence check: no key appeared in {place} since {} (the inventory's last \
                 complete list before {what}){}",
                rfc3339(*at),
                ours(e)
            ),
            Baseline::Listed { at, what, .. } => {
                crate::errln!(
                    "{} APPEARED in {place} while the key was exposed (not in the inventory's \
                     complete list of {}, the last before {what}){}:",
                    plural(e.appeared.len(), "key", "keys"),
                    rfc3339(*at),
                    ours(e)
                );
                for k in &e.appeared {
                    crate::errln!("  {}  '{}'", k.api_key_id, clean(&k.name));
                }
            }
        },
    }
}

fn ours(e: &Exposure) -> String {
    if e.by_sgkeys == 0 {
        String::new()
    } else {
        format!(
            "; {} sgkeys created since not counted",
            plural(e.by_sgkeys, "key", "keys")
        )
    }
}

/// The one confirmation, with the keys that appeared: `y` revokes the leaked key, `all` those
/// too. Returns whether they are revoked too.
pub(crate) fn confirm(args: &RevokeArgs, id: &str, appeared: usize) -> Result<bool, CliError> {
    if args.yes {
        if appeared > 0 && !args.revoke_appeared {
            crate::errln!(
                "The {} that appeared {} not revoked (--yes alone revokes only the leaked key; \
                 add --revoke-appeared)",
                plural(appeared, "key", "keys"),
                if appeared == 1 { "is" } else { "are" }
            );
        }
        return Ok(args.revoke_appeared);
    }
    if !prompt::can_ask() {
        return Err(CliError::Usage(
            "refusing to revoke without confirmation: there is no terminal to ask on (pass --yes)"
                .into(),
        ));
    }
    let answer = prompt::ask(&format!(
        "Revoke {id} now? Apps using it stop working. `all` also revokes the {} that appeared \
         while it was exposed. [y/all/N] ",
        plural(appeared, "key", "keys")
    ))
    .map_err(|e| CliError::Io(e.to_string()))?;
    match answer.to_ascii_lowercase().as_str() {
        "all" => Ok(true),
        "y" | "yes" => Ok(false),
        _ => Err(CliError::Failed("nothing revoked".into())),
    }
}

/// [`confirm`] for a report's `n` live keys: their count typed revokes them, `all` the keys
/// that appeared too.
pub(crate) fn confirm_many(args: &RevokeArgs, n: usize, appeared: usize) -> Result<bool, CliError> {
    if args.yes || n == 1 {
        return confirm(args, "the live key", appeared);
    }
    if !prompt::can_ask() {
        return Err(CliError::Usage(
            "refusing to revoke without confirmation: there is no terminal to ask on (pass --yes)"
                .into(),
        ));
    }
    let answer = prompt::ask(&format!(
        "Type {n} to revoke the {n} live keys, or `all` to also revoke the {} that appeared \
         while they were exposed: ",
        plural(appeared, "key", "keys")
    ))
    .map_err(|e| CliError::Io(e.to_string()))?;
    match answer.as_str() {
        "all" => Ok(true),
        a if a == n.to_string() => Ok(false),
        _ => Err(CliError::Failed("nothing revoked".into())),
    }
}

/// Revoke `keys` in `c`'s account through the operations layer (journaled), at once.
pub(crate) async fn revoke(ctx: &Ctx, c: &mut Check, keys: Vec<ApiKey>) {
    if keys.is_empty() {
        return;
    }
    let targets: Vec<RevokeTarget> = keys
        .iter()
        .map(|k| RevokeTarget {
            ops: ctx.ops.acting_as(c.client.clone()),
            id: k.api_key_id.clone(),
            name: k.name.clone(),
            scopes_before: None,
        })
        .collect();
    let stop = tokio_util::sync::CancellationToken::new();
    let watcher = tokio::spawn(super::signals::interrupt_watcher(stop.clone()));
    let outcomes = crate::ops::revoke_many(
        &targets,
        ctx.settings.concurrency,
        &stop,
        &crate::fetch::quiet,
    )
    .await;
    watcher.abort();
    for (k, done) in keys.into_iter().zip(outcomes) {
        let id = &k.api_key_id;
        match &done {
            None => crate::errln!("NOT SENT {id}: interrupted before it was sent"),
            Some(d) => {
                warn_journal(d);
                match (&d.result, d.outcome) {
                    (Ok(Effect::AlreadyGone), _) => {
                        crate::errln!("already revoked {id} (appeared while exposed)")
                    }
                    (Ok(_), _) => crate::errln!(
                        "revoked {id} '{}' (appeared while the key was exposed)",
                        clean(&k.name)
                    ),
                    (Err(_), Outcome::Unknown) => crate::errln!(
                        "UNKNOWN whether {id} was revoked: {}",
                        d.describe_error().unwrap_or_default()
                    ),
                    (Err(_), _) => {
                        crate::errln!("FAILED {id}: {}", d.describe_error().unwrap_or_default())
                    }
                }
            }
        }
        c.revoked.push((k, done));
    }
}

/// After the proof: the keys that appeared during the propagation delay, said, and revoked
/// after a confirmation (`--yes --revoke-appeared` without one).
pub(crate) async fn after_delay(ctx: &Ctx, args: &RevokeArgs, c: &mut Check) {
    let Ok(e) = &c.found else { return };
    let before = e.listed.clone();
    let found = leak::appeared_during_delay(&c.client, ctx.recorder(), &before, &c.leaked)
        .await
        .map_err(|e| e.short());
    let place = leak::context_name(&c.client);
    let new = match &found {
        Err(why) => {
            crate::errln!(
                "Persistence check: {place} could not be listed again after the revoke ({}): \
                 keys created during the propagation delay are unknown",
                clean(why)
            );
            Vec::new()
        }
        Ok(v) if v.is_empty() => {
            crate::errln!(
                "Persistence check: no key appeared in {place} during the propagation delay"
            );
            Vec::new()
        }
        Ok(v) => {
            crate::errln!(
                "{} APPEARED in {place} during the propagation delay:",
                plural(v.len(), "key", "keys")
            );
            for k in v {
                crate::errln!("  {}  '{}'", k.api_key_id, clean(&k.name));
            }
            v.clone()
        }
    };
    c.during_delay = Some(found);
    if new.is_empty() {
        return;
    }
    let go = if args.yes {
        args.revoke_appeared
    } else if prompt::can_ask() {
        let n = new.len();
        prompt::ask(&format!("Type {n} to revoke the {n} that appeared: "))
            .is_ok_and(|a| a == n.to_string())
    } else {
        false
    };
    if go {
        revoke(ctx, c, new).await;
    } else {
        crate::errln!("Not revoked: review them (`sgkeys show ID`), or run `sgkeys revoke ID`.");
    }
}

/// The last word on what appeared: how many are left (counted in the exit status).
pub(crate) fn closing(c: &Check) -> usize {
    let left = c.left();
    if !left.is_empty() {
        crate::errln!(
            "{} that appeared while the key was exposed {} still there: {}",
            plural(left.len(), "key", "keys"),
            if left.len() == 1 { "is" } else { "are" },
            left.iter()
                .map(|k| k.api_key_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    left.len()
}

/// What a revoke came to, for `--json`: `revoked`, `already_revoked`, `unknown`, `failed`,
/// `not_attempted` (None: not sent).
pub(crate) fn revoke_status(done: Option<&Done>) -> &'static str {
    match done {
        None => "not_attempted",
        Some(d) => match (&d.result, d.outcome) {
            (Ok(Effect::AlreadyGone), _) => "already_revoked",
            (Ok(_), _) => "revoked",
            (Err(_), Outcome::Unknown) => "unknown",
            (Err(_), _) => "failed",
        },
    }
}

/// `"persistence"` in `--json`.
pub(crate) fn json(c: &Check) -> Value {
    let status = |k: &ApiKey| {
        c.revoked
            .iter()
            .find(|(r, _)| r.api_key_id == k.api_key_id)
            .map_or("not_revoked", |(_, d)| revoke_status(d.as_ref()))
    };
    let keys = |v: &[ApiKey]| -> Vec<Value> {
        v.iter()
            .map(|k| json!({"api_key_id": k.api_key_id, "name": k.name, "status": status(k)}))
            .collect()
    };
    let mut v = json!({ "account": leak::context_name(&c.client) });
    match &c.found {
        Err(why) => v["error"] = json!(why),
        Ok(e) => {
            match &e.baseline {
                Baseline::None(why) => v["no_baseline"] = json!(why),
                Baseline::Listed { at, before, what } => {
                    v["baseline"] = json!({
                        "listed_at": rfc3339(*at), "before": rfc3339(*before), "what": what,
                    });
                }
            }
            v["appeared"] = json!(keys(&e.appeared));
            v["created_by_sgkeys"] = json!(e.by_sgkeys);
        }
    }
    match &c.during_delay {
        Some(Ok(d)) => v["appeared_during_delay"] = json!(keys(d)),
        Some(Err(why)) => v["delay_error"] = json!(why),
        None => {}
    }
    v
}
