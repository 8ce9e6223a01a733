//! `audit` (table, JSON, CSV, Markdown, HTML; policies; `--since`) and the files reports are written to.

use serde_json::json;

use super::CliError;
use crate::output::{self, Progress};

use super::context::*;

pub(crate) async fn audit(ctx: &Ctx, args: super::AuditArgs) -> Result<u8, CliError> {
    use super::AuditFormat;
    let format = args.format.resolve(ctx.json)?;
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
        AuditFormat::Html => crate::audit::html::render(&report),
    };
    // Server text never reaches a file raw either (JSON escapes it, the others replace it).
    let rendered = crate::text::clean_block(&rendered).into_owned();
    let extra_output = policy.is_some() || old.is_some();
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
        // The table names each key it could not read; the other formats get them here.
        let listed_in_report = format == AuditFormat::Table && args.out.is_none();
        for c in &report.contexts {
            let who = c.context.as_deref().unwrap_or("the account");
            if let Some(e) = &c.error {
                crate::errln!(
                    "sgkeys: audit incomplete: the keys of {who} could not be listed: {e}"
                );
            } else if c.unread > 0 {
                crate::errln!(
                    "sgkeys: audit incomplete: {} of the {} keys of {who} could not be read \
                     (their type and risk are unknown){}",
                    c.unread,
                    c.keys,
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
        let unlisted = report.contexts.iter().filter(|c| c.error.is_some()).count();
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

/// Write a file atomically enough for reports: temp file in the same directory, then rename.
pub(crate) fn write_file(path: &std::path::Path, text: &str) -> Result<(), CliError> {
    // The error names the path already.
    crate::fsutil::write_output(path, text.as_bytes())
        .map_err(|e| CliError::Io(format!("cannot write {e}")))
}
