//! `journal` and `recreate`: the record of every change, and replaying a revoked key's scopes.

use std::collections::BTreeSet;

use super::commands::{Online, Run};
use super::{CliError, Format, Global, JournalArgs, RecreateArgs};
use crate::api::OnBehalfOf;
use crate::journal::{Action, Journal, Outcome};
use crate::ops::{Effect, Mutation};
use crate::output::{self, clean};
use crate::text::plural;

use super::context::*;

/// Which entries `sgkeys journal` shows.
pub(crate) struct Select {
    limit: Option<usize>,
    /// Entries at or after this time.
    since: Option<std::time::SystemTime>,
    /// `Some(None)`: the key's own account only; `Some(Some(x))`: on-behalf-of `x` only.
    context: Option<Option<String>>,
}

impl Select {
    pub(crate) fn new(
        limit: Option<usize>,
        since: Option<&str>,
        context: Option<String>,
    ) -> Result<Select, CliError> {
        let since = match since {
            None => None,
            Some(s) => Some(match humantime::parse_duration(s.trim()) {
                Ok(d) => std::time::SystemTime::now()
                    .checked_sub(d)
                    .unwrap_or(std::time::UNIX_EPOCH),
                Err(_) => humantime::parse_rfc3339_weak(s.trim()).map_err(|_| {
                    CliError::Usage(format!(
                        "--since '{}': a duration ago (2h, 30m, 1d) or a time (2026-11-28T01:00:00Z)",
                        clean(s)
                    ))
                })?,
            }),
        };
        let context = context.map(|c| match c.as_str() {
            "own" | "" => None,
            other => Some(
                OnBehalfOf::parse(other)
                    .map(|o| o.header_value())
                    .unwrap_or_else(|_| other.to_owned()),
            ),
        });
        Ok(Select {
            limit,
            since,
            context,
        })
    }

    fn keeps(&self, e: &crate::journal::Entry) -> bool {
        let time_ok = self
            .since
            .is_none_or(|since| humantime::parse_rfc3339_weak(&e.time).is_ok_and(|t| t >= since));
        let ctx_ok = self
            .context
            .as_ref()
            .is_none_or(|c| e.in_its_context() && e.on_behalf_of.as_deref() == c.as_deref());
        time_ok && ctx_ok
    }
}

/// Where an entry acted: the host the request went to (an EU subuser's: the EU host), and the
/// account acted for.
fn place(e: &crate::journal::Entry) -> String {
    let url = e.sent_to.as_deref().unwrap_or(&e.base_url);
    let host = url.split("://").nth(1).unwrap_or(url).trim_end_matches('/');
    match &e.on_behalf_of {
        _ if !e.in_its_context() => format!("{host} [the key's own account: self-revoke]"),
        Some(o) => format!("{host} [{o}]"),
        None => host.to_owned(),
    }
}

/// A row of the `journal` table and CSV.
fn row(e: &crate::journal::Entry) -> Vec<String> {
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
        place(e),
        e.source.clone(),
    ]
}

const HEADERS: [&str; 7] = ["TIME", "ACTION", "ID", "WHAT", "RESULT", "CONTEXT", "FROM"];

/// Entries with an unknown outcome listed at the end of the table (the rest are counted).
const OPEN_LISTED: usize = 50;

/// Text for stdout, written in pieces of about 64 KiB.
struct Out(String);

impl Out {
    fn push(&mut self, s: &str) {
        self.0.push_str(s);
        if self.0.len() >= 1 << 16 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.0.is_empty() {
            crate::out!("{}", self.0);
            self.0.clear();
        }
    }
}

impl Run for JournalArgs {
    async fn run(self, global: &Global) -> Result<u8, CliError> {
        let shown = self.shown;
        let format = shown.format.resolve(global.json, None)?;
        let settings = crate::config::resolve(&global.overrides())?;
        let select = Select::new(shown.limit, shown.since.as_deref(), shown.context)?;
        show_journal(&Journal::new(settings.journal), format, &select)
    }
}

/// `sgkeys journal`: the journal read whole at any size in bounded memory (twice: first to
/// count, size the table's columns and see where rotations stand, then to write), except the
/// Markdown incident record, which holds the entries it shows.
pub(crate) fn show_journal(
    journal: &Journal,
    format: Format,
    select: &Select,
) -> Result<u8, CliError> {
    let read = |e: crate::journal::JournalError| CliError::Io(e.to_string());
    // 1. how many are selected, the shown rows' widths, where rotations stand
    let mut total = 0usize;
    let mut rotations = crate::journal::Pending::default();
    let limit = select.limit;
    let mut recent_widths: std::collections::VecDeque<Vec<String>> = Default::default();
    let mut columns = output::Columns::new(&HEADERS);
    // (JSON and CSV of every entry need no first pass)
    let whole = matches!(format, Format::Json | Format::Csv) && limit.is_none();
    let warnings = if whole {
        Ok(Vec::new())
    } else {
        journal.for_each(|e| {
            rotations.add(&e);
            if !select.keeps(&e) {
                return;
            }
            total += 1;
            if format == Format::Table {
                match limit {
                    // only the last `n` rows are shown: only they size the columns
                    Some(n) => {
                        recent_widths.push_back(row(&e));
                        if recent_widths.len() > n {
                            recent_widths.pop_front();
                        }
                    }
                    None => {
                        columns.measure(&row(&e));
                    }
                }
            }
        })
    }
    .map_err(read)?;
    for w in &warnings {
        crate::errln!("sgkeys: warning: {}", clean(w));
    }
    for r in &recent_widths {
        columns.measure(r);
    }
    let skip = limit.map_or(0, |n| total.saturating_sub(n));
    let shown = total - skip;
    if format == Format::Table && total == 0 {
        crate::outln!("The journal {} is empty.", journal.path().display());
        return Ok(0);
    }
    // 2. the selected entries, one at a time
    let mut out = Out(String::new());
    let mut index = 0usize;
    let mut open: Vec<crate::journal::Entry> = Vec::new();
    let mut open_more = 0usize;
    let mut markdown: Vec<crate::journal::Entry> = Vec::new();
    let mut first = true;
    let mut failed: Option<std::io::Error> = None;
    match format {
        Format::Csv => out.push(&output::csv_row(&HEADERS.map(str::to_lowercase))),
        Format::Json => out.push("["),
        Format::Table if shown > 0 => {
            out.push(&columns.line(&HEADERS.map(str::to_owned)));
        }
        _ => {}
    }
    let later = journal
        .for_each(|e| {
            if !select.keeps(&e) {
                return;
            }
            index += 1;
            if index <= skip {
                return;
            }
            match format {
                Format::Json => match serde_json::to_string_pretty(&e) {
                    Ok(text) => {
                        let text = crate::text::json_safe(&text);
                        out.push(if first { "\n  " } else { ",\n  " });
                        out.push(&text.replace('\n', "\n  "));
                        first = false;
                    }
                    Err(err) => failed = Some(std::io::Error::other(err)),
                },
                Format::Csv => out.push(&output::csv_row(&row(&e))),
                Format::Markdown => markdown.push(e),
                Format::Table => {
                    let cells = columns.measure(&row(&e));
                    out.push(&columns.line(&cells));
                    if e.result() == Outcome::Unknown {
                        if open.len() < OPEN_LISTED {
                            open.push(e);
                        } else {
                            open_more += 1;
                        }
                    }
                }
            }
        })
        .map_err(read)?;
    if whole {
        for w in &later {
            crate::errln!("sgkeys: warning: {}", clean(w));
        }
    }
    if let Some(e) = failed {
        return Err(io(e));
    }
    match format {
        Format::Json => {
            out.push(if first { "]\n" } else { "\n]\n" });
            out.flush();
            return Ok(0);
        }
        Format::Csv => {
            out.flush();
            return Ok(0);
        }
        Format::Markdown => {
            crate::out!(
                "{}",
                incident_record(journal, &markdown, &rotations.pending())
            );
            return Ok(0);
        }
        Format::Table => out.flush(),
    }
    crate::errln!(
        "{} in {}",
        if shown == total {
            plural(total, "entry", "entries")
        } else {
            format!("{shown} shown of {}", plural(total, "entry", "entries"))
        },
        journal.path().display()
    );
    let pending = rotations.pending();
    if !pending.is_empty() {
        crate::errln!(
            "{} (the old key still works): finish each with `sgkeys rotate --finish OLD_ID` once the \
             new key is deployed:",
            plural(pending.len(), "pending rotation", "pending rotations")
        );
        for e in &pending {
            crate::errln!(
                "  {} → {} '{}'  at {}{}",
                clean(e.replaces.as_deref().unwrap_or("?")),
                clean(&e.api_key_id),
                clean(e.name.as_deref().unwrap_or("")),
                clean(&e.base_url),
                e.on_behalf_of
                    .as_ref()
                    .map(|o| format!(" [{}]", clean(o)))
                    .unwrap_or_default()
            );
        }
    }
    let lost = rotations.lost();
    if !lost.is_empty() {
        crate::errln!(
            "{} whose secret was never delivered (secret lost): the old key is kept; revoke the \
             orphan replacement and rotate again:",
            plural(lost.len(), "rotation", "rotations")
        );
        for e in &lost {
            crate::errln!(
                "  {} → {} (orphan: sgkeys revoke {})",
                clean(e.replaces.as_deref().unwrap_or("?")),
                clean(&e.api_key_id),
                clean(&e.api_key_id)
            );
        }
    }
    if !open.is_empty() {
        crate::errln!(
            "{} with an unknown outcome (sgkeys stopped, or the answer was lost, before it could \
             tell): check each key:",
            plural(open.len() + open_more, "entry", "entries")
        );
        for e in &open {
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
        if open_more > 0 {
            crate::errln!("  … and {open_more} more (sgkeys journal --format json lists them)");
        }
    }
    Ok(0)
}

impl Online for RecreateArgs {
    // it lists the keys first (to settle an unknown outcome), but the POST is what a key
    // without the scope is refused
    const SCOPE: Option<&'static str> = Some("api_keys.create");
    async fn run(self, ctx: &Ctx) -> Result<u8, CliError> {
        recreate(ctx, &self.id, self.into_current, self.yes, self.dry).await
    }
}

pub(crate) async fn recreate(
    ctx: &Ctx,
    id: &str,
    into_current: bool,
    yes: bool,
    dry: super::DryRun,
) -> Result<u8, CliError> {
    let id = check_id(id)?;
    // the newest revocation of it, the journal read in bounded memory
    let mut newest = None;
    ctx.journal
        .for_each(|e| {
            if e.action == Action::Revoke && e.result() == Outcome::Ok && e.api_key_id == id.0 {
                newest = Some(e);
            }
        })
        .map_err(|e| CliError::Io(e.to_string()))?;
    let entry = newest.as_ref().ok_or_else(|| {
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
    // Act only where the key lived: a journal entry replayed into another endpoint or account
    // would mint a key in the wrong place.
    let here_endpoint = ctx.settings.base_url.trim_end_matches('/');
    let here_obo = ctx.client.on_behalf_of().map(OnBehalfOf::header_value);
    let there = |url: &str, obo: &Option<String>| match obo {
        Some(o) => format!("{} on behalf of '{}'", clean(url), clean(o)),
        None => clean(url).into_owned(),
    };
    if !entry.in_its_context() && !into_current {
        return Err(CliError::Usage(format!(
            "{id} was revoked with its own key in its own account (--self-revoke), which the key \
             sgkeys uses does not reach: recreate it there, or pass --into-current to recreate \
             it at {}",
            there(here_endpoint, &here_obo)
        )));
    }
    let elsewhere =
        entry.base_url.trim_end_matches('/') != here_endpoint || entry.on_behalf_of != here_obo;
    if elsewhere && !into_current {
        return Err(CliError::Usage(format!(
            "{id} was revoked at {}, but sgkeys points at {}: run it there (--base-url, \
             --on-behalf-of), or pass --into-current to recreate it here",
            there(&entry.base_url, &entry.on_behalf_of),
            there(here_endpoint, &here_obo)
        )));
    }
    let client = ctx.client.clone();
    let mutation = Mutation::Create {
        name: name.clone(),
        scopes: Some(scopes),
        replaces: Some(id.clone()),
    };
    if dry.dry_run {
        return print_dry_run_as(ctx, &client, &mutation);
    }
    ctx.refuse_if_read_only("recreate")?;
    if !yes {
        if !super::prompt::can_ask() {
            return Err(CliError::Usage(
                "refusing to recreate without confirmation: there is no terminal to ask on (pass \
                 --yes)"
                    .into(),
            ));
        }
        let n = match &mutation {
            Mutation::Create {
                scopes: Some(s), ..
            } => s.len(),
            _ => 0,
        };
        let answer = super::prompt::ask(&format!(
            "Recreate '{}' with {} at {}? A new secret is shown once. [y/N] ",
            clean(&name),
            crate::text::plural(n, "scope", "scopes"),
            there(here_endpoint, &here_obo)
        ))
        .map_err(|e| CliError::Io(e.to_string()))?;
        if !matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes") {
            crate::errln!("Nothing created.");
            return Ok(1);
        }
    }
    let done = ctx.ops.acting_as(client).run(mutation).await;
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

/// The journal as an incident record for a postmortem: a timeline (clock time, context, key,
/// scopes before and after, outcome, proof, replacements), then what is still open.
pub(crate) fn incident_record(
    journal: &Journal,
    entries: &[crate::journal::Entry],
    pending: &[&crate::journal::Entry],
) -> String {
    use crate::output::{md_code, md_text as md};
    let scopes = |v: &Option<Vec<String>>| match v {
        None => "—".to_owned(),
        Some(v) if v.is_empty() => "none".to_owned(),
        Some(v) if v.len() <= 4 => v.join(", "),
        Some(v) => format!("{}, … ({} scopes)", v[..3].join(", "), v.len()),
    };
    let mut o = String::from("# sgkeys incident record\n\n");
    let (first, last) = (
        entries.first().map_or("—", |e| e.time.as_str()),
        entries.last().map_or("—", |e| e.time.as_str()),
    );
    o.push_str(&format!(
        "- Journal: {}\n- {} from {} to {} (UTC)\n\n",
        md_code(&journal.path().display().to_string()),
        plural(entries.len(), "action", "actions"),
        md(first),
        md(last),
    ));
    o.push_str("## Timeline\n\n");
    o.push_str("| Time (UTC) | Action | Where | Key | Name | Scopes before | Scopes after | Outcome | Proof | Replaces |\n");
    o.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
    for e in entries {
        let outcome = match (e.result(), e.status) {
            _ if e.unresolved() => "**UNKNOWN**: no outcome recorded".to_owned(),
            (Outcome::Ok, Some(s)) => format!("ok ({s})"),
            (Outcome::Ok, None) => "ok".to_owned(),
            (Outcome::Unknown, _) => {
                format!("**UNKNOWN**: {}", md(e.error.as_deref().unwrap_or("")))
            }
            (Outcome::Failed, s) => format!(
                "FAILED{}: {}",
                s.map(|s| format!(" ({s})")).unwrap_or_default(),
                md(e.error.as_deref().unwrap_or(""))
            ),
        };
        let proof = match (e.verified, e.verified_after_ms) {
            (Some(true), Some(ms)) => format!("dead after {:.1} s", ms as f64 / 1000.0),
            (Some(false), Some(ms)) => {
                format!("**still authenticated** after {:.1} s", ms as f64 / 1000.0)
            }
            _ => match e.gone_on_read_back {
                Some(true) => "gone on read-back (404)".to_owned(),
                Some(false) => "**still listed** on read-back".to_owned(),
                None => "—".to_owned(),
            },
        };
        let time = e.time.get(11..19).unwrap_or(&e.time);
        o.push_str(&format!(
            "| {} {} | {} | {} | {} | {} | {} | {} | {outcome} | {proof} | {} |\n",
            md(e.time.get(..10).unwrap_or("")),
            md(time),
            e.action.label(),
            md(&place(e)),
            if e.api_key_id.is_empty() {
                "—".to_owned()
            } else {
                md_code(&e.api_key_id)
            },
            match (e.action, &e.name_before) {
                // a rename's old name is the one the incident's reports knew
                (Action::Rename, Some(before)) =>
                    format!("{} → {}", md(before), md(e.name.as_deref().unwrap_or("?"))),
                _ => md(e.name.as_deref().unwrap_or("")),
            },
            md(&scopes(&e.scopes_before)),
            md(&scopes(&e.scopes_after)),
            e.replaces.as_deref().map_or("—".to_owned(), md_code),
        ));
    }
    let open: Vec<&crate::journal::Entry> = entries
        .iter()
        .filter(|e| e.result() == Outcome::Unknown)
        .collect();
    if !pending.is_empty() || !open.is_empty() {
        o.push_str("\n## Still open\n\n");
        for e in pending {
            o.push_str(&format!(
                "- Rotation of {} → {} ('{}') at {}: the old key still works; finish with {}\n",
                md_code(e.replaces.as_deref().unwrap_or("?")),
                md_code(&e.api_key_id),
                md(e.name.as_deref().unwrap_or("")),
                md(&place(e)),
                md_code(&format!(
                    "sgkeys rotate --finish {}",
                    e.replaces.as_deref().unwrap_or("?")
                )),
            ));
        }
        for e in open {
            o.push_str(&format!(
                "- {} of {} at {}: outcome unknown; check with {}\n",
                e.action.label(),
                md_code(&e.api_key_id),
                md(&place(e)),
                md_code(&format!("sgkeys show {}", e.api_key_id)),
            ));
        }
    }
    o
}
