//! `export --format terraform`: the keys read by the audit's sweep, selected with `--filter`,
//! written as HCL ([`crate::export::terraform`]) to stdout or `--out`.
//!
//! A key that cannot be exported truthfully (its context could not be read in full, or the
//! server did not say its scopes) is never written with guessed scopes: the output holds the
//! keys that were read, a comment at its top names what is missing, stderr says it too, and
//! the exit status is 1.

use super::commands::Online;
use super::context::*;
use super::reports::{sweep, write_file};
use super::{CliError, ExportArgs, ExportFormat};
use crate::export::terraform;
use crate::query::Query;
use crate::text::plural;

impl Online for ExportArgs {
    const SCOPE: Option<&'static str> = Some("api_keys.read");
    async fn run(self, ctx: &Ctx) -> Result<u8, CliError> {
        export(ctx, self).await
    }
}

pub(crate) async fn export(ctx: &Ctx, args: ExportArgs) -> Result<u8, CliError> {
    if ctx.json {
        return Err(CliError::Usage(
            "--json and export ask for different output formats: export writes --format terraform"
                .into(),
        ));
    }
    let query = match &args.filter {
        Some(f) => super::select::parse_filter(f)?,
        None => Query::default(),
    };
    let (audit, subusers) = sweep(ctx, args.all_subusers, "export", "reading keys").await?;
    let selection = crate::export::select(&audit, &query);
    let text = match args.format {
        ExportFormat::Terraform => {
            // the contexts SendGrid serves on its EU host only
            let mut eu: std::collections::BTreeSet<Option<String>> = subusers
                .iter()
                .filter(|(_, r)| *r == Some(crate::api::Region::Eu))
                .map(|(name, _)| Some(name.clone()))
                .collect();
            if ctx.client.base_url().contains("api.eu.sendgrid.com") {
                eu.insert(audit.contexts.first().and_then(|c| c.context.clone()));
            }
            terraform::render(
                &audit,
                &selection,
                &terraform::Options {
                    generator: format!("sgkeys {}", super::LONG_VERSION),
                    // the caller's key is in the audit only when sgkeys acts for its own account
                    caller: ctx.client.caller_key_id().map(str::to_owned),
                    eu,
                },
            )
        }
    };
    let n = selection.keys.len();
    match &args.out {
        Some(path) => {
            write_file(path, &text)?;
            crate::errln!(
                "Wrote {} (resources and import blocks) to {}",
                plural(n, "key", "keys"),
                path.display()
            );
        }
        None => crate::out!("{text}"),
    }
    if n == 0 && selection.skipped.is_empty() && audit.complete() {
        match &args.filter {
            Some(f) => crate::errln!("No key matches --filter '{f}'."),
            None => crate::errln!("There are no keys to export."),
        }
    }
    if terraform::complete(&audit, &selection) {
        return Ok(0);
    }
    for c in audit.contexts.iter().filter(|c| c.error.is_some()) {
        crate::errln!(
            "sgkeys: export incomplete for {}: {}",
            c.context.as_deref().unwrap_or("the account"),
            c.error.as_deref().unwrap_or("")
        );
    }
    for s in &selection.skipped {
        crate::errln!(
            "sgkeys: key {} ({}) not exported: {}",
            s.api_key_id,
            s.name,
            s.reason
        );
    }
    Err(CliError::Failed(format!(
        "the export is incomplete: {} written, the rest named above and at the top of the output",
        plural(n, "key", "keys")
    )))
}
