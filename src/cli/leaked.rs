//! `revoke --leaked` / `--from-file` / `--from-report`: leaked keys, from any input to
//! confirmed dead.
//!
//! 1. Read the key (argument, stdin, a file, or asked with echo off), or every key in a
//!    scanner's report, as a person reads it (through terminal colours and string escapes).
//! 2. Ask each key itself (`GET /v3/scopes` with it), through the fetch engine, `--concurrency`
//!    at once; a report's keys within `--timeout` (the ones not asked by then are said). A key
//!    is "dead" only when SendGrid refused it in its own words while the key sgkeys uses still
//!    authenticates; anything else is "unknown", never dead and never "works".
//! 3. Find every key that may work in the caller's account or any subuser; accounts that could
//!    not be searched are named, and such a key is "not located", never "in no account".
//! 4. One confirmation, then every target revoked at once through the operations layer
//!    (journaled; the key sgkeys uses last), or with the key's own credential
//!    (`--self-revoke`).
//! 5. Then all proven dead together: asked again until SendGrid refuses each, within
//!    `--verify-timeout`; "STILL AUTHENTICATES" or "NOT PROVEN DEAD" is exit 1.
//! 6. The end says what still needs a person, the keys that still work last.

mod case;
mod proof;

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use super::context::*;
use super::exposed;
use super::prompt;
use super::{CliError, RevokeArgs};
use crate::api::ApiKey;
use crate::inventory::Millis;
use crate::leak::{self, Probe};
use crate::output::{self, clean};
use crate::text::plural;

use case::{Case, Plan, Settled, assess, blast_radius, closing, key_json, read_keys, result_line};
use proof::revoke_and_prove;

pub(crate) async fn run(ctx: &Ctx, args: &RevokeArgs) -> Result<u8, CliError> {
    let started = crate::inventory::now_ms();
    let sightings = read_keys(args)?;
    if sightings.is_empty() {
        return Err(CliError::Usage(
            "no SendGrid key (SG.<22>.<43>) was found in the input".into(),
        ));
    }
    let many = args.from_report.is_some();
    let mut cases = assess(ctx, args, sightings, many).await?;
    if many {
        return report(ctx, args, cases, started).await;
    }
    match cases.pop() {
        Some(case) => one(ctx, args, case, started).await,
        None => Ok(0),
    }
}

/// One leaked key.
async fn one(ctx: &Ctx, args: &RevokeArgs, case: Case, started: Millis) -> Result<u8, CliError> {
    let id = case.id();
    match &case.probe {
        Probe::Dead => {
            if ctx.json {
                output::print_json(&key_json(&case, Some("dead"), None)).map_err(io)?;
            }
            crate::errln!(
                "Key {id} does not authenticate: SendGrid refuses it (already revoked, or not a \
                 whole key). Nothing was sent."
            );
            return Ok(0);
        }
        Probe::Live(s) => {
            for l in blast_radius(s) {
                crate::errln!("{l}");
            }
        }
        Probe::Unknown(why) => crate::errln!(
            "sgkeys: warning: the key itself could not tell whether it works ({}); looking it up \
             anyway",
            clean(why)
        ),
        Probe::NotChecked => {}
    }
    let plan = case.plan();
    if matches!(plan, Plan::Stranded | Plan::NotChecked) {
        if ctx.json {
            output::print_json(&key_json(&case, None, None)).map_err(io)?;
        }
        crate::errln!("{}", case.stranded_line());
        return Ok(1);
    }
    let (name, _) = case.name_and_access();
    let place = if plan == Plan::SelfRevoke {
        "its own account, which the key sgkeys uses does not reach: with its own credential \
         (--self-revoke)"
            .to_owned()
    } else {
        case.account()
    };
    let name = match name.as_str() {
        "" if plan == Plan::SelfRevoke => "(name unknown: the key may not read itself)".to_owned(),
        _ => format!("'{}'", clean(&name)),
    };
    if let Some(via) = case.via {
        crate::errln!("Found {}.", via.words());
    }
    crate::errln!(
        "{} {id}  {name}  in {place}",
        if args.dry_run {
            "Would revoke"
        } else {
            "About to revoke"
        },
    );
    // the persistence check: a key that could create keys may have left others behind
    let mut check = case_check(ctx, args, &case, started).await;
    let with_check = |mut v: Value, c: &Option<exposed::Check>| {
        if let Some(c) = c {
            v["persistence"] = exposed::json(c);
        }
        v
    };
    if args.dry_run {
        if ctx.json {
            let v = with_check(key_json(&case, Some("would_revoke"), None), &check);
            output::print_json(&v).map_err(io)?;
        }
        return Ok(0);
    }
    ctx.refuse_if_read_only("revoke")?;
    let appeared: Vec<ApiKey> = check
        .as_ref()
        .map(|c| c.appeared().to_vec())
        .unwrap_or_default();
    let all = if appeared.is_empty() {
        confirm(
            args,
            1,
            &format!("Revoke {id} now? Apps using it stop working. [y/N] "),
        )?;
        false
    } else {
        exposed::confirm(args, &id, appeared.len())?
    };
    // the leaked key and (with `all`) the keys that appeared, at once
    let also = async {
        if let (Some(c), true) = (check.as_mut(), all) {
            exposed::revoke(ctx, c, appeared).await;
        }
    };
    let targets = [&case];
    let ((settled, interrupted), ()) = tokio::join!(revoke_and_prove(ctx, args, &targets), also);
    let Some(s) = settled.first() else {
        return Ok(1);
    };
    if !interrupted && let Some(c) = check.as_mut() {
        exposed::after_delay(ctx, args, c).await;
    }
    if ctx.json {
        let v = with_check(key_json(&case, None, Some(s)), &check);
        output::print_json(&v).map_err(io)?;
    } else {
        crate::outln!("{}", result_line(&case, s));
    }
    let left = check.as_ref().map_or(0, exposed::closing);
    if interrupted {
        return Ok(130);
    }
    Ok(if s.ok() && left == 0 { 0 } else { 1 })
}

/// The persistence check of a key found in a reachable account (said on stderr); None when it
/// could not create keys.
async fn case_check(
    ctx: &Ctx,
    args: &RevokeArgs,
    case: &Case,
    started: Millis,
) -> Option<exposed::Check> {
    let (client, d) = case.home()?;
    let mut held = d.scopes.clone();
    if let Probe::Live(s) = &case.probe {
        held.extend(s.iter().cloned());
    }
    let (leaked, since) = (d.api_key_id.clone(), case.sighting.since);
    let check = exposed::check(ctx, args, client, &leaked, &held, since, started).await?;
    exposed::say(&check);
    Some(check)
}

/// One confirmation: `y` for one key, the count typed for more; on the controlling terminal when
/// stdin is a pipe; `--yes` when there is no terminal at all.
fn confirm(args: &RevokeArgs, n: usize, question: &str) -> Result<(), CliError> {
    if args.yes {
        return Ok(());
    }
    if !prompt::can_ask() {
        return Err(CliError::Usage(
            "refusing to revoke without confirmation: there is no terminal to ask on (pass --yes)"
                .into(),
        ));
    }
    let answer = prompt::ask(question).map_err(|e| CliError::Io(e.to_string()))?;
    let ok = if n == 1 {
        matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes")
    } else {
        answer == n.to_string()
    };
    if ok {
        Ok(())
    } else {
        Err(CliError::Failed("nothing revoked".into()))
    }
}

/// Every key of a scanner's report: one table, one summary that agrees with it, one
/// confirmation, every live key revoked at once, then all proven dead together; the end says
/// what still needs a person.
async fn report(
    ctx: &Ctx,
    args: &RevokeArgs,
    cases: Vec<Case>,
    started: Millis,
) -> Result<u8, CliError> {
    let rows: Vec<Vec<String>> = cases
        .iter()
        .map(|c| {
            let (name, access) = c.name_and_access();
            vec![
                c.id(),
                c.sighting.place(),
                c.probe.label(),
                c.account(),
                name,
                access,
            ]
        })
        .collect();
    if !ctx.json {
        crate::out!(
            "{}",
            output::table(
                &["KEY", "FOUND AT", "STATUS", "ACCOUNT", "NAME", "ACCESS"],
                &rows
            )
        );
    }
    let count = |p: Plan| cases.iter().filter(|c| c.plan() == p).count();
    let by_probe = |code: &str| cases.iter().filter(|c| c.probe.code() == code).count();
    let (to_revoke, stranded, unchecked) = (
        count(Plan::Revoke) + count(Plan::SelfRevoke),
        count(Plan::Stranded),
        count(Plan::NotChecked),
    );
    let mut said = vec![
        format!("{} dead", by_probe("dead")),
        format!("{} live", by_probe("live")),
    ];
    if by_probe("unknown") > 0 {
        said.push(format!("{} unknown", by_probe("unknown")));
    }
    if unchecked > 0 {
        said.push(format!("{unchecked} not checked"));
    }
    let mut todo_said = format!("{to_revoke} to revoke");
    if stranded > 0 {
        todo_said.push_str(&format!(", {stranded} that sgkeys cannot revoke"));
    }
    crate::errln!(
        "{} found: {} ({todo_said})",
        plural(cases.len(), "key", "keys"),
        said.join(", ")
    );
    if unchecked > 0 {
        crate::errln!(
            "{} not checked: --timeout {} was over before {} turn; run again with a longer \
             --timeout (or a higher --concurrency)",
            plural(unchecked, "key was", "keys were"),
            leak::seconds(ctx.settings.timeout),
            if unchecked == 1 { "its" } else { "their" }
        );
    }
    let summary = json!({
        "keys": cases.len(), "dead": by_probe("dead"), "live": by_probe("live"),
        "unknown": by_probe("unknown"), "not_checked": unchecked,
        "to_revoke": to_revoke, "cannot_revoke": stranded,
    });
    // the targets, each id once
    let mut ids = BTreeSet::new();
    let todo: Vec<&Case> = cases
        .iter()
        .filter(|c| matches!(c.plan(), Plan::Revoke | Plan::SelfRevoke) && ids.insert(c.id()))
        .collect();
    // the persistence check of every key that could create keys
    let mut checks: Vec<exposed::Check> = Vec::new();
    for c in &todo {
        if let Some(ch) = case_check(ctx, args, c, started).await {
            checks.push(ch);
        }
    }
    let with_checks = |mut v: Value, c: &Case, checks: &[exposed::Check]| {
        if let Some(ch) = checks.iter().find(|ch| ch.leaked.as_str() == c.id()) {
            v["persistence"] = exposed::json(ch);
        }
        v
    };
    if args.dry_run || todo.is_empty() {
        if ctx.json {
            let keys: Vec<Value> = cases
                .iter()
                .map(|c| with_checks(key_json(c, None, None), c, &checks))
                .collect();
            output::print_json(&json!({"dry_run": args.dry_run, "keys": keys, "summary": summary}))
                .map_err(io)?;
        }
        let open = closing(&cases, &HashMap::new());
        return Ok(if open > 0 { 1 } else { 0 });
    }
    ctx.refuse_if_read_only("revoke")?;
    let n = todo.len();
    let appeared: usize = checks.iter().map(|c| c.appeared().len()).sum();
    let all = if appeared > 0 {
        exposed::confirm_many(args, n, appeared)?
    } else {
        confirm(
            args,
            n,
            &if n == 1 {
                "Revoke the live key now? [y/N] ".to_owned()
            } else {
                format!("Type {n} to revoke the {n} live keys: ")
            },
        )?;
        false
    };
    // the live keys and (with `all`) the keys that appeared, at once
    let also = async {
        if all {
            for ch in &mut checks {
                let keys = ch.appeared().to_vec();
                exposed::revoke(ctx, ch, keys).await;
            }
        }
    };
    let ((settled, interrupted), ()) = tokio::join!(revoke_and_prove(ctx, args, &todo), also);
    if !interrupted {
        for ch in &mut checks {
            exposed::after_delay(ctx, args, ch).await;
        }
    }
    let by_id: HashMap<String, &Settled> = todo.iter().map(|c| c.id()).zip(&settled).collect();
    if ctx.json {
        let keys: Vec<Value> = cases
            .iter()
            .map(|c| with_checks(key_json(c, None, by_id.get(&c.id()).copied()), c, &checks))
            .collect();
        let mut summary = summary;
        summary["revoked"] = json!(
            settled
                .iter()
                .filter(|s| matches!(s.status(), "revoked" | "already_revoked"))
                .count()
        );
        summary["proven_dead"] = json!(settled.iter().filter(|s| s.ok()).count());
        output::print_json(&json!({"dry_run": false, "keys": keys, "summary": summary}))
            .map_err(io)?;
    } else {
        for (c, s) in todo.iter().zip(&settled) {
            crate::outln!("{}", result_line(c, s));
        }
    }
    crate::errln!("Recorded in the journal {}", ctx.journal.path().display());
    let open = closing(&cases, &by_id) + checks.iter().map(exposed::closing).sum::<usize>();
    if interrupted {
        return Ok(130);
    }
    Ok(if open > 0 { 1 } else { 0 })
}
