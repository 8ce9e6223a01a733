//! `revoke`: by id, by `--filter`, or a leaked key; the caller's own key last; Ctrl-C stops sending and records what was sent.

use std::io::{BufRead, IsTerminal};

use serde::Serialize;
use serde_json::json;

use super::commands::Online;
use super::{CliError, RevokeArgs};
use crate::api::{ApiError, Client, KeyDetail, OnBehalfOf};
use crate::journal::Outcome;
use crate::ops::RevokeTarget;
use crate::output::{self, clean};
use crate::report::KeyReport;
use crate::scopes::KeyType;
use crate::text::plural;

use super::context::*;

#[derive(Serialize)]
pub(crate) struct RevokeResult {
    api_key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    key_type: Option<KeyType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_behalf_of: Option<String>,
    /// would_revoke | revoked | already_revoked | not_found | unreadable | failed | unknown | not_attempted
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// What `revoke ID` says of a key that is not there.
const NOT_FOUND: &str = "not found: already revoked, or never existed";

/// A key located for revocation, with the client (context) it lives in.
pub(crate) struct Target {
    client: Client,
    detail: KeyDetail,
}

impl Online for RevokeArgs {
    const SCOPE: Option<&'static str> = Some("api_keys.delete");
    async fn run(self, ctx: &Ctx) -> Result<u8, CliError> {
        revoke(ctx, self).await
    }
}

pub(crate) async fn revoke(ctx: &Ctx, args: RevokeArgs) -> Result<u8, CliError> {
    let mut results: Vec<RevokeResult> = Vec::new();
    let mut targets: Vec<Target> = Vec::new();
    // `--leaked --from-report FILE` (and `--from-file`) is the same as without `--leaked`
    if (args.from_report.is_some() || args.from_file.is_some())
        && args.leaked.as_deref().is_some_and(|k| !k.is_empty())
    {
        return Err(CliError::Usage(
            "give the leaked key with --leaked, or a file with --from-report/--from-file, not both"
                .into(),
        ));
    }
    if args.leaked.is_some() || args.from_file.is_some() || args.from_report.is_some() {
        return super::leaked::run(ctx, &args).await;
    }
    let sel = super::select::select(ctx, &args.ids, args.filter.as_deref()).await?;
    sel.say_unreadable("they are not revoked");
    let incomplete = sel.incomplete();
    for id in &sel.not_found {
        results.push(RevokeResult {
            api_key_id: id.0.clone(),
            name: None,
            key_type: None,
            on_behalf_of: None,
            status: "not_found",
            error: Some(NOT_FOUND.into()),
        });
    }
    for (id, why) in &sel.unreadable {
        results.push(RevokeResult {
            api_key_id: id.0.clone(),
            name: None,
            key_type: None,
            on_behalf_of: None,
            status: "unreadable",
            error: Some(format!("could not be read ({why}): not revoked")),
        });
    }
    targets.extend(sel.keys.into_iter().map(|detail| Target {
        client: ctx.client.clone(),
        detail,
    }));
    if targets.is_empty()
        && let Some(filter) = &args.filter
        && !incomplete
    {
        crate::errln!("No key matches --filter '{}'.", clean(filter));
    }

    // The caller's own key goes last: after it, sgkeys can no longer act.
    targets.sort_by_key(|t| is_callers(ctx, t));
    let own_included = targets.iter().any(|t| is_callers(ctx, t));
    // Show what is about to go.
    if (!ctx.json || !args.yes) && !targets.is_empty() {
        let verb = if args.dry_run {
            "Would revoke"
        } else {
            "About to revoke"
        };
        crate::errln!(
            "{verb} {} key{}:",
            targets.len(),
            if targets.len() == 1 { "" } else { "s" }
        );
        for t in &targets {
            let r = KeyReport::new(&t.detail);
            let ctxl = t
                .client
                .on_behalf_of()
                .map(|o| format!(" [{o}]"))
                .unwrap_or_default();
            let own = if is_callers(ctx, t) {
                "  ← the key sgkeys is using"
            } else {
                ""
            };
            crate::errln!(
                "  {}  {}  {} ({}){ctxl}{own}",
                r.api_key_id,
                clean(&r.name),
                r.key_type.label(),
                plural(r.scopes.len(), "scope", "scopes")
            );
        }
        if own_included {
            crate::errln!(
                "The key sgkeys is using is among them: it is revoked last, after every other \
                 answer is in; sgkeys cannot act with it after that."
            );
        }
    }
    if args.dry_run || targets.is_empty() {
        for t in &targets {
            let r = KeyReport::new(&t.detail);
            results.push(RevokeResult {
                api_key_id: r.api_key_id,
                name: Some(r.name),
                key_type: Some(r.key_type),
                on_behalf_of: t.client.on_behalf_of().map(OnBehalfOf::header_value),
                status: "would_revoke",
                error: None,
            });
        }
        return finish_revoke(ctx, args.dry_run, results);
    }
    ctx.refuse_if_read_only("revoke")?;
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::Usage(
                "refusing to revoke without confirmation: stdin is not a terminal (pass --yes)"
                    .into(),
            ));
        }
        let n = targets.len();
        crate::err!(
            "Revoke {n} key{}? Apps using {} will stop working. This cannot be undone. [y/N] ",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" }
        );
        let answer = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map(|_| line)
        })
        .await
        .map_err(|e| CliError::Io(e.to_string()))?
        .map_err(|e| CliError::Io(e.to_string()))?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            crate::errln!("Nothing revoked.");
            return Ok(1);
        }
    }
    let plan: Vec<RevokeTarget> = targets
        .iter()
        .map(|t| {
            let r = KeyReport::new(&t.detail);
            RevokeTarget {
                ops: ctx.ops.acting_as(t.client.clone()),
                id: t.detail.api_key_id.clone(),
                name: r.name,
                scopes_before: Some(r.scopes),
            }
        })
        .collect();
    // Ctrl-C (or SIGTERM) stops new requests; those under way finish and are journaled. A
    // second one exits at once: every request sent is already named in the journal.
    let stop = tokio_util::sync::CancellationToken::new();
    let watcher = tokio::spawn(super::signals::interrupt_watcher(stop.clone()));
    let bar = crate::output::LazyProgress::new("revoking");
    let tick = |done: usize, total: usize| bar.update(done, total);
    let outcomes = crate::ops::revoke_many(&plan, ctx.settings.concurrency, &stop, &tick).await;
    bar.finish();
    watcher.abort();
    let interrupted = stop.is_cancelled();
    let unjournaled = outcomes.iter().flatten().find_map(|d| match &d.result {
        Err(e @ ApiError::NotJournaled(_)) => Some(e.to_string()),
        _ => None,
    });
    for (t, done) in targets.iter().zip(outcomes) {
        let r = KeyReport::new(&t.detail);
        let (status, error) = match &done {
            None => (
                "not_attempted",
                Some("interrupted before it was sent".into()),
            ),
            Some(d) => {
                warn_journal(d);
                match (&d.result, d.outcome) {
                    (Ok(crate::ops::Effect::AlreadyGone), _) => ("already_revoked", d.note.clone()),
                    (Ok(_), _) => ("revoked", d.note.clone()),
                    (Err(_), Outcome::Unknown) => ("unknown", d.describe_error()),
                    (Err(_), _) => ("failed", d.describe_error()),
                }
            }
        };
        results.push(RevokeResult {
            api_key_id: r.api_key_id,
            name: Some(r.name),
            key_type: Some(r.key_type),
            on_behalf_of: t.client.on_behalf_of().map(OnBehalfOf::header_value),
            status,
            error,
        });
    }
    if let Some(e) = unjournaled {
        if ctx.json {
            output::print_json(&json!({ "dry_run": false, "results": results })).map_err(io)?;
        }
        return Err(CliError::Failed(e));
    }
    let code = finish_revoke(ctx, false, results)?;
    if interrupted {
        crate::errln!("Interrupted: keys marked 'not attempted' were not sent.");
        return Ok(130);
    }
    Ok(code)
}

/// Whether a target is the key sgkeys authenticates with.
pub(crate) fn is_callers(ctx: &Ctx, t: &Target) -> bool {
    t.client.on_behalf_of().is_none()
        && ctx.client.caller_key_id() == Some(t.detail.api_key_id.as_str())
}

pub(crate) fn finish_revoke(
    ctx: &Ctx,
    dry_run: bool,
    results: Vec<RevokeResult>,
) -> Result<u8, CliError> {
    let failed = results
        .iter()
        .filter(|r| !matches!(r.status, "revoked" | "would_revoke" | "already_revoked"))
        .count();
    if ctx.json {
        output::print_json(&json!({ "dry_run": dry_run, "results": results })).map_err(io)?;
    } else {
        for r in &results {
            let name = clean(r.name.as_deref().unwrap_or(""));
            match r.status {
                "revoked" => crate::outln!("revoked    {}  {name}", r.api_key_id),
                "already_revoked" => {
                    crate::outln!("already revoked  {}  {name}", r.api_key_id)
                }
                "would_revoke" => crate::outln!("would revoke  {}  {name}", r.api_key_id),
                "not_found" => crate::outln!(
                    "not found  {}: already revoked, or never existed",
                    r.api_key_id
                ),
                "unreadable" => crate::outln!(
                    "UNREADABLE {}: {}",
                    r.api_key_id,
                    clean(r.error.as_deref().unwrap_or(""))
                ),
                "not_attempted" => crate::outln!("NOT SENT   {}  {name}", r.api_key_id),
                "unknown" => crate::outln!(
                    "UNKNOWN    {}  {name}: {}",
                    r.api_key_id,
                    clean(r.error.as_deref().unwrap_or(""))
                ),
                _ => crate::outln!(
                    "FAILED     {}  {name}: {}",
                    r.api_key_id,
                    clean(r.error.as_deref().unwrap_or(""))
                ),
            }
        }
        if !dry_run && results.iter().any(|r| r.status != "would_revoke") {
            crate::errln!("Recorded in the journal {}", ctx.journal.path().display());
        }
    }
    Ok(if failed > 0 { 1 } else { 0 })
}
