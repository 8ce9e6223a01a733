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
//! `progress(done, total)` is called as answers arrive. Results come back in the order asked.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use crate::api::gate::epoch_now_f64;
use crate::api::waves;
use crate::api::{ApiError, ApiKeyId, Client, KeyDetail};

/// `(done, total)` as answers arrive.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// No progress to show.
pub fn quiet(_: usize, _: usize) {}

/// `GET /v3/api_keys/{id}` for every `(client, id)` (each client in its own context).
pub async fn details(
    jobs: &[(Client, ApiKeyId)],
    progress: Progress<'_>,
) -> Vec<Result<KeyDetail, ApiError>> {
    let clients: Vec<Client> = jobs.iter().map(|(c, _)| c.clone()).collect();
    run(
        &clients,
        |i, c| {
            let id = jobs[i].1.clone();
            async move { c.get_key(&id).await }
        },
        progress,
    )
    .await
}

/// One request per client: `op(i, client)` for every `clients[i]`, in waves the budget allows.
/// `op` must send exactly one request first through the client it is given (that request was
/// counted when its wave was released); any further ones go through the gate as usual.
pub async fn run<T, F, Fut>(clients: &[Client], op: F, progress: Progress<'_>) -> Vec<T>
where
    F: Fn(usize, Client) -> Fut,
    Fut: Future<Output = T>,
{
    let total = clients.len();
    progress(0, total);
    let mut results: Vec<Option<T>> = (0..total).map(|_| None).collect();
    let mut groups = budget_groups(clients);
    let mut running = FuturesUnordered::new();
    let mut done = 0usize;
    loop {
        // Groups with nothing left to send are done (thousands of one-request groups, one per
        // leaked key, must not be planned again after every answer).
        groups.retain(|g| !g.pending.is_empty());
        // Release every wave that is due; note when the next one is.
        let now = epoch_now_f64();
        let mut next_at: Option<f64> = None;
        for g in &mut groups {
            let client = &clients[g.first];
            let waves = waves::plan(client.budget(), now, g.pending.len());
            let due: usize = waves
                .iter()
                .take_while(|w| w.at <= now)
                .map(|w| w.count)
                .sum();
            // A wave due after a request's deadline would only be a long sleep: those go to
            // the gate now, which fails them at once saying when the window resets.
            let horizon = now + client.timeout().as_secs_f64();
            let hopeless: usize = waves
                .iter()
                .filter(|w| w.at > horizon)
                .map(|w| w.count)
                .sum();
            if let Some(w) = waves.iter().find(|w| w.at > now && w.at <= horizon) {
                next_at = Some(next_at.map_or(w.at, |t: f64| t.min(w.at)));
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
            for (i, c) in release {
                let fut = op(i, c);
                running.push(async move { (i, fut.await) });
            }
        }
        if running.is_empty() && groups.iter().all(|g| g.pending.is_empty()) {
            break;
        }
        // Then wait for an answer (it may correct the budget) or the next wave's time.
        let wait = next_at.map_or(Duration::from_secs(3600), |t| {
            Duration::from_secs_f64((t - epoch_now_f64()).clamp(0.0, 3600.0))
        });
        if running.is_empty() {
            tokio::time::sleep(wait).await;
            continue;
        }
        tokio::select! {
            Some((i, r)) = running.next() => {
                results[i] = Some(r);
                done += 1;
                progress(done, total);
                // Take every other answer that is ready before planning again.
                while let Some(Some((i, r))) = futures_util::FutureExt::now_or_never(running.next()) {
                    results[i] = Some(r);
                    done += 1;
                    progress(done, total);
                }
            }
            () = tokio::time::sleep(wait) => {}
        }
    }
    results.into_iter().flatten().collect()
}

/// The requests that spend one budget, in the order they go: round-robin over their contexts
/// (on-behalf-of), so a sweep's contexts all move at once.
struct Group {
    /// A client of the group (its budget is the group's).
    first: usize,
    pending: VecDeque<usize>,
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
