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
    let sweep = ctx.recorder().map(|r| (r, r.sweep_start("audit")));
    let report = crate::audit::collect(&ctx.client, &subusers, &on_progress).await;
    if let Some((rec, id)) = sweep {
        super::inventory_cmd::record_audit(rec, id, &report, &subusers);
    }
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
pub(crate) fn write_file(path: &std::path::Path, text: &str) -> Result<(), CliError> {
    // The error names the path already.
    crate::fsutil::write_output(path, text.as_bytes())
        .map_err(|e| CliError::Io(format!("cannot write {e}")))
}
