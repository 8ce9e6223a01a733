//! `rotate`: drives the rotation plan of [`crate::ops::rotate`] from the command line. Each
//! replacement (same scopes, a lineage name) is created and its secret delivered at once — to a
//! `--secrets-out` file, or stdout — before the next create; then one "deployed?" gate for all:
//! now (`--yes`, or `y` when asked) revokes the old keys (the caller's own key last) and reads
//! each back; later (`--later`, or `n`) leaves pending rotations in the journal that
//! `rotate --finish` completes, after reading each replacement back. Ctrl-C (or SIGTERM) stops
//! creating; the replacement under way is finished and its secret delivered.

use serde_json::json;

use super::commands::Online;
use super::context::*;
use super::secrets_out::SecretSink;
use super::select::select;
use super::{CliError, RotateArgs};
use crate::api::{ApiKeyId, KeyDetail, OnBehalfOf};
use crate::journal::Entry;
use crate::ops::rotate::{OldKey, Rotation, Stage};
use crate::ops::{RevokeTarget, lineage_name, today};
use crate::output::{self, clean};

impl Online for RotateArgs {
    const SCOPE: Option<&'static str> = Some("api_keys.create");
    async fn run(self, ctx: &Ctx) -> Result<u8, CliError> {
        rotate(ctx, self).await
    }
}

pub(crate) async fn rotate(ctx: &Ctx, args: RotateArgs) -> Result<u8, CliError> {
    if args.finish {
        return finish(ctx, &args).await;
    }
    let sel = select(ctx, &args.ids, args.filter.as_deref()).await?;
    sel.say_unreadable("they are not rotated");
    for id in &sel.not_found {
        crate::errln!("not found  {id}: already revoked, or never existed");
    }
    if sel.keys.is_empty() {
        crate::errln!("No key to rotate.");
        return Ok(u8::from(sel.incomplete()));
    }
    if args.name.is_some() && sel.keys.len() > 1 {
        return Err(CliError::Usage("--name is for one key".into()));
    }
    let today = today();
    let mut plan: Vec<Rotation> = sel
        .keys
        .iter()
        .map(|d| {
            let name = args
                .name
                .clone()
                .unwrap_or_else(|| lineage_name(&d.name, &today));
            Rotation::plan(OldKey::from_detail(d), name)
        })
        .collect();
    if args.dry.dry_run {
        return dry_run(ctx, &mut plan);
    }
    ctx.refuse_if_read_only("rotate")?;
    // secrets go to their destination as each key is made, never to the journal
    let mut sink = SecretSink::open(args.secrets_out.as_deref(), ctx.json)?;
    let stop = tokio_util::sync::CancellationToken::new();
    let watcher = tokio::spawn(super::signals::interrupt_watcher(stop.clone()));
    // 1 and 2: each replacement, then its secret delivered, before the next (paced by the
    // create budget: progress with an ETA on a terminal)
    let bar = crate::output::LazyProgress::new("creating replacements");
    let total = plan.len();
    bar.update(0, total);
    for (n, r) in plan.iter_mut().enumerate() {
        if stop.is_cancelled() || sink.failure.is_some() {
            break;
        }
        let done = ctx.ops.run(r.create()).await;
        if let Some(k) = r.created(done) {
            if let Some(w) = created_shape_warning(&k) {
                r.warnings.push(w);
            }
            let delivered = sink.deliver(Some((&r.old.id, &r.old.name)), &k);
            if let Some((entry, ok)) = r.delivered(delivered)
                && let Some(e) = ctx.ops.record_delivery(&entry, ok)
            {
                r.warnings
                    .push(format!("the journal did not take the delivery ({e})"));
            }
        }
        for w in std::mem::take(&mut r.warnings) {
            bar.say(&format!("sgkeys: warning: {}: {}", r.old.id, clean(&w)));
        }
        if r.stage.is_failure() {
            bar.say(&format!(
                "FAILED to rotate {} '{}': {}",
                r.old.id,
                clean(&r.old.name),
                clean(&r.describe())
            ));
        }
        bar.update(n + 1, total);
    }
    bar.finish();
    let delivered_all = sink.finish();
    let interrupted = stop.is_cancelled();
    // 3: the deployed? gate, once for every replacement whose secret was delivered
    let ready: Vec<usize> = (0..plan.len())
        .filter(|&i| plan[i].stage == Stage::Ready)
        .collect();
    let now = if ready.is_empty() || args.later || interrupted || !delivered_all {
        false
    } else if args.yes {
        true
    } else {
        ask_deployed(ready.len())?
    };
    if now {
        let revokes: Vec<(usize, crate::ops::Mutation)> = ready
            .iter()
            .filter_map(|&i| Some((i, plan[i].deployed(true)?)))
            .collect();
        revoke_and_read_back(ctx, &mut plan, revokes, &stop).await;
    } else if !ready.is_empty() {
        for &i in &ready {
            plan[i].deployed(false);
        }
        crate::errln!(
            "Kept the old {}: finish with `sgkeys rotate --finish{}` once the new {} deployed \
             (`sgkeys journal` lists pending rotations).",
            if ready.len() == 1 { "key" } else { "keys" },
            if ready.len() == 1 {
                format!(" {}", plan[ready[0]].old.id)
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
    watcher.abort();
    let code = report(ctx, &plan, sink.to_file().is_some())?;
    if interrupted {
        crate::errln!("Interrupted: keys marked 'not sent' were not rotated.");
        return Ok(130);
    }
    Ok(if sel.incomplete() { 1 } else { code })
}

fn dry_run(ctx: &Ctx, plan: &mut [Rotation]) -> Result<u8, CliError> {
    let mut requests = Vec::new();
    for r in plan.iter_mut() {
        let create = r
            .create()
            .plan(&ctx.client)
            .map_err(|e| CliError::api("planning the rotation", e))?;
        let revoke = ctx
            .client
            .plan_delete(&r.old.id)
            .map_err(|e| CliError::api("planning the revoke", e))?;
        if !ctx.json {
            crate::outln!("# rotate {}  '{}'", r.old.id, clean(&r.old.name));
            for p in [&create, &revoke] {
                crate::outln!("{} {}", p.method, p.url);
                if let Some(b) = &p.body {
                    crate::outln!("{}", output::json_text(b).map_err(io)?);
                }
            }
        }
        requests.push(json!({"old": r.old.id, "create": create, "revoke": revoke}));
    }
    if ctx.json {
        output::print_json(&json!({"dry_run": true, "rotations": requests})).map_err(io)?;
    } else {
        crate::errln!("Dry run: nothing was sent.");
    }
    Ok(0)
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

/// Steps 4 and 5: revoke the old keys (all at once, the caller's own key last), then read
/// each back and journal what it answered.
async fn revoke_and_read_back(
    ctx: &Ctx,
    plan: &mut [Rotation],
    revokes: Vec<(usize, crate::ops::Mutation)>,
    stop: &tokio_util::sync::CancellationToken,
) {
    let targets: Vec<RevokeTarget> = revokes
        .iter()
        .filter_map(|(_, m)| match m {
            crate::ops::Mutation::Revoke {
                id,
                name,
                scopes_before,
            } => Some(RevokeTarget {
                ops: ctx.ops.clone(),
                id: id.clone(),
                name: name.clone(),
                scopes_before: scopes_before.clone(),
            }),
            _ => None,
        })
        .collect();
    let bar = crate::output::LazyProgress::new("revoking the old keys");
    let tick = |done: usize, total: usize| bar.update(done, total);
    let outcomes = crate::ops::revoke_many(&targets, ctx.settings.concurrency, stop, &tick).await;
    bar.finish();
    for ((i, _), done) in revokes.iter().zip(outcomes) {
        let r = &mut plan[*i];
        let Some(done) = done else { continue };
        warn_journal(&done);
        let own = ctx.ops.is_callers_key(&r.old.id);
        if let Some(step) = r.revoke_done(&done, own) {
            let answer = ctx.ops.read_back(&step).await;
            r.read_back(&answer);
        }
        for w in std::mem::take(&mut r.warnings) {
            crate::errln!("sgkeys: warning: {}: {}", r.old.id, clean(&w));
        }
    }
}

/// One JSON object per key (JSON lines), or a line per key on stderr. Exit 1 when any failed.
fn report(ctx: &Ctx, plan: &[Rotation], secrets_in_file: bool) -> Result<u8, CliError> {
    let failed = plan.iter().filter(|r| r.stage.is_failure()).count();
    for r in plan {
        if ctx.json {
            let (revoked, verified) = match r.stage {
                Stage::Finished { gone } => (true, gone == Some(true)),
                _ => (false, false),
            };
            let v = json!({
                "event": "result",
                "old": {"api_key_id": r.old.id, "name": r.old.name},
                "new": r.new.as_ref().map(|n| json!({"api_key_id": n.id, "name": n.name,
                                                     "scopes": n.scopes})),
                "status": status(&r.stage),
                "revoked": revoked,
                "verified": verified,
                "secret_in": if secrets_in_file { "file" } else { "stdout" },
                "error": r.stage.is_failure().then(|| r.describe()),
            });
            let text = crate::text::json_safe(&v.to_string()).into_owned();
            crate::outln!("{text}");
        } else {
            crate::errln!(
                "{}  '{}': {}",
                r.old.id,
                clean(&r.old.name),
                clean(&r.describe())
            );
        }
    }
    Ok(u8::from(failed > 0))
}

/// The stage as one word for `--json`.
fn status(s: &Stage) -> &'static str {
    match s {
        Stage::Planned | Stage::Creating => "not_sent",
        Stage::Delivering | Stage::Ready | Stage::Pending => "pending",
        Stage::CheckingReplacement | Stage::Revoking | Stage::ReadingBack => "revoking",
        Stage::Finished { .. } => "rotated",
        Stage::NotCreated { unknown: true, .. } => "unknown",
        Stage::NotCreated { .. } => "failed",
        Stage::SecretLost { .. } => "secret_lost",
        Stage::RevokeFailed { .. } => "revoke_failed",
        Stage::FinishRefused { .. } => "refused",
    }
}

/// `rotate --finish [ID…]`: for each pending rotation, read the replacement back, then revoke
/// the old key, in the context where the rotation was made.
async fn finish(ctx: &Ctx, args: &RotateArgs) -> Result<u8, CliError> {
    let rotations = ctx
        .journal
        .rotations()
        .map_err(|e| CliError::Io(e.to_string()))?;
    let pending = rotations.pending();
    let lost = rotations.lost();
    let here = |e: &Entry| same_context(ctx, e) || args.into_current;
    let mut refused = 0;
    let wanted: Vec<&Entry> = if args.ids.is_empty() {
        for e in lost.iter().filter(|e| here(e)) {
            refused += 1;
            say_lost(e);
        }
        pending.into_iter().filter(|e| here(e)).collect()
    } else {
        let mut out: Vec<&Entry> = Vec::new();
        for id in &args.ids {
            let id = check_id(id)?;
            // the old key's id, or its replacement's
            let is = |e: &&&Entry| {
                e.replaces.as_deref() == Some(id.as_str()) || e.api_key_id == id.as_str()
            };
            if let Some(e) = lost.iter().find(is) {
                refused += 1;
                say_lost(e);
                continue;
            }
            let e = pending.iter().find(is).ok_or_else(|| {
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
            if !out.contains(e) {
                out.push(*e);
            }
        }
        out
    };
    if wanted.is_empty() {
        if refused == 0 {
            crate::errln!("No pending rotation here.");
        }
        return Ok(u8::from(refused > 0));
    }
    for e in &wanted {
        crate::errln!(
            "pending: {} → {} '{}'",
            clean(e.replaces.as_deref().unwrap_or("?")),
            clean(&e.api_key_id),
            clean(e.name.as_deref().unwrap_or(""))
        );
    }
    let olds: Vec<ApiKeyId> = wanted
        .iter()
        .map(|e| ApiKeyId(e.replaces.clone().unwrap_or_default()))
        .collect();
    if args.dry.dry_run {
        for (e, old) in wanted.iter().zip(&olds) {
            // the read-back is a GET of the replacement's own URL
            let read = ctx
                .client
                .plan_delete(&ApiKeyId(e.api_key_id.clone()))
                .map_err(|e| CliError::api("planning the read-back", e))?;
            let p = ctx
                .client
                .plan_delete(old)
                .map_err(|e| CliError::api("planning the revoke", e))?;
            crate::outln!("GET {}   # the replacement, read back first", read.url);
            crate::outln!("{} {}", p.method, p.url);
        }
        return Ok(0);
    }
    ctx.refuse_if_read_only("rotate --finish")?;
    if !args.yes && !ask_deployed(olds.len())? {
        crate::errln!("Nothing revoked.");
        return Ok(1);
    }
    let details = fetch_details(ctx, &olds, "reading keys").await;
    let mut plan: Vec<Rotation> = wanted
        .iter()
        .zip(olds.iter().zip(details))
        .map(|(e, (id, d))| {
            let old = d.map_or_else(
                |_| OldKey {
                    id: id.clone(),
                    name: String::new(),
                    scopes: Vec::new(),
                },
                |d: KeyDetail| OldKey::from_detail(&d),
            );
            Rotation::pending(old, e)
        })
        .collect();
    // the replacement first: a rotation whose new key is gone keeps its old key
    let mut revokes = Vec::new();
    for (i, r) in plan.iter_mut().enumerate() {
        let Some(new) = r.finish() else { continue };
        let read = ctx.get_key(&new).await;
        if let Some(m) = r.replacement_read(read) {
            revokes.push((i, m));
        }
    }
    let stop = tokio_util::sync::CancellationToken::new();
    let watcher = tokio::spawn(super::signals::interrupt_watcher(stop.clone()));
    revoke_and_read_back(ctx, &mut plan, revokes, &stop).await;
    watcher.abort();
    for r in &plan {
        crate::errln!("{}  {}", r.old.id, clean(&r.describe()));
    }
    if ctx.json {
        let v: Vec<serde_json::Value> = plan
            .iter()
            .map(|r| {
                let (revoked, verified) = match r.stage {
                    Stage::Finished { gone } => (true, gone == Some(true)),
                    _ => (false, false),
                };
                json!({"old": r.old.id, "new": r.new.as_ref().map(|n| &n.id),
                       "status": status(&r.stage), "revoked": revoked, "verified": verified,
                       "error": r.stage.is_failure().then(|| r.describe())})
            })
            .collect();
        output::print_json(&v).map_err(io)?;
    }
    let failed = plan.iter().filter(|r| r.stage.is_failure()).count() + refused;
    Ok(u8::from(failed > 0))
}

/// A rotation whose secret never reached anyone: refused, its orphan named.
fn say_lost(e: &Entry) {
    let old = clean(e.replaces.as_deref().unwrap_or("?")).into_owned();
    let new = clean(&e.api_key_id).into_owned();
    crate::errln!(
        "NOT FINISHED {old}: the secret of its replacement {new} was never delivered (secret \
         lost), so {old} is kept, as it may be the only working key. Revoke the orphan \
         (sgkeys revoke {new}) and rotate again (sgkeys rotate {old})."
    );
}

fn same_context(ctx: &Ctx, e: &Entry) -> bool {
    e.base_url.trim_end_matches('/') == ctx.settings.base_url.trim_end_matches('/')
        && e.on_behalf_of == ctx.client.on_behalf_of().map(OnBehalfOf::header_value)
}
