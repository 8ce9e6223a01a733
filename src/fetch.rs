//! The one fetch engine: how sgkeys reads many things at once outside the dashboard (`audit`
//! and its `--all-subusers` sweep, `list --scopes`, bulk `revoke`, `revoke --leaked` lookups).
//!
//! The requests are planned in waves ([`crate::api::waves::plan`]) against the rate-limit budget
//! the last answers gave (`X-RateLimit-Remaining` and `-Reset`, less what was sent since): when
//! the budget covers every request they all go at once, bounded only by the client's hard cap
//! in flight (`--concurrency`); otherwise what it covers goes now and the rest at each reset,
//! so no answer is a 429 (a wave the plan puts after a request's `--timeout` is not waited for:
//! those requests fail at once, saying when the window resets). The plan is made again as
//! answers correct the budget. Requests whose
//! clients share one key share one budget: the contexts of a sweep (on-behalf-of calls count
//! against the parent account) are planned together, interleaved so every context moves at
//! once. A wave's requests are counted against the budget when it is released (a
//! [`Ticket`](crate::api::gate::Ticket) each), so the gate that still checks every other
//! request (the dashboard's prefetch goes through it one by one, by the same plan) sees them.
//!
//! Reads are hedged ([`details`], [`reads`]): a GET still unanswered when 95 % of its wave
//! has been answered (or, in a wave too small for that, once it has been out longer than the
//! p95 of the answer times so far) gets a second copy; the first answer wins and the other
//! copy is dropped. Both copies go through the gate and count against the budget; none is sent
//! when the budget has no room for it now, and at most one request in four is copied. With each
//! attempt's own timeout in the client ([`crate::api::tail`]), a hung request costs a p95 and
//! not a `--timeout`.
//!
//! `progress(done, total)` is called as answers arrive. Results come back in the order asked.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::future::{AbortHandle, Abortable};
use futures_util::stream::FuturesUnordered;

use crate::api::waves;
use crate::api::{ApiError, ApiKeyId, Client, KeyDetail};

/// `(done, total)` as answers arrive.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// No progress to show.
pub fn quiet(_: usize, _: usize) {}

/// `GET /v3/api_keys/{id}` for every `(client, id)` (each client in its own context), hedged.
pub async fn details(
    jobs: &[(Client, ApiKeyId)],
    progress: Progress<'_>,
) -> Vec<Result<KeyDetail, ApiError>> {
    let clients: Vec<Client> = jobs.iter().map(|(c, _)| c.clone()).collect();
    reads(
        &clients,
        |i, c| {
            let id = jobs[i].1.clone();
            async move { c.get_key(&id).await }
        },
        progress,
    )
    .await
}

/// Like [`run`], for reads: `op` sends only GETs (repeating it is harmless), so a slow one is
/// hedged with a second copy; the first success wins (a failure waits for the other copy).
pub async fn reads<R, F, Fut>(
    clients: &[Client],
    op: F,
    progress: Progress<'_>,
) -> Vec<Result<R, ApiError>>
where
    F: Fn(usize, Client) -> Fut,
    Fut: Future<Output = Result<R, ApiError>>,
{
    engine(clients, op, progress, Some(Result::is_ok)).await
}

/// One request per client: `op(i, client)` for every `clients[i]`, in waves the budget allows.
/// `op` must send exactly one request first through the client it is given (that request was
/// counted when its wave was released); any further ones go through the gate as usual. Never
/// hedged (for writes).
pub async fn run<T, F, Fut>(clients: &[Client], op: F, progress: Progress<'_>) -> Vec<T>
where
    F: Fn(usize, Client) -> Fut,
    Fut: Future<Output = T>,
{
    engine(clients, op, progress, None).await
}

/// The requests released together, for hedging.
struct WaveState {
    started: Instant,
    members: Vec<usize>,
    answered: usize,
    /// The 95 % mark was reached and the rest were hedged.
    tail_cut: bool,
}

/// One request in this many may be copied.
const HEDGE_SHARE: usize = 4;

/// A copy of request `i`: its answer, or `Err` when it was dropped for the other copy's.
async fn copy<T>(
    i: usize,
    fut: Abortable<impl Future<Output = T>>,
) -> (usize, Result<T, futures_util::future::Aborted>) {
    (i, fut.await)
}

/// The engine behind [`run`] and [`reads`]; `hedge` (reads only) says which answers are a
/// success.
async fn engine<T, F, Fut>(
    clients: &[Client],
    op: F,
    progress: Progress<'_>,
    hedge: Option<fn(&T) -> bool>,
) -> Vec<T>
where
    F: Fn(usize, Client) -> Fut,
    Fut: Future<Output = T>,
{
    let total = clients.len();
    progress(0, total);
    let mut results: Vec<Option<T>> = (0..total).map(|_| None).collect();
    // a failed copy's answer, kept while the other copy may still succeed
    let mut failed: Vec<Option<T>> = (0..total).map(|_| None).collect();
    let mut copies: Vec<Vec<AbortHandle>> = (0..total).map(|_| Vec::new()).collect();
    let mut running_copies = vec![0u8; total];
    let mut wave_of = vec![usize::MAX; total];
    let mut wave_states: Vec<WaveState> = Vec::new();
    let mut hedges_left = total / HEDGE_SHARE + 1;
    let mut groups = budget_groups(clients);
    let mut running = FuturesUnordered::new();
    let mut done = 0usize;
    let launch = |i: usize, c: Client, copies: &mut Vec<Vec<AbortHandle>>| {
        let (handle, reg) = AbortHandle::new_pair();
        copies[i].push(handle);
        copy(i, Abortable::new(op(i, c), reg))
    };
    loop {
        // Groups with nothing left to send are done (thousands of one-request groups, one per
        // leaked key, must not be planned again after every answer).
        groups.retain(|g| !g.pending.is_empty());
        // Release every wave that is due; note when the next one is.
        let mut next_wait: Option<Duration> = None;
        for g in &mut groups {
            let client = &clients[g.first];
            let now = client.server_now();
            let budget = client.budget();
            let waves = match (budget, g.probe) {
                // nothing known yet: one request asks first
                (None, None) if g.pending.len() > 1 => {
                    g.probe = g.pending.front().copied();
                    vec![waves::Wave { at: now, count: 1 }]
                }
                // its answer is not in yet
                (None, Some(p)) if results[p].is_none() => Vec::new(),
                // known (or the answers do not say: then all at once)
                _ => waves::plan(budget, now, g.pending.len()),
            };
            let due: usize = waves
                .iter()
                .take_while(|w| w.at <= now)
                .map(|w| w.count)
                .sum();
            // A sweep longer than a window goes window by window: when the next window opens
            // within a request's deadline, it is waited for (each later one is a window after
            // it, planned again then), however many windows the sweep needs. Only a next window
            // beyond the deadline (a reset named far away) would be a long sleep: then the
            // waves after the deadline go to the gate now, which fails them at once saying
            // when the window resets.
            let horizon = now + client.timeout().as_secs_f64();
            let next_in_reach = waves
                .iter()
                .find(|w| w.at > now)
                .is_none_or(|w| w.at <= horizon);
            let hopeless: usize = if next_in_reach {
                0
            } else {
                waves
                    .iter()
                    .filter(|w| w.at > horizon)
                    .map(|w| w.count)
                    .sum()
            };
            if let Some(w) = waves.iter().find(|w| w.at > now && w.at <= horizon) {
                let d = crate::api::gate::secs(w.at - now);
                next_wait = Some(next_wait.map_or(d, |t| t.min(d)));
            }
            let mut release = Vec::new();
            for ticket in client.reserve(due) {
                let Some(i) = g.pending.pop_front() else {
                    break;
                };
                release.push((i, clients[i].with_ticket(ticket)));
            }
            for _ in 0..hopeless {
                let Some(i) = g.pending.pop_back() else {
                    break;
                };
                release.push((i, clients[i].clone()));
            }
            if !release.is_empty() {
                wave_states.push(WaveState {
                    started: Instant::now(),
                    members: release.iter().map(|(i, _)| *i).collect(),
                    answered: 0,
                    tail_cut: false,
                });
            }
            for (i, c) in release {
                wave_of[i] = wave_states.len() - 1;
                running_copies[i] = 1;
                running.push(launch(i, c, &mut copies));
            }
        }
        // Hedge the reads still out at their wave's p95.
        if hedge.is_some() {
            for w in &mut wave_states {
                let n = w.members.len();
                if w.answered == n {
                    continue;
                }
                let at_p95 = !w.tail_cut && n >= 2 && w.answered * 100 >= n * 95;
                let after = w.members.first().and_then(|&i| clients[i].hedge_after());
                let overdue = after.is_some_and(|a| w.started.elapsed() >= a);
                if at_p95 {
                    w.tail_cut = true;
                }
                if !(at_p95 || overdue) {
                    if let Some(a) = after {
                        let d = a.saturating_sub(w.started.elapsed());
                        next_wait = Some(next_wait.map_or(d, |t| t.min(d)));
                    }
                    continue;
                }
                for &i in &w.members {
                    if hedges_left == 0 {
                        break;
                    }
                    if results[i].is_some() || copies[i].len() != 1 || !room(&clients[i]) {
                        continue;
                    }
                    hedges_left -= 1;
                    running_copies[i] += 1;
                    tracing::debug!(request = i, "hedging a slow read with a second copy");
                    running.push(launch(i, clients[i].clone(), &mut copies));
                }
            }
        }
        if running.is_empty() && groups.iter().all(|g| g.pending.is_empty()) {
            break;
        }
        // Then wait for an answer (it may correct the budget), the next wave's time or the
        // next hedge's.
        let wait = next_wait.map_or(Duration::from_secs(3600), |d| {
            d.min(Duration::from_secs(3600))
        });
        if running.is_empty() {
            tokio::time::sleep(wait).await;
            continue;
        }
        let first = tokio::select! {
            Some(answer) = running.next() => Some(answer),
            () = tokio::time::sleep(wait) => None,
        };
        let mut answer = first;
        while let Some((i, r)) = answer {
            running_copies[i] = running_copies[i].saturating_sub(1);
            if let Ok(r) = r
                && results[i].is_none()
            {
                let last = running_copies[i] == 0;
                match hedge {
                    Some(ok) if !ok(&r) && !last => failed[i] = Some(r),
                    _ => {
                        for h in copies[i].drain(..) {
                            h.abort();
                        }
                        results[i] = Some(r);
                        done += 1;
                        if let Some(w) = wave_states.get_mut(wave_of[i]) {
                            w.answered += 1;
                        }
                        progress(done, total);
                    }
                }
            } else if results[i].is_none() && running_copies[i] == 0 {
                // the copy still running was dropped: the kept failure is the answer
                if let Some(r) = failed[i].take() {
                    results[i] = Some(r);
                    done += 1;
                    progress(done, total);
                }
            }
            // Take every other answer that is ready before planning again.
            answer = futures_util::FutureExt::now_or_never(running.next()).flatten();
        }
    }
    results
        .into_iter()
        .zip(failed)
        .filter_map(|(r, f)| r.or(f))
        .collect()
}

/// The budget has room for one more request now (or none is known): a hedge never waits.
fn room(client: &Client) -> bool {
    client.budget().is_none_or(|b| b.remaining > 0)
}

/// The requests that spend one budget, in the order they go: round-robin over their contexts
/// (on-behalf-of), so a sweep's contexts all move at once.
struct Group {
    /// A client of the group (its budget is the group's).
    first: usize,
    pending: VecDeque<usize>,
    /// With no budget known, one request goes first and its answer tells the budget (another
    /// process may have spent the window: a resumed sweep right after an interrupted one).
    probe: Option<usize>,
}

/// Request indices by context (on-behalf-of), in first-seen order.
type ByContext = Vec<(Option<String>, Vec<usize>)>;

fn budget_groups(clients: &[Client]) -> Vec<Group> {
    // budget → context → indices, in first-seen order
    let mut order: Vec<usize> = Vec::new();
    let mut by_budget: BTreeMap<usize, (usize, ByContext)> = BTreeMap::new();
    for (i, c) in clients.iter().enumerate() {
        let id = c.budget_id();
        let entry = by_budget.entry(id).or_insert_with(|| {
            order.push(id);
            (i, Vec::new())
        });
        let ctx = c.on_behalf_of().map(crate::api::OnBehalfOf::header_value);
        match entry.1.iter_mut().find(|(k, _)| *k == ctx) {
            Some((_, v)) => v.push(i),
            None => entry.1.push((ctx, vec![i])),
        }
    }
    order
        .into_iter()
        .filter_map(|id| by_budget.remove(&id))
        .map(|(first, contexts)| Group {
            probe: None,
            first,
            pending: interleave(contexts.into_iter().map(|(_, v)| v).collect()),
        })
        .collect()
}

/// `[[a1, a2, a3], [b1]]` → `[a1, b1, a2, a3]`.
fn interleave(lists: Vec<Vec<usize>>) -> VecDeque<usize> {
    let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = VecDeque::with_capacity(lists.iter().map(Vec::len).sum());
    for rank in 0..longest {
        for l in &lists {
            if let Some(&i) = l.get(rank) {
                out.push_back(i);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_are_interleaved() {
        let q = interleave(vec![vec![0, 1, 2], vec![3], vec![4, 5]]);
        assert_eq!(q, [0, 3, 4, 1, 5, 2]);
        assert!(interleave(Vec::new()).is_empty());
    }

    #[test]
    fn clients_of_one_key_share_a_budget_whatever_their_context() {
        let key =
            crate::secret::Secret::parse(&format!("SG.{}.{}", "A".repeat(22), "b".repeat(43)))
                .unwrap();
        let parent = Client::new(key.clone(), crate::api::ClientOptions::default()).unwrap();
        let sub = |n: &str| parent.acting_as(Some(crate::api::OnBehalfOf::Subuser(n.into())));
        let other = Client::new(key, crate::api::ClientOptions::default()).unwrap();
        let clients = vec![
            parent.clone(),
            parent.clone(),
            sub("a"),
            sub("a"),
            sub("b"),
            other.clone(),
        ];
        let groups = budget_groups(&clients);
        assert_eq!(
            groups.len(),
            2,
            "one budget per key (per client), not per context"
        );
        assert_eq!(groups[0].pending, [0, 2, 4, 1, 3]);
        assert_eq!(groups[1].pending, [5]);
        assert_eq!(groups[1].first, 5);
    }
}
