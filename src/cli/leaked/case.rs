//! One leaked key followed through (a [`Case`]): read from wherever it comes, asked itself,
//! looked up in every reachable account; what became of it ([`Settled`]) and how that is said
//! (a result line, its `--json` object, the last word).

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use serde_json::{Value, json};

use crate::api::{ApiKeyId, Client, KeyDetail};
use crate::cli::context::Ctx;
use crate::cli::exposed;
use crate::cli::prompt::{self, PromptError};
use crate::cli::signals::interruptible;
use crate::cli::sweeps::{Start, interrupted_run};
use crate::cli::{CliError, RevokeArgs};
use crate::leak::{self, Location, Probe, Sighting, Verification};
use crate::ops::Done;
use crate::output::{self, clean};
use crate::report::KeyReport;
use crate::risk;
use crate::scopes;
use crate::secret::Secret;
use crate::text::plural;

/// The largest report read (`--from-report`).
const MAX_REPORT: u64 = 64 * crate::fsutil::MAX_INPUT;

/// One leaked key, followed through.
pub(super) struct Case {
    pub(super) sighting: Sighting,
    pub(super) probe: Probe,
    /// Where it lives; None: not looked up (SendGrid refused it, or it was not asked).
    pub(super) location: Option<Location>,
    /// The route that found it, and the account the key itself named.
    pub(super) via: Option<leak::Route>,
    pub(super) owner: Option<String>,
    /// Revoke it with its own credential: it works, no reachable account was seen holding it,
    /// it holds `api_keys.delete`, and `--self-revoke` was given.
    pub(super) self_revoke: bool,
    /// A self-revoked key as it reads itself with its own credential (its name and scopes for
    /// the prompt and the journal); None when it may not read itself.
    pub(super) itself: Option<KeyDetail>,
}

/// What is to be done with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Plan {
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
    pub(super) fn id(&self) -> String {
        self.sighting.key.key_id().unwrap_or("?").to_owned()
    }

    pub(super) fn home(&self) -> Option<(&Client, &KeyDetail)> {
        match &self.location {
            Some(Location::Found(c, d)) => Some((c, d)),
            _ => None,
        }
    }

    pub(super) fn plan(&self) -> Plan {
        match (&self.probe, &self.location) {
            (Probe::Dead, _) => Plan::Nothing,
            (Probe::NotChecked, _) => Plan::NotChecked,
            (_, Some(Location::Found(..))) => Plan::Revoke,
            _ if self.self_revoke => Plan::SelfRevoke,
            _ => Plan::Stranded,
        }
    }

    pub(super) fn holds_delete(&self) -> bool {
        matches!(&self.probe, Probe::Live(s) if s.iter().any(|x| x == "api_keys.delete"))
    }

    /// The ACCOUNT column.
    pub(super) fn account(&self) -> String {
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
    pub(super) fn name_and_access(&self) -> (String, String) {
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
    pub(super) fn stranded_line(&self) -> String {
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
pub(super) struct Settled {
    /// None: not sent (interrupted first).
    pub(super) done: Option<Done>,
    /// None: not asked (the revoke failed, or it was not sent).
    pub(super) proof: Option<Verification>,
}

impl Settled {
    /// `revoked`, `already_revoked`, `unknown`, `failed`, `not_attempted`.
    pub(super) fn status(&self) -> &'static str {
        exposed::revoke_status(self.done.as_ref())
    }

    /// Revoked (or already gone) and SendGrid refuses it now.
    pub(super) fn ok(&self) -> bool {
        matches!(self.status(), "revoked" | "already_revoked")
            && self.proof.as_ref().is_some_and(|p| p.dead)
    }
}

/// 2, 3. Ask each key itself, then look for every key that may work.
pub(super) async fn assess(
    ctx: &Ctx,
    args: &RevokeArgs,
    sightings: Vec<Sighting>,
    many: bool,
) -> Result<Vec<Case>, CliError> {
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
        // the sweep resumes as the other sweeps do: an interrupted search's next run for the
        // same keys ([`leak::search_kind`]) asks only the accounts it had not been answered
        // (within --max-age)
        let start = Start::find(ctx, &leak::search_kind(&wanted), "leaked-key search");
        let recording = std::sync::OnceLock::new();
        let begin = |contexts: &[leak::SweepContext]| {
            let sweep = start.begin(ctx, contexts);
            if let Some((rec, id)) = sweep.recording() {
                let _ = recording.set((rec.clone(), id));
            }
            sweep
        };
        let found = interruptible(leak::locate_resuming(
            &ctx.client,
            &wanted,
            ctx.recorder(),
            Some(begin),
            watch,
        ))
        .await;
        sweep.finish();
        let Some(found) = found else {
            let Some((rec, id)) = recording.get() else {
                return Err(CliError::Interrupted(
                    "interrupted: the leaked-key search was stopped before it listed any \
                     account; nothing was revoked"
                        .into(),
                ));
            };
            return Err(interrupted_run(
                ctx,
                Some((rec, *id)),
                "leaked-key search (nothing was revoked)",
                "the accounts that answered",
            ));
        };
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
    Ok(cases)
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
pub(super) fn read_keys(args: &RevokeArgs) -> Result<Vec<Sighting>, CliError> {
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
pub(super) fn blast_radius(scopes_held: &[String]) -> Vec<String> {
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

/// `revoked  ID  name  confirmed dead after 2.4 s`, for stdout.
pub(super) fn result_line(case: &Case, s: &Settled) -> String {
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
pub(super) fn key_json(case: &Case, status: Option<&str>, settled: Option<&Settled>) -> Value {
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

/// The last word: every key that still needs a person, the ones that still work (or may) and
/// that sgkeys cannot revoke last; or that all is done. Returns how many need a person.
pub(super) fn closing(cases: &[Case], settled: &HashMap<String, &Settled>) -> usize {
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
