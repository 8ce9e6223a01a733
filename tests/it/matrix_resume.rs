//! The all-contexts matrix (`a`) resumes over real HTTP, through the dashboard's worker and the
//! inventory: a sweep cut short (the dashboard quit, or left) is picked up by the next `a`,
//! which asks only what it had not answered; a sweep that finished is never reused silently;
//! Ctrl-r (`fresh`) asks everything.

use std::sync::Arc;
use std::time::Duration;

use sgkeys::api::{ApiKey, ApiKeyId, Client, ClientOptions, OnBehalfOf, Region};
use sgkeys::app::{ApiEvent, ApiOp, ApiResult, Command};
use sgkeys::inventory::{Inventory, Recorder, Scope};
use sgkeys::sim::SimHandle;
use sgkeys::worker::{Recall, Worker};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

/// One dashboard's worker over `sim`, recording into the inventory at `path`.
struct Run {
    tx: UnboundedSender<Command>,
    rx: UnboundedReceiver<ApiEvent>,
    req: u64,
    done: tokio::task::JoinHandle<()>,
}

impl Run {
    fn start(sim: &SimHandle, path: &std::path::Path, rec: &Recorder, scope: &Scope) -> Run {
        let client = Client::new(
            sim.admin_key().clone(),
            ClientOptions {
                base_url: sim.base_url(),
                eu_base_url: Some(sim.eu_base_url()),
                ..Default::default()
            },
        )
        .unwrap();
        let worker = Worker {
            client,
            journal: None,
            read_only: false,
            inventory: Some(rec.clone()),
            recall: Some(Recall {
                path: path.to_path_buf(),
                scope: scope.clone(),
                offline: false,
                max_age: None,
            }),
        };
        let (tx, cmd_rx) = tokio::sync::mpsc::unbounded_channel();
        let (ev_tx, rx) = tokio::sync::mpsc::unbounded_channel::<ApiEvent>();
        let done = tokio::spawn(worker.run(cmd_rx, Arc::new(ev_tx)));
        Run {
            tx,
            rx,
            req: 0,
            done,
        }
    }

    /// One op in `ctx`, and its answer.
    async fn ask(&mut self, at: Option<&(OnBehalfOf, Option<Region>)>, op: ApiOp) -> ApiResult {
        self.req += 1;
        let (ctx, region) = at.map_or((None, None), |(o, r)| (Some(o.clone()), *r));
        let req = self.req;
        self.tx
            .send(Command::Api {
                req,
                ctx,
                region,
                op,
            })
            .unwrap();
        let ev = tokio::time::timeout(Duration::from_secs(20), self.rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ev.req, req);
        ev.result
    }

    /// The dashboard quits (Ctrl-C): the worker stops, the sweep under way recorded as cut short.
    async fn quit(self) {
        drop(self.tx);
        self.done.await.unwrap();
    }
}

fn keys_of(r: ApiResult) -> Vec<ApiKey> {
    match r {
        ApiResult::Keys(Ok(k)) => k,
        other => panic!("not a list: {other:?}"),
    }
}

/// Requests the simulator received since the last call.
fn asked(sim: &SimHandle) -> Vec<String> {
    let r: Vec<String> = sim
        .requests()
        .into_iter()
        .map(|l| {
            format!(
                "{} {} {}",
                l.method,
                l.path,
                l.on_behalf_of.unwrap_or_default()
            )
        })
        .collect();
    sim.reset_counters();
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_a_asks_only_what_the_interrupted_sweep_had_not_answered() {
    let sim = crate::common::simulator::fast().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.sqlite");
    let inv = Inventory::open(&path).unwrap();
    let scope = Scope {
        base_url: sim.base_url(),
        account: "key:test".into(),
    };
    let rec = inv.recorder(scope.clone());
    let subs: Vec<(OnBehalfOf, Option<Region>)> = sim
        .subusers()
        .into_iter()
        .map(|s| (OnBehalfOf::Subuser(s.username), s.region))
        .collect();
    assert!(subs.len() >= 2, "the demo seed has subusers");
    let contexts: Vec<_> = std::iter::once((None, None))
        .chain(subs.iter().map(|(o, r)| (Some(o.clone()), *r)))
        .collect();

    // the first sweep: the subusers' lists and one key's scopes, then Ctrl-C
    let mut run = Run::start(&sim, &path, &rec, &scope);
    let started = run.ask(None, ApiOp::SweepStart { fresh: false }).await;
    assert!(
        matches!(started, ApiResult::SweepStarted(Ok(None))),
        "{started:?}"
    );
    let begun = run
        .ask(
            None,
            ApiOp::SweepBegin {
                contexts: contexts.clone(),
            },
        )
        .await;
    assert!(
        matches!(begun, ApiResult::SweepBegun(Ok((0, 0)))),
        "{begun:?}"
    );
    let first = keys_of(run.ask(Some(&subs[0]), ApiOp::SweepListKeys).await);
    let read: ApiKeyId = first[0].api_key_id.clone();
    let got = run
        .ask(Some(&subs[0]), ApiOp::SweepGetKey(read.clone()))
        .await;
    assert!(matches!(got, ApiResult::Key(Ok(_))), "{got:?}");
    run.quit().await;
    assert!(rec.flush(Duration::from_secs(10)));
    let before = asked(&sim);
    assert_eq!(before.len(), 2, "{before:?}");

    // the next `a`: resumed over the same contexts; what was answered is taken, not asked
    let mut run = Run::start(&sim, &path, &rec, &scope);
    let ApiResult::SweepStarted(Ok(Some(resumed))) =
        run.ask(None, ApiOp::SweepStart { fresh: false }).await
    else {
        panic!("the interrupted sweep is resumed");
    };
    let ctxs: Vec<_> = resumed.contexts.iter().map(|(c, _)| c.clone()).collect();
    for c in contexts.iter().map(|(c, _)| c) {
        assert!(ctxs.contains(c), "{c:?} in {ctxs:?}");
    }
    let begun = run
        .ask(
            None,
            ApiOp::SweepBegin {
                contexts: contexts.clone(),
            },
        )
        .await;
    assert!(
        matches!(begun, ApiResult::SweepBegun(Ok((1, 1)))),
        "one list and one key read taken: {begun:?}"
    );
    let again = keys_of(run.ask(Some(&subs[0]), ApiOp::SweepListKeys).await);
    assert_eq!(again.len(), first.len());
    let got = run
        .ask(Some(&subs[0]), ApiOp::SweepGetKey(read.clone()))
        .await;
    assert!(matches!(got, ApiResult::Key(Ok(d)) if d.api_key_id == read));
    assert!(asked(&sim).is_empty(), "nothing answered is asked again");
    let second = keys_of(run.ask(Some(&subs[1]), ApiOp::SweepListKeys).await);
    let other = first[first.len() - 1].api_key_id.clone();
    if other != read {
        run.ask(Some(&subs[0]), ApiOp::SweepGetKey(other)).await;
    }
    let sent = asked(&sim);
    assert_eq!(
        sent.len(),
        1 + usize::from(first.len() > 1),
        "only the rest: {sent:?}"
    );
    assert!(sent[0].contains(&subs[1].0.header_value()), "{sent:?}");
    drop(second);
    // every answer in: the sweep finished
    let end = run.ask(None, ApiOp::SweepEnd { complete: true }).await;
    assert!(matches!(end, ApiResult::Recorded(Ok(()))));
    run.quit().await;
    assert!(rec.flush(Duration::from_secs(10)));

    // a finished sweep is never reused silently: the next `a` reads fresh
    let mut run = Run::start(&sim, &path, &rec, &scope);
    let started = run.ask(None, ApiOp::SweepStart { fresh: false }).await;
    assert!(
        matches!(started, ApiResult::SweepStarted(Ok(None))),
        "{started:?}"
    );
    let begun = run
        .ask(
            None,
            ApiOp::SweepBegin {
                contexts: contexts.clone(),
            },
        )
        .await;
    assert!(
        matches!(begun, ApiResult::SweepBegun(Ok((0, 0)))),
        "{begun:?}"
    );
    keys_of(run.ask(Some(&subs[0]), ApiOp::SweepListKeys).await);
    assert_eq!(asked(&sim).len(), 1, "asked afresh");
    // left before it finished, then Ctrl-r: everything asked again all the same
    let started = run.ask(None, ApiOp::SweepStart { fresh: true }).await;
    assert!(
        matches!(started, ApiResult::SweepStarted(Ok(None))),
        "{started:?}"
    );
    run.ask(None, ApiOp::SweepBegin { contexts }).await;
    keys_of(run.ask(Some(&subs[0]), ApiOp::SweepListKeys).await);
    assert_eq!(asked(&sim).len(), 1, "Ctrl-r asks afresh");
    run.quit().await;
}
