//! `journal` and `recreate`: the record of every change, and replaying a revoked key's scopes.

use std::collections::BTreeSet;

use super::{CliError, Format};
use crate::api::OnBehalfOf;
use crate::journal::{Action, Journal, Outcome};
use crate::ops::{Effect, Mutation};
use crate::output::{self, clean, table};
use crate::text::plural;

use super::context::*;

pub(crate) fn show_journal(
    journal: &Journal,
    format: Format,
    limit: Option<usize>,
) -> Result<u8, CliError> {
    let contents = journal.read().map_err(|e| CliError::Io(e.to_string()))?;
    for w in &contents.warnings {
        crate::errln!("sgkeys: warning: {}", clean(w));
    }
    let all = contents.entries;
    let skip = limit.map_or(0, |n| all.len().saturating_sub(n));
    let entries = &all[skip..];
    if format == Format::Json {
        output::print_json(&entries).map_err(io)?;
        return Ok(0);
    }
    if all.is_empty() && format == Format::Table {
        crate::outln!("The journal {} is empty.", journal.path().display());
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let what = match e.action {
                Action::Rename => format!(
                    "'{}' → '{}'",
                    e.name_before.as_deref().unwrap_or("?"),
                    e.name.as_deref().unwrap_or("?")
                ),
                Action::SetScopes => {
                    let before: BTreeSet<&String> = e.scopes_before.iter().flatten().collect();
                    let after: BTreeSet<&String> = e.scopes_after.iter().flatten().collect();
                    format!(
                        "{}: +{} −{}",
                        e.name.as_deref().unwrap_or(""),
                        after.difference(&before).count(),
                        before.difference(&after).count()
                    )
                }
                _ => e.name.clone().unwrap_or_default(),
            };
            vec![
                e.time.clone(),
                e.action.label().to_owned(),
                e.api_key_id.clone(),
                what,
                match (e.result(), e.status) {
                    _ if e.unresolved() => "UNKNOWN: check".into(),
                    (Outcome::Ok, Some(s)) => format!("ok {s}"),
                    (Outcome::Ok, None) => "ok".into(),
                    (Outcome::Unknown, _) => "UNKNOWN: check".into(),
                    (Outcome::Failed, s) => {
                        format!("FAILED {}", s.map(|s| s.to_string()).unwrap_or_default())
                    }
                },
                e.on_behalf_of.clone().unwrap_or_default(),
                e.source.clone(),
            ]
        })
        .collect();
    let headers = ["TIME", "ACTION", "ID", "WHAT", "RESULT", "CONTEXT", "FROM"];
    match format {
        Format::Csv => {
            let mut out = output::csv_row(&headers.map(str::to_lowercase));
            for r in &rows {
                out.push_str(&output::csv_row(r));
            }
            crate::out!("{out}");
            return Ok(0);
        }
        Format::Markdown => {
            crate::out!("{}", output::markdown_table(&headers, &rows));
            return Ok(0);
        }
        Format::Table | Format::Json => {}
    }
    if !entries.is_empty() {
        crate::out!("{}", table(&headers, &rows));
    }
    crate::errln!(
        "{} in {}",
        if entries.len() == all.len() {
            plural(all.len(), "entry", "entries")
        } else {
            format!(
                "{} shown of {}",
                entries.len(),
                plural(all.len(), "entry", "entries")
            )
        },
        journal.path().display()
    );
    let pending = Journal::pending_rotations(&all);
    if !pending.is_empty() {
        crate::errln!(
            "{} (the old key still works): finish each with `sgkeys rotate --finish OLD_ID` once the \
             new key is deployed:",
            plural(pending.len(), "pending rotation", "pending rotations")
        );
        for e in &pending {
            crate::errln!(
                "  {} → {} '{}'  at {}{}",
                clean(e.replaces.as_deref().unwrap_or("?")),
                clean(&e.api_key_id),
                clean(e.name.as_deref().unwrap_or("")),
                clean(&e.base_url),
                e.on_behalf_of
                    .as_ref()
                    .map(|o| format!(" [{}]", clean(o)))
                    .unwrap_or_default()
            );
        }
    }
    let open: Vec<&crate::journal::Entry> = entries
        .iter()
        .filter(|e| e.result() == Outcome::Unknown)
        .collect();
    if !open.is_empty() {
        crate::errln!(
            "{} with an unknown outcome (sgkeys stopped, or the answer was lost, before it could \
             tell): check each key:",
            if open.len() == 1 {
                "1 entry".to_owned()
            } else {
                format!("{} entries", open.len())
            }
        );
        for e in open {
            let ctx = e
                .on_behalf_of
                .as_ref()
                .map(|o| format!(" --on-behalf-of '{}'", clean(o)))
                .unwrap_or_default();
            if e.api_key_id.is_empty() {
                crate::errln!(
                    "  sgkeys --base-url {}{ctx} list   # look for a new key named '{}'",
                    clean(&e.base_url),
                    clean(e.name.as_deref().unwrap_or(""))
                );
            } else {
                crate::errln!(
                    "  sgkeys --base-url {}{ctx} show {}   # {} of '{}': 404 means it is gone",
                    clean(&e.base_url),
                    clean(&e.api_key_id),
                    e.action.label(),
                    clean(e.name.as_deref().unwrap_or(""))
                );
            }
        }
    }
    Ok(0)
}

pub(crate) async fn recreate(
    ctx: &Ctx,
    id: &str,
    into_current: bool,
    yes: bool,
    dry: super::DryRun,
) -> Result<u8, CliError> {
    let id = check_id(id)?;
    let entries = ctx
        .journal
        .read_all()
        .map_err(|e| CliError::Io(e.to_string()))?;
    let entry = entries
        .iter()
        .rev()
        .find(|e| e.action == Action::Revoke && e.result() == Outcome::Ok && e.api_key_id == id.0)
        .ok_or_else(|| {
            CliError::Usage(format!(
                "the journal {} has no revocation of {id}",
                ctx.journal.path().display()
            ))
        })?;
    let scopes = entry
        .scopes_before
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            CliError::Failed(format!(
                "the journal does not know the scopes {id} had (revoked before they were read)"
            ))
        })?;
    let name = entry
        .name
        .clone()
        .unwrap_or_else(|| format!("recreated {id}"));
    // Act only where the key lived: a journal entry replayed into another endpoint or account
    // would mint a key in the wrong place.
    let here_endpoint = ctx.settings.base_url.trim_end_matches('/');
    let here_obo = ctx.client.on_behalf_of().map(OnBehalfOf::header_value);
    let there = |url: &str, obo: &Option<String>| match obo {
        Some(o) => format!("{} on behalf of '{}'", clean(url), clean(o)),
        None => clean(url).into_owned(),
    };
    let elsewhere =
        entry.base_url.trim_end_matches('/') != here_endpoint || entry.on_behalf_of != here_obo;
    if elsewhere && !into_current {
        return Err(CliError::Usage(format!(
            "{id} was revoked at {}, but sgkeys points at {}: run it there (--base-url, \
             --on-behalf-of), or pass --into-current to recreate it here",
            there(&entry.base_url, &entry.on_behalf_of),
            there(here_endpoint, &here_obo)
        )));
    }
    let client = ctx.client.clone();
    let mutation = Mutation::Create {
        name: name.clone(),
        scopes: Some(scopes),
        replaces: Some(id.clone()),
    };
    if dry.dry_run {
        return print_dry_run_as(ctx, &client, &mutation);
    }
    ctx.refuse_if_read_only("recreate")?;
    if !yes {
        if !super::prompt::can_ask() {
            return Err(CliError::Usage(
                "refusing to recreate without confirmation: there is no terminal to ask on (pass \
                 --yes)"
                    .into(),
            ));
        }
        let n = match &mutation {
            Mutation::Create {
                scopes: Some(s), ..
            } => s.len(),
            _ => 0,
        };
        let answer = super::prompt::ask(&format!(
            "Recreate '{}' with {} at {}? A new secret is shown once. [y/N] ",
            clean(&name),
            crate::text::plural(n, "scope", "scopes"),
            there(here_endpoint, &here_obo)
        ))
        .map_err(|e| CliError::Io(e.to_string()))?;
        if !matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes") {
            crate::errln!("Nothing created.");
            return Ok(1);
        }
    }
    let done = ctx.ops.acting_as(client).run(mutation).await;
    match &done.result {
        Ok(Effect::Created(created)) => {
            print_created(ctx, created, Some(&id))?;
            warn_journal(&done);
            Ok(0)
        }
        _ => {
            warn_journal(&done);
            Err(mutation_error(
                format!("recreating '{}'", clean(&name)),
                done,
            ))
        }
    }
}
