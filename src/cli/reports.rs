//! `audit` (table, JSON, CSV, Markdown, HTML, OpenMetrics; policies; `--since`), the sweep it
//! shares with `export`, and the files reports are written to.

use serde_json::json;

use super::CliError;
use super::commands::Online;
use crate::output;

use super::context::*;

/// What `audit` was asked besides the report: its format, a policy, and what to compare with.
pub(crate) struct Asked {
    pub format: super::AuditFormat,
    policy: Option<crate::policy::Policy>,
    pub since: Option<Since>,
}

/// `audit --since`: an earlier report (a file), or a time answered from the inventory.
pub(crate) enum Since {
    File(crate::audit::OldAudit),
    Time(std::time::SystemTime),
}

impl Asked {
    pub(crate) fn new(args: &super::AuditArgs, json: bool) -> Result<Asked, CliError> {
        let format = args.format.resolve(json)?;
        let policy = match &args.policy {
            Some(p) => {
                let text = crate::fsutil::read_to_string_capped(p, crate::fsutil::MAX_INPUT)
                    .map_err(|e| {
                        CliError::Usage(format!("cannot read policy {}: {e}", p.display()))
                    })?;
                Some(
                    crate::policy::parse(&text)
                        .map_err(|e| CliError::Usage(format!("policy {}: {e}", p.display())))?,
                )
            }
            None => None,
        };
        let since = match &args.since {
            // a file that exists is an earlier report, as before; anything else a time
            Some(p) if p.exists() => {
                // an earlier audit: a 10 000-key account's JSON is some 10 MB
                let text = crate::fsutil::read_to_string_capped(p, 64 * crate::fsutil::MAX_INPUT)
                    .map_err(|e| {
                    CliError::Usage(format!("cannot read {}: {e}", p.display()))
                })?;
                Some(Since::File(crate::audit::parse_old(&text).map_err(
                    |e| CliError::Usage(format!("{}: {e}", p.display())),
                )?))
            }
            Some(p) => match p.to_str().and_then(super::since::parse_when) {
                Some(t) => Some(Since::Time(t)),
                None => {
                    return Err(CliError::Usage(format!(
                        "--since {}: no such file, and not a time (a duration ago such as 2h \
                         or 30m, or an RFC 3339 time such as 2026-11-28T01:00:00Z)",
                        crate::output::clean(&p.display().to_string())
                    )));
                }
            },
            None => None,
        };
        Ok(Asked {
            format,
            policy,
            since,
        })
    }
}

impl Online for super::AuditArgs {
    const SCOPE: Option<&'static str> = Some("api_keys.read");
    async fn run(self, ctx: &Ctx) -> Result<u8, CliError> {
        audit(ctx, self).await
    }
}

pub(crate) async fn audit(ctx: &Ctx, args: super::AuditArgs) -> Result<u8, CliError> {
    let asked = Asked::new(&args, ctx.json)?;
    if matches!(asked.since, Some(Since::Time(_))) && ctx.inventory.is_none() {
        return Err(CliError::Usage(
            "audit --since with a time is answered from the inventory, and none is kept \
             (--no-inventory); give an earlier `audit --format json` report instead"
                .into(),
        ));
    }
    if asked.format == super::AuditFormat::Ndjson {
        if args.out.is_some() || asked.policy.is_some() || asked.since.is_some() {
            return Err(CliError::Usage(
                "--format ndjson prints each key on stdout as it arrives: it goes without \
                 --out, --policy and --since, which need the whole audit"
                    .into(),
            ));
        }
        return stream(ctx, args.all_subusers).await;
    }
    let (report, _) = sweep(ctx, args.all_subusers, "audit", "auditing").await?;
    let since = match &asked.since {
        Some(Since::Time(t)) => match &ctx.inventory {
            Some(k) => Some(k.changes_since(&report, *t)?),
            None => None,
        },
        Some(Since::File(old)) => Some(super::since::SinceAnswer::file(crate::audit::changes(
            old, &report,
        ))),
        None => None,
    };
    finish(&args, &asked, &report, since)
}

/// Print (or write) the report, what changed, the policy's verdict; exit 1 on a violation or
/// an incomplete audit.
pub(crate) fn finish(
    args: &super::AuditArgs,
    asked: &Asked,
    report: &crate::audit::Audit,
    since: Option<super::since::SinceAnswer>,
) -> Result<u8, CliError> {
    use super::AuditFormat;
    let format = asked.format;
    let with_context = args.all_subusers;
    let rendered = match format {
        AuditFormat::Table => crate::audit::to_table(report, with_context),
        AuditFormat::Json => output::json_text(report).map_err(io)? + "\n",
        AuditFormat::Csv => crate::audit::to_csv(report),
        AuditFormat::Markdown => crate::audit::to_markdown(report),
        AuditFormat::Html => crate::audit::html::render(report),
        AuditFormat::Openmetrics => crate::audit::openmetrics::render(report),
        AuditFormat::Ndjson => report
            .keys
            .iter()
            .filter_map(|k| serde_json::to_string(k).ok())
            .map(|l| l + "\n")
            .collect(),
    };
    // Server text never reaches a file raw either (JSON escapes it, the others replace it).
    let rendered = crate::text::clean_block(&rendered).into_owned();
    let extra_output = asked.policy.is_some() || since.is_some();
    match &args.out {
        Some(path) => {
            write_file(path, &rendered)?;
            let unread = report.count_unread();
            crate::errln!(
                "Wrote the audit of {}{} to {}",
                crate::text::plural(report.keys.len(), "key", "keys"),
                if unread > 0 {
                    format!(" ({unread} could not be read)")
                } else {
                    String::new()
                },
                path.display()
            );
        }
        None if !extra_output => crate::out!("{rendered}"),
        None => {}
    }
    let mut code = 0;
    if let Some(since) = &since {
        if format == AuditFormat::Json {
            let v = match &since.baselines {
                None => json!({ "changes": since.changes }),
                Some(b) => json!({ "changes": since.changes, "baselines": b }),
            };
            output::print_json(&v).map_err(io)?;
        } else if let Some(heading) = &since.heading {
            let mut c = since.changes.clone();
            c.old_generated_at = Some(heading.clone());
            crate::out!("{}", crate::audit::changes_text(&c));
        } else {
            crate::out!("{}", crate::audit::changes_text(&since.changes));
        }
    }
    if let Some(policy) = &asked.policy {
        let violations = crate::policy::check(policy, report);
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
        // The table names each key it could not read; the other formats get them here.
        let listed_in_report = format == AuditFormat::Table && args.out.is_none();
        for c in &report.contexts {
            let who = c.context.as_deref().unwrap_or("the account");
            if c.listed.is_none() {
                crate::errln!(
                    "sgkeys: audit incomplete: the keys of {who} could not be listed: {}",
                    c.error.as_deref().unwrap_or_default()
                );
            } else if c.unread > 0 {
                crate::errln!(
                    "sgkeys: audit incomplete: {} of the {} keys of {who} could not be read \
                     (their type and risk are unknown){}",
                    c.unread,
                    c.keys + c.unread,
                    if listed_in_report {
                        " — listed above as NOT READ"
                    } else {
                        ":"
                    }
                );
                if listed_in_report {
                    continue;
                }
                for k in report
                    .keys
                    .iter()
                    .filter(|k| k.context == c.context && k.unread.is_some())
                {
                    crate::errln!(
                        "  {} ({}): {}",
                        k.report.api_key_id,
                        crate::output::clean(&k.report.name),
                        k.unread.as_deref().unwrap_or_default()
                    );
                }
            }
        }
        let hint = report
            .keys
            .iter()
            .find_map(|k| k.unread.as_ref())
            .map(|_| "run the audit again; raise --timeout if the keys timed out".to_owned());
        if let Some(h) = hint {
            crate::errln!("hint: {h}");
        }
        let unlisted = report
            .contexts
            .iter()
            .filter(|c| c.listed.is_none())
            .count();
        return Err(CliError::Failed(format!(
            "the audit is incomplete: {} of {} keys read{}",
            report.keys.len() - report.count_unread(),
            report.keys.len(),
            if unlisted > 0 {
                format!(
                    ", {} not listed",
                    crate::text::plural(unlisted, "context", "contexts")
                )
            } else {
                String::new()
            }
        )));
    }
    Ok(code)
}

/// Every key of the context sgkeys points at (and with `all_subusers`, of every subuser) read
/// with its scopes: the one sweep behind `audit` and `export`, through the fetch engine
/// ([`crate::audit::collect`]), with a progress counter (`label`) on a terminal, recorded in the
/// inventory as a sweep of `kind`. With the audit, the subusers it covered and their regions.
pub(crate) async fn sweep(
    ctx: &Ctx,
    all_subusers: bool,
    kind: &str,
    label: &str,
) -> Result<(crate::audit::Audit, Subusers), CliError> {
    let (sweep, subusers, kind) = prepare(ctx, all_subusers, kind).await?;
    let progress = crate::output::LazyProgress::new(label);
    let on_progress = |done: usize, total: usize| progress.update(done, total);
    let collected = super::signals::interruptible(crate::audit::collect_in(
        &ctx.client,
        &subusers,
        &on_progress,
        &sweep,
    ))
    .await;
    progress.finish();
    let Some(report) = collected else {
        return Err(super::sweeps::interrupted(ctx, &sweep, &kind));
    };
    super::sweeps::end(&sweep, report.complete());
    Ok((report, subusers))
}

/// `audit --format ndjson`: the sweep, each key printed as it arrives ([`crate::audit::stream`]);
/// what could not be read is said on stderr at the end (exit 1).
async fn stream(ctx: &Ctx, all_subusers: bool) -> Result<u8, CliError> {
    let emit = |k: crate::audit::AuditKey| {
        if let Ok(line) = serde_json::to_string(&k) {
            crate::outln!("{line}");
        }
    };
    let streamed = stream_sweep(ctx, all_subusers, "audit", "auditing", &emit).await?;
    if streamed.complete() {
        return Ok(0);
    }
    for c in &streamed.contexts {
        if let Some(e) = &c.error {
            let who = c.context.as_deref().unwrap_or("the account");
            crate::errln!("sgkeys: audit incomplete: {who}: {e}");
        }
    }
    Err(CliError::Failed(
        "the audit is incomplete: the lines with \"scopes_known\": false and an \"error\" \
         were listed but not read"
            .into(),
    ))
}

/// The sweep of `kind` (resumed, recorded, Ctrl-C keeping what was answered), each key handed
/// to `emit` the moment it is read, in bounded memory ([`crate::audit::stream`]): `audit
/// --format ndjson` and `list --scopes --format ndjson`.
pub(crate) async fn stream_sweep(
    ctx: &Ctx,
    all_subusers: bool,
    kind: &str,
    label: &str,
    emit: &(dyn Fn(crate::audit::AuditKey) + Sync),
) -> Result<crate::audit::Streamed, CliError> {
    let (sweep, subusers, kind) = prepare(ctx, all_subusers, kind).await?;
    let progress = crate::output::LazyProgress::new(label);
    let on_progress = |done: usize, total: usize| progress.update(done, total);
    let streamed = super::signals::interruptible(crate::audit::stream(
        &ctx.client,
        &subusers,
        &on_progress,
        &sweep,
        emit,
    ))
    .await;
    progress.finish();
    let Some(streamed) = streamed else {
        return Err(super::sweeps::interrupted(ctx, &sweep, &kind));
    };
    super::sweeps::end(&sweep, streamed.complete());
    Ok(streamed)
}

/// The sweep's set-up: an interrupted run of the same command found (`kind`, with
/// `--all-subusers` when asked), the subusers listed (or taken from the run resumed), and the
/// run recorded with its contexts.
async fn prepare(
    ctx: &Ctx,
    all_subusers: bool,
    kind: &str,
) -> Result<(crate::resume::Sweep, Subusers, String), CliError> {
    let kind = if all_subusers {
        format!("{kind} --all-subusers")
    } else {
        kind.to_owned()
    };
    let start = super::sweeps::Start::find(ctx, &kind, &kind);
    let own = super::sweeps::own_context(ctx);
    let subusers: Subusers = match (all_subusers, start.subusers(&own)) {
        (false, _) => Vec::new(),
        (true, Some(resumed)) => resumed,
        (true, None) => ctx
            .client
            .list_subusers()
            .await
            .map_err(|e| CliError::api("listing subusers for --all-subusers", e))?
            .into_iter()
            .map(|s| (s.username, s.region))
            .collect(),
    };
    let mut contexts = vec![(own, None)];
    contexts.extend(subusers.iter().map(|(n, r)| (Some(n.clone()), *r)));
    let sweep = start.begin(ctx, &contexts);
    Ok((sweep, subusers, kind))
}

/// Subusers by name, with their regions when SendGrid said.
pub(crate) type Subusers = Vec<(String, Option<crate::api::Region>)>;

/// Write a file atomically enough for reports: temp file in the same directory, then rename.
pub(crate) fn write_file(path: &std::path::Path, text: &str) -> Result<(), CliError> {
    // The error names the path already.
    crate::fsutil::write_output(path, text.as_bytes())
        .map_err(|e| CliError::Io(format!("cannot write {e}")))
}
