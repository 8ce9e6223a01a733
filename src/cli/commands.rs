//! One-shot commands. Each prints a human form by default and a stable JSON form with `--json`.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Read};

use futures_util::future::join_all;
use serde::Serialize;
use serde_json::json;

use super::output::{self, Progress, clean, csv_row, csv_text, table};
use super::{Cli, CliError, Command, CreateArgs, ListArgs, RevokeArgs};
use crate::api::{ApiError, ApiKeyId, Client, ClientOptions, KeyDetail, OnBehalfOf};
use crate::config::{self, Settings};
use crate::journal::{Action, Entry, Journal};
use crate::report::KeyReport;
use crate::scopes::{self, KeyType, Level};
use crate::secret;

/// What every API command needs.
pub(crate) struct Ctx {
    pub settings: Settings,
    pub client: Client,
    pub json: bool,
    pub journal: Journal,
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
        Ok(Ctx {
            settings,
            client,
            json: global.json,
            journal,
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

    fn entry(&self, action: Action, id: &str) -> Entry {
        Entry::new(
            action,
            &self.settings.base_url,
            self.client.on_behalf_of().map(OnBehalfOf::header_value),
            id,
            "cli",
        )
    }

    fn record(&self, entry: &Entry) -> Result<(), CliError> {
        self.journal
            .append(entry)
            .map_err(|e| CliError::Io(e.to_string()))
    }
}

pub async fn run(cli: Cli) -> Result<u8, CliError> {
    let Some(command) = cli.command else {
        return crate::tui::run_configured(&cli.global).await;
    };
    match command {
        Command::Sim(args) => return crate::tui::run_sim(args).await,
        Command::Demo(args) => return crate::tui::run_demo(&cli.global, args).await,
        Command::Scopes => return scopes_catalog(cli.global.json),
        Command::Completions { .. } => return Ok(0),
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
        Command::Subusers => subusers(&ctx).await,
        Command::Sim(_) | Command::Demo(_) | Command::Scopes | Command::Completions { .. } => Ok(0),
    }
}

fn check_id(id: &str) -> Result<ApiKeyId, CliError> {
    let id = id.trim();
    if secret::looks_like_key(id) {
        return Err(CliError::Usage(
            "that is a whole API key, not an id: use `sgkeys revoke --leaked` (reads it from stdin) \
             or pass only the middle part"
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
            print!("{out}");
        } else if keys.is_empty() {
            println!("No API keys in {}.", ctx.settings.context_label());
        } else {
            let rows: Vec<Vec<String>> = keys
                .iter()
                .map(|k| vec![k.api_key_id.0.clone(), k.name.clone()])
                .collect();
            print!("{}", table(&["ID", "NAME"], &rows));
            eprintln!("{} keys ({}/100)", keys.len(), keys.len());
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
        print!("{out}");
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
        print!(
            "{}",
            table(&["ID", "NAME", "TYPE", "SCOPES", "ACCESS"], &rows)
        );
    }
    if failures.is_empty() {
        Ok(0)
    } else {
        for f in &failures {
            eprintln!("sgkeys: could not read {f}");
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
            r.categories
                .get(c.id)
                .map(|l| format!("{} {}", c.label, l.short()))
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
        print!("{}", describe_key(&report));
    }
    Ok(0)
}

/// Human description of a key: type, per-category access, scopes.
pub(crate) fn describe_key(r: &KeyReport) -> String {
    let mut out = String::new();
    out.push_str(&format!("Name     {}\n", clean(&r.name)));
    out.push_str(&format!("ID       {}\n", r.api_key_id));
    out.push_str(&format!(
        "Type     {} ({} scopes)\n",
        r.key_type.label(),
        r.scopes.len()
    ));
    out.push_str("Access\n");
    let mut none = 0;
    for c in scopes::categories() {
        match r.categories.get(c.id) {
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
    let result = ctx.client.create_key(&name, scopes.as_deref()).await;
    let mut entry = ctx.entry(Action::Create, "");
    entry.name = Some(name.clone());
    match result {
        Ok(created) => {
            entry.api_key_id = created.api_key_id.0.clone();
            entry.scopes_after = Some(scopes::sendable(&created.scopes));
            entry.status = Some(201);
            entry.ok = true;
            ctx.record(&entry)?;
            let report = KeyReport::new(&KeyDetail {
                api_key_id: created.api_key_id.clone(),
                name: created.name.clone(),
                scopes: created.scopes.clone(),
            });
            if ctx.json {
                output::print_json(&json!({
                    "api_key_id": report.api_key_id,
                    "name": report.name,
                    "type": report.key_type,
                    "scopes": report.scopes,
                    "api_key": created.api_key.expose(),
                }))
                .map_err(io)?;
            } else {
                eprintln!(
                    "Created '{}' ({}), {} with {} scopes.",
                    clean(&report.name),
                    report.api_key_id,
                    report.key_type.label(),
                    report.scopes.len()
                );
                eprintln!("The secret below is shown only this once; store it now:");
                println!("{}", created.api_key.expose());
            }
            Ok(0)
        }
        Err(e) => {
            entry.status = e.status();
            entry.error = Some(e.short());
            ctx.record(&entry)?;
            Err(CliError::api(format!("creating '{}'", clean(&name)), e))
        }
    }
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
    let mut entry = ctx.entry(Action::Rename, &id.0);
    entry.name_before = Some(before.name.clone());
    entry.name = Some(name.clone());
    match ctx.client.rename_key(&id, &name).await {
        Ok(k) => {
            entry.status = Some(200);
            entry.ok = true;
            ctx.record(&entry)?;
            if ctx.json {
                output::print_json(&json!({"api_key_id": k.api_key_id, "name": k.name, "previous_name": before.name}))
                    .map_err(io)?;
            } else {
                println!(
                    "Renamed {id}: '{}' → '{}'",
                    clean(&before.name),
                    clean(&k.name)
                );
            }
            Ok(0)
        }
        Err(e) => {
            entry.status = e.status();
            entry.error = Some(e.short());
            ctx.record(&entry)?;
            Err(CliError::api(format!("renaming {id}"), e))
        }
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
    let mut entry = ctx.entry(Action::SetScopes, &id.0);
    entry.name = Some(before.name.clone());
    entry.scopes_before = Some(old.iter().cloned().collect());
    entry.scopes_after = Some(new.clone());
    match ctx.client.update_key(&id, &before.name, &new).await {
        Ok(after) => {
            entry.status = Some(200);
            entry.ok = true;
            ctx.record(&entry)?;
            let report = KeyReport::new(&after);
            if ctx.json {
                output::print_json(&json!({
                    "api_key_id": report.api_key_id, "name": report.name, "type": report.key_type,
                    "scopes": report.scopes, "added": added, "removed": removed,
                }))
                .map_err(io)?;
            } else {
                println!(
                    "Updated '{}' ({id}): now {} with {} scopes.",
                    clean(&before.name),
                    report.key_type.label(),
                    report.scopes.len()
                );
                for s in &added {
                    println!("  + {s}");
                }
                for s in &removed {
                    println!("  - {s}");
                }
                if added.is_empty() && removed.is_empty() {
                    println!("  (no change)");
                }
            }
            Ok(0)
        }
        Err(e) => {
            entry.status = e.status();
            entry.error = Some(e.short());
            ctx.record(&entry)?;
            Err(CliError::api(format!("updating scopes of {id}"), e))
        }
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
    /// would_revoke | revoked | not_found | failed
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
            contexts.extend(
                subs.into_iter()
                    .map(|s| ctx.client.acting_as(Some(OnBehalfOf::Subuser(s.username)))),
            );
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

    // Show what is about to go.
    if !ctx.json || !args.yes {
        let verb = if args.dry_run {
            "Would revoke"
        } else {
            "About to revoke"
        };
        eprintln!(
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
            let own = if ctx.client.caller_key_id() == Some(r.api_key_id.as_str())
                && t.client.on_behalf_of().is_none()
            {
                "  ← the key sgkeys is using"
            } else {
                ""
            };
            eprintln!(
                "  {}  {}  {} ({} scopes){ctxl}{own}",
                r.api_key_id,
                clean(&r.name),
                r.key_type.label(),
                r.scopes.len()
            );
            if args.leaked.is_some() {
                eprintln!(
                    "      scopes: {}",
                    crate::api::error::clip(&r.scopes.join(" "), 300)
                );
            }
        }
        for r in results.iter().filter(|r| r.status == "not_found") {
            eprintln!("  {}  (not found: already revoked?)", r.api_key_id);
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
        eprint!(
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
            eprintln!("Nothing revoked.");
            return Ok(1);
        }
    }
    let outcomes = join_all(
        targets
            .iter()
            .map(|t| t.client.delete_key(&t.detail.api_key_id)),
    )
    .await;
    for (t, outcome) in targets.iter().zip(outcomes) {
        let r = KeyReport::new(&t.detail);
        let mut entry = Entry::new(
            Action::Revoke,
            &ctx.settings.base_url,
            t.client.on_behalf_of().map(OnBehalfOf::header_value),
            &r.api_key_id,
            "cli",
        );
        entry.name = Some(r.name.clone());
        entry.scopes_before = Some(r.scopes.clone());
        let (status, error) = match &outcome {
            Ok(()) => {
                entry.status = Some(204);
                entry.ok = true;
                ("revoked", None)
            }
            Err(e) => {
                entry.status = e.status();
                entry.error = Some(e.short());
                ("failed", Some(e.to_string()))
            }
        };
        ctx.record(&entry)?;
        results.push(RevokeResult {
            api_key_id: r.api_key_id,
            name: Some(r.name),
            key_type: Some(r.key_type),
            on_behalf_of: t.client.on_behalf_of().map(OnBehalfOf::header_value),
            status,
            error,
        });
    }
    finish_revoke(ctx, false, results)
}

fn finish_revoke(ctx: &Ctx, dry_run: bool, results: Vec<RevokeResult>) -> Result<u8, CliError> {
    let failed = results
        .iter()
        .filter(|r| r.status == "failed" || r.status == "not_found")
        .count();
    if ctx.json {
        output::print_json(&json!({ "dry_run": dry_run, "results": results })).map_err(io)?;
    } else {
        for r in &results {
            match r.status {
                "revoked" => println!(
                    "revoked    {}  {}",
                    r.api_key_id,
                    clean(r.name.as_deref().unwrap_or(""))
                ),
                "would_revoke" => println!(
                    "would revoke  {}  {}",
                    r.api_key_id,
                    clean(r.name.as_deref().unwrap_or(""))
                ),
                "not_found" => println!("not found  {}", r.api_key_id),
                _ => println!(
                    "FAILED     {}  {}: {}",
                    r.api_key_id,
                    clean(r.name.as_deref().unwrap_or("")),
                    r.error.as_deref().unwrap_or("")
                ),
            }
        }
        if !dry_run && results.iter().any(|r| r.status == "revoked") {
            eprintln!("Recorded in the journal {}", ctx.journal.path().display());
        }
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

fn read_stdin_key() -> Result<String, CliError> {
    if std::io::stdin().is_terminal() {
        eprint!(
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
    println!("Endpoint   {}", ctx.settings.base_url);
    println!("Acting as  {}", ctx.settings.context_label());
    println!("Key        {}", ctx.client.caller_key_id().unwrap_or("?"));
    println!("Type       {} ({} scopes)", c.key_type.label(), c.counted);
    let yn = |b: bool| if b { "yes" } else { "no" };
    println!(
        "API keys   read {}  create {}  update {}  delete {}",
        yn(api("api_keys.read")),
        yn(api("api_keys.create")),
        yn(api("api_keys.update")),
        yn(api("api_keys.delete"))
    );
    println!(
        "Subusers   {}",
        if api("subusers.read") {
            "can list"
        } else {
            "cannot list"
        }
    );
    if ctx.settings.read_only {
        println!("Mode       read-only (changes are refused)");
    }
    let partial: Vec<String> = c
        .levels
        .iter()
        .filter(|l| l.level != Level::No)
        .map(|l| format!("{} {}", l.category.label, l.level.short()))
        .collect();
    if c.key_type == KeyType::Custom && !partial.is_empty() {
        println!("Access     {}", partial.join(", "));
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
        println!("No subusers.");
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
        print!(
            "{}",
            table(&["ID", "USERNAME", "EMAIL", "REGION", "STATUS"], &rows)
        );
    }
    Ok(0)
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
        println!(
            "{} ({}){}",
            c.label,
            c.id,
            if c.billing {
                " — billing, exclusive"
            } else {
                ""
            }
        );
        println!("  read: {}", c.read.join(" "));
        if c.has_write() {
            let extra: Vec<&str> = c
                .full
                .iter()
                .copied()
                .filter(|s| !c.read.contains(s))
                .collect();
            println!("  full: + {}", extra.join(" "));
        }
    }
    println!(
        "Auto-assigned (never granted or sent): {}",
        scopes::auto_assigned().join(" ")
    );
    Ok(0)
}

fn io(e: std::io::Error) -> CliError {
    CliError::Io(e.to_string())
}
