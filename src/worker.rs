//! The background worker: runs [`Command::Api`]s with the API client and sends exactly one
//! [`ApiEvent`] back per command. Mutations go through the operations layer ([`crate::ops`]):
//! read-only refusal before any request, the write-ahead journal (intent before the request,
//! outcome before the UI hears of it), strict classification and read-back of unknown outcomes.
//!
//! Reads can be cancelled (context switch, quit); each cancelled read still gets its one event
//! (`ApiError::Cancelled`), and which of "result" or "cancelled" is sent is decided once.
//! Mutations are never cancelled: when the command channel closes, the worker waits for the
//! ones in flight so their journal entries are written.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::task::{AbortHandle, JoinSet};

use crate::api::{ApiError, Client, OnBehalfOf, Region};
use crate::app::{ApiEvent, ApiOp, ApiResult, Command, ReqId};
use crate::journal::Journal;
use crate::ops::{Done, Ops};
use crate::resume;

/// The newest journal entries the dashboard holds (with every older open rotation).
pub const JOURNAL_HELD: usize = 20_000;

/// Where the worker's answers go.
pub trait Sink: Send + Sync + 'static {
    fn send(&self, ev: ApiEvent);
}

impl Sink for UnboundedSender<ApiEvent> {
    fn send(&self, ev: ApiEvent) {
        let _ = UnboundedSender::send(self, ev);
    }
}

/// When the worker started: the persistence check of a pasted key compares with the
/// inventory's last complete list from before.
static STARTED: std::sync::OnceLock<crate::inventory::Millis> = std::sync::OnceLock::new();

/// What the worker needs.
pub struct Worker {
    pub client: Client,
    pub journal: Option<Journal>,
    pub read_only: bool,
    /// Every list and key read, and every write, is recorded here (none: nothing is kept).
    pub inventory: Option<crate::inventory::Recorder>,
    /// Where [`ApiOp::Recall`] reads what the inventory holds (none: it answers nothing).
    pub recall: Option<Recall>,
}

/// The inventory the dashboard opens from.
#[derive(Debug, Clone)]
pub struct Recall {
    pub path: std::path::PathBuf,
    /// The account whose contexts are read.
    pub scope: crate::inventory::Scope,
    /// `sgkeys --offline`: every request is refused before it is sent; only the inventory
    /// and the journal are read.
    pub offline: bool,
    /// `--max-age`: how old an answer the all-contexts matrix's sweep may take from the
    /// inventory (without it: only an interrupted sweep's, within 10 min).
    pub max_age: Option<std::time::Duration>,
}

/// What the inventory at `path` holds for `place`, each key's age from now.
pub fn recall(
    path: &std::path::Path,
    place: &crate::inventory::Place,
) -> Result<Option<crate::app::Remembered>, String> {
    use crate::api::{ApiKey, ApiKeyId};
    let Some(reader) =
        crate::inventory::Inventory::read_existing(path).map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    // each distinct scope set classified once, shared by its keys
    let Some(snap) = reader
        .snapshot_decoded(place, |names| Arc::new(crate::app::KeyInfo::of(names)))
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let now = crate::inventory::now_ms();
    let age = |t: crate::inventory::Millis| (now - t).max(0) as u64;
    Ok(Some(crate::app::Remembered {
        keys: snap
            .keys
            .into_iter()
            .map(|k| {
                let key = ApiKey {
                    api_key_id: ApiKeyId(k.key_id),
                    name: k.name,
                };
                (key, k.scopes, age(k.last_seen), age(k.first_seen))
            })
            .collect(),
        list_age: snap.context.list_read_at.map(age),
    }))
}

struct Read {
    abort: AbortHandle,
    claimed: Arc<AtomicBool>,
    op: ApiOp,
}

impl Worker {
    /// Run until the command channel closes (or a `Quit` arrives), then wait for mutations.
    pub async fn run(self, mut commands: UnboundedReceiver<Command>, sink: Arc<dyn Sink>) {
        STARTED.get_or_init(crate::inventory::now_ms);
        let this = Arc::new(self);
        let mut reads: HashMap<ReqId, Read> = HashMap::new();
        let mut mutations: JoinSet<()> = JoinSet::new();
        let mut read_tasks: JoinSet<()> = JoinSet::new();
        let mut sweeps = Sweeps::default();
        while let Some(cmd) = commands.recv().await {
            match cmd {
                Command::Api {
                    req,
                    ctx,
                    region,
                    op,
                } => {
                    if let ApiOp::RecordDelivery { entry, delivered } = op {
                        // a journal line, not a request: never cancelled, waited for at the end
                        let (journal, sink) = (this.journal.clone(), Arc::clone(&sink));
                        mutations.spawn(async move {
                            let result = ApiResult::Recorded(
                                record_delivery(journal, entry, delivered).await,
                            );
                            sink.send(ApiEvent { req, result });
                        });
                        continue;
                    }
                    let offline = this.recall.as_ref().is_some_and(|r| r.offline);
                    if offline && !matches!(op, ApiOp::Recall | ApiOp::ReadJournal) {
                        // --offline: nothing is sent, whatever asks
                        sink.send(ApiEvent {
                            req,
                            result: refuse(&op, "offline: the request"),
                        });
                        continue;
                    }
                    if let Some(result) = this.sweep_op(&mut sweeps, &ctx, &op) {
                        // the inventory's bookkeeping, in order with the reads that follow
                        sink.send(ApiEvent { req, result });
                        continue;
                    }
                    if op.is_mutation() {
                        if this.read_only {
                            // Refused before any request is sent.
                            let what = describe(&op);
                            sink.send(ApiEvent {
                                req,
                                result: refuse(&op, what),
                            });
                            continue;
                        }
                        let (this, sink) = (Arc::clone(&this), Arc::clone(&sink));
                        mutations.spawn(async move {
                            let ev = this.mutate(req, ctx, region, op).await;
                            sink.send(ev);
                        });
                    } else {
                        reads.retain(|_, r| !r.abort.is_finished());
                        let claimed = Arc::new(AtomicBool::new(false));
                        let (this, sink2, claimed2, op2) = (
                            Arc::clone(&this),
                            Arc::clone(&sink),
                            Arc::clone(&claimed),
                            op.clone(),
                        );
                        let sweep = sweeps.active.clone();
                        let abort = read_tasks.spawn(async move {
                            let result = this.read(ctx, region, &op2, sweep).await;
                            if !claimed2.swap(true, Ordering::SeqCst) {
                                sink2.send(ApiEvent { req, result });
                            }
                        });
                        reads.insert(req, Read { abort, claimed, op });
                    }
                }
                Command::CancelReads => {
                    for (req, r) in reads.drain() {
                        if !r.claimed.swap(true, Ordering::SeqCst) {
                            r.abort.abort();
                            sink.send(ApiEvent {
                                req,
                                result: cancelled(&r.op),
                            });
                        }
                    }
                }
                Command::Quit => break,
                Command::Copy { .. } => {}
            }
            // reap finished tasks so the sets stay small
            while read_tasks.try_join_next().is_some() {}
            while mutations.try_join_next().is_some() {}
        }
        sweeps.end("interrupted");
        read_tasks.abort_all();
        while mutations.join_next().await.is_some() {}
    }

    async fn read(
        &self,
        ctx: Option<OnBehalfOf>,
        region: Option<Region>,
        op: &ApiOp,
        sweep: Option<Arc<resume::Sweep>>,
    ) -> ApiResult {
        let client = self.client.acting_as(ctx).in_region(region);
        let obo = client.on_behalf_of().map(OnBehalfOf::header_value);
        // the sweep's reads: what the inventory answers is taken, the rest recorded as its own
        let sweep = sweep.filter(|_| matches!(op, ApiOp::SweepListKeys | ApiOp::SweepGetKey(_)));
        match op {
            ApiOp::ListKeys | ApiOp::SweepListKeys => {
                if let Some(keys) = sweep.as_ref().and_then(|s| s.known_list(&obo)) {
                    return ApiResult::Keys(Ok(keys));
                }
                let answer = client.list_keys(None).await;
                match (&sweep, &self.inventory) {
                    (Some(s), _) => s.listed(&client, &answer),
                    (None, Some(rec)) => {
                        let place = crate::seen::place(rec, &client);
                        crate::seen::list(rec, &place, &answer, true, None);
                    }
                    (None, None) => {}
                }
                ApiResult::Keys(answer)
            }
            ApiOp::GetKey(id) | ApiOp::SweepGetKey(id) => {
                if let Some(known) = sweep.as_ref().and_then(|s| s.known_detail(&obo, id)) {
                    return ApiResult::Key(known);
                }
                let answer = client.get_key(id).await;
                match (&sweep, &self.inventory) {
                    (Some(s), _) => s.read(&client, id, &answer),
                    (None, Some(rec)) => {
                        let place = crate::seen::place(rec, &client);
                        crate::seen::detail(rec, &place, id.as_str(), &answer);
                    }
                    (None, None) => {}
                }
                ApiResult::Key(answer)
            }
            ApiOp::Describe(id) => {
                let answer = client.get_key_answer(id).await;
                if let Some(rec) = &self.inventory {
                    let detail = answer
                        .as_ref()
                        .map(|(k, _)| k.clone())
                        .map_err(Clone::clone);
                    crate::seen::detail(
                        rec,
                        &crate::seen::place(rec, &client),
                        id.as_str(),
                        &detail,
                    );
                }
                ApiResult::Described(
                    answer.map(|(k, body)| (k, crate::app::describe::body_text(&body))),
                )
            }
            ApiOp::Recall => ApiResult::Remembered(match self.recall.clone() {
                None => Ok(None),
                Some(r) => {
                    let place = r
                        .scope
                        .place(client.on_behalf_of().map(OnBehalfOf::header_value));
                    tokio::task::spawn_blocking(move || recall(&r.path, &place))
                        .await
                        .unwrap_or_else(|e| Err(format!("reading the inventory stopped: {e}")))
                }
            }),
            ApiOp::MyScopes => ApiResult::MyScopes(client.my_scopes().await),
            ApiOp::ListSubusers => ApiResult::Subusers(client.list_subusers().await),
            ApiOp::Probe(secret) => ApiResult::Probed(crate::leak::probe(&client, secret).await),
            ApiOp::Locate { secret, here } => {
                let id = crate::api::ApiKeyId(secret.key_id().unwrap_or_default().to_owned());
                let found = if *here {
                    // on screen already: one GET where it is
                    let answer = client.get_key(&id).await;
                    if let Some(rec) = &self.inventory {
                        let place = crate::seen::place(rec, &client);
                        crate::seen::detail(rec, &place, id.as_str(), &answer);
                    }
                    vec![crate::leak::Located {
                        location: match answer {
                            Ok(d) => crate::leak::Location::Found(client.clone(), d),
                            Err(e) if e.gone_by_sendgrid() => crate::leak::Location::Nowhere,
                            Err(e) => crate::leak::Location::Unsure(vec![e.short()]),
                        },
                        via: Some(crate::leak::Route::Here),
                        owner: None,
                        region,
                    }]
                } else {
                    let wanted = crate::leak::Wanted {
                        id,
                        key: Some(secret.clone()),
                    };
                    // every reachable context, whichever one the dashboard shows
                    let base = self.client.acting_as(None);
                    crate::leak::locate(
                        &base,
                        &[wanted],
                        self.inventory.as_ref(),
                        crate::leak::Watch::quiet(),
                    )
                    .await
                };
                let found = found.into_iter().next();
                // the persistence check, for a key that could create keys
                let exposure = match found.as_ref().map(|l| &l.location) {
                    Some(crate::leak::Location::Found(c, d))
                        if crate::leak::can_create(&d.scopes) =>
                    {
                        Some(
                            crate::leak::appeared(
                                c,
                                self.inventory.as_ref(),
                                &d.api_key_id,
                                None,
                                *STARTED.get_or_init(crate::inventory::now_ms),
                            )
                            .await
                            .map_err(|e| e.short()),
                        )
                    }
                    _ => None,
                };
                ApiResult::Located(crate::app::leak::Whereabouts::of(found, exposure))
            }
            ApiOp::VerifyDead { secret, entry } => {
                let timeout = std::time::Duration::from_millis(crate::app::leak::VERIFY_TIMEOUT_MS);
                let v = crate::leak::verify_dead(&client, secret, timeout, &|_, _| {}).await;
                // an unclear end (no telling answer) is no proof either way: nothing to record
                if let (Some(j), Some(e), None) = (&self.journal, entry, &v.unclear)
                    && let Err(err) = j.verification(e, v.dead, v.after.as_millis() as u64)
                {
                    tracing::warn!("the verification could not be journaled: {err}");
                }
                ApiResult::Verified(Ok(v))
            }
            ApiOp::ListAfterDelay { before, leaked } => ApiResult::AppearedDuringDelay(
                crate::leak::appeared_during_delay(
                    &client,
                    self.inventory.as_ref(),
                    before,
                    leaked,
                )
                .await,
            ),
            ApiOp::ReadJournal => ApiResult::Journal(match &self.journal {
                Some(j) => {
                    let j = j.clone();
                    match tokio::task::spawn_blocking(move || j.recent(JOURNAL_HELD)).await {
                        Ok(r) => r.map_err(|e| e.to_string()),
                        Err(e) => Err(format!("reading the journal stopped: {e}")),
                    }
                }
                None => Err("no journal is kept (--no-journal?)".into()),
            }),
            ApiOp::ReadBack(step) => {
                let ops = Ops {
                    client,
                    journal: self.journal.clone(),
                    source: "tui",
                    read_only: self.read_only,
                    after: self.inventory.clone().map(crate::seen::after_write),
                    self_revoke: false,
                };
                ApiResult::ReadBack(ops.read_back(step).await)
            }
            other => refuse(other, "not a read"),
        }
    }

    async fn mutate(
        &self,
        req: ReqId,
        ctx: Option<OnBehalfOf>,
        region: Option<Region>,
        op: ApiOp,
    ) -> ApiEvent {
        let ApiOp::Mutate(m) = op else {
            return ApiEvent {
                req,
                result: refuse(&op, "not a mutation"),
            };
        };
        let ops = Ops {
            client: self.client.acting_as(ctx).in_region(region),
            journal: self.journal.clone(),
            source: "tui",
            read_only: self.read_only,
            after: self.inventory.clone().map(crate::seen::after_write),
            self_revoke: false,
        };
        ApiEvent {
            req,
            result: ApiResult::Mutated(ops.run(m).await),
        }
    }
}

/// Journal a rotation's delivery (off the async threads: it fsyncs).
async fn record_delivery(
    journal: Option<Journal>,
    entry: Box<crate::journal::Entry>,
    delivered: bool,
) -> Result<(), String> {
    let Some(j) = journal else {
        return Ok(());
    };
    match tokio::task::spawn_blocking(move || j.delivery(&entry, delivered)).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(e) => Err(format!("recording stopped: {e}")),
    }
}

fn describe(op: &ApiOp) -> &'static str {
    match op {
        ApiOp::Mutate(m) => m.verb(),
        _ => "read",
    }
}

/// The answer for an op refused before sending.
fn refuse(op: &ApiOp, what: &str) -> ApiResult {
    with_error(op, ApiError::ReadOnly(what.to_owned()))
}

fn cancelled(op: &ApiOp) -> ApiResult {
    with_error(op, ApiError::Cancelled)
}

fn with_error(op: &ApiOp, e: ApiError) -> ApiResult {
    match op {
        ApiOp::ListKeys | ApiOp::SweepListKeys => ApiResult::Keys(Err(e)),
        ApiOp::GetKey(_) | ApiOp::SweepGetKey(_) => ApiResult::Key(Err(e)),
        ApiOp::SweepStart { .. } => ApiResult::SweepStarted(Err(e.short())),
        ApiOp::SweepBegin { .. } => ApiResult::SweepBegun(Err(e.short())),
        ApiOp::SweepEnd { .. } => ApiResult::Recorded(Err(e.short())),
        ApiOp::MyScopes => ApiResult::MyScopes(Err(e)),
        ApiOp::ListSubusers => ApiResult::Subusers(Err(e)),
        ApiOp::Mutate(_) => ApiResult::Mutated(Done::err(e)),
        ApiOp::VerifyDead { .. } => ApiResult::Verified(Err(e)),
        ApiOp::Probe(_) => ApiResult::Probed(crate::leak::Probe::Unknown(e.short())),
        ApiOp::Locate { .. } => {
            ApiResult::Located(crate::app::leak::Whereabouts::Unsure(vec![e.short()]))
        }
        ApiOp::ReadJournal => ApiResult::Journal(Err(e.short())),
        ApiOp::Describe(_) => ApiResult::Described(Err(e)),
        ApiOp::ReadBack(_) => ApiResult::ReadBack(crate::ops::rotate::ReadBack {
            gone: None,
            error: Some(e.short()),
            journal_error: None,
        }),
        ApiOp::RecordDelivery { .. } => ApiResult::Recorded(Err(e.short())),
        ApiOp::Recall => ApiResult::Remembered(Err(e.short())),
        ApiOp::ListAfterDelay { .. } => ApiResult::AppearedDuringDelay(Err(e)),
    }
}

/// What the all-contexts matrix's sweep asks of the inventory (kind `matrix`).
const MATRIX_SWEEP: &str = "matrix";

/// The dashboard's all-contexts sweep as the inventory records it.
#[derive(Default)]
struct Sweeps {
    /// Answers at or after this are taken by the next sweep begun.
    since: Option<crate::inventory::Millis>,
    /// The sweep under way: what it takes, where it records each answer.
    active: Option<Arc<resume::Sweep>>,
}

impl Sweeps {
    /// Record how the sweep under way ended (none: nothing).
    fn end(&mut self, state: &'static str) {
        if let Some((rec, id)) = self
            .active
            .take()
            .as_deref()
            .and_then(resume::Sweep::recording)
        {
            rec.sweep_end(id, state);
        }
    }
}

impl Worker {
    /// The sweep's bookkeeping ([`ApiOp::SweepStart`], `SweepBegin`, `SweepEnd`): answered
    /// here, in order with the reads sent after it; `None` for every other op.
    fn sweep_op(
        &self,
        sweeps: &mut Sweeps,
        ctx: &Option<OnBehalfOf>,
        op: &ApiOp,
    ) -> Option<ApiResult> {
        let reader = || -> Result<Option<crate::inventory::Reader>, String> {
            let Some(r) = &self.recall else {
                return Ok(None);
            };
            crate::inventory::Inventory::read_existing(&r.path).map_err(|e| e.to_string())
        };
        Some(match op {
            ApiOp::SweepStart { fresh } => {
                sweeps.end("interrupted");
                sweeps.since = None;
                // what this run recorded (the sweep left, its answers) is read back below
                if let Some(rec) = &self.inventory {
                    rec.flush(std::time::Duration::from_secs(2));
                }
                let (Some(r), false) = (&self.recall, *fresh) else {
                    return Some(ApiResult::SweepStarted(Ok(None)));
                };
                let own = ctx.as_ref().map(OnBehalfOf::header_value);
                let now = crate::inventory::now_ms();
                ApiResult::SweepStarted(reader().and_then(|reader| {
                    let Some(reader) = reader else {
                        return Ok(None);
                    };
                    let found =
                        resume::resumable(&reader, &r.scope, MATRIX_SWEEP, &own, r.max_age, now)
                            .map_err(|e| e.to_string())?;
                    sweeps.since = found.since;
                    Ok(found.run.map(|run| crate::app::Resumed {
                        contexts: found
                            .contexts
                            .into_iter()
                            .map(|(o, region)| (o.and_then(|o| OnBehalfOf::parse(&o).ok()), region))
                            .collect(),
                        ago_ms: (now - run.started_at).max(0) as u64,
                    }))
                }))
            }
            ApiOp::SweepBegin { contexts } => {
                sweeps.end("interrupted");
                let (Some(rec), Some(r)) = (&self.inventory, &self.recall) else {
                    return Some(ApiResult::SweepBegun(Ok((0, 0))));
                };
                let obos: Vec<Option<String>> = contexts
                    .iter()
                    .map(|(o, _)| o.as_ref().map(OnBehalfOf::header_value))
                    .collect();
                // the first is the context the list shows: read live, never taken (recorded,
                // so the next run's sweep covers it, but not counted as taken)
                let asked = obos.get(1..).unwrap_or_default();
                let known = match (sweeps.since, reader()) {
                    (Some(since), Ok(Some(reader))) => {
                        resume::Known::load(&reader, &r.scope, asked, since)
                            .unwrap_or_else(|_| resume::Known::none())
                    }
                    _ => resume::Known::none(),
                };
                let taken = (known.lists(), known.details());
                let id = rec.sweep_start(MATRIX_SWEEP);
                for (obo, (_, region)) in obos.into_iter().zip(contexts) {
                    rec.sweep_context(id, &rec.scope().place(obo), region.map(Region::as_str));
                }
                sweeps.active = Some(Arc::new(resume::Sweep::new(known, Some((rec.clone(), id)))));
                ApiResult::SweepBegun(Ok(taken))
            }
            ApiOp::SweepEnd { complete } => {
                sweeps.end(if *complete { "finished" } else { "incomplete" });
                ApiResult::Recorded(Ok(()))
            }
            _ => return None,
        })
    }
}
