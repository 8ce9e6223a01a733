//! The all-contexts matrix (`a`) resumes over real HTTP, through the dashboard's worker and the
//! inventory: a sweep cut short (the dashboard quit, or left) is picked up by the next `a`,
//! which asks only what it had not answered; a sweep that finished is never reused silently;
//! Ctrl-r (`fresh`) asks everything. And the real dashboard in tmux, killed (SIGKILL) mid `a`:
//! the next `a` asks nothing it had been answered.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sgkeys::api::{ApiKey, ApiKeyId, OnBehalfOf, Region};
use sgkeys::app::{ApiEvent, ApiOp, ApiResult, Command};
use sgkeys::inventory::{Inventory, Recorder, Scope};
use sgkeys::sim::{Rate, Seed, SimConfig, SimHandle};
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
        let client = crate::common::simulator::client(sim);
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
        let (tx, rx, done) = crate::common::dash::spawn(worker);
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

    /// `a` with nothing to resume (or Ctrl-r, `fresh`): a sweep over `contexts` that takes
    /// nothing from the inventory.
    async fn sweep_afresh(
        &mut self,
        fresh: bool,
        contexts: &[(Option<OnBehalfOf>, Option<Region>)],
    ) {
        let started = self.ask(None, ApiOp::SweepStart { fresh }).await;
        assert!(
            matches!(started, ApiResult::SweepStarted(Ok(None))),
            "{started:?}"
        );
        let contexts = contexts.to_vec();
        let begun = self.ask(None, ApiOp::SweepBegin { contexts }).await;
        assert!(
            matches!(begun, ApiResult::SweepBegun(Ok((0, 0)))),
            "{begun:?}"
        );
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
    run.sweep_afresh(false, &contexts).await;
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
    run.sweep_afresh(false, &contexts).await;
    keys_of(run.ask(Some(&subs[0]), ApiOp::SweepListKeys).await);
    assert_eq!(asked(&sim).len(), 1, "asked afresh");
    // left before it finished, then Ctrl-r: everything asked again all the same
    run.sweep_afresh(true, &contexts).await;
    keys_of(run.ask(Some(&subs[0]), ApiOp::SweepListKeys).await);
    assert_eq!(asked(&sim).len(), 1, "Ctrl-r asks afresh");
    run.quit().await;
}

/// A read the simulator was asked: method, path, on-behalf-of.
type Req = (String, String, Option<String>);

fn get(path: &str, on_behalf_of: &str) -> Req {
    ("GET".into(), path.into(), Some(on_behalf_of.into()))
}

/// The reads asked on behalf of a subuser (a context's key list, a key's detail) the simulator
/// logged since its last reset: only those answered 200 with `answered`, else all.
fn subuser_reads(sim: &SimHandle, answered: bool) -> BTreeSet<Req> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/v3/api_keys"))
        .filter(|r| r.on_behalf_of.is_some() && (!answered || r.status == 200))
        .map(|r| (r.method, r.path, r.on_behalf_of))
        .collect()
}

/// The subusers' reads the inventory at `path` holds as answered: each context whose list was
/// read, each key read in detail (nothing while it cannot be read yet).
fn recorded_reads(path: &Path) -> BTreeSet<Req> {
    let mut held = BTreeSet::new();
    let Ok(Some(reader)) = Inventory::read_existing(path) else {
        return held;
    };
    for c in reader.contexts().unwrap_or_default() {
        let Some(obo) = c.on_behalf_of else { continue };
        if c.list_read_at.is_some() {
            held.insert(get("/v3/api_keys", &obo));
        }
        let _ = reader.each_key(c.id, true, |k| {
            if k.detail_read_at.is_some() {
                held.insert(get(&format!("/v3/api_keys/{}", k.key_id), &obo));
            }
        });
    }
    held
}

/// The newest sweep the inventory at `path` records: (kind, state).
fn last_sweep(path: &Path) -> Option<(String, String)> {
    let reader = Inventory::read_existing(path).ok()??;
    let s = reader.sweeps(1).ok()?.into_iter().next()?;
    Some((s.kind, s.state))
}

/// Ask `ready` every 50 ms until it answers, at most `within` (else fail with `what`).
async fn poll<T>(within: Duration, what: &str, mut ready: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = ready() {
            return v;
        }
        assert!(start.elapsed() < within, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `n` things, as the dashboard counts them.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Issue 20 item 2: the real dashboard, killed (SIGKILL) in the middle of the all-contexts
/// sweep (`m`, `a`), started again with the same state: its `a` resumes the interrupted sweep
/// and asks no subuser's list and no key's detail the killed run had been answered; it asks the
/// rest, and says so. The simulator runs in-process, over real HTTP; the deadlines are generous
/// (a loaded CI machine) and nothing is timed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_killed_mid_sweep_resumes_asking_nothing_it_was_answered() {
    use crate::common::env::Env;
    use crate::common::tmux::{BIN, Tmux, no_tmux};
    if no_tmux() {
        return;
    }
    const LONG: Duration = Duration::from_secs(180);
    // 24 subusers with 6 keys each: 24 lists and 144 key reads at 40 requests a second
    let rate = Rate::per_second(40);
    let env = Env::with(SimConfig {
        seed: Seed::Fleet {
            subusers: 24,
            keys: 6,
        },
        rate_limit: rate,
        ..SimConfig::fast()
    })
    .await;
    let mut wanted = BTreeSet::new();
    for u in env.sim.subusers() {
        wanted.insert(get("/v3/api_keys", &u.username));
        for k in env.sim.keys(Some(&u.username)) {
            wanted.insert(get(
                &format!("/v3/api_keys/{}", k.api_key_id.0),
                &u.username,
            ));
        }
    }
    assert_eq!(wanted.len(), 24 * 7, "the fleet's lists and keys");
    let own_keys = env.sim.keys(None).len();
    let inventory = PathBuf::from(
        env.json(&["inventory", "path", "--json"])["path"]
            .as_str()
            .expect("the inventory's path"),
    );

    let t = Tmux::start("sgkeys-e2e-matrix-kill", &env.terminal_vars());
    // --timeout 300: the minute-long rate-limit wait below is waited for, not given up on
    let sweep_all = || {
        t.send_line(&format!("{BIN} --timeout 300"));
        t.wait_for_within("updated", LONG);
        t.send_keys(&["m"]);
        t.wait_for_within("Permission matrix", LONG);
        t.send_keys(&["a"]);
    };
    sweep_all();
    poll(LONG, "a third of the sweep answered", || {
        (subuser_reads(&env.sim, true).len() >= wanted.len() / 3).then_some(())
    })
    .await;
    // from here nothing is answered: every request meets a 429 whose window resets in a minute
    env.sim.set_rate(Rate::new(0, 60));
    // killed once the inventory holds every answer sent (one still on the wire when the process
    // dies was never answered to it, and is rightly asked again)
    let answered = poll(LONG, "every answer recorded in the inventory", || {
        let sent = subuser_reads(&env.sim, true);
        sent.is_subset(&recorded_reads(&inventory)).then_some(sent)
    })
    .await;
    assert!(
        answered.len() < wanted.len(),
        "the sweep is part-way: {} of {} answered",
        answered.len(),
        wanted.len()
    );
    assert_eq!(
        last_sweep(&inventory),
        Some(("matrix".into(), "running".into())),
        "the sweep is under way when killed"
    );
    let pid = t.foreground_pid();
    // SAFETY: a signal to the dashboard (the tmux shell's child), by its pid.
    assert_eq!(
        unsafe { libc::kill(pid.parse().unwrap(), libc::SIGKILL) },
        0
    );
    poll(LONG, "the dashboard gone", || {
        (!Path::new(&format!("/proc/{pid}")).exists()).then_some(())
    })
    .await;
    // what the killed run was answered and recorded: that is never asked again. A request the
    // simulator let through just before the freeze may still have been answered after the poll
    // above; if the process died before recording it, it was never answered to sgkeys, and is
    // rightly asked again
    let answered_by_kill = subuser_reads(&env.sim, true);
    assert!(answered_by_kill.is_superset(&answered));
    let killed: BTreeSet<Req> = answered_by_kill
        .intersection(&recorded_reads(&inventory))
        .cloned()
        .collect();
    assert!(
        killed.len() >= answered.len() && killed.len() < wanted.len(),
        "{} of {} recorded",
        killed.len(),
        wanted.len()
    );
    assert_eq!(
        last_sweep(&inventory),
        Some(("matrix".into(), "interrupted".into())),
        "a dead run's sweep reads as interrupted"
    );
    let lists = killed.iter().filter(|r| r.1 == "/v3/api_keys").count();
    let reads = killed.len() - lists;
    assert!(lists > 0 && reads > 0, "{killed:?}");

    // started again with the same state, the budget back: `a` resumes
    env.sim.reset_counters();
    env.sim.set_rate(rate);
    t.send_line("stty sane; clear");
    sweep_all();
    let resumed = poll(LONG, "every list and key answered", || {
        let now = subuser_reads(&env.sim, true);
        wanted
            .iter()
            .all(|r| killed.contains(r) || now.contains(r))
            .then_some(now)
    })
    .await;
    let again: Vec<Req> = subuser_reads(&env.sim, false)
        .intersection(&killed)
        .cloned()
        .collect();
    assert!(again.is_empty(), "asked again within --max-age: {again:?}");
    assert!(resumed.is_subset(&wanted), "{resumed:?}");
    poll(LONG, "the resumed sweep recorded as finished", || {
        (last_sweep(&inventory) == Some(("matrix".into(), "finished".into()))).then_some(())
    })
    .await;
    let screen = t.wait_for_within(
        &format!("Permission matrix · {} keys", own_keys + 24 * 6),
        LONG,
    );
    assert!(screen.contains("all contexts (25)"), "{screen}");
    // the message log says it resumed, and what it took instead of asking
    let log = t.log_lines("all contexts");
    assert!(log.contains("resuming the sweep interrupted"), "{log}");
    // exactly the killed run's answers: the dashboard's own list and keys (read live as it
    // opened, before `a`) are not counted as taken
    let taken = format!(
        "{} and {} taken from the inventory",
        plural(lists, "key list", "key lists"),
        plural(reads, "key read", "key reads")
    );
    assert!(log.contains(&taken), "{taken:?} in\n{log}");
    assert!(!log.contains("could not"), "{log}");
    t.send_keys(&["Escape", "Escape", "Escape"]);
    t.quit();
}
