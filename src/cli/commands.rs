//! One-shot commands. Each prints a human form by default and a stable JSON form with `--json`.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Read};

use futures_util::future::join_all;
use serde::Serialize;
use serde_json::json;

use super::{Cli, CliError, Command, CreateArgs, ListArgs, RevokeArgs};
use crate::api::{ApiError, ApiKeyId, Client, ClientOptions, KeyDetail, OnBehalfOf};
use crate::config::{self, Settings};
use crate::journal::{Action, Journal, Outcome};
use crate::ops::{Done, Effect, Mutation, Ops, RevokeTarget};
use crate::output::{self, Progress, clean, csv_row, csv_text, table};
use crate::report::KeyReport;
use crate::scopes::{self, KeyType, Level};
use crate::secret;
use crate::text::plural;

/// What every API command needs.
pub(crate) struct Ctx {
    pub settings: Settings,
    pub client: Client,
    pub json: bool,
    pub journal: Journal,
    /// Every mutation goes through here (journal, send, classify, read back).
    pub ops: Ops,
}

impl Ctx {
    pub fn new(global: &super::Global) -> Result<Self, CliError> {
        let settings = config::resolve(&global.overrides())?;
        let key = settings.api_key()?;
        let client = Client::new(
            key,
            ClientOptions {
                base_url: settings.base_url.clone(),
                timeout: settings.timeout,
                on_behalf_of: settings.on_behalf_of.clone(),
                ..Default::default()
            },
        )
        .map_err(|e| CliError::api("setting up the client", e))?;
        let journal = Journal::new(settings.journal.clone());
        let mut ops = Ops::new(client.clone(), Some(journal.clone()), "cli");
        ops.read_only = settings.read_only;
        Ok(Ctx {
            settings,
            client,
            json: global.json,
            journal,
            ops,
        })
    }

    fn refuse_if_read_only(&self, what: &str) -> Result<(), CliError> {
        if self.settings.read_only {
            return Err(CliError::api(
                what.to_owned(),
                ApiError::ReadOnly(what.to_owned()),
            ));
        }
        Ok(())
    }
}

/// Say on stderr when the outcome of a mutation could not be journaled (the outcome itself is
/// still reported: it is true, only the record is incomplete).
fn warn_journal(done: &Done) {
    if let Some(e) = &done.journal_error {
        crate::errln!(
            "sgkeys: warning: the outcome above could not be recorded in the journal ({e}); \
             the journal shows this change as unknown"
        );
    }
}

/// The error for a mutation that did not succeed: a refusal, a failure confirmed by reading
/// back, or an outcome nobody can tell (said in capitals: never reported as success).
fn mutation_error(context: String, done: Done) -> CliError {
    let note = done.note.clone();
    let unknown = done.outcome == Outcome::Unknown;
    let Err(e) = done.result else {
        return CliError::Failed(format!("{context}: internal: no error"));
    };
    match (unknown, note) {
        (true, Some(n)) => CliError::Failed(format!("{context}: OUTCOME UNKNOWN: {e}; {n}")),
        (true, None) => CliError::Failed(format!("{context}: OUTCOME UNKNOWN: {e}")),
        (false, Some(n)) => CliError::Failed(format!("{context}: {e}; {n}")),
        (false, None) => CliError::api(context, e),
    }
}

pub async fn run(cli: Cli) -> Result<u8, CliError> {
    let Some(command) = cli.command else {
        return super::dashboard::run_configured(&cli.global).await;
    };
    match command {
        Command::Sim(args) => return super::dashboard::run_sim(args, cli.global.json).await,
        Command::Demo(args) => return super::dashboard::run_demo(&cli.global, args).await,
        Command::Scopes => return scopes_catalog(cli.global.json),
        Command::Completions { .. } => return Ok(0),
        Command::Journal { limit } => {
            let settings = config::resolve(&cli.global.overrides())?;
            return show_journal(&Journal::new(settings.journal), cli.global.json, limit);
        }
        _ => {}
    }
    super::init_stderr_logging();
    let ctx = Ctx::new(&cli.global)?;
    match command {
        Command::List(args) => list(&ctx, args).await,
        Command::Show { id } => show(&ctx, &id).await,
        Command::Create(args) => create(&ctx, args).await,
        Command::Rename { id, name } => rename(&ctx, &id, &name).await,
        Command::SetScopes { id, scopes } => set_scopes(&ctx, &id, &scopes).await,
        Command::Revoke(args) => revoke(&ctx, args).await,
        Command::Whoami => whoami(&ctx).await,
        Command::Audit(args) => audit(&ctx, args).await,
        Command::Diff { a, b, preset } => diff(&ctx, &a, b.as_deref(), preset.as_deref()).await,
        Command::Recreate { id } => recreate(&ctx, &id).await,
        Command::Subusers => subusers(&ctx).await,
        Command::Sim(_)
        | Command::Demo(_)
        | Command::Scopes
        | Command::Completions { .. }
        | Command::Journal { .. } => Ok(0),
    }
}

fn check_id(id: &str) -> Result<ApiKeyId, CliError> {
    let id = id.trim();
    if secret::looks_like_key(id) || secret::contains_key_material(id) {
        // Never echo it: the argument carries (part of) a secret.
        return Err(CliError::Usage(
            "that argument looks like an API key (or part of one), not an id; it is not shown. \
             For a leaked key use `sgkeys revoke --leaked` (reads it from stdin), or pass only the \
             22-character id"
                .into(),
        ));
    }
    if id.is_empty()
        || id.len() > 100
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(CliError::Usage(format!(
            "'{}' is not a key id (ids are 22 characters of A-Z a-z 0-9 - _)",
            clean(&output_clip(id))
        )));
    }
    Ok(ApiKeyId(id.to_owned()))
}

fn output_clip(s: &str) -> String {
    crate::api::error::clip(s, 40)
}

/// Validate a key name the way the dashboard's form does.
pub fn check_name(name: &str) -> Result<String, CliError> {
    crate::api::models::validate_key_name(name).map_err(CliError::Usage)
}

/// Fetch details of many keys concurrently (bounded by the client's gate), with progress.
pub(crate) async fn fetch_details(
    client: &Client,
    ids: &[ApiKeyId],
    label: &str,
) -> Vec<Result<KeyDetail, ApiError>> {
    let progress = std::sync::Mutex::new(Progress::new(label, ids.len()));
    let results = join_all(ids.iter().map(|id| {
        let progress = &progress;
        async move {
            let r = client.get_key(id).await;
            if let Ok(mut p) = progress.lock() {
                p.tick();
            }
            r
        }
    }))
    .await;
    if let Ok(p) = progress.lock() {
        p.finish();
    }
    results
}

async fn list(ctx: &Ctx, args: ListArgs) -> Result<u8, CliError> {
    let keys = ctx
        .client
        .list_keys(args.limit)
        .await
        .map_err(|e| CliError::api("listing keys", e))?;
    if !args.scopes {
        if ctx.json {
            output::print_json(&keys).map_err(io)?;
        } else if args.csv {
            let mut out = csv_row(&["api_key_id", "name"]);
            for k in &keys {
                out.push_str(&csv_row(&[k.api_key_id.0.clone(), csv_text(&k.name)]));
            }
            crate::out!("{out}");
        } else if keys.is_empty() {
            crate::outln!("No API keys in {}.", ctx.settings.context_label());
        } else {
            let rows: Vec<Vec<String>> = keys
                .iter()
                .map(|k| vec![k.api_key_id.0.clone(), k.name.clone()])
                .collect();
            crate::out!("{}", table(&["ID", "NAME"], &rows));
            crate::errln!("{}/100 keys", keys.len());
        }
        return Ok(0);
    }
    let ids: Vec<ApiKeyId> = keys.iter().map(|k| k.api_key_id.clone()).collect();
    let details = fetch_details(&ctx.client, &ids, "fetching scopes").await;
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for (k, d) in keys.iter().zip(details) {
        match d {
            Ok(d) => reports.push(KeyReport::new(&d)),
            // Deleted between list and get: not an error worth failing for.
            Err(ApiError::NotFound(_)) => {}
            Err(e) => failures.push(format!("{} ({}): {e}", k.api_key_id, clean(&k.name))),
        }
    }
    if ctx.json {
        output::print_json(&reports).map_err(io)?;
    } else if args.csv {
        let mut out = csv_row(&["api_key_id", "name", "type", "scope_count", "scopes"]);
        for r in &reports {
            out.push_str(&csv_row(&[
                r.api_key_id.clone(),
                csv_text(&r.name),
                r.key_type.badge().to_lowercase(),
                r.scopes.len().to_string(),
                r.scopes.join(" "),
            ]));
        }
        crate::out!("{out}");
    } else {
        let rows: Vec<Vec<String>> = reports
            .iter()
            .map(|r| {
                vec![
                    r.api_key_id.clone(),
                    r.name.clone(),
                    r.key_type.badge().to_owned(),
                    r.scopes.len().to_string(),
                    summary(r),
                ]
            })
            .collect();
        crate::out!(
            "{}",
            table(&["ID", "NAME", "TYPE", "SCOPES", "ACCESS"], &rows)
        );
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

/// "Mail Send: Full, Stats: Read, +3" style summary.
fn summary(r: &KeyReport) -> String {
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

async fn show(ctx: &Ctx, id: &str) -> Result<u8, CliError> {
    let id = check_id(id)?;
    let detail = ctx
        .client
        .get_key(&id)
        .await
        .map_err(|e| CliError::api(format!("reading key {id}"), e))?;
    let report = KeyReport::new(&detail);
    if ctx.json {
        output::print_json(&report).map_err(io)?;
    } else {
        crate::out!("{}", describe_key(&report));
    }
    Ok(0)
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

async fn create(ctx: &Ctx, args: CreateArgs) -> Result<u8, CliError> {
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
        Some(
            scopes::expand_specs(&args.scopes)
                .map_err(|e| CliError::Usage(e.to_string()))?
                .into_iter()
                .collect(),
        )
    };
    ctx.refuse_if_read_only("create")?;
    let billing = args.billing;
    let done = ctx
        .ops
        .run(Mutation::Create {
            name: name.clone(),
            scopes,
            replaces: None,
        })
        .await;
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

/// A new key and its secret, shown once: on stdout alone (so it can be piped), or in JSON.
fn print_created(
    ctx: &Ctx,
    created: &crate::api::CreatedKey,
    replaces: Option<&ApiKeyId>,
) -> Result<(), CliError> {
    let report = KeyReport::new(&KeyDetail {
        api_key_id: created.api_key_id.clone(),
        name: created.name.clone(),
        scopes: created.scopes.clone(),
    });
    if ctx.json {
        let mut v = json!({
            "api_key_id": report.api_key_id,
            "name": report.name,
            "type": report.key_type,
            "scopes": report.scopes,
            "api_key": created.api_key.expose(),
        });
        if let Some(r) = replaces {
            v["replaces"] = json!(r);
        }
        output::print_json(&v).map_err(io)?;
    } else {
        let what = if replaces.is_some() {
            "Recreated"
        } else {
            "Created"
        };
        let also = replaces
            .map(|r| format!(" (replaces revoked {r})"))
            .unwrap_or_default();
        crate::errln!(
            "{what} '{}' ({}), {} with {}{also}.",
            clean(&report.name),
            report.api_key_id,
            report.key_type.label(),
            plural(report.scopes.len(), "scope", "scopes")
        );
        crate::errln!("The secret below is shown only this once; store it now:");
        crate::outln!("{}", created.api_key.expose());
    }
    Ok(())
}

async fn rename(ctx: &Ctx, id: &str, name: &str) -> Result<u8, CliError> {
    let id = check_id(id)?;
    let name = check_name(name)?;
    ctx.refuse_if_read_only("rename")?;
    let before = ctx
        .client
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

async fn set_scopes(ctx: &Ctx, id: &str, specs: &[String]) -> Result<u8, CliError> {
    let id = check_id(id)?;
    let wanted = scopes::expand_specs(specs).map_err(|e| CliError::Usage(e.to_string()))?;
    ctx.refuse_if_read_only("set-scopes")?;
    let before = ctx
        .client
        .get_key(&id)
        .await
        .map_err(|e| CliError::api(format!("reading key {id}"), e))?;
    let old: BTreeSet<String> = scopes::sendable(&before.scopes).into_iter().collect();
    let added: Vec<&String> = wanted.difference(&old).collect();
    let removed: Vec<&String> = old.difference(&wanted).collect();
    let new: Vec<String> = wanted.iter().cloned().collect();
    let done = ctx
        .ops
        .run(Mutation::SetScopes {
            id: id.clone(),
            name: before.name.clone(),
            scopes: new,
            scopes_before: old.iter().cloned().collect(),
        })
        .await;
    warn_journal(&done);
    match done.result {
        Ok(Effect::Updated(after)) => {
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

#[derive(Serialize)]
struct RevokeResult {
    api_key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    key_type: Option<KeyType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_behalf_of: Option<String>,
    /// would_revoke | revoked | not_found | failed | unknown | not_attempted
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// A key located for revocation, with the client (context) it lives in.
struct Target {
    client: Client,
    detail: KeyDetail,
}

async fn revoke(ctx: &Ctx, args: RevokeArgs) -> Result<u8, CliError> {
    let mut results: Vec<RevokeResult> = Vec::new();
    let mut targets: Vec<Target> = Vec::new();
    if let Some(leaked) = &args.leaked {
        let raw = if leaked == "-" {
            read_stdin_key()?
        } else {
            leaked.clone()
        };
        let id = secret::key_id_of(&raw).map_err(|e| CliError::Usage(format!("--leaked: {e}")))?;
        let id = ApiKeyId(id);
        let mut contexts = vec![ctx.client.clone()];
        if args.all_subusers {
            let subs = ctx
                .client
                .list_subusers()
                .await
                .map_err(|e| CliError::api("listing subusers", e))?;
            contexts.extend(subs.into_iter().map(|s| {
                ctx.client
                    .acting_as(Some(OnBehalfOf::Subuser(s.username)))
                    .in_region(s.region)
            }));
        }
        for client in contexts {
            match client.get_key(&id).await {
                Ok(detail) => {
                    targets.push(Target { client, detail });
                    break;
                }
                Err(ApiError::NotFound(_)) => {}
                Err(e) => return Err(CliError::api(format!("looking up key {id}"), e)),
            }
        }
        if targets.is_empty() {
            let hint = if args.all_subusers {
                "it is not in this account or any of its subusers: already revoked, or another account?"
            } else {
                "already revoked? another account or subuser? try --all-subusers or --on-behalf-of"
            };
            if ctx.json {
                output::print_json(&json!({"dry_run": args.dry_run, "results": [{"api_key_id": id, "status": "not_found"}]}))
                    .map_err(io)?;
            }
            return Err(CliError::Failed(format!(
                "no key with id {id} was found ({hint})"
            )));
        }
    } else if let Some(filter) = &args.filter {
        let query = crate::query::Query::parse(filter);
        if query.is_empty() {
            return Err(CliError::Usage(
                "--filter is empty: it would match every key".into(),
            ));
        }
        if let Some(bad) = query.invalid() {
            return Err(CliError::Usage(format!(
                "--filter: '{bad}' is not a valid term"
            )));
        }
        let keys = ctx
            .client
            .list_keys(None)
            .await
            .map_err(|e| CliError::api("listing keys", e))?;
        let ids: Vec<ApiKeyId> = keys.iter().map(|k| k.api_key_id.clone()).collect();
        let details = fetch_details(&ctx.client, &ids, "reading keys").await;
        for (k, d) in keys.into_iter().zip(details) {
            let detail = match d {
                Ok(d) => d,
                Err(ApiError::NotFound(_)) => continue,
                Err(e) => return Err(CliError::api(format!("reading key {}", k.api_key_id), e)),
            };
            if query.matches(&crate::query::KeyFacts::new(&detail)) {
                targets.push(Target {
                    client: ctx.client.clone(),
                    detail,
                });
            }
        }
        if targets.is_empty() {
            crate::errln!("No key matches --filter '{filter}'.");
        }
    } else {
        let ids: Vec<ApiKeyId> = args
            .ids
            .iter()
            .map(|i| check_id(i))
            .collect::<Result<_, _>>()?;
        let mut seen = BTreeSet::new();
        let ids: Vec<ApiKeyId> = ids.into_iter().filter(|i| seen.insert(i.clone())).collect();
        let details = fetch_details(&ctx.client, &ids, "reading keys").await;
        for (id, d) in ids.iter().zip(details) {
            match d {
                Ok(detail) => targets.push(Target {
                    client: ctx.client.clone(),
                    detail,
                }),
                Err(ApiError::NotFound(_)) => results.push(RevokeResult {
                    api_key_id: id.0.clone(),
                    name: None,
                    key_type: None,
                    on_behalf_of: None,
                    status: "not_found",
                    error: Some("no such key (already revoked?)".into()),
                }),
                Err(e) => return Err(CliError::api(format!("reading key {id}"), e)),
            }
        }
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
            if args.leaked.is_some() {
                crate::errln!(
                    "      scopes: {}",
                    crate::api::error::clip(&r.scopes.join(" "), 300)
                );
            }
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
    let watcher = tokio::spawn(interrupt_watcher(stop.clone()));
    let outcomes = crate::ops::revoke_many(&plan, 16, &stop).await;
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
fn is_callers(ctx: &Ctx, t: &Target) -> bool {
    t.client.on_behalf_of().is_none()
        && ctx.client.caller_key_id() == Some(t.detail.api_key_id.as_str())
}

/// Cancel `stop` on the first SIGINT or SIGTERM; exit 130 on the second.
async fn interrupt_watcher(stop: tokio_util::sync::CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        for round in 0..2 {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            if round == 0 {
                crate::errln!(
                    "\nsgkeys: interrupted: sending nothing more; waiting for the requests under way \
                     (again to quit now; the journal names every key sent)"
                );
                stop.cancel();
            } else {
                std::process::exit(130);
            }
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop.cancel();
        }
    }
}

fn finish_revoke(ctx: &Ctx, dry_run: bool, results: Vec<RevokeResult>) -> Result<u8, CliError> {
    let failed = results
        .iter()
        .filter(|r| r.status != "revoked" && r.status != "would_revoke")
        .count();
    if ctx.json {
        output::print_json(&json!({ "dry_run": dry_run, "results": results })).map_err(io)?;
    } else {
        for r in &results {
            let name = clean(r.name.as_deref().unwrap_or(""));
            match r.status {
                "revoked" => crate::outln!("revoked    {}  {name}", r.api_key_id),
                "would_revoke" => crate::outln!("would revoke  {}  {name}", r.api_key_id),
                "not_found" => crate::outln!("not found  {}", r.api_key_id),
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

fn read_stdin_key() -> Result<String, CliError> {
    if std::io::stdin().is_terminal() {
        crate::err!(
            "Paste the leaked key (input hidden is not possible here; it is not echoed back): "
        );
    }
    let mut s = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut s)
        .map_err(|e| CliError::Io(e.to_string()))?;
    let line = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_owned();
    if line.is_empty() {
        return Err(CliError::Usage("--leaked: no key given on stdin".into()));
    }
    Ok(line)
}

async fn whoami(ctx: &Ctx) -> Result<u8, CliError> {
    let mine = ctx
        .client
        .my_scopes()
        .await
        .map_err(|e| CliError::api("reading the key's scopes", e))?;
    let c = scopes::classify(&mine);
    let api = |s: &str| mine.iter().any(|m| m == s);
    let can = json!({
        "read": api("api_keys.read"), "create": api("api_keys.create"),
        "update": api("api_keys.update"), "delete": api("api_keys.delete"),
        "subusers": api("subusers.read"),
    });
    if ctx.json {
        let mut scopes_sorted: Vec<&String> = mine
            .iter()
            .filter(|s| !scopes::is_auto_assigned(s))
            .collect();
        scopes_sorted.sort();
        output::print_json(&json!({
            "base_url": ctx.settings.base_url,
            "on_behalf_of": ctx.client.on_behalf_of().map(OnBehalfOf::header_value),
            "profile": ctx.settings.profile,
            "key_id": ctx.client.caller_key_id(),
            "type": c.key_type,
            "scopes": scopes_sorted,
            "auto_assigned": c.auto_assigned,
            "api_keys": can,
            "read_only": ctx.settings.read_only,
        }))
        .map_err(io)?;
        return Ok(0);
    }
    crate::outln!("Endpoint   {}", ctx.settings.base_url);
    crate::outln!("Acting as  {}", ctx.settings.context_label());
    crate::outln!("Key        {}", ctx.client.caller_key_id().unwrap_or("?"));
    crate::outln!(
        "Type       {} ({})",
        c.key_type.label(),
        plural(c.counted, "scope", "scopes")
    );
    let yn = |b: bool| if b { "yes" } else { "no" };
    crate::outln!(
        "API keys   read {}  create {}  update {}  delete {}",
        yn(api("api_keys.read")),
        yn(api("api_keys.create")),
        yn(api("api_keys.update")),
        yn(api("api_keys.delete"))
    );
    crate::outln!(
        "Subusers   {}",
        if api("subusers.read") {
            "can list"
        } else {
            "cannot list"
        }
    );
    if ctx.settings.read_only {
        crate::outln!("Mode       read-only (changes are refused)");
    }
    let partial: Vec<String> = c
        .levels
        .iter()
        .filter(|l| l.level != Level::No)
        .map(|l| format!("{} {}", l.category.label, l.level.short()))
        .collect();
    if c.key_type == KeyType::Custom && !partial.is_empty() {
        crate::outln!("Access     {}", partial.join(", "));
    }
    Ok(0)
}

async fn subusers(ctx: &Ctx) -> Result<u8, CliError> {
    let subs = ctx
        .client
        .list_subusers()
        .await
        .map_err(|e| CliError::api("listing subusers", e))?;
    if ctx.json {
        output::print_json(&subs).map_err(io)?;
    } else if subs.is_empty() {
        crate::outln!("No subusers.");
    } else {
        let rows: Vec<Vec<String>> = subs
            .iter()
            .map(|s| {
                vec![
                    s.id.to_string(),
                    s.username.clone(),
                    s.email.clone(),
                    s.region.map_or("global", |r| r.as_str()).to_owned(),
                    if s.disabled {
                        "disabled".into()
                    } else {
                        "active".into()
                    },
                ]
            })
            .collect();
        crate::out!(
            "{}",
            table(&["ID", "USERNAME", "EMAIL", "REGION", "STATUS"], &rows)
        );
    }
    Ok(0)
}

async fn audit(ctx: &Ctx, args: super::AuditArgs) -> Result<u8, CliError> {
    use super::AuditFormat;
    let format = if ctx.json {
        AuditFormat::Json
    } else {
        args.format
    };
    let policy = match &args.policy {
        Some(p) => {
            let text = crate::fsutil::read_to_string_capped(p, crate::fsutil::MAX_INPUT)
                .map_err(|e| CliError::Usage(format!("cannot read policy {}: {e}", p.display())))?;
            Some(
                crate::policy::parse(&text)
                    .map_err(|e| CliError::Usage(format!("policy {}: {e}", p.display())))?,
            )
        }
        None => None,
    };
    let old = match &args.since {
        Some(p) => {
            // an earlier audit: a 10 000-key account's JSON is some 10 MB
            let text = crate::fsutil::read_to_string_capped(p, 64 * crate::fsutil::MAX_INPUT)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", p.display())))?;
            Some(
                crate::audit::parse_old(&text)
                    .map_err(|e| CliError::Usage(format!("{}: {e}", p.display())))?,
            )
        }
        None => None,
    };
    let subusers: Vec<(String, Option<crate::api::Region>)> = if args.all_subusers {
        ctx.client
            .list_subusers()
            .await
            .map_err(|e| CliError::api("listing subusers for --all-subusers", e))?
            .into_iter()
            .map(|s| (s.username, s.region))
            .collect()
    } else {
        Vec::new()
    };
    let progress = std::sync::Mutex::new(None::<Progress>);
    let on_progress = |done: usize, total: usize| {
        if let Ok(mut p) = progress.lock() {
            let bar = p.get_or_insert_with(|| Progress::new("auditing", total));
            while bar.done() < done {
                bar.tick();
            }
        }
    };
    let report = crate::audit::collect(&ctx.client, &subusers, &on_progress).await;
    if let Ok(p) = progress.lock()
        && let Some(p) = p.as_ref()
    {
        p.finish();
    }
    let with_context = args.all_subusers;
    let rendered = match format {
        AuditFormat::Table => crate::audit::to_table(&report, with_context),
        AuditFormat::Json => output::json_text(&report).map_err(io)? + "\n",
        AuditFormat::Csv => crate::audit::to_csv(&report),
        AuditFormat::Markdown => crate::audit::to_markdown(&report),
    };
    // Server text never reaches a file raw either (JSON escapes it, the others replace it).
    let rendered = crate::text::clean_block(&rendered).into_owned();
    let extra_output = policy.is_some() || old.is_some();
    match &args.out {
        Some(path) => {
            write_file(path, &rendered)?;
            crate::errln!(
                "Wrote the audit of {} keys to {}",
                report.keys.len(),
                path.display()
            );
        }
        None if !extra_output => crate::out!("{rendered}"),
        None => {}
    }
    let mut code = 0;
    if let Some(old) = &old {
        let changes = crate::audit::changes(old, &report);
        if format == AuditFormat::Json {
            output::print_json(&json!({ "changes": changes })).map_err(io)?;
        } else {
            crate::out!("{}", crate::audit::changes_text(&changes));
        }
    }
    if let Some(policy) = &policy {
        let violations = crate::policy::check(policy, &report);
        if format == AuditFormat::Json {
            output::print_json(&json!({ "violations": violations })).map_err(io)?;
        } else {
            crate::out!("{}", crate::policy::report(&violations));
        }
        if !violations.is_empty() {
            code = 1;
        }
    }
    if !report.complete() {
        for c in report.contexts.iter().filter(|c| c.error.is_some()) {
            crate::errln!(
                "sgkeys: audit incomplete for {}: {}",
                c.context.as_deref().unwrap_or("the account"),
                c.error.as_deref().unwrap_or("")
            );
        }
        return Err(CliError::Failed(
            "the audit is incomplete (see above)".into(),
        ));
    }
    Ok(code)
}

/// Write a file atomically enough for reports: temp file in the same directory, then rename.
fn write_file(path: &std::path::Path, text: &str) -> Result<(), CliError> {
    // The error names the path already.
    crate::fsutil::write_output(path, text.as_bytes())
        .map_err(|e| CliError::Io(format!("cannot write {e}")))
}

async fn diff(ctx: &Ctx, a: &str, b: Option<&str>, preset: Option<&str>) -> Result<u8, CliError> {
    let a_id = check_id(a)?;
    let left = ctx
        .client
        .get_key(&a_id)
        .await
        .map_err(|e| CliError::api(format!("reading key {a_id}"), e))?;
    let (right_label, right_scopes) = match (b, preset) {
        (Some(b), _) => {
            let b_id = check_id(b)?;
            let right = ctx
                .client
                .get_key(&b_id)
                .await
                .map_err(|e| CliError::api(format!("reading key {b_id}"), e))?;
            (
                format!("{} ({})", right.name, right.api_key_id),
                right.scopes,
            )
        }
        (None, Some(p)) => {
            let found = crate::presets::PRESETS
                .iter()
                .find(|x| x.name.eq_ignore_ascii_case(p))
                .ok_or_else(|| {
                    let names: Vec<&str> = crate::presets::PRESETS.iter().map(|x| x.name).collect();
                    CliError::Usage(format!("no preset '{p}'; presets: {}", names.join(", ")))
                })?;
            (
                format!("preset '{}'", found.name),
                found.scopes().into_iter().collect(),
            )
        }
        (None, None) => return Err(CliError::Usage("give a second key id or --preset".into())),
    };
    let d = crate::scopes::scope_diff(
        &format!("{} ({})", left.name, left.api_key_id),
        &left.scopes,
        &right_label,
        &right_scopes,
    );
    if ctx.json {
        output::print_json(&d).map_err(io)?;
        return Ok(0);
    }
    crate::outln!("A  {}\nB  {}\n", clean(&d.left), clean(&d.right));
    let rows: Vec<Vec<String>> = d
        .categories
        .iter()
        .map(|c| {
            let mark = if c.left == c.right && c.only_left.is_empty() && c.only_right.is_empty() {
                " "
            } else {
                "≠"
            };
            vec![
                mark.to_owned(),
                c.label.to_owned(),
                c.left.short().to_owned(),
                c.right.short().to_owned(),
                c.only_left
                    .iter()
                    .map(|s| format!("-{s}"))
                    .chain(c.only_right.iter().map(|s| format!("+{s}")))
                    .collect::<Vec<_>>()
                    .join(" "),
            ]
        })
        .collect();
    crate::out!(
        "{}",
        table(
            &["", "CATEGORY", "A", "B", "ONLY IN A (-) / ONLY IN B (+)"],
            &rows
        )
    );
    crate::outln!(
        "\n{} in common, {} only in A, {} only in B",
        d.common,
        d.only_left.len(),
        d.only_right.len()
    );
    Ok(0)
}

fn show_journal(journal: &Journal, json_out: bool, limit: Option<usize>) -> Result<u8, CliError> {
    let contents = journal.read().map_err(|e| CliError::Io(e.to_string()))?;
    for w in &contents.warnings {
        crate::errln!("sgkeys: warning: {}", clean(w));
    }
    let entries = contents.entries;
    let skip = limit.map_or(0, |n| entries.len().saturating_sub(n));
    let entries = &entries[skip..];
    if json_out {
        output::print_json(&entries).map_err(io)?;
        return Ok(0);
    }
    if entries.is_empty() {
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
    crate::out!(
        "{}",
        table(
            &["TIME", "ACTION", "ID", "WHAT", "RESULT", "CONTEXT", "FROM"],
            &rows
        )
    );
    crate::errln!("{} entries in {}", entries.len(), journal.path().display());
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

async fn recreate(ctx: &Ctx, id: &str) -> Result<u8, CliError> {
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
    ctx.refuse_if_read_only("recreate")?;
    // act where the key lived, unless told otherwise
    let client = match (&entry.on_behalf_of, ctx.client.on_behalf_of()) {
        (Some(o), None) => ctx.client.acting_as(OnBehalfOf::parse(o).ok()),
        _ => ctx.client.clone(),
    };
    let done = ctx
        .ops
        .acting_as(client)
        .run(Mutation::Create {
            name: name.clone(),
            scopes: Some(scopes),
            replaces: Some(id.clone()),
        })
        .await;
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

fn scopes_catalog(json_out: bool) -> Result<u8, CliError> {
    if json_out {
        let cats: Vec<serde_json::Value> = scopes::categories()
            .iter()
            .map(|c| {
                json!({"id": c.id, "label": c.label, "docs_name": c.docs_name, "billing": c.billing,
                             "read": c.read, "full": c.full})
            })
            .collect();
        output::print_json(&json!({"categories": cats, "auto_assigned": scopes::auto_assigned()}))
            .map_err(io)?;
        return Ok(0);
    }
    for c in scopes::categories() {
        crate::outln!(
            "{} ({}){}",
            c.label,
            c.id,
            if c.billing {
                " — billing, exclusive"
            } else {
                ""
            }
        );
        crate::outln!("  read: {}", c.read.join(" "));
        if c.has_write() {
            let extra: Vec<&str> = c
                .full
                .iter()
                .copied()
                .filter(|s| !c.read.contains(s))
                .collect();
            crate::outln!("  full: + {}", extra.join(" "));
        }
    }
    crate::outln!(
        "Auto-assigned (never granted or sent): {}",
        scopes::auto_assigned().join(" ")
    );
    Ok(0)
}

fn io(e: std::io::Error) -> CliError {
    CliError::Io(e.to_string())
}
