//! The inventory on the command line: `sgkeys history [ID]` and `sgkeys inventory path|clear`.

use std::path::Path;

use serde_json::json;

use super::commands::Run;
use super::{CliError, Format, Global, HistoryArgs, InventoryArgs};
use crate::inventory::{self, EventRow, Inventory, rfc3339};
use crate::output::{self, clean, table};
use crate::text::plural;

use super::context::io;

/// `--context`: `own` for the accounts themselves, else the on-behalf-of value.
pub(crate) fn context_filter(c: Option<String>) -> Option<Option<String>> {
    c.map(|c| match c.as_str() {
        "own" | "" => None,
        other => Some(
            crate::api::OnBehalfOf::parse(other)
                .map(|o| o.header_value())
                .unwrap_or_else(|_| other.to_owned()),
        ),
    })
}

/// `host` or `host [subuser]`.
pub(crate) fn place_label(p: &inventory::Place) -> String {
    let host = p
        .base_url
        .split("://")
        .nth(1)
        .unwrap_or(&p.base_url)
        .trim_end_matches('/');
    match &p.on_behalf_of {
        Some(o) => format!("{host} [{o}]"),
        None => host.to_owned(),
    }
}

impl Run for HistoryArgs {
    async fn run(self, global: &Global) -> Result<u8, CliError> {
        let format = self.shown.format.resolve(global.json, None)?;
        let settings = crate::config::resolve(&global.overrides())?;
        history(settings.inventory.as_deref(), &self, format)
    }
}

/// `sgkeys history [ID]`.
pub(crate) fn history(
    path: Option<&Path>,
    args: &super::HistoryArgs,
    format: Format,
) -> Result<u8, CliError> {
    let Some(path) = path else {
        return Err(CliError::Usage(
            "no inventory is kept (--no-inventory, SGKEYS_NO_INVENTORY or the profile's \
             no_inventory): there is no history to show"
                .into(),
        ));
    };
    let id = match &args.id {
        Some(id) => Some(super::context::check_id(id)?.0),
        None => None,
    };
    let since = match &args.shown.since {
        Some(s) => Some(super::since::millis(
            super::since::parse_when(s).ok_or_else(|| {
                CliError::Usage(format!(
                    "--since '{}': a duration ago (2h, 30m, 1d) or a time (2026-11-28T01:00:00Z)",
                    clean(s)
                ))
            })?,
        )),
        None => None,
    };
    let reader = Inventory::read_existing(path).map_err(|e| CliError::Failed(e.to_string()))?;
    let events = match &reader {
        Some(r) => r
            .events(&inventory::EventFilter {
                key_id: id.clone(),
                since,
                on_behalf_of: context_filter(args.shown.context.clone()),
                context: None,
            })
            .map_err(|e| CliError::Failed(e.to_string()))?,
        None => Vec::new(),
    };
    let skip = args
        .shown
        .limit
        .map_or(0, |n| events.len().saturating_sub(n));
    let shown = &events[skip..];
    match format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = shown.iter().map(event_json).collect();
            output::print_json(&rows).map_err(io)?;
            return Ok(0);
        }
        Format::Csv => {
            let headers = ["time", "context", "api_key_id", "event", "detail", "source"];
            let mut out = output::csv_row(&headers);
            for e in shown {
                out.push_str(&output::csv_row(&event_cells(e)));
            }
            crate::out!("{out}");
            return Ok(0);
        }
        Format::Table | Format::Markdown => {}
    }
    if events.is_empty() {
        let what = match (&id, reader.is_some()) {
            (Some(id), true) => format!("The inventory {} has never seen key {id}", path.display()),
            (None, true) => format!("The inventory {} holds no history", path.display()),
            (_, false) => format!(
                "The inventory {} is empty: nothing has been recorded yet",
                path.display()
            ),
        };
        let filtered = if since.is_some() || args.shown.context.is_some() {
            " (with these filters)"
        } else {
            ""
        };
        crate::outln!("{what}{filtered}.");
        return Ok(0);
    }
    let headers = ["TIME", "CONTEXT", "ID", "EVENT", "DETAIL", "SEEN BY"];
    let rows: Vec<Vec<String>> = shown.iter().map(event_cells).collect();
    if format == Format::Markdown {
        crate::out!("{}", output::markdown_table(&headers, &rows));
    } else {
        crate::out!("{}", table(&headers, &rows));
        crate::errln!(
            "{} in {}",
            if shown.len() == events.len() {
                plural(events.len(), "event", "events")
            } else {
                format!(
                    "{} shown of {}",
                    shown.len(),
                    plural(events.len(), "event", "events")
                )
            },
            path.display()
        );
    }
    Ok(0)
}

fn event_json(e: &EventRow) -> serde_json::Value {
    json!({
        "time": rfc3339(e.at),
        "base_url": e.context.base_url,
        "account": e.context.account,
        "on_behalf_of": e.context.on_behalf_of,
        "api_key_id": e.key_id,
        "event": e.kind,
        "source": e.source,
        "name": e.name,
        "name_before": e.name_before,
        "scopes": e.scopes,
        "scopes_before": e.scopes_before,
    })
}

/// What showed it, in words.
fn source_label(source: &str) -> &str {
    match source {
        "list" => "list read",
        "detail" => "key read",
        "not_found" => "404 on read",
        "create" => "sgkeys create",
        "rename" => "sgkeys rename",
        "set_scopes" => "sgkeys set-scopes",
        "revoke" => "sgkeys revoke",
        other => other,
    }
}

fn event_cells(e: &EventRow) -> Vec<String> {
    let name = e.name.clone().unwrap_or_default();
    let (event, detail) = match e.kind.as_str() {
        "first_seen" => {
            let scopes = e
                .scopes
                .as_ref()
                .map(|s| format!(" ({})", plural(s.len(), "scope", "scopes")))
                .unwrap_or_default();
            ("first seen", format!("'{name}'{scopes}"))
        }
        "renamed" => (
            "renamed",
            format!(
                "'{}' → '{name}'",
                e.name_before.as_deref().unwrap_or_default()
            ),
        ),
        "scopes" => {
            let before: std::collections::BTreeSet<&String> =
                e.scopes_before.iter().flatten().collect();
            let after: std::collections::BTreeSet<&String> = e.scopes.iter().flatten().collect();
            let mut parts: Vec<String> = after
                .difference(&before)
                .map(|s| format!("+{s}"))
                .chain(before.difference(&after).map(|s| format!("−{s}")))
                .collect();
            if parts.len() > 4 {
                let more = parts.len() - 3;
                parts.truncate(3);
                parts.push(format!("… {more} more"));
            }
            ("scopes changed", format!("'{name}': {}", parts.join(" ")))
        }
        "gone" => (
            "gone",
            match e.source.as_str() {
                "list" => format!("'{name}' not in a complete list"),
                "revoke" => format!("'{name}' revoked"),
                _ => format!("'{name}' answered 404"),
            },
        ),
        "back" => ("seen again", format!("'{name}' after being gone")),
        other => (other, name),
    };
    vec![
        rfc3339(e.at),
        place_label(&e.context),
        e.key_id.clone(),
        event.to_owned(),
        detail,
        source_label(&e.source).to_owned(),
    ]
}

impl Run for InventoryArgs {
    async fn run(self, global: &Global) -> Result<u8, CliError> {
        let settings = crate::config::resolve(&global.overrides())?;
        let path = settings.inventory.as_deref();
        match self.action {
            super::InventoryAction::Path => inventory_path(path, global.json),
            super::InventoryAction::Clear { yes } => inventory_clear(path, yes, global.json),
        }
    }
}

/// `sgkeys inventory path`.
pub(crate) fn inventory_path(path: Option<&Path>, json: bool) -> Result<u8, CliError> {
    let Some(path) = path else {
        if json {
            output::print_json(&json!({ "path": null, "kept": false })).map_err(io)?;
        } else {
            crate::errln!(
                "No inventory is kept (--no-inventory, SGKEYS_NO_INVENTORY or the profile's no_inventory)."
            );
        }
        return Ok(0);
    };
    let exists = path.exists();
    if json {
        output::print_json(&json!({ "path": path, "kept": true, "exists": exists })).map_err(io)?;
    } else {
        crate::outln!("{}", path.display());
        if !exists {
            crate::errln!("(not created yet: the first read records into it)");
        }
    }
    Ok(0)
}

/// `sgkeys inventory clear`: asks first (unless `--yes`), then removes the file and its WAL
/// companions. A damaged file can be cleared too.
pub(crate) fn inventory_clear(path: Option<&Path>, yes: bool, json: bool) -> Result<u8, CliError> {
    let Some(path) = path else {
        return Err(CliError::Usage(
            "no inventory is kept (--no-inventory): nothing to clear".into(),
        ));
    };
    if !path.exists() {
        if json {
            output::print_json(&json!({ "path": path, "cleared": false })).map_err(io)?;
        } else {
            crate::outln!(
                "The inventory {} does not exist: nothing to clear.",
                path.display()
            );
        }
        return Ok(0);
    }
    if !yes {
        let what = match Inventory::read_existing(path).and_then(|r| match r {
            Some(r) => r.counts().map(Some),
            None => Ok(None),
        }) {
            Ok(Some((contexts, live, gone))) => format!(
                " ({} and {} gone, in {})",
                plural(live as usize, "key", "keys"),
                gone,
                plural(contexts as usize, "context", "contexts")
            ),
            Ok(None) => String::new(),
            Err(e) => format!(" ({e})"),
        };
        let question = format!(
            "Delete the inventory {}{what}? Its history is lost; the next reads start a new one. [y/N] ",
            path.display()
        );
        if !super::prompt::can_ask() {
            return Err(CliError::Usage(
                "refusing to clear the inventory without confirmation: there is no terminal to \
                 ask on (pass --yes)"
                    .into(),
            ));
        }
        let answer = super::prompt::ask(&question).map_err(|e| CliError::Io(e.to_string()))?;
        if !matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes") {
            return Err(CliError::Failed("nothing deleted".into()));
        }
    }
    inventory::remove(path).map_err(|e| CliError::Failed(e.to_string()))?;
    if json {
        output::print_json(&json!({ "path": path, "cleared": true })).map_err(io)?;
    } else {
        crate::outln!("Deleted the inventory {}.", path.display());
    }
    Ok(0)
}
