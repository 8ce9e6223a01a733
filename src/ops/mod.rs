//! The operations layer: every mutation (create, rename, set scopes, revoke, recreate) from the
//! dashboard's worker and the CLI goes through [`Ops::run`], which
//!
//! 1. writes the **intent** to the journal and fsyncs it (if that fails, nothing is sent);
//! 2. sends the request (the client retries only what is safe to repeat);
//! 3. classifies the answer strictly: only the documented success is success;
//! 4. **reconciles** an unknown outcome (no answer, 5xx, a redirect, a 2xx that is not the
//!    documented body) by reading the key back: a revoke is done when the key is gone, a create
//!    when a new key with that name appeared, a rename or scope change when the key reads back
//!    as asked; when even that read fails the outcome stays **unknown**, never success;
//! 5. writes the **outcome** line (ok / failed / unknown, status).
//!
//! A bulk revoke ([`revoke_many`]) sends the caller's own key last, after every other answer,
//! and stops starting new requests once asked to (Ctrl-C), finishing and recording the ones
//! under way. A rotation's whole plan (create, deliver, the deployed? gate, revoke, read back)
//! is a value in [`rotate`].
//!
//! A write whose answer differs from what was asked (another name, other scopes) is recorded as
//! answered, and said ([`Done::differs`]).

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::api::{ApiError, ApiKey, ApiKeyId, Client, CreatedKey, KeyDetail, OnBehalfOf};
use crate::journal::{Action, Entry, Journal, Outcome};
use crate::scopes;

pub mod rotate;
pub use rotate::{Rotation, Stage, lineage_name, today};

/// One change to one key.
#[derive(Debug, Clone, PartialEq)]
pub enum Mutation {
    /// `scopes: None` asks for a Full Access key. `replaces`: recreating a revoked key.
    Create {
        name: String,
        scopes: Option<Vec<String>>,
        replaces: Option<ApiKeyId>,
    },
    Rename {
        id: ApiKeyId,
        name: String,
        name_before: String,
    },
    SetScopes {
        id: ApiKeyId,
        name: String,
        scopes: Vec<String>,
        scopes_before: Vec<String>,
    },
    Revoke {
        id: ApiKeyId,
        name: String,
        scopes_before: Option<Vec<String>>,
    },
    /// A replacement for `old` with its scopes (rotation); `old` stays until revoked.
    Rotate {
        old: ApiKeyId,
        name: String,
        scopes: Vec<String>,
    },
}

impl Mutation {
    pub fn action(&self) -> Action {
        match self {
            Mutation::Create { replaces: None, .. } => Action::Create,
            Mutation::Create { .. } => Action::Recreate,
            Mutation::Rotate { .. } => Action::Rotate,
            Mutation::Rename { .. } => Action::Rename,
            Mutation::SetScopes { .. } => Action::SetScopes,
            Mutation::Revoke { .. } => Action::Revoke,
        }
    }

    /// "create", "rename", "set scopes", "revoke", "recreate".
    pub fn verb(&self) -> &'static str {
        match self.action() {
            Action::SetScopes => "set scopes",
            a => a.label(),
        }
    }

    /// The key it changes (None for a create).
    pub fn id(&self) -> Option<&ApiKeyId> {
        match self {
            Mutation::Create { .. } | Mutation::Rotate { .. } => None,
            Mutation::Rename { id, .. }
            | Mutation::SetScopes { id, .. }
            | Mutation::Revoke { id, .. } => Some(id),
        }
    }

    /// The request [`Ops::run`] would send first, for a dry run (the read-back of an unknown
    /// outcome aside).
    pub fn plan(&self, client: &Client) -> Result<crate::api::PlannedRequest, ApiError> {
        match self {
            Mutation::Create { name, scopes, .. } => client.plan_create(name, scopes.as_deref()),
            Mutation::Rotate { name, scopes, .. } => client.plan_create(name, Some(scopes)),
            Mutation::Rename { id, name, .. } => client.plan_rename(id, name),
            Mutation::SetScopes {
                id, name, scopes, ..
            } => client.plan_update(id, name, scopes),
            Mutation::Revoke { id, .. } => client.plan_delete(id),
        }
    }

    /// The intent, as the journal records it.
    fn intent(&self, client: &Client, source: &str) -> Entry {
        let mut e = Entry::new(
            self.action(),
            client.base_url(),
            client.on_behalf_of().map(OnBehalfOf::header_value),
            self.id().map_or("", ApiKeyId::as_str),
            source,
        );
        if client.effective_base_url() != client.base_url() {
            e.sent_to = Some(client.effective_base_url().to_owned());
        }
        match self {
            Mutation::Create {
                name,
                scopes,
                replaces,
            } => {
                e.name = Some(name.clone());
                e.scopes_after = scopes.as_deref().map(scopes::sendable);
                e.replaces = replaces.as_ref().map(|r| r.0.clone());
            }
            Mutation::Rotate { old, name, scopes } => {
                e.name = Some(name.clone());
                e.scopes_after = Some(scopes::sendable(scopes));
                e.replaces = Some(old.0.clone());
                // pending only once its secret is delivered (a later line says so)
                e.secret_delivered = Some(false);
            }
            Mutation::Rename {
                name, name_before, ..
            } => {
                e.name = Some(name.clone());
                e.name_before = Some(name_before.clone());
            }
            Mutation::SetScopes {
                name,
                scopes: wanted,
                scopes_before,
                ..
            } => {
                e.name = Some(name.clone());
                e.scopes_before = Some(scopes_before.clone());
                e.scopes_after = Some(scopes::sendable(wanted));
            }
            Mutation::Revoke {
                name,
                scopes_before,
                ..
            } => {
                e.name = Some(name.clone());
                e.scopes_before = scopes_before.clone();
            }
        }
        e
    }
}

/// What a mutation did.
#[derive(Debug)]
pub enum Effect {
    Created(CreatedKey),
    Renamed(ApiKey),
    Updated(KeyDetail),
    Revoked,
    /// The key was not there to revoke (404): already gone.
    AlreadyGone,
}

/// The whole story of one mutation.
#[derive(Debug)]
pub struct Done {
    /// The effect, or why there is none. With [`Outcome::Unknown`] this is the error that left
    /// the outcome open; with [`Outcome::Ok`] after reconciliation of a create it is
    /// [`ApiError::CreatedSecretLost`] (the key exists, its secret is gone).
    pub result: Result<Effect, ApiError>,
    pub outcome: Outcome,
    /// How an unknown answer was settled (or not) by reading back, in plain words.
    pub note: Option<String>,
    /// The intent was journaled but the outcome line could not be written.
    pub journal_error: Option<String>,
    /// Sent at all (false when refused before sending: read-only, journal unwritable).
    pub sent: bool,
    /// The journal entry as settled (to add a verification to), when journaled.
    pub entry: Option<Box<Entry>>,
    /// How the server's answer differs from what was asked (name, scopes), one line each:
    /// the write is recorded as answered, and this is said as a warning.
    pub differs: Vec<String>,
}

impl Done {
    /// A mutation that succeeded (for tests and simulated answers).
    pub fn ok(effect: Effect) -> Done {
        Done {
            result: Ok(effect),
            outcome: Outcome::Ok,
            note: None,
            journal_error: None,
            sent: true,
            entry: None,
            differs: Vec::new(),
        }
    }

    /// A mutation refused with `e` (a clear failure).
    pub fn err(e: ApiError) -> Done {
        Done {
            sent: !matches!(e, ApiError::ReadOnly(_) | ApiError::NotJournaled(_)),
            ..Done::refused(e)
        }
    }

    fn refused(e: ApiError) -> Done {
        Done {
            result: Err(e),
            outcome: Outcome::Failed,
            note: None,
            journal_error: None,
            sent: false,
            entry: None,
            differs: Vec::new(),
        }
    }

    /// The error text with the read-back note, for messages.
    pub fn describe_error(&self) -> Option<String> {
        let e = self.result.as_ref().err()?;
        Some(match &self.note {
            Some(n) => format!("{e}; {n}"),
            None => e.to_string(),
        })
    }
}

/// Runs mutations in one context, journaling each.
#[derive(Debug, Clone)]
pub struct Ops {
    pub client: Client,
    pub journal: Option<Journal>,
    /// `cli` or `tui`, recorded in the journal.
    pub source: &'static str,
    pub read_only: bool,
    /// Told what each write did (the inventory records it: [`crate::seen::after_write`]).
    pub after: Option<AfterWrite>,
    /// The client authenticates with a leaked key to revoke it in its own account
    /// (`--self-revoke`): journaled as such, never as a write in the context's account.
    pub self_revoke: bool,
}

/// Called with each mutation's outcome, in the context of the client that sent it.
#[derive(Clone)]
#[allow(clippy::type_complexity)]
pub struct AfterWrite(pub Arc<dyn Fn(&Client, &Mutation, &Done) + Send + Sync>);

impl std::fmt::Debug for AfterWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AfterWrite")
    }
}

impl Ops {
    pub fn new(client: Client, journal: Option<Journal>, source: &'static str) -> Ops {
        Ops {
            client,
            journal,
            source,
            read_only: false,
            after: None,
            self_revoke: false,
        }
    }

    /// The same, acting in another context.
    pub fn acting_as(&self, client: Client) -> Ops {
        Ops {
            client,
            ..self.clone()
        }
    }

    /// Whether `id` is the key sgkeys itself authenticates with (in its own account).
    pub fn is_callers_key(&self, id: &ApiKeyId) -> bool {
        self.client.on_behalf_of().is_none() && self.client.caller_key_id() == Some(id.as_str())
    }

    /// Journal the intent, send, classify, reconcile, journal the outcome.
    pub async fn run(&self, m: Mutation) -> Done {
        if self.read_only {
            return Done::refused(ApiError::ReadOnly(m.verb().to_owned()));
        }
        let mut entry = m.intent(&self.client, self.source);
        if self.self_revoke {
            entry.self_revoke = Some(true);
        }
        if let Some(j) = &self.journal {
            match j.intent(entry) {
                Ok(e) => entry = e,
                Err(e) => {
                    return Done::refused(ApiError::NotJournaled(format!(
                        "the journal cannot record the {}: {e}",
                        m.verb()
                    )));
                }
            }
        }
        let mut done = self.perform(&m).await;
        done.differs = differs(&m, &done.result);
        // the journal records what the server answered
        match &done.result {
            Ok(Effect::Created(k)) => {
                entry.api_key_id = k.api_key_id.0.clone();
                entry.name = Some(k.name.clone());
                entry.scopes_after = Some(scopes::sendable(&k.scopes));
            }
            Err(ApiError::CreatedSecretLost { id, .. }) => {
                entry.api_key_id.clone_from(id);
            }
            Ok(Effect::Renamed(k)) => entry.name = Some(k.name.clone()),
            Ok(Effect::Updated(d)) => {
                entry.name = Some(d.name.clone());
                entry.scopes_after = Some(scopes::sendable(&d.scopes));
            }
            _ => {}
        }
        let status = match &done.result {
            Ok(Effect::Created(_)) => Some(201),
            Ok(Effect::Renamed(_) | Effect::Updated(_)) => Some(200),
            Ok(Effect::Revoked) => Some(204),
            Ok(Effect::AlreadyGone) => Some(404),
            Err(e) => e.status(),
        };
        let error = match (&done.result, &done.note) {
            (Ok(_), None) => None,
            (Ok(_), Some(n)) => Some(n.clone()),
            (Err(e), Some(n)) => Some(format!("{}; {n}", e.short())),
            (Err(e), None) => Some(e.short()),
        };
        entry.settle(done.outcome, status, error);
        if let Some(j) = &self.journal {
            match j.outcome(&entry) {
                Ok(()) => done.entry = Some(Box::new(entry)),
                Err(e) => done.journal_error = Some(e.to_string()),
            }
        }
        if let Some(after) = &self.after {
            (after.0)(&self.client, &m, &done);
        }
        done
    }

    /// Add to a revoke's journal record whether the key was then seen dead, and when.
    pub fn record_verification(&self, done: &Done, dead: bool, after_ms: u64) -> Option<String> {
        let (Some(j), Some(entry)) = (&self.journal, &done.entry) else {
            return None;
        };
        j.verification(entry, dead, after_ms)
            .err()
            .map(|e| e.to_string())
    }

    /// Add to a revoke's journal record what reading the key back answered (gone: 404).
    pub fn record_read_back(&self, done: &Done, gone: bool) -> Option<String> {
        let (Some(j), Some(entry)) = (&self.journal, &done.entry) else {
            return None;
        };
        j.read_back(entry, gone).err().map(|e| e.to_string())
    }

    async fn perform(&self, m: &Mutation) -> Done {
        let c = &self.client;
        let (result, outcome, note) = match m {
            Mutation::Create { name, scopes, .. } => {
                // The list before lets an unknown answer be settled by comparing.
                let before = c.list_keys(None).await.ok();
                match c.create_key(name, scopes.as_deref()).await {
                    Ok(k) => (Ok(Effect::Created(k)), Outcome::Ok, None),
                    Err(e) if e.mutation_unknown() => self.settle_create(name, before, e).await,
                    Err(e) => (Err(e), Outcome::Failed, None),
                }
            }
            Mutation::Rotate { name, scopes, .. } => {
                let before = c.list_keys(None).await.ok();
                match c.create_key(name, Some(scopes)).await {
                    Ok(k) => (Ok(Effect::Created(k)), Outcome::Ok, None),
                    Err(e) if e.mutation_unknown() => self.settle_create(name, before, e).await,
                    Err(e) => (Err(e), Outcome::Failed, None),
                }
            }
            Mutation::Rename { id, name, .. } => match c.rename_key(id, name).await {
                Ok(k) => (Ok(Effect::Renamed(k)), Outcome::Ok, None),
                Err(e) if e.mutation_unknown() => match c.get_key(id).await {
                    Ok(k) if &k.name == name => (
                        Ok(Effect::Renamed(ApiKey {
                            api_key_id: k.api_key_id,
                            name: k.name,
                        })),
                        Outcome::Ok,
                        Some(format!(
                            "{}; read back: the key has the new name",
                            e.short()
                        )),
                    ),
                    Ok(_) => (
                        Err(e),
                        Outcome::Failed,
                        Some("read back: the name is unchanged".into()),
                    ),
                    Err(r) => unknown(e, id, &r),
                },
                Err(e) => (Err(e), Outcome::Failed, None),
            },
            Mutation::SetScopes {
                id,
                name,
                scopes: wanted,
                ..
            } => match c.update_key(id, name, wanted).await {
                Ok(k) => (Ok(Effect::Updated(k)), Outcome::Ok, None),
                Err(e) if e.mutation_unknown() => match c.get_key(id).await {
                    Ok(k)
                        if &k.name == name
                            && scopes::sendable(&k.scopes) == scopes::sendable(wanted) =>
                    {
                        let note = format!("{}; read back: the key has the new scopes", e.short());
                        (Ok(Effect::Updated(k)), Outcome::Ok, Some(note))
                    }
                    Ok(_) => (
                        Err(e),
                        Outcome::Failed,
                        Some("read back: the scopes are not as asked (unchanged)".into()),
                    ),
                    Err(r) => unknown(e, id, &r),
                },
                Err(e) => (Err(e), Outcome::Failed, None),
            },
            Mutation::Revoke { id, .. } => match c.delete_key(id).await {
                Ok(()) => (Ok(Effect::Revoked), Outcome::Ok, None),
                // gone already (revoked elsewhere, or by an earlier attempt): done for an incident
                Err(e) if e.gone_by_sendgrid() => (
                    Ok(Effect::AlreadyGone),
                    Outcome::Ok,
                    Some("already revoked: SendGrid answered 404".into()),
                ),
                // a gateway's page (an HTML 404) says nothing about the key: read it back
                Err(e) if e.mutation_unknown() || e.not_from_sendgrid() => {
                    match c.get_key(id).await {
                        Err(r) if r.gone_by_sendgrid() => (
                            Ok(Effect::Revoked),
                            Outcome::Ok,
                            Some(format!("{}; read back: the key is gone", e.short())),
                        ),
                        Ok(_) => (
                            Err(e),
                            Outcome::Failed,
                            Some("read back: the key still exists: NOT revoked".into()),
                        ),
                        Err(r) => unknown(e, id, &r),
                    }
                }
                Err(e) => (Err(e), Outcome::Failed, None),
            },
        };
        Done {
            result,
            outcome,
            note,
            journal_error: None,
            sent: true,
            entry: None,
            differs: Vec::new(),
        }
    }

    /// A create whose answer was lost: did a key with that name appear?
    async fn settle_create(
        &self,
        name: &str,
        before: Option<Vec<ApiKey>>,
        err: ApiError,
    ) -> (Result<Effect, ApiError>, Outcome, Option<String>) {
        let after = match self.client.list_keys(None).await {
            Ok(a) => a,
            Err(r) => {
                let note = format!(
                    "could not read the key list back ({}): check `sgkeys list` for a key named '{}'",
                    r.short(),
                    crate::api::error::printable(name)
                );
                return (Err(err), Outcome::Unknown, Some(note));
            }
        };
        let Some(before) = before else {
            let note = format!(
                "the key list before the create could not be read, so a new key cannot be told \
                 from an old one: check `sgkeys list` for a key named '{}'",
                crate::api::error::printable(name)
            );
            return (Err(err), Outcome::Unknown, Some(note));
        };
        let known: HashSet<ApiKeyId> = before.into_iter().map(|k| k.api_key_id).collect();
        let new: Vec<ApiKey> = after
            .into_iter()
            .filter(|k| k.name == name && !known.contains(&k.api_key_id))
            .collect();
        match new.as_slice() {
            [] => (
                Err(err),
                Outcome::Failed,
                Some("read back: no new key appeared (not created)".into()),
            ),
            [k] => (
                Err(ApiError::CreatedSecretLost {
                    id: k.api_key_id.0.clone(),
                    cause: err.short(),
                }),
                Outcome::Ok,
                Some("read back: the key was created; its secret was lost with the answer".into()),
            ),
            _ => (
                Err(err),
                Outcome::Unknown,
                Some(format!(
                    "read back: {} new keys with that name appeared; check `sgkeys list`",
                    new.len()
                )),
            ),
        }
    }
}

fn unknown(
    e: ApiError,
    id: &ApiKeyId,
    read: &ApiError,
) -> (Result<Effect, ApiError>, Outcome, Option<String>) {
    let note = format!(
        "could not read the key back ({}): outcome unknown, check with `sgkeys show {id}`",
        read.short()
    );
    (Err(e), Outcome::Unknown, Some(note))
}

/// One key to revoke, in its context.
#[derive(Debug, Clone)]
pub struct RevokeTarget {
    pub ops: Ops,
    pub id: ApiKeyId,
    pub name: String,
    pub scopes_before: Option<Vec<String>>,
}

impl RevokeTarget {
    pub fn is_callers_key(&self) -> bool {
        self.ops.is_callers_key(&self.id)
    }
}

/// Revoke many keys: every other key first (at most `concurrency` at once), then the caller's
/// own key, once every other answer is in. When `stop` is cancelled, no new request starts; the
/// ones under way finish and are recorded. `None` in the result: not attempted. `progress`
/// hears (answered, targets) as each answer arrives.
pub async fn revoke_many(
    targets: &[RevokeTarget],
    concurrency: usize,
    stop: &CancellationToken,
    progress: crate::fetch::Progress<'_>,
) -> Vec<Option<Done>> {
    let sem = Arc::new(Semaphore::new(concurrency.max(1)));
    let answered = std::sync::atomic::AtomicUsize::new(0);
    let total = targets.len();
    let run = |t: &RevokeTarget| {
        let sem = Arc::clone(&sem);
        let t = t.clone();
        let stop = stop.clone();
        let answered = &answered;
        async move {
            let _permit = tokio::select! {
                biased;
                _ = stop.cancelled() => return None,
                p = sem.acquire_owned() => p.ok()?,
            };
            if stop.is_cancelled() {
                return None;
            }
            let done = t
                .ops
                .run(Mutation::Revoke {
                    id: t.id.clone(),
                    name: t.name.clone(),
                    scopes_before: t.scopes_before.clone(),
                })
                .await;
            progress(
                answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                total,
            );
            Some(done)
        }
    };
    let (own, others): (Vec<usize>, Vec<usize>) =
        (0..targets.len()).partition(|&i| targets[i].is_callers_key());
    let mut out: Vec<Option<Done>> = (0..targets.len()).map(|_| None).collect();
    let first = futures_util::future::join_all(others.iter().map(|&i| run(&targets[i]))).await;
    for (i, d) in others.into_iter().zip(first) {
        out[i] = d;
    }
    for i in own {
        out[i] = run(&targets[i]).await;
    }
    out
}

/// How a write's answer differs from its request: another name, other scopes (compared as
/// sets, without the scopes SendGrid adds by itself). Empty when it is as asked.
fn differs(m: &Mutation, r: &Result<Effect, ApiError>) -> Vec<String> {
    let (asked_name, asked_scopes): (&str, Option<&[String]>) = match m {
        Mutation::Create { name, scopes, .. } => (name, scopes.as_deref()),
        Mutation::Rotate { name, scopes, .. } => (name, Some(scopes)),
        Mutation::Rename { name, .. } => (name, None),
        Mutation::SetScopes { name, scopes, .. } => (name, Some(scopes)),
        Mutation::Revoke { .. } => return Vec::new(),
    };
    let (id, got_name, got_scopes): (&ApiKeyId, &str, Option<&[String]>) = match r {
        Ok(Effect::Created(k)) => (&k.api_key_id, &k.name, Some(&k.scopes)),
        Ok(Effect::Renamed(k)) => (&k.api_key_id, &k.name, None),
        Ok(Effect::Updated(d)) => (&d.api_key_id, &d.name, Some(&d.scopes)),
        _ => return Vec::new(),
    };
    let p = crate::api::error::printable;
    let mut out = Vec::new();
    if got_name != asked_name {
        out.push(format!(
            "{id}: the server answered the name '{}', not '{}' as asked",
            p(got_name),
            p(asked_name)
        ));
    }
    if let (Some(asked), Some(got)) = (asked_scopes, got_scopes) {
        let asked: HashSet<String> = scopes::sendable(asked).into_iter().collect();
        let got: HashSet<String> = scopes::sendable(got).into_iter().collect();
        if got.is_empty() && !asked.is_empty() {
            out.push(format!(
                "{id}: the server's answer carries no scopes ({} asked): check with `sgkeys show {id}`",
                asked.len()
            ));
        } else if got != asked {
            let mut missing: Vec<&String> = asked.difference(&got).collect();
            let mut extra: Vec<&String> = got.difference(&asked).collect();
            missing.sort();
            extra.sort();
            let list = |v: &[&String]| {
                let shown: Vec<String> = v.iter().take(5).map(|s| p(s)).collect();
                let more = v.len().saturating_sub(5);
                if more > 0 {
                    format!("{} and {more} more", shown.join(", "))
                } else {
                    shown.join(", ")
                }
            };
            let mut parts = Vec::new();
            if !missing.is_empty() {
                parts.push(format!("without {}", list(&missing)));
            }
            if !extra.is_empty() {
                parts.push(format!("with {} not asked", list(&extra)));
            }
            out.push(format!(
                "{id}: the server answered other scopes than asked: {}",
                parts.join("; ")
            ));
        }
    }
    out
}
