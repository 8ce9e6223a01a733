//! The background worker: runs [`Command::Api`]s with the API client and sends exactly one
//! [`ApiEvent`] back per command. It owns the read-only gate (mutations are refused before any
//! request is sent) and the journal (a mutation's outcome is on disk before the UI hears of it).
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
use crate::journal::{Action, Entry, Journal};
use crate::scopes;

/// Where the worker's answers go.
pub trait Sink: Send + Sync + 'static {
    fn send(&self, ev: ApiEvent);
}

impl Sink for UnboundedSender<ApiEvent> {
    fn send(&self, ev: ApiEvent) {
        let _ = UnboundedSender::send(self, ev);
    }
}

/// What the worker needs.
pub struct Worker {
    pub client: Client,
    pub journal: Option<Journal>,
    pub read_only: bool,
}

struct Read {
    abort: AbortHandle,
    claimed: Arc<AtomicBool>,
    op: ApiOp,
}

impl Worker {
    /// Run until the command channel closes (or a `Quit` arrives), then wait for mutations.
    pub async fn run(self, mut commands: UnboundedReceiver<Command>, sink: Arc<dyn Sink>) {
        let this = Arc::new(self);
        let mut reads: HashMap<ReqId, Read> = HashMap::new();
        let mut mutations: JoinSet<()> = JoinSet::new();
        let mut read_tasks: JoinSet<()> = JoinSet::new();
        while let Some(cmd) = commands.recv().await {
            match cmd {
                Command::Api {
                    req,
                    ctx,
                    region,
                    op,
                } => {
                    if op.is_mutation() {
                        if this.read_only {
                            // Refused before any request is sent.
                            let what = describe(&op);
                            sink.send(ApiEvent {
                                req,
                                result: refuse(&op, what),
                                journal_error: None,
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
                        let abort = read_tasks.spawn(async move {
                            let result = this.read(ctx, region, &op2).await;
                            if !claimed2.swap(true, Ordering::SeqCst) {
                                sink2.send(ApiEvent {
                                    req,
                                    result,
                                    journal_error: None,
                                });
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
                                journal_error: None,
                            });
                        }
                    }
                }
                Command::Quit => break,
                Command::Copy(_) => {}
            }
            // reap finished tasks so the sets stay small
            while read_tasks.try_join_next().is_some() {}
            while mutations.try_join_next().is_some() {}
        }
        read_tasks.abort_all();
        while mutations.join_next().await.is_some() {}
    }

    async fn read(&self, ctx: Option<OnBehalfOf>, region: Option<Region>, op: &ApiOp) -> ApiResult {
        let client = self.client.acting_as(ctx).in_region(region);
        match op {
            ApiOp::ListKeys => ApiResult::Keys(client.list_keys(None).await),
            ApiOp::GetKey(id) => ApiResult::Key(client.get_key(id).await),
            ApiOp::MyScopes => ApiResult::MyScopes(client.my_scopes().await),
            ApiOp::ListSubusers => ApiResult::Subusers(client.list_subusers().await),
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
        let client = self.client.acting_as(ctx.clone()).in_region(region);
        let obo = ctx.as_ref().map(OnBehalfOf::header_value);
        let base = client.base_url().to_owned();
        let (result, entry) = match op {
            ApiOp::Create { name, scopes } => {
                let r = client.create_key_checked(&name, scopes.as_deref()).await;
                let mut e = Entry::new(Action::Create, &base, obo, "", "tui");
                e.name = Some(name);
                match &r {
                    Ok(k) => {
                        e.api_key_id = k.api_key_id.0.clone();
                        e.scopes_after = Some(scopes::sendable(&k.scopes));
                        e.status = Some(201);
                        e.ok = true;
                    }
                    // it happened: journal it as done, with why the secret is missing
                    Err(ApiError::CreatedSecretLost { id, cause }) => {
                        e.api_key_id.clone_from(id);
                        e.ok = true;
                        e.error = Some(format!(
                            "created, but the answer was lost ({cause}): secret unrecoverable"
                        ));
                    }
                    Err(err) => fail(&mut e, err),
                }
                (ApiResult::Created(r), e)
            }
            ApiOp::Rename {
                id,
                name,
                name_before,
            } => {
                let r = client.rename_key(&id, &name).await;
                let mut e = Entry::new(Action::Rename, &base, obo, id.as_str(), "tui");
                e.name = Some(name);
                e.name_before = Some(name_before);
                ok_or_fail(&mut e, r.as_ref().err(), 200);
                (ApiResult::Renamed(r), e)
            }
            ApiOp::Update {
                id,
                name,
                scopes: wanted,
                scopes_before,
            } => {
                let r = client.update_key(&id, &name, &wanted).await;
                let mut e = Entry::new(Action::SetScopes, &base, obo, id.as_str(), "tui");
                e.name = Some(name);
                e.scopes_before = Some(scopes_before);
                e.scopes_after = Some(scopes::sendable(&wanted));
                ok_or_fail(&mut e, r.as_ref().err(), 200);
                (ApiResult::Updated(r), e)
            }
            ApiOp::Delete {
                id,
                name,
                scopes_before,
            } => {
                let r = client.delete_key(&id).await;
                let mut e = Entry::new(Action::Revoke, &base, obo, id.as_str(), "tui");
                e.name = Some(name);
                e.scopes_before = scopes_before;
                ok_or_fail(&mut e, r.as_ref().err(), 204);
                (ApiResult::Deleted(r), e)
            }
            other => {
                return ApiEvent {
                    req,
                    result: refuse(&other, "not a mutation"),
                    journal_error: None,
                };
            }
        };
        let journal_error = self
            .journal
            .as_ref()
            .and_then(|j| j.append(&entry).err())
            .map(|e| e.to_string());
        ApiEvent {
            req,
            result,
            journal_error,
        }
    }
}

fn fail(e: &mut Entry, err: &ApiError) {
    e.status = err.status();
    e.error = Some(err.short());
}

fn ok_or_fail(e: &mut Entry, err: Option<&ApiError>, status: u16) {
    match err {
        None => {
            e.status = Some(status);
            e.ok = true;
        }
        Some(err) => fail(e, err),
    }
}

fn describe(op: &ApiOp) -> &'static str {
    match op {
        ApiOp::Create { .. } => "create",
        ApiOp::Rename { .. } => "rename",
        ApiOp::Update { .. } => "set scopes",
        ApiOp::Delete { .. } => "revoke",
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
        ApiOp::ListKeys => ApiResult::Keys(Err(e)),
        ApiOp::GetKey(_) => ApiResult::Key(Err(e)),
        ApiOp::MyScopes => ApiResult::MyScopes(Err(e)),
        ApiOp::ListSubusers => ApiResult::Subusers(Err(e)),
        ApiOp::Create { .. } => ApiResult::Created(Err(e)),
        ApiOp::Rename { .. } => ApiResult::Renamed(Err(e)),
        ApiOp::Update { .. } => ApiResult::Updated(Err(e)),
        ApiOp::Delete { .. } => ApiResult::Deleted(Err(e)),
    }
}
