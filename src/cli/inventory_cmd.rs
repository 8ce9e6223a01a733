//! The inventory on the command line: opened beside the journal for every API command (a
//! failure to open it is a warning, never a stop: revoke must work without it), `sgkeys
//! history [ID]`, and `sgkeys inventory path|clear`.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::json;

use super::{CliError, Format};
use crate::inventory::{self, EventRow, Inventory, Recorder, rfc3339};
use crate::output::{self, clean, table};
use crate::text::plural;

use super::context::io;

/// How long closing waits for the writer (another process holding the file) at the end of a
/// command.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// The inventory a command records into.
pub(crate) struct Kept {
    inv: Inventory,
    pub rec: Recorder,
}

impl Kept {
    /// Open the inventory at `path` (none: `--no-inventory`) for a run calling `base_url` with
    /// the key whose id is `caller_key_id`. Any trouble is a warning and no inventory.
    pub(crate) fn open(
        path: Option<&Path>,
        base_url: &str,
        caller_key_id: Option<&str>,
    ) -> Option<Kept> {
        let path = path?;
        let Some(caller) = caller_key_id else {
            // the account cannot be told apart from any other: record nothing
            tracing::info!("inventory: the API key has no id part; nothing is recorded");
            return None;
        };
        let opened =
            Inventory::open(path).and_then(|inv| Ok((inv.scope_for(base_url, caller)?, inv)));
        match opened {
            Ok((scope, inv)) => Some(Kept {
                rec: inv.recorder(scope),
                inv,
            }),
            Err(e) => {
                crate::errln!("sgkeys: warning: {e}; going on without it (nothing is recorded)");
                None
            }
        }
    }

    /// `audit --since TIME`: what changed in the report's contexts, from the inventory (this
    /// audit's answers written first).
    pub(crate) fn changes_since(
        &self,
        report: &crate::audit::Audit,
        t: SystemTime,
    ) -> Result<super::reports::SinceAnswer, CliError> {
        if !self.rec.flush(CLOSE_WAIT) {
            crate::errln!(
                "sgkeys: warning: the inventory is busy (another sgkeys process): this audit's \
                 answers may not be in the comparison yet"
            );
        }
        let reader = self
            .inv
            .reader()
            .map_err(|e| CliError::Failed(e.to_string()))?;
        let contexts: Vec<Option<String>> =
            report.contexts.iter().map(|c| c.context.clone()).collect();
        changes_since(&reader, self.rec.scope(), &contexts, millis(t))
    }

    /// The file.
    pub(crate) fn path(&self) -> &Path {
        self.inv.path()
    }

    /// A reader on its own connection (what this run recorded may not be written yet).
    pub(crate) fn reader(&self) -> Result<inventory::Reader, inventory::InventoryError> {
        self.inv.reader()
    }

    /// Write what was recorded; say what could not be.
    pub(crate) fn close(self) {
        let path = self.inv.path().to_path_buf();
        drop(self.rec);
        if let Some(w) = self.inv.close(CLOSE_WAIT).warning(&path) {
            crate::errln!("sgkeys: warning: {w}");
        }
    }
}

/// A time given as a duration ago (`2h`, `30m`, `1d`) or an RFC 3339 time.
pub(crate) fn parse_when(s: &str) -> Option<SystemTime> {
    match humantime::parse_duration(s.trim()) {
        Ok(d) => Some(
            SystemTime::now()
                .checked_sub(d)
                .unwrap_or(SystemTime::UNIX_EPOCH),
        ),
        Err(_) => humantime::parse_rfc3339_weak(s.trim()).ok(),
    }
}

/// [`SystemTime`] in inventory milliseconds.
pub(crate) fn millis(t: SystemTime) -> inventory::Millis {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as inventory::Millis)
}

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
    let since = match &args.since {
        Some(s) => Some(millis(parse_when(s).ok_or_else(|| {
            CliError::Usage(format!(
                "--since '{}': a duration ago (2h, 30m, 1d) or a time (2026-11-28T01:00:00Z)",
                clean(s)
            ))
        })?)),
        None => None,
    };
    let reader = Inventory::read_existing(path).map_err(|e| CliError::Failed(e.to_string()))?;
    let events = match &reader {
        Some(r) => r
            .events(&inventory::EventFilter {
                key_id: id.clone(),
                since,
                on_behalf_of: context_filter(args.context.clone()),
                context: None,
            })
            .map_err(|e| CliError::Failed(e.to_string()))?,
        None => Vec::new(),
    };
    let skip = args.limit.map_or(0, |n| events.len().saturating_sub(n));
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
        let filtered = if since.is_some() || args.context.is_some() {
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

/// One context's baseline for `audit --since TIME`: the last complete list read at or before
/// the time (`None`: there is none, so keys first seen since cannot be told from keys that
/// were always there).
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Baseline {
    pub context: Option<String>,
    pub complete_read_at: Option<String>,
}

/// The on-behalf-of value of an audit context (`acme` or `account-id 12`), as recorded.
fn header_of(context: &Option<String>) -> Option<String> {
    context.as_deref().map(|s| {
        crate::api::OnBehalfOf::parse(s)
            .map(|o| o.header_value())
            .unwrap_or_else(|_| s.to_owned())
    })
}

/// What changed in `contexts` of `scope` since `t`, from the inventory: keys first seen after
/// `t` (only where a complete list read at or before `t` is the baseline), keys gone after `t`,
/// renames and scope changes observed after `t`. Each context's baseline is said on stderr.
pub(crate) fn changes_since(
    reader: &inventory::Reader,
    scope: &inventory::Scope,
    contexts: &[Option<String>],
    t: inventory::Millis,
) -> Result<super::reports::SinceAnswer, CliError> {
    use crate::audit::{Changes, KeyRef, Renamed, ScopeChange};
    let failed = |e: inventory::InventoryError| CliError::Failed(e.to_string());
    let type_of = |scopes: Option<&[String]>| match scopes {
        Some(s) => crate::scopes::classify(s).key_type.badge().to_lowercase(),
        None => "unknown".to_owned(),
    };
    let mut changes = Changes {
        old_generated_at: Some(rfc3339(t)),
        ..Default::default()
    };
    let mut baselines = Vec::new();
    for context in contexts {
        let label = context.as_deref().unwrap_or("the account");
        let Some(row) = reader
            .context(&scope.place(header_of(context)))
            .map_err(failed)?
        else {
            crate::errln!("No baseline for {label}: the inventory never read it before.");
            baselines.push(Baseline {
                context: context.clone(),
                complete_read_at: None,
            });
            continue;
        };
        let base = reader.complete_read_before(row.id, t).map_err(failed)?;
        baselines.push(Baseline {
            context: context.clone(),
            complete_read_at: base.map(rfc3339),
        });
        match base {
            Some(b) => {
                let gap = match inventory::ago(b, t).as_str() {
                    "just now" => "at".to_owned(),
                    a => format!("{} before", a.trim_end_matches(" ago")),
                };
                crate::errln!(
                    "Baseline for {label}: its complete list read of {} ({gap} {}).",
                    rfc3339(b),
                    rfc3339(t)
                );
                for k in reader.first_seen_after(row.id, t).map_err(failed)? {
                    changes.added.push(KeyRef {
                        context: context.clone(),
                        key_type: type_of(k.scopes.as_deref()),
                        api_key_id: k.key_id,
                        name: k.name,
                    });
                }
            }
            None => {
                let first = reader.first_complete_read(row.id).map_err(failed)?;
                crate::errln!(
                    "No baseline for {label}: no complete list read of it from before {}{}; keys \
                     that appeared since cannot be told from keys that were always there.",
                    rfc3339(t),
                    first
                        .map(|f| format!(" (the first was {})", rfc3339(f)))
                        .unwrap_or_default()
                );
            }
        }
        for k in reader.gone_after(row.id, t).map_err(failed)? {
            changes.removed.push(KeyRef {
                context: context.clone(),
                key_type: type_of(k.scopes.as_deref()),
                api_key_id: k.key_id,
                name: k.name,
            });
        }
        let events = reader
            .events(&inventory::EventFilter {
                since: Some(t),
                context: Some(row.id),
                ..Default::default()
            })
            .map_err(failed)?;
        for e in events {
            match e.kind.as_str() {
                "renamed" => changes.renamed.push(Renamed {
                    context: context.clone(),
                    api_key_id: e.key_id,
                    from: e.name_before.unwrap_or_default(),
                    to: e.name.unwrap_or_default(),
                }),
                "scopes" => {
                    let before: std::collections::BTreeSet<String> = e
                        .scopes_before
                        .clone()
                        .unwrap_or_default()
                        .into_iter()
                        .collect();
                    let after: std::collections::BTreeSet<String> =
                        e.scopes.clone().unwrap_or_default().into_iter().collect();
                    let (from, to) = (
                        type_of(e.scopes_before.as_deref()),
                        type_of(e.scopes.as_deref()),
                    );
                    let (type_from, type_to) = if from == to {
                        (None, None)
                    } else {
                        (Some(from), Some(to))
                    };
                    changes.scopes_changed.push(ScopeChange {
                        context: context.clone(),
                        api_key_id: e.key_id,
                        name: e.name.unwrap_or_default(),
                        added: after.difference(&before).cloned().collect(),
                        removed: before.difference(&after).cloned().collect(),
                        type_from,
                        type_to,
                    });
                }
                _ => {}
            }
        }
    }
    let missing: Vec<&str> = baselines
        .iter()
        .filter(|b| b.complete_read_at.is_none())
        .map(|b| b.context.as_deref().unwrap_or("the account"))
        .collect();
    // "No changes since T" must not claim what nobody could see
    let heading = (!missing.is_empty()).then(|| {
        format!(
            "{}, where there is a baseline (none for {}: keys that appeared there cannot be \
             told)",
            rfc3339(t),
            missing.join(", ")
        )
    });
    Ok(super::reports::SinceAnswer {
        changes,
        baselines: Some(baselines),
        heading,
    })
}
