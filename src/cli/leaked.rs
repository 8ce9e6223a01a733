//! `revoke --leaked` / `--from-file` / `--from-report`: a leaked key, from any input to
//! confirmed dead.
//!
//! 1. Read the key (argument, stdin, a file, or asked with echo off), or every key in a
//!    scanner's report.
//! 2. Ask the key itself (`GET /v3/scopes` with it): a key that no longer authenticates needs
//!    nothing (exit 0, nothing sent); a live one shows its blast radius.
//! 3. Find it in the caller's account or any subuser.
//! 4. Confirm (on the controlling terminal when stdin is a pipe), revoke through the operations
//!    layer (journaled), or with the key's own credential (`--self-revoke`).
//! 5. Prove it dead: ask the key again until SendGrid refuses it (401), within
//!    `--verify-timeout`; "STILL AUTHENTICATES" is exit 1.

use std::time::Duration;

use serde_json::json;

use super::context::*;
use super::prompt::{self, PromptError};
use super::{CliError, RevokeArgs};
use crate::api::{ApiKeyId, Client, KeyDetail, OnBehalfOf};
use crate::journal::Outcome;
use crate::leak::{self, Probe, Sighting};
use crate::ops::{Effect, Mutation, Ops};
use crate::output::{self, clean};
use crate::report::KeyReport;
use crate::risk;
use crate::scopes;
use crate::secret::Secret;
use crate::text::plural;

/// One leaked key, followed through.
struct Case {
    sighting: Sighting,
    probe: Probe,
    /// Where it lives (None: in no reachable account).
    home: Option<(Client, KeyDetail)>,
    /// Revoke it with its own credential (not in any reachable account).
    self_revoke: bool,
}

impl Case {
    fn id(&self) -> String {
        self.sighting.key.key_id().unwrap_or("?").to_owned()
    }
    fn live(&self) -> bool {
        !matches!(self.probe, Probe::Dead)
    }
    fn account(&self) -> String {
        match &self.home {
            Some((c, _)) => c
                .on_behalf_of()
                .map_or_else(|| "own account".to_owned(), OnBehalfOf::header_value),
            None if self.self_revoke => "unreachable (self-revoke)".into(),
            None => "not found".into(),
        }
    }
}

pub(crate) async fn run(ctx: &Ctx, args: &RevokeArgs) -> Result<u8, CliError> {
    let sightings = read_keys(args)?;
    if sightings.is_empty() {
        return Err(CliError::Usage(
            "no SendGrid key (SG.<22>.<43>) was found in the input".into(),
        ));
    }
    let many = args.from_report.is_some();
    // 2. ask each key itself, all at once
    let probes =
        futures_util::future::join_all(sightings.iter().map(|s| leak::probe(&ctx.client, &s.key)))
            .await;
    // 3. find the live ones in every reachable context
    let live_any = probes.iter().any(|p| !matches!(p, Probe::Dead));
    let (contexts, ctx_note) = if live_any {
        leak::contexts(&ctx.client).await
    } else {
        (Vec::new(), None)
    };
    // every live key in every context: one run of the fetch engine
    let lookups: Vec<Option<ApiKeyId>> = sightings
        .iter()
        .zip(&probes)
        .map(|(s, p)| {
            (!matches!(p, Probe::Dead))
                .then(|| s.key.key_id().map(|id| ApiKeyId(id.to_owned())))
                .flatten()
        })
        .collect();
    let ids: Vec<ApiKeyId> = lookups.iter().flatten().cloned().collect();
    let mut located = leak::locate_many(&contexts, &ids).await.into_iter();
    let mut cases = Vec::new();
    for ((sighting, probe), lookup) in sightings.into_iter().zip(probes).zip(&lookups) {
        let mut case = Case {
            sighting,
            probe,
            home: None,
            self_revoke: false,
        };
        if case.live()
            && lookup.is_some()
            && let Some((found, unsure)) = located.next()
        {
            for u in unsure {
                crate::errln!("sgkeys: warning: could not search {}", clean(&u));
            }
            case.home = found;
            if case.home.is_none()
                && let Probe::Live(scopes) = &case.probe
                && scopes.iter().any(|s| s == "api_keys.delete")
                && args.self_revoke
            {
                case.self_revoke = true;
            }
        }
        cases.push(case);
    }
    if let Some(n) = &ctx_note {
        crate::errln!("sgkeys: warning: {}", clean(n));
    }

    if !many {
        return one(ctx, args, cases.remove(0)).await;
    }
    report(ctx, args, cases).await
}

/// 1. The keys, from wherever they come.
fn read_keys(args: &RevokeArgs) -> Result<Vec<Sighting>, CliError> {
    let one = |text: &str, from: &str| -> Result<Vec<Sighting>, CliError> {
        let keys = leak::keys_in(text);
        match keys.into_iter().next() {
            Some(key) => Ok(vec![Sighting {
                key,
                file: None,
                line: None,
                commit: None,
                count: 1,
            }]),
            None => Err(CliError::Usage(format!(
                "{from}: that is not a whole SendGrid key (SG. + 22 + . + 43 characters); it is \
                 not shown"
            ))),
        }
    };
    if let Some(path) = &args.from_report {
        let text = crate::fsutil::read_to_string_capped(path, 64 * crate::fsutil::MAX_INPUT)
            .map_err(|e| CliError::Usage(format!("--from-report {}: {e}", path.display())))?;
        return Ok(leak::sightings(&text));
    }
    if let Some(path) = &args.from_file {
        let text = crate::fsutil::read_to_string_capped(path, crate::fsutil::MAX_INPUT)
            .map_err(|e| CliError::Usage(format!("--from-file {}: {e}", path.display())))?;
        return one(&text, "--from-file");
    }
    match args.leaked.as_deref() {
        Some("") | None if std::io::IsTerminal::is_terminal(&std::io::stdin()) => {
            match prompt::read_hidden("Paste the leaked key (not echoed), then Enter: ") {
                Ok(text) => one(&text, "--leaked"),
                Err(PromptError::Cancelled) => Err(CliError::Usage("cancelled".into())),
                Err(e) => Err(CliError::Io(format!("reading the key: {e}"))),
            }
        }
        Some("") | Some("-") | None => {
            let mut s = String::new();
            std::io::Read::read_to_string(
                &mut std::io::Read::take(std::io::stdin(), 1 << 20),
                &mut s,
            )
            .map_err(|e| CliError::Io(e.to_string()))?;
            one(&s, "stdin")
        }
        Some(k) => one(k, "--leaked"),
    }
}

/// The blast radius of a live key: type, scope count, the worst findings.
fn blast_radius(scopes_held: &[String]) -> Vec<String> {
    let class = scopes::classify(scopes_held);
    let findings = risk::scope_findings(scopes_held, &class);
    let granted: Vec<String> = scopes::sendable(scopes_held);
    let mut lines = vec![
        format!(
            "it authenticates: {} with {}",
            class.key_type.label(),
            plural(class.counted, "scope", "scopes")
        ),
        format!(
            "  scopes: {}",
            crate::api::error::clip(&granted.join(" "), 300)
        ),
    ];
    let mut fs: Vec<&risk::Finding> = findings.iter().collect();
    fs.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for f in fs.iter().take(4) {
        lines.push(format!("  {} {}", f.severity.label(), f.message));
    }
    if fs.len() > 4 {
        lines.push(format!("  +{} more findings", fs.len() - 4));
    }
    lines
}

/// One leaked key.
async fn one(ctx: &Ctx, args: &RevokeArgs, case: Case) -> Result<u8, CliError> {
    let id = case.id();
    match &case.probe {
        Probe::Dead => {
            if ctx.json {
                output::print_json(&json!({"api_key_id": id, "status": "dead", "verified": true}))
                    .map_err(io)?;
            }
            crate::errln!(
                "Key {id} does not authenticate: already revoked, or not a whole key. Nothing was \
                 sent."
            );
            return Ok(0);
        }
        Probe::Live(s) => {
            for l in blast_radius(s) {
                crate::errln!("{l}");
            }
        }
        Probe::Unknown(e) => crate::errln!(
            "sgkeys: warning: could not ask the key itself ({}); looking it up anyway",
            e.short()
        ),
    }
    let (client, name, scopes_before) = match (&case.home, case.self_revoke) {
        (Some((c, d)), _) => (c.clone(), d.name.clone(), Some(scopes::sendable(&d.scopes))),
        (None, true) => (
            ctx.client.with_key(case.sighting.key.clone()),
            String::new(),
            None,
        ),
        (None, false) => {
            let holds_delete =
                matches!(&case.probe, Probe::Live(s) if s.iter().any(|x| x == "api_keys.delete"));
            if ctx.json {
                output::print_json(
                    &json!({"api_key_id": id, "status": "not_found", "verified": false}),
                )
                .map_err(io)?;
            }
            return Err(CliError::Failed(if holds_delete {
                format!(
                    "key {id} works but is in no account this key can reach. It may delete keys \
                     itself: run again with --self-revoke to revoke it with its own credential"
                )
            } else {
                format!(
                    "key {id} works but is in no account this key can reach, and cannot revoke \
                     itself: its account's owner must revoke it (SendGrid App → Settings → API \
                     Keys)"
                )
            }));
        }
    };
    let place = case.account();
    crate::errln!(
        "{} {id}  '{}'  in {place}",
        if args.dry_run {
            "Would revoke"
        } else {
            "About to revoke"
        },
        clean(&name)
    );
    if args.dry_run {
        if ctx.json {
            output::print_json(
                &json!({"api_key_id": id, "status": "would_revoke", "account": place}),
            )
            .map_err(io)?;
        }
        return Ok(0);
    }
    ctx.refuse_if_read_only("revoke")?;
    confirm(
        args,
        1,
        &format!("Revoke {id} now? Apps using it stop working. [y/N] "),
    )?;
    let ops = if case.self_revoke {
        Ops {
            client: client.clone(),
            ..ctx.ops.clone()
        }
    } else {
        ctx.ops.acting_as(client)
    };
    let done = ops
        .run(Mutation::Revoke {
            id: ApiKeyId(id.clone()),
            name: name.clone(),
            scopes_before,
        })
        .await;
    let revoked = match (&done.result, done.outcome) {
        (Ok(Effect::AlreadyGone), _) => {
            crate::errln!("already revoked (SendGrid answered 404)");
            true
        }
        (Ok(_), _) => {
            crate::errln!("revoked {id}");
            true
        }
        (Err(_), Outcome::Unknown) => {
            crate::errln!(
                "UNKNOWN whether {id} was revoked: {}",
                done.describe_error().unwrap_or_default()
            );
            false
        }
        (Err(_), _) => {
            return Err(CliError::Failed(format!(
                "revoking {id} failed: {}",
                done.describe_error().unwrap_or_default()
            )));
        }
    };
    // 5. prove it dead (also after an unknown outcome: the key itself tells)
    let v = verify(ctx, &case.sighting.key, args).await;
    if let Some(e) = ops.record_verification(&done, v.dead, v.after.as_millis() as u64) {
        crate::errln!("sgkeys: warning: the verification could not be journaled: {e}");
    }
    if ctx.json {
        output::print_json(&json!({
            "api_key_id": id, "name": name, "account": place,
            "status": if revoked { "revoked" } else { "unknown" },
            "verified": v.dead, "verified_after_ms": v.after.as_millis() as u64,
        }))
        .map_err(io)?;
    } else {
        crate::outln!(
            "{}  {id}  {}  {}",
            if revoked { "revoked" } else { "UNKNOWN" },
            clean(&name),
            if v.dead {
                format!("confirmed dead after {}", leak::seconds(v.after))
            } else {
                format!("STILL AUTHENTICATES after {}", leak::seconds(v.after))
            }
        );
    }
    Ok(if v.dead { 0 } else { 1 })
}

/// Wait for SendGrid to refuse the key, saying how it goes.
async fn verify(ctx: &Ctx, key: &Secret, args: &RevokeArgs) -> leak::Verification {
    let id = key.key_id().unwrap_or("?").to_owned();
    let timeout = Duration::from_secs_f64(args.verify_timeout);
    let progress = |n: u32, t: Duration| {
        if n == 1 {
            crate::errln!(
                "  {id} still authenticates (SendGrid applies a revoke after a short delay); \
                 asking again until it is refused…"
            );
        } else if n.is_multiple_of(5) {
            crate::errln!("  {id} still authenticates after {}…", leak::seconds(t));
        }
    };
    let v = leak::verify_dead(&ctx.client, key, timeout, &progress).await;
    if v.dead {
        crate::errln!(
            "confirmed dead after {}: SendGrid refuses {id}",
            leak::seconds(v.after)
        );
    } else {
        crate::errln!(
            "STILL AUTHENTICATES after {}: {id} is not dead. Escalate: revoke it in SendGrid's \
             App and contact SendGrid support",
            leak::seconds(v.after)
        );
    }
    v
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

/// Every key of a scanner's report: one table, one confirmation, revoke and prove each live one.
async fn report(ctx: &Ctx, args: &RevokeArgs, cases: Vec<Case>) -> Result<u8, CliError> {
    let rows: Vec<Vec<String>> = cases
        .iter()
        .map(|c| {
            let (name, scopes) = match (&c.home, &c.probe) {
                (Some((_, d)), _) => {
                    let r = KeyReport::new(d);
                    (
                        r.name,
                        format!("{} ({})", r.key_type.label(), r.scopes.len()),
                    )
                }
                (None, Probe::Live(s)) => {
                    let cl = scopes::classify(s);
                    (
                        String::new(),
                        format!("{} ({})", cl.key_type.label(), cl.counted),
                    )
                }
                _ => (String::new(), String::new()),
            };
            vec![
                c.id(),
                c.sighting.place(),
                match &c.probe {
                    Probe::Dead => "dead".into(),
                    Probe::Live(_) => "LIVE".into(),
                    Probe::Unknown(e) => format!("unknown ({})", e.short()),
                },
                if c.live() { c.account() } else { String::new() },
                name,
                scopes,
            ]
        })
        .collect();
    let table = output::table(
        &["KEY", "FOUND AT", "STATUS", "ACCOUNT", "NAME", "ACCESS"],
        &rows,
    );
    let todo: Vec<&Case> = cases
        .iter()
        .filter(|c| c.live() && (c.home.is_some() || c.self_revoke))
        .collect();
    let stranded = cases
        .iter()
        .filter(|c| c.live() && c.home.is_none() && !c.self_revoke)
        .count();
    if !ctx.json || args.dry_run {
        crate::out!("{table}");
        crate::errln!(
            "{} found: {} dead, {} live ({} to revoke, {stranded} in no reachable account)",
            plural(cases.len(), "key", "keys"),
            cases.len() - cases.iter().filter(|c| c.live()).count(),
            cases.iter().filter(|c| c.live()).count(),
            todo.len()
        );
    }
    if args.dry_run || todo.is_empty() {
        if ctx.json {
            let v: Vec<serde_json::Value> = cases
                .iter()
                .map(|c| json!({"api_key_id": c.id(), "found_at": c.sighting.place(), "live": c.live(), "account": c.account()}))
                .collect();
            output::print_json(&json!({"dry_run": args.dry_run, "keys": v})).map_err(io)?;
        }
        return Ok(if stranded > 0 { 1 } else { 0 });
    }
    ctx.refuse_if_read_only("revoke")?;
    let n = todo.len();
    confirm(
        args,
        if n == 1 { 1 } else { n },
        &if n == 1 {
            "Revoke the live key now? [y/N] ".to_owned()
        } else {
            format!("Type {n} to revoke the {n} live keys: ")
        },
    )?;
    let mut results = Vec::new();
    let mut failed = stranded;
    for c in todo {
        let id = c.id();
        let (ops, name, before) = match &c.home {
            Some((client, d)) => (
                ctx.ops.acting_as(client.clone()),
                d.name.clone(),
                Some(scopes::sendable(&d.scopes)),
            ),
            None => (
                Ops {
                    client: ctx.client.with_key(c.sighting.key.clone()),
                    ..ctx.ops.clone()
                },
                String::new(),
                None,
            ),
        };
        let done = ops
            .run(Mutation::Revoke {
                id: ApiKeyId(id.clone()),
                name,
                scopes_before: before,
            })
            .await;
        if done.result.is_err() && done.outcome != Outcome::Unknown {
            crate::errln!("FAILED {id}: {}", done.describe_error().unwrap_or_default());
            failed += 1;
            results.push(json!({"api_key_id": id, "status": "failed"}));
            continue;
        }
        let v = verify(ctx, &c.sighting.key, args).await;
        let _ = ops.record_verification(&done, v.dead, v.after.as_millis() as u64);
        if !v.dead {
            failed += 1;
        }
        results.push(
            json!({"api_key_id": id, "status": "revoked", "verified": v.dead,
                            "verified_after_ms": v.after.as_millis() as u64}),
        );
    }
    if ctx.json {
        output::print_json(&json!({"dry_run": false, "results": results})).map_err(io)?;
    }
    Ok(if failed > 0 { 1 } else { 0 })
}
