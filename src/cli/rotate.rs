//! `rotate`: make a replacement with the same scopes (its name shows the lineage), show its
//! secret once (or write it to a 0600 file), then revoke the old key once the new one is
//! deployed: now (`--yes`, or `y` when asked), or later (`--later`, or `n`), which leaves a
//! pending rotation in the journal that `rotate --finish` completes. The old keys go through one
//! confirmation, the caller's own key last; each is then read back (gone = verified).

use std::io::Write;
use std::path::Path;

use serde_json::json;

use super::context::*;
use super::{CliError, RotateArgs};
use crate::api::{ApiError, ApiKeyId, CreatedKey, KeyDetail, OnBehalfOf};
use crate::journal::{Entry, Journal};
use crate::ops::{Effect, Mutation, RevokeTarget, lineage_name, today};
use crate::output::{self, clean};
use crate::scopes;
use crate::text::plural;

/// One key rotated (or not).
struct Rotated {
    old: KeyDetail,
    new: Option<CreatedKey>,
    error: Option<String>,
    revoked: bool,
    verified: bool,
}

pub(crate) async fn rotate(ctx: &Ctx, args: RotateArgs) -> Result<u8, CliError> {
    if args.finish {
        return finish(ctx, &args).await;
    }
    // the keys to rotate
    let olds: Vec<KeyDetail> = if let Some(filter) = &args.filter {
        let query = crate::query::Query::parse(filter);
        if query.is_empty() || query.invalid().is_some() {
            return Err(CliError::Usage(format!(
                "--filter '{}' is not a usable query",
                clean(filter)
            )));
        }
        let keys = ctx
            .list_keys(None)
            .await
            .map_err(|e| CliError::api("listing keys", e))?;
        let ids: Vec<ApiKeyId> = keys.into_iter().map(|k| k.api_key_id).collect();
        fetch_details(ctx, &ids, "reading keys")
            .await
            .into_iter()
            .filter_map(Result::ok)
            .filter(|d| query.matches(&crate::query::KeyFacts::new(d)))
            .collect()
    } else {
        let ids: Vec<ApiKeyId> = args
            .ids
            .iter()
            .map(|i| check_id(i))
            .collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for (id, d) in ids
            .iter()
            .zip(fetch_details(ctx, &ids, "reading keys").await)
        {
            out.push(d.map_err(|e| CliError::api(format!("reading key {id}"), e))?);
        }
        out
    };
    if olds.is_empty() {
        crate::errln!("No key to rotate.");
        return Ok(0);
    }
    if args.name.is_some() && olds.len() > 1 {
        return Err(CliError::Usage("--name is for one key".into()));
    }
    let today = today();
    let plan: Vec<(KeyDetail, Mutation)> = olds
        .into_iter()
        .map(|d| {
            let name = args
                .name
                .clone()
                .unwrap_or_else(|| lineage_name(&d.name, &today));
            let m = Mutation::Rotate {
                old: d.api_key_id.clone(),
                name,
                scopes: scopes::sendable(&d.scopes),
            };
            (d, m)
        })
        .collect();
    if args.dry.dry_run {
        let mut requests = Vec::new();
        for (d, m) in &plan {
            let create = m
                .plan(&ctx.client)
                .map_err(|e| CliError::api("planning the rotation", e))?;
            let revoke = ctx
                .client
                .plan_delete(&d.api_key_id)
                .map_err(|e| CliError::api("planning the revoke", e))?;
            if !ctx.json {
                crate::outln!("# rotate {}  '{}'", d.api_key_id, clean(&d.name));
                for p in [&create, &revoke] {
                    crate::outln!("{} {}", p.method, p.url);
                    if let Some(b) = &p.body {
                        crate::outln!("{}", output::json_text(b).map_err(io)?);
                    }
                }
            }
            requests.push(json!({"old": d.api_key_id, "create": create, "revoke": revoke}));
        }
        if ctx.json {
            output::print_json(&json!({"dry_run": true, "rotations": requests})).map_err(io)?;
        } else {
            crate::errln!("Dry run: nothing was sent.");
        }
        return Ok(0);
    }
    ctx.refuse_if_read_only("rotate")?;
    // secrets go to a new private file when asked, never to the journal
    let mut secrets_file = match &args.secrets_out {
        Some(p) => Some(open_secrets_file(p)?),
        None => None,
    };
    // 1. the replacements, one at a time (each journaled)
    let mut rotated: Vec<Rotated> = Vec::new();
    let mut secrets_json = Vec::new();
    for (old, m) in plan {
        let done = ctx.ops.run(m).await;
        warn_journal(&done);
        let (new, error) = match done.result {
            Ok(Effect::Created(k)) => (Some(k), None),
            Err(ApiError::CreatedSecretLost { id, .. }) => (
                None,
                Some(format!(
                    "the replacement was created as {id} but its secret was lost: revoke {id}; the \
                     old key stays"
                )),
            ),
            Err(e) => (None, Some(e.to_string())),
            Ok(_) => (None, Some("internal: unexpected answer".into())),
        };
        if let Some(k) = &new {
            match &mut secrets_file {
                Some((f, dotenv)) => {
                    let line = if *dotenv {
                        format!("{}={}\n", env_name(&k.name), k.api_key.expose())
                    } else {
                        String::new()
                    };
                    if *dotenv {
                        f.write_all(line.as_bytes())
                            .map_err(|e| CliError::Io(e.to_string()))?;
                    }
                    secrets_json.push(json!({"old": old.api_key_id, "api_key_id": k.api_key_id,
                                             "name": k.name, "api_key": k.api_key.expose()}));
                }
                None if !ctx.json => {
                    crate::errln!(
                        "Replacement for '{}' ({}): '{}' ({}). Its secret, shown only this once:",
                        clean(&old.name),
                        old.api_key_id,
                        clean(&k.name),
                        k.api_key_id
                    );
                    crate::outln!("{}", k.api_key.expose());
                }
                None => {}
            }
        } else if let Some(e) = &error {
            crate::errln!(
                "FAILED to rotate {} '{}': {}",
                old.api_key_id,
                clean(&old.name),
                clean(e)
            );
        }
        rotated.push(Rotated {
            old,
            new,
            error,
            revoked: false,
            verified: false,
        });
    }
    if let Some((mut f, dotenv)) = secrets_file.take() {
        if !dotenv {
            let text = output::json_text(&secrets_json).map_err(io)?;
            f.write_all(text.as_bytes())
                .and_then(|()| f.write_all(b"\n"))
                .map_err(|e| CliError::Io(e.to_string()))?;
        }
        f.sync_all().map_err(|e| CliError::Io(e.to_string()))?;
        if let Some(p) = &args.secrets_out {
            crate::errln!(
                "Wrote {} to {} (0600)",
                plural(secrets_json.len(), "secret", "secrets"),
                p.display()
            );
        }
    }
    // 2. the old keys: now, or later
    let ready: Vec<usize> = (0..rotated.len())
        .filter(|i| rotated[*i].new.is_some())
        .collect();
    let now = if ready.is_empty() || args.later {
        false
    } else if args.yes {
        true
    } else {
        ask_deployed(ready.len())?
    };
    if now {
        revoke_olds(ctx, &mut rotated, &ready).await;
    } else if !ready.is_empty() {
        crate::errln!(
            "Kept the old {}: finish with `sgkeys rotate --finish{}` once the new {} deployed \
             (`sgkeys journal` lists pending rotations).",
            if ready.len() == 1 { "key" } else { "keys" },
            if ready.len() == 1 {
                format!(" {}", rotated[ready[0]].old.api_key_id)
            } else {
                String::new()
            },
            if ready.len() == 1 {
                "one is"
            } else {
                "ones are"
            }
        );
    }
    report(ctx, &rotated, args.secrets_out.is_some())
}

/// The `NAME=` of a dotenv line for a key name: upper case, `_` for anything else.
fn env_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    while s.contains("__") {
        s = s.replace("__", "_");
    }
    let s = s.trim_matches('_').to_owned();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("SENDGRID_{s}")
    } else {
        s
    }
}

/// A new file only readable by its owner; `.env` files get dotenv lines, others JSON.
fn open_secrets_file(p: &Path) -> Result<(std::fs::File, bool), CliError> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let f = o.open(p).map_err(|e| {
        CliError::Usage(format!(
            "--secrets-out {}: {e} (it must be a new file: secrets are never written over another)",
            p.display()
        ))
    })?;
    let dotenv = p
        .file_name()
        .map(|n| n.to_string_lossy().ends_with(".env") || n.to_string_lossy() == ".env")
        .unwrap_or(false);
    Ok((f, dotenv))
}

/// Is the new key deployed? One question: `y` (one key) or the count typed (several).
fn ask_deployed(n: usize) -> Result<bool, CliError> {
    if !super::prompt::can_ask() {
        crate::errln!(
            "No terminal to ask whether the new {} deployed: the old ones are kept (pass --yes to \
             revoke them at once)",
            if n == 1 { "key is" } else { "keys are" }
        );
        return Ok(false);
    }
    let q = if n == 1 {
        "Is the new key deployed where the old one was used? Revoke the old key now? [y/N] "
            .to_owned()
    } else {
        format!(
            "Are the {n} new keys deployed? Type {n} to revoke the {n} old keys now (else later): "
        )
    };
    let a = super::prompt::ask(&q).map_err(|e| CliError::Io(e.to_string()))?;
    Ok(if n == 1 {
        matches!(a.to_ascii_lowercase().as_str(), "y" | "yes")
    } else {
        a == n.to_string()
    })
}

/// Revoke the old keys (own key last), then read each back: gone = verified.
async fn revoke_olds(ctx: &Ctx, rotated: &mut [Rotated], which: &[usize]) {
    let targets: Vec<RevokeTarget> = which
        .iter()
        .map(|&i| RevokeTarget {
            ops: ctx.ops.clone(),
            id: rotated[i].old.api_key_id.clone(),
            name: rotated[i].old.name.clone(),
            scopes_before: Some(scopes::sendable(&rotated[i].old.scopes)),
        })
        .collect();
    let stop = tokio_util::sync::CancellationToken::new();
    let outcomes = crate::ops::revoke_many(&targets, 16, &stop).await;
    for (&i, done) in which.iter().zip(outcomes) {
        let Some(done) = done else { continue };
        warn_journal(&done);
        rotated[i].revoked = done.result.is_ok();
        if !rotated[i].revoked {
            rotated[i].error = done.describe_error();
            continue;
        }
        rotated[i].verified = matches!(
            ctx.get_key(&rotated[i].old.api_key_id).await,
            Err(ApiError::NotFound(_))
        );
        if let Some(e) = ctx.ops.record_read_back(&done, rotated[i].verified) {
            crate::errln!("sgkeys: warning: the journal did not take the read-back: {e}");
        }
    }
}

fn report(ctx: &Ctx, rotated: &[Rotated], secrets_in_file: bool) -> Result<u8, CliError> {
    let failed = rotated.iter().filter(|r| r.error.is_some()).count();
    if ctx.json {
        let v: Vec<serde_json::Value> = rotated
            .iter()
            .map(|r| {
                json!({
                    "old": {"api_key_id": r.old.api_key_id, "name": r.old.name},
                    "new": r.new.as_ref().map(|k| {
                        let mut n = json!({"api_key_id": k.api_key_id, "name": k.name,
                                           "scopes": scopes::sendable(&k.scopes)});
                        if !secrets_in_file {
                            n["api_key"] = json!(k.api_key.expose());
                        }
                        n
                    }),
                    "revoked": r.revoked,
                    "verified": r.verified,
                    "error": r.error,
                })
            })
            .collect();
        output::print_json(&if v.len() == 1 { v[0].clone() } else { json!(v) }).map_err(io)?;
    } else {
        for r in rotated {
            let state = match (&r.new, r.revoked, r.verified) {
                (None, _, _) => "NOT ROTATED".to_owned(),
                (Some(_), true, true) => "rotated; old key revoked, verified gone".to_owned(),
                (Some(_), true, false) => "rotated; old key revoked (not yet seen gone)".to_owned(),
                (Some(_), false, _) if r.error.is_some() => {
                    "rotated; old key NOT revoked".to_owned()
                }
                (Some(_), false, _) => "rotated; old key kept (pending)".to_owned(),
            };
            crate::errln!("{}  '{}': {state}", r.old.api_key_id, clean(&r.old.name));
        }
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

/// `rotate --finish [ID…]`: revoke the old keys of pending rotations, in their own context.
async fn finish(ctx: &Ctx, args: &RotateArgs) -> Result<u8, CliError> {
    let entries = ctx
        .journal
        .read_all()
        .map_err(|e| CliError::Io(e.to_string()))?;
    let pending = Journal::pending_rotations(&entries);
    let wanted: Vec<&Entry> = if args.ids.is_empty() {
        pending
            .into_iter()
            .filter(|e| same_context(ctx, e) || args.into_current)
            .collect()
    } else {
        let mut out = Vec::new();
        for id in &args.ids {
            let id = check_id(id)?;
            let e = pending
                .iter()
                // the old key's id, or its replacement's
                .find(|e| e.replaces.as_deref() == Some(id.as_str()) || e.api_key_id == id.as_str())
                .ok_or_else(|| {
                    CliError::Usage(format!("no pending rotation of {id} in the journal"))
                })?;
            if !same_context(ctx, e) && !args.into_current {
                return Err(CliError::Usage(format!(
                    "the rotation of {id} was made at {} ({}); sgkeys points elsewhere: run it \
                     there, or pass --into-current",
                    clean(&e.base_url),
                    e.on_behalf_of.as_deref().map_or("own account", |o| o)
                )));
            }
            out.push(*e);
        }
        out
    };
    if wanted.is_empty() {
        crate::errln!("No pending rotation here.");
        return Ok(0);
    }
    let ids: Vec<ApiKeyId> = wanted
        .iter()
        .filter_map(|e| e.replaces.clone().map(ApiKeyId))
        .collect();
    for e in &wanted {
        crate::errln!(
            "pending: {} → {} '{}'",
            e.replaces.as_deref().unwrap_or("?"),
            e.api_key_id,
            clean(e.name.as_deref().unwrap_or(""))
        );
    }
    if args.dry.dry_run {
        for id in &ids {
            let p = ctx
                .client
                .plan_delete(id)
                .map_err(|e| CliError::api("planning the revoke", e))?;
            crate::outln!("{} {}", p.method, p.url);
        }
        return Ok(0);
    }
    ctx.refuse_if_read_only("rotate --finish")?;
    if !args.yes && !ask_deployed(ids.len())? {
        crate::errln!("Nothing revoked.");
        return Ok(1);
    }
    let details = fetch_details(ctx, &ids, "reading keys").await;
    let mut rotated: Vec<Rotated> = ids
        .iter()
        .zip(details)
        .map(|(id, d)| Rotated {
            old: d.unwrap_or_else(|_| KeyDetail {
                api_key_id: id.clone(),
                name: String::new(),
                scopes: Vec::new(),
            }),
            new: None,
            error: None,
            revoked: false,
            verified: false,
        })
        .collect();
    let all: Vec<usize> = (0..rotated.len()).collect();
    revoke_olds(ctx, &mut rotated, &all).await;
    let mut failed = 0;
    for r in &rotated {
        match (r.revoked, r.verified) {
            (true, true) => crate::errln!("{}  revoked, verified gone", r.old.api_key_id),
            (true, false) => crate::errln!("{}  revoked (not yet seen gone)", r.old.api_key_id),
            _ => {
                failed += 1;
                crate::errln!(
                    "{}  NOT revoked: {}",
                    r.old.api_key_id,
                    clean(r.error.as_deref().unwrap_or(""))
                )
            }
        }
    }
    if ctx.json {
        let v: Vec<serde_json::Value> = rotated
            .iter()
            .map(|r| json!({"old": r.old.api_key_id, "revoked": r.revoked, "verified": r.verified}))
            .collect();
        output::print_json(&v).map_err(io)?;
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

fn same_context(ctx: &Ctx, e: &Entry) -> bool {
    e.base_url.trim_end_matches('/') == ctx.settings.base_url.trim_end_matches('/')
        && e.on_behalf_of == ctx.client.on_behalf_of().map(OnBehalfOf::header_value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lineage_names_do_not_stack() {
        assert_eq!(
            lineage_name("checkout", "2026-11-28"),
            "checkout (rotated 2026-11-28)"
        );
        assert_eq!(
            lineage_name("checkout (rotated 2026-01-02)", "2026-11-28"),
            "checkout (rotated 2026-11-28)"
        );
        let long = "x".repeat(100);
        assert_eq!(lineage_name(&long, "2026-11-28").chars().count(), 100);
        assert_eq!(
            env_name("ci deploy: web (rotated 2026-11-28)"),
            "CI_DEPLOY_WEB_ROTATED_2026_11_28"
        );
    }
}
