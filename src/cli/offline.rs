//! `--offline`: `list`, `show` and `audit` answered from the inventory alone, without a
//! request. Every answer says how old it is (the context's last complete list read; a key's
//! own age where it differs), and never claims more than was seen: a key never read in detail
//! has unknown scopes (never "none"), a context never read completely makes the audit
//! incomplete.
//!
//! Which account: the one whose own list showed the configured key (read, never sent); with
//! no key at hand, the only account the inventory holds for the API host.

use std::collections::BTreeSet;

use serde_json::json;

use super::context::{check_id, io};
use super::keys::{describe_key, summary};
use super::{AuditArgs, CliError, Command, Format, Global, ListArgs, WiderFormat};
use crate::api::{ApiKeyId, KeyDetail};
use crate::config::{self, Settings};
use crate::inventory::{self, ContextRow, Inventory, KeyRow, Millis, Reader, Scope, ago, rfc3339};
use crate::output::{self, clean, csv_row, markdown_table, table};
use crate::report::KeyReport;
use crate::text::plural;

/// The inventory opened for one offline answer.
struct Offline {
    reader: Reader,
    scope: Scope,
    context: ContextRow,
    now: Millis,
}

/// `sgkeys --offline COMMAND`.
pub(crate) fn run(global: &Global, command: Command) -> Result<u8, CliError> {
    let settings = config::resolve(&global.overrides())?;
    match command {
        Command::List(args) => {
            let format = args.format.resolve(
                global.json,
                args.csv.then_some(("--csv", super::Format::Csv)),
            )?;
            // ndjson: the JSON's objects, one a line
            let ndjson = format.listing().is_none();
            let format = format.listing().unwrap_or(Format::Json);
            list(&open(&settings)?, &args, format, ndjson)
        }
        Command::Show(args) => show(&open(&settings)?, &args.id, global.json),
        Command::Audit(args) => audit(&open(&settings)?, &args, global.json),
        _ => Err(CliError::Usage(
            "--offline answers `list`, `show` and `audit` from the inventory (`history` and \
             `journal` need no SendGrid at all); this command needs SendGrid"
                .into(),
        )),
    }
}

fn failed(e: inventory::InventoryError) -> CliError {
    CliError::Failed(e.to_string())
}

fn open(settings: &Settings) -> Result<Offline, CliError> {
    let Some(path) = settings.inventory.as_deref() else {
        return Err(CliError::Usage(
            "--offline answers from the inventory, and none is kept (--no-inventory, \
             SGKEYS_NO_INVENTORY or the profile's no_inventory)"
                .into(),
        ));
    };
    let Some(reader) = Inventory::read_existing(path).map_err(failed)? else {
        return Err(CliError::Failed(format!(
            "the inventory {} is empty: nothing has been recorded yet; run `sgkeys list \
             --scopes` (or `sgkeys audit`) online first",
            path.display()
        )));
    };
    let scope = scope(settings, &reader)?;
    let obo = settings
        .on_behalf_of
        .as_ref()
        .map(crate::api::OnBehalfOf::header_value);
    let label = obo.clone().unwrap_or_else(|| "the account".into());
    let Some(context) = reader.context(&scope.place(obo)).map_err(failed)? else {
        return Err(CliError::Failed(format!(
            "the inventory {} has never read {label} at {}: run `sgkeys list` online once",
            path.display(),
            settings.base_url
        )));
    };
    Ok(Offline {
        reader,
        scope,
        context,
        now: inventory::now_ms(),
    })
}

/// `sgkeys --offline` (the dashboard): the inventory and the account it is read for; an error
/// when there is nothing to show (the dashboard would open empty).
pub(crate) fn recall(settings: &Settings) -> Result<crate::worker::Recall, CliError> {
    let o = open(settings)?;
    Ok(crate::worker::Recall {
        path: o.reader.path().to_path_buf(),
        scope: o.scope,
        offline: true,
        max_age: None,
    })
}

/// The account: the one whose own list showed the configured key, else the only one the
/// inventory holds at this host.
fn scope(settings: &Settings, reader: &Reader) -> Result<Scope, CliError> {
    let base = settings.base_url.clone();
    if let Ok(key) = settings.api_key()
        && let Some(id) = key.key_id()
    {
        let account = reader
            .account_of(&base, id)
            .map_err(failed)?
            .unwrap_or_else(|| format!("key:{id}"));
        return Ok(Scope {
            base_url: base,
            account,
        });
    }
    let accounts: BTreeSet<String> = reader
        .contexts()
        .map_err(failed)?
        .into_iter()
        .filter(|c| c.base_url == base)
        .map(|c| c.account)
        .collect();
    let mut it = accounts.into_iter();
    match (it.next(), it.next()) {
        (Some(account), None) => Ok(Scope {
            base_url: base,
            account,
        }),
        (None, _) => Err(CliError::Failed(format!(
            "the inventory holds nothing for {base}"
        ))),
        (Some(_), Some(_)) => Err(CliError::Usage(format!(
            "the inventory holds several accounts at {base}: give the API key \
             (SENDGRID_API_KEY, --api-key-cmd or the profile) so sgkeys can tell which; \
             offline it is only read, never sent"
        ))),
    }
}

/// "acme-eu" or "the account".
fn label(c: &ContextRow) -> String {
    c.on_behalf_of
        .clone()
        .unwrap_or_else(|| "the account".into())
}

/// Say on stderr how old a context's data is.
fn say_age(c: &ContextRow, now: Millis) {
    match c.list_read_at {
        Some(t) => crate::errln!(
            "Offline: {}'s keys as of its last complete list read, {} ({}).",
            clean(&label(c)),
            ago(t, now),
            rfc3339(t)
        ),
        None => crate::errln!(
            "Offline: {}'s key list was never read completely: only keys seen in other reads \
             are known.",
            clean(&label(c))
        ),
    }
    if let (Some(tried), Some(err)) = (c.list_tried_at, &c.list_error)
        && Some(tried) > c.list_read_at
    {
        crate::errln!(
            "The last try to read it, {}, failed: {}.",
            ago(tried, now),
            clean(err)
        );
    }
}

/// The key's own age, when it differs from its context's list read by more than a second.
fn own_age(k: &KeyRow, c: &ContextRow, now: Millis) -> Option<String> {
    match c.list_read_at {
        Some(t) if (k.last_seen - t).abs() <= 1000 => None,
        _ => Some(ago(k.last_seen, now)),
    }
}

fn detail_of(k: &KeyRow) -> KeyDetail {
    KeyDetail {
        api_key_id: ApiKeyId(k.key_id.clone()),
        name: k.name.clone(),
        scopes: k
            .scopes
            .as_deref()
            .map(<[String]>::to_vec)
            .unwrap_or_default(),
    }
}

fn keys_of(o: &Offline, c: &ContextRow) -> Result<Vec<KeyRow>, CliError> {
    let mut keys = Vec::new();
    o.reader
        .each_key(c.id, false, |k| keys.push(k))
        .map_err(failed)?;
    Ok(keys)
}

fn list(o: &Offline, args: &ListArgs, format: Format, ndjson: bool) -> Result<u8, CliError> {
    let c = &o.context;
    say_age(c, o.now);
    let mut keys = keys_of(o, c)?;
    if let Some(n) = args.limit {
        keys.truncate(n as usize);
    }
    let unknown = keys.iter().filter(|k| k.scopes.is_none()).count();
    if format == Format::Json {
        let rows: Vec<serde_json::Value> = keys
            .iter()
            .map(|k| {
                let mut v = json!({
                    "api_key_id": k.key_id,
                    "name": k.name,
                    "first_seen": rfc3339(k.first_seen),
                    "last_seen": rfc3339(k.last_seen),
                });
                if args.scopes {
                    let report = k.scopes.as_ref().map(|_| KeyReport::new(&detail_of(k)));
                    v["type"] = json!(report.as_ref().map(|r| r.key_type));
                    v["scopes"] = json!(report.as_ref().map(|r| &r.scopes));
                    v["scopes_read_at"] = json!(k.detail_read_at.map(rfc3339));
                }
                v
            })
            .collect();
        if ndjson {
            for r in &rows {
                crate::outln!(
                    "{}",
                    serde_json::to_string(r).map_err(|e| CliError::Io(e.to_string()))?
                );
            }
        } else {
            output::print_json(&rows).map_err(io)?;
        }
        return Ok(0);
    }
    let with_seen = keys.iter().any(|k| own_age(k, c, o.now).is_some());
    let mut headers: Vec<&str> = vec!["ID", "NAME"];
    if args.scopes {
        headers.extend(["TYPE", "SCOPES", "ACCESS", "SCOPES READ"]);
    }
    if with_seen {
        headers.push("SEEN");
    }
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            let mut row = vec![k.key_id.clone(), k.name.clone()];
            if args.scopes {
                match &k.scopes {
                    Some(_) => {
                        let r = KeyReport::new(&detail_of(k));
                        row.extend([
                            r.key_type.badge().to_owned(),
                            r.scopes.len().to_string(),
                            summary(&r),
                        ]);
                    }
                    None => row.extend([
                        "?".into(),
                        "?".into(),
                        "unknown: never read in detail".into(),
                    ]),
                }
                row.push(k.detail_read_at.map_or("never".into(), |t| ago(t, o.now)));
            }
            if with_seen {
                row.push(own_age(k, c, o.now).unwrap_or_default());
            }
            row
        })
        .collect();
    match format {
        Format::Csv => {
            let lower: Vec<String> = headers
                .iter()
                .map(|h| h.to_lowercase().replace(' ', "_"))
                .collect();
            let mut out = csv_row(&lower);
            for r in &rows {
                out.push_str(&csv_row(r));
            }
            crate::out!("{out}");
        }
        Format::Markdown => crate::out!("{}", markdown_table(&headers, &rows)),
        Format::Table | Format::Json if rows.is_empty() => {
            crate::outln!("No API keys in {} (as last seen).", clean(&label(c)));
        }
        Format::Table | Format::Json => {
            crate::out!("{}", table(&headers, &rows));
            let mut footer = super::keys::list_footer(rows.len(), args.limit);
            if args.scopes && unknown > 0 {
                footer.push_str(&format!(
                    "; {unknown} never read in detail (scopes unknown: `sgkeys list --scopes` \
                     online reads them)"
                ));
            }
            crate::errln!("{footer}");
        }
    }
    Ok(0)
}

fn show(o: &Offline, id: &str, json: bool) -> Result<u8, CliError> {
    let id = check_id(id)?;
    let c = &o.context;
    let k = match o.reader.key(&c.place(), id.as_str()).map_err(failed)? {
        Some(k) if k.gone_at.is_none() => k,
        Some(k) => {
            let at = k.gone_at.unwrap_or_default();
            let how = match k.gone_how.as_deref() {
                Some("revoked") => "revoked by sgkeys",
                Some("not_found") => "answered 404",
                _ => "absent from a complete list read",
            };
            return Err(CliError::Failed(format!(
                "key {id} is gone from {} ({how}, {} ({}))",
                clean(&label(c)),
                ago(at, o.now),
                rfc3339(at)
            )));
        }
        None => {
            return Err(CliError::Failed(
                match o.reader.last_sighting(id.as_str()).map_err(failed)? {
                    Some((other, k)) => format!(
                        "key {id} is not in {} as far as the inventory knows; it was last seen \
                         in {} {}",
                        clean(&label(c)),
                        clean(&super::inventory_cmd::place_label(&other.place())),
                        ago(k.last_seen, o.now)
                    ),
                    None => format!("the inventory has never seen key {id}"),
                },
            ));
        }
    };
    say_age(c, o.now);
    let seen = format!("{} ({})", ago(k.last_seen, o.now), rfc3339(k.last_seen));
    let read = k
        .detail_read_at
        .map(|t| format!("{} ({})", ago(t, o.now), rfc3339(t)));
    if json {
        let mut v = match &k.scopes {
            Some(_) => serde_json::to_value(KeyReport::new(&detail_of(&k)))
                .map_err(|e| CliError::Io(e.to_string()))?,
            None => json!({ "api_key_id": k.key_id, "name": k.name, "type": null, "scopes": null }),
        };
        v["offline"] = json!(true);
        v["first_seen"] = json!(rfc3339(k.first_seen));
        v["last_seen"] = json!(rfc3339(k.last_seen));
        v["scopes_read_at"] = json!(k.detail_read_at.map(rfc3339));
        output::print_json(&v).map_err(io)?;
        return Ok(0);
    }
    match (&k.scopes, read) {
        (Some(_), Some(read)) => {
            crate::out!("{}", describe_key(&KeyReport::new(&detail_of(&k))));
            crate::outln!("Seen     {seen}; scopes read {read}");
        }
        _ => {
            crate::outln!("Name     {}", clean(&k.name));
            crate::outln!("ID       {}", k.key_id);
            crate::outln!(
                "Type     unknown: its scopes were never read (`sgkeys show {}` online reads them)",
                k.key_id
            );
            crate::outln!("Seen     {seen}");
        }
    }
    Ok(0)
}

fn audit(o: &Offline, args: &AuditArgs, json: bool) -> Result<u8, CliError> {
    use crate::audit::{Audit, ContextSummary, assess_context};
    let asked = super::reports::Asked::new(args, json)?;
    let mut contexts = vec![o.context.clone()];
    if args.all_subusers {
        contexts.extend(
            o.reader
                .contexts()
                .map_err(failed)?
                .into_iter()
                .filter(|c| {
                    c.base_url == o.scope.base_url
                        && c.account == o.scope.account
                        && c.on_behalf_of.is_some()
                        && c.id != o.context.id
                }),
        );
    }
    let mut summaries = Vec::new();
    let mut keys = Vec::new();
    let mut oldest: Option<Millis> = None;
    for c in &contexts {
        say_age(c, o.now);
        let rows = keys_of(o, c)?;
        let unknown = rows.iter().filter(|k| k.scopes.is_none()).count();
        if unknown > 0 {
            crate::errln!(
                "  {unknown} of its {} never read in detail: their scopes and risk are unknown.",
                plural(rows.len(), "key", "keys")
            );
        }
        let details: Vec<KeyDetail> = rows.iter().map(detail_of).collect();
        oldest = match (oldest, c.list_read_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        summaries.push(ContextSummary {
            context: c.on_behalf_of.clone(),
            keys: details.len(),
            // what the last complete list named; unknown when none was complete
            listed: c.list_read_at.map(|_| details.len()),
            unread: 0,
            findings: crate::risk::limit_finding(details.len())
                .into_iter()
                .collect(),
            error: c
                .list_read_at
                .is_none()
                .then(|| "never read completely (offline: from the inventory)".to_owned()),
        });
        keys.extend(assess_context(c.on_behalf_of.clone(), &details));
    }
    let report = Audit {
        // as of the oldest read it shows: the report claims nothing newer
        generated_at: rfc3339(oldest.unwrap_or(o.now)),
        base_url: o.scope.base_url.clone(),
        contexts: summaries,
        keys,
    };
    let since = match &asked.since {
        Some(super::reports::Since::File(old)) => Some(super::since::SinceAnswer::file(
            crate::audit::changes(old, &report),
        )),
        Some(super::reports::Since::Time(t)) => {
            let names: Vec<Option<String>> =
                contexts.iter().map(|c| c.on_behalf_of.clone()).collect();
            Some(super::since::changes_since(
                &o.reader,
                &o.scope,
                &names,
                super::since::millis(*t),
            )?)
        }
        None => None,
    };
    super::reports::finish(args, &asked, &report, since)
}
