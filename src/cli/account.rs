//! `whoami`, `subusers`, `scopes` and `diff`: the caller, the account, the catalog, two keys side by side.

use serde_json::json;

use super::commands::{Online, Run};
use super::{CliError, DiffArgs, Format, Global, ScopesArgs, SubusersArgs, WhoamiArgs};
use crate::api::OnBehalfOf;
use crate::output::{self, clean, table};
use crate::scopes::{self, KeyType, Level};
use crate::text::plural;

use super::context::*;

impl Online for WhoamiArgs {
    const SCOPE: Option<&'static str> = None;
    async fn run(self, ctx: &Ctx) -> Result<u8, CliError> {
        whoami(ctx).await
    }
}

pub(crate) async fn whoami(ctx: &Ctx) -> Result<u8, CliError> {
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

impl Online for SubusersArgs {
    const SCOPE: Option<&'static str> = Some("subusers.read");
    async fn run(self, ctx: &Ctx) -> Result<u8, CliError> {
        subusers(ctx, self.format.resolve(ctx.json, None)?).await
    }
}

pub(crate) async fn subusers(ctx: &Ctx, format: Format) -> Result<u8, CliError> {
    let subs = ctx
        .client
        .list_subusers()
        .await
        .map_err(|e| CliError::api("listing subusers", e))?;
    if format == Format::Json {
        output::print_json(&subs).map_err(io)?;
    } else if subs.is_empty() && format == Format::Table {
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
        let headers = ["ID", "USERNAME", "EMAIL", "REGION", "STATUS"];
        crate::out!("{}", render(format, &headers, &rows));
    }
    Ok(0)
}

/// A listing as a table, CSV (lower-case headers) or Markdown (JSON is each command's own).
pub(crate) fn render(format: Format, headers: &[&str], rows: &[Vec<String>]) -> String {
    match format {
        Format::Csv => {
            let mut out =
                output::csv_row(&headers.iter().map(|h| h.to_lowercase()).collect::<Vec<_>>());
            for r in rows {
                out.push_str(&output::csv_row(r));
            }
            out
        }
        Format::Markdown => output::markdown_table(headers, rows),
        Format::Table | Format::Json => table(headers, rows),
    }
}

impl Online for DiffArgs {
    const SCOPE: Option<&'static str> = Some("api_keys.read");
    async fn run(self, ctx: &Ctx) -> Result<u8, CliError> {
        diff(ctx, &self.a, self.b.as_deref(), self.preset.as_deref()).await
    }
}

pub(crate) async fn diff(
    ctx: &Ctx,
    a: &str,
    b: Option<&str>,
    preset: Option<&str>,
) -> Result<u8, CliError> {
    let a_id = check_id(a)?;
    let left = ctx
        .get_key(&a_id)
        .await
        .map_err(|e| CliError::api(format!("reading key {a_id}"), e))?;
    let (right_label, right_scopes) = match (b, preset) {
        (Some(b), _) => {
            let b_id = check_id(b)?;
            let right = ctx
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
    // As diff(1): 0 when the same, 1 when they differ (2 is a usage error).
    let code = u8::from(!(d.only_left.is_empty() && d.only_right.is_empty()));
    if ctx.json {
        output::print_json(&d).map_err(io)?;
        return Ok(code);
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
    Ok(code)
}

impl Run for ScopesArgs {
    async fn run(self, global: &Global) -> Result<u8, CliError> {
        scopes_catalog(self.format.resolve(global.json, None)?)
    }
}

pub(crate) fn scopes_catalog(format: Format) -> Result<u8, CliError> {
    if matches!(format, Format::Csv | Format::Markdown) {
        let rows: Vec<Vec<String>> = scopes::categories()
            .iter()
            .map(|c| {
                vec![
                    c.id.to_owned(),
                    c.label.to_owned(),
                    c.billing.to_string(),
                    c.read.join(" "),
                    c.full.join(" "),
                ]
            })
            .collect();
        crate::out!(
            "{}",
            render(format, &["ID", "LABEL", "BILLING", "READ", "FULL"], &rows)
        );
        return Ok(0);
    }
    if format == Format::Json {
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
