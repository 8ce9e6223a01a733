//! `list`, `show`, `create`, `rename`, `set-scopes`: reading keys and changing one.

use std::collections::BTreeSet;

use serde_json::json;

use super::commands::Online;
use super::{
    CliError, CreateArgs, Format, ListArgs, RenameArgs, SetScopesArgs, ShowArgs, WiderFormat,
};
use crate::api::{ApiError, ApiKeyId};
use crate::ops::{Effect, Mutation};
use crate::output::{self, clean, csv_row, markdown_table, table};
use crate::report::KeyReport;
use crate::scopes::{self, KeyType, Level};
use crate::text::plural;

use super::context::*;

impl Online for ListArgs {
    const SCOPE: Option<&'static str> = Some("api_keys.read");
    async fn run(self, ctx: &Ctx) -> Result<u8, CliError> {
        list(ctx, self).await
    }
}

pub(crate) async fn list(ctx: &Ctx, args: ListArgs) -> Result<u8, CliError> {
    let format = args
        .format
        .resolve(ctx.json, args.csv.then_some(("--csv", Format::Csv)))?;
    let Some(format) = format.listing() else {
        return list_ndjson(ctx, &args).await;
    };
    // `--scopes` is a sweep: resumed when interrupted, each answer recorded as it arrives
    let own = super::sweeps::own_context(ctx);
    let sweep = args.scopes.then(|| {
        super::sweeps::Start::find(ctx, "list --scopes", "list --scopes")
            .begin(ctx, &[(own.clone(), None)])
    });
    let known = sweep
        .as_ref()
        .filter(|_| args.limit.is_none())
        .and_then(|s| s.known_list(&own));
    let keys = match known {
        Some(keys) => keys,
        None => ctx
            .list_keys(args.limit)
            .await
            .map_err(|e| CliError::api("listing keys", e))?,
    };
    let Some(sweep) = sweep else {
        let rows: Vec<Vec<String>> = keys
            .iter()
            .map(|k| vec![k.api_key_id.0.clone(), k.name.clone()])
            .collect();
        match format {
            Format::Json => output::print_json(&keys).map_err(io)?,
            Format::Csv => {
                let mut out = csv_row(&["api_key_id", "name"]);
                for r in &rows {
                    out.push_str(&csv_row(r));
                }
                crate::out!("{out}");
            }
            Format::Markdown => crate::out!("{}", markdown_table(&["ID", "NAME"], &rows)),
            Format::Table if keys.is_empty() => {
                crate::outln!("No API keys in {}.", ctx.settings.context_label());
            }
            Format::Table => {
                crate::out!("{}", table(&["ID", "NAME"], &rows));
                crate::errln!("{}", list_footer(keys.len(), args.limit));
            }
        }
        return Ok(0);
    };
    let ids: Vec<ApiKeyId> = keys.iter().map(|k| k.api_key_id.clone()).collect();
    let Some(details) =
        super::signals::interruptible(fetch_details_in(ctx, &sweep, &ids, "fetching scopes")).await
    else {
        return Err(super::sweeps::interrupted(ctx, &sweep, "list --scopes"));
    };
    super::sweeps::end(
        &sweep,
        details
            .iter()
            .all(|d| d.as_ref().err().is_none_or(ApiError::gone_by_sendgrid)),
    );
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for (k, d) in keys.iter().zip(details) {
        match d {
            Ok(d) => reports.push(Known::of(&d)),
            // Deleted between list and get (SendGrid's own 404; a gateway's page says nothing
            // about the key): not an error worth failing for.
            Err(e) if e.gone_by_sendgrid() => {}
            Err(e) => failures.push(format!("{} ({}): {e}", k.api_key_id, clean(&k.name))),
        }
    }
    match format {
        Format::Json => {
            let json: Vec<serde_json::Value> = reports.iter().map(Known::json).collect();
            output::print_json(&json).map_err(io)?;
        }
        Format::Csv => {
            let mut out = csv_row(&["api_key_id", "name", "type", "scope_count", "scopes"]);
            for k in &reports {
                let r = &k.report;
                out.push_str(&csv_row(&[
                    r.api_key_id.clone(),
                    r.name.clone(),
                    k.type_label().to_lowercase(),
                    k.scope_count(),
                    r.scopes.join(" "),
                ]));
            }
            crate::out!("{out}");
        }
        Format::Table | Format::Markdown => {
            let rows: Vec<Vec<String>> = reports
                .iter()
                .map(|k| {
                    let r = &k.report;
                    vec![
                        r.api_key_id.clone(),
                        r.name.clone(),
                        k.type_label().to_owned(),
                        if k.known { k.scope_count() } else { "?".into() },
                        if k.known {
                            summary(r)
                        } else {
                            "scopes unknown".into()
                        },
                    ]
                })
                .collect();
            let headers = ["ID", "NAME", "TYPE", "SCOPES", "ACCESS"];
            if format == Format::Markdown {
                crate::out!("{}", markdown_table(&headers, &rows));
            } else {
                crate::out!("{}", table(&headers, &rows));
                let mut footer = if failures.is_empty() {
                    list_footer(reports.len(), args.limit)
                } else {
                    format!(
                        "{} of {} keys read",
                        reports.len(),
                        reports.len() + failures.len()
                    )
                };
                let unknown = reports.iter().filter(|k| !k.known).count();
                if unknown > 0 {
                    footer.push_str(&format!(
                        "; {unknown} with scopes unknown (the server's answer carried none: check \
                         them in SendGrid's App)"
                    ));
                }
                crate::errln!("{footer}");
            }
        }
    }
    if failures.is_empty() {
        Ok(0)
    } else {
        for f in &failures {
            crate::errln!("sgkeys: could not read {f}");
        }
        Err(CliError::Failed(format!(
            "{} of {} keys could not be read",
            failures.len(),
            keys.len()
        )))
    }
}

/// `list --format ndjson`: one JSON object per key (those of `--format json`), each printed the
/// moment it arrives. With `--scopes` it is the sweep `audit --format ndjson` streams (resumed
/// and recorded as `list --scopes`), in bounded memory; a key that could not be read is said
/// on stderr (exit 1). With `--limit`, the few keys asked are read as `list --scopes` reads them.
async fn list_ndjson(ctx: &Ctx, args: &ListArgs) -> Result<u8, CliError> {
    if !args.scopes {
        let keys = ctx
            .list_keys(args.limit)
            .await
            .map_err(|e| CliError::api("listing keys", e))?;
        for k in &keys {
            ndjson_line(k)?;
        }
        return Ok(0);
    }
    if args.limit.is_some() {
        let keys = ctx
            .list_keys(args.limit)
            .await
            .map_err(|e| CliError::api("listing keys", e))?;
        let ids: Vec<ApiKeyId> = keys.iter().map(|k| k.api_key_id.clone()).collect();
        let details = fetch_details(ctx, &ids, "fetching scopes").await;
        let mut failed = 0;
        for (k, d) in keys.iter().zip(details) {
            match d {
                Ok(d) => ndjson_line(&Known::of(&d).json())?,
                Err(e) if e.gone_by_sendgrid() => {}
                Err(e) => {
                    failed += 1;
                    crate::errln!(
                        "sgkeys: could not read {} ({}): {e}",
                        k.api_key_id,
                        clean(&k.name)
                    );
                }
            }
        }
        return unread(failed, keys.len());
    }
    let failed = std::sync::atomic::AtomicUsize::new(0);
    let emit = |k: crate::audit::AuditKey| match &k.unread {
        Some(e) => {
            failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            crate::errln!(
                "sgkeys: could not read {} ({}): {}",
                k.report.api_key_id,
                clean(&k.report.name),
                clean(e)
            );
        }
        None => {
            let known = Known {
                report: k.report,
                known: k.scopes_known,
            };
            let _ = ndjson_line(&known.json());
        }
    };
    let streamed =
        super::reports::stream_sweep(ctx, false, "list --scopes", "fetching scopes", &emit).await?;
    if streamed.contexts.iter().all(|c| c.listed.is_none())
        && let Some(e) = streamed.contexts.iter().find_map(|c| c.error.as_ref())
    {
        return Err(CliError::Failed(format!("listing keys: {e}")));
    }
    let listed = streamed
        .contexts
        .iter()
        .map(|c| c.listed.unwrap_or(0))
        .sum();
    unread(failed.into_inner(), listed)
}

/// One JSON object on a line of its own.
fn ndjson_line(v: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string(v).map_err(|e| CliError::Io(e.to_string()))?;
    crate::outln!("{text}");
    Ok(())
}

/// Exit 1 when `failed` of `of` keys could not be read (each was said).
fn unread(failed: usize, of: usize) -> Result<u8, CliError> {
    if failed == 0 {
        return Ok(0);
    }
    Err(CliError::Failed(format!(
        "{failed} of {of} keys could not be read"
    )))
}

/// The line under `list`'s table: how many rows, and what they are out of only when that is
/// known ("3 shown" after `--limit 3`, never "100000/100").
pub(crate) fn list_footer(shown: usize, limit: Option<u32>) -> String {
    match limit {
        Some(l) => format!("{shown} shown (--limit {l})"),
        None => plural(shown, "key", "keys"),
    }
}

/// Expand scope specs, saying on stderr what each glob selected (`'*'` is 200 scopes, not
/// "everything"): the notes come from [`scopes::expand_specs_noted`].
pub(crate) fn expand_noted(specs: &[String]) -> Result<BTreeSet<String>, CliError> {
    let (set, notes) =
        scopes::expand_specs_noted(specs).map_err(|e| CliError::Usage(e.to_string()))?;
    for n in notes {
        crate::errln!("{n}");
    }
    Ok(set)
}

/// "Mail Send: Full, Stats: Read, +3" style summary.
pub(crate) fn summary(r: &KeyReport) -> String {
    match r.key_type {
        KeyType::Full => return "everything except billing".into(),
        KeyType::Billing => return "billing only".into(),
        KeyType::Custom => {}
    }
    let parts: Vec<String> = scopes::categories()
        .iter()
        .filter_map(|c| {
            let level = r.categories.get(c.id)?;
            if *level != Level::Partial {
                return Some(format!("{} {}", c.label, level.short()));
            }
            // name the scopes when there are few: "mail.send" says more than "Mail Send Partial"
            let held: Vec<&str> = c
                .scopes
                .iter()
                .copied()
                .filter(|s| r.scopes.iter().any(|x| x == s))
                .collect();
            Some(if held.len() <= 2 {
                held.join(", ")
            } else {
                format!("{} {}/{}", c.label, held.len(), c.scopes.len())
            })
        })
        .collect();
    if parts.len() > 3 {
        format!("{}, +{}", parts[..3].join(", "), parts.len() - 3)
    } else if parts.is_empty() {
        "no scopes".into()
    } else {
        parts.join(", ")
    }
}

impl Online for ShowArgs {
    const SCOPE: Option<&'static str> = Some("api_keys.read");
    async fn run(self, ctx: &Ctx) -> Result<u8, CliError> {
        show(ctx, &self.id).await
    }
}

pub(crate) async fn show(ctx: &Ctx, id: &str) -> Result<u8, CliError> {
    let id = check_id(id)?;
    let detail = ctx
        .get_key(&id)
        .await
        .map_err(|e| CliError::api(format!("reading key {id}"), e))?;
    let key = Known::of(&detail);
    if ctx.json {
        output::print_json(&key.json()).map_err(io)?;
    } else if key.known {
        crate::out!("{}", describe_key(&key.report));
    } else {
        crate::out!("{}", describe_unknown(&key.report));
    }
    Ok(0)
}

/// A key as read, and whether the answer said its scopes. SendGrid always lists at least the
/// auto-assigned ones; an answer with none (Prism serving the official spec, whose GET-one
/// schema has no scopes) leaves the key's access unknown — never "0 scopes, No Access".
pub(crate) struct Known {
    pub report: KeyReport,
    pub known: bool,
}

impl Known {
    pub(crate) fn of(detail: &crate::api::KeyDetail) -> Known {
        Known {
            report: KeyReport::new(detail),
            known: !detail.scopes.is_empty(),
        }
    }

    fn type_label(&self) -> &'static str {
        if self.known {
            self.report.key_type.badge()
        } else {
            "unknown"
        }
    }

    /// The scope count, or nothing when unknown (CSV).
    fn scope_count(&self) -> String {
        if self.known {
            self.report.scopes.len().to_string()
        } else {
            String::new()
        }
    }

    /// The `--json` shape of `show`/`list --scopes`, with `scopes_known`; `type` is
    /// `"unknown"` when the scopes are.
    fn json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(&self.report).unwrap_or_default();
        if let Some(map) = v.as_object_mut() {
            if !self.known {
                map.insert("type".into(), "unknown".into());
            }
            map.insert("scopes_known".into(), self.known.into());
        }
        v
    }
}

/// `show` for a key whose scopes the server did not say.
fn describe_unknown(r: &KeyReport) -> String {
    format!(
        "Name     {}\nID       {}\nType     unknown: the server's answer carried no scopes, so \
         what this key can do is unknown — check it in SendGrid's App\n",
        clean(&r.name),
        r.api_key_id
    )
}

/// Human description of a key: type, per-category access, scopes.
pub(crate) fn describe_key(r: &KeyReport) -> String {
    let mut out = String::new();
    out.push_str(&format!("Name     {}\n", clean(&r.name)));
    out.push_str(&format!("ID       {}\n", r.api_key_id));
    out.push_str(&format!(
        "Type     {} ({})\n",
        r.key_type.label(),
        plural(r.scopes.len(), "scope", "scopes")
    ));
    out.push_str("Access\n");
    let mut none = 0;
    for c in scopes::categories() {
        match r.categories.get(c.id) {
            Some(Level::Partial) => {
                let held = c
                    .scopes
                    .iter()
                    .filter(|s| r.scopes.iter().any(|x| x == *s))
                    .count();
                out.push_str(&format!(
                    "  {:<32} Partial ({held} of {})\n",
                    c.label,
                    c.scopes.len()
                ));
            }
            Some(level) => out.push_str(&format!("  {:<32} {}\n", c.label, level.label())),
            None => none += 1,
        }
    }
    if none > 0 {
        out.push_str(&format!("  ({none} more categories: No Access)\n"));
    }
    if !r.unknown_scopes.is_empty() {
        out.push_str(&format!("Other    {}\n", r.unknown_scopes.join(", ")));
    }
    if !r.auto_assigned.is_empty() {
        out.push_str(&format!(
            "Auto-assigned by SendGrid (not counted): {}\n",
            r.auto_assigned.join(", ")
        ));
    }
    out.push_str("Scopes\n");
    for s in &r.scopes {
        out.push_str(&format!("  {s}\n"));
    }
    out
}

impl Online for CreateArgs {
    // the POST is what a key without the scope is refused
    const SCOPE: Option<&'static str> = Some("api_keys.create");
    async fn run(self, ctx: &Ctx) -> Result<u8, CliError> {
        create(ctx, self).await
    }
}

pub(crate) async fn create(ctx: &Ctx, args: CreateArgs) -> Result<u8, CliError> {
    let name = check_name(&args.name)?;
    let scopes: Option<Vec<String>> = if args.full {
        None
    } else if args.billing {
        Some(
            scopes::category("billing")
                .map(|c| c.full.iter().map(|s| (*s).to_owned()).collect())
                .unwrap_or_default(),
        )
    } else {
        Some(expand_noted(&args.scopes)?.into_iter().collect())
    };
    let billing = args.billing;
    let mutation = Mutation::Create {
        name: name.clone(),
        scopes,
        replaces: None,
    };
    if args.dry.dry_run {
        return print_dry_run(ctx, &mutation);
    }
    ctx.refuse_if_read_only("create")?;
    let done = ctx.ops.run(mutation).await;
    match &done.result {
        Ok(Effect::Created(created)) => {
            print_created(ctx, created, None)?;
            warn_journal(&done);
            Ok(0)
        }
        Err(ApiError::CreatedSecretLost { id, cause }) => {
            warn_journal(&done);
            Err(CliError::api(
                format!("creating '{}'", clean(&name)),
                ApiError::CreatedSecretLost {
                    id: id.clone(),
                    cause: cause.clone(),
                },
            ))
        }
        _ => {
            warn_journal(&done);
            let hint = if billing && matches!(done.result, Err(ApiError::Forbidden(_))) {
                " (a key may grant only scopes it holds, and Full Access keys hold no billing scope: \
                 create Billing keys in SendGrid's App)"
            } else {
                ""
            };
            Err(mutation_error(
                format!("creating '{}'{hint}", clean(&name)),
                done,
            ))
        }
    }
}

impl Online for RenameArgs {
    const SCOPE: Option<&'static str> = Some("api_keys.update");
    async fn run(self, ctx: &Ctx) -> Result<u8, CliError> {
        rename(ctx, &self.id, &self.name, self.dry).await
    }
}

pub(crate) async fn rename(
    ctx: &Ctx,
    id: &str,
    name: &str,
    dry: super::DryRun,
) -> Result<u8, CliError> {
    let id = check_id(id)?;
    let name = check_name(name)?;
    if dry.dry_run {
        // The PATCH needs nothing read first: the key is not even looked up.
        return print_dry_run(
            ctx,
            &Mutation::Rename {
                id,
                name,
                name_before: String::new(),
            },
        );
    }
    ctx.refuse_if_read_only("rename")?;
    let before = ctx
        .get_key(&id)
        .await
        .map_err(|e| CliError::api(format!("reading key {id}"), e))?;
    let done = ctx
        .ops
        .run(Mutation::Rename {
            id: id.clone(),
            name: name.clone(),
            name_before: before.name.clone(),
        })
        .await;
    warn_journal(&done);
    match done.result {
        Ok(Effect::Renamed(k)) => {
            if ctx.json {
                output::print_json(&json!({"api_key_id": k.api_key_id, "name": k.name, "previous_name": before.name}))
                    .map_err(io)?;
            } else {
                crate::outln!(
                    "Renamed {id}: '{}' → '{}'",
                    clean(&before.name),
                    clean(&k.name)
                );
            }
            Ok(0)
        }
        _ => Err(mutation_error(format!("renaming {id}"), done)),
    }
}

impl Online for SetScopesArgs {
    const SCOPE: Option<&'static str> = Some("api_keys.update");
    async fn run(self, ctx: &Ctx) -> Result<u8, CliError> {
        set_scopes(ctx, &self.id, &self.scopes, self.dry).await
    }
}

pub(crate) async fn set_scopes(
    ctx: &Ctx,
    id: &str,
    specs: &[String],
    dry: super::DryRun,
) -> Result<u8, CliError> {
    let id = check_id(id)?;
    let wanted = expand_noted(specs)?;
    if !dry.dry_run {
        ctx.refuse_if_read_only("set-scopes")?;
    }
    // The PUT carries the name too, so even a dry run reads the key (a GET; nothing changes).
    let before = ctx
        .get_key(&id)
        .await
        .map_err(|e| CliError::api(format!("reading key {id}"), e))?;
    let old: BTreeSet<String> = scopes::sendable(&before.scopes).into_iter().collect();
    let added: Vec<&String> = wanted.difference(&old).collect();
    let removed: Vec<&String> = old.difference(&wanted).collect();
    let new: Vec<String> = wanted.iter().cloned().collect();
    let mutation = Mutation::SetScopes {
        id: id.clone(),
        name: before.name.clone(),
        scopes: new,
        scopes_before: old.iter().cloned().collect(),
    };
    if dry.dry_run {
        crate::errln!(
            "{} added, {} removed",
            plural(added.len(), "scope", "scopes"),
            removed.len()
        );
        return print_dry_run(ctx, &mutation);
    }
    let done = ctx.ops.run(mutation).await;
    warn_journal(&done);
    match done.result {
        Ok(Effect::Updated(after)) => {
            // what the server answered, not what was asked (a warning above says if they differ)
            let now: BTreeSet<String> = scopes::sendable(&after.scopes).into_iter().collect();
            let added: Vec<&String> = now.difference(&old).collect();
            let removed: Vec<&String> = old.difference(&now).collect();
            let report = KeyReport::new(&after);
            if ctx.json {
                output::print_json(&json!({
                    "api_key_id": report.api_key_id, "name": report.name, "type": report.key_type,
                    "scopes": report.scopes, "added": added, "removed": removed,
                }))
                .map_err(io)?;
            } else {
                crate::outln!(
                    "Updated '{}' ({id}): now {} with {}.",
                    clean(&before.name),
                    report.key_type.label(),
                    plural(report.scopes.len(), "scope", "scopes")
                );
                for s in &added {
                    crate::outln!("  + {s}");
                }
                for s in &removed {
                    crate::outln!("  - {s}");
                }
                if added.is_empty() && removed.is_empty() {
                    crate::outln!("  (no change)");
                }
            }
            Ok(0)
        }
        _ => Err(mutation_error(format!("updating scopes of {id}"), done)),
    }
}
