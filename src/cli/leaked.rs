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

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::context::*;
use super::exposed;
use super::prompt::{self, PromptError};
use super::{CliError, RevokeArgs};
use crate::api::{ApiKey, ApiKeyId, Client, KeyDetail};
use crate::inventory::Millis;
use crate::journal::Outcome;
use crate::leak::{self, Location, Probe, Sighting, Verification};
use crate::ops::{Done, Effect, Ops, RevokeTarget};
use crate::output::{self, clean};
use crate::report::KeyReport;
use crate::risk;
use crate::scopes;
use crate::secret::Secret;
use crate::text::plural;

/// The largest report read (`--from-report`).
const MAX_REPORT: u64 = 64 * crate::fsutil::MAX_INPUT;

/// One leaked key, followed through.
struct Case {
    sighting: Sighting,
    probe: Probe,
    /// Where it lives; None: not looked up (SendGrid refused it, or it was not asked).
    location: Option<Location>,
    /// The route that found it, and the account the key itself named.
    via: Option<leak::Route>,
    owner: Option<String>,
    /// Revoke it with its own credential: it works, no reachable account was seen holding it,
    /// it holds `api_keys.delete`, and `--self-revoke` was given.
    self_revoke: bool,
    /// A self-revoked key as it reads itself with its own credential (its name and scopes for
    /// the prompt and the journal); None when it may not read itself.
    itself: Option<KeyDetail>,
}

/// What is to be done with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// SendGrid refuses it already.
    Nothing,
    Revoke,
    SelfRevoke,
    /// It works, or may: sgkeys cannot revoke it (in no account it reaches, or not located).
    Stranded,
    /// Not asked within `--timeout`.
    NotChecked,
}

impl Case {
    fn id(&self) -> String {
        self.sighting.key.key_id().unwrap_or("?").to_owned()
    }

    fn home(&self) -> Option<(&Client, &KeyDetail)> {
        match &self.location {
            Some(Location::Found(c, d)) => Some((c, d)),
            _ => None,
        }
    }

    fn plan(&self) -> Plan {
        match (&self.probe, &self.location) {
            (Probe::Dead, _) => Plan::Nothing,
            (Probe::NotChecked, _) => Plan::NotChecked,
            (_, Some(Location::Found(..))) => Plan::Revoke,
            _ if self.self_revoke => Plan::SelfRevoke,
            _ => Plan::Stranded,
        }
    }

    fn holds_delete(&self) -> bool {
        matches!(&self.probe, Probe::Live(s) if s.iter().any(|x| x == "api_keys.delete"))
    }

    /// The ACCOUNT column.
    fn account(&self) -> String {
        let own = if self.self_revoke {
            " (self-revoke)"
        } else {
            ""
        };
        match &self.location {
            Some(Location::Found(c, _)) => leak::context_name(c),
            Some(Location::Nowhere) => format!("none reachable{own}"),
            Some(Location::Unsure(f)) => format!(
                "not located: {} not searched{own}",
                plural(f.len(), "account", "accounts")
            ),
            None if self.probe == Probe::NotChecked => "not checked".into(),
            None => String::new(),
        }
    }

    /// Name and access, as far as known.
    fn name_and_access(&self) -> (String, String) {
        match (self.home(), &self.probe) {
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
                    self.itself
                        .as_ref()
                        .map(|d| d.name.clone())
                        .unwrap_or_default(),
                    format!("{} ({})", cl.key_type.label(), cl.counted),
                )
            }
            _ => (String::new(), String::new()),
        }
    }

    /// A key sgkeys cannot revoke, said as the last word: whether it works, where it was not
    /// found, and who can revoke it.
    fn stranded_line(&self) -> String {
        let id = self.id();
        let what = match &self.probe {
            Probe::Live(_) => format!("STILL WORKS: key {id}"),
            Probe::Unknown(why) => {
                format!("MAY STILL WORK: key {id} (the key itself could not tell: {why})")
            }
            _ => format!("key {id}"),
        };
        let place = match &self.location {
            Some(Location::Unsure(failed)) => format!(
                "is in none of the accounts that answered, but {} could not be searched ({})",
                plural(failed.len(), "account", "accounts"),
                failed.join("; ")
            ),
            _ => "is in no account this key can reach".into(),
        };
        let place = match &self.owner {
            Some(o) => format!(
                "{place} (the key itself says it belongs to account '{}')",
                clean(o)
            ),
            None => place,
        };
        let who = if self.holds_delete() {
            "it may delete keys itself: run again with --self-revoke to revoke it with its own \
             credential, or have its account's owner revoke it"
        } else if matches!(self.probe, Probe::Live(_)) {
            "it cannot revoke itself: its account's owner must revoke it (SendGrid App → Settings \
             → API Keys)"
        } else {
            "run again once SendGrid answers, or have its account's owner revoke it"
        };
        format!("{what} {place}; {who}")
    }
}

/// What became of one target of the revoke.
struct Settled {
    /// None: not sent (interrupted first).
    done: Option<Done>,
    /// None: not asked (the revoke failed, or it was not sent).
    proof: Option<Verification>,
}

impl Settled {
    /// `revoked`, `already_revoked`, `unknown`, `failed`, `not_attempted`.
    fn status(&self) -> &'static str {
        exposed::revoke_status(self.done.as_ref())
    }

    /// Revoked (or already gone) and SendGrid refuses it now.
    fn ok(&self) -> bool {
        matches!(self.status(), "revoked" | "already_revoked")
            && self.proof.as_ref().is_some_and(|p| p.dead)
    }
}

pub(crate) async fn run(ctx: &Ctx, args: &RevokeArgs) -> Result<u8, CliError> {
    let started = crate::inventory::now_ms();
    let sightings = read_keys(args)?;
    if sightings.is_empty() {
        return Err(CliError::Usage(
            "no SendGrid key (SG.<22>.<43>) was found in the input".into(),
        ));
    }
    let many = args.from_report.is_some();
    let mut cases = assess(ctx, args, sightings, many).await;
    if many {
        return report(ctx, args, cases, started).await;
    }
    match cases.pop() {
        Some(case) => one(ctx, args, case, started).await,
        None => Ok(0),
    }
}

/// 2, 3. Ask each key itself, then look for every key that may work.
async fn assess(ctx: &Ctx, args: &RevokeArgs, sightings: Vec<Sighting>, many: bool) -> Vec<Case> {
    let pace = leak::Pace {
        concurrency: ctx.settings.concurrency,
        deadline: many.then(|| Instant::now() + ctx.settings.timeout),
    };
    let keys: Vec<&Secret> = sightings.iter().map(|s| &s.key).collect();
    let bar = std::sync::Mutex::new(output::Progress::new("asking each key", keys.len()));
    let tick = |done: usize, _: usize| {
        if let Ok(b) = bar.lock() {
            while b.done() < done {
                b.tick();
            }
        }
    };
    let probes = leak::probe_all(&ctx.client, &keys, pace, &tick).await;
    if let Ok(b) = bar.lock() {
        b.finish();
    }
    // every key that may work, in every reachable account
    let wanted: Vec<leak::Wanted> = sightings
        .iter()
        .zip(&probes)
        .filter(|(_, p)| matches!(p, Probe::Live(_) | Probe::Unknown(_)))
        .map(|(s, _)| leak::Wanted {
            id: ApiKeyId(s.key.key_id().unwrap_or_default().to_owned()),
            key: Some(s.key.clone()),
        })
        .collect();
    let mut located = if wanted.is_empty() {
        Vec::new()
    } else {
        let sweep = output::LazyProgress::new("searching every account");
        let tick = |done: usize, total: usize| sweep.update(done, total);
        let wait = |secs: u64, left: usize| {
            sweep.say(&format!(
                "sgkeys: waiting {secs} s for the rate-limit window; {} left to search \
                 (Ctrl-C stops)",
                plural(left, "account", "accounts")
            ));
        };
        let watch = leak::Watch {
            progress: &tick,
            waiting: &wait,
        };
        let found = leak::locate(&ctx.client, &wanted, ctx.recorder(), watch).await;
        sweep.finish();
        found
    }
    .into_iter();
    // an account that could not be searched, said once
    let mut said = BTreeSet::new();
    let mut cases = Vec::with_capacity(sightings.len());
    for (sighting, probe) in sightings.into_iter().zip(probes) {
        let (location, via, owner) = if matches!(probe, Probe::Live(_) | Probe::Unknown(_)) {
            match located.next() {
                Some(l) => (Some(l.location), l.via, l.owner),
                None => (None, None, None),
            }
        } else {
            (None, None, None)
        };
        if let Some(Location::Unsure(failed)) = &location {
            for f in failed {
                if said.insert(f.clone()) {
                    crate::errln!("sgkeys: warning: could not search {}", clean(f));
                }
            }
        }
        let mut case = Case {
            sighting,
            probe,
            location,
            via,
            owner,
            self_revoke: false,
            itself: None,
        };
        case.self_revoke = args.self_revoke
            && case.holds_delete()
            && matches!(case.location, Some(Location::Nowhere | Location::Unsure(_)));
        cases.push(case);
    }
    read_themselves(ctx, &mut cases).await;
    cases
}

/// Each key to revoke itself reads itself with its own credential (`--concurrency` at once),
/// so its prompt and journal entry carry its name and scopes; a key that may not read itself
/// keeps them unknown.
async fn read_themselves(ctx: &Ctx, cases: &mut [Case]) {
    use futures_util::StreamExt;
    let reads: Vec<_> = cases
        .iter()
        .filter(|c| c.self_revoke)
        .map(|c| {
            let client = ctx.client.with_key(c.sighting.key.clone());
            let id = ApiKeyId(c.id());
            async move {
                client
                    .get_key(&id)
                    .await
                    .ok()
                    .filter(|d| d.api_key_id == id)
            }
        })
        .collect();
    let mut read = futures_util::stream::iter(reads)
        .buffered(ctx.settings.concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter();
    for c in cases.iter_mut().filter(|c| c.self_revoke) {
        c.itself = read.next().flatten();
    }
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
                since: None,
            }]),
            None => Err(CliError::Usage(format!(
                "{from}: that is not a whole SendGrid key (SG. + 22 + . + 43 characters); it is \
                 not shown"
            ))),
        }
    };
    if let Some(path) = &args.from_report {
        let bytes = crate::fsutil::read_capped(path, MAX_REPORT).map_err(|e| {
            let cap = if e.kind() == std::io::ErrorKind::InvalidData {
                " (the most --from-report reads: split the report, or keep only its findings)"
            } else {
                ""
            };
            CliError::Usage(format!("--from-report {}: {e}{cap}", path.display()))
        })?;
        // Read as a person would: a stray byte that is not UTF-8 hides no key.
        return Ok(leak::sightings(&String::from_utf8_lossy(&bytes)));
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

/// 4, 5. Revoke every target at once (the key sgkeys uses last), then prove them all dead
/// together. Ctrl-C (or SIGTERM) sends nothing more and stops the proof; the second one exits.
async fn revoke_and_prove(ctx: &Ctx, args: &RevokeArgs, cases: &[&Case]) -> (Vec<Settled>, bool) {
    let targets: Vec<RevokeTarget> = cases
        .iter()
        .map(|c| match c.home() {
            Some((client, d)) => RevokeTarget {
                ops: ctx.ops.acting_as(client.clone()),
                id: d.api_key_id.clone(),
                name: d.name.clone(),
                scopes_before: Some(scopes::sendable(&d.scopes)),
            },
            // its own credential, in its own account: journaled as a self-revoke, and not
            // recorded in the inventory of the context's account
            None => RevokeTarget {
                ops: Ops {
                    client: ctx.client.with_key(c.sighting.key.clone()),
                    after: None,
                    self_revoke: true,
                    ..ctx.ops.clone()
                },
                id: ApiKeyId(c.id()),
                name: c
                    .itself
                    .as_ref()
                    .map(|d| d.name.clone())
                    .unwrap_or_default(),
                scopes_before: c.itself.as_ref().map(|d| scopes::sendable(&d.scopes)),
            },
        })
        .collect();
    let stop = tokio_util::sync::CancellationToken::new();
    let watcher = tokio::spawn(super::signals::interrupt_watcher(stop.clone()));
    let outcomes = crate::ops::revoke_many(&targets, ctx.settings.concurrency, &stop).await;
    for (c, done) in cases.iter().zip(&outcomes) {
        let id = c.id();
        let Some(d) = done else {
            crate::errln!("NOT SENT {id}: interrupted before it was sent");
            continue;
        };
        warn_journal(d);
        match (&d.result, d.outcome) {
            (Ok(Effect::AlreadyGone), _) => {
                crate::errln!("already revoked {id} (SendGrid answered 404)")
            }
            (Ok(_), _) => crate::errln!("revoked {id}"),
            (Err(_), Outcome::Unknown) => crate::errln!(
                "UNKNOWN whether {id} was revoked: {}",
                d.describe_error().unwrap_or_default()
            ),
            (Err(_), _) => crate::errln!("FAILED {id}: {}", d.describe_error().unwrap_or_default()),
        }
    }
    // every key whose revoke went out and did not clearly fail: the key itself tells
    let asked: Vec<usize> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            d.as_ref()
                .is_some_and(|d| d.result.is_ok() || d.outcome == Outcome::Unknown)
        })
        .map(|(i, _)| i)
        .collect();
    let keys: Vec<&Secret> = asked.iter().map(|&i| &cases[i].sighting.key).collect();
    let timeout = Duration::from_secs_f64(args.verify_timeout);
    let one_id = (keys.len() == 1).then(|| cases[asked[0]].id());
    let progress = |round: u32, t: Duration, works: usize, unclear: usize| {
        let who = match (&one_id, works, unclear) {
            (Some(id), 1, _) => format!("{id} still authenticates"),
            (Some(id), _, _) => format!("{id} is not proven dead yet"),
            (None, w, 0) => format!("{w} still authenticate"),
            (None, w, u) => format!("{w} still authenticate, {u} not proven dead yet"),
        };
        if round == 1 {
            crate::errln!(
                "  {who} (SendGrid applies a revoke after a short delay); asking again until \
                 refused…"
            );
        } else if round.is_multiple_of(5) {
            crate::errln!("  {who} after {}…", leak::seconds(t));
        }
    };
    let proofs = if keys.is_empty() {
        Some(Vec::new())
    } else {
        tokio::select! {
            p = leak::verify_all(&ctx.client, &keys, timeout, ctx.settings.concurrency, &progress) => Some(p),
            () = stop.cancelled() => None,
        }
    };
    watcher.abort();
    let interrupted = stop.is_cancelled();
    if interrupted {
        crate::errln!("Interrupted: keys marked 'not sent' were not sent; the proof was stopped.");
    }
    let mut proofs: HashMap<usize, Verification> = match proofs {
        Some(p) => asked.iter().copied().zip(p).collect(),
        None => asked
            .iter()
            .map(|&i| {
                let v = Verification {
                    unclear: Some("interrupted before it was proven dead".into()),
                    ..Default::default()
                };
                (i, v)
            })
            .collect(),
    };
    let mut out = Vec::with_capacity(cases.len());
    for (i, (c, done)) in cases.iter().zip(outcomes).enumerate() {
        let proof = proofs.remove(&i);
        if let (Some(v), Some(d)) = (&proof, &done) {
            let id = c.id();
            if v.dead {
                crate::errln!("{}: SendGrid refuses {id}", v.describe());
            } else {
                crate::errln!(
                    "{}: {id} is not proven dead. Escalate: revoke it in SendGrid's App and \
                     contact SendGrid support",
                    v.describe()
                );
            }
            // an unclear end is no proof either way: nothing to record
            if v.unclear.is_none()
                && let Some(e) =
                    targets[i]
                        .ops
                        .record_verification(d, v.dead, v.after.as_millis() as u64)
            {
                crate::errln!("sgkeys: warning: the verification could not be journaled: {e}");
            }
        }
        out.push(Settled { done, proof });
    }
    (out, interrupted)
}

/// `revoked  ID  name  confirmed dead after 2.4 s`, for stdout.
fn result_line(case: &Case, s: &Settled) -> String {
    let (name, _) = case.name_and_access();
    let status = match s.status() {
        "revoked" => "revoked",
        "already_revoked" => "already revoked",
        "unknown" => "UNKNOWN",
        "not_attempted" => "NOT SENT",
        _ => "FAILED",
    };
    let tail = match (&s.proof, &s.done) {
        (Some(v), _) => v.describe(),
        (None, Some(d)) => d.describe_error().unwrap_or_default(),
        (None, None) => "interrupted before it was sent".into(),
    };
    format!(
        "{status}  {}  {}  {}",
        case.id(),
        clean(&name),
        clean(&tail)
    )
}

/// One key for `--json`: where it was found, what the key said, where it lives, what was done
/// and how the proof went. `status` overrides the status the rest implies.
fn key_json(case: &Case, status: Option<&str>, settled: Option<&Settled>) -> Value {
    let (name, access) = case.name_and_access();
    let mut v = json!({
        "api_key_id": case.id(),
        "found_at": case.sighting.place(),
        "found_times": case.sighting.count,
        "probe": case.probe.code(),
    });
    if let Probe::Unknown(why) = &case.probe {
        v["probe_error"] = json!(why);
    }
    match &case.location {
        Some(Location::Found(c, d)) => {
            v["account"] = json!(leak::context_name(c));
            v["found_via"] = json!(case.via.map(leak::Route::code));
            v["name"] = json!(name);
            v["type"] = json!(KeyReport::new(d).key_type);
        }
        Some(Location::Nowhere) => v["account"] = Value::Null,
        Some(Location::Unsure(failed)) => {
            v["account"] = Value::Null;
            v["lookup_errors"] = json!(failed);
        }
        None => {}
    }
    if let Some(o) = &case.owner {
        v["owner"] = json!(o);
    }
    if !access.is_empty() {
        v["access"] = json!(access);
    }
    let implied = match (case.plan(), settled) {
        (_, Some(s)) => s.status(),
        (Plan::Nothing, _) => "dead",
        (Plan::NotChecked, _) => "not_checked",
        (Plan::Stranded, _) if matches!(case.location, Some(Location::Unsure(_))) => "not_located",
        (Plan::Stranded, _) => "not_found",
        (Plan::Revoke | Plan::SelfRevoke, None) => "would_revoke",
    };
    v["status"] = json!(status.unwrap_or(implied));
    if case.self_revoke {
        v["self_revoke"] = json!(true);
        if let Some(d) = &case.itself {
            v["name"] = json!(d.name);
        }
    }
    match (case.plan(), settled) {
        (Plan::Nothing, _) => v["verified"] = json!(true),
        (_, Some(s)) => {
            if let Some(p) = &s.proof {
                v["verified"] = json!(p.dead);
                v["verified_after_ms"] = json!(p.after.as_millis() as u64);
                v["proof"] = json!(p.describe());
            }
            if let Some(e) = s.done.as_ref().and_then(Done::describe_error) {
                v["error"] = json!(e);
            }
        }
        _ => {}
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

/// The last word: every key that still needs a person, the ones that still work (or may) and
/// that sgkeys cannot revoke last; or that all is done. Returns how many need a person.
fn closing(cases: &[Case], settled: &HashMap<String, &Settled>) -> usize {
    let mut lines = Vec::new();
    for c in cases {
        let id = c.id();
        match (c.plan(), settled.get(&id)) {
            (Plan::Revoke | Plan::SelfRevoke, Some(s)) if !s.ok() => lines.push(match &s.proof {
                Some(p) => format!(
                    "{}: key {id} {}; escalate: revoke it in SendGrid's App and contact SendGrid \
                     support",
                    if p.still_works() {
                        "STILL WORKS"
                    } else {
                        "NOT PROVEN DEAD"
                    },
                    p.describe()
                ),
                None => format!(
                    "NOT REVOKED: key {id}: {}",
                    s.done
                        .as_ref()
                        .and_then(Done::describe_error)
                        .unwrap_or_else(|| "interrupted before it was sent".into())
                ),
            }),
            (Plan::NotChecked, _) => lines.push(format!(
                "NOT CHECKED: key {id} was not asked within --timeout: whether it works is unknown"
            )),
            _ => {}
        }
    }
    let stranded: Vec<String> = cases
        .iter()
        .filter(|c| c.plan() == Plan::Stranded)
        .map(Case::stranded_line)
        .collect();
    let open = lines.len() + stranded.len();
    // a report of thousands: the table names every key; the end names the first few of each
    const SHOWN: usize = 20;
    let cut = |mut v: Vec<String>, what: &str| {
        if v.len() > SHOWN {
            let more = v.len() - SHOWN;
            v.truncate(SHOWN);
            v.push(format!(
                "… and {more} more {what} (the table names every one)"
            ));
        }
        v
    };
    let lines = cut(lines, "keys not revoked, not proven dead or not checked");
    let stranded = cut(
        stranded,
        "keys that still work, or may, and that sgkeys cannot revoke",
    );
    if open == 0 {
        let done = settled.values().filter(|s| s.ok()).count();
        if done > 0 {
            crate::errln!(
                "Done: {} revoked and confirmed dead.",
                plural(done, "key", "keys")
            );
        }
        return 0;
    }
    crate::errln!(
        "{} still {} you:",
        plural(open, "key", "keys"),
        if open == 1 { "needs" } else { "need" }
    );
    for l in lines.iter().chain(&stranded) {
        crate::errln!("  {l}");
    }
    open
}
